//! C# extractor: a tree-sitter-c-sharp syntax tree in, [`FileFacts`] out (`indexer.md` §5–§7,
//! §13.7; `mubase.md` §7.2, §7.3).
//!
//! The tree is walked once, iteratively (a [`tree_sitter::TreeCursor`] plus explicit stacks of
//! definition, namespace and type-parameter frames, so 10,000 nested blocks cannot overflow the
//! stack). Only small sub-walks are done (parameters, attributes, base lists, type expressions
//! with an explicit stack, member chains bounded by [`MAX_DEPTH`]).
//!
//! Definitions (§5.2):
//! * `class_declaration` (class), `struct_declaration` (struct), `interface_declaration`
//!   (interface), `enum_declaration` (enum), `record_declaration` (record, also `record struct`);
//! * `method_declaration`; `constructor_declaration` named like the class (`C.C`,
//!   `is_constructor`, `return_type` None); `destructor_declaration` named `Finalize`;
//!   `operator_declaration` / `conversion_operator_declaration` by CLR name (`op_Addition`,
//!   `op_UnaryNegation` for a one-parameter `-`, `op_CheckedAddition` for `operator checked +`,
//!   `op_Implicit`, `op_Explicit`, …); `property_declaration` with an accessor body or an
//!   expression body and `indexer_declaration` (`Item`) likewise → function with `is_property`,
//!   `return_type` = the property type; `local_function_statement` → nested function.
//! * Excluded (transparent): `delegate_declaration`, `lambda_expression`,
//!   `anonymous_method_expression`. Namespaces are not part of qnames; they are recorded in
//!   `FileFacts::namespaces` (nested blocks composed `A.B`, file-scoped included, first
//!   appearance order, de-duplicated) and in `Def::namespace` (the enclosing one, None when
//!   global). `attach` is never set. Top-level statements belong to the module (owner None).
//! * Class members: fields, auto-properties (no accessor body, no expression body), events
//!   (`event_field_declaration` and `event_declaration`, even with `add`/`remove` bodies, whose
//!   code then belongs to the class), enum members and record positional parameters are class
//!   `attributes`. A bodiless indexer (interface) is the attribute `Item`. `field_types` holds
//!   the declared type of fields, events, auto-properties, record positional parameters, bodied
//!   properties (not attributes, but `this.P.f()` / `P.f()` need their type) and class/struct
//!   primary-constructor parameters (in scope in every member); then constructor assignments
//!   `x = p`, `this.x = p`, `x = p ?? throw …` from a parameter with a declared type (also in an
//!   expression-bodied constructor). A declared type always wins over a constructor-derived one.
//! * `line_start` is the declaration node's first line (attribute lists are inside the node).
//!   Classes have `has_body = true`; functions without a `body` (interface, abstract, extern,
//!   partial signatures) have `has_body = false` and complexity 0.
//! * `decorators` = attribute names as written (type arguments and whitespace removed,
//!   qualification kept). `visibility` from explicit modifiers only (`protected internal` →
//!   protected, `private protected` → private), else None. `is_static` / `is_async` from the
//!   `static` / `async` modifiers. Enum underlying types (`enum E : byte`) are not bases; every
//!   other `base_list` entry is a base, type arguments removed, relation `Extends` (the resolver
//!   upgrades it to `implements` when the resolved kind is an interface).
//! * Docstring: the `///` lines immediately preceding the declaration (only whitespace between);
//!   the `<summary>` content when present, else the whole text; XML tags removed except that a
//!   self-closing `<see cref="X"/>` / `<seealso/>` / `<paramref name="x"/>` /
//!   `<typeparamref/>` is replaced by its target (`T:`-style prefixes dropped); the five XML
//!   entities are decoded. `/** */` comments are not docstrings. No module docstring.
//!
//! Imports: one `CsUsing` fact per `using` directive (also inside namespace blocks, `scope`
//! empty): specifier = the target with whitespace, type arguments and `global::` removed
//! (`using X = N.T<int>;` → `N.T`); `alias` for `using X = …`; `is_static` for `using static`;
//! `global using` is recorded the same way. Aliases of non-name types (`using P = (int, int);`,
//! `using unsafe P = int*;`) produce no fact.
//!
//! Calls (`CallSite::line` = line of the callee's name):
//! * `f()`, `f<T>()` → `Bare(f)`; `this.f()` → `SelfMember`; `base.f()` → `SuperMember`;
//!   `x.f()` and `x?.f()` → `Member{Ident(x)}` (fields used without `this.` too); `a.b.f()` →
//!   `Path([a, b])` (generic segments' arguments dropped, `global::` dropped); `this.x.f()` →
//!   `SelfField(x)`; `new C().f()` (parentheses allowed) → `NewOf(C)`; `Foo<T>.f()` →
//!   `Ident(Foo)`; anything else (call results, `this.a.b.f()`, `string.Join`, indexers) →
//!   `Other`. `nameof(…)` is not a call.
//! * `new C(…)`, `new a.b.C<T>(…)` → `New("C")`, `New("a.b.C")`; target-typed `new()` and
//!   predefined types are skipped.
//! * Constructor initializers: `: this(…)` → `SelfMember(<class name>)` (the constructor of the
//!   same class), `: base(…)` → `SuperMember(<last segment of the first base>)` (the base
//!   constructor), both owned by the constructor.
//!
//! Type references (§7): parameter and return types, field / event / property / record
//! parameter types (owner = the class, or the property function for bodied properties),
//! explicitly typed locals (declarations, `foreach`, `catch`, `out T x`, `is T x` patterns,
//! typed lambda parameters; owner = the enclosing def, None at module level), delegate
//! signatures (owner = the enclosing def). Every identifier of the type expression is one
//! reference: qualified names kept whole (`model.Item`, `global::` dropped), type arguments
//! removed from the name and recorded separately. Predefined types (`int`, `string`, `object`,
//! `void`, …), `var`, `dynamic`, `nint`, `nuint`, nullable / array / pointer / `ref` markers and
//! the type parameters of the enclosing definitions are skipped.
//!
//! `referenced_types`: every simple (unqualified) type name in a type position anywhere in the
//! file (declarations, casts, `typeof`, `is` / `as`, generic arguments, `new`, bases,
//! constraints), attribute names (as written and with the `Attribute` suffix added, since
//! `[Foo]` names class `FooAttribute`), and upper-case receivers of calls `T.M()`; type
//! parameters, predefined types and `using` directives excluded; sorted, de-duplicated.
//!
//! Local typing (`Def::locals`, function defs only; lambdas are transparent, so their
//! parameters are locals of the enclosing function): a typed parameter, an explicitly typed
//! local (`T x = …`, `foreach (T x in …)`, `catch (T x)`, `out T x`, `is T x`) →
//! `Declared(type text)`; `var x = new C(…)` → `Ctor("C")`; any other declaration (`var x = …`
//! from something else, untyped lambda parameters, deconstruction, `is var x`, query range
//! variables) → `Unknown`. C# is statically typed, so plain assignments (`x = …`) do not change
//! a local's type and add nothing. Discipline: the first declaration of a name is recorded; a
//! later declaration with the same type adds nothing; one with a different type adds one
//! `Unknown` entry (once). **The resolver must treat a name with more than one entry, or with
//! an `Unknown` entry, as of unknown type.**
//!
//! Complexity (§6): `if_statement`, `for_statement`, `foreach_statement`, `while_statement`,
//! `do_statement`, `switch_section` with a `case` label (this grammar gives each label its own
//! section), `switch_expression_arm` except a `_` discard without `when`, `catch_clause`,
//! `conditional_expression`, `binary_expression` with `&&`, `||` or `??` — counted for the
//! nearest enclosing function with a body (lambdas included, nested local functions excluded).
//!
//! Identifiers are taken without the verbatim `@` prefix. Text is decoded lossily and every
//! byte range is bounds-checked, so no input can make this module panic.

use std::collections::{BTreeSet, HashMap, HashSet};

use tree_sitter::{Node, Tree};

use super::common::{
    bytes, clean_docstring, cut_chars, line_end, line_start, named_children, normalize_ws, text,
};
use crate::index::facts::{
    Base, CallSite, Callee, ClassInfo, ClassKind, Def, DefIdx, DefKind, FileFacts, FunctionInfo,
    Import, ImportKind, LocalTy, LocalType, Param, Receiver, Relation, TypeRef,
};

/// Depth limit of the small helpers that follow member chains and patterns.
const MAX_DEPTH: usize = 64;

/// Extract the facts of one C# file. `parse_errors` is left at 0 (the caller fills it in).
pub fn extract(tree: &Tree, src: &[u8]) -> FileFacts {
    let mut ex = Extractor {
        src,
        facts: FileFacts::default(),
        defs: Vec::new(),
        nss: Vec::new(),
        tps: Vec::new(),
        anc: Vec::new(),
        doc_run: None,
        referenced: BTreeSet::new(),
        ns_seen: HashSet::new(),
        attr_seen: HashSet::new(),
        field_pos: HashMap::new(),
        local_state: HashMap::new(),
    };
    ex.walk(tree.root_node());
    ex.facts.referenced_types = ex.referenced.into_iter().collect();
    ex.facts
}

/// An open frame: popped when the walk leaves the node `end_id`.
struct Frame<T> {
    end_id: usize,
    value: T,
}

/// Consecutive `///` comment lines (text after the marker) ending at byte `end`.
struct DocRun {
    end: usize,
    lines: Vec<String>,
}

struct Extractor<'s, 't> {
    src: &'s [u8],
    facts: FileFacts,
    /// Open definitions (index into `facts.defs`).
    defs: Vec<Frame<usize>>,
    /// Open namespaces (full dotted name).
    nss: Vec<Frame<String>>,
    /// Type parameters of open definitions (and delegates).
    tps: Vec<Frame<Vec<String>>>,
    /// Ancestors of the current node, root first.
    anc: Vec<Node<'t>>,
    doc_run: Option<DocRun>,
    referenced: BTreeSet<String>,
    ns_seen: HashSet<String>,
    /// (class idx, attribute name) already recorded.
    attr_seen: HashSet<(usize, String)>,
    /// (class idx, field name) -> (position in `field_types`, derived from a constructor).
    field_pos: HashMap<(usize, String), (usize, bool)>,
    /// (function idx, local name) -> the single recorded type, or None once `Unknown` is there.
    local_state: HashMap<(usize, String), Option<LocalTy>>,
}

// ---------------------------------------------------------------------------------------------
// Small node helpers (bounds-checked: never index out of range).

/// An identifier without its verbatim `@` prefix.
fn ident(n: Node, src: &[u8]) -> String {
    let t = text(n, src);
    t.strip_prefix('@').unwrap_or(&t).to_string()
}

fn first_child_of_kind<'t>(n: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut cursor = n.walk();
    let found = n.named_children(&mut cursor).find(|c| c.kind() == kind);
    found
}

/// Whether `n` has a direct anonymous child token `tok`.
fn has_token(n: Node, tok: &str) -> bool {
    let mut cursor = n.walk();
    let found = n
        .children(&mut cursor)
        .any(|c| !c.is_named() && c.kind() == tok);
    found
}

/// The simple name of an `identifier` or a `generic_name` (its identifier).
fn simple_name(n: Node, src: &[u8]) -> Option<String> {
    match n.kind() {
        "identifier" => Some(ident(n, src)),
        "generic_name" => first_child_of_kind(n, "identifier").map(|i| ident(i, src)),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// A name as written with whitespace, type arguments, `global::` and `@` removed; other
/// `alias::` qualifiers become `alias.`.
fn clean_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            '@' => {}
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    let out = match out.strip_prefix("global::") {
        Some(rest) => rest.to_string(),
        None => out,
    };
    if out.contains("::") {
        out.replace("::", ".")
    } else {
        out
    }
}

/// Whether a type node is a plain (possibly qualified / generic) name.
fn is_name_kind(kind: &str) -> bool {
    matches!(
        kind,
        "identifier" | "generic_name" | "qualified_name" | "alias_qualified_name"
    )
}

/// Identifiers in type positions that are not references to a declared type.
fn is_skipped_type_name(name: &str) -> bool {
    matches!(
        name,
        "var" | "dynamic" | "nint" | "nuint" | "unmanaged" | "notnull" | ""
    )
}

/// Texts of the `modifier` children of a declaration.
fn modifiers(n: Node, src: &[u8]) -> Vec<String> {
    let mut cursor = n.walk();
    let mods = n
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "modifier")
        .map(|c| text(c, src).trim().to_string())
        .collect();
    mods
}

fn visibility(mods: &[String]) -> Option<String> {
    let has = |m: &str| mods.iter().any(|x| x == m);
    let v = if has("protected") && has("private") {
        "private"
    } else if has("protected") {
        "protected"
    } else if has("public") {
        "public"
    } else if has("private") {
        "private"
    } else if has("internal") {
        "internal"
    } else {
        return None;
    };
    Some(v.to_string())
}

/// CLR name of an overloaded operator.
fn operator_name(op: &str, arity: usize, checked: bool) -> Option<String> {
    let base = match (op, arity) {
        ("+", 1) => "UnaryPlus",
        ("+", _) => "Addition",
        ("-", 1) => "UnaryNegation",
        ("-", _) => "Subtraction",
        ("!", _) => "LogicalNot",
        ("~", _) => "OnesComplement",
        ("++", _) => "Increment",
        ("--", _) => "Decrement",
        ("true", _) => "True",
        ("false", _) => "False",
        ("*", _) => "Multiply",
        ("/", _) => "Division",
        ("%", _) => "Modulus",
        ("&", _) => "BitwiseAnd",
        ("|", _) => "BitwiseOr",
        ("^", _) => "ExclusiveOr",
        ("<<", _) => "LeftShift",
        (">>", _) => "RightShift",
        (">>>", _) => "UnsignedRightShift",
        ("==", _) => "Equality",
        ("!=", _) => "Inequality",
        ("<", _) => "LessThan",
        (">", _) => "GreaterThan",
        ("<=", _) => "LessThanOrEqual",
        (">=", _) => "GreaterThanOrEqual",
        _ => return None,
    };
    Some(format!(
        "op_{}{}",
        if checked { "Checked" } else { "" },
        base
    ))
}

