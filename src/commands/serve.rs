//! `serve` and `run` (`cli-and-registry.md` §3.2, §3.3, §4.1, §6): the daemon process itself.
//!
//! The startup sequence runs on the main thread before any runtime exists: lock, register and
//! bind, pid file, database, writer thread, watcher, heartbeat. Only then is the tokio runtime
//! built and readiness reported. A failure after the project lock undoes the steps already
//! done, in reverse order, and is reported on the readiness pipe and in the log.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::{exit, CliError, Ctx};
use crate::cli::ServerArgs;
use crate::daemon::{ProjectHandle, Writer};
use crate::index::Engine;
use crate::process::lock::{LockError, ProjectLock};
use crate::process::ready::Reporter;
use crate::process::{http, log as plog, pidfile};
use crate::project::{self, Project};
use crate::registry::{self, Entry, Registry};
use crate::store::{Store, StoreError, StoreOptions};

/// Heartbeat interval (§7.9).
const HEARTBEAT: Duration = Duration::from_secs(30);
/// How long in-flight requests may finish after the listeners close (§6 step 1).
const DRAIN: Duration = Duration::from_secs(2);
/// Budget for applying the watcher's pending batch at shutdown (§6 step 2).
const WATCH_FLUSH: Duration = Duration::from_secs(1);

/// Validated server options (§2.5).
#[derive(Debug, Clone)]
pub struct Opts {
    pub host: IpAddr,
    /// The host as given (`localhost` stays `localhost` in messages).
    pub host_text: String,
    pub port: u16,
    pub token: Option<String>,
    pub watch: bool,
    pub store: StoreOptions,
    /// MUQL/SQL time cap.
    pub query_timeout: Duration,
}

/// Check the host and token rules (§2.5); errors exit 1.
pub fn validate(args: &ServerArgs) -> Result<Opts, CliError> {
    let host: IpAddr = if args.host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        args.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| {
                CliError::new(
                    "invalid_host",
                    exit::USER,
                    format!(
                        "Invalid --host '{}': use an IP address or localhost.",
                        args.host
                    ),
                )
            })?
    };
    let token = args.token.clone().filter(|t| !t.is_empty());
    if let Some(t) = &token {
        if t.chars().count() < 16 {
            return Err(CliError::new(
                "token_too_short",
                exit::USER,
                "The token must be at least 16 characters long.",
            ));
        }
    }
    if !host.is_loopback() && token.is_none() {
        return Err(CliError::new(
            "host_requires_token",
            exit::USER,
            format!(
                "Refusing to listen on {} without a token. Set MU_DAEMON_TOKEN or use --token.",
                args.host
            ),
        ));
    }
    let mut store = StoreOptions::default();
    if let Some(t) = args.db_threads {
        store.threads = t;
    }
    store.memory_limit = args.db_memory.clone();
    Ok(Opts {
        host,
        host_text: args.host.clone(),
        port: args.port,
        token,
        watch: !args.no_watch,
        store,
        query_timeout: Duration::from_secs(args.query_timeout),
    })
}

/// `serve` (launched by `start`, or by a supervisor) or `run` (foreground).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serve,
    Run,
}

/// What the legacy launcher form adds (§3.9).
#[derive(Debug, Clone, Default)]
pub struct Legacy {
    pub build: bool,
    pub mubase: Option<PathBuf>,
}

/// Run the daemon until it is stopped. `ready_fd` is the readiness pipe of `start`.
pub fn run(
    ctx: &Ctx,
    args: &ServerArgs,
    mode: Mode,
    ready_fd: Option<i32>,
    legacy: &Legacy,
) -> Result<(), CliError> {
    let reporter = match ready_fd {
        Some(fd) => Reporter::from_fd(fd).unwrap_or_else(|e| {
            eprintln!("Warning: --ready-fd {fd} is not usable ({e}); readiness is not reported.");
            Reporter::none()
        }),
        None => Reporter::none(),
    };
    let result = startup(ctx, args, mode, &reporter, legacy);
    match result {
        Ok(daemon) => daemon.serve_until_stopped(ctx, mode, reporter),
        Err(e) => {
            // `run` prints the error itself; its log copy on the terminal would repeat it.
            if mode == Mode::Serve {
                log::error!("startup failed: {}", e.message);
            }
            report_error(&reporter, &e);
            Err(e)
        }
    }
}

