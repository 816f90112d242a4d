//! Python extractor: a tree-sitter-python syntax tree in, [`FileFacts`] out (`indexer.md` §5–§7,
//! §13.1; `mubase.md` §7.2, §7.3, §11).
//!
//! The tree is walked once, iteratively (a [`tree_sitter::TreeCursor`] plus explicit scope
//! stacks, so deeply nested expressions cannot overflow the stack). Small, bounded sub-walks are
//! done for parameters, decorators, import statements, docstrings and type annotations.
//!
//! Scoping rules:
//! * every `class_definition` / `function_definition` with a name is a [`Def`] (decorators
//!   unwrapped, `line_start` includes them); `lambda` never is;
//! * a function's scope covers its parameters, annotations and body; a class's scope covers its
//!   body only, so base-class expressions (`class A(make_base()):`) and decorator expressions
//!   belong to the enclosing scope;
//! * lambdas and comprehensions are transparent: their calls, complexity and type references
//!   belong to the nearest enclosing named definition.
//!
//! Other choices:
//! * a call site's `line` is the line of the callee's name (the attribute for `a.b(…)`), so that
//!   each call of a multi-line chain `qs.filter(…)\n  .order_by(…)` gets its own line;
//! * `C(…).f()` gives `Receiver::NewOf("C")` whenever the inner callee is an identifier or a
//!   dotted name (the resolver decides whether it names a class); `super(…).f()` is
//!   `SuperMember`; `self.a.b.f()` is `Receiver::Other`;
//! * `@overload` / `@typing.overload` stubs get `has_body = false` and complexity 0 (§5.3: the
//!   implementation provides lines, parameters and docstring); every other def has a body;
//! * `is_constructor` needs `__init__` to be a method; constructors get `return_type = None`
//!   (`mubase.md` §7.3) while their annotation still yields type references;
//! * dynamic imports also accept a bare `import_module("x")` (`from importlib import
//!   import_module`); relative literals (`".x"`, resolved against the `package` argument) are
//!   skipped;
//! * `Literal[…]` arguments and `Annotated[T, …]` metadata are not type references; `None` is
//!   never one.
//!
//! Local typing (`Def::locals`, `indexer.md` §7), in source order:
//! * a typed parameter gives `Declared(type)` (not `*args: T` / `**kw: T`, whose local is a
//!   tuple / dict); `x: T [= …]` gives `Declared(T)`;
//! * `x = C(…)`, `x = a.b.C(…)`, `(x := C(…))` give `Ctor("C")` / `Ctor("a.b.C")`;
//! * any other binding of a plain name (other right-hand sides, augmented assignment, tuple
//!   targets, `for` targets, `with … as x`, `except … as x`) gives `Unknown`;
//! * only the first binding of a name is recorded as such; a later binding adds one `Unknown`
//!   entry (once); an untyped or variadic parameter that is also assigned from a constructor gets
//!   a trailing `Unknown` when the function ends.
//!
//! **The resolver must treat a name with more than one entry, or with an `Unknown` entry, as of
//! unknown type**; a single `Ctor` or `Declared` entry is the name's type. Declared type texts of
//! the form `"T"` (string annotations) are stored unquoted (`T`) in `locals` and `field_types`;
//! `Param::type_` keeps the annotation as written.

use std::borrow::Cow;
use std::collections::HashSet;

use tree_sitter::{Node, Tree};

use super::common::{
    bytes, clean_docstring, cut_chars, first_named, line_end, line_start, named_children,
    normalize_ws, text,
};
use crate::index::facts::{
    Base, CallSite, Callee, ClassInfo, ClassKind, Def, DefIdx, DefKind, FileFacts, FunctionInfo,
    Import, ImportKind, ImportedName, LocalTy, LocalType, Param, Receiver, Relation, TypeRef,
};

/// Extract the facts of one Python file. `parse_errors` is left at 0 (the caller fills it in).
pub fn extract(tree: &Tree, src: &[u8]) -> FileFacts {
    let root = tree.root_node();
    let mut ex = Extractor {
        src,
        facts: FileFacts::default(),
        scopes: Vec::new(),
        tc_blocks: Vec::new(),
        pending_decorated: None,
        skip_if_clause: None,
        pending_class_body: None,
        top_names: HashSet::new(),
    };
    ex.facts.docstring = block_docstring(root, src);
    ex.walk(root);
    ex.facts
}

/// An open definition scope.
#[derive(Clone, Copy)]
struct Scope {
    /// The scope ends when the walk leaves the node with this id (the function node, or the
    /// class body).
    end_id: usize,
    idx: usize,
    is_class: bool,
    /// Byte range of the first parameter's name of a (non-static) method: the self-like
    /// receiver (`self`, `cls`).
    self_range: Option<(usize, usize)>,
}

struct Extractor<'s, 't> {
    src: &'s [u8],
    facts: FileFacts,
    scopes: Vec<Scope>,
    /// Ids of the then-blocks of `if TYPE_CHECKING:` statements the walk is inside.
    tc_blocks: Vec<usize>,
    /// The `decorated_definition` whose definition has not been entered yet.
    pending_decorated: Option<Node<'t>>,
    /// The `if_clause` guard of a `case_clause` (counted with the case, not as a comprehension
    /// `if`).
    skip_if_clause: Option<usize>,
    /// The body (node id) and def index of a class whose scope opens when its body is entered.
    pending_class_body: Option<(usize, usize)>,
    top_names: HashSet<String>,
}

// ---------------------------------------------------------------------------------------------
// Small node helpers (all bounds-checked: never index out of range).

/// `a.b.c` built from an `identifier` / `attribute` chain of identifiers; `None` for anything
/// else (calls, subscripts, …).
fn dotted_text(n: Node, src: &[u8]) -> Option<String> {
    let mut parts: Vec<Node> = Vec::with_capacity(4);
    if !dotted_nodes(n, &mut parts) {
        return None;
    }
    Some(join_texts(&parts, src))
}

/// Identifier nodes of a dotted chain (outermost first); false if `n` is not one.
fn dotted_nodes<'t>(mut n: Node<'t>, out: &mut Vec<Node<'t>>) -> bool {
    out.clear();
    loop {
        match n.kind() {
            "identifier" => {
                out.push(n);
                out.reverse();
                return true;
            }
            "attribute" => {
                let (Some(obj), Some(attr)) = (
                    n.child_by_field_name("object"),
                    n.child_by_field_name("attribute"),
                ) else {
                    return false;
                };
                out.push(attr);
                n = obj;
            }
            _ => return false,
        }
    }
}

fn join_texts(parts: &[Node], src: &[u8]) -> String {
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.push_str(&text(*p, src));
    }
    s
}

/// Text of a `dotted_name` node (`a.b.c`), built from its identifiers.
fn dotted_name_text(n: Node, src: &[u8]) -> String {
    if n.kind() != "dotted_name" {
        return normalize_ws(&text(n, src));
    }
    let mut cursor = n.walk();
    let mut s = String::new();
    for c in n.named_children(&mut cursor) {
        if c.kind() == "identifier" {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(&text(c, src));
        }
    }
    s
}

