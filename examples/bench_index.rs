//! Benchmark harness for the indexer. For each corpus directory it copies the tree to a
//! temporary directory and measures, end to end:
//!
//! * cold: `mu-daemon index` with no `.mu` (the real binary, process start and exit included);
//! * no-op: `mu-daemon index` again with nothing changed;
//! * one-file (CLI): `mu-daemon index` after appending a comment line to one file;
//! * one-file (warm engine): the same edit applied through [`Engine::apply`] with the store open
//!   and the facts in memory (median of 5 back-to-back edits), and the same without the time
//!   spent in resolution (which re-resolves the whole project);
//! * peak RSS of the `index` processes, mubase size, files with parse errors.
//!
//! ```sh
//! cargo build --release --bins --examples
//! target/release/examples/bench_index <dir> [<dir> ...]
//! ```
//!
//! (`scripts/bench.sh [TIER...]` does both for the corpora of `../shared/corpora.sh`.) Each
//! corpus is measured in a child process of this harness, so RSS figures are per corpus. The
//! corpus directories themselves are never written to.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mu_daemon::index::Engine;
use mu_daemon::project::Project;
use mu_daemon::store::{Store, StoreOptions};

fn mu_daemon_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("mu-daemon"))
        .expect("target dir");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --release --bins --examples` first",
        bin.display()
    );
    bin
}

/// `mu-daemon --json index` in `root`; returns the JSON summary and the wall time.
fn cli_index(root: &Path, home: &Path) -> (serde_json::Value, f64) {
    let t = Instant::now();
    let out = Command::new(mu_daemon_bin())
        .args(["--json", "index"])
        .current_dir(root)
        .env("MU_HOME", home)
        .output()
        .expect("run mu-daemon");
    let s = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "index failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).expect("index --json prints JSON"),
        s,
    )
}

/// Peak RSS (MB) of the largest child process waited for so far.
fn children_peak_rss_mb() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let ft = entry.file_type().expect("file type");
        if ft.is_dir() {
            if entry.file_name() != ".mu" {
                copy_dir(&entry.path(), &target);
            }
        } else if ft.is_file() {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The file the one-file runs edit: the indexed file of median size (a typical edit target),
/// or `None` when nothing is indexed.
fn edit_target(root: &Path) -> Option<PathBuf> {
    let mut files = mu_daemon::index::scan::scan(root).files;
    files.sort_by(|a, b| (a.size, &a.path).cmp(&(b.size, &b.path)));
    files.get(files.len() / 2).map(|c| c.abs.clone())
}

fn comment_for(path: &Path) -> &'static [u8] {
    if path.extension().is_some_and(|e| e == "py") {
        b"\n# bench edit\n"
    } else {
        b"\n// bench edit\n"
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Child mode: `bench_index --child <dir>` prints one JSON line of figures.
fn child(corpus: &Path) {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_dir(corpus, &tmp.path().join("corpus"));
    let root = tmp
        .path()
        .join("corpus")
        .canonicalize()
        .expect("canonical root");
    let home = tmp.path().join("mu-home");
    std::fs::create_dir_all(&home).expect("mu home");

    let (cold, cold_s) = cli_index(&root, &home);
    let db_mb =
        std::fs::metadata(root.join(".mu/mubase")).map_or(0, |m| m.len()) as f64 / 1048576.0;
    let (noop, noop_s) = cli_index(&root, &home);
    assert_eq!(noop["files_changed"], 0, "no-op run changed files");

    let target = edit_target(&root);
    let mut one_cli_s = None;
    let mut warm_s = None;
    let mut warm_other_s = None;
    if let Some(f) = &target {
        let original = std::fs::read(f).expect("read");
        let mut edited = original.clone();
        edited.extend_from_slice(comment_for(f));
        std::fs::write(f, &edited).expect("write");
        let (one, s) = cli_index(&root, &home);
        assert_eq!(one["files_changed"], 1, "one-file run");
        one_cli_s = Some(s);
        std::fs::write(f, &original).expect("restore");
        cli_index(&root, &home);

        // Warm engine: open once, reconcile (no-op), then apply single-file edits.
        let project = Project { root: root.clone() };
        let store = Store::open(&project.mubase_path(), &StoreOptions::default(), &root)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut engine =
            Engine::open(&root, &project.cache_dir(), store, 0).unwrap_or_else(|e| panic!("{e}"));
        engine
            .reconcile(false, &|_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        let (mut totals, mut others) = (Vec::new(), Vec::new());
        for i in 0..6 {
            let content = if i % 2 == 0 { &edited } else { &original };
            std::fs::write(f, content).expect("write");
            let t = Instant::now();
            let s = engine
                .apply_with_summary(&[f])
                .unwrap_or_else(|e| panic!("{e}"));
            let total = t.elapsed().as_secs_f64();
            assert_eq!(s.files_changed, 1, "warm one-file apply");
            if i > 0 {
                // The first apply loads the cached facts and row digests.
                let resolve = s.phase_ms.get("resolve").copied().unwrap_or(0) as f64 / 1000.0;
                totals.push(total);
                others.push(total - resolve);
            }
        }
        std::fs::write(f, &original).expect("restore");
        engine.apply(&[f]).unwrap_or_else(|e| panic!("{e}"));
        engine.close().expect("save cache");
        warm_s = Some(median(totals));
        warm_other_s = Some(median(others));
    }
    println!(
        "{}",
        serde_json::json!({
            "files": cold["files_indexed"], "lines": cold["lines"], "cold_s": cold_s,
            "noop_s": noop_s, "one_file_cli_s": one_cli_s, "one_file_warm_s": warm_s,
            "one_file_warm_other_s": warm_other_s,
            "rss_mb": children_peak_rss_mb(), "mubase_mb": db_mb,
            "parse_errors": cold["files_with_parse_errors"], "failed": cold["files_failed"],
            "nodes": cold["node_count"], "edges": cold["edge_count"],
            "edited": target.map(|t| t.strip_prefix(&root).unwrap_or(&t).display().to_string()),
        })
    );
}

/// The corpus name: the nearest ancestor named like `<name>-<version>` (as `corpora.sh` lays
/// them out), else the directory name.
fn corpus_name(root: &Path) -> String {
    root.ancestors()
        .filter_map(|a| a.file_name()?.to_str())
        .find(|n| {
            n.rsplit_once('-')
                .is_some_and(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()))
        })
        .or_else(|| root.file_name()?.to_str())
        .unwrap_or("?")
        .to_string()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(Path::new(&args[1]));
        return;
    }
    if args.is_empty() {
        eprintln!("usage: bench_index <dir> [<dir> ...]");
        std::process::exit(2);
    }
    mu_daemon_bin();
    let exe = std::env::current_exe().expect("current exe");
    println!(
        "| corpus | files | lines | cold s | lines/s | no-op s | one-file s (CLI) | one-file s (warm engine) | warm excl. resolve s | peak RSS MB | mubase MB | parse-error files |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let fmt = |v: &serde_json::Value, digits: usize| {
        v.as_f64()
            .map_or("–".to_string(), |x| format!("{x:.digits$}"))
    };
    for dir in &args {
        let root = std::fs::canonicalize(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let out = Command::new(&exe)
            .arg("--child")
            .arg(&root)
            .output()
            .expect("run child");
        let name = corpus_name(&root);
        if !out.status.success() {
            eprintln!("{name}: {}", String::from_utf8_lossy(&out.stderr));
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("child JSON");
        let lines = v["lines"].as_f64().unwrap_or(0.0);
        let cold = v["cold_s"].as_f64().unwrap_or(0.0);
        println!(
            "| {name} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
            v["files"],
            v["lines"],
            fmt(&v["cold_s"], 2),
            lines / cold.max(1e-9),
            fmt(&v["noop_s"], 3),
            fmt(&v["one_file_cli_s"], 3),
            fmt(&v["one_file_warm_s"], 3),
            fmt(&v["one_file_warm_other_s"], 3),
            fmt(&v["rss_mb"], 1),
            fmt(&v["mubase_mb"], 1),
            v["parse_errors"],
        );
    }
}
