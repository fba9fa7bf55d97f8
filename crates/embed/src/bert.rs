//! A BERT sentence-transformers model on the CPU, with candle.

use crate::config::{ModelSettings, Pooling};
use crate::{l2_normalize, EmbedError, Embedder};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, DTYPE};
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Texts embedded per forward pass. One: an unpadded sequence keeps the activations in
/// cache and is the fastest on the CPU (see `EMBED_BATCH` in mcdewey-catalog).
const BATCH: usize = 1;

/// A sentence-embedding model loaded from a local sentence-transformers folder
/// (`config.json`, `tokenizer.json`, `model.safetensors`, optional pooling, normalise
/// and prompt files).
pub struct BertEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    settings: ModelSettings,
    dim: usize,
    shape: EncoderShape,
    id: String,
}

/// The sizes of a BERT encoder that decide the work of a forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderShape {
    /// Transformer layers.
    pub layers: usize,
    /// Hidden size (the vector length).
    pub hidden: usize,
    /// Feed-forward size.
    pub intermediate: usize,
}

impl EncoderShape {
    /// Floating-point operations (a multiply-add is two) of one sequence of `tokens`
    /// tokens through the encoder: per layer the four attention projections, the two
    /// feed-forward matrices, and the two attention products (scores and weighted sum).
    /// Embedding lookups, layer norms, softmax and activations are left out: they are
    /// a few percent of the work and no matrix unit runs them.
    pub fn flops(&self, tokens: usize) -> f64 {
        let (l, h, i) = (tokens as f64, self.hidden as f64, self.intermediate as f64);
        let per_layer = 8.0 * l * h * h + 4.0 * l * h * i + 4.0 * l * l * h;
        per_layer * self.layers as f64
    }
}

pub(crate) fn runtime(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Runtime(e.to_string())
}

fn required(dir: &Path, name: &str) -> Result<PathBuf, EmbedError> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(EmbedError::Missing { path })
    }
}

impl BertEmbedder {
    /// Loads the model in `dir`.
    pub fn load(dir: &Path) -> Result<BertEmbedder, EmbedError> {
        if !dir.is_dir() {
            return Err(EmbedError::Missing {
                path: dir.to_path_buf(),
            });
        }
        let config_path = required(dir, "config.json")?;
        let tokenizer_path = required(dir, "tokenizer.json")?;
        let weights_path = required(dir, "model.safetensors")?;
        let settings = ModelSettings::read(dir)?;
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| EmbedError::Invalid {
                path: config_path.clone(),
                reason: e.to_string(),
            })?;
        let config: Config =
            serde_json::from_str(&config_text).map_err(|e| EmbedError::Invalid {
                path: config_path.clone(),
                reason: format!("not a BERT config ({e})"),
            })?;
        let raw = serde_json::from_str::<serde_json::Value>(&config_text).unwrap_or_default();
        let size = |key: &str| {
            raw[key]
                .as_u64()
                .map(|n| n as usize)
                .ok_or_else(|| EmbedError::Invalid {
                    path: config_path.clone(),
                    reason: format!("no {key}"),
                })
        };
        let dim = size("hidden_size")?;
        let shape = EncoderShape {
            layers: size("num_hidden_layers")?,
            hidden: dim,
            intermediate: size("intermediate_size")?,
        };
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| EmbedError::Invalid {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        // Shipped tokenizer files may pad to a fixed length; pad to the batch's longest.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: settings.max_seq_length,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::Invalid {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        let weights = std::fs::read(&weights_path).map_err(|e| EmbedError::Invalid {
            path: weights_path.clone(),
            reason: e.to_string(),
        })?;
        let digest = blake3::hash(&weights).to_hex();
        let vb =
            VarBuilder::from_buffered_safetensors(weights, DTYPE, &Device::Cpu).map_err(|e| {
                EmbedError::Invalid {
                    path: weights_path.clone(),
                    reason: format!("not a safetensors file ({e})"),
                }
            })?;
        let model = BertModel::load(vb, &config).map_err(|e| EmbedError::Invalid {
            path: weights_path.clone(),
            reason: format!("weights do not fit config.json ({e})"),
        })?;
        let name = dir
            .file_name()
            .map_or("model".into(), |n| n.to_string_lossy().into_owned());
        let id = format!(
            "{name}:{}:{:?}:{}:{}",
            &digest[..8],
            settings.pooling,
            if settings.normalize { "norm" } else { "raw" },
            settings.max_seq_length
        );
        Ok(BertEmbedder {
            model,
            tokenizer,
            settings,
            dim,
            shape,
            id,
        })
    }

    /// The encoder's sizes.
    pub fn shape(&self) -> EncoderShape {
        self.shape
    }

    /// How many tokens the model reads of each passage: with the passage prompt and the
    /// special tokens, cut at the model's sequence length.
    pub fn passage_tokens(&self, texts: &[&str]) -> Result<Vec<usize>, EmbedError> {
        let inputs: Vec<String> = texts
            .iter()
            .map(|t| format!("{}{t}", self.settings.passage_prefix))
            .collect();
        let mut tokenizer = self.tokenizer.clone();
        tokenizer.with_padding(None);
        let enc = tokenizer.encode_batch(inputs, true).map_err(runtime)?;
        Ok(enc.iter().map(|e| e.get_ids().len()).collect())
    }

    /// The settings read from the model folder.
    pub fn settings(&self) -> &ModelSettings {
        &self.settings
    }

    fn forward(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(runtime)?;
        let rows = |f: fn(&tokenizers::Encoding) -> &[u32]| -> Result<Tensor, EmbedError> {
            let t: Vec<Tensor> = enc
                .iter()
                .map(|e| Tensor::new(f(e), &Device::Cpu))
                .collect::<candle_core::Result<_>>()
                .map_err(runtime)?;
            Tensor::stack(&t, 0).map_err(runtime)
        };
        let ids = rows(|e| e.get_ids())?;
        let mask = rows(|e| e.get_attention_mask())?;
        let types = ids.zeros_like().map_err(runtime)?;
        let out = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(runtime)?;
        let pooled = match self.settings.pooling {
            Pooling::Cls => out.narrow(1, 0, 1).and_then(|t| t.squeeze(1)),
            Pooling::Mean => {
                let m = mask
                    .to_dtype(DType::F32)
                    .and_then(|m| m.unsqueeze(2))
                    .map_err(runtime)?;
                out.broadcast_mul(&m)
                    .and_then(|x| x.sum(1))
                    .and_then(|s| s.broadcast_div(&m.sum(1)?))
            }
        }
        .map_err(runtime)?;
        let mut vecs: Vec<Vec<f32>> = pooled.to_vec2().map_err(runtime)?;
        if self.settings.normalize {
            vecs.iter_mut().for_each(|v| l2_normalize(v));
        }
        Ok(vecs)
    }

    fn embed_all(&self, prefix: &str, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for batch in order.chunks(BATCH) {
            let inputs: Vec<String> = batch
                .iter()
                .map(|&i| format!("{prefix}{}", texts[i]))
                .collect();
            let vecs = self.forward(&inputs)?;
            for (&i, v) in batch.iter().zip(vecs) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

impl Embedder for BertEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_all(&self.settings.passage_prefix, texts)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut v = self.embed_all(&self.settings.query_prefix, &[text])?;
        Ok(v.pop().unwrap_or_default())
    }
}
