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

use std::time::Instant;

use duckdb::Connection;
use serde_json::Value as Json;

use crate::store::sql::SqlLimits;
use ast::{Pos, Spanned};

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
