//! Server-rendered HTML pages: search, chunk, document, library and release comparison. They read without
//! JavaScript; `app.js` only adds keyboard shortcuts and scrolling niceties.

use crate::api::{document_parts, ChunkView, SearchParams};
use crate::markdown::to_safe_html;
use crate::snippet::snippet;
use crate::{blocking, Access, ApiError, AppState, RouteDef};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use mcdewey_search::{
    AlsoIn, Citation, Comparison, Facets, LibraryTree, Mode, SearchResponse, SearchResult,
};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/app.js");
const FAVICON: &str = include_str!("assets/favicon.svg");

/// Characters escaped in a query-string value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Characters escaped in a path (slashes and `::` kept).
pub(crate) const PATH: &AsciiSet = &QUERY_VALUE.remove(b'/').remove(b':');

pub(crate) fn routes() -> Vec<RouteDef> {
    use Access::{Public, Read};
    vec![
        RouteDef::new("/", "/?q=mixed+mode", Read, get(search_page)),
        RouteDef::new(
            "/chunks/{*id}",
            "/chunks/cucm::v15::security-guide::guide::0",
            Read,
            get(chunk_page),
        ),
        RouteDef::new(
            "/documents/{*source}",
            "/documents/cucm/v15/security-guide/guide.md",
            Read,
            get(document_page),
        ),
        RouteDef::new("/library", "/library", Read, get(library_page)),
        RouteDef::new(
            "/compare",
            "/compare?product=cucm&from=v12.5.1&to=v15",
            Read,
            get(compare_page),
        ),
        // Static assets hold nothing from the library.
        RouteDef::new(
            "/static/style.css",
            "/static/style.css",
            Public,
            get(|| asset(STYLE, "text/css")),
        ),
        RouteDef::new(
            "/static/app.js",
            "/static/app.js",
            Public,
            get(|| asset(SCRIPT, "text/javascript")),
        ),
        RouteDef::new(
            "/static/favicon.svg",
            "/static/favicon.svg",
            Public,
            get(|| asset(FAVICON, "image/svg+xml")),
        ),
        RouteDef::new(
            "/favicon.ico",
            "/favicon.ico",
            Public,
            get(|| asset(FAVICON, "image/svg+xml")),
        ),
    ]
}

async fn asset(body: &'static str, mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, format!("{mime}; charset=utf-8")),
            (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        ],
        body,
    )
        .into_response()
}

/// Link to a chunk's page.
pub(crate) fn chunk_href(id: &str) -> String {
    format!("/chunks/{}", utf8_percent_encode(id, PATH))
}

/// Where "in context" goes for a cited passage: a PDF shown as itself at the cited
/// physical page when the server can (pdf.js and the library folder), else the
/// document view scrolled to the chunk.
pub(crate) fn in_context_href(state: &AppState, c: &Citation, id: &str, query: &str) -> String {
    pdf_href(state, c, id).unwrap_or_else(|| context_href_for(&c.source, id, ordinal_of(id), query))
}

/// The PDF viewer at a passage's physical page, when the server can show its PDF.
fn pdf_href(state: &AppState, c: &Citation, id: &str) -> Option<String> {
    let page = c.pdf_page.filter(|_| state.views_pdf(&c.source))?;
    Some(format!(
        "/pdf/{}?page={page}&chunk={}",
        utf8_percent_encode(&c.source, PATH),
        utf8_percent_encode(id, QUERY_VALUE)
    ))
}

/// Link to a document, scrolled to a chunk whose words of `query` are marked.
fn context_href_for(source: &str, id: &str, ordinal: &str, query: &str) -> String {
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("&q={}", utf8_percent_encode(query, QUERY_VALUE))
    };
    format!(
        "/documents/{}?chunk={}{q}#chunk-{ordinal}",
        utf8_percent_encode(source, PATH),
        utf8_percent_encode(id, QUERY_VALUE)
    )
}

pub(crate) fn document_href(source: &str) -> String {
    format!("/documents/{}", utf8_percent_encode(source, PATH))
}

/// "1 chunk", "12 chunks".
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn ordinal_of(id: &str) -> &str {
    id.rsplit("::").next().unwrap_or("0")
}

/// "Page 147" (for a PDF its physical page), "Page xvii", or `None` when unknown.
fn page_title(c: &Citation) -> Option<String> {
    match c.pdf_page {
        Some(n) => Some(format!("Page {n}")),
        None => c.page_label.as_ref().map(|l| format!("Page {l}")),
    }
}

/// The printed label of a PDF page, when it differs from the physical page number.
fn printed_label(c: &Citation) -> Option<&str> {
    let label = c.page_label.as_deref()?;
    (c.pdf_page.is_some() && c.pdf_page.map(|n| n.to_string()).as_deref() != Some(label))
        .then_some(label)
}

/// Whether a document is a PDF, whose stored text is plain lines, not Markdown.
pub(crate) fn is_pdf(source: &str) -> bool {
    source.to_ascii_lowercase().ends_with(".pdf")
}

/// A PDF chunk's text as paragraphs: blocks are separated by blank lines, lines within a
/// block were wrapped by the layout.
fn pdf_paragraphs(raw: &str) -> Markup {
    html! {
        @for block in raw.split("\n\n").filter(|b| !b.trim().is_empty()) {
            p { (block.split('\n').collect::<Vec<_>>().join(" ")) }
        }
    }
}

pub(crate) fn layout(title: &str, query: &str, body: Markup) -> Markup {
    layout_keeping(title, query, &[], body)
}

