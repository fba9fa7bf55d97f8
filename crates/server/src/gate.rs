//! The one gate in front of every route: the Host allow-list (DNS rebinding), the Origin
//! rule (cross-site calls) and authentication (API tokens with a role, or a browser
//! session). Every route of the router is declared in [`crate::routes`] with the
//! [`Access`] it needs, and the router is built from that list with this gate on each
//! entry, so a route cannot be added without a decision on who may call it.

use crate::auth::{bearer, Principal, Role};
use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Anyone who passes the Host and Origin checks (health check, static assets, the
    /// sign-in page): nothing from the library is in them.
    Public,
    /// A `read` or `admin` token (or session) when the server requires tokens.
    Read,
    /// An `admin` token (or session) always; without configured tokens such routes
    /// answer 403.
    Admin,
}

/// Name of the browser session cookie.
pub const SESSION_COOKIE: &str = "mcdewey_session";

/// The gate, as a middleware; `access` is the route's.
pub(crate) async fn gate(
    State((state, access)): State<(AppState, Access)>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Err(e) = check_host(&state, req.headers()) {
        return e.into_response();
    }
    if let Err(e) = check_origin(&state, req.headers()) {
        return e.into_response();
    }
    let who = authenticate(&state, req.headers());
    if let Some(p) = &who {
        req.extensions_mut().insert(p.clone());
    }
    let needed = match access {
        Access::Public => return next.run(req).await,
        Access::Read if !state.auth.required() => return next.run(req).await,
        Access::Read => Role::Read,
        Access::Admin => Role::Admin,
    };
    match who {
        Some(p) if p.role >= needed => next.run(req).await,
        Some(p) => forbidden(
            req.uri(),
            format!(
                "token {:?} has the read role; this needs an admin token",
                p.name
            ),
        ),
        None if !state.auth.required() => forbidden(
            req.uri(),
            "this needs an admin token; start the server with --token or --tokens-file".into(),
        ),
        None => unauthorized(req.uri()),
    }
}

/// The API and MCP answer 403 as JSON; pages as a page a browser shows.
fn forbidden(uri: &axum::http::Uri, message: String) -> Response {
    if is_api(uri.path()) {
        ApiError::new("forbidden", message).into_response()
    } else {
        crate::pages::error_page(StatusCode::FORBIDDEN, "Not allowed", &message)
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/mcp" || path.starts_with("/mcp/")
}

/// Pages send a browser to the sign-in page; the API and MCP answer 401.
fn unauthorized(uri: &axum::http::Uri) -> Response {
    if is_api(uri.path()) {
        let mut resp = ApiError::new(
            "unauthorized",
            "this server requires a token: send Authorization: Bearer <token>".to_string(),
        )
        .into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"mcdewey\""),
        );
        return resp;
    }
    let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut resp = Redirect::to(&format!(
        "/login?next={}",
        percent_encoding::utf8_percent_encode(back, percent_encoding::NON_ALPHANUMERIC)
    ))
    .into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp
}

/// The caller, from a bearer token or a session cookie.
fn authenticate(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
    {
        return state.auth.check_token(token);
    }
    cookie(headers, SESSION_COOKIE).and_then(|id| state.auth.session(id))
}

/// A cookie's value from the request headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The Host header's host name, without port or IPv6 brackets.
fn host_name(host: &str) -> &str {
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
}

/// Whether a Host header may reach the server. A DNS-rebinding page reaches it under
/// the attacker's DNS name, so names must be allowed one by one (`--allow-host`); IP
/// literals and `localhost` cannot be rebound and are always accepted.
pub(crate) fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let name = host_name(host);
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok()
        || allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(name) || a.eq_ignore_ascii_case(host))
}

fn check_host(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    // Browsers always send Host; a request without one (HTTP/1.0 tools) cannot come
    // from a rebinding page.
    let Some(host) = headers.get(header::HOST) else {
        return Ok(());
    };
    let host = host.to_str().unwrap_or_default();
    if host_allowed(host, &state.options.allowed_hosts) {
        return Ok(());
    }
    Err(ApiError::new(
        "forbidden_host",
        format!(
            "host {:?} is not served here; allow it with --allow-host",
            truncate(host)
        ),
    ))
}

fn truncate(s: &str) -> String {
    s.chars().take(100).collect()
}

/// Refuses calls from foreign browser origins: an Origin header must be the server's
/// own, a loopback one or one allowed with `--allow-origin`.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let own = !host.is_empty()
        && (origin == format!("http://{host}") || origin == format!("https://{host}"));
    if own
        || state.options.allowed_origins.iter().any(|o| o == origin)
        || is_loopback_origin(origin)
    {
        return Ok(());
    }
    Err(ApiError::new(
        "forbidden_origin",
        format!(
            "origin {} may not call this server; allow it with --allow-origin",
            truncate(origin)
        ),
    ))
}

pub(crate) fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = host_name(rest);
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
    fn hosts_are_allowed_by_name_or_as_ip_literals() {
        let none: Vec<String> = vec![];
        assert!(host_allowed("127.0.0.1:7878", &none));
        assert!(host_allowed("localhost:7878", &none));
        assert!(host_allowed("LOCALHOST", &none));
        assert!(host_allowed("[::1]:7878", &none));
        assert!(host_allowed("10.1.2.3:7878", &none));
        assert!(!host_allowed("evil.example:7878", &none));
        assert!(!host_allowed("127.0.0.1.evil.example", &none));
        assert!(!host_allowed("localhost.evil.example:7878", &none));
        let docs = vec!["docs.internal".to_string()];
        assert!(host_allowed("docs.internal:7878", &docs));
        assert!(host_allowed("DOCS.internal", &docs));
        assert!(!host_allowed("evil.example", &docs));
        assert!(host_allowed("anything.example", &["*".to_string()]));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mcdewey_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
