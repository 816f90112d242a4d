//! The graph forms of MUQL (`muql.md` §6–§10): node references, `SHOW`, `FIND` (its
//! traversal or search; the dispatcher applies `WHERE` and `LIMIT` afterwards), `FIND CYCLES`
//! and `PATH`. They run on the graph snapshot, never on SQL.

use serde_json::{json, Value as Json};

use super::PATH_COLUMNS;
use super::{ast, depth_value, Env, Output, QueryError, CYCLE_COLUMNS, NODE_LIST_COLUMNS};
use crate::graph::{type_rank, Cycles, Direction, EdgeFilter, Graph};
use crate::index::model::{EdgeType, NodeRow, NodeType};

/// How many runners-up an ambiguity warning names, and how many suggestions a not-found error
/// offers.
const MAX_LISTED: usize = 5;

/// Nodes examined between two deadline checks in whole-graph scans.
pub(crate) const CHECK_EVERY: usize = 4096;

/// The error of a misplaced `VIA` (`muql.md` §14.3).
pub const VIA_NOT_ALLOWED: &str =
    "VIA is only allowed with DEPENDENCIES, DEPENDENTS, IMPACT, ANCESTORS and PATH";

/// Resolve a node reference (§6); ambiguity adds the §6 warning to `warnings`.
///
/// The candidates are those of [`Graph::resolve_candidates`] (the rules of `http-api.md` §3.3),
/// so a reference means the same node here and in `/impact`. When several nodes match at the
/// winning step, the best is used and the warning names it and at most five others
/// (`… (also: a, b, c, d, e and 3 more)` when there are more). Nothing found is an error at the
/// reference's position, with suggestions (see [`suggestions`]).
pub fn resolve(
    graph: &Graph,
    r: &ast::NodeRef,
    warnings: &mut Vec<String>,
) -> Result<u32, QueryError> {
    let candidates = graph.resolve_candidates(&r.text);
    let Some((&first, others)) = candidates.split_first() else {
        return Err(QueryError::at(not_found_message(graph, &r.text), r.pos));
    };
    if !others.is_empty() {
        let also: Vec<&str> = others
            .iter()
            .take(MAX_LISTED)
            .map(|&i| graph.node(i).id.as_str())
            .collect();
        let mut listed = also.join(", ");
        if others.len() > MAX_LISTED {
            listed.push_str(&format!(" and {} more", others.len() - MAX_LISTED));
        }
        warnings.push(format!(
            "'{}' matched {} nodes; using {} (also: {listed})",
            r.text,
            candidates.len(),
            graph.node(first).id
        ));
    }
    Ok(first)
}

/// `Node not found: '<ref>'. Use a full id such as cls:path/to/file.py:Name.`, followed by
/// ` Did you mean: a, b?` when [`suggestions`] finds any.
pub fn not_found_message(graph: &Graph, reference: &str) -> String {
    let mut msg =
        format!("Node not found: '{reference}'. Use a full id such as cls:path/to/file.py:Name.");
    let s = suggestions(graph, reference);
    if !s.is_empty() {
        msg.push_str(&format!(" Did you mean: {}?", s.join(", ")));
    }
    msg
}

