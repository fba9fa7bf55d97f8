//! The JSON API under `/api`. Handlers parse and check parameters, call the engine off
//! the runtime and return the engine's types as JSON.

use crate::{blocking, Access, ApiError, AppState, RouteDef};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Json;
use mcdewey_search::{Chunk, Citation, LibraryTree, Mode, SearchRequest, SearchResponse};
use serde::{Deserialize, Serialize};

/// Parameters of `GET /api/search` (all strings, checked here so errors name the field).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    pub q: Option<String>,
    pub query: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub doc_set: Option<String>,
    pub limit: Option<String>,
    pub mode: Option<String>,
    pub understand: Option<String>,
}

impl SearchParams {
    /// The query as given, in `q` or `query` (empty when neither).
    pub(crate) fn query_text(&self) -> String {
        self.q
            .clone()
            .or_else(|| self.query.clone())
            .unwrap_or_default()
    }

    /// The engine request these parameters ask for.
    pub(crate) fn to_request(&self) -> Result<SearchRequest, ApiError> {
        let query = self.query_text();
        let limit =
            match self
                .limit
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => None,
                Some(s) => Some(s.parse::<usize>().map_err(|_| {
                    ApiError::invalid("limit", format!("{s:?} is not a whole number"))
                })?),
            };
        let mode = match self
            .mode
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(m) => Some(m.parse::<Mode>().map_err(ApiError::from)?),
        };
        let understand = flag("understand", self.understand.as_deref())?;
        let opt = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(SearchRequest {
            query,
            product: opt(&self.product),
            version: opt(&self.version),
            doc_set: opt(&self.doc_set),
            limit,
            mode,
            understand,
        })
    }
}

/// A chunk with its full citation, as the API and MCP tools return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChunkView {
    /// Stable id `product::version::doc-set::file-stem::ordinal`.
    pub chunk_id: String,
    /// Where it comes from.
    #[serde(flatten)]
    pub citation: Citation,
    /// The chunk text.
    pub text: String,
    /// First and last line of the chunk in the source file.
    pub lines: [u32; 2],
    /// Id of the chunk before, if any.
    pub previous: Option<String>,
    /// Id of the chunk after, if any (null for the last chunk).
    pub next: Option<String>,
}

impl ChunkView {
    /// The view of a chunk of a document with `count` chunks.
    pub fn new(chunk: Chunk, count: Option<u32>) -> ChunkView {
        let previous = chunk.id.offset(-1).map(|c| c.to_string());
        let next = match count {
            Some(n) if chunk.id.ordinal + 1 >= n => None,
            _ => chunk.id.offset(1).map(|c| c.to_string()),
        };
        ChunkView {
            chunk_id: chunk.id.to_string(),
            citation: Citation::of(&chunk),
            text: chunk.text,
            lines: [chunk.location.line_start, chunk.location.line_end],
            previous,
            next,
        }
    }
}

/// Neighbouring chunks in document order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContextView {
    /// The chunk asked about.
    pub chunk_id: String,
    /// The chunks, in document order (the one asked about included).
    pub chunks: Vec<ChunkView>,
}

/// A whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DocumentView {
    /// Library-relative path.
    pub source: String,
    /// Chunk id prefix.
    pub document: String,
    /// Unix time it was indexed.
    pub indexed_at: u64,
    /// Set when the current file could not be read and an earlier version is served.
    pub stale: Option<String>,
    /// Every chunk in order.
    pub chunks: Vec<ChunkView>,
}

/// Most chunks of context on either side.
pub(crate) const MAX_CONTEXT: u32 = 20;

/// Parses a `before` / `after` count.
pub(crate) fn context_count(field: &str, v: Option<&str>, default: u32) -> Result<u32, ApiError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if n <= MAX_CONTEXT => Ok(n),
            _ => Err(ApiError::invalid(
                field,
                format!("{s:?} is not a whole number in 0..={MAX_CONTEXT}"),
            )),
        },
    }
}

pub(crate) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::new(
            "/api/search",
            "/api/search?q=mixed",
            Access::Read,
            get(search),
        ),
        RouteDef::new(
            "/api/chunks/{*id}",
            "/api/chunks/cucm::v15::security-guide::guide::0",
            Access::Read,
            get(chunk_or_context),
        ),
        RouteDef::new("/api/library", "/api/library", Access::Read, get(library)),
        RouteDef::new(
            "/api/compare",
            "/api/compare?product=cucm&from=v12.5.1&to=v15",
            Access::Read,
            get(compare),
        ),
        RouteDef::new(
            "/api/documents/{*source}",
            "/api/documents/cucm/v15/security-guide/guide.md",
            Access::Read,
            get(document),
        ),
    ]
}

/// A yes/no query parameter: `true`/`1`/`yes` or `false`/`0`/`no`; `None` when absent
/// or empty.
fn flag(field: &str, value: Option<&str>) -> Result<Option<bool>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some("true" | "1" | "yes") => Ok(Some(true)),
        Some("false" | "0" | "no") => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid(
            field,
            format!("{other:?} is not true or false"),
        )),
    }
}

