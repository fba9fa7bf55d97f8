//! Writing to the library, for admin tokens on a server started with `--allow-write`:
//! the admin page (`/admin`: add a manual from a URL or a crawl, upload files, refresh,
//! remove a document, the jobs with their progress), its job pages, and the same under
//! the JSON API (`/api/admin/…`). Every change is a job ([`crate::jobs`]); a request
//! queues it and answers at once. Forms carry the session's CSRF token; API calls with
//! a session cookie send it in `X-CSRF-Token` (a bearer token needs none).

use crate::gate::Access::Admin;
use crate::jobs::{Job, JobState, Jobs, NotIndexed, QueueError, Work};
use crate::pages::{count, document_href, format_time, layout};
use crate::signin::{csrf_ok, form_csrf};
use crate::{blocking, ApiError, AppState, Principal, RouteDef};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use maud::{html, Markup};
use mcdewey_fetch::{CrawlOptions, Target};
use serde::Deserialize;
use serde_json::Value;

/// The routes, uploads taking bodies up to `upload_limit` bytes.
pub(crate) fn routes(upload_limit: usize) -> Vec<RouteDef> {
    let post_route = |path, service| RouteDef::new(path, path, Admin, service).methods(&["POST"]);
    vec![
        RouteDef::new("/admin", "/admin", Admin, get(admin_page)),
        RouteDef::new("/admin/jobs/{id}", "/admin/jobs/1", Admin, get(job_page)),
        post_route("/admin/add", post(add_form)),
        post_route("/admin/upload", post(upload_form)).body_limit(upload_limit),
        post_route("/admin/refresh", post(refresh_form)),
        post_route("/admin/remove", post(remove_form)),
        RouteDef::new("/api/admin/jobs", "/api/admin/jobs", Admin, get(jobs_api)),
        RouteDef::new(
            "/api/admin/jobs/{id}",
            "/api/admin/jobs/1",
            Admin,
            get(job_api),
        ),
        post_route("/api/admin/add", post(add_api)),
        post_route("/api/admin/upload", post(upload_api)).body_limit(upload_limit),
        post_route("/api/admin/refresh", post(refresh_api)),
        post_route("/api/admin/remove", post(remove_api)),
    ]
}

/// What to add: a URL into a doc set, or a crawl from it. Form fields and JSON alike
/// (`crawl` is `true` or a checked box; numbers may be strings).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AddRequest {
    pub(crate) url: Option<String>,
    pub(crate) product: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) doc_set: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) crawl: Option<Value>,
    pub(crate) max_pages: Option<Value>,
    pub(crate) max_depth: Option<Value>,
    pub(crate) csrf: Option<String>,
}

/// What to remove: a document's source path.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RemoveRequest {
    pub(crate) source: Option<String>,
    pub(crate) csrf: Option<String>,
}

/// What to refresh: everything, or the documents of a URL or library path or folder.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RefreshRequest {
    pub(crate) scope: Option<String>,
    pub(crate) csrf: Option<String>,
}

impl RefreshRequest {
    pub(crate) fn work(&self) -> Work {
        Work::Refresh {
            scope: self.scope.clone().filter(|s| !s.trim().is_empty()),
        }
    }
}

fn required<'a>(field: &str, v: &'a Option<String>) -> Result<&'a str, ApiError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::invalid(field, "is required"))
}

fn target(
    product: &Option<String>,
    version: &Option<String>,
    doc_set: &Option<String>,
) -> Result<Target, ApiError> {
    let (p, v, d) = (
        required("product", product)?,
        required("version", version)?,
        required("doc_set", doc_set)?,
    );
    Target::new(p, v, d).map_err(|e| ApiError::new("invalid_argument", e.to_string()))
}

/// A yes/no field: JSON `true`/`false`, or a form's `on`, `true`, `1`.
fn yes(field: &str, v: &Option<Value>) -> Result<bool, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "1" | "yes" => Ok(true),
            "" | "off" | "false" | "0" | "no" => Ok(false),
            _ => Err(ApiError::invalid(
                field,
                format!("{s:?} is not true or false"),
            )),
        },
        Some(other) => Err(ApiError::invalid(
            field,
            format!("{other} is not true or false"),
        )),
    }
}

