//! Reading a sentence-transformers model folder's settings.

use crate::EmbedError;
use serde_json::Value;
use std::path::Path;

/// How token vectors become one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean over the attention mask (all-MiniLM, e5).
    Mean,
    /// The first ([CLS]) token (bge).
    Cls,
}

/// What a model folder says about how to use the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    /// Pooling from `1_Pooling/config.json` (mean when absent).
    pub pooling: Pooling,
    /// Whether `modules.json` lists a Normalize module.
    pub normalize: bool,
    /// Longest input in tokens, from `sentence_bert_config.json` (256 when absent).
    pub max_seq_length: usize,
    /// Text put before queries (`prompts.query` of `config_sentence_transformers.json`).
    pub query_prefix: String,
    /// Text put before passages (`prompts.passage` or `prompts.document`, if any).
    pub passage_prefix: String,
}

fn read_json(dir: &Path, rel: &str) -> Result<Option<Value>, EmbedError> {
    let path = dir.join(rel);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| EmbedError::Invalid {
                path,
                reason: format!("not valid JSON ({e})"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EmbedError::Invalid {
            path,
            reason: e.to_string(),
        }),
    }
}

impl ModelSettings {
    /// Reads the settings of a model folder; absent optional files give defaults.
    pub fn read(dir: &Path) -> Result<ModelSettings, EmbedError> {
        let modules = read_json(dir, "modules.json")?;
        let pooling_dir = modules
            .as_ref()
            .and_then(Value::as_array)
            .and_then(|mods| {
                mods.iter()
                    .find(|m| m["type"].as_str().is_some_and(|t| t.ends_with(".Pooling")))
                    .and_then(|m| m["path"].as_str().map(str::to_string))
            })
            .unwrap_or_else(|| "1_Pooling".to_string());
        let normalize = modules
            .as_ref()
            .and_then(Value::as_array)
            .is_some_and(|mods| {
                mods.iter().any(|m| {
                    m["type"]
                        .as_str()
                        .is_some_and(|t| t.ends_with(".Normalize"))
                })
            });
        let pooling = match read_json(dir, &format!("{pooling_dir}/config.json"))? {
            Some(p) if p["pooling_mode_cls_token"].as_bool() == Some(true) => Pooling::Cls,
            Some(p) if p["pooling_mode_max_tokens"].as_bool() == Some(true) => {
                return Err(EmbedError::Invalid {
                    path: dir.join(pooling_dir).join("config.json"),
                    reason: "max pooling is not supported (mean and CLS are)".into(),
                })
            }
            _ => Pooling::Mean,
        };
        let max_seq_length = read_json(dir, "sentence_bert_config.json")?
            .and_then(|v| v["max_seq_length"].as_u64())
            .map_or(256, |n| n as usize)
            .clamp(8, 8192);
        let prompts = read_json(dir, "config_sentence_transformers.json")?
            .map(|v| v["prompts"].clone())
            .unwrap_or(Value::Null);
        let prompt = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| prompts[*k].as_str())
                .unwrap_or("")
                .to_string()
        };
        Ok(ModelSettings {
            pooling,
            normalize,
            max_seq_length,
            query_prefix: prompt(&["query"]),
            passage_prefix: prompt(&["passage", "document"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn reads_minilm_and_bge_style_folders() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "modules.json",
            r#"[{"type":"sentence_transformers.models.Transformer","path":""},{"type":"sentence_transformers.models.Pooling","path":"1_Pooling"},{"type":"sentence_transformers.models.Normalize","path":"2_Normalize"}]"#,
        );
        write(
            d.path(),
            "1_Pooling/config.json",
            r#"{"pooling_mode_mean_tokens":true,"pooling_mode_cls_token":false}"#,
        );
        write(
            d.path(),
            "sentence_bert_config.json",
            r#"{"max_seq_length":256}"#,
        );
        let s = ModelSettings::read(d.path()).unwrap();
        assert_eq!(
            (s.pooling, s.normalize, s.max_seq_length),
            (Pooling::Mean, true, 256)
        );
        assert_eq!(s.query_prefix, "");

        write(
            d.path(),
            "1_Pooling/config.json",
            r#"{"pooling_mode_cls_token":true}"#,
        );
        write(
            d.path(),
            "config_sentence_transformers.json",
            r#"{"prompts":{"query":"Represent this sentence for searching relevant passages: "}}"#,
        );
        write(
            d.path(),
            "sentence_bert_config.json",
            r#"{"max_seq_length":512}"#,
        );
        let s = ModelSettings::read(d.path()).unwrap();
        assert_eq!((s.pooling, s.max_seq_length), (Pooling::Cls, 512));
        assert!(s.query_prefix.starts_with("Represent this sentence"));
    }

    #[test]
    fn defaults_without_files_and_errors_name_the_file() {
        let d = tempfile::tempdir().unwrap();
        let s = ModelSettings::read(d.path()).unwrap();
        assert_eq!(
            (s.pooling, s.normalize, s.max_seq_length),
            (Pooling::Mean, false, 256)
        );
        write(d.path(), "modules.json", "{not json");
        let err = ModelSettings::read(d.path()).unwrap_err().to_string();
        assert!(err.contains("modules.json: not valid JSON"), "{err}");
    }
}
