//! The chunk vectors of one index generation, kept in parts: one per product and
//! version. Each part is a [`VectorSet`] file and, from [`ANN_MIN`] vectors up, an
//! approximate nearest-neighbour graph (usearch HNSW) beside it; both are named by a
//! hash of their content, so an update writes only the parts whose documents changed
//! and reuses every other file as it is. A small catalog `gen-N.json` lists the parts
//! of a generation; the tantivy commit whose manifest names it comes after every file
//! it lists is complete, so a crash never leaves a commit naming a missing or partial
//! part.
//!
//! Search: a version filter picks parts, so it applies before any graph is searched; a
//! doc-set filter applies inside a part's graph search, or by an exact scan where it
//! admits few of the part's vectors; a part without a graph (small, or
//! [`VectorIndex::Exact`]) is scanned exactly. The parts' hits are merged by score.
//!
//! Memory: a part searched by its graph keeps only its entries in memory; the graph is
//! memory-mapped and the f32 vectors stay in their file, read by position for the few
//! candidates re-scored (so opening a library reads headers, not vectors, and resident
//! memory is the entries plus the graph pages in use). Parts scanned exactly are read
//! into memory.

use crate::vectors::{VectorEntry, VectorFile, VectorSet};
use crate::IndexError;
use mcdewey_catalog::{write_atomic, Filter};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Parts with at least this many vectors get a graph; smaller ones are scanned.
pub const ANN_MIN: usize = 20_000;

/// [`ANN_MIN`], or `MCDEWEY_ANN_MIN` when set to a number (for tests that need graphs on
/// a small library, such as the crash test, and for measuring where a graph pays).
fn ann_min() -> usize {
    std::env::var("MCDEWEY_ANN_MIN")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(ANN_MIN)
}
/// Graph degree (HNSW M).
const CONNECTIVITY: usize = 16;
/// Breadth of the graph search while building (HNSW ef_construction).
const EXPANSION_ADD: usize = 128;
/// Breadth of the graph search at query time; at least the number of candidates asked
/// (150 for the 100 a hybrid search fuses). 128 rather than 256: at a million chunks
/// recall@10 stays at 0.99 with and without a version filter (0.993-0.998 at 256), for
/// a sixth less CPU a hybrid query (docs/performance.md).
pub const SEARCH_BREADTH: usize = 128;

/// [`SEARCH_BREADTH`], or `MCDEWEY_SEARCH_BREADTH` when set to a number from 16 to
/// 4096 (more recall for more time); another value is refused with a warning.
fn search_breadth() -> usize {
    breadth_of(std::env::var("MCDEWEY_SEARCH_BREADTH").ok().as_deref())
}

/// The search breadth a `MCDEWEY_SEARCH_BREADTH` value asks for.
fn breadth_of(value: Option<&str>) -> usize {
    let Some(v) = value else {
        return SEARCH_BREADTH;
    };
    match v.trim().parse::<usize>() {
        Ok(n) if (16..=4096).contains(&n) => n,
        _ => {
            tracing::warn!(
                target: "mcdewey::index",
                "MCDEWEY_SEARCH_BREADTH={v:?} is not a number from 16 to 4096; searching at breadth {SEARCH_BREADTH}"
            );
            SEARCH_BREADTH
        }
    }
}

/// The graph is asked for half again the results wanted, and at least this many; they
/// are scored again exactly with the part's own f32 vectors (the graph's are 8-bit)
/// and the best kept. (Four times as many cost a hybrid search at 1M chunks,
/// 100 vector candidates deep, 25 ms of vector search instead of 15: every extra
/// candidate widens the graph search and is read from disk.)
const MIN_CANDIDATES: usize = 40;
/// Below this share of a part's vectors, a doc-set filter scans them exactly instead
/// of searching the graph (a graph search through mostly filtered-out nodes is slow
/// and loses recall).
const FILTERED_SCAN_SHARE: f64 = 0.2;

/// How vectors are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VectorIndex {
    /// The graph of each part that has one, an exact scan elsewhere.
    #[default]
    Auto,
    /// An exact scan of every vector (what the graphs are measured against).
    Exact,
}

impl std::str::FromStr for VectorIndex {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "ann" | "hnsw" => Ok(VectorIndex::Auto),
            "exact" => Ok(VectorIndex::Exact),
            _ => Err(format!("{s:?} is not auto or exact")),
        }
    }
}

impl VectorIndex {
    /// The name `from_str` reads.
    pub fn name(self) -> &'static str {
        match self {
            VectorIndex::Auto => "auto",
            VectorIndex::Exact => "exact",
        }
    }

    /// From `MCDEWEY_VECTOR_INDEX` (auto or exact; auto when unset or unreadable).
    pub fn from_env() -> VectorIndex {
        std::env::var("MCDEWEY_VECTOR_INDEX")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    }
}

/// One part as the catalog records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartRef {
    pub(crate) product: String,
    pub(crate) version: String,
    /// The [`VectorSet`] file.
    pub(crate) file: String,
    /// The graph file, for parts of [`ANN_MIN`] vectors or more.
    pub(crate) ann: Option<String>,
    /// The scale of the graph's 8-bit vectors ([`quantize`]); absent for the half
    /// precision graphs of earlier generations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scale: Option<f32>,
    pub(crate) count: usize,
    /// A hash of what the part was made from (model, settings, each document's content
    /// hash): an update keeps the part when it is the same.
    #[serde(default)]
    pub(crate) signature: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Catalog {
    model_id: String,
    dim: usize,
    parts: Vec<PartRef>,
}

