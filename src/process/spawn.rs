//! Launching the serve process (`cli-and-registry.md` §4.2, §4.3): a new process image (fork
//! immediately followed by exec, through `std::process::Command`, which is safe in a
//! multi-threaded caller), in its own session, with stdin/stdout/stderr on `/dev/null`, the project
//! root as working directory, the inherited environment plus extras, and no inherited descriptor
//! but the readiness pipe's write end.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::ready::{pipe, ReadyReader};

/// Launch `exe args… --ready-fd N` and return the child and the pipe's read end. The parent's
/// copy of the write end is closed before returning, so the reader sees end of file as soon as
/// the child (and anything it passed the descriptor to) has exited.
pub fn spawn_serve(
    exe: &Path,
    args: &[OsString],
    cwd: &Path,
    extra_env: &[(String, String)],
) -> io::Result<(Child, ReadyReader)> {
    let (reader, write_end) = pipe()?;
    let fd = write_end.as_raw_fd();
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .arg("--ready-fd")
        .arg(fd.to_string())
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, value) in extra_env {
        cmd.env(key, value);
    }
    // SAFETY: runs in the forked child before exec and only makes async-signal-safe system
    // calls (setsid, fcntl, close_range, getrlimit); it allocates nothing and takes no locks.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            // Descriptors this process itself inherited without close-on-exec (from a shell or
            // a supervisor) would otherwise leak into the daemon.
            mark_cloexec_except(fd);
            // The write end was created close-on-exec so that no other child spawned meanwhile
            // by another thread inherits it; in this child only, keep it across exec.
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags == -1 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn();
    drop(write_end);
    Ok((child?, reader))
}

