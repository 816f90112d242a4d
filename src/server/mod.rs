//! The HTTP server (`http-api.md`): router, guard, handlers. Handlers are thin: they route the
//! request to a project (`cwd`, §2.12), then read the project's published state or hand work to
//! its writer thread. Nothing here touches DuckDB on an async worker thread.

mod error;
mod guard;
mod handlers;
pub mod openapi;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;

use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post};
use axum::Router;

pub use error::ApiError;

use crate::daemon::ProjectHandle;

/// What the server needs to know about the daemon it runs in.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub pid: u32,
    pub port: u16,
    /// The bearer token every request must carry, when configured.
    pub token: Option<String>,
    /// A non-loopback address the daemon was explicitly bound to (accepted as Host).
    pub extra_host: Option<String>,
}

/// Shared by every handler.
pub struct AppState {
    pub config: ServerConfig,
    pub project: Arc<ProjectHandle>,
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

/// Route by `cwd`: none → own project; a path in the own project → own; a path in no project
/// → 404; another project → 503 until this daemon can serve or forward to it.
pub async fn route(state: &AppState, cwd: Option<&str>) -> Result<Arc<ProjectHandle>, ApiError> {
    let Some(cwd) = cwd.filter(|c| !c.is_empty()) else {
        return Ok(Arc::clone(&state.project));
    };
    let path = PathBuf::from(cwd);
    if !path.is_absolute() {
        return Err(ApiError::bad_request(format!(
            "cwd must be an absolute path: {cwd}"
        )));
    }
    let no_project = || ApiError::not_found(format!("No MU project (.mu/mubase) found for {cwd}"));
    // Canonicalising and walking up the tree is file I/O: off the async workers.
    let found = tokio::task::spawn_blocking(move || crate::project::resolve_root(&path, false))
        .await
        .map_err(ApiError::internal)?;
    let project = match found {
        Ok(Some(p)) => p,
        Ok(None) | Err(_) => return Err(no_project()),
    };
    if project.root == state.project.root {
        return Ok(Arc::clone(&state.project));
    }
    Err(ApiError::unavailable(format!(
        "This daemon serves {}; {} has no daemon here. Start one with: mu-daemon start {} --port 0",
        state.project.root.display(),
        project.root.display(),
        project.root.display()
    )))
}

/// The application: every route, behind the guard.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(handlers::health))
        .route("/status", get(handlers::status))
        .route("/build", post(handlers::build))
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::guard,
        ))
        .with_state(state)
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
