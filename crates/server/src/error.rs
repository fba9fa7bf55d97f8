//! Errors as the API shows them: `{"error": {"code", "message"}}` with an HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mcdewey_search::SearchError;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, naming the field or value at fault.
    pub message: String,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: String) -> ApiError {
        ApiError {
            status,
            code,
            message,
        }
    }

    /// A bad request naming the field at fault.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            format!("{field}: {reason}"),
        )
    }

    /// A server-side failure.
    pub fn internal(message: String) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> ApiError {
        let status = match &e {
            SearchError::ChunkNotFound(_) | SearchError::DocumentNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            SearchError::NoVectors(_) => StatusCode::SERVICE_UNAVAILABLE,
            e if e.is_client_error() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(target: "mcdewey::server", "{e}");
        }
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}
