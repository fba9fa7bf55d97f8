//! `mcdewey bench`: indexing and query benchmarks on this machine, written as a JSON
//! report. Timings that are compared are measured in the same run.

use crate::args::{ModelArgs, Paths};
use crate::index_cmd::index_library;
use clap::Args;

/// Flags of `mcdewey bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Index into this store instead of a temporary data folder: a PostgreSQL URL of
    /// an empty database (docs/deployment.md).
    #[arg(long, env = "MCDEWEY_STORE")]
    pub store: Option<String>,
    /// The library to index (copied to a temporary folder first).
    #[arg(long, default_value = "../shared/library")]
    pub library: PathBuf,
    /// Where to write the JSON report.
    #[arg(long, default_value = "bench-report.json")]
    pub out: PathBuf,
    /// Queries, one JSON object a line with "query" or "text" (default: built-in).
    #[arg(long)]
    pub queries: Option<PathBuf>,
    /// Chunk counts of the synthetic scaling runs (0 to skip), e.g. 10000,50000,200000.
    #[arg(long, value_delimiter = ',', default_value = "10000,50000,200000")]
    pub scaling: Vec<usize>,
    /// JSONL corpus whose "text" fields fill the synthetic libraries (e.g. SciFact).
    #[arg(long)]
    pub scaling_corpus: Option<PathBuf>,
    /// Keep each synthetic library and its data folder under this folder (`<n>/library`,
    /// `<n>/data`) instead of deleting them, to probe them again with `bench-probe`.
    #[arg(long)]
    pub scaling_keep: Option<PathBuf>,
    /// A data folder indexed with the model (e.g. SciFact's): the synthetic libraries
    /// get vectors shaped like the model's (each section a mix of two of that folder's
    /// vectors) and queries are embedded by the model, instead of hash vectors.
    #[arg(long)]
    pub scaling_vectors: Option<PathBuf>,
    /// Index the synthetic library into this PostgreSQL database instead of a data
    /// folder (an empty database; `--scaling` then takes one size), to measure the
    /// PostgreSQL store at scale.
    #[arg(long)]
    pub scaling_store: Option<String>,
    /// Chunks in the 1-vs-2-worker throughput sample.
    #[arg(long, default_value_t = 160)]
    pub sample: usize,
    /// Skip the pure-embedding baseline and the worker sample (they embed every chunk a
    /// second time): for large libraries where only index time, size and latency matter.
    #[arg(long)]
    pub no_baseline: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Flags of the internal `mcdewey bench-embed`.
#[derive(Args, Debug)]
pub struct BenchEmbedArgs {
    /// A data folder whose chunks are embedded again.
    #[arg(long)]
    pub data: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Texts a worker embeds per call.
    #[arg(long, default_value_t = EMBED_BATCH)]
    pub batch: usize,
    /// Embed only this many chunks, spread evenly over the library (default: all).
    #[arg(long)]
    pub sample: Option<usize>,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Flags of the internal `mcdewey bench-probe`.
#[derive(Args, Debug)]
pub struct BenchProbeArgs {
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long)]
    pub queries: Option<PathBuf>,
    /// See `bench --scaling-vectors`.
    #[arg(long)]
    pub scaling_vectors: Option<PathBuf>,
    /// A PostgreSQL store to probe instead of `--data` (see `bench --scaling-store`).
    #[arg(long)]
    pub store: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
}

impl BenchArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        run(
            &BenchOptions {
                store: self.store,
                library: self.library,
                out: self.out,
                queries: self.queries,
                scaling: self.scaling.into_iter().filter(|&n| n > 0).collect(),
                scaling_corpus: self.scaling_corpus,
                scaling_keep: self.scaling_keep,
                scaling_vectors: self.scaling_vectors,
                scaling_store: self.scaling_store,
                sample: self.sample,
                baseline: !self.no_baseline,
            },
            &self.model,
        )
    }
}

