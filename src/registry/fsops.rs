//! File-system side of the registry: the `daemons.lock` lock (§7.4), atomic replace, and the
//! permission checks of §7.6.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use super::RegistryError;

pub(crate) const FILE: &str = "daemons.json";
pub(crate) const LOCK: &str = "daemons.lock";
pub(crate) const BAK: &str = "daemons.json.bak";
pub(crate) const CORRUPT: &str = "daemons.json.corrupt";

/// Interval between two non-blocking lock attempts.
const LOCK_RETRY: Duration = Duration::from_millis(10);

pub(crate) fn io_err(context: String) -> impl FnOnce(io::Error) -> RegistryError {
    move |source| RegistryError::Io { context, source }
}

/// Create `dir` (and missing parents) with mode 0700 when it does not exist.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), RegistryError> {
    if fs::metadata(dir).is_ok() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err(format!("Cannot create {}", dir.display())))
}

/// The exclusive lock on `daemons.lock`, released on drop. The file is never deleted and keeps the
/// pid of its last holder.
#[derive(Debug)]
pub(crate) struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // SAFETY: the descriptor belongs to `self.file`, which is still open.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Take the registry lock: a non-blocking `flock` attempt now and every 10 ms until `timeout`.
/// On success the holder's pid is written to the file (informational). Sleeps between attempts:
/// never call this on an async runtime worker thread.
pub(crate) fn lock(home: &Path, timeout: Duration) -> Result<LockGuard, RegistryError> {
    let path = home.join(LOCK);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path)
        .map_err(io_err(format!("Cannot open {}", path.display())))?;
    let deadline = Instant::now() + timeout;
    loop {
        // SAFETY: `file` owns the descriptor for the whole call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            let pid = std::process::id().to_string();
            // Informational only: a failure here does not matter.
            let _ = file
                .set_len(0)
                .and_then(|_| file.write_all_at(pid.as_bytes(), 0));
            return Ok(LockGuard { file });
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => {}
            _ => return Err(io_err(format!("Cannot lock {}", path.display()))(err)),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(RegistryError::LockTimeout {
                holder: read_pid(&file),
            });
        }
        std::thread::sleep(LOCK_RETRY.min(deadline - now));
    }
}

fn read_pid(file: &File) -> Option<u32> {
    let mut buf = [0u8; 32];
    let n = file.read_at(&mut buf, 0).ok()?;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
}

/// Replace `dir/name` atomically with `bytes`: write `daemons.json.tmp.<pid>` (create-exclusive,
/// no-follow, mode 0600), fsync, rename, fsync the directory. On failure the temporary file is
/// removed and the target is left as it was. Call only under the registry lock (the temporary
/// name is per process).
pub(crate) fn atomic_write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), RegistryError> {
    let target = dir.join(name);
    let tmp = dir.join(format!("{FILE}.tmp.{}", std::process::id()));
    let open = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
    };
    let mut file = match open() {
        // A leftover of a crashed process that had our pid: under the lock it is nobody's.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let _ = fs::remove_file(&tmp);
            open()
        }
        r => r,
    }
    .map_err(io_err(format!("Cannot write {}", tmp.display())))?;
    let written = file
        .write_all(bytes)
        .and_then(|_| file.sync_all())
        .and_then(|_| {
            drop(file);
            fs::rename(&tmp, &target)
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(format!("Cannot write {}", target.display()))(e));
    }
    // The rename is done; a failed directory fsync only weakens durability.
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        log::warn!("fsync of {} failed: {e}", dir.display());
    }
    Ok(())
}

fn mode_str(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

fn unsafe_home(message: String) -> RegistryError {
    RegistryError::UnsafeHome { message }
}

/// The effective uid of this process.
pub(crate) fn my_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuse when `dir` (a home directory that would receive `MU_HOME`) belongs to another user.
pub(crate) fn check_foreign_home(dir: &Path, mu_home: &Path) -> Result<(), RegistryError> {
    let me = my_uid();
    match fs::metadata(dir) {
        Ok(m) if m.uid() != me => Err(unsafe_home(format!(
            "{} is owned by uid {}, not by you (uid {me}). Refusing to create {} there; set MU_HOME to a directory you own.",
            dir.display(),
            m.uid(),
            mu_home.display()
        ))),
        _ => Ok(()),
    }
}

/// The §7.6 checks on `home` and the registry files in it. Refuses foreign ownership and
/// group/world-writable modes; tightens group/world read or execute bits (0700 for the directory,
/// 0600 for files) and returns one warning per tightened path. When `home` is missing it is
/// created (mode 0700) if `create`, else nothing is checked. Symbolic links are followed, so a
/// linked `MU_HOME` is judged by its target.
pub(crate) fn validate_home(home: &Path, create: bool) -> Result<Vec<String>, RegistryError> {
    if !home.is_absolute() {
        return Err(unsafe_home(format!(
            "MU_HOME must be an absolute path: {}",
            home.display()
        )));
    }
    match fs::metadata(home) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if !create {
                return Ok(Vec::new());
            }
            ensure_dir(home)?;
        }
        Err(e) => return Err(io_err(format!("Cannot read {}", home.display()))(e)),
        Ok(m) if !m.is_dir() => {
            return Err(unsafe_home(format!(
                "{} is not a directory.",
                home.display()
            )))
        }
        Ok(_) => {}
    }
    let mut warnings = Vec::new();
    check_path(home, home, true, &mut warnings)?;
    for name in [FILE, LOCK, BAK, CORRUPT] {
        check_path(&home.join(name), home, false, &mut warnings)?;
    }
    Ok(warnings)
}

fn check_path(
    path: &Path,
    home: &Path,
    is_dir: bool,
    warnings: &mut Vec<String>,
) -> Result<(), RegistryError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(format!("Cannot read {}", path.display()))(e)),
    };
    let me = my_uid();
    if meta.uid() != me {
        return Err(unsafe_home(format!(
            "{} is owned by uid {}, not by you (uid {me}). Fix with: sudo chown -R {me} {}",
            path.display(),
            meta.uid(),
            home.display()
        )));
    }
    let mode = meta.mode() & 0o7777;
    let (wanted, fix) = if is_dir {
        (0o700, format!("chmod 700 {}", home.display()))
    } else {
        (0o600, format!("chmod 600 {}", path.display()))
    };
    if mode & 0o022 != 0 {
        return Err(unsafe_home(format!(
            "{} is writable by other users (mode {}). Fix with: {fix}",
            path.display(),
            mode_str(mode)
        )));
    }
    if mode & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(wanted)).map_err(io_err(format!(
            "Cannot change the mode of {}",
            path.display()
        )))?;
        warnings.push(format!(
            "Tightened the permissions of {} from {} to {}.",
            path.display(),
            mode_str(mode),
            mode_str(wanted)
        ));
    }
    Ok(())
}
