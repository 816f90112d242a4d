//! `ANALYZE` (`muql.md` §11): complexity, hotspots, coupling, cohesion, import cycles, unused
//! definitions and grouped impact, computed on the graph snapshot.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{json, Value as Json};

use super::forms::{self, cycle_output, decorators, properties, round3, CHECK_EVERY};
use super::{ast, limit_value, Env, Output, QueryError, MAX_DEPTH};
use crate::graph::{normalise_path, Direction, EdgeFilter, Graph};
use crate::index::model::{EdgeType, NodeRow, NodeType};

/// The default row limit of COMPLEXITY, HOTSPOTS, COUPLING and COHESION.
const DEFAULT_LIMIT: usize = 20;

/// `ANALYZE <analysis> [FOR scope] [LIMIT n]` (§11).
///
/// `FOR scope`: when the scope, normalised like a path, is an indexed file's path or a
/// directory above one (on `/` boundaries), the analysis is restricted to nodes whose
/// `file_path` is or is below it; otherwise the scope is resolved as a node reference (§6) and
/// the analysis is restricted to that node and everything it contains transitively.
/// `ANALYZE IMPACT FOR X` always resolves `X` as a node reference: it is `SHOW IMPACT OF X`
/// grouped by file, and requires `FOR`. `LIMIT` overrides the default limit (20 for
/// COMPLEXITY, HOTSPOTS, COUPLING, COHESION; none for the others).
pub fn analyze(env: &Env, graph: &Graph, a: &ast::Analyze) -> Result<Output, QueryError> {
    use ast::Analysis::*;
    let limit = limit_value(&a.limit)?;
    let mut warnings = Vec::new();
    let mut out = if a.analysis == Impact {
        let Some(target) = &a.scope else {
            return Err(QueryError::new(
                "ANALYZE IMPACT requires FOR <node>: ANALYZE IMPACT FOR X lists the files \
                 impacted by X",
            ));
        };
        let start = forms::resolve(graph, target, &mut warnings)?;
        impact(env, graph, start)?
    } else {
        let scope = match &a.scope {
            None => vec![true; graph.nodes().len()],
            Some(r) => scope_of(env, graph, r, &mut warnings)?,
        };
        // The ranked analyses build rows only for what the limit keeps.
        let keep = limit.unwrap_or(DEFAULT_LIMIT);
        match a.analysis {
            Complexity => complexity(env, graph, &scope, keep)?,
            Hotspots => hotspots(env, graph, &scope, keep)?,
            Coupling => coupling(env, graph, &scope, keep)?,
            Cohesion => cohesion(env, graph, &scope, keep)?,
            Circular => circular(env, graph, &scope)?,
            Unused => unused(env, graph, &scope)?,
            Impact => Output::default(),
        }
    };
    let default = match a.analysis {
        Complexity | Hotspots | Coupling | Cohesion => Some(DEFAULT_LIMIT),
        Circular | Unused | Impact => None,
    };
    if let Some(n) = limit.or(default) {
        out.rows.truncate(n);
    }
    warnings.append(&mut out.warnings);
    out.warnings = warnings;
    Ok(out)
}

/// The in-scope mask of `FOR scope`.
fn scope_of(
    env: &Env,
    graph: &Graph,
    r: &ast::NodeRef,
    warnings: &mut Vec<String>,
) -> Result<Vec<bool>, QueryError> {
    let p = normalise_path(r.text.trim(), graph.root());
    let p = p.trim_end_matches('/');
    let below = |f: &str| {
        !p.is_empty()
            && (f == p || (f.len() > p.len() && f.starts_with(p) && f[p.len()..].starts_with('/')))
    };
    let by_path: Vec<bool> = graph
        .nodes()
        .iter()
        .map(|n| n.file_path.as_deref().is_some_and(below))
        .collect();
    if by_path.iter().any(|&b| b) {
        return Ok(by_path);
    }
    let start = forms::resolve(graph, r, warnings)?;
    let mut mask = vec![false; graph.nodes().len()];
    mask[start as usize] = true;
    let contained = graph.levels(
        start,
        Direction::Outgoing,
        EdgeFilter::of(&[EdgeType::Contains]),
        u32::MAX,
        || env.check_deadline(),
    )?;
    for c in contained {
        mask[c.node as usize] = true;
    }
    Ok(mask)
}

/// The indexes of in-scope nodes, checking the deadline as it goes.
fn in_scope<'a>(
    env: &'a Env,
    scope: &'a [bool],
) -> impl Iterator<Item = Result<u32, QueryError>> + 'a {
    scope.iter().enumerate().filter_map(move |(i, &keep)| {
        if i.is_multiple_of(CHECK_EVERY) {
            if let Err(e) = env.check_deadline() {
                return Some(Err(e));
            }
        }
        keep.then_some(Ok(i as u32))
    })
}

