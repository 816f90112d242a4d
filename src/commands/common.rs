//! What `start`, `stop`, `list` and `status` share: probes of registered daemons, the entry
//! JSON of `list`, duration formatting, stale-entry reports and the warnings about other
//! projects' daemons (`cli-and-registry.md` §3.5, §7.8, §7.10, §12).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::Ctx;
use crate::process::http;
use crate::registry::{Entry, LiveEntry, Removed};

/// The port MU's clients connect to.
pub const MU_PORT: u16 = 9120;
/// Heartbeat age above which a live daemon is shown `unresponsive` (§7.8).
const STALE_HEARTBEAT: f64 = 90.0;

/// The address the CLI uses for an entry: the literal `127.0.0.1`, or the entry's host when it
/// is a non-loopback IP literal; host names are refused (§8).
pub fn entry_addr(e: &Entry) -> Option<SocketAddr> {
    let ip = match e.host.as_deref() {
        None | Some("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(h) => {
            let ip: IpAddr = h
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .ok()?;
            if ip.is_loopback() {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                ip
            }
        }
    };
    Some(SocketAddr::new(ip, e.port))
}

/// The token the CLI's own probes send (`MU_DAEMON_TOKEN`).
pub fn token() -> Option<String> {
    std::env::var("MU_DAEMON_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
}

/// `GET path` on a daemon; `None` when it did not answer within `timeout`. Any HTTP status
/// counts as an answer.
pub fn probe(e: &Entry, path: &str, timeout: Duration) -> Option<http::HttpResponse> {
    let addr = entry_addr(e)?;
    http::get(addr, path, token().as_deref(), timeout).ok()
}

/// Probe every entry's `/health` in parallel (§3.5: 1 s each).
pub fn probe_all(entries: &[LiveEntry], timeout: Duration) -> Vec<bool> {
    std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .iter()
            .map(|le| s.spawn(move || probe(&le.entry, "/health", timeout).is_some()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(false))
            .collect()
    })
}

/// Seconds since the last heartbeat (never negative, whatever the clock did).
pub fn heartbeat_age(e: &Entry) -> Option<f64> {
    let hb = e.last_heartbeat?;
    Some(((chrono::Utc::now() - hb).num_milliseconds() as f64 / 1000.0).max(0.0))
}

/// Seconds since the daemon registered (never negative).
pub fn uptime(e: &Entry) -> Option<f64> {
    let s = e.started_at?;
    Some(((chrono::Utc::now() - s).num_milliseconds() as f64 / 1000.0).max(0.0))
}

/// `running` or `unresponsive` (§7.8).
pub fn state(e: &Entry, answered: bool) -> &'static str {
    let fresh = heartbeat_age(e).is_some_and(|a| a <= STALE_HEARTBEAT);
    if answered && fresh {
        "running"
    } else {
        "unresponsive"
    }
}

/// `2h 03m`, `5m 02s`, `42s`, `3d 04h`.
pub fn short_duration(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// `2h 03m 18s` (status).
pub fn long_duration(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m {:02}s", s / 3600, (s % 3600) / 60, s % 60),
    }
}

/// `12 s ago`, `3 m ago`, `2 h ago`.
pub fn age(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} m ago", s / 60),
        _ => format!("{} h ago", s / 3600),
    }
}

fn rfc3339(t: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    })
}

