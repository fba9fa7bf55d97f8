//! Embedding chunks for either store: the text embedded for a chunk, the model and its
//! workers, and the cache that keeps unchanged text from being embedded twice.

use crate::scan::Progress;
use crate::IndexError;
use mcdewey_core::Chunk;
use mcdewey_embed::Embedder;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The text embedded for a chunk: its heading path, then its text, so a passage is
/// understood in the context of its section.
pub fn embedding_text(chunk: &Chunk) -> String {
    embedding_text_of(&chunk.heading, &chunk.text)
}

/// [`embedding_text`] from a chunk's heading path and text.
pub fn embedding_text_of(heading: &[String], text: &str) -> String {
    if heading.is_empty() {
        text.to_string()
    } else {
        format!("{}\n{}", heading.join(" > "), text)
    }
}

/// Texts a worker embeds per call. One: on two cores a single unpadded sequence keeps
/// the model's activations in cache and runs twice as fast as batches of 32 (21.8 vs
/// 11.0 chunks/s, `mcdewey bench-embed`, docs/performance.md), and a text's vector no
/// longer depends on the texts batched with it.
pub const EMBED_BATCH: usize = 1;

/// The model that embeds chunks during an update, and how many threads run it.
#[derive(Clone, Copy)]
pub struct Embedding<'a> {
    /// The model.
    pub model: &'a dyn Embedder,
    /// Worker threads embedding batches side by side.
    pub workers: usize,
    /// Embedding cache folder shared with other data folders; `None` keeps the cache in
    /// the data folder.
    pub cache_dir: Option<&'a Path>,
}

impl<'a> Embedding<'a> {
    /// `model` run with one worker per core.
    pub fn new(model: &'a dyn Embedder) -> Embedding<'a> {
        Embedding {
            model,
            workers: mcdewey_embed::default_workers(),
            cache_dir: None,
        }
    }

    /// The model's embedding cache: in the shared folder when one is set, else in the
    /// data folder `data_dir`, else (a store without one) in memory only.
    pub fn open_cache(&self, data_dir: Option<&Path>) -> EmbeddingCache {
        let (model_id, dim) = (self.model.model_id(), self.model.dim());
        match (self.cache_dir, data_dir) {
            (Some(dir), _) => EmbeddingCache::open_in(dir, model_id, dim),
            (None, Some(data)) => EmbeddingCache::open(data, model_id, dim),
            (None, None) => EmbeddingCache::in_memory(dim),
        }
    }
}

/// Embeds `texts` with the model, taking what the cache already holds and adding what
/// was embedded to it; returns the vectors in order and how many the model computed.
pub fn embed_with_cache(
    embedding: &Embedding,
    cache: &mut EmbeddingCache,
    texts: &[String],
    progress: &mut dyn FnMut(Progress),
) -> Result<(Vec<Vec<f32>>, usize), IndexError> {
    let mut seen = std::collections::HashSet::new();
    let mut missing: Vec<&str> = Vec::new();
    for t in texts {
        if cache.get(t).is_none() && seen.insert(t.as_str()) {
            missing.push(t);
        }
    }
    let total = missing.len();
    progress(Progress::Embedding { done: 0, total });
    let vecs = mcdewey_embed::embed_passages_parallel(
        embedding.model,
        &missing,
        embedding.workers,
        EMBED_BATCH,
        &mut |done| progress(Progress::Embedding { done, total }),
    )?;
    for (text, v) in missing.iter().zip(vecs) {
        cache.insert(text, v);
    }
    let dim = embedding.model.dim();
    let out = texts
        .iter()
        .map(|t| cache.get(t).cloned().unwrap_or_else(|| vec![0.0; dim]))
        .collect();
    Ok((out, total))
}

/// Shard files of a cache, by the first byte of the text hash: a lookup reads only the
/// shards of the texts it asks for, so an update of one document reads a few small files
/// whatever the size of the library.
const SHARDS: usize = 256;

/// Embeddings by text hash for one model, so unchanged text is never embedded twice.
///
/// On disk, a folder of [`SHARDS`] files of fixed-size records (16-byte key, then the
/// vector): a shard is read the first time one of its keys is asked for, and saving
/// appends the new records to their shards (fsynced) instead of rewriting the cache.
/// A record cut short by a crash is ignored, and its shard is written anew (atomically)
/// the next time it gains a record. Several data folders may share the folder: records
/// are appended whole, and the last one of a key wins.
pub struct EmbeddingCache {
    /// The shard folder; `None` keeps the cache in memory only.
    dir: Option<PathBuf>,
    /// The one-file cache written by earlier versions, read into the shards once.
    legacy: Option<PathBuf>,
    legacy_read: bool,
    dim: usize,
    loaded: Vec<bool>,
    torn: Vec<bool>,
    map: HashMap<[u8; 16], Vec<f32>>,
    /// Keys inserted since the last save.
    pending: Vec<[u8; 16]>,
}

impl EmbeddingCache {
    /// Opens the cache of `model_id` in `data_dir/embed-cache` (empty when absent or
    /// unreadable).
    pub fn open(data_dir: &Path, model_id: &str, dim: usize) -> EmbeddingCache {
        Self::open_in(&data_dir.join("embed-cache"), model_id, dim)
    }

