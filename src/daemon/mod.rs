//! The running daemon's state for one project, independent of HTTP: a writer thread that owns
//! the project's [`Engine`] (and through it the read-write DuckDB connection), and the status
//! snapshot it publishes after every commit.
//!
//! Every database write happens on the writer thread, one job at a time: watcher batches,
//! builds, the start-up reconciliation. Readers never touch the write connection: `/status`
//! reads the last published [`StatusSnapshot`], which the writer swaps after each commit, so a
//! status request never waits for a build and never sees half of one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::graph::Graph;
use crate::index::{Engine, IndexError, IndexSummary, Mode, Progress};
use crate::store::{GraphCounts, Store, StoreError};

/// Query connections kept open per project (more are opened while all are busy).
const IDLE_READERS: usize = 4;

/// What `/status` reports about the database, computed by the writer after each commit.
#[derive(Debug, Clone, Default)]
pub struct StatusSnapshot {
    pub counts: GraphCounts,
    /// `codebase_stats.languages` in MU-Py's shape, or the empty shape.
    pub language_stats: Value,
    pub version: Option<String>,
    pub built_at: Option<String>,
    pub root_path: Option<String>,
    pub schema_version: Option<String>,
    /// Size of the mubase file in KiB.
    pub file_size_kb: f64,
}

impl StatusSnapshot {
    /// Read the snapshot from the store (blocking; a few milliseconds on 100k nodes).
    pub fn read(store: &Store) -> Result<StatusSnapshot, StoreError> {
        // Our own files carry the counts in `codebase_stats.graph`, written in the same
        // transaction as the rows (one row to read instead of counting 100k); files MU wrote are
        // counted.
        let stored = if store.origin() == crate::store::schema::Origin::Native {
            store
                .stat("graph")?
                .and_then(|s| serde_json::from_str::<GraphCounts>(&s).ok())
        } else {
            None
        };
        let counts = match stored {
            Some(c) => c,
            None => store.counts()?,
        };
        let language_stats = store
            .stat("languages")?
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .filter(Value::is_object)
            .unwrap_or_else(|| {
                json!({"languages": {}, "percentages": {}, "primary_language": null, "total_files": 0})
            });
        Ok(StatusSnapshot {
            counts,
            language_stats,
            version: store.meta("version")?,
            built_at: store.meta("built_at")?,
            root_path: store.meta("root_path")?,
            schema_version: store.meta("schema_version")?,
            file_size_kb: std::fs::metadata(store.path())
                .map(|m| m.len() as f64 / 1024.0)
                .unwrap_or(0.0),
        })
    }
}

/// The outcome of a build requested through the API or `mu-daemon index`.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub mode: Mode,
    pub files_scanned: usize,
    pub files_changed: usize,
    pub files_removed: usize,
    pub files_failed: usize,
    pub node_count: u64,
    pub edge_count: u64,
    pub duration_ms: f64,
}

impl From<&IndexSummary> for BuildReport {
    fn from(s: &IndexSummary) -> Self {
        BuildReport {
            mode: s.mode,
            files_scanned: s.files_scanned,
            files_changed: s.files_changed,
            files_removed: s.files_removed,
            files_failed: s.files_failed,
            node_count: s.node_count,
            edge_count: s.edge_count,
            duration_ms: s.duration_ms as f64,
        }
    }
}

/// Why a build could not run.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("A build is already running for {}", .0.display())]
    Busy(PathBuf),
    #[error("The daemon is shutting down")]
    ShuttingDown,
    /// The writer could not open the indexer for this project (the graph is served as it is).
    #[error("The project cannot be indexed by this daemon: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// A reply channel the writer answers on; works from async and blocking callers alike.
pub type Reply<T> = tokio::sync::oneshot::Sender<T>;

enum Job {
    /// Load the first graph snapshot (queued once the daemon reported ready, so start-up does
    /// not wait for it).
    LoadGraph,
    /// Paths reported by the watcher.
    Paths(Vec<PathBuf>),
    /// Reconcile the whole tree (start-up, watcher overflow).
    Reconcile,
    Build {
        force: bool,
        reply: Reply<Result<BuildReport, BuildError>>,
    },
}

