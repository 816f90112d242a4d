//! `mu-daemon start [PATH]` (`cli-and-registry.md` §3.1, §4.2, §4.3): launch `serve` as a new
//! process image and wait for its readiness report.
//!
//! Nothing here creates a thread or a runtime before the launch, and the daemon is a fresh
//! `exec` of this executable, so `start` behaves the same when it is itself run from inside a
//! multi-threaded program.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::common;
use super::serve::{self, daemon_fields, port_conflict, Opts};
use super::{exit, CliError, Ctx};
use crate::cli::ServerArgs;
use crate::process::ready::ReadyOutcome;
use crate::process::signal::{self, Check, StopOutcome};
use crate::process::{log as plog, pidfile, spawn};
use crate::project::{self, Project};
use crate::registry::{Entry, Registry};

/// The readiness wait (§3.1 step 6).
const READY_WAIT: Duration = Duration::from_secs(30);
/// When to tell a TTY user what the daemon is doing.
const SLOW_NOTICE: Duration = Duration::from_secs(10);
/// Error codes of the daemon's pipe that are the user's to fix (exit 1).
const USER_ERRORS: &[&str] = &[
    "host_requires_token",
    "token_too_short",
    "unsafe_mu_home",
    "invalid_path",
    "refused_path",
    "registry_too_new",
    "invalid_host",
];
/// Lines of the log printed with a startup failure.
const TAIL: usize = 20;

