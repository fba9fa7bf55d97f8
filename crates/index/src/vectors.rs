//! Chunk vectors beside the tantivy index, and a cache of embeddings by text.
//!
//! Each update writes a new generation file `vectors/gen-N.bin` before the tantivy
//! commit whose manifest names it, so the searchable index always names a complete
//! vector file: a crash before the commit leaves an unused file, never a mix.
//! Retrieval is an exact dot-product scan with filters applied per entry, before
//! truncation.

use crate::IndexError;
use mcdewey_catalog::{write_atomic, Filter};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// One chunk's vector entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorEntry {
    /// Chunk id.
    pub id: String,
    /// Product folder, for filtering.
    pub product: String,
    /// Version folder.
    pub version: String,
    /// Doc-set folder.
    pub doc_set: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    model_id: String,
    dim: usize,
    entries: Vec<VectorEntry>,
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
            model_id: self.model_id.clone(),
            dim: self.dim,
            entries: self.entries.clone(),
        })
        .expect("header serialises");
        write_atomic(path, |w| {
            w.write_all(&(header.len() as u64).to_le_bytes())?;
            w.write_all(&header)?;
            for x in &self.data {
                w.write_all(&x.to_le_bytes())?;
            }
            Ok(())
        })
    }

    /// Reads a set written by [`VectorSet::save`].
    pub fn load(path: &Path) -> Result<VectorSet, IndexError> {
        let corrupt = |reason: &str| IndexError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let mut file =
            std::io::BufReader::new(std::fs::File::open(path).map_err(IndexError::io(path))?);
        let mut len = [0u8; 8];
        file.read_exact(&mut len).map_err(IndexError::io(path))?;
        let len = usize::try_from(u64::from_le_bytes(len)).map_err(|_| corrupt("header length"))?;
        if len > 1 << 31 {
            return Err(corrupt("header too long"));
        }
        let mut header = vec![0u8; len];
        file.read_exact(&mut header).map_err(IndexError::io(path))?;
        let header: Header =
            serde_json::from_slice(&header).map_err(|_| corrupt("header is not valid"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(IndexError::io(path))?;
        let expected = header
            .entries
            .len()
            .checked_mul(header.dim)
            .and_then(|n| n.checked_mul(4));
        if expected != Some(bytes.len()) {
            return Err(corrupt("vector data length does not match the header"));
        }
        let data = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(VectorSet {
            model_id: header.model_id,
            dim: header.dim,
            entries: header.entries,
            data,
        })
    }

    /// The `limit` entries most similar to `query` (dot product) among those the filter
    /// admits, best first.
    pub fn nearest(&self, query: &[f32], filter: &Filter, limit: usize) -> Vec<(String, f32)> {
        let admits = |e: &VectorEntry| {
            filter.product.as_ref().is_none_or(|p| p == &e.product)
                && filter.doc_set.as_ref().is_none_or(|d| d == &e.doc_set)
                && filter.versions.as_ref().is_none_or(|pairs| {
                    pairs
                        .iter()
                        .any(|(p, v)| p == &e.product && v == &e.version)
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
        let mut scored: Vec<(usize, f32)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| admits(e))
            .map(|(i, _)| (i, mcdewey_embed::dot(self.vector(i), query)))
            .collect();
        let limit = limit.min(scored.len());
        if limit == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(limit - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(limit);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored
            .into_iter()
            .map(|(i, s)| (self.entries[i].id.clone(), s))
            .collect()
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
