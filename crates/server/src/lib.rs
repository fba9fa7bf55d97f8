//! McDewey's HTTP server: the web UI, the JSON API (with its OpenAPI document), the MCP
//! endpoint at `/mcp` and `/healthz`, from one axum router. Every handler calls the
//! search engine ([`mcdewey_search::Engine`]); none reaches into the index.
//!
//! [`app`] builds the router, so tests drive the same router in-process and on a port.

mod admin;
mod api;
pub mod auth;
mod error;
mod gate;
pub mod jobs;
mod markdown;
pub mod mcp;
mod openapi;
mod pages;
mod pdf;
mod signin;
pub mod snippet;

pub use error::ApiError;

pub use auth::{Auth, Principal, Role, TokenEntry};
pub use gate::Access;
pub use jobs::Writes;
pub use pdf::PDFJS_VERSION;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
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
    /// When set, every route but the health check, static assets and the sign-in page
    /// requires this token (role admin, named `token`): `Authorization: Bearer <token>`
    /// or a browser session signed in with it.
    pub token: Option<String>,
    /// A tokens file (`NAME ROLE blake3:HEX` a line, see [`auth`]), read again when it
    /// changes.
    pub tokens_file: Option<std::path::PathBuf>,
    /// Browser origins allowed to call the server besides its own and loopback ones
    /// (e.g. `http://localhost:5173`). Requests without an Origin header are allowed.
    pub allowed_origins: Vec<String>,
    /// Host names accepted in the Host header besides `localhost` and IP literals (the
    /// DNS names the server is reached under); `*` accepts any.
    pub allowed_hosts: Vec<String>,
    /// The library folder, to serve documents' original files (`/files/…`) and show
    /// PDFs as themselves (`/pdf/…`); without it only the indexed text is served.
    pub library: Option<std::path::PathBuf>,
    /// A `pdfjs-dist` folder (`scripts/setup` installs it), for PDF pages in the
    /// browser; without one, PDFs open in the text view.
    pub pdfjs: Option<std::path::PathBuf>,
}

/// The engine being served (defined next to the engine, which keeps it current).
pub use mcdewey_search::EngineHandle;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    engine: EngineHandle,
    options: Arc<ServerOptions>,
    auth: Arc<Auth>,
    pdfjs: Option<Arc<pdf::PdfJs>>,
    jobs: Option<Arc<jobs::Jobs>>,
}

impl AppState {
    /// State over an engine handle; fails when the tokens file cannot be read (the
    /// error names it and the line at fault).
    pub fn new(engine: EngineHandle, options: ServerOptions) -> std::io::Result<AppState> {
        let fixed = options
            .token
            .iter()
            .map(|t| TokenEntry::from_secret("token", Role::Admin, t))
            .collect();
        let auth = Auth::new(fixed, options.tokens_file.as_deref())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let pdfjs = options.pdfjs.as_deref().and_then(pdf::PdfJs::load);
        Ok(AppState {
            engine,
            options: Arc::new(options),
            auth: Arc::new(auth),
            pdfjs,
            jobs: None,
        })
    }

    /// Allows admin tokens to add, refresh and remove documents (`--allow-write`):
    /// starts the job worker, which changes the library and updates and swaps the
    /// served engine. Refused on a server without tokens, where nobody could be an
    /// admin.
    pub fn with_writes(mut self, writes: Writes) -> std::io::Result<AppState> {
        if !self.auth.required() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "--allow-write needs an admin token (--token or --tokens-file): writes are for admins",
            ));
        }
        self.jobs = Some(Arc::new(jobs::Jobs::start(writes, self.engine.clone())?));
        Ok(self)
    }

    /// The jobs, on a server that allows writes.
    pub(crate) fn jobs(&self) -> Result<&jobs::Jobs, ApiError> {
        self.jobs.as_deref().ok_or_else(|| {
            ApiError::new(
                "writes_disabled",
                "this server is read-only: start it with --allow-write to add, refresh and remove documents".into(),
            )
        })
    }

    /// The engine current now.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.current()
    }

    /// pdf.js, when the server has it.
    pub(crate) fn pdfjs(&self) -> Option<&pdf::PdfJs> {
        self.pdfjs.as_deref()
    }

    /// The library folder whose files are served, when known.
    pub(crate) fn library(&self) -> Option<&std::path::Path> {
        self.options.library.as_deref()
    }

    /// Whether a document opens as itself in the PDF viewer.
    pub(crate) fn views_pdf(&self, source: &str) -> bool {
        self.pdfjs.is_some() && self.options.library.is_some() && pages::is_pdf(source)
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

/// One route of the router: its path, an example path for tests, its methods and who
/// may call it. [`routes`] lists them all; [`app`] is built from that list, each route
/// behind the gate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RouteInfo {
    /// The path as routed (`/chunks/{*id}`).
    pub path: &'static str,
    /// A concrete path that reaches it.
    pub example: &'static str,
    /// Methods it answers.
    pub methods: Vec<&'static str>,
    /// Who may call it.
    pub access: Access,
}

