//! The first ranking stage's fusion of the keyword and vector lists: pure functions
//! of ranked id lists.

use crate::SearchError;
use mcdewey_core::ChunkId;
use serde::{Deserialize, Serialize};

/// How the keyword and vector lists are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FusionMethod {
    /// Reciprocal rank: a candidate scores `weight / (k + rank)` per list.
    Rrf,
    /// Convex combination of scores normalised within each list to 0..1 (divided by the
    /// list's best score; a candidate missing from a list scores 0 there — hybrid search
    /// gives the vector list every keyword candidate's similarity first).
    Convex,
}

impl std::str::FromStr for FusionMethod {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<FusionMethod, SearchError> {
        match s.to_ascii_lowercase().as_str() {
            "rrf" => Ok(FusionMethod::Rrf),
            "convex" => Ok(FusionMethod::Convex),
            _ => Err(SearchError::InvalidArgument {
                field: "fusion",
                reason: format!("{s:?} is not one of rrf, convex"),
            }),
        }
    }
}

/// Fusion settings of hybrid search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    /// How the lists are combined.
    pub method: FusionMethod,
    /// Rank offset of reciprocal-rank fusion.
    pub k: f32,
    /// Weight of the keyword list.
    pub bm25: f32,
    /// Weight of the vector list.
    pub vector: f32,
    /// Candidates taken from each list.
    pub depth: usize,
}

impl Default for Fusion {
    /// Chosen by measurement on the CUCM dev set and SciFact together
    /// (docs/evaluation.md): normalised scores, equal weights.
    fn default() -> Self {
        Fusion {
            method: FusionMethod::Convex,
            k: 60.0,
            bm25: 1.0,
            vector: 1.0,
            depth: 100,
        }
    }
}

impl Fusion {
    /// Fuses a keyword and a vector list; best first.
    pub fn fuse(
        &self,
        keyword: &[(ChunkId, f32)],
        semantic: &[(ChunkId, f32)],
    ) -> Vec<(ChunkId, f32)> {
        match self.method {
            FusionMethod::Rrf => fuse_rrf(&[(keyword, self.bm25), (semantic, self.vector)], self.k),
            FusionMethod::Convex => fuse_convex(&[(keyword, self.bm25), (semantic, self.vector)]),
        }
    }

    /// The keyword candidates missing from the vector list whose similarity could
    /// bring them among the first `need` fused results: those that would get there with
    /// the similarity `ceiling` (the most a chunk outside the vector list can have: the
    /// list's lowest, non-negative). The others stay below the first `need` whatever
    /// their similarity, as reading it only raises the scores of those read. Reciprocal
    /// rank places by rank, not score: all of them.
    pub fn worth_a_similarity(
        &self,
        keyword: &[(ChunkId, f32)],
        semantic: &[(ChunkId, f32)],
        ceiling: Option<f32>,
        need: usize,
    ) -> Vec<ChunkId> {
        let listed: std::collections::HashSet<&ChunkId> = semantic.iter().map(|h| &h.0).collect();
        // The most similarity can add to a missing candidate, and the last needed score
        // before any similarity is read (reading only raises scores).
        let (words, meaning) = (scale_of(keyword), scale_of(semantic));
        let bound = match (self.method, ceiling) {
            (FusionMethod::Convex, Some(ceiling)) => self
                .fuse(keyword, semantic)
                .get(need.saturating_sub(1))
                .map(|h| (self.vector * meaning(ceiling.max(0.0)), h.1)),
            _ => None,
        };
        keyword
            .iter()
            .filter(|h| !listed.contains(&h.0))
            .filter(|h| bound.is_none_or(|(lift, bar)| self.bm25 * words(h.1) + lift >= bar))
            .map(|h| h.0.clone())
            .collect()
    }
}

/// Adds `score` to `id`'s entry, keeping first-seen order for equal totals.
fn accumulate(
    scores: &mut Vec<(ChunkId, f32)>,
    at: &mut std::collections::HashMap<ChunkId, usize>,
    id: &ChunkId,
    score: f32,
) {
    match at.get(id) {
        Some(&i) => scores[i].1 += score,
        None => {
            at.insert(id.clone(), scores.len());
            scores.push((id.clone(), score));
        }
    }
}

