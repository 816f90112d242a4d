//! `mu-daemon index [PATH] [--force]` (`cli-and-registry.md` §3.7).
//!
//! When a live daemon serves the project, the build goes through it (`POST /build`, "via":
//! "daemon"): the database is never opened twice. Otherwise: take the project lock, open the
//! mubase read-write, index, release the lock ("via": "direct").

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::{json, Map};

use super::{exit, CliError, Ctx};
use crate::cli::IndexArgs;
use crate::index::{Engine, IndexSummary, Phase, Progress};
use crate::process::http;
use crate::project::{self, Project};
use crate::registry::{Entry, Registry};
use crate::store::{Store, StoreOptions};

pub fn run(ctx: &Ctx, args: &IndexArgs) -> Result<(), CliError> {
    // Everything this command creates lives in `.mu/` and is private to the user: 0700
    // directories, 0600 files, including the `mubase.wal` DuckDB creates (§9).
    #[cfg(unix)]
    unsafe {
        libc::umask(0o077);
    }
    let project = project::resolve_root(&args.path, true)?
        .ok_or_else(|| CliError::new("internal", exit::INTERNAL, "no project root"))?;
    // Step 2: a live daemon owns the database; the build goes through it.
    let registry = Registry::from_env_no_create()?;
    let snap = registry.clean()?;
    super::common::report_cleanup(ctx, &snap.removed, &snap.warnings);
    if let Some(le) = snap
        .live
        .iter()
        .find(|le| le.entry.project_path == project.root)
    {
        return via_daemon(ctx, &project, &le.entry, args.force);
    }
    project.ensure_mu_dir().map_err(|e| {
        CliError::new(
            "internal",
            exit::INTERNAL,
            format!("Cannot create {}: {e}", project.mu_dir().display()),
        )
    })?;
    let _lock = match super::common::lock_or_daemon(ctx, &registry, &project)? {
        super::common::LockWait::Locked(lock) => lock,
        super::common::LockWait::Daemon => {
            // A daemon took the project while we waited: the build goes through it once it
            // serves.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            return match super::common::wait_until_answering(&registry, &project.root, deadline) {
                Some(e) => via_daemon(ctx, &project, &e, args.force),
                None => Err(CliError::new(
                    "unresponsive",
                    exit::USER,
                    format!(
                        "mu-daemon for {root} is not responding; stop it first (mu-daemon stop {root}).",
                        root = project.root.display()
                    ),
                )),
            };
        }
    };
    // A daemon may have started while we waited for the lock (it released it only on exit, so
    // this is one that serves the database as a secondary project): send it the build.
    let summary = match index_locked(ctx, &project, args.force) {
        Err(e) if e.code == "database_locked" => {
            let pid = e.extra.get("pid").and_then(serde_json::Value::as_u64);
            let owner = registry.clean().ok().and_then(|s| {
                s.live
                    .into_iter()
                    .find(|le| pid.is_some_and(|p| u64::from(le.entry.pid) == p))
            });
            return match owner {
                Some(le) => via_daemon(ctx, &project, &le.entry, args.force),
                None => Err(e),
            };
        }
        other => other?,
    };
    report(ctx, &project, &summary);
    Ok(())
}

/// Index the project directly; the caller holds the project lock.
pub fn index_locked(ctx: &Ctx, project: &Project, force: bool) -> Result<IndexSummary, CliError> {
    let store = Store::open(
        &project.mubase_path(),
        &StoreOptions::default(),
        &project.root,
    )?;
    for w in store.warnings() {
        ctx.warn(w);
    }
    let mut engine = Engine::open(&project.root, &project.cache_dir(), store, 0)?;
    let bar = progress_bar(ctx);
    let on_progress = |p: &Progress| {
        if let Some(pb) = &bar {
            show_progress(pb, p);
        }
    };
    let result = engine.reconcile(force, &on_progress);
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let mut summary = result?;
    // Saves the facts cache while the database checkpoints.
    let t = std::time::Instant::now();
    if let Err(e) = engine.close() {
        summary
            .warnings
            .push(format!("could not write the facts cache: {e}"));
    }
    summary
        .phase_ms
        .insert("close", t.elapsed().as_millis() as u64);
    Ok(summary)
}

/// A progress bar on a TTY (never with `--json`).
pub fn progress_bar(ctx: &Ctx) -> Option<indicatif::ProgressBar> {
    let show = !ctx.json && std::io::stderr().is_terminal();
    show.then(|| {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg:8} [{bar:30}] {pos}/{len} files ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    })
}

pub fn show_progress(pb: &indicatif::ProgressBar, p: &Progress) {
    pb.set_length(p.files_total as u64);
    pb.set_position(p.files_done as u64);
    pb.set_message(match p.phase {
        Phase::Scan => "scanning",
        Phase::Parse => "parsing",
        Phase::Resolve => "linking",
        Phase::Write => "writing",
        Phase::Done => "done",
    });
}