/// A chunk's key in the graphs: the first 8 bytes of the BLAKE3 of its id, stable
/// across generations, so a part's graph can be changed in place when a few of its
/// documents change.
fn key_of(id: &str) -> u64 {
    let h = blake3::hash(id.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// A part, searchable.
pub struct Part {
    /// Product folder.
    pub product: String,
    /// Version folder.
    pub version: String,
    vectors: PartVectors,
    graph: Option<usearch::Index>,
    /// The scale of the graph's 8-bit vectors (queries are quantised with it); `None`
    /// for a half-precision graph, searched with the f32 query.
    scale: Option<f32>,
    /// Entry of each chunk id's key (the graph's keys).
    by_key: std::collections::HashMap<u64, u32>,
}

/// Where a part's f32 vectors are: a part searched by its graph reads only the few
/// candidates it re-scores, so its vectors stay on disk (resident memory does not grow
/// with the library); a part scanned exactly keeps them in memory.
enum PartVectors {
    Memory(VectorSet),
    Disk(VectorFile),
}

/// All chunk vectors of one index generation.
pub struct Vectors {
    /// The model that made them.
    pub model_id: String,
    /// Vector length.
    pub dim: usize,
    /// The parts, by product and version.
    pub parts: Vec<Part>,
    mode: VectorIndex,
    gate: Gate,
    /// Threads a search may use: the machine's cores, at most four.
    threads: usize,
}

fn corrupt(path: &Path, reason: String) -> IndexError {
    IndexError::Corrupt {
        path: path.to_path_buf(),
        reason,
    }
}

/// Graph searches that may run at once. usearch keeps a search context per concurrent
/// search and fails a search when none is free (a graph opens with one per core); each
/// graph gets this many and [`Gate`] makes any further search wait for one.
const GRAPH_SEARCHERS: usize = 32;

fn open_graph(path: &Path, scale: Option<f32>) -> Result<usearch::Index, IndexError> {
    let text = path.to_string_lossy();
    let index = usearch::Index::restore_view(&text)
        .map_err(|e| corrupt(path, format!("vector graph: {e}")))?;
    let kind = index.scalar_kind();
    let expected = match scale {
        Some(_) => usearch::ScalarKind::I8,
        None => usearch::ScalarKind::F16,
    };
    if kind != expected {
        return Err(corrupt(
            path,
            format!("vector graph of {kind:?} where the catalog says {expected:?}"),
        ));
    }
    index
        .reserve_capacity_and_threads(index.size(), GRAPH_SEARCHERS)
        .map_err(|e| corrupt(path, format!("vector graph search contexts: {e}")))?;
    index.change_expansion_search(search_breadth());
    Ok(index)
}

/// Above this many vectors in the parts a search admits, it searches them side by side.
const PARALLEL_MIN: usize = 50_000;

fn search_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// A counting semaphore over the graphs' search contexts: a search holds one while it
/// runs (one part at a time), so no graph search fails for want of a context.
#[derive(Default)]
struct Gate {
    busy: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

struct Pass<'a>(&'a Gate);

impl Gate {
    fn enter(&self) -> Pass<'_> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= GRAPH_SEARCHERS {
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        Pass(self)
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut busy = self.0.busy.lock().unwrap_or_else(|e| e.into_inner());
        *busy -= 1;
        self.0.freed.notify_one();
    }
}

impl Vectors {
    /// Loads the generation `name` of the `vectors` folder `dir`: a catalog
    /// (`gen-N.json`) and its parts, or a one-file set of the older format
    /// (`gen-N.bin`), split into parts in memory (searched exactly until the next
    /// update writes it anew).
    pub fn load(dir: &Path, name: &str, mode: VectorIndex) -> Result<Vectors, IndexError> {
        let path = dir.join(name);
        if name.ends_with(".bin") {
            let set = VectorSet::load(&path)?;
            return Ok(Vectors::from_set(set, mode));
        }
        let bytes = std::fs::read(&path).map_err(IndexError::io(&path))?;
        let catalog: Catalog = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(&path, format!("vector catalog: {e}")))?;
        let mut parts = Vec::with_capacity(catalog.parts.len());
        for r in catalog.parts {
            let graph = match (&r.ann, mode) {
                (Some(g), VectorIndex::Auto) => Some(open_graph(&dir.join(g), r.scale)?),
                _ => None,
            };
            let path = dir.join(&r.file);
            let vectors = match graph {
                Some(_) => PartVectors::Disk(VectorFile::open(&path)?),
                None => PartVectors::Memory(VectorSet::load(&path)?),
            };
            let (count, dim) = match &vectors {
                PartVectors::Disk(f) => (f.entries.len(), f.dim),
                PartVectors::Memory(set) => (set.len(), set.dim),
            };
            if count != r.count || dim != catalog.dim {
                return Err(corrupt(
                    &path,
                    format!(
                        "{count} vectors of {dim} where the catalog says {} of {}",
                        r.count, catalog.dim
                    ),
                ));
            }
            parts.push(Part::keyed(
                r.product.clone(),
                r.version.clone(),
                vectors,
                graph,
                r.scale,
            ));
        }
        Ok(Vectors {
            model_id: catalog.model_id,
            dim: catalog.dim,
            parts,
            mode,
            gate: Gate::default(),
            threads: search_threads(),
        })
    }

    /// The parts of a one-file set, without graphs.
    fn from_set(set: VectorSet, mode: VectorIndex) -> Vectors {
        let mut sets: Vec<VectorSet> = Vec::new();
        for i in 0..set.len() {
            let e = &set.entries[i];
            let at = match sets.iter().position(|p| {
                p.entries
                    .first()
                    .is_some_and(|f| f.product == e.product && f.version == e.version)
            }) {
                Some(at) => at,
                None => {
                    sets.push(VectorSet::new(&set.model_id, set.dim));
                    sets.len() - 1
                }
            };
            sets[at].push(e.clone(), set.vector(i));
        }
        let parts = sets
            .into_iter()
            .map(|part| {
                let (product, version) = (
                    part.entries[0].product.to_string(),
                    part.entries[0].version.to_string(),
                );
                Part::keyed(product, version, PartVectors::Memory(part), None, None)
            })
            .collect();
        Vectors {
            model_id: set.model_id.clone(),
            dim: set.dim,
            parts,
            mode,
            gate: Gate::default(),
            threads: search_threads(),
        }
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Part::len).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Parts searched by their graph.
    pub fn graphs(&self) -> usize {
        self.parts.iter().filter(|p| p.graph.is_some()).count()
    }

    /// How vectors are searched from now on ([`VectorIndex::Exact`] ignores the graphs).
    pub fn set_mode(&mut self, mode: VectorIndex) {
        self.mode = mode;
    }

    /// Breadth of the graph searches from now on (default [`SEARCH_BREADTH`]; at least
    /// the number of candidates asked for).
    pub fn set_search_breadth(&self, ef: usize) {
        for g in self.parts.iter().filter_map(|p| p.graph.as_ref()) {
            g.change_expansion_search(ef);
        }
    }

    /// The part of a product and version.
    pub fn part(&self, product: &str, version: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| p.product == product && p.version == version)
    }

    /// The `limit` entries most similar to `query` (dot product) among those the filter
    /// admits, best first.
    pub fn nearest(&self, query: &[f32], filter: &Filter, limit: usize) -> Vec<(String, f32)> {
        if limit == 0 {
            return Vec::new();
        }
        let admitted: Vec<&Part> = self
            .parts
            .iter()
            .filter(|part| {
                filter.product.as_ref().is_none_or(|p| p == &part.product)
                    && filter.versions.as_ref().is_none_or(|pairs| {
                        pairs
                            .iter()
                            .any(|(p, v)| p == &part.product && v == &part.version)
                    })
            })
            .collect();
        let doc_set = filter.doc_set.as_deref();
        let search = |part: &&Part| part.nearest(query, doc_set, limit, self.mode, &self.gate);
        // Large parts are searched side by side, one thread a core.
        let size: usize = admitted.iter().map(|p| p.len()).sum();
        let threads = match (admitted.len(), size >= PARALLEL_MIN) {
            (2.., true) => self.threads.min(admitted.len()),
            _ => 1,
        };
        let mut hits: Vec<(String, f32)> = std::thread::scope(|s| {
            let others: Vec<_> = (1..threads)
                .map(|t| {
                    let (admitted, search) = (&admitted, &search);
                    s.spawn(move || {
                        let mine = admitted.iter().skip(t).step_by(threads);
                        mine.flat_map(search).collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut hits: Vec<_> = admitted.iter().step_by(threads).flat_map(search).collect();
            for other in others {
                // A search thread that panicked loses its parts' hits, not the search.
                hits.extend(other.join().unwrap_or_default());
            }
            hits
        });
        let limit = limit.min(hits.len());
        if limit == 0 {
            return hits;
        }
        hits.select_nth_unstable_by(limit - 1, |a, b| b.1.total_cmp(&a.1));
        hits.truncate(limit);
        hits.sort_by(|a, b| b.1.total_cmp(&a.1));
        hits
    }

    /// The similarity to `query` of each chunk `ids` names (`product`, `version`, id),
    /// exactly, in the order asked; `None` for a chunk without a vector (or one whose
    /// vector cannot be read).
    pub fn similarities(&self, query: &[f32], ids: &[(&str, &str, &str)]) -> Vec<Option<f32>> {
        ids.iter()
            .map(|&(product, version, id)| {
                let part = self.part(product, version)?;
                let &i = part.by_key.get(&key_of(id))?;
                (part.entries()[i as usize].id == id)
                    .then(|| part.score(i as usize, query))
                    .flatten()
            })
            .collect()
    }
}

impl Part {
    /// A part with its entries found by key.
    fn keyed(
        product: String,
        version: String,
        vectors: PartVectors,
        graph: Option<usearch::Index>,
        scale: Option<f32>,
    ) -> Part {
        let mut part = Part {
            product,
            version,
            vectors,
            graph,
            scale,
            by_key: Default::default(),
        };
        part.by_key = part
            .entries()
            .iter()
            .enumerate()
            .map(|(i, e)| (key_of(&e.id), i as u32))
            .collect();
        part
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, in the order of the vectors.
    pub fn entries(&self) -> &[VectorEntry] {
        match &self.vectors {
            PartVectors::Memory(set) => &set.entries,
            PartVectors::Disk(file) => &file.entries,
        }
    }

    /// The vectors, when the part holds them in memory.
    pub fn in_memory(&self) -> Option<&VectorSet> {
        match &self.vectors {
            PartVectors::Memory(set) => Some(set),
            PartVectors::Disk(_) => None,
        }
    }

    /// Entry `i`'s similarity to `query`.
    fn score(&self, i: usize, query: &[f32]) -> Option<f32> {
        match &self.vectors {
            PartVectors::Memory(set) => Some(mcdewey_embed::dot(set.vector(i), query)),
            PartVectors::Disk(file) => file.score(i, query),
        }
    }

    fn scan(
        &self,
        query: &[f32],
        admits: &dyn Fn(&VectorEntry) -> bool,
        limit: usize,
    ) -> Vec<(String, f32)> {
        match &self.vectors {
            PartVectors::Memory(set) => set.scan(query, admits, limit),
            PartVectors::Disk(file) => file.scan(query, admits, limit),
        }
    }

    fn nearest(
        &self,
        query: &[f32],
        doc_set: Option<&str>,
        limit: usize,
        mode: VectorIndex,
        gate: &Gate,
    ) -> Vec<(String, f32)> {
        let graph = self.graph.as_ref().filter(|_| mode == VectorIndex::Auto);
        if let Some(graph) = graph {
            let entries = self.entries();
            let share = doc_set.map_or(1.0, |d| {
                entries.iter().filter(|e| &*e.doc_set == d).count() as f64
                    / entries.len().max(1) as f64
            });
            if share >= FILTERED_SCAN_SHARE {
                let count = (limit + limit / 2).max(MIN_CANDIDATES);
                let by_key = &self.by_key;
                let admits = |key: u64| {
                    doc_set.is_none_or(|d| {
                        by_key
                            .get(&key)
                            .is_some_and(|&i| &*entries[i as usize].doc_set == d)
                    })
                };
                let pass = gate.enter();
                let filter = doc_set.map(|_| admits);
                let found = match self.scale {
                    Some(scale) => search_graph(graph, &quantize(query, scale), count, filter),
                    None => search_graph(graph, query, count, filter),
                };
                drop(pass);
                match found {
                    Err(e) => tracing::warn!(
                        target: "mcdewey::index",
                        "vector graph of {} {} failed ({e}); scanning its vectors instead",
                        self.product,
                        self.version
                    ),
                    Ok(m) => {
                        let mut found: Vec<usize> = m
                            .keys
                            .iter()
                            .filter_map(|k| self.by_key.get(k))
                            .map(|&i| i as usize)
                            .collect();
                        // In file order, so neighbouring reads from disk come together.
                        found.sort_unstable();
                        let scored = found
                            .into_iter()
                            .filter_map(|i| Some((i, self.score(i, query)?)))
                            .collect();
                        return crate::vectors::best(scored, limit, entries);
                    }
                }
            }
        }
        let only = |e: &VectorEntry| doc_set.is_none_or(|d| &*e.doc_set == d);
        self.scan(query, &only, limit)
    }
}

/// The `count` nearest of a graph to `query` (in the graph's own kind of vector), among
/// the keys `filter` admits when there is one.
fn search_graph<T: usearch::VectorType>(
    graph: &usearch::Index,
    query: &[T],
    count: usize,
    filter: Option<impl Fn(u64) -> bool>,
) -> Result<usearch::ffi::Matches, String> {
    match filter {
        Some(admits) => graph.filtered_search(query, count, admits),
        None => graph.search(query, count),
    }
    .map_err(|e| e.to_string())
}

/// A part of a new generation: one whose files can be reused as they are, or one to
/// write.
pub(crate) enum NewPart {
    /// Unchanged since the generation it comes from.
    Kept(PartRef),
    /// New or changed, with its signature and, for a changed part, its previous
    /// generation.
    Fresh(VectorSet, String, Option<Base>),
}

/// The name of a part's files: a hash of the model, the ids and the vectors.
fn part_hash(set: &VectorSet) -> String {
    let mut h = blake3::Hasher::new();
    h.update(set.model_id.as_bytes());
    h.update(&(set.dim as u64).to_le_bytes());
    for e in &set.entries {
        h.update(e.id.as_bytes());
        h.update(b"\0");
        h.update(e.doc_set.as_bytes());
        h.update(b"\0");
    }
    set.write_vectors(&mut h)
        .expect("hashing into memory does not fail");
    h.finalize().to_hex()[..24].to_string()
}

/// The graph of a part's previous generation and its vectors, to change in place.
pub(crate) struct Base {
    pub(crate) graph: PathBuf,
    /// The scale of its 8-bit vectors (`None`: an earlier half-precision graph, which
    /// is built anew rather than changed).
    pub(crate) scale: Option<f32>,
    pub(crate) set: VectorSet,
}

/// Above this share of a part's vectors removed or changed, its graph is built anew
/// rather than changed in place (removed nodes linger in a graph as tombstones).
const REBUILD_SHARE: f64 = 0.3;

/// Share of a part's vector components that [`graph_scale`] maps inside ±127 without
/// clamping.
pub const GRAPH_QUANTILE: f64 = 0.9999;

/// The scale of a part's 8-bit graph vectors: 127 over the magnitude of the component
/// at [`GRAPH_QUANTILE`] (of a sample of at most 20,000 vectors), so all but the rarest
/// components keep their full resolution. (usearch's own conversion to 8 bits divides
/// each vector by its length and truncates: a unit vector of 384 dimensions keeps about
/// five levels a component, and the graph's recall stops near 0.9.)
pub fn graph_scale(set: &VectorSet, quantile: f64) -> f32 {
    let step = (set.len() / 20_000).max(1);
    let mut mags: Vec<f32> = (0..set.len())
        .step_by(step)
        .flat_map(|i| set.vector(i).iter().map(|x| x.abs()))
        .filter(|x| x.is_finite())
        .collect();
    if mags.is_empty() {
        return 127.0;
    }
    let at = ((mags.len() - 1) as f64 * quantile.clamp(0.0, 1.0)) as usize;
    let (_, &mut top, _) = mags.select_nth_unstable_by(at, f32::total_cmp);
    Some(127.0 / top)
        .filter(|s| top > 0.0 && s.is_finite())
        .unwrap_or(127.0)
}

/// A vector as the graph holds it: each component times `scale`, rounded, within ±127.
/// The graph's inner product of two such vectors orders them as the f32 vectors' does,
/// up to rounding; candidates are scored again with the f32 vectors.
pub fn quantize(v: &[f32], scale: f32) -> Vec<i8> {
    v.iter()
        .map(|x| (x * scale).round().clamp(-127.0, 127.0) as i8)
        .collect()
}

fn graph_options(dim: usize) -> usearch::IndexOptions {
    usearch::IndexOptions {
        dimensions: dim,
        metric: usearch::MetricKind::IP,
        // 8-bit vectors at the part's own scale: half the memory of half precision,
        // the same recall once candidates are scored again (docs/performance.md).
        quantization: usearch::ScalarKind::I8,
        connectivity: CONNECTIVITY,
        expansion_add: EXPANSION_ADD,
        expansion_search: SEARCH_BREADTH,
        multi: false,
    }
}

/// Adds the vectors `add` (entry positions in `set`), quantised at `scale`, to `index`,
/// on every core.
fn add_all(
    index: &usearch::Index,
    set: &VectorSet,
    scale: f32,
    add: &[usize],
) -> Result<(), String> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    index
        .reserve_capacity_and_threads(index.size() + add.len(), threads)
        .map_err(|e| e.to_string())?;
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    for &i in add.iter().skip(t).step_by(threads) {
                        index
                            .add(key_of(&set.entries[i].id), &quantize(set.vector(i), scale))
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err("a graph builder thread panicked".into()))
        })
    })
}