impl BenchEmbedArgs {
    /// Runs the command: the model's throughput on the chunks of `--data` against the
    /// machine's matrix-multiply rate, printed as JSON.
    pub fn run(self) -> Result<()> {
        let paths = Paths {
            library: PathBuf::new(),
            data: self.data,
            store: None,
        };
        let texts = chunk_texts(&paths)?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let refs = match self.sample {
            Some(n) => spread_sample(&refs, n),
            None => refs,
        };
        let model = self.model.load_bert()?;
        let workers = self.workers.unwrap_or_else(mcdewey_embed::default_workers);
        let report = embedding_limit(&model, &refs, workers, self.batch)?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        Ok(())
    }
}

impl BenchProbeArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        let embedder = scaling_embedder(self.scaling_vectors.as_deref(), &self.model)?;
        let spec =
            StoreSpec::parse(self.store.as_deref(), &self.data).map_err(anyhow::Error::msg)?;
        probe(spec, self.queries.as_deref(), embedder)
    }
}

use anyhow::{Context, Result};
use mcdewey_catalog::{embedding_text, Embedding, EMBED_BATCH};
use mcdewey_embed::{embed_passages_parallel, matmul_gflops, BertEmbedder, Embedder, HashEmbedder};
use mcdewey_ingest::IngestOptions;
use mcdewey_measure::latency::{
    load_queries, mib, percentile, query_latency, round, status_kib, DEFAULT_QUERIES,
};
use mcdewey_search::{Engine, StoreSpec};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Options of `mcdewey bench`.
pub struct BenchOptions {
    /// `--store`: a PostgreSQL database to index into (it must be empty).
    pub store: Option<String>,
    pub library: PathBuf,
    pub out: PathBuf,
    pub queries: Option<PathBuf>,
    pub scaling: Vec<usize>,
    pub scaling_corpus: Option<PathBuf>,
    pub scaling_keep: Option<PathBuf>,
    pub scaling_vectors: Option<PathBuf>,
    /// `--scaling-store`: a PostgreSQL database for the (one) scaling run.
    pub scaling_store: Option<String>,
    pub sample: usize,
    /// Whether to measure the pure-embedding baseline and the worker sample.
    pub baseline: bool,
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry?;
        let rel = entry.path().strip_prefix(from)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// The text embedded for every chunk of the store at `paths`.
fn chunk_texts(paths: &Paths) -> Result<Vec<String>> {
    let store = paths.open_store()?;
    let mut texts = Vec::new();
    for entry in store.manifest()?.documents.values() {
        for chunk in store.document_chunks(&entry.document)? {
            texts.push(embedding_text(&chunk));
        }
    }
    Ok(texts)
}

/// At most `n` of `items`, spread evenly over them.
fn spread_sample<'a>(items: &[&'a str], n: usize) -> Vec<&'a str> {
    items
        .iter()
        .step_by((items.len() / n.max(1)).max(1))
        .copied()
        .take(n)
        .collect()
}

