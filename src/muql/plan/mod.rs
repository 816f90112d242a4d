//! The SQL side of MUQL: a [`Select`] (and the filter of `FIND … WHERE`) compiled to one
//! parameterised DuckDB statement over the graph tables (`muql.md` §4, §5, §14).
//!
//! Every field is validated against the fields of its table (§4.2) before anything is written
//! into the SQL text, and only then spliced, as a column or a fixed expression of this module;
//! every literal value of the query is a bound parameter. Statements have the shape
//!
//! ```sql
//! SELECT <items> FROM (SELECT <referenced fields AS c0, c1, …> FROM <table> AS t [joins]) AS q
//! [WHERE …] [GROUP BY …] [HAVING …] ORDER BY <keys>, <tie-breaker> [LIMIT n] [OFFSET m]
//! ```
//!
//! The inner query computes only the fields the query names, so a plain filtered SELECT is a
//! scan of one table with no joins or subqueries; derived fields bring their subquery or join
//! only when referenced.

use std::collections::HashSet;

use duckdb::types::Value;
use serde_json::Value as Json;

use super::ast::{
    AggFn, Aggregate, CompOp, Condition, Field, Literal, Operand, PredOp, Select, SelectList, Table,
};
use super::{limit_value, Env, Output, QueryError};
use crate::store::sql::{run_generated, SqlLimits, SqlOutcome};

/// How a field's values are compared, matched and aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Number,
    Bool,
    /// A JSON value (the `properties` column).
    Json,
    /// A JSON array (`decorators`): `CONTAINS` tests membership.
    JsonArray,
    /// `properties.<key>…`: a JSON value typed by what it is compared with (§5).
    Property,
}

/// One field of a table, in the order of `muql.md` §4.2.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldDef {
    pub name: &'static str,
    /// The DuckDB type of a derived field (real columns take theirs from the catalog).
    pub data_type: &'static str,
    pub kind: Kind,
    pub derived: bool,
    pub description: &'static str,
}

const fn real(name: &'static str, kind: Kind, description: &'static str) -> FieldDef {
    let data_type = match kind {
        Kind::Number => "INTEGER",
        Kind::Json | Kind::JsonArray | Kind::Property => "JSON",
        Kind::Bool => "BOOLEAN",
        Kind::Text => "VARCHAR",
    };
    FieldDef {
        name,
        data_type,
        kind,
        derived: false,
        description,
    }
}

const fn derived(
    name: &'static str,
    data_type: &'static str,
    kind: Kind,
    description: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        data_type,
        kind,
        derived: true,
        description,
    }
}

/// The fields of the node tables (`muql.md` §4.2): the nine real columns, then the derived ones.
pub(crate) const NODE_FIELDS: [FieldDef; 20] = [
    real(
        "id",
        Kind::Text,
        "Node id: mod:, cls:, fn: or ext: prefix and the path",
    ),
    real("type", Kind::Text, "module, class, function or external"),
    real("name", Kind::Text, "Short name"),
    real(
        "qualified_name",
        Kind::Text,
        "Name qualified by its module and class",
    ),
    real(
        "file_path",
        Kind::Text,
        "Project-relative path with / separators (NULL for externals)",
    ),
    real("line_start", Kind::Number, "First line, 1-based"),
    real("line_end", Kind::Number, "Last line, 1-based"),
    real("properties", Kind::Json, "Type-specific attributes (JSON)"),
    real(
        "complexity",
        Kind::Number,
        "Cyclomatic complexity (0 for non-functions)",
    ),
    derived(
        "language",
        "VARCHAR",
        Kind::Text,
        "Language of the node's module (NULL for externals)",
    ),
    derived("loc", "INTEGER", Kind::Number, "line_end - line_start + 1"),
    derived(
        "kind",
        "VARCHAR",
        Kind::Text,
        "Class kind (class, struct, interface, …), method or function, else the node type",
    ),
    derived(
        "is_method",
        "BOOLEAN",
        Kind::Bool,
        "Function defined in a class",
    ),
    derived(
        "is_async",
        "BOOLEAN",
        Kind::Bool,
        "properties.is_async (absent: false)",
    ),
    derived(
        "is_static",
        "BOOLEAN",
        Kind::Bool,
        "properties.is_static (absent: false)",
    ),
    derived("visibility", "VARCHAR", Kind::Text, "properties.visibility"),
    derived(
        "decorators",
        "JSON",
        Kind::JsonArray,
        "properties.decorators (absent: [])",
    ),
    derived(
        "parent_id",
        "VARCHAR",
        Kind::Text,
        "Source of the incoming contains edge",
    ),
    derived(
        "fan_in",
        "INTEGER",
        Kind::Number,
        "Distinct nodes with an imports, calls, inherits or uses edge to this node",
    ),
    derived(
        "fan_out",
        "INTEGER",
        Kind::Number,
        "Distinct nodes this node has an imports, calls, inherits or uses edge to",
    ),
];

