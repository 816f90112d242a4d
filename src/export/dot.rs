//! `format=dot` (B.7): Graphviz. One `subgraph "cluster_<k>"` per file (k from 1 in
//! `file_path` order) holding its nodes in id order, then the nodes without a file (externals),
//! then the edges. Ids and labels are double-quoted with `"` and `\` escaped.

use std::collections::BTreeMap;

use super::{push_quoted, View};
use crate::index::model::{EdgeType, NodeType};

fn shape(t: NodeType) -> &'static str {
    match t {
        NodeType::Module => "tab",
        NodeType::Class => "box",
        NodeType::Function => "ellipse",
        NodeType::External => "hexagon",
    }
}

fn push_node(out: &mut String, view: &View, i: u32, indent: &str) {
    let n = view.node(i);
    out.push_str(indent);
    push_quoted(out, &n.id);
    out.push_str(" [label=");
    push_quoted(out, &n.name);
    out.push_str(", shape=");
    out.push_str(shape(n.node_type));
    out.push_str("];\n");
}

pub(super) fn render(view: &View) -> String {
    let mut out = String::with_capacity(64 + view.nodes.len() * 100 + view.edges.len() * 140);
    out.push_str("digraph mu {\n  rankdir=LR;\n");
    let mut files: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut loose: Vec<u32> = Vec::new();
    for &i in &view.nodes {
        match view.node(i).file_path.as_deref() {
            Some(p) => files.entry(p).or_default().push(i),
            None => loose.push(i),
        }
    }
    for (k, (path, nodes)) in files.iter().enumerate() {
        out.push_str(&format!("  subgraph \"cluster_{}\" {{\n    label=", k + 1));
        push_quoted(&mut out, path);
        out.push_str(";\n");
        for &i in nodes {
            push_node(&mut out, view, i, "    ");
        }
        out.push_str("  }\n");
    }
    for &i in &loose {
        push_node(&mut out, view, i, "  ");
    }
    for e in &view.edges {
        out.push_str("  ");
        push_quoted(&mut out, &view.node(e.source).id);
        out.push_str(" -> ");
        push_quoted(&mut out, &view.node(e.target).id);
        out.push_str(" [label=");
        push_quoted(&mut out, &view.edge_label(e));
        match e.edge_type {
            EdgeType::Imports => out.push_str(", style=dashed"),
            EdgeType::Inherits => out.push_str(", arrowhead=empty"),
            _ => {}
        }
        out.push_str("];\n");
    }
    out.push_str("}\n");
    out
}
