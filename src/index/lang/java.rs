//! Java extractor: a tree-sitter-java syntax tree in, [`FileFacts`] out (`indexer.md` §5–§7,
//! §8.6, §13.6; `mubase.md` §7.2, §7.3).
//!
//! The tree is walked once, iteratively (a [`tree_sitter::TreeCursor`] plus explicit frame and
//! ancestor stacks, so 10,000 nested blocks or expressions cannot overflow the stack). The
//! previous sibling of each node is tracked by the walk (for doc comments) because
//! `Node::prev_sibling` / `Node::parent` are linear in tree-sitter. Small sub-walks (types,
//! parameters, modifiers, receivers, dotted names) are loops or explicit stacks, never recursion.
//!
//! Definitions (§5.2): `class_declaration` (class), `interface_declaration` and
//! `annotation_type_declaration` (interface), `enum_declaration` (enum), `record_declaration`
//! (record), `method_declaration`, `constructor_declaration` and
//! `compact_constructor_declaration` (named like their class, `C.C`, `is_constructor`; a compact
//! constructor's `parameters` are the record components). Annotation type elements
//! (`int v() default 1;`) are not definitions; their types are type references of the
//! annotation type.
//!
//! Transparent code: lambdas, anonymous class bodies (`new T() { … }`) and enum constant bodies
//! produce no node; the methods declared in such bodies are not definitions, and their calls,
//! complexity, type references and bindings (parameters, locals, fields of the anonymous class)
//! belong to the nearest enclosing named definition. Named classes declared anywhere (also
//! inside such bodies) are definitions, with the nearest enclosing definition as parent.
//!
//! Other choices the resolver can rely on:
//! * `package` = the package declaration, dotted; no module docstring is extracted.
//! * Imports: `kind: Java`; `import a.b.C;` → specifier `a.b.C`, names `[C]`; `import a.b.*;` →
//!   specifier `a.b`, names `[*]`; `import static a.b.C.m;` → specifier `a.b.C.m`, names `[m]`,
//!   `is_static`; `import static a.b.C.*;` → specifier `a.b.C`, names `[*]`, `is_static`.
//! * Calls (line = line of the method name, or of the class name for `new`): `f()` Bare;
//!   `this.f()` SelfMember; `super.f()` SuperMember; `x.f()` Member{Ident(x)}; `a.b.f()`
//!   Member{Path([a, b])}; `this.x.f()` Member{SelfField(x)}; `new C().f()` Member{NewOf(C)};
//!   `new C(…)` New(C) (type arguments removed, qualification kept, also with an anonymous
//!   body); `Outer.this.f()` / `I.super.f()` Member{Ident(Outer)} / Member{Ident(I)} (a dotted
//!   qualifier gives a Path); anything else (chains, casts, parenthesised, `new T() {…}.f()`,
//!   `super.x.f()`, `this.a.b.f()`) Member{Other}. In an anonymous class body `this`/`super`
//!   are the anonymous object: `this.f()`, `super.f()`, `this.x.f()` give Member{Other}. In an
//!   enum constant body both `this.f()` and `super.f()` give SelfMember (the enum's methods).
//!   Constructor chaining: `this(…)` → SelfMember(class name); `super(…)` → SuperMember(simple
//!   name of the class's `extends` base), nothing when the class has none.
//! * `x.f()` where `x` is not a parameter or local bound so far in the enclosing method(s) but is
//!   a field declared in the nearest enclosing named class gives Member{SelfField(x)} (implicit
//!   `this`, §13.6 `repo.findAll()`); decided at the end of the file, so fields declared after
//!   the method count. Never across an anonymous class or enum constant body.
//! * Method references (`Foo::bar`) are not calls.
//! * Type references: parameter and return types, field, record component and annotation element
//!   types (owner: the class), explicit local types (`T x`, enhanced-for, catch parameters,
//!   resources, pattern variables `o instanceof T t`, `case T t`, typed lambda parameters), every
//!   identifier with generic arguments included, qualification kept (`java.util.List`,
//!   `Map.Entry`); primitives, `void`, `var`, annotations and the type parameters of the
//!   enclosing definitions (`T` of `class A<T>` / `<T> void f()`) are skipped.
//! * `referenced_types`: simple type names used anywhere: every unqualified type identifier
//!   (types of all positions, `new`, bases, `throws`, casts, `instanceof`, class literals, type
//!   arguments), the first segment of a qualified type or annotation when it starts upper-case
//!   (`Map` of `Map.Entry`, not `java` of `java.util.List`), annotation names, record pattern
//!   names, and upper-case identifiers used as receivers or qualifiers (`C.m()`, `C.FIELD`,
//!   `C::m`). `var` and in-scope type parameters are skipped. Sorted, de-duplicated.
//! * Decorators are annotation names as written without `@`/arguments (`Override`,
//!   `org.junit.Test`); visibility is the explicit `public`/`private`/`protected` modifier, else
//!   `None`; `is_static` from the `static` modifier.
//! * Parameters: `type` as written (whitespace-normalised), `T x[]` gives `T[]`, varargs
//!   `T... xs` give `T...` with `variadic`; the receiver parameter (`Foo this`) is skipped.
//! * Attributes: fields (every declarator), interface constants, enum constants and record
//!   components, in source order. `field_types`: the declared field / component type (type-use
//!   annotations removed, `T x[]` → `T[]`; none when the type is a type parameter); an enum
//!   constant's type is its enum's name (so that `PLUS.apply()` inside the enum resolves); and,
//!   for a name without a declared type in this class (an inherited field), `this.x = p` in a
//!   constructor where `p` is a parameter gives `p`'s declared type.
//! * Text is decoded lossily; no slice of the input is indexed unchecked.
//!
//! Local typing (`Def::locals`, function defs only), in source order: every binding — a
//! parameter, `T x`, `var x`, an enhanced-for / catch / resource / pattern variable, a lambda
//! parameter, a field of an anonymous class — gives an entry: explicit type → `Declared(T)`
//! (type-use annotations removed; varargs `T...` → `T[]`; a multi-catch, or a type whose head
//! is an in-scope type parameter such as `T` / `T[]`, gives `Unknown`);
//! `var x = new C(…)` (no anonymous body) → `Ctor(C)`; any other `var` or an untyped lambda
//! parameter → `Unknown`. The first binding of a name is recorded as such; a later binding of the
//! same name that is not identical adds one `Unknown` entry (once); identical ones are dropped.
//! Plain assignments `x = …` add nothing: Java's static type of a local never changes. **The
//! resolver must treat a name with more than one entry, or with an `Unknown` entry, as of unknown
//! type.** Bindings in class-level code (initialisers, field lambdas) are not recorded (classes
//! have no locals) but still shadow fields for the implicit-`this` rule.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use tree_sitter::{Node, Tree};

use super::common::{bytes, clean_docstring, line_end, line_start, normalize_ws, text};
use crate::index::facts::{
    Base, CallSite, Callee, ClassInfo, ClassKind, Def, DefIdx, DefKind, FileFacts, FunctionInfo,
    Import, ImportKind, ImportedName, LocalTy, LocalType, Param, Receiver, Relation, TypeRef,
};

/// Extract the facts of one Java file. `parse_errors` is left at 0 (the caller fills it in).
pub fn extract(tree: &Tree, src: &[u8]) -> FileFacts {
    let mut ex = Extractor {
        src,
        facts: FileFacts::default(),
        frames: Vec::new(),
        anc: Vec::new(),
        annotations: Vec::new(),
        tparams: HashMap::new(),
        referenced: BTreeSet::new(),
        field_candidates: Vec::new(),
        ctor_fields: Vec::new(),
        members: HashMap::new(),
    };
    ex.walk(tree.root_node());
    ex.finish()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FrameKind {
    /// A named class-like definition: owner of the code in its body.
    Class,
    /// A method or constructor definition.
    Function,
    /// An anonymous class body: transparent; `this` is the anonymous object.
    Anon,
    /// An enum constant body: transparent; `this` is the constant (an instance of the enum).
    EnumConst,
    /// A method declared in an anonymous class or enum constant body: transparent, only scopes
    /// its type parameters.
    Method,
}

struct Frame {
    /// The frame is popped when the walk leaves the node with this id.
    end_id: usize,
    kind: FrameKind,
    /// The definition (Class / Function frames).
    def: Option<usize>,
    /// Type parameter names declared by this frame's node.
    tparams: Vec<String>,
    /// Names bound so far in code owned by this definition (parameters, locals, …), with the
    /// type of their only `locals` entry, `None` once the name's type is unknown.
    bound: HashMap<String, Option<LocalTy>>,
    /// Record components (record class frames) with their local type: the parameters of a
    /// compact constructor.
    components: Vec<(Param, Option<String>)>,
}

struct Extractor<'s, 't> {
    src: &'s [u8],
    facts: FileFacts,
    frames: Vec<Frame>,
    /// Ancestors of the current node, root first.
    anc: Vec<Node<'t>>,
    /// Ids of the annotations the walk is inside (their expressions count for nothing).
    annotations: Vec<usize>,
    /// Type parameter names in scope, with their multiplicity.
    tparams: HashMap<String, u32>,
    referenced: BTreeSet<String>,
    /// `x.f()` call sites that become `SelfField(x)` when class (def index) has field `x`.
    field_candidates: Vec<(usize, usize)>,
    /// `this.x = p` in a constructor: (class def index, field, declared type of `p`).
    ctor_fields: Vec<(usize, String, String)>,
    /// Per class def: names in `attributes` and in `field_types` (for de-duplication).
    members: HashMap<usize, (HashSet<String>, HashSet<String>)>,
}

// ---------------------------------------------------------------------------------------------
// Small node helpers (all bounds-checked: never index out of range).

fn is_comment(kind: &str) -> bool {
    matches!(kind, "line_comment" | "block_comment")
}

fn is_annotation(kind: &str) -> bool {
    matches!(kind, "annotation" | "marker_annotation")
}

/// Named children of a node, skipping comments.
fn named_children<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = n.walk();
    n.named_children(&mut cursor)
        .filter(|c| !is_comment(c.kind()))
        .collect()
}

/// All children of a node (named or not).
fn children<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = n.walk();
    n.children(&mut cursor).collect()
}

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

/// Dotted text of an `identifier` / `scoped_identifier` (`org.junit.Test`), built from its
/// identifiers (whitespace and comments dropped).
fn scoped_ident_text(n: Node, src: &[u8]) -> String {
    let mut segs: Vec<Cow<str>> = Vec::new();
    let mut cur = n;
    loop {
        match cur.kind() {
            "identifier" => {
                segs.push(text(cur, src));
                break;
            }
            "scoped_identifier" => {
                if let Some(name) = cur.child_by_field_name("name") {
                    segs.push(text(name, src));
                }
                match cur.child_by_field_name("scope") {
                    Some(s) => cur = s,
                    None => break,
                }
            }
            _ => {
                segs.push(Cow::Owned(normalize_ws(&text(cur, src))));
                break;
            }
        }
    }
    segs.reverse();
    segs.join(".")
}

/// Annotation name without `@` and arguments, as written (`Override`, `org.junit.Test`).
fn annotation_name(ann: Node, src: &[u8]) -> Option<String> {
    let name = ann.child_by_field_name("name")?;
    let s = scoped_ident_text(name, src);
    (!s.is_empty()).then_some(s)
}

/// Number of `[` in a `dimensions` node, as `[]` pairs (`T x[][]` → `[][]`).
fn dims_suffix(dims: Option<Node>) -> String {
    let Some(d) = dims else {
        return String::new();
    };
    let n = children(d).iter().filter(|c| c.kind() == "[").count();
    "[]".repeat(n)
}

/// A type's text, whitespace-normalised, as written.
fn type_text(ty: Node, src: &[u8]) -> String {
    normalize_ws(&text(ty, src))
}

/// A type's text with type-use annotations removed (for locals and field types, which the
/// resolver parses): `List<@NonNull Foo>` → `List<Foo>`.
fn clean_type_text(ty: Node, src: &[u8]) -> String {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut stack = vec![ty];
    while let Some(n) = stack.pop() {
        if is_annotation(n.kind()) || is_comment(n.kind()) {
            ranges.push((n.start_byte(), n.end_byte()));
        } else {
            stack.extend(named_children_all(n));
        }
    }
    if ranges.is_empty() {
        return type_text(ty, src);
    }
    ranges.sort_unstable();
    let mut out: Vec<u8> = Vec::new();
    let mut pos = ty.start_byte();
    for (a, b) in ranges {
        if a > pos {
            out.extend_from_slice(src.get(pos..a).unwrap_or(&[]));
        }
        out.push(b' ');
        pos = pos.max(b);
    }
    if ty.end_byte() > pos {
        out.extend_from_slice(src.get(pos..ty.end_byte()).unwrap_or(&[]));
    }
    let s = normalize_ws(&String::from_utf8_lossy(&out));
    s.replace("< ", "<")
        .replace(" >", ">")
        .replace(" [", "[")
        .replace(" ,", ",")
        .replace(" .", ".")
        .replace(". ", ".")
}

