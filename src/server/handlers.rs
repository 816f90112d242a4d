//! Endpoint handlers (`http-api.md` §4). Each one validates its fields (422), then lets the
//! [`Call`] route the request (own project, secondary project or forwarding) and answers from the
//! routed project's published state: the status snapshot, the graph snapshot, a query
//! connection, or its writer thread. Graph work and DuckDB calls run on blocking threads.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::call::{json_text, Call};
use super::{ApiError, AppState};
use crate::daemon::ProjectHandle;
use crate::graph::{write_edge_json, write_node_json, Direction, EdgeFilter, Graph};

/// Traversal depths above this are treated as this (§4.8, §4.10).
const MAX_DEPTH: i64 = 20;
/// `POST /nodes` takes at most this many ids (§4.5).
const MAX_BATCH: usize = 1000;
/// The default edge types of `/impact`, `/ancestors` and `/deps` (§3.4), in the spec's order.
const DEPENDENCY_TYPES: [&str; 4] = ["imports", "calls", "inherits", "uses"];

pub async fn not_found() -> ApiError {
    ApiError::not_found("Not Found")
}

/// Run CPU or DuckDB work on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// The routed project's graph snapshot (waits for the first load after start).
async fn graph_of(project: &ProjectHandle) -> Result<Arc<Graph>, ApiError> {
    project
        .graph()
        .await
        .ok_or_else(|| ApiError::unavailable("Server shutting down"))
}

fn node_not_found(reference: &str) -> ApiError {
    ApiError::not_found(format!("Node not found: {reference}"))
}

/// `GET /health` (§4.1): never touches the database.
pub async fn health(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let s = Arc::clone(&state);
    call.respond(&state, |_| async move {
        Ok(Json(json!({
            "status": "ok",
            "service": "mu-daemon",
            "pid": s.config.pid,
            "port": s.config.port,
            "daemon_version": env!("CARGO_PKG_VERSION"),
        }))
        .into_response())
    })
    .await
}

/// `GET /status` (§4.2): the published snapshot of the routed project; no database access.
pub async fn status(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let s = Arc::clone(&state);
    call.respond(&state, |project| async move {
        Ok(Json(status_body(&s, &project)).into_response())
    })
    .await
}

fn status_body(state: &AppState, project: &Arc<ProjectHandle>) -> Value {
    let snap = project.snapshot();
    let nodes = snap.counts.node_total();
    let edges = snap.counts.edge_total();
    let root = project.root.display().to_string();
    let mubase = project.mubase_path.display().to_string();
    let (indexing, files_done, files_total) = project.indexing.state();
    let nonzero = |m: &std::collections::BTreeMap<String, u64>| -> Map<String, Value> {
        m.iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.clone(), json!(n)))
            .collect()
    };
    let own = state.projects.own();
    let mut paths = vec![own.mubase_path.display().to_string()];
    paths.extend(
        state
            .projects
            .secondaries()
            .iter()
            .map(|p| p.mubase_path.display().to_string()),
    );
    json!({
        "status": "running",
        "mubase_path": mubase,
        "stats": {
            "nodes": nodes,
            "edges": edges,
            "nodes_by_type": nonzero(&snap.counts.nodes),
            "edges_by_type": nonzero(&snap.counts.edges),
            "file_size_kb": snap.file_size_kb,
            "version": snap.version.clone().unwrap_or_else(|| "1.0.0".to_string()),
            "built_at": snap.built_at,
            "root_path": snap.root_path.clone().unwrap_or_else(|| root.clone()),
        },
        "language_stats": snap.language_stats,
        "connections": state.connections.load(Ordering::Relaxed),
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "active_projects": paths.len(),
        "project_paths": paths,
        "node_count": nodes,
        "edge_count": edges,
        "schema_version": snap.schema_version,
        "project_root": root,
        "primary": Arc::ptr_eq(project, own),
        "watching": project.watching(),
        "pid": state.config.pid,
        "port": state.config.port,
        "daemon_version": env!("CARGO_PKG_VERSION"),
        "indexing": {"state": indexing, "files_done": files_done, "files_total": files_total},
    })
}

