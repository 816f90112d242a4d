//! Helpers for the daemon lifecycle tests: a private `MU_HOME` whose daemons are always cleaned
//! up (even when a test fails), bounded command runs, raw HTTP over `TcpStream`, registry access
//! and process inspection.
//!
//! Nothing here sleeps as synchronisation: every wait polls a condition up to a deadline.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::BIN;

/// Upper bound for one CLI command (an index plus a 30 s readiness wait fit in it).
pub const CMD_TIMEOUT: Duration = Duration::from_secs(120);

/// The two-file Python project of the contract examples: 4 nodes, 4 edges.
pub const A_PY: &str = "def f():\n    return 1\n";
pub const B_PY: &str = "from a import f\n\n\ndef g():\n    return f()\n";

/// What a finished command printed.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Out {
    /// The one JSON object a `--json` run prints (asserting there is exactly one line).
    pub fn json(&self) -> Value {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "--json prints exactly one line on stdout; got {self:#?}"
        );
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("invalid JSON ({e}): {self:#?}"))
    }

    /// Assert the exit code, showing everything on failure.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }
}

/// Run a prepared command with stdout/stderr captured through files (a daemon that inherited a
/// pipe could otherwise keep the read end open forever), killed after `timeout`.
pub fn run_cmd(cmd: Command, timeout: Duration) -> Out {
    try_run_cmd(cmd, timeout).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`run_cmd`], but a command still running after `timeout` is killed and reported as
/// `Err` (with what it printed so far) instead of panicking.
pub fn try_run_cmd(mut cmd: Command, timeout: Duration) -> Result<Out, String> {
    let mut so = tempfile::tempfile().unwrap();
    let mut se = tempfile::tempfile().unwrap();
    cmd.stdin(Stdio::null())
        .stdout(so.try_clone().unwrap())
        .stderr(se.try_clone().unwrap());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn command");
    let deadline = started + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    let mut stderr = String::new();
    so.rewind().unwrap();
    se.rewind().unwrap();
    let _ = so.read_to_string(&mut stdout);
    let _ = se.read_to_string(&mut stderr);
    let Some(status) = status else {
        return Err(format!(
            "command {cmd:?} did not finish within {timeout:?} (killed)\nstdout: {stdout}\nstderr: {stderr}"
        ));
    };
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| -status.signal().unwrap_or(0));
    Ok(Out {
        code,
        stdout,
        stderr,
        elapsed,
    })
}

/// Poll `f` every 20 ms until it returns `Some`, at most `timeout`; panics naming `what`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// As [`wait_for`], polling every `every`: for conditions that cost a command run, which would
/// be wasteful every 20 ms.
pub fn wait_for_every<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(every);
    }
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, release it).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The state letter of `/proc/<pid>/stat` (`R`, `S`, `T`, `Z`, …), `None` when there is no
/// such process.
pub fn proc_state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let i = stat.rfind(')')?;
    stat[i + 1..].split_whitespace().next()?.chars().next()
}

/// The process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    matches!(proc_state(pid), Some(s) if s != 'Z' && s != 'X')
}

/// `/proc/<pid>/comm` starts with `mu-daemon`.
pub fn is_mu_daemon(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.starts_with("mu-daemon"))
}

pub fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    let r = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(r, 0, "kill({pid}, {sig}) failed");
}

/// Freeze a daemon with SIGSTOP and wait until the kernel shows it stopped.
pub fn freeze(pid: u32) {
    signal(pid, libc::SIGSTOP);
    wait_for("the process to be stopped", Duration::from_secs(5), || {
        (proc_state(pid) == Some('T')).then_some(())
    });
}

/// Wait until `pid` is gone (or a zombie).
pub fn wait_gone(pid: u32, timeout: Duration) {
    wait_for(&format!("pid {pid} to exit"), timeout, || {
        (!alive(pid)).then_some(())
    });
}

/// Whether `<root>/.mu/daemon.lock` can be locked right now (the probe releases it at once).
pub fn project_lock_free(root: &Path) -> bool {
    use std::os::unix::io::AsRawFd;
    let Ok(f) = fs::File::open(root.join(".mu/daemon.lock")) else {
        return true;
    };
    // SAFETY: `f` owns the descriptor for the whole block.
    unsafe {
        if libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 {
            libc::flock(f.as_raw_fd(), libc::LOCK_UN);
            true
        } else {
            false
        }
    }
}