/// One daemon as `list --json` shows it (§3.5).
pub fn entry_json(le: &LiveEntry, state: &str) -> Map<String, Value> {
    let e = &le.entry;
    let path = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map_or(Value::Null, |p| json!(p.display().to_string()))
    };
    let url = entry_addr(e).map_or(Value::Null, |a| json!(format!("http://{a}")));
    let mut m = Map::new();
    m.insert(
        "project_path".into(),
        json!(e.project_path.display().to_string()),
    );
    m.insert("pid".into(), json!(e.pid));
    m.insert("port".into(), json!(e.port));
    m.insert("host".into(), json!(e.host));
    m.insert("url".into(), url);
    m.insert("mubase_path".into(), path(&e.mubase_path));
    m.insert("log_path".into(), path(&e.log_path));
    m.insert("started_at".into(), rfc3339(e.started_at));
    m.insert("last_heartbeat".into(), rfc3339(e.last_heartbeat));
    m.insert("heartbeat_age_seconds".into(), json!(heartbeat_age(e)));
    m.insert("uptime_seconds".into(), json!(uptime(e)));
    m.insert("daemon_version".into(), json!(e.daemon_version));
    m.insert("state".into(), json!(state));
    m.insert("identity".into(), json!(le.identity.as_str()));
    m
}

/// `removed_stale` of the JSON outputs.
pub fn removed_json(removed: &[Removed]) -> Value {
    Value::Array(
        removed
            .iter()
            .map(|r| {
                json!({
                    "project_path": r.project_path.display().to_string(),
                    "pid": r.pid,
                    "port": r.port,
                    "reason": r.reason.as_str(),
                })
            })
            .collect(),
    )
}

/// Report removed stale entries and registry warnings on stderr (human output only).
pub fn report_cleanup(ctx: &Ctx, removed: &[Removed], warnings: &[String]) {
    if ctx.json {
        return;
    }
    for r in removed {
        eprintln!("{}", r.message());
    }
    for w in warnings {
        ctx.warn(w);
    }
}

/// The §12 warnings about daemons of other projects, one block per daemon, without the
/// `Warning: ` prefix of the first line. Also names an unregistered server on port 9120.
pub fn other_daemon_warnings(others: &[&LiveEntry], all_live: &[LiveEntry]) -> Vec<String> {
    let mut out = Vec::new();
    for le in others {
        let e = &le.entry;
        let mut w = format!(
            "a mu-daemon for another project is running: {} (pid {}, port {}).",
            e.project_path.display(),
            e.pid,
            e.port
        );
        if e.port == MU_PORT {
            w.push_str(&format!(
                "\n  MU clients in this directory connect to port {MU_PORT}, so that daemon answers them\n  (it serves this project itself or forwards to this project's daemon).\n  To stop it:                          mu-daemon stop --port {MU_PORT}\n  To give this project its own daemon: mu-daemon start --port 0"
            ));
        } else {
            w.push_str(&format!("\n  To stop it: mu-daemon stop --port {}", e.port));
        }
        out.push(w);
    }
    if !all_live.iter().any(|le| le.entry.port == MU_PORT) {
        if let Some(mubase) = unregistered_on_mu_port() {
            out.push(format!(
                "port {MU_PORT} is answered by an unregistered MU daemon serving {mubase}; mu-daemon does not manage it. Stop it with the tool that started it."
            ));
        }
    }
    out
}

/// A server on 127.0.0.1:9120 with no registry entry that answers `GET /status` with a
/// `mubase_path` (MU's Python daemon, or an orphan): its mubase path.
fn unregistered_on_mu_port() -> Option<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, MU_PORT));
    let resp = http::get(addr, "/status", token().as_deref(), Duration::from_secs(1)).ok()?;
    if resp.status != 200 {
        return None;
    }
    resp.json()?
        .get("mubase_path")?
        .as_str()
        .map(str::to_string)
}

/// Print the §12 warning blocks on stderr (human output).
pub fn print_warnings(ctx: &Ctx, warnings: &[String]) {
    for w in warnings {
        ctx.warn(w);
    }
}

/// `No MU project (.mu/mubase) found for <path>.`
pub fn no_project_line(path: &Path) -> String {
    let shown = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("No MU project (.mu/mubase) found for {}.", shown.display())
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Restores the default Ctrl-C behaviour when dropped.
pub struct InterruptGuard;

impl Drop for InterruptGuard {
    fn drop(&mut self) {
        // SAFETY: restoring the default disposition.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
    }
}

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Catch Ctrl-C in a waiting command (`start`, `stop`): the returned flag is set instead of the
/// process dying, so the command can say what it leaves behind and exit 4.
pub fn catch_interrupt() -> &'static AtomicBool {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    &INTERRUPTED
}

