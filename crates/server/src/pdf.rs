//! A library's original files, and PDF pages in the browser: `/files/{source}` serves a
//! document as it was indexed (HTTP range requests answered, so a viewer fetches only
//! the pages it shows), and `/pdf/{source}?page=N&chunk=ID` shows the PDF itself at the
//! cited physical page with the chunk's text marked, rendered by pdf.js (npm
//! `pdfjs-dist`, installed by `scripts/setup` and served from here; no CDN).

use crate::pages::{chunk_href, document_href, error_page, is_pdf, layout};
use crate::{blocking, Access, AppState, RouteDef};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;
use percent_encoding::utf8_percent_encode;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

/// The version of `pdfjs-dist` `scripts/setup` installs and the viewer is tested with.
pub const PDFJS_VERSION: &str = "4.10.38";

/// Longest chunk text sent to the viewer to mark on the page.
const MARK_CHARS: usize = 4000;

/// The files of pdf.js the viewer needs, read once when the server starts.
pub(crate) struct PdfJs {
    module: Vec<u8>,
    worker: Vec<u8>,
    css: Vec<u8>,
    license: Vec<u8>,
}

impl PdfJs {
    /// Reads pdf.js from a `pdfjs-dist` folder; `None` (said in the log) when it is not
    /// there, and PDFs then open in the text view.
    pub(crate) fn load(dir: &std::path::Path) -> Option<Arc<PdfJs>> {
        let read = |rel: &str| std::fs::read(dir.join(rel));
        match (
            read("build/pdf.min.mjs"),
            read("build/pdf.worker.min.mjs"),
            read("web/pdf_viewer.css"),
            read("LICENSE"),
        ) {
            (Ok(module), Ok(worker), Ok(css), Ok(license)) => Some(Arc::new(PdfJs {
                module,
                worker,
                css,
                license,
            })),
            _ => {
                tracing::warn!(
                    target: "mcdewey::server",
                    "no pdf.js in {} (scripts/setup installs pdfjs-dist {PDFJS_VERSION}); PDFs open in the text view",
                    dir.display()
                );
                None
            }
        }
    }
}

pub(crate) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(
            "/files/{*source}",
            "/files/cucm/v15/security-guide/guide.md",
            Access::Read,
            get(original),
        ),
        RouteDef::new(
            "/pdf/{*source}",
            "/pdf/cucm/v15/security-guide/guide.md",
            Access::Read,
            get(viewer),
        ),
        // pdf.js itself and the viewer's script hold nothing from the library.
        RouteDef::new(
            "/static/pdfjs/{file}",
            "/static/pdfjs/pdf.min.mjs",
            Access::Public,
            get(pdfjs_file),
        ),
        RouteDef::new(
            "/static/pdf-viewer.js",
            "/static/pdf-viewer.js",
            Access::Public,
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    VIEWER_SCRIPT,
                )
            }),
        ),
    ]
}

const VIEWER_SCRIPT: &str = include_str!("assets/pdf-viewer.js");

async fn pdfjs_file(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(js) = state.pdfjs() else {
        return (
            StatusCode::NOT_FOUND,
            "pdf.js is not installed on this server",
        )
            .into_response();
    };
    let (body, mime): (&[u8], &str) = match file.as_str() {
        "pdf.min.mjs" => (&js.module, "text/javascript; charset=utf-8"),
        "pdf.worker.min.mjs" => (&js.worker, "text/javascript; charset=utf-8"),
        "pdf_viewer.css" => (&js.css, "text/css; charset=utf-8"),
        "LICENSE" => (&js.license, "text/plain; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such pdf.js file").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body.to_vec(),
    )
        .into_response()
}

/// Where an indexed document's file is, checked against what was indexed.
fn file_of(state: &AppState, source: &str) -> Result<(PathBuf, u64), (StatusCode, String)> {
    let entry = state
        .engine()
        .manifest()
        .ok()
        .and_then(|m| m.documents.get(source).cloned())
        .ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                format!(
                    "document {} not found; list documents at /library",
                    mcdewey_core::shorten(source, 200)
                ),
            )
        })?;
    let root = state.library().ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            "this server was started without its library folder, so it serves the indexed text only".to_string(),
        )
    })?;
    // The source is a manifest key, made by discovery from a walk of the library; it
    // is checked again so no path can leave the library folder.
    let doc = mcdewey_core::DocPath::parse(source)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("source: {e}")))?;
    let path = root.join(doc.source());
    let len = std::fs::metadata(&path)
        .map_err(|e| (StatusCode::NOT_FOUND, format!("{source}: {e}")))?
        .len();
    if len != entry.bytes {
        return Err((
            StatusCode::CONFLICT,
            format!(
                "{source} changed since it was indexed ({} bytes then, {len} now); index the library again",
                entry.bytes
            ),
        ));
    }
    Ok((path, len))
}

/// The byte range a `Range` header asks for (one range, `bytes=A-B`, `A-` or `-N`);
/// `Ok(None)` for the whole file, `Err` when it cannot be satisfied.
pub(crate) fn byte_range(header: Option<&str>, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    // Several ranges in one request: answered with the whole file, which RFC 9110 allows.
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(first), Ok(last)) if first <= last => (first, last.min(len.saturating_sub(1))),
        (Ok(first), Err(_)) if b.is_empty() => (first, len.saturating_sub(1)),
        (Err(_), Ok(n)) if a.is_empty() && n > 0 => (len.saturating_sub(n), len.saturating_sub(1)),
        _ => return Err(()),
    };
    if len == 0 || range.0 >= len {
        return Err(());
    }
    Ok(Some(range))
}

