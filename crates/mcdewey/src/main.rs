//! `mcdewey`: the command line. It parses flags and wires the library crates together.

mod eval_cmd;
mod index_cmd;
mod query_cmd;
mod render;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// McDewey: a multi-vendor documentation library you can search, with exact citations.
#[derive(Parser, Debug)]
#[command(name = "mcdewey", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
}

/// The embedding model.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Sentence-transformers model folder (fetch the default with scripts/fetch-model).
    /// Default: ~/.cache/mcdewey/models/all-MiniLM-L6-v2.
    #[arg(long, env = "MCDEWEY_MODEL", global = true)]
    pub model: Option<PathBuf>,
}

impl ModelArgs {
    /// The model folder to use.
    pub fn dir(&self) -> PathBuf {
        self.model.clone().unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
                });
            cache.join("mcdewey/models/all-MiniLM-L6-v2")
        })
    }

    /// Loads the model.
    pub fn load(&self) -> anyhow::Result<std::sync::Arc<dyn mcdewey_embed::Embedder>> {
        Ok(std::sync::Arc::new(mcdewey_embed::BertEmbedder::load(
            &self.dir(),
        )?))
    }
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
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Index the library, incrementally: unchanged files are skipped, changed files
    /// re-chunked, deleted files removed.
    Index {
        #[command(flatten)]
        paths: Paths,
        /// Largest file to read, in bytes.
        #[arg(long, default_value_t = 32 * 1024 * 1024)]
        max_file_size: u64,
        /// Target chunk size in characters (chunks stay under 1.6x this; sections under
        /// a quarter of it join the next). Changing it re-indexes everything.
        #[arg(long, default_value_t = mcdewey_ingest::ChunkOptions::default().target_chars)]
        chunk_chars: usize,
        /// Build a keyword-only index, without the embedding model.
        #[arg(long)]
        no_embed: bool,
        #[command(flatten)]
        model: ModelArgs,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search the library.
    Search {
        /// What to look for: words, a question, a CLI command, an error message.
        query: String,
        #[command(flatten)]
        filters: FilterArgs,
        /// Number of results (1-100).
        #[arg(long, short = 'n', default_value_t = 10)]
        limit: usize,
        /// Retrieval: bm25 (keywords), vector (meaning) or hybrid (both, fused).
        #[arg(long, default_value = "hybrid")]
        mode: String,
        #[command(flatten)]
        model: ModelArgs,
        /// Print JSON: {"query", "results": [{rank, chunk_id, source, product, version,
        /// doc_set, page, heading, text, score, ...}]}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        paths: Paths,
    },
    /// Show one chunk with its citation.
    Show {
        /// Chunk id: product::version::doc-set::file-stem::ordinal.
        chunk_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        paths: Paths,
    },
    /// Show the library: products, versions, doc sets, documents, with counts.
    Library {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        paths: Paths,
    },
    /// Measure retrieval on a question set (score.py rules: Hit@1, Hit@5, MRR@10, Recall@5).
    Eval {
        /// Questions, one JSON object a line: {"id", "query", "kind", "file", "evidence": [...]}.
        #[arg(long)]
        queries: PathBuf,
        /// Also write the run (top 10 per query) as JSONL for score.py.
        #[arg(long)]
        run: Option<PathBuf>,
        /// Retrieval: bm25, vector or hybrid.
        #[arg(long, default_value = "hybrid")]
        mode: String,
        #[command(flatten)]
        model: ModelArgs,
        /// Print the metrics as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        paths: Paths,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCDEWEY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Index {
            paths,
            max_file_size,
            chunk_chars,
            no_embed,
            model,
            json,
        } => index_cmd::run(
            &paths,
            max_file_size,
            chunk_chars,
            (!no_embed).then_some(&model),
            json,
        ),
        Command::Search {
            query,
            filters,
            limit,
            mode,
            model,
            json,
            paths,
        } => query_cmd::search(&paths, &model, query, filters, limit, &mode, json),
        Command::Show {
            chunk_id,
            json,
            paths,
        } => query_cmd::show(&paths, &chunk_id, json),
        Command::Library { json, paths } => query_cmd::library(&paths, json),
        Command::Eval {
            queries,
            run,
            mode,
            model,
            json,
            paths,
        } => eval_cmd::run(&paths, &model, &queries, run.as_deref(), &mode, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
