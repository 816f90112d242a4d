//! Resolution: the per-file facts of a whole project in, the stored rows (nodes and edges) out
//! (`indexer.md` §5, §8–§10; `mubase.md` §6–§8).
//!
//! Stages, each a pure function of the previous ones:
//! 1. [`symbols::Index`]: definition nodes merged by id, name indexes (sequential, one pass);
//! 2. import links per file ([`python`], [`js`]): outcomes, import edges, local bindings (parallel);
//! 3. resolved bases of every class (parallel);
//! 4. per-file edges: contains, imports, inherits, calls, uses (parallel), then nodes, externals,
//!    sorting by id.
//!
//! Parallel stages map files/nodes to results collected in input order, so the output never
//! depends on scheduling.

mod affected;
mod builtins;
mod calls;
mod config;
mod csharp;
mod golang;
mod java;
mod js;
mod paths;
mod python;
mod rustlang;
mod symbols;

#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use crate::index::facts::{ClassKind, DefIdx, FileFacts, Language};
use crate::index::model::{
    self, ClassProps, ContainsProps, EdgeRow, EdgeType, ExternalProps, FunctionProps, ImportsProps,
    InheritsProps, ModuleProps, NodeRow, NodeType, ParamProps, UsesProps,
};

use symbols::{FileLinks, ImportTarget, Index, Resolver, TypeRes};

pub use affected::{affected, Change};
pub use builtins::{is_builtin, JS_GLOBALS, PYTHON_BUILTINS};

/// One indexed source file and its facts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative, '/'-separated, e.g. `pkg/a.py`.
    pub path: String,
    pub language: Language,
    /// 0 for an empty file (module `line_start`/`line_end` are then NULL).
    pub total_lines: u32,
    pub facts: Arc<FileFacts>,
}

/// Resolution config files found by the scanner (tsconfig*.json, jsconfig.json, package.json,
/// pnpm-workspace.yaml, pyproject.toml, setup.cfg, setup.py, .murc.toml), relative path ->
/// content. The set of directories that exist is derived from the source paths.
#[derive(Debug, Clone, Default)]
pub struct ProjectConfig {
    pub files: BTreeMap<String, String>,
}

/// The resolved graph of a project.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedGraph {
    /// Sorted by id.
    pub nodes: Vec<NodeRow>,
    /// Sorted by id.
    pub edges: Vec<EdgeRow>,
    /// Total count of unresolved-internal import facts (of the files produced).
    pub unresolved_imports: usize,
    /// Per produced file (by path): its unresolved-internal import count and the external
    /// packages its edges target (`mubase.md` §8.3: an external exists while some edge
    /// targets it; its `languages` are those of the files whose edges do).
    pub file_externals: BTreeMap<String, FileResolved>,
}

/// Per-file resolution summary (see [`ResolvedGraph::file_externals`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileResolved {
    pub unresolved_imports: usize,
    pub externals: BTreeSet<String>,
    /// Rows this file owns, by type in [`NodeType::ALL`] / [`EdgeType::ALL`] order.
    pub node_counts: [u64; 4],
    pub edge_counts: [u64; 5],
}

/// The external nodes (`mubase.md` §8.3) for packages referenced by files of the given
/// languages, sorted by id.
pub fn external_rows(refs: &BTreeMap<String, BTreeSet<&'static str>>) -> Vec<NodeRow> {
    refs.iter()
        .map(|(pkg, langs)| NodeRow {
            id: format!("ext:{pkg}"),
            node_type: NodeType::External,
            name: pkg.clone(),
            qualified_name: Some(pkg.clone()),
            file_path: None,
            line_start: None,
            line_end: None,
            properties: model::to_json(&ExternalProps {
                languages: langs.iter().copied().collect(),
            }),
            complexity: 0,
        })
        .collect()
}

/// The per-language import linkers, run lazily per file by [`Resolver::links`].
struct Linker<'a> {
    py: python::PyCtx,
    js: js::JsCtx<'a>,
    go: golang::GoCtx,
    rs: rustlang::RustCtx,
}

