//! Incremental update of the store from a library folder.

use crate::parts::{unreferenced, write_generation, Base, NewPart, Previous};
use crate::store::Store;
use crate::vectors::{VectorEntry, VectorSet};
use crate::IndexError;
use mcdewey_catalog::{
    embed_with_cache, embedding_text, ChunkSink, DocEntry, Embedding, Manifest, Progress, Scanner,
    UpdateSummary, MIN_BATCH_CHUNKS,
};
use mcdewey_core::Chunk;
use mcdewey_ingest::IngestOptions;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What a part's vectors are made from: the model, the index settings, and each
/// document's path, content hash and chunk count. The same signature, the same vectors.
fn signature(model_id: &str, settings: &str, docs: &[(&String, &DocEntry)]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(model_id.as_bytes());
    h.update(b"\0");
    h.update(settings.as_bytes());
    for (source, e) in docs {
        h.update(b"\0");
        h.update(source.as_bytes());
        h.update(b"\0");
        h.update(e.hash.as_bytes());
        h.update(&e.chunks.to_le_bytes());
    }
    h.finalize().to_hex()[..24].to_string()
}

/// Where a vector of a new part comes from.
enum Slot {
    /// The previous part's vector at this position.
    Previous(usize),
    /// Known already: the document's previous text, or the embedding cache.
    Given(Vec<f32>),
    /// The next of the texts embedded now.
    Computed,
}

/// The vector parts of the new manifest, one per product and version: a part whose
/// documents are unchanged is kept as it is (its files are not even read); a changed
/// part takes the vectors of its unchanged documents from the previous generation (same
/// model) and the rest from the cache, embedding only new text. Returns the parts, the
/// chunks embedded and the vectors in all.
fn build_vectors(
    store: &Store,
    old: &Manifest,
    manifest: &Manifest,
    fresh: &HashMap<String, Vec<Chunk>>,
    embedding: Embedding,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Vec<NewPart>, usize, usize), IndexError> {
    let embedder = embedding.model;
    let model_id = embedder.model_id();
    let dir = store.data_dir().join("vectors");
    let previous = match (&old.vectors, &old.model) {
        (Some(name), Some(m)) if m == model_id => Previous::open(&dir, name).ok(),
        _ => None,
    };
    let mut groups: BTreeMap<(&str, &str), Vec<(&String, &DocEntry)>> = BTreeMap::new();
    for (source, entry) in &manifest.documents {
        let mut ids = entry.document.split("::");
        let part = (
            ids.next().unwrap_or_default(),
            ids.next().unwrap_or_default(),
        );
        groups.entry(part).or_default().push((source, entry));
    }
    let mut cache = embedding.open_cache(Some(store.data_dir()));
    let mut parts: Vec<Option<NewPart>> = Vec::new();
    type Placed = Vec<(VectorEntry, Slot)>;
    type Graph = Option<(std::path::PathBuf, Option<f32>)>;
    let mut building: Vec<(usize, Placed, String, Option<VectorSet>, Graph)> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut total = 0;
    for ((product, version), docs) in &groups {
        let sig = signature(model_id, &manifest.settings, docs);
        if let Some(kept) = previous
            .as_ref()
            .and_then(|p| p.unchanged(product, version, &sig))
        {
            total += kept.count;
            parts.push(Some(NewPart::Kept(kept)));
            continue;
        }
        let clock = std::time::Instant::now();
        let prev = previous.as_ref().and_then(|p| p.vectors(product, version));
        let loaded = clock.elapsed();
        // Previous vectors by document and chunk ordinal.
        let mut by_id: HashMap<(&str, u32), usize> = HashMap::new();
        let mut per_doc: HashMap<&str, u32> = HashMap::new();
        if let Some(prev) = &prev {
            for (i, e) in prev.entries.iter().enumerate() {
                let Some((doc, ordinal)) = e.id.rsplit_once("::") else {
                    continue;
                };
                if let Ok(o) = ordinal.parse::<u32>() {
                    by_id.insert((doc, o), i);
                }
                *per_doc.entry(doc).or_default() += 1;
            }
        }
        let mut placed: Placed = Vec::new();
        for (source, entry) in docs {
            let doc = entry.document.as_str();
            let reusable = !fresh.contains_key(*source)
                && per_doc.get(doc) == Some(&entry.chunks)
                && (0..entry.chunks).all(|o| by_id.contains_key(&(doc, o)));
            if let (true, Some(prev)) = (reusable, &prev) {
                for o in 0..entry.chunks {
                    let i = by_id[&(doc, o)];
                    placed.push((prev.entries[i].clone(), Slot::Previous(i)));
                }
                continue;
            }
            let chunks = match fresh.get(*source) {
                Some(c) => c.clone(),
                None => store.document_chunks(&entry.document)?,
            };
            // A document read again keeps the vectors of its unchanged text: its previous
            // chunks (the store still holds them until the commit) give text → vector, so
            // only new text goes to the cache and the model.
            let mut known: HashMap<String, Vec<f32>> = HashMap::new();
            if let (true, Some(prev)) = (fresh.contains_key(*source), &prev) {
                if per_doc.contains_key(entry.document.as_str()) {
                    for old in store.document_chunks(&entry.document)? {
                        if let Some(&i) = by_id.get(&(old.id.document.as_str(), old.id.ordinal)) {
                            known.insert(embedding_text(&old), prev.vector(i).to_vec());
                        }
                    }
                }
            }
            for chunk in chunks {
                let e = VectorEntry {
                    id: chunk.id.to_string(),
                    product: chunk.product.as_str().into(),
                    version: chunk.version.as_str().into(),
                    doc_set: chunk.doc_set.as_str().into(),
                };
                let text = embedding_text(&chunk);
                let slot = match known.get(&text).or_else(|| cache.get(&text)) {
                    Some(v) => Slot::Given(v.clone()),
                    None => {
                        texts.push(text);
                        Slot::Computed
                    }
                };
                placed.push((e, slot));
            }
        }
        total += placed.len();
        tracing::debug!(
            target: "mcdewey::index",
            "vectors of {product} {version}: previous part read in {:.3} s, {} placed in {:.3} s",
            loaded.as_secs_f64(),
            placed.len(),
            (clock.elapsed() - loaded).as_secs_f64()
        );
        parts.push(None);
        let graph = previous.as_ref().and_then(|p| p.graph(product, version));
        building.push((parts.len() - 1, placed, sig, prev, graph));
    }
    // One vector per text, in order: they fill the places without one, in order.
    let clock = std::time::Instant::now();
    let (computed, embedded) = embed_with_cache(&embedding, &mut cache, &texts, progress)?;
    tracing::debug!(
        target: "mcdewey::index",
        "{} texts embedded or found in the cache in {:.3} s",
        texts.len(),
        clock.elapsed().as_secs_f64()
    );
    let clock = std::time::Instant::now();
    let mut computed = computed.into_iter();
    let zero = vec![0.0; embedder.dim()];
    for (at, placed, sig, prev, graph) in building {
        let mut set = VectorSet::with_capacity(model_id, embedder.dim(), placed.len());
        for (e, slot) in placed {
            match slot {
                // Placed only where there is a previous part.
                Slot::Previous(i) => set.push(e, prev.as_ref().map_or(&zero[..], |p| p.vector(i))),
                Slot::Given(v) => set.push(e, &v),
                Slot::Computed => set.push(e, computed.next().as_deref().unwrap_or(&zero)),
            }
        }
        // The previous graph is changed in place rather than built anew.
        let base = graph
            .zip(prev)
            .map(|((graph, scale), set)| Base { graph, scale, set });
        parts[at] = Some(NewPart::Fresh(set, sig, base));
    }
    tracing::debug!(
        target: "mcdewey::index",
        "new parts assembled in {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    if let Err(err) = cache.save() {
        tracing::warn!(target: "mcdewey::index", "embedding cache not saved: {err}");
    }
    Ok((parts.into_iter().flatten().collect(), embedded, total))
}

