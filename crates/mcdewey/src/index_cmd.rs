//! `mcdewey index`.

use crate::args::{ModelArgs, Paths};
use clap::Args;

/// Flags of `mcdewey index`.
#[derive(Args, Debug)]
pub struct IndexArgs {
    #[command(flatten)]
    pub paths: Paths,
    /// Largest file to read, in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Seconds one PDF may take to read; a slower one is reported and skipped.
    #[arg(long, default_value_t = 120)]
    pub pdf_timeout: u64,
    /// Seconds one HTML, Markdown or text file may take to parse; a slower one is
    /// reported and skipped, and the run goes on.
    #[arg(long, default_value_t = 60)]
    pub parse_timeout: u64,
    /// Target chunk size in characters (chunks stay under 1.6x this; sections under
    /// a quarter of it join the next). Changing it re-indexes everything.
    #[arg(long, default_value_t = mcdewey_ingest::ChunkOptions::default().target_chars)]
    pub chunk_chars: usize,
    /// Build a keyword-only index, without the embedding model.
    #[arg(long)]
    pub no_embed: bool,
    /// Threads embedding chunks side by side (default: one per core).
    #[arg(long)]
    pub embed_workers: Option<usize>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

impl IndexArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        run(
            &self.paths,
            IngestOptions {
                max_file_bytes: self.max_file_size,
                pdf_timeout: std::time::Duration::from_secs(self.pdf_timeout.max(1)),
                parse_timeout: std::time::Duration::from_secs(self.parse_timeout.max(1)),
                chunk: mcdewey_ingest::ChunkOptions::scaled(self.chunk_chars),
            },
            (!self.no_embed).then_some(&self.model),
            self.embed_workers,
            self.json,
        )
    }
}

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use mcdewey_ingest::IngestOptions;
use mcdewey_search::{Embedding, Progress, UpdateSummary};

pub fn run(
    paths: &Paths,
    opts: IngestOptions,
    model: Option<&ModelArgs>,
    workers: Option<usize>,
    json: bool,
) -> Result<()> {
    let chunk_chars = opts.chunk.target_chars;
    if !(200..=20_000).contains(&chunk_chars) {
        anyhow::bail!("--chunk-chars: {chunk_chars} is out of range 200..=20000");
    }
    let embedder = model.map(ModelArgs::load).transpose()?;
    let embedding = embedder.as_deref().zip(model).map(|(m, args)| {
        let mut e = args.embedding(m);
        if let Some(w) = workers {
            e.workers = w.clamp(1, 64);
        }
        e
    });
    let summary = if json {
        let mut report = JsonProgress::new();
        index_library_with(paths, &opts, embedding, &mut |p| report.on(p))?
    } else {
        index_library(paths, &opts, embedding)?
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&summary_json(&summary))?);
    } else {
        print_summary(paths, &summary);
    }
    Ok(())
}

/// Brings the index up to date after documents were fetched into the library (the
/// model loaded unless `model` is `None`); the summary is printed as text, or returned
/// for the caller's JSON.
pub fn update_after_fetch(
    paths: &Paths,
    model: Option<&ModelArgs>,
    json: bool,
) -> Result<serde_json::Value> {
    let embedder = model.map(ModelArgs::load).transpose()?;
    let embedding = embedder
        .as_deref()
        .zip(model)
        .map(|(m, args)| args.embedding(m));
    let opts = IngestOptions::default();
    if json {
        let summary = index_library_with(paths, &opts, embedding, &mut |_| {})?;
        Ok(summary_json(&summary))
    } else {
        let summary = index_library(paths, &opts, embedding)?;
        print_summary(paths, &summary);
        Ok(serde_json::Value::Null)
    }
}

/// Updates the index (the data folder, or the PostgreSQL database of `--store`) from
/// `paths.library`, with a progress bar on a terminal.
pub fn index_library(
    paths: &Paths,
    opts: &IngestOptions,
    embedding: Option<Embedding>,
) -> Result<UpdateSummary> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} indexing [{bar:30}] {pos}/{len} files  {wide_msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut progress = |p: Progress| match p {
        Progress::Discovered { total } => bar.set_length(total as u64),
        Progress::File { done, path, .. } => {
            bar.set_position(done as u64);
            bar.set_message(path);
        }
        Progress::Embedding { done, total } => {
            if done == 0 {
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} embedding [{bar:30}] {pos}/{len} chunks  {eta} left",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_length(total as u64);
            }
            bar.set_position(done as u64);
        }
        Progress::Committing => bar.set_message("committing"),
        Progress::Merging => bar.set_message("merging the text index into one segment"),
    };
    let summary = index_library_with(paths, opts, embedding, &mut progress);
    bar.finish_and_clear();
    summary
}