/// The fields of `edges` (`muql.md` §4.2).
pub(crate) const EDGE_FIELDS: [FieldDef; 11] = [
    real("id", Kind::Text, "Edge id"),
    real("source_id", Kind::Text, "Id of the source node"),
    real(
        "target_id",
        Kind::Text,
        "Id of the target node (may have no node)",
    ),
    real(
        "type",
        Kind::Text,
        "contains, imports, inherits, calls or uses",
    ),
    real("properties", Kind::Json, "Type-specific attributes (JSON)"),
    derived("line", "INTEGER", Kind::Number, "properties.line"),
    derived(
        "type_only",
        "BOOLEAN",
        Kind::Bool,
        "properties.type_only (absent: false)",
    ),
    derived(
        "source_file",
        "VARCHAR",
        Kind::Text,
        "file_path of the source node",
    ),
    derived(
        "target_file",
        "VARCHAR",
        Kind::Text,
        "file_path of the target node",
    ),
    derived(
        "source_type",
        "VARCHAR",
        Kind::Text,
        "type of the source node",
    ),
    derived(
        "target_type",
        "VARCHAR",
        Kind::Text,
        "type of the target node",
    ),
];

/// The field form naming a value inside `properties`, as listed among the known fields.
pub(crate) const PROPERTY_FIELD: &str = "properties.<key>";

/// The fields of a table, §4.2 order.
pub(crate) fn fields_of(table: Table) -> &'static [FieldDef] {
    if table.is_node_table() {
        &NODE_FIELDS
    } else {
        &EDGE_FIELDS
    }
}

/// `Known fields: id, type, …, properties.<key>` for error messages.
fn known_fields(table: Table) -> String {
    fields_of(table)
        .iter()
        .map(|f| f.name)
        .chain([PROPERTY_FIELD])
        .collect::<Vec<_>>()
        .join(", ")
}

/// The edge types that count for `fan_in` / `fan_out` (the dependency edges).
const DEPENDENCY_TYPES: &str = "('imports', 'calls', 'inherits', 'uses')";

/// `properties.is_method` with the fallback of `muql.md` §4.1 (as the `methods` view does).
const IS_METHOD: &str = "CASE WHEN json_extract_string(t.properties, '$.is_method') IS NOT NULL \
     THEN json_extract_string(t.properties, '$.is_method') = 'true' \
     WHEN t.type = 'function' THEN EXISTS (SELECT 1 FROM edges AS e JOIN nodes AS c ON c.id = e.source_id \
     WHERE e.type = 'contains' AND e.target_id = t.id AND c.type = 'class') \
     ELSE false END";

/// The SQL of a node field over the row alias `t`.
fn node_expr(name: &str) -> String {
    match name {
        "language" => "(SELECT min(json_extract_string(m.properties, '$.language')) FROM nodes AS m \
             WHERE m.type = 'module' AND m.file_path = t.file_path)"
            .to_string(),
        "loc" => "(t.line_end - t.line_start + 1)".to_string(),
        "kind" => format!(
            "CASE t.type WHEN 'class' THEN coalesce(json_extract_string(t.properties, '$.kind'), 'class') \
             WHEN 'function' THEN CASE WHEN {IS_METHOD} THEN 'method' ELSE 'function' END \
             ELSE t.type END"
        ),
        "is_method" => format!("({IS_METHOD})"),
        "is_async" | "is_static" => format!(
            "coalesce(json_extract_string(t.properties, '$.{name}') = 'true', false)"
        ),
        "visibility" => "json_extract_string(t.properties, '$.visibility')".to_string(),
        "decorators" => "CASE WHEN coalesce(json_type(t.properties, '$.decorators'), 'NULL') = 'NULL' \
             THEN '[]'::JSON ELSE json_extract(t.properties, '$.decorators') END"
            .to_string(),
        "parent_id" => "(SELECT min(e.source_id) FROM edges AS e \
             WHERE e.type = 'contains' AND e.target_id = t.id)"
            .to_string(),
        // Only endpoints that exist as nodes count, as in the graph snapshot.
        "fan_in" => format!(
            "(SELECT count(DISTINCT e.source_id) FROM edges AS e JOIN nodes AS o ON o.id = e.source_id \
             WHERE e.target_id = t.id AND e.type IN {DEPENDENCY_TYPES})"
        ),
        "fan_out" => format!(
            "(SELECT count(DISTINCT e.target_id) FROM edges AS e JOIN nodes AS o ON o.id = e.target_id \
             WHERE e.source_id = t.id AND e.type IN {DEPENDENCY_TYPES})"
        ),
        // A real column (validated by the caller).
        _ => format!("t.{name}"),
    }
}

