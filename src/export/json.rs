//! `format=json` (B.2): the `mubase-json` document, compact, written as text. Nodes are the
//! Node objects of `http-api.md` §3.1, edges the Edge objects of §3.2; at module level an edge
//! is a merged one (`properties` `{}`) followed by its `weight`.

use super::{push_json_str, View};
use crate::graph::{write_edge_json, write_node_json};
use crate::index::model::{EdgeType, NodeType};

/// Node types in the key order of `nodes_by_type` (alphabetical).
const NODE_TYPES: [NodeType; 4] = [
    NodeType::Class,
    NodeType::External,
    NodeType::Function,
    NodeType::Module,
];

/// Edge types in the key order of `edges_by_type` (alphabetical).
const EDGE_TYPES: [EdgeType; 5] = [
    EdgeType::Calls,
    EdgeType::Contains,
    EdgeType::Imports,
    EdgeType::Inherits,
    EdgeType::Uses,
];

/// `{"a":1,"b":2}` over the types present (count > 0), in the given order.
fn push_counts<'a>(out: &mut String, counts: impl Iterator<Item = (&'a str, usize)>) {
    out.push('{');
    let mut first = true;
    for (name, n) in counts.filter(|(_, n)| *n > 0) {
        if !first {
            out.push(',');
        }
        first = false;
        push_json_str(out, name);
        out.push(':');
        out.push_str(&n.to_string());
    }
    out.push('}');
}

pub(super) fn render(view: &View, generated_at: &str) -> String {
    let graph = view.graph;
    let mut out = String::with_capacity(256 + view.nodes.len() * 400 + view.edges.len() * 200);
    out.push_str("{\"version\":\"1.0\",\"format\":\"mubase-json\",\"generated_at\":");
    push_json_str(&mut out, generated_at);
    out.push_str(",\"project_root\":");
    push_json_str(&mut out, &graph.root().to_string_lossy());
    out.push_str(",\"level\":\"");
    out.push_str(view.level.as_str());
    out.push_str("\",\"stats\":{\"node_count\":");
    out.push_str(&view.nodes.len().to_string());
    out.push_str(",\"edge_count\":");
    out.push_str(&view.edges.len().to_string());
    out.push_str(",\"nodes_by_type\":");
    let mut node_counts = [0usize; 4];
    for &i in &view.nodes {
        node_counts[view.node(i).node_type as usize] += 1;
    }
    push_counts(
        &mut out,
        NODE_TYPES
            .iter()
            .map(|t| (t.as_str(), node_counts[*t as usize])),
    );
    out.push_str(",\"edges_by_type\":");
    let mut edge_counts = [0usize; 5];
    for e in &view.edges {
        edge_counts[e.edge_type as usize] += 1;
    }
    push_counts(
        &mut out,
        EDGE_TYPES
            .iter()
            .map(|t| (t.as_str(), edge_counts[*t as usize])),
    );
    out.push_str("},\"nodes\":[");
    for (k, &i) in view.nodes.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        write_node_json(&mut out, view.node(i));
    }
    out.push_str("],\"edges\":[");
    for (k, e) in view.edges.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        match (e.stored, e.weight) {
            (Some(s), _) => write_edge_json(&mut out, graph.edge(s)),
            (None, weight) => {
                out.push_str("{\"id\":");
                push_json_str(&mut out, &view.edge_id(e));
                out.push_str(",\"source_id\":");
                push_json_str(&mut out, &view.node(e.source).id);
                out.push_str(",\"target_id\":");
                push_json_str(&mut out, &view.node(e.target).id);
                out.push_str(",\"type\":\"");
                out.push_str(e.edge_type.as_str());
                out.push_str("\",\"properties\":{},\"weight\":");
                out.push_str(&weight.unwrap_or(1).to_string());
                out.push('}');
            }
        }
    }
    out.push_str("]}");
    out
}