/// [`layout`] whose search form keeps `keep` (the active filters and mode) for the
/// next query.
fn layout_keeping(title: &str, query: &str, keep: &[(&str, String)], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · McDewey" }
                link rel="stylesheet" href="/static/style.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
                script src="/static/app.js" defer {}
            }
            body {
                a.skip-link href="#main" { "Skip to main content" }
                header.site {
                    div.bar {
                        a.brand href="/" { "McDewey" }
                        p.tagline { "Multi-vendor documentation library · semantic search · MCP endpoint at " code { "/mcp" } }
                        nav.links {
                            a href="/" { "Search" }
                            a href="/library" { "Library" }
                            a href="/compare" { "Compare" }
                            a href="/api/openapi.json" { "API" }
                            a href="/admin" { "Admin" }
                        }
                    }
                    form.searchbar action="/" method="get" role="search" {
                        input #q type="search" name="q" value=(query) placeholder="Search the library…" title="Search the library (press / to focus)"
                            aria-label="Search query" autocomplete="off";
                        @for (name, value) in keep {
                            input type="hidden" name=(name) value=(value);
                        }
                        button type="submit" { "Search" }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        section.notice.error {
            h1 { (title) }
            p { (message) }
            p { a href="/" { "Back to search" } " · " a href="/library" { "Browse the library" } }
        }
    };
    (status, layout(title, "", body)).into_response()
}

pub(crate) fn not_found_page(path: &str) -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Not found",
        &format!("Nothing lives at {path}."),
    )
}

fn api_error_page(e: ApiError) -> Response {
    let title = if e.status == StatusCode::NOT_FOUND {
        "Not found"
    } else if e.status.is_client_error() {
        "Cannot search that"
    } else {
        "Something went wrong"
    };
    error_page(e.status, title, &e.message)
}

/// The search URL for `params` with one filter changed.
fn search_href(params: &SearchParams, set: &[(&str, Option<&str>)]) -> String {
    format!("/?{}", search_query(params, set))
}

/// The query string of a search with `set` changed: `q` and the filters in force.
fn search_query(params: &SearchParams, set: &[(&str, Option<&str>)]) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let q = params.query_text();
    pairs.push(("q", q));
    for (name, value) in [
        ("product", &params.product),
        ("version", &params.version),
        ("doc_set", &params.doc_set),
        ("mode", &params.mode),
        ("understand", &params.understand),
        ("limit", &params.limit),
    ] {
        let v = match set.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => v.map(str::to_string),
            None => value.clone(),
        };
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            pairs.push((name, v));
        }
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    query_string(&pairs)
}

/// `k=v&…`, each value percent-encoded.
/// A result's title and the headings above it: its own heading, or, when other results
/// of the page carry the same one ("Procedure", "Before You Begin" under several
/// sections), the heading above it too ("Set Up the CTL Client › Procedure"), so no two
/// titles read alike for a different place; the source file without headings.
fn result_title(citation: &Citation, all: &[SearchResult]) -> (String, Vec<String>) {
    let heading = &citation.heading;
    let Some(last) = heading.last() else {
        return (citation.source.clone(), Vec::new());
    };
    let shared = all
        .iter()
        .filter(|r| r.citation.heading.last() == Some(last))
        .count()
        > 1;
    let own = if shared && heading.len() > 1 { 2 } else { 1 };
    let split = heading.len() - own;
    (
        heading[split..].join(mcdewey_search::HEADING_SEPARATOR),
        heading[..split].to_vec(),
    )
}

/// Link to the diff of a result's passage with its wording in another release: the
/// compare page for the two releases (older first), at this passage's section.
fn diff_href(citation: &Citation, chunk_id: &str, other: &AlsoIn) -> String {
    let (from, to) = citation.releases_in_order(&other.citation);
    format!(
        "/compare?{}",
        query_string(&[
            ("product", citation.product.as_str()),
            ("from", from),
            ("to", to),
            ("doc_set", citation.doc_set.as_str()),
            ("section", chunk_id),
        ])
    )
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
        .collect::<Vec<_>>()
        .join("&")
}

struct SearchView {
    response: Option<SearchResponse>,
    facets: Facets,
    library: LibraryTree,
    error: Option<ApiError>,
}