/// Send a startup failure on the readiness pipe (§4.2).
fn report_error(reporter: &Reporter, e: &CliError) {
    let mut event = Map::new();
    event.insert("code".into(), json!(e.code));
    event.insert("message".into(), json!(e.message));
    for (k, v) in &e.extra {
        event.insert(k.clone(), v.clone());
    }
    reporter.error(Value::Object(event));
}

/// Undo list of a startup that got past the project lock (§4.1: reverse order).
struct Acquired {
    registry: Arc<Registry>,
    project: Project,
    pid: u32,
    lock: Option<ProjectLock>,
    registered: bool,
    pid_file: bool,
}

impl Acquired {
    fn undo(&mut self) {
        if self.registered {
            if let Err(e) = self.registry.deregister(&self.project.root, self.pid) {
                log::warn!("could not remove the registry entry: {e}");
            }
            self.registered = false;
        }
        if self.pid_file {
            pidfile::remove_if(&pid_path(&self.project), self.pid);
            self.pid_file = false;
        }
        self.lock.take();
    }
}

impl Drop for Acquired {
    fn drop(&mut self) {
        self.undo();
    }
}

fn pid_path(p: &Project) -> PathBuf {
    p.mu_dir().join("daemon.pid")
}

pub fn log_path(p: &Project) -> PathBuf {
    p.mu_dir().join("daemon.log")
}

/// A daemon that is ready to serve.
struct Daemon {
    acquired: Acquired,
    entry: Entry,
    listeners: Vec<TcpListener>,
    handle: Arc<ProjectHandle>,
    /// The thread starting the watcher; it returns the watcher.
    watcher: std::thread::JoinHandle<Option<Watching>>,
    opts: Opts,
    indexed: Option<Value>,
    started: Instant,
}

fn internal(context: &str, e: impl std::fmt::Display) -> CliError {
    CliError::new("start_failed", exit::INTERNAL, format!("{context}: {e}"))
}

