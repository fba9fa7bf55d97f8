//! The store-neutral side of indexing, which both stores build on: the manifest of
//! indexed files, filters and weights, the library scan that turns new and changed
//! files into chunks, embedding with its cache, and the one error type stores report.

mod embedding;
mod manifest;
mod scan;
pub mod spelling;

pub use embedding::{
    embed_with_cache, embedding_text, embedding_text_of, write_atomic, Embedding, EmbeddingCache,
    EMBED_BATCH,
};
pub use manifest::{Bm25Weights, DocEntry, Filter, Manifest, SkipEntry};
pub use scan::{
    scan_library, settings_fingerprint, ChunkSink, DocFidelity, Progress, Scan, Scanner,
    UpdateSummary, ANALYZER_VERSION, MIN_BATCH_CHUNKS,
};

use std::path::{Path, PathBuf};

/// Store errors. Messages name the data folder or file concerned and, where there is
/// one, the command that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// No index was built in the store yet (a data folder, or a database no update
    /// was committed to).
    #[error("no index in {store} yet; build one with `mcdewey index`")]
    NoIndex {
        /// The store: a data folder, or a database URL without its password.
        store: String,
    },
    /// Another process is updating the store.
    #[error(
        "{store}: another `mcdewey index` is updating this library; try again when it is done"
    )]
    Locked {
        /// The store: a data folder, or a database URL without its password.
        store: String,
    },
    /// The library holds no document McDewey can read.
    #[error("library folder {root} has no documents to index ({skipped} file(s) skipped); expected <product>/<version>/<doc-set>/<file> (.md .markdown .txt .pdf .html .htm)")]
    EmptyLibrary {
        /// The library folder.
        root: PathBuf,
        /// Files found but skipped.
        skipped: usize,
    },
    /// The embedding model failed.
    #[error(transparent)]
    Embed(#[from] mcdewey_embed::EmbedError),
    /// The library could not be read.
    #[error(transparent)]
    Library(#[from] mcdewey_ingest::IngestError),
    /// An error of the embedded store's search index (tantivy).
    #[error("index {path}: {source}")]
    Index {
        /// The index folder.
        path: PathBuf,
        /// The index library's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file of the data folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A database store (PostgreSQL) failed or refused; `store` is its URL without the
    /// password.
    #[error("store {store}: {reason}")]
    Backend {
        /// The store.
        store: String,
        /// What went wrong, and what to do where there is something.
        reason: String,
    },
    /// The data folder holds something McDewey did not write.
    #[error("{path}: corrupt index data ({reason}); delete the data folder and index again")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl IndexError {
    /// Turns an I/O error on `path` into [`IndexError::Io`] naming it.
    pub fn io(path: &Path) -> impl Fn(std::io::Error) -> IndexError + '_ {
        move |source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
