//! Incremental update of the store from a library folder.

use crate::store::Store;
use crate::vectors::{VectorEntry, VectorSet};
use crate::IndexError;
use mcdewey_catalog::{
    embed_with_cache, embedding_text, ChunkSink, Embedding, Manifest, Progress, Scanner,
    UpdateSummary, MIN_BATCH_CHUNKS,
};
use mcdewey_core::Chunk;
use mcdewey_ingest::IngestOptions;
use std::collections::HashMap;
use std::path::Path;

/// Builds the vector set of the new manifest: vectors of unchanged documents come from
/// the previous generation (same model) or the cache; only new text is embedded.
fn build_vectors(
    store: &Store,
    old: &Manifest,
    manifest: &Manifest,
    fresh: &HashMap<String, Vec<Chunk>>,
    embedding: Embedding,
    progress: &mut dyn FnMut(Progress),
) -> Result<(VectorSet, usize), IndexError> {
    let embedder = embedding.model;
    let model_id = embedder.model_id();
    let previous = match (&old.vectors, &old.model) {
        (Some(_), Some(m)) if m == model_id => store.vectors().ok().flatten(),
        _ => None,
    };
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    if let Some(prev) = &previous {
        for (i, e) in prev.entries.iter().enumerate() {
            by_id.insert(e.id.as_str(), i);
        }
    }
    let mut cache = embedding.open_cache(Some(store.data_dir()));
    let mut set = VectorSet::new(model_id, embedder.dim());
    let mut placed: Vec<(VectorEntry, Option<Vec<f32>>, String)> = Vec::new();
    for (source, entry) in &manifest.documents {
        let chunks: Vec<Chunk> = match fresh.get(source) {
            Some(c) => c.clone(),
            None => {
                let prefix = format!("{}::", entry.document);
                let reusable = previous.as_ref().is_some_and(|p| {
                    (0..entry.chunks).all(|o| by_id.contains_key(format!("{prefix}{o}").as_str()))
                        && p.entries
                            .iter()
                            .filter(|e| e.id.starts_with(&prefix))
                            .count()
                            == entry.chunks as usize
                });
                if reusable {
                    let prev = previous.as_ref().expect("checked");
                    for o in 0..entry.chunks {
                        let i = by_id[format!("{prefix}{o}").as_str()];
                        placed.push((
                            prev.entries[i].clone(),
                            Some(prev.vector(i).to_vec()),
                            String::new(),
                        ));
                    }
                    continue;
                }
                store.document_chunks(&entry.document)?
            }
        };
        for chunk in chunks {
            let e = VectorEntry {
                id: chunk.id.to_string(),
                product: chunk.product.clone(),
                version: chunk.version.clone(),
                doc_set: chunk.doc_set.clone(),
            };
            let text = embedding_text(&chunk);
            let cached = cache.get(&text).cloned();
            placed.push((e, cached, text));
        }
    }
    let mut texts: Vec<String> = Vec::new();
    let placed: Vec<(VectorEntry, Option<Vec<f32>>)> = placed
        .into_iter()
        .map(|(e, v, text)| {
            if v.is_none() {
                texts.push(text);
            }
            (e, v)
        })
        .collect();
    // One vector per text, in order: they fill the places without one, in order.
    let (computed, total) = embed_with_cache(&embedding, &mut cache, &texts, progress)?;
    let mut computed = computed.into_iter();
    for (e, v) in placed {
        let v = v
            .or_else(|| computed.next())
            .unwrap_or_else(|| vec![0.0; embedder.dim()]);
        set.push(e, &v);
    }
    if let Err(err) = cache.save() {
        tracing::warn!(target: "mcdewey::index", "embedding cache not saved: {err}");
    }
    Ok((set, total))
}

