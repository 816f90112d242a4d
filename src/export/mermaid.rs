//! `format=mermaid` (B.4): a `flowchart LR` kept within Mermaid's default limits.
//!
//! **Budget.** Every body has at most [`MAX_EDGES`] edges and at most [`MAX_CHARS`]
//! characters, all lines and newlines included. Characters are counted as UTF-8 **bytes**:
//! a string's byte length is never below its number of code points nor its number of UTF-16
//! code units (what Mermaid's `maxTextSize` measures in JavaScript), so a body that fits in
//! bytes fits whichever way characters are counted. The steps of B.4: render at the requested
//! level; at node level, when that does not fit, aggregate to modules (second line: the
//! "aggregated" comment); when that does not fit either (or `level=module` was requested and
//! does not fit), keep module edges by decreasing weight (ties in edge order) as long as both
//! limits hold, drop the nodes left without an edge and add the "truncated" comment. The kept
//! edges are written in edge order (B.1), like every other edge list.

use std::collections::HashSet;

use super::{aggregate, Level, View, ViewEdge};
use crate::index::model::{EdgeType, NodeType};

/// Mermaid's `maxEdges` default.
pub(crate) const MAX_EDGES: usize = 500;
/// Mermaid's `maxTextSize` default, compared with the body's UTF-8 length.
pub(crate) const MAX_CHARS: usize = 50_000;

const HEADER: &str = "flowchart LR\n";
const INDENT: &str = "    ";

const KEYWORDS: [&str; 10] = [
    "end",
    "graph",
    "subgraph",
    "flowchart",
    "style",
    "class",
    "click",
    "linkStyle",
    "classDef",
    "direction",
];

/// A node id with every character outside `[A-Za-z0-9_]` replaced by `_`, prefixed with `n`
/// when it starts with a digit (or is empty).
fn sanitise(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'n');
    }
    s
}

/// Mermaid ids of `nodes`, in node order: an id that collides with an earlier one or is a
/// keyword gets `_2`, `_3`, … (the first free suffix).
fn mermaid_ids(view: &View, nodes: &[u32]) -> Vec<String> {
    let mut used: HashSet<String> = HashSet::with_capacity(nodes.len());
    nodes
        .iter()
        .map(|&i| {
            let base = sanitise(&view.node(i).id);
            let mut id = base.clone();
            let mut k = 2u32;
            while KEYWORDS.contains(&id.as_str()) || used.contains(&id) {
                id = format!("{base}_{k}");
                k += 1;
            }
            used.insert(id.clone());
            id
        })
        .collect()
}

fn node_line(view: &View, i: u32, id: &str) -> String {
    let n = view.node(i);
    let label = n.name.replace('"', "#quot;");
    let (open, close) = match n.node_type {
        NodeType::Module => ("([\"", "\"])"),
        NodeType::Class => ("[\"", "\"]"),
        NodeType::Function => ("(\"", "\")"),
        NodeType::External => ("{{\"", "\"}}"),
    };
    format!("{INDENT}{id}{open}{label}{close}\n")
}

fn edge_line(view: &View, e: &ViewEdge, source: &str, target: &str) -> String {
    let label = view.edge_label(e);
    let arrow = match (e.edge_type, e.weight) {
        (EdgeType::Contains, None) => "-->".to_string(),
        (EdgeType::Imports, _) => format!("-.->|{label}|"),
        (EdgeType::Inherits, _) => format!("==>|{label}|"),
        _ => format!("-->|{label}|"),
    };
    format!("{INDENT}{source} {arrow} {target}\n")
}

/// The body for these nodes (in id order) and edges (in edge order).
pub(super) fn draw(view: &View, nodes: &[u32], edges: &[ViewEdge], comments: &[String]) -> String {
    let ids = mermaid_ids(view, nodes);
    let id_of = |i: u32| -> &str {
        // Every edge end is among `nodes`, which are sorted.
        nodes
            .binary_search(&i)
            .map(|p| ids[p].as_str())
            .unwrap_or("")
    };
    let mut out = String::from(HEADER);
    for c in comments {
        out.push_str(c);
        out.push('\n');
    }
    for (&i, id) in nodes.iter().zip(&ids) {
        out.push_str(&node_line(view, i, id));
    }
    for e in edges {
        out.push_str(&edge_line(view, e, id_of(e.source), id_of(e.target)));
    }
    out
}

