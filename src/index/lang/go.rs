//! Go extractor: a tree-sitter-go syntax tree in, [`FileFacts`] out (`indexer.md` §5–§7, §8.4,
//! §13.4; `mubase.md` §7.2, §7.3).
//!
//! The tree is walked once, iteratively (a [`tree_sitter::TreeCursor`] plus explicit stacks of
//! scopes, ancestors and preceding comments), so 10,000 nested blocks or expressions cannot
//! overflow the stack. The only sub-walks are bounded ones over a declaration's direct children
//! (parameters, struct fields, interface elements) and explicit-stack walks of type expressions.
//!
//! Definitions (`indexer.md` §5.2):
//! * `type_spec` with a `struct_type` → class of kind `Struct`; with an `interface_type` →
//!   `Interface`, whose `method_elem`s are bodiless methods (`I.M`, parent = the interface);
//!   any other `type_spec` → `Class`. `type_alias` and `func_literal` are never definitions;
//!   `method_elem`s of anonymous interface types are not either.
//! * `function_declaration` → function. Types declared inside a function body are its children
//!   (`f.T`, `f.I.M`); function literals are transparent.
//! * `method_declaration` `func (s *Store) Get()` → `name` `Get`, `qname` `Store.Get`,
//!   `parent: None`, `attach: Some("Store")` (pointer, parentheses and type arguments removed:
//!   `*List[T]` → `List`), `function.receiver = Some("*Store")` (the receiver type as written,
//!   whitespace-normalised), `is_method: true`. An unreadable receiver type gives `attach: None`
//!   and `qname` = the bare name.
//! * `line_start` of a type in an unparenthesised `type T …` declaration is the `type` keyword's
//!   line; in a `type ( … )` group it is the spec's own line. Classes have `has_body: true`;
//!   functions without a body (assembly stubs) and `method_elem`s have `has_body: false` and
//!   complexity 0.
//! * Visibility: `public` when the name's first character is upper-case, else `private` (every
//!   def). Decorators are always empty.
//! * Docstrings: the contiguous `//` lines immediately preceding (no blank line; a comment that
//!   trails code on its line is not part of it); `//` and one following space are removed, and
//!   directive lines (`//go:noinline`, `//nolint:x`, `//line `, `//export `, `//extern `) are
//!   dropped as `go/doc` does. In a `type ( … )` group the spec's own comment is used; for an
//!   unparenthesised `type T …` the comment above `type`. The package clause's doc comment is
//!   the module docstring (`FileFacts::docstring`).
//! * Struct fields: named fields → `attributes` and `field_types` (`X, Y int` gives both names);
//!   embedded fields (`Base`, `*Base`, `model.Base`, `G[T]`) → `bases` with `Embeds`, text with
//!   `*` and type arguments removed, qualification kept, line = the field's line. Interfaces:
//!   a `type_elem` consisting of exactly one named type (`fmt.Stringer`, `Base[T]`, `error`) →
//!   base `Embeds`; unions, `~T` terms and the non-interface predeclared types (`int`, `string`,
//!   …) are type-set constraints, not bases.
//!
//! Parameters (`mubase.md` §7.3.1): `a, b int` gives two parameters of type `int`; `args
//! ...string` gives `{name: "args", type: "string", variadic: true}` (the `...` is the flag, per
//! the Go spec the type is `string`); unnamed parameters (`func(int) error`) have `name: ""`.
//! `return_type` is the result as written, whitespace-normalised (`(model.Item, error)`,
//! `*Store`, `(n int, err error)`). The receiver is not a parameter.
//!
//! Calls (`CallSite`, line = the line of the called name):
//! * `f(…)` → `Bare("f")`, also conversions `T(x)` and builtins (`len`, `new`, `make`; the
//!   resolver filters builtins). Generic calls parsed as conversions (`Map[int](xs)`,
//!   `pkg.F[int](x)`) → `Bare("Map")` / `Member{Ident("pkg"), "F"}`; conversions to unnamed types
//!   (`[]byte(s)`), calls through an index expression (`fns[i](x)`, `s.Gen[int]()`), through a
//!   call result (`f()()`) or of a function literal record nothing.
//! * `r.f()` where `r` is the receiver variable of the enclosing method (also inside function
//!   literals in it) → `SelfMember("f")`; `r.x.f()` → `Member{SelfField("x"), "f"}`;
//!   `r.x.y.f()` → `Member{Other, "f"}`.
//! * `x.f()` → `Member{Ident("x"), "f"}` (packages included: `errors.New` → `Ident("errors")`);
//!   `a.b.f()` → `Member{Path(["a","b"]), "f"}`.
//! * Receivers whose type is written in the expression → `NewOf(T)` (type text with `*` and type
//!   arguments removed, qualification kept): composite literals `T{}.f()`, `(&pkg.T{}).f()`;
//!   type assertions `x.(*T).f()`; conversions or calls with an identifier / dotted callee
//!   `T(x).f()`, `pkg.New().f()` (→ `NewOf("pkg.New")`: the resolver decides whether it names a
//!   type, as for Python `C().f()`) unless the callee's first identifier is the receiver
//!   variable or a local of the function (`x.Where().f()` → `Other`). Anything else → `Other`.
//! * Composite literals are not calls; `Callee::New` and `SuperMember` are never produced.
//!
//! Type references (`TypeRef`): every `type_identifier` / `qualified_type` (as `pkg.T`) of
//! parameter and result types (functions, methods, interface methods, function literals — the
//! latter owned by the enclosing definition), of named struct field types (owner = the struct),
//! and of `var`/`const` declarations with an explicit type (owner = the enclosing definition,
//! `None` at package level). Generic arguments are included. Skipped: the predeclared types
//! (`bool string int* uint* float* complex* byte rune error any uintptr comparable`), the type
//! parameters in scope (of the function, of a generic receiver `List[T]`, of a generic type for
//! its fields and interface methods), receiver types (the receiver's type always contains the
//! method), embedded fields and embedded interfaces (they are bases), type-parameter constraints
//! and the underlying type of a non-struct, non-interface `type_spec`.
//!
//! Local typing (`Def::locals`, on function defs; `indexer.md` §7), in source order:
//! * the named receiver and each named parameter → `Declared(type)` (variadic `args ...T` →
//!   `Declared("[]T")`); named results → `Declared(type)`; parameters of function literals are
//!   locals of the enclosing function (declared types too);
//! * `var x T [= …]` / `const x T = …` → `Declared("T")`;
//! * `x := T{…}`, `x := &T{…}`, `var x = T{…}`, `x := new(T)` → `Ctor("T")` (pairwise for
//!   `a, b := T{}, U{}`; `T` without type arguments, qualification kept);
//! * every other declaration of a name (`:=` from anything else, `var x = f()`, `range` with
//!   `:=`, `switch v := x.(type)`, `case v := <-ch`) → `Unknown`;
//! * only the first declaration of a name is recorded as such; a later one adds one `Unknown`
//!   entry (once). Plain assignments (`x = …`, `x += …`, `x++`, `range` with `=`) add nothing:
//!   in Go they cannot change a variable's static type. The blank identifier `_` is never a local.
//!
//! **The resolver must treat a name with more than one entry, or with an `Unknown` entry, as of
//! unknown type**; a single `Ctor` or `Declared` entry is the name's type (pointer markers as
//! written: `*Store`).
//!
//! Other facts: `package` = the package clause name; one `Import` per `import_spec` (`kind: Go`,
//! `specifier` = the path without its quotes, escapes not decoded, `alias` = `m` / `_` / `.`
//! when written, `names` empty, line = the spec's line); `qualified_refs` = every selector
//! expression and qualified type `X.Name` whose `X` is a plain identifier, anywhere in the file,
//! sorted and de-duplicated; `top_level_names` = package-level `var` and `const` names and type
//! alias names (not `_`), in source order, de-duplicated — the top-level names that are not
//! definitions (`indexer.md` §8.4 "each file declaring a top-level name").

use std::collections::HashSet;

use tree_sitter::{Node, Tree};

use super::common::{
    clean_docstring, first_named, line_end, line_start, named_children, normalize_ws, text,
};
use crate::index::facts::{
    Base, CallSite, Callee, ClassInfo, ClassKind, Def, DefIdx, DefKind, FileFacts, FunctionInfo,
    Import, ImportKind, LocalTy, LocalType, Param, Receiver, Relation, TypeRef,
};

/// Predeclared type names: never type references.
const PREDECLARED: &[&str] = &[
    "any",
    "bool",
    "byte",
    "comparable",
    "complex128",
    "complex64",
    "error",
    "float32",
    "float64",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "rune",
    "string",
    "uint",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "uintptr",
];

/// Predeclared types that are interfaces: an interface may embed them.
const PREDECLARED_INTERFACES: &[&str] = &["any", "comparable", "error"];

/// Extract the facts of one Go file. `parse_errors` is left at 0 (the caller fills it in).
pub fn extract(tree: &Tree, src: &[u8]) -> FileFacts {
    let mut ex = Extractor {
        src,
        facts: FileFacts::default(),
        frames: Vec::new(),
        anc: Vec::new(),
        run: Run::default(),
        runs: Vec::new(),
        decl: None,
        qrefs: Vec::new(),
        top_names: HashSet::new(),
    };
    ex.walk(tree.root_node());
    ex.finish()
}

/// An open definition scope.
struct Frame {
    /// The scope ends when the walk leaves the node with this id (the definition node).
    end_id: usize,
    idx: usize,
    is_class: bool,
    /// Interface definitions: the id of their `interface_type` (its `method_elem`s are defs).
    iface_id: Option<usize>,
    /// Methods: the receiver variable (the self-like receiver).
    self_name: Option<String>,
    /// Type parameters declared by this definition (and by a generic receiver).
    tparams: Vec<String>,
}

/// The comments seen among the siblings of the current level since the last other sibling.
#[derive(Default)]
struct Run<'t> {
    comments: Vec<Node<'t>>,
    /// Row where the last non-comment sibling ends (to recognise trailing comments).
    prev_row: Option<usize>,
}

/// A `type T …` declaration without parentheses: its doc comment and first line serve its spec.
struct TypeDecl {
    id: usize,
    doc: Option<String>,
    line: u32,
}

struct Extractor<'s, 't> {
    src: &'s [u8],
    facts: FileFacts,
    frames: Vec<Frame>,
    /// Ancestors of the current node, root first.
    anc: Vec<Node<'t>>,
    /// Comment run of the current level, and those of the ancestors' levels.
    run: Run<'t>,
    runs: Vec<Run<'t>>,
    decl: Option<TypeDecl>,
    qrefs: Vec<(String, String)>,
    top_names: HashSet<String>,
}

