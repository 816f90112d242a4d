//! What the engine knows about the stored rows, and the row-level diff between two graphs.
//!
//! [`StoredRows`] holds, for every node and edge in the database, its id, a 64-bit digest of its
//! other columns and the file that owns it (`mubase.md` §9.1). It is valid for one database
//! generation (`metadata.index_generation`). Diffing it against a freshly resolved graph is a
//! merge join over ids (both sides are sorted by id), which yields exactly the rows to delete and
//! insert and the [`ChangeSummary`] of the batch.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::index::model::{EdgeRow, EdgeType, NodeRow, NodeType};

/// The rows of one table the database holds, sorted by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowSet {
    pub ids: Vec<Box<str>>,
    pub digests: Vec<u64>,
    /// Owning file (`None` for externals and rows without an owner).
    pub owners: Vec<Option<Arc<str>>>,
}

impl RowSet {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Digests and owners of every stored row, for one database generation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredRows {
    /// `metadata.index_generation` of the write these rows describe.
    pub generation: String,
    pub nodes: RowSet,
    pub edges: RowSet,
}

/// What one batch changed in the graph (`indexer.md` §11.3 step 6). Every list is sorted.
///
/// A node is *modified* when any column other than its id changed (name, qualified name, line
/// range, complexity, properties); an edge when its properties changed. `changed_files` are the
/// files owning (before or after the batch) a node or edge that was added, removed or modified.
/// Empty when nothing but `file_hashes` changed (early cut-off).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeSummary {
    pub added_nodes: Vec<String>,
    pub removed_nodes: Vec<String>,
    pub modified_nodes: Vec<String>,
    pub added_edges: Vec<String>,
    pub removed_edges: Vec<String>,
    pub modified_edges: Vec<String>,
    pub changed_files: Vec<String>,
}

impl ChangeSummary {
    pub fn is_empty(&self) -> bool {
        self.added_nodes.is_empty()
            && self.removed_nodes.is_empty()
            && self.modified_nodes.is_empty()
            && self.added_edges.is_empty()
            && self.removed_edges.is_empty()
            && self.modified_edges.is_empty()
            && self.changed_files.is_empty()
    }
}

const NONE_MARK: u64 = 0x9e37_79b9_7f4a_7c15;

fn mix_str(h: u64, s: &str) -> u64 {
    xxh3_64_with_seed(s.as_bytes(), h)
}

fn mix_opt_str(h: u64, s: Option<&str>) -> u64 {
    match s {
        Some(s) => xxh3_64_with_seed(s.as_bytes(), h.rotate_left(7)),
        None => h.rotate_left(13) ^ NONE_MARK,
    }
}

fn mix_opt_i32(h: u64, v: Option<i32>) -> u64 {
    match v {
        Some(v) => xxh3_64_with_seed(&v.to_le_bytes(), h.rotate_left(3)),
        None => h.rotate_left(17) ^ NONE_MARK,
    }
}

/// Digest of every column of a node but its id.
pub fn node_digest(n: &NodeRow) -> u64 {
    let mut h = xxh3_64_with_seed(n.node_type.as_str().as_bytes(), 1);
    h = mix_str(h, &n.name);
    h = mix_opt_str(h, n.qualified_name.as_deref());
    h = mix_opt_str(h, n.file_path.as_deref());
    h = mix_opt_i32(h, n.line_start);
    h = mix_opt_i32(h, n.line_end);
    h = mix_str(h, &n.properties);
    xxh3_64_with_seed(&n.complexity.to_le_bytes(), h)
}

/// Digest of every column of an edge but its id.
pub fn edge_digest(e: &EdgeRow) -> u64 {
    let mut h = xxh3_64_with_seed(e.edge_type.as_str().as_bytes(), 2);
    h = mix_str(h, &e.source_id);
    h = mix_str(h, &e.target_id);
    mix_str(h, &e.properties)
}

