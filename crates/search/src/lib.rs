//! Search: a query and filters in, ranked chunks with citations out.
//!
//! The engine resolves filters against what the library holds (`--version latest`,
//! `12.5(1)SU1` for the folder `v12.5.1su1`), retrieves candidates, and returns results
//! in the JSON shape scripts depend on ([`SearchResponse`]). Servers and the CLI call
//! this crate; none reaches into the index directly.

mod citation;
pub mod compare;
mod engine;
mod error;
mod facets;
mod filter;
mod fusion;
pub mod group;
mod library;
pub mod rank;
mod request;
mod results;
pub mod serving;
mod store;
mod symbols;
pub mod understand;

pub use citation::{Citation, HEADING_SEPARATOR};
pub use compare::{
    ChangeCounts, ChangeStatus, CompareRequest, Comparison, DiffPiece, SectionChange, SectionSide,
};
pub use engine::{Engine, DEFAULT_STEER, QUERY_CACHE_SIZE};
pub use error::SearchError;
pub use facets::{FacetVersion, Facets, FACET_DEPTH};
pub use filter::{resolve_filter, resolve_filter_in};
pub use fusion::{fuse_convex, fuse_rrf, Fusion, FusionMethod};
pub use rank::{MatchLevel, MatchThresholds, Rerank};
pub use request::{Mode, SearchRequest, MAX_LIMIT, MAX_QUERY_CHARS};
pub use results::{AlsoIn, Quoted, SearchResponse, SearchResult};
pub use serving::{EngineHandle, ReloadEvery, Reloader, ServeEvent, Served};
pub use store::{Backend, Capabilities, StoreSpec};
pub use understand::Understood;

pub use library::{DocSetNode, DocumentNode, LibraryTree, ProductNode, VersionNode};
pub use mcdewey_catalog::{
    Bm25Weights, DocEntry, Embedding, Filter, IndexError, Progress, UpdateSummary,
};
pub use mcdewey_core::{Chunk, ChunkId, Location};

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
        location: mcdewey_core::Location::lines(1, 1),
        text: text.into(),
        raw: text.into(),
    }
}
