//! Project symbol tables: definition nodes (merged by id, `indexer.md` §5.3), name indexes,
//! per-file import bindings, and the lookups shared by import, type and call resolution
//! (re-exports §8.1, type names §9, method lookup §10).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use crate::index::facts::{DefIdx, DefKind, FileFacts, ImplFact, ImportKind, Language};

use super::paths;
use super::SourceFile;

/// Marker for "module level" in the children map.
pub const MODULE: usize = usize::MAX;

/// One class or function node (possibly several merged definitions).
#[derive(Debug, Clone)]
pub struct NodeInfo<'a> {
    pub id: String,
    pub file: usize,
    pub is_class: bool,
    /// Every definition merged into this node, in source order.
    pub defs: Vec<DefIdx>,
    /// The definition that gives lines, parameters, decorators, docstring.
    pub primary: DefIdx,
    /// Parent node (`None` = the module).
    pub parent: Option<usize>,
    pub name: &'a str,
    pub qname: &'a str,
    /// Go receiver type / Rust impl type of a method declared outside its type (§5.4).
    pub attach: Option<&'a str>,
}

/// What a local name bound by an import refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    Module(usize),
    /// A name inside a module (looked up through re-exports).
    Name(usize, String),
    External(String),
    /// A Python namespace package directory (no module).
    Namespace(String),
    /// A package of several files (Go package, C# namespace alias): names are looked up in
    /// the top-level definitions of every file.
    Package(Vec<usize>),
    /// Bound by an import that did not resolve.
    Unresolved,
}

/// Result of looking a name up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Node(usize),
    Module(usize),
    External(String),
    Namespace(String),
    Package(Vec<usize>),
}

/// Target of an `imports` edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportTarget {
    Module(usize),
    Ext(String),
}

/// One (import fact, target) occurrence, in fact order.
#[derive(Debug, Clone)]
pub struct ImportOcc {
    pub target: ImportTarget,
    pub line: u32,
    pub module: String,
    pub names: Vec<String>,
    pub alias: Option<String>,
    pub type_only: bool,
    pub dynamic: bool,
}

/// Import-derived facts of one file.
#[derive(Debug, Clone, Default)]
pub struct FileLinks {
    /// Local name → binding (first import binding it wins).
    pub bindings: HashMap<String, Binding>,
    /// Exported name → binding (ES `export { a as b } from`, `export * as ns from`).
    pub reexports: HashMap<String, Binding>,
    /// Python `from m import *`: bind locally and re-export.
    pub py_stars: Vec<usize>,
    /// ES `export * from`: re-export only.
    pub es_stars: Vec<usize>,
    /// Python `import a.b.c` (dotted path → module).
    pub dotted: HashMap<String, usize>,
    pub occs: Vec<ImportOcc>,
    pub external_deps: BTreeSet<String>,
    pub unresolved: BTreeSet<String>,
    pub unresolved_count: usize,
    /// Package scope (`indexer.md` §9 step 4, §10 rule (e)): groups of files whose top-level
    /// definitions are visible by simple name, searched group by group (Go: the other files
    /// of the package; Java: the package, then on-demand imports; C#: the namespace, its
    /// enclosing namespaces, then `using` namespaces). Several candidates in one group are
    /// ambiguous.
    pub scope_groups: Vec<Vec<usize>>,
    /// Classes whose members are visible by simple name (Java `import static a.C.*`, C#
    /// `using static N.C`).
    pub static_classes: Vec<usize>,
}

