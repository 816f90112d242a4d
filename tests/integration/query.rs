//! MUQL end to end (`muql.md` §17): every example query of the spec through `POST /query` on a
//! daemon serving the shop fixture, with its exact result, and `mu-daemon query` through the
//! daemon and directly on the mubase.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::daemon_support::{http_raw, DaemonEnv, Resp};
use crate::support::{copy_dir, fixtures_dir};

const T: Duration = Duration::from_secs(30);

fn shop(env: &DaemonEnv, name: &str) -> PathBuf {
    let root = env.work().join(name);
    copy_dir(&fixtures_dir().join("shop"), &root);
    root.canonicalize().unwrap()
}

fn post_query(port: u16, text: &str) -> Value {
    let body = json!({ "muql": text }).to_string();
    let req = format!(
        "POST /query HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let r: Resp = http_raw(port, req.as_bytes(), T).expect("POST /query");
    assert_eq!(r.status, 200, "{text}: {}", r.text());
    let v = r.json();
    assert_eq!(v["success"], true, "{text}");
    assert_eq!(v["error"], Value::Null, "{text}");
    v["result"].clone()
}

/// A value as the spec's result listings write it: strings bare, everything else as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The rows of a successful query, the chosen columns joined with ` | ` (all when empty).
fn rows(result: &Value, cols: &[usize]) -> Vec<String> {
    assert_eq!(result["error"], Value::Null, "{result}");
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(result["row_count"], rows.len());
    rows.iter()
        .map(|r| {
            let r = r.as_array().unwrap();
            let picked: Vec<String> = if cols.is_empty() {
                r.iter().map(show).collect()
            } else {
                cols.iter().map(|&c| show(&r[c])).collect()
            };
            picked.join(" | ")
        })
        .collect()
}

struct Shop {
    port: u16,
}

impl Shop {
    fn q(&self, text: &str) -> Value {
        post_query(self.port, text)
    }

    /// Assert the chosen columns of every row.
    fn expect(&self, text: &str, cols: &[usize], want: &[&str]) {
        let result = self.q(text);
        assert_eq!(rows(&result, cols), want, "{text}");
    }

    fn columns(&self, text: &str) -> Value {
        self.q(text)["columns"].clone()
    }

    fn error(&self, text: &str) -> String {
        let result = self.q(text);
        assert_eq!(result["rows"], json!([]), "{text}");
        assert_eq!(result["columns"], json!([]), "{text}");
        assert_eq!(result["row_count"], 0, "{text}");
        result["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{text}: no error in {result}"))
            .to_string()
    }
}

const NODE_COLUMNS: [&str; 9] = [
    "id",
    "type",
    "name",
    "qualified_name",
    "file_path",
    "line_start",
    "line_end",
    "properties",
    "complexity",
];
const LIST: [&str; 7] = [
    "id",
    "type",
    "name",
    "file_path",
    "line_start",
    "depth",
    "via",
];

