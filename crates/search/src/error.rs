//! Search errors, each naming the field or value at fault, with the stable code API
//! and MCP clients match on.

use crate::IndexError;

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
