//! What the engine knows about the stored rows, and the row-level diff between two graphs.
//!
//! [`StoredRows`] holds, for every node and edge in the database, its id, a 64-bit digest of its
//! other columns and the file that owns it (`mubase.md` §9.1). It is valid for one database
//! generation (`mu_daemon_state.index_generation`). Diffing it against a freshly resolved graph is a
//! merge join over ids (both sides are sorted by id), which yields exactly the rows to delete and
//! insert and the [`ChangeSummary`] of the batch.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::index::model::{EdgeRow, EdgeType, NodeRow, NodeType};

/// The rows of one table the database holds, sorted by id. Ids are kept back to back in one
/// buffer: the merge join walks them in order, so they should be contiguous in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowSet {
    text: String,
    /// End offset in `text` of each id.
    ends: Vec<usize>,
    /// xxh3 of each id: the merge join compares these before it compares ids.
    id_hashes: Vec<u64>,
    digests: Vec<u64>,
    /// Owning file (`None` for externals and rows without an owner).
    owners: Vec<Option<Arc<str>>>,
}

impl RowSet {
    pub fn with_capacity(rows: usize, bytes: usize) -> RowSet {
        RowSet {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
            id_hashes: Vec::with_capacity(rows),
            digests: Vec::with_capacity(rows),
            owners: Vec::with_capacity(rows),
        }
    }
    /// Append a row; ids must come in increasing order.
    pub fn push(&mut self, id: &str, digest: u64, owner: Option<Arc<str>>) {
        self.push_hashed(id, id_hash(id), digest, owner);
    }
    fn push_hashed(&mut self, id: &str, id_hash: u64, digest: u64, owner: Option<Arc<str>>) {
        debug_assert!(self.is_empty() || self.id(self.len() - 1) < id);
        self.text.push_str(id);
        self.ends.push(self.text.len());
        self.id_hashes.push(id_hash);
        self.digests.push(digest);
        self.owners.push(owner);
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
    pub fn digest(&self, i: usize) -> u64 {
        self.digests[i]
    }
    pub fn owner(&self, i: usize) -> Option<&Arc<str>> {
        self.owners[i].as_ref()
    }
    /// Total length of the ids in bytes.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

/// Digests and owners of every stored row, for one database generation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredRows {
    /// `mu_daemon_state.index_generation` of the write these rows describe.
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
///
/// After a full build (`rebuilt`) the lists are left empty: the whole graph was replaced
/// (the daemon answers that with a `resync`, reason `rebuild`, not with events).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeSummary {
    pub rebuilt: bool,
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
        !self.rebuilt
            && self.added_nodes.is_empty()
            && self.removed_nodes.is_empty()
            && self.modified_nodes.is_empty()
            && self.added_edges.is_empty()
            && self.removed_edges.is_empty()
            && self.modified_edges.is_empty()
            && self.changed_files.is_empty()
    }
}

const NONE_MARK: u64 = 0x9e37_79b9_7f4a_7c15;

/// Fold one field hash into a row digest (a bijection of `h` for a given field hash, so
/// changing one field always changes the digest).
#[inline]
fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
}

#[inline]
fn h_str(s: &str) -> u64 {
    // Unseeded: a seeded xxh3 derives a secret per call for long inputs.
    xxh3_64(s.as_bytes())
}

#[inline]
fn h_opt_str(s: Option<&str>) -> u64 {
    s.map_or(NONE_MARK, |s| h_str(s).rotate_left(1))
}

#[inline]
fn h_opt_i32(v: Option<i32>) -> u64 {
    v.map_or(NONE_MARK.rotate_left(7), |v| {
        u64::from(v as u32) | (1 << 40)
    })
}

/// Digest of every column of a node but its id.
pub fn node_digest(n: &NodeRow) -> u64 {
    let mut h = n.node_type as u64 + 1;
    h = mix(h, h_str(&n.name));
    h = mix(h, h_opt_str(n.qualified_name.as_deref()));
    h = mix(h, h_opt_str(n.file_path.as_deref()));
    h = mix(h, h_opt_i32(n.line_start));
    h = mix(h, h_opt_i32(n.line_end));
    h = mix(h, h_str(&n.properties));
    mix(h, u64::from(n.complexity as u32))
}