/// A mode as `0o…` without the file type bits.
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// A raw HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {self:#?}"))
    }

    /// No `Access-Control-*` header (http-api.md §2.6).
    pub fn assert_no_cors(&self) {
        let cors: Vec<_> = self
            .headers
            .iter()
            .filter(|(k, _)| k.to_ascii_lowercase().starts_with("access-control-"))
            .collect();
        assert!(cors.is_empty(), "CORS headers in {self:#?}");
    }
}

/// Send `raw` to 127.0.0.1:`port` and read one response (headers and `Content-Length` bytes of
/// body, or until the server closes).
pub fn http_raw(port: u16, raw: &[u8], timeout: Duration) -> std::io::Result<Resp> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.write_all(raw)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(r) = parse_response(&buf) {
            return Ok(r);
        }
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if buf.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    parse_head(&buf)
        .map(|(status, headers, body_start)| Resp {
            status,
            headers,
            body: buf[body_start..].to_vec(),
        })
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("no HTTP response: {:?}", String::from_utf8_lossy(&buf)),
            )
        })
}

type Head = (u16, Vec<(String, String)>, usize);

fn parse_head(buf: &[u8]) -> Option<Head> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some((status, headers, end + 4))
}

fn parse_response(buf: &[u8]) -> Option<Resp> {
    let (status, headers, start) = parse_head(buf)?;
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))?
        .1
        .parse()
        .ok()?;
    (buf.len() >= start + len).then(|| Resp {
        status,
        headers,
        body: buf[start..start + len].to_vec(),
    })
}

/// `GET path` with a loopback Host header.
pub fn get(port: u16, path: &str) -> std::io::Result<Resp> {
    get_with(port, path, &[])
}

/// `GET path` with a loopback Host header and extra header lines.
pub fn get_with(port: u16, path: &str, headers: &[&str]) -> std::io::Result<Resp> {
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    http_raw(port, req.as_bytes(), Duration::from_secs(5))
}

/// `GET /status` as JSON (asserting 200).
pub fn status_json(port: u16) -> Value {
    let r = get(port, "/status").expect("GET /status");
    assert_eq!(r.status, 200, "{r:#?}");
    r.json()
}

/// A private `MU_HOME` (and `HOME`) plus a directory for projects. On drop — also when the test
/// panicked — it runs `mu-daemon stop --all` with this `MU_HOME`, then SIGKILLs whatever
/// mu-daemon it still knows of (tracked pids and registry entries), and kills and reaps the
/// helper processes it spawned.
pub struct DaemonEnv {
    home: tempfile::TempDir,
    work: tempfile::TempDir,
    pids: Mutex<Vec<u32>>,
    children: Mutex<Vec<Child>>,
}

impl Default for DaemonEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl DaemonEnv {
    pub fn new() -> DaemonEnv {
        DaemonEnv {
            home: tempfile::tempdir().unwrap(),
            work: tempfile::tempdir().unwrap(),
            pids: Mutex::new(Vec::new()),
            children: Mutex::new(Vec::new()),
        }
    }

    /// `HOME` of every command.
    pub fn home(&self) -> PathBuf {
        self.home.path().canonicalize().unwrap()
    }

    /// `MU_HOME` of every command: `<HOME>/.mu`, created by mu-daemon itself.
    pub fn mu_home(&self) -> PathBuf {
        self.home().join(".mu")
    }

    pub fn registry_path(&self) -> PathBuf {
        self.mu_home().join("daemons.json")
    }

    /// The canonical directory that holds the projects (never a project itself).
    pub fn work(&self) -> PathBuf {
        self.work.path().canonicalize().unwrap()
    }

