//! Graph settings against an exact scan: for each kind of graph vector, builds a
//! usearch graph of the vectors of the parts given and reports build time, memory and
//! recall@10 (by score, as `mcdewey bench` counts it) at several search breadths.
//!
//!   cargo run --release -p mcdewey-index --example graph_sweep -- \
//!       QUERIES.jsonl[,MORE.jsonl] hash|MODEL-DIR PART.bin [PART.bin...]
//!
//! The parts' vectors go into one graph, once for each kind of graph vector: half
//! precision, and 8 bits at several scales (`MCDEWEY_SWEEP_M` sets the degree, 16).
//! Queries (the "query" or "text" of each line) are embedded with the 384-dimension
//! hash embedder `mcdewey bench` builds its synthetic libraries with (`hash`), or with
//! the model in MODEL-DIR for parts that model made.

use mcdewey_embed::{BertEmbedder, Embedder, HashEmbedder};
use mcdewey_index::{parts, VectorSet};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mut set = VectorSet::default();
    for path in &args[3..] {
        let part = VectorSet::load(std::path::Path::new(path))?;
        if set.dim == 0 {
            set = VectorSet::new(&part.model_id, part.dim);
        }
        for i in 0..part.len() {
            set.push(part.entries[i].clone(), part.vector(i));
        }
    }
    // MCDEWEY_SWEEP_GROW=N: grow the set to N vectors, each new one a mix of two of the
    // parts' (0.7 and 0.3 of a random pair, normalised), so a graph the size of a large
    // part can be tried on vectors shaped like the model's.
    if let Some(n) = std::env::var("MCDEWEY_SWEEP_GROW")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        let base = set.len();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as usize
        };
        while set.len() < n {
            let (a, b) = (next() % base, next() % base);
            let v = mcdewey_embed::blend(set.vector(a), 0.7, set.vector(b), 0.3);
            let mut e = set.entries[a].clone();
            e.id = format!("mix-{}", set.len());
            set.push(e, &v);
        }
    }
    let embedder: Box<dyn Embedder> = match args[2].as_str() {
        "hash" => Box::new(HashEmbedder::new(set.dim)),
        dir => Box::new(BertEmbedder::load(std::path::Path::new(dir))?),
    };
    let mut queries: Vec<Vec<f32>> = Vec::new();
    for file in args[1].split(',') {
        for line in std::fs::read_to_string(file)?.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(q) = v["query"].as_str().or(v["text"].as_str()) {
                queries.push(embedder.embed_query(q)?);
            }
        }
    }
    println!("{} vectors, {} queries", set.len(), queries.len());
    let truth: Vec<f32> = queries
        .iter()
        .map(|q| {
            let mut s: Vec<f32> = (0..set.len())
                .map(|i| mcdewey_embed::dot(set.vector(i), q))
                .collect();
            s.sort_by(|a, b| b.total_cmp(a));
            s[9.min(s.len() - 1)]
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Graph vectors: half precision (given f32), or 8 bits at the set's own scale for a
    // quantile of its components (mcdewey_index::parts::graph_scale; None: usearch's
    // own conversion of f32 to 8 bits).
    let kinds: [(usearch::ScalarKind, Option<f64>); 5] = [
        (usearch::ScalarKind::F16, None),
        (usearch::ScalarKind::I8, Some(parts::GRAPH_QUANTILE)),
        (usearch::ScalarKind::I8, Some(1.0)),
        (usearch::ScalarKind::I8, Some(0.999)),
        (usearch::ScalarKind::I8, None),
    ];
    let m: usize = std::env::var("MCDEWEY_SWEEP_M")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(16);
    for (quant, quantile) in kinds {
        let ef_add = 128;
        let scale = quantile.map(|q| parts::graph_scale(&set, q));
        let index = usearch::Index::new(&usearch::IndexOptions {
            dimensions: set.dim,
            metric: usearch::MetricKind::IP,
            quantization: quant,
            connectivity: m,
            expansion_add: ef_add,
            expansion_search: 64,
            multi: false,
        })?;
        index.reserve_capacity_and_threads(set.len(), threads)?;
        let t = Instant::now();
        std::thread::scope(|s| {
            for w in 0..threads {
                let (index, set) = (&index, &set);
                s.spawn(move || {
                    for i in (w..set.len()).step_by(threads) {
                        match scale {
                            Some(q) => index.add(i as u64, &parts::quantize(set.vector(i), q)),
                            None => index.add(i as u64, set.vector(i)),
                        }
                        .expect("add");
                    }
                });
            }
        });
        let build = t.elapsed().as_secs_f64();
        for (ef, count) in [(64, 40), (128, 40), (256, 40), (512, 40)] {
            index.change_expansion_search(ef);
            let t = Instant::now();
            let (mut hit, mut all) = (0, 0);
            for (q, kth) in queries.iter().zip(&truth) {
                let found = match scale {
                    Some(s) => index.search(&parts::quantize(q, s), count)?,
                    None => index.search(q, count)?,
                };
                let mut scores: Vec<f32> = found
                    .keys
                    .iter()
                    .map(|&k| mcdewey_embed::dot(set.vector(k as usize), q))
                    .collect();
                scores.sort_by(|a, b| b.total_cmp(a));
                all += 10;
                hit += scores.iter().take(10).filter(|&&s| s >= kth - 1e-5).count();
            }
            println!(
                "M {m:2} ef_add {ef_add:3} {quant:?} scale {:>8}: build {build:5.1} s, memory {:4} MiB, ef {ef:3} count {count:3}: recall {:.3}, {:.2} ms/query",
                scale.map_or("usearch".to_string(), |s| format!("{s:.1}")),
                index.memory_usage() >> 20,
                hit as f64 / all as f64,
                t.elapsed().as_secs_f64() * 1000.0 / queries.len() as f64
            );
        }
    }
    Ok(())
}
