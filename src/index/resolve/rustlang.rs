//! Rust import resolution (`indexer.md` §8.5): crates from `Cargo.toml`, the module tree from
//! `mod x;` declarations, and `use` paths through `crate::`, `self::`, `super::`, child modules
//! and workspace crates. Inline `mod m { … }` blocks are scopes of their file: `super` inside
//! one leaves the inline module first.

use std::collections::{HashMap, VecDeque};

use crate::index::facts::{Import, ImportKind, Language};

use super::paths;
use super::symbols::{Binding, FileLinks, ImportOcc, ImportTarget, Index};
use super::ProjectConfig;

/// Crates that are always external.
const STD_CRATES: &[&str] = &["std", "core", "alloc", "proc_macro", "test"];

/// Rust resolution context: crate roots and the module tree.
pub struct RustCtx {
    /// Crate name (`-` → `_`) → root file.
    crates: HashMap<String, usize>,
    /// Module file → crate root file.
    root_of: HashMap<usize, usize>,
    /// Module file → the module file declaring it (`mod x;`).
    parent: HashMap<usize, usize>,
    /// (module file, `mod` name declared at file level) → module file.
    children: HashMap<(usize, String), usize>,
    /// (module file, inline scope joined by `::`, `mod` name) → module file.
    scoped_children: HashMap<(usize, String, String), usize>,
}

impl RustCtx {
    pub fn new(idx: &Index<'_>, cfg: &ProjectConfig) -> RustCtx {
        let mut crates: HashMap<String, usize> = HashMap::new();
        let mut roots: Vec<usize> = Vec::new();
        let mut add_root = |name: Option<&str>, path: String, roots: &mut Vec<usize>| {
            if let Some(fi) = idx.file_of(&path) {
                if !roots.contains(&fi) {
                    roots.push(fi);
                }
                if let Some(n) = name {
                    crates.entry(n.replace('-', "_")).or_insert(fi);
                }
            }
        };
        let mut any_manifest = false;
        for (path, text) in &cfg.files {
            if paths::basename(path) != "Cargo.toml" {
                continue;
            }
            let Ok(doc) = text.parse::<toml::Table>() else {
                continue;
            };
            let Some(pkg) = doc.get("package").and_then(|p| p.as_table()) else {
                continue;
            };
            any_manifest = true;
            let dir = paths::dirname(path);
            let name = pkg.get("name").and_then(|n| n.as_str());
            let lib = doc
                .get("lib")
                .and_then(|l| l.get("path"))
                .and_then(|p| p.as_str())
                .unwrap_or("src/lib.rs");
            if let Some(p) = paths::join(dir, lib) {
                add_root(name, p, &mut roots);
            }
            if let Some(bins) = doc.get("bin").and_then(|b| b.as_array()) {
                for b in bins {
                    if let Some(p) = b.get("path").and_then(|p| p.as_str()) {
                        if let Some(p) = paths::join(dir, p) {
                            add_root(name, p, &mut roots);
                        }
                    }
                }
            }
            add_root(name, paths::child(dir, "src/main.rs"), &mut roots);
            let bin_dir = paths::child(dir, "src/bin");
            for (fi, f) in idx.files.iter().enumerate() {
                if f.language == Language::Rust
                    && paths::dirname(&f.path) == bin_dir
                    && !roots.contains(&fi)
                {
                    roots.push(fi);
                }
            }
        }
        if !any_manifest {
            add_root(None, "src/lib.rs".to_string(), &mut roots);
            add_root(None, "src/main.rs".to_string(), &mut roots);
        }
        let mut ctx = RustCtx {
            crates,
            root_of: HashMap::new(),
            parent: HashMap::new(),
            children: HashMap::new(),
            scoped_children: HashMap::new(),
        };
        // Files reached from no crate root (tests/, examples/, benches/, build.rs) are roots of
        // their own.
        let mut queue: VecDeque<(usize, usize)> = roots.iter().map(|&r| (r, r)).collect();
        for (fi, f) in idx.files.iter().enumerate() {
            if f.language == Language::Rust {
                queue.push_back((fi, fi));
            }
        }
        while let Some((file, root)) = queue.pop_front() {
            if ctx.root_of.contains_key(&file) {
                continue;
            }
            ctx.root_of.insert(file, root);
            let Some(f) = idx.files.get(file) else {
                continue;
            };
            let is_root = file == root;
            for imp in &f.facts.imports {
                if imp.kind != ImportKind::RustMod {
                    continue;
                }
                let Some(child) = mod_file(idx, &f.path, is_root, imp) else {
                    continue;
                };
                if imp.scope.is_empty() {
                    ctx.children
                        .entry((file, imp.specifier.clone()))
                        .or_insert(child);
                } else {
                    ctx.scoped_children
                        .entry((file, imp.scope.join("::"), imp.specifier.clone()))
                        .or_insert(child);
                }
                if !ctx.root_of.contains_key(&child) {
                    ctx.parent.entry(child).or_insert(file);
                    // Declared children are visited before the files queued as own roots.
                    queue.push_front((child, root));
                }
            }
        }
        ctx
    }