pub(crate) struct RouteDef {
    info: RouteInfo,
    service: MethodRouter<AppState>,
    /// Answered within [`REQUEST_TIMEOUT`] (pages and API; MCP streams are long-lived).
    timed: bool,
    /// Largest body, when not [`MAX_BODY_BYTES`] (uploads).
    body_limit: Option<usize>,
}

impl RouteDef {
    pub(crate) fn new(
        path: &'static str,
        example: &'static str,
        access: Access,
        service: MethodRouter<AppState>,
    ) -> RouteDef {
        RouteDef {
            info: RouteInfo {
                path,
                example,
                methods: vec!["GET"],
                access,
            },
            service,
            timed: true,
            body_limit: None,
        }
    }

    pub(crate) fn methods(mut self, methods: &[&'static str]) -> RouteDef {
        self.info.methods = methods.to_vec();
        self
    }

    pub(crate) fn body_limit(mut self, bytes: usize) -> RouteDef {
        self.body_limit = Some(bytes);
        self
    }
}

fn route_defs(state: &AppState) -> Vec<RouteDef> {
    let mut defs = pages::routes();
    defs.extend(api::routes());
    defs.extend(pdf::routes());
    defs.extend(admin::routes(
        state
            .jobs
            .as_ref()
            .map_or(MAX_BODY_BYTES, |j| j.writes.max_upload_bytes),
    ));
    defs.push(RouteDef::new(
        "/api/openapi.json",
        "/api/openapi.json",
        Access::Read,
        get(openapi::document),
    ));
    defs.push(
        RouteDef::new(
            "/login",
            "/login",
            Access::Public,
            get(signin::show).post(signin::sign_in),
        )
        .methods(&["GET", "POST"]),
    );
    defs.push(
        RouteDef::new(
            "/logout",
            "/logout",
            Access::Public,
            axum::routing::post(signin::sign_out),
        )
        .methods(&["POST"]),
    );
    defs.push(RouteDef::new(
        "/healthz",
        "/healthz",
        Access::Public,
        get(healthz),
    ));
    let mut mcp = RouteDef::new(
        "/mcp",
        "/mcp",
        Access::Read,
        mcp::http_endpoint(state.clone()),
    )
    .methods(&["GET", "POST", "DELETE"]);
    mcp.timed = false;
    defs.push(mcp);
    defs
}

/// Every route of [`app`], with who may call it.
pub fn routes(state: &AppState) -> Vec<RouteInfo> {
    route_defs(state).into_iter().map(|d| d.info).collect()
}

/// The whole application: pages, API, MCP, sign-in and health check, every route
/// behind the one gate (Host allow-list, Origin rule, authentication).
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for def in route_defs(&state) {
        let gate = middleware::from_fn_with_state((state.clone(), def.info.access), gate::gate);
        let mut service = def.service;
        if def.timed {
            service = service.layer(middleware::from_fn(time_limit));
        }
        if let Some(bytes) = def.body_limit {
            service = service.layer(axum::extract::DefaultBodyLimit::max(bytes));
        }
        router = router.route(def.info.path, service.layer(gate));
    }
    // Unknown paths pass the Host and Origin checks too before their 404.
    let fallback_gate = middleware::from_fn_with_state((state.clone(), Access::Public), gate::gate);
    router
        .fallback_service(axum::routing::any(not_found).layer(fallback_gate))
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
            "timeout",
            format!(
                "the request took longer than {} s; try a narrower query",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    }
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
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null`
    // with the page's own form posts, which the gate's Origin rule must refuse.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
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