/// Up to five ids to suggest for a reference that resolves to nothing.
///
/// First the nodes whose name contains the reference case-insensitively (§6). When there are
/// none, the fallback is a small edit distance: nodes whose lower-cased name is within
/// Levenshtein distance 1 (references of up to 4 characters), 2 (up to 8) or 3 (longer) of the
/// lower-cased reference or of its last segment after `.`, `:` or `/` (so `OrderServce.plase`
/// still suggests `place`), nearest first. Within each group the order is that of resolution:
/// type rank, then the shortest id, then the smallest id.
pub fn suggestions(graph: &Graph, reference: &str) -> Vec<String> {
    let needle = reference.trim().to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    let rank = |n: &NodeRow| (type_rank(n.node_type), n.id.chars().count(), n.id.clone());
    let mut hits: Vec<(usize, (u8, usize, String))> = graph
        .nodes()
        .iter()
        .filter(|n| n.name.to_lowercase().contains(&needle))
        .map(|n| (0, rank(n)))
        .collect();
    if hits.is_empty() {
        let tail = needle
            .rsplit(['.', ':', '/'])
            .find(|s| !s.is_empty())
            .unwrap_or(&needle)
            .to_string();
        let probes: Vec<Vec<char>> = [needle.clone(), tail]
            .iter()
            .map(|p| p.chars().collect())
            .collect();
        for n in graph.nodes() {
            let name: Vec<char> = n.name.to_lowercase().chars().collect();
            let best = probes
                .iter()
                .filter_map(|p| {
                    let bound = match p.len() {
                        0..=4 => 1,
                        5..=8 => 2,
                        _ => 3,
                    };
                    levenshtein(p, &name, bound)
                })
                .min();
            if let Some(d) = best {
                hits.push((d, rank(n)));
            }
        }
    }
    hits.sort();
    hits.into_iter()
        .take(MAX_LISTED)
        .map(|(_, r)| r.2)
        .collect()
}

/// The edit distance of `a` and `b` when it is at most `bound`.
fn levenshtein(a: &[char], b: &[char], bound: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > bound {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        if cur.iter().min().is_some_and(|&m| m > bound) {
            return None;
        }
        prev = cur;
    }
    prev.last().copied().filter(|&d| d <= bound)
}

/// One row of the node list shape (§14.2).
pub(crate) fn node_row(n: &NodeRow, depth: Option<u32>, via: Option<EdgeType>) -> Vec<Json> {
    vec![
        json!(n.id),
        json!(n.node_type.as_str()),
        json!(n.name),
        n.file_path.as_deref().map_or(Json::Null, |f| json!(f)),
        n.line_start.map_or(Json::Null, |l| json!(l)),
        depth.map_or(Json::Null, |d| json!(d)),
        via.map_or(Json::Null, |t| json!(t.as_str())),
    ]
}

/// `SHOW <kind> OF <ref> [DEPTH n] [VIA …]` (§7): breadth-first, each level in id order, the
/// start excluded, `depth` and `via` set.
pub fn show(env: &Env, graph: &Graph, show: &ast::Show) -> Result<Output, QueryError> {
    use ast::ShowKind::*;
    use EdgeType::*;
    const DEPS: &[EdgeType] = &[Imports, Calls, Inherits, Uses];
    let (types, direction, default): (&[EdgeType], Direction, Option<u32>) = match show.kind {
        Dependencies => (DEPS, Direction::Outgoing, Some(1)),
        Dependents => (DEPS, Direction::Incoming, Some(1)),
        Callers => (&[Calls], Direction::Incoming, Some(1)),
        Callees => (&[Calls], Direction::Outgoing, Some(1)),
        Inheritance => (&[Inherits], Direction::Outgoing, Some(1)),
        Implementations => (&[Inherits], Direction::Incoming, Some(1)),
        Children => (&[Contains], Direction::Outgoing, Some(1)),
        Parents => (&[Contains], Direction::Incoming, Some(1)),
        Impact => (DEPS, Direction::Incoming, None),
        Ancestors => (DEPS, Direction::Outgoing, None),
    };
    let filter = match &show.via {
        Some(via) if !matches!(show.kind, Dependencies | Dependents | Impact | Ancestors) => {
            return Err(QueryError::at(VIA_NOT_ALLOWED, via.pos));
        }
        Some(via) => EdgeFilter::of(&via.value),
        None => EdgeFilter::of(types),
    };
    let mut out = Output::with_columns(&NODE_LIST_COLUMNS);
    let depth = depth_value(&show.depth, "DEPTH", default, &mut out.warnings)?;
    let start = resolve(graph, &show.target, &mut out.warnings)?;
    let reached = graph.levels(start, direction, filter, depth, || env.check_deadline())?;
    out.rows = reached
        .iter()
        .map(|r| node_row(graph.node(r.node), Some(r.depth), Some(r.via)))
        .collect();
    Ok(out)
}

