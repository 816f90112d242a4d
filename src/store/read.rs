//! Reads the API and the indexer need. All tolerate MU-written rows (`mubase.md` §10).

use std::collections::{BTreeMap, HashMap};

use duckdb::{Connection, OptionalExt, Row};

use super::{DbContext, FileHashRow, Result, Store};
use crate::index::model::{EdgeRow, EdgeType, NodeRow, NodeType};

const NODE_COLS: &str =
    "id, type, name, qualified_name, file_path, line_start, line_end, properties, complexity";

/// Which edges of a node to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Outgoing,
    Incoming,
    Both,
}

/// An edge of a node and the node at its other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbor {
    pub edge: EdgeRow,
    pub node: NodeRow,
    pub outgoing: bool,
}

/// Node and edge counts by type, every type present (`mubase.md` §9.4 `graph`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct GraphCounts {
    pub nodes: BTreeMap<String, u64>,
    pub edges: BTreeMap<String, u64>,
}

impl GraphCounts {
    pub fn node_total(&self) -> u64 {
        self.nodes.values().sum()
    }
    pub fn edge_total(&self) -> u64 {
        self.edges.values().sum()
    }
}

fn node_type(s: &str) -> NodeType {
    match s {
        "module" => NodeType::Module,
        "class" => NodeType::Class,
        "function" => NodeType::Function,
        // Unknown types (MU-Rs `message`) are read as external (mubase.md §10).
        _ => NodeType::External,
    }
}

fn edge_type(s: &str) -> Option<EdgeType> {
    EdgeType::ALL.into_iter().find(|t| t.as_str() == s)
}

fn node_from_row(r: &Row<'_>) -> duckdb::Result<NodeRow> {
    let ty: String = r.get(1)?;
    let props: Option<String> = r.get(7)?;
    Ok(NodeRow {
        id: r.get(0)?,
        node_type: node_type(&ty),
        name: r.get(2)?,
        qualified_name: r.get(3)?,
        file_path: r.get(4)?,
        line_start: r.get(5)?,
        line_end: r.get(6)?,
        properties: normalise_props(props),
        complexity: r.get::<_, Option<i32>>(8)?.unwrap_or(0),
    })
}

/// NULL, `""` and a JSON string holding an object all read as the object (`mubase.md` §10).
fn normalise_props(props: Option<String>) -> String {
    match props {
        None => "{}".to_string(),
        Some(s) if s.trim().is_empty() => "{}".to_string(),
        Some(s) if s.starts_with('"') => serde_json::from_str::<String>(&s)
            .ok()
            .filter(|inner| inner.trim_start().starts_with('{'))
            .unwrap_or(s),
        Some(s) => s,
    }
}

fn edge_from_row(r: &Row<'_>, offset: usize) -> duckdb::Result<Option<EdgeRow>> {
    let ty: String = r.get(offset + 3)?;
    let Some(edge_type) = edge_type(&ty) else {
        return Ok(None);
    };
    Ok(Some(EdgeRow {
        id: r.get(offset)?,
        source_id: r.get(offset + 1)?,
        target_id: r.get(offset + 2)?,
        edge_type,
        properties: normalise_props(r.get(offset + 4)?),
    }))
}

fn query_nodes(conn: &Connection, sql: &str, arg: &str) -> Result<Vec<NodeRow>> {
    let mut st = conn.prepare(sql).ctx("reading nodes")?;
    let rows = st.query_map([arg], node_from_row).ctx("reading nodes")?;
    rows.collect::<duckdb::Result<Vec<_>>>()
        .ctx("reading nodes")
}

/// Every node, ordered by id (on any connection of the database, e.g. a query connection).
pub fn all_nodes(conn: &Connection) -> Result<Vec<NodeRow>> {
    let mut st = conn
        .prepare(&format!("SELECT {NODE_COLS} FROM nodes ORDER BY id"))
        .ctx("reading nodes")?;
    let rows = st.query_map([], node_from_row).ctx("reading nodes")?;
    rows.collect::<duckdb::Result<Vec<_>>>()
        .ctx("reading nodes")
}

/// Every edge of a known type, ordered by id.
pub fn all_edges(conn: &Connection) -> Result<Vec<EdgeRow>> {
    let mut st = conn
        .prepare("SELECT id, source_id, target_id, type, properties FROM edges ORDER BY id")
        .ctx("reading edges")?;
    let rows = st
        .query_map([], |r| edge_from_row(r, 0))
        .ctx("reading edges")?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(e) = r.ctx("reading edges")? {
            out.push(e);
        }
    }
    Ok(out)
}

impl Store {
    pub fn node(&self, id: &str) -> Result<Option<NodeRow>> {
        self.conn
            .query_row(
                &format!("SELECT {NODE_COLS} FROM nodes WHERE id = ?"),
                [id],
                node_from_row,
            )
            .optional()
            .ctx("reading a node")
    }

    /// Nodes with this bare name, ordered by id.
    pub fn nodes_by_name(&self, name: &str) -> Result<Vec<NodeRow>> {
        query_nodes(
            &self.conn,
            &format!("SELECT {NODE_COLS} FROM nodes WHERE name = ? ORDER BY id"),
            name,
        )
    }

    /// Nodes of one file: the module first, then definitions in line order.
    pub fn nodes_by_file(&self, path: &str) -> Result<Vec<NodeRow>> {
        query_nodes(
            &self.conn,
            &format!(
                "SELECT {NODE_COLS} FROM nodes WHERE file_path = ? ORDER BY type <> 'module', line_start NULLS FIRST, id"
            ),
            path,
        )
    }