    /// A new, unindexed project `<work>/<name>` with these files; its canonical root.
    pub fn project(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let root = self.work().join(name);
        fs::create_dir_all(&root).unwrap();
        for (rel, content) in files {
            let p = root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, content).unwrap();
        }
        root.canonicalize().unwrap()
    }

    /// The a.py/b.py project (4 nodes, 4 edges).
    pub fn py_project(&self, name: &str) -> PathBuf {
        self.project(name, &[("a.py", A_PY), ("b.py", B_PY)])
    }

    /// `mu-daemon` with this environment, in `cwd`.
    pub fn cmd(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args);
        self.configure(&mut c, cwd);
        c
    }

    /// Environment and working directory of every command.
    pub fn configure(&self, c: &mut Command, cwd: &Path) {
        c.current_dir(cwd)
            .env("MU_HOME", self.mu_home())
            .env("HOME", self.home())
            .env_remove("MU_LOG")
            .env_remove("MU_DAEMON_TOKEN")
            .env_remove("NO_COLOR");
    }

    /// Run `mu-daemon <args>` in `cwd` (bounded by [`CMD_TIMEOUT`]).
    pub fn run(&self, cwd: &Path, args: &[&str]) -> Out {
        self.run_cmd(self.cmd(cwd, args))
    }

    /// Run a prepared command; any `pid` it prints in JSON is tracked for cleanup.
    pub fn run_cmd(&self, cmd: Command) -> Out {
        self.try_run_cmd(cmd, CMD_TIMEOUT)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `mu-daemon <args>` in `cwd`, killed and reported as `Err` after `timeout`.
    pub fn try_run(&self, cwd: &Path, args: &[&str], timeout: Duration) -> Result<Out, String> {
        self.try_run_cmd(self.cmd(cwd, args), timeout)
    }

    fn try_run_cmd(&self, cmd: Command, timeout: Duration) -> Result<Out, String> {
        let out = try_run_cmd(cmd, timeout)?;
        for line in out.stdout.lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if let Some(pid) = v.get("pid").and_then(Value::as_u64) {
                    self.track(pid as u32);
                }
            }
        }
        Ok(out)
    }

    /// `mu-daemon --json start <args>` in `root`, asserting exit 0; returns (pid, port, JSON).
    pub fn start(&self, root: &Path, args: &[&str]) -> (u32, u16, Value) {
        let mut a = vec!["--json", "start"];
        a.extend_from_slice(args);
        let out = self.run(root, &a);
        out.expect_code(0);
        let v = out.json();
        let pid = v["pid"].as_u64().expect("pid") as u32;
        let port = v["port"].as_u64().expect("port") as u16;
        (pid, port, v)
    }

    /// Remember a daemon pid to kill at the end if it is still a mu-daemon.
    pub fn track(&self, pid: u32) {
        let mut p = self.pids.lock().unwrap_or_else(|e| e.into_inner());
        if !p.contains(&pid) {
            p.push(pid);
        }
    }

    /// Keep a helper process to kill and reap at the end.
    pub fn adopt(&self, child: Child) -> u32 {
        let pid = child.id();
        self.children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(child);
        pid
    }

    /// A `sleep 1000` process owned by this environment (a live foreign pid).
    pub fn foreign_sleep(&self) -> u32 {
        let child = Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        self.adopt(child)
    }

    /// Whether the helper process `pid` is still running (not exited, not reaped).
    pub fn child_running(&self, pid: u32) -> bool {
        let mut children = self.children.lock().unwrap_or_else(|e| e.into_inner());
        let c = children
            .iter_mut()
            .find(|c| c.id() == pid)
            .expect("an adopted child");
        c.try_wait().unwrap().is_none()
    }

    /// The entries of `daemons.json` (empty when the file is missing).
    pub fn registry(&self) -> Vec<Value> {
        match fs::read(self.registry_path()) {
            Ok(b) => {
                let v: Value = serde_json::from_slice(&b).unwrap_or_else(|e| {
                    panic!(
                        "daemons.json does not parse ({e}): {:?}",
                        String::from_utf8_lossy(&b)
                    )
                });
                v["daemons"].as_array().cloned().unwrap_or_default()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("read daemons.json: {e}"),
        }
    }

    /// Write a file in `MU_HOME` the way the registry does: mode 0600, atomic rename.
    pub fn write_home_file(&self, name: &str, bytes: &[u8]) {
        let dir = self.mu_home();
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .unwrap();
        }
        let tmp = dir.join(format!(".test-tmp.{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .unwrap();
        f.write_all(bytes).unwrap();
        f.sync_all().unwrap();
        fs::rename(&tmp, dir.join(name)).unwrap();
    }

    /// Edit `daemons.json` the way a writer does (§7.4): under the registry lock
    /// (`daemons.lock`, tried every 20 ms for at most 5 s, so a daemon's heartbeat cannot
    /// interleave), read and parse it, let `f` change the whole document, and replace the file
    /// atomically. Whatever `f` leaves alone is kept (only the key order may change).
    pub fn edit_registry(&self, f: impl FnOnce(&mut Value)) {
        use std::os::unix::io::AsRawFd;
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(self.mu_home().join("daemons.lock"))
            .expect("open daemons.lock");
        wait_for("the registry lock", Duration::from_secs(5), || {
            // SAFETY: `lock` owns the descriptor for the whole call.
            (unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0)
                .then_some(())
        });
        let bytes = fs::read(self.registry_path()).expect("read daemons.json");
        let mut doc: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "daemons.json does not parse ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        f(&mut doc);
        let mut text = serde_json::to_vec_pretty(&doc).unwrap();
        text.push(b'\n');
        self.write_home_file("daemons.json", &text);
        // Closing the descriptor releases the lock.
        drop(lock);
    }

    /// Edit the registry entry of `project` under the lock (panics when there is none).
    pub fn edit_entry(&self, project: &Path, f: impl FnOnce(&mut serde_json::Map<String, Value>)) {
        let path = project.display().to_string();
        self.edit_registry(|doc| {
            let entry = doc["daemons"]
                .as_array_mut()
                .and_then(|a| a.iter_mut().find(|e| e["project_path"] == path.as_str()))
                .and_then(Value::as_object_mut)
                .unwrap_or_else(|| panic!("no registry entry for {path}"));
            f(entry);
        });
    }

    /// The registry entry of `project` (panics when there is none).
    pub fn entry(&self, project: &Path) -> Value {
        let path = project.display().to_string();
        self.registry()
            .into_iter()
            .find(|e| e["project_path"] == path.as_str())
            .unwrap_or_else(|| panic!("no registry entry for {path}: {:#?}", self.registry()))
    }

    /// Replace the registry's entries (version 1 document).
    pub fn write_registry(&self, entries: &[Value]) {
        let doc = serde_json::json!({"version": 1, "daemons": entries});
        self.write_home_file("daemons.json", &serde_json::to_vec_pretty(&doc).unwrap());
    }
}

/// A complete registry entry (§7.2) for a process that the test controls.
pub fn fake_entry(project: &Path, pid: u32, port: u16, process_start_time: u64) -> Value {
    serde_json::json!({
        "project_path": project.display().to_string(),
        "pid": pid,
        "port": port,
        "mubase_path": project.join(".mu/mubase").display().to_string(),
        "started_at": "2026-01-01T00:00:00Z",
        "last_heartbeat": "2026-01-01T00:00:00Z",
        "host": "127.0.0.1",
        "process_start_time": process_start_time,
        "daemon_version": "0.1.0",
        "log_path": project.join(".mu/daemon.log").display().to_string(),
    })
}

/// The pid of a process that has exited and been reaped.
pub fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

impl Drop for DaemonEnv {
    fn drop(&mut self) {
        // Frozen daemons would cost `stop` its 5 s SIGTERM wait: kill them right away.
        let mut pids: Vec<u32> = self.pids.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Ok(b) = fs::read(self.registry_path()) {
            if let Ok(v) = serde_json::from_slice::<Value>(&b) {
                for e in v["daemons"].as_array().into_iter().flatten() {
                    if let Some(p) = e["pid"].as_u64() {
                        pids.push(p as u32);
                    }
                }
            }
        }
        for &pid in &pids {
            if proc_state(pid) == Some('T') && is_mu_daemon(pid) {
                // SAFETY: plain kill(2).
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
        if self.mu_home().exists() {
            // Restore a mode a test may have broken on purpose, so `stop --all` can run.
            let _ = fs::set_permissions(self.mu_home(), fs::Permissions::from_mode(0o700));
            let work = self.work();
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_cmd(self.cmd(&work, &["stop", "--all"]), Duration::from_secs(30))
            }));
        }
        for &pid in &pids {
            if alive(pid) && is_mu_daemon(pid) {
                // SAFETY: plain kill(2).
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
        for mut c in self
            .children
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A child process that is killed and reaped when dropped (a failing test leaks nothing).
pub struct ChildGuard(pub Child);

impl ChildGuard {
    pub fn id(&self) -> u32 {
        self.0.id()
    }

    /// Wait for the exit, at most `timeout`; `None` when it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.0.try_wait().unwrap() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