/// Embeds `texts` with `workers` threads and compares the work done with the machine's
/// matrix-multiply rate: tokens, floating-point operations per chunk (from the model's
/// shape), chunks and GFLOP/s reached, and the fraction of the measured limit.
fn embedding_limit(
    model: &BertEmbedder,
    texts: &[&str],
    workers: usize,
    batch: usize,
) -> Result<Value> {
    let shape = model.shape();
    // The model's largest product, the feed-forward layer, for one long sequence and for
    // a batch of them, on as many threads as workers: the better rate is the ceiling.
    let limit = [256, 2048]
        .into_iter()
        .map(|rows| matmul_gflops(rows, shape.hidden, shape.intermediate, workers, 2.0))
        .try_fold(0.0f64, |best, r| r.map(|r| best.max(r)))?;
    let tokens = model.passage_tokens(texts)?;
    let flops: f64 = tokens.iter().map(|&t| shape.flops(t)).sum();
    let total_tokens: usize = tokens.iter().sum();
    eprintln!(
        "bench: embedding {} chunks ({total_tokens} tokens) with {workers} worker(s), batches of {batch}",
        texts.len()
    );
    let t = Instant::now();
    embed_passages_parallel(model, texts, workers, batch, &mut |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    let reached = flops / secs / 1e9;
    Ok(json!({
        "chunks": texts.len(),
        "tokens": total_tokens,
        "mean_tokens": round(total_tokens as f64 / texts.len().max(1) as f64, 1),
        "gflop_per_chunk": round(flops / texts.len().max(1) as f64 / 1e9, 3),
        "workers": workers,
        "batch": batch,
        "seconds": round(secs, 2),
        "chunks_per_s": round(texts.len() as f64 / secs, 2),
        "gflops_reached": round(reached, 1),
        "matmul_gflops_limit": round(limit, 1),
        "fraction_of_limit": round(reached / limit, 3),
    }))
}

/// Embeds every indexed chunk again, outside the index, and a sample with one and two
/// workers: how much of the index time is the model's, and how near the machine's
/// limit the model runs.
fn embedding_baseline(
    paths: &Paths,
    model: &BertEmbedder,
    workers: usize,
    sample_size: usize,
    index_secs: f64,
) -> Result<Value> {
    let embedder: &dyn Embedder = model;
    let texts = chunk_texts(paths)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    eprintln!("bench: pure embedding of the same {} chunks", refs.len());
    let limit = embedding_limit(model, &refs, workers, EMBED_BATCH)?;
    let embed_secs = limit["seconds"].as_f64().unwrap_or(f64::NAN);

    let sample = spread_sample(&refs, sample_size);
    let mut per_workers = Vec::new();
    for w in [1, 2] {
        eprintln!("bench: {} chunks with {w} worker(s)", sample.len());
        let t = Instant::now();
        embed_passages_parallel(embedder, &sample, w, EMBED_BATCH, &mut |_| {})?;
        let secs = t.elapsed().as_secs_f64();
        per_workers.push(
            json!({"workers": w, "chunks": sample.len(), "seconds": round(secs, 2),
            "chunks_per_s": round(sample.len() as f64 / secs, 2)}),
        );
    }

    Ok(json!({
        "pure_embedding_seconds": round(embed_secs, 2),
        "index_over_embedding": round(index_secs / embed_secs, 3),
        "model_chunks_per_s": round(refs.len() as f64 / embed_secs, 2),
        "workers": per_workers,
        "limit": limit,
    }))
}

/// Refuses a store that holds documents already (the benchmarks index from scratch).
fn empty_store(paths: &Paths, flag: &str) -> Result<()> {
    let documents = paths.spec()?.documents()?;
    if documents > 0 {
        anyhow::bail!(
            "{flag}: {} already holds {documents} documents; the benchmark indexes from \
             scratch, so give it an empty database",
            paths.store_name()
        );
    }
    Ok(())
}

/// Model throughput, full index, re-index after one change, and warm query latency on
/// `opts.library`.
fn library_bench(opts: &BenchOptions, model: &ModelArgs, report: &mut Value) -> Result<()> {
    let work = tempfile::tempdir()?;
    let library = work.path().join("library");
    copy_dir(&opts.library, &library)?;
    let paths = Paths {
        library: library.clone(),
        data: work.path().join("data"),
        store: opts.store.clone(),
    };
    empty_store(&paths, "--store")?;
    let bert = Arc::new(model.load_bert()?);
    let embedder: Arc<dyn Embedder> = bert.clone();
    let ingest = IngestOptions::default();
    let workers = mcdewey_embed::default_workers();

    eprintln!(
        "bench: full index of {} (cold cache)",
        opts.library.display()
    );
    let t = Instant::now();
    let summary = index_library(&paths, &ingest, Some(Embedding::new(embedder.as_ref())))?;
    let index_secs = t.elapsed().as_secs_f64();

    let mut baseline = json!(null);
    if opts.baseline {
        baseline = embedding_baseline(&paths, &bert, workers, opts.sample, index_secs)?;
    }

    // Touch one file: append a paragraph to the smallest text document (appending to a
    // PDF would break it).
    let smallest = walkdir::WalkDir::new(&library)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
            matches!(
                ext.to_ascii_lowercase().as_str(),
                "md" | "markdown" | "txt" | "html" | "htm"
            )
        })
        .min_by_key(|e| e.metadata().map(|m| m.len()).unwrap_or(u64::MAX))
        .context("library has no text file to touch")?;
    let mut text = std::fs::read_to_string(smallest.path())?;
    text.push_str("\n\nA paragraph added by the benchmark to change this file.\n");
    std::fs::write(smallest.path(), text)?;
    eprintln!(
        "bench: re-index after touching {}",
        smallest.path().display()
    );
    let t = Instant::now();
    let re = index_library(&paths, &ingest, Some(Embedding::new(embedder.as_ref())))?;
    let reindex_secs = t.elapsed().as_secs_f64();

    eprintln!("bench: warm hybrid queries");
    let mut engine = Engine::with_embedder(paths.open_store()?, embedder.clone())?;
    // Every measured query pays for its own embedding.
    engine.set_query_cache(0);
    let queries = load_queries(opts.queries.as_deref())?;
    query_latency(&engine, &queries, 1, 1)?; // warm-up
    let t = Instant::now();
    for q in &queries {
        embedder.embed_query(q)?;
    }
    let query_embed_ms = t.elapsed().as_secs_f64() * 1000.0 / queries.len() as f64;
    let one = query_latency(&engine, &queries, 1, 3)?;
    let eight = query_latency(&engine, &queries, 8, 2)?;

    eprintln!("bench: release comparison");
    let compare = compare_bench(&engine, &queries)?;

    report["library"] = json!({
        "path": opts.library,
        "documents": summary.documents,
        "chunks": summary.chunks,
        "embed_workers": workers,
        "full_index_seconds": round(index_secs, 2),
        "index_chunks_per_s": round(summary.chunks as f64 / index_secs, 2),
        "embedding_baseline": baseline,
        "reindex_one_file": {"file": smallest.path().strip_prefix(&library)?, "seconds": round(reindex_secs, 3),
            "changed": re.changed.len(), "embedded": re.embedded},
        "query_embedding_ms": round(query_embed_ms, 2),
        "hybrid_query": [one, eight],
        "compare": compare,
    });
    Ok(())
}

