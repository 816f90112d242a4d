//! The read-only SQL passthrough of `POST /query` (`muql.md` §15, `http-api.md` §4.6).
//!
//! A statement runs only if DuckDB's own parser says it is exactly one `SELECT` (a `WITH …
//! SELECT` included) and a walk of the JSON syntax tree that `json_serialize_sql` returns finds
//! nothing but the graph tables, CTEs of the statement, a handful of harmless table functions and
//! scalar functions without side effects. Nothing is decided by looking at the text itself.
//!
//! Behaviour of the bundled DuckDB (v2.0.0, crate `duckdb` 1.20000.1) this relies on:
//!
//! * `json_serialize_sql(text)` returns `{"error": false, "statements": [...]}` with one entry per
//!   statement when every statement is a `SELECT` (`[]` for an empty text or a lone `;`), and
//!   `{"error": true, "error_type": …, "error_message": …}` otherwise: `"parser"` for a syntax
//!   error, `"not implemented"` when any statement is not a `SELECT` (the number of statements
//!   is then not reported), `"serialization"` for a `WITH` holding a data-modifying statement.
//! * DuckDB 2.0 accepts data-modifying CTEs (`WITH d AS (DELETE … RETURNING *) SELECT …`), which
//!   parse as a `SELECT`: query nodes other than `SELECT_NODE`, `SET_OPERATION_NODE`,
//!   `RECURSIVE_CTE_NODE` and `CTE_NODE` are refused, and every statement runs inside a
//!   `READ ONLY` transaction as a second line of defence.
//! * A non-recursive CTE that names itself (`WITH t AS (SELECT * FROM t)`) reads the real table
//!   `t`: a CTE is in scope only after its definition, and inside the recursive part of a
//!   recursive CTE.
//! * duckdb-rs' `Connection::prepare` *executes* every statement but the last of a
//!   multi-statement text, so user text reaches it only after the check has counted exactly one.
//! * The JSON type arrives as text (a VARCHAR with alias `JSON`), so `properties` comes back as
//!   its JSON text, as MU returned it.
//! * `Connection::interrupt_handle()` is safe to use from another thread while a statement runs;
//!   an interrupt that lands before the statement starts executing is discarded, so the watchdog
//!   repeats it until the statement returns.

use std::ffi::{c_char, c_void, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use duckdb::arrow::array::{Array, ArrayRef, AsArray};
use duckdb::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Decimal32Type, Decimal64Type, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, Int8Type, IntervalDayTimeType, IntervalMonthDayNanoType,
    IntervalUnit, IntervalYearMonthType, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::{ffi, Connection};
use serde_json::{Map, Value as Json};

use super::{DbContext, Result};

/// Refusal of anything that is not a read-only query over the graph (`muql.md` §14.3).
pub const REFUSED: &str =
    "Only read-only SELECT or WITH queries over nodes, edges and metadata are allowed";
/// Refusal of a text holding more than one statement (`muql.md` §1, §14.3).
pub const ONE_STATEMENT: &str = "Only one statement per query is allowed";

/// Tables and views a statement may read (`muql.md` §15 rule 2), lower case.
const READABLE_TABLES: [&str; 7] = [
    "nodes",
    "edges",
    "metadata",
    "functions",
    "classes",
    "modules",
    "methods",
];

/// The only table functions a statement may call (`muql.md` §15 rule 3).
const TABLE_FUNCTIONS: [&str; 5] = [
    "range",
    "generate_series",
    "unnest",
    "json_each",
    "json_tree",
];

/// Scalar functions and macros refused wherever they appear: those with side effects
/// (sequences, the random seed, the log) and those that read state outside the graph (sequence
/// values, the environment, other tables' index keys, view and constraint definitions, storage
/// details). Table functions are listed too, in case a future DuckDB gives them a scalar form.
/// Names starting with `duckdb_` or `pragma_` are refused as well.
const DENIED_FUNCTIONS: [&str; 18] = [
    "nextval",
    "currval",
    "setval",
    "setseed",
    "write_log",
    "getenv",
    "index_key",
    "pg_get_viewdef",
    "pg_get_constraintdef",
    "format_type",
    "get_block_size",
    "query",
    "query_table",
    "read_text",
    "read_blob",
    "json_execute_serialized_sql",
    "sql_auto_complete",
    "which_secret",
];

/// Query node types whose JSON form may appear in a statement. Every other `*_NODE`
/// (`INSERT_QUERY_NODE`, `DELETE_QUERY_NODE`, `COPY_QUERY_NODE`, …) is refused.
const QUERY_NODES: [&str; 4] = [
    "SELECT_NODE",
    "SET_OPERATION_NODE",
    "RECURSIVE_CTE_NODE",
    "CTE_NODE",
];

/// Table reference types that only combine or produce rows from what they contain.
const PLAIN_REFS: [&str; 5] = ["SUBQUERY", "JOIN", "EXPRESSION_LIST", "EMPTY", "PIVOT"];

/// Table reference types refused outright: `SHOW_REF` (`DESCRIBE`, `SUMMARIZE`, `SHOW TABLES`
/// read the catalog) and the binder-internal kinds a parser never produces.
const REFUSED_REFS: [&str; 6] = [
    "INVALID",
    "CTE",
    "SHOW_REF",
    "COLUMN_DATA",
    "DELIM_GET",
    "BOUND_TABLE_REF",
];

/// The four MUQL views (`muql.md` §4.1) as temporary views: they live in the connection's `temp`
/// catalog and never reach the database file. `methods` uses `properties.is_method` when the key
/// holds a value; rows without it (MU-built databases) fall back to "target of a `contains` edge
/// from a class".
const VIEWS_DDL: &str = "
CREATE OR REPLACE TEMPORARY VIEW functions AS SELECT * FROM nodes WHERE type = 'function';
CREATE OR REPLACE TEMPORARY VIEW classes AS SELECT * FROM nodes WHERE type = 'class';
CREATE OR REPLACE TEMPORARY VIEW modules AS SELECT * FROM nodes WHERE type = 'module';
CREATE OR REPLACE TEMPORARY VIEW methods AS
SELECT n.* FROM nodes AS n
WHERE n.type = 'function'
  AND CASE
        WHEN coalesce(json_valid(n.properties), false)
             AND json_extract_string(n.properties, '$.is_method') IS NOT NULL
          THEN json_extract_string(n.properties, '$.is_method') = 'true'
        ELSE EXISTS (
          SELECT 1 FROM edges AS e JOIN nodes AS c ON c.id = e.source_id
          WHERE e.type = 'contains' AND e.target_id = n.id AND c.type = 'class')
      END;
";

/// Limits of one statement (`muql.md` §14.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlLimits {
    /// The statement is interrupted when this much time has passed since `run_read_only` began
    /// (for [`run_generated`]: since the instant it is given).
    pub timeout: Duration,
    /// Rows kept; more rows set [`SqlOutcome::warning`].
    pub max_rows: usize,
}

impl Default for SqlLimits {
    fn default() -> Self {
        SqlLimits {
            timeout: Duration::from_secs(10),
            max_rows: 10_000,
        }
    }
}

/// The result of one SQL statement, in the shape of `muql.md` §14.1.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlOutcome {
    /// DuckDB's output column names; empty on error.
    pub columns: Vec<String>,
    /// One array per row, values encoded as in `muql.md` §14.1; empty on error.
    pub rows: Vec<Vec<Json>>,
    /// Refusal, SQL error or time-out, ready for the user.
    pub error: Option<String>,
    /// `Result truncated to N rows` when the row cap applied.
    pub warning: Option<String>,
    /// From entry of [`run_read_only`] (the start instant of [`run_generated`]) to the result
    /// being ready.
    pub execution_time_ms: f64,
}

/// Prepare a query connection: create the four MUQL views as temporary views (never stored in
/// the file). Idempotent; needed once on every connection that runs [`run_read_only`].
pub fn prepare_query_connection(conn: &Connection) -> Result<()> {
    conn.execute_batch(VIEWS_DDL)
        .ctx("creating the query views")
}

