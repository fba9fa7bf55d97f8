//! Flags several commands share: where the library and index are, the model, search
//! filters, the retrieval mode and the fusion settings of measurements.

use clap::{Args, ValueEnum};
use mcdewey_search::{FusionMethod, Mode, StoreSpec};
use std::path::PathBuf;

/// `--mode`: how candidates are retrieved.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeArg {
    /// Keywords only (BM25).
    #[value(alias = "keyword")]
    Bm25,
    /// Meaning only (embedding similarity).
    #[value(alias = "semantic")]
    Vector,
    /// Both, fused.
    Hybrid,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Bm25 => Mode::Bm25,
            ModeArg::Vector => Mode::Vector,
            ModeArg::Hybrid => Mode::Hybrid,
        }
    }
}

/// `--fusion`: how hybrid mode combines the keyword and vector lists.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusionArg {
    /// Reciprocal rank.
    Rrf,
    /// Weighted sum of scores normalised by each list's best.
    Convex,
}

impl From<FusionArg> for FusionMethod {
    fn from(f: FusionArg) -> FusionMethod {
        match f {
            FusionArg::Rrf => FusionMethod::Rrf,
            FusionArg::Convex => FusionMethod::Convex,
        }
    }
}

/// Where the library and the index live; every command takes these.
#[derive(Args, Debug, Clone)]
pub struct Paths {
    /// Library folder laid out as <product>/<version>/<doc-set>/<file>.
    #[arg(
        long,
        env = "MCDEWEY_LIBRARY",
        default_value = "library",
        global = true
    )]
    pub library: PathBuf,
    /// Data folder holding the index.
    #[arg(
        long,
        env = "MCDEWEY_DATA",
        default_value = "mcdewey-data",
        global = true
    )]
    pub data: PathBuf,
    /// Where the index lives: `embedded` (the data folder, the default) or a PostgreSQL
    /// database with pgvector, `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, that many
    /// servers share (docs/deployment.md).
    #[arg(long, env = "MCDEWEY_STORE", global = true)]
    pub store: Option<String>,
}

impl Paths {
    /// The store `--store` and `--data` name, read once here.
    pub fn spec(&self) -> anyhow::Result<StoreSpec> {
        StoreSpec::parse(self.store.as_deref(), &self.data)
            .map_err(|e| anyhow::anyhow!("--store: {e}"))
    }

    /// Opens the store the index is in (it must have been built).
    pub fn open_store(&self) -> anyhow::Result<mcdewey_search::Backend> {
        Ok(self.spec()?.open()?)
    }

    /// Names products are also known by, from `<library>/<product>/product.json`.
    pub fn product_aliases(&self) -> mcdewey_search::understand::ProductAliases {
        mcdewey_search::serving::product_aliases(&self.library)
    }

    /// The store, for messages: the data folder or the URL without its password.
    pub fn store_name(&self) -> String {
        match self.spec() {
            Ok(spec) => spec.describe(),
            Err(_) => self.data.display().to_string(),
        }
    }
}

/// The embedding model.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Sentence-transformers model folder (fetch the default with scripts/fetch-model),
    /// or `hf:ORG/NAME[@REVISION]` to fetch one from the Hugging Face Hub (builds with
    /// the `hub` feature). Default: ~/.cache/mcdewey/models/all-MiniLM-L6-v2.
    #[arg(long, env = "MCDEWEY_MODEL", global = true)]
    pub model: Option<PathBuf>,
    /// Embedding cache folder to share between data folders (default: inside the data
    /// folder). Unchanged text is never embedded twice by any index using it.
    #[arg(long, env = "MCDEWEY_EMBED_CACHE", global = true)]
    pub embed_cache: Option<PathBuf>,
}

impl ModelArgs {
    /// The model folder to use.
    pub fn dir(&self) -> PathBuf {
        self.model
            .clone()
            .unwrap_or_else(|| cache_dir().join("models/all-MiniLM-L6-v2"))
    }

    /// How `model` embeds during an update: one worker per core, the shared cache if set.
    pub fn embedding<'a>(
        &'a self,
        model: &'a dyn mcdewey_embed::Embedder,
    ) -> mcdewey_search::Embedding<'a> {
        let mut e = mcdewey_search::Embedding::new(model);
        e.cache_dir = self.embed_cache.as_deref();
        e
    }

    /// Loads the model.
    pub fn load(&self) -> anyhow::Result<std::sync::Arc<dyn mcdewey_embed::Embedder>> {
        Ok(std::sync::Arc::new(self.load_bert()?))
    }

    /// Loads the model as what it is, with its shape and tokenizer.
    pub fn load_bert(&self) -> anyhow::Result<mcdewey_embed::BertEmbedder> {
        let dir = self.dir();
        let dir = match dir.to_str().and_then(|s| s.strip_prefix("hf:")) {
            Some(spec) => hub_folder(spec)?,
            None => dir,
        };
        Ok(mcdewey_embed::BertEmbedder::load(&dir)?)
    }
}

/// McDewey's cache folder, where `scripts/setup` puts the model and pdf.js:
/// `$XDG_CACHE_HOME/mcdewey`, else `~/.cache/mcdewey`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
        })
        .join("mcdewey")
}

/// The local folder of a Hub model `ORG/NAME[@REVISION]`, downloading it if needed.
#[cfg(feature = "hub")]
fn hub_folder(spec: &str) -> anyhow::Result<PathBuf> {
    let (repo, revision) = match spec.split_once('@') {
        Some((r, v)) => (r, Some(v)),
        None => (spec, None),
    };
    Ok(mcdewey_embed::fetch_from_hub(repo, revision)?)
}

