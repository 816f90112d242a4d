//! The store through the library API: a round trip of rows, and databases written by MU.

use mu_daemon::index::model::{EdgeRow, EdgeType, NodeRow, NodeType};
use mu_daemon::store::{Delta, Direction, FileHashRow, IndexStats, Store, StoreOptions};

use crate::support::{open_read_only, TempProject};

fn node(id: &str, ty: NodeType, name: &str, file: Option<&str>) -> NodeRow {
    NodeRow {
        id: id.into(),
        node_type: ty,
        name: name.into(),
        qualified_name: Some(id.split_once(':').unwrap().1.into()),
        file_path: file.map(Into::into),
        line_start: file.map(|_| 1),
        line_end: file.map(|_| 3),
        properties: "{}".into(),
        complexity: 0,
    }
}

fn edge(s: &str, t: EdgeType, d: &str) -> EdgeRow {
    EdgeRow {
        id: EdgeRow::make_id(s, t, d),
        source_id: s.into(),
        target_id: d.into(),
        edge_type: t,
        properties: r#"{"line":1}"#.into(),
    }
}

fn stats() -> IndexStats {
    IndexStats {
        languages: "{}".into(),
        graph: "{}".into(),
        index: r#"{"unresolved_imports":0}"#.into(),
    }
}

fn hash(path: &str, h: &str) -> FileHashRow {
    FileHashRow {
        file_path: path.into(),
        content_hash: h.into(),
        size: 10,
        mtime_ns: 5,
        language: "python".into(),
    }
}

#[test]
fn round_trip_and_per_file_replace() {
    let p = TempProject::empty();
    std::fs::create_dir_all(p.root().join(".mu")).unwrap();
    let mut store = Store::open(&p.mubase(), &StoreOptions::default(), p.root()).unwrap();
    let nodes = vec![
        node("mod:a.py", NodeType::Module, "a", Some("a.py")),
        node("fn:a.py:f", NodeType::Function, "f", Some("a.py")),
        node("mod:b.py", NodeType::Module, "b", Some("b.py")),
        node("fn:b.py:g", NodeType::Function, "g", Some("b.py")),
        node("ext:os", NodeType::External, "os", None),
    ];
    let edges = vec![
        edge("mod:a.py", EdgeType::Contains, "fn:a.py:f"),
        edge("mod:b.py", EdgeType::Contains, "fn:b.py:g"),
        edge("fn:a.py:f", EdgeType::Calls, "fn:b.py:g"),
        edge("mod:b.py", EdgeType::Imports, "ext:os"),
    ];
    store
        .write_full(
            nodes.clone(),
            edges.clone(),
            &[hash("a.py", "1"), hash("b.py", "2")],
            &stats(),
            1,
            &[],
            &mu_daemon::store::new_generation(),
        )
        .unwrap();

    assert_eq!(store.node("fn:a.py:f").unwrap().unwrap(), nodes[1]);
    assert_eq!(store.node("fn:zzz").unwrap(), None);
    assert_eq!(store.nodes_by_name("g").unwrap(), vec![nodes[3].clone()]);
    assert_eq!(
        store.nodes_by_file("a.py").unwrap(),
        vec![nodes[0].clone(), nodes[1].clone()]
    );
    let n = store.neighbors("fn:b.py:g", Direction::Incoming).unwrap();
    assert_eq!(
        n.iter()
            .map(|n| (n.edge.id.as_str(), n.node.id.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("edge:fn:a.py:f:calls:fn:b.py:g", "fn:a.py:f"),
            ("edge:mod:b.py:contains:fn:b.py:g", "mod:b.py"),
        ]
    );
    let c = store.counts().unwrap();
    assert_eq!(
        c.nodes
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        vec![
            ("class", 0),
            ("external", 1),
            ("function", 2),
            ("module", 2)
        ]
    );
    assert_eq!(c.edges["calls"], 1);
    assert_eq!(c.edges["contains"], 2);
    assert_eq!(store.language_counts().unwrap()["python"], 2);
    assert_eq!(store.meta("index_format").unwrap().as_deref(), Some("1"));
    assert_eq!(store.meta("version").unwrap().as_deref(), Some("1.0.0"));

    // One batch as the engine's row diff produces it: g disappears, h appears, b no longer
    // imports os so the external goes; the call edge owned by a.py stays (the resolver
    // re-resolves a.py in the same batch in real use; here only the writer is tested).
    let h = node("fn:b.py:h", NodeType::Function, "h", Some("b.py"));
    let contains_h = edge("mod:b.py", EdgeType::Contains, "fn:b.py:h");
    let b_hash = hash("b.py", "3");
    let delete_nodes = vec!["ext:os".to_string(), "fn:b.py:g".to_string()];
    let delete_edges = vec![
        "edge:mod:b.py:contains:fn:b.py:g".to_string(),
        "edge:mod:b.py:imports:ext:os".to_string(),
    ];
    let generation = store
        .write_delta(&Delta {
            delete_nodes: &delete_nodes,
            delete_edges: &delete_edges,
            insert_nodes: vec![&h],
            insert_edges: vec![&contains_h],
            delete_hashes: vec![],
            upsert_hashes: vec![&b_hash],
            stats: Some(&stats()),
            meta: vec![],
        })
        .unwrap();
    assert!(generation.is_some());
    let all: Vec<String> = store
        .all_nodes()
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(all, vec!["fn:a.py:f", "fn:b.py:h", "mod:a.py", "mod:b.py"]);
    let all: Vec<String> = store
        .all_edges()
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        all,
        vec![
            "edge:fn:a.py:f:calls:fn:b.py:g",
            "edge:mod:a.py:contains:fn:a.py:f",
            "edge:mod:b.py:contains:fn:b.py:h",
        ]
    );
    assert_eq!(store.file_hashes().unwrap()["b.py"].content_hash, "3");
}

