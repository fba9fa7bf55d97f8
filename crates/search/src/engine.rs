//! The search engine over one store: both ranking stages, grouping of passages across
//! releases, chunk and document reads, facets.

use crate::*;
use mcdewey_catalog::Manifest;
use mcdewey_embed::Embedder;

/// The search engine over one store.
pub struct Engine {
    pub(crate) store: Backend,
    weights: Bm25Weights,
    fusion: Fusion,
    rerank: Rerank,
    /// Product names besides folder names (`<product>/product.json`).
    aliases: understand::ProductAliases,
    /// Score added to passages of a release (or product) the query names.
    steer: f32,
    matching: MatchThresholds,
    embedder: Option<std::sync::Arc<dyn Embedder>>,
    /// The manifest of the commit the engine serves, read once.
    manifest: std::sync::OnceLock<Manifest>,
    /// The library tree of that manifest, built once.
    tree: std::sync::OnceLock<LibraryTree>,
    /// Recent query embeddings (a page search and its facets embed the same query).
    query_cache: std::sync::Mutex<QueryCache>,
    /// Release comparisons' section alignments, by product and releases.
    pub(crate) alignments: compare::AlignmentCache,
}

/// Query vectors by query text, oldest evicted first.
#[derive(Default)]
struct QueryCache {
    capacity: usize,
    map: std::collections::HashMap<String, Vec<f32>>,
    order: std::collections::VecDeque<String>,
}

impl QueryCache {
    fn get(&self, q: &str) -> Option<Vec<f32>> {
        self.map.get(q).cloned()
    }

    fn put(&mut self, q: &str, v: Vec<f32>) {
        if self.capacity == 0 || self.map.contains_key(q) {
            return;
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(q.to_string());
        self.map.insert(q.to_string(), v);
    }
}

/// Score added by default to passages of a release the query names (on the fused
/// scale, where each list's best scores 1).
pub const DEFAULT_STEER: f32 = 0.6;

/// Candidates read per result asked, so that results folded into others leave enough
/// distinct passages.
const GROUP_READ: usize = 3;
/// Candidates read for a query with words in double quotes, to find those holding them.
const PHRASE_READ: usize = 100;

/// Ranked chunk ids with their scores, best first.
type Hits = Vec<(ChunkId, f32)>;

/// The vector similarities a first stage knows.
struct Similar {
    /// The vector list, then (hybrid) the keyword candidates it lacks.
    list: Vec<(ChunkId, f32)>,
    /// The vector list's lowest similarity: an upper bound for chunks not in it.
    floor: Option<f32>,
}

impl Similar {
    fn of(list: Vec<(ChunkId, f32)>) -> Similar {
        let floor = list.last().map(|h| h.1);
        Similar { list, floor }
    }
}

/// What both ranking stages produced.
struct Ranked {
    /// Candidates, best first.
    hits: Vec<(ChunkId, f32)>,
    /// Vector similarity of the candidates (hybrid: every keyword candidate too).
    cosine: std::collections::HashMap<ChunkId, f32>,
    /// The vector list's lowest similarity: an upper bound for candidates not in it.
    cosine_floor: Option<f32>,
    /// The chunks of the candidates read by the second stage.
    chunks: std::collections::HashMap<ChunkId, Chunk>,
    /// Their features.
    features: std::collections::HashMap<ChunkId, rank::Features>,
    /// Whether those features read the text (else only the quick ones are there).
    read_text: bool,
    /// The query's evidence, to read the features of the results shown.
    evidence: rank::QueryEvidence,
    /// The phrases the query put in double quotes.
    phrases: Vec<String>,
    /// The candidates read that hold them all (ranked before the rest).
    holding: std::collections::HashSet<ChunkId>,
}

/// Query embeddings an engine keeps by default.
pub const QUERY_CACHE_SIZE: usize = 256;

impl Engine {
    /// An engine over an opened store, keyword search only.
    pub fn new(store: impl Into<Backend>) -> Engine {
        let engine = Engine::unread(store.into());
        // A database manifest is read now, off the server's async threads, where MCP
        // sessions read the library tree as they start.
        if engine.store.read_manifest_early() {
            if let Ok(m) = engine.store.manifest() {
                let _ = engine.manifest.set(m);
            }
        }
        engine
    }

