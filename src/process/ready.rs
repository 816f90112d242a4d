//! The readiness pipe (`cli-and-registry.md` §4.2): `start` passes the write end to the serve
//! process as `--ready-fd N`; the child writes newline-terminated JSON events (`progress`, then
//! `ready` or `error`) and closes it. End of file without `ready` or `error` means the child died,
//! and the reader sees that at once.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Map, Value};

/// Longest line kept while waiting for its newline; longer ones are dropped as malformed.
const MAX_LINE: usize = 1024 * 1024;

/// Create the pipe. Both ends are close-on-exec; the spawner makes only the write end
/// inheritable, in the child.
pub fn pipe() -> io::Result<(ReadyReader, OwnedFd)> {
    let mut fds = [-1 as RawFd; 2];
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        // SAFETY: fds is a valid array of two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    {
        // SAFETY: fds is a valid array of two descriptors.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } == -1 {
            return Err(io::Error::last_os_error());
        }
        for fd in fds {
            set_cloexec(fd)?;
        }
    }
    // SAFETY: pipe returned two fresh descriptors that nothing else owns.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((ReadyReader::new(read), write))
}

pub(crate) fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor number; failure is reported through errno.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags == -1 || unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The child's side. All methods ignore write errors: a parent that has gone away (EPIPE) must
/// not stop the daemon.
#[derive(Debug)]
pub struct Reporter {
    pipe: Mutex<Option<File>>,
}

impl Reporter {
    /// Take over the inherited write end named by `--ready-fd`. Validates that `fd` is an open
    /// pipe above the standard descriptors, and marks it close-on-exec so that it is not
    /// inherited further. Call it once: the descriptor is owned (and closed) by the reporter.
    pub fn from_fd(fd: RawFd) -> io::Result<Reporter> {
        if fd <= 2 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--ready-fd {fd} is a standard descriptor"),
            ));
        }
        // SAFETY: fstat into a zeroed struct; an invalid descriptor gives EBADF.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } == -1 {
            let err = io::Error::last_os_error();
            return Err(io::Error::new(
                err.kind(),
                format!("--ready-fd {fd}: {err}"),
            ));
        }
        if st.st_mode & libc::S_IFMT != libc::S_IFIFO {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--ready-fd {fd} is not a pipe"),
            ));
        }
        set_cloexec(fd)?;
        // SAFETY: the descriptor is open, is a pipe, and was handed to this process to own.
        let file = unsafe { File::from_raw_fd(fd) };
        Ok(Reporter {
            pipe: Mutex::new(Some(file)),
        })
    }

    /// A reporter without a pipe (`run`, `serve` without `--ready-fd`): every call is a no-op.
    pub fn none() -> Reporter {
        Reporter {
            pipe: Mutex::new(None),
        }
    }

    /// Whether a pipe is still open.
    pub fn is_active(&self) -> bool {
        self.pipe
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// `{"event":"progress","phase":…,"files_done"?:…,"files_total"?:…}`
    pub fn progress(&self, phase: &str, files_done: Option<usize>, files_total: Option<usize>) {
        let mut event = json!({"event": "progress", "phase": phase});
        if let Some(done) = files_done {
            event["files_done"] = json!(done);
        }
        if let Some(total) = files_total {
            event["files_total"] = json!(total);
        }
        self.send(&event, false);
    }

    /// `{"event":"ready","pid":…,"port":…}`, then close the pipe.
    pub fn ready(&self, pid: u32, port: u16) {
        self.send(&json!({"event": "ready", "pid": pid, "port": port}), true);
    }

    /// `{"event":"error", …fields of event}`, then close the pipe. A non-object `event` is sent
    /// as the `message`.
    pub fn error(&self, event: Value) {
        let mut map = Map::new();
        map.insert("event".into(), json!("error"));
        match event {
            Value::Object(fields) => {
                for (k, v) in fields {
                    if k != "event" {
                        map.insert(k, v);
                    }
                }
            }
            Value::String(message) => {
                map.insert("message".into(), json!(message));
            }
            other => {
                map.insert("message".into(), json!(other.to_string()));
            }
        }
        self.send(&Value::Object(map), true);
    }

    fn send(&self, event: &Value, close: bool) {
        let mut pipe = self.pipe.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(file) = pipe.as_mut() {
            let mut line = event.to_string();
            line.push('\n');
            let _ = file.write_all(line.as_bytes());
        }
        if close {
            *pipe = None;
        }
    }
}

