//! Retrieval evaluation with exactly the rules of `shared/eval/score.py`.
//!
//! A passage is relevant to a query when its text, with `*`, `_` and backticks removed,
//! whitespace runs collapsed to one space and lower-cased, contains one of the query's
//! evidence strings normalised the same way. Only the first 2,000 characters of a
//! normalised passage count. Metrics: Hit@1, Hit@5, MRR@10, Recall@5.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One evaluation question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalQuery {
    /// Question id.
    pub id: String,
    /// The question.
    pub query: String,
    /// paraphrase, keyword, exact, multihop or version.
    #[serde(default)]
    pub kind: Option<String>,
    /// The library file the evidence is in.
    #[serde(default)]
    pub file: Option<String>,
    /// Verbatim evidence strings.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// Scores of one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryScore {
    /// Question id.
    pub id: String,
    /// Its kind.
    pub kind: Option<String>,
    /// Rank (1-based, within 10) of the first relevant passage.
    pub first_relevant_rank: Option<usize>,
    /// 1 when the first passage is relevant.
    pub hit1: f64,
    /// 1 when a relevant passage is among the first 5.
    pub hit5: f64,
    /// 1 / rank of the first relevant passage within 10.
    pub mrr10: f64,
    /// Share of evidence strings found in the first 5 passages.
    pub recall5: f64,
}

/// Averages over a set of queries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Queries averaged.
    pub n: usize,
    /// Hit@1.
    #[serde(rename = "hit@1")]
    pub hit1: f64,
    /// Hit@5.
    #[serde(rename = "hit@5")]
    pub hit5: f64,
    /// MRR@10.
    #[serde(rename = "mrr@10")]
    pub mrr10: f64,
    /// Recall@5.
    #[serde(rename = "recall@5")]
    pub recall5: f64,
}

/// Characters of a normalised passage that count.
pub const MAX_CHARS: usize = 2000;

/// Normalises text as score.py does.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(c, '*' | '_' | '`') {
            continue;
        }
        // Python's `\s` also matches the ASCII separators U+001C..U+001F.
        if c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c) {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Scores one query's ranked passages.
pub fn score_query(q: &EvalQuery, passages: &[&str]) -> QueryScore {
    let evidence: Vec<String> = q.evidence.iter().map(|e| normalize(e)).collect();
    let mut first = None;
    let mut found5 = BTreeSet::new();
    for (i, text) in passages.iter().take(10).enumerate() {
        let rank = i + 1;
        let norm: String = normalize(text).chars().take(MAX_CHARS).collect();
        let hits: Vec<usize> = evidence
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.is_empty() && norm.contains(e.as_str()))
            .map(|(k, _)| k)
            .collect();
        if !hits.is_empty() && first.is_none() {
            first = Some(rank);
        }
        if rank <= 5 {
            found5.extend(hits);
        }
    }
    QueryScore {
        id: q.id.clone(),
        kind: q.kind.clone(),
        first_relevant_rank: first,
        hit1: if first == Some(1) { 1.0 } else { 0.0 },
        hit5: if first.is_some_and(|r| r <= 5) {
            1.0
        } else {
            0.0
        },
        mrr10: first.map_or(0.0, |r| 1.0 / r as f64),
        recall5: if evidence.is_empty() {
            0.0
        } else {
            found5.len() as f64 / evidence.len() as f64
        },
    }
}

/// Averages query scores, rounded to 4 places as score.py prints them.
pub fn aggregate(scores: &[QueryScore]) -> Metrics {
    let n = scores.len();
    if n == 0 {
        return Metrics::default();
    }
    let avg = |f: fn(&QueryScore) -> f64| {
        let v = scores.iter().map(f).sum::<f64>() / n as f64;
        (v * 10_000.0).round() / 10_000.0
    };
    Metrics {
        n,
        hit1: avg(|s| s.hit1),
        hit5: avg(|s| s.hit5),
        mrr10: avg(|s| s.mrr10),
        recall5: avg(|s| s.recall5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_score_py() {
        assert_eq!(
            normalize("  **Mixed**  mode\n\tallows `x`_y_ "),
            "mixed mode allows xy"
        );
        assert_eq!(normalize("ÉTAPE\u{a0}Un"), "étape un");
    }

    #[test]
    fn scores_ranks_and_recall() {
        let q = EvalQuery {
            id: "q".into(),
            query: "x".into(),
            kind: None,
            file: None,
            evidence: vec!["Alpha beta gamma".into(), "delta epsilon".into()],
        };
        let s = score_query(
            &q,
            &["nothing", "x ALPHA  beta\ngamma y", "z", "delta *epsilon*"],
        );
        assert_eq!(s.first_relevant_rank, Some(2));
        assert_eq!((s.hit1, s.hit5, s.mrr10, s.recall5), (0.0, 1.0, 0.5, 1.0));
        let long = format!("{} delta epsilon", "a".repeat(MAX_CHARS));
        let s = score_query(&q, &[long.as_str()]);
        assert_eq!(
            s.first_relevant_rank, None,
            "evidence past 2,000 characters does not count"
        );
        let m = aggregate(&[score_query(&q, &["alpha beta gamma"]), score_query(&q, &[])]);
        assert_eq!((m.n, m.hit1, m.recall5), (2, 0.5, 0.25));
    }
}
