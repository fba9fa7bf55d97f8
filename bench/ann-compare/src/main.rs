//! Compares approximate nearest-neighbour crates on this machine for McDewey's embedded
//! store: usearch (C++ HNSW behind cxx) and hnsw_rs (pure Rust HNSW). Same vectors,
//! same queries, same graph degree; each is measured for build time, query latency at
//! the search breadth that reaches recall@10 >= 0.98 against an exact scan, recall with
//! and without a scope filter applied inside the graph search, memory, and save/open.
//!
//!   ann-compare N [DIM] [OUT.json]
//!
//! The vectors are clustered unit vectors (like sentence embeddings: topics with
//! spread), each with a scope (product/version) of uneven size, so filters of 5 % and
//! 0.5 % of the library can be tried.

use std::time::Instant;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Roughly normal (sum of uniforms).
    fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.unit()).sum::<f32>() - 2.0
    }
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

struct Data {
    dim: usize,
    vectors: Vec<f32>,
    scopes: Vec<u16>,
    queries: Vec<Vec<f32>>,
}

impl Data {
    fn vector(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    fn make(n: usize, dim: usize) -> Data {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let topics = (n / 100).clamp(50, 5000);
        let centroids: Vec<Vec<f32>> = (0..topics)
            .map(|_| {
                let mut c: Vec<f32> = (0..dim).map(|_| rng.normal()).collect();
                normalise(&mut c);
                c
            })
            .collect();
        let mut vectors = Vec::with_capacity(n * dim);
        let mut scopes = Vec::with_capacity(n);
        for _ in 0..n {
            let t = (rng.next() % topics as u64) as usize;
            let mut v: Vec<f32> = centroids[t]
                .iter()
                .map(|c| c + 0.09 * rng.normal())
                .collect();
            normalise(&mut v);
            vectors.extend_from_slice(&v);
            // 40 scopes of uneven size: scope s has weight 1/(s+1).
            let r = rng.unit() * 4.2785; // H(40)
            let (mut acc, mut s) = (0.0f32, 0u16);
            while s < 39 {
                acc += 1.0 / (s as f32 + 1.0);
                if r < acc {
                    break;
                }
                s += 1;
            }
            scopes.push(s);
        }
        let queries = (0..300)
            .map(|_| {
                let t = (rng.next() % topics as u64) as usize;
                let mut q: Vec<f32> = centroids[t]
                    .iter()
                    .map(|c| c + 0.12 * rng.normal())
                    .collect();
                normalise(&mut q);
                q
            })
            .collect();
        Data {
            dim,
            vectors,
            scopes,
            queries,
        }
    }

    /// Exact top-k keys among those `admit` lets in.
    fn exact(&self, q: &[f32], k: usize, admit: &dyn Fn(usize) -> bool) -> Vec<u64> {
        let mut scored: Vec<(usize, f32)> = (0..self.scopes.len())
            .filter(|&i| admit(i))
            .map(|i| (i, dot(self.vector(i), q)))
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return vec![];
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(k);
        scored.into_iter().map(|(i, _)| i as u64).collect()
    }
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn recall(truth: &[Vec<u64>], got: &[Vec<u64>]) -> f64 {
    let (mut hit, mut all) = (0usize, 0usize);
    for (t, g) in truth.iter().zip(got) {
        all += t.len();
        hit += t.iter().filter(|k| g.contains(k)).count();
    }
    if all == 0 {
        1.0
    } else {
        hit as f64 / all as f64
    }
}

/// One candidate: build, then answer queries with a search breadth and a filter.
trait Candidate {
    fn name(&self) -> &'static str;
    fn search(&self, q: &[f32], k: usize, ef: usize, scope: Option<u16>) -> Vec<u64>;
    fn save_and_open(&self, dir: &std::path::Path) -> (f64, f64, u64);
}

const K: usize = 10;
const M: usize = 16;
const EF_ADD: usize = 128;

struct Usearch {
    index: usearch::Index,
    scopes: std::sync::Arc<Vec<u16>>,
}

impl Usearch {
    fn build(data: &Data, quantization: usearch::ScalarKind) -> Usearch {
        let options = usearch::IndexOptions {
            dimensions: data.dim,
            metric: usearch::MetricKind::IP,
            quantization,
            connectivity: M,
            expansion_add: EF_ADD,
            expansion_search: 64,
            multi: false,
        };
        let index = usearch::Index::new(&options).expect("usearch index");
        index
            .reserve_capacity_and_threads(data.scopes.len(), 2)
            .expect("reserve");
        let n = data.scopes.len();
        std::thread::scope(|s| {
            for t in 0..2 {
                let index = &index;
                s.spawn(move || {
                    for i in (t..n).step_by(2) {
                        index.add(i as u64, data.vector(i)).expect("add");
                    }
                });
            }
        });
        Usearch {
            index,
            scopes: std::sync::Arc::new(data.scopes.clone()),
        }
    }
}

impl Candidate for Usearch {
    fn name(&self) -> &'static str {
        "usearch"
    }
    fn search(&self, q: &[f32], k: usize, ef: usize, scope: Option<u16>) -> Vec<u64> {
        self.index.change_expansion_search(ef);
        let m = match scope {
            None => self.index.search(q, k),
            Some(s) => {
                let scopes = self.scopes.clone();
                self.index
                    .filtered_search(q, k, move |key: u64| scopes[key as usize] == s)
            }
        }
        .expect("search");
        m.keys
    }
    fn save_and_open(&self, dir: &std::path::Path) -> (f64, f64, u64) {
        let path = dir.join("usearch.index");
        let p = path.to_str().unwrap();
        let t = Instant::now();
        self.index.save(p).expect("save");
        let save = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let t = Instant::now();
        let other = usearch::Index::new(&usearch::IndexOptions {
            dimensions: self.index.dimensions(),
            ..Default::default()
        })
        .expect("index");
        other.view(p).expect("view");
        let open = t.elapsed().as_secs_f64();
        (save, open, size)
    }
}

struct HnswRs {
    hnsw: hnsw_rs::hnsw::Hnsw<'static, f32, anndists::dist::DistDot>,
    scopes: Vec<u16>,
}

impl HnswRs {
    fn build(data: &Data) -> HnswRs {
        let n = data.scopes.len();
        let hnsw = hnsw_rs::hnsw::Hnsw::new(M, n, 16, EF_ADD, anndists::dist::DistDot {});
        let rows: Vec<Vec<f32>> = (0..n).map(|i| data.vector(i).to_vec()).collect();
        let with_ids: Vec<(&Vec<f32>, usize)> = rows.iter().zip(0..n).collect();
        hnsw.parallel_insert(&with_ids);
        HnswRs {
            hnsw,
            scopes: data.scopes.clone(),
        }
    }
}

impl Candidate for HnswRs {
    fn name(&self) -> &'static str {
        "hnsw_rs"
    }
    fn search(&self, q: &[f32], k: usize, ef: usize, scope: Option<u16>) -> Vec<u64> {
        let found = match scope {
            None => self.hnsw.search(q, k, ef),
            Some(s) => {
                let scopes = &self.scopes;
                let f = |id: &usize| scopes[*id] == s;
                self.hnsw.search_filter(q, k, ef, Some(&f))
            }
        };
        found.into_iter().map(|n| n.d_id as u64).collect()
    }
    fn save_and_open(&self, dir: &std::path::Path) -> (f64, f64, u64) {
        use hnsw_rs::api::AnnT;
        let t = Instant::now();
        let name = self
            .hnsw
            .file_dump(dir, "hnswrs")
            .expect("dump");
        let save = t.elapsed().as_secs_f64();
        let size: u64 = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&name))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        let t = Instant::now();
        let mut io = hnsw_rs::hnswio::HnswIo::new(dir, &name);
        let loaded: hnsw_rs::hnsw::Hnsw<f32, anndists::dist::DistDot> =
            io.load_hnsw().expect("load");
        let open = t.elapsed().as_secs_f64();
        drop(loaded);
        (save, open, size)
    }
}