/// What the pipe said.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadyOutcome {
    Ready {
        pid: u32,
        port: u16,
    },
    /// The whole `error` message.
    Error(Value),
    /// The pipe closed without `ready` or `error`: the child died.
    Eof,
    /// The deadline passed.
    Timeout,
}

/// The parent's side.
#[derive(Debug)]
pub struct ReadyReader {
    fd: OwnedFd,
    buf: Vec<u8>,
    /// Skipping the rest of an over-long line.
    discarding: bool,
    eof: bool,
    outcome: Option<ReadyOutcome>,
}

impl ReadyReader {
    fn new(fd: OwnedFd) -> ReadyReader {
        ReadyReader {
            fd,
            buf: Vec::new(),
            discarding: false,
            eof: false,
            outcome: None,
        }
    }

    /// Wait until `ready`, `error`, end of file or `deadline`, calling `on_progress` for each
    /// `progress` event. Malformed lines and unknown events are ignored. Once a final outcome
    /// is reached, later calls return it again.
    pub fn wait(&mut self, deadline: Instant, mut on_progress: impl FnMut(&Value)) -> ReadyOutcome {
        loop {
            if let Some(outcome) = &self.outcome {
                return outcome.clone();
            }
            if let Some(outcome) = self.process_lines(&mut on_progress) {
                self.outcome = Some(outcome.clone());
                return outcome;
            }
            if self.eof {
                return ReadyOutcome::Eof;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return ReadyOutcome::Timeout;
            }
            // Round up so that a sub-millisecond remainder still waits.
            let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, ms) };
            if n == -1 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                self.eof = true; // cannot happen with a valid fd; do not spin
                continue;
            }
            if n == 0 {
                continue;
            }
            self.read_some();
        }
    }

    fn read_some(&mut self) {
        let mut chunk = [0u8; 4096];
        // SAFETY: reading into a local buffer of the given length.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), chunk.as_mut_ptr().cast(), chunk.len()) };
        match n {
            0 => {
                self.eof = true;
                // A last line without its newline still counts.
                if !self.buf.is_empty() && !self.discarding {
                    self.buf.push(b'\n');
                }
            }
            n if n > 0 => self.buf.extend_from_slice(&chunk[..n as usize]),
            _ => {
                let kind = io::Error::last_os_error().kind();
                if kind != io::ErrorKind::Interrupted && kind != io::ErrorKind::WouldBlock {
                    self.eof = true;
                }
            }
        }
    }

    fn process_lines(&mut self, on_progress: &mut impl FnMut(&Value)) -> Option<ReadyOutcome> {
        while let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            if std::mem::take(&mut self.discarding) {
                continue;
            }
            if let Some(outcome) = interpret(&line[..i], on_progress) {
                return Some(outcome);
            }
        }
        if self.buf.len() > MAX_LINE {
            self.buf.clear();
            self.discarding = true;
        }
        None
    }
}

