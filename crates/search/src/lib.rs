//! Search: a query and filters in, ranked chunks with citations out.
//!
//! The engine resolves filters against what the library holds (`--version latest`,
//! `12.5(1)SU1` for the folder `v12.5.1su1`), retrieves candidates, and returns results
//! in the JSON shape scripts depend on ([`SearchResponse`]). Servers and the CLI call
//! this crate; none reaches into the index directly.

pub mod beir;
pub mod compare;
pub mod eval;
pub mod group;
mod library;
pub mod rank;
pub mod serving;
mod store;
pub mod understand;

pub use compare::{
    ChangeCounts, ChangeStatus, CompareRequest, Comparison, DiffPiece, SectionChange, SectionSide,
};
pub use rank::{MatchLevel, MatchThresholds, Rerank};
pub use serving::{EngineHandle, ReloadEvery, Reloader, ServeEvent, Served};
pub use store::{Backend, Capabilities, StoreSpec};
pub use understand::Understood;

pub use library::{DocSetNode, DocumentNode, LibraryTree, ProductNode, VersionNode};
pub use mcdewey_catalog::{
    Bm25Weights, DocEntry, Embedding, Filter, IndexError, Progress, UpdateSummary,
};
pub use mcdewey_core::{Chunk, ChunkId};

use mcdewey_catalog::Manifest;
use mcdewey_core::Version;
use mcdewey_embed::Embedder;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Search errors: each names the field or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is empty or has no searchable word.
    #[error("query: empty; give some words to search for")]
    EmptyQuery,
    /// A filter names something the library does not have.
    #[error("{field}: no {field} {value:?} in the library; known: {known}")]
    UnknownFilter {
        /// `product`, `version` or `doc_set`.
        field: &'static str,
        /// The value given.
        value: String,
        /// The values that exist.
        known: String,
    },
    /// The request needs semantic search but the engine has no model or the index no vectors.
    #[error("mode: {0}")]
    NoVectors(String),
    /// The embedding model failed.
    #[error(transparent)]
    Embed(#[from] mcdewey_embed::EmbedError),
    /// A value is out of range or malformed.
    #[error("{field}: {reason}")]
    InvalidArgument {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// No chunk has this id.
    #[error("chunk {0} not found")]
    ChunkNotFound(String),
    /// No indexed document has this source path.
    #[error("document {0} not found; list documents with `mcdewey library` or GET /api/library")]
    DocumentNotFound(String),
    /// The store failed.
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl SearchError {
    /// A stable, machine-readable code for the error (API and MCP clients match on it).
    pub fn code(&self) -> &'static str {
        match self {
            SearchError::EmptyQuery => "empty_query",
            SearchError::UnknownFilter { .. } => "unknown_filter",
            SearchError::NoVectors(_) => "semantic_unavailable",
            SearchError::Embed(_) => "model_failed",
            SearchError::InvalidArgument { .. } => "invalid_argument",
            SearchError::ChunkNotFound(_) => "chunk_not_found",
            SearchError::DocumentNotFound(_) => "document_not_found",
            SearchError::Index(_) => "index_error",
        }
    }

    /// Whether the caller is at fault (bad or unknown input), as opposed to the server.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            SearchError::NoVectors(_) | SearchError::Embed(_) | SearchError::Index(_)
        )
    }
}

/// Most results one request may ask for.
pub const MAX_LIMIT: usize = 100;
/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;

/// A search request.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// Words, a question, a CLI command, an error message…
    pub query: String,
    /// Only this product (folder name).
    pub product: Option<String>,
    /// Only this version: a folder name (`v12.5.1su1`), the version as written
    /// (`12.5(1)SU1`), or `latest` (the newest version of each product).
    pub version: Option<String>,
    /// Only this doc set.
    pub doc_set: Option<String>,
    /// How many results (1..=100); 10 when absent.
    pub limit: Option<usize>,
    /// Retrieval mode; hybrid when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// `false` takes the query as written: no release or product is understood from
    /// its words (to undo a wrong guess); understood when absent.
    #[serde(default)]
    pub understand: Option<bool>,
}

/// What separates the headings of a path where people read it.
pub const HEADING_SEPARATOR: &str = " › ";

/// How candidates are retrieved.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Keywords only (tantivy BM25).
    Bm25,
    /// Meaning only (embedding similarity).
    Vector,
    /// Both, fused by reciprocal rank.
    #[default]
    Hybrid,
}

impl Mode {
    /// The mode's name, as written on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Bm25 => "bm25",
            Mode::Vector => "vector",
            Mode::Hybrid => "hybrid",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mode {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<Mode, SearchError> {
        match s.to_ascii_lowercase().as_str() {
            "bm25" | "keyword" => Ok(Mode::Bm25),
            "vector" | "semantic" => Ok(Mode::Vector),
            "hybrid" => Ok(Mode::Hybrid),
            _ => Err(SearchError::InvalidArgument {
                field: "mode",
                reason: format!("{s:?} is not one of bm25, vector, hybrid"),
            }),
        }
    }
}

/// How the keyword and vector lists are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FusionMethod {
    /// Reciprocal rank: a candidate scores `weight / (k + rank)` per list.
    Rrf,
    /// Convex combination of scores normalised within each list to 0..1 (divided by the
    /// list's best score; a candidate missing from a list scores 0 there).
    Convex,
}