/// Release comparison of the last two releases of the first product that has two: the
/// whole-release summary computed (first call) and from the engine's cache (a server
/// keeps each alignment), and "what changed about X" for the first query. `null` when
/// no product has two releases.
fn compare_bench(engine: &Engine, queries: &[String]) -> Result<Value> {
    let tree = engine.library()?;
    let Some(product) = tree.products.iter().find(|p| p.versions.len() >= 2) else {
        return Ok(json!(null));
    };
    let n = product.versions.len();
    let request = mcdewey_search::CompareRequest {
        product: product.name.clone(),
        from: product.versions[n - 2].name.clone(),
        to: product.versions[n - 1].name.clone(),
        doc_set: None,
        query: None,
        section: None,
        all: false,
        limit: None,
    };
    let timed = |req: &mcdewey_search::CompareRequest| -> Result<(f64, usize)> {
        let t = Instant::now();
        let c = engine.compare(req)?;
        Ok((t.elapsed().as_secs_f64() * 1000.0, c.sections.len()))
    };
    let (first_ms, sections) = timed(&request)?;
    let (cached_ms, _) = timed(&request)?;
    let about = mcdewey_search::CompareRequest {
        query: queries.first().cloned(),
        ..request.clone()
    };
    let (query_ms, passages) = timed(&about)?;
    Ok(json!({
        "product": request.product, "from": request.from, "to": request.to,
        "sections_listed": sections,
        "summary_ms": round(first_ms, 1),
        "summary_cached_ms": round(cached_ms, 2),
        "query": about.query, "query_ms": round(query_ms, 1), "query_sections": passages,
    }))
}

