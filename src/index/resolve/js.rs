//! TypeScript / JavaScript import resolution (`indexer.md` §8.3).

use std::collections::HashMap;

use serde_json::Value;

use crate::index::facts::{ImportedName, Language};

use super::config::{self, ConfigFiles, TsConfig, WsPackage};
use super::paths;
use super::symbols::{Binding, FileLinks, ImportOcc, ImportTarget, Index};

const TS_EXTS: &[&str] = &[
    ".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs",
];
const JS_EXTS: &[&str] = &[
    ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".d.ts",
];

/// Extensions of relative imports that are not code: ignored when they do not resolve.
const NON_CODE: &[&str] = &[
    "css", "scss", "sass", "less", "styl", "pcss", "svg", "png", "jpg", "jpeg", "gif", "webp",
    "avif", "ico", "bmp", "json", "json5", "html", "htm", "md", "mdx", "txt", "csv", "xml", "yaml",
    "yml", "toml", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "wav", "ogg", "webm",
    "wasm", "graphql", "gql", "vue", "svelte", "astro", "glsl", "frag", "vert", "pdf",
];

/// TS/JS resolution context: configs, nearest tsconfig per directory, workspace packages.
pub struct JsCtx<'a> {
    pub cfg: ConfigFiles<'a>,
    /// (directory, importer is JS) → effective config.
    nearest: HashMap<(String, bool), Option<TsConfig>>,
    ws: Vec<WsPackage>,
}

impl<'a> JsCtx<'a> {
    pub fn new(idx: &Index<'_>, cfg: ConfigFiles<'a>) -> JsCtx<'a> {
        let ws = config::workspace_packages(&cfg);
        let mut nearest = HashMap::new();
        let mut memo: HashMap<String, TsConfig> = HashMap::new();
        for f in idx.files {
            let js = match f.language {
                Language::JavaScript => true,
                Language::TypeScript => false,
                _ => continue,
            };
            let dir = paths::dirname(&f.path).to_string();
            if nearest.contains_key(&(dir.clone(), js)) {
                continue;
            }
            let names: &[&str] = if js {
                &["jsconfig.json", "tsconfig.json"]
            } else {
                &["tsconfig.json"]
            };
            let mut found = None;
            let mut d = Some(dir.as_str());
            'walk: while let Some(cur) = d {
                for n in names {
                    let p = paths::child(cur, n);
                    if cfg.exists(&p) {
                        let c = memo
                            .entry(p.clone())
                            .or_insert_with(|| cfg.tsconfig(&p))
                            .clone();
                        found = Some(c);
                        break 'walk;
                    }
                }
                d = if cur.is_empty() {
                    None
                } else {
                    Some(paths::dirname(cur))
                };
            }
            nearest.insert((dir, js), found);
        }
        JsCtx { cfg, nearest, ws }
    }
}

enum Outcome {
    File(usize),
    External(String),
    Unresolved,
    Ignored,
}

struct Prober<'i, 'a, 'c> {
    idx: &'i Index<'a>,
    ctx: &'i JsCtx<'c>,
    js: bool,
}

impl Prober<'_, '_, '_> {
    fn exts(&self) -> &'static [&'static str] {
        if self.js {
            JS_EXTS
        } else {
            TS_EXTS
        }
    }

    /// Probe candidate path `c` (steps 1–4 of §8.3).
    fn probe(&self, c: &str, depth: u32) -> Option<usize> {
        if let Some(f) = self.probe_file(c) {
            return Some(f);
        }
        if depth < 3 {
            let pj = paths::child(c, "package.json");
            if let Some(v) = self.ctx.cfg.json(&pj) {
                for field in ["source", "module", "main", "types"] {
                    if let Some(s) = v.get(field).and_then(Value::as_str) {
                        if let Some(p) = paths::join(c, s) {
                            if let Some(f) = self.probe(&p, depth + 1) {
                                return Some(f);
                            }
                        }
                    }
                }
            }
        }
        None
    }

    /// Steps 1–3 (no package.json).
    fn probe_file(&self, c: &str) -> Option<usize> {
        if c.is_empty() {
            return self.probe_index("");
        }
        if let Some(f) = self.idx.file_of(c) {
            return Some(f);
        }
        let rewrites: &[(&str, &[&str])] = &[
            (".js", &[".ts", ".tsx"]),
            (".jsx", &[".tsx"]),
            (".mjs", &[".mts"]),
            (".cjs", &[".cts"]),
        ];
        for (from, tos) in rewrites {
            if let Some(stem) = c.strip_suffix(from) {
                for to in *tos {
                    if let Some(f) = self.idx.file_of(&format!("{stem}{to}")) {
                        return Some(f);
                    }
                }
            }
        }
        for e in self.exts() {
            if let Some(f) = self.idx.file_of(&format!("{c}{e}")) {
                return Some(f);
            }
        }
        self.probe_index(c)
    }

    fn probe_index(&self, c: &str) -> Option<usize> {
        let base = paths::child(c, "index");
        self.exts()
            .iter()
            .find_map(|e| self.idx.file_of(&format!("{base}{e}")))
    }

    fn probe_rel(&self, dir: &str, rel: &str) -> Option<usize> {
        self.probe(&paths::join(dir, rel)?, 0)
    }
}

