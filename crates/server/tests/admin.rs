//! Writing to the library through the server: uploads, adding from a URL, removing,
//! jobs and their progress, the admin page's forms and their CSRF tokens, and a server
//! that does not allow writes. The router runs in-process over a library made here.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use mcdewey_server::{app, AppState, ServerOptions, Writes};
use serde_json::Value;
use tower::ServiceExt;

mod common;
use common::*;

const HOST: (&str, &str) = ("host", "127.0.0.1:7878");
const ADMIN: (&str, &str) = ("authorization", "Bearer s3cret");
const READER: (&str, &str) = ("authorization", "Bearer r3ader");
const BOUNDARY: &str = "mcdewey-test-boundary";

/// A multipart body: text fields, then files (name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Sends a request with a body; the status and the body as JSON (or as a string).
async fn send(
    r: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = r
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn upload_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Uploads `files` into cucm/v15/admin-guide through `uri`, with `extra` fields.
async fn upload_to(
    r: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
    extra: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut fields = extra.to_vec();
    fields.extend([
        ("product", "cucm"),
        ("version", "v15"),
        ("doc_set", "admin-guide"),
    ]);
    let body = multipart(&fields, files);
    send(r, "POST", uri, headers, &upload_type(), body).await
}

async fn upload(
    r: &axum::Router,
    auth: (&str, &str),
    files: &[(&str, &[u8])],
) -> (StatusCode, Value) {
    let (s, _, v) = upload_to(r, "/api/admin/upload", &[HOST, auth], &[], files).await;
    (s, v)
}

/// Waits (bounded) for a job to finish; the job.
async fn finished(r: &axum::Router, id: u64) -> Value {
    for _ in 0..600 {
        let (s, _, job) = send(
            r,
            "GET",
            &format!("/api/admin/jobs/{id}"),
            &[HOST, ADMIN],
            "text/plain",
            vec![],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{job}");
        if job["state"] == "done" || job["state"] == "failed" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish in 30 s");
}

async fn hits(r: &axum::Router, query: &str) -> Vec<String> {
    let (s, _, v) = send(
        r,
        "GET",
        &format!("/api/search?q={query}&mode=bm25"),
        &[HOST, READER],
        "text/plain",
        vec![],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap().to_string())
        .collect()
}

fn gatekeeper_guide() -> Vec<u8> {
    section(
        "Gatekeepers",
        "The H.323 gatekeeper admits calls from registered endpoints. ",
    )
    .into_bytes()
}

#[tokio::test]
async fn an_admin_uploads_a_document_watches_its_job_searches_it_and_removes_it() {
    let f = fixture();
    let (st, _dir) = guarded(&f);
    let r = app(st);
    assert!(hits(&r, "gatekeeper").await.is_empty());

    // A reader may not upload.
    let (s, v) = upload(&r, READER, &[("gk.md", &gatekeeper_guide())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"]["code"], "forbidden");

    let (s, headers, job) = upload_to(
        &r,
        "/api/admin/upload",
        &[HOST, ADMIN],
        &[],
        &[("Gate Keepers.md", &gatekeeper_guide())],
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_u64().unwrap();
    assert_eq!(headers[header::LOCATION], format!("/api/admin/jobs/{id}"));
    assert_eq!(job["kind"], "upload");
    assert_eq!(job["by"], "token");

    let done = finished(&r, id).await;
    assert_eq!(done["state"], "done", "{done}");
    let source = "cucm/v15/admin-guide/Gate-Keepers.md";
    assert_eq!(done["documents"][0]["source"], source);
    assert_eq!(done["documents"][0]["status"], "added");
    assert_eq!(done["index"]["added"][0], source);
    assert!(f.dir.path().join("library").join(source).is_file());
    assert_eq!(hits(&r, "gatekeeper").await, vec![source.to_string()]);

    // The job list, newest first, holds it.
    let (_, _, list) = send(
        &r,
        "GET",
        "/api/admin/jobs",
        &[HOST, ADMIN],
        "text/plain",
        vec![],
    )
    .await;
    assert_eq!(list["jobs"][0]["id"], id);

    // Removing: the file, and its chunks from what is served.
    let (s, _, job) = send(
        &r,
        "POST",
        "/api/admin/remove",
        &[HOST, ADMIN],
        "application/json",
        serde_json::to_vec(&serde_json::json!({ "source": source })).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let done = finished(&r, job["id"].as_u64().unwrap()).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["index"]["removed"][0], source);
    assert!(!f.dir.path().join("library").join(source).exists());
    assert!(hits(&r, "gatekeeper").await.is_empty());

    // Removing what is not there fails as a job; nothing else changes.
    let (_, _, job) = send(
        &r,
        "POST",
        "/api/admin/remove",
        &[HOST, ADMIN],
        "application/json",
        br#"{"source": "cucm/v15/admin-guide/none.md"}"#.to_vec(),
    )
    .await;
    let failed = finished(&r, job["id"].as_u64().unwrap()).await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("none.md"),
        "{failed}"
    );
    assert_eq!(hits(&r, "mixed").await.len(), 2);
}

#[tokio::test]
async fn bad_writes_are_refused_naming_the_field_or_file() {
    let f = fixture();
    let (st, _dir) = guarded(&f);
    let r = app(st);
    let check = |(s, v): (StatusCode, Value), status: StatusCode, code: &str, text: &str| {
        assert_eq!(s, status, "{v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(text), "{msg:?} lacks {text:?}");
    };
    check(
        upload(&r, ADMIN, &[("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "file: tool.exe: binary content that is neither a PDF nor text",
    );
    check(
        upload(&r, ADMIN, &[("fake.pdf", b"<!doctype html><p>not a pdf")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "fake.pdf: the content is HTML, not what a .pdf name says",
    );
    check(
        upload(&r, ADMIN, &[("a.md", b"# A\n"), ("a.md", b"# B\n")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "two files would both be saved as a.md",
    );
    check(
        upload(&r, ADMIN, &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "file: choose at least one file",
    );
    let big = vec![b'x'; 2 << 20];
    check(
        upload(&r, ADMIN, &[("big.md", &big)]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "too large",
    );
    let body = multipart(
        &[("product", "cucm"), ("version", ".."), ("doc_set", "x")],
        &[("a.md", b"# A\n")],
    );
    let (s, _, v) = send(
        &r,
        "POST",
        "/api/admin/upload",
        &[HOST, ADMIN],
        &upload_type(),
        body,
    )
    .await;
    check(
        (s, v),
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "product, version or doc set",
    );

    let json = |v: Value| serde_json::to_vec(&v).unwrap();
    let add = |body: Vec<u8>| {
        let r = r.clone();
        async move {
            let (s, _, v) = send(
                &r,
                "POST",
                "/api/admin/add",
                &[HOST, ADMIN],
                "application/json",
                body,
            )
            .await;
            (s, v)
        }
    };
    check(
        add(json(
            serde_json::json!({"product": "cucm", "version": "v15", "doc_set": "x"}),
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "url: is required",
    );
    check(
        add(json(serde_json::json!({"url": "file:///etc/passwd", "product": "cucm", "version": "v15", "doc_set": "x"}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "only http:// and https://",
    );
    check(
        add(json(serde_json::json!({"url": "https://x.org/a.pdf", "product": "cucm", "version": "v15", "doc_set": "x", "crawl": true, "max_pages": 0}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "max_pages: 0 is not a whole number from 1 to 100000",
    );
    check(
        add(b"{not json".to_vec()).await,
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "body:",
    );
    let (s, _, v) = send(
        &r,
        "POST",
        "/api/admin/remove",
        &[HOST, ADMIN],
        "application/json",
        json(serde_json::json!({"source": "../../etc/passwd"})),
    )
    .await;
    check(
        (s, v),
        StatusCode::BAD_REQUEST,
        "invalid_argument",
        "source:",
    );

    // A private address is refused by the job (not fetched), the library untouched.
    let (s, v) = add(json(serde_json::json!({"url": "http://127.0.0.1:9/a.md", "product": "cucm", "version": "v15", "doc_set": "x"}))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let failed = finished(&r, v["id"].as_u64().unwrap()).await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("private network"),
        "{failed}"
    );
    assert!(!f.dir.path().join("library/cucm/v15/x").exists());
}

/// The admin page's forms: CSRF tokens from the signed-in session, a job page that
/// shows the progress, and form errors shown on the page.
#[tokio::test]
async fn the_admin_page_forms_carry_the_session_csrf_token() {
    let f = fixture();
    let (st, _dir) = guarded(&f);
    let r = app(st);
    // Sign in with the admin token.
    let form = call(&r, "GET", "/login", &[HOST]).await;
    let csrf_cookie = form.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = csrf_cookie
        .strip_prefix("mcdewey_csrf=")
        .unwrap()
        .to_string();
    let (s, headers, _) = send(
        &r,
        "POST",
        "/login",
        &[HOST, ("cookie", &csrf_cookie)],
        "application/x-www-form-urlencoded",
        format!("token=s3cret&csrf={csrf}&next=%2Fadmin").into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("mcdewey_session="))
        .unwrap();
    let cookie = ("cookie", session.as_str());

    let (s, _, page) = get_page(&r, "/admin", &[HOST, cookie]).await;
    assert_eq!(s, StatusCode::OK);
    for part in [
        "Add a manual from a URL",
        "Upload files",
        "Refresh now",
        "guide.md",
        "Remove",
    ] {
        assert!(page.contains(part), "the admin page lacks {part:?}");
    }
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(!token.is_empty());

    // Without the token, or with another, a signed-in form is refused.
    for bad in ["", "guess"] {
        let (s, _, page) = send(
            &r,
            "POST",
            "/admin/refresh",
            &[HOST, cookie],
            "application/x-www-form-urlencoded",
            format!("csrf={bad}").into_bytes(),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(page.as_str().unwrap().contains("csrf"), "{page}");
    }
    // The API with a session cookie needs it in X-CSRF-Token.
    let (s, _, _) = send(
        &r,
        "POST",
        "/api/admin/refresh",
        &[HOST, cookie],
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, v) = send(
        &r,
        "POST",
        "/api/admin/refresh",
        &[HOST, cookie, ("x-csrf-token", &token)],
        "application/json",
        vec![],
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");

    // The upload form: to the job page, which shows the job and its progress.
    let (s, headers, _) = upload_to(
        &r,
        "/admin/upload",
        &[HOST, cookie],
        &[("csrf", &token)],
        &[("gk.md", &gatekeeper_guide())],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let at = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(at.starts_with("/admin/jobs/"), "{at}");
    let id: u64 = at.rsplit('/').next().unwrap().parse().unwrap();
    finished(&r, id).await;
    let (s, _, job) = get_page(&r, &at, &[HOST, cookie]).await;
    assert_eq!(s, StatusCode::OK);
    for part in [
        "upload",
        "cucm/v15/admin-guide/gk.md",
        "added",
        "data-state=\"finished\"",
        "admin",
    ] {
        assert!(job.contains(part), "the job page lacks {part:?}");
    }
    // A form error is shown on the admin page, with the status.
    let (s, _, page) = send(
        &r,
        "POST",
        "/admin/add",
        &[HOST, cookie],
        "application/x-www-form-urlencoded",
        format!("csrf={token}&url=ftp%3A%2F%2Fx&product=cucm&version=v15&doc_set=x").into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        page.as_str().unwrap().contains("only http:// and https://"),
        "{page}"
    );
    // A reader sees a page that says why not.
    let (s, _, page) = get_page(&r, "/admin", &[HOST, READER]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        page.contains("Not allowed") && page.contains("read role"),
        "{page}"
    );
}

async fn get_page(
    r: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = call(r, "GET", uri, headers).await;
    let (s, h) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    (s, h, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn without_allow_write_the_server_is_read_only() {
    let f = fixture();
    let st = state(
        &f,
        ServerOptions {
            token: Some("s3cret".into()),
            ..Default::default()
        },
    );
    let r = app(st);
    let (s, v) = upload(&r, ADMIN, &[("gk.md", &gatekeeper_guide())]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"]["code"], "writes_disabled");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--allow-write"));
    let (s, _, v) = send(
        &r,
        "GET",
        "/api/admin/jobs",
        &[HOST, ADMIN],
        "text/plain",
        vec![],
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("writes_disabled"))
    );
    let (s, _, page) = get_page(&r, "/admin", &[HOST, ADMIN]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("read-only") && !page.contains("Upload files"));
    assert!(!f.dir.path().join("library/cucm/v15/admin-guide").exists());

    // And writes cannot be allowed on a server without tokens: nobody is an admin.
    let open = AppState::new(
        mcdewey_server::EngineHandle::new(f.engine.clone()),
        ServerOptions::default(),
    )
    .unwrap();
    let e = open
        .with_writes(Writes {
            served: f.served.clone(),
            fetch: Default::default(),
            max_upload_bytes: 1 << 20,
        })
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("--allow-write needs an admin token"),
        "{e}"
    );
}

/// An upload the index cannot read is kept and reported — on its job and on the admin
/// page, with a button to remove it — and nothing else is lost.
#[tokio::test]
async fn an_upload_the_index_cannot_read_is_reported_and_can_be_removed() {
    let f = fixture();
    let (st, _dir) = guarded(&f);
    let r = app(st);
    let (s, job) = upload(
        &r,
        ADMIN,
        &[("broken.pdf", b"%PDF-1.7\nnot really a PDF\n")],
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let done = finished(&r, job["id"].as_u64().unwrap()).await;
    let source = "cucm/v15/admin-guide/broken.pdf";
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["index"]["skipped"][0]["source"], source, "{done}");
    assert!(!done["index"]["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .is_empty());
    let (_, _, page) = get_page(&r, &format!("/admin/jobs/{}", done["id"]), &[HOST, ADMIN]).await;
    assert!(
        page.contains("Not indexed") && page.contains(&format!("value=\"{source}\"")),
        "{page}"
    );
    let (_, _, page) = get_page(&r, "/admin", &[HOST, ADMIN]).await;
    assert!(page.contains("Files not indexed") && page.contains(&format!("value=\"{source}\"")));
    assert_eq!(
        hits(&r, "mixed").await.len(),
        2,
        "the rest of the library is still served"
    );

    let (s, _, job) = send(
        &r,
        "POST",
        "/admin/remove",
        &[HOST, ADMIN],
        "application/x-www-form-urlencoded",
        format!("source={source}").into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{job}");
    let (_, _, list) = send(
        &r,
        "GET",
        "/api/admin/jobs",
        &[HOST, ADMIN],
        "text/plain",
        vec![],
    )
    .await;
    let done = finished(&r, list["jobs"][0]["id"].as_u64().unwrap()).await;
    assert_eq!(done["documents"][0]["status"], "removed", "{done}");
    assert!(!f.dir.path().join("library").join(source).exists());
    let (_, _, page) = get_page(&r, "/admin", &[HOST, ADMIN]).await;
    assert!(!page.contains("Files not indexed"));
}