/// Whether `s` is an identifier of `muql.md` §2 (the only text ever spliced as a name).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A compiled value: its SQL and how it compares.
#[derive(Debug, Clone)]
struct Col {
    sql: String,
    kind: Kind,
}

/// Where an operand appears, which decides what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    /// `SELECT … WHERE`: fields only.
    Where,
    /// `FIND … WHERE`: fields only.
    Find,
    /// Select list, `HAVING`, `ORDER BY`: aggregates, and (HAVING, ORDER BY) aliases.
    Output,
}

/// The compilation of one statement: the fields the inner query computes, the bound
/// parameters and the joins the edge fields need.
struct Compiler<'q> {
    table: Table,
    /// (field key, SQL over `t`), the inner column `c{i}` for entry `i`.
    inner: Vec<(String, String)>,
    params: Vec<Value>,
    join_source: bool,
    join_target: bool,
    /// The select list's aliases (lower case) and what they stand for.
    aliases: Vec<(String, &'q Operand)>,
    /// `Some(keys of the GROUP BY fields)` in a grouped or aggregated query: the plain fields the
    /// select list, `HAVING` and `ORDER BY` may name.
    grouping: Option<Vec<String>>,
}

impl<'q> Compiler<'q> {
    fn new(table: Table) -> Compiler<'q> {
        Compiler {
            table,
            inner: Vec::new(),
            params: Vec::new(),
            join_source: false,
            join_target: false,
            aliases: Vec::new(),
            grouping: None,
        }
    }

    /// Bind a value; its placeholder.
    fn param(&mut self, v: Value) -> String {
        self.params.push(v);
        format!("${}", self.params.len())
    }

    /// The placeholder of a literal, typed by the literal (a string stays untyped so that DuckDB
    /// types it from what it is compared with); `NULL` is written as such.
    fn literal(&mut self, lit: &Literal) -> String {
        match lit {
            Literal::String(s) => self.param(Value::Text(s.clone())),
            Literal::Integer(i) => format!("CAST({} AS BIGINT)", self.param(Value::BigInt(*i))),
            Literal::Float(f) => format!("CAST({} AS DOUBLE)", self.param(Value::Double(*f))),
            Literal::Bool(b) => format!("CAST({} AS BOOLEAN)", self.param(Value::Boolean(*b))),
            Literal::Null => "NULL".to_string(),
        }
    }

    fn unknown(&self, f: &Field) -> QueryError {
        QueryError::at(
            format!(
                "Unknown field '{}' at {} (table {}). Known fields: {}",
                f.text,
                f.pos.describe(),
                self.table.name(),
                known_fields(self.table)
            ),
            f.pos,
        )
    }

    /// Validate a field; its key (`name` or `properties.a.b`) and definition (`None` for a
    /// property path).
    fn validate(&self, f: &Field) -> Result<(String, Option<&'static FieldDef>), QueryError> {
        let name = f.name.to_ascii_lowercase();
        if !f.path.is_empty() {
            if name == "properties" && f.path.iter().all(|k| is_identifier(k)) {
                return Ok((format!("properties.{}", f.path.join(".")), None));
            }
            return Err(self.unknown(f));
        }
        fields_of(self.table)
            .iter()
            .find(|d| d.name == name)
            .map(|d| (name.clone(), Some(d)))
            .ok_or_else(|| self.unknown(f))
    }

    /// A field as a column of the inner query.
    fn field(&mut self, f: &Field) -> Result<Col, QueryError> {
        let (key, def) = self.validate(f)?;
        let (expr, kind) = match def {
            // The keys are identifiers (checked above), so the JSON path is safe to splice.
            None => (
                format!("json_extract(t.properties, '$.{}')", f.path.join(".")),
                Kind::Property,
            ),
            Some(d) => (self.field_expr(d.name), d.kind),
        };
        Ok(Col {
            sql: self.inner_column(key, expr),
            kind,
        })
    }

    /// The id column of the inner query.
    fn id(&mut self) -> String {
        self.inner_column("id".to_string(), "t.id".to_string())
    }

    fn inner_column(&mut self, key: String, expr: String) -> String {
        let i = match self.inner.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.inner.push((key, expr));
                self.inner.len() - 1
            }
        };
        format!("q.c{i}")
    }

    fn field_expr(&mut self, name: &str) -> String {
        if self.table.is_node_table() {
            return node_expr(name);
        }
        match name {
            "line" => {
                "TRY_CAST(json_extract_string(t.properties, '$.line') AS INTEGER)".to_string()
            }
            "type_only" => {
                "coalesce(json_extract_string(t.properties, '$.type_only') = 'true', false)"
                    .to_string()
            }
            "source_file" | "source_type" => {
                self.join_source = true;
                format!(
                    "s.{}",
                    if name == "source_file" {
                        "file_path"
                    } else {
                        "type"
                    }
                )
            }
            "target_file" | "target_type" => {
                self.join_target = true;
                format!(
                    "d.{}",
                    if name == "target_file" {
                        "file_path"
                    } else {
                        "type"
                    }
                )
            }
            _ => format!("t.{name}"),
        }
    }

    /// An operand of `clause`.
    fn operand(&mut self, op: &'q Operand, clause: Clause) -> Result<Col, QueryError> {
        match (op, clause) {
            (Operand::Aggregate(a), Clause::Where | Clause::Find) => Err(QueryError::at(
                format!(
                    "Aggregate functions are not allowed in {} ({})",
                    if clause == Clause::Where {
                        "WHERE"
                    } else {
                        "FIND … WHERE"
                    },
                    a.pos.describe()
                ),
                a.pos,
            )),
            (Operand::Field(f), Clause::Where | Clause::Find) => self.field(f),
            (op, Clause::Output) => match self.resolve_alias(op) {
                Operand::Aggregate(a) => self.aggregate(a),
                Operand::Field(f) => {
                    self.check_grouped(f)?;
                    self.field(f)
                }
            },
        }
    }

    /// A field of `HAVING` or `ORDER BY` that names an alias of the select list stands for that
    /// item.
    fn resolve_alias(&self, op: &'q Operand) -> &'q Operand {
        match op {
            Operand::Field(f) if f.path.is_empty() => self
                .aliases
                .iter()
                .find(|(alias, _)| *alias == f.text.to_lowercase())
                .map_or(op, |(_, item)| *item),
            _ => op,
        }
    }

    /// In a grouped or aggregated query, a plain field must be one of the GROUP BY fields.
    fn check_grouped(&self, f: &Field) -> Result<(), QueryError> {
        let Some(groups) = &self.grouping else {
            return Ok(());
        };
        let (key, _) = self.validate(f)?;
        if groups.contains(&key) {
            Ok(())
        } else {
            Err(QueryError::at(
                format!(
                    "Field '{}' at {} must appear in GROUP BY or be used in an aggregate function",
                    f.text,
                    f.pos.describe()
                ),
                f.pos,
            ))
        }
    }

    fn aggregate(&mut self, a: &Aggregate) -> Result<Col, QueryError> {
        let func = a.func.name();
        let Some(arg) = &a.arg else {
            if a.func != AggFn::Count || a.distinct {
                return Err(QueryError::at(
                    format!("Only COUNT(*) may take * ({})", a.pos.describe()),
                    a.pos,
                ));
            }
            return Ok(Col {
                sql: "count(*)".to_string(),
                kind: Kind::Number,
            });
        };
        let col = self.field(arg)?;
        let value = match (col.kind, a.func) {
            (Kind::Property, AggFn::Sum | AggFn::Avg) => {
                format!("TRY_CAST(json_extract_string({}, '$') AS DOUBLE)", col.sql)
            }
            (Kind::Property, _) => format!("json_extract_string({}, '$')", col.sql),
            _ => col.sql,
        };
        let distinct = if a.distinct { "DISTINCT " } else { "" };
        let kind = match (a.func, col.kind) {
            (AggFn::Min | AggFn::Max, Kind::Property) => Kind::Text,
            (AggFn::Min | AggFn::Max, kind) => kind,
            _ => Kind::Number,
        };
        Ok(Col {
            sql: format!("{func}({distinct}{value})"),
            kind,
        })
    }

    fn condition(&mut self, c: &'q Condition, clause: Clause) -> Result<String, QueryError> {
        let join = |me: &mut Self, parts: &'q [Condition], op: &str, empty: &str| {
            if parts.is_empty() {
                return Ok(empty.to_string());
            }
            let sql = parts
                .iter()
                .map(|p| me.condition(p, clause))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", sql.join(op)))
        };
        match c {
            Condition::Or(parts) => join(self, parts, " OR ", "false"),
            Condition::And(parts) => join(self, parts, " AND ", "true"),
            Condition::Not(inner) => Ok(format!("(NOT {})", self.condition(inner, clause)?)),
            Condition::Pred(p) => {
                let x = self.operand(&p.operand, clause)?;
                self.predicate(&x, &p.op)
            }
        }
    }

    fn predicate(&mut self, x: &Col, op: &PredOp) -> Result<String, QueryError> {
        Ok(match op {
            PredOp::Compare(op, lit) => self.compare(x, *op, lit),
            PredOp::In { negated, values } => {
                let parts: Vec<String> = values
                    .iter()
                    .map(|v| self.compare(x, CompOp::Eq, v))
                    .collect();
                let any = if parts.is_empty() {
                    "false".to_string()
                } else {
                    format!("({})", parts.join(" OR "))
                };
                negate(any, *negated)
            }
            PredOp::Like {
                negated,
                case_insensitive,
                pattern,
            } => {
                let text = as_text(x);
                let p = self.param(Value::Text(pattern.clone()));
                format!(
                    "({text} {}{} CAST({p} AS VARCHAR))",
                    if *negated { "NOT " } else { "" },
                    if *case_insensitive { "ILIKE" } else { "LIKE" }
                )
            }
            PredOp::Contains { negated, value } => {
                let p = match contains_text(value) {
                    Some(t) => format!("CAST({} AS VARCHAR)", self.param(Value::Text(t))),
                    None => "CAST(NULL AS VARCHAR)".to_string(),
                };
                let test = match x.kind {
                    Kind::JsonArray => {
                        format!("list_contains(json_extract_string({}, '$[*]'), {p})", x.sql)
                    }
                    Kind::Property => format!(
                        "CASE WHEN json_type({x}) = 'ARRAY' \
                         THEN list_contains(json_extract_string({x}, '$[*]'), {p}) \
                         ELSE contains(json_extract_string({x}, '$'), {p}) END",
                        x = x.sql
                    ),
                    _ => format!("contains({}, {p})", as_text(x)),
                };
                negate(format!("({test})"), *negated)
            }
            PredOp::IsNull { negated } => negate(is_null(x), *negated),
        })
    }

    /// `x op literal`, `= NULL` / `!= NULL` as `IS [NOT] NULL`, `properties.<key>` typed by the
    /// literal (`muql.md` §5).
    fn compare(&mut self, x: &Col, op: CompOp, lit: &Literal) -> String {
        if *lit == Literal::Null {
            return match op {
                CompOp::Eq => is_null(x),
                CompOp::Ne => negate(is_null(x), true),
                _ => format!("({} {} NULL)", x.sql, op.sql()),
            };
        }
        let p = self.literal(lit);
        let left = match (x.kind, lit) {
            (Kind::Property, Literal::String(_)) => format!("json_extract_string({}, '$')", x.sql),
            (Kind::Property, Literal::Integer(_) | Literal::Float(_)) => {
                format!("TRY_CAST(json_extract_string({}, '$') AS DOUBLE)", x.sql)
            }
            (Kind::Property, _) => {
                format!("TRY_CAST(json_extract_string({}, '$') AS BOOLEAN)", x.sql)
            }
            // JSON compared with a string compares its text (no JSON parse of the literal).
            (Kind::Json | Kind::JsonArray, Literal::String(_)) => {
                format!("CAST({} AS VARCHAR)", x.sql)
            }
            _ => x.sql.clone(),
        };
        format!("({left} {} {p})", op.sql())
    }
}