/// A database as MU-Py builds it: MU's DDL, absolute paths, `version` only, NULL properties.
#[test]
fn opens_a_database_built_by_mu() {
    let p = TempProject::empty();
    let root = p.root().canonicalize().unwrap();
    let r = root.display().to_string();
    std::fs::create_dir_all(root.join(".mu")).unwrap();
    std::fs::write(
        root.join("auth.py"),
        "class AuthService:\n    def login(self):\n        return 1\n",
    )
    .unwrap();
    {
        let conn = duckdb::Connection::open(root.join(".mu/mubase")).unwrap();
        conn.execute_batch(mu_daemon::store::schema::CORE_DDL)
            .unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO metadata VALUES ('version', '1.0.0'), ('root_path', '{r}');
             INSERT INTO nodes VALUES
               ('mod:{r}/auth.py', 'module', 'auth', 'auth', '{r}/auth.py', 1, 3, NULL, 0),
               ('cls:{r}/auth.py:AuthService', 'class', 'AuthService', 'auth.AuthService', '{r}/auth.py', 1, 3, '\"{{}}\"', 0);
             INSERT INTO edges VALUES
               ('edge:mod:{r}/auth.py:contains:cls:{r}/auth.py:AuthService', 'mod:{r}/auth.py', 'cls:{r}/auth.py:AuthService', 'contains', NULL);"
        ))
        .unwrap();
    }
    {
        let store = Store::open(&root.join(".mu/mubase"), &StoreOptions::default(), &root).unwrap();
        assert_eq!(store.origin(), mu_daemon::store::schema::Origin::MuPy);
        let ids: Vec<(String, Option<String>, String)> = store
            .all_nodes()
            .unwrap()
            .into_iter()
            .map(|n| (n.id, n.file_path, n.properties))
            .collect();
        assert_eq!(
            ids,
            vec![
                (
                    "cls:auth.py:AuthService".into(),
                    Some("auth.py".into()),
                    "{}".into()
                ),
                ("mod:auth.py".into(), Some("auth.py".into()), "{}".into()),
            ]
        );
        let e = store.all_edges().unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].id, "edge:mod:auth.py:contains:cls:auth.py:AuthService");
        assert_eq!(e[0].source_id, "mod:auth.py");
        assert_eq!(e[0].target_id, "cls:auth.py:AuthService");
        assert_eq!(store.meta("index_format").unwrap().as_deref(), Some("0"));
        assert_eq!(store.meta("version").unwrap().as_deref(), Some("1.0.0"));
        assert!(store
            .meta("builder")
            .unwrap()
            .unwrap()
            .starts_with("mu-daemon "));
    }
    // The next index is a full build that replaces MU's rows.
    let summary = p.index(&[]);
    assert_eq!(summary["mode"], "full");
    let conn = open_read_only(&root.join(".mu/mubase"));
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM nodes ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "cls:auth.py:AuthService",
            "fn:auth.py:AuthService.login",
            "mod:auth.py"
        ]
    );
}