    fn unread(store: Backend) -> Engine {
        Engine {
            store,
            weights: Bm25Weights::default(),
            fusion: Fusion::default(),
            rerank: Rerank::default(),
            aliases: understand::ProductAliases::new(),
            steer: DEFAULT_STEER,
            matching: MatchThresholds::default(),
            embedder: None,
            manifest: std::sync::OnceLock::new(),
            tree: std::sync::OnceLock::new(),
            query_cache: std::sync::Mutex::new(QueryCache {
                capacity: QUERY_CACHE_SIZE,
                ..Default::default()
            }),
            alignments: Default::default(),
        }
    }

    /// The manifest of the index served (documents, hashes, chunk counts).
    pub fn manifest(&self) -> Result<&Manifest, SearchError> {
        if let Some(m) = self.manifest.get() {
            return Ok(m);
        }
        let m = self.store.manifest()?;
        Ok(self.manifest.get_or_init(|| m))
    }

    /// An engine that also searches by meaning with `embedder`, which must be the model
    /// the index's vectors were made with.
    pub fn with_embedder(
        store: impl Into<Backend>,
        embedder: std::sync::Arc<dyn Embedder>,
    ) -> Result<Engine, SearchError> {
        let mut store = store.into();
        if let Some(model_id) = store.load_vectors()? {
            if model_id != embedder.model_id() {
                return Err(SearchError::NoVectors(format!(
                    "the index vectors were made by {} but the model loaded is {}; run `mcdewey index` again",
                    model_id,
                    embedder.model_id()
                )));
            }
        }
        let mut engine = Engine::new(store);
        engine.embedder = Some(embedder);
        Ok(engine)
    }

    /// Sets the fusion weights (for measurements).
    pub fn set_fusion(&mut self, fusion: Fusion) {
        self.fusion = fusion;
    }

    /// Sets the BM25 field weights (for measurements); a store that ranks keywords
    /// with its own weights ([`Capabilities::bm25_weights`]) refuses others.
    pub fn set_bm25_weights(&mut self, weights: Bm25Weights) -> Result<(), SearchError> {
        if weights != Bm25Weights::default() && !self.store.capabilities().bm25_weights {
            return Err(SearchError::InvalidArgument {
                field: "bm25_weights",
                reason: format!(
                    "the store {} ranks keywords with its own field weights; BM25 weights apply to the embedded store only",
                    self.store.describe()
                ),
            });
        }
        self.weights = weights;
        Ok(())
    }

    /// The fusion settings in use.
    pub fn fusion(&self) -> Fusion {
        self.fusion
    }

    /// Sets the names products are also known by (display names and aliases from the
    /// library's `<product>/product.json`), for recognising them in queries.
    pub fn set_product_aliases(&mut self, aliases: understand::ProductAliases) {
        self.aliases = aliases;
    }

    /// Sets the second ranking stage (for measurements).
    pub fn set_rerank(&mut self, rerank: Rerank) {
        self.rerank = rerank;
    }

    /// The second ranking stage in use.
    pub fn rerank(&self) -> Rerank {
        self.rerank
    }

    /// Sets the score added to passages of a release named in the query (for
    /// measurements; 0 turns steering off).
    pub fn set_steer(&mut self, steer: f32) {
        self.steer = steer;
    }

    /// The release-steering score in use.
    pub fn steer(&self) -> f32 {
        self.steer
    }

