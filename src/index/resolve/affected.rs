//! Which files an incremental update must re-resolve (`indexer.md` §11.2–§11.3).
//!
//! A file's *export keys* describe everything other files' resolution can observe of it: its
//! path, its definitions (qualified names, kinds, class bases and kinds, attributes and field
//! types, attach targets), the names it binds or re-exports through imports, its top-level
//! names, its package or namespaces and Rust impls. Δ is the symmetric difference of the old and
//! new keys of the changed files. A file is **affected** when it changed, or when it references
//! a name occurring in Δ — names from callees, receivers, types, bases, locals, field types,
//! import specifiers and bindings, Go selectors, Java/C# type names, Rust impls, its package or
//! namespaces, and its own file stem and directory name. The name set is deliberately generous: the
//! path segments of a created or deleted file reach every importer whose specifier mentions
//! them (the "probe index"), and package/namespace segments reach every file in or importing
//! that scope (the "scope index"). Re-resolving more files than needed is allowed; fewer never
//! (the randomised incremental == full tests check it).

use std::collections::{BTreeMap, HashSet};

use crate::index::facts::{Callee, DefKind, FileFacts, LocalTy, Receiver};

use super::SourceFile;

/// One changed file: its facts before (`None` = created) and after (`None` = deleted).
pub struct Change<'a> {
    pub path: &'a str,
    pub old: Option<&'a FileFacts>,
    pub new: Option<&'a FileFacts>,
}

/// Export keys of one file (§11.3 step 2), each with the names it carries.
pub fn export_keys(path: &str, facts: &FileFacts) -> BTreeMap<String, Vec<String>> {
    let mut k: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut put = |key: String, texts: &[&str]| {
        let names = texts
            .iter()
            .flat_map(|t| tokens(t))
            .map(str::to_string)
            .collect();
        k.insert(key, names);
    };
    // Path segments without the extension: every importer whose specifier mentions them.
    let stemmed = match path.rsplit_once('.') {
        Some((p, _)) if !p.is_empty() => p,
        _ => path,
    };
    put(format!("path:{path}"), &[stemmed]);
    if facts.parse_failed {
        return k;
    }
    for d in &facts.defs {
        let kind = match d.kind {
            DefKind::Class => "c",
            DefKind::Function => "f",
        };
        put(format!("def:{kind}:{}", d.qname), &[&d.qname]);
        if let Some(a) = &d.attach {
            put(format!("attach:{a}:{}", d.qname), &[a, &d.qname]);
        }
        if let Some(ns) = &d.namespace {
            put(format!("ns:{ns}:{}", d.qname), &[ns, &d.qname]);
        }
        if let Some(ci) = &d.class {
            put(
                format!("ckind:{}:{}", d.qname, ci.kind.as_str()),
                &[&d.qname],
            );
            for b in &ci.bases {
                put(
                    format!("base:{}:{}:{}", d.qname, b.text, b.relation.as_str()),
                    &[&d.qname, &b.text],
                );
            }
            for a in &ci.attributes {
                put(format!("attr:{}:{a}", d.qname), &[&d.qname, a]);
            }
            for (n, t) in &ci.field_types {
                put(format!("field:{}:{n}:{t}", d.qname), &[&d.qname, n]);
            }
        }
    }
    for i in &facts.imports {
        let names: Vec<String> = i
            .names
            .iter()
            .map(|n| format!("{}>{}>{}", n.name, n.local, n.type_only))
            .collect();
        let key = format!(
            "imp:{:?}:{}:{:?}:{}:{}:{}:{}:{:?}:{}:{}",
            i.kind,
            i.specifier,
            i.alias,
            names.join(","),
            i.reexport,
            i.is_static,
            i.scope.join("::"),
            i.path_attr,
            i.type_only,
            i.dynamic
        );
        let mut texts: Vec<&str> = vec![&i.specifier];
        texts.extend(i.alias.as_deref());
        texts.extend(i.path_attr.as_deref());
        for n in &i.names {
            texts.push(&n.name);
            texts.push(&n.local);
        }
        put(key, &texts);
    }
    for n in &facts.top_level_names {
        put(format!("top:{n}"), &[n]);
    }
    if let Some(d) = &facts.default_export {
        put(format!("default:{d}"), &[d, "default"]);
    }
    if let Some(p) = &facts.package {
        put(format!("pkg:{p}"), &[p]);
    }
    for ns in &facts.namespaces {
        put(format!("nsdecl:{ns}"), &[ns]);
    }
    for i in &facts.impls {
        put(
            format!("impl:{}:{}", i.type_name, i.trait_text),
            &[&i.type_name, &i.trait_text],
        );
    }
    k
}

/// Identifier-like tokens of a text (`a.b::C<D>` → `a`, `b`, `C`, `D`).
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|t| !t.is_empty())
}

