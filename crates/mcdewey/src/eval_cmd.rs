//! `mcdewey eval`.

use crate::args::{FusionArgs, ModeArg, ModelArgs, Paths};
use crate::query_cmd::open_engine_for;
use clap::Args;
use std::path::PathBuf;

/// Flags of `mcdewey eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Questions, one JSON object a line: {"id", "query", "kind", "file", "evidence": [...]}.
    #[arg(long)]
    pub queries: PathBuf,
    /// Also write the run (top 10 per query) as JSONL for score.py.
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// Retrieval: bm25, vector or hybrid.
    #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
    pub mode: ModeArg,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub fusion: FusionArgs,
    /// Print the metrics as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub paths: Paths,
}

impl EvalArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        run(
            &self.paths,
            &self.model,
            &self.fusion,
            &self.queries,
            self.run.as_deref(),
            self.mode.into(),
            self.json,
        )
    }
}

use anyhow::{Context, Result};
use mcdewey_measure::eval::{aggregate, score_query, EvalQuery, Metrics, QueryScore};
use mcdewey_search::{Mode, SearchRequest};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub fn run(
    paths: &Paths,
    model: &ModelArgs,
    fusion: &FusionArgs,
    queries_path: &Path,
    run_path: Option<&Path>,
    mode: Mode,
    json: bool,
) -> Result<()> {
    let text = std::fs::read_to_string(queries_path)
        .with_context(|| format!("queries file {}", queries_path.display()))?;
    let mut queries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: EvalQuery = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a query object", queries_path.display(), n + 1))?;
        queries.push(q);
    }
    let mut engine = open_engine_for(paths, model, mode)?;
    fusion.configure(&mut engine)?;
    let mut run_out = match run_path {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("run file {}", p.display()))?,
        )),
        None => None,
    };
    let mut scores: Vec<QueryScore> = Vec::new();
    let mut signal = MatchReport::default();
    for q in &queries {
        let response = engine.search(&SearchRequest {
            query: q.query.clone(),
            limit: Some(10),
            mode: Some(mode),
            ..Default::default()
        })?;
        let texts: Vec<&str> = response.results.iter().map(|r| r.text.as_str()).collect();
        let score = score_query(q, &texts);
        signal.add(&response, score.first_relevant_rank);
        scores.push(score);
        if let Some(out) = run_out.as_mut() {
            let results: Vec<serde_json::Value> = response
                .results
                .iter()
                .map(|r| serde_json::json!({"text": r.text, "source": r.citation.source, "chunk_id": r.chunk_id, "match": r.match_level, "similarity": r.similarity, "term_coverage": r.term_coverage}))
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::json!({"id": q.id, "results": results})
            )?;
        }
    }
    if let Some(mut out) = run_out {
        out.flush()?;
    }
    let overall = aggregate(&scores);
    let mut by_kind: BTreeMap<String, Vec<QueryScore>> = BTreeMap::new();
    for s in &scores {
        by_kind
            .entry(s.kind.clone().unwrap_or_default())
            .or_default()
            .push(s.clone());
    }
    let kinds: BTreeMap<String, Metrics> = by_kind
        .iter()
        .map(|(k, v)| (k.clone(), aggregate(v)))
        .collect();
    if json {
        let report = serde_json::json!({"queries": queries_path, "mode": mode, "overall": overall, "by_kind": kinds, "match": signal, "per_query": scores});
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{:<20} {:>4} {:>7} {:>7} {:>7} {:>7}",
            "slice", "n", "Hit@1", "Hit@5", "MRR@10", "Rec@5"
        );
        let line = |name: &str, m: &Metrics| {
            println!(
                "{:<20} {:>4} {:>7.3} {:>7.3} {:>7.3} {:>7.3}",
                name, m.n, m.hit1, m.hit5, m.mrr10, m.recall5
            )
        };
        line("ALL", &overall);
        for (k, m) in &kinds {
            line(&format!("kind={k}"), m);
        }
        println!(
            "match of the first result: strong {} partial {} weak {}; no close match: {}; \
             answered in the top 5 but not strong: {}",
            signal.top_strong,
            signal.top_partial,
            signal.top_weak,
            signal.no_close_match,
            signal.answer_not_strong
        );
    }
    Ok(())
}

/// How the relevance signal read a question set.
#[derive(Debug, Default, serde::Serialize)]
struct MatchReport {
    /// Queries whose first result is strong / partial / weak.
    top_strong: usize,
    top_partial: usize,
    top_weak: usize,
    /// Queries answered "no close match".
    no_close_match: usize,
    /// Queries with a relevant passage in the top 5 that is not marked strong.
    answer_not_strong: usize,
}

impl MatchReport {
    fn add(&mut self, r: &mcdewey_search::SearchResponse, first_relevant: Option<usize>) {
        use mcdewey_search::MatchLevel;
        match r.results.first().map(|h| h.match_level) {
            Some(MatchLevel::Strong) => self.top_strong += 1,
            Some(MatchLevel::Partial) => self.top_partial += 1,
            _ => self.top_weak += 1,
        }
        self.no_close_match += usize::from(r.no_close_match);
        if let Some(rank) = first_relevant.filter(|&k| k <= 5) {
            if r.results[rank - 1].match_level != MatchLevel::Strong {
                self.answer_not_strong += 1;
            }
        }
    }
}