    /// The vector list and the query's vector.
    fn vector_hits(
        &self,
        query: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<(Hits, Vec<f32>), SearchError> {
        let (Some(embedder), true) = (&self.embedder, self.store.has_vectors()) else {
            let why = if self.embedder.is_none() {
                "no embedding model loaded; search in keyword mode (bm25), or load the model"
            } else {
                "this index has no vectors (it was built without a model); search in keyword mode (bm25), or index again with the model"
            };
            return Err(SearchError::NoVectors(why.into()));
        };
        let q = self.query_vector(embedder.as_ref(), query)?;
        Ok((self.store.nearest(&q, filter, limit)?, q))
    }

    /// The vector list with the similarity of every keyword candidate it lacks added
    /// (computed exactly, below 0 counted as 0), so that a candidate's fused score does
    /// not depend on whether it made the other list's cut: a passage first on keywords
    /// and 101st on meaning no longer scores as if it had no meaning at all.
    /// Only the candidates that could reach the first `need` fused results are read
    /// ([`Fusion::worth_a_similarity`]).
    fn with_keyword_similarities(
        &self,
        query: &[f32],
        keyword: &[(ChunkId, f32)],
        mut similar: Similar,
        need: usize,
    ) -> Result<Similar, SearchError> {
        let missing = self
            .fusion
            .worth_a_similarity(keyword, &similar.list, similar.floor, need);
        if missing.is_empty() {
            return Ok(similar);
        }
        let read = self.store.similarities(query, &missing)?;
        let mut filled: Vec<(ChunkId, f32)> = missing
            .into_iter()
            .zip(read)
            .filter_map(|(id, s)| s.map(|s| (id, s.max(0.0))))
            .collect();
        // Best first, as a list is (reciprocal-rank fusion reads positions).
        filled.sort_by(|a, b| b.1.total_cmp(&a.1));
        similar.list.extend(filled);
        Ok(similar)
    }

    /// Sets how many recent query embeddings are kept (0 turns the cache off; the
    /// benchmarks do, so every query pays for its embedding).
    pub fn set_query_cache(&mut self, capacity: usize) {
        let cache = self
            .query_cache
            .get_mut()
            .unwrap_or_else(|e| e.into_inner());
        *cache = QueryCache {
            capacity,
            ..Default::default()
        };
    }

    fn query_vector(&self, embedder: &dyn Embedder, query: &str) -> Result<Vec<f32>, SearchError> {
        let lock = || self.query_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = lock().get(query) {
            return Ok(v);
        }
        let v = embedder.embed_query(query)?;
        lock().put(query, v.clone());
        Ok(v)
    }

    /// Whether semantic retrieval is possible: a model is loaded and the index has vectors.
    pub fn can_embed(&self) -> bool {
        self.embedder.is_some() && self.store.has_vectors()
    }

    /// The mode a request runs in: the one asked for, else hybrid when semantic
    /// retrieval is possible and keywords only when it is not.
    pub fn effective_mode(&self, asked: Option<Mode>) -> Mode {
        match asked {
            Some(m) => m,
            None if self.can_embed() => Mode::Hybrid,
            None => Mode::Bm25,
        }
    }

    /// The store searched.
    pub fn store(&self) -> &Backend {
        &self.store
    }

    /// The best `limit` chunk ids for a query under a resolved filter (both ranking
    /// stages; evaluation and benchmarks use this for deep result lists).
    pub fn retrieve(
        &self,
        query: &str,
        filter: &Filter,
        mode: Mode,
        limit: usize,
    ) -> Result<Vec<(ChunkId, f32)>, SearchError> {
        let mut ranked = self.rank(query, filter, mode, limit, self.rerank.depth, &[])?;
        ranked.hits.truncate(limit);
        Ok(ranked.hits)
    }

    /// Both ranking stages: the fused first-stage list (at least `limit` deep), its top
    /// `read` candidates re-scored from their text and steered toward `steer_to`
    /// releases, their chunks and features kept for the caller.
    #[allow(clippy::too_many_arguments)]
    fn rank(
        &self,
        query: &str,
        filter: &Filter,
        mode: Mode,
        limit: usize,
        read: usize,
        steer_to: &[(String, String)],
    ) -> Result<Ranked, SearchError> {
        let phrases = rank::quoted_phrases(query);
        let read = if phrases.is_empty() {
            read
        } else {
            read.max(PHRASE_READ)
        };
        // Both lists search with the names of quoted symbols added ("';'": semicolon);
        // the second stage reads the query as written.
        let retrieval = crate::symbols::with_names(query);
        let (mut hits, semantic) = self.first_stage(&retrieval, filter, mode, limit.max(read))?;
        let mut cosine_floor = semantic.as_ref().and_then(|s| s.floor);
        let mut cosine: std::collections::HashMap<ChunkId, f32> =
            semantic.into_iter().flat_map(|s| s.list).collect();
        if !steer_to.is_empty() && self.steer > 0.0 {
            // The release named in the query is searched on its own too, so its best
            // passages are candidates however far down the whole library's list they
            // stand, and they rank first unless a far better passage stands elsewhere.
            let only = Filter {
                versions: Some(steer_to.to_vec()),
                ..filter.clone()
            };
            let (steered, semantic) = self.first_stage(&retrieval, &only, mode, limit.max(read))?;
            let floor = semantic.as_ref().and_then(|s| s.floor);
            cosine_floor = match (cosine_floor, floor) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            cosine.extend(semantic.into_iter().flat_map(|s| s.list));
            let mut merged: std::collections::HashMap<ChunkId, f32> = hits.into_iter().collect();
            for (id, score) in steered {
                let s = merged.entry(id).or_insert(0.0);
                *s = s.max(score + self.steer);
            }
            hits = merged.into_iter().collect();
            hits.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        let read = read.min(hits.len());
        let ids: Vec<ChunkId> = hits[..read].iter().map(|h| h.0.clone()).collect();
        let products: Vec<&str> = self
            .tree()?
            .products
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let mut evidence = rank::QueryEvidence::of_in(query, &products);
        let mut chunks = std::collections::HashMap::new();
        let mut features = std::collections::HashMap::new();
        let mut contents = std::collections::HashSet::new();
        for (hit, chunk) in hits[..read].iter_mut().zip(self.store.chunks(&ids)?) {
            let Some(chunk) = chunk else { continue };
            if rank::is_contents(&chunk) {
                contents.insert(hit.0.clone());
                continue;
            }
            let f = if self.rerank.reads_text() {
                rank::features(&mut evidence, &chunk)
            } else {
                rank::quick_features(&evidence, &chunk)
            };
            hit.1 += self.rerank.bonus(&f);
            features.insert(hit.0.clone(), f);
            chunks.insert(hit.0.clone(), chunk);
        }
        hits[..read].sort_by(|a, b| b.1.total_cmp(&a.1));
        // Passages holding the quoted phrases first.
        let wanted: Vec<Vec<String>> = phrases.iter().map(|p| rank::phrase_words(p)).collect();
        let holding: std::collections::HashSet<ChunkId> = chunks
            .iter()
            .filter(|(_, c)| !wanted.is_empty() && rank::holds_phrases(c, &wanted))
            .map(|(id, _)| id.clone())
            .collect();
        lift_holding(&mut hits[..read], &holding);
        // Contents pages stay readable in the document but out of the results.
        if !contents.is_empty() {
            hits.retain(|h| !contents.contains(&h.0));
        }
        Ok(Ranked {
            hits,
            cosine,
            cosine_floor,
            chunks,
            features,
            read_text: self.rerank.reads_text(),
            evidence,
            phrases,
            holding,
        })
    }

    /// The first stage: the keyword and vector lists, fused (hybrid) or one of them
    /// scaled by its best score, at least `limit` deep; with the vector list for the
    /// similarities it holds.
    fn first_stage(
        &self,
        query: &str,
        filter: &Filter,
        mode: Mode,
        limit: usize,
    ) -> Result<(Hits, Option<Similar>), SearchError> {
        let depth = self.fusion.depth.max(limit);
        let (mut hits, semantic) = match mode {
            Mode::Bm25 => (
                self.store.keyword(query, filter, self.weights, limit)?,
                None,
            ),
            Mode::Vector => {
                let (v, _) = self.vector_hits(query, filter, limit)?;
                (v.clone(), Some(Similar::of(v)))
            }
            Mode::Hybrid => {
                let t = std::time::Instant::now();
                let keyword = self.store.keyword(query, filter, self.weights, depth)?;
                let keyword_time = t.elapsed();
                let (semantic, q) = self.vector_hits(query, filter, depth)?;
                let similar =
                    self.with_keyword_similarities(&q, &keyword, Similar::of(semantic), limit)?;
                tracing::debug!(
                    target: "mcdewey::search",
                    keyword_ms = keyword_time.as_secs_f64() * 1000.0,
                    vector_ms = (t.elapsed() - keyword_time).as_secs_f64() * 1000.0,
                    "first stage"
                );
                (self.fusion.fuse(&keyword, &similar.list), Some(similar))
            }
        };
        if mode != Mode::Hybrid {
            // One list: scaled by its best, the scale of the second stage's bonuses.
            let max = hits.first().map_or(1.0, |h| h.1).max(f32::MIN_POSITIVE);
            hits.iter_mut().for_each(|h| h.1 /= max);
        }
        Ok((hits, semantic))
    }

    /// Runs a search: releases named in the query steer it, the same passage in
    /// several releases comes back once, and each result says how well it matches.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let query = req.query.trim();
        if query.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::InvalidArgument {
                field: "query",
                reason: format!("longer than {MAX_QUERY_CHARS} characters"),
            });
        }
        let limit = crate::request::check_limit(req.limit)?;
        let filter = self.resolve_filter(req)?;
        let mode = self.effective_mode(req.mode);
        let mut understood = match req.understand {
            Some(false) => None,
            _ => understand::understand_with(query, self.tree()?, &self.aliases),
        };
        let steer_to = match understood.as_mut() {
            Some(u) => {
                u.applied = self.steering(u, req);
                if u.applied {
                    self.steer_targets(u)?
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        };
        let read = self.rerank.depth.max(limit * GROUP_READ);
        // The words that named the release only steer: "CUCM 15" matches nothing the
        // passages of release 15 say.
        let plain = match understood
            .as_ref()
            .filter(|u| u.applied && !u.versions.is_empty())
        {
            Some(u) => without_phrases(query, &u.phrase),
            None => query.to_string(),
        };
        let ranked = self.rank(&plain, &filter, mode, limit, read, &steer_to)?;
        let mut evidence = ranked.evidence.clone();
        // Group the candidates read (chunks loaded) into passages, best first.
        let loaded: Vec<(&ChunkId, f32, &Chunk)> = ranked
            .hits
            .iter()
            .filter_map(|(id, s)| ranked.chunks.get(id).map(|c| (id, *s, c)))
            .collect();
        let order: Vec<&Chunk> = loaded.iter().map(|l| l.2).collect();
        let sets: Vec<_> = order.iter().map(|c| group::shingles(&c.text)).collect();
        let mut results = Vec::with_capacity(limit);
        let mut holding = 0;
        for members in group::group(&order, &sets).into_iter().take(limit) {
            holding += usize::from(
                members
                    .iter()
                    .any(|&i| ranked.holding.contains(loaded[i].0)),
            );
            let chunks: Vec<&Chunk> = members.iter().map(|&i| order[i]).collect();
            let holds: Vec<bool> = members
                .iter()
                .map(|&i| {
                    let id = loaded[i].0;
                    ranked.holding.contains(id)
                        || ranked.features.get(id).is_some_and(|f| f.verbatim > 0.0)
                })
                .collect();
            let shown = group::representative(&chunks, &steer_to, &holds);
            let (id, _, chunk) = loaded[members[shown]];
            let score = loaded[members[0]].1;
            let cosine = (mode != Mode::Bm25)
                .then(|| ranked.cosine.get(id).copied().or(ranked.cosine_floor))
                .flatten();
            // The match level reads the text of the results shown only.
            let f = match ranked.features.get(id) {
                Some(f) if ranked.read_text => *f,
                _ => rank::features(&mut evidence, chunk),
            };
            let level = self.matching.level(cosine, &f);
            let mut result = SearchResult::new(results.len() + 1, chunk.clone(), score, level);
            result.similarity = cosine.map(|c| (c * 1000.0).round() / 1000.0);
            result.term_coverage = (f.coverage * 1000.0).round() / 1000.0;
            result.also_in = members
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != shown)
                .map(|(_, &i)| AlsoIn::of(order[i]))
                .collect();
            result.differs_in = group::reworded_in(&order, &sets, &members, members[shown])
                .into_iter()
                .map(|i| AlsoIn::of(order[i]))
                .collect();
            results.push(result);
        }
        // Nothing strong anywhere and a weak best result: a partial match further down
        // shares a few words, not the question.
        let no_close_match = results.iter().all(|r| r.match_level != MatchLevel::Strong)
            && results
                .first()
                .is_none_or(|r| r.match_level == MatchLevel::Weak);
        let quoted = (!ranked.phrases.is_empty()).then(|| crate::Quoted {
            phrases: ranked.phrases.clone(),
            holding,
        });
        Ok(SearchResponse {
            query: req.query.clone(),
            understood,
            no_close_match,
            quoted,
            results,
        })
    }