/// The previous graph with the vectors of `set` that are gone or changed removed and
/// the new ones added (at the previous graph's scale); `None` when too much changed,
/// the old graph is of the earlier half-precision kind, or it cannot be read.
fn changed_graph(set: &VectorSet, base: &Base) -> Option<usearch::Index> {
    let scale = base.scale?;
    let old: std::collections::HashMap<&str, usize> = base
        .set
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    let mut add = Vec::new();
    let mut kept = std::collections::HashSet::new();
    for (i, e) in set.entries.iter().enumerate() {
        match old.get(e.id.as_str()) {
            Some(&j) if base.set.vector(j) == set.vector(i) => {
                kept.insert(j);
            }
            _ => add.push(i),
        }
    }
    let gone: Vec<u64> = (0..base.set.len())
        .filter(|j| !kept.contains(j))
        .map(|j| key_of(&base.set.entries[j].id))
        .collect();
    if (gone.len() as f64) > REBUILD_SHARE * base.set.len() as f64 {
        return None;
    }
    let index = usearch::Index::new(&graph_options(set.dim)).ok()?;
    index.load(&base.graph.to_string_lossy()).ok()?;
    for key in gone {
        index.remove(key).ok()?;
    }
    add_all(&index, set, scale, &add).ok()?;
    Some(index)
}

