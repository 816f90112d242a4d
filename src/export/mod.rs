//! `GET /export` rendering (`http-api.md` §4.12, `context-export-contracts.md` Part B): pure
//! functions from a graph snapshot and the request's parameters to a body and its
//! `Content-Type`. The HTTP handler parses the query with [`ExportRequest::from_params`], maps an
//! [`ExportError`] to its status ([`ExportError::status`]) and serves [`export`]'s result.
//!
//! Every format works on one [`View`]: the selected nodes in id order and the selected edges in
//! (source, type, target) order (B.1), either as stored (`level=node`) or aggregated to modules
//! (`level=module`, and Mermaid's automatic fallback). Node indexes are id ranks
//! ([`Graph::nodes`]), so "id order" is index order throughout.

mod cytoscape;
mod d2;
mod dot;
mod json;
mod mermaid;
mod mu;

use std::borrow::Cow;
use std::fmt;

pub use mu::{render_mu, render_mu_with, MuOptions};

use crate::graph::{EdgeFilter, Graph};
use crate::index::model::{EdgeRow, EdgeType, NodeRow, NodeType};

/// An export format (`format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Mu,
    Mermaid,
    D2,
    Cytoscape,
    Dot,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Json,
        Format::Mu,
        Format::Mermaid,
        Format::D2,
        Format::Cytoscape,
        Format::Dot,
    ];

    /// The API's spelling (exact, lower case).
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Mu => "mu",
            Format::Mermaid => "mermaid",
            Format::D2 => "d2",
            Format::Cytoscape => "cytoscape",
            Format::Dot => "dot",
        }
    }

    /// The response's `Content-Type` (§4.12 table).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json | Format::Cytoscape => "application/json",
            Format::Mu | Format::Mermaid | Format::D2 => "text/plain; charset=utf-8",
            Format::Dot => "text/vnd.graphviz; charset=utf-8",
        }
    }
}

/// `level=`: the stored nodes, or modules (B.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Node,
    Module,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "node" => Some(Level::Node),
            "module" => Some(Level::Module),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Node => "node",
            Level::Module => "module",
        }
    }
}

/// The parameters of one `GET /export` (`cwd` is routing and not part of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub format: Format,
    /// Exact ids; when given, `types` and `max_nodes` are ignored. Unknown ids are skipped.
    pub nodes: Option<Vec<String>>,
    /// Node types to include (all when `None`).
    pub types: Option<Vec<NodeType>>,
    /// Edge types to include (all when `None`).
    pub edge_types: Option<EdgeFilter>,
    /// Keep the first N selected nodes in id order.
    pub max_nodes: Option<usize>,
    pub level: Level,
}

impl Default for ExportRequest {
    fn default() -> Self {
        ExportRequest {
            format: Format::Json,
            nodes: None,
            types: None,
            edge_types: None,
            max_nodes: None,
            level: Level::Node,
        }
    }
}

/// A rejected parameter. `Display` is the response's `detail` (§4.12 "Errors").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// 400.
    UnknownFormat(String),
    /// 400.
    InvalidNodeType(String),
    /// 400.
    InvalidLevel(String),
    /// 422.
    InvalidMaxNodes,
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::UnknownFormat(x) => write!(
                f,
                "Unknown format: {x}. Available: cytoscape, d2, dot, json, mermaid, mu"
            ),
            ExportError::InvalidNodeType(x) => {
                write!(f, "Invalid node type: '{x}' is not a valid NodeType")
            }
            ExportError::InvalidLevel(x) => write!(f, "Invalid level: {x}"),
            ExportError::InvalidMaxNodes => f.write_str("max_nodes must be a positive integer"),
        }
    }
}

impl std::error::Error for ExportError {}

/// A comma list: items trimmed, empty items dropped; `None` when nothing remains.
fn comma_list(v: &str) -> Option<Vec<String>> {
    let items: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (!items.is_empty()).then_some(items)
}