    /// Whether what was understood may steer ranking: an explicit filter on the same
    /// thing wins.
    fn steering(&self, u: &Understood, req: &SearchRequest) -> bool {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !u.versions.is_empty() {
            return !given(&req.version);
        }
        // A product alone steers only where the library holds several.
        !given(&req.product) && self.tree().is_ok_and(|t| t.products.len() > 1)
    }

    /// The (product, version) pairs understood releases steer toward: the releases
    /// named, or every release of a product named alone.
    fn steer_targets(&self, u: &Understood) -> Result<Vec<(String, String)>, SearchError> {
        if !u.releases.is_empty() {
            return Ok(u.releases.clone());
        }
        let tree = self.tree()?;
        Ok(u.product
            .as_deref()
            .and_then(|p| tree.product(p))
            .map_or_else(Vec::new, |p| {
                p.versions
                    .iter()
                    .map(|v| (p.name.clone(), v.name.clone()))
                    .collect()
            }))
    }

    /// Turns the request's product / version / doc-set into a store filter, checking
    /// each against the library.
    pub fn resolve_filter(&self, req: &SearchRequest) -> Result<Filter, SearchError> {
        resolve_filter_in(self.tree()?, req)
    }

    /// One chunk by id.
    pub fn chunk(&self, id: &str) -> Result<Chunk, SearchError> {
        let parsed: ChunkId =
            id.parse()
                .map_err(|e: mcdewey_core::CoreError| SearchError::InvalidArgument {
                    field: "chunk_id",
                    reason: e.to_string(),
                })?;
        self.store
            .chunk(&parsed)?
            .ok_or_else(|| SearchError::ChunkNotFound(mcdewey_core::shorten(id, 120)))
    }