/// Mark every descriptor above 2 except `keep` close-on-exec. Runs between fork and exec:
/// system calls only.
unsafe fn mark_cloexec_except(keep: RawFd) {
    #[cfg(target_os = "linux")]
    {
        let flag = libc::CLOSE_RANGE_CLOEXEC as libc::c_uint;
        let below = if keep > 3 {
            libc::syscall(
                libc::SYS_close_range,
                3 as libc::c_uint,
                (keep - 1) as libc::c_uint,
                flag,
            )
        } else {
            0
        };
        let above = libc::syscall(
            libc::SYS_close_range,
            (keep + 1) as libc::c_uint,
            libc::c_uint::MAX,
            flag,
        );
        if below == 0 && above == 0 {
            return;
        }
    }
    // No close_range (older kernel, macOS): walk the descriptor table, bounded.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
        limit.rlim_cur.min(65_536) as RawFd
    } else {
        1024
    };
    for other in 3..max {
        if other != keep {
            let flags = libc::fcntl(other, libc::F_GETFD);
            if flags != -1 && flags & libc::FD_CLOEXEC == 0 {
                libc::fcntl(other, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ready::ReadyOutcome;
    use std::collections::BTreeSet;
    use std::fs;
    use std::time::{Duration, Instant};

    /// bash where available: dash rejects `>&N` for N above 9, and parallel tests open many
    /// descriptors.
    fn shell() -> &'static Path {
        if Path::new("/bin/bash").exists() {
            Path::new("/bin/bash")
        } else {
            Path::new("/bin/sh")
        }
    }

    fn sh(script: &str) -> Vec<OsString> {
        // `sh -c script sh --ready-fd N`: the fd number is $2.
        vec!["-c".into(), script.into(), "sh".into()]
    }

    fn deadline(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[test]
    fn child_reports_ready_through_the_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, mut reader) = spawn_serve(
            shell(),
            &sh(r#"echo '{"event":"progress","phase":"locking"}' >&$2; echo '{"event":"ready","pid":1,"port":2}' >&$2"#),
            dir.path(),
            &[],
        )
        .unwrap();
        let mut phases = Vec::new();
        let outcome = reader.wait(deadline(10_000), |v| phases.push(v["phase"].clone()));
        assert_eq!(outcome, ReadyOutcome::Ready { pid: 1, port: 2 });
        assert_eq!(phases, vec![serde_json::json!("locking")]);
        assert!(child.wait().unwrap().success());
    }

    #[test]
    fn child_that_exits_gives_eof_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, mut reader) = spawn_serve(shell(), &sh("exit 3"), dir.path(), &[]).unwrap();
        let started = Instant::now();
        assert_eq!(reader.wait(deadline(10_000), |_| {}), ReadyOutcome::Eof);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(child.wait().unwrap().code(), Some(3));
    }

    #[test]
    fn silent_child_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, mut reader) =
            spawn_serve(shell(), &sh("exec sleep 30"), dir.path(), &[]).unwrap();
        let started = Instant::now();
        assert_eq!(reader.wait(deadline(200), |_| {}), ReadyOutcome::Timeout);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(5),
            "{took:?}"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        // The only holder of the write end is gone: end of file now.
        assert_eq!(reader.wait(deadline(10_000), |_| {}), ReadyOutcome::Eof);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn child_has_own_session_null_stdio_cwd_env_and_only_the_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().canonicalize().unwrap();
        let (mut child, mut reader) = spawn_serve(
            shell(),
            &sh(r#"echo '{"event":"progress","phase":"up"}' >&$2; exec sleep 30"#),
            &cwd,
            &[("MU_DAEMON_TOKEN".into(), "0123456789abcdef".into())],
        )
        .unwrap();
        let pid = child.id();
        // The progress line means the shell has run; after `exec sleep` the image keeps the pid
        // and its descriptors. Wait until the exec has happened.
        let mut up = false;
        let outcome = reader.wait(deadline(200), |_| up = true);
        assert!(up, "{outcome:?}");
        let exec_deadline = deadline(10_000);
        while fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap()
            .trim()
            != "sleep"
        {
            assert!(Instant::now() < exec_deadline, "child never exec'd sleep");
            std::thread::sleep(Duration::from_millis(10));
        }

        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        // After the comm: state, ppid, pgrp, session.
        assert_eq!(
            fields[3],
            pid.to_string(),
            "session id must be the child's pid"
        );
        assert_eq!(
            fields[2],
            pid.to_string(),
            "process group must be the child's pid"
        );

        let fd_dir = format!("/proc/{pid}/fd");
        let fds: BTreeSet<i32> = fs::read_dir(&fd_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(fds.len(), 4, "{fds:?}");
        assert!(fds.contains(&0) && fds.contains(&1) && fds.contains(&2));
        let pipe_fd = *fds.iter().find(|&&fd| fd > 2).unwrap();
        for fd in 0..3 {
            assert_eq!(
                fs::read_link(format!("{fd_dir}/{fd}")).unwrap(),
                Path::new("/dev/null")
            );
        }
        assert!(fs::read_link(format!("{fd_dir}/{pipe_fd}"))
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("pipe:"));
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        assert_eq!(cmdline, b"sleep\x0030\x00");

        assert_eq!(fs::read_link(format!("/proc/{pid}/cwd")).unwrap(), cwd);
        let environ = fs::read(format!("/proc/{pid}/environ")).unwrap();
        assert!(environ
            .split(|&b| b == 0)
            .any(|e| e == b"MU_DAEMON_TOKEN=0123456789abcdef"));
        if let Some(path) = std::env::var_os("PATH") {
            let mut expected = b"PATH=".to_vec();
            expected.extend_from_slice(path.as_encoded_bytes());
            assert!(environ.split(|&b| b == 0).any(|e| e == expected.as_slice()));
        }

        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(reader.wait(deadline(10_000), |_| {}), ReadyOutcome::Eof);
    }

    #[test]
    fn ready_fd_argument_comes_last() {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, mut reader) = spawn_serve(
            shell(),
            &sh(r#"[ "$1" = --ready-fd ] && [ $# -eq 2 ] && printf '{"event":"ready","pid":%d,"port":9}\n' "$2" >&$2"#),
            dir.path(),
            &[],
        )
        .unwrap();
        match reader.wait(deadline(10_000), |_| {}) {
            ReadyOutcome::Ready { pid, port: 9 } => assert!(pid > 2),
            other => panic!("{other:?}"),
        }
        child.wait().unwrap();
    }

    #[test]
    fn missing_executable_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = spawn_serve(&dir.path().join("nope"), &[], dir.path(), &[]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