impl ExportRequest {
    /// Parse the (already decoded) query parameters. A parameter given but empty counts as
    /// absent; when a parameter is repeated, its last non-empty value counts; unknown
    /// parameters (`cwd` included) are ignored. Checks run in the order of §4.12's error list:
    /// format, types, level, max_nodes.
    pub fn from_params(params: &[(String, String)]) -> Result<ExportRequest, ExportError> {
        let value = |name: &str| {
            params
                .iter()
                .rev()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.as_str())
        };
        let mut req = ExportRequest::default();
        if let Some(f) = value("format") {
            req.format = Format::parse(f).ok_or_else(|| ExportError::UnknownFormat(f.into()))?;
        }
        if let Some(types) = value("types").and_then(comma_list) {
            let parsed = types
                .iter()
                .map(|t| {
                    NodeType::ALL
                        .into_iter()
                        .find(|n| n.as_str() == t)
                        .ok_or_else(|| ExportError::InvalidNodeType(t.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            req.types = Some(parsed);
        }
        if let Some(l) = value("level") {
            req.level = Level::parse(l).ok_or_else(|| ExportError::InvalidLevel(l.into()))?;
        }
        if let Some(m) = value("max_nodes") {
            req.max_nodes = Some(parse_max_nodes(m)?);
        }
        req.nodes = value("nodes").and_then(comma_list);
        req.edge_types = value("edge_types")
            .and_then(comma_list)
            .map(|names| EdgeFilter::from_names(&names));
        Ok(req)
    }
}

/// An integer ≥ 1 written in decimal digits (surrounding whitespace allowed); values beyond
/// `usize` mean "no limit".
fn parse_max_nodes(s: &str) -> Result<usize, ExportError> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ExportError::InvalidMaxNodes);
    }
    let n = s.parse::<usize>().unwrap_or(usize::MAX);
    if n == 0 {
        return Err(ExportError::InvalidMaxNodes);
    }
    Ok(n)
}

/// A rendered export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub content_type: &'static str,
    pub body: String,
}

/// Render `GET /export` over `graph`. `generated_at` is the RFC 3339 time written by `json`.
pub fn export(graph: &Graph, req: &ExportRequest, generated_at: &str) -> Exported {
    let selected = select(graph, req);
    let view = match req.level {
        Level::Node => selected,
        Level::Module => aggregate(&selected),
    };
    let body = match req.format {
        Format::Json => json::render(&view, generated_at),
        Format::Mu => mu::render_view(&view),
        Format::Mermaid => mermaid::render(&view),
        Format::D2 => d2::render(&view),
        Format::Cytoscape => cytoscape::render(&view),
        Format::Dot => dot::render(&view),
    };
    Exported {
        content_type: req.format.content_type(),
        body,
    }
}

/// One edge of a view: a stored edge (node level) or a merged one (module level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ViewEdge {
    pub source: u32,
    pub target: u32,
    pub edge_type: EdgeType,
    /// The stored edge (node level).
    pub stored: Option<u32>,
    /// The number of merged edges (module level).
    pub weight: Option<u32>,
}

/// What an export shows: nodes in id order, edges in (source, type, target) order.
pub(crate) struct View<'g> {
    pub graph: &'g Graph,
    pub level: Level,
    pub nodes: Vec<u32>,
    pub edges: Vec<ViewEdge>,
}

impl<'g> View<'g> {
    pub fn node(&self, i: u32) -> &'g NodeRow {
        self.graph.node(i)
    }

    /// The stored id, or `edge:<source>:<type>:<target>` for a merged edge.
    pub fn edge_id(&self, e: &ViewEdge) -> Cow<'g, str> {
        match e.stored {
            Some(s) => Cow::Borrowed(self.graph.edge(s).id.as_str()),
            None => Cow::Owned(EdgeRow::make_id(
                &self.node(e.source).id,
                e.edge_type,
                &self.node(e.target).id,
            )),
        }
    }

    /// The edge's label in diagrams: its type, plus ` ×<weight>` at module level.
    pub fn edge_label(&self, e: &ViewEdge) -> Cow<'static, str> {
        match e.weight {
            Some(w) => Cow::Owned(format!("{} \u{d7}{w}", e.edge_type.as_str())),
            None => Cow::Borrowed(e.edge_type.as_str()),
        }
    }
}

