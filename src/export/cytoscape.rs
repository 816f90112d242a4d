//! `format=cytoscape` (B.6): Cytoscape.js elements JSON, compact. Node data `id`, `label`
//! (name), `type`, `file_path` (null for externals), `complexity`; edge data `id`, `source`,
//! `target`, `type`, plus `weight` at module level.

use super::{push_json_str, View};

pub(super) fn render(view: &View) -> String {
    let mut out = String::with_capacity(64 + view.nodes.len() * 160 + view.edges.len() * 200);
    out.push_str("{\"elements\":{\"nodes\":[");
    for (k, &i) in view.nodes.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let n = view.node(i);
        out.push_str("{\"data\":{\"id\":");
        push_json_str(&mut out, &n.id);
        out.push_str(",\"label\":");
        push_json_str(&mut out, &n.name);
        out.push_str(",\"type\":\"");
        out.push_str(n.node_type.as_str());
        out.push_str("\",\"file_path\":");
        match &n.file_path {
            Some(p) => push_json_str(&mut out, p),
            None => out.push_str("null"),
        }
        out.push_str(",\"complexity\":");
        out.push_str(&n.complexity.to_string());
        out.push_str("}}");
    }
    out.push_str("],\"edges\":[");
    for (k, e) in view.edges.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str("{\"data\":{\"id\":");
        push_json_str(&mut out, &view.edge_id(e));
        out.push_str(",\"source\":");
        push_json_str(&mut out, &view.node(e.source).id);
        out.push_str(",\"target\":");
        push_json_str(&mut out, &view.node(e.target).id);
        out.push_str(",\"type\":\"");
        out.push_str(e.edge_type.as_str());
        out.push('"');
        if let Some(w) = e.weight {
            out.push_str(",\"weight\":");
            out.push_str(&w.to_string());
        }
        out.push_str("}}");
    }
    out.push_str("]}}");
    out
}
