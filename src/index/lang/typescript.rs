//! TypeScript / TSX / JavaScript (incl. JSX) extraction (`indexer.md` §5–§7, §8.3, §10).
//!
//! One iterative walk over the tree (no recursion on tree depth, so deeply nested expressions
//! cannot overflow the stack). The walker keeps its own ancestor stack and the previous sibling
//! of every ancestor, because `Node::parent` / `Node::prev_sibling` are linear in tree-sitter and
//! would make the walk quadratic on large files.
//!
//! Choices where the spec leaves room (documented here so the resolver can rely on them):
//! * **Type references** record `type_identifier`s and qualified `nested_type_identifier`s
//!   (`ns.T`, one name). Predefined types (`string`, `void`, …), literal types (`undefined`,
//!   `null`, `"a"`), `typeof x` queries and the type parameters of the enclosing definitions
//!   (`T` in `function f<T>(x: T)`) are skipped. References whose owner would be the module are
//!   not recorded (they never produce a `uses` edge). Type references of anonymous callbacks'
//!   parameters belong to the enclosing definition.
//! * **Locals** (`Def::locals`, functions only): a typed parameter or `let x: T` gives
//!   `Declared(T)`; `const x = new C()` gives `Ctor(C)`; an untyped parameter, a destructured
//!   name, a declarator with any other value and every later assignment (`x = …`, `x ??= …`)
//!   give `Unknown`. Parameters of anonymous callbacks are locals of the enclosing function.
//!   The resolver must treat a name with more than one entry, or with an `Unknown` entry, as
//!   unknown. Exact duplicates are removed. Loop variables (`for (const a of xs)`,
//!   `for (let i = 0; …)`) and `require`/`import()` bindings give no entry.
//! * The TS `this` pseudo-parameter is not a parameter.
//! * Enum members are the enum's attributes; interface property signatures are the interface's
//!   attributes (with `field_types` and type references owned by the interface). Class fields
//!   whose value is a function are methods, not attributes.
//! * `export * as ns from "m"` is recorded with `alias: ns`, no names, `reexport: true`;
//!   `export * from "m"` has names `[*]`. `export = x` sets `default_export` like
//!   `export default x`.
//! * Computed member names (`[Symbol.iterator]() {}`) and string names containing `.` or `:` are
//!   unnamed: such members are transparent.

use std::collections::HashSet;

use tree_sitter::{Node, Tree};

use super::common::{clean_docstring, cut_chars, line_end, line_start, normalize_ws, text};
use crate::index::facts::{
    Base, CallSite, Callee, ClassInfo, ClassKind, Def, DefIdx, DefKind, FileFacts, FunctionInfo,
    Import, ImportKind, ImportedName, LocalTy, LocalType, Param, Receiver, Relation, TypeRef,
};

const NO_NODE: usize = usize::MAX;
/// Depth limit for the few small recursive helpers (patterns, member chains).
const MAX_DEPTH: u32 = 64;

/// Extract the facts of one TS / TSX / JS file. `parse_errors` is left 0 (the caller fills it).
pub fn extract(tree: &Tree, src: &[u8], grammar: super::Grammar) -> FileFacts {
    let ts = !matches!(grammar, super::Grammar::JavaScript);
    let mut ex = Extractor {
        src,
        ts,
        facts: FileFacts::default(),
        frames: Vec::new(),
        anc: Vec::new(),
        anc_prev: Vec::new(),
        cur_prev: None,
        pending_decos: Vec::new(),
        pending_prev: None,
        member_decos: Vec::new(),
        member_prev: None,
    };
    ex.walk(tree.root_node());
    ex.finish()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Def,
    /// TS namespace / module: contributes to qnames only.
    Scope,
    /// A decorator of a definition: its code belongs to the definition's parent.
    Redirect,
}

struct Frame {
    /// The frame is popped when the walk leaves this node.
    node_id: usize,
    kind: FrameKind,
    /// Nearest enclosing definition: owner of calls, complexity, type refs, locals, and the
    /// parent of new definitions.
    owner: Option<DefIdx>,
    /// Qualified-name prefix for definitions created inside.
    prefix: String,
    /// Class frames: the id of the class / interface / enum node whose body holds the members.
    class_node: usize,
    /// Functions bound to a declarator or field: the id of the function value node.
    bound_fn: usize,
    /// Type parameter names declared by this definition.
    tparams: Vec<String>,
}

struct Extractor<'a> {
    src: &'a [u8],
    ts: bool,
    facts: FileFacts,
    frames: Vec<Frame>,
    /// Ancestors of the current node (root first) and the previous sibling of each.
    anc: Vec<Node<'a>>,
    anc_prev: Vec<Option<Node<'a>>>,
    /// Previous sibling (named or not) of the current node.
    cur_prev: Option<Node<'a>>,
    /// TS member decorators are siblings of the member in the class body.
    pending_decos: Vec<Node<'a>>,
    pending_prev: Option<Node<'a>>,
    member_decos: Vec<Node<'a>>,
    member_prev: Option<Node<'a>>,
}

fn is_function_value(kind: &str) -> bool {
    matches!(
        kind,
        "arrow_function" | "function_expression" | "generator_function" | "function"
    )
}

impl<'a> Extractor<'a> {
    // ----------------------------------------------------------------------------------------
    // walk

    fn walk(&mut self, root: Node<'a>) {
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            let descend = self.enter(node);
            if descend && cursor.goto_first_child() {
                self.anc.push(node);
                self.anc_prev.push(self.cur_prev);
                self.cur_prev = None;
                continue;
            }
            self.leave(node);
            let mut last = node;
            loop {
                if cursor.goto_next_sibling() {
                    self.cur_prev = Some(last);
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                let Some(parent) = self.anc.pop() else {
                    return;
                };
                self.cur_prev = self.anc_prev.pop().flatten();
                self.leave(parent);
                last = parent;
            }
        }
    }

    fn leave(&mut self, node: Node<'a>) {
        let id = node.id();
        while self.frames.last().is_some_and(|f| f.node_id == id) {
            if let Some(f) = self.frames.pop() {
                if f.kind == FrameKind::Def {
                    if let Some(idx) = f.owner {
                        self.dedup_locals(idx);
                    }
                }
            }
        }
    }