#[test]
fn every_example_query_of_the_spec_gives_its_documented_result() {
    let env = DaemonEnv::new();
    let root = shop(&env, "shop");
    let (_, port, _) = env.start(&root, &["--port", "0"]);
    let s = Shop { port };

    // Q1 – Q16: SELECT and the terse select.
    let q1 = s.q("SELECT id, name, line_end FROM modules");
    assert_eq!(q1["mode"], "muql");
    assert_eq!(q1["columns"], json!(["id", "name", "line_end"]));
    assert_eq!(
        rows(&q1, &[]),
        [
            "mod:src/shop/__init__.py | __init__ | null",
            "mod:src/shop/api.py | api | 15",
            "mod:src/shop/models.py | models | 22",
            "mod:src/shop/repo.py | repo | 14",
            "mod:src/shop/service.py | service | 16",
            "mod:tests/test_service.py | test_service | 10",
        ]
    );
    assert_eq!(
        s.columns("SELECT * FROM classes WHERE name = 'Order'"),
        json!(NODE_COLUMNS)
    );
    s.expect(
        "SELECT * FROM classes WHERE name = 'Order'",
        &[],
        &[r#"cls:src/shop/models.py:Order | class | Order | src/shop/models.py:Order | src/shop/models.py | 11 | 16 | {"kind":"class","bases":[],"decorators":[],"attributes":["items"],"visibility":null} | 0"#],
    );
    s.expect(
        "SELECT name, complexity FROM functions ORDER BY complexity DESC, name LIMIT 3",
        &[],
        &["create_order | 3", "place | 2", "save | 2"],
    );
    let q4 = s.q("SELECT COUNT(*) FROM functions");
    assert_eq!(q4["columns"], json!(["count_star"]));
    assert_eq!(q4["rows"], json!([[12]]));
    s.expect(
        "SELECT type, COUNT(*) AS n FROM nodes GROUP BY type ORDER BY n DESC",
        &[],
        &["function | 12", "module | 6", "class | 5", "external | 2"],
    );
    s.expect(
        "SELECT file_path, AVG(complexity) AS avg_c FROM functions GROUP BY file_path HAVING COUNT(*) > 1 ORDER BY avg_c DESC",
        &[],
        &[
            "src/shop/api.py | 1.6666666666666667",
            "src/shop/models.py | 1.6666666666666667",
            "src/shop/service.py | 1.5",
            "src/shop/repo.py | 1.3333333333333333",
        ],
    );
    s.expect(
        "SELECT name FROM modules WHERE name = 'api' OR name = 'repo'",
        &[],
        &["api", "repo"],
    );
    s.expect(
        "SELECT id FROM functions WHERE (name = 'lookup' OR name LIKE '%order%') AND complexity > 1",
        &[],
        &["fn:src/shop/api.py:create_order"],
    );
    s.expect(
        "SELECT name FROM classes WHERE name LIKE '%Order'",
        &[],
        &["BulkOrder", "Order"],
    );
    s.expect(
        "SELECT name FROM classes WHERE name LIKE 'order%'",
        &[],
        &[],
    );
    s.expect(
        "SELECT name FROM classes WHERE name ILIKE 'order%'",
        &[],
        &["Order", "OrderRepo", "OrderService"],
    );
    s.expect(
        "SELECT qualified_name, parent_id FROM methods WHERE name = 'total'",
        &[],
        &[
            "src/shop/models.py:BulkOrder.total | cls:src/shop/models.py:BulkOrder",
            "src/shop/models.py:Order.total | cls:src/shop/models.py:Order",
        ],
    );
    s.expect(
        "SELECT id FROM functions WHERE properties.return_type = 'int'",
        &[],
        &[
            "fn:src/shop/api.py:create_order",
            "fn:src/shop/models.py:BulkOrder.total",
            "fn:src/shop/models.py:Order.total",
            "fn:src/shop/service.py:OrderService.place",
        ],
    );
    s.expect(
        "SELECT name, fan_in FROM classes ORDER BY fan_in DESC LIMIT 2",
        &[],
        &["Order | 4", "Item | 3"],
    );
    s.expect(
        "SELECT source_id, target_id, line FROM edges WHERE type = 'imports' AND target_id LIKE 'ext:%'",
        &[],
        &[
            "mod:src/shop/models.py | ext:dataclasses | 2",
            "mod:tests/test_service.py | ext:pytest | 1",
        ],
    );
    s.expect(
        "SELECT target_file, COUNT(*) AS importers FROM edges WHERE type = 'imports' AND target_file IS NOT NULL GROUP BY target_file ORDER BY importers DESC",
        &[],
        &[
            "src/shop/models.py | 3",
            "src/shop/repo.py | 2",
            "src/shop/service.py | 2",
            "src/shop/api.py | 1",
        ],
    );
    for text in [
        "fn c>1 sort c- 3",
        "SELECT * FROM functions WHERE complexity > 1 ORDER BY complexity DESC LIMIT 3",
    ] {
        s.expect(
            text,
            &[0],
            &[
                "fn:src/shop/api.py:create_order",
                "fn:src/shop/models.py:BulkOrder.total",
                "fn:src/shop/models.py:Order.total",
            ],
        );
    }
    assert_eq!(s.columns("cls n~'Order%'"), json!(NODE_COLUMNS));
    s.expect(
        "cls n~'Order%'",
        &[2],
        &["Order", "OrderRepo", "OrderService"],
    );

    // Q17 – Q24: SHOW.
    assert_eq!(
        s.columns("SHOW dependencies OF OrderService.place"),
        json!(LIST)
    );
    s.expect(
        "SHOW dependencies OF OrderService.place",
        &[],
        &[
            "cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | 1 | uses",
            "fn:src/shop/api.py:notify | function | notify | src/shop/api.py | 5 | 1 | calls",
            "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 1 | calls",
            "fn:src/shop/models.py:Order.total | function | total | src/shop/models.py | 15 | 1 | calls",
            "fn:src/shop/repo.py:OrderRepo.save | function | save | src/shop/repo.py | 8 | 1 | calls",
        ],
    );
    for text in ["SHOW dependents OF Item", "rdeps Item"] {
        s.expect(
            text,
            &[],
            &[
                "fn:src/shop/api.py:lookup | function | lookup | src/shop/api.py | 9 | 1 | calls",
                "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 1 | uses",
                "fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | 1 | uses",
            ],
        );
    }
    s.expect(
        "SHOW callers OF OrderService.place DEPTH 2",
        &[0, 5, 6],
        &[
            "fn:src/shop/api.py:create_order | 1 | calls",
            "fn:tests/test_service.py:test_place_rejects_empty | 1 | calls",
        ],
    );
    s.expect(
        "SHOW children OF 'src/shop/models.py' DEPTH 2",
        &[],
        &[
            "cls:src/shop/models.py:BulkOrder | class | BulkOrder | src/shop/models.py | 19 | 1 | contains",
            "cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | 1 | contains",
            "cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | 1 | contains",
            "fn:src/shop/models.py:BulkOrder.total | function | total | src/shop/models.py | 20 | 2 | contains",
            "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 2 | contains",
            "fn:src/shop/models.py:Order.total | function | total | src/shop/models.py | 15 | 2 | contains",
        ],
    );
    s.expect(
        "SHOW parents OF save DEPTH 2",
        &[],
        &[
            "cls:src/shop/repo.py:OrderRepo | class | OrderRepo | src/shop/repo.py | 4 | 1 | contains",
            "mod:src/shop/repo.py | module | repo | src/shop/repo.py | 1 | 2 | contains",
        ],
    );
    s.expect(
        "SHOW inheritance OF BulkOrder",
        &[0],
        &["cls:src/shop/models.py:Order"],
    );
    s.expect(
        "SHOW implementations OF Order",
        &[0],
        &["cls:src/shop/models.py:BulkOrder"],
    );
    for text in ["SHOW impact OF Order", "impact Order"] {
        s.expect(
            text,
            &[],
            &[
                "cls:src/shop/models.py:BulkOrder | class | BulkOrder | src/shop/models.py | 19 | 1 | inherits",
                "fn:src/shop/repo.py:OrderRepo.__init__ | function | __init__ | src/shop/repo.py | 5 | 1 | uses",
                "fn:src/shop/repo.py:OrderRepo.get | function | get | src/shop/repo.py | 13 | 1 | uses",
                "fn:src/shop/repo.py:OrderRepo.save | function | save | src/shop/repo.py | 8 | 1 | uses",
                "fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | 2 | calls",
                "fn:tests/test_service.py:test_place_rejects_empty | function | test_place_rejects_empty | tests/test_service.py | 7 | 2 | calls",
                "fn:src/shop/api.py:create_order | function | create_order | src/shop/api.py | 13 | 3 | calls",
            ],
        );
    }
    s.expect(
        "SHOW ancestors OF create_order",
        &[],
        &[
            "cls:src/shop/service.py:OrderService | class | OrderService | src/shop/service.py | 6 | 1 | uses",
            "fn:src/shop/api.py:lookup | function | lookup | src/shop/api.py | 9 | 1 | calls",
            "fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | 1 | calls",
            "cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | 2 | calls",
            "fn:src/shop/api.py:notify | function | notify | src/shop/api.py | 5 | 2 | calls",
            "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 2 | calls",
            "fn:src/shop/models.py:Order.total | function | total | src/shop/models.py | 15 | 2 | calls",
            "fn:src/shop/repo.py:OrderRepo.save | function | save | src/shop/repo.py | 8 | 2 | calls",
            "cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | 3 | uses",
        ],
    );
    s.expect(
        "SHOW impact OF 'src/shop/models.py' VIA imports",
        &[0, 5],
        &[
            "mod:src/shop/api.py | 1",
            "mod:src/shop/repo.py | 1",
            "mod:src/shop/service.py | 1",
            "mod:tests/test_service.py | 2",
        ],
    );

    // Q25 – Q28: FIND.
    s.expect(
        "FIND classes MATCHING 'order'",
        &[2],
        &["BulkOrder", "Order", "OrderRepo", "OrderService"],
    );
    s.expect(
        "FIND classes MATCHING 'Order*'",
        &[2],
        &["Order", "OrderRepo", "OrderService"],
    );
    let none = s.q("FIND functions MATCHING 'hash'");
    assert_eq!(
        (&none["rows"], &none["columns"]),
        (&json!([]), &json!(LIST))
    );
    s.expect(
        "FIND functions CALLING Order.total",
        &[0, 5],
        &[
            "fn:src/shop/models.py:BulkOrder.total | 1",
            "fn:src/shop/service.py:OrderService.place | 1",
            "fn:src/shop/api.py:create_order | 2",
            "fn:tests/test_service.py:test_place_rejects_empty | 2",
        ],
    );
    s.expect(
        "FIND functions CALLING Order.total DEPTH 1",
        &[0, 5],
        &[
            "fn:src/shop/models.py:BulkOrder.total | 1",
            "fn:src/shop/service.py:OrderService.place | 1",
        ],
    );
    s.expect(
        "FIND functions CALLED BY create_order",
        &[0, 5],
        &[
            "fn:src/shop/api.py:lookup | 1",
            "fn:src/shop/service.py:OrderService.place | 1",
            "fn:src/shop/api.py:notify | 2",
            "fn:src/shop/models.py:Order.__init__ | 2",
            "fn:src/shop/models.py:Order.total | 2",
            "fn:src/shop/repo.py:OrderRepo.save | 2",
        ],
    );
    s.expect(
        "FIND modules IMPORTING 'src/shop/repo.py'",
        &[0, 5],
        &[
            "mod:src/shop/service.py | 1",
            "mod:tests/test_service.py | 1",
            "mod:src/shop/api.py | 2",
        ],
    );
    s.expect(
        "FIND classes INHERITING Order",
        &[0],
        &["cls:src/shop/models.py:BulkOrder"],
    );
    s.expect(
        "FIND classes WITH DECORATOR '@dataclass'",
        &[0, 5, 6],
        &["cls:src/shop/models.py:Item | null | null"],
    );
    // FIND … WHERE and LIMIT (the SQL filter over the traversal's result).
    s.expect(
        "FIND functions CALLING Order.total WHERE file_path LIKE 'src/%' AND complexity >= 2 LIMIT 2",
        &[0, 5],
        &[
            "fn:src/shop/models.py:BulkOrder.total | 1",
            "fn:src/shop/service.py:OrderService.place | 1",
        ],
    );

    // Q29: cycles.
    for text in ["FIND CYCLES", "cycles"] {
        let r = s.q(text);
        assert_eq!(r["columns"], json!(["cycle_id", "kind", "size", "nodes"]));
        assert_eq!(
            r["rows"],
            json!([[
                1,
                "cycle",
                2,
                ["mod:src/shop/api.py", "mod:src/shop/service.py"]
            ]]),
            "{text}"
        );
    }
    s.expect("FIND CYCLES WHERE edge_type = 'calls'", &[], &[]);

    // Q30: PATH.
    let path_columns = json!([
        "step",
        "id",
        "type",
        "name",
        "file_path",
        "line_start",
        "edge_type",
        "edge_line"
    ]);
    assert_eq!(
        s.columns("PATH FROM test_place_rejects_empty TO Item"),
        path_columns
    );
    s.expect(
        "PATH FROM test_place_rejects_empty TO Item",
        &[],
        &[
            "0 | fn:tests/test_service.py:test_place_rejects_empty | function | test_place_rejects_empty | tests/test_service.py | 7 | null | null",
            "1 | fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | calls | 10",
            "2 | cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | uses | 10",
        ],
    );
    s.expect(
        "PATH FROM 'tests/test_service.py' TO 'src/shop/models.py' VIA imports",
        &[1, 6, 7],
        &[
            "mod:tests/test_service.py | null | null",
            "mod:src/shop/repo.py | imports | 3",
            "mod:src/shop/models.py | imports | 1",
        ],
    );
    let nopath = s.q("PATH FROM lookup TO notify MAX DEPTH 3");
    assert_eq!(nopath["error"], Value::Null);
    assert_eq!(nopath["rows"], json!([]));
    assert_eq!(nopath["columns"], path_columns);
    assert_eq!(
        nopath["message"],
        "No path from fn:src/shop/api.py:lookup to fn:src/shop/api.py:notify within depth 3"
    );

    // Q31 – Q32: ANALYZE.
    s.expect(
        "ANALYZE complexity LIMIT 3",
        &[],
        &[
            "fn:src/shop/api.py:create_order | create_order | src/shop/api.py | 13 | 3",
            "fn:src/shop/models.py:BulkOrder.total | total | src/shop/models.py | 20 | 2",
            "fn:src/shop/models.py:Order.total | total | src/shop/models.py | 15 | 2",
        ],
    );
    assert_eq!(
        s.columns("ANALYZE hotspots LIMIT 3"),
        json!(["id", "name", "file_path", "complexity", "fan_in", "score"])
    );
    s.expect(
        "ANALYZE hotspots LIMIT 3",
        &[0, 3, 4, 5],
        &[
            "fn:src/shop/models.py:Order.total | 2 | 2 | 6",
            "fn:src/shop/service.py:OrderService.place | 2 | 2 | 6",
            "fn:src/shop/repo.py:OrderRepo.save | 2 | 1 | 4",
        ],
    );
    s.expect(
        "ANALYZE coupling",
        &[],
        &[
            "mod:src/shop/service.py | src/shop/service.py | 2 | 3 | 0.6",
            "mod:src/shop/api.py | src/shop/api.py | 1 | 2 | 0.667",
            "mod:src/shop/models.py | src/shop/models.py | 3 | 0 | 0.0",
            "mod:src/shop/repo.py | src/shop/repo.py | 2 | 1 | 0.333",
            "mod:tests/test_service.py | tests/test_service.py | 0 | 2 | 1.0",
            "mod:src/shop/__init__.py | src/shop/__init__.py | 0 | 0 | null",
        ],
    );
    s.expect(
        "ANALYZE unused",
        &[0],
        &[
            "cls:src/shop/models.py:BulkOrder",
            "fn:src/shop/api.py:create_order",
            "fn:src/shop/repo.py:OrderRepo.get",
        ],
    );

    // Q33: schema.
    assert_eq!(
        s.columns("SHOW TABLES"),
        json!(["table_name", "kind", "row_count", "description"])
    );
    s.expect(
        "SHOW TABLES",
        &[0, 1, 2],
        &[
            "nodes | table | 25",
            "edges | table | 47",
            "metadata | table | 8",
            "functions | view | 12",
            "classes | view | 5",
            "modules | view | 6",
            "methods | view | 8",
        ],
    );
    assert_eq!(
        s.columns("DESCRIBE edges"),
        json!(["column_name", "data_type", "derived", "description"])
    );
    s.expect(
        "DESCRIBE edges",
        &[0, 2],
        &[
            "id | false",
            "source_id | false",
            "target_id | false",
            "type | false",
            "properties | false",
            "line | true",
            "type_only | true",
            "source_file | true",
            "target_file | true",
            "source_type | true",
            "target_type | true",
            "properties.<key> | true",
        ],
    );

    // Q34: SQL mode.
    let q34 = s.q("SELECT n.name, COUNT(*) AS calls_out FROM nodes n JOIN edges e ON e.source_id = n.id AND e.type = 'calls' GROUP BY n.name ORDER BY calls_out DESC, n.name LIMIT 2");
    assert_eq!(q34["mode"], "sql");
    assert_eq!(q34["columns"], json!(["name", "calls_out"]));
    assert_eq!(
        rows(&q34, &[]),
        ["place | 4", "test_place_rejects_empty | 3"]
    );
    let lookup = s.q("SELECT * FROM nodes WHERE name LIKE '%order%' ORDER BY CASE WHEN name = 'order' THEN 0 ELSE 1 END LIMIT 1");
    assert_eq!(lookup["mode"], "sql");
    assert_eq!(lookup["columns"], json!(NODE_COLUMNS));
    assert_eq!(
        rows(&lookup, &[0, 1, 2, 5, 6, 8]),
        ["fn:src/shop/api.py:create_order | function | create_order | 13 | 15 | 3"]
    );

    // Q35: errors, as results of a 200 answer.
    assert!(s.error("SELECT nme FROM functions").starts_with(
        "Unknown field 'nme' at line 1, column 8 (table functions). Known fields: id, type, name, "
    ));
    let missing = s.q("SELECT nme FROM functions");
    assert_eq!(
        missing["error_position"],
        json!({"line": 1, "column": 8, "offset": 7})
    );
    assert!(s
        .error("SHOW callers OF Nope")
        .starts_with("Node not found: 'Nope'. Use a full id such as cls:path/to/file.py:Name."));
    assert!(s
        .error("DELETE FROM nodes")
        .starts_with("Syntax error at line 1, column 1: expected a statement"));
    assert_eq!(
        s.error("SELECT * FROM read_csv('/etc/passwd')"),
        "Only read-only SELECT or WITH queries over nodes, edges and metadata are allowed"
    );
}

#[test]
fn dispatch_between_muql_and_sql_and_their_errors() {
    let env = DaemonEnv::new();
    let root = shop(&env, "shop");
    let (_, port, _) = env.start(&root, &["--port", "0"]);
    let s = Shop { port };

    // MU's client statements work in MUQL mode with the real column names.
    for text in [
        "SELECT * FROM nodes WHERE file_path = 'src/shop/api.py' AND type = 'module' LIMIT 1",
        "SELECT * FROM nodes WHERE file_path LIKE '%shop/api.py' AND type = 'module' LIMIT 1",
        "SELECT * FROM nodes WHERE name = 'api' LIMIT 1",
    ] {
        let r = s.q(text);
        assert_eq!(r["mode"], "muql", "{text}");
        assert_eq!(r["columns"], json!(NODE_COLUMNS));
        assert_eq!(rows(&r, &[0]), ["mod:src/shop/api.py"], "{text}");
    }
    // Neither MUQL nor SQL: the MUQL error with its position, then DuckDB's parser message.
    let bad = s.q("SELECT name FROM functions WHERE name = = 'x'");
    let e = bad["error"].as_str().unwrap();
    assert!(
        e.starts_with("Syntax error at line 1, column 41: expected a value (string, number, TRUE, FALSE or NULL); found '=' | as SQL: "),
        "{e}"
    );
    assert_eq!(
        bad["error_position"],
        json!({"line": 1, "column": 41, "offset": 40})
    );
    // A misspelt table is told even though the text is (refused) SQL.
    assert_eq!(
        s.error("SELECT * FROM funcs"),
        "Syntax error at line 1, column 15: unknown table 'funcs' — did you mean 'functions'? | as SQL: Only read-only SELECT or WITH queries over nodes, edges and metadata are allowed"
    );
    // Several statements, MUQL or SQL.
    for text in ["SHOW TABLES; SHOW TABLES", "SELECT 1; SELECT 2"] {
        assert_eq!(s.error(text), "Only one statement per query is allowed");
    }
    // Semantic errors have no SQL fallback.
    assert_eq!(
        s.error("SHOW callers OF Order.total DEPTH 0"),
        "DEPTH must be at least 1 (line 1, column 35)"
    );
    assert_eq!(
        s.error("SHOW callers OF Order.total VIA calls"),
        "VIA is only allowed with DEPENDENCIES, DEPENDENTS, IMPACT, ANCESTORS and PATH"
    );
    // Depth capping and ambiguity are warnings.
    let capped = s.q("SHOW callers OF Order.total DEPTH 50");
    assert!(
        capped["warning"].as_str().unwrap().contains("20"),
        "{capped}"
    );
    let ambiguous = s.q("SHOW callers OF total");
    assert_eq!(
        ambiguous["warning"],
        "'total' matched 2 nodes; using fn:src/shop/models.py:Order.total (also: fn:src/shop/models.py:BulkOrder.total)"
    );
    // The text cap.
    let long = format!("SELECT id FROM nodes WHERE name = '{}'", "x".repeat(70_000));
    assert!(s.error(&long).starts_with("Query text is too long: "));
}

fn query_cli(env: &DaemonEnv, cwd: &Path, args: &[&str]) -> crate::daemon_support::Out {
    let mut a = vec!["query"];
    a.extend_from_slice(args);
    env.run(cwd, &a)
}

#[test]
fn the_query_command_through_the_daemon_and_on_the_mubase() {
    let env = DaemonEnv::new();
    let root = shop(&env, "shop");
    let sub = root.join("src/shop");

    // No daemon: the mubase does not exist yet.
    let none = query_cli(&env, &root, &["SHOW TABLES"]);
    none.expect_code(1);
    assert!(
        none.stderr.starts_with(
            "Error: No mu project at .: there is no .mu/mubase here or in a parent directory.\nHint: Index it first: mu-daemon index ."
        ),
        "{none:#?}"
    );

    let (_, _port, _) = env.start(&root, &["--port", "0"]);
    let table = query_cli(&env, &sub, &["SHOW callers OF OrderService.place"]);
    table.expect_code(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{table:#?}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "id",
            "type",
            "name",
            "file_path",
            "line_start",
            "depth",
            "via"
        ]
    );
    let first: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        first,
        [
            "fn:src/shop/api.py:create_order",
            "function",
            "create_order",
            "src/shop/api.py",
            "13",
            "1",
            "calls"
        ]
    );
    assert!(lines[3].starts_with("(2 rows, "), "{table:#?}");

    let json_out = env.run(
        &root,
        &[
            "--json",
            "query",
            "SELECT name FROM modules WHERE name = 'api'",
        ],
    );
    json_out.expect_code(0);
    let v = json_out.json();
    assert_eq!(v["command"], "query");
    assert_eq!(v["source"], "daemon");
    assert_eq!(v["project_root"], root.display().to_string());
    assert_eq!(v["result"]["rows"], json!([["api"]]));
    assert_eq!(v["result"]["mode"], "muql");

    let csv = query_cli(
        &env,
        &root,
        &[
            "--csv",
            "SELECT id, properties FROM classes WHERE name = 'Item'",
        ],
    );
    csv.expect_code(0);
    assert_eq!(
        csv.stdout,
        "id,properties\ncls:src/shop/models.py:Item,\"{\"\"kind\"\":\"\"class\"\",\"\"bases\"\":[],\"\"decorators\"\":[\"\"dataclass\"\"],\"\"attributes\"\":[\"\"sku\"\",\"\"price\"\"],\"\"visibility\"\":null}\"\n"
    );

    let bad = query_cli(&env, &root, &["SELECT nme FROM functions"]);
    bad.expect_code(1);
    assert!(
        bad.stderr
            .starts_with("Error: Unknown field 'nme' at line 1, column 8 (table functions)."),
        "{bad:#?}"
    );
    assert!(
        bad.stderr
            .ends_with("\n  SELECT nme FROM functions\n         ^\n"),
        "{bad:#?}"
    );
    let bad_json = env.run(&root, &["--json", "query", "SHOW callers OF Nope"]);
    bad_json.expect_code(1);
    let v = bad_json.json();
    assert_eq!(v["error"]["code"], "query_error");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Node not found: 'Nope'."));
    assert_eq!(v["result"]["rows"], json!([]));

    // Without a daemon the mubase is read directly, with the same answers.
    env.run(&root, &["stop"]).expect_code(0);
    let direct = env.run(
        &sub,
        &[
            "--json",
            "query",
            "SHOW impact OF 'src/shop/models.py' VIA imports",
        ],
    );
    direct.expect_code(0);
    let v = direct.json();
    assert_eq!(v["source"], "mubase");
    assert_eq!(
        rows(&v["result"], &[0, 5]),
        [
            "mod:src/shop/api.py | 1",
            "mod:src/shop/repo.py | 1",
            "mod:src/shop/service.py | 1",
            "mod:tests/test_service.py | 2",
        ]
    );
    let both = query_cli(&env, &root, &["--csv", "--json", "SHOW TABLES"]);
    both.expect_code(2);
}