/// Check and run one read-only statement. Never panics; every refusal, error or time-out comes
/// back in `error` with empty `columns` and `rows`.
///
/// The statement runs in a `READ ONLY` transaction of its own that is rolled back afterwards, so
/// `conn` must be in autocommit mode (no transaction open). The time limit covers the check, the
/// execution and the fetching of rows; the message gives the limit in whole seconds when it is a
/// whole number of seconds (`… of 10 s`) and in milliseconds otherwise (`… of 50 ms`). The
/// watchdog thread is joined before this function returns.
pub fn run_read_only(conn: &Connection, sql: &str, limits: &SqlLimits) -> SqlOutcome {
    run_guarded(conn, limits, Instant::now(), |max_rows| {
        check_read_only(conn, sql)?;
        // The check counted exactly one statement, so `prepare` executes nothing of its own.
        execute(conn, sql, &[], max_rows)
    })
}

/// Run one statement generated by mu-daemon itself (MUQL's planner, the schema statements) with
/// its bound parameters (`$1`, `$2`, … or `?`). The statement is trusted, so the read-only check
/// of [`run_read_only`] is skipped, but everything else is shared: the `READ ONLY` transaction,
/// the watchdog, streaming with the row cap and its warning, the value encoding of
/// `muql.md` §14.1. The time limit counts from `started` (when the query text was received), so
/// a statement that starts late has less time. `sql` must be a single statement.
pub fn run_generated(
    conn: &Connection,
    sql: &str,
    params: &[duckdb::types::Value],
    limits: &SqlLimits,
    started: Instant,
) -> SqlOutcome {
    if started.elapsed() >= limits.timeout {
        // Out of time before the statement starts (the query text was received long ago).
        return SqlOutcome {
            columns: Vec::new(),
            rows: Vec::new(),
            error: Some(timeout_message(limits.timeout)),
            warning: None,
            execution_time_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
    }
    run_guarded(conn, limits, started, |max_rows| {
        execute(conn, sql, params, max_rows)
    })
}

/// The machinery shared by [`run_read_only`] and [`run_generated`]: `READ ONLY` transaction,
/// interrupt watchdog at `start + limits.timeout`, panic containment, the truncation warning and
/// the time-out message.
fn run_guarded(
    conn: &Connection,
    limits: &SqlLimits,
    start: Instant,
    run: impl FnOnce(usize) -> std::result::Result<Table, String>,
) -> SqlOutcome {
    let fired = AtomicBool::new(false);
    let handle = conn.interrupt_handle();
    let (done, finished) = mpsc::channel::<()>();

    // The caller's connection must be in autocommit mode (no transaction of its own).
    if let Err(e) = conn.execute_batch("BEGIN TRANSACTION READ ONLY") {
        return SqlOutcome {
            columns: Vec::new(),
            rows: Vec::new(),
            error: Some(sql_error(&e)),
            warning: None,
            execution_time_ms: start.elapsed().as_secs_f64() * 1000.0,
        };
    }
    let result = std::thread::scope(|scope| {
        let (handle, fired) = (&handle, &fired);
        let watchdog = std::thread::Builder::new()
            .name("mu-sql-timer".to_string())
            .spawn_scoped(scope, move || {
                // `recv_timeout` waits without limit when the deadline is out of range.
                let left = limits.timeout.saturating_sub(start.elapsed());
                if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(left) {
                    fired.store(true, Ordering::SeqCst);
                    // An interrupt is discarded when it lands before the statement starts
                    // executing: repeat it until the statement has returned.
                    loop {
                        handle.interrupt();
                        if !matches!(
                            finished.recv_timeout(Duration::from_millis(10)),
                            Err(RecvTimeoutError::Timeout)
                        ) {
                            break;
                        }
                    }
                }
            });
        if let Err(e) = watchdog {
            return Ok(Err(format!("SQL error: cannot start the query timer: {e}")));
        }
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(limits.max_rows)));
        drop(done);
        result
    });
    // After the watchdog has been joined, so no interrupt can hit the rollback.
    let _ = conn.execute_batch("ROLLBACK");

    let result = match result {
        Ok(r) => r,
        Err(_) => Err("SQL error: internal error while reading the result".to_string()),
    };
    let mut outcome = SqlOutcome {
        columns: Vec::new(),
        rows: Vec::new(),
        error: None,
        warning: None,
        execution_time_ms: 0.0,
    };
    match result {
        Ok(table) => {
            outcome.columns = table.columns;
            outcome.rows = table.rows;
            if table.truncated {
                outcome.warning = Some(format!("Result truncated to {} rows", limits.max_rows));
            }
        }
        Err(_) if fired.load(Ordering::SeqCst) => {
            outcome.error = Some(timeout_message(limits.timeout));
        }
        Err(message) => outcome.error = Some(message),
    }
    outcome.execution_time_ms = start.elapsed().as_secs_f64() * 1000.0;
    outcome
}

/// The check alone: `Ok(())` when `sql` is exactly one read-only `SELECT`/`WITH` over the graph,
/// otherwise the user-facing message ([`REFUSED`], [`ONE_STATEMENT`] or `SQL error: …` for a
/// text DuckDB cannot parse). Texts that DuckDB parses as a `SELECT` without starting with the
/// keyword (`FROM nodes`, `VALUES (1)`) pass; choosing SQL mode by first keyword is the
/// dispatcher's job (`muql.md` §1).
pub fn check_read_only(conn: &Connection, sql: &str) -> std::result::Result<(), String> {
    let (ast, catalog): (String, String) = conn
        .query_row(
            "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR, current_database()",
            [sql],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| sql_error(&e))?;
    let ast: Json = serde_json::from_str(&ast)
        .map_err(|_| "SQL error: the query is nested too deeply to be checked".to_string())?;
    if ast.get("error").and_then(Json::as_bool) != Some(false) {
        let kind = ast.get("error_type").and_then(Json::as_str).unwrap_or("");
        let message = ast
            .get("error_message")
            .and_then(Json::as_str)
            .unwrap_or("");
        return Err(match kind {
            "parser" => format!("SQL error: Parser Error: {message}"),
            "not implemented" if count_statements(sql).is_some_and(|n| n > 1) => {
                ONE_STATEMENT.to_string()
            }
            _ => REFUSED.to_string(),
        });
    }
    let statements = ast
        .get("statements")
        .and_then(Json::as_array)
        .ok_or_else(|| REFUSED.to_string())?;
    match statements.as_slice() {
        [statement] => Checker {
            catalog: catalog.to_lowercase(),
        }
        .value(statement, &[])
        .map_err(|Refused| REFUSED.to_string()),
        [] => Err(REFUSED.to_string()),
        _ => Err(ONE_STATEMENT.to_string()),
    }
}

/// `Query cancelled: exceeded the time limit of 10 s` (whole seconds) or `… of 50 ms`.
pub fn timeout_message(limit: Duration) -> String {
    let ms = limit.as_millis();
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!(
            "Query cancelled: exceeded the time limit of {} s",
            ms / 1000
        )
    } else {
        format!("Query cancelled: exceeded the time limit of {ms} ms")
    }
}

fn sql_error(e: &duckdb::Error) -> String {
    format!("SQL error: {}", e.to_string().trim_end())
}

