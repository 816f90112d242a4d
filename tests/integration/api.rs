//! The HTTP API through real HTTP (`http-api.md`): a daemon serving a copy of the shop fixture
//! (the example project of the specs), every endpoint's exact answer, every error path, the
//! guard, and routing by `cwd` between two daemons.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::daemon_support::{get, get_with, http_raw, wait_for, DaemonEnv, Resp};
use crate::support::{copy_dir, fixtures_dir};

const T: Duration = Duration::from_secs(30);

fn shop(env: &DaemonEnv, name: &str) -> PathBuf {
    let root = env.work().join(name);
    copy_dir(&fixtures_dir().join("shop"), &root);
    root.canonicalize().unwrap()
}

/// `POST path` with a JSON body (as text) and extra header lines.
fn post_raw(port: u16, path: &str, body: &str, headers: &[&str]) -> Resp {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    req.push_str(body);
    http_raw(port, req.as_bytes(), T).expect("POST")
}

fn post(port: u16, path: &str, body: Value) -> Resp {
    post_raw(
        port,
        path,
        &body.to_string(),
        &["Content-Type: application/json"],
    )
}

fn ok(r: Resp) -> Value {
    assert_eq!(r.status, 200, "{} {r:#?}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"), "{r:#?}");
    r.json()
}

fn err(r: &Resp, status: u16, detail: &str) {
    assert_eq!(r.status, status, "{} {r:#?}", r.text());
    assert_eq!(r.json(), json!({ "detail": detail }), "{r:#?}");
    assert_eq!(r.header("content-type"), Some("application/json"));
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().or_else(|| n["id"].as_str()).unwrap())
        .collect()
}

/// Wait until the graph snapshot is loaded (the first graph request waits for it anyway; this
/// keeps the individual assertions below free of that first-load time).
fn graph_ready(port: u16) {
    let r = post(port, "/cycles", json!({}));
    assert_eq!(r.status, 200, "{r:#?}");
}

