//! Project routing by `cwd` (`http-api.md` §2.12–§2.14): the own project, projects owned by
//! another live daemon (forwarded), and secondary projects this daemon opens read-only, caches,
//! and closes when idle or when their own daemon appears.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{ApiError, AppState};
use crate::daemon::{BuildReport, ProjectHandle, Writer};
use crate::registry::{Entry, Registry};
use crate::store::{Store, StoreOptions};

/// A secondary project is closed after this long without requests (§2.14).
const IDLE_CLOSE: Duration = Duration::from_secs(600);
/// How often the registry file is looked at: a change (a daemon started) closes the secondary
/// projects it now owns, so the new daemon's open of its database is not kept waiting.
const REGISTRY_POLL: Duration = Duration::from_secs(1);
/// How often idle secondaries and owners are checked without a registry change.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(30);
/// Budget for closing a secondary (it has no watcher batches to flush).
const CLOSE_BUDGET: Duration = Duration::from_secs(1);
/// How long a request waits for a secondary project's build before giving up.
const BUILD_WAIT: Duration = Duration::from_secs(30);

/// Where a routed request goes.
pub enum Target {
    Local(Arc<ProjectHandle>),
    Forward(Entry),
}

enum Slot {
    Open {
        handle: Arc<ProjectHandle>,
        last_used: Instant,
    },
    /// Being opened read-only (by one request; the others wait).
    Opening,
    /// Reopened read-write for a `/build` (§2.14): requests wait, another build gets 409.
    Building,
    /// Being closed: the read-only instance is not reopened before every query connection of
    /// the old one is back (one database instance per file and process).
    Closing(Arc<ProjectHandle>),
}

/// The projects this daemon serves besides its own. The map's lock is never held across I/O:
/// opening, building and closing happen in transitional slots that other requests wait on.
pub struct Projects {
    own: Arc<ProjectHandle>,
    own_pid: u32,
    store_opts: StoreOptions,
    /// Longest a lent query connection can stay out (the query time cap plus a margin).
    reader_wait: Duration,
    slots: Mutex<HashMap<PathBuf, Slot>>,
    changed: Condvar,
}

type Slots<'a> = std::sync::MutexGuard<'a, HashMap<PathBuf, Slot>>;