fn mime_of(source: &str) -> &'static str {
    // Only PDFs are shown as themselves; other formats come as text, so a document's
    // own HTML never runs as a page of this origin.
    if is_pdf(source) {
        "application/pdf"
    } else {
        "text/plain; charset=utf-8"
    }
}

async fn original(
    State(state): State<AppState>,
    Path(source): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (path, len) = match file_of(&state, &source) {
        Ok(f) => f,
        Err((status, message)) => return (status, message).into_response(),
    };
    let range = match byte_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        len,
    ) {
        Ok(r) => r,
        Err(()) => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
                "range: not within the file",
            )
                .into_response()
        }
    };
    let (first, last) = range.unwrap_or((0, len.saturating_sub(1)));
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut f = std::fs::File::open(&path)?;
        f.seek(SeekFrom::Start(first))?;
        let mut buf = Vec::new();
        f.take(if len == 0 { 0 } else { last - first + 1 })
            .read_to_end(&mut buf)?;
        Ok(buf)
    })
    .await;
    let body = match read {
        Ok(Ok(b)) => b,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "reading the file failed").into_response(),
    };
    let mut resp = (
        [
            (header::CONTENT_TYPE, mime_of(&source).to_string()),
            (header::ACCEPT_RANGES, "bytes".to_string()),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        body,
    )
        .into_response();
    if range.is_some() {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = format!("bytes {first}-{last}/{len}").parse() {
            resp.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    resp
}

#[derive(Debug, Default, serde::Deserialize)]
struct ViewerParams {
    /// Physical page to open at (1-based).
    page: Option<u32>,
    /// The chunk cited: its text is marked on its pages.
    chunk: Option<String>,
}

async fn viewer(
    State(state): State<AppState>,
    Path(source): Path<String>,
    Query(params): Query<ViewerParams>,
) -> Response {
    if state.pdfjs().is_none() {
        return error_page(
            StatusCode::NOT_FOUND,
            "PDF viewer not installed",
            &format!("This server has no pdf.js (scripts/setup installs pdfjs-dist {PDFJS_VERSION}); the text of the document is at {}.", document_href(&source)),
        );
    }
    if !is_pdf(&source) {
        return error_page(
            StatusCode::NOT_FOUND,
            "Not a PDF",
            &format!(
                "{source} is not a PDF; read it at {}.",
                document_href(&source)
            ),
        );
    }
    if let Err((status, message)) = file_of(&state, &source) {
        return error_page(status, "Document not available", &message);
    }
    let chunk = match params.chunk.clone() {
        Some(id) => match blocking(&state, move |e| e.chunk(&id)).await {
            Ok(c) => Some(c),
            Err(e) => return error_page(e.status, "Chunk not found", &e.message),
        },
        None => None,
    };
    let at = chunk.as_ref().map(|c| &c.location);
    let first = at.and_then(|l| l.pdf_page);
    let last = at.and_then(|l| l.pdf_page_end).or(first);
    let page = params.page.or(first).unwrap_or(1).max(1);
    let file = format!(
        "/files/{}",
        utf8_percent_encode(&source, crate::pages::PATH)
    );
    let text: String = chunk
        .as_ref()
        .map(|c| c.text.chars().take(MARK_CHARS).collect())
        .unwrap_or_default();
    let title = source.rsplit('/').next().unwrap_or(&source).to_string();
    let body = html! {
        link rel="stylesheet" href="/static/pdfjs/pdf_viewer.css";
        div.pdfpage {
            h1.visually-hidden { (title) }
            nav.pdf-tools aria-label="PDF pages" {
                @if let Some(c) = &chunk {
                    a.back href=(chunk_href(&c.id.to_string())) { "← Chunk" }
                }
                button #pdf-prev type="button" aria-label="Previous page" { "‹" }
                label { "Page " input #pdf-page type="number" min="1" value=(page) inputmode="numeric"; }
                span #pdf-count { }
                span #pdf-label { }
                button #pdf-next type="button" aria-label="Next page" { "›" }
                button #pdf-zoom-out type="button" aria-label="Zoom out" { "−" }
                button #pdf-zoom-in type="button" aria-label="Zoom in" { "+" }
                a.text-view href=(document_href(&source)) { "Text view" }
                a.license href="/static/pdfjs/LICENSE" { "pdf.js licence" }
            }
            p.notice #pdf-status role="status" { "Loading " (title) "…" }
            div #pdf-viewer data-file=(file) data-page=(page)
                data-first=(first.map(|p| p.to_string()).unwrap_or_default())
                data-last=(last.map(|p| p.to_string()).unwrap_or_default())
                data-mark=(text) {
                div.pdf-sheet {
                    canvas #pdf-canvas {}
                    div.textLayer {}
                }
            }
        }
        script type="module" src="/static/pdf-viewer.js" {}
    };
    layout(&title, "", body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(byte_range(None, 100), Ok(None));
        assert_eq!(byte_range(Some("bytes=0-9"), 100), Ok(Some((0, 9))));
        assert_eq!(byte_range(Some("bytes=90-"), 100), Ok(Some((90, 99))));
        assert_eq!(byte_range(Some("bytes=-10"), 100), Ok(Some((90, 99))));
        assert_eq!(byte_range(Some("bytes=50-500"), 100), Ok(Some((50, 99))));
        assert_eq!(byte_range(Some("bytes=0-1,5-6"), 100), Ok(None));
        assert_eq!(byte_range(Some("items=0-9"), 100), Ok(None));
        for bad in [
            "bytes=100-",
            "bytes=9-0",
            "bytes=x-y",
            "bytes=-0",
            "bytes=5",
        ] {
            assert_eq!(byte_range(Some(bad), 100), Err(()), "{bad}");
        }
    }
}