fn interpret(line: &[u8], on_progress: &mut impl FnMut(&Value)) -> Option<ReadyOutcome> {
    let value: Value = serde_json::from_slice(line).ok()?;
    match value.get("event")?.as_str()? {
        "progress" => {
            on_progress(&value);
            None
        }
        "ready" => {
            let pid = u32::try_from(value.get("pid")?.as_u64()?).ok()?;
            let port = u16::try_from(value.get("port")?.as_u64()?).ok()?;
            Some(ReadyOutcome::Ready { pid, port })
        }
        "error" => Some(ReadyOutcome::Error(value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::IntoRawFd;
    use std::time::Duration;

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    #[test]
    fn reporter_events_reach_the_reader_in_process() {
        let (mut reader, write) = pipe().unwrap();
        let reporter = Reporter::from_fd(write.into_raw_fd()).unwrap();
        assert!(reporter.is_active());
        reporter.progress("locking", None, None);
        reporter.progress("indexing", Some(3), Some(10));
        reporter.ready(4242, 9120);
        assert!(!reporter.is_active());
        reporter.progress("ignored after close", None, None);

        let mut seen = Vec::new();
        let outcome = reader.wait(soon(), |v| seen.push(v.clone()));
        assert_eq!(
            outcome,
            ReadyOutcome::Ready {
                pid: 4242,
                port: 9120
            }
        );
        assert_eq!(
            seen,
            vec![
                json!({"event": "progress", "phase": "locking"}),
                json!({"event": "progress", "phase": "indexing", "files_done": 3, "files_total": 10}),
            ]
        );
        // The outcome sticks.
        assert_eq!(reader.wait(Instant::now(), |_| {}), outcome);
    }

    #[test]
    fn error_event_is_returned_whole() {
        let (mut reader, write) = pipe().unwrap();
        let reporter = Reporter::from_fd(write.into_raw_fd()).unwrap();
        reporter.error(
            json!({"code": "port_in_use", "port": 9120, "owner_project": null,
                              "message": "Port 9120 already in use", "event": "bogus"}),
        );
        let outcome = reader.wait(soon(), |_| panic!("no progress"));
        assert_eq!(
            outcome,
            ReadyOutcome::Error(
                json!({"event": "error", "code": "port_in_use", "port": 9120,
                                       "owner_project": null, "message": "Port 9120 already in use"})
            )
        );
    }

    #[test]
    fn malformed_lines_are_ignored_and_eof_is_seen() {
        let (mut reader, write) = pipe().unwrap();
        let mut file = File::from(write);
        file.write_all(b"not json\n{\"event\":\"ready\"}\n[1]\n{\"event\":\"other\"}\n{\"event\":\"progress\",\"phase\":\"x\"}\n").unwrap();
        let mut count = 0;
        let deadline = Instant::now() + Duration::from_millis(50);
        assert_eq!(reader.wait(deadline, |_| count += 1), ReadyOutcome::Timeout);
        assert_eq!(count, 1);
        // A final line without newline, then close.
        file.write_all(b"{\"event\":\"ready\",\"pid\":7,\"port\":8}")
            .unwrap();
        drop(file);
        assert_eq!(
            reader.wait(soon(), |_| {}),
            ReadyOutcome::Ready { pid: 7, port: 8 }
        );

        let (mut reader, write) = pipe().unwrap();
        drop(write);
        let started = Instant::now();
        assert_eq!(reader.wait(soon(), |_| {}), ReadyOutcome::Eof);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn writes_after_the_reader_is_gone_are_ignored() {
        let (reader, write) = pipe().unwrap();
        let reporter = Reporter::from_fd(write.into_raw_fd()).unwrap();
        drop(reader);
        reporter.progress("locking", None, None); // EPIPE, ignored
        reporter.ready(1, 2);
        Reporter::none().ready(1, 2);
        assert!(!Reporter::none().is_active());
    }

    #[test]
    fn from_fd_validates() {
        assert!(Reporter::from_fd(1).is_err());
        assert!(Reporter::from_fd(987_654).is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("f")).unwrap();
        let err = Reporter::from_fd(file.as_raw_fd()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn overlong_line_is_dropped() {
        let (mut reader, write) = pipe().unwrap();
        let writer = std::thread::spawn(move || {
            let mut file = File::from(write);
            let junk = vec![b'x'; MAX_LINE + 10_000];
            file.write_all(&junk).unwrap();
            file.write_all(b"\"}\n{\"event\":\"ready\",\"pid\":1,\"port\":2}\n")
                .unwrap();
        });
        assert_eq!(
            reader.wait(soon(), |_| {}),
            ReadyOutcome::Ready { pid: 1, port: 2 }
        );
        writer.join().unwrap();
    }
}