// ---------------------------------------------------------------------------------------------
// Small node helpers (bounds-checked: never index out of range).

fn field_nodes<'t>(n: Node<'t>, field: &'static str) -> Vec<Node<'t>> {
    let mut cursor = n.walk();
    let v = n.children_by_field_name(field, &mut cursor).collect();
    v
}

/// Whether the node has an anonymous child token of this kind (`:=`, `(`).
fn has_token(n: Node, kind: &str) -> bool {
    let mut cursor = n.walk();
    let found = n
        .children(&mut cursor)
        .any(|c| !c.is_named() && c.kind() == kind);
    found
}

/// 0-based row where a sibling ends, for comment adjacency. Tokens count by their start.
fn end_row(n: Node) -> usize {
    if !n.is_named() {
        return n.start_position().row;
    }
    let end = n.end_position();
    if end.column == 0 && end.row > n.start_position().row {
        end.row - 1
    } else {
        end.row
    }
}

fn visibility(name: &str) -> Option<String> {
    let public = name.chars().next().is_some_and(char::is_uppercase);
    Some(if public { "public" } else { "private" }.to_string())
}

fn is_predeclared(name: &str) -> bool {
    PREDECLARED.contains(&name)
}

/// `pkg.Name` of a `qualified_type` (built from its parts, no whitespace).
fn qualified_text(n: Node, src: &[u8]) -> Option<String> {
    let pkg = n.child_by_field_name("package")?;
    let name = n.child_by_field_name("name")?;
    let (pkg, name) = (text(pkg, src), text(name, src));
    if pkg.is_empty() || name.is_empty() {
        return None;
    }
    Some(format!("{pkg}.{name}"))
}

/// The named type a type expression denotes, pointer markers, parentheses and type arguments
/// removed (`*model.Base` → `model.Base`, `List[T]` → `List`); `None` for unnamed types
/// (`[]T`, `map[K]V`, `struct{…}`, …).
fn named_type_text(mut n: Node, src: &[u8]) -> Option<String> {
    for _ in 0..64 {
        match n.kind() {
            "type_identifier" | "identifier" => {
                let t = text(n, src);
                return if t.is_empty() {
                    None
                } else {
                    Some(t.into_owned())
                };
            }
            "qualified_type" => return qualified_text(n, src),
            "generic_type" => n = n.child_by_field_name("type")?,
            "pointer_type" | "parenthesized_type" => n = first_named(n)?,
            _ => return None,
        }
    }
    None
}

/// Type arguments of a generic receiver type (`*List[K, V]` → `K`, `V`): they declare type
/// parameters of the method.
fn receiver_tparams(mut n: Node, src: &[u8]) -> Vec<String> {
    for _ in 0..64 {
        match n.kind() {
            "pointer_type" | "parenthesized_type" => match first_named(n) {
                Some(c) => n = c,
                None => break,
            },
            "generic_type" => {
                let mut out = Vec::new();
                if let Some(args) = n.child_by_field_name("type_arguments") {
                    for elem in named_children(args) {
                        let t = if elem.kind() == "type_elem" {
                            first_named(elem)
                        } else {
                            Some(elem)
                        };
                        if let Some(t) = t.filter(|t| t.kind() == "type_identifier") {
                            out.push(text(t, src).into_owned());
                        }
                    }
                }
                return out;
            }
            _ => break,
        }
    }
    Vec::new()
}

/// Names declared by a `type_parameter_list` field of a declaration.
fn type_param_names(n: Node, src: &[u8]) -> Vec<String> {
    let Some(list) = n.child_by_field_name("type_parameters") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for decl in named_children(list) {
        for name in field_nodes(decl, "name") {
            out.push(text(name, src).into_owned());
        }
    }
    out
}