/// Whether node `i` belongs to a FIND table (§4.1): `methods` are functions with
/// `properties.is_method = true`, or, when the key is absent (or null), functions that are the
/// target of a `contains` edge from a class.
pub(crate) fn in_table(graph: &Graph, i: u32, table: ast::Table) -> bool {
    let n = graph.node(i);
    match table {
        ast::Table::Nodes => true,
        ast::Table::Functions => n.node_type == NodeType::Function,
        ast::Table::Classes => n.node_type == NodeType::Class,
        ast::Table::Modules => n.node_type == NodeType::Module,
        ast::Table::Methods => n.node_type == NodeType::Function && is_method(graph, i),
        ast::Table::Edges => false,
    }
}

/// `properties.is_method`, with the `contains`-from-a-class fallback of §4.1.
fn is_method(graph: &Graph, i: u32) -> bool {
    match properties(graph.node(i)).get("is_method") {
        Some(Json::Bool(b)) => *b,
        None | Some(Json::Null) => graph
            .in_edges(i, EdgeFilter::of(&[EdgeType::Contains]))
            .any(|(s, _)| graph.node(s).node_type == NodeType::Class),
        Some(_) => false,
    }
}

/// A node's properties as a JSON value (`{}` when unreadable; the snapshot keeps objects).
pub(crate) fn properties(n: &NodeRow) -> Json {
    serde_json::from_str(&n.properties).unwrap_or_else(|_| json!({}))
}

