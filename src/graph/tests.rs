use std::path::Path;

use super::*;

fn node(id: &str, t: NodeType, name: &str, qn: Option<&str>, file: Option<&str>) -> NodeRow {
    NodeRow {
        id: id.to_string(),
        node_type: t,
        name: name.to_string(),
        qualified_name: qn.map(str::to_string),
        file_path: file.map(str::to_string),
        line_start: None,
        line_end: None,
        properties: "{}".to_string(),
        complexity: 0,
    }
}

fn edge(s: &str, t: EdgeType, d: &str) -> EdgeRow {
    EdgeRow {
        id: EdgeRow::make_id(s, t, d),
        source_id: s.to_string(),
        target_id: d.to_string(),
        edge_type: t,
        properties: "{}".to_string(),
    }
}

/// base.py ← auth.py ← api.py (imports), plus classes and calls.
fn sample() -> Graph {
    use EdgeType::*;
    use NodeType::*;
    let nodes = vec![
        node(
            "mod:src/app/base.py",
            Module,
            "base",
            Some("app.base"),
            Some("src/app/base.py"),
        ),
        node(
            "mod:src/app/auth.py",
            Module,
            "auth",
            Some("app.auth"),
            Some("src/app/auth.py"),
        ),
        node(
            "mod:src/app/api.py",
            Module,
            "api",
            Some("app.api"),
            Some("src/app/api.py"),
        ),
        node(
            "mod:lib/data.py",
            Module,
            "data",
            Some("data"),
            Some("lib/data.py"),
        ),
        node("mod:lib/a.py", Module, "a", Some("a"), Some("lib/a.py")),
        node(
            "cls:src/app/auth.py:AuthService",
            Class,
            "AuthService",
            Some("app.auth.AuthService"),
            Some("src/app/auth.py"),
        ),
        node(
            "fn:src/app/auth.py:AuthService.login",
            Function,
            "login",
            Some("app.auth.AuthService.login"),
            Some("src/app/auth.py"),
        ),
        node(
            "fn:src/app/api.py:login",
            Function,
            "login",
            Some("app.api.login"),
            Some("src/app/api.py"),
        ),
        node("ext:requests", External, "requests", None, None),
    ];
    let edges = vec![
        edge("mod:src/app/auth.py", Imports, "mod:src/app/base.py"),
        edge("mod:src/app/api.py", Imports, "mod:src/app/auth.py"),
        edge("mod:src/app/api.py", Imports, "ext:requests"),
        edge(
            "mod:src/app/auth.py",
            Contains,
            "cls:src/app/auth.py:AuthService",
        ),
        edge(
            "cls:src/app/auth.py:AuthService",
            Contains,
            "fn:src/app/auth.py:AuthService.login",
        ),
        edge(
            "fn:src/app/api.py:login",
            Calls,
            "fn:src/app/auth.py:AuthService.login",
        ),
        edge("mod:src/app/api.py", Contains, "fn:src/app/api.py:login"),
        // dangling: never part of the snapshot
        edge(
            "cls:src/app/auth.py:AuthService",
            Inherits,
            "cls:nowhere:Base",
        ),
    ];
    Graph::build(Path::new("/home/ada/shop"), nodes, edges)
}

fn ids(g: &Graph, v: &[u32]) -> Vec<String> {
    v.iter().map(|&i| g.node(i).id.clone()).collect()
}

fn resolved(g: &Graph, r: &str) -> Option<String> {
    g.resolve(r).map(|i| g.node(i).id.clone())
}

#[test]
fn nodes_in_id_order_and_dangling_edges_dropped() {
    let g = sample();
    let all: Vec<&str> = g.nodes().iter().map(|n| n.id.as_str()).collect();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    assert_eq!(g.edges().len(), 7);
    assert!(g.edges().iter().all(|e| e.target_id != "cls:nowhere:Base"));
    // (source, type, target) order
    let api: Vec<(&str, &str)> = g
        .edges()
        .iter()
        .filter(|e| e.source_id == "mod:src/app/api.py")
        .map(|e| (e.edge_type.as_str(), e.target_id.as_str()))
        .collect();
    assert_eq!(
        api,
        vec![
            ("contains", "fn:src/app/api.py:login"),
            ("imports", "ext:requests"),
            ("imports", "mod:src/app/auth.py"),
        ]
    );
}

#[test]
fn adjacency_comes_out_in_id_order() {
    let g = sample();
    let api = g.find("mod:src/app/api.py").unwrap();
    let out: Vec<String> = g
        .out_edges(api, EdgeFilter::ALL)
        .map(|(t, _)| g.node(t).id.clone())
        .collect();
    assert_eq!(
        out,
        vec![
            "ext:requests",
            "fn:src/app/api.py:login",
            "mod:src/app/auth.py"
        ]
    );
    let login = g.find("fn:src/app/auth.py:AuthService.login").unwrap();
    let inc: Vec<String> = g
        .in_edges(login, EdgeFilter::ALL)
        .map(|(s, _)| g.node(s).id.clone())
        .collect();
    assert_eq!(
        inc,
        vec!["cls:src/app/auth.py:AuthService", "fn:src/app/api.py:login"]
    );
}

