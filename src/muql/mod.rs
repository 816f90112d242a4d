//! MUQL, the query language of `POST /query` and `mu-daemon query` (`muql.md`).
//!
//! A text is lexed and parsed into a [`ast::Statement`]; `SELECT` (and the filter of
//! `FIND … WHERE`) is compiled to parameterised SQL over the graph tables by [`plan`], the graph
//! forms run on the graph snapshot ([`forms`], [`analyze`]), the schema statements in [`schema`].
//! A text that is not MUQL but starts with `SELECT` or `WITH` is read-only SQL
//! (`store::sql`). Nothing here knows about HTTP.

pub mod analyze;
pub mod ast;
pub mod forms;
pub mod lexer;
pub mod parser;
pub mod plan;
pub mod schema;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use duckdb::Connection;
use serde_json::{json, Map, Value as Json};

use crate::graph::Graph;
use crate::store::sql::SqlLimits;
use ast::{Pos, Spanned, Statement};
use parser::SyntaxErrorKind;

/// Columns of the node list shape (`muql.md` §14.2) of SHOW, FIND and the terse graph forms.
pub const NODE_LIST_COLUMNS: [&str; 7] = [
    "id",
    "type",
    "name",
    "file_path",
    "line_start",
    "depth",
    "via",
];
/// Columns of FIND CYCLES, ANALYZE CIRCULAR and terse `cycles` (§9).
pub const CYCLE_COLUMNS: [&str; 4] = ["cycle_id", "kind", "size", "nodes"];
/// Columns of PATH (§10).
pub const PATH_COLUMNS: [&str; 8] = [
    "step",
    "id",
    "type",
    "name",
    "file_path",
    "line_start",
    "edge_type",
    "edge_line",
];
/// `DEPTH`/`MAX DEPTH` cap; unbounded forms stop here (§14.4).
pub const MAX_DEPTH: u32 = 20;
/// The longest query text accepted (§14.4).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// How a text was run (§14.1 `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Muql,
    Sql,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Muql => "muql",
            Mode::Sql => "sql",
        }
    }
}

/// The result object of one query (§14.1): what `POST /query` returns as `result` and what
/// `mu-daemon query` prints. Errors are part of it, never a failure of the call.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Json>>,
    pub error: Option<String>,
    pub warning: Option<String>,
    pub message: Option<String>,
    pub error_position: Option<Pos>,
    pub mode: Mode,
    pub execution_time_ms: f64,
}

impl QueryResult {
    /// The §14.1 object: `columns, rows, row_count, error, execution_time_ms`, then `warning`,
    /// `message` and `error_position` when set, then `mode`.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("columns".into(), json!(self.columns));
        m.insert("rows".into(), json!(self.rows));
        m.insert("row_count".into(), json!(self.rows.len()));
        m.insert("error".into(), json!(self.error));
        m.insert("execution_time_ms".into(), json!(self.execution_time_ms));
        if let Some(w) = &self.warning {
            m.insert("warning".into(), json!(w));
        }
        if let Some(msg) = &self.message {
            m.insert("message".into(), json!(msg));
        }
        if let Some(p) = &self.error_position {
            m.insert(
                "error_position".into(),
                json!({"line": p.line, "column": p.column, "offset": p.offset}),
            );
        }
        m.insert("mode".into(), json!(self.mode.as_str()));
        Json::Object(m)
    }

    fn failed(env: &Env, mode: Mode, error: String, pos: Option<Pos>) -> QueryResult {
        QueryResult {
            columns: Vec::new(),
            rows: Vec::new(),
            error: Some(error),
            warning: None,
            message: None,
            error_position: pos,
            mode,
            execution_time_ms: elapsed_ms(env.started),
        }
    }
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Where the graph snapshot comes from: asked at most once, and only by the forms that need it
/// (a SELECT or SQL query never waits for a graph to load). An `Err` is the message to report.
pub type GraphSource<'a> = &'a dyn Fn() -> Result<Arc<Graph>, String>;

/// Run one query text (§1): MUQL when the whole text parses as MUQL; otherwise read-only SQL
/// when it starts with `SELECT` or `WITH`; otherwise the MUQL syntax error. Never panics on any
/// text; every failure is in `error`.
pub fn run(text: &str, env: &Env, graph: GraphSource) -> QueryResult {
    if text.len() > MAX_TEXT_BYTES {
        return QueryResult::failed(
            env,
            Mode::Muql,
            format!(
                "Query text is too long: {} bytes; the limit is {MAX_TEXT_BYTES} bytes (64 KiB)",
                text.len()
            ),
            None,
        );
    }
    let syntax = match parser::parse(text) {
        Ok(statement) => return finish(env, Mode::Muql, execute(env, statement, graph)),
        Err(e) => e,
    };
    let sql_keyword = parser::first_word(text)
        .is_some_and(|w| w.eq_ignore_ascii_case("select") || w.eq_ignore_ascii_case("with"));
    if syntax.kind == SyntaxErrorKind::SeveralStatements || !sql_keyword {
        return QueryResult::failed(env, Mode::Muql, syntax.message, Some(syntax.pos));
    }
    let sql = crate::store::sql::run_read_only(env.conn, text, env.limits);
    match &sql.error {
        // Not SQL either: the MUQL error (with its position), then DuckDB's.
        Some(e) if e.starts_with("SQL error: Parser Error: ") => QueryResult::failed(
            env,
            Mode::Muql,
            format!(
                "{} | as SQL: {}",
                syntax.message,
                &e["SQL error: Parser Error: ".len()..]
            ),
            Some(syntax.pos),
        ),
        // A misspelt MUQL table is worth telling even when the text is refused as SQL.
        Some(e) if syntax.kind == SyntaxErrorKind::UnknownTable => QueryResult::failed(
            env,
            Mode::Muql,
            format!("{} | as SQL: {e}", syntax.message),
            Some(syntax.pos),
        ),
        _ => QueryResult {
            columns: sql.columns,
            rows: sql.rows,
            error: sql.error,
            warning: sql.warning,
            message: None,
            error_position: None,
            mode: Mode::Sql,
            execution_time_ms: elapsed_ms(env.started),
        },
    }
}

