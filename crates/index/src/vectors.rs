//! Vector files: a JSON header of entries (chunk id, product, version, doc set) and the
//! vectors after it, f32 little-endian. A [`VectorSet`] holds a file's vectors in memory;
//! a [`VectorFile`] leaves them on disk and reads the ones asked for. Files are written
//! atomically and named by their content (`parts`), before the commit that names them.
//! Retrieval here is an exact dot-product scan with filters applied per entry, before
//! truncation.

use crate::IndexError;
use mcdewey_catalog::{write_atomic, Filter};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashSet;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One chunk's vector entry. Its product, version and doc set are shared with the
/// other entries of the file that name the same (a file read from disk holds one
/// copy of each name, however many entries it has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VectorEntry {
    /// Chunk id.
    pub id: String,
    /// Product folder, for filtering.
    #[serde(serialize_with = "name")]
    pub product: Arc<str>,
    /// Version folder.
    #[serde(serialize_with = "name")]
    pub version: Arc<str>,
    /// Doc-set folder.
    #[serde(serialize_with = "name")]
    pub doc_set: Arc<str>,
}

fn name<S: serde::Serializer>(name: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(name)
}

#[derive(Serialize)]
struct Header<'a> {
    model_id: &'a str,
    dim: usize,
    entries: &'a [VectorEntry],
}

/// A header as read: its strings borrowed from the bytes where they need no unescaping.
#[derive(Deserialize)]
struct RawHeader<'a> {
    model_id: String,
    dim: usize,
    #[serde(borrow)]
    entries: Vec<RawEntry<'a>>,
}

#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    product: Cow<'a, str>,
    #[serde(borrow)]
    version: Cow<'a, str>,
    #[serde(borrow)]
    doc_set: Cow<'a, str>,
}

/// One shared copy of each name.
#[derive(Default)]
struct Names(HashSet<Arc<str>>);

impl Names {
    fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(n) = self.0.get(name) {
            return n.clone();
        }
        let n: Arc<str> = name.into();
        self.0.insert(n.clone());
        n
    }
}

/// The entries as read, each name shared with the entries that name the same.
fn with_shared_names(raw: Vec<RawEntry>) -> Vec<VectorEntry> {
    let mut names = Names::default();
    raw.into_iter()
        .map(|e| VectorEntry {
            id: e.id.into_owned(),
            product: names.get(&e.product),
            version: names.get(&e.version),
            doc_set: names.get(&e.doc_set),
        })
        .collect()
}

/// All chunk vectors of one index generation.
#[derive(Debug, Clone, Default)]
pub struct VectorSet {
    /// The model that made the vectors.
    pub model_id: String,
    /// Vector length.
    pub dim: usize,
    /// Entries, in the order of `data`.
    pub entries: Vec<VectorEntry>,
    data: Vec<f32>,
}

impl VectorSet {
    /// An empty set for a model.
    pub fn new(model_id: &str, dim: usize) -> VectorSet {
        VectorSet {
            model_id: model_id.to_string(),
            dim,
            entries: Vec::new(),
            data: Vec::new(),
        }
    }

    /// An empty set with room for `vectors` vectors.
    pub fn with_capacity(model_id: &str, dim: usize, vectors: usize) -> VectorSet {
        let mut set = VectorSet::new(model_id, dim);
        set.entries.reserve_exact(vectors);
        set.data.reserve_exact(vectors * dim);
        set
    }

    /// Adds a vector.
    pub fn push(&mut self, entry: VectorEntry, vector: &[f32]) {
        debug_assert_eq!(vector.len(), self.dim);
        self.entries.push(entry);
        self.data.extend_from_slice(vector);
    }

    /// The vector of entry `i`.
    pub fn vector(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the set to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), IndexError> {
        let header = serde_json::to_vec(&Header {
            model_id: &self.model_id,
            dim: self.dim,
            entries: &self.entries,
        })
        .expect("header serialises");
        write_atomic(path, |w| {
            w.write_all(&(header.len() as u64).to_le_bytes())?;
            w.write_all(&header)?;
            self.write_vectors(w)
        })
    }