/// Strip `(…)` around an expression.
fn unparen(mut n: Node) -> Node {
    for _ in 0..64 {
        if n.kind() != "parenthesized_expression" {
            break;
        }
        match first_named(n) {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

/// `&x` → `x` (and parentheses around either).
fn strip_address<'t>(n: Node<'t>, src: &[u8]) -> Node<'t> {
    let n = unparen(n);
    if n.kind() == "unary_expression"
        && n.child_by_field_name("operator")
            .is_some_and(|o| text(o, src) == "&")
    {
        if let Some(op) = n.child_by_field_name("operand") {
            return unparen(op);
        }
    }
    n
}

/// The class text a value expression is known to construct: `T{…}`, `&T{…}`, `new(T)`.
fn ctor_text(value: Node, src: &[u8]) -> Option<String> {
    let v = strip_address(value, src);
    match v.kind() {
        "composite_literal" => named_type_text(v.child_by_field_name("type")?, src),
        "call_expression" => {
            let f = v.child_by_field_name("function")?;
            if f.kind() != "identifier" || text(f, src) != "new" {
                return None;
            }
            let args = named_children(v.child_by_field_name("arguments")?);
            match args.as_slice() {
                [arg] => type_expr_name(*arg, src),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A named type written in expression position (`new(T)` / `new(pkg.T)` arguments).
fn type_expr_name(n: Node, src: &[u8]) -> Option<String> {
    match n.kind() {
        "selector_expression" => {
            let op = n.child_by_field_name("operand")?;
            let field = n.child_by_field_name("field")?;
            if op.kind() != "identifier" {
                return None;
            }
            Some(format!("{}.{}", text(op, src), text(field, src)))
        }
        _ => named_type_text(n, src),
    }
}

/// Identifiers of a dotted selector chain (`a.b.c` → `[a, b, c]`), `None` if the chain does not
/// start with a plain identifier.
fn selector_chain(mut n: Node, src: &[u8]) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    // Iterative: a chain may be arbitrarily long.
    loop {
        match n.kind() {
            "identifier" => {
                parts.push(text(n, src).into_owned());
                parts.reverse();
                return Some(parts);
            }
            "selector_expression" => {
                let field = n.child_by_field_name("field")?;
                parts.push(text(field, src).into_owned());
                n = n.child_by_field_name("operand")?;
            }
            _ => return None,
        }
    }
}

/// `go/ast` `isDirective`, applied to a `//` comment's text without the `//`.
fn is_directive(c: &str) -> bool {
    if c.starts_with("line ") || c.starts_with("extern ") || c.starts_with("export ") {
        return true;
    }
    let b = c.as_bytes();
    let Some(colon) = c.find(':') else {
        return false;
    };
    if colon == 0 || colon + 1 >= b.len() {
        return false;
    }
    (0..=colon + 1).filter(|&i| i != colon).all(|i| {
        b.get(i)
            .is_some_and(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
    })
}

// ---------------------------------------------------------------------------------------------

impl<'s, 't> Extractor<'s, 't> {
    fn walk(&mut self, root: Node<'t>) {
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            let descend = node.is_named() && self.enter(node);
            if descend && cursor.goto_first_child() {
                self.anc.push(node);
                let run = std::mem::take(&mut self.run);
                self.runs.push(run);
                continue;
            }
            loop {
                let node = cursor.node();
                self.leave(node);
                self.pass(node);
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                self.anc.pop();
                self.run = self.runs.pop().unwrap_or_default();
            }
        }
    }

    /// The walk moves past `node` to its next sibling: update the comment run.
    fn pass(&mut self, node: Node<'t>) {
        if node.kind() == "comment" {
            self.run.comments.push(node);
        } else {
            self.run.comments.clear();
            self.run.prev_row = Some(end_row(node));
        }
    }

    fn leave(&mut self, node: Node<'t>) {
        if self.frames.last().is_some_and(|f| f.end_id == node.id()) {
            self.frames.pop();
        }
    }

    fn finish(mut self) -> FileFacts {
        self.qrefs.sort();
        self.qrefs.dedup();
        self.facts.qualified_refs = self.qrefs;
        self.facts
    }

    /// Handle a named node on the way down; returns whether to descend into it.
    fn enter(&mut self, node: Node<'t>) -> bool {
        match node.kind() {
            "comment" => return false,
            "package_clause" if self.facts.package.is_none() => {
                let name = named_children(node)
                    .into_iter()
                    .find(|c| c.kind() == "package_identifier")
                    .map(|c| text(c, self.src).into_owned())
                    .filter(|n| !n.is_empty());
                if name.is_some() {
                    self.facts.package = name;
                    self.facts.docstring = self.doc_before(node.start_position().row);
                }
            }
            "import_spec" => {
                self.on_import(node);
                return false;
            }
            "function_declaration" | "method_declaration" => self.enter_function(node),
            "type_declaration" => {
                self.decl = if has_token(node, "(") {
                    None
                } else {
                    Some(TypeDecl {
                        id: node.id(),
                        doc: self.doc_before(node.start_position().row),
                        line: line_start(node),
                    })
                };
            }
            "type_spec" => self.enter_type(node),
            "type_alias" if self.is_top_level() => {
                if let Some(n) = node.child_by_field_name("name") {
                    let name = text(n, self.src).into_owned();
                    self.add_top_name(name);
                }
            }
            "method_elem" => self.enter_method_elem(node),
            "var_spec" | "const_spec" => self.on_var_spec(node),
            "short_var_declaration" => self.on_short_var(node),
            "range_clause" | "receive_statement" if has_token(node, ":=") => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.declare_unknown(left);
                }
            }
            "type_switch_statement" => {
                if let Some(alias) = node.child_by_field_name("alias") {
                    self.declare_unknown(alias);
                }
            }
            "func_literal" => self.on_func_literal(node),
            "call_expression" => self.on_call(node),
            "type_conversion_expression" => self.on_conversion(node),
            "selector_expression" => {
                if let (Some(op), Some(field)) = (
                    node.child_by_field_name("operand"),
                    node.child_by_field_name("field"),
                ) {
                    if op.kind() == "identifier" {
                        self.qref(op, field);
                    }
                }
            }
            "qualified_type" => {
                if let (Some(pkg), Some(name)) = (
                    node.child_by_field_name("package"),
                    node.child_by_field_name("name"),
                ) {
                    self.qref(pkg, name);
                }
            }
            "if_statement" | "for_statement" | "expression_case" | "type_case"
            | "communication_case" => self.bump(),
            "binary_expression"
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "&&" | "||")) =>
            {
                self.bump()
            }
            _ => {}
        }
        true
    }

    // --- scopes ------------------------------------------------------------------------------

    /// Nearest enclosing definition (owner of calls and type references, parent of new defs).
    fn owner(&self) -> Option<usize> {
        self.frames.last().map(|f| f.idx)
    }

    /// The nearest enclosing definition when it is a function (receiver of locals).
    fn fn_idx(&self) -> Option<usize> {
        self.frames.last().filter(|f| !f.is_class).map(|f| f.idx)
    }

    /// One decision point for the nearest enclosing function with a body.
    fn bump(&mut self) {
        let Some(f) = self.frames.last() else {
            return;
        };
        if f.is_class {
            return;
        }
        if let Some(d) = self.facts.defs.get_mut(f.idx) {
            if d.has_body {
                d.complexity += 1;
            }
        }
    }

    /// Whether `n` is the receiver variable of the enclosing method.
    fn is_self(&self, n: Node) -> bool {
        if n.kind() != "identifier" {
            return false;
        }
        match self.self_name() {
            Some(s) => text(n, self.src) == s,
            None => false,
        }
    }

    /// The receiver variable of the enclosing method (function literals are transparent).
    fn self_name(&self) -> Option<&str> {
        self.frames
            .iter()
            .rev()
            .find(|f| !f.is_class)
            .and_then(|f| f.self_name.as_deref())
    }

    /// Whether `name` is the receiver variable or a local of the enclosing function.
    fn is_variable(&self, name: &str) -> bool {
        if self.self_name() == Some(name) {
            return true;
        }
        self.fn_idx()
            .and_then(|i| self.facts.defs.get(i))
            .is_some_and(|d| d.locals.iter().any(|l| l.name == name))
    }

    fn is_tparam(&self, name: &str, extra: &[String]) -> bool {
        extra.iter().any(|t| t == name)
            || self
                .frames
                .iter()
                .any(|f| f.tparams.iter().any(|t| t == name))
    }

    /// Whether the current node's declaration is at package level (its ancestors up to the
    /// source file are only declaration wrappers).
    fn is_top_level(&self) -> bool {
        for a in self.anc.iter().rev() {
            match a.kind() {
                "var_declaration" | "var_spec_list" | "const_declaration" | "type_declaration" => {}
                "source_file" => return true,
                _ => return false,
            }
        }
        false
    }

    fn qname_for(&self, parent: Option<usize>, name: &str) -> String {
        match parent.and_then(|p| self.facts.defs.get(p)) {
            Some(p) => format!("{}.{}", p.qname, name),
            None => name.to_string(),
        }
    }

    fn add_top_name(&mut self, name: String) {
        if name.is_empty() || name == "_" || self.top_names.contains(&name) {
            return;
        }
        self.top_names.insert(name.clone());
        self.facts.top_level_names.push(name);
    }

    fn qref(&mut self, x: Node, name: Node) {
        let (x, name) = (text(x, self.src), text(name, self.src));
        if !x.is_empty() && !name.is_empty() {
            self.qrefs.push((x.into_owned(), name.into_owned()));
        }
    }

    // --- docstrings --------------------------------------------------------------------------

    /// The doc comment of a node starting at 0-based `row`: the contiguous `//` lines of the
    /// current comment run that end on the row before it.
    fn doc_before(&self, row: usize) -> Option<String> {
        let comments = &self.run.comments;
        let mut expect = row;
        let mut first = comments.len();
        for (i, c) in comments.iter().enumerate().rev() {
            let (sr, er) = (c.start_position().row, c.end_position().row);
            if sr != er || er + 1 != expect || self.run.prev_row == Some(sr) {
                break;
            }
            if i > 0
                && comments
                    .get(i - 1)
                    .is_some_and(|p| p.end_position().row == sr)
            {
                break;
            }
            if !text(*c, self.src).starts_with("//") {
                break;
            }
            first = i;
            expect = sr;
        }
        let mut raw = String::new();
        let mut any = false;
        for c in comments.get(first..).unwrap_or(&[]) {
            let t = text(*c, self.src);
            let body = t.get(2..).unwrap_or("");
            if is_directive(body) {
                continue;
            }
            if any {
                raw.push('\n');
            }
            any = true;
            raw.push_str(body.strip_prefix(' ').unwrap_or(body).trim_end());
        }
        clean_docstring(&raw)
    }

    // --- definitions -------------------------------------------------------------------------

    /// Parameters of a `parameter_list`, and the type node of each declaration (for type
    /// references: one per declaration, not per name).
    fn params(&self, list: Node<'t>) -> (Vec<Param>, Vec<Node<'t>>) {
        let src = self.src;
        let mut params = Vec::new();
        let mut types = Vec::new();
        for decl in named_children(list) {
            let variadic = match decl.kind() {
                "parameter_declaration" => false,
                "variadic_parameter_declaration" => true,
                _ => continue,
            };
            let ty = decl.child_by_field_name("type");
            let type_ = ty.map(|t| normalize_ws(&text(t, src)));
            if let Some(t) = ty {
                types.push(t);
            }
            let names = field_nodes(decl, "name");
            if names.is_empty() {
                params.push(Param {
                    name: String::new(),
                    type_,
                    default: None,
                    variadic,
                    keyword: false,
                });
            } else {
                for n in names {
                    params.push(Param {
                        name: text(n, src).into_owned(),
                        type_: type_.clone(),
                        default: None,
                        variadic,
                        keyword: false,
                    });
                }
            }
        }
        (params, types)
    }

    /// `Declared` locals for named, typed parameters (`[]T` for variadic ones).
    fn param_locals(params: &[Param]) -> Vec<(String, LocalTy)> {
        params
            .iter()
            .filter(|p| !p.name.is_empty() && p.name != "_")
            .filter_map(|p| {
                let t = p.type_.as_ref()?;
                let t = if p.variadic {
                    format!("[]{t}")
                } else {
                    t.clone()
                };
                Some((p.name.clone(), LocalTy::Declared(t)))
            })
            .collect()
    }

    /// Parameters, result, their type references and locals of a signature
    /// (`function_declaration`, `method_declaration`, `method_elem`, `func_literal`).
    fn signature(
        &mut self,
        node: Node<'t>,
        owner: Option<usize>,
        tparams: &[String],
    ) -> (Vec<Param>, Option<String>, Vec<(String, LocalTy)>) {
        let mut parameters = Vec::new();
        let mut locals = Vec::new();
        if let Some(list) = node.child_by_field_name("parameters") {
            let (params, types) = self.params(list);
            for t in types {
                self.type_refs(t, owner, tparams);
            }
            locals.extend(Self::param_locals(&params));
            parameters = params;
        }
        let mut return_type = None;
        if let Some(result) = node.child_by_field_name("result") {
            return_type = Some(normalize_ws(&text(result, self.src)));
            if result.kind() == "parameter_list" {
                let (results, types) = self.params(result);
                for t in types {
                    self.type_refs(t, owner, tparams);
                }
                locals.extend(Self::param_locals(&results));
            } else {
                self.type_refs(result, owner, tparams);
            }
        }
        (parameters, return_type, locals)
    }

    fn enter_function(&mut self, node: Node<'t>) {
        let src = self.src;
        let is_method = node.kind() == "method_declaration";
        let name = match node.child_by_field_name("name") {
            Some(n) => text(n, src).into_owned(),
            None => String::new(),
        };
        if name.is_empty() {
            return; // Unnamed (error recovery): transparent.
        }
        let idx = self.facts.defs.len();
        let mut receiver = None;
        let mut attach = None;
        let mut self_name = None;
        let mut tparams = type_param_names(node, src);
        let mut locals = Vec::new();
        if is_method {
            let recv = node
                .child_by_field_name("receiver")
                .and_then(first_named)
                .filter(|p| {
                    matches!(
                        p.kind(),
                        "parameter_declaration" | "variadic_parameter_declaration"
                    )
                });
            if let Some(p) = recv {
                if let Some(t) = p.child_by_field_name("type") {
                    let written = normalize_ws(&text(t, src));
                    attach = named_type_text(t, src).map(|a| {
                        // `pkg.T` cannot be a receiver; keep the type name only.
                        a.rsplit('.').next().unwrap_or(&a).to_string()
                    });
                    tparams.extend(receiver_tparams(t, src));
                    if let Some(n) = p.child_by_field_name("name") {
                        let n = text(n, src).into_owned();
                        if !n.is_empty() && n != "_" {
                            locals.push((n.clone(), LocalTy::Declared(written.clone())));
                            self_name = Some(n);
                        }
                    }
                    if !written.is_empty() {
                        receiver = Some(written);
                    }
                }
            }
        }
        let (parameters, return_type, sig_locals) = self.signature(node, Some(idx), &tparams);
        locals.extend(sig_locals);
        let has_body = node.child_by_field_name("body").is_some();
        let parent = if is_method { None } else { self.owner() };
        let qname = match &attach {
            Some(a) => format!("{a}.{name}"),
            None => self.qname_for(parent, &name),
        };
        let docstring = self.doc_before(node.start_position().row);
        let visibility = visibility(&name);
        self.facts.defs.push(Def {
            kind: DefKind::Function,
            name,
            qname,
            parent: parent.map(|p| p as DefIdx),
            line_start: line_start(node),
            line_end: line_end(node).max(line_start(node)),
            complexity: u32::from(has_body),
            has_body,
            decorators: Vec::new(),
            visibility,
            docstring,
            class: None,
            function: Some(FunctionInfo {
                is_method,
                parameters,
                return_type,
                receiver,
                ..FunctionInfo::default()
            }),
            locals: Vec::new(),
            attach,
            namespace: None,
        });
        for (n, ty) in locals {
            self.add_local(idx, n, ty);
        }
        self.frames.push(Frame {
            end_id: node.id(),
            idx,
            is_class: false,
            iface_id: None,
            self_name,
            tparams,
        });
    }

    fn enter_method_elem(&mut self, node: Node<'t>) {
        let Some(frame) = self.frames.last() else {
            return;
        };
        let (Some(iface), Some(parent)) = (frame.iface_id, self.anc.last()) else {
            return;
        };
        if parent.id() != iface || !frame.is_class {
            return; // A method of an anonymous interface type: not a definition.
        }
        let parent_idx = frame.idx;
        let name = match node.child_by_field_name("name") {
            Some(n) => text(n, self.src).into_owned(),
            None => String::new(),
        };
        if name.is_empty() {
            return;
        }
        let idx = self.facts.defs.len();
        let (parameters, return_type, locals) = self.signature(node, Some(idx), &[]);
        let qname = self.qname_for(Some(parent_idx), &name);
        let docstring = self.doc_before(node.start_position().row);
        let visibility = visibility(&name);
        self.facts.defs.push(Def {
            kind: DefKind::Function,
            name,
            qname,
            parent: Some(parent_idx as DefIdx),
            line_start: line_start(node),
            line_end: line_end(node).max(line_start(node)),
            complexity: 0,
            has_body: false,
            decorators: Vec::new(),
            visibility,
            docstring,
            class: None,
            function: Some(FunctionInfo {
                is_method: true,
                parameters,
                return_type,
                ..FunctionInfo::default()
            }),
            locals: Vec::new(),
            attach: None,
            namespace: None,
        });
        for (n, ty) in locals {
            self.add_local(idx, n, ty);
        }
        self.frames.push(Frame {
            end_id: node.id(),
            idx,
            is_class: false,
            iface_id: None,
            self_name: None,
            tparams: Vec::new(),
        });
    }

    fn enter_type(&mut self, node: Node<'t>) {
        let src = self.src;
        let name = match node.child_by_field_name("name") {
            Some(n) => text(n, src).into_owned(),
            None => String::new(),
        };
        if name.is_empty() {
            return;
        }
        let ty = node.child_by_field_name("type");
        let kind = match ty.map(|t| t.kind()) {
            Some("struct_type") => ClassKind::Struct,
            Some("interface_type") => ClassKind::Interface,
            _ => ClassKind::Class,
        };
        // An unparenthesised `type T …`: the declaration's doc comment and first line.
        let single = match (&self.decl, self.anc.last()) {
            (Some(d), Some(p)) if d.id == p.id() => Some((d.doc.clone(), d.line)),
            _ => None,
        };
        let (docstring, first_line) = match single {
            Some(x) => x,
            None => (self.doc_before(node.start_position().row), line_start(node)),
        };
        let tparams = type_param_names(node, src);
        let idx = self.facts.defs.len();
        let parent = self.owner();
        let mut bases = Vec::new();
        let mut attributes: Vec<String> = Vec::new();
        let mut field_types: Vec<(String, String)> = Vec::new();
        match (kind, ty) {
            (ClassKind::Struct, Some(st)) => {
                let fields = named_children(st)
                    .into_iter()
                    .find(|c| c.kind() == "field_declaration_list");
                for field in fields.map(named_children).unwrap_or_default() {
                    if field.kind() != "field_declaration" {
                        continue;
                    }
                    let Some(fty) = field.child_by_field_name("type") else {
                        continue;
                    };
                    let names = field_nodes(field, "name");
                    if names.is_empty() {
                        if let Some(text) = named_type_text(fty, src) {
                            bases.push(Base {
                                text,
                                relation: Relation::Embeds,
                                line: line_start(field),
                            });
                        }
                        continue;
                    }
                    let ty_text = normalize_ws(&text(fty, src));
                    for n in names {
                        let n = text(n, src).into_owned();
                        if n.is_empty() {
                            continue;
                        }
                        if !field_types.iter().any(|(f, _)| *f == n) {
                            field_types.push((n.clone(), ty_text.clone()));
                        }
                        if !attributes.contains(&n) {
                            attributes.push(n);
                        }
                    }
                    self.type_refs(fty, Some(idx), &tparams);
                }
            }
            (ClassKind::Interface, Some(it)) => {
                for elem in named_children(it) {
                    if elem.kind() != "type_elem" {
                        continue;
                    }
                    let terms = named_children(elem);
                    let [term] = terms.as_slice() else {
                        continue;
                    };
                    if !matches!(
                        term.kind(),
                        "type_identifier" | "qualified_type" | "generic_type"
                    ) {
                        continue;
                    }
                    let Some(text) = named_type_text(*term, src) else {
                        continue;
                    };
                    if is_predeclared(&text) && !PREDECLARED_INTERFACES.contains(&text.as_str()) {
                        continue;
                    }
                    bases.push(Base {
                        text,
                        relation: Relation::Embeds,
                        line: line_start(elem),
                    });
                }
            }
            _ => {}
        }
        let qname = self.qname_for(parent, &name);
        let visibility = visibility(&name);
        self.facts.defs.push(Def {
            kind: DefKind::Class,
            name,
            qname,
            parent: parent.map(|p| p as DefIdx),
            line_start: first_line,
            line_end: line_end(node).max(first_line),
            complexity: 0,
            has_body: true,
            decorators: Vec::new(),
            visibility,
            docstring,
            class: Some(ClassInfo {
                kind,
                bases,
                attributes,
                field_types,
            }),
            function: None,
            locals: Vec::new(),
            attach: None,
            namespace: None,
        });
        self.frames.push(Frame {
            end_id: node.id(),
            idx,
            is_class: true,
            iface_id: ty.filter(|t| t.kind() == "interface_type").map(|t| t.id()),
            self_name: None,
            tparams,
        });
    }

    // --- locals ------------------------------------------------------------------------------

    /// Record a local of function `idx` (see the module docs for the discipline).
    fn add_local(&mut self, idx: usize, name: String, ty: LocalTy) {
        if name.is_empty() || name == "_" {
            return;
        }
        let Some(def) = self.facts.defs.get_mut(idx) else {
            return;
        };
        let mut seen = false;
        for l in &def.locals {
            if l.name == name {
                if l.ty == LocalTy::Unknown {
                    return;
                }
                seen = true;
            }
        }
        let ty = if seen { LocalTy::Unknown } else { ty };
        def.locals.push(LocalType { name, ty });
    }

    /// Names declared with an unknown type (identifiers of an expression list).
    fn declare_unknown(&mut self, list: Node<'t>) {
        let Some(idx) = self.fn_idx() else {
            return;
        };
        for n in named_children(list) {
            if n.kind() == "identifier" {
                let name = text(n, self.src).into_owned();
                self.add_local(idx, name, LocalTy::Unknown);
            }
        }
    }

    fn on_var_spec(&mut self, node: Node<'t>) {
        let src = self.src;
        let names = field_nodes(node, "name");
        let ty = node.child_by_field_name("type");
        if let Some(t) = ty {
            self.type_refs(t, self.owner(), &[]);
        }
        if self.is_top_level() {
            for n in names {
                let name = text(n, src).into_owned();
                self.add_top_name(name);
            }
            return;
        }
        let Some(idx) = self.fn_idx() else {
            return;
        };
        let values = node
            .child_by_field_name("value")
            .map(named_children)
            .unwrap_or_default();
        let declared = ty.map(|t| normalize_ws(&text(t, src)));
        let pairwise = values.len() == names.len();
        for (i, n) in names.iter().enumerate() {
            let local = match &declared {
                Some(t) => LocalTy::Declared(t.clone()),
                None => values
                    .get(i)
                    .filter(|_| pairwise)
                    .and_then(|v| ctor_text(*v, src))
                    .map_or(LocalTy::Unknown, LocalTy::Ctor),
            };
            let name = text(*n, src).into_owned();
            self.add_local(idx, name, local);
        }
    }

    fn on_short_var(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(idx) = self.fn_idx() else {
            return;
        };
        let lefts = node
            .child_by_field_name("left")
            .map(named_children)
            .unwrap_or_default();
        let rights = node
            .child_by_field_name("right")
            .map(named_children)
            .unwrap_or_default();
        let pairwise = lefts.len() == rights.len();
        for (i, l) in lefts.iter().enumerate() {
            if l.kind() != "identifier" {
                continue;
            }
            let local = rights
                .get(i)
                .filter(|_| pairwise)
                .and_then(|v| ctor_text(*v, src))
                .map_or(LocalTy::Unknown, LocalTy::Ctor);
            let name = text(*l, src).into_owned();
            self.add_local(idx, name, local);
        }
    }

    /// A function literal: transparent; its parameters are locals of the enclosing function
    /// and its signature's type references belong to the enclosing definition.
    fn on_func_literal(&mut self, node: Node<'t>) {
        let owner = self.owner();
        let (_, _, locals) = self.signature(node, owner, &[]);
        if let Some(idx) = self.fn_idx() {
            for (n, ty) in locals {
                self.add_local(idx, n, ty);
            }
        }
    }

    // --- imports -----------------------------------------------------------------------------

    fn on_import(&mut self, spec: Node<'t>) {
        let src = self.src;
        let Some(path) = spec.child_by_field_name("path") else {
            return;
        };
        let raw = text(path, src);
        let raw = raw.trim();
        let specifier = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .or_else(|| raw.strip_prefix('`').and_then(|r| r.strip_suffix('`')))
            .unwrap_or_else(|| raw.trim_matches(|c| c == '"' || c == '`'));
        if specifier.is_empty() {
            return;
        }
        let alias = spec
            .child_by_field_name("name")
            .map(|n| text(n, src).into_owned())
            .filter(|a| !a.is_empty());
        self.facts.imports.push(Import {
            specifier: specifier.to_string(),
            kind: ImportKind::Go,
            names: Vec::new(),
            alias,
            line: line_start(spec),
            type_only: false,
            dynamic: false,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        });
    }

    // --- calls -------------------------------------------------------------------------------

    fn push_call(&mut self, callee: Callee, name_node: Node) {
        self.facts.calls.push(CallSite {
            caller: self.owner().map(|i| i as DefIdx),
            callee,
            line: line_start(name_node),
        });
    }

    fn on_call(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(func) = node.child_by_field_name("function").map(unparen) else {
            return;
        };
        match func.kind() {
            "identifier" => {
                let name = text(func, src).into_owned();
                if !name.is_empty() {
                    self.push_call(Callee::Bare(name), func);
                }
            }
            "selector_expression" => {
                let (Some(op), Some(field)) = (
                    func.child_by_field_name("operand"),
                    func.child_by_field_name("field"),
                ) else {
                    return;
                };
                let name = text(field, src).into_owned();
                if name.is_empty() {
                    return;
                }
                let callee = self.member_callee(op, name);
                self.push_call(callee, field);
            }
            _ => {}
        }
    }

    /// `T(x)` parsed as a conversion: generic function calls `F[int](x)` / `pkg.F[int](x)`.
    fn on_conversion(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(mut ty) = node.child_by_field_name("type") else {
            return;
        };
        if ty.kind() == "generic_type" {
            match ty.child_by_field_name("type") {
                Some(t) => ty = t,
                None => return,
            }
        }
        match ty.kind() {
            "type_identifier" => {
                let name = text(ty, src).into_owned();
                if !name.is_empty() {
                    self.push_call(Callee::Bare(name), ty);
                }
            }
            "qualified_type" => {
                let (Some(pkg), Some(name)) = (
                    ty.child_by_field_name("package"),
                    ty.child_by_field_name("name"),
                ) else {
                    return;
                };
                let n = text(name, src).into_owned();
                let callee = if self.is_self(pkg) {
                    Callee::SelfMember(n)
                } else {
                    Callee::Member {
                        receiver: Receiver::Ident(text(pkg, src).into_owned()),
                        name: n,
                    }
                };
                self.push_call(callee, name);
            }
            _ => {}
        }
    }

    /// The callee of `operand.name(…)`.
    fn member_callee(&self, operand: Node<'t>, name: String) -> Callee {
        let src = self.src;
        let receiver = match operand.kind() {
            "identifier" if self.is_self(operand) => return Callee::SelfMember(name),
            "identifier" => Receiver::Ident(text(operand, src).into_owned()),
            "selector_expression" => match selector_chain(operand, src) {
                Some(parts) => {
                    let self_root = parts.first().map(String::as_str) == self.self_name()
                        && self.self_name().is_some();
                    match (self_root, parts.as_slice()) {
                        (true, [_, field]) => Receiver::SelfField(field.clone()),
                        (true, _) => Receiver::Other,
                        (false, _) => Receiver::Path(parts),
                    }
                }
                None => Receiver::Other,
            },
            _ => self.value_receiver(operand),
        };
        Callee::Member { receiver, name }
    }

    /// Receiver expressions whose type is written in them: composite literals, conversions,
    /// type assertions, calls of a named callee.
    fn value_receiver(&self, operand: Node<'t>) -> Receiver {
        let src = self.src;
        let v = strip_address(operand, src);
        let known = match v.kind() {
            "composite_literal" => v
                .child_by_field_name("type")
                .and_then(|t| named_type_text(t, src)),
            "type_conversion_expression" | "type_assertion_expression" => v
                .child_by_field_name("type")
                .and_then(|t| named_type_text(t, src)),
            "call_expression" => {
                // `T(x)`, `pkg.New()`: the callee may name a type. Calls through a variable
                // (`x.Method()`, `f()` with a local `f`) are call results of unknown type.
                let parts = v
                    .child_by_field_name("function")
                    .map(unparen)
                    .and_then(|f| selector_chain(f, src));
                match parts {
                    Some(parts) if !parts.first().is_some_and(|p| self.is_variable(p)) => {
                        Some(parts.join("."))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match known {
            Some(t) if !t.is_empty() => Receiver::NewOf(t),
            _ => Receiver::Other,
        }
    }

    // --- type references ---------------------------------------------------------------------

    /// Every named type of a type expression (generic arguments included, `pkg.T` kept whole),
    /// predeclared types and type parameters in scope skipped. Explicit stack: types may nest
    /// arbitrarily deep.
    fn type_refs(&mut self, ty: Node<'t>, owner: Option<usize>, tparams: &[String]) {
        let src = self.src;
        let owner = owner.map(|o| o as DefIdx);
        let mut stack = vec![ty];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "type_identifier" => {
                    let name = text(n, src);
                    if !name.is_empty() && !is_predeclared(&name) && !self.is_tparam(&name, tparams)
                    {
                        self.facts.type_refs.push(TypeRef {
                            owner,
                            name: name.into_owned(),
                            line: line_start(n),
                        });
                    }
                }
                "qualified_type" => {
                    if let Some(name) = qualified_text(n, src) {
                        self.facts.type_refs.push(TypeRef {
                            owner,
                            name,
                            line: line_start(n),
                        });
                    }
                }
                "array_type" => {
                    if let Some(e) = n.child_by_field_name("element") {
                        stack.push(e);
                    }
                }
                "function_type" => {
                    if let Some(r) = n.child_by_field_name("result") {
                        stack.push(r);
                    }
                    if let Some(p) = n.child_by_field_name("parameters") {
                        stack.push(p);
                    }
                }
                "method_elem" => {
                    if let Some(r) = n.child_by_field_name("result") {
                        stack.push(r);
                    }
                    if let Some(p) = n.child_by_field_name("parameters") {
                        stack.push(p);
                    }
                }
                "parameter_declaration"
                | "variadic_parameter_declaration"
                | "field_declaration" => {
                    if let Some(t) = n.child_by_field_name("type") {
                        stack.push(t);
                    }
                }
                "generic_type"
                | "type_arguments"
                | "type_elem"
                | "pointer_type"
                | "slice_type"
                | "implicit_length_array_type"
                | "map_type"
                | "channel_type"
                | "parenthesized_type"
                | "negated_type"
                | "struct_type"
                | "field_declaration_list"
                | "interface_type"
                | "parameter_list" => {
                    stack.extend(named_children(n).into_iter().rev());
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::lang::test_support::{ctor, declared, parse, s, unknown};

    fn facts(src: &str) -> FileFacts {
        facts_bytes(src.as_bytes())
    }

    fn facts_bytes(src: &[u8]) -> FileFacts {
        extract(&parse(tree_sitter_go::LANGUAGE.into(), src), src)
    }

    fn p(name: &str, ty: &str) -> Param {
        Param {
            name: s(name),
            type_: Some(s(ty)),
            ..Param::default()
        }
    }

    fn vis(name: &str) -> Option<String> {
        let public = name.chars().next().is_some_and(char::is_uppercase);
        Some(s(if public { "public" } else { "private" }))
    }

    /// A function def with a body; adjust other fields with struct update syntax.
    fn fdef(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        complexity: u32,
        function: FunctionInfo,
        locals: Vec<LocalType>,
    ) -> Def {
        Def {
            kind: DefKind::Function,
            name: s(name),
            qname: s(qname),
            parent,
            line_start: lines.0,
            line_end: lines.1,
            complexity,
            has_body: true,
            decorators: Vec::new(),
            visibility: vis(name),
            docstring: None,
            class: None,
            function: Some(function),
            locals,
            attach: None,
            namespace: None,
        }
    }

    /// A method declared with a receiver.
    #[allow(clippy::too_many_arguments)]
    fn mdef(
        name: &str,
        attach: &str,
        receiver: &str,
        lines: (u32, u32),
        complexity: u32,
        parameters: Vec<Param>,
        return_type: Option<&str>,
        locals: Vec<LocalType>,
    ) -> Def {
        Def {
            attach: Some(s(attach)),
            ..fdef(
                name,
                &format!("{attach}.{name}"),
                None,
                lines,
                complexity,
                FunctionInfo {
                    is_method: true,
                    parameters,
                    return_type: return_type.map(s),
                    receiver: Some(s(receiver)),
                    ..FunctionInfo::default()
                },
                locals,
            )
        }
    }

    /// A bodiless interface method.
    fn sig(
        name: &str,
        qname: &str,
        parent: DefIdx,
        line: u32,
        parameters: Vec<Param>,
        return_type: Option<&str>,
        locals: Vec<LocalType>,
    ) -> Def {
        Def {
            has_body: false,
            ..fdef(
                name,
                qname,
                Some(parent),
                (line, line),
                0,
                FunctionInfo {
                    is_method: true,
                    parameters,
                    return_type: return_type.map(s),
                    ..FunctionInfo::default()
                },
                locals,
            )
        }
    }

    fn cdef(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        kind: ClassKind,
        bases: Vec<Base>,
        fields: &[(&str, &str)],
    ) -> Def {
        Def {
            kind: DefKind::Class,
            name: s(name),
            qname: s(qname),
            parent,
            line_start: lines.0,
            line_end: lines.1,
            complexity: 0,
            has_body: true,
            decorators: Vec::new(),
            visibility: vis(name),
            docstring: None,
            class: Some(ClassInfo {
                kind,
                bases,
                attributes: fields.iter().map(|(a, _)| s(a)).collect(),
                field_types: fields.iter().map(|(a, b)| (s(a), s(b))).collect(),
            }),
            function: None,
            locals: Vec::new(),
            attach: None,
            namespace: None,
        }
    }

    fn embeds(text: &str, line: u32) -> Base {
        Base {
            text: s(text),
            relation: Relation::Embeds,
            line,
        }
    }

    fn imp(spec: &str, alias: Option<&str>, line: u32) -> Import {
        Import {
            specifier: s(spec),
            kind: ImportKind::Go,
            names: Vec::new(),
            alias: alias.map(s),
            line,
            type_only: false,
            dynamic: false,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        }
    }

    fn call(caller: Option<DefIdx>, callee: Callee, line: u32) -> CallSite {
        CallSite {
            caller,
            callee,
            line,
        }
    }

    fn bare(n: &str) -> Callee {
        Callee::Bare(s(n))
    }

    fn selfm(n: &str) -> Callee {
        Callee::SelfMember(s(n))
    }

    fn member(receiver: Receiver, name: &str) -> Callee {
        Callee::Member {
            receiver,
            name: s(name),
        }
    }

    fn ident(x: &str) -> Receiver {
        Receiver::Ident(s(x))
    }

    fn new_of(x: &str) -> Receiver {
        Receiver::NewOf(s(x))
    }

    fn tref(owner: Option<DefIdx>, name: &str, line: u32) -> TypeRef {
        TypeRef {
            owner,
            name: s(name),
            line,
        }
    }

    fn qnames(f: &FileFacts) -> Vec<&str> {
        f.defs.iter().map(|d| d.qname.as_str()).collect()
    }

    fn def<'a>(f: &'a FileFacts, qname: &str) -> &'a Def {
        f.defs.iter().find(|d| d.qname == qname).unwrap()
    }

    /// `indexer.md` §13.4 (`store/store.go`).
    const STORE_GO: &str = r#"package store

import (
	"errors"

	"example.com/shop/model"
)

type Store struct {
	model.Base
	items map[string]model.Item
}

func (s *Store) Get(id string) (model.Item, error) {
	if it, ok := s.items[id]; ok && id != "" {
		return it, nil
	}
	return model.Item{}, errors.New("not found")
}

func New() *Store { return &Store{items: map[string]model.Item{}} }
"#;

    /// `indexer.md` §13.4: every fact behind the example's nodes and edges. The resolver turns
    /// `qualified_refs` (errors.New; model.Base, model.Item) into the `names` of the two
    /// import edges, `attach` into `contains Store -> Store.Get`, the `Embeds` base into the
    /// `inherits … relation=embeds @10` edge and the type references into the `uses` edges
    /// (@11 owned by the struct, @14 by `Store.Get`; `Store` @21 from `New`'s return type).
    #[test]
    fn spec_example_store() {
        let expected = FileFacts {
            package: Some(s("store")),
            defs: vec![
                cdef(
                    "Store",
                    "Store",
                    None,
                    (9, 12),
                    ClassKind::Struct,
                    vec![embeds("model.Base", 10)],
                    &[("items", "map[string]model.Item")],
                ),
                mdef(
                    "Get",
                    "Store",
                    "*Store",
                    (14, 19),
                    3,
                    vec![p("id", "string")],
                    Some("(model.Item, error)"),
                    vec![
                        declared("s", "*Store"),
                        declared("id", "string"),
                        unknown("it"),
                        unknown("ok"),
                    ],
                ),
                fdef(
                    "New",
                    "New",
                    None,
                    (21, 21),
                    1,
                    FunctionInfo {
                        return_type: Some(s("*Store")),
                        ..FunctionInfo::default()
                    },
                    vec![],
                ),
            ],
            imports: vec![
                imp("errors", None, 4),
                imp("example.com/shop/model", None, 6),
            ],
            calls: vec![call(Some(1), member(ident("errors"), "New"), 18)],
            type_refs: vec![
                tref(Some(0), "model.Item", 11),
                tref(Some(1), "model.Item", 14),
                tref(Some(2), "Store", 21),
            ],
            qualified_refs: vec![
                (s("errors"), s("New")),
                (s("model"), s("Base")),
                (s("model"), s("Item")),
                (s("s"), s("items")),
            ],
            ..FileFacts::default()
        };
        assert_eq!(facts(STORE_GO), expected);
    }

    /// §5.2 class row: struct / interface / any other `type_spec`; `type_alias` excluded.
    #[test]
    fn type_spec_kinds() {
        let src = r#"package p

type S struct{}
type I interface{}
type Celsius float64
type HandlerFunc func(w Writer)
type Set[T comparable] map[T]struct{}
type A = S
type (
	G1 struct{ x int }
	g2 interface{ M() }
	G3 = G1
	G4 []int
)
"#;
        let f = facts(src);
        let kinds: Vec<(&str, ClassKind, (u32, u32))> = f
            .defs
            .iter()
            .filter_map(|d| {
                d.class
                    .as_ref()
                    .map(|c| (d.qname.as_str(), c.kind, (d.line_start, d.line_end)))
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("S", ClassKind::Struct, (3, 3)),
                ("I", ClassKind::Interface, (4, 4)),
                ("Celsius", ClassKind::Class, (5, 5)),
                ("HandlerFunc", ClassKind::Class, (6, 6)),
                ("Set", ClassKind::Class, (7, 7)),
                ("G1", ClassKind::Struct, (10, 10)),
                ("g2", ClassKind::Interface, (11, 11)),
                ("G4", ClassKind::Class, (13, 13)),
            ]
        );
        assert_eq!(
            qnames(&f),
            vec![
                "S",
                "I",
                "Celsius",
                "HandlerFunc",
                "Set",
                "G1",
                "g2",
                "g2.M",
                "G4"
            ]
        );
        // Aliases are top-level names, not definitions.
        assert_eq!(f.top_level_names, vec![s("A"), s("G3")]);
        assert!(f
            .defs
            .iter()
            .all(|d| d.parent.is_none() || d.qname == "g2.M"));
    }

    /// A multi-line unparenthesised declaration starts at the `type` keyword.
    #[test]
    fn type_lines_include_the_type_keyword() {
        let src = "package p\n\ntype\nT struct {\n\tA int\n}\n";
        let f = facts(src);
        assert_eq!((f.defs[0].line_start, f.defs[0].line_end), (3, 6));
    }

    /// §5.2 function row and §5.4: functions, methods on value, pointer, generic and unnamed
    /// receivers.
    #[test]
    fn functions_and_methods_with_receivers() {
        let src = r#"package p

func Top(a int) bool { return a > 0 }

func (s Store) Value() {}

func (s *Store) Pointer(k string) {}

func (l *List[T]) Push(v T) *List[T] { return l }

func (m Map[K, V]) Get(k K) (V, bool) { var v V; return v, false }

func (Store) NoName() {}

func (_ *Store) Blank() {}

func (s *Store) Pointer(k string) {}
"#;
        let f = facts(src);
        let expected = vec![
            fdef(
                "Top",
                "Top",
                None,
                (3, 3),
                1,
                FunctionInfo {
                    parameters: vec![p("a", "int")],
                    return_type: Some(s("bool")),
                    ..FunctionInfo::default()
                },
                vec![declared("a", "int")],
            ),
            mdef(
                "Value",
                "Store",
                "Store",
                (5, 5),
                1,
                vec![],
                None,
                vec![declared("s", "Store")],
            ),
            mdef(
                "Pointer",
                "Store",
                "*Store",
                (7, 7),
                1,
                vec![p("k", "string")],
                None,
                vec![declared("s", "*Store"), declared("k", "string")],
            ),
            mdef(
                "Push",
                "List",
                "*List[T]",
                (9, 9),
                1,
                vec![p("v", "T")],
                Some("*List[T]"),
                vec![declared("l", "*List[T]"), declared("v", "T")],
            ),
            mdef(
                "Get",
                "Map",
                "Map[K, V]",
                (11, 11),
                1,
                vec![p("k", "K")],
                Some("(V, bool)"),
                vec![
                    declared("m", "Map[K, V]"),
                    declared("k", "K"),
                    declared("v", "V"),
                ],
            ),
            mdef(
                "NoName",
                "Store",
                "Store",
                (13, 13),
                1,
                vec![],
                None,
                vec![],
            ),
            mdef(
                "Blank",
                "Store",
                "*Store",
                (15, 15),
                1,
                vec![],
                None,
                vec![],
            ),
            mdef(
                "Pointer",
                "Store",
                "*Store",
                (17, 17),
                1,
                vec![p("k", "string")],
                None,
                vec![declared("s", "*Store"), declared("k", "string")],
            ),
        ];
        assert_eq!(f.defs, expected);
        // Receiver types and the type parameters of generic receivers are no type references;
        // result types are.
        assert_eq!(f.type_refs, vec![tref(Some(3), "List", 9)]);
    }

    /// A function without a body (implemented in assembly) is a bodiless def.
    #[test]
    fn bodiless_function() {
        let f = facts("package math\n\nfunc Sqrt(x float64) float64\n");
        assert_eq!(
            f.defs,
            vec![Def {
                has_body: false,
                ..fdef(
                    "Sqrt",
                    "Sqrt",
                    None,
                    (3, 3),
                    0,
                    FunctionInfo {
                        parameters: vec![p("x", "float64")],
                        return_type: Some(s("float64")),
                        ..FunctionInfo::default()
                    },
                    vec![declared("x", "float64")],
                )
            }]
        );
    }

    /// Interface `method_elem`s are bodiless methods of the interface; methods of anonymous
    /// interface types are not definitions.
    #[test]
    fn interface_method_elems() {
        let src = r#"package p

type Repo[T any] interface {
	io.Closer
	// Find finds.
	Find(id string) (T, error)
	all() []T; Count() int
	Watch(fn func(ev Event)) interface{ Stop() }
}
"#;
        let f = facts(src);
        let expected = vec![
            cdef(
                "Repo",
                "Repo",
                None,
                (3, 9),
                ClassKind::Interface,
                vec![embeds("io.Closer", 4)],
                &[],
            ),
            Def {
                docstring: Some(s("Find finds.")),
                ..sig(
                    "Find",
                    "Repo.Find",
                    0,
                    6,
                    vec![p("id", "string")],
                    Some("(T, error)"),
                    vec![declared("id", "string")],
                )
            },
            sig("all", "Repo.all", 0, 7, vec![], Some("[]T"), vec![]),
            sig("Count", "Repo.Count", 0, 7, vec![], Some("int"), vec![]),
            sig(
                "Watch",
                "Repo.Watch",
                0,
                8,
                vec![p("fn", "func(ev Event)")],
                Some("interface{ Stop() }"),
                vec![declared("fn", "func(ev Event)")],
            ),
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(f.type_refs, vec![tref(Some(4), "Event", 8)]);
    }

    /// Types declared in function bodies are children of the function; function literals are
    /// transparent (also at package level).
    #[test]
    fn nested_definitions() {
        let src = r#"package p

func outer() {
	type local struct{ n int }
	type Shape interface {
		Area() float64
	}
	run := func() {
		type inner int
		helper()
	}
	run()
}

var handler = func() {
	type T struct{}
	setup()
}
"#;
        let f = facts(src);
        let shape: Vec<(&str, Option<DefIdx>, (u32, u32))> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.parent, (d.line_start, d.line_end)))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("outer", None, (3, 13)),
                ("outer.local", Some(0), (4, 4)),
                ("outer.Shape", Some(0), (5, 7)),
                ("outer.Shape.Area", Some(2), (6, 6)),
                ("outer.inner", Some(0), (9, 9)),
                ("T", None, (16, 16)),
            ]
        );
        assert_eq!(
            f.calls,
            vec![
                call(Some(0), bare("helper"), 10),
                call(Some(0), bare("run"), 12),
                call(None, bare("setup"), 17),
            ]
        );
        assert_eq!(f.defs[0].locals, vec![unknown("run")]);
        assert_eq!(f.top_level_names, vec![s("handler")]);
        let area = &f.defs[3];
        assert!(area.function.as_ref().unwrap().is_method && !area.has_body);
        assert_eq!((area.complexity, area.attach.as_deref()), (0, None));
    }

    /// §5.2 excluded: function literals are never definitions, even when bound to a name.
    #[test]
    fn func_literal_is_never_a_def() {
        let src = "package p

var H = func(x int) int { return x }

func f() {
	g := func() {}
	g()
}
";
        let f = facts(src);
        assert_eq!(qnames(&f), vec!["f"]);
        assert_eq!(f.calls, vec![call(Some(0), bare("g"), 7)]);
        assert_eq!(f.top_level_names, vec![s("H")]);
    }

    /// §5.3: several `func init()` and a repeated method are separate defs with one qname.
    #[test]
    fn multiple_init_funcs_and_overloads() {
        let src = r#"package p

func init() { a() }

func init() {
	if x { b() }
}

func (t T) M() {}
func (t *T) M() {}
"#;
        let f = facts(src);
        let rows: Vec<(&str, u32, u32)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.line_start, d.complexity))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("init", 3, 1),
                ("init", 5, 2),
                ("T.M", 9, 1),
                ("T.M", 10, 1)
            ]
        );
        assert_eq!(
            f.calls,
            vec![call(Some(0), bare("a"), 3), call(Some(1), bare("b"), 6)]
        );
    }

    /// §6 Go row: `if_statement`, `for_statement`, `expression_case`, `type_case`,
    /// `communication_case`, `&&` / `||`; not `else`, `default_case`, other operators.
    #[test]
    fn complexity_go_row() {
        let cases: &[(&str, u32)] = &[
            ("", 1),
            ("if a {}", 2),
            ("if a {} else if b {} else {}", 3),
            ("for {}", 2),
            ("for i := 0; i < n; i++ {}", 2),
            ("for k := range m {}", 2),
            ("switch x { case 1: case 2, 3: default: }", 3),
            ("switch { case a: default: }", 2),
            (
                "switch v := x.(type) { case int: case string, bool: default: }",
                3,
            ),
            (
                "select { case <-c: case v := <-d: _ = v; case e <- 1: default: }",
                4,
            ),
            ("_ = a && b || c", 3),
            ("_ = a == b + c & d", 1),
            ("f := func() { if a && b {} }; f()", 3),
            ("go func() { for {} }()", 2),
            ("type T struct{ A [2]int }", 1),
        ];
        for (body, want) in cases {
            let src = format!("package p\n\nfunc f() {{\n\t{body}\n}}\n");
            let f = facts(&src);
            assert_eq!(f.defs[0].complexity, *want, "{body}");
        }
        // Decisions at package level and in interface methods count nowhere.
        let f = facts("package p\nvar x = a && b\ntype I interface{ M() }\n");
        assert!(f.defs.iter().all(|d| d.complexity == 0));
        // Nested types don't take their enclosing function's decisions.
        let f = facts("package p\nfunc f() {\n\ttype T int\n\tif a {}\n}\n");
        assert_eq!((f.defs[0].complexity, f.defs[1].complexity), (2, 0));
    }

    /// §5.5 visibility: exported (upper-case initial) → public, else private.
    #[test]
    fn visibility_rule() {
        let src = r#"package p

type Exported struct{}
type unexported struct{}
type I interface {
	Pub()
	priv()
}
func F() {}
func f() {}
func _() {}
func (e Exported) M() {}
func (e Exported) m() {}
func Ünïcode() {}
func ñ() {}
"#;
        let f = facts(src);
        let rows: Vec<(&str, &str)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.visibility.as_deref().unwrap()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("Exported", "public"),
                ("unexported", "private"),
                ("I", "public"),
                ("I.Pub", "public"),
                ("I.priv", "private"),
                ("F", "public"),
                ("f", "private"),
                ("_", "private"),
                ("Exported.M", "public"),
                ("Exported.m", "private"),
                ("Ünïcode", "public"),
                ("ñ", "private"),
            ]
        );
        assert!(f.defs.iter().all(|d| d.decorators.is_empty()));
    }

    /// §5.5 attributes and bases of structs: named fields, embedded fields as `Embeds` bases.
    #[test]
    fn struct_fields_and_embedding() {
        let src = r#"package p

type S[T any] struct {
	Base
	*Ptr
	model.Base
	*pkg.Gen[T]
	Gen2[int, T]
	X, Y int `json:"x"`
	Z struct {
		Inner model.T
	}
	items []*model.Item
	fn func(T) error
	X string
	error
}
"#;
        let f = facts(src);
        let expected = cdef(
            "S",
            "S",
            None,
            (3, 17),
            ClassKind::Struct,
            vec![
                embeds("Base", 4),
                embeds("Ptr", 5),
                embeds("model.Base", 6),
                embeds("pkg.Gen", 7),
                embeds("Gen2", 8),
                embeds("error", 16),
            ],
            &[
                ("X", "int"),
                ("Y", "int"),
                ("Z", "struct { Inner model.T }"),
                ("items", "[]*model.Item"),
                ("fn", "func(T) error"),
            ],
        );
        assert_eq!(f.defs, vec![expected]);
        // Field types are type references of the struct (type parameters and predeclared
        // types skipped); embedded types are not.
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(0), "model.T", 11),
                tref(Some(0), "model.Item", 13)
            ]
        );
    }

    /// §5.5 bases of interfaces: embedded interfaces (qualified, generic, `error`); unions,
    /// `~T` terms and non-interface predeclared types are constraints, not bases.
    #[test]
    fn interface_embedding() {
        let src = r#"package p

type RW interface {
	Reader
	io.Writer
	Getter[int]
	error
	~int | ~string
	int
	float64 | Number
	comparable
}
"#;
        let f = facts(src);
        assert_eq!(
            f.defs[0].class.as_ref().unwrap().bases,
            vec![
                embeds("Reader", 4),
                embeds("io.Writer", 5),
                embeds("Getter", 6),
                embeds("error", 7),
                embeds("comparable", 11),
            ]
        );
        assert_eq!(f.defs.len(), 1);
        assert_eq!(f.type_refs, vec![]);
    }

    /// `mubase.md` §7.3.1 for Go: grouped names, variadic, unnamed, function-typed; results.
    #[test]
    fn parameter_forms() {
        let src = r#"package p

func F(a, b int, c *model.T, fn func(int) error, rest ...string) (n int, err error) {
	return
}

func G(int, string, ...any) {}
"#;
        let f = facts(src);
        let variadic = |name: &str, ty: &str| Param {
            variadic: true,
            ..p(name, ty)
        };
        let fi = f.defs[0].function.as_ref().unwrap();
        assert_eq!(
            fi.parameters,
            vec![
                p("a", "int"),
                p("b", "int"),
                p("c", "*model.T"),
                p("fn", "func(int) error"),
                variadic("rest", "string"),
            ]
        );
        assert_eq!(fi.return_type, Some(s("(n int, err error)")));
        assert_eq!(
            f.defs[0].locals,
            vec![
                declared("a", "int"),
                declared("b", "int"),
                declared("c", "*model.T"),
                declared("fn", "func(int) error"),
                declared("rest", "[]string"),
                declared("n", "int"),
                declared("err", "error"),
            ]
        );
        let g = f.defs[1].function.as_ref().unwrap();
        assert_eq!(
            g.parameters,
            vec![p("", "int"), p("", "string"), variadic("", "any")]
        );
        assert_eq!(f.defs[1].locals, vec![]);
        assert_eq!(g.return_type, None);
    }

    /// §5.6 Go: contiguous `//` lines immediately preceding; directives removed.
    #[test]
    fn docstrings() {
        let src = r#"// Copyright notice.

// Package p does things.
//
//	indented example
//
// More text.
package p

// Not a doc: a blank line follows.

// F does f.
//   indented
// back.
//go:noinline
func F() {}

var x = 1 // trailing, not part of G's doc
// G does g.
func G() {}

/* block comments are not doc comments */
func H() {}

// T is a type.
type T struct{}

// Group doc (not used for the specs).
type (
	// A is a.
	A int

	B int // trailing

	// C is c.
	C interface {
		// M is m.
		M()

		N() // trailing
	}
)

//go:generate stringer
func D() {}

// Multi-line
// text with a
//
// paragraph.
func (t T) Method() {}
"#;
        let f = facts(src);
        assert_eq!(
            f.docstring,
            Some(s(
                "Package p does things.\n\n\tindented example\n\nMore text."
            ))
        );
        let docs: Vec<(&str, Option<&str>)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.docstring.as_deref()))
            .collect();
        assert_eq!(
            docs,
            vec![
                ("F", Some("F does f.\n  indented\nback.")),
                ("G", Some("G does g.")),
                ("H", None),
                ("T", Some("T is a type.")),
                ("A", Some("A is a.")),
                ("B", None),
                ("C", Some("C is c.")),
                ("C.M", Some("M is m.")),
                ("C.N", None),
                ("D", None),
                ("T.Method", Some("Multi-line\ntext with a\n\nparagraph.")),
            ]
        );
    }

    #[test]
    fn crlf_line_endings() {
        let f = facts(
            "package p\r\n\r\n// Doc line.\r\n// Two.\r\nfunc F() {\r\n\tif a {\r\n\t}\r\n}\r\n",
        );
        let d = &f.defs[0];
        assert_eq!(
            (
                d.line_start,
                d.line_end,
                d.complexity,
                d.docstring.as_deref()
            ),
            (5, 8, 2, Some("Doc line.\nTwo."))
        );
    }

    #[test]
    fn docstring_cut_to_2000_chars() {
        let line = format!("// {}\n", "x".repeat(100));
        let src = format!("package p\n\n{}func F() {{}}\n", line.repeat(30));
        let f = facts(&src);
        assert_eq!(f.defs[0].docstring.as_ref().unwrap().chars().count(), 2000);
    }

    /// Imports: one fact per spec, path unquoted, alias as written.
    #[test]
    fn imports_all_forms() {
        let src = r#"package p

import "fmt"
import m "example.com/x/model"

import (
	"errors"
	_ "embed"
	. "strings"
	raw `net/http`
	"C"
)
"#;
        let f = facts(src);
        assert_eq!(
            f.imports,
            vec![
                imp("fmt", None, 3),
                imp("example.com/x/model", Some("m"), 4),
                imp("errors", None, 7),
                imp("embed", Some("_"), 8),
                imp("strings", Some("."), 9),
                imp("net/http", Some("raw"), 10),
                imp("C", None, 11),
            ]
        );
        assert_eq!(f.package, Some(s("p")));
        assert_eq!(f.calls, vec![]);
        assert_eq!(f.qualified_refs, vec![]);
    }

    /// Callee forms (`indexer.md` §7, §10) and callers.
    #[test]
    fn call_forms() {
        let src = r#"package p

var v = initV()

func (s *Store) M(x *T, items []T) {
	helper(1)
	s.Save()
	s.repo.Find()
	s.a.b.Deep()
	x.Run()
	pkg.Func()
	pkg.Var.Method()
	a.b.c.F()
	T(x).Conv()
	T{}.Lit()
	(&pkg.T{A: 1}).Ptr()
	x.(*Impl).Assert()
	NewT().Chain()
	pkg.New().Chain2()
	s.Make().Chain3()
	x.Get().Chain4()
	items[0].Idx()
	fns[0](x)
	f()()
	Map[int](items)
	pkg.Gen[int](items)
	[]byte("x")
	len(items)
	_ = T{}
	defer s.Close()
	go func() { s.Async() }()
	func() { inner() }()
}

func plain(s *Store) { s.Save() }
"#;
        let f = facts(src);
        let expected = vec![
            call(None, bare("initV"), 3),
            call(Some(0), bare("helper"), 6),
            call(Some(0), selfm("Save"), 7),
            call(Some(0), member(Receiver::SelfField(s("repo")), "Find"), 8),
            call(Some(0), member(Receiver::Other, "Deep"), 9),
            call(Some(0), member(ident("x"), "Run"), 10),
            call(Some(0), member(ident("pkg"), "Func"), 11),
            call(
                Some(0),
                member(Receiver::Path(vec![s("pkg"), s("Var")]), "Method"),
                12,
            ),
            call(
                Some(0),
                member(Receiver::Path(vec![s("a"), s("b"), s("c")]), "F"),
                13,
            ),
            call(Some(0), member(new_of("T"), "Conv"), 14),
            call(Some(0), bare("T"), 14),
            call(Some(0), member(new_of("T"), "Lit"), 15),
            call(Some(0), member(new_of("pkg.T"), "Ptr"), 16),
            call(Some(0), member(new_of("Impl"), "Assert"), 17),
            call(Some(0), member(new_of("NewT"), "Chain"), 18),
            call(Some(0), bare("NewT"), 18),
            call(Some(0), member(new_of("pkg.New"), "Chain2"), 19),
            call(Some(0), member(ident("pkg"), "New"), 19),
            call(Some(0), member(Receiver::Other, "Chain3"), 20),
            call(Some(0), selfm("Make"), 20),
            call(Some(0), member(Receiver::Other, "Chain4"), 21),
            call(Some(0), member(ident("x"), "Get"), 21),
            call(Some(0), member(Receiver::Other, "Idx"), 22),
            call(Some(0), bare("f"), 24),
            call(Some(0), bare("Map"), 25),
            call(Some(0), member(ident("pkg"), "Gen"), 26),
            call(Some(0), bare("len"), 28),
            call(Some(0), selfm("Close"), 30),
            call(Some(0), selfm("Async"), 31),
            call(Some(0), bare("inner"), 32),
            call(Some(1), member(ident("s"), "Save"), 35),
        ];
        assert_eq!(f.calls, expected);
    }

    /// A call's line is the line of the called name.
    #[test]
    fn call_line_is_the_callee_name_line() {
        let src = "package p\n\nfunc f(q Q) {\n\tq.\n\t\tWhere(1).\n\t\tOrder(2)\n}\n";
        let f = facts(src);
        assert_eq!(
            f.calls,
            vec![
                call(Some(0), member(Receiver::Other, "Order"), 6),
                call(Some(0), member(ident("q"), "Where"), 5),
            ]
        );
    }

    /// Type references: every named type of parameter, result, field and explicit variable
    /// types; predeclared types and type parameters skipped.
    #[test]
    fn type_ref_forms() {
        let src = r#"package p

var Default model.Config

func F[K comparable, V any](m map[K]V, ch <-chan *Event, cb func(ctx context.Context) (Result, error)) []Item[model.ID] {
	var local Local
	var n int
	x := Conv(local)
	_ = x.(Asserted)
	go func(e Inner) Out { return nil }(nil)
	return nil
}

func (r *Recv) M() (Out2, [4]Arr) { return }
"#;
        let f = facts(src);
        assert_eq!(
            f.type_refs,
            vec![
                tref(None, "model.Config", 3),
                tref(Some(0), "Event", 5),
                tref(Some(0), "context.Context", 5),
                tref(Some(0), "Result", 5),
                tref(Some(0), "Item", 5),
                tref(Some(0), "model.ID", 5),
                tref(Some(0), "Local", 6),
                tref(Some(0), "Inner", 10),
                tref(Some(0), "Out", 10),
                tref(Some(1), "Out2", 14),
                tref(Some(1), "Arr", 14),
            ]
        );
        assert_eq!(f.top_level_names, vec![s("Default")]);
    }

    /// Local typing (`indexer.md` §7) for Go.
    #[test]
    fn locals_typing() {
        let src = r#"package p

func (s *Store) F(p Param, q *model.Q) {
	var a A
	var b, c = B{}, &pkg.C{}
	d := D{}
	e := &model.E{X: 1}
	g, h := G[int]{}, H{}
	i := NewI()
	j := new(J)
	k := new(pkg.K)
	l := []L{}
	m, n := two()
	for o, r := range xs {}
	for p = range xs {}
	switch t := v.(type) {}
	select { case u := <-ch: _ = u }
	d = D{}
	a = other
	d2 := D{}
	d2 := D{}
	w := W{}
	if true { w := W2{} ; _ = w }
	func(cb *CB, _ int) {}(nil, 0)
	var _ = X{}
	_ = Y{}
}
"#;
        let f = facts(src);
        assert_eq!(
            f.defs[0].locals,
            vec![
                declared("s", "*Store"),
                declared("p", "Param"),
                declared("q", "*model.Q"),
                declared("a", "A"),
                ctor("b", "B"),
                ctor("c", "pkg.C"),
                ctor("d", "D"),
                ctor("e", "model.E"),
                ctor("g", "G"),
                ctor("h", "H"),
                unknown("i"),
                ctor("j", "J"),
                ctor("k", "pkg.K"),
                unknown("l"),
                unknown("m"),
                unknown("n"),
                unknown("o"),
                unknown("r"),
                unknown("t"),
                unknown("u"),
                ctor("d2", "D"),
                unknown("d2"),
                ctor("w", "W"),
                unknown("w"),
                declared("cb", "*CB"),
            ]
        );
    }

    /// `qualified_refs`: every `X.Name` with a plain identifier `X`, sorted, de-duplicated.
    #[test]
    fn qualified_refs_rule() {
        let src = r#"package p

import "net/http"

type H struct {
	http.Handler
	c *http.Client
}

var _ = http.StatusOK

func f(w http.ResponseWriter) {
	http.Get(w.Header().Get("x"))
	a.b.c = 1
	_ = x.(http.Flusher)
	_ = http.Request{}
	_ = pkg.F[int](1)
	_ = g().h
	_ = http.StatusOK
}
"#;
        let f = facts(src);
        let pairs: Vec<(&str, &str)> = f
            .qualified_refs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("a", "b"),
                ("http", "Client"),
                ("http", "Flusher"),
                ("http", "Get"),
                ("http", "Handler"),
                ("http", "Request"),
                ("http", "ResponseWriter"),
                ("http", "StatusOK"),
                ("pkg", "F"),
                ("w", "Header"),
            ]
        );
    }

    /// `top_level_names`: package-level `var` / `const` names and type aliases (not `_`).
    #[test]
    fn top_level_names_rule() {
        let src = r#"package p

var A = 1
var (
	B, C int
	_ = x
)
const D = "d"
const (
	E = iota
	F
)
type G = int
var A = 2

func f() {
	var local = 1
	const lc = 2
	type la = int
}
"#;
        let f = facts(src);
        assert_eq!(
            f.top_level_names,
            ["A", "B", "C", "D", "E", "F", "G"].map(s).to_vec()
        );
        assert_eq!(f.defs.len(), 1);
        assert_eq!(f.defs[0].locals, vec![unknown("local"), unknown("lc")]);
    }

    /// Facts fields that Go never fills.
    #[test]
    fn other_fields_stay_empty() {
        let f = facts(STORE_GO);
        assert_eq!(f.parse_errors, 0);
        assert!(!f.parse_failed);
        assert!(f.namespaces.is_empty() && f.referenced_types.is_empty() && f.impls.is_empty());
        assert_eq!(f.default_export, None);
        assert!(f.defs.iter().all(|d| d.namespace.is_none()));
    }

    // --- robustness --------------------------------------------------------------------------

    /// Syntax errors: the readable definitions are still extracted.
    #[test]
    fn syntax_errors_keep_readable_defs() {
        let src = r#"package p

func broken( {
	x :=
}

type Good struct { A int }

func (s *Store) Get(
"#;
        let f = facts(src);
        assert_eq!(qnames(&f), vec!["broken", "Good", "Store.Get"]);
        assert_eq!(
            def(&f, "Good").class.as_ref().unwrap().attributes,
            vec![s("A")]
        );
        assert_eq!(def(&f, "Store.Get").attach, Some(s("Store")));
    }

    #[test]
    fn never_panics_on_broken_input() {
        let samples: Vec<&[u8]> = vec![
            b"",
            b"package",
            b"func (",
            b"func () M() {}",
            b"func (*) M() {}",
            b"type ( = ; struct { *; } )",
            b"type I interface { M(; ~ | }",
            b"import ( \"\" ` )",
            b"package p\nfunc f() { x.(; go; defer; select { case <-: } }",
            b"package \xff\xfe\nfunc \xc3(\xff \xfe) {}\n// \xff\ntype \xff struct{ \xfe int }\n",
            b"\x00\x00\x00",
        ];
        for src in samples {
            let _ = facts_bytes(src);
        }
        // Every 29th prefix of the larger test sources.
        let me = include_str!("go.rs");
        let start = me.find("func (s *Store) M(x *T").unwrap_or(0);
        let chunk = &me.as_bytes()[start..(start + 3000).min(me.len())];
        for end in (0..chunk.len()).step_by(29) {
            let _ = facts_bytes(&chunk[..end]);
        }
        let store = STORE_GO.as_bytes();
        for end in 0..store.len() {
            let _ = facts_bytes(&store[..end]);
        }
    }

    #[test]
    fn empty_file() {
        assert_eq!(facts(""), FileFacts::default());
        assert_eq!(
            facts("package p\n"),
            FileFacts {
                package: Some(s("p")),
                ..FileFacts::default()
            }
        );
    }

    /// Invalid UTF-8 is decoded lossily.
    #[test]
    fn non_utf8_bytes() {
        let src = b"package p\n\n// Doc \xff.\nfunc F\xe9(a \xfeT) { s\xff.M() }\nfunc G(x struct{ A int \"\xff\" }) {}\n";
        let f = facts_bytes(src);
        // The grammar splits invalid bytes off into ERROR nodes; text is decoded lossily.
        assert_eq!(qnames(&f), vec!["F", "G"]);
        assert_eq!(f.defs[0].docstring, Some(s("Doc \u{fffd}.")));
        assert_eq!(
            f.defs[0].function.as_ref().unwrap().parameters,
            vec![p("a", "T")]
        );
        assert_eq!(
            f.defs[1].function.as_ref().unwrap().parameters,
            vec![p("x", "struct{ A int \"\u{fffd}\" }")]
        );
        assert_eq!(f.calls, vec![call(Some(0), member(ident("s"), "M"), 4)]);
    }

    /// 10,000 nested blocks, a 20,000-operand expression, deep parentheses, selector chains
    /// and nested types, on a small stack.
    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 10_000;
        let blocks = format!(
            "package p\n\nfunc f() {{\n{}if a && b {{ g() }}\n{}}}\n",
            "{".repeat(depth),
            "}".repeat(depth)
        );
        let sum = vec!["1"; 20_000].join(" + ");
        let parens = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
        let chain = format!("a{}.f()", ".b".repeat(depth));
        let ty = format!("{}T", "[]*".repeat(depth));
        let exprs = format!(
            "package p\n\nfunc h(x {ty}) {{\n\t_ = {sum}\n\t_ = {parens}\n\t{chain}\n\tvar y {ty}\n\t_ = y || z\n}}\n"
        );
        let (fb, fe) = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || (facts(&blocks), facts(&exprs)))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(fb.defs[0].complexity, 3);
        assert_eq!(fb.calls, vec![call(Some(0), bare("g"), 4)]);
        assert_eq!(fe.defs[0].complexity, 2);
        assert_eq!(
            fe.type_refs,
            vec![tref(Some(0), "T", 3), tref(Some(0), "T", 7)]
        );
        assert_eq!(fe.calls.len(), 1);
        match &fe.calls[0].callee {
            Callee::Member {
                receiver: Receiver::Path(parts),
                name,
            } => assert_eq!((parts.len(), name.as_str()), (depth + 1, "f")),
            other => panic!("unexpected callee {other:?}"),
        }
    }
}
