//! The single writer: full builds (bulk appends) and incremental batches (exactly the rows that
//! differ), each in one transaction (`mubase.md` §9.2).

use std::borrow::Borrow;

use duckdb::{params, Connection};

use super::{now_iso, DbContext, Result, Store};
use crate::index::model::{EdgeRow, NodeRow};

/// One `file_hashes` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHashRow {
    pub file_path: String,
    pub content_hash: String,
    pub size: i64,
    pub mtime_ns: i64,
    pub language: String,
}

/// One incremental batch (`mubase.md` §9.2) as the engine's row diff computed it: exactly the
/// rows that differ from the stored ones.
#[derive(Debug, Default)]
pub struct Delta<'a> {
    /// Ids of removed or modified rows.
    pub delete_nodes: &'a [String],
    pub delete_edges: &'a [String],
    /// Added or modified rows.
    pub insert_nodes: Vec<&'a NodeRow>,
    pub insert_edges: Vec<&'a EdgeRow>,
    /// `file_hashes` rows of deleted files.
    pub delete_hashes: Vec<&'a str>,
    /// `file_hashes` rows of created, modified and touched files (replacing any stored row of
    /// the same path).
    pub upsert_hashes: Vec<&'a FileHashRow>,
    /// Written when the graph or the skip list changed.
    pub stats: Option<&'a IndexStats>,
    /// Further `metadata` keys to set in the same transaction.
    pub meta: Vec<(&'a str, &'a str)>,
}

impl Delta<'_> {
    /// Whether any node or edge changes.
    pub fn changes_graph(&self) -> bool {
        !(self.delete_nodes.is_empty()
            && self.delete_edges.is_empty()
            && self.insert_nodes.is_empty()
            && self.insert_edges.is_empty())
    }
}

/// The `codebase_stats` values written with every change (`mubase.md` §9.4), as JSON text.
#[derive(Debug, Clone)]
pub struct IndexStats {
    pub languages: String,
    pub graph: String,
    pub index: String,
}

impl Store {
    /// Full build: replace every row of the graph in one transaction, using appenders, as
    /// generation `generation` (a token from [`new_generation`]). Each row is freed as soon as
    /// it is appended: DuckDB holds its own copy until the commit, and both should not add up.
    #[allow(clippy::too_many_arguments)]
    pub fn write_full(
        &mut self,
        nodes: Vec<NodeRow>,
        edges: Vec<EdgeRow>,
        hashes: &[FileHashRow],
        stats: &IndexStats,
        index_format: u32,
        meta: &[(&str, &str)],
        generation: &str,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .ctx("starting the build transaction")?;
        tx.execute_batch("DELETE FROM edges; DELETE FROM nodes; DELETE FROM file_hashes;")
            .ctx("clearing the graph")?;
        append_rows(&tx, nodes, edges, hashes)?;
        write_stats(&tx, stats)?;
        let (now, unix, format) = (now_iso(), unix_now().to_string(), index_format.to_string());
        let mut kv = vec![
            ("built_at", now.as_str()),
            ("indexed_at", unix.as_str()),
            ("index_format", format.as_str()),
            (GENERATION_KEY, generation),
        ];
        kv.extend_from_slice(meta);
        set_metas(&tx, &kv)?;
        tx.commit().ctx("committing the build")?;
        self.checkpoint()?;
        Ok(())
    }