/// `GET /openapi.json` (§4.15).
pub async fn openapi(State(state): State<Arc<AppState>>, call: Call) -> Response {
    call.respond(&state, |_| async move {
        Ok(Json(super::openapi::document()).into_response())
    })
    .await
}

/// Percent-decode a node id exactly once, as UTF-8 (§2.11); `+` stays a plus sign.
fn decode_id(raw: &str) -> Result<String, ApiError> {
    let bad = || ApiError::bad_request("Invalid percent-encoding in node id");
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
            let digit = |b: u8| (b as char).to_digit(16).ok_or_else(bad);
            out.push((digit(hex[0])? * 16 + digit(hex[1])?) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// `GET /nodes/{id}`, `GET /node/{id}` and their `/neighbors` (§4.3, §4.4). Routing works on the
/// raw path: everything after the prefix is the id, a literal `/neighbors` suffix selects the
/// neighbours endpoint.
pub async fn node(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let raw = call.raw_path();
    let rest = raw
        .strip_prefix("/nodes/")
        .or_else(|| raw.strip_prefix("/node/"))
        .unwrap_or_default()
        .to_string();
    let (rest, neighbors) = match rest.strip_suffix("/neighbors") {
        Some(id) => (id.to_string(), true),
        None => (rest, false),
    };
    let direction = call.param("direction").map(str::to_string);
    let edge_types = call.param("edge_types").map(|t| {
        t.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    });
    call.respond(&state, |project| async move {
        let reference = decode_id(&rest)?;
        let graph = graph_of(&project).await?;
        // An exact id is a binary search and one small JSON object: answered right here.
        // Everything that may scan the graph (name, path, substring steps) or grows with it
        // (neighbours) runs on a blocking thread.
        if !neighbors {
            if let Some(n) = graph.get(&reference) {
                let mut out = String::with_capacity(512);
                write_node_json(&mut out, n);
                return Ok(json_text(out));
            }
        }
        blocking(move || {
            let i = graph
                .resolve(&reference)
                .ok_or_else(|| node_not_found(&reference))?;
            if !neighbors {
                let mut out = String::with_capacity(512);
                write_node_json(&mut out, graph.node(i));
                return Ok(json_text(out));
            }
            let dir = match direction.as_deref() {
                None => Direction::Both,
                Some(d) => {
                    Direction::parse(d).ok_or_else(|| ApiError::bad_request("Invalid direction"))?
                }
            };
            let filter = edge_types
                .as_deref()
                .map_or(EdgeFilter::ALL, EdgeFilter::from_names);
            let walk = graph.neighbors(i, dir, filter);
            let mut out = String::with_capacity(256 + 400 * walk.nodes.len());
            out.push_str("{\"node_id\":");
            out.push_str(&to_json(graph.node(i).id.as_str()));
            out.push_str(",\"direction\":\"");
            out.push_str(dir.as_str());
            out.push_str("\",\"neighbors\":[");
            for (k, &n) in walk.nodes.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_node_json(&mut out, graph.node(n));
            }
            out.push_str("],\"edges\":[");
            for (k, &e) in walk.edges.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_edge_json(&mut out, graph.edge(e));
            }
            out.push_str("]}");
            Ok(json_text(out))
        })
        .await
    })
    .await
}

