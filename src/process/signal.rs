//! The stop protocol for one daemon (`cli-and-registry.md` §5): identity check, SIGTERM (through
//! a pidfd on Linux), bounded wait, identity check again, SIGKILL, bounded wait. The identity
//! check (§7.7) is injected, so that this module knows nothing about the registry.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Spec values (§13): SIGTERM → exit, SIGKILL → exit, poll interval.
pub const TERM_WAIT: Duration = Duration::from_secs(5);
pub const KILL_WAIT: Duration = Duration::from_secs(2);
pub const POLL: Duration = Duration::from_millis(100);

/// Result of the identity check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The process is the daemon it is supposed to be: signalling is allowed.
    Allowed,
    /// No such process.
    Gone,
    /// A process with that pid exists but could not be verified to be the daemon.
    NotAllowed,
}

/// How a stop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    /// Exited after SIGTERM (or its pid now belongs to another process).
    Stopped,
    /// Exited after SIGKILL.
    Killed,
    /// Was not running.
    AlreadyGone,
    /// Could not be stopped; the reason.
    Failed(String),
    /// Identity could not be verified; not signalled.
    SkippedUnverified,
    /// `cancel` was set before the process was gone.
    Interrupted,
}

impl StopOutcome {
    /// The JSON spelling (`stopped`, `killed`, `already_gone`, `failed`, `skipped_unverified`,
    /// `interrupted`).
    pub fn as_str(&self) -> &'static str {
        match self {
            StopOutcome::Stopped => "stopped",
            StopOutcome::Killed => "killed",
            StopOutcome::AlreadyGone => "already_gone",
            StopOutcome::Failed(_) => "failed",
            StopOutcome::SkippedUnverified => "skipped_unverified",
            StopOutcome::Interrupted => "interrupted",
        }
    }
}

/// The reason shown with [`StopOutcome::SkippedUnverified`].
pub const UNVERIFIED_REASON: &str = "identity could not be verified; not signalled";

/// Stop `pid` following §5. `check` is called before each signal and while waiting (a pid that
/// no longer passes it has exited and been reused). Every step is bounded by the given waits;
/// `cancel` (Ctrl-C) is honoured between polls.
pub fn stop(
    pid: u32,
    check: &dyn Fn() -> Check,
    term_wait: Duration,
    kill_wait: Duration,
    poll: Duration,
    cancel: &AtomicBool,
) -> StopOutcome {
    stop_with(pid, check, term_wait, kill_wait, poll, cancel, true)
}

fn stop_with(
    pid: u32,
    check: &dyn Fn() -> Check,
    term_wait: Duration,
    kill_wait: Duration,
    poll: Duration,
    cancel: &AtomicBool,
    use_pidfd: bool,
) -> StopOutcome {
    if pid == 0 || pid > i32::MAX as u32 {
        return StopOutcome::Failed(format!("invalid pid {pid}"));
    }
    match check() {
        Check::NotAllowed => return StopOutcome::SkippedUnverified,
        Check::Gone => return StopOutcome::AlreadyGone,
        Check::Allowed => {}
    }
    if cancel.load(Ordering::SeqCst) {
        return StopOutcome::Interrupted;
    }
    let target = if use_pidfd {
        Target::open(pid)
    } else {
        Target { pid, pidfd: None }
    };
    if target.pidfd.is_some() {
        // The pidfd pins the process only if it was opened before the pid could be reused:
        // verify again now that it is open.
        match check() {
            Check::Allowed => {}
            Check::Gone => return StopOutcome::AlreadyGone,
            Check::NotAllowed => return StopOutcome::SkippedUnverified,
        }
    }

    match target.signal(libc::SIGTERM) {
        Ok(true) => {}
        Ok(false) => return StopOutcome::AlreadyGone,
        Err(err) => return StopOutcome::Failed(format!("cannot send SIGTERM: {err}")),
    }
    match wait_gone(&target, check, term_wait, poll, cancel) {
        Wait::Gone => return StopOutcome::Stopped,
        Wait::Cancelled => return StopOutcome::Interrupted,
        Wait::TimedOut => {}
    }

    if target.is_gone() || check() != Check::Allowed {
        return StopOutcome::Stopped;
    }
    match target.signal(libc::SIGKILL) {
        Ok(true) => {}
        Ok(false) => return StopOutcome::Stopped,
        Err(err) => return StopOutcome::Failed(format!("cannot send SIGKILL: {err}")),
    }
    match wait_gone(&target, check, kill_wait, poll, cancel) {
        Wait::Gone => StopOutcome::Killed,
        Wait::Cancelled => StopOutcome::Interrupted,
        Wait::TimedOut => StopOutcome::Failed("still running after SIGKILL".to_string()),
    }
}

