//! Go import resolution (`indexer.md` §8.4): module paths from `go.mod` (and local `replace`
//! targets), package-granular import edges, package bindings and the package scope.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::index::facts::{ImportKind, Language};

use super::paths;
use super::symbols::{Binding, FileLinks, ImportOcc, ImportTarget, Index};
use super::ProjectConfig;

/// Go resolution context.
pub struct GoCtx {
    /// (module path, directory), longest module path first.
    modules: Vec<(String, String)>,
    /// `require` module paths of every go.mod, longest first.
    requires: Vec<String>,
    /// Directory → its non-test `.go` files, in path order.
    dir_files: HashMap<String, Vec<usize>>,
}

impl GoCtx {
    pub fn new(idx: &Index<'_>, cfg: &ProjectConfig) -> GoCtx {
        let mut modules: Vec<(String, String)> = Vec::new();
        let mut requires: BTreeSet<String> = BTreeSet::new();
        for (path, text) in &cfg.files {
            if paths::basename(path) != "go.mod" {
                continue;
            }
            let dir = paths::dirname(path);
            let gm = parse_go_mod(text);
            if let Some(m) = gm.module {
                modules.push((m, dir.to_string()));
            }
            for (m, target) in gm.local_replaces {
                if let Some(d) = paths::join(dir, &target) {
                    modules.push((m, d));
                }
            }
            requires.extend(gm.requires);
        }
        modules.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        modules.dedup_by(|a, b| a.0 == b.0);
        let mut requires: Vec<String> = requires.into_iter().collect();
        requires.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let mut dir_files: HashMap<String, Vec<usize>> = HashMap::new();
        for (fi, f) in idx.files.iter().enumerate() {
            if f.language == Language::Go && !f.path.ends_with("_test.go") {
                dir_files
                    .entry(paths::dirname(&f.path).to_string())
                    .or_default()
                    .push(fi);
            }
        }
        GoCtx {
            modules,
            requires,
            dir_files,
        }
    }

    /// Non-test files of the package in `dir`: those declaring the package name most of them
    /// declare (ties: the first file's).
    fn package_files(&self, idx: &Index<'_>, dir: &str) -> Vec<usize> {
        let Some(files) = self.dir_files.get(dir) else {
            return Vec::new();
        };
        let pkg_of = |f: usize| {
            idx.files
                .get(f)
                .and_then(|x| x.facts.package.clone())
                .unwrap_or_default()
        };
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (i, &f) in files.iter().enumerate() {
            let e = counts.entry(pkg_of(f)).or_insert((0, i));
            e.0 += 1;
        }
        let best = counts
            .iter()
            .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
            .map(|(k, _)| k.clone())
            .unwrap_or_default();
        files
            .iter()
            .copied()
            .filter(|&f| pkg_of(f) == best)
            .collect()
    }
}

#[derive(Default)]
struct GoMod {
    module: Option<String>,
    requires: Vec<String>,
    /// `replace M [v] => ./dir` with a local (relative) target.
    local_replaces: Vec<(String, String)>,
}

fn parse_go_mod(text: &str) -> GoMod {
    let mut gm = GoMod::default();
    let mut block: Option<&str> = None;
    for raw in text.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(b) = block {
            if line == ")" {
                block = None;
                continue;
            }
            directive(&mut gm, b, line);
            continue;
        }
        let (kw, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        if rest == "(" {
            block = Some(match kw {
                "require" => "require",
                "replace" => "replace",
                _ => "other",
            });
            continue;
        }
        match kw {
            "module" => gm.module = Some(unquote(rest).to_string()),
            "require" | "replace" => directive(&mut gm, kw, rest),
            _ => {}
        }
    }
    gm
}

fn directive(gm: &mut GoMod, kw: &str, line: &str) {
    match kw {
        "require" => {
            if let Some(m) = line.split_whitespace().next() {
                gm.requires.push(unquote(m).to_string());
            }
        }
        "replace" => {
            if let Some((lhs, rhs)) = line.split_once("=>") {
                let m = lhs.split_whitespace().next().map(unquote);
                let target = rhs.split_whitespace().next().map(unquote);
                if let (Some(m), Some(t)) = (m, target) {
                    if t.starts_with("./") || t.starts_with("../") {
                        gm.local_replaces.push((m.to_string(), t.to_string()));
                    }
                }
            }
        }
        _ => {}
    }
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"').trim_matches('`')
}

/// The conventional package name of an external import path (`gopkg.in/yaml.v3` → `yaml`,
/// `github.com/x/y/v2` → `y`).
fn default_name(spec: &str) -> &str {
    let mut segs: Vec<&str> = spec.split('/').collect();
    if segs.len() > 1
        && segs.last().is_some_and(|s| {
            s.len() > 1 && s.starts_with('v') && s[1..].bytes().all(|b| b.is_ascii_digit())
        })
    {
        segs.pop();
    }
    let last = segs.last().copied().unwrap_or(spec);
    let last = last.split('.').next().unwrap_or(last);
    last.strip_prefix("go-").unwrap_or(last)
}

enum Outcome {
    Package(Vec<usize>),
    External(String),
    Unresolved,
}

