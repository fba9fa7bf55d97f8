//! MCP tools for admins, offered only by a server started with `--allow-write`:
//! `add_source`, `refresh_source`, `remove_document` and `list_jobs`. Each call must
//! come with an admin token; a change is a job (as on the admin page), answered at once
//! with its number, and `list_jobs` follows it (waiting for it, if asked).

use super::{invalid, whole, McdeweyMcp};
use crate::admin::{submit, AddRequest, RefreshRequest, RemoveRequest};
use crate::jobs::{Job, Jobs};
use crate::{ApiError, Principal, Role};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Extensions};
use rmcp::{tool, tool_router, ErrorData};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// The admin tools' names.
pub(crate) const ADMIN_TOOLS: [&str; 4] = [
    "add_source",
    "refresh_source",
    "remove_document",
    "list_jobs",
];

/// Longest `list_jobs` waits for a job, in seconds.
const MAX_WAIT_SECONDS: u32 = 120;

/// Arguments of `add_source`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddSourceArgs {
    /// The manual's URL: a PDF, HTML, Markdown or text document (http or https).
    pub url: String,
    /// Product folder to file it under (e.g. "cucm"); see list_library.
    pub product: String,
    /// Version folder (e.g. "v15").
    pub version: String,
    /// Doc-set folder (e.g. "security-guide").
    pub doc_set: String,
    /// File name in the doc set (default: the URL's last path segment).
    pub name: Option<String>,
    /// true: crawl the documentation site below the URL (robots.txt honoured, same
    /// folder only) instead of fetching one document.
    pub crawl: Option<bool>,
    /// With crawl: most pages saved, 1-100000 (default 500).
    #[schemars(with = "Option<u32>", range(min = 1, max = 100000))]
    pub max_pages: Option<serde_json::Value>,
}

/// Arguments of `refresh_source`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RefreshSourceArgs {
    /// Only the documents added from this URL, or below this library path ("cucm/v15");
    /// leave out to refresh every document added from a URL.
    pub scope: Option<String>,
}

/// Arguments of `remove_document`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RemoveDocumentArgs {
    /// The document's source path, "product/version/doc-set/file" (as search_docs and
    /// list_library cite it).
    pub source: String,
}

/// Arguments of `list_jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListJobsArgs {
    /// One job's number (from add_source, refresh_source or remove_document).
    #[schemars(with = "Option<u64>")]
    pub id: Option<serde_json::Value>,
    /// With id: wait up to this many seconds (0-120) for the job to finish.
    #[schemars(with = "Option<u32>", range(min = 0, max = 120))]
    pub wait_seconds: Option<serde_json::Value>,
}

/// One line about a job.
fn job_line(j: &Job) -> String {
    let mut line = format!(
        "job {} ({}) {} by {}: {}",
        j.id,
        j.kind,
        serde_json::to_value(j.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        j.by,
        j.what
    );
    if !j.finished() {
        line.push_str(&format!(" — {}", j.phase));
        if j.total > 0 {
            line.push_str(&format!(" {}/{}", j.done, j.total));
        }
    }
    line
}

/// A job in full, as text.
fn job_text(j: &Job) -> String {
    let mut text = job_line(j) + "\n";
    for d in &j.documents {
        text.push_str(&format!("  {} {}", d.status, d.source));
        if let Some(e) = &d.error {
            text.push_str(&format!(" ({e})"));
        }
        text.push('\n');
    }
    if let Some(ix) = &j.index {
        text.push_str(&format!(
            "index: {} added, {} changed, {} removed; {} documents, {} chunks\n",
            ix.added.len(),
            ix.changed.len(),
            ix.removed.len(),
            ix.documents,
            ix.chunks
        ));
        for s in &ix.skipped {
            text.push_str(&format!("  not indexed: {}: {}\n", s.source, s.reason));
        }
    }
    if let Some(e) = &j.error {
        text.push_str(&format!("error: {e}\n"));
    }
    if !j.finished() {
        text.push_str(&format!(
            "Follow it with list_jobs {{\"id\": {}, \"wait_seconds\": 60}}.\n",
            j.id
        ));
    }
    text
}

fn api_error(e: ApiError) -> CallToolResult {
    invalid(format!("{}: {}", e.code, e.message))
}

fn queued(result: Result<Job, ApiError>) -> CallToolResult {
    match result {
        Ok(job) => super::structured(&job, job_text(&job)),
        Err(e) => api_error(e),
    }
}

impl McdeweyMcp {
    /// The jobs and the caller, when the caller is an admin; else the tool error.
    fn admin(&self, ext: &Extensions) -> Result<(Arc<Jobs>, Principal), CallToolResult> {
        let Some(jobs) = self.jobs.clone() else {
            return Err(api_error(ApiError::new(
                "writes_disabled",
                "this server is read-only: start it with --allow-write".into(),
            )));
        };
        let who = ext
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<Principal>())
            .cloned();
        match who {
            Some(p) if p.role == Role::Admin => Ok((jobs, p)),
            Some(p) => Err(api_error(ApiError::new(
                "forbidden",
                format!(
                    "token {:?} has the read role; this tool needs an admin token",
                    p.name
                ),
            ))),
            None => Err(api_error(ApiError::new(
                "forbidden",
                "this tool needs an admin token (Authorization: Bearer …)".into(),
            ))),
        }
    }
}

