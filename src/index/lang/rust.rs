//! Rust extractor: a tree-sitter-rust syntax tree in, [`FileFacts`] out (`indexer.md` §5–§7,
//! §8.5, §13.5; `mubase.md` §7.2, §7.3).
//!
//! The tree is walked once, iteratively (a [`tree_sitter::TreeCursor`] plus explicit frame and
//! trivia stacks, so 10,000 nested blocks or expressions cannot overflow the stack). Small
//! sub-walks with explicit stacks handle parameters, types, patterns, use trees and attributes.
//! `Node::parent` / `Node::prev_sibling` are never used (they are linear in tree-sitter): the
//! attributes and doc comments preceding an item are collected by the walk itself (the "trivia
//! run": the `attribute_item` / comment siblings since the last other sibling).
//!
//! Definitions (`indexer.md` §5.2):
//! * `struct_item` / `union_item` → class `struct` (named fields → `attributes` and
//!   `field_types`; tuple-struct fields give type references only); `enum_item` → `enum`
//!   (variants → `attributes`, variant field types → type references); `trait_item` → `trait`
//!   (supertraits, and `where Self: B` bounds, → bases with relation `Extends`).
//! * `function_item` → function; `function_signature_item` only inside a trait (bodiless method,
//!   `has_body = false`, complexity 0). Signatures in `extern` blocks are not definitions.
//! * Trait methods are children of the trait (`Trait.m`). Methods of `impl [Trait for] Type`
//!   get qname `<prefix>.Type.m`, `attach: Some("Type")` and `parent` = the nearest enclosing
//!   *function* definition (`None` at module / inline-mod level); `<prefix>` is the qname
//!   prefix of the impl's position (inline mods, and enclosing functions for an impl inside a
//!   function body). `Type` is the outermost type name of the impl target with path and type
//!   arguments stripped (`impl<T> a::Foo<T>` → `Foo`, `&'a mut Bar` → `Bar`, `*const T` →
//!   `T`, `Box<T>` → `Box`, `dyn Tr + Send` → `Tr`, `u8` → `u8`); targets without a type name
//!   get rustdoc's primitive names: `[T]` → `slice`, `[T; N]` → `array`, `(A, B)` → `tuple`,
//!   `()` → `unit`, `!` → `never`, `fn(A)` → `fn` (`<T as Tr>::X` → `X`; `_` if nothing
//!   applies, e.g. a macro type). `impl Trait for Type` also pushes an [`ImplFact`] (not for
//!   negative impls `impl !Send for T`).
//! * Inline `mod m { … }` is transparent: it prefixes qnames (`m.f`) and `Import::scope`, but
//!   is not a definition and not a parent. `impl_item`, closures, `macro_rules!`, `const`,
//!   `static` and `type` items are not definitions. Macro invocations (item or expression) are
//!   never descended into: their token trees are opaque.
//! * Names are identifiers with a raw prefix `r#` removed (`r#type` → `type`), everywhere (defs,
//!   calls, imports, locals).
//! * `line_start` includes the outer attributes of the item; `decorators` = outer attribute
//!   paths (`derive`, `test`, `tokio::main`; `#[unsafe(no_mangle)]` → `no_mangle`), except
//!   `doc`. Visibility: `pub` → `public`; `pub(crate)`, `pub(super)`, `pub(in …)`, `crate` →
//!   `internal`; none or `pub(self)` → `private` (trait and trait-impl methods included).
//! * Docstrings: the outer doc comments (`///`, `/** */`) among the item's trivia run; the
//!   module docstring from inner doc comments (`//!`, `/*! */`) before the first item (shebang,
//!   inner attributes and plain comments may precede or interleave).
//! * Functions: `is_method` = in an impl or a trait body; `is_static` = such a method without
//!   a `self` parameter; `is_async` from `async`; `is_constructor` is always false; `self`
//!   parameters are listed (`mubase.md` §7.3.1): name `self`, type `Self` / `&Self` /
//!   `&mut Self` / `&'a Self` (`mut self` → `Self`, `self: Box<Self>` → `Box<Self>`). Pattern
//!   parameters are named by their whitespace-normalised text; `...` in extern signatures is
//!   `variadic`.
//! * Complexity (`indexer.md` §6): `if_expression`, `while_expression`, `for_expression`,
//!   `match_arm` (not a bare `_` arm without guard), `binary_expression` with `&&` / `||`, and
//!   each `&&` of a `let_chain`; closures count for their enclosing definition.
//!
//! References:
//! * Calls: `f()` → `Bare("f")`; `self.f()`, `Self::f()` → `SelfMember("f")`; `self.x.f()` →
//!   `Member{SelfField("x")}`; `x.f()` → `Member{Ident("x")}`; `a.b.f()` →
//!   `Member{Path(["a","b"])}`; `T::f()`, `m::f()`, `super::f()`, `self::f()`, `crate::f()` →
//!   `Member{Ident(first)}` (`self`, `super`, `crate` there are *module* segments: a value
//!   receiver `self` always gives `SelfMember`/`SelfField`); `a::b::f()` → `Member{Path(["a",
//!   "b"])}` (segments may be `crate`, `self`, `super`); a leading `::` is dropped; turbofish and
//!   generic arguments are stripped (`Vec::<u8>::new()` → `Ident("Vec")`); `S { … }.f()` →
//!   `Member{NewOf("S")}`; `<T as Tr>::f()`, call results and other receivers → `Receiver::Other`.
//!   Struct literals are not calls (like Go composite literals) and no `Callee::New` is
//!   produced; a tuple-struct construction `P(1, 2)` is `Bare("P")`. Callees that are not
//!   paths or method names (`f()()`, `(self.f)()`) give no call site. `line` = the line of the
//!   callee's name.
//! * Type references: parameter and return types (owner = the function), named-field, tuple-
//!   field and enum-variant field types (owner = the class), `let x: T` and typed closure
//!   parameters (owner = the enclosing definition). Every type name is recorded, generic
//!   arguments included, paths kept with `::` (`fmt::Formatter`); skipped: primitive types,
//!   `Self` and `Self::…`, `_`, lifetimes, `?Sized`, and the generic type parameters of the
//!   enclosing items (`T` in `fn f<T>(x: T)`, `impl<T>`, `struct S<T>`), also as the first
//!   segment of a path (`T::Item`). Trait bounds, where clauses, impl headers, casts and
//!   turbofish arguments are not references; `const` / `static` types are not collected, so
//!   `owner` is never `None`.
//! * Imports: one `RustUse` per leaf of a use tree: `specifier` = full path joined by `::`
//!   (leading `::` dropped), `alias` = the local name bound (last segment, `as` name; `self` in
//!   a list binds the module itself: specifier = the module path, alias = its last segment;
//!   `as _` → `None`), globs → specifier = the path before `::*`, `names = [*]`, alias `None`;
//!   `reexport` = the `use` has any visibility (`pub`, `pub(crate)`, …); `line` = the first
//!   line of the `use` item (every leaf of a multi-line list gets it). `extern crate x [as y]`
//!   → `RustUse` of `x`, alias `y` / `x` (`as _` → `None`). `mod x;` → `RustMod` of `x` with
//!   `path_attr` from `#[path = "…"]`. `scope` = names of the enclosing inline mods (outermost
//!   first), also for `use` inside function bodies. Leaves whose path would exceed 256
//!   segments are ignored.
//!
//! Local typing (`Def::locals`, functions only), same discipline as `python.rs`:
//! * a typed, plainly named parameter (not `self`) or `let x: T` → `Declared(T)`;
//!   `let x = T { … }` → `Ctor("T")` (path kept, type arguments removed); any other binding of a
//!   name → `Unknown`: `let x = T::new()`, untyped `let x;`, destructuring patterns (`let`,
//!   parameters, closure parameters, `for`, `if let` / `while let`, match arms), assignments
//!   and compound assignments `x = …`, `x += …`, untyped closure parameters;
//! * only the first binding of a name is recorded as such; a later binding adds one `Unknown`
//!   entry (once). **The resolver must treat a name with more than one entry, or with an
//!   `Unknown` entry, as of unknown type.**
//! * in methods of an `impl` (and their closures), `Self` in local type texts is replaced by
//!   the impl's type name (`other: &Self` → `Declared("&Circle")`, `Self { … }` →
//!   `Ctor("Circle")`); `Param::type_` keeps the text as written.
//!
//! `package`, `namespaces`, `qualified_refs`, `referenced_types`, `top_level_names`,
//! `default_export` stay empty; `parse_errors` is left at 0 (the caller fills it in). Once the
//! summed qname length exceeds the caller's 8 MiB budget, further definitions are not added
//! (the caller then reports `parse_failed`).

use tree_sitter::{Node, Tree};

use super::common::{clean_docstring, line_end, line_start, normalize_ws, text};
use crate::index::facts::{
    Base, CallSite, Callee, ClassInfo, ClassKind, Def, DefIdx, DefKind, FileFacts, FunctionInfo,
    ImplFact, Import, ImportKind, ImportedName, LocalTy, LocalType, Param, Receiver, Relation,
    TypeRef,
};

/// Past this summed qname length the caller marks the file `parse_failed`
/// (`lang::QNAME_BUDGET_BYTES`); no further definitions are built.
const QNAME_CAP: usize = 8 << 20;
/// Nesting limit for use trees (`a::{b::{c::{…}}}`).
const MAX_USE_DEPTH: usize = 256;
/// Node budget for the small searches over one type (impl target names).
const MAX_TYPE_NODES: usize = 4096;

/// Extract the facts of one Rust file. `parse_errors` is left at 0 (the caller fills it in).
pub fn extract(tree: &Tree, src: &[u8]) -> FileFacts {
    let root = tree.root_node();
    let mut ex = Extractor {
        src,
        facts: FileFacts::default(),
        frames: Vec::new(),
        trivia: Vec::new(),
        trivia_base: Vec::new(),
        qname_bytes: 0,
    };
    ex.facts.docstring = module_docstring(root, src);
    ex.walk(root);
    ex.facts
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    /// A definition (function or class).
    Def,
    /// An inline `mod m { … }`: qname prefix and import scope only.
    Mod,
    /// An `impl` block: its methods attach to `impl_type`.
    Impl,
}

struct Frame {
    /// The frame is popped when the walk leaves the node with this id.
    end_id: usize,
    kind: FrameKind,
    /// Nearest enclosing definition: owner of calls, complexity, type references, locals.
    owner: Option<usize>,
    /// Parent of definitions created directly inside.
    parent: Option<usize>,
    /// Qname prefix of definitions created directly inside (`""` at module level).
    prefix: String,
    /// `Mod` frames: the module name.
    mod_name: String,
    /// `Impl` frames: the attach type name.
    impl_type: String,
    /// Generic type parameter names declared by this frame's item.
    tparams: Vec<String>,
    /// What `Self` means inside (impl frames and their methods).
    self_type: Option<String>,
}

struct Extractor<'s, 't> {
    src: &'s [u8],
    facts: FileFacts,
    frames: Vec<Frame>,
    /// Attribute items and comments preceding the current node among its siblings (all
    /// levels; `trivia_base` marks where each open level starts).
    trivia: Vec<Node<'t>>,
    trivia_base: Vec<usize>,
    qname_bytes: usize,
}

