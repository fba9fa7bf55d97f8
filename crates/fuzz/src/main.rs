//! `mcdewey-fuzz`: a mutation fuzzer for the Markdown, HTML and PDF parsers and the query
//! path, on stable Rust (`cargo fuzz` needs a nightly compiler).
//!
//! Seeds come from built-in samples and corpus folders; each input is a stack of byte
//! edits, format tokens and splices. Every input runs on a worker thread under a time
//! limit. A finding is a panic that escapes, a panic raised by McDewey's own code even
//! where a guard catches it, or an input that runs past the limit. Findings are written
//! to the crashes folder, named by their hash, and the exit status is 1.
//!
//! ```text
//! mcdewey-fuzz all --seconds 20 --corpus ../shared/library --crashes artifacts/fuzz
//! mcdewey-fuzz pdf --replay artifacts/fuzz/pdf-<hash>.bin
//! ```

mod mutate;
mod targets;

use anyhow::{Context, Result};
use clap::Parser;
use mutate::{mutate, Rng};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use targets::{prepare, run_one, Target};

#[derive(Parser, Debug)]
#[command(about = "Fuzz McDewey's parsers and query path (stable Rust, mutation-based)")]
struct Cli {
    /// What to fuzz: markdown, html, pdf, query, or all.
    target: String,
    /// Seconds per target.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Stop a target after this many inputs (whichever comes first).
    #[arg(long, default_value_t = u64::MAX)]
    iterations: u64,
    /// Folders whose files (by extension) seed the targets; may be repeated.
    #[arg(long)]
    corpus: Vec<PathBuf>,
    /// Seed files larger than this are not used (bytes).
    #[arg(long, default_value_t = 1 << 20)]
    max_seed: u64,
    /// Seed files per target at most (the smallest are kept).
    #[arg(long, default_value_t = 64)]
    max_seeds: usize,
    /// Where findings are written.
    #[arg(long, default_value = "artifacts/fuzz")]
    crashes: PathBuf,
    /// Seconds one input may run before it counts as a hang.
    #[arg(long, default_value_t = 20)]
    timeout: u64,
    /// Random seed (default: from the clock; printed in the report to replay a run).
    #[arg(long)]
    seed: Option<u64>,
    /// Run one saved input instead of fuzzing.
    #[arg(long)]
    replay: Option<PathBuf>,
}

/// Panics seen since the last look: (thread name, "file:line: message").
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records every panic (then lets the previous hook print or stay quiet, as it chooses).
fn record_panics() {
    // The PDF reader's quiet hook goes first, so that this one sits on top of it.
    mcdewey_ingest::pdf::quiet_worker_panics();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = mcdewey_ingest::panic_text(info.payload()).unwrap_or_default();
        if let Ok(mut p) = PANICS.lock() {
            p.push(format!("{at}: {msg}"));
        }
        previous(info);
    }));
}

/// Whether a panic location is in McDewey's own crates (a bug of ours even when caught).
fn ours(panic: &str) -> bool {
    panic.starts_with("crates/") || panic.contains("/crates/")
}

fn take_panics() -> Vec<String> {
    PANICS
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default()
}

fn load_seeds(target: Target, cli: &Cli) -> Vec<Vec<u8>> {
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    for dir in &cli.corpus {
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(false)
            .into_iter()
            .flatten()
        {
            let ext = entry
                .path()
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let size = entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
            if entry.file_type().is_file()
                && target.extensions().contains(&ext.as_str())
                && size <= cli.max_seed
            {
                files.push((size, entry.path().to_path_buf()));
            }
        }
    }
    files.sort();
    let mut seeds = target.builtin_seeds();
    seeds.extend(
        files
            .into_iter()
            .take(cli.max_seeds)
            .filter_map(|(_, p)| std::fs::read(p).ok()),
    );
    seeds
}

/// Runs inputs on one worker thread, so a hang is noticed instead of waited for.
struct Worker {
    send: mpsc::Sender<Vec<u8>>,
    done: mpsc::Receiver<std::thread::Result<()>>,
}

impl Worker {
    fn start(target: Target) -> Result<Worker> {
        let (send, inputs) = mpsc::channel::<Vec<u8>>();
        let (report, done) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("fuzz-{}", target.name()))
            .spawn(move || {
                let prepared = match prepare(target) {
                    Ok(p) => {
                        let _ = ready_tx.send(Ok(()));
                        p
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                for input in inputs {
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_one(&prepared, &input)
                    }));
                    if report.send(r).is_err() {
                        return;
                    }
                }
            })
            .context("starting the fuzz worker")?;
        ready_rx
            .recv()
            .context("fuzz worker ended while preparing")??;
        Ok(Worker { send, done })
    }
}

/// What became of one input.
enum Outcome {
    /// Passed; how many dependency panics McDewey's guards caught on the way.
    Pass(usize),
    Finding(String),
    Hang,
}