    fn child(&self, module: usize, scope: &[String], name: &str) -> Option<usize> {
        if scope.is_empty() {
            self.children.get(&(module, name.to_string())).copied()
        } else {
            self.scoped_children
                .get(&(module, scope.join("::"), name.to_string()))
                .copied()
        }
    }
}

/// The file a `mod x;` declaration in `path` names.
fn mod_file(idx: &Index<'_>, path: &str, is_root: bool, imp: &Import) -> Option<usize> {
    let dir = paths::dirname(path);
    if let Some(p) = &imp.path_attr {
        return paths::join(dir, p).and_then(|p| idx.file_of(&p));
    }
    let base = if is_root || paths::basename(path) == "mod.rs" {
        dir.to_string()
    } else {
        paths::child(dir, paths::file_stem(path))
    };
    let mut base = base;
    for s in &imp.scope {
        base = paths::child(&base, s);
    }
    let x = &imp.specifier;
    idx.file_of(&paths::child(&base, &format!("{x}.rs")))
        .or_else(|| idx.file_of(&paths::child(&base, &format!("{x}/mod.rs"))))
}

/// Where a `use` path leads.
enum UseOutcome {
    /// Module file reached and the segments left over (imported names).
    Internal(usize, Vec<String>),
    External(String),
    Unresolved,
}

fn resolve_use(ctx: &RustCtx, file: usize, scope: &[String], segs: &[&str]) -> UseOutcome {
    let Some(first) = segs.first() else {
        return UseOutcome::Unresolved;
    };
    // (module file, inline scope within it)
    let mut cur: (usize, Vec<String>);
    let mut rest = segs.get(1..).unwrap_or(&[]);
    match *first {
        "crate" => {
            let Some(&root) = ctx.root_of.get(&file) else {
                return UseOutcome::Unresolved;
            };
            cur = (root, Vec::new());
        }
        "self" => cur = (file, scope.to_vec()),
        "super" => {
            cur = (file, scope.to_vec());
            let mut ups = 1;
            while rest.first() == Some(&"super") {
                ups += 1;
                rest = rest.get(1..).unwrap_or(&[]);
            }
            for _ in 0..ups {
                if cur.1.pop().is_none() {
                    match ctx.parent.get(&cur.0) {
                        Some(&p) => cur = (p, Vec::new()),
                        None => return UseOutcome::Unresolved,
                    }
                }
            }
        }
        name => {
            if let Some(c) = ctx.child(file, scope, name) {
                cur = (c, Vec::new());
            } else if let Some(&root) = ctx.crates.get(name) {
                cur = (root, Vec::new());
            } else if STD_CRATES.contains(&name) || !name.is_empty() {
                return UseOutcome::External(name.to_string());
            } else {
                return UseOutcome::Unresolved;
            }
        }
    }
    let mut i = 0;
    while let Some(seg) = rest.get(i) {
        match ctx.child(cur.0, &cur.1, seg) {
            Some(c) => {
                cur = (c, Vec::new());
                i += 1;
            }
            None => break,
        }
    }
    let names = rest
        .get(i..)
        .unwrap_or(&[])
        .iter()
        .map(|s| s.to_string())
        .collect();
    UseOutcome::Internal(cur.0, names)
}

