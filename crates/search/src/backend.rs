//! The storage seam: the embedded store (tantivy + a vector file in the data folder) or
//! the PostgreSQL store, behind the calls the engine makes. Chunking, ids, citations and
//! fusion are the same for both; only retrieval of candidates and chunks differs.

use mcdewey_core::{Chunk, ChunkId};
use mcdewey_index::{Bm25Weights, Filter, IndexError, Manifest, Store, VectorSet};
use mcdewey_pg::PgStore;

/// Where the library's chunks, manifest and vectors are kept.
pub enum Backend {
    /// A data folder: tantivy BM25 and an exact scan over the vector file.
    Embedded {
        /// The tantivy index and manifest.
        store: Store,
        /// The vectors of the commit opened, when it has any.
        vectors: Option<VectorSet>,
    },
    /// A PostgreSQL database: full-text search and pgvector.
    Postgres(PgStore),
}

impl From<Store> for Backend {
    fn from(store: Store) -> Backend {
        Backend::Embedded {
            store,
            vectors: None,
        }
    }
}

impl From<PgStore> for Backend {
    fn from(store: PgStore) -> Backend {
        Backend::Postgres(store)
    }
}

impl Backend {
    /// The manifest of the version served.
    pub fn manifest(&self) -> Result<Manifest, IndexError> {
        match self {
            Backend::Embedded { store, .. } => store.manifest(),
            Backend::Postgres(pg) => pg.manifest(),
        }
    }

    /// Id of the model that made the stored vectors, loading them for the embedded
    /// store; `None` when the library has no vectors.
    pub(crate) fn load_vectors(&mut self) -> Result<Option<String>, IndexError> {
        match self {
            Backend::Embedded { store, vectors } => {
                *vectors = store.vectors()?;
                Ok(vectors.as_ref().map(|v| v.model_id.clone()))
            }
            Backend::Postgres(pg) => Ok(pg.model_id().map(str::to_string)),
        }
    }

    /// Whether vectors were loaded or are stored.
    pub(crate) fn has_vectors(&self) -> bool {
        match self {
            Backend::Embedded { vectors, .. } => vectors.is_some(),
            Backend::Postgres(pg) => pg.model_id().is_some(),
        }
    }

    /// Chunks in the version served.
    pub fn chunk_count(&self) -> u64 {
        match self {
            Backend::Embedded { store, .. } => store.chunk_count(),
            Backend::Postgres(pg) => pg.chunk_count(),
        }
    }

    /// The best `limit` chunks for keywords (BM25 with `weights`, or PostgreSQL
    /// full-text rank, which has its own heading weight).
    pub fn keyword(
        &self,
        query: &str,
        filter: &Filter,
        weights: Bm25Weights,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, IndexError> {
        match self {
            Backend::Embedded { store, .. } => store.bm25(query, filter, weights, limit),
            Backend::Postgres(pg) => pg.keyword(query, filter, limit),
        }
    }

    /// The `limit` chunks nearest to a query vector.
    pub(crate) fn nearest(
        &self,
        query: &[f32],
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, IndexError> {
        match self {
            Backend::Embedded { vectors, .. } => Ok(vectors
                .as_ref()
                .map(|v| v.nearest(query, filter, limit))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(id, s)| id.parse().ok().map(|id| (id, s)))
                .collect()),
            Backend::Postgres(pg) => pg.nearest(query, filter, limit),
        }
    }

    /// One chunk by id.
    pub fn chunk(&self, id: &ChunkId) -> Result<Option<Chunk>, IndexError> {
        match self {
            Backend::Embedded { store, .. } => store.chunk(id),
            Backend::Postgres(pg) => pg.chunk(id),
        }
    }

    /// Several chunks by id, in the order asked (`None` where an id has no chunk).
    pub fn chunks(&self, ids: &[ChunkId]) -> Result<Vec<Option<Chunk>>, IndexError> {
        match self {
            Backend::Embedded { store, .. } => ids.iter().map(|id| store.chunk(id)).collect(),
            Backend::Postgres(pg) => pg.chunks(ids),
        }
    }

    /// Chunks `from..=to` of a document, in order.
    pub fn chunk_range(
        &self,
        document: &str,
        from: u32,
        to: u32,
    ) -> Result<Vec<Chunk>, IndexError> {
        match self {
            Backend::Embedded { store, .. } => store.chunk_range(document, from, to),
            Backend::Postgres(pg) => pg.chunk_range(document, from, to),
        }
    }

    /// Every chunk of a document, in order.
    pub fn document_chunks(&self, document: &str) -> Result<Vec<Chunk>, IndexError> {
        match self {
            Backend::Embedded { store, .. } => store.document_chunks(document),
            Backend::Postgres(pg) => pg.document_chunks(document),
        }
    }

    /// Which store this is, for messages: the data folder or the redacted URL.
    pub fn describe(&self) -> String {
        match self {
            Backend::Embedded { store, .. } => store.data_dir().display().to_string(),
            Backend::Postgres(pg) => pg.name().to_string(),
        }
    }
}
