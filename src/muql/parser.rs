//! The MUQL parser (`muql.md` §3, §13): recursive descent over on-demand tokens.
//!
//! Error messages name the position and what was expected there: every keyword or symbol the
//! parser tried at the furthest position it reached is collected, so the message lists exactly
//! the continuations the grammar allows (`expected one of WHERE, GROUP, ORDER, LIMIT, end of
//! query; found 'WHER'`). A few places give a more specific hint (a missing `FROM`, an unknown
//! table, a misspelt statement keyword, MU-Py's unsupported history keywords).

use super::ast::*;
use super::lexer::{Lexer, Token, TokenKind};
use crate::index::model::EdgeType;

/// Why a text is not MUQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The whole message, `Syntax error at line 1, column 8: …`, or the one-statement message.
    pub message: String,
    pub pos: Pos,
    pub kind: SyntaxErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// Not MUQL at this position.
    Syntax,
    /// An unknown table with a close match among the MUQL tables (`funcs` → `functions`): worth
    /// telling even if the text is also valid SQL.
    UnknownTable,
    /// More than one statement (`muql.md` §1).
    SeveralStatements,
}

/// Parse one MUQL statement (with an optional trailing `;`).
pub fn parse(text: &str) -> Result<Statement, SyntaxError> {
    let lexer = Lexer::new(text);
    let mut p = Parser {
        lx: &lexer,
        at: 0,
        furthest: 0,
        expected: Vec::new(),
    };
    let statement = p.statement()?;
    if p.accept_symbol_silent(";") {
        let rest = p.peek();
        if rest.kind != TokenKind::End {
            return Err(SyntaxError {
                message: crate::store::sql::ONE_STATEMENT.to_string(),
                pos: lexer.pos(rest.start),
                kind: SyntaxErrorKind::SeveralStatements,
            });
        }
    }
    p.expect_end()?;
    Ok(statement)
}

/// The first word of a text after whitespace and comments, if it starts with one.
pub fn first_word(text: &str) -> Option<String> {
    let lexer = Lexer::new(text);
    let t = lexer.token_at(0);
    (t.kind == TokenKind::Word).then_some(t.text)
}

type R<T> = Result<T, SyntaxError>;
/// An optional `DEPTH n` and an optional `VIA t, …`.
type DepthVia = (Option<Spanned<i64>>, Option<Spanned<Vec<EdgeType>>>);

const TABLES: [(&str, Table); 10] = [
    ("functions", Table::Functions),
    ("classes", Table::Classes),
    ("modules", Table::Modules),
    ("methods", Table::Methods),
    ("nodes", Table::Nodes),
    ("edges", Table::Edges),
    ("fn", Table::Functions),
    ("cls", Table::Classes),
    ("mod", Table::Modules),
    ("meth", Table::Methods),
];

const SHOW_KINDS: [(&str, ShowKind); 10] = [
    ("DEPENDENCIES", ShowKind::Dependencies),
    ("DEPENDENTS", ShowKind::Dependents),
    ("CALLERS", ShowKind::Callers),
    ("CALLEES", ShowKind::Callees),
    ("INHERITANCE", ShowKind::Inheritance),
    ("IMPLEMENTATIONS", ShowKind::Implementations),
    ("CHILDREN", ShowKind::Children),
    ("PARENTS", ShowKind::Parents),
    ("IMPACT", ShowKind::Impact),
    ("ANCESTORS", ShowKind::Ancestors),
];

const TERSE_GRAPH: [(&str, ShowKind); 8] = [
    ("deps", ShowKind::Dependencies),
    ("rdeps", ShowKind::Dependents),
    ("callers", ShowKind::Callers),
    ("callees", ShowKind::Callees),
    ("impact", ShowKind::Impact),
    ("ancestors", ShowKind::Ancestors),
    ("children", ShowKind::Children),
    ("parents", ShowKind::Parents),
];

const ANALYSES: [(&str, Analysis); 7] = [
    ("COUPLING", Analysis::Coupling),
    ("COHESION", Analysis::Cohesion),
    ("COMPLEXITY", Analysis::Complexity),
    ("HOTSPOTS", Analysis::Hotspots),
    ("CIRCULAR", Analysis::Circular),
    ("UNUSED", Analysis::Unused),
    ("IMPACT", Analysis::Impact),
];

const AGGREGATES: [(&str, AggFn); 5] = [
    ("COUNT", AggFn::Count),
    ("SUM", AggFn::Sum),
    ("AVG", AggFn::Avg),
    ("MIN", AggFn::Min),
    ("MAX", AggFn::Max),
];

