//! Incremental runs skip unchanged files and leave the database equal to a full rebuild.

use crate::support::{dump_database, dump_graph, full_build_dump, line_diff, stat, TempProject};

/// Compare `p`'s (incrementally updated) database with a full build of a copy of the same tree.
fn assert_equals_full_build(p: &TempProject) {
    let (inc, full) = (dump_database(&p.mubase()), full_build_dump(p));
    assert!(
        inc == full,
        "incremental differs from full build:\n{}",
        line_diff(&inc, &full)
    );
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

#[test]
fn config_and_skip_list_changes_are_picked_up() {
    let p = TempProject::from_fixture("typescript");
    p.index(&[]);
    // A tsconfig change alone re-resolves: the alias no longer exists.
    p.write("tsconfig.json", r#"{"compilerOptions": {"baseUrl": "."}}"#);
    let s = p.index(&[]);
    assert_eq!(s["files_changed"], 0);
    assert!(!dump_graph(&p.mubase())
        .contains("-imports-> mod:src/lib/log.ts | {\"line\":2,\"module\":\"@lib/log\""));
    assert_equals_full_build(&p);
    // A newly skipped file alone updates codebase_stats.index.
    p.write("web/app.min.js", "function x(){}\n");
    let s = p.index(&[]);
    assert_eq!(s["files_changed"], 0);
    assert_eq!(stat(&p.mubase(), "index")["skipped"]["minified"], 1);
    assert_equals_full_build(&p);
}

#[test]
fn a_lost_facts_cache_is_refilled_by_a_no_op_run() {
    let p = TempProject::from_fixture("javascript");
    p.index(&[]);
    let cache = p.root().join(".mu/index-cache");
    std::fs::remove_dir_all(&cache).unwrap();
    let s = p.index(&[]);
    assert_eq!(s["files_changed"], 0);
    assert!(cache.join("facts-v1.bin").is_file());
}

#[test]
fn registry_dir_and_home_are_never_project_roots() {
    let p = TempProject::empty();
    // HOME is the temp home and MU_HOME its .mu; a mubase there must not capture the project.
    let home = p.home.path();
    std::fs::create_dir_all(home.join(".mu")).unwrap();
    std::fs::write(home.join(".mu/mubase"), "").unwrap();
    std::fs::create_dir_all(home.join("proj")).unwrap();
    std::fs::write(home.join("proj/a.py"), "def f():\n    pass\n").unwrap();
    let out = std::process::Command::new(crate::support::BIN)
        .args(["--json", "index", "proj"])
        .current_dir(home)
        .env("HOME", home)
        .env("MU_HOME", home.join(".mu"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["project_root"],
        home.canonicalize()
            .unwrap()
            .join("proj")
            .display()
            .to_string()
    );
    assert_eq!(std::fs::read(home.join(".mu/mubase")).unwrap(), b"");
}

#[test]
fn stale_row_digests_fall_back_to_the_stored_rows() {
    let p = TempProject::from_fixture("python");
    p.index(&[]);
    // As after a crash between the commit and the cache save: the cache's digests describe an
    // older generation than the database holds, and must not be trusted.
    p.write("pkg/b.py", "def helper3(x):\n    return x\n");
    p.index(&[]);
    {
        let conn = duckdb::Connection::open(p.mubase()).unwrap();
        conn.execute(
            "UPDATE mu_daemon_state SET value = 'from-a-crashed-run' WHERE key = 'index_generation'",
            [],
        )
        .unwrap();
        // And the rows of pkg/b.py are not what the cache digested.
        conn.execute_batch(
            "DELETE FROM edges WHERE target_id = 'fn:pkg/b.py:helper3';
             DELETE FROM nodes WHERE id = 'fn:pkg/b.py:helper3';",
        )
        .unwrap();
    }
    p.write("pkg/c.py", "class Config:\n    debug = True\n");
    let s = p.index(&[]);
    assert_eq!(s["files_changed"], 1);
    assert_equals_full_build(&p);
}
