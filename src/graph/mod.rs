//! The in-memory graph of one project (`http-api.md` §3, §4.3–§4.11): an immutable snapshot of
//! the committed nodes and edges, built by the project's writer thread after each commit and
//! swapped behind an `Arc`, so readers never wait for a write and never see half of one.
//!
//! Nodes are kept in id order, so a node's index *is* its rank in id order: every "in id order"
//! rule of the spec is an index comparison. Edges whose source or target has no node (dangling
//! endpoints, `mubase.md` §10) are not part of the snapshot: they are never traversed and never
//! reported. The petgraph edge lists are built so that iterating a node's outgoing edges yields
//! targets in id order and its incoming edges yields sources in id order (petgraph iterates a
//! node's edges newest first; edges are inserted in descending order).

mod algo;
mod resolve;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

pub use algo::{Cycles, PathStep, Reached, Walk};
pub use resolve::{normalise_id, normalise_path};

use crate::index::model::{EdgeRow, EdgeType, NodeRow, NodeType};

/// Which way to follow edges. An edge `A -> B` means "A depends on B".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a node to what it depends on (edge targets).
    Outgoing,
    /// From a node to what depends on it (edge sources).
    Incoming,
    /// Outgoing first, then incoming.
    Both,
}

impl Direction {
    /// `outgoing`, `incoming`, `both` (the API's spelling).
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "outgoing" => Some(Direction::Outgoing),
            "incoming" => Some(Direction::Incoming),
            "both" => Some(Direction::Both),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outgoing => "outgoing",
            Direction::Incoming => "incoming",
            Direction::Both => "both",
        }
    }
}

/// A set of edge types. Unknown type names are accepted and match no edge (`http-api.md` §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeFilter(u8);

impl EdgeFilter {
    pub const ALL: EdgeFilter = EdgeFilter(0b1_1111);

    fn bit(t: EdgeType) -> u8 {
        1 << (t as u8)
    }

    pub fn of(types: &[EdgeType]) -> EdgeFilter {
        EdgeFilter(types.iter().fold(0, |acc, t| acc | Self::bit(*t)))
    }

    /// The types named in `names`; names that are not edge types add nothing.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> EdgeFilter {
        let types: Vec<EdgeType> = names
            .iter()
            .filter_map(|n| EdgeType::ALL.into_iter().find(|t| t.as_str() == n.as_ref()))
            .collect();
        EdgeFilter::of(&types)
    }

    /// The default of `/impact`, `/ancestors` and `/deps`: every type but `contains`.
    pub fn dependencies() -> EdgeFilter {
        EdgeFilter::of(&[
            EdgeType::Imports,
            EdgeType::Calls,
            EdgeType::Inherits,
            EdgeType::Uses,
        ])
    }

    pub fn contains(self, t: EdgeType) -> bool {
        self.0 & Self::bit(t) != 0
    }
}

/// The spec's tie-break rank of node types (`http-api.md` §3.3): class, module, function,
/// external.
pub fn type_rank(t: NodeType) -> u8 {
    match t {
        NodeType::Class => 0,
        NodeType::Module => 1,
        NodeType::Function => 2,
        NodeType::External => 3,
    }
}

/// The petgraph edge weight: the edge's index in [`Graph::edges`] and its type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeWeight {
    pub idx: u32,
    pub ty: EdgeType,
}

/// One project's graph snapshot.
pub struct Graph {
    root: PathBuf,
    nodes: Vec<NodeRow>,
    /// Edges between existing nodes, ordered by (source id, type name, target id).
    edges: Vec<EdgeRow>,
    /// Node `i` is `nodes[i]`; an edge's weight is its index in `edges` and its type (kept
    /// here so that traversals never touch the edge rows).
    g: DiGraph<(), EdgeWeight, u32>,
    /// Exact name → node indexes in id order.
    by_name: HashMap<String, Vec<u32>>,
    /// `file_path` → its module node (the smallest id when several claim the file).
    modules: HashMap<String, u32>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("root", &self.root)
            .field("nodes", &self.nodes.len())
            .field("edges", &self.edges.len())
            .finish()
    }
}

