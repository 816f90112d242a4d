//! `mu-daemon list` (`cli-and-registry.md` §3.5): every running daemon of the user, after the
//! stale cleanup, each probed in parallel.

use std::time::Duration;

use comfy_table::{presets, Table};
use serde_json::{json, Map, Value};

use super::common::{self, age, short_duration};
use super::{exit, CliError, Ctx};
use crate::registry::Registry;

pub fn run(ctx: &Ctx) -> Result<i32, CliError> {
    let registry = Registry::from_env_no_create()?;
    let snap = registry.clean()?;
    common::report_cleanup(ctx, &snap.removed, &snap.warnings);
    let answered = common::probe_all(&snap.live, Duration::from_secs(1));
    let states: Vec<&str> = snap
        .live
        .iter()
        .zip(&answered)
        .map(|(le, ok)| common::state(&le.entry, *ok))
        .collect();
    if ctx.json {
        let daemons: Vec<Value> = snap
            .live
            .iter()
            .zip(&states)
            .map(|(le, st)| Value::Object(common::entry_json(le, st)))
            .collect();
        let mut body = Map::new();
        body.insert("daemons".into(), Value::Array(daemons));
        body.insert("removed_stale".into(), common::removed_json(&snap.removed));
        body.insert("warnings".into(), json!(snap.warnings));
        ctx.print_json("list", body);
        return Ok(exit::OK);
    }
    if snap.live.is_empty() {
        super::out("No mu-daemon is running.\n");
        return Ok(exit::OK);
    }
    let mut table = Table::new();
    table.load_style(presets::NOTHING).set_header(vec![
        "PROJECT",
        "PID",
        "PORT",
        "STATE",
        "UPTIME",
        "HEARTBEAT",
        "VERSION",
    ]);
    for (le, st) in snap.live.iter().zip(&states) {
        let e = &le.entry;
        table.add_row(vec![
            e.project_path.display().to_string(),
            e.pid.to_string(),
            e.port.to_string(),
            st.to_string(),
            common::uptime(e).map_or_else(|| "?".into(), short_duration),
            common::heartbeat_age(e).map_or_else(|| "?".into(), age),
            e.daemon_version.clone().unwrap_or_else(|| "?".into()),
        ]);
    }
    for c in table.column_iter_mut() {
        c.set_padding((0, 2));
    }
    let text: String = table
        .lines()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    super::out(&text);
    Ok(exit::OK)
}
