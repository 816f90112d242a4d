//! The global registry `MU_HOME/daemons.json` (`cli-and-registry.md` §7): model, lock file,
//! atomic write and recovery, permissions, liveness and identity, stale cleanup, heartbeat.
//!
//! Guarantees:
//! * Every write happens under an exclusive `flock` on `MU_HOME/daemons.lock` and replaces
//!   `daemons.json` by an atomic rename of a fsynced `daemons.json.tmp.<pid>`; a failed write
//!   leaves `daemons.json` as it was.
//! * Files are created with mode 0600 at open time, directories with 0700.
//! * Unknown fields (top level and inside entries) and malformed entries survive every rewrite.
//! * `daemons.json.bak` only ever receives bytes of a registry that parsed.
//! * Liveness (`alive`) is lock_held OR identity; a zombie counts as gone; heartbeat age is never
//!   consulted.
//!
//! Every function here may block (lock retries sleep 10 ms): call them from a blocking thread,
//! never from an async runtime worker.

mod fsops;
mod liveness;
mod model;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

pub use liveness::{
    is_mu_daemon_process, lock_file_pid, lock_held, process_start_time, START_TIME_TOLERANCE_SECS,
};
use model::{Document, Slot};

/// The format version this build reads and writes.
pub const REGISTRY_VERSION: u64 = 1;

/// Lock timeout for commands and heartbeats (§7.4, §13).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// Lock timeout during graceful shutdown (§6 step 4).
pub const SHUTDOWN_LOCK_TIMEOUT: Duration = Duration::from_secs(1);

/// A well-formed registry entry (§7.2). Missing optional fields are `None`.
///
/// Fields this version does not know are kept in `extra` and written back unchanged. Timestamps
/// are read with any RFC 3339 offset and fractional seconds and written in UTC with a `Z`
/// (`2026-11-27T09:14:03Z`; sub-second digits only when the value has them).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub project_path: PathBuf,
    pub pid: u32,
    pub port: u16,
    pub mubase_path: Option<PathBuf>,
    pub started_at: Option<DateTime<Utc>>,
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub host: Option<String>,
    pub process_start_time: Option<u64>,
    pub daemon_version: Option<String>,
    pub log_path: Option<PathBuf>,
    /// Unknown members of the entry object (keys of known fields here are ignored on write).
    pub extra: Map<String, Value>,
}

impl Entry {
    /// A new entry for this process: `started_at` = `last_heartbeat` = now (whole seconds),
    /// `process_start_time` = [`own_start_time`], `daemon_version` = this crate's version.
    pub fn new_own(
        project_path: PathBuf,
        port: u16,
        host: String,
        mubase_path: PathBuf,
        log_path: PathBuf,
    ) -> Entry {
        let now = now_secs();
        Entry {
            project_path,
            pid: std::process::id(),
            port,
            mubase_path: Some(mubase_path),
            started_at: Some(now),
            last_heartbeat: Some(now),
            host: Some(host),
            process_start_time: Some(own_start_time()),
            daemon_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            log_path: Some(log_path),
            extra: Map::new(),
        }
    }
}

/// The current time truncated to whole seconds (what writers store).
pub fn now_secs() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

/// How an entry was found alive (§7.8 `identity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// identity(e) holds.
    Verified,
    /// Only lock_held(e) holds.
    Lock,
}

impl Identity {
    /// `"verified"` / `"lock"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Identity::Verified => "verified",
            Identity::Lock => "lock",
        }
    }
}

/// A live entry and how it was found alive.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEntry {
    pub entry: Entry,
    pub identity: Identity,
}

/// Why an entry was found dead (§7.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// No such process, or a zombie.
    ProcessGone,
    /// The pid exists but its start time differs (or a mu-daemon without a recorded start time).
    PidReused,
    /// The pid exists with the recorded start time but is not named `mu-daemon…`.
    NotMuDaemon,
}

impl StaleReason {
    /// `"process gone"` / `"pid reused by another process"` / `"not a mu-daemon process"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StaleReason::ProcessGone => "process gone",
            StaleReason::PidReused => "pid reused by another process",
            StaleReason::NotMuDaemon => "not a mu-daemon process",
        }
    }
}