/// A whole number within `range` (`default` when absent or blank).
fn whole(
    field: &str,
    v: &Option<Value>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ApiError> {
    let n = match v {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(default),
        Some(Value::String(s)) => s.trim().parse::<usize>().ok(),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Some(_) => None,
    };
    match n {
        Some(n) if range.contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(
            field,
            format!(
                "{} is not a whole number from {} to {}",
                v.as_ref().map(Value::to_string).unwrap_or_default(),
                range.start(),
                range.end()
            ),
        )),
    }
}

impl AddRequest {
    pub(crate) fn work(&self) -> Result<Work, ApiError> {
        let url = required("url", &self.url)?.to_string();
        mcdewey_fetch::check_url(&url).map_err(|e| ApiError::invalid("url", e))?;
        let target = target(&self.product, &self.version, &self.doc_set)?;
        let crawl = if yes("crawl", &self.crawl)? {
            Some(CrawlOptions {
                max_pages: whole("max_pages", &self.max_pages, 500, 1..=100_000)?,
                max_depth: whole("max_depth", &self.max_depth, 10, 0..=100)?,
                ..CrawlOptions::default()
            })
        } else {
            None
        };
        let name = self
            .name
            .clone()
            .filter(|n| !n.trim().is_empty() && crawl.is_none());
        Ok(Work::Add {
            url,
            target,
            name,
            crawl,
        })
    }
}

impl RemoveRequest {
    pub(crate) fn work(&self) -> Work {
        Work::Remove {
            source: self.source.clone().unwrap_or_default().trim().to_string(),
        }
    }
}

/// Queues `work` for `who`.
pub(crate) fn submit(jobs: &Jobs, who: &Principal, work: Work) -> Result<Job, ApiError> {
    if let Work::Remove { source } = &work {
        if source.is_empty() {
            return Err(ApiError::invalid("source", "is required"));
        }
        mcdewey_core::DocPath::parse(source).map_err(|e| ApiError::invalid("source", e))?;
    }
    jobs.submit(work, &who.name).map_err(|e| match e {
        QueueError::Busy => ApiError::new(
            "busy",
            "too many jobs are waiting; try again when some have finished (see /admin)".into(),
        ),
        QueueError::Stopped => ApiError::internal("the job worker has stopped".into()),
    })
}

fn check_csrf(headers: &HeaderMap, field: Option<&str>) -> Result<(), ApiError> {
    let given = field.or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()));
    if csrf_ok(headers, given) {
        Ok(())
    } else {
        Err(ApiError::new(
            "forbidden",
            "csrf: the form expired or came from another site; reload the page (API calls with a session cookie send X-CSRF-Token)".into(),
        ))
    }
}

/// Files and fields of an upload: `product`, `version`, `doc_set`, `csrf` and one or
/// more `file` parts; every file is checked before anything is queued.
async fn read_upload(
    state: &AppState,
    headers: &HeaderMap,
    mut parts: Multipart,
) -> Result<Work, ApiError> {
    let max = state.jobs()?.writes.fetch.max_bytes;
    let (mut product, mut version, mut doc_set, mut csrf) = (None, None, None, None);
    let mut files = Vec::new();
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                "too_large",
                format!("the upload is too large: {}", e.body_text()),
            )
        } else {
            ApiError::invalid("multipart body", e.body_text())
        }
    };
    while let Some(field) = parts.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" | "files" => {
                let file_name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(bad)?;
                if file_name.is_empty() && bytes.is_empty() {
                    continue; // the empty part a form sends when no file was chosen
                }
                files.push((file_name, bytes.to_vec()));
            }
            "product" | "version" | "doc_set" | "csrf" => {
                let text = field.text().await.map_err(bad)?;
                let slot = match name.as_str() {
                    "product" => &mut product,
                    "version" => &mut version,
                    "doc_set" => &mut doc_set,
                    _ => &mut csrf,
                };
                *slot = Some(text);
            }
            other => {
                return Err(ApiError::invalid(
                    "multipart body",
                    format!("unknown field {other:?}; send product, version, doc_set and file"),
                ))
            }
        }
    }
    check_csrf(headers, csrf.as_deref())?;
    let target = target(&product, &version, &doc_set)?;
    if files.is_empty() {
        return Err(ApiError::invalid(
            "file",
            "choose at least one file to upload",
        ));
    }
    let mut names = std::collections::HashSet::new();
    for (name, bytes) in &files {
        let saved = mcdewey_fetch::check_upload(name, bytes, max).map_err(|e| match e {
            mcdewey_fetch::FetchError::TooLarge { .. } => {
                ApiError::new("too_large", format!("file: {e}"))
            }
            _ => ApiError::invalid("file", e),
        })?;
        if !names.insert(saved.clone()) {
            return Err(ApiError::invalid(
                "file",
                format!("two files would both be saved as {saved}"),
            ));
        }
    }
    Ok(Work::Upload { target, files })
}

