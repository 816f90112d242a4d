//! The indexing pipeline (`indexer.md` §1, `DESIGN.md`):
//! scan → hash → parallel parse → `FileFacts` → resolve → write (one transaction).
//!
//! [`run`] performs a full build or an incremental refresh of one project's mubase. It never
//! prints; progress goes to the caller's callback.

pub mod cache;
pub mod facts;
pub mod lang;
pub mod model;
pub mod resolve;
pub mod scan;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::store::schema::INDEX_FORMAT;
use crate::store::{FileHashRow, FileRows, IndexStats, Store, StoreError};
use cache::CacheEntry;
use facts::{FileFacts, Language};
use model::{EdgeRow, EdgeType, NodeRow, NodeType};
use resolve::{ProjectConfig, ResolvedGraph, SourceFile};
use scan::{Candidate, SkipReason, Skipped};

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

#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    /// Full rebuild regardless of hashes (`--force`).
    pub force: bool,
    /// Parser threads; 0 = one per CPU, at most 8.
    pub threads: usize,
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
    /// Milliseconds spent per phase: scan, parse (read, hash, parse, extract; cache load),
    /// resolve, write, cache (saving the facts cache).
    pub phase_ms: BTreeMap<&'static str, u64>,
    /// Unreadable directories or files met while scanning.
    pub warnings: Vec<String>,
}

/// One file's facts after the parse phase.
struct Parsed {
    path: String,
    language: Language,
    total_lines: u32,
    hash: FileHashRow,
    facts: Arc<FileFacts>,
    changed: bool,
    /// Parsed in this run (not taken from the facts cache).
    reparsed: bool,
}

enum ParseOutcome {
    Ok(Parsed),
    Skipped(Skipped),
    Unreadable(String),
}

pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Build or refresh the mubase of the project at `root`.
pub fn run(
    root: &Path,
    cache_dir: &Path,
    store: &mut Store,
    opts: &IndexOptions,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<IndexSummary, IndexError> {
    if store.is_read_only() {
        return Err(IndexError::ReadOnly(store.path().to_path_buf()));
    }
    let t0 = Instant::now();
    let elapsed = || t0.elapsed().as_millis() as u64;
    progress(&Progress {
        phase: Phase::Scan,
        files_total: 0,
        files_done: 0,
        elapsed_ms: 0,
    });
    let scanned = scan::scan(root);
    let mut phase_ms = BTreeMap::new();
    phase_ms.insert("scan", elapsed());
    let stored = store.file_hashes()?;
    let format_ok = store.meta("index_format")?.as_deref() == Some(&INDEX_FORMAT.to_string());
    let mode = if opts.force || !format_ok {
        Mode::Full
    } else {
        Mode::Incremental
    };
    let cache = if mode == Mode::Full {
        cache::Cache::default()
    } else {
        cache::load(cache_dir)
    };

    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| IndexError::Pool(e.to_string()))?;
    let total = scanned.files.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let last_report = std::sync::Mutex::new(Instant::now());
    let outcomes: Vec<ParseOutcome> = pool.install(|| {
        scanned
            .files
            .par_iter()
            .map(|c| {
                let out = parse_one(c, stored.get(&c.path), cache.entries.get(&c.path), mode);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if let Ok(mut last) = last_report.try_lock() {
                    if last.elapsed().as_millis() >= 250 || n == total {
                        *last = Instant::now();
                        progress(&Progress {
                            phase: Phase::Parse,
                            files_total: total,
                            files_done: n,
                            elapsed_ms: elapsed(),
                        });
                    }
                }
                out
            })
            .collect()
    });

    phase_ms.insert("parse", elapsed() - phase_ms["scan"]);
    let mut skipped = scanned.skipped;
    let mut warnings = scanned.warnings;
    let mut parsed = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        match o {
            ParseOutcome::Ok(p) => parsed.push(p),
            ParseOutcome::Skipped(s) => skipped.push(s),
            ParseOutcome::Unreadable(w) => warnings.push(w),
        }
    }
    skipped.sort();
    let present: std::collections::HashSet<&str> = parsed.iter().map(|p| p.path.as_str()).collect();
    let mut removed: Vec<String> = stored
        .keys()
        .filter(|p| !present.contains(p.as_str()))
        .cloned()
        .collect();
    removed.sort();
    let changed: Vec<&str> = parsed
        .iter()
        .filter(|p| p.changed)
        .map(|p| p.path.as_str())
        .collect();
    let files_changed = changed.len();

    let mut summary = IndexSummary {
        mode,
        files_scanned: parsed.len() + skipped.len(),
        files_indexed: parsed.len(),
        files_changed,
        files_removed: removed.len(),
        files_failed: parsed.iter().filter(|p| p.facts.parse_failed).count(),
        files_with_parse_errors: parsed.iter().filter(|p| p.facts.parse_errors > 0).count(),
        skipped: skip_counts(&skipped),
        lines: parsed.iter().map(|p| u64::from(p.total_lines)).sum(),
        node_count: 0,
        edge_count: 0,
        nodes_by_type: BTreeMap::new(),
        edges_by_type: BTreeMap::new(),
        unresolved_imports: 0,
        duration_ms: 0,
        phase_ms,
        warnings,
    };

    let touched: Vec<FileHashRow> = parsed
        .iter()
        .filter(|p| !p.changed)
        .filter(|p| {
            stored
                .get(&p.path)
                .is_some_and(|s| s.size != p.hash.size || s.mtime_ns != p.hash.mtime_ns)
        })
        .map(|p| p.hash.clone())
        .collect();

    // Resolution inputs besides the facts: config files (indexer.md §11.1 "config change") and
    // the skip list, which codebase_stats.index reports.
    let config = read_config(root, &scanned.config_files);
    let config_hash = config_digest(&config);
    let config_same = store.meta(CONFIG_HASH_KEY)?.as_deref() == Some(config_hash.as_str());
    let skipped_same = stored_index(store)?.is_some_and(|v| {
        v.get("skipped") == Some(&skipped_counts_json(&summary.skipped))
            && v.get("skipped_files") == Some(&skipped_files_json(&skipped))
    });
    let reparsed = parsed.iter().any(|p| p.reparsed);

    if mode == Mode::Incremental
        && files_changed == 0
        && removed.is_empty()
        && config_same
        && skipped_same
    {
        // No-op: only size/mtime of touched files change (mubase.md §9.2).
        store.write_files(&[], &touched, &[], None)?;
        if reparsed {
            // The facts cache was missing or stale: keep what was just parsed. The stored rows
            // did not change, so their digests stay valid.
            save_cache(cache_dir, &parsed, cache.digests.as_ref(), &mut summary);
        }
        let counts = store.counts()?;
        fill_counts_from_store(&mut summary, &counts);
        summary.unresolved_imports = stored_unresolved(store)?;
        summary.duration_ms = elapsed();
        progress(&Progress {
            phase: Phase::Done,
            files_total: total,
            files_done: total,
            elapsed_ms: summary.duration_ms,
        });
        return Ok(summary);
    }

    progress(&Progress {
        phase: Phase::Resolve,
        files_total: total,
        files_done: total,
        elapsed_ms: elapsed(),
    });
    let sources: Vec<SourceFile> = parsed
        .iter()
        .map(|p| SourceFile {
            path: p.path.clone(),
            language: p.language,
            total_lines: p.total_lines,
            facts: Arc::clone(&p.facts),
        })
        .collect();
    let t_resolve = Instant::now();
    let graph = pool.install(|| resolve::resolve(&sources, &config));
    drop(sources);
    summary
        .phase_ms
        .insert("resolve", t_resolve.elapsed().as_millis() as u64);
    let t_write = Instant::now();

    progress(&Progress {
        phase: Phase::Write,
        files_total: total,
        files_done: total,
        elapsed_ms: elapsed(),
    });
    let hashes: Vec<FileHashRow> = parsed.iter().map(|p| p.hash.clone()).collect();
    fill_counts_from_graph(&mut summary, &graph);
    summary.unresolved_imports = graph.unresolved_imports;
    let built_at = match mode {
        Mode::Full => None,
        Mode::Incremental => store.meta("built_at")?,
    };
    let stats = make_stats(&parsed, &graph, &summary, &skipped, built_at, elapsed());
    let mut digests = row_digests(&graph.nodes, &graph.edges);
    match mode {
        Mode::Full => {
            digests.generation =
                store.write_full(&graph.nodes, &graph.edges, &hashes, &stats, INDEX_FORMAT)?;
        }
        Mode::Incremental => {
            // The digests of the last write, if they describe what is stored; else the stored
            // rows themselves.
            let generation = store.meta(crate::store::GENERATION_KEY)?;
            let old = match cache.digests {
                Some(d) if Some(&d.generation) == generation.as_ref() => d,
                _ => row_digests(&store.all_nodes()?, &store.all_edges()?),
            };
            let (dirty, externals) = dirty_files(&old, &digests, &graph, &changed, &removed);
            let by_path: HashMap<&str, &FileHashRow> =
                hashes.iter().map(|h| (h.file_path.as_str(), h)).collect();
            let rows = rows_for_files(&graph, &dirty, &by_path);
            digests.generation = store
                .write_files(&rows, &touched, &externals, Some(&stats))?
                .unwrap_or_default();
        }
    }
    // Recorded only after the graph it produced is committed: a crash in between leaves the old
    // digest, and the next run resolves again.
    store.set_meta(CONFIG_HASH_KEY, &config_hash)?;

    summary
        .phase_ms
        .insert("write", t_write.elapsed().as_millis() as u64);
    let t_cache = Instant::now();
    save_cache(cache_dir, &parsed, Some(&digests), &mut summary);
    summary
        .phase_ms
        .insert("cache", t_cache.elapsed().as_millis() as u64);
    summary.duration_ms = elapsed();
    progress(&Progress {
        phase: Phase::Done,
        files_total: total,
        files_done: total,
        elapsed_ms: summary.duration_ms,
    });
    Ok(summary)
}

