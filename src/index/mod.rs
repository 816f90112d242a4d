//! The indexing pipeline (`indexer.md` §1, §11, `DESIGN.md`):
//! scan → hash → parallel parse → `FileFacts` → resolve → row diff → write (one transaction).
//!
//! [`Engine`] keeps one project's facts in memory and its mubase open; `mu-daemon index`
//! ([`Engine::reconcile`]) and file-watcher batches ([`Engine::apply`]) are the same update
//! path. Nothing here prints; progress goes to the caller's callback.

pub mod cache;
pub mod engine;
pub mod facts;
pub mod lang;
pub mod model;
pub mod resolve;
pub mod rows;
pub mod scan;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::StoreError;

pub use engine::Engine;
pub use rows::ChangeSummary;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("The database {} comes from a newer mu-daemon and is read-only; upgrade mu-daemon to index this project.", .0.display())]
    ReadOnly(std::path::PathBuf),
    #[error("Cannot start the parser pool: {0}")]
    Pool(String),
}

/// Full build or incremental refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Full,
    Incremental,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Scan,
    Parse,
    Resolve,
    Write,
    Done,
}

/// A progress record (`indexer.md` §12).
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub files_total: usize,
    pub files_done: usize,
    pub elapsed_ms: u64,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct IndexSummary {
    pub mode: Mode,
    /// Source files considered (indexed plus skipped).
    pub files_scanned: usize,
    /// Files indexed after this run.
    pub files_indexed: usize,
    /// Created or modified files (all files in a full build).
    pub files_changed: usize,
    pub files_removed: usize,
    /// Files whose parse failed entirely (timeout or extractor failure).
    pub files_failed: usize,
    pub files_with_parse_errors: usize,
    pub skipped: BTreeMap<&'static str, usize>,
    pub lines: u64,
    pub node_count: u64,
    pub edge_count: u64,
    pub nodes_by_type: BTreeMap<&'static str, u64>,
    pub edges_by_type: BTreeMap<&'static str, u64>,
    pub unresolved_imports: usize,
    pub duration_ms: u64,
    /// Milliseconds spent per phase: scan, parse (read, hash, parse, extract; loading cached
    /// facts), resolve, diff (row hashes and the merge against the stored rows), write (a full
    /// build's includes writing the facts cache, concurrently). `mu-daemon index` adds close
    /// (saving the facts cache while the database checkpoints).
    pub phase_ms: BTreeMap<&'static str, u64>,
    /// Unreadable directories or files met while scanning.
    pub warnings: Vec<String>,
    /// What changed in the graph.
    pub changes: ChangeSummary,
}

pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}
