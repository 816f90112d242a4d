//! The HTTP server (`http-api.md`): router, guard, handlers. Handlers are thin: they route the
//! request to a project (`cwd`, §2.12), then read the project's published state or hand work to
//! its writer thread. Nothing here touches DuckDB on an async worker thread.

mod call;
mod error;
mod guard;
mod handlers;
pub mod openapi;
mod projects;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post};
use axum::Router;

pub use error::ApiError;
pub use projects::Projects;

/// What the server needs to know about the daemon it runs in.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub pid: u32,
    pub port: u16,
    /// The bearer token every request must carry, when configured.
    pub token: Option<String>,
    /// MUQL/SQL time cap (`--query-timeout`).
    pub query_timeout: Duration,
    /// A non-loopback address the daemon was explicitly bound to (accepted as Host).
    pub extra_host: Option<String>,
}

/// Shared by every handler.
pub struct AppState {
    pub config: ServerConfig,
    /// The own project and the secondary ones.
    pub projects: Projects,
    pub started: Instant,
    /// Open WebSocket connections (none until the live-updates endpoint exists).
    pub connections: AtomicUsize,
    /// Flips to true when in-flight requests must be cancelled (shutdown drain time is over).
    pub drain: tokio::sync::watch::Receiver<bool>,
}

/// The `X-MU-Project` header (§2.8): the project root, with non-ASCII bytes, control
/// characters and `%` percent-encoded.
pub fn project_header(root: &Path) -> (HeaderName, HeaderValue) {
    let mut out = String::new();
    for &b in root.as_os_str().as_encoded_bytes() {
        if b == b'%' || !(0x20..0x7f).contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    (
        HeaderName::from_static("x-mu-project"),
        HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static("")),
    )
}

/// The application: every route of `http-api.md` §1, behind the guard. Node ids are routed on
/// the raw path (§2.11), so the node endpoints take the whole remainder.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(handlers::health))
        .route("/status", get(handlers::status))
        .route("/nodes/{*rest}", get(handlers::node))
        .route("/node/{*rest}", get(handlers::node))
        .route("/nodes", post(handlers::nodes_batch))
        .route("/query", post(handlers::query))
        .route("/impact", post(handlers::impact))
        .route("/ancestors", post(handlers::ancestors))
        .route("/deps", post(handlers::deps))
        .route("/cycles", post(handlers::cycles))
        .route("/export", get(handlers::export))
        .route("/build", post(handlers::build))
        .route("/openapi.json", get(handlers::openapi))
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::guard,
        ))
        .with_state(state)
}

/// Background work of a serving daemon: closing idle secondary projects (§2.14).
pub fn spawn_maintenance(state: &Arc<AppState>) {
    tokio::spawn(projects::maintenance(Arc::clone(state)));
}

/// Serve on the bound listeners until `shutdown` resolves; then stop accepting and return once
/// in-flight requests have finished (the guard cancels them when the drain time is over).
pub async fn serve(
    listeners: Vec<std::net::TcpListener>,
    app: Router,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for l in listeners {
        l.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(l)?;
        let app = app.clone();
        let mut stop = shutdown.clone();
        tasks.spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
        });
    }
    let _ = shutdown.wait_for(|s| *s).await;
    while let Some(r) = tasks.join_next().await {
        if let Ok(Err(e)) = r {
            log::warn!("listener ended with an error: {e}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_header_encoding() {
        let (_, v) = project_header(Path::new("/home/ada/my shop"));
        assert_eq!(v.to_str().unwrap(), "/home/ada/my shop");
        let (_, v) = project_header(Path::new("/tmp/100%/é"));
        assert_eq!(v.to_str().unwrap(), "/tmp/100%25/%C3%A9");
        let (_, v) = project_header(Path::new("/tmp/a\tb"));
        assert_eq!(v.to_str().unwrap(), "/tmp/a%09b");
    }
}
