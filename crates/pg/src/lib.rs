//! The PostgreSQL store: the same chunks, ids, manifest and vectors as the embedded
//! store, kept in tables (see `migrations/`), so that many `mcdewey serve` processes
//! answer from one library while one `mcdewey index` process updates it.
//!
//! Keyword retrieval is PostgreSQL full-text search (`websearch_to_tsquery`, heading
//! path at weight A), semantic retrieval is pgvector (HNSW, cosine), and filters are SQL.
//! An update holds an advisory lock and writes in one transaction: every server sees it
//! whole when it commits, and a killed indexer leaves the previous version in place.

mod tsquery;
mod update;

pub use update::{update_in_batches, update_library};

use mcdewey_catalog::spelling::american_text;
use mcdewey_catalog::{DocEntry, Filter, IndexError, Manifest, SkipEntry};
use mcdewey_core::{Chunk, ChunkId, Location, PageLabel};
use postgres::types::ToSql;
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use std::time::Duration;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// `ts_rank` normalisation: divide by 1 + log(length), as BM25 favours shorter chunks.
/// Chosen with [`HEADING_WEIGHT`] on the CUCM dev set (docs/evaluation.md): 0, 2, 8, 32
/// and `ts_rank_cd` all ranked worse.
const RANK_NORMALIZATION: i32 = 1;

/// `ts_rank` weight of a heading-path match (weight A; the text is weight D = 1). Unlike
/// tantivy's BM25 (heading boost 0), full-text rank gains from it: 0.2 to 0.5 ranked
/// best on the dev set, 0 and 1 worse.
pub const HEADING_WEIGHT: f32 = 0.3;

/// Chunks a keyword search ranks at most, by the document frequencies of the terms
/// chosen as candidates ([`tsquery::candidate_terms`]): a long question's common words
/// match a third of a large library, and ranking each of those rows was most of a
/// search's time (200,000 chunks: hybrid p50 234 -> 78 ms with one client, the keyword
/// top 10 unchanged and 99.8% of its top 100; docs/performance.md). Smaller libraries
/// are not cut.
const CANDIDATE_ROWS: i64 = 20_000;

/// Connections a store keeps open at most (the server runs each request on one).
pub const POOL_SIZE: u32 = 16;

/// Advisory-lock key held by the one process that indexes (21782718617970041; an arbitrary constant,
/// "McDewey" in ASCII).
pub const INDEXER_LOCK: i64 = 0x004D_6344_6577_6579;
/// Advisory-lock key held while migrations run, so servers starting together do not race.
const MIGRATION_LOCK: i64 = INDEXER_LOCK + 1;

/// Whether a `--store` value names a PostgreSQL database.
pub fn is_postgres_url(store: &str) -> bool {
    store.starts_with("postgres://") || store.starts_with("postgresql://")
}

/// The URL with its password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.split_once('@') {
        Some((a, h)) => (a, h),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// A connection pool to one McDewey database, with what the engine reads once per
/// committed update (the generation it was opened at, the model of the vectors).
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    config: postgres::Config,
    name: String,
    generation: i64,
    model: Option<(String, usize)>,
    chunks: u64,
}

/// The library-wide row of the manifest.
struct State {
    generation: i64,
    model: Option<(String, usize)>,
}

impl PgStore {
    /// Connects to `url`, applies pending migrations and reads the current state.
    pub fn connect(url: &str) -> Result<PgStore, IndexError> {
        let name = redact(url);
        let fail = |reason: String| IndexError::Backend {
            store: name.clone(),
            reason,
        };
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| fail(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("mcdewey");
        }
        let mut client = config.connect(NoTls).map_err(|e| {
            fail(format!(
                "cannot connect: {e}; is PostgreSQL running there (scripts/pg-server start DIR starts one)?"
            ))
        })?;
        // A read-only standby (a replica) serves the schema its primary migrated.
        if is_standby(&mut client).map_err(|e| fail(pg_reason(&e)))? {
            check_schema(&mut client).map_err(fail)?;
        } else {
            migrate(&mut client).map_err(fail)?;
        }
        drop(client);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(PostgresConnectionManager::new(config.clone(), NoTls))
            .map_err(|e| fail(format!("cannot open a connection pool: {e}")))?;
        let mut store = PgStore {
            pool,
            config,
            name,
            generation: 0,
            model: None,
            chunks: 0,
        };
        store.refresh()?;
        Ok(store)
    }