#[test]
fn resolution_steps() {
    let g = sample();
    // 1. prefixed, exact; path part normalised; module fallback; never the name steps
    assert_eq!(
        resolved(&g, "mod:src/app/auth.py").as_deref(),
        Some("mod:src/app/auth.py")
    );
    assert_eq!(
        resolved(&g, " mod:./src//app/auth.py ").as_deref(),
        Some("mod:src/app/auth.py")
    );
    assert_eq!(
        resolved(&g, "mod:app/auth.py").as_deref(),
        Some("mod:src/app/auth.py")
    );
    assert_eq!(
        resolved(&g, "fn:app/auth.py:AuthService.login").as_deref(),
        Some("fn:src/app/auth.py:AuthService.login")
    );
    assert_eq!(resolved(&g, "cls:auth.py:Nope"), None);
    assert_eq!(resolved(&g, "fn:login"), None);
    assert_eq!(resolved(&g, "ext:nope"), None);
    // 2. exact name: function `login` twice → shortest id wins
    assert_eq!(
        resolved(&g, "login").as_deref(),
        Some("fn:src/app/api.py:login")
    );
    // 3. case-insensitive
    assert_eq!(
        resolved(&g, "authservice").as_deref(),
        Some("cls:src/app/auth.py:AuthService")
    );
    // 4. qualified-name suffix
    assert_eq!(
        resolved(&g, "AuthService.login").as_deref(),
        Some("fn:src/app/auth.py:AuthService.login")
    );
    // 5. path rules: exact, boundary suffix (a.py never matches data.py), absolute in root
    assert_eq!(
        resolved(&g, "src/app/api.py").as_deref(),
        Some("mod:src/app/api.py")
    );
    assert_eq!(resolved(&g, "a.py").as_deref(), Some("mod:lib/a.py"));
    assert_eq!(resolved(&g, "ata.py"), None);
    assert_eq!(
        resolved(&g, "/home/ada/shop/src/app/base.py").as_deref(),
        Some("mod:src/app/base.py")
    );
    assert_eq!(
        resolved(&g, ".\\src\\app\\base.py").as_deref(),
        Some("mod:src/app/base.py")
    );
    // 6. substring (3+ characters), case-sensitive first
    assert_eq!(
        resolved(&g, "Serv").as_deref(),
        Some("cls:src/app/auth.py:AuthService")
    );
    assert_eq!(resolved(&g, "quest").as_deref(), Some("ext:requests"));
    assert_eq!(resolved(&g, "og"), None);
    assert_eq!(resolved(&g, "nothing-like-it"), None);
    assert_eq!(resolved(&g, "   "), None);
}

#[test]
fn impact_follows_dependents_ancestors_dependencies() {
    let g = sample();
    let base = g.find("mod:src/app/base.py").unwrap();
    let f = EdgeFilter::dependencies();
    assert_eq!(
        ids(&g, &g.walk(base, Direction::Incoming, f, None)),
        vec!["mod:src/app/auth.py", "mod:src/app/api.py"]
    );
    assert_eq!(
        ids(&g, &g.walk(base, Direction::Incoming, f, Some(1))),
        vec!["mod:src/app/auth.py"]
    );
    let api = g.find("mod:src/app/api.py").unwrap();
    assert_eq!(
        ids(&g, &g.walk(api, Direction::Outgoing, f, None)),
        vec!["ext:requests", "mod:src/app/auth.py", "mod:src/app/base.py"]
    );
    // contains is not a dependency edge by default
    assert!(g
        .walk(api, Direction::Outgoing, f, None)
        .iter()
        .all(|&i| g.node(i).node_type != NodeType::Function));
    let auth = g.find("mod:src/app/auth.py").unwrap();
    assert_eq!(
        ids(&g, &g.walk(auth, Direction::Both, f, Some(2))),
        vec!["mod:src/app/base.py", "mod:src/app/api.py"]
    );
    // unknown edge types match nothing
    assert!(g
        .walk(
            base,
            Direction::Incoming,
            EdgeFilter::from_names(&["nope"]),
            None
        )
        .is_empty());
}