    /// A chunk with up to `before` chunks before and `after` chunks after it, in
    /// document order.
    pub fn context(&self, id: &str, before: u32, after: u32) -> Result<Vec<Chunk>, SearchError> {
        let chunk = self.chunk(id)?;
        let from = chunk.id.ordinal.saturating_sub(before);
        let to = chunk.id.ordinal.saturating_add(after);
        Ok(self.store.chunk_range(&chunk.id.document, from, to)?)
    }

    /// An indexed document by its library-relative source path: its manifest entry and
    /// every chunk in order.
    pub fn document(&self, source: &str) -> Result<(DocEntry, Vec<Chunk>), SearchError> {
        let entry = self
            .manifest()?
            .documents
            .get(source)
            .cloned()
            .ok_or_else(|| SearchError::DocumentNotFound(mcdewey_core::shorten(source, 200)))?;
        let chunks = self.store.document_chunks(&entry.document)?;
        Ok((entry, chunks))
    }

    /// Where the best matches of a query lie: among its top [`FACET_DEPTH`] chunks
    /// (ignoring filters), how many fall in each product, version and doc set.
    pub fn facets(&self, query: &str, mode: Mode) -> Result<Facets, SearchError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Facets::default());
        }
        let hits = self.retrieve(query, &Filter::default(), mode, FACET_DEPTH)?;
        Ok(Facets::count(hits.iter().map(|(id, _)| id)))
    }

    /// Products, versions, doc sets and documents with counts.
    pub fn library(&self) -> Result<LibraryTree, SearchError> {
        Ok(self.tree()?.clone())
    }

    fn tree(&self) -> Result<&LibraryTree, SearchError> {
        if let Some(t) = self.tree.get() {
            return Ok(t);
        }
        let t = LibraryTree::from_manifest(self.manifest()?);
        Ok(self.tree.get_or_init(|| t))
    }
}

