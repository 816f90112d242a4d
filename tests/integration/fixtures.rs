//! Per-language fixture projects with their exact graphs: the spec's worked examples asserted
//! line by line, and the whole graph compared with a reviewed snapshot (`tests/fixtures/*.graph`).

use crate::support::{assert_snapshot, dump_graph, metadata, stat, TempProject};

/// Assert that every expected line is in the dump.
fn assert_lines(dump: &str, expected: &[&str]) {
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|l| !dump.lines().any(|d| d == **l))
        .collect();
    assert!(
        missing.is_empty(),
        "missing lines:\n{}\n--- dump:\n{dump}",
        missing
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn index_fixture(name: &str) -> (TempProject, serde_json::Value, String) {
    let p = TempProject::from_fixture(name);
    let summary = p.index(&[]);
    let dump = dump_graph(&p.mubase());
    (p, summary, dump)
}

#[test]
fn python_fixture_graph() {
    let (p, summary, dump) = index_fixture("python");
    assert_eq!(summary["mode"], "full");
    assert_eq!(summary["files_indexed"], 9);
    assert_eq!(summary["files_with_parse_errors"], 1);
    // indexer.md §13.1, exactly.
    assert_lines(
        &dump,
        &[
            r#"node cls:pkg/a.py:Loader | class | Loader | pkg/a.py:Loader | pkg/a.py | 8-13 | c0 | {"kind":"class","bases":[],"decorators":[],"attributes":[],"visibility":null}"#,
            r#"edge mod:pkg/a.py -imports-> ext:typing | {"line":1,"module":"typing","names":["TYPE_CHECKING"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
            r#"edge mod:pkg/a.py -imports-> mod:pkg/b.py | {"line":2,"module":".b","names":["helper"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
            r#"edge mod:pkg/a.py -imports-> mod:pkg/c.py | {"line":5,"module":".c","names":["Config"],"alias":null,"type_only":true,"dynamic":false,"count":1}"#,
            r#"edge mod:pkg/a.py -contains-> cls:pkg/a.py:Loader | {"line":8}"#,
            r#"edge cls:pkg/a.py:Loader -contains-> fn:pkg/a.py:Loader.load | {"line":9}"#,
            r#"edge fn:pkg/a.py:Loader.load -contains-> fn:pkg/a.py:Loader.load.parse | {"line":11}"#,
            r#"edge fn:pkg/a.py:Loader.load -calls-> fn:pkg/a.py:Loader.load.parse | {"line":13,"count":1}"#,
            r#"edge fn:pkg/a.py:Loader.load.parse -calls-> fn:pkg/b.py:helper | {"line":12,"count":1}"#,
            r#"edge fn:pkg/a.py:Loader.load -uses-> cls:pkg/c.py:Config | {"line":10,"type_name":"Config","count":1}"#,
            r#"node ext:typing | external | typing | typing | NULL | NULL-NULL | c0 | {"languages":["python"]}"#,
        ],
    );
    assert!(dump.contains(
        "node fn:pkg/a.py:Loader.load | function | load | pkg/a.py:Loader.load | pkg/a.py | 9-13 | c1 | {\"is_method\":true,\"is_async\":false,\"is_static\":true,"
    ));
    assert!(dump.contains("node fn:pkg/a.py:Loader.load.parse | function | parse | pkg/a.py:Loader.load.parse | pkg/a.py | 11-12 | c2 | {\"is_method\":false,"));
    // mubase.md §11, exactly.
    assert_lines(
        &dump,
        &[
            r#"node mod:src/shop/repo.py | module | repo | src/shop/repo.py | src/shop/repo.py | 1-14 | c0 | {"language":"python","total_lines":14,"parse_errors":0,"external_deps":[],"unresolved_imports":[]}"#,
            r#"node cls:src/shop/repo.py:OrderRepo | class | OrderRepo | src/shop/repo.py:OrderRepo | src/shop/repo.py | 4-14 | c0 | {"kind":"class","bases":[],"decorators":[],"attributes":["_orders"],"visibility":null}"#,
            r#"node fn:src/shop/repo.py:OrderRepo.save | function | save | src/shop/repo.py:OrderRepo.save | src/shop/repo.py | 8-11 | c2 | {"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,"is_constructor":false,"visibility":null,"parameters":[{"name":"self","type":null,"default":null,"variadic":false,"keyword":false},{"name":"order_id","type":"int","default":null,"variadic":false,"keyword":false},{"name":"order","type":"Order","default":null,"variadic":false,"keyword":false}],"return_type":"None","decorators":[]}"#,
            r#"edge mod:src/shop/repo.py -imports-> mod:src/shop/models.py | {"line":1,"module":".models","names":["Order"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
            r#"edge fn:src/shop/repo.py:OrderRepo.__init__ -uses-> cls:src/shop/models.py:Order | {"line":6,"type_name":"Order","count":1}"#,
            r#"edge fn:src/shop/repo.py:OrderRepo.save -uses-> cls:src/shop/models.py:Order | {"line":8,"type_name":"Order","count":1}"#,
            r#"edge fn:src/shop/repo.py:OrderRepo.get -uses-> cls:src/shop/models.py:Order | {"line":13,"type_name":"Order","count":1}"#,
            r#"edge cls:src/shop/repo.py:OrderRepo -contains-> fn:src/shop/repo.py:OrderRepo.get | {"line":13}"#,
        ],
    );
    assert!(dump.contains("node fn:src/shop/repo.py:OrderRepo.__init__ | function | __init__ | src/shop/repo.py:OrderRepo.__init__ | src/shop/repo.py | 5-6 | c1 |"));
    assert!(dump.contains("node fn:src/shop/repo.py:OrderRepo.get | function | get | src/shop/repo.py:OrderRepo.get | src/shop/repo.py | 13-14 | c1 |"));
    assert_snapshot("python", &dump);

    // Metadata and codebase_stats (mubase.md §3, §9.4).
    let db = p.mubase();
    assert_eq!(metadata(&db, "version").as_deref(), Some("1.0.0"));
    assert_eq!(metadata(&db, "schema_version").as_deref(), Some("1"));
    assert_eq!(metadata(&db, "index_format").as_deref(), Some("1"));
    assert_eq!(
        metadata(&db, "builder"),
        Some(format!("mu-daemon {}", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        metadata(&db, "root_path"),
        Some(p.root().canonicalize().unwrap().display().to_string())
    );
    assert_eq!(
        stat(&db, "languages"),
        serde_json::json!({"languages":{"Python":9},"percentages":{"Python":100.0},"primary_language":"Python","total_files":9})
    );
    assert_eq!(
        stat(&db, "graph"),
        serde_json::json!({"nodes":{"module":9,"class":7,"function":15,"external":3},"edges":{"contains":22,"imports":8,"inherits":1,"calls":9,"uses":6}})
    );
    let index = stat(&db, "index");
    assert_eq!(index["files_indexed"], 9);
    assert_eq!(index["files_with_parse_errors"], 1);
    assert_eq!(index["files_parse_failed"], 0);
    assert_eq!(index["unresolved_imports"], 0);
    assert_eq!(index["skipped_files"], serde_json::json!([]));
}

#[test]
fn typescript_fixture_graph() {
    let (_p, summary, dump) = index_fixture("typescript");
    assert_eq!(summary["files_indexed"], 6);
    // indexer.md §13.2, exactly.
    assert_lines(
        &dump,
        &[
            r#"edge mod:src/svc.ts -imports-> mod:src/models.ts | {"line":1,"module":"./models","names":["User"],"alias":null,"type_only":true,"dynamic":false,"count":1}"#,
            r#"edge mod:src/svc.ts -imports-> mod:src/lib/log.ts | {"line":2,"module":"@lib/log","names":["log"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
            r#"edge mod:src/svc.ts -imports-> ext:express | {"line":3,"module":"express","names":["default"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
            r#"edge cls:src/svc.ts:UserService -inherits-> cls:src/svc.ts:Repo | {"line":9,"base_name":"Repo","relation":"implements"}"#,
            r#"edge fn:src/svc.ts:UserService.find -calls-> fn:src/lib/log.ts:log | {"line":13,"count":1}"#,
            r#"edge fn:src/svc.ts:UserService.find -calls-> fn:src/svc.ts:Repo.find | {"line":14,"count":1}"#,
            r#"edge fn:src/svc.ts:getUser -calls-> fn:src/svc.ts:UserService.find | {"line":19,"count":1}"#,
            r#"edge fn:src/svc.ts:Repo.find -uses-> cls:src/models.ts:User | {"line":6,"type_name":"User","count":1}"#,
            r#"edge fn:src/svc.ts:UserService.constructor -uses-> cls:src/svc.ts:Repo | {"line":10,"type_name":"Repo","count":1}"#,
            r#"edge fn:src/svc.ts:UserService.find -uses-> cls:src/models.ts:User | {"line":12,"type_name":"User","count":1}"#,
            r#"edge fn:src/svc.ts:getUser -uses-> cls:src/svc.ts:UserService | {"line":19,"type_name":"UserService","count":1}"#,
            r#"edge mod:src/svc.ts -contains-> fn:src/svc.ts:getUser | {"line":19}"#,
            r#"edge cls:src/svc.ts:Repo -contains-> fn:src/svc.ts:Repo.find | {"line":6}"#,
            r#"edge mod:web/App.tsx -imports-> mod:web/Button.tsx | {"line":1,"module":"./Button","names":["Button"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
            r#"edge fn:web/App.tsx:App -calls-> fn:web/Button.tsx:Button | {"line":4,"count":1}"#,
        ],
    );
    assert!(dump.contains("node cls:src/svc.ts:UserService | class | UserService | src/svc.ts:UserService | src/svc.ts | 9-16 | c0 | {\"kind\":\"class\",\"bases\":[\"Repo\"],\"decorators\":[],\"attributes\":[\"repo\"],"));
    assert!(dump.contains("node fn:src/svc.ts:UserService.find | function | find | src/svc.ts:UserService.find | src/svc.ts | 12-15 | c2 |"));
    assert!(dump.contains("node fn:src/svc.ts:Repo.find | function | find | src/svc.ts:Repo.find | src/svc.ts | 6-6 | c0 |"));
    assert!(dump.contains("node fn:web/App.tsx:App | function | App | web/App.tsx:App | web/App.tsx | 3-5 | c1 | {\"is_method\":false,\"is_async\":false,\"is_static\":false,\"is_classmethod\":false,\"is_property\":false,\"is_constructor\":false,\"visibility\":null,\"parameters\":[{\"name\":\"{ label }\",\"type\":\"{ label: string }\",\"default\":null,\"variadic\":false,\"keyword\":false}]"));
    assert!(
        !dump.contains("fn:src/svc.ts:router"),
        "router is not a function node"
    );
    assert_snapshot("typescript", &dump);
}

#[test]
fn javascript_fixture_graph() {
    let (_p, summary, dump) = index_fixture("javascript");
    assert_eq!(summary["files_indexed"], 4);
    // indexer.md §13.3, exactly.
    assert_lines(
        &dump,
        &[
            r#"edge mod:lib/index.js -imports-> mod:lib/util.js | {"line":1,"module":"./util","names":["format"],"alias":null,"type_only":false,"dynamic":false,"count":1}"#,
            r#"edge mod:lib/index.js -imports-> ext:path | {"line":2,"module":"path","names":[],"alias":"path","type_only":false,"dynamic":false,"count":1}"#,
            r#"edge fn:lib/index.js:Greeter.greet -calls-> fn:lib/util.js:format | {"line":6,"count":1}"#,
            r#"edge fn:lib/index.js:main -calls-> cls:lib/index.js:Greeter | {"line":11,"count":1}"#,
            r#"edge fn:lib/index.js:main -calls-> fn:lib/index.js:Greeter.greet | {"line":12,"count":1}"#,
            r#"edge mod:lib/index.js -contains-> cls:lib/index.js:Greeter | {"line":4}"#,
            r#"edge mod:lib/index.js -contains-> fn:lib/index.js:main | {"line":10}"#,
            r#"edge cls:lib/index.js:Greeter -contains-> fn:lib/index.js:Greeter.greet | {"line":5}"#,
        ],
    );
    assert!(dump.contains("node mod:lib/index.js | module | index | lib/index.js | lib/index.js | 1-15 | c0 | {\"language\":\"javascript\",\"total_lines\":15,\"parse_errors\":0,\"external_deps\":[\"path\"],\"unresolved_imports\":[]}"));
    assert!(dump.contains("node fn:lib/index.js:Greeter.greet | function | greet | lib/index.js:Greeter.greet | lib/index.js | 5-7 | c2 |"));
    assert!(dump.contains("node fn:lib/index.js:main | function | main | lib/index.js:main | lib/index.js | 10-13 | c2 |"));
    assert_snapshot("javascript", &dump);
}