/// Resolve every `use`, `mod` and `extern crate` of a Rust file.
pub fn link(idx: &Index<'_>, ctx: &RustCtx, file: usize) -> FileLinks {
    let mut links = FileLinks::default();
    let Some(f) = idx.files.get(file) else {
        return links;
    };
    if f.facts.parse_failed {
        return links;
    }
    // Path roots usable in expressions (`crate::util::f()`, `super::f()`).
    if let Some(&root) = ctx.root_of.get(&file) {
        links
            .bindings
            .insert("crate".to_string(), Binding::Module(root));
    }
    links
        .bindings
        .insert("self".to_string(), Binding::Module(file));
    if let Some(&p) = ctx.parent.get(&file) {
        links
            .bindings
            .insert("super".to_string(), Binding::Module(p));
    }
    for imp in &f.facts.imports {
        let occ = |target: ImportTarget, names: Vec<String>| ImportOcc {
            target,
            line: imp.line,
            module: imp.specifier.clone(),
            names,
            alias: None,
            type_only: false,
            dynamic: false,
        };
        match imp.kind {
            ImportKind::RustMod => match ctx.child(file, &imp.scope, &imp.specifier) {
                Some(c) => {
                    links.occs.push(occ(ImportTarget::Module(c), Vec::new()));
                    if imp.scope.is_empty() {
                        links
                            .bindings
                            .entry(imp.specifier.clone())
                            .or_insert(Binding::Module(c));
                    }
                }
                None => {
                    links.unresolved.insert(imp.specifier.clone());
                    links.unresolved_count += 1;
                }
            },
            ImportKind::RustUse => {
                let segs: Vec<&str> = imp
                    .specifier
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .collect();
                let glob = imp.names.iter().any(|n| n.name == "*");
                let local = imp.alias.as_deref();
                match resolve_use(ctx, file, &imp.scope, &segs) {
                    UseOutcome::Unresolved => {
                        links.unresolved.insert(imp.specifier.clone());
                        links.unresolved_count += 1;
                        if let Some(l) = local {
                            bind(&mut links, imp.reexport, l, Binding::Unresolved);
                        }
                    }
                    UseOutcome::External(pkg) => {
                        let names = if glob {
                            vec!["*".to_string()]
                        } else {
                            segs.last()
                                .filter(|_| segs.len() > 1)
                                .map(|s| vec![s.to_string()])
                                .unwrap_or_default()
                        };
                        links.external_deps.insert(pkg.clone());
                        links.occs.push(occ(ImportTarget::Ext(pkg.clone()), names));
                        if let Some(l) = local {
                            bind(&mut links, imp.reexport, l, Binding::External(pkg));
                        }
                    }
                    UseOutcome::Internal(m, rest) => {
                        let names = if glob {
                            vec!["*".to_string()]
                        } else {
                            rest.last().map(|s| vec![s.clone()]).unwrap_or_default()
                        };
                        if m != file {
                            links.occs.push(occ(ImportTarget::Module(m), names));
                        }
                        if glob {
                            if rest.is_empty() && m != file && !links.py_stars.contains(&m) {
                                links.py_stars.push(m);
                            }
                        } else if let Some(l) = local {
                            let b = if rest.is_empty() {
                                Binding::Module(m)
                            } else {
                                Binding::Name(m, rest.join("."))
                            };
                            bind(&mut links, imp.reexport, l, b);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    links
}

fn bind(links: &mut FileLinks, reexport: bool, local: &str, b: Binding) {
    if local.is_empty() || local == "_" {
        return;
    }
    if reexport {
        links
            .reexports
            .entry(local.to_string())
            .or_insert(b.clone());
    }
    links.bindings.entry(local.to_string()).or_insert(b);
}
