//! The one error type of the HTTP layer and its mapping to responses (`http-api.md` §2.9): every
//! error body is `{"detail": "<string>"}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
        }
    }
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, detail)
    }
    pub fn unprocessable(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }
    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }
    pub fn internal(summary: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Internal error: {summary}"),
        )
    }
}

impl From<crate::daemon::BuildError> for ApiError {
    fn from(e: crate::daemon::BuildError) -> Self {
        use crate::daemon::BuildError as B;
        use crate::index::IndexError as I;
        use crate::store::StoreError as S;
        match &e {
            B::Busy(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            B::ShuttingDown => ApiError::unavailable("Server shutting down"),
            B::Unavailable(_) => ApiError::internal(e),
            B::Index(I::Store(s @ S::Locked { .. })) => ApiError::from(s),
            B::Index(_) => ApiError::internal(e),
        }
    }
}

impl From<&crate::store::StoreError> for ApiError {
    /// A lock conflict is 503 with the holder's pid when DuckDB gave it (§2.14); the rest 500.
    fn from(e: &crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Locked { path, pid } => ApiError::unavailable(format!(
                "Database {} is locked by another process{}",
                path.display(),
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
            )),
            crate::store::StoreError::Closed { path } => ApiError::unavailable(format!(
                "The database {} is being closed; retry the request",
                path.display()
            )),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(json!({"detail": self.detail}))).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    }
}