/// The number of statements DuckDB's parser finds in `sql`, or `None` if it cannot tell.
///
/// Used only when `json_serialize_sql` has refused a text because one of its statements is not
/// a `SELECT`, which hides how many there are. duckdb-rs cannot reach the parser of an open
/// connection without executing statements, so a private in-memory DuckDB (no external access,
/// one thread) is opened for `duckdb_extract_statements`, which parses and runs nothing.
fn count_statements(sql: &str) -> Option<usize> {
    let text = CString::new(sql).ok()?;
    let settings: Vec<(CString, CString)> = [
        ("enable_external_access", "false"),
        ("autoload_known_extensions", "false"),
        ("autoinstall_known_extensions", "false"),
        ("threads", "1"),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((CString::new(k).ok()?, CString::new(v).ok()?)))
    .collect();
    // SAFETY: every handle is created, checked and destroyed here with the matching DuckDB C API
    // call, and the C strings outlive the calls that read them.
    unsafe {
        let mut config: ffi::duckdb_config = std::ptr::null_mut();
        if ffi::duckdb_create_config(&mut config) != ffi::DuckDBSuccess {
            return None;
        }
        for (k, v) in &settings {
            ffi::duckdb_set_config(config, k.as_ptr(), v.as_ptr());
        }
        let mut db: ffi::duckdb_database = std::ptr::null_mut();
        let mut open_error: *mut c_char = std::ptr::null_mut();
        let opened = ffi::duckdb_open_ext(std::ptr::null(), &mut db, config, &mut open_error);
        ffi::duckdb_destroy_config(&mut config);
        if !open_error.is_null() {
            ffi::duckdb_free(open_error.cast::<c_void>());
        }
        if opened != ffi::DuckDBSuccess {
            return None;
        }
        let mut con: ffi::duckdb_connection = std::ptr::null_mut();
        let mut count = None;
        if ffi::duckdb_connect(db, &mut con) == ffi::DuckDBSuccess {
            let mut extracted: ffi::duckdb_extracted_statements = std::ptr::null_mut();
            let n = ffi::duckdb_extract_statements(con, text.as_ptr(), &mut extracted);
            if ffi::duckdb_extract_statements_error(extracted).is_null() {
                count = usize::try_from(n).ok();
            }
            ffi::duckdb_destroy_extracted(&mut extracted);
            ffi::duckdb_disconnect(&mut con);
        }
        ffi::duckdb_close(&mut db);
        count
    }
}

/// A refusal found while walking the syntax tree.
struct Refused;

/// Walks the JSON syntax tree of one statement. Objects with a `class` are expressions; objects
/// with a string `type` are query nodes, table references, modifiers or type descriptions. The
/// whole tree is visited, so a subquery or table reference is checked wherever it sits
/// (joins, CTEs, set operations, expression subqueries, table function arguments, pivots).
struct Checker {
    /// This database's catalog name, lower case (`mubase`).
    catalog: String,
}

impl Checker {
    /// `scope`: lower-case names of the CTEs visible at this point.
    fn value(&self, v: &Json, scope: &[String]) -> std::result::Result<(), Refused> {
        match v {
            Json::Array(items) => items.iter().try_for_each(|i| self.value(i, scope)),
            Json::Object(m) => self.object(m, scope),
            _ => Ok(()),
        }
    }

    fn children(
        &self,
        m: &Map<String, Json>,
        scope: &[String],
    ) -> std::result::Result<(), Refused> {
        m.values().try_for_each(|v| self.value(v, scope))
    }

    fn object(&self, m: &Map<String, Json>, scope: &[String]) -> std::result::Result<(), Refused> {
        if m.contains_key("class") {
            if let Some(name) = m.get("function_name").and_then(Json::as_str) {
                if denied_function(name) {
                    return Err(Refused);
                }
            }
            return self.children(m, scope);
        }
        match m.get("type").and_then(Json::as_str) {
            Some(t) if t.ends_with("_NODE") => self.query_node(t, m, scope),
            Some("BASE_TABLE") => {
                self.base_table(m, scope)?;
                self.children(m, scope)
            }
            Some("TABLE_FUNCTION") => {
                table_function(m)?;
                self.children(m, scope)
            }
            Some(t) if PLAIN_REFS.contains(&t) => self.children(m, scope),
            Some(t) if REFUSED_REFS.contains(&t) => Err(Refused),
            _ => self.children(m, scope),
        }
    }

    fn query_node(
        &self,
        node_type: &str,
        m: &Map<String, Json>,
        scope: &[String],
    ) -> std::result::Result<(), Refused> {
        if !QUERY_NODES.contains(&node_type) {
            return Err(Refused);
        }
        // A CTE sees the ones defined before it; the node's body sees them all.
        let mut inner = scope.to_vec();
        if let Some(cte_map) = m.get("cte_map") {
            let entries = match cte_map.get("map") {
                Some(Json::Array(entries)) => entries.as_slice(),
                None | Some(Json::Null) => &[],
                Some(_) => return Err(Refused),
            };
            for entry in entries {
                let name = entry
                    .get("key")
                    .and_then(Json::as_str)
                    .ok_or(Refused)?
                    .to_lowercase();
                self.value(entry.get("value").ok_or(Refused)?, &inner)?;
                inner.push(name);
            }
        }
        let rest = m.iter().filter(|(k, _)| k.as_str() != "cte_map");
        if matches!(node_type, "RECURSIVE_CTE_NODE" | "CTE_NODE") {
            // The CTE's own name is visible in the recursive part (`right`) or the consumer
            // (`child`), not in the anchor (`left`) or the definition (`query`).
            let own = m
                .get("cte_name")
                .and_then(Json::as_str)
                .ok_or(Refused)?
                .to_lowercase();
            let mut with_own = inner.clone();
            with_own.push(own);
            for (k, v) in rest {
                match k.as_str() {
                    "left" | "query" => self.value(v, &inner)?,
                    _ => self.value(v, &with_own)?,
                }
            }
            Ok(())
        } else {
            rest.map(|(_, v)| v).try_for_each(|v| self.value(v, &inner))
        }
    }

    fn base_table(
        &self,
        m: &Map<String, Json>,
        scope: &[String],
    ) -> std::result::Result<(), Refused> {
        let field = |k: &str| m.get(k).and_then(Json::as_str).unwrap_or("").to_lowercase();
        let (catalog, schema, table) = (
            field("catalog_name"),
            field("schema_name"),
            field("table_name"),
        );
        if catalog.is_empty() && schema.is_empty() && scope.contains(&table) {
            return Ok(());
        }
        // `mubase.nodes` names the catalog: DuckDB reads a lone qualifier as a catalog first.
        let catalog_ok = catalog.is_empty() || catalog == self.catalog;
        let schema_ok =
            schema.is_empty() || schema == "main" || (catalog.is_empty() && schema == self.catalog);
        if catalog_ok && schema_ok && READABLE_TABLES.contains(&table.as_str()) {
            Ok(())
        } else {
            Err(Refused)
        }
    }
}

fn table_function(m: &Map<String, Json>) -> std::result::Result<(), Refused> {
    let f = m.get("function").and_then(Json::as_object).ok_or(Refused)?;
    if f.get("class").and_then(Json::as_str) != Some("FUNCTION") {
        return Err(Refused);
    }
    let unqualified = ["catalog", "schema"]
        .iter()
        .all(|k| f.get(*k).and_then(Json::as_str).unwrap_or("").is_empty());
    let name = f
        .get("function_name")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_lowercase();
    if unqualified && TABLE_FUNCTIONS.contains(&name.as_str()) {
        Ok(())
    } else {
        Err(Refused)
    }
}

fn denied_function(name: &str) -> bool {
    let name = name.to_lowercase();
    DENIED_FUNCTIONS.contains(&name.as_str())
        || name.starts_with("duckdb_")
        || name.starts_with("pragma_")
}

/// Columns and rows of a successful statement.
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Json>>,
    truncated: bool,
}

/// Prepare, bind `params`, execute (streaming) and read at most `max_rows + 1` rows. `sql` must
/// hold exactly one statement (duckdb-rs' `prepare` executes all but the last).
fn execute(
    conn: &Connection,
    sql: &str,
    params: &[duckdb::types::Value],
    max_rows: usize,
) -> std::result::Result<Table, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| sql_error(&e))?;
    // Streaming execution: DuckDB produces chunks as they are fetched instead of materialising
    // the whole result, so the row cap also bounds the work.
    let stream = stmt
        .stream_arrow(duckdb::params_from_iter(params))
        .map_err(|e| sql_error(&e))?;
    let columns: Vec<String> = stream
        .get_schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut rows = Vec::new();
    for batch in stream {
        let batch = batch.map_err(|e| sql_error(&e))?;
        for i in 0..batch.num_rows() {
            if rows.len() == max_rows {
                return Ok(Table {
                    columns,
                    rows,
                    truncated: true,
                });
            }
            rows.push(batch.columns().iter().map(|c| encode(c, i)).collect());
        }
    }
    Ok(Table {
        columns,
        rows,
        truncated: false,
    })
}

