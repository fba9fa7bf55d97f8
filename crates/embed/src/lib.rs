//! Sentence embeddings for semantic search.
//!
//! [`BertEmbedder`] runs a BERT sentence-transformers model (all-MiniLM-L6-v2 by default,
//! or bge / e5 models dropped into a local folder) on the CPU with candle. Pooling,
//! normalisation, sequence length and query prompts are read from the model folder's
//! sentence-transformers files, so a different model needs no code change.
//! [`HashEmbedder`] is a deterministic, model-free stand-in for unit tests.

mod bert;
mod config;
mod hashed;
#[cfg(feature = "hub")]
mod hub;
mod limit;
mod parallel;

pub use bert::{BertEmbedder, EncoderShape};
pub use config::{ModelSettings, Pooling};
pub use hashed::HashEmbedder;
#[cfg(feature = "hub")]
pub use hub::fetch_from_hub;
pub use limit::matmul_gflops;
pub use parallel::{default_workers, embed_passages_parallel};

use std::path::PathBuf;

/// Embedding errors. Messages name the model file at fault and how to get the model.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model folder or one of its files is missing.
    #[error("embedding model: {path} is missing; fetch the model with `scripts/fetch-model` or point --model / MCDEWEY_MODEL at a sentence-transformers folder")]
    Missing {
        /// The missing path.
        path: PathBuf,
    },
    /// A model file exists but cannot be used.
    #[error("embedding model: {path}: {reason}; fetch the model again with `scripts/fetch-model`")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The model failed while running.
    #[error("embedding model failed: {0}")]
    Runtime(String),
    /// A model could not be fetched from the Hugging Face Hub.
    #[error("embedding model {repo} from the Hugging Face Hub: {reason}")]
    Hub {
        /// The repository, e.g. `BAAI/bge-small-en-v1.5`.
        repo: String,
        /// What failed.
        reason: String,
    },
}

/// Turns texts into vectors whose dot product measures similarity of meaning.
pub trait Embedder: Send + Sync {
    /// Identifies the model and its settings; embedding caches are keyed by it.
    fn model_id(&self) -> &str;
    /// Vector length.
    fn dim(&self) -> usize;
    /// Embeds passages (documents), L2-normalised.
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// Embeds a query, with the model's query prompt when it has one.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError>;
}

/// Scales a vector to unit length (a zero vector stays zero).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

/// `wa`·`a` + `wb`·`b`, normalised: with `wa` the larger, a vector near `a` shaped like
/// the vectors it is made from (the benchmarks' synthetic libraries grow a real
/// library's model vectors this way).
pub fn blend(a: &[f32], wa: f32, b: &[f32], wb: f32) -> Vec<f32> {
    let mut v: Vec<f32> = a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect();
    l2_normalize(&mut v);
    v
}

/// Dot product of two vectors of equal length.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
