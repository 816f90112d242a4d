//! The incremental indexing engine (`indexer.md` §11): one project's facts in memory, its
//! mubase open, and one code path for every kind of update.
//!
//! * [`Engine::reconcile`] compares the whole tree with what is stored (`mu-daemon index`, the
//!   daemon's start-up reconciliation) and falls back to a full build when the database needs
//!   one or `force` asks for it.
//! * [`Engine::apply`] takes a batch of paths reported by a file watcher and classifies each as
//!   created / deleted / touched / modified / config change / rescan (§11.1).
//!
//! Both re-parse only what changed, re-resolve the whole project from the facts in memory
//! (resolution is a pure function of all facts, so the result equals a full build), diff the new
//! graph against the digests of the stored rows and write exactly the rows that differ in one
//! transaction (`mubase.md` §9.2). Each returns what changed as a [`ChangeSummary`]; a batch
//! that changes nothing but `file_hashes` returns an empty one (early cut-off).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use super::cache::{self, CacheFile};
use super::facts::{FileFacts, Language};
use super::lang::{self, Grammar};
use super::model::{EdgeType, NodeType};
use super::resolve::{self, ProjectConfig, ResolvedGraph, SourceFile};
use super::rows::{self, ChangeSummary, StoredRows};
use super::scan::{self, Candidate, SkipReason, Skipped};
use super::{content_hash, IndexError, IndexSummary, Mode, Phase, Progress};
use crate::store::schema::INDEX_FORMAT;
use crate::store::{
    Delta, FileHashRow, IndexStats, Store, StoreError, CONFIG_HASH_KEY, GENERATION_KEY,
};

/// Line count and parse figures of a file: known from its facts or from the cache header.
#[derive(Debug, Clone, Copy)]
struct FileInfo {
    total_lines: u32,
    parse_errors: u32,
    parse_failed: bool,
}

impl FileInfo {
    fn of(facts: &FileFacts, total_lines: u32) -> FileInfo {
        FileInfo {
            total_lines,
            parse_errors: facts.parse_errors,
            parse_failed: facts.parse_failed,
        }
    }
}

/// One indexed file.
#[derive(Debug, Clone)]
struct FileEntry {
    /// Its `file_hashes` row as stored (or about to be).
    hash: FileHashRow,
    grammar: Option<Grammar>,
    language: Language,
    /// `None` until known (facts parsed or a cache entry with the same content hash).
    info: Option<FileInfo>,
    /// `None` until loaded from the cache or parsed.
    facts: Option<Arc<FileFacts>>,
}

/// What a whole-tree scan established and later batches update: the skip list and the
/// resolution config files.
#[derive(Debug, Clone, Default)]
struct Baseline {
    skipped: BTreeMap<String, Skipped>,
    config: ProjectConfig,
}

/// What one file looks like now.
enum Observed {
    /// Size and mtime equal to the stored row: not read.
    Unchanged,
    /// Read; same content hash.
    Touched(FileHashRow),
    /// Read and parsed.
    Parsed {
        hash: FileHashRow,
        facts: Arc<FileFacts>,
        total_lines: u32,
    },
    Skipped(Skipped),
    Unreadable(String),
}

/// Files a batch changed, by kind.
#[derive(Debug, Default)]
struct Batch {
    created: Vec<String>,
    modified: Vec<String>,
    deleted: Vec<String>,
    touched: Vec<String>,
    warnings: Vec<String>,
}

impl Batch {
    fn content_changed(&self) -> bool {
        !(self.created.is_empty() && self.modified.is_empty() && self.deleted.is_empty())
    }
}

/// The indexing engine of one project. See the module documentation.
pub struct Engine {
    root: PathBuf,
    cache_dir: PathBuf,
    store: Store,
    pool: rayon::ThreadPool,
    /// Indexed files by path (sorted: resolution input order).
    files: BTreeMap<String, FileEntry>,
    /// `None` until a whole-tree scan ran in this engine.
    baseline: Option<Baseline>,
    /// `metadata.index_format` is this build's: incremental updates are possible.
    format_ok: bool,
    /// `mu_daemon_state.index_generation` and `resolve_config_hash` as stored.
    generation: Option<String>,
    config_hash: Option<String>,
    /// Digests of the stored rows (valid when their generation is `generation`).
    rows: Option<StoredRows>,
    /// The facts cache, header read, until its facts are loaded.
    cache: Option<CacheFile>,
    /// Facts or rows changed since the cache was written.
    cache_dirty: bool,
    /// Per-file resolution results of the last resolve in this process, valid for the stored
    /// generation it names: what a narrowed update (§11.3) needs of the files it does not
    /// re-resolve (externals, unresolved imports and row counts).
    resolved: Option<Resolved>,
}

/// Per-file results of the last resolution, for the stored rows of `generation`.
struct Resolved {
    generation: String,
    per_file: HashMap<String, resolve::FileResolved>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("root", &self.root)
            .field("files", &self.files.len())
            .finish()
    }
}

/// Parser threads: one per CPU, at most 8 (`indexer.md` §1), unless set.
fn thread_count(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    } else {
        threads
    }
}