    /// Incremental batch: delete the listed rows, insert the new ones, replace the listed
    /// `file_hashes` rows, then `codebase_stats` and metadata; one transaction. When the graph
    /// changes the batch gets a new `mu_daemon_state.index_generation`, which is returned.
    pub fn write_delta(&mut self, d: &Delta<'_>) -> Result<Option<String>> {
        let tx = self
            .conn
            .transaction()
            .ctx("starting the update transaction")?;
        let hash_keys: Vec<&str> = d
            .delete_hashes
            .iter()
            .copied()
            .chain(d.upsert_hashes.iter().map(|h| h.file_path.as_str()))
            .collect();
        let keys = d.delete_nodes.len() + d.delete_edges.len() + hash_keys.len();
        if keys > 0 && keys <= FEW_KEYS {
            // A few keys (one edited file): one indexed point delete each.
            for (sql, ids) in [
                ("DELETE FROM edges WHERE id = ?", d.delete_edges),
                ("DELETE FROM nodes WHERE id = ?", d.delete_nodes),
            ] {
                if !ids.is_empty() {
                    let mut st = tx.prepare_cached(sql).ctx("deleting rows")?;
                    for id in ids {
                        st.execute([id]).ctx("deleting rows")?;
                    }
                }
            }
            let mut st = tx
                .prepare_cached("DELETE FROM file_hashes WHERE file_path = ?")
                .ctx("deleting file_hashes")?;
            for p in &hash_keys {
                st.execute([p]).ctx("deleting file_hashes")?;
            }
        } else if keys > 0 {
            // Many keys go through one temporary table: a semi-join per table instead of one
            // statement per row.
            tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS mu_batch (kind UTINYINT, key VARCHAR);
                 DELETE FROM mu_batch;",
            )
            .ctx("preparing the batch")?;
            {
                let mut app = tx.appender("mu_batch").ctx("preparing the batch")?;
                for id in d.delete_nodes {
                    app.append_row(params![0u8, id])
                        .ctx("preparing the batch")?;
                }
                for id in d.delete_edges {
                    app.append_row(params![1u8, id])
                        .ctx("preparing the batch")?;
                }
                for p in &hash_keys {
                    app.append_row(params![2u8, p]).ctx("preparing the batch")?;
                }
                app.flush().ctx("preparing the batch")?;
            }
            if !d.delete_edges.is_empty() {
                tx.execute(
                    "DELETE FROM edges WHERE id IN (SELECT key FROM mu_batch WHERE kind = 1)",
                    [],
                )
                .ctx("deleting edges")?;
            }
            if !d.delete_nodes.is_empty() {
                tx.execute(
                    "DELETE FROM nodes WHERE id IN (SELECT key FROM mu_batch WHERE kind = 0)",
                    [],
                )
                .ctx("deleting nodes")?;
            }
            tx.execute(
                "DELETE FROM file_hashes WHERE file_path IN (SELECT key FROM mu_batch WHERE kind = 2)",
                [],
            )
            .ctx("deleting file_hashes")?;
        }
        let inserts = d.insert_nodes.len() + d.insert_edges.len() + d.upsert_hashes.len();
        if inserts <= FEW_KEYS * 2 {
            // Creating an appender costs more than a few cached INSERTs.
            insert_rows(&tx, d)?;
        } else {
            append_rows(
                &tx,
                d.insert_nodes.iter().copied(),
                d.insert_edges.iter().copied(),
                d.upsert_hashes.iter().copied(),
            )?;
        }
        if let Some(stats) = d.stats {
            write_stats(&tx, stats)?;
        }
        let mut meta = d.meta.clone();
        let (now, g) = (unix_now().to_string(), new_generation());
        let generation = if d.changes_graph() {
            meta.push(("indexed_at", &now));
            meta.push((GENERATION_KEY, &g));
            Some(g.clone())
        } else {
            None
        };
        set_metas(&tx, &meta)?;
        tx.commit().ctx("committing the update")?;
        Ok(generation)
    }
}

/// Up to this many keys, an incremental batch deletes row by row (index point lookups), above
/// it through a temporary key table (one scan per table).
const FEW_KEYS: usize = 32;