enum Wait {
    Gone,
    TimedOut,
    Cancelled,
}

fn wait_gone(
    target: &Target,
    check: &dyn Fn() -> Check,
    wait: Duration,
    poll: Duration,
    cancel: &AtomicBool,
) -> Wait {
    let deadline = Instant::now() + wait;
    let poll = poll.max(Duration::from_millis(1));
    loop {
        if target.is_gone() || check() != Check::Allowed {
            return Wait::Gone;
        }
        if cancel.load(Ordering::SeqCst) {
            return Wait::Cancelled;
        }
        let now = Instant::now();
        if now >= deadline {
            return Wait::TimedOut;
        }
        target.sleep(poll.min(deadline - now));
    }
}

/// Whether `pid` no longer runs: no such process, or a zombie (exited, not yet reaped — in a
/// container whose PID 1 does not reap, a zombie may stay forever).
pub fn is_gone(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return true;
    }
    // SAFETY: signal 0 only checks for existence and permission.
    if unsafe { libc::kill(pid as libc::pid_t, 0) } == -1
        && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    {
        return true;
    }
    is_zombie(pid)
}

#[cfg(target_os = "linux")]
fn is_zombie(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may contain anything.
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].trim_start().chars().next())
            .is_some_and(|state| state == 'Z' || state == 'X'),
        // Reaped since kill(2) answered (the next poll sees ESRCH), or hidden by `hidepid`:
        // not provably gone.
        Err(_) => false,
    }
}

#[cfg(not(target_os = "linux"))]
fn is_zombie(_pid: u32) -> bool {
    false
}

/// The process being stopped: its pid and, on Linux when available, a pidfd.
struct Target {
    pid: u32,
    pidfd: Option<std::os::fd::OwnedFd>,
}

impl Target {
    fn open(pid: u32) -> Target {
        Target {
            pid,
            pidfd: open_pidfd(pid),
        }
    }

    /// Send `sig`; Ok(false) when the process no longer exists.
    fn signal(&self, sig: libc::c_int) -> io::Result<bool> {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.pidfd {
            use std::os::fd::AsRawFd;
            // SAFETY: pidfd_send_signal(pidfd, sig, NULL, 0).
            let r = unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    sig,
                    std::ptr::null::<libc::siginfo_t>(),
                    0 as libc::c_uint,
                )
            };
            if r == 0 {
                return Ok(true);
            }
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                Some(libc::ESRCH) => Ok(false),
                _ => Err(err),
            };
        }
        // SAFETY: plain kill(2) on a verified positive pid.
        if unsafe { libc::kill(self.pid as libc::pid_t, sig) } == 0 {
            return Ok(true);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ESRCH) => Ok(false),
            _ => Err(err),
        }
    }

    fn is_gone(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.pidfd {
            // A pidfd polls readable once the process has exited (zombie or reaped).
            if poll_fd(fd, 0) {
                return true;
            }
        }
        is_gone(self.pid)
    }

    /// Sleep up to `d`, waking early when the process exits (pidfd).
    fn sleep(&self, d: Duration) {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.pidfd {
            let ms = d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            poll_fd(fd, ms);
            return;
        }
        thread::sleep(d);
    }
}

#[cfg(target_os = "linux")]
fn open_pidfd(pid: u32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open(pid, 0); the result is a fresh close-on-exec descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0 as libc::c_uint) };
    if fd < 0 {
        return None; // ENOSYS (kernel < 5.3), EPERM in some sandboxes, ESRCH: use kill(2)
    }
    // SAFETY: the kernel just returned this descriptor to us.
    Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(not(target_os = "linux"))]
fn open_pidfd(_pid: u32) -> Option<std::os::fd::OwnedFd> {
    None
}