/// Named children including comments (used where comments must be seen).
fn named_children_all<'t>(n: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = n.walk();
    n.named_children(&mut cursor).collect()
}

/// Name of a type with type arguments and annotations removed, qualification kept
/// (`a.b.C<T>` → `a.b.C`), the line of its last segment, and the `type_arguments` nodes met on
/// the way. `None` for primitives, arrays and anything else.
fn type_name<'t>(ty: Node<'t>, src: &[u8], args: &mut Vec<Node<'t>>) -> Option<(String, u32)> {
    let mut segs: Vec<Cow<str>> = Vec::new();
    let mut line = None;
    let mut cur = ty;
    loop {
        match cur.kind() {
            "type_identifier" | "identifier" => {
                segs.push(text(cur, src));
                line.get_or_insert(line_start(cur));
                break;
            }
            "generic_type" => {
                let kids = named_children(cur);
                let mut head = None;
                for k in kids {
                    match k.kind() {
                        "type_arguments" => args.push(k),
                        "type_identifier" | "scoped_type_identifier" if head.is_none() => {
                            head = Some(k)
                        }
                        _ => {}
                    }
                }
                cur = head?;
            }
            "scoped_type_identifier" => {
                let kids: Vec<Node> = named_children(cur)
                    .into_iter()
                    .filter(|k| !is_annotation(k.kind()))
                    .collect();
                match kids.as_slice() {
                    [] => return None,
                    [only] => cur = *only,
                    [first, .., last] => {
                        if last.kind() != "type_identifier" {
                            return None;
                        }
                        segs.push(text(*last, src));
                        line.get_or_insert(line_start(*last));
                        cur = *first;
                    }
                }
            }
            "annotated_type" => {
                cur = named_children(cur)
                    .into_iter()
                    .find(|k| !is_annotation(k.kind()))?;
            }
            _ => return None,
        }
    }
    segs.reverse();
    let s = segs.join(".");
    if s.is_empty() {
        return None;
    }
    Some((s, line.unwrap_or_else(|| line_start(ty))))
}

/// Javadoc text of a `/** … */` comment: markers and leading `*` removed, cleaned per §5.6.
fn javadoc(c: Node, src: &[u8]) -> Option<String> {
    if c.kind() != "block_comment" {
        return None;
    }
    let raw = bytes(c, src);
    if raw.len() < 5 || !raw.starts_with(b"/**") || !raw.ends_with(b"*/") {
        return None;
    }
    let inner = String::from_utf8_lossy(raw.get(3..raw.len() - 2)?);
    let mut out = String::with_capacity(inner.len());
    for (i, line) in inner.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            let t = line.trim_start();
            match t.strip_prefix('*') {
                Some(rest) => out.push_str(rest),
                None => out.push_str(line),
            }
        } else {
            out.push_str(line);
        }
    }
    clean_docstring(&out)
}

/// A `switch_block_statement_group` / `switch_rule` whose only label is `default`.
fn is_default_only(n: Node, src: &[u8]) -> bool {
    let labels: Vec<Node> = named_children(n)
        .into_iter()
        .filter(|c| c.kind() == "switch_label")
        .collect();
    match labels.as_slice() {
        [only] => normalize_ws(&text(*only, src)) == "default",
        _ => false,
    }
}

/// Node kinds that are type expressions (`_unannotated_type` and `annotated_type`).
fn is_type_kind(kind: &str) -> bool {
    matches!(
        kind,
        "type_identifier"
            | "scoped_type_identifier"
            | "generic_type"
            | "array_type"
            | "annotated_type"
            | "integral_type"
            | "floating_point_type"
            | "boolean_type"
            | "void_type"
    )
}

fn is_primitive(kind: &str) -> bool {
    matches!(
        kind,
        "integral_type" | "floating_point_type" | "boolean_type" | "void_type"
    )
}

/// One parameter read from a `formal_parameters` list.
struct ParamInfo<'t> {
    param: Param,
    /// Declared type for `locals` (annotations removed, varargs as an array).
    local: Option<String>,
    ty: Option<Node<'t>>,
}

fn read_params<'t>(params: Node<'t>, src: &[u8]) -> Vec<ParamInfo<'t>> {
    let mut out = Vec::new();
    for p in named_children(params) {
        match p.kind() {
            "formal_parameter" => {
                let Some(name) = p.child_by_field_name("name") else {
                    continue;
                };
                let name = text(name, src).into_owned();
                if name.is_empty() {
                    continue;
                }
                let ty = p.child_by_field_name("type");
                let dims = dims_suffix(p.child_by_field_name("dimensions"));
                let type_ = ty.map(|t| format!("{}{dims}", type_text(t, src)));
                let local = ty.map(|t| format!("{}{dims}", clean_type_text(t, src)));
                out.push(ParamInfo {
                    param: Param {
                        name,
                        type_,
                        ..Param::default()
                    },
                    local,
                    ty,
                });
            }
            "spread_parameter" => {
                let kids = named_children(p);
                let ty = kids.iter().copied().find(|k| is_type_kind(k.kind()));
                let Some(decl) = kids.iter().find(|k| k.kind() == "variable_declarator") else {
                    continue;
                };
                let Some(name) = decl.child_by_field_name("name") else {
                    continue;
                };
                let name = text(name, src).into_owned();
                if name.is_empty() {
                    continue;
                }
                out.push(ParamInfo {
                    param: Param {
                        name,
                        type_: ty.map(|t| format!("{}...", type_text(t, src))),
                        variadic: true,
                        ..Param::default()
                    },
                    local: ty.map(|t| format!("{}[]", clean_type_text(t, src))),
                    ty,
                });
            }
            _ => {} // receiver parameter, errors
        }
    }
    out
}

/// Modifiers of a declaration: decorators, visibility, `static`.
#[derive(Default)]
struct Mods {
    decorators: Vec<String>,
    visibility: Option<String>,
    is_static: bool,
}

fn read_mods(node: Node, src: &[u8]) -> Mods {
    let mut m = Mods::default();
    for c in children(node) {
        let items = if c.kind() == "modifiers" {
            children(c)
        } else if is_annotation(c.kind()) {
            vec![c]
        } else {
            continue;
        };
        for i in items {
            match i.kind() {
                "public" | "private" | "protected" if m.visibility.is_none() => {
                    m.visibility = Some(i.kind().to_string());
                }
                "static" => m.is_static = true,
                k if is_annotation(k) => {
                    if let Some(n) = annotation_name(i, src) {
                        m.decorators.push(n);
                    }
                }
                _ => {}
            }
        }
    }
    m
}