/// Shares one `Arc<str>` per owning file.
#[derive(Default)]
struct Interner<'a> {
    map: HashMap<&'a str, Arc<str>>,
}

impl<'a> Interner<'a> {
    fn get(&mut self, s: &'a str) -> Arc<str> {
        Arc::clone(self.map.entry(s).or_insert_with(|| Arc::from(s)))
    }
}

/// `properties.owner` of an edge, when present (`mubase.md` §9.1).
fn owner_prop(props: &str) -> Option<String> {
    if !props.contains("\"owner\":") {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(props)
        .ok()?
        .get("owner")?
        .as_str()
        .map(str::to_string)
}

/// The file of a node of `nodes` (sorted by id), externals excluded.
fn node_file<'a>(nodes: &'a [NodeRow], id: &str) -> Option<&'a str> {
    let i = nodes.binary_search_by(|n| n.id.as_str().cmp(id)).ok()?;
    let n = &nodes[i];
    if n.node_type == NodeType::External {
        return None;
    }
    n.file_path.as_deref()
}

/// Owner of a node (`mubase.md` §9.1): its file; externals have none.
pub fn node_owner(n: &NodeRow) -> Option<&str> {
    if n.node_type == NodeType::External {
        None
    } else {
        n.file_path.as_deref()
    }
}

/// Owner of an edge (`mubase.md` §9.1): `contains` by its target's file, others by
/// `properties.owner` or else their source's file. `nodes` is sorted by id.
pub fn edge_owner(nodes: &[NodeRow], e: &EdgeRow) -> Option<String> {
    if e.edge_type == EdgeType::Contains {
        return node_file(nodes, &e.target_id).map(str::to_string);
    }
    if let Some(o) = owner_prop(&e.properties) {
        return Some(o);
    }
    node_file(nodes, &e.source_id).map(str::to_string)
}

/// Digests of every row, computed in parallel (call inside the engine's pool).
pub fn digests(nodes: &[NodeRow], edges: &[EdgeRow]) -> (Vec<u64>, Vec<u64>) {
    rayon::join(
        || {
            nodes
                .par_iter()
                .with_min_len(512)
                .map(node_digest)
                .collect()
        },
        || {
            edges
                .par_iter()
                .with_min_len(512)
                .map(edge_digest)
                .collect()
        },
    )
}

/// [`StoredRows`] of a whole graph (rows sorted by id), e.g. read back from the database.
pub fn stored_rows(nodes: &[NodeRow], edges: &[EdgeRow], generation: String) -> StoredRows {
    let (nd, ed) = digests(nodes, edges);
    let diff = diff(&StoredRows::default(), nodes, edges, &nd, &ed);
    let mut rows = StoredRows {
        generation,
        ..StoredRows::default()
    };
    rows.nodes.ids = nodes.iter().map(|n| n.id.as_str().into()).collect();
    rows.nodes.digests = nd;
    rows.nodes.owners = diff.node_owners;
    rows.edges.ids = edges.iter().map(|e| e.id.as_str().into()).collect();
    rows.edges.digests = ed;
    rows.edges.owners = diff.edge_owners;
    rows
}

/// The row-level difference between the stored rows and a new graph.
#[derive(Debug, Default)]
pub struct Diff {
    /// Indexes into the new nodes / edges: rows to insert (added or modified).
    pub insert_nodes: Vec<usize>,
    pub insert_edges: Vec<usize>,
    /// Ids to delete (removed or modified).
    pub delete_nodes: Vec<String>,
    pub delete_edges: Vec<String>,
    /// Owner of every new row (index-aligned with the new nodes / edges).
    pub node_owners: Vec<Option<Arc<str>>>,
    pub edge_owners: Vec<Option<Arc<str>>>,
    pub changes: ChangeSummary,
}

