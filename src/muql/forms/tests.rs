//! The graph forms and ANALYZE on the shop project of `muql.md` §17 (Q17–Q32, Q35 and the
//! defect fixes of §16), built from syntax trees (the parser is tested on its own).

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::*;
use crate::index::model::{EdgeRow, NodeRow};
use crate::muql::analyze::{analyze, is_test_path};
use crate::muql::ast::{
    Analysis, Analyze, Find, FindCond, NodeRef, PathQuery, Pos, Show, ShowKind, Spanned, Table,
};
use crate::muql::forms;
use crate::store::sql::SqlLimits;

/// The shop graph, rooted where the spec's examples put it.
fn shop() -> &'static Graph {
    static G: OnceLock<std::sync::Arc<Graph>> = OnceLock::new();
    G.get_or_init(crate::test_support::shop_graph)
}

/// Run `f` with a fresh environment whose time limit is `timeout`.
fn with_env_limit<T>(timeout: Duration, f: impl FnOnce(&Env) -> T) -> T {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let limits = SqlLimits {
        timeout,
        ..SqlLimits::default()
    };
    let env = Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    f(&env)
}

fn with_env<T>(f: impl FnOnce(&Env) -> T) -> T {
    with_env_limit(SqlLimits::default().timeout, f)
}

const AT: Pos = Pos {
    line: 1,
    column: 17,
    offset: 16,
};

fn at(column: u32) -> Pos {
    Pos {
        line: 1,
        column,
        offset: column as usize - 1,
    }
}

fn nref(text: &str) -> NodeRef {
    NodeRef {
        text: text.to_string(),
        pos: AT,
    }
}

fn spanned<T>(value: T, column: u32) -> Spanned<T> {
    Spanned {
        value,
        pos: at(column),
    }
}

fn show(kind: ShowKind, target: &str, depth: Option<i64>, via: Option<Vec<EdgeType>>) -> Show {
    Show {
        kind,
        target: nref(target),
        depth: depth.map(|d| spanned(d, 30)),
        via: via.map(|v| spanned(v, 40)),
    }
}

fn find_q(table: Table, cond: FindCond, depth: Option<i64>) -> Find {
    Find {
        table: spanned(table, 6),
        cond,
        depth: depth.map(|d| spanned(d, 35)),
        filter: None,
        limit: None,
    }
}

fn path_q(from: &str, to: &str, depth: Option<i64>, via: Option<Vec<EdgeType>>) -> PathQuery {
    PathQuery {
        from: nref(from),
        to: nref(to),
        max_depth: depth.map(|d| spanned(d, 40)),
        via: via.map(|v| spanned(v, 50)),
    }
}

fn analyze_q(analysis: Analysis, scope: Option<&str>, limit: Option<i64>) -> Analyze {
    Analyze {
        analysis,
        scope: scope.map(nref),
        limit: limit.map(|l| spanned(l, 30)),
    }
}