/// Updates the index, reporting progress to `progress`.
fn index_library_with(
    paths: &Paths,
    opts: &IngestOptions,
    embedding: Option<Embedding>,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateSummary> {
    Ok(paths
        .spec()?
        .update(&paths.library, opts, embedding, progress)?)
}

/// Progress of `index --json` as JSON lines on standard error (stdout keeps the one
/// summary object): at each stage change and at most once a second within one, with
/// the rate and the time left.
struct JsonProgress {
    started: std::time::Instant,
    stage_started: std::time::Instant,
    last: Option<std::time::Instant>,
    stage: &'static str,
}

impl JsonProgress {
    fn new() -> JsonProgress {
        let now = std::time::Instant::now();
        JsonProgress {
            started: now,
            stage_started: now,
            last: None,
            stage: "",
        }
    }

    fn on(&mut self, p: Progress) {
        match p {
            Progress::Discovered { total } => {
                self.emit("discovered", total, total, serde_json::json!({}))
            }
            Progress::File { done, total, path } => {
                self.emit("files", done, total, serde_json::json!({ "file": path }))
            }
            Progress::Embedding { done, total } => {
                self.emit("embedding", done, total, serde_json::json!({}))
            }
            Progress::Committing => self.emit("committing", 0, 0, serde_json::json!({})),
            Progress::Merging => self.emit("merging", 0, 0, serde_json::json!({})),
        }
    }

    fn emit(&mut self, stage: &'static str, done: usize, total: usize, extra: serde_json::Value) {
        let now = std::time::Instant::now();
        if stage != self.stage {
            self.stage = stage;
            self.stage_started = now;
        } else if done < total
            && self
                .last
                .is_some_and(|t| now - t < std::time::Duration::from_secs(1))
        {
            return;
        }
        self.last = Some(now);
        let secs = (now - self.stage_started).as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        let eta = (rate > 0.0 && total >= done).then(|| ((total - done) as f64 / rate).round());
        let mut line = serde_json::json!({
            "event": "progress",
            "stage": stage,
            "done": done,
            "total": total,
            "rate_per_s": (rate * 10.0).round() / 10.0,
            "eta_s": eta,
            "elapsed_s": (now - self.started).as_secs(),
        });
        if let (Some(map), Some(more)) = (line.as_object_mut(), extra.as_object()) {
            map.extend(more.clone());
        }
        eprintln!("{line}");
    }
}

fn summary_json(s: &UpdateSummary) -> serde_json::Value {
    serde_json::json!({
        "documents": s.documents,
        "chunks": s.chunks,
        "added": s.added,
        "changed": s.changed,
        "unchanged": s.unchanged,
        "unread": s.unread,
        "removed": s.removed,
        "rebuilt": s.rebuilt,
        "embedded": s.embedded,
        "vectors": s.vectors,
        "skipped": s.skipped.iter().map(|k| serde_json::json!({"path": k.path, "reason": k.reason})).collect::<Vec<_>>(),
        "warnings": s.warnings,
        "fidelity": s.fidelity,
    })
}

fn print_summary(paths: &Paths, s: &UpdateSummary) {
    println!(
        "Indexed {} into {}: {} documents, {} chunks.",
        paths.library.display(),
        paths.store_name(),
        s.documents,
        s.chunks
    );
    println!(
        "  {} added, {} changed, {} unchanged, {} removed{}",
        s.added.len(),
        s.changed.len(),
        s.unchanged,
        s.removed.len(),
        if s.rebuilt {
            " (settings changed: full rebuild)"
        } else {
            ""
        }
    );
    if s.vectors > 0 {
        println!(
            "  {} chunks with vectors, {} embedded now",
            s.vectors, s.embedded
        );
    } else {
        println!("  keyword-only index (no embedding model)");
    }
    if !s.fidelity.is_empty() {
        let words: usize = s.fidelity.iter().map(|f| f.reference_words).sum();
        let kept: f64 = s
            .fidelity
            .iter()
            .map(|f| f.kept * f.reference_words as f64)
            .sum();
        let low = s
            .fidelity
            .iter()
            .filter(|f| f.kept < mcdewey_ingest::fidelity::MIN_KEPT)
            .count();
        println!(
            "  text kept: {:.2} % of the words of {} documents read now ({low} under {} %, named below)",
            100.0 * kept / words.max(1) as f64,
            s.fidelity.len(),
            100.0 * mcdewey_ingest::fidelity::MIN_KEPT
        );
    }
    if !s.skipped.is_empty() {
        println!("  {} skipped:", s.skipped.len());
        for k in &s.skipped {
            println!("    {}: {}", k.path, k.reason);
        }
    }
    for w in &s.warnings {
        println!("  warning: {w}");
    }
}