/// A stale entry removed by a cleanup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub project_path: PathBuf,
    pub pid: u32,
    pub port: u16,
    pub reason: StaleReason,
}

impl Removed {
    /// `Removed stale registry entry for <root> (pid <n>: <reason>).` (§7.10)
    pub fn message(&self) -> String {
        format!(
            "Removed stale registry entry for {} (pid {}: {}).",
            self.project_path.display(),
            self.pid,
            self.reason.as_str()
        )
    }
}

/// Result of a cleanup (§7.10).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Live well-formed entries, sorted by `project_path`.
    pub live: Vec<LiveEntry>,
    /// Entries removed as stale, sorted by `project_path`.
    pub removed: Vec<Removed>,
    /// Warnings without the `Warning: ` prefix: permission tightening (from [`Registry::warnings`]),
    /// recovery (§7.5 text) and malformed entries.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Exit 4.
    #[error("Timed out waiting for the registry lock ({}).", holder_text(.holder))]
    LockTimeout { holder: Option<u32> },
    /// Exit 1.
    #[error(
        "Registry format version {version} is newer than this mu-daemon supports ({REGISTRY_VERSION})."
    )]
    TooNew { version: u64 },
    /// Exit 1: the §7.6 refusals and a relative `MU_HOME`.
    #[error("{message}")]
    UnsafeHome { message: String },
    /// Exit 4.
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn holder_text(holder: &Option<u32>) -> String {
    match holder {
        Some(pid) => format!("held by pid {pid}"),
        None => "held by an unknown process".to_string(),
    }
}

/// A validated registry directory.
#[derive(Debug, Clone)]
pub struct Registry {
    home: PathBuf,
    warnings: Vec<String>,
}

/// What a read produced.
struct Loaded {
    doc: Document,
    /// The bytes of `daemons.json` when they parsed (candidates for `.bak`).
    parsed_bytes: Option<Vec<u8>>,
    /// The file was unreadable and `doc` comes from the backup or is empty.
    recovered: bool,
    warnings: Vec<String>,
}

impl Registry {
    /// `MU_HOME` (must be absolute; empty counts as unset) or `~/.mu`, validated (§7.6) and
    /// created with mode 0700 when missing. With `MU_HOME` unset, refuses when the home
    /// directory belongs to another user.
    pub fn from_env() -> Result<Registry, RegistryError> {
        Self::from_env_impl(true)
    }

    /// As [`Registry::from_env`], but a missing directory is neither created nor an error (for
    /// `list`, which does not create `MU_HOME`). [`Registry::clean`] then reports nothing;
    /// writes create the directory.
    pub fn from_env_no_create() -> Result<Registry, RegistryError> {
        Self::from_env_impl(false)
    }

    fn from_env_impl(create: bool) -> Result<Registry, RegistryError> {
        let explicit = std::env::var_os("MU_HOME").filter(|v| !v.is_empty());
        let home = crate::project::mu_home().ok_or_else(|| RegistryError::UnsafeHome {
            message: "Cannot determine the home directory; set MU_HOME to an absolute path."
                .to_string(),
        })?;
        if explicit.is_none() {
            if let Some(user_home) = dirs::home_dir() {
                fsops::check_foreign_home(&user_home, &home)?;
            }
        }
        Self::open(home, create)
    }

    /// An explicit directory, with the same validation as [`Registry::from_env`] (created when
    /// missing).
    pub fn at(home: PathBuf) -> Result<Registry, RegistryError> {
        Self::open(home, true)
    }

    /// As [`Registry::at`] without creating a missing directory.
    pub fn at_no_create(home: PathBuf) -> Result<Registry, RegistryError> {
        Self::open(home, false)
    }

    fn open(home: PathBuf, create: bool) -> Result<Registry, RegistryError> {
        let warnings = fsops::validate_home(&home, create)?;
        Ok(Registry { home, warnings })
    }

    /// The registry directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// `<home>/daemons.json`.
    pub fn file(&self) -> PathBuf {
        self.home.join(fsops::FILE)
    }