/// §3.7 step 2: `POST /build` to the project's daemon, with no deadline.
fn via_daemon(ctx: &Ctx, project: &Project, e: &Entry, force: bool) -> Result<(), CliError> {
    let not_responding = || {
        CliError::new(
            "unresponsive",
            exit::USER,
            format!(
                "mu-daemon for {root} is not responding; stop it first (mu-daemon stop {root}).",
                root = project.root.display()
            ),
        )
    };
    let addr = super::common::entry_addr(e).ok_or_else(not_responding)?;
    // Answers within a second, or it is not responding; then the build may take as long as
    // it takes (a day is "no deadline" for practical purposes).
    if super::common::probe(e, "/health", Duration::from_secs(2)).is_none() {
        return Err(not_responding());
    }
    let body = json!({"cwd": project.root.display().to_string(), "force": force}).to_string();
    let token = super::common::token();
    let mut headers = vec![("Content-Type", "application/json")];
    let auth = token.map(|t| format!("Bearer {t}"));
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let resp = http::request(
        addr,
        "POST",
        "/build",
        &headers,
        Some(body.as_bytes()),
        Duration::from_secs(86_400),
    )
    .map_err(|_| not_responding())?;
    let answer = resp.json().unwrap_or(serde_json::Value::Null);
    if resp.status != 200 {
        let detail = answer
            .get("detail")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown error");
        let code = if resp.status == 409 {
            "build_running"
        } else {
            "internal"
        };
        let exit_code = if resp.status == 409 {
            exit::USER
        } else {
            exit::INTERNAL
        };
        return Err(CliError::new(code, exit_code, detail.to_string()));
    }
    let num = |k: &str| {
        answer
            .get(k)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    let duration_ms = answer
        .get("duration_ms")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0);
    let mode = answer
        .get("mode")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("incremental");
    if ctx.json {
        let mut body = Map::new();
        body.insert(
            "project_root".into(),
            json!(project.root.display().to_string()),
        );
        body.insert("mode".into(), json!(mode));
        body.insert("via".into(), json!("daemon"));
        for k in [
            "files_scanned",
            "files_changed",
            "files_removed",
            "files_failed",
            "node_count",
            "edge_count",
        ] {
            body.insert(k.into(), json!(num(k)));
        }
        body.insert("duration_ms".into(), json!(duration_ms));
        ctx.print_json("index", body);
        return Ok(());
    }
    super::out(&format!(
        "Indexed {} ({mode}): {} files scanned, {} changed, {} removed, {} failed → {} nodes, {} edges in {:.1} s\n",
        project.root.display(),
        num("files_scanned"),
        num("files_changed"),
        num("files_removed"),
        num("files_failed"),
        num("node_count"),
        num("edge_count"),
        duration_ms / 1000.0
    ));
    Ok(())
}

fn report(ctx: &Ctx, project: &Project, s: &IndexSummary) {
    for w in &s.warnings {
        ctx.warn(w);
    }
    let skipped_total: usize = s.skipped.values().sum();
    if ctx.verbose > 0 && !ctx.json {
        let phases: Vec<String> = s
            .phase_ms
            .iter()
            .map(|(k, v)| format!("{k} {v} ms"))
            .collect();
        eprintln!("phases: {}", phases.join(", "));
    }
    if ctx.json {
        let mut body = Map::new();
        body.insert(
            "project_root".into(),
            json!(project.root.display().to_string()),
        );
        body.insert("mode".into(), json!(s.mode.as_str()));
        body.insert("via".into(), json!("direct"));
        body.insert("files_scanned".into(), json!(s.files_scanned));
        body.insert("files_indexed".into(), json!(s.files_indexed));
        body.insert("files_changed".into(), json!(s.files_changed));
        body.insert("files_removed".into(), json!(s.files_removed));
        body.insert("files_failed".into(), json!(s.files_failed));
        body.insert(
            "files_with_parse_errors".into(),
            json!(s.files_with_parse_errors),
        );
        body.insert("files_skipped".into(), json!(skipped_total));
        body.insert("skipped".into(), json!(s.skipped));
        body.insert("lines".into(), json!(s.lines));
        body.insert("node_count".into(), json!(s.node_count));
        body.insert("edge_count".into(), json!(s.edge_count));
        body.insert("nodes_by_type".into(), json!(s.nodes_by_type));
        body.insert("edges_by_type".into(), json!(s.edges_by_type));
        body.insert("unresolved_imports".into(), json!(s.unresolved_imports));
        body.insert("duration_ms".into(), json!(s.duration_ms));
        ctx.print_json("index", body);
        return;
    }
    let mut text = format!(
        "Indexed {} ({}): {} files scanned, {} changed, {} removed, {} failed → {} nodes, {} edges in {:.1} s\n",
        project.root.display(),
        s.mode.as_str(),
        s.files_scanned,
        s.files_changed,
        s.files_removed,
        s.files_failed,
        s.node_count,
        s.edge_count,
        s.duration_ms as f64 / 1000.0
    );
    text.push_str(&format!(
        "  {} skipped (too large {}, minified {}, undecodable {}), {} with parse errors\n",
        skipped_total,
        s.skipped.get("too_large").copied().unwrap_or(0),
        s.skipped.get("minified").copied().unwrap_or(0),
        s.skipped.get("undecodable").copied().unwrap_or(0),
        s.files_with_parse_errors,
    ));
    super::out(&text);
}