async fn search_page(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Response {
    let req = match params.to_request() {
        Ok(r) => r,
        Err(e) => return api_error_page(e),
    };
    let query = req.query.trim().to_string();
    let mode = state.engine().effective_mode(req.mode);
    let limit = req.limit.unwrap_or(10);
    let view = blocking(&state, move |engine| {
        let library = engine.library()?;
        if query.is_empty() {
            return Ok(SearchView {
                response: None,
                facets: Facets::default(),
                library,
                error: None,
            });
        }
        let (response, error) = match engine.search(&req) {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(ApiError::from(e))),
        };
        let facets = if error.is_none() {
            engine.facets(&query, mode)?
        } else {
            Facets::default()
        };
        Ok(SearchView {
            response,
            facets,
            library,
            error,
        })
    })
    .await;
    let view = match view {
        Ok(v) => v,
        Err(e) => return api_error_page(e),
    };
    let q = params.query_text();
    let status = view.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let title = if q.trim().is_empty() {
        "Search".to_string()
    } else {
        q.trim().to_string()
    };
    let body = html! {
        div.searchpage {
            aside.facets aria-label="Filters" {
                // A phone shows the filters above the results, folded (app.js folds
                // them on narrow screens; without it they stay open).
                details.filters open {
                    summary { "Filters" }
                    (facet_panel(&params, &view.facets, &view.library, q.trim().is_empty()))
                }
            }
            section.results-pane {
                @if let Some(e) = &view.error {
                    div.notice.error role="alert" { strong { "Cannot search: " } (e.message) }
                }
                @if let Some(r) = &view.response {
                    h1.visually-hidden { "Search results" }
                    p.summary {
                        (count(r.results.len(), "result")) " for " strong { "“" (r.query.trim()) "”" }
                        (active_filters(&params))
                        span.mode { " · " (match mode { Mode::Bm25 => "keyword", Mode::Vector => "semantic", Mode::Hybrid => "hybrid" }) " search" }
                    }
                    @if let Some(u) = &r.understood {
                        (understood_chip(u, &params))
                    }
                    @if let Some(note) = r.quoted.as_ref().and_then(|q| q.note()) {
                        p.notice.unquoted role="status" { (note) }
                    }
                    @if r.results.is_empty() {
                        p.notice { "No passage matches. Try other words, or remove a filter." }
                    } @else if r.no_close_match {
                        div.notice.nomatch role="status" {
                            strong { "No close match. " }
                            "Nothing in the library matches this query well; the passages below share only a few words or little meaning with it."
                        }
                    }
                    ol.results {
                        @for hit in &r.results {
                            li.result {
                                @let (title, crumbs) = result_title(&hit.citation, &r.results);
                                a.result-link href=(format!("{}?{}", chunk_href(&hit.chunk_id), search_query(&params, &[]))) {
                                    span.result-title { (title) }
                                }
                                @if !crumbs.is_empty() {
                                    p.crumbs { (crumbs.join(mcdewey_search::HEADING_SEPARATOR)) }
                                }
                                p.snippet {
                                    @for (text, marked) in snippet(&hit.text, &r.query, 320) {
                                        @if marked { mark { (text) } } @else { (text) }
                                    }
                                }
                                @if !hit.also_in.is_empty() {
                                    p.also {
                                        "Also in "
                                        @for (i, other) in hit.also_in.iter().enumerate() {
                                            @if i > 0 { ", " }
                                            a href=(chunk_href(&other.chunk_id)) {
                                                (hit.citation.member_name(&other.citation))
                                                @if let Some(p) = other.citation.page_text() { ", " (p) }
                                            }
                                        }
                                    }
                                }
                                @if !hit.differs_in.is_empty() {
                                    p.differs {
                                        "Differs in "
                                        @for (i, other) in hit.differs_in.iter().enumerate() {
                                            @if i > 0 { ", " }
                                            a href=(diff_href(&hit.citation, &hit.chunk_id, other)) title="What changed in this passage between the two releases" {
                                                (other.citation.version)
                                            }
                                        }
                                    }
                                }
                                p.meta {
                                    span class=(format!("badge match match-{}", hit.match_level.as_str())) title="How well the passage matches the query" { (hit.match_level.as_str()) " match" }
                                    span.badge.version { (hit.citation.product) " " (hit.citation.version) }
                                    span.badge { (hit.citation.doc_set) }
                                    span.source { (hit.citation.source) }
                                    @if let Some(p) = hit.citation.page_text() { span.page { (p) } }
                                    a.ctx href=(in_context_href(&state, &hit.citation, &hit.chunk_id, "")) { "↗ in context" }
                                }
                            }
                        }
                    }
                    @if r.results.len() >= limit && limit < mcdewey_search::MAX_LIMIT {
                        p.more {
                            a.show-more href=(search_href(&params, &[("limit", Some(&(limit + 10).min(mcdewey_search::MAX_LIMIT).to_string()))])) { "Show more results" }
                        }
                    }
                } @else if view.error.is_none() {
                    section.welcome {
                        h1 { "Search " (count(view.library.documents, "document")) }
                        p { (count(view.library.chunks as usize, "passage")) " from " (count(view.library.products.len(), "product")) ", every answer cited with its source, page and chunk id. Ask in your own words or paste a CLI command." }
                        p.examples {
                            "Try: "
                            @for ex in ["how to enable mixed mode with the CLI", "utils ctl update CTLFile", "phones trusting an unsigned config file"] {
                                a href=(format!("/?q={}", utf8_percent_encode(ex, QUERY_VALUE))) { (ex) }
                            }
                        }
                    }
                }
            }
        }
    };
    // The next query keeps the filters and mode in force.
    let keep: Vec<(&str, String)> = [
        ("product", &params.product),
        ("version", &params.version),
        ("doc_set", &params.doc_set),
        ("mode", &params.mode),
    ]
    .into_iter()
    .filter_map(|(n, v)| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| (n, s.to_string()))
    })
    .collect();
    (status, layout_keeping(&title, q.trim(), &keep, body)).into_response()
}

