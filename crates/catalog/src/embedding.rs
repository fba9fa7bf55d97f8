//! Embedding chunks for either store: the text embedded for a chunk, the model and its
//! workers, and the cache that keeps unchanged text from being embedded twice.

use crate::scan::Progress;
use crate::IndexError;
use mcdewey_core::Chunk;
use mcdewey_embed::Embedder;
use std::collections::HashMap;
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
    let missing: Vec<&str> = {
        let mut seen = std::collections::HashSet::new();
        texts
            .iter()
            .filter(|t| cache.get(t).is_none() && seen.insert(t.as_str()))
            .map(String::as_str)
            .collect()
    };
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

/// Embeddings by text hash for one model, so unchanged text is never embedded twice.
pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    map: HashMap<[u8; 16], Vec<f32>>,
    dirty: bool,
}

impl EmbeddingCache {
    /// Opens the cache of `model_id` in `data_dir/embed-cache` (empty when absent or
    /// unreadable).
    pub fn open(data_dir: &Path, model_id: &str, dim: usize) -> EmbeddingCache {
        Self::open_in(&data_dir.join("embed-cache"), model_id, dim)
    }

    /// Opens the cache of `model_id` in the folder `dir`, which several data folders
    /// may share.
    pub fn open_in(dir: &Path, model_id: &str, dim: usize) -> EmbeddingCache {
        let name = blake3::hash(model_id.as_bytes()).to_hex();
        let path = dir.join(format!("{}.bin", &name[..16]));
        let mut map = HashMap::new();
        if let Ok(bytes) = std::fs::read(&path) {
            let step = 16 + dim * 4;
            if dim > 0 && bytes.len() % step == 0 {
                for rec in bytes.chunks_exact(step) {
                    let key: [u8; 16] = rec[..16].try_into().expect("16 bytes");
                    let v = rec[16..]
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    map.insert(key, v);
                }
            }
        }
        EmbeddingCache {
            path,
            dim,
            map,
            dirty: false,
        }
    }

    /// A cache kept in memory only ([`EmbeddingCache::save`] does
    /// nothing): for stores without a data folder and no shared cache folder.
    pub fn in_memory(dim: usize) -> EmbeddingCache {
        EmbeddingCache {
            path: PathBuf::new(),
            dim,
            map: HashMap::new(),
            dirty: false,
        }
    }

    /// The cache key of a text.
    pub fn key(text: &str) -> [u8; 16] {
        blake3::hash(text.as_bytes()).as_bytes()[..16]
            .try_into()
            .expect("16 bytes")
    }

    /// A cached vector.
    pub fn get(&self, text: &str) -> Option<&Vec<f32>> {
        self.map.get(&Self::key(text))
    }

    /// Stores a vector.
    pub fn insert(&mut self, text: &str, vector: Vec<f32>) {
        self.map.insert(Self::key(text), vector);
        self.dirty = true;
    }

    /// Number of cached vectors.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Writes the cache if it changed.
    pub fn save(&mut self) -> Result<(), IndexError> {
        if !self.dirty || self.path.as_os_str().is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(IndexError::io(dir))?;
        }
        let dim = self.dim;
        write_atomic(&self.path, |w| {
            for (k, v) in &self.map {
                if v.len() != dim {
                    continue;
                }
                w.write_all(k)?;
                for x in v {
                    w.write_all(&x.to_le_bytes())?;
                }
            }
            Ok(())
        })?;
        self.dirty = false;
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
    fn cache_persists_by_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = EmbeddingCache::open(dir.path(), "m", 2);
        c.insert("hello", vec![0.5, 0.5]);
        c.save().unwrap();
        let c = EmbeddingCache::open(dir.path(), "m", 2);
        assert_eq!(c.get("hello"), Some(&vec![0.5, 0.5]));
        assert!(EmbeddingCache::open(dir.path(), "other", 2).is_empty());
    }
}