#[test]
fn neighbors_outgoing_then_incoming() {
    let g = sample();
    let auth = g.find("mod:src/app/auth.py").unwrap();
    let w = g.neighbors(auth, Direction::Both, EdgeFilter::ALL);
    assert_eq!(
        ids(&g, &w.nodes),
        vec![
            "cls:src/app/auth.py:AuthService",
            "mod:src/app/base.py",
            "mod:src/app/api.py"
        ]
    );
    let e: Vec<&str> = w.edges.iter().map(|&e| g.edge(e).id.as_str()).collect();
    assert_eq!(
        e,
        vec![
            "edge:mod:src/app/auth.py:contains:cls:src/app/auth.py:AuthService",
            "edge:mod:src/app/auth.py:imports:mod:src/app/base.py",
            "edge:mod:src/app/api.py:imports:mod:src/app/auth.py",
        ]
    );
    let w = g.neighbors(
        auth,
        Direction::Incoming,
        EdgeFilter::from_names(&["calls"]),
    );
    assert!(w.nodes.is_empty() && w.edges.is_empty());
}

fn cyclic() -> Graph {
    use EdgeType::*;
    use NodeType::*;
    let m = |id: &str| node(id, Module, id, None, Some(id));
    let nodes = ["a", "b", "c", "d", "e", "f", "s"]
        .iter()
        .map(|i| m(i))
        .collect();
    let edges = vec![
        edge("c", Imports, "a"),
        edge("a", Imports, "b"),
        edge("b", Imports, "c"),
        edge("e", Imports, "d"),
        edge("d", Imports, "e"),
        edge("s", Imports, "s"),
        edge("f", Calls, "a"),
        edge("a", Calls, "f"),
    ];
    Graph::build(Path::new("/p"), nodes, edges)
}

#[test]
fn cycles_in_cycle_order_with_self_loops_apart() {
    let g = cyclic();
    let c = g.cycles(EdgeFilter::from_names(&["imports"]));
    let cycles: Vec<Vec<String>> = c.cycles.iter().map(|v| ids(&g, v)).collect();
    assert_eq!(cycles, vec![vec!["a", "b", "c"], vec!["d", "e"]]);
    assert_eq!(ids(&g, &c.self_loops), vec!["s"]);
    let c = g.cycles(EdgeFilter::ALL);
    let cycles: Vec<Vec<String>> = c.cycles.iter().map(|v| ids(&g, v)).collect();
    assert_eq!(cycles, vec![vec!["a", "b", "c", "f"], vec!["d", "e"]]);
}

#[test]
fn node_json_is_the_spec_object() {
    let mut n = node("fn:x.py:f", NodeType::Function, "f", None, Some("x.py"));
    n.line_start = Some(3);
    n.properties = r#"{"is_method":false}"#.into();
    let v: serde_json::Value = serde_json::from_str(&node_json(&n)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"id": "fn:x.py:f", "type": "function", "node_type": "function",
            "name": "f", "qualified_name": null, "file_path": "x.py", "line_start": 3,
            "line_end": null, "properties": {"is_method": false}, "complexity": 0})
    );
    // broken stored properties are served as {}
    n.properties = "not json".into();
    let g = Graph::build(Path::new("/p"), vec![n], vec![]);
    assert_eq!(g.node(0).properties, "{}");
}

#[test]
fn resolve_candidates_best_first_and_resolve_agrees() {
    let g = sample();
    assert_eq!(
        ids(&g, &g.resolve_candidates("login")),
        vec![
            "fn:src/app/api.py:login",
            "fn:src/app/auth.py:AuthService.login"
        ]
    );
    // a prefixed id that exists is the only candidate
    assert_eq!(
        ids(
            &g,
            &g.resolve_candidates("fn:src/app/auth.py:AuthService.login")
        ),
        vec!["fn:src/app/auth.py:AuthService.login"]
    );
    // the winning step only: `auth` is a case-insensitive name, never a substring match
    assert_eq!(
        ids(&g, &g.resolve_candidates("AUTH")),
        vec!["mod:src/app/auth.py"]
    );
    assert!(g.resolve_candidates("og").is_empty());
    assert!(g.resolve_candidates("  ").is_empty());
    for r in [
        "login",
        "AUTH",
        "Serv",
        "quest",
        "a.py",
        "mod:app/auth.py",
        "fn:login",
        "og",
        "AuthService.login",
        "src/app/api.py",
    ] {
        assert_eq!(
            g.resolve(r),
            g.resolve_candidates(r).first().copied(),
            "{r}"
        );
    }
}

/// s → m (calls, imports), s → z (imports), m → y (uses), z → c (calls), c → w (imports),
/// y → w (calls), y → s (imports).
fn layered() -> Graph {
    use EdgeType::*;
    use NodeType::*;
    let m = |id: &str| node(id, Module, id, None, Some(id));
    let nodes = ["s", "m", "z", "c", "y", "w"]
        .iter()
        .map(|i| m(i))
        .collect();
    let edges = vec![
        edge("s", Imports, "z"),
        edge("s", Imports, "m"),
        edge("s", Calls, "m"),
        edge("m", Uses, "y"),
        edge("z", Calls, "c"),
        edge("c", Imports, "w"),
        edge("y", Calls, "w"),
        edge("y", Imports, "s"),
    ];
    Graph::build(Path::new("/p"), nodes, edges)
}