    /// Connects to a store that has been indexed; one no update was committed to yet
    /// is an error that says how to build it.
    pub fn open(url: &str) -> Result<PgStore, IndexError> {
        let store = PgStore::connect(url)?;
        if store.generation == 0 {
            return Err(IndexError::NoIndex { store: store.name });
        }
        Ok(store)
    }

    /// Re-reads the generation, model and chunk count (after an update was committed).
    pub fn refresh(&mut self) -> Result<(), IndexError> {
        off_runtime(|| {
            let mut c = self.conn()?;
            let state =
                read_state(&mut *c).map_err(|e| self.err("reading the library state", e))?;
            let row = c
                .query_one("SELECT count(*) FROM chunks", &[])
                .map_err(|e| self.err("counting chunks", e))?;
            self.generation = state.generation;
            self.model = state.model;
            self.chunks = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0);
            Ok(())
        })
    }

    /// The store's URL without its password.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The generation this handle was opened or refreshed at.
    pub fn generation(&self) -> i64 {
        self.generation
    }

    /// The generation committed now (servers poll it to see updates by other processes).
    pub fn current_generation(&self) -> Result<i64, IndexError> {
        off_runtime(|| {
            let mut c = self.conn()?;
            let row = c
                .query_one("SELECT generation FROM library_state", &[])
                .map_err(|e| self.err("reading the generation", e))?;
            Ok(row.get(0))
        })
    }

    /// Id of the embedding model of the stored vectors, if the library has vectors.
    pub fn model_id(&self) -> Option<&str> {
        self.model.as_ref().map(|(m, _)| m.as_str())
    }

    /// Chunks stored when this handle was opened or refreshed.
    pub fn chunk_count(&self) -> u64 {
        self.chunks
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, IndexError> {
        self.pool.get().map_err(|e| IndexError::Backend {
            store: self.name.clone(),
            reason: format!("no connection: {e}"),
        })
    }

    fn err(&self, what: &str, e: postgres::Error) -> IndexError {
        IndexError::Backend {
            store: self.name.clone(),
            reason: format!("{what}: {}", pg_reason(&e)),
        }
    }

    /// The manifest: library state and one entry per indexed document.
    pub fn manifest(&self) -> Result<Manifest, IndexError> {
        off_runtime(|| {
            let mut c = self.conn()?;
            read_manifest(&mut *c).map_err(|e| self.err("reading the manifest", e))
        })
    }

    /// The best `limit` chunks for a keyword query: the sum over its terms of the
    /// term's BM25 idf times its `ts_rank` over the chunk text (weight D) and heading
    /// path (weight A, [`HEADING_WEIGHT`]). Any term may match, as in the embedded
    /// store. The query is read as plain words ([`plain_words`]): no `-word`
    /// exclusions, no `or` operator, no phrases (the engine ranks the passages holding
    /// words in double quotes first, whatever the store).
    pub fn keyword(
        &self,
        query: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, IndexError> {
        off_runtime(|| {
            if limit == 0 {
                return Ok(Vec::new());
            }
            let mut c = self.conn()?;
            let parsed: String = c
                .query_one(
                    "SELECT websearch_to_tsquery('english', $1)::text",
                    &[&american_text(&plain_words(query)).into_owned()],
                )
                .map_err(|e| self.err("parsing the query", e))?
                .get(0);
            let Some(terms) = tsquery::terms(&parsed) else {
                return Ok(Vec::new());
            };
            let (df, idf) = self.term_frequencies(&mut c, &terms)?;
            let any = terms.any_of(&tsquery::candidate_terms(&df, CANDIDATE_ROWS));
            let rank_weights: Vec<f32> = vec![1.0, 0.0, 0.0, HEADING_WEIGHT];
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&any, &rank_weights, &limit];
            // BM25's idea in SQL: each term's ts_rank, weighted by how rare the term is.
            let mut score = Vec::new();
            for (term, w) in terms.positive.iter().zip(&idf) {
                params.push(term);
                let t = params.len();
                params.push(w);
                score.push(format!(
                    "${}::real * ts_rank($2::real[], search, CAST(${t}::text AS tsquery), {RANK_NORMALIZATION})",
                    params.len()
                ));
            }
            let score = score.join(" + ");
            let filter_sql = filter_sql(filter, &mut params);
            let sql = format!(
                "SELECT id, ({score})::real AS score \
                 FROM chunk_search WHERE search @@ CAST($1::text AS tsquery){filter_sql} \
                 ORDER BY score DESC, id LIMIT $3"
            );
            let rows = c
                .query(sql.as_str(), &params)
                .map_err(|e| self.err("keyword search", e))?;
            Ok(scored_ids(&rows))
        })
    }

    /// The document frequency of each positive term, from `term_stats` (a phrase counts
    /// as its rarest word), and its BM25 inverse document frequency.
    fn term_frequencies(
        &self,
        c: &mut postgres::Client,
        terms: &tsquery::Terms,
    ) -> Result<(Vec<i64>, Vec<f32>), IndexError> {
        let per_term: Vec<Vec<String>> =
            terms.positive.iter().map(|t| tsquery::lexemes(t)).collect();
        let mut all: Vec<&String> = per_term.iter().flatten().collect();
        all.sort();
        all.dedup();
        let rows = c
            .query(
                "SELECT term, df FROM term_stats WHERE term = ANY($1)",
                &[&all],
            )
            .map_err(|e| self.err("keyword search", e))?;
        let df: std::collections::HashMap<String, i32> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let n = self.chunks as f32;
        let dfs: Vec<i64> = per_term
            .iter()
            .map(|lexemes| {
                let d = lexemes
                    .iter()
                    .map(|l| df.get(l).copied().unwrap_or(0))
                    .min();
                i64::from(d.unwrap_or(0))
            })
            .collect();
        let idf = dfs
            .iter()
            .map(|&d| {
                let d = d as f32;
                (1.0 + (n - d + 0.5) / (d + 0.5)).ln().max(0.0)
            })
            .collect();
        Ok((dfs, idf))
    }

    /// The `limit` chunks nearest to a unit-length query vector (cosine), best first.
    /// Without a filter the HNSW index answers; with one, the admitted chunks are
    /// scanned exactly (an HNSW scan filtered afterwards could return too few).
    pub fn nearest(
        &self,
        vector: &[f32],
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, IndexError> {
        off_runtime(|| {
            let Some((_, dim)) = &self.model else {
                return Ok(Vec::new());
            };
            if limit == 0 {
                return Ok(Vec::new());
            }
            let q = pgvector::Vector::from(vector.to_vec());
            let limit_i = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&q, &limit_i];
            let filter_sql = filter_sql(filter, &mut params);
            let sql = if filter_sql.is_empty() {
                format!(
                    "SELECT id, (1 - (embedding::vector({dim}) <=> $1))::real FROM chunks \
                     WHERE embedding IS NOT NULL ORDER BY embedding::vector({dim}) <=> $1 LIMIT $2"
                )
            } else {
                format!(
                    "WITH admitted AS MATERIALIZED (SELECT id, embedding FROM chunks \
                     WHERE embedding IS NOT NULL{filter_sql}) \
                     SELECT id, (1 - (embedding <=> $1))::real AS score FROM admitted \
                     ORDER BY embedding <=> $1 LIMIT $2"
                )
            };
            let mut c = self.conn()?;
            let mut tx = c
                .transaction()
                .map_err(|e| self.err("semantic search", e))?;
            // The HNSW scan returns at most ef_search rows: make room for the whole list.
            tx.batch_execute(&format!(
                "SET LOCAL hnsw.ef_search = {}",
                limit.clamp(100, 1000)
            ))
            .map_err(|e| self.err("semantic search", e))?;
            let rows = tx
                .query(sql.as_str(), &params)
                .map_err(|e| self.err("semantic search", e))?;
            tx.commit().map_err(|e| self.err("semantic search", e))?;
            Ok(scored_ids(&rows))
        })
    }

    /// The similarity to `vector` of each chunk `ids` names, exactly, in the order
    /// asked; `None` for a chunk without a vector.
    pub fn similarities(
        &self,
        vector: &[f32],
        ids: &[ChunkId],
    ) -> Result<Vec<Option<f32>>, IndexError> {
        off_runtime(|| {
            let Some((_, dim)) = &self.model else {
                return Ok(vec![None; ids.len()]);
            };
            let q = pgvector::Vector::from(vector.to_vec());
            let wanted: Vec<String> = ids.iter().map(ChunkId::to_string).collect();
            let sql = format!(
                "SELECT id, (1 - (embedding::vector({dim}) <=> $1))::real FROM chunks \
                 WHERE id = ANY($2) AND embedding IS NOT NULL"
            );
            let rows = self
                .conn()?
                .query(sql.as_str(), &[&q, &wanted])
                .map_err(|e| self.err("similarities", e))?;
            let by_id: std::collections::HashMap<String, f32> = rows
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, f32>(1)))
                .collect();
            Ok(wanted.iter().map(|id| by_id.get(id).copied()).collect())
        })
    }

    /// One chunk by id.
    pub fn chunk(&self, id: &ChunkId) -> Result<Option<Chunk>, IndexError> {
        Ok(self.chunks(std::slice::from_ref(id))?.pop().flatten())
    }

    /// Several chunks by id in one query, in the order asked (`None` where an id has
    /// no chunk).
    pub fn chunks(&self, ids: &[ChunkId]) -> Result<Vec<Option<Chunk>>, IndexError> {
        off_runtime(|| {
            let wanted: Vec<String> = ids.iter().map(ChunkId::to_string).collect();
            let mut c = self.conn()?;
            let rows = c
                .query(
                    &format!("SELECT {CHUNK_COLUMNS} FROM chunks WHERE id = ANY($1)"),
                    &[&wanted],
                )
                .map_err(|e| self.err("reading chunks", e))?;
            let mut by_id = rows
                .iter()
                .map(|r| Ok((r.get::<_, String>(0), chunk_of_row(&self.name, r)?)))
                .collect::<Result<std::collections::HashMap<String, Chunk>, IndexError>>()?;
            Ok(wanted.iter().map(|id| by_id.remove(id)).collect())
        })
    }

    /// The chunks of `document` with ordinals `from..=to`, in order.
    pub fn chunk_range(
        &self,
        document: &str,
        from: u32,
        to: u32,
    ) -> Result<Vec<Chunk>, IndexError> {
        off_runtime(|| {
            let (from, to) = (
                i32::try_from(from).unwrap_or(i32::MAX),
                i32::try_from(to).unwrap_or(i32::MAX),
            );
            let mut c = self.conn()?;
            let rows = c
                .query(
                    &format!(
                        "SELECT {CHUNK_COLUMNS} FROM chunks WHERE document = $1 \
                         AND ordinal BETWEEN $2 AND $3 ORDER BY ordinal"
                    ),
                    &[&document, &from, &to],
                )
                .map_err(|e| self.err("reading chunks", e))?;
            rows.iter().map(|r| chunk_of_row(&self.name, r)).collect()
        })
    }

    /// Every chunk of `document`, in order.
    pub fn document_chunks(&self, document: &str) -> Result<Vec<Chunk>, IndexError> {
        self.chunk_range(document, 0, u32::MAX)
    }

    /// A connection of its own (not pooled), for the indexer's lock and transaction.
    fn dedicated(&self) -> Result<postgres::Client, IndexError> {
        self.config.connect(NoTls).map_err(|e| IndexError::Backend {
            store: self.name.clone(),
            reason: format!("cannot connect: {}", pg_reason(&e)),
        })
    }
}

