//! A deterministic embedder for tests: no model, no download.

use crate::{l2_normalize, EmbedError, Embedder};

/// Hashes lower-cased words and word bigrams into `dim` buckets and L2-normalises, so
/// texts sharing words have a higher dot product. A test double for code that needs an
/// [`Embedder`], not a model of meaning.
#[derive(Debug, Clone)]
pub struct HashEmbedder {
    dim: usize,
    id: String,
}

impl HashEmbedder {
    /// An embedder producing vectors of length `dim` (at least 1).
    pub fn new(dim: usize) -> HashEmbedder {
        let dim = dim.max(1);
        HashEmbedder {
            dim,
            id: format!("hash-{dim}"),
        }
    }

    fn embed(&self, text: &str) -> Vec<f32> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let mut v = vec![0f32; self.dim];
        let mut add = |key: &str, weight: f32| {
            let h = blake3::hash(key.as_bytes());
            let bytes = h.as_bytes();
            let bucket =
                u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize % self.dim;
            let sign = if bytes[8] & 1 == 0 { 1.0 } else { -1.0 };
            v[bucket] += sign * weight;
        };
        for w in &words {
            add(w, 1.0);
        }
        for pair in words.windows(2) {
            add(&format!("{} {}", pair[0], pair[1]), 0.5);
        }
        l2_normalize(&mut v);
        v
    }
}

impl Embedder for HashEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|t| self.embed(t)).collect())
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        Ok(self.embed(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dot;

    #[test]
    fn shared_words_mean_closer_vectors_and_output_is_stable() {
        let e = HashEmbedder::new(256);
        let q = e.embed_query("enable mixed mode").unwrap();
        let p = e
            .embed_passages(&[
                "how to enable mixed mode on the cluster",
                "bananas are yellow",
            ])
            .unwrap();
        assert!(dot(&q, &p[0]) > dot(&q, &p[1]) + 0.2);
        assert_eq!(q, e.embed_query("Enable MIXED mode").unwrap());
        assert!((dot(&q, &q) - 1.0).abs() < 1e-5);
        assert_eq!(e.embed_query("").unwrap(), vec![0.0; 256]);
    }
}
