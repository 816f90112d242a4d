//! `FileFacts`: everything the indexer learns from one file, as plain data.
//!
//! Extractors (`lang/*.rs`) turn a syntax tree into `FileFacts`; the resolver turns the facts of
//! every file into nodes and edges. No tree-sitter type appears here, so facts can be cached on
//! disk, compared in tests and re-resolved without re-parsing (`indexer.md` §1, §7).
//!
//! Conventions shared by every extractor:
//! * lines are 1-based;
//! * `defs` are in source order (order of their first line, then nesting: a parent precedes its
//!   children); `DefIdx` is an index into `defs`;
//! * a definition's `qname` is the dotted chain of enclosing named definitions and named scopes
//!   (`Outer.Inner.method`), see `mubase.md` §6.2. Duplicated qnames (overloads, getter/setter
//!   pairs, redefinitions) are emitted as separate defs; the graph builder merges them (§5.3);
//! * text taken from source (types, defaults, names) is whitespace-normalised where the spec
//!   says so, and decoded lossily.

use serde::{Deserialize, Serialize};

/// Index into [`FileFacts::defs`].
pub type DefIdx = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Language {
    Python,
    TypeScript,
    JavaScript,
    Go,
    Rust,
    Java,
    CSharp,
}

impl Language {
    /// The value stored in `properties.language` and `file_hashes.language`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::TypeScript => "typescript",
            Language::JavaScript => "javascript",
            Language::Go => "go",
            Language::Rust => "rust",
            Language::Java => "java",
            Language::CSharp => "csharp",
        }
    }

    /// The display name used by `codebase_stats.languages` (`mubase.md` §9.4).
    pub fn display_name(self) -> &'static str {
        match self {
            Language::Python => "Python",
            Language::TypeScript => "TypeScript",
            Language::JavaScript => "JavaScript",
            Language::Go => "Go",
            Language::Rust => "Rust",
            Language::Java => "Java",
            Language::CSharp => "C#",
        }
    }

    /// Language family for the unique-global rules (`indexer.md` §2): JS and TS share one.
    /// Families are numbered `0..FAMILIES`.
    pub fn family(self) -> usize {
        match self {
            Language::Python => 0,
            Language::TypeScript | Language::JavaScript => 1,
            Language::Go => 2,
            Language::Rust => 3,
            Language::Java => 4,
            Language::CSharp => 5,
        }
    }

    /// Number of language families.
    pub const FAMILIES: usize = 6;

    pub fn parse(s: &str) -> Option<Language> {
        match s {
            "python" => Some(Language::Python),
            "typescript" => Some(Language::TypeScript),
            "javascript" => Some(Language::JavaScript),
            "go" => Some(Language::Go),
            "rust" => Some(Language::Rust),
            "java" => Some(Language::Java),
            "csharp" => Some(Language::CSharp),
            _ => None,
        }
    }
}

/// Everything extracted from one source file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Number of `ERROR` plus `MISSING` nodes in the tree.
    pub parse_errors: u32,
    /// No tree could be produced (timeout or a caught panic): the module has no children.
    pub parse_failed: bool,
    /// Module docstring (Python: first statement string; TS/JS: none in this version).
    pub docstring: Option<String>,
    pub defs: Vec<Def>,
    pub imports: Vec<Import>,
    pub calls: Vec<CallSite>,
    pub type_refs: Vec<TypeRef>,
    /// Top-level names this file binds by assignment (`X = ...`, `const x = ...`, `export
    /// { a as b }` etc.), excluding definitions and imports. Used by Python `from pkg import n`
    /// ("`P/__init__` defines or imports n").
    pub top_level_names: Vec<String>,
    /// TS/JS `export default X` where X is a local identifier (not a definition named
    /// `default`): the name a default import binds to in this module.
    pub default_export: Option<String>,
    /// Go package clause name; Java `package` declaration (dotted). `None` elsewhere.
    pub package: Option<String>,
    /// C#: every namespace declared in the file (nested blocks composed `A.B`, file-scoped
    /// included), in source order, de-duplicated. Empty elsewhere.
    pub namespaces: Vec<String>,
    /// Go: every `X.Name` where `X` is a plain identifier (selector expressions and qualified
    /// types, anywhere in the file), as (X, Name), sorted and de-duplicated. Used for package-
    /// granular import edges (`indexer.md` §8.4).
    pub qualified_refs: Vec<(String, String)>,
    /// Java / C#: every simple (unqualified) type name the file references — in type positions,
    /// object creation, bases, annotations/attributes, and as the receiver of a static-looking
    /// call `T.m()` — sorted and de-duplicated. Used for on-demand / `using` imports (§8.6,
    /// §8.7). Empty elsewhere.
    pub referenced_types: Vec<String>,
    /// Rust `impl Trait for Type` blocks (the `inherits` edges of §5.4).
    pub impls: Vec<ImplFact>,
}

