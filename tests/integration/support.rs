//! Shared helpers: run the real binary, copy fixture projects, dump a mubase as text.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_mu-daemon");

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A temporary directory holding a copy of a fixture project, plus a private `MU_HOME`.
pub struct TempProject {
    pub dir: tempfile::TempDir,
    pub home: tempfile::TempDir,
}

impl TempProject {
    pub fn empty() -> TempProject {
        let home = tempfile::tempdir().expect("temp home");
        // A registry directory as mu-daemon creates it (0700): commands would otherwise tighten
        // it and say so on stderr (cli-and-registry.md §7.6).
        std::fs::set_permissions(
            home.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod temp home");
        TempProject {
            dir: tempfile::tempdir().expect("temp dir"),
            home,
        }
    }

    pub fn from_fixture(name: &str) -> TempProject {
        let p = TempProject::empty();
        copy_dir(&fixtures_dir().join(name), p.root());
        p
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Run `mu-daemon <args>` with this project's `MU_HOME`, in the project directory.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.root())
            .env("MU_HOME", self.home.path())
            .env("HOME", self.home.path())
            .env_remove("MU_LOG")
            .output()
            .expect("run mu-daemon")
    }

    /// `index --json`, asserting success; returns the JSON summary.
    pub fn index(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["--json", "index"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "index failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("index --json prints one JSON object")
    }

    pub fn mubase(&self) -> PathBuf {
        self.root().join(".mu/mubase")
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn open_read_only(path: &Path) -> duckdb::Connection {
    let cfg = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .unwrap();
    duckdb::Connection::open_with_flags(path, cfg).expect("open mubase read-only")
}

/// Every node and edge as one line each, sorted by id: the exact graph.
pub fn dump_graph(path: &Path) -> String {
    dump_graph_with(&open_read_only(path))
}

/// [`dump_graph`] over an open connection (e.g. a reader of an engine's store).
pub fn dump_graph_with(conn: &duckdb::Connection) -> String {
    let mut out = String::new();
    let mut st = conn
        .prepare(
            "SELECT id, type, name, qualified_name, file_path, line_start, line_end, CAST(properties AS VARCHAR), complexity FROM nodes ORDER BY id",
        )
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok(format!(
                "node {} | {} | {} | {} | {} | {}-{} | c{} | {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?
                    .unwrap_or_else(|| "NULL".into()),
                r.get::<_, Option<String>>(4)?
                    .unwrap_or_else(|| "NULL".into()),
                r.get::<_, Option<i32>>(5)?
                    .map_or("NULL".into(), |v| v.to_string()),
                r.get::<_, Option<i32>>(6)?
                    .map_or("NULL".into(), |v| v.to_string()),
                r.get::<_, i32>(8)?,
                r.get::<_, Option<String>>(7)?
                    .unwrap_or_else(|| "NULL".into()),
            ))
        })
        .unwrap();
    for r in rows {
        out.push_str(&r.unwrap());
        out.push('\n');
    }
    let mut st = conn
        .prepare("SELECT id, source_id, type, target_id, CAST(properties AS VARCHAR) FROM edges ORDER BY id")
        .unwrap();
    let rows = st
        .query_map([], |r| {
            let id: String = r.get(0)?;
            let expect = format!(
                "edge:{}:{}:{}",
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?
            );
            assert_eq!(id, expect, "edge id follows mubase.md §6.2");
            Ok(format!(
                "edge {} -{}-> {} | {}",
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?
            ))
        })
        .unwrap();
    for r in rows {
        out.push_str(&r.unwrap());
        out.push('\n');
    }
    out
}

/// `file_hashes` rows without timestamps: path | hash | size | language.
fn dump_hashes_with(conn: &duckdb::Connection) -> Vec<(String, String, i64, String)> {
    let mut st = conn
        .prepare(
            "SELECT file_path, content_hash, size, language FROM file_hashes ORDER BY file_path",
        )
        .unwrap();
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.map(|r| r.unwrap()).collect()
}

pub fn metadata(path: &Path, key: &str) -> Option<String> {
    let conn = open_read_only(path);
    conn.query_row("SELECT value FROM metadata WHERE key = ?", [key], |r| {
        r.get(0)
    })
    .ok()
}

pub fn stat(path: &Path, key: &str) -> serde_json::Value {
    stat_with(&open_read_only(path), key)
}

fn stat_with(conn: &duckdb::Connection, key: &str) -> serde_json::Value {
    let s: String = conn
        .query_row(
            "SELECT CAST(value AS VARCHAR) FROM codebase_stats WHERE key = ?",
            [key],
            |r| r.get(0),
        )
        .unwrap();
    serde_json::from_str(&s).unwrap()
}

/// Compare `actual` with the snapshot file; with `MU_BLESS=1` write it instead.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = fixtures_dir().join(format!("{name}.graph"));
    if std::env::var_os("MU_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with MU_BLESS=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .filter(|l| !actual.lines().any(|a| a == *l))
            .map(|l| format!("- {l}"))
            .chain(
                actual
                    .lines()
                    .filter(|l| !expected.lines().any(|e| e == *l))
                    .map(|l| format!("+ {l}")),
            )
            .collect();
        panic!(
            "graph of fixture {name} differs from {} (MU_BLESS=1 rewrites it after review):\n{}",
            path.display(),
            diff.join("\n")
        );
    }
}

/// A Python interpreter that can `import duckdb` at version 1.1.3, and the PYTHONPATH to use.
/// Installs the wheel into the cargo tmp dir when the interpreter lacks it.
pub fn python_with_duckdb_1_1() -> (String, String) {
    let py = "python3".to_string();
    let check = |path: &str| {
        Command::new(&py)
            .env("PYTHONPATH", path)
            .args([
                "-c",
                "import duckdb, sys; sys.exit(duckdb.__version__ != '1.1.3')",
            ])
            .status()
            .is_ok_and(|s| s.success())
    };
    if check("") {
        return (py, String::new());
    }
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-duckdb-1.1.3");
    let target_s = target.display().to_string();
    if !check(&target_s) {
        let st = Command::new(&py)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&target)
            .arg("duckdb==1.1.3")
            .status()
            .expect("run pip");
        assert!(st.success(), "pip install duckdb==1.1.3 failed");
    }
    (py, target_s)
}