fn resolve_spec(idx: &Index<'_>, ctx: &GoCtx, spec: &str) -> Outcome {
    for (m, dir) in &ctx.modules {
        let rest = if spec == m {
            Some("")
        } else {
            spec.strip_prefix(m.as_str())
                .and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rest) = rest {
            let pkg_dir = if rest.is_empty() {
                Some(dir.clone())
            } else {
                paths::join(dir, rest)
            };
            let files = pkg_dir
                .map(|d| ctx.package_files(idx, &d))
                .unwrap_or_default();
            return if files.is_empty() {
                Outcome::Unresolved
            } else {
                Outcome::Package(files)
            };
        }
    }
    if ctx.modules.is_empty() {
        // Without go.mod: the single directory whose path ends with the import path.
        let suffix = format!("/{spec}");
        let dirs: Vec<&String> = ctx
            .dir_files
            .keys()
            .filter(|d| d.as_str() == spec || d.ends_with(&suffix))
            .collect();
        if let [d] = dirs.as_slice() {
            let files = ctx.package_files(idx, d);
            if !files.is_empty() {
                return Outcome::Package(files);
            }
        }
    }
    let first = spec.split('/').next().unwrap_or(spec);
    if !first.contains('.') {
        return Outcome::External(spec.to_string());
    }
    let pkg = ctx
        .requires
        .iter()
        .find(|r| spec == r.as_str() || spec.starts_with(&format!("{r}/")))
        .cloned()
        .unwrap_or_else(|| spec.to_string());
    Outcome::External(pkg)
}

/// Resolve every import of a Go file.
pub fn link(idx: &Index<'_>, ctx: &GoCtx, file: usize) -> FileLinks {
    let mut links = FileLinks::default();
    let Some(f) = idx.files.get(file) else {
        return links;
    };
    if f.facts.parse_failed {
        return links;
    }
    let others: Vec<usize> = idx
        .go_package_of(file)
        .iter()
        .copied()
        .filter(|&x| x != file)
        .collect();
    if !others.is_empty() {
        links.scope_groups.push(others);
    }
    for imp in &f.facts.imports {
        if imp.kind != ImportKind::Go || imp.specifier == "C" {
            continue;
        }
        let spec = imp.specifier.as_str();
        let alias = imp.alias.as_deref();
        let occ = |target: ImportTarget, names: Vec<String>| ImportOcc {
            target,
            line: imp.line,
            module: spec.to_string(),
            names,
            alias: imp.alias.clone(),
            type_only: false,
            dynamic: false,
        };
        match resolve_spec(idx, ctx, spec) {
            Outcome::Unresolved => {
                links.unresolved.insert(spec.to_string());
                links.unresolved_count += 1;
                if let Some(a) = alias.filter(|a| !matches!(*a, "_" | ".")) {
                    links
                        .bindings
                        .entry(a.to_string())
                        .or_insert(Binding::Unresolved);
                }
            }
            Outcome::External(pkg) => {
                let local = alias.unwrap_or_else(|| default_name(spec));
                let names = referenced(&f.facts.qualified_refs, local);
                links.external_deps.insert(pkg.clone());
                links.occs.push(occ(ImportTarget::Ext(pkg.clone()), names));
                if !matches!(local, "_" | ".") {
                    links
                        .bindings
                        .entry(local.to_string())
                        .or_insert(Binding::External(pkg));
                }
            }
            Outcome::Package(files) => {
                let pkg_name = files
                    .first()
                    .and_then(|&t| idx.files.get(t))
                    .and_then(|t| t.facts.package.clone())
                    .unwrap_or_else(|| default_name(spec).to_string());
                let local = alias.unwrap_or(pkg_name.as_str()).to_string();
                let refs = if matches!(local.as_str(), "_" | ".") {
                    Vec::new()
                } else {
                    referenced(&f.facts.qualified_refs, &local)
                };
                let mut hit = false;
                for &t in &files {
                    let declared: Vec<String> = refs
                        .iter()
                        .filter(|n| declares(idx, t, n))
                        .cloned()
                        .collect();
                    if !declared.is_empty() {
                        hit = true;
                        links.occs.push(occ(ImportTarget::Module(t), declared));
                    }
                }
                if !hit {
                    for &t in &files {
                        links.occs.push(occ(ImportTarget::Module(t), refs.clone()));
                    }
                }
                match local.as_str() {
                    "_" => {}
                    "." => links.scope_groups.push(files),
                    _ => {
                        links
                            .bindings
                            .entry(local)
                            .or_insert(Binding::Package(files));
                    }
                }
            }
        }
    }
    links
}

/// Selector names the file references through `local` (`local.Name`), sorted.
fn referenced(refs: &[(String, String)], local: &str) -> Vec<String> {
    let mut out: Vec<String> = refs
        .iter()
        .filter(|(x, _)| x == local)
        .map(|(_, n)| n.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Does file `t` declare top-level `name` (a definition or another top-level binding)?
fn declares(idx: &Index<'_>, t: usize, name: &str) -> bool {
    !idx.children_of(t, None, name).is_empty()
        || idx.top_names.get(t).is_some_and(|s| s.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod() {
        let gm = parse_go_mod(
            "module example.com/shop // c\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.2.0\n\tgolang.org/x/net v0.1.0 // indirect\n)\nrequire github.com/c/d v0.0.1\nreplace example.com/lib => ../lib\nreplace github.com/a/b v1.2.0 => github.com/fork/b v1.2.1\n",
        );
        assert_eq!(gm.module.as_deref(), Some("example.com/shop"));
        assert_eq!(
            gm.requires,
            ["github.com/a/b", "golang.org/x/net", "github.com/c/d"]
        );
        assert_eq!(
            gm.local_replaces,
            [("example.com/lib".to_string(), "../lib".to_string())]
        );
    }

    #[test]
    fn default_names() {
        assert_eq!(default_name("net/http"), "http");
        assert_eq!(default_name("gopkg.in/yaml.v3"), "yaml");
        assert_eq!(default_name("github.com/x/y/v2"), "y");
        assert_eq!(default_name("github.com/mattn/go-isatty"), "isatty");
    }
}
