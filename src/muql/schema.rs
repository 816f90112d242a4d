//! The schema statements of MUQL (`muql.md` §12): `SHOW TABLES` / `DESCRIBE TABLES` and
//! `SHOW COLUMNS FROM t` / `DESCRIBE t`. Row counts and the real columns' types are read from
//! the database; the derived fields are those the planner knows (§4.2).

use duckdb::types::Value;
use serde_json::{json, Value as Json};

use super::ast::Table;
use super::plan::{fields_of, PROPERTY_FIELD};
use super::{Env, Output, QueryError};
use crate::store::sql::run_generated;

/// Columns of `SHOW TABLES`.
pub const TABLE_COLUMNS: [&str; 4] = ["table_name", "kind", "row_count", "description"];
/// Columns of `SHOW COLUMNS`.
pub const COLUMN_COLUMNS: [&str; 4] = ["column_name", "data_type", "derived", "description"];

/// The tables and views of `SHOW TABLES`, in the order of §12, with their kind and description.
const TABLES: [(&str, &str, &str); 7] = [
    (
        "nodes",
        "table",
        "Every node: modules, classes, functions and externals",
    ),
    (
        "edges",
        "table",
        "Every edge: contains, imports, inherits, calls and uses",
    ),
    (
        "metadata",
        "table",
        "Key-value facts about the database (readable in SQL mode only)",
    ),
    (
        "functions",
        "view",
        "Nodes of type function, methods included",
    ),
    (
        "classes",
        "view",
        "Nodes of type class (classes, structs, interfaces, enums, traits, records)",
    ),
    (
        "modules",
        "view",
        "Nodes of type module (one per source file)",
    ),
    ("methods", "view", "Functions defined in a class"),
];

/// SHOW TABLES / DESCRIBE TABLES (§12).
pub fn show_tables(env: &Env) -> Result<Output, QueryError> {
    // The names are the fixed list above, never user text.
    let counts: Vec<String> = TABLES
        .iter()
        .map(|(name, _, _)| format!("(SELECT count(*) FROM {name})"))
        .collect();
    let sql = format!("SELECT {}", counts.join(", "));
    let outcome = run_generated(env.conn, &sql, &[], env.limits, env.started);
    if let Some(error) = outcome.error {
        return Err(QueryError::new(error));
    }
    let counts = outcome.rows.into_iter().next().unwrap_or_default();
    let mut out = Output::with_columns(&TABLE_COLUMNS);
    for (i, (name, kind, description)) in TABLES.iter().enumerate() {
        out.rows.push(vec![
            json!(name),
            json!(kind),
            counts.get(i).cloned().unwrap_or(Json::Null),
            json!(description),
        ]);
    }
    Ok(out)
}

/// SHOW COLUMNS FROM t / DESCRIBE t (§12).
pub fn show_columns(env: &Env, table: Table) -> Result<Output, QueryError> {
    // The views have the columns of `nodes`.
    let base = if table.is_node_table() {
        "nodes"
    } else {
        "edges"
    };
    let outcome = run_generated(
        env.conn,
        "SELECT column_name, data_type FROM duckdb_columns() \
         WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 \
         ORDER BY column_index",
        &[Value::Text(base.to_string())],
        env.limits,
        env.started,
    );
    if let Some(error) = outcome.error {
        return Err(QueryError::new(error));
    }
    let fields = fields_of(table);
    let mut out = Output::with_columns(&COLUMN_COLUMNS);
    for row in outcome.rows {
        let name = row.first().and_then(Json::as_str).unwrap_or("").to_string();
        let description = fields
            .iter()
            .find(|f| !f.derived && f.name == name)
            .map_or("", |f| f.description);
        out.rows.push(vec![
            json!(name),
            row.get(1).cloned().unwrap_or(Json::Null),
            json!(false),
            json!(description),
        ]);
    }
    for f in fields.iter().filter(|f| f.derived) {
        out.rows.push(vec![
            json!(f.name),
            json!(f.data_type),
            json!(true),
            json!(f.description),
        ]);
    }
    out.rows.push(vec![
        json!(PROPERTY_FIELD),
        json!("JSON"),
        json!(true),
        json!("The value at that path in properties (properties.a.b for nested keys)"),
    ]);
    Ok(out)
}