pub fn run(ctx: &Ctx, args: &ServerArgs) -> Result<i32, CliError> {
    // Step 1.
    let opts = serve::validate(args)?;
    let registry = Registry::from_env()?;
    #[cfg(unix)]
    unsafe {
        libc::umask(0o077);
    }
    let project = project::resolve_root(&args.path, true)?
        .ok_or_else(|| CliError::new("internal", exit::INTERNAL, "no project root"))?;

    // A registry from a newer mu-daemon cannot take our entry: say so before indexing.
    let version = registry.version()?;
    if version > crate::registry::REGISTRY_VERSION {
        return Err(crate::registry::RegistryError::TooNew { version }.into());
    }
    // Step 2: stale cleanup; already running?
    let snap = registry.clean()?;
    common::report_cleanup(ctx, &snap.removed, &snap.warnings);
    if let Some(le) = snap
        .live
        .iter()
        .find(|le| le.entry.project_path == project.root)
    {
        // A daemon registered moments ago may still be starting (opening or indexing its
        // database): give it the rest of the 30 s before calling it unresponsive.
        let age = common::uptime(&le.entry).unwrap_or(f64::MAX);
        if age < READY_WAIT.as_secs_f64()
            && common::probe(&le.entry, "/health", Duration::from_secs(2)).is_none()
        {
            let deadline = Instant::now() + READY_WAIT - Duration::from_secs_f64(age);
            if let Some(e) = common::wait_until_answering(&registry, &project.root, deadline) {
                return already_running(ctx, &project, &e, args.port);
            }
        }
        return already_running(ctx, &project, &le.entry, args.port);
    }
    // Step 3: port pre-check.
    if opts.port != 0 {
        if let Some(le) = snap.live.iter().find(|le| le.entry.port == opts.port) {
            return Err(port_conflict(
                opts.port,
                Some(&le.entry.project_path.display().to_string()),
            ));
        }
    }
    // Step 4: index a missing mubase first, under the project lock.
    let mut indexed = None;
    if !project.is_indexed() {
        project.ensure_mu_dir().map_err(|e| {
            CliError::new(
                "internal",
                exit::INTERNAL,
                format!("Cannot create {}: {e}", project.mu_dir().display()),
            )
        })?;
        let lock = match common::lock_or_daemon(ctx, &registry, &project)? {
            common::LockWait::Locked(lock) => lock,
            common::LockWait::Daemon => {
                // A daemon took the project while we waited (continue as in step 2).
                let deadline = Instant::now() + READY_WAIT;
                return match common::wait_until_answering(&registry, &project.root, deadline) {
                    Some(e) => already_running(ctx, &project, &e, args.port),
                    None => Err(not_ready(&serve::log_path(&project))),
                };
            }
        };
        if !project.is_indexed() {
            let summary = super::index::index_locked(ctx, &project, false)?;
            if !ctx.json {
                super::out(&format!(
                    "Indexed {} files: {} nodes, {} edges in {:.1} s\n",
                    summary.files_indexed,
                    summary.node_count,
                    summary.edge_count,
                    summary.duration_ms as f64 / 1000.0
                ));
            }
            indexed = Some(json!({
                "files": summary.files_indexed,
                "nodes": summary.node_count,
                "edges": summary.edge_count,
                "duration_ms": summary.duration_ms as f64,
            }));
        }
        drop(lock);
    }

    // Step 5: launch `serve` with a readiness pipe.
    let exe = std::env::current_exe().map_err(|e| {
        CliError::new(
            "start_failed",
            exit::NOT_RUNNING,
            format!("Cannot find the mu-daemon executable: {e}"),
        )
    })?;
    let child_args = serve_args(ctx, args, &project, &opts);
    let mut env = Vec::new();
    if let Some(t) = &opts.token {
        // Through the environment, never argv (visible in `ps`).
        env.push(("MU_DAEMON_TOKEN".to_string(), t.clone()));
    }
    let launched = Instant::now();
    let (mut child, mut reader) = spawn::spawn_serve(&exe, &child_args, &project.root, &env)
        .map_err(|e| {
            CliError::new(
                "start_failed",
                exit::NOT_RUNNING,
                format!("mu-daemon failed to start: {e}"),
            )
        })?;

    // Step 6: wait for the pipe, at most 30 s from the launch.
    let deadline = launched + READY_WAIT;
    let tty = !ctx.json && std::io::stderr().is_terminal();
    let mut last_progress: Option<Value> = None;
    let mut outcome;
    loop {
        let slice = if tty && launched.elapsed() < SLOW_NOTICE {
            (launched + SLOW_NOTICE).min(deadline)
        } else {
            deadline
        };
        outcome = reader.wait(slice, |ev| last_progress = Some(ev.clone()));
        if matches!(outcome, ReadyOutcome::Timeout) && Instant::now() < deadline {
            if let Some(ev) = &last_progress {
                eprintln!("Still starting: {}", describe_progress(ev));
            }
            continue;
        }
        break;
    }
    let log_path = serve::log_path(&project);
    let child_pid = child.id();
    match outcome {
        ReadyOutcome::Ready { pid, port } => {
            let fields = daemon_fields(&project.root, pid, port, &opts.host.to_string(), indexed);
            print_started(ctx, &project, fields);
            if !ctx.json && port != common::MU_PORT {
                note_forwarding(&registry, &project);
            }
            Ok(exit::OK)
        }
        ReadyOutcome::Error(ev) => {
            let code = ev
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("start_failed");
            let message = ev
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error")
                .to_string();
            let _ = child.wait();
            match code {
                "already_running" => {
                    // Another `start` won the race: wait (same 30 s) for its daemon to answer.
                    match common::wait_until_answering(&registry, &project.root, deadline) {
                        Some(e) => already_running(ctx, &project, &e, args.port),
                        None => Err(not_ready(&log_path)),
                    }
                }
                "port_in_use" => {
                    let owner = ev.get("owner_project").and_then(Value::as_str);
                    Err(port_conflict(opts.port, owner))
                }
                // User errors the daemon found itself keep their code and exit 1 (§2.4).
                code if USER_ERRORS.contains(&code) => {
                    let code = USER_ERRORS
                        .iter()
                        .copied()
                        .find(|c| *c == code)
                        .unwrap_or("start_failed");
                    Err(CliError::new(code, exit::USER, message))
                }
                "database_locked" => Err(failure(
                    "database_locked",
                    format!("mu-daemon failed to start: {message}"),
                    &log_path,
                )
                .with("pid", ev.get("pid").cloned().unwrap_or(Value::Null))),
                _ => Err(failure(
                    "start_failed",
                    format!("mu-daemon failed to start: {message}"),
                    &log_path,
                )),
            }
        }
        ReadyOutcome::Eof => {
            let _ = child.wait();
            leave_nothing_behind(&registry, &project, child_pid);
            Err(failure(
                "start_failed",
                "mu-daemon exited during startup.".to_string(),
                &log_path,
            ))
        }
        ReadyOutcome::Timeout => {
            // Our own child: its identity is known, so it may be signalled without the registry.
            let never_cancel = std::sync::atomic::AtomicBool::new(false);
            let check = || {
                if signal::is_gone(child_pid) {
                    Check::Gone
                } else {
                    Check::Allowed
                }
            };
            let stopped = signal::stop(
                child_pid,
                &check,
                Duration::from_secs(5),
                Duration::from_secs(2),
                Duration::from_millis(100),
                &never_cancel,
            );
            if matches!(stopped, StopOutcome::Failed(_)) {
                log::warn!("the daemon did not exit");
            }
            let _ = child.wait();
            leave_nothing_behind(&registry, &project, child_pid);
            Err(not_ready(&log_path))
        }
    }
}

/// The arguments of the `serve` process (`--ready-fd` is added by the launcher).
fn serve_args(ctx: &Ctx, args: &ServerArgs, project: &Project, opts: &Opts) -> Vec<OsString> {
    let mut v: Vec<OsString> = vec!["serve".into(), project.root.clone().into_os_string()];
    v.extend([
        "--port".into(),
        opts.port.to_string().into(),
        "--host".into(),
        args.host.clone().into(),
        "--query-timeout".into(),
        args.query_timeout.to_string().into(),
        "--db-memory".into(),
        args.db_memory.clone().into(),
    ]);
    if let Some(t) = args.db_threads {
        v.extend(["--db-threads".into(), t.to_string().into()]);
    }
    if args.no_watch {
        v.push("--no-watch".into());
    }
    for _ in 0..ctx.verbose {
        v.push("-v".into());
    }
    v
}