#[cfg(target_os = "linux")]
fn poll_fd(fd: &std::os::fd::OwnedFd, timeout_ms: i32) -> bool {
    use std::os::fd::AsRawFd;
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    n > 0 && pfd.revents != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;

    fn alive_check(pid: u32) -> impl Fn() -> Check {
        move || {
            if is_gone(pid) {
                Check::Gone
            } else {
                Check::Allowed
            }
        }
    }

    /// A `sleep 30` whose setup is known to be complete: it printed a line first.
    fn spawn_after(setup: &str) -> Child {
        let mut child = Command::new("/bin/sh")
            .args(["-c", &format!("{setup} echo up; exec sleep 30")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "up\n");
        child
    }

    static NO: AtomicBool = AtomicBool::new(false);

    #[test]
    fn sigterm_stops_a_plain_process() {
        let mut child = spawn_after("");
        let pid = child.id();
        let started = Instant::now();
        let outcome = stop(
            pid,
            &alive_check(pid),
            TERM_WAIT,
            KILL_WAIT,
            Duration::from_millis(10),
            &NO,
        );
        assert_eq!(outcome, StopOutcome::Stopped);
        assert!(started.elapsed() < Duration::from_secs(4));
        assert!(is_gone(pid), "an unreaped child counts as gone");
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGTERM));
        assert_eq!(outcome.as_str(), "stopped");
    }

    #[test]
    fn ignored_sigterm_leads_to_sigkill_after_term_wait() {
        // An ignored signal stays ignored across exec.
        let mut child = spawn_after("trap '' TERM;");
        let pid = child.id();
        let started = Instant::now();
        let outcome = stop(
            pid,
            &alive_check(pid),
            Duration::from_millis(300),
            KILL_WAIT,
            Duration::from_millis(20),
            &NO,
        );
        let took = started.elapsed();
        assert_eq!(outcome, StopOutcome::Killed);
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(3),
            "{took:?}"
        );
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    }

    #[test]
    fn kill_fallback_without_pidfd() {
        let mut child = spawn_after("");
        let pid = child.id();
        let outcome = stop_with(
            pid,
            &alive_check(pid),
            TERM_WAIT,
            KILL_WAIT,
            Duration::from_millis(10),
            &NO,
            false,
        );
        assert_eq!(outcome, StopOutcome::Stopped);
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGTERM));

        let mut child = spawn_after("trap '' TERM;");
        let pid = child.id();
        let short = Duration::from_millis(200);
        let outcome = stop_with(
            pid,
            &alive_check(pid),
            short,
            KILL_WAIT,
            Duration::from_millis(10),
            &NO,
            false,
        );
        assert_eq!(outcome, StopOutcome::Killed);
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    }

    #[test]
    fn not_allowed_is_skipped_and_process_untouched() {
        let mut child = spawn_after("");
        let pid = child.id();
        let outcome = stop(pid, &|| Check::NotAllowed, TERM_WAIT, KILL_WAIT, POLL, &NO);
        assert_eq!(outcome, StopOutcome::SkippedUnverified);
        assert!(!is_gone(pid));
        assert!(child.try_wait().unwrap().is_none());
        child.kill().unwrap();
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    }

    #[test]
    fn gone_process_is_already_gone() {
        let mut child = Command::new("/bin/sh")
            .args(["-c", "exit 0"])
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(is_gone(pid));
        let outcome = stop(pid, &alive_check(pid), TERM_WAIT, KILL_WAIT, POLL, &NO);
        assert_eq!(outcome, StopOutcome::AlreadyGone);
        assert_eq!(
            stop(0, &|| Check::Allowed, TERM_WAIT, KILL_WAIT, POLL, &NO).as_str(),
            "failed"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pidfd_is_used_when_the_kernel_has_it() {
        let child = spawn_after("");
        let target = Target::open(child.id());
        eprintln!("pidfd available: {}", target.pidfd.is_some());
        assert!(!target.is_gone());
        drop(target);
        let mut child = child;
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn zombie_counts_as_gone() {
        let mut child = Command::new("/bin/sh")
            .args(["-c", "exit 0"])
            .spawn()
            .unwrap();
        let pid = child.id();
        // Wait for the exit without reaping it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        assert_eq!(r, 0);
        assert_eq!(unsafe { libc::kill(pid as i32, 0) }, 0, "still a zombie");
        assert!(is_gone(pid));
        child.wait().unwrap();
        assert!(is_gone(pid));
    }

    #[test]
    fn identity_change_while_waiting_counts_as_stopped() {
        // The pid "is reused": the check stops matching after the first SIGTERM; the real
        // process ignores SIGTERM and must not get SIGKILL.
        let mut child = spawn_after("trap '' TERM;");
        let pid = child.id();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let check = || {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Check::Allowed
            } else {
                Check::NotAllowed
            }
        };
        let outcome = stop(
            pid,
            &check,
            TERM_WAIT,
            KILL_WAIT,
            Duration::from_millis(10),
            &NO,
        );
        assert_eq!(outcome, StopOutcome::Stopped);
        assert!(
            child.try_wait().unwrap().is_none(),
            "must not have been killed"
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn cancel_while_waiting_interrupts() {
        let mut child = spawn_after("trap '' TERM;");
        let pid = child.id();
        let cancel = Arc::new(AtomicBool::new(false));
        let setter = {
            let cancel = cancel.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(100));
                cancel.store(true, Ordering::SeqCst);
            })
        };
        let started = Instant::now();
        let outcome = stop(
            pid,
            &alive_check(pid),
            Duration::from_secs(20),
            KILL_WAIT,
            Duration::from_millis(10),
            &cancel,
        );
        setter.join().unwrap();
        assert_eq!(outcome, StopOutcome::Interrupted);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(child.try_wait().unwrap().is_none());
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
