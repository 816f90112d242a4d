//! The single writer: full builds (bulk appends) and per-file replacement, each in one
//! transaction (`mubase.md` §9.2).

use duckdb::{params, Connection};

use super::{now_iso, set_meta_on, DbContext, Result, Store};
use crate::index::model::{EdgeRow, NodeRow, NodeType};

/// One `file_hashes` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHashRow {
    pub file_path: String,
    pub content_hash: String,
    pub size: i64,
    pub mtime_ns: i64,
    pub language: String,
}

/// Everything one file owns after an update (`mubase.md` §9.1).
#[derive(Debug, Clone, Default)]
pub struct FileRows {
    pub path: String,
    pub nodes: Vec<NodeRow>,
    pub edges: Vec<EdgeRow>,
    /// `None` when the file was deleted.
    pub hash: Option<FileHashRow>,
}

/// The `codebase_stats` values written with every change (`mubase.md` §9.4), as JSON text.
#[derive(Debug, Clone)]
pub struct IndexStats {
    pub languages: String,
    pub graph: String,
    pub index: String,
}

impl Store {
    /// Full build: replace every row of the graph in one transaction, using appenders. Returns
    /// the new `metadata.index_generation`.
    pub fn write_full(
        &mut self,
        nodes: &[NodeRow],
        edges: &[EdgeRow],
        hashes: &[FileHashRow],
        stats: &IndexStats,
        index_format: u32,
    ) -> Result<String> {
        let tx = self
            .conn
            .transaction()
            .ctx("starting the build transaction")?;
        tx.execute_batch("DELETE FROM edges; DELETE FROM nodes; DELETE FROM file_hashes;")
            .ctx("clearing the graph")?;
        append_rows(&tx, nodes, edges, hashes)?;
        write_stats(&tx, stats)?;
        let now = now_iso();
        set_meta_on(&tx, "built_at", &now)?;
        set_meta_on(&tx, "indexed_at", &unix_now().to_string())?;
        set_meta_on(&tx, "index_format", &index_format.to_string())?;
        let generation = new_generation();
        set_meta_on(&tx, GENERATION_KEY, &generation)?;
        tx.commit().ctx("committing the build")?;
        self.checkpoint()?;
        Ok(generation)
    }

    /// Incremental batch: for each file, delete everything it owns and insert its new rows;
    /// `touched` only refreshes `size`/`mtime_ns`; then externals are reconciled: those no edge
    /// targets any more are deleted, and `externals` (new ones, or ones whose properties
    /// changed) are inserted or updated. One transaction. With `stats` (the graph changed), the
    /// batch gets a new `metadata.index_generation`, which is returned.
    pub fn write_files(
        &mut self,
        files: &[FileRows],
        touched: &[FileHashRow],
        externals: &[NodeRow],
        stats: Option<&IndexStats>,
    ) -> Result<Option<String>> {
        let tx = self
            .conn
            .transaction()
            .ctx("starting the update transaction")?;
        if !files.is_empty() {
            tx.execute_batch("CREATE OR REPLACE TEMP TABLE batch_files (path VARCHAR PRIMARY KEY)")
                .ctx("preparing the batch")?;
            {
                let mut app = tx.appender("batch_files").ctx("preparing the batch")?;
                for f in files {
                    app.append_row([&f.path]).ctx("preparing the batch")?;
                }
                app.flush().ctx("preparing the batch")?;
            }
            // Ownership rules of mubase.md §9.1: `contains` edges by their target's file, other
            // edges by `properties.owner` or else their source's file.
            tx.execute_batch(
                "DELETE FROM edges WHERE id IN (
                    SELECT e.id FROM edges e
                    LEFT JOIN nodes s ON s.id = e.source_id
                    LEFT JOIN nodes t ON t.id = e.target_id
                    WHERE (e.type = 'contains' AND t.file_path IN (SELECT path FROM batch_files))
                       OR (e.type <> 'contains' AND coalesce(json_extract_string(e.properties, '$.owner'), s.file_path)
                           IN (SELECT path FROM batch_files)));
                 DELETE FROM nodes WHERE type <> 'external' AND file_path IN (SELECT path FROM batch_files);
                 DELETE FROM file_hashes WHERE file_path IN (SELECT path FROM batch_files);
                 DROP TABLE batch_files;",
            )
            .ctx("deleting the rows of changed files")?;
            let nodes: Vec<NodeRow> = files.iter().flat_map(|f| f.nodes.iter().cloned()).collect();
            let edges: Vec<EdgeRow> = files.iter().flat_map(|f| f.edges.iter().cloned()).collect();
            let hashes: Vec<FileHashRow> = files.iter().filter_map(|f| f.hash.clone()).collect();
            append_rows(&tx, &nodes, &edges, &hashes)?;
        }
        {
            let mut st = tx
                .prepare("UPDATE file_hashes SET size = ?, mtime_ns = ? WHERE file_path = ?")
                .ctx("updating file_hashes")?;
            for h in touched {
                st.execute(params![h.size, h.mtime_ns, h.file_path])
                    .ctx("updating file_hashes")?;
            }
        }
        if !files.is_empty() || !externals.is_empty() {
            reconcile_externals(&tx, externals)?;
        }
        let generation = match stats {
            Some(stats) => {
                write_stats(&tx, stats)?;
                set_meta_on(&tx, "indexed_at", &unix_now().to_string())?;
                let g = new_generation();
                set_meta_on(&tx, GENERATION_KEY, &g)?;
                Some(g)
            }
            None => None,
        };
        tx.commit().ctx("committing the update")?;
        Ok(generation)
    }
}

