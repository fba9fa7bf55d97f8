//! The router in-process (tower `oneshot`) and on a real loopback port, over a small
//! library made here and indexed with the deterministic test embedder.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use mcdewey_server::{app, Access, EngineHandle, ServerOptions};
use serde_json::Value;
use tower::ServiceExt;

mod common;
use common::*;

#[tokio::test]
async fn search_api_returns_cited_results_and_filters_by_version() {
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    let (status, body) = get_json(&r, "/api/search?q=mixed%20mode&limit=5").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["query"], "mixed mode");
    let results = body["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let first = &results[0];
    for field in [
        "chunk_id", "source", "version", "page", "heading", "text", "rank",
    ] {
        assert!(first.get(field).is_some(), "{field} missing in {first}");
    }
    let (_, only_old) = get_json(&r, "/api/search?q=mixed%20mode&version=12.5(1)").await;
    let versions: Vec<&str> = only_old["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["version"].as_str().unwrap())
        .collect();
    assert!(!versions.is_empty());
    assert!(versions.iter().all(|v| *v == "v12.5.1"), "{versions:?}");
    let (_, bm25) = get_json(&r, "/api/search?q=CAPF&mode=bm25").await;
    assert_eq!(bm25["results"][0]["page"], 12, "{bm25}");
}

#[tokio::test]
async fn bad_requests_get_json_errors_naming_the_field() {
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    for (uri, status, code, needle) in [
        (
            "/api/search?q=",
            StatusCode::BAD_REQUEST,
            "empty_query",
            "query",
        ),
        (
            "/api/search?q=x&limit=abc",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "limit",
        ),
        (
            "/api/search?q=x&limit=1000",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "limit",
        ),
        (
            "/api/search?q=x&mode=fuzzy",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "mode",
        ),
        (
            "/api/search?q=x&version=v99",
            StatusCode::BAD_REQUEST,
            "unknown_filter",
            "v12.5.1",
        ),
        (
            "/api/search?q=x&product=junos",
            StatusCode::BAD_REQUEST,
            "unknown_filter",
            "cucm",
        ),
        (
            "/api/search?q=x&product=JUNOS",
            StatusCode::BAD_REQUEST,
            "unknown_filter",
            "JUNOS",
        ),
        (
            "/api/chunks/nope",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "chunk",
        ),
        (
            "/api/chunks/cucm::v15::security-guide::guide::999",
            StatusCode::NOT_FOUND,
            "chunk_not_found",
            "999",
        ),
        (
            "/api/chunks/cucm::v15::security-guide::guide::0/context?before=99",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "before",
        ),
        (
            "/api/documents/../../etc/passwd",
            StatusCode::NOT_FOUND,
            "document_not_found",
            "passwd",
        ),
        (
            "/api/nothing",
            StatusCode::NOT_FOUND,
            "not_found",
            "openapi",
        ),
    ] {
        let (s, body) = get_json(&r, uri).await;
        assert_eq!(s, status, "{uri}: {body}");
        assert_eq!(body["error"]["code"], code, "{uri}: {body}");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{uri}: {msg}");
    }
    for (uri, field) in [
        ("/api/compare?from=v15&to=v12.5.1", "product"),
        ("/api/compare?product=cucm&to=v15", "from"),
        ("/api/compare?product=cucm&from=v15&to=v15", "to"),
        (
            "/api/compare?product=cucm&from=v12.5.1&to=v15&limit=99",
            "limit",
        ),
        (
            "/api/compare?product=cucm&from=v12.5.1&to=v15&section=nothing%20like%20this",
            "section",
        ),
    ] {
        let (s, body) = get_json(&r, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"]["code"], "invalid_argument", "{uri}: {body}");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with(field), "{uri}: {msg}");
    }
    // Two releases compared: "Mixed Mode" changed, the other sections added.
    let (s, body) = get_json(&r, "/api/compare?product=CUCM&from=12.5(1)&to=v15").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sections = body["sections"].as_array().unwrap();
    let changed = sections
        .iter()
        .find(|x| x["status"] == "changed")
        .expect("a changed section");
    assert!(
        changed["from"]["chunk_id"]
            .as_str()
            .unwrap()
            .starts_with("cucm::v12.5.1::"),
        "{changed}"
    );
    assert!(
        changed["to"]["chunk_id"]
            .as_str()
            .unwrap()
            .starts_with("cucm::v15::"),
        "{changed}"
    );
    assert!(
        sections.iter().any(|x| x["status"] == "added"
            && x["to"]["citation"]["heading"]
                .to_string()
                .contains("Phone Certificates")),
        "{body}"
    );
    let (s, body) = get_json(
        &r,
        "/api/compare?product=cucm&from=v12.5.1&to=v15&section=mixed%20mode",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let diff = body["sections"][0]["diff"].to_string();
    assert!(
        diff.contains("removed") && diff.contains("eTokens"),
        "{body}"
    );
    // Folder names ignore case in filters, as versions do.
    let (s, body) = get_json(
        &r,
        "/api/search?q=mixed%20mode&product=CUCM&doc_set=Security-Guide",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(
        body["results"].as_array().is_some_and(|r| !r.is_empty()),
        "{body}"
    );
    // A bad id is quoted, not echoed whole.
    let long = "x".repeat(10_000);
    for uri in [
        format!("/api/chunks/{long}"),
        format!("/api/chunks/a::b::c::d::{long}"),
    ] {
        let (s, body) = get_json(&r, &uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.len() < 400 && msg.contains("characters)"), "{msg}");
    }
}

#[tokio::test]
async fn chunks_context_documents_and_library() {
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    let id = "cucm::v15::security-guide::guide::1";
    let (s, chunk) = get_json(&r, &format!("/api/chunks/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{chunk}");
    assert_eq!(chunk["chunk_id"], id);
    assert_eq!(chunk["previous"], "cucm::v15::security-guide::guide::0");
    let (s, ctx) = get_json(&r, &format!("/api/chunks/{id}/context?before=1&after=1")).await;
    assert_eq!(s, StatusCode::OK, "{ctx}");
    let ids: Vec<&str> = ctx["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chunk_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], "cucm::v15::security-guide::guide::0");
    assert_eq!(ids[1], id);
    let (s, doc) = get_json(&r, "/api/documents/cucm/v15/security-guide/guide.md").await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    assert_eq!(doc["document"], "cucm::v15::security-guide::guide");
    assert!(doc["chunks"].as_array().unwrap().len() >= 2);
    let last = doc["chunks"].as_array().unwrap().last().unwrap();
    assert_eq!(last["next"], Value::Null, "the last chunk has no next");
    let (s, lib) = get_json(&r, "/api/library").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(lib["documents"], 2);
    assert_eq!(lib["products"][0]["name"], "cucm");
}

#[tokio::test]
async fn openapi_document_lists_every_route_with_schemas() {
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    let (s, doc) = get_json(&r, "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/search",
        "/api/chunks/{id}",
        "/api/chunks/{id}/context",
        "/api/library",
        "/api/documents/{source}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    // Every API route of the router, with each of its methods, is documented.
    let st = state(&f, ServerOptions::default());
    for route in mcdewey_server::routes(&st) {
        if !route.path.starts_with("/api/") || route.path == "/api/openapi.json" {
            continue;
        }
        let path = route.path.replace("{*", "{");
        for method in &route.methods {
            assert!(
                doc["paths"][&path]
                    .get(method.to_ascii_lowercase())
                    .is_some(),
                "{method} {path} is not in the OpenAPI document"
            );
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "SearchResponse",
        "SearchResult",
        "ChunkView",
        "LibraryTree",
        "Job",
        "Error",
    ] {
        assert!(
            schemas.contains_key(name),
            "{name} missing: {:?}",
            schemas.keys()
        );
    }
    let text = doc.to_string();
    assert!(
        !text.contains("#/$defs"),
        "every $ref points into components"
    );
}

#[tokio::test]
async fn pages_render_the_chunk_screen_and_a_sanitised_document() {
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    let (s, headers, html) = get(&r, "/chunks/cucm::v15::security-guide::guide::2").await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert!(html.contains("<h1>Page 12</h1>"), "{html}");
    assert!(html.contains("↗ View in doc context"));
    assert!(html.contains("Multi-vendor documentation library · semantic search · MCP endpoint at"));
    for field in ["<dt>page</dt>", "<dt>source</dt>", "<dt>chunk_id</dt>"] {
        assert!(html.contains(field), "{field}");
    }
    assert!(html.contains("/documents/cucm/v15/security-guide/guide.md?chunk="));
    let (s, _, doc) = get(
        &r,
        "/documents/cucm/v15/security-guide/guide.md?chunk=cucm%3A%3Av15%3A%3Asecurity-guide%3A%3Aguide%3A%3A2",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc.contains(r#"class="chunk current" id="chunk-2""#),
        "{doc}"
    );
    assert!(doc.contains("Text after the image"));
    assert!(
        !doc.contains("<script>alert"),
        "document scripts are removed"
    );
    assert!(!doc.contains("onerror"), "event handlers are removed");
    let (s, _, search) = get(&r, "/?q=mixed+mode&version=v15").await;
    assert_eq!(s, StatusCode::OK);
    assert!(search.contains("<mark>"), "snippets are highlighted");
    assert!(
        search.contains("version: v15"),
        "the active filter is shown"
    );
    let (s, _, lib) = get(&r, "/library").await;
    assert_eq!(s, StatusCode::OK);
    assert!(lib.contains("v12.5.1") && lib.contains("guide.md"));
    let (s, _, missing) = get(&r, "/chunks/cucm::v15::security-guide::guide::999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(missing.contains("not found"));
}

/// Every route the router declares, with and without a token, with a read and an
/// admin token, under a foreign Host and from a foreign Origin: the list comes from the
/// router itself, so a route added later is checked too.
#[tokio::test]
async fn every_route_goes_through_the_gate() {
    let f = fixture();
    let (st, _dir) = guarded(&f);
    let routes = mcdewey_server::routes(&st);
    let r = app(st);
    assert!(routes.len() >= 14, "{routes:?}");
    let host = ("host", "127.0.0.1:7878");
    for route in &routes {
        for method in &route.methods {
            let uri = route.example;
            let what = format!("{method} {uri}");
            let anonymous = call(&r, method, uri, &[host]).await;
            let status = anonymous.status();
            match route.access {
                Access::Public => assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::SEE_OTHER,
                    "{what}: public route answered {status}"
                ),
                _ if uri.starts_with("/api/") || uri == "/mcp" => {
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}")
                }
                _ => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
                    let to = anonymous.headers()[header::LOCATION].to_str().unwrap();
                    assert!(to.starts_with("/login?next="), "{what}: {to}");
                }
            }
            // The scheme is case-insensitive; the admin token opens everything.
            for scheme in ["Bearer", "bearer", "BEARER"] {
                let auth = format!("{scheme} s3cret");
                let s = call(&r, method, uri, &[host, ("authorization", &auth)])
                    .await
                    .status();
                assert!(
                    ![
                        StatusCode::UNAUTHORIZED,
                        StatusCode::FORBIDDEN,
                        StatusCode::SEE_OTHER
                    ]
                    .contains(&s),
                    "{what} with {scheme}: {s}"
                );
            }
            let wrong = call(&r, method, uri, &[host, ("authorization", "Bearer nope")]).await;
            if route.access != Access::Public {
                assert!(
                    [StatusCode::UNAUTHORIZED, StatusCode::SEE_OTHER].contains(&wrong.status()),
                    "{what} with a wrong token: {}",
                    wrong.status()
                );
            }
            let read = call(&r, method, uri, &[host, ("authorization", "Bearer r3ader")])
                .await
                .status();
            match route.access {
                Access::Admin => assert_eq!(read, StatusCode::FORBIDDEN, "{what} as reader"),
                _ => assert!(
                    ![
                        StatusCode::UNAUTHORIZED,
                        StatusCode::FORBIDDEN,
                        StatusCode::SEE_OTHER
                    ]
                    .contains(&read),
                    "{what} as reader: {read}"
                ),
            }
            // DNS rebinding: a foreign name in Host is refused even with a valid token.
            let auth = ("authorization", "Bearer s3cret");
            let rebound = call(
                &r,
                method,
                uri,
                &[
                    ("host", "evil.example:7878"),
                    ("origin", "http://evil.example:7878"),
                    auth,
                ],
            )
            .await;
            assert_eq!(
                rebound.status(),
                StatusCode::MISDIRECTED_REQUEST,
                "{what} rebound"
            );
            let s = call(&r, method, uri, &[("host", "evil.example:7878"), auth])
                .await
                .status();
            assert_eq!(s, StatusCode::MISDIRECTED_REQUEST, "{what} foreign host");
            // A foreign page calling a loopback server.
            let s = call(
                &r,
                method,
                uri,
                &[host, ("origin", "http://evil.example"), auth],
            )
            .await
            .status();
            assert_eq!(s, StatusCode::FORBIDDEN, "{what} foreign origin");
        }
    }
    // Unknown paths pass the same Host check before their 404.
    let s = call(&r, "GET", "/nothing-here", &[("host", "evil.example")])
        .await
        .status();
    assert_eq!(s, StatusCode::MISDIRECTED_REQUEST);
}

/// The exact probes of the security report, against an open (token-less) server:
/// foreign Host and Origin are refused on the API, pages and documents.
#[tokio::test]
async fn dns_rebinding_probes_are_refused_without_a_token_too() {
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    for uri in [
        "/api/search?q=mixed%20mode",
        "/api/library",
        "/",
        "/documents/cucm/v15/security-guide/guide.md",
        "/mcp",
    ] {
        let resp = call(
            &r,
            "GET",
            uri,
            &[
                ("host", "evil.example:7878"),
                ("origin", "http://evil.example:7878"),
            ],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::MISDIRECTED_REQUEST, "{uri}");
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&bytes);
        assert!(
            body.contains("forbidden_host") && !body.contains("mixed mode on the publisher"),
            "{uri}: {body}"
        );
    }
    // The server's own names and addresses still work, with their own Origin.
    for (h, o) in [
        ("127.0.0.1:7878", "http://127.0.0.1:7878"),
        ("localhost:7878", "http://localhost:7878"),
        ("192.168.1.20:7878", "http://192.168.1.20:7878"),
    ] {
        let s = call(
            &r,
            "GET",
            "/api/search?q=mixed",
            &[("host", h), ("origin", o)],
        )
        .await
        .status();
        assert_eq!(s, StatusCode::OK, "{h}");
    }
    let named = router(
        &f,
        ServerOptions {
            allowed_hosts: vec!["docs.internal".into()],
            ..Default::default()
        },
    );
    let s = call(
        &named,
        "GET",
        "/api/library",
        &[("host", "docs.internal:7878")],
    )
    .await
    .status();
    assert_eq!(s, StatusCode::OK);
}

/// With a token, the web UI (search page, chunk and document pages) is closed until
/// the browser signs in; the sign-in form is CSRF-protected and sets a Secure, HttpOnly,
/// SameSite=Strict session cookie that opens the pages and ends at sign-out.
#[tokio::test]
async fn the_web_ui_signs_in_with_a_token() {
    let f = fixture();
    let (st, _dir) = guarded(&f);
    let r = app(st);
    let host = ("host", "127.0.0.1:7878");
    for uri in [
        "/?q=mixed+mode",
        "/chunks/cucm::v15::security-guide::guide::0",
        "/documents/cucm/v15/security-guide/guide.md",
        "/library",
    ] {
        let resp = call(&r, "GET", uri, &[host]).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{uri}");
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("mixed-mode"),
            "{uri} leaks text"
        );
    }
    let form = call(&r, "GET", "/login?next=%2F%3Fq%3Dmixed", &[host]).await;
    assert_eq!(form.status(), StatusCode::OK);
    let set = form.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    let csrf = set
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("mcdewey_csrf=")
        .unwrap()
        .to_string();
    let html = String::from_utf8(
        axum::body::to_bytes(form.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        html.contains(&format!("value=\"{csrf}\"")),
        "the form carries the CSRF token"
    );

    let post = |token: &str, form_csrf: &str, cookie_csrf: &str| {
        let body = format!("token={token}&csrf={form_csrf}&next=%2F%3Fq%3Dmixed");
        Request::post("/login")
            .header("host", "127.0.0.1:7878")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("mcdewey_csrf={cookie_csrf}"))
            .body(Body::from(body))
            .unwrap()
    };
    let forged = r
        .clone()
        .oneshot(post("s3cret", "forged", &csrf))
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "a form without the CSRF token is refused"
    );
    let wrong = r.clone().oneshot(post("nope", &csrf, &csrf)).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let cross_site = r
        .clone()
        .oneshot({
            let mut req = post("s3cret", &csrf, &csrf);
            req.headers_mut()
                .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
            req
        })
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    let ok = r
        .clone()
        .oneshot(post("r3ader", &csrf, &csrf))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[header::LOCATION], "/?q=mixed");
    let session_cookie = ok
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("mcdewey_session="))
        .unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            session_cookie.contains(attr),
            "{session_cookie} lacks {attr}"
        );
    }
    let session = session_cookie.split(';').next().unwrap().to_string();
    let page = call(&r, "GET", "/?q=mixed+mode", &[host, ("cookie", &session)]).await;
    assert_eq!(page.status(), StatusCode::OK);
    let api = call(&r, "GET", "/api/library", &[host, ("cookie", &session)]).await;
    assert_eq!(
        api.status(),
        StatusCode::OK,
        "the session also opens the API for the page's own calls"
    );

    // Sign out: the derived CSRF token is on the signed-in page; without it, refused.
    let me = call(&r, "GET", "/login", &[host, ("cookie", &session)]).await;
    let html = String::from_utf8(
        axum::body::to_bytes(me.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        html.contains("Signed in as") && html.contains("reader"),
        "{html}"
    );
    let out_csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let logout = |csrf: String| {
        Request::post("/logout")
            .header("host", "127.0.0.1:7878")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, session.clone())
            .body(Body::from(format!("csrf={csrf}")))
            .unwrap()
    };
    let refused = r.clone().oneshot(logout("guess".into())).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let out = r.clone().oneshot(logout(out_csrf)).await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = call(&r, "GET", "/?q=mixed+mode", &[host, ("cookie", &session)]).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session ended");
}