/// The body of the `k`-th synthetic section: the first half of one corpus text and the
/// second half of another, paired so that no two sections of a million are the same (a
/// library repeating each text verbatim is a degenerate case for a vector graph: dozens
/// of near-identical vectors per text crowd each other out of the neighbour lists).
fn synthetic_section(texts: &[String], k: usize) -> String {
    let n = texts.len();
    let (a, round) = (k % n, k / n);
    // For a given first half, each round pairs a different second half (while
    // round * 17 < n: up to 5,183 × 304 sections with SciFact).
    let b = (a + 1 + round * 17) % n;
    let half = |t: &str, first: bool| -> String {
        let chars: Vec<char> = t.chars().collect();
        let mid = chars.len() / 2;
        let (from, to) = if first { (0, mid) } else { (mid, chars.len()) };
        chars[from..to].iter().collect()
    };
    if n < 2 {
        return texts.first().cloned().unwrap_or_default();
    }
    format!("{} {}", half(&texts[a], true), half(&texts[b], false))
}

/// Writes a synthetic library of about `chunks` chunks: files of 40 sections each, text
/// from `texts` ([`synthetic_section`]), spread over five versions.
fn synthetic_library(root: &Path, texts: &[String], chunks: usize) -> Result<()> {
    let per_file = 40;
    let files = chunks.div_ceil(per_file);
    let mut k = 0usize;
    for f in 0..files {
        let dir = root
            .join("synth")
            .join(format!("v{}", f % 5 + 1))
            .join("manual");
        std::fs::create_dir_all(&dir)?;
        let mut md = format!("# Synthetic manual {f}\n\n");
        for s in 0..per_file {
            let body = synthetic_section(texts, k);
            md.push_str(&format!("## Section {s} of file {f}\n\n{body}\n\n"));
            k += 1;
        }
        std::fs::write(dir.join(format!("file-{f:05}.md")), md)?;
    }
    Ok(())
}

fn scaling_texts(corpus: Option<&Path>) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    if let Some(path) = corpus {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("corpus {}", path.display()))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line)?;
            let t = v["text"].as_str().unwrap_or_default();
            // Keep each section within one chunk.
            let cut: String = t.chars().take(900).collect();
            if !cut.is_empty() {
                texts.push(cut);
            }
        }
    }
    if texts.is_empty() {
        texts = DEFAULT_QUERIES
            .iter()
            .map(|q| format!("{q}. This section explains {q} in detail for administrators."))
            .collect();
    }
    Ok(texts)
}

/// Vectors shaped like a model's for synthetic libraries: a passage gets a mix of two
/// of the model's vectors of a real library (0.7 and 0.3, picked by the text's hash,
/// normalised), a query the model's own vector. Hash vectors are near-orthogonal and
/// high-dimensional, the hardest case a vector graph meets; these keep the clustered,
/// low-dimensional shape of sentence embeddings the graphs are built for.
struct ModelShaped {
    id: String,
    dim: usize,
    base: Vec<f32>,
    model: Arc<dyn Embedder>,
}

impl ModelShaped {
    fn new(data: &Path, model: Arc<dyn Embedder>) -> Result<ModelShaped> {
        let store = mcdewey_index::Store::open(data)?;
        let vectors = store
            .vectors(mcdewey_index::VectorIndex::Exact)?
            .with_context(|| format!("{} has no vectors", data.display()))?;
        anyhow::ensure!(
            vectors.model_id == model.model_id(),
            "{} was indexed with {}, not the model loaded ({})",
            data.display(),
            vectors.model_id,
            model.model_id()
        );
        let mut base = Vec::new();
        for part in &vectors.parts {
            let set = part.in_memory().context("an exact load holds vectors")?;
            for i in 0..set.len() {
                base.extend_from_slice(set.vector(i));
            }
        }
        anyhow::ensure!(!base.is_empty(), "{} has no vectors", data.display());
        Ok(ModelShaped {
            id: format!("shaped-{}-{}", base.len() / vectors.dim, model.model_id()),
            dim: vectors.dim,
            base,
            model,
        })
    }