    /// Writes the vectors as a vector file lays them out (little-endian floats), a run
    /// of vectors a call rather than one a number: 77 million calls for a part of
    /// 200,000 vectors cost seconds, to the file and to the hash naming it alike.
    pub(crate) fn write_vectors(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        for run in self.data.chunks(SCAN_RUN * self.dim.max(1)) {
            bytes.clear();
            bytes.extend(run.iter().flat_map(|x| x.to_le_bytes()));
            w.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Reads a set written by [`VectorSet::save`].
    pub fn load(path: &Path) -> Result<VectorSet, IndexError> {
        let file = VectorFile::open(path)?;
        // Read in runs into one buffer of the final size (not the whole file's bytes
        // and then their floats: a part of 200,000 vectors is 300 MB).
        let mut data = Vec::with_capacity(file.entries.len() * file.dim);
        let mut run = Vec::new();
        for first in (0..file.entries.len()).step_by(SCAN_RUN) {
            let count = SCAN_RUN.min(file.entries.len() - first);
            file.read_run(first, count, &mut run)
                .map_err(IndexError::io(path))?;
            data.extend_from_slice(&run);
        }
        Ok(VectorSet {
            model_id: file.model_id,
            dim: file.dim,
            entries: file.entries,
            data,
        })
    }

    /// The `limit` entries most similar to `query` (dot product) among those the filter
    /// admits, best first.
    pub fn nearest(&self, query: &[f32], filter: &Filter, limit: usize) -> Vec<(String, f32)> {
        let admits = |e: &VectorEntry| {
            filter.product.as_deref().is_none_or(|p| p == &*e.product)
                && filter.doc_set.as_deref().is_none_or(|d| d == &*e.doc_set)
                && filter.versions.as_ref().is_none_or(|pairs| {
                    pairs
                        .iter()
                        .any(|(p, v)| p == &*e.product && v == &*e.version)
                })
        };
        self.scan(query, &admits, limit)
    }

    /// An exact scan: the `limit` entries `admits` lets in most similar to `query`,
    /// best first.
    pub fn scan(
        &self,
        query: &[f32],
        admits: &dyn Fn(&VectorEntry) -> bool,
        limit: usize,
    ) -> Vec<(String, f32)> {
        let scored: Vec<(usize, f32)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| admits(e))
            .map(|(i, _)| (i, mcdewey_embed::dot(self.vector(i), query)))
            .collect();
        best(scored, limit, &self.entries)
    }
}

/// The `limit` best of `scored` (entry position, score), best first, as chunk ids.
pub(crate) fn best(
    mut scored: Vec<(usize, f32)>,
    limit: usize,
    entries: &[VectorEntry],
) -> Vec<(String, f32)> {
    let limit = limit.min(scored.len());
    if limit == 0 {
        return Vec::new();
    }
    scored.select_nth_unstable_by(limit - 1, |a, b| b.1.total_cmp(&a.1));
    scored.truncate(limit);
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
        .into_iter()
        .map(|(i, s)| (entries[i].id.clone(), s))
        .collect()
}

/// Vectors read at most this many at a time by a scan from disk.
const SCAN_RUN: usize = 512;

/// A vector file left on disk: its entries in memory, its vectors read when asked for
/// (positioned reads: the page cache holds them, not the process, and concurrent
/// searches need no lock). An open file stays readable after an update removes it.
#[derive(Debug)]
pub struct VectorFile {
    /// The model that made the vectors.
    pub model_id: String,
    /// Vector length.
    pub dim: usize,
    /// Entries, in the order of the vectors.
    pub entries: Vec<VectorEntry>,
    file: std::fs::File,
    offset: u64,
    path: PathBuf,
}

impl VectorFile {
    /// Opens a file written by [`VectorSet::save`], reading only its header.
    pub fn open(path: &Path) -> Result<VectorFile, IndexError> {
        let corrupt = |reason: &str| IndexError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let file = std::fs::File::open(path).map_err(IndexError::io(path))?;
        let size = file.metadata().map_err(IndexError::io(path))?.len();
        let mut len = [0u8; 8];
        file.read_exact_at(&mut len, 0)
            .map_err(IndexError::io(path))?;
        let len = u64::from_le_bytes(len);
        if len > 1 << 31 || len + 8 > size {
            return Err(corrupt("header length"));
        }
        let mut header = vec![0u8; len as usize];
        file.read_exact_at(&mut header, 8)
            .map_err(IndexError::io(path))?;
        let RawHeader {
            model_id,
            dim,
            entries,
        } = serde_json::from_slice(&header).map_err(|_| corrupt("header is not valid"))?;
        let expected = (entries.len() as u64)
            .checked_mul(dim as u64)
            .and_then(|n| n.checked_mul(4));
        if expected != Some(size - 8 - len) {
            return Err(corrupt("vector data length does not match the header"));
        }
        Ok(VectorFile {
            model_id,
            dim,
            entries: with_shared_names(entries),
            file,
            offset: 8 + len,
            path: path.to_path_buf(),
        })
    }

