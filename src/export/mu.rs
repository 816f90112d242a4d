//! The MU text format (`context-export-contracts.md` A.8), used by `format=mu` (B.3) and by
//! `POST /context`.
//!
//! A document is the caller's header followed, for each file with a selected node (in
//! `file_path` order), by a blank line and the file's block:
//!
//! ```text
//! !module <path>
//! :: <module docstring, first line>        (only when the module node is selected)
//! @imports [<internal import targets' file paths, sorted>]
//! @ext [<external import targets' names, sorted>]
//! <blank>
//! <classes in source order, each with its members; then functions in source order>
//! ```
//!
//! Structure comes from `contains` edges: a selected definition is written under its container
//! when the container is written, two spaces deeper per level; otherwise at the block's top
//! level, under its dotted qualified name (`outer.inner`) when it is nested. A selected function
//! whose class is not selected is written under a `$ClassName` stub carrying the partial marker.
//! Each level lists classes first, then functions, both in source order (`line_start`, then id).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::View;
use crate::graph::{EdgeFilter, Graph};
use crate::index::model::{EdgeType, NodeRow, NodeType};

/// Rendering options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MuOptions {
    /// Write ` :L<start>-<end>` after functions' signatures (not used by `/context`).
    pub line_numbers: bool,
}

/// Decorators that are visibility modifiers, never written.
const HIDDEN_DECORATORS: [&str; 4] = ["public", "private", "protected", "internal"];
/// `@attrs` shows at most this many names.
const MAX_ATTRS: usize = 15;
/// Docstring lines are cut to this many characters.
const MAX_DOC_CHARS: usize = 120;
const PARTIAL: &str = ":: (partial - selected methods only)";

/// The MU text of the selected nodes (node indexes, any order, duplicates ignored) after
/// `header` (the header lines, newlines included).
pub fn render_mu(graph: &Graph, selected: &[u32], header: &str) -> String {
    render_mu_with(graph, selected, header, MuOptions::default())
}

/// [`render_mu`] with options.
pub fn render_mu_with(graph: &Graph, selected: &[u32], header: &str, opts: MuOptions) -> String {
    let mut files: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for &i in selected {
        if let Some(p) = graph.node(i).file_path.as_deref() {
            files.entry(p).or_default().push(i);
        }
    }
    let mut out = String::from(header);
    for (path, mut nodes) in files {
        nodes.sort_unstable();
        nodes.dedup();
        out.push('\n');
        Block::new(graph, path, &nodes, opts).write(&mut out);
    }
    out
}

/// `format=mu`: the export header and every node of the view.
pub(super) fn render_view(view: &View) -> String {
    let header = format!(
        "# MU Export\n# nodes: {}\n# edges: {}\n",
        view.nodes.len(),
        view.edges.len()
    );
    render_mu(view.graph, &view.nodes, &header)
}

/// The first line of a docstring, cut to 120 characters; `None` when empty.
fn doc_line(props: &Value) -> Option<String> {
    let doc = props.get("docstring")?.as_str()?;
    let line = doc.lines().next().unwrap_or("").trim_end();
    (!line.is_empty()).then(|| line.chars().take(MAX_DOC_CHARS).collect())
}

fn props(n: &NodeRow) -> Value {
    serde_json::from_str(&n.properties).unwrap_or(Value::Null)
}

fn flag(props: &Value, key: &str) -> bool {
    props.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// The non-empty strings of a string array property.
fn strings<'v>(props: &'v Value, key: &str) -> Vec<&'v str> {
    props
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The nearest enclosing definition (or module) of a node: the source of its `contains` edge.
fn container_of(graph: &Graph, i: u32) -> Option<u32> {
    graph
        .in_edges(i, EdgeFilter::of(&[EdgeType::Contains]))
        .map(|(s, _)| s)
        .find(|&s| s != i)
}

/// One file's block.
struct Block<'g> {
    graph: &'g Graph,
    path: &'g str,
    opts: MuOptions,
    /// The selected module node of the file, if any.
    module: Option<u32>,
    /// Written definitions (selected ones and stubs), sorted.
    shown: Vec<u32>,
    /// Stubs: classes written only to hold selected members.
    stubs: Vec<u32>,
    container: HashMap<u32, Option<u32>>,
    children: HashMap<u32, Vec<u32>>,
    roots: Vec<u32>,
}