/// What the trivia run before an item says about it.
struct Decorations {
    decorators: Vec<String>,
    /// Line of the first outer attribute, if any.
    first_attr_line: Option<u32>,
    docstring: Option<String>,
    /// `#[path = "…"]`.
    path_attr: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Small node helpers (bounds-checked; no recursion on input depth).

/// Raw bytes of a node, empty if the node is outside `src`.
fn bytes<'a>(n: Node, src: &'a [u8]) -> &'a [u8] {
    src.get(n.start_byte()..n.end_byte()).unwrap_or(&[])
}

/// Identifier text with a raw prefix `r#` removed.
fn ident(n: Node, src: &[u8]) -> String {
    let t = text(n, src);
    match t.strip_prefix("r#") {
        Some(rest) => rest.to_string(),
        None => t.into_owned(),
    }
}

fn named_children<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = n.walk();
    n.named_children(&mut cursor).collect()
}

fn has_child_kind(n: Node, kind: &str) -> bool {
    let mut cursor = n.walk();
    let found = n.children(&mut cursor).any(|c| c.kind() == kind);
    found
}

fn child_of_kind<'t>(n: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = n.walk();
    let found = n.children(&mut cursor).find(|c| c.kind() == kind);
    found
}

fn join_qname(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        let mut q = String::with_capacity(prefix.len() + 1 + name.len());
        q.push_str(prefix);
        q.push('.');
        q.push_str(name);
        q
    }
}

fn is_primitive(name: &str) -> bool {
    matches!(
        name,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "f32"
            | "f64"
            | "bool"
            | "char"
            | "str"
            | "Self"
            | "_"
    )
}

/// Type kinds the main walk does not descend into (their references are taken by sub-walks;
/// array lengths are still walked for calls).
fn is_type_kind(kind: &str) -> bool {
    matches!(
        kind,
        "primitive_type"
            | "type_identifier"
            | "generic_type"
            | "scoped_type_identifier"
            | "reference_type"
            | "pointer_type"
            | "tuple_type"
            | "function_type"
            | "abstract_type"
            | "dynamic_type"
            | "bounded_type"
            | "never_type"
            | "unit_type"
            | "removed_trait_bound"
            | "bracketed_type"
            | "qualified_type"
            | "type_arguments"
            | "trait_bounds"
    )
}

/// Segments of a plain path (`a::b::C`, `crate::x`, `Vec::<T>` → `Vec`): identifiers,
/// `crate` / `self` / `super`, type identifiers; generic arguments stripped; a leading `::`
/// dropped. `None` for anything else (`<T as Tr>::x`, macro metavariables, …).
fn path_segments(n: Node, src: &[u8]) -> Option<Vec<String>> {
    let mut segs = Vec::new();
    let mut cur = n;
    loop {
        match cur.kind() {
            "identifier" | "type_identifier" | "crate" | "self" | "super" => {
                segs.push(ident(cur, src));
                break;
            }
            "scoped_identifier" | "scoped_type_identifier" => {
                let name = cur.child_by_field_name("name")?;
                if !matches!(
                    name.kind(),
                    "identifier" | "type_identifier" | "super" | "self" | "crate"
                ) {
                    return None;
                }
                segs.push(ident(name, src));
                match cur.child_by_field_name("path") {
                    Some(p) => cur = p,
                    None => break, // `::a::b`: leading `::` dropped
                }
            }
            "generic_type" | "generic_type_with_turbofish" => {
                cur = cur.child_by_field_name("type")?;
            }
            _ => return None,
        }
    }
    segs.reverse();
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    Some(segs)
}

/// A type or trait as written, type arguments removed, path kept with `::` (`fmt::Display`,
/// `a::Foo<T>` → `a::Foo`, `Fn(u8) -> u8` → `Fn`).
fn path_text_no_args(n: Node, src: &[u8]) -> Option<String> {
    let mut cur = n;
    for _ in 0..8 {
        match cur.kind() {
            "function_type" => cur = cur.child_by_field_name("trait")?,
            "higher_ranked_trait_bound" => cur = cur.child_by_field_name("type")?,
            _ => return path_segments(cur, src).map(|s| s.join("::")),
        }
    }
    None
}