/// Runs blocking database work. The client blocks on a runtime of its own, which
/// tokio forbids on a thread driving async tasks: there, the work moves off the worker
/// first (the server runs store calls on blocking threads anyway; this keeps a call
/// that slips through from aborting the process).
fn off_runtime<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// `(id, score)` rows as chunk ids with their scores (ids that do not parse are left out).
fn scored_ids(rows: &[postgres::Row]) -> Vec<(ChunkId, f32)> {
    rows.iter()
        .filter_map(|r| {
            let id: String = r.get(0);
            id.parse().ok().map(|id| (id, r.get::<_, f32>(1)))
        })
        .collect()
}

/// The columns [`chunk_of_row`] reads, in its order.
const CHUNK_COLUMNS: &str = "id, source, product, version, doc_set, heading, page, page_end, \
     pdf_page, pdf_page_end, body, raw, line_start, line_end";

/// A chunk read from a row; an id that is not `product::version::doc-set::stem::ordinal`
/// (a row McDewey did not write) is an error naming it, never a made-up ordinal.
fn chunk_of_row(store: &str, r: &postgres::Row) -> Result<Chunk, IndexError> {
    let id: String = r.get(0);
    let id = id.parse::<ChunkId>().map_err(|e| IndexError::Backend {
        store: store.to_string(),
        reason: format!(
            "chunk id {} in the chunks table is not product::version::doc-set::stem::ordinal ({e}); rebuild the index with `mcdewey index`",
            mcdewey_core::shorten(&format!("{id:?}"), 80)
        ),
    })?;
    let u32_of = |i: usize| u32::try_from(r.get::<_, i32>(i)).unwrap_or(0);
    let opt_u32 = |i: usize| {
        r.get::<_, Option<i32>>(i)
            .and_then(|v| u32::try_from(v).ok())
    };
    Ok(Chunk {
        id,
        source: r.get(1),
        product: r.get(2),
        version: r.get(3),
        doc_set: r.get(4),
        heading: r.get(5),
        location: Location {
            page: r.get::<_, Option<String>>(6).map(PageLabel),
            page_end: r.get::<_, Option<String>>(7).map(PageLabel),
            pdf_page: opt_u32(8),
            pdf_page_end: opt_u32(9),
            line_start: u32_of(12),
            line_end: u32_of(13),
        },
        text: r.get(10),
        raw: r.get(11),
    })
}