/// `POST /nodes` (§4.5).
pub async fn nodes_batch(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let ids = match call.string_list("ids") {
        Ok(Some(ids)) => ids,
        Ok(None) => return ApiError::unprocessable("Field 'ids' is required").into_response(),
        Err(e) => return e.into_response(),
    };
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return ApiError::unprocessable(format!("Field 'ids' must hold 1 to {MAX_BATCH} ids"))
            .into_response();
    }
    if let Err(e) = call.check_cwd_type() {
        return e.into_response();
    }
    call.respond(&state, |project| async move {
        let graph = graph_of(&project).await?;
        blocking(move || {
            let mut seen = std::collections::HashSet::new();
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for id in ids {
                let exact = crate::graph::normalise_id(&id, graph.root());
                if !seen.insert(exact.clone()) {
                    continue;
                }
                match graph.find(&exact) {
                    Some(i) => found.push(i),
                    None => missing.push(Value::from(id)),
                }
            }
            let mut out = String::from("{\"nodes\":[");
            for (k, &i) in found.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_node_json(&mut out, graph.node(i));
            }
            out.push_str("],\"missing\":");
            out.push_str(&Value::Array(missing).to_string());
            out.push('}');
            Ok(json_text(out))
        })
        .await
    })
    .await
}

/// The node reference of `/impact`, `/ancestors` and `/deps`: `node` or its alias `node_id`.
fn node_reference(call: &Call) -> Result<String, ApiError> {
    let node = call.field("node", "a string", Value::as_str)?;
    let node_id = call.field("node_id", "a string", Value::as_str)?;
    match (node, node_id) {
        (Some(a), Some(b)) if a != b => Err(ApiError::unprocessable(
            "Fields 'node' and 'node_id' must be equal when both are given",
        )),
        (Some(a), _) | (None, Some(a)) => Ok(a.to_string()),
        (None, None) => Err(ApiError::unprocessable("Field 'node' is required")),
    }
}

/// An optional depth ≥ 1; values above 20 count as 20.
fn depth_field(call: &Call) -> Result<Option<u32>, ApiError> {
    match call.field("depth", "an integer", Value::as_i64)? {
        None => Ok(None),
        Some(d) if d < 1 => Err(ApiError::unprocessable("Field 'depth' must be at least 1")),
        Some(d) => Ok(Some(d.min(MAX_DEPTH) as u32)),
    }
}

/// `edge_types` with its default when absent, `null` or empty (§3.4): (filter, effective list).
fn edge_types_field(call: &Call, default: &[&str]) -> Result<(EdgeFilter, Vec<String>), ApiError> {
    let list = call
        .string_list("edge_types")?
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect());
    Ok((EdgeFilter::from_names(&list), list))
}

/// `POST /impact` (§4.8): transitive dependents.
pub async fn impact(State(state): State<Arc<AppState>>, call: Call) -> Response {
    walk_endpoint(state, call, Direction::Incoming, "impacted_nodes").await
}

/// `POST /ancestors` (§4.9): transitive dependencies.
pub async fn ancestors(State(state): State<Arc<AppState>>, call: Call) -> Response {
    walk_endpoint(state, call, Direction::Outgoing, "ancestor_nodes").await
}

