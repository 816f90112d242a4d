//! The facts cache (`indexer.md` §11.2): facts of every indexed file, persisted in
//! `.mu/index-cache/` so an incremental run re-parses only changed files. Safe to delete: a
//! missing or unreadable cache means re-parsing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::index::facts::{FileFacts, Language};
use crate::store::schema::INDEX_FORMAT;

#[derive(Debug, Clone)]
pub struct CacheEntry {
    pub content_hash: String,
    pub language: Language,
    pub total_lines: u32,
    pub facts: Arc<FileFacts>,
}

/// On-disk form of an entry, written from borrowed data.
#[derive(Serialize)]
struct EntryOut<'a> {
    content_hash: &'a str,
    language: Language,
    total_lines: u32,
    facts: &'a FileFacts,
}

#[derive(Deserialize)]
struct EntryIn {
    content_hash: String,
    language: Language,
    total_lines: u32,
    facts: FileFacts,
}

#[derive(Serialize)]
struct CacheFileOut<'a> {
    index_format: u32,
    builder: String,
    entries: HashMap<&'a str, EntryOut<'a>>,
}

#[derive(Deserialize)]
struct CacheFileIn {
    index_format: u32,
    builder: String,
    entries: HashMap<String, EntryIn>,
}

/// Identifies the extractor that wrote the cache: the version plus the executable's size and
/// modification time, so a rebuilt binary never trusts facts of an older extractor.
fn build_id() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .ok()
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}-{}", m.len(), mtime)
        })
        .unwrap_or_default();
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

fn cache_path(dir: &Path) -> PathBuf {
    dir.join(format!("facts-v{INDEX_FORMAT}.json"))
}

/// Load the cache; anything unexpected yields an empty cache.
pub fn load(dir: &Path) -> HashMap<String, CacheEntry> {
    let Ok(bytes) = std::fs::read(cache_path(dir)) else {
        return HashMap::new();
    };
    match serde_json::from_slice::<CacheFileIn>(&bytes) {
        Ok(f) if f.index_format == INDEX_FORMAT && f.builder == build_id() => f
            .entries
            .into_iter()
            .map(|(path, e)| {
                let entry = CacheEntry {
                    content_hash: e.content_hash,
                    language: e.language,
                    total_lines: e.total_lines,
                    facts: Arc::new(e.facts),
                };
                (path, entry)
            })
            .collect(),
        _ => HashMap::new(),
    }
}

/// Replace the cache atomically (write a temporary file, then rename).
pub fn save(dir: &Path, entries: &HashMap<String, CacheEntry>) -> std::io::Result<()> {
    if !dir.is_dir() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)?;
    }
    let file = CacheFileOut {
        index_format: INDEX_FORMAT,
        builder: build_id(),
        entries: entries
            .iter()
            .map(|(path, e)| {
                let out = EntryOut {
                    content_hash: &e.content_hash,
                    language: e.language,
                    total_lines: e.total_lines,
                    facts: &e.facts,
                };
                (path.as_str(), out)
            })
            .collect(),
    };
    let tmp = dir.join(format!(".facts-v{INDEX_FORMAT}.json.tmp"));
    let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, cache_path(dir))
}