    /// Warnings from validation (modes that were tightened), without the `Warning: ` prefix.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Stale cleanup (§7.10) under the lock (5 s): dead well-formed entries are removed (and their
    /// `daemon.pid` when it still holds that pid); the live ones are returned with their identity.
    /// `sysinfo` is refreshed only for the registry's pids. The file is written only when
    /// something changed. A missing `MU_HOME` gives an empty snapshot and is not created.
    /// `warnings` includes [`Registry::warnings`].
    pub fn clean(&self) -> Result<Snapshot, RegistryError> {
        let mut warnings = self.warnings.clone();
        if std::fs::metadata(&self.home).is_err() {
            return Ok(Snapshot {
                warnings,
                ..Snapshot::default()
            });
        }
        let ((removed, live), w) = self.transact(LOCK_TIMEOUT, Txn::clean_and_live)?;
        warnings.extend(w);
        Ok(Snapshot {
            live,
            removed,
            warnings,
        })
    }

    /// A read-modify-write under the lock (§7.4): make sure `MU_HOME` exists (0700), lock
    /// (retrying every 10 ms up to `timeout`), read with §7.5 recovery, run `f`, and write when
    /// the content changed or was recovered. `.bak` receives the previous bytes only when the
    /// entry set changed (not for heartbeat-only changes) and the file read had parsed. When the
    /// file's version is newer than [`REGISTRY_VERSION`] and a write would be needed, nothing is
    /// written and [`RegistryError::TooNew`] is returned. Returns `f`'s result and the read
    /// warnings (recovery, malformed entries).
    pub fn transact<T>(
        &self,
        timeout: Duration,
        f: impl FnOnce(&mut Txn) -> T,
    ) -> Result<(T, Vec<String>), RegistryError> {
        fsops::ensure_dir(&self.home)?;
        let _guard = fsops::lock(&self.home, timeout)?;
        let loaded = self.load(true)?;
        let mut txn = Txn {
            doc: loaded.doc.clone(),
        };
        let out = f(&mut txn);
        let mut before = loaded.doc;
        let mut after = txn.doc;
        before.sort();
        after.sort();
        if before != after || loaded.recovered {
            if after.version > REGISTRY_VERSION {
                return Err(RegistryError::TooNew {
                    version: after.version,
                });
            }
            if let Some(bytes) = &loaded.parsed_bytes {
                if without_heartbeats(&before) != without_heartbeats(&after) {
                    fsops::atomic_write(&self.home, fsops::BAK, bytes)?;
                }
            }
            fsops::atomic_write(&self.home, fsops::FILE, &after.to_bytes())?;
        }
        Ok((out, loaded.warnings))
    }

    /// §7.9: under the lock (5 s), set only this daemon's `last_heartbeat` (entry found by
    /// `project_path` and `pid`) to now. When the entry is missing it is added back (recreating
    /// `MU_HOME` with 0700 if needed), replacing a same-project entry whose pid fails identity.
    /// Other entries are never changed. Recovery warnings go to the log.
    pub fn heartbeat(&self, own: &Entry) -> Result<(), RegistryError> {
        let now = now_secs();
        let (conflict, warnings) = self.transact(LOCK_TIMEOUT, |t| {
            if let Some(e) = t.find_mut(&own.project_path, own.pid) {
                e.last_heartbeat = Some(now);
                return None;
            }
            let other = t
                .doc
                .entries()
                .find(|e| e.project_path == own.project_path)
                .cloned();
            if let Some(other) = other {
                if identity(&other) {
                    return Some(other.pid);
                }
            }
            let mut e = own.clone();
            e.last_heartbeat = Some(now);
            t.upsert(e);
            None
        })?;
        for w in warnings {
            log::warn!("{w}");
        }
        if let Some(pid) = conflict {
            log::warn!(
                "The registry names another live mu-daemon (pid {pid}) for {}; its entry is left alone.",
                own.project_path.display()
            );
        }
        Ok(())
    }

    /// §6 step 4: remove this daemon's entry (`project_path` and `pid`) with a 1 s lock
    /// timeout. Returns whether the entry was there.
    pub fn deregister(&self, project_path: &Path, pid: u32) -> Result<bool, RegistryError> {
        let (found, warnings) =
            self.transact(SHUTDOWN_LOCK_TIMEOUT, |t| t.remove(project_path, pid))?;
        for w in warnings {
            log::warn!("{w}");
        }
        Ok(found)
    }