fn is_relative(s: &str) -> bool {
    s == "." || s == ".." || s.starts_with("./") || s.starts_with("../")
}

/// `@scope/name` or first segment, `node:` removed.
pub fn external_package(spec: &str) -> String {
    let s = spec.strip_prefix("node:").unwrap_or(spec);
    let mut it = s.split('/');
    let first = it.next().unwrap_or("");
    if first.starts_with('@') {
        match it.next() {
            Some(second) if !second.is_empty() => format!("{first}/{second}"),
            _ => first.to_string(),
        }
    } else {
        first.to_string()
    }
}

fn match_paths<'t>(cfg: &'t TsConfig, spec: &str) -> Option<(&'t [String], String, bool)> {
    // Exact key first.
    if let Some((_, subs)) = cfg
        .paths
        .iter()
        .find(|(k, _)| k == spec && !k.contains('*'))
    {
        return Some((subs.as_slice(), String::new(), false));
    }
    let mut best: Option<(&'t [String], String, usize, bool)> = None;
    for (k, subs) in &cfg.paths {
        let Some((pre, suf)) = k.split_once('*') else {
            continue;
        };
        if spec.len() >= pre.len() + suf.len() && spec.starts_with(pre) && spec.ends_with(suf) {
            let star = &spec[pre.len()..spec.len() - suf.len()];
            if best.as_ref().is_none_or(|b| pre.len() > b.2) {
                best = Some((subs.as_slice(), star.to_string(), pre.len(), k == "*"));
            }
        }
    }
    best.map(|(s, star, _, catch_all)| (s, star, catch_all))
}

fn resolve_conditions(v: &Value, depth: u32) -> Option<String> {
    if depth > 8 {
        return None;
    }
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            for c in [
                "source", "import", "module", "default", "require", "node", "types",
            ] {
                if let Some(x) = o.get(c) {
                    if let Some(r) = resolve_conditions(x, depth + 1) {
                        return Some(r);
                    }
                }
            }
            None
        }
        Value::Array(a) => a.iter().find_map(|x| resolve_conditions(x, depth + 1)),
        _ => None,
    }
}

fn workspace(p: &Prober<'_, '_, '_>, spec: &str) -> Option<Option<usize>> {
    let pkg = p
        .ctx
        .ws
        .iter()
        .filter(|w| spec == w.name || spec.starts_with(&format!("{}/", w.name)))
        .max_by_key(|w| w.name.len())?;
    let sub = spec[pkg.name.len()..].trim_start_matches('/');
    let dir = pkg.dir.as_str();
    let pj = p.ctx.cfg.json(&paths::child(dir, "package.json"));
    if let Some(exports) = pj.and_then(|v| v.get("exports")) {
        let key = if sub.is_empty() {
            ".".to_string()
        } else {
            format!("./{sub}")
        };
        let entry = match exports {
            Value::Object(o) if o.keys().any(|k| k.starts_with('.')) => o.get(&key),
            other if sub.is_empty() => Some(other),
            _ => None,
        };
        if let Some(target) = entry.and_then(|e| resolve_conditions(e, 0)) {
            if let Some(f) = p.probe_rel(dir, &target) {
                return Some(Some(f));
            }
        }
    }
    if sub.is_empty() {
        if let Some(v) = pj {
            for field in ["source", "module", "main", "types"] {
                if let Some(s) = v.get(field).and_then(Value::as_str) {
                    if let Some(f) = p.probe_rel(dir, s) {
                        return Some(Some(f));
                    }
                }
            }
        }
        for c in ["src/index", "index", "lib/index"] {
            if let Some(f) = p.probe_rel(dir, c) {
                return Some(Some(f));
            }
        }
    } else {
        for c in [sub.to_string(), format!("src/{sub}")] {
            if let Some(f) = p.probe_rel(dir, &c) {
                return Some(Some(f));
            }
        }
    }
    Some(None)
}

