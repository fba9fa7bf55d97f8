//! The embedded store: a tantivy index of chunks with a technical-token analyzer, a
//! manifest of indexed files committed atomically with it, and incremental updates from
//! a library folder.

pub mod analyzer;
pub mod schema;
pub mod store;
pub mod update;
pub mod vectors;

pub use store::{Bm25Weights, DocEntry, Filter, Manifest, SkipEntry, Store, StoreWriter};
pub use update::{
    embed_with_cache, embedding_text, embedding_text_of, scan_library, settings_fingerprint,
    update_library, ChunkSink, DocFidelity, Embedding, Progress, Scan, Scanner, UpdateSummary,
    MIN_BATCH_CHUNKS,
};
pub use vectors::{EmbeddingCache, VectorEntry, VectorSet};

use std::path::PathBuf;

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
    /// An error of the tantivy index.
    #[error("index {path}: {source}")]
    Tantivy {
        /// The index folder.
        path: PathBuf,
        /// The tantivy error.
        source: tantivy::TantivyError,
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
    fn tantivy(path: &std::path::Path, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            path: path.to_path_buf(),
            source,
        }
    }
}
