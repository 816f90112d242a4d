//! The per-project lock `<root>/.mu/daemon.lock` (`cli-and-registry.md` §4.1 step 4, §9): an
//! exclusive advisory lock held for the daemon's whole life, or by `index`/`start` while
//! indexing. The file holds the holder's pid (informational) and is never deleted; the kernel
//! releases the lock when the holder dies.
//!
//! Locking goes through `fslock`, whose Unix implementation is `flock(2)` (`LOCK_EX | LOCK_NB`)
//! on a descriptor opened `O_RDWR | O_CLOEXEC | O_CREAT` — the same lock the registry probes with
//! `flock`. `fslock` creates files 0644, so the file is created 0600 here first.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Interval between lock attempts (§13: "every 50 ms").
pub const RETRY_INTERVAL: Duration = Duration::from_millis(50);

/// The project lock, held until dropped.
pub struct ProjectLock {
    file: fslock::LockFile,
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another handle holds it; `pid` is the one written in the file, when readable.
    Held {
        pid: Option<u32>,
    },
    Io(io::Error),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held { pid: Some(pid) } => write!(f, "locked by pid {pid}"),
            LockError::Held { pid: None } => write!(f, "locked by another process"),
            LockError::Io(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LockError::Io(err) => Some(err),
            LockError::Held { .. } => None,
        }
    }
}

impl From<io::Error> for LockError {
    fn from(err: io::Error) -> Self {
        LockError::Io(err)
    }
}

impl ProjectLock {
    /// Take the lock without blocking, retrying every 50 ms until `retry_for` has elapsed (at
    /// least one attempt is made). On success the file holds this process's pid.
    pub fn try_for(path: &Path, retry_for: Duration) -> Result<ProjectLock, LockError> {
        let mut file = open(path)?;
        let deadline = Instant::now() + retry_for;
        loop {
            if file.try_lock_with_pid()? {
                return Ok(ProjectLock {
                    file,
                    path: path.to_path_buf(),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(LockError::Held {
                    pid: holder_pid(path),
                });
            }
            thread::sleep(RETRY_INTERVAL.min(deadline - now));
        }
    }

    /// Wait for the lock as long as it takes. `on_wait` is called once, with the holder's pid,
    /// when the first attempt fails. Setting `cancel` makes the wait return
    /// `Err(LockError::Io(ErrorKind::Interrupted))` within about 50 ms.
    pub fn wait(
        path: &Path,
        mut on_wait: impl FnMut(Option<u32>),
        cancel: &AtomicBool,
    ) -> Result<ProjectLock, LockError> {
        let mut file = open(path)?;
        let mut waited = false;
        loop {
            if file.try_lock_with_pid()? {
                return Ok(ProjectLock {
                    file,
                    path: path.to_path_buf(),
                });
            }
            if cancel.load(Ordering::SeqCst) {
                return Err(LockError::Io(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "interrupted while waiting for the project lock",
                )));
            }
            if !waited {
                waited = true;
                on_wait(holder_pid(path));
            }
            thread::sleep(RETRY_INTERVAL);
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Debug for ProjectLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectLock")
            .field("path", &self.path)
            .field("owns_lock", &self.file.owns_lock())
            .finish()
    }
}

/// The pid written in a lock file by its holder, if any.
pub fn holder_pid(path: &Path) -> Option<u32> {
    let text = fs::read_to_string(path).ok()?;
    text.trim().parse::<u32>().ok().filter(|&pid| pid != 0)
}

fn open(path: &Path) -> io::Result<fslock::LockFile> {
    // Create with 0600 (fslock would use 0644); an existing file keeps its mode and content.
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    fslock::LockFile::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn held_reports_pid_and_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.lock");
        let first = ProjectLock::try_for(&path, Duration::ZERO).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(holder_pid(&path), Some(std::process::id()));

        let started = Instant::now();
        match ProjectLock::try_for(&path, Duration::from_millis(120)) {
            Err(LockError::Held { pid }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Held, got {other:?}"),
        }
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(120), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");

        drop(first);
        let second = ProjectLock::try_for(&path, Duration::ZERO).unwrap();
        assert_eq!(second.path(), path.as_path());
        assert_eq!(holder_pid(&path), Some(std::process::id()));
    }

    #[test]
    fn try_for_succeeds_once_released_within_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.lock");
        let first = ProjectLock::try_for(&path, Duration::ZERO).unwrap();
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            drop(first);
        });
        ProjectLock::try_for(&path, Duration::from_secs(5)).unwrap();
        releaser.join().unwrap();
    }

    #[test]
    fn wait_calls_on_wait_once_and_can_be_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.lock");
        let held = ProjectLock::try_for(&path, Duration::ZERO).unwrap();

        let cancel = Arc::new(AtomicBool::new(false));
        let calls = AtomicUsize::new(0);
        let setter = {
            let cancel = cancel.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(150));
                cancel.store(true, Ordering::SeqCst);
            })
        };
        let started = Instant::now();
        let result = ProjectLock::wait(
            &path,
            |pid| {
                assert_eq!(pid, Some(std::process::id()));
                calls.fetch_add(1, Ordering::SeqCst);
            },
            &cancel,
        );
        setter.join().unwrap();
        match result {
            Err(LockError::Io(err)) => assert_eq!(err.kind(), io::ErrorKind::Interrupted),
            other => panic!("expected Interrupted, got {other:?}"),
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(started.elapsed() < Duration::from_secs(5));

        // Released: wait returns at once without calling on_wait.
        drop(held);
        let cancel = AtomicBool::new(false);
        let lock = ProjectLock::wait(&path, |_| panic!("must not wait"), &cancel).unwrap();
        drop(lock);
    }

    #[test]
    fn existing_file_mode_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.lock");
        fs::write(&path, "").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let _lock = ProjectLock::try_for(&path, Duration::ZERO).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
}