fn negate(sql: String, negated: bool) -> String {
    if negated {
        format!("(NOT {sql})")
    } else {
        sql
    }
}

/// True when the value is NULL; for `properties.<key>` also when the key holds JSON `null`.
fn is_null(x: &Col) -> String {
    if x.kind == Kind::Property {
        format!("(coalesce(json_type({}), 'NULL') = 'NULL')", x.sql)
    } else {
        format!("({} IS NULL)", x.sql)
    }
}

/// The value as text, for LIKE and substring tests.
fn as_text(x: &Col) -> String {
    match x.kind {
        Kind::Text => x.sql.clone(),
        Kind::Property => format!("json_extract_string({}, '$')", x.sql),
        _ => format!("CAST({} AS VARCHAR)", x.sql),
    }
}

/// The text a `CONTAINS` literal is looked for as (`None` for NULL).
fn contains_text(lit: &Literal) -> Option<String> {
    match lit {
        Literal::String(s) => Some(s.clone()),
        Literal::Integer(i) => Some(i.to_string()),
        Literal::Float(f) => Some(f.to_string()),
        Literal::Bool(b) => Some(b.to_string()),
        Literal::Null => None,
    }
}

/// The column name of a select item without `AS` (`muql.md` §5).
fn default_name(op: &Operand) -> String {
    match op {
        Operand::Field(f) => f.column_name(),
        Operand::Aggregate(a) => match &a.arg {
            None => format!("{}_star", a.func.name()),
            Some(f) => format!(
                "{}_{}{}",
                a.func.name(),
                if a.distinct { "distinct_" } else { "" },
                f.column_name().replace('.', "_")
            ),
        },
    }
}

