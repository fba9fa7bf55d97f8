//! The storage seam: the embedded store (tantivy + a vector file in the data folder) or
//! the PostgreSQL store. The choice is read once, into a [`StoreSpec`]; opening,
//! updating and following it, and the calls the engine makes, go through here, so no
//! caller branches on the store. Chunking, ids, citations and fusion are the same for
//! both; only retrieval of candidates and chunks differs, and what one store cannot do
//! is declared in [`Capabilities`].

use mcdewey_catalog::{
    Bm25Weights, Embedding, Filter, IndexError, Manifest, Progress, UpdateSummary,
};
use mcdewey_core::{Chunk, ChunkId};
use mcdewey_index::{Store, Vectors};
use mcdewey_ingest::IngestOptions;
use mcdewey_pg::PgStore;
use std::path::{Path, PathBuf};

/// Where the index lives, as configured (`--store` and `--data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// A data folder on this machine (the default).
    Embedded(PathBuf),
    /// A PostgreSQL database with pgvector, by URL.
    Postgres(String),
}

impl StoreSpec {
    /// Reads the store setting: absent, empty or `embedded` is the data folder `data`;
    /// a `postgres://` or `postgresql://` URL is that database. Anything else is an
    /// error naming the value (without a password).
    pub fn parse(store: Option<&str>, data: &Path) -> Result<StoreSpec, String> {
        match store.map(str::trim) {
            None | Some("") | Some("embedded") => Ok(StoreSpec::Embedded(data.to_path_buf())),
            Some(url) if mcdewey_pg::is_postgres_url(url) => {
                Ok(StoreSpec::Postgres(url.to_string()))
            }
            Some(other) => Err(format!(
                "{:?} is neither `embedded` nor a postgres://USER@HOST:PORT/DB URL",
                mcdewey_pg::redact(other)
            )),
        }
    }

    /// The store for messages: the data folder, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            StoreSpec::Embedded(dir) => dir.display().to_string(),
            StoreSpec::Postgres(url) => mcdewey_pg::redact(url),
        }
    }

    /// The kind of store, for reports: `embedded` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreSpec::Embedded(_) => "embedded",
            StoreSpec::Postgres(_) => "postgres",
        }
    }

    /// Opens the store, which must hold an index ([`IndexError::NoIndex`] otherwise).
    pub fn open(&self) -> Result<Backend, IndexError> {
        Ok(match self {
            StoreSpec::Embedded(dir) => Store::open(dir)?.into(),
            StoreSpec::Postgres(url) => PgStore::open(url)?.into(),
        })
    }

    /// Documents the store holds now; 0 for a store never indexed (it is not created).
    pub fn documents(&self) -> Result<usize, IndexError> {
        match self.open() {
            Ok(store) => Ok(store.manifest()?.documents.len()),
            Err(IndexError::NoIndex { .. }) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Brings the store up to date with `library` (creating it when there is none),
    /// embedding new text when `embedding` is given; see each store's
    /// `update_library` for batching and what a killed run keeps.
    pub fn update(
        &self,
        library: &Path,
        opts: &IngestOptions,
        embedding: Option<Embedding>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<UpdateSummary, IndexError> {
        match self {
            StoreSpec::Embedded(dir) => {
                std::fs::create_dir_all(dir).map_err(IndexError::io(dir))?;
                let store = Store::open_or_create(dir)?;
                mcdewey_index::update_library(&store, library, opts, embedding, progress)
            }
            StoreSpec::Postgres(url) => {
                let mut store = PgStore::connect(url)?;
                mcdewey_pg::update_library(&mut store, library, opts, embedding, progress)
            }
        }
    }
}

/// What a store can do beyond what both do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Keyword ranking takes [`Bm25Weights`] (the embedded store). PostgreSQL's
    /// full-text rank has its own weights; asking it for others is an error.
    pub bm25_weights: bool,
    /// Updates committed by other processes can be seen while open
    /// ([`Backend::changed_since_open`]); a server follows them.
    pub follows_commits: bool,
}

/// Where the library's chunks, manifest and vectors are kept.
pub enum Backend {
    /// A data folder: tantivy BM25, and vectors in parts by product and version, each
    /// searched by its graph (large parts) or scanned.
    Embedded {
        /// The tantivy index and manifest.
        store: Store,
        /// The vectors of the commit opened, when it has any.
        vectors: Option<Vectors>,
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
                *vectors = store.vectors(mcdewey_index::VectorIndex::from_env())?;
                Ok(vectors.as_ref().map(|v| v.model_id.clone()))
            }
            Backend::Postgres(pg) => Ok(pg.model_id().map(str::to_string)),
        }
    }

    /// Whether the index holds vectors an embedding model made, loaded or not (without
    /// loading them).
    pub fn stores_vectors(&self) -> Result<bool, IndexError> {
        match self {
            Backend::Embedded { store, vectors } => {
                Ok(vectors.is_some() || store.manifest()?.model.is_some())
            }
            Backend::Postgres(pg) => Ok(pg.model_id().is_some()),
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

    /// The similarity to a query vector of each chunk in `ids`, exactly, in the order
    /// asked; `None` for a chunk without a vector.
    pub(crate) fn similarities(
        &self,
        query: &[f32],
        ids: &[ChunkId],
    ) -> Result<Vec<Option<f32>>, IndexError> {
        match self {
            Backend::Embedded { vectors, .. } => {
                let Some(vectors) = vectors else {
                    return Ok(vec![None; ids.len()]);
                };
                let names: Vec<String> = ids.iter().map(ChunkId::to_string).collect();
                let scoped: Vec<(&str, &str, &str)> = ids
                    .iter()
                    .zip(&names)
                    .map(|(id, name)| {
                        let (product, version, _) = id.scope().unwrap_or_default();
                        (product, version, name.as_str())
                    })
                    .collect();
                Ok(vectors.similarities(query, &scoped))
            }
            Backend::Postgres(pg) => pg.similarities(query, ids),
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

    /// What this store can do ([`Capabilities`]).
    pub fn capabilities(&self) -> Capabilities {
        match self {
            Backend::Embedded { .. } => Capabilities {
                bm25_weights: true,
                follows_commits: false,
            },
            Backend::Postgres(_) => Capabilities {
                bm25_weights: false,
                follows_commits: true,
            },
        }
    }

    /// Whether another process committed an update since this handle was opened;
    /// always `false` for a store that does not follow commits.
    pub fn changed_since_open(&self) -> Result<bool, IndexError> {
        match self {
            Backend::Embedded { .. } => Ok(false),
            Backend::Postgres(pg) => Ok(pg.current_generation()? != pg.generation()),
        }
    }

    /// A fresh handle on what the store holds now: a data folder is opened again; a
    /// database handle keeps its connection pool and re-reads its state.
    pub fn reopen(&self) -> Result<Backend, IndexError> {
        match self {
            Backend::Embedded { store, .. } => Ok(Store::open(store.data_dir())?.into()),
            Backend::Postgres(pg) => {
                let mut pg = pg.clone();
                pg.refresh()?;
                Ok(pg.into())
            }
        }
    }

    /// Whether the manifest is best read when the engine opens, off the server's async
    /// threads (a database round trip), rather than on first use.
    pub(crate) fn read_manifest_early(&self) -> bool {
        matches!(self, Backend::Postgres(_))
    }

    /// Which store this is, for messages: the data folder or the redacted URL.
    pub fn describe(&self) -> String {
        match self {
            Backend::Embedded { store, .. } => store.data_dir().display().to_string(),
            Backend::Postgres(pg) => pg.name().to_string(),
        }
    }
}