/// A name inside a type expression: identifier, dotted attribute chain, or `member_type`
/// (`type . identifier`).
fn type_name_text(n: Node, src: &[u8]) -> Option<String> {
    match n.kind() {
        "identifier" | "attribute" => dotted_text(n, src),
        "type" => {
            let children = named_children(n);
            match children.as_slice() {
                [only] => type_name_text(*only, src),
                _ => None,
            }
        }
        "member_type" => {
            let children = named_children(n);
            match children.as_slice() {
                [head, last] if last.kind() == "identifier" => {
                    let mut s = type_name_text(*head, src)?;
                    s.push('.');
                    s.push_str(&text(*last, src));
                    Some(s)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The content of a plain string literal (no f/t-string, no interpolation), between the quotes,
/// as written (escapes not decoded).
fn plain_string_content<'a>(n: Node, src: &'a [u8]) -> Option<Cow<'a, str>> {
    if n.kind() != "string" {
        return None;
    }
    let mut cursor = n.walk();
    let mut start = None;
    let mut end = n.end_byte();
    for c in n.children(&mut cursor) {
        match c.kind() {
            "string_start" => {
                let prefix = bytes(c, src);
                if prefix
                    .iter()
                    .any(|b| matches!(b, b'f' | b'F' | b't' | b'T'))
                {
                    return None;
                }
                start = Some(c.end_byte());
            }
            "interpolation" => return None,
            "string_end" => end = c.start_byte(),
            _ => {}
        }
    }
    let start = start?;
    if start > end {
        return None;
    }
    src.get(start..end).map(String::from_utf8_lossy)
}

/// Docstring of a module or a block: its first statement, when it is a string literal.
fn block_docstring(block: Node, src: &[u8]) -> Option<String> {
    let stmt = first_named(block)?;
    if stmt.kind() != "expression_statement" {
        return None;
    }
    let children = named_children(stmt);
    let [expr] = children.as_slice() else {
        return None;
    };
    match expr.kind() {
        "string" => clean_docstring(&plain_string_content(*expr, src)?),
        "concatenated_string" => {
            let mut raw = String::new();
            for part in named_children(*expr) {
                raw.push_str(&plain_string_content(part, src)?);
            }
            clean_docstring(&raw)
        }
        _ => None,
    }
}

/// Decorator name: dotted name without `@` and arguments (`app.route`, `functools.wraps`).
fn decorator_name(dec: Node, src: &[u8]) -> Option<String> {
    let mut e = first_named(dec)?;
    while e.kind() == "call" {
        e = e.child_by_field_name("function")?;
    }
    Some(dotted_text(e, src).unwrap_or_else(|| cut_chars(&normalize_ws(&text(e, src)), 100)))
}

/// `"T"` / `'T'` -> `T` (string annotations), anything else unchanged.
fn unquote_type(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        let q = b[0] as char;
        s.trim_matches(q).trim()
    } else {
        s
    }
}

/// Class text for a constructor-like call `C(…)` / `a.b.C(…)`.
fn ctor_text(value: Node, src: &[u8]) -> Option<String> {
    if value.kind() != "call" {
        return None;
    }
    dotted_text(value.child_by_field_name("function")?, src)
}

/// Leaves of an assignment-like target (`a`, `a, b`, `(a, *b)`, `[a, self.x]`): identifiers and
/// attributes, in source order.
fn target_leaves<'t>(target: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![target];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "identifier" | "attribute" => out.push(n),
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "expression_list"
            | "parenthesized_expression"
            | "list_splat_pattern"
            | "list_splat"
            | "as_pattern_target" => {
                let children = named_children(n);
                stack.extend(children.into_iter().rev());
            }
            _ => {}
        }
    }
    out
}

fn is_type_checking(cond: Node, src: &[u8]) -> bool {
    match cond.kind() {
        "identifier" => bytes(cond, src) == b"TYPE_CHECKING",
        "attribute" => cond
            .child_by_field_name("attribute")
            .is_some_and(|a| bytes(a, src) == b"TYPE_CHECKING"),
        _ => false,
    }
}

