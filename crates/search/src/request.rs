//! What a search asks for: the query, its filters, how many results, the mode.

use crate::SearchError;
use serde::{Deserialize, Serialize};

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

pub(crate) fn check_limit(limit: Option<usize>) -> Result<usize, SearchError> {
    match limit {
        None => Ok(10),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(SearchError::InvalidArgument {
            field: "limit",
            reason: format!("{n} is out of range 1..={MAX_LIMIT}"),
        }),
    }
}
