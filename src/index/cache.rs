//! The facts cache (`indexer.md` §11.2), persisted in `.mu/index-cache/`: the facts of every
//! indexed file, so an incremental run re-parses only changed files, and a digest of the rows
//! each file owned after the last write, so it rewrites only the files whose rows changed
//! without reading the whole graph back from DuckDB.
//!
//! Safe to delete: missing facts mean re-parsing; missing or stale digests (their `generation`
//! differs from `metadata.index_generation`, e.g. after a crash between commit and save) mean
//! diffing against the database instead.

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

/// Digests of the stored rows, valid for one database generation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RowDigests {
    /// `metadata.index_generation` of the write these digests describe.
    pub generation: String,
    /// Owning file → xxh3 of its rows (`mubase.md` §9.1 ownership).
    pub files: HashMap<String, u64>,
    /// External node id → its properties.
    pub externals: HashMap<String, String>,
}

/// What [`load`] finds.
#[derive(Debug, Default)]
pub struct Cache {
    pub entries: HashMap<String, CacheEntry>,
    pub digests: Option<RowDigests>,
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
    digests: Option<&'a RowDigests>,
}

#[derive(Deserialize)]
struct CacheFileIn {
    index_format: u32,
    builder: String,
    entries: HashMap<String, EntryIn>,
    #[serde(default)]
    digests: Option<RowDigests>,
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
pub fn load(dir: &Path) -> Cache {
    let Ok(bytes) = std::fs::read(cache_path(dir)) else {
        return Cache::default();
    };
    match serde_json::from_slice::<CacheFileIn>(&bytes) {
        Ok(f) if f.index_format == INDEX_FORMAT && f.builder == build_id() => Cache {
            entries: f
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
            digests: f.digests,
        },
        _ => Cache::default(),
    }
}

/// Replace the cache atomically (write a temporary file, then rename).
pub fn save(
    dir: &Path,
    entries: &HashMap<String, CacheEntry>,
    digests: Option<&RowDigests>,
) -> std::io::Result<()> {
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
        digests,
    };
    let tmp = dir.join(format!(".facts-v{INDEX_FORMAT}.json.tmp"));
    let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, cache_path(dir))
}