fn measure(c: &dyn Candidate, data: &Data, build_s: f64, rss_before: f64) -> serde_json::Value {
    let rss_after = rss_mib();
    let scope_of = |share: f64| -> u16 {
        // The scope whose share of the library is nearest `share`.
        let n = data.scopes.len() as f64;
        let mut counts = [0usize; 40];
        data.scopes.iter().for_each(|&s| counts[s as usize] += 1);
        (0..40u16)
            .min_by(|a, b| {
                let da = (counts[*a as usize] as f64 / n - share).abs();
                let db = (counts[*b as usize] as f64 / n - share).abs();
                da.total_cmp(&db)
            })
            .unwrap()
    };
    let mut runs = Vec::new();
    for (label, scope) in [
        ("all", None),
        ("5%", Some(scope_of(0.05))),
        ("0.5%", Some(scope_of(0.005))),
    ] {
        let share = scope.map_or(1.0, |s| {
            data.scopes.iter().filter(|&&x| x == s).count() as f64 / data.scopes.len() as f64
        });
        let truth: Vec<Vec<u64>> = data
            .queries
            .iter()
            .map(|q| data.exact(q, K, &|i| scope.is_none_or(|s| data.scopes[i] == s)))
            .collect();
        let mut chosen = serde_json::Value::Null;
        for ef in [16, 32, 64, 128, 256, 512] {
            let mut times = Vec::new();
            let mut got = Vec::new();
            for q in &data.queries {
                let t = Instant::now();
                got.push(c.search(q, K, ef.max(K), scope));
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let r = recall(&truth, &got);
            let row = serde_json::json!({
                "filter": label, "share": share, "ef": ef, "recall_at_10": r,
                "p50_ms": percentile(&times, 0.5), "p95_ms": percentile(&times, 0.95),
            });
            eprintln!("  {} {label:>4} ef={ef:<3} recall@10 {r:.4}  p50 {:.3} ms  p95 {:.3} ms", c.name(), percentile(&times, 0.5), percentile(&times, 0.95));
            chosen = row;
            if r >= 0.98 {
                break;
            }
        }
        runs.push(chosen);
    }
    let dir = std::env::temp_dir().join(format!("ann-compare-{}-{}", c.name(), std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (save_s, open_s, bytes) = c.save_and_open(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::json!({
        "crate": c.name(),
        "build_s": build_s,
        "build_vectors_per_s": data.scopes.len() as f64 / build_s,
        "rss_added_mib": rss_after - rss_before,
        "save_s": save_s, "open_s": open_s, "file_mib": bytes as f64 / 1048576.0,
        "queries": runs,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dim: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(384);
    let out = args.get(3).cloned().unwrap_or_else(|| "ann-compare.json".into());
    let which = std::env::var("ANN_CANDIDATES").unwrap_or_else(|_| "usearch,usearch-i8,hnsw_rs".into());
    eprintln!("{n} vectors of {dim} dimensions, {} queries", 300);
    let data = Data::make(n, dim);
    let mut results = Vec::new();
    for name in which.split(',') {
        let before = rss_mib();
        let t = Instant::now();
        let candidate: Box<dyn Candidate> = match name {
            "usearch" => Box::new(Usearch::build(&data, usearch::ScalarKind::F32)),
            "usearch-i8" => Box::new(Usearch::build(&data, usearch::ScalarKind::I8)),
            "usearch-f16" => Box::new(Usearch::build(&data, usearch::ScalarKind::F16)),
            "hnsw_rs" => Box::new(HnswRs::build(&data)),
            other => panic!("unknown candidate {other}"),
        };
        let build = t.elapsed().as_secs_f64();
        eprintln!("{name}: built in {build:.1} s");
        let mut row = measure(candidate.as_ref(), &data, build, before);
        row["variant"] = serde_json::Value::String(name.to_string());
        results.push(row);
        drop(candidate);
    }
    let report = serde_json::json!({
        "vectors": n, "dim": dim, "k": K, "connectivity": M, "expansion_add": EF_ADD,
        "threads": 2, "candidates": results,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