/// A file this project writes can be read by MU's tooling on DuckDB 1.1 (storage v1.0.0).
#[test]
fn duckdb_1_1_reads_what_we_write() {
    let p = TempProject::from_fixture("python");
    p.index(&[]);
    let out = crate::support::duckdb_1_1_query(
        &p.mubase(),
        "print(duckdb.__version__, \
         c.execute(\"select count(*) from nodes where id = 'cls:pkg/a.py:Loader'\").fetchone()[0], \
         c.execute(\"select value from metadata where key = 'version'\").fetchone()[0])",
    );
    assert_eq!(out, "1.1.3 1 1.0.0");
}

/// Another process holding the database gets a clear error naming it, never DuckDB's text.
#[test]
fn locked_database_names_the_holder() {
    let p = TempProject::from_fixture("javascript");
    p.index(&[]);
    let _held = duckdb::Connection::open(p.mubase()).unwrap();
    let out = p.run(&["index"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        format!(
            "Error: Database {} is locked by another process (pid {}).",
            p.root()
                .canonicalize()
                .unwrap()
                .join(".mu/mubase")
                .display(),
            std::process::id()
        )
    );
    let out = p.run(&["--json", "index"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "database_locked");
    assert_eq!(v["error"]["pid"], std::process::id());
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["command"], "index");
}

/// MU rows that collide after normalisation keep their old ids (the full build replaces them);
/// edges whose id lacks the root still get their endpoints normalised; DuckDB 1.1 can still
/// read the file afterwards.
#[test]
fn mu_normalisation_tolerates_collisions_and_odd_edge_ids() {
    let p = TempProject::empty();
    let root = p.root().canonicalize().unwrap();
    let r = root.display().to_string();
    std::fs::create_dir_all(root.join(".mu")).unwrap();
    {
        // As MU's DuckDB 1.x would write it.
        let cfg = duckdb::Config::default()
            .with("storage_compatibility_version", "v1.0.0")
            .unwrap();
        let conn = duckdb::Connection::open_with_flags(root.join(".mu/mubase"), cfg).unwrap();
        conn.execute_batch(mu_daemon::store::schema::CORE_DDL)
            .unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO metadata VALUES ('version', '1.0.0'), ('root_path', '{r}');
             INSERT INTO nodes VALUES
               ('mod:{r}/a.py', 'module', 'a', 'a', '{r}/a.py', 1, 1, NULL, 0),
               ('mod:a.py', 'module', 'a', 'a', 'a.py', 1, 1, NULL, 0),
               ('mod:{r}/b.py', 'module', 'b', 'b', '{r}/b.py', 1, 1, NULL, 0);
             INSERT INTO edges VALUES
               ('e123', 'mod:{r}/b.py', 'mod:{r}/a.py', 'imports', NULL);"
        ))
        .unwrap();
    }
    let store = Store::open(&root.join(".mu/mubase"), &StoreOptions::default(), &root).unwrap();
    assert_eq!(store.warnings(), &[] as &[String]);
    let ids: Vec<(String, Option<String>)> = store
        .all_nodes()
        .unwrap()
        .into_iter()
        .map(|n| (n.id, n.file_path))
        .collect();
    assert_eq!(
        ids,
        vec![
            (format!("mod:{r}/a.py"), Some("a.py".to_string())),
            ("mod:a.py".to_string(), Some("a.py".to_string())),
            ("mod:b.py".to_string(), Some("b.py".to_string())),
        ]
    );
    let e = store.all_edges().unwrap();
    assert_eq!(
        (
            e[0].id.as_str(),
            e[0].source_id.as_str(),
            e[0].target_id.as_str()
        ),
        ("e123", "mod:b.py", "mod:a.py")
    );
    drop(store);
    let out = crate::support::duckdb_1_1_query(
        &root.join(".mu/mubase"),
        "print(c.execute('select count(*) from nodes').fetchone()[0])",
    );
    assert_eq!(out, "3");
}