/// Puts the candidates in `holding` first, their scores lifted together just above the
/// best candidate's outside it, so that scores still fall down the list.
fn lift_holding(hits: &mut [(ChunkId, f32)], holding: &std::collections::HashSet<ChunkId>) {
    if holding.is_empty() {
        return;
    }
    let scores = |held: bool| {
        hits.iter()
            .filter(move |h| holding.contains(&h.0) == held)
            .map(|h| h.1)
    };
    let lowest_held = scores(true).fold(f32::INFINITY, f32::min);
    let best_other = scores(false).fold(f32::NEG_INFINITY, f32::max);
    if lowest_held > best_other {
        return;
    }
    let lift = best_other - lowest_held + 0.01;
    hits.iter_mut()
        .filter(|h| holding.contains(&h.0))
        .for_each(|h| h.1 += lift);
    hits.sort_by(|a, b| b.1.total_cmp(&a.1));
}

/// `query` without the phrases (", "-separated) that named a release; the query itself
/// when nothing would be left.
fn without_phrases(query: &str, phrases: &str) -> String {
    let mut out = query.to_string();
    for p in phrases.split(", ").filter(|p| !p.is_empty()) {
        out = out.replacen(p, " ", 1);
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().any(|c| c.is_alphanumeric()) {
        out
    } else {
        query.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcdewey_embed::HashEmbedder;

    /// The response to a query with the default settings.
    fn search_for(engine: &Engine, query: &str) -> SearchResponse {
        engine
            .search(&SearchRequest {
                query: query.into(),
                ..Default::default()
            })
            .unwrap()
    }

    /// An engine over a library of one Markdown document, indexed with the hash
    /// embedder, and that embedder.
    fn engine_over(dir: &std::path::Path, markdown: &str) -> (Engine, HashEmbedder) {
        engine_over_files(dir, &[("p/v1/guide/guide.md", markdown.to_string())])
    }

    /// An engine over a library of these files (path in the library, Markdown),
    /// indexed with the hash embedder, and that embedder.
    fn engine_over_files(
        dir: &std::path::Path,
        files: &[(&str, String)],
    ) -> (Engine, HashEmbedder) {
        let lib = dir.join("library");
        for (path, markdown) in files {
            let doc = lib.join(path);
            std::fs::create_dir_all(doc.parent().unwrap()).unwrap();
            std::fs::write(&doc, markdown).unwrap();
        }
        let spec = crate::StoreSpec::Embedded(dir.join("data"));
        let model = HashEmbedder::new(32);
        spec.update(
            &lib,
            &Default::default(),
            Some(crate::Embedding::new(&model)),
            &mut |_| {},
        )
        .unwrap();
        let engine =
            Engine::with_embedder(spec.open().unwrap(), std::sync::Arc::new(model.clone()))
                .unwrap();
        (engine, model)
    }

    #[test]
    fn keyword_candidates_outside_the_vector_list_get_their_own_similarity() {
        let dir = tempfile::tempdir().unwrap();
        let sections: String = ["Trust lists", "Port numbers", "Media keys"]
            .iter()
            .map(|t| {
                format!(
                    "## {t}\n\n{}\n\n",
                    format!("{t} are described here. ").repeat(12)
                )
            })
            .collect();
        let (engine, model) = engine_over(dir.path(), &sections);
        let query = model.embed_query("port numbers").unwrap();
        let ids: Vec<ChunkId> = (0..3)
            .map(|i| ChunkId::new("p::v1::guide::guide", i))
            .collect();
        let chunks = engine.store().chunks(&ids).unwrap();
        let exact: Vec<f32> = chunks
            .iter()
            .map(|c| {
                let text = mcdewey_catalog::embedding_text(c.as_ref().unwrap());
                mcdewey_embed::dot(&model.embed_passages(&[&text]).unwrap()[0], &query).max(0.0)
            })
            .collect();
        let keyword = vec![
            (ids[0].clone(), 4.0),
            (ids[1].clone(), 3.0),
            (ids[2].clone(), 2.0),
            (ChunkId::new("p::v1::guide::gone", 0), 1.0),
        ];
        let semantic = vec![(ids[2].clone(), 0.9)];
        let filled = engine
            .with_keyword_similarities(&query, &keyword, Similar::of(semantic), 10)
            .unwrap()
            .list;
        assert!(exact[1] > exact[0]);
        // The listed similarity stays; the candidates the list lacks get their own, best
        // first; a chunk without a vector gets none.
        assert_eq!(
            filled,
            vec![
                (ids[2].clone(), 0.9),
                (ids[1].clone(), exact[1]),
                (ids[0].clone(), exact[0])
            ]
        );
    }

    #[test]
    fn passages_holding_a_quoted_phrase_rank_first() {
        let dir = tempfile::tempdir().unwrap();
        // The first section has the words often but never side by side; the second
        // has them together once.
        let scattered =
            "The list of trusted devices is kept per phone; trust is renewed. ".repeat(6);
        let together =
            "Renew the trust list after the certificate changes. Other words here. ".repeat(3);
        let (engine, _) = engine_over(
            dir.path(),
            &format!("## Devices\n\n{scattered}\n\n## Renewal\n\n{together}\n"),
        );
        let search = |query: &str| search_for(&engine, query);
        let plain = search("trust list");
        assert!(plain.quoted.is_none());
        assert_eq!(plain.results[0].citation.heading, ["Devices"], "{plain:#?}");
        let quoted = search("\"trust list\"");
        assert_eq!(quoted.results[0].citation.heading, ["Renewal"]);
        assert_eq!(
            quoted.quoted,
            Some(crate::Quoted {
                phrases: vec!["trust list".into()],
                holding: 1
            })
        );
        assert!(quoted.results[0].score > quoted.results[1].score);
        assert_eq!(quoted.quoted.as_ref().unwrap().note(), None);
        let missing = search("\"list of trust\" devices");
        assert_eq!(missing.quoted.as_ref().unwrap().holding, 0);
        assert_eq!(
            missing.quoted.unwrap().note().unwrap(),
            "No passage holds “list of trust” as written; the closest passages are shown."
        );
        assert!(!missing.results.is_empty());
    }

    #[test]
    fn a_setting_asked_by_name_lifts_the_section_defining_it() {
        let dir = tempfile::tempdir().unwrap();
        // The sampling setting's section names the asked setting in its text; the asked
        // setting's own section names it in its heading.
        let more = "Only superusers can change this setting in the configuration file. ".repeat(8);
        let (mut engine, _) = engine_over(
            dir.path(),
            &format!(
                "## When to Log\n\n\
                 ### log_min_duration_sample (integer)\n\n\
                 Produces the same kind of log entries as log_min_duration_statement, for \
                 a sample of the statements. {more}\n\n\
                 ### log_min_duration_statement (integer)\n\n\
                 Causes the duration of each completed statement to be logged if it ran that \
                 long. {more}\n"
            ),
        );
        let scores = |engine: &Engine| {
            let mut by_heading: Vec<(String, f32)> =
                search_for(engine, "log_min_duration_statement")
                    .results
                    .iter()
                    .map(|r| (r.citation.heading.last().unwrap().clone(), r.score))
                    .collect();
            by_heading.sort_by(|a, b| a.0.cmp(&b.0));
            by_heading
        };
        let with = scores(&engine);
        engine.set_rerank(rank::Rerank {
            defines: 0.0,
            ..engine.rerank()
        });
        let without = scores(&engine);
        assert_eq!(with.len(), 2);
        let lift: Vec<f32> = with.iter().zip(&without).map(|(a, b)| a.1 - b.1).collect();
        assert!(
            lift[0].abs() < 1e-4,
            "the mentioning section is not lifted: {with:?} {without:?}"
        );
        assert!(
            (lift[1] - rank::DEFINES_WEIGHT).abs() < 1e-4,
            "the defining section is: {with:?} {without:?}"
        );
    }

    #[test]
    fn a_sentence_pasted_from_the_manual_finds_its_passage_first() {
        let dir = tempfile::tempdir().unwrap();
        // The first section has every word of the sentence, often, in another order;
        // the second holds the sentence once among other text.
        let scattered = "Restart every node: the TFTP service, the certificate, the cluster; \
                         renew each service after you restart the node of the cluster. "
            .repeat(5);
        let sentence = "After you renew the certificate, restart the TFTP service on every node of the cluster.";
        let holding = format!("Phones download files at boot. {sentence} Other words follow here.");
        let (mut engine, _) = engine_over(
            dir.path(),
            &format!("## Services\n\n{scattered}\n\n## Renewal\n\n{holding}\n"),
        );
        let first = |engine: &Engine, query: &str| {
            search_for(engine, query).results[0]
                .citation
                .heading
                .clone()
        };
        assert_eq!(first(&engine, sentence), ["Renewal"]);
        // Most of the sentence, asked on its own, is a quotation too.
        assert_eq!(
            first(
                &engine,
                "renew the certificate, restart the TFTP service on every node"
            ),
            ["Renewal"]
        );
        engine.set_rerank(rank::Rerank {
            verbatim: 0.0,
            ..engine.rerank()
        });
        assert_eq!(
            first(&engine, sentence),
            ["Services"],
            "without the verbatim evidence the other section wins"
        );
    }

    #[test]
    fn a_passage_of_two_releases_is_shown_as_the_one_holding_the_quotation() {
        let dir = tempfile::tempdir().unwrap();
        let shared = "The trust list names every server a phone may talk to, and the phone \
                      checks each file it downloads against it before it applies the file. "
            .repeat(3);
        let sentence = "Open the trust list ports to the data VLAN from where the client runs.";
        let page = |text: String| format!("## Trust lists\n\n{text}\n");
        let (engine, _) = engine_over_files(
            dir.path(),
            &[
                ("p/v1/guide/guide.md", page(format!("{shared}{sentence}"))),
                (
                    "p/v2/guide/guide.md",
                    page(format!(
                        "{shared}Phones in the voice VLAN need nothing more."
                    )),
                ),
            ],
        );
        let search = |query: &str| search_for(&engine, query);
        let plain = search("trust list servers");
        assert_eq!(plain.results.len(), 1, "one passage: {plain:#?}");
        assert_eq!(
            plain.results[0].citation.version, "v2",
            "the latest release"
        );
        let pasted = search(sentence);
        assert_eq!(pasted.results[0].citation.version, "v1", "{pasted:#?}");
        assert_eq!(pasted.results[0].also_in[0].citation.version, "v2");
    }

    #[test]
    fn the_query_cache_evicts_oldest_first() {
        let mut c = QueryCache {
            capacity: 2,
            ..Default::default()
        };
        c.put("a", vec![1.0]);
        c.put("b", vec![2.0]);
        c.put("c", vec![3.0]);
        assert_eq!(c.get("a"), None);
        assert_eq!(c.get("c"), Some(vec![3.0]));
        let mut off = QueryCache::default();
        off.put("a", vec![1.0]);
        assert_eq!(off.get("a"), None, "capacity 0 keeps nothing");
    }
}
