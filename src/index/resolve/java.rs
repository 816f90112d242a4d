//! Java import resolution (`indexer.md` §8.6): packages from `package` declarations, the type
//! index (package, top-level type) → file, single-type, on-demand and static imports.

use std::collections::BTreeMap;

use crate::index::facts::{ImportKind, Language};

use super::symbols::{Binding, FileLinks, ImportOcc, ImportTarget, Index, Pick};

/// The package part of an import: the segments before the first one starting with an
/// upper-case letter (`java.util.List` → `java.util`).
fn package_part(segs: &[&str]) -> String {
    let k = segs
        .iter()
        .position(|s| s.chars().next().is_some_and(char::is_uppercase))
        .unwrap_or(segs.len());
    segs.get(..k).unwrap_or(&[]).join(".")
}

/// Is `pkg` declared by, or a prefix of a package declared by, a project file?
fn internal(idx: &Index<'_>, fam: usize, pkg: &str) -> bool {
    if pkg.is_empty() {
        return false;
    }
    let dotted = format!("{pkg}.");
    idx.ns_files
        .keys()
        .any(|(f, ns)| *f == fam && (*ns == pkg || ns.starts_with(&dotted)))
}

/// The file and class of `a.b.C[.Inner…]`: the longest declared package prefix followed by a
/// top-level type. Returns (file, class node, number of segments used up to the top type).
fn find_type(idx: &Index<'_>, fam: usize, segs: &[&str]) -> Option<(usize, usize, usize)> {
    for k in (1..segs.len()).rev() {
        let pkg = segs.get(..k)?.join(".");
        let Some(files) = idx.ns_files.get(&(fam, pkg.as_str())) else {
            continue;
        };
        if let Pick::One(c) = idx.top_level_in(files, segs.get(k)?, true) {
            return Some((idx.node(c)?.file, c, k + 1));
        }
    }
    None
}

/// Resolve every import of a Java file.
pub fn link(idx: &Index<'_>, file: usize) -> FileLinks {
    let mut links = FileLinks::default();
    let Some(f) = idx.files.get(file) else {
        return links;
    };
    if f.facts.parse_failed {
        return links;
    }
    let fam = Language::Java.family();
    if let Some(pkg) = f.facts.package.as_deref() {
        if let Some(files) = idx.ns_files.get(&(fam, pkg)) {
            let others: Vec<usize> = files.iter().copied().filter(|&x| x != file).collect();
            if !others.is_empty() {
                links.scope_groups.push(others);
            }
        }
    }
    // Simple names bound by single-type imports (they shadow on-demand imports).
    let single: Vec<&str> = f
        .facts
        .imports
        .iter()
        .filter(|i| {
            i.kind == ImportKind::Java && !i.is_static && !i.names.iter().any(|n| n.name == "*")
        })
        .filter_map(|i| i.specifier.rsplit('.').next())
        .collect();
    for imp in &f.facts.imports {
        if imp.kind != ImportKind::Java {
            continue;
        }
        let segs: Vec<&str> = imp.specifier.split('.').collect();
        let star = imp.names.iter().any(|n| n.name == "*");
        let occ = |target: ImportTarget, names: Vec<String>| ImportOcc {
            target,
            line: imp.line,
            module: imp.specifier.clone(),
            names,
            alias: None,
            type_only: false,
            dynamic: false,
        };
        if star && !imp.is_static {
            // On-demand `a.b.*`.
            if let Some(files) = idx.ns_files.get(&(fam, imp.specifier.as_str())) {
                let mut per_file: BTreeMap<usize, Vec<String>> = BTreeMap::new();
                for t in &f.facts.referenced_types {
                    if single.contains(&t.as_str()) || idx.top_level(file, t).is_some() {
                        continue;
                    }
                    for &pf in files {
                        if pf != file
                            && idx
                                .children_of(pf, None, t)
                                .iter()
                                .any(|&n| idx.is_class(n))
                        {
                            per_file.entry(pf).or_default().push(t.clone());
                        }
                    }
                }
                for (pf, names) in per_file {
                    links.occs.push(occ(ImportTarget::Module(pf), names));
                }
                links.scope_groups.push(files.clone());
            } else if internal(idx, fam, &imp.specifier) {
                links.unresolved.insert(imp.specifier.clone());
                links.unresolved_count += 1;
            } else {
                links.external_deps.insert(imp.specifier.clone());
                links.occs.push(occ(
                    ImportTarget::Ext(imp.specifier.clone()),
                    vec!["*".to_string()],
                ));
            }
            continue;
        }
        let last = segs.last().copied().unwrap_or("");
        match find_type(idx, fam, &segs) {
            Some((tf, class, used)) => {
                let names = vec![if star {
                    "*".to_string()
                } else {
                    last.to_string()
                }];
                if tf != file {
                    links.occs.push(occ(ImportTarget::Module(tf), names));
                }
                let member = segs.get(used - 1..).unwrap_or(&[]).join(".");
                if imp.is_static && star {
                    // `import static a.b.C.*` (or `a.b.C.Inner.*`).
                    let mut c = Some(class);
                    for seg in segs.get(used..).unwrap_or(&[]) {
                        c = c.and_then(|c| {
                            idx.children_of(tf, Some(c), seg)
                                .iter()
                                .copied()
                                .find(|&n| idx.is_class(n))
                        });
                    }
                    if let Some(c) = c {
                        links.static_classes.push(c);
                    }
                } else {
                    links
                        .bindings
                        .entry(last.to_string())
                        .or_insert(Binding::Name(tf, member));
                }
            }
            None => {
                let pkg = package_part(&segs);
                let pkg = if pkg.is_empty() || pkg == imp.specifier {
                    segs.get(..segs.len().saturating_sub(1))
                        .unwrap_or(&[])
                        .join(".")
                } else {
                    pkg
                };
                if internal(idx, fam, &pkg) {
                    links.unresolved.insert(imp.specifier.clone());
                    links.unresolved_count += 1;
                    if !star {
                        links
                            .bindings
                            .entry(last.to_string())
                            .or_insert(Binding::Unresolved);
                    }
                } else if !pkg.is_empty() {
                    links.external_deps.insert(pkg.clone());
                    let names = vec![if star {
                        "*".to_string()
                    } else {
                        last.to_string()
                    }];
                    links.occs.push(occ(ImportTarget::Ext(pkg.clone()), names));
                    if !star {
                        links
                            .bindings
                            .entry(last.to_string())
                            .or_insert(Binding::External(pkg));
                    }
                }
            }
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::package_part;

    #[test]
    fn package_parts() {
        assert_eq!(package_part(&["java", "util", "List"]), "java.util");
        assert_eq!(package_part(&["java", "util", "Map", "Entry"]), "java.util");
        assert_eq!(package_part(&["org", "junit"]), "org.junit");
    }
}