/// Parameters of `GET /api/compare` (strings, checked here so errors name the field).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CompareParams {
    pub product: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub doc_set: Option<String>,
    pub q: Option<String>,
    pub section: Option<String>,
    pub all: Option<String>,
    pub limit: Option<String>,
}

impl CompareParams {
    /// The engine request these parameters ask for.
    pub(crate) fn to_request(&self) -> Result<mcdewey_search::CompareRequest, ApiError> {
        let opt = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let need = |v: &Option<String>, field: &'static str| {
            opt(v).ok_or_else(|| ApiError::invalid(field, "is required".to_string()))
        };
        let limit = match opt(&self.limit) {
            None => None,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=20).contains(&n) => Some(n),
                _ => {
                    return Err(ApiError::invalid(
                        "limit",
                        format!("{s:?} is not a whole number from 1 to 20"),
                    ))
                }
            },
        };
        let all = flag("all", self.all.as_deref())?.unwrap_or(false);
        Ok(mcdewey_search::CompareRequest {
            product: need(&self.product, "product")?,
            from: need(&self.from, "from")?,
            to: need(&self.to, "to")?,
            doc_set: opt(&self.doc_set),
            query: opt(&self.q),
            section: opt(&self.section),
            all,
            limit,
        })
    }
}

async fn compare(
    State(state): State<AppState>,
    params: Result<Query<CompareParams>, QueryRejection>,
) -> Result<Json<mcdewey_search::Comparison>, ApiError> {
    let Query(params) = params.map_err(query_error)?;
    let req = params.to_request()?;
    Ok(Json(blocking(&state, move |e| e.compare(&req)).await?))
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError::invalid("query string", e.body_text())
}

async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(params) = params.map_err(query_error)?;
    let req = params.to_request()?;
    Ok(Json(blocking(&state, move |e| e.search(&req)).await?))
}

#[derive(Debug, Default, Deserialize)]
struct ContextParams {
    before: Option<String>,
    after: Option<String>,
}

async fn chunk_or_context(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Query<ContextParams>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let Query(params) = params.map_err(query_error)?;
    if let Some(id) = id.strip_suffix("/context") {
        let before = context_count("before", params.before.as_deref(), 2)?;
        let after = context_count("after", params.after.as_deref(), 2)?;
        let id = id.to_string();
        let view = blocking(&state, move |e| context_view(e, &id, before, after)).await?;
        return Ok(Json(view).into_response());
    }
    let view = blocking(&state, move |e| chunk_view(e, &id)).await?;
    Ok(Json(view).into_response())
}

/// One chunk's view, with neighbours' ids.
pub(crate) fn chunk_view(
    engine: &mcdewey_search::Engine,
    id: &str,
) -> Result<ChunkView, mcdewey_search::SearchError> {
    let chunk = engine.chunk(id)?;
    let count = engine
        .manifest()?
        .documents
        .get(&chunk.source)
        .map(|d| d.chunks);
    Ok(ChunkView::new(chunk, count))
}

/// A chunk and its neighbours.
pub(crate) fn context_view(
    engine: &mcdewey_search::Engine,
    id: &str,
    before: u32,
    after: u32,
) -> Result<ContextView, mcdewey_search::SearchError> {
    let chunks = engine.context(id, before, after)?;
    let count = chunks.first().and_then(|c| {
        engine
            .manifest()
            .ok()?
            .documents
            .get(&c.source)
            .map(|d| d.chunks)
    });
    Ok(ContextView {
        chunk_id: id.to_string(),
        chunks: chunks
            .into_iter()
            .map(|c| ChunkView::new(c, count))
            .collect(),
    })
}

async fn library(State(state): State<AppState>) -> Result<Json<LibraryTree>, ApiError> {
    Ok(Json(blocking(&state, |e| e.library()).await?))
}

/// A document's view.
pub(crate) fn document_view(
    engine: &mcdewey_search::Engine,
    source: &str,
) -> Result<DocumentView, mcdewey_search::SearchError> {
    document_parts(engine, source).map(|(view, _)| view)
}

/// A document's view and each chunk's source text (Markdown), in order.
pub(crate) fn document_parts(
    engine: &mcdewey_search::Engine,
    source: &str,
) -> Result<(DocumentView, Vec<String>), mcdewey_search::SearchError> {
    let (entry, chunks) = engine.document(source)?;
    let raw = chunks.iter().map(|c| c.raw.clone()).collect();
    let view = DocumentView {
        source: source.to_string(),
        document: entry.document.clone(),
        indexed_at: entry.indexed_at,
        stale: entry.stale.clone(),
        chunks: chunks
            .into_iter()
            .map(|c| ChunkView::new(c, Some(entry.chunks)))
            .collect(),
    };
    Ok((view, raw))
}

async fn document(
    State(state): State<AppState>,
    Path(source): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(
        blocking(&state, move |e| document_view(e, &source)).await?,
    ))
}