/// Progress of the current (or last) indexing run, for `/status.indexing`.
#[derive(Debug, Default)]
pub struct Indexing {
    active: AtomicBool,
    files_done: AtomicUsize,
    files_total: AtomicUsize,
}

impl Indexing {
    pub fn state(&self) -> (&'static str, usize, usize) {
        let state = if self.active.load(Ordering::Acquire) {
            "indexing"
        } else {
            "idle"
        };
        (
            state,
            self.files_done.load(Ordering::Relaxed),
            self.files_total.load(Ordering::Relaxed),
        )
    }

    fn progress(&self, p: &Progress) {
        self.files_total.store(p.files_total, Ordering::Relaxed);
        self.files_done.store(p.files_done, Ordering::Relaxed);
    }
}

/// One project served by this daemon.
pub struct ProjectHandle {
    pub root: PathBuf,
    pub mubase_path: PathBuf,
    watching: AtomicBool,
    snapshot: RwLock<Arc<StatusSnapshot>>,
    /// The graph snapshot; `None` until the writer has loaded it once.
    graph: tokio::sync::watch::Sender<Option<Arc<Graph>>>,
    /// Read connections for queries: `base` clones new ones, `idle` keeps returned ones. Both
    /// are dropped at close so the database instance can shut down.
    readers: Mutex<Readers>,
    /// Query connections currently lent out.
    readers_out: AtomicUsize,
    pub indexing: Indexing,
    building: AtomicBool,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    /// Set when shutdown begins: watcher batches still queued after it are dropped (the next
    /// start-up reconciliation finds those files by their content hashes).
    close_deadline: Mutex<Option<Instant>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A query connection on loan: counted in `readers_out` until the connection is dropped or
/// back in the pool (also when the caller panics).
struct Lent<'a> {
    out: &'a AtomicUsize,
    conn: Option<duckdb::Connection>,
}

impl<'a> Lent<'a> {
    fn new(out: &'a AtomicUsize, conn: duckdb::Connection) -> Lent<'a> {
        out.fetch_add(1, Ordering::AcqRel);
        Lent {
            out,
            conn: Some(conn),
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        // The connection goes first: a count of zero means every lent connection is closed
        // or in the pool.
        self.conn = None;
        self.out.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Default)]
struct Readers {
    base: Option<duckdb::Connection>,
    idle: Vec<duckdb::Connection>,
}

impl std::fmt::Debug for ProjectHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectHandle")
            .field("root", &self.root)
            .finish()
    }
}

/// What the writer thread starts from: an engine over the open store, or only the store when
/// it cannot be written (a database from a newer mu-daemon).
pub enum Writer {
    Engine(Box<Engine>),
    /// An open, writable store whose engine the writer thread opens itself.
    Store(Store),
    ReadOnly(Store),
}

impl Writer {
    fn store(&self) -> &Store {
        match self {
            Writer::Engine(e) => e.store(),
            Writer::Store(s) | Writer::ReadOnly(s) => s,
        }
    }
}

impl ProjectHandle {
    /// Start the writer thread over `writer`; [`ProjectHandle::submit_reconcile`] queues the
    /// start-up reconciliation when the caller wants it.
    pub fn start(root: &Path, writer: Writer) -> Result<Arc<ProjectHandle>, StoreError> {
        let snapshot = StatusSnapshot::read(writer.store())?;
        let base = writer.store().reader()?;
        let (tx, rx) = mpsc::channel();
        let handle = Arc::new(ProjectHandle {
            root: root.to_path_buf(),
            mubase_path: root.join(".mu").join("mubase"),
            watching: AtomicBool::new(false),
            snapshot: RwLock::new(Arc::new(snapshot)),
            graph: tokio::sync::watch::Sender::new(None),
            readers: Mutex::new(Readers {
                base: Some(base),
                idle: Vec::new(),
            }),
            readers_out: AtomicUsize::new(0),
            indexing: Indexing::default(),
            building: AtomicBool::new(false),
            jobs: Mutex::new(Some(tx)),
            close_deadline: Mutex::new(None),
            writer: Mutex::new(None),
        });
        let h = Arc::clone(&handle);
        let thread = std::thread::Builder::new()
            .name("mu-writer".into())
            .spawn(move || writer_loop(&h, writer, rx))
            .map_err(|e| StoreError::Corrupt {
                path: root.join(".mu").join("mubase"),
                message: format!("cannot start the writer thread: {e}"),
            })?;
        *handle.writer.lock().unwrap_or_else(|p| p.into_inner()) = Some(thread);
        Ok(handle)
    }