/// Row `i` of a result column, per `muql.md` §14.1: numbers (NaN and ±Inf as null; HUGEINT and
/// DECIMAL as numbers when exact, else strings), booleans, strings (JSON values as their text,
/// UUIDs and enums as text), TIMESTAMP/DATE/TIME as ISO 8601 strings (a `Z` for TIMESTAMPTZ),
/// INTERVAL as an ISO 8601 duration (`P1Y2M3DT4.5S`), BLOB (and BIT, BIGNUM) as lower-case
/// hex of the bytes, lists and arrays as arrays, structs and maps as objects (non-text map keys
/// as their JSON text), unions as their value.
///
/// The values are read from DuckDB's Arrow chunks rather than through duckdb-rs' `ValueRef`,
/// which panics on NULL-typed columns (`SELECT NULL`, `[NULL]`) and on `TIME_NS`.
fn encode(a: &ArrayRef, i: usize) -> Json {
    if matches!(a.data_type(), DataType::Null) || a.is_null(i) {
        return Json::Null;
    }
    match a.data_type() {
        DataType::Boolean => Json::Bool(a.as_boolean().value(i)),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(i).into(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(i).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(i).into(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(i).into(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(i).into(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(i).into(),
        // The shortest text of an f32 read as f64: 0.1f32 gives 0.1, not 0.10000000149011612.
        DataType::Float32 => float(
            a.as_primitive::<Float32Type>()
                .value(i)
                .to_string()
                .parse()
                .unwrap_or(f64::NAN),
        ),
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal32(_, scale) => {
            decimal(a.as_primitive::<Decimal32Type>().value(i).into(), *scale)
        }
        DataType::Decimal64(_, scale) => {
            decimal(a.as_primitive::<Decimal64Type>().value(i).into(), *scale)
        }
        // HUGEINT and UHUGEINT arrive as DECIMAL(38, 0).
        DataType::Decimal128(_, scale) => {
            decimal(a.as_primitive::<Decimal128Type>().value(i), *scale)
        }
        DataType::Utf8 => Json::String(a.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Json::String(a.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Json::String(a.as_string_view().value(i).to_string()),
        DataType::Binary => Json::String(hex(a.as_binary::<i32>().value(i))),
        DataType::LargeBinary => Json::String(hex(a.as_binary::<i64>().value(i))),
        DataType::BinaryView => Json::String(hex(a.as_binary_view().value(i))),
        DataType::FixedSizeBinary(_) => Json::String(hex(a.as_fixed_size_binary().value(i))),
        DataType::Timestamp(unit, tz) => {
            let t = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
            };
            Json::String(timestamp(*unit, t, tz.is_some()))
        }
        DataType::Date32 => Json::String(date(a.as_primitive::<Date32Type>().value(i))),
        DataType::Time32(unit) => {
            let t = match unit {
                TimeUnit::Second => a.as_primitive::<Time32SecondType>().value(i),
                _ => a.as_primitive::<Time32MillisecondType>().value(i),
            };
            Json::String(time(*unit, t.into()))
        }
        DataType::Time64(unit) => {
            let t = match unit {
                TimeUnit::Nanosecond => a.as_primitive::<Time64NanosecondType>().value(i),
                _ => a.as_primitive::<Time64MicrosecondType>().value(i),
            };
            Json::String(time(*unit, t))
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = a.as_primitive::<IntervalMonthDayNanoType>().value(i);
            Json::String(interval(v.months, v.days, v.nanoseconds))
        }
        DataType::Interval(IntervalUnit::YearMonth) => Json::String(interval(
            a.as_primitive::<IntervalYearMonthType>().value(i),
            0,
            0,
        )),
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = a.as_primitive::<IntervalDayTimeType>().value(i);
            Json::String(interval(0, v.days, i64::from(v.milliseconds) * 1_000_000))
        }
        DataType::List(_) => list(&a.as_list::<i32>().value(i)),
        DataType::LargeList(_) => list(&a.as_list::<i64>().value(i)),
        DataType::FixedSizeList(..) => list(&a.as_fixed_size_list().value(i)),
        DataType::Struct(fields) => {
            let s = a.as_struct();
            Json::Object(
                fields
                    .iter()
                    .zip(s.columns())
                    .map(|(f, c)| (f.name().clone(), encode(c, i)))
                    .collect(),
            )
        }
        DataType::Map(..) => {
            let m = a.as_map();
            let offsets = m.value_offsets();
            let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
            Json::Object(
                (start..end)
                    .map(|j| {
                        let key = match encode(m.keys(), j) {
                            Json::String(s) => s,
                            other => other.to_string(),
                        };
                        (key, encode(m.values(), j))
                    })
                    .collect(),
            )
        }
        // ENUM.
        DataType::Dictionary(key, _) => {
            let d = a.as_any_dictionary();
            let k = match key.as_ref() {
                DataType::UInt8 => a.as_dictionary::<UInt8Type>().key(i),
                DataType::UInt16 => a.as_dictionary::<UInt16Type>().key(i),
                DataType::UInt32 => a.as_dictionary::<UInt32Type>().key(i),
                DataType::UInt64 => a.as_dictionary::<UInt64Type>().key(i),
                DataType::Int8 => a.as_dictionary::<Int8Type>().key(i),
                DataType::Int16 => a.as_dictionary::<Int16Type>().key(i),
                DataType::Int32 => a.as_dictionary::<Int32Type>().key(i),
                DataType::Int64 => a.as_dictionary::<Int64Type>().key(i),
                _ => None,
            };
            k.map_or(Json::Null, |k| encode(d.values(), k))
        }
        DataType::Union(..) => {
            let u = a.as_union();
            encode(u.child(u.type_id(i)), u.value_offset(i))
        }
        // Types DuckDB does not produce today: Arrow's own text.
        _ => ArrayFormatter::try_new(a.as_ref(), &FormatOptions::default())
            .and_then(|f| f.value(i).try_to_string())
            .map_or(Json::Null, Json::String),
    }
}

fn list(items: &ArrayRef) -> Json {
    Json::Array((0..items.len()).map(|j| encode(items, j)).collect())
}

/// A DECIMAL, or an integer of up to 128 bits (scale 0): a number when exact (an integer that
/// fits 64 bits, or at most 15 significant digits), else its text.
fn decimal(value: i128, scale: i8) -> Json {
    if scale <= 0 {
        return big_int(value);
    }
    let scale = scale.unsigned_abs() as usize;
    let digits = value.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let sign = if value < 0 { "-" } else { "" };
    let text = format!("{sign}{int}.{frac}");
    if digits.len() <= 15 {
        float(text.parse().unwrap_or(f64::NAN))
    } else {
        Json::String(text)
    }
}

fn big_int(i: i128) -> Json {
    if let Ok(i) = i64::try_from(i) {
        i.into()
    } else if let Ok(u) = u64::try_from(i) {
        u.into()
    } else {
        Json::String(i.to_string())
    }
}

fn float(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds and nanoseconds of a count of `unit`s.
fn split(unit: TimeUnit, t: i64) -> (i64, u32) {
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let nanos = t.rem_euclid(per_second) * (1_000_000_000 / per_second);
    (t.div_euclid(per_second), nanos as u32)
}

/// `2024-01-02T03:04:05.123456` (`Z` appended for a TIMESTAMPTZ); `infinity`/`-infinity` as
/// DuckDB spells them.
fn timestamp(unit: TimeUnit, t: i64, utc: bool) -> String {
    let (secs, nanos) = split(unit, t);
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(dt) if t != i64::MAX && t != -i64::MAX => {
            let text = dt.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string();
            if utc {
                text + "Z"
            } else {
                text
            }
        }
        _ if t > 0 => "infinity".to_string(),
        _ => "-infinity".to_string(),
    }
}

/// `2024-01-02`.
fn date(days: i32) -> String {
    // 719_163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    match days
        .checked_add(719_163)
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
    {
        Some(d) if days != i32::MAX && days != -i32::MAX => d.format("%Y-%m-%d").to_string(),
        _ if days > 0 => "infinity".to_string(),
        _ => "-infinity".to_string(),
    }
}

/// `03:04:05.5`.
fn time(unit: TimeUnit, t: i64) -> String {
    let (secs, nanos) = split(unit, t);
    u32::try_from(secs)
        .ok()
        .and_then(|s| chrono::NaiveTime::from_num_seconds_from_midnight_opt(s, nanos))
        .map_or_else(
            // 24:00:00 is a valid TIME in DuckDB but not in chrono.
            || format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
            |tm| tm.format("%H:%M:%S%.f").to_string(),
        )
}

/// ISO 8601 duration: `P1Y2M3DT4H5M6.5S`, `PT0S` for zero; negative parts carry a `-` sign.
fn interval(months: i32, days: i32, nanos: i64) -> String {
    let mut s = String::from("P");
    let (years, months) = (months / 12, months % 12);
    for (n, unit) in [
        (years as i64, 'Y'),
        (months as i64, 'M'),
        (days as i64, 'D'),
    ] {
        if n != 0 {
            s.push_str(&format!("{n}{unit}"));
        }
    }
    if nanos != 0 {
        let sign = if nanos < 0 { "-" } else { "" };
        let abs = nanos.unsigned_abs();
        let (hours, minutes) = (abs / 3_600_000_000_000, abs / 60_000_000_000 % 60);
        let (secs, frac) = (abs / 1_000_000_000 % 60, abs % 1_000_000_000);
        s.push('T');
        if hours != 0 {
            s.push_str(&format!("{sign}{hours}H"));
        }
        if minutes != 0 {
            s.push_str(&format!("{sign}{minutes}M"));
        }
        if secs != 0 || frac != 0 {
            let frac = if frac == 0 {
                String::new()
            } else {
                format!(".{frac:09}").trim_end_matches('0').to_string()
            };
            s.push_str(&format!("{sign}{secs}{frac}S"));
        }
    }
    if s == "P" {
        s.push_str("T0S");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreOptions};
    use serde_json::json;

    const NODE_COLUMNS: [&str; 9] = [
        "id",
        "type",
        "name",
        "qualified_name",
        "file_path",
        "line_start",
        "line_end",
        "properties",
        "complexity",
    ];

    const SEED: &str = r#"
INSERT INTO nodes VALUES
 ('mod:src/app/auth.py', 'module', 'auth', 'auth', 'src/app/auth.py', NULL, NULL, '{}', 0),
 ('cls:src/app/auth.py:User', 'class', 'User', 'auth.User', 'src/app/auth.py', 3, 20, '{"kind":"class"}', 0),
 ('fn:src/app/auth.py:User.login', 'function', 'login', 'auth.User.login', 'src/app/auth.py', 5, 10, '{"is_method":true}', 3),
 ('fn:src/app/auth.py:User.name', 'function', 'name', 'auth.User.name', 'src/app/auth.py', 12, 14, '{"is_method":false}', 1),
 ('fn:src/app/auth.py:helper', 'function', 'helper', 'auth.helper', 'src/app/auth.py', 22, 25, '{"is_method":false}', 1),
 ('mod:src/app/legacy.py', 'module', 'legacy', 'legacy', 'src/app/legacy.py', NULL, NULL, '{}', 0),
 ('cls:src/app/legacy.py:Old', 'class', 'Old', 'legacy.Old', 'src/app/legacy.py', 1, 5, '{}', 0),
 ('fn:src/app/legacy.py:Old.run', 'function', 'run', 'legacy.Old.run', 'src/app/legacy.py', 2, 4, '{}', 1),
 ('fn:src/app/legacy.py:main', 'function', 'main', 'legacy.main', 'src/app/legacy.py', 7, 9, NULL, 1);
INSERT INTO edges VALUES
 ('e1', 'mod:src/app/auth.py', 'cls:src/app/auth.py:User', 'contains', '{}'),
 ('e2', 'cls:src/app/auth.py:User', 'fn:src/app/auth.py:User.login', 'contains', '{}'),
 ('e3', 'cls:src/app/auth.py:User', 'fn:src/app/auth.py:User.name', 'contains', '{}'),
 ('e4', 'mod:src/app/auth.py', 'fn:src/app/auth.py:helper', 'contains', '{}'),
 ('e5', 'mod:src/app/legacy.py', 'cls:src/app/legacy.py:Old', 'contains', '{}'),
 ('e6', 'cls:src/app/legacy.py:Old', 'fn:src/app/legacy.py:Old.run', 'contains', '{}'),
 ('e7', 'mod:src/app/legacy.py', 'fn:src/app/legacy.py:main', 'contains', '{}'),
 ('e8', 'fn:src/app/legacy.py:main', 'fn:src/app/auth.py:helper', 'calls', '{"line":8}');
"#;

    struct Fixture {
        conn: Connection,
        store: Store,
        dir: tempfile::TempDir,
    }

    /// A store with the rows of [`SEED`] and a prepared query connection.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &dir.path().join("mubase"),
            &StoreOptions::default(),
            dir.path(),
        )
        .unwrap();
        store.reader().unwrap().execute_batch(SEED).unwrap();
        let conn = store.reader().unwrap();
        prepare_query_connection(&conn).unwrap();
        Fixture { conn, store, dir }
    }

    impl Fixture {
        fn run(&self, sql: &str) -> SqlOutcome {
            run_read_only(&self.conn, sql, &SqlLimits::default())
        }

        /// The rows of a statement that must succeed.
        fn rows(&self, sql: &str) -> Vec<Vec<Json>> {
            let out = self.run(sql);
            assert_eq!(out.error, None, "{sql}");
            assert_eq!(out.warning, None, "{sql}");
            out.rows
        }

        /// Row counts of nodes and edges, the metadata rows and the tables of the main
        /// database, read on a fresh connection.
        fn state(&self) -> (i64, i64, Vec<String>, Vec<String>) {
            let c = self.store.reader().unwrap();
            let count = |t: &str| -> i64 {
                c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                    .unwrap()
            };
            let list = |sql: &str| -> Vec<String> {
                let mut s = c.prepare(sql).unwrap();
                let v = s
                    .query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(|x| x.unwrap())
                    .collect();
                v
            };
            (
                count("nodes"),
                count("edges"),
                list("SELECT key || '=' || value FROM metadata ORDER BY key"),
                list("SELECT database_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"),
            )
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn ids(rows: Vec<Vec<Json>>) -> Vec<String> {
        rows.into_iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn client_statements_return_real_columns_and_rows() {
        let f = fixture();
        let module = vec![
            json!("mod:src/app/auth.py"),
            json!("module"),
            json!("auth"),
            json!("auth"),
            json!("src/app/auth.py"),
            Json::Null,
            Json::Null,
            json!("{}"),
            json!(0),
        ];
        let login = vec![
            json!("fn:src/app/auth.py:User.login"),
            json!("function"),
            json!("login"),
            json!("auth.User.login"),
            json!("src/app/auth.py"),
            json!(5),
            json!(10),
            json!(r#"{"is_method":true}"#),
            json!(3),
        ];
        for (sql, row) in [
            ("SELECT * FROM nodes WHERE file_path = 'src/app/auth.py' AND type = 'module' LIMIT 1", &module),
            ("SELECT * FROM nodes WHERE file_path LIKE '%app/auth.py' AND type = 'module' LIMIT 1", &module),
            ("SELECT * FROM nodes WHERE name = 'login' LIMIT 1", &login),
            (
                "SELECT * FROM nodes WHERE name LIKE '%log%' ORDER BY CASE WHEN name = 'login' THEN 0 ELSE 1 END LIMIT 1",
                &login,
            ),
        ] {
            let out = f.run(sql);
            assert_eq!(out.error, None, "{sql}");
            assert_eq!(out.columns, strings(&NODE_COLUMNS), "{sql}");
            assert_eq!(out.rows, vec![row.clone()], "{sql}");
            assert_eq!(out.warning, None);
            assert!(out.execution_time_ms > 0.0);
        }
    }

    #[test]
    fn views_have_the_node_columns_and_the_row_sets_of_muql() {
        let f = fixture();
        for view in ["functions", "classes", "modules", "methods"] {
            let out = f.run(&format!("SELECT * FROM {view} LIMIT 1"));
            assert_eq!(out.columns, strings(&NODE_COLUMNS), "{view}");
        }
        let by_id = |view: &str| ids(f.rows(&format!("SELECT id FROM {view} ORDER BY id")));
        assert_eq!(
            by_id("functions"),
            strings(&[
                "fn:src/app/auth.py:User.login",
                "fn:src/app/auth.py:User.name",
                "fn:src/app/auth.py:helper",
                "fn:src/app/legacy.py:Old.run",
                "fn:src/app/legacy.py:main",
            ])
        );
        assert_eq!(
            by_id("classes"),
            strings(&["cls:src/app/auth.py:User", "cls:src/app/legacy.py:Old"])
        );
        assert_eq!(
            by_id("modules"),
            strings(&["mod:src/app/auth.py", "mod:src/app/legacy.py"])
        );
        // `login` says is_method = true; `name` says false although a class contains it; `run`
        // has no key (MU-built) and a class contains it; `main` has no key and no class.
        assert_eq!(
            by_id("methods"),
            strings(&[
                "fn:src/app/auth.py:User.login",
                "fn:src/app/legacy.py:Old.run"
            ])
        );
        // Views combine with the tables like any relation.
        assert_eq!(
            f.rows(
                "SELECT c.name, count(*) AS n FROM classes c JOIN edges e ON e.source_id = c.id \
                 JOIN methods m ON m.id = e.target_id GROUP BY c.name ORDER BY c.name"
            ),
            vec![vec![json!("Old"), json!(1)], vec![json!("User"), json!(1)]]
        );
    }

    #[test]
    fn views_are_temporary_and_never_stored_in_the_file() {
        let f = fixture();
        let views = |c: &Connection| -> Vec<String> {
            let mut s = c
                .prepare(
                    "SELECT database_name || '.' || view_name FROM duckdb_views() \
                     WHERE NOT internal ORDER BY 1",
                )
                .unwrap();
            let v = s
                .query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(|x| x.unwrap())
                .collect();
            v
        };
        assert_eq!(
            views(&f.conn),
            strings(&[
                "temp.classes",
                "temp.functions",
                "temp.methods",
                "temp.modules"
            ])
        );
        // Idempotent.
        prepare_query_connection(&f.conn).unwrap();
        // Another connection of the same database does not see them...
        assert!(views(&f.store.reader().unwrap()).is_empty());
        let unprepared = f.store.reader().unwrap();
        let out = run_read_only(
            &unprepared,
            "SELECT * FROM functions",
            &SqlLimits::default(),
        );
        assert!(
            out.error
                .as_deref()
                .unwrap()
                .starts_with("SQL error: Catalog Error: Table with name functions does not exist"),
            "{:?}",
            out.error
        );
        // ...and the file holds none after a checkpoint and a reopen.
        let path = f.store.path().to_path_buf();
        f.store.checkpoint().unwrap();
        let Fixture { conn, store, dir } = f;
        drop((conn, unprepared, store));
        let store = Store::open(&path, &StoreOptions::default(), dir.path()).unwrap();
        assert!(views(&store.reader().unwrap()).is_empty());
    }

    #[test]
    fn refused_statements_leave_the_database_untouched() {
        let f = fixture();
        let before = f.state();
        let threads: String = f
            .conn
            .query_row("SELECT current_setting('threads')::VARCHAR", [], |r| {
                r.get(0)
            })
            .unwrap();
        let d = f.dir.path().display().to_string();
        let cases: Vec<(String, &str)> = vec![
            ("SELECT * FROM read_csv('/etc/passwd')".into(), REFUSED),
            ("SELECT * FROM '/etc/passwd'".into(), REFUSED),
            ("SELECT * FROM \"/etc/passwd\"".into(), REFUSED),
            ("SELECT * FROM read_text('/etc/passwd')".into(), REFUSED),
            ("SELECT * FROM read_blob('/etc/passwd')".into(), REFUSED),
            ("SELECT * FROM glob('/etc/*')".into(), REFUSED),
            (format!("ATTACH '{d}/x.db'"), REFUSED),
            (format!("COPY nodes TO '{d}/x.csv'"), REFUSED),
            ("INSTALL httpfs".into(), REFUSED),
            ("LOAD httpfs".into(), REFUSED),
            ("SET threads=1".into(), REFUSED),
            ("PRAGMA version".into(), REFUSED),
            ("DELETE FROM nodes".into(), REFUSED),
            ("INSERT INTO nodes (id, type, name) VALUES ('x', 'module', 'x')".into(), REFUSED),
            ("UPDATE nodes SET name = 'x'".into(), REFUSED),
            ("DROP TABLE nodes".into(), REFUSED),
            ("CREATE TABLE x AS SELECT 1".into(), REFUSED),
            ("CREATE SEQUENCE s".into(), REFUSED),
            ("SELECT 1; DELETE FROM nodes".into(), ONE_STATEMENT),
            ("DELETE FROM nodes; SELECT 1".into(), ONE_STATEMENT),
            ("SELECT 1; SELECT 2".into(), ONE_STATEMENT),
            ("SELECT * FROM duckdb_settings()".into(), REFUSED),
            ("SELECT * FROM system.main.duckdb_settings()".into(), REFUSED),
            ("SELECT * FROM other.nodes".into(), REFUSED),
            ("SELECT * FROM other.main.nodes".into(), REFUSED),
            ("SELECT * FROM temp.main.functions".into(), REFUSED),
            ("SELECT * FROM information_schema.tables".into(), REFUSED),
            ("SELECT * FROM duckdb_tables".into(), REFUSED),
            ("SELECT * FROM file_hashes".into(), REFUSED),
            ("SELECT * FROM pragma_table_info('nodes')".into(), REFUSED),
            ("SELECT * FROM query('SELECT 1')".into(), REFUSED),
            ("SELECT * FROM range(3) r JOIN query_table('nodes') q ON true".into(), REFUSED),
            ("CALL checkpoint()".into(), REFUSED),
            (format!("EXPORT DATABASE '{d}/x'"), REFUSED),
            ("SELECT nextval('s')".into(), REFUSED),
            ("SELECT currval('s')".into(), REFUSED),
            ("SELECT setseed(0.5)".into(), REFUSED),
            ("SELECT write_log('x')".into(), REFUSED),
            ("SELECT pg_get_viewdef(1)".into(), REFUSED),
            ("SELECT id FROM nodes WHERE id IN (SELECT nextval('s')::VARCHAR)".into(), REFUSED),
            ("DESCRIBE nodes".into(), REFUSED),
            ("SUMMARIZE nodes".into(), REFUSED),
            ("SELECT * FROM (SHOW TABLES)".into(), REFUSED),
            ("WITH d AS (DELETE FROM nodes RETURNING *) SELECT * FROM d".into(), REFUSED),
            (
                "WITH d AS (INSERT INTO nodes (id, type, name) VALUES ('x', 'module', 'x') RETURNING *) SELECT * FROM d"
                    .into(),
                REFUSED,
            ),
            ("WITH d AS (UPDATE nodes SET name = 'x' RETURNING *) SELECT count(*) FROM d".into(), REFUSED),
            (format!("WITH d AS (COPY nodes TO '{d}/y.csv') SELECT * FROM d"), REFUSED),
            // A non-recursive CTE that names itself reads the real table.
            ("WITH file_hashes AS (SELECT * FROM file_hashes) SELECT * FROM file_hashes".into(), REFUSED),
            ("WITH RECURSIVE file_hashes AS (SELECT * FROM file_hashes) SELECT 1".into(), REFUSED),
            // A CTE is not visible before its definition, nor outside its subquery.
            ("WITH a AS (SELECT * FROM file_hashes), file_hashes AS (SELECT 1) SELECT * FROM a".into(), REFUSED),
            ("SELECT * FROM (WITH file_hashes AS (SELECT 1) SELECT * FROM file_hashes), file_hashes".into(), REFUSED),
            ("SELECT (SELECT count(*) FROM file_hashes)".into(), REFUSED),
            ("SELECT * FROM range((SELECT count(*) FROM file_hashes))".into(), REFUSED),
            ("SELECT 1 UNION ALL SELECT count(*) FROM codebase_stats".into(), REFUSED),
            ("".into(), REFUSED),
            (";".into(), REFUSED),
        ];
        for (sql, message) in &cases {
            assert_eq!(
                check_read_only(&f.conn, sql),
                Err(message.to_string()),
                "{sql}"
            );
            let out = f.run(sql);
            assert_eq!(out.error.as_deref(), Some(*message), "{sql}");
            assert!(out.columns.is_empty() && out.rows.is_empty(), "{sql}");
            assert_eq!(f.state(), before, "{sql}");
        }
        for file in ["x.db", "x.csv", "y.csv", "x"] {
            assert!(!f.dir.path().join(file).exists(), "{file}");
        }
        let after: String = f
            .conn
            .query_row("SELECT current_setting('threads')::VARCHAR", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(after, threads);
        // The connection still works.
        assert_eq!(f.rows("SELECT count(*) FROM nodes"), vec![vec![json!(9)]]);
    }

    #[test]
    fn allowed_forms_run() {
        let f = fixture();
        assert_eq!(
            f.rows(
                "WITH fns AS (SELECT * FROM nodes WHERE type = 'function'), \
                      big AS (SELECT * FROM fns WHERE complexity > 1) \
                 SELECT id FROM big"
            ),
            vec![vec![json!("fn:src/app/auth.py:User.login")]]
        );
        assert_eq!(
            f.rows(
                "WITH RECURSIVE t(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM t WHERE x < 3) \
                 SELECT x FROM t ORDER BY x"
            ),
            vec![vec![json!(1)], vec![json!(2)], vec![json!(3)]]
        );
        // CTE names are case-insensitive, like DuckDB's.
        assert_eq!(
            f.rows("WITH Cte AS (SELECT 7 AS v) SELECT v FROM cte"),
            vec![vec![json!(7)]]
        );
        let out = f.run("SELECT * FROM range(5)");
        assert_eq!(out.columns, strings(&["range"]));
        assert_eq!(out.rows, (0..5).map(|i| vec![json!(i)]).collect::<Vec<_>>());
        assert_eq!(
            f.rows("SELECT * FROM generate_series(1, 2)"),
            vec![vec![json!(1)], vec![json!(2)]]
        );
        assert_eq!(
            f.rows("SELECT unnest([1, 2]) AS v"),
            vec![vec![json!(1)], vec![json!(2)]]
        );
        assert_eq!(
            f.rows("SELECT u FROM unnest(['a', 'b']) AS t(u) ORDER BY u"),
            vec![vec![json!("a")], vec![json!("b")]]
        );
        assert_eq!(
            f.rows("SELECT key, value FROM json_each('{\"a\":1}')"),
            vec![vec![json!("a"), json!("1")]]
        );
        assert_eq!(
            f.rows(
                "SELECT count(*) FROM json_tree((SELECT properties FROM edges WHERE id = 'e8'))"
            ),
            vec![vec![json!(2)]]
        );
        // Qualified names of the main database, subqueries, set operations, joins.
        assert_eq!(
            f.rows("SELECT count(*) FROM main.nodes"),
            vec![vec![json!(9)]]
        );
        assert_eq!(
            f.rows("SELECT count(*) FROM mubase.main.edges"),
            vec![vec![json!(8)]]
        );
        assert_eq!(
            f.rows("SELECT count(*) FROM mubase.nodes"),
            vec![vec![json!(9)]]
        );
        assert_eq!(
            f.rows(
                "SELECT n.name FROM nodes n WHERE n.id IN (SELECT target_id FROM edges WHERE type = 'calls') \
                 UNION SELECT value FROM metadata WHERE key = 'version' ORDER BY 1"
            ),
            vec![vec![json!("1.0.0")], vec![json!("helper")]]
        );
        assert_eq!(
            f.rows(
                "SELECT s.name, t.name FROM edges e JOIN nodes s ON s.id = e.source_id \
                 LEFT JOIN nodes t ON t.id = e.target_id WHERE e.type = 'calls'"
            ),
            vec![vec![json!("main"), json!("helper")]]
        );
        assert_eq!(
            f.rows(
                "SELECT EXISTS (SELECT 1 FROM methods), (SELECT max(complexity) FROM functions)"
            ),
            vec![vec![json!(true), json!(3)]]
        );
        // A trailing semicolon is not a second statement; random() has no lasting effect.
        assert_eq!(f.rows("SELECT 1 AS one;"), vec![vec![json!(1)]]);
        assert_eq!(f.rows("SELECT random() < 2"), vec![vec![json!(true)]]);
        assert_eq!(check_read_only(&f.conn, "SELECT * FROM nodes"), Ok(()));
    }

    #[test]
    fn sql_errors_carry_duckdb_messages() {
        let f = fixture();
        let out = f.run("SELECT * FROM nodes WHERE");
        assert_eq!(
            out.error.as_deref(),
            Some("SQL error: Parser Error: syntax error at or near \"WHERE\"")
        );
        assert_eq!(
            check_read_only(&f.conn, "SELECT * FROM nodes WHERE"),
            Err("SQL error: Parser Error: syntax error at or near \"WHERE\"".to_string())
        );
        let out = f.run("SELECT nope FROM nodes");
        let error = out.error.unwrap();
        assert!(
            error.starts_with("SQL error: Binder Error: Referenced column \"nope\" not found"),
            "{error}"
        );
        assert!(out.columns.is_empty() && out.rows.is_empty());
        let out = f.run("SELECT 1 / 0 = 1, error('boom')");
        assert_eq!(
            out.error.as_deref(),
            Some("SQL error: Invalid Input Error: boom")
        );
        // Parameters are never bound by the passthrough.
        assert!(f.run("SELECT ?").error.unwrap().starts_with("SQL error: "));
        assert_eq!(f.rows("SELECT 2"), vec![vec![json!(2)]]);
    }

    #[test]
    fn slow_statements_are_cancelled_at_the_time_limit() {
        let f = fixture();
        let limits = SqlLimits {
            timeout: Duration::from_millis(50),
            max_rows: 10_000,
        };
        let started = Instant::now();
        let out = run_read_only(
            &f.conn,
            "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
            &limits,
        );
        let elapsed = started.elapsed();
        assert_eq!(
            out.error.as_deref(),
            Some("Query cancelled: exceeded the time limit of 50 ms")
        );
        assert!(out.columns.is_empty() && out.rows.is_empty());
        assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
        assert!(out.execution_time_ms >= 50.0 && out.execution_time_ms < 1000.0);
        // A self-join of the graph tables is cancelled the same way.
        let out = run_read_only(
            &f.conn,
            "SELECT count(*) FROM nodes a, nodes b, nodes c, edges d, range(100000000) r \
             WHERE hash(a.id, b.id, c.id, d.id, r.range) = 0",
            &limits,
        );
        assert_eq!(
            out.error.as_deref(),
            Some("Query cancelled: exceeded the time limit of 50 ms")
        );
        // The connection is usable afterwards: no stale interrupt, no open transaction.
        assert_eq!(f.rows("SELECT count(*) FROM nodes"), vec![vec![json!(9)]]);
        assert_eq!(
            timeout_message(Duration::from_secs(10)),
            "Query cancelled: exceeded the time limit of 10 s"
        );
        assert_eq!(
            timeout_message(Duration::from_millis(1500)),
            "Query cancelled: exceeded the time limit of 1500 ms"
        );
    }

    #[test]
    fn rows_are_capped_with_a_warning() {
        let f = fixture();
        let limits = SqlLimits {
            timeout: Duration::from_secs(10),
            max_rows: 3,
        };
        let out = run_read_only(&f.conn, "SELECT id FROM nodes ORDER BY id", &limits);
        assert_eq!(out.error, None);
        assert_eq!(out.columns, strings(&["id"]));
        assert_eq!(
            ids(out.rows),
            strings(&[
                "cls:src/app/auth.py:User",
                "cls:src/app/legacy.py:Old",
                "fn:src/app/auth.py:User.login"
            ])
        );
        assert_eq!(out.warning.as_deref(), Some("Result truncated to 3 rows"));
        // Exactly at the cap: no warning.
        let out = run_read_only(&f.conn, "SELECT * FROM range(3)", &limits);
        assert_eq!(out.rows.len(), 3);
        assert_eq!(out.warning, None);
        // A huge result is streamed, not materialised: the cap returns at once.
        let out = run_read_only(&f.conn, "SELECT * FROM range(10000000000)", &limits);
        assert_eq!(
            out.rows,
            vec![vec![json!(0)], vec![json!(1)], vec![json!(2)]]
        );
        assert_eq!(out.warning.as_deref(), Some("Result truncated to 3 rows"));
        assert!(out.execution_time_ms < 1000.0, "{}", out.execution_time_ms);
        let out = f.run("SELECT * FROM range(10001)");
        assert_eq!(out.rows.len(), 10_000);
        assert_eq!(
            out.warning.as_deref(),
            Some("Result truncated to 10000 rows")
        );
    }

    #[test]
    fn values_are_encoded_as_muql_specifies() {
        let f = fixture();
        let out = f.run(
            r#"SELECT properties, [1, 2] AS list, {'a': 1, 'b': [true, NULL]} AS struct,
                 MAP {'k': 1.5} AS map, [1, 2]::INTEGER[2] AS arr,
                 TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, TIMESTAMP '2024-01-02 03:04:05' AS ts0,
                 TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tstz, DATE '2024-01-02' AS d,
                 TIME '03:04:05.5' AS t, INTERVAL '14 months 2 days 3.5 seconds' AS iv,
                 'nan'::DOUBLE AS nan, 'inf'::DOUBLE AS inf, '-inf'::FLOAT AS ninf,
                 1.5::FLOAT AS f, 0.1::FLOAT AS f01, 2.25::DOUBLE AS dbl,
                 12345678901234567890::HUGEINT AS big,
                 170141183460469231731687303715884105727::HUGEINT AS huge,
                 1.25::DECIMAL(10, 2) AS dec, 12345678901234567.89::DECIMAL(38, 2) AS dec_big,
                 42::DECIMAL(18, 0) AS dec_int, '\xAB\x01'::BLOB AS blob, true AS b, NULL AS n,
                 'a'::ENUM('a', 'b') AS e, '{"x":[1,2]}'::JSON AS j, [properties] AS json_list,
                 18446744073709551615::UBIGINT AS ub, -5::TINYINT AS ti,
                 '0a8c3a1e-4b7d-4b1a-9d1e-2f3a4b5c6d7e'::UUID AS u,
                 [TIMESTAMP '2024-01-02 03:04:05'] AS ts_list, [NULL] AS null_list,
                 {'a': NULL} AS null_struct, '12:00:00.000000001'::TIME_NS AS tns,
                 '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS tsns,
                 union_value(k := 1) AS un, [1.5::DECIMAL(4, 1)] AS dec_list
               FROM nodes WHERE id = 'fn:src/app/auth.py:User.login'"#,
        );
        assert_eq!(out.error, None);
        let expected = [
            ("properties", json!(r#"{"is_method":true}"#)),
            ("list", json!([1, 2])),
            ("struct", json!({"a": 1, "b": [true, null]})),
            ("map", json!({"k": 1.5})),
            ("arr", json!([1, 2])),
            ("ts", json!("2024-01-02T03:04:05.123456")),
            ("ts0", json!("2024-01-02T03:04:05")),
            ("tstz", json!("2024-01-02T03:04:05Z")),
            ("d", json!("2024-01-02")),
            ("t", json!("03:04:05.500")),
            ("iv", json!("P1Y2M2DT3.5S")),
            ("nan", Json::Null),
            ("inf", Json::Null),
            ("ninf", Json::Null),
            ("f", json!(1.5)),
            ("f01", json!(0.1)),
            ("dbl", json!(2.25)),
            ("big", json!(12345678901234567890u64)),
            ("huge", json!("170141183460469231731687303715884105727")),
            ("dec", json!(1.25)),
            ("dec_big", json!("12345678901234567.89")),
            ("dec_int", json!(42)),
            ("blob", json!("ab01")),
            ("b", json!(true)),
            ("n", Json::Null),
            ("e", json!("a")),
            ("j", json!(r#"{"x":[1,2]}"#)),
            ("json_list", json!([r#"{"is_method":true}"#])),
            ("ub", json!(18446744073709551615u64)),
            ("ti", json!(-5)),
            ("u", json!("0a8c3a1e-4b7d-4b1a-9d1e-2f3a4b5c6d7e")),
            ("ts_list", json!(["2024-01-02T03:04:05"])),
            ("null_list", json!([null])),
            ("null_struct", json!({"a": null})),
            ("tns", json!("12:00:00.000000001")),
            ("tsns", json!("2024-01-02T03:04:05.123456789")),
            ("un", json!(1)),
            ("dec_list", json!([1.5])),
        ];
        assert_eq!(
            out.columns,
            expected
                .iter()
                .map(|(c, _)| c.to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(out.rows.len(), 1);
        for ((column, want), got) in expected.iter().zip(&out.rows[0]) {
            assert_eq!(got, want, "{column}");
        }
        // A NULL properties column is null, not "null".
        assert_eq!(
            f.rows("SELECT properties FROM nodes WHERE id = 'fn:src/app/legacy.py:main'"),
            vec![vec![Json::Null]]
        );
    }

    #[test]
    fn statements_are_counted_by_duckdb_parser() {
        assert_eq!(count_statements("SELECT 1; DELETE FROM x"), Some(2));
        assert_eq!(count_statements("DELETE FROM x;"), Some(1));
        assert_eq!(
            count_statements("SET threads = 1; PRAGMA version; CALL checkpoint()"),
            Some(3)
        );
        assert_eq!(
            count_statements("SELECT ';' AS \"a;b\" -- ; DELETE\n"),
            Some(1)
        );
        assert_eq!(count_statements("DELETE FROM"), None);
        // Counting parses only: the statements of the text never run anywhere.
        let f = fixture();
        let before = f.state();
        assert_eq!(
            check_read_only(&f.conn, "SELECT 1; DROP TABLE nodes; DROP TABLE edges"),
            Err(ONE_STATEMENT.to_string())
        );
        assert_eq!(f.state(), before);
    }

    #[test]
    fn the_connection_must_not_be_in_a_transaction() {
        let f = fixture();
        f.conn.execute_batch("BEGIN TRANSACTION").unwrap();
        let out = f.run("SELECT 1");
        let error = out.error.unwrap();
        assert!(error.starts_with("SQL error: "), "{error}");
        f.conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(f.rows("SELECT 1"), vec![vec![json!(1)]]);
        // An unbounded time limit is accepted.
        let out = run_read_only(
            &f.conn,
            "SELECT 1",
            &SqlLimits {
                timeout: Duration::MAX,
                max_rows: 10,
            },
        );
        assert_eq!(out.rows, vec![vec![json!(1)]]);
    }

    #[test]
    fn temporal_and_interval_text() {
        assert_eq!(interval(0, 0, 0), "PT0S");
        assert_eq!(interval(-1, 0, 0), "P-1M");
        assert_eq!(interval(0, 1, 3_723_000_000_001), "P1DT1H2M3.000000001S");
        assert_eq!(interval(0, 0, -90_000_000_000), "PT-1M-30S");
        assert_eq!(time(TimeUnit::Microsecond, 86_400_000_000), "24:00:00");
        assert_eq!(
            timestamp(TimeUnit::Microsecond, -1, false),
            "1969-12-31T23:59:59.999999"
        );
        assert_eq!(
            timestamp(TimeUnit::Microsecond, i64::MAX, false),
            "infinity"
        );
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(-1), "1969-12-31");
    }
}