fn startup(
    ctx: &Ctx,
    args: &ServerArgs,
    mode: Mode,
    reporter: &Reporter,
    legacy: &Legacy,
) -> Result<Daemon, CliError> {
    let started = Instant::now();
    // Step 1: options, MU_HOME, umask, `.mu/`.
    let opts = validate(args)?;
    let registry = Registry::from_env()?;
    #[cfg(unix)]
    unsafe {
        libc::umask(0o077);
    }
    let project = project::resolve_root(&args.path, true)?
        .ok_or_else(|| CliError::new("internal", exit::INTERNAL, "no project root"))?;
    if let Some(m) = &legacy.mubase {
        let given = std::path::absolute(m).unwrap_or_else(|_| m.clone());
        let same = given == project.mubase_path()
            || std::fs::canonicalize(given.parent().unwrap_or(Path::new("/")))
                .ok()
                .map(|d| d.join(given.file_name().unwrap_or_default()))
                == Some(project.mubase_path());
        if !same {
            return Err(CliError::new(
                "invalid_path",
                exit::USER,
                format!(
                    "--mubase must be {} (the project's own database), not {}.",
                    project.mubase_path().display(),
                    m.display()
                ),
            )
            .with("path", json!(m.display().to_string())));
        }
    }
    // A daemon that already serves the project is reported at once, before the log and the
    // lock (the project lock below stays the authoritative check). Identity, not the lock:
    // an `index` run may hold the lock next to a stale entry.
    if let Some(e) = super::common::verified_daemon(&registry, &project.root) {
        return Err(already_running(&project, e.pid, e.port));
    }
    project
        .ensure_mu_dir()
        .map_err(|e| internal(&format!("Cannot create {}", project.mu_dir().display()), e))?;
    // Step 2: the log. `serve` points stderr (and stdout without --json) at it.
    let warnings = plog::init(plog::LogOptions {
        file: Some(log_path(&project)),
        tee_stderr: mode == Mode::Run,
        redirect_stdio: mode == Mode::Serve,
        redirect_stdout: mode == Mode::Serve && !ctx.json,
        filter: std::env::var("MU_LOG").ok().filter(|v| !v.is_empty()),
        verbose: ctx.verbose,
    })
    .map_err(|e| internal(&format!("Cannot open {}", log_path(&project).display()), e))?;
    // (`run` shows them on the terminal through the log's copy to stderr.)
    for w in warnings.iter().chain(registry.warnings()) {
        log::warn!("{w}");
    }
    log::info!(
        "starting mu-daemon {} for {} (pid {})",
        env!("CARGO_PKG_VERSION"),
        project.root.display(),
        std::process::id()
    );
    // Step 3: our own start time is read through sysinfo, as other commands will read it, by
    // `Entry::new_own` in step 5.
    let pid = std::process::id();
    let registry = Arc::new(registry);
    // Step 4: the project lock.
    let step = |name: &str| {
        log::debug!(
            "startup: {name} at {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        )
    };
    step("locking");
    reporter.progress("locking", None, None);
    let lock = match ProjectLock::try_for(&project.lock_path(), Duration::from_secs(1)) {
        Ok(l) => l,
        Err(LockError::Held { pid: holder }) => {
            return Err(locked_out(&registry, &project, holder))
        }
        Err(LockError::Io(e)) => {
            return Err(internal(
                &format!("Cannot lock {}", project.lock_path().display()),
                e,
            ))
        }
    };
    let mut acquired = Acquired {
        registry,
        project: project.clone(),
        pid,
        lock: Some(lock),
        registered: false,
        pid_file: false,
    };
    // Step 5: register and bind under the registry lock.
    step("registering");
    reporter.progress("registering", None, None);
    let (listeners, entry) = register_and_bind(&acquired.registry, &project, &opts)?;
    acquired.registered = true;
    let port = entry.port;
    // Step 6: the pid file.
    pidfile::write(&pid_path(&project), pid)
        .map_err(|e| internal(&format!("Cannot write {}", pid_path(&project).display()), e))?;
    acquired.pid_file = true;
    // Step 7: the database, indexed first when it never was.
    step("opening the database");
    reporter.progress("opening_database", None, None);
    let existed = project.is_indexed();
    let store = open_store(&project, &opts, reporter)?;
    step("database open");
    for w in store.warnings() {
        log::warn!("{w}");
    }
    let mut indexed = None;
    let never_indexed =
        !existed || (store.meta("index_format")?.is_none() && !store.origin().is_mu());
    let writer = if store.is_read_only() {
        Writer::ReadOnly(store)
    } else if never_indexed {
        let mut engine = Engine::open(&project.root, &project.cache_dir(), store, 0)?;
        indexed = Some(index_now(ctx, &mut engine, mode, reporter)?);
        Writer::Engine(Box::new(engine))
    } else {
        // The engine (file table, facts-cache header, parser pool) is opened on the writer
        // thread, after the daemon reported ready.
        Writer::Store(store)
    };
    // Step 8–9: the writer thread, the watcher, the heartbeat. Adding inotify watches for a
    // large tree takes tens of milliseconds, so the watcher starts on its own thread; the
    // start-up reconciliation (when the graph is kept live, or the legacy --build asked for it)
    // is queued once the watcher runs, so no change falls between the two.
    let reconcile = indexed.is_none() && (opts.watch || legacy.build);
    step("starting the writer");
    let handle = ProjectHandle::start(&project.root, writer)?;
    let watch = opts.watch;
    let h = Arc::clone(&handle);
    let watcher = std::thread::Builder::new()
        .name("mu-watch-start".into())
        .spawn(move || {
            let w = if watch { start_watcher(&h) } else { None };
            if reconcile {
                h.submit_reconcile();
            }
            w
        })
        .map_err(|e| internal("Cannot start the watcher", e))?;
    log::info!(
        "ready on http://{}:{port} after {:.0} ms",
        url_host(opts.host),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(Daemon {
        acquired,
        entry,
        listeners,
        handle,
        watcher,
        opts,
        indexed,
        started,
    })
}

/// The project lock is held by someone else (§4.1 step 4): a daemon that is starting (wait up
/// to 5 s for its registry entry) or an index run.
fn locked_out(registry: &Registry, project: &Project, holder: Option<u32>) -> CliError {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(e) = super::common::verified_daemon(registry, &project.root) {
            return already_running(project, e.pid, e.port);
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let who = holder.map_or_else(|| "another process".to_string(), |p| format!("pid {p}"));
    CliError::new(
        "start_failed",
        3,
        format!(
            "Project {} is locked by {who} (an index run?)",
            project.root.display()
        ),
    )
}

fn already_running(project: &Project, pid: u32, port: u16) -> CliError {
    CliError::new(
        "already_running",
        exit::USER,
        format!(
            "mu-daemon is already running for {root} (pid {pid}, port {port}). Stop it first with: mu-daemon stop {root}",
            root = project.root.display()
        ),
    )
    .with("pid", json!(pid))
    .with("port", json!(port))
}

/// The port-conflict error (§8) for a port held by another project's daemon.
pub fn port_conflict(port: u16, owner: Option<&str>) -> CliError {
    let err = match owner {
        Some(o) => CliError::new(
            "port_in_use",
            exit::USER,
            format!("Port {port} already in use by daemon for {o}. Use --port to specify a different port."),
        )
        .hint("mu-daemon start --port 0 picks a free port; the daemon on 9120 forwards this project's requests to it."),
        None => CliError::new(
            "port_in_use",
            exit::USER,
            format!("Port {port} is already in use by another process (not a mu-daemon). Use --port to specify a different port."),
        ),
    };
    err.with("port", json!(port))
        .with("owner_project", json!(owner))
}

enum BindOutcome {
    Bound(Vec<TcpListener>, Entry),
    OwnLive(u32, u16),
    OtherLive(PathBuf),
    InUse,
    Failed(std::io::Error),
}

/// §4.1 step 5 and §8: under the registry lock, clean stale entries, apply the port rules,
/// bind, and add our entry. A port in use by an unregistered server is probed after the lock
/// is released (no network I/O under the lock).
fn register_and_bind(
    registry: &Registry,
    project: &Project,
    opts: &Opts,
) -> Result<(Vec<TcpListener>, Entry), CliError> {
    let (outcome, warnings) = registry.transact(Duration::from_secs(5), |txn| {
        for r in txn.clean_stale() {
            log::info!(
                "removed stale registry entry for {} (pid {}: {})",
                r.project_path.display(),
                r.pid,
                r.reason.as_str()
            );
        }
        for live in txn.live() {
            let e = &live.entry;
            if e.project_path == project.root {
                // We hold this project's lock, so the lock probe says nothing here: only a
                // verified other process counts. A dead one's entry is replaced below.
                if e.pid != std::process::id() && registry::identity(e) {
                    return BindOutcome::OwnLive(e.pid, e.port);
                }
                continue;
            }
            if opts.port != 0 && e.port == opts.port {
                return BindOutcome::OtherLive(e.project_path.clone());
            }
        }
        match bind(opts) {
            Ok(listeners) => {
                let port = listeners
                    .first()
                    .and_then(|l| l.local_addr().ok())
                    .map_or(opts.port, |a| a.port());
                let entry = Entry::new_own(
                    project.root.clone(),
                    port,
                    opts.host.to_string(),
                    project.mubase_path(),
                    log_path(project),
                );
                txn.upsert(entry.clone());
                BindOutcome::Bound(listeners, entry)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => BindOutcome::InUse,
            Err(e) => BindOutcome::Failed(e),
        }
    })?;
    for w in warnings {
        log::warn!("{w}");
    }
    match outcome {
        BindOutcome::Bound(l, e) => Ok((l, e)),
        BindOutcome::OwnLive(pid, port) => Err(already_running(project, pid, port)),
        BindOutcome::OtherLive(owner) => {
            Err(port_conflict(opts.port, Some(&owner.display().to_string())))
        }
        BindOutcome::InUse => Err(port_conflict(opts.port, probe_owner(opts.port).as_deref())),
        BindOutcome::Failed(e) => Err(CliError::new(
            "start_failed",
            exit::USER,
            format!("Cannot listen on {}:{}: {e}", opts.host_text, opts.port),
        )),
    }
}

/// The project a mu-daemon on `port` serves, from its `/health` answer (§8 rule 3).
pub fn probe_owner(port: u16) -> Option<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let token = super::common::token();
    let resp = http::get(addr, "/health", token.as_deref(), Duration::from_secs(1)).ok()?;
    let body = resp.json()?;
    if body.get("service").and_then(Value::as_str) != Some("mu-daemon") {
        return None;
    }
    Some(
        resp.header("x-mu-project")
            .map(percent_decode)
            .unwrap_or_else(|| "an unknown project".to_string()),
    )
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Bind the listener(s): the host and port asked for, plus `[::1]` on the same port with the
/// default host (best effort, http-api.md §2.1).
fn bind(opts: &Opts) -> std::io::Result<Vec<TcpListener>> {
    let first = TcpListener::bind(SocketAddr::new(opts.host, opts.port))?;
    let port = first.local_addr()?.port();
    let mut listeners = vec![first];
    if opts.host == IpAddr::V4(Ipv4Addr::LOCALHOST) {
        match TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)) {
            Ok(l) => listeners.push(l),
            Err(e) => log::warn!("not listening on [::1]:{port}: {e}"),
        }
    }
    Ok(listeners)
}

/// §4.1 step 7: open read-write; while another process holds the database, retry every 250 ms
/// for up to 20 s.
fn open_store(project: &Project, opts: &Opts, reporter: &Reporter) -> Result<Store, CliError> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut announced = false;
    loop {
        match Store::open(&project.mubase_path(), &opts.store, &project.root) {
            Ok(s) => return Ok(s),
            Err(StoreError::Locked { pid, .. }) if Instant::now() < deadline => {
                if !announced {
                    reporter.progress("waiting_for_database", None, None);
                    log::info!("waiting for the database lock (held by pid {pid:?})");
                    announced = true;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e @ StoreError::Locked { .. }) => {
                let pid = match &e {
                    StoreError::Locked { pid, .. } => *pid,
                    _ => None,
                };
                return Err(
                    CliError::new("database_locked", 3, e.to_string()).with("pid", json!(pid))
                );
            }
            Err(e) => return Err(CliError::new("start_failed", 3, e.to_string())),
        }
    }
}

/// A full index before serving, with `progress` events on the pipe (and a bar for `run`).
fn index_now(
    ctx: &Ctx,
    engine: &mut Engine,
    mode: Mode,
    reporter: &Reporter,
) -> Result<Value, CliError> {
    let bar = if mode == Mode::Run {
        super::index::progress_bar(ctx)
    } else {
        None
    };
    let last = std::sync::Mutex::new(Instant::now() - Duration::from_secs(1));
    let on_progress = |p: &crate::index::Progress| {
        if let Some(pb) = &bar {
            super::index::show_progress(pb, p);
        }
        let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
        if l.elapsed() >= Duration::from_millis(200) {
            *l = Instant::now();
            reporter.progress("indexing", Some(p.files_done), Some(p.files_total));
        }
    };
    let result = engine.reconcile(false, &on_progress);
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let s = result?;
    log::info!(
        "indexed {} files: {} nodes, {} edges in {} ms",
        s.files_indexed,
        s.node_count,
        s.edge_count,
        s.duration_ms
    );
    if mode == Mode::Run && !ctx.json {
        super::out(&format!(
            "Indexed {} files: {} nodes, {} edges in {:.1} s\n",
            s.files_indexed,
            s.node_count,
            s.edge_count,
            s.duration_ms as f64 / 1000.0
        ));
    }
    Ok(json!({
        "files": s.files_indexed,
        "nodes": s.node_count,
        "edges": s.edge_count,
        "duration_ms": s.duration_ms as f64,
    }))
}

/// Start the watcher and the thread that hands its batches to the writer. A watcher that cannot
/// start (inotify limits) is logged; the daemon serves without it.
/// The running watcher and the thread feeding its batches to the writer.
type Watching = (crate::watch::Watcher, std::thread::JoinHandle<()>);

fn start_watcher(handle: &Arc<ProjectHandle>) -> Option<Watching> {
    match crate::watch::Watcher::start(&handle.root, crate::watch::WatchOptions::default()) {
        Ok((watcher, batches)) => {
            let h = Arc::clone(handle);
            let spawned = std::thread::Builder::new()
                .name("mu-watch-feed".into())
                .spawn(move || {
                    for batch in batches {
                        match batch {
                            crate::watch::Batch::Paths(p) => h.submit_paths(p),
                            crate::watch::Batch::Rescan => h.submit_reconcile(),
                        }
                    }
                });
            match spawned {
                Ok(feed) => {
                    handle.set_watching(true);
                    Some((watcher, feed))
                }
                Err(e) => {
                    log::warn!("not watching files: {e}");
                    None
                }
            }
        }
        Err(e) => {
            log::warn!("not watching files: {e}");
            None
        }
    }
}

/// `127.0.0.1` or `[::1]`-style host for URLs.
fn url_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v) => v.to_string(),
        IpAddr::V6(v) => format!("[{v}]"),
    }
}

