//! `mcdewey`: the command line. It parses flags and wires the library crates together.

mod beir_cmd;
mod bench_cmd;
mod eval_cmd;
mod index_cmd;
mod query_cmd;
mod render;
mod serve_cmd;

use clap::{Args, Parser, Subcommand};
use mcdewey_ingest::IngestOptions;
use mcdewey_search::{Mode, StoreSpec};
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
        self.model.clone().unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
                });
            cache.join("mcdewey/models/all-MiniLM-L6-v2")
        })
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
        let dir = self.dir();
        let dir = match dir.to_str().and_then(|s| s.strip_prefix("hf:")) {
            Some(spec) => hub_folder(spec)?,
            None => dir,
        };
        Ok(std::sync::Arc::new(mcdewey_embed::BertEmbedder::load(
            &dir,
        )?))
    }
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
    #[arg(long)]
    pub fusion: Option<String>,
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
        engine.set_rerank(r);
        if let Some(s) = non_negative("--steer", self.steer)? {
            engine.set_steer(s);
        }
        Ok(())
    }

    /// `base` with the flags given applied.
    pub fn apply(&self, base: mcdewey_search::Fusion) -> anyhow::Result<mcdewey_search::Fusion> {
        let mut f = base;
        if let Some(m) = &self.fusion {
            f.method = m.parse()?;
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
fn non_negative(flag: &str, value: Option<f32>) -> anyhow::Result<Option<f32>> {
    if let Some(v) = value {
        anyhow::ensure!(v >= 0.0, "{flag}: {v} is negative");
    }
    Ok(value)
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
        /// Seconds one PDF may take to read; a slower one is reported and skipped.
        #[arg(long, default_value_t = 120)]
        pdf_timeout: u64,
        /// Seconds one HTML, Markdown or text file may take to parse; a slower one is
        /// reported and skipped, and the run goes on.
        #[arg(long, default_value_t = 60)]
        parse_timeout: u64,
        /// Target chunk size in characters (chunks stay under 1.6x this; sections under
        /// a quarter of it join the next). Changing it re-indexes everything.
        #[arg(long, default_value_t = mcdewey_ingest::ChunkOptions::default().target_chars)]
        chunk_chars: usize,
        /// Build a keyword-only index, without the embedding model.
        #[arg(long)]
        no_embed: bool,
        /// Threads embedding chunks side by side (default: one per core).
        #[arg(long)]
        embed_workers: Option<usize>,
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
        mode: Mode,
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
    /// Compare two releases of a product: every section unchanged, changed, moved,
    /// added or removed, cited on both sides; with a QUERY, only what the query finds in
    /// either release ("what changed about X"), with word-level diffs; with --section,
    /// one section's diff.
    Compare {
        /// What changed about this (searched in both releases).
        query: Option<String>,
        /// Product folder (e.g. cucm, clang).
        #[arg(long)]
        product: String,
        /// The older release: folder name or as written (v12.5.1su1, 12.5(1)SU1, 14).
        #[arg(long)]
        from: String,
        /// The newer release.
        #[arg(long)]
        to: String,
        /// Only this doc set.
        #[arg(long)]
        doc_set: Option<String>,
        /// One section: a chunk id of either release or words of its heading.
        #[arg(long)]
        section: Option<String>,
        /// List unchanged sections too.
        #[arg(long)]
        all: bool,
        /// Passages per release a query looks at (1-20).
        #[arg(long, short = 'n', default_value_t = 5)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        model: ModelArgs,
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
        mode: Mode,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        fusion: FusionArgs,
        /// Print the metrics as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        paths: Paths,
    },
    /// Serve the web UI, the JSON API and the MCP endpoint (/mcp) on one port, after
    /// bringing the index up to date.
    Serve {
        #[command(flatten)]
        paths: Paths,
        #[command(flatten)]
        model: ModelArgs,
        /// Address to listen on (loopback by default).
        #[arg(long, env = "MCDEWEY_BIND", default_value = mcdewey_server::DEFAULT_BIND)]
        bind: String,
        /// Require this token (role admin) on every route but /healthz, static assets
        /// and /login: `Authorization: Bearer TOKEN`, or sign in to the web UI with it.
        #[arg(long, env = "MCDEWEY_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Tokens with names and roles, one `NAME ROLE blake3:HEX` a line (make one
        /// with `mcdewey token new`); re-read when it changes.
        #[arg(long, env = "MCDEWEY_TOKENS_FILE")]
        tokens_file: Option<PathBuf>,
        /// Browser origin allowed to call the server besides its own and loopback ones
        /// (repeatable).
        #[arg(long = "allow-origin")]
        allow_origins: Vec<String>,
        /// DNS name the server is reached under (repeatable); localhost and IP
        /// addresses are always accepted, other Host headers refused (DNS rebinding).
        #[arg(
            long = "allow-host",
            env = "MCDEWEY_ALLOW_HOSTS",
            value_delimiter = ','
        )]
        allow_hosts: Vec<String>,
        /// Serve the index as it is, without updating it first.
        #[arg(long)]
        no_index: bool,
        /// Keyword search only: do not load the embedding model.
        #[arg(long)]
        no_embed: bool,
        /// Allow binding beyond loopback without a token.
        #[arg(long)]
        insecure_remote: bool,
        /// Watch the library: re-index added, changed and removed files in the
        /// background and serve the new index when it is committed.
        #[arg(long)]
        watch: bool,
        /// Seconds between checks of the library with --watch.
        #[arg(long, default_value_t = 5.0)]
        watch_interval: f64,
    },
    /// Make a new server token: prints the token (give it to its user) and the line to
    /// add to the tokens file (`serve --tokens-file`), which keeps only its hash.
    TokenNew {
        /// Name shown in the server's log of what the token did (e.g. a person).
        #[arg(long)]
        name: String,
        /// read (search, read documents) or admin (also add and remove documents).
        #[arg(long, default_value = "read")]
        role: String,
    },
    /// Serve MCP over standard input/output, for clients that launch a process.
    Mcp {
        #[command(flatten)]
        paths: Paths,
        #[command(flatten)]
        model: ModelArgs,
        /// Serve the index as it is, without updating it first.
        #[arg(long)]
        no_index: bool,
        /// Keyword search only: do not load the embedding model.
        #[arg(long)]
        no_embed: bool,
    },
    /// Benchmark on this machine: model throughput (1 vs 2 workers), full index against
    /// pure embedding time, re-index after one change, warm hybrid query latency at 1
    /// and 8 clients, peak RSS, and search-side scaling; writes a JSON report.
    Bench {
        /// Index into this store instead of a temporary data folder: a PostgreSQL URL of
        /// an empty database (docs/deployment.md).
        #[arg(long, env = "MCDEWEY_STORE")]
        store: Option<String>,
        /// The library to index (copied to a temporary folder first).
        #[arg(long, default_value = "../shared/library")]
        library: PathBuf,
        /// Where to write the JSON report.
        #[arg(long, default_value = "bench-report.json")]
        out: PathBuf,
        /// Queries, one JSON object a line with "query" or "text" (default: built-in).
        #[arg(long)]
        queries: Option<PathBuf>,
        /// Chunk counts of the synthetic scaling runs (0 to skip), e.g. 10000,50000,200000.
        #[arg(long, value_delimiter = ',', default_value = "10000,50000,200000")]
        scaling: Vec<usize>,
        /// JSONL corpus whose "text" fields fill the synthetic libraries (e.g. SciFact).
        #[arg(long)]
        scaling_corpus: Option<PathBuf>,
        /// Chunks in the 1-vs-2-worker throughput sample.
        #[arg(long, default_value_t = 160)]
        sample: usize,
        /// Skip the pure-embedding baseline and the worker sample (they embed every chunk a
        /// second time): for large libraries where only index time, size and latency matter.
        #[arg(long)]
        no_baseline: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// (internal) One scaling measurement of `mcdewey bench`, in its own process.
    #[command(hide = true)]
    BenchProbe {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        queries: Option<PathBuf>,
    },
    /// Index a BEIR data set (corpus.jsonl, queries.jsonl, qrels/) through the normal
    /// pipeline, search its queries and write a TREC run for its score.py; prints
    /// nDCG@10, Recall@100 and MRR@10.
    Beir {
        /// Index into this store instead of a temporary data folder: a PostgreSQL URL of
        /// a database for this corpus (docs/deployment.md).
        #[arg(long, env = "MCDEWEY_STORE")]
        store: Option<String>,
        /// The BEIR folder, e.g. ../shared/bench/scifact.
        #[arg(long)]
        dataset: PathBuf,
        /// Qrels split to run (qrels/<split>.tsv).
        #[arg(long, default_value = "test")]
        split: String,
        /// Where to write the TREC run.
        #[arg(long)]
        run: PathBuf,
        /// Working folder: the corpus laid out as a library, and its index (reused by
        /// later runs). Default: mcdewey-beir/<data set name>.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Retrieval: bm25, vector or hybrid.
        #[arg(long, default_value = "hybrid")]
        mode: Mode,
        /// Target chunk size in characters.
        #[arg(long, default_value_t = mcdewey_ingest::ChunkOptions::default().target_chars)]
        chunk_chars: usize,
        /// Documents written per query.
        #[arg(long, default_value_t = 100)]
        hits: usize,
        /// Index without vectors (keyword runs only).
        #[arg(long)]
        no_embed: bool,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        fusion: FusionArgs,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

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
    let result = match cli.command {
        Command::Index {
            paths,
            max_file_size,
            pdf_timeout,
            parse_timeout,
            chunk_chars,
            no_embed,
            embed_workers,
            model,
            json,
        } => index_cmd::run(
            &paths,
            IngestOptions {
                max_file_bytes: max_file_size,
                pdf_timeout: std::time::Duration::from_secs(pdf_timeout.max(1)),
                parse_timeout: std::time::Duration::from_secs(parse_timeout.max(1)),
                chunk: mcdewey_ingest::ChunkOptions::scaled(chunk_chars),
            },
            (!no_embed).then_some(&model),
            embed_workers,
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
        } => query_cmd::search(&paths, &model, query, filters, limit, mode, json),
        Command::Show {
            chunk_id,
            json,
            paths,
        } => query_cmd::show(&paths, &chunk_id, json),
        Command::Library { json, paths } => query_cmd::library(&paths, json),
        Command::Compare {
            query,
            product,
            from,
            to,
            doc_set,
            section,
            all,
            limit,
            json,
            model,
            paths,
        } => query_cmd::compare(
            &paths,
            &model,
            &mcdewey_search::CompareRequest {
                product,
                from,
                to,
                doc_set,
                query,
                section,
                all,
                limit: Some(limit),
            },
            json,
        ),
        Command::Eval {
            queries,
            run,
            mode,
            model,
            fusion,
            json,
            paths,
        } => eval_cmd::run(
            &paths,
            &model,
            &fusion,
            &queries,
            run.as_deref(),
            mode,
            json,
        ),
        Command::Serve {
            paths,
            model,
            bind,
            token,
            tokens_file,
            allow_origins,
            allow_hosts,
            no_index,
            no_embed,
            insecure_remote,
            watch,
            watch_interval,
        } => serve_cmd::serve(
            &paths,
            &model,
            serve_cmd::ServeOptions {
                bind,
                token: token.filter(|t| !t.is_empty()),
                tokens_file,
                allow_origins,
                allow_hosts,
                no_index,
                no_embed,
                insecure_remote,
                watch: watch
                    .then(|| std::time::Duration::from_secs_f64(watch_interval.clamp(0.2, 3600.0))),
            },
        ),
        Command::TokenNew { name, role } => serve_cmd::token_new(&name, &role),
        Command::Mcp {
            paths,
            model,
            no_index,
            no_embed,
        } => serve_cmd::mcp_stdio(&paths, &model, no_index, no_embed),
        Command::Bench {
            library,
            out,
            queries,
            scaling,
            scaling_corpus,
            sample,
            no_baseline,
            model,
            store,
        } => bench_cmd::run(
            &bench_cmd::BenchOptions {
                store,
                library,
                out,
                queries,
                scaling: scaling.into_iter().filter(|&n| n > 0).collect(),
                scaling_corpus,
                sample,
                baseline: !no_baseline,
            },
            &model,
        ),
        Command::BenchProbe { data, queries } => bench_cmd::probe(&data, queries.as_deref()),
        Command::Beir {
            dataset,
            split,
            run,
            data,
            mode,
            chunk_chars,
            hits,
            no_embed,
            model,
            fusion,
            json,
            store,
        } => {
            let data = data.unwrap_or_else(|| {
                let name = dataset
                    .canonicalize()
                    .ok()
                    .and_then(|d| d.file_name().map(|n| n.to_owned()))
                    .unwrap_or_else(|| "beir".into());
                PathBuf::from("mcdewey-beir").join(name)
            });
            beir_cmd::run(
                &beir_cmd::BeirOptions {
                    dataset: &dataset,
                    split: &split,
                    run: &run,
                    data: &data,
                    mode,
                    chunk_chars,
                    hits: hits.clamp(1, 10_000),
                    no_embed,
                    json,
                    store: store.as_deref(),
                },
                &model,
                &fusion,
            )
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
