//! Python import resolution (`indexer.md` §8.2).

use std::collections::HashMap;

use crate::index::facts::{Import, ImportKind, ImportedName, Language};

use super::config;
use super::paths;
use super::symbols::{Binding, FileLinks, ImportOcc, ImportTarget, Index};
use super::ProjectConfig;

/// Where a dotted Python module path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PyMod {
    File(usize),
    Namespace(String),
}

/// Source roots and the suffix fallback index.
pub struct PyCtx {
    pub roots: Vec<String>,
    /// `a/b/c` (path without `.py` / `/__init__.py`, proper suffixes only) → files.
    suffix: HashMap<String, Vec<usize>>,
}

impl PyCtx {
    pub fn new(idx: &Index<'_>, cfg: &ProjectConfig) -> PyCtx {
        let mut roots: Vec<String> = Vec::new();
        let push = |r: String, roots: &mut Vec<String>| {
            if !roots.contains(&r) {
                roots.push(r);
            }
        };
        if let Some(text) = cfg.files.get(".murc.toml") {
            for r in config::murc_python_roots(text) {
                if let Some(j) = paths::join("", &r) {
                    push(j, &mut roots);
                }
            }
        }
        push(String::new(), &mut roots);
        if idx.dirs.contains("src") {
            push("src".to_string(), &mut roots);
        }
        for path in cfg.files.keys() {
            let base = paths::basename(path);
            if matches!(base, "pyproject.toml" | "setup.py" | "setup.cfg") {
                let dir = paths::dirname(path).to_string();
                push(dir.clone(), &mut roots);
                push(paths::child(&dir, "src"), &mut roots);
            }
        }
        let mut suffix: HashMap<String, Vec<usize>> = HashMap::new();
        for (fi, f) in idx.files.iter().enumerate() {
            if f.language != Language::Python {
                continue;
            }
            let stem_path = if let Some(p) = f.path.strip_suffix("/__init__.py") {
                p
            } else if let Some(p) = f.path.strip_suffix(".py") {
                p
            } else {
                continue;
            };
            let mut rest = stem_path;
            while let Some(i) = rest.find('/') {
                rest = &rest[i + 1..];
                if !rest.is_empty() {
                    suffix.entry(rest.to_string()).or_default().push(fi);
                }
            }
        }
        PyCtx { roots, suffix }
    }
}

fn is_package(path: &str) -> bool {
    matches!(paths::basename(path), "__init__.py" | "__init__.pyi")
}

/// `segs` under `root`: module file, package `__init__`, or namespace directory.
fn in_root(idx: &Index<'_>, root: &str, segs: &[&str]) -> Option<PyMod> {
    let mut base = root.to_string();
    for s in segs {
        if s.is_empty() || *s == "." || *s == ".." || s.contains('/') {
            return None;
        }
        base = paths::child(&base, s);
    }
    let cands: Vec<String> = if segs.is_empty() {
        vec![
            paths::child(&base, "__init__.py"),
            paths::child(&base, "__init__.pyi"),
        ]
    } else {
        vec![
            format!("{base}.py"),
            format!("{base}/__init__.py"),
            format!("{base}.pyi"),
            format!("{base}/__init__.pyi"),
        ]
    };
    for c in cands {
        if let Some(f) = idx.file_of(&c) {
            return Some(PyMod::File(f));
        }
    }
    if idx.py_dirs.contains(&base) && (!segs.is_empty() || !base.is_empty()) {
        return Some(PyMod::Namespace(base));
    }
    None
}

fn resolve_abs(idx: &Index<'_>, py: &PyCtx, dotted: &str) -> Option<PyMod> {
    let segs: Vec<&str> = dotted.split('.').collect();
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    for r in &py.roots {
        if let Some(m) = in_root(idx, r, &segs) {
            return Some(m);
        }
    }
    let key = segs.join("/");
    match py.suffix.get(&key).map(Vec::as_slice) {
        Some([one]) => Some(PyMod::File(*one)),
        _ => None,
    }
}

fn first_segment_internal(idx: &Index<'_>, py: &PyCtx, first: &str) -> bool {
    py.roots.iter().any(|r| in_root(idx, r, &[first]).is_some())
}

enum Target {
    Mod(PyMod),
    External(String),
    Unresolved,
    Ignored,
}

