//! Incremental runs skip unchanged files and leave the database equal to a full rebuild.

use crate::support::{copy_dir, dump_graph, dump_hashes, TempProject};

/// Index `p` incrementally, then compare with a full build of a copy of the same tree.
fn assert_equals_full_build(p: &TempProject) {
    let fresh = TempProject::empty();
    copy_dir(p.root(), fresh.root());
    std::fs::remove_dir_all(fresh.root().join(".mu")).unwrap();
    fresh.index(&[]);
    assert_eq!(dump_graph(&p.mubase()), dump_graph(&fresh.mubase()));
    assert_eq!(dump_hashes(&p.mubase()), dump_hashes(&fresh.mubase()));
}

#[test]
fn edits_deletions_and_renames_equal_a_full_build() {
    let p = TempProject::from_fixture("python");
    let first = p.index(&[]);
    assert_eq!(first["mode"], "full");
    assert_eq!(first["files_changed"], 9);

    // No-op.
    let noop = p.index(&[]);
    assert_eq!(noop["mode"], "incremental");
    assert_eq!(noop["files_changed"], 0);
    assert_eq!(noop["node_count"], first["node_count"]);
    assert_eq!(noop["edge_count"], first["edge_count"]);

    // Edit the callee's file: the caller's edges in a.py must follow.
    p.write("pkg/b.py", "def helper2(x):\n    return x\n");
    let s = p.index(&[]);
    assert_eq!(s["mode"], "incremental");
    assert_eq!(s["files_changed"], 1);
    assert_eq!(s["files_removed"], 0);
    assert!(!dump_graph(&p.mubase()).contains("-calls-> fn:pkg/b.py:helper "));
    assert_equals_full_build(&p);

    // Rename: delete + create.
    std::fs::rename(p.root().join("pkg/c.py"), p.root().join("pkg/config.py")).unwrap();
    let s = p.index(&[]);
    assert_eq!(s["files_changed"], 1);
    assert_eq!(s["files_removed"], 1);
    assert_equals_full_build(&p);

    // Delete, and restore the original callee.
    std::fs::remove_file(p.root().join("src/shop/service.py")).unwrap();
    p.write("pkg/b.py", "def helper(x):\n    return x\n");
    let s = p.index(&[]);
    assert_eq!(s["files_changed"], 1);
    assert_eq!(s["files_removed"], 1);
    assert!(dump_graph(&p.mubase())
        .contains("edge fn:pkg/a.py:Loader.load.parse -calls-> fn:pkg/b.py:helper |"));
    assert_equals_full_build(&p);

    // Touch without change: no re-parse, nothing changes.
    let before = dump_graph(&p.mubase());
    p.write("pkg/b.py", "def helper(x):\n    return x\n");
    let s = p.index(&[]);
    assert_eq!(s["files_changed"], 0);
    assert_eq!(dump_graph(&p.mubase()), before);

    // --force rebuilds everything.
    let s = p.index(&["--force"]);
    assert_eq!(s["mode"], "full");
    assert_eq!(dump_graph(&p.mubase()), before);
}

#[test]
fn human_summary_line() {
    let p = TempProject::from_fixture("javascript");
    let out = p.run(&["index"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let root = p.root().canonicalize().unwrap();
    let first = text.lines().next().unwrap();
    let prefix = format!(
        "Indexed {} (full): 4 files scanned, 4 changed, 0 removed, 0 failed → ",
        root.display()
    );
    assert!(first.starts_with(&prefix), "{first}");
    assert!(first.ends_with(" s"), "{first}");
    assert_eq!(
        text.lines().nth(1).unwrap(),
        "  0 skipped (too large 0, minified 0, undecodable 0), 0 with parse errors"
    );
    // Not a TTY: no progress bar, nothing on stderr.
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