impl Projects {
    pub fn new(
        own: Arc<ProjectHandle>,
        own_pid: u32,
        store_opts: StoreOptions,
        query_timeout: Duration,
    ) -> Projects {
        Projects {
            own,
            own_pid,
            store_opts,
            reader_wait: query_timeout + Duration::from_secs(5),
            slots: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> Slots<'_> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn own(&self) -> &Arc<ProjectHandle> {
        &self.own
    }

    /// The open secondary projects, by root.
    pub fn secondaries(&self) -> Vec<Arc<ProjectHandle>> {
        let slots = self.lock();
        let mut v: Vec<Arc<ProjectHandle>> = slots
            .values()
            .filter_map(|s| match s {
                Slot::Open { handle, .. } => Some(Arc::clone(handle)),
                _ => None,
            })
            .collect();
        v.sort_by(|a, b| a.root.cmp(&b.root));
        v
    }

    /// Route by `cwd` (§2.12). `forwarded` requests are never forwarded again; `build` is
    /// true for `/build` (a second build of a secondary project gets 409 instead of waiting).
    pub async fn target(
        &self,
        state: &Arc<AppState>,
        cwd: Option<&str>,
        forwarded: bool,
        build: bool,
    ) -> Result<Target, ApiError> {
        let Some(cwd) = cwd.filter(|c| !c.is_empty()) else {
            return Ok(Target::Local(Arc::clone(&self.own)));
        };
        if !Path::new(cwd).is_absolute() {
            return Err(ApiError::bad_request(format!(
                "cwd must be an absolute path: {cwd}"
            )));
        }
        let cwd = cwd.to_string();
        let state = Arc::clone(state);
        // Canonicalising, walking up the tree, reading the registry and opening a database are
        // blocking work.
        tokio::task::spawn_blocking(move || state.projects.target_blocking(&cwd, forwarded, build))
            .await
            .map_err(ApiError::internal)?
    }

    fn target_blocking(&self, cwd: &str, forwarded: bool, build: bool) -> Result<Target, ApiError> {
        let no_project =
            || ApiError::not_found(format!("No MU project (.mu/mubase) found for {cwd}"));
        let root = match crate::project::resolve_root(Path::new(cwd), false) {
            Ok(Some(p)) => p.root,
            Ok(None) | Err(_) => return Err(no_project()),
        };
        if root == self.own.root {
            return Ok(Target::Local(Arc::clone(&self.own)));
        }
        if !forwarded {
            if let Some(entry) = self.live_owner(&root) {
                self.close_secondary(&root);
                return Ok(Target::Forward(entry));
            }
        }
        self.secondary(&root, build).map(Target::Local)
    }

    /// A live daemon other than this one registered for `root`.
    fn live_owner(&self, root: &Path) -> Option<Entry> {
        let registry = Registry::from_env_no_create().ok()?;
        let (entries, _) = registry.read().ok()?;
        entries.into_iter().find(|e| {
            e.project_path == root && e.pid != self.own_pid && crate::registry::alive(e).is_some()
        })
    }

    /// Wait until the slot of `root` is open or absent; `None` when it is absent (the caller
    /// owns the decision to fill it, still under the lock).
    fn settle<'a>(
        &'a self,
        mut slots: Slots<'a>,
        root: &Path,
        build: bool,
    ) -> Result<(Slots<'a>, Option<Arc<ProjectHandle>>), ApiError> {
        let deadline = Instant::now() + BUILD_WAIT;
        loop {
            match slots.get_mut(root) {
                None => return Ok((slots, None)),
                Some(Slot::Open { handle, last_used }) => {
                    *last_used = Instant::now();
                    let h = Arc::clone(handle);
                    return Ok((slots, Some(h)));
                }
                Some(Slot::Building) if build => {
                    return Err(ApiError::new(
                        axum::http::StatusCode::CONFLICT,
                        format!("A build is already running for {}", root.display()),
                    ))
                }
                Some(_) => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ApiError::unavailable(format!(
                    "{} is being opened, built or closed by this daemon; retry the request",
                    root.display()
                )));
            }
            slots = self
                .changed
                .wait_timeout(slots, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The cached secondary project, opened read-only when it is not open yet.
    fn secondary(&self, root: &Path, build: bool) -> Result<Arc<ProjectHandle>, ApiError> {
        let (mut slots, open) = self.settle(self.lock(), root, build)?;
        if let Some(h) = open {
            return Ok(h);
        }
        slots.insert(root.to_path_buf(), Slot::Opening);
        drop(slots);
        let opened = self.open_read_only(root);
        let mut slots = self.lock();
        match &opened {
            Ok(handle) => {
                slots.insert(
                    root.to_path_buf(),
                    Slot::Open {
                        handle: Arc::clone(handle),
                        last_used: Instant::now(),
                    },
                );
                log::info!(
                    "opened {} as a secondary project (read-only)",
                    root.display()
                );
            }
            Err(_) => {
                slots.remove(root);
            }
        }
        self.changed.notify_all();
        opened
    }

    fn open_read_only(&self, root: &Path) -> Result<Arc<ProjectHandle>, ApiError> {
        let mubase = root.join(".mu").join("mubase");
        let store =
            Store::open_read_only(&mubase, &self.store_opts).map_err(|e| ApiError::from(&e))?;
        let handle =
            ProjectHandle::start(root, Writer::ReadOnly(store)).map_err(|e| ApiError::from(&e))?;
        handle.load_graph();
        Ok(handle)
    }

    /// Close an open secondary project (its daemon appeared, it was idle, or shutdown). The
    /// slot stays `Closing` until every query connection is back.
    fn close_secondary(&self, root: &Path) {
        let handle = {
            let mut slots = self.lock();
            match slots.remove(root) {
                Some(Slot::Open { handle, .. }) => {
                    slots.insert(root.to_path_buf(), Slot::Closing(Arc::clone(&handle)));
                    handle
                }
                Some(other) => {
                    slots.insert(root.to_path_buf(), other);
                    return;
                }
                None => return,
            }
        };
        log::info!("closing secondary project {}", root.display());
        handle.close(CLOSE_BUDGET);
        let released = handle.wait_readers_released(self.reader_wait);
        let mut slots = self.lock();
        if released {
            slots.remove(root);
        } else {
            log::warn!(
                "a query on {} is still running; the project stays closing",
                root.display()
            );
        }
        self.changed.notify_all();
    }

    /// A forwarded request got no answer: a stale owner is removed from the registry and the
    /// project served here; a live one gives 503 (§2.13).
    pub async fn after_failed_forward(
        &self,
        state: &Arc<AppState>,
        entry: &Entry,
        build: bool,
    ) -> Result<Arc<ProjectHandle>, ApiError> {
        let state = Arc::clone(state);
        let entry = entry.clone();
        tokio::task::spawn_blocking(move || {
            let p = &state.projects;
            if crate::registry::alive(&entry).is_some() {
                return Err(ApiError::unavailable(format!(
                    "mu-daemon for {} (pid {}, port {}) did not respond",
                    entry.project_path.display(),
                    entry.pid,
                    entry.port
                )));
            }
            if let Ok(registry) = Registry::from_env_no_create() {
                let removed = registry.transact(crate::registry::LOCK_TIMEOUT, |txn| {
                    txn.remove(&entry.project_path, entry.pid)
                });
                if let Err(e) = removed {
                    log::warn!("could not remove a stale registry entry: {e}");
                }
            }
            p.secondary(&entry.project_path, build)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// `POST /build` on a secondary project: reopened read-write for the build, then read-only
    /// again (§2.14). Requests for the project wait meanwhile; a second build gets 409.
    pub fn build_secondary(&self, root: &Path, force: bool) -> Result<BuildReport, ApiError> {
        let (mut slots, open) = self.settle(self.lock(), root, true)?;
        slots.insert(root.to_path_buf(), Slot::Building);
        drop(slots);
        let released = match open {
            Some(handle) => {
                handle.close(CLOSE_BUDGET);
                handle.wait_readers_released(self.reader_wait)
            }
            None => true,
        };
        let result = if released {
            crate::daemon::build_once(root, &self.store_opts, force).map_err(ApiError::from)
        } else {
            Err(ApiError::unavailable(format!(
                "A query on {} is still running; retry the build",
                root.display()
            )))
        };
        // Read-only again, whatever the build did.
        let reopened = self.open_read_only(root);
        let mut slots = self.lock();
        match reopened {
            Ok(handle) => {
                slots.insert(
                    root.to_path_buf(),
                    Slot::Open {
                        handle,
                        last_used: Instant::now(),
                    },
                );
            }
            Err(e) => {
                log::warn!(
                    "could not reopen {} read-only: {}",
                    root.display(),
                    e.detail
                );
                slots.remove(root);
            }
        }
        self.changed.notify_all();
        result
    }

    /// Close secondaries idle for 10 minutes and those whose own daemon appeared; finish the
    /// closes that waited for a query.
    pub fn maintain(&self) {
        let mut candidates = Vec::new();
        {
            let mut slots = self.lock();
            slots.retain(|_, s| match s {
                Slot::Closing(h) => !h.wait_readers_released(Duration::ZERO),
                _ => true,
            });
            for (root, s) in slots.iter() {
                if let Slot::Open { last_used, .. } = s {
                    candidates.push((root.clone(), last_used.elapsed() >= IDLE_CLOSE));
                }
            }
            self.changed.notify_all();
        }
        for (root, idle) in candidates {
            if idle || self.live_owner(&root).is_some() {
                self.close_secondary(&root);
            }
        }
    }

    /// At shutdown: close every open secondary project.
    pub fn close_all(&self) {
        let roots: Vec<PathBuf> = self.lock().keys().cloned().collect();
        for root in roots {
            self.close_secondary(&root);
        }
    }
}

/// The background task that closes idle secondaries and those whose own daemon appeared
/// (§2.14): it looks at the registry file's modification time every second, and at every
/// secondary every 30 s.
pub async fn maintenance(state: Arc<AppState>) {
    let registry_file = Registry::from_env_no_create().ok().map(|r| r.file());
    let modified = move || {
        registry_file
            .as_ref()
            .and_then(|f| std::fs::metadata(f).ok())
            .and_then(|m| m.modified().ok())
    };
    let mut seen = modified();
    let mut last = Instant::now();
    loop {
        tokio::time::sleep(REGISTRY_POLL).await;
        if state.projects.secondaries().is_empty() {
            continue;
        }
        let m = modified.clone();
        let now = tokio::task::spawn_blocking(m).await.unwrap_or(None);
        if now == seen && last.elapsed() < MAINTENANCE_EVERY {
            continue;
        }
        seen = now;
        last = Instant::now();
        let s = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || s.projects.maintain()).await;
    }
}