#[tool_router(router = admin_router, vis = "pub(crate)")]
impl McdeweyMcp {
    /// (Admins) Add a manual to the library from a URL — one PDF, HTML, Markdown or
    /// text document, or with crawl=true a documentation site below the URL — filed as
    /// product / version / doc_set. Runs as a job: the answer gives its number at once;
    /// follow it with list_jobs. Addresses on the server's own network are refused.
    #[tool]
    pub async fn add_source(
        &self,
        Parameters(args): Parameters<AddSourceArgs>,
        ext: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let (jobs, who) = match self.admin(&ext) {
            Ok(a) => a,
            Err(e) => return Ok(e),
        };
        let req = AddRequest {
            url: Some(args.url),
            product: Some(args.product),
            version: Some(args.version),
            doc_set: Some(args.doc_set),
            name: args.name,
            crawl: args.crawl.map(serde_json::Value::Bool),
            max_pages: args.max_pages,
            ..AddRequest::default()
        };
        Ok(queued(req.work().and_then(|w| submit(&jobs, &who, w))))
    }

    /// (Admins) Fetch documents added from a URL again (conditional requests) and
    /// re-index what changed: all of them, or those of one URL or library path. Runs
    /// as a job; follow it with list_jobs.
    #[tool]
    pub async fn refresh_source(
        &self,
        Parameters(args): Parameters<RefreshSourceArgs>,
        ext: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let (jobs, who) = match self.admin(&ext) {
            Ok(a) => a,
            Err(e) => return Ok(e),
        };
        let req = RefreshRequest {
            scope: args.scope,
            csrf: None,
        };
        Ok(queued(submit(&jobs, &who, req.work())))
    }

    /// (Admins) Remove a document from the library and the index, by its source path.
    /// Runs as a job; follow it with list_jobs.
    #[tool]
    pub async fn remove_document(
        &self,
        Parameters(args): Parameters<RemoveDocumentArgs>,
        ext: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let (jobs, who) = match self.admin(&ext) {
            Ok(a) => a,
            Err(e) => return Ok(e),
        };
        let req = RemoveRequest {
            source: Some(args.source),
            csrf: None,
        };
        Ok(queued(submit(&jobs, &who, req.work())))
    }

    /// (Admins) The jobs that added, refreshed or removed documents since the server
    /// started, newest first — or one job in full (its documents, what the index
    /// update did, any error), optionally waiting for it to finish.
    #[tool]
    pub async fn list_jobs(
        &self,
        Parameters(args): Parameters<ListJobsArgs>,
        ext: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let (jobs, _) = match self.admin(&ext) {
            Ok(a) => a,
            Err(e) => return Ok(e),
        };
        let id = match args.id.as_ref().filter(|v| !v.is_null()) {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n) => Some(n),
                None => {
                    return Ok(invalid(format!(
                        "invalid_argument: id: {} is not a job number",
                        super::shown(v)
                    )))
                }
            },
        };
        let wait = match whole(
            "wait_seconds",
            args.wait_seconds.as_ref(),
            0,
            0..=MAX_WAIT_SECONDS,
        ) {
            Ok(w) => w,
            Err(e) => return Ok(invalid(e)),
        };
        let Some(id) = id else {
            let list = jobs.list();
            let mut text = if list.is_empty() {
                "No jobs since the server started.\n".to_string()
            } else {
                String::new()
            };
            for j in &list {
                text.push_str(&job_line(j));
                text.push('\n');
            }
            return Ok(super::structured(
                &serde_json::json!({ "jobs": list }),
                text,
            ));
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait.into());
        loop {
            let job = match jobs.get(id) {
                Ok(job) => job,
                Err(e) => return Ok(api_error(e)),
            };
            if job.finished() || std::time::Instant::now() >= deadline {
                return Ok(super::structured(&job, job_text(&job)));
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

/// The admin tools, for a server with `jobs`; none without.
pub(crate) fn router(jobs: Option<&Arc<Jobs>>) -> ToolRouter<McdeweyMcp> {
    let mut router = McdeweyMcp::admin_router();
    if jobs.is_none() {
        for name in ADMIN_TOOLS {
            router.remove_route(name);
        }
    }
    router
}