/// After a failed start: no registry entry and no pid file of the child remain.
fn leave_nothing_behind(registry: &Registry, project: &Project, pid: u32) {
    let root = project.root.clone();
    let _ = registry.transact(Duration::from_secs(5), |t| t.remove(&root, pid));
    pidfile::remove_if(&project.mu_dir().join("daemon.pid"), pid);
}

/// The 30 s readiness wait ran out (§3.1).
fn not_ready(log_path: &Path) -> CliError {
    failure(
        "start_timeout",
        format!(
            "mu-daemon did not become ready within 30 s. Log: {}",
            log_path.display()
        ),
        log_path,
    )
}

/// A startup failure with the log's path and last lines (§3.1).
fn failure(code: &'static str, message: String, log_path: &Path) -> CliError {
    let tail = plog::tail(log_path, TAIL);
    let mut details = Vec::new();
    if !tail.is_empty() {
        details.push(format!("Last lines of {}:", log_path.display()));
        details.extend(tail.iter().map(|l| format!("  {l}")));
    }
    CliError::new(code, exit::NOT_RUNNING, message)
        .with("log_path", json!(log_path.display().to_string()))
        .with("log_tail", json!(tail))
        .details(details)
}

fn describe_progress(ev: &Value) -> String {
    let phase = ev
        .get("phase")
        .and_then(Value::as_str)
        .unwrap_or("starting");
    let what = match phase {
        "locking" => "taking the project lock",
        "registering" => "registering",
        "opening_database" => "opening the database",
        "waiting_for_database" => "waiting for the database lock",
        "indexing" => "indexing",
        other => other,
    };
    match (
        ev.get("files_done").and_then(Value::as_u64),
        ev.get("files_total").and_then(Value::as_u64),
    ) {
        (Some(d), Some(t)) => format!("{what} ({d}/{t} files)"),
        _ => what.to_string(),
    }
}

/// §3.1 step 2: the project's daemon is alive. It answers → exit 0; it does not → exit 3.
fn already_running(
    ctx: &Ctx,
    project: &Project,
    e: &Entry,
    requested_port: u16,
) -> Result<i32, CliError> {
    let root = project.root.display().to_string();
    if common::probe(e, "/health", Duration::from_secs(2)).is_none() {
        let log_path = e
            .log_path
            .clone()
            .unwrap_or_else(|| serve::log_path(project));
        return Err(failure(
            "unresponsive",
            format!(
                "mu-daemon for {root} (pid {}) is alive but not responding. Stop it with: mu-daemon stop {root}",
                e.pid
            ),
            &log_path,
        ));
    }
    if ctx.json {
        let mut body = Map::new();
        body.insert("result".into(), json!("already_running"));
        body.extend(daemon_fields(
            &project.root,
            e.pid,
            e.port,
            e.host.as_deref().unwrap_or("127.0.0.1"),
            None,
        ));
        if let Some(v) = &e.daemon_version {
            body.insert("daemon_version".into(), json!(v));
        }
        ctx.print_json("start", body);
        return Ok(exit::OK);
    }
    let mut line = format!(
        "mu-daemon is already running for {root} (pid {}, port {})",
        e.pid, e.port
    );
    if requested_port != 0 && requested_port != common::MU_PORT && requested_port != e.port {
        line.push_str(&format!("; requested port {requested_port} ignored"));
    }
    line.push('\n');
    let ours = env!("CARGO_PKG_VERSION");
    if let Some(v) = e.daemon_version.as_deref().filter(|v| *v != ours) {
        line.push_str(&format!(
            "Note: the running daemon is version {v}; this is {ours}. Restart with: mu-daemon stop {root} && mu-daemon start {root}\n"
        ));
    }
    super::out(&line);
    Ok(exit::OK)
}

/// §3.1: MU's clients talk to port 9120; when another project's daemon holds it, that daemon
/// forwards this project's requests here.
fn note_forwarding(registry: &crate::registry::Registry, project: &Project) {
    let Ok((entries, _)) = registry.read() else {
        return;
    };
    if let Some(e) = entries.iter().find(|e| {
        e.port == common::MU_PORT
            && e.project_path != project.root
            && crate::registry::alive(e).is_some()
    }) {
        super::out(&format!(
            "MU clients connect to port {} (daemon for {}); it forwards requests for this project to this daemon.\n",
            common::MU_PORT,
            e.project_path.display()
        ));
    }
}

fn print_started(ctx: &Ctx, project: &Project, fields: Map<String, Value>) {
    if ctx.json {
        let mut body = Map::new();
        body.insert("result".into(), json!("started"));
        body.extend(fields);
        ctx.print_json("start", body);
        return;
    }
    let url = fields.get("url").and_then(Value::as_str).unwrap_or("");
    let pid = fields.get("pid").and_then(Value::as_u64).unwrap_or(0);
    let text = format!(
        "mu-daemon started for {}\n  pid {pid} · {url}\n  log {}\n",
        project.root.display(),
        serve::log_path(project).display()
    );
    super::out(&text);
}