/// Deletes vector generations other than the current one (left by earlier updates or
/// by an update that crashed before its commit).
fn remove_old_generations(data_dir: &Path, current: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(data_dir.join("vectors")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if Some(name.as_str()) != current && name.starts_with("gen-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl ChunkSink for crate::StoreWriter {
    fn replace(&mut self, source: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
        crate::StoreWriter::replace(self, source, chunks)
    }
    fn remove(&mut self, source: &str) {
        crate::StoreWriter::remove(self, source)
    }
    fn clear(&mut self) -> Result<(), IndexError> {
        crate::StoreWriter::clear(self)
    }
}

/// Brings the store up to date with `library`, embedding what is new when a model is
/// given. Work is committed in batches ([`MIN_BATCH_CHUNKS`]), each with its manifest:
/// a run killed or failed part-way keeps the documents committed before, and the next
/// run goes on from there. When settings changed (everything is read again) the whole
/// update commits at once, so the previous index stays whole until the new one is.
pub fn update_library(
    store: &Store,
    library: &Path,
    opts: &IngestOptions,
    embedding: Option<Embedding>,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateSummary, IndexError> {
    update_in_batches(store, library, opts, embedding, progress, MIN_BATCH_CHUNKS)
}

fn update_in_batches(
    store: &Store,
    library: &Path,
    opts: &IngestOptions,
    embedding: Option<Embedding>,
    progress: &mut dyn FnMut(Progress),
    min_batch: usize,
) -> Result<UpdateSummary, IndexError> {
    let mut writer = store.writer()?;
    let mut scanner = Scanner::start(&store.manifest()?, library, opts, &mut writer, progress)?;
    let (mut embedded, mut vectors) = (0, 0);
    loop {
        let budget = (!scanner.scan.summary.rebuilt)
            .then(|| min_batch.max(usize::try_from(store.chunk_count() / 4).unwrap_or(usize::MAX)));
        let complete = scanner.next_batch(opts, &mut writer, progress, budget)?;
        let mut manifest = scanner.scan.manifest.clone();
        let committed = store.manifest()?;
        if let Some(embedding) = embedding {
            let embedder = embedding.model;
            let (set, n) = build_vectors(
                store,
                &committed,
                &manifest,
                &scanner.scan.fresh,
                embedding,
                progress,
            )?;
            let generation = committed
                .vectors
                .as_deref()
                .and_then(|n| {
                    n.strip_prefix("gen-")?
                        .strip_suffix(".bin")?
                        .parse::<u64>()
                        .ok()
                })
                .map_or(1, |g| g + 1);
            let dir = store.data_dir().join("vectors");
            std::fs::create_dir_all(&dir).map_err(|e| IndexError::Io {
                path: dir.clone(),
                source: e,
            })?;
            let name = format!("gen-{generation}.bin");
            set.save(&dir.join(&name))?;
            embedded += n;
            vectors = set.len();
            manifest.vectors = Some(name);
            manifest.model = Some(embedder.model_id().to_string());
        }
        progress(Progress::Committing);
        writer.checkpoint(&manifest)?;
        store.reload()?;
        remove_old_generations(store.data_dir(), manifest.vectors.as_deref());
        scanner.scan.fresh.clear();
        if complete {
            break;
        }
    }
    writer.finish()?;
    let mut summary = scanner.scan.summary;
    summary.embedded = embedded;
    summary.vectors = vectors;
    summary.documents = scanner.scan.manifest.documents.len();
    summary.chunks = store.chunk_count();
    summary.skipped = scanner.scan.manifest.skipped;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library of `n` small Markdown documents in one doc set.
    fn library(n: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let set = dir.path().join("prod/v1/guide");
        std::fs::create_dir_all(&set).unwrap();
        for i in 0..n {
            let text = format!("# Topic {i}\n\nParagraph {i} about routing and trunks.\n");
            std::fs::write(set.join(format!("doc-{i}.md")), text).unwrap();
        }
        dir
    }

    fn commits(progress: &[Progress]) -> usize {
        progress
            .iter()
            .filter(|p| **p == Progress::Committing)
            .count()
    }

    #[test]
    fn an_update_commits_in_batches_and_a_killed_run_keeps_them() {
        let lib = library(3);
        let data = tempfile::tempdir().unwrap();
        let opts = IngestOptions::default();
        // A run that dies at its second commit (as a SIGKILL would between batches).
        let store = Store::open_or_create(data.path()).unwrap();
        let mut seen = 0;
        let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            update_in_batches(
                &store,
                lib.path(),
                &opts,
                None,
                &mut |p| {
                    if p == Progress::Committing {
                        seen += 1;
                        assert!(seen < 2, "killed");
                    }
                },
                1,
            )
        }));
        assert!(died.is_err());
        drop(store);
        let store = Store::open(data.path()).unwrap();
        let manifest = store.manifest().unwrap();
        assert_eq!(manifest.documents.len(), 1, "the first batch was committed");
        assert_eq!(store.chunk_count(), 1);
        // The next run goes on from there.
        let mut events = Vec::new();
        let summary =
            update_in_batches(&store, lib.path(), &opts, None, &mut |p| events.push(p), 1).unwrap();
        assert_eq!((summary.added.len(), summary.unchanged), (2, 1));
        assert_eq!((summary.documents, summary.chunks), (3, 3));
        assert_eq!(commits(&events), 2, "{events:?}");
        // A removed file is removed at the end of the scan.
        std::fs::remove_file(lib.path().join("prod/v1/guide/doc-0.md")).unwrap();
        let summary = update_library(&store, lib.path(), &opts, None, &mut |_| {}).unwrap();
        assert_eq!(summary.removed, ["prod/v1/guide/doc-0.md"]);
        assert_eq!((summary.documents, summary.chunks), (2, 2));
    }

    #[test]
    fn a_settings_change_rebuilds_in_one_commit() {
        let lib = library(3);
        let data = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(data.path()).unwrap();
        let opts = IngestOptions::default();
        update_in_batches(&store, lib.path(), &opts, None, &mut |_| {}, 1).unwrap();
        let mut other = opts;
        other.chunk.target_chars += 100;
        let mut events = Vec::new();
        let summary =
            update_in_batches(&store, lib.path(), &other, None, &mut |p| events.push(p), 1)
                .unwrap();
        assert!(summary.rebuilt);
        assert_eq!(
            commits(&events),
            1,
            "the old index stays whole until the new one is"
        );
        assert_eq!(summary.chunks, 3);
    }
}
