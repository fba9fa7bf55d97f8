//! `mcdewey`: the command line. It parses flags and wires the library crates together.

mod args;
mod beir_cmd;
mod bench_cmd;
mod eval_cmd;
mod fetch_cmd;
mod index_cmd;
mod query_cmd;
mod render;
mod serve_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// McDewey: a multi-vendor documentation library you can search, with exact citations.
#[derive(Parser, Debug)]
#[command(name = "mcdewey", version, about, long_about = None)]
struct Cli {
    /// How vectors are searched: auto (the graphs of parts of 20,000 vectors or more,
    /// exact scans of smaller ones) or exact (every vector, what the graphs are
    /// measured against).
    #[arg(
        long,
        global = true,
        env = "MCDEWEY_VECTOR_INDEX",
        value_name = "auto|exact"
    )]
    vector_index: Option<mcdewey_index::VectorIndex>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Index the library, incrementally: unchanged files are skipped, changed files
    /// re-chunked, deleted files removed.
    Index(index_cmd::IndexArgs),
    /// Search the library.
    Search(query_cmd::SearchArgs),
    /// Download a manual from a URL into the library (refusing private addresses,
    /// checking size and type, recording where it came from), then index it.
    Add(fetch_cmd::AddArgs),
    /// Fetch every manual added from a URL again with conditional requests, replace
    /// what changed, then index.
    Refresh(fetch_cmd::RefreshArgs),
    /// Show one chunk with its citation.
    Show(query_cmd::ShowArgs),
    /// Compare two releases of a product: every section unchanged, changed, moved,
    /// added or removed, cited on both sides; with a QUERY, only what the query finds in
    /// either release ("what changed about X"), with word-level diffs; with --section,
    /// one section's diff.
    Compare(query_cmd::CompareArgs),
    /// Show the library: products, versions, doc sets, documents, with counts.
    Library(query_cmd::LibraryArgs),
    /// Measure retrieval on a question set (score.py rules: Hit@1, Hit@5, MRR@10, Recall@5).
    Eval(eval_cmd::EvalArgs),
    /// Serve the web UI, the JSON API and the MCP endpoint (/mcp) on one port, after
    /// bringing the index up to date.
    Serve(serve_cmd::ServeArgs),
    /// Make a new server token: prints the token (give it to its user) and the line to
    /// add to the tokens file (`serve --tokens-file`), which keeps only its hash.
    TokenNew(serve_cmd::TokenNewArgs),
    /// Serve MCP over standard input/output, for clients that launch a process.
    Mcp(serve_cmd::McpArgs),
    /// Benchmark on this machine: model throughput (1 vs 2 workers), full index against
    /// pure embedding time, re-index after one change, warm hybrid query latency at 1
    /// and 8 clients, peak RSS, and search-side scaling; writes a JSON report.
    Bench(bench_cmd::BenchArgs),
    /// (internal) The model's throughput on the chunks of a data folder against the
    /// machine's matrix-multiply rate.
    #[command(hide = true)]
    BenchEmbed(bench_cmd::BenchEmbedArgs),
    /// (internal) One scaling measurement of `mcdewey bench`, in its own process.
    #[command(hide = true)]
    BenchProbe(bench_cmd::BenchProbeArgs),
    /// Index a BEIR data set (corpus.jsonl, queries.jsonl, qrels/) through the normal
    /// pipeline, search its queries and write a TREC run for its score.py; prints
    /// nDCG@10, Recall@100 and MRR@10.
    Beir(beir_cmd::BeirArgs),
}

impl Command {
    fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Index(args) => args.run(),
            Command::Search(args) => args.run(),
            Command::Add(args) => args.run(),
            Command::Refresh(args) => args.run(),
            Command::Show(args) => args.run(),
            Command::Compare(args) => args.run(),
            Command::Library(args) => args.run(),
            Command::Eval(args) => args.run(),
            Command::Serve(args) => args.run(),
            Command::TokenNew(args) => args.run(),
            Command::Mcp(args) => args.run(),
            Command::Bench(args) => args.run(),
            Command::BenchProbe(args) => args.run(),
            Command::BenchEmbed(args) => args.run(),
            Command::Beir(args) => args.run(),
        }
    }
}

// The model allocates and frees activation tensors of a few megabytes for every layer of
// every chunk. glibc's allocator hands blocks that size back to the kernel on free, so
// each one came back as fresh zeroed pages: a quarter of indexing time was page faults
// (docs/performance.md). mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Candle splits each matrix product over rayon threads. For a model this small the
    // split costs more than it gains (21 ms vs 13 ms a query under load, see
    // docs/performance.md), and the indexer and the server already run one embedding
    // per core, so each runs single-threaded unless the user says otherwise. Set before
    // any thread starts.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCDEWEY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(mode) = cli.vector_index {
        // Read where the index is opened; still one thread here.
        std::env::set_var("MCDEWEY_VECTOR_INDEX", mode.name());
    }
    let result = cli.command.run();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