impl std::str::FromStr for FusionMethod {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<FusionMethod, SearchError> {
        match s.to_ascii_lowercase().as_str() {
            "rrf" => Ok(FusionMethod::Rrf),
            "convex" => Ok(FusionMethod::Convex),
            _ => Err(SearchError::InvalidArgument {
                field: "fusion",
                reason: format!("{s:?} is not one of rrf, convex"),
            }),
        }
    }
}

/// Fusion settings of hybrid search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    /// How the lists are combined.
    pub method: FusionMethod,
    /// Rank offset of reciprocal-rank fusion.
    pub k: f32,
    /// Weight of the keyword list.
    pub bm25: f32,
    /// Weight of the vector list.
    pub vector: f32,
    /// Candidates taken from each list.
    pub depth: usize,
}

impl Default for Fusion {
    /// Chosen by measurement on the CUCM dev set and SciFact together
    /// (docs/evaluation.md): normalised scores, equal weights.
    fn default() -> Self {
        Fusion {
            method: FusionMethod::Convex,
            k: 60.0,
            bm25: 1.0,
            vector: 1.0,
            depth: 100,
        }
    }
}

impl Fusion {
    /// Fuses a keyword and a vector list; best first.
    pub fn fuse(
        &self,
        keyword: &[(ChunkId, f32)],
        semantic: &[(ChunkId, f32)],
    ) -> Vec<(ChunkId, f32)> {
        match self.method {
            FusionMethod::Rrf => fuse_rrf(&[(keyword, self.bm25), (semantic, self.vector)], self.k),
            FusionMethod::Convex => fuse_convex(&[(keyword, self.bm25), (semantic, self.vector)]),
        }
    }
}

/// Adds `score` to `id`'s entry, keeping first-seen order for equal totals.
fn accumulate(
    scores: &mut Vec<(ChunkId, f32)>,
    at: &mut std::collections::HashMap<ChunkId, usize>,
    id: &ChunkId,
    score: f32,
) {
    match at.get(id) {
        Some(&i) => scores[i].1 += score,
        None => {
            at.insert(id.clone(), scores.len());
            scores.push((id.clone(), score));
        }
    }
}