    pub fn snapshot(&self) -> Arc<StatusSnapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The current graph snapshot, waiting for the first load after start.
    pub async fn graph(&self) -> Option<Arc<Graph>> {
        let mut rx = self.graph.subscribe();
        let loaded = rx.wait_for(Option::is_some).await.ok()?;
        loaded.clone()
    }

    /// Run `f` on a query connection (blocking: call from a blocking thread). Every query
    /// connection has the MUQL views (`store::sql::prepare_query_connection`).
    pub fn with_reader<T>(
        &self,
        f: impl FnOnce(&duckdb::Connection) -> T,
    ) -> Result<T, StoreError> {
        let closed = || StoreError::Closed {
            path: self.mubase_path.clone(),
        };
        // The connection is counted as lent while the pool lock is held, so a close that
        // finds the count at zero knows no connection is in use or about to be cloned.
        let (lent, fresh) = {
            let mut r = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            let idle = r.idle.pop();
            let Some(base) = r.base.as_ref() else {
                return Err(closed());
            };
            let (conn, fresh) = match idle {
                Some(c) => (c, false),
                None => {
                    let c = base.try_clone().map_err(|source| StoreError::Db {
                        context: "opening a query connection",
                        source,
                    })?;
                    (c, true)
                }
            };
            (Lent::new(&self.readers_out, conn), fresh)
        };
        let mut lent = lent;
        let Some(conn) = lent.conn.as_ref() else {
            return Err(closed());
        };
        if fresh {
            crate::store::sql::prepare_query_connection(conn)?;
        }
        let out = f(conn);
        let mut r = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if r.base.is_some() && r.idle.len() < IDLE_READERS {
            if let Some(c) = lent.conn.take() {
                r.idle.push(c);
            }
        }
        drop(lent);
        Ok(out)
    }