fn opt_str(s: Option<&str>) -> Json {
    s.map_or(Json::Null, |s| json!(s))
}

fn opt_int(i: Option<i32>) -> Json {
    i.map_or(Json::Null, |i| json!(i))
}

/// `COMPLEXITY`: functions with complexity > 0, by complexity descending, then id.
fn complexity(env: &Env, graph: &Graph, scope: &[bool], keep: usize) -> Result<Output, QueryError> {
    let mut out = Output::with_columns(&["id", "name", "file_path", "line_start", "complexity"]);
    let mut found: Vec<u32> = Vec::new();
    for i in in_scope(env, scope) {
        let i = i?;
        let n = graph.node(i);
        if n.node_type == NodeType::Function && n.complexity > 0 {
            found.push(i);
        }
    }
    found.sort_by(|&a, &b| {
        graph
            .node(b)
            .complexity
            .cmp(&graph.node(a).complexity)
            .then(a.cmp(&b))
    });
    out.rows = found
        .into_iter()
        .take(keep)
        .map(|i| {
            let n = graph.node(i);
            vec![
                json!(n.id),
                json!(n.name),
                opt_str(n.file_path.as_deref()),
                opt_int(n.line_start),
                json!(n.complexity),
            ]
        })
        .collect();
    Ok(out)
}

/// `fan_in` of §4.2: distinct sources of incoming imports/calls/inherits/uses edges.
fn fan_in(graph: &Graph, i: u32) -> usize {
    let mut sources: Vec<u32> = graph
        .in_edges(i, EdgeFilter::dependencies())
        .map(|(s, _)| s)
        .collect();
    sources.dedup();
    sources.len()
}

/// `HOTSPOTS`: functions, `score = complexity × (1 + fan_in)`, score descending, then id.
fn hotspots(env: &Env, graph: &Graph, scope: &[bool], keep: usize) -> Result<Output, QueryError> {
    let mut out =
        Output::with_columns(&["id", "name", "file_path", "complexity", "fan_in", "score"]);
    let mut found: Vec<(i64, usize, u32)> = Vec::new();
    for i in in_scope(env, scope) {
        let i = i?;
        let n = graph.node(i);
        if n.node_type == NodeType::Function {
            let f = fan_in(graph, i);
            let score = i64::from(n.complexity) * (1 + f as i64);
            found.push((score, f, i));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)));
    out.rows = found
        .into_iter()
        .take(keep)
        .map(|(score, f, i)| {
            let n = graph.node(i);
            vec![
                json!(n.id),
                json!(n.name),
                opt_str(n.file_path.as_deref()),
                json!(n.complexity),
                json!(f),
                json!(score),
            ]
        })
        .collect();
    Ok(out)
}

/// A ratio rounded to 3 decimals, NULL when the denominator is 0.
fn ratio(num: usize, den: usize) -> Json {
    if den == 0 {
        Json::Null
    } else {
        json!(round3(num as f64 / den as f64))
    }
}

/// `COUPLING`: per module, distinct project modules (files with a module node) importing it
/// and imported by it, counting `imports` edges from or to any node of the file; externals and
/// the module itself excluded; by afferent + efferent descending, then id.
fn coupling(env: &Env, graph: &Graph, scope: &[bool], keep: usize) -> Result<Output, QueryError> {
    let mut out = Output::with_columns(&["id", "file_path", "afferent", "efferent", "instability"]);
    let file_module = |i: u32| {
        graph
            .node(i)
            .file_path
            .as_deref()
            .and_then(|f| graph.module_of(f))
    };
    let mut afferent: HashMap<u32, BTreeSet<u32>> = HashMap::new();
    let mut efferent: HashMap<u32, BTreeSet<u32>> = HashMap::new();
    for (k, e) in graph.edges().iter().enumerate() {
        if k.is_multiple_of(CHECK_EVERY) {
            env.check_deadline()?;
        }
        if e.edge_type != EdgeType::Imports {
            continue;
        }
        let (Some(s), Some(t)) = (graph.find(&e.source_id), graph.find(&e.target_id)) else {
            continue;
        };
        let (Some(sm), Some(tm)) = (file_module(s), file_module(t)) else {
            continue;
        };
        if sm != tm {
            efferent.entry(sm).or_default().insert(tm);
            afferent.entry(tm).or_default().insert(sm);
        }
    }
    let mut found: Vec<(usize, usize, u32)> = Vec::new();
    for i in in_scope(env, scope) {
        let i = i?;
        let n = graph.node(i);
        if n.node_type != NodeType::Module {
            continue;
        }
        let a = afferent.get(&i).map_or(0, BTreeSet::len);
        let e = efferent.get(&i).map_or(0, BTreeSet::len);
        found.push((a, e, i));
    }
    found.sort_by(|x, y| (y.0 + y.1).cmp(&(x.0 + x.1)).then(x.2.cmp(&y.2)));
    out.rows = found
        .into_iter()
        .take(keep)
        .map(|(a, e, i)| {
            let n = graph.node(i);
            vec![
                json!(n.id),
                opt_str(n.file_path.as_deref()),
                json!(a),
                json!(e),
                ratio(e, a + e),
            ]
        })
        .collect();
    Ok(out)
}