/// `AND ...` clauses for a filter, appending their parameters after those given.
fn filter_sql<'a>(filter: &'a Filter, params: &mut Vec<&'a (dyn ToSql + Sync)>) -> String {
    let mut sql = String::new();
    if let Some(p) = &filter.product {
        params.push(p);
        sql.push_str(&format!(" AND product = ${}", params.len()));
    }
    if let Some(d) = &filter.doc_set {
        params.push(d);
        sql.push_str(&format!(" AND doc_set = ${}", params.len()));
    }
    if let Some(pairs) = &filter.versions {
        if pairs.is_empty() {
            sql.push_str(" AND false");
        } else {
            // One `(product = $i AND version = $j)` per pair: few pairs, planner-friendly.
            let mut any = Vec::new();
            for (p, v) in pairs {
                params.push(p);
                let pi = params.len();
                params.push(v);
                any.push(format!("(product = ${pi} AND version = ${})", params.len()));
            }
            sql.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
    }
    sql
}

/// The message of a PostgreSQL error, with the server's detail when it sent one.
fn pg_reason(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

/// Whether the server is a standby in recovery (a read-only replica).
fn is_standby(client: &mut postgres::Client) -> Result<bool, postgres::Error> {
    Ok(client.query_one("SELECT pg_is_in_recovery()", &[])?.get(0))
}

/// On a standby: the primary must have applied every migration this build knows.
fn check_schema(client: &mut postgres::Client) -> Result<(), String> {
    let wanted = embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version())
        .max()
        .unwrap_or(0);
    let applied: Option<i32> = client
        .query_one("SELECT max(version) FROM refinery_schema_history", &[])
        .map(|r| r.get(0))
        .unwrap_or(None);
    match applied {
        Some(v) if i64::from(v) >= i64::from(wanted) => Ok(()),
        _ => Err(format!(
            "this read-only standby has schema version {} of {wanted}; run `mcdewey index` \
             against the primary first, then let the replica catch up",
            applied.map_or("none".to_string(), |v| v.to_string())
        )),
    }
}