    /// Lock-free read (§7.3): the well-formed entries sorted by `project_path`, and warnings
    /// (recovery, malformed entries). An unreadable file is recovered from `.bak` in memory only;
    /// nothing is written. No liveness check. A missing file or directory is an empty registry.
    pub fn read(&self) -> Result<(Vec<Entry>, Vec<String>), RegistryError> {
        let loaded = self.load(false)?;
        let mut doc = loaded.doc;
        doc.sort();
        Ok((doc.entries().cloned().collect(), loaded.warnings))
    }

    /// The format version of the file as read (1 when missing), with §7.5 recovery.
    pub fn version(&self) -> Result<u64, RegistryError> {
        Ok(self.load(false)?.doc.version)
    }

    /// Read and parse `daemons.json`; on a parse failure apply §7.5 (the `.corrupt` copy only
    /// when `under_lock`).
    fn load(&self, under_lock: bool) -> Result<Loaded, RegistryError> {
        let file = self.file();
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    doc: Document::default(),
                    parsed_bytes: None,
                    recovered: false,
                    warnings: Vec::new(),
                })
            }
            Err(e) => return Err(fsops::io_err(format!("Cannot read {}", file.display()))(e)),
        };
        match Document::parse(&bytes) {
            Ok(doc) => Ok(Loaded {
                warnings: doc.malformed_warnings(&file),
                doc,
                parsed_bytes: Some(bytes),
                recovered: false,
            }),
            Err(why) => {
                log::warn!("{} cannot be parsed: {why}", file.display());
                if under_lock {
                    if let Err(e) = fsops::atomic_write(&self.home, fsops::CORRUPT, &bytes) {
                        log::warn!("{e}");
                    }
                }
                let backup = std::fs::read(self.home.join(fsops::BAK))
                    .ok()
                    .and_then(|b| Document::parse(&b).ok());
                let (doc, warning) = match backup {
                    Some(doc) => {
                        let n = doc.slots.len();
                        (
                            doc,
                            format!(
                                "Registry {} was unreadable; recovered {n} entries from daemons.json.bak.",
                                file.display()
                            ),
                        )
                    }
                    None => (
                        Document::default(),
                        format!(
                            "Registry {} was unreadable and no valid backup exists; starting empty. Running daemons re-register within 30 s.",
                            file.display()
                        ),
                    ),
                };
                let mut warnings = vec![warning];
                warnings.extend(doc.malformed_warnings(&file));
                Ok(Loaded {
                    doc,
                    parsed_bytes: None,
                    recovered: true,
                    warnings,
                })
            }
        }
    }
}

/// The document with every `last_heartbeat` cleared: equal before and after a heartbeat-only
/// change.
fn without_heartbeats(doc: &Document) -> Document {
    let mut d = doc.clone();
    for s in &mut d.slots {
        if let Slot::Entry(e) = s {
            e.last_heartbeat = None;
        }
    }
    d
}

/// The registry content inside a [`Registry::transact`] call.
#[derive(Debug)]
pub struct Txn {
    doc: Document,
}

impl Txn {
    /// The format version of the file being changed.
    pub fn version(&self) -> u64 {
        self.doc.version
    }

    /// Remove the dead well-formed entries, as [`Registry::clean`] does.
    pub fn clean_stale(&mut self) -> Vec<Removed> {
        self.clean_and_live().0
    }

    fn clean_and_live(&mut self) -> (Vec<Removed>, Vec<LiveEntry>) {
        let pids: Vec<u32> = self.doc.entries().map(|e| e.pid).collect();
        let facts = liveness::probe(&pids);
        let mut removed = Vec::new();
        let mut live = Vec::new();
        self.doc.slots.retain(|slot| {
            let Slot::Entry(e) = slot else {
                return true;
            };
            match liveness::judge(e, &facts) {
                Ok(identity) => {
                    live.push(LiveEntry {
                        entry: e.clone(),
                        identity,
                    });
                    true
                }
                Err(reason) => {
                    remove_pid_file(&e.project_path, e.pid);
                    removed.push(Removed {
                        project_path: e.project_path.clone(),
                        pid: e.pid,
                        port: e.port,
                        reason,
                    });
                    false
                }
            }
        });
        live.sort_by(|a, b| a.entry.project_path.cmp(&b.entry.project_path));
        removed.sort_by(|a, b| a.project_path.cmp(&b.project_path));
        (removed, live)
    }