async fn walk_endpoint(
    state: Arc<AppState>,
    call: Call,
    direction: Direction,
    field: &'static str,
) -> Response {
    let parsed = (|| {
        let reference = node_reference(&call)?;
        let depth = depth_field(&call)?;
        let types = edge_types_field(&call, &DEPENDENCY_TYPES)?;
        call.check_cwd_type()?;
        Ok::<_, ApiError>((reference, depth, types))
    })();
    let (reference, depth, (filter, types)) = match parsed {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    call.respond(&state, |project| async move {
        let graph = graph_of(&project).await?;
        blocking(move || {
            let i = graph
                .resolve(&reference)
                .ok_or_else(|| node_not_found(&reference))?;
            let found: Vec<&str> = graph
                .walk(i, direction, filter, depth)
                .into_iter()
                .map(|n| graph.node(n).id.as_str())
                .collect();
            // Written as text: a walk can list thousands of ids.
            let body = format!(
                "{{\"node_id\":{},\"{field}\":{},\"count\":{},\"depth\":{},\"edge_types\":{}}}",
                to_json(graph.node(i).id.as_str()),
                to_json(&found),
                found.len(),
                to_json(&depth),
                to_json(&types),
            );
            Ok(json_text(body))
        })
        .await
    })
    .await
}

/// `POST /deps` (§4.10).
pub async fn deps(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let parsed = (|| {
        let reference = node_reference(&call)?;
        let depth = depth_field(&call)?.unwrap_or(2);
        let direction = call
            .field("direction", "a string", Value::as_str)?
            .map(str::to_string);
        let types = edge_types_field(&call, &DEPENDENCY_TYPES)?;
        call.check_cwd_type()?;
        Ok::<_, ApiError>((reference, depth, direction, types))
    })();
    let (reference, depth, direction, (filter, types)) = match parsed {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    call.respond(&state, |project| async move {
        let graph = graph_of(&project).await?;
        blocking(move || {
            let i = graph
                .resolve(&reference)
                .ok_or_else(|| node_not_found(&reference))?;
            let dir = match direction.as_deref() {
                None => Direction::Outgoing,
                Some(d) => {
                    Direction::parse(d).ok_or_else(|| ApiError::bad_request("Invalid direction"))?
                }
            };
            let found: Vec<&str> = graph
                .walk(i, dir, filter, Some(depth))
                .into_iter()
                .map(|n| graph.node(n).id.as_str())
                .collect();
            Ok(Json(json!({
                "node_id": graph.node(i).id,
                "direction": dir.as_str(),
                "depth": depth,
                "edge_types": types,
                "dependencies": found,
                "count": found.len(),
            }))
            .into_response())
        })
        .await
    })
    .await
}

/// `POST /cycles` (§4.11).
pub async fn cycles(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let parsed = edge_types_field(&call, &["imports"]).and_then(|t| {
        call.check_cwd_type()?;
        Ok(t)
    });
    let (filter, types) = match parsed {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    call.respond(&state, |project| async move {
        let graph = graph_of(&project).await?;
        blocking(move || {
            let c = graph.cycles(filter);
            let ids =
                |v: &[u32]| -> Vec<&str> { v.iter().map(|&n| graph.node(n).id.as_str()).collect() };
            let cycles: Vec<Vec<&str>> = c.cycles.iter().map(|v| ids(v)).collect();
            let total: usize = cycles.iter().map(Vec::len).sum();
            Ok(Json(json!({
                "cycles": cycles,
                "cycle_count": cycles.len(),
                "total_nodes_in_cycles": total,
                "self_loops": ids(&c.self_loops),
                "edge_types": types,
            }))
            .into_response())
        })
        .await
    })
    .await
}

/// `POST /query` (§4.6): for now the read-only SQL passthrough; errors of the statement come
/// back in `result.error` with HTTP 200.
pub async fn query(State(state): State<Arc<AppState>>, call: Call) -> Response {
    let started = std::time::Instant::now();
    let text = match call.field("muql", "a string", Value::as_str) {
        Ok(Some(t)) => t.to_string(),
        Ok(None) => return ApiError::unprocessable("Field 'muql' is required").into_response(),
        Err(e) => return e.into_response(),
    };
    if let Err(e) = call.check_cwd_type() {
        return e.into_response();
    }
    let limits = crate::store::sql::SqlLimits {
        timeout: state.config.query_timeout,
        max_rows: crate::store::sql::SqlLimits::default().max_rows,
    };
    call.respond(&state, |project| async move {
        let runtime = tokio::runtime::Handle::current();
        let result = blocking(move || {
            // Only the graph forms ask for the snapshot; they wait for its first load here, on
            // this blocking thread.
            let graph = || {
                runtime
                    .block_on(project.graph())
                    .ok_or_else(|| "The project is closing; send the query again".to_string())
            };
            project
                .with_reader(|conn| {
                    let env = crate::muql::Env {
                        conn,
                        limits: &limits,
                        started,
                    };
                    crate::muql::run(&text, &env, &graph)
                })
                .map_err(|e| ApiError::from(&e))
        })
        .await?;
        Ok(
            Json(json!({"result": result.to_json(), "success": true, "error": null}))
                .into_response(),
        )
    })
    .await
}

/// `GET /export` (§4.12): the graph in one of six formats; errors are always JSON.
pub async fn export(State(state): State<Arc<AppState>>, call: Call) -> Response {
    use crate::export::{ExportError, ExportRequest};
    // A bad max_nodes is a validation error (422, before routing); an unknown format, type or
    // level is the endpoint's own check (400, after routing).
    let request = match ExportRequest::from_params(call.params()) {
        Err(e @ ExportError::InvalidMaxNodes) => {
            return ApiError::unprocessable(e.to_string()).into_response()
        }
        other => other,
    };
    call.respond(&state, |project| async move {
        let request = request.map_err(|e| ApiError::bad_request(e.to_string()))?;
        let graph = graph_of(&project).await?;
        blocking(move || {
            let generated_at =
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let out = crate::export::export(&graph, &request, &generated_at);
            Ok((
                [(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static(out.content_type),
                )],
                out.body,
            )
                .into_response())
        })
        .await
    })
    .await
}

/// `POST /build` (§4.14): re-index the routed project; answers once the build is committed.
pub async fn build(State(state): State<Arc<AppState>>, call: Call) -> Response {
    if call.body.get("path").is_some_and(|p| !p.is_null()) {
        return ApiError::unprocessable("Field 'path' is not supported; use cwd").into_response();
    }
    let force = match call.field("force", "a boolean", Value::as_bool) {
        Ok(f) => f.unwrap_or(false),
        Err(e) => return e.into_response(),
    };
    if let Err(e) = call.check_cwd_type() {
        return e.into_response();
    }
    let s = Arc::clone(&state);
    call.respond(&state, |project| async move {
        let root = project.root.display().to_string();
        let report = if Arc::ptr_eq(&project, s.projects.own()) {
            let rx = project.build(force).map_err(ApiError::from)?;
            match rx.await {
                Ok(r) => r.map_err(ApiError::from)?,
                Err(_) => return Err(ApiError::unavailable("Server shutting down")),
            }
        } else {
            let root = project.root.clone();
            drop(project);
            blocking(move || s.projects.build_secondary(&root, force)).await?
        };
        Ok(Json(json!({
            "project_root": root,
            "mode": report.mode.as_str(),
            "files_scanned": report.files_scanned,
            "files_changed": report.files_changed,
            "files_removed": report.files_removed,
            "files_failed": report.files_failed,
            "node_count": report.node_count,
            "edge_count": report.edge_count,
            "duration_ms": report.duration_ms,
        }))
        .into_response())
    })
    .await
}

/// JSON text of plain data (strings, numbers, lists of them: serialising cannot fail).
fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_are_decoded_once() {
        assert_eq!(
            decode_id("mod%3Asrc%2Fapp%2Fauth.py").unwrap(),
            "mod:src/app/auth.py"
        );
        assert_eq!(
            decode_id("mod:src/app/auth.py").unwrap(),
            "mod:src/app/auth.py"
        );
        assert_eq!(decode_id("a+b").unwrap(), "a+b");
        assert_eq!(decode_id("%2541").unwrap(), "%41");
        assert_eq!(decode_id("caf%C3%A9").unwrap(), "café");
        for bad in ["%", "%4", "%zz", "%C3", "%FF", "%+F", "%-1"] {
            assert_eq!(decode_id(bad).unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn exact_ids_are_path_normalised() {
        use crate::graph::normalise_id;
        let root = std::path::Path::new("/home/ada/shop");
        assert_eq!(normalise_id("mod:./src//a.py", root), "mod:src/a.py");
        assert_eq!(
            normalise_id("fn:/home/ada/shop/src/a.py:f", root),
            "fn:src/a.py:f"
        );
        assert_eq!(normalise_id("ext:os.path", root), "ext:os.path");
        assert_eq!(normalise_id("plain", root), "plain");
    }
}
