//! The embedded store: one tantivy index in `<data>/tantivy` whose every commit carries
//! the manifest of indexed files as its payload, so index and manifest change together
//! atomically or not at all.

use crate::analyzer::{technical_analyzer, ANALYZER};
use crate::schema::Fields;
use crate::IndexError;
use mcdewey_catalog::{Bm25Weights, Filter, Manifest};
use mcdewey_core::{Chunk, ChunkId};
use std::collections::HashSet;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// The embedded index of a data folder.
pub struct Store {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl Store {
    /// Opens the index in `data_dir`; an error says how to build it when there is none.
    pub fn open(data_dir: &Path) -> Result<Store, IndexError> {
        let dir = data_dir.join("tantivy");
        if !dir.join("meta.json").exists() {
            return Err(IndexError::NoIndex {
                store: data_dir.display().to_string(),
            });
        }
        let index = Index::open_in_dir(&dir).map_err(|e| crate::tantivy_error(&dir, e))?;
        Store::from_index(data_dir, index)
    }

    /// Opens the index in `data_dir`, creating an empty one if there is none.
    pub fn open_or_create(data_dir: &Path) -> Result<Store, IndexError> {
        let dir = data_dir.join("tantivy");
        if dir.join("meta.json").exists() {
            return Store::open(data_dir);
        }
        std::fs::create_dir_all(&dir).map_err(|e| IndexError::Io {
            path: dir.clone(),
            source: e,
        })?;
        let index = Index::create_in_dir(&dir, Fields::new().schema)
            .map_err(|e| crate::tantivy_error(&dir, e))?;
        Store::from_index(data_dir, index)
    }

    fn from_index(data_dir: &Path, index: Index) -> Result<Store, IndexError> {
        let dir = data_dir.join("tantivy");
        index.tokenizers().register(ANALYZER, technical_analyzer());
        let fields =
            Fields::from_schema(&index.schema()).map_err(|e| crate::tantivy_error(&dir, e))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| crate::tantivy_error(&dir, e))?;
        Ok(Store {
            dir: data_dir.to_path_buf(),
            index,
            reader,
            fields,
        })
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// The chunk vectors named by the last commit, if it has any, searched as `mode`
    /// says.
    pub fn vectors(&self, mode: crate::VectorIndex) -> Result<Option<crate::Vectors>, IndexError> {
        match self.manifest()?.vectors {
            None => Ok(None),
            Some(name) => crate::Vectors::load(&self.dir.join("vectors"), &name, mode).map(Some),
        }
    }

    fn err(&self, e: tantivy::TantivyError) -> IndexError {
        crate::tantivy_error(&self.dir.join("tantivy"), e)
    }

    /// The manifest of the last commit (empty for a new index).
    pub fn manifest(&self) -> Result<Manifest, IndexError> {
        let meta = self.index.load_metas().map_err(|e| self.err(e))?;
        match meta.payload {
            None => Ok(Manifest::default()),
            Some(p) => serde_json::from_str(&p).map_err(|e| IndexError::Corrupt {
                path: self.dir.join("tantivy/meta.json"),
                reason: format!("manifest payload: {e}"),
            }),
        }
    }

    /// Makes the last commit visible to searches.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload().map_err(|e| self.err(e))
    }