impl symbols::Link for Linker<'_> {
    fn link(&self, idx: &Index<'_>, fi: usize) -> FileLinks {
        match idx.files.get(fi).map(|f| f.language) {
            Some(Language::Python) => python::link(idx, &self.py, fi),
            Some(Language::TypeScript | Language::JavaScript) => js::link(idx, &self.js, fi),
            Some(Language::Go) => golang::link(idx, &self.go, fi),
            Some(Language::Rust) => rustlang::link(idx, &self.rs, fi),
            Some(Language::Java) => java::link(idx, fi),
            Some(Language::CSharp) => csharp::link(idx, fi),
            None => FileLinks::default(),
        }
    }
}

impl ResolvedGraph {
    /// `codebase_stats.graph` (`mubase.md` §9.4): counts per node and edge type, all present,
    /// in the spec's key order, as JSON text.
    pub fn graph_stats(&self) -> String {
        let nodes: Vec<String> = NodeType::ALL
            .iter()
            .map(|t| {
                let n = self.nodes.iter().filter(|x| x.node_type == *t).count();
                format!("\"{}\":{n}", t.as_str())
            })
            .collect();
        let edges: Vec<String> = EdgeType::ALL
            .iter()
            .map(|t| {
                let n = self.edges.iter().filter(|x| x.edge_type == *t).count();
                format!("\"{}\":{n}", t.as_str())
            })
            .collect();
        format!(
            "{{\"nodes\":{{{}}},\"edges\":{{{}}}}}",
            nodes.join(","),
            edges.join(",")
        )
    }
}

/// Resolve the facts of every file into rows. `files` is sorted by path with unique paths.
/// Pure and deterministic.
pub fn resolve(files: &[SourceFile], config: &ProjectConfig) -> ResolvedGraph {
    resolve_only(files, config, None)
}

/// Like [`resolve`], but produce only the rows owned by the files with `only[i] == true`
/// (`None` = every file): their module and definition nodes, the edges they own, and the
/// externals those edges target (with the languages of these files only; the caller
/// reconciles externals over all files with [`ResolvedGraph::file_externals`]). The rows of a
/// file are identical to those a full [`resolve`] gives it: resolution is still project-wide,
/// only the output is narrowed, and import links and bases of files outside the subset are
/// computed only when a lookup needs them.
pub fn resolve_only(
    files: &[SourceFile],
    config: &ProjectConfig,
    only: Option<&[bool]>,
) -> ResolvedGraph {
    let wanted = |fi: usize| only.is_none_or(|o| o.get(fi).copied().unwrap_or(false));
    let idx = Index::build(files);
    let cfg = config::ConfigFiles::new(&config.files);
    let linker = Linker {
        py: python::PyCtx::new(&idx, config),
        js: js::JsCtx::new(&idx, cfg),
        go: golang::GoCtx::new(&idx, config),
        rs: rustlang::RustCtx::new(&idx, config),
    };
    let mut r = Resolver::new(idx, Box::new(linker));
    // Import links of the wanted files, in parallel (others on demand).
    (0..files.len())
        .into_par_iter()
        .filter(|&fi| wanted(fi))
        .for_each(|fi| {
            r.links(fi);
        });
    attach_rust_methods(&mut r);

    // Class nodes per file, for inherits edges.
    let mut nodes_of_file: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (n, node) in r.idx.nodes.iter().enumerate() {
        if let Some(v) = nodes_of_file.get_mut(node.file) {
            v.push(n);
        }
    }
    let impls = rust_impls(&r, &wanted);

    let per_file: Vec<Option<FileOut>> = (0..files.len())
        .into_par_iter()
        .map(|fi| {
            wanted(fi).then(|| {
                file_edges(
                    &r,
                    fi,
                    nodes_of_file.get(fi).map(Vec::as_slice).unwrap_or(&[]),
                    &impls,
                )
            })
        })
        .collect();

    let mut nodes: Vec<NodeRow> = Vec::with_capacity(r.idx.nodes.len() + files.len());
    let mut edges: Vec<EdgeRow> = Vec::new();
    let mut unresolved = 0usize;
    let mut externals: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let mut file_externals = BTreeMap::new();
    for (fi, (f, out)) in files.iter().zip(per_file).enumerate() {
        let Some(out) = out else { continue };
        let links = r.links(fi);
        let n_unresolved = links.map_or(0, |l| l.unresolved_count);
        unresolved += n_unresolved;
        nodes.push(module_row(f, links));
        let mut pkgs = BTreeSet::new();
        for (pkg, lang) in out.externals {
            externals.entry(pkg.clone()).or_default().insert(lang);
            pkgs.insert(pkg);
        }
        let mut node_counts = [1, 0, 0, 0];
        for &n in nodes_of_file.get(fi).map(Vec::as_slice).unwrap_or(&[]) {
            node_counts[if r.idx.is_class(n) { 1 } else { 2 }] += 1;
        }
        let mut edge_counts = [0u64; 5];
        for e in &out.edges {
            if let Some(k) = EdgeType::ALL.iter().position(|t| *t == e.edge_type) {
                edge_counts[k] += 1;
            }
        }
        file_externals.insert(
            f.path.clone(),
            FileResolved {
                unresolved_imports: n_unresolved,
                externals: pkgs,
                node_counts,
                edge_counts,
            },
        );
        edges.extend(out.edges);
    }
    nodes.par_extend(
        (0..r.idx.nodes.len())
            .into_par_iter()
            .filter(|&n| r.idx.node(n).is_some_and(|x| wanted(x.file)))
            .filter_map(|n| def_row(&r, n)),
    );
    nodes.extend(external_rows(&externals));
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    nodes.dedup_by(|a, b| a.id == b.id);
    edges.sort_by(|a, b| a.id.cmp(&b.id));
    edges.dedup_by(|a, b| a.id == b.id);
    ResolvedGraph {
        nodes,
        edges,
        unresolved_imports: unresolved,
        file_externals,
    }
}