#[test]
fn nodes_and_neighbors_on_the_shop_fixture() {
    let env = DaemonEnv::new();
    let root = shop(&env, "shop");
    let (_, port, _) = env.start(&root, &["--port", "0"]);
    graph_ready(port);
    let project = root.display().to_string();

    // §4.3: percent-encoded id, both paths, both type fields, properties as an object.
    let r = get(port, "/node/cls%3Asrc%2Fshop%2Fmodels.py%3AOrder").unwrap();
    assert_eq!(r.header("x-mu-project"), Some(project.as_str()));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.assert_no_cors();
    let order = json!({"id": "cls:src/shop/models.py:Order", "type": "class", "node_type": "class",
        "name": "Order", "qualified_name": "src/shop/models.py:Order", "file_path": "src/shop/models.py",
        "line_start": 11, "line_end": 16,
        "properties": {"kind": "class", "bases": [], "decorators": [], "attributes": ["items"], "visibility": null},
        "complexity": 0});
    assert_eq!(ok(r), order);
    assert_eq!(
        ok(get(port, "/nodes/cls:src/shop/models.py:Order").unwrap()),
        order
    );
    // References resolved by name, qualified suffix and path (§3.3).
    assert_eq!(
        ok(get(port, "/node/Order").unwrap())["id"],
        "cls:src/shop/models.py:Order"
    );
    assert_eq!(
        ok(get(port, "/node/OrderService.place").unwrap())["id"],
        "fn:src/shop/service.py:OrderService.place"
    );
    assert_eq!(
        ok(get(port, "/node/mod%3Ashop%2Fmodels.py").unwrap())["id"],
        "mod:src/shop/models.py"
    );
    assert_eq!(
        ok(get(port, "/node/repo.py").unwrap())["id"],
        "mod:src/shop/repo.py"
    );
    // `total` matches two methods: same type, the shorter id wins.
    assert_eq!(
        ok(get(port, "/node/total").unwrap())["id"],
        "fn:src/shop/models.py:Order.total"
    );
    let external = ok(get(port, "/node/ext%3Apytest").unwrap());
    assert_eq!(external["file_path"], Value::Null);
    assert_eq!(external["type"], "external");

    let r = get(port, "/node/Nope").unwrap();
    err(&r, 404, "Node not found: Nope");
    assert_eq!(r.header("x-mu-project"), Some(project.as_str()));
    err(
        &get(port, "/node/a%zz").unwrap(),
        400,
        "Invalid percent-encoding in node id",
    );
    err(
        &get(port, "/node/%C3").unwrap(),
        400,
        "Invalid percent-encoding in node id",
    );

    // §4.4: outgoing first, then incoming, each in id order; edges to those neighbours.
    let n = ok(get(
        port,
        "/nodes/cls%3Asrc%2Fshop%2Fmodels.py%3AOrder/neighbors",
    )
    .unwrap());
    assert_eq!(n["node_id"], "cls:src/shop/models.py:Order");
    assert_eq!(n["direction"], "both");
    assert_eq!(
        ids(&n["neighbors"]),
        vec![
            "fn:src/shop/models.py:Order.__init__",
            "fn:src/shop/models.py:Order.total",
            "cls:src/shop/models.py:BulkOrder",
            "fn:src/shop/repo.py:OrderRepo.__init__",
            "fn:src/shop/repo.py:OrderRepo.get",
            "fn:src/shop/repo.py:OrderRepo.save",
            "mod:src/shop/models.py",
        ]
    );
    assert_eq!(
        ids(&n["edges"]),
        vec![
            "edge:cls:src/shop/models.py:Order:contains:fn:src/shop/models.py:Order.__init__",
            "edge:cls:src/shop/models.py:Order:contains:fn:src/shop/models.py:Order.total",
            "edge:cls:src/shop/models.py:BulkOrder:inherits:cls:src/shop/models.py:Order",
            "edge:fn:src/shop/repo.py:OrderRepo.__init__:uses:cls:src/shop/models.py:Order",
            "edge:fn:src/shop/repo.py:OrderRepo.get:uses:cls:src/shop/models.py:Order",
            "edge:fn:src/shop/repo.py:OrderRepo.save:uses:cls:src/shop/models.py:Order",
            "edge:mod:src/shop/models.py:contains:cls:src/shop/models.py:Order",
        ]
    );
    assert_eq!(n["neighbors"][0]["node_type"], "function");
    assert_eq!(
        n["edges"][2]["source_id"],
        "cls:src/shop/models.py:BulkOrder"
    );
    assert_eq!(n["edges"][2]["type"], "inherits");
    let n = ok(get(
        port,
        "/node/Order/neighbors?direction=incoming&edge_types=inherits,calls",
    )
    .unwrap());
    assert_eq!(
        ids(&n["neighbors"]),
        vec!["cls:src/shop/models.py:BulkOrder"]
    );
    let n = ok(get(port, "/node/Order/neighbors?direction=outgoing&edge_types=").unwrap());
    assert_eq!(n["neighbors"].as_array().unwrap().len(), 2);
    // Node first (404), then direction (400).
    err(
        &get(port, "/node/Nope/neighbors?direction=up").unwrap(),
        404,
        "Node not found: Nope",
    );
    err(
        &get(port, "/node/Order/neighbors?direction=up").unwrap(),
        400,
        "Invalid direction",
    );

    // §4.5: exact ids (path part normalised), request order, duplicates collapsed (also when
    // they differ only before normalisation), missing listed.
    let b = ok(post(
        port,
        "/nodes",
        json!({"ids": ["mod:src/shop/repo.py", "Order", "ext:pytest", "mod:./src//shop/repo.py", "fn:./src/shop/api.py:notify"]}),
    ));
    assert_eq!(
        ids(&b["nodes"]),
        vec![
            "mod:src/shop/repo.py",
            "ext:pytest",
            "fn:src/shop/api.py:notify"
        ]
    );
    assert_eq!(b["missing"], json!(["Order"]));
    err(
        &post(port, "/nodes", json!({"ids": []})),
        422,
        "Field 'ids' must hold 1 to 1000 ids",
    );
    let many: Vec<String> = (0..1001).map(|i| format!("x{i}")).collect();
    err(
        &post(port, "/nodes", json!({ "ids": many })),
        422,
        "Field 'ids' must hold 1 to 1000 ids",
    );
    err(
        &post(port, "/nodes", json!({})),
        422,
        "Field 'ids' is required",
    );
    err(
        &post(port, "/nodes", json!({"ids": "a"})),
        422,
        "Field 'ids' must be a list of strings",
    );
}