    fn passage(&self, text: &str) -> Vec<f32> {
        use std::hash::{Hash, Hasher};
        let n = self.base.len() / self.dim;
        let pick = |salt: u8| {
            let mut h = std::hash::DefaultHasher::new();
            (salt, text).hash(&mut h);
            (h.finish() % n as u64) as usize
        };
        let (a, b) = (pick(0), pick(1));
        let row = |i: usize| &self.base[i * self.dim..(i + 1) * self.dim];
        mcdewey_embed::blend(row(a), 0.7, row(b), 0.3)
    }
}

impl Embedder for ModelShaped {
    fn model_id(&self) -> &str {
        &self.id
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, mcdewey_embed::EmbedError> {
        Ok(texts.iter().map(|t| self.passage(t)).collect())
    }
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, mcdewey_embed::EmbedError> {
        self.model.embed_query(text)
    }
}

/// The embedder of the synthetic libraries: hash vectors, or vectors shaped like the
/// model's from the data folder `vectors`.
fn scaling_embedder(vectors: Option<&Path>, model: &ModelArgs) -> Result<Arc<dyn Embedder>> {
    Ok(match vectors {
        None => Arc::new(HashEmbedder::new(384)),
        Some(data) => Arc::new(ModelShaped::new(data, model.load()?)?),
    })
}

/// Search-side scaling: synthetic libraries with hash vectors or vectors shaped like the
/// model's (the model's query embedding cost is measured separately); each size is
/// measured in a child process so its peak RSS is its own.
fn scaling_bench(opts: &BenchOptions, model: &ModelArgs, report: &mut Value) -> Result<()> {
    let texts = scaling_texts(opts.scaling_corpus.as_deref())?;
    let embedder = scaling_embedder(opts.scaling_vectors.as_deref(), model)?;
    report["scaling_vectors"] = json!(embedder.model_id());
    let mut rows = Vec::new();
    for &n in &opts.scaling {
        let work = tempfile::tempdir()?;
        let root = match &opts.scaling_keep {
            Some(keep) => {
                let root = keep.join(n.to_string());
                anyhow::ensure!(
                    !root.exists(),
                    "{} exists: remove it or keep elsewhere",
                    root.display()
                );
                root
            }
            None => work.path().to_path_buf(),
        };
        let paths = Paths {
            library: root.join("library"),
            data: root.join("data"),
            store: opts.scaling_store.clone(),
        };
        empty_store(&paths, "--scaling-store")?;
        eprintln!("bench: scaling, {n} chunks");
        synthetic_library(&paths.library, &texts, n)?;
        let t = Instant::now();
        let summary = index_library(
            &paths,
            &IngestOptions::default(),
            Some(Embedding::new(embedder.as_ref())),
        )?;
        let index_secs = t.elapsed().as_secs_f64();
        // One document changed: what an update costs at this size.
        let one = paths.library.join("synth/v1/manual/file-00000.md");
        let mut text = std::fs::read_to_string(&one)?;
        text.push_str("\n## Added section\n\nA paragraph added to one document.\n");
        std::fs::write(&one, text)?;
        let t = Instant::now();
        let update = index_library(
            &paths,
            &IngestOptions::default(),
            Some(Embedding::new(embedder.as_ref())),
        )?;
        let update_secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            update.changed.len() == 1,
            "the one-document update changed {:?}",
            update.changed
        );
        let exe = std::env::current_exe()?;
        let mut cmd = std::process::Command::new(exe);
        cmd.arg("bench-probe").arg("--data").arg(&paths.data);
        if let Some(store) = &paths.store {
            cmd.arg("--store").arg(store);
        }
        if let Some(v) = &opts.scaling_vectors {
            cmd.arg("--scaling-vectors").arg(v);
            if let Some(m) = &model.model {
                cmd.arg("--model").arg(m);
            }
        }
        if let Some(q) = &opts.queries {
            cmd.arg("--queries").arg(q);
        }
        let out = cmd.output()?;
        anyhow::ensure!(
            out.status.success(),
            "bench-probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut probe: Value = serde_json::from_slice(&out.stdout)?;
        probe["chunks"] = json!(summary.chunks);
        probe["documents"] = json!(summary.documents);
        probe["index_seconds_hash_vectors"] = json!(round(index_secs, 2));
        probe["update_one_document_seconds"] = json!(round(update_secs, 3));
        rows.push(probe);
    }
    report["scaling"] = json!(rows);
    Ok(())
}

/// The child of the scaling bench: opens an index made with `embedder` and measures
/// hybrid query latency and memory; prints JSON.
pub fn probe(spec: StoreSpec, queries: Option<&Path>, embedder: Arc<dyn Embedder>) -> Result<()> {
    let t = Instant::now();
    let mut engine = Engine::with_embedder(spec.open()?, embedder.clone())?;
    let open_secs = t.elapsed().as_secs_f64();
    let opened = mib(status_kib("VmRSS"));
    let queries = load_queries(queries)?;
    // Query vectors are kept from the warm-up round on: latency here is the search's
    // own, without the query's embedding (measured by the main bench).
    engine.set_query_cache(queries.len());
    query_latency(&engine, &queries, 1, 1)?;
    let one = query_latency(&engine, &queries, 1, 3)?;
    let eight = query_latency(&engine, &queries, 8, 2)?;
    let (rss, peak) = (mib(status_kib("VmRSS")), mib(status_kib("VmHWM")));
    // Resident memory of the process's own allocations, and of mapped files (the graphs
    // and the text index) whose pages the kernel may drop and read again.
    let (anon, file) = (mib(status_kib("RssAnon")), mib(status_kib("RssFile")));
    drop(engine);
    // Measured after the memory: it loads the vectors twice more. (The PostgreSQL
    // store's graphs are pgvector's, inside the server.)
    let graphs = match &spec {
        StoreSpec::Embedded(data) => graph_check(data, &queries, embedder.as_ref())?,
        _ => Value::Null,
    };
    println!(
        "{}",
        json!({
            "open_seconds": round(open_secs, 3),
            "hybrid_query_without_model": [one, eight],
            "rss_mib": rss,
            "rss_after_open_mib": opened,
            "rss_anon_mib": anon,
            "rss_file_mib": file,
            "peak_rss_mib": peak,
            "vector_graphs": graphs,
        })
    );
    Ok(())
}

/// How many of `want` (an exact scan's best, best first) `got` found, by score: a hit
/// counts when it scores at least as well as the scan's last (synthetic libraries
/// repeat texts, so vectors tie and which of equals the scan returns is arbitrary).
fn found(got: &[(String, f32)], want: &[(String, f32)]) -> usize {
    let kth = want.last().map_or(f32::MIN, |w| w.1) - 1e-5;
    got.iter().filter(|g| g.1 >= kth).count().min(want.len())
}

/// The vector graphs against an exact scan of the same vectors, at breadths 64-512:
/// recall (of 10 results, and of the 100 a hybrid search fuses) and the vector search's
/// own latency, without a filter and filtered to one version.
fn graph_check(data: &Path, queries: &[String], model: &dyn Embedder) -> Result<Value> {
    use mcdewey_index::VectorIndex;
    let store = mcdewey_index::Store::open(data)?;
    let (Some(graphs), Some(exact)) = (
        store.vectors(VectorIndex::Auto)?,
        store.vectors(VectorIndex::Exact)?,
    ) else {
        return Ok(Value::Null);
    };
    let one_version = graphs
        .parts
        .iter()
        .max_by_key(|p| p.len())
        .map(|p| vec![(p.product.clone(), p.version.clone())]);
    let mut rows = Vec::new();
    let filters = [
        ("none", mcdewey_catalog::Filter::default()),
        (
            "one version",
            mcdewey_catalog::Filter {
                versions: one_version,
                ..Default::default()
            },
        ),
    ];
    let vectors: Vec<Vec<f32>> = queries
        .iter()
        .map(|q| model.embed_query(q))
        .collect::<Result<_, _>>()?;
    // 10 results, and the 100 a hybrid search asks for (its fusion depth).
    for (label, filter) in &filters {
        for limit in [10usize, 100] {
            let mut slow = Vec::new();
            let mut truth = Vec::new();
            for v in &vectors {
                let t = Instant::now();
                truth.push(exact.nearest(v, filter, limit));
                slow.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            slow.sort_by(f64::total_cmp);
            for ef in [64, 128, 256, 512] {
                graphs.set_search_breadth(ef);
                let (mut hit, mut all) = (0usize, 0usize);
                let (mut hit10, mut all10) = (0usize, 0usize);
                let mut fast = Vec::new();
                for (v, want) in vectors.iter().zip(&truth) {
                    let t = Instant::now();
                    let got = graphs.nearest(v, filter, limit);
                    fast.push(t.elapsed().as_secs_f64() * 1000.0);
                    hit += found(&got, want);
                    all += want.len();
                    let k = want.len().min(10);
                    hit10 += found(&got[..got.len().min(10)], &want[..k]);
                    all10 += k;
                }
                fast.sort_by(f64::total_cmp);
                rows.push(json!({
                    "filter": label,
                    "limit": limit,
                    "search_breadth": ef,
                    "recall_at_10": round(hit10 as f64 / all10.max(1) as f64, 4),
                    "recall_at_limit": round(hit as f64 / all.max(1) as f64, 4),
                    "graph_p50_ms": round(percentile(&fast, 50.0), 2),
                    "graph_p95_ms": round(percentile(&fast, 95.0), 2),
                    "exact_p50_ms": round(percentile(&slow, 50.0), 2),
                    "exact_p95_ms": round(percentile(&slow, 95.0), 2),
                }));
            }
        }
    }
    Ok(
        json!({"parts": graphs.parts.len(), "parts_with_graph": graphs.graphs(), "queries": queries.len(), "rows": rows}),
    )
}

pub fn run(opts: &BenchOptions, model: &ModelArgs) -> Result<()> {
    let mut report = json!({
        "date": std::process::Command::new("date").arg("-u").arg("+%Y-%m-%dT%H:%M:%SZ")
            .output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "profile": if cfg!(debug_assertions) { "dev" } else { "release" },
        "store": StoreSpec::parse(opts.store.as_deref(), Path::new(""))
            .map(|spec| match spec.kind() {
                "embedded" => "embedded".to_string(),
                _ => spec.describe(),
            })
            .unwrap_or_default(),
    });
    // Refused before any work: each size would need an empty database.
    anyhow::ensure!(
        opts.scaling_store.is_none() || opts.scaling.len() == 1,
        "--scaling-store takes one size in --scaling, not {} (each size needs an empty \
         database)",
        opts.scaling.len()
    );
    library_bench(opts, model, &mut report)?;
    report["library"]["peak_rss_mib"] = mib(status_kib("VmHWM"));
    if !opts.scaling.is_empty() {
        scaling_bench(opts, model, &mut report)?;
    }
    let text = serde_json::to_string_pretty(&report)?;
    std::fs::write(&opts.out, &text).with_context(|| format!("report {}", opts.out.display()))?;
    println!("{text}");
    eprintln!("bench: report written to {}", opts.out.display());
    Ok(())
}