/// Names of the type parameters declared by a `type_parameters` node.
fn type_param_names(node: Node, src: &[u8]) -> Vec<String> {
    let Some(tps) = node.child_by_field_name("type_parameters") else {
        return Vec::new();
    };
    named_children(tps)
        .into_iter()
        .filter(|tp| tp.kind() == "type_parameter")
        .filter_map(|tp| {
            named_children(tp)
                .into_iter()
                .find(|c| c.kind() == "type_identifier")
                .map(|c| text(c, src).into_owned())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------

impl<'s, 't> Extractor<'s, 't> {
    fn walk(&mut self, root: Node<'t>) {
        let mut cursor = root.walk();
        let mut prev: Option<Node<'t>> = None;
        loop {
            let node = cursor.node();
            let descend = self.enter(node, prev);
            if descend && cursor.goto_first_child() {
                self.anc.push(node);
                prev = None;
                continue;
            }
            loop {
                let left = cursor.node();
                self.leave(left);
                if cursor.goto_next_sibling() {
                    prev = Some(left);
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                self.anc.pop();
            }
        }
    }

    fn leave(&mut self, node: Node<'t>) {
        let id = node.id();
        while self.frames.last().is_some_and(|f| f.end_id == id) {
            if let Some(f) = self.frames.pop() {
                for t in f.tparams {
                    if let Some(c) = self.tparams.get_mut(&t) {
                        *c -= 1;
                        if *c == 0 {
                            self.tparams.remove(&t);
                        }
                    }
                }
            }
        }
        if self.annotations.last() == Some(&id) {
            self.annotations.pop();
        }
    }

    /// Handle a node on the way down; returns whether to descend into it.
    fn enter(&mut self, node: Node<'t>, prev: Option<Node<'t>>) -> bool {
        if !node.is_named() {
            return false;
        }
        match node.kind() {
            "line_comment" | "block_comment" => return false,
            "package_declaration" => {
                if let Some(n) = named_children(node)
                    .into_iter()
                    .find(|c| matches!(c.kind(), "identifier" | "scoped_identifier"))
                {
                    self.facts.package = Some(scoped_ident_text(n, self.src));
                }
                return false;
            }
            "import_declaration" => {
                self.on_import(node);
                return false;
            }
            "class_declaration" => self.enter_class(node, prev, ClassKind::Class),
            "interface_declaration" | "annotation_type_declaration" => {
                self.enter_class(node, prev, ClassKind::Interface)
            }
            "enum_declaration" => self.enter_class(node, prev, ClassKind::Enum),
            "record_declaration" => self.enter_class(node, prev, ClassKind::Record),
            "method_declaration" => self.enter_method(node, prev),
            "constructor_declaration" | "compact_constructor_declaration" => {
                self.enter_constructor(node, prev)
            }
            "class_body" => {
                let kind = match self.anc.last().map(|p| p.kind()) {
                    Some("object_creation_expression") => Some(FrameKind::Anon),
                    Some("enum_constant") => Some(FrameKind::EnumConst),
                    _ => None,
                };
                if let Some(kind) = kind {
                    self.push_frame(node.id(), kind, None, Vec::new());
                }
            }
            "enum_constant" => {
                if let (Some(name), Some(f)) =
                    (node.child_by_field_name("name"), self.frames.last())
                {
                    if f.kind == FrameKind::Class {
                        if let Some(idx) = f.def {
                            // An enum constant is a field whose type is the enum.
                            let name = text(name, self.src).into_owned();
                            let ty = self.facts.defs.get(idx).map(|d| d.name.clone());
                            self.add_attribute(idx, &name);
                            if let Some(ty) = ty {
                                self.add_field_type(idx, &name, &ty);
                            }
                        }
                    }
                }
            }
            "field_declaration" | "constant_declaration" => self.on_field(node),
            "annotation_type_element_declaration" => {
                if let Some(ty) = node.child_by_field_name("type") {
                    let owner = self.owner_idx();
                    self.type_refs(ty, owner);
                }
            }
            "local_variable_declaration" => self.on_local_var(node),
            "enhanced_for_statement" => {
                self.bump();
                self.on_enhanced_for(node);
            }
            "catch_clause" => self.bump(),
            "catch_formal_parameter" => self.on_catch_param(node),
            "resource" => self.on_resource(node),
            "instanceof_expression" => {
                if let (Some(ty), Some(name)) = (
                    node.child_by_field_name("right"),
                    node.child_by_field_name("name"),
                ) {
                    self.typed_binding(ty, name, "");
                }
            }
            "type_pattern" | "record_pattern_component" => {
                let kids = named_children(node);
                let ty = kids.iter().copied().find(|k| is_type_kind(k.kind()));
                let name = kids.iter().copied().find(|k| k.kind() == "identifier");
                if let (Some(ty), Some(name)) = (ty, name) {
                    self.typed_binding(ty, name, "");
                }
            }
            "record_pattern" => {
                if let Some(n) = named_children(node)
                    .into_iter()
                    .find(|c| c.kind() == "identifier")
                {
                    let name = text(n, self.src).into_owned();
                    self.note_name(&name);
                }
            }
            "lambda_expression" => self.on_lambda(node),
            "method_invocation" => self.on_call(node),
            "object_creation_expression" => self.on_new(node),
            "explicit_constructor_invocation" => self.on_ctor_invocation(node),
            "field_access" => self.note_receiver(node.child_by_field_name("object")),
            "method_reference" => self.note_receiver(named_children(node).first().copied()),
            "assignment_expression" => self.on_assignment(node),
            "if_statement" | "for_statement" | "while_statement" | "do_statement"
            | "ternary_expression" => self.bump(),
            "switch_block_statement_group" | "switch_rule" if !is_default_only(node, self.src) => {
                self.bump()
            }
            "binary_expression"
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "&&" | "||")) =>
            {
                self.bump()
            }
            "annotation" | "marker_annotation" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.note_qualified(name);
                }
                self.annotations.push(node.id());
            }
            "type_parameter" => {
                // The declared name is not a use; its bounds are.
                for c in named_children(node) {
                    if c.kind() == "type_bound" {
                        self.note_types(c);
                    } else if is_annotation(c.kind()) {
                        if let Some(name) = c.child_by_field_name("name") {
                            self.note_qualified(name);
                        }
                    }
                }
                return false;
            }
            k if is_type_kind(k) => {
                self.note_types(node);
                return false;
            }
            _ => {}
        }
        true
    }

    // --- frames ------------------------------------------------------------------------------

    fn push_frame(&mut self, end_id: usize, kind: FrameKind, def: Option<usize>, tp: Vec<String>) {
        for t in &tp {
            *self.tparams.entry(t.clone()).or_insert(0) += 1;
        }
        self.frames.push(Frame {
            end_id,
            kind,
            def,
            tparams: tp,
            bound: HashMap::new(),
            components: Vec::new(),
        });
    }

    /// Index (in `frames`) of the nearest frame owning code: a class or function definition.
    fn owner_frame(&self) -> Option<usize> {
        self.frames
            .iter()
            .rposition(|f| matches!(f.kind, FrameKind::Class | FrameKind::Function))
    }

    /// Nearest enclosing definition.
    fn owner_idx(&self) -> Option<DefIdx> {
        self.owner_frame()
            .and_then(|i| self.frames.get(i))
            .and_then(|f| f.def)
            .map(|d| d as DefIdx)
    }

    /// Kind of the frame that decides what `this` means: the nearest class, anonymous class or
    /// enum constant body.
    fn this_scope(&self) -> Option<FrameKind> {
        self.frames
            .iter()
            .rev()
            .map(|f| f.kind)
            .find(|k| matches!(k, FrameKind::Class | FrameKind::Anon | FrameKind::EnumConst))
    }

    /// One decision point for the nearest enclosing function (classes and the module have 0).
    fn bump(&mut self) {
        if !self.annotations.is_empty() {
            return;
        }
        let Some(f) = self.owner_frame().and_then(|i| self.frames.get(i)) else {
            return;
        };
        if f.kind != FrameKind::Function {
            return;
        }
        if let Some(d) = f.def.and_then(|d| self.facts.defs.get_mut(d)) {
            if d.has_body {
                d.complexity = d.complexity.saturating_add(1);
            }
        }
    }

    fn qname_for(&self, parent: Option<DefIdx>, name: &str) -> String {
        match parent.and_then(|p| self.facts.defs.get(p as usize)) {
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

    // --- definitions -------------------------------------------------------------------------

    fn enter_class(&mut self, node: Node<'t>, prev: Option<Node<'t>>, kind: ClassKind) {
        let src = self.src;
        let name = match node.child_by_field_name("name") {
            Some(n) => text(n, src).into_owned(),
            None => String::new(),
        };
        if name.is_empty() {
            return; // Unnamed (error recovery): transparent.
        }
        let mods = read_mods(node, src);
        let parent = self.owner_idx();
        let mut bases = Vec::new();
        let mut base_nodes: Vec<(Node<'t>, Relation)> = Vec::new();
        if let Some(sc) = node.child_by_field_name("superclass") {
            for t in named_children(sc) {
                base_nodes.push((t, Relation::Extends));
            }
        }
        let mut list_holders: Vec<(Node<'t>, Relation)> = Vec::new();
        if let Some(si) = node.child_by_field_name("interfaces") {
            let rel = if kind == ClassKind::Interface {
                Relation::Extends
            } else {
                Relation::Implements
            };
            list_holders.push((si, rel));
        }
        for c in named_children(node) {
            if c.kind() == "extends_interfaces" {
                list_holders.push((c, Relation::Extends));
            }
        }
        for (holder, rel) in list_holders {
            for tl in named_children(holder) {
                if tl.kind() == "type_list" {
                    for t in named_children(tl) {
                        base_nodes.push((t, rel));
                    }
                }
            }
        }
        for (t, relation) in base_nodes {
            let mut args = Vec::new();
            let text = match type_name(t, src, &mut args) {
                Some((s, _)) => s,
                None => continue,
            };
            bases.push(Base {
                text,
                relation,
                line: line_start(t),
            });
        }
        let idx = self.facts.defs.len();
        let qname = self.qname_for(parent, &name);
        self.facts.defs.push(Def {
            kind: DefKind::Class,
            name,
            qname,
            parent,
            line_start: line_start(node),
            line_end: line_end(node),
            complexity: 0,
            has_body: node.child_by_field_name("body").is_some(),
            decorators: mods.decorators,
            visibility: mods.visibility,
            docstring: prev.and_then(|p| javadoc(p, src)),
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
        });
        let tp = type_param_names(node, src);
        self.push_frame(node.id(), FrameKind::Class, Some(idx), tp);
        if kind == ClassKind::Record {
            let owner = Some(idx as DefIdx);
            let mut components = Vec::new();
            if let Some(params) = node.child_by_field_name("parameters") {
                for pi in read_params(params, src) {
                    if let Some(ty) = pi.ty {
                        self.type_refs(ty, owner);
                    }
                    self.add_attribute(idx, &pi.param.name);
                    if let Some(l) = &pi.local {
                        if !self.is_tparam_type(l) {
                            self.add_field_type(idx, &pi.param.name, l);
                        }
                    }
                    components.push((pi.param, pi.local));
                }
            }
            if let Some(f) = self.frames.last_mut() {
                f.components = components;
            }
        }
    }

    fn enter_method(&mut self, node: Node<'t>, prev: Option<Node<'t>>) {
        let src = self.src;
        let transparent = self
            .frames
            .last()
            .is_some_and(|f| matches!(f.kind, FrameKind::Anon | FrameKind::EnumConst));
        let name = match node.child_by_field_name("name") {
            Some(n) => text(n, src).into_owned(),
            None => String::new(),
        };
        if transparent || name.is_empty() {
            // A method of an anonymous class / enum constant body: its parameters are bindings
            // and its types references of the enclosing definition.
            let tp = type_param_names(node, src);
            self.push_frame(node.id(), FrameKind::Method, None, tp);
            let owner = self.owner_idx();
            if let Some(rt) = node.child_by_field_name("type") {
                self.type_refs(rt, owner);
            }
            if let Some(params) = node.child_by_field_name("parameters") {
                self.bind_params(params, owner);
            }
            return;
        }
        let mods = read_mods(node, src);
        let parent = self.owner_idx();
        let is_method = parent
            .and_then(|p| self.facts.defs.get(p as usize))
            .is_some_and(|d| d.kind == DefKind::Class);
        let has_body = node.child_by_field_name("body").is_some();
        let return_type = node.child_by_field_name("type").map(|t| {
            let dims = dims_suffix(node.child_by_field_name("dimensions"));
            format!("{}{dims}", type_text(t, src))
        });
        let function = FunctionInfo {
            is_method,
            is_static: mods.is_static,
            return_type,
            ..FunctionInfo::default()
        };
        self.new_function(node, prev, name, mods, has_body, function, None);
    }

    fn enter_constructor(&mut self, node: Node<'t>, prev: Option<Node<'t>>) {
        let src = self.src;
        let class = self
            .frames
            .last()
            .filter(|f| f.kind == FrameKind::Class)
            .and_then(|f| f.def)
            .and_then(|d| self.facts.defs.get(d));
        let name = match (class, node.child_by_field_name("name")) {
            (Some(c), _) => c.name.clone(),
            (None, Some(n)) => text(n, src).into_owned(),
            (None, None) => String::new(),
        };
        if name.is_empty() {
            let tp = type_param_names(node, src);
            self.push_frame(node.id(), FrameKind::Method, None, tp);
            let owner = self.owner_idx();
            if let Some(params) = node.child_by_field_name("parameters") {
                self.bind_params(params, owner);
            }
            return;
        }
        let mods = read_mods(node, src);
        let parent = self.owner_idx();
        let is_method = parent
            .and_then(|p| self.facts.defs.get(p as usize))
            .is_some_and(|d| d.kind == DefKind::Class);
        let components = if node.kind() == "compact_constructor_declaration" {
            Some(
                self.frames
                    .last()
                    .filter(|f| f.kind == FrameKind::Class)
                    .map(|f| f.components.clone())
                    .unwrap_or_default(),
            )
        } else {
            None
        };
        let function = FunctionInfo {
            is_method,
            is_static: mods.is_static,
            is_constructor: true,
            ..FunctionInfo::default()
        };
        let has_body = node.child_by_field_name("body").is_some();
        self.new_function(node, prev, name, mods, has_body, function, components);
    }

    /// Push a function def (method or constructor) and open its frame; parameters and return
    /// type give type references and locals.
    #[allow(clippy::too_many_arguments)]
    fn new_function(
        &mut self,
        node: Node<'t>,
        prev: Option<Node<'t>>,
        name: String,
        mods: Mods,
        has_body: bool,
        mut function: FunctionInfo,
        components: Option<Vec<(Param, Option<String>)>>,
    ) {
        let src = self.src;
        let parent = self.owner_idx();
        let idx = self.facts.defs.len();
        let owner = Some(idx as DefIdx);
        let qname = self.qname_for(parent, &name);
        let params: Vec<ParamInfo<'t>> = match node.child_by_field_name("parameters") {
            Some(p) => read_params(p, src),
            None => Vec::new(),
        };
        let mut locals_src: Vec<(String, Option<String>)> = Vec::new();
        match components {
            Some(comps) => {
                for (p, local) in comps {
                    locals_src.push((p.name.clone(), local));
                    function.parameters.push(p);
                }
            }
            None => {
                for pi in &params {
                    locals_src.push((pi.param.name.clone(), pi.local.clone()));
                }
                function.parameters = params.iter().map(|p| p.param.clone()).collect();
            }
        }
        self.facts.defs.push(Def {
            kind: DefKind::Function,
            name,
            qname,
            parent,
            line_start: line_start(node),
            line_end: line_end(node),
            complexity: u32::from(has_body),
            has_body,
            decorators: mods.decorators,
            visibility: mods.visibility,
            docstring: prev.and_then(|p| javadoc(p, src)),
            class: None,
            function: Some(function),
            locals: Vec::new(),
            attach: None,
            namespace: None,
        });
        let tp = type_param_names(node, src);
        self.push_frame(node.id(), FrameKind::Function, Some(idx), tp);
        // Type references in source order: return type, then parameters.
        if let Some(rt) = node.child_by_field_name("type") {
            self.type_refs(rt, owner);
        }
        for pi in &params {
            if let Some(ty) = pi.ty {
                self.type_refs(ty, owner);
            }
        }
        for (name, ty) in locals_src {
            let ty = ty.map_or(LocalTy::Unknown, LocalTy::Declared);
            self.bind(name, ty);
        }
    }

    /// Parameters of transparent code (lambdas, anonymous class methods): bindings and type
    /// references of the enclosing definition.
    fn bind_params(&mut self, params: Node<'t>, owner: Option<DefIdx>) {
        for pi in read_params(params, self.src) {
            if let Some(ty) = pi.ty {
                self.type_refs(ty, owner);
            }
            let ty = pi.local.map_or(LocalTy::Unknown, LocalTy::Declared);
            self.bind(pi.param.name, ty);
        }
    }

    // --- bindings ----------------------------------------------------------------------------

    /// A type whose head is an in-scope type parameter (`T`, `T[]`, `E<X>`): not a class.
    fn is_tparam_type(&self, t: &str) -> bool {
        let head = t.split(['<', '[']).next().unwrap_or(t).trim();
        self.tparams.contains_key(head)
    }

    /// Record a binding in the nearest definition (see the module docs for the rules).
    fn bind(&mut self, name: String, ty: LocalTy) {
        if name.is_empty() || name == "_" {
            return;
        }
        let ty = match ty {
            LocalTy::Declared(t) if self.is_tparam_type(&t) => LocalTy::Unknown,
            other => other,
        };
        let Some(fi) = self.owner_frame() else {
            return;
        };
        let Some(frame) = self.frames.get_mut(fi) else {
            return;
        };
        // First binding: its type; an identical later one: nothing; a different one: one
        // `Unknown` entry, after which the name is settled.
        let ty = match frame.bound.get_mut(&name) {
            None => {
                let state = (ty != LocalTy::Unknown).then(|| ty.clone());
                frame.bound.insert(name.clone(), state);
                ty
            }
            Some(None) => return,
            Some(Some(first)) if *first == ty => return,
            Some(state) => {
                *state = None;
                LocalTy::Unknown
            }
        };
        if frame.kind != FrameKind::Function {
            return;
        }
        if let Some(def) = frame.def.and_then(|d| self.facts.defs.get_mut(d)) {
            def.locals.push(LocalType { name, ty });
        }
    }

    /// `T name` binding with type references: pattern variables, `instanceof` bindings.
    fn typed_binding(&mut self, ty: Node<'t>, name: Node<'t>, dims: &str) {
        let src = self.src;
        let n = text(name, src).into_owned();
        if bytes(ty, src) == b"var" {
            self.bind(n, LocalTy::Unknown);
            return;
        }
        let owner = self.owner_idx();
        self.type_refs(ty, owner);
        let t = format!("{}{dims}", clean_type_text(ty, src));
        self.bind(n, LocalTy::Declared(t));
    }

    fn on_local_var(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(ty) = node.child_by_field_name("type") else {
            return;
        };
        let mut cursor = node.walk();
        let decls: Vec<Node> = node
            .children_by_field_name("declarator", &mut cursor)
            .collect();
        if bytes(ty, src) == b"var" {
            for d in decls {
                let Some(name) = d.child_by_field_name("name") else {
                    continue;
                };
                let lt = d
                    .child_by_field_name("value")
                    .and_then(|v| self.ctor_text(v))
                    .map_or(LocalTy::Unknown, LocalTy::Ctor);
                self.bind(text(name, src).into_owned(), lt);
            }
            return;
        }
        let owner = self.owner_idx();
        self.type_refs(ty, owner);
        let base = clean_type_text(ty, src);
        for d in decls {
            let Some(name) = d.child_by_field_name("name") else {
                continue;
            };
            let dims = dims_suffix(d.child_by_field_name("dimensions"));
            self.bind(
                text(name, src).into_owned(),
                LocalTy::Declared(format!("{base}{dims}")),
            );
        }
    }

    fn on_enhanced_for(&mut self, node: Node<'t>) {
        let (Some(ty), Some(name)) = (
            node.child_by_field_name("type"),
            node.child_by_field_name("name"),
        ) else {
            return;
        };
        let dims = dims_suffix(node.child_by_field_name("dimensions"));
        self.typed_binding(ty, name, &dims);
    }

    fn on_catch_param(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(name) = node.child_by_field_name("name") else {
            return;
        };
        let Some(ct) = named_children(node)
            .into_iter()
            .find(|c| c.kind() == "catch_type")
        else {
            return;
        };
        let types: Vec<Node> = named_children(ct)
            .into_iter()
            .filter(|c| is_type_kind(c.kind()))
            .collect();
        match types.as_slice() {
            [single] => self.typed_binding(*single, name, ""),
            _ => {
                let owner = self.owner_idx();
                for t in types {
                    self.type_refs(t, owner);
                }
                self.bind(text(name, src).into_owned(), LocalTy::Unknown);
            }
        }
    }

    fn on_resource(&mut self, node: Node<'t>) {
        let src = self.src;
        let (Some(ty), Some(name)) = (
            node.child_by_field_name("type"),
            node.child_by_field_name("name"),
        ) else {
            return;
        };
        if bytes(ty, src) == b"var" {
            let lt = node
                .child_by_field_name("value")
                .and_then(|v| self.ctor_text(v))
                .map_or(LocalTy::Unknown, LocalTy::Ctor);
            self.bind(text(name, src).into_owned(), lt);
        } else {
            let dims = dims_suffix(node.child_by_field_name("dimensions"));
            self.typed_binding(ty, name, &dims);
        }
    }

    fn on_lambda(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(params) = node.child_by_field_name("parameters") else {
            return;
        };
        match params.kind() {
            "identifier" => self.bind(text(params, src).into_owned(), LocalTy::Unknown),
            "inferred_parameters" => {
                for p in named_children(params) {
                    if p.kind() == "identifier" {
                        self.bind(text(p, src).into_owned(), LocalTy::Unknown);
                    }
                }
            }
            "formal_parameters" => {
                let owner = self.owner_idx();
                self.bind_params(params, owner);
            }
            _ => {}
        }
    }

    /// Class text of `new C(…)` without an anonymous body (`a.b.C`, type arguments removed).
    fn ctor_text(&self, value: Node<'t>) -> Option<String> {
        if value.kind() != "object_creation_expression" {
            return None;
        }
        if named_children(value)
            .iter()
            .any(|c| c.kind() == "class_body")
        {
            return None;
        }
        let ty = value.child_by_field_name("type")?;
        let mut args = Vec::new();
        type_name(ty, self.src, &mut args).map(|(s, _)| s)
    }

    // --- classes: fields and attributes ------------------------------------------------------

    fn on_field(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(ty) = node.child_by_field_name("type") else {
            return;
        };
        let mut cursor = node.walk();
        let decls: Vec<Node> = node
            .children_by_field_name("declarator", &mut cursor)
            .collect();
        let owner = self.owner_idx();
        self.type_refs(ty, owner);
        let base = clean_type_text(ty, src);
        let class = self
            .frames
            .last()
            .filter(|f| f.kind == FrameKind::Class)
            .and_then(|f| f.def);
        for d in decls {
            let Some(name) = d.child_by_field_name("name") else {
                continue;
            };
            let name = text(name, src).into_owned();
            let t = format!("{base}{}", dims_suffix(d.child_by_field_name("dimensions")));
            match class {
                Some(c) => {
                    self.add_attribute(c, &name);
                    if !self.is_tparam_type(&t) {
                        self.add_field_type(c, &name, &t);
                    }
                }
                // A field of an anonymous class / enum constant body: a binding of the code
                // that owns the body.
                None => self.bind(name, LocalTy::Declared(t)),
            }
        }
    }

    fn add_attribute(&mut self, class_idx: usize, name: &str) {
        if name.is_empty() {
            return;
        }
        if let Some(c) = self
            .facts
            .defs
            .get_mut(class_idx)
            .and_then(|d| d.class.as_mut())
        {
            let (attrs, _) = self.members.entry(class_idx).or_default();
            if attrs.insert(name.to_string()) {
                c.attributes.push(name.to_string());
            }
        }
    }

    fn add_field_type(&mut self, class_idx: usize, name: &str, ty: &str) {
        if name.is_empty() || ty.is_empty() {
            return;
        }
        if let Some(c) = self
            .facts
            .defs
            .get_mut(class_idx)
            .and_then(|d| d.class.as_mut())
        {
            let (_, typed) = self.members.entry(class_idx).or_default();
            if typed.insert(name.to_string()) {
                c.field_types.push((name.to_string(), ty.to_string()));
            }
        }
    }

    /// `this.x = p` in a constructor, `p` a parameter with a declared type.
    fn on_assignment(&mut self, node: Node<'t>) {
        let src = self.src;
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return;
        };
        if left.kind() != "field_access" || right.kind() != "identifier" {
            return;
        }
        if node
            .child_by_field_name("operator")
            .is_none_or(|o| o.kind() != "=")
        {
            return;
        }
        let (Some(obj), Some(field)) = (
            left.child_by_field_name("object"),
            left.child_by_field_name("field"),
        ) else {
            return;
        };
        if obj.kind() != "this" || field.kind() != "identifier" {
            return;
        }
        if self.this_scope() != Some(FrameKind::Class) {
            return;
        }
        let Some(f) = self.owner_frame().and_then(|i| self.frames.get(i)) else {
            return;
        };
        if f.kind != FrameKind::Function {
            return;
        }
        let Some(def) = f.def.and_then(|d| self.facts.defs.get(d)) else {
            return;
        };
        let Some(fi) = &def.function else {
            return;
        };
        let Some(class_idx) = def.parent else {
            return;
        };
        if !fi.is_constructor {
            return;
        }
        let pname = text(right, src);
        if !fi.parameters.iter().any(|p| p.name == pname) {
            return;
        }
        let entries: Vec<&LocalTy> = def
            .locals
            .iter()
            .filter(|l| l.name == pname)
            .map(|l| &l.ty)
            .collect();
        if let [LocalTy::Declared(t)] = entries.as_slice() {
            let entry = (class_idx as usize, text(field, src).into_owned(), t.clone());
            self.ctor_fields.push(entry);
        }
    }

    // --- imports -----------------------------------------------------------------------------

    fn on_import(&mut self, node: Node<'t>) {
        let src = self.src;
        let kids = children(node);
        let is_static = kids.iter().any(|c| c.kind() == "static");
        let wildcard = kids.iter().any(|c| c.kind() == "asterisk");
        let Some(path) = kids
            .iter()
            .find(|c| matches!(c.kind(), "identifier" | "scoped_identifier"))
        else {
            return;
        };
        let specifier = scoped_ident_text(*path, src);
        if specifier.is_empty() {
            return;
        }
        let name = if wildcard {
            "*".to_string()
        } else {
            specifier
                .rsplit('.')
                .next()
                .unwrap_or(&specifier)
                .to_string()
        };
        self.facts.imports.push(Import {
            specifier,
            kind: ImportKind::Java,
            names: vec![ImportedName {
                name: name.clone(),
                local: name,
                type_only: false,
            }],
            alias: None,
            line: line_start(node),
            type_only: false,
            dynamic: false,
            reexport: false,
            is_static,
            scope: Vec::new(),
            path_attr: None,
        });
    }

    // --- calls -------------------------------------------------------------------------------

    fn push_call(&mut self, callee: Callee, line: u32) -> usize {
        let i = self.facts.calls.len();
        self.facts.calls.push(CallSite {
            caller: self.owner_idx(),
            callee,
            line,
        });
        i
    }

    fn on_call(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(name_node) = node.child_by_field_name("name") else {
            return;
        };
        let name = text(name_node, src).into_owned();
        if name.is_empty() {
            return;
        }
        let line = line_start(name_node);
        let object = node.child_by_field_name("object");
        self.note_receiver(object);
        let Some(obj) = object else {
            self.push_call(Callee::Bare(name), line);
            return;
        };
        // `I.super.f()`: a `super` token that is not the object.
        let qualified_super = children(node)
            .iter()
            .any(|c| c.kind() == "super" && c.id() != obj.id());
        let member = |receiver| Callee::Member {
            receiver,
            name: name.clone(),
        };
        let callee = if qualified_super {
            match obj.kind() {
                "identifier" => member(Receiver::Ident(text(obj, src).into_owned())),
                "field_access" => member(self.field_receiver(obj, true)),
                _ => member(Receiver::Other),
            }
        } else {
            match obj.kind() {
                "this" => match self.this_scope() {
                    Some(FrameKind::Anon) => member(Receiver::Other),
                    _ => Callee::SelfMember(name.clone()),
                },
                "super" => match self.this_scope() {
                    Some(FrameKind::Anon) => member(Receiver::Other),
                    Some(FrameKind::EnumConst) => Callee::SelfMember(name.clone()),
                    _ => Callee::SuperMember(name.clone()),
                },
                "identifier" => {
                    let x = text(obj, src).into_owned();
                    let candidate = self.field_candidate(&x);
                    let i = self.push_call(member(Receiver::Ident(x)), line);
                    if let Some(c) = candidate {
                        self.field_candidates.push((i, c));
                    }
                    return;
                }
                "field_access" => member(self.field_receiver(obj, false)),
                "object_creation_expression" => match self.ctor_text(obj) {
                    Some(c) => member(Receiver::NewOf(c)),
                    None => member(Receiver::Other),
                },
                _ => member(Receiver::Other),
            }
        };
        self.push_call(callee, line);
    }

    /// Receiver of `<field_access>.f()`: `this.x` → SelfField, `a.b` → Path, `Outer.this` →
    /// Ident(Outer) / Path; anything else → Other. `qualifier` = the chain qualifies `super`
    /// (`a.I.super.f()`): identifiers only.
    fn field_receiver(&self, fa: Node<'t>, qualifier: bool) -> Receiver {
        let src = self.src;
        let mut parts: Vec<Node> = Vec::with_capacity(4);
        let mut cur = fa;
        let mut root_this = false;
        loop {
            match cur.kind() {
                "field_access" => {
                    let (Some(obj), Some(field)) = (
                        cur.child_by_field_name("object"),
                        cur.child_by_field_name("field"),
                    ) else {
                        return Receiver::Other;
                    };
                    if children(cur)
                        .iter()
                        .any(|c| c.kind() == "super" && c.id() != obj.id())
                    {
                        return Receiver::Other; // `A.super.x`
                    }
                    parts.push(field);
                    cur = obj;
                }
                "identifier" => {
                    parts.push(cur);
                    break;
                }
                "this" if !qualifier => {
                    root_this = true;
                    break;
                }
                _ => return Receiver::Other,
            }
        }
        parts.reverse();
        if root_this {
            return match parts.as_slice() {
                [x] if x.kind() == "identifier" && self.this_scope() != Some(FrameKind::Anon) => {
                    Receiver::SelfField(text(*x, src).into_owned())
                }
                _ => Receiver::Other,
            };
        }
        // `Outer.this` (only as the last segment, not for a qualified `super`).
        if !qualifier && parts.last().is_some_and(|p| p.kind() == "this") {
            parts.pop();
        }
        if parts.is_empty() || parts.iter().any(|p| p.kind() != "identifier") {
            return Receiver::Other;
        }
        let names: Vec<String> = parts.iter().map(|p| text(*p, src).into_owned()).collect();
        match <[String; 1]>::try_from(names) {
            Ok([one]) => Receiver::Ident(one),
            Err(names) => Receiver::Path(names),
        }
    }

    /// For `x.f()`: the class whose field `x` would be meant when `x` is not a local binding
    /// (implicit `this`), decided at the end of the file.
    fn field_candidate(&self, x: &str) -> Option<usize> {
        for f in self.frames.iter().rev() {
            match f.kind {
                FrameKind::Function => {
                    if f.bound.contains_key(x) {
                        return None;
                    }
                }
                FrameKind::Class => {
                    return if f.bound.contains_key(x) { None } else { f.def };
                }
                FrameKind::Anon | FrameKind::EnumConst => return None,
                FrameKind::Method => {}
            }
        }
        None
    }

    fn on_new(&mut self, node: Node<'t>) {
        let Some(ty) = node.child_by_field_name("type") else {
            return;
        };
        let mut args = Vec::new();
        if let Some((name, line)) = type_name(ty, self.src, &mut args) {
            self.push_call(Callee::New(name), line);
        }
    }

    /// `this(…)` / `super(…)` in a constructor.
    fn on_ctor_invocation(&mut self, node: Node<'t>) {
        let Some(kw) = node.child_by_field_name("constructor") else {
            return;
        };
        let Some(f) = self.owner_frame().and_then(|i| self.frames.get(i)) else {
            return;
        };
        if f.kind != FrameKind::Function {
            return;
        }
        let Some(class) = f
            .def
            .and_then(|d| self.facts.defs.get(d))
            .and_then(|d| d.parent)
            .and_then(|p| self.facts.defs.get(p as usize))
        else {
            return;
        };
        let callee = match kw.kind() {
            "this" => Callee::SelfMember(class.name.clone()),
            "super" => {
                let base = class.class.as_ref().and_then(|c| {
                    c.bases
                        .iter()
                        .find(|b| b.relation == Relation::Extends)
                        .map(|b| b.text.rsplit('.').next().unwrap_or(&b.text).to_string())
                });
                match base {
                    Some(b)
                        if class
                            .class
                            .as_ref()
                            .is_some_and(|c| c.kind == ClassKind::Class) =>
                    {
                        Callee::SuperMember(b)
                    }
                    _ => return,
                }
            }
            _ => return,
        };
        self.push_call(callee, line_start(kw));
    }

    // --- referenced type names ---------------------------------------------------------------

    fn note_name(&mut self, name: &str) {
        if name.is_empty() || name == "var" || self.tparams.contains_key(name) {
            return;
        }
        if !self.referenced.contains(name) {
            self.referenced.insert(name.to_string());
        }
    }

    /// The first segment of a dotted name, when it starts upper-case (a type, not a package).
    fn note_leading(&mut self, name: &str) {
        if starts_upper(name) {
            self.note_name(name);
        }
    }

    /// An annotation name: a simple name, or the leading segment of a qualified one.
    fn note_qualified(&mut self, name: Node<'t>) {
        let s = scoped_ident_text(name, self.src);
        match s.split_once('.') {
            Some((first, _)) => self.note_leading(first),
            None => self.note_name(&s),
        }
    }

    /// `C.m()`, `C.FIELD`, `C::m`: an upper-case identifier as a receiver or qualifier.
    fn note_receiver(&mut self, obj: Option<Node<'t>>) {
        if let Some(o) = obj {
            if o.kind() == "identifier" {
                let s = text(o, self.src).into_owned();
                self.note_leading(&s);
            }
        }
    }

    /// Simple type names of a type expression (a bounded, explicit-stack sub-walk).
    fn note_types(&mut self, ty: Node<'t>) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mode {
            Normal,
            /// First segment of a qualified type: only upper-case names.
            Leading,
            /// Later segment of a qualified type: no names (type arguments still visited).
            Skip,
        }
        let src = self.src;
        let mut stack = vec![(ty, Mode::Normal)];
        while let Some((n, mode)) = stack.pop() {
            match n.kind() {
                "type_identifier" | "identifier" => {
                    let s = text(n, src).into_owned();
                    match mode {
                        Mode::Normal => self.note_name(&s),
                        Mode::Leading => self.note_leading(&s),
                        Mode::Skip => {}
                    }
                }
                "scoped_type_identifier" => {
                    let mut first = true;
                    let kids = named_children(n);
                    let mut items = Vec::with_capacity(kids.len());
                    for c in kids {
                        if is_annotation(c.kind()) {
                            items.push((c, Mode::Normal));
                        } else if first {
                            first = false;
                            let m = if mode == Mode::Skip {
                                Mode::Skip
                            } else {
                                Mode::Leading
                            };
                            items.push((c, m));
                        } else {
                            items.push((c, Mode::Skip));
                        }
                    }
                    stack.extend(items.into_iter().rev());
                }
                "generic_type" => {
                    for c in named_children(n).into_iter().rev() {
                        let m = if c.kind() == "type_arguments" {
                            Mode::Normal
                        } else {
                            mode
                        };
                        stack.push((c, m));
                    }
                }
                "annotation" | "marker_annotation" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        self.note_qualified(name);
                    }
                }
                k if is_primitive(k) => {}
                _ => {
                    for c in named_children(n).into_iter().rev() {
                        stack.push((c, Mode::Normal));
                    }
                }
            }
        }
    }

    // --- type references ---------------------------------------------------------------------

    fn push_ref(&mut self, owner: Option<DefIdx>, name: String, line: u32) {
        if !name.is_empty() {
            self.facts.type_refs.push(TypeRef { owner, name, line });
        }
    }

    /// Every type name of a type expression, generic arguments included, qualification kept;
    /// primitives, `var`, annotations and in-scope type parameters skipped.
    fn type_refs(&mut self, ty: Node<'t>, owner: Option<DefIdx>) {
        let src = self.src;
        let mut stack = vec![ty];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "type_identifier" | "scoped_type_identifier" | "generic_type" => {
                    let mut args = Vec::new();
                    if let Some((name, _)) = type_name(n, src, &mut args) {
                        let skip = name == "var" || self.tparams.contains_key(name.as_str());
                        if !skip {
                            self.push_ref(owner, name, line_start(n));
                        }
                    }
                    stack.extend(args.into_iter().rev());
                }
                "annotation" | "marker_annotation" => {}
                k if is_primitive(k) => {}
                _ => {
                    for c in named_children(n).into_iter().rev() {
                        stack.push(c);
                    }
                }
            }
        }
    }

    // --- end -----------------------------------------------------------------------------------

    fn finish(mut self) -> FileFacts {
        for (ci, class_idx) in std::mem::take(&mut self.field_candidates) {
            let is_field = match self.facts.calls.get(ci).map(|c| &c.callee) {
                Some(Callee::Member {
                    receiver: Receiver::Ident(x),
                    ..
                }) => self
                    .members
                    .get(&class_idx)
                    .is_some_and(|(attrs, _)| attrs.contains(x)),
                _ => false,
            };
            if !is_field {
                continue;
            }
            if let Some(CallSite {
                callee: Callee::Member { receiver, .. },
                ..
            }) = self.facts.calls.get_mut(ci)
            {
                if let Receiver::Ident(x) = receiver {
                    *receiver = Receiver::SelfField(std::mem::take(x));
                }
            }
        }
        for (class_idx, name, ty) in std::mem::take(&mut self.ctor_fields) {
            self.add_field_type(class_idx, &name, &ty);
        }
        self.facts.referenced_types = std::mem::take(&mut self.referenced).into_iter().collect();
        self.facts
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
        extract(&parse(tree_sitter_java::LANGUAGE.into(), src), src)
    }

    fn p(name: &str, ty: &str) -> Param {
        Param {
            name: s(name),
            type_: Some(s(ty)),
            ..Param::default()
        }
    }

    fn varargs(name: &str, ty: &str) -> Param {
        Param {
            variadic: true,
            ..p(name, ty)
        }
    }

    /// A function def with a body, no decorators, no visibility, no docstring.
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
            visibility: None,
            docstring: None,
            class: None,
            function: Some(function),
            locals,
            attach: None,
            namespace: None,
        }
    }

    /// A class def with a body, no decorators, no visibility, no docstring.
    #[allow(clippy::too_many_arguments)]
    fn cdef(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        kind: ClassKind,
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
                kind,
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

    fn base(text: &str, relation: Relation, line: u32) -> Base {
        Base {
            text: s(text),
            relation,
            line,
        }
    }

    fn imp(spec: &str, name: &str, line: u32, is_static: bool) -> Import {
        Import {
            specifier: s(spec),
            kind: ImportKind::Java,
            names: vec![ImportedName {
                name: s(name),
                local: s(name),
                type_only: false,
            }],
            alias: None,
            line,
            type_only: false,
            dynamic: false,
            reexport: false,
            is_static,
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

    fn self_member(n: &str) -> Callee {
        Callee::SelfMember(s(n))
    }

    fn super_member(n: &str) -> Callee {
        Callee::SuperMember(s(n))
    }

    fn new(n: &str) -> Callee {
        Callee::New(s(n))
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

    fn field(x: &str) -> Receiver {
        Receiver::SelfField(s(x))
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

    fn returning(t: &str, parameters: Vec<Param>) -> FunctionInfo {
        FunctionInfo {
            return_type: Some(s(t)),
            parameters,
            ..method()
        }
    }

    fn constructor(parameters: Vec<Param>) -> FunctionInfo {
        FunctionInfo {
            is_constructor: true,
            parameters,
            ..method()
        }
    }

    fn def<'a>(f: &'a FileFacts, qname: &str) -> &'a Def {
        f.defs
            .iter()
            .find(|d| d.qname == qname)
            .unwrap_or_else(|| panic!("no def {qname}"))
    }

    fn strings(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| s(x)).collect()
    }

    /// (qname, parent, kind, is_method) of every def, in order.
    fn shape(f: &FileFacts) -> Vec<(String, Option<DefIdx>, DefKind, bool)> {
        f.defs
            .iter()
            .map(|d| {
                (
                    d.qname.clone(),
                    d.parent,
                    d.kind,
                    d.function.as_ref().is_some_and(|fi| fi.is_method),
                )
            })
            .collect()
    }

    const SPEC_EXAMPLE: &str = "package com.acme.billing;

import com.acme.core.Repository;
import java.util.List;

public class InvoiceService extends BaseService implements Runnable {
    private final Repository<Invoice> repo;

    public InvoiceService(Repository<Invoice> repo) {
        this.repo = repo;
    }

    @Override
    public void run() {
        for (Invoice i : repo.findAll()) {
            if (i.isOverdue() && !i.isPaid()) remind(i);
        }
    }

    private void remind(Invoice i) { }
}
";

    /// `indexer.md` §13.6.
    #[test]
    fn spec_example_invoice_service() {
        let expected = FileFacts {
            package: Some(s("com.acme.billing")),
            defs: vec![
                Def {
                    visibility: Some(s("public")),
                    ..cdef(
                        "InvoiceService",
                        "InvoiceService",
                        None,
                        (6, 21),
                        ClassKind::Class,
                        vec![
                            base("BaseService", Relation::Extends, 6),
                            base("Runnable", Relation::Implements, 6),
                        ],
                        &["repo"],
                        &[("repo", "Repository<Invoice>")],
                    )
                },
                Def {
                    visibility: Some(s("public")),
                    ..fdef(
                        "InvoiceService",
                        "InvoiceService.InvoiceService",
                        Some(0),
                        (9, 11),
                        1,
                        constructor(vec![p("repo", "Repository<Invoice>")]),
                        vec![declared("repo", "Repository<Invoice>")],
                    )
                },
                Def {
                    visibility: Some(s("public")),
                    decorators: strings(&["Override"]),
                    ..fdef(
                        "run",
                        "InvoiceService.run",
                        Some(0),
                        (13, 18),
                        4,
                        returning("void", vec![]),
                        vec![declared("i", "Invoice")],
                    )
                },
                Def {
                    visibility: Some(s("private")),
                    ..fdef(
                        "remind",
                        "InvoiceService.remind",
                        Some(0),
                        (20, 20),
                        1,
                        returning("void", vec![p("i", "Invoice")]),
                        vec![declared("i", "Invoice")],
                    )
                },
            ],
            imports: vec![
                imp("com.acme.core.Repository", "Repository", 3, false),
                imp("java.util.List", "List", 4, false),
            ],
            calls: vec![
                call(Some(2), member(field("repo"), "findAll"), 15),
                call(Some(2), member(ident("i"), "isOverdue"), 16),
                call(Some(2), member(ident("i"), "isPaid"), 16),
                call(Some(2), bare("remind"), 16),
            ],
            type_refs: vec![
                tref(Some(0), "Repository", 7),
                tref(Some(0), "Invoice", 7),
                tref(Some(1), "Repository", 9),
                tref(Some(1), "Invoice", 9),
                tref(Some(2), "Invoice", 15),
                tref(Some(3), "Invoice", 20),
            ],
            referenced_types: strings(&[
                "BaseService",
                "Invoice",
                "Override",
                "Repository",
                "Runnable",
            ]),
            ..FileFacts::default()
        };
        assert_eq!(facts(SPEC_EXAMPLE), expected);
    }

    #[test]
    fn class_like_kinds_and_bases() {
        let src = "public class A<T> extends a.b.Base<T> implements I, J<K> {}
interface I2 extends I, java.io.Serializable {}
@interface Ann {}
protected enum E implements I { X }
record R(int x) implements Comparable<R> {}
sealed class S permits A, B {}
";
        let f = facts(src);
        let expected = vec![
            Def {
                visibility: Some(s("public")),
                ..cdef(
                    "A",
                    "A",
                    None,
                    (1, 1),
                    ClassKind::Class,
                    vec![
                        base("a.b.Base", Relation::Extends, 1),
                        base("I", Relation::Implements, 1),
                        base("J", Relation::Implements, 1),
                    ],
                    &[],
                    &[],
                )
            },
            cdef(
                "I2",
                "I2",
                None,
                (2, 2),
                ClassKind::Interface,
                vec![
                    base("I", Relation::Extends, 2),
                    base("java.io.Serializable", Relation::Extends, 2),
                ],
                &[],
                &[],
            ),
            cdef(
                "Ann",
                "Ann",
                None,
                (3, 3),
                ClassKind::Interface,
                vec![],
                &[],
                &[],
            ),
            Def {
                visibility: Some(s("protected")),
                ..cdef(
                    "E",
                    "E",
                    None,
                    (4, 4),
                    ClassKind::Enum,
                    vec![base("I", Relation::Implements, 4)],
                    &["X"],
                    &[("X", "E")],
                )
            },
            cdef(
                "R",
                "R",
                None,
                (5, 5),
                ClassKind::Record,
                vec![base("Comparable", Relation::Implements, 5)],
                &["x"],
                &[("x", "int")],
            ),
            cdef("S", "S", None, (6, 6), ClassKind::Class, vec![], &[], &[]),
        ];
        assert_eq!(f.defs, expected);
        // Bases are not type references; `permits` names are referenced types.
        assert_eq!(f.type_refs, vec![]);
        assert_eq!(
            f.referenced_types,
            strings(&["A", "B", "Comparable", "I", "J", "K", "R"])
        );
    }

    #[test]
    fn methods_signatures_and_properties() {
        let src = "abstract class C {
    @Deprecated
    @org.junit.Test(timeout = 1)
    protected static <T extends Comparable<T>> List<T> sort(final List<T> xs, int n,
                                                             String... rest) throws IOException {
        return xs;
    }
    abstract void f(@NonNull Foo foo, int[] a, String b[]);
    public native long g();
    private int[] h()[] { return null; }
    void r(C this, Map<String,  Integer> m) {}
}
interface I { void m(); default int d() { return 1; } static void s() {} }
";
        let f = facts(src);
        let expected = vec![
            cdef("C", "C", None, (1, 12), ClassKind::Class, vec![], &[], &[]),
            Def {
                decorators: strings(&["Deprecated", "org.junit.Test"]),
                visibility: Some(s("protected")),
                ..fdef(
                    "sort",
                    "C.sort",
                    Some(0),
                    (2, 7),
                    1,
                    FunctionInfo {
                        is_static: true,
                        ..returning(
                            "List<T>",
                            vec![
                                p("xs", "List<T>"),
                                p("n", "int"),
                                varargs("rest", "String..."),
                            ],
                        )
                    },
                    vec![
                        declared("xs", "List<T>"),
                        declared("n", "int"),
                        declared("rest", "String[]"),
                    ],
                )
            },
            Def {
                has_body: false,
                ..fdef(
                    "f",
                    "C.f",
                    Some(0),
                    (8, 8),
                    0,
                    returning(
                        "void",
                        vec![p("foo", "Foo"), p("a", "int[]"), p("b", "String[]")],
                    ),
                    vec![
                        declared("foo", "Foo"),
                        declared("a", "int[]"),
                        declared("b", "String[]"),
                    ],
                )
            },
            Def {
                has_body: false,
                visibility: Some(s("public")),
                ..fdef(
                    "g",
                    "C.g",
                    Some(0),
                    (9, 9),
                    0,
                    returning("long", vec![]),
                    vec![],
                )
            },
            Def {
                visibility: Some(s("private")),
                ..fdef(
                    "h",
                    "C.h",
                    Some(0),
                    (10, 10),
                    1,
                    returning("int[][]", vec![]),
                    vec![],
                )
            },
            fdef(
                "r",
                "C.r",
                Some(0),
                (11, 11),
                1,
                returning("void", vec![p("m", "Map<String, Integer>")]),
                vec![declared("m", "Map<String, Integer>")],
            ),
            cdef(
                "I",
                "I",
                None,
                (13, 13),
                ClassKind::Interface,
                vec![],
                &[],
                &[],
            ),
            Def {
                has_body: false,
                ..fdef(
                    "m",
                    "I.m",
                    Some(6),
                    (13, 13),
                    0,
                    returning("void", vec![]),
                    vec![],
                )
            },
            fdef(
                "d",
                "I.d",
                Some(6),
                (13, 13),
                1,
                returning("int", vec![]),
                vec![],
            ),
            fdef(
                "s",
                "I.s",
                Some(6),
                (13, 13),
                1,
                FunctionInfo {
                    is_static: true,
                    ..returning("void", vec![])
                },
                vec![],
            ),
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(1), "List", 4),
                tref(Some(1), "List", 4),
                tref(Some(1), "String", 5),
                tref(Some(2), "Foo", 8),
                tref(Some(2), "String", 8),
                tref(Some(5), "Map", 11),
                tref(Some(5), "String", 11),
                tref(Some(5), "Integer", 11),
            ]
        );
        assert_eq!(
            f.referenced_types,
            strings(&[
                "C",
                "Comparable",
                "Deprecated",
                "Foo",
                "IOException",
                "Integer",
                "List",
                "Map",
                "NonNull",
                "String",
            ])
        );
    }

    #[test]
    fn constructors_and_chaining() {
        let src = "class C extends p.Base {
    /** Makes one. */
    public C(int a) { this(a, 0); }
    C(int a, int b) { super(a); }
    <T> C(T t) { super(); }
}
class D { D() { super(); } }
";
        let f = facts(src);
        let expected = vec![
            cdef(
                "C",
                "C",
                None,
                (1, 6),
                ClassKind::Class,
                vec![base("p.Base", Relation::Extends, 1)],
                &[],
                &[],
            ),
            Def {
                visibility: Some(s("public")),
                docstring: Some(s("Makes one.")),
                ..fdef(
                    "C",
                    "C.C",
                    Some(0),
                    (3, 3),
                    1,
                    constructor(vec![p("a", "int")]),
                    vec![declared("a", "int")],
                )
            },
            fdef(
                "C",
                "C.C",
                Some(0),
                (4, 4),
                1,
                constructor(vec![p("a", "int"), p("b", "int")]),
                vec![declared("a", "int"), declared("b", "int")],
            ),
            fdef(
                "C",
                "C.C",
                Some(0),
                (5, 5),
                1,
                constructor(vec![p("t", "T")]),
                vec![unknown("t")],
            ),
            cdef("D", "D", None, (7, 7), ClassKind::Class, vec![], &[], &[]),
            fdef("D", "D.D", Some(4), (7, 7), 1, constructor(vec![]), vec![]),
        ];
        assert_eq!(f.defs, expected);
        // `this(…)` → the class's own constructor; `super(…)` → the base's constructor; no
        // call for a class without `extends`. `T` is a type parameter: no type reference.
        assert_eq!(
            f.calls,
            vec![
                call(Some(1), self_member("C"), 3),
                call(Some(2), super_member("Base"), 4),
                call(Some(3), super_member("Base"), 5),
            ]
        );
        assert_eq!(f.type_refs, vec![]);
    }

    #[test]
    fn records_and_compact_constructors() {
        let src = "/** A point. */
public record Point<T>(int x, @Nullable T label, java.util.List<String> tags, int... more)
        implements Shape {
    static int count;
    public Point {
        if (x < 0) throw new IllegalArgumentException();
    }
    public Point(int x) { this(x, null, null); }
    double dist() { return Math.sqrt(x); }
}
";
        let f = facts(src);
        let components = vec![
            p("x", "int"),
            p("label", "T"),
            p("tags", "java.util.List<String>"),
            varargs("more", "int..."),
        ];
        let expected = vec![
            Def {
                visibility: Some(s("public")),
                docstring: Some(s("A point.")),
                ..cdef(
                    "Point",
                    "Point",
                    None,
                    (2, 10),
                    ClassKind::Record,
                    vec![base("Shape", Relation::Implements, 3)],
                    &["x", "label", "tags", "more", "count"],
                    &[
                        ("x", "int"),
                        ("tags", "java.util.List<String>"),
                        ("more", "int[]"),
                        ("count", "int"),
                    ],
                )
            },
            Def {
                visibility: Some(s("public")),
                ..fdef(
                    "Point",
                    "Point.Point",
                    Some(0),
                    (5, 7),
                    2,
                    constructor(components),
                    vec![
                        declared("x", "int"),
                        unknown("label"),
                        declared("tags", "java.util.List<String>"),
                        declared("more", "int[]"),
                    ],
                )
            },
            Def {
                visibility: Some(s("public")),
                ..fdef(
                    "Point",
                    "Point.Point",
                    Some(0),
                    (8, 8),
                    1,
                    constructor(vec![p("x", "int")]),
                    vec![declared("x", "int")],
                )
            },
            fdef(
                "dist",
                "Point.dist",
                Some(0),
                (9, 9),
                1,
                returning("double", vec![]),
                vec![],
            ),
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(
            f.calls,
            vec![
                call(Some(1), new("IllegalArgumentException"), 6),
                call(Some(2), self_member("Point"), 8),
                call(Some(3), member(ident("Math"), "sqrt"), 9),
            ]
        );
        // Component types belong to the record (like field types); `T` is its type parameter.
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(0), "java.util.List", 2),
                tref(Some(0), "String", 2)
            ]
        );
    }

    #[test]
    fn annotation_types() {
        let src = "@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD})
public @interface Route {
    String value() default \"\";
    Class<?>[] handlers() default {};
    int LIMIT = 10;
    enum Method { GET, POST }
}
";
        let f = facts(src);
        let expected = vec![
            Def {
                decorators: strings(&["Retention", "Target"]),
                visibility: Some(s("public")),
                ..cdef(
                    "Route",
                    "Route",
                    None,
                    (1, 8),
                    ClassKind::Interface,
                    vec![],
                    &["LIMIT"],
                    &[("LIMIT", "int")],
                )
            },
            cdef(
                "Method",
                "Route.Method",
                Some(0),
                (7, 7),
                ClassKind::Enum,
                vec![],
                &["GET", "POST"],
                &[("GET", "Method"), ("POST", "Method")],
            ),
        ];
        // Annotation elements are not definitions; their types are references of the type.
        assert_eq!(f.defs, expected);
        assert_eq!(
            f.type_refs,
            vec![tref(Some(0), "String", 4), tref(Some(0), "Class", 5)]
        );
        assert_eq!(
            f.referenced_types,
            strings(&[
                "Class",
                "ElementType",
                "Retention",
                "RetentionPolicy",
                "String",
                "Target"
            ])
        );
    }

    #[test]
    fn imports_package_static_and_on_demand() {
        let src = "package com.example.app;

import java.util.List;
import java.util.*;
import static java.util.Collections.emptyList;
import static org.junit.Assert.*;
import java.util.Map.Entry;
import static a.b.C.Inner.m;
import  java . io
   .File;
";
        let f = facts(src);
        assert_eq!(f.package, Some(s("com.example.app")));
        assert_eq!(
            f.imports,
            vec![
                imp("java.util.List", "List", 3, false),
                imp("java.util", "*", 4, false),
                imp("java.util.Collections.emptyList", "emptyList", 5, true),
                imp("org.junit.Assert", "*", 6, true),
                imp("java.util.Map.Entry", "Entry", 7, false),
                imp("a.b.C.Inner.m", "m", 8, true),
                imp("java.io.File", "File", 9, false),
            ]
        );
        // Imports are not references.
        assert_eq!(f.referenced_types, Vec::<String>::new());
        assert_eq!(f.defs, vec![]);
    }

    #[test]
    fn call_forms_and_lines() {
        let src = "class K {
    Helper h;
    void m(Svc svc) {
        f();
        this.g();
        super.h();
        svc.run();
        a.b.c();
        this.h.go();
        new C<String>().d();
        new a.b.D(1);
        Util.make();
        Outer.this.k();
        Iface.super.dflt();
        foo().bar();
        ((Svc) svc).run();
        svc
            .one()
            .two();
        this.a.b.c();
        h.go();
        Runnable r = this::g;
        super.x.y();
        p.q.Outer.this.z();
        this.<String>gen();
    }
}
";
        let f = facts(src);
        let c = Some(1);
        assert_eq!(
            f.calls,
            vec![
                call(c, bare("f"), 4),
                call(c, self_member("g"), 5),
                call(c, super_member("h"), 6),
                call(c, member(ident("svc"), "run"), 7),
                call(c, member(Receiver::Path(strings(&["a", "b"])), "c"), 8),
                call(c, member(field("h"), "go"), 9),
                call(c, member(Receiver::NewOf(s("C")), "d"), 10),
                call(c, new("C"), 10),
                call(c, new("a.b.D"), 11),
                call(c, member(ident("Util"), "make"), 12),
                call(c, member(ident("Outer"), "k"), 13),
                call(c, member(ident("Iface"), "dflt"), 14),
                call(c, member(Receiver::Other, "bar"), 15),
                call(c, bare("foo"), 15),
                call(c, member(Receiver::Other, "run"), 16),
                call(c, member(Receiver::Other, "two"), 19),
                call(c, member(ident("svc"), "one"), 18),
                call(c, member(Receiver::Other, "c"), 20),
                call(c, member(field("h"), "go"), 21),
                call(c, member(Receiver::Other, "y"), 23),
                call(
                    c,
                    member(Receiver::Path(strings(&["p", "q", "Outer"])), "z"),
                    24
                ),
                call(c, self_member("gen"), 25),
            ]
        );
    }

    #[test]
    fn complexity_java_row() {
        let src = "class X {
    int m(int a, boolean b, boolean c) {
        if (a > 0) { }
        for (int i = 0; i < a; i++) { }
        for (int j : arr) { }
        while (b) { }
        do { } while (c);
        switch (a) {
            case 1: break;
            case 2: case 3: break;
            default: break;
        }
        int r = switch (a) { case 1 -> 1; default -> 0; };
        try { } catch (RuntimeException e) { } catch (Exception e) { } finally { }
        int t = b ? 1 : 0;
        boolean z = b && c || !b;
        boolean q = a > 1 & b | c;
        if (a > 0) { } else if (a < 0) { } else { }
        return 0;
    }
    int none() { return 1; }
    int patterns(Object o) {
        return switch (o) {
            case null, default -> 0;
            case String s when s.isEmpty() -> 1;
        };
    }
    int field = ok() ? 1 : 2;
    static { if (ready) go(); }
}
";
        let f = facts(src);
        let cx: Vec<(&str, u32)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.complexity))
            .collect();
        assert_eq!(
            cx,
            vec![("X", 0), ("X.m", 17), ("X.none", 1), ("X.patterns", 3)]
        );
    }

    #[test]
    fn complexity_includes_lambdas_and_anonymous_classes_not_nested_defs() {
        let src = "class Y {
    void m(List<Integer> xs) {
        xs.forEach(x -> { if (x > 0) use(x); });
        Runnable r = new Runnable() {
            public void run() { while (a && b) { } }
        };
        class Local { void lm() { if (a) { } if (b) { } } }
        Runnable s = () -> { class InLambda { void q() { for (;;) { } } } };
    }
}
";
        let f = facts(src);
        let cx: Vec<(&str, u32)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.complexity))
            .collect();
        assert_eq!(
            cx,
            vec![
                ("Y", 0),
                ("Y.m", 4),
                ("Y.m.Local", 0),
                ("Y.m.Local.lm", 3),
                ("Y.m.InLambda", 0),
                ("Y.m.InLambda.q", 2),
            ]
        );
    }

    #[test]
    fn overloads_are_separate_defs() {
        let src = "class O {
    void f() {}
    void f(int x) { if (x > 0) f(); }
    O() {}
    O(String s) {}
}
";
        let f = facts(src);
        let rows: Vec<(&str, u32, u32, usize)> = f
            .defs
            .iter()
            .map(|d| {
                (
                    d.qname.as_str(),
                    d.line_start,
                    d.complexity,
                    d.function.as_ref().map_or(0, |fi| fi.parameters.len()),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("O", 1, 0, 0),
                ("O.f", 2, 1, 0),
                ("O.f", 3, 2, 1),
                ("O.O", 4, 1, 0),
                ("O.O", 5, 1, 1),
            ]
        );
        assert_eq!(f.calls, vec![call(Some(2), bare("f"), 3)]);
    }

    #[test]
    fn nested_inner_and_local_classes() {
        let src = "class Outer {
    static class Nested { void a() {} }
    class Inner { class Deeper { Deeper() {} } }
    void m() {
        class Local { void lm() {} }
        Runnable r = () -> { class InLambda {} };
        new Object() { class InAnon { void q() {} } };
    }
    interface Cb { void call(); }
    enum Mode { ON }
    record Pt(int x) {}
}
void top() {}
";
        let f = facts(src);
        let c = DefKind::Class;
        let fun = DefKind::Function;
        assert_eq!(
            shape(&f),
            vec![
                (s("Outer"), None, c, false),
                (s("Outer.Nested"), Some(0), c, false),
                (s("Outer.Nested.a"), Some(1), fun, true),
                (s("Outer.Inner"), Some(0), c, false),
                (s("Outer.Inner.Deeper"), Some(3), c, false),
                (s("Outer.Inner.Deeper.Deeper"), Some(4), fun, true),
                (s("Outer.m"), Some(0), fun, true),
                (s("Outer.m.Local"), Some(6), c, false),
                (s("Outer.m.Local.lm"), Some(7), fun, true),
                (s("Outer.m.InLambda"), Some(6), c, false),
                (s("Outer.m.InAnon"), Some(6), c, false),
                (s("Outer.m.InAnon.q"), Some(10), fun, true),
                (s("Outer.Cb"), Some(0), c, false),
                (s("Outer.Cb.call"), Some(12), fun, true),
                (s("Outer.Mode"), Some(0), c, false),
                (s("Outer.Pt"), Some(0), c, false),
                (s("top"), None, fun, false),
            ]
        );
        let deeper = def(&f, "Outer.Inner.Deeper.Deeper");
        assert_eq!(deeper.name, "Deeper");
        assert!(deeper.function.as_ref().unwrap().is_constructor);
    }

    #[test]
    fn anonymous_classes_and_lambdas_are_transparent() {
        let src = "class T {
    void m(Base b) {
        Runnable r = () -> { if (b != null) b.go(); };
        Base x = new Base(1) {
            Foo f = new Foo();
            @Override public void run(int n) {
                this.go(); super.go(); this.f.go(); f.bar(); go();
                for (int i = 0; i < n; i++) { }
            }
        };
        new Base() { }.run();
        var v = new Base() { };
        list.forEach(item -> item.use());
    }
    Runnable field = () -> { if (ok) go(); };
}
";
        let f = facts(src);
        let expected_defs = vec![
            cdef(
                "T",
                "T",
                None,
                (1, 16),
                ClassKind::Class,
                vec![],
                &["field"],
                &[("field", "Runnable")],
            ),
            fdef(
                "m",
                "T.m",
                Some(0),
                (2, 14),
                3,
                returning("void", vec![p("b", "Base")]),
                vec![
                    declared("b", "Base"),
                    declared("r", "Runnable"),
                    declared("x", "Base"),
                    declared("f", "Foo"),
                    declared("n", "int"),
                    declared("i", "int"),
                    unknown("v"),
                    unknown("item"),
                ],
            ),
        ];
        assert_eq!(f.defs, expected_defs);
        let m = Some(1);
        assert_eq!(
            f.calls,
            vec![
                call(m, member(ident("b"), "go"), 3),
                call(m, new("Base"), 4),
                call(m, new("Foo"), 5),
                call(m, member(Receiver::Other, "go"), 7),
                call(m, member(Receiver::Other, "go"), 7),
                call(m, member(Receiver::Other, "go"), 7),
                call(m, member(ident("f"), "bar"), 7),
                call(m, bare("go"), 7),
                call(m, member(Receiver::Other, "run"), 11),
                call(m, new("Base"), 11),
                call(m, new("Base"), 12),
                call(m, member(ident("list"), "forEach"), 13),
                call(m, member(ident("item"), "use"), 13),
                call(Some(0), bare("go"), 15),
            ]
        );
        assert_eq!(
            f.type_refs,
            vec![
                tref(m, "Base", 2),
                tref(m, "Runnable", 3),
                tref(m, "Base", 4),
                tref(m, "Foo", 5),
                tref(Some(0), "Runnable", 15),
            ]
        );
    }

    #[test]
    fn enum_constant_bodies_are_excluded() {
        let src = "enum Op implements IntOp {
    PLUS(\"+\") {
        int apply(int a, int b) { log(); this.log(); super.log(); return a > b ? a : b; }
    },
    MINUS(sym(\"-\")),
    TIMES;
    private final String symbol;
    Op(String s) { this.symbol = s; }
    Op() { this(\"?\"); }
    void log() { PLUS.log(); }
    static String sym(String s) { return s; }
}
";
        let f = facts(src);
        let expected = vec![
            cdef(
                "Op",
                "Op",
                None,
                (1, 12),
                ClassKind::Enum,
                vec![base("IntOp", Relation::Implements, 1)],
                &["PLUS", "MINUS", "TIMES", "symbol"],
                &[
                    ("PLUS", "Op"),
                    ("MINUS", "Op"),
                    ("TIMES", "Op"),
                    ("symbol", "String"),
                ],
            ),
            fdef(
                "Op",
                "Op.Op",
                Some(0),
                (8, 8),
                1,
                constructor(vec![p("s", "String")]),
                vec![declared("s", "String")],
            ),
            fdef(
                "Op",
                "Op.Op",
                Some(0),
                (9, 9),
                1,
                constructor(vec![]),
                vec![],
            ),
            fdef(
                "log",
                "Op.log",
                Some(0),
                (10, 10),
                1,
                returning("void", vec![]),
                vec![],
            ),
            fdef(
                "sym",
                "Op.sym",
                Some(0),
                (11, 11),
                1,
                FunctionInfo {
                    is_static: true,
                    ..returning("String", vec![p("s", "String")])
                },
                vec![declared("s", "String")],
            ),
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(
            f.calls,
            vec![
                call(Some(0), bare("log"), 3),
                call(Some(0), self_member("log"), 3),
                call(Some(0), self_member("log"), 3),
                call(Some(0), bare("sym"), 5),
                call(Some(2), self_member("Op"), 9),
                call(Some(3), member(field("PLUS"), "log"), 10),
            ]
        );
    }

    #[test]
    fn docstrings() {
        let long = "x".repeat(2100);
        let src = format!(
            "/**
 * Class doc.
 *
 * @author me
 */
@Deprecated
public class D {{
    /** Field doc (fields are not defs). */
    int x;

    /**   One line.   */
    void a() {{}}

    /* Not javadoc. */
    void b() {{}}

    /** Separated by a line comment. */
    // comment
    void c() {{}}

    /**
       No stars,
         indented.
     */
    void d() {{}}

    /**/
    void e() {{}}

    /** Before annotation. */
    @Override
    public String toString() {{ return \"\"; }}

    @Override
    /** After an annotation: not attached. */
    public int hashCode() {{ return 0; }}

    /** {long} */
    void g() {{}}
}}
"
        );
        let f = facts(&src);
        let docs: Vec<(&str, Option<String>)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.docstring.clone()))
            .collect();
        assert_eq!(
            docs,
            vec![
                ("D", Some(s("Class doc.\n\n@author me"))),
                ("D.a", Some(s("One line."))),
                ("D.b", None),
                ("D.c", None),
                ("D.d", Some(s("No stars,\n  indented."))),
                ("D.e", None),
                ("D.toString", Some(s("Before annotation."))),
                ("D.hashCode", None),
                ("D.g", Some("x".repeat(2000))),
            ]
        );
        // `line_start` includes annotations, not the doc comment.
        assert_eq!((f.defs[0].line_start, f.defs[0].line_end), (6, 40));
        assert_eq!(def(&f, "D.toString").line_start, 31);
        assert_eq!(f.docstring, None);
    }

    #[test]
    fn locals_typing() {
        let src = "class L {
    void m(Foo p, int n, String... rest) {
        Bar b = make();
        var c = new Baz<String>();
        var d = compute();
        var e = new a.b.Qux();
        for (Item it : items) { }
        for (var it2 : items) { }
        try (Res r = open(); var r2 = new Res2()) { }
        catch (IOException | RuntimeException ex) { } catch (Error err) { }
        if (p instanceof Sub s) { }
        Function<Foo, Bar> fn = (Foo x) -> x.bar();
        items.forEach(y -> y.go());
        b = other();
        Bar b2 = null, arr[] = null;
        { Bar t = null; }
        { Bar t = null; }
        { Qux t = null; }
        p = null;
        switch (o) { case Point(int px, var py) -> { } default -> { } }
    }
}
";
        let f = facts(src);
        assert_eq!(
            def(&f, "L.m").locals,
            vec![
                declared("p", "Foo"),
                declared("n", "int"),
                declared("rest", "String[]"),
                declared("b", "Bar"),
                ctor("c", "Baz"),
                unknown("d"),
                ctor("e", "a.b.Qux"),
                declared("it", "Item"),
                unknown("it2"),
                declared("r", "Res"),
                ctor("r2", "Res2"),
                unknown("ex"),
                declared("err", "Error"),
                declared("s", "Sub"),
                declared("fn", "Function<Foo, Bar>"),
                declared("x", "Foo"),
                unknown("y"),
                declared("b2", "Bar"),
                declared("arr", "Bar[]"),
                declared("t", "Bar"),
                unknown("t"),
                declared("px", "int"),
                unknown("py"),
            ]
        );
        let m = Some(1);
        assert_eq!(
            f.type_refs,
            vec![
                tref(m, "Foo", 2),
                tref(m, "String", 2),
                tref(m, "Bar", 3),
                tref(m, "Item", 7),
                tref(m, "Res", 9),
                tref(m, "IOException", 10),
                tref(m, "RuntimeException", 10),
                tref(m, "Error", 10),
                tref(m, "Sub", 11),
                tref(m, "Function", 12),
                tref(m, "Foo", 12),
                tref(m, "Bar", 12),
                tref(m, "Foo", 12),
                tref(m, "Bar", 15),
                tref(m, "Bar", 16),
                tref(m, "Bar", 17),
                tref(m, "Qux", 18),
            ]
        );
    }

    #[test]
    fn field_types_and_attributes() {
        let src = "class F extends Base {
    private Foo a, b[];
    @Inject Bar c;
    List<@NonNull Item> items;
    F(Repo repo, Foo a, Gen<T> g) { this.repo = repo; this.a = a; this.gen = g; this.other = make(); }
    void set(Repo r) { this.late = r; }
    static int COUNT = 0;
}
interface K { int MAX = 1; }
";
        let f = facts(src);
        let expected_class = ClassInfo {
            kind: ClassKind::Class,
            bases: vec![base("Base", Relation::Extends, 1)],
            attributes: strings(&["a", "b", "c", "items", "COUNT"]),
            field_types: vec![
                (s("a"), s("Foo")),
                (s("b"), s("Foo[]")),
                (s("c"), s("Bar")),
                (s("items"), s("List<Item>")),
                (s("COUNT"), s("int")),
                (s("repo"), s("Repo")),
                (s("gen"), s("Gen<T>")),
            ],
        };
        assert_eq!(def(&f, "F").class, Some(expected_class));
        let k = def(&f, "K").class.clone().unwrap();
        assert_eq!(k.attributes, strings(&["MAX"]));
        assert_eq!(k.field_types, vec![(s("MAX"), s("int"))]);
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(0), "Foo", 2),
                tref(Some(0), "Bar", 3),
                tref(Some(0), "List", 4),
                tref(Some(0), "Item", 4),
                tref(Some(1), "Repo", 5),
                tref(Some(1), "Foo", 5),
                tref(Some(1), "Gen", 5),
                tref(Some(1), "T", 5),
                tref(Some(2), "Repo", 6),
            ]
        );
    }

    #[test]
    fn implicit_this_field_receivers() {
        let src = "class S {
    void early() { repo.load(); cache.get(); }
    void shadowed(Repo repo) { repo.load(); }
    void local() { Repo repo = null; repo.load(); }
    void lambda() { run(cache -> cache.get()); }
    void anon() { new Object() { void f() { repo.load(); } }; }
    Repo repo;
    Cache cache;
    class In { void g() { repo.load(); } }
    Runnable init = () -> repo.load();
}
";
        let f = facts(src);
        assert_eq!(
            f.calls,
            vec![
                call(Some(1), member(field("repo"), "load"), 2),
                call(Some(1), member(field("cache"), "get"), 2),
                call(Some(2), member(ident("repo"), "load"), 3),
                call(Some(3), member(ident("repo"), "load"), 4),
                call(Some(4), bare("run"), 5),
                call(Some(4), member(ident("cache"), "get"), 5),
                call(Some(5), new("Object"), 6),
                call(Some(5), member(ident("repo"), "load"), 6),
                call(Some(7), member(ident("repo"), "load"), 9),
                call(Some(0), member(field("repo"), "load"), 10),
            ]
        );
    }

    #[test]
    fn type_refs_forms() {
        let src = "class G<T> {
    java.util.Map<String, List<Foo>> m;
    Outer.Inner<? extends Bar, ?> w;
    int[] prims;
    T t;
    <U> Map.Entry<U, Baz[]> f(U u, @A Qux q, long l) { var v = 1; Zed z = null; return null; }
    Outer<Arg>.Inner oi;
}
int top(Foo f) { return 0; }
";
        let f = facts(src);
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(0), "java.util.Map", 2),
                tref(Some(0), "String", 2),
                tref(Some(0), "List", 2),
                tref(Some(0), "Foo", 2),
                tref(Some(0), "Outer.Inner", 3),
                tref(Some(0), "Bar", 3),
                tref(Some(1), "Map.Entry", 6),
                tref(Some(1), "Baz", 6),
                tref(Some(1), "Qux", 6),
                tref(Some(1), "Zed", 6),
                tref(Some(0), "Outer.Inner", 7),
                tref(Some(0), "Arg", 7),
                tref(Some(2), "Foo", 9),
            ]
        );
        let top = def(&f, "top");
        assert_eq!(top.parent, None);
        assert!(!top.function.as_ref().unwrap().is_method);
    }

    #[test]
    fn type_parameters_are_not_classes() {
        let src = "class Box<T> {
    T value;
    List<T> all;
    <E extends Item> void put(T x, T[] xs, E e, List<E> es) { T y = x; e.use(); }
}
";
        let f = facts(src);
        assert_eq!(
            def(&f, "Box").class.as_ref().unwrap().field_types,
            vec![(s("all"), s("List<T>"))]
        );
        assert_eq!(
            def(&f, "Box.put").locals,
            vec![
                unknown("x"),
                unknown("xs"),
                unknown("e"),
                declared("es", "List<E>"),
                unknown("y"),
            ]
        );
        assert_eq!(
            f.type_refs,
            vec![tref(Some(0), "List", 3), tref(Some(1), "List", 4)]
        );
        assert_eq!(f.referenced_types, strings(&["Item", "List"]));
    }

    #[test]
    fn referenced_types_rules() {
        let src = "package p;
import a.b.Imported;
@Ann class R<T> extends Base implements java.io.Serializable, Outer.Iface {
    @org.x.Q Map.Entry<T, Val> e;
    <M> void m() throws Ex1 {
        Obj o = new Created<M>();
        Util.call();
        x = Const.VALUE;
        y = Lit.class;
        z = (Cast) o;
        if (o instanceof Check) {}
        Runnable rr = Ref::m;
        java.util.List.of();
        int[] arr = new Elem[3];
        LOG.info();
        var v = lower.field;
        switch (o) { case Rec(int a) -> { } default -> { } }
    }
}
";
        let f = facts(src);
        assert_eq!(
            f.referenced_types,
            strings(&[
                "Ann", "Base", "Cast", "Check", "Const", "Created", "Elem", "Ex1", "LOG", "Lit",
                "Map", "Obj", "Outer", "Rec", "Ref", "Runnable", "Util", "Val",
            ])
        );
    }

    #[test]
    fn syntax_errors_keep_readable_defs() {
        let src = "class Good { void ok() { call(); } }
class Broken { void f( { int x = ; }
  void g() { h(); }
}
";
        let f = facts(src);
        let names: Vec<&str> = f.defs.iter().map(|d| d.qname.as_str()).collect();
        assert!(
            names.starts_with(&["Good", "Good.ok", "Broken"]),
            "{names:?}"
        );
        assert!(f.calls.contains(&call(Some(1), bare("call"), 1)));
        assert_eq!(f.parse_errors, 0);
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(facts(""), FileFacts::default());
        assert_eq!(facts("// nothing\n/** doc */\n"), FileFacts::default());
    }

    #[test]
    fn non_utf8_bytes() {
        let src: &[u8] = b"package p\xff;\nclass A\xfe { /** d\xff */ void m\xff(F\xffo x) { \"\xff\".x(); } }\n";
        let f = facts_bytes(src);
        assert_eq!(f.package.as_deref(), Some("p"));
        // Invalid bytes outside tokens are parse errors; inside tokens they decode lossily.
        let names: Vec<&str> = f.defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, vec!["A", "m"]);
        assert_eq!(f.defs[1].docstring.as_deref(), Some("d\u{fffd}"));
        assert_eq!(
            f.calls,
            vec![call(Some(1), member(Receiver::Other, "x"), 2)]
        );
    }

    #[test]
    fn never_panics_on_broken_input() {
        let samples: Vec<&[u8]> = vec![
            b"class {",
            b"class A { void (",
            b"class A extends { A() { super(; this( } }",
            b"import static ;\nimport .*;\npackage ;",
            b"enum E { A { void f() { this.",
            b"record R( { R { } }",
            b"@interface { int v() default ; }",
            b"class A { void m() { new () {}.f(); x.super.y(); this..z(); } }",
            b"class A { void m() { switch (x) { case -> ; default } } }",
            b"\xff\xfe\x00class\x00",
        ];
        for src in samples {
            let _ = facts_bytes(src);
        }
        // Every prefix of a few realistic sources.
        let more = concat!(
            "enum Op { A(\"x\") { int f() { return super.g() ? 1 : 2; } }; ",
            "Op(String s) { this(); } }\n",
            "record R<T>(T... xs) implements I { R { this.xs = xs; } }\n",
        );
        for text in [SPEC_EXAMPLE, more] {
            for end in 0..text.len() {
                let _ = facts_bytes(&text.as_bytes()[..end]);
            }
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let n = 10_000;
        let blocks = format!("{}call();{}", "{".repeat(n), "}".repeat(n));
        let ands = vec!["a"; n].join(" && ");
        let calls = format!("{}x{}", "f(".repeat(n), ")".repeat(n));
        let parens = format!("{}y{}", "(".repeat(n), ")".repeat(n));
        let ifs = "if (a) ".repeat(n);
        let chain = vec!["a"; n].join(".");
        let generic = format!("{}X{}", "L<".repeat(n), ">".repeat(n));
        let lambdas = "x -> ".repeat(n);
        let src = format!(
            "class D {{ void m({generic} p) {{ {blocks} boolean b = {ands}; Object o = {calls}; \
             int z = {parens}; {ifs} go(); {chain}.h(); F g = {lambdas} 0; }} }}"
        );
        // Nested named and anonymous classes (qualified names grow quadratically, so fewer).
        let k = 2_000;
        let classes = format!("{}{}", "class C { ".repeat(k), "}".repeat(k));
        let anons = format!(
            "class E {{ Object o = {}1{}; }}",
            "new Object() { Object o = ".repeat(k),
            "; }".repeat(k)
        );
        let (f, fc, fa) = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || (facts(&src), facts(&classes), facts(&anons)))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(f.defs.len(), 2);
        assert_eq!(f.defs[1].complexity, 1 + (n as u32 - 1) + n as u32);
        // call(), go(), n × f(…), h()
        assert_eq!(f.calls.len(), 3 + n);
        let path = f.calls.iter().find_map(|c| match &c.callee {
            Callee::Member {
                receiver: Receiver::Path(p),
                ..
            } => Some(p.len()),
            _ => None,
        });
        assert_eq!(path, Some(n));
        // n × L and X (the parameter's generic nest), then the locals' Object and F.
        assert_eq!(f.type_refs.len(), n + 3);
        assert_eq!(fc.defs.len(), k);
        assert_eq!(fc.defs.last().map(|d| d.parent), Some(Some(k as u32 - 2)));
        assert_eq!(fa.defs.len(), 1);
        assert_eq!(fa.calls.len(), k);
    }
}