/// Read, hash and (when needed) parse one file.
fn parse_one(
    c: &Candidate,
    stored: Option<&FileHashRow>,
    cached: Option<&CacheEntry>,
    mode: Mode,
) -> ParseOutcome {
    let incremental = mode == Mode::Incremental;
    let unchanged_meta =
        incremental && stored.is_some_and(|s| s.size == c.size as i64 && s.mtime_ns == c.mtime_ns);
    // Unchanged size and mtime: trust the stored hash and reuse cached facts when they match.
    if unchanged_meta {
        if let (Some(s), Some(e)) = (stored, cached) {
            if e.content_hash == s.content_hash {
                return ParseOutcome::Ok(Parsed {
                    path: c.path.clone(),
                    language: c.language,
                    total_lines: e.total_lines,
                    hash: s.clone(),
                    facts: Arc::clone(&e.facts),
                    changed: false,
                    reparsed: false,
                });
            }
        }
    }
    let bytes = match std::fs::read(&c.abs) {
        Ok(b) => b,
        Err(e) => {
            return ParseOutcome::Unreadable(format!("{}: {e}", c.path));
        }
    };
    let hash = FileHashRow {
        file_path: c.path.clone(),
        content_hash: content_hash(&bytes),
        size: bytes.len() as i64,
        mtime_ns: c.mtime_ns,
        language: c.language.as_str().to_string(),
    };
    let same_hash = incremental && stored.is_some_and(|s| s.content_hash == hash.content_hash);
    if same_hash {
        if let Some(e) = cached.filter(|e| e.content_hash == hash.content_hash) {
            return ParseOutcome::Ok(Parsed {
                path: c.path.clone(),
                language: c.language,
                total_lines: e.total_lines,
                hash,
                facts: Arc::clone(&e.facts),
                changed: false,
                reparsed: false,
            });
        }
    }
    if bytes.len() as u64 > scan::MAX_FILE_SIZE {
        return ParseOutcome::Skipped(Skipped {
            path: c.path.clone(),
            reason: SkipReason::TooLarge,
            size: bytes.len() as u64,
        });
    }
    if scan::is_minified_content(&bytes) {
        return ParseOutcome::Skipped(Skipped {
            path: c.path.clone(),
            reason: SkipReason::Minified,
            size: bytes.len() as u64,
        });
    }
    let size = bytes.len() as u64;
    let Some(text) = scan::decode(bytes) else {
        return ParseOutcome::Skipped(Skipped {
            path: c.path.clone(),
            reason: SkipReason::Undecodable,
            size,
        });
    };
    let facts = lang::parse_and_extract(c.grammar, &text);
    ParseOutcome::Ok(Parsed {
        path: c.path.clone(),
        language: c.language,
        total_lines: scan::line_count(&text),
        hash,
        facts: Arc::new(facts),
        changed: !same_hash,
        reparsed: true,
    })
}

