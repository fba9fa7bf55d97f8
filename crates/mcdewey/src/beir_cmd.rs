//! `mcdewey beir`: index a BEIR corpus through the normal pipeline and write a TREC run.

use crate::args::{FusionArgs, ModeArg, ModelArgs, Paths};
use crate::index_cmd::index_library;
use clap::Args;
use std::path::PathBuf;

/// Flags of `mcdewey beir`.
#[derive(Args, Debug)]
pub struct BeirArgs {
    /// Index into this store instead of a temporary data folder: a PostgreSQL URL of
    /// a database for this corpus (docs/deployment.md).
    #[arg(long, env = "MCDEWEY_STORE")]
    pub store: Option<String>,
    /// The BEIR folder, e.g. ../shared/bench/scifact.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Qrels split to run (qrels/<split>.tsv).
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Where to write the TREC run.
    #[arg(long)]
    pub run: PathBuf,
    /// Working folder: the corpus laid out as a library, and its index (reused by
    /// later runs). Default: mcdewey-beir/<data set name>.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Retrieval: bm25, vector or hybrid.
    #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
    pub mode: ModeArg,
    /// Target chunk size in characters.
    #[arg(long, default_value_t = mcdewey_ingest::ChunkOptions::default().target_chars)]
    pub chunk_chars: usize,
    /// Documents written per query.
    #[arg(long, default_value_t = 100)]
    pub hits: usize,
    /// Index without vectors (keyword runs only).
    #[arg(long)]
    pub no_embed: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub fusion: FusionArgs,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

impl BeirArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        let data = self.data.clone().unwrap_or_else(|| {
            let name = self
                .dataset
                .canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_owned()))
                .unwrap_or_else(|| "beir".into());
            PathBuf::from("mcdewey-beir").join(name)
        });
        run(
            &BeirOptions {
                dataset: &self.dataset,
                split: &self.split,
                run: &self.run,
                data: &data,
                mode: self.mode.into(),
                chunk_chars: self.chunk_chars,
                hits: self.hits.clamp(1, 10_000),
                no_embed: self.no_embed,
                json: self.json,
                store: self.store.as_deref(),
            },
            &self.model,
            &self.fusion,
        )
    }
}

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use mcdewey_ingest::{ChunkOptions, IngestOptions};
use mcdewey_measure::beir::{rank_documents, score_runs, trec_line, write_library, BeirDataset};
use mcdewey_search::Filter;
use mcdewey_search::{Engine, Mode};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Options of `mcdewey beir`.
pub struct BeirOptions<'a> {
    pub dataset: &'a Path,
    pub split: &'a str,
    pub run: &'a Path,
    pub data: &'a Path,
    pub mode: Mode,
    pub chunk_chars: usize,
    pub hits: usize,
    pub no_embed: bool,
    pub json: bool,
    /// The store to index into (`--store`); the data folder's own index when `None`.
    pub store: Option<&'a str>,
}

pub fn run(opts: &BeirOptions, model: &ModelArgs, fusion: &FusionArgs) -> Result<()> {
    let mode = opts.mode;
    let dataset = BeirDataset::read(opts.dataset, opts.split)?;
    let paths = Paths {
        library: opts.data.join("library"),
        data: opts.data.join("index"),
        store: opts.store.map(str::to_string),
    };
    let stems = write_library(&dataset, &paths.library)?;
    // The index always gets vectors, so runs of every mode share one index.
    let embedder = if opts.no_embed {
        None
    } else {
        Some(model.load()?)
    };
    let ingest = IngestOptions {
        chunk: ChunkOptions::scaled(opts.chunk_chars),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let summary = index_library(
        &paths,
        &ingest,
        embedder.as_deref().map(|m| model.embedding(m)),
    )?;
    let index_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} documents, {} chunks ({} embedded now) in {}",
        dataset.name,
        summary.documents,
        summary.chunks,
        summary.embedded,
        paths.store_name()
    );
    let store = paths.open_store()?;
    let mut engine = match embedder {
        Some(e) => Engine::with_embedder(store, e)?,
        None => Engine::new(store),
    };
    fusion.configure(&mut engine)?;
    // Chunks to fetch so that `hits` distinct documents remain after grouping.
    let depth = opts.hits * 3;
    if fusion.fusion_depth.is_none() {
        let mut fused = engine.fusion();
        fused.depth = fused.depth.max(depth);
        engine.set_fusion(fused);
    }
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(opts.run)
            .with_context(|| format!("run file {}", opts.run.display()))?,
    );
    let bar = ProgressBar::new(dataset.queries.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} queries [{bar:30}] {pos}/{len}  {eta} left")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut runs: HashMap<String, Vec<String>> = HashMap::new();
    let tag = format!("mcdewey-{}", opts.mode);
    let mut latencies_ms = Vec::with_capacity(dataset.queries.len());
    for q in &dataset.queries {
        let asked = std::time::Instant::now();
        let hits = engine.retrieve(&q.text, &Filter::default(), mode, depth)?;
        latencies_ms.push(asked.elapsed().as_secs_f64() * 1000.0);
        let docs = rank_documents(
            &hits,
            |h| h.0.document.rsplit("::").next().unwrap_or_default(),
            &stems,
            opts.hits,
        );
        for (i, d) in docs.iter().enumerate() {
            writeln!(out, "{}", trec_line(&q.id, d, i + 1, &tag))?;
        }
        runs.insert(q.id.clone(), docs);
        bar.inc(1);
    }
    bar.finish_and_clear();
    out.flush()?;
    let m = score_runs(&dataset.qrels, &runs);
    latencies_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| mcdewey_measure::latency::percentile(&latencies_ms, p);
    let round = |x: f64| mcdewey_measure::latency::round(x, 2);
    let timing = serde_json::json!({
        "index_seconds": round(index_secs),
        "embedded_now": summary.embedded,
        "query_ms_p50": round(pct(50.0)),
        "query_ms_p95": round(pct(95.0)),
        "query_depth": depth,
    });
    if opts.json {
        let f = engine.fusion();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "dataset": dataset.name, "split": opts.split, "mode": mode,
                "fusion": {"method": f.method, "k": f.k, "bm25": f.bm25, "vector": f.vector},
                "documents": summary.documents, "chunks": summary.chunks,
                "run": opts.run, "metrics": m, "store": paths.store_name(), "timing": timing,
            }))?
        );
    } else {
        println!(
            "{} {} ({} queries, mode {}): nDCG@10 {:.4}  Recall@100 {:.4}  MRR@10 {:.4}",
            dataset.name, opts.split, m.queries, opts.mode, m.ndcg10, m.recall100, m.mrr10
        );
        println!(
            "index {:.1} s ({} embedded now); query p50 {:.1} ms, p95 {:.1} ms (depth {depth}, one at a time)",
            index_secs,
            summary.embedded,
            pct(50.0),
            pct(95.0)
        );
        println!("run written to {}", opts.run.display());
    }
    Ok(())
}
