//! The real all-MiniLM-L6-v2 model, fetched by `scripts/fetch-model`, against values
//! computed independently (numpy BERT, sentence-transformers reference).

use mcdewey_embed::{dot, BertEmbedder, EmbedError, Embedder, EncoderShape};
use std::path::PathBuf;

fn model_dir() -> PathBuf {
    std::env::var_os("MCDEWEY_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache")
                });
            cache.join("mcdewey/models/all-MiniLM-L6-v2")
        })
}

#[test]
fn minilm_gives_reference_similarities() {
    let dir = model_dir();
    let e =
        BertEmbedder::load(&dir).unwrap_or_else(|err| panic!("{err} (run scripts/fetch-model)"));
    assert_eq!(e.dim(), 384);
    let texts = [
        "How do I read a file into a string in Rust?",
        "Use std::fs::read_to_string to load a file's contents as a String.",
        "The cat sat on the warm windowsill all afternoon.",
    ];
    let v = e.embed_passages(&texts).unwrap();
    let close = |a: f32, b: f32| (a - b).abs() < 1e-3;
    assert!(close(dot(&v[0], &v[1]), 0.5664), "{}", dot(&v[0], &v[1]));
    assert!(close(dot(&v[0], &v[2]), 0.0814), "{}", dot(&v[0], &v[2]));
    assert!(close(dot(&v[1], &v[2]), 0.0611), "{}", dot(&v[1], &v[2]));
    for (got, want) in v[0][..3]
        .iter()
        .zip([0.004_052_904_4f32, 0.062_409_528, -0.069_809_19])
    {
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    }
    let q = e.embed_query(texts[0]).unwrap();
    assert!(dot(&q, &v[0]) > 0.9999, "no query prompt for MiniLM");
}

#[test]
fn minilm_shape_tokens_and_work_per_chunk() {
    let e = BertEmbedder::load(&model_dir()).unwrap();
    let shape = e.shape();
    assert_eq!(
        shape,
        EncoderShape {
            layers: 6,
            hidden: 384,
            intermediate: 1536
        }
    );
    // Six layers of 8·L·h² + 4·L·h·i + 4·L²·h at L = 128: 2.87 GFLOP.
    let want = 6.0
        * (8.0 * 128.0 * 384.0f64.powi(2)
            + 4.0 * 128.0 * 384.0 * 1536.0
            + 4.0 * 128.0f64.powi(2) * 384.0);
    assert_eq!(shape.flops(128), want);
    assert!((shape.flops(128) / 1e9 - 2.87).abs() < 0.01);
    // [CLS] + words + [SEP]; long texts are cut at the model's 256 tokens.
    let long = "word ".repeat(1000);
    assert_eq!(
        e.passage_tokens(&["hello world", &long]).unwrap(),
        vec![4, 256]
    );
}

#[test]
fn missing_and_corrupt_models_say_how_to_fix() {
    let err = BertEmbedder::load(std::path::Path::new("/nonexistent/model"))
        .err()
        .unwrap();
    assert!(matches!(err, EmbedError::Missing { .. }));
    assert!(err.to_string().contains("scripts/fetch-model"), "{err}");
    let d = tempfile::tempdir().unwrap();
    for f in ["config.json", "tokenizer.json", "model.safetensors"] {
        std::fs::write(d.path().join(f), "{}").unwrap();
    }
    std::fs::write(d.path().join("config.json"), "{broken").unwrap();
    let err = BertEmbedder::load(d.path()).err().unwrap().to_string();
    assert!(err.contains("config.json: not a BERT config"), "{err}");
}