    /// Number of chunks searchable now.
    pub fn chunk_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A chunk by id.
    pub fn chunk(&self, id: &ChunkId) -> Result<Option<Chunk>, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(self.fields.chunk_term(id), IndexRecordOption::Basic);
        let top = searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| self.err(e))?;
        match top.first() {
            None => Ok(None),
            Some(&(_, addr)) => {
                let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.err(e))?;
                Ok(self.fields.to_chunk(&doc))
            }
        }
    }

    /// Chunks `from..=to` (ordinals) of a document, in order.
    pub fn chunk_range(
        &self,
        document: &str,
        from: u32,
        to: u32,
    ) -> Result<Vec<Chunk>, IndexError> {
        if to < from {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let doc_q = TermQuery::new(
            Term::from_field_text(self.fields.document, document),
            IndexRecordOption::Basic,
        );
        let range = RangeQuery::new(
            Bound::Included(Term::from_field_u64(self.fields.ordinal, u64::from(from))),
            Bound::Included(Term::from_field_u64(self.fields.ordinal, u64::from(to))),
        );
        let q = BooleanQuery::new(vec![
            (Occur::Must, Box::new(doc_q) as Box<dyn Query>),
            (Occur::Must, Box::new(range)),
        ]);
        let limit = usize::try_from(to - from + 1)
            .unwrap_or(usize::MAX)
            .min(100_000);
        let top = searcher
            .search(&q, &TopDocs::with_limit(limit).order_by_score())
            .map_err(|e| self.err(e))?;
        let mut chunks = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.err(e))?;
            chunks.extend(self.fields.to_chunk(&doc));
        }
        chunks.sort_by_key(|c| c.id.ordinal);
        Ok(chunks)
    }

    /// Every chunk of a document, in order.
    pub fn document_chunks(&self, document: &str) -> Result<Vec<Chunk>, IndexError> {
        self.chunk_range(document, 0, u32::MAX - 1)
    }

    /// Keyword retrieval: BM25 over body and (boosted) heading path for the analysed
    /// query terms, restricted by `filter`. Returns ids with scores, best first.
    pub fn bm25(
        &self,
        query: &str,
        filter: &Filter,
        weights: Bm25Weights,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, IndexError> {
        let mut analyzer = self
            .index
            .tokenizers()
            .get(ANALYZER)
            .expect("analyzer registered at open");
        let mut seen = HashSet::new();
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in crate::analyzer::analyze(&mut analyzer, query) {
            if !seen.insert(term.clone()) {
                continue;
            }
            let body = TermQuery::new(
                Term::from_field_text(self.fields.body, &term),
                IndexRecordOption::WithFreqs,
            );
            should.push((Occur::Should, Box::new(body)));
            if weights.heading > 0.0 {
                let heading = TermQuery::new(
                    Term::from_field_text(self.fields.heading_text, &term),
                    IndexRecordOption::WithFreqs,
                );
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(heading), weights.heading)),
                ));
            }
        }
        if should.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // The terms' union sits under a `Must`, so tantivy scores every chunk that holds
        // a query term instead of skipping by block-max WAND: long questions (a
        // SciFact claim has 10-20 terms) ran slower with WAND at a million chunks
        // (p50 12 -> 18 ms a query, docs/performance.md).
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(should)))];
        if let Some(f) = self.filter_query(filter) {
            clauses.push((Occur::Must, Box::new(BoostQuery::new(f, 0.0))));
        }
        let q = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&q, &TopDocs::with_limit(limit).order_by_score())
            .map_err(|e| self.err(e))?;
        self.ids_of(&searcher, top)
    }

    /// The chunk ids of hits, read from the document and ordinal columns rather than
    /// the stored documents: each stored document is a compressed block to read and
    /// open, and the 100 of a keyword search touched pages all over the store (peak
    /// resident memory at a million chunks 1,424 -> 1,161 MiB, docs/performance.md).
    fn ids_of(
        &self,
        searcher: &tantivy::Searcher,
        top: Vec<(f32, tantivy::DocAddress)>,
    ) -> Result<Vec<(ChunkId, f32)>, IndexError> {
        let mut columns = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(top.len());
        let mut document = String::new();
        for (score, addr) in top {
            let (documents, ordinals) = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let fast = searcher.segment_reader(addr.segment_ord).fast_fields();
                    let name = |f| self.fields.schema.get_field_name(f);
                    let documents = fast
                        .str(name(self.fields.document))
                        .map_err(|e| self.err(e))?;
                    let ordinals = fast
                        .u64(name(self.fields.ordinal))
                        .map_err(|e| self.err(e))?;
                    e.insert((documents, ordinals))
                }
            };
            let ord = documents
                .as_ref()
                .and_then(|d| d.term_ords(addr.doc_id).next());
            let ordinal = ordinals
                .first(addr.doc_id)
                .and_then(|o| u32::try_from(o).ok());
            document.clear();
            let from_columns = match (documents, ord, ordinal) {
                (Some(documents), Some(ord), Some(ordinal)) => documents
                    .ord_to_str(ord, &mut document)
                    .map_err(|e| IndexError::Index {
                        path: self.dir.clone(),
                        source: Box::new(e),
                    })?
                    .then(|| ChunkId::new(document.clone(), ordinal)),
                _ => None,
            };
            // Every index McDewey writes has both columns; the stored document is the
            // fallback all the same.
            let id = match from_columns {
                Some(id) => Some(id),
                None => {
                    let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.err(e))?;
                    doc.get_first(self.fields.chunk_id)
                        .and_then(|v| tantivy::schema::Value::as_str(&v))
                        .and_then(|s| s.parse().ok())
                }
            };
            out.extend(id.map(|id| (id, score)));
        }
        Ok(out)
    }

    fn filter_query(&self, filter: &Filter) -> Option<Box<dyn Query>> {
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(p) = &filter.product {
            must.push((Occur::Must, term(self.fields.product, p)));
        }
        if let Some(d) = &filter.doc_set {
            must.push((Occur::Must, term(self.fields.doc_set, d)));
        }
        if let Some(pairs) = &filter.versions {
            let any: Vec<(Occur, Box<dyn Query>)> = pairs
                .iter()
                .map(|(p, v)| {
                    let both: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                        (Occur::Must, term(self.fields.product, p)),
                        (Occur::Must, term(self.fields.version, v)),
                    ]));
                    (Occur::Should, both)
                })
                .collect();
            if any.is_empty() {
                // No version matched: nothing may match.
                must.push((Occur::Must, term(self.fields.version, "\u{0}none")));
            } else {
                must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
            }
        }
        (!must.is_empty()).then(|| Box::new(BooleanQuery::new(must)) as Box<dyn Query>)
    }

    /// A writer for an update. Only one may exist per data folder at a time; a second
    /// one fails with [`IndexError::Locked`].
    pub fn writer(&self) -> Result<StoreWriter, IndexError> {
        let writer: IndexWriter = self
            .index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => IndexError::Locked {
                    store: self.dir.display().to_string(),
                },
                e => self.err(e),
            })?;
        // An update killed during its commit leaves files the committed meta.json does
        // not name (delete bitsets, new segments). The re-run reaches the same opstamps,
        // so tantivy would try to create the same `<segment>.<opstamp>.del` and fail on
        // the file that exists: remove unreferenced files before writing anything.
        writer
            .garbage_collect_files()
            .wait()
            .map_err(|e| self.err(e))?;
        Ok(StoreWriter {
            writer,
            fields: self.fields.clone(),
            dir: self.dir.clone(),
            written: 0,
        })
    }
}