/// Run a parsed statement on the SQL planner or the graph engine.
fn execute(env: &Env, statement: Statement, graph: GraphSource) -> Result<Output, QueryError> {
    let graph = || graph().map_err(QueryError::new);
    match statement {
        Statement::Select(s) => plan::run_select(env, &s),
        Statement::ShowTables => schema::show_tables(env),
        Statement::ShowColumns(t) => schema::show_columns(env, t.value),
        Statement::Show(s) => forms::show(env, &*graph()?, &s),
        Statement::Find(f) => {
            let mut out = forms::find(env, &*graph()?, &f)?;
            if let Some(cond) = &f.filter {
                let ids: Vec<&str> = out
                    .rows
                    .iter()
                    .filter_map(|r| r.first().and_then(Json::as_str))
                    .collect();
                let keep = plan::filter_nodes(env, f.table.value, cond, &ids)?;
                out.rows.retain(|r| {
                    r.first()
                        .and_then(Json::as_str)
                        .is_some_and(|id| keep.contains(id))
                });
            }
            if let Some(limit) = limit_value(&f.limit)? {
                out.rows.truncate(limit);
            }
            Ok(out)
        }
        Statement::FindCycles(types) => forms::cycles(env, &*graph()?, &types),
        Statement::Path(p) => forms::path(env, &*graph()?, &p),
        Statement::Analyze(a) => analyze::analyze(env, &*graph()?, &a),
    }
}

/// The row cap and the result object.
fn finish(env: &Env, mode: Mode, out: Result<Output, QueryError>) -> QueryResult {
    match out {
        Err(e) => QueryResult::failed(env, mode, e.message, e.pos),
        Ok(mut out) => {
            if out.rows.len() > env.limits.max_rows {
                out.rows.truncate(env.limits.max_rows);
                out.warnings
                    .push(format!("Result truncated to {} rows", env.limits.max_rows));
            }
            QueryResult {
                columns: out.columns,
                rows: out.rows,
                error: None,
                warning: (!out.warnings.is_empty()).then(|| out.warnings.join("; ")),
                message: out.message,
                error_position: None,
                mode,
                execution_time_ms: elapsed_ms(env.started),
            }
        }
    }
}

/// What one query runs against: a prepared query connection (the four views exist on it, see
/// `store::sql::prepare_query_connection`), the limits, and the moment the text was received.
pub struct Env<'a> {
    pub conn: &'a Connection,
    pub limits: &'a SqlLimits,
    pub started: Instant,
}

impl Env<'_> {
    /// When the query must be cancelled.
    pub fn deadline(&self) -> Instant {
        self.started + self.limits.timeout
    }

    /// The time-out error once the deadline has passed; graph traversals call this as they go.
    pub fn check_deadline(&self) -> Result<(), QueryError> {
        if Instant::now() >= self.deadline() {
            Err(QueryError::new(crate::store::sql::timeout_message(
                self.limits.timeout,
            )))
        } else {
            Ok(())
        }
    }
}

/// The successful result of one form, before the row cap and the envelope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Json>>,
    /// Depth capping, ambiguous references, truncation: joined with `; ` into `warning`.
    pub warnings: Vec<String>,
    /// Informational (`No path from … within depth n`).
    pub message: Option<String>,
}

impl Output {
    /// An output with these column names and no rows yet.
    pub fn with_columns(columns: &[&str]) -> Output {
        Output {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..Output::default()
        }
    }
}

/// A semantic or execution error of MUQL, with its position when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub message: String,
    pub pos: Option<Pos>,
}

impl QueryError {
    pub fn new(message: impl Into<String>) -> QueryError {
        QueryError {
            message: message.into(),
            pos: None,
        }
    }

    pub fn at(message: impl Into<String>, pos: Pos) -> QueryError {
        QueryError {
            message: message.into(),
            pos: Some(pos),
        }
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The depth of a graph form: `default` when none is given (`None` = unbounded, which stops at
/// [`MAX_DEPTH`]); an error below 1; capped at [`MAX_DEPTH`] with a warning.
pub fn depth_value(
    depth: &Option<Spanned<i64>>,
    keyword: &str,
    default: Option<u32>,
    warnings: &mut Vec<String>,
) -> Result<u32, QueryError> {
    let Some(d) = depth else {
        return Ok(default.unwrap_or(MAX_DEPTH).min(MAX_DEPTH));
    };
    if d.value < 1 {
        return Err(QueryError::at(
            format!("{keyword} must be at least 1 ({})", d.pos.describe()),
            d.pos,
        ));
    }
    if d.value > i64::from(MAX_DEPTH) {
        warnings.push(format!(
            "{keyword} {} is above the maximum of {MAX_DEPTH}; using {MAX_DEPTH}",
            d.value
        ));
        return Ok(MAX_DEPTH);
    }
    Ok(d.value as u32)
}

/// A `LIMIT`: an error below 0.
pub fn limit_value(limit: &Option<Spanned<i64>>) -> Result<Option<usize>, QueryError> {
    match limit {
        None => Ok(None),
        Some(l) if l.value < 0 => Err(QueryError::at(
            format!("LIMIT must not be negative ({})", l.pos.describe()),
            l.pos,
        )),
        Some(l) => Ok(Some(usize::try_from(l.value).unwrap_or(usize::MAX))),
    }
}
