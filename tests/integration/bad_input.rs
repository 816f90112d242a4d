//! Bad input ends in clear messages and a usable mubase.

use crate::support::{dump_graph, stat, TempProject};

#[test]
fn hostile_files_are_skipped_or_indexed_as_far_as_possible() {
    let p = TempProject::empty();
    p.write("ok.py", "def fine():\n    return 1\n");
    // Binary content under a source extension: NUL bytes → undecodable.
    p.write("blob.py", b"\x00\x01\x02binary\x00".as_slice());
    // Invalid UTF-8 (but no NUL): parsed as it is; the grammar stops the name at the bad byte
    // and reports an error, and the rest of the file is still indexed.
    p.write(
        "latin.py",
        b"def caf\xe9():\n    return '\xff'\n\ndef after():\n    pass\n".as_slice(),
    );
    // 5 MiB file: over the 1 MiB cap, never read.
    p.write("huge.js", vec![b'/'; 5 * 1024 * 1024]);
    // Minified by content: long lines.
    p.write("packed.js", format!("var a={};\n", "1+".repeat(3000) + "1"));
    // Minified by name.
    p.write("vendor.min.js", "function x(){}\n");
    // Syntax errors: indexed as far as the tree allows.
    p.write(
        "broken.ts",
        "export function good(): number { return 1 }\nexport class {\n  method( {\n",
    );
    // Symlink loops and a symlink to a source file: never followed.
    std::os::unix::fs::symlink(".", p.root().join("loop")).unwrap();
    std::os::unix::fs::symlink("b_link", p.root().join("a_link")).unwrap();
    std::os::unix::fs::symlink("a_link", p.root().join("b_link")).unwrap();
    std::os::unix::fs::symlink("ok.py", p.root().join("alias.py")).unwrap();
    // A FIFO named like a source file must not hang the scan.
    let fifo = p.root().join("pipe.py");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // An unreadable directory (readable anyway when the tests run as root).
    p.write("locked/hidden.py", "def h():\n    pass\n");
    let locked = p.root().join("locked");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let is_root = unsafe { libc::geteuid() } == 0;

    let out = p.run(&["index"]);
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let indexed = if is_root { 4 } else { 3 };
    assert!(
        stdout.contains(&format!("({}): {} files scanned", "full", indexed + 4)),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("  4 skipped (too large 1, minified 2, undecodable 1), 2 with parse errors"),
        "{stdout}"
    );
    if !is_root {
        assert!(
            stderr.contains("Warning: ") && stderr.contains("locked"),
            "{stderr}"
        );
    }

    let dump = dump_graph(&p.mubase());
    assert!(dump.contains("node fn:ok.py:fine |"));
    assert!(dump.contains("node fn:latin.py:caf | function | caf |"));
    assert!(dump.contains("node fn:latin.py:after |"));
    assert!(dump.contains("node fn:broken.ts:good | function | good |"));
    assert!(!dump.contains("alias.py") && !dump.contains("loop/") && !dump.contains("pipe.py"));
    let index = stat(&p.mubase(), "index");
    assert_eq!(index["files_with_parse_errors"], 2);
    assert_eq!(
        index["skipped_files"],
        serde_json::json!([
            {"path": "blob.py", "reason": "undecodable", "size": 10},
            {"path": "huge.js", "reason": "too_large", "size": 5242880},
            {"path": "packed.js", "reason": "minified", "size": 6009},
            {"path": "vendor.min.js", "reason": "minified", "size": 15},
        ])
    );
    // Still a usable mubase: a second run is an incremental no-op.
    let again = p.index(&[]);
    assert_eq!(again["mode"], "incremental");
    assert_eq!(again["files_changed"], 0);
}

#[test]
fn missing_project_path_is_a_clear_error() {
    let p = TempProject::empty();
    let out = p.run(&["index", "does/not/exist"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: No such file or directory: does/not/exist"
    );
    let out = p.run(&["--json", "index", "does/not/exist"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "schema_version": 1, "command": "index",
            "error": {"code": "invalid_path", "message": "No such file or directory: does/not/exist", "path": "does/not/exist"}
        })
    );
    assert!(!p.root().join(".mu").exists());
}

#[test]
fn refuses_home_and_root() {
    let p = TempProject::empty();
    let out = p.run(&["index", "/"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: Refusing to index / (home directory or filesystem root)."
    );
    // HOME is the temp home in tests.
    let home = p.home.path().canonicalize().unwrap();
    let out = p.run(&["index", home.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "Error: Refusing to index {} (home directory or filesystem root).",
            home.display()
        )
    );
}

#[test]
fn usage_errors_exit_2() {
    let p = TempProject::empty();
    let out = p.run(&["index", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let out = p.run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let out = p.run(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("mu-daemon {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn corrupt_mubase_is_reported_and_left_alone() {
    let p = TempProject::empty();
    p.write("a.py", "def f():\n    pass\n");
    p.write(
        ".mu/mubase",
        "this is not a database, but it is somebody's file\n",
    );
    let out = p.run(&["index"]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    let mubase = p.root().canonicalize().unwrap().join(".mu/mubase");
    assert!(
        err.starts_with(&format!(
            "Error: Cannot open database {}: ",
            mubase.display()
        )),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(
            "If the file is damaged, delete it (and its .wal) and run `mu-daemon index` again."
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&mubase).unwrap(),
        "this is not a database, but it is somebody's file\n"
    );
}

#[test]
fn files_under_dot_mu_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let p = TempProject::from_fixture("javascript");
    p.index(&[]);
    let mode = |rel: &str| {
        std::fs::metadata(p.root().join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(".mu"), 0o700);
    assert_eq!(mode(".mu/mubase"), 0o600);
    assert_eq!(mode(".mu/daemon.lock"), 0o600);
    assert_eq!(mode(".mu/index-cache"), 0o700);
    assert_eq!(mode(".mu/index-cache/facts-v1.bin"), 0o600);
}
