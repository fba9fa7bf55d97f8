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
    /// An error with a code of [`mcdewey_core::ERROR_CODES`] (which gives its HTTP
    /// status) and a message.
    pub fn new(code: &'static str, message: String) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(mcdewey_core::error_status(code))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message,
        }
    }

    /// A bad request naming the field at fault.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> ApiError {
        ApiError::new("invalid_argument", format!("{field}: {reason}"))
    }

    /// A server-side failure.
    pub fn internal(message: String) -> ApiError {
        ApiError::new("internal", message)
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> ApiError {
        let err = ApiError::new(e.code(), e.to_string());
        if err.status.is_server_error() {
            tracing::error!(target: "mcdewey::server", "{e}");
        }
        err
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}