/// Digest of every column of an edge but its id.
pub fn edge_digest(e: &EdgeRow) -> u64 {
    let mut h = e.edge_type as u64 + 101;
    h = mix(h, h_str(&e.source_id));
    h = mix(h, h_str(&e.target_id));
    mix(h, h_str(&e.properties))
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

pub fn id_hash(id: &str) -> u64 {
    xxh3_64(id.as_bytes())
}

/// Per-row hashes of one table of a new graph: of the id, and of the other columns; and the
/// number of rows of each type (index = position in `NodeType::ALL` / `EdgeType::ALL`), counted
/// in the same pass over the rows.
#[derive(Debug, Default)]
pub struct Hashes {
    ids: Vec<u64>,
    digests: Vec<u64>,
    pub type_counts: [u64; 5],
}

fn table_hashes<T: Sync>(
    rows: &[T],
    id: impl Fn(&T) -> &str + Sync + Send,
    digest: impl Fn(&T) -> u64 + Sync + Send,
    type_index: impl Fn(&T) -> usize + Sync + Send,
) -> Hashes {
    let (ids, rest): (Vec<u64>, Vec<(u64, u8)>) = rows
        .par_iter()
        .with_min_len(1024)
        .map(|r| (id_hash(id(r)), (digest(r), type_index(r) as u8)))
        .unzip();
    let mut type_counts = [0u64; 5];
    let digests = rest
        .into_iter()
        .map(|(d, t)| {
            type_counts[usize::from(t).min(4)] += 1;
            d
        })
        .collect();
    Hashes {
        ids,
        digests,
        type_counts,
    }
}

/// Hashes of every row, computed in parallel (call inside the engine's pool).
pub fn digests(nodes: &[NodeRow], edges: &[EdgeRow]) -> (Hashes, Hashes) {
    let node_index = |n: &NodeRow| NodeType::ALL.iter().position(|t| *t == n.node_type);
    let edge_index = |e: &EdgeRow| EdgeType::ALL.iter().position(|t| *t == e.edge_type);
    rayon::join(
        || {
            table_hashes(
                nodes,
                |n| n.id.as_str(),
                node_digest,
                |n| node_index(n).unwrap_or(3),
            )
        },
        || {
            table_hashes(
                edges,
                |e| e.id.as_str(),
                edge_digest,
                |e| edge_index(e).unwrap_or(0),
            )
        },
    )
}

/// [`StoredRows`] of a whole graph (rows sorted by id), e.g. read back from the database.
pub fn stored_rows(nodes: &[NodeRow], edges: &[EdgeRow], generation: String) -> StoredRows {
    let (nd, ed) = digests(nodes, edges);
    diff(&StoredRows::default(), nodes, edges, nd, ed, false, &|_| {
        false
    })
    .rows_after(generation)
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
    /// The rows of the new graph, as they will be stored.
    nodes: RowSet,
    edges: RowSet,
    pub changes: ChangeSummary,
}

impl Diff {
    /// The stored rows once this diff is written, as generation `generation`.
    pub fn rows_after(self, generation: String) -> StoredRows {
        StoredRows {
            generation,
            nodes: self.nodes,
            edges: self.edges,
        }
    }
}

/// Which stored rows a narrowed update leaves alone: rows owned by a file that was not
/// re-resolved (by owner; `None` = externals and rows without an owner).
pub type KeepOld<'k> = &'k (dyn Fn(Option<&Arc<str>>) -> bool + Sync);

/// Where one table's merge join puts its results.
struct Out<'d> {
    /// Fill the lists (else only the new row set is built).
    lists: bool,
    /// Stored rows missing from the new rows are kept (not removed) when this holds.
    keep_old: KeepOld<'d>,
    insert: &'d mut Vec<usize>,
    delete: &'d mut Vec<String>,
    added: &'d mut Vec<String>,
    removed: &'d mut Vec<String>,
    modified: &'d mut Vec<String>,
    files: &'d mut BTreeSet<Arc<str>>,
}