/// Rust `impl Trait for Type { … }` (`indexer.md` §5.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImplFact {
    /// The implementing type, type arguments and path stripped (`impl<T> a::Foo<T>` → `Foo`).
    pub type_name: String,
    /// The trait as written, type arguments removed, path kept (`fmt::Display`).
    pub trait_text: String,
    /// Line of the `impl` item (including outer attributes).
    pub line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefKind {
    Class,
    Function,
}

/// `properties.kind` of a class node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassKind {
    Class,
    Struct,
    Interface,
    Enum,
    Trait,
    Record,
}

impl ClassKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClassKind::Class => "class",
            ClassKind::Struct => "struct",
            ClassKind::Interface => "interface",
            ClassKind::Enum => "enum",
            ClassKind::Trait => "trait",
            ClassKind::Record => "record",
        }
    }
}

/// One definition: a class-like or a function-like node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Def {
    pub kind: DefKind,
    /// Bare name (`Inner`, `__init__`, `constructor`, `default`).
    pub name: String,
    /// Dotted qualified name within the file (`Outer.Inner.method`).
    pub qname: String,
    /// Nearest enclosing definition (class or function); `None` = the module. Named scopes that
    /// are transparent (TS namespaces) are skipped: they only contribute to `qname`.
    pub parent: Option<DefIdx>,
    /// First line including decorators; last line.
    pub line_start: u32,
    pub line_end: u32,
    /// Cyclomatic complexity (0 for classes and bodiless definitions), `indexer.md` §6.
    pub complexity: u32,
    /// False for signatures (TS overload signatures, interface methods, abstract methods).
    pub has_body: bool,
    pub decorators: Vec<String>,
    /// `public`/`private`/`protected`/`internal`, or `None` (Python, JavaScript, or TS without
    /// an explicit modifier).
    pub visibility: Option<String>,
    pub docstring: Option<String>,
    pub class: Option<ClassInfo>,
    pub function: Option<FunctionInfo>,
    /// Local typing facts of a function (parameters and locals), `indexer.md` §7.
    pub locals: Vec<LocalType>,
    /// Methods declared outside their type (`indexer.md` §5.4): the type they attach to —
    /// Go receiver type name (`Store` for `*Store`, `List` for `List[T]`), Rust impl type name
    /// (`Foo`). Such a def has `parent: None` and `qname` `Type.method`; the resolver decides
    /// which class node contains it. `None` for every other def (Rust trait methods are
    /// ordinary children of the trait).
    pub attach: Option<String>,
    /// C#: the namespace enclosing this definition (`Acme.Billing`), `None` when global or for
    /// other languages.
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassInfo {
    pub kind: ClassKind,
    /// Bases as written (type arguments removed), in source order.
    pub bases: Vec<Base>,
    /// Field/attribute names in source order, de-duplicated (the builder caps at 100).
    pub attributes: Vec<String>,
    /// Field types: field name -> type text (declared, or the declared type of the constructor
    /// parameter it is assigned from). Used for `self.x.f()` / `this.x.f()` call resolution.
    pub field_types: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Base {
    /// As written, type arguments removed (`models.Base`, `Repo`).
    pub text: String,
    pub relation: Relation,
    pub line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    Extends,
    Implements,
    Embeds,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Extends => "extends",
            Relation::Implements => "implements",
            Relation::Embeds => "embeds",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionInfo {
    pub is_method: bool,
    pub is_async: bool,
    pub is_static: bool,
    pub is_classmethod: bool,
    pub is_property: bool,
    pub is_constructor: bool,
    pub parameters: Vec<Param>,
    pub return_type: Option<String>,
    /// Go receiver as written (`*Store`, `s List[T]` → `List[T]`): `properties.receiver`.
    pub receiver: Option<String>,
}

/// `mubase.md` §7.3.1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub type_: Option<String>,
    pub default: Option<String>,
    pub variadic: bool,
    pub keyword: bool,
}

/// What a local variable or parameter of a function is known to hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalType {
    pub name: String,
    pub ty: LocalTy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LocalTy {
    /// Declared type text (`x: T`, `let x: T`, typed parameter), nullability markers kept as
    /// written; the resolver strips them.
    Declared(String),
    /// Assigned exactly once, from a constructor call of this class text (`C()`, `new C()`).
    Ctor(String),
    /// Assigned more than once or from something else: the type is unknown. Emitted so that a
    /// later `Ctor` for the same name is invalidated deterministically.
    Unknown,
}

/// One import-like statement (`indexer.md` §7, §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// The specifier as written: `.models`, `shop.repo`, `./util`, `@lib/log`, `express`.
    pub specifier: String,
    pub kind: ImportKind,
    /// Imported names with their local bindings. `*` for star imports, `default` for a default
    /// import. Empty for a plain module import.
    pub names: Vec<ImportedName>,
    /// Local name bound to the whole module (`import a.b as c`, `import * as ns`,
    /// `const x = require("x")`), else `None`.
    pub alias: Option<String>,
    pub line: u32,
    pub type_only: bool,
    /// `import("x")`, `importlib.import_module("x")`, `__import__("x")` with a literal.
    pub dynamic: bool,
    /// `export … from` (TS/JS): the names are re-exported by this module. Rust `pub use`.
    pub reexport: bool,
    /// Java `import static`, C# `using static`.
    pub is_static: bool,
    /// Rust: the inline `mod` path enclosing the `use`/`mod` item (`["tests"]`), outermost
    /// first; empty at file level. Rust `#[path = "…"]` of a `mod x;` goes in `path_attr`.
    pub scope: Vec<String>,
    pub path_attr: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    /// Python `import a.b.c` / `import a.b as c`.
    PyImport,
    /// Python `from P import n, m` (incl. relative `from . import x`).
    PyFrom,
    /// ES `import …`, `export … from`, `import x = require()`, `require()`, `import()`.
    Es,
    /// Go `import "p"` / `import m "p"` / `import _ "p"` / `import . "p"`: specifier = the
    /// path, `alias` = the explicit name (`m`, `_`, `.`) or `None`.
    Go,
    /// Rust `use` leaf (use-lists expanded: one fact per leaf): specifier = the full path with
    /// `::` (`crate::util::area_of`, `std::fmt`, `super::x`); `alias` = the local name bound
    /// (last segment, the `as` name, or the module for `self` in a list); `names` = `["*"]` for
    /// a glob (`alias` then `None`). `extern crate x [as y]` is a `RustUse` of `x`.
    RustUse,
    /// Rust `mod x;` (not inline modules): specifier = `x`; `path_attr` from `#[path]`.
    RustMod,
    /// Java `import a.b.C;` (specifier `a.b.C`), `import a.b.*;` (specifier `a.b`, names
    /// `["*"]`), `import static a.b.C.m;` / `a.b.C.*` (`is_static`).
    Java,
    /// C# `using N;`, `using static N.T;` (`is_static`), `using X = N.T;` (`alias` `X`),
    /// `global using …` (same, applies to its own file only).
    CsUsing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedName {
    /// The name in the target module (`*` for star/wildcard, `default` for a default import).
    pub name: String,
    /// The local binding (`b` in `import { a as b }`); equals `name` when not renamed; `*` for
    /// star imports.
    pub local: String,
    /// `import { type A }`: this specifier alone is type-only.
    pub type_only: bool,
}

/// A call site (`indexer.md` §7, §10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallSite {
    /// Enclosing named definition; `None` = module level.
    pub caller: Option<DefIdx>,
    pub callee: Callee,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Callee {
    /// `f(…)` — also Python `C(…)`.
    Bare(String),
    /// `self.f()`, `cls.f()` (first parameter of a Python method), `this.f()`.
    SelfMember(String),
    /// `super().f()`, `super.f()`.
    SuperMember(String),
    /// `recv.f()` with a receiver that is not self-like or super-like.
    Member { receiver: Receiver, name: String },
    /// `new C(…)` or a JSX element `<C …>`; the text may be dotted (`ns.C`).
    New(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Receiver {
    /// A plain identifier: a local, parameter, module binding or class name.
    Ident(String),
    /// A dotted path of identifiers (`a.b` in `a.b.f()`), outermost first.
    Path(Vec<String>),
    /// `self.x` / `this.x` (the field name).
    SelfField(String),
    /// A constructor call result: `C().f()` / `new C().f()` (the class text).
    NewOf(String),
    /// Anything else (call results, computed expressions): never linked.
    Other,
}

/// One identifier of a type expression (`indexer.md` §7): generic arguments included,
/// qualification kept (`models.Order`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeRef {
    /// The referencing definition (a function, or a class for field types); `None` = module
    /// level (produces no `uses` edge).
    pub owner: Option<DefIdx>,
    pub name: String,
    pub line: u32,
}