    /// The vectors of entries `first..first + count`, one after another, into `out`.
    fn read_run(&self, first: usize, count: usize, out: &mut Vec<f32>) -> std::io::Result<()> {
        let mut bytes = vec![0u8; count * self.dim * 4];
        let at = self.offset + (first * self.dim * 4) as u64;
        self.file.read_exact_at(&mut bytes, at)?;
        out.clear();
        out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        Ok(())
    }

    /// The dot product of entry `i`'s vector with `query`; `None` (and a warning) when
    /// the file cannot be read.
    pub fn score(&self, i: usize, query: &[f32]) -> Option<f32> {
        let mut v = Vec::with_capacity(self.dim);
        match self.read_run(i, 1, &mut v) {
            Ok(()) => Some(mcdewey_embed::dot(&v, query)),
            Err(e) => {
                self.unreadable(&e);
                None
            }
        }
    }

    fn unreadable(&self, e: &std::io::Error) {
        tracing::warn!(target: "mcdewey::index", "vectors of {} unreadable: {e}", self.path.display());
    }

    /// [`VectorSet::scan`] reading the admitted vectors from disk, runs of neighbours
    /// at a time.
    pub fn scan(
        &self,
        query: &[f32],
        admits: &dyn Fn(&VectorEntry) -> bool,
        limit: usize,
    ) -> Vec<(String, f32)> {
        let mut scored = Vec::new();
        let mut run = Vec::new();
        let mut i = 0;
        while i < self.entries.len() {
            if !admits(&self.entries[i]) {
                i += 1;
                continue;
            }
            let mut end = i + 1;
            while end < self.entries.len() && end - i < SCAN_RUN && admits(&self.entries[end]) {
                end += 1;
            }
            if let Err(e) = self.read_run(i, end - i, &mut run) {
                self.unreadable(&e);
                return Vec::new();
            }
            for (k, v) in run.chunks_exact(self.dim).enumerate() {
                scored.push((i + k, mcdewey_embed::dot(v, query)));
            }
            i = end;
        }
        best(scored, limit, &self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, version: &str) -> VectorEntry {
        VectorEntry {
            id: id.into(),
            product: "p".into(),
            version: version.into(),
            doc_set: "d".into(),
        }
    }

    #[test]
    fn round_trips_and_filters_before_truncating() {
        let mut set = VectorSet::new("m", 2);
        set.push(entry("a", "v1"), &[1.0, 0.0]);
        set.push(entry("b", "v2"), &[0.9, 0.1]);
        set.push(entry("c", "v2"), &[0.0, 1.0]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gen-1.bin");
        set.save(&path).unwrap();
        let back = VectorSet::load(&path).unwrap();
        assert_eq!(back.entries, set.entries);
        assert_eq!(back.vector(2), &[0.0, 1.0]);
        let all = back.nearest(&[1.0, 0.0], &Filter::default(), 2);
        assert_eq!(
            all.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let v2 = Filter {
            versions: Some(vec![("p".into(), "v2".into())]),
            ..Default::default()
        };
        let only = back.nearest(&[1.0, 0.0], &v2, 1);
        assert_eq!(only[0].0, "b", "the filter applies before the top-k cut");
        std::fs::write(&path, b"\x05\0\0\0\0\0\0\0{bad}").unwrap();
        assert!(VectorSet::load(&path)
            .unwrap_err()
            .to_string()
            .contains("corrupt"));
    }
}
