//! Incremental update of the PostgreSQL store: the same library scan as the embedded
//! store, committed in batches (one transaction each) under the indexer's advisory lock.

use crate::{pg_reason, read_manifest, PgStore, INDEXER_LOCK};
use mcdewey_catalog::spelling::american_text;
use mcdewey_catalog::{
    embed_with_cache, embedding_text, embedding_text_of, ChunkSink, Embedding, IndexError,
    Manifest, Progress, Scanner, UpdateSummary, MIN_BATCH_CHUNKS,
};
use mcdewey_core::Chunk;
use mcdewey_ingest::IngestOptions;
use postgres::types::ToSql;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// What the scan asked for, applied later in the update's transaction.
#[derive(Default)]
struct Recorder {
    cleared: bool,
    /// Sources whose chunks go (removed, or replaced by the fresh chunks).
    dropped: BTreeSet<String>,
}

impl ChunkSink for Recorder {
    fn replace(&mut self, source: &str, _chunks: &[Chunk]) -> Result<(), IndexError> {
        self.dropped.insert(source.to_string());
        Ok(())
    }
    fn remove(&mut self, source: &str) {
        self.dropped.insert(source.to_string());
    }
    fn clear(&mut self) -> Result<(), IndexError> {
        self.cleared = true;
        Ok(())
    }
}

/// Brings the database up to date with `library`, as
/// `mcdewey_index::update_library` does for a data folder. Only one process may
/// update a database at a time: a second fails at once with a clear error. Work is
/// committed in batches of [`MIN_BATCH_CHUNKS`] fresh chunks, each one transaction
/// with its documents and the library's state, so a process killed part-way keeps what
/// it committed (servers see each batch) and the next run goes on from there; its lock
/// goes with its connection. A rebuild (settings changed) and a change of model, which
/// re-embeds every chunk, commit at once, so the previous version stays whole until
/// the new one is.
pub fn update_library(
    store: &mut PgStore,
    library: &Path,
    opts: &IngestOptions,
    embedding: Option<Embedding>,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateSummary, IndexError> {
    update_in_batches(store, library, opts, embedding, progress, MIN_BATCH_CHUNKS)
}

/// [`update_library`] committing every `min_batch` fresh chunks (tests use small ones).
pub fn update_in_batches(
    store: &mut PgStore,
    library: &Path,
    opts: &IngestOptions,
    embedding: Option<Embedding>,
    progress: &mut dyn FnMut(Progress),
    min_batch: usize,
) -> Result<UpdateSummary, IndexError> {
    let name = store.name.clone();
    let fail = |what: &str, e: postgres::Error| IndexError::Backend {
        store: name.clone(),
        reason: format!("{what}: {}", pg_reason(&e)),
    };
    let mut client = store.dedicated()?;
    if crate::is_standby(&mut client).map_err(|e| fail("checking the server", e))? {
        return Err(IndexError::Backend {
            store: name.clone(),
            reason: "a read-only standby; index against the primary (servers may read from \
                     replicas)"
                .into(),
        });
    }
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&INDEXER_LOCK])
        .map_err(|e| fail("taking the indexer lock", e))?
        .get(0);
    if !locked {
        return Err(IndexError::Locked {
            store: name.clone(),
        });
    }
    let old = read_manifest(&mut client).map_err(|e| fail("reading the manifest", e))?;
    let mut recorder = Recorder::default();
    let mut scanner = Scanner::start(&old, library, opts, &mut recorder, progress)?;
    let new_model = embedding.map(|e| e.model.model_id().to_string());
    let model_changes = new_model.is_some() && new_model != old.model && !old.documents.is_empty();
    let at_once = recorder.cleared || model_changes;
    // The manifest as the database holds it: each batch writes what differs from it.
    let mut committed = old;
    let mut embedded = 0;
    loop {
        let budget = (!at_once).then_some(min_batch);
        let complete = scanner.next_batch(opts, &mut recorder, progress, budget)?;
        let fresh = std::mem::take(&mut scanner.scan.fresh);
        let batch = Batch {
            before: &committed,
            manifest: scanner.scan.manifest.clone(),
            fresh: &fresh,
            dropped: std::mem::take(&mut recorder.dropped),
            cleared: std::mem::take(&mut recorder.cleared),
        };
        let (manifest, n) = commit_batch(&mut client, store, batch, embedding, progress)?;
        embedded += n;
        scanner.scan.manifest.model = manifest.model.clone();
        committed = manifest;
        store.refresh()?;
        if complete {
            break;
        }
    }
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&INDEXER_LOCK]);
    let mut summary = scanner.scan.summary;
    summary.embedded = embedded;
    summary.documents = committed.documents.len();
    summary.chunks = store.chunk_count();
    summary.vectors = if store.model.is_some() {
        usize::try_from(summary.chunks).unwrap_or(usize::MAX)
    } else {
        0
    };
    summary.skipped = committed.skipped;
    Ok(summary)
}

