//! `mu-daemon status [PATH]` (`cli-and-registry.md` §3.6, §12): this project's daemon, or why
//! there is none and which other daemons answer MU's clients here.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::common::{self, age, long_duration};
use super::{exit, CliError, Ctx};
use crate::cli::StatusArgs;
use crate::project;
use crate::registry::Registry;

pub fn run(ctx: &Ctx, args: &StatusArgs) -> Result<i32, CliError> {
    let registry = Registry::from_env_no_create()?;
    let snap = registry.clean()?;
    common::report_cleanup(ctx, &snap.removed, &snap.warnings);
    let project = project::resolve_root(&args.path, false)?;
    let own = project
        .as_ref()
        .and_then(|p| snap.live.iter().find(|le| le.entry.project_path == p.root));
    let mut body = Map::new();
    if let (Some(p), Some(le)) = (&project, own) {
        let e = &le.entry;
        let path = format!(
            "/status?cwd={}",
            percent_encode(&p.root.display().to_string())
        );
        // Any HTTP answer counts as responding (§3.5, §7.8); its body is shown when it is one.
        let answer = common::probe(e, &path, Duration::from_secs(2));
        let answered = answer.is_some();
        let server = answer.filter(|r| r.status == 200).and_then(|r| r.json());
        let state = common::state(e, answered);
        if ctx.json {
            body.insert("project_root".into(), json!(p.root.display().to_string()));
            body.insert("state".into(), json!(state));
            body.insert(
                "daemon".into(),
                Value::Object(common::entry_json(le, state)),
            );
            body.insert("server".into(), server.unwrap_or(Value::Null));
            body.insert("other_daemons".into(), json!([]));
            body.insert("removed_stale".into(), common::removed_json(&snap.removed));
            body.insert("warnings".into(), json!(snap.warnings));
            ctx.print_json("status", body);
            return Ok(exit::OK);
        }
        let url = common::entry_addr(e).map_or_else(|| "?".into(), |a| format!("http://{a}"));
        let mut text = if state == "running" {
            format!("mu-daemon is running for {}\n", p.root.display())
        } else {
            format!(
                "mu-daemon for {} is alive but unresponsive\n  State      unresponsive\n",
                p.root.display()
            )
        };
        let row = |k: &str, v: String| format!("  {k:<10} {v}\n");
        text.push_str(&row("PID", e.pid.to_string()));
        text.push_str(&row("URL", url));
        text.push_str(&row(
            "Uptime",
            common::uptime(e).map_or_else(|| "?".into(), long_duration),
        ));
        text.push_str(&row(
            "Heartbeat",
            common::heartbeat_age(e).map_or_else(|| "?".into(), age),
        ));
        if let Some(s) = &server {
            let num = |k: &str| s.get(k).and_then(Value::as_u64).unwrap_or(0).to_string();
            text.push_str(&row("Nodes", num("node_count")));
            text.push_str(&row("Edges", num("edge_count")));
            let indexing = s
                .pointer("/indexing/state")
                .and_then(Value::as_str)
                .unwrap_or("idle");
            text.push_str(&row("Indexing", indexing.to_string()));
        }
        text.push_str(&row(
            "Version",
            e.daemon_version.clone().unwrap_or_else(|| "?".into()),
        ));
        text.push_str(&row(
            "Log",
            e.log_path
                .as_ref()
                .map_or_else(|| "?".into(), |l| l.display().to_string()),
        ));
        super::out(&text);
        return Ok(exit::OK);
    }
    // Not running: say so, and name the daemons that answer MU's clients instead (BUG-001).
    let first = match &project {
        Some(p) => format!("No mu-daemon is running for {}.", p.root.display()),
        None => common::no_project_line(&args.path),
    };
    let others: Vec<_> = snap.live.iter().collect();
    let warnings = common::other_daemon_warnings(&others, &snap.live);
    if ctx.json {
        let root = project
            .as_ref()
            .map_or(Value::Null, |p| json!(p.root.display().to_string()));
        let answered = common::probe_all(&snap.live, Duration::from_secs(1));
        let other_daemons: Vec<Value> = snap
            .live
            .iter()
            .zip(answered)
            .map(|(le, ok)| Value::Object(common::entry_json(le, common::state(&le.entry, ok))))
            .collect();
        let mut all_warnings = snap.warnings.clone();
        all_warnings.extend(warnings);
        body.insert("project_root".into(), root);
        body.insert("state".into(), json!("not_running"));
        body.insert("message".into(), json!(first));
        body.insert("daemon".into(), Value::Null);
        body.insert("server".into(), Value::Null);
        body.insert("other_daemons".into(), Value::Array(other_daemons));
        body.insert("removed_stale".into(), common::removed_json(&snap.removed));
        body.insert("warnings".into(), json!(all_warnings));
        ctx.print_json("status", body);
        return Ok(exit::NOT_RUNNING);
    }
    super::out(&format!("{first}\n"));
    common::print_warnings(ctx, &warnings);
    Ok(exit::NOT_RUNNING)
}

/// Percent-encode a query value (everything but unreserved characters and `/`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