/// The scale of a part's graph: the previous graph's, so that it can be changed in
/// place, or the part's own.
fn scale_for(set: &VectorSet, base: Option<&Base>) -> f32 {
    base.and_then(|b| b.scale)
        .unwrap_or_else(|| graph_scale(set, GRAPH_QUANTILE))
}

/// Builds a part's graph at `scale` — changing the previous one in place when `base`
/// allows — and writes it to `path` (through a temporary name, so the file is whole or
/// absent).
fn write_graph(
    set: &VectorSet,
    base: Option<&Base>,
    scale: f32,
    path: &Path,
) -> Result<(), IndexError> {
    let failed = |e: String| corrupt(path, format!("building the vector graph: {e}"));
    let index = match base.and_then(|b| changed_graph(set, b)) {
        Some(index) => index,
        None => {
            let index =
                usearch::Index::new(&graph_options(set.dim)).map_err(|e| failed(e.to_string()))?;
            let all: Vec<usize> = (0..set.len()).collect();
            add_all(&index, set, scale, &all).map_err(failed)?;
            index
        }
    };
    let tmp = path.with_extension("part");
    index
        .save(&tmp.to_string_lossy())
        .map_err(|e| corrupt(&tmp, format!("saving the vector graph: {e}")))?;
    std::fs::rename(&tmp, path).map_err(IndexError::io(path))
}

