//! What a search answers: ranked results with their citations, in the JSON shape
//! scripts depend on.

use crate::{Citation, MatchLevel, Understood};
use mcdewey_core::Chunk;
use serde::{Deserialize, Serialize};

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
    /// Words the query put in double quotes, and how many results hold them as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<Quoted>,
    /// Ranked results.
    pub results: Vec<SearchResult>,
}

/// Words a query put in double quotes (`"CTL file" update`): passages holding every
/// such phrase word for word (in their text or heading path; case, spacing and
/// punctuation between the words aside) rank before those that do not.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quoted {
    /// The phrases, as written between the quotes.
    pub phrases: Vec<String>,
    /// How many of the results hold them all (the first ones).
    pub holding: usize,
}

impl Quoted {
    /// What every surface says when no result holds the phrases: "No passage holds
    /// “CTL file” as written; the closest passages are shown."
    pub fn note(&self) -> Option<String> {
        if self.holding > 0 {
            return None;
        }
        let named: Vec<String> = self.phrases.iter().map(|p| format!("“{p}”")).collect();
        let (what, verb) = match named.len() {
            1 => (named[0].clone(), "holds"),
            _ => (named.join(" and "), "holds all of"),
        };
        Some(format!(
            "No passage {verb} {what} as written; the closest passages are shown."
        ))
    }
}