/// `202 Accepted` with the job, and where to follow it.
fn accepted(job: &Job) -> Response {
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/admin/jobs/{}", job.id))],
        Json(job),
    )
        .into_response()
}

async fn add_api(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Json<AddRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    check_csrf(&headers, req.csrf.as_deref())?;
    Ok(accepted(&submit(state.jobs()?, &who, req.work()?)?))
}

async fn upload_api(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    parts: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let parts = parts.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    let work = read_upload(&state, &headers, parts).await?;
    Ok(accepted(&submit(state.jobs()?, &who, work)?))
}

async fn refresh_api(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: no body refreshes everything.
    let req: RefreshRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RefreshRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e))?
    };
    check_csrf(&headers, req.csrf.as_deref())?;
    Ok(accepted(&submit(state.jobs()?, &who, req.work())?))
}

async fn remove_api(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Json<RemoveRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::invalid("body", e.body_text()))?;
    check_csrf(&headers, req.csrf.as_deref())?;
    Ok(accepted(&submit(state.jobs()?, &who, req.work())?))
}

async fn jobs_api(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let jobs = state.jobs()?.list();
    Ok(Json(serde_json::json!({ "jobs": jobs })))
}

fn job_of(state: &AppState, id: &str) -> Result<Job, ApiError> {
    let n: u64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", format!("{id:?} is not a job number")))?;
    state.jobs()?.get(n)
}

async fn job_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    job_of(&state, &id).map(Json)
}

// ---- pages ----

/// A form's answer: to the job's page, or the admin page again with the error.
async fn after_form(
    state: &AppState,
    headers: &HeaderMap,
    result: Result<Job, ApiError>,
) -> Response {
    match result {
        Ok(job) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/admin/jobs/{}", job.id))],
        )
            .into_response(),
        Err(e) => admin_view(state, headers, Some(&e)).await,
    }
}

async fn add_form(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    axum::Form(req): axum::Form<AddRequest>,
) -> Response {
    let result = check_csrf(&headers, req.csrf.as_deref())
        .and_then(|()| req.work())
        .and_then(|w| submit(state.jobs()?, &who, w));
    after_form(&state, &headers, result).await
}

async fn upload_form(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    parts: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let result = match parts {
        Ok(parts) => read_upload(&state, &headers, parts).await,
        Err(e) => Err(ApiError::invalid("body", e.body_text())),
    };
    let result = result.and_then(|w| submit(state.jobs()?, &who, w));
    after_form(&state, &headers, result).await
}

async fn refresh_form(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RefreshRequest>,
) -> Response {
    let result = check_csrf(&headers, form.csrf.as_deref())
        .and_then(|()| submit(state.jobs()?, &who, form.work()));
    after_form(&state, &headers, result).await
}

async fn remove_form(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    axum::Form(req): axum::Form<RemoveRequest>,
) -> Response {
    let result = check_csrf(&headers, req.csrf.as_deref())
        .and_then(|()| submit(state.jobs()?, &who, req.work()));
    after_form(&state, &headers, result).await
}

async fn admin_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    admin_view(&state, &headers, None).await
}

fn state_badge(state: JobState) -> Markup {
    let word = match state {
        JobState::Queued => "queued",
        JobState::Running => "running",
        JobState::Done => "done",
        JobState::Failed => "failed",
    };
    html! { span class=(format!("badge job-{word}")) { (word) } }
}

