//! Signing the web UI in with a token: `GET /login` shows the form, `POST /login` checks
//! the token and sets a session cookie (Secure, HttpOnly, SameSite=Strict), `POST
//! /logout` ends the session. Both forms carry a CSRF token: a double-submit cookie for
//! the sign-in form, one derived from the session for the sign-out form.

use crate::auth::{ct_eq, new_secret};
use crate::gate::{cookie, SESSION_COOKIE};
use crate::pages::layout;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

const CSRF_COOKIE: &str = "mcdewey_csrf";

/// `?next=` of the sign-in page.
#[derive(Debug, Deserialize)]
pub(crate) struct NextParam {
    next: Option<String>,
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    token: String,
    csrf: String,
    next: Option<String>,
}

/// The sign-out form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct SignOutForm {
    csrf: String,
}

/// Only a path on this server: no scheme, no `//host`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

fn cookie_header(name: &str, value: &str, max_age: u64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

/// The sign-out form's CSRF token for a session: derived, so nothing more is stored.
fn session_csrf(session: &str) -> String {
    blake3::derive_key("mcdewey 2026-12 sign-out csrf", session.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The CSRF token forms of a signed-in page carry (empty without a session).
pub(crate) fn form_csrf(headers: &HeaderMap) -> String {
    cookie(headers, SESSION_COOKIE)
        .map(session_csrf)
        .unwrap_or_default()
}

/// Whether a state-changing request cannot be a cross-site forgery: it carries a bearer
/// token (which a foreign page cannot make a browser send), or its session's CSRF token
/// `given` (from a form field or the `X-CSRF-Token` header).
pub(crate) fn csrf_ok(headers: &HeaderMap, given: Option<&str>) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::bearer);
    if bearer.is_some() {
        return true;
    }
    match (cookie(headers, SESSION_COOKIE), given) {
        (Some(id), Some(g)) => ct_eq(session_csrf(id).as_bytes(), g.as_bytes()),
        _ => false,
    }
}

fn form_page(status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let csrf = match new_secret() {
        Ok(c) => c,
        Err(e) => {
            return crate::ApiError::internal(format!("no randomness for the form: {e}"))
                .into_response()
        }
    };
    let body = html! {
        section.notice {
            h1 { "Sign in" }
            p { "This library requires a token. Ask its administrator for one." }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        }
    };
    (
        status,
        [(header::SET_COOKIE, cookie_header(CSRF_COOKIE, &csrf, 3600))],
        layout("Sign in", "", body),
    )
        .into_response()
}

pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if let Some((id, who)) = cookie(&headers, SESSION_COOKIE)
        .and_then(|id| state.auth.session(id).map(|p| (id.to_string(), p)))
    {
        let body = html! {
            section.notice {
                h1 { "Signed in" }
                p { "Signed in as " strong { (who.name) } " (" (format!("{:?}", who.role).to_lowercase()) " role)." }
                p { a href=(next) { "Continue" } }
                form method="post" action="/logout" {
                    input type="hidden" name="csrf" value=(session_csrf(&id));
                    button type="submit" { "Sign out" }
                }
            }
        };
        return layout("Signed in", "", body).into_response();
    }
    if !state.auth.required() {
        let body = html! {
            section.notice {
                h1 { "No sign-in needed" }
                p { "This server requires no token." }
                p { a href="/" { "Search the library" } }
            }
        };
        return layout("Sign in", "", body).into_response();
    }
    form_page(StatusCode::OK, &next, None)
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let csrf_ok =
        cookie(&headers, CSRF_COOKIE).is_some_and(|c| ct_eq(c.as_bytes(), form.csrf.as_bytes()));
    if !csrf_ok {
        return form_page(
            StatusCode::FORBIDDEN,
            &next,
            Some("The form expired or came from another site; sign in again."),
        );
    }
    let Some((id, who)) = state.auth.sign_in(form.token.trim()) else {
        tracing::warn!(target: "mcdewey::server", "sign-in refused: unknown token");
        return form_page(
            StatusCode::UNAUTHORIZED,
            &next,
            Some("That token is not valid here."),
        );
    };
    tracing::info!(target: "mcdewey::server", token = %who.name, "signed in");
    let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = cookie_header(SESSION_COOKIE, &id, crate::auth::SESSION_TTL.as_secs()).parse() {
        h.append(header::SET_COOKIE, v);
    }
    if let Ok(v) = cookie_header(CSRF_COOKIE, "", 0).parse() {
        h.append(header::SET_COOKIE, v);
    }
    resp
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Response {
    let Some(id) = cookie(&headers, SESSION_COOKIE) else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response();
    };
    if !ct_eq(session_csrf(id).as_bytes(), form.csrf.as_bytes()) {
        return crate::ApiError::new(
            "forbidden",
            "csrf: the sign-out form expired or came from another site".into(),
        )
        .into_response();
    }
    state.auth.sign_out(id);
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_string()),
            (header::SET_COOKIE, cookie_header(SESSION_COOKIE, "", 0)),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(safe_next(Some("/chunks/a::b")), "/chunks/a::b");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