fn skip_counts(skipped: &[Skipped]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for r in [
        SkipReason::TooLarge,
        SkipReason::Minified,
        SkipReason::Undecodable,
    ] {
        m.insert(r.as_str(), skipped.iter().filter(|s| s.reason == r).count());
    }
    m
}

/// Metadata key holding the digest of the resolution config files the stored graph was
/// resolved with; a different digest makes an otherwise unchanged tree re-resolve.
const CONFIG_HASH_KEY: &str = "resolve_config_hash";

/// xxh3 over every config file's path and content, in path order.
fn config_digest(config: &ProjectConfig) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for (path, content) in &config.files {
        h.update(path.as_bytes());
        h.update(&[0]);
        h.update(content.as_bytes());
        h.update(&[0]);
    }
    format!("{:016x}", h.digest())
}

/// `codebase_stats.index.skipped` (`mubase.md` §9.4).
fn skipped_counts_json(counts: &BTreeMap<&'static str, usize>) -> serde_json::Value {
    serde_json::json!({
        "too_large": counts.get("too_large").copied().unwrap_or(0),
        "minified": counts.get("minified").copied().unwrap_or(0),
        "undecodable": counts.get("undecodable").copied().unwrap_or(0),
    })
}

/// `codebase_stats.index.skipped_files`: at most 100, sorted by path.
fn skipped_files_json(skipped: &[Skipped]) -> serde_json::Value {
    skipped
        .iter()
        .take(100)
        .map(|s| serde_json::json!({"path": s.path, "reason": s.reason.as_str(), "size": s.size}))
        .collect()
}

fn stored_index(store: &Store) -> Result<Option<serde_json::Value>, StoreError> {
    Ok(store
        .stat("index")?
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok()))
}

/// Persist the facts of every indexed file, and the digests of the rows just written, for the
/// next incremental run.
fn save_cache(
    cache_dir: &Path,
    parsed: &[Parsed],
    digests: Option<&cache::RowDigests>,
    summary: &mut IndexSummary,
) {
    let cache: HashMap<String, CacheEntry> = parsed
        .iter()
        .map(|p| {
            let entry = CacheEntry {
                content_hash: p.hash.content_hash.clone(),
                language: p.language,
                total_lines: p.total_lines,
                facts: Arc::clone(&p.facts),
            };
            (p.path.clone(), entry)
        })
        .collect();
    if let Err(e) = cache::save(cache_dir, &cache, digests) {
        summary
            .warnings
            .push(format!("could not write the facts cache: {e}"));
    }
}