/// Project-wide tables built once.
pub struct Index<'a> {
    pub files: &'a [SourceFile],
    pub nodes: Vec<NodeInfo<'a>>,
    /// Per file, per def: its node.
    pub def_node: Vec<Vec<Option<usize>>>,
    /// (file, parent node or [`MODULE`]) → bare name → nodes in creation order.
    pub children: HashMap<(usize, usize), HashMap<&'a str, Vec<usize>>>,
    /// (file, qname) → class node.
    pub qname_class: HashMap<(usize, &'a str), usize>,
    /// Language family → class name → class nodes.
    pub classes_by_name: [HashMap<&'a str, Vec<usize>>; Language::FAMILIES],
    /// Language family → name → top-level function and class nodes.
    pub globals_by_name: [HashMap<&'a str, Vec<usize>>; Language::FAMILIES],
    pub path_idx: HashMap<&'a str, usize>,
    /// Every directory holding (at any depth) an indexed Python file.
    pub py_dirs: HashSet<String>,
    /// Every directory holding (at any depth) an indexed file.
    pub dirs: HashSet<String>,
    /// Per file: local names bound by its (non-re-export) imports.
    pub import_locals: Vec<HashSet<&'a str>>,
    /// Per file: `top_level_names`.
    pub top_names: Vec<HashSet<&'a str>>,
    /// Go packages: (directory, package clause) → files, in path order.
    pub go_pkgs: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Java packages and C# namespaces (by family) → files declaring them, in path order.
    pub ns_files: HashMap<(usize, &'a str), Vec<usize>>,
    /// C# partial types: class node → every part (same namespace and qualified name), itself
    /// included; only for types with more than one part.
    pub partials: HashMap<usize, Vec<usize>>,
}

fn facts_of(f: &SourceFile) -> Option<&FileFacts> {
    if f.facts.parse_failed {
        None
    } else {
        Some(&f.facts)
    }
}

impl<'a> Index<'a> {
    pub fn build(files: &'a [SourceFile]) -> Index<'a> {
        let mut nodes: Vec<NodeInfo<'a>> = Vec::new();
        let mut def_node: Vec<Vec<Option<usize>>> = Vec::with_capacity(files.len());
        let mut children: HashMap<(usize, usize), HashMap<&'a str, Vec<usize>>> = HashMap::new();
        let mut qname_class = HashMap::new();
        let mut classes_by_name: [HashMap<&'a str, Vec<usize>>; Language::FAMILIES] =
            Default::default();
        let mut globals_by_name: [HashMap<&'a str, Vec<usize>>; Language::FAMILIES] =
            Default::default();
        let mut path_idx = HashMap::new();
        let mut py_dirs = HashSet::new();
        let mut dirs = HashSet::new();
        let mut import_locals = Vec::with_capacity(files.len());
        let mut top_names = Vec::with_capacity(files.len());
        let mut go_pkgs: HashMap<(&'a str, &'a str), Vec<usize>> = HashMap::new();
        let mut ns_files: HashMap<(usize, &'a str), Vec<usize>> = HashMap::new();
        let mut cs_parts: HashMap<(Option<&'a str>, &'a str), Vec<usize>> = HashMap::new();

        for (fi, f) in files.iter().enumerate() {
            path_idx.entry(f.path.as_str()).or_insert(fi);
            for d in paths::ancestors(&f.path) {
                if f.language == Language::Python && !py_dirs.contains(d) {
                    py_dirs.insert(d.to_string());
                }
                if !dirs.contains(d) {
                    dirs.insert(d.to_string());
                }
            }
            let fam = f.language.family();
            let mut map: Vec<Option<usize>> = Vec::new();
            let mut by_key: HashMap<(bool, &'a str), usize> = HashMap::new();
            let mut locals = HashSet::new();
            let mut tops = HashSet::new();
            if let Some(facts) = facts_of(f) {
                if let Some(pkg) = facts.package.as_deref() {
                    match f.language {
                        Language::Go => go_pkgs
                            .entry((paths::dirname(&f.path), pkg))
                            .or_default()
                            .push(fi),
                        Language::Java => ns_files.entry((fam, pkg)).or_default().push(fi),
                        _ => {}
                    }
                }
                for ns in &facts.namespaces {
                    let v = ns_files.entry((fam, ns.as_str())).or_default();
                    if v.last() != Some(&fi) {
                        v.push(fi);
                    }
                }
                map = vec![None; facts.defs.len()];
                for (di, d) in facts.defs.iter().enumerate() {
                    let qname: &'a str = if d.qname.is_empty() {
                        &d.name
                    } else {
                        &d.qname
                    };
                    if qname.is_empty() {
                        continue;
                    }
                    let name: &'a str = if d.name.is_empty() {
                        qname.rsplit('.').next().unwrap_or(qname)
                    } else {
                        &d.name
                    };
                    let is_class = d.kind == DefKind::Class;
                    let parent = d
                        .parent
                        .map(|p| p as usize)
                        .filter(|&p| p < di)
                        .and_then(|p| map.get(p).copied().flatten());
                    let key = (is_class, qname);
                    if let Some(&n) = by_key.get(&key) {
                        if let Some(slot) = map.get_mut(di) {
                            *slot = Some(n);
                        }
                        if let Some(node) = nodes.get_mut(n) {
                            node.defs.push(di as DefIdx);
                            let prim_has_body = facts
                                .defs
                                .get(node.primary as usize)
                                .is_some_and(|p| p.has_body);
                            if !prim_has_body && d.has_body {
                                node.primary = di as DefIdx;
                            }
                        }
                        continue;
                    }
                    let n = nodes.len();
                    let prefix = if is_class { "cls" } else { "fn" };
                    nodes.push(NodeInfo {
                        id: format!("{prefix}:{}:{qname}", f.path),
                        file: fi,
                        is_class,
                        defs: vec![di as DefIdx],
                        primary: di as DefIdx,
                        parent,
                        name,
                        qname,
                        attach: d.attach.as_deref(),
                    });
                    by_key.insert(key, n);
                    if let Some(slot) = map.get_mut(di) {
                        *slot = Some(n);
                    }
                    if is_class && f.language == Language::CSharp {
                        cs_parts
                            .entry((d.namespace.as_deref(), qname))
                            .or_default()
                            .push(n);
                    }
                    if d.attach.is_some() && parent.is_none() {
                        // Attached later to its type's class node (§5.4); never a top-level
                        // name of the module.
                        continue;
                    }
                    children
                        .entry((fi, parent.unwrap_or(MODULE)))
                        .or_default()
                        .entry(name)
                        .or_default()
                        .push(n);
                    if is_class {
                        qname_class.insert((fi, qname), n);
                        classes_by_name[fam].entry(name).or_default().push(n);
                    }
                    if parent.is_none() {
                        globals_by_name[fam].entry(name).or_default().push(n);
                    }
                }
                for imp in &facts.imports {
                    if imp.reexport {
                        continue;
                    }
                    if let Some(a) = imp.alias.as_deref() {
                        locals.insert(a);
                    }
                    match imp.kind {
                        ImportKind::PyImport => {
                            if imp.alias.is_none() && !imp.dynamic {
                                if let Some(first) = imp.specifier.split('.').next() {
                                    if !first.is_empty() {
                                        locals.insert(first);
                                    }
                                }
                            }
                        }
                        _ => {
                            for n in &imp.names {
                                if n.local != "*" && !n.local.is_empty() {
                                    locals.insert(n.local.as_str());
                                }
                            }
                        }
                    }
                }
                for n in &facts.top_level_names {
                    tops.insert(n.as_str());
                }
            }
            def_node.push(map);
            import_locals.push(locals);
            top_names.push(tops);
        }
        let partials = cs_parts
            .into_values()
            .filter(|v| v.len() > 1)
            .flat_map(|v| v.clone().into_iter().map(move |n| (n, v.clone())))
            .collect();
        let mut idx = Index {
            files,
            nodes,
            def_node,
            children,
            qname_class,
            classes_by_name,
            globals_by_name,
            path_idx,
            py_dirs,
            dirs,
            import_locals,
            top_names,
            go_pkgs,
            ns_files,
            partials,
        };
        idx.attach_go_methods();
        idx
    }

    /// Go methods hang off the class node of their receiver type when a type of that name is
    /// declared in the same package (same directory and package clause), even in another file.
    fn attach_go_methods(&mut self) {
        let mut moves = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            let (Some(t), None) = (node.attach, node.parent) else {
                continue;
            };
            let Some(f) = self.files.get(node.file) else {
                continue;
            };
            if f.language != Language::Go {
                continue;
            }
            let Some(pkg) = f.facts.package.as_deref() else {
                continue;
            };
            let Some(pkg_files) = self.go_pkgs.get(&(paths::dirname(&f.path), pkg)) else {
                continue;
            };
            let cands: Vec<usize> = pkg_files
                .iter()
                .flat_map(|&pf| self.children_of(pf, None, t).iter().copied())
                .filter(|&c| self.is_class(c))
                .collect();
            if let [c] = cands.as_slice() {
                moves.push((n, *c));
            }
        }
        for (n, c) in moves {
            self.attach(n, c);
        }
    }

    /// Make class `c` the parent of the attached method node `n`.
    pub fn attach(&mut self, n: usize, c: usize) {
        let Some(cfile) = self.nodes.get(c).map(|x| x.file) else {
            return;
        };
        let Some(node) = self.nodes.get_mut(n) else {
            return;
        };
        node.parent = Some(c);
        let name = node.name;
        self.children
            .entry((cfile, c))
            .or_default()
            .entry(name)
            .or_default()
            .push(n);
    }

    /// Files of the Go package that `file` belongs to (itself included).
    pub fn go_package_of(&self, file: usize) -> &[usize] {
        let Some(f) = self.files.get(file) else {
            return &[];
        };
        let Some(pkg) = f.facts.package.as_deref() else {
            return &[];
        };
        self.go_pkgs
            .get(&(paths::dirname(&f.path), pkg))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Top-level definitions named `name` across `files`, chosen as by [`pick`].
    pub fn top_level_in(&self, files: &[usize], name: &str, classes_only: bool) -> Pick {
        let cands: Vec<usize> = files
            .iter()
            .flat_map(|&f| self.children_of(f, None, name).iter().copied())
            .filter(|&n| !classes_only || self.is_class(n))
            .collect();
        if let Some(&first) = cands.first() {
            // The parts of one C# partial type count as one.
            if cands.len() > 1
                && self
                    .partials
                    .get(&first)
                    .is_some_and(|parts| cands.iter().all(|c| parts.contains(c)))
            {
                return Pick::One(first);
            }
        }
        match cands.len() {
            0 => Pick::None,
            _ => match pick(self, &cands, |_| true) {
                Some(n) => Pick::One(n),
                None => Pick::Ambiguous,
            },
        }
    }

    /// Class kind of a class node (`class`, `interface`, …).
    pub fn class_kind(&self, n: usize) -> Option<crate::index::facts::ClassKind> {
        let node = self.nodes.get(n)?;
        let f = self.files.get(node.file)?;
        f.facts
            .defs
            .get(node.primary as usize)?
            .class
            .as_ref()
            .map(|c| c.kind)
    }

    pub fn file_of(&self, path: &str) -> Option<usize> {
        self.path_idx.get(path).copied()
    }

    pub fn node(&self, n: usize) -> Option<&NodeInfo<'a>> {
        self.nodes.get(n)
    }

    pub fn is_class(&self, n: usize) -> bool {
        self.nodes.get(n).is_some_and(|x| x.is_class)
    }

    pub fn def_node(&self, file: usize, def: DefIdx) -> Option<usize> {
        self.def_node
            .get(file)?
            .get(def as usize)
            .copied()
            .flatten()
    }

    pub fn children_of(&self, file: usize, parent: Option<usize>, name: &str) -> &[usize] {
        self.children
            .get(&(file, parent.unwrap_or(MODULE)))
            .and_then(|m| m.get(name))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// A top-level definition named `name` of `file`: unique, or the one whose qname is the name.
    pub fn top_level(&self, file: usize, name: &str) -> Option<usize> {
        pick(self, self.children_of(file, None, name), |_| true)
    }

    pub fn language(&self, file: usize) -> Option<Language> {
        self.files.get(file).map(|f| f.language)
    }

    /// Scope chain of a node: itself, then its parents outward.
    pub fn chain(&self, start: Option<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = start;
        while let Some(n) = cur {
            if out.len() > 256 || out.contains(&n) {
                break;
            }
            out.push(n);
            cur = self.nodes.get(n).and_then(|x| x.parent);
        }
        out
    }
}

/// Outcome of a lookup among several files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    None,
    One(usize),
    Ambiguous,
}

/// Choose one node among candidates passing `filter`: the only one, or the only one whose qname
/// equals its name (top-level outside namespaces); else ambiguous.
pub fn pick(
    idx: &Index<'_>,
    cands: &[usize],
    filter: impl Fn(&NodeInfo<'_>) -> bool,
) -> Option<usize> {
    let ok: Vec<usize> = cands
        .iter()
        .copied()
        .filter(|&n| idx.nodes.get(n).is_some_and(&filter))
        .collect();
    match ok.len() {
        0 => None,
        1 => ok.first().copied(),
        _ => {
            // Several (e.g. TS namespace members `N.f` and `M.f`): only a plain one (qname ==
            // name) is certain; otherwise ambiguous.
            let plain: Vec<usize> = ok
                .iter()
                .copied()
                .filter(|&n| idx.nodes.get(n).is_some_and(|x| x.qname == x.name))
                .collect();
            if plain.len() == 1 {
                return plain.first().copied();
            }
            None
        }
    }
}

/// Strip nullability, pointer/reference markers, generic arguments and quotes from a type text
/// (`indexer.md` §9). `None` when nothing name-like is left or the type is a real union.
pub fn clean_type(raw: &str) -> Option<String> {
    let mut t = raw.trim();
    for _ in 0..8 {
        let before = t;
        t = t.trim();
        t = t.trim_matches(|c| c == '"' || c == '\'' || c == '`').trim();
        for p in ["readonly ", "&mut ", "&", "*", "keyof "] {
            if let Some(r) = t.strip_prefix(p) {
                t = r.trim();
            }
        }
        t = t.trim_end_matches(['?', '!']).trim();
        for opt in ["Optional[", "typing.Optional["] {
            if let Some(r) = t.strip_prefix(opt) {
                if let Some(inner) = r.strip_suffix(']') {
                    t = inner.trim();
                }
            }
        }
        // Top-level union: drop None/null/undefined parts.
        let parts = split_top(t, '|');
        if parts.len() > 1 {
            let keep: Vec<&str> = parts
                .into_iter()
                .map(str::trim)
                .filter(|p| !matches!(*p, "None" | "null" | "undefined" | ""))
                .collect();
            if keep.len() != 1 {
                return None;
            }
            t = keep.first().copied().unwrap_or("");
        }
        if t == before {
            break;
        }
    }
    // Generic arguments.
    let cut = t.find(['<', '[', '(']).unwrap_or(t.len());
    let t = t[..cut].trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
        || t.starts_with('.')
        || t.ends_with('.')
        || t.contains("..")
    {
        return None;
    }
    Some(t.to_string())
}

fn split_top(t: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in t.char_indices() {
        match c {
            '<' | '[' | '(' | '{' => depth += 1,
            '>' | ']' | ')' | '}' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&t[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&t[start..]);
    out
}

/// Outcome of type-name resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRes {
    Class(usize),
    Ext(String),
    None,
}

/// Computes the import links of one file (implemented by the per-language linkers).
pub trait Link: Send + Sync {
    fn link(&self, idx: &Index<'_>, fi: usize) -> FileLinks;
}

/// Lookups needing both the index and the files' import links. Links and resolved bases are
/// computed on first use (and at most once), so a resolution narrowed to a few files only
/// pays for the files its lookups reach.
pub struct Resolver<'a> {
    pub idx: Index<'a>,
    links: Vec<OnceLock<FileLinks>>,
    linker: Box<dyn Link + 'a>,
    /// Per node: resolved base classes (class nodes), in source order, de-duplicated.
    bases: Vec<OnceLock<Vec<usize>>>,
    /// Rust `impl Trait for Type` facts by type name, with their file.
    impls_by_type: HashMap<&'a str, Vec<(usize, &'a ImplFact)>>,
}

impl<'a> Resolver<'a> {
    pub fn new(idx: Index<'a>, linker: Box<dyn Link + 'a>) -> Resolver<'a> {
        let mut impls_by_type: HashMap<&'a str, Vec<(usize, &'a ImplFact)>> = HashMap::new();
        for (fi, f) in idx.files.iter().enumerate() {
            if f.language == Language::Rust && !f.facts.parse_failed {
                for imp in &f.facts.impls {
                    impls_by_type
                        .entry(imp.type_name.as_str())
                        .or_default()
                        .push((fi, imp));
                }
            }
        }
        Resolver {
            links: (0..idx.files.len()).map(|_| OnceLock::new()).collect(),
            bases: (0..idx.nodes.len()).map(|_| OnceLock::new()).collect(),
            idx,
            linker,
            impls_by_type,
        }
    }

    /// Import links of `file`, computed on first use.
    pub fn links(&self, file: usize) -> Option<&FileLinks> {
        let cell = self.links.get(file)?;
        Some(cell.get_or_init(|| self.linker.link(&self.idx, file)))
    }

    /// Resolved base classes of class node `c` (its written bases, then for a Rust type the
    /// traits it implements), computed on first use.
    pub fn bases(&self, c: usize) -> &[usize] {
        let Some(cell) = self.bases.get(c) else {
            return &[];
        };
        cell.get_or_init(|| {
            let mut out: Vec<usize> = Vec::new();
            for b in super::class_bases(self, c) {
                if let TypeRes::Class(x) = b.res {
                    if !out.contains(&x) {
                        out.push(x);
                    }
                }
            }
            if let Some(node) = self.idx.node(c).filter(|n| n.is_class) {
                for &(fi, imp) in self
                    .impls_by_type
                    .get(node.name)
                    .map_or(&[][..], Vec::as_slice)
                {
                    if self.resolve_type(fi, None, &imp.type_name) != TypeRes::Class(c) {
                        continue;
                    }
                    if let TypeRes::Class(t) = self.resolve_type(fi, None, &imp.trait_text) {
                        if t != c && !out.contains(&t) {
                            out.push(t);
                        }
                    }
                }
            }
            out
        })
    }

    fn follow(&self, b: &Binding, hops: u32) -> Option<Found> {
        match b {
            Binding::Module(m) => Some(Found::Module(*m)),
            Binding::Name(f, n) => self.lookup_export(*f, n, hops + 1),
            Binding::External(p) => Some(Found::External(p.clone())),
            Binding::Namespace(d) => Some(Found::Namespace(d.clone())),
            Binding::Package(files) => Some(Found::Package(files.clone())),
            Binding::Unresolved => None,
        }
    }

    /// A local binding of `file` followed to what it denotes.
    pub fn binding(&self, file: usize, name: &str) -> Option<Found> {
        let b = self.links(file)?.bindings.get(name)?;
        self.follow(b, 0)
    }

    /// The package when `name` is bound by an import of `file` whose outcome is external.
    pub fn direct_external(&self, file: usize, name: &str) -> Option<String> {
        match self.links(file)?.bindings.get(name)? {
            Binding::External(p) => Some(p.clone()),
            _ => None,
        }
    }

    pub fn is_bound(&self, file: usize, name: &str) -> bool {
        self.links(file)
            .is_some_and(|l| l.bindings.contains_key(name))
    }

    /// The definition (or module) `name` denotes in module `file`, through re-exports (≤ 5 hops).
    pub fn lookup_export(&self, file: usize, name: &str, hops: u32) -> Option<Found> {
        if hops > 5 || name.is_empty() {
            return None;
        }
        if let Some((first, rest)) = name.split_once('.') {
            // A member of a top-level type (Java `import static a.C.m`).
            let mut cur = self.lookup_export(file, first, hops)?;
            for seg in rest.split('.') {
                cur = self.member_of(&cur, seg)?;
            }
            return Some(cur);
        }
        if let Some(n) = self.idx.top_level(file, name) {
            return Some(Found::Node(n));
        }
        let links = self.links(file)?;
        if name == "default" {
            let de = self
                .idx
                .files
                .get(file)
                .and_then(|f| f.facts.default_export.as_deref());
            if let Some(x) = de {
                if x != "default" {
                    return self.lookup_export(file, x, hops + 1);
                }
            }
        }
        if let Some(b) = links.reexports.get(name) {
            return self.follow(b, hops);
        }
        if let Some(b) = links.bindings.get(name) {
            return self.follow(b, hops);
        }
        for &s in links.py_stars.iter().chain(links.es_stars.iter()) {
            if s == file {
                continue;
            }
            if let Some(r) = self.lookup_export(s, name, hops + 1) {
                return Some(r);
            }
        }
        None
    }

    /// Follow a dotted path (`a.b.c`) from the bindings of `file`: modules, submodules of Python
    /// packages, classes nested in classes.
    pub fn resolve_path(&self, file: usize, segs: &[&str]) -> Option<Found> {
        if segs.is_empty() {
            return None;
        }
        let links = self.links(file)?;
        // Longest dotted `import a.b.c` prefix.
        let mut start = None;
        for k in (2..=segs.len()).rev() {
            let key = segs[..k].join(".");
            if let Some(&m) = links.dotted.get(&key) {
                start = Some((Found::Module(m), k));
                break;
            }
        }
        let (mut cur, used) = match start {
            Some(s) => s,
            None => (self.binding(file, segs.first()?)?, 1),
        };
        for seg in segs.get(used..).unwrap_or(&[]) {
            if let Found::External(_) = cur {
                break;
            }
            cur = self.member_of(&cur, seg)?;
        }
        Some(cur)
    }

    /// `seg` looked up inside what `cur` denotes.
    pub fn member_of(&self, cur: &Found, seg: &str) -> Option<Found> {
        match cur {
            Found::Module(m) => {
                if let Some(r) = self.lookup_export(*m, seg, 0) {
                    return Some(r);
                }
                // Python package submodule.
                let f = self.idx.files.get(*m)?;
                if f.language == Language::Python && paths::file_stem(&f.path) == "__init__" {
                    let dir = paths::dirname(&f.path);
                    return self.py_submodule(dir, seg);
                }
                None
            }
            Found::Namespace(dir) => self.py_submodule(dir, seg),
            Found::Package(files) => match self.idx.top_level_in(files, seg, false) {
                Pick::One(n) => Some(Found::Node(n)),
                _ => None,
            },
            Found::Node(n) => {
                let node = self.idx.node(*n)?;
                if !node.is_class {
                    return None;
                }
                pick(
                    &self.idx,
                    self.idx.children_of(node.file, Some(*n), seg),
                    |x| x.is_class,
                )
                .map(Found::Node)
            }
            Found::External(_) => None,
        }
    }

    fn py_submodule(&self, dir: &str, seg: &str) -> Option<Found> {
        let base = paths::child(dir, seg);
        for cand in [
            format!("{base}.py"),
            format!("{base}/__init__.py"),
            format!("{base}.pyi"),
            format!("{base}/__init__.pyi"),
        ] {
            if let Some(f) = self.idx.file_of(&cand) {
                return Some(Found::Module(f));
            }
        }
        if self.idx.py_dirs.contains(&base) {
            return Some(Found::Namespace(base));
        }
        None
    }

    /// Type-name resolution (`indexer.md` §9) of `raw` referenced in `file` from scope `scope`.
    pub fn resolve_type(&self, file: usize, scope: Option<usize>, raw: &str) -> TypeRes {
        let Some(f) = self.idx.files.get(file) else {
            return TypeRes::None;
        };
        let lang = f.language;
        let dotted;
        let raw = if lang == Language::Rust && raw.contains("::") {
            dotted = raw.replace("::", ".");
            dotted.as_str()
        } else {
            raw
        };
        let Some(t) = clean_type(raw) else {
            return TypeRes::None;
        };
        let fam = lang.family();
        if t.contains('.') {
            let segs: Vec<&str> = t.split('.').collect();
            if matches!(lang, Language::Java | Language::CSharp) {
                if let Some(c) = self.namespace_qualified(fam, &segs) {
                    return TypeRes::Class(c);
                }
            }
            match self.resolve_path(file, &segs) {
                Some(Found::Node(n)) if self.idx.is_class(n) => return TypeRes::Class(n),
                Some(Found::External(_)) => {
                    return match segs.first().and_then(|s| self.direct_external(file, s)) {
                        Some(p) => TypeRes::Ext(p),
                        None => TypeRes::None,
                    };
                }
                _ => {}
            }
            // Namespaced qname in this file (TS `N.C`), or a lexical outer class.
            if let Some(&n) = self.idx.qname_class.get(&(file, t.as_str())) {
                return TypeRes::Class(n);
            }
            if let Some(first) = segs.first() {
                if let TypeRes::Class(c) = self.resolve_type(file, scope, first) {
                    let mut cur = Found::Node(c);
                    let mut ok = true;
                    for seg in segs.iter().skip(1) {
                        match self.member_of(&cur, seg) {
                            Some(n @ Found::Node(_)) => cur = n,
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if let (true, Found::Node(n)) = (ok, cur) {
                        return TypeRes::Class(n);
                    }
                }
            }
            return TypeRes::None;
        }
        let name = t.as_str();
        // 2. Lexical.
        for anc in self.idx.chain(scope) {
            let cands = self.idx.children_of(file, Some(anc), name);
            if let Some(n) = pick(&self.idx, cands, |x| x.is_class) {
                return TypeRes::Class(n);
            }
        }
        if let Some(n) = pick(&self.idx, self.idx.children_of(file, None, name), |x| {
            x.is_class
        }) {
            return TypeRes::Class(n);
        }
        // 3. Import binding.
        let bound = self.is_bound(file, name);
        if bound {
            if let Some(p) = self.direct_external(file, name) {
                return TypeRes::Ext(p);
            }
            return match self.binding(file, name) {
                Some(Found::Node(n)) if self.idx.is_class(n) => TypeRes::Class(n),
                _ => TypeRes::None,
            };
        }
        // 4. Star imports, then the package scope.
        if let Some(l) = self.links(file) {
            for &s in &l.py_stars {
                if let Some(Found::Node(n)) = self.lookup_export(s, name, 1) {
                    if self.idx.is_class(n) {
                        return TypeRes::Class(n);
                    }
                }
            }
            for group in &l.scope_groups {
                match self.idx.top_level_in(group, name, true) {
                    Pick::One(n) => return TypeRes::Class(n),
                    Pick::Ambiguous => return TypeRes::None,
                    Pick::None => {}
                }
            }
        }
        // 5. Unique global.
        if let Some(c) = self.idx.classes_by_name[fam].get(name) {
            if c.len() == 1 {
                if let Some(&n) = c.first() {
                    return TypeRes::Class(n);
                }
            }
        }
        TypeRes::None
    }

    /// Java package / C# namespace qualified type (`com.acme.core.Repository`, `Acme.Core.IRepo`,
    /// `a.b.Outer.Inner`): the longest declared namespace prefix, then the type and its members.
    fn namespace_qualified(&self, fam: usize, segs: &[&str]) -> Option<usize> {
        for k in (1..segs.len()).rev() {
            let ns = segs.get(..k)?.join(".");
            let Some(files) = self.idx.ns_files.get(&(fam, ns.as_str())) else {
                continue;
            };
            let Pick::One(mut c) = self.idx.top_level_in(files, segs.get(k)?, true) else {
                return None;
            };
            for seg in segs.get(k + 1..)? {
                match self.member_of(&Found::Node(c), seg)? {
                    Found::Node(n) => c = n,
                    _ => return None,
                }
            }
            return Some(c);
        }
        None
    }

    /// Method `f` of class `c` and its bases, breadth-first (nearest first, ties by id).
    pub fn method(&self, c: usize, f: &str) -> Option<usize> {
        self.bfs(vec![c], f)
    }

    /// Method `f` of the bases of `c` only.
    pub fn super_method(&self, c: usize, f: &str) -> Option<usize> {
        let level = self.bases(c).to_vec();
        let mut seen: HashSet<usize> = HashSet::new();
        seen.insert(c);
        self.bfs_from(level, f, seen)
    }

    fn bfs(&self, level: Vec<usize>, f: &str) -> Option<usize> {
        self.bfs_from(level, f, HashSet::new())
    }

    fn bfs_from(&self, mut level: Vec<usize>, f: &str, mut seen: HashSet<usize>) -> Option<usize> {
        let mut rounds = 0;
        while !level.is_empty() && rounds < 64 {
            rounds += 1;
            level.retain(|n| seen.insert(*n));
            level.sort_by(|a, b| {
                let ia = self.idx.node(*a).map(|x| x.id.as_str()).unwrap_or("");
                let ib = self.idx.node(*b).map(|x| x.id.as_str()).unwrap_or("");
                ia.cmp(ib)
            });
            for &c in &level {
                // C# partial types: every part is searched (§5.2).
                let one = [c];
                let parts = self.idx.partials.get(&c).map_or(&one[..], Vec::as_slice);
                let mut found = None;
                for &part in parts {
                    let Some(node) = self.idx.node(part) else {
                        continue;
                    };
                    let cands = self.idx.children_of(node.file, Some(part), f);
                    if let Some(m) = pick(&self.idx, cands, |x| !x.is_class) {
                        found = Some(m);
                        break;
                    }
                }
                if found.is_some() {
                    return found;
                }
            }
            let mut next = Vec::new();
            for &c in &level {
                let one = [c];
                let parts = self.idx.partials.get(&c).map_or(&one[..], Vec::as_slice);
                for &part in parts {
                    for &b in self.bases(part) {
                        if !seen.contains(&b) && !next.contains(&b) {
                            next.push(b);
                        }
                    }
                }
            }
            level = next;
        }
        None
    }

    /// Constructor of class `c` (on it or its bases), else the class node itself.
    pub fn constructor(&self, c: usize) -> usize {
        let lang = self
            .idx
            .node(c)
            .and_then(|n| self.idx.language(n.file))
            .unwrap_or(Language::Python);
        let name = match lang {
            Language::Python => "__init__",
            Language::TypeScript | Language::JavaScript => "constructor",
            Language::Java | Language::CSharp => self.idx.node(c).map_or("", |n| n.name),
            Language::Go | Language::Rust => return c,
        };
        self.method(c, name).unwrap_or(c)
    }

    /// Nearest enclosing class of a node (itself when it is a class).
    pub fn enclosing_class(&self, start: Option<usize>) -> Option<usize> {
        self.idx
            .chain(start)
            .into_iter()
            .find(|&n| self.idx.is_class(n))
    }
}

#[cfg(test)]
mod tests {
    use super::clean_type;

    #[test]
    fn clean_types() {
        assert_eq!(clean_type("Order | None").as_deref(), Some("Order"));
        assert_eq!(clean_type("Optional[Order]").as_deref(), Some("Order"));
        assert_eq!(clean_type("\"Config\"").as_deref(), Some("Config"));
        assert_eq!(clean_type("User | undefined").as_deref(), Some("User"));
        assert_eq!(clean_type("Repo<User>").as_deref(), Some("Repo"));
        assert_eq!(clean_type("models.Order?").as_deref(), Some("models.Order"));
        assert_eq!(clean_type("A | B"), None);
        assert_eq!(clean_type("{ a: string }"), None);
        assert_eq!(clean_type(""), None);
    }
}