/// Stages changes to the index; nothing is visible until [`StoreWriter::commit`].
pub struct StoreWriter {
    writer: IndexWriter,
    fields: Fields,
    dir: PathBuf,
    /// Chunks added through this writer.
    written: u64,
}

/// Memory of tantivy's index writer (one thread) before it writes a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// A run that wrote at least this share of the index's chunks merges the text index into
/// one segment when it finishes. tantivy's merge policy leaves a bulk-built index in
/// many segments (18 at a million chunks), and every query looks up each of its terms
/// and ranks its hits once a segment: one segment took a sixth off a query's CPU at a
/// million chunks (docs/performance.md). Smaller runs leave the merging to tantivy, so
/// a one-document update does not rewrite the whole index.
const MERGE_ALL_SHARE: f64 = 0.25;

impl StoreWriter {
    /// Replaces every chunk of `source` with `chunks`.
    pub fn replace(&mut self, source: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
        self.writer.delete_term(self.fields.source_term(source));
        for chunk in chunks {
            self.writer
                .add_document(self.fields.to_document(chunk))
                .map_err(|e| crate::tantivy_error(&self.dir, e))?;
        }
        self.written += chunks.len() as u64;
        Ok(())
    }

    /// Removes every chunk of `source`.
    pub fn remove(&mut self, source: &str) {
        self.writer.delete_term(self.fields.source_term(source));
    }

    /// Removes every chunk.
    pub fn clear(&mut self) -> Result<(), IndexError> {
        self.writer
            .delete_all_documents()
            .map(|_| ())
            .map_err(|e| crate::tantivy_error(&self.dir, e))
    }

    /// Commits staged changes together with the new manifest, atomically, and waits
    /// for background merges.
    pub fn commit(mut self, manifest: &Manifest) -> Result<(), IndexError> {
        self.checkpoint(manifest)?;
        self.finish(&mut || {}).map(|_| ())
    }