/// `case _:` (a lone wildcard pattern).
fn is_wildcard_case(case: Node, src: &[u8]) -> bool {
    let mut cursor = case.walk();
    let mut patterns = case
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "case_pattern");
    match (patterns.next(), patterns.next()) {
        (Some(p), None) => bytes(p, src) == b"_",
        _ => false,
    }
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Dotted names in the text of a string annotation (`"Optional[models.Order]"` -> `Optional`,
/// `models.Order`), with their line offsets. `None`/`True`/`False` are skipped, and so are the
/// arguments of `Literal[…]`.
fn scan_type_names(s: &str) -> Vec<(&str, u32)> {
    let mut out = Vec::new();
    let mut line = 0u32;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c == '\n' {
            line += 1;
        } else if c.is_ascii_digit() {
            while it
                .peek()
                .is_some_and(|&(_, d)| is_ident_char(d) || d == '.')
            {
                it.next();
            }
        } else if is_ident_char(c) {
            let mut end = i + c.len_utf8();
            loop {
                match it.peek() {
                    Some(&(j, d)) if is_ident_char(d) => {
                        end = j + d.len_utf8();
                        it.next();
                    }
                    Some(&(j, '.')) => {
                        // Continue only when an identifier follows the dot.
                        let next = s[j + 1..].chars().next();
                        if next.is_some_and(|d| is_ident_char(d) && !d.is_ascii_digit()) {
                            it.next();
                        } else {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            let name = &s[i..end];
            if matches!(name, "None" | "True" | "False") {
                continue;
            }
            let last = name.rsplit('.').next().unwrap_or(name);
            out.push((name, line));
            if last == "Literal" {
                // Skip the bracketed arguments.
                while it.peek().is_some_and(|&(_, d)| d == ' ' || d == '\t') {
                    it.next();
                }
                if it.peek().is_some_and(|&(_, d)| d == '[') {
                    let mut depth = 0u32;
                    for (_, d) in it.by_ref() {
                        match d {
                            '[' => depth += 1,
                            ']' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            '\n' => line += 1,
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------

impl<'s, 't> Extractor<'s, 't> {
    fn walk(&mut self, root: Node<'t>) {
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            let descend = node.is_named() && self.enter(node);
            if descend && cursor.goto_first_child() {
                continue;
            }
            loop {
                self.leave(cursor.node());
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
            }
        }
    }

    fn leave(&mut self, node: Node<'t>) {
        let id = node.id();
        if self.scopes.last().is_some_and(|s| s.end_id == id) {
            if let Some(scope) = self.scopes.pop() {
                self.finish_def(scope.idx);
            }
        }
        if self.tc_blocks.last() == Some(&id) {
            self.tc_blocks.pop();
        }
    }

    /// Handle a named node on the way down; returns whether to descend into it.
    fn enter(&mut self, node: Node<'t>) -> bool {
        if let Some((body_id, idx)) = self.pending_class_body {
            if body_id == node.id() {
                self.pending_class_body = None;
                self.scopes.push(Scope {
                    end_id: body_id,
                    idx,
                    is_class: true,
                    self_range: None,
                });
            }
        }
        match node.kind() {
            "function_definition" => self.enter_function(node),
            "class_definition" => self.enter_class(node),
            "decorated_definition" => self.pending_decorated = Some(node),
            "call" => self.on_call(node),
            "assignment" => self.on_assignment(node, false),
            "augmented_assignment" => self.on_assignment(node, true),
            "named_expression" => self.on_named_expression(node),
            "as_pattern" => {
                if let Some(alias) = node.child_by_field_name("alias") {
                    self.bind_unknown(alias);
                }
            }
            "if_statement" => {
                self.bump();
                if let (Some(cond), Some(then)) = (
                    node.child_by_field_name("condition"),
                    node.child_by_field_name("consequence"),
                ) {
                    if is_type_checking(cond, self.src) {
                        self.tc_blocks.push(then.id());
                    }
                }
            }
            "for_statement" => {
                self.bump();
                if let Some(left) = node.child_by_field_name("left") {
                    self.bind_unknown(left);
                }
            }
            "elif_clause"
            | "while_statement"
            | "except_clause"
            | "with_statement"
            | "assert_statement"
            | "conditional_expression"
            | "boolean_operator"
            | "for_in_clause" => self.bump(),
            "if_clause" => {
                if self.skip_if_clause == Some(node.id()) {
                    self.skip_if_clause = None;
                } else {
                    self.bump();
                }
            }
            "case_clause" => {
                if let Some(guard) = node.child_by_field_name("guard") {
                    self.skip_if_clause = Some(guard.id());
                    self.bump();
                } else if !is_wildcard_case(node, self.src) {
                    self.bump();
                }
            }
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                self.on_import(node);
                return false;
            }
            "comment" => return false,
            _ => {}
        }
        true
    }

    // --- scopes ------------------------------------------------------------------------------

    fn cur(&self) -> Option<Scope> {
        self.scopes.last().copied()
    }

    fn cur_idx(&self) -> Option<DefIdx> {
        self.scopes.last().map(|s| s.idx as DefIdx)
    }

    /// One decision point for the nearest enclosing function (classes and the module have 0).
    fn bump(&mut self) {
        if let Some(s) = self.scopes.last() {
            if !s.is_class {
                if let Some(d) = self.facts.defs.get_mut(s.idx) {
                    if d.has_body {
                        d.complexity += 1;
                    }
                }
            }
        }
    }

    /// Whether `n` is the self-like receiver of the current method.
    fn is_self(&self, n: Node) -> bool {
        if n.kind() != "identifier" {
            return false;
        }
        match self.scopes.last().and_then(|s| s.self_range) {
            Some((a, b)) => self.src.get(a..b).is_some_and(|s| s == bytes(n, self.src)),
            None => false,
        }
    }

    /// Decorators, first line and the decorated node of a definition being entered.
    fn take_decorations(&mut self, node: Node<'t>) -> (Vec<String>, u32) {
        match self.pending_decorated.take() {
            Some(dd)
                if dd
                    .child_by_field_name("definition")
                    .is_some_and(|d| d.id() == node.id()) =>
            {
                let mut cursor = dd.walk();
                let decorators = dd
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "decorator")
                    .filter_map(|c| decorator_name(c, self.src))
                    .collect();
                (decorators, line_start(dd))
            }
            other => {
                self.pending_decorated = other;
                (Vec::new(), line_start(node))
            }
        }
    }

    fn qname_for(&self, parent: Option<usize>, name: &str) -> String {
        match parent.and_then(|p| self.facts.defs.get(p)) {
            Some(p) => {
                let mut q = String::with_capacity(p.qname.len() + 1 + name.len());
                q.push_str(&p.qname);
                q.push('.');
                q.push_str(name);
                q
            }
            None => name.to_string(),
        }
    }

    fn enter_function(&mut self, node: Node<'t>) {
        let src = self.src;
        let name = match node.child_by_field_name("name") {
            Some(n) => text(n, src).into_owned(),
            None => String::new(),
        };
        if name.is_empty() {
            return; // Unnamed (error recovery): transparent.
        }
        let (decorators, first_line) = self.take_decorations(node);
        let parent = self.cur();
        let is_method = parent.is_some_and(|p| p.is_class);
        let is_async = node.child(0).is_some_and(|c| c.kind() == "async");
        let is_static = decorators.iter().any(|d| d == "staticmethod");
        let is_classmethod = decorators.iter().any(|d| d == "classmethod");
        let is_property = decorators.iter().any(|d| {
            d == "property"
                || d.ends_with(".setter")
                || d.ends_with(".getter")
                || d.ends_with(".deleter")
        });
        let is_overload = decorators
            .iter()
            .any(|d| d == "overload" || d.ends_with(".overload"));
        let is_constructor = is_method && name == "__init__";
        let body = node.child_by_field_name("body");
        let has_body = body.is_some() && !is_overload;

        let idx = self.facts.defs.len();
        let owner = Some(idx as DefIdx);

        // Parameters (with their annotations' type references, in source order).
        let mut parameters = Vec::new();
        let mut locals = Vec::new();
        let mut self_range = None;
        if let Some(params) = node.child_by_field_name("parameters") {
            for (i, p) in named_children(params).into_iter().enumerate() {
                let Some((param, name_node, ty)) = self.param(p) else {
                    continue;
                };
                if i == 0 && is_method && !is_static {
                    if let Some(n) = name_node {
                        self_range = Some((n.start_byte(), n.end_byte()));
                    }
                }
                if let Some(ty) = ty {
                    self.type_refs(ty, owner);
                }
                if let Some(t) = &param.type_ {
                    if !param.variadic && !param.keyword {
                        locals.push(LocalType {
                            name: param.name.clone(),
                            ty: LocalTy::Declared(unquote_type(t).to_string()),
                        });
                    }
                }
                parameters.push(param);
            }
        }
        let mut return_type = None;
        if let Some(rt) = node.child_by_field_name("return_type") {
            self.type_refs(rt, owner);
            if !is_constructor {
                return_type = Some(normalize_ws(&text(rt, src)));
            }
        }
        let docstring = body.and_then(|b| block_docstring(b, src));
        let qname = self.qname_for(parent.map(|p| p.idx), &name);
        self.facts.defs.push(Def {
            kind: DefKind::Function,
            name,
            qname,
            parent: parent.map(|p| p.idx as DefIdx),
            line_start: first_line,
            line_end: line_end(node),
            complexity: u32::from(has_body),
            has_body,
            decorators,
            visibility: None,
            docstring,
            class: None,
            function: Some(FunctionInfo {
                is_method,
                is_async,
                is_static,
                is_classmethod,
                is_property,
                is_constructor,
                parameters,
                return_type,
                receiver: None,
            }),
            locals,
            attach: None,
            namespace: None,
        });
        self.scopes.push(Scope {
            end_id: node.id(),
            idx,
            is_class: false,
            self_range,
        });
    }

    /// One parameter: the `Param`, its name node (plain names only) and its annotation.
    fn param(&self, p: Node<'t>) -> Option<(Param, Option<Node<'t>>, Option<Node<'t>>)> {
        let src = self.src;
        let mut param = Param::default();
        let mut name_node = None;
        let mut ty = None;
        let mut target = p;
        match p.kind() {
            "identifier" | "list_splat_pattern" | "dictionary_splat_pattern" | "tuple_pattern" => {}
            "typed_parameter" => {
                ty = p.child_by_field_name("type");
                target = named_children(p).into_iter().find(|c| c.kind() != "type")?;
            }
            "default_parameter" | "typed_default_parameter" => {
                ty = p.child_by_field_name("type");
                target = p.child_by_field_name("name")?;
                if let Some(v) = p.child_by_field_name("value") {
                    param.default = Some(cut_chars(&normalize_ws(&text(v, src)), 100));
                }
            }
            _ => return None, // `*` / `/` separators, errors.
        }
        match target.kind() {
            "identifier" => {
                param.name = text(target, src).into_owned();
                name_node = Some(target);
            }
            "list_splat_pattern" | "dictionary_splat_pattern" => {
                param.variadic = target.kind() == "list_splat_pattern";
                param.keyword = !param.variadic;
                param.name = match first_named(target) {
                    Some(n) => text(n, src).into_owned(),
                    None => text(target, src).trim_start_matches('*').to_string(),
                };
            }
            _ => param.name = normalize_ws(&text(target, src)),
        }
        if param.name.is_empty() {
            return None;
        }
        param.type_ = ty.map(|t| normalize_ws(&text(t, src)));
        Some((param, name_node, ty))
    }

    fn enter_class(&mut self, node: Node<'t>) {
        let src = self.src;
        let name = match node.child_by_field_name("name") {
            Some(n) => text(n, src).into_owned(),
            None => String::new(),
        };
        if name.is_empty() {
            return;
        }
        let (decorators, first_line) = self.take_decorations(node);
        let parent = self.cur();
        let mut bases = Vec::new();
        if let Some(args) = node.child_by_field_name("superclasses") {
            for a in named_children(args) {
                if matches!(
                    a.kind(),
                    "keyword_argument" | "list_splat" | "dictionary_splat"
                ) {
                    continue;
                }
                let mut b = a;
                while b.kind() == "subscript" {
                    match b.child_by_field_name("value") {
                        Some(v) => b = v,
                        None => break,
                    }
                }
                let text = dotted_text(b, src).unwrap_or_else(|| normalize_ws(&text(b, src)));
                if !text.is_empty() {
                    bases.push(Base {
                        text,
                        relation: Relation::Extends,
                        line: line_start(a),
                    });
                }
            }
        }
        let body = node.child_by_field_name("body");
        let docstring = body.and_then(|b| block_docstring(b, src));
        let idx = self.facts.defs.len();
        let qname = self.qname_for(parent.map(|p| p.idx), &name);
        self.facts.defs.push(Def {
            kind: DefKind::Class,
            name,
            qname,
            parent: parent.map(|p| p.idx as DefIdx),
            line_start: first_line,
            line_end: line_end(node),
            complexity: 0,
            has_body: body.is_some(),
            decorators,
            visibility: None,
            docstring,
            class: Some(ClassInfo {
                kind: ClassKind::Class,
                bases,
                attributes: Vec::new(),
                field_types: Vec::new(),
            }),
            function: None,
            locals: Vec::new(),
            attach: None,
            namespace: None,
        });
        // The class scope opens when the walk enters the body (base-class expressions belong
        // to the enclosing scope).
        self.pending_class_body = body.map(|b| (b.id(), idx));
    }

    /// Leaving a function: an untyped (or variadic) parameter also assigned from a
    /// constructor is not of that constructor's type everywhere; mark it unknown.
    fn finish_def(&mut self, idx: usize) {
        let Some(def) = self.facts.defs.get_mut(idx) else {
            return;
        };
        let Some(f) = &def.function else {
            return;
        };
        let mut extra = Vec::new();
        for l in &def.locals {
            if matches!(l.ty, LocalTy::Ctor(_))
                && f.parameters
                    .iter()
                    .any(|p| p.name == l.name && (p.type_.is_none() || p.variadic || p.keyword))
                && !def
                    .locals
                    .iter()
                    .any(|o| o.name == l.name && o.ty == LocalTy::Unknown)
            {
                extra.push(LocalType {
                    name: l.name.clone(),
                    ty: LocalTy::Unknown,
                });
            }
        }
        def.locals.extend(extra);
    }

    // --- bindings ----------------------------------------------------------------------------

    /// Record a local binding of the current function (see the module docs for the rules).
    fn add_local(&mut self, idx: usize, name: String, ty: LocalTy) {
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

    fn add_attribute(&mut self, class_idx: usize, name: &str) {
        if let Some(c) = self
            .facts
            .defs
            .get_mut(class_idx)
            .and_then(|d| d.class.as_mut())
        {
            if !c.attributes.iter().any(|a| a == name) {
                c.attributes.push(name.to_string());
            }
        }
    }

    fn add_field_type(&mut self, class_idx: usize, name: &str, ty: &str) {
        if let Some(c) = self
            .facts
            .defs
            .get_mut(class_idx)
            .and_then(|d| d.class.as_mut())
        {
            if !c.field_types.iter().any(|(n, _)| n == name) {
                c.field_types
                    .push((name.to_string(), unquote_type(ty).to_string()));
            }
        }
    }

    /// Bindings whose type is unknown (`for` targets, `as` targets, tuple targets).
    fn bind_unknown(&mut self, target: Node<'t>) {
        let Some(scope) = self.cur() else {
            return;
        };
        if scope.is_class {
            return;
        }
        for leaf in target_leaves(target) {
            if leaf.kind() == "identifier" {
                let name = text(leaf, self.src).into_owned();
                self.add_local(scope.idx, name, LocalTy::Unknown);
            }
        }
    }

    fn on_named_expression(&mut self, node: Node<'t>) {
        let Some(scope) = self.cur() else {
            return;
        };
        if scope.is_class {
            return;
        }
        let Some(name) = node.child_by_field_name("name") else {
            return;
        };
        let ty = node
            .child_by_field_name("value")
            .and_then(|v| ctor_text(v, self.src))
            .map_or(LocalTy::Unknown, LocalTy::Ctor);
        let name = text(name, self.src).into_owned();
        self.add_local(scope.idx, name, ty);
    }

    fn on_assignment(&mut self, node: Node<'t>, augmented: bool) {
        let src = self.src;
        let Some(left) = node.child_by_field_name("left") else {
            return;
        };
        let ty = if augmented {
            None
        } else {
            node.child_by_field_name("type")
        };
        let mut value = node.child_by_field_name("right");
        while let Some(v) = value {
            if v.kind() == "assignment" {
                value = v.child_by_field_name("right");
            } else {
                break;
            }
        }
        let scope = self.cur();
        if let Some(ty) = ty {
            self.type_refs(ty, scope.map(|s| s.idx as DefIdx));
        }
        let ty_text = ty.map(|t| normalize_ws(&text(t, src)));
        match scope {
            None => {
                if augmented || value.is_none() {
                    return;
                }
                for leaf in target_leaves(left) {
                    if leaf.kind() == "identifier" {
                        let name = text(leaf, src);
                        if name != "__all__" && !self.top_names.contains(name.as_ref()) {
                            self.top_names.insert(name.to_string());
                            self.facts.top_level_names.push(name.into_owned());
                        }
                    }
                }
            }
            Some(s) if s.is_class => {
                for leaf in target_leaves(left) {
                    if leaf.kind() == "identifier" {
                        let name = text(leaf, src);
                        self.add_attribute(s.idx, &name);
                        if let (Some(t), "identifier") = (&ty_text, left.kind()) {
                            self.add_field_type(s.idx, &name, t);
                        }
                    }
                }
            }
            Some(s) => {
                if left.kind() == "identifier" {
                    let local_ty = if let Some(t) = &ty_text {
                        LocalTy::Declared(unquote_type(t).to_string())
                    } else if augmented {
                        LocalTy::Unknown
                    } else {
                        value
                            .and_then(|v| ctor_text(v, src))
                            .map_or(LocalTy::Unknown, LocalTy::Ctor)
                    };
                    let name = text(left, src).into_owned();
                    self.add_local(s.idx, name, local_ty);
                } else if left.kind() == "attribute" {
                    self.self_attribute(s, left, ty_text.as_deref(), value);
                } else {
                    for leaf in target_leaves(left) {
                        if leaf.kind() == "identifier" {
                            let name = text(leaf, src).into_owned();
                            self.add_local(s.idx, name, LocalTy::Unknown);
                        } else {
                            self.self_attribute(s, leaf, None, None);
                        }
                    }
                }
            }
        }
    }

    /// `self.x = …` / `self.x: T = …` in a method: attribute `x` of the class, with its field
    /// type when declared, or when the constructor assigns it from a typed parameter.
    fn self_attribute(
        &mut self,
        scope: Scope,
        target: Node<'t>,
        ty: Option<&str>,
        value: Option<Node<'t>>,
    ) {
        let src = self.src;
        if target.kind() != "attribute" {
            return;
        }
        let (Some(obj), Some(attr)) = (
            target.child_by_field_name("object"),
            target.child_by_field_name("attribute"),
        ) else {
            return;
        };
        if !self.is_self(obj) {
            return;
        }
        let Some(def) = self.facts.defs.get(scope.idx) else {
            return;
        };
        let Some(class_idx) = def.parent.map(|p| p as usize) else {
            return;
        };
        let name = text(attr, src);
        let mut field_ty: Option<String> = ty.map(str::to_string);
        if field_ty.is_none() {
            if let (Some(f), Some(v)) = (&def.function, value) {
                if f.is_constructor && v.kind() == "identifier" {
                    let vname = text(v, src);
                    field_ty = f
                        .parameters
                        .iter()
                        .find(|p| p.name == vname && !p.variadic && !p.keyword)
                        .and_then(|p| p.type_.clone());
                }
            }
        }
        self.add_attribute(class_idx, &name);
        if let Some(t) = field_ty {
            self.add_field_type(class_idx, &name, &t);
        }
    }

    // --- imports -----------------------------------------------------------------------------

    fn on_import(&mut self, node: Node<'t>) {
        let src = self.src;
        let line = line_start(node);
        let type_only = !self.tc_blocks.is_empty();
        let mut cursor = node.walk();
        if node.kind() == "import_statement" {
            let names: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
            for n in names {
                let (module, alias) = if n.kind() == "aliased_import" {
                    (
                        n.child_by_field_name("name"),
                        n.child_by_field_name("alias")
                            .map(|a| text(a, src).into_owned()),
                    )
                } else {
                    (Some(n), None)
                };
                let Some(module) = module else { continue };
                let specifier = dotted_name_text(module, src);
                if specifier.is_empty() {
                    continue;
                }
                self.facts.imports.push(Import {
                    specifier,
                    kind: ImportKind::PyImport,
                    names: Vec::new(),
                    alias,
                    line,
                    type_only,
                    dynamic: false,
                    reexport: false,
                    is_static: false,
                    scope: Vec::new(),
                    path_attr: None,
                });
            }
            return;
        }
        let specifier = if node.kind() == "future_import_statement" {
            "__future__".to_string()
        } else {
            match node.child_by_field_name("module_name") {
                Some(m) if m.kind() == "relative_import" => {
                    let mut s = String::new();
                    for c in named_children(m) {
                        match c.kind() {
                            "import_prefix" => {
                                s.extend(text(c, src).chars().filter(|ch| !ch.is_whitespace()))
                            }
                            "dotted_name" => s.push_str(&dotted_name_text(c, src)),
                            _ => {}
                        }
                    }
                    s
                }
                Some(m) => dotted_name_text(m, src),
                None => return,
            }
        };
        if specifier.is_empty() {
            return;
        }
        let mut names = Vec::new();
        let children: Vec<Node> = node.children_by_field_name("name", &mut cursor).collect();
        for n in children {
            let (name, local) = if n.kind() == "aliased_import" {
                let Some(name) = n.child_by_field_name("name") else {
                    continue;
                };
                let name = dotted_name_text(name, src);
                let local = match n.child_by_field_name("alias") {
                    Some(a) => text(a, src).into_owned(),
                    None => name.clone(),
                };
                (name, local)
            } else {
                let name = dotted_name_text(n, src);
                (name.clone(), name)
            };
            if !name.is_empty() {
                names.push(ImportedName {
                    name,
                    local,
                    type_only: false,
                });
            }
        }
        if named_children(node)
            .iter()
            .any(|c| c.kind() == "wildcard_import")
        {
            names.push(ImportedName {
                name: "*".to_string(),
                local: "*".to_string(),
                type_only: false,
            });
        }
        self.facts.imports.push(Import {
            specifier,
            kind: ImportKind::PyFrom,
            names,
            alias: None,
            line,
            type_only,
            dynamic: false,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        });
    }

    /// `importlib.import_module("x.y")`, `import_module("x.y")`, `__import__("x")` with a
    /// string literal (relative specifiers, which need the `package` argument, are skipped).
    fn dynamic_import(&mut self, call: Node<'t>, func: Node<'t>) {
        let src = self.src;
        let is_dynamic = match func.kind() {
            "identifier" => matches!(bytes(func, src), b"__import__" | b"import_module"),
            "attribute" => dotted_text(func, src).as_deref() == Some("importlib.import_module"),
            _ => false,
        };
        if !is_dynamic {
            return;
        }
        let Some(arg) = call
            .child_by_field_name("arguments")
            .and_then(|a| first_named(a))
        else {
            return;
        };
        let Some(spec) = plain_string_content(arg, src) else {
            return;
        };
        let spec = spec.trim();
        if spec.is_empty() || spec.starts_with('.') {
            return;
        }
        self.facts.imports.push(Import {
            specifier: spec.to_string(),
            kind: ImportKind::PyImport,
            names: Vec::new(),
            alias: None,
            line: line_start(call),
            type_only: !self.tc_blocks.is_empty(),
            dynamic: true,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        });
    }

    // --- calls -------------------------------------------------------------------------------

    fn on_call(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(func) = node.child_by_field_name("function") else {
            return;
        };
        self.dynamic_import(node, func);
        let (callee, name_node) = match func.kind() {
            "identifier" => (Callee::Bare(text(func, src).into_owned()), func),
            "attribute" => {
                let (Some(obj), Some(attr)) = (
                    func.child_by_field_name("object"),
                    func.child_by_field_name("attribute"),
                ) else {
                    return;
                };
                let name = text(attr, src).into_owned();
                let callee = match obj.kind() {
                    "identifier" if self.is_self(obj) => Callee::SelfMember(name),
                    "identifier" => Callee::Member {
                        receiver: Receiver::Ident(text(obj, src).into_owned()),
                        name,
                    },
                    "call" => {
                        let inner = obj.child_by_field_name("function");
                        if inner.is_some_and(|f| bytes(f, src) == b"super") {
                            Callee::SuperMember(name)
                        } else {
                            let receiver = inner
                                .and_then(|f| dotted_text(f, src))
                                .map_or(Receiver::Other, Receiver::NewOf);
                            Callee::Member { receiver, name }
                        }
                    }
                    "attribute" => {
                        let mut parts = Vec::with_capacity(4);
                        let receiver = if !dotted_nodes(obj, &mut parts) {
                            Receiver::Other
                        } else if self.is_self(parts[0]) {
                            if parts.len() == 2 {
                                Receiver::SelfField(text(parts[1], src).into_owned())
                            } else {
                                Receiver::Other
                            }
                        } else {
                            Receiver::Path(
                                parts.iter().map(|p| text(*p, src).into_owned()).collect(),
                            )
                        };
                        Callee::Member { receiver, name }
                    }
                    _ => Callee::Member {
                        receiver: Receiver::Other,
                        name,
                    },
                };
                (callee, attr)
            }
            _ => return,
        };
        self.facts.calls.push(CallSite {
            caller: self.cur_idx(),
            callee,
            line: line_start(name_node),
        });
    }

    // --- type references ---------------------------------------------------------------------

    fn push_ref(&mut self, owner: Option<DefIdx>, name: String, line: u32) {
        if !name.is_empty() {
            self.facts.type_refs.push(TypeRef { owner, name, line });
        }
    }

    /// Every identifier of a type expression, generic arguments included (`dict[int, Order]`
    /// -> `dict`, `int`, `Order`), dotted names kept whole, string annotations scanned.
    /// `Literal[…]` arguments and `Annotated[T, …]` metadata are not types.
    fn type_refs(&mut self, ty: Node<'t>, owner: Option<DefIdx>) {
        let src = self.src;
        let mut stack = vec![ty];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "identifier" | "attribute" | "member_type" => {
                    if let Some(name) = type_name_text(n, src) {
                        self.push_ref(owner, name, line_start(n));
                    } else if n.kind() == "member_type" {
                        stack.extend(named_children(n).into_iter().rev());
                    }
                }
                "generic_type" | "subscript" => {
                    let children = named_children(n);
                    let (head, args): (Option<Node>, Vec<Node>) = if n.kind() == "generic_type" {
                        let head = children.first().copied();
                        let args = children
                            .iter()
                            .filter(|c| c.kind() == "type_parameter")
                            .flat_map(|tp| named_children(*tp))
                            .collect();
                        (head, args)
                    } else {
                        let head = n.child_by_field_name("value");
                        let mut cursor = n.walk();
                        let args = n.children_by_field_name("subscript", &mut cursor).collect();
                        (head, args)
                    };
                    let Some(head) = head else { continue };
                    let mut args = args;
                    match type_name_text(head, src) {
                        Some(name) => {
                            let last = name.rsplit('.').next().unwrap_or(&name);
                            match last {
                                "Literal" => args.clear(),
                                "Annotated" => args.truncate(1),
                                _ => {}
                            }
                            let line = line_start(head);
                            self.push_ref(owner, name, line);
                            stack.extend(args.into_iter().rev());
                        }
                        None => {
                            stack.extend(args.into_iter().rev());
                            stack.push(head);
                        }
                    }
                }
                "string" => {
                    if let Some(content) = plain_string_content(n, src) {
                        let base = line_start(n);
                        for (name, dl) in scan_type_names(&content) {
                            self.facts.type_refs.push(TypeRef {
                                owner,
                                name: name.to_string(),
                                line: base + dl,
                            });
                        }
                    }
                }
                "type"
                | "type_parameter"
                | "union_type"
                | "constrained_type"
                | "splat_type"
                | "binary_operator"
                | "tuple"
                | "list"
                | "expression_list"
                | "parenthesized_expression" => {
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
        extract(&parse(tree_sitter_python::LANGUAGE.into(), src), src)
    }

    fn p(name: &str, ty: Option<&str>, default: Option<&str>) -> Param {
        Param {
            name: s(name),
            type_: ty.map(s),
            default: default.map(s),
            variadic: false,
            keyword: false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fdef(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        complexity: u32,
        decorators: &[&str],
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
            decorators: decorators.iter().map(|d| s(d)).collect(),
            visibility: None,
            docstring: None,
            class: None,
            function: Some(function),
            locals,
            attach: None,
            namespace: None,
        }
    }

    fn cdef(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        bases: Vec<Base>,
        attributes: &[&str],
        field_types: &[(&str, &str)],
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
            visibility: None,
            docstring: None,
            class: Some(ClassInfo {
                kind: ClassKind::Class,
                bases,
                attributes: attributes.iter().map(|a| s(a)).collect(),
                field_types: field_types.iter().map(|(a, b)| (s(a), s(b))).collect(),
            }),
            function: None,
            locals: Vec::new(),
            attach: None,
            namespace: None,
        }
    }

    fn base(text: &str, line: u32) -> Base {
        Base {
            text: s(text),
            relation: Relation::Extends,
            line,
        }
    }

    fn imp(
        spec: &str,
        kind: ImportKind,
        names: &[(&str, &str)],
        alias: Option<&str>,
        line: u32,
        type_only: bool,
    ) -> Import {
        Import {
            specifier: s(spec),
            kind,
            names: names
                .iter()
                .map(|(n, l)| ImportedName {
                    name: s(n),
                    local: s(l),
                    type_only: false,
                })
                .collect(),
            alias: alias.map(s),
            line,
            type_only,
            dynamic: false,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        }
    }

    fn dyn_imp(spec: &str, line: u32) -> Import {
        Import {
            dynamic: true,
            ..imp(spec, ImportKind::PyImport, &[], None, line, false)
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

    fn member(receiver: Receiver, name: &str) -> Callee {
        Callee::Member {
            receiver,
            name: s(name),
        }
    }

    fn ident(x: &str) -> Receiver {
        Receiver::Ident(s(x))
    }

    fn tref(owner: Option<DefIdx>, name: &str, line: u32) -> TypeRef {
        TypeRef {
            owner,
            name: s(name),
            line,
        }
    }

    fn method() -> FunctionInfo {
        FunctionInfo {
            is_method: true,
            ..FunctionInfo::default()
        }
    }

    /// `indexer.md` §13.1.
    #[test]
    fn spec_example_pkg_a() {
        let src = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/python/pkg/a.py"
        ));
        let expected = FileFacts {
            defs: vec![
                cdef("Loader", "Loader", None, (8, 13), vec![], &[], &[]),
                fdef(
                    "load",
                    "Loader.load",
                    Some(0),
                    (9, 13),
                    1,
                    &["staticmethod"],
                    FunctionInfo {
                        is_method: true,
                        is_static: true,
                        parameters: vec![p("cfg", Some("\"Config\""), None)],
                        return_type: Some(s("int")),
                        receiver: None,
                        ..FunctionInfo::default()
                    },
                    vec![declared("cfg", "Config")],
                ),
                fdef(
                    "parse",
                    "Loader.load.parse",
                    Some(1),
                    (11, 12),
                    2,
                    &[],
                    FunctionInfo {
                        parameters: vec![p("x", None, None)],
                        ..FunctionInfo::default()
                    },
                    vec![],
                ),
            ],
            imports: vec![
                imp(
                    "typing",
                    ImportKind::PyFrom,
                    &[("TYPE_CHECKING", "TYPE_CHECKING")],
                    None,
                    1,
                    false,
                ),
                imp(
                    ".b",
                    ImportKind::PyFrom,
                    &[("helper", "helper")],
                    None,
                    2,
                    false,
                ),
                imp(
                    ".c",
                    ImportKind::PyFrom,
                    &[("Config", "Config")],
                    None,
                    5,
                    true,
                ),
            ],
            calls: vec![
                call(Some(2), bare("helper"), 12),
                call(Some(1), bare("parse"), 13),
            ],
            type_refs: vec![tref(Some(1), "Config", 10), tref(Some(1), "int", 10)],
            ..FileFacts::default()
        };
        assert_eq!(facts(src), expected);
    }

    /// `mubase.md` §11.
    #[test]
    fn spec_example_repo() {
        let src = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/python/src/shop/repo.py"
        ));
        let expected = FileFacts {
            defs: vec![
                cdef(
                    "OrderRepo",
                    "OrderRepo",
                    None,
                    (4, 14),
                    vec![],
                    &["_orders"],
                    &[("_orders", "dict[int, Order]")],
                ),
                fdef(
                    "__init__",
                    "OrderRepo.__init__",
                    Some(0),
                    (5, 6),
                    1,
                    &[],
                    FunctionInfo {
                        is_constructor: true,
                        parameters: vec![p("self", None, None)],
                        ..method()
                    },
                    vec![],
                ),
                fdef(
                    "save",
                    "OrderRepo.save",
                    Some(0),
                    (8, 11),
                    2,
                    &[],
                    FunctionInfo {
                        parameters: vec![
                            p("self", None, None),
                            p("order_id", Some("int"), None),
                            p("order", Some("Order"), None),
                        ],
                        return_type: Some(s("None")),
                        receiver: None,
                        ..method()
                    },
                    vec![declared("order_id", "int"), declared("order", "Order")],
                ),
                fdef(
                    "get",
                    "OrderRepo.get",
                    Some(0),
                    (13, 14),
                    1,
                    &[],
                    FunctionInfo {
                        parameters: vec![p("self", None, None), p("order_id", Some("int"), None)],
                        return_type: Some(s("Order | None")),
                        receiver: None,
                        ..method()
                    },
                    vec![declared("order_id", "int")],
                ),
            ],
            imports: vec![imp(
                ".models",
                ImportKind::PyFrom,
                &[("Order", "Order")],
                None,
                1,
                false,
            )],
            calls: vec![
                call(Some(2), bare("KeyError"), 10),
                call(
                    Some(3),
                    member(Receiver::SelfField(s("_orders")), "get"),
                    14,
                ),
            ],
            type_refs: vec![
                tref(Some(1), "dict", 6),
                tref(Some(1), "int", 6),
                tref(Some(1), "Order", 6),
                tref(Some(2), "int", 8),
                tref(Some(2), "Order", 8),
                tref(Some(3), "int", 13),
                tref(Some(3), "Order", 13),
            ],
            ..FileFacts::default()
        };
        assert_eq!(facts(src), expected);
    }

    #[test]
    fn parameters_all_forms() {
        let src = r#"def f(self, a: int, b=1, /, c: 'X' = None, *args: int, d, e: dict[str,
    int] = {'k':   1}, **kw):
    pass
def g(a, *, b=2):
    pass
def h(*, k):
    pass
"#;
        let f = facts(src);
        let params: Vec<Vec<Param>> = f
            .defs
            .iter()
            .map(|d| d.function.as_ref().unwrap().parameters.clone())
            .collect();
        let args = Param {
            variadic: true,
            ..p("args", Some("int"), None)
        };
        let kw = Param {
            keyword: true,
            ..p("kw", None, None)
        };
        assert_eq!(
            params,
            vec![
                vec![
                    p("self", None, None),
                    p("a", Some("int"), None),
                    p("b", None, Some("1")),
                    p("c", Some("'X'"), Some("None")),
                    args,
                    p("d", None, None),
                    p("e", Some("dict[str, int]"), Some("{'k': 1}")),
                    kw,
                ],
                vec![p("a", None, None), p("b", None, Some("2"))],
                vec![p("k", None, None)],
            ]
        );
        // Typed parameters are declared locals; `*args: int` is not (its type is a tuple).
        assert_eq!(
            f.defs[0].locals,
            vec![
                declared("a", "int"),
                declared("c", "X"),
                declared("e", "dict[str, int]")
            ]
        );
        assert!(!f.defs[0].function.as_ref().unwrap().is_method);
    }

    #[test]
    fn default_cut_to_100_chars() {
        let long = "é".repeat(150);
        let src = format!("def f(a='{long}'):\n    pass\n");
        let f = facts(&src);
        let d = f.defs[0].function.as_ref().unwrap().parameters[0]
            .default
            .clone()
            .unwrap();
        assert_eq!(d, format!("'{}", "é".repeat(99)));
    }

    #[test]
    fn decorators_and_function_flags() {
        let src = r#"import functools

class C:
    @staticmethod
    def s(x):
        pass

    @classmethod
    def c(cls):
        cls.make()

    @property
    def v(self):
        return 1

    @v.setter
    def v(self, value):
        pass

    @v.deleter
    def v(self):
        pass

    @app.route("/x", methods=["GET"])
    @functools.wraps(f)
    async def r(self):
        await self.go()

    def __init__(self, a: "A") -> None:
        pass

def __init__():
    pass
"#;
        let f = facts(src);
        let infos: Vec<(&str, Vec<String>, u32, FunctionInfo)> = f
            .defs
            .iter()
            .skip(1)
            .map(|d| {
                let mut fi = d.function.clone().unwrap();
                fi.parameters.clear();
                (d.name.as_str(), d.decorators.clone(), d.line_start, fi)
            })
            .collect();
        let v = |n: &str| vec![s(n)];
        let flags = |f: fn(&mut FunctionInfo)| {
            let mut m = method();
            f(&mut m);
            m
        };
        assert_eq!(
            infos,
            vec![
                ("s", v("staticmethod"), 4, flags(|m| m.is_static = true)),
                ("c", v("classmethod"), 8, flags(|m| m.is_classmethod = true)),
                ("v", v("property"), 12, flags(|m| m.is_property = true)),
                ("v", v("v.setter"), 16, flags(|m| m.is_property = true)),
                ("v", v("v.deleter"), 20, flags(|m| m.is_property = true)),
                (
                    "r",
                    vec![s("app.route"), s("functools.wraps")],
                    24,
                    flags(|m| m.is_async = true)
                ),
                ("__init__", vec![], 29, flags(|m| m.is_constructor = true)),
                ("__init__", vec![], 32, FunctionInfo::default()),
            ]
        );
        // Decorator expressions belong to the enclosing scope (the class); `cls.make()` and
        // `self.go()` are self-like calls.
        assert_eq!(
            f.calls,
            vec![
                call(Some(2), Callee::SelfMember(s("make")), 10),
                call(Some(0), member(ident("app"), "route"), 24),
                call(Some(0), member(ident("functools"), "wraps"), 25),
                call(Some(6), Callee::SelfMember(s("go")), 27),
            ]
        );
        // A constructor's return type is null; its annotations are still type references.
        assert_eq!(f.defs[7].function.as_ref().unwrap().return_type, None);
        assert_eq!(f.type_refs, vec![tref(Some(7), "A", 29)]);
        assert_eq!(
            f.imports,
            vec![imp("functools", ImportKind::PyImport, &[], None, 1, false)]
        );
    }

    #[test]
    fn overload_stubs_have_no_body() {
        let src = r#"from typing import overload
@overload
def f(x: int) -> int: ...
@typing.overload
def f(x: str) -> str: ...
def f(x):
    return x if x else 0
"#;
        let f = facts(src);
        let summary: Vec<(bool, u32, u32)> = f
            .defs
            .iter()
            .map(|d| (d.has_body, d.complexity, d.line_start))
            .collect();
        assert_eq!(summary, vec![(false, 0, 2), (false, 0, 4), (true, 2, 6)]);
    }

    #[test]
    fn classes_bases_attributes_field_types() {
        let src = r#"@dataclass(frozen=True)
class A(Generic[T], models.Model, mixins.M[int, str], metaclass=Meta, *extra, **kw):
    """Doc of A.

    More.
    """
    x: int = 0
    y = z = 1
    if DEBUG:
        debug: "Flag"
    a, b = 1, 2
    x = 3

    def __init__(self, repo: Repo, n: int, other, *rest: Repo):
        self.repo = repo
        self.n: "Count" = n
        self.other = other
        self.rest = rest
        self.y = 5
        self.p, self.q = 1, 2
        self.counter += 1
        self.items[0] = 1
        obj.z = 3

    def later(self, m: Model):
        self.m = m
        def inner():
            self.hidden = 1

    @staticmethod
    def st(self):
        self.no = 1

class B(
    Base,
):
    class Inner(Outer.Base):
        pass
"#;
        let f = facts(src);
        let mut a = cdef(
            "A",
            "A",
            None,
            (1, 32),
            vec![
                base("Generic", 2),
                base("models.Model", 2),
                base("mixins.M", 2),
            ],
            &[
                "x", "y", "z", "debug", "a", "b", "repo", "n", "other", "rest", "p", "q",
                "counter", "m",
            ],
            &[
                ("x", "int"),
                ("debug", "Flag"),
                ("repo", "Repo"),
                ("n", "Count"),
            ],
        );
        a.decorators = vec![s("dataclass")];
        a.docstring = Some(s("Doc of A.\n\nMore."));
        assert_eq!(f.defs[0], a);
        assert_eq!(
            f.defs[5],
            cdef("B", "B", None, (34, 38), vec![base("Base", 35)], &[], &[])
        );
        assert_eq!(
            f.defs[6],
            cdef(
                "Inner",
                "B.Inner",
                Some(5),
                (37, 38),
                vec![base("Outer.Base", 37)],
                &[],
                &[]
            )
        );
        let qnames: Vec<&str> = f.defs.iter().map(|d| d.qname.as_str()).collect();
        assert_eq!(
            qnames,
            vec![
                "A",
                "A.__init__",
                "A.later",
                "A.later.inner",
                "A.st",
                "B",
                "B.Inner"
            ]
        );
        // Class-body annotations are owned by the class; `self.n: "Count"` by the method.
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(0), "int", 7),
                tref(Some(0), "Flag", 10),
                tref(Some(1), "Repo", 14),
                tref(Some(1), "int", 14),
                tref(Some(1), "Repo", 14),
                tref(Some(1), "Count", 16),
                tref(Some(2), "Model", 25),
            ]
        );
        assert_eq!(f.calls, vec![call(None, bare("dataclass"), 1)]);
    }

    #[test]
    fn base_calls_belong_to_the_enclosing_scope() {
        let src = "def f():\n    class A(make_base(), x=g()):\n        y = h()\n";
        let f = facts(src);
        assert_eq!(
            f.calls,
            vec![
                call(Some(0), bare("make_base"), 2),
                call(Some(0), bare("g"), 2),
                call(Some(1), bare("h"), 3),
            ]
        );
        assert_eq!(
            f.defs[1].class.as_ref().unwrap().bases,
            vec![base("make_base()", 2)]
        );
    }

    #[test]
    fn class_in_function_and_nested_qnames() {
        let src = r#"def outer():
    class Local:
        def m(self):
            self.f()
    def inner():
        pass
    return Local
"#;
        let f = facts(src);
        let summary: Vec<(&str, Option<DefIdx>, DefKind, bool)> = f
            .defs
            .iter()
            .map(|d| {
                (
                    d.qname.as_str(),
                    d.parent,
                    d.kind,
                    d.function.as_ref().is_some_and(|fi| fi.is_method),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("outer", None, DefKind::Function, false),
                ("outer.Local", Some(0), DefKind::Class, false),
                ("outer.Local.m", Some(1), DefKind::Function, true),
                ("outer.inner", Some(0), DefKind::Function, false),
            ]
        );
        assert_eq!(f.calls, vec![call(Some(2), Callee::SelfMember(s("f")), 4)]);
    }

    #[test]
    fn complexity_python_row() {
        let src = r#"def f(a, b):
    if a and b or a:
        pass
    elif b:
        pass
    else:
        pass
    for x in a:
        while b:
            break
    try:
        pass
    except ValueError:
        pass
    except (KeyError, TypeError) as e:
        pass
    finally:
        pass
    with open(a) as h, open(b) as k:
        pass
    assert a
    y = 1 if a else 2
    z = [i for i in a if i for j in b]
    g = lambda q: q if q else None
    match a:
        case 1:
            pass
        case [x, y] if x:
            pass
        case _ if b:
            pass
        case _:
            pass
    def nested():
        if a:
            return [k for k in b]
    return {k: v for k, v in b}

def g():
    return 1

class C:
    if X:
        y = 1 if X else 2
"#;
        let f = facts(src);
        let got: Vec<(&str, u32)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.complexity))
            .collect();
        // f: if, and, or, elif, for, while, 2 except, with, assert, conditional, 2 for_in +
        // 1 if_clause, lambda conditional, 3 cases (`case _:` excluded), dict comprehension
        // for_in => 1 + 19.
        assert_eq!(got, vec![("f", 20), ("f.nested", 3), ("g", 1), ("C", 0)]);
    }

    #[test]
    fn imports_all_forms() {
        let src = r#"import os
import a.b.c
import a.b as c, d
from .models import Order as O, Item
from . import views
from .. import util
from ..pkg.sub import (x,
    y as z)
from m import *
from __future__ import annotations
import typing
if typing.TYPE_CHECKING:
    import t1
    if True:
        from t2 import T2
else:
    import t3
if TYPE_CHECKING:
    pass
elif other:
    import t4

def f():
    import inner
    mod = importlib.import_module("pkg.plugins")
    __import__("x")
    import_module('y.z')
    importlib.import_module(name)
    importlib.import_module(".rel", "pkg")
    importlib.import_module(f"p{x}")
"#;
        let f = facts(src);
        use ImportKind::{PyFrom, PyImport};
        assert_eq!(
            f.imports,
            vec![
                imp("os", PyImport, &[], None, 1, false),
                imp("a.b.c", PyImport, &[], None, 2, false),
                imp("a.b", PyImport, &[], Some("c"), 3, false),
                imp("d", PyImport, &[], None, 3, false),
                imp(
                    ".models",
                    PyFrom,
                    &[("Order", "O"), ("Item", "Item")],
                    None,
                    4,
                    false
                ),
                imp(".", PyFrom, &[("views", "views")], None, 5, false),
                imp("..", PyFrom, &[("util", "util")], None, 6, false),
                imp(
                    "..pkg.sub",
                    PyFrom,
                    &[("x", "x"), ("y", "z")],
                    None,
                    7,
                    false
                ),
                imp("m", PyFrom, &[("*", "*")], None, 9, false),
                imp(
                    "__future__",
                    PyFrom,
                    &[("annotations", "annotations")],
                    None,
                    10,
                    false
                ),
                imp("typing", PyImport, &[], None, 11, false),
                imp("t1", PyImport, &[], None, 13, true),
                imp("t2", PyFrom, &[("T2", "T2")], None, 15, true),
                imp("t3", PyImport, &[], None, 17, false),
                imp("t4", PyImport, &[], None, 21, false),
                imp("inner", PyImport, &[], None, 24, false),
                dyn_imp("pkg.plugins", 25),
                dyn_imp("x", 26),
                dyn_imp("y.z", 27),
            ]
        );
        assert_eq!(f.top_level_names, Vec::<String>::new());
    }

    #[test]
    fn call_forms_and_callers() {
        let src = r#"setup()
log.info("x")

class K(Base):
    registry = make_registry()

    def m(self, other):
        f()
        self.g()
        super().h()
        super(K, self).h2()
        other.i()
        a.b.j()
        self.x.k()
        self.x.y.l()
        C().n()
        pkg.C(1).o()
        get()().p()
        items[0].q()
        (lambda: self.r())()
        [self.s(i) for i in other]
        def inner():
            self.t()
        self = other
        "a,b".split(",")

    @classmethod
    def cm(klass):
        klass.u()

    @staticmethod
    def sm(self):
        self.v()

def top(self):
    self.w()
"#;
        let f = facts(src);
        let new_of = |x: &str| Receiver::NewOf(s(x));
        assert_eq!(
            f.calls,
            vec![
                call(None, bare("setup"), 1),
                call(None, member(ident("log"), "info"), 2),
                call(Some(0), bare("make_registry"), 5),
                call(Some(1), bare("f"), 8),
                call(Some(1), Callee::SelfMember(s("g")), 9),
                call(Some(1), Callee::SuperMember(s("h")), 10),
                call(Some(1), bare("super"), 10),
                call(Some(1), Callee::SuperMember(s("h2")), 11),
                call(Some(1), bare("super"), 11),
                call(Some(1), member(ident("other"), "i"), 12),
                call(
                    Some(1),
                    member(Receiver::Path(vec![s("a"), s("b")]), "j"),
                    13
                ),
                call(Some(1), member(Receiver::SelfField(s("x")), "k"), 14),
                call(Some(1), member(Receiver::Other, "l"), 15),
                call(Some(1), member(new_of("C"), "n"), 16),
                call(Some(1), bare("C"), 16),
                call(Some(1), member(new_of("pkg.C"), "o"), 17),
                call(Some(1), member(ident("pkg"), "C"), 17),
                call(Some(1), member(Receiver::Other, "p"), 18),
                call(Some(1), bare("get"), 18),
                call(Some(1), member(Receiver::Other, "q"), 19),
                call(Some(1), Callee::SelfMember(s("r")), 20),
                call(Some(1), Callee::SelfMember(s("s")), 21),
                call(Some(2), member(ident("self"), "t"), 23),
                call(Some(1), member(Receiver::Other, "split"), 25),
                call(Some(3), Callee::SelfMember(s("u")), 29),
                call(Some(4), member(ident("self"), "v"), 33),
                call(Some(5), member(ident("self"), "w"), 36),
            ]
        );
    }

    #[test]
    fn call_line_is_the_callee_name_line() {
        let src = "x = (qs.filter(a)\n      .order_by(b))\n";
        let f = facts(src);
        assert_eq!(
            f.calls,
            vec![
                // The receiver is a call of a dotted name: `NewOf` (the resolver decides
                // whether `qs.filter` is a class).
                call(None, member(Receiver::NewOf(s("qs.filter")), "order_by"), 2),
                call(None, member(ident("qs"), "filter"), 1),
            ]
        );
    }

    #[test]
    fn type_refs_forms() {
        let src = r#"x: typing.Optional["models.Order"] = None
def f(a: dict[int, list[Order]], b: "Optional[Config]", c: Literal["a", "b"],
      d: Annotated[Item, Field(gt=0)], e: Callable[[In], Out], g: A | B | None,
      h: tuple[int, ...], i: pkg.mod.T[U]) -> """list[
  Res]""":
    y: Local = make()
    z: "Fwd" = 1
"#;
        let f = facts(src);
        let o = Some(0);
        assert_eq!(
            f.type_refs,
            vec![
                tref(None, "typing.Optional", 1),
                tref(None, "models.Order", 1),
                tref(o, "dict", 2),
                tref(o, "int", 2),
                tref(o, "list", 2),
                tref(o, "Order", 2),
                tref(o, "Optional", 2),
                tref(o, "Config", 2),
                tref(o, "Literal", 2),
                tref(o, "Annotated", 3),
                tref(o, "Item", 3),
                tref(o, "Callable", 3),
                tref(o, "In", 3),
                tref(o, "Out", 3),
                tref(o, "A", 3),
                tref(o, "B", 3),
                tref(o, "tuple", 4),
                tref(o, "int", 4),
                tref(o, "pkg.mod.T", 4),
                tref(o, "U", 4),
                tref(o, "list", 4),
                tref(o, "Res", 5),
                tref(o, "Local", 6),
                tref(o, "Fwd", 7),
            ]
        );
        assert_eq!(
            f.defs[0].function.as_ref().unwrap().return_type,
            Some(s("\"\"\"list[ Res]\"\"\""))
        );
        assert_eq!(f.defs[0].locals.last(), Some(&declared("z", "Fwd")));
        assert_eq!(f.top_level_names, vec![s("x")]);
    }

    #[test]
    fn scan_type_names_cases() {
        assert_eq!(
            scan_type_names("Dict[str, 'a.B'] | None | Literal['x', 'y'] | 1e5 | é_ü"),
            vec![
                ("Dict", 0),
                ("str", 0),
                ("a.B", 0),
                ("Literal", 0),
                ("é_ü", 0)
            ]
        );
        assert_eq!(scan_type_names("a.\nb"), vec![("a", 0), ("b", 1)]);
        assert_eq!(scan_type_names("Literal[[]"), vec![("Literal", 0)]);
        assert_eq!(scan_type_names("Literal]"), vec![("Literal", 0)]);
    }

    #[test]
    fn locals_typing() {
        let src = r#"def f(a: A, b, c: "C"):
    x = Foo()
    y = pkg.Bar(1)
    z = make().build()
    w: W = W()
    v = Foo()
    v = Foo()
    a = Other()
    b = Thing()
    u = 1
    u = U()
    p, q = P(), Q()
    for i in range(3):
        pass
    with open(a) as fh:
        pass
    if (m := Match()):
        pass
    n = k = N()
    cb = lambda: (t := T())
    s = 1
    s += 1
    try:
        pass
    except E as err:
        pass

    def inner():
        x = Inner()
"#;
        let f = facts(src);
        assert_eq!(
            f.defs[0].locals,
            vec![
                declared("a", "A"),
                declared("c", "C"),
                ctor("x", "Foo"),
                ctor("y", "pkg.Bar"),
                unknown("z"),
                declared("w", "W"),
                ctor("v", "Foo"),
                unknown("v"),
                unknown("a"),
                ctor("b", "Thing"),
                unknown("u"),
                unknown("p"),
                unknown("q"),
                unknown("i"),
                unknown("fh"),
                ctor("m", "Match"),
                ctor("n", "N"),
                ctor("k", "N"),
                unknown("cb"),
                ctor("t", "T"),
                unknown("s"),
                unknown("err"),
                // `b` is an untyped parameter: assigned from a constructor, still unknown.
                unknown("b"),
            ]
        );
        assert_eq!(f.defs[1].locals, vec![ctor("x", "Inner")]);
    }

    #[test]
    fn top_level_names_rules() {
        let src = r#"__all__ = ["A"]
A = 1
B: int = 2
C: int
D = E = 3
F, (G, *H) = 1, (2, 3)
A = 4
A += 1
if X:
    I = 1
else:
    J = 2
try:
    K = 1
except ImportError:
    K = None
for L in []:
    pass
obj.attr = 1
items[0] = 1

def f():
    M = 1

class N:
    O = 1
"#;
        let f = facts(src);
        let expect: Vec<String> = ["A", "B", "D", "E", "F", "G", "H", "I", "J", "K"]
            .iter()
            .map(|x| s(x))
            .collect();
        assert_eq!(f.top_level_names, expect);
        assert_eq!(f.defs[1].class.as_ref().unwrap().attributes, vec![s("O")]);
    }

    #[test]
    fn docstrings() {
        let src = r#"#!/usr/bin/env python
# comment
r'''Module doc.

    Indented.
'''

class C:
    # leading comment
    "Class" ' doc'

    def f(self):
        f"not {a} doc"

    def g(self):
        b'''Bytes
        doc.'''
        return 1

    def h(self):
        x = 1
        'not a docstring'
"#;
        let f = facts(src);
        assert_eq!(f.docstring, Some(s("Module doc.\n\nIndented.")));
        let docs: Vec<Option<String>> = f.defs.iter().map(|d| d.docstring.clone()).collect();
        assert_eq!(
            docs,
            vec![Some(s("Class doc")), None, Some(s("Bytes\ndoc.")), None]
        );
    }

    #[test]
    fn lambda_is_never_a_def() {
        let src = "handler = lambda x: x\nclass C:\n    key = lambda self: self.k()\n";
        let f = facts(src);
        assert_eq!(f.defs.len(), 1);
        assert_eq!(f.calls, vec![call(Some(0), member(ident("self"), "k"), 3)]);
        assert_eq!(f.top_level_names, vec![s("handler")]);
        assert_eq!(f.defs[0].class.as_ref().unwrap().attributes, vec![s("key")]);
    }

    #[test]
    fn decorated_lines_and_multiline_signatures() {
        let src = "\n@a\n@b.c(1,\n  2)\ndef f(\n    x,\n):\n    return x\n\n\n";
        let f = facts(src);
        assert_eq!((f.defs[0].line_start, f.defs[0].line_end), (2, 8));
        assert_eq!(f.defs[0].decorators, vec![s("a"), s("b.c")]);
    }

    #[test]
    fn never_panics_on_broken_input() {
        let samples: Vec<&[u8]> = vec![
            b"def (:\n  class\n",
            b"class A(:\n    def f(self, *, /, **):\n        self.",
            b"from . import\nimport\nfrom import x\n@\ndef",
            b"x: = \nif TYPE_CHECKING\n    import a\n",
            b"def f(\xff\xfe: \"\xff\") -> '\xc3':\n    '\xff'\n    \xff = C()\n",
            b"\"\"\"unterminated docstring\n",
            b"match x:\n    case _ if:\n",
            b"print >> sys.stderr, 'x'\nexec 'code'\n",
            b"",
        ];
        for src in samples {
            let _ = facts_bytes(src);
        }
        // Every 31st prefix of this file's test sources.
        let me = include_str!("python.rs");
        let start = me.find("let src = r#\"from typing").unwrap_or(0);
        let chunk = &me.as_bytes()[start..(start + 4000).min(me.len())];
        for end in (0..chunk.len()).step_by(31) {
            let _ = facts_bytes(&chunk[..end]);
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let expr = vec!["1"; 20_000].join(" + ");
        let src = format!("def f():\n    x = {expr}\n    y = a or b or c\n");
        let f = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || facts(&src))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(f.defs[0].complexity, 3);
    }
}
