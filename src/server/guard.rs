//! The checks every request passes before a handler sees it (`http-api.md` §2.2–§2.6, §2.8,
//! §2.10): Host allow-list (DNS rebinding), Origin, optional bearer token, then the common
//! response headers, the request deadline and the shutdown drain.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

/// Longest Host header accepted (§2.3).
const MAX_HOST_LEN: usize = 1024;
/// Deadline of every request except `/build` (§2.10).
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// Whether `host` (no port, brackets kept for IPv6) is a loopback name the daemon answers to.
fn loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

/// Split `host[:port]`; `None` when it is not a valid authority.
fn split_host(value: &str) -> Option<&str> {
    if value.is_empty() {
        return None;
    }
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &value[..end + 2];
        let after = &rest[end + 1..];
        if after.is_empty() {
            (host, None)
        } else {
            (host, Some(after.strip_prefix(':')?))
        }
    } else {
        match value.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (value, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if p.parse::<u32>().ok()? > 65535 {
            return None;
        }
    }
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b));
    valid.then_some(host)
}

/// Check 1: the Host header.
fn check_host(headers: &HeaderMap, extra: Option<&str>) -> Result<(), ApiError> {
    let invalid = || ApiError::bad_request("Invalid Host header");
    let mut values = headers.get_all(header::HOST).iter();
    let value = values.next().ok_or_else(invalid)?;
    if values.next().is_some() || value.len() > MAX_HOST_LEN {
        return Err(invalid());
    }
    let value = value.to_str().map_err(|_| invalid())?;
    let host = split_host(value).ok_or_else(invalid)?;
    if loopback_host(host) || extra.is_some_and(|e| e == host) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "Host not allowed"))
    }
}

/// Check 2: the Origin header, when present.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let denied = || ApiError::new(StatusCode::FORBIDDEN, "Origin not allowed");
    let mut values = headers.get_all(header::ORIGIN).iter();
    let Some(value) = values.next() else {
        return Ok(());
    };
    if values.next().is_some() {
        return Err(denied());
    }
    let value = value.to_str().map_err(|_| denied())?;
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or_else(denied)?;
    match split_host(rest) {
        Some(host) if loopback_host(host) && !rest.contains('/') => Ok(()),
        _ => Err(denied()),
    }
}

/// Constant-time comparison (the time does not depend on where the first difference is).
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

/// Check 3: the bearer token, when one is configured.
fn check_token(headers: &HeaderMap, token: Option<&str>) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
        });
    match given {
        Some(g) if same_secret(g.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(ApiError::new(StatusCode::UNAUTHORIZED, "Not authenticated")),
    }
}

/// Headers every response carries (§2.8), and JSON bodies for the router's own 404 and 405.
fn finish(mut resp: Response) -> Response {
    let status = resp.status();
    if status == StatusCode::METHOD_NOT_ALLOWED
        && resp.headers().get(header::CONTENT_TYPE).is_none()
    {
        let allow = resp.headers().get(header::ALLOW).cloned();
        resp = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response();
        if let Some(a) = allow {
            resp.headers_mut().insert(header::ALLOW, a);
        }
    }
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A future that turns a panic while it is polled into `Err` (it is not polled again).
struct CatchUnwind(std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>);

impl std::future::Future for CatchUnwind {
    type Output = std::thread::Result<Response>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(r)) => std::task::Poll::Ready(Ok(r)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}

/// The middleware: checks 1–3, then the handler under the request deadline, cancelled with 503
/// once the shutdown drain time is over.
pub async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    if let Err(e) = check_host(headers, state.config.extra_host.as_deref()) {
        return finish(e.into_response());
    }
    if let Err(e) = check_origin(headers) {
        return finish(e.into_response());
    }
    if let Err(e) = check_token(headers, state.config.token.as_deref()) {
        let mut resp = e.into_response();
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return finish(resp);
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let unbounded = path == "/build";
    let mut drained = state.drain.clone();
    // A panic in the handler becomes a 500 and the daemon keeps serving (§2.9); a cancelled
    // request drops the handler's future.
    let handler = CatchUnwind(Box::pin(next.run(req)));
    let resp = tokio::select! {
        r = handler => match r {
            Ok(resp) => resp,
            Err(_) => {
                log::error!("handler for {method} {path} panicked");
                ApiError::internal("the request handler failed; see the daemon log").into_response()
            }
        },
        _ = drained.wait_for(|d| *d) => {
            ApiError::unavailable("Server shutting down").into_response()
        }
        _ = tokio::time::sleep(REQUEST_DEADLINE), if !unbounded => {
            ApiError::unavailable("Request timed out after 30 s").into_response()
        }
    };
    log::debug!(
        "{method} {path} {} {:.1} ms",
        resp.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    finish(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(v: &str) -> Result<(), u16> {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(v).unwrap());
        check_host(&h, None).map_err(|e| e.status.as_u16())
    }

    #[test]
    fn host_allow_list() {
        assert_eq!(host("localhost:9120"), Ok(()));
        assert_eq!(host("LOCALHOST"), Ok(()));
        assert_eq!(host("127.0.0.1:9120"), Ok(()));
        assert_eq!(host("[::1]:9120"), Ok(()));
        assert_eq!(host("[::1]"), Ok(()));
        assert_eq!(host("evil.example:9120"), Err(403));
        assert_eq!(host("0.0.0.0:9120"), Err(403));
        assert_eq!(host("127.0.0.2"), Err(403));
        assert_eq!(host("localhost."), Err(403));
        assert_eq!(host("localhost:"), Err(400));
        assert_eq!(host("localhost:99999"), Err(400));
        assert_eq!(host("[::1"), Err(400));
        assert_eq!(host("a b"), Err(400));
        assert_eq!(host(&"a".repeat(2000)), Err(400));
        assert_eq!(check_host(&HeaderMap::new(), None).unwrap_err().status, 400);
    }

    #[test]
    fn origin_allow_list() {
        let origin = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ORIGIN, HeaderValue::from_str(v).unwrap());
            check_origin(&h).is_ok()
        };
        assert!(check_origin(&HeaderMap::new()).is_ok());
        assert!(origin("http://localhost:3000"));
        assert!(origin("https://127.0.0.1"));
        assert!(origin("http://[::1]:9120"));
        assert!(!origin("null"));
        assert!(!origin("http://evil.example"));
        assert!(!origin("http://localhost.evil.example"));
        assert!(!origin("file://localhost"));
        assert!(!origin("http://localhost/x"));
    }

    #[tokio::test]
    async fn a_panicking_handler_is_caught() {
        let ok = CatchUnwind(Box::pin(async { Response::new(axum::body::Body::empty()) }));
        assert!(ok.await.is_ok());
        let boom = CatchUnwind(Box::pin(async {
            if std::hint::black_box(true) {
                panic!("handler bug");
            }
            Response::new(axum::body::Body::empty())
        }));
        assert!(boom.await.is_err());
    }

    #[test]
    fn token_comparison() {
        assert!(same_secret(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcdeg", b"0123456789abcdef"));
        assert!(!same_secret(b"0123456789abcde", b"0123456789abcdef"));
        assert!(!same_secret(b"", b"0123456789abcdef"));
    }
}
