//! One API call as the handlers see it (`http-api.md` §2.7, §2.12, §2.13): the decoded query,
//! the JSON body (size, content type and syntax already checked), and the way to answer it — from
//! a local project or by forwarding the request unchanged to the daemon that owns the project.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Query, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::projects::Target;
use super::{project_header, ApiError, AppState};
use crate::daemon::ProjectHandle;

/// Request body limit (§2.7).
pub const BODY_LIMIT: usize = 1_048_576;
/// The header that marks a forwarded request (§2.13 loop guard).
const FORWARDED: &str = "x-mu-forwarded";
/// Connect timeout of a forwarded request (§2.13).
const FORWARD_CONNECT: Duration = Duration::from_secs(1);
/// The whole exchange of a forwarded request: the endpoint's deadline (§2.10) less a margin, so
/// that a silent owner is still judged (stale → served here) before this request's own deadline.
const FORWARD_DEADLINE: Duration = Duration::from_secs(27);
/// `/build` has no deadline; a forwarded build is bounded generously instead.
const FORWARD_BUILD_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// A checked request.
pub struct Call {
    params: Vec<(String, String)>,
    pub body: Map<String, Value>,
    raw_body: Bytes,
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
}

impl<S: Send + Sync> FromRequest<S> for Call {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Call, Response> {
        let (parts, body) = req.into_parts();
        // An undecodable query string counts as having no parameters.
        let params = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string());
        let (raw_body, body) = if parts.method == Method::POST {
            read_json(&parts.headers, body)
                .await
                .map_err(IntoResponse::into_response)?
        } else {
            (Bytes::new(), Map::new())
        };
        Ok(Call {
            params,
            body,
            raw_body,
            method: parts.method,
            path_and_query,
            headers: parts.headers,
        })
    }
}

/// Read a JSON object body under the rules of §2.7: 413 over 1 MiB (declared or streamed), an
/// empty body is `{}`, otherwise a JSON content type and a JSON object (422).
async fn read_json(
    headers: &HeaderMap,
    body: Body,
) -> Result<(Bytes, Map<String, Value>), ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
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
        return Ok((bytes, Map::new()));
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
        Value::Object(m) => Ok((bytes, m)),
        _ => Err(ApiError::unprocessable(
            "Request body must be a JSON object",
        )),
    }
}

