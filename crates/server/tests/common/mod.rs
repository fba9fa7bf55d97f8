//! What the server's integration tests share: a small library made here, indexed with
//! the deterministic test embedder, and requests through the router in-process.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mcdewey_embed::HashEmbedder;
use mcdewey_ingest::IngestOptions;
use mcdewey_search::{Embedding, Engine, Served, StoreSpec};
use mcdewey_server::{app, AppState, EngineHandle, ServerOptions, Writes};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// A section long enough to be a chunk of its own.
pub fn section(title: &str, sentence: &str) -> String {
    format!("## {title}\n\n{}\n\n", sentence.repeat(8))
}

pub fn guide() -> String {
    format!(
        "# Security Guide\n\n{}<!-- page 12 -->\n\n{}{}",
        section(
            "Mixed Mode",
            "To enable mixed mode, run utils ctl set-cluster mixed-mode on the publisher. "
        ),
        section(
            "Phone Certificates",
            "The CAPF service issues locally significant certificates to phones. "
        ),
        section(
            "Hostile",
            "<script>alert('x')</script> <img src=x onerror=alert(1)> Text after the image. "
        ),
    )
}

pub fn old_guide() -> String {
    format!(
        "# Security Guide\n\n{}",
        section(
            "Mixed Mode",
            "In this older release mixed mode needs the CTL client and USB eTokens. "
        )
    )
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub engine: Arc<Engine>,
    /// The library and store, with the test embedder, for writes.
    pub served: Served,
}

pub fn fixture() -> Fixture {
    fixture_of(&[
        ("cucm/v15/security-guide/guide.md", guide().into_bytes()),
        (
            "cucm/v12.5.1/security-guide/guide.md",
            old_guide().into_bytes(),
        ),
    ])
}

pub fn fixture_of(files: &[(&str, Vec<u8>)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("library");
    for (rel, bytes) in files {
        let p = lib.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let store = StoreSpec::Embedded(dir.path().join("data"));
    let model = HashEmbedder::new(64);
    let served = Served::new(
        store.clone(),
        lib.clone(),
        Some(Arc::new(model.clone())),
        None,
    );
    store
        .update(
            &lib,
            &IngestOptions::default(),
            Some(Embedding::new(&model)),
            &mut |_| {},
        )
        .unwrap();
    let engine = Engine::with_embedder(store.open().unwrap(), Arc::new(model)).unwrap();
    Fixture {
        dir,
        engine: Arc::new(engine),
        served,
    }
}

pub fn state(f: &Fixture, options: ServerOptions) -> AppState {
    AppState::new(EngineHandle::new(f.engine.clone()), options).unwrap()
}

pub fn router(f: &Fixture, options: ServerOptions) -> axum::Router {
    app(state(f, options))
}

pub async fn get(router: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

pub async fn get_json(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = get(router, uri).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

/// One request through the router; `headers` are (name, value) pairs.
pub async fn call(
    r: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> axum::response::Response {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    r.clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

/// A server with the admin token `s3cret`, a tokens file holding the read token
/// `r3ader`, and writes allowed (uploads up to 1 MiB).
pub fn guarded(f: &Fixture) -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    let reader =
        mcdewey_server::TokenEntry::from_secret("reader", mcdewey_server::Role::Read, "r3ader");
    std::fs::write(&file, format!("# test tokens\n{}\n", reader.line())).unwrap();
    let st = state(
        f,
        ServerOptions {
            token: Some("s3cret".into()),
            tokens_file: Some(file),
            ..Default::default()
        },
    )
    .with_writes(Writes {
        served: f.served.clone(),
        fetch: Default::default(),
        max_upload_bytes: 1 << 20,
    })
    .unwrap();
    (st, dir)
}
