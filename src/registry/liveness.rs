//! Liveness and identity (§7.7): `sysinfo` refreshed only for the pids asked about, the
//! project-lock probe, and the "signal allowed" rule.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

use super::{Entry, Identity, StaleReason};

/// How far (in seconds) a process's start time may differ from the recorded
/// `process_start_time` and still count as the same process.
pub const START_TIME_TOLERANCE_SECS: u64 = 2;

/// What `sysinfo` says about one existing, non-zombie process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcFacts {
    /// Unix seconds.
    pub start_time: u64,
    /// The process name or the executable's file name starts with `mu-daemon`.
    pub mu_named: bool,
}

/// Facts for those of `pids` that exist and are not zombies. Refreshes `sysinfo` for exactly
/// these pids (no scan of the process table), reading only the stat file and the exe link.
pub(crate) fn probe(pids: &[u32]) -> HashMap<u32, ProcFacts> {
    let mut out = HashMap::new();
    if pids.is_empty() {
        return out;
    }
    // Duplicates must go: sysinfo drops a pid listed twice (its "updated" flag flips back).
    let mut wanted: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut sys = System::new();
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&wanted),
        true,
        ProcessRefreshKind::nothing()
            .without_tasks()
            .with_exe(UpdateKind::OnlyIfNotSet),
    );
    for &pid in pids {
        let Some(p) = sys.process(Pid::from_u32(pid)) else {
            continue;
        };
        // A zombie has exited; in containers nobody may ever reap it.
        if p.status() == ProcessStatus::Zombie || is_zombie_proc(pid) {
            continue;
        }
        let named = |s: &std::ffi::OsStr| s.to_string_lossy().starts_with("mu-daemon");
        let mu_named = named(p.name()) || p.exe().and_then(Path::file_name).is_some_and(named);
        out.insert(
            pid,
            ProcFacts {
                start_time: p.start_time(),
                mu_named,
            },
        );
    }
    out
}

/// Linux: the state field of `/proc/<pid>/stat` is `Z`. Elsewhere `sysinfo`'s status decides.
fn is_zombie_proc(pid: u32) -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) S ...`: comm may contain spaces and parentheses, so split at the last `)`.
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        .is_some_and(|state| state == "Z")
}

/// identity(e) against pre-fetched facts.
pub(crate) fn identity_with(e: &Entry, facts: &HashMap<u32, ProcFacts>) -> bool {
    match (facts.get(&e.pid), e.process_start_time) {
        (Some(f), Some(t)) => f.mu_named && f.start_time.abs_diff(t) <= START_TIME_TOLERANCE_SECS,
        _ => false,
    }
}

/// Alive(e) = identity(e) OR lock_held(e); `Err` carries why a dead entry is stale.
pub(crate) fn judge(e: &Entry, facts: &HashMap<u32, ProcFacts>) -> Result<Identity, StaleReason> {
    if identity_with(e, facts) {
        return Ok(Identity::Verified);
    }
    if lock_held(&e.project_path) {
        return Ok(Identity::Lock);
    }
    Err(match facts.get(&e.pid) {
        None => StaleReason::ProcessGone,
        Some(f) => match e.process_start_time {
            Some(t) if f.start_time.abs_diff(t) > START_TIME_TOLERANCE_SECS => {
                StaleReason::PidReused
            }
            _ if !f.mu_named => StaleReason::NotMuDaemon,
            // A mu-daemon without a recorded start time that does not hold the project lock.
            _ => StaleReason::PidReused,
        },
    })
}

fn project_lock_path(project_path: &Path) -> PathBuf {
    project_path.join(".mu").join("daemon.lock")
}

/// Whether another open file description holds an exclusive `flock` on
/// `<project_path>/.mu/daemon.lock`. Opens the file read-only and never creates or writes it; a
/// probe that gets the lock releases it at once. A missing or unopenable file counts as not held.
pub fn lock_held(project_path: &Path) -> bool {
    let Ok(file) = OpenOptions::new()
        .read(true)
        // Never block in open (a FIFO planted there would otherwise hang us).
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(project_lock_path(project_path))
    else {
        return false;
    };
    let fd = file.as_raw_fd();
    loop {
        // SAFETY: `fd` is a valid open descriptor owned by `file` for this whole scope.
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            // SAFETY: as above.
            unsafe { libc::flock(fd, libc::LOCK_UN) };
            return false;
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return true,
            _ => return false,
        }
    }
}

/// The pid written in `<project_path>/.mu/daemon.lock` (decimal, surrounding whitespace ignored).
pub fn lock_file_pid(project_path: &Path) -> Option<u32> {
    use std::io::Read;
    let mut s = String::new();
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(project_lock_path(project_path))
        .ok()?
        .take(64)
        .read_to_string(&mut s)
        .ok()?;
    s.trim().parse().ok()
}

/// The start time of `pid` in Unix seconds as `sysinfo` reports it; `None` when the process does
/// not exist or is a zombie.
pub fn process_start_time(pid: u32) -> Option<u64> {
    probe(&[pid]).get(&pid).map(|f| f.start_time)
}

/// Whether `pid` is a live (non-zombie) process whose name or executable file name starts with
/// `mu-daemon`.
pub fn is_mu_daemon_process(pid: u32) -> bool {
    probe(&[pid]).get(&pid).is_some_and(|f| f.mu_named)
}
