//! `mu-daemon query "<muql>" [--csv] [--json] [-C PATH]`: a MUQL (or read-only SQL) query for
//! people at a terminal. The project's running daemon answers when there is one (it holds the
//! database, and its answer is exactly what MU's clients get from `POST /query`); otherwise the
//! mubase is opened read-only and the query runs in this process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use comfy_table::{presets, Table};
use serde_json::{json, Map, Value};

use super::{common, exit, CliError, Ctx};
use crate::cli::QueryArgs;
use crate::project::{self, Project};
use crate::registry::{Entry, Registry};

/// How long the CLI waits for a daemon's answer: beyond the largest `--query-timeout` (300 s).
const DAEMON_TIMEOUT: Duration = Duration::from_secs(330);

pub fn run(ctx: &Ctx, args: &QueryArgs) -> Result<i32, CliError> {
    if ctx.json && args.csv {
        return Err(CliError::new(
            "usage",
            exit::USAGE,
            "--csv and --json cannot be used together",
        ));
    }
    let project = project::resolve_root(&args.path, false)?.ok_or_else(|| {
        CliError::new(
            "no_project",
            exit::USER,
            format!(
                "No mu project at {}: there is no .mu/mubase here or in a parent directory.",
                args.path.display()
            ),
        )
        .with("path", json!(args.path.display().to_string()))
        .hint(format!(
            "Index it first: mu-daemon index {}",
            args.path.display()
        ))
    })?;
    let registry = Registry::from_env_no_create()?;
    let (result, source) = match common::verified_daemon(&registry, &project.root) {
        Some(entry) => (through_daemon(&entry, &project, &args.muql)?, "daemon"),
        None => (directly(&project, &args.muql, args.timeout)?, "mubase"),
    };
    let error = result
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_string);
    if ctx.json {
        let mut body = Map::new();
        body.insert(
            "project_root".into(),
            json!(project.root.display().to_string()),
        );
        body.insert("source".into(), json!(source));
        if let Some(e) = &error {
            body.insert("error".into(), json!({"code": "query_error", "message": e}));
        }
        body.insert("result".into(), result);
        ctx.print_json("query", body);
        return Ok(if error.is_some() {
            exit::USER
        } else {
            exit::OK
        });
    }
    if let Some(e) = error {
        eprintln!("Error: {e}");
        if let Some(caret) = caret(&args.muql, &result) {
            eprintln!("{caret}");
        }
        return Ok(exit::USER);
    }
    if let Some(w) = result.get("warning").and_then(Value::as_str) {
        ctx.warn(w);
    }
    let columns: Vec<String> = result
        .get("columns")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(cell).collect())
        .unwrap_or_default();
    let rows: Vec<Vec<String>> = result
        .get("rows")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .map(|r| r.as_array().map(|r| r.iter().map(cell).collect()))
                .map(Option::unwrap_or_default)
                .collect()
        })
        .unwrap_or_default();
    if args.csv {
        let mut text = csv_line(&columns);
        for r in &rows {
            text.push_str(&csv_line(r));
        }
        super::out(&text);
        return Ok(exit::OK);
    }
    let mut text = String::new();
    if !rows.is_empty() {
        let mut table = Table::new();
        table.load_style(presets::NOTHING).set_header(columns);
        for r in rows.iter() {
            table.add_row(r.clone());
        }
        for c in table.column_iter_mut() {
            c.set_padding((0, 2));
        }
        for line in table.lines() {
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    if let Some(m) = result.get("message").and_then(Value::as_str) {
        text.push_str(m);
        text.push('\n');
    }
    let ms = result
        .get("execution_time_ms")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    text.push_str(&format!(
        "({} {}, {ms:.1} ms)\n",
        rows.len(),
        if rows.len() == 1 { "row" } else { "rows" }
    ));
    super::out(&text);
    Ok(exit::OK)
}

/// `POST /query` to the project's daemon; the `result` object of its answer.
fn through_daemon(entry: &Entry, project: &Project, text: &str) -> Result<Value, CliError> {
    let unresponsive = |why: String| {
        CliError::new(
            "unresponsive",
            exit::NOT_RUNNING,
            format!(
                "The daemon of {} (pid {}, port {}) {why}",
                project.root.display(),
                entry.pid,
                entry.port
            ),
        )
        .hint("Check it with: mu-daemon status")
    };
    let addr = common::entry_addr(entry)
        .ok_or_else(|| unresponsive("has an address this command cannot reach".into()))?;
    let body = json!({"muql": text, "cwd": project.root.display().to_string()}).to_string();
    let token = common::token();
    let auth = token.as_ref().map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let response = crate::process::http::request(
        addr,
        "POST",
        "/query",
        &headers,
        Some(body.as_bytes()),
        DAEMON_TIMEOUT,
    )
    .map_err(|e| unresponsive(format!("did not answer: {e}")))?;
    let json = response.json();
    if response.status != 200 {
        let detail = json
            .as_ref()
            .and_then(|j| j.get("detail"))
            .and_then(Value::as_str)
            .map_or_else(
                || String::from_utf8_lossy(&response.body).into_owned(),
                str::to_string,
            );
        return Err(CliError::new(
            "query_failed",
            exit::INTERNAL,
            format!(
                "The daemon answered HTTP {}: {}",
                response.status,
                detail.trim()
            ),
        ));
    }
    json.and_then(|mut j| j.get_mut("result").map(Value::take))
        .ok_or_else(|| unresponsive("answered with something that is not a query result".into()))
}

/// Run the query in this process on the mubase opened read-only.
fn directly(project: &Project, text: &str, timeout: u64) -> Result<Value, CliError> {
    let store = crate::store::Store::open_read_only(
        &project.mubase_path(),
        &crate::store::StoreOptions::default(),
    )?;
    let conn = store.reader()?;
    crate::store::sql::prepare_query_connection(&conn)?;
    let limits = crate::store::sql::SqlLimits {
        timeout: Duration::from_secs(timeout),
        ..crate::store::sql::SqlLimits::default()
    };
    // The query's own time, as a daemon reports it: opening the database is not part of it.
    let env = crate::muql::Env {
        conn: &conn,
        limits: &limits,
        started: Instant::now(),
    };
    let graph = || {
        let c = store.reader().map_err(|e| e.to_string())?;
        crate::graph::Graph::load(&project.root, &c)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    };
    Ok(crate::muql::run(text, &env, &graph).to_json())
}

/// A value as a table or CSV cell: strings as they are, null as `null`, the rest as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One CSV record (RFC 4180): fields with a comma, quote or line break are quoted.
fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// The line of the query an error points at, with a caret under the column.
fn caret(text: &str, result: &Value) -> Option<String> {
    let pos = result.get("error_position")?;
    let line = pos.get("line")?.as_u64()? as usize;
    let column = pos.get("column")?.as_u64()? as usize;
    let source = text.lines().nth(line.checked_sub(1)?)?;
    Some(format!(
        "  {source}\n  {}^",
        " ".repeat(column.saturating_sub(1))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let fields = vec![
            "a".to_string(),
            "b,c".to_string(),
            "say \"hi\"".to_string(),
            "x\ny".to_string(),
        ];
        assert_eq!(csv_line(&fields), "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\n");
    }

    #[test]
    fn caret_points_at_the_error_column() {
        let result = json!({"error_position": {"line": 2, "column": 3, "offset": 9}});
        assert_eq!(
            caret("SELECT *\nFRM nodes", &result).unwrap(),
            "  FRM nodes\n    ^"
        );
        assert_eq!(caret("x", &json!({})), None);
    }

    #[test]
    fn cells_show_values_as_json_except_strings() {
        assert_eq!(cell(&json!("a")), "a");
        assert_eq!(cell(&Value::Null), "null");
        assert_eq!(cell(&json!(1.5)), "1.5");
        assert_eq!(cell(&json!(["x", "y"])), "[\"x\",\"y\"]");
    }
}
