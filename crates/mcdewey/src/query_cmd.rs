//! `mcdewey search`, `show` and `library`.

use crate::args::{FilterArgs, ModeArg, ModelArgs, Paths};
use crate::render;
use clap::Args;

/// Flags of `mcdewey search`.
#[derive(Args, Debug)]
pub struct SearchArgs {
    /// What to look for: words, a question, a CLI command, an error message. A query
    /// that starts with a dash (`-fsanitize=address`) is taken as written; words in
    /// double quotes (`'"CTL file" update'`) are looked for as written, passages
    /// holding them first.
    #[arg(allow_hyphen_values = true)]
    pub query: String,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Number of results (1-100).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Retrieval: bm25 (keywords), vector (meaning) or hybrid (both, fused). Default:
    /// hybrid, or bm25 on an index built without a model (`index --no-embed`).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print JSON: {"query", "results": [{rank, chunk_id, source, product, version,
    /// doc_set, page, heading, text, score, ...}]}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub paths: Paths,
}

/// Flags of `mcdewey show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Chunk id: product::version::doc-set::file-stem::ordinal.
    pub chunk_id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub paths: Paths,
}

/// Flags of `mcdewey compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// What changed about this (searched in both releases).
    pub query: Option<String>,
    /// Product folder (e.g. cucm, clang).
    #[arg(long)]
    pub product: String,
    /// The older release: folder name or as written (v12.5.1su1, 12.5(1)SU1, 14).
    #[arg(long)]
    pub from: String,
    /// The newer release.
    #[arg(long)]
    pub to: String,
    /// Only this doc set.
    #[arg(long)]
    pub doc_set: Option<String>,
    /// One section: a chunk id of either release or words of its heading.
    #[arg(long)]
    pub section: Option<String>,
    /// List unchanged sections too.
    #[arg(long)]
    pub all: bool,
    /// Passages per release a query looks at (1-20).
    #[arg(long, short = 'n', default_value_t = 5)]
    pub limit: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub paths: Paths,
}

/// Flags of `mcdewey library`.
#[derive(Args, Debug)]
pub struct LibraryArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub paths: Paths,
}

impl SearchArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        search(
            &self.paths,
            &self.model,
            self.query,
            self.filters,
            self.limit,
            self.mode.map(Mode::from),
            self.json,
        )
    }
}

impl ShowArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        show(&self.paths, &self.chunk_id, self.json)
    }
}

impl CompareArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        let req = mcdewey_search::CompareRequest {
            product: self.product,
            from: self.from,
            to: self.to,
            doc_set: self.doc_set,
            query: self.query,
            section: self.section,
            all: self.all,
            limit: Some(self.limit),
        };
        compare(&self.paths, &self.model, &req, self.json)
    }
}

impl LibraryArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        library(&self.paths, self.json)
    }
}

use anyhow::Result;
use mcdewey_search::MatchLevel;
use mcdewey_search::{Engine, Mode, SearchRequest};

/// Opens the engine over the store, keyword search only.
pub fn open_engine(paths: &Paths) -> Result<Engine> {
    let mut engine = Engine::new(paths.open_store()?);
    engine.set_product_aliases(paths.product_aliases());
    Ok(engine)
}

/// Opens the engine for a retrieval mode: the model is loaded unless the mode is bm25.
pub fn open_engine_for(paths: &Paths, model: &ModelArgs, mode: Mode) -> Result<Engine> {
    engine_over(paths.open_store()?, paths, model, mode)
}

/// The engine over an opened store for a retrieval mode.
fn engine_over(
    store: mcdewey_search::Backend,
    paths: &Paths,
    model: &ModelArgs,
    mode: Mode,
) -> Result<Engine> {
    let mut engine = match mode {
        Mode::Bm25 => Engine::new(store),
        _ => Engine::with_embedder(store, model.load()?)?,
    };
    engine.set_product_aliases(paths.product_aliases());
    Ok(engine)
}

/// Hybrid search, or keywords only on an index built without a model (said on stderr,
/// which keeps `--json` output clean).
fn default_mode(store: &mcdewey_search::Backend) -> Result<Mode> {
    if store.stores_vectors()? {
        return Ok(Mode::Hybrid);
    }
    eprintln!("This index has no vectors (built without a model): searching by keywords (bm25).");
    Ok(Mode::Bm25)
}

pub fn search(
    paths: &Paths,
    model: &ModelArgs,
    query: String,
    filters: FilterArgs,
    limit: usize,
    mode: Option<Mode>,
    json: bool,
) -> Result<()> {
    let store = paths.open_store()?;
    let mode = match mode {
        Some(mode) => mode,
        None => default_mode(&store)?,
    };
    let engine = engine_over(store, paths, model, mode)?;
    let response = engine.search(&SearchRequest {
        query,
        product: filters.product,
        version: filters.version,
        doc_set: filters.doc_set,
        limit: Some(limit),
        mode: Some(mode),
        understand: filters.no_understand.then_some(false),
    })?;
    if json {
        emit(&(serde_json::to_string_pretty(&response)? + "\n"))?;
    } else {
        emit(&render::results(&response))?;
    }
    Ok(())
}

pub fn show(paths: &Paths, chunk_id: &str, json: bool) -> Result<()> {
    let engine = open_engine(paths)?;
    let chunk = engine.chunk(chunk_id)?;
    if json {
        // A search result's shape, without what only a search can say.
        let result = mcdewey_search::SearchResult::new(1, chunk, 0.0, MatchLevel::Strong);
        let mut value = serde_json::to_value(result)?;
        if let Some(map) = value.as_object_mut() {
            for key in [
                "match",
                "also_in",
                "differs_in",
                "similarity",
                "term_coverage",
            ] {
                map.remove(key);
            }
        }
        emit(&(serde_json::to_string_pretty(&value)? + "\n"))?;
    } else {
        emit(&render::chunk(&chunk))?;
    }
    Ok(())
}

pub fn library(paths: &Paths, json: bool) -> Result<()> {
    let engine = open_engine(paths)?;
    let tree = engine.library()?;
    if json {
        emit(&(serde_json::to_string_pretty(&tree)? + "\n"))?;
    } else {
        emit(&render::library(&tree))?;
    }
    Ok(())
}

/// `mcdewey compare`: a change summary, one section's diff, or what changed about a
/// query (which loads the model to search).
pub fn compare(
    paths: &Paths,
    model: &ModelArgs,
    req: &mcdewey_search::CompareRequest,
    json: bool,
) -> Result<()> {
    let engine = match req.query {
        Some(_) => open_engine_for(paths, model, Mode::Hybrid)?,
        None => open_engine(paths)?,
    };
    let comparison = engine.compare(req)?;
    let text = if json {
        serde_json::to_string_pretty(&comparison)? + "\n"
    } else {
        comparison.text(usize::MAX, usize::MAX)
    };
    emit(&text)
}

/// Writes a command's output. Output piped into `head` or `less` and closed early ends
/// the command quietly (print! would panic on the broken pipe).
fn emit(text: &str) -> Result<()> {
    match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