/// A value as the spec's examples print it.
fn cell(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rows as the spec's examples print them: values joined with ` | `.
fn lines(out: &Output) -> Vec<String> {
    out.rows
        .iter()
        .map(|r| r.iter().map(cell).collect::<Vec<_>>().join(" | "))
        .collect()
}

fn first_column(out: &Output) -> Vec<String> {
    out.rows.iter().map(|r| cell(&r[0])).collect()
}

fn run_show(s: Show) -> Result<Output, QueryError> {
    with_env(|env| forms::show(env, shop(), &s))
}

fn run_find(f: Find) -> Result<Output, QueryError> {
    with_env(|env| forms::find(env, shop(), &f))
}

fn run_path(p: PathQuery) -> Result<Output, QueryError> {
    with_env(|env| forms::path(env, shop(), &p))
}

fn run_analyze(a: Analyze) -> Result<Output, QueryError> {
    with_env(|env| analyze(env, shop(), &a))
}

fn node_list(out: &Output) {
    assert_eq!(out.columns, NODE_LIST_COLUMNS);
}

#[test]
fn shop_graph_is_the_spec_project() {
    assert_eq!(shop().nodes().len(), 25);
    assert_eq!(shop().edges().len(), 47);
}

#[test]
fn q17_show_dependencies() {
    let out = run_show(show(
        ShowKind::Dependencies,
        "OrderService.place",
        None,
        None,
    ))
    .unwrap();
    node_list(&out);
    assert_eq!(
        lines(&out),
        [
            "cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | 1 | uses",
            "fn:src/shop/api.py:notify | function | notify | src/shop/api.py | 5 | 1 | calls",
            "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 1 | calls",
            "fn:src/shop/models.py:Order.total | function | total | src/shop/models.py | 15 | 1 | calls",
            "fn:src/shop/repo.py:OrderRepo.save | function | save | src/shop/repo.py | 8 | 1 | calls",
        ]
    );
    assert!(out.warnings.is_empty() && out.message.is_none());
}

#[test]
fn q18_show_dependents() {
    let out = run_show(show(ShowKind::Dependents, "Item", None, None)).unwrap();
    assert_eq!(
        lines(&out),
        [
            "fn:src/shop/api.py:lookup | function | lookup | src/shop/api.py | 9 | 1 | calls",
            "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 1 | uses",
            "fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | 1 | uses",
        ]
    );
}

#[test]
fn q19_show_callers_depth_2() {
    let out = run_show(show(ShowKind::Callers, "OrderService.place", Some(2), None)).unwrap();
    assert_eq!(
        lines(&out),
        [
            "fn:src/shop/api.py:create_order | function | create_order | src/shop/api.py | 13 | 1 | calls",
            "fn:tests/test_service.py:test_place_rejects_empty | function | test_place_rejects_empty | tests/test_service.py | 7 | 1 | calls",
        ]
    );
}

#[test]
fn q20_show_children_depth_2() {
    let out = run_show(show(
        ShowKind::Children,
        "src/shop/models.py",
        Some(2),
        None,
    ))
    .unwrap();
    assert_eq!(
        lines(&out),
        [
            "cls:src/shop/models.py:BulkOrder | class | BulkOrder | src/shop/models.py | 19 | 1 | contains",
            "cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | 1 | contains",
            "cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | 1 | contains",
            "fn:src/shop/models.py:BulkOrder.total | function | total | src/shop/models.py | 20 | 2 | contains",
            "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 2 | contains",
            "fn:src/shop/models.py:Order.total | function | total | src/shop/models.py | 15 | 2 | contains",
        ]
    );
    // default depth 1
    let out = run_show(show(ShowKind::Children, "src/shop/models.py", None, None)).unwrap();
    assert_eq!(out.rows.len(), 3);
}

/// Q21 and defect #3: PARENTS is implemented; INHERITANCE / IMPLEMENTATIONS.
#[test]
fn q21_parents_inheritance_implementations() {
    let out = run_show(show(ShowKind::Parents, "save", Some(2), None)).unwrap();
    assert_eq!(
        lines(&out),
        [
            "cls:src/shop/repo.py:OrderRepo | class | OrderRepo | src/shop/repo.py | 4 | 1 | contains",
            "mod:src/shop/repo.py | module | repo | src/shop/repo.py | 1 | 2 | contains",
        ]
    );
    let out = run_show(show(ShowKind::Inheritance, "BulkOrder", None, None)).unwrap();
    assert_eq!(
        lines(&out),
        ["cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | 1 | inherits"]
    );
    let out = run_show(show(ShowKind::Implementations, "Order", None, None)).unwrap();
    assert_eq!(
        lines(&out),
        ["cls:src/shop/models.py:BulkOrder | class | BulkOrder | src/shop/models.py | 19 | 1 | inherits"]
    );
}

const Q22: [&str; 7] = [
    "cls:src/shop/models.py:BulkOrder | class | BulkOrder | src/shop/models.py | 19 | 1 | inherits",
    "fn:src/shop/repo.py:OrderRepo.__init__ | function | __init__ | src/shop/repo.py | 5 | 1 | uses",
    "fn:src/shop/repo.py:OrderRepo.get | function | get | src/shop/repo.py | 13 | 1 | uses",
    "fn:src/shop/repo.py:OrderRepo.save | function | save | src/shop/repo.py | 8 | 1 | uses",
    "fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | 2 | calls",
    "fn:tests/test_service.py:test_place_rejects_empty | function | test_place_rejects_empty | tests/test_service.py | 7 | 2 | calls",
    "fn:src/shop/api.py:create_order | function | create_order | src/shop/api.py | 13 | 3 | calls",
];

/// Q22, Q23 and defect #11: impact = dependents, ancestors = dependencies.
#[test]
fn q22_q23_impact_and_ancestors() {
    let out = run_show(show(ShowKind::Impact, "Order", None, None)).unwrap();
    assert_eq!(lines(&out), Q22);
    assert!(out.warnings.is_empty());
    // = SHOW DEPENDENTS OF Order DEPTH 20
    let dependents = run_show(show(ShowKind::Dependents, "Order", Some(20), None)).unwrap();
    assert_eq!(dependents, out);
    let out = run_show(show(ShowKind::Ancestors, "create_order", None, None)).unwrap();
    assert_eq!(
        lines(&out),
        [
            "cls:src/shop/service.py:OrderService | class | OrderService | src/shop/service.py | 6 | 1 | uses",
            "fn:src/shop/api.py:lookup | function | lookup | src/shop/api.py | 9 | 1 | calls",
            "fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | 1 | calls",
            "cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | 2 | calls",
            "fn:src/shop/api.py:notify | function | notify | src/shop/api.py | 5 | 2 | calls",
            "fn:src/shop/models.py:Order.__init__ | function | __init__ | src/shop/models.py | 12 | 2 | calls",
            "fn:src/shop/models.py:Order.total | function | total | src/shop/models.py | 15 | 2 | calls",
            "fn:src/shop/repo.py:OrderRepo.save | function | save | src/shop/repo.py | 8 | 2 | calls",
            "cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | 3 | uses",
        ]
    );
}

/// `SHOW IMPACT OF X` gives the id set of `POST /impact` (`Graph::walk`) for every node.
#[test]
fn show_impact_equals_the_impact_endpoint() {
    let g = shop();
    for (i, n) in g.nodes().iter().enumerate() {
        let out = run_show(show(ShowKind::Impact, &n.id, None, None)).unwrap();
        let mut ours = first_column(&out);
        ours.sort();
        let mut theirs: Vec<String> = g
            .walk(
                i as u32,
                crate::graph::Direction::Incoming,
                crate::graph::EdgeFilter::dependencies(),
                None,
            )
            .iter()
            .map(|&j| g.node(j).id.clone())
            .collect();
        theirs.sort();
        assert_eq!(ours, theirs, "{}", n.id);
    }
}

#[test]
fn q24_impact_via_imports() {
    let out = run_show(show(
        ShowKind::Impact,
        "src/shop/models.py",
        None,
        Some(vec![EdgeType::Imports]),
    ))
    .unwrap();
    assert_eq!(
        lines(&out),
        [
            "mod:src/shop/api.py | module | api | src/shop/api.py | 1 | 1 | imports",
            "mod:src/shop/repo.py | module | repo | src/shop/repo.py | 1 | 1 | imports",
            "mod:src/shop/service.py | module | service | src/shop/service.py | 1 | 1 | imports",
            "mod:tests/test_service.py | module | test_service | tests/test_service.py | 1 | 2 | imports",
        ]
    );
}

/// Defect #4: CALLERS and CALLEES follow `calls` only.
#[test]
fn callers_and_callees_follow_calls_only() {
    let out = run_show(show(ShowKind::Callers, "Item", None, None)).unwrap();
    assert_eq!(
        lines(&out),
        ["fn:src/shop/api.py:lookup | function | lookup | src/shop/api.py | 9 | 1 | calls"]
    );
    let out = run_show(show(ShowKind::Callees, "create_order", None, None)).unwrap();
    assert_eq!(
        first_column(&out),
        [
            "fn:src/shop/api.py:lookup",
            "fn:src/shop/service.py:OrderService.place"
        ]
    );
}

#[test]
fn depth_errors_and_cap() {
    let err = run_show(show(ShowKind::Callers, "place", Some(0), None)).unwrap_err();
    assert_eq!(
        err,
        QueryError::at("DEPTH must be at least 1 (line 1, column 30)", at(30))
    );
    let out = run_show(show(ShowKind::Impact, "Order", Some(50), None)).unwrap();
    assert_eq!(lines(&out), Q22);
    assert_eq!(
        out.warnings,
        ["DEPTH 50 is above the maximum of 20; using 20"]
    );
    let err = run_path(path_q("lookup", "notify", Some(-1), None)).unwrap_err();
    assert_eq!(
        err,
        QueryError::at("MAX DEPTH must be at least 1 (line 1, column 40)", at(40))
    );
}

#[test]
fn via_only_where_allowed() {
    for kind in [
        ShowKind::Callers,
        ShowKind::Callees,
        ShowKind::Inheritance,
        ShowKind::Implementations,
        ShowKind::Children,
        ShowKind::Parents,
    ] {
        let err = run_show(show(kind, "place", None, Some(vec![EdgeType::Calls]))).unwrap_err();
        assert_eq!(
            err,
            QueryError::at(
                "VIA is only allowed with DEPENDENCIES, DEPENDENTS, IMPACT, ANCESTORS and PATH",
                at(40)
            )
        );
    }
    // DEPENDENCIES with VIA contains reaches the children
    let out = run_show(show(
        ShowKind::Dependencies,
        "OrderRepo",
        None,
        Some(vec![EdgeType::Contains]),
    ))
    .unwrap();
    assert_eq!(
        first_column(&out),
        [
            "fn:src/shop/repo.py:OrderRepo.__init__",
            "fn:src/shop/repo.py:OrderRepo.get",
            "fn:src/shop/repo.py:OrderRepo.save"
        ]
    );
}

/// Q35 and defect #16: an unresolved reference is an error, with suggestions.
#[test]
fn node_not_found_with_suggestions() {
    let err = run_show(show(ShowKind::Callers, "Nope", None, None)).unwrap_err();
    assert_eq!(
        err,
        QueryError::at(
            "Node not found: 'Nope'. Use a full id such as cls:path/to/file.py:Name.",
            AT
        )
    );
    // names containing the reference (too short for the substring step)
    let err = run_show(show(ShowKind::Callers, "to", None, None)).unwrap_err();
    assert_eq!(
        err.message,
        "Node not found: 'to'. Use a full id such as cls:path/to/file.py:Name. Did you mean: \
         fn:src/shop/models.py:Order.total, fn:src/shop/models.py:BulkOrder.total?"
    );
    // the fallback: small edit distance, of the whole reference or its last segment
    let err = run_find(find_q(Table::Nodes, FindCond::Calling(nref("Ordr")), None)).unwrap_err();
    assert_eq!(
        err.message,
        "Node not found: 'Ordr'. Use a full id such as cls:path/to/file.py:Name. Did you mean: \
         cls:src/shop/models.py:Order?"
    );
    let err = run_path(path_q("fn:src/shop/nowhere.py:place", "Item", None, None)).unwrap_err();
    assert_eq!(
        err,
        QueryError::at(
            "Node not found: 'fn:src/shop/nowhere.py:place'. Use a full id such as \
             cls:path/to/file.py:Name. Did you mean: fn:src/shop/service.py:OrderService.place?",
            AT
        )
    );
}

#[test]
fn ambiguous_reference_warns() {
    let mut warnings = Vec::new();
    let i = forms::resolve(shop(), &nref("total"), &mut warnings).unwrap();
    assert_eq!(shop().node(i).id, "fn:src/shop/models.py:Order.total");
    assert_eq!(
        warnings,
        ["'total' matched 2 nodes; using fn:src/shop/models.py:Order.total (also: fn:src/shop/models.py:BulkOrder.total)"]
    );
    let out = run_show(show(ShowKind::Callers, "total", None, None)).unwrap();
    assert_eq!(out.warnings, warnings);
    assert_eq!(
        first_column(&out),
        [
            "fn:src/shop/models.py:BulkOrder.total",
            "fn:src/shop/service.py:OrderService.place"
        ]
    );
    // `__init__` names three methods: the shortest id wins, the other two are listed
    let mut warnings = Vec::new();
    forms::resolve(shop(), &nref("__init__"), &mut warnings).unwrap();
    assert_eq!(
        warnings,
        ["'__init__' matched 4 nodes; using mod:src/shop/__init__.py (also: fn:src/shop/models.py:Order.__init__, fn:src/shop/repo.py:OrderRepo.__init__, fn:src/shop/service.py:OrderService.__init__)"]
    );
    // an unambiguous reference adds nothing
    let mut warnings = Vec::new();
    forms::resolve(shop(), &nref("Item"), &mut warnings).unwrap();
    assert!(warnings.is_empty());
}

/// Q25 and defect #15: one MATCHING rule.
#[test]
fn q25_matching() {
    let m =
        |p: &str, t: Table| run_find(find_q(t, FindCond::Matching(p.to_string()), None)).unwrap();
    let out = m("order", Table::Classes);
    node_list(&out);
    assert_eq!(
        lines(&out),
        [
            "cls:src/shop/models.py:BulkOrder | class | BulkOrder | src/shop/models.py | 19 | null | null",
            "cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | null | null",
            "cls:src/shop/repo.py:OrderRepo | class | OrderRepo | src/shop/repo.py | 4 | null | null",
            "cls:src/shop/service.py:OrderService | class | OrderService | src/shop/service.py | 6 | null | null",
        ]
    );
    assert_eq!(
        first_column(&m("Order*", Table::Classes)),
        [
            "cls:src/shop/models.py:Order",
            "cls:src/shop/repo.py:OrderRepo",
            "cls:src/shop/service.py:OrderService"
        ]
    );
    assert!(m("hash", Table::Functions).rows.is_empty());
    assert_eq!(
        first_column(&m("g?t", Table::Functions)),
        ["fn:src/shop/repo.py:OrderRepo.get"]
    );
    assert_eq!(
        first_column(&m("%ORDER", Table::Nodes)),
        [
            "cls:src/shop/models.py:BulkOrder",
            "cls:src/shop/models.py:Order",
            "fn:src/shop/api.py:create_order"
        ]
    );
    // a glob is whole-name: `order*` does not match BulkOrder
    assert!(!first_column(&m("order*", Table::Classes))
        .contains(&"cls:src/shop/models.py:BulkOrder".to_string()));
}

/// Q26 and defect #13: CALLING is transitive, on the resolved node.
#[test]
fn q26_find_calling() {
    let out = run_find(find_q(
        Table::Functions,
        FindCond::Calling(nref("Order.total")),
        None,
    ))
    .unwrap();
    node_list(&out);
    assert_eq!(
        lines(&out),
        [
            "fn:src/shop/models.py:BulkOrder.total | function | total | src/shop/models.py | 20 | 1 | calls",
            "fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | 1 | calls",
            "fn:src/shop/api.py:create_order | function | create_order | src/shop/api.py | 13 | 2 | calls",
            "fn:tests/test_service.py:test_place_rejects_empty | function | test_place_rejects_empty | tests/test_service.py | 7 | 2 | calls",
        ]
    );
    let out = run_find(find_q(
        Table::Functions,
        FindCond::Calling(nref("Order.total")),
        Some(1),
    ))
    .unwrap();
    assert_eq!(
        first_column(&out),
        [
            "fn:src/shop/models.py:BulkOrder.total",
            "fn:src/shop/service.py:OrderService.place"
        ]
    );
}

#[test]
fn q27_find_called_by() {
    let out = run_find(find_q(
        Table::Functions,
        FindCond::CalledBy(nref("create_order")),
        None,
    ))
    .unwrap();
    let depths: Vec<(String, String)> = out
        .rows
        .iter()
        .map(|r| (cell(&r[0]), cell(&r[5])))
        .collect();
    let expected = [
        ("fn:src/shop/api.py:lookup", "1"),
        ("fn:src/shop/service.py:OrderService.place", "1"),
        ("fn:src/shop/api.py:notify", "2"),
        ("fn:src/shop/models.py:Order.__init__", "2"),
        ("fn:src/shop/models.py:Order.total", "2"),
        ("fn:src/shop/repo.py:OrderRepo.save", "2"),
    ];
    assert_eq!(
        depths,
        expected.map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // methods only: lookup and notify are module functions
    let out = run_find(find_q(
        Table::Methods,
        FindCond::CalledBy(nref("create_order")),
        None,
    ))
    .unwrap();
    assert_eq!(
        first_column(&out),
        [
            "fn:src/shop/service.py:OrderService.place",
            "fn:src/shop/models.py:Order.__init__",
            "fn:src/shop/models.py:Order.total",
            "fn:src/shop/repo.py:OrderRepo.save"
        ]
    );
    // classes: Item is reached (through lookup) at depth 2
    let out = run_find(find_q(
        Table::Classes,
        FindCond::CalledBy(nref("create_order")),
        None,
    ))
    .unwrap();
    assert_eq!(
        lines(&out),
        ["cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | 2 | calls"]
    );
}

/// Q28 and defect #14: IMPLEMENTING returns the implementors.
#[test]
fn q28_importing_inheriting_decorator() {
    let out = run_find(find_q(
        Table::Modules,
        FindCond::Importing(nref("src/shop/repo.py")),
        None,
    ))
    .unwrap();
    assert_eq!(
        lines(&out),
        [
            "mod:src/shop/service.py | module | service | src/shop/service.py | 1 | 1 | imports",
            "mod:tests/test_service.py | module | test_service | tests/test_service.py | 1 | 1 | imports",
            "mod:src/shop/api.py | module | api | src/shop/api.py | 1 | 2 | imports",
        ]
    );
    let bulk = ["cls:src/shop/models.py:BulkOrder | class | BulkOrder | src/shop/models.py | 19 | 1 | inherits"];
    let out = run_find(find_q(
        Table::Classes,
        FindCond::Inheriting(nref("Order")),
        None,
    ))
    .unwrap();
    assert_eq!(lines(&out), bulk);
    let out = run_find(find_q(
        Table::Classes,
        FindCond::Implementing(nref("Order")),
        None,
    ))
    .unwrap();
    assert_eq!(lines(&out), bulk);
    // what BulkOrder extends is not an implementor of it
    let out = run_find(find_q(
        Table::Classes,
        FindCond::Implementing(nref("BulkOrder")),
        None,
    ))
    .unwrap();
    assert!(out.rows.is_empty());
    let out = run_find(find_q(
        Table::Modules,
        FindCond::ImportedBy(nref("tests/test_service.py")),
        None,
    ))
    .unwrap();
    assert_eq!(
        first_column(&out),
        [
            "mod:src/shop/repo.py",
            "mod:src/shop/service.py",
            "mod:src/shop/api.py",
            "mod:src/shop/models.py"
        ]
    );
    for d in ["@dataclass", "dataclass"] {
        let out = run_find(find_q(
            Table::Classes,
            FindCond::WithDecorator(d.to_string()),
            None,
        ))
        .unwrap();
        assert_eq!(
            lines(&out),
            ["cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | null | null"]
        );
    }
    // exact and case-sensitive
    let out = run_find(find_q(
        Table::Nodes,
        FindCond::WithDecorator("DataClass".to_string()),
        None,
    ))
    .unwrap();
    assert!(out.rows.is_empty());
}

#[test]
fn depth_only_with_traversals() {
    let err = run_find(find_q(
        Table::Classes,
        FindCond::Matching("order".to_string()),
        Some(2),
    ))
    .unwrap_err();
    assert_eq!(
        err,
        QueryError::at(
            "DEPTH is only allowed with CALLING, CALLED BY, IMPORTING, IMPORTED BY, INHERITING \
             and IMPLEMENTING (line 1, column 35)",
            at(35)
        )
    );
}

#[test]
fn find_similar_to() {
    let out = run_find(find_q(
        Table::Nodes,
        FindCond::SimilarTo(nref("OrderRepo")),
        None,
    ))
    .unwrap();
    assert_eq!(
        out.columns,
        [
            "id",
            "type",
            "name",
            "file_path",
            "line_start",
            "depth",
            "via",
            "score"
        ]
    );
    assert_eq!(
        lines(&out),
        [
            "cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | null | null | 0.5",
            "mod:src/shop/repo.py | module | repo | src/shop/repo.py | 1 | null | null | 0.5",
        ]
    );
    let out = run_find(find_q(
        Table::Functions,
        FindCond::SimilarTo(nref("test_place_rejects_empty")),
        None,
    ))
    .unwrap();
    assert!(out.rows.is_empty());
    let words: Vec<String> = forms::identifier_words("HTTPClient2_fooBar")
        .into_iter()
        .collect();
    assert_eq!(words, ["bar", "client", "foo", "http"]);
}

#[test]
fn q29_find_cycles() {
    let out = with_env(|env| forms::cycles(env, shop(), &[])).unwrap();
    assert_eq!(out.columns, ["cycle_id", "kind", "size", "nodes"]);
    assert_eq!(
        lines(&out),
        [r#"1 | cycle | 2 | ["mod:src/shop/api.py","mod:src/shop/service.py"]"#]
    );
    assert_eq!(
        out.rows[0][3],
        serde_json::json!(["mod:src/shop/api.py", "mod:src/shop/service.py"])
    );
    let out = with_env(|env| forms::cycles(env, shop(), &[EdgeType::Calls])).unwrap();
    assert!(out.rows.is_empty());
    assert_eq!(out.columns, ["cycle_id", "kind", "size", "nodes"]);
}

/// Q30, defects #10 (MAX DEPTH honoured) and #20 (no path is a message).
#[test]
fn q30_path() {
    let out = run_path(path_q("test_place_rejects_empty", "Item", None, None)).unwrap();
    assert_eq!(
        out.columns,
        [
            "step",
            "id",
            "type",
            "name",
            "file_path",
            "line_start",
            "edge_type",
            "edge_line"
        ]
    );
    assert_eq!(
        lines(&out),
        [
            "0 | fn:tests/test_service.py:test_place_rejects_empty | function | test_place_rejects_empty | tests/test_service.py | 7 | null | null",
            "1 | fn:src/shop/service.py:OrderService.place | function | place | src/shop/service.py | 10 | calls | 10",
            "2 | cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | uses | 10",
        ]
    );
    let out = run_path(path_q(
        "tests/test_service.py",
        "src/shop/models.py",
        None,
        Some(vec![EdgeType::Imports]),
    ))
    .unwrap();
    assert_eq!(
        lines(&out),
        [
            "0 | mod:tests/test_service.py | module | test_service | tests/test_service.py | 1 | null | null",
            "1 | mod:src/shop/repo.py | module | repo | src/shop/repo.py | 1 | imports | 3",
            "2 | mod:src/shop/models.py | module | models | src/shop/models.py | 1 | imports | 1",
        ]
    );
    let out = run_path(path_q("lookup", "notify", Some(3), None)).unwrap();
    assert!(out.rows.is_empty());
    assert_eq!(out.columns.len(), 8);
    assert_eq!(
        out.message.as_deref(),
        Some("No path from fn:src/shop/api.py:lookup to fn:src/shop/api.py:notify within depth 3")
    );
    // MAX DEPTH bounds the number of edges
    let out = run_path(path_q("create_order", "Order.total", Some(1), None)).unwrap();
    assert!(out.rows.is_empty());
    assert_eq!(
        out.message.as_deref(),
        Some("No path from fn:src/shop/api.py:create_order to fn:src/shop/models.py:Order.total within depth 1")
    );
    let out = run_path(path_q("create_order", "Order.total", Some(2), None)).unwrap();
    assert_eq!(first_column(&out), ["0", "1", "2"]);
    assert_eq!(
        out.rows.iter().map(|r| cell(&r[1])).collect::<Vec<_>>(),
        [
            "fn:src/shop/api.py:create_order",
            "fn:src/shop/service.py:OrderService.place",
            "fn:src/shop/models.py:Order.total"
        ]
    );
    // a = b: one row; a cap above 20 warns
    let out = run_path(path_q("Item", "Item", Some(99), None)).unwrap();
    assert_eq!(
        lines(&out),
        ["0 | cls:src/shop/models.py:Item | class | Item | src/shop/models.py | 5 | null | null"]
    );
    assert_eq!(
        out.warnings,
        ["MAX DEPTH 99 is above the maximum of 20; using 20"]
    );
    // default edge types include contains
    let out = run_path(path_q("src/shop/models.py", "Order.total", None, None)).unwrap();
    assert_eq!(
        lines(&out),
        [
            "0 | mod:src/shop/models.py | module | models | src/shop/models.py | 1 | null | null",
            "1 | cls:src/shop/models.py:Order | class | Order | src/shop/models.py | 11 | contains | 11",
            "2 | fn:src/shop/models.py:Order.total | function | total | src/shop/models.py | 15 | contains | 15",
        ]
    );
}

#[test]
fn q31_complexity_and_hotspots() {
    let out = run_analyze(analyze_q(Analysis::Complexity, None, Some(3))).unwrap();
    assert_eq!(
        out.columns,
        ["id", "name", "file_path", "line_start", "complexity"]
    );
    assert_eq!(
        lines(&out),
        [
            "fn:src/shop/api.py:create_order | create_order | src/shop/api.py | 13 | 3",
            "fn:src/shop/models.py:BulkOrder.total | total | src/shop/models.py | 20 | 2",
            "fn:src/shop/models.py:Order.total | total | src/shop/models.py | 15 | 2",
        ]
    );
    // default limit 20 (12 functions)
    let out = run_analyze(analyze_q(Analysis::Complexity, None, None)).unwrap();
    assert_eq!(out.rows.len(), 12);
    let out = run_analyze(analyze_q(Analysis::Hotspots, None, Some(3))).unwrap();
    assert_eq!(
        out.columns,
        ["id", "name", "file_path", "complexity", "fan_in", "score"]
    );
    assert_eq!(
        lines(&out),
        [
            "fn:src/shop/models.py:Order.total | total | src/shop/models.py | 2 | 2 | 6",
            "fn:src/shop/service.py:OrderService.place | place | src/shop/service.py | 2 | 2 | 6",
            "fn:src/shop/repo.py:OrderRepo.save | save | src/shop/repo.py | 2 | 1 | 4",
        ]
    );
}

/// Q32 and defect #18: UNUSED ignores `contains` and applies the exclusions.
#[test]
fn q32_coupling_and_unused() {
    let out = run_analyze(analyze_q(Analysis::Coupling, None, None)).unwrap();
    assert_eq!(
        out.columns,
        ["id", "file_path", "afferent", "efferent", "instability"]
    );
    assert_eq!(
        lines(&out),
        [
            "mod:src/shop/service.py | src/shop/service.py | 2 | 3 | 0.6",
            "mod:src/shop/api.py | src/shop/api.py | 1 | 2 | 0.667",
            "mod:src/shop/models.py | src/shop/models.py | 3 | 0 | 0.0",
            "mod:src/shop/repo.py | src/shop/repo.py | 2 | 1 | 0.333",
            "mod:tests/test_service.py | tests/test_service.py | 0 | 2 | 1.0",
            "mod:src/shop/__init__.py | src/shop/__init__.py | 0 | 0 | null",
        ]
    );
    assert_eq!(out.rows[2][4], serde_json::json!(0.0));
    assert_eq!(out.rows[5][4], Json::Null);
    let out = run_analyze(analyze_q(Analysis::Unused, None, None)).unwrap();
    assert_eq!(
        out.columns,
        ["id", "name", "type", "file_path", "line_start"]
    );
    assert_eq!(
        lines(&out),
        [
            "cls:src/shop/models.py:BulkOrder | BulkOrder | class | src/shop/models.py | 19",
            "fn:src/shop/api.py:create_order | create_order | function | src/shop/api.py | 13",
            "fn:src/shop/repo.py:OrderRepo.get | get | function | src/shop/repo.py | 13",
        ]
    );
}

#[test]
fn cohesion_circular_and_impact() {
    let out = run_analyze(analyze_q(Analysis::Cohesion, None, None)).unwrap();
    assert_eq!(
        out.columns,
        [
            "id",
            "file_path",
            "definitions",
            "internal_edges",
            "external_edges",
            "cohesion"
        ]
    );
    assert_eq!(
        lines(&out),
        [
            "mod:src/shop/repo.py | src/shop/repo.py | 4 | 0 | 3 | 0.0",
            "mod:src/shop/service.py | src/shop/service.py | 3 | 0 | 6 | 0.0",
            "mod:tests/test_service.py | tests/test_service.py | 1 | 0 | 3 | 0.0",
            "mod:src/shop/api.py | src/shop/api.py | 3 | 1 | 4 | 0.2",
            "mod:src/shop/models.py | src/shop/models.py | 6 | 3 | 0 | 1.0",
        ]
    );
    let out = run_analyze(analyze_q(Analysis::Circular, None, None)).unwrap();
    assert_eq!(
        lines(&out),
        [r#"1 | cycle | 2 | ["mod:src/shop/api.py","mod:src/shop/service.py"]"#]
    );
    let out = run_analyze(analyze_q(Analysis::Circular, Some("src/shop/api.py"), None)).unwrap();
    assert!(out.rows.is_empty());
    let out = run_analyze(analyze_q(Analysis::Impact, Some("Order"), None)).unwrap();
    assert_eq!(out.columns, ["file_path", "nodes", "min_depth"]);
    assert_eq!(
        lines(&out),
        [
            "src/shop/models.py | 1 | 1",
            "src/shop/repo.py | 3 | 1",
            "src/shop/service.py | 1 | 2",
            "tests/test_service.py | 1 | 2",
            "src/shop/api.py | 1 | 3",
        ]
    );
    let err = run_analyze(analyze_q(Analysis::Impact, None, None)).unwrap_err();
    assert_eq!(
        err.message,
        "ANALYZE IMPACT requires FOR <node>: ANALYZE IMPACT FOR X lists the files impacted by X"
    );
    let err = run_analyze(analyze_q(Analysis::Unused, None, Some(-1))).unwrap_err();
    assert_eq!(
        err,
        QueryError::at("LIMIT must not be negative (line 1, column 30)", at(30))
    );
}

#[test]
fn analyze_for_a_path_prefix() {
    let out = run_analyze(analyze_q(
        Analysis::Complexity,
        Some("src/shop/repo.py"),
        None,
    ))
    .unwrap();
    assert_eq!(
        lines(&out),
        [
            "fn:src/shop/repo.py:OrderRepo.save | save | src/shop/repo.py | 8 | 2",
            "fn:src/shop/repo.py:OrderRepo.__init__ | __init__ | src/shop/repo.py | 5 | 1",
            "fn:src/shop/repo.py:OrderRepo.get | get | src/shop/repo.py | 13 | 1",
        ]
    );
    // a directory (trailing `/` allowed): the test module is outside
    let out = run_analyze(analyze_q(Analysis::Coupling, Some("src/shop/"), None)).unwrap();
    assert_eq!(
        first_column(&out),
        [
            "mod:src/shop/service.py",
            "mod:src/shop/api.py",
            "mod:src/shop/models.py",
            "mod:src/shop/repo.py",
            "mod:src/shop/__init__.py"
        ]
    );
    // path boundaries: `src/sho` is no prefix, and no node either
    let err = run_analyze(analyze_q(Analysis::Coupling, Some("src/sho"), None)).unwrap_err();
    assert_eq!(
        err,
        QueryError::at(
            "Node not found: 'src/sho'. Use a full id such as cls:path/to/file.py:Name.",
            AT
        )
    );
}

#[test]
fn analyze_for_a_class() {
    let out = run_analyze(analyze_q(Analysis::Complexity, Some("Order"), None)).unwrap();
    assert_eq!(
        lines(&out),
        [
            "fn:src/shop/models.py:Order.total | total | src/shop/models.py | 15 | 2",
            "fn:src/shop/models.py:Order.__init__ | __init__ | src/shop/models.py | 12 | 1",
        ]
    );
    let out = run_analyze(analyze_q(Analysis::Unused, Some("OrderRepo"), None)).unwrap();
    assert_eq!(
        lines(&out),
        ["fn:src/shop/repo.py:OrderRepo.get | get | function | src/shop/repo.py | 13"]
    );
    let out = run_analyze(analyze_q(Analysis::Unused, Some("BulkOrder"), None)).unwrap();
    assert_eq!(first_column(&out), ["cls:src/shop/models.py:BulkOrder"]);
}

#[test]
fn test_path_rule() {
    for p in [
        "tests/test_service.py",
        "src/test/Foo.java",
        "a/__tests__/x.ts",
        "spec/models.rb",
        "pkg/specs/a.go",
        "test_a.py",
        "a/b_test.py",
        "conftest.py",
        "store/store_test.go",
        "src/a.test.ts",
        "src/a.spec.jsx",
        "FooTest.java",
        "FooTests.java",
        "FooIT.java",
        "FooTest.cs",
        "FooTests.cs",
    ] {
        assert!(is_test_path(p), "{p}");
    }
    for p in [
        "src/shop/service.py",
        "src/testing/a.py",
        "latest.py",
        "contest.py",
        "a.test.py",
        "src/a.spec.rb",
        "Testimony.java",
        "tests",
    ] {
        assert!(!is_test_path(p), "{p}");
    }
}

#[test]
fn traversals_stop_at_the_time_limit() {
    let expected = QueryError::new(crate::store::sql::timeout_message(Duration::ZERO));
    with_env_limit(Duration::ZERO, |env| {
        let s = show(ShowKind::Impact, "Order", None, None);
        assert_eq!(forms::show(env, shop(), &s), Err(expected.clone()));
        let p = path_q("create_order", "Order", None, None);
        assert_eq!(forms::path(env, shop(), &p), Err(expected.clone()));
        let f = find_q(Table::Nodes, FindCond::Matching("o".into()), None);
        assert_eq!(forms::find(env, shop(), &f), Err(expected.clone()));
        let a = analyze_q(Analysis::Unused, None, None);
        assert_eq!(analyze(env, shop(), &a), Err(expected.clone()));
    });
}

/// UNUSED exclusions on a small graph: transitive overrides, constructors, `__x__` names,
/// `main`/`Main`, decorated nodes and test files.
#[test]
fn unused_exclusions() {
    use crate::index::model::NodeType::*;
    let node = |id: &str, t, name: &str, file: &str, props: &str| NodeRow {
        id: id.to_string(),
        node_type: t,
        name: name.to_string(),
        qualified_name: None,
        file_path: Some(file.to_string()),
        line_start: Some(1),
        line_end: Some(2),
        properties: props.to_string(),
        complexity: 1,
    };
    let edge = |s: &str, t: EdgeType, d: &str| EdgeRow {
        id: EdgeRow::make_id(s, t, d),
        source_id: s.to_string(),
        target_id: d.to_string(),
        edge_type: t,
        properties: "{}".to_string(),
    };
    let nodes = vec![
        node("mod:a.py", Module, "a", "a.py", "{}"),
        node("cls:a.py:A", Class, "A", "a.py", "{}"),
        node("cls:a.py:B", Class, "B", "a.py", "{}"),
        node("cls:a.py:C", Class, "C", "a.py", "{}"),
        node("fn:a.py:A.run", Function, "run", "a.py", "{}"),
        node("fn:a.py:C.run", Function, "run", "a.py", "{}"),
        node("fn:a.py:C.other", Function, "other", "a.py", "{}"),
        node(
            "fn:a.py:C.C",
            Function,
            "C",
            "a.py",
            r#"{"is_constructor":true}"#,
        ),
        node("fn:a.py:main", Function, "main", "a.py", "{}"),
        node("fn:a.py:Main", Function, "Main", "a.py", "{}"),
        node("fn:a.py:used", Function, "used", "a.py", "{}"),
        node(
            "fn:a.py:route",
            Function,
            "route",
            "a.py",
            r#"{"decorators":["app.get"]}"#,
        ),
        node("fn:a.py:__call__", Function, "__call__", "a.py", "{}"),
        node(
            "fn:tests/x.py:helper",
            Function,
            "helper",
            "tests/x.py",
            "{}",
        ),
    ];
    let edges = vec![
        edge("mod:a.py", EdgeType::Contains, "cls:a.py:A"),
        edge("cls:a.py:A", EdgeType::Contains, "fn:a.py:A.run"),
        edge("cls:a.py:C", EdgeType::Contains, "fn:a.py:C.run"),
        edge("cls:a.py:C", EdgeType::Contains, "fn:a.py:C.other"),
        edge("cls:a.py:C", EdgeType::Contains, "fn:a.py:C.C"),
        edge("cls:a.py:B", EdgeType::Inherits, "cls:a.py:A"),
        edge("cls:a.py:C", EdgeType::Inherits, "cls:a.py:B"),
        edge("fn:a.py:main", EdgeType::Calls, "fn:a.py:used"),
    ];
    let g = Graph::build(Path::new("/p"), nodes, edges);
    let out = with_env(|env| analyze(env, &g, &analyze_q(Analysis::Unused, None, None))).unwrap();
    assert_eq!(
        first_column(&out),
        ["cls:a.py:C", "fn:a.py:A.run", "fn:a.py:C.other"]
    );
}
