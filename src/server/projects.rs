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
    /// Reopened read-write for a `/build` (§2.14): requests wait for it.
    Building,
}

/// The projects this daemon serves besides its own.
pub struct Projects {
    own: Arc<ProjectHandle>,
    own_pid: u32,
    store_opts: StoreOptions,
    slots: Mutex<HashMap<PathBuf, Slot>>,
    changed: Condvar,
}

impl Projects {
    pub fn new(own: Arc<ProjectHandle>, own_pid: u32, store_opts: StoreOptions) -> Projects {
        Projects {
            own,
            own_pid,
            store_opts,
            slots: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        }
    }

    pub fn own(&self) -> &Arc<ProjectHandle> {
        &self.own
    }

    /// The open secondary projects, by root.
    pub fn secondaries(&self) -> Vec<Arc<ProjectHandle>> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<Arc<ProjectHandle>> = slots
            .values()
            .filter_map(|s| match s {
                Slot::Open { handle, .. } => Some(Arc::clone(handle)),
                Slot::Building => None,
            })
            .collect();
        v.sort_by(|a, b| a.root.cmp(&b.root));
        v
    }

    /// Route by `cwd` (§2.12). `forwarded` requests are never forwarded again.
    pub async fn target(
        &self,
        state: &Arc<AppState>,
        cwd: Option<&str>,
        forwarded: bool,
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
        tokio::task::spawn_blocking(move || state.projects.target_blocking(&cwd, forwarded))
            .await
            .map_err(ApiError::internal)?
    }

    fn target_blocking(&self, cwd: &str, forwarded: bool) -> Result<Target, ApiError> {
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
        self.secondary(&root).map(Target::Local)
    }

    /// A live daemon other than this one registered for `root`.
    fn live_owner(&self, root: &Path) -> Option<Entry> {
        let registry = Registry::from_env_no_create().ok()?;
        let (entries, _) = registry.read().ok()?;
        entries.into_iter().find(|e| {
            e.project_path == root && e.pid != self.own_pid && crate::registry::alive(e).is_some()
        })
    }

    /// The cached secondary project, opened read-only when it is not open yet.
    fn secondary(&self, root: &Path) -> Result<Arc<ProjectHandle>, ApiError> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let deadline = Instant::now() + BUILD_WAIT;
        while matches!(slots.get(root), Some(Slot::Building)) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ApiError::unavailable(format!(
                    "A build is running for {}; retry when it is done",
                    root.display()
                )));
            }
            slots = self
                .changed
                .wait_timeout(slots, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        if let Some(Slot::Open { handle, last_used }) = slots.get_mut(root) {
            *last_used = Instant::now();
            return Ok(Arc::clone(handle));
        }
        // Opening under the map lock: two requests never open the same database twice.
        let handle = self.open_read_only(root)?;
        slots.insert(
            root.to_path_buf(),
            Slot::Open {
                handle: Arc::clone(&handle),
                last_used: Instant::now(),
            },
        );
        log::info!(
            "opened {} as a secondary project (read-only)",
            root.display()
        );
        Ok(handle)
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

    /// Close a cached secondary project (its daemon appeared, or it was idle).
    fn close_secondary(&self, root: &Path) {
        let removed = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            match slots.get(root) {
                Some(Slot::Open { .. }) => slots.remove(root),
                _ => None,
            }
        };
        if let Some(Slot::Open { handle, .. }) = removed {
            log::info!("closing secondary project {}", root.display());
            handle.close(CLOSE_BUDGET);
            handle.wait_readers_released(CLOSE_BUDGET);
        }
    }

    /// A forwarded request got no answer: a stale owner is removed from the registry and the
    /// project served here; a live one gives 503 (§2.13).
    pub async fn after_failed_forward(
        &self,
        state: &Arc<AppState>,
        entry: &Entry,
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
            p.secondary(&entry.project_path)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// `POST /build` on a secondary project: reopened read-write for the build, then read-only
    /// again (§2.14). Requests for the project wait meanwhile.
    pub fn build_secondary(&self, root: &Path, force: bool) -> Result<BuildReport, ApiError> {
        let previous = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            match slots.get(root) {
                Some(Slot::Building) => {
                    return Err(ApiError::new(
                        axum::http::StatusCode::CONFLICT,
                        format!("A build is already running for {}", root.display()),
                    ))
                }
                _ => slots.insert(root.to_path_buf(), Slot::Building),
            }
        };
        if let Some(Slot::Open { handle, .. }) = previous {
            handle.close(CLOSE_BUDGET);
            handle.wait_readers_released(Duration::from_secs(15));
        }
        let result = self.build_read_write(root, force);
        // Read-only again, whatever the build did.
        let reopened = self.open_read_only(root);
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
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

    fn build_read_write(&self, root: &Path, force: bool) -> Result<BuildReport, ApiError> {
        let mubase = root.join(".mu").join("mubase");
        let store = Store::open(&mubase, &self.store_opts, root).map_err(|e| ApiError::from(&e))?;
        if store.is_read_only() {
            return Err(ApiError::internal(crate::index::IndexError::ReadOnly(
                mubase,
            )));
        }
        let cache = root.join(".mu").join("index-cache");
        let mut engine = crate::index::Engine::open(root, &cache, store, 0)
            .map_err(|e| ApiError::internal(e))?;
        let summary = engine
            .reconcile(force, &|_: &crate::index::Progress| {})
            .map_err(|e| match e {
                crate::index::IndexError::Store(s) => ApiError::from(&s),
                other => ApiError::internal(other),
            })?;
        if let Err(e) = engine.close() {
            log::warn!("could not write the facts cache of {}: {e}", root.display());
        }
        Ok(BuildReport::from(&summary))
    }

    /// Close secondaries idle for 10 minutes and those whose own daemon appeared.
    pub fn maintain(&self) {
        let candidates: Vec<(PathBuf, bool)> = {
            let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots
                .iter()
                .filter_map(|(root, s)| match s {
                    Slot::Open { last_used, .. } => {
                        Some((root.clone(), last_used.elapsed() >= IDLE_CLOSE))
                    }
                    Slot::Building => None,
                })
                .collect()
        };
        for (root, idle) in candidates {
            if idle || self.live_owner(&root).is_some() {
                self.close_secondary(&root);
            }
        }
    }

    /// At shutdown: close every secondary project.
    pub fn close_all(&self) {
        let roots: Vec<PathBuf> = {
            let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.keys().cloned().collect()
        };
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