/// Run a MUQL SELECT (muql.md §4, §5, §14): compile to parameterised SQL, execute, name columns.
pub fn run_select(env: &Env, select: &Select) -> Result<Output, QueryError> {
    let table = select.table.value;
    let mut c = Compiler::new(table);
    let id = c.id();

    let limit = limit_value(&select.limit)?;
    let offset = match &select.offset {
        Some(o) if o.value < 0 => {
            return Err(QueryError::at(
                format!("OFFSET must not be negative ({})", o.pos.describe()),
                o.pos,
            ))
        }
        Some(o) => Some(o.value),
        None => None,
    };

    if let SelectList::Items(items) = &select.items {
        c.aliases = items
            .iter()
            .filter_map(|i| Some((i.alias.as_ref()?.to_lowercase(), &i.expr)))
            .collect();
    }
    let aggregated = !select.group_by.is_empty()
        || select.having.is_some()
        || match &select.items {
            SelectList::Star => false,
            SelectList::Items(items) => items
                .iter()
                .any(|i| matches!(i.expr, Operand::Aggregate(_))),
        }
        || select
            .order_by
            .iter()
            .any(|k| matches!(c.resolve_alias(&k.expr), Operand::Aggregate(_)));

    if aggregated {
        let keys = select
            .group_by
            .iter()
            .map(|f| c.validate(f).map(|(key, _)| key))
            .collect::<Result<Vec<_>, _>>()?;
        c.grouping = Some(keys);
    }

    let mut columns = Vec::new();
    let mut items = Vec::new();
    match &select.items {
        SelectList::Star => {
            if aggregated {
                return Err(QueryError::at(
                    format!(
                        "SELECT * cannot be used with GROUP BY, HAVING or aggregate functions ({})",
                        select.table.pos.describe()
                    ),
                    select.table.pos,
                ));
            }
            for def in fields_of(table).iter().filter(|d| !d.derived) {
                let sql = c.inner_column(def.name.to_string(), format!("t.{}", def.name));
                columns.push(def.name.to_string());
                items.push(sql);
            }
        }
        SelectList::Items(list) => {
            for item in list {
                let col = match &item.expr {
                    Operand::Aggregate(a) => c.aggregate(a)?,
                    Operand::Field(f) => {
                        c.check_grouped(f)?;
                        c.field(f)?
                    }
                };
                columns.push(
                    item.alias
                        .clone()
                        .unwrap_or_else(|| default_name(&item.expr)),
                );
                items.push(col.sql);
            }
        }
    }
    // WHERE sees fields only.
    let filter = match &select.filter {
        Some(cond) => Some(c.condition(cond, Clause::Where)?),
        None => None,
    };
    let groups = select
        .group_by
        .iter()
        .map(|f| c.field(f).map(|col| col.sql))
        .collect::<Result<Vec<_>, _>>()?;
    let having = match &select.having {
        Some(cond) => Some(c.condition(cond, Clause::Output)?),
        None => None,
    };
    let mut order = Vec::new();
    for key in &select.order_by {
        let col = c.operand(&key.expr, Clause::Output)?;
        let dir = if key.descending { "DESC" } else { "ASC" };
        order.push(format!("{} {dir} NULLS LAST", col.sql));
    }
    // The tie-breaker (§5): id for ungrouped queries, the GROUP BY fields for grouped ones.
    if !aggregated {
        order.push(format!("{id} ASC"));
    } else {
        order.extend(groups.iter().map(|g| format!("{g} ASC NULLS LAST")));
    }

    let mut sql = format!(
        "SELECT {} FROM ({}) AS q",
        items.join(", "),
        c.inner_query(None)
    );
    if let Some(w) = filter {
        sql.push_str(&format!(" WHERE {w}"));
    }
    if !groups.is_empty() {
        sql.push_str(&format!(" GROUP BY {}", groups.join(", ")));
    }
    if let Some(h) = having {
        sql.push_str(&format!(" HAVING {h}"));
    }
    if !order.is_empty() {
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    if let Some(n) = limit {
        sql.push_str(&format!(" LIMIT {n}"));
    }
    if let Some(n) = offset {
        sql.push_str(&format!(" OFFSET {n}"));
    }
    let outcome = run_generated(env.conn, &sql, &c.params, env.limits, env.started);
    let (rows, warnings) = rows_of(outcome)?;
    Ok(Output {
        columns,
        rows,
        warnings,
        message: None,
    })
}

impl Compiler<'_> {
    /// `SELECT <inner columns> FROM <table> AS t [joins] [WHERE t.id IN <ids>]`.
    fn inner_query(&self, restrict: Option<&str>) -> String {
        let cols: Vec<String> = self
            .inner
            .iter()
            .enumerate()
            .map(|(i, (_, expr))| format!("{expr} AS c{i}"))
            .collect();
        let mut sql = format!("SELECT {} FROM {} AS t", cols.join(", "), self.table.name());
        if self.join_source {
            sql.push_str(" LEFT JOIN nodes AS s ON s.id = t.source_id");
        }
        if self.join_target {
            sql.push_str(" LEFT JOIN nodes AS d ON d.id = t.target_id");
        }
        if let Some(r) = restrict {
            sql.push_str(&format!(" WHERE {r}"));
        }
        sql
    }
}