#[test]
fn traversals_cycles_export_and_query_on_the_shop_fixture() {
    let env = DaemonEnv::new();
    let root = shop(&env, "shop");
    let (_, port, _) = env.start(&root, &["--port", "0"]);
    graph_ready(port);

    // §4.8: impact = dependents, breadth first, id order per level.
    let i = ok(post(port, "/impact", json!({"node": "src/shop/models.py"})));
    assert_eq!(
        i,
        json!({"node_id": "mod:src/shop/models.py",
               "impacted_nodes": ["mod:src/shop/api.py", "mod:src/shop/repo.py", "mod:src/shop/service.py", "mod:tests/test_service.py"],
               "count": 4, "depth": null, "edge_types": ["imports", "calls", "inherits", "uses"]})
    );
    let i = ok(post(
        port,
        "/impact",
        json!({"node_id": "Order", "depth": 1, "edge_types": ["inherits"]}),
    ));
    assert_eq!(
        i,
        json!({"node_id": "cls:src/shop/models.py:Order", "impacted_nodes": ["cls:src/shop/models.py:BulkOrder"],
               "count": 1, "depth": 1, "edge_types": ["inherits"]})
    );
    // §4.9: ancestors = dependencies.
    let a = ok(post(
        port,
        "/ancestors",
        json!({"node": "fn:src/shop/api.py:create_order"}),
    ));
    assert_eq!(
        a,
        json!({"node_id": "fn:src/shop/api.py:create_order",
               "ancestor_nodes": ["cls:src/shop/service.py:OrderService", "fn:src/shop/api.py:lookup",
                                  "fn:src/shop/service.py:OrderService.place", "cls:src/shop/models.py:Item",
                                  "fn:src/shop/api.py:notify", "fn:src/shop/models.py:Order.__init__",
                                  "fn:src/shop/models.py:Order.total", "fn:src/shop/repo.py:OrderRepo.save",
                                  "cls:src/shop/models.py:Order"],
               "count": 9, "depth": null, "edge_types": ["imports", "calls", "inherits", "uses"]})
    );
    assert_eq!(
        ok(post(
            port,
            "/ancestors",
            json!({"node": "Order", "depth": 50})
        ))["depth"],
        20
    );
    err(
        &post(port, "/impact", json!({})),
        422,
        "Field 'node' is required",
    );
    err(
        &post(port, "/impact", json!({"node": "a", "node_id": "b"})),
        422,
        "Fields 'node' and 'node_id' must be equal when both are given",
    );
    err(
        &post(port, "/impact", json!({"node": "Order", "depth": "3"})),
        422,
        "Field 'depth' must be an integer",
    );
    err(
        &post(port, "/impact", json!({"node": "Order", "depth": 0})),
        422,
        "Field 'depth' must be at least 1",
    );
    err(
        &post(
            port,
            "/impact",
            json!({"node": "Order", "edge_types": "calls"}),
        ),
        422,
        "Field 'edge_types' must be a list of strings",
    );
    err(
        &post(port, "/ancestors", json!({"node": "Nope"})),
        404,
        "Node not found: Nope",
    );

    // §4.10
    let d = ok(post(
        port,
        "/deps",
        json!({"node": "OrderService.place", "depth": 1}),
    ));
    assert_eq!(
        d,
        json!({"node_id": "fn:src/shop/service.py:OrderService.place", "direction": "outgoing", "depth": 1,
               "edge_types": ["imports", "calls", "inherits", "uses"],
               "dependencies": ["cls:src/shop/models.py:Item", "fn:src/shop/api.py:notify",
                                "fn:src/shop/models.py:Order.__init__", "fn:src/shop/models.py:Order.total",
                                "fn:src/shop/repo.py:OrderRepo.save"],
               "count": 5})
    );
    let d = ok(post(
        port,
        "/deps",
        json!({"node": "mod:src/shop/repo.py", "direction": "both"}),
    ));
    assert_eq!(
        ids(&d["dependencies"]),
        vec![
            "mod:src/shop/models.py",
            "ext:dataclasses",
            "mod:src/shop/service.py",
            "mod:tests/test_service.py",
            "mod:src/shop/api.py"
        ]
    );
    assert_eq!(d["depth"], 2);
    err(
        &post(port, "/deps", json!({"node": "Order", "direction": "up"})),
        400,
        "Invalid direction",
    );

    // §4.11: the service ↔ api import cycle.
    let c = ok(post_raw(port, "/cycles", "", &[]));
    assert_eq!(
        c,
        json!({"cycles": [["mod:src/shop/api.py", "mod:src/shop/service.py"]], "cycle_count": 1,
               "total_nodes_in_cycles": 2, "self_loops": [], "edge_types": ["imports"]})
    );
    let c = ok(post(port, "/cycles", json!({"edge_types": ["calls"]})));
    assert_eq!(c["cycle_count"], 0);

    // §4.12 (the renderers are tested byte for byte in export::tests): content types, errors.
    let sel = "nodes=cls:src/shop/models.py:Order,cls:src/shop/models.py:BulkOrder,fn:src/shop/models.py:Order.total,fn:src/shop/models.py:BulkOrder.total";
    let r = get(port, &format!("/export?format=d2&{sel}")).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.text(),
        "direction: right\n\n\
         \"cls:src/shop/models.py:BulkOrder\": \"BulkOrder\" {shape: class}\n\
         \"cls:src/shop/models.py:Order\": \"Order\" {shape: class}\n\
         \"fn:src/shop/models.py:BulkOrder.total\": \"total\" {shape: rectangle}\n\
         \"fn:src/shop/models.py:Order.total\": \"total\" {shape: rectangle}\n\n\
         \"cls:src/shop/models.py:BulkOrder\" -> \"fn:src/shop/models.py:BulkOrder.total\": contains\n\
         \"cls:src/shop/models.py:BulkOrder\" -> \"cls:src/shop/models.py:Order\": inherits\n\
         \"cls:src/shop/models.py:Order\" -> \"fn:src/shop/models.py:Order.total\": contains\n\
         \"fn:src/shop/models.py:BulkOrder.total\" -> \"fn:src/shop/models.py:Order.total\": calls\n"
    );
    let j = ok(get(port, "/export").unwrap());
    assert_eq!(j["format"], "mubase-json");
    assert_eq!(j["stats"]["node_count"], 25);
    assert_eq!(j["stats"]["edge_count"], 47);
    assert_eq!(j["project_root"], root.display().to_string());
    let m = get(port, "/export?format=mermaid&level=module").unwrap();
    assert!(m.text().starts_with("flowchart LR\n"), "{}", m.text());
    assert_eq!(
        get(port, "/export?format=dot")
            .unwrap()
            .header("content-type"),
        Some("text/vnd.graphviz; charset=utf-8")
    );
    assert_eq!(
        get(port, "/export?format=cytoscape")
            .unwrap()
            .header("content-type"),
        Some("application/json")
    );
    err(
        &get(port, "/export?format=lisp").unwrap(),
        400,
        "Unknown format: lisp. Available: cytoscape, d2, dot, json, mermaid, mu",
    );
    err(
        &get(port, "/export?format=mermaid&types=klass").unwrap(),
        400,
        "Invalid node type: 'klass' is not a valid NodeType",
    );
    err(
        &get(port, "/export?level=file").unwrap(),
        400,
        "Invalid level: file",
    );
    err(
        &get(port, "/export?format=mu&max_nodes=0").unwrap(),
        422,
        "max_nodes must be a positive integer",
    );

    // §4.6: MU's client statements, real column names, the envelope.
    let q = ok(post(
        port,
        "/query",
        json!({"muql": "SELECT * FROM nodes WHERE file_path = 'src/shop/repo.py' AND type = 'module' LIMIT 1"}),
    ));
    assert_eq!(q["success"], true);
    assert_eq!(q["error"], Value::Null);
    assert_eq!(
        q["result"]["columns"],
        json!([
            "id",
            "type",
            "name",
            "qualified_name",
            "file_path",
            "line_start",
            "line_end",
            "properties",
            "complexity"
        ])
    );
    assert_eq!(q["result"]["row_count"], 1);
    assert_eq!(q["result"]["rows"][0][0], "mod:src/shop/repo.py");
    assert_eq!(q["result"]["rows"][0][5], 1);
    assert!(
        q["result"]["rows"][0][7].is_string(),
        "properties is JSON text"
    );
    assert_eq!(q["result"]["error"], Value::Null);
    assert!(q["result"]["execution_time_ms"].is_f64());
    let q = ok(post(
        port,
        "/query",
        json!({"muql": "SELECT * FROM nodes WHERE name LIKE '%order%' ORDER BY CASE WHEN name = 'order' THEN 0 ELSE 1 END, id LIMIT 1"}),
    ));
    assert_eq!(q["result"]["rows"][0][0], "fn:src/shop/api.py:create_order");
    for refused in [
        "SELECT * FROM read_csv('/etc/passwd')",
        "DELETE FROM nodes",
        "ATTACH '/tmp/x.db'",
        "COPY nodes TO '/tmp/mu-daemon-copy.csv'",
        "INSTALL httpfs",
    ] {
        let q = ok(post(port, "/query", json!({ "muql": refused })));
        assert_eq!(q["success"], true, "{refused}");
        assert_eq!(q["result"]["rows"], json!([]), "{refused}");
        assert_eq!(q["result"]["row_count"], 0, "{refused}");
        assert!(q["result"]["error"].is_string(), "{refused}: {q}");
    }
    assert!(!Path::new("/tmp/mu-daemon-copy.csv").exists());
    let q = ok(post(
        port,
        "/query",
        json!({"muql": "SELECT count(*) AS n FROM nodes"}),
    ));
    assert_eq!(q["result"]["rows"], json!([[25]]));
    let q = ok(post(
        port,
        "/query",
        json!({"muql": "SELECT 1; DELETE FROM nodes"}),
    ));
    assert_eq!(
        q["result"]["error"],
        "Only one statement per query is allowed"
    );
    err(
        &post(port, "/query", json!({})),
        422,
        "Field 'muql' is required",
    );
    err(
        &post(port, "/query", json!({"muql": 1})),
        422,
        "Field 'muql' must be a string",
    );

    // §4.14 and §4.15
    err(
        &post(port, "/build", json!({"path": "/x"})),
        422,
        "Field 'path' is not supported; use cwd",
    );
    let b = ok(post(port, "/build", json!({})));
    assert_eq!(b["mode"], "incremental");
    assert_eq!(b["node_count"], 25);
    assert_eq!(b["project_root"], root.display().to_string());
    let o = ok(get(port, "/openapi.json").unwrap());
    assert_eq!(o["openapi"], "3.1.0");
    assert!(o["paths"]["/impact"]["post"].is_object());
}