/// Fuses ranked lists of ids by weighted reciprocal rank; best first.
pub fn fuse_rrf(lists: &[(&[(ChunkId, f32)], f32)], k: f32) -> Vec<(ChunkId, f32)> {
    let mut scores: Vec<(ChunkId, f32)> = Vec::new();
    let mut at = std::collections::HashMap::new();
    for (list, weight) in lists {
        for (rank, (id, _)) in list.iter().enumerate() {
            accumulate(&mut scores, &mut at, id, weight / (k + rank as f32 + 1.0));
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

/// Fuses scored lists by a weighted sum of scores normalised per list (0 or the lowest
/// negative score maps to 0, the best to 1); best first.
pub fn fuse_convex(lists: &[(&[(ChunkId, f32)], f32)]) -> Vec<(ChunkId, f32)> {
    let mut scores: Vec<(ChunkId, f32)> = Vec::new();
    let mut at = std::collections::HashMap::new();
    for (list, weight) in lists {
        let max = list.iter().map(|h| h.1).fold(f32::NEG_INFINITY, f32::max);
        // Scores are scaled from 0 (or the list's lowest, if negative) to its best, so a
        // list's scale does not depend on how deep it was cut.
        let min = list.iter().map(|h| h.1).fold(0.0, f32::min);
        let span = max - min;
        for (id, s) in list.iter() {
            let norm = if span > 0.0 { (s - min) / span } else { 1.0 };
            accumulate(&mut scores, &mut at, id, weight * norm);
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

/// Where a passage comes from, to cite it: shared by search results, chunk views and the
/// MCP tools, so every surface cites alike.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// Document path relative to the library root.
    pub source: String,
    /// Product folder.
    pub product: String,
    /// Version folder.
    pub version: String,
    /// Doc-set folder.
    pub doc_set: String,
    /// The page to cite, as a number: for a PDF its physical page (what a viewer's "go
    /// to page" means), else the printed page when it is a number; null when unknown.
    pub page: Option<u32>,
    /// Printed page label (`"153"`, `"xvii"`, `"T-1"`), null when unknown.
    pub page_label: Option<String>,
    /// Last printed page the chunk may run to, when it runs past `page_label`.
    pub page_end: Option<String>,
    /// Physical PDF page the chunk starts on (1-based); null for other formats.
    pub pdf_page: Option<u32>,
    /// Last physical PDF page, when the chunk runs past `pdf_page`.
    pub pdf_page_end: Option<u32>,
    /// Heading path, from the document title down.
    pub heading: Vec<String>,
}

impl Citation {
    /// The citation of a chunk.
    pub fn of(chunk: &Chunk) -> Citation {
        Citation {
            source: chunk.source.clone(),
            product: chunk.product.clone(),
            version: chunk.version.clone(),
            doc_set: chunk.doc_set.clone(),
            page: chunk
                .pdf_page
                .or_else(|| chunk.page.as_ref().and_then(|p| p.number())),
            page_label: chunk.page.as_ref().map(|p| p.0.clone()),
            page_end: chunk.page_end.as_ref().map(|p| p.0.clone()),
            pdf_page: chunk.pdf_page,
            pdf_page_end: chunk.pdf_page_end,
            heading: chunk.heading.clone(),
        }
    }

    /// This citation's release and `other`'s, older first: the `from` and `to` of a
    /// comparison between them.
    pub fn releases_in_order<'a>(&'a self, other: &'a Citation) -> (&'a str, &'a str) {
        let (a, b) = (self.version.as_str(), other.version.as_str());
        if mcdewey_core::Version::parse(a) <= mcdewey_core::Version::parse(b) {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// The heading path as people read it, on every surface (pages, CLI, MCP text):
    /// `Phone Security › Overview`.
    pub fn heading_path(&self) -> String {
        self.heading.join(HEADING_SEPARATOR)
    }

    /// The page part of a citation as people read it: `p. 147`, `pp. 12-14`, and for a
    /// PDF whose printed label differs, `p. 147 (printed 129)`; `None` when unknown.
    pub fn page_text(&self) -> Option<String> {
        // "12" or "12-14", and whether it is a range.
        let range = |first: &str, last: Option<&str>| match last {
            Some(last) if last != first => (format!("{first}-{last}"), true),
            _ => (first.to_string(), false),
        };
        let cite =
            |(pages, many): (String, bool)| format!("{} {pages}", if many { "pp." } else { "p." });
        let printed = self
            .page_label
            .as_deref()
            .map(|l| range(l, self.page_end.as_deref()));
        let Some(first) = self.pdf_page else {
            return printed.map(cite);
        };
        let last = self.pdf_page_end.map(|l| l.to_string());
        let physical = range(&first.to_string(), last.as_deref());
        Some(match printed {
            Some((label, _)) if label != physical.0 => {
                format!("{} (printed {label})", cite(physical))
            }
            _ => cite(physical),
        })
    }
}

/// One ranked result, with its citation. This is the JSON shape of `mcdewey search
/// --json` and `GET /api/search`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    /// 1-based rank.
    pub rank: usize,
    /// Stable chunk id.
    pub chunk_id: String,
    /// Where it comes from.
    #[serde(flatten)]
    pub citation: Citation,
    /// The full chunk text.
    pub text: String,
    /// Retrieval score (higher is better; comparable within one response only).
    pub score: f32,
    /// How well the passage matches the query: `strong`, `partial` or `weak`
    /// (docs/evaluation.md says how it is calibrated).
    #[serde(rename = "match")]
    pub match_level: MatchLevel,
    /// Cosine similarity of the passage's embedding to the query's (at most this much
    /// for a passage outside the vector candidates); null in keyword-only search.
    pub similarity: Option<f32>,
    /// Share of the query's terms (stemmed, stop words dropped) found in the passage
    /// or its heading path.
    pub term_coverage: f32,
    /// The same passage in other releases (or an overlapping chunk of the same
    /// section), folded into this result.
    #[serde(default)]
    pub also_in: Vec<AlsoIn>,
    /// The same passage as other releases word it (same doc set and heading, text
    /// partly changed): what `/compare` can show as a diff.
    #[serde(default)]
    pub differs_in: Vec<AlsoIn>,
}

/// Where else a result's passage stands.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlsoIn {
    /// Its chunk id there.
    pub chunk_id: String,
    /// Its citation there.
    #[serde(flatten)]
    pub citation: Citation,
}

impl AlsoIn {
    /// Where a chunk stands.
    pub fn of(chunk: &Chunk) -> AlsoIn {
        AlsoIn {
            chunk_id: chunk.id.to_string(),
            citation: Citation::of(chunk),
        }
    }
}

impl SearchResult {
    /// The result for a chunk at a rank.
    pub fn new(rank: usize, chunk: Chunk, score: f32, match_level: MatchLevel) -> SearchResult {
        SearchResult {
            rank,
            chunk_id: chunk.id.to_string(),
            citation: Citation::of(&chunk),
            text: chunk.text,
            score,
            match_level,
            similarity: None,
            term_coverage: 0.0,
            also_in: Vec::new(),
            differs_in: Vec::new(),
        }
    }
}

/// The answer to a search.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// The query as given.
    pub query: String,
    /// A release or product recognised in the query, and whether it steered ranking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub understood: Option<Understood>,
    /// True when no result is a strong match and the first is weak: the library holds
    /// nothing close to the query.
    #[serde(default)]
    pub no_close_match: bool,
    /// Ranked results.
    pub results: Vec<SearchResult>,
}

/// Chunks looked at to count facets.
pub const FACET_DEPTH: usize = 100;

/// Counts of a query's best matches by product, version and doc set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Facets {
    /// (product, count), by name.
    pub products: Vec<(String, usize)>,
    /// Versions, newest first within each product.
    pub versions: Vec<FacetVersion>,
    /// (doc set, count), by name.
    pub doc_sets: Vec<(String, usize)>,
}

/// One version's count in [`Facets`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FacetVersion {
    /// Product folder.
    pub product: String,
    /// Version folder.
    pub version: String,
    /// Matches in it.
    pub count: usize,
}

/// The search engine over one store.
pub struct Engine {
    store: Backend,
    weights: Bm25Weights,
    fusion: Fusion,
    rerank: Rerank,
    /// Product names besides folder names (`<product>/product.json`).
    aliases: understand::ProductAliases,
    /// Score added to passages of a release (or product) the query names.
    steer: f32,
    matching: MatchThresholds,
    embedder: Option<std::sync::Arc<dyn Embedder>>,
    /// The manifest of the commit the engine serves, read once.
    manifest: std::sync::OnceLock<Manifest>,
    /// The library tree of that manifest, built once.
    tree: std::sync::OnceLock<LibraryTree>,
    /// Recent query embeddings (a page search and its facets embed the same query).
    query_cache: std::sync::Mutex<QueryCache>,
    /// Release comparisons' section alignments, by product and releases.
    alignments: compare::AlignmentCache,
}

/// Query vectors by query text, oldest evicted first.
#[derive(Default)]
struct QueryCache {
    capacity: usize,
    map: std::collections::HashMap<String, Vec<f32>>,
    order: std::collections::VecDeque<String>,
}

impl QueryCache {
    fn get(&self, q: &str) -> Option<Vec<f32>> {
        self.map.get(q).cloned()
    }

    fn put(&mut self, q: &str, v: Vec<f32>) {
        if self.capacity == 0 || self.map.contains_key(q) {
            return;
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(q.to_string());
        self.map.insert(q.to_string(), v);
    }
}

/// Score added by default to passages of a release the query names (on the fused
/// scale, where each list's best scores 1).
pub const DEFAULT_STEER: f32 = 0.6;

/// Candidates read per result asked, so that results folded into others leave enough
/// distinct passages.
const GROUP_READ: usize = 3;

/// What both ranking stages produced.
struct Ranked {
    /// Candidates, best first.
    hits: Vec<(ChunkId, f32)>,
    /// Vector similarity of the candidates in the vector list.
    cosine: std::collections::HashMap<ChunkId, f32>,
    /// The vector list's lowest similarity: an upper bound for candidates not in it.
    cosine_floor: Option<f32>,
    /// The chunks of the candidates read by the second stage.
    chunks: std::collections::HashMap<ChunkId, Chunk>,
    /// Their features.
    features: std::collections::HashMap<ChunkId, rank::Features>,
    /// Whether those features read the text (else only the quick ones are there).
    read_text: bool,
    /// The query's evidence, to read the features of the results shown.
    evidence: rank::QueryEvidence,
}

/// Query embeddings an engine keeps by default.
pub const QUERY_CACHE_SIZE: usize = 256;

impl Engine {
    /// An engine over an opened store, keyword search only.
    pub fn new(store: impl Into<Backend>) -> Engine {
        let engine = Engine::unread(store.into());
        // A database manifest is read now, off the server's async threads, where MCP
        // sessions read the library tree as they start.
        if engine.store.read_manifest_early() {
            if let Ok(m) = engine.store.manifest() {
                let _ = engine.manifest.set(m);
            }
        }
        engine
    }

    fn unread(store: Backend) -> Engine {
        Engine {
            store,
            weights: Bm25Weights::default(),
            fusion: Fusion::default(),
            rerank: Rerank::default(),
            aliases: understand::ProductAliases::new(),
            steer: DEFAULT_STEER,
            matching: MatchThresholds::default(),
            embedder: None,
            manifest: std::sync::OnceLock::new(),
            tree: std::sync::OnceLock::new(),
            query_cache: std::sync::Mutex::new(QueryCache {
                capacity: QUERY_CACHE_SIZE,
                ..Default::default()
            }),
            alignments: Default::default(),
        }
    }

    /// The manifest of the index served (documents, hashes, chunk counts).
    pub fn manifest(&self) -> Result<&Manifest, SearchError> {
        if let Some(m) = self.manifest.get() {
            return Ok(m);
        }
        let m = self.store.manifest()?;
        Ok(self.manifest.get_or_init(|| m))
    }

    /// An engine that also searches by meaning with `embedder`, which must be the model
    /// the index's vectors were made with.
    pub fn with_embedder(
        store: impl Into<Backend>,
        embedder: std::sync::Arc<dyn Embedder>,
    ) -> Result<Engine, SearchError> {
        let mut store = store.into();
        if let Some(model_id) = store.load_vectors()? {
            if model_id != embedder.model_id() {
                return Err(SearchError::NoVectors(format!(
                    "the index vectors were made by {} but the model loaded is {}; run `mcdewey index` again",
                    model_id,
                    embedder.model_id()
                )));
            }
        }
        let mut engine = Engine::new(store);
        engine.embedder = Some(embedder);
        Ok(engine)
    }

    /// Sets the fusion weights (for measurements).
    pub fn set_fusion(&mut self, fusion: Fusion) {
        self.fusion = fusion;
    }

    /// Sets the BM25 field weights (for measurements); a store that ranks keywords
    /// with its own weights ([`Capabilities::bm25_weights`]) refuses others.
    pub fn set_bm25_weights(&mut self, weights: Bm25Weights) -> Result<(), SearchError> {
        if weights != Bm25Weights::default() && !self.store.capabilities().bm25_weights {
            return Err(SearchError::InvalidArgument {
                field: "bm25_weights",
                reason: format!(
                    "the store {} ranks keywords with its own field weights; BM25 weights apply to the embedded store only",
                    self.store.describe()
                ),
            });
        }
        self.weights = weights;
        Ok(())
    }

    /// The fusion settings in use.
    pub fn fusion(&self) -> Fusion {
        self.fusion
    }

    /// Sets the names products are also known by (display names and aliases from the
    /// library's `<product>/product.json`), for recognising them in queries.
    pub fn set_product_aliases(&mut self, aliases: understand::ProductAliases) {
        self.aliases = aliases;
    }

    /// Sets the second ranking stage (for measurements).
    pub fn set_rerank(&mut self, rerank: Rerank) {
        self.rerank = rerank;
    }

    /// The second ranking stage in use.
    pub fn rerank(&self) -> Rerank {
        self.rerank
    }

    /// Sets the score added to passages of a release named in the query (for
    /// measurements; 0 turns steering off).
    pub fn set_steer(&mut self, steer: f32) {
        self.steer = steer;
    }

    /// The release-steering score in use.
    pub fn steer(&self) -> f32 {
        self.steer
    }

    fn vector_hits(
        &self,
        query: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, SearchError> {
        let (Some(embedder), true) = (&self.embedder, self.store.has_vectors()) else {
            let why = if self.embedder.is_none() {
                "no embedding model loaded; search in keyword mode (bm25), or load the model"
            } else {
                "this index has no vectors (it was built without a model); search in keyword mode (bm25), or index again with the model"
            };
            return Err(SearchError::NoVectors(why.into()));
        };
        let q = self.query_vector(embedder.as_ref(), query)?;
        Ok(self.store.nearest(&q, filter, limit)?)
    }

    /// Sets how many recent query embeddings are kept (0 turns the cache off; the
    /// benchmarks do, so every query pays for its embedding).
    pub fn set_query_cache(&mut self, capacity: usize) {
        let cache = self
            .query_cache
            .get_mut()
            .unwrap_or_else(|e| e.into_inner());
        *cache = QueryCache {
            capacity,
            ..Default::default()
        };
    }

    fn query_vector(&self, embedder: &dyn Embedder, query: &str) -> Result<Vec<f32>, SearchError> {
        let lock = || self.query_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = lock().get(query) {
            return Ok(v);
        }
        let v = embedder.embed_query(query)?;
        lock().put(query, v.clone());
        Ok(v)
    }

    /// Whether semantic retrieval is possible: a model is loaded and the index has vectors.
    pub fn can_embed(&self) -> bool {
        self.embedder.is_some() && self.store.has_vectors()
    }

    /// The mode a request runs in: the one asked for, else hybrid when semantic
    /// retrieval is possible and keywords only when it is not.
    pub fn effective_mode(&self, asked: Option<Mode>) -> Mode {
        match asked {
            Some(m) => m,
            None if self.can_embed() => Mode::Hybrid,
            None => Mode::Bm25,
        }
    }

    /// The store searched.
    pub fn store(&self) -> &Backend {
        &self.store
    }

    /// The best `limit` chunk ids for a query under a resolved filter (both ranking
    /// stages; evaluation and benchmarks use this for deep result lists).
    pub fn retrieve(
        &self,
        query: &str,
        filter: &Filter,
        mode: Mode,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, SearchError> {
        let mut ranked = self.rank(query, filter, mode, limit, self.rerank.depth, &[])?;
        ranked.hits.truncate(limit);
        Ok(ranked.hits)
    }

    /// Both ranking stages: the fused first-stage list (at least `limit` deep), its top
    /// `read` candidates re-scored from their text and steered toward `steer_to`
    /// releases, their chunks and features kept for the caller.
    #[allow(clippy::too_many_arguments)]
    fn rank(
        &self,
        query: &str,
        filter: &Filter,
        mode: Mode,
        limit: usize,
        read: usize,
        steer_to: &[(String, String)],
    ) -> Result<Ranked, SearchError> {
        let (mut hits, semantic) = self.first_stage(query, filter, mode, limit.max(read))?;
        let mut cosine_floor = semantic.as_ref().and_then(|s| s.last().map(|h| h.1));
        let mut cosine: std::collections::HashMap<ChunkId, f32> =
            semantic.into_iter().flatten().collect();
        if !steer_to.is_empty() && self.steer > 0.0 {
            // The release named in the query is searched on its own too, so its best
            // passages are candidates however far down the whole library's list they
            // stand, and they rank first unless a far better passage stands elsewhere.
            let only = Filter {
                versions: Some(steer_to.to_vec()),
                ..filter.clone()
            };
            let (steered, semantic) = self.first_stage(query, &only, mode, limit.max(read))?;
            let floor = semantic.as_ref().and_then(|s| s.last().map(|h| h.1));
            cosine_floor = match (cosine_floor, floor) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            cosine.extend(semantic.into_iter().flatten());
            let mut merged: std::collections::HashMap<ChunkId, f32> = hits.into_iter().collect();
            for (id, score) in steered {
                let s = merged.entry(id).or_insert(0.0);
                *s = s.max(score + self.steer);
            }
            hits = merged.into_iter().collect();
            hits.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        let read = read.min(hits.len());
        let ids: Vec<ChunkId> = hits[..read].iter().map(|h| h.0.clone()).collect();
        let mut evidence = rank::QueryEvidence::of(query);
        let mut chunks = std::collections::HashMap::new();
        let mut features = std::collections::HashMap::new();
        let mut contents = std::collections::HashSet::new();
        for (hit, chunk) in hits[..read].iter_mut().zip(self.store.chunks(&ids)?) {
            let Some(chunk) = chunk else { continue };
            if rank::is_contents(&chunk) {
                contents.insert(hit.0.clone());
                continue;
            }
            let f = if self.rerank.reads_text() {
                rank::features(&mut evidence, &chunk)
            } else {
                rank::quick_features(&evidence, &chunk)
            };
            hit.1 += self.rerank.bonus(&f);
            features.insert(hit.0.clone(), f);
            chunks.insert(hit.0.clone(), chunk);
        }
        hits[..read].sort_by(|a, b| b.1.total_cmp(&a.1));
        // Contents pages stay readable in the document but out of the results.
        if !contents.is_empty() {
            hits.retain(|h| !contents.contains(&h.0));
        }
        Ok(Ranked {
            hits,
            cosine,
            cosine_floor,
            chunks,
            features,
            read_text: self.rerank.reads_text(),
            evidence,
        })
    }

    /// The first stage: the keyword and vector lists, fused (hybrid) or one of them
    /// scaled by its best score, at least `limit` deep; with the vector list for the
    /// similarities it holds.
    #[allow(clippy::type_complexity)]
    fn first_stage(
        &self,
        query: &str,
        filter: &Filter,
        mode: Mode,
        limit: usize,
    ) -> Result<(Vec<(ChunkId, f32)>, Option<Vec<(ChunkId, f32)>>), SearchError> {
        let depth = self.fusion.depth.max(limit);
        let (mut hits, semantic) = match mode {
            Mode::Bm25 => (
                self.store.keyword(query, filter, self.weights, limit)?,
                None,
            ),
            Mode::Vector => {
                let v = self.vector_hits(query, filter, limit)?;
                (v.clone(), Some(v))
            }
            Mode::Hybrid => {
                let keyword = self.store.keyword(query, filter, self.weights, depth)?;
                let semantic = self.vector_hits(query, filter, depth)?;
                (self.fusion.fuse(&keyword, &semantic), Some(semantic))
            }
        };
        if mode != Mode::Hybrid {
            // One list: scaled by its best, the scale of the second stage's bonuses.
            let max = hits.first().map_or(1.0, |h| h.1).max(f32::MIN_POSITIVE);
            hits.iter_mut().for_each(|h| h.1 /= max);
        }
        Ok((hits, semantic))
    }

    /// Runs a search: releases named in the query steer it, the same passage in
    /// several releases comes back once, and each result says how well it matches.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let query = req.query.trim();
        if query.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::InvalidArgument {
                field: "query",
                reason: format!("longer than {MAX_QUERY_CHARS} characters"),
            });
        }
        let limit = check_limit(req.limit)?;
        let filter = self.resolve_filter(req)?;
        let mode = self.effective_mode(req.mode);
        let mut understood = match req.understand {
            Some(false) => None,
            _ => understand::understand_with(query, self.tree()?, &self.aliases),
        };
        let steer_to = match understood.as_mut() {
            Some(u) => {
                u.applied = self.steering(u, req);
                if u.applied {
                    self.steer_targets(u)?
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        };
        let read = self.rerank.depth.max(limit * GROUP_READ);
        // The words that named the release only steer: "CUCM 15" matches nothing the
        // passages of release 15 say.
        let plain = match understood
            .as_ref()
            .filter(|u| u.applied && !u.versions.is_empty())
        {
            Some(u) => without_phrases(query, &u.phrase),
            None => query.to_string(),
        };
        let ranked = self.rank(&plain, &filter, mode, limit, read, &steer_to)?;
        let mut evidence = ranked.evidence.clone();
        // Group the candidates read (chunks loaded) into passages, best first.
        let loaded: Vec<(&ChunkId, f32, &Chunk)> = ranked
            .hits
            .iter()
            .filter_map(|(id, s)| ranked.chunks.get(id).map(|c| (id, *s, c)))
            .collect();
        let order: Vec<&Chunk> = loaded.iter().map(|l| l.2).collect();
        let sets: Vec<_> = order.iter().map(|c| group::shingles(&c.text)).collect();
        let mut results = Vec::with_capacity(limit);
        for members in group::group(&order, &sets).into_iter().take(limit) {
            let chunks: Vec<&Chunk> = members.iter().map(|&i| order[i]).collect();
            let shown = group::representative(&chunks, &steer_to);
            let (id, _, chunk) = loaded[members[shown]];
            let score = loaded[members[0]].1;
            let cosine = (mode != Mode::Bm25)
                .then(|| ranked.cosine.get(id).copied().or(ranked.cosine_floor))
                .flatten();
            // The match level reads the text of the results shown only.
            let f = match ranked.features.get(id) {
                Some(f) if ranked.read_text => *f,
                _ => rank::features(&mut evidence, chunk),
            };
            let level = self.matching.level(cosine, &f);
            let mut result = SearchResult::new(results.len() + 1, chunk.clone(), score, level);
            result.similarity = cosine.map(|c| (c * 1000.0).round() / 1000.0);
            result.term_coverage = (f.coverage * 1000.0).round() / 1000.0;
            result.also_in = members
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != shown)
                .map(|(_, &i)| AlsoIn::of(order[i]))
                .collect();
            result.differs_in = group::reworded_in(&order, &sets, &members, members[shown])
                .into_iter()
                .map(|i| AlsoIn::of(order[i]))
                .collect();
            results.push(result);
        }
        // Nothing strong anywhere and a weak best result: a partial match further down
        // shares a few words, not the question.
        let no_close_match = results.iter().all(|r| r.match_level != MatchLevel::Strong)
            && results
                .first()
                .is_none_or(|r| r.match_level == MatchLevel::Weak);
        Ok(SearchResponse {
            query: req.query.clone(),
            understood,
            no_close_match,
            results,
        })
    }

    /// Whether what was understood may steer ranking: an explicit filter on the same
    /// thing wins.
    fn steering(&self, u: &Understood, req: &SearchRequest) -> bool {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !u.versions.is_empty() {
            return !given(&req.version);
        }
        // A product alone steers only where the library holds several.
        !given(&req.product) && self.tree().is_ok_and(|t| t.products.len() > 1)
    }

    /// The (product, version) pairs understood releases steer toward: the releases
    /// named, or every release of a product named alone.
    fn steer_targets(&self, u: &Understood) -> Result<Vec<(String, String)>, SearchError> {
        if !u.releases.is_empty() {
            return Ok(u.releases.clone());
        }
        Ok(self
            .tree()?
            .products
            .iter()
            .filter(|p| u.product.as_deref() == Some(p.name.as_str()))
            .flat_map(|p| p.versions.iter().map(|v| (p.name.clone(), v.name.clone())))
            .collect())
    }

    /// Turns the request's product / version / doc-set into a store filter, checking
    /// each against the library.
    pub fn resolve_filter(&self, req: &SearchRequest) -> Result<Filter, SearchError> {
        resolve_filter_in(self.tree()?, req)
    }

    /// One chunk by id.
    pub fn chunk(&self, id: &str) -> Result<Chunk, SearchError> {
        let parsed: ChunkId =
            id.parse()
                .map_err(|e: mcdewey_core::CoreError| SearchError::InvalidArgument {
                    field: "chunk_id",
                    reason: e.to_string(),
                })?;
        self.store
            .chunk(&parsed)?
            .ok_or_else(|| SearchError::ChunkNotFound(mcdewey_core::shorten(id, 120)))
    }

    /// A chunk with up to `before` chunks before and `after` chunks after it, in
    /// document order.
    pub fn context(&self, id: &str, before: u32, after: u32) -> Result<Vec<Chunk>, SearchError> {
        let chunk = self.chunk(id)?;
        let from = chunk.id.ordinal.saturating_sub(before);
        let to = chunk.id.ordinal.saturating_add(after);
        Ok(self.store.chunk_range(&chunk.id.document, from, to)?)
    }

    /// An indexed document by its library-relative source path: its manifest entry and
    /// every chunk in order.
    pub fn document(&self, source: &str) -> Result<(DocEntry, Vec<Chunk>), SearchError> {
        let entry = self
            .manifest()?
            .documents
            .get(source)
            .cloned()
            .ok_or_else(|| SearchError::DocumentNotFound(mcdewey_core::shorten(source, 200)))?;
        let chunks = self.store.document_chunks(&entry.document)?;
        Ok((entry, chunks))
    }

    /// Where the best matches of a query lie: among its top [`FACET_DEPTH`] chunks
    /// (ignoring filters), how many fall in each product, version and doc set.
    pub fn facets(&self, query: &str, mode: Mode) -> Result<Facets, SearchError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Facets::default());
        }
        let hits = self.retrieve(query, &Filter::default(), mode, FACET_DEPTH)?;
        let mut products: BTreeMap<String, usize> = BTreeMap::new();
        let mut versions: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut doc_sets: BTreeMap<String, usize> = BTreeMap::new();
        for (id, _) in hits {
            let mut parts = id.document.splitn(4, "::");
            let (Some(p), Some(v), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            *products.entry(p.to_string()).or_default() += 1;
            *versions.entry((p.to_string(), v.to_string())).or_default() += 1;
            *doc_sets.entry(d.to_string()).or_default() += 1;
        }
        let mut version_list: Vec<FacetVersion> = versions
            .into_iter()
            .map(|((product, version), count)| FacetVersion {
                product,
                version,
                count,
            })
            .collect();
        version_list.sort_by(|a, b| {
            a.product
                .cmp(&b.product)
                .then_with(|| Version::parse(&b.version).cmp(&Version::parse(&a.version)))
        });
        Ok(Facets {
            products: products.into_iter().collect(),
            versions: version_list,
            doc_sets: doc_sets.into_iter().collect(),
        })
    }

    /// Products, versions, doc sets and documents with counts.
    pub fn library(&self) -> Result<LibraryTree, SearchError> {
        Ok(self.tree()?.clone())
    }

    fn tree(&self) -> Result<&LibraryTree, SearchError> {
        if let Some(t) = self.tree.get() {
            return Ok(t);
        }
        let t = LibraryTree::from_manifest(self.manifest()?);
        Ok(self.tree.get_or_init(|| t))
    }
}

/// `query` without the phrases (", "-separated) that named a release; the query itself
/// when nothing would be left.
fn without_phrases(query: &str, phrases: &str) -> String {
    let mut out = query.to_string();
    for p in phrases.split(", ").filter(|p| !p.is_empty()) {
        out = out.replacen(p, " ", 1);
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().any(|c| c.is_alphanumeric()) {
        out
    } else {
        query.to_string()
    }
}

fn check_limit(limit: Option<usize>) -> Result<usize, SearchError> {
    match limit {
        None => Ok(10),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(SearchError::InvalidArgument {
            field: "limit",
            reason: format!("{n} is out of range 1..={MAX_LIMIT}"),
        }),
    }
}

/// Resolves filters against the documents of a manifest.
pub fn resolve_filter(manifest: &Manifest, req: &SearchRequest) -> Result<Filter, SearchError> {
    resolve_filter_in(&LibraryTree::from_manifest(manifest), req)
}

/// Resolves filters against a library tree.
pub fn resolve_filter_in(tree: &LibraryTree, req: &SearchRequest) -> Result<Filter, SearchError> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    // Folder names are matched without regard to case ("CUCM" is `cucm`), as versions
    // are, and the folder's own spelling is used from there on.
    let mut product = nonempty(&req.product);
    let mut doc_set = nonempty(&req.doc_set);
    let version = nonempty(&req.version);
    if let Some(p) = &mut product {
        if let Some(n) = tree
            .products
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(p))
        {
            p.clone_from(&n.name);
        } else {
            return Err(SearchError::UnknownFilter {
                field: "product",
                value: p.clone(),
                known: tree
                    .products
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let in_scope = |name: &str| product.as_deref().is_none_or(|p| p == name);
    if let Some(d) = &mut doc_set {
        let known: Vec<&str> = tree
            .products
            .iter()
            .filter(|p| in_scope(&p.name))
            .flat_map(|p| {
                p.versions
                    .iter()
                    .flat_map(|v| v.doc_sets.iter().map(|d| d.name.as_str()))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(d)) {
            *d = k.to_string();
        } else {
            return Err(SearchError::UnknownFilter {
                field: "doc_set",
                value: d.clone(),
                known: known.join(", "),
            });
        }
    }
    let versions = match &version {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("latest") => Some(
            tree.products
                .iter()
                .filter(|p| in_scope(&p.name))
                .filter_map(|p| p.versions.last().map(|v| (p.name.clone(), v.name.clone())))
                .collect(),
        ),
        Some(v) => {
            let pairs: Vec<(String, String)> = tree
                .products
                .iter()
                .filter(|p| in_scope(&p.name))
                .flat_map(|p| {
                    p.versions
                        .iter()
                        .filter(|n| Version::parse(&n.name).matches(v))
                        .map(|n| (p.name.clone(), n.name.clone()))
                })
                .collect();
            if pairs.is_empty() {
                let mut known: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for p in tree.products.iter().filter(|p| in_scope(&p.name)) {
                    known.insert(
                        p.name.clone(),
                        p.versions.iter().map(|v| v.name.clone()).collect(),
                    );
                }
                return Err(SearchError::UnknownFilter {
                    field: "version",
                    value: v.clone(),
                    known: known
                        .iter()
                        .map(|(p, vs)| format!("{p}: {}", vs.join(" ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                        + "; or latest",
                });
            }
            Some(pairs)
        }
    };
    Ok(Filter {
        product,
        versions,
        doc_set,
    })
}

/// A chunk of `product/version/guide/stem.md` for unit tests.
#[cfg(test)]
pub(crate) fn test_chunk(
    product: &str,
    version: &str,
    stem: &str,
    heading: &[&str],
    text: &str,
) -> Chunk {
    Chunk {
        id: ChunkId::new(format!("{product}::{version}::guide::{stem}"), 0),
        source: format!("{product}/{version}/guide/{stem}.md"),
        product: product.into(),
        version: version.into(),
        doc_set: "guide".into(),
        heading: heading.iter().map(|s| s.to_string()).collect(),
        page: None,
        page_end: None,
        pdf_page: None,
        pdf_page_end: None,
        text: text.into(),
        raw: text.into(),
        line_start: 1,
        line_end: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_read_as_pages() {
        let mut c = Citation {
            source: "p/v1/d/manual.pdf".into(),
            product: "p".into(),
            version: "v1".into(),
            doc_set: "d".into(),
            page: Some(31),
            page_label: Some("15".into()),
            page_end: Some("16".into()),
            pdf_page: Some(31),
            pdf_page_end: Some(32),
            heading: vec![],
        };
        assert_eq!(c.page_text().unwrap(), "pp. 31-32 (printed 15-16)");
        c.page_end = None;
        c.pdf_page_end = None;
        assert_eq!(c.page_text().unwrap(), "p. 31 (printed 15)");
        c.page_label = Some("31".into());
        assert_eq!(c.page_text().unwrap(), "p. 31");
        c.pdf_page = None;
        c.page_label = Some("T-1".into());
        assert_eq!(c.page_text().unwrap(), "p. T-1");
        c.page_end = Some("T-3".into());
        assert_eq!(c.page_text().unwrap(), "pp. T-1-T-3");
        c.page_label = None;
        assert_eq!(c.page_text(), None);
    }

    fn id(n: u32) -> ChunkId {
        ChunkId::new("p::v::d::f", n)
    }

    #[test]
    fn convex_fusion_normalises_each_list_by_its_best() {
        let bm25 = [(id(1), 20.0), (id(2), 10.0)];
        let vector = [(id(2), 0.8), (id(3), 0.4)];
        let fused = fuse_convex(&[(&bm25, 1.0), (&vector, 1.0)]);
        // 2: 10/20 + 0.8/0.8 = 1.5; 1: 1.0; 3: 0.5.
        let order: Vec<u32> = fused.iter().map(|(c, _)| c.ordinal).collect();
        assert_eq!(order, [2, 1, 3]);
        assert!((fused[0].1 - 1.5).abs() < 1e-6);
        // A list's depth does not move its scale: adding weak tail hits changes nothing.
        let deeper = [(id(1), 20.0), (id(2), 10.0), (id(9), 0.5)];
        let again = fuse_convex(&[(&deeper, 1.0), (&vector, 1.0)]);
        assert!((again[0].1 - 1.5).abs() < 1e-6);
    }

    #[test]
    fn rrf_rewards_agreement() {
        let a = [(id(1), 9.0), (id(2), 8.0)];
        let b = [(id(2), 0.9), (id(3), 0.8)];
        let fused = fuse_rrf(&[(&a, 1.0), (&b, 1.0)], 60.0);
        assert_eq!(fused[0].0, id(2));
    }

    #[test]
    fn the_query_cache_evicts_oldest_first() {
        let mut c = QueryCache {
            capacity: 2,
            ..Default::default()
        };
        c.put("a", vec![1.0]);
        c.put("b", vec![2.0]);
        c.put("c", vec![3.0]);
        assert_eq!(c.get("a"), None);
        assert_eq!(c.get("c"), Some(vec![3.0]));
        let mut off = QueryCache::default();
        off.put("a", vec![1.0]);
        assert_eq!(off.get("a"), None, "capacity 0 keeps nothing");
    }
}