/// `properties` as served: the stored JSON object, `{}` for anything that is not one.
fn valid_properties(p: String) -> String {
    let t = p.trim_start();
    if t.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(&p).is_ok() {
        p
    } else {
        "{}".to_string()
    }
}

impl Graph {
    /// An empty graph (a project before its first load).
    pub fn empty(root: &Path) -> Graph {
        Graph::build(root, Vec::new(), Vec::new())
    }

    /// Build the snapshot from every node and edge row (any order).
    pub fn build(root: &Path, mut nodes: Vec<NodeRow>, edges: Vec<EdgeRow>) -> Graph {
        nodes.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        nodes.dedup_by(|a, b| a.id == b.id);
        for n in &mut nodes {
            n.properties = valid_properties(std::mem::take(&mut n.properties));
        }
        let position = |id: &str| {
            nodes
                .binary_search_by(|n| n.id.as_str().cmp(id))
                .ok()
                .map(|i| i as u32)
        };
        // Keep edges between existing nodes; order them by (source, type, target).
        let mut kept: Vec<(u32, u32, EdgeRow)> = edges
            .into_iter()
            .filter_map(|e| {
                let s = position(&e.source_id)?;
                let t = position(&e.target_id)?;
                Some((s, t, e))
            })
            .collect();
        kept.sort_unstable_by(|a, b| {
            (a.0, a.2.edge_type.as_str(), a.1).cmp(&(b.0, b.2.edge_type.as_str(), b.1))
        });
        kept.dedup_by(|a, b| a.2.id == b.2.id);
        let mut g: DiGraph<(), EdgeWeight, u32> = DiGraph::with_capacity(nodes.len(), kept.len());
        for _ in 0..nodes.len() {
            g.add_node(());
        }
        // Insert in descending (source, target, type) order: petgraph lists a node's edges
        // newest first, so iteration comes out ascending on both ends.
        let mut order: Vec<u32> = (0..kept.len() as u32).collect();
        order.sort_unstable_by(|&x, &y| {
            let (a, b) = (&kept[x as usize], &kept[y as usize]);
            (b.0, b.1, b.2.edge_type.as_str()).cmp(&(a.0, a.1, a.2.edge_type.as_str()))
        });
        for i in order {
            let (s, t, e) = &kept[i as usize];
            let w = EdgeWeight {
                idx: i,
                ty: e.edge_type,
            };
            g.add_edge(NodeIndex::new(*s as usize), NodeIndex::new(*t as usize), w);
        }
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        let mut modules: HashMap<String, u32> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            by_name.entry(n.name.clone()).or_default().push(i as u32);
            if let (NodeType::Module, Some(p)) = (n.node_type, &n.file_path) {
                modules.entry(p.clone()).or_insert(i as u32);
            }
        }
        let edges = kept
            .into_iter()
            .map(|(_, _, mut e)| {
                e.properties = valid_properties(std::mem::take(&mut e.properties));
                e
            })
            .collect();
        Graph {
            root: root.to_path_buf(),
            nodes,
            edges,
            g,
            by_name,
            modules,
        }
    }

    /// Read the committed graph on a connection of the project's database.
    pub fn load(root: &Path, conn: &duckdb::Connection) -> crate::store::Result<Graph> {
        let nodes = crate::store::all_nodes(conn)?;
        let edges = crate::store::all_edges(conn)?;
        Ok(Graph::build(root, nodes, edges))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every node, in id order.
    pub fn nodes(&self) -> &[NodeRow] {
        &self.nodes
    }

    /// Every edge between existing nodes, ordered by (source, type, target).
    pub fn edges(&self) -> &[EdgeRow] {
        &self.edges
    }

    pub fn node(&self, i: u32) -> &NodeRow {
        &self.nodes[i as usize]
    }

    pub fn edge(&self, e: u32) -> &EdgeRow {
        &self.edges[e as usize]
    }

    /// The index of the node with exactly this id.
    pub fn find(&self, id: &str) -> Option<u32> {
        self.nodes
            .binary_search_by(|n| n.id.as_str().cmp(id))
            .ok()
            .map(|i| i as u32)
    }

    pub fn get(&self, id: &str) -> Option<&NodeRow> {
        self.find(id).map(|i| self.node(i))
    }

    /// Outgoing edges of `i` of the chosen types: (target, edge index), targets in id order.
    pub fn out_edges(&self, i: u32, filter: EdgeFilter) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.directed(i, petgraph::Direction::Outgoing, filter)
    }

    /// Incoming edges of `i` of the chosen types: (source, edge index), sources in id order.
    pub fn in_edges(&self, i: u32, filter: EdgeFilter) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.directed(i, petgraph::Direction::Incoming, filter)
    }

    fn directed(
        &self,
        i: u32,
        dir: petgraph::Direction,
        filter: EdgeFilter,
    ) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.g
            .edges_directed(NodeIndex::new(i as usize), dir)
            .filter(move |e| filter.contains(e.weight().ty))
            .map(move |e| {
                let other = match dir {
                    petgraph::Direction::Outgoing => e.target(),
                    petgraph::Direction::Incoming => e.source(),
                };
                (other.index() as u32, e.weight().idx)
            })
    }

    /// The module node of a file (`file_path` equal).
    pub fn module_of(&self, file_path: &str) -> Option<u32> {
        self.modules.get(file_path).copied()
    }
}