impl Call {
    /// A query parameter; given but empty counts as absent (§2.7).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The raw path (before percent-decoding).
    pub fn raw_path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// An optional body field of a given JSON type; `null` means not given (§2.7).
    pub fn field<'a, T>(
        &'a self,
        name: &str,
        type_name: &str,
        get: impl Fn(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => get(v).map(Some).ok_or_else(|| {
                ApiError::unprocessable(format!("Field '{name}' must be {type_name}"))
            }),
        }
    }

    /// An optional list of strings.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        self.field(name, "a list of strings", |v| {
            v.as_array()?
                .iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
    }

    /// The `cwd` of the request: query parameter, or for a POST also a body field; both given
    /// and different is a 400 (§2.12).
    fn cwd(&self) -> Result<Option<String>, ApiError> {
        let from_body = self
            .field("cwd", "a string", Value::as_str)?
            .filter(|c| !c.is_empty());
        match (self.param("cwd"), from_body) {
            (Some(a), Some(b)) if a != b => {
                Err(ApiError::bad_request("Conflicting cwd in query and body"))
            }
            (a, b) => Ok(a.or(b).map(str::to_string)),
        }
    }

    /// A body field type error of `cwd` belongs to step 6 (422), before routing.
    pub fn check_cwd_type(&self) -> Result<(), ApiError> {
        self.field("cwd", "a string", Value::as_str).map(|_| ())
    }

    fn forwarded(&self) -> bool {
        self.headers.contains_key(FORWARDED)
    }

    /// Route the call (step 7) and answer it: `serve` runs for a local project and its answer
    /// gets `X-MU-Project`; a project owned by another live daemon gets the request forwarded.
    pub async fn respond<F, Fut>(self, state: &Arc<AppState>, serve: F) -> Response
    where
        F: FnOnce(Arc<ProjectHandle>) -> Fut,
        Fut: Future<Output = Result<Response, ApiError>>,
    {
        let target = match self.cwd() {
            Ok(cwd) => {
                let build = self.raw_path() == "/build";
                state
                    .projects
                    .target(state, cwd.as_deref(), self.forwarded(), build)
                    .await
            }
            Err(e) => Err(e),
        };
        let project = match target {
            Err(e) => return e.into_response(),
            Ok(Target::Local(project)) => project,
            Ok(Target::Forward(entry)) => match self.forward(&entry).await {
                Some(resp) => return resp,
                // The owner did not answer: a stale entry is removed and the request served
                // here; a live owner gives 503.
                None => match state
                    .projects
                    .after_failed_forward(state, &entry, self.raw_path() == "/build")
                    .await
                {
                    Ok(project) => project,
                    Err(e) => return e.into_response(),
                },
            },
        };
        let root = project.root.clone();
        let mut resp = serve(project)
            .await
            .unwrap_or_else(IntoResponse::into_response);
        let (name, value) = project_header(&root);
        resp.headers_mut().insert(name, value);
        resp
    }

    /// Relay the request to the daemon that owns the project (§2.13); `None` when it did not
    /// answer (connection refused, time-out).
    async fn forward(&self, entry: &crate::registry::Entry) -> Option<Response> {
        let ip = entry
            .host
            .as_deref()
            .and_then(|h| h.trim_matches(['[', ']']).parse::<std::net::IpAddr>().ok())
            .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        let addr = std::net::SocketAddr::new(ip, entry.port);
        let mut headers: Vec<(String, String)> = Vec::new();
        for name in [header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION] {
            if let Some(v) = self.headers.get(&name).and_then(|v| v.to_str().ok()) {
                headers.push((name.as_str().to_string(), v.to_string()));
            }
        }
        headers.push((FORWARDED.to_string(), "1".to_string()));
        let deadline = if self.raw_path() == "/build" {
            FORWARD_BUILD_DEADLINE
        } else {
            FORWARD_DEADLINE
        };
        let method = self.method.as_str().to_string();
        let path = self.path_and_query.clone();
        let body = (self.method == Method::POST).then(|| self.raw_body.to_vec());
        let sent = tokio::task::spawn_blocking(move || {
            let h: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            crate::process::http::request_with_connect_timeout(
                addr,
                &method,
                &path,
                &h,
                body.as_deref(),
                FORWARD_CONNECT,
                deadline,
            )
        })
        .await;
        match sent {
            Ok(Ok(r)) => Some(relay(r)),
            Ok(Err(e)) => {
                log::info!(
                    "forwarding to {} (pid {}, port {}) failed: {e}",
                    entry.project_path.display(),
                    entry.pid,
                    entry.port
                );
                None
            }
            Err(e) => Some(ApiError::internal(e).into_response()),
        }
    }
}

/// The forwarded response: status, body, `Content-Type` and `X-MU-Project` unchanged.
fn relay(r: crate::process::http::HttpResponse) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut resp = (status, r.body.clone()).into_response();
    for name in ["content-type", "x-mu-project", "allow", "www-authenticate"] {
        if let Some(v) = r.header(name).and_then(|v| HeaderValue::from_str(v).ok()) {
            if let Ok(n) = header::HeaderName::from_bytes(name.as_bytes()) {
                resp.headers_mut().insert(n, v);
            }
        }
    }
    resp
}

/// A JSON response from text that is already JSON.
pub fn json_text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h
    }

    #[tokio::test]
    async fn a_body_over_the_limit_without_a_declared_length_is_413() {
        // No Content-Length header: the limit applies while the body is read.
        let mut big = vec![b' '; BODY_LIMIT - 1];
        big.extend_from_slice(b"{}");
        let e = read_json(&json_headers(), Body::from(big))
            .await
            .unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e.detail, "Request body too large (limit 1048576 bytes)");
        // Exactly at the limit is accepted.
        let mut exact = vec![b' '; BODY_LIMIT - 2];
        exact.extend_from_slice(b"{}");
        let (_, body) = read_json(&json_headers(), Body::from(exact)).await.unwrap();
        assert!(body.is_empty());
    }
}