/// Contents of the resolution config files (unreadable ones are left out).
fn read_config(root: &Path, files: &[String]) -> ProjectConfig {
    let mut out = BTreeMap::new();
    for f in files {
        if let Ok(bytes) = std::fs::read(root.join(f)) {
            out.insert(f.clone(), String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    ProjectConfig { files: out }
}

fn fill_counts_from_graph(summary: &mut IndexSummary, graph: &ResolvedGraph) {
    for t in NodeType::ALL {
        summary.nodes_by_type.insert(t.as_str(), 0);
    }
    for t in EdgeType::ALL {
        summary.edges_by_type.insert(t.as_str(), 0);
    }
    for n in &graph.nodes {
        *summary
            .nodes_by_type
            .entry(n.node_type.as_str())
            .or_insert(0) += 1;
    }
    for e in &graph.edges {
        *summary
            .edges_by_type
            .entry(e.edge_type.as_str())
            .or_insert(0) += 1;
    }
    summary.node_count = graph.nodes.len() as u64;
    summary.edge_count = graph.edges.len() as u64;
}

fn fill_counts_from_store(summary: &mut IndexSummary, counts: &crate::store::GraphCounts) {
    for t in NodeType::ALL {
        let n = counts.nodes.get(t.as_str()).copied().unwrap_or(0);
        summary.nodes_by_type.insert(t.as_str(), n);
    }
    for t in EdgeType::ALL {
        let n = counts.edges.get(t.as_str()).copied().unwrap_or(0);
        summary.edges_by_type.insert(t.as_str(), n);
    }
    summary.node_count = counts.node_total();
    summary.edge_count = counts.edge_total();
}

fn stored_unresolved(store: &Store) -> Result<usize, StoreError> {
    Ok(stored_index(store)?
        .and_then(|v| v.get("unresolved_imports").and_then(|n| n.as_u64()))
        .unwrap_or(0) as usize)
}

/// `codebase_stats` values (`mubase.md` §9.4).
fn make_stats(
    parsed: &[Parsed],
    graph: &ResolvedGraph,
    summary: &IndexSummary,
    skipped: &[Skipped],
    built_at: Option<String>,
    duration_ms: u64,
) -> IndexStats {
    let mut langs: BTreeMap<&str, u64> = BTreeMap::new();
    for p in parsed {
        *langs.entry(p.language.display_name()).or_insert(0) += 1;
    }
    let total: u64 = langs.values().sum();
    let mut percentages = serde_json::Map::new();
    for (l, n) in &langs {
        let pct = if total == 0 {
            0.0
        } else {
            (*n as f64 * 1000.0 / total as f64).round() / 10.0
        };
        percentages.insert((*l).to_string(), serde_json::json!(pct));
    }
    // Highest count; ties alphabetical (BTreeMap iterates alphabetically, max_by keeps the last
    // maximum, so compare with reversed names).
    let primary = langs
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(l, _)| (*l).to_string());
    #[derive(Serialize)]
    struct Languages<'a> {
        languages: &'a BTreeMap<&'a str, u64>,
        percentages: serde_json::Map<String, serde_json::Value>,
        primary_language: Option<String>,
        total_files: u64,
    }
    let languages = serde_json::to_string(&Languages {
        languages: &langs,
        percentages,
        primary_language: primary,
        total_files: total,
    })
    .unwrap_or_else(|_| "{}".to_string());

    let graph_stats = graph.graph_stats();

    let now = crate::store::now_iso();
    let index = serde_json::json!({
        "files_indexed": parsed.len(),
        "files_with_parse_errors": summary.files_with_parse_errors,
        "files_parse_failed": summary.files_failed,
        "skipped": skipped_counts_json(&summary.skipped),
        "skipped_files": skipped_files_json(skipped),
        "unresolved_imports": graph.unresolved_imports,
        "duration_ms": duration_ms,
        "last_full_build_at": built_at.unwrap_or_else(|| now.clone()),
        "last_update_at": now,
    });
    IndexStats {
        languages,
        graph: graph_stats,
        index: index.to_string(),
    }
}

/// The owning file of every node and edge (`mubase.md` §9.1).
fn owners<'a>(
    nodes: &'a [NodeRow],
    edges: &'a [EdgeRow],
) -> (HashMap<&'a str, &'a str>, Vec<Option<String>>) {
    let node_file: HashMap<&str, &str> = nodes
        .iter()
        .filter(|n| n.node_type != NodeType::External)
        .filter_map(|n| n.file_path.as_deref().map(|f| (n.id.as_str(), f)))
        .collect();
    let edge_owner = edges
        .iter()
        .map(|e| {
            if e.edge_type == EdgeType::Contains {
                return node_file.get(e.target_id.as_str()).map(|s| s.to_string());
            }
            if e.properties.contains("\"owner\":") {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&e.properties) {
                    if let Some(o) = v.get("owner").and_then(|o| o.as_str()) {
                        return Some(o.to_string());
                    }
                }
            }
            node_file.get(e.source_id.as_str()).map(|s| s.to_string())
        })
        .collect();
    (node_file, edge_owner)
}