#[cfg(not(feature = "hub"))]
fn hub_folder(spec: &str) -> anyhow::Result<PathBuf> {
    anyhow::bail!(
        "--model hf:{spec}: this build cannot reach the Hugging Face Hub; rebuild with `cargo build --features hub`, or download the model folder and pass --model DIR"
    )
}

/// Filters shared by search-like commands.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Only this product (folder name, e.g. cucm).
    #[arg(long)]
    pub product: Option<String>,
    /// Only this version: folder name (v12.5.1su1), as written (12.5(1)SU1), or `latest`.
    #[arg(long)]
    pub version: Option<String>,
    /// Only this doc set (folder name, e.g. security-guide).
    #[arg(long = "doc-set")]
    pub doc_set: Option<String>,
    /// Take the query as written: do not steer to a release or product named in it.
    #[arg(long)]
    pub no_understand: bool,
}

/// Hybrid fusion settings, for measurements; the defaults are the measured best.
#[derive(Args, Debug, Clone, Default)]
pub struct FusionArgs {
    /// How hybrid mode combines the lists: rrf (reciprocal rank) or convex (weighted
    /// sum of scores normalised by each list's best).
    #[arg(long, value_enum)]
    pub fusion: Option<FusionArg>,
    /// Rank offset k of reciprocal-rank fusion.
    #[arg(long)]
    pub rrf_k: Option<f32>,
    /// Weight of the keyword (BM25) list in hybrid mode.
    #[arg(long)]
    pub bm25_weight: Option<f32>,
    /// Weight of the vector list in hybrid mode.
    #[arg(long)]
    pub vector_weight: Option<f32>,
    /// BM25 boost of a match in the heading path over one in the body.
    #[arg(long)]
    pub heading_weight: Option<f32>,
    /// Candidates taken from each list before fusing.
    #[arg(long)]
    pub fusion_depth: Option<usize>,
    /// Candidates the second ranking stage re-scores (0 turns it off).
    #[arg(long)]
    pub rerank_depth: Option<usize>,
    /// Second stage: weight of the share of query terms in a passage.
    #[arg(long)]
    pub rerank_coverage: Option<f32>,
    /// Second stage: weight of the share of query terms in its heading path.
    #[arg(long)]
    pub rerank_heading: Option<f32>,
    /// Second stage: bonus when the query's identifiers occur verbatim.
    #[arg(long)]
    pub rerank_exact: Option<f32>,
    /// Second stage: bonus of release notes for questions about changes.
    #[arg(long)]
    pub rerank_notes: Option<f32>,
    /// Second stage: weight of the share of the query a passage holds word for word.
    #[arg(long)]
    pub rerank_verbatim: Option<f32>,
    /// Second stage: bonus of a passage whose section an identifier of the query names.
    #[arg(long)]
    pub rerank_defines: Option<f32>,
    /// Score added to passages of a release named in the query (0: no steering).
    #[arg(long)]
    pub steer: Option<f32>,
}

impl FusionArgs {
    /// Applies the flags given to an engine.
    pub fn configure(&self, engine: &mut mcdewey_search::Engine) -> anyhow::Result<()> {
        engine.set_fusion(self.apply(engine.fusion())?);
        if let Some(h) = non_negative("--heading-weight", self.heading_weight)? {
            engine
                .set_bm25_weights(mcdewey_search::Bm25Weights { heading: h })
                .map_err(|e| anyhow::anyhow!("--heading-weight: {e}"))?;
        }
        let mut r = engine.rerank();
        r.depth = self.rerank_depth.unwrap_or(r.depth);
        r.coverage = non_negative("--rerank-coverage", self.rerank_coverage)?.unwrap_or(r.coverage);
        r.heading = non_negative("--rerank-heading", self.rerank_heading)?.unwrap_or(r.heading);
        r.exact = non_negative("--rerank-exact", self.rerank_exact)?.unwrap_or(r.exact);
        r.notes = non_negative("--rerank-notes", self.rerank_notes)?.unwrap_or(r.notes);
        r.verbatim = non_negative("--rerank-verbatim", self.rerank_verbatim)?.unwrap_or(r.verbatim);
        r.defines = non_negative("--rerank-defines", self.rerank_defines)?.unwrap_or(r.defines);
        engine.set_rerank(r);
        if let Some(s) = non_negative("--steer", self.steer)? {
            engine.set_steer(s);
        }
        Ok(())
    }

    /// `base` with the flags given applied.
    pub fn apply(&self, base: mcdewey_search::Fusion) -> anyhow::Result<mcdewey_search::Fusion> {
        let mut f = base;
        if let Some(m) = self.fusion {
            f.method = m.into();
        }
        f.k = non_negative("--rrf-k", self.rrf_k)?.unwrap_or(f.k);
        f.bm25 = non_negative("--bm25-weight", self.bm25_weight)?.unwrap_or(f.bm25);
        f.vector = non_negative("--vector-weight", self.vector_weight)?.unwrap_or(f.vector);
        if let Some(d) = self.fusion_depth {
            anyhow::ensure!(
                (1..=10_000).contains(&d),
                "--fusion-depth: {d} is out of range 1..=10000"
            );
            f.depth = d;
        }
        Ok(f)
    }
}

/// A weight flag's value, refused when negative.
pub fn non_negative(flag: &str, value: Option<f32>) -> anyhow::Result<Option<f32>> {
    if let Some(v) = value {
        anyhow::ensure!(v >= 0.0, "{flag}: {v} is negative");
    }
    Ok(value)
}