/// One table's merge join. `owner_of(i)` computes the owner of new row `i` (only called for
/// rows that are added or modified: an unchanged row keeps its owner, since the owning file is
/// part of the ids and columns compared).
#[allow(clippy::too_many_arguments)]
fn merge<'a>(
    old: &RowSet,
    new_ids: &[&'a str],
    new_digests: &[u64],
    mut owner_of: impl FnMut(usize) -> Option<Arc<str>>,
    insert: &mut Vec<usize>,
    delete: &mut Vec<String>,
    added: &mut Vec<String>,
    removed: &mut Vec<String>,
    modified: &mut Vec<String>,
    files: &mut BTreeSet<Arc<str>>,
) -> Vec<Option<Arc<str>>> {
    let mut owners = Vec::with_capacity(new_ids.len());
    let (mut i, mut j) = (0, 0);
    let mut note = |o: &Option<Arc<str>>| {
        if let Some(o) = o {
            if !files.contains(o) {
                files.insert(Arc::clone(o));
            }
        }
    };
    while i < old.ids.len() || j < new_ids.len() {
        let ord = match (old.ids.get(i), new_ids.get(j)) {
            (Some(a), Some(b)) => (**a).cmp(*b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, _) => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                note(&old.owners[i]);
                removed.push(old.ids[i].to_string());
                delete.push(old.ids[i].to_string());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let o = owner_of(j);
                note(&o);
                owners.push(o);
                added.push(new_ids[j].to_string());
                insert.push(j);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if old.digests[i] == new_digests[j] {
                    owners.push(old.owners[i].clone());
                } else {
                    let o = owner_of(j);
                    note(&old.owners[i]);
                    note(&o);
                    owners.push(o);
                    modified.push(new_ids[j].to_string());
                    delete.push(new_ids[j].to_string());
                    insert.push(j);
                }
                i += 1;
                j += 1;
            }
        }
    }
    owners
}

/// Diff the stored rows against a new graph (nodes and edges sorted by id, with their digests).
pub fn diff(
    old: &StoredRows,
    nodes: &[NodeRow],
    edges: &[EdgeRow],
    node_digests: &[u64],
    edge_digests: &[u64],
) -> Diff {
    let mut d = Diff::default();
    let mut files = BTreeSet::new();
    let mut interner = Interner::default();
    let node_ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    d.node_owners = merge(
        &old.nodes,
        &node_ids,
        node_digests,
        |i| node_owner(&nodes[i]).map(|f| interner.get(f)),
        &mut d.insert_nodes,
        &mut d.delete_nodes,
        &mut d.changes.added_nodes,
        &mut d.changes.removed_nodes,
        &mut d.changes.modified_nodes,
        &mut files,
    );
    drop(node_ids);
    let edge_ids: Vec<&str> = edges.iter().map(|e| e.id.as_str()).collect();
    // Consecutive edges mostly share their source: remember the last lookup.
    let mut last: Option<(&str, Option<Arc<str>>)> = None;
    let mut owner_of_edge = |i: usize| -> Option<Arc<str>> {
        let e: &EdgeRow = &edges[i];
        if e.edge_type == EdgeType::Contains {
            return node_file(nodes, &e.target_id).map(|f| interner.get(f));
        }
        if let Some(o) = owner_prop(&e.properties) {
            return Some(Arc::from(o.as_str()));
        }
        if let Some((src, o)) = &last {
            if *src == e.source_id {
                return o.clone();
            }
        }
        let o = node_file(nodes, &e.source_id).map(|f| interner.get(f));
        last = Some((e.source_id.as_str(), o.clone()));
        o
    };
    d.edge_owners = merge(
        &old.edges,
        &edge_ids,
        edge_digests,
        &mut owner_of_edge,
        &mut d.insert_edges,
        &mut d.delete_edges,
        &mut d.changes.added_edges,
        &mut d.changes.removed_edges,
        &mut d.changes.modified_edges,
        &mut files,
    );
    d.changes.changed_files = files.iter().map(|f| f.to_string()).collect();
    for v in [
        &mut d.changes.added_nodes,
        &mut d.changes.removed_nodes,
        &mut d.changes.modified_nodes,
        &mut d.changes.added_edges,
        &mut d.changes.removed_edges,
        &mut d.changes.modified_edges,
    ] {
        // Merged in id order already; kept explicit for the contract.
        debug_assert!(v.windows(2).all(|w| w[0] < w[1]));
    }
    d
}