/// The names a file references (§11.2 name index, plus probe and scope tokens).
pub fn referenced_names(path: &str, facts: &FileFacts) -> HashSet<String> {
    let mut out: HashSet<String> = HashSet::new();
    let mut add = |t: &str| {
        for tok in tokens(t) {
            if !out.contains(tok) {
                out.insert(tok.to_string());
            }
        }
    };
    // Its own stem and directory: a Rust `mod x;` change re-roots `x.rs` / `x/mod.rs`.
    add(super::paths::file_stem(path));
    add(super::paths::basename(super::paths::dirname(path)));
    if let Some(p) = &facts.package {
        add(p);
    }
    for ns in &facts.namespaces {
        add(ns);
    }
    for c in &facts.calls {
        match &c.callee {
            Callee::Bare(n) | Callee::SelfMember(n) | Callee::SuperMember(n) | Callee::New(n) => {
                add(n)
            }
            Callee::Member { receiver, name } => {
                add(name);
                match receiver {
                    Receiver::Ident(x) | Receiver::SelfField(x) | Receiver::NewOf(x) => add(x),
                    Receiver::Path(segs) => {
                        for s in segs {
                            add(s);
                        }
                    }
                    Receiver::Other => {}
                }
            }
        }
    }
    for t in &facts.type_refs {
        add(&t.name);
    }
    for d in &facts.defs {
        if let Some(a) = &d.attach {
            add(a);
        }
        if let Some(ns) = &d.namespace {
            add(ns);
        }
        for l in &d.locals {
            if let LocalTy::Declared(t) | LocalTy::Ctor(t) = &l.ty {
                add(t);
            }
        }
        if let Some(fi) = &d.function {
            for p in &fi.parameters {
                if let Some(t) = &p.type_ {
                    add(t);
                }
            }
        }
        if let Some(ci) = &d.class {
            for b in &ci.bases {
                add(&b.text);
            }
            for (_, t) in &ci.field_types {
                add(t);
            }
        }
    }
    for i in &facts.imports {
        add(&i.specifier);
        if let Some(a) = &i.alias {
            add(a);
        }
        if let Some(p) = &i.path_attr {
            add(p);
        }
        for s in &i.scope {
            add(s);
        }
        for n in &i.names {
            add(&n.name);
            add(&n.local);
        }
    }
    for (x, n) in &facts.qualified_refs {
        add(x);
        add(n);
    }
    for t in &facts.referenced_types {
        add(t);
    }
    for i in &facts.impls {
        add(&i.type_name);
        add(&i.trait_text);
    }
    if let Some(d) = &facts.default_export {
        add(d);
    }
    out
}

/// Files (by index into `files`, the new file set) to re-resolve after `changes`.
pub fn affected(files: &[SourceFile], changes: &[Change<'_>]) -> Vec<bool> {
    let mut delta_names: HashSet<String> = HashSet::new();
    let mut changed: HashSet<&str> = HashSet::new();
    for c in changes {
        changed.insert(c.path);
        let old = c.old.map(|f| export_keys(c.path, f)).unwrap_or_default();
        let new = c.new.map(|f| export_keys(c.path, f)).unwrap_or_default();
        let gone = old.iter().filter(|(key, _)| !new.contains_key(*key));
        let came = new.iter().filter(|(key, _)| !old.contains_key(*key));
        for (_, names) in gone.chain(came) {
            delta_names.extend(names.iter().cloned());
        }
    }
    files
        .iter()
        .map(|f| {
            changed.contains(f.path.as_str())
                || (!delta_names.is_empty()
                    && referenced_names(&f.path, &f.facts)
                        .iter()
                        .any(|n| delta_names.contains(n)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::facts::ImportKind;
    use crate::index::facts::{Language, LocalType};
    use crate::index::resolve::tests::{call, class, func, import};
    use std::sync::Arc;

    fn file(path: &str, facts: FileFacts) -> SourceFile {
        SourceFile {
            path: path.to_string(),
            language: Language::Python,
            total_lines: 10,
            facts: Arc::new(facts),
        }
    }

    #[test]
    fn body_edit_affects_only_the_file() {
        let mut a = FileFacts::default();
        a.defs.push(func("helper", None, (1, 2), 1));
        let mut a2 = a.clone();
        if let Some(d) = a2.defs.first_mut() {
            d.complexity = 3;
            d.line_end = 5;
        }
        let mut b = FileFacts::default();
        b.imports
            .push(import("a", ImportKind::PyFrom, &["helper"], 1));
        b.calls.push(call(None, Callee::Bare("helper".into()), 3));
        let files = vec![file("a.py", a2.clone()), file("b.py", b)];
        let got = affected(
            &files,
            &[Change {
                path: "a.py",
                old: Some(&a),
                new: Some(&a2),
            }],
        );
        assert_eq!(got, vec![true, false]);
    }

    #[test]
    fn new_definition_reaches_referencing_files_only() {
        let a = FileFacts::default();
        let mut a2 = FileFacts::default();
        a2.defs.push(class("Order", None, (1, 2)));
        let mut b = FileFacts::default();
        b.defs.push(func("f", None, (1, 3), 1));
        if let Some(d) = b.defs.first_mut() {
            d.locals.push(LocalType {
                name: "o".into(),
                ty: LocalTy::Declared("Order".into()),
            });
        }
        let mut c = FileFacts::default();
        c.calls.push(call(None, Callee::Bare("other".into()), 1));
        let files = vec![file("a.py", a2.clone()), file("b.py", b), file("c.py", c)];
        let got = affected(
            &files,
            &[Change {
                path: "a.py",
                old: Some(&a),
                new: Some(&a2),
            }],
        );
        assert_eq!(got, vec![true, true, false]);
    }

    #[test]
    fn created_file_reaches_importers_by_path_segment() {
        let mut b = FileFacts::default();
        b.imports
            .push(import(".util", ImportKind::PyFrom, &["x"], 1));
        let c = FileFacts::default();
        let files = vec![
            file("pkg/b.py", b),
            file("pkg/c.py", c),
            file("pkg/util.py", FileFacts::default()),
        ];
        let got = affected(
            &files,
            &[Change {
                path: "pkg/util.py",
                old: None,
                new: Some(&FileFacts::default()),
            }],
        );
        // c.py only shares the directory `pkg` with the new path: re-resolved too (a
        // superset is allowed, fewer never).
        assert_eq!(got, vec![true, true, true]);
    }
}
