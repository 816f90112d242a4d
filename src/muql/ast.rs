//! The syntax tree of MUQL (`muql.md` §3). The parser produces it (terse forms, §13, are
//! desugared into their verbose equivalents there); the planner compiles a [`Select`] and the
//! filters of `FIND … WHERE` to SQL, the executor runs the graph forms on the graph snapshot.

use crate::index::model::EdgeType;

/// A place in the query text: 1-based line and column and a 0-based offset, all counted in
/// Unicode scalar values (`muql.md` §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
}

impl Pos {
    /// `line 1, column 8`, as error messages quote it.
    pub fn describe(&self) -> String {
        format!("line {}, column {}", self.line, self.column)
    }
}

/// A value with the position where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

/// One parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Select),
    /// `SHOW TABLES`, `DESCRIBE TABLES`.
    ShowTables,
    /// `SHOW COLUMNS FROM t`, `DESCRIBE COLUMNS FROM t`, `DESCRIBE t`.
    ShowColumns(Spanned<Table>),
    Show(Show),
    Find(Find),
    /// `FIND CYCLES [WHERE edge_type …]`, terse `cycles [t, …]`: the edge types to use, empty
    /// for the default (`imports`).
    FindCycles(Vec<EdgeType>),
    Path(PathQuery),
    Analyze(Analyze),
}

/// A virtual table (`muql.md` §4.1). The aliases `fn`, `cls`, `mod`, `meth` parse to the
/// table they stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Nodes,
    Functions,
    Classes,
    Modules,
    Methods,
    Edges,
}

impl Table {
    /// The table's name as the user sees it in messages.
    pub fn name(self) -> &'static str {
        match self {
            Table::Nodes => "nodes",
            Table::Functions => "functions",
            Table::Classes => "classes",
            Table::Modules => "modules",
            Table::Methods => "methods",
            Table::Edges => "edges",
        }
    }

    /// Every table but `edges` holds nodes.
    pub fn is_node_table(self) -> bool {
        self != Table::Edges
    }
}

/// `SELECT …` (and the terse select, `fn c>50 sort c- 10`).
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub items: SelectList,
    pub table: Spanned<Table>,
    pub filter: Option<Condition>,
    pub group_by: Vec<Field>,
    pub having: Option<Condition>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<Spanned<i64>>,
    pub offset: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectList {
    /// `*`: the real columns of the table, in table order.
    Star,
    Items(Vec<SelectItem>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    pub expr: Operand,
    /// `AS alias`, as written.
    pub alias: Option<String>,
}

/// A field (`name`, `fan_in`, `properties.return_type`) or, in `ORDER BY` and `HAVING`, possibly
/// an alias of the select list: the planner decides which.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The identifier in lower case (`properties` for a property path).
    pub name: String,
    /// For `properties.a.b`: the keys after `properties`, as written (JSON keys are
    /// case-sensitive). Empty for a plain field.
    pub path: Vec<String>,
    /// The field as written (`Properties.Return_Type`).
    pub text: String,
    pub pos: Pos,
}

impl Field {
    /// The column name of an unaliased field: as written, in lower case (`muql.md` §5).
    pub fn column_name(&self) -> String {
        self.text.to_lowercase()
    }
}

/// Something a predicate, a select item or an order key is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(Field),
    Aggregate(Aggregate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFn {
    pub fn name(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
            AggFn::Min => "min",
            AggFn::Max => "max",
        }
    }
}

/// `COUNT(*)`, `COUNT(DISTINCT f)`, `AVG(f)`, …
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggFn,
    pub distinct: bool,
    /// `None` for `*` (only with `COUNT`).
    pub arg: Option<Field>,
    pub pos: Pos,
}

/// A boolean condition (`WHERE`, `HAVING`, `FIND … WHERE`). `NOT` binds tighter than `AND`,
/// `AND` tighter than `OR`; parentheses are kept as nesting.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Or(Vec<Condition>),
    And(Vec<Condition>),
    Not(Box<Condition>),
    Pred(Predicate),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    pub operand: Operand,
    pub op: PredOp,
    /// Where the predicate starts (its operand).
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PredOp {
    /// `= != <> < <= > >=` with a literal. `= NULL` / `!= NULL` are kept as written; the planner
    /// treats them as `IS [NOT] NULL` (`muql.md` §5).
    Compare(CompOp, Literal),
    /// `[NOT] IN (literal, …)`.
    In { negated: bool, values: Vec<Literal> },
    /// `[NOT] LIKE 'p'` / `[NOT] ILIKE 'p'`, the pattern as typed (`~` in terse forms is LIKE).
    Like {
        negated: bool,
        case_insensitive: bool,
        pattern: String,
    },
    /// `[NOT] CONTAINS literal`.
    Contains { negated: bool, value: Literal },
    /// `IS [NOT] NULL`.
    IsNull { negated: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompOp {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            CompOp::Eq => "=",
            CompOp::Ne => "<>",
            CompOp::Lt => "<",
            CompOp::Le => "<=",
            CompOp::Gt => ">",
            CompOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub expr: Operand,
    pub descending: bool,
}

/// A node reference (`muql.md` §6): a quoted string or a bare reference word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRef {
    pub text: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowKind {
    Dependencies,
    Dependents,
    Callers,
    Callees,
    Inheritance,
    Implementations,
    Children,
    Parents,
    Impact,
    Ancestors,
}

/// `SHOW <kind> OF <ref> [DEPTH n] [VIA t, …]` and the terse graph forms.
#[derive(Debug, Clone, PartialEq)]
pub struct Show {
    pub kind: ShowKind,
    pub target: NodeRef,
    /// `DEPTH n` / `MAX DEPTH n` / terse `dN`, unchecked (the executor requires 1 ≤ n and caps
    /// at 20).
    pub depth: Option<Spanned<i64>>,
    /// `VIA t, …`, positioned at the `VIA` keyword. Allowed only with DEPENDENCIES, DEPENDENTS,
    /// IMPACT and ANCESTORS: the executor reports the others.
    pub via: Option<Spanned<Vec<EdgeType>>>,
}

/// `FIND <table> <condition> [DEPTH n] [WHERE …] [LIMIT n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    /// A node table (never `Edges`).
    pub table: Spanned<Table>,
    pub cond: FindCond,
    pub depth: Option<Spanned<i64>>,
    pub filter: Option<Condition>,
    pub limit: Option<Spanned<i64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FindCond {
    Calling(NodeRef),
    CalledBy(NodeRef),
    Importing(NodeRef),
    ImportedBy(NodeRef),
    Inheriting(NodeRef),
    Implementing(NodeRef),
    /// `WITH DECORATOR 's'` or `WITH ANNOTATION 's'` (the same search).
    WithDecorator(String),
    Matching(String),
    SimilarTo(NodeRef),
}

/// `PATH FROM a TO b [MAX DEPTH n] [VIA t, …]`, terse `path a b [dN]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PathQuery {
    pub from: NodeRef,
    pub to: NodeRef,
    pub max_depth: Option<Spanned<i64>>,
    pub via: Option<Spanned<Vec<EdgeType>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Analysis {
    Coupling,
    Cohesion,
    Complexity,
    Hotspots,
    Circular,
    Unused,
    Impact,
}

/// `ANALYZE <analysis> [FOR scope] [LIMIT n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Analyze {
    pub analysis: Analysis,
    pub scope: Option<NodeRef>,
    pub limit: Option<Spanned<i64>>,
}