/// The registry entry of the daemon serving `root`, verified by process identity (pid, start
/// time, executable), not by the project lock: the lock's holder may be an `index` run next to
/// a stale entry, or the caller itself. Lock-free read.
pub fn verified_daemon(registry: &crate::registry::Registry, root: &Path) -> Option<Entry> {
    let (entries, _) = registry.read().ok()?;
    entries
        .into_iter()
        .find(|e| e.project_path == root && crate::registry::identity(e))
}

/// What waiting for the project lock ended with.
pub enum LockWait {
    Locked(crate::process::lock::ProjectLock),
    /// A daemon registered for the project while we waited: it holds the lock for its whole
    /// life, so the lock will not come; use the daemon instead.
    Daemon,
}

/// Take the project lock, waiting while another `index` or `start` holds it (§3.1 step 4,
/// §3.7 step 3), or return the daemon that took it. Ctrl-C ends the wait (exit 4).
pub fn lock_or_daemon(
    ctx: &Ctx,
    registry: &crate::registry::Registry,
    project: &crate::project::Project,
) -> Result<LockWait, super::CliError> {
    use crate::process::lock::{LockError, ProjectLock};
    use std::io::IsTerminal;
    let cancel = catch_interrupt();
    // Ctrl-C is ours only while waiting; afterwards (indexing, waiting for a daemon) it stops
    // the command as usual.
    let _restore = InterruptGuard;
    let tty = !ctx.json && std::io::stderr().is_terminal();
    let mut announced = false;
    loop {
        match ProjectLock::try_for(&project.lock_path(), Duration::from_millis(200)) {
            Ok(lock) => return Ok(LockWait::Locked(lock)),
            Err(LockError::Held { pid }) => {
                if verified_daemon(registry, &project.root).is_some() {
                    return Ok(LockWait::Daemon);
                }
                if cancel.load(Ordering::SeqCst) {
                    return Err(super::CliError::new(
                        "interrupted",
                        super::exit::INTERNAL,
                        "Interrupted while waiting for the project lock.",
                    ));
                }
                if tty && !announced {
                    announced = true;
                    eprintln!(
                        "Waiting for pid {} to finish indexing {}…",
                        pid.map_or_else(|| "?".to_string(), |p| p.to_string()),
                        project.root.display()
                    );
                }
            }
            Err(LockError::Io(e)) => {
                return Err(super::CliError::new(
                    "internal",
                    super::exit::INTERNAL,
                    format!("Cannot lock {}: {e}", project.lock_path().display()),
                ))
            }
        }
    }
}

/// Wait until the project's daemon is live in the registry and answers `/health`, up to
/// `deadline` (a daemon that is still starting answers once it reported ready).
pub fn wait_until_answering(
    registry: &crate::registry::Registry,
    root: &Path,
    deadline: std::time::Instant,
) -> Option<Entry> {
    loop {
        if let Some(e) = verified_daemon(registry, root) {
            if probe(&e, "/health", Duration::from_secs(1)).is_some() {
                return Some(e);
            }
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(short_duration(7398.0), "2h 03m");
        assert_eq!(short_duration(302.0), "5m 02s");
        assert_eq!(short_duration(42.9), "42s");
        assert_eq!(short_duration(-5.0), "0s");
        assert_eq!(short_duration(3.0 * 86_400.0 + 4.0 * 3600.0), "3d 04h");
        assert_eq!(long_duration(7398.0), "2h 03m 18s");
        assert_eq!(age(12.0), "12 s ago");
        assert_eq!(age(180.0), "3 m ago");
        assert_eq!(age(7200.0), "2 h ago");
    }
}