fn migrate(client: &mut postgres::Client) -> Result<(), String> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| format!("cannot lock for migrations: {}", pg_reason(&e)))?;
    let result = embedded::migrations::runner()
        .run(client)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "migrating the schema: {e}; the pgvector extension must be available \
                 (CREATE EXTENSION vector) and the user allowed to create tables"
            )
        });
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

fn read_state(c: &mut impl postgres::GenericClient) -> Result<State, postgres::Error> {
    let row = c.query_one("SELECT generation, model, dim FROM library_state", &[])?;
    let model: Option<String> = row.get(1);
    let dim: Option<i32> = row.get(2);
    Ok(State {
        generation: row.get(0),
        model: model.zip(dim.and_then(|d| usize::try_from(d).ok())),
    })
}

fn read_manifest(c: &mut impl postgres::GenericClient) -> Result<Manifest, postgres::Error> {
    let row = c.query_one(
        "SELECT settings, library, updated_at, model, skipped FROM library_state",
        &[],
    )?;
    let skipped: serde_json::Value = row.get(4);
    let skipped: Vec<SkipEntry> = serde_json::from_value(skipped).unwrap_or_default();
    let mut manifest = Manifest {
        settings: row.get(0),
        library: row.get(1),
        documents: Default::default(),
        skipped,
        updated_at: u64::try_from(row.get::<_, i64>(2)).unwrap_or(0),
        vectors: None,
        model: row.get(3),
    };
    for r in c.query(
        "SELECT source, document, hash, chunks, bytes, indexed_at, warnings, stale FROM documents",
        &[],
    )? {
        let warnings: serde_json::Value = r.get(6);
        manifest.documents.insert(
            r.get(0),
            DocEntry {
                document: r.get(1),
                hash: r.get(2),
                chunks: u32::try_from(r.get::<_, i32>(3)).unwrap_or(0),
                bytes: u64::try_from(r.get::<_, i64>(4)).unwrap_or(0),
                indexed_at: u64::try_from(r.get::<_, i64>(5)).unwrap_or(0),
                warnings: serde_json::from_value(warnings).unwrap_or_default(),
                stale: r.get(7),
            },
        );
    }
    Ok(manifest)
}

