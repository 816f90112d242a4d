//! Randomised edit sequences: after every step, an incremental `index` must leave the database
//! equal to a fresh full build of the same tree (mubase.md §9.3), and so must the engine given
//! the changed paths of the step ([`Engine::apply`] on a mirror of the tree). The random source
//! is a fixed seeded generator, so a failure reproduces exactly; the seed and step are in the
//! message.

use std::path::Path;

use crate::engine::Warm;
use crate::support::{dump_database, full_build_dump, line_diff, TempProject};

/// A small deterministic generator (PCG-style LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Source files of the project, relative, sorted.
fn sources(root: &Path, ext: &[&str]) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, ext: &[&str], out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(&p, root, ext, out);
            } else if ext.iter().any(|x| p.to_string_lossy().ends_with(x)) {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, ext, &mut out);
    out.sort();
    out
}

/// One random edit: copy, delete, rename, append one file to another, truncate, or empty.
/// Returns what it did and the paths it changed.
fn edit(p: &TempProject, rng: &mut Rng, ext: &[&str], step: usize) -> (String, Vec<String>) {
    let files = sources(p.root(), ext);
    let pick = |rng: &mut Rng| files[rng.below(files.len())].clone();
    let read = |f: &str| std::fs::read_to_string(p.root().join(f)).unwrap_or_default();
    match rng.below(6) {
        0 => {
            let from = pick(rng);
            let dir = Path::new(&from)
                .parent()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let e = ext[rng.below(ext.len())];
            let to = if dir.is_empty() {
                format!("gen{step}{e}")
            } else {
                format!("{dir}/gen{step}{e}")
            };
            p.write(&to, read(&from));
            (format!("copy {from} -> {to}"), vec![to])
        }
        1 if files.len() > 2 => {
            let f = pick(rng);
            std::fs::remove_file(p.root().join(&f)).unwrap();
            (format!("delete {f}"), vec![f])
        }
        2 => {
            let f = pick(rng);
            let to = format!(
                "{}.moved{step}{}",
                f.rsplit_once('.').unwrap().0,
                &f[f.rfind('.').unwrap()..]
            );
            std::fs::rename(p.root().join(&f), p.root().join(&to)).unwrap();
            (format!("rename {f} -> {to}"), vec![f, to])
        }
        3 => {
            let (a, b) = (pick(rng), pick(rng));
            let content = format!("{}\n{}", read(&a), read(&b));
            p.write(&a, content);
            (format!("append {b} to {a}"), vec![a])
        }
        4 => {
            let f = pick(rng);
            let text = read(&f);
            let lines: Vec<&str> = text.lines().collect();
            let keep = rng.below(lines.len() + 1);
            p.write(&f, lines[..keep].join("\n"));
            (format!("truncate {f} to {keep} lines"), vec![f])
        }
        _ => {
            let f = pick(rng);
            p.write(&f, "");
            (format!("empty {f}"), vec![f])
        }
    }
}

/// Make `to`'s copy of `rel` what it is in `from` (or absent).
fn mirror(from: &Path, to: &Path, rel: &str) {
    let (src, dst) = (from.join(rel), to.join(rel));
    if src.is_file() {
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dst).unwrap();
    } else {
        let _ = std::fs::remove_file(&dst);
    }
}

fn run(fixture: &str, ext: &[&str], seed: u64, steps: usize) {
    let p = TempProject::from_fixture(fixture);
    p.index(&[]);
    // The same tree, kept current by the engine from each step's changed paths.
    let mut warm = Warm::new(TempProject::from_fixture(fixture));
    let mut rng = Rng(seed);
    let mut history = Vec::new();
    for step in 0..steps {
        let (what, changed) = edit(&p, &mut rng, ext, step);
        history.push(what);
        let s = p.index(&[]);
        assert_eq!(s["mode"], "incremental");
        let (inc, full) = (dump_database(&p.mubase()), full_build_dump(&p));
        assert!(
            inc == full,
            "{fixture} seed {seed} step {step}: incremental differs from full build\nedits: {history:#?}\n{}",
            line_diff(&inc, &full)
        );

        for rel in &changed {
            mirror(p.root(), warm.p.root(), rel);
        }
        let paths: Vec<&str> = changed.iter().map(String::as_str).collect();
        let summary = warm.apply(&paths);
        let (inc, full) = (warm.dump(), full_build_dump(&warm.p));
        assert!(
            inc == full,
            "{fixture} seed {seed} step {step}: engine differs from full build\nedits: {history:#?}\nsummary: {summary:#?}\n{}",
            line_diff(&inc, &full)
        );
    }
}

#[test]
fn incremental_equals_full_python() {
    for seed in [1, 2, 3] {
        run("python", &[".py"], seed, 8);
    }
}

#[test]
fn incremental_equals_full_typescript() {
    for seed in [11, 12, 13] {
        run("typescript", &[".ts", ".tsx"], seed, 8);
    }
}

#[test]
fn incremental_equals_full_javascript() {
    for seed in [21, 22, 23] {
        run("javascript", &[".js", ".mjs", ".jsx"], seed, 8);
    }
}

#[test]
fn incremental_equals_full_go() {
    for seed in [31, 32, 33] {
        run("go", &[".go"], seed, 8);
    }
}

#[test]
fn incremental_equals_full_rust() {
    for seed in [41, 42, 43] {
        run("rust", &[".rs"], seed, 8);
    }
}

#[test]
fn incremental_equals_full_java() {
    for seed in [51, 52, 53] {
        run("java", &[".java"], seed, 8);
    }
}

#[test]
fn incremental_equals_full_csharp() {
    for seed in [61, 62, 63] {
        run("csharp", &[".cs"], seed, 8);
    }
}

#[test]
fn incremental_equals_full_mixed_quality() {
    for seed in [71, 72] {
        run("quality", &[".py", ".ts", ".js"], seed, 8);
    }
}