#[tokio::test]
async fn the_same_router_serves_on_a_loopback_port() {
    let f = fixture();
    let state = state(&f, ServerOptions::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mcdewey_server::serve(listener, state, async {
        let _ = rx.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = String::new();
    stream.read_to_string(&mut buf).await.unwrap();
    assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
    assert!(buf.contains("\"status\":\"ok\""), "{buf}");
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn malformed_mcp_requests_get_4xx_not_5xx() {
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    for (body, content_type) in [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        (
            r#"{"jsonrpc": "2.0", "id": 1, "method": "tools/call"}"#,
            "application/json",
        ),
        ("hello", "text/plain"),
    ] {
        let resp = r
            .clone()
            .oneshot(
                Request::post("/mcp")
                    .header(header::HOST, "127.0.0.1:7878")
                    .header(header::CONTENT_TYPE, content_type)
                    .header(header::ACCEPT, "application/json, text/event-stream")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = resp.status();
        assert!(status.is_client_error(), "{body:?} got {status}");
        // Not JSON, or a batch: 400 with a JSON-RPC error, as the MCP specification asks
        // (rmcp answered 415 to both).
        if content_type == "application/json" && (body.starts_with("{not") || body == "[]") {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            let code = if body == "[]" { -32600 } else { -32700 };
            assert_eq!(v["error"]["code"], code, "{v}");
            assert_eq!(v["jsonrpc"], "2.0");
        }
    }
    // A DELETE of a session the server does not hold: 404 (rmcp answered 202).
    let resp = call(
        &r,
        "DELETE",
        "/mcp",
        &[
            ("host", "127.0.0.1:7878"),
            ("mcp-session-id", "no-such-session"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let huge = "x".repeat(mcdewey_server::MAX_BODY_BYTES + 10);
    let resp = r
        .clone()
        .oneshot(
            Request::post("/mcp")
                .header(header::HOST, "127.0.0.1:7878")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/json, text/event-stream")
                .body(Body::from(huge))
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
}

/// A three-page PDF (labels i, 1, 2; an outline) and two HTML pages that link each other.
fn formats_fixture() -> Fixture {
    use mcdewey_ingest::pdf::writer::{build_pdf, TestPage};
    // Each section long enough to be a chunk of its own.
    let page = |title: &str, body: &str| {
        let mut lines = vec![(16.0, title.to_string())];
        lines.extend((0..8).map(|_| (11.0, format!("{body} More words on this line."))));
        TestPage { lines }
    };
    let pdf = build_pdf(
        &[
            page("Preface", "This handbook covers the appliance."),
            page(
                "Installing",
                "Mount the appliance in a rack before cabling.",
            ),
            page(
                "Upgrading",
                "Download the upgrade bundle and verify its checksum.",
            ),
        ],
        Some(&[(0, "r", ""), (1, "D", "")]),
        &[(1, "Preface", 1), (1, "Installing", 2), (1, "Upgrading", 3)],
    );
    let intro = b"<html><head><title>Intro</title></head><body><nav>Menu</nav><main><h1>Introduction</h1><p>Read <a href=\"setup.html\">the setup guide</a> before you begin the appliance rollout.</p></main></body></html>".to_vec();
    let setup =
        b"<html><body><h1>Setup</h1><p>Setup steps for the appliance rollout.</p></body></html>"
            .to_vec();
    fixture_of(&[
        ("acme/v2/manual/handbook.pdf", pdf),
        ("acme/v2/web/intro.html", intro),
        ("acme/v2/web/setup.html", setup),
    ])
}

#[tokio::test]
async fn pdf_chunks_show_physical_pages_and_documents_open_at_a_page() {
    let f = formats_fixture();
    let r = router(&f, ServerOptions::default());
    let (status, body) = get_json(&r, "/api/search?q=upgrade%20bundle%20checksum&mode=bm25").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hit = &body["results"][0];
    assert_eq!(hit["source"], "acme/v2/manual/handbook.pdf", "{body}");
    assert_eq!(hit["pdf_page"], 3, "{hit}");
    assert_eq!(hit["page"], 3, "{hit}");
    assert_eq!(hit["page_label"], "2", "{hit}");
    assert_eq!(hit["heading"][0], "Upgrading", "{hit}");
    let id = hit["chunk_id"].as_str().unwrap().to_string();

    let (status, _, page) = get(&r, &format!("/chunks/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<h1>Page 3 <span class=\"printed\">printed 2</span></h1>"),
        "{page}"
    );
    assert!(page.contains("p. 3 (printed 2)"), "{page}");

    // ?page=3 opens the document with the chunk on physical page 3 current.
    let (status, _, doc) = get(&r, "/documents/acme/v2/manual/handbook.pdf?page=3").await;
    assert_eq!(status, StatusCode::OK);
    let current = doc
        .split("<section")
        .find(|s| s.contains("chunk current"))
        .unwrap_or_else(|| panic!("no current chunk: {doc}"));
    assert!(
        current.contains(&format!("data-chunk-id=\"{id}\"")),
        "{current}"
    );
    assert!(
        current.contains("<p>Upgrading</p>"),
        "PDF text as paragraphs: {current}"
    );
}

#[tokio::test]
async fn html_documents_drop_navigation_and_link_to_each_other() {
    let f = formats_fixture();
    let r = router(&f, ServerOptions::default());
    let (_, body) = get_json(&r, "/api/search?q=setup%20guide%20rollout&mode=bm25").await;
    let hit = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["source"] == "acme/v2/web/intro.html")
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(hit["heading"][0], "Introduction");
    assert!(!hit["text"].as_str().unwrap().contains("Menu"), "{hit}");
    let (status, _, doc) = get(&r, "/documents/acme/v2/web/intro.html").await;
    assert_eq!(status, StatusCode::OK);
    // The relative link resolves, against this page's URL, to the other document.
    assert!(doc.contains("href=\"setup.html\""), "{doc}");
    let (status, _, other) = get(&r, "/documents/acme/v2/web/setup.html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(other.contains("Setup steps for the appliance rollout."));
}

/// A passage another release words differently (same doc set and heading) links to
/// the diff of the two releases at that section — in the JSON API and on the page.
#[tokio::test]
async fn a_passage_reworded_in_another_release_links_to_its_diff() {
    let kept = "Before the upgrade, back up the cluster with the disaster recovery system. \
                Upgrade the publisher first, then each subscriber node in turn. ";
    let old = "Switch the cluster to the new version during a maintenance window. \
               Verify the database replication status once all nodes run the new release.";
    let new = "Use the orchestration tool to switch all nodes together over one reboot cycle. \
               Check replication with utils dbreplication runtimestate after the switch.";
    let f = fixture_of(&[
        (
            "cucm/v14/upgrade-guide/guide.md",
            format!("# Upgrade Guide\n\n## Upgrade Order\n\n{kept}{old}\n").into_bytes(),
        ),
        (
            "cucm/v15/upgrade-guide/guide.md",
            format!("# Upgrade Guide\n\n## Upgrade Order\n\n{kept}{new}\n").into_bytes(),
        ),
    ]);
    let r = router(&f, ServerOptions::default());
    let (s, body) = get_json(&r, "/api/search?q=upgrade%20publisher%20subscriber%20order").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let first = &body["results"][0];
    assert_eq!(first["version"], "v15", "{body}");
    assert_eq!(
        first["also_in"],
        serde_json::json!([]),
        "not the same passage: {body}"
    );
    let differs = first["differs_in"].as_array().unwrap();
    assert_eq!(differs.len(), 1, "{body}");
    assert_eq!(differs[0]["version"], "v14");
    assert_eq!(differs[0]["chunk_id"], "cucm::v14::upgrade-guide::guide::0");
    let (_, _, page) = get(&r, "/?q=upgrade%20publisher%20subscriber%20order").await;
    assert!(
        page.contains(
            "href=\"/compare?product=cucm&amp;from=v14&amp;to=v15&amp;doc_set=upgrade-guide&amp;section=cucm%3A%3Av15%3A%3Aupgrade-guide%3A%3Aguide%3A%3A0\""
        ),
        "{page}"
    );
    // The link opens that section's diff.
    let (s, _, diff) = get(
        &r,
        "/compare?product=cucm&from=v14&to=v15&doc_set=upgrade-guide&section=cucm%3A%3Av15%3A%3Aupgrade-guide%3A%3Aguide%3A%3A0",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(diff.contains("orchestration"), "{diff}");
}

/// The same paragraph in two releases, a release named in the query, and nonsense:
/// one result per passage with the other release named, what was understood, and "no
/// close match" — in the JSON API and on the search page.
#[tokio::test]
async fn releases_are_understood_passages_grouped_and_weak_matches_flagged() {
    let shared = "The CTL file lists the certificates of the TFTP servers and the security \
                  tokens; phones download it when they boot and trust only what it lists. ";
    let f = fixture_of(&[
        (
            "cucm/v12.5.1/security-guide/ctl.md",
            format!("# CTL Client\n\n{}", section("CTL File", shared)).into_bytes(),
        ),
        (
            "cucm/v15/security-guide/guide.md",
            format!(
                "# Security Guide\n\n{}{}",
                section("CTL File", shared),
                section(
                    "Mixed Mode",
                    "Mixed mode is enabled with utils ctl set-cluster mixed-mode on the publisher. "
                )
            )
            .into_bytes(),
        ),
    ]);
    let r = router(&f, ServerOptions::default());
    let (s, body) = get_json(
        &r,
        "/api/search?q=CTL%20file%20certificates%20TFTP%20tokens&limit=5",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let results = body["results"].as_array().unwrap();
    let ctl: Vec<&Value> = results
        .iter()
        .filter(|h| h["text"].as_str().unwrap().contains("The CTL file lists"))
        .collect();
    assert_eq!(ctl.len(), 1, "the shared paragraph comes once: {body}");
    assert_eq!(ctl[0]["version"], "v15", "shown as the latest release");
    let also = ctl[0]["also_in"].as_array().unwrap();
    assert_eq!(also.len(), 1, "{body}");
    assert_eq!(also[0]["version"], "v12.5.1");
    assert!(also[0]["chunk_id"]
        .as_str()
        .unwrap()
        .starts_with("cucm::v12.5.1::"));
    assert!(["strong", "partial", "weak"].contains(&ctl[0]["match"].as_str().unwrap()));
    assert!(body.get("understood").is_none(), "nothing named: {body}");

    // A release named in the question: understood, applied, and the group shown as it.
    let (_, body) = get_json(
        &r,
        "/api/search?q=in%20CUCM%2012.5(1)%20what%20does%20the%20CTL%20file%20list&limit=5",
    )
    .await;
    assert_eq!(
        body["understood"]["versions"],
        serde_json::json!(["v12.5.1"]),
        "{body}"
    );
    assert_eq!(body["understood"]["phrase"], "CUCM 12.5(1)");
    assert_eq!(body["understood"]["applied"], true);
    assert_eq!(body["results"][0]["version"], "v12.5.1", "{body}");
    assert_eq!(body["results"][0]["also_in"][0]["version"], "v15");
    // Undone: the query taken as written.
    let (_, body) = get_json(&r, "/api/search?q=in%20CUCM%2012.5(1)%20what%20does%20the%20CTL%20file%20list&understand=false").await;
    assert!(body.get("understood").is_none(), "{body}");
    assert_eq!(
        body["results"][0]["version"], "v15",
        "the latest again: {body}"
    );
    let (s, body) = get_json(&r, "/api/search?q=ctl&understand=maybe").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("understand:"));
    // An explicit filter wins and says so.
    let (_, body) = get_json(
        &r,
        "/api/search?q=in%20CUCM%2012.5(1)%20what%20does%20the%20CTL%20file%20list&version=v15",
    )
    .await;
    assert_eq!(body["understood"]["applied"], false, "{body}");
    assert!(body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["version"] == "v15"));

    // Nonsense: flagged, every result weak.
    let (_, body) = get_json(&r, "/api/search?q=zzqxjv%20flurbonator%20kwyjibo").await;
    assert_eq!(body["no_close_match"], true, "{body}");
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["match"] == "weak"),
        "{body}"
    );
    let (_, body) = get_json(
        &r,
        "/api/search?q=CTL%20file%20certificates%20TFTP%20tokens",
    )
    .await;
    assert_eq!(body["no_close_match"], false, "{body}");

    // The page shows the same.
    let (_, _, page) = get(&r, "/?q=zzqxjv+flurbonator+kwyjibo").await;
    assert!(page.contains("No close match"), "{page}");
    let (_, _, page) = get(&r, "/?q=in+CUCM+12.5(1)+what+does+the+CTL+file+list").await;
    assert!(
        page.contains("Release v12.5.1") && page.contains("understood from"),
        "{page}"
    );
    assert!(
        page.contains("Also in") && page.contains("match-"),
        "{page}"
    );
    assert!(!page.contains("No close match"));
    assert!(
        page.contains("understand=false"),
        "the guess can be undone: {page}"
    );
    // A release the library does not hold is said, with those it holds.
    let (_, body) = get_json(&r, "/api/search?q=CUCM%2014%20CTL%20file%20tokens").await;
    assert_eq!(
        body["understood"]["not_in_library"],
        serde_json::json!(["CUCM 14"]),
        "{body}"
    );
    assert_eq!(
        body["understood"]["library_versions"],
        serde_json::json!(["v12.5.1", "v15"]),
        "{body}"
    );
    let (_, _, page) = get(&r, "/?q=CUCM+14+CTL+file+tokens").await;
    assert!(
        page.contains("“CUCM 14” is not in the library, which holds cucm v12.5.1, v15."),
        "{page}"
    );
    assert!(
        !page.contains("filter you chose"),
        "no filter was chosen: {page}"
    );
    // Words in double quotes: the passages holding them come first; a phrase no
    // passage holds is said, in JSON and on the page.
    let (_, body) = get_json(&r, "/api/search?q=%22CTL%20file%22%20tokens&mode=bm25").await;
    assert_eq!(
        body["quoted"]["phrases"],
        serde_json::json!(["CTL file"]),
        "{body}"
    );
    assert!(body["quoted"]["holding"].as_u64().unwrap() >= 1, "{body}");
    assert!(
        body["results"][0]["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("ctl file"),
        "{body}"
    );
    let (_, body) = get_json(&r, "/api/search?q=ctl%20tokens").await;
    assert!(body.get("quoted").is_none(), "{body}");
    let (_, _, page) = get(&r, "/?q=%22file+of+the+CTL%22+tokens").await;
    assert!(
        page.contains(
            "No passage holds “file of the CTL” as written; the closest passages are shown."
        ),
        "{page}"
    );
    // The search form keeps the filters and mode in force for the next query.
    let (_, _, page) = get(&r, "/?q=ctl&version=v15&mode=bm25").await;
    assert!(
        page.contains(r#"<input type="hidden" name="version" value="v15">"#)
            && page.contains(r#"<input type="hidden" name="mode" value="bm25">"#),
        "{page}"
    );
    assert!(
        !page.contains(r#"name="product""#),
        "no empty filter is kept"
    );
}

#[test]
fn the_error_table_in_the_docs_is_the_code_table() {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/web-and-api.md"),
    )
    .unwrap();
    let documented: Vec<(String, u16)> = docs
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let status = cells.get(2)?.parse().ok()?;
            Some((code.to_string(), status))
        })
        .collect();
    let table: Vec<(String, u16)> = mcdewey_core::ERROR_CODES
        .iter()
        .map(|c| (c.code.to_string(), c.status))
        .collect();
    assert_eq!(
        documented, table,
        "docs/web-and-api.md and crates/core/src/codes.rs"
    );
    // Every engine error's code is in the table.
    use mcdewey_search::SearchError;
    for e in [
        SearchError::EmptyQuery,
        SearchError::NoVectors(String::new()),
        SearchError::InvalidArgument {
            field: "f",
            reason: String::new(),
        },
        SearchError::ChunkNotFound(String::new()),
        SearchError::DocumentNotFound(String::new()),
        SearchError::UnknownFilter {
            field: "product",
            value: String::new(),
            known: String::new(),
        },
    ] {
        assert!(table.iter().any(|(c, _)| c == e.code()), "{}", e.code());
    }
    for code in [
        "model_failed",
        "index_error",
        "internal",
        "timeout",
        "not_found",
    ] {
        assert!(table.iter().any(|(c, _)| c == code), "{code}");
    }
}

/// A page with a line break between tags, so a snapshot's diff shows what changed, and
/// the time a document was indexed ("indexed 2026-12-03 06:27 UTC") left out.
fn one_tag_a_line(html: &str) -> String {
    let mut out = html.replace("><", ">\n<");
    let mut from = 0;
    while let Some(at) = out[from..]
        .find("indexed ")
        .map(|i| i + from + "indexed ".len())
    {
        let stamp = out[at..].split(" UTC").next().unwrap_or("");
        if stamp.len() == 16 && stamp.as_bytes()[4] == b'-' {
            out.replace_range(at..at + stamp.len(), "[time]");
        }
        from = at;
    }
    out
}

/// The text of a tool's answer, as an agent reads it.
fn tool_text(out: &rmcp::model::CallToolResult) -> String {
    let v = serde_json::to_value(out).unwrap();
    v["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Arguments of a tool call, from JSON.
fn tool_args<T: serde::de::DeserializeOwned>(
    v: Value,
) -> rmcp::handler::server::wrapper::Parameters<T> {
    rmcp::handler::server::wrapper::Parameters(serde_json::from_value(v).unwrap())
}

/// What people and agents read, as snapshots (insta): the search page, the chunk page
/// and the MCP tools' text. A change to any shows as a diff to review
/// (`INSTA_UPDATE=always cargo test` rewrites them; review with `git diff`).
#[tokio::test]
async fn what_people_and_agents_read_is_snapshotted() {
    use mcdewey_server::mcp::McdeweyMcp;
    use serde_json::json;
    let f = fixture();
    let r = router(&f, ServerOptions::default());
    let (_, hits) = get_json(&r, "/api/search?q=mixed+mode&mode=bm25&limit=3").await;
    let first = hits["results"][0]["chunk_id"].as_str().unwrap().to_string();
    let (status, _, page) = get(&r, "/?q=mixed+mode&mode=bm25").await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("search_page", one_tag_a_line(&page));
    let (status, _, page) = get(&r, &format!("/chunks/{first}")).await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("chunk_page", one_tag_a_line(&page));
    let (status, _, page) = get(
        &r,
        &format!("/documents/cucm/v15/security-guide/guide.md?chunk={first}&q=mixed+mode"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    insta::assert_snapshot!("document_page", one_tag_a_line(&page));
    // The view fetches the rest of a long document in parts.
    let doc = "/documents/cucm/v15/security-guide/guide.md";
    let (status, _, part) = get(&r, &format!("{doc}?part=1-3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(part.matches("<section class=\"chunk").count(), 2, "{part}");
    assert!(!part.contains("<html"), "a part is a fragment: {part}");
    for bad in ["3-9", "2-1", "x", "0-"] {
        let (status, _, body) = get(&r, &format!("{doc}?part={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body.contains("part: "), "{body}");
    }

    let mcp = McdeweyMcp::new(EngineHandle::new(f.engine.clone()));
    let out = mcp
        .search_docs(tool_args(
            json!({"query": "mixed mode", "mode": "bm25", "limit": 3}),
        ))
        .await
        .unwrap();
    insta::assert_snapshot!("mcp_search_docs", tool_text(&out));
    let out = mcp
        .get_chunk(tool_args(json!({"chunk_id": first})))
        .await
        .unwrap();
    insta::assert_snapshot!("mcp_get_chunk", tool_text(&out));
    let out = mcp.list_library(tool_args(json!({}))).await.unwrap();
    insta::assert_snapshot!("mcp_list_library", tool_text(&out));
    let out = mcp
        .compare_versions(tool_args(
            json!({"product": "cucm", "from": "12.5.1", "to": "15"}),
        ))
        .await
        .unwrap();
    insta::assert_snapshot!("mcp_compare_versions", tool_text(&out));
}

/// GET with headers, in-process.
async fn get_with(
    router: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn original_files_are_served_with_ranges_and_only_as_indexed() {
    let f = fixture();
    let lib = f.dir.path().join("library");
    let r = router(
        &f,
        ServerOptions {
            library: Some(lib.clone()),
            ..Default::default()
        },
    );
    let file = "/files/cucm/v15/security-guide/guide.md";
    let whole = guide().into_bytes();
    let (status, headers, body) = get_with(&r, file, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, whole);
    assert_eq!(headers["accept-ranges"], "bytes");
    // A document's own HTML or Markdown never runs as a page of this origin.
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    let (status, headers, body) = get_with(&r, file, &[("range", "bytes=0-9")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, &whole[..10]);
    assert_eq!(
        headers["content-range"],
        format!("bytes 0-9/{}", whole.len()).as_str()
    );
    let (status, _, body) = get_with(&r, file, &[("range", "bytes=-5")]).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::PARTIAL_CONTENT,
            whole[whole.len() - 5..].to_vec()
        )
    );
    let (status, headers, _) = get_with(&r, file, &[("range", "bytes=999999-")]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        headers["content-range"],
        format!("bytes */{}", whole.len()).as_str()
    );
    // Only indexed documents, never a path out of the library.
    for other in [
        "/files/cucm/v15/security-guide/nothing.md",
        "/files/cucm/v15/security-guide/../../../../etc/passwd",
        "/files/cucm/v15/security-guide/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let (status, _, body) = get_with(&r, other, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other}");
        assert!(!String::from_utf8_lossy(&body).contains("root:"), "{other}");
    }
    // A file changed since it was indexed is not passed off as the indexed one.
    std::fs::write(
        lib.join("cucm/v15/security-guide/guide.md"),
        guide() + "more\n",
    )
    .unwrap();
    let (status, _, body) = get_with(&r, file, &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&body).contains("changed since it was indexed"));
    // Without pdf.js, the viewer says how to get it and where the text is.
    let (status, _, page) = get(&r, "/pdf/cucm/v15/security-guide/guide.md").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("scripts/setup installs pdfjs-dist"), "{page}");
    // A server started without its library folder serves the indexed text only.
    let r = router(&f, ServerOptions::default());
    let (status, _, body) = get_with(&r, file, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("without its library folder"));
}