/// Write the Node object of `http-api.md` §3.1 as JSON text (properties embedded as stored).
pub fn write_node_json(out: &mut String, n: &NodeRow) {
    fn s(out: &mut String, v: &str) {
        // Serialising a &str cannot fail.
        out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into()));
    }
    fn opt_s(out: &mut String, v: Option<&str>) {
        match v {
            Some(v) => s(out, v),
            None => out.push_str("null"),
        }
    }
    fn opt_i(out: &mut String, v: Option<i32>) {
        match v {
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str("null"),
        }
    }
    let ty = n.node_type.as_str();
    out.push_str("{\"id\":");
    s(out, &n.id);
    out.push_str(",\"type\":\"");
    out.push_str(ty);
    out.push_str("\",\"node_type\":\"");
    out.push_str(ty);
    out.push_str("\",\"name\":");
    s(out, &n.name);
    out.push_str(",\"qualified_name\":");
    opt_s(out, n.qualified_name.as_deref());
    out.push_str(",\"file_path\":");
    opt_s(out, n.file_path.as_deref());
    out.push_str(",\"line_start\":");
    opt_i(out, n.line_start);
    out.push_str(",\"line_end\":");
    opt_i(out, n.line_end);
    out.push_str(",\"properties\":");
    out.push_str(&n.properties);
    out.push_str(",\"complexity\":");
    out.push_str(&n.complexity.to_string());
    out.push('}');
}

/// The Node object as text.
pub fn node_json(n: &NodeRow) -> String {
    let mut out = String::with_capacity(256 + n.properties.len());
    write_node_json(&mut out, n);
    out
}

/// Write the Edge object of `http-api.md` §3.2 as JSON text (properties as in the snapshot:
/// always a JSON object).
pub fn write_edge_json(out: &mut String, e: &EdgeRow) {
    let s = |v: &str| serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into());
    out.push_str("{\"id\":");
    out.push_str(&s(&e.id));
    out.push_str(",\"source_id\":");
    out.push_str(&s(&e.source_id));
    out.push_str(",\"target_id\":");
    out.push_str(&s(&e.target_id));
    out.push_str(",\"type\":\"");
    out.push_str(e.edge_type.as_str());
    out.push_str("\",\"properties\":");
    out.push_str(&e.properties);
    out.push('}');
}

#[cfg(test)]
mod tests;