/// One table's merge join of the stored rows with the new rows (`new_id(j)`, `digests`),
/// producing the new [`RowSet`]. `owner_of(j)` computes the owner of new row `j`; it is only
/// called for added or modified rows: an unchanged row keeps its owner, since the owning file
/// follows from its id and columns.
fn merge<'a>(
    old: &RowSet,
    count: usize,
    new_id: impl Fn(usize) -> &'a str,
    hashes: &Hashes,
    mut owner_of: impl FnMut(usize) -> Option<Arc<str>>,
    out: Out<'_>,
) -> RowSet {
    let bytes = (old.text_len() + old.text_len() / 16).max(count * 80);
    let mut rows = RowSet::with_capacity(count, bytes);
    let (mut i, mut j) = (0, 0);
    let files = out.files;
    let mut note = |o: Option<&Arc<str>>| {
        if let Some(o) = o {
            if !files.contains(o) {
                files.insert(Arc::clone(o));
            }
        }
    };
    while i < old.len() || j < count {
        let ord = if i == old.len() {
            std::cmp::Ordering::Greater
        } else if j == count {
            std::cmp::Ordering::Less
        } else if old.id_hashes[i] == hashes.ids[j] {
            // Equal ids (a 64-bit collision between neighbours of a merge is not a concern):
            // the common case compares no strings.
            std::cmp::Ordering::Equal
        } else {
            old.id(i).cmp(new_id(j))
        };
        let digests = &hashes.digests;
        match ord {
            std::cmp::Ordering::Less => {
                if (out.keep_old)(old.owner(i)) {
                    rows.push_hashed(
                        old.id(i),
                        old.id_hashes[i],
                        old.digest(i),
                        old.owner(i).cloned(),
                    );
                    i += 1;
                    continue;
                }
                if out.lists {
                    note(old.owner(i));
                    out.removed.push(old.id(i).to_string());
                    out.delete.push(old.id(i).to_string());
                }
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let o = owner_of(j);
                if out.lists {
                    note(o.as_ref());
                    out.added.push(new_id(j).to_string());
                    out.insert.push(j);
                }
                rows.push_hashed(new_id(j), hashes.ids[j], digests[j], o);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if old.digest(i) == digests[j] {
                    rows.push_hashed(old.id(i), hashes.ids[j], digests[j], old.owner(i).cloned());
                } else {
                    let o = owner_of(j);
                    if out.lists {
                        note(old.owner(i));
                        note(o.as_ref());
                        out.modified.push(new_id(j).to_string());
                        out.delete.push(new_id(j).to_string());
                        out.insert.push(j);
                    }
                    rows.push_hashed(new_id(j), hashes.ids[j], digests[j], o);
                }
                i += 1;
                j += 1;
            }
        }
    }
    rows
}

/// Diff the stored rows against a new graph (nodes and edges sorted by id, with their hashes).
/// Without `lists` only the new row set is built (a full build rewrites everything). A
/// narrowed update passes only the rows of the re-resolved files (and every external) and
/// keeps the stored rows of the other files with `keep_old`.
pub fn diff(
    old: &StoredRows,
    nodes: &[NodeRow],
    edges: &[EdgeRow],
    node_hashes: Hashes,
    edge_hashes: Hashes,
    lists: bool,
    keep_old: KeepOld<'_>,
) -> Diff {
    let mut d = Diff::default();
    let (mut node_files, mut edge_files) = (BTreeSet::new(), BTreeSet::new());
    let Diff {
        insert_nodes,
        insert_edges,
        delete_nodes,
        delete_edges,
        changes,
        ..
    } = &mut d;
    // The two tables are independent: merge them in parallel (inside the engine's pool).
    let (node_rows, edge_rows) = rayon::join(
        || {
            let mut interner = Interner::default();
            merge(
                &old.nodes,
                nodes.len(),
                |i| nodes[i].id.as_str(),
                &node_hashes,
                |i| node_owner(&nodes[i]).map(|f| interner.get(f)),
                Out {
                    lists,
                    keep_old,
                    insert: insert_nodes,
                    delete: delete_nodes,
                    added: &mut changes.added_nodes,
                    removed: &mut changes.removed_nodes,
                    modified: &mut changes.modified_nodes,
                    files: &mut node_files,
                },
            )
        },
        || {
            let mut interner = Interner::default();
            // Consecutive edges mostly share their source: remember the last lookup.
            let mut last: Option<(&str, Option<Arc<str>>)> = None;
            let owner_of_edge = |i: usize| -> Option<Arc<str>> {
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
            merge(
                &old.edges,
                edges.len(),
                |i| edges[i].id.as_str(),
                &edge_hashes,
                owner_of_edge,
                Out {
                    lists,
                    keep_old,
                    insert: insert_edges,
                    delete: delete_edges,
                    added: &mut changes.added_edges,
                    removed: &mut changes.removed_edges,
                    modified: &mut changes.modified_edges,
                    files: &mut edge_files,
                },
            )
        },
    );
    node_files.extend(edge_files);
    d.changes.changed_files = node_files.iter().map(|f| f.to_string()).collect();
    d.nodes = node_rows;
    d.edges = edge_rows;
    d
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
        assert_eq!(old.edges.owner(0).map(|o| &**o), Some("a.py"));
        assert_eq!(old.edges.owner(1).map(|o| &**o), Some("b.py"));

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
        let d = diff(&old, &new_nodes, &new_edges, nd, ed, true, &|_| false);
        assert_eq!(
            d.changes,
            ChangeSummary {
                rebuilt: false,
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
        let after = d.rows_after("g2".into());
        assert_eq!(after, stored_rows(&new_nodes, &new_edges, "g2".into()));
        let again = diff(&after, &new_nodes, &new_edges, nd2, ed2, true, &|_| false);
        assert!(again.changes.is_empty());
        assert!(again.insert_nodes.is_empty() && again.delete_edges.is_empty());
    }
}