impl<'g> Block<'g> {
    fn new(graph: &'g Graph, path: &'g str, nodes: &[u32], opts: MuOptions) -> Block<'g> {
        let module = nodes.iter().copied().find(|&i| {
            graph.node(i).node_type == NodeType::Module && graph.module_of(path) == Some(i)
        });
        let selected: Vec<u32> = nodes
            .iter()
            .copied()
            .filter(|&i| {
                matches!(
                    graph.node(i).node_type,
                    NodeType::Class | NodeType::Function
                )
            })
            .collect();
        let mut container: HashMap<u32, Option<u32>> = selected
            .iter()
            .map(|&i| (i, container_of(graph, i)))
            .collect();
        let mut stubs: Vec<u32> = selected
            .iter()
            .filter(|&&i| graph.node(i).node_type == NodeType::Function)
            .filter_map(|i| container[i])
            .filter(|&c| {
                graph.node(c).node_type == NodeType::Class && selected.binary_search(&c).is_err()
            })
            .collect();
        stubs.sort_unstable();
        stubs.dedup();
        for &s in &stubs {
            container.insert(s, container_of(graph, s));
        }
        let mut shown: Vec<u32> = selected.iter().chain(&stubs).copied().collect();
        shown.sort_unstable();
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut roots = Vec::new();
        for &i in &shown {
            match container[&i] {
                Some(c) if shown.binary_search(&c).is_ok() => {
                    children.entry(c).or_default().push(i)
                }
                _ => roots.push(i),
            }
        }
        let mut block = Block {
            graph,
            path,
            opts,
            module,
            shown,
            stubs,
            container,
            children,
            roots,
        };
        block.sort_level_lists();
        block
    }

    /// Classes first, then functions; each in source order (`line_start`, then id).
    fn sort_level_lists(&mut self) {
        let graph = self.graph;
        let key = |i: &u32| {
            let n = graph.node(*i);
            (
                n.node_type != NodeType::Class,
                n.line_start.unwrap_or(i32::MAX),
                *i,
            )
        };
        self.roots.sort_by_key(key);
        for list in self.children.values_mut() {
            list.sort_by_key(key);
        }
    }

    fn write(&self, out: &mut String) {
        let graph = self.graph;
        out.push_str("!module ");
        out.push_str(self.path);
        out.push('\n');
        if let Some(doc) = self.module.and_then(|m| doc_line(&props(graph.node(m)))) {
            out.push_str(":: ");
            out.push_str(&doc);
            out.push('\n');
        }
        if let Some(m) = graph.module_of(self.path) {
            let mut internal: Vec<&str> = Vec::new();
            let mut external: Vec<&str> = Vec::new();
            for (t, _) in graph.out_edges(m, EdgeFilter::of(&[EdgeType::Imports])) {
                let n = graph.node(t);
                match (n.node_type, n.file_path.as_deref()) {
                    (NodeType::External, _) => external.push(&n.name),
                    (NodeType::Module, Some(p)) => internal.push(p),
                    _ => {}
                }
            }
            for (tag, mut list) in [("@imports", internal), ("@ext", external)] {
                if list.is_empty() {
                    continue;
                }
                list.sort_unstable();
                list.dedup();
                out.push_str(tag);
                out.push_str(" [");
                out.push_str(&list.join(", "));
                out.push_str("]\n");
            }
        }
        out.push('\n');
        let mut written = vec![false; self.shown.len()];
        for &r in &self.roots {
            self.entry(out, r, 0, true, &mut written);
        }
        // Definitions caught in a containment cycle (malformed data) still appear.
        for k in 0..self.shown.len() {
            if !written[k] {
                self.entry(out, self.shown[k], 0, true, &mut written);
            }
        }
    }

    /// The name an entry is written under: its dotted qualified name when it sits at the
    /// block's top level although nested in a definition.
    fn display_name(&self, i: u32, top: bool) -> String {
        let n = self.graph.node(i);
        let nested = self
            .container
            .get(&i)
            .copied()
            .flatten()
            .is_some_and(|c| self.graph.node(c).node_type != NodeType::Module);
        if top && nested {
            if let Some(q) = n
                .file_path
                .as_deref()
                .and_then(|p| n.id.split_once(':').map(|(_, rest)| (p, rest)))
                .and_then(|(p, rest)| rest.strip_prefix(p))
                .and_then(|rest| rest.strip_prefix(':'))
            {
                return q.to_string();
            }
        }
        n.name.clone()
    }

    fn entry(&self, out: &mut String, i: u32, depth: usize, top: bool, written: &mut [bool]) {
        let Ok(k) = self.shown.binary_search(&i) else {
            return;
        };
        if written[k] {
            return;
        }
        written[k] = true;
        let indent = "  ".repeat(depth);
        let name = self.display_name(i, top);
        let n = self.graph.node(i);
        if self.stubs.binary_search(&i).is_ok() {
            out.push_str(&format!("{indent}${name}\n{indent}  {PARTIAL}\n"));
        } else if n.node_type == NodeType::Class {
            self.class(out, n, &name, &indent);
        } else {
            self.function(out, n, &name, &indent);
        }
        if let Some(children) = self.children.get(&i) {
            for &c in children {
                self.entry(out, c, depth + 1, false, written);
            }
        }
    }

    fn class(&self, out: &mut String, n: &NodeRow, name: &str, indent: &str) {
        let p = props(n);
        out.push_str(indent);
        out.push('$');
        if let Some(kind) = p.get("kind").and_then(Value::as_str) {
            if !kind.is_empty() && kind != "class" {
                out.push_str(kind);
                out.push(' ');
            }
        }
        for d in strings(&p, "decorators") {
            if !HIDDEN_DECORATORS.contains(&d) {
                out.push('@');
                out.push_str(d);
                out.push(' ');
            }
        }
        out.push_str(name);
        let bases = strings(&p, "bases");
        if !bases.is_empty() {
            out.push_str(" < ");
            out.push_str(&bases.join(", "));
        }
        out.push('\n');
        if let Some(doc) = doc_line(&p) {
            out.push_str(&format!("{indent}  \"\"\"{doc}\"\"\"\n"));
        }
        let attrs = strings(&p, "attributes");
        if !attrs.is_empty() {
            out.push_str(indent);
            out.push_str("  @attrs [");
            out.push_str(&attrs[..attrs.len().min(MAX_ATTRS)].join(", "));
            if attrs.len() > MAX_ATTRS {
                out.push_str(&format!(" (+{} more)", attrs.len() - MAX_ATTRS));
            }
            out.push_str("]\n");
        }
    }

    fn function(&self, out: &mut String, n: &NodeRow, name: &str, indent: &str) {
        let p = props(n);
        out.push_str(indent);
        out.push('#');
        for (key, word) in [
            ("is_async", "async "),
            ("is_static", "static "),
            ("is_classmethod", "classmethod "),
        ] {
            if flag(&p, key) {
                out.push_str(word);
            }
        }
        out.push_str(name);
        out.push('(');
        let params = p.get("parameters").and_then(Value::as_array);
        for (k, param) in params.into_iter().flatten().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let pname = param.get("name").and_then(Value::as_str).unwrap_or("");
            if !pname.starts_with('*') {
                if flag(param, "keyword") {
                    out.push_str("**");
                } else if flag(param, "variadic") {
                    out.push('*');
                }
            }
            out.push_str(pname);
            if let Some(t) = param.get("type").and_then(Value::as_str) {
                if !t.is_empty() {
                    out.push_str(": ");
                    out.push_str(t);
                }
            }
        }
        out.push(')');
        if let Some(r) = p.get("return_type").and_then(Value::as_str) {
            if !r.is_empty() {
                out.push_str(" -> ");
                out.push_str(r);
            }
        }
        if self.opts.line_numbers {
            if let (Some(s), Some(e)) = (n.line_start, n.line_end) {
                out.push_str(&format!(" :L{s}-{e}"));
            }
        }
        out.push_str(" :: complexity:");
        out.push_str(&n.complexity.to_string());
        out.push('\n');
        if let Some(doc) = doc_line(&p) {
            out.push_str(&format!("{indent}  \"\"\"{doc}\"\"\"\n"));
        }
    }
}