/// Everything mubase.md §9.3 compares, as text: nodes, edges, file_hashes (without timestamps),
/// codebase_stats without its volatile fields, metadata without timestamps, and the daemon's
/// state keys (`mu_daemon_state`) without `index_generation`, a token that names each write.
pub fn dump_database(path: &Path) -> String {
    dump_database_with(&open_read_only(path))
}

/// [`dump_database`] over an open connection.
pub fn dump_database_with(conn: &duckdb::Connection) -> String {
    let mut out = dump_graph_with(conn);
    for h in dump_hashes_with(conn) {
        out.push_str(&format!("hash {h:?}\n"));
    }
    for key in ["languages", "graph", "index"] {
        let mut v = stat_with(conn, key);
        if let Some(o) = v.as_object_mut() {
            for volatile in ["duration_ms", "last_full_build_at", "last_update_at"] {
                o.remove(volatile);
            }
        }
        out.push_str(&format!("stat {key} {v}\n"));
    }
    let mut st = conn
        .prepare(
            "SELECT key, value FROM metadata WHERE key NOT IN ('created_at', 'built_at', 'indexed_at') \
             UNION ALL SELECT 'state:' || key, value FROM mu_daemon_state WHERE key <> 'index_generation' \
             ORDER BY 1",
        )
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok(format!(
                "meta {} = {:?}\n",
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?
            ))
        })
        .unwrap();
    for r in rows {
        out.push_str(&r.unwrap());
    }
    out
}

/// Index a copy of `p`'s tree from scratch and return its database dump (mubase.md §9.3).
pub fn full_build_dump(p: &TempProject) -> String {
    let fresh = TempProject::empty();
    copy_dir(p.root(), fresh.root());
    let _ = std::fs::remove_dir_all(fresh.root().join(".mu"));
    fresh.index(&[]);
    dump_database(&fresh.mubase()).replace(
        &fresh.root().canonicalize().unwrap().display().to_string(),
        &p.root().canonicalize().unwrap().display().to_string(),
    )
}

/// Print the lines only one side has.
pub fn line_diff(a: &str, b: &str) -> String {
    let only_a: Vec<&str> = a.lines().filter(|l| !b.lines().any(|x| x == *l)).collect();
    let only_b: Vec<&str> = b.lines().filter(|l| !a.lines().any(|x| x == *l)).collect();
    format!("only in the first: {only_a:#?}\nonly in the second: {only_b:#?}")
}

/// Run a Python snippet against `db` opened read-only as `c` with DuckDB 1.1.3 (MU's tooling);
/// returns its trimmed stdout, failing the test on a Python error.
pub fn duckdb_1_1_query(db: &Path, snippet: &str) -> String {
    let (py, path) = python_with_duckdb_1_1();
    let out = Command::new(&py)
        .env("PYTHONPATH", &path)
        .arg("-c")
        .arg(format!(
            "import sys, duckdb; c = duckdb.connect(sys.argv[1], read_only=True); {snippet}"
        ))
        .arg(db)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "DuckDB 1.1 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
