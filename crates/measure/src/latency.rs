//! Query latency as the benchmarks report it: percentiles of many timed searches from
//! one or several client threads, and the process's memory.

use crate::MeasureError;
use mcdewey_search::{Engine, Mode, SearchRequest};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Instant;

/// The queries timed when no file of queries is given: the kinds people ask of the
/// CUCM sample (commands, symptoms, names).
pub const DEFAULT_QUERIES: &[&str] = &[
    "how do I enable mixed mode with the CLI",
    "utils ctl update CTLFile",
    "what does the CAPF service do",
    "encrypted configuration files for phones",
    "SIP trunk security profile TLS",
    "tokenless CTL",
    "how do I stop phones trusting an unsigned config file",
    "certificate regeneration",
];

/// Latency percentile (nearest rank) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

/// `x` rounded to `digits` decimals, as reports print it.
pub fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Kibibytes of a `/proc/self/status` field (Linux), e.g. `VmHWM` (peak RSS).
pub fn status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Kibibytes as mebibytes with one decimal, or null when unknown.
pub fn mib(kib: Option<u64>) -> Value {
    kib.map_or(Value::Null, |k| json!(round(k as f64 / 1024.0, 1)))
}

/// The queries of a JSON-lines file (each line's `query` or `text`), or
/// [`DEFAULT_QUERIES`] without one.
pub fn load_queries(path: Option<&Path>) -> Result<Vec<String>, MeasureError> {
    let Some(path) = path else {
        return Ok(DEFAULT_QUERIES.iter().map(|q| q.to_string()).collect());
    };
    let text = std::fs::read_to_string(path).map_err(MeasureError::io(path))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| MeasureError::Invalid {
            path: path.to_path_buf(),
            line: n + 1,
            reason: format!("not a JSON line: {e}"),
        })?;
        if let Some(q) = v["query"].as_str().or(v["text"].as_str()) {
            out.push(q.to_string());
        }
    }
    if out.is_empty() {
        return Err(MeasureError::Invalid {
            path: path.to_path_buf(),
            line: 0,
            reason: "no queries (lines with a \"query\" or \"text\" field)".into(),
        });
    }
    Ok(out)
}

/// Runs every query `rounds` times from each of `clients` threads (hybrid, 10 results)
/// and reports latency percentiles and throughput.
pub fn query_latency(
    engine: &Engine,
    queries: &[String],
    clients: usize,
    rounds: usize,
) -> Result<Value, MeasureError> {
    let start = Instant::now();
    let mut samples: Vec<f64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                scope.spawn(move || -> Result<Vec<f64>, MeasureError> {
                    let mut out = Vec::with_capacity(queries.len() * rounds);
                    for r in 0..rounds {
                        for i in 0..queries.len() {
                            // Each client walks the queries from its own offset.
                            let q = &queries[(i + c * 7 + r * 3) % queries.len()];
                            let t = Instant::now();
                            engine.search(&SearchRequest {
                                query: q.clone(),
                                limit: Some(10),
                                mode: Some(Mode::Hybrid),
                                ..Default::default()
                            })?;
                            out.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().expect("client thread")?);
        }
        Ok::<_, MeasureError>(all)
    })?;
    let wall = start.elapsed().as_secs_f64();
    samples.sort_by(f64::total_cmp);
    Ok(json!({
        "clients": clients,
        "requests": samples.len(),
        "p50_ms": round(percentile(&samples, 50.0), 2),
        "p95_ms": round(percentile(&samples, 95.0), 2),
        "p99_ms": round(percentile(&samples, 99.0), 2),
        "max_ms": round(*samples.last().unwrap_or(&f64::NAN), 2),
        "throughput_qps": round(samples.len() as f64 / wall, 1),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let s: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&s, 50.0), 5.0);
        assert_eq!(percentile(&s, 95.0), 10.0);
        assert_eq!(percentile(&s, 0.0), 1.0);
        assert!(percentile(&[], 50.0).is_nan());
        assert_eq!(round(2.345_67, 2), 2.35);
    }

    #[test]
    fn query_files_name_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.jsonl");
        std::fs::write(&path, "{\"query\": \"a\"}\n\nnot json\n").unwrap();
        let e = load_queries(Some(&path)).unwrap_err().to_string();
        assert!(
            e.ends_with(":3: not a JSON line: expected ident at line 1 column 2"),
            "{e}"
        );
        std::fs::write(&path, "{\"query\": \"a\"}\n{\"text\": \"b\"}\n").unwrap();
        assert_eq!(load_queries(Some(&path)).unwrap(), ["a", "b"]);
        assert_eq!(load_queries(None).unwrap().len(), DEFAULT_QUERIES.len());
    }
}