/// Words that start a statement, for the message when none does.
const STATEMENT_WORDS: [&str; 6] = ["SELECT", "SHOW", "DESCRIBE", "FIND", "PATH", "ANALYZE"];
const TERSE_WORDS: [&str; 14] = [
    "deps",
    "rdeps",
    "callers",
    "callees",
    "impact",
    "ancestors",
    "children",
    "parents",
    "fn",
    "cls",
    "mod",
    "meth",
    "cycles",
    "path",
];

/// MU-Py statements and clauses that mu-daemon does not support (`muql.md` §16).
const UNSUPPORTED: [&str; 5] = ["HISTORY", "BLAME", "AT", "BETWEEN", "MUTATING"];

fn edge_type(word: &str) -> Option<EdgeType> {
    EdgeType::ALL
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(word))
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

struct Parser<'a> {
    lx: &'a Lexer,
    /// Character offset where the next token is looked for.
    at: usize,
    /// The start of the furthest token at which something was expected, and what was.
    furthest: usize,
    expected: Vec<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.lx.token_at(self.at)
    }

    fn peek2(&self) -> Token {
        self.lx.token_at(self.peek().end)
    }

    fn pos_of(&self, t: &Token) -> Pos {
        self.lx.pos(t.start)
    }

    /// Record that `what` was expected at token `t`.
    fn expect(&mut self, t: &Token, what: &str) {
        if t.start > self.furthest {
            self.furthest = t.start;
            self.expected.clear();
        }
        if t.start == self.furthest && !self.expected.iter().any(|e| e == what) {
            self.expected.push(what.to_string());
        }
    }

    fn accept_word(&mut self, keyword: &str) -> bool {
        let t = self.peek();
        if t.is_word(keyword) {
            self.at = t.end;
            true
        } else {
            self.expect(&t, &keyword.to_ascii_uppercase());
            false
        }
    }

    /// Accept a keyword without listing it among the expectations.
    fn accept_word_silent(&mut self, keyword: &str) -> bool {
        let t = self.peek();
        if t.is_word(keyword) {
            self.at = t.end;
            true
        } else {
            false
        }
    }

    fn accept_symbol(&mut self, symbol: &str) -> bool {
        let t = self.peek();
        if t.is_symbol(symbol) {
            self.at = t.end;
            true
        } else {
            self.expect(&t, &format!("'{symbol}'"));
            false
        }
    }

    fn accept_symbol_silent(&mut self, symbol: &str) -> bool {
        let t = self.peek();
        if t.is_symbol(symbol) {
            self.at = t.end;
            true
        } else {
            false
        }
    }

    fn require_word(&mut self, keyword: &str) -> R<()> {
        if self.accept_word(keyword) {
            Ok(())
        } else {
            Err(self.fail())
        }
    }

    fn require_symbol(&mut self, symbol: &str) -> R<()> {
        if self.accept_symbol(symbol) {
            Ok(())
        } else {
            Err(self.fail())
        }
    }

    fn expect_end(&mut self) -> R<()> {
        let t = self.peek();
        if t.kind == TokenKind::End {
            Ok(())
        } else {
            self.expect(&t, "end of query");
            Err(self.fail())
        }
    }

    /// `Syntax error at line L, column C: <message>`.
    fn error_at(&self, start: usize, message: String, kind: SyntaxErrorKind) -> SyntaxError {
        let pos = self.lx.pos(start);
        SyntaxError {
            message: format!("Syntax error at {}: {message}", pos.describe()),
            pos,
            kind,
        }
    }

    /// The error at the furthest position reached, listing what was expected there.
    fn fail(&self) -> SyntaxError {
        let found = self.lx.token_at(self.furthest);
        let expected = match self.expected.as_slice() {
            [] => "expected something else".to_string(),
            [one] => format!("expected {one}"),
            many => format!("expected one of {}", many.join(", ")),
        };
        let mut message = if found.kind == TokenKind::Invalid {
            if found.text == "unterminated string" {
                "unterminated string (close it with the quote it starts with)".to_string()
            } else {
                format!(
                    "{expected}; found unexpected character {}",
                    found.describe()
                )
            }
        } else {
            format!("{expected}; found {}", found.describe())
        };
        if found.kind == TokenKind::Word {
            if let Some(k) = UNSUPPORTED
                .iter()
                .find(|k| found.text.eq_ignore_ascii_case(k))
            {
                message.push_str(&format!(
                    " (MU's {k} queries are not supported by mu-daemon)"
                ));
            }
        }
        self.error_at(found.start, message, SyntaxErrorKind::Syntax)
    }

    // ---- statements ----

    fn statement(&mut self) -> R<Statement> {
        let t = self.peek();
        if t.kind == TokenKind::Word {
            let w = t.text.to_ascii_lowercase();
            let start = t.end;
            let advance = |p: &mut Self| p.at = start;
            match w.as_str() {
                "select" => {
                    advance(self);
                    return self.select().map(Statement::Select);
                }
                "show" => {
                    advance(self);
                    return self.show();
                }
                "describe" => {
                    advance(self);
                    return self.describe();
                }
                "find" => {
                    advance(self);
                    return self.find();
                }
                "path" => {
                    advance(self);
                    return self.path();
                }
                "analyze" => {
                    advance(self);
                    return self.analyze().map(Statement::Analyze);
                }
                "cycles" => {
                    advance(self);
                    return self.terse_cycles();
                }
                _ => {}
            }
            if let Some((_, kind)) = TERSE_GRAPH.iter().find(|(k, _)| *k == w) {
                advance(self);
                return self.terse_graph(*kind);
            }
            if let Some((_, table)) = TABLES[6..].iter().find(|(k, _)| *k == w) {
                let table = Spanned {
                    value: *table,
                    pos: self.pos_of(&t),
                };
                advance(self);
                return self.terse_select(table).map(Statement::Select);
            }
        }
        Err(self.statement_error(&t))
    }

    fn statement_error(&self, t: &Token) -> SyntaxError {
        let mut message = format!(
            "expected a statement ({}) or a terse form ({}); found {}",
            STATEMENT_WORDS.join(", "),
            TERSE_WORDS.join(", "),
            t.describe()
        );
        if t.kind == TokenKind::Word {
            if let Some(k) = UNSUPPORTED.iter().find(|k| t.text.eq_ignore_ascii_case(k)) {
                message.push_str(&format!(
                    " (MU's {k} queries are not supported by mu-daemon)"
                ));
            } else if let Some(k) = STATEMENT_WORDS
                .iter()
                .find(|k| t.text.len() >= 3 && edit_distance(&t.text.to_ascii_uppercase(), k) <= 2)
            {
                message.push_str(&format!(" — did you mean {k}?"));
            }
        }
        if t.kind == TokenKind::Invalid && t.text == "unterminated string" {
            message = "unterminated string (close it with the quote it starts with)".to_string();
        }
        self.error_at(t.start, message, SyntaxErrorKind::Syntax)
    }

    // ---- SELECT ----

    fn select(&mut self) -> R<Select> {
        let items = if self.accept_symbol("*") {
            SelectList::Star
        } else {
            let t = self.peek();
            if t.is_word("FROM") {
                return Err(self.error_at(
                    t.start,
                    "expected a field list (or *) after SELECT; found 'FROM'".to_string(),
                    SyntaxErrorKind::Syntax,
                ));
            }
            let mut items = vec![self.select_item()?];
            while self.accept_symbol(",") {
                items.push(self.select_item()?);
            }
            SelectList::Items(items)
        };
        let t = self.peek();
        if !t.is_word("FROM") {
            return Err(self.error_at(
                t.start,
                format!("expected FROM after field list; found {}", t.describe()),
                SyntaxErrorKind::Syntax,
            ));
        }
        self.at = t.end;
        let table = self.table()?;
        let mut select = Select {
            items,
            table,
            filter: None,
            group_by: Vec::new(),
            having: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        };
        if self.accept_word("WHERE") {
            select.filter = Some(self.condition()?);
        }
        if self.accept_word("GROUP") {
            self.require_word("BY")?;
            select.group_by.push(self.field()?);
            while self.accept_symbol(",") {
                select.group_by.push(self.field()?);
            }
            if self.accept_word("HAVING") {
                select.having = Some(self.condition()?);
            }
        } else if self.accept_word_silent("HAVING") {
            select.having = Some(self.condition()?);
        }
        if self.accept_word("ORDER") {
            self.require_word("BY")?;
            select.order_by.push(self.order_key()?);
            while self.accept_symbol(",") {
                select.order_by.push(self.order_key()?);
            }
        }
        if self.accept_word("LIMIT") {
            select.limit = Some(self.integer()?);
            if self.accept_word("OFFSET") {
                select.offset = Some(self.integer()?);
            }
        }
        Ok(select)
    }

    fn select_item(&mut self) -> R<SelectItem> {
        let expr = self.operand()?;
        let alias = if self.accept_word("AS") {
            Some(self.identifier("an alias")?.text)
        } else {
            None
        };
        Ok(SelectItem { expr, alias })
    }

    fn order_key(&mut self) -> R<OrderKey> {
        let expr = self.operand()?;
        let descending = if self.accept_word("DESC") {
            true
        } else {
            self.accept_word("ASC");
            false
        };
        Ok(OrderKey { expr, descending })
    }

    fn identifier(&mut self, what: &str) -> R<Token> {
        let t = self.peek();
        if t.kind == TokenKind::Word {
            self.at = t.end;
            Ok(t)
        } else {
            self.expect(&t, what);
            Err(self.fail())
        }
    }

    fn table(&mut self) -> R<Spanned<Table>> {
        let t = self.peek();
        if t.kind == TokenKind::Word {
            let w = t.text.to_ascii_lowercase();
            if let Some((_, table)) = TABLES.iter().find(|(k, _)| *k == w) {
                self.at = t.end;
                return Ok(Spanned {
                    value: *table,
                    pos: self.pos_of(&t),
                });
            }
            let names: Vec<&str> = TABLES[..6].iter().map(|(k, _)| *k).collect();
            let close = names.iter().find(|k| {
                edit_distance(&w, k) <= 2
                    || (w.len() >= 4 && k.starts_with(&w[..4]))
                    || (w.len() >= 3 && k.starts_with(w.as_str()))
            });
            return Err(match close {
                Some(k) => self.error_at(
                    t.start,
                    format!("unknown table '{}' — did you mean '{k}'?", t.text),
                    SyntaxErrorKind::UnknownTable,
                ),
                None if w == "metadata" => self.error_at(
                    t.start,
                    "the metadata table is readable in SQL mode only (a SELECT with a join, \
                     alias or expression); MUQL tables: functions, classes, modules, methods, \
                     nodes, edges"
                        .to_string(),
                    SyntaxErrorKind::Syntax,
                ),
                None => self.error_at(
                    t.start,
                    format!(
                        "unknown table '{}'; MUQL tables: {}",
                        t.text,
                        names.join(", ")
                    ),
                    SyntaxErrorKind::Syntax,
                ),
            });
        }
        self.expect(&t, "a table");
        Err(self.fail())
    }

    fn field(&mut self) -> R<Field> {
        let t = self.peek();
        if t.kind != TokenKind::Word {
            self.expect(&t, "a field");
            return Err(self.fail());
        }
        self.at = t.end;
        let pos = self.pos_of(&t);
        let mut field = Field {
            name: t.text.to_ascii_lowercase(),
            path: Vec::new(),
            text: t.text.clone(),
            pos,
        };
        if field.name == "properties" && self.peek().is_symbol(".") {
            while self.accept_symbol_silent(".") {
                let key = self.identifier("a property name")?;
                field.text.push('.');
                field.text.push_str(&key.text);
                field.path.push(key.text);
            }
        }
        Ok(field)
    }

    fn operand(&mut self) -> R<Operand> {
        let t = self.peek();
        if t.kind == TokenKind::Word && self.peek2().is_symbol("(") {
            if let Some((_, func)) = AGGREGATES
                .iter()
                .find(|(k, _)| t.text.eq_ignore_ascii_case(k))
            {
                self.at = self.peek2().end;
                let pos = self.pos_of(&t);
                let (distinct, arg) = if *func == AggFn::Count && self.accept_symbol("*") {
                    (false, None)
                } else {
                    let distinct = self.accept_word("DISTINCT");
                    (distinct, Some(self.field()?))
                };
                self.require_symbol(")")?;
                return Ok(Operand::Aggregate(Aggregate {
                    func: *func,
                    distinct,
                    arg,
                    pos,
                }));
            }
        }
        self.field().map(Operand::Field)
    }

    // ---- conditions ----

    fn condition(&mut self) -> R<Condition> {
        let mut parts = vec![self.and_condition()?];
        while self.accept_word("OR") {
            parts.push(self.and_condition()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::Or(parts)
        })
    }

    fn and_condition(&mut self) -> R<Condition> {
        let mut parts = vec![self.not_condition()?];
        while self.accept_word("AND") {
            parts.push(self.not_condition()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::And(parts)
        })
    }

    fn not_condition(&mut self) -> R<Condition> {
        if self.accept_word("NOT") {
            return Ok(Condition::Not(Box::new(self.not_condition()?)));
        }
        if self.accept_symbol("(") {
            let c = self.condition()?;
            self.require_symbol(")")?;
            return Ok(c);
        }
        self.predicate().map(Condition::Pred)
    }

    fn predicate(&mut self) -> R<Predicate> {
        let start = self.peek();
        let pos = self.pos_of(&start);
        let operand = self.operand()?;
        let t = self.peek();
        if t.kind == TokenKind::Symbol {
            let op = match t.text.as_str() {
                "=" => Some(CompOp::Eq),
                "!=" | "<>" => Some(CompOp::Ne),
                "<" => Some(CompOp::Lt),
                "<=" => Some(CompOp::Le),
                ">" => Some(CompOp::Gt),
                ">=" => Some(CompOp::Ge),
                _ => None,
            };
            if let Some(op) = op {
                self.at = t.end;
                let value = self.literal()?;
                return Ok(Predicate {
                    operand,
                    op: PredOp::Compare(op, value),
                    pos,
                });
            }
        }
        for op in ["=", "!=", "<>", "<", "<=", ">", ">="] {
            self.expect(&t, &format!("'{op}'"));
        }
        if self.accept_word("IS") {
            let negated = self.accept_word("NOT");
            self.require_word("NULL")?;
            return Ok(Predicate {
                operand,
                op: PredOp::IsNull { negated },
                pos,
            });
        }
        let negated = self.accept_word("NOT");
        let op = if self.accept_word("IN") {
            self.require_symbol("(")?;
            let mut values = vec![self.literal()?];
            while self.accept_symbol(",") {
                values.push(self.literal()?);
            }
            self.require_symbol(")")?;
            PredOp::In { negated, values }
        } else if self.accept_word("LIKE") {
            PredOp::Like {
                negated,
                case_insensitive: false,
                pattern: self.string()?,
            }
        } else if self.accept_word("ILIKE") {
            PredOp::Like {
                negated,
                case_insensitive: true,
                pattern: self.string()?,
            }
        } else if self.accept_word("CONTAINS") {
            PredOp::Contains {
                negated,
                value: self.literal()?,
            }
        } else {
            return Err(self.fail());
        };
        Ok(Predicate { operand, op, pos })
    }

    fn literal(&mut self) -> R<Literal> {
        let t = self.peek();
        match t.kind {
            TokenKind::Str => {
                self.at = t.end;
                Ok(Literal::String(t.text))
            }
            TokenKind::Number => {
                self.at = t.end;
                self.number(&t)
            }
            TokenKind::Word if t.is_word("TRUE") || t.is_word("FALSE") => {
                self.at = t.end;
                Ok(Literal::Bool(t.is_word("TRUE")))
            }
            TokenKind::Word if t.is_word("NULL") => {
                self.at = t.end;
                Ok(Literal::Null)
            }
            _ => {
                self.expect(&t, "a value (string, number, TRUE, FALSE or NULL)");
                Err(self.fail())
            }
        }
    }

    fn number(&self, t: &Token) -> R<Literal> {
        if t.text.contains('.') {
            match t.text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Literal::Float(f)),
                _ => Err(self.out_of_range(t)),
            }
        } else {
            t.text
                .parse::<i64>()
                .map(Literal::Integer)
                .map_err(|_| self.out_of_range(t))
        }
    }

    fn out_of_range(&self, t: &Token) -> SyntaxError {
        self.error_at(
            t.start,
            format!("number {} is out of range", t.text),
            SyntaxErrorKind::Syntax,
        )
    }

    fn string(&mut self) -> R<String> {
        let t = self.peek();
        if t.kind == TokenKind::Str {
            self.at = t.end;
            Ok(t.text)
        } else {
            self.expect(&t, "a string");
            Err(self.fail())
        }
    }

    fn integer(&mut self) -> R<Spanned<i64>> {
        let t = self.peek();
        if t.kind == TokenKind::Number && !t.text.contains('.') {
            self.at = t.end;
            let value = t.text.parse::<i64>().map_err(|_| self.out_of_range(&t))?;
            return Ok(Spanned {
                value,
                pos: self.pos_of(&t),
            });
        }
        self.expect(&t, "an integer");
        Err(self.fail())
    }

    // ---- graph forms ----

    fn reference(&mut self) -> R<NodeRef> {
        match self.lx.reference_at(self.at) {
            Some(t) => {
                self.at = t.end;
                Ok(NodeRef {
                    text: t.text.clone(),
                    pos: self.pos_of(&t),
                })
            }
            None => {
                let t = self.peek();
                self.expect(&t, "a node reference");
                Err(self.fail())
            }
        }
    }

    /// `[MAX] DEPTH n`, if present.
    fn depth(&mut self) -> R<Option<Spanned<i64>>> {
        let t = self.peek();
        if t.is_word("MAX") {
            self.at = t.end;
            self.require_word("DEPTH")?;
            return self.integer().map(Some);
        }
        if self.accept_word("DEPTH") {
            return self.integer().map(Some);
        }
        self.expect(&t, "MAX DEPTH");
        Ok(None)
    }

    /// `VIA t, …`, if present.
    fn via(&mut self) -> R<Option<Spanned<Vec<EdgeType>>>> {
        let t = self.peek();
        if !self.accept_word("VIA") {
            return Ok(None);
        }
        let mut types = vec![self.edge_type_word()?];
        while self.accept_symbol(",") {
            types.push(self.edge_type_word()?);
        }
        Ok(Some(Spanned {
            value: types,
            pos: self.pos_of(&t),
        }))
    }

    fn edge_type_word(&mut self) -> R<EdgeType> {
        let t = self.peek();
        if t.kind == TokenKind::Word {
            if let Some(ty) = edge_type(&t.text) {
                self.at = t.end;
                return Ok(ty);
            }
            return Err(self.unknown_edge_type(&t));
        }
        self.expect(&t, "an edge type");
        Err(self.fail())
    }

    fn unknown_edge_type(&self, t: &Token) -> SyntaxError {
        self.error_at(
            t.start,
            format!(
                "unknown edge type '{}'; edge types: imports, calls, inherits, uses, contains",
                t.text
            ),
            SyntaxErrorKind::Syntax,
        )
    }

    /// Depth and via in either order, each at most once.
    fn depth_and_via(&mut self) -> R<DepthVia> {
        let mut depth = self.depth()?;
        let via = self.via()?;
        if depth.is_none() && via.is_some() {
            depth = self.depth()?;
        }
        Ok((depth, via))
    }

    fn show(&mut self) -> R<Statement> {
        if self.accept_word("TABLES") {
            return Ok(Statement::ShowTables);
        }
        if self.accept_word("COLUMNS") {
            self.require_word("FROM")?;
            return self.table().map(Statement::ShowColumns);
        }
        let t = self.peek();
        let Some((_, kind)) = SHOW_KINDS.iter().find(|(k, _)| t.is_word(k)) else {
            for (k, _) in SHOW_KINDS {
                self.expect(&t, k);
            }
            return Err(self.fail());
        };
        self.at = t.end;
        self.require_word("OF")?;
        let target = self.reference()?;
        let (depth, via) = self.depth_and_via()?;
        Ok(Statement::Show(Show {
            kind: *kind,
            target,
            depth,
            via,
        }))
    }

    fn describe(&mut self) -> R<Statement> {
        if self.accept_word("TABLES") {
            return Ok(Statement::ShowTables);
        }
        if self.accept_word("COLUMNS") {
            self.require_word("FROM")?;
        }
        self.table().map(Statement::ShowColumns)
    }

    fn find(&mut self) -> R<Statement> {
        if self.accept_word("CYCLES") {
            let mut types = Vec::new();
            if self.accept_word("WHERE") {
                self.require_word("EDGE_TYPE")?;
                if self.accept_symbol("=") {
                    types.push(self.edge_type_string()?);
                } else if self.accept_word("IN") {
                    self.require_symbol("(")?;
                    types.push(self.edge_type_string()?);
                    while self.accept_symbol(",") {
                        types.push(self.edge_type_string()?);
                    }
                    self.require_symbol(")")?;
                } else {
                    return Err(self.fail());
                }
            }
            return Ok(Statement::FindCycles(types));
        }
        let table = self.table()?;
        if table.value == Table::Edges {
            return Err(SyntaxError {
                message: format!(
                    "Syntax error at {}: FIND searches nodes: functions, classes, modules, \
                     methods or nodes, not edges",
                    table.pos.describe()
                ),
                pos: table.pos,
                kind: SyntaxErrorKind::Syntax,
            });
        }
        let cond = self.find_condition()?;
        let depth = self.depth()?;
        let filter = if self.accept_word("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        let limit = if self.accept_word("LIMIT") {
            Some(self.integer()?)
        } else {
            None
        };
        Ok(Statement::Find(Find {
            table,
            cond,
            depth,
            filter,
            limit,
        }))
    }

    fn edge_type_string(&mut self) -> R<EdgeType> {
        let t = self.peek();
        if t.kind == TokenKind::Str {
            self.at = t.end;
            return edge_type(&t.text).ok_or_else(|| self.unknown_edge_type(&t));
        }
        self.expect(&t, "an edge type string ('imports')");
        Err(self.fail())
    }

    fn find_condition(&mut self) -> R<FindCond> {
        if self.accept_word("CALLING") {
            return self.reference().map(FindCond::Calling);
        }
        if self.accept_word("CALLED") {
            self.require_word("BY")?;
            return self.reference().map(FindCond::CalledBy);
        }
        if self.accept_word("IMPORTING") {
            return self.reference().map(FindCond::Importing);
        }
        if self.accept_word("IMPORTED") {
            self.require_word("BY")?;
            return self.reference().map(FindCond::ImportedBy);
        }
        if self.accept_word("INHERITING") {
            return self.reference().map(FindCond::Inheriting);
        }
        if self.accept_word("IMPLEMENTING") {
            return self.reference().map(FindCond::Implementing);
        }
        if self.accept_word("WITH") {
            if !self.accept_word("DECORATOR") && !self.accept_word("ANNOTATION") {
                return Err(self.fail());
            }
            return self.string().map(FindCond::WithDecorator);
        }
        if self.accept_word("MATCHING") {
            return self.string().map(FindCond::Matching);
        }
        if self.accept_word("SIMILAR") {
            self.require_word("TO")?;
            return self.reference().map(FindCond::SimilarTo);
        }
        Err(self.fail())
    }

    fn path(&mut self) -> R<Statement> {
        if !self.accept_word_silent("FROM") {
            return self.terse_path();
        }
        let from = self.reference()?;
        self.require_word("TO")?;
        let to = self.reference()?;
        let (max_depth, via) = self.depth_and_via()?;
        Ok(Statement::Path(PathQuery {
            from,
            to,
            max_depth,
            via,
        }))
    }

    fn analyze(&mut self) -> R<Analyze> {
        let t = self.peek();
        let Some((_, analysis)) = ANALYSES.iter().find(|(k, _)| t.is_word(k)) else {
            for (k, _) in ANALYSES {
                self.expect(&t, k);
            }
            return Err(self.fail());
        };
        self.at = t.end;
        let scope = if self.accept_word("FOR") {
            Some(self.reference()?)
        } else {
            None
        };
        let limit = if self.accept_word("LIMIT") {
            Some(self.integer()?)
        } else {
            None
        };
        Ok(Analyze {
            analysis: *analysis,
            scope,
            limit,
        })
    }

    // ---- terse forms (§13) ----

    /// A terse depth `dN`, if present.
    fn terse_depth(&mut self) -> R<Option<Spanned<i64>>> {
        let t = self.peek();
        let digits = t
            .text
            .strip_prefix('d')
            .or_else(|| t.text.strip_prefix('D'));
        match digits {
            Some(d)
                if t.kind == TokenKind::Word
                    && !d.is_empty()
                    && d.chars().all(|c| c.is_ascii_digit()) =>
            {
                self.at = t.end;
                let value = d.parse::<i64>().map_err(|_| self.out_of_range(&t))?;
                Ok(Some(Spanned {
                    value,
                    pos: self.pos_of(&t),
                }))
            }
            _ => {
                self.expect(&t, "a depth (d2)");
                Ok(None)
            }
        }
    }

    fn terse_graph(&mut self, kind: ShowKind) -> R<Statement> {
        let target = self.reference()?;
        let depth = self.terse_depth()?;
        Ok(Statement::Show(Show {
            kind,
            target,
            depth,
            via: None,
        }))
    }

    fn terse_cycles(&mut self) -> R<Statement> {
        let mut types = Vec::new();
        let t = self.peek();
        if t.kind == TokenKind::Word {
            types.push(self.edge_type_word()?);
            while self.accept_symbol(",") {
                types.push(self.edge_type_word()?);
            }
        } else {
            self.expect(&t, "an edge type");
        }
        Ok(Statement::FindCycles(types))
    }

    fn terse_path(&mut self) -> R<Statement> {
        let from = self.reference()?;
        let to = self.reference()?;
        let max_depth = self.terse_depth()?;
        Ok(Statement::Path(PathQuery {
            from,
            to,
            max_depth,
            via: None,
        }))
    }

    fn terse_select(&mut self, table: Spanned<Table>) -> R<Select> {
        let mut select = Select {
            items: SelectList::Star,
            table,
            filter: None,
            group_by: Vec::new(),
            having: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
        };
        if self.terse_prim_starts() {
            select.filter = Some(self.terse_or()?);
        }
        if self.accept_word("sort") {
            select.order_by.push(self.terse_key()?);
            while self.accept_symbol(",") {
                select.order_by.push(self.terse_key()?);
            }
        }
        let t = self.peek();
        if t.is_word("limit") || t.is_word("lim") {
            self.at = t.end;
            select.limit = Some(self.integer()?);
        } else if t.kind == TokenKind::Number {
            select.limit = Some(self.integer()?);
        } else {
            self.expect(&t, "LIMIT");
            self.expect(&t, "an integer");
        }
        Ok(select)
    }

    /// Whether a terse condition starts here: `(` or a word other than the clause keywords.
    fn terse_prim_starts(&mut self) -> bool {
        let t = self.peek();
        let starts = t.is_symbol("(")
            || (t.kind == TokenKind::Word
                && !["sort", "limit", "lim", "or", "and"]
                    .iter()
                    .any(|k| t.text.eq_ignore_ascii_case(k)));
        if !starts {
            self.expect(&t, "a condition (c>10, n~'%auth%')");
            self.expect(&t, "SORT");
        }
        starts
    }

    fn terse_or(&mut self) -> R<Condition> {
        let mut parts = vec![self.terse_and()?];
        while self.accept_word("OR") {
            parts.push(self.terse_and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::Or(parts)
        })
    }

    fn terse_and(&mut self) -> R<Condition> {
        let mut parts = vec![self.terse_prim()?];
        loop {
            if self.accept_word("AND") || self.terse_prim_starts() {
                parts.push(self.terse_prim()?);
            } else {
                break;
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::And(parts)
        })
    }

    fn terse_prim(&mut self) -> R<Condition> {
        if self.accept_symbol("(") {
            let c = self.terse_or()?;
            self.require_symbol(")")?;
            return Ok(c);
        }
        let start = self.peek();
        let pos = self.pos_of(&start);
        let field = self.terse_field()?;
        let t = self.peek();
        let op = match (t.kind, t.text.as_str()) {
            (TokenKind::Symbol, "=") => Some(CompOp::Eq),
            (TokenKind::Symbol, "!=" | "<>") => Some(CompOp::Ne),
            (TokenKind::Symbol, "<") => Some(CompOp::Lt),
            (TokenKind::Symbol, "<=") => Some(CompOp::Le),
            (TokenKind::Symbol, ">") => Some(CompOp::Gt),
            (TokenKind::Symbol, ">=") => Some(CompOp::Ge),
            _ => None,
        };
        let like = t.is_symbol("~");
        if op.is_none() && !like {
            for s in ["=", "!=", "<", "<=", ">", ">=", "~"] {
                self.expect(&t, &format!("'{s}'"));
            }
            return Err(self.fail());
        }
        self.at = t.end;
        let value = self.terse_value()?;
        let operand = Operand::Field(field);
        if like {
            let pattern = match value {
                Literal::String(s) => s,
                Literal::Integer(i) => i.to_string(),
                Literal::Float(f) => f.to_string(),
                _ => {
                    return Err(self.error_at(
                        t.end,
                        "'~' needs a pattern ('%auth%')".to_string(),
                        SyntaxErrorKind::Syntax,
                    ))
                }
            };
            return Ok(Condition::Pred(Predicate {
                operand,
                op: PredOp::Like {
                    negated: false,
                    case_insensitive: false,
                    pattern,
                },
                pos,
            }));
        }
        Ok(Condition::Pred(Predicate {
            operand,
            op: PredOp::Compare(op.unwrap_or(CompOp::Eq), value),
            pos,
        }))
    }

    /// `c`, `n`, `fp`, `qn` or any field.
    fn terse_field(&mut self) -> R<Field> {
        let mut f = self.field()?;
        let full = match f.name.as_str() {
            "c" if f.path.is_empty() => "complexity",
            "n" if f.path.is_empty() => "name",
            "fp" if f.path.is_empty() => "file_path",
            "qn" if f.path.is_empty() => "qualified_name",
            _ => return Ok(f),
        };
        f.name = full.to_string();
        f.text = full.to_string();
        Ok(f)
    }

    /// A literal, or a bare word standing for a string.
    fn terse_value(&mut self) -> R<Literal> {
        let t = self.peek();
        match t.kind {
            TokenKind::Str | TokenKind::Number => self.literal(),
            TokenKind::Word if ["TRUE", "FALSE", "NULL"].iter().any(|k| t.is_word(k)) => {
                self.literal()
            }
            _ => match self.lx.reference_at(self.at) {
                Some(word) => {
                    self.at = word.end;
                    Ok(Literal::String(word.text))
                }
                None => {
                    self.expect(&t, "a value");
                    Err(self.fail())
                }
            },
        }
    }

    fn terse_key(&mut self) -> R<OrderKey> {
        let field = self.terse_field()?;
        let descending = if self.accept_symbol("-") || self.accept_word("DESC") {
            true
        } else {
            let _ = self.accept_symbol("+") || self.accept_word("ASC");
            false
        };
        Ok(OrderKey {
            expr: Operand::Field(field),
            descending,
        })
    }
}

#[cfg(test)]
mod tests;