/// The fields `start` and `run` print about a daemon (§3.1).
pub fn daemon_fields(
    root: &Path,
    pid: u32,
    port: u16,
    host: &str,
    indexed: Option<Value>,
) -> Map<String, Value> {
    let host_ip: Option<IpAddr> = host.parse().ok();
    let url_h = match host_ip {
        Some(ip) if !ip.is_loopback() => url_host(ip),
        _ => "127.0.0.1".to_string(),
    };
    let mut m = Map::new();
    m.insert("project_root".into(), json!(root.display().to_string()));
    m.insert("pid".into(), json!(pid));
    m.insert("port".into(), json!(port));
    m.insert("host".into(), json!(host));
    m.insert("url".into(), json!(format!("http://{url_h}:{port}")));
    m.insert(
        "mubase_path".into(),
        json!(root.join(".mu/mubase").display().to_string()),
    );
    m.insert(
        "log_path".into(),
        json!(root.join(".mu/daemon.log").display().to_string()),
    );
    m.insert("daemon_version".into(), json!(env!("CARGO_PKG_VERSION")));
    m.insert("indexed".into(), indexed.unwrap_or(Value::Null));
    m
}

impl Daemon {
    /// Steps 9–10 and the life of the daemon: runtime, signals, server, ready; then the
    /// graceful shutdown of §6.
    fn serve_until_stopped(
        mut self,
        ctx: &Ctx,
        mode: Mode,
        reporter: Reporter,
    ) -> Result<(), CliError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mu-http")
            .enable_all()
            .build()
            .map_err(|e| {
                let err = internal("Cannot start the server runtime", e);
                report_error(&reporter, &err);
                err
            })?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let (drain_tx, drain_rx) = tokio::sync::watch::channel(false);
        let mut signals = runtime
            .block_on(async { Signals::install(mode) })
            .map_err(|e| {
                let err = internal("Cannot install signal handlers", e);
                report_error(&reporter, &err);
                err
            })?;
        let port = self.entry.port;
        let pid = self.acquired.pid;
        let extra_host = (!self.opts.host.is_loopback()).then(|| url_host(self.opts.host));
        let state = Arc::new(crate::server::AppState {
            config: crate::server::ServerConfig {
                pid,
                port,
                token: self.opts.token.clone(),
                query_timeout: self.opts.query_timeout,
                extra_host,
            },
            projects: crate::server::Projects::new(
                Arc::clone(&self.handle),
                pid,
                self.opts.store.clone(),
                self.opts.query_timeout,
            ),
            started: self.started,
            connections: AtomicUsize::new(0),
            drain: drain_rx,
        });
        let app = crate::server::router(Arc::clone(&state));
        {
            let _rt = runtime.enter();
            crate::server::spawn_maintenance(&state);
        }
        let listeners = std::mem::take(&mut self.listeners);
        let server = runtime.spawn(crate::server::serve(listeners, app, stop_rx));
        // The heartbeat runs on its own thread: the registry lock is never taken on an async
        // worker (§7.4).
        let (hb_stop, hb_rx) = mpsc::channel::<()>();
        let hb_registry = Arc::clone(&self.acquired.registry);
        let hb_entry = self.entry.clone();
        let heartbeat = std::thread::Builder::new()
            .name("mu-heartbeat".into())
            .spawn(move || heartbeat_loop(&hb_registry, &hb_entry, &hb_rx))
            .map_err(|e| {
                let err = internal("Cannot start the heartbeat", e);
                report_error(&reporter, &err);
                err
            })?;