/// B.1 selection at node level: nodes by `nodes`, or by `types` then `max_nodes`, in id order;
/// edges between selected nodes whose type passes `edge_types`.
pub(crate) fn select<'g>(graph: &'g Graph, req: &ExportRequest) -> View<'g> {
    let count = graph.nodes().len();
    let nodes: Vec<u32> = match &req.nodes {
        Some(ids) => {
            let mut v: Vec<u32> = ids.iter().filter_map(|id| graph.find(id.trim())).collect();
            v.sort_unstable();
            v.dedup();
            v
        }
        None => {
            let wanted = |i: &u32| {
                req.types
                    .as_ref()
                    .is_none_or(|t| t.contains(&graph.node(*i).node_type))
            };
            (0..count as u32)
                .filter(wanted)
                .take(req.max_nodes.unwrap_or(usize::MAX))
                .collect()
        }
    };
    let filter = req.edge_types.unwrap_or(EdgeFilter::ALL);
    let stored: Vec<u32> = if nodes.len() == count {
        (0..graph.edges().len() as u32)
            .filter(|&e| filter.contains(graph.edge(e).edge_type))
            .collect()
    } else {
        let mut chosen = vec![false; count];
        for &i in &nodes {
            chosen[i as usize] = true;
        }
        let mut v: Vec<u32> = nodes
            .iter()
            .flat_map(|&i| graph.out_edges(i, filter))
            .filter(|&(t, _)| chosen[t as usize])
            .map(|(_, e)| e)
            .collect();
        // Edge indexes are in (source, type, target) order.
        v.sort_unstable();
        v
    };
    let edges = stored
        .into_iter()
        .map(|e| {
            let row = graph.edge(e);
            ViewEdge {
                // Both ends exist: the snapshot keeps no dangling edge.
                source: graph.find(&row.source_id).unwrap_or(0),
                target: graph.find(&row.target_id).unwrap_or(0),
                edge_type: row.edge_type,
                stored: Some(e),
                weight: None,
            }
        })
        .collect();
    View {
        graph,
        level: Level::Node,
        nodes,
        edges,
    }
}

/// The node a node is replaced by at module level: the module of its `file_path`; externals
/// and nodes without a module stay as they are.
pub(crate) fn module_group(graph: &Graph, i: u32) -> u32 {
    let n = graph.node(i);
    if n.node_type == NodeType::External {
        return i;
    }
    n.file_path
        .as_deref()
        .and_then(|p| graph.module_of(p))
        .unwrap_or(i)
}

/// B.1 module aggregation of a node-level view: every node replaced by its module, edges
/// inside one group and all `contains` edges dropped, the rest merged per (source, type,
/// target) with `weight` = the number merged.
pub(crate) fn aggregate<'g>(view: &View<'g>) -> View<'g> {
    let graph = view.graph;
    if view.level == Level::Module {
        return View {
            graph,
            level: Level::Module,
            nodes: view.nodes.clone(),
            edges: view.edges.clone(),
        };
    }
    let mut nodes: Vec<u32> = view.nodes.iter().map(|&i| module_group(graph, i)).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let mut keys: Vec<(u32, &'static str, u32, EdgeType)> = view
        .edges
        .iter()
        .filter(|e| e.edge_type != EdgeType::Contains)
        .filter_map(|e| {
            let (s, t) = (module_group(graph, e.source), module_group(graph, e.target));
            (s != t).then_some((s, e.edge_type.as_str(), t, e.edge_type))
        })
        .collect();
    keys.sort_unstable();
    let mut edges: Vec<ViewEdge> = Vec::new();
    for (s, _, t, ty) in keys {
        match edges.last_mut() {
            Some(last) if last.source == s && last.target == t && last.edge_type == ty => {
                last.weight = last.weight.map(|w| w + 1);
            }
            _ => edges.push(ViewEdge {
                source: s,
                target: t,
                edge_type: ty,
                stored: None,
                weight: Some(1),
            }),
        }
    }
    View {
        graph,
        level: Level::Module,
        nodes,
        edges,
    }
}

/// Append `s` as a JSON string.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{08}' => Some("\\b"),
            '\u{0c}' => Some("\\f"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Append `s` double-quoted with `"` and `\` backslash-escaped (d2 and dot).
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