impl StoredRows {
    /// The rows after `diff` was written: ids of the new graph, their digests and owners.
    pub fn after(
        generation: String,
        nodes: &[NodeRow],
        edges: &[EdgeRow],
        node_digests: Vec<u64>,
        edge_digests: Vec<u64>,
        diff: Diff,
    ) -> StoredRows {
        StoredRows {
            generation,
            nodes: RowSet {
                ids: nodes.iter().map(|n| n.id.as_str().into()).collect(),
                digests: node_digests,
                owners: diff.node_owners,
            },
            edges: RowSet {
                ids: edges.iter().map(|e| e.id.as_str().into()).collect(),
                digests: edge_digests,
                owners: diff.edge_owners,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, file: &str, props: &str) -> NodeRow {
        NodeRow {
            id: id.into(),
            node_type: NodeType::Function,
            name: id.into(),
            qualified_name: None,
            file_path: Some(file.into()),
            line_start: Some(1),
            line_end: Some(2),
            properties: props.into(),
            complexity: 1,
        }
    }

    fn edge(s: &str, t: EdgeType, d: &str, props: &str) -> EdgeRow {
        EdgeRow {
            id: EdgeRow::make_id(s, t, d),
            source_id: s.into(),
            target_id: d.into(),
            edge_type: t,
            properties: props.into(),
        }
    }

    #[test]
    fn merge_join_classifies_rows_and_owners() {
        let old_nodes = vec![
            node("fn:a.py:f", "a.py", "{}"),
            node("fn:b.py:g", "b.py", "{}"),
        ];
        let old_edges = vec![
            edge("fn:a.py:f", EdgeType::Calls, "fn:b.py:g", "{\"line\":1}"),
            edge("mod:b.py", EdgeType::Contains, "fn:b.py:g", "{}"),
        ];
        let old = stored_rows(&old_nodes, &old_edges, "g1".into());
        assert_eq!(old.edges.owners[0].as_deref(), Some("a.py"));
        assert_eq!(old.edges.owners[1].as_deref(), Some("b.py"));

        let new_nodes = vec![
            node("fn:a.py:f", "a.py", "{\"x\":1}"),
            node("fn:c.py:h", "c.py", "{}"),
        ];
        let new_edges = vec![edge(
            "fn:a.py:f",
            EdgeType::Calls,
            "fn:b.py:g",
            "{\"line\":2}",
        )];
        let (nd, ed) = digests(&new_nodes, &new_edges);
        let d = diff(&old, &new_nodes, &new_edges, &nd, &ed);
        assert_eq!(
            d.changes,
            ChangeSummary {
                added_nodes: vec!["fn:c.py:h".into()],
                removed_nodes: vec!["fn:b.py:g".into()],
                modified_nodes: vec!["fn:a.py:f".into()],
                added_edges: vec![],
                removed_edges: vec!["edge:mod:b.py:contains:fn:b.py:g".into()],
                modified_edges: vec!["edge:fn:a.py:f:calls:fn:b.py:g".into()],
                changed_files: vec!["a.py".into(), "b.py".into(), "c.py".into()],
            }
        );
        assert_eq!(d.insert_nodes, vec![0, 1]);
        assert_eq!(d.delete_nodes, vec!["fn:a.py:f", "fn:b.py:g"]);

        let (nd2, ed2) = digests(&new_nodes, &new_edges);
        let after = StoredRows::after("g2".into(), &new_nodes, &new_edges, nd, ed, d);
        let again = diff(&after, &new_nodes, &new_edges, &nd2, &ed2);
        assert!(again.changes.is_empty());
        assert!(again.insert_nodes.is_empty() && again.delete_edges.is_empty());
    }
}