    /// After [`ProjectHandle::close`]: wait (bounded) until every lent query connection is
    /// back, so the database instance is really closed. True when it is.
    pub fn wait_readers_released(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.readers_out.load(Ordering::Acquire) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// Load the committed graph on a query connection and swap it in.
    fn publish_graph(&self) {
        let started = Instant::now();
        let loaded = self
            .with_reader(|c| Graph::load(&self.root, c))
            .and_then(|r| r);
        match loaded {
            Ok(g) => {
                log::debug!(
                    "graph snapshot: {} nodes, {} edges in {} ms",
                    g.nodes().len(),
                    g.edges().len(),
                    started.elapsed().as_millis()
                );
                // The previous snapshot goes when its last reader is done; the rows read to
                // build this one are freed now: give that memory back.
                self.graph.send_replace(Some(Arc::new(g)));
                crate::release_memory();
            }
            Err(e) => {
                log::error!("cannot load the graph: {e}");
                // Readers must not wait forever: serve an empty graph until the next commit.
                if self.graph.borrow().is_none() {
                    self.graph
                        .send_replace(Some(Arc::new(Graph::empty(&self.root))));
                }
            }
        }
    }

    pub fn watching(&self) -> bool {
        self.watching.load(Ordering::Relaxed)
    }

    pub fn set_watching(&self, on: bool) {
        self.watching.store(on, Ordering::Relaxed);
    }

    fn send(&self, job: Job) -> bool {
        let guard = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().is_some_and(|tx| tx.send(job).is_ok())
    }

    /// Queue a watcher batch.
    pub fn submit_paths(&self, paths: Vec<PathBuf>) {
        self.send(Job::Paths(paths));
    }

    /// Queue the first load of the graph snapshot; requests that need the graph wait for it.
    pub fn load_graph(&self) {
        self.send(Job::LoadGraph);
    }

    /// Queue a whole-tree reconciliation.
    pub fn submit_reconcile(&self) {
        self.send(Job::Reconcile);
    }

    /// Queue a build; the answer arrives on the returned channel once it is committed. Only one
    /// requested build runs at a time (409 for the others).
    pub fn build(
        &self,
        force: bool,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<BuildReport, BuildError>>, BuildError> {
        if self.building.swap(true, Ordering::AcqRel) {
            return Err(BuildError::Busy(self.root.clone()));
        }
        let (reply, rx) = tokio::sync::oneshot::channel();
        if !self.send(Job::Build { force, reply }) {
            self.building.store(false, Ordering::Release);
            return Err(BuildError::ShuttingDown);
        }
        Ok(rx)
    }

    /// Stop accepting jobs, let the writer apply what is queued (bounded by `budget` for the
    /// queued watcher batches), then close the database with a checkpoint and save the facts
    /// cache. Blocking.
    pub fn close(&self, budget: Duration) {
        let deadline = Instant::now() + budget;
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        self.close_deadline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(deadline);
        {
            let mut r = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            r.idle.clear();
            r.base = None;
        }
        // A query still running keeps a read transaction open, which would make the closing
        // checkpoint fail: give it the budget to finish.
        if !self.wait_readers_released(budget) {
            log::warn!(
                "closing {} while a query is still running",
                self.root.display()
            );
        }
        let thread = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }

    /// Shutdown has begun.
    fn closing(&self) -> bool {
        self.close_deadline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn past_close_deadline(&self) -> bool {
        self.close_deadline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|d| Instant::now() >= d)
    }

    /// After a run: the status counts, and the graph snapshot when rows changed.
    fn publish(&self, store: &Store, rows_changed: bool) {
        match StatusSnapshot::read(store) {
            Ok(s) => *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(s),
            Err(e) => log::warn!("cannot refresh the status counts: {e}"),
        }
        if rows_changed {
            self.publish_graph();
        }
    }
}

/// Build a project that no writer thread owns (a secondary project, reopened read-write for
/// the build): open the store and the engine here, reconcile, save the facts cache, close.
/// Blocking.
pub fn build_once(
    root: &Path,
    opts: &crate::store::StoreOptions,
    force: bool,
) -> Result<BuildReport, BuildError> {
    let mubase = root.join(".mu").join("mubase");
    let store = Store::open(&mubase, opts, root).map_err(IndexError::Store)?;
    if store.is_read_only() {
        return Err(BuildError::Index(IndexError::ReadOnly(mubase)));
    }
    let mut engine = Engine::open(root, &root.join(".mu").join("index-cache"), store, 0)?;
    let summary = engine.reconcile(force, &|_: &Progress| {})?;
    if let Err(e) = engine.close() {
        log::warn!("could not write the facts cache of {}: {e}", root.display());
    }
    Ok(BuildReport::from(&summary))
}

/// Whether a run may have changed rows (a failed run is treated as a change: the snapshot is
/// reloaded from what was committed).
fn rows_changed(result: &Result<IndexSummary, IndexError>) -> bool {
    match result {
        Ok(s) => !(s.changes.is_empty() && s.mode == Mode::Incremental),
        Err(_) => true,
    }
}

fn writer_loop(h: &ProjectHandle, writer: Writer, rx: mpsc::Receiver<Job>) {
    let mut unavailable: Option<String> = None;
    let mut engine = match writer {
        Writer::Engine(e) => Some(e),
        Writer::Store(store) => {
            match Engine::open(&h.root, &h.root.join(".mu").join("index-cache"), store, 0) {
                Ok(e) => Some(Box::new(e)),
                Err(e) => {
                    log::error!("cannot open the indexer: {e}; the graph is served as it is");
                    unavailable = Some(e.to_string());
                    None
                }
            }
        }
        Writer::ReadOnly(store) => {
            // Nothing can be written; answer builds with the reason until shutdown.
            for job in rx {
                if let Job::LoadGraph = job {
                    h.publish_graph();
                }
                if let Job::Build { reply, .. } = job {
                    h.building.store(false, Ordering::Release);
                    let _ = reply.send(Err(BuildError::Index(IndexError::ReadOnly(
                        store.path().to_path_buf(),
                    ))));
                }
            }
            return;
        }
    };
    while let Ok(first) = rx.recv() {
        // Coalesce queued watcher batches into one run: batches are processed one at a time,
        // and what arrived meanwhile forms the next one (indexer.md §11.1).
        let mut jobs = vec![first];
        while let Ok(more) = rx.try_recv() {
            jobs.push(more);
        }
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut reconcile = false;
        let mut builds = Vec::new();
        let mut load_graph = false;
        for job in jobs {
            match job {
                Job::LoadGraph => load_graph = true,
                Job::Paths(p) => paths.extend(p),
                Job::Reconcile => reconcile = true,
                Job::Build { force, reply } => builds.push((force, reply)),
            }
        }
        // The first snapshot comes before any other work, whatever job arrived first, so
        // requests waiting for it do not wait for a start-up reconciliation.
        if load_graph || h.graph.borrow().is_none() {
            h.publish_graph();
        }
        let Some(eng) = engine.as_mut() else {
            for (_, reply) in builds {
                h.building.store(false, Ordering::Release);
                let why = unavailable.clone().unwrap_or_default();
                let _ = reply.send(Err(BuildError::Unavailable(why)));
            }
            continue;
        };
        // Once shutdown began, a whole-tree reconciliation waits for the next start; watcher
        // batches are applied within the close budget.
        let reconcile = reconcile && !h.closing();
        if (reconcile || !paths.is_empty()) && !h.past_close_deadline() {
            h.indexing.active.store(true, Ordering::Release);
            let on_progress = |p: &Progress| h.indexing.progress(p);
            let result = if reconcile {
                eng.reconcile(false, &on_progress)
            } else {
                paths.sort();
                paths.dedup();
                eng.apply_with_summary(&paths)
            };
            let changed = rows_changed(&result);
            match result {
                Ok(s) => {
                    h.indexing
                        .files_done
                        .store(s.files_scanned, Ordering::Relaxed);
                    h.indexing
                        .files_total
                        .store(s.files_scanned, Ordering::Relaxed);
                    if s.changes.is_empty() && s.mode == Mode::Incremental {
                        log::debug!("watcher batch: no change");
                    } else {
                        log::info!(
                            "indexed {} changed, {} removed files: {} nodes, {} edges in {} ms",
                            s.files_changed,
                            s.files_removed,
                            s.node_count,
                            s.edge_count,
                            s.duration_ms
                        );
                    }
                }
                Err(e) => log::error!("incremental update failed: {e}"),
            }
            h.indexing.active.store(false, Ordering::Release);
            h.publish(eng.store(), changed);
            // An idle daemon should not keep a batch's working set.
            crate::release_memory();
        }
        for (force, reply) in builds {
            if h.closing() {
                h.building.store(false, Ordering::Release);
                let _ = reply.send(Err(BuildError::ShuttingDown));
                continue;
            }
            h.indexing.active.store(true, Ordering::Release);
            let on_progress = |p: &Progress| h.indexing.progress(p);
            let result = eng.reconcile(force, &on_progress);
            h.indexing.active.store(false, Ordering::Release);
            let changed = rows_changed(&result);
            let answer = match result {
                Ok(s) => {
                    h.indexing
                        .files_done
                        .store(s.files_scanned, Ordering::Relaxed);
                    h.indexing
                        .files_total
                        .store(s.files_scanned, Ordering::Relaxed);
                    log::info!(
                        "build ({}): {} files scanned, {} changed → {} nodes, {} edges in {} ms",
                        s.mode.as_str(),
                        s.files_scanned,
                        s.files_changed,
                        s.node_count,
                        s.edge_count,
                        s.duration_ms
                    );
                    Ok(BuildReport::from(&s))
                }
                Err(e) => {
                    log::error!("build failed: {e}");
                    Err(BuildError::Index(e))
                }
            };
            h.publish(eng.store(), changed);
            h.building.store(false, Ordering::Release);
            let _ = reply.send(answer);
        }
    }
    if let Some(eng) = engine.take() {
        if let Err(e) = eng.close() {
            log::warn!("could not write the facts cache: {e}");
        }
    }
}
