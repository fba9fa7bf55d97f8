//! The MCP server: tools for agents to search the library and read cited chunks, served
//! over streamable HTTP at `/mcp` and over stdio (`mcdewey mcp`), with rmcp; on a
//! server that allows writes, admin tools too ([`admin`]).

mod admin;

use crate::api::{chunk_view, context_view, ChunkView, MAX_CONTEXT};
use crate::{AppState, EngineHandle};
use mcdewey_search::{
    AlsoIn, Citation, Engine, LibraryTree, MatchLevel, Mode, Quoted, SearchError, SearchRequest,
    Understood,
};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::schema_for_type;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::RoleServer;
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Arguments of `search_docs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// What to look for: a question in plain words, a CLI command, an error message,
    /// a parameter name. Words in double quotes ("CTL file") are looked for as
    /// written: passages holding them come first.
    #[schemars(length(min = 1, max = 2000))]
    pub query: String,
    /// Only this product (folder name, e.g. "cucm"); see list_library.
    pub product: Option<String>,
    /// Only this version: folder name ("v12.5.1su1"), the release as written
    /// ("12.5(1)SU1"), or "latest" for the newest release of each product.
    pub version: Option<String>,
    /// Only this doc set (folder name, e.g. "security-guide").
    pub doc_set: Option<String>,
    /// Number of results, 1-20 (default 5).
    #[schemars(with = "Option<u8>", range(min = 1, max = 20))]
    pub limit: Option<serde_json::Value>,
    /// "hybrid" (default: keywords and meaning), "bm25" (exact keywords) or "vector"
    /// (meaning only).
    #[schemars(with = "Option<Mode>")]
    pub mode: Option<serde_json::Value>,
    /// false: take the query as written, without steering to a release or product
    /// named in it (use it when the "Understood:" line guessed wrong).
    pub understand: Option<bool>,
}

/// Arguments of `get_chunk`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ChunkArgs {
    /// Chunk id from search_docs, "product::version::doc-set::file-stem::ordinal".
    pub chunk_id: String,
}

/// Arguments of `get_context`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ContextArgs {
    /// Chunk id from search_docs.
    pub chunk_id: String,
    /// Chunks before it, 0-20 (default 2).
    #[schemars(with = "Option<u8>", range(min = 0, max = 20))]
    pub before: Option<serde_json::Value>,
    /// Chunks after it, 0-20 (default 2).
    #[schemars(with = "Option<u8>", range(min = 0, max = 20))]
    pub after: Option<serde_json::Value>,
}

/// Arguments of `compare_versions`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CompareArgs {
    /// Product folder (e.g. "cucm"); see list_library.
    pub product: String,
    /// The older release: folder name ("v12.5.1") or as written ("12.5(1)").
    pub from: String,
    /// The newer release.
    pub to: String,
    /// What changed about this: searched in both releases, each passage paired with
    /// its counterpart and diffed. Leave out for a summary of every changed section.
    #[schemars(length(max = 2000))]
    pub query: Option<String>,
    /// One section: a chunk id of either release, or words of its heading.
    pub section: Option<String>,
    /// Only this doc set.
    pub doc_set: Option<String>,
    /// Passages per release a query looks at, 1-20 (default 5).
    #[schemars(with = "Option<u8>", range(min = 1, max = 20))]
    pub limit: Option<serde_json::Value>,
}

/// Sections a `compare_versions` answer lists at most (the counts cover all).
const COMPARE_SECTIONS: usize = 40;
/// Characters of each section's diff in `compare_versions` text.
const COMPARE_DIFF_CHARS: usize = 1_200;

/// Arguments of `list_library`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LibraryArgs {
    /// Only this product.
    pub product: Option<String>,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// Stable chunk id (for get_chunk / get_context).
    pub chunk_id: String,
    /// Where it comes from.
    pub citation: Citation,
    /// How well it matches the query: strong, partial or weak.
    #[serde(rename = "match")]
    pub match_level: MatchLevel,
    /// The same passage in other releases, with their chunk ids and pages.
    pub also_in: Vec<AlsoIn>,
    /// The passage as other releases word it (partly changed): compare_versions with
    /// `section` set to this chunk id shows the diff.
    pub differs_in: Vec<AlsoIn>,
    /// The passage.
    pub text: String,
}

/// What `search_docs` returns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SearchOutput {
    /// The query.
    pub query: String,
    /// A release or product recognised in the query, and whether it steered ranking.
    pub understood: Option<Understood>,
    /// True when no passage is a strong match and the first is weak: the library has
    /// nothing close.
    pub no_close_match: bool,
    /// Words the query put in double quotes, and how many hits hold them as written
    /// (those come first).
    pub quoted: Option<Quoted>,
    /// Hits, best first.
    pub results: Vec<Hit>,
}

/// What `get_chunk` returns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ChunkOutput {
    /// Stable chunk id.
    pub chunk_id: String,
    /// Where it comes from.
    pub citation: Citation,
    /// The passage.
    pub text: String,
    /// Previous chunk id in the document, if any.
    pub previous: Option<String>,
    /// Next chunk id in the document, if any.
    pub next: Option<String>,
}

/// What `get_context` returns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ContextOutput {
    /// The chunk asked about.
    pub chunk_id: String,
    /// The neighbouring chunks in document order, the one asked about included.
    pub chunks: Vec<ChunkOutput>,
}

/// A product in `list_library`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ProductOutput {
    /// Folder name (the `product` filter).
    pub product: String,
    /// Versions, oldest to newest.
    pub versions: Vec<VersionOutput>,
}

/// A version in `list_library`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VersionOutput {
    /// Folder name (the `version` filter).
    pub version: String,
    /// Doc sets with their document counts.
    pub doc_sets: Vec<DocSetOutput>,
}

/// A doc set in `list_library`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DocSetOutput {
    /// Folder name (the `doc_set` filter).
    pub doc_set: String,
    /// Documents in it.
    pub documents: usize,
    /// Chunks in it.
    pub chunks: u64,
}

/// What `list_library` returns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LibraryOutput {
    /// Products.
    pub products: Vec<ProductOutput>,
}

fn chunk_output(v: ChunkView) -> ChunkOutput {
    ChunkOutput {
        chunk_id: v.chunk_id.clone(),
        citation: v.citation.clone(),
        previous: v.previous.clone(),
        next: v.next.clone(),
        text: v.text,
    }
}

/// "cucm v15 · security-guide/security-guide.md · p. 147 · Phone Security › Overview".
fn cite_line(c: &Citation) -> String {
    let mut parts = vec![format!("{} {}", c.product, c.version), c.source.clone()];
    parts.extend(c.page_text());
    if !c.heading.is_empty() {
        parts.push(c.heading_path());
    }
    parts.join(" · ")
}

/// "Understood: release v15 (from "CUCM 15"); ranking favours it. Pass version to …"
fn understood_line(u: &Understood) -> Option<String> {
    let note = u.not_in_library_note();
    if u.only_a_note() {
        return note;
    }
    let line = understood_what(u);
    Some(match note {
        Some(note) => format!("{line} {note}"),
        None => line,
    })
}

fn understood_what(u: &Understood) -> String {
    let what = u.what();
    if u.applied {
        format!(
            "Understood: {what} (from {:?}); results from it rank first. Pass version (or product) explicitly to search elsewhere, or understand: false to take the query as written.",
            u.phrase
        )
    } else {
        format!(
            "Understood: {what} (from {:?}), but the explicit filter decides.",
            u.phrase
        )
    }
}

fn tool_error(e: SearchError) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("{}: {e}", e.code()))])
}

fn structured<T: Serialize>(value: &T, text: String) -> CallToolResult {
    let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
    r.structured_content = serde_json::to_value(value).ok();
    r
}

fn library_output(tree: &LibraryTree, product: Option<&str>) -> LibraryOutput {
    LibraryOutput {
        products: tree
            .products
            .iter()
            .filter(|p| product.is_none_or(|want| want == p.name))
            .map(|p| ProductOutput {
                product: p.name.clone(),
                versions: p
                    .versions
                    .iter()
                    .map(|v| VersionOutput {
                        version: v.name.clone(),
                        doc_sets: v
                            .doc_sets
                            .iter()
                            .map(|d| DocSetOutput {
                                doc_set: d.name.clone(),
                                documents: d.documents.len(),
                                chunks: d.chunks,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// One line per product: "cucm: v12.5.1, v12.5.1su1, … (doc sets: security-guide)".
fn library_summary(tree: &LibraryTree) -> String {
    tree.products
        .iter()
        .map(|p| {
            let mut sets: Vec<&str> = p
                .versions
                .iter()
                .flat_map(|v| v.doc_sets.iter().map(|d| d.name.as_str()))
                .collect();
            sets.sort();
            sets.dedup();
            format!(
                "{}: versions {} (doc sets: {})",
                p.name,
                p.versions
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                sets.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The MCP service over the engine being served.
#[derive(Clone)]
pub struct McdeweyMcp {
    engine: EngineHandle,
    jobs: Option<Arc<crate::jobs::Jobs>>,
    tool_router: ToolRouter<Self>,
}

async fn run<T: Send + 'static>(
    engine: &EngineHandle,
    f: impl FnOnce(&Engine) -> Result<T, SearchError> + Send + 'static,
) -> Result<Result<T, SearchError>, ErrorData> {
    let engine = engine.current();
    tokio::task::spawn_blocking(move || f(&engine))
        .await
        .map_err(|e| ErrorData::internal_error(format!("worker failed: {e}"), None))
}

#[tool_router(router = tool_router)]
impl McdeweyMcp {
    /// The service; tool descriptions name the products and versions the library holds.
    pub fn new(engine: EngineHandle) -> McdeweyMcp {
        McdeweyMcp::serving(engine, None)
    }

    /// The service, with the admin tools when `jobs` is given (writes allowed).
    pub(crate) fn serving(
        engine: EngineHandle,
        jobs: Option<Arc<crate::jobs::Jobs>>,
    ) -> McdeweyMcp {
        let mut tool_router = Self::tool_router() + admin::router(jobs.as_ref());
        if let Ok(tree) = engine.current().library() {
            if let Some(route) = tool_router.map.get_mut("search_docs") {
                let base = route.attr.description.clone().unwrap_or_default();
                route.attr.description =
                    Some(format!("{base} This library holds: {}.", library_summary(&tree)).into());
            }
        }
        McdeweyMcp {
            engine,
            jobs,
            tool_router,
        }
    }

    /// Search the vendor documentation library (hybrid keyword + semantic search) and
    /// get ranked passages with exact citations: source document, product, version,
    /// printed page and heading path. Use it first for any question about the products
    /// in the library; filter by product / version / doc_set when the user names a
    /// release, and cite the page and source in your answer. Follow up with get_context
    /// to read around a hit.
    #[tool(output_schema = schema_for_type::<SearchOutput>())]
    pub async fn search_docs(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let limit = match whole("limit", args.limit.as_ref(), 5, 1..=20) {
            Ok(n) => n,
            Err(e) => return Ok(invalid(e)),
        };
        let mode = match args.mode.as_ref().map(|m| match m.as_str() {
            Some(name) => name
                .parse::<Mode>()
                .map_err(|e| format!("{}: {e}", e.code())),
            None => Err(format!(
                "invalid_argument: mode: {} is not one of \"hybrid\", \"bm25\", \"vector\"",
                shown(m)
            )),
        }) {
            None => None,
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => return Ok(invalid(e)),
        };
        let req = SearchRequest {
            query: args.query,
            product: args.product,
            version: args.version,
            doc_set: args.doc_set,
            limit: Some(limit as usize),
            mode,
            understand: args.understand,
        };
        let response = match run(&self.engine, move |e| e.search(&req)).await? {
            Ok(r) => r,
            Err(e) => return Ok(tool_error(e)),
        };
        let results: Vec<Hit> = response
            .results
            .into_iter()
            .map(|r| Hit {
                rank: r.rank,
                chunk_id: r.chunk_id,
                citation: r.citation,
                match_level: r.match_level,
                also_in: r.also_in,
                differs_in: r.differs_in,
                text: r.text,
            })
            .collect();
        let mut text = format!("{} results for {:?}\n", results.len(), response.query);
        if let Some(line) = response.understood.as_ref().and_then(understood_line) {
            text.push_str(&format!("{line}\n"));
        }
        if let Some(note) = response.quoted.as_ref().and_then(|q| q.note()) {
            text.push_str(&format!("{note}\n"));
        }
        if response.no_close_match && !results.is_empty() {
            text.push_str(
                "No close match: nothing in the library matches this query well; the passages \
                 below share only a few words or little meaning with it. Say so rather than \
                 answer from them, or try other words.\n",
            );
        }
        for h in &results {
            text.push_str(&format!(
                "\n[{}] {} · match: {}\nchunk_id: {}\n",
                h.rank,
                cite_line(&h.citation),
                h.match_level.as_str(),
                h.chunk_id,
            ));
            if !h.also_in.is_empty() {
                let others: Vec<String> = h
                    .also_in
                    .iter()
                    .map(|a| {
                        let mut s =
                            format!("{} {}", h.citation.member_name(&a.citation), a.chunk_id);
                        if let Some(p) = a.citation.page_text() {
                            s.push_str(&format!(" ({p})"));
                        }
                        s
                    })
                    .collect();
                text.push_str(&format!("also in: {}\n", others.join("; ")));
            }
            if !h.differs_in.is_empty() {
                let others: Vec<String> = h
                    .differs_in
                    .iter()
                    .map(|a| format!("{} {}", a.citation.version, a.chunk_id))
                    .collect();
                text.push_str(&format!(
                    "differs in: {} (compare_versions with section={:?} shows the diff)\n",
                    others.join("; "),
                    h.chunk_id
                ));
            }
            text.push_str(&format!("{}\n", h.text));
        }
        if results.is_empty() {
            text.push_str("No passage matched; try other words or fewer filters.\n");
        }
        let out = SearchOutput {
            query: response.query,
            understood: response.understood,
            no_close_match: response.no_close_match,
            quoted: response.quoted,
            results,
        };
        Ok(structured(&out, text))
    }

    /// Get one chunk (passage) by its chunk_id, with its citation and the ids of the
    /// chunks before and after it.
    #[tool(output_schema = schema_for_type::<ChunkOutput>())]
    pub async fn get_chunk(
        &self,
        Parameters(args): Parameters<ChunkArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let id = args.chunk_id;
        match run(&self.engine, move |e| chunk_view(e, &id)).await? {
            Ok(v) => {
                let out = chunk_output(v);
                // The ids before and after, as the tool's description promises, so an
                // agent reading only the text can walk the document.
                let mut text =
                    format!("{}\nchunk_id: {}\n", cite_line(&out.citation), out.chunk_id);
                if let Some(p) = &out.previous {
                    text.push_str(&format!("previous: {p}\n"));
                }
                if let Some(n) = &out.next {
                    text.push_str(&format!("next: {n}\n"));
                }
                text.push_str(&format!("\n{}", out.text));
                Ok(structured(&out, text))
            }
            Err(e) => Ok(tool_error(e)),
        }
    }

    /// Read around a chunk: the neighbouring chunks in document order (default two
    /// before and two after), to see the full procedure or table a hit belongs to.
    #[tool(output_schema = schema_for_type::<ContextOutput>())]
    pub async fn get_context(
        &self,
        Parameters(args): Parameters<ContextArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (before, after) = match (
            whole("before", args.before.as_ref(), 2, 0..=MAX_CONTEXT),
            whole("after", args.after.as_ref(), 2, 0..=MAX_CONTEXT),
        ) {
            (Ok(b), Ok(a)) => (b, a),
            (Err(e), _) | (_, Err(e)) => return Ok(invalid(e)),
        };
        let id = args.chunk_id;
        match run(&self.engine, move |e| context_view(e, &id, before, after)).await? {
            Ok(v) => {
                let out = ContextOutput {
                    chunk_id: v.chunk_id,
                    chunks: v.chunks.into_iter().map(chunk_output).collect(),
                };
                let mut text = String::new();
                for c in &out.chunks {
                    let marker = if c.chunk_id == out.chunk_id {
                        " (asked)"
                    } else {
                        ""
                    };
                    text.push_str(&format!(
                        "--- {}{marker}\n{}\n{}\n\n",
                        c.chunk_id,
                        cite_line(&c.citation),
                        c.text
                    ));
                }
                Ok(structured(&out, text))
            }
            Err(e) => Ok(tool_error(e)),
        }
    }

    /// Compare two releases of a product: what changed, section by section, cited on
    /// both sides (source, page, chunk ids). Use it when the user asks what changed,
    /// what is new or different between releases, or whether something still holds
    /// after an upgrade. With `query` ("CTL file update"), only the passages about it,
    /// each marked unchanged / changed (with a word diff) / added (only in `to`) /
    /// removed (only in `from`); without, a summary of every changed, moved, added and
    /// removed section (at most 40 listed; counts cover all). `section` (a chunk id or
    /// heading words) gives one section's diff.
    #[tool(output_schema = schema_for_type::<mcdewey_search::Comparison>())]
    pub async fn compare_versions(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let limit = match whole("limit", args.limit.as_ref(), 5, 1..=20) {
            Ok(n) => n as usize,
            Err(e) => return Ok(invalid(e)),
        };
        let req = mcdewey_search::CompareRequest {
            product: args.product,
            from: args.from,
            to: args.to,
            doc_set: args.doc_set,
            query: args.query,
            section: args.section,
            all: false,
            limit: Some(limit),
        };
        let mut comparison = match run(&self.engine, move |e| e.compare(&req)).await? {
            Ok(c) => c,
            Err(e) => return Ok(tool_error(e)),
        };
        let text = comparison.text(COMPARE_SECTIONS, COMPARE_DIFF_CHARS);
        comparison.sections.truncate(COMPARE_SECTIONS);
        Ok(structured(&comparison, text))
    }

    /// List what the library holds: products, their versions (oldest to newest), doc
    /// sets and document counts. Use it to pick product / version / doc_set filters.
    #[tool(output_schema = schema_for_type::<LibraryOutput>())]
    pub async fn list_library(
        &self,
        Parameters(args): Parameters<LibraryArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let tree = match run(&self.engine, |e| e.library()).await? {
            Ok(t) => t,
            Err(e) => return Ok(tool_error(e)),
        };
        if let Some(p) = &args.product {
            if !tree.products.iter().any(|n| &n.name == p) {
                return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                    "unknown_filter: no product {p:?}; known: {}",
                    tree.products
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))]));
            }
        }
        let out = library_output(&tree, args.product.as_deref());
        let mut text = String::new();
        for p in &out.products {
            text.push_str(&format!("{}\n", p.product));
            for v in &p.versions {
                let sets: Vec<String> = v
                    .doc_sets
                    .iter()
                    .map(|d| {
                        format!(
                            "{} ({})",
                            d.doc_set,
                            crate::pages::count(d.documents, "document")
                        )
                    })
                    .collect();
                text.push_str(&format!("  {}: {}\n", v.version, sets.join(", ")));
            }
        }
        Ok(structured(&out, text))
    }
}

/// URI prefix of documents served as MCP resources.
pub const DOC_URI: &str = "mcdewey://doc/";

#[tool_handler(router = self.tool_router)]
impl ServerHandler for McdeweyMcp {
    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let tree = run(&self.engine, |e| e.library())
            .await?
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        let mut resources = Vec::new();
        for p in &tree.products {
            for v in &p.versions {
                for d in &v.doc_sets {
                    for doc in &d.documents {
                        resources.push(
                            Resource::new(format!("{DOC_URI}{}", doc.source), doc.source.clone())
                                .with_title(format!("{} {} · {}", p.name, v.name, doc.source))
                                .with_description(format!(
                                    "{} {} {} document, {} chunks; search it with search_docs",
                                    p.name, v.name, d.name, doc.chunks
                                ))
                                .with_mime_type("text/markdown"),
                        );
                    }
                }
            }
        }
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let Some(source) = uri.strip_prefix(DOC_URI).map(str::to_string) else {
            return Err(ErrorData::resource_not_found(
                format!("{uri}: McDewey resources are {DOC_URI}<source>; see resources/list"),
                None,
            ));
        };
        let (_, chunks) = run(&self.engine, move |e| e.document(&source))
            .await?
            .map_err(|e| ErrorData::resource_not_found(e.to_string(), None))?;
        let text = chunks
            .iter()
            .map(|c| {
                if c.raw.trim().is_empty() {
                    c.text.as_str()
                } else {
                    c.raw.as_str()
                }
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type("text/markdown")
        ])
        .into())
    }

    fn get_info(&self) -> ServerConfig {
        let summary = self
            .engine
            .current()
            .library()
            .map(|t| library_summary(&t))
            .unwrap_or_default();
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(
            Implementation::new("mcdewey", env!("CARGO_PKG_VERSION"))
                .with_title("McDewey documentation library"),
        )
        .with_instructions(format!(
            "McDewey searches vendor documentation (manuals by product and release) and cites \
                 every passage with source, version and printed page. Call search_docs with the \
                 user's question; add version when they name a release. Cite page and source. \
                 Library: {summary}."
        ))
    }
}

/// The streamable-HTTP MCP service mounted at `/mcp`, behind [`guarded`].
pub(crate) fn http_endpoint(state: AppState) -> axum::routing::MethodRouter<AppState> {
    let (engine, jobs) = (state.engine.clone(), state.jobs.clone());
    let sessions = Arc::new(LocalSessionManager::default());
    let service = StreamableHttpService::new(
        move || Ok(McdeweyMcp::serving(engine.clone(), jobs.clone())),
        sessions.clone(),
        // Host and Origin are checked by the server's gate, like every other route's.
        StreamableHttpServerConfig::default()
            .disable_allowed_hosts()
            .with_max_request_body_bytes(crate::MAX_BODY_BYTES),
    );
    axum::routing::any(move |req: axum::extract::Request| {
        let (service, sessions) = (service.clone(), sessions.clone());
        async move { guarded(&service, &sessions, req).await }
    })
}

/// Answers what rmcp's transport answers outside JSON-RPC, as the MCP specification
/// asks: a body that is not JSON is `400` with a JSON-RPC parse error (-32700), a
/// batch (an array, dropped from MCP in 2025-06-18) is `400` with an invalid-request
/// error (-32600), a DELETE of a session the server does not hold is `404` (and of
/// one it holds `200`); everything else goes to rmcp.
async fn guarded(
    service: &StreamableHttpService<McdeweyMcp, LocalSessionManager>,
    sessions: &LocalSessionManager,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::{header, Method, StatusCode};
    use axum::response::IntoResponse;
    let json_body = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let req = match *req.method() {
        Method::POST if json_body => {
            let (parts, body) = req.into_parts();
            let bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
                Ok(b) => b,
                Err(_) => {
                    return rpc_error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        -32600,
                        format!("Invalid Request: body over {} bytes", crate::MAX_BODY_BYTES),
                    )
                }
            };
            match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Err(e) => {
                    return rpc_error(StatusCode::BAD_REQUEST, -32700, format!("Parse error: {e}"))
                }
                Ok(serde_json::Value::Array(_)) => {
                    return rpc_error(
                        StatusCode::BAD_REQUEST,
                        -32600,
                        "Invalid Request: JSON-RPC batches are not part of MCP since \
                         2025-06-18; send one message per request"
                            .into(),
                    )
                }
                Ok(_) => axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)),
            }
        }
        Method::DELETE => {
            let id = req
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
                .map(|v| Arc::<str>::from(v.to_string()));
            if let Some(id) = id {
                if !sessions.sessions.read().await.contains_key(&id) {
                    return rpc_error(
                        StatusCode::NOT_FOUND,
                        -32600,
                        "Invalid Request: no such session (it ended or never existed)".into(),
                    );
                }
            }
            req
        }
        _ => req,
    };
    let deleting = req.method() == Method::DELETE;
    let mut response = service.handle(req).await.into_response();
    if deleting && response.status() == StatusCode::ACCEPTED {
        // A session ended: 200, which the official SDKs expect (they log 202 as a
        // failed termination).
        *response.status_mut() = StatusCode::OK;
    }
    response
}

/// A whole-number argument within `range` (`default` when absent), or the documented
/// `invalid_argument: <field>: …` text for a wrong type or value.
fn whole(
    field: &str,
    value: Option<&serde_json::Value>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, String> {
    let Some(v) = value.filter(|v| !v.is_null()) else {
        return Ok(default);
    };
    match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
        Some(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "invalid_argument: {field}: {} is not a whole number from {} to {}",
            shown(v),
            range.start(),
            range.end()
        )),
    }
}

/// A JSON value as an error message quotes it ([`mcdewey_core::shorten`]).
fn shown(v: &serde_json::Value) -> String {
    mcdewey_core::shorten(&v.to_string(), 40)
}

/// A tool result that is an error with this text.
fn invalid(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// A JSON-RPC error response without an id, with an HTTP status.
fn rpc_error(
    status: axum::http::StatusCode,
    code: i32,
    message: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    });
    (status, axum::Json(body)).into_response()
}

/// Serves MCP over standard input and output until the client closes it.
pub async fn serve_stdio(engine: EngineHandle) -> Result<(), std::io::Error> {
    let service = McdeweyMcp::new(engine)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    service
        .waiting()
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(())
}