        // Step 10: ready. The graph snapshot is loaded next, off the start-up path.
        reporter.ready(pid, port);
        self.handle.load_graph();
        let fields = daemon_fields(
            &self.acquired.project.root,
            pid,
            port,
            &self.entry.host.clone().unwrap_or_default(),
            self.indexed.take(),
        );
        // JSON lines for `run --json` and `serve --json` (§3.2, §3.3).
        let command = if mode == Mode::Run { "run" } else { "serve" };
        if ctx.json {
            let mut body = Map::new();
            body.insert("result".into(), json!("serving"));
            body.extend(fields);
            ctx.print_json(command, body);
        } else if mode == Mode::Run {
            super::out(&format!(
                "Serving {} on http://{}:{port} (pid {pid}). Press Ctrl+C to stop.\n",
                self.acquired.project.root.display(),
                url_host(if self.opts.host.is_loopback() {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                } else {
                    self.opts.host
                })
            ));
        }

        // Wait for the first signal; a second one during the shutdown exits at once (code 4).
        let signal = runtime.block_on(signals.first());
        log::info!("received {signal}; shutting down");
        if mode == Mode::Run && !ctx.json {
            super::out("Shutting down…\n");
        }
        runtime.spawn(signals.second());
        // Step 1: stop accepting; in-flight requests get DRAIN to finish, then 503.
        let _ = stop_tx.send(true);
        runtime.spawn(async move {
            tokio::time::sleep(DRAIN).await;
            let _ = drain_tx.send(true);
        });
        let _ = runtime.block_on(server);
        // Step 2: flush the watcher; its pending batch is applied within the budget.
        // The feed thread ends once the flushed batch is handed to the writer.
        if let Ok(Some((w, feed))) = self.watcher.join() {
            w.flush_and_stop(WATCH_FLUSH);
            let _ = feed.join();
        }
        // Step 3: close the database with a checkpoint (the writer applies what is queued), and
        // the secondary projects this daemon opened.
        self.handle.close(WATCH_FLUSH);
        state.projects.close_all();
        let _ = hb_stop.send(());
        let _ = heartbeat.join();
        // Steps 4–6: deregister, pid file, locks.
        self.acquired.undo();
        log::info!("stopped");
        if ctx.json {
            let mut body = Map::new();
            body.insert("result".into(), json!("stopped"));
            ctx.print_json(command, body);
        }
        runtime.shutdown_timeout(Duration::from_millis(100));
        Ok(())
    }
}