/// The rows of a small batch, with cached INSERT statements.
fn insert_rows(tx: &Connection, d: &Delta<'_>) -> Result<()> {
    if !d.insert_nodes.is_empty() {
        let mut st = tx
            .prepare_cached(
                "INSERT INTO nodes (id, type, name, qualified_name, file_path, line_start, line_end, properties, complexity)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .ctx("inserting nodes")?;
        for n in &d.insert_nodes {
            st.execute(params![
                n.id,
                n.node_type.as_str(),
                n.name,
                n.qualified_name,
                n.file_path,
                n.line_start,
                n.line_end,
                n.properties,
                n.complexity
            ])
            .ctx("inserting nodes")?;
        }
    }
    if !d.insert_edges.is_empty() {
        let mut st = tx
            .prepare_cached(
                "INSERT INTO edges (id, source_id, target_id, type, properties) VALUES (?, ?, ?, ?, ?)",
            )
            .ctx("inserting edges")?;
        for e in &d.insert_edges {
            st.execute(params![
                e.id,
                e.source_id,
                e.target_id,
                e.edge_type.as_str(),
                e.properties
            ])
            .ctx("inserting edges")?;
        }
    }
    if !d.upsert_hashes.is_empty() {
        let mut st = tx
            .prepare_cached(
                "INSERT INTO file_hashes (file_path, content_hash, size, mtime_ns, language) VALUES (?, ?, ?, ?, ?)",
            )
            .ctx("inserting file_hashes")?;
        for h in &d.upsert_hashes {
            st.execute(params![
                h.file_path,
                h.content_hash,
                h.size,
                h.mtime_ns,
                h.language
            ])
            .ctx("inserting file_hashes")?;
        }
    }
    Ok(())
}

/// Rows appended between two hand-backs of freed memory.
const TRIM_EVERY: usize = 32 * 1024;

/// Append rows, given by reference or by value (then each is freed once appended, and freed
/// memory is handed back to the system after each table: DuckDB holds its own copy until
/// the commit).
fn append_rows<N: Borrow<NodeRow>, E: Borrow<EdgeRow>, H: Borrow<FileHashRow>>(
    tx: &Connection,
    nodes: impl IntoIterator<Item = N>,
    edges: impl IntoIterator<Item = E>,
    hashes: impl IntoIterator<Item = H>,
) -> Result<()> {
    // Creating an appender costs about a millisecond: none for an empty table.
    let mut nodes = nodes.into_iter().peekable();
    let mut edges = edges.into_iter().peekable();
    let mut hashes = hashes.into_iter().peekable();
    if nodes.peek().is_some() {
        // Column names are explicit so MU-Rs's extra trailing columns get their defaults.
        let mut app = tx
            .appender_with_columns(
                "nodes",
                &[
                    "id",
                    "type",
                    "name",
                    "qualified_name",
                    "file_path",
                    "line_start",
                    "line_end",
                    "properties",
                    "complexity",
                ],
            )
            .ctx("appending nodes")?;
        for (i, n) in nodes.enumerate() {
            if i % TRIM_EVERY == TRIM_EVERY - 1 {
                crate::release_memory();
            }
            let n = n.borrow();
            app.append_row(params![
                n.id,
                n.node_type.as_str(),
                n.name,
                n.qualified_name,
                n.file_path,
                n.line_start,
                n.line_end,
                n.properties,
                n.complexity
            ])
            .ctx("appending nodes")?;
        }
        app.flush().ctx("appending nodes")?;
        crate::release_memory();
    }
    if edges.peek().is_some() {
        let mut app = tx
            .appender_with_columns(
                "edges",
                &["id", "source_id", "target_id", "type", "properties"],
            )
            .ctx("appending edges")?;
        for (i, e) in edges.enumerate() {
            if i % TRIM_EVERY == TRIM_EVERY - 1 {
                crate::release_memory();
            }
            let e = e.borrow();
            app.append_row(params![
                e.id,
                e.source_id,
                e.target_id,
                e.edge_type.as_str(),
                e.properties
            ])
            .ctx("appending edges")?;
        }
        app.flush().ctx("appending edges")?;
        crate::release_memory();
    }
    if hashes.peek().is_some() {
        let mut app = tx
            .appender_with_columns(
                "file_hashes",
                &["file_path", "content_hash", "size", "mtime_ns", "language"],
            )
            .ctx("appending file hashes")?;
        for h in hashes {
            let h = h.borrow();
            app.append_row(params![
                h.file_path,
                h.content_hash,
                h.size,
                h.mtime_ns,
                h.language
            ])
            .ctx("appending file hashes")?;
        }
        app.flush().ctx("appending file hashes")?;
    }
    Ok(())
}

fn write_stats(tx: &Connection, stats: &IndexStats) -> Result<()> {
    // One DELETE and one multi-row INSERT: three upserts cost several times more.
    tx.prepare_cached("DELETE FROM codebase_stats WHERE key IN ('languages', 'graph', 'index')")
        .and_then(|mut st| st.execute([]))
        .ctx("writing codebase_stats")?;
    tx.prepare_cached(
        "INSERT INTO codebase_stats (key, value, updated_at) VALUES
            ('languages', ?, CURRENT_TIMESTAMP), ('graph', ?, CURRENT_TIMESTAMP), ('index', ?, CURRENT_TIMESTAMP)",
    )
    .and_then(|mut st| st.execute(params![stats.languages, stats.graph, stats.index]))
    .ctx("writing codebase_stats")?;
    Ok(())
}

/// Set several `metadata` keys with two statements.
fn set_metas(tx: &Connection, kv: &[(&str, &str)]) -> Result<()> {
    type Pairs<'a> = Vec<(&'a str, &'a str)>;
    let (state, meta): (Pairs, Pairs) = kv
        .iter()
        .partition(|(k, _)| super::schema::STATE_KEYS.contains(k));
    set_pairs(tx, "metadata", &meta)?;
    set_pairs(tx, "mu_daemon_state", &state)
}

/// Replace `kv` in a key/value table (`metadata` or `mu_daemon_state`).
fn set_pairs(tx: &Connection, table: &str, kv: &[(&str, &str)]) -> Result<()> {
    if kv.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; kv.len()].join(", ");
    let keys: Vec<&str> = kv.iter().map(|(k, _)| *k).collect();
    tx.prepare_cached(&format!("DELETE FROM {table} WHERE key IN ({marks})"))
        .and_then(|mut st| st.execute(duckdb::params_from_iter(keys)))
        .ctx("writing metadata")?;
    let rows = vec!["(?, ?)"; kv.len()].join(", ");
    tx.prepare_cached(&format!("INSERT INTO {table} (key, value) VALUES {rows}"))
        .and_then(|mut st| {
            st.execute(duckdb::params_from_iter(
                kv.iter().flat_map(|(k, v)| [*k, *v]),
            ))
        })
        .ctx("writing metadata")?;
    Ok(())
}

/// State key (`mu_daemon_state`) naming the last committed write of the graph; caches derived from the stored
/// rows (the row digests of `index::cache`) are valid only for the generation they name.
pub const GENERATION_KEY: &str = "index_generation";
/// State key: the digest of the resolution config files the stored graph was resolved with; a
/// different digest makes an otherwise unchanged tree re-resolve.
pub const CONFIG_HASH_KEY: &str = "resolve_config_hash";

/// A token no earlier write of this database used: time in nanoseconds and the process id.
pub fn new_generation() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