/// Fuses ranked lists of ids by weighted reciprocal rank; best first.
pub fn fuse_rrf(lists: &[(&[(ChunkId, f32)], f32)], k: f32) -> Vec<(ChunkId, f32)> {
    let mut scores: Vec<(ChunkId, f32)> = Vec::new();
    let mut at = std::collections::HashMap::new();
    for (list, weight) in lists {
        for (rank, (id, _)) in list.iter().enumerate() {
            accumulate(&mut scores, &mut at, id, weight / (k + rank as f32 + 1.0));
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

/// Fuses scored lists by a weighted sum of scores normalised per list (0 or the lowest
/// negative score maps to 0, the best to 1); best first.
pub fn fuse_convex(lists: &[(&[(ChunkId, f32)], f32)]) -> Vec<(ChunkId, f32)> {
    let mut scores: Vec<(ChunkId, f32)> = Vec::new();
    let mut at = std::collections::HashMap::new();
    for (list, weight) in lists {
        let scale = scale_of(list);
        for (id, s) in list.iter() {
            accumulate(&mut scores, &mut at, id, weight * scale(*s));
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

/// How convex fusion scales a list's scores: from 0 (or the list's lowest, if negative)
/// to its best, so a list's scale does not depend on how deep it was cut.
fn scale_of(list: &[(ChunkId, f32)]) -> impl Fn(f32) -> f32 {
    let max = list.iter().map(|h| h.1).fold(f32::NEG_INFINITY, f32::max);
    let min = list.iter().map(|h| h.1).fold(0.0, f32::min);
    let span = max - min;
    move |s| if span > 0.0 { (s - min) / span } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> ChunkId {
        ChunkId::new("p::v::d::f", n)
    }

    #[test]
    fn convex_fusion_normalises_each_list_by_its_best() {
        let bm25 = [(id(1), 20.0), (id(2), 10.0)];
        let vector = [(id(2), 0.8), (id(3), 0.4)];
        let fused = fuse_convex(&[(&bm25, 1.0), (&vector, 1.0)]);
        // 2: 10/20 + 0.8/0.8 = 1.5; 1: 1.0; 3: 0.5.
        let order: Vec<u32> = fused.iter().map(|(c, _)| c.ordinal).collect();
        assert_eq!(order, [2, 1, 3]);
        assert!((fused[0].1 - 1.5).abs() < 1e-6);
        // A list's depth does not move its scale: adding weak tail hits changes nothing.
        let deeper = [(id(1), 20.0), (id(2), 10.0), (id(9), 0.5)];
        let again = fuse_convex(&[(&deeper, 1.0), (&vector, 1.0)]);
        assert!((again[0].1 - 1.5).abs() < 1e-6);
    }

    #[test]
    fn only_candidates_that_could_reach_the_results_need_a_similarity() {
        let keyword = [(id(1), 10.0), (id(2), 5.0), (id(3), 1.0)];
        let vector = [(id(4), 0.8), (id(5), 0.6)];
        let fusion = Fusion::default();
        // Before: 1 and 4 score 1.0, 5 0.75, 2 0.5, 3 0.1. With the list's lowest
        // similarity (0.6, scaled 0.75), 2 could reach 1.25 and pass 4, 3 only 0.85.
        let read = |need, ceiling| -> Vec<u32> {
            let ids = fusion.worth_a_similarity(&keyword, &vector, ceiling, need);
            ids.iter().map(|c| c.ordinal).collect()
        };
        assert_eq!(read(2, Some(0.6)), [1, 2]);
        assert_eq!(read(5, Some(0.6)), [1, 2, 3], "every one could be 5th");
        assert_eq!(read(2, None), [1, 2, 3], "no bound, no pruning");
        let rrf = Fusion {
            method: FusionMethod::Rrf,
            ..fusion
        };
        assert_eq!(
            rrf.worth_a_similarity(&keyword, &vector, Some(0.6), 2)
                .len(),
            3
        );
    }

    #[test]
    fn rrf_rewards_agreement() {
        let a = [(id(1), 9.0), (id(2), 8.0)];
        let b = [(id(2), 0.9), (id(3), 0.8)];
        let fused = fuse_rrf(&[(&a, 1.0), (&b, 1.0)], 60.0);
        assert_eq!(fused[0].0, id(2));
    }
}