fn resolve_spec(p: &Prober<'_, '_, '_>, importer: &str, spec: &str) -> Outcome {
    if spec.is_empty() {
        return Outcome::Ignored;
    }
    let dir = paths::dirname(importer);
    if is_relative(spec) {
        if let Some(f) = p.probe_rel(dir, spec) {
            return Outcome::File(f);
        }
        let base = spec.split(['?', '#']).next().unwrap_or(spec);
        return match paths::extension(base) {
            Some(e) if NON_CODE.contains(&e.to_ascii_lowercase().as_str()) => Outcome::Ignored,
            _ => Outcome::Unresolved,
        };
    }
    if spec.starts_with('/') {
        return Outcome::Unresolved;
    }
    let mut aliased = false;
    if let Some(Some(cfg)) = p.ctx.nearest.get(&(dir.to_string(), p.js)) {
        if let Some((subs, star, catch_all)) = match_paths(cfg, spec) {
            for s in subs {
                let s = s.replace('*', &star);
                if let Some(f) = p.probe_rel(cfg.subst_base(), &s) {
                    return Outcome::File(f);
                }
            }
            aliased = !catch_all;
        }
        if let Some(b) = &cfg.base_url {
            if let Some(f) = p.probe_rel(b, spec) {
                return Outcome::File(f);
            }
        }
    }
    if let Some(r) = workspace(p, spec) {
        return match r {
            Some(f) => Outcome::File(f),
            None => Outcome::Unresolved,
        };
    }
    if aliased {
        return Outcome::Unresolved;
    }
    let pkg = external_package(spec);
    if pkg.is_empty() {
        Outcome::Unresolved
    } else {
        Outcome::External(pkg)
    }
}

fn bind(map: &mut HashMap<String, Binding>, local: &str, b: Binding) {
    if local.is_empty() || local == "*" {
        return;
    }
    map.entry(local.to_string()).or_insert(b);
}

/// Resolve every import of a TS/JS file.
pub fn link(idx: &Index<'_>, ctx: &JsCtx<'_>, file: usize) -> FileLinks {
    let mut links = FileLinks::default();
    let Some(f) = idx.files.get(file) else {
        return links;
    };
    if f.facts.parse_failed {
        return links;
    }
    let p = Prober {
        idx,
        ctx,
        js: f.language == Language::JavaScript,
    };
    for imp in &f.facts.imports {
        let outcome = resolve_spec(&p, &f.path, &imp.specifier);
        let mut names: Vec<String> = imp.names.iter().map(|n| n.name.clone()).collect();
        names.sort();
        names.dedup();
        let type_only =
            imp.type_only || (!imp.names.is_empty() && imp.names.iter().all(|n| n.type_only));
        let occ = |t: ImportTarget| ImportOcc {
            target: t,
            line: imp.line,
            module: imp.specifier.clone(),
            names: names.clone(),
            alias: imp.alias.clone(),
            type_only,
            dynamic: imp.dynamic,
        };
        let whole: Binding;
        let name_binding: Box<dyn Fn(&ImportedName) -> Binding>;
        match outcome {
            Outcome::Ignored => continue,
            Outcome::Unresolved => {
                links.unresolved.insert(imp.specifier.clone());
                links.unresolved_count += 1;
                whole = Binding::Unresolved;
                name_binding = Box::new(|_| Binding::Unresolved);
            }
            Outcome::External(pkg) => {
                links.external_deps.insert(pkg.clone());
                links.occs.push(occ(ImportTarget::Ext(pkg.clone())));
                whole = Binding::External(pkg.clone());
                name_binding = Box::new(move |_| Binding::External(pkg.clone()));
            }
            Outcome::File(t) => {
                links.occs.push(occ(ImportTarget::Module(t)));
                whole = Binding::Module(t);
                name_binding = Box::new(move |n| Binding::Name(t, n.name.clone()));
            }
        }
        if imp.reexport {
            if let Some(a) = &imp.alias {
                bind(&mut links.reexports, a, whole.clone());
            }
            for n in &imp.names {
                if n.name == "*" && (n.local == "*" || n.local.is_empty()) {
                    if let Binding::Module(t) = whole {
                        if !links.es_stars.contains(&t) {
                            links.es_stars.push(t);
                        }
                    }
                } else if n.name == "*" {
                    bind(&mut links.reexports, &n.local, whole.clone());
                } else {
                    bind(&mut links.reexports, &n.local, name_binding(n));
                }
            }
        } else {
            if let Some(a) = &imp.alias {
                bind(&mut links.bindings, a, whole.clone());
            }
            for n in &imp.names {
                if n.name == "*" {
                    bind(&mut links.bindings, &n.local, whole.clone());
                } else {
                    bind(&mut links.bindings, &n.local, name_binding(n));
                }
            }
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn externals() {
        assert_eq!(external_package("lodash/fp"), "lodash");
        assert_eq!(external_package("node:fs"), "fs");
        assert_eq!(external_package("@scope/pkg/sub"), "@scope/pkg");
    }
}