#[test]
fn request_checks_and_their_order() {
    let env = DaemonEnv::new();
    let root = shop(&env, "shop");
    let (_, port, _) = env.start(&root, &["--port", "0"]);
    let project = root.display().to_string();

    // Bodies (§2.7).
    let r = post_raw(
        port,
        "/impact",
        "{\"node\": ",
        &["Content-Type: application/json"],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON body: "),
        "{r:#?}"
    );
    err(
        &post_raw(
            port,
            "/impact",
            "{\"node\": \"Order\"}",
            &["Content-Type: text/plain"],
        ),
        422,
        "Content-Type must be application/json",
    );
    assert_eq!(
        post_raw(
            port,
            "/cycles",
            "{}",
            &["Content-Type: application/vnd.mu+json; charset=utf-8"]
        )
        .status,
        200
    );
    err(
        &post_raw(port, "/cycles", "[1]", &["Content-Type: application/json"]),
        422,
        "Request body must be a JSON object",
    );
    // A declared length over 1 MiB is refused before the body is read. Only the head is sent:
    // a client still writing a body the server will never read may see its connection reset
    // before it reads the answer. (A streamed body over the limit: `server::call` unit tests.)
    let head = format!(
        "POST /nodes HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: 1048577\r\n\r\n"
    );
    err(
        &http_raw(port, head.as_bytes(), T).expect("POST head"),
        413,
        "Request body too large (limit 1048576 bytes)",
    );
    // Routes and methods (§1).
    err(&get(port, "/context/omega").unwrap(), 404, "Not Found");
    let r = get(port, "/impact").unwrap();
    err(&r, 405, "Method Not Allowed");
    assert_eq!(r.header("allow"), Some("POST"));
    // Guard (§2.3–§2.6): no X-MU-Project on these.
    let r = http_raw(
        port,
        b"GET /status HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
        T,
    )
    .unwrap();
    err(&r, 403, "Host not allowed");
    assert_eq!(r.header("x-mu-project"), None);
    let r = get_with(port, "/node/Order", &["Origin: http://evil.example"]).unwrap();
    err(&r, 403, "Origin not allowed");
    r.assert_no_cors();
    // Routing (§2.12).
    err(
        &get(port, "/status?cwd=relative/dir").unwrap(),
        400,
        "cwd must be an absolute path: relative/dir",
    );
    let nowhere = env.work().join("nowhere");
    std::fs::create_dir_all(&nowhere).unwrap();
    let r = get(port, &format!("/status?cwd={}", nowhere.display())).unwrap();
    err(
        &r,
        404,
        &format!("No MU project (.mu/mubase) found for {}", nowhere.display()),
    );
    assert_eq!(r.header("x-mu-project"), None);
    let sub = root.join("src/shop");
    let s = ok(get(port, &format!("/status?cwd={}", sub.display())).unwrap());
    assert_eq!(s["project_root"], project);
    err(
        &post(
            port,
            &format!("/cycles?cwd={}", root.display()),
            json!({"cwd": sub.display().to_string()}),
        ),
        400,
        "Conflicting cwd in query and body",
    );
    err(
        &post(port, "/cycles", json!({"cwd": 5})),
        422,
        "Field 'cwd' must be a string",
    );
    let r = post(port, "/cycles", json!({"cwd": root.display().to_string()}));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-mu-project"), Some(project.as_str()));
}