/// COHESION counts of one file: definitions, internal edges, external edges.
type Counts = (usize, usize, usize);

fn is_definition(n: &NodeRow) -> bool {
    matches!(n.node_type, NodeType::Class | NodeType::Function)
}

/// `COHESION`: modules with at least one class or function in their file; `calls`, `uses`
/// and `inherits` edges leaving those definitions are internal when the target is in the same
/// file; by cohesion ascending (NULLs last), then id.
fn cohesion(env: &Env, graph: &Graph, scope: &[bool], keep: usize) -> Result<Output, QueryError> {
    let mut out = Output::with_columns(&[
        "id",
        "file_path",
        "definitions",
        "internal_edges",
        "external_edges",
        "cohesion",
    ]);
    let mut per_file: HashMap<&str, Counts> = HashMap::new();
    let filter = EdgeFilter::of(&[EdgeType::Calls, EdgeType::Uses, EdgeType::Inherits]);
    for (i, n) in graph.nodes().iter().enumerate() {
        if i.is_multiple_of(CHECK_EVERY) {
            env.check_deadline()?;
        }
        let (true, Some(f)) = (is_definition(n), n.file_path.as_deref()) else {
            continue;
        };
        let entry = per_file.entry(f).or_default();
        entry.0 += 1;
        for (t, _) in graph.out_edges(i as u32, filter) {
            if graph.node(t).file_path.as_deref() == Some(f) {
                entry.1 += 1;
            } else {
                entry.2 += 1;
            }
        }
    }
    let mut found: Vec<(Option<f64>, u32, Counts)> = Vec::new();
    for i in in_scope(env, scope) {
        let i = i?;
        let n = graph.node(i);
        if n.node_type != NodeType::Module {
            continue;
        }
        let Some(&counts) = n.file_path.as_deref().and_then(|f| per_file.get(f)) else {
            continue;
        };
        if counts.0 == 0 {
            continue;
        }
        let total = counts.1 + counts.2;
        let c = (total > 0).then(|| round3(counts.1 as f64 / total as f64));
        found.push((c, i, counts));
    }
    found.sort_by(|x, y| {
        let by_cohesion = match (x.0, y.0) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_cohesion.then(x.1.cmp(&y.1))
    });
    out.rows = found
        .into_iter()
        .take(keep)
        .map(|(c, i, (d, internal, external))| {
            let n = graph.node(i);
            vec![
                json!(n.id),
                opt_str(n.file_path.as_deref()),
                json!(d),
                json!(internal),
                json!(external),
                c.map_or(Json::Null, |c| json!(c)),
            ]
        })
        .collect();
    Ok(out)
}

/// `CIRCULAR`: import cycles among the modules in scope, as FIND CYCLES.
fn circular(env: &Env, graph: &Graph, scope: &[bool]) -> Result<Output, QueryError> {
    env.check_deadline()?;
    let keep = |i: u32| scope[i as usize] && graph.node(i).node_type == NodeType::Module;
    let c = graph.cycles_among(EdgeFilter::of(&[EdgeType::Imports]), &keep);
    env.check_deadline()?;
    Ok(cycle_output(graph, &c))
}

/// Whether a path is a test file: the rule of `context-export-contracts.md` §A.6. A directory
/// segment `test`, `tests`, `__tests__`, `spec` or `specs`, or a file name `test_*.py`,
/// `*_test.py`, `conftest.py`, `*_test.go`, `*.test.*` / `*.spec.*` with a JS/TS extension,
/// `*Test.java`, `*Tests.java`, `*IT.java`, `*Test.cs` or `*Tests.cs`.
pub fn is_test_path(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let mut segments: Vec<&str> = path.split('/').collect();
    let file = segments.pop().unwrap_or("");
    if segments
        .iter()
        .any(|s| matches!(*s, "test" | "tests" | "__tests__" | "spec" | "specs"))
    {
        return true;
    }
    const JS_TS: &[&str] = &["js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts"];
    let js_test = file.rsplit_once('.').is_some_and(|(stem, ext)| {
        JS_TS.contains(&ext)
            && (stem.ends_with(".test")
                || stem.ends_with(".spec")
                || stem.contains(".test.")
                || stem.contains(".spec."))
    });
    js_test
        || (file.starts_with("test_") && file.ends_with(".py"))
        || file.ends_with("_test.py")
        || file == "conftest.py"
        || file.ends_with("_test.go")
        || ["Test.java", "Tests.java", "IT.java", "Test.cs", "Tests.cs"]
            .iter()
            .any(|s| file.ends_with(s))
}

