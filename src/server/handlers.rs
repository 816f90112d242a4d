//! Endpoint handlers (`http-api.md` §4): `/health`, `/status`, `/build`, and the JSON 404.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{project_header, route, ApiError, AppState};
use crate::daemon::ProjectHandle;

/// Request body limit (§2.7).
const BODY_LIMIT: usize = 1_048_576;

type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// A query parameter; given but empty counts as absent (§2.7). An undecodable query string
/// counts as having no parameters.
fn param<'a>(q: &'a Params, name: &str) -> Option<&'a str> {
    q.as_ref()
        .ok()?
        .0
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// A JSON answer for a routed project: carries `X-MU-Project` (§2.8).
fn routed(project: &ProjectHandle, result: Result<Value, ApiError>) -> Response {
    let mut resp = match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    };
    let (name, value) = project_header(&project.root);
    resp.headers_mut().insert(name, value);
    resp
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("Not Found")
}

/// `GET /health` (§4.1): never touches the database.
pub async fn health(State(state): State<Arc<AppState>>, q: Params) -> Response {
    let project = match route(&state, param(&q, "cwd")).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let body = json!({
        "status": "ok",
        "service": "mu-daemon",
        "pid": state.config.pid,
        "port": state.config.port,
        "daemon_version": env!("CARGO_PKG_VERSION"),
    });
    routed(&project, Ok(body))
}

/// `GET /status` (§4.2): the published snapshot of the routed project; no database access.
pub async fn status(State(state): State<Arc<AppState>>, q: Params) -> Response {
    let project = match route(&state, param(&q, "cwd")).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let body = status_body(&state, &project);
    routed(&project, Ok(body))
}

fn status_body(state: &AppState, project: &ProjectHandle) -> Value {
    let snap = project.snapshot();
    let file_size_kb = snap.file_size_kb;
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
    json!({
        "status": "running",
        "mubase_path": mubase,
        "stats": {
            "nodes": nodes,
            "edges": edges,
            "nodes_by_type": nonzero(&snap.counts.nodes),
            "edges_by_type": nonzero(&snap.counts.edges),
            "file_size_kb": file_size_kb,
            "version": snap.version.clone().unwrap_or_else(|| "1.0.0".to_string()),
            "built_at": snap.built_at,
            "root_path": snap.root_path.clone().unwrap_or_else(|| root.clone()),
        },
        "language_stats": snap.language_stats,
        "connections": state.connections.load(Ordering::Relaxed),
        "uptime_seconds": state.started.elapsed().as_secs_f64(),
        "active_projects": 1,
        "project_paths": [mubase],
        "node_count": nodes,
        "edge_count": edges,
        "schema_version": snap.schema_version,
        "project_root": root,
        "primary": true,
        "watching": project.watching(),
        "pid": state.config.pid,
        "port": state.config.port,
        "daemon_version": env!("CARGO_PKG_VERSION"),
        "indexing": {"state": indexing, "files_done": files_done, "files_total": files_total},
    })
}

/// Read a JSON object body under the rules of §2.7.
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Map<String, Value>, ApiError> {
    let too_large = || {
        ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body too large (limit {BODY_LIMIT} bytes)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| too_large())?;
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !(essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json")))
    {
        return Err(ApiError::unprocessable(
            "Content-Type must be application/json",
        ));
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::unprocessable(format!("Invalid JSON body: {e}")))?;
    match value {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::unprocessable(
            "Request body must be a JSON object",
        )),
    }
}

/// An optional field of a given JSON type; `null` means not given (§2.7).
fn opt_field<'a, T>(
    body: &'a Map<String, Value>,
    name: &str,
    type_name: &str,
    get: impl Fn(&'a Value) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => get(v)
            .map(Some)
            .ok_or_else(|| ApiError::unprocessable(format!("Field '{name}' must be {type_name}"))),
    }
}

/// The `cwd` of a POST: body or query, which must agree (§2.12).
fn post_cwd<'a>(q: &'a Params, body: &'a Map<String, Value>) -> Result<Option<&'a str>, ApiError> {
    let from_body = opt_field(body, "cwd", "a string", Value::as_str)?.filter(|c| !c.is_empty());
    let from_query = param(q, "cwd");
    match (from_query, from_body) {
        (Some(a), Some(b)) if a != b => {
            Err(ApiError::bad_request("Conflicting cwd in query and body"))
        }
        (a, b) => Ok(a.or(b)),
    }
}

/// `POST /build` (§4.14): re-index the routed project; answers once the build is committed.
pub async fn build(
    State(state): State<Arc<AppState>>,
    q: Params,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match json_body(&headers, body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if body.contains_key("path") {
        return ApiError::unprocessable("Field 'path' is not supported; use cwd").into_response();
    }
    let force = match opt_field(&body, "force", "a boolean", Value::as_bool) {
        Ok(f) => f.unwrap_or(false),
        Err(e) => return e.into_response(),
    };
    let cwd = match post_cwd(&q, &body) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let project = match route(&state, cwd).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let result = match project.build(force) {
        Err(e) => Err(ApiError::from(e)),
        Ok(rx) => match rx.await {
            Ok(Ok(r)) => Ok(json!({
                "project_root": project.root.display().to_string(),
                "mode": r.mode.as_str(),
                "files_scanned": r.files_scanned,
                "files_changed": r.files_changed,
                "files_removed": r.files_removed,
                "files_failed": r.files_failed,
                "node_count": r.node_count,
                "edge_count": r.edge_count,
                "duration_ms": r.duration_ms,
            })),
            Ok(Err(e)) => Err(ApiError::from(e)),
            Err(_) => Err(ApiError::unavailable("Server shutting down")),
        },
    };
    routed(&project, result)
}