/// "Release v15 (from “CUCM 15”) ranks first · search all releases": what was read
/// from the query, with a link that undoes it.
fn understood_chip(u: &mcdewey_search::Understood, params: &SearchParams) -> Markup {
    if u.only_a_note() {
        return html! {
            @if let Some(note) = u.not_in_library_note() {
                p.understood role="status" { span.not-held { (note) } }
            }
        };
    }
    // "Release v15" for the chip: the shared wording, capitalised.
    let what = {
        let w = u.what();
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    html! {
        p.understood role="status" {
            span.chip { (what) }
            @if u.applied {
                " understood from “" (u.phrase) "”: its passages rank first. "
                @if let Some(v) = u.versions.first() {
                    a href=(search_href(params, &[("version", Some(v.as_str()))])) { "Only " (v) }
                    " · "
                }
                @if let Some(p) = u.product.as_deref().filter(|_| u.versions.is_empty()) {
                    a href=(search_href(params, &[("product", Some(p))])) { "Only " (p) }
                    " · "
                }
                a href=(search_href(params, &[("understand", Some("false"))])) { "Search as written" }
            } @else {
                " understood from “" (u.phrase) "”, but the filter you chose decides. "
            }
            @if let Some(note) = u.not_in_library_note() {
                " " span.not-held { (note) }
            }
        }
    }
}

fn active_filters(params: &SearchParams) -> Markup {
    let active: Vec<(&str, &str)> = [
        ("product", &params.product),
        ("version", &params.version),
        ("doc_set", &params.doc_set),
    ]
    .iter()
    .filter_map(|(n, v)| v.as_deref().filter(|s| !s.is_empty()).map(|v| (*n, v)))
    .collect();
    html! {
        @for (name, value) in &active {
            " " a.chip href=(search_href(params, &[(name, None)])) title="Remove this filter" { (name) ": " (value) " ×" }
        }
    }
}

fn facet_panel(
    params: &SearchParams,
    facets: &Facets,
    library: &LibraryTree,
    browsing: bool,
) -> Markup {
    let is = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    // Without a query the counts are documents in the library.
    let products: Vec<(String, usize)> = if browsing {
        library
            .products
            .iter()
            .map(|p| (p.name.clone(), p.documents))
            .collect()
    } else {
        facets.products.clone()
    };
    let versions: Vec<(String, String, usize)> = if browsing {
        library
            .products
            .iter()
            .flat_map(|p| {
                p.versions
                    .iter()
                    .rev()
                    .map(|v| (p.name.clone(), v.name.clone(), v.documents))
            })
            .collect()
    } else {
        facets
            .versions
            .iter()
            .map(|v| (v.product.clone(), v.version.clone(), v.count))
            .collect()
    };
    let doc_sets: Vec<(String, usize)> = if browsing {
        let mut m = std::collections::BTreeMap::new();
        for p in &library.products {
            for v in &p.versions {
                for d in &v.doc_sets {
                    *m.entry(d.name.clone()).or_insert(0) += d.documents.len();
                }
            }
        }
        m.into_iter().collect()
    } else {
        facets.doc_sets.clone()
    };
    let unit = if browsing {
        "documents"
    } else {
        "matches in the top 100"
    };
    html! {
        @if !browsing {
            p.facet-note { "Counts: " (unit) }
        }
        h2 { "Product" }
        ul.facet {
            @for (name, n) in &products {
                @let on = is(&params.product, name);
                li { a href=(search_href(params, &[("product", if on { None } else { Some(name) })]))
                       class=@if on { "on" } aria-current=[on.then_some("true")] {
                    span { (name) } " " span.count { (n) } } }
            }
        }
        h2 { "Version" }
        ul.facet {
            @let latest = is(&params.version, "latest");
            li { a href=(search_href(params, &[("version", if latest { None } else { Some("latest") })]))
                   class=@if latest { "on" } aria-current=[latest.then_some("true")] { span { "latest" } } }
            @for (product, version, n) in &versions {
                @let on = is(&params.version, version);
                li { a href=(search_href(params, &[("version", if on { None } else { Some(version) })]))
                       class=@if on { "on" } aria-current=[on.then_some("true")] {
                    span { (version) @if products.len() > 1 { small { " " (product) } } } " " span.count { (n) } } }
            }
        }
        h2 { "Doc set" }
        ul.facet {
            @for (name, n) in &doc_sets {
                @let on = is(&params.doc_set, name);
                li { a href=(search_href(params, &[("doc_set", if on { None } else { Some(name) })]))
                       class=@if on { "on" } aria-current=[on.then_some("true")] {
                    span { (name) } " " span.count { (n) } } }
            }
        }
        h2 { "Mode" }
        ul.facet.modes {
            @for (m, label) in [("hybrid", "Hybrid"), ("vector", "Semantic"), ("bm25", "Keyword")] {
                @let on = params.mode.as_deref().unwrap_or("hybrid") == m;
                li { a href=(search_href(params, &[("mode", if m == "hybrid" { None } else { Some(m) })])) class=@if on { "on" } aria-current=[on.then_some("true")] { span { (label) } } }
            }
        }
    }
}

/// A chunk on its own page. Reached from a result, it keeps the search (`q` and the
/// filters): the query's words are marked and a link goes back to the results.
async fn chunk_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(search): Query<SearchParams>,
) -> Response {
    let lookup = id.clone();
    let view = match blocking(&state, move |e| crate::api::chunk_view(e, &lookup)).await {
        Ok(v) => v,
        Err(e) => return api_error_page(e),
    };
    let title = page_title(&view.citation)
        .or_else(|| view.citation.heading.last().cloned())
        .unwrap_or_else(|| view.citation.source.clone());
    let query = search.query_text();
    let back = (!query.trim().is_empty()).then(|| search_href(&search, &[]));
    let text_view = context_href_for(
        &view.citation.source,
        &view.chunk_id,
        ordinal_of(&view.chunk_id),
        query.trim(),
    );
    let pdf_view = pdf_href(&state, &view.citation, &view.chunk_id);
    let links = ContextLinks {
        context: pdf_view.as_deref().unwrap_or(&text_view),
        text_view: pdf_view.is_some().then_some(text_view.as_str()),
        back: back.as_deref(),
    };
    let body = chunk_body(&view, &title, query.trim(), &links);
    layout(&title, query.trim(), body).into_response()
}

/// How a chunk is cited when copied: document title, release, page and chunk id.
fn citation_line(view: &ChunkView) -> String {
    let c = &view.citation;
    let document = c
        .heading
        .first()
        .cloned()
        .unwrap_or_else(|| c.source.clone());
    let page = c.page_text().map(|p| format!(", {p}")).unwrap_or_default();
    format!(
        "{document} ({} {}){page} — chunk {}",
        c.product, c.version, view.chunk_id
    )
}

/// Where a chunk page links: the passage in context, the document's text view when
/// "in context" is the PDF itself, and the results it came from.
struct ContextLinks<'a> {
    context: &'a str,
    text_view: Option<&'a str>,
    back: Option<&'a str>,
}