/// Whether a function overrides a method of a (transitive) base class of its class: some class
/// reached from its containing class over `inherits` edges contains a function of the same name.
/// The bases are gathered in a set, so the cost is that of the hierarchy, not of the graph.
fn is_override(graph: &Graph, i: u32) -> bool {
    let name = &graph.node(i).name;
    let contains = EdgeFilter::of(&[EdgeType::Contains]);
    let inherits = EdgeFilter::of(&[EdgeType::Inherits]);
    let mut seen: HashSet<u32> = graph
        .in_edges(i, contains)
        .map(|(c, _)| c)
        .filter(|&c| graph.node(c).node_type == NodeType::Class)
        .collect();
    let mut todo: Vec<u32> = seen.iter().copied().collect();
    let mut bases: Vec<u32> = Vec::new();
    while let Some(c) = todo.pop() {
        for (b, _) in graph.out_edges(c, inherits) {
            if seen.insert(b) {
                bases.push(b);
                todo.push(b);
            }
        }
    }
    bases.into_iter().any(|b| {
        graph.out_edges(b, contains).any(|(m, _)| {
            let m = graph.node(m);
            m.node_type == NodeType::Function && &m.name == name
        })
    })
}

/// Whether a name has the form `__x__`.
fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

/// `UNUSED`: classes and functions with no incoming `calls`, `inherits` or `uses` edge
/// (`contains` is ignored), excluding constructors (`properties.is_constructor`), `__x__`
/// names, nodes in test files, functions named `main`/`Main`, decorated nodes and overrides;
/// by id.
fn unused(env: &Env, graph: &Graph, scope: &[bool]) -> Result<Output, QueryError> {
    let mut out = Output::with_columns(&["id", "name", "type", "file_path", "line_start"]);
    let used_by = EdgeFilter::of(&[EdgeType::Calls, EdgeType::Inherits, EdgeType::Uses]);
    for i in in_scope(env, scope) {
        let i = i?;
        let n = graph.node(i);
        if !is_definition(n) || graph.in_edges(i, used_by).next().is_some() {
            continue;
        }
        let is_function = n.node_type == NodeType::Function;
        let excluded = is_dunder(&n.name)
            || n.file_path.as_deref().is_some_and(is_test_path)
            || (is_function && matches!(n.name.as_str(), "main" | "Main"))
            || (is_function && properties(n).get("is_constructor") == Some(&Json::Bool(true)))
            || !decorators(n).is_empty()
            || (is_function && is_override(graph, i));
        if !excluded {
            out.rows.push(vec![
                json!(n.id),
                json!(n.name),
                json!(n.node_type.as_str()),
                opt_str(n.file_path.as_deref()),
                opt_int(n.line_start),
            ]);
        }
    }
    Ok(out)
}

/// `IMPACT FOR X`: `SHOW IMPACT OF X` grouped by file (externals excluded): impacted nodes and
/// the smallest depth per file, by min_depth, then file_path.
fn impact(env: &Env, graph: &Graph, start: u32) -> Result<Output, QueryError> {
    let mut out = Output::with_columns(&["file_path", "nodes", "min_depth"]);
    let reached = graph.levels(
        start,
        Direction::Incoming,
        EdgeFilter::dependencies(),
        MAX_DEPTH,
        || env.check_deadline(),
    )?;
    let mut files: BTreeMap<&str, (usize, u32)> = BTreeMap::new();
    for r in &reached {
        if let Some(f) = graph.node(r.node).file_path.as_deref() {
            let e = files.entry(f).or_insert((0, r.depth));
            e.0 += 1;
            e.1 = e.1.min(r.depth);
        }
    }
    let mut rows: Vec<(&str, usize, u32)> =
        files.into_iter().map(|(f, (n, d))| (f, n, d)).collect();
    rows.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(b.0)));
    out.rows = rows
        .into_iter()
        .map(|(f, n, d)| vec![json!(f), json!(n), json!(d)])
        .collect();
    Ok(out)
}
