//! `mu-daemon index [PATH] [--force]` (`cli-and-registry.md` §3.7).
//!
//! No daemon exists yet in this version, so the build always runs directly ("via": "direct"):
//! take the project lock, open the mubase read-write, index, release the lock.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::{json, Map};

use super::{exit, CliError, Ctx};
use crate::cli::IndexArgs;
use crate::index::{Engine, IndexSummary, Phase, Progress};
use crate::project::{self, Project};
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
    project.ensure_mu_dir().map_err(|e| {
        CliError::new(
            "internal",
            exit::INTERNAL,
            format!("Cannot create {}: {e}", project.mu_dir().display()),
        )
    })?;
    let _lock = take_project_lock(ctx, &project)?;
    let store = Store::open(
        &project.mubase_path(),
        &StoreOptions::default(),
        &project.root,
    )?;
    for w in store.warnings() {
        ctx.warn(w);
    }
    let mut engine = Engine::open(&project.root, &project.cache_dir(), store, 0)?;

    let show_progress = !ctx.json && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| {
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
    });
    let on_progress = |p: &Progress| {
        if let Some(pb) = &bar {
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
    };
    let result = engine.reconcile(args.force, &on_progress);
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
    report(ctx, &project, &summary);
    Ok(())
}

/// Take `.mu/daemon.lock`, waiting while another `index` (or a starting daemon) holds it.
fn take_project_lock(ctx: &Ctx, project: &Project) -> Result<fslock::LockFile, CliError> {
    let path = project.lock_path();
    let mut lock = fslock::LockFile::open(&path).map_err(|e| {
        CliError::new(
            "internal",
            exit::INTERNAL,
            format!("Cannot open {}: {e}", path.display()),
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    let mut announced = false;
    loop {
        match lock.try_lock_with_pid() {
            Ok(true) => return Ok(lock),
            Ok(false) => {
                if !announced && !ctx.json && std::io::stderr().is_terminal() {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    eprintln!(
                        "Waiting for pid {} to finish indexing {}…",
                        holder.trim(),
                        project.root.display()
                    );
                    announced = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                return Err(CliError::new(
                    "internal",
                    exit::INTERNAL,
                    format!("Cannot lock {}: {e}", path.display()),
                ))
            }
        }
    }
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