    /// Edges of a node with the node at the other end; dangling endpoints are skipped
    /// (`mubase.md` §10). Ordered by edge type, then the other node's id.
    pub fn neighbors(&self, id: &str, direction: Direction) -> Result<Vec<Neighbor>> {
        let mut out = Vec::new();
        let mut run = |outgoing: bool| -> Result<()> {
            let (mine, other) = if outgoing {
                ("source_id", "target_id")
            } else {
                ("target_id", "source_id")
            };
            let sql = format!(
                "SELECT e.id, e.source_id, e.target_id, e.type, e.properties, \
                 n.id, n.type, n.name, n.qualified_name, n.file_path, n.line_start, n.line_end, n.properties, n.complexity \
                 FROM edges e JOIN nodes n ON n.id = e.{other} WHERE e.{mine} = ? ORDER BY e.type, n.id"
            );
            let mut st = self.conn.prepare(&sql).ctx("reading neighbors")?;
            let rows = st
                .query_map([id], |r| {
                    let edge = edge_from_row(r, 0)?;
                    let ty: String = r.get(6)?;
                    let props: Option<String> = r.get(12)?;
                    let node = NodeRow {
                        id: r.get(5)?,
                        node_type: node_type(&ty),
                        name: r.get(7)?,
                        qualified_name: r.get(8)?,
                        file_path: r.get(9)?,
                        line_start: r.get(10)?,
                        line_end: r.get(11)?,
                        properties: normalise_props(props),
                        complexity: r.get::<_, Option<i32>>(13)?.unwrap_or(0),
                    };
                    Ok(edge.map(|edge| Neighbor {
                        edge,
                        node,
                        outgoing,
                    }))
                })
                .ctx("reading neighbors")?;
            for r in rows {
                if let Some(n) = r.ctx("reading neighbors")? {
                    out.push(n);
                }
            }
            Ok(())
        };
        if matches!(direction, Direction::Outgoing | Direction::Both) {
            run(true)?;
        }
        if matches!(direction, Direction::Incoming | Direction::Both) {
            run(false)?;
        }
        Ok(out)
    }

    /// Counts by node and edge type; all four node and five edge types are present.
    pub fn counts(&self) -> Result<GraphCounts> {
        let mut counts = GraphCounts::default();
        for t in NodeType::ALL {
            counts.nodes.insert(t.as_str().to_string(), 0);
        }
        for t in EdgeType::ALL {
            counts.edges.insert(t.as_str().to_string(), 0);
        }
        for (table, map) in [("nodes", &mut counts.nodes), ("edges", &mut counts.edges)] {
            let mut st = self
                .conn
                .prepare(&format!("SELECT type, count(*) FROM {table} GROUP BY type"))
                .ctx("counting")?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .ctx("counting")?;
            for r in rows {
                let (t, n) = r.ctx("counting")?;
                // Unknown node types (MU-Rs `message`) count as external (mubase.md §10); edges
                // of unknown types are not part of the graph.
                let key = if table == "nodes" {
                    node_type(&t).as_str().to_string()
                } else if edge_type(&t).is_some() {
                    t
                } else {
                    continue;
                };
                *map.entry(key).or_insert(0) += n.max(0) as u64;
            }
        }
        Ok(counts)
    }

    /// Indexed files per language (`file_hashes.language`), sorted by language.
    pub fn language_counts(&self) -> Result<BTreeMap<String, u64>> {
        let mut st = self
            .conn
            .prepare("SELECT coalesce(language, 'unknown'), count(*) FROM file_hashes GROUP BY 1 ORDER BY 1")
            .ctx("counting languages")?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .ctx("counting languages")?;
        let mut out = BTreeMap::new();
        for r in rows {
            let (l, n) = r.ctx("counting languages")?;
            out.insert(l, n.max(0) as u64);
        }
        Ok(out)
    }

    /// Every `file_hashes` row by path.
    pub fn file_hashes(&self) -> Result<HashMap<String, FileHashRow>> {
        let mut st = self
            .conn
            .prepare("SELECT file_path, content_hash, coalesce(size, -1), coalesce(mtime_ns, -1), coalesce(language, '') FROM file_hashes")
            .ctx("reading file_hashes")?;
        let rows = st
            .query_map([], |r| {
                Ok(FileHashRow {
                    file_path: r.get(0)?,
                    content_hash: r.get(1)?,
                    size: r.get(2)?,
                    mtime_ns: r.get(3)?,
                    language: r.get(4)?,
                })
            })
            .ctx("reading file_hashes")?;
        let mut out = HashMap::new();
        for r in rows {
            let row = r.ctx("reading file_hashes")?;
            out.insert(row.file_path.clone(), row);
        }
        Ok(out)
    }

    /// Every node, ordered by id.
    pub fn all_nodes(&self) -> Result<Vec<NodeRow>> {
        all_nodes(&self.conn)
    }

    /// Every edge of a known type, ordered by id.
    pub fn all_edges(&self) -> Result<Vec<EdgeRow>> {
        all_edges(&self.conn)
    }

    /// A `codebase_stats` value as JSON text.
    pub fn stat(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT CAST(value AS VARCHAR) FROM codebase_stats WHERE key = ?",
                [key],
                |r| r.get(0),
            )
            .optional()
            .ctx("reading codebase_stats")
    }
}