/// Externals exist iff an edge targets them (`mubase.md` §8.3): drop the orphans, then insert or
/// update the wanted ones.
fn reconcile_externals(tx: &Connection, externals: &[NodeRow]) -> Result<()> {
    tx.execute(
        "DELETE FROM nodes WHERE type = 'external' AND id NOT IN (SELECT target_id FROM edges)",
        [],
    )
    .ctx("removing unused externals")?;
    let mut st = tx
        .prepare(
            "INSERT INTO nodes (id, type, name, qualified_name, file_path, line_start, line_end, properties, complexity)
             VALUES (?, 'external', ?, ?, NULL, NULL, NULL, ?, 0)
             ON CONFLICT (id) DO UPDATE SET properties = excluded.properties",
        )
        .ctx("writing externals")?;
    for n in externals
        .iter()
        .filter(|n| n.node_type == NodeType::External)
    {
        st.execute(params![n.id, n.name, n.qualified_name, n.properties])
            .ctx("writing externals")?;
    }
    Ok(())
}

fn append_rows(
    tx: &Connection,
    nodes: &[NodeRow],
    edges: &[EdgeRow],
    hashes: &[FileHashRow],
) -> Result<()> {
    {
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
        for n in nodes {
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
    }
    {
        let mut app = tx
            .appender_with_columns(
                "edges",
                &["id", "source_id", "target_id", "type", "properties"],
            )
            .ctx("appending edges")?;
        for e in edges {
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
    }
    {
        let mut app = tx
            .appender_with_columns(
                "file_hashes",
                &["file_path", "content_hash", "size", "mtime_ns", "language"],
            )
            .ctx("appending file hashes")?;
        for h in hashes {
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
    let mut st = tx
        .prepare(
            "INSERT OR REPLACE INTO codebase_stats (key, value, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP)",
        )
        .ctx("writing codebase_stats")?;
    for (k, v) in [
        ("languages", &stats.languages),
        ("graph", &stats.graph),
        ("index", &stats.index),
    ] {
        st.execute(params![k, v]).ctx("writing codebase_stats")?;
    }
    Ok(())
}

/// Metadata key naming the last committed write of the graph; caches derived from the stored
/// rows (the row digests of `index::cache`) are valid only for the generation they name.
pub const GENERATION_KEY: &str = "index_generation";

/// A token no earlier write of this database used: time in nanoseconds and the process id.
fn new_generation() -> String {
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
