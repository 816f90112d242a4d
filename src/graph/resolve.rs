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
    /// The node a reference names, or `None` (→ `404 Node not found: <ref>`): the best of
    /// [`Graph::resolve_candidates`], so both always agree.
    pub fn resolve(&self, reference: &str) -> Option<u32> {
        self.resolve_candidates(reference).first().copied()
    }

    /// Every candidate of the first step that finds any, best first (type rank, then the
    /// shortest id, then the smallest id); empty when no step finds a node. MUQL names the
    /// runners-up in its ambiguity warning (`muql.md` §6).
    pub fn resolve_candidates(&self, reference: &str) -> Vec<u32> {
        let r = reference.trim();
        if r.is_empty() {
            return Vec::new();
        }
        for prefix in ["mod:", "cls:", "fn:", "ext:"] {
            if let Some(rest) = r.strip_prefix(prefix) {
                return self.resolve_prefixed(prefix, rest, r);
            }
        }
        // 2. exact name
        if let Some(ids) = self.by_name.get(r) {
            if !ids.is_empty() {
                return self.ranked(ids.clone());
            }
        }
        // 3. case-insensitive name
        let lower = r.to_lowercase();
        let found = self.matching(|n| n.name.to_lowercase() == lower);
        if !found.is_empty() {
            return self.ranked(found);
        }
        // 4. qualified-name suffix
        let dot = format!(".{r}");
        let colon = format!(":{r}");
        let found = self.matching(|n| {
            n.qualified_name
                .as_deref()
                .is_some_and(|q| q == r || q.ends_with(&dot) || q.ends_with(&colon))
        });
        if !found.is_empty() {
            return self.ranked(found);
        }
        // 5. path rules
        if is_path_like(r) {
            let found = self.path_matches(&normalise_path(r, &self.root));
            if !found.is_empty() {
                return self.ranked(found);
            }
        }
        // 6. substring: case-sensitive first, then case-insensitive
        if r.chars().count() >= 3 {
            let found = self.matching(|n| n.name.contains(r));
            if !found.is_empty() {
                return self.ranked(found);
            }
            return self.ranked(self.matching(|n| n.name.to_lowercase().contains(&lower)));
        }
        Vec::new()
    }

    /// Step 1: a prefixed id never reaches the name steps.
    fn resolve_prefixed(&self, prefix: &str, rest: &str, whole: &str) -> Vec<u32> {
        if let Some(i) = self.find(whole) {
            return vec![i];
        }
        match prefix {
            "mod:" => {
                let p = normalise_path(rest, &self.root);
                match self.find(&format!("mod:{p}")) {
                    Some(i) => vec![i],
                    None => self.ranked(self.path_matches(&p)),
                }
            }
            "cls:" | "fn:" => {
                let Some((p, tail)) = rest.split_once(':') else {
                    return Vec::new();
                };
                let p = normalise_path(p, &self.root);
                if let Some(i) = self.find(&format!("{prefix}{p}:{tail}")) {
                    return vec![i];
                }
                let modules = self.path_matches(&p);
                let [m] = modules.as_slice() else {
                    return Vec::new();
                };
                self.node(*m)
                    .file_path
                    .as_deref()
                    .and_then(|fp| self.find(&format!("{prefix}{fp}:{tail}")))
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        }
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

    /// Several matches ordered best first: type rank, then the shortest id, then the smallest.
    fn ranked(&self, mut candidates: Vec<u32>) -> Vec<u32> {
        candidates.sort_by(|&a, &b| {
            let (x, y) = (self.node(a), self.node(b));
            (type_rank(x.node_type), x.id.chars().count(), &x.id).cmp(&(
                type_rank(y.node_type),
                y.id.chars().count(),
                &y.id,
            ))
        });
        candidates
    }
}
