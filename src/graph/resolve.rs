//! Node-reference resolution (`http-api.md` §3.3), shared by every endpoint that takes one
//! node reference and later by MUQL. The steps run in order and the first one that finds a node
//! wins; among several matches of one step, the type rank, then the shortest id, then the
//! smallest id decide.

use std::path::Path;

use super::{type_rank, Graph};
use crate::index::model::NodeType;

/// File extensions that make a reference path-like (step 5).
const PATH_EXTENSIONS: &[&str] = &[
    ".py", ".pyi", ".pyw", ".ts", ".mts", ".cts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".go",
    ".java", ".rs", ".cs",
];

fn is_path_like(r: &str) -> bool {
    r.contains('/') || r.contains('\\') || PATH_EXTENSIONS.iter().any(|e| r.ends_with(e))
}

/// `\` → `/`, leading `./` removed, repeated `/` collapsed, an absolute path inside the project
/// root made relative.
pub fn normalise_path(p: &str, root: &Path) -> String {
    let mut s = p.replace('\\', "/");
    while s.contains("//") {
        s = s.replace("//", "/");
    }
    let root = root.to_string_lossy();
    let root = root.trim_end_matches('/');
    if !root.is_empty() {
        if let Some(rest) = s.strip_prefix(root) {
            if let Some(rel) = rest.strip_prefix('/') {
                s = rel.to_string();
            }
        }
    }
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

/// An exact id with the path part of a prefixed id normalised (`POST /nodes`, `/export?nodes=`
/// take exact ids only).
pub fn normalise_id(id: &str, root: &Path) -> String {
    let id = id.trim();
    if let Some(rest) = id.strip_prefix("mod:") {
        return format!("mod:{}", normalise_path(rest, root));
    }
    for prefix in ["cls:", "fn:"] {
        if let Some((p, tail)) = id.strip_prefix(prefix).and_then(|r| r.split_once(':')) {
            return format!("{prefix}{}:{tail}", normalise_path(p, root));
        }
    }
    id.to_string()
}

impl Graph {
    /// The node a reference names, or `None` (→ `404 Node not found: <ref>`).
    pub fn resolve(&self, reference: &str) -> Option<u32> {
        let r = reference.trim();
        if r.is_empty() {
            return None;
        }
        for prefix in ["mod:", "cls:", "fn:", "ext:"] {
            if let Some(rest) = r.strip_prefix(prefix) {
                return self.resolve_prefixed(prefix, rest, r);
            }
        }
        let best = |c: Vec<u32>| self.best(c);
        // 2. exact name
        if let Some(ids) = self.by_name.get(r) {
            if let Some(i) = best(ids.clone()) {
                return Some(i);
            }
        }
        // 3. case-insensitive name
        let lower = r.to_lowercase();
        if let Some(i) = best(self.matching(|n| n.name.to_lowercase() == lower)) {
            return Some(i);
        }
        // 4. qualified-name suffix
        let dot = format!(".{r}");
        let colon = format!(":{r}");
        if let Some(i) = best(self.matching(|n| {
            n.qualified_name
                .as_deref()
                .is_some_and(|q| q == r || q.ends_with(&dot) || q.ends_with(&colon))
        })) {
            return Some(i);
        }
        // 5. path rules
        if is_path_like(r) {
            if let Some(i) = self.resolve_path(&normalise_path(r, &self.root)) {
                return Some(i);
            }
        }
        // 6. substring
        if r.chars().count() >= 3 {
            if let Some(i) = best(self.matching(|n| n.name.contains(r))) {
                return Some(i);
            }
            return best(self.matching(|n| n.name.to_lowercase().contains(&lower)));
        }
        None
    }

    /// Step 1: a prefixed id never reaches the name steps.
    fn resolve_prefixed(&self, prefix: &str, rest: &str, whole: &str) -> Option<u32> {
        if let Some(i) = self.find(whole) {
            return Some(i);
        }
        match prefix {
            "mod:" => {
                let p = normalise_path(rest, &self.root);
                self.find(&format!("mod:{p}"))
                    .or_else(|| self.resolve_path(&p))
            }
            "cls:" | "fn:" => {
                let (p, tail) = rest.split_once(':')?;
                let p = normalise_path(p, &self.root);
                if let Some(i) = self.find(&format!("{prefix}{p}:{tail}")) {
                    return Some(i);
                }
                let modules = self.path_matches(&p);
                let [m] = modules.as_slice() else {
                    return None;
                };
                let fp = self.node(*m).file_path.as_deref()?;
                self.find(&format!("{prefix}{fp}:{tail}"))
            }
            _ => None,
        }
    }

    /// Step 5 over module nodes: exact `file_path`, then a suffix on a path boundary, then a
    /// module with id `mod:<p>`.
    fn resolve_path(&self, p: &str) -> Option<u32> {
        let found = self.path_matches(p);
        self.best(found)
    }

    /// The modules matched by the first sub-step of step 5 that matches any.
    fn path_matches(&self, p: &str) -> Vec<u32> {
        if p.is_empty() {
            return Vec::new();
        }
        let is_module = |n: &crate::index::model::NodeRow| n.node_type == NodeType::Module;
        let exact = self.matching(|n| is_module(n) && n.file_path.as_deref() == Some(p));
        if !exact.is_empty() {
            return exact;
        }
        let suffix = format!("/{p}");
        let by_suffix = self.matching(|n| {
            is_module(n) && n.file_path.as_deref().is_some_and(|f| f.ends_with(&suffix))
        });
        if !by_suffix.is_empty() {
            return by_suffix;
        }
        self.find(&format!("mod:{p}"))
            .filter(|&i| is_module(self.node(i)))
            .into_iter()
            .collect()
    }

    fn matching(&self, pred: impl Fn(&crate::index::model::NodeRow) -> bool) -> Vec<u32> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| pred(n))
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// The winner among several matches: type rank, then the shortest id, then the smallest.
    fn best(&self, candidates: Vec<u32>) -> Option<u32> {
        candidates.into_iter().min_by(|&a, &b| {
            let (x, y) = (self.node(a), self.node(b));
            (type_rank(x.node_type), x.id.chars().count(), &x.id).cmp(&(
                type_rank(y.node_type),
                y.id.chars().count(),
                &y.id,
            ))
        })
    }
}