fn progress(job: &Job) -> Markup {
    html! {
        @if job.finished() {
            (job.phase)
        } @else if job.total > 0 {
            progress #job-progress value=(job.done) max=(job.total) { (job.done) " of " (job.total) }
            " " span #job-phase { (job.phase) " " (job.done) " of " (job.total) }
        } @else {
            progress #job-progress {}
            " " span #job-phase { (job.phase) }
        }
    }
}

/// The fields naming a doc set, shared by the add and upload forms.
fn target_fields(prefix: &str) -> Markup {
    html! {
        div.target-fields {
            @for (field, label, example) in [("product", "Product", "cucm"), ("version", "Version", "v15"), ("doc_set", "Doc set", "security-guide")] {
                label for=(format!("{prefix}-{field}")) { (label) }
                input id=(format!("{prefix}-{field}")) name=(field) required placeholder=(example) autocomplete="off";
            }
        }
    }
}

/// The admin page, with `error` from a form shown at the top.
async fn admin_view(state: &AppState, headers: &HeaderMap, error: Option<&ApiError>) -> Response {
    let (tree, manifest) = match blocking(state, |e| Ok((e.library()?, e.store().manifest()?)))
        .await
    {
        Ok(t) => t,
        Err(e) => return crate::pages::error_page(e.status, "Something went wrong", &e.message),
    };
    let not_indexed: Vec<NotIndexed> = manifest
        .skipped
        .into_iter()
        .map(|k| NotIndexed {
            source: k.path,
            reason: k.reason,
        })
        .collect();
    let csrf = form_csrf(headers);
    let jobs = state.jobs().ok().map(|j| j.list());
    let status = error.map_or(StatusCode::OK, |e| e.status);
    let body = html! {
        section.admin {
            h1 { "Manage the library" }
            @if let Some(e) = error { p.error role="alert" { (e.message) } }
            @if jobs.is_none() {
                p.notice { "This server is read-only. Start it with " code { "--allow-write" } " to add, refresh and remove documents." }
            } @else {
                div.admin-forms {
                    form.panel method="post" action="/admin/add" {
                        h2 { "Add a manual from a URL" }
                        input type="hidden" name="csrf" value=(csrf);
                        label for="add-url" { "URL (PDF, HTML, Markdown or text)" }
                        input #add-url type="url" name="url" required placeholder="https://example.com/manual.pdf";
                        (target_fields("add"))
                        label.check { input type="checkbox" name="crawl"; " Crawl the site below this URL (robots.txt honoured)" }
                        label for="add-max-pages" { "Most pages to crawl" }
                        input #add-max-pages type="number" name="max_pages" min="1" max="100000" value="500";
                        button type="submit" { "Add" }
                    }
                    form.panel method="post" action="/admin/upload" enctype="multipart/form-data" {
                        h2 { "Upload files" }
                        input type="hidden" name="csrf" value=(csrf);
                        label for="upload-file" { "Files (PDF, HTML, Markdown or text)" }
                        input #upload-file type="file" name="file" multiple required accept=".pdf,.html,.htm,.md,.markdown,.txt,.text,.rst";
                        (target_fields("upload"))
                        button type="submit" { "Upload" }
                    }
                    form.panel method="post" action="/admin/refresh" {
                        h2 { "Refresh" }
                        p { "Fetch every document added from a URL again (conditional requests) and re-index what changed." }
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" { "Refresh now" }
                    }
                }
            }
            @if let Some(jobs) = &jobs {
                h2 { "Jobs" }
                @if jobs.is_empty() {
                    p { "No jobs since the server started." }
                } @else {
                    table.jobs {
                        thead { tr { th { "Job" } th { "Kind" } th { "What" } th { "By" } th { "State" } th { "Progress" } th { "Queued" } } }
                        tbody {
                            @for job in jobs.iter().take(50) {
                                tr {
                                    td { a href=(format!("/admin/jobs/{}", job.id)) { "#" (job.id) } }
                                    td { (job.kind) }
                                    td { (job.what) }
                                    td { (job.by) }
                                    td { (state_badge(job.state)) }
                                    td { @if job.finished() { (job.phase) } @else { (job.phase) @if job.total > 0 { " " (job.done) "/" (job.total) } } }
                                    td { (format_time(job.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
            @if !not_indexed.is_empty() {
                h2 { "Files not indexed" }
                p { "The last index update could not read these library files." }
                (not_indexed_table(&not_indexed, jobs.is_some().then_some(csrf.as_str())))
            }
            h2 { "Documents" }
            p.summary { (count(tree.documents, "document")) " in " (count(tree.products.len(), "product")) }
            @for p in &tree.products {
                @for v in &p.versions {
                    @for d in &v.doc_sets {
                        details.docset {
                            summary { (p.name) " " span.badge.version { (v.name) } " " (d.name) " " span.count { (count(d.documents.len(), "document")) } }
                            table.docs {
                                tbody {
                                    @for doc in &d.documents {
                                        tr {
                                            td { a href=(document_href(&doc.source)) { (doc.source) } }
                                            td.num { (count(doc.chunks as usize, "chunk")) }
                                            @if jobs.is_some() {
                                                td { (remove_button(&doc.source, &csrf)) }
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
    (status, layout("Manage the library", "", body)).into_response()
}

/// A form removing `source` (it asks first, with app.js).
fn remove_button(source: &str, csrf: &str) -> Markup {
    html! {
        form.remove method="post" action="/admin/remove" data-confirm=(format!("Remove {source} from the library and the index?")) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="source" value=(source);
            button type="submit" aria-label=(format!("Remove {source}")) { "Remove" }
        }
    }
}

/// Files the index could not read, each with a remove button when writes are allowed
/// (`csrf` given) and the file lies in a doc set.
fn not_indexed_table(files: &[NotIndexed], csrf: Option<&str>) -> Markup {
    html! {
        table.docs.not-indexed {
            thead { tr { th { "File" } th { "Why" } @if csrf.is_some() { th { span.visually-hidden { "Action" } } } } }
            tbody {
                @for f in files {
                    tr {
                        td { (f.source) }
                        td { (f.reason) }
                        @if let Some(csrf) = csrf {
                            td { @if mcdewey_core::DocPath::parse(&f.source).is_ok() { (remove_button(&f.source, csrf)) } }
                        }
                    }
                }
            }
        }
    }
}

async fn job_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let csrf = form_csrf(&headers);
    let job = match job_of(&state, &id) {
        Ok(j) => j,
        Err(e) => return crate::pages::error_page(e.status, "No such job", &e.message),
    };
    let title = format!("Job {}: {}", job.id, job.kind);
    let body = html! {
        section.job data-job=(job.id) data-state=(if job.finished() { "finished" } else { "running" }) {
            h1 { (title) " " (state_badge(job.state)) }
            p { (job.what) }
            p.meta { "Asked by " strong { (job.by) } " · queued " (format_time(job.created_at))
                @if let Some(t) = job.finished_at { " · finished " (format_time(t)) } }
            p.progress aria-live="polite" { (progress(&job)) }
            @if let Some(e) = &job.error { p.error role="alert" { (e) } }
            @if !job.documents.is_empty() {
                h2 { "Documents" }
                table.docs {
                    thead { tr { th { "Document" } th { "Status" } th { "From" } } }
                    tbody {
                        @for d in &job.documents {
                            tr {
                                td { @if d.status == "removed" || d.status == "failed" { (d.source) } @else { a href=(document_href(&d.source)) { (d.source) } } }
                                td { (d.status) @if let Some(e) = &d.error { ": " (e) } }
                                td { (d.url) }
                            }
                        }
                    }
                }
            }
            @if let Some(ix) = &job.index {
                h2 { "Index" }
                p { (count(ix.added.len(), "document")) " added, " (ix.changed.len()) " changed, " (ix.removed.len()) " removed · the library now holds "
                    (count(ix.documents, "document")) " and " (count(ix.chunks as usize, "chunk")) "." }
                @if !ix.skipped.is_empty() {
                    p.error role="alert" { "Not indexed (the file stays in the library until removed):" }
                    (not_indexed_table(&ix.skipped, state.jobs().is_ok().then_some(csrf.as_str())))
                }
            }
            p { a href="/admin" { "Back to Manage the library" } }
        }
    };
    layout(&title, "", body).into_response()
}