/// The decorators of a node (`properties.decorators`), strings only.
pub(crate) fn decorators(n: &NodeRow) -> Vec<String> {
    match properties(n).get("decorators") {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|d| d.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// FIND (§8) without its WHERE and LIMIT, which the dispatcher applies to the rows afterwards
/// (rows keep their order; the id is column 0).
pub fn find(env: &Env, graph: &Graph, find: &ast::Find) -> Result<Output, QueryError> {
    use ast::FindCond::*;
    let table = find.table.value;
    if !table.is_node_table() {
        return Err(QueryError::at(
            format!(
                "FIND needs a node table (nodes, functions, classes, modules, methods), not {}",
                table.name()
            ),
            find.table.pos,
        ));
    }
    let traversal = match &find.cond {
        Calling(r) => Some((r, Direction::Incoming, EdgeType::Calls)),
        CalledBy(r) => Some((r, Direction::Outgoing, EdgeType::Calls)),
        Importing(r) => Some((r, Direction::Incoming, EdgeType::Imports)),
        ImportedBy(r) => Some((r, Direction::Outgoing, EdgeType::Imports)),
        Inheriting(r) | Implementing(r) => Some((r, Direction::Incoming, EdgeType::Inherits)),
        WithDecorator(_) | Matching(_) | SimilarTo(_) => None,
    };
    let mut out = Output::with_columns(&NODE_LIST_COLUMNS);
    if let Some((r, direction, ty)) = traversal {
        let depth = depth_value(&find.depth, "DEPTH", None, &mut out.warnings)?;
        let start = resolve(graph, r, &mut out.warnings)?;
        let reached = graph.levels(start, direction, EdgeFilter::of(&[ty]), depth, || {
            env.check_deadline()
        })?;
        // Levels come in id order, so the rows are ordered by depth, then id.
        out.rows = reached
            .iter()
            .filter(|r| in_table(graph, r.node, table))
            .map(|r| node_row(graph.node(r.node), Some(r.depth), Some(r.via)))
            .collect();
        return Ok(out);
    }
    if let Some(d) = &find.depth {
        return Err(QueryError::at(
            format!(
                "DEPTH is only allowed with CALLING, CALLED BY, IMPORTING, IMPORTED BY, \
                 INHERITING and IMPLEMENTING ({})",
                d.pos.describe()
            ),
            d.pos,
        ));
    }
    match &find.cond {
        WithDecorator(s) => {
            let wanted = s.strip_prefix('@').unwrap_or(s);
            out.rows = scan(env, graph, table, |n| {
                decorators(n).iter().any(|d| d == wanted)
            })?;
        }
        Matching(p) => {
            let pattern = NamePattern::new(p);
            out.rows = scan(env, graph, table, |n| pattern.matches(&n.name))?;
        }
        SimilarTo(r) => {
            let x = resolve(graph, r, &mut out.warnings)?;
            out.columns.push("score".to_string());
            out.rows = similar(env, graph, table, x)?;
        }
        _ => {}
    }
    Ok(out)
}

/// The nodes of `table` accepted by `keep`, in id order, as node-list rows without depth/via.
fn scan(
    env: &Env,
    graph: &Graph,
    table: ast::Table,
    keep: impl Fn(&NodeRow) -> bool,
) -> Result<Vec<Vec<Json>>, QueryError> {
    let mut rows = Vec::new();
    for i in 0..graph.nodes().len() as u32 {
        if (i as usize).is_multiple_of(CHECK_EVERY) {
            env.check_deadline()?;
        }
        let n = graph.node(i);
        if keep(n) && in_table(graph, i, table) {
            rows.push(node_row(n, None, None));
        }
    }
    Ok(rows)
}

/// `MATCHING 'p'` (§8): case-insensitive; a substring test without wildcards, else a
/// whole-name glob where `*` and `%` match any run and `?` one character.
#[derive(Debug, Clone)]
pub struct NamePattern {
    pattern: Vec<char>,
    glob: bool,
}

impl NamePattern {
    pub fn new(p: &str) -> NamePattern {
        NamePattern {
            pattern: p.to_lowercase().chars().collect(),
            glob: p.contains(['*', '%', '?']),
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.to_lowercase().chars().collect();
        if !self.glob {
            let needle: String = self.pattern.iter().collect();
            return name.iter().collect::<String>().contains(&needle);
        }
        // Iterative glob with single-star backtracking: linear in practice, never exponential.
        let (p, s) = (&self.pattern, &name);
        let (mut pi, mut si) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            match p.get(pi) {
                Some('*' | '%') => {
                    star = Some((pi, si));
                    pi += 1;
                }
                Some(&c) if c == '?' || c == s[si] => {
                    pi += 1;
                    si += 1;
                }
                _ => match star {
                    Some((sp, ss)) => {
                        pi = sp + 1;
                        si = ss + 1;
                        star = Some((sp, ss + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|c| matches!(c, '*' | '%'))
    }
}

/// The lower-cased identifier words of a name, split at case changes (`HTTPClient` →
/// `http`, `client`), `_`, digits and any other non-letter.
pub fn identifier_words(name: &str) -> std::collections::BTreeSet<String> {
    let mut words = std::collections::BTreeSet::new();
    let chars: Vec<char> = name.chars().collect();
    let mut cur = String::new();
    for (k, &c) in chars.iter().enumerate() {
        if !c.is_alphabetic() {
            if !cur.is_empty() {
                words.insert(std::mem::take(&mut cur).to_lowercase());
            }
            continue;
        }
        let prev = k.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(k + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary && !cur.is_empty() {
            words.insert(std::mem::take(&mut cur).to_lowercase());
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.insert(cur.to_lowercase());
    }
    words
}

/// Round to 3 decimals (ANALYZE ratios, SIMILAR TO scores).
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `SIMILAR TO X` rows: nodes of the table other than X with Jaccard ≥ 0.5 on identifier
/// words, by score descending, then id; `score` appended (3 decimals).
fn similar(
    env: &Env,
    graph: &Graph,
    table: ast::Table,
    x: u32,
) -> Result<Vec<Vec<Json>>, QueryError> {
    let target = identifier_words(&graph.node(x).name);
    let mut scored: Vec<(f64, u32)> = Vec::new();
    if !target.is_empty() {
        for i in 0..graph.nodes().len() as u32 {
            if (i as usize).is_multiple_of(CHECK_EVERY) {
                env.check_deadline()?;
            }
            if i == x || !in_table(graph, i, table) {
                continue;
            }
            let words = identifier_words(&graph.node(i).name);
            let common = words.intersection(&target).count();
            let union = words.union(&target).count();
            let score = common as f64 / union as f64;
            if score >= 0.5 {
                scored.push((round3(score), i));
            }
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(scored
        .into_iter()
        .map(|(score, i)| {
            let mut row = node_row(graph.node(i), None, None);
            row.push(json!(score));
            row
        })
        .collect())
}

/// `FIND CYCLES [WHERE edge_type …]` (§9): cycles of the chosen edge types (default
/// `imports`), then self-loops.
pub fn cycles(env: &Env, graph: &Graph, types: &[EdgeType]) -> Result<Output, QueryError> {
    let types = if types.is_empty() {
        &[EdgeType::Imports][..]
    } else {
        types
    };
    env.check_deadline()?;
    let c = graph.cycles(EdgeFilter::of(types));
    env.check_deadline()?;
    Ok(cycle_output(graph, &c))
}

/// The §9 rows of some cycles: `cycle_id, kind, size, nodes` (cycles, then self-loops).
pub(crate) fn cycle_output(graph: &Graph, c: &Cycles) -> Output {
    let mut out = Output::with_columns(&CYCLE_COLUMNS);
    let id = |i: &u32| json!(graph.node(*i).id);
    let cycles = c.cycles.iter().map(|v| ("cycle", v.clone()));
    let loops = c.self_loops.iter().map(|&i| ("self_loop", vec![i]));
    out.rows = cycles
        .chain(loops)
        .enumerate()
        .map(|(k, (kind, nodes))| {
            vec![
                json!(k + 1),
                json!(kind),
                json!(nodes.len()),
                Json::Array(nodes.iter().map(id).collect()),
            ]
        })
        .collect();
    out
}

/// `PATH FROM a TO b [MAX DEPTH n] [VIA …]` (§10): one shortest path over outgoing edges
/// (default: all five types), or zero rows and a message.
pub fn path(env: &Env, graph: &Graph, p: &ast::PathQuery) -> Result<Output, QueryError> {
    let mut out = Output::with_columns(&PATH_COLUMNS);
    let depth = depth_value(&p.max_depth, "MAX DEPTH", Some(10), &mut out.warnings)?;
    let filter = match &p.via {
        Some(via) => EdgeFilter::of(&via.value),
        None => EdgeFilter::ALL,
    };
    let from = resolve(graph, &p.from, &mut out.warnings)?;
    let to = resolve(graph, &p.to, &mut out.warnings)?;
    match graph.shortest_path(from, to, filter, depth, || env.check_deadline())? {
        Some(steps) => {
            out.rows = steps
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    let n = graph.node(s.node);
                    let (ty, line) = match s.edge {
                        Some(e) => {
                            let e = graph.edge(e);
                            let props: Json =
                                serde_json::from_str(&e.properties).unwrap_or(Json::Null);
                            let line = props.get("line").cloned().unwrap_or(Json::Null);
                            (json!(e.edge_type.as_str()), line)
                        }
                        None => (Json::Null, Json::Null),
                    };
                    vec![
                        json!(k),
                        json!(n.id),
                        json!(n.node_type.as_str()),
                        json!(n.name),
                        n.file_path.as_deref().map_or(Json::Null, |f| json!(f)),
                        n.line_start.map_or(Json::Null, |l| json!(l)),
                        ty,
                        line,
                    ]
                })
                .collect();
        }
        None => {
            out.message = Some(format!(
                "No path from {} to {} within depth {depth}",
                graph.node(from).id,
                graph.node(to).id
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
