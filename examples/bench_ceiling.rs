//! The ceiling of `scripts/bench_api.sh`: a trivial axum handler on the same runtime setup as
//! the daemon (multi-threaded tokio, one listener on 127.0.0.1), answering a small JSON body.
//! The API benchmark reports the daemon's requests/s next to this one's, measured by the same
//! load tool in the same run.
//!
//! ```sh
//! target/release/examples/bench_ceiling <port>
//! ```

use axum::routing::get;
use axum::{Json, Router};

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: bench_ceiling <port>");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let app = Router::new().route(
            "/",
            get(|| async { Json(serde_json::json!({"status": "ok", "service": "ceiling"})) }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!("ready");
        axum::serve(listener, app).await.expect("serve");
    });
}
