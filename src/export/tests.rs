use std::path::Path;

use super::*;
use crate::graph::node_json;
use crate::index::model::{EdgeRow, NodeRow};

/// The shop graph, rooted where the spec's examples put it.
fn shop() -> &'static Graph {
    static G: std::sync::OnceLock<std::sync::Arc<Graph>> = std::sync::OnceLock::new();
    G.get_or_init(crate::test_support::shop_graph)
}

/// Verbatim from `context-export-contracts.md`.
const A9_CONTEXT: &str = r##"# Context Extract
# question: How does OrderService place an order?
# nodes: 17

!module src/shop/api.py
@imports [src/shop/models.py, src/shop/service.py]

#notify(order_id: int) -> None :: complexity:1
#lookup(sku: str) -> Item :: complexity:1
#create_order(service: OrderService, order_id: int, skus: list[str]) -> int :: complexity:3

!module src/shop/models.py
@ext [dataclasses]

$@dataclass Item
  @attrs [sku, price]
$Order
  @attrs [items]
  #__init__(self, items: list[Item]) :: complexity:1
  #total(self) -> int :: complexity:2
$BulkOrder < Order

!module src/shop/repo.py
@imports [src/shop/models.py]

$OrderRepo
  @attrs [_orders]
  #__init__(self) :: complexity:1
  #save(self, order_id: int, order: Order) -> None :: complexity:2

!module src/shop/service.py
@imports [src/shop/api.py, src/shop/models.py, src/shop/repo.py]

$OrderService
  @attrs [repo]
  #__init__(self, repo: OrderRepo) :: complexity:1
  #place(self, order_id: int, items: list[Item]) -> int :: complexity:2
"##;

/// Verbatim from `context-export-contracts.md`.
const B2_JSON: &str = r##"{"version":"1.0","format":"mubase-json","generated_at":"2026-11-27T10:15:02Z",
 "project_root":"/home/ada/shop","level":"node",
 "stats":{"node_count":2,"edge_count":1,"nodes_by_type":{"class":1,"function":1},"edges_by_type":{"contains":1}},
 "nodes":[
  {"id":"cls:src/shop/models.py:Order","type":"class","node_type":"class","name":"Order",
   "qualified_name":"src/shop/models.py:Order","file_path":"src/shop/models.py","line_start":11,"line_end":16,
   "properties":{"kind":"class","bases":[],"decorators":[],"attributes":["items"],"visibility":null},"complexity":0},
  {"id":"fn:src/shop/models.py:Order.total","type":"function","node_type":"function","name":"total",
   "qualified_name":"src/shop/models.py:Order.total","file_path":"src/shop/models.py","line_start":15,"line_end":16,
   "properties":{"is_method":true,"is_async":false,"is_static":false,"is_classmethod":false,"is_property":false,
                 "is_constructor":false,"visibility":null,
                 "parameters":[{"name":"self","type":null,"default":null,"variadic":false,"keyword":false}],
                 "return_type":"int","decorators":[]},"complexity":2}],
 "edges":[
  {"id":"edge:cls:src/shop/models.py:Order:contains:fn:src/shop/models.py:Order.total",
   "source_id":"cls:src/shop/models.py:Order","target_id":"fn:src/shop/models.py:Order.total",
   "type":"contains","properties":{"line":15}}]}
"##;

/// Verbatim from `context-export-contracts.md`.
const B3_MU: &str = r##"# MU Export
# nodes: 4
# edges: 4

!module src/shop/models.py
@ext [dataclasses]

$Order
  @attrs [items]
  #total(self) -> int :: complexity:2
$BulkOrder < Order
  #total(self) -> int :: complexity:2
"##;

/// Verbatim from `context-export-contracts.md`.
const B4_MERMAID: &str = r##"flowchart LR
    cls_src_shop_models_py_BulkOrder["BulkOrder"]
    cls_src_shop_models_py_Order["Order"]
    fn_src_shop_models_py_BulkOrder_total("total")
    fn_src_shop_models_py_Order_total("total")
    cls_src_shop_models_py_BulkOrder --> fn_src_shop_models_py_BulkOrder_total
    cls_src_shop_models_py_BulkOrder ==>|inherits| cls_src_shop_models_py_Order
    cls_src_shop_models_py_Order --> fn_src_shop_models_py_Order_total
    fn_src_shop_models_py_BulkOrder_total -->|calls| fn_src_shop_models_py_Order_total
"##;

/// Verbatim from `context-export-contracts.md`.
const B4_MODULE_EXCERPT: &str = r##"flowchart LR
    ext_dataclasses{{"dataclasses"}}
    ext_pytest{{"pytest"}}
    mod_src_shop___init___py(["__init__"])
    mod_src_shop_api_py(["api"])
    …
    mod_src_shop_api_py -->|calls ×1| mod_src_shop_models_py
    mod_src_shop_api_py -->|calls ×1| mod_src_shop_service_py
    mod_src_shop_api_py -.->|imports ×1| mod_src_shop_models_py
    …
    mod_src_shop_repo_py -->|uses ×3| mod_src_shop_models_py
"##;

/// Verbatim from `context-export-contracts.md`.
const B5_D2: &str = r##"direction: right

"cls:src/shop/models.py:BulkOrder": "BulkOrder" {shape: class}
"cls:src/shop/models.py:Order": "Order" {shape: class}
"fn:src/shop/models.py:BulkOrder.total": "total" {shape: rectangle}
"fn:src/shop/models.py:Order.total": "total" {shape: rectangle}

"cls:src/shop/models.py:BulkOrder" -> "fn:src/shop/models.py:BulkOrder.total": contains
"cls:src/shop/models.py:BulkOrder" -> "cls:src/shop/models.py:Order": inherits
"cls:src/shop/models.py:Order" -> "fn:src/shop/models.py:Order.total": contains
"fn:src/shop/models.py:BulkOrder.total" -> "fn:src/shop/models.py:Order.total": calls
"##;

/// Verbatim from `context-export-contracts.md`.
const B6_CYTOSCAPE: &str = r##"{"elements":{
  "nodes":[
   {"data":{"id":"cls:src/shop/models.py:BulkOrder","label":"BulkOrder","type":"class","file_path":"src/shop/models.py","complexity":0}},
   {"data":{"id":"cls:src/shop/models.py:Order","label":"Order","type":"class","file_path":"src/shop/models.py","complexity":0}},
   {"data":{"id":"fn:src/shop/models.py:BulkOrder.total","label":"total","type":"function","file_path":"src/shop/models.py","complexity":2}},
   {"data":{"id":"fn:src/shop/models.py:Order.total","label":"total","type":"function","file_path":"src/shop/models.py","complexity":2}}],
  "edges":[
   {"data":{"id":"edge:cls:src/shop/models.py:BulkOrder:contains:fn:src/shop/models.py:BulkOrder.total","source":"cls:src/shop/models.py:BulkOrder","target":"fn:src/shop/models.py:BulkOrder.total","type":"contains"}},
   {"data":{"id":"edge:cls:src/shop/models.py:BulkOrder:inherits:cls:src/shop/models.py:Order","source":"cls:src/shop/models.py:BulkOrder","target":"cls:src/shop/models.py:Order","type":"inherits"}},
   {"data":{"id":"edge:cls:src/shop/models.py:Order:contains:fn:src/shop/models.py:Order.total","source":"cls:src/shop/models.py:Order","target":"fn:src/shop/models.py:Order.total","type":"contains"}},
   {"data":{"id":"edge:fn:src/shop/models.py:BulkOrder.total:calls:fn:src/shop/models.py:Order.total","source":"fn:src/shop/models.py:BulkOrder.total","target":"fn:src/shop/models.py:Order.total","type":"calls"}}]}}