/// Docstring from the text of consecutive `///` lines (markers already removed).
fn xml_doc(raw: &str) -> Option<String> {
    let body = match raw.find("<summary>") {
        Some(i) => {
            let rest = raw.get(i + "<summary>".len()..).unwrap_or("");
            match rest.find("</summary>") {
                Some(j) => rest.get(..j).unwrap_or(rest),
                None => rest,
            }
        }
        None => raw,
    };
    clean_docstring(&strip_xml(body))
}

/// XML tags removed (self-closing reference tags replaced by their target), entities decoded.
fn strip_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        let is_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        match after.find('>') {
            Some(j) if is_tag => {
                if let Some(v) = reference_target(after.get(..j).unwrap_or("")) {
                    out.push_str(&v);
                }
                rest = after.get(j + 1..).unwrap_or("");
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The target of a self-closing `see` / `seealso` / `paramref` / `typeparamref` tag (the tag
/// text between `<` and `>`).
fn reference_target(tag: &str) -> Option<String> {
    let body = tag.strip_suffix('/')?;
    let name = body.split_whitespace().next()?;
    if !matches!(name, "see" | "seealso" | "paramref" | "typeparamref") {
        return None;
    }
    for attr in ["cref", "name", "langword", "href"] {
        for quote in ['"', '\''] {
            let pat = format!("{attr}={quote}");
            if let Some(i) = body.find(&pat) {
                let v = body.get(i + pat.len()..).unwrap_or("");
                let v = v.split(quote).next().unwrap_or("");
                let v = match v.as_bytes() {
                    [c, b':', ..] if c.is_ascii_uppercase() => v.get(2..).unwrap_or(v),
                    _ => v,
                };
                return Some(v.to_string());
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------

impl<'s, 't> Extractor<'s, 't> {
    fn walk(&mut self, root: Node<'t>) {
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            let field = cursor.field_name();
            let descend = self.enter(node, field);
            if descend && cursor.goto_first_child() {
                self.anc.push(node);
                continue;
            }
            self.leave(node);
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                match self.anc.pop() {
                    Some(parent) => self.leave(parent),
                    None => return,
                }
            }
        }
    }

    fn leave(&mut self, node: Node<'t>) {
        let id = node.id();
        while self.defs.last().is_some_and(|f| f.end_id == id) {
            self.defs.pop();
        }
        while self.nss.last().is_some_and(|f| f.end_id == id) {
            self.nss.pop();
        }
        while self.tps.last().is_some_and(|f| f.end_id == id) {
            self.tps.pop();
        }
    }

    /// Handle a node on the way down; returns whether to descend into it.
    fn enter(&mut self, node: Node<'t>, field: Option<&'static str>) -> bool {
        if !node.is_named() {
            return false;
        }
        let kind = node.kind();
        if kind == "comment" {
            self.on_comment(node);
            return false;
        }
        self.note_referenced(node, field);
        match kind {
            "using_directive" => {
                self.on_using(node);
                return false;
            }
            "namespace_declaration" => self.on_namespace(node, node.id()),
            "file_scoped_namespace_declaration" => {
                // Applies to the rest of the enclosing node (the compilation unit).
                let end = self.anc.last().map_or(node.id(), |p| p.id());
                self.on_namespace(node, end);
            }
            "class_declaration" => self.on_class(node, ClassKind::Class),
            "struct_declaration" => self.on_class(node, ClassKind::Struct),
            "interface_declaration" => self.on_class(node, ClassKind::Interface),
            "enum_declaration" => self.on_class(node, ClassKind::Enum),
            "record_declaration" => self.on_class(node, ClassKind::Record),
            "method_declaration"
            | "constructor_declaration"
            | "destructor_declaration"
            | "operator_declaration"
            | "conversion_operator_declaration"
            | "local_function_statement" => self.on_function(node),
            "property_declaration" => self.on_property(node),
            "indexer_declaration" => self.on_indexer(node),
            "field_declaration" | "event_field_declaration" => self.on_field(node),
            "event_declaration" => self.on_event(node),
            "enum_member_declaration" => {
                if let (Some(c), Some(n)) = (self.cur_class(), node.child_by_field_name("name")) {
                    let name = ident(n, self.src);
                    self.add_attribute(c, &name);
                }
            }
            "delegate_declaration" => self.on_delegate(node),
            // Fields and events are handled by their declaration.
            "variable_declaration" if self.in_local_declaration() => {
                self.on_local_declaration(node)
            }
            "foreach_statement" => {
                self.bump();
                self.on_foreach(node);
            }
            "catch_declaration"
            | "declaration_expression"
            | "declaration_pattern"
            | "recursive_pattern"
            | "var_pattern"
            | "from_clause"
            | "let_clause"
            | "join_clause" => self.on_typed_binding(node),
            "lambda_expression" | "anonymous_method_expression" => self.on_lambda(node),
            "invocation_expression" => self.on_call(node),
            "object_creation_expression" => self.on_new(node),
            "constructor_initializer" => self.on_ctor_initializer(node),
            "assignment_expression" => self.on_assignment(node),
            "if_statement"
            | "for_statement"
            | "while_statement"
            | "do_statement"
            | "catch_clause"
            | "conditional_expression" => self.bump(),
            // One label per section in this grammar: `default:` alone does not count.
            "switch_section" if has_token(node, "case") => self.bump(),
            "switch_expression_arm" => {
                let discard = named_children(node)
                    .first()
                    .is_some_and(|c| c.kind() == "discard");
                if !discard || first_child_of_kind(node, "when_clause").is_some() {
                    self.bump();
                }
            }
            "binary_expression"
                if node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "&&" | "||" | "??")) =>
            {
                self.bump()
            }
            _ => {}
        }
        true
    }

    // --- scopes ------------------------------------------------------------------------------

    /// The current `variable_declaration` declares locals (not fields / events).
    fn in_local_declaration(&self) -> bool {
        self.anc.last().is_some_and(|p| {
            matches!(
                p.kind(),
                "local_declaration_statement"
                    | "using_statement"
                    | "for_statement"
                    | "fixed_statement"
            )
        })
    }

    fn owner(&self) -> Option<usize> {
        self.defs.last().map(|f| f.value)
    }

    fn def_kind(&self, idx: usize) -> Option<DefKind> {
        self.facts.defs.get(idx).map(|d| d.kind)
    }

    /// The nearest enclosing definition when it is a function.
    fn cur_fn(&self) -> Option<usize> {
        self.owner()
            .filter(|&i| self.def_kind(i) == Some(DefKind::Function))
    }

    /// The nearest enclosing definition when it is a class.
    fn cur_class(&self) -> Option<usize> {
        self.owner()
            .filter(|&i| self.def_kind(i) == Some(DefKind::Class))
    }

    fn namespace(&self) -> Option<String> {
        self.nss.last().map(|f| f.value.clone())
    }

    fn is_tparam(&self, name: &str) -> bool {
        self.tps.iter().any(|f| f.value.iter().any(|t| t == name))
    }

    /// One decision point for the nearest enclosing function with a body.
    fn bump(&mut self) {
        if let Some(i) = self.cur_fn() {
            if let Some(d) = self.facts.defs.get_mut(i) {
                if d.has_body {
                    d.complexity += 1;
                }
            }
        }
    }

    fn qname_for(&self, parent: Option<usize>, name: &str) -> String {
        match parent.and_then(|p| self.facts.defs.get(p)) {
            Some(p) => format!("{}.{}", p.qname, name),
            None => name.to_string(),
        }
    }

    /// Type parameter names declared by a definition (`type_parameter_list` child).
    fn type_params(&self, node: Node) -> Vec<String> {
        let list = node
            .child_by_field_name("type_parameters")
            .or_else(|| first_child_of_kind(node, "type_parameter_list"));
        let Some(list) = list else {
            return Vec::new();
        };
        named_children(list)
            .into_iter()
            .filter_map(|p| p.child_by_field_name("name"))
            .map(|n| ident(n, self.src))
            .collect()
    }

    fn push_tparams(&mut self, node: Node) {
        let names = self.type_params(node);
        if !names.is_empty() {
            self.tps.push(Frame {
                end_id: node.id(),
                value: names,
            });
        }
    }

    /// Create a definition and open its frame (the whole declaration node).
    #[allow(clippy::too_many_arguments)]
    fn add_def(
        &mut self,
        node: Node<'t>,
        kind: DefKind,
        name: String,
        has_body: bool,
        class: Option<ClassInfo>,
        function: Option<FunctionInfo>,
        mods: &[String],
    ) -> usize {
        let parent = self.owner();
        let qname = self.qname_for(parent, &name);
        let docstring = self.doc_for(node);
        let decorators = self.decorators(node);
        let idx = self.facts.defs.len();
        self.facts.defs.push(Def {
            kind,
            name,
            qname,
            parent: parent.map(|p| p as DefIdx),
            line_start: line_start(node),
            line_end: line_end(node).max(line_start(node)),
            complexity: u32::from(kind == DefKind::Function && has_body),
            has_body,
            decorators,
            visibility: visibility(mods),
            docstring,
            class,
            function,
            locals: Vec::new(),
            attach: None,
            namespace: self.namespace(),
        });
        self.defs.push(Frame {
            end_id: node.id(),
            value: idx,
        });
        idx
    }

    // --- docstrings and attributes -----------------------------------------------------------

    fn only_ws(&self, from: usize, to: usize) -> bool {
        from <= to
            && self
                .src
                .get(from..to)
                .is_some_and(|b| b.iter().all(|c| c.is_ascii_whitespace()))
    }

    fn on_comment(&mut self, node: Node) {
        let t = text(node, self.src);
        let Some(rest) = t.strip_prefix("///").filter(|r| !r.starts_with('/')) else {
            self.doc_run = None;
            return;
        };
        let line = rest.trim_end_matches(['\r', '\n']).to_string();
        let start = node.start_byte();
        let end = node.end_byte();
        match self.doc_run.take() {
            Some(mut run) if self.only_ws(run.end, start) => {
                run.lines.push(line);
                run.end = end;
                self.doc_run = Some(run);
            }
            _ => {
                self.doc_run = Some(DocRun {
                    end,
                    lines: vec![line],
                })
            }
        }
    }

    /// The `///` run immediately preceding `node` (only whitespace between).
    fn doc_for(&self, node: Node) -> Option<String> {
        let run = self.doc_run.as_ref()?;
        if !self.only_ws(run.end, node.start_byte()) {
            return None;
        }
        xml_doc(&run.lines.join("\n"))
    }

    /// Attribute names of the declaration's own attribute lists.
    fn decorators(&self, node: Node) -> Vec<String> {
        let mut out = Vec::new();
        for list in named_children(node) {
            if list.kind() != "attribute_list" {
                continue;
            }
            for attr in named_children(list) {
                if attr.kind() != "attribute" {
                    continue;
                }
                if let Some(n) = attr.child_by_field_name("name") {
                    let name = clean_name(&text(n, self.src));
                    if !name.is_empty() {
                        out.push(name);
                    }
                }
            }
        }
        out
    }

    // --- namespaces and usings ---------------------------------------------------------------

    fn on_namespace(&mut self, node: Node, end_id: usize) {
        let Some(n) = node.child_by_field_name("name") else {
            return;
        };
        let seg = clean_name(&text(n, self.src));
        if seg.is_empty() {
            return;
        }
        let full = match self.nss.last() {
            Some(f) => format!("{}.{}", f.value, seg),
            None => seg,
        };
        if self.ns_seen.insert(full.clone()) {
            self.facts.namespaces.push(full.clone());
        }
        self.nss.push(Frame {
            end_id,
            value: full,
        });
    }

    fn on_using(&mut self, node: Node) {
        let mut alias = None;
        let mut target = None;
        let mut cursor = node.walk();
        if cursor.goto_first_child() {
            loop {
                let c = cursor.node();
                if c.is_named() && c.kind() != "comment" {
                    if cursor.field_name() == Some("name") {
                        alias = Some(ident(c, self.src));
                    } else {
                        target = Some(c);
                    }
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
        }
        let Some(target) = target.filter(|t| is_name_kind(t.kind())) else {
            return;
        };
        let specifier = clean_name(&text(target, self.src));
        if specifier.is_empty() {
            return;
        }
        self.facts.imports.push(Import {
            specifier,
            kind: ImportKind::CsUsing,
            names: Vec::new(),
            alias: alias.filter(|a| !a.is_empty()),
            line: line_start(node),
            type_only: false,
            dynamic: false,
            reexport: false,
            is_static: has_token(node, "static"),
            scope: Vec::new(),
            path_attr: None,
        });
    }

    // --- definitions -------------------------------------------------------------------------

    fn on_class(&mut self, node: Node<'t>, kind: ClassKind) {
        let Some(name) = node
            .child_by_field_name("name")
            .map(|n| ident(n, self.src))
            .filter(|n| !n.is_empty())
        else {
            return;
        };
        let mods = modifiers(node, self.src);
        let mut bases = Vec::new();
        if let Some(list) = first_child_of_kind(node, "base_list") {
            for b in named_children(list) {
                let t = match b.kind() {
                    "primary_constructor_base_type" => b.child_by_field_name("type"),
                    k if is_name_kind(k) => Some(b),
                    _ => None, // argument lists, predefined (enum underlying) types
                };
                if let Some(t) = t {
                    let text = clean_name(&text(t, self.src));
                    if !text.is_empty() {
                        bases.push(Base {
                            text: cut_chars(&text, 200),
                            relation: Relation::Extends,
                            line: line_start(b),
                        });
                    }
                }
            }
        }
        let info = ClassInfo {
            kind,
            bases,
            attributes: Vec::new(),
            field_types: Vec::new(),
        };
        self.push_tparams(node);
        let idx = self.add_def(node, DefKind::Class, name, true, Some(info), None, &mods);
        // Record positional parameters are properties; class / struct primary-constructor
        // parameters are in scope in every member.
        if let Some(list) = first_child_of_kind(node, "parameter_list") {
            for (param, ty) in self.params(list) {
                if let Some(ty) = ty {
                    self.type_refs(ty, Some(idx));
                }
                if kind == ClassKind::Record {
                    self.add_attribute(idx, &param.name);
                }
                if let Some(t) = &param.type_ {
                    self.add_field_type(idx, &param.name, t, false);
                }
            }
        }
    }

    fn on_function(&mut self, node: Node<'t>) {
        let src = self.src;
        let kind = node.kind();
        let params_node = node.child_by_field_name("parameters");
        let name = match kind {
            "destructor_declaration" => Some("Finalize".to_string()),
            "operator_declaration" => {
                let arity = params_node.map_or(0, |p| {
                    named_children(p)
                        .iter()
                        .filter(|c| c.kind() == "parameter")
                        .count()
                });
                node.child_by_field_name("operator")
                    .and_then(|o| operator_name(o.kind(), arity, has_token(node, "checked")))
            }
            "conversion_operator_declaration" => {
                let checked = if has_token(node, "checked") {
                    "Checked"
                } else {
                    ""
                };
                if has_token(node, "implicit") {
                    Some("op_Implicit".to_string())
                } else {
                    Some(format!("op_{checked}Explicit"))
                }
            }
            _ => node.child_by_field_name("name").map(|n| ident(n, src)),
        };
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return; // Unnamed (error recovery): transparent.
        };
        let mods = modifiers(node, src);
        let is_method = self.cur_class().is_some() && kind != "local_function_statement";
        let is_constructor = kind == "constructor_declaration";
        let ret = match kind {
            "method_declaration" => node.child_by_field_name("returns"),
            "constructor_declaration" | "destructor_declaration" => None,
            _ => node.child_by_field_name("type"),
        };
        let has_body = node.child_by_field_name("body").is_some();
        let function = FunctionInfo {
            is_method,
            is_async: mods.iter().any(|m| m == "async"),
            is_static: mods.iter().any(|m| m == "static"),
            is_constructor,
            return_type: ret.map(|r| normalize_ws(&text(r, src))),
            ..FunctionInfo::default()
        };
        self.push_tparams(node);
        let idx = self.add_def(
            node,
            DefKind::Function,
            name,
            has_body,
            None,
            Some(function),
            &mods,
        );
        if let Some(r) = ret {
            self.type_refs(r, Some(idx));
        }
        if let Some(p) = params_node {
            self.function_params(idx, p);
        }
    }

    /// Parameters of function `idx`: `parameters`, type references and `Declared` locals.
    fn function_params(&mut self, idx: usize, list: Node<'t>) {
        let mut out = Vec::new();
        for (param, ty) in self.params(list) {
            if let Some(ty) = ty {
                self.type_refs(ty, Some(idx));
            }
            let local = match &param.type_ {
                Some(t) => LocalTy::Declared(t.clone()),
                None => LocalTy::Unknown,
            };
            self.add_local(idx, param.name.clone(), local);
            out.push(param);
        }
        if let Some(f) = self
            .facts
            .defs
            .get_mut(idx)
            .and_then(|d| d.function.as_mut())
        {
            f.parameters = out;
        }
    }

    /// Parameters of a `parameter_list` / `bracketed_parameter_list` with their type nodes.
    /// A `params T[] x` array may appear as bare `type` / `name` fields of the list.
    fn params(&self, list: Node<'t>) -> Vec<(Param, Option<Node<'t>>)> {
        let src = self.src;
        let mut out = Vec::new();
        let mut variadic = false;
        let mut pending_ty: Option<Node<'t>> = None;
        let mut cursor = list.walk();
        if !cursor.goto_first_child() {
            return out;
        }
        loop {
            let c = cursor.node();
            match (c.kind(), cursor.field_name()) {
                ("parameter", _) => {
                    if let Some(p) = self.param(c) {
                        out.push(p);
                    }
                    variadic = false;
                }
                ("params", _) if !c.is_named() => variadic = true,
                (_, Some("type")) => pending_ty = Some(c),
                (_, Some("name")) => {
                    let name = ident(c, src);
                    let ty = pending_ty.take();
                    if !name.is_empty() {
                        out.push((
                            Param {
                                name,
                                type_: ty.map(|t| normalize_ws(&text(t, src))),
                                variadic,
                                ..Param::default()
                            },
                            ty,
                        ));
                    }
                    variadic = false;
                }
                _ => {}
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
        out
    }

    fn param(&self, p: Node<'t>) -> Option<(Param, Option<Node<'t>>)> {
        let src = self.src;
        let name = ident(p.child_by_field_name("name")?, src);
        if name.is_empty() {
            return None;
        }
        let ty = p.child_by_field_name("type");
        let mut param = Param {
            name,
            type_: ty.map(|t| normalize_ws(&text(t, src))),
            ..Param::default()
        };
        let mut after_eq = false;
        let mut cursor = p.walk();
        for c in p.children(&mut cursor) {
            if !c.is_named() {
                after_eq |= c.kind() == "=";
                continue;
            }
            match c.kind() {
                "modifier" if bytes(c, src) == b"params" => param.variadic = true,
                "comment" => {}
                _ if after_eq && param.default.is_none() => {
                    param.default = Some(cut_chars(&normalize_ws(&text(c, src)), 100));
                }
                _ => {}
            }
        }
        Some((param, ty))
    }

    /// Whether a property / indexer has an accessor body or an expression body.
    fn has_accessor_body(node: Node) -> bool {
        if node
            .child_by_field_name("value")
            .is_some_and(|v| v.kind() == "arrow_expression_clause")
        {
            return true;
        }
        node.child_by_field_name("accessors").is_some_and(|list| {
            named_children(list)
                .iter()
                .any(|a| a.child_by_field_name("body").is_some())
        })
    }

    fn on_property(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(name) = node
            .child_by_field_name("name")
            .map(|n| ident(n, src))
            .filter(|n| !n.is_empty())
        else {
            return;
        };
        let ty = node.child_by_field_name("type");
        let ty_text = ty.map(|t| normalize_ws(&text(t, src)));
        let class = self.cur_class();
        if Self::has_accessor_body(node) {
            let mods = modifiers(node, src);
            let function = FunctionInfo {
                is_method: class.is_some(),
                is_static: mods.iter().any(|m| m == "static"),
                is_property: true,
                return_type: ty_text.clone(),
                ..FunctionInfo::default()
            };
            if let (Some(c), Some(t)) = (class, &ty_text) {
                self.add_field_type(c, &name, t, false);
            }
            let idx = self.add_def(
                node,
                DefKind::Function,
                name,
                true,
                None,
                Some(function),
                &mods,
            );
            if let Some(t) = ty {
                self.type_refs(t, Some(idx));
            }
        } else {
            if let Some(c) = class {
                self.add_attribute(c, &name);
                if let Some(t) = &ty_text {
                    self.add_field_type(c, &name, t, false);
                }
            }
            if let Some(t) = ty {
                self.type_refs(t, self.owner());
            }
        }
    }

    fn on_indexer(&mut self, node: Node<'t>) {
        let src = self.src;
        let ty = node.child_by_field_name("type");
        let params = node.child_by_field_name("parameters");
        let class = self.cur_class();
        if Self::has_accessor_body(node) {
            let mods = modifiers(node, src);
            let function = FunctionInfo {
                is_method: class.is_some(),
                is_property: true,
                return_type: ty.map(|t| normalize_ws(&text(t, src))),
                ..FunctionInfo::default()
            };
            let idx = self.add_def(
                node,
                DefKind::Function,
                "Item".to_string(),
                true,
                None,
                Some(function),
                &mods,
            );
            if let Some(t) = ty {
                self.type_refs(t, Some(idx));
            }
            if let Some(p) = params {
                self.function_params(idx, p);
            }
        } else {
            let owner = self.owner();
            if let Some(c) = class {
                self.add_attribute(c, "Item");
            }
            if let Some(t) = ty {
                self.type_refs(t, owner);
            }
            if let Some(p) = params {
                for (_, t) in self.params(p) {
                    if let Some(t) = t {
                        self.type_refs(t, owner);
                    }
                }
            }
        }
    }

    /// `field_declaration` / `event_field_declaration`: attributes, field types, type refs.
    fn on_field(&mut self, node: Node<'t>) {
        let Some(decl) = first_child_of_kind(node, "variable_declaration") else {
            return;
        };
        let ty = decl.child_by_field_name("type");
        let ty_text = ty.map(|t| normalize_ws(&text(t, self.src)));
        let class = self.cur_class();
        if let Some(t) = ty {
            self.type_refs(t, self.owner());
        }
        let Some(c) = class else {
            return;
        };
        for d in named_children(decl) {
            if d.kind() != "variable_declarator" {
                continue;
            }
            if let Some(n) = d.child_by_field_name("name") {
                let name = ident(n, self.src);
                self.add_attribute(c, &name);
                if let Some(t) = &ty_text {
                    self.add_field_type(c, &name, t, false);
                }
            }
        }
    }

    /// `event T E { add {…} remove {…} }`: an attribute, like event fields.
    fn on_event(&mut self, node: Node<'t>) {
        let ty = node.child_by_field_name("type");
        if let Some(t) = ty {
            self.type_refs(t, self.owner());
        }
        let (Some(c), Some(n)) = (self.cur_class(), node.child_by_field_name("name")) else {
            return;
        };
        let name = ident(n, self.src);
        self.add_attribute(c, &name);
        if let Some(t) = ty {
            let t = normalize_ws(&text(t, self.src));
            self.add_field_type(c, &name, &t, false);
        }
    }

    /// Delegates are not definitions; their signature's types belong to the enclosing def.
    fn on_delegate(&mut self, node: Node<'t>) {
        self.push_tparams(node);
        let owner = self.owner();
        if let Some(t) = node.child_by_field_name("type") {
            self.type_refs(t, owner);
        }
        if let Some(p) = node.child_by_field_name("parameters") {
            for (_, t) in self.params(p) {
                if let Some(t) = t {
                    self.type_refs(t, owner);
                }
            }
        }
    }

    // --- bindings ----------------------------------------------------------------------------

    /// Record a local of function `idx` (see the module docs for the discipline).
    fn add_local(&mut self, idx: usize, name: String, ty: LocalTy) {
        if name.is_empty() || self.def_kind(idx) != Some(DefKind::Function) {
            return;
        }
        let key = (idx, name);
        let push = match self.local_state.get(&key) {
            None => {
                let state = (ty != LocalTy::Unknown).then(|| ty.clone());
                self.local_state.insert(key.clone(), state);
                Some(ty)
            }
            Some(Some(t)) if *t == ty => None,
            Some(Some(_)) => {
                self.local_state.insert(key.clone(), None);
                Some(LocalTy::Unknown)
            }
            Some(None) => None,
        };
        if let (Some(ty), Some(d)) = (push, self.facts.defs.get_mut(idx)) {
            d.locals.push(LocalType { name: key.1, ty });
        }
    }

    fn add_local_here(&mut self, name: String, ty: LocalTy) {
        if let Some(f) = self.cur_fn() {
            self.add_local(f, name, ty);
        }
    }

    /// Every identifier bound by a pattern / designation, as `Unknown` locals.
    fn bind_unknown(&mut self, n: Node) {
        let mut names = Vec::new();
        let mut stack = vec![(n, 0usize)];
        while let Some((c, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                continue;
            }
            match c.kind() {
                "identifier" => names.push(ident(c, self.src)),
                "tuple_pattern"
                | "parenthesized_variable_designation"
                | "declaration_expression"
                | "tuple_expression"
                | "argument" => {
                    for ch in named_children(c).into_iter().rev() {
                        stack.push((ch, depth + 1));
                    }
                }
                _ => {}
            }
        }
        for name in names {
            self.add_local_here(name, LocalTy::Unknown);
        }
    }

    /// A typed binding `T x`: `Declared(T)` and type references; `var x` → `Unknown`.
    fn bind_typed(&mut self, ty: Option<Node<'t>>, target: Node<'t>) {
        match ty.filter(|t| t.kind() != "implicit_type") {
            Some(t) if target.kind() == "identifier" => {
                self.type_refs(t, self.owner());
                let decl = normalize_ws(&text(t, self.src));
                self.add_local_here(ident(target, self.src), LocalTy::Declared(decl));
            }
            _ => self.bind_unknown(target),
        }
    }

    fn on_local_declaration(&mut self, node: Node<'t>) {
        let src = self.src;
        let ty = node
            .child_by_field_name("type")
            .filter(|t| t.kind() != "implicit_type");
        if let Some(t) = ty {
            self.type_refs(t, self.owner());
        }
        let decl = ty.map(|t| normalize_ws(&text(t, src)));
        for d in named_children(node) {
            if d.kind() != "variable_declarator" {
                continue;
            }
            let Some(n) = d.child_by_field_name("name") else {
                // `var (a, b) = …`
                if let Some(tp) = first_child_of_kind(d, "tuple_pattern") {
                    self.bind_unknown(tp);
                }
                continue;
            };
            let local = match &decl {
                Some(t) => LocalTy::Declared(t.clone()),
                None => Self::declarator_value(d)
                    .filter(|v| v.kind() == "object_creation_expression")
                    .and_then(|v| v.child_by_field_name("type"))
                    .filter(|t| is_name_kind(t.kind()))
                    .map(|t| clean_name(&text(t, src)))
                    .filter(|c| !c.is_empty())
                    .map_or(LocalTy::Unknown, LocalTy::Ctor),
            };
            self.add_local_here(ident(n, src), local);
        }
    }

    /// The initializer of a `variable_declarator` (the named child after `=`).
    fn declarator_value(d: Node) -> Option<Node> {
        let mut after_eq = false;
        let mut cursor = d.walk();
        for c in d.children(&mut cursor) {
            if !c.is_named() {
                after_eq |= c.kind() == "=";
            } else if after_eq && c.kind() != "comment" {
                return Some(c);
            }
        }
        None
    }

    fn on_foreach(&mut self, node: Node<'t>) {
        if let Some(left) = node.child_by_field_name("left") {
            self.bind_typed(node.child_by_field_name("type"), left);
        }
    }

    /// `catch (T x)`, `out T x`, `is T x`, `is T {…} x`, `is var x`, query range variables.
    fn on_typed_binding(&mut self, node: Node<'t>) {
        let ty = node.child_by_field_name("type");
        match node.child_by_field_name("name") {
            Some(n) => self.bind_typed(ty, n),
            None => {
                if let Some(d) = first_child_of_kind(node, "parenthesized_variable_designation") {
                    self.bind_unknown(d);
                }
            }
        }
    }

    /// Lambda / anonymous-method parameters are locals of the enclosing function.
    fn on_lambda(&mut self, node: Node<'t>) {
        let Some(p) = node.child_by_field_name("parameters") else {
            return;
        };
        if p.kind() == "implicit_parameter" {
            self.add_local_here(ident(p, self.src), LocalTy::Unknown);
            return;
        }
        for (param, ty) in self.params(p) {
            if let Some(t) = ty {
                self.type_refs(t, self.owner());
            }
            let local = match param.type_ {
                Some(t) => LocalTy::Declared(t),
                None => LocalTy::Unknown,
            };
            self.add_local_here(param.name, local);
        }
    }

    fn add_attribute(&mut self, class_idx: usize, name: &str) {
        if name.is_empty() || !self.attr_seen.insert((class_idx, name.to_string())) {
            return;
        }
        if let Some(c) = self
            .facts
            .defs
            .get_mut(class_idx)
            .and_then(|d| d.class.as_mut())
        {
            c.attributes.push(name.to_string());
        }
    }

    /// Record a field type; a declared type replaces a constructor-derived one.
    fn add_field_type(&mut self, class_idx: usize, name: &str, ty: &str, from_ctor: bool) {
        if name.is_empty() || ty.is_empty() {
            return;
        }
        let Some(c) = self
            .facts
            .defs
            .get_mut(class_idx)
            .and_then(|d| d.class.as_mut())
        else {
            return;
        };
        let key = (class_idx, name.to_string());
        match self.field_pos.get_mut(&key) {
            Some((pos, derived)) => {
                if *derived && !from_ctor {
                    if let Some(entry) = c.field_types.get_mut(*pos) {
                        entry.1 = ty.to_string();
                    }
                    *derived = false;
                }
            }
            None => {
                self.field_pos.insert(key, (c.field_types.len(), from_ctor));
                c.field_types.push((name.to_string(), ty.to_string()));
            }
        }
    }

    /// Constructor assignments `x = p`, `this.x = p`, `x = p ?? throw …` give field types.
    fn on_assignment(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(ctor) = self.cur_fn() else {
            return;
        };
        let Some(def) = self.facts.defs.get(ctor) else {
            return;
        };
        let Some(f) = def.function.as_ref().filter(|f| f.is_constructor) else {
            return;
        };
        let Some(class) = def.parent.map(|p| p as usize) else {
            return;
        };
        if node
            .child_by_field_name("operator")
            .is_none_or(|o| o.kind() != "=")
        {
            return;
        }
        let (Some(left), Some(mut right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return;
        };
        let field = match left.kind() {
            "identifier" => {
                let name = ident(left, src);
                if self.local_state.contains_key(&(ctor, name.clone())) {
                    return; // a parameter or local, not a field
                }
                name
            }
            "member_access_expression" => {
                let is_this = left
                    .child_by_field_name("expression")
                    .is_some_and(|e| e.kind() == "this");
                match left.child_by_field_name("name") {
                    Some(n) if is_this && n.kind() == "identifier" => ident(n, src),
                    _ => return,
                }
            }
            _ => return,
        };
        if right.kind() == "binary_expression"
            && right
                .child_by_field_name("operator")
                .is_some_and(|o| o.kind() == "??")
        {
            match right.child_by_field_name("left") {
                Some(l) => right = l,
                None => return,
            }
        }
        if right.kind() != "identifier" {
            return;
        }
        let pname = ident(right, src);
        let Some(ty) = f
            .parameters
            .iter()
            .find(|p| p.name == pname)
            .and_then(|p| p.type_.clone())
        else {
            return;
        };
        self.add_field_type(class, &field, &ty, true);
    }

    // --- calls -------------------------------------------------------------------------------

    fn push_call(&mut self, callee: Callee, line: u32) {
        self.facts.calls.push(CallSite {
            caller: self.owner().map(|i| i as DefIdx),
            callee,
            line,
        });
    }

    fn on_call(&mut self, node: Node<'t>) {
        let src = self.src;
        let Some(func) = node.child_by_field_name("function") else {
            return;
        };
        match func.kind() {
            "identifier" | "generic_name" => {
                let Some(name) = simple_name(func, src) else {
                    return;
                };
                if name == "nameof" && func.kind() == "identifier" {
                    return;
                }
                self.push_call(Callee::Bare(name), line_start(func));
            }
            "member_access_expression" => {
                let (Some(expr), Some(name_node)) = (
                    func.child_by_field_name("expression"),
                    func.child_by_field_name("name"),
                ) else {
                    return;
                };
                let Some(name) = simple_name(name_node, src) else {
                    return;
                };
                let callee = match expr.kind() {
                    "this" => Callee::SelfMember(name),
                    "base" => Callee::SuperMember(name),
                    _ => {
                        if let Some(r) = simple_name(expr, src) {
                            if r.chars().next().is_some_and(char::is_uppercase)
                                && !self.is_tparam(&r)
                            {
                                self.referenced.insert(r);
                            }
                        }
                        Callee::Member {
                            receiver: self.receiver(expr),
                            name,
                        }
                    }
                };
                self.push_call(callee, line_start(name_node));
            }
            "conditional_access_expression" => {
                // `x?.f()`
                let Some(binding) = named_children(func)
                    .into_iter()
                    .rev()
                    .find(|c| c.kind() == "member_binding_expression")
                else {
                    return;
                };
                let Some(name_node) = binding.child_by_field_name("name") else {
                    return;
                };
                let Some(name) = simple_name(name_node, src) else {
                    return;
                };
                let receiver = match func.child_by_field_name("condition") {
                    Some(c) => self.receiver(c),
                    None => Receiver::Other,
                };
                self.push_call(Callee::Member { receiver, name }, line_start(name_node));
            }
            _ => {}
        }
    }

    fn receiver(&self, expr: Node) -> Receiver {
        let src = self.src;
        let mut e = expr;
        for _ in 0..MAX_DEPTH {
            if e.kind() != "parenthesized_expression" {
                break;
            }
            match named_children(e).first() {
                Some(inner) => e = *inner,
                None => return Receiver::Other,
            }
        }
        match e.kind() {
            "identifier" | "generic_name" => {
                simple_name(e, src).map_or(Receiver::Other, Receiver::Ident)
            }
            "object_creation_expression" => e
                .child_by_field_name("type")
                .filter(|t| is_name_kind(t.kind()))
                .map(|t| clean_name(&text(t, src)))
                .filter(|c| !c.is_empty())
                .map_or(Receiver::Other, Receiver::NewOf),
            "member_access_expression" | "qualified_name" | "alias_qualified_name" => {
                self.path_receiver(e)
            }
            _ => Receiver::Other,
        }
    }

    /// `a.b` → `Path([a, b])`, `this.x` → `SelfField(x)`, else `Other`.
    fn path_receiver(&self, e: Node) -> Receiver {
        let src = self.src;
        let mut parts: Vec<String> = Vec::new();
        let mut cur = e;
        let mut this_based = false;
        let mut done = false;
        for _ in 0..MAX_DEPTH {
            match cur.kind() {
                "member_access_expression" | "qualified_name" => {
                    let (name, next) = if cur.kind() == "qualified_name" {
                        (
                            cur.child_by_field_name("name"),
                            cur.child_by_field_name("qualifier"),
                        )
                    } else {
                        (
                            cur.child_by_field_name("name"),
                            cur.child_by_field_name("expression"),
                        )
                    };
                    let (Some(name), Some(next)) = (name.and_then(|n| simple_name(n, src)), next)
                    else {
                        return Receiver::Other;
                    };
                    parts.push(name);
                    cur = next;
                }
                "alias_qualified_name" => {
                    let Some(name) = cur
                        .child_by_field_name("name")
                        .and_then(|n| simple_name(n, src))
                    else {
                        return Receiver::Other;
                    };
                    parts.push(name);
                    if let Some(a) = cur.child_by_field_name("alias") {
                        let a = ident(a, src);
                        if a != "global" && !a.is_empty() {
                            parts.push(a);
                        }
                    }
                    done = true;
                }
                "identifier" | "generic_name" => {
                    match simple_name(cur, src) {
                        Some(n) => parts.push(n),
                        None => return Receiver::Other,
                    }
                    done = true;
                }
                "this" => {
                    this_based = true;
                    done = true;
                }
                _ => return Receiver::Other,
            }
            if done {
                break;
            }
        }
        if !done {
            return Receiver::Other;
        }
        parts.reverse();
        match (this_based, parts.len()) {
            (true, 1) => Receiver::SelfField(parts.remove(0)),
            (true, _) | (false, 0) => Receiver::Other,
            (false, 1) => Receiver::Ident(parts.remove(0)),
            (false, _) => Receiver::Path(parts),
        }
    }

    fn on_new(&mut self, node: Node<'t>) {
        let Some(t) = node
            .child_by_field_name("type")
            .filter(|t| is_name_kind(t.kind()))
        else {
            return;
        };
        let name = clean_name(&text(t, self.src));
        if !name.is_empty() {
            self.push_call(Callee::New(name), line_start(t));
        }
    }

    /// `: this(…)` / `: base(…)` of a constructor.
    fn on_ctor_initializer(&mut self, node: Node<'t>) {
        let Some(ctor) = self.cur_fn() else {
            return;
        };
        let mut cursor = node.walk();
        let tok = node
            .children(&mut cursor)
            .find(|c| matches!(c.kind(), "this" | "base"));
        let Some(tok) = tok else {
            return;
        };
        let Some(def) = self.facts.defs.get(ctor) else {
            return;
        };
        let callee = if tok.kind() == "this" {
            Callee::SelfMember(def.name.clone())
        } else {
            let base = def
                .parent
                .and_then(|p| self.facts.defs.get(p as usize))
                .and_then(|c| c.class.as_ref())
                .and_then(|c| c.bases.first())
                .map(|b| b.text.rsplit('.').next().unwrap_or(&b.text).to_string());
            match base {
                Some(b) if !b.is_empty() => Callee::SuperMember(b),
                _ => return,
            }
        };
        self.push_call(callee, line_start(tok));
    }

    // --- type references ---------------------------------------------------------------------

    /// `referenced_types` for a node in a type position (simple names only).
    fn note_referenced(&mut self, node: Node, field: Option<&str>) {
        let kind = node.kind();
        if kind != "identifier" && kind != "generic_name" {
            return;
        }
        let Some(parent) = self.anc.last() else {
            return;
        };
        let pk = parent.kind();
        let (in_type, is_attr) = match field {
            Some("type") | Some("returns") => (true, false),
            Some("right") => (matches!(pk, "as_expression" | "is_expression"), false),
            Some("name") => (pk == "attribute", pk == "attribute"),
            None => (
                matches!(
                    pk,
                    "type_argument_list" | "base_list" | "explicit_interface_specifier"
                ),
                false,
            ),
            _ => (false, false),
        };
        if !in_type {
            return;
        }
        let Some(name) = simple_name(node, self.src) else {
            return;
        };
        if is_skipped_type_name(&name) || self.is_tparam(&name) {
            return;
        }
        if is_attr && !name.ends_with("Attribute") {
            self.referenced.insert(format!("{name}Attribute"));
        }
        self.referenced.insert(name);
    }

    fn push_ref(&mut self, owner: Option<usize>, name: String, line: u32) {
        if is_skipped_type_name(&name) || (!name.contains('.') && self.is_tparam(&name)) {
            return;
        }
        self.facts.type_refs.push(TypeRef {
            owner: owner.map(|o| o as DefIdx),
            name,
            line,
        });
    }

    /// Every identifier of a type expression (see the module docs), in source order.
    fn type_refs(&mut self, ty: Node<'t>, owner: Option<usize>) {
        let src = self.src;
        let mut stack = vec![ty];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "identifier" => self.push_ref(owner, ident(n, src), line_start(n)),
                "generic_name" => {
                    if let Some(name) = simple_name(n, src) {
                        self.push_ref(owner, name, line_start(n));
                    }
                    if let Some(args) = first_child_of_kind(n, "type_argument_list") {
                        stack.extend(named_children(args).into_iter().rev());
                    }
                }
                "qualified_name" | "alias_qualified_name" => {
                    let name = clean_name(&text(n, src));
                    if !name.is_empty() {
                        self.push_ref(owner, name, line_start(n));
                    }
                    // Type arguments anywhere in the qualified name, in source order.
                    let mut args = Vec::new();
                    let mut sub = vec![(n, 0usize)];
                    while let Some((q, depth)) = sub.pop() {
                        if depth > MAX_DEPTH {
                            continue;
                        }
                        for c in named_children(q).into_iter().rev() {
                            match c.kind() {
                                "type_argument_list" => args.push(c),
                                "qualified_name" | "alias_qualified_name" | "generic_name" => {
                                    sub.push((c, depth + 1))
                                }
                                _ => {}
                            }
                        }
                    }
                    // `args` are in source order; push the last first so the first pops first.
                    for a in args.into_iter().rev() {
                        stack.extend(named_children(a).into_iter().rev());
                    }
                }
                "nullable_type" | "array_type" | "pointer_type" | "ref_type" | "scoped_type" => {
                    if let Some(t) = n.child_by_field_name("type") {
                        stack.push(t);
                    }
                }
                "tuple_type" => {
                    let types: Vec<Node> = named_children(n)
                        .into_iter()
                        .filter_map(|e| e.child_by_field_name("type"))
                        .collect();
                    stack.extend(types.into_iter().rev());
                }
                "function_pointer_type" => {
                    let mut types: Vec<Node> = named_children(n)
                        .into_iter()
                        .filter_map(|e| e.child_by_field_name("type"))
                        .collect();
                    if let Some(r) = n.child_by_field_name("returns") {
                        types.push(r);
                    }
                    stack.extend(types.into_iter().rev());
                }
                _ => {} // predefined_type, implicit_type, errors
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::lang::test_support::{ctor, declared, parse, s, unknown};

    fn facts_bytes(src: &[u8]) -> FileFacts {
        extract(&parse(tree_sitter_c_sharp::LANGUAGE.into(), src), src)
    }

    fn facts(src: &str) -> FileFacts {
        facts_bytes(src.as_bytes())
    }

    fn strs(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| x.to_string()).collect()
    }

    fn def(
        kind: DefKind,
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
    ) -> Def {
        Def {
            kind,
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
            class: None,
            function: None,
            locals: Vec::new(),
            attach: None,
            namespace: None,
        }
    }

    fn cls(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        kind: ClassKind,
    ) -> Def {
        Def {
            class: Some(ClassInfo {
                kind,
                bases: Vec::new(),
                attributes: Vec::new(),
                field_types: Vec::new(),
            }),
            ..def(DefKind::Class, name, qname, parent, lines)
        }
    }

    fn func(
        name: &str,
        qname: &str,
        parent: Option<DefIdx>,
        lines: (u32, u32),
        complexity: u32,
        info: FunctionInfo,
    ) -> Def {
        Def {
            complexity,
            has_body: complexity > 0,
            function: Some(info),
            ..def(DefKind::Function, name, qname, parent, lines)
        }
    }

    fn method() -> FunctionInfo {
        FunctionInfo {
            is_method: true,
            ..FunctionInfo::default()
        }
    }

    fn ret(t: &str) -> FunctionInfo {
        FunctionInfo {
            return_type: Some(s(t)),
            ..method()
        }
    }

    fn p(name: &str, ty: &str) -> Param {
        Param {
            name: s(name),
            type_: Some(s(ty)),
            ..Param::default()
        }
    }

    fn base(text: &str, line: u32) -> Base {
        Base {
            text: s(text),
            relation: Relation::Extends,
            line,
        }
    }

    fn class_info(def: &Def) -> &ClassInfo {
        def.class.as_ref().unwrap()
    }

    fn fn_info(def: &Def) -> &FunctionInfo {
        def.function.as_ref().unwrap()
    }

    fn using(spec: &str, alias: Option<&str>, is_static: bool, line: u32) -> Import {
        Import {
            specifier: s(spec),
            kind: ImportKind::CsUsing,
            names: Vec::new(),
            alias: alias.map(s),
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

    fn member(receiver: Receiver, name: &str) -> Callee {
        Callee::Member {
            receiver,
            name: s(name),
        }
    }

    fn tref(owner: Option<DefIdx>, name: &str, line: u32) -> TypeRef {
        TypeRef {
            owner,
            name: s(name),
            line,
        }
    }

    /// (qname, kind, parent) of every def.
    fn shape(f: &FileFacts) -> Vec<(&str, DefKind, Option<DefIdx>)> {
        f.defs
            .iter()
            .map(|d| (d.qname.as_str(), d.kind, d.parent))
            .collect()
    }

    fn complexities(f: &FileFacts) -> Vec<(&str, u32)> {
        f.defs
            .iter()
            .map(|d| (d.qname.as_str(), d.complexity))
            .collect()
    }

    fn by_qname<'a>(f: &'a FileFacts, q: &str) -> &'a Def {
        f.defs.iter().find(|d| d.qname == q).unwrap()
    }

    // --- the spec example ------------------------------------------------------------------

    const SPEC_13_7: &str = "using Acme.Core;
using System.Linq;

namespace Acme.Billing;

public class InvoiceService : ServiceBase, IInvoiceService
{
    private readonly IRepository<Invoice> _repo;

    public InvoiceService(IRepository<Invoice> repo) => _repo = repo;

    public int CountOverdue() => _repo.All().Count(i => i.IsOverdue ?? false);

    public string Name { get; set; }
}
";

    /// `indexer.md` §13.7: every fact of `src/Billing/InvoiceService.cs`.
    #[test]
    fn spec_example_13_7() {
        let ns = Some(s("Acme.Billing"));
        let expected = FileFacts {
            defs: vec![
                Def {
                    visibility: Some(s("public")),
                    namespace: ns.clone(),
                    class: Some(ClassInfo {
                        kind: ClassKind::Class,
                        bases: vec![base("ServiceBase", 6), base("IInvoiceService", 6)],
                        attributes: strs(&["_repo", "Name"]),
                        field_types: vec![
                            (s("_repo"), s("IRepository<Invoice>")),
                            (s("Name"), s("string")),
                        ],
                    }),
                    ..cls(
                        "InvoiceService",
                        "InvoiceService",
                        None,
                        (6, 15),
                        ClassKind::Class,
                    )
                },
                Def {
                    visibility: Some(s("public")),
                    namespace: ns.clone(),
                    locals: vec![declared("repo", "IRepository<Invoice>")],
                    ..func(
                        "InvoiceService",
                        "InvoiceService.InvoiceService",
                        Some(0),
                        (10, 10),
                        1,
                        FunctionInfo {
                            is_constructor: true,
                            parameters: vec![p("repo", "IRepository<Invoice>")],
                            ..method()
                        },
                    )
                },
                Def {
                    visibility: Some(s("public")),
                    namespace: ns.clone(),
                    // The lambda is transparent: its parameter is a local of unknown type.
                    locals: vec![unknown("i")],
                    ..func(
                        "CountOverdue",
                        "InvoiceService.CountOverdue",
                        Some(0),
                        (12, 12),
                        2,
                        ret("int"),
                    )
                },
            ],
            imports: vec![
                using("Acme.Core", None, false, 1),
                using("System.Linq", None, false, 2),
            ],
            calls: vec![
                // `.Count(…)` is called on a call result.
                call(Some(2), member(Receiver::Other, "Count"), 12),
                call(Some(2), member(Receiver::Ident(s("_repo")), "All"), 12),
            ],
            type_refs: vec![
                tref(Some(0), "IRepository", 8),
                tref(Some(0), "Invoice", 8),
                tref(Some(1), "IRepository", 10),
                tref(Some(1), "Invoice", 10),
            ],
            namespaces: strs(&["Acme.Billing"]),
            referenced_types: strs(&["IInvoiceService", "IRepository", "Invoice", "ServiceBase"]),
            ..FileFacts::default()
        };
        assert_eq!(facts(SPEC_13_7), expected);
    }

    // --- §5.2 constructs -------------------------------------------------------------------

    #[test]
    fn type_declarations_and_kinds() {
        let src = "class C { }
struct S { }
interface I { }
enum E { A }
record R(int X);
record struct RS(int Y) { }
public abstract partial class P<T> { }
";
        let mut r = cls("R", "R", None, (5, 5), ClassKind::Record);
        r.class = Some(ClassInfo {
            kind: ClassKind::Record,
            bases: vec![],
            attributes: strs(&["X"]),
            field_types: vec![(s("X"), s("int"))],
        });
        let mut rs = cls("RS", "RS", None, (6, 6), ClassKind::Record);
        rs.class = Some(ClassInfo {
            kind: ClassKind::Record,
            bases: vec![],
            attributes: strs(&["Y"]),
            field_types: vec![(s("Y"), s("int"))],
        });
        let mut e = cls("E", "E", None, (4, 4), ClassKind::Enum);
        e.class.as_mut().unwrap().attributes = strs(&["A"]);
        let expected = vec![
            cls("C", "C", None, (1, 1), ClassKind::Class),
            cls("S", "S", None, (2, 2), ClassKind::Struct),
            cls("I", "I", None, (3, 3), ClassKind::Interface),
            e,
            r,
            rs,
            Def {
                visibility: Some(s("public")),
                ..cls("P", "P", None, (7, 7), ClassKind::Class)
            },
        ];
        let f = facts(src);
        assert_eq!(f.defs, expected);
        assert!(f.calls.is_empty() && f.imports.is_empty());
        assert!(
            f.type_refs.is_empty(),
            "predefined types are never type references"
        );
    }

    #[test]
    fn methods_with_and_without_bodies() {
        let src = "abstract class A {
    public void Run(int n) { }
    protected abstract string Name();
    static extern int Native(int x);
    partial void Hook();
    public async Task<int> GoAsync() => 1;
}
interface I {
    void M();
    int D() { return 1; }
}
";
        let f = facts(src);
        let expected = vec![
            cls("A", "A", None, (1, 7), ClassKind::Class),
            Def {
                visibility: Some(s("public")),
                locals: vec![declared("n", "int")],
                ..func(
                    "Run",
                    "A.Run",
                    Some(0),
                    (2, 2),
                    1,
                    FunctionInfo {
                        parameters: vec![p("n", "int")],
                        ..ret("void")
                    },
                )
            },
            Def {
                visibility: Some(s("protected")),
                ..func("Name", "A.Name", Some(0), (3, 3), 0, ret("string"))
            },
            Def {
                locals: vec![declared("x", "int")],
                ..func(
                    "Native",
                    "A.Native",
                    Some(0),
                    (4, 4),
                    0,
                    FunctionInfo {
                        is_static: true,
                        parameters: vec![p("x", "int")],
                        ..ret("int")
                    },
                )
            },
            func("Hook", "A.Hook", Some(0), (5, 5), 0, ret("void")),
            Def {
                visibility: Some(s("public")),
                ..func(
                    "GoAsync",
                    "A.GoAsync",
                    Some(0),
                    (6, 6),
                    1,
                    FunctionInfo {
                        is_async: true,
                        ..ret("Task<int>")
                    },
                )
            },
            cls("I", "I", None, (8, 11), ClassKind::Interface),
            func("M", "I.M", Some(6), (9, 9), 0, ret("void")),
            func("D", "I.D", Some(6), (10, 10), 1, ret("int")),
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(f.type_refs, vec![tref(Some(5), "Task", 6)]);
    }

    #[test]
    fn constructors_and_initializers() {
        let src = "class B : Base<int>, IX {
    static B() { }
    public B(int x) : base(x) { }
    public B() : this(0) { }
}
class N { N() : base() { } }
";
        let f = facts(src);
        let ctor_info = |params: Vec<Param>| FunctionInfo {
            is_constructor: true,
            parameters: params,
            ..method()
        };
        let mut b = cls("B", "B", None, (1, 5), ClassKind::Class);
        b.class.as_mut().unwrap().bases = vec![base("Base", 1), base("IX", 1)];
        let expected = vec![
            b,
            func(
                "B",
                "B.B",
                Some(0),
                (2, 2),
                1,
                FunctionInfo {
                    is_static: true,
                    ..ctor_info(vec![])
                },
            ),
            Def {
                visibility: Some(s("public")),
                locals: vec![declared("x", "int")],
                ..func(
                    "B",
                    "B.B",
                    Some(0),
                    (3, 3),
                    1,
                    ctor_info(vec![p("x", "int")]),
                )
            },
            Def {
                visibility: Some(s("public")),
                ..func("B", "B.B", Some(0), (4, 4), 1, ctor_info(vec![]))
            },
            cls("N", "N", None, (6, 6), ClassKind::Class),
            func("N", "N.N", Some(4), (6, 6), 1, ctor_info(vec![])),
        ];
        assert_eq!(f.defs, expected);
        // `: base(…)` calls the first base's constructor, `: this(…)` a sibling constructor;
        // without a base, `base()` links nothing and is not recorded.
        assert_eq!(
            f.calls,
            vec![
                call(Some(2), Callee::SuperMember(s("Base")), 3),
                call(Some(3), Callee::SelfMember(s("B")), 4),
            ]
        );
    }

    #[test]
    fn destructor_is_finalize() {
        let f = facts("class C {\n    ~C() { if (x) { } }\n}\n");
        assert_eq!(
            f.defs[1],
            func("Finalize", "C.Finalize", Some(0), (2, 2), 2, method())
        );
    }

    #[test]
    fn operators_by_clr_name() {
        let ops = [
            ("+", 1, "op_UnaryPlus"),
            ("+", 2, "op_Addition"),
            ("-", 1, "op_UnaryNegation"),
            ("-", 2, "op_Subtraction"),
            ("*", 2, "op_Multiply"),
            ("/", 2, "op_Division"),
            ("%", 2, "op_Modulus"),
            ("==", 2, "op_Equality"),
            ("!=", 2, "op_Inequality"),
            ("<", 2, "op_LessThan"),
            (">", 2, "op_GreaterThan"),
            ("<=", 2, "op_LessThanOrEqual"),
            (">=", 2, "op_GreaterThanOrEqual"),
            ("!", 1, "op_LogicalNot"),
            ("~", 1, "op_OnesComplement"),
            ("++", 1, "op_Increment"),
            ("--", 1, "op_Decrement"),
            ("true", 1, "op_True"),
            ("false", 1, "op_False"),
            ("&", 2, "op_BitwiseAnd"),
            ("|", 2, "op_BitwiseOr"),
            ("^", 2, "op_ExclusiveOr"),
            ("<<", 2, "op_LeftShift"),
            (">>", 2, "op_RightShift"),
            (">>>", 2, "op_UnsignedRightShift"),
        ];
        let mut src = String::from("struct V {\n");
        for (op, arity, _) in ops {
            let params = if arity == 1 { "V a" } else { "V a, V b" };
            src.push_str(&format!(
                "    public static V operator {op}({params}) => a;\n"
            ));
        }
        src.push_str("    public static V operator checked +(V a, V b) => a;\n");
        src.push_str("    public static implicit operator int(V v) => 0;\n");
        src.push_str("    public static explicit operator V(int i) => default;\n");
        src.push_str("    public static explicit operator checked byte(V v) => 0;\n}\n");
        let f = facts(&src);
        let mut names: Vec<&str> = ops.iter().map(|o| o.2).collect();
        names.extend([
            "op_CheckedAddition",
            "op_Implicit",
            "op_Explicit",
            "op_CheckedExplicit",
        ]);
        let got: Vec<&str> = f.defs.iter().skip(1).map(|d| d.name.as_str()).collect();
        assert_eq!(got, names);
        // Whole def of one binary operator and one conversion.
        let mut add = func(
            "op_Addition",
            "V.op_Addition",
            Some(0),
            (3, 3),
            1,
            FunctionInfo {
                is_static: true,
                parameters: vec![p("a", "V"), p("b", "V")],
                ..ret("V")
            },
        );
        add.visibility = Some(s("public"));
        add.locals = vec![declared("a", "V"), declared("b", "V")];
        assert_eq!(f.defs[2], add);
        let mut implicit = func(
            "op_Implicit",
            "V.op_Implicit",
            Some(0),
            (28, 28),
            1,
            FunctionInfo {
                is_static: true,
                parameters: vec![p("v", "V")],
                ..ret("int")
            },
        );
        implicit.visibility = Some(s("public"));
        implicit.locals = vec![declared("v", "V")];
        assert_eq!(f.defs[27], implicit);
    }

    #[test]
    fn properties_with_bodies_and_auto_properties() {
        let src = "class C {
    public string Auto { get; set; }
    public int Init { get; init; } = 3;
    internal int Expr => _n;
    public int Acc {
        get { return _n > 0 ? _n : 0; }
        set => _n = value;
    }
    public static int Get { get => 1; }
    public Item Field { get { return field; } set; }
}
interface I { int P { get; } }
";
        let f = facts(src);
        let mut c = cls("C", "C", None, (1, 11), ClassKind::Class);
        c.class = Some(ClassInfo {
            kind: ClassKind::Class,
            bases: vec![],
            attributes: strs(&["Auto", "Init"]),
            field_types: vec![
                (s("Auto"), s("string")),
                (s("Init"), s("int")),
                (s("Expr"), s("int")),
                (s("Acc"), s("int")),
                (s("Get"), s("int")),
                (s("Field"), s("Item")),
            ],
        });
        let property = |ret_ty: &str| FunctionInfo {
            is_property: true,
            ..ret(ret_ty)
        };
        let mut i = cls("I", "I", None, (12, 12), ClassKind::Interface);
        i.class = Some(ClassInfo {
            kind: ClassKind::Interface,
            bases: vec![],
            attributes: strs(&["P"]),
            field_types: vec![(s("P"), s("int"))],
        });
        let expected = vec![
            c,
            Def {
                visibility: Some(s("internal")),
                ..func("Expr", "C.Expr", Some(0), (4, 4), 1, property("int"))
            },
            Def {
                visibility: Some(s("public")),
                ..func("Acc", "C.Acc", Some(0), (5, 8), 2, property("int"))
            },
            Def {
                visibility: Some(s("public")),
                ..func(
                    "Get",
                    "C.Get",
                    Some(0),
                    (9, 9),
                    1,
                    FunctionInfo {
                        is_static: true,
                        ..property("int")
                    },
                )
            },
            Def {
                visibility: Some(s("public")),
                ..func("Field", "C.Field", Some(0), (10, 10), 1, property("Item"))
            },
            i,
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(f.type_refs, vec![tref(Some(4), "Item", 10)]);
    }

    #[test]
    fn indexers_are_item() {
        let src = "class L {
    public Item this[int i] { get { return items[i]; } }
    public int this[string k, params int[] rest] => 0;
}
interface IL { Item this[int i] { get; } }
";
        let f = facts(src);
        let mut il = cls("IL", "IL", None, (5, 5), ClassKind::Interface);
        il.class.as_mut().unwrap().attributes = strs(&["Item"]);
        let expected = vec![
            cls("L", "L", None, (1, 4), ClassKind::Class),
            Def {
                visibility: Some(s("public")),
                locals: vec![declared("i", "int")],
                ..func(
                    "Item",
                    "L.Item",
                    Some(0),
                    (2, 2),
                    1,
                    FunctionInfo {
                        is_property: true,
                        parameters: vec![p("i", "int")],
                        ..ret("Item")
                    },
                )
            },
            Def {
                visibility: Some(s("public")),
                locals: vec![declared("k", "string"), declared("rest", "int[]")],
                ..func(
                    "Item",
                    "L.Item",
                    Some(0),
                    (3, 3),
                    1,
                    FunctionInfo {
                        is_property: true,
                        parameters: vec![
                            p("k", "string"),
                            Param {
                                variadic: true,
                                ..p("rest", "int[]")
                            },
                        ],
                        ..ret("int")
                    },
                )
            },
            il,
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(
            f.type_refs,
            vec![tref(Some(1), "Item", 2), tref(Some(3), "Item", 5)]
        );
    }

    #[test]
    fn local_functions_are_nested_defs() {
        let src = "class C {
    void M() {
        int Twice(int x) {
            static int Inner(int y) => y;
            return Inner(x) * 2;
        }
        Func<int, int> f = z => { int InLambda() => 1; return InLambda(); };
        Twice(1);
    }
}
";
        let f = facts(src);
        let expected = vec![
            cls("C", "C", None, (1, 10), ClassKind::Class),
            Def {
                locals: vec![declared("f", "Func<int, int>"), unknown("z")],
                ..func("M", "C.M", Some(0), (2, 9), 1, ret("void"))
            },
            Def {
                locals: vec![declared("x", "int")],
                ..func(
                    "Twice",
                    "C.M.Twice",
                    Some(1),
                    (3, 6),
                    1,
                    FunctionInfo {
                        is_method: false,
                        parameters: vec![p("x", "int")],
                        ..ret("int")
                    },
                )
            },
            Def {
                locals: vec![declared("y", "int")],
                ..func(
                    "Inner",
                    "C.M.Twice.Inner",
                    Some(2),
                    (4, 4),
                    1,
                    FunctionInfo {
                        is_method: false,
                        is_static: true,
                        parameters: vec![p("y", "int")],
                        ..ret("int")
                    },
                )
            },
            func(
                "InLambda",
                "C.M.InLambda",
                Some(1),
                (7, 7),
                1,
                FunctionInfo {
                    is_method: false,
                    ..ret("int")
                },
            ),
        ];
        assert_eq!(f.defs, expected);
        assert_eq!(
            f.calls,
            vec![
                call(Some(2), Callee::Bare(s("Inner")), 5),
                call(Some(1), Callee::Bare(s("InLambda")), 7),
                call(Some(1), Callee::Bare(s("Twice")), 8),
            ]
        );
        assert_eq!(f.type_refs, vec![tref(Some(1), "Func", 7)]);
    }

    #[test]
    fn delegates_lambdas_and_anonymous_methods_are_transparent() {
        let src = "delegate Result Handler<T>(T item, Order o);
class C {
    public delegate void Changed(Item i);
    void M() {
        Action a = delegate (int n) { if (n > 0) Go(n); };
        Func<Order, bool> p = (Order o) => o.Ok() && true;
        Func<int, int> q = x => x ?? 0;
    }
}
";
        let f = facts(src);
        assert_eq!(
            shape(&f),
            vec![
                ("C", DefKind::Class, None),
                ("C.M", DefKind::Function, Some(0)),
            ]
        );
        // Complexity of the lambdas and the anonymous method belongs to M.
        assert_eq!(f.defs[1].complexity, 4);
        assert_eq!(
            f.defs[1].locals,
            vec![
                declared("a", "Action"),
                declared("n", "int"),
                declared("p", "Func<Order, bool>"),
                declared("o", "Order"),
                declared("q", "Func<int, int>"),
                unknown("x"),
            ]
        );
        assert_eq!(
            f.calls,
            vec![
                call(Some(1), Callee::Bare(s("Go")), 5),
                call(Some(1), member(Receiver::Ident(s("o")), "Ok"), 6),
            ]
        );
        assert_eq!(
            f.type_refs,
            vec![
                // Delegate signatures: owner = the enclosing def; type parameters skipped.
                tref(None, "Result", 1),
                tref(None, "Order", 1),
                tref(Some(0), "Item", 3),
                tref(Some(1), "Action", 5),
                tref(Some(1), "Func", 6),
                tref(Some(1), "Order", 6),
                tref(Some(1), "Order", 6),
                tref(Some(1), "Func", 7),
            ]
        );
    }

    // --- §6 complexity ---------------------------------------------------------------------

    /// Complexity of `M` whose body is `body`.
    fn complexity_of(body: &str) -> u32 {
        let f = facts(&format!(
            "class C {{\n    void M() {{\n{body}\n    }}\n}}\n"
        ));
        by_qname(&f, "C.M").complexity
    }

    #[test]
    fn complexity_each_node_kind_of_the_csharp_row() {
        let cases: &[(&str, &str, u32)] = &[
            ("empty body", "", 1),
            ("if_statement", "if (a) { } else { }", 2),
            ("else if", "if (a) { } else if (b) { }", 3),
            ("for_statement", "for (int i = 0; i < n; i++) { }", 2),
            ("foreach_statement", "foreach (var x in xs) { }", 2),
            ("while_statement", "while (a) { }", 2),
            ("do_statement", "do { } while (a);", 2),
            (
                "switch_section (not default)",
                "switch (x) { case 1: break; case 2: case 3: break; default: break; }",
                4,
            ),
            (
                "switch_section with a pattern and when",
                "switch (o) { case int i when i > 0: break; }",
                2,
            ),
            (
                "switch_expression_arm",
                "var r = x switch { 1 => a, 2 => b, _ => c };",
                3,
            ),
            (
                "discard arm with when counts",
                "var r = x switch { 1 => a, _ when y => b, _ => c };",
                3,
            ),
            (
                "catch_clause",
                "try { } catch (IOException) { } catch { } finally { }",
                3,
            ),
            ("conditional_expression", "var r = a ? b : c;", 2),
            ("&&", "var r = a && b;", 2),
            ("||", "var r = a || b || c;", 3),
            ("??", "var r = a ?? b;", 2),
            (
                "not counted: & | ?. ??= is-or",
                "var r = a & b | c; x?.Go(); y ??= z; var t = o is 1 or 2;",
                1,
            ),
            (
                "lambda body counts",
                "Func<int, int> f = x => x > 0 ? 1 : 0;",
                2,
            ),
            (
                "local function body does not count",
                "int L() { if (a) { } return 0; }",
                1,
            ),
        ];
        for (what, body, expected) in cases {
            assert_eq!(complexity_of(body), *expected, "{what}");
        }
    }

    #[test]
    fn complexity_zero_for_classes_and_bodiless_defs() {
        let f = facts(
            "interface I { int M(int a); }\nabstract class A { int x = a ? 1 : 2; public abstract void N(); }\n",
        );
        assert_eq!(
            complexities(&f),
            vec![("I", 0), ("I.M", 0), ("A", 0), ("A.N", 0)]
        );
        assert!(!f.defs[1].has_body && !f.defs[3].has_body);
    }

    // --- §5.5 properties -------------------------------------------------------------------

    #[test]
    fn decorators_are_attribute_names_as_written() {
        let src = "[Serializable, Obsolete(\"x\")]
[System.Diagnostics.DebuggerDisplay(\"{Name}\")]
[Generic<int>]
class C {
    [HttpGet(\"/a\")]
    [return: NotNull]
    public string Get([FromBody] string s) => s;
}
";
        let f = facts(src);
        assert_eq!(
            f.defs[0].decorators,
            strs(&[
                "Serializable",
                "Obsolete",
                "System.Diagnostics.DebuggerDisplay",
                "Generic"
            ])
        );
        assert_eq!((f.defs[0].line_start, f.defs[0].line_end), (1, 8));
        // Parameter attributes are not the method's; line_start includes attribute lists.
        assert_eq!(f.defs[1].decorators, strs(&["HttpGet", "NotNull"]));
        assert_eq!((f.defs[1].line_start, f.defs[1].line_end), (5, 7));
    }

    #[test]
    fn visibility_from_explicit_modifiers() {
        let src = "class C {
    public void A() { }
    private void B() { }
    protected void D() { }
    internal void E() { }
    protected internal void F() { }
    internal protected void G() { }
    private protected void H() { }
    void I() { }
    static public void J() { }
}
";
        let f = facts(src);
        let got: Vec<(&str, Option<&str>)> = f
            .defs
            .iter()
            .map(|d| (d.name.as_str(), d.visibility.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("C", None),
                ("A", Some("public")),
                ("B", Some("private")),
                ("D", Some("protected")),
                ("E", Some("internal")),
                ("F", Some("protected")),
                ("G", Some("protected")),
                ("H", Some("private")),
                ("I", None),
                ("J", Some("public")),
            ]
        );
        assert!(fn_info(&f.defs[9]).is_static);
    }

    #[test]
    fn attributes_fields_auto_properties_events_enum_members() {
        let src = "class C {
    private int _a, _b = 2;
    public const string K = \"k\";
    public event EventHandler Changed;
    public event EventHandler<Args> Custom { add { Hook(); } remove { } }
    public List<Item> Items { get; } = new();
    public int Computed => _a;
    private int _a;
    static readonly Dictionary<string, Item> Cache = new Dictionary<string, Item>();
}
enum Color { Red, Green = 2, Blue }
";
        let f = facts(src);
        assert_eq!(
            *class_info(&f.defs[0]),
            ClassInfo {
                kind: ClassKind::Class,
                bases: vec![],
                attributes: strs(&["_a", "_b", "K", "Changed", "Custom", "Items", "Cache"]),
                field_types: vec![
                    (s("_a"), s("int")),
                    (s("_b"), s("int")),
                    (s("K"), s("string")),
                    (s("Changed"), s("EventHandler")),
                    (s("Custom"), s("EventHandler<Args>")),
                    (s("Items"), s("List<Item>")),
                    (s("Computed"), s("int")),
                    (s("Cache"), s("Dictionary<string, Item>")),
                ],
            }
        );
        assert_eq!(
            *class_info(&f.defs[2]),
            ClassInfo {
                kind: ClassKind::Enum,
                bases: vec![],
                attributes: strs(&["Red", "Green", "Blue"]),
                field_types: vec![],
            }
        );
        // Event accessor code belongs to the class.
        assert_eq!(f.calls[0], call(Some(0), Callee::Bare(s("Hook")), 5));
        // Field / event / property types: owner = the class.
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(0), "EventHandler", 4),
                tref(Some(0), "EventHandler", 5),
                tref(Some(0), "Args", 5),
                tref(Some(0), "List", 6),
                tref(Some(0), "Item", 6),
                tref(Some(0), "Dictionary", 9),
                tref(Some(0), "Item", 9),
            ]
        );
    }

    #[test]
    fn bases_type_arguments_removed_qualification_kept() {
        let src = "class A : Base<T>, Acme.Core.IRepo<Item>, global::System.IDisposable { }
enum E : byte { X }
record R(int X) : Rec(X), IEquatable<R>;
class P(int x) : Q(x) { }
interface I : IA, IB { }
";
        let f = facts(src);
        let bases: Vec<Vec<Base>> = f.defs.iter().map(|d| class_info(d).bases.clone()).collect();
        assert_eq!(
            bases,
            vec![
                vec![
                    base("Base", 1),
                    base("Acme.Core.IRepo", 1),
                    base("System.IDisposable", 1)
                ],
                vec![],
                vec![base("Rec", 3), base("IEquatable", 3)],
                vec![base("Q", 4)],
                vec![base("IA", 5), base("IB", 5)],
            ]
        );
    }

    // --- §5.6 docstrings -------------------------------------------------------------------

    #[test]
    fn docstrings_from_triple_slash_comments() {
        let src = "/// <summary>
/// Adds <paramref name=\"a\"/> to <see cref=\"T:Acme.Total\"/>.
///   Indented &lt;b&gt; line.
/// </summary>
/// <param name=\"a\">ignored</param>
[Obsolete]
class A {
    /// Plain text, <c>code</c> kept.
    public void B() { }

    /// Separated by a blank line: still attached.

    public void C() { }

    /// Orphan: a field comes between.
    int _x;
    public void C2() { }

    // A regular comment.
    public void D() { }

    /** Block comments are not docstrings. */
    public void E() { }

    /// <remarks>No summary: all text.</remarks>
    /// Second line.
    public int P => 1;
    /// <summary></summary>
    public void F() { }
}
";
        let f = facts(src);
        let docs: Vec<(&str, Option<&str>)> = f
            .defs
            .iter()
            .map(|d| (d.name.as_str(), d.docstring.as_deref()))
            .collect();
        assert_eq!(
            docs,
            vec![
                ("A", Some("Adds a to Acme.Total.\n  Indented <b> line.")),
                ("B", Some("Plain text, code kept.")),
                ("C", Some("Separated by a blank line: still attached.")),
                ("C2", None),
                ("D", None),
                ("E", None),
                ("P", Some("No summary: all text.\nSecond line.")),
                ("F", None),
            ]
        );
        assert_eq!(f.docstring, None, "no module docstring");
    }

    // --- §5.3 overloads, nesting -----------------------------------------------------------

    #[test]
    fn overloads_are_separate_defs_with_one_qname() {
        let src = "class C {
    public void Go() { }
    public void Go(int a) { if (a > 0) { } }
    public void Go(string s, int n = 5) => Go(n);
}
";
        let f = facts(src);
        assert_eq!(
            shape(&f),
            vec![
                ("C", DefKind::Class, None),
                ("C.Go", DefKind::Function, Some(0)),
                ("C.Go", DefKind::Function, Some(0)),
                ("C.Go", DefKind::Function, Some(0)),
            ]
        );
        assert_eq!(complexities(&f)[2], ("C.Go", 2));
        assert_eq!(
            fn_info(&f.defs[3]).parameters,
            vec![
                p("s", "string"),
                Param {
                    default: Some(s("5")),
                    ..p("n", "int")
                }
            ]
        );
    }

    #[test]
    fn nested_types_and_qnames() {
        let src = "class Outer {
    class Inner {
        struct Deep { void M() { } }
        Inner() { }
    }
    enum Kind { A }
    interface IX { void N(); }
}
";
        let f = facts(src);
        assert_eq!(
            shape(&f),
            vec![
                ("Outer", DefKind::Class, None),
                ("Outer.Inner", DefKind::Class, Some(0)),
                ("Outer.Inner.Deep", DefKind::Class, Some(1)),
                ("Outer.Inner.Deep.M", DefKind::Function, Some(2)),
                ("Outer.Inner.Inner", DefKind::Function, Some(1)),
                ("Outer.Kind", DefKind::Class, Some(0)),
                ("Outer.IX", DefKind::Class, Some(0)),
                ("Outer.IX.N", DefKind::Function, Some(6)),
            ]
        );
        assert!(fn_info(&f.defs[4]).is_constructor);
    }

    // --- namespaces, partials, records, top-level statements -------------------------------

    #[test]
    fn block_namespaces_compose_and_set_def_namespace() {
        let src = "namespace Acme.Billing {
    namespace Core {
        class A { }
    }
    class B { void M() { } }
}
namespace Acme.Billing { class C { } }
class G { }
namespace Other { }
";
        let f = facts(src);
        assert_eq!(
            f.namespaces,
            strs(&["Acme.Billing", "Acme.Billing.Core", "Other"])
        );
        let ns: Vec<(&str, Option<&str>)> = f
            .defs
            .iter()
            .map(|d| (d.qname.as_str(), d.namespace.as_deref()))
            .collect();
        assert_eq!(
            ns,
            vec![
                ("A", Some("Acme.Billing.Core")),
                ("B", Some("Acme.Billing")),
                ("B.M", Some("Acme.Billing")),
                ("C", Some("Acme.Billing")),
                ("G", None),
            ]
        );
        assert_eq!(f.package, None);
    }

    #[test]
    fn file_scoped_namespace_covers_the_rest_of_the_file() {
        let src = "using System;\nnamespace Acme.Core;\nclass A { }\ninterface IB { void M(); }\n";
        let f = facts(src);
        assert_eq!(f.namespaces, strs(&["Acme.Core"]));
        assert!(f
            .defs
            .iter()
            .all(|d| d.namespace.as_deref() == Some("Acme.Core")));
        assert_eq!(f.defs.len(), 3);
    }

    #[test]
    fn partial_classes_give_one_def_per_declaration() {
        let src = "namespace N {
    public partial class P { public void A() { } }
    partial class P { void B() { } }
}
";
        let f = facts(src);
        assert_eq!(
            shape(&f),
            vec![
                ("P", DefKind::Class, None),
                ("P.A", DefKind::Function, Some(0)),
                ("P", DefKind::Class, None),
                ("P.B", DefKind::Function, Some(2)),
            ]
        );
        assert!(f.defs.iter().all(|d| d.namespace.as_deref() == Some("N")));
        assert_eq!(f.defs[0].visibility.as_deref(), Some("public"));
        assert_eq!(f.defs[2].visibility, None);
    }

    #[test]
    fn records_positional_parameters_are_attributes() {
        let src = "public record Person(string Name, Address Home) : Entity
{
    public int Age { get; init; }
    public string Greet() => $\"Hi {Name}\";
}
record struct Point(int X, int Y);
";
        let f = facts(src);
        let mut person = cls("Person", "Person", None, (1, 5), ClassKind::Record);
        person.visibility = Some(s("public"));
        person.class = Some(ClassInfo {
            kind: ClassKind::Record,
            bases: vec![base("Entity", 1)],
            attributes: strs(&["Name", "Home", "Age"]),
            field_types: vec![
                (s("Name"), s("string")),
                (s("Home"), s("Address")),
                (s("Age"), s("int")),
            ],
        });
        let mut point = cls("Point", "Point", None, (6, 6), ClassKind::Record);
        point.class = Some(ClassInfo {
            kind: ClassKind::Record,
            bases: vec![],
            attributes: strs(&["X", "Y"]),
            field_types: vec![(s("X"), s("int")), (s("Y"), s("int"))],
        });
        assert_eq!(f.defs[0], person);
        assert_eq!(f.defs[2], point);
        assert_eq!(f.defs[1].qname, "Person.Greet");
        assert_eq!(f.type_refs, vec![tref(Some(0), "Address", 1)]);
    }

    #[test]
    fn top_level_statements_belong_to_the_module() {
        let src = "using System;
var app = new App(args);
Item first = app.First();
app.Run();
if (app.Ok) Console.WriteLine(Format(first));
static string Format(Item i) => i.ToString();
class App { }
";
        let f = facts(src);
        assert_eq!(
            shape(&f),
            vec![
                ("Format", DefKind::Function, None),
                ("App", DefKind::Class, None),
            ]
        );
        let format = &f.defs[0];
        assert!(!fn_info(format).is_method && fn_info(format).is_static);
        assert!(format.locals == vec![declared("i", "Item")]);
        assert_eq!(
            f.calls,
            vec![
                call(None, Callee::New(s("App")), 2),
                call(None, member(Receiver::Ident(s("app")), "First"), 3),
                call(None, member(Receiver::Ident(s("app")), "Run"), 4),
                call(None, member(Receiver::Ident(s("Console")), "WriteLine"), 5),
                call(None, Callee::Bare(s("Format")), 5),
                call(Some(0), member(Receiver::Ident(s("i")), "ToString"), 6),
            ]
        );
        assert_eq!(
            f.type_refs,
            vec![tref(None, "Item", 3), tref(Some(0), "Item", 6)]
        );
    }

    // --- §7 imports ------------------------------------------------------------------------

    #[test]
    fn using_directives_every_form() {
        let src = "global using System;
global using static System.Math;
using static Acme.Util.Strings;
using Col = System.Collections.Generic;
using Map = System.Collections.Generic.Dictionary<string, int>;
using global::Acme.Core;
using Point = (int X, int Y);
namespace N {
    using Inner.Stuff;
}
";
        let f = facts(src);
        assert_eq!(
            f.imports,
            vec![
                using("System", None, false, 1),
                using("System.Math", None, true, 2),
                using("Acme.Util.Strings", None, true, 3),
                using("System.Collections.Generic", Some("Col"), false, 4),
                using(
                    "System.Collections.Generic.Dictionary",
                    Some("Map"),
                    false,
                    5
                ),
                using("Acme.Core", None, false, 6),
                using("Inner.Stuff", None, false, 9),
            ]
        );
        // Names in using directives are not referenced types.
        assert!(f.referenced_types.is_empty());
    }

    // --- calls -----------------------------------------------------------------------------

    #[test]
    fn call_forms() {
        let src = "class C : B {
    void M(Repo r) {
        Go();
        Go<int>();
        this.Go();
        base.Go();
        r.Find();
        _repo.All();
        r?.Find();
        this.item.Save();
        this.a.b.Go();
        a.b.Go();
        global::System.Console.WriteLine();
        new Item().Save();
        (new Item()).Save();
        new Acme.Item<int>(1);
        Item x = new();
        Factory.Create().Save();
        Cache<int>.Clear();
        string.Join(\",\", xs);
        items[0].Go();
        nameof(M);
        r
          .Find();
        var t = new int[3];
    }
}
";
        let f = facts(src);
        let m = Some(1);
        let ident = |x: &str| Receiver::Ident(s(x));
        assert_eq!(
            f.calls,
            vec![
                call(m, Callee::Bare(s("Go")), 3),
                call(m, Callee::Bare(s("Go")), 4),
                call(m, Callee::SelfMember(s("Go")), 5),
                call(m, Callee::SuperMember(s("Go")), 6),
                call(m, member(ident("r"), "Find"), 7),
                call(m, member(ident("_repo"), "All"), 8),
                call(m, member(ident("r"), "Find"), 9),
                call(m, member(Receiver::SelfField(s("item")), "Save"), 10),
                call(m, member(Receiver::Other, "Go"), 11),
                call(m, member(Receiver::Path(strs(&["a", "b"])), "Go"), 12),
                call(
                    m,
                    member(Receiver::Path(strs(&["System", "Console"])), "WriteLine"),
                    13
                ),
                call(m, member(Receiver::NewOf(s("Item")), "Save"), 14),
                call(m, Callee::New(s("Item")), 14),
                call(m, member(Receiver::NewOf(s("Item")), "Save"), 15),
                call(m, Callee::New(s("Item")), 15),
                call(m, Callee::New(s("Acme.Item")), 16),
                call(m, member(Receiver::Other, "Save"), 18),
                call(m, member(ident("Factory"), "Create"), 18),
                call(m, member(ident("Cache"), "Clear"), 19),
                call(m, member(Receiver::Other, "Join"), 20),
                call(m, member(Receiver::Other, "Go"), 21),
                call(m, member(ident("r"), "Find"), 24),
            ]
        );
    }

    #[test]
    fn callers_module_class_and_functions() {
        let src = "Boot();
class C {
    static Log log = Logs.Get();
    Item item = new Item();
    int P { get { return Compute(); } }
    void M() { Action a = () => Run(); }
}
";
        let f = facts(src);
        assert_eq!(
            f.calls,
            vec![
                call(None, Callee::Bare(s("Boot")), 1),
                call(Some(0), member(Receiver::Ident(s("Logs")), "Get"), 3),
                call(Some(0), Callee::New(s("Item")), 4),
                call(Some(1), Callee::Bare(s("Compute")), 5),
                call(Some(2), Callee::Bare(s("Run")), 6),
            ]
        );
    }

    // --- type references and referenced types ----------------------------------------------

    #[test]
    fn type_reference_forms() {
        let src = "class C<T> {
    public Dictionary<string, List<Order>> M<U>(
        model.Item item, T t, U u, Order? o, Order[] arr, (Item a, int b) pair,
        ref Acme.Core.Repo<Order>.Page p, int* ptr, global::Acme.Item g, object x, dynamic d)
    {
        var v = 1;
        Invoice inv = null;
        foreach (Line l in inv.Lines) { }
        try { } catch (BillingException e) { }
        if (x is Paid paid) { }
        Parse(out Result res);
        return null;
    }
}
";
        let f = facts(src);
        let m = Some(1);
        assert_eq!(
            f.type_refs,
            vec![
                tref(m, "Dictionary", 2),
                tref(m, "List", 2),
                tref(m, "Order", 2),
                tref(m, "model.Item", 3),
                tref(m, "Order", 3),
                tref(m, "Order", 3),
                tref(m, "Item", 3),
                tref(m, "Acme.Core.Repo.Page", 4),
                tref(m, "Order", 4),
                tref(m, "Acme.Item", 4),
                tref(m, "Invoice", 7),
                tref(m, "Line", 8),
                tref(m, "BillingException", 9),
                tref(m, "Paid", 10),
                tref(m, "Result", 11),
            ]
        );
    }

    #[test]
    fn referenced_types_simple_names_everywhere() {
        let src = "using Acme.Core;
[Service]
class C<T> : Base<Item>, IRepo where T : IEntity {
    [Inject] private ILogger _log;
    Order Make(Customer c) {
        var x = (Invoice)c.Get(typeof(Money), default(Tax));
        var y = c as Payable;
        var z = new Receipt<Line>();
        var w = Helpers.Format(x);
        var q = helpers.Format(y);
        var k = Acme.Models.Thing.Create();
        Go<Widget>();
        if (x is Paid p) { }
        return new Acme.Order();
    }
}
";
        let f = facts(src);
        // Not: `Go` (a generic call), `C` (declared, not referenced), `T` (type parameter),
        // `helpers` (lower-case receiver), qualified names, `using` targets.
        assert_eq!(
            f.referenced_types,
            strs(&[
                "Base",
                "Customer",
                "Helpers",
                "IEntity",
                "ILogger",
                "IRepo",
                "Inject",
                "InjectAttribute",
                "Invoice",
                "Item",
                "Line",
                "Money",
                "Order",
                "Paid",
                "Payable",
                "Receipt",
                "Service",
                "ServiceAttribute",
                "Tax",
                "Widget",
            ])
        );
    }

    // --- local typing and field types ------------------------------------------------------

    #[test]
    fn locals_declared_ctor_unknown() {
        let src = "class C {
    void M(Repo repo, int n, params Item[] rest) {
        var a = new Service();
        var b = new Acme.Cache<Item>(3);
        var c = Factory.Make();
        Order d = Load();
        Order e = new();
        foreach (Line l in d.Lines) { }
        foreach (var m in d.Lines) { }
        var (x, y) = Pair();
        a = new Other();
        var a = new Service();
        { var dup = new One(); }
        { var dup = new Two(); }
        { Line l = null; }
        Func<Item, bool> pred = (Item it) => it.Ok;
        xs.Select(v => v);
        if (Try(out var o1, out Order o2)) { }
        if (obj is Invoice inv) { }
        try { } catch (IOException io) { }
        using (var s = new Stream()) { }
        for (int i = 0; i < n; i++) { }
    }
}
";
        let f = facts(src);
        assert_eq!(
            f.defs[1].locals,
            vec![
                declared("repo", "Repo"),
                declared("n", "int"),
                declared("rest", "Item[]"),
                ctor("a", "Service"),
                ctor("b", "Acme.Cache"),
                unknown("c"),
                declared("d", "Order"),
                declared("e", "Order"),
                declared("l", "Line"),
                unknown("m"),
                unknown("x"),
                unknown("y"),
                // `a = new Other()` is an assignment: no entry (static typing); the second
                // identical declaration of `a` adds nothing either.
                ctor("dup", "One"),
                unknown("dup"),
                declared("pred", "Func<Item, bool>"),
                declared("it", "Item"),
                unknown("v"),
                unknown("o1"),
                declared("o2", "Order"),
                declared("inv", "Invoice"),
                declared("io", "IOException"),
                ctor("s", "Stream"),
                declared("i", "int"),
            ]
        );
    }

    #[test]
    fn field_types_from_declarations_and_constructor_assignments() {
        let src = "class Svc {
    public Svc(IRepo repo, ILog log, Clock clock, Bus bus, int n) {
        _repo = repo;
        this.log = log;
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Count = n;
        var local = bus;
        local = bus;
        _bus = Wrap(bus);
    }
    public Svc(Cache cache) => _cache = cache;
    private readonly IRepo _repo;
    private Logger log;
}
class Prim(IStore store, int size) { }
";
        let f = facts(src);
        assert_eq!(
            class_info(&f.defs[0]).field_types,
            vec![
                (s("_repo"), s("IRepo")),
                // Declared later: the declared type replaces the parameter's.
                (s("log"), s("Logger")),
                (s("_clock"), s("Clock")),
                (s("Count"), s("int")),
                (s("_cache"), s("Cache")),
            ]
        );
        assert_eq!(class_info(&f.defs[0]).attributes, strs(&["_repo", "log"]));
        // Primary-constructor parameters of classes: field types only.
        assert_eq!(
            *class_info(&f.defs[3]),
            ClassInfo {
                kind: ClassKind::Class,
                bases: vec![],
                attributes: vec![],
                field_types: vec![(s("store"), s("IStore")), (s("size"), s("int"))],
            }
        );
    }

    // --- robustness ------------------------------------------------------------------------

    #[test]
    fn syntax_errors_keep_readable_defs() {
        // The class survives: every member whose name can be read is extracted.
        let src = "namespace N {
class Good {
    void Ok() { Run(); }
    void Broken() { if (x }
    int Field = ;
    void Later(int a) { }
}
}
";
        let f = facts(src);
        assert_eq!(
            shape(&f),
            vec![
                ("Good", DefKind::Class, None),
                ("Good.Ok", DefKind::Function, Some(0)),
                ("Good.Broken", DefKind::Function, Some(0)),
                ("Good.Later", DefKind::Function, Some(0)),
            ]
        );
        assert_eq!(class_info(&f.defs[0]).attributes, strs(&["Field"]));
        assert_eq!(f.calls, vec![call(Some(1), Callee::Bare(s("Run")), 3)]);
        assert_eq!(f.parse_errors, 0, "left to the caller");

        // Here the grammar's recovery swallows the class header into an ERROR node: its
        // methods are still read (as top-level functions), and so is the next class.
        let src = "namespace N {
class Good {
    void Ok() { Run(); }
    void Broken( { if (x) }
    int Field = ;
}
class After { void Fine() { } }
";
        let f = facts(src);
        assert_eq!(
            shape(&f),
            vec![
                ("Ok", DefKind::Function, None),
                ("Broken", DefKind::Function, None),
                ("After", DefKind::Class, None),
                ("After.Fine", DefKind::Function, Some(2)),
            ]
        );
        assert_eq!(f.calls, vec![call(Some(0), Callee::Bare(s("Run")), 3)]);
    }

    #[test]
    fn never_panics_on_broken_input() {
        let samples: Vec<&[u8]> = vec![
            b"",
            b"class",
            b"class { void () { } }",
            b"namespace ;\nnamespace A.;\nusing ;\nusing X = ;\nusing static ;",
            b"public static V operator (V a) => a;",
            b"class C { ~() {} this[] { get; } operator implicit (",
            b"/// <summary\n/// unterminated <see cref=\"\nclass D { }",
            b"class E { E() : base( { } E() : this }",
            b"x?.; a?.b?.(); new (); new int[]; global::; @",
            b"class F { void M() { var (a, = ; foreach (var in ) { } catch ( } }",
            b"record R(int",
            b"class \xff\xfe { void \xc3(\xff x) { \xff.\xfe(); } }",
        ];
        for src in samples {
            let _ = facts_bytes(src);
        }
        // Every 37th prefix of the spec example and of a construct-rich sample.
        let rich = include_str!("csharp.rs");
        let start = rich.find("class C : B {\n    void M(Repo r)").unwrap_or(0);
        let chunk = &rich.as_bytes()[start..(start + 2500).min(rich.len())];
        for end in (0..chunk.len()).step_by(37) {
            let _ = facts_bytes(&chunk[..end]);
        }
        let spec = SPEC_13_7.as_bytes();
        for end in 0..spec.len() {
            let _ = facts_bytes(&spec[..end]);
        }
    }

    #[test]
    fn empty_file() {
        assert_eq!(facts(""), FileFacts::default());
        assert_eq!(facts("\n\n// only a comment\n"), FileFacts::default());
    }

    #[test]
    fn non_utf8_bytes_are_decoded_lossily() {
        // Invalid bytes are ERROR tokens for the grammar (never part of an identifier); text
        // taken into the facts (docstrings, defaults) is decoded lossily.
        let src =
            b"/// Doc \xff here\nclass A\xff { void M(string s = \"\xfe\") { b.G\xff(); } }\n";
        let f = facts_bytes(src);
        assert_eq!(
            shape(&f),
            vec![
                ("A", DefKind::Class, None),
                ("A.M", DefKind::Function, Some(0)),
            ]
        );
        assert_eq!(f.defs[0].docstring.as_deref(), Some("Doc \u{fffd} here"));
        assert_eq!(
            fn_info(&f.defs[1]).parameters,
            vec![Param {
                default: Some(s("\"\u{fffd}\"")),
                ..p("s", "string")
            }]
        );
        assert_eq!(
            f.calls,
            vec![call(Some(1), member(Receiver::Ident(s("b")), "G"), 2)]
        );
    }

    /// Run `f` on a thread with a small stack: the walk must not recurse on tree depth.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let n = 10_000;
        // 10,000 nested blocks with an `if` each.
        let mut src = String::from("class C { void M() {\n");
        for _ in 0..n {
            src.push_str("if (a) {");
        }
        src.push_str("Go();");
        for _ in 0..n {
            src.push('}');
        }
        src.push_str("\n} }\n");
        // Parse on the normal stack; extract on a small one.
        let bytes = src.into_bytes();
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_c_sharp::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(&bytes, None).unwrap();
        let f = on_small_stack(move || extract(&tree, &bytes));
        assert_eq!(f.defs[1].complexity, n + 1);
        assert_eq!(f.calls, vec![call(Some(1), Callee::Bare(s("Go")), 2)]);

        // 10,000-deep expressions: a `&&` chain, nested parentheses, a member chain and a
        // nested generic type.
        let chain = vec!["a"; n as usize].join(" && ");
        let parens = format!("{}x{}", "(".repeat(n as usize), ")".repeat(n as usize));
        let members = format!("r{}", ".m".repeat(n as usize));
        let generic = format!("{}int{}", "L<".repeat(2000), ">".repeat(2000));
        let src = format!(
            "class C {{ {generic} M() {{ var b = {chain}; var p = {parens}; {members}.Go(); }} }}\n"
        );
        let bytes = src.into_bytes();
        let tree = parser.parse(&bytes, None).unwrap();
        let f = on_small_stack(move || extract(&tree, &bytes));
        assert_eq!(f.defs[1].complexity, n);
        assert_eq!(
            f.calls,
            vec![call(Some(1), member(Receiver::Other, "Go"), 1)]
        );
        assert_eq!(f.type_refs.len(), 2000);
        assert_eq!(f.defs[1].locals, vec![unknown("b"), unknown("p")]);
    }

    #[test]
    fn parameters_all_forms() {
        let src = "static class X {
    public static void M(this string self, ref int a, out Item b, in Span<byte> c,
        [NotNull] Order o, int n = 10, string t = \"a   b\", Item? d = null,
        params object[] rest) { b = null; }
    void Long(string s = \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789xyz\") { }
}
";
        let f = facts(src);
        let m = &f.defs[1];
        assert_eq!(
            fn_info(m).parameters,
            vec![
                p("self", "string"),
                p("a", "int"),
                p("b", "Item"),
                p("c", "Span<byte>"),
                p("o", "Order"),
                Param {
                    default: Some(s("10")),
                    ..p("n", "int")
                },
                Param {
                    default: Some(s("\"a b\"")),
                    ..p("t", "string")
                },
                Param {
                    default: Some(s("null")),
                    ..p("d", "Item?")
                },
                Param {
                    variadic: true,
                    ..p("rest", "object[]")
                },
            ]
        );
        assert!(fn_info(m).is_static && fn_info(m).is_method);
        assert_eq!(m.locals.len(), 9);
        assert_eq!(m.locals[7], declared("d", "Item?"));
        assert_eq!(
            f.type_refs,
            vec![
                tref(Some(1), "Item", 2),
                tref(Some(1), "Span", 2),
                tref(Some(1), "Order", 3),
                tref(Some(1), "Item", 3),
            ]
        );
        let long = fn_info(&f.defs[2]).parameters[0].default.clone().unwrap();
        assert_eq!(long.chars().count(), 100);
    }
}