/// The rows and warnings of a statement, or its error.
fn rows_of(outcome: SqlOutcome) -> Result<(Vec<Vec<Json>>, Vec<String>), QueryError> {
    if let Some(error) = outcome.error {
        return Err(QueryError::new(error));
    }
    Ok((outcome.rows, outcome.warning.into_iter().collect()))
}

/// The ids among `ids` (node ids) whose node is in `table` and satisfies `cond` (FIND … WHERE, §8).
pub fn filter_nodes(
    env: &Env,
    table: Table,
    cond: &Condition,
    ids: &[&str],
) -> Result<HashSet<String>, QueryError> {
    if !table.is_node_table() {
        return Err(QueryError::new(format!(
            "FIND works on node tables, not {}",
            table.name()
        )));
    }
    let mut c = Compiler::new(table);
    let id = c.id();
    let filter = c.condition(cond, Clause::Find)?;
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    // The whole id list is one bound parameter: a JSON array of strings.
    let list = serde_json::to_string(ids).map_err(|e| QueryError::new(e.to_string()))?;
    let p = c.param(Value::Text(list));
    let restrict =
        format!("t.id IN (SELECT unnest(json_extract_string(CAST({p} AS JSON), '$[*]')))");
    let sql = format!(
        "SELECT {id} FROM ({}) AS q WHERE {filter}",
        c.inner_query(Some(&restrict))
    );
    // At most one row per id: never truncated.
    let limits = SqlLimits {
        timeout: env.limits.timeout,
        max_rows: ids.len(),
    };
    let outcome = run_generated(env.conn, &sql, &c.params, &limits, env.started);
    let (rows, _) = rows_of(outcome)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next()?.as_str().map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests;