    /// The live well-formed entries held now, sorted by `project_path`, with their identity.
    pub fn live(&self) -> Vec<LiveEntry> {
        let pids: Vec<u32> = self.doc.entries().map(|e| e.pid).collect();
        let facts = liveness::probe(&pids);
        let mut live: Vec<LiveEntry> = self
            .doc
            .entries()
            .filter_map(|e| {
                liveness::judge(e, &facts).ok().map(|identity| LiveEntry {
                    entry: e.clone(),
                    identity,
                })
            })
            .collect();
        live.sort_by(|a, b| a.entry.project_path.cmp(&b.entry.project_path));
        live
    }

    /// Replace the well-formed entries with the same `project_path` by `e`, or add it.
    /// Malformed elements are kept.
    pub fn upsert(&mut self, e: Entry) {
        self.doc
            .slots
            .retain(|s| !matches!(s, Slot::Entry(x) if x.project_path == e.project_path));
        self.doc.slots.push(Slot::Entry(e));
    }

    /// Remove the well-formed entry with this `project_path` and `pid`. Returns whether one was
    /// there.
    pub fn remove(&mut self, project_path: &Path, pid: u32) -> bool {
        let n = self.doc.slots.len();
        self.doc.slots.retain(
            |s| !matches!(s, Slot::Entry(x) if x.project_path == project_path && x.pid == pid),
        );
        self.doc.slots.len() != n
    }

    /// The well-formed entries, sorted by `project_path`.
    pub fn entries(&self) -> Vec<Entry> {
        let mut v: Vec<Entry> = self.doc.entries().cloned().collect();
        v.sort_by(|a, b| a.project_path.cmp(&b.project_path));
        v
    }

    fn find_mut(&mut self, project_path: &Path, pid: u32) -> Option<&mut Entry> {
        self.doc.slots.iter_mut().find_map(|s| match s {
            Slot::Entry(e) if e.project_path == project_path && e.pid == pid => Some(e),
            _ => None,
        })
    }
}

/// Delete `<project>/.mu/daemon.pid` if it still contains `pid` (§7.10).
fn remove_pid_file(project_path: &Path, pid: u32) {
    let path = project_path.join(".mu").join("daemon.pid");
    if let Ok(s) = std::fs::read_to_string(&path) {
        if s.trim() == pid.to_string() {
            if let Err(e) = std::fs::remove_file(&path) {
                log::warn!("Cannot remove {}: {e}", path.display());
            }
        }
    }
}

/// Alive(e) (§7.7): `Some(Verified)` when identity(e) holds, `Some(Lock)` when only
/// lock_held(e) does, `None` when the entry is dead.
pub fn alive(e: &Entry) -> Option<Identity> {
    liveness::judge(e, &liveness::probe(&[e.pid])).ok()
}

/// identity(e) (§7.7): process `e.pid` exists and is not a zombie, its start time is within
/// ±2 s of `e.process_start_time` (false when that is missing), and its name or executable file
/// name starts with `mu-daemon`.
pub fn identity(e: &Entry) -> bool {
    liveness::identity_with(e, &liveness::probe(&[e.pid]))
}

/// §7.7 "a signal is allowed": identity(e), or lock_held(e) and the project's lock file contains
/// `e.pid` and process `e.pid` is named `mu-daemon…` (covers a clock step).
pub fn signal_allowed(e: &Entry) -> bool {
    identity(e)
        || (lock_held(&e.project_path)
            && lock_file_pid(&e.project_path) == Some(e.pid)
            && is_mu_daemon_process(e.pid))
}

/// This process's start time as `sysinfo` reports it (Unix seconds). Falls back to the current
/// time if `sysinfo` cannot see this process.
pub fn own_start_time() -> u64 {
    process_start_time(std::process::id()).unwrap_or_else(|| Utc::now().timestamp().max(0) as u64)
}
