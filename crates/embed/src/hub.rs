//! Fetching a model folder from the Hugging Face Hub (feature `hub`), for users whose
//! machines reach it. The files land in the standard Hugging Face cache (`HF_HOME`,
//! `HF_ENDPOINT` and `HF_TOKEN` are honoured) and the snapshot folder is then loaded
//! like any local sentence-transformers folder.

use crate::EmbedError;
use std::path::PathBuf;

/// Files a sentence-transformers BERT folder needs.
const REQUIRED: &[&str] = &["config.json", "tokenizer.json", "model.safetensors"];
/// Files that carry pooling, normalisation, sequence length and prompts when present.
const OPTIONAL: &[&str] = &[
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
];

/// Downloads (or finds in the cache) `repo` at `revision` (default `main`) and returns
/// the local snapshot folder.
pub fn fetch_from_hub(repo: &str, revision: Option<&str>) -> Result<PathBuf, EmbedError> {
    use hf_hub::api::sync::ApiBuilder;
    use hf_hub::{Repo, RepoType};
    let hub = |e: hf_hub::api::sync::ApiError| EmbedError::Hub {
        repo: repo.to_string(),
        reason: e.to_string(),
    };
    let api = ApiBuilder::from_env().build().map_err(hub)?;
    let handle = api.repo(Repo::with_revision(
        repo.to_string(),
        RepoType::Model,
        revision.unwrap_or("main").to_string(),
    ));
    let mut folder = None;
    for name in REQUIRED {
        let path = handle.get(name).map_err(hub)?;
        folder = path.parent().map(PathBuf::from);
    }
    for name in OPTIONAL {
        // Absent files mean defaults (mean pooling, no prompt).
        if let Err(e) = handle.get(name) {
            tracing::debug!(target: "mcdewey::embed", "{repo}: {name}: {e}");
        }
    }
    folder.ok_or_else(|| EmbedError::Hub {
        repo: repo.to_string(),
        reason: "no files".into(),
    })
}
