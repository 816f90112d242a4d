//! `mu-daemon stop [PATH] | --port N | --all` (`cli-and-registry.md` §3.4, §5): stops daemons
//! found through the registry, from any directory. Identity is verified before every signal;
//! a process that is not a verified mu-daemon is never signalled.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::common;
use super::{exit, CliError, Ctx};
use crate::cli::StopArgs;
use crate::process::pidfile;
use crate::process::signal::{self, Check, StopOutcome};
use crate::project;
use crate::registry::{self, Entry, LiveEntry, Registry};

const TERM_WAIT: Duration = Duration::from_secs(5);
const KILL_WAIT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(100);

/// The result for one target.
struct Outcome {
    entry: Entry,
    outcome: &'static str,
    message: String,
}

pub fn run(ctx: &Ctx, args: &StopArgs) -> Result<i32, CliError> {
    let registry = Registry::from_env_no_create()?;
    let snap = registry.clean()?;
    common::report_cleanup(ctx, &snap.removed, &snap.warnings);
    let mut warnings = snap.warnings.clone();
    let mut nothing: Option<String> = None;

    let targets: Vec<Entry> = if args.all {
        snap.live.iter().map(|le| le.entry.clone()).collect()
    } else if let Some(port) = args.port {
        match snap.live.iter().find(|le| le.entry.port == port) {
            Some(le) => vec![le.entry.clone()],
            None => {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                if port != 0 && TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                    return Err(CliError::new(
                        "not_mu_daemon_port",
                        exit::USER,
                        format!(
                            "Port {port} is not served by a registered mu-daemon; nothing was stopped."
                        ),
                    )
                    .with("port", json!(port)));
                }
                nothing = Some(format!("No mu-daemon on port {port}."));
                Vec::new()
            }
        }
    } else {
        let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
        match project::resolve_root(&path, false)? {
            None => {
                nothing = Some(common::no_project_line(&path));
                Vec::new()
            }
            Some(p) => match snap.live.iter().find(|le| le.entry.project_path == p.root) {
                Some(le) => vec![le.entry.clone()],
                None => match from_pid_file(&p.root) {
                    Some(e) => vec![e],
                    None => {
                        nothing =
                            Some(format!("No mu-daemon is running for {}.", p.root.display()));
                        Vec::new()
                    }
                },
            },
        }
    };

    if let Some(line) = &nothing {
        // Name the daemons of other projects and how to stop each; never stop them here.
        let others: Vec<&LiveEntry> = snap.live.iter().collect();
        let block = if args.port.is_some() {
            Vec::new()
        } else {
            common::other_daemon_warnings(&others, &snap.live)
        };
        if ctx.json {
            warnings.extend(block);
            let mut body = Map::new();
            body.insert("results".into(), json!([]));
            body.insert("message".into(), json!(line));
            body.insert("removed_stale".into(), common::removed_json(&snap.removed));
            body.insert("warnings".into(), json!(warnings));
            ctx.print_json("stop", body);
        } else {
            super::out(&format!("{line}\n"));
            common::print_warnings(ctx, &block);
        }
        return Ok(exit::OK);
    }

    let cancel = common::catch_interrupt();
    let reg = &registry;
    let results: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .into_iter()
            .map(|e| (e.clone(), s.spawn(move || stop_one(reg, e, cancel))))
            .collect();
        handles
            .into_iter()
            .map(|(e, h)| {
                h.join().unwrap_or_else(|_| Outcome {
                    message: format!(
                        "Could not stop mu-daemon for {} (pid {}): internal error.",
                        e.project_path.display(),
                        e.pid
                    ),
                    entry: e,
                    outcome: "failed",
                })
            })
            .collect()
    });

    let interrupted = cancel.load(Ordering::SeqCst);
    let failed = results
        .iter()
        .any(|r| matches!(r.outcome, "failed" | "skipped_unverified"));
    if ctx.json {
        let mut body = Map::new();
        let list: Vec<Value> = results
            .iter()
            .map(|r| {
                json!({
                    "project_path": r.entry.project_path.display().to_string(),
                    "pid": r.entry.pid,
                    "port": (r.entry.port != 0).then_some(r.entry.port),
                    "outcome": r.outcome,
                    "message": r.message,
                })
            })
            .collect();
        body.insert("results".into(), Value::Array(list));
        body.insert("removed_stale".into(), common::removed_json(&snap.removed));
        body.insert("warnings".into(), json!(warnings));
        if failed {
            let code = if interrupted {
                "interrupted"
            } else {
                "stop_failed"
            };
            body.insert(
                "error".into(),
                json!({"code": code, "message": "Not every daemon could be stopped; see results."}),
            );
        }
        ctx.print_json("stop", body);
    } else {
        let mut text = String::new();
        for r in &results {
            text.push_str(&r.message);
            text.push('\n');
        }
        super::out(&text);
        if interrupted {
            let pending: Vec<String> = results
                .iter()
                .filter(|r| r.outcome == "failed" && r.message.contains("interrupted"))
                .map(|r| format!("{} (pid {})", r.entry.project_path.display(), r.entry.pid))
                .collect();
            eprintln!(
                "Error: Interrupted; these daemons were signalled and are still shutting down: {}",
                pending.join(", ")
            );
        }
    }
    Ok(if failed { exit::INTERNAL } else { exit::OK })
}

