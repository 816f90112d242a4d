//! The engine as a library call: exact change summaries for single edits, and the database
//! equal to a full build after each (mubase.md §9.3).

use mu_daemon::index::{ChangeSummary, Engine};
use mu_daemon::project::Project;
use mu_daemon::store::{Store, StoreOptions};

use crate::support::{dump_database_with, full_build_dump, line_diff, TempProject};

/// A project and its engine, store open and facts in memory after a first build.
pub struct Warm {
    pub p: TempProject,
    pub engine: Engine,
}

impl Warm {
    pub fn new(p: TempProject) -> Warm {
        let project = Project {
            root: p.root().canonicalize().unwrap(),
        };
        project.ensure_mu_dir().unwrap();
        let store = Store::open(
            &project.mubase_path(),
            &StoreOptions::default(),
            &project.root,
        )
        .unwrap();
        let mut engine = Engine::open(&project.root, &project.cache_dir(), store, 2).unwrap();
        engine.reconcile(false, &|_| {}).unwrap();
        Warm { p, engine }
    }

    pub fn apply(&mut self, paths: &[&str]) -> ChangeSummary {
        self.engine.apply(paths).unwrap()
    }

    pub fn dump(&self) -> String {
        dump_database_with(&self.engine.store().reader().unwrap())
    }

    /// The database equals a full build of the same tree.
    pub fn assert_equals_full_build(&self, context: &str) {
        let (inc, full) = (self.dump(), full_build_dump(&self.p));
        assert!(
            inc == full,
            "{context}: engine differs from a full build:\n{}",
            line_diff(&inc, &full)
        );
    }
}

const A: &str = "from pkg.b import helper\n\n\ndef run(x):\n    return helper(x)\n";
const B: &str = "def helper(x):\n    return x\n";