    /// Commits staged changes together with the manifest, atomically; the writer stays
    /// open for more.
    pub fn checkpoint(&mut self, manifest: &Manifest) -> Result<(), IndexError> {
        let payload = serde_json::to_string(manifest).expect("a manifest always serialises");
        let mut prepared = self
            .writer
            .prepare_commit()
            .map_err(|e| crate::tantivy_error(&self.dir, e))?;
        prepared.set_payload(&payload);
        prepared
            .commit()
            .map(|_| ())
            .map_err(|e| crate::tantivy_error(&self.dir, e))
    }

    /// Waits for background merges and closes the writer; when this writer added at
    /// least [`MERGE_ALL_SHARE`] of the committed chunks, then merges every segment
    /// into one, calling `merging` first (a merge publishes the last commit's manifest
    /// again, so it is as crash-safe as tantivy's own merges). Says whether it merged.
    pub fn finish(self, merging: &mut dyn FnMut()) -> Result<bool, IndexError> {
        let err = |e| crate::tantivy_error(&self.dir, e);
        let index = self.writer.index().clone();
        self.writer.wait_merging_threads().map_err(err)?;
        let segments = index.searchable_segment_metas().map_err(err)?;
        let chunks: u64 = segments.iter().map(|s| u64::from(s.num_docs())).sum();
        if segments.len() < 2 || (self.written as f64) < MERGE_ALL_SHARE * chunks as f64 {
            return Ok(false);
        }
        merging();
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(err)?;
        // No merges of the policy's own while this one runs.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let ids: Vec<_> = segments.iter().map(|s| s.id()).collect();
        writer.merge(&ids).wait().map_err(err)?;
        writer.wait_merging_threads().map_err(err)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcdewey_core::Location;

    fn chunks(stem: &str, text: &str) -> Vec<Chunk> {
        (0..3)
            .map(|i| Chunk {
                id: ChunkId::new(format!("p::v1::d::{stem}"), i),
                source: format!("p/v1/d/{stem}.md"),
                product: "p".into(),
                version: "v1".into(),
                doc_set: "d".into(),
                heading: vec!["A".into()],
                location: Location::lines(1, 1),
                text: format!("{text} {i}"),
                raw: format!("{text} {i}"),
            })
            .collect()
    }

    fn update(data: &Path, stems: &[&str], text: &str) -> Result<(), IndexError> {
        let store = Store::open_or_create(data)?;
        let mut writer = store.writer()?;
        for stem in stems {
            writer.replace(&format!("p/v1/d/{stem}.md"), &chunks(stem, text))?;
        }
        writer.commit(&Manifest::default())
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }

    #[test]
    fn keyword_hits_carry_their_chunk_ids_across_segments() {
        let tmp = tempfile::tempdir().unwrap();
        // Three commits, three segments (the writer is dropped, not finished, so they
        // are not merged); the second replaces a document of the first.
        let store = Store::open_or_create(tmp.path()).unwrap();
        let mut writer = store.writer().unwrap();
        for (stems, text) in [
            (&["a", "b"][..], "tokenless ctl file"),
            (&["b"], "tokenless ctl recovery"),
            (&["c"], "ctl recovery"),
        ] {
            for stem in stems {
                writer
                    .replace(&format!("p/v1/d/{stem}.md"), &chunks(stem, text))
                    .unwrap();
            }
            writer.checkpoint(&Manifest::default()).unwrap();
        }
        drop(writer);
        store.reload().unwrap();
        assert_eq!(store.reader.searcher().segment_readers().len(), 3);
        let hits = store
            .bm25(
                "ctl recovery",
                &Filter::default(),
                Bm25Weights::default(),
                10,
            )
            .unwrap();
        let mut ids: Vec<String> = hits.iter().map(|h| h.0.to_string()).collect();
        ids.sort();
        let want: Vec<String> = ["a", "b", "c"]
            .iter()
            .flat_map(|s| (0..3).map(move |i| format!("p::v1::d::{s}::{i}")))
            .collect();
        assert_eq!(ids, want);
        // The replaced text is gone: only b and c hold "recovery", and they rank first.
        let best: Vec<String> = hits[..6].iter().map(|h| h.0.document.clone()).collect();
        assert!(best.iter().all(|d| d != "p::v1::d::a"), "{best:?}");
    }

    #[test]
    fn a_question_in_british_spelling_finds_american_text() {
        let tmp = tempfile::tempdir().unwrap();
        update(
            tmp.path(),
            &["us"],
            "the default behavior when optimization is off",
        )
        .unwrap();
        update(tmp.path(), &["other"], "an unrelated passage").unwrap();
        let store = Store::open_or_create(tmp.path()).unwrap();
        for query in ["behaviour", "optimisation", "behavior"] {
            let hits = store
                .bm25(query, &Filter::default(), Bm25Weights::default(), 10)
                .unwrap();
            assert_eq!(hits.len(), 3, "{query}: {hits:?}");
            assert!(
                hits.iter().all(|h| h.0.document == "p::v1::d::us"),
                "{query}"
            );
        }
    }

    #[test]
    fn a_run_that_wrote_much_of_the_index_leaves_it_in_one_segment() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(tmp.path()).unwrap();
        let segments = || {
            store.reload().unwrap();
            store.reader.searcher().segment_readers().len()
        };
        let mut writer = store.writer().unwrap();
        // Five commits, five segments (fewer than tantivy's policy merges on its own).
        for stem in ["a", "b", "c", "d", "e"] {
            writer
                .replace(&format!("p/v1/d/{stem}.md"), &chunks(stem, "trunk"))
                .unwrap();
            writer.checkpoint(&Manifest::default()).unwrap();
        }
        assert_eq!(segments(), 5);
        let mut told = 0;
        assert!(
            writer.finish(&mut || told += 1).unwrap(),
            "the run wrote every chunk"
        );
        assert_eq!(told, 1, "the merge is announced");
        assert_eq!(segments(), 1);
        assert_eq!(store.chunk_count(), 15);
        // A run that changes one document of five leaves the merging to tantivy.
        let mut writer = store.writer().unwrap();
        writer
            .replace("p/v1/d/a.md", &chunks("a", "route"))
            .unwrap();
        writer.checkpoint(&Manifest::default()).unwrap();
        assert!(!writer
            .finish(&mut || panic!("no merge to announce"))
            .unwrap());
        assert_eq!(segments(), 2);
        assert_eq!(store.chunk_count(), 15);
        let hits = store
            .bm25("route", &Filter::default(), Bm25Weights::default(), 10)
            .unwrap();
        assert_eq!(hits.len(), 3);
        // Merging keeps the manifest committed with the chunks.
        let mut writer = store.writer().unwrap();
        let manifest = Manifest {
            vectors: Some("gen-7.json".into()),
            ..Default::default()
        };
        for stem in ["b", "c"] {
            writer
                .replace(&format!("p/v1/d/{stem}.md"), &chunks(stem, "route"))
                .unwrap();
        }
        writer.commit(&manifest).unwrap();
        assert_eq!(segments(), 1);
        assert_eq!(
            store.manifest().unwrap().vectors.as_deref(),
            Some("gen-7.json")
        );
    }

