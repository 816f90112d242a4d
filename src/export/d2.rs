//! `format=d2` (B.5): `direction: right`, a blank line, one line per node, a blank line, one
//! line per edge. Keys and labels are double-quoted with `"` and `\` backslash-escaped, so ids
//! containing `.` or `:` never create D2 containers.

use super::{push_quoted, View};
use crate::index::model::NodeType;

fn shape(t: NodeType) -> &'static str {
    match t {
        NodeType::Module => "package",
        NodeType::Class => "class",
        NodeType::Function => "rectangle",
        NodeType::External => "cloud",
    }
}

pub(super) fn render(view: &View) -> String {
    let mut out = String::with_capacity(32 + view.nodes.len() * 100 + view.edges.len() * 120);
    out.push_str("direction: right\n\n");
    for &i in &view.nodes {
        let n = view.node(i);
        push_quoted(&mut out, &n.id);
        out.push_str(": ");
        push_quoted(&mut out, &n.name);
        out.push_str(" {shape: ");
        out.push_str(shape(n.node_type));
        out.push_str("}\n");
    }
    out.push('\n');
    for e in &view.edges {
        push_quoted(&mut out, &view.node(e.source).id);
        out.push_str(" -> ");
        push_quoted(&mut out, &view.node(e.target).id);
        out.push_str(": ");
        out.push_str(&view.edge_label(e));
        out.push('\n');
    }
    out
}
