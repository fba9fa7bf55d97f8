//! McDewey's HTTP server: the web UI, the JSON API (with its OpenAPI document), the MCP
//! endpoint at `/mcp` and `/healthz`, from one axum router. Every handler calls the
//! search engine ([`mcdewey_search::Engine`]); none reaches into the index.
//!
//! [`app`] builds the router, so tests drive the same router in-process and on a port.

mod api;
mod error;
mod markdown;
pub mod mcp;
mod openapi;
mod pages;
mod snippet;

pub use error::ApiError;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use mcdewey_search::Engine;
use std::net::SocketAddr;
use std::sync::Arc;

/// Default address of `mcdewey serve`.
pub const DEFAULT_BIND: &str = "127.0.0.1:7878";
/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Longest a page or API request may take before it is answered with 503 `timeout`
/// (MCP streams are exempt: they are long-lived by design).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How the server is exposed.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// When set, `/api` and `/mcp` require `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Browser origins allowed to call `/mcp` besides the server's own (e.g.
    /// `http://localhost:5173`). Requests without an Origin header are allowed.
    pub allowed_origins: Vec<String>,
    /// Host names accepted in the Host header of `/mcp` besides loopback names.
    pub allowed_hosts: Vec<String>,
}

/// The engine being served, replaceable while requests run: a request takes the engine
/// current when it starts and finishes on it, so swapping in a freshly indexed one never
/// fails a request.
#[derive(Clone)]
pub struct EngineHandle(Arc<std::sync::RwLock<Arc<Engine>>>);

impl EngineHandle {
    /// A handle serving `engine`.
    pub fn new(engine: Arc<Engine>) -> EngineHandle {
        EngineHandle(Arc::new(std::sync::RwLock::new(engine)))
    }

    /// The engine current now.
    pub fn current(&self) -> Arc<Engine> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serves `engine` from now on.
    pub fn replace(&self, engine: Arc<Engine>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = engine;
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    engine: EngineHandle,
    options: Arc<ServerOptions>,
}

impl AppState {
    /// State over an engine handle.
    pub fn new(engine: EngineHandle, options: ServerOptions) -> AppState {
        AppState {
            engine,
            options: Arc::new(options),
        }
    }

    /// The engine current now.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.current()
    }
}

/// Runs blocking engine work (embedding, index reads) off the async runtime.
pub(crate) async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&Engine) -> Result<T, mcdewey_search::SearchError> + Send + 'static,
    T: Send + 'static,
{
    let engine = state.engine();
    tokio::task::spawn_blocking(move || f(&engine))
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
        .map_err(ApiError::from)
}

/// The whole application: pages, API, MCP and health check.
pub fn app(state: AppState) -> Router {
    let api = api::routes()
        .route("/api/openapi.json", get(openapi::document))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let mcp = Router::new()
        .nest_service("/mcp", mcp::http_service(state.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), check_origin))
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    let timed = Router::new()
        .merge(pages::routes())
        .merge(api)
        .layer(middleware::from_fn(time_limit));
    Router::new()
        .merge(timed)
        .merge(mcp)
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    let chunks = state.engine().store().chunk_count();
    axum::Json(serde_json::json!({"status": "ok", "chunks": chunks})).into_response()
}

async fn not_found(req: Request) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no API route {path}; see /api/openapi.json"),
        )
        .into_response()
    } else {
        pages::not_found_page(&path).into_response()
    }
}

/// Answers 503 when a request runs past [`REQUEST_TIMEOUT`].
async fn time_limit(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} s; try a narrower query",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Bearer-token check for `/api` and `/mcp` when a token is configured.
async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = state.options.token.as_deref() else {
        return next.run(req).await;
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
        next.run(req).await
    } else {
        let mut resp = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server requires a token: send Authorization: Bearer <token>".to_string(),
        )
        .into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"mcdewey\""),
        );
        resp
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses `/mcp` requests from foreign browser origins (DNS-rebinding and
/// cross-site protection, as the MCP specification asks).
async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return next.run(req).await;
    };
    let origin = origin.to_str().unwrap_or_default().to_string();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let own = [format!("http://{host}"), format!("https://{host}")];
    let allowed = own.contains(&origin)
        || state.options.allowed_origins.iter().any(|o| o == &origin)
        || is_loopback_origin(&origin);
    if allowed {
        next.run(req).await
    } else {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_origin",
            format!("origin {origin} may not call /mcp; allow it with --allow-origin"),
        )
        .into_response()
    }
}

fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        rest.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Headers on every response: no sniffing, no framing, and on pages a strict
/// Content-Security-Policy, so nothing from a rendered document can run.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    resp
}

/// Serves `state` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_are_recognised() {
        assert!(is_loopback_origin("http://127.0.0.1:7878"));
        assert!(is_loopback_origin("http://localhost"));
        assert!(is_loopback_origin("http://[::1]:80"));
        assert!(!is_loopback_origin("http://evil.example"));
        assert!(!is_loopback_origin("http://127.0.0.1.evil.example"));
        assert!(!is_loopback_origin("null"));
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secre"));
    }
}