fn heartbeat_loop(registry: &Registry, entry: &Entry, stop: &mpsc::Receiver<()>) {
    // recv_timeout measures elapsed time on a monotonic clock, so after a suspend at most one
    // heartbeat is written on wake: missed ticks are not replayed (§7.9).
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(HEARTBEAT) {
        if let Err(e) = registry.heartbeat(entry) {
            log::warn!("heartbeat failed: {e}");
        }
    }
}

/// The shutdown signals: SIGTERM and SIGINT, plus SIGHUP in `run` (a detached `serve` ignores
/// SIGHUP, as daemons do).
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    hup_stops: bool,
}

impl Signals {
    fn install(mode: Mode) -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
            hup_stops: mode == Mode::Run,
        })
    }

    async fn next(&mut self) -> &'static str {
        loop {
            tokio::select! {
                _ = self.term.recv() => return "SIGTERM",
                _ = self.int.recv() => return "SIGINT",
                _ = self.hup.recv() => {
                    if self.hup_stops {
                        return "SIGHUP";
                    }
                    log::info!("SIGHUP ignored");
                }
            }
        }
    }

    /// Wait for the signal that starts the shutdown.
    async fn first(&mut self) -> &'static str {
        self.next().await
    }

    /// A second signal during the shutdown: exit immediately with code 4 (§6).
    async fn second(mut self) {
        let s = self.next().await;
        log::warn!("received {s} during shutdown; exiting now");
        std::process::exit(exit::INTERNAL);
    }
}