/// `query` read as plain words, as the embedded store reads it, before
/// `websearch_to_tsquery` sees it: a dash that begins a word (one not after a letter or
/// digit) is part of a flag — `-fsanitize=address`, `-Wl,--thinlto-cache-dir`, `(-O2)`
/// are terms to find, not words to leave out — and "or" is a word of the question ("the
/// phone itself or CUCM"), not an operator; `thinlto-cache-dir` keeps its dashes.
/// Double quotes make no phrase either: a phrase no chunk holds would find nothing,
/// where the embedded store finds the chunks holding its words.
fn plain_words(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut after_word = false;
    for c in query.chars() {
        let quote = matches!(c, '"' | '“' | '”');
        out.push(if quote || (c == '-' && !after_word) {
            ' '
        } else {
            c
        });
        after_word = c.is_alphanumeric() || (c == '-' && after_word);
    }
    out.split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case("or"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_and_passwords_never_shown() {
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(is_postgres_url("postgresql://u@h/db"));
        assert!(!is_postgres_url("mcdewey-data"));
        assert_eq!(
            redact("postgres://me:secret@db.local:5432/lib"),
            "postgres://me:***@db.local:5432/lib"
        );
        assert_eq!(redact("postgres://me@h/lib"), "postgres://me@h/lib");
        assert_eq!(redact("postgres://h/lib"), "postgres://h/lib");
    }

    #[test]
    fn queries_are_read_as_plain_words() {
        assert_eq!(plain_words("-fsanitize=address"), "fsanitize=address");
        assert_eq!(
            plain_words("-Wl,--thinlto-cache-dir"),
            "Wl, thinlto-cache-dir"
        );
        assert_eq!(plain_words("use (-O2) x--y"), "use ( O2) x--y");
        assert_eq!(
            plain_words("the phone itself OR CUCM, or Skinny?"),
            "the phone itself CUCM, Skinny?"
        );
        assert_eq!(plain_words("\"link state\" orders"), "link state orders");
        assert_eq!(plain_words("“link-state” orders"), "link-state orders");
    }

    #[test]
    fn filters_become_parameterised_sql() {
        let f = Filter {
            product: Some("cucm".into()),
            versions: Some(vec![
                ("cucm".into(), "v15".into()),
                ("cucm".into(), "v14".into()),
            ]),
            doc_set: Some("security-guide".into()),
        };
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        let sql = filter_sql(&f, &mut params);
        assert_eq!(
            sql,
            " AND product = $1 AND doc_set = $2 AND ((product = $3 AND version = $4) OR (product = $5 AND version = $6))"
        );
        assert_eq!(params.len(), 6);
        let none = Filter {
            versions: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(filter_sql(&none, &mut Vec::new()), " AND false");
        assert_eq!(filter_sql(&Filter::default(), &mut Vec::new()), "");
    }
}