    fn parent(&self) -> Option<Node<'a>> {
        self.anc.last().copied()
    }

    fn grandparent(&self) -> Option<Node<'a>> {
        let n = self.anc.len();
        if n >= 2 {
            Some(self.anc[n - 2])
        } else {
            None
        }
    }

    fn enter(&mut self, node: Node<'a>) -> bool {
        if !node.is_named() {
            return false;
        }
        let kind = node.kind();
        if self.parent().is_some_and(|p| p.kind() == "class_body") {
            if kind == "decorator" {
                if self.pending_decos.is_empty() {
                    self.pending_prev = self.cur_prev;
                }
                self.pending_decos.push(node);
            } else if kind != "comment" {
                self.member_decos = std::mem::take(&mut self.pending_decos);
                self.member_prev = self.pending_prev.take();
            }
        }
        match kind {
            "comment"
            | "string"
            | "regex"
            | "number"
            | "type_annotation"
            | "type_arguments"
            | "type_parameters"
            | "asserts_annotation"
            | "type_predicate_annotation"
            | "type_alias_declaration"
            | "implements_clause"
            | "extends_type_clause"
            | "index_signature"
            | "call_signature"
            | "construct_signature" => false,
            "import_statement" => {
                self.import_statement(node);
                false
            }
            "export_statement" => self.export_statement(node),
            "call_expression" => {
                self.call(node);
                true
            }
            "new_expression" => {
                if let Some(c) = node.child_by_field_name("constructor") {
                    if let Some(name) = self.dotted(c) {
                        self.push_call(Callee::New(name), node);
                    }
                }
                true
            }
            "jsx_opening_element" | "jsx_self_closing_element" => {
                self.jsx(node);
                true
            }
            "if_statement" | "for_statement" | "for_in_statement" | "while_statement"
            | "do_statement" | "switch_case" | "catch_clause" | "ternary_expression" => {
                self.bump();
                true
            }
            "binary_expression" => {
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "&&" | "||" | "??"))
                {
                    self.bump();
                }
                true
            }
            "augmented_assignment_expression" => {
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "&&=" | "||=" | "??="))
                {
                    self.bump();
                }
                if let Some(l) = node.child_by_field_name("left") {
                    if l.kind() == "identifier" {
                        let name = self.text(l);
                        self.add_local(self.owner(), name, LocalTy::Unknown);
                    }
                }
                true
            }
            "assignment_expression" => {
                self.assignment(node);
                true
            }
            "class_declaration" | "abstract_class_declaration" => {
                let name = match node.child_by_field_name("name") {
                    Some(n) => Some(self.text(n)),
                    None if self.parent_is_export() => Some("default".to_string()),
                    None => None,
                };
                if let Some(name) = name {
                    self.class_def(node, node, name, ClassKind::Class);
                }
                true
            }
            "class" => {
                // Class expressions bound to a variable are handled by the declarator.
                if self.parent_is_export() {
                    let name = match node.child_by_field_name("name") {
                        Some(n) => self.text(n),
                        None => "default".to_string(),
                    };
                    self.class_def(node, node, name, ClassKind::Class);
                }
                true
            }
            "interface_declaration" => {
                if let Some(n) = node.child_by_field_name("name") {
                    let name = self.text(n);
                    self.class_def(node, node, name, ClassKind::Interface);
                }
                true
            }
            "enum_declaration" => {
                if let Some(n) = node.child_by_field_name("name") {
                    let name = self.text(n);
                    self.class_def(node, node, name, ClassKind::Enum);
                }
                true
            }
            "function_declaration" | "generator_function_declaration" | "function_signature" => {
                let name = match node.child_by_field_name("name") {
                    Some(n) => Some(self.text(n)),
                    None if self.parent_is_export() => Some("default".to_string()),
                    None => None,
                };
                match name {
                    Some(name) => {
                        let has_body = kind != "function_signature";
                        let decos = self.own_decorators(node);
                        let doc = self.doc_at(0);
                        let start = line_start(node);
                        self.new_function(node, node, None, name, start, has_body, decos, doc);
                    }
                    None => self.params(node, None, None),
                }
                true
            }
            "arrow_function" | "function_expression" | "generator_function" | "function" => {
                if self.frames.last().is_some_and(|f| f.bound_fn == node.id()) {
                    return true;
                }
                if kind != "arrow_function" && self.parent_is_export() {
                    let name = match node.child_by_field_name("name") {
                        Some(n) => self.text(n),
                        None => "default".to_string(),
                    };
                    let doc = self.doc_at(0);
                    let start = line_start(node);
                    self.new_function(node, node, None, name, start, true, Vec::new(), doc);
                } else {
                    self.params(node, None, None);
                }
                true
            }
            "variable_declarator" => {
                self.declarator(node);
                true
            }
            "public_field_definition" | "field_definition" => {
                if self.in_def_class_body() {
                    self.field(node);
                }
                true
            }
            "method_definition" => {
                if self.in_def_class_body() {
                    if let Some(name) = self.member_name(node) {
                        self.method(node, name, true);
                        return true;
                    }
                }
                // Object-literal method or member of an anonymous class: unnamed code.
                self.params(node, None, None);
                true
            }
            "method_signature" | "abstract_method_signature" => {
                if self.in_def_class_body() {
                    if let Some(name) = self.member_name(node) {
                        self.method(node, name, false);
                    }
                }
                false
            }
            "property_signature" => {
                if self.in_def_class_body() {
                    self.field(node);
                }
                false
            }
            "internal_module" | "module" => {
                if let Some(n) = node.child_by_field_name("name") {
                    if matches!(n.kind(), "identifier" | "nested_identifier") {
                        let seg: String = self
                            .text(n)
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .collect();
                        let prefix = self.join_prefix(&seg);
                        let owner = self.owner();
                        self.frames.push(Frame {
                            node_id: node.id(),
                            kind: FrameKind::Scope,
                            owner,
                            prefix,
                            class_node: NO_NODE,
                            bound_fn: NO_NODE,
                            tparams: Vec::new(),
                        });
                    }
                }
                true
            }
            "decorator" => {
                // Decorators written inside a definition node belong to its parent.
                let redirect = match (self.parent(), self.frames.last()) {
                    (Some(p), Some(f)) => f.kind == FrameKind::Def && f.node_id == p.id(),
                    _ => false,
                };
                if redirect {
                    let n = self.frames.len();
                    let def_owner = self.frames[n - 1].owner;
                    let owner = def_owner.and_then(|d| self.def(d).parent);
                    let prefix = if n >= 2 {
                        self.frames[n - 2].prefix.clone()
                    } else {
                        String::new()
                    };
                    self.frames.push(Frame {
                        node_id: node.id(),
                        kind: FrameKind::Redirect,
                        owner,
                        prefix,
                        class_node: NO_NODE,
                        bound_fn: NO_NODE,
                        tparams: Vec::new(),
                    });
                }
                true
            }
            _ => true,
        }
    }

    // ----------------------------------------------------------------------------------------
    // small helpers

    fn text(&self, n: Node) -> String {
        text(n, self.src).into_owned()
    }

    fn norm(&self, n: Node) -> String {
        normalize_ws(&text(n, self.src))
    }

    fn def(&self, idx: DefIdx) -> &Def {
        &self.facts.defs[idx as usize]
    }

    fn def_mut(&mut self, idx: DefIdx) -> &mut Def {
        &mut self.facts.defs[idx as usize]
    }

    fn owner(&self) -> Option<DefIdx> {
        self.frames.last().and_then(|f| f.owner)
    }

    fn join_prefix(&self, name: &str) -> String {
        match self.frames.last() {
            Some(f) if !f.prefix.is_empty() => format!("{}.{}", f.prefix, name),
            _ => name.to_string(),
        }
    }

    fn parent_is_export(&self) -> bool {
        self.parent()
            .is_some_and(|p| p.kind() == "export_statement")
    }

    /// The current node is a member of the body of the class / interface whose frame is on top.
    fn in_def_class_body(&self) -> bool {
        let (Some(body), Some(cls), Some(f)) =
            (self.parent(), self.grandparent(), self.frames.last())
        else {
            return false;
        };
        matches!(
            body.kind(),
            "class_body" | "interface_body" | "object_type" | "enum_body"
        ) && f.kind == FrameKind::Def
            && f.class_node == cls.id()
    }

    /// Bump the complexity of the owning function.
    fn bump(&mut self) {
        if let Some(o) = self.owner() {
            let d = self.def_mut(o);
            if d.kind == DefKind::Function && d.has_body {
                d.complexity += 1;
            }
        }
    }

    fn is_fn_def(&self, idx: Option<DefIdx>) -> bool {
        idx.is_some_and(|i| self.def(i).kind == DefKind::Function)
    }

    fn add_local(&mut self, owner: Option<DefIdx>, name: String, ty: LocalTy) {
        if let Some(o) = owner {
            if self.def(o).kind == DefKind::Function {
                self.def_mut(o).locals.push(LocalType { name, ty });
            }
        }
    }

    fn dedup_locals(&mut self, idx: DefIdx) {
        let locals = &mut self.facts.defs[idx as usize].locals;
        if locals.len() < 2 {
            return;
        }
        if locals.len() <= 32 {
            let mut out: Vec<LocalType> = Vec::with_capacity(locals.len());
            for l in locals.drain(..) {
                if !out.contains(&l) {
                    out.push(l);
                }
            }
            *locals = out;
        } else {
            let mut seen: HashSet<(String, u8, String)> = HashSet::with_capacity(locals.len());
            locals.retain(|l| {
                let (tag, t) = match &l.ty {
                    LocalTy::Declared(t) => (0, t.clone()),
                    LocalTy::Ctor(t) => (1, t.clone()),
                    LocalTy::Unknown => (2, String::new()),
                };
                seen.insert((l.name.clone(), tag, t))
            });
        }
    }

    fn push_call(&mut self, callee: Callee, node: Node) {
        let caller = self.owner();
        self.facts.calls.push(CallSite {
            caller,
            callee,
            line: line_start(node),
        });
    }

    /// `a`, `a.b.c` (identifiers and property names only), else `None`.
    fn dotted(&self, n: Node) -> Option<String> {
        let mut parts = self.path(n)?;
        if parts.len() == 1 {
            return parts.pop();
        }
        Some(parts.join("."))
    }

    /// Identifier chain of a member expression, outermost first.
    fn path(&self, n: Node) -> Option<Vec<String>> {
        let mut parts = Vec::new();
        let mut cur = n;
        for _ in 0..MAX_DEPTH {
            match cur.kind() {
                "identifier" => {
                    parts.push(self.text(cur));
                    parts.reverse();
                    return Some(parts);
                }
                "member_expression" | "nested_identifier" => {
                    let prop = cur.child_by_field_name("property")?;
                    if prop.kind() != "property_identifier" {
                        return None;
                    }
                    parts.push(self.text(prop));
                    cur = cur.child_by_field_name("object")?;
                }
                _ => return None,
            }
        }
        None
    }

    /// Content of a string literal node, without its quotes.
    fn string_content(&self, n: Node) -> Option<String> {
        if n.kind() != "string" {
            return None;
        }
        let t = text(n, self.src);
        let inner = t.get(1..t.len().saturating_sub(1)).unwrap_or("");
        Some(inner.to_string())
    }

    /// Names bound by a binding pattern.
    fn pattern_names(&self, n: Node, out: &mut Vec<String>, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        match n.kind() {
            "identifier" | "shorthand_property_identifier_pattern" => out.push(self.text(n)),
            "object_pattern" | "array_pattern" => {
                let mut c = n.walk();
                for ch in n.named_children(&mut c) {
                    self.pattern_names(ch, out, depth + 1);
                }
            }
            "pair_pattern" => {
                if let Some(v) = n.child_by_field_name("value") {
                    self.pattern_names(v, out, depth + 1);
                }
            }
            "assignment_pattern" | "object_assignment_pattern" => {
                if let Some(v) = n.child_by_field_name("left") {
                    self.pattern_names(v, out, depth + 1);
                }
            }
            "rest_pattern" => {
                if let Some(v) = n.named_child(0) {
                    self.pattern_names(v, out, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn has_token(n: Node, tok: &str) -> bool {
        let mut c = n.walk();
        let found = n
            .children(&mut c)
            .any(|ch| !ch.is_named() && ch.kind() == tok);
        found
    }

    // ----------------------------------------------------------------------------------------
    // docstrings and decorators

    /// Docstring of a definition whose anchor is the current node (`up` = 0) or its `up`-th
    /// ancestor; the anchor is widened over `export` / `declare` wrappers.
    fn doc_at(&self, up: usize) -> Option<String> {
        let n = self.anc.len();
        let mut k = up;
        while k < n {
            let p = self.anc[n - 1 - k];
            if matches!(p.kind(), "export_statement" | "ambient_declaration") {
                k += 1;
            } else {
                break;
            }
        }
        let (anchor, prev) = if k == 0 {
            (None, self.cur_prev)
        } else if k <= n {
            (Some(self.anc[n - k]), self.anc_prev[n - k])
        } else {
            return None;
        };
        let start = match anchor {
            Some(a) => a.start_byte(),
            None => return self.doc_from(prev, None),
        };
        self.doc_from(prev, Some(start))
    }

    /// `prev` is a `/** … */` comment followed only by whitespace up to `anchor_start` (the
    /// current node's start when `None`).
    fn doc_from(&self, prev: Option<Node>, anchor_start: Option<usize>) -> Option<String> {
        let prev = prev?;
        if prev.kind() != "comment" {
            return None;
        }
        let end = prev.end_byte();
        if let Some(start) = anchor_start {
            let between = self.src.get(end..start)?;
            if !between.iter().all(|b| b.is_ascii_whitespace()) {
                return None;
            }
        }
        let t = text(prev, self.src);
        let inner = t.strip_prefix("/**")?.strip_suffix("*/")?;
        if t.len() < 5 {
            return None;
        }
        let mut raw = String::with_capacity(inner.len());
        for (i, line) in inner.lines().enumerate() {
            if i > 0 {
                raw.push('\n');
            }
            let trimmed = line.trim_start();
            match trimmed.strip_prefix('*') {
                Some(rest) if i > 0 => raw.push_str(rest.strip_prefix(' ').unwrap_or(rest)),
                _ => raw.push_str(line),
            }
        }
        clean_docstring(&raw)
    }

    /// Docstring for a node that is the current node, with the whitespace check.
    fn doc_current(&self, node: Node) -> Option<String> {
        self.doc_from(self.cur_prev, Some(node.start_byte()))
    }

    fn decorator_name(&self, d: Node) -> Option<String> {
        let mut e = d.named_child(0)?;
        if e.kind() == "call_expression" {
            e = e.child_by_field_name("function")?;
        }
        match e.kind() {
            "identifier" => Some(self.text(e)),
            "member_expression" => self.dotted(e).or_else(|| Some(self.norm(e))),
            _ => None,
        }
    }

    /// Decorator nodes written inside `node` (JS members, classes, TS fields).
    fn own_decorators(&self, node: Node<'a>) -> Vec<Node<'a>> {
        let mut out = Vec::new();
        let mut c = node.walk();
        for ch in node.children(&mut c) {
            if ch.kind() == "decorator" {
                out.push(ch);
            }
        }
        out
    }

    // ----------------------------------------------------------------------------------------
    // definitions

    fn add_def(
        &mut self,
        kind: DefKind,
        name: String,
        start: u32,
        end: u32,
        has_body: bool,
    ) -> DefIdx {
        let parent = self.owner();
        let qname = self.join_prefix(&name);
        let is_method =
            kind == DefKind::Function && parent.is_some_and(|p| self.def(p).kind == DefKind::Class);
        let idx = self.facts.defs.len() as DefIdx;
        self.facts.defs.push(Def {
            kind,
            name,
            qname,
            parent,
            line_start: start,
            line_end: end.max(start),
            complexity: u32::from(kind == DefKind::Function && has_body),
            has_body,
            decorators: Vec::new(),
            visibility: None,
            docstring: None,
            class: None,
            function: if kind == DefKind::Function {
                Some(FunctionInfo {
                    is_method,
                    ..FunctionInfo::default()
                })
            } else {
                None
            },
            locals: Vec::new(),
            attach: None,
            namespace: None,
        });
        idx
    }

    fn type_param_names(&self, n: Node) -> Vec<String> {
        let Some(tp) = n.child_by_field_name("type_parameters") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut c = tp.walk();
        for p in tp.named_children(&mut c) {
            if let Some(name) = p.child_by_field_name("name") {
                out.push(self.text(name));
            }
        }
        out
    }

    /// Create a class-like definition; `frame_node` is the class node or the declarator that
    /// binds a class expression (the current node either way).
    fn class_def(
        &mut self,
        class_node: Node<'a>,
        frame_node: Node<'a>,
        name: String,
        kind: ClassKind,
    ) {
        let mut decos = self.own_decorators(class_node);
        if let Some(p) = self.parent() {
            if p.kind() == "export_statement" {
                let mut extra = self.own_decorators(p);
                extra.append(&mut decos);
                decos = extra;
            }
        }
        let mut start = line_start(frame_node);
        for d in &decos {
            start = start.min(line_start(*d));
        }
        let doc = if frame_node.kind() == "variable_declarator" {
            self.declarator_doc()
        } else {
            self.doc_at(0)
        };
        let idx = self.add_def(DefKind::Class, name, start, line_end(frame_node), false);
        let decorators: Vec<String> = decos
            .iter()
            .filter_map(|d| self.decorator_name(*d))
            .collect();
        let tparams = self.type_param_names(class_node);

        let mut bases = Vec::new();
        let mut attributes = Vec::new();
        let mut c = class_node.walk();
        for ch in class_node.named_children(&mut c) {
            match ch.kind() {
                "class_heritage" => {
                    let mut c2 = ch.walk();
                    for h in ch.named_children(&mut c2) {
                        match h.kind() {
                            "extends_clause" => {
                                let mut c3 = h.walk();
                                for v in h.children_by_field_name("value", &mut c3) {
                                    bases.push(self.base(v, Relation::Extends));
                                }
                            }
                            "implements_clause" => {
                                let mut c3 = h.walk();
                                for t in h.named_children(&mut c3) {
                                    if t.kind() != "comment" {
                                        bases.push(self.base(t, Relation::Implements));
                                    }
                                }
                            }
                            "comment" => {}
                            _ => bases.push(self.base(h, Relation::Extends)),
                        }
                    }
                }
                "extends_type_clause" => {
                    let mut c2 = ch.walk();
                    for t in ch.children_by_field_name("type", &mut c2) {
                        bases.push(self.base(t, Relation::Extends));
                    }
                }
                "enum_body" => {
                    let mut c2 = ch.walk();
                    for m in ch.named_children(&mut c2) {
                        let n = if m.kind() == "enum_assignment" {
                            m.child_by_field_name("name")
                        } else {
                            Some(m)
                        };
                        if let Some(n) = n {
                            let name = match n.kind() {
                                "property_identifier" | "identifier" => Some(self.text(n)),
                                "string" => self.string_content(n),
                                _ => None,
                            };
                            if let Some(name) = name {
                                if !attributes.contains(&name) {
                                    attributes.push(name);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let qname = self.def(idx).qname.clone();
        let d = self.def_mut(idx);
        d.decorators = decorators;
        d.docstring = doc;
        d.class = Some(ClassInfo {
            kind,
            bases,
            attributes,
            field_types: Vec::new(),
        });
        self.frames.push(Frame {
            node_id: frame_node.id(),
            kind: FrameKind::Def,
            owner: Some(idx),
            prefix: qname,
            class_node: class_node.id(),
            bound_fn: NO_NODE,
            tparams,
        });
    }

    fn base(&self, n: Node, relation: Relation) -> Base {
        let t = if n.kind() == "generic_type" {
            n.child_by_field_name("name").unwrap_or(n)
        } else {
            n
        };
        Base {
            text: cut_chars(&self.norm(t), 200),
            relation,
            line: line_start(n),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new_function(
        &mut self,
        frame_node: Node<'a>,
        fn_node: Node<'a>,
        member: Option<Node<'a>>,
        name: String,
        start: u32,
        has_body: bool,
        decos: Vec<Node<'a>>,
        doc: Option<String>,
    ) -> DefIdx {
        let is_ctor =
            member.is_some_and(|m| m.kind() == "method_definition") && name == "constructor";
        let idx = self.add_def(
            DefKind::Function,
            name,
            start,
            line_end(frame_node),
            has_body,
        );
        let decorators: Vec<String> = decos
            .iter()
            .filter_map(|d| self.decorator_name(*d))
            .collect();
        let mut is_async = Self::has_token(fn_node, "async");
        let (mut is_static, mut is_property, mut visibility) = (false, false, None);
        if let Some(m) = member {
            let mut c = m.walk();
            for ch in m.children(&mut c) {
                if ch.is_named() {
                    if ch.kind() == "accessibility_modifier" && self.ts {
                        visibility = Some(self.text(ch));
                    }
                    continue;
                }
                match ch.kind() {
                    "static" => is_static = true,
                    "get" | "set" => is_property = true,
                    "async" => is_async = true,
                    _ => {}
                }
            }
        }
        let tparams = self.type_param_names(fn_node);
        let qname = self.def(idx).qname.clone();
        let parent = self.def(idx).parent;
        {
            let d = self.def_mut(idx);
            d.decorators = decorators;
            d.docstring = doc;
            d.visibility = visibility;
            if let Some(f) = d.function.as_mut() {
                f.is_async = is_async;
                f.is_static = is_static;
                f.is_property = is_property;
                f.is_constructor = is_ctor;
            }
        }
        self.frames.push(Frame {
            node_id: frame_node.id(),
            kind: FrameKind::Def,
            owner: Some(idx),
            prefix: qname,
            class_node: NO_NODE,
            bound_fn: if fn_node.id() != frame_node.id() {
                fn_node.id()
            } else {
                NO_NODE
            },
            tparams,
        });
        let ctor_class = if is_ctor { parent } else { None };
        self.params(fn_node, Some(idx), ctor_class);
        if !is_ctor {
            if let Some(rt) = fn_node.child_by_field_name("return_type") {
                let t = if rt.kind() == "type_annotation" {
                    rt.named_child(0).map(|t| self.norm(t))
                } else {
                    let s = self.norm(rt);
                    Some(
                        s.strip_prefix(':')
                            .map(|s| s.trim_start().to_string())
                            .unwrap_or(s),
                    )
                };
                if let Some(f) = self.def_mut(idx).function.as_mut() {
                    f.return_type = t;
                }
                self.type_refs(rt, Some(idx));
            }
        }
        idx
    }

    fn member_name(&self, node: Node) -> Option<String> {
        let n = node
            .child_by_field_name("name")
            .or_else(|| node.child_by_field_name("property"))?;
        let name = match n.kind() {
            "property_identifier" | "private_property_identifier" | "identifier" | "number" => {
                self.text(n)
            }
            "string" => self.string_content(n)?,
            _ => return None,
        };
        if name.is_empty() || name.contains(['.', ':']) {
            return None;
        }
        Some(name)
    }

    /// Decorators (the member's own and those the grammar placed before it), docstring and
    /// first line of a class member (the current node).
    fn member_preamble(&mut self, node: Node<'a>) -> (Vec<Node<'a>>, Option<String>, u32) {
        let mut decos = std::mem::take(&mut self.member_decos);
        let member_prev = self.member_prev.take();
        let doc = self.doc_current(node).or_else(|| {
            decos
                .first()
                .and_then(|d| self.doc_from(member_prev, Some(d.start_byte())))
        });
        decos.extend(self.own_decorators(node));
        let mut start = line_start(node);
        for d in &decos {
            start = start.min(line_start(*d));
        }
        (decos, doc, start)
    }

    /// Method-like member of a class or interface body (the current node).
    fn method(&mut self, node: Node<'a>, name: String, has_body_kind: bool) {
        let (decos, doc, start) = self.member_preamble(node);
        let has_body = has_body_kind && node.child_by_field_name("body").is_some();
        self.new_function(node, node, Some(node), name, start, has_body, decos, doc);
    }

    /// Class field / interface property signature (the current node, in a def class body).
    fn field(&mut self, node: Node<'a>) {
        let Some(name) = self.member_name(node) else {
            return;
        };
        if let Some(v) = node.child_by_field_name("value") {
            if is_function_value(v.kind()) {
                let (decos, doc, start) = self.member_preamble(node);
                self.new_function(node, v, Some(node), name, start, true, decos, doc);
                return;
            }
        }
        let Some(class_idx) = self.owner() else {
            return;
        };
        let ty = node
            .child_by_field_name("type")
            .filter(|t| t.kind() == "type_annotation")
            .and_then(|t| t.named_child(0));
        let ty_text = ty.map(|t| self.norm(t));
        if let Some(t) = ty {
            self.type_refs(t, Some(class_idx));
        }
        self.add_attribute(class_idx, name, ty_text);
    }

    fn add_attribute(&mut self, class_idx: DefIdx, name: String, ty: Option<String>) {
        let Some(ci) = self.def_mut(class_idx).class.as_mut() else {
            return;
        };
        if let Some(t) = ty {
            if !ci.field_types.iter().any(|(n, _)| *n == name) {
                ci.field_types.push((name.clone(), t));
            }
        }
        if !ci.attributes.contains(&name) {
            ci.attributes.push(name);
        }
    }

    /// Docstring of a definition bound by the current `variable_declarator`.
    fn declarator_doc(&self) -> Option<String> {
        let first = match self.cur_prev {
            None => true,
            Some(p) => !p.is_named() && p.kind() != ",",
        };
        if first {
            self.doc_at(1)
        } else {
            None
        }
    }

    fn declarator(&mut self, node: Node<'a>) {
        let owner = self.owner();
        let ty = node
            .child_by_field_name("type")
            .filter(|t| t.kind() == "type_annotation")
            .and_then(|t| t.named_child(0));
        if let Some(t) = ty {
            self.type_refs(t, owner);
        }
        let Some(name_node) = node.child_by_field_name("name") else {
            return;
        };
        let value = node.child_by_field_name("value");
        let decl = self.parent();
        let (is_top, in_loop) = {
            let n = self.anc.len();
            let dp = if n >= 2 { Some(self.anc[n - 2]) } else { None };
            let dpp = if n >= 3 { Some(self.anc[n - 3]) } else { None };
            let is_top = decl.is_some_and(|d| {
                matches!(d.kind(), "lexical_declaration" | "variable_declaration")
            }) && match dp.map(|p| p.kind()) {
                Some("program") => true,
                Some("export_statement" | "ambient_declaration") => {
                    dpp.is_some_and(|p| p.kind() == "program")
                }
                _ => false,
            };
            let in_loop =
                dp.is_some_and(|p| matches!(p.kind(), "for_statement" | "for_in_statement"));
            (is_top, in_loop)
        };
        let is_import = value.is_some_and(|v| self.is_import_value(v));
        if name_node.kind() == "identifier" {
            let name = self.text(name_node);
            if let Some(v) = value {
                if is_function_value(v.kind()) {
                    let doc = self.declarator_doc();
                    let start = line_start(node);
                    self.new_function(node, v, None, name, start, true, Vec::new(), doc);
                    return;
                }
                if v.kind() == "class" {
                    self.class_def(v, node, name, ClassKind::Class);
                    return;
                }
            }
            if is_import {
                return;
            }
            if is_top {
                self.facts.top_level_names.push(name.clone());
            }
            if !in_loop && self.is_fn_def(owner) {
                let lt = if let Some(t) = ty {
                    LocalTy::Declared(self.norm(t))
                } else if let Some(c) = value
                    .filter(|v| v.kind() == "new_expression")
                    .and_then(|v| v.child_by_field_name("constructor"))
                    .and_then(|c| self.dotted(c))
                {
                    LocalTy::Ctor(c)
                } else {
                    LocalTy::Unknown
                };
                self.add_local(owner, name, lt);
            }
        } else {
            if is_import {
                return;
            }
            let mut names = Vec::new();
            self.pattern_names(name_node, &mut names, 0);
            if is_top {
                self.facts.top_level_names.extend(names.iter().cloned());
            }
            if !in_loop && self.is_fn_def(owner) {
                for n in names {
                    self.add_local(owner, n, LocalTy::Unknown);
                }
            }
        }
    }

    /// `require("m")`, `require("m").x`, `await import("m")`.
    fn is_import_value(&self, v: Node) -> bool {
        let mut cur = v;
        for _ in 0..3 {
            match cur.kind() {
                "call_expression" => {
                    return cur.child_by_field_name("function").is_some_and(|f| {
                        f.kind() == "import"
                            || (f.kind() == "identifier" && &*text(f, self.src) == "require")
                    });
                }
                "member_expression" => match cur.child_by_field_name("object") {
                    Some(o) => cur = o,
                    None => return false,
                },
                "await_expression" => match cur.named_child(0) {
                    Some(o) => cur = o,
                    None => return false,
                },
                _ => return false,
            }
        }
        false
    }

    /// Parameters of a function-like node: `def` receives `Param`s; type refs and locals go to
    /// the current owner (the def itself once its frame is pushed).
    fn params(&mut self, fn_node: Node<'a>, def: Option<DefIdx>, ctor_class: Option<DefIdx>) {
        if let Some(p) = fn_node.child_by_field_name("parameter") {
            self.param(def, Some(p), None, None, false, None);
            return;
        }
        let Some(params) = fn_node.child_by_field_name("parameters") else {
            return;
        };
        let mut c = params.walk();
        let list: Vec<Node<'a>> = params.named_children(&mut c).collect();
        for p in list {
            match p.kind() {
                "required_parameter" | "optional_parameter" => {
                    let pat = p
                        .child_by_field_name("pattern")
                        .or_else(|| p.child_by_field_name("name"));
                    let ty = p
                        .child_by_field_name("type")
                        .filter(|t| t.kind() == "type_annotation")
                        .and_then(|t| t.named_child(0));
                    let default = p.child_by_field_name("value");
                    let mut is_prop = false;
                    let mut c2 = p.walk();
                    for ch in p.children(&mut c2) {
                        if matches!(ch.kind(), "accessibility_modifier" | "override_modifier")
                            || (!ch.is_named() && ch.kind() == "readonly")
                        {
                            is_prop = true;
                        }
                    }
                    self.param(def, pat, ty, default, is_prop, ctor_class);
                }
                "assignment_pattern" => {
                    let left = p.child_by_field_name("left");
                    let right = p.child_by_field_name("right");
                    self.param(def, left, None, right, false, None);
                }
                "comment" => {}
                _ => self.param(def, Some(p), None, None, false, None),
            }
        }
    }

    fn param(
        &mut self,
        def: Option<DefIdx>,
        pat: Option<Node<'a>>,
        ty: Option<Node<'a>>,
        default: Option<Node<'a>>,
        is_prop: bool,
        ctor_class: Option<DefIdx>,
    ) {
        let Some(pat) = pat else {
            return;
        };
        if pat.kind() == "this" {
            return;
        }
        let owner = self.owner();
        let (name_node, variadic) = if pat.kind() == "rest_pattern" {
            (pat.named_child(0).unwrap_or(pat), true)
        } else {
            (pat, false)
        };
        let name = if name_node.kind() == "identifier" {
            self.text(name_node)
        } else {
            self.norm(name_node)
        };
        let ty_text = ty.map(|t| self.norm(t));
        if let Some(t) = ty {
            self.type_refs(t, owner);
        }
        if self.is_fn_def(owner) {
            if name_node.kind() == "identifier" {
                let lt = match &ty_text {
                    Some(t) => LocalTy::Declared(t.clone()),
                    None => LocalTy::Unknown,
                };
                self.add_local(owner, name.clone(), lt);
            } else {
                let mut names = Vec::new();
                self.pattern_names(name_node, &mut names, 0);
                for n in names {
                    self.add_local(owner, n, LocalTy::Unknown);
                }
            }
        }
        if is_prop && name_node.kind() == "identifier" {
            if let Some(c) = ctor_class {
                self.add_attribute(c, name.clone(), ty_text.clone());
            }
        }
        if let Some(d) = def {
            let default = default.map(|v| cut_chars(&self.norm(v), 100));
            if let Some(f) = self.def_mut(d).function.as_mut() {
                f.parameters.push(Param {
                    name,
                    type_: ty_text,
                    default,
                    variadic,
                    keyword: false,
                });
            }
        }
    }

    fn is_tparam(&self, name: &str) -> bool {
        self.frames
            .iter()
            .rev()
            .any(|f| f.tparams.iter().any(|t| t == name))
    }

    /// Every type identifier in a type subtree (iterative).
    fn type_refs(&mut self, root: Node<'a>, owner: Option<DefIdx>) {
        let Some(owner) = owner else {
            return;
        };
        let mut cursor = root.walk();
        let root_id = root.id();
        loop {
            let n = cursor.node();
            let mut descend = true;
            match n.kind() {
                "type_identifier" => {
                    descend = false;
                    let name = self.text(n);
                    if !self.is_tparam(&name) {
                        self.facts.type_refs.push(TypeRef {
                            owner: Some(owner),
                            name,
                            line: line_start(n),
                        });
                    }
                }
                "nested_type_identifier" => {
                    descend = false;
                    let name: String = text(n, self.src)
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    self.facts.type_refs.push(TypeRef {
                        owner: Some(owner),
                        name,
                        line: line_start(n),
                    });
                }
                "type_query"
                | "literal_type"
                | "predefined_type"
                | "this_type"
                | "string"
                | "template_literal_type"
                | "comment" => descend = false,
                _ => {}
            }
            if descend && cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.node().id() == root_id {
                    return;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // assignments, calls, JSX

    fn assignment(&mut self, node: Node<'a>) {
        let Some(left) = node.child_by_field_name("left") else {
            return;
        };
        let owner = self.owner();
        match left.kind() {
            "identifier" => {
                let name = self.text(left);
                self.add_local(owner, name, LocalTy::Unknown);
            }
            "object_pattern" | "array_pattern" if self.is_fn_def(owner) => {
                let mut names = Vec::new();
                self.pattern_names(left, &mut names, 0);
                for n in names {
                    self.add_local(owner, n, LocalTy::Unknown);
                }
            }
            "member_expression" => {
                let Some(o) = owner else {
                    return;
                };
                let is_ctor = self
                    .def(o)
                    .function
                    .as_ref()
                    .is_some_and(|f| f.is_constructor);
                if !is_ctor {
                    return;
                }
                let (Some(obj), Some(prop)) = (
                    left.child_by_field_name("object"),
                    left.child_by_field_name("property"),
                ) else {
                    return;
                };
                if obj.kind() != "this" {
                    return;
                }
                let Some(class_idx) = self.def(o).parent else {
                    return;
                };
                if self.def(class_idx).kind != DefKind::Class {
                    return;
                }
                let name = self.text(prop);
                let ty = node
                    .child_by_field_name("right")
                    .filter(|r| r.kind() == "identifier")
                    .and_then(|r| {
                        let pname = text(r, self.src);
                        self.def(o).function.as_ref().and_then(|f| {
                            f.parameters
                                .iter()
                                .find(|p| p.name == pname && !p.variadic)
                                .and_then(|p| p.type_.clone())
                        })
                    });
                self.add_attribute(class_idx, name, ty);
            }
            _ => {}
        }
    }

    fn call(&mut self, node: Node<'a>) {
        let Some(func) = node.child_by_field_name("function") else {
            return;
        };
        match func.kind() {
            "import" => self.require_or_import(node, true),
            "identifier" => {
                let name = self.text(func);
                if name == "require" {
                    self.require_or_import(node, false);
                } else {
                    self.push_call(Callee::Bare(name), node);
                }
            }
            "super" => self.push_call(Callee::SuperMember("constructor".into()), node),
            "member_expression" => {
                let (Some(obj), Some(prop)) = (
                    func.child_by_field_name("object"),
                    func.child_by_field_name("property"),
                ) else {
                    return;
                };
                let name = self.text(prop);
                let obj = unwrap_expr(obj);
                let callee = match obj.kind() {
                    "this" => Callee::SelfMember(name),
                    "super" => Callee::SuperMember(name),
                    _ => Callee::Member {
                        receiver: self.receiver(obj),
                        name,
                    },
                };
                self.push_call(callee, node);
            }
            _ => {}
        }
    }

    fn receiver(&self, obj: Node) -> Receiver {
        match obj.kind() {
            "identifier" => Receiver::Ident(self.text(obj)),
            "member_expression" => {
                if let (Some(o), Some(p)) = (
                    obj.child_by_field_name("object"),
                    obj.child_by_field_name("property"),
                ) {
                    if unwrap_expr(o).kind() == "this" {
                        return Receiver::SelfField(self.text(p));
                    }
                }
                match self.path(obj) {
                    Some(p) => Receiver::Path(p),
                    None => Receiver::Other,
                }
            }
            "new_expression" => match obj
                .child_by_field_name("constructor")
                .and_then(|c| self.dotted(c))
            {
                Some(c) => Receiver::NewOf(c),
                None => Receiver::Other,
            },
            _ => Receiver::Other,
        }
    }

    fn jsx(&mut self, node: Node<'a>) {
        let Some(n) = node.child_by_field_name("name") else {
            return;
        };
        let name = match n.kind() {
            "identifier" => {
                let t = self.text(n);
                if !t.chars().next().is_some_and(|c| c.is_uppercase()) {
                    return;
                }
                t
            }
            "member_expression" | "nested_identifier" => match self.dotted(n) {
                Some(t) => t,
                None => self.norm(n),
            },
            _ => return,
        };
        self.push_call(Callee::New(name), node);
    }

    // ----------------------------------------------------------------------------------------
    // imports and exports

    fn push_import(&mut self, imp: Import) {
        self.facts.imports.push(imp);
    }

    fn import_statement(&mut self, node: Node<'a>) {
        let stmt_type = Self::has_token(node, "type");
        let mut source = node.child_by_field_name("source");
        let mut names = Vec::new();
        let mut alias = None;
        let mut c = node.walk();
        for ch in node.named_children(&mut c) {
            match ch.kind() {
                "import_clause" => {
                    let mut c2 = ch.walk();
                    for cl in ch.named_children(&mut c2) {
                        match cl.kind() {
                            "identifier" => names.push(ImportedName {
                                name: "default".into(),
                                local: self.text(cl),
                                type_only: stmt_type,
                            }),
                            "namespace_import" => {
                                alias = cl.named_child(0).map(|i| self.text(i));
                            }
                            "named_imports" => {
                                let mut c3 = cl.walk();
                                for s in cl.named_children(&mut c3) {
                                    if s.kind() != "import_specifier" {
                                        continue;
                                    }
                                    let Some(n) = s.child_by_field_name("name") else {
                                        continue;
                                    };
                                    let name = if n.kind() == "string" {
                                        self.string_content(n).unwrap_or_default()
                                    } else {
                                        self.text(n)
                                    };
                                    let local = s
                                        .child_by_field_name("alias")
                                        .map(|a| self.text(a))
                                        .unwrap_or_else(|| name.clone());
                                    names.push(ImportedName {
                                        name,
                                        local,
                                        type_only: stmt_type || Self::has_token(s, "type"),
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "import_require_clause" => {
                    alias = ch
                        .named_child(0)
                        .filter(|i| i.kind() == "identifier")
                        .map(|i| self.text(i));
                    source = ch.child_by_field_name("source");
                }
                _ => {}
            }
        }
        let Some(specifier) = source.and_then(|s| self.string_content(s)) else {
            return;
        };
        let all_typed = !names.is_empty() && alias.is_none() && names.iter().all(|n| n.type_only);
        self.push_import(Import {
            specifier,
            kind: ImportKind::Es,
            names,
            alias,
            line: line_start(node),
            type_only: stmt_type || all_typed,
            dynamic: false,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        });
    }

    /// Returns whether to descend.
    fn export_statement(&mut self, node: Node<'a>) -> bool {
        let at_top = self.anc.len() == 1;
        if let Some(source) = node.child_by_field_name("source") {
            let Some(specifier) = self.string_content(source) else {
                return false;
            };
            let stmt_type = Self::has_token(node, "type");
            let mut names = Vec::new();
            let mut alias = None;
            let mut c = node.walk();
            let mut star = false;
            for ch in node.children(&mut c) {
                match ch.kind() {
                    "export_clause" => {
                        let mut c2 = ch.walk();
                        for s in ch.named_children(&mut c2) {
                            if s.kind() != "export_specifier" {
                                continue;
                            }
                            let Some(n) = s.child_by_field_name("name") else {
                                continue;
                            };
                            let name = self.export_name(n);
                            let local = s
                                .child_by_field_name("alias")
                                .map(|a| self.export_name(a))
                                .unwrap_or_else(|| name.clone());
                            names.push(ImportedName {
                                name,
                                local,
                                type_only: stmt_type || Self::has_token(s, "type"),
                            });
                        }
                    }
                    "namespace_export" => {
                        alias = ch.named_child(0).map(|i| self.export_name(i));
                    }
                    "*" => star = true,
                    _ => {}
                }
            }
            if star && alias.is_none() {
                names.push(ImportedName {
                    name: "*".into(),
                    local: "*".into(),
                    type_only: stmt_type,
                });
            }
            let all_typed =
                !names.is_empty() && alias.is_none() && names.iter().all(|n| n.type_only);
            self.push_import(Import {
                specifier,
                kind: ImportKind::Es,
                names,
                alias,
                line: line_start(node),
                type_only: stmt_type || all_typed,
                dynamic: false,
                reexport: true,
                is_static: false,
                scope: Vec::new(),
                path_attr: None,
            });
            return false;
        }
        let mut c = node.walk();
        let mut is_default = false;
        let mut is_assign = false;
        for ch in node.children(&mut c) {
            match ch.kind() {
                "default" if !ch.is_named() => is_default = true,
                "=" if !ch.is_named() => is_assign = true,
                "export_clause" if at_top => {
                    let mut c2 = ch.walk();
                    for s in ch.named_children(&mut c2) {
                        if s.kind() != "export_specifier" {
                            continue;
                        }
                        let n = s
                            .child_by_field_name("alias")
                            .or_else(|| s.child_by_field_name("name"));
                        if let Some(n) = n {
                            let name = self.export_name(n);
                            if name != "default" {
                                self.facts.top_level_names.push(name);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if is_default || is_assign {
            let v = node
                .child_by_field_name("value")
                .or_else(|| node.named_child(0).filter(|n| n.kind() == "identifier"));
            if let Some(v) = v.filter(|v| v.kind() == "identifier") {
                self.facts.default_export = Some(self.text(v));
            }
        }
        true
    }

    fn export_name(&self, n: Node) -> String {
        if n.kind() == "string" {
            self.string_content(n).unwrap_or_default()
        } else {
            self.text(n)
        }
    }

    /// `require("m")` (dynamic = false) or `import("m")` (dynamic = true) with a literal.
    fn require_or_import(&mut self, call: Node<'a>, dynamic: bool) {
        let Some(arg) = call
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
        else {
            return;
        };
        let Some(specifier) = self.string_content(arg) else {
            return;
        };
        let mut names = Vec::new();
        let mut alias = None;
        // Binding: `const x = require(…)`, `const {a, b: c} = require(…)`,
        // `const x = require(…).y`, `const x = await import(…)`.
        let n = self.anc.len();
        let mut prop: Option<String> = None;
        let mut bound = None;
        if n > 0 {
            let p = self.anc[n - 1];
            let gp_decl = if n >= 2 && self.anc[n - 2].kind() == "variable_declarator" {
                Some(self.anc[n - 2])
            } else {
                None
            };
            match p.kind() {
                "variable_declarator" => bound = Some(p),
                "member_expression" => {
                    let is_obj = p
                        .child_by_field_name("object")
                        .is_some_and(|o| o.id() == call.id());
                    if is_obj {
                        prop = p.child_by_field_name("property").map(|x| self.text(x));
                        if prop.is_some() {
                            bound = gp_decl;
                        }
                    }
                }
                "await_expression" => bound = gp_decl,
                _ => {}
            }
        }
        if let Some(decl) = bound {
            if let Some(name_node) = decl.child_by_field_name("name") {
                match (name_node.kind(), prop) {
                    ("identifier", Some(p)) => names.push(ImportedName {
                        name: p,
                        local: self.text(name_node),
                        type_only: false,
                    }),
                    ("identifier", None) => alias = Some(self.text(name_node)),
                    ("object_pattern", None) => {
                        let mut c = name_node.walk();
                        for ch in name_node.named_children(&mut c) {
                            match ch.kind() {
                                "shorthand_property_identifier_pattern" => {
                                    let t = self.text(ch);
                                    names.push(ImportedName {
                                        name: t.clone(),
                                        local: t,
                                        type_only: false,
                                    });
                                }
                                "object_assignment_pattern" => {
                                    if let Some(l) = ch.child_by_field_name("left").filter(|l| {
                                        l.kind() == "shorthand_property_identifier_pattern"
                                    }) {
                                        let t = self.text(l);
                                        names.push(ImportedName {
                                            name: t.clone(),
                                            local: t,
                                            type_only: false,
                                        });
                                    }
                                }
                                "pair_pattern" => {
                                    let key = ch.child_by_field_name("key");
                                    let mut val = ch.child_by_field_name("value");
                                    if let Some(v) =
                                        val.filter(|v| v.kind() == "assignment_pattern")
                                    {
                                        val = v.child_by_field_name("left");
                                    }
                                    if let (Some(k), Some(v)) = (key, val) {
                                        if v.kind() == "identifier" {
                                            let name = if k.kind() == "string" {
                                                self.string_content(k).unwrap_or_default()
                                            } else {
                                                self.text(k)
                                            };
                                            names.push(ImportedName {
                                                name,
                                                local: self.text(v),
                                                type_only: false,
                                            });
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        self.push_import(Import {
            specifier,
            kind: ImportKind::Es,
            names,
            alias,
            line: line_start(call),
            type_only: false,
            dynamic,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        });
    }

    // ----------------------------------------------------------------------------------------

    fn finish(mut self) -> FileFacts {
        let facts = &mut self.facts;
        if !facts.top_level_names.is_empty() {
            let mut exclude: HashSet<&str> = HashSet::new();
            for d in &facts.defs {
                if d.parent.is_none() && d.qname == d.name {
                    exclude.insert(d.name.as_str());
                }
            }
            for imp in &facts.imports {
                if let Some(a) = &imp.alias {
                    exclude.insert(a.as_str());
                }
                for n in &imp.names {
                    exclude.insert(n.local.as_str());
                }
            }
            let mut seen: HashSet<String> = HashSet::new();
            let names = std::mem::take(&mut facts.top_level_names);
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                if !exclude.contains(n.as_str()) && seen.insert(n.clone()) {
                    out.push(n);
                }
            }
            facts.top_level_names = out;
        }
        self.facts
    }
}

/// Strip `x!` and `(x)` wrappers around a receiver.
fn unwrap_expr(mut n: Node) -> Node {
    for _ in 0..MAX_DEPTH {
        match n.kind() {
            "non_null_expression" | "parenthesized_expression" => match n.named_child(0) {
                Some(c) => n = c,
                None => return n,
            },
            _ => return n,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::lang::Grammar;

    fn run(src: &str, g: Grammar) -> FileFacts {
        let lang: tree_sitter::Language = match g {
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Grammar::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            _ => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        };
        let mut p = tree_sitter::Parser::new();
        p.set_language(&lang).unwrap();
        let tree = p.parse(src, None).unwrap();
        extract(&tree, src.as_bytes(), g)
    }

    /// (qname, parent, line_start, line_end, complexity, has_body)
    type DefRow<'f> = (&'f str, Option<DefIdx>, u32, u32, u32, bool);

    fn defs(f: &FileFacts) -> Vec<DefRow<'_>> {
        f.defs
            .iter()
            .map(|d| {
                (
                    d.qname.as_str(),
                    d.parent,
                    d.line_start,
                    d.line_end,
                    d.complexity,
                    d.has_body,
                )
            })
            .collect()
    }

    fn func(f: &FileFacts, qname: &str) -> FunctionInfo {
        f.defs
            .iter()
            .find(|d| d.qname == qname)
            .and_then(|d| d.function.clone())
            .unwrap()
    }

    fn class(f: &FileFacts, qname: &str) -> ClassInfo {
        f.defs
            .iter()
            .find(|d| d.qname == qname)
            .and_then(|d| d.class.clone())
            .unwrap()
    }

    fn calls(f: &FileFacts) -> Vec<(Option<DefIdx>, Callee, u32)> {
        f.calls
            .iter()
            .map(|c| (c.caller, c.callee.clone(), c.line))
            .collect()
    }

    fn trefs(f: &FileFacts) -> Vec<(Option<DefIdx>, &str, u32)> {
        f.type_refs
            .iter()
            .map(|t| (t.owner, t.name.as_str(), t.line))
            .collect()
    }

    fn p(name: &str, ty: Option<&str>) -> Param {
        Param {
            name: name.into(),
            type_: ty.map(Into::into),
            ..Param::default()
        }
    }

    fn local(name: &str, ty: LocalTy) -> LocalType {
        LocalType {
            name: name.into(),
            ty,
        }
    }

    fn decl(t: &str) -> LocalTy {
        LocalTy::Declared(t.into())
    }

    fn named(name: &str, local: &str, type_only: bool) -> ImportedName {
        ImportedName {
            name: name.into(),
            local: local.into(),
            type_only,
        }
    }

    fn imp(spec: &str, names: Vec<ImportedName>, alias: Option<&str>, line: u32) -> Import {
        Import {
            specifier: spec.into(),
            kind: ImportKind::Es,
            names,
            alias: alias.map(Into::into),
            line,
            type_only: false,
            dynamic: false,
            reexport: false,
            is_static: false,
            scope: Vec::new(),
            path_attr: None,
        }
    }

    fn member(recv: Receiver, name: &str) -> Callee {
        Callee::Member {
            receiver: recv,
            name: name.into(),
        }
    }

    const SVC_TS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/typescript/src/svc.ts"
    ));

    #[test]
    fn spec_svc_ts() {
        let f = run(SVC_TS, Grammar::TypeScript);
        assert_eq!(
            defs(&f),
            vec![
                ("Repo", None, 5, 7, 0, false),
                ("Repo.find", Some(0), 6, 6, 0, false),
                ("UserService", None, 9, 16, 0, false),
                ("UserService.constructor", Some(2), 10, 10, 1, true),
                ("UserService.find", Some(2), 12, 15, 2, true),
                ("getUser", None, 19, 19, 1, true),
            ]
        );
        assert_eq!(class(&f, "Repo").kind, ClassKind::Interface);
        let us = class(&f, "UserService");
        assert_eq!(
            us.bases,
            vec![Base {
                text: "Repo".into(),
                relation: Relation::Implements,
                line: 9
            }]
        );
        assert_eq!(us.attributes, vec!["repo".to_string()]);
        assert_eq!(us.field_types, vec![("repo".into(), "Repo".into())]);
        let ctor = func(&f, "UserService.constructor");
        assert!(ctor.is_constructor && ctor.is_method);
        assert_eq!(ctor.parameters, vec![p("repo", Some("Repo"))]);
        assert_eq!(ctor.return_type, None);
        let find = func(&f, "UserService.find");
        assert_eq!(find.return_type.as_deref(), Some("User | undefined"));
        assert!(find.is_method && !find.is_constructor);
        let get_user = func(&f, "getUser");
        assert!(!get_user.is_method);
        assert_eq!(
            get_user.parameters,
            vec![p("svc", Some("UserService")), p("id", Some("string"))]
        );
        assert_eq!(
            f.defs[5].locals,
            vec![
                local("svc", decl("UserService")),
                local("id", decl("string"))
            ]
        );
        assert_eq!(f.defs[3].locals, vec![local("repo", decl("Repo"))]);

        let mut user = imp("./models", vec![named("User", "User", true)], None, 1);
        user.type_only = true;
        assert_eq!(
            f.imports,
            vec![
                user,
                imp("@lib/log", vec![named("log", "log", false)], None, 2),
                imp("express", vec![named("default", "express", false)], None, 3),
            ]
        );
        assert_eq!(
            calls(&f),
            vec![
                (Some(4), Callee::Bare("log".into()), 13),
                (
                    Some(4),
                    member(Receiver::SelfField("repo".into()), "find"),
                    14
                ),
                (
                    None,
                    member(Receiver::Ident("express".into()), "Router"),
                    18
                ),
                (Some(5), member(Receiver::Ident("svc".into()), "find"), 19),
            ]
        );
        assert_eq!(
            trefs(&f),
            vec![
                (Some(1), "User", 6),
                (Some(3), "Repo", 10),
                (Some(4), "User", 12),
                (Some(5), "UserService", 19),
            ]
        );
        assert_eq!(f.top_level_names, vec!["router".to_string()]);
        assert_eq!(f.default_export, None);
        assert_eq!(f.parse_errors, 0);
    }

    #[test]
    fn spec_app_tsx() {
        let src = r#"import { Button } from "./Button";

export function App({ label }: { label: string }) {
  return <Button onClick={() => alert(label)}>{label}</Button>;
}
"#;
        let f = run(src, Grammar::Tsx);
        assert_eq!(defs(&f), vec![("App", None, 3, 5, 1, true)]);
        assert_eq!(
            func(&f, "App").parameters,
            vec![p("{ label }", Some("{ label: string }"))]
        );
        assert_eq!(f.defs[0].locals, vec![local("label", LocalTy::Unknown)]);
        assert_eq!(
            f.imports,
            vec![imp(
                "./Button",
                vec![named("Button", "Button", false)],
                None,
                1
            )]
        );
        assert_eq!(
            calls(&f),
            vec![
                (Some(0), Callee::New("Button".into()), 4),
                (Some(0), Callee::Bare("alert".into()), 4),
            ]
        );
        assert!(f.type_refs.is_empty());

        let button = run(
            "export const Button = (p: Props) => <button {...p} />;\n",
            Grammar::Tsx,
        );
        assert_eq!(defs(&button), vec![("Button", None, 1, 1, 1, true)]);
        assert_eq!(trefs(&button), vec![(Some(0), "Props", 1)]);
        assert!(button.calls.is_empty(), "lower-case JSX tags are not calls");
    }

    #[test]
    fn spec_index_js() {
        let src = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/javascript/lib/index.js"
        ));
        let f = run(src, Grammar::JavaScript);
        assert_eq!(
            defs(&f),
            vec![
                ("Greeter", None, 4, 8, 0, false),
                ("Greeter.greet", Some(0), 5, 7, 2, true),
                ("main", None, 10, 13, 2, true),
            ]
        );
        assert!(func(&f, "Greeter.greet").is_method);
        assert_eq!(f.defs[1].visibility, None);
        assert_eq!(
            f.imports,
            vec![
                imp("./util", vec![named("format", "format", false)], None, 1),
                imp("path", vec![], Some("path"), 2),
            ]
        );
        assert_eq!(
            calls(&f),
            vec![
                (Some(1), Callee::Bare("format".into()), 6),
                (Some(2), Callee::New("Greeter".into()), 11),
                (
                    Some(2),
                    member(Receiver::Ident("console".into()), "log"),
                    12
                ),
                (Some(2), member(Receiver::Ident("g".into()), "greet"), 12),
            ]
        );
        assert_eq!(
            f.defs[2].locals,
            vec![
                local("argv", LocalTy::Unknown),
                local("g", LocalTy::Ctor("Greeter".into()))
            ]
        );
        assert!(f.top_level_names.is_empty());
    }

    #[test]
    fn export_default_forms() {
        let f = run(
            "export default function () {}\nexport default class {}\n",
            Grammar::TypeScript,
        );
        assert_eq!(
            defs(&f),
            vec![
                ("default", None, 1, 1, 1, true),
                ("default", None, 2, 2, 0, false)
            ]
        );
        assert_eq!(f.default_export, None);
        let f = run("const Foo = 1;\nexport default Foo;\n", Grammar::JavaScript);
        assert_eq!(f.default_export.as_deref(), Some("Foo"));
        assert_eq!(f.top_level_names, vec!["Foo".to_string()]);
        let f = run("export default function named() {}\n", Grammar::JavaScript);
        assert_eq!(defs(&f), vec![("named", None, 1, 1, 1, true)]);
    }

    #[test]
    fn namespaces_are_transparent_scopes() {
        let src = "namespace A.B {\n  export function f() {}\n  export class C { m() {} }\n}\nmodule M { function g() {} }\n";
        let f = run(src, Grammar::TypeScript);
        assert_eq!(
            defs(&f),
            vec![
                ("A.B.f", None, 2, 2, 1, true),
                ("A.B.C", None, 3, 3, 0, false),
                ("A.B.C.m", Some(1), 3, 3, 1, true),
                ("M.g", None, 5, 5, 1, true),
            ]
        );
        assert_eq!(f.defs[0].name, "f");
    }

    #[test]
    fn overloads_and_accessors() {
        let src = r#"function f(x: string): string;
function f(x: number): number;
function f(x: any) { return x; }
class P {
  private _v = 0;
  get v(): number { return this._v; }
  set v(x: number) { this._v = x; }
  static make(): P { return new P(); }
  protected async load?(): Promise<void>;
  go(a: string): void;
  go(a: any) {}
}
declare function d(): void;
"#;
        let f = run(src, Grammar::TypeScript);
        assert_eq!(
            defs(&f),
            vec![
                ("f", None, 1, 1, 0, false),
                ("f", None, 2, 2, 0, false),
                ("f", None, 3, 3, 1, true),
                ("P", None, 4, 12, 0, false),
                ("P.v", Some(3), 6, 6, 1, true),
                ("P.v", Some(3), 7, 7, 1, true),
                ("P.make", Some(3), 8, 8, 1, true),
                ("P.load", Some(3), 9, 9, 0, false),
                ("P.go", Some(3), 10, 10, 0, false),
                ("P.go", Some(3), 11, 11, 1, true),
                ("d", None, 13, 13, 0, false),
            ]
        );
        assert!(f.defs[4].function.as_ref().unwrap().is_property);
        assert!(f.defs[5].function.as_ref().unwrap().is_property);
        let make = f.defs[6].function.as_ref().unwrap();
        assert!(make.is_static && !make.is_property);
        assert_eq!(make.return_type.as_deref(), Some("P"));
        assert_eq!(f.defs[7].visibility.as_deref(), Some("protected"));
        assert!(f.defs[7].function.as_ref().unwrap().is_async);
        assert_eq!(
            f.defs[7].function.as_ref().unwrap().return_type.as_deref(),
            Some("Promise<void>")
        );
        assert_eq!(class(&f, "P").attributes, vec!["_v".to_string()]);
        assert_eq!(calls(&f), vec![(Some(6), Callee::New("P".into()), 8)]);
        assert_eq!(trefs(&f), vec![(Some(6), "P", 8), (Some(7), "Promise", 9)]);
    }

    #[test]
    fn decorators_docstrings_visibility() {
        let src = r#"/**
 * A service.
 *   indented
 */
@Injectable()
export class S extends models.Base<T> implements I<X>, ns.J {
  /** The name. */
  @Input() public name: string;

  /** Runs. */
  @log
  @other.deco(1)
  private run(@Inject() x: Foo): void {}

  handler = async (e: Ev) => { if (e) {} };
}
"#;
        let f = run(src, Grammar::TypeScript);
        assert_eq!(
            defs(&f),
            vec![
                ("S", None, 5, 16, 0, false),
                ("S.run", Some(0), 11, 13, 1, true),
                ("S.handler", Some(0), 15, 15, 2, true),
            ]
        );
        assert_eq!(
            f.defs[0].docstring.as_deref(),
            Some("A service.\n  indented")
        );
        assert_eq!(f.defs[0].decorators, vec!["Injectable".to_string()]);
        assert_eq!(f.defs[0].visibility, None);
        assert_eq!(
            class(&f, "S").bases,
            vec![
                Base {
                    text: "models.Base".into(),
                    relation: Relation::Extends,
                    line: 6
                },
                Base {
                    text: "I".into(),
                    relation: Relation::Implements,
                    line: 6
                },
                Base {
                    text: "ns.J".into(),
                    relation: Relation::Implements,
                    line: 6
                },
            ]
        );
        assert_eq!(class(&f, "S").attributes, vec!["name".to_string()]);
        assert_eq!(f.defs[1].docstring.as_deref(), Some("Runs."));
        assert_eq!(
            f.defs[1].decorators,
            vec!["log".to_string(), "other.deco".to_string()]
        );
        assert_eq!(f.defs[1].visibility.as_deref(), Some("private"));
        let h = func(&f, "S.handler");
        assert!(h.is_async && h.is_method);
        assert_eq!(h.parameters, vec![p("e", Some("Ev"))]);
        // Decorator calls belong to the class (member decorators) or the module.
        assert_eq!(
            calls(&f),
            vec![
                (None, Callee::Bare("Injectable".into()), 5),
                (Some(0), Callee::Bare("Input".into()), 8),
                (Some(0), member(Receiver::Ident("other".into()), "deco"), 12),
                (Some(1), Callee::Bare("Inject".into()), 13),
            ]
        );
        assert_eq!(trefs(&f), vec![(Some(1), "Foo", 13), (Some(2), "Ev", 15)]);
    }

    #[test]
    fn imports_every_form() {
        let src = r#"import a, { b as c, type D } from "m1";
import * as ns from "m2";
import "m3";
import type { E } from "m4";
import { type F } from "m5";
export { g, h as i } from "m6";
export * from "m7";
export type { J } from "m8";
import k = require("m9");
const l = require("m10");
const { n, o: p } = require("m11");
require("m12");
async function lazy() { const q = await import("m13"); }
import(name);
"#;
        let f = run(src, Grammar::TypeScript);
        let mut want = vec![
            imp(
                "m1",
                vec![
                    named("default", "a", false),
                    named("b", "c", false),
                    named("D", "D", true),
                ],
                None,
                1,
            ),
            imp("m2", vec![], Some("ns"), 2),
            imp("m3", vec![], None, 3),
            imp("m4", vec![named("E", "E", true)], None, 4),
            imp("m5", vec![named("F", "F", true)], None, 5),
            imp(
                "m6",
                vec![named("g", "g", false), named("h", "i", false)],
                None,
                6,
            ),
            imp("m7", vec![named("*", "*", false)], None, 7),
            imp("m8", vec![named("J", "J", true)], None, 8),
            imp("m9", vec![], Some("k"), 9),
            imp("m10", vec![], Some("l"), 10),
            imp(
                "m11",
                vec![named("n", "n", false), named("o", "p", false)],
                None,
                11,
            ),
            imp("m12", vec![], None, 12),
            imp("m13", vec![], Some("q"), 13),
        ];
        want[3].type_only = true;
        want[4].type_only = true;
        want[7].type_only = true;
        for w in &mut want[5..8] {
            w.reexport = true;
        }
        want[12].dynamic = true;
        assert_eq!(f.imports, want);
        assert!(f.calls.is_empty(), "require/import are not call sites");
        assert!(f.top_level_names.is_empty());
        assert!(f.defs[0].locals.is_empty());
    }

    #[test]
    fn call_forms() {
        let src = r#"class B extends A {
  constructor() { super(); super.init(); }
  m() {
    f();
    this.g();
    x.h();
    a.b.i();
    this.svc.j();
    new C().k();
    new ns.D();
    make().l();
    items.map(function () { return z(); });
  }
}
const u = <ui.Button/>;
"#;
        let f = run(src, Grammar::Tsx);
        assert_eq!(
            calls(&f),
            vec![
                (Some(1), Callee::SuperMember("constructor".into()), 2),
                (Some(1), Callee::SuperMember("init".into()), 2),
                (Some(2), Callee::Bare("f".into()), 4),
                (Some(2), Callee::SelfMember("g".into()), 5),
                (Some(2), member(Receiver::Ident("x".into()), "h"), 6),
                (
                    Some(2),
                    member(Receiver::Path(vec!["a".into(), "b".into()]), "i"),
                    7
                ),
                (Some(2), member(Receiver::SelfField("svc".into()), "j"), 8),
                (Some(2), member(Receiver::NewOf("C".into()), "k"), 9),
                (Some(2), Callee::New("C".into()), 9),
                (Some(2), Callee::New("ns.D".into()), 10),
                (Some(2), member(Receiver::Other, "l"), 11),
                (Some(2), Callee::Bare("make".into()), 11),
                (Some(2), member(Receiver::Ident("items".into()), "map"), 12),
                (Some(2), Callee::Bare("z".into()), 12),
                (None, Callee::New("ui.Button".into()), 15),
            ]
        );
        assert_eq!(
            class(&f, "B").bases,
            vec![Base {
                text: "A".into(),
                relation: Relation::Extends,
                line: 1
            }]
        );
    }

    #[test]
    fn complexity_and_nested_defs() {
        let src = r#"function outer(a, b) {
  if (a && b) {}
  for (const x of a) {}
  for (let i = 0; i < 1; i++) {}
  while (a) {}
  do {} while (b);
  switch (a) { case 1: break; case 2: break; default: break; }
  try {} catch (e) {} finally {}
  const t = a ? 1 : 2;
  a ??= b || c ?? d;
  cb(() => { if (a) {} });
  const inner = () => { if (b) {} };
  function named() { return a || b; }
}
"#;
        let f = run(src, Grammar::JavaScript);
        // 1 + if, &&, for-of, for, while, do, 2 cases, catch, ternary, ??=, ||, ??, if in callback
        assert_eq!(
            defs(&f),
            vec![
                ("outer", None, 1, 14, 15, true),
                ("outer.inner", Some(0), 12, 12, 2, true),
                ("outer.named", Some(0), 13, 13, 2, true),
            ]
        );
        assert!(!func(&f, "outer.inner").is_method);
        assert_eq!(
            f.defs[0].locals,
            vec![
                local("a", LocalTy::Unknown),
                local("b", LocalTy::Unknown),
                local("t", LocalTy::Unknown),
            ]
        );
    }

    #[test]
    fn locals_and_fields() {
        let src = r#"class K {
  repo: Repo;
  constructor(repo: Repo, private readonly log: Logger, n = 1) {
    this.repo = repo;
    this.count = n;
  }
  run(this: K, opts?: Opts<User>) {
    let s: Svc = make();
    const c = new Cache<string>();
    let d = new Dup();
    d = other();
    const { x } = opts;
    list.forEach((it: Item) => it.go());
  }
}
"#;
        let f = run(src, Grammar::TypeScript);
        let k = class(&f, "K");
        assert_eq!(k.attributes, vec!["repo", "log", "count"]);
        assert_eq!(
            k.field_types,
            vec![
                ("repo".into(), "Repo".into()),
                ("log".into(), "Logger".into())
            ]
        );
        let ctor = func(&f, "K.constructor");
        assert_eq!(
            ctor.parameters,
            vec![
                p("repo", Some("Repo")),
                p("log", Some("Logger")),
                Param {
                    default: Some("1".into()),
                    ..p("n", None)
                },
            ]
        );
        assert_eq!(
            func(&f, "K.run").parameters,
            vec![p("opts", Some("Opts<User>"))]
        );
        assert_eq!(
            f.defs[2].locals,
            vec![
                local("opts", decl("Opts<User>")),
                local("s", decl("Svc")),
                local("c", LocalTy::Ctor("Cache".into())),
                local("d", LocalTy::Ctor("Dup".into())),
                local("d", LocalTy::Unknown),
                local("x", LocalTy::Unknown),
                local("it", decl("Item")),
            ]
        );
        assert_eq!(
            trefs(&f),
            vec![
                (Some(0), "Repo", 2),
                (Some(1), "Repo", 3),
                (Some(1), "Logger", 3),
                (Some(2), "Opts", 7),
                (Some(2), "User", 7),
                (Some(2), "Svc", 8),
                (Some(2), "Item", 13),
            ]
        );
    }

    #[test]
    fn excluded_constructs() {
        let src = r#"type T = { f(): void };
const obj = { m() { a(); }, n: () => b() };
setTimeout(function () { c(); });
const C = class { method() { d(); } };
export enum Color { Red, Green = "g" }
"#;
        let f = run(src, Grammar::TypeScript);
        assert_eq!(
            defs(&f),
            vec![
                ("C", None, 4, 4, 0, false),
                ("C.method", Some(0), 4, 4, 1, true),
                ("Color", None, 5, 5, 0, false),
            ]
        );
        assert_eq!(class(&f, "Color").kind, ClassKind::Enum);
        assert_eq!(class(&f, "Color").attributes, vec!["Red", "Green"]);
        assert_eq!(
            calls(&f)
                .into_iter()
                .map(|(c, _, l)| (c, l))
                .collect::<Vec<_>>(),
            vec![(None, 2), (None, 2), (None, 3), (None, 3), (Some(1), 4)]
        );
        assert_eq!(f.top_level_names, vec!["obj".to_string()]);
    }

    #[test]
    fn type_params_and_generics_are_filtered() {
        let src = "function id<T>(x: T, m: Map<string, User>): ns.Box<T> { return x; }\n";
        let f = run(src, Grammar::TypeScript);
        assert_eq!(
            trefs(&f),
            vec![
                (Some(0), "Map", 1),
                (Some(0), "User", 1),
                (Some(0), "ns.Box", 1)
            ]
        );
        assert_eq!(func(&f, "id").return_type.as_deref(), Some("ns.Box<T>"));
    }

    #[test]
    fn never_panics_on_broken_input() {
        let inputs = [
            "class { constructor( { this. = }",
            "function (",
            "export default",
            "import { from",
            "const x = require(",
            "@dec\n",
            "namespace { function f() {} }",
            "<Foo>",
            "a.b.c.d.e.f.g(",
            "\u{0}\u{fffd}",
        ];
        for s in inputs {
            for g in [Grammar::TypeScript, Grammar::Tsx, Grammar::JavaScript] {
                let _ = run(s, g);
            }
        }
        let deep = "(".repeat(5000) + &")".repeat(5000);
        let _ = run(&deep, Grammar::JavaScript);
        let long = (0..20000)
            .map(|i| format!("a{i}"))
            .collect::<Vec<_>>()
            .join(" + ");
        let _ = run(&format!("f({long});"), Grammar::TypeScript);
    }
}