fn resolve_spec(idx: &Index<'_>, py: &PyCtx, file: usize, spec: &str) -> Target {
    if spec == "__future__" || spec.starts_with("__future__.") {
        return Target::Ignored;
    }
    if spec.is_empty() {
        return Target::Ignored;
    }
    if spec.starts_with('.') {
        let dots = spec.chars().take_while(|&c| c == '.').count();
        let rest = &spec[dots..];
        let Some(f) = idx.files.get(file) else {
            return Target::Unresolved;
        };
        let mut base = Some(paths::dirname(&f.path).to_string());
        for _ in 1..dots {
            base = match base {
                Some(b) if !b.is_empty() => Some(paths::dirname(&b).to_string()),
                _ => None,
            };
        }
        let Some(base) = base else {
            return Target::Unresolved;
        };
        let segs: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('.').collect()
        };
        return match in_root(idx, &base, &segs) {
            Some(m) => Target::Mod(m),
            None if segs.is_empty() => Target::Mod(PyMod::Namespace(base)),
            None => Target::Unresolved,
        };
    }
    if let Some(m) = resolve_abs(idx, py, spec) {
        return Target::Mod(m);
    }
    let first = spec.split('.').next().unwrap_or(spec);
    if first_segment_internal(idx, py, first) {
        Target::Unresolved
    } else {
        Target::External(first.to_string())
    }
}

fn bind(links: &mut FileLinks, local: &str, b: Binding) {
    if local.is_empty() || local == "*" {
        return;
    }
    links.bindings.entry(local.to_string()).or_insert(b);
}

fn occ_type_only(imp: &Import, names: &[&ImportedName]) -> bool {
    imp.type_only || (!names.is_empty() && names.iter().all(|n| n.type_only))
}

/// Resolve every import of a Python file.
pub fn link(idx: &Index<'_>, py: &PyCtx, file: usize) -> FileLinks {
    let mut links = FileLinks::default();
    let Some(f) = idx.files.get(file) else {
        return links;
    };
    if f.facts.parse_failed {
        return links;
    }
    for imp in &f.facts.imports {
        let target = resolve_spec(idx, py, file, &imp.specifier);
        let all_names: Vec<&ImportedName> = imp.names.iter().collect();
        let mk = |t: ImportTarget, names: &[&ImportedName]| {
            let mut ns: Vec<String> = names.iter().map(|n| n.name.clone()).collect();
            ns.sort();
            ns.dedup();
            ImportOcc {
                target: t,
                line: imp.line,
                module: imp.specifier.clone(),
                names: ns,
                alias: imp.alias.clone(),
                type_only: occ_type_only(imp, names),
                dynamic: imp.dynamic,
            }
        };
        match target {
            Target::Ignored => {}
            Target::Unresolved => {
                links.unresolved.insert(imp.specifier.clone());
                links.unresolved_count += 1;
                if let Some(a) = &imp.alias {
                    bind(&mut links, a, Binding::Unresolved);
                }
                for n in &imp.names {
                    bind(&mut links, &n.local, Binding::Unresolved);
                }
                if imp.kind == ImportKind::PyImport && imp.alias.is_none() && !imp.dynamic {
                    if let Some(first) = imp.specifier.split('.').next() {
                        bind(&mut links, first, Binding::Unresolved);
                    }
                }
            }
            Target::External(pkg) => {
                links.external_deps.insert(pkg.clone());
                links
                    .occs
                    .push(mk(ImportTarget::Ext(pkg.clone()), &all_names));
                if let Some(a) = &imp.alias {
                    bind(&mut links, a, Binding::External(pkg.clone()));
                }
                for n in &imp.names {
                    bind(&mut links, &n.local, Binding::External(pkg.clone()));
                }
                if imp.kind == ImportKind::PyImport && imp.alias.is_none() && !imp.dynamic {
                    if let Some(first) = imp.specifier.split('.').next() {
                        bind(&mut links, first, Binding::External(pkg.clone()));
                    }
                }
            }
            Target::Mod(m) => match imp.kind {
                ImportKind::PyImport
                | ImportKind::Es
                | ImportKind::Go
                | ImportKind::RustUse
                | ImportKind::RustMod
                | ImportKind::Java
                | ImportKind::CsUsing => {
                    if let PyMod::File(t) = &m {
                        links.occs.push(mk(ImportTarget::Module(*t), &all_names));
                        links.dotted.insert(imp.specifier.clone(), *t);
                    }
                    let whole = match &m {
                        PyMod::File(t) => Binding::Module(*t),
                        PyMod::Namespace(d) => Binding::Namespace(d.clone()),
                    };
                    if let Some(a) = &imp.alias {
                        bind(&mut links, a, whole);
                    } else if !imp.dynamic && !imp.specifier.starts_with('.') {
                        let first = imp.specifier.split('.').next().unwrap_or("");
                        let b = match resolve_abs(idx, py, first) {
                            Some(PyMod::File(t)) => Binding::Module(t),
                            Some(PyMod::Namespace(d)) => Binding::Namespace(d),
                            None => Binding::Unresolved,
                        };
                        bind(&mut links, first, b);
                    }
                    for n in &imp.names {
                        if let PyMod::File(t) = &m {
                            bind(&mut links, &n.local, Binding::Name(*t, n.name.clone()));
                        }
                    }
                }
                ImportKind::PyFrom => from_import(idx, &mut links, imp, m, &mk),
            },
        }
    }
    links
}