#[test]
fn a_token_is_required_everywhere_when_configured() {
    let env = DaemonEnv::new();
    let root = shop(&env, "shop");
    let token = "0123456789abcdef-token";
    let (_, port, _) = env.start(&root, &["--port", "0", "--token", token]);
    for path in ["/health", "/status", "/node/Order", "/openapi.json"] {
        let r = get(port, path).unwrap();
        err(&r, 401, "Not authenticated");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        let r = get_with(port, path, &["Authorization: Bearer wrong-token-0123456"]).unwrap();
        assert_eq!(r.status, 401);
        let r = get_with(port, path, &[&format!("Authorization: bearer {token}")]).unwrap();
        assert_eq!(r.status, 200, "{path}: {r:#?}");
    }
    let r = post_raw(port, "/cycles", "{}", &["Content-Type: application/json"]);
    err(&r, 401, "Not authenticated");
}

#[test]
fn routing_serves_secondary_projects_and_forwards_to_their_daemons() {
    let env = DaemonEnv::new();
    let a = shop(&env, "a");
    let b = env.py_project("b");
    env.run(&b, &["index"]).expect_code(0);
    let (pid_a, port_a, _) = env.start(&a, &["--port", "0"]);
    let b_cwd = b.display().to_string();

    // B has no daemon: A opens it read-only as a secondary project.
    let r = get(port_a, &format!("/status?cwd={b_cwd}")).unwrap();
    assert_eq!(r.header("x-mu-project"), Some(b_cwd.as_str()));
    let s = ok(r);
    assert_eq!(s["project_root"], b_cwd);
    assert_eq!(s["primary"], false);
    assert_eq!(s["watching"], false);
    assert_eq!(s["pid"], pid_a);
    assert_eq!(s["node_count"], 4);
    let mine = ok(get(port_a, "/status").unwrap());
    assert_eq!(mine["active_projects"], 2);
    assert_eq!(
        mine["project_paths"],
        json!([
            a.join(".mu/mubase").display().to_string(),
            b.join(".mu/mubase").display().to_string()
        ])
    );
    let i = ok(post(port_a, "/impact", json!({"node": "f", "cwd": b_cwd})));
    assert_eq!(i["impacted_nodes"], json!(["fn:b.py:g"]));
    // A build of the secondary project reopens it read-write for the build (§2.14).
    std::fs::write(
        b.join("c.py"),
        "from b import g\n\n\ndef h():\n    return g()\n",
    )
    .unwrap();
    let built = ok(post(port_a, "/build", json!({"cwd": b_cwd})));
    assert_eq!(built["project_root"], b_cwd);
    assert_eq!(built["mode"], "incremental");
    assert_eq!(built["node_count"], 6);
    let i = ok(post(port_a, "/impact", json!({"node": "f", "cwd": b_cwd})));
    assert_eq!(i["impacted_nodes"], json!(["fn:b.py:g", "fn:c.py:h"]));
    // The export format is checked after routing: a cwd in no project is a 404 first.
    let nowhere = env.work().join("nowhere");
    std::fs::create_dir_all(&nowhere).unwrap();
    let r = get(
        port_a,
        &format!("/export?format=lisp&cwd={}", nowhere.display()),
    )
    .unwrap();
    assert_eq!(r.status, 404, "{r:#?}");

    // B gets its own daemon: A releases B's database and forwards from then on.
    let (pid_b, port_b, _) = env.start(&b, &["--port", "0"]);
    let r = get(port_a, &format!("/status?cwd={b_cwd}")).unwrap();
    assert_eq!(r.header("x-mu-project"), Some(b_cwd.as_str()));
    let s = ok(r);
    assert_eq!(s["pid"], pid_b);
    assert_eq!(s["port"], port_b);
    assert_eq!(s["primary"], true);
    let i = ok(post(
        port_a,
        &format!("/impact?cwd={b_cwd}"),
        json!({"node": "f"}),
    ));
    assert_eq!(i["impacted_nodes"], json!(["fn:b.py:g", "fn:c.py:h"]));
    err(
        &post(port_a, "/impact", json!({"node": "nope", "cwd": b_cwd})),
        404,
        "Node not found: nope",
    );
    let mine = ok(get(port_a, "/status").unwrap());
    assert_eq!(mine["active_projects"], 1);

    // Loop guard: a forwarded request is served where it arrives; B's database is B's.
    let r = get_with(
        port_a,
        &format!("/status?cwd={b_cwd}"),
        &["X-MU-Forwarded: 1"],
    )
    .unwrap();
    assert_eq!(r.status, 503, "{r:#?}");
    assert_eq!(
        r.json()["detail"],
        format!(
            "Database {} is locked by another process (pid {pid_b})",
            b.join(".mu/mubase").display()
        )
    );

    // B dies without deregistering: A finds the entry stale and serves B itself again.
    crate::daemon_support::signal(pid_b, libc::SIGKILL);
    crate::daemon_support::wait_gone(pid_b, T);
    let s = wait_for("B served by A again", T, || {
        let r = get(port_a, &format!("/status?cwd={b_cwd}")).ok()?;
        (r.status == 200).then(|| r.json())
    });
    assert_eq!(s["pid"], pid_a);
    assert_eq!(s["primary"], false);
}