/// The outermost type name of an impl target (`a::Foo<T>` → `Foo`, `&'a T` → `T`); rustdoc's
/// primitive names for the other types (`[T]` → `slice`, `()` → `unit`).
fn impl_type_name(ty: Node, src: &[u8]) -> String {
    let mut cur = ty;
    for _ in 0..MAX_TYPE_NODES {
        let next = match cur.kind() {
            "type_identifier" | "primitive_type" | "identifier" => {
                let name = ident(cur, src);
                if name.is_empty() {
                    break;
                }
                return name;
            }
            "generic_type" => cur.child_by_field_name("type"),
            "scoped_type_identifier" | "scoped_identifier" => cur.child_by_field_name("name"),
            "reference_type" | "pointer_type" => cur.child_by_field_name("type"),
            "abstract_type" | "dynamic_type" => cur.child_by_field_name("trait"),
            "bounded_type" => named_children(cur).into_iter().next(),
            "function_type" => match cur.child_by_field_name("trait") {
                Some(t) => Some(t),
                None => return "fn".to_string(),
            },
            "array_type" => {
                let prim = if cur.child_by_field_name("length").is_some() {
                    "array"
                } else {
                    "slice"
                };
                return prim.to_string();
            }
            "tuple_type" => return "tuple".to_string(),
            "unit_type" => return "unit".to_string(),
            "never_type" => return "never".to_string(),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    "_".to_string()
}

/// Replace the whole word `Self` by `ty` (`&Self` → `&Circle`).
fn subst_self(s: &str, ty: Option<&str>) -> String {
    let Some(ty) = ty else {
        return s.to_string();
    };
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("Self") {
        let before = rest[..pos].chars().next_back();
        let after = rest[pos + 4..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c == '_' || c.is_alphanumeric());
        out.push_str(&rest[..pos]);
        if word(before) || word(after) {
            out.push_str("Self");
        } else {
            out.push_str(ty);
        }
        rest = &rest[pos + 4..];
    }
    out.push_str(rest);
    out
}

/// The text of one doc comment (`///`, `//!`, `/** */`, `/*! */`) without markers; `None` for
/// a plain comment or one of the other direction (`inner` vs outer).
fn doc_piece(c: Node, src: &[u8], inner: bool) -> Option<String> {
    let marker = if inner { "inner" } else { "outer" };
    c.child_by_field_name(marker)?;
    let content = c
        .child_by_field_name("doc")
        .map(|d| text(d, src).into_owned())
        .unwrap_or_default();
    if c.kind() == "line_comment" {
        return Some(content.trim_end_matches(['\n', '\r']).to_string());
    }
    // Block doc: drop the ` * ` decoration of continuation lines.
    let mut raw = String::with_capacity(content.len());
    for (i, line) in content.lines().enumerate() {
        if i > 0 {
            raw.push('\n');
            let trimmed = line.trim_start();
            match trimmed.strip_prefix('*') {
                Some(rest) => raw.push_str(rest.strip_prefix(' ').unwrap_or(rest)),
                None => raw.push_str(line),
            }
        } else {
            raw.push_str(line);
        }
    }
    Some(raw)
}

/// Module docstring: inner doc comments before the first item.
fn module_docstring(root: Node, src: &[u8]) -> Option<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut cursor = root.walk();
    for c in root.named_children(&mut cursor) {
        match c.kind() {
            "line_comment" | "block_comment" => {
                if let Some(p) = doc_piece(c, src, true) {
                    pieces.push(p);
                }
            }
            "shebang" | "inner_attribute_item" => {}
            _ => break,
        }
    }
    if pieces.is_empty() {
        return None;
    }
    clean_docstring(&pieces.join("\n"))
}

/// Name of an attribute (`derive`, `tokio::main`); `unsafe(x)` → `x`.
fn attribute_name(attr: Node, src: &[u8]) -> Option<String> {
    let path = named_children(attr).into_iter().next()?;
    let name = path_segments(path, src)?.join("::");
    if name == "unsafe" {
        if let Some(tt) = attr.child_by_field_name("arguments") {
            let first = named_children(tt).into_iter().next()?;
            if first.kind() == "identifier" {
                return Some(ident(first, src));
            }
        }
    }
    Some(name)
}

/// `pub` → public; restricted forms → internal; none / `pub(self)` → private.
fn visibility(item: Node, src: &[u8]) -> String {
    let Some(v) = child_of_kind(item, "visibility_modifier") else {
        return "private".to_string();
    };
    let t: String = text(v, src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if t == "pub" {
        "public"
    } else if t == "pub(self)" {
        "private"
    } else {
        "internal"
    }
    .to_string()
}

/// Generic type parameter names (type and const parameters) of an item.
fn type_params(item: Node, src: &[u8]) -> Vec<String> {
    let Some(tp) = item.child_by_field_name("type_parameters") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in named_children(tp) {
        if matches!(c.kind(), "type_parameter" | "const_parameter") {
            if let Some(n) = c.child_by_field_name("name") {
                out.push(ident(n, src));
            }
        }
    }
    out
}

/// Type of a `self_parameter`: `&'a mut self` → `&'a mut Self`, `mut self` → `Self`.
fn self_param_type(p: Node, src: &[u8]) -> String {
    let mut cursor = p.walk();
    let mut reference = false;
    let mut lifetime = None;
    let mut mutable = false;
    for c in p.children(&mut cursor) {
        match c.kind() {
            "&" => reference = true,
            "lifetime" => lifetime = Some(normalize_ws(&text(c, src))),
            "mutable_specifier" => mutable = true,
            _ => {}
        }
    }
    if !reference {
        return "Self".to_string();
    }
    let mut s = String::from("&");
    if let Some(l) = lifetime {
        s.push_str(&l);
        s.push(' ');
    }
    if mutable {
        s.push_str("mut ");
    }
    s.push_str("Self");
    s
}

/// A `match_arm` that is a bare `_` without guard.
fn is_wildcard_arm(arm: Node, src: &[u8]) -> bool {
    let Some(p) = arm.child_by_field_name("pattern") else {
        return false;
    };
    if p.child_by_field_name("condition").is_some() {
        return false;
    }
    bytes(p, src) == b"_"
}

/// Names bound by a pattern (`(a, Some(b))`, `S { x, y: z }`, `v @ 1..=3`).
fn pattern_bindings(pattern: Node, src: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![pattern];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "identifier" | "shorthand_field_identifier" => {
                let name = ident(n, src);
                if !name.is_empty() && name != "_" {
                    out.push(name);
                }
            }
            "tuple_struct_pattern" | "struct_pattern" => {
                let ty = n.child_by_field_name("type").map(|t| t.id());
                let mut children = named_children(n);
                children.retain(|c| Some(c.id()) != ty);
                children.reverse();
                stack.extend(children);
            }
            "field_pattern" => match n.child_by_field_name("pattern") {
                Some(p) => stack.push(p),
                None => stack.extend(n.child_by_field_name("name")),
            },
            "match_pattern" => {
                let cond = n.child_by_field_name("condition").map(|c| c.id());
                let mut children = named_children(n);
                children.retain(|c| Some(c.id()) != cond);
                children.reverse();
                stack.extend(children);
            }
            "tuple_pattern" | "slice_pattern" | "or_pattern" | "ref_pattern" | "mut_pattern"
            | "reference_pattern" | "captured_pattern" => {
                let mut children = named_children(n);
                children.reverse();
                stack.extend(children);
            }
            _ => {}
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
            let trivia = matches!(
                node.kind(),
                "attribute_item" | "line_comment" | "block_comment"
            );
            let descend = if trivia {
                self.trivia.push(node);
                false
            } else {
                node.is_named() && self.enter(node)
            };
            if descend && cursor.goto_first_child() {
                self.trivia_base.push(self.trivia.len());
                continue;
            }
            if !trivia {
                self.after(node);
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                if let Some(base) = self.trivia_base.pop() {
                    self.trivia.truncate(base);
                }
                self.after(cursor.node());
            }
        }
    }

    /// Leaving a non-trivia node: close its frame, reset the trivia run of its level.
    fn after(&mut self, node: Node<'t>) {
        let id = node.id();
        while self.frames.last().is_some_and(|f| f.end_id == id) {
            self.frames.pop();
        }
        let base = self.trivia_base.last().copied().unwrap_or(0);
        self.trivia.truncate(base);
    }

    /// Handle a named node on the way down; returns whether to descend into it.
    fn enter(&mut self, node: Node<'t>) -> bool {
        match node.kind() {
            "function_item" | "function_signature_item" => self.enter_function(node),
            "struct_item" | "union_item" | "enum_item" | "trait_item" => self.enter_class(node),
            "impl_item" => self.enter_impl(node),
            "mod_item" => return self.enter_mod(node),
            "use_declaration" => {
                self.on_use(node);
                return false;
            }
            "extern_crate_declaration" => {
                self.on_extern_crate(node);
                return false;
            }
            "call_expression" => self.on_call(node),
            "if_expression" | "while_expression" => self.bump(),
            "for_expression" => {
                self.bump();
                if let Some(p) = node.child_by_field_name("pattern") {
                    self.bind_unknown(p);
                }
            }
            "match_arm" => {
                if !is_wildcard_arm(node, self.src) {
                    self.bump();
                }
                if let Some(p) = node.child_by_field_name("pattern") {
                    self.bind_unknown(p);
                }
            }
            "binary_expression"
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "&&" | "||")) =>
            {
                self.bump()
            }
            "let_chain" => {
                let mut cursor = node.walk();
                let ands = node
                    .children(&mut cursor)
                    .filter(|c| c.kind() == "&&")
                    .count();
                for _ in 0..ands {
                    self.bump();
                }
            }
            "let_condition" => {
                if let Some(p) = node.child_by_field_name("pattern") {
                    self.bind_unknown(p);
                }
            }
            "let_declaration" => self.on_let(node),
            "assignment_expression" | "compound_assignment_expr" => {
                if let Some(l) = node.child_by_field_name("left") {
                    if l.kind() == "identifier" {
                        self.bind_unknown(l);
                    }
                }
            }
            "closure_expression" => self.on_closure(node),
            "macro_invocation"
            | "macro_definition"
            | "token_tree"
            | "inner_attribute_item"
            | "string_literal"
            | "raw_string_literal"
            | "char_literal"
            | "type_parameters"
            | "where_clause"
            | "visibility_modifier"
            | "parameters"
            | "closure_parameters"
            | "field_declaration_list"
            | "ordered_field_declaration_list"
            | "type_item"
            | "associated_type"
            | "function_modifiers" => return false,
            k if is_type_kind(k) => return false,
            _ => {}
        }
        true
    }

    // --- frames ------------------------------------------------------------------------------

    fn top(&self) -> Option<&Frame> {
        self.frames.last()
    }

    fn owner(&self) -> Option<usize> {
        self.top().and_then(|f| f.owner)
    }

    fn prefix(&self) -> &str {
        self.top().map_or("", |f| f.prefix.as_str())
    }

    fn self_type(&self) -> Option<String> {
        self.top().and_then(|f| f.self_type.clone())
    }

    fn is_function(&self, idx: usize) -> bool {
        self.facts
            .defs
            .get(idx)
            .is_some_and(|d| d.kind == DefKind::Function)
    }

    /// The owner, when it is a function (locals are recorded on functions only).
    fn fn_owner(&self) -> Option<usize> {
        self.owner().filter(|&i| self.is_function(i))
    }

    fn is_tparam(&self, name: &str) -> bool {
        self.frames
            .iter()
            .any(|f| f.tparams.iter().any(|t| t == name))
    }

    fn mod_scope(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter(|f| f.kind == FrameKind::Mod)
            .map(|f| f.mod_name.clone())
            .collect()
    }

    /// One decision point for the owner, when it is a function with a body.
    fn bump(&mut self) {
        if let Some(i) = self.owner() {
            if let Some(d) = self.facts.defs.get_mut(i) {
                if d.kind == DefKind::Function && d.has_body {
                    d.complexity += 1;
                }
            }
        }
    }

    /// A frame inheriting parent, prefix and `Self` from the current one.
    fn new_frame(&self, end_id: usize, kind: FrameKind, owner: Option<usize>) -> Frame {
        let (parent, prefix, self_type) = match self.top() {
            Some(f) => (f.parent, f.prefix.clone(), f.self_type.clone()),
            None => (None, String::new(), None),
        };
        Frame {
            end_id,
            kind,
            owner,
            parent,
            prefix,
            mod_name: String::new(),
            impl_type: String::new(),
            tparams: Vec::new(),
            self_type,
        }
    }

    // --- trivia: attributes and doc comments ---------------------------------------------------

    fn decorations(&self) -> Decorations {
        let src = self.src;
        let base = self.trivia_base.last().copied().unwrap_or(0);
        let run = self.trivia.get(base..).unwrap_or(&[]);
        let mut out = Decorations {
            decorators: Vec::new(),
            first_attr_line: None,
            docstring: None,
            path_attr: None,
        };
        let mut docs: Vec<String> = Vec::new();
        for t in run {
            match t.kind() {
                "attribute_item" => {
                    let Some(attr) = child_of_kind(*t, "attribute") else {
                        continue;
                    };
                    if out.first_attr_line.is_none() {
                        out.first_attr_line = Some(line_start(*t));
                    }
                    let Some(name) = attribute_name(attr, src) else {
                        continue;
                    };
                    if name == "path" {
                        if let Some(v) = attr.child_by_field_name("value") {
                            if let Some(c) = child_of_kind(v, "string_content") {
                                out.path_attr = Some(text(c, src).into_owned());
                            } else if v.kind() == "string_literal" {
                                out.path_attr = Some(String::new());
                            }
                        }
                    }
                    if name != "doc" {
                        out.decorators.push(name);
                    }
                }
                _ => {
                    if let Some(p) = doc_piece(*t, src, false) {
                        docs.push(p);
                    }
                }
            }
        }
        if !docs.is_empty() {
            out.docstring = clean_docstring(&docs.join("\n"));
        }
        out
    }

    // --- definitions -------------------------------------------------------------------------

    /// Push a definition unless the qname budget is exhausted.
    fn push_def(&mut self, def: Def) -> Option<usize> {
        if self.qname_bytes > QNAME_CAP {
            return None;
        }
        self.qname_bytes += def.qname.len();
        self.facts.defs.push(def);
        Some(self.facts.defs.len() - 1)
    }

    fn enter_function(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(name) = node
            .child_by_field_name("name")
            .filter(|n| n.kind() == "identifier")
            .map(|n| ident(n, src))
            .filter(|n| !n.is_empty())
        else {
            return; // unnamed (error recovery): transparent
        };
        let top_kind = self.top().map(|f| f.kind);
        let in_impl = top_kind == Some(FrameKind::Impl);
        let in_trait = top_kind == Some(FrameKind::Def)
            && self
                .top()
                .and_then(|f| f.owner)
                .and_then(|i| self.facts.defs.get(i))
                .is_some_and(|d| d.kind == DefKind::Class);
        let signature = node.kind() == "function_signature_item";
        if signature && !in_trait {
            return; // extern block signatures are not definitions
        }
        let deco = self.decorations();
        let first_line = deco
            .first_attr_line
            .map_or(line_start(node), |l| l.min(line_start(node)));
        let has_body = !signature && node.child_by_field_name("body").is_some();
        let is_async =
            child_of_kind(node, "function_modifiers").is_some_and(|m| has_child_kind(m, "async"));
        let attach = if in_impl {
            self.top().map(|f| f.impl_type.clone())
        } else {
            None
        };
        let parent = self.top().and_then(|f| f.parent);
        let qname = join_qname(self.prefix(), &name);
        let Some(idx) = self.push_def(Def {
            kind: DefKind::Function,
            name,
            qname: qname.clone(),
            parent: parent.map(|p| p as DefIdx),
            line_start: first_line,
            line_end: line_end(node),
            complexity: u32::from(has_body),
            has_body,
            decorators: deco.decorators,
            visibility: Some(visibility(node, src)),
            docstring: deco.docstring,
            class: None,
            function: None,
            locals: Vec::new(),
            attach: attach.clone(),
            namespace: None,
        }) else {
            return;
        };
        // Nested function items cannot use an outer `Self`; trait methods do not know it.
        let self_type = if in_impl { attach } else { None };
        let tparams = type_params(node, src);
        let mut frame = self.new_frame(node.id(), FrameKind::Def, Some(idx));
        frame.parent = Some(idx);
        frame.prefix = qname;
        frame.tparams = tparams;
        frame.self_type = self_type.clone();
        self.frames.push(frame);

        // Parameters, locals and type references (the frame's type parameters are visible).
        let owner = Some(idx as DefIdx);
        let mut parameters = Vec::new();
        let mut has_self = false;
        if let Some(params) = node.child_by_field_name("parameters") {
            for p in named_children(params) {
                match p.kind() {
                    "self_parameter" => {
                        has_self = true;
                        parameters.push(Param {
                            name: "self".to_string(),
                            type_: Some(self_param_type(p, src)),
                            ..Param::default()
                        });
                    }
                    "parameter" => {
                        let (Some(pat), ty) = (
                            p.child_by_field_name("pattern"),
                            p.child_by_field_name("type"),
                        ) else {
                            continue;
                        };
                        let type_text = ty.map(|t| normalize_ws(&text(t, src)));
                        if let Some(t) = ty {
                            self.type_refs(t, owner);
                        }
                        let pname = match pat.kind() {
                            "self" => {
                                has_self = true;
                                "self".to_string()
                            }
                            "identifier" => {
                                let n = ident(pat, src);
                                if let Some(t) = &type_text {
                                    let t = subst_self(t, self_type.as_deref());
                                    self.add_local(idx, n.clone(), LocalTy::Declared(t));
                                }
                                n
                            }
                            _ => {
                                for b in pattern_bindings(pat, src) {
                                    self.add_local(idx, b, LocalTy::Unknown);
                                }
                                normalize_ws(&text(pat, src))
                            }
                        };
                        parameters.push(Param {
                            name: pname,
                            type_: type_text,
                            ..Param::default()
                        });
                    }
                    "variadic_parameter" => {
                        let pname = p
                            .child_by_field_name("pattern")
                            .map_or_else(|| "...".to_string(), |n| normalize_ws(&text(n, src)));
                        parameters.push(Param {
                            name: pname,
                            variadic: true,
                            ..Param::default()
                        });
                    }
                    "attribute_item" | "line_comment" | "block_comment" => {}
                    k if is_type_kind(k) => {
                        // Anonymous parameter (`fn f(u8);` in 2015-edition traits).
                        self.type_refs(p, owner);
                        parameters.push(Param {
                            name: "_".to_string(),
                            type_: Some(normalize_ws(&text(p, src))),
                            ..Param::default()
                        });
                    }
                    _ => {}
                }
            }
        }
        let mut return_type = None;
        if let Some(rt) = node.child_by_field_name("return_type") {
            self.type_refs(rt, owner);
            return_type = Some(normalize_ws(&text(rt, src)));
        }
        if let Some(d) = self.facts.defs.get_mut(idx) {
            d.function = Some(FunctionInfo {
                is_method: in_impl || in_trait,
                is_async,
                is_static: (in_impl || in_trait) && !has_self,
                is_classmethod: false,
                is_property: false,
                is_constructor: false,
                parameters,
                return_type,
                receiver: None,
            });
        }
    }

    fn enter_class(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(name) = node
            .child_by_field_name("name")
            .map(|n| ident(n, src))
            .filter(|n| !n.is_empty())
        else {
            return;
        };
        let kind = match node.kind() {
            "enum_item" => ClassKind::Enum,
            "trait_item" => ClassKind::Trait,
            _ => ClassKind::Struct,
        };
        let deco = self.decorations();
        let first_line = deco
            .first_attr_line
            .map_or(line_start(node), |l| l.min(line_start(node)));
        let mut bases = Vec::new();
        if kind == ClassKind::Trait {
            let mut bound_lists: Vec<Node> =
                node.child_by_field_name("bounds").into_iter().collect();
            if let Some(wc) = child_of_kind(node, "where_clause") {
                for wp in named_children(wc) {
                    let is_self = wp
                        .child_by_field_name("left")
                        .is_some_and(|l| bytes(l, src) == b"Self");
                    if is_self {
                        bound_lists.extend(wp.child_by_field_name("bounds"));
                    }
                }
            }
            for bl in bound_lists {
                for b in named_children(bl) {
                    if let Some(text) = path_text_no_args(b, src) {
                        bases.push(Base {
                            text,
                            relation: Relation::Extends,
                            line: line_start(b),
                        });
                    }
                }
            }
        }
        let parent = self.top().and_then(|f| f.parent);
        let qname = join_qname(self.prefix(), &name);
        let Some(idx) = self.push_def(Def {
            kind: DefKind::Class,
            name,
            qname: qname.clone(),
            parent: parent.map(|p| p as DefIdx),
            line_start: first_line,
            line_end: line_end(node),
            complexity: 0,
            has_body: true,
            decorators: deco.decorators,
            visibility: Some(visibility(node, src)),
            docstring: deco.docstring,
            class: Some(ClassInfo {
                kind,
                bases,
                attributes: Vec::new(),
                field_types: Vec::new(),
            }),
            function: None,
            locals: Vec::new(),
            attach: None,
            namespace: None,
        }) else {
            return;
        };
        let tparams = type_params(node, src);
        let mut frame = self.new_frame(node.id(), FrameKind::Def, Some(idx));
        frame.parent = Some(idx);
        frame.prefix = qname;
        frame.tparams = tparams;
        frame.self_type = None;
        self.frames.push(frame);

        // Fields, variants and their type references.
        let owner = Some(idx as DefIdx);
        let Some(body) = node.child_by_field_name("body") else {
            return;
        };
        let mut attributes: Vec<String> = Vec::new();
        let mut field_types: Vec<(String, String)> = Vec::new();
        let mut field_lists = vec![body];
        if body.kind() == "enum_variant_list" {
            field_lists.clear();
            for v in named_children(body) {
                if v.kind() != "enum_variant" {
                    continue;
                }
                if let Some(n) = v.child_by_field_name("name") {
                    let n = ident(n, src);
                    if !attributes.contains(&n) {
                        attributes.push(n);
                    }
                }
                field_lists.extend(v.child_by_field_name("body"));
            }
        }
        let named_fields = body.kind() == "field_declaration_list";
        for list in field_lists {
            match list.kind() {
                "field_declaration_list" => {
                    for f in named_children(list) {
                        if f.kind() != "field_declaration" {
                            continue;
                        }
                        let ty = f.child_by_field_name("type");
                        if let Some(t) = ty {
                            self.type_refs(t, owner);
                        }
                        if !named_fields {
                            continue;
                        }
                        let Some(n) = f.child_by_field_name("name") else {
                            continue;
                        };
                        let n = ident(n, src);
                        if let Some(t) = ty {
                            if !field_types.iter().any(|(x, _)| *x == n) {
                                field_types.push((n.clone(), normalize_ws(&text(t, src))));
                            }
                        }
                        if !attributes.contains(&n) {
                            attributes.push(n);
                        }
                    }
                }
                "ordered_field_declaration_list" => {
                    let mut cursor = list.walk();
                    let types: Vec<Node> =
                        list.children_by_field_name("type", &mut cursor).collect();
                    for t in types {
                        self.type_refs(t, owner);
                    }
                }
                _ => {}
            }
        }
        if let Some(c) = self.facts.defs.get_mut(idx).and_then(|d| d.class.as_mut()) {
            c.attributes = attributes;
            c.field_types = field_types;
        }
    }

    fn enter_impl(&mut self, node: Node<'t>) {
        let src = self.src;
        let type_name = match node.child_by_field_name("type") {
            Some(t) => impl_type_name(t, src),
            None => "_".to_string(),
        };
        if let Some(tr) = node.child_by_field_name("trait") {
            if !has_child_kind(node, "!") {
                if let Some(trait_text) = path_text_no_args(tr, src) {
                    let deco = self.decorations();
                    let line = deco
                        .first_attr_line
                        .map_or(line_start(node), |l| l.min(line_start(node)));
                    self.facts.impls.push(ImplFact {
                        type_name: type_name.clone(),
                        trait_text,
                        line,
                    });
                }
            }
        }
        let tparams = type_params(node, src);
        let owner = self.owner();
        let prefix = join_qname(self.prefix(), &type_name);
        // Methods hang off the nearest enclosing function (or the module).
        let parent = owner.filter(|&i| self.is_function(i));
        let mut frame = self.new_frame(node.id(), FrameKind::Impl, owner);
        frame.parent = parent;
        frame.prefix = prefix;
        frame.tparams = tparams;
        frame.self_type = Some(type_name.clone());
        frame.impl_type = type_name;
        self.frames.push(frame);
    }

    /// Inline `mod m { … }` opens a transparent scope; `mod x;` is an import.
    fn enter_mod(&mut self, node: Node<'t>) -> bool {
        let src = self.src;
        let Some(name) = node
            .child_by_field_name("name")
            .map(|n| ident(n, src))
            .filter(|n| !n.is_empty())
        else {
            return true;
        };
        if node.child_by_field_name("body").is_none() {
            let deco = self.decorations();
            self.facts.imports.push(Import {
                specifier: name,
                kind: ImportKind::RustMod,
                names: Vec::new(),
                alias: None,
                line: line_start(node),
                type_only: false,
                dynamic: false,
                reexport: false,
                is_static: false,
                scope: self.mod_scope(),
                path_attr: deco.path_attr,
            });
            return false;
        }
        let owner = self.owner();
        let prefix = join_qname(self.prefix(), &name);
        let mut frame = self.new_frame(node.id(), FrameKind::Mod, owner);
        frame.prefix = prefix;
        frame.mod_name = name;
        frame.self_type = None;
        self.frames.push(frame);
        true
    }

    // --- locals ------------------------------------------------------------------------------

    /// Record a local binding of function `idx` (see the module docs for the discipline).
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

    fn bind_unknown(&mut self, pattern: Node<'t>) {
        let Some(idx) = self.fn_owner() else {
            return;
        };
        for b in pattern_bindings(pattern, self.src) {
            self.add_local(idx, b, LocalTy::Unknown);
        }
    }

    fn on_let(&mut self, node: Node<'t>) {
        let src = self.src;
        let owner = self.owner();
        let ty = node.child_by_field_name("type");
        if let Some(t) = ty {
            self.type_refs(t, owner.map(|o| o as DefIdx));
        }
        let Some(idx) = self.fn_owner() else {
            return;
        };
        let Some(pattern) = node.child_by_field_name("pattern") else {
            return;
        };
        if pattern.kind() != "identifier" {
            self.bind_unknown(pattern);
            return;
        }
        let self_type = self.self_type();
        let local = if let Some(t) = ty {
            LocalTy::Declared(subst_self(
                &normalize_ws(&text(t, src)),
                self_type.as_deref(),
            ))
        } else {
            match node.child_by_field_name("value") {
                Some(v) if v.kind() == "struct_expression" => v
                    .child_by_field_name("name")
                    .and_then(|n| path_segments(n, src))
                    .map_or(LocalTy::Unknown, |segs| {
                        LocalTy::Ctor(subst_self(&segs.join("::"), self_type.as_deref()))
                    }),
                _ => LocalTy::Unknown,
            }
        };
        self.add_local(idx, ident(pattern, src), local);
    }

    /// Closure parameters are locals of the enclosing function; typed ones give references.
    fn on_closure(&mut self, node: Node<'t>) {
        let src = self.src;
        let owner = self.owner();
        let Some(params) = node.child_by_field_name("parameters") else {
            return;
        };
        let fn_owner = self.fn_owner();
        let self_type = self.self_type();
        for p in named_children(params) {
            if p.kind() == "parameter" {
                let ty = p.child_by_field_name("type");
                if let Some(t) = ty {
                    self.type_refs(t, owner.map(|o| o as DefIdx));
                }
                let Some(pat) = p.child_by_field_name("pattern") else {
                    continue;
                };
                let Some(idx) = fn_owner else {
                    continue;
                };
                match (pat.kind(), ty) {
                    ("identifier", Some(t)) => {
                        let t = subst_self(&normalize_ws(&text(t, src)), self_type.as_deref());
                        self.add_local(idx, ident(pat, src), LocalTy::Declared(t));
                    }
                    _ => self.bind_unknown(pat),
                }
            } else {
                self.bind_unknown(p);
            }
        }
        if let Some(rt) = node.child_by_field_name("return_type") {
            self.type_refs(rt, owner.map(|o| o as DefIdx));
        }
    }

    // --- imports -----------------------------------------------------------------------------

    fn push_use(
        &mut self,
        specifier: String,
        alias: Option<String>,
        glob: bool,
        line: u32,
        reexport: bool,
    ) {
        let names = if glob {
            vec![ImportedName {
                name: "*".to_string(),
                local: "*".to_string(),
                type_only: false,
            }]
        } else {
            Vec::new()
        };
        self.facts.imports.push(Import {
            specifier,
            kind: ImportKind::RustUse,
            names,
            alias,
            line,
            type_only: false,
            dynamic: false,
            reexport,
            is_static: false,
            scope: self.mod_scope(),
            path_attr: None,
        });
    }

    /// One `RustUse` per leaf of the use tree, in source order.
    fn on_use(&mut self, node: Node<'t>) {
        let src = self.src;
        let reexport = child_of_kind(node, "visibility_modifier").is_some();
        let line = line_start(node);
        let Some(arg) = node.child_by_field_name("argument") else {
            return;
        };
        let mut stack: Vec<(Node, Vec<String>)> = vec![(arg, Vec::new())];
        while let Some((n, prefix)) = stack.pop() {
            match n.kind() {
                "use_list" => {
                    if prefix.len() > MAX_USE_DEPTH {
                        continue;
                    }
                    let mut children = named_children(n);
                    children.reverse();
                    for c in children {
                        stack.push((c, prefix.clone()));
                    }
                }
                "scoped_use_list" => {
                    let mut p = prefix;
                    if let Some(path) = n.child_by_field_name("path") {
                        match path_segments(path, src) {
                            Some(segs) => p.extend(segs),
                            None => continue,
                        }
                    }
                    if p.len() > MAX_USE_DEPTH {
                        continue;
                    }
                    if let Some(list) = n.child_by_field_name("list") {
                        stack.push((list, p));
                    }
                }
                "use_wildcard" => {
                    let mut segs = prefix;
                    if let Some(path) = named_children(n).into_iter().next() {
                        match path_segments(path, src) {
                            Some(s) => segs.extend(s),
                            None => continue,
                        }
                    }
                    if !segs.is_empty() {
                        self.push_use(segs.join("::"), None, true, line, reexport);
                    }
                }
                "use_as_clause" => {
                    let Some(path) = n.child_by_field_name("path") else {
                        continue;
                    };
                    let Some(s) = path_segments(path, src) else {
                        continue;
                    };
                    let mut segs = prefix;
                    segs.extend(s);
                    if segs.len() > 1 && segs.last().is_some_and(|l| l == "self") {
                        segs.pop();
                    }
                    let alias = n
                        .child_by_field_name("alias")
                        .map(|a| ident(a, src))
                        .filter(|a| a != "_");
                    if !segs.is_empty() {
                        self.push_use(segs.join("::"), alias, false, line, reexport);
                    }
                }
                "identifier" | "scoped_identifier" | "crate" | "self" | "super" => {
                    let Some(s) = path_segments(n, src) else {
                        continue;
                    };
                    let mut segs = prefix;
                    segs.extend(s);
                    if segs.last().is_some_and(|l| l == "self") {
                        if segs.len() == 1 {
                            continue;
                        }
                        segs.pop();
                    }
                    let alias = segs.last().cloned();
                    self.push_use(segs.join("::"), alias, false, line, reexport);
                }
                _ => {}
            }
        }
    }

    fn on_extern_crate(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(name) = node
            .child_by_field_name("name")
            .map(|n| ident(n, src))
            .filter(|n| !n.is_empty())
        else {
            return;
        };
        let alias = match node.child_by_field_name("alias") {
            Some(a) => Some(ident(a, src)).filter(|a| a != "_"),
            None => Some(name.clone()),
        };
        let reexport = child_of_kind(node, "visibility_modifier").is_some();
        self.push_use(name, alias, false, line_start(node), reexport);
    }

    // --- calls -------------------------------------------------------------------------------

    fn on_call(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(mut func) = node.child_by_field_name("function") else {
            return;
        };
        if func.kind() == "generic_function" {
            match func.child_by_field_name("function") {
                Some(f) => func = f,
                None => return,
            }
        }
        let (callee, name_node) = match func.kind() {
            "identifier" => (Callee::Bare(ident(func, src)), func),
            "field_expression" => {
                let (Some(value), Some(field)) = (
                    func.child_by_field_name("value"),
                    func.child_by_field_name("field"),
                ) else {
                    return;
                };
                if field.kind() != "field_identifier" {
                    return;
                }
                let name = ident(field, src);
                let callee = match value.kind() {
                    "self" => Callee::SelfMember(name),
                    _ => Callee::Member {
                        receiver: self.receiver(value),
                        name,
                    },
                };
                (callee, field)
            }
            "scoped_identifier" => {
                let Some(name_node) = func
                    .child_by_field_name("name")
                    .filter(|n| n.kind() == "identifier")
                else {
                    return;
                };
                let name = ident(name_node, src);
                let callee = match func.child_by_field_name("path") {
                    None => Callee::Bare(name),
                    Some(path) => match path_segments(path, src) {
                        Some(mut segs) if segs.len() == 1 => {
                            let first = segs.pop().unwrap_or_default();
                            if first == "Self" {
                                Callee::SelfMember(name)
                            } else {
                                Callee::Member {
                                    receiver: Receiver::Ident(first),
                                    name,
                                }
                            }
                        }
                        Some(segs) => Callee::Member {
                            receiver: Receiver::Path(segs),
                            name,
                        },
                        None => Callee::Member {
                            receiver: Receiver::Other,
                            name,
                        },
                    },
                };
                (callee, name_node)
            }
            _ => return,
        };
        self.facts.calls.push(CallSite {
            caller: self.owner().map(|o| o as DefIdx),
            callee,
            line: line_start(name_node),
        });
    }

    /// Receiver of `value.f()` (value is not `self`).
    fn receiver(&self, value: Node<'t>) -> Receiver {
        let src = self.src;
        match value.kind() {
            "identifier" => Receiver::Ident(ident(value, src)),
            "struct_expression" => value
                .child_by_field_name("name")
                .and_then(|n| path_segments(n, src))
                .map_or(Receiver::Other, |s| Receiver::NewOf(s.join("::"))),
            "field_expression" => {
                let mut fields = Vec::new();
                let mut cur = value;
                while cur.kind() == "field_expression" {
                    let (Some(v), Some(f)) = (
                        cur.child_by_field_name("value"),
                        cur.child_by_field_name("field"),
                    ) else {
                        return Receiver::Other;
                    };
                    if f.kind() != "field_identifier" {
                        return Receiver::Other;
                    }
                    fields.push(f);
                    cur = v;
                }
                match cur.kind() {
                    "self" => match fields.as_slice() {
                        [one] => Receiver::SelfField(ident(*one, src)),
                        _ => Receiver::Other,
                    },
                    "identifier" => {
                        let mut segs = Vec::with_capacity(fields.len() + 1);
                        segs.push(ident(cur, src));
                        segs.extend(fields.iter().rev().map(|f| ident(*f, src)));
                        Receiver::Path(segs)
                    }
                    _ => Receiver::Other,
                }
            }
            _ => Receiver::Other,
        }
    }

    // --- type references ---------------------------------------------------------------------

    fn push_ref(&mut self, owner: DefIdx, name: String, line: u32) {
        if !name.is_empty() {
            self.facts.type_refs.push(TypeRef {
                owner: Some(owner),
                name,
                line,
            });
        }
    }

    /// Every type name of a type expression, in source order (see the module docs).
    fn type_refs(&mut self, ty: Node<'t>, owner: Option<DefIdx>) {
        let Some(owner) = owner else {
            return;
        };
        let src = self.src;
        let mut stack = vec![ty];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "type_identifier" | "identifier" => {
                    let name = ident(n, src);
                    if !is_primitive(&name) && !self.is_tparam(&name) {
                        self.push_ref(owner, name, line_start(n));
                    }
                }
                "scoped_type_identifier" | "scoped_identifier" => match path_segments(n, src) {
                    Some(segs) => {
                        let skip = segs
                            .first()
                            .is_some_and(|f| f == "Self" || self.is_tparam(f));
                        if !skip {
                            self.push_ref(owner, segs.join("::"), line_start(n));
                        }
                    }
                    None => stack.extend(n.child_by_field_name("path")),
                },
                "generic_type" => {
                    if let Some(args) = n.child_by_field_name("type_arguments") {
                        stack.push(args);
                    }
                    stack.extend(n.child_by_field_name("type"));
                }
                "reference_type" | "pointer_type" | "higher_ranked_trait_bound" => {
                    stack.extend(n.child_by_field_name("type"));
                }
                "array_type" => stack.extend(n.child_by_field_name("element")),
                "abstract_type" | "dynamic_type" => stack.extend(n.child_by_field_name("trait")),
                "type_binding" => stack.extend(n.child_by_field_name("type")),
                "qualified_type" => {
                    stack.extend(n.child_by_field_name("alias"));
                    stack.extend(n.child_by_field_name("type"));
                }
                "function_type" => {
                    stack.extend(n.child_by_field_name("return_type"));
                    stack.extend(n.child_by_field_name("parameters"));
                    stack.extend(n.child_by_field_name("trait"));
                }
                "parameter" => stack.extend(n.child_by_field_name("type")),
                "type_arguments" | "tuple_type" | "bounded_type" | "trait_bounds"
                | "bracketed_type" | "parameters" => {
                    let mut children = named_children(n);
                    children.reverse();
                    stack.extend(children);
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
        extract(&parse(tree_sitter_rust::LANGUAGE.into(), src), src)
    }

    fn p(name: &str, ty: &str) -> Param {
        Param {
            name: s(name),
            type_: Some(s(ty)),
            ..Param::default()
        }
    }

    /// A function def with defaults: private, no decorators, docstring, locals or attach.
    fn fdef(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        complexity: u32,
        function: FunctionInfo,
    ) -> Def {
        Def {
            kind: DefKind::Function,
            name: s(name),
            qname: s(qname),
            parent,
            line_start: lines.0,
            line_end: lines.1,
            complexity,
            has_body: complexity > 0,
            decorators: Vec::new(),
            visibility: Some(s("private")),
            docstring: None,
            class: None,
            function: Some(function),
            locals: Vec::new(),
            attach: None,
            namespace: None,
        }
    }

    fn cdef(
        kind: ClassKind,
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
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
            visibility: Some(s("private")),
            docstring: None,
            class: Some(ClassInfo {
                kind,
                bases: Vec::new(),
                attributes: attributes.iter().map(|a| s(a)).collect(),
                field_types: field_types.iter().map(|(a, b)| (s(a), s(b))).collect(),
            }),
            function: None,
            locals: Vec::new(),
            attach: None,
            namespace: None,
        }
    }

    fn func(params: Vec<Param>, ret: Option<&str>) -> FunctionInfo {
        FunctionInfo {
            parameters: params,
            return_type: ret.map(s),
            ..FunctionInfo::default()
        }
    }

    fn method(params: Vec<Param>, ret: Option<&str>) -> FunctionInfo {
        let is_static = !params.iter().any(|p| p.name == "self");
        FunctionInfo {
            is_method: true,
            is_static,
            parameters: params,
            return_type: ret.map(s),
            ..FunctionInfo::default()
        }
    }

    fn base(text: &str, line: u32) -> Base {
        Base {
            text: s(text),
            relation: Relation::Extends,
            line,
        }
    }

    fn use_(spec: &str, alias: Option<&str>, line: u32) -> Import {
        Import {
            specifier: s(spec),
            kind: ImportKind::RustUse,
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

    fn glob(spec: &str, line: u32) -> Import {
        Import {
            names: vec![ImportedName {
                name: s("*"),
                local: s("*"),
                type_only: false,
            }],
            ..use_(spec, None, line)
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

    fn ident_r(x: &str) -> Receiver {
        Receiver::Ident(s(x))
    }

    fn path_r(xs: &[&str]) -> Receiver {
        Receiver::Path(xs.iter().map(|x| s(x)).collect())
    }

    fn tref(owner: DefIdx, name: &str, line: u32) -> TypeRef {
        TypeRef {
            owner: Some(owner),
            name: s(name),
            line,
        }
    }

    fn imp(type_name: &str, trait_text: &str, line: u32) -> ImplFact {
        ImplFact {
            type_name: s(type_name),
            trait_text: s(trait_text),
            line,
        }
    }

    fn qnames(f: &FileFacts) -> Vec<(&str, Option<DefIdx>, Option<&str>)> {
        f.defs
            .iter()
            .map(|d| (d.qname.as_str(), d.parent, d.attach.as_deref()))
            .collect()
    }

    // --- §13.5 ----------------------------------------------------------------------------------

    #[test]
    fn spec_example_13_5() {
        let src = r#"use crate::util::area_of;
use std::fmt;

pub trait Shape {
    fn area(&self) -> f64;
}

pub struct Circle {
    pub r: f64,
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        area_of(self.r)
    }
}

impl fmt::Display for Circle {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.r > 0.0 { write!(f, "circle") } else { Ok(()) }
    }
}
"#;
        let f = facts(src);
        let mut shape = cdef(ClassKind::Trait, "Shape", "Shape", None, (4, 6), &[], &[]);
        shape.visibility = Some(s("public"));
        let shape_area = fdef(
            "area",
            "Shape.area",
            Some(0),
            (5, 5),
            0,
            method(vec![p("self", "&Self")], Some("f64")),
        );
        let mut circle = cdef(
            ClassKind::Struct,
            "Circle",
            "Circle",
            None,
            (8, 10),
            &["r"],
            &[("r", "f64")],
        );
        circle.visibility = Some(s("public"));
        let mut circle_area = fdef(
            "area",
            "Circle.area",
            None,
            (13, 15),
            1,
            method(vec![p("self", "&Self")], Some("f64")),
        );
        circle_area.attach = Some(s("Circle"));
        let mut circle_fmt = fdef(
            "fmt",
            "Circle.fmt",
            None,
            (19, 21),
            2,
            method(
                vec![p("self", "&Self"), p("f", "&mut fmt::Formatter")],
                Some("fmt::Result"),
            ),
        );
        circle_fmt.attach = Some(s("Circle"));
        circle_fmt.locals = vec![declared("f", "&mut fmt::Formatter")];
        let expected = FileFacts {
            defs: vec![shape, shape_area, circle, circle_area, circle_fmt],
            imports: vec![
                use_("crate::util::area_of", Some("area_of"), 1),
                use_("std::fmt", Some("fmt"), 2),
            ],
            calls: vec![
                call(Some(3), bare("area_of"), 14),
                // `write!` is a macro (no call); `Ok` is a builtin the resolver drops.
                call(Some(4), bare("Ok"), 20),
            ],
            type_refs: vec![tref(4, "fmt::Formatter", 19), tref(4, "fmt::Result", 19)],
            impls: vec![
                imp("Circle", "Shape", 12),
                imp("Circle", "fmt::Display", 18),
            ],
            ..FileFacts::default()
        };
        assert_eq!(f, expected);
        assert_eq!(f.package, None);
        assert!(f.namespaces.is_empty());
    }

    // --- §5.2 constructs ------------------------------------------------------------------------

    #[test]
    fn structs_unions_enums() {
        let src = r#"struct Named<T> {
    a: Vec<T>,
    pub b: model::Item,
    a: u8,
}
struct Tuple(pub Inner, u8);
struct Unit;
union U { x: u32, y: Other }
enum E<T> {
    A,
    B(Payload<T>),
    C { x: Point },
    D = 3,
}
"#;
        let f = facts(src);
        let mut u = cdef(
            ClassKind::Struct,
            "U",
            "U",
            None,
            (8, 8),
            &["x", "y"],
            &[("x", "u32"), ("y", "Other")],
        );
        u.has_body = true;
        assert_eq!(
            f.defs,
            vec![
                cdef(
                    ClassKind::Struct,
                    "Named",
                    "Named",
                    None,
                    (1, 5),
                    &["a", "b"],
                    &[("a", "Vec<T>"), ("b", "model::Item")],
                ),
                cdef(ClassKind::Struct, "Tuple", "Tuple", None, (6, 6), &[], &[]),
                cdef(ClassKind::Struct, "Unit", "Unit", None, (7, 7), &[], &[]),
                u,
                cdef(
                    ClassKind::Enum,
                    "E",
                    "E",
                    None,
                    (9, 14),
                    &["A", "B", "C", "D"],
                    &[]
                ),
            ]
        );
        assert_eq!(
            f.type_refs,
            vec![
                tref(0, "Vec", 2),
                tref(0, "model::Item", 3),
                tref(1, "Inner", 6),
                tref(3, "Other", 8),
                tref(4, "Payload", 11),
                tref(4, "Point", 12),
            ]
        );
        assert!(f.calls.is_empty() && f.imports.is_empty() && f.impls.is_empty());
    }

    #[test]
    fn excluded_items_are_not_defs() {
        let src = r#"type Alias = Vec<u8>;
const C: u32 = compute();
static S: Thing = Thing::new();
macro_rules! m { () => { fn hidden() {} } }
m! { fn also_hidden() {} }
extern "C" { fn ext(x: i32, ...); }
fn f() { let c = |x: u8| helper(x); }
"#;
        let f = facts(src);
        assert_eq!(
            f.defs,
            vec![{
                let mut d = fdef("f", "f", None, (7, 7), 1, func(vec![], None));
                d.locals = vec![unknown("c"), declared("x", "u8")];
                d
            }]
        );
        assert_eq!(
            f.calls,
            vec![
                call(None, bare("compute"), 2),
                call(None, member(ident_r("Thing"), "new"), 3),
                call(Some(0), bare("helper"), 7),
            ]
        );
        assert!(f.type_refs.is_empty());
    }

    #[test]
    fn traits_methods_with_and_without_bodies() {
        let src = r#"pub trait Shape: Clone + fmt::Debug + Into<Other> + ?Sized + 'static
where
    Self: Send,
{
    type Out;
    const N: usize;
    fn area(&self) -> f64;
    fn scaled(&self, k: f64) -> f64 {
        if k > 1.0 { self.area() * k } else { self.area() }
    }
    fn make() -> Self;
}
"#;
        let f = facts(src);
        let mut shape = cdef(ClassKind::Trait, "Shape", "Shape", None, (1, 12), &[], &[]);
        shape.visibility = Some(s("public"));
        shape.class.as_mut().unwrap().bases = vec![
            base("Clone", 1),
            base("fmt::Debug", 1),
            base("Into", 1),
            base("Send", 3),
        ];
        let mut scaled = fdef(
            "scaled",
            "Shape.scaled",
            Some(0),
            (8, 10),
            2,
            method(vec![p("self", "&Self"), p("k", "f64")], Some("f64")),
        );
        scaled.locals = vec![declared("k", "f64")];
        assert_eq!(
            f.defs,
            vec![
                shape,
                fdef(
                    "area",
                    "Shape.area",
                    Some(0),
                    (7, 7),
                    0,
                    method(vec![p("self", "&Self")], Some("f64")),
                ),
                scaled,
                fdef(
                    "make",
                    "Shape.make",
                    Some(0),
                    (11, 11),
                    0,
                    method(vec![], Some("Self"))
                ),
            ]
        );
        assert!(f.defs[3].function.as_ref().unwrap().is_static);
        assert_eq!(
            f.calls,
            vec![
                call(Some(2), Callee::SelfMember(s("area")), 9),
                call(Some(2), Callee::SelfMember(s("area")), 9),
            ]
        );
        assert!(f.impls.is_empty());
        assert!(f.type_refs.is_empty());
    }

    // --- §5.4 impl blocks ---------------------------------------------------------------------

    #[test]
    fn impl_blocks_inherent_trait_and_generic() {
        let src = r#"impl Circle {
    pub fn new(r: f64) -> Self { Circle { r } }
    pub(crate) async fn grow(&mut self) {}
}
impl<T: Clone> a::Foo<T> {
    fn get(self: Box<Self>) {}
}
impl<T> fmt::Debug for Wrapper<T> where T: Clone {
    fn fmt(&self) {}
}
impl<'a> From<&'a str> for &'a Name {
    fn from(s: &'a str) -> Self { todo!() }
}
unsafe impl Send for Box<Raw> {}
impl !Sync for Raw {}
impl Show for [u8] { fn show(&self) {} }
impl Show for () { fn show(&self) {} }
impl<T, const N: usize> Show for [T; N] {}
impl Show for (A, B) {}
impl Show for ! {}
impl Show for fn(u8) -> u8 {}
impl Show for *const Raw {}
impl Show for dyn Fn(u8) + Send {}
impl Show for <T as Tr>::Out {}
"#;
        let f = facts(src);
        let mut new = fdef(
            "new",
            "Circle.new",
            None,
            (2, 2),
            1,
            method(vec![p("r", "f64")], Some("Self")),
        );
        new.visibility = Some(s("public"));
        new.attach = Some(s("Circle"));
        new.locals = vec![declared("r", "f64")];
        let mut grow = fdef(
            "grow",
            "Circle.grow",
            None,
            (3, 3),
            1,
            method(vec![p("self", "&mut Self")], None),
        );
        grow.visibility = Some(s("internal"));
        grow.attach = Some(s("Circle"));
        grow.function.as_mut().unwrap().is_async = true;
        let mut get = fdef(
            "get",
            "Foo.get",
            None,
            (6, 6),
            1,
            method(vec![p("self", "Box<Self>")], None),
        );
        get.attach = Some(s("Foo"));
        let mut fmt = fdef(
            "fmt",
            "Wrapper.fmt",
            None,
            (9, 9),
            1,
            method(vec![p("self", "&Self")], None),
        );
        fmt.attach = Some(s("Wrapper"));
        let mut from = fdef(
            "from",
            "Name.from",
            None,
            (12, 12),
            1,
            method(vec![p("s", "&'a str")], Some("Self")),
        );
        from.attach = Some(s("Name"));
        from.locals = vec![declared("s", "&'a str")];
        let mut show_slice = fdef(
            "show",
            "slice.show",
            None,
            (16, 16),
            1,
            method(vec![p("self", "&Self")], None),
        );
        show_slice.attach = Some(s("slice"));
        let mut show_unit = fdef(
            "show",
            "unit.show",
            None,
            (17, 17),
            1,
            method(vec![p("self", "&Self")], None),
        );
        show_unit.attach = Some(s("unit"));
        assert_eq!(
            f.defs,
            vec![new, grow, get, fmt, from, show_slice, show_unit]
        );
        assert_eq!(
            f.impls,
            vec![
                imp("Wrapper", "fmt::Debug", 8),
                imp("Name", "From", 11),
                imp("Box", "Send", 14),
                imp("slice", "Show", 16),
                imp("unit", "Show", 17),
                imp("array", "Show", 18),
                imp("tuple", "Show", 19),
                imp("never", "Show", 20),
                imp("fn", "Show", 21),
                imp("Raw", "Show", 22),
                imp("Fn", "Show", 23),
                imp("Out", "Show", 24),
            ]
        );
        // Struct literals are not calls; macros are not calls.
        assert!(f.calls.is_empty());
        assert_eq!(f.type_refs, vec![tref(2, "Box", 6)]);
    }

    #[test]
    fn impl_inside_function_and_mod() {
        let src = r#"fn outer() {
    struct Local;
    impl Local {
        fn m(&self) { helper(); }
    }
}
mod inner {
    #[cfg(test)]
    impl fmt::Debug for super::Thing {
        fn n() {}
    }
}
"#;
        let f = facts(src);
        assert_eq!(
            qnames(&f),
            vec![
                ("outer", None, None),
                ("outer.Local", Some(0), None),
                ("outer.Local.m", Some(0), Some("Local")),
                ("inner.Thing.n", None, Some("Thing")),
            ]
        );
        assert_eq!(f.calls, vec![call(Some(2), bare("helper"), 4)]);
        assert!(f.defs[3].function.as_ref().unwrap().is_static);
        assert_eq!(f.defs[3].decorators, Vec::<String>::new());
        // The impl's line includes its outer attributes.
        assert_eq!(f.impls, vec![imp("Thing", "fmt::Debug", 8)]);
    }

    #[test]
    fn two_impl_blocks_defining_one_method_are_overloads() {
        let src = "impl A { fn m(&self) {} }\n#[cfg(x)]\nimpl A { fn m(&self) { if a {} } }\n";
        let f = facts(src);
        assert_eq!(
            qnames(&f),
            vec![("A.m", None, Some("A")), ("A.m", None, Some("A"))]
        );
        assert_eq!(f.defs[0].complexity, 1);
        assert_eq!(f.defs[1].complexity, 2);
    }

    #[test]
    fn nested_definitions() {
        let src = r#"fn outer(x: u8) -> u8 {
    fn inner() -> Helper { Helper::new() }
    let add = |y| { if y > 0 { inner(); } y };
    enum Kind { A }
    trait Local { fn l(&self); }
    add(x)
}
"#;
        let f = facts(src);
        assert_eq!(
            qnames(&f),
            vec![
                ("outer", None, None),
                ("outer.inner", Some(0), None),
                ("outer.Kind", Some(0), None),
                ("outer.Local", Some(0), None),
                ("outer.Local.l", Some(3), None),
            ]
        );
        // The closure is transparent: its `if` counts for `outer`, its calls belong to `outer`.
        assert_eq!(f.defs[0].complexity, 2);
        assert_eq!(f.defs[1].complexity, 1);
        assert_eq!(
            f.calls,
            vec![
                call(Some(1), member(ident_r("Helper"), "new"), 2),
                call(Some(0), bare("inner"), 3),
                call(Some(0), bare("add"), 6),
            ]
        );
        assert_eq!(
            f.defs[0].locals,
            vec![declared("x", "u8"), unknown("add"), unknown("y")]
        );
        assert_eq!(f.type_refs, vec![tref(1, "Helper", 2)]);
        assert!(!f.defs[1].function.as_ref().unwrap().is_method);
    }

    // --- inline mods and imports ------------------------------------------------------------------

    #[test]
    fn inline_mod_scopes_in_qnames_and_imports() {
        let src = r#"use a::b;
mod outer {
    use super::x;
    pub mod inner {
        use crate::y::*;
        mod file_mod;
        pub struct S;
        impl S { fn m() { use z::w; } }
    }
    fn f() {}
}
"#;
        let f = facts(src);
        assert_eq!(
            qnames(&f),
            vec![
                ("outer.inner.S", None, None),
                ("outer.inner.S.m", None, Some("S")),
                ("outer.f", None, None),
            ]
        );
        let scoped = |mut i: Import, scope: &[&str]| {
            i.scope = scope.iter().map(|x| s(x)).collect();
            i
        };
        assert_eq!(
            f.imports,
            vec![
                use_("a::b", Some("b"), 1),
                scoped(use_("super::x", Some("x"), 3), &["outer"]),
                scoped(glob("crate::y", 5), &["outer", "inner"]),
                scoped(
                    Import {
                        kind: ImportKind::RustMod,
                        ..use_("file_mod", None, 6)
                    },
                    &["outer", "inner"],
                ),
                scoped(use_("z::w", Some("w"), 8), &["outer", "inner"]),
            ]
        );
    }

    #[test]
    fn use_trees_expand_one_fact_per_leaf() {
        let src = r#"use std::collections::{HashMap, hash_map::{self, Entry as E}, *};
pub use self::inner::Thing;
pub(crate) use super::super::x as y;
use ::std::io;
use {alpha, beta::gamma};
use tokio::io::AsyncReadExt as _;
use crate::prelude::*;
use r#async::r#type;
extern crate serde;
pub extern crate alloc as a;
extern crate core as _;
"#;
        let f = facts(src);
        let reexp = |mut i: Import| {
            i.reexport = true;
            i
        };
        assert_eq!(
            f.imports,
            vec![
                use_("std::collections::HashMap", Some("HashMap"), 1),
                use_("std::collections::hash_map", Some("hash_map"), 1),
                use_("std::collections::hash_map::Entry", Some("E"), 1),
                glob("std::collections", 1),
                reexp(use_("self::inner::Thing", Some("Thing"), 2)),
                reexp(use_("super::super::x", Some("y"), 3)),
                use_("std::io", Some("io"), 4),
                use_("alpha", Some("alpha"), 5),
                use_("beta::gamma", Some("gamma"), 5),
                use_("tokio::io::AsyncReadExt", None, 6),
                glob("crate::prelude", 7),
                use_("async::type", Some("type"), 8),
                use_("serde", Some("serde"), 9),
                reexp(use_("alloc", Some("a"), 10)),
                use_("core", None, 11),
            ]
        );
    }

    #[test]
    fn mod_declarations_with_path_attribute() {
        let src =
            "#[path = \"sys/unix.rs\"]\nmod sys;\n#[cfg(test)]\npub mod tests;\nmod inline {}\n";
        let f = facts(src);
        let m = |spec: &str, line: u32, path: Option<&str>| Import {
            kind: ImportKind::RustMod,
            path_attr: path.map(s),
            ..use_(spec, None, line)
        };
        assert_eq!(
            f.imports,
            vec![m("sys", 2, Some("sys/unix.rs")), m("tests", 4, None)]
        );
        assert!(f.defs.is_empty());
    }

    // --- §6 complexity ----------------------------------------------------------------------------

    fn complexity(body: &str) -> u32 {
        let f = facts(&format!("fn f() {{\n{body}\n}}\n"));
        f.defs[0].complexity
    }

    #[test]
    fn complexity_rows() {
        assert_eq!(complexity(""), 1);
        assert_eq!(complexity("if a {} else if b {} else {}"), 3);
        assert_eq!(complexity("if let Some(x) = y {}"), 2);
        assert_eq!(complexity("while a {}"), 2);
        assert_eq!(complexity("while let Some(x) = it.next() {}"), 2);
        assert_eq!(complexity("for x in xs {}"), 2);
        assert_eq!(complexity("loop { break; }"), 1);
        assert_eq!(complexity("match x { 1 => {}, 2 | 3 => {}, _ => {} }"), 3);
        assert_eq!(complexity("match x { _ if a => {}, _ => {} }"), 2);
        assert_eq!(complexity("match x { Some(_) => {}, None => {} }"), 3);
        assert_eq!(complexity("let x = a && b || c;"), 3);
        assert_eq!(complexity("let x = a & b | c;"), 1);
        assert_eq!(complexity("let c = |x| if x { 1 } else { 2 };"), 2);
        assert_eq!(complexity("fn nested() { if a {} }"), 1);
        assert_eq!(
            complexity("assert!(a && b); println!(\"{}\", if a { 1 } else { 2 });"),
            1
        );
    }

    #[test]
    fn let_chains() {
        assert_eq!(complexity("if let Some(x) = a && let Ok(y) = b {}"), 3);
        assert_eq!(
            complexity("if let Some(x) = a && x > 1 && let Ok(y) = b {}"),
            4
        );
        assert_eq!(complexity("while let Some(x) = a && x.ok() {}"), 3);
        let f = facts("fn f() { if let Some(x) = a && let Ok(y) = b {} }");
        assert_eq!(f.defs[0].locals, vec![unknown("x"), unknown("y")]);
    }

    // --- §5.5 properties ----------------------------------------------------------------------------

    #[test]
    fn decorators_lines_and_visibility() {
        let src = r#"/// doc
#[derive(Debug, Clone)]
#[doc = "more"]
// plain comment
#[serde(rename_all = "camelCase")]
pub struct A;

#[test]
fn t() {}

#[tokio::main]
pub(crate) async fn main() {}

#[unsafe(no_mangle)]
pub(super) extern "C" fn c() {}

pub(in crate::a) fn d() {}
pub(self) fn e() {}
"#;
        let f = facts(src);
        type Row<'a> = (&'a str, u32, u32, Vec<String>, Option<&'a str>);
        let got: Vec<Row> = f
            .defs
            .iter()
            .map(|d| {
                (
                    d.name.as_str(),
                    d.line_start,
                    d.line_end,
                    d.decorators.clone(),
                    d.visibility.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("A", 2, 6, vec![s("derive"), s("serde")], Some("public")),
                ("t", 8, 9, vec![s("test")], Some("private")),
                ("main", 11, 12, vec![s("tokio::main")], Some("internal")),
                ("c", 14, 15, vec![s("no_mangle")], Some("internal")),
                ("d", 17, 17, vec![], Some("internal")),
                ("e", 18, 18, vec![], Some("private")),
            ]
        );
        assert_eq!(f.defs[0].docstring, Some(s("doc")));
        assert!(f.defs[2].function.as_ref().unwrap().is_async);
    }

    #[test]
    fn parameters_self_forms_patterns_and_variadics() {
        let src = r#"impl T {
    fn a(self) {}
    fn b(mut self, mut x: u8) {}
    fn c(&'a mut self, (p, q): (u8, u8), Point { x, y: z }: Point) {}
    fn d(self: &Rc<Self>, r#type: &Self) {}
}
extern "C" { fn printf(fmt: *const c_char, ...); }
trait Old { fn anon(&self, u8); }
"#;
        let f = facts(src);
        let params: Vec<Vec<Param>> = f
            .defs
            .iter()
            .filter_map(|d| d.function.as_ref().map(|fi| fi.parameters.clone()))
            .collect();
        assert_eq!(
            params,
            vec![
                vec![p("self", "Self")],
                vec![p("self", "Self"), p("x", "u8")],
                vec![
                    p("self", "&'a mut Self"),
                    p("(p, q)", "(u8, u8)"),
                    p("Point { x, y: z }", "Point"),
                ],
                vec![p("self", "&Rc<Self>"), p("type", "&Self")],
                vec![p("self", "&Self"), p("_", "u8")],
            ]
        );
        assert_eq!(
            qnames(&f),
            vec![
                ("T.a", None, Some("T")),
                ("T.b", None, Some("T")),
                ("T.c", None, Some("T")),
                ("T.d", None, Some("T")),
                ("Old", None, None),
                ("Old.anon", Some(4), None),
            ]
        );
        assert!(f.defs.iter().all(|d| d
            .function
            .as_ref()
            .is_none_or(|fi| fi.is_method && !fi.is_static)));
        assert_eq!(f.defs[1].locals, vec![declared("x", "u8")]);
        assert_eq!(
            f.defs[2].locals,
            vec![unknown("p"), unknown("q"), unknown("x"), unknown("z")]
        );
        // `Self` in local types means the impl type.
        assert_eq!(f.defs[3].locals, vec![declared("type", "&T")]);
        assert_eq!(f.type_refs, vec![tref(2, "Point", 4), tref(3, "Rc", 5)]);
    }

    // --- §5.6 docstrings ----------------------------------------------------------------------------

    #[test]
    fn docstrings() {
        let src = r#"#!/usr/bin/env rust
// Copyright header
#![allow(dead_code)]
//! Crate docs.
//!
//!     indented example
/*! Block inner. */

/// First line.
///
/// Second paragraph.
fn a() {}

/**
 * Block doc.
 *   indented
 */
fn b() {}

//// not a doc comment
/* plain block */
fn c() {}

/// Before attribute.
#[inline]
/// After attribute.
fn d() {}

/// Orphan at the end of a block does not document the next sibling.
const X: u8 = 1;
fn e() {}
"#;
        let f = facts(src);
        assert_eq!(
            f.docstring,
            Some(s("Crate docs.\n\n    indented example\nBlock inner."))
        );
        let docs: Vec<Option<String>> = f.defs.iter().map(|d| d.docstring.clone()).collect();
        assert_eq!(
            docs,
            vec![
                Some(s("First line.\n\nSecond paragraph.")),
                Some(s("Block doc.\n  indented")),
                None,
                Some(s("Before attribute.\nAfter attribute.")),
                None,
            ]
        );
        assert_eq!((f.defs[3].line_start, f.defs[3].line_end), (25, 27));
    }

    #[test]
    fn module_docstring_absent_after_an_item() {
        let f = facts("fn a() {}\n//! late\n");
        assert_eq!(f.docstring, None);
        let f = facts("// just a comment\n//! Doc.\nfn a() {}\n");
        assert_eq!(f.docstring, Some(s("Doc.")));
    }

    // --- §7 references --------------------------------------------------------------------------

    #[test]
    fn call_forms() {
        let src = r#"impl S {
    fn m(&self, x: Vec<u8>) {
        f();
        self.g();
        Self::h();
        self.field.i();
        self.a.b.j();
        x.k();
        a.b.l();
        Type::n();
        module::sub::o::<u8>();
        crate::util::p();
        super::q();
        self::r();
        ::std::mem::s();
        Vec::<u8>::t();
        <T as Tr>::u();
        S { a: 1 }.v();
        make().w();
        f::<u8>();
        x.y::<u8>();
        (self.cb)();
        f()();
        println!("{}", nope());
        vec![1].into_iter()
            .map(id)
            .count();
    }
}
"#;
        let f = facts(src);
        let c = |callee: Callee, line: u32| call(Some(0), callee, line);
        assert_eq!(
            f.calls,
            vec![
                c(bare("f"), 3),
                c(Callee::SelfMember(s("g")), 4),
                c(Callee::SelfMember(s("h")), 5),
                c(member(Receiver::SelfField(s("field")), "i"), 6),
                c(member(Receiver::Other, "j"), 7),
                c(member(ident_r("x"), "k"), 8),
                c(member(path_r(&["a", "b"]), "l"), 9),
                c(member(ident_r("Type"), "n"), 10),
                c(member(path_r(&["module", "sub"]), "o"), 11),
                c(member(path_r(&["crate", "util"]), "p"), 12),
                c(member(ident_r("super"), "q"), 13),
                c(member(ident_r("self"), "r"), 14),
                c(member(path_r(&["std", "mem"]), "s"), 15),
                c(member(ident_r("Vec"), "t"), 16),
                c(member(Receiver::Other, "u"), 17),
                c(member(Receiver::NewOf(s("S")), "v"), 18),
                c(member(Receiver::Other, "w"), 19),
                c(bare("make"), 19),
                c(bare("f"), 20),
                c(member(ident_r("x"), "y"), 21),
                c(bare("f"), 23),
                c(member(Receiver::Other, "count"), 27),
                c(member(Receiver::Other, "map"), 26),
                c(member(Receiver::Other, "into_iter"), 25),
            ]
        );
    }

    #[test]
    fn module_level_calls_have_no_caller() {
        let f = facts("const A: u32 = f();\nstatic B: u32 = m::g();\n");
        assert_eq!(
            f.calls,
            vec![
                call(None, bare("f"), 1),
                call(None, member(ident_r("m"), "g"), 2)
            ]
        );
    }

    #[test]
    fn type_references() {
        let src = r#"fn f<T: Clone, const N: usize>(
    a: &mut HashMap<String, Vec<model::Item>>,
    b: Option<Box<dyn Fn(Req) -> Resp + Send>>,
    c: impl Iterator<Item = Entry>,
    d: [T; N],
    e: (u8, Self, T::Assoc, Self::Out),
    g: <Q as Tr>::Out,
) -> Result<(), crate::Error> {
    let x: Arc<Mutex<State>> = make();
    let y = |z: Cfg| -> Out { z };
    let _: &'static str = "";
}
struct P<'a, T> { r: &'a T, s: std::rc::Rc<Node> }
"#;
        let f = facts(src);
        assert_eq!(
            f.type_refs,
            vec![
                tref(0, "HashMap", 2),
                tref(0, "String", 2),
                tref(0, "Vec", 2),
                tref(0, "model::Item", 2),
                tref(0, "Option", 3),
                tref(0, "Box", 3),
                tref(0, "Fn", 3),
                tref(0, "Req", 3),
                tref(0, "Resp", 3),
                tref(0, "Send", 3),
                tref(0, "Iterator", 4),
                tref(0, "Entry", 4),
                tref(0, "Q", 7),
                tref(0, "Tr", 7),
                tref(0, "Result", 8),
                tref(0, "crate::Error", 8),
                tref(0, "Arc", 9),
                tref(0, "Mutex", 9),
                tref(0, "State", 9),
                tref(0, "Cfg", 10),
                tref(0, "Out", 10),
                tref(1, "std::rc::Rc", 13),
                tref(1, "Node", 13),
            ]
        );
    }

    #[test]
    fn locals() {
        let src = r#"impl Shape {
    fn f(&self, a: Repo, b: &Self) {
        let c: Cache = Cache::default();
        let d = Point { x: 1 };
        let e = Point::new();
        let g = Self { r: 1.0 };
        let mut h = model::Item::<u8> { id: 1 };
        let (i, j) = pair();
        let k;
        k = Point { x: 2 };
        a = other();
        d.x += 1;
        for (m, n) in xs {}
        if let Some(o) = opt {}
        match v { Ok(p) => {}, Err(Error { code, msg: q }) => {} }
        let d = d;
        let d = Point { x: 3 };
    }
}
"#;
        let f = facts(src);
        assert_eq!(
            f.defs[0].locals,
            vec![
                declared("a", "Repo"),
                declared("b", "&Shape"),
                declared("c", "Cache"),
                ctor("d", "Point"),
                unknown("e"),
                ctor("g", "Shape"),
                ctor("h", "model::Item"),
                unknown("i"),
                unknown("j"),
                unknown("k"),
                unknown("a"),
                unknown("m"),
                unknown("n"),
                unknown("o"),
                unknown("p"),
                unknown("code"),
                unknown("q"),
                unknown("d"),
            ]
        );
        assert_eq!(
            f.defs[0].function.as_ref().unwrap().parameters,
            vec![p("self", "&Self"), p("a", "Repo"), p("b", "&Self")]
        );
    }

    // --- robustness ---------------------------------------------------------------------------

    #[test]
    fn syntax_errors_keep_readable_defs() {
        let src = r#"struct Ok1 { a: u8 }
fn broken( {
    let = ;
}
impl Ok1 {
    fn good(&self) -> u8 { helper() }
}
fn (x: u8) {}
trait T { fn sig(&self) }
"#;
        let f = facts(src);
        let names: Vec<&str> = f.defs.iter().map(|d| d.qname.as_str()).collect();
        assert!(names.contains(&"Ok1"), "{names:?}");
        assert!(names.contains(&"Ok1.good"), "{names:?}");
        assert!(names.contains(&"T"), "{names:?}");
        assert!(f
            .calls
            .iter()
            .any(|c| c.callee == bare("helper") && c.line == 6));
    }

    #[test]
    fn empty_and_non_utf8_files() {
        assert_eq!(facts(""), FileFacts::default());
        assert_eq!(facts("\n\n// only a comment\n"), FileFacts::default());
        let f = facts_bytes(b"/// d\xffoc\nfn f\xc3(x: T\xfe) { g\xff(); }\nstruct S\xff;\n");
        assert_eq!(
            f.defs.first().map(|d| d.docstring.clone()),
            Some(Some(s("d\u{fffd}oc")))
        );
        assert!(f.defs.iter().all(|d| !d.qname.is_empty()));
    }

    #[test]
    fn never_panics_on_broken_input() {
        let samples: Vec<&[u8]> = vec![
            b"fn",
            b"impl",
            b"impl for {}",
            b"impl<T> for X { fn }",
            b"use ;\nuse a::{;\nuse a::{b::{c as}};\nuse *;\nuse self;\n",
            b"extern crate;\nmod;\n#[path]\nmod x;\n#[path = ]\nmod y;\n",
            b"trait { fn a(&self) }\nstruct { a: }\nenum { A( }\n",
            b"fn f(self: , &'a, mut) -> { x. ; y::(); <T>::(); }",
            b"#[\nfn f() {}\n/** unterminated",
            b"fn f() { match { _ if => } if let && {} }",
            b"\xff\xfe\x00\x01fn \x80() {}",
        ];
        for src in samples {
            let _ = facts_bytes(src);
        }
        let me = include_str!("rust.rs");
        let start = me.find("let src = r#\"use crate::util").unwrap_or(0);
        let chunk = &me.as_bytes()[start..(start + 6000).min(me.len())];
        for end in (0..chunk.len()).step_by(37) {
            let _ = facts_bytes(&chunk[..end]);
        }
    }

    fn on_small_stack(src: String) -> FileFacts {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || facts(&src))
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let n = 10_000;
        let blocks = format!(
            "fn f() {{ {}if a {{}}{} }}\n",
            "{ ".repeat(n),
            " }".repeat(n)
        );
        let f = on_small_stack(blocks);
        assert_eq!(f.defs[0].complexity, 2);

        let expr = vec!["x"; n].join(" && ");
        let f = on_small_stack(format!("fn f() {{ let y = {expr}; }}\n"));
        assert_eq!(f.defs[0].complexity, n as u32);

        let parens = format!("fn f() {{ g({}1{}); }}\n", "(".repeat(n), ")".repeat(n));
        let f = on_small_stack(parens);
        assert_eq!(f.calls.len(), 1);

        let ty = format!("fn f(x: {}u8{}) {{}}\n", "Vec<".repeat(n), ">".repeat(n));
        let f = on_small_stack(ty);
        assert_eq!(f.type_refs.len(), n);

        let chain = format!("fn f() {{ a{}.z(); }}\n", ".b".repeat(n));
        let f = on_small_stack(chain);
        assert_eq!(f.calls.len(), 1);

        let uses = format!("use {}x{};\n", "a::{".repeat(n), "}".repeat(n));
        let f = on_small_stack(uses);
        assert!(f.imports.is_empty());

        let pats = format!(
            "fn f() {{ let {}x{} = v; }}\n",
            "(".repeat(n),
            ",)".repeat(n)
        );
        let f = on_small_stack(pats);
        assert_eq!(f.defs[0].locals, vec![unknown("x")]);

        let fns = "fn g() { ".repeat(2000) + &"}".repeat(2000);
        let f = on_small_stack(fns);
        assert_eq!(f.defs.len(), 2000);
    }
}