fn fits(body: &str, edges: usize) -> bool {
    edges <= MAX_EDGES && body.len() <= MAX_CHARS
}

/// Whether a view can fit at all, before drawing it: a node line takes at least 10 bytes
/// (`    x[""]` and a newline), an edge line at least 12 (`    a --> b` and a newline).
fn may_fit(nodes: usize, edges: usize) -> bool {
    edges <= MAX_EDGES && HEADER.len() + nodes * 10 + edges * 12 <= MAX_CHARS
}

/// Render `view` (node level, or already aggregated for `level=module`) within the budget.
pub(super) fn render(view: &View) -> String {
    if may_fit(view.nodes.len(), view.edges.len()) {
        let body = draw(view, &view.nodes, &view.edges, &[]);
        if fits(&body, view.edges.len()) {
            return body;
        }
    }
    let mut comments = Vec::new();
    let modules;
    let view = match view.level {
        Level::Node => {
            comments.push(format!(
                "%% mu-daemon: aggregated to modules: {} nodes / {} edges exceed Mermaid's limits \
                 (500 edges, 50,000 characters)",
                view.nodes.len(),
                view.edges.len()
            ));
            modules = aggregate(view);
            if may_fit(modules.nodes.len(), modules.edges.len()) {
                let body = draw(&modules, &modules.nodes, &modules.edges, &comments);
                if fits(&body, modules.edges.len()) {
                    return body;
                }
            }
            &modules
        }
        Level::Module => view,
    };
    truncate(view, comments)
}

fn truncated_comment(k: usize, m: usize) -> String {
    format!("%% mu-daemon: truncated: showing {k} of {m} module edges")
}

/// Step 3: the longest prefix of the edges by decreasing weight that fits, with the nodes they
/// touch.
fn truncate(view: &View, comments: Vec<String>) -> String {
    let m = view.edges.len();
    let mut order: Vec<usize> = (0..m).collect();
    // Stable: ties stay in edge order.
    order.sort_by_key(|&k| std::cmp::Reverse(view.edges[k].weight.unwrap_or(1)));
    // Sizes with the ids of the full node list; the final rendering is checked again below.
    let ids = mermaid_ids(view, &view.nodes);
    let pos = |i: u32| view.nodes.binary_search(&i).unwrap_or(0);
    let node_len: Vec<usize> = view
        .nodes
        .iter()
        .zip(&ids)
        .map(|(&i, id)| node_line(view, i, id).len())
        .collect();
    let mut total = HEADER.len()
        + comments.iter().map(|c| c.len() + 1).sum::<usize>()
        // `k` has at most as many digits as `m`.
        + truncated_comment(m, m).len()
        + 1;
    let mut present = vec![false; view.nodes.len()];
    let mut k = 0;
    for &x in &order {
        if k == MAX_EDGES {
            break;
        }
        let e = &view.edges[x];
        let (s, t) = (pos(e.source), pos(e.target));
        let mut add = edge_line(view, e, &ids[s], &ids[t]).len();
        if !present[s] {
            add += node_len[s];
        }
        if !present[t] && t != s {
            add += node_len[t];
        }
        if total + add > MAX_CHARS {
            break;
        }
        total += add;
        present[s] = true;
        present[t] = true;
        k += 1;
    }
    loop {
        let mut kept: Vec<usize> = order[..k].to_vec();
        kept.sort_unstable();
        let edges: Vec<ViewEdge> = kept.iter().map(|&x| view.edges[x]).collect();
        let mut nodes: Vec<u32> = edges.iter().flat_map(|e| [e.source, e.target]).collect();
        nodes.sort_unstable();
        nodes.dedup();
        let mut all = comments.clone();
        all.push(truncated_comment(k, m));
        let body = draw(view, &nodes, &edges, &all);
        // Ids re-assigned over fewer nodes can differ in length in contrived cases.
        if fits(&body, k) || k == 0 {
            return body;
        }
        k -= 1;
    }
}
