//! `<root>/.mu/daemon.pid` (`cli-and-registry.md` §9): the daemon's pid in decimal ASCII with no
//! trailing newline, mode 0600, written atomically. Kept for older tools only: mu-daemon never
//! decides liveness from it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Write `pid` to `path` atomically: a temporary file in the same directory (created 0600) is
/// written, synced and renamed over `path`, so readers see either the old or the new content.
pub fn write(path: &Path, pid: u32) -> io::Result<()> {
    let tmp = temp_path(path)?;
    let _ = fs::remove_file(&tmp); // left over by a crash of this same pid; never someone else's
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(pid.to_string().as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The pid in `path`, if the file exists and holds a positive decimal number. Surrounding
/// whitespace (a newline written by another tool) is accepted.
pub fn read(path: &Path) -> Option<u32> {
    let text = fs::read_to_string(path).ok()?;
    text.trim().parse::<u32>().ok().filter(|&pid| pid != 0)
}

/// Remove `path` only if it still contains `pid`; true when this call removed it. Another
/// daemon's pid file (a newer daemon of the same project) is left alone.
pub fn remove_if(path: &Path, pid: u32) -> bool {
    read(path) == Some(pid) && fs::remove_file(path).is_ok()
}

fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "pid file path has no file name",
        )
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    Ok(path.with_file_name(tmp_name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn write_is_decimal_without_newline_and_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.pid");
        write(&path, 48213).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"48213");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(read(&path), Some(48213));
        // Replacing leaves no temporary file behind.
        write(&path, 7).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"7");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("daemon.pid")]);
    }

    #[test]
    fn read_tolerates_newline_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.pid");
        assert_eq!(read(&path), None);
        fs::write(&path, "123\n").unwrap();
        assert_eq!(read(&path), Some(123));
        fs::write(&path, "12x").unwrap();
        assert_eq!(read(&path), None);
        fs::write(&path, "0").unwrap();
        assert_eq!(read(&path), None);
        fs::write(&path, "").unwrap();
        assert_eq!(read(&path), None);
    }

    #[test]
    fn remove_if_only_removes_own_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.pid");
        assert!(!remove_if(&path, 5));
        write(&path, 5).unwrap();
        assert!(!remove_if(&path, 6));
        assert!(path.exists());
        assert!(remove_if(&path, 5));
        assert!(!path.exists());
    }
}