/// Writes a generation into the `vectors` folder `dir`: the files of fresh parts not on
/// disk already (same content, same name), then the catalog `gen-{generation}.json`;
/// returns the catalog's name and the files it names.
pub(crate) fn write_generation(
    dir: &Path,
    model_id: &str,
    dim: usize,
    parts: Vec<NewPart>,
    generation: u64,
) -> Result<(String, Vec<String>), IndexError> {
    std::fs::create_dir_all(dir).map_err(IndexError::io(dir))?;
    let mut refs = Vec::with_capacity(parts.len());
    for part in parts {
        let r = match part {
            NewPart::Kept(r) => r,
            NewPart::Fresh(set, signature, base) => {
                let Some(first) = set.entries.first() else {
                    continue;
                };
                let (product, version) = (first.product.to_string(), first.version.to_string());
                let hash = part_hash(&set);
                let file = format!("part-{hash}.bin");
                if !dir.join(&file).is_file() {
                    set.save(&dir.join(&file))?;
                }
                // The graph's name holds its scale: a file of that name was built at it.
                let scale = (set.len() >= ann_min()).then(|| scale_for(&set, base.as_ref()));
                let ann = scale.map(|q| format!("ann-{hash}-{:08x}.usearch", q.to_bits()));
                if let (Some(g), Some(q)) = (&ann, scale) {
                    if !dir.join(g).is_file() {
                        write_graph(&set, base.as_ref(), q, &dir.join(g))?;
                    }
                }
                PartRef {
                    product,
                    version,
                    file,
                    ann,
                    scale,
                    count: set.len(),
                    signature,
                }
            }
        };
        refs.push(r);
    }
    let files: Vec<String> = refs
        .iter()
        .flat_map(|r| std::iter::once(r.file.clone()).chain(r.ann.clone()))
        .collect();
    let name = format!("gen-{generation}.json");
    let catalog = Catalog {
        model_id: model_id.to_string(),
        dim,
        parts: refs,
    };
    let json = serde_json::to_vec(&catalog).expect("catalog serialises");
    write_atomic(&dir.join(&name), |w| w.write_all(&json))?;
    Ok((name, files))
}

/// The generation an update starts from: its catalog, whose parts are read only when
/// a part changed (or, for the older one-file format, every vector, once).
pub(crate) enum Previous {
    /// A catalog in the `vectors` folder `dir`.
    Catalog { dir: PathBuf, parts: Vec<PartRef> },
    /// A one-file generation, split into parts.
    Whole(Vectors),
}

impl Previous {
    /// The generation `name` of the `vectors` folder `dir`.
    pub(crate) fn open(dir: &Path, name: &str) -> Result<Previous, IndexError> {
        if name.ends_with(".bin") {
            return Vectors::load(dir, name, VectorIndex::Exact).map(Previous::Whole);
        }
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(IndexError::io(&path))?;
        let catalog: Catalog = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(&path, format!("vector catalog: {e}")))?;
        Ok(Previous::Catalog {
            dir: dir.to_path_buf(),
            parts: catalog.parts,
        })
    }

    /// The part of a product and version when it was made from the same `signature`.
    pub(crate) fn unchanged(
        &self,
        product: &str,
        version: &str,
        signature: &str,
    ) -> Option<PartRef> {
        match self {
            Previous::Catalog { parts, .. } => parts
                .iter()
                .find(|r| r.product == product && r.version == version && r.signature == signature)
                .cloned(),
            Previous::Whole(_) => None,
        }
    }

    /// The graph file of a product and version, when it has one, and its scale.
    pub(crate) fn graph(&self, product: &str, version: &str) -> Option<(PathBuf, Option<f32>)> {
        match self {
            Previous::Catalog { dir, parts } => parts
                .iter()
                .find(|r| r.product == product && r.version == version)
                .and_then(|r| Some((dir.join(r.ann.as_ref()?), r.scale))),
            Previous::Whole(_) => None,
        }
    }

    /// The vectors of a product and version, read now.
    pub(crate) fn vectors(&self, product: &str, version: &str) -> Option<VectorSet> {
        match self {
            Previous::Catalog { dir, parts } => parts
                .iter()
                .find(|r| r.product == product && r.version == version)
                .and_then(|r| VectorSet::load(&dir.join(&r.file)).ok()),
            Previous::Whole(v) => v.part(product, version).and_then(Part::in_memory).cloned(),
        }
    }
}