fn run_input(worker: &Worker, input: &[u8], timeout: Duration) -> Outcome {
    take_panics();
    if worker.send.send(input.to_vec()).is_err() {
        return Outcome::Finding("the worker thread is gone".into());
    }
    match worker.done.recv_timeout(timeout) {
        Err(_) => Outcome::Hang,
        Ok(result) => {
            let panics = take_panics();
            match result {
                Err(_) => Outcome::Finding(format!("panic escaped: {}", panics.join(" | "))),
                Ok(()) => match panics.iter().find(|p| ours(p)) {
                    Some(p) => Outcome::Finding(format!("panic in McDewey's code (caught): {p}")),
                    None => Outcome::Pass(panics.len()),
                },
            }
        }
    }
}

fn save(dir: &Path, target: Target, input: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("crashes folder {}", dir.display()))?;
    let name = format!(
        "{}-{}.bin",
        target.name(),
        &blake3::hash(input).to_hex()[..16]
    );
    let path = dir.join(name);
    std::fs::write(&path, input)?;
    Ok(path)
}

fn fuzz(target: Target, cli: &Cli, seed: u64) -> Result<(serde_json::Value, bool)> {
    let seeds = load_seeds(target, cli);
    let worker = Worker::start(target)?;
    let timeout = Duration::from_secs(cli.timeout.max(1));
    let mut rng = Rng::new(seed ^ target as u64);
    let start = Instant::now();
    let budget = Duration::from_secs(cli.seconds);
    let (mut inputs, mut bytes, mut slowest) = (0u64, 0u64, Duration::ZERO);
    // Dependency panics caught by McDewey's guards are counted, not failed.
    let mut caught = 0u64;
    let mut findings = Vec::new();
    // Every seed once as it is, then mutants until the time or the count is spent.
    let mut queue = seeds.clone().into_iter();
    // A target that keeps failing has made its point after this many findings.
    const MAX_FINDINGS: usize = 20;
    while start.elapsed() < budget && inputs < cli.iterations && findings.len() < MAX_FINDINGS {
        let input = queue
            .next()
            .unwrap_or_else(|| mutate(&mut rng, &seeds, target.tokens()));
        let t = Instant::now();
        let outcome = run_input(&worker, &input, timeout);
        slowest = slowest.max(t.elapsed());
        inputs += 1;
        bytes += input.len() as u64;
        match outcome {
            Outcome::Pass(n) => caught += n as u64,
            Outcome::Finding(why) => {
                let path = save(&cli.crashes, target, &input)?;
                eprintln!(
                    "{}: FINDING {why}\n  input saved to {}",
                    target.name(),
                    path.display()
                );
                findings.push(json!({"why": why, "input": path}));
            }
            Outcome::Hang => {
                let path = save(&cli.crashes, target, &input)?;
                eprintln!(
                    "{}: HANG (over {} s)\n  input saved to {}",
                    target.name(),
                    timeout.as_secs(),
                    path.display()
                );
                findings.push(json!({"why": "hang", "input": path}));
                // The stuck worker cannot be stopped; end this target here.
                break;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let clean = findings.is_empty();
    Ok((
        json!({
            "target": target.name(),
            "seed": seed,
            "seconds": (secs * 10.0).round() / 10.0,
            "inputs": inputs,
            "inputs_per_s": (inputs as f64 / secs.max(1e-9)).round(),
            "mib_parsed": (bytes as f64 / 1048576.0 * 10.0).round() / 10.0,
            "seeds": seeds.len(),
            "slowest_ms": slowest.as_millis() as u64,
            "caught_dependency_panics": caught,
            "findings": findings,
        }),
        clean,
    ))
}

fn run(cli: &Cli) -> Result<bool> {
    record_panics();
    let targets: Vec<Target> = if cli.target == "all" {
        Target::ALL.to_vec()
    } else {
        vec![
            <Target as clap::ValueEnum>::from_str(&cli.target, true).map_err(|_| {
                anyhow::anyhow!(
                    "unknown target {:?}: markdown, html, pdf, query or all",
                    cli.target
                )
            })?,
        ]
    };
    if let Some(path) = &cli.replay {
        let input = std::fs::read(path).with_context(|| format!("replay {}", path.display()))?;
        let worker = Worker::start(targets[0])?;
        return Ok(
            match run_input(&worker, &input, Duration::from_secs(cli.timeout.max(1))) {
                Outcome::Pass(_) => {
                    println!("{}: passes", path.display());
                    true
                }
                Outcome::Finding(why) => {
                    println!("{}: {why}", path.display());
                    false
                }
                Outcome::Hang => {
                    println!("{}: hangs", path.display());
                    false
                }
            },
        );
    }
    let seed = cli.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let mut all_clean = true;
    for target in targets {
        let (report, clean) = fuzz(target, cli, seed)?;
        println!("{report}");
        all_clean &= clean;
    }
    Ok(all_clean)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_panics_are_ours() {
        assert!(ours(
            "crates/ingest/src/pdf/layout.rs:10: index out of bounds"
        ));
        assert!(!ours(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pdf-extract-0.12.1/src/lib.rs:177: x"
        ));
        assert!(!ours("/rustc/59807616/library/core/src/str/mod.rs:1: x"));
    }
}