fn chunk_body(view: &ChunkView, title: &str, query: &str, links: &ContextLinks) -> Markup {
    html! {
        article.chunk-page {
            @if let Some(back) = links.back {
                p.back { a href=(back) { "← Back to results" } }
            }
            @if !view.citation.heading.is_empty() {
                p.crumbs { (view.citation.heading_path()) }
            }
            h1 { (title) @if let Some(l) = printed_label(&view.citation) { " " span.printed { "printed " (l) } } }
            p {
                a.context-link href=(links.context) { "↗ View in doc context" }
                @if let Some(t) = links.text_view { " · " a.text-view href=(t) { "text view" } }
            }
            dl.fields {
                dt { "page" } dd { (view.citation.page_text().unwrap_or_else(|| "unknown".into())) }
                dt { "source" } dd { a href=(document_href(&view.citation.source)) { code { (view.citation.source) } } }
                dt { "chunk_id" } dd { code.chunk-id { (view.chunk_id) } }
                dt { "version" } dd { span.badge.version { (view.citation.product) " " (view.citation.version) } " " span.badge { (view.citation.doc_set) } }
            }
            p.copies {
                button.copy type="button" data-copy=(citation_line(view)) { "Copy citation" }
                button.copy type="button" data-copy-link=(chunk_href(&view.chunk_id)) { "Copy link" }
                button.copy type="button" data-copy=(view.chunk_id) { "Copy chunk id" }
            }
            @if query.is_empty() {
                div.chunk-text { (view.text) }
            } @else {
                div.chunk-text {
                    @for (text, marked) in crate::snippet::mark_all(&view.text, query) {
                        @if marked { mark { (text) } } @else { (text) }
                    }
                }
            }
            nav.pager aria-label="Neighbouring chunks" {
                @if let Some(p) = &view.previous { a rel="prev" href=(chunk_href(p)) { "← Previous chunk" } } @else { span {} }
                @if let Some(n) = &view.next { a rel="next" href=(chunk_href(n)) { "Next chunk →" } }
            }
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct DocumentParams {
    chunk: Option<String>,
    /// The search that led here: its words are marked in the chosen chunk.
    q: Option<String>,
    /// `FROM-TO`: only the chunks with these ordinals (TO excluded), as an HTML
    /// fragment; the view fetches the parts around the one it opened with.
    part: Option<String>,
    /// Open at a page: a PDF's physical page, else a printed page number.
    page: Option<u32>,
}

async fn document_page(
    State(state): State<AppState>,
    Path(source): Path<String>,
    Query(params): Query<DocumentParams>,
) -> Response {
    let lookup = source.clone();
    let (doc, raw) = match blocking(&state, move |e| document_parts(e, &lookup)).await {
        Ok(d) => d,
        Err(e) => return api_error_page(e),
    };
    let current = match (params.chunk, params.page) {
        (Some(id), _) => id,
        (None, Some(page)) => chunk_at_page(&doc.chunks, page).unwrap_or_default(),
        (None, None) => String::new(),
    };
    let pdf = is_pdf(&doc.source);
    let marks = page_marks(&doc.chunks);
    let n = doc.chunks.len();
    if let Some(part) = &params.part {
        let Some((from, to)) = part
            .split_once('-')
            .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
            .filter(|&(a, b)| a < b && b <= n && b - a <= 4 * DOCUMENT_PART)
        else {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Bad request",
                &format!("part: {part:?} is not FROM-TO within the document's {n} chunks"),
            );
        };
        let part = DocumentPart {
            doc: &doc,
            raw: &raw,
            marks: &marks,
            range: from..to,
            current: &current,
            pdf,
        };
        return part.render().into_response();
    }
    // The part opened with: the chosen chunk and what follows it, a little before it.
    let at = doc
        .chunks
        .iter()
        .position(|c| c.chunk_id == current)
        .unwrap_or(0);
    let from = at.saturating_sub(DOCUMENT_PART / 4);
    let range = from..(from + DOCUMENT_PART).min(n);
    let title = doc
        .chunks
        .first()
        .and_then(|c| c.citation.heading.first().cloned())
        .unwrap_or_else(|| source.rsplit('/').next().unwrap_or(&source).to_string());
    // Table of contents: each new heading, at most three levels deep.
    let mut toc: Vec<(usize, String, String)> = Vec::new();
    let mut last: Vec<String> = Vec::new();
    for c in &doc.chunks {
        for (depth, h) in c.citation.heading.iter().enumerate().take(3) {
            if last.get(depth) != Some(h) || last.len() <= depth {
                toc.push((depth, h.clone(), ordinal_of(&c.chunk_id).to_string()));
            }
        }
        last = c.citation.heading.clone();
    }
    let (product, version, doc_set) = doc
        .chunks
        .first()
        .map(|c| {
            (
                c.citation.product.clone(),
                c.citation.version.clone(),
                c.citation.doc_set.clone(),
            )
        })
        .unwrap_or_default();
    let query = params.q.unwrap_or_default();
    let part = DocumentPart {
        doc: &doc,
        raw: &raw,
        marks: &marks,
        range: range.clone(),
        current: &current,
        pdf,
    };
    // The view opened again at the chunk with ordinal `i`.
    let open_at = |i: usize| {
        format!(
            "?chunk={}#chunk-{i}",
            utf8_percent_encode(&doc.chunks[i].chunk_id, QUERY_VALUE)
        )
    };
    // Contents entries in the part sent scroll to it; the others open the view there.
    let toc_href = |ord: &str| match ord.parse::<usize>() {
        Ok(i) if i < n && !range.contains(&i) => open_at(i),
        _ => format!("#chunk-{ord}"),
    };
    let body = html! {
        div.docpage {
            aside.toc aria-label="Contents" {
                h2 { "Contents" }
                ol {
                    @for (depth, h, ord) in &toc {
                        li class=(format!("d{depth}")) { a href=(toc_href(ord)) data-ord=(ord) { (h) } }
                    }
                }
            }
            // The query's terms as every page marks them (stop words out), for the
            // script to mark in the chosen chunk.
            article.document data-query=(crate::snippet::query_terms(&query).join(" ")) data-chunks=(n) {
                header.doc-head {
                    h1 { (title) }
                    p.meta {
                        span.badge.version { (product) " " (version) } span.badge { (doc_set) }
                        code { (doc.source) } " · " (count(n, "chunk")) " · indexed " (format_time(doc.indexed_at))
                        @if marks.iter().any(Option::is_some) { span.reading aria-live="polite" { " · " span #current-page { } } }
                    }
                    @if let Some(s) = &doc.stale { p.notice.error { "The current file could not be read (" (s) "); this is the last good version." } }
                }
                @if range.start > 0 {
                    div.doc-more.before data-from=(range.start.saturating_sub(DOCUMENT_PART)) data-to=(range.start) {
                        a href=(open_at(range.start - 1)) { "Earlier in the document" }
                    }
                }
                (part.render())
                @if range.end < n {
                    div.doc-more.after data-from=(range.end) data-to=((range.end + DOCUMENT_PART).min(n)) {
                        a href=(open_at(range.end)) { "Later in the document" }
                    }
                }
            }
        }
    };
    layout(&title, "", body).into_response()
}

/// Chunks the document view sends at once; the rest comes in parts of this size as the
/// reader scrolls (a 1 MB manual at once took 1.1 s to show; issue 18).
const DOCUMENT_PART: usize = 60;

/// A run of a document's chunks as the document view shows them, with a page mark
/// where a chunk starts a new page.
struct DocumentPart<'a> {
    doc: &'a crate::api::DocumentView,
    raw: &'a [String],
    marks: &'a [Option<String>],
    range: std::ops::Range<usize>,
    current: &'a str,
    pdf: bool,
}

impl DocumentPart<'_> {
    fn render(&self) -> Markup {
        // "…, on page N" goes to the mark of page N in this part, else to the view
        // opened at page N.
        let anchors: std::collections::HashSet<&str> = self.marks[self.range.clone()]
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        html! {
            @for i in self.range.clone() {
                @let (c, md) = (&self.doc.chunks[i], &self.raw[i]);
                @let ord = ordinal_of(&c.chunk_id);
                @if let Some(label) = &self.marks[i] {
                    div.page-mark id=(format!("page-{label}")) data-page=(label) role="separator" aria-label=(format!("Page {label}")) { "Page " (label) }
                }
                section.chunk.current[c.chunk_id == self.current] id=(format!("chunk-{ord}")) data-chunk-id=(c.chunk_id) {
                    a.chunk-tag href=(chunk_href(&c.chunk_id)) title=(c.chunk_id) {
                        @if let Some(p) = c.citation.page { "p. " (p) } @else if let Some(p) = &c.citation.page_label { "p. " (p) } @else { "#" (ord) }
                    }
                    @let text = if md.trim().is_empty() { &c.text } else { md };
                    @if self.pdf {
                        div.chunk-body { (pdf_paragraphs(text)) }
                    } @else {
                        div.chunk-body { (PreEscaped(link_page_references(&to_safe_html(text), &anchors))) }
                    }
                }
            }
        }
    }
}

/// For each chunk, the page it begins when it starts on a page other than the last known
/// page before it: where the document view shows "Page N" (and the anchor `page-N`).
fn page_marks(chunks: &[ChunkView]) -> Vec<Option<String>> {
    let mut last: Option<String> = None;
    chunks
        .iter()
        .map(|c| {
            let page = page_anchor(c)?;
            (last.as_ref() != Some(&page)).then(|| {
                last = Some(page.clone());
                page
            })
        })
        .collect()
}

/// The page a chunk starts on as the document view marks it: the printed label where
/// known (what the text's "on page N" references mean), else a PDF's physical page.
fn page_anchor(c: &ChunkView) -> Option<String> {
    let label = c
        .citation
        .page_label
        .clone()
        .or_else(|| c.citation.page.map(|p| p.to_string()))?;
    // An id and a URL fragment: letters, digits and dashes only.
    Some(label)
        .filter(|l| !l.is_empty() && l.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
}

/// Rendered document HTML with each "on page N" made a link to that page: to its mark
/// in this view when there is one, else to the view opened at page N.
fn link_page_references(html: &str, anchors: &std::collections::HashSet<&str>) -> String {
    const REF: &str = "on page ";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(REF) {
        let (before, tail) = rest.split_at(at + REF.len());
        out.push_str(before);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        let seen = &html[..html.len() - tail.len()];
        // Not inside a link already, nor inside a tag.
        let in_link = seen.rfind("<a ").unwrap_or(0) > seen.rfind("</a>").unwrap_or(0)
            && seen.contains("<a ");
        let in_tag = seen.rfind('<') > seen.rfind('>');
        if digits == 0 || in_link || in_tag {
            rest = tail;
            continue;
        }
        let (n, after) = tail.split_at(digits);
        let href = if anchors.contains(n) {
            format!("#page-{n}")
        } else {
            format!("?page={n}")
        };
        out.push_str(&format!("<a class=\"page-ref\" href=\"{href}\">{n}</a>"));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The id of the first chunk on a page (or, for a chunk spanning pages, running over it).
fn chunk_at_page(chunks: &[ChunkView], page: u32) -> Option<String> {
    chunks
        .iter()
        .find(|c| {
            let first = c.citation.page;
            let last = c
                .citation
                .pdf_page_end
                .or_else(|| c.citation.page_end.as_deref().and_then(|p| p.parse().ok()))
                .or(first);
            matches!((first, last), (Some(a), Some(b)) if a <= page && page <= b)
        })
        .map(|c| c.chunk_id.clone())
}

async fn library_page(State(state): State<AppState>) -> Response {
    let tree = match blocking(&state, |e| e.library()).await {
        Ok(t) => t,
        Err(e) => return api_error_page(e),
    };
    let body = html! {
        section.library {
            h1 { "Library" }
            p.summary { (count(tree.products.len(), "product")) " · " (count(tree.documents, "document")) " · " (count(tree.chunks as usize, "chunk")) " · last indexed " (format_time(tree.updated_at)) }
            @for p in &tree.products {
                section.product {
                    h2 { (p.name) span.count { (count(p.documents, "document")) " · " (count(p.chunks as usize, "chunk")) } }
                    @for v in p.versions.iter().rev() {
                        details.version open[v.name == p.versions.last().map(|l| l.name.clone()).unwrap_or_default()] {
                            summary { span.badge.version { (v.name) } span.count { (count(v.documents, "document")) " · " (count(v.chunks as usize, "chunk")) } }
                            @for d in &v.doc_sets {
                                h3 { (d.name) span.count { (count(d.chunks as usize, "chunk")) } }
                                table.docs {
                                    thead { tr { th { "Document" } th.num { "Chunks" } th { "Indexed" } } }
                                    tbody {
                                        @for doc in &d.documents {
                                            tr {
                                                td { a href=(document_href(&doc.source)) { (doc.source.rsplit('/').next().unwrap_or(&doc.source)) }
                                                     @if doc.stale.is_some() { " " span.badge.warn title=(doc.stale.clone().unwrap_or_default()) { "stale" } } }
                                                td.num { (doc.chunks) }
                                                td { (format_time(doc.indexed_at)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout("Library", "", body).into_response()
}

/// `/compare`: pick a product and two releases (and optionally a doc set and a query);
/// the answer lists what changed, each section cited on both sides and linked to its
/// chunk pages, with a word-level diff for one section or for a query's passages.
async fn compare_page(
    State(state): State<AppState>,
    Query(params): Query<crate::api::CompareParams>,
) -> Response {
    let asked = params
        .product
        .as_deref()
        .is_some_and(|p| !p.trim().is_empty());
    let req = if asked {
        match params.to_request() {
            Ok(r) => Some(r),
            Err(e) => return api_error_page(e),
        }
    } else {
        None
    };
    let (tree, comparison) = match blocking(&state, move |e| {
        let tree = e.library()?;
        let comparison = req.map(|r| e.compare(&r)).transpose()?;
        Ok((tree, comparison))
    })
    .await
    {
        Ok(v) => v,
        Err(e) => return api_error_page(e),
    };
    // The form's defaults: the asked releases, else the last two of the first product
    // that has two.
    let product = comparison.as_ref().map(|c| c.product.clone()).or_else(|| {
        tree.products
            .iter()
            .find(|p| p.versions.len() >= 2)
            .map(|p| p.name.clone())
    });
    let versions: Vec<String> = tree
        .products
        .iter()
        .find(|p| Some(&p.name) == product.as_ref())
        .map(|p| p.versions.iter().map(|v| v.name.clone()).collect())
        .unwrap_or_default();
    let from = comparison
        .as_ref()
        .map(|c| c.from.clone())
        .or_else(|| versions.len().checked_sub(2).map(|i| versions[i].clone()));
    let to = comparison
        .as_ref()
        .map(|c| c.to.clone())
        .or_else(|| versions.last().cloned());
    let query = params.q.clone().unwrap_or_default();
    let doc_set = params.doc_set.clone().unwrap_or_default();
    let section_href = |c: &Comparison, id: &str| {
        let mut pairs = vec![
            ("product", c.product.as_str()),
            ("from", c.from.as_str()),
            ("to", c.to.as_str()),
            ("section", id),
        ];
        if let Some(d) = &c.doc_set {
            pairs.push(("doc_set", d.as_str()));
        }
        format!("/compare?{}", query_string(&pairs))
    };
    let body = html! {
        section.compare {
            h1 { "Compare releases" }
            form.compare-form action="/compare" method="get" {
                label { "Product "
                    select name="product" {
                        @for p in tree.products.iter().filter(|p| p.versions.len() >= 2) {
                            option value=(p.name) selected[Some(&p.name) == product.as_ref()] { (p.name) }
                        }
                    }
                }
                label { "From "
                    select name="from" {
                        @for p in tree.products.iter().filter(|p| p.versions.len() >= 2) {
                            optgroup label=(p.name) {
                                @for v in &p.versions {
                                    option value=(v.name) selected[Some(&p.name) == product.as_ref() && Some(&v.name) == from.as_ref()] { (v.name) }
                                }
                            }
                        }
                    }
                }
                label { "To "
                    select name="to" {
                        @for p in tree.products.iter().filter(|p| p.versions.len() >= 2) {
                            optgroup label=(p.name) {
                                @for v in &p.versions {
                                    option value=(v.name) selected[Some(&p.name) == product.as_ref() && Some(&v.name) == to.as_ref()] { (v.name) }
                                }
                            }
                        }
                    }
                }
                label { "Doc set " input type="text" name="doc_set" value=(doc_set) placeholder="all"; }
                label.wide { "About " input type="search" name="q" value=(query) placeholder="optional: what changed about…"; }
                button type="submit" { "Compare" }
            }
            @if let Some(c) = &comparison {
                p.summary {
                    strong { (c.product) " " (c.from) " → " (c.to) }
                    @if let Some(q) = &c.query { " · about “" (q) "”" }
                    " · " (c.counts.changed) " changed · " (c.counts.moved) " moved · "
                    (c.counts.added) " added · " (c.counts.removed) " removed · "
                    (c.counts.unchanged) " unchanged"
                }
                @if c.sections.is_empty() {
                    p.notice { "Nothing to list: every section reads the same in both releases." }
                }
                ol.changes {
                    @for s in &c.sections {
                        li.change {
                            div.change-head {
                                span class=(format!("badge status-{}", s.status.as_str())) { (s.status.as_str()) }
                                " "
                                strong { (s.to.as_ref().or(s.from.as_ref()).map(|x| x.citation.heading_path()).unwrap_or_default()) }
                                @if s.words_removed + s.words_added > 0 && s.from.is_some() && s.to.is_some() {
                                    span.count { " −" (s.words_removed) " +" (s.words_added) " words" }
                                }
                                @if s.diff.is_none() && s.status == mcdewey_search::ChangeStatus::Changed {
                                    " " a.difflink href=(section_href(c, &s.to.as_ref().map(|x| x.chunk_id.clone()).unwrap_or_default())) { "diff" }
                                }
                            }
                            @for (release, side) in [(&c.from, &s.from), (&c.to, &s.to)] {
                                @if let Some(x) = side {
                                    div.side {
                                        span.badge.version { (release) } " "
                                        a href=(chunk_href(&x.chunk_id)) { (x.citation.source) }
                                        @if let Some(p) = x.citation.page_text() { " · " (p) }
                                        " · " code { (x.chunk_id) }
                                    }
                                }
                            }
                            @if let Some(diff) = &s.diff {
                                p.diff {
                                    @for piece in diff {
                                        @match piece.op.as_str() {
                                            "removed" => { del { (piece.text) } " " }
                                            "added" => { ins { (piece.text) } " " }
                                            _ => { span { (piece.text) } " " }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout("Compare releases", "", body).into_response()
}

/// Unix seconds as `2026-12-01 19:40 UTC`.
pub(crate) fn format_time(secs: u64) -> String {
    if secs == 0 {
        return "never".into();
    }
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_references_become_links() {
        let anchors: std::collections::HashSet<&str> = ["153"].into_iter().collect();
        let html = "<p>See Mixed Mode, on page 153 and CAPF, on page 12.</p>\
                    <p><a href=\"x\">Intro, on page 153</a> <img alt=\"on page 9\"> on page x</p>";
        assert_eq!(
            link_page_references(html, &anchors),
            "<p>See Mixed Mode, on page <a class=\"page-ref\" href=\"#page-153\">153</a> and CAPF, \
             on page <a class=\"page-ref\" href=\"?page=12\">12</a>.</p>\
             <p><a href=\"x\">Intro, on page 153</a> <img alt=\"on page 9\"> on page x</p>"
        );
    }

    #[test]
    fn pages_are_marked_where_they_begin() {
        let view = |ord: u32, page: Option<&str>| {
            let mut location = mcdewey_search::Location::lines(1, 1);
            location.page = page.map(|p| mcdewey_core::PageLabel(p.into()));
            ChunkView::new(
                mcdewey_search::Chunk {
                    id: mcdewey_search::ChunkId::new("p::v1::d::a", ord),
                    source: "p/v1/d/a.md".into(),
                    product: "p".into(),
                    version: "v1".into(),
                    doc_set: "d".into(),
                    heading: vec![],
                    location,
                    text: "t".into(),
                    raw: "t".into(),
                },
                None,
            )
        };
        let chunks: Vec<ChunkView> = [
            Some("1"),
            Some("1"),
            None,
            Some("2"),
            Some("2"),
            Some("x v"),
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| view(i as u32, *p))
        .collect();
        let marks = page_marks(&chunks);
        let marks: Vec<Option<&str>> = marks.iter().map(Option::as_deref).collect();
        // A page continued after a chunk of unknown page is not marked again; a label
        // that cannot be an anchor is not marked.
        assert_eq!(marks, [Some("1"), None, None, Some("2"), None, None]);
    }

    #[test]
    fn result_titles_name_the_section_when_a_heading_repeats() {
        let result = |heading: &[&str]| {
            let chunk = mcdewey_search::Chunk {
                id: "cucm::v15::guide::guide::0".parse().unwrap(),
                source: "cucm/v15/guide/guide.md".into(),
                product: "cucm".into(),
                version: "v15".into(),
                doc_set: "guide".into(),
                heading: heading.iter().map(|h| h.to_string()).collect(),
                location: mcdewey_search::Location::lines(1, 1),
                text: "Step one.".into(),
                raw: "Step one.".into(),
            };
            SearchResult::new(1, chunk, 1.0, mcdewey_search::MatchLevel::Strong)
        };
        let all = [
            result(&["Guide", "Set Up the CTL Client", "Procedure"]),
            result(&["Guide", "Mixed Mode", "Procedure"]),
            result(&["Guide", "Mixed Mode"]),
            result(&[]),
        ];
        let titles: Vec<(String, Vec<String>)> = all
            .iter()
            .map(|r| result_title(&r.citation, &all))
            .collect();
        assert_eq!(titles[0].0, "Set Up the CTL Client › Procedure");
        assert_eq!(titles[0].1, ["Guide"]);
        assert_eq!(titles[1].0, "Mixed Mode › Procedure");
        assert_eq!(
            titles[2],
            ("Mixed Mode".to_string(), vec!["Guide".to_string()])
        );
        assert_eq!(titles[3].0, "cucm/v15/guide/guide.md");
    }

    #[test]
    fn times_format_as_utc_dates() {
        assert_eq!(format_time(0), "never");
        assert_eq!(format_time(86_400 * 365), "1971-01-01 00:00 UTC");
        assert_eq!(format_time(1_796_154_000), "2026-12-01 19:40 UTC");
    }

    #[test]
    fn links_escape_what_they_must() {
        assert_eq!(
            context_href_for("cucm/v15/sec guide/a.md", "cucm::v15::sec guide::a::3", "3", ""),
            "/documents/cucm/v15/sec%20guide/a.md?chunk=cucm%3A%3Av15%3A%3Asec%20guide%3A%3Aa%3A%3A3#chunk-3"
        );
        assert_eq!(chunk_href("a::b::c::d/e::1"), "/chunks/a::b::c::d/e::1");
    }
}
