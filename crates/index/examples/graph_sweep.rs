//! Graph settings against an exact scan on one vector part: for each connectivity and
//! build breadth, builds a usearch graph of the part's vectors and reports build time
//! and recall@10 (by score, as `mcdewey bench` counts it) at several search breadths.
//!
//!   cargo run --release -p mcdewey-index --example graph_sweep -- PART.bin QUERIES.jsonl
//!
//! Queries are embedded with the 384-dimension hash embedder, the one `mcdewey bench`
//! builds its synthetic libraries with.

use mcdewey_embed::{Embedder, HashEmbedder};
use mcdewey_index::VectorSet;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let set = VectorSet::load(std::path::Path::new(&args[1]))?;
    let hash = HashEmbedder::new(set.dim);
    let queries: Vec<Vec<f32>> = std::fs::read_to_string(&args[2])?
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            v["query"]
                .as_str()
                .or(v["text"].as_str())
                .map(str::to_string)
        })
        .map(|q| hash.embed_query(&q))
        .collect::<Result<_, _>>()?;
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
    for (m, ef_add, quant) in [
        (16, 128, usearch::ScalarKind::F16),
        (32, 128, usearch::ScalarKind::F16),
        (24, 128, usearch::ScalarKind::F16),
    ] {
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
                        index.add(i as u64, set.vector(i)).expect("add");
                    }
                });
            }
        });
        let build = t.elapsed().as_secs_f64();
        for (ef, count) in [(128, 40), (128, 128), (256, 40), (256, 256), (512, 40)] {
            index.change_expansion_search(ef);
            let t = Instant::now();
            let (mut hit, mut all) = (0, 0);
            for (q, kth) in queries.iter().zip(&truth) {
                let found = index.search(q, count)?;
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
                "M {m:2} ef_add {ef_add:3} {quant:?}: build {build:5.1} s, memory {:4} MiB, ef {ef:3} count {count:3}: recall {:.3}, {:.2} ms/query",
                index.memory_usage() >> 20,
                hit as f64 / all as f64,
                t.elapsed().as_secs_f64() * 1000.0 / queries.len() as f64
            );
        }
    }
    Ok(())
}