type Groups<'i> = Vec<(usize, Vec<&'i ImportedName>)>;

/// Add name `n` to the group of target module `t` (groups in order of first appearance).
fn add<'i>(groups: &mut Groups<'i>, t: usize, n: &'i ImportedName) {
    match groups.iter_mut().find(|(g, _)| *g == t) {
        Some((_, v)) => v.push(n),
        None => groups.push((t, vec![n])),
    }
}

fn from_import(
    idx: &Index<'_>,
    links: &mut FileLinks,
    imp: &Import,
    m: PyMod,
    mk: &dyn Fn(ImportTarget, &[&ImportedName]) -> ImportOcc,
) {
    // Groups of names per target module, in order of first appearance.
    let mut groups: Groups<'_> = Vec::new();
    let mut unresolved = false;
    match &m {
        PyMod::File(t) if !is_package(idx.files.get(*t).map(|f| f.path.as_str()).unwrap_or("")) => {
            for n in &imp.names {
                if n.name == "*" {
                    if !links.py_stars.contains(t) {
                        links.py_stars.push(*t);
                    }
                } else {
                    bind(links, &n.local, Binding::Name(*t, n.name.clone()));
                }
            }
            let names: Vec<&ImportedName> = imp.names.iter().collect();
            links.occs.push(mk(ImportTarget::Module(*t), &names));
            return;
        }
        PyMod::File(init) => {
            let dir = paths::dirname(idx.files.get(*init).map(|f| f.path.as_str()).unwrap_or(""))
                .to_string();
            for n in &imp.names {
                if n.name == "*" {
                    if !links.py_stars.contains(init) {
                        links.py_stars.push(*init);
                    }
                    add(&mut groups, *init, n);
                    continue;
                }
                let defines = idx.top_level(*init, &n.name).is_some()
                    || idx
                        .top_names
                        .get(*init)
                        .is_some_and(|s| s.contains(n.name.as_str()))
                    || idx
                        .import_locals
                        .get(*init)
                        .is_some_and(|s| s.contains(n.name.as_str()));
                if defines {
                    add(&mut groups, *init, n);
                    bind(links, &n.local, Binding::Name(*init, n.name.clone()));
                    continue;
                }
                match in_root(idx, &dir, &[n.name.as_str()]) {
                    Some(PyMod::File(sub)) => {
                        add(&mut groups, sub, n);
                        bind(links, &n.local, Binding::Module(sub));
                    }
                    Some(PyMod::Namespace(d)) => {
                        add(&mut groups, *init, n);
                        bind(links, &n.local, Binding::Namespace(d));
                    }
                    None => {
                        add(&mut groups, *init, n);
                        bind(links, &n.local, Binding::Name(*init, n.name.clone()));
                    }
                }
            }
            if imp.names.is_empty() {
                links.occs.push(mk(ImportTarget::Module(*init), &[]));
            }
        }
        PyMod::Namespace(dir) => {
            for n in &imp.names {
                match in_root(idx, dir, &[n.name.as_str()]) {
                    Some(PyMod::File(sub)) => {
                        add(&mut groups, sub, n);
                        bind(links, &n.local, Binding::Module(sub));
                    }
                    Some(PyMod::Namespace(d)) => bind(links, &n.local, Binding::Namespace(d)),
                    None => {
                        unresolved = true;
                        bind(links, &n.local, Binding::Unresolved);
                    }
                }
            }
        }
    }
    for (t, names) in groups {
        links.occs.push(mk(ImportTarget::Module(t), &names));
    }
    if unresolved {
        links.unresolved.insert(imp.specifier.clone());
        links.unresolved_count += 1;
    }
}