fn project() -> Warm {
    let p = TempProject::empty();
    p.write("pkg/__init__.py", "");
    p.write("pkg/a.py", A);
    p.write("pkg/b.py", B);
    Warm::new(p)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn adding_a_function() {
    let mut w = project();
    w.p.write("pkg/b.py", format!("{B}\n\ndef extra():\n    return 1\n"));
    let s = w.apply(&["pkg/b.py"]);
    assert_eq!(
        s,
        ChangeSummary {
            added_nodes: strings(&["fn:pkg/b.py:extra"]),
            // total_lines of the module.
            modified_nodes: strings(&["mod:pkg/b.py"]),
            added_edges: strings(&["edge:mod:pkg/b.py:contains:fn:pkg/b.py:extra"]),
            changed_files: strings(&["pkg/b.py"]),
            ..ChangeSummary::default()
        }
    );
    w.assert_equals_full_build("add a function");
}

#[test]
fn editing_a_function_body() {
    let mut w = project();
    // One line longer: the function's line range and the module's line count change.
    w.p.write("pkg/b.py", "def helper(x):\n    y = x\n    return y\n");
    // Absolute paths work as well as relative ones.
    let abs = w.engine.root().join("pkg/b.py");
    let s = w.engine.apply(&[abs]).unwrap();
    assert_eq!(
        s,
        ChangeSummary {
            modified_nodes: strings(&["fn:pkg/b.py:helper", "mod:pkg/b.py"]),
            changed_files: strings(&["pkg/b.py"]),
            ..ChangeSummary::default()
        }
    );
    w.assert_equals_full_build("edit a body");
}

#[test]
fn deleting_a_file() {
    let mut w = project();
    std::fs::remove_file(w.p.root().join("pkg/b.py")).unwrap();
    let s = w.apply(&["pkg/b.py"]);
    assert_eq!(
        s,
        ChangeSummary {
            removed_nodes: strings(&["fn:pkg/b.py:helper", "mod:pkg/b.py"]),
            // a.py's import of pkg.b is now unresolved.
            modified_nodes: strings(&["mod:pkg/a.py"]),
            removed_edges: strings(&[
                "edge:fn:pkg/a.py:run:calls:fn:pkg/b.py:helper",
                "edge:mod:pkg/a.py:imports:mod:pkg/b.py",
                "edge:mod:pkg/b.py:contains:fn:pkg/b.py:helper",
            ]),
            changed_files: strings(&["pkg/a.py", "pkg/b.py"]),
            ..ChangeSummary::default()
        }
    );
    w.assert_equals_full_build("delete a file");
}

#[test]
fn renaming_a_file() {
    let mut w = project();
    std::fs::rename(w.p.root().join("pkg/b.py"), w.p.root().join("pkg/c.py")).unwrap();
    let s = w.apply(&["pkg/b.py", "pkg/c.py"]);
    assert_eq!(
        s,
        ChangeSummary {
            added_nodes: strings(&["fn:pkg/c.py:helper", "mod:pkg/c.py"]),
            removed_nodes: strings(&["fn:pkg/b.py:helper", "mod:pkg/b.py"]),
            modified_nodes: strings(&["mod:pkg/a.py"]),
            added_edges: strings(&["edge:mod:pkg/c.py:contains:fn:pkg/c.py:helper"]),
            removed_edges: strings(&[
                "edge:fn:pkg/a.py:run:calls:fn:pkg/b.py:helper",
                "edge:mod:pkg/a.py:imports:mod:pkg/b.py",
                "edge:mod:pkg/b.py:contains:fn:pkg/b.py:helper",
            ]),
            changed_files: strings(&["pkg/a.py", "pkg/b.py", "pkg/c.py"]),
            ..ChangeSummary::default()
        }
    );
    w.assert_equals_full_build("rename a file");
}

#[test]
fn touched_only_and_rows_unchanged_give_empty_summaries() {
    let mut w = project();
    let before = w.dump();
    // Same content, new mtime: only file_hashes.mtime_ns changes.
    w.p.write("pkg/b.py", B);
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(w.p.root().join("pkg/b.py"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(w.apply(&["pkg/b.py"]), ChangeSummary::default());
    assert_eq!(w.dump(), before, "touching changes nothing compared");
    w.assert_equals_full_build("touch");
    // New content, identical rows (whitespace inside a line): still nothing to report.
    w.p.write("pkg/b.py", "def helper(x):\n    return  x\n");
    assert_eq!(w.apply(&["pkg/b.py"]), ChangeSummary::default());
    w.assert_equals_full_build("whitespace");
    // Paths the index does not cover are ignored.
    w.p.write("notes.txt", "hello");
    assert_eq!(
        w.apply(&["notes.txt", ".mu/mubase.wal", "/elsewhere/x.py"]),
        ChangeSummary::default()
    );
}

#[test]
fn directories_config_and_ignore_files() {
    let mut w = project();
    // A new directory reported as a whole.
    w.p.write("lib/util.py", "def util():\n    return 1\n");
    w.p.write("lib/more/deep.py", "X = 1\n");
    let s = w.apply(&["lib"]);
    assert_eq!(
        s.changed_files,
        strings(&["lib/more/deep.py", "lib/util.py"])
    );
    w.assert_equals_full_build("new directory");
    // An ignore file makes the whole tree reconciled.
    w.p.write(".gitignore", "lib/more/\n");
    let s = w.apply(&[".gitignore"]);
    assert_eq!(s.removed_nodes, strings(&["mod:lib/more/deep.py"]));
    w.assert_equals_full_build("ignore file");
    // A deleted directory.
    std::fs::remove_dir_all(w.p.root().join("lib")).unwrap();
    let s = w.apply(&["lib"]);
    assert_eq!(
        s.removed_nodes,
        strings(&["fn:lib/util.py:util", "mod:lib/util.py"])
    );
    w.assert_equals_full_build("deleted directory");
    // A config change alone re-resolves (pyproject.toml is a resolution config file).
    w.p.write("pyproject.toml", "[project]\nname = \"x\"\n");
    w.apply(&["pyproject.toml"]);
    w.assert_equals_full_build("config file");
}

/// The CLI and the engine share the facts cache: after engine batches and a saved cache, a CLI
/// run finds nothing to do.
#[test]
fn engine_cache_is_what_the_cli_reads() {
    let mut w = project();
    w.p.write(
        "pkg/b.py",
        "def helper(x):\n    return x * 2\n\n\ndef g():\n    pass\n",
    );
    w.apply(&["pkg/b.py"]);
    w.engine.save_cache().unwrap();
    let Warm { p, engine } = w;
    engine.close().unwrap();
    let s = p.index(&[]);
    assert_eq!(s["mode"], "incremental");
    assert_eq!(s["files_changed"], 0);
}

/// Batches above the writer's point-delete threshold go through its temporary key table.
#[test]
fn large_batches() {
    let mut w = project();
    let many: String = (0..40)
        .map(|i| format!("def f{i}():\n    return {i}\n\n"))
        .collect();
    w.p.write("pkg/many.py", &many);
    let s = w.apply(&["pkg/many.py"]);
    assert_eq!(s.added_nodes.len(), 41);
    w.assert_equals_full_build("many added");
    std::fs::remove_file(w.p.root().join("pkg/many.py")).unwrap();
    let s = w.apply(&["pkg/many.py"]);
    assert_eq!(s.removed_nodes.len(), 41);
    assert_eq!(s.removed_edges.len(), 40);
    w.assert_equals_full_build("many removed");
}

/// A batch whose write fails leaves the engine reloaded from the database; the next batch
/// reconciles the whole tree and the database again equals a full build.
#[test]
fn a_failed_write_is_repaired_by_the_next_batch() {
    let mut w = project();
    let conn = w.engine.store().reader().unwrap();
    // A row in the way of the batch's insert: the transaction fails on the primary key.
    conn.execute(
        "INSERT INTO nodes (id, type, name) VALUES ('fn:pkg/b.py:extra', 'function', 'extra')",
        [],
    )
    .unwrap();
    w.p.write("pkg/b.py", format!("{B}\n\ndef extra():\n    return 1\n"));
    assert!(w.engine.apply(&["pkg/b.py"]).is_err());
    conn.execute("DELETE FROM nodes WHERE id = 'fn:pkg/b.py:extra'", [])
        .unwrap();
    let s = w.apply(&["pkg/a.py"]);
    assert_eq!(s.added_nodes, strings(&["fn:pkg/b.py:extra"]));
    w.assert_equals_full_build("after a failed write");
}