/// Deletes the vector files the current generation does not name (left by earlier
/// updates or by an update that crashed before its commit).
fn remove_old_generations(data_dir: &Path, current: Option<&str>) {
    for path in unreferenced(&data_dir.join("vectors"), current) {
        let _ = std::fs::remove_file(path);
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
    let clock = std::time::Instant::now();
    let stage = |name: &str| {
        tracing::debug!(target: "mcdewey::index", "{name} done at {:.3} s", clock.elapsed().as_secs_f64());
    };
    let mut writer = store.writer()?;
    let mut scanner = Scanner::start(&store.manifest()?, library, opts, &mut writer, progress)?;
    stage("walk and compare");
    let (mut embedded, mut vectors) = (0, 0);
    loop {
        let budget = (!scanner.scan.summary.rebuilt)
            .then(|| min_batch.max(usize::try_from(store.chunk_count() / 4).unwrap_or(usize::MAX)));
        let complete = scanner.next_batch(opts, &mut writer, progress, budget)?;
        stage("read and chunk");
        let mut manifest = scanner.scan.manifest.clone();
        let committed = store.manifest()?;
        if let Some(embedding) = embedding {
            let embedder = embedding.model;
            let (parts, n, total) = build_vectors(
                store,
                &committed,
                &manifest,
                &scanner.scan.fresh,
                embedding,
                progress,
            )?;
            stage("vectors gathered and embedded");
            let generation = committed
                .vectors
                .as_deref()
                .and_then(|n| {
                    let n = n.strip_prefix("gen-")?;
                    n.strip_suffix(".bin")
                        .or_else(|| n.strip_suffix(".json"))?
                        .parse::<u64>()
                        .ok()
                })
                .map_or(1, |g| g + 1);
            let dir = store.data_dir().join("vectors");
            let (name, _) =
                write_generation(&dir, embedder.model_id(), embedder.dim(), parts, generation)?;
            stage("vector parts and graphs written");
            embedded += n;
            vectors = total;
            manifest.vectors = Some(name);
            manifest.model = Some(embedder.model_id().to_string());
        }
        progress(Progress::Committing);
        writer.checkpoint(&manifest)?;
        stage("text index committed");
        store.reload()?;
        remove_old_generations(store.data_dir(), manifest.vectors.as_deref());
        stage("reloaded");
        scanner.scan.fresh.clear();
        if complete {
            break;
        }
    }
    if writer.finish(&mut || progress(Progress::Merging))? {
        store.reload()?;
        stage("text index merged into one segment");
    }
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
    use mcdewey_catalog::Filter;
    use mcdewey_embed::Embedder;

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

    /// The vector files of a data folder, by name.
    fn vector_files(data: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(data.join("vectors"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// An update of `store` from `lib` with 32-dimension hash vectors.
    fn hashed_update(store: &Store, lib: &Path) -> UpdateSummary {
        let model = mcdewey_embed::HashEmbedder::new(32);
        let opts = IngestOptions::default();
        update_library(store, lib, &opts, Some(Embedding::new(&model)), &mut |_| {}).unwrap()
    }

    #[test]
    fn a_changed_document_rewrites_only_the_vectors_of_its_version() {
        let lib = tempfile::tempdir().unwrap();
        for v in ["v1", "v2"] {
            let set = lib.path().join(format!("prod/{v}/guide"));
            std::fs::create_dir_all(&set).unwrap();
            for i in 0..3 {
                let text = format!("# Topic {i}\n\nRelease {v} paragraph {i} about trunks.\n");
                std::fs::write(set.join(format!("doc-{i}.md")), text).unwrap();
            }
        }
        let data = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(data.path()).unwrap();
        let update = |store: &Store| hashed_update(store, lib.path());
        update(&store);
        let first = vector_files(data.path());
        assert_eq!(first.len(), 3, "a catalog and two parts: {first:?}");
        let parts = |store: &Store| {
            let v = store.vectors(crate::VectorIndex::Auto).unwrap().unwrap();
            (v.len(), v.parts.len())
        };
        assert_eq!(parts(&store), (6, 2));

        std::fs::write(
            lib.path().join("prod/v1/guide/doc-0.md"),
            "# Topic 0\n\nRelease v1 paragraph 0, reworded.\n",
        )
        .unwrap();
        let summary = update(&store);
        assert_eq!(summary.changed, ["prod/v1/guide/doc-0.md"]);
        assert_eq!(summary.embedded, 1, "only the changed chunk is embedded");
        let second = vector_files(data.path());
        assert_eq!(
            second.len(),
            3,
            "the old catalog and v1 part are removed: {second:?}"
        );
        let kept: Vec<&String> = first.iter().filter(|f| second.contains(f)).collect();
        assert_eq!(
            kept.len(),
            1,
            "the v2 part is the same file: {first:?} {second:?}"
        );
        assert_eq!(parts(&store), (6, 2));
        // Nothing changed: nothing is written.
        let summary = update(&store);
        assert!(summary.changed.is_empty());
        assert_eq!(summary.vectors, 6);
    }

    #[test]
    fn a_document_read_again_keeps_the_vectors_of_its_unchanged_text_without_the_cache() {
        let lib = tempfile::tempdir().unwrap();
        let set = lib.path().join("prod/v1/guide");
        std::fs::create_dir_all(&set).unwrap();
        let doc = set.join("doc.md");
        let mut text: String = (0..4)
            .map(|i| {
                format!(
                    "# Part {i}\n\n{}\n\n",
                    format!("Paragraph {i} about trunks. ").repeat(60)
                )
            })
            .collect();
        std::fs::write(&doc, &text).unwrap();
        let data = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(data.path()).unwrap();
        let update = |store: &Store| hashed_update(store, lib.path());
        let first = update(&store);
        assert!(first.chunks >= 4, "{first:?}");
        let before = store.vectors(crate::VectorIndex::Exact).unwrap().unwrap();
        std::fs::remove_dir_all(data.path().join("embed-cache")).unwrap();
        text.push_str("# Added\n\nA new section about dial plans.\n");
        std::fs::write(&doc, &text).unwrap();
        let summary = update(&store);
        assert_eq!(summary.changed, ["prod/v1/guide/doc.md"]);
        assert_eq!(summary.embedded, 1, "only the new section is embedded");
        let after = store.vectors(crate::VectorIndex::Exact).unwrap().unwrap();
        assert_eq!(after.len(), before.len() + 1);
        let query = mcdewey_embed::HashEmbedder::new(32)
            .embed_query("Paragraph 2 about trunks")
            .unwrap();
        let filter = Filter::default();
        assert_eq!(
            before.nearest(&query, &filter, 3),
            after.nearest(&query, &filter, 3),
            "the kept vectors are the same"
        );
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