impl Engine {
    /// Take over an open store. Reads `file_hashes` and the header of the facts cache; facts
    /// and stored-row digests are loaded when an update first needs them. `threads` = 0: one
    /// parser thread per CPU, at most 8.
    pub fn open(
        root: &Path,
        cache_dir: &Path,
        store: Store,
        threads: usize,
    ) -> Result<Engine, IndexError> {
        if store.is_read_only() {
            return Err(IndexError::ReadOnly(store.path().to_path_buf()));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(thread_count(threads))
            .build()
            .map_err(|e| IndexError::Pool(e.to_string()))?;
        let format_ok = store.meta("index_format")?.as_deref() == Some(&INDEX_FORMAT.to_string());
        let generation = store.meta(GENERATION_KEY)?;
        let config_hash = store.meta(CONFIG_HASH_KEY)?;
        let cache = if format_ok {
            cache::open(cache_dir)
        } else {
            None
        };
        let header: HashMap<&str, &cache::EntryMeta> = cache
            .as_ref()
            .map(|c| c.entries().iter().map(|e| (e.path.as_str(), e)).collect())
            .unwrap_or_default();
        let mut files = BTreeMap::new();
        for (path, hash) in store.file_hashes()? {
            let Some(mut entry) = new_entry(&path, &hash) else {
                continue;
            };
            entry.info = header
                .get(path.as_str())
                .filter(|e| e.content_hash == hash.content_hash && e.language == entry.language)
                .map(|e| FileInfo {
                    total_lines: e.total_lines,
                    parse_errors: e.parse_errors,
                    parse_failed: e.parse_failed,
                });
            files.insert(path, entry);
        }
        drop(header);
        Ok(Engine {
            root: root.to_path_buf(),
            cache_dir: cache_dir.to_path_buf(),
            store,
            pool,
            files,
            baseline: None,
            format_ok,
            generation,
            config_hash,
            rows: None,
            cache,
            cache_dirty: false,
            resolved: None,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Save the facts cache (if it changed) and close the store with a checkpoint
    /// (`mubase.md` §1, clean shutdown). Both run at once: the checkpoint is mostly DuckDB
    /// rewriting compressed columns on one core.
    pub fn close(self) -> std::io::Result<()> {
        let rows = self
            .rows
            .as_ref()
            .filter(|r| Some(&r.generation) == self.generation.as_ref());
        let (store, files, pool, dir) = (&self.store, &self.files, &self.pool, &self.cache_dir);
        let dirty = self.cache_dirty;
        let (saved, checkpointed) = std::thread::scope(|s| {
            let saver = s.spawn(|| {
                if dirty {
                    save_files(dir, files, rows, pool)
                } else {
                    Ok(())
                }
            });
            let checkpointed = store.checkpoint();
            (saver.join(), checkpointed)
        });
        saved.unwrap_or_else(|_| Err(std::io::Error::other("the cache writer panicked")))?;
        checkpointed.map_err(std::io::Error::other)
    }

    /// Compare the whole tree with the database and update it (`mu-daemon index`, start-up
    /// reconciliation): a full build when `force` is set or the database needs one, otherwise
    /// incremental. A full build writes the facts cache as well; otherwise see
    /// [`Engine::save_cache`] and [`Engine::close`].
    pub fn reconcile(
        &mut self,
        force: bool,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<IndexSummary, IndexError> {
        self.update(None, force, progress)
    }

    /// Apply one batch of changed paths (absolute, or relative to the root; files or
    /// directories; existing or not). Paths outside the root are ignored. An ignore file or
    /// `.murc.toml` among them makes the whole tree reconciled (rescan). The facts cache is not
    /// saved; see [`Engine::save_cache`].
    pub fn apply<P: AsRef<Path>>(&mut self, paths: &[P]) -> Result<ChangeSummary, IndexError> {
        Ok(self.apply_with_summary(paths)?.changes)
    }

    /// [`Engine::apply`], returning the run's figures as well.
    pub fn apply_with_summary<P: AsRef<Path>>(
        &mut self,
        paths: &[P],
    ) -> Result<IndexSummary, IndexError> {
        let mut scope = Vec::new();
        let mut rescan = false;
        for p in paths {
            let Some(rel) = self.relative(p.as_ref()) else {
                continue;
            };
            if rel == ".mu" || rel.starts_with(".mu/") {
                continue;
            }
            let name = rel.rsplit('/').next().unwrap_or(&rel);
            if rel.is_empty()
                || matches!(name, ".gitignore" | ".ignore" | ".murc.toml")
                || rel == ".git/info/exclude"
            {
                rescan = true;
            }
            scope.push(rel);
        }
        scope.sort();
        scope.dedup();
        let noop = |_: &Progress| {};
        if rescan {
            self.update(None, false, &noop)
        } else {
            self.update(Some(scope), false, &noop)
        }
    }

    /// `p` relative to the root, `/`-separated; `None` outside the root or not UTF-8.
    fn relative(&self, p: &Path) -> Option<String> {
        let rel = if p.is_absolute() {
            p.strip_prefix(&self.root).ok()?
        } else {
            p
        };
        let mut parts = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_str()?),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(parts.join("/"))
    }

    /// Write the facts cache if anything in it changed since it was last written.
    pub fn save_cache(&mut self) -> std::io::Result<()> {
        if !self.cache_dirty {
            return Ok(());
        }
        let rows = self
            .rows
            .as_ref()
            .filter(|r| Some(&r.generation) == self.generation.as_ref());
        save_files(&self.cache_dir, &self.files, rows, &self.pool)?;
        self.cache_dirty = false;
        Ok(())
    }

    /// The one update path. `scope`: `None` = the whole tree, else the paths of a batch. On an
    /// error the in-memory state may be ahead of the database (files re-read, rows not
    /// written): it is reloaded from the database, and the next update reconciles the whole
    /// tree.
    fn update(
        &mut self,
        scope: Option<Vec<String>>,
        force: bool,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<IndexSummary, IndexError> {
        let result = self.update_inner(scope, force, progress);
        if result.is_err() {
            self.reload();
        }
        result
    }

    /// Forget what the database may not reflect: file rows come from `file_hashes` again
    /// (keeping facts whose content hash still matches), stored rows and the baseline are
    /// dropped.
    fn reload(&mut self) {
        let stored = self.store.file_hashes().unwrap_or_default();
        let mut old = std::mem::take(&mut self.files);
        for (path, hash) in stored {
            let Some(mut e) = old.remove(&path).or_else(|| new_entry(&path, &hash)) else {
                continue;
            };
            if e.hash.content_hash != hash.content_hash {
                e.facts = None;
                e.info = None;
            }
            e.hash = hash;
            self.files.insert(path, e);
        }
        self.baseline = None;
        self.rows = None;
        self.resolved = None;
        self.generation = self.store.meta(GENERATION_KEY).ok().flatten();
        self.config_hash = self.store.meta(CONFIG_HASH_KEY).ok().flatten();
        self.format_ok = self.store.meta("index_format").ok().flatten().as_deref()
            == Some(&INDEX_FORMAT.to_string());
        self.cache_dirty = true;
    }

    fn update_inner(
        &mut self,
        scope: Option<Vec<String>>,
        force: bool,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<IndexSummary, IndexError> {
        let t0 = Instant::now();
        let elapsed = || t0.elapsed().as_millis() as u64;
        let full = force || !self.format_ok;
        // A batch needs the skip list and config of a whole-tree scan to start from.
        let scope = scope.filter(|_| !full && self.baseline.is_some());
        if scope.as_ref().is_some_and(Vec::is_empty) {
            return Ok(self.unchanged_summary(Mode::Incremental, Batch::default(), elapsed())?);
        }
        progress(&Progress {
            phase: Phase::Scan,
            files_total: 0,
            files_done: 0,
            elapsed_ms: 0,
        });
        let scanned = match &scope {
            None => scan::scan(&self.root),
            Some(s) => scan::scan_paths(&self.root, s),
        };
        let mut phase_ms = BTreeMap::new();
        phase_ms.insert("scan", elapsed());

        // 1. Observe every candidate in scope (read, hash and parse what changed), in parallel.
        let total = scanned.files.len();
        let observed = {
            let files = &self.files;
            let done = AtomicUsize::new(0);
            let last_report = Mutex::new(Instant::now());
            self.pool.install(|| {
                scanned
                    .files
                    .par_iter()
                    .map(|c| {
                        let stored = files.get(&c.path).map(|e| &e.hash);
                        let out = observe(c, stored, full);
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
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
                    .collect::<Vec<_>>()
            })
        };
        let in_scope = |p: &str| scope.as_ref().is_none_or(|s| scan::in_scope(s, p));
        let mut batch = Batch {
            warnings: scanned.warnings,
            ..Batch::default()
        };
        let mut skipped: BTreeMap<String, Skipped> = match (&scope, &self.baseline) {
            (Some(_), Some(b)) => b
                .skipped
                .iter()
                .filter(|(p, _)| !in_scope(p))
                .map(|(p, s)| (p.clone(), s.clone()))
                .collect(),
            _ => BTreeMap::new(),
        };
        for s in scanned.skipped {
            skipped.insert(s.path.clone(), s);
        }
        let seen: HashSet<&str> = scanned.files.iter().map(|c| c.path.as_str()).collect();
        let gone: Vec<String> = self
            .files
            .keys()
            .filter(|p| in_scope(p) && !seen.contains(p.as_str()))
            .cloned()
            .collect();
        // Facts before this batch of the files it may change: the old export keys (§11.3).
        let prior: HashMap<String, Arc<FileFacts>> = match &scope {
            Some(_) if !full => self
                .files
                .iter()
                .filter(|(p, _)| in_scope(p))
                .filter_map(|(p, e)| Some((p.clone(), Arc::clone(e.facts.as_ref()?))))
                .collect(),
            _ => HashMap::new(),
        };
        for (c, o) in scanned.files.iter().zip(observed) {
            self.absorb(c, o, full, &mut batch, &mut skipped);
        }
        for p in gone {
            self.files.remove(&p);
            batch.deleted.push(p);
        }

        // 2. Resolution inputs besides the facts: config files and the skip list.
        let config = match (&scope, &self.baseline) {
            (Some(_), Some(b)) => {
                let mut c = b.config.clone();
                c.files.retain(|p, _| !in_scope(p));
                c.files
                    .extend(read_config(&self.root, &scanned.config_files).files);
                c
            }
            _ => read_config(&self.root, &scanned.config_files),
        };
        let config_hash = config_digest(&config);
        let config_same = self.config_hash.as_deref() == Some(config_hash.as_str());

        // 3. Facts of every file are needed to resolve, and to refill an incomplete cache
        //    (reading facts may find more files changed, gone or skipped).
        let quiet = |b: &Batch| !full && !b.content_changed() && config_same;
        let mut skipped_same = self.skipped_same(&skipped)?;
        if !(quiet(&batch) && skipped_same) || self.files.values().any(|e| e.info.is_none()) {
            self.ensure_facts(full, &mut batch, &mut skipped);
            skipped_same = self.skipped_same(&skipped)?;
        }
        phase_ms.insert("parse", elapsed() - phase_ms["scan"]);
        let mode = if full { Mode::Full } else { Mode::Incremental };
        self.baseline = Some(Baseline { skipped, config });

        if quiet(&batch) && skipped_same {
            // Nothing but file_hashes can change (mubase.md §9.2 no-op).
            let upserts: Vec<&FileHashRow> = batch
                .touched
                .iter()
                .filter_map(|p| self.files.get(p).map(|e| &e.hash))
                .collect();
            if !upserts.is_empty() {
                self.store.write_delta(&Delta {
                    upsert_hashes: upserts,
                    ..Delta::default()
                })?;
            }
            let mut summary = self.unchanged_summary(mode, batch, elapsed())?;
            summary.phase_ms.extend(phase_ms);
            progress(&Progress {
                phase: Phase::Done,
                files_total: total,
                files_done: total,
                elapsed_ms: summary.duration_ms,
            });
            return Ok(summary);
        }

        // 4. Resolve the whole project from the facts in memory.
        progress(&Progress {
            phase: Phase::Resolve,
            files_total: total,
            files_done: total,
            elapsed_ms: elapsed(),
        });
        let t_resolve = Instant::now();
        // `ensure_facts` ran: every file has facts (or was dropped from the index).
        debug_assert!(self.files.values().all(|e| e.facts.is_some()));
        let sources: Vec<SourceFile> = self
            .files
            .iter()
            .filter_map(|(path, e)| {
                Some(SourceFile {
                    path: path.clone(),
                    language: e.language,
                    total_lines: e.info?.total_lines,
                    facts: Arc::clone(e.facts.as_ref()?),
                })
            })
            .collect();
        let no_config = ProjectConfig::default();
        let config = self.baseline.as_ref().map_or(&no_config, |b| &b.config);
        // Narrowed to the affected files (§11.3) when this process resolved the stored rows
        // and only file contents changed: same config, same skip list, the old facts known.
        let changed: Vec<&String> = batch
            .created
            .iter()
            .chain(&batch.modified)
            .chain(&batch.deleted)
            .collect();
        let narrow = !full
            && config_same
            && skipped_same
            && changed
                .iter()
                .all(|p| prior.contains_key(*p) || batch.created.iter().any(|c| c == *p))
            && self
                .resolved
                .as_ref()
                .is_some_and(|r| Some(&r.generation) == self.generation.as_ref());
        let affected: Option<Vec<bool>> = narrow.then(|| {
            let changes: Vec<resolve::Change<'_>> = changed
                .iter()
                .map(|p| resolve::Change {
                    path: p.as_str(),
                    old: prior.get(*p).map(|f| &**f),
                    new: self.files.get(*p).and_then(|e| e.facts.as_deref()),
                })
                .collect();
            self.pool.install(|| resolve::affected(&sources, &changes))
        });
        let mut graph = self
            .pool
            .install(|| resolve::resolve_only(&sources, config, affected.as_deref()));
        // Per-file results: replace the re-resolved files', drop the deleted ones'.
        let mut per_file = match (&affected, self.resolved.take()) {
            (Some(_), Some(r)) => r.per_file,
            _ => HashMap::new(),
        };
        for p in &batch.deleted {
            per_file.remove(p);
        }
        per_file.extend(std::mem::take(&mut graph.file_externals));
        let reresolved: HashSet<Arc<str>> = match &affected {
            Some(a) => sources
                .iter()
                .zip(a)
                .filter(|(_, &hit)| hit)
                .map(|(f, _)| Arc::from(f.path.as_str()))
                .chain(batch.deleted.iter().map(|p| Arc::from(p.as_str())))
                .collect(),
            None => HashSet::new(),
        };
        if affected.is_some() {
            // Externals over every file, then the narrowed graph's rows in id order.
            let mut refs: BTreeMap<String, std::collections::BTreeSet<&'static str>> =
                BTreeMap::new();
            for (path, fr) in &per_file {
                let Some(lang) = self.files.get(path).map(|e| e.language.as_str()) else {
                    continue;
                };
                for pkg in &fr.externals {
                    refs.entry(pkg.clone()).or_default().insert(lang);
                }
            }
            graph.nodes.retain(|n| n.node_type != NodeType::External);
            graph.nodes.extend(resolve::external_rows(&refs));
            graph.nodes.sort_by(|a, b| a.id.cmp(&b.id));
        }
        let unresolved_imports: usize = per_file.values().map(|f| f.unresolved_imports).sum();
        let narrowed_counts = affected.is_some().then(|| {
            let mut c = GraphCounts {
                nodes: [0; 4],
                edges: [0; 5],
            };
            for f in per_file.values() {
                for (a, b) in c.nodes.iter_mut().zip(f.node_counts) {
                    *a += b;
                }
                for (a, b) in c.edges.iter_mut().zip(f.edge_counts) {
                    *a += b;
                }
            }
            c.nodes[3] = graph
                .nodes
                .iter()
                .filter(|n| n.node_type == NodeType::External)
                .count() as u64;
            c
        });
        drop(sources);
        if full {
            // Resolution's working set is gone; DuckDB's is yet to come.
            crate::release_memory();
        }
        phase_ms.insert("resolve", t_resolve.elapsed().as_millis() as u64);

        // 5. Diff against the stored rows and write what differs, in one transaction.
        progress(&Progress {
            phase: Phase::Write,
            files_total: total,
            files_done: total,
            elapsed_ms: elapsed(),
        });
        let t_diff = Instant::now();
        let (nd, ed) = self
            .pool
            .install(|| rows::digests(&graph.nodes, &graph.edges));
        let counts = narrowed_counts.unwrap_or(GraphCounts {
            nodes: [0, 1, 2, 3].map(|i| nd.type_counts[i]),
            edges: ed.type_counts,
        });
        // A full build rewrites everything: it needs neither the stored rows nor the lists.
        let old = if full {
            StoredRows::default()
        } else {
            self.stored_rows()?
        };
        let mut diff = self.pool.install(|| {
            let keep = |owner: Option<&Arc<str>>| {
                affected.is_some() && owner.is_some_and(|o| !reresolved.contains(o))
            };
            rows::diff(&old, &graph.nodes, &graph.edges, nd, ed, !full, &keep)
        });
        phase_ms.insert("diff", t_diff.elapsed().as_millis() as u64);
        let t_write = Instant::now();
        let files_changed = if full {
            self.files.len()
        } else {
            batch.created.len() + batch.modified.len()
        };
        let mut summary = self.summary_base(mode, &batch, files_changed);
        fill_counts(&mut summary, &counts);
        summary.unresolved_imports = unresolved_imports;
        let built_at = if full {
            None
        } else {
            self.store.meta("built_at")?
        };
        let skipped_list: Vec<Skipped> = self
            .baseline
            .as_ref()
            .map(|b| b.skipped.values().cloned().collect())
            .unwrap_or_default();
        let stats = self.make_stats(
            unresolved_imports,
            &counts,
            &summary,
            &skipped_list,
            built_at,
            elapsed(),
        );
        if full {
            let generation = crate::store::new_generation();
            let hashes: Vec<FileHashRow> = self.files.values().map(|e| e.hash.clone()).collect();
            self.rows = Some(diff.rows_after(generation.clone()));
            self.generation = None;
            let ResolvedGraph { nodes, edges, .. } = graph;
            crate::release_memory();
            // The cache is written while DuckDB commits and checkpoints, which keeps one core
            // busy for most of a second on a large project.
            let (store, files, pool, dir) =
                (&mut self.store, &self.files, &self.pool, &self.cache_dir);
            let rows = self.rows.as_ref();
            let (written, saved) = std::thread::scope(|s| {
                let saver = s.spawn(|| save_files(dir, files, rows, pool));
                let written = store.write_full(
                    nodes,
                    edges,
                    &hashes,
                    &stats,
                    INDEX_FORMAT,
                    &[(CONFIG_HASH_KEY, &config_hash)],
                    &generation,
                );
                (written, saver.join())
            });
            written?;
            self.resolved = Some(Resolved {
                generation: generation.clone(),
                per_file,
            });
            self.generation = Some(generation);
            self.cache_dirty = !matches!(saved, Ok(Ok(())));
            if let Ok(Err(e)) = saved {
                batch
                    .warnings
                    .push(format!("could not write the facts cache: {e}"));
            }
            summary.changes = ChangeSummary {
                rebuilt: true,
                ..ChangeSummary::default()
            };
            phase_ms.insert("write", t_write.elapsed().as_millis() as u64);
            std::thread::spawn(move || drop(old));
        } else {
            // A file can be touched first and found modified when its facts are read.
            let paths: std::collections::BTreeSet<&String> = batch
                .created
                .iter()
                .chain(&batch.modified)
                .chain(&batch.touched)
                .collect();
            let upserts: Vec<&FileHashRow> = paths
                .into_iter()
                .filter_map(|p| self.files.get(p).map(|e| &e.hash))
                .collect();
            let delta = Delta {
                delete_nodes: &diff.delete_nodes,
                delete_edges: &diff.delete_edges,
                insert_nodes: diff.insert_nodes.iter().map(|&i| &graph.nodes[i]).collect(),
                insert_edges: diff.insert_edges.iter().map(|&i| &graph.edges[i]).collect(),
                delete_hashes: batch.deleted.iter().map(String::as_str).collect(),
                upsert_hashes: upserts,
                stats: (!diff.changes.is_empty() || !skipped_same).then_some(&stats),
                meta: if config_same {
                    Vec::new()
                } else {
                    vec![(CONFIG_HASH_KEY, config_hash.as_str())]
                },
            };
            let generation = self.store.write_delta(&delta)?;
            phase_ms.insert("write", t_write.elapsed().as_millis() as u64);
            summary.changes = std::mem::take(&mut diff.changes);
            let old = match generation {
                Some(g) => {
                    self.resolved = Some(Resolved {
                        generation: g.clone(),
                        per_file,
                    });
                    self.generation = Some(g.clone());
                    self.rows = Some(diff.rows_after(g));
                    self.cache_dirty = true;
                    Some(old)
                }
                // Nothing changed in the graph: the stored rows are what they were.
                None => {
                    self.resolved = self.generation.clone().map(|generation| Resolved {
                        generation,
                        per_file,
                    });
                    self.rows = Some(old);
                    None
                }
            };
            if batch.content_changed() {
                self.cache_dirty = true;
            }
            // Freeing the graph of a large project takes tens of milliseconds: not on this
            // path.
            std::thread::spawn(move || drop((graph, old)));
        }
        self.format_ok = true;
        self.config_hash = Some(config_hash);
        summary.warnings = std::mem::take(&mut batch.warnings);
        summary.phase_ms.extend(phase_ms);
        summary.duration_ms = elapsed();
        progress(&Progress {
            phase: Phase::Done,
            files_total: total,
            files_done: total,
            elapsed_ms: summary.duration_ms,
        });
        Ok(summary)
    }

    /// Whether the skip list equals the one the stored `codebase_stats.index` was written with.
    fn skipped_same(&self, skipped: &BTreeMap<String, Skipped>) -> Result<bool, StoreError> {
        if let Some(b) = &self.baseline {
            return Ok(b.skipped == *skipped);
        }
        let list: Vec<Skipped> = skipped.values().cloned().collect();
        Ok(stored_index(&self.store)?.is_some_and(|v| {
            v.get("skipped") == Some(&skipped_counts_json(&skip_counts(&list)))
                && v.get("skipped_files") == Some(&skipped_files_json(&list))
        }))
    }

    /// Record one observation in the file table.
    fn absorb(
        &mut self,
        c: &Candidate,
        o: Observed,
        full: bool,
        batch: &mut Batch,
        skipped: &mut BTreeMap<String, Skipped>,
    ) {
        match o {
            Observed::Unchanged => {}
            Observed::Touched(h) => {
                if let Some(e) = self.files.get_mut(&c.path) {
                    e.hash = h;
                    batch.touched.push(c.path.clone());
                }
            }
            Observed::Parsed {
                hash,
                facts,
                total_lines,
            } => {
                let old = self.files.get(&c.path);
                let same = old.is_some_and(|e| e.hash.content_hash == hash.content_hash);
                let meta_same = old.is_some_and(|e| e.hash == hash);
                match old {
                    None => batch.created.push(c.path.clone()),
                    Some(_) if !same || full => batch.modified.push(c.path.clone()),
                    Some(_) if !meta_same => batch.touched.push(c.path.clone()),
                    Some(_) => {}
                }
                let info = Some(FileInfo::of(&facts, total_lines));
                self.files.insert(
                    c.path.clone(),
                    FileEntry {
                        hash,
                        grammar: Some(c.grammar),
                        language: c.language,
                        info,
                        facts: Some(facts),
                    },
                );
            }
            Observed::Skipped(s) => {
                if self.files.remove(&c.path).is_some() {
                    batch.deleted.push(c.path.clone());
                }
                skipped.insert(s.path.clone(), s);
            }
            Observed::Unreadable(w) => {
                batch.warnings.push(w);
                if self.files.remove(&c.path).is_some() {
                    batch.deleted.push(c.path.clone());
                }
            }
        }
    }

    /// Give every file its facts: from the facts cache when its entry has the same content
    /// hash, else by reading and parsing the file (which may find it changed or gone).
    fn ensure_facts(
        &mut self,
        full: bool,
        batch: &mut Batch,
        skipped: &mut BTreeMap<String, Skipped>,
    ) {
        let missing = |files: &BTreeMap<String, FileEntry>| -> Vec<String> {
            files
                .iter()
                .filter(|(_, e)| e.facts.is_none())
                .map(|(p, _)| p.clone())
                .collect()
        };
        let wanted = missing(&self.files);
        if wanted.is_empty() {
            return;
        }
        if let Some(mut c) = self.cache.take() {
            let index: HashMap<&str, usize> = c
                .entries()
                .iter()
                .enumerate()
                .map(|(i, e)| (e.path.as_str(), i))
                .collect();
            let hits: Vec<(String, usize)> = wanted
                .iter()
                .filter_map(|p| {
                    let i = *index.get(p.as_str())?;
                    let e = &c.entries()[i];
                    let f = self.files.get(p)?;
                    (e.content_hash == f.hash.content_hash && e.language == f.language)
                        .then(|| (p.clone(), i))
                })
                .collect();
            drop(index);
            if !hits.is_empty() {
                if let Some(body) = c.body() {
                    let idx: Vec<usize> = hits.iter().map(|h| h.1).collect();
                    let decoded = self.pool.install(|| c.facts(&body, &idx));
                    for ((p, i), f) in hits.into_iter().zip(decoded) {
                        let (Some(f), Some(e)) = (f, self.files.get_mut(&p)) else {
                            continue;
                        };
                        let lines = c.entries()[i].total_lines;
                        e.info = Some(FileInfo::of(&f, lines));
                        e.facts = Some(Arc::new(f));
                    }
                    if self.rows.is_none() {
                        self.rows = c
                            .rows(&body)
                            .filter(|r| Some(&r.generation) == self.generation.as_ref());
                    }
                }
            }
        }
        let wanted = missing(&self.files);
        if wanted.is_empty() {
            return;
        }
        // Not in the cache: read and parse them.
        self.cache_dirty = true;
        let candidates: Vec<Candidate> = wanted
            .iter()
            .map(|p| {
                let e = &self.files[p];
                scan::candidate(&self.root, p, e.grammar, e.language)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect();
        let found: HashSet<&str> = candidates.iter().map(|c| c.path.as_str()).collect();
        let vanished: Vec<String> = wanted
            .iter()
            .filter(|p| !found.contains(p.as_str()))
            .cloned()
            .collect();
        let observed: Vec<Observed> = self
            .pool
            .install(|| candidates.par_iter().map(observe_parse).collect());
        for (c, o) in candidates.iter().zip(observed) {
            self.absorb(c, o, full, batch, skipped);
        }
        for p in vanished {
            if self.files.remove(&p).is_some() {
                batch.deleted.push(p);
            }
        }
    }

    /// The stored rows: from memory, else the cache, else read from the database.
    fn stored_rows(&mut self) -> Result<StoredRows, StoreError> {
        if let Some(r) = self.rows.take() {
            if Some(&r.generation) == self.generation.as_ref() {
                return Ok(r);
            }
        }
        if let Some(mut c) = self.cache.take() {
            if c.rows_generation() == self.generation.as_deref() {
                if let Some(r) = c.body().and_then(|b| c.rows(&b)) {
                    return Ok(r);
                }
            }
        }
        let nodes = self.store.all_nodes()?;
        let edges = self.store.all_edges()?;
        Ok(self.pool.install(|| {
            rows::stored_rows(&nodes, &edges, self.generation.clone().unwrap_or_default())
        }))
    }

    fn summary_base(&self, mode: Mode, batch: &Batch, files_changed: usize) -> IndexSummary {
        let skipped: Vec<Skipped> = self
            .baseline
            .as_ref()
            .map(|b| b.skipped.values().cloned().collect())
            .unwrap_or_default();
        let infos = self.files.values().filter_map(|e| e.info);
        let (mut lines, mut failed, mut with_errors) = (0u64, 0, 0);
        for i in infos {
            lines += u64::from(i.total_lines);
            failed += usize::from(i.parse_failed);
            with_errors += usize::from(i.parse_errors > 0);
        }
        IndexSummary {
            mode,
            files_scanned: self.files.len() + skipped.len(),
            files_indexed: self.files.len(),
            files_changed,
            files_removed: batch.deleted.len(),
            files_failed: failed,
            files_with_parse_errors: with_errors,
            skipped: skip_counts(&skipped),
            lines,
            node_count: 0,
            edge_count: 0,
            nodes_by_type: BTreeMap::new(),
            edges_by_type: BTreeMap::new(),
            unresolved_imports: 0,
            duration_ms: 0,
            phase_ms: BTreeMap::new(),
            warnings: Vec::new(),
            changes: ChangeSummary::default(),
        }
    }

    /// Figures of a run that left the graph as it was.
    fn unchanged_summary(
        &self,
        mode: Mode,
        mut batch: Batch,
        duration_ms: u64,
    ) -> Result<IndexSummary, StoreError> {
        let mut summary = self.summary_base(mode, &batch, 0);
        let counts = self.store.counts()?;
        fill_counts_from_store(&mut summary, &counts);
        summary.unresolved_imports = stored_index(&self.store)?
            .and_then(|v| v.get("unresolved_imports").and_then(|n| n.as_u64()))
            .unwrap_or(0) as usize;
        summary.warnings = std::mem::take(&mut batch.warnings);
        summary.duration_ms = duration_ms;
        Ok(summary)
    }

    /// `codebase_stats` values (`mubase.md` §9.4).
    fn make_stats(
        &self,
        unresolved_imports: usize,
        counts: &GraphCounts,
        summary: &IndexSummary,
        skipped: &[Skipped],
        built_at: Option<String>,
        duration_ms: u64,
    ) -> IndexStats {
        let mut langs: BTreeMap<&str, u64> = BTreeMap::new();
        for e in self.files.values() {
            *langs.entry(e.language.display_name()).or_insert(0) += 1;
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
        // Highest count; ties alphabetical (BTreeMap iterates alphabetically, max_by keeps the
        // last maximum, so compare with reversed names).
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

        let now = crate::store::now_iso();
        let index = serde_json::json!({
            "files_indexed": self.files.len(),
            "files_with_parse_errors": summary.files_with_parse_errors,
            "files_parse_failed": summary.files_failed,
            "skipped": skipped_counts_json(&summary.skipped),
            "skipped_files": skipped_files_json(skipped),
            "unresolved_imports": unresolved_imports,
            "duration_ms": duration_ms,
            "last_full_build_at": built_at.unwrap_or_else(|| now.clone()),
            "last_update_at": now,
        });
        IndexStats {
            languages,
            graph: counts.json(),
            index: index.to_string(),
        }
    }
}

/// A file known from its `file_hashes` row only; `None` when its language is unknown.
fn new_entry(path: &str, hash: &FileHashRow) -> Option<FileEntry> {
    let grammar = Grammar::for_path(path);
    let language = grammar
        .map(|g| g.1)
        .or_else(|| Language::parse(&hash.language))?;
    Some(FileEntry {
        hash: hash.clone(),
        grammar: grammar.map(|g| g.0),
        language,
        info: None,
        facts: None,
    })
}

/// The facts of `files` (those that have them) and the stored rows, to the cache in `dir`.
fn save_files(
    dir: &Path,
    files: &BTreeMap<String, FileEntry>,
    rows: Option<&StoredRows>,
    pool: &rayon::ThreadPool,
) -> std::io::Result<()> {
    let entries: Vec<cache::EntryIn<'_>> = files
        .iter()
        .filter_map(|(path, e)| {
            Some(cache::EntryIn {
                path,
                content_hash: &e.hash.content_hash,
                language: e.language,
                total_lines: e.info?.total_lines,
                facts: e.facts.as_deref()?,
            })
        })
        .collect();
    pool.install(|| cache::save(dir, &entries, rows))
}

/// Read, hash and, when its content changed (or `full`), parse one file.
fn observe(c: &Candidate, stored: Option<&FileHashRow>, full: bool) -> Observed {
    if !full {
        if let Some(s) = stored {
            if s.size == c.size as i64 && s.mtime_ns == c.mtime_ns {
                return Observed::Unchanged;
            }
        }
    }
    let bytes = match std::fs::read(&c.abs) {
        Ok(b) => b,
        Err(e) => return Observed::Unreadable(format!("{}: {e}", c.path)),
    };
    let hash = hash_row(c, &bytes);
    if !full && stored.is_some_and(|s| s.content_hash == hash.content_hash) {
        return Observed::Touched(hash);
    }
    parse(c, bytes, hash)
}

/// Read and parse one file whatever its stored hash says.
fn observe_parse(c: &Candidate) -> Observed {
    let bytes = match std::fs::read(&c.abs) {
        Ok(b) => b,
        Err(e) => return Observed::Unreadable(format!("{}: {e}", c.path)),
    };
    let hash = hash_row(c, &bytes);
    parse(c, bytes, hash)
}

fn hash_row(c: &Candidate, bytes: &[u8]) -> FileHashRow {
    FileHashRow {
        file_path: c.path.clone(),
        content_hash: content_hash(bytes),
        size: bytes.len() as i64,
        mtime_ns: c.mtime_ns,
        language: c.language.as_str().to_string(),
    }
}

fn parse(c: &Candidate, bytes: Vec<u8>, hash: FileHashRow) -> Observed {
    let size = bytes.len() as u64;
    if size > scan::MAX_FILE_SIZE {
        return Observed::Skipped(Skipped {
            path: c.path.clone(),
            reason: SkipReason::TooLarge,
            size,
        });
    }
    if scan::is_minified_content(&bytes) {
        return Observed::Skipped(Skipped {
            path: c.path.clone(),
            reason: SkipReason::Minified,
            size,
        });
    }
    let Some(text) = scan::decode(bytes) else {
        return Observed::Skipped(Skipped {
            path: c.path.clone(),
            reason: SkipReason::Undecodable,
            size,
        });
    };
    let facts = lang::parse_and_extract(c.grammar, &text);
    Observed::Parsed {
        hash,
        facts: Arc::new(facts),
        total_lines: scan::line_count(&text),
    }
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

/// Rows per node and edge type, in `NodeType::ALL` / `EdgeType::ALL` order.
struct GraphCounts {
    nodes: [u64; 4],
    edges: [u64; 5],
}

impl GraphCounts {
    /// `codebase_stats.graph` (`mubase.md` §9.4), as [`ResolvedGraph::graph_stats`] writes it,
    /// from one pass over the rows instead of one per type.
    fn json(&self) -> String {
        let nodes: Vec<String> = NodeType::ALL
            .iter()
            .zip(self.nodes)
            .map(|(t, n)| format!("\"{}\":{n}", t.as_str()))
            .collect();
        let edges: Vec<String> = EdgeType::ALL
            .iter()
            .zip(self.edges)
            .map(|(t, n)| format!("\"{}\":{n}", t.as_str()))
            .collect();
        format!(
            "{{\"nodes\":{{{}}},\"edges\":{{{}}}}}",
            nodes.join(","),
            edges.join(",")
        )
    }
}

fn fill_counts(summary: &mut IndexSummary, counts: &GraphCounts) {
    for (t, n) in NodeType::ALL.iter().zip(counts.nodes) {
        summary.nodes_by_type.insert(t.as_str(), n);
    }
    for (t, n) in EdgeType::ALL.iter().zip(counts.edges) {
        summary.edges_by_type.insert(t.as_str(), n);
    }
    summary.node_count = counts.nodes.iter().sum();
    summary.edge_count = counts.edges.iter().sum();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::model::{EdgeRow, NodeRow};

    #[test]
    fn the_engine_can_move_to_a_worker_thread() {
        fn send<T: Send>() {}
        send::<Engine>();
        send::<ChangeSummary>();
    }

    #[test]
    fn graph_counts_json_is_graph_stats() {
        let node = |id: &str, t: NodeType| NodeRow {
            id: id.into(),
            node_type: t,
            name: id.into(),
            qualified_name: None,
            file_path: None,
            line_start: None,
            line_end: None,
            properties: "{}".into(),
            complexity: 0,
        };
        let graph = ResolvedGraph {
            nodes: vec![
                node("a", NodeType::Module),
                node("b", NodeType::Function),
                node("c", NodeType::Function),
                node("d", NodeType::External),
            ],
            edges: vec![EdgeRow {
                id: "e".into(),
                source_id: "a".into(),
                target_id: "b".into(),
                edge_type: EdgeType::Uses,
                properties: "{}".into(),
            }],
            unresolved_imports: 0,
            file_externals: BTreeMap::new(),
        };
        let (nh, eh) = rows::digests(&graph.nodes, &graph.edges);
        let counts = GraphCounts {
            nodes: [0, 1, 2, 3].map(|i| nh.type_counts[i]),
            edges: eh.type_counts,
        };
        assert_eq!(counts.json(), graph.graph_stats());
    }
}