/// One batch of an update: the documents read since the last commit.
struct Batch<'a> {
    /// The manifest the database holds now.
    before: &'a Manifest,
    /// The manifest once this batch is committed.
    manifest: Manifest,
    /// Chunks of the documents read again, by source.
    fresh: &'a HashMap<String, Vec<Chunk>>,
    /// Sources whose chunks go (removed, or replaced by their fresh chunks).
    dropped: BTreeSet<String>,
    /// Whether every chunk goes first (a rebuild).
    cleared: bool,
}

/// Embeds and writes one batch in one transaction; returns the manifest committed and
/// how many chunks the model embedded.
fn commit_batch(
    client: &mut postgres::Client,
    store: &PgStore,
    batch: Batch,
    embedding: Option<Embedding>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Manifest, usize), IndexError> {
    let fail = |what: &str, e: postgres::Error| store.err(what, e);
    let Batch {
        before: old,
        mut manifest,
        fresh,
        dropped,
        cleared,
    } = batch;
    let mut embedded = 0;
    // Vectors: of every fresh chunk, and of all the others when the model changed.
    let mut fresh_vectors: Vec<Option<pgvector::Vector>> = Vec::new();
    let mut reembedded: Vec<(String, pgvector::Vector)> = Vec::new();
    let fresh_chunks: Vec<&Chunk> = fresh.values().flatten().collect();
    let mut model: Option<(String, i32)> = None;
    if let Some(embedding) = &embedding {
        let embedder = embedding.model;
        let model_id = embedder.model_id().to_string();
        let mut cache = embedding.open_cache(None);
        // Text that did not change keeps its vector: seed the cache with the stored
        // vectors of the documents read again (same model).
        if old.model.as_deref() == Some(model_id.as_str()) {
            let stored = client
                .prepare(
                    "SELECT heading, body, embedding FROM chunks \
                     WHERE source = $1 AND embedding IS NOT NULL",
                )
                .map_err(|e| fail("reading stored vectors", e))?;
            for source in dropped.iter().filter(|s| fresh.contains_key(*s)) {
                for row in client
                    .query(&stored, &[source])
                    .map_err(|e| fail("reading stored vectors", e))?
                {
                    let (heading, text): (Vec<String>, String) = (row.get(0), row.get(1));
                    let v: pgvector::Vector = row.get(2);
                    cache.insert(&embedding_text_of(&heading, &text), v.to_vec());
                }
            }
        }
        let mut kept: Vec<Chunk> = Vec::new();
        if old.model.as_deref() != Some(model_id.as_str()) && !cleared {
            for (source, entry) in &manifest.documents {
                if !fresh.contains_key(source) {
                    kept.extend(store.document_chunks(&entry.document)?);
                }
            }
        }
        let texts: Vec<String> = fresh_chunks
            .iter()
            .copied()
            .chain(kept.iter())
            .map(embedding_text)
            .collect();
        let (vectors, n) = embed_with_cache(embedding, &mut cache, &texts, progress)?;
        embedded = n;
        let mut vectors = vectors.into_iter();
        fresh_vectors = vectors
            .by_ref()
            .take(fresh_chunks.len())
            .map(|v| Some(pgvector::Vector::from(v)))
            .collect();
        reembedded = kept
            .iter()
            .zip(vectors)
            .map(|(c, v)| (c.id.to_string(), pgvector::Vector::from(v)))
            .collect();
        if let Err(err) = cache.save() {
            tracing::warn!(target: "mcdewey::index", "embedding cache not saved: {err}");
        }
        manifest.model = Some(model_id.clone());
        model = Some((model_id, i32::try_from(embedder.dim()).unwrap_or(i32::MAX)));
    } else {
        fresh_vectors.resize(fresh_chunks.len(), None);
    }

    progress(Progress::Committing);
    let mut tx = client
        .transaction()
        .map_err(|e| fail("starting the update", e))?;
    let w = |e| fail("writing the update", e);
    if cleared {
        tx.batch_execute("DELETE FROM chunks; DELETE FROM documents; DELETE FROM term_stats")
            .map_err(w)?;
    } else if !dropped.is_empty() {
        // The words of the chunks that go leave the document frequencies.
        tx.batch_execute(
            "CREATE TEMP TABLE changed_sources (source text PRIMARY KEY) ON COMMIT DROP",
        )
        .map_err(w)?;
        let note = tx
            .prepare("INSERT INTO changed_sources VALUES ($1)")
            .map_err(w)?;
        for source in &dropped {
            tx.execute(&note, &[source]).map_err(w)?;
        }
        tx.batch_execute(&term_stats_delta("-", CHANGED_SEARCH))
            .map_err(w)?;
        tx.batch_execute("DELETE FROM chunks WHERE source IN (SELECT source FROM changed_sources)")
            .map_err(w)?;
    }
    // A model of another dimension: its HNSW index cannot hold the new vectors.
    let dim = model.as_ref().map(|(_, d)| *d);
    for row in tx
        .query(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'chunks' \
             AND indexname LIKE 'chunks\\_embedding\\_%'",
            &[],
        )
        .map_err(w)?
    {
        let index: String = row.get(0);
        if dim.is_none_or(|d| index != format!("chunks_embedding_{d}")) {
            tx.batch_execute(&format!("DROP INDEX {index}"))
                .map_err(w)?;
        }
    }
    let insert = tx
        .prepare(
            "INSERT INTO chunks (id, document, ordinal, source, product, version, doc_set, \
             heading, page, page_end, pdf_page, pdf_page_end, body, raw, line_start, line_end, \
             embedding) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .map_err(w)?;
    let insert_search = tx
        .prepare(
            "INSERT INTO chunk_search (id, product, version, doc_set, search) VALUES ($1, $2, $3, $4, \
             setweight(to_tsvector('english', $5), 'A') || setweight(to_tsvector('english', $6), 'D'))",
        )
        .map_err(w)?;
    for (chunk, vector) in fresh_chunks.iter().zip(&fresh_vectors) {
        let to_i32 = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        let id = chunk.id.to_string();
        let ordinal = to_i32(chunk.id.ordinal);
        let at = &chunk.location;
        let page = at.page.as_ref().map(|p| p.0.clone());
        let page_end = at.page_end.as_ref().map(|p| p.0.clone());
        let pdf_page = at.pdf_page.map(to_i32);
        let pdf_page_end = at.pdf_page_end.map(to_i32);
        let (line_start, line_end) = (to_i32(at.line_start), to_i32(at.line_end));
        let heading_text = chunk.heading.join(" / ");
        let params: [&(dyn ToSql + Sync); 17] = [
            &id,
            &chunk.id.document,
            &ordinal,
            &chunk.source,
            &chunk.product,
            &chunk.version,
            &chunk.doc_set,
            &chunk.heading,
            &page,
            &page_end,
            &pdf_page,
            &pdf_page_end,
            &chunk.text,
            &chunk.raw,
            &line_start,
            &line_end,
            vector,
        ];
        tx.execute(&insert, &params).map_err(w)?;
        // Searched as the embedded store's analyzer reads words: British spellings the
        // American way (the stored text stays as written).
        let (heading_words, body_words) = (
            american_text(&heading_text).into_owned(),
            american_text(&chunk.text).into_owned(),
        );
        tx.execute(
            &insert_search,
            &[
                &id,
                &chunk.product,
                &chunk.version,
                &chunk.doc_set,
                &heading_words,
                &body_words,
            ],
        )
        .map_err(w)?;
    }
    // The words of the chunks that came join the document frequencies.
    if cleared {
        tx.batch_execute(&term_stats_delta("+", "SELECT search FROM chunk_search"))
            .map_err(w)?;
    } else if !dropped.is_empty() {
        tx.batch_execute(&term_stats_delta("+", CHANGED_SEARCH))
            .map_err(w)?;
        tx.batch_execute("DELETE FROM term_stats WHERE df <= 0")
            .map_err(w)?;
    }
    let set_vector = tx
        .prepare("UPDATE chunks SET embedding = $2 WHERE id = $1")
        .map_err(w)?;
    for (id, v) in &reembedded {
        tx.execute(&set_vector, &[id, v]).map_err(w)?;
    }
    if let Some(d) = dim {
        tx.batch_execute(&format!(
            "CREATE INDEX IF NOT EXISTS chunks_embedding_{d} ON chunks \
             USING hnsw ((embedding::vector({d})) vector_cosine_ops)"
        ))
        .map_err(w)?;
    }
    let before = if cleared { &Manifest::default() } else { old };
    write_documents(&mut tx, before, &manifest).map_err(w)?;
    let skipped = serde_json::to_value(&manifest.skipped).expect("skip entries serialise");
    let updated_at = i64::try_from(manifest.updated_at).unwrap_or(i64::MAX);
    let (model_id, model_dim) = (model.as_ref().map(|m| &m.0), dim);
    tx.execute(
        "UPDATE library_state SET generation = generation + 1, settings = $1, library = $2, \
         updated_at = $3, model = $4, dim = $5, skipped = $6",
        &[
            &manifest.settings,
            &manifest.library,
            &updated_at,
            &model_id,
            &model_dim,
            &skipped,
        ],
    )
    .map_err(w)?;
    tx.commit().map_err(|e| fail("committing the update", e))?;
    Ok((manifest, embedded))
}

/// The tsvectors of the chunks of the sources in `changed_sources`.
const CHANGED_SEARCH: &str = "SELECT s.search FROM chunk_search s JOIN chunks c USING (id) \
     WHERE c.source IN (SELECT source FROM changed_sources)";

/// SQL adding (`sign` `+`) or subtracting (`-`) the document frequencies of the words
/// of the tsvectors `rows` selects to `term_stats`.
fn term_stats_delta(sign: &str, rows: &str) -> String {
    format!(
        "INSERT INTO term_stats AS t (term, df) \
         SELECT word, {sign}ndoc FROM ts_stat('{}') \
         ON CONFLICT (term) DO UPDATE SET df = t.df + EXCLUDED.df",
        rows.replace('\'', "''")
    )
}

/// Writes the document rows that differ from the previous manifest.
fn write_documents(
    tx: &mut postgres::Transaction,
    old: &Manifest,
    new: &Manifest,
) -> Result<(), postgres::Error> {
    let remove = tx.prepare("DELETE FROM documents WHERE source = $1")?;
    for source in old.documents.keys() {
        if !new.documents.contains_key(source) {
            tx.execute(&remove, &[source])?;
        }
    }
    let upsert = tx.prepare(
        "INSERT INTO documents (source, document, hash, chunks, bytes, indexed_at, warnings, stale) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (source) DO UPDATE SET document = EXCLUDED.document, hash = EXCLUDED.hash, \
         chunks = EXCLUDED.chunks, bytes = EXCLUDED.bytes, indexed_at = EXCLUDED.indexed_at, \
         warnings = EXCLUDED.warnings, stale = EXCLUDED.stale",
    )?;
    for (source, entry) in &new.documents {
        if old.documents.get(source) == Some(entry) {
            continue;
        }
        let chunks = i32::try_from(entry.chunks).unwrap_or(i32::MAX);
        let bytes = i64::try_from(entry.bytes).unwrap_or(i64::MAX);
        let indexed_at = i64::try_from(entry.indexed_at).unwrap_or(i64::MAX);
        let warnings = serde_json::to_value(&entry.warnings).expect("warnings serialise");
        tx.execute(
            &upsert,
            &[
                source,
                &entry.document,
                &entry.hash,
                &chunks,
                &bytes,
                &indexed_at,
                &warnings,
                &entry.stale,
            ],
        )?;
    }
    Ok(())
}
