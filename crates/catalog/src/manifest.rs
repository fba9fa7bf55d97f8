//! What a store records about the library: the manifest of indexed files (the key of
//! incremental updates), and the filters and weights retrieval takes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What was indexed, per library file: the key of incremental updates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Fingerprint of the settings the index was built with (analyzer, chunking); a
    /// change means every file is indexed again.
    pub settings: String,
    /// Library folder of the last update.
    pub library: Option<String>,
    /// Indexed documents by library-relative path.
    pub documents: BTreeMap<String, DocEntry>,
    /// Files of the last update that were not indexed, with reasons.
    pub skipped: Vec<SkipEntry>,
    /// Unix time of the last update.
    pub updated_at: u64,
    /// File name (in `<data>/vectors`) of the chunk vectors of this commit, when the
    /// index was built with an embedding model.
    #[serde(default)]
    pub vectors: Option<String>,
    /// Id of the embedding model that made the vectors.
    #[serde(default)]
    pub model: Option<String>,
}

/// One indexed file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocEntry {
    /// blake3 of the indexed content.
    pub hash: String,
    /// Chunk id prefix `product::version::doc-set::file-stem`.
    pub document: String,
    /// Number of chunks.
    pub chunks: u32,
    /// Size in bytes.
    pub bytes: u64,
    /// Unix time it was indexed.
    pub indexed_at: u64,
    /// Problems met while reading it (the file is indexed nonetheless).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Set when the file's current content could not be read and this entry (and its
    /// chunks) is the last good version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
}

/// A file left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkipEntry {
    /// Library-relative path.
    pub path: String,
    /// The reason.
    pub reason: String,
}

/// Restricts retrieval to parts of the library. Empty means everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this product.
    pub product: Option<String>,
    /// Only these (product, version) pairs, when set.
    pub versions: Option<Vec<(String, String)>>,
    /// Only this doc set.
    pub doc_set: Option<String>,
}

/// Field weights for keyword retrieval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Weights {
    /// Boost of a term match in the heading path over one in the body.
    pub heading: f32,
}

impl Default for Bm25Weights {
    /// No extra heading boost: a chunk's text already starts with its section heading,
    /// and boosting the heading path again lowered both the CUCM dev set and SciFact
    /// (docs/evaluation.md).
    fn default() -> Self {
        Bm25Weights { heading: 0.0 }
    }
}