/// Digest of the rows each file owns, and the external nodes' properties. `nodes` and `edges`
/// are sorted by id (as the resolver returns them and the store reads them), so a file's rows
/// are always fed in the same order.
fn row_digests(nodes: &[NodeRow], edges: &[EdgeRow]) -> cache::RowDigests {
    use xxhash_rust::xxh3::Xxh3;
    fn feed(h: &mut Xxh3, parts: &[&[u8]]) {
        for p in parts {
            h.update(p);
            h.update(&[0]);
        }
    }
    let (node_file, edge_owner) = owners(nodes, edges);
    let mut files: HashMap<String, Xxh3> = HashMap::new();
    let mut externals = HashMap::new();
    for n in nodes {
        if n.node_type == NodeType::External {
            externals.insert(n.id.clone(), n.properties.clone());
            continue;
        }
        let Some(f) = node_file.get(n.id.as_str()) else {
            continue;
        };
        let h = files.entry((*f).to_string()).or_default();
        feed(
            h,
            &[
                b"node",
                n.id.as_bytes(),
                n.node_type.as_str().as_bytes(),
                n.name.as_bytes(),
                format!(
                    "{:?}|{:?}|{:?}|{:?}|{}",
                    n.qualified_name, n.file_path, n.line_start, n.line_end, n.complexity
                )
                .as_bytes(),
                n.properties.as_bytes(),
            ],
        );
    }
    for (e, owner) in edges.iter().zip(edge_owner) {
        let h = files.entry(owner.unwrap_or_default()).or_default();
        feed(
            h,
            &[
                b"edge",
                e.id.as_bytes(),
                e.source_id.as_bytes(),
                e.target_id.as_bytes(),
                e.edge_type.as_str().as_bytes(),
                e.properties.as_bytes(),
            ],
        );
    }
    cache::RowDigests {
        generation: String::new(),
        files: files.into_iter().map(|(f, h)| (f, h.digest())).collect(),
        externals,
    }
}

/// Files whose owned rows differ between the old and new digests (plus the changed and removed
/// files), and the external nodes that are new or whose properties changed.
fn dirty_files(
    old: &cache::RowDigests,
    new: &cache::RowDigests,
    graph: &ResolvedGraph,
    changed: &[&str],
    removed: &[String],
) -> (Vec<String>, Vec<NodeRow>) {
    let mut dirty: std::collections::BTreeSet<String> =
        changed.iter().map(|s| s.to_string()).collect();
    dirty.extend(removed.iter().cloned());
    for (f, d) in &new.files {
        if old.files.get(f) != Some(d) {
            dirty.insert(f.clone());
        }
    }
    for f in old.files.keys() {
        if !new.files.contains_key(f) {
            dirty.insert(f.clone());
        }
    }
    // Rows without an owner (dangling rows left by MU) are replaced by a full build only.
    dirty.remove("");
    let externals = graph
        .nodes
        .iter()
        .filter(|n| n.node_type == NodeType::External)
        .filter(|n| old.externals.get(&n.id) != Some(&n.properties))
        .cloned()
        .collect();
    (dirty.into_iter().collect(), externals)
}

fn rows_for_files(
    graph: &ResolvedGraph,
    files: &[String],
    hashes: &HashMap<&str, &FileHashRow>,
) -> Vec<FileRows> {
    let (node_file, edge_owner) = owners(&graph.nodes, &graph.edges);
    let wanted: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), i))
        .collect();
    let mut out: Vec<FileRows> = files
        .iter()
        .map(|f| FileRows {
            path: f.clone(),
            nodes: Vec::new(),
            edges: Vec::new(),
            hash: hashes.get(f.as_str()).map(|h| (*h).clone()),
        })
        .collect();
    for n in &graph.nodes {
        if let Some(i) = node_file.get(n.id.as_str()).and_then(|f| wanted.get(f)) {
            out[*i].nodes.push(n.clone());
        }
    }
    for (e, owner) in graph.edges.iter().zip(edge_owner) {
        if let Some(i) = owner.as_deref().and_then(|f| wanted.get(f)) {
            out[*i].edges.push(e.clone());
        }
    }
    out
}
