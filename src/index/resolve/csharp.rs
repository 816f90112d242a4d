//! C# import resolution (`indexer.md` §8.7): the namespace index, `using N;` edges to the files
//! of N declaring referenced types, `using static`, `using` aliases, and the namespace scope.

use std::collections::BTreeMap;

use crate::index::facts::{ImportKind, Language};

use super::symbols::{Binding, FileLinks, ImportOcc, ImportTarget, Index, Pick};

/// Is namespace `ns` declared by, or a prefix of a namespace declared by, a project file?
fn internal(idx: &Index<'_>, fam: usize, ns: &str) -> bool {
    let dotted = format!("{ns}.");
    idx.ns_files
        .keys()
        .any(|(f, n)| *f == fam && (*n == ns || n.starts_with(&dotted)))
}

/// `N.T` → (file, class node of T) when N is a project namespace declaring top-level type T.
fn find_type(idx: &Index<'_>, fam: usize, spec: &str) -> Option<(usize, usize)> {
    let (ns, t) = spec.rsplit_once('.')?;
    let files = idx.ns_files.get(&(fam, ns))?;
    match idx.top_level_in(files, t, true) {
        Pick::One(c) => Some((idx.node(c)?.file, c)),
        _ => None,
    }
}

/// Resolve every `using` of a C# file.
pub fn link(idx: &Index<'_>, file: usize) -> FileLinks {
    let mut links = FileLinks::default();
    let Some(f) = idx.files.get(file) else {
        return links;
    };
    if f.facts.parse_failed {
        return links;
    }
    let fam = Language::CSharp.family();
    // The file's namespaces and their enclosing namespaces, innermost first.
    let mut scopes: Vec<String> = Vec::new();
    for ns in &f.facts.namespaces {
        let mut cur = ns.as_str();
        loop {
            if !scopes.iter().any(|s| s == cur) {
                scopes.push(cur.to_string());
            }
            match cur.rsplit_once('.') {
                Some((outer, _)) => cur = outer,
                None => break,
            }
        }
    }
    for ns in &scopes {
        if let Some(files) = idx.ns_files.get(&(fam, ns.as_str())) {
            let others: Vec<usize> = files.iter().copied().filter(|&x| x != file).collect();
            if !others.is_empty() {
                links.scope_groups.push(others);
            }
        }
    }
    for imp in &f.facts.imports {
        if imp.kind != ImportKind::CsUsing {
            continue;
        }
        let spec = imp.specifier.as_str();
        let occ = |target: ImportTarget, names: Vec<String>| ImportOcc {
            target,
            line: imp.line,
            module: spec.to_string(),
            names,
            alias: imp.alias.clone(),
            type_only: false,
            dynamic: false,
        };
        if imp.is_static || imp.alias.is_some() {
            if let Some((tf, class)) = find_type(idx, fam, spec) {
                let t = spec.rsplit('.').next().unwrap_or(spec).to_string();
                if tf != file {
                    links
                        .occs
                        .push(occ(ImportTarget::Module(tf), vec![t.clone()]));
                }
                match &imp.alias {
                    Some(a) if !imp.is_static => {
                        links
                            .bindings
                            .entry(a.clone())
                            .or_insert(Binding::Name(tf, t));
                    }
                    _ => links.static_classes.push(class),
                }
                continue;
            }
        }
        if !imp.is_static {
            if let Some(files) = idx.ns_files.get(&(fam, spec)) {
                let mut per_file: BTreeMap<usize, Vec<String>> = BTreeMap::new();
                for t in &f.facts.referenced_types {
                    for &nf in files {
                        if nf != file
                            && idx
                                .children_of(nf, None, t)
                                .iter()
                                .any(|&n| idx.is_class(n))
                        {
                            per_file.entry(nf).or_default().push(t.clone());
                        }
                    }
                }
                for (nf, names) in per_file {
                    links.occs.push(occ(ImportTarget::Module(nf), names));
                }
                match &imp.alias {
                    Some(a) => {
                        links
                            .bindings
                            .entry(a.clone())
                            .or_insert(Binding::Package(files.clone()));
                    }
                    None => links.scope_groups.push(files.clone()),
                }
                continue;
            }
        }
        if internal(idx, fam, spec)
            || spec
                .rsplit_once('.')
                .is_some_and(|(ns, _)| imp.is_static && internal(idx, fam, ns))
        {
            links.unresolved.insert(spec.to_string());
            links.unresolved_count += 1;
            if let Some(a) = &imp.alias {
                links
                    .bindings
                    .entry(a.clone())
                    .or_insert(Binding::Unresolved);
            }
            continue;
        }
        links.external_deps.insert(spec.to_string());
        links
            .occs
            .push(occ(ImportTarget::Ext(spec.to_string()), Vec::new()));
        if let Some(a) = &imp.alias {
            links
                .bindings
                .entry(a.clone())
                .or_insert(Binding::External(spec.to_string()));
        }
    }
    links
}