fn reached(g: &Graph, r: &[Reached]) -> Vec<(String, u32, &'static str)> {
    r.iter()
        .map(|x| (g.node(x.node).id.clone(), x.depth, x.via.as_str()))
        .collect()
}

#[test]
fn levels_sorted_by_id_with_the_first_edge_type() {
    let g = layered();
    let s = g.find("s").unwrap();
    let ok = || Ok::<(), ()>(());
    let all = g
        .levels(s, Direction::Outgoing, EdgeFilter::ALL, 20, ok)
        .unwrap();
    let own = |v: &[(&str, u32, &'static str)]| -> Vec<(String, u32, &'static str)> {
        v.iter().map(|(a, d, t)| (a.to_string(), *d, *t)).collect()
    };
    assert_eq!(
        reached(&g, &all),
        own(&[
            ("m", 1, "calls"),
            ("z", 1, "imports"),
            ("c", 2, "calls"),
            ("y", 2, "uses"),
            ("w", 3, "calls"),
        ])
    );
    // the unsorted walk of /impact lists level 2 in discovery order; the sets agree
    assert_eq!(
        ids(&g, &g.walk(s, Direction::Outgoing, EdgeFilter::ALL, None)),
        vec!["m", "z", "y", "c", "w"]
    );
    let two = g
        .levels(s, Direction::Outgoing, EdgeFilter::ALL, 2, ok)
        .unwrap();
    assert_eq!(two.len(), 4);
    let w = g.find("w").unwrap();
    let back = g
        .levels(w, Direction::Incoming, EdgeFilter::ALL, 1, ok)
        .unwrap();
    assert_eq!(
        reached(&g, &back),
        own(&[("c", 1, "imports"), ("y", 1, "calls")])
    );
    let only_calls = g
        .levels(
            s,
            Direction::Outgoing,
            EdgeFilter::of(&[EdgeType::Calls]),
            20,
            ok,
        )
        .unwrap();
    assert_eq!(reached(&g, &only_calls), own(&[("m", 1, "calls")]));
    // the tick's error stops the walk
    assert_eq!(
        g.levels(s, Direction::Outgoing, EdgeFilter::ALL, 20, || Err("stop")),
        Err("stop")
    );
}

#[test]
fn shortest_path_frontier_in_id_order() {
    let g = layered();
    let (s, w) = (g.find("s").unwrap(), g.find("w").unwrap());
    let ok = || Ok::<(), ()>(());
    let p = g
        .shortest_path(s, w, EdgeFilter::ALL, 10, ok)
        .unwrap()
        .unwrap();
    let steps: Vec<String> = p.iter().map(|x| g.node(x.node).id.clone()).collect();
    // level 2 is [c, y] in id order, so w is first reached from c
    assert_eq!(steps, vec!["s", "z", "c", "w"]);
    assert_eq!(p[0].edge, None);
    let e: Vec<&str> = p[1..]
        .iter()
        .map(|x| g.edge(x.edge.unwrap()).id.as_str())
        .collect();
    assert_eq!(
        e,
        vec!["edge:s:imports:z", "edge:z:calls:c", "edge:c:imports:w"]
    );
    // two edges s → m: the alphabetically first type is the one kept
    let m = g.find("m").unwrap();
    let p = g
        .shortest_path(s, m, EdgeFilter::ALL, 10, ok)
        .unwrap()
        .unwrap();
    assert_eq!(g.edge(p[1].edge.unwrap()).id, "edge:s:calls:m");
    assert_eq!(g.shortest_path(s, w, EdgeFilter::ALL, 2, ok), Ok(None));
    assert_eq!(
        g.shortest_path(s, s, EdgeFilter::ALL, 1, ok),
        Ok(Some(vec![PathStep {
            node: s,
            edge: None
        }]))
    );
    assert_eq!(
        g.shortest_path(s, w, EdgeFilter::ALL, 10, || Err(1)),
        Err(1)
    );
}

#[test]
fn cycles_among_kept_nodes_only() {
    let g = cyclic();
    let f = EdgeFilter::from_names(&["imports"]);
    let c = g.find("c").unwrap();
    let s = g.find("s").unwrap();
    let without_c = g.cycles_among(f, &|i| i != c);
    let cycles: Vec<Vec<String>> = without_c.cycles.iter().map(|v| ids(&g, v)).collect();
    assert_eq!(cycles, vec![vec!["d", "e"]]);
    assert_eq!(ids(&g, &without_c.self_loops), vec!["s"]);
    assert!(g.cycles_among(f, &|i| i != s).self_loops.is_empty());
    assert_eq!(g.cycles_among(f, &|_| true), g.cycles(f));
}