fn to_i32(x: u32) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

fn module_row(f: &SourceFile, links: Option<&FileLinks>) -> NodeRow {
    let (ext, unres): (Vec<String>, Vec<String>) = match links {
        Some(l) => (
            l.external_deps.iter().cloned().collect(),
            l.unresolved.iter().cloned().collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let props = ModuleProps {
        language: f.language.as_str(),
        total_lines: f.total_lines,
        parse_errors: f.facts.parse_errors,
        parse_failed: f.facts.parse_failed.then_some(true),
        external_deps: ext,
        unresolved_imports: unres,
        package: match f.language {
            Language::Go | Language::Java => f.facts.package.as_deref(),
            _ => None,
        },
        namespaces: (f.language == Language::CSharp).then(|| f.facts.namespaces.clone()),
        docstring: f.facts.docstring.as_deref(),
    };
    let lines = (f.total_lines > 0).then(|| to_i32(f.total_lines));
    NodeRow {
        id: format!("mod:{}", f.path),
        node_type: NodeType::Module,
        name: paths::file_stem(&f.path).to_string(),
        qualified_name: Some(f.path.clone()),
        file_path: Some(f.path.clone()),
        line_start: lines.map(|_| 1),
        line_end: lines,
        properties: model::to_json(&props),
        complexity: 0,
    }
}

fn def_row(r: &Resolver<'_>, n: usize) -> Option<NodeRow> {
    let node = r.idx.node(n)?;
    let f = r.idx.files.get(node.file)?;
    let facts = &f.facts;
    let prim = facts.defs.get(node.primary as usize)?;
    let complexity = node
        .defs
        .iter()
        .filter_map(|&d| facts.defs.get(d as usize))
        .map(|d| d.complexity)
        .max()
        .unwrap_or(0);
    let (node_type, properties, complexity) = if node.is_class {
        let ci = prim.class.as_ref();
        let attrs: &[String] = ci.map(|c| c.attributes.as_slice()).unwrap_or(&[]);
        let props = ClassProps {
            kind: ci.map(|c| c.kind.as_str()).unwrap_or("class"),
            bases: ci
                .map(|c| c.bases.iter().map(|b| b.text.as_str()).collect())
                .unwrap_or_default(),
            decorators: &prim.decorators,
            attributes: attrs.get(..attrs.len().min(100)).unwrap_or(&[]),
            visibility: prim.visibility.as_deref(),
            docstring: prim.docstring.as_deref(),
        };
        (NodeType::Class, model::to_json(&props), 0)
    } else {
        let default_fi = crate::index::facts::FunctionInfo::default();
        let fi = prim.function.as_ref().unwrap_or(&default_fi);
        let is_method = node.parent.is_some_and(|p| r.idx.is_class(p)) || node.attach.is_some();
        let count = node.defs.len();
        let props = FunctionProps {
            is_method,
            is_async: fi.is_async,
            is_static: fi.is_static,
            is_classmethod: fi.is_classmethod,
            is_property: fi.is_property,
            is_constructor: fi.is_constructor,
            visibility: prim.visibility.as_deref(),
            receiver: fi.receiver.as_deref(),
            parameters: fi
                .parameters
                .iter()
                .map(|p| ParamProps {
                    name: &p.name,
                    type_: p.type_.as_deref(),
                    default: p.default.as_deref(),
                    variadic: p.variadic,
                    keyword: p.keyword,
                })
                .collect(),
            return_type: fi.return_type.as_deref(),
            decorators: &prim.decorators,
            overloads: (count > 1).then(|| u32::try_from(count).unwrap_or(u32::MAX)),
            docstring: prim.docstring.as_deref(),
        };
        (NodeType::Function, model::to_json(&props), complexity)
    };
    Some(NodeRow {
        id: node.id.clone(),
        node_type,
        name: node.name.to_string(),
        qualified_name: Some(format!("{}:{}", f.path, node.qname)),
        file_path: Some(f.path.clone()),
        line_start: Some(to_i32(prim.line_start)),
        line_end: Some(to_i32(prim.line_end)),
        properties,
        complexity: to_i32(complexity),
    })
}

/// One base of a class node and how it resolved.
pub(crate) struct BaseRef {
    text: String,
    line: u32,
    relation: &'static str,
    pub(crate) res: TypeRes,
}

pub(crate) fn class_bases(r: &Resolver<'_>, n: usize) -> Vec<BaseRef> {
    let Some(node) = r.idx.node(n) else {
        return Vec::new();
    };
    if !node.is_class {
        return Vec::new();
    }
    let Some(facts) = r.idx.files.get(node.file).map(|f| &f.facts) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &d in &node.defs {
        let Some(ci) = facts.defs.get(d as usize).and_then(|d| d.class.as_ref()) else {
            continue;
        };
        let lang = r.idx.language(node.file);
        for b in &ci.bases {
            let mut res = r.resolve_type(node.file, node.parent, &b.text);
            if res == TypeRes::Class(n) {
                res = TypeRes::None;
            }
            // C#: a base whose resolved kind is an interface is implemented (§9).
            let relation = match (&res, lang) {
                (TypeRes::Class(c), Some(Language::CSharp))
                    if r.idx.class_kind(*c) == Some(ClassKind::Interface)
                        && !r
                            .idx
                            .class_kind(n)
                            .is_some_and(|k| k == ClassKind::Interface) =>
                {
                    "implements"
                }
                _ => b.relation.as_str(),
            };
            out.push(BaseRef {
                text: b.text.clone(),
                line: b.line,
                relation,
                res,
            });
        }
    }
    out
}

/// Edges of one file plus the externals they target.
struct FileOut {
    edges: Vec<EdgeRow>,
    externals: Vec<(String, &'static str)>,
}

enum Extra {
    Contains,
    Imports {
        module: String,
        names: BTreeSet<String>,
        alias: Option<String>,
        type_only: bool,
        dynamic: bool,
    },
    Inherits {
        base_name: String,
        relation: &'static str,
        owner: Option<String>,
    },
    Calls,
    Uses {
        type_name: String,
    },
}

struct Acc {
    source: String,
    target: String,
    etype: EdgeType,
    line: u32,
    seq: usize,
    count: u32,
    extra: Extra,
}

#[derive(Default)]
struct Edges {
    map: HashMap<String, Acc>,
    seq: usize,
}

impl Edges {
    /// Add one occurrence; merges with an existing edge (first occurrence by (line, order)).
    fn add(&mut self, source: &str, etype: EdgeType, target: &str, line: u32, extra: Extra) {
        self.seq += 1;
        let seq = self.seq;
        let id = EdgeRow::make_id(source, etype, target);
        match self.map.get_mut(&id) {
            None => {
                self.map.insert(
                    id,
                    Acc {
                        source: source.to_string(),
                        target: target.to_string(),
                        etype,
                        line,
                        seq,
                        count: 1,
                        extra,
                    },
                );
            }
            Some(acc) => {
                acc.count = acc.count.saturating_add(1);
                let earlier = (line, seq) < (acc.line, acc.seq);
                if earlier {
                    acc.line = line;
                    acc.seq = seq;
                }
                match (&mut acc.extra, extra) {
                    (
                        Extra::Imports {
                            module,
                            names,
                            alias,
                            type_only,
                            dynamic,
                        },
                        Extra::Imports {
                            module: m2,
                            names: n2,
                            alias: a2,
                            type_only: t2,
                            dynamic: d2,
                        },
                    ) => {
                        names.extend(n2);
                        *type_only &= t2;
                        *dynamic &= d2;
                        if earlier {
                            *module = m2;
                            *alias = a2;
                        }
                    }
                    (
                        Extra::Inherits {
                            base_name,
                            relation,
                            ..
                        },
                        Extra::Inherits {
                            base_name: b2,
                            relation: r2,
                            ..
                        },
                    ) if earlier => {
                        *base_name = b2;
                        *relation = r2;
                    }
                    (Extra::Uses { type_name }, Extra::Uses { type_name: t2 }) if earlier => {
                        *type_name = t2;
                    }
                    _ => {}
                }
            }
        }
    }

    fn finish(self) -> Vec<EdgeRow> {
        let mut out: Vec<EdgeRow> = self
            .map
            .into_iter()
            .map(|(id, a)| {
                let properties = match &a.extra {
                    Extra::Contains => model::to_json(&ContainsProps { line: a.line }),
                    Extra::Imports {
                        module,
                        names,
                        alias,
                        type_only,
                        dynamic,
                    } => model::to_json(&ImportsProps {
                        line: a.line,
                        module,
                        names: names.iter().cloned().collect(),
                        alias: alias.as_deref(),
                        type_only: *type_only,
                        dynamic: *dynamic,
                        count: a.count,
                        owner: None,
                    }),
                    Extra::Inherits {
                        base_name,
                        relation,
                        owner,
                    } => model::to_json(&InheritsProps {
                        line: a.line,
                        base_name,
                        relation,
                        owner: owner.as_deref(),
                    }),
                    Extra::Calls => model::to_json(&model::CallsProps {
                        line: a.line,
                        count: a.count,
                        owner: None,
                    }),
                    Extra::Uses { type_name } => model::to_json(&UsesProps {
                        line: a.line,
                        type_name,
                        count: a.count,
                        owner: None,
                    }),
                };
                EdgeRow {
                    id,
                    source_id: a.source,
                    target_id: a.target,
                    edge_type: a.etype,
                    properties,
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

fn file_edges(r: &Resolver<'_>, fi: usize, own_nodes: &[usize], impls: &[ImplRef]) -> FileOut {
    let mut out = FileOut {
        edges: Vec::new(),
        externals: Vec::new(),
    };
    let Some(f) = r.idx.files.get(fi) else {
        return out;
    };
    if f.facts.parse_failed {
        return out;
    }
    let module_id = format!("mod:{}", f.path);
    let node_id = |n: usize| r.idx.node(n).map(|x| x.id.as_str());
    let src_of = |def: Option<DefIdx>| -> &str {
        def.and_then(|d| r.idx.def_node(fi, d))
            .and_then(node_id)
            .unwrap_or(module_id.as_str())
    };
    let facts = &f.facts;
    let mut edges = Edges::default();

    // Contains.
    for &n in own_nodes {
        let Some(node) = r.idx.node(n) else { continue };
        let line = facts
            .defs
            .get(node.primary as usize)
            .map_or(0, |d| d.line_start);
        let src = node.parent.and_then(node_id).unwrap_or(module_id.as_str());
        edges.add(src, EdgeType::Contains, &node.id, line, Extra::Contains);
    }

    // Imports.
    if let Some(links) = r.links(fi) {
        for occ in &links.occs {
            let target = match &occ.target {
                ImportTarget::Module(m) => match r.idx.files.get(*m) {
                    Some(t) => format!("mod:{}", t.path),
                    None => continue,
                },
                ImportTarget::Ext(p) => {
                    out.externals.push((p.clone(), lang_static(f.language)));
                    format!("ext:{p}")
                }
            };
            edges.add(
                &module_id,
                EdgeType::Imports,
                &target,
                occ.line,
                Extra::Imports {
                    module: occ.module.clone(),
                    names: occ.names.iter().cloned().collect(),
                    alias: occ.alias.clone(),
                    type_only: occ.type_only,
                    dynamic: occ.dynamic,
                },
            );
        }
    }

    // Inherits.
    for &n in own_nodes {
        let Some(node) = r.idx.node(n) else { continue };
        for b in &class_bases(r, n) {
            let target = match &b.res {
                TypeRes::Class(c) => match node_id(*c) {
                    Some(id) => id.to_string(),
                    None => continue,
                },
                TypeRes::Ext(p) => {
                    out.externals.push((p.clone(), lang_static(f.language)));
                    format!("ext:{p}")
                }
                TypeRes::None => continue,
            };
            edges.add(
                &node.id,
                EdgeType::Inherits,
                &target,
                b.line,
                Extra::Inherits {
                    base_name: b.text.clone(),
                    relation: b.relation,
                    owner: None,
                },
            );
        }
    }
    // Rust `impl Trait for Type` written in this file (§5.4), owned by this file.
    for imp in impls.iter().filter(|i| i.file == fi) {
        let Some(src) = imp.type_node else { continue };
        let Some(src_node) = r.idx.node(src) else {
            continue;
        };
        let target = match &imp.trait_res {
            TypeRes::Class(c) if *c != src => match node_id(*c) {
                Some(id) => id.to_string(),
                None => continue,
            },
            TypeRes::Ext(p) => {
                out.externals.push((p.clone(), lang_static(f.language)));
                format!("ext:{p}")
            }
            _ => continue,
        };
        let owner = (src_node.file != fi).then(|| f.path.clone());
        edges.add(
            &src_node.id,
            EdgeType::Inherits,
            &target,
            imp.line,
            Extra::Inherits {
                base_name: imp.trait_text.clone(),
                relation: "implements",
                owner,
            },
        );
    }

    // Calls.
    for c in &facts.calls {
        let Some(t) = r.resolve_call(fi, c.caller, &c.callee) else {
            continue;
        };
        let Some(tid) = node_id(t) else { continue };
        edges.add(src_of(c.caller), EdgeType::Calls, tid, c.line, Extra::Calls);
    }

    // Uses.
    for tr in &facts.type_refs {
        let Some(owner) = tr.owner.and_then(|d| r.idx.def_node(fi, d)) else {
            continue;
        };
        let TypeRes::Class(t) = r.resolve_type(fi, Some(owner), &tr.name) else {
            continue;
        };
        if r.idx.chain(Some(owner)).contains(&t) {
            continue;
        }
        let (Some(sid), Some(tid)) = (node_id(owner), node_id(t)) else {
            continue;
        };
        edges.add(
            sid,
            EdgeType::Uses,
            tid,
            tr.line,
            Extra::Uses {
                type_name: tr.name.clone(),
            },
        );
    }

    out.edges = edges.finish();
    out
}

/// One Rust `impl Trait for Type` and how its two names resolved.
struct ImplRef {
    file: usize,
    line: u32,
    trait_text: String,
    type_node: Option<usize>,
    trait_res: TypeRes,
}

fn rust_impls(r: &Resolver<'_>, wanted: &dyn Fn(usize) -> bool) -> Vec<ImplRef> {
    let mut out = Vec::new();
    for (fi, f) in r.idx.files.iter().enumerate() {
        if f.language != Language::Rust || f.facts.parse_failed || !wanted(fi) {
            continue;
        }
        for imp in &f.facts.impls {
            let type_node = match r.resolve_type(fi, None, &imp.type_name) {
                TypeRes::Class(c) => Some(c),
                _ => None,
            };
            out.push(ImplRef {
                file: fi,
                line: imp.line,
                trait_text: imp.trait_text.clone(),
                type_node,
                trait_res: r.resolve_type(fi, None, &imp.trait_text),
            });
        }
    }
    out
}

/// Rust impl methods hang off their type's class node when the type resolves (§5.4, §9).
fn attach_rust_methods(r: &mut Resolver<'_>) {
    let mut moves = Vec::new();
    for (n, node) in r.idx.nodes.iter().enumerate() {
        let (Some(t), None) = (node.attach, node.parent) else {
            continue;
        };
        if r.idx.language(node.file) != Some(Language::Rust) {
            continue;
        }
        // Inline modules prefix the qname: `m.Type.f` attaches to `m.Type` of the same file.
        let prefix = node
            .qname
            .strip_suffix(node.name)
            .and_then(|q| q.strip_suffix('.'))
            .unwrap_or("");
        if prefix != t {
            if let Some(&c) = r.idx.qname_class.get(&(node.file, prefix)) {
                moves.push((n, c));
                continue;
            }
        }
        if let TypeRes::Class(c) = r.resolve_type(node.file, None, t) {
            moves.push((n, c));
        }
    }
    for (n, c) in moves {
        r.idx.attach(n, c);
    }
}

fn lang_static(l: Language) -> &'static str {
    l.as_str()
}