/// The pid-file fallback (§3.4): no registry entry, but `.mu/daemon.pid` names a process that
/// holds the project lock, wrote that pid into the lock file and is named `mu-daemon…`.
fn from_pid_file(root: &std::path::Path) -> Option<Entry> {
    let pid = pidfile::read(&root.join(".mu").join("daemon.pid"))?;
    if !registry::lock_held(root)
        || registry::lock_file_pid(root) != Some(pid)
        || !registry::is_mu_daemon_process(pid)
    {
        return None;
    }
    let mu = root.join(".mu");
    let mut e = Entry::new_own(
        root.to_path_buf(),
        0,
        "127.0.0.1".to_string(),
        mu.join("mubase"),
        mu.join("daemon.log"),
    );
    // Not our process: identity rests on the lock file alone (§7.7, second case).
    e.pid = pid;
    e.process_start_time = None;
    e.started_at = None;
    e.last_heartbeat = None;
    e.daemon_version = None;
    Some(e)
}

/// The stop protocol for one daemon (§5), then the cleanup of its entry and pid file.
fn stop_one(registry: &Registry, e: Entry, cancel: &AtomicBool) -> Outcome {
    let check = || {
        if registry::signal_allowed(&e) {
            Check::Allowed
        } else if signal::is_gone(e.pid) {
            Check::Gone
        } else {
            Check::NotAllowed
        }
    };
    let outcome = signal::stop(e.pid, &check, TERM_WAIT, KILL_WAIT, POLL, cancel);
    // Port 0: found through the pid file, whose daemon's port is not known.
    let who = if e.port == 0 {
        format!("mu-daemon for {} (pid {})", e.project_path.display(), e.pid)
    } else {
        format!(
            "mu-daemon for {} (pid {}, port {})",
            e.project_path.display(),
            e.pid,
            e.port
        )
    };
    let (outcome, message) = match outcome {
        StopOutcome::Stopped => ("stopped", format!("Stopped {who}.")),
        StopOutcome::Killed => ("killed", format!("Killed {who} after 5 s without exit.")),
        StopOutcome::AlreadyGone => ("already_gone", format!("{who} had already exited.")),
        StopOutcome::Failed(reason) => (
            "failed",
            format!(
                "Could not stop mu-daemon for {} (pid {}): {reason}.",
                e.project_path.display(),
                e.pid
            ),
        ),
        StopOutcome::SkippedUnverified => (
            "skipped_unverified",
            format!(
                "Could not stop mu-daemon for {} (pid {}): identity could not be verified; not signalled.",
                e.project_path.display(),
                e.pid
            ),
        ),
        // Ctrl-C: no longer waited for (§3.4); it continues shutting down on its own.
        StopOutcome::Interrupted => (
            "failed",
            format!(
                "Could not stop mu-daemon for {} (pid {}): interrupted; it was signalled and is still shutting down.",
                e.project_path.display(),
                e.pid
            ),
        ),
    };
    if matches!(outcome, "stopped" | "killed" | "already_gone") {
        // §5 step 5: remove what the daemon did not remove itself.
        let (root, pid) = (e.project_path.clone(), e.pid);
        if let Err(err) = registry.transact(Duration::from_secs(5), |t| t.remove(&root, pid)) {
            log::warn!("could not remove the registry entry: {err}");
        }
        pidfile::remove_if(&root.join(".mu").join("daemon.pid"), pid);
    }
    Outcome {
        entry: e,
        outcome,
        message,
    }
}