    /// The state a kill leaves between writing the files of a commit and publishing
    /// its meta.json: the old meta.json, the new files on disk and in `.managed.json`.
    #[test]
    fn an_update_killed_during_its_commit_does_not_block_the_rerun() {
        let tmp = tempfile::tempdir().unwrap();
        let done = tmp.path().join("done");
        // One segment with both documents: replacing one of them writes a delete file.
        update(&done, &["a", "b"], "first").unwrap();
        let killed = tmp.path().join("killed");
        copy_dir(&done.join("tantivy"), &killed.join("tantivy"));
        // The update the kill interrupted, run to the end elsewhere for its files.
        update(&done, &["a"], "second").unwrap();
        let mut leftovers = 0;
        for entry in std::fs::read_dir(done.join("tantivy")).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let target = killed.join("tantivy").join(&name);
            if name == ".managed.json" || !target.exists() {
                leftovers += usize::from(name.ends_with(".del"));
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
        assert!(leftovers > 0, "the second update wrote a delete file");
        update(&killed, &["a"], "second").unwrap();
        let store = Store::open(&killed).unwrap();
        let chunk = store
            .chunk(&ChunkId::new("p::v1::d::a", 0))
            .unwrap()
            .unwrap();
        assert_eq!(chunk.text, "second 0");
        assert_eq!(store.chunk_count(), 6);
    }
}