/// Files of the `vectors` folder that the current generation does not name (left by
/// earlier generations, or by an update that crashed before its commit).
pub(crate) fn unreferenced(dir: &Path, current: Option<&str>) -> Vec<PathBuf> {
    let mut keep: Vec<String> = current.map(str::to_string).into_iter().collect();
    if let Some(name) = current.filter(|n| n.ends_with(".json")) {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            match serde_json::from_slice::<Catalog>(&bytes) {
                Ok(c) => keep.extend(
                    c.parts
                        .into_iter()
                        .flat_map(|r| std::iter::once(r.file).chain(r.ann)),
                ),
                // An unreadable catalog: remove nothing.
                Err(_) => return Vec::new(),
            }
        }
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let ours =
                name.starts_with("gen-") || name.starts_with("part-") || name.starts_with("ann-");
            ours && !keep.contains(&name)
        })
        .map(|e| e.path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_breadth_is_read_from_its_setting_within_bounds() {
        assert_eq!(breadth_of(None), SEARCH_BREADTH);
        assert_eq!(breadth_of(Some(" 512 ")), 512);
        assert_eq!(breadth_of(Some("16")), 16);
        for refused in ["8", "5000", "wide", "", "-1"] {
            assert_eq!(breadth_of(Some(refused)), SEARCH_BREADTH, "{refused:?}");
        }
    }

    fn entry(id: usize, version: &str, doc_set: &str) -> VectorEntry {
        VectorEntry {
            id: format!("p::{version}::{doc_set}::doc::{id}"),
            product: "p".into(),
            version: version.into(),
            doc_set: doc_set.into(),
        }
    }

    /// Deterministic pseudo-random unit vectors.
    fn vector(i: usize, dim: usize) -> Vec<f32> {
        let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut v: Vec<f32> = (0..dim)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        v
    }

    fn set_of(version: &str, n: usize, dim: usize) -> VectorSet {
        let mut set = VectorSet::new("m", dim);
        for i in 0..n {
            let doc_set = if i.is_multiple_of(10) { "small" } else { "big" };
            set.push(entry(i, version, doc_set), &vector(i, dim));
        }
        set
    }

    #[test]
    fn parts_are_written_once_found_again_and_searched_like_an_exact_scan() {
        let dir = tempfile::tempdir().unwrap();
        let dim = 24;
        let big = set_of("v2", ANN_MIN + 500, dim);
        let small = set_of("v1", 300, dim);
        let (name, files) = write_generation(
            dir.path(),
            "m",
            dim,
            vec![
                NewPart::Fresh(small.clone(), "s1".into(), None),
                NewPart::Fresh(big.clone(), "b1".into(), None),
            ],
            1,
        )
        .unwrap();
        assert_eq!(name, "gen-1.json");
        assert_eq!(files.len(), 3, "two sets and one graph: {files:?}");
        let auto = Vectors::load(dir.path(), &name, VectorIndex::Auto).unwrap();
        assert_eq!((auto.len(), auto.graphs()), (ANN_MIN + 800, 1));
        let exact = Vectors::load(dir.path(), &name, VectorIndex::Exact).unwrap();
        assert_eq!(exact.graphs(), 0);
        // The graph part's vectors stay on disk; the small part's and an exact load's are
        // in memory.
        let on_disk = |v: &Vectors| {
            v.parts
                .iter()
                .map(|p| p.in_memory().is_none())
                .collect::<Vec<_>>()
        };
        assert_eq!(on_disk(&auto), vec![false, true]);
        assert_eq!(on_disk(&exact), vec![false, false]);
        // Named chunks' similarities are exact, in memory and on disk, in the order asked;
        // none for a chunk that is not there.
        let query = vector(5000, dim);
        let (a, b, gone) = (
            "p::v1::big::doc::7".to_string(),
            format!("p::v2::big::doc::{}", ANN_MIN + 3),
            "p::v1::big::doc::999".to_string(),
        );
        let asked = [
            ("p", "v2", b.as_str()),
            ("p", "v1", a.as_str()),
            ("p", "v1", gone.as_str()),
            ("p", "v3", a.as_str()),
        ];
        let want = vec![
            Some(mcdewey_embed::dot(&vector(ANN_MIN + 3, dim), &query)),
            Some(mcdewey_embed::dot(&vector(7, dim), &query)),
            None,
            None,
        ];
        assert_eq!(auto.similarities(&query, &asked), want);
        assert_eq!(exact.similarities(&query, &asked), want);
        // An exact scan read from disk finds what the one in memory finds, filters and
        // all.
        let mut scanned = Vectors::load(dir.path(), &name, VectorIndex::Auto).unwrap();
        scanned.set_mode(VectorIndex::Exact);
        let small_only = Filter {
            doc_set: Some("small".into()),
            ..Default::default()
        };
        for filter in [Filter::default(), small_only] {
            let query = vector(7, dim);
            assert_eq!(
                scanned.nearest(&query, &filter, 25),
                exact.nearest(&query, &filter, 25)
            );
        }

        // The graph finds what the exact scan finds, with and without filters.
        let filters = [
            Filter::default(),
            Filter {
                versions: Some(vec![("p".into(), "v2".into())]),
                ..Default::default()
            },
            Filter {
                doc_set: Some("small".into()),
                ..Default::default()
            },
        ];
        for filter in &filters {
            let (mut hit, mut all) = (0, 0);
            for q in 0..40 {
                let query = vector(q * 37 + 11, dim);
                let want = exact.nearest(&query, filter, 10);
                let got = auto.nearest(&query, filter, 10);
                assert!(got.iter().all(|(id, _)| filter
                    .doc_set
                    .as_deref()
                    .is_none_or(|d| id.contains(&format!("::{d}::")))));
                all += want.len();
                hit += want
                    .iter()
                    .filter(|w| got.iter().any(|g| g.0 == w.0))
                    .count();
            }
            let recall = hit as f64 / all as f64;
            assert!(recall >= 0.95, "recall {recall} with {filter:?}");
        }

        // A second generation with one part changed writes only that part; the other
        // files are reused, and the first generation's graph is left to be removed.
        let mut changed = small.clone();
        changed.push(entry(300, "v1", "big"), &vector(300, dim));
        let kept = Previous::open(dir.path(), &name)
            .unwrap()
            .unchanged("p", "v2", "b1")
            .unwrap();
        assert!(Previous::open(dir.path(), &name)
            .unwrap()
            .unchanged("p", "v2", "other")
            .is_none());
        let (name2, files2) = write_generation(
            dir.path(),
            "m",
            dim,
            vec![
                NewPart::Fresh(changed, "s2".into(), None),
                NewPart::Kept(kept.clone()),
            ],
            2,
        )
        .unwrap();
        assert!(files2.contains(&kept.file) && files2.contains(kept.ann.as_ref().unwrap()));
        let stale = unreferenced(dir.path(), Some(&name2));
        let stale: Vec<String> = stale
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(stale.len(), 2, "gen-1.json and the old v1 set: {stale:?}");
        assert!(stale.contains(&"gen-1.json".to_string()));
        let again = Vectors::load(dir.path(), &name2, VectorIndex::Auto).unwrap();
        assert_eq!(again.len(), ANN_MIN + 801);

        // The big part with a few vectors changed, removed and added: its graph is the
        // previous one changed in place, and still finds what an exact scan finds.
        let mut bigger = VectorSet::new("m", dim);
        for i in 0..big.len() {
            match i {
                0..=9 => {}                                                               // removed
                10..=19 => bigger.push(big.entries[i].clone(), &vector(i + 50_000, dim)), // changed
                _ => bigger.push(big.entries[i].clone(), big.vector(i)),
            }
        }
        for i in 0..20 {
            bigger.push(entry(90_000 + i, "v2", "big"), &vector(90_000 + i, dim));
        }
        let (graph, scale) = Previous::open(dir.path(), &name2)
            .unwrap()
            .graph("p", "v2")
            .unwrap();
        assert!(scale.is_some(), "an 8-bit graph");
        let base = Base {
            graph,
            scale,
            set: big.clone(),
        };
        assert!(changed_graph(&bigger, &base).is_some(), "changed in place");
        let (name3, _) = write_generation(
            dir.path(),
            "m",
            dim,
            vec![NewPart::Fresh(bigger.clone(), "b2".into(), Some(base))],
            3,
        )
        .unwrap();
        let auto = Vectors::load(dir.path(), &name3, VectorIndex::Auto).unwrap();
        let exact = Vectors::load(dir.path(), &name3, VectorIndex::Exact).unwrap();
        assert_eq!((auto.len(), auto.graphs()), (bigger.len(), 1));
        let (mut hit, mut all) = (0, 0);
        for q in 0..40 {
            let query = vector(90_000 + q % 20, dim);
            let want = exact.nearest(&query, &Filter::default(), 10);
            let got = auto.nearest(&query, &Filter::default(), 10);
            all += want.len();
            hit += want
                .iter()
                .filter(|w| got.iter().any(|g| g.0 == w.0))
                .count();
        }
        assert!(hit as f64 / all as f64 >= 0.95, "{hit} of {all}");
        // Too much changed: built anew.
        let small_base = Base {
            graph: PathBuf::from("unused"),
            scale: Some(127.0),
            set: big.clone(),
        };
        let mut half = VectorSet::new("m", dim);
        for i in 0..big.len() / 2 {
            half.push(big.entries[i].clone(), big.vector(i));
        }
        assert!(changed_graph(&half, &small_base).is_none());
    }

    #[test]
    fn graph_vectors_are_quantised_at_the_parts_own_scale() {
        let mut set = VectorSet::new("m", 4);
        for i in 0..1000 {
            let x = i as f32 / 1000.0 * 0.25;
            set.push(entry(i, "v1", "d"), &[x, -x, 0.01, 0.0]);
        }
        // The largest component (0.25) maps to 127 when nothing is clamped.
        let scale = graph_scale(&set, 1.0);
        assert!((scale - 127.0 / 0.25).abs() < 1.0, "{scale}");
        assert_eq!(
            quantize(&[0.25, -0.25, 0.01, 0.0], scale),
            vec![127, -127, 5, 0]
        );
        // Beyond the scale's range a component is clamped, not wrapped.
        assert_eq!(quantize(&[1.0, -1.0], scale), vec![127, -127]);
        // A lower quantile widens the scale and clamps the rarest components.
        assert!(graph_scale(&set, 0.5) > scale);
        // Nothing to measure: a scale that maps 1.0 to 127.
        assert_eq!(graph_scale(&VectorSet::new("m", 4), GRAPH_QUANTILE), 127.0);
    }

    #[test]
    fn half_precision_graphs_of_earlier_generations_are_still_searched() {
        let dir = tempfile::tempdir().unwrap();
        let dim = 16;
        let set = set_of("v1", 2_000, dim);
        set.save(&dir.path().join("part-old.bin")).unwrap();
        let graph = usearch::Index::new(&usearch::IndexOptions {
            quantization: usearch::ScalarKind::F16,
            ..graph_options(dim)
        })
        .unwrap();
        graph.reserve(set.len()).unwrap();
        for (i, e) in set.entries.iter().enumerate() {
            graph.add(key_of(&e.id), set.vector(i)).unwrap();
        }
        graph
            .save(&dir.path().join("ann-old.usearch").to_string_lossy())
            .unwrap();
        let catalog = |scale: Option<f32>| Catalog {
            model_id: "m".into(),
            dim,
            parts: vec![PartRef {
                product: "p".into(),
                version: "v1".into(),
                file: "part-old.bin".into(),
                ann: Some("ann-old.usearch".into()),
                scale,
                count: set.len(),
                signature: "old".into(),
            }],
        };
        let write = |name: &str, c: Catalog| {
            std::fs::write(dir.path().join(name), serde_json::to_vec(&c).unwrap()).unwrap()
        };
        write("gen-1.json", catalog(None));
        let auto = Vectors::load(dir.path(), "gen-1.json", VectorIndex::Auto).unwrap();
        let exact = Vectors::load(dir.path(), "gen-1.json", VectorIndex::Exact).unwrap();
        assert_eq!(auto.graphs(), 1);
        for q in 0..10 {
            let query = vector(q, dim);
            let want = exact.nearest(&query, &Filter::default(), 5);
            assert_eq!(auto.nearest(&query, &Filter::default(), 5)[0], want[0]);
        }
        // It is not changed in place: the next update builds an 8-bit graph.
        let (graph, scale) = Previous::open(dir.path(), "gen-1.json")
            .unwrap()
            .graph("p", "v1")
            .unwrap();
        let base = Base {
            graph,
            scale,
            set: set.clone(),
        };
        assert!(changed_graph(&set, &base).is_none());
        // A catalog whose kind of graph does not match the file is refused by name.
        write("gen-2.json", catalog(Some(500.0)));
        let err = Vectors::load(dir.path(), "gen-2.json", VectorIndex::Auto)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("ann-old.usearch"), "{err}");
        assert!(err.to_string().contains("F16"), "{err}");
    }

    #[test]
    fn many_searches_at_once_all_search_the_graph() {
        let dir = tempfile::tempdir().unwrap();
        let dim = 16;
        let set = set_of("v1", ANN_MIN, dim);
        let (name, files) = write_generation(
            dir.path(),
            "m",
            dim,
            vec![NewPart::Fresh(set, "s".into(), None)],
            1,
        )
        .unwrap();
        let (_, scale) = Previous::open(dir.path(), &name)
            .unwrap()
            .graph("p", "v1")
            .unwrap();
        let scale = scale.expect("an 8-bit graph");
        let graph = open_graph(&dir.path().join(&files[1]), Some(scale)).unwrap();
        // More searches at once than a graph opens with contexts for (one per core): none
        // fails, so none falls back to a scan.
        let failed = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..GRAPH_SEARCHERS {
                let (graph, failed) = (&graph, &failed);
                s.spawn(move || {
                    for q in 0..50 {
                        let query = quantize(&vector(t * 1000 + q, dim), scale);
                        if graph.search(&query, 10).is_err() {
                            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(failed.into_inner(), 0);
        // And through the gate, more searches than contexts wait for one.
        let vectors = Vectors::load(dir.path(), &name, VectorIndex::Auto).unwrap();
        std::thread::scope(|s| {
            for t in 0..GRAPH_SEARCHERS * 2 {
                let vectors = &vectors;
                s.spawn(move || {
                    for q in 0..10 {
                        let hits =
                            vectors.nearest(&vector(t * 100 + q, dim), &Filter::default(), 5);
                        assert_eq!(hits.len(), 5);
                    }
                });
            }
        });
        assert_eq!(*vectors.gate.busy.lock().unwrap(), 0);
    }

    #[test]
    fn large_parts_searched_side_by_side_find_what_one_scan_finds() {
        let dim = 8;
        let mut whole = VectorSet::new("m", dim);
        for i in 0..PARALLEL_MIN + 2_000 {
            let version = ["v1", "v2", "v3"][i % 3];
            whole.push(entry(i, version, "big"), &vector(i, dim));
        }
        let mut parts = Vectors::from_set(whole.clone(), VectorIndex::Auto);
        assert_eq!(parts.parts.len(), 3);
        for threads in [1, 2, 3] {
            parts.threads = threads;
            for q in 0..5 {
                let query = vector(900_000 + q, dim);
                let one_scan = whole.nearest(&query, &Filter::default(), 20);
                assert_eq!(parts.nearest(&query, &Filter::default(), 20), one_scan);
            }
        }
    }

    #[test]
    fn a_one_file_generation_of_the_older_format_loads_as_parts() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = set_of("v1", 5, 4);
        for i in 0..3 {
            set.push(entry(100 + i, "v2", "big"), &vector(i, 4));
        }
        set.save(&dir.path().join("gen-7.bin")).unwrap();
        let v = Vectors::load(dir.path(), "gen-7.bin", VectorIndex::Auto).unwrap();
        assert_eq!(v.parts.len(), 2);
        assert_eq!((v.len(), v.graphs()), (8, 0));
        let only = v.nearest(
            &vector(0, 4),
            &Filter {
                versions: Some(vec![("p".into(), "v2".into())]),
                ..Default::default()
            },
            2,
        );
        assert!(only.iter().all(|(id, _)| id.contains("::v2::")));
        // Its entries are found by id too.
        let q = vector(0, 4);
        let sims = v.similarities(
            &q,
            &[
                ("p", "v2", "p::v2::big::doc::101"),
                ("p", "v1", "p::v1::big::doc::101"),
            ],
        );
        assert_eq!(
            sims,
            vec![Some(mcdewey_embed::dot(&vector(1, 4), &q)), None]
        );
    }

    #[test]
    fn a_broken_catalog_or_part_is_corrupt_and_removes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gen-3.json"), b"{not json").unwrap();
        std::fs::write(dir.path().join("part-x.bin"), b"x").unwrap();
        let e = Vectors::load(dir.path(), "gen-3.json", VectorIndex::Auto)
            .err()
            .unwrap();
        assert!(e.to_string().contains("corrupt"), "{e}");
        assert!(unreferenced(dir.path(), Some("gen-3.json")).is_empty());
    }
}