"##;

/// Verbatim from `context-export-contracts.md`.
const B7_DOT: &str = r##"digraph mu {
  rankdir=LR;
  subgraph "cluster_1" {
    label="src/shop/models.py";
    "cls:src/shop/models.py:BulkOrder" [label="BulkOrder", shape=box];
    "cls:src/shop/models.py:Order" [label="Order", shape=box];
    "fn:src/shop/models.py:BulkOrder.total" [label="total", shape=ellipse];
    "fn:src/shop/models.py:Order.total" [label="total", shape=ellipse];
  }
  "cls:src/shop/models.py:BulkOrder" -> "fn:src/shop/models.py:BulkOrder.total" [label="contains"];
  "cls:src/shop/models.py:BulkOrder" -> "cls:src/shop/models.py:Order" [label="inherits", arrowhead=empty];
  "cls:src/shop/models.py:Order" -> "fn:src/shop/models.py:Order.total" [label="contains"];
  "fn:src/shop/models.py:BulkOrder.total" -> "fn:src/shop/models.py:Order.total" [label="calls"];
}
"##;

/// A JSON example as the compact text it stands for (the examples break lines only between
/// tokens, and no string in them contains a space).
fn compact(example: &str) -> String {
    example.lines().map(str::trim).collect()
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn request(pairs: &[(&str, &str)]) -> ExportRequest {
    ExportRequest::from_params(&params(pairs)).unwrap()
}

const AT: &str = "2026-11-27T10:15:02Z";

/// `GET /export?<pairs>` on the shop project.
fn shop_export(pairs: &[(&str, &str)]) -> Exported {
    export(shop(), &request(pairs), AT)
}

/// The four nodes of B.2–B.7.
const FOUR: &str = "cls:src/shop/models.py:Order,cls:src/shop/models.py:BulkOrder,\
                    fn:src/shop/models.py:Order.total,fn:src/shop/models.py:BulkOrder.total";

fn four(format: &str) -> Exported {
    shop_export(&[("format", format), ("nodes", FOUR)])
}

/// Assert text equality with a readable diff.
#[track_caller]
fn same(actual: &str, expected: &str) {
    if actual != expected {
        panic!("--- actual ---\n{actual}\n--- expected ---\n{expected}\n--- end ---");
    }
}

// ---------------------------------------------------------------------------------------------
// The spec's examples, byte for byte, on the real shop graph.

#[test]
fn shop_fixture_has_the_spec_graph() {
    let g = shop();
    assert_eq!(g.nodes().len(), 25);
    assert_eq!(g.edges().len(), 47);
}

#[test]
fn b2_json_example() {
    let out = shop_export(&[
        ("format", "json"),
        (
            "nodes",
            "cls:src/shop/models.py:Order,fn:src/shop/models.py:Order.total",
        ),
    ]);
    assert_eq!(out.content_type, "application/json");
    same(&out.body, &compact(B2_JSON));
    // And it is JSON.
    let _: serde_json::Value = serde_json::from_str(&out.body).unwrap();
}

#[test]
fn b3_mu_example() {
    let out = four("mu");
    assert_eq!(out.content_type, "text/plain; charset=utf-8");
    same(&out.body, B3_MU);
}

#[test]
fn b4_mermaid_example() {
    let out = four("mermaid");
    assert_eq!(out.content_type, "text/plain; charset=utf-8");
    same(&out.body, B4_MERMAID);
}

#[test]
fn b5_d2_example() {
    let out = four("d2");
    assert_eq!(out.content_type, "text/plain; charset=utf-8");
    same(&out.body, B5_D2);
}

#[test]
fn b6_cytoscape_example() {
    let out = four("cytoscape");
    assert_eq!(out.content_type, "application/json");
    same(&out.body, &compact(B6_CYTOSCAPE));
}

#[test]
fn b7_dot_example() {
    let out = four("dot");
    assert_eq!(out.content_type, "text/vnd.graphviz; charset=utf-8");
    same(&out.body, B7_DOT);
}

#[test]
fn a9_context_rendering() {
    let g = shop();
    let ids = [
        "mod:src/shop/api.py",
        "mod:src/shop/repo.py",
        "mod:src/shop/service.py",
        "fn:src/shop/api.py:notify",
        "fn:src/shop/api.py:lookup",
        "fn:src/shop/api.py:create_order",
        "cls:src/shop/models.py:Item",
        "cls:src/shop/models.py:Order",
        "fn:src/shop/models.py:Order.__init__",
        "fn:src/shop/models.py:Order.total",
        "cls:src/shop/models.py:BulkOrder",
        "cls:src/shop/repo.py:OrderRepo",
        "fn:src/shop/repo.py:OrderRepo.__init__",
        "fn:src/shop/repo.py:OrderRepo.save",
        "cls:src/shop/service.py:OrderService",
        "fn:src/shop/service.py:OrderService.__init__",
        "fn:src/shop/service.py:OrderService.place",
    ];
    // Any order, duplicates ignored.
    let mut selected: Vec<u32> = ids.iter().rev().map(|id| g.find(id).unwrap()).collect();
    selected.push(selected[0]);
    let header =
        "# Context Extract\n# question: How does OrderService place an order?\n# nodes: 17\n";
    same(&render_mu(g, &selected, header), A9_CONTEXT);
}

/// The whole shop project at module level (B.4's excerpt in full): 8 nodes, 22 module edges.
const SHOP_MODULES_MERMAID: &str = "flowchart LR
    ext_dataclasses{{\"dataclasses\"}}
    ext_pytest{{\"pytest\"}}
    mod_src_shop___init___py([\"__init__\"])
    mod_src_shop_api_py([\"api\"])
    mod_src_shop_models_py([\"models\"])
    mod_src_shop_repo_py([\"repo\"])
    mod_src_shop_service_py([\"service\"])
    mod_tests_test_service_py([\"test_service\"])
    mod_src_shop_api_py -->|calls ×1| mod_src_shop_models_py
    mod_src_shop_api_py -->|calls ×1| mod_src_shop_service_py
    mod_src_shop_api_py -.->|imports ×1| mod_src_shop_models_py
    mod_src_shop_api_py -.->|imports ×1| mod_src_shop_service_py
    mod_src_shop_api_py -->|uses ×1| mod_src_shop_models_py
    mod_src_shop_api_py -->|uses ×1| mod_src_shop_service_py
    mod_src_shop_models_py -.->|imports ×1| ext_dataclasses
    mod_src_shop_repo_py -.->|imports ×1| mod_src_shop_models_py
    mod_src_shop_repo_py -->|uses ×3| mod_src_shop_models_py
    mod_src_shop_service_py -->|calls ×1| mod_src_shop_api_py
    mod_src_shop_service_py -->|calls ×2| mod_src_shop_models_py
    mod_src_shop_service_py -->|calls ×1| mod_src_shop_repo_py
    mod_src_shop_service_py -.->|imports ×1| mod_src_shop_api_py
    mod_src_shop_service_py -.->|imports ×1| mod_src_shop_models_py
    mod_src_shop_service_py -.->|imports ×1| mod_src_shop_repo_py
    mod_src_shop_service_py -->|uses ×1| mod_src_shop_models_py
    mod_src_shop_service_py -->|uses ×1| mod_src_shop_repo_py
    mod_tests_test_service_py -->|calls ×1| mod_src_shop_repo_py
    mod_tests_test_service_py -->|calls ×2| mod_src_shop_service_py
    mod_tests_test_service_py -.->|imports ×1| ext_pytest
    mod_tests_test_service_py -.->|imports ×1| mod_src_shop_repo_py
    mod_tests_test_service_py -.->|imports ×1| mod_src_shop_service_py
";

#[test]
fn b4_module_level_whole_project() {
    let body = shop_export(&[("format", "mermaid"), ("level", "module")]).body;
    same(&body, SHOP_MODULES_MERMAID);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 1 + 8 + 22);
    assert!(
        !body.contains("%%"),
        "no comment when module level was requested"
    );
    // The excerpt's runs of lines appear, in order.
    let mut from = 0;
    for run in B4_MODULE_EXCERPT.split("    …\n") {
        let at = body[from..]
            .find(run)
            .unwrap_or_else(|| panic!("excerpt run not found in order:\n{run}"));
        from += at + run.len();
    }
}

#[test]
fn module_level_json_whole_project() {
    let body = shop_export(&[("level", "module")]).body;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["level"], "module");
    same(
        &v["stats"].to_string(),
        r#"{"edge_count":22,"edges_by_type":{"calls":7,"imports":10,"uses":5},"node_count":8,"nodes_by_type":{"external":2,"module":6}}"#,
    );
    assert!(body.contains(
        r#""stats":{"node_count":8,"edge_count":22,"nodes_by_type":{"external":2,"module":6},"edges_by_type":{"calls":7,"imports":10,"uses":5}}"#
    ));
    assert!(body.contains(
        r#"{"id":"edge:mod:src/shop/repo.py:uses:mod:src/shop/models.py","source_id":"mod:src/shop/repo.py","target_id":"mod:src/shop/models.py","type":"uses","properties":{},"weight":3}"#
    ));
    // Nodes are the Node objects of the modules and externals, in id order.
    let g = shop();
    let nodes: Vec<String> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        nodes,
        [
            "ext:dataclasses",
            "ext:pytest",
            "mod:src/shop/__init__.py",
            "mod:src/shop/api.py",
            "mod:src/shop/models.py",
            "mod:src/shop/repo.py",
            "mod:src/shop/service.py",
            "mod:tests/test_service.py"
        ]
    );
    assert!(body.contains(&node_json(g.get("mod:src/shop/models.py").unwrap())));
    // Every edge carries a weight; the weights add up to the merged edges.
    let total: u64 = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["properties"], serde_json::json!({}));
            e["weight"].as_u64().unwrap()
        })
        .sum();
    // 47 edges less 17 contains and 4 edges inside one module (create_order → lookup,
    // BulkOrder.total → Order.total, Order.__init__ → Item, BulkOrder → Order).
    assert_eq!(total, 47 - 17 - 4);
}

#[test]
fn node_level_json_whole_project() {
    let out = shop_export(&[]);
    assert_eq!(out.content_type, "application/json");
    let body = out.body;
    assert!(body.starts_with(
        r#"{"version":"1.0","format":"mubase-json","generated_at":"2026-11-27T10:15:02Z","project_root":"/home/ada/shop","level":"node","stats":{"node_count":25,"edge_count":47,"nodes_by_type":{"class":5,"external":2,"function":12,"module":6},"edges_by_type":{"calls":11,"contains":17,"imports":10,"inherits":1,"uses":8}},"nodes":["#
    ));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let g = shop();
    let expected_nodes: Vec<serde_json::Value> = g
        .nodes()
        .iter()
        .map(|n| serde_json::from_str(&node_json(n)).unwrap())
        .collect();
    assert_eq!(v["nodes"].as_array().unwrap(), &expected_nodes);
    let ids: Vec<&str> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let stored: Vec<&str> = g.edges().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, stored);
    assert!(v["edges"][0].get("weight").is_none());
}

#[test]
fn module_level_cytoscape_d2_dot_carry_weights() {
    let cy = shop_export(&[("format", "cytoscape"), ("level", "module")]).body;
    assert!(cy.contains(r#"{"data":{"id":"edge:mod:src/shop/repo.py:uses:mod:src/shop/models.py","source":"mod:src/shop/repo.py","target":"mod:src/shop/models.py","type":"uses","weight":3}}"#));
    assert!(cy.contains(r#"{"data":{"id":"ext:pytest","label":"pytest","type":"external","file_path":null,"complexity":0}}"#));
    let d2 = shop_export(&[("format", "d2"), ("level", "module")]).body;
    assert!(d2.contains("\"mod:src/shop/repo.py\" -> \"mod:src/shop/models.py\": uses ×3\n"));
    assert!(d2.contains("\"ext:pytest\": \"pytest\" {shape: cloud}\n"));
    assert!(d2.contains("\"mod:src/shop/api.py\": \"api\" {shape: package}\n"));
    let dot = shop_export(&[("format", "dot"), ("level", "module")]).body;
    assert!(dot.contains(
        "  \"mod:src/shop/repo.py\" -> \"mod:src/shop/models.py\" [label=\"imports ×1\", style=dashed];\n"
    ));
    assert!(dot.contains(
        "  \"mod:src/shop/repo.py\" -> \"mod:src/shop/models.py\" [label=\"uses ×3\"];\n"
    ));
}

/// The whole project in dot: one cluster per file in path order, externals after the clusters.
#[test]
fn dot_clusters_and_externals() {
    let body = shop_export(&[("format", "dot"), ("types", "module,external")]).body;
    same(
        &body,
        r#"digraph mu {
  rankdir=LR;
  subgraph "cluster_1" {
    label="src/shop/__init__.py";
    "mod:src/shop/__init__.py" [label="__init__", shape=tab];
  }
  subgraph "cluster_2" {
    label="src/shop/api.py";
    "mod:src/shop/api.py" [label="api", shape=tab];
  }
  subgraph "cluster_3" {
    label="src/shop/models.py";
    "mod:src/shop/models.py" [label="models", shape=tab];
  }
  subgraph "cluster_4" {
    label="src/shop/repo.py";
    "mod:src/shop/repo.py" [label="repo", shape=tab];
  }
  subgraph "cluster_5" {
    label="src/shop/service.py";
    "mod:src/shop/service.py" [label="service", shape=tab];
  }
  subgraph "cluster_6" {
    label="tests/test_service.py";
    "mod:tests/test_service.py" [label="test_service", shape=tab];
  }
  "ext:dataclasses" [label="dataclasses", shape=hexagon];
  "ext:pytest" [label="pytest", shape=hexagon];
  "mod:src/shop/api.py" -> "mod:src/shop/models.py" [label="imports", style=dashed];
  "mod:src/shop/api.py" -> "mod:src/shop/service.py" [label="imports", style=dashed];
  "mod:src/shop/models.py" -> "ext:dataclasses" [label="imports", style=dashed];
  "mod:src/shop/repo.py" -> "mod:src/shop/models.py" [label="imports", style=dashed];
  "mod:src/shop/service.py" -> "mod:src/shop/api.py" [label="imports", style=dashed];
  "mod:src/shop/service.py" -> "mod:src/shop/models.py" [label="imports", style=dashed];
  "mod:src/shop/service.py" -> "mod:src/shop/repo.py" [label="imports", style=dashed];
  "mod:tests/test_service.py" -> "ext:pytest" [label="imports", style=dashed];
  "mod:tests/test_service.py" -> "mod:src/shop/repo.py" [label="imports", style=dashed];
  "mod:tests/test_service.py" -> "mod:src/shop/service.py" [label="imports", style=dashed];
}
"#,
    );
}

#[test]
fn mu_whole_project() {
    let body = shop_export(&[("format", "mu")]).body;
    same(
        &body,
        "# MU Export
# nodes: 25
# edges: 47

!module src/shop/__init__.py


!module src/shop/api.py
@imports [src/shop/models.py, src/shop/service.py]

#notify(order_id: int) -> None :: complexity:1
#lookup(sku: str) -> Item :: complexity:1
#create_order(service: OrderService, order_id: int, skus: list[str]) -> int :: complexity:3

!module src/shop/models.py
:: Domain objects.
@ext [dataclasses]

$@dataclass Item
  @attrs [sku, price]
$Order
  @attrs [items]
  #__init__(self, items: list[Item]) :: complexity:1
  #total(self) -> int :: complexity:2
$BulkOrder < Order
  #total(self) -> int :: complexity:2

!module src/shop/repo.py
@imports [src/shop/models.py]

$OrderRepo
  @attrs [_orders]
  #__init__(self) :: complexity:1
  #save(self, order_id: int, order: Order) -> None :: complexity:2
  #get(self, order_id: int) -> Order | None :: complexity:1

!module src/shop/service.py
@imports [src/shop/api.py, src/shop/models.py, src/shop/repo.py]

$OrderService
  @attrs [repo]
  #__init__(self, repo: OrderRepo) :: complexity:1
  #place(self, order_id: int, items: list[Item]) -> int :: complexity:2

!module tests/test_service.py
@imports [src/shop/repo.py, src/shop/service.py]
@ext [pytest]

#test_place_rejects_empty() :: complexity:2
",
    );
}

#[test]
fn mu_partial_classes() {
    let body = shop_export(&[
        ("format", "mu"),
        (
            "nodes",
            "fn:src/shop/repo.py:OrderRepo.save,fn:src/shop/models.py:Order.total",
        ),
    ])
    .body;
    same(
        &body,
        "# MU Export
# nodes: 2
# edges: 0

!module src/shop/models.py
@ext [dataclasses]

$Order
  :: (partial - selected methods only)
  #total(self) -> int :: complexity:2

!module src/shop/repo.py
@imports [src/shop/models.py]

$OrderRepo
  :: (partial - selected methods only)
  #save(self, order_id: int, order: Order) -> None :: complexity:2
",
    );
}

#[test]
fn mu_module_level_renders_modules() {
    let body = shop_export(&[("format", "mu"), ("level", "module"), ("nodes", FOUR)]).body;
    same(
        &body,
        "# MU Export\n# nodes: 1\n# edges: 0\n\n!module src/shop/models.py\n:: Domain objects.\n@ext [dataclasses]\n\n",
    );
}

#[test]
fn mu_empty_selection_is_the_header() {
    let header = "# Context Extract\n# question: q\n# nodes: 0\n";
    assert_eq!(render_mu(shop(), &[], header), header);
    // Externals have no file: no block.
    let ext = shop().find("ext:pytest").unwrap();
    assert_eq!(render_mu(shop(), &[ext], header), header);
}

// ---------------------------------------------------------------------------------------------
// Selection (B.1, §4.12).

fn selected(pairs: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
    let g = shop();
    let v = select(g, &request(pairs));
    let v = if request(pairs).level == Level::Module {
        aggregate(&v)
    } else {
        v
    };
    (
        v.nodes.iter().map(|&i| g.node(i).id.clone()).collect(),
        v.edges.iter().map(|e| v.edge_id(e).into_owned()).collect(),
    )
}

#[test]
fn select_by_types() {
    let (nodes, edges) = selected(&[("types", "class")]);
    assert_eq!(
        nodes,
        [
            "cls:src/shop/models.py:BulkOrder",
            "cls:src/shop/models.py:Item",
            "cls:src/shop/models.py:Order",
            "cls:src/shop/repo.py:OrderRepo",
            "cls:src/shop/service.py:OrderService"
        ]
    );
    assert_eq!(
        edges,
        ["edge:cls:src/shop/models.py:BulkOrder:inherits:cls:src/shop/models.py:Order"]
    );
    let (nodes, _) = selected(&[("types", " external , module ,")]);
    assert_eq!(nodes.len(), 8);
}

#[test]
fn select_max_nodes_after_types() {
    let (nodes, edges) = selected(&[("types", "function,class"), ("max_nodes", "3")]);
    assert_eq!(
        nodes,
        [
            "cls:src/shop/models.py:BulkOrder",
            "cls:src/shop/models.py:Item",
            "cls:src/shop/models.py:Order"
        ]
    );
    assert_eq!(edges.len(), 1);
    let (nodes, _) = selected(&[("max_nodes", "1")]);
    assert_eq!(nodes, ["cls:src/shop/models.py:BulkOrder"]);
    let (nodes, _) = selected(&[("max_nodes", "99999999999999999999999")]);
    assert_eq!(nodes.len(), 25);
}

#[test]
fn select_edge_types() {
    let (nodes, edges) = selected(&[("edge_types", "imports")]);
    assert_eq!(nodes.len(), 25);
    assert_eq!(edges.len(), 10);
    assert!(edges.iter().all(|e| e.contains(":imports:")));
    let (_, edges) = selected(&[("edge_types", "calls, inherits")]);
    assert_eq!(edges.len(), 12);
    // Unknown names match no edge.
    let (nodes, edges) = selected(&[("edge_types", "bogus")]);
    assert_eq!((nodes.len(), edges.len()), (25, 0));
    // Edge order: (source, type name, target).
    let (_, edges) = selected(&[(
        "nodes",
        "fn:src/shop/service.py:OrderService.place,cls:src/shop/models.py:Item,\
         fn:src/shop/api.py:notify,fn:src/shop/models.py:Order.total",
    )]);
    assert_eq!(
        edges,
        [
            "edge:fn:src/shop/service.py:OrderService.place:calls:fn:src/shop/api.py:notify",
            "edge:fn:src/shop/service.py:OrderService.place:calls:fn:src/shop/models.py:Order.total",
            "edge:fn:src/shop/service.py:OrderService.place:uses:cls:src/shop/models.py:Item",
        ]
    );
}

#[test]
fn select_nodes_exact_ids() {
    let (nodes, edges) = selected(&[
        (
            "nodes",
            " fn:src/shop/models.py:Order.total , nope,,cls:src/shop/models.py:Order,Order ,",
        ),
        // Ignored when `nodes` is given.
        ("types", "module"),
        ("max_nodes", "1"),
    ]);
    assert_eq!(
        nodes,
        [
            "cls:src/shop/models.py:Order",
            "fn:src/shop/models.py:Order.total"
        ]
    );
    assert_eq!(
        edges,
        ["edge:cls:src/shop/models.py:Order:contains:fn:src/shop/models.py:Order.total"]
    );
    // Only unknown ids: nothing.
    let (nodes, edges) = selected(&[("nodes", "nope")]);
    assert!(nodes.is_empty() && edges.is_empty());
}

#[test]
fn module_aggregation_of_a_selection() {
    // The B.1 nodes at module level: all inside models.py.
    let (nodes, edges) = selected(&[("nodes", FOUR), ("level", "module")]);
    assert_eq!(nodes, ["mod:src/shop/models.py"]);
    assert!(edges.is_empty());
    // Functions only: modules replace them although not selected; externals stay.
    let g = shop();
    let req = request(&[("types", "function,external"), ("level", "module")]);
    let v = aggregate(&select(g, &req));
    let ids: Vec<&str> = v.nodes.iter().map(|&i| g.node(i).id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ext:dataclasses",
            "ext:pytest",
            "mod:src/shop/api.py",
            "mod:src/shop/models.py",
            "mod:src/shop/repo.py",
            "mod:src/shop/service.py",
            "mod:tests/test_service.py"
        ]
    );
    let edges: Vec<(String, Option<u32>)> = v
        .edges
        .iter()
        .map(|e| (v.edge_id(e).into_owned(), e.weight))
        .collect();
    assert_eq!(
        edges,
        [
            (
                "edge:mod:src/shop/api.py:calls:mod:src/shop/service.py".to_string(),
                Some(1)
            ),
            (
                "edge:mod:src/shop/service.py:calls:mod:src/shop/api.py".to_string(),
                Some(1)
            ),
            (
                "edge:mod:src/shop/service.py:calls:mod:src/shop/models.py".to_string(),
                Some(2)
            ),
            (
                "edge:mod:src/shop/service.py:calls:mod:src/shop/repo.py".to_string(),
                Some(1)
            ),
            (
                "edge:mod:tests/test_service.py:calls:mod:src/shop/repo.py".to_string(),
                Some(1)
            ),
            (
                "edge:mod:tests/test_service.py:calls:mod:src/shop/service.py".to_string(),
                Some(2)
            ),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Parameters and errors (§4.12).

#[test]
fn params_parsed() {
    let req = request(&[
        ("format", "dot"),
        ("nodes", " a, b ,,"),
        ("types", "class, function"),
        ("edge_types", "calls,imports"),
        ("max_nodes", "5"),
        ("level", "module"),
        ("cwd", "/somewhere"),
        ("unknown", "x"),
    ]);
    assert_eq!(
        req,
        ExportRequest {
            format: Format::Dot,
            nodes: Some(vec!["a".into(), "b".into()]),
            types: Some(vec![NodeType::Class, NodeType::Function]),
            edge_types: Some(EdgeFilter::of(&[EdgeType::Calls, EdgeType::Imports])),
            max_nodes: Some(5),
            level: Level::Module,
        }
    );
    // Defaults; empty values count as absent.
    let empty = [
        ("format", ""),
        ("nodes", ""),
        ("types", ""),
        ("edge_types", ""),
        ("max_nodes", ""),
        ("level", ""),
    ];
    assert_eq!(request(&empty), ExportRequest::default());
    assert_eq!(request(&[]), ExportRequest::default());
    assert_eq!(request(&[("nodes", " , ,")]).nodes, None);
    for f in Format::ALL {
        assert_eq!(request(&[("format", f.as_str())]).format, f);
    }
    // The last non-empty value of a repeated parameter counts.
    assert_eq!(
        request(&[("format", "mu"), ("format", "d2"), ("format", "")]).format,
        Format::D2
    );
}

#[test]
fn every_error_of_the_spec() {
    let err = |pairs: &[(&str, &str)]| ExportRequest::from_params(&params(pairs)).unwrap_err();
    let e = err(&[("format", "lisp")]);
    assert_eq!(
        e.to_string(),
        "Unknown format: lisp. Available: cytoscape, d2, dot, json, mermaid, mu"
    );
    assert_eq!(e, ExportError::UnknownFormat("lisp".into()));
    let e = err(&[("types", "class, widget")]);
    assert_eq!(
        e.to_string(),
        "Invalid node type: 'widget' is not a valid NodeType"
    );
    assert_eq!(e, ExportError::InvalidNodeType("widget".into()));
    assert_eq!(
        err(&[("types", "Class")]).to_string(),
        "Invalid node type: 'Class' is not a valid NodeType"
    );
    let e = err(&[("level", "file")]);
    assert_eq!(e.to_string(), "Invalid level: file");
    assert_eq!(e, ExportError::InvalidLevel("file".into()));
    for bad in ["0", "-1", "abc", "1.5", "+3", "00"] {
        let e = err(&[("max_nodes", bad)]);
        assert_eq!(e, ExportError::InvalidMaxNodes, "{bad}");
        assert_eq!(e.to_string(), "max_nodes must be a positive integer");
    }
    assert_eq!(request(&[("max_nodes", " 7 ")]).max_nodes, Some(7));
    // Checks run in the order of the spec's list: format, types, level, max_nodes.
    let all_bad = [
        ("max_nodes", "0"),
        ("level", "x"),
        ("types", "y"),
        ("format", "z"),
    ];
    assert_eq!(err(&all_bad), ExportError::UnknownFormat("z".into()));
    assert_eq!(err(&all_bad[..3]), ExportError::InvalidNodeType("y".into()));
    assert_eq!(err(&all_bad[..2]), ExportError::InvalidLevel("x".into()));
}

#[test]
fn content_types() {
    for (f, ct) in [
        ("json", "application/json"),
        ("cytoscape", "application/json"),
        ("mu", "text/plain; charset=utf-8"),
        ("mermaid", "text/plain; charset=utf-8"),
        ("d2", "text/plain; charset=utf-8"),
        ("dot", "text/vnd.graphviz; charset=utf-8"),
    ] {
        assert_eq!(shop_export(&[("format", f)]).content_type, ct);
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic graphs.

fn node(id: &str, t: NodeType, name: &str, file: Option<&str>, props: &str) -> NodeRow {
    NodeRow {
        id: id.to_string(),
        node_type: t,
        name: name.to_string(),
        qualified_name: None,
        file_path: file.map(str::to_string),
        line_start: None,
        line_end: None,
        properties: props.to_string(),
        complexity: 0,
    }
}

fn at(mut n: NodeRow, start: i32, end: i32, complexity: i32) -> NodeRow {
    n.line_start = Some(start);
    n.line_end = Some(end);
    n.complexity = complexity;
    n
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

fn graph(nodes: Vec<NodeRow>, edges: Vec<EdgeRow>) -> Graph {
    Graph::build(Path::new("/p"), nodes, edges)
}

fn full(g: &Graph, format: Format) -> String {
    let req = ExportRequest {
        format,
        ..ExportRequest::default()
    };
    export(g, &req, AT).body
}

#[test]
fn d2_and_dot_escape_quotes_and_backslashes() {
    use NodeType::*;
    let f = r#"src/we"ird\dir.py"#;
    let g = graph(
        vec![
            node(&format!("mod:{f}"), Module, r#"we"ird"#, Some(f), "{}"),
            node(&format!("cls:{f}:Q"), Class, r#"Q"x\y"#, Some(f), "{}"),
            node(r#"ext:a\b"#, External, r#"a\b"#, None, "{}"),
        ],
        vec![
            edge(
                &format!("mod:{f}"),
                EdgeType::Contains,
                &format!("cls:{f}:Q"),
            ),
            edge(&format!("mod:{f}"), EdgeType::Imports, r#"ext:a\b"#),
            edge(&format!("cls:{f}:Q"), EdgeType::Inherits, r#"ext:a\b"#),
        ],
    );
    same(
        &full(&g, Format::D2),
        r#"direction: right

"cls:src/we\"ird\\dir.py:Q": "Q\"x\\y" {shape: class}
"ext:a\\b": "a\\b" {shape: cloud}
"mod:src/we\"ird\\dir.py": "we\"ird" {shape: package}

"cls:src/we\"ird\\dir.py:Q" -> "ext:a\\b": inherits
"mod:src/we\"ird\\dir.py" -> "cls:src/we\"ird\\dir.py:Q": contains
"mod:src/we\"ird\\dir.py" -> "ext:a\\b": imports
"#,
    );
    same(
        &full(&g, Format::Dot),
        r#"digraph mu {
  rankdir=LR;
  subgraph "cluster_1" {
    label="src/we\"ird\\dir.py";
    "cls:src/we\"ird\\dir.py:Q" [label="Q\"x\\y", shape=box];
    "mod:src/we\"ird\\dir.py" [label="we\"ird", shape=tab];
  }
  "ext:a\\b" [label="a\\b", shape=hexagon];
  "cls:src/we\"ird\\dir.py:Q" -> "ext:a\\b" [label="inherits", arrowhead=empty];
  "mod:src/we\"ird\\dir.py" -> "cls:src/we\"ird\\dir.py:Q" [label="contains"];
  "mod:src/we\"ird\\dir.py" -> "ext:a\\b" [label="imports", style=dashed];
}
"#,
    );
    // Mermaid: `"` as `#quot;`, other characters as they are.
    same(
        &full(&g, Format::Mermaid),
        r#"flowchart LR
    cls_src_we_ird_dir_py_Q["Q#quot;x\y"]
    ext_a_b{{"a\b"}}
    mod_src_we_ird_dir_py(["we#quot;ird"])
    cls_src_we_ird_dir_py_Q ==>|inherits| ext_a_b
    mod_src_we_ird_dir_py --> cls_src_we_ird_dir_py_Q
    mod_src_we_ird_dir_py -.->|imports| ext_a_b
"#,
    );
    // JSON formats escape as JSON.
    let cy: serde_json::Value = serde_json::from_str(&full(&g, Format::Cytoscape)).unwrap();
    assert_eq!(cy["elements"]["nodes"][0]["data"]["label"], r#"Q"x\y"#);
    let js: serde_json::Value = serde_json::from_str(&full(&g, Format::Json)).unwrap();
    assert_eq!(js["nodes"][0]["name"], r#"Q"x\y"#);
}

#[test]
fn json_strings_are_escaped_like_serde_json() {
    for s in [
        "plain",
        "q\"b\\s",
        "tab\tnl\ncr\r\u{8}\u{c}\u{1}\u{1f}\u{7f}",
        "é ✓ 𝄞",
        "",
    ] {
        let mut out = String::new();
        push_json_str(&mut out, s);
        assert_eq!(out, serde_json::to_string(s).unwrap());
    }
}

#[test]
fn mermaid_ids_sanitised_with_suffixes() {
    use NodeType::*;
    let g = graph(
        vec![
            node("1abc", Function, "one", None, "{}"),
            node("a-b", Function, "ab1", None, "{}"),
            node("a.b", Function, "ab2", None, "{}"),
            node("a:b", Function, "ab3", None, "{}"),
            node("a_b_2", Function, "ab4", None, "{}"),
            node("end", Class, "end", None, "{}"),
            node("mod:é.py", Module, "é", None, "{}"),
        ],
        vec![
            edge("a-b", EdgeType::Calls, "end"),
            edge("a.b", EdgeType::Uses, "a:b"),
        ],
    );
    same(
        &full(&g, Format::Mermaid),
        r#"flowchart LR
    n1abc("one")
    a_b("ab1")
    a_b_2("ab2")
    a_b_3("ab3")
    a_b_2_2("ab4")
    end_2["end"]
    mod___py(["é"])
    a_b -->|calls| end_2
    a_b_2 -->|uses| a_b_3
"#,
    );
}

/// A small Python-like file exercising the MU rules of A.8.
fn mu_sample() -> Graph {
    use NodeType::*;
    let f = Some("src/x.py");
    let attrs: Vec<String> = (0..20).map(|i| format!("\"a{i}\"")).collect();
    let long_doc = "D".repeat(150);
    let class_props = format!(
        r#"{{"kind":"interface","bases":["Base","pkg.Other"],"decorators":["public","Injectable","private","route"],"attributes":[{}],"visibility":"public","docstring":"{long_doc}\nsecond line"}}"#,
        attrs.join(",")
    );
    let fn_props = |params: &str, ret: &str, flags: &str, doc: &str| {
        format!(
            r#"{{"is_method":false,{flags}"parameters":[{params}],"return_type":{ret},"decorators":["staticmethod"]{doc}}}"#
        )
    };
    let p = |name: &str, ty: &str, variadic: bool, keyword: bool| {
        format!(
            r#"{{"name":"{name}","type":{ty},"default":"1","variadic":{variadic},"keyword":{keyword}}}"#
        )
    };
    let selfp = p("self", "null", false, false);
    let nodes = vec![
        node(
            "mod:src/x.py",
            Module,
            "x",
            f,
            r#"{"language":"python","docstring":"Module doc.\nMore text."}"#,
        ),
        at(
            node("cls:src/x.py:Repo", Class, "Repo", f, &class_props),
            3,
            20,
            0,
        ),
        at(
            node(
                "fn:src/x.py:Repo.find",
                Function,
                "find",
                f,
                &fn_props(
                    &[
                        selfp.clone(),
                        p("args", "\"int\"", true, false),
                        p("kw", "null", false, true),
                    ]
                    .join(","),
                    "\"Item\"",
                    r#""is_async":true,"#,
                    r#","docstring":"Find it.\nDetails.""#,
                ),
            ),
            10,
            12,
            4,
        ),
        at(
            node(
                "fn:src/x.py:Repo.make",
                Function,
                "make",
                f,
                &fn_props(
                    "",
                    "null",
                    r#""is_static":true,"is_classmethod":true,"is_async":true,"#,
                    "",
                ),
            ),
            5,
            6,
            1,
        ),
        at(
            node(
                "fn:src/x.py:outer",
                Function,
                "outer",
                f,
                &fn_props("", "\"\"", "", ""),
            ),
            30,
            40,
            1,
        ),
        at(
            node(
                "fn:src/x.py:outer.inner",
                Function,
                "inner",
                f,
                &fn_props(&p("x", "null", false, false), "null", "", ""),
            ),
            31,
            32,
            1,
        ),
        at(
            node(
                "cls:src/x.py:outer.Local",
                Class,
                "Local",
                f,
                r#"{"kind":"class","bases":[],"decorators":[],"attributes":[],"visibility":null}"#,
            ),
            33,
            36,
            0,
        ),
        at(
            node(
                "fn:src/x.py:outer.Local.run",
                Function,
                "run",
                f,
                &fn_props(&selfp, "null", "", ""),
            ),
            34,
            35,
            2,
        ),
        at(
            node("fn:src/x.py:first", Function, "first", f, "{}"),
            1,
            2,
            1,
        ),
        node("mod:src/y.py", Module, "y", Some("src/y.py"), "{}"),
        node("ext:zlib", External, "zlib", None, "{}"),
        node("ext:abc", External, "abc", None, "{}"),
    ];
    use EdgeType::*;
    let edges = vec![
        edge("mod:src/x.py", Contains, "cls:src/x.py:Repo"),
        edge("mod:src/x.py", Contains, "fn:src/x.py:outer"),
        edge("mod:src/x.py", Contains, "fn:src/x.py:first"),
        edge("cls:src/x.py:Repo", Contains, "fn:src/x.py:Repo.find"),
        edge("cls:src/x.py:Repo", Contains, "fn:src/x.py:Repo.make"),
        edge("fn:src/x.py:outer", Contains, "fn:src/x.py:outer.inner"),
        edge("fn:src/x.py:outer", Contains, "cls:src/x.py:outer.Local"),
        edge(
            "cls:src/x.py:outer.Local",
            Contains,
            "fn:src/x.py:outer.Local.run",
        ),
        edge("mod:src/x.py", Imports, "ext:zlib"),
        edge("mod:src/x.py", Imports, "ext:abc"),
        edge("mod:src/x.py", Imports, "mod:src/y.py"),
        edge("fn:src/x.py:outer", Calls, "fn:src/x.py:first"),
    ];
    graph(nodes, edges)
}

fn ids(g: &Graph, ids: &[&str]) -> Vec<u32> {
    ids.iter().map(|id| g.find(id).unwrap()).collect()
}

#[test]
fn mu_rendering_rules() {
    let g = mu_sample();
    let all: Vec<u32> = (0..g.nodes().len() as u32).collect();
    let attrs: Vec<String> = (0..15).map(|i| format!("a{i}")).collect();
    let expected = format!(
        "H\n\n!module src/x.py
:: Module doc.
@imports [src/y.py]
@ext [abc, zlib]

$interface @Injectable @route Repo < Base, pkg.Other
  \"\"\"{}\"\"\"
  @attrs [{} (+5 more)]
  #async static classmethod make() :: complexity:1
  #async find(self, *args: int, **kw) -> Item :: complexity:4
    \"\"\"Find it.\"\"\"
#first() :: complexity:1
#outer() :: complexity:1
  $Local
    #run(self) :: complexity:2
  #inner(x) :: complexity:1

!module src/y.py

",
        "D".repeat(120),
        attrs.join(", ")
    );
    same(&render_mu(&g, &all, "H\n"), &expected);
}

#[test]
fn mu_nested_without_container_uses_qualified_names() {
    let g = mu_sample();
    let sel = ids(
        &g,
        &[
            "fn:src/x.py:outer.inner",
            "fn:src/x.py:outer.Local.run",
            "fn:src/x.py:Repo.make",
        ],
    );
    same(
        &render_mu(&g, &sel, ""),
        "\n!module src/x.py
@imports [src/y.py]
@ext [abc, zlib]

$Repo
  :: (partial - selected methods only)
  #async static classmethod make() :: complexity:1
$outer.Local
  :: (partial - selected methods only)
  #run(self) :: complexity:2
#outer.inner(x) :: complexity:1
",
    );
    // A nested class selected without its container, with its method.
    let sel = ids(
        &g,
        &["cls:src/x.py:outer.Local", "fn:src/x.py:outer.Local.run"],
    );
    let body = render_mu(&g, &sel, "");
    assert!(
        body.ends_with("\n$outer.Local\n  #run(self) :: complexity:2\n"),
        "{body}"
    );
}

#[test]
fn mu_line_numbers_option() {
    let g = mu_sample();
    let sel = ids(&g, &["fn:src/x.py:outer", "fn:src/x.py:outer.inner"]);
    let body = render_mu_with(&g, &sel, "", MuOptions { line_numbers: true });
    assert!(
        body.ends_with("#outer() :L30-40 :: complexity:1\n  #inner(x) :L31-32 :: complexity:1\n"),
        "{body}"
    );
    assert!(!render_mu(&g, &sel, "").contains(":L"));
}

// ---------------------------------------------------------------------------------------------
// Mermaid's budget.

/// Deterministic pseudo-random numbers.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// `modules` modules of `fns` functions each, and `calls` distinct calls between functions of
/// different modules, biased so that module edges get different weights.
fn big_graph(modules: usize, fns: usize, calls: usize) -> Graph {
    use NodeType::*;
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for m in 0..modules {
        let path = format!("src/pkg{m}/mod{m}.py");
        let mid = format!("mod:{path}");
        nodes.push(node(&mid, Module, &format!("mod{m}"), Some(&path), "{}"));
        for f in 0..fns {
            let fid = format!("fn:{path}:f{f}");
            nodes.push(node(&fid, Function, &format!("f{f}"), Some(&path), "{}"));
            edges.push(edge(&mid, EdgeType::Contains, &fid));
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut rng = Lcg(7);
    while seen.len() < calls {
        let a = rng.next(modules);
        // Neighbouring modules are likelier: repeated module pairs, varied weights.
        let b = if rng.next(3) == 0 {
            rng.next(modules)
        } else {
            (a + 1 + rng.next(4)) % modules
        };
        let (fa, fb) = (rng.next(fns), rng.next(fns));
        if a == b || !seen.insert((a, fa, b, fb)) {
            continue;
        }
        edges.push(edge(
            &format!("fn:src/pkg{a}/mod{a}.py:f{fa}"),
            EdgeType::Calls,
            &format!("fn:src/pkg{b}/mod{b}.py:f{fb}"),
        ));
    }
    graph(nodes, edges)
}

fn mermaid(g: &Graph, level: Level) -> String {
    let req = ExportRequest {
        format: Format::Mermaid,
        level,
        ..ExportRequest::default()
    };
    export(g, &req, AT).body
}

/// Edge lines of a mermaid body: (source id, label, target id).
fn mermaid_edges(body: &str) -> Vec<(String, String, String)> {
    body.lines()
        .filter(|l| l.starts_with("    ") && l.contains(" -"))
        .map(|l| {
            let parts: Vec<&str> = l.trim().split(' ').collect();
            let label = parts[1..parts.len() - 1].join(" ");
            (
                parts[0].to_string(),
                label,
                parts[parts.len() - 1].to_string(),
            )
        })
        .collect()
}

/// Check the truncated body of `g` aggregated to modules: within both limits, the kept edges
/// are a prefix of the weight order, written in edge order, nodes are exactly their ends, and
/// the next edge would not fit.
fn check_truncated(g: &Graph, body: &str, comments: usize) {
    assert!(body.len() <= 50_000, "{} bytes", body.len());
    assert!(body.chars().count() <= 50_000);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "flowchart LR");
    let modules = aggregate(&select(g, &ExportRequest::default()));
    let m = modules.edges.len();
    let kept = mermaid_edges(body);
    let k = kept.len();
    assert!(k <= 500);
    assert_eq!(
        lines[comments],
        format!("%% mu-daemon: truncated: showing {k} of {m} module edges")
    );
    // Expected: the first k edges by decreasing weight (stable), in edge order.
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by_key(|&x| std::cmp::Reverse(modules.edges[x].weight));
    let mut first: Vec<usize> = order[..k].to_vec();
    first.sort_unstable();
    let mid = |i: u32| modules.node(i).id.replace([':', '/', '.'], "_");
    let expected: Vec<(String, String, String)> = first
        .iter()
        .map(|&x| {
            let e = &modules.edges[x];
            (
                mid(e.source),
                format!("-->|calls ×{}|", e.weight.unwrap()),
                mid(e.target),
            )
        })
        .collect();
    assert_eq!(kept, expected);
    // Nodes: exactly the ends of the kept edges, in id order.
    let mut ends: Vec<u32> = first
        .iter()
        .flat_map(|&x| [modules.edges[x].source, modules.edges[x].target])
        .collect();
    ends.sort_unstable();
    ends.dedup();
    let node_lines: Vec<String> = ends
        .iter()
        .map(|&i| format!("    {}([\"{}\"])", mid(i), modules.node(i).name))
        .collect();
    assert_eq!(
        lines[comments + 1..comments + 1 + ends.len()],
        node_lines[..]
    );
    assert_eq!(lines.len(), comments + 1 + ends.len() + k);
    // Maximal: the next edge in weight order (with its new nodes) would break a limit.
    if k < m && k < 500 {
        let e = &modules.edges[order[k]];
        let mut extra = format!(
            "    {} -->|calls ×{}| {}\n",
            mid(e.source),
            e.weight.unwrap(),
            mid(e.target)
        )
        .len();
        for end in [e.source, e.target] {
            if ends.binary_search(&end).is_err() {
                extra += format!("    {}([\"{}\"])\n", mid(end), modules.node(end).name).len();
            }
        }
        assert!(body.len() + extra > 50_000, "{} + {extra}", body.len());
    }
}

#[test]
fn mermaid_huge_graph_aggregates_then_truncates() {
    let g = big_graph(3_000, 3, 20_000);
    let start = std::time::Instant::now();
    let body = mermaid(&g, Level::Node);
    assert!(start.elapsed().as_secs() < 10);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[1],
        "%% mu-daemon: aggregated to modules: 12000 nodes / 29000 edges exceed Mermaid's limits (500 edges, 50,000 characters)"
    );
    check_truncated(&g, &body, 2);
    // Here the character limit binds before the edge limit.
    assert!(mermaid_edges(&body).len() < 500);
    // The heaviest module edges were kept: no edge of weight 1 made it.
    assert!(!body.contains("×1|"));
}

#[test]
fn mermaid_module_level_overflow_truncates_without_aggregation_comment() {
    let g = big_graph(3_000, 3, 20_000);
    let body = mermaid(&g, Level::Module);
    assert!(!body.contains("aggregated to modules"));
    check_truncated(&g, &body, 1);
}

#[test]
fn mermaid_truncates_by_edge_count() {
    // Short ids: 500 edges fit in 50,000 characters, so the edge limit binds.
    use NodeType::*;
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for m in 0..40 {
        nodes.push(node(
            &format!("m{m}"),
            Module,
            "m",
            Some(&format!("{m}")),
            "{}",
        ));
    }
    for a in 0..40 {
        for b in 0..40 {
            if a != b {
                edges.push(edge(&format!("m{a}"), EdgeType::Imports, &format!("m{b}")));
            }
        }
    }
    let g = graph(nodes, edges);
    let body = mermaid(&g, Level::Module);
    assert_eq!(mermaid_edges(&body).len(), 500);
    assert_eq!(
        body.lines().nth(1).unwrap(),
        "%% mu-daemon: truncated: showing 500 of 1560 module edges"
    );
    assert!(body.len() <= 50_000);
}

#[test]
fn mermaid_node_level_overflow_fits_at_module_level() {
    use NodeType::*;
    // 10 modules of 60 functions; function f of module m calls f of module m+1: 600 calls.
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for m in 0..10 {
        let path = format!("m{m}.py");
        nodes.push(node(
            &format!("mod:{path}"),
            Module,
            &format!("m{m}"),
            Some(&path),
            "{}",
        ));
        for f in 0..60 {
            let fid = format!("fn:{path}:f{f}");
            nodes.push(node(&fid, Function, &format!("f{f}"), Some(&path), "{}"));
            edges.push(edge(&format!("mod:{path}"), EdgeType::Contains, &fid));
            edges.push(edge(
                &fid,
                EdgeType::Calls,
                &format!("fn:m{}.py:f{f}", (m + 1) % 10),
            ));
        }
    }
    let g = graph(nodes, edges);
    let mut expected = String::from(
        "flowchart LR\n%% mu-daemon: aggregated to modules: 610 nodes / 1200 edges exceed Mermaid's limits (500 edges, 50,000 characters)\n",
    );
    for m in 0..10 {
        expected.push_str(&format!("    mod_m{m}_py([\"m{m}\"])\n"));
    }
    for m in 0..10 {
        expected.push_str(&format!(
            "    mod_m{m}_py -->|calls ×60| mod_m{}_py\n",
            (m + 1) % 10
        ));
    }
    same(&mermaid(&g, Level::Node), &expected);
}

#[test]
fn mermaid_character_limit_alone_triggers_aggregation() {
    use NodeType::*;
    // 400 functions with long names: 400 edges, but far more than 50,000 characters.
    let mut nodes = vec![node("mod:big.py", Module, "big", Some("big.py"), "{}")];
    let mut edges = Vec::new();
    for f in 0..400 {
        let name = format!("{}{f}", "n".repeat(150));
        let fid = format!("fn:big.py:{name}");
        nodes.push(node(&fid, Function, &name, Some("big.py"), "{}"));
        edges.push(edge("mod:big.py", EdgeType::Contains, &fid));
    }
    let g = graph(nodes, edges);
    same(
        &mermaid(&g, Level::Node),
        "flowchart LR\n%% mu-daemon: aggregated to modules: 401 nodes / 400 edges exceed Mermaid's limits (500 edges, 50,000 characters)\n    mod_big_py([\"big\"])\n",
    );
}

#[test]
fn mermaid_budget_counts_bytes() {
    use NodeType::*;
    // Multi-byte labels: under 50,000 characters but over 70,000 bytes at node level.
    let mut nodes = vec![node("mod:u.py", Module, "u", Some("u.py"), "{}")];
    for f in 0..600 {
        let name = format!("{}{f}", "é".repeat(50));
        nodes.push(node(
            &format!("fn:u.py:{f}"),
            Function,
            &name,
            Some("u.py"),
            "{}",
        ));
    }
    let g = graph(nodes, vec![]);
    let node_level = draw_all(&g);
    assert!(node_level.chars().count() < 50_000 && node_level.len() > 70_000);
    let body = mermaid(&g, Level::Node);
    same(
        &body,
        "flowchart LR\n%% mu-daemon: aggregated to modules: 601 nodes / 0 edges exceed Mermaid's limits (500 edges, 50,000 characters)\n    mod_u_py([\"u\"])\n",
    );
}

/// The unbudgeted node-level rendering.
fn draw_all(g: &Graph) -> String {
    let v = select(g, &ExportRequest::default());
    mermaid::draw(&v, &v.nodes, &v.edges, &[])
}
