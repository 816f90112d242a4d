//! Benchmark harness for the indexer: indexes each directory cold (no `.mu`), then warm (no-op
//! re-index), then after touching one file, and prints files, lines, seconds, lines/s, peak RSS
//! and mubase size.
//!
//!     cargo run --release --example bench_index -- <dir> [<dir> ...]
//!
//! Each directory is indexed in a child process of this harness (the real `index` code path,
//! via the library), so peak RSS is per corpus. The project's `.mu/` is removed before the cold
//! run; the corpora are never modified otherwise (the one-file edit is reverted).

use std::path::{Path, PathBuf};
use std::time::Instant;

use mu_daemon::index::{self, IndexOptions, IndexSummary};
use mu_daemon::project::Project;
use mu_daemon::store::{Store, StoreOptions};

fn index_once(root: &Path, force: bool) -> (IndexSummary, f64) {
    let project = Project {
        root: root.to_path_buf(),
    };
    project.ensure_mu_dir().expect("create .mu");
    let t = Instant::now();
    let mut store = Store::open(&project.mubase_path(), &StoreOptions::default(), root)
        .unwrap_or_else(|e| panic!("{e}"));
    let summary = index::run(
        root,
        &project.cache_dir(),
        &mut store,
        &IndexOptions { force, threads: 0 },
        &|_| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    (summary, t.elapsed().as_secs_f64())
}

fn peak_rss_mb() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

/// Child mode: `bench_index --child <dir>` prints one JSON line of figures.
fn child(root: &Path) {
    let _ = std::fs::remove_dir_all(root.join(".mu"));
    let (cold, cold_s) = index_once(root, false);
    let rss = peak_rss_mb();
    let (warm, warm_s) = index_once(root, false);
    // One-file re-index: append a comment line to the first indexed file, re-index, restore.
    let one_s = first_source_file(root).map(|f| {
        let original = std::fs::read(&f).expect("read");
        let mut edited = original.clone();
        let comment: &[u8] = if f.extension().is_some_and(|e| e == "py") {
            b"\n# bench edit\n"
        } else {
            b"\n// bench edit\n"
        };
        edited.extend_from_slice(comment);
        std::fs::write(&f, &edited).expect("write");
        let (_, s) = index_once(root, false);
        std::fs::write(&f, &original).expect("restore");
        let _ = index_once(root, false);
        s
    });
    let size = std::fs::metadata(root.join(".mu/mubase")).map_or(0, |m| m.len());
    let _ = std::fs::remove_dir_all(root.join(".mu"));
    println!(
        "{}",
        serde_json::json!({
            "files": cold.files_indexed, "lines": cold.lines, "cold_s": cold_s,
            "warm_s": warm_s, "warm_changed": warm.files_changed, "one_file_s": one_s,
            "rss_mb": rss, "mubase_mb": size as f64 / 1048576.0,
            "nodes": cold.nodes_by_type, "edges": cold.edges_by_type,
            "parse_errors": cold.files_with_parse_errors, "failed": cold.files_failed,
            "skipped": cold.skipped,
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

fn first_source_file(root: &Path) -> Option<PathBuf> {
    index::scan::scan(root).files.first().map(|c| c.abs.clone())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(Path::new(&args[1]));
        return;
    }
    if args.is_empty() {
        eprintln!("usage: cargo run --release --example bench_index -- <dir> [<dir> ...]");
        std::process::exit(2);
    }
    let exe = std::env::current_exe().expect("current exe");
    println!(
        "{:<28} {:>6} {:>8} {:>8} {:>10} {:>8} {:>9} {:>8} {:>8}",
        "corpus", "files", "lines", "cold s", "lines/s", "no-op s", "1-file s", "RSS MB", "db MB"
    );
    for dir in &args {
        let root = std::fs::canonicalize(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        let out = std::process::Command::new(&exe)
            .arg("--child")
            .arg(&root)
            .output()
            .expect("run child");
        if !out.status.success() {
            eprintln!("{dir}: {}", String::from_utf8_lossy(&out.stderr));
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("child JSON");
        let name = corpus_name(&root);
        let lines = v["lines"].as_f64().unwrap_or(0.0);
        let cold = v["cold_s"].as_f64().unwrap_or(0.0);
        println!(
            "{:<28} {:>6} {:>8} {:>8.2} {:>10.0} {:>8.3} {:>9.3} {:>8.1} {:>8.1}",
            name,
            v["files"],
            lines,
            cold,
            lines / cold.max(1e-9),
            v["warm_s"].as_f64().unwrap_or(0.0),
            v["one_file_s"].as_f64().unwrap_or(0.0),
            v["rss_mb"].as_f64().unwrap_or(0.0),
            v["mubase_mb"].as_f64().unwrap_or(0.0),
        );
        println!(
            "    nodes {}  edges {}  parse-error files {}  failed {}  skipped {}",
            v["nodes"], v["edges"], v["parse_errors"], v["failed"], v["skipped"]
        );
    }
}