    /// Opens the cache of `model_id` in the folder `dir`, which several data folders
    /// may share. Nothing is read until a text is looked up.
    pub fn open_in(dir: &Path, model_id: &str, dim: usize) -> EmbeddingCache {
        let name = blake3::hash(model_id.as_bytes()).to_hex();
        let name = &name[..16];
        let legacy = dir.join(format!("{name}.bin"));
        EmbeddingCache {
            dir: Some(dir.join(name)),
            legacy: legacy.is_file().then_some(legacy),
            ..Self::in_memory(dim)
        }
    }

    /// A cache kept in memory only ([`EmbeddingCache::save`] does
    /// nothing): for stores without a data folder and no shared cache folder.
    pub fn in_memory(dim: usize) -> EmbeddingCache {
        EmbeddingCache {
            dir: None,
            legacy: None,
            legacy_read: false,
            dim,
            loaded: vec![false; SHARDS],
            torn: vec![false; SHARDS],
            map: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// The cache key of a text.
    pub fn key(text: &str) -> [u8; 16] {
        blake3::hash(text.as_bytes()).as_bytes()[..16]
            .try_into()
            .expect("16 bytes")
    }

    fn shard_path(&self, shard: usize) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{shard:02x}.bin")))
    }

    /// Reads the records of `bytes` into the map, keeping vectors already there; returns
    /// whether the last record was cut short.
    fn read_records(&mut self, bytes: &[u8]) -> bool {
        let step = 16 + self.dim * 4;
        if self.dim == 0 {
            return false;
        }
        let records = bytes.chunks_exact(step);
        let torn = !records.remainder().is_empty();
        for rec in records {
            let key: [u8; 16] = rec[..16].try_into().expect("16 bytes");
            self.map.entry(key).or_insert_with(|| {
                rec[16..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            });
        }
        torn
    }

    /// Reads shard `shard` (and, the first time, the one-file cache of earlier
    /// versions, whose records then go to their shards at the next save).
    fn load_shard(&mut self, shard: usize) {
        if self.loaded[shard] {
            return;
        }
        self.loaded[shard] = true;
        if let Some(legacy) = self.legacy.clone().filter(|_| !self.legacy_read) {
            self.legacy_read = true;
            let before: std::collections::HashSet<[u8; 16]> = self.map.keys().copied().collect();
            if let Ok(bytes) = std::fs::read(&legacy) {
                self.read_records(&bytes);
            }
            self.pending
                .extend(self.map.keys().filter(|k| !before.contains(*k)).copied());
        }
        if let Some(bytes) = self.shard_path(shard).and_then(|p| std::fs::read(p).ok()) {
            self.torn[shard] = self.read_records(&bytes);
        }
    }

    /// A cached vector.
    pub fn get(&mut self, text: &str) -> Option<&Vec<f32>> {
        let key = Self::key(text);
        self.load_shard(usize::from(key[0]));
        self.map.get(&key)
    }

    /// Stores a vector, written at the next [`EmbeddingCache::save`].
    pub fn insert(&mut self, text: &str, vector: Vec<f32>) {
        let key = Self::key(text);
        self.load_shard(usize::from(key[0]));
        if self.map.get(&key) != Some(&vector) {
            self.map.insert(key, vector);
            self.pending.push(key);
        }
    }

    /// Vectors held in memory: the shards read so far and what was inserted.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is held in memory.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Writes what was inserted since the last save: appended to its shards, or a torn
    /// shard written anew.
    pub fn save(&mut self) -> Result<(), IndexError> {
        let Some(dir) = self.dir.clone() else {
            self.pending.clear();
            return Ok(());
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(&dir).map_err(IndexError::io(&dir))?;
        let mut by_shard: BTreeMap<usize, Vec<[u8; 16]>> = BTreeMap::new();
        for key in std::mem::take(&mut self.pending) {
            by_shard.entry(usize::from(key[0])).or_default().push(key);
        }
        let dim = self.dim;
        let record = |w: &mut dyn Write, k: &[u8; 16], v: &[f32]| -> std::io::Result<()> {
            w.write_all(k)?;
            for x in v {
                w.write_all(&x.to_le_bytes())?;
            }
            Ok(())
        };
        for (shard, keys) in by_shard {
            self.load_shard(shard);
            let path = self.shard_path(shard).expect("a folder");
            if self.torn[shard] {
                write_atomic(&path, |w| {
                    for (k, v) in &self.map {
                        if usize::from(k[0]) == shard && v.len() == dim {
                            record(w, k, v)?;
                        }
                    }
                    Ok(())
                })?;
                self.torn[shard] = false;
                continue;
            }
            let mut buf: Vec<u8> = Vec::with_capacity(keys.len() * (16 + dim * 4));
            for k in &keys {
                if let Some(v) = self.map.get(k).filter(|v| v.len() == dim) {
                    record(&mut buf, k, v).expect("writing to memory");
                }
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(IndexError::io(&path))?;
            file.write_all(&buf).map_err(IndexError::io(&path))?;
            file.sync_data().map_err(IndexError::io(&path))?;
        }
        if self.legacy_read {
            if let Some(legacy) = self.legacy.take() {
                let _ = std::fs::remove_file(legacy);
            }
        }
        Ok(())
    }
}

/// Writes `path` atomically (temporary file, fsync, rename).
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), IndexError> {
    // A name of its own per writer, so concurrent writers of a shared cache never
    // interleave; the last rename wins and every file is whole.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    {
        let file = std::fs::File::create(&tmp).map_err(IndexError::io(&tmp))?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w).map_err(IndexError::io(&tmp))?;
        let file = w.into_inner().map_err(|e| IndexError::Io {
            path: tmp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(IndexError::io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(IndexError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_persists_by_text_in_shards_read_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = EmbeddingCache::open(dir.path(), "m", 2);
        c.insert("hello", vec![0.5, 0.5]);
        c.insert("world", vec![0.25, 0.75]);
        c.save().unwrap();
        let mut c = EmbeddingCache::open(dir.path(), "m", 2);
        assert!(c.is_empty(), "nothing is read before a lookup");
        assert_eq!(c.get("hello"), Some(&vec![0.5, 0.5]));
        assert!(c.len() < 2 || EmbeddingCache::key("hello")[0] == EmbeddingCache::key("world")[0]);
        assert_eq!(c.get("world"), Some(&vec![0.25, 0.75]));
        assert!(EmbeddingCache::open(dir.path(), "other", 2)
            .get("hello")
            .is_none());
        // A second save appends only the new record.
        let shard = |t: &str| {
            let name = &blake3::hash(b"m").to_hex()[..16];
            dir.path()
                .join("embed-cache")
                .join(name)
                .join(format!("{:02x}.bin", EmbeddingCache::key(t)[0]))
        };
        let before = std::fs::metadata(shard("hello")).unwrap().len();
        c.insert("hello", vec![0.5, 0.5]);
        c.save().unwrap();
        assert_eq!(
            std::fs::metadata(shard("hello")).unwrap().len(),
            before,
            "same vector, no record"
        );
    }

    #[test]
    fn a_torn_record_is_ignored_and_its_shard_written_anew() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = EmbeddingCache::open_in(dir.path(), "m", 2);
        c.insert("a", vec![1.0, 0.0]);
        c.save().unwrap();
        let name = &blake3::hash(b"m").to_hex()[..16];
        let shard = dir
            .path()
            .join(name)
            .join(format!("{:02x}.bin", EmbeddingCache::key("a")[0]));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&shard)
            .unwrap();
        f.write_all(&[7u8; 10]).unwrap(); // a crash in the middle of an append
        drop(f);
        let mut c = EmbeddingCache::open_in(dir.path(), "m", 2);
        assert_eq!(c.get("a"), Some(&vec![1.0, 0.0]));
        // A text of the same shard: the shard is written whole, without the torn bytes.
        let same = (0..10_000)
            .map(|i| format!("t{i}"))
            .find(|t| EmbeddingCache::key(t)[0] == EmbeddingCache::key("a")[0])
            .unwrap();
        c.insert(&same, vec![0.0, 1.0]);
        c.save().unwrap();
        assert_eq!(std::fs::metadata(&shard).unwrap().len(), 2 * 24);
        let mut c = EmbeddingCache::open_in(dir.path(), "m", 2);
        assert_eq!(c.get(&same), Some(&vec![0.0, 1.0]));
        assert_eq!(c.get("a"), Some(&vec![1.0, 0.0]));
    }

    #[test]
    fn the_one_file_cache_of_earlier_versions_moves_into_shards() {
        let dir = tempfile::tempdir().unwrap();
        let name = &blake3::hash(b"m").to_hex()[..16];
        let legacy = dir.path().join(format!("{name}.bin"));
        let mut bytes = EmbeddingCache::key("old").to_vec();
        for x in [0.5f32, -0.5] {
            bytes.extend(x.to_le_bytes());
        }
        std::fs::write(&legacy, bytes).unwrap();
        let mut c = EmbeddingCache::open_in(dir.path(), "m", 2);
        assert_eq!(c.get("old"), Some(&vec![0.5, -0.5]));
        c.save().unwrap();
        assert!(!legacy.exists());
        let mut c = EmbeddingCache::open_in(dir.path(), "m", 2);
        assert_eq!(c.get("old"), Some(&vec![0.5, -0.5]));
    }
}
