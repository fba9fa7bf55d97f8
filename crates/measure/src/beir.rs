//! BEIR benchmark data sets: reading a corpus, its queries and qrels, laying the corpus
//! out as a McDewey library, turning chunk hits into document rankings and scoring them
//! with trec_eval's rules (nDCG@10, Recall@100, MRR@10), as `shared/bench/*/score.py` does.

use crate::MeasureError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One corpus document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BeirDoc {
    /// Document id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Title (may be empty).
    #[serde(default)]
    pub title: String,
    /// Body text.
    #[serde(default)]
    pub text: String,
}

/// One query.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BeirQuery {
    /// Query id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Query text.
    pub text: String,
}

/// Relevance judgements: query id → document id → grade.
pub type Qrels = BTreeMap<String, BTreeMap<String, i64>>;

fn invalid(path: &Path, line: usize, reason: impl std::fmt::Display) -> MeasureError {
    MeasureError::Invalid {
        path: path.to_path_buf(),
        line,
        reason: reason.to_string(),
    }
}

fn read_text(path: &Path) -> Result<String, MeasureError> {
    std::fs::read_to_string(path).map_err(MeasureError::io(path))
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, MeasureError> {
    let text = read_text(path)?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(line).map_err(|e| invalid(path, n + 1, e))?);
    }
    Ok(out)
}

/// A BEIR data set folder: `corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`.
#[derive(Debug, Clone)]
pub struct BeirDataset {
    /// The folder.
    pub dir: PathBuf,
    /// Data set name (the folder name, e.g. `scifact`).
    pub name: String,
    /// Documents.
    pub corpus: Vec<BeirDoc>,
    /// The queries judged in the split, in file order.
    pub queries: Vec<BeirQuery>,
    /// Judgements of the split.
    pub qrels: Qrels,
}

impl BeirDataset {
    /// Reads a data set and the qrels of `split` (`test`, `dev`, `train`).
    pub fn read(dir: &Path, split: &str) -> Result<BeirDataset, MeasureError> {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "beir".into());
        let corpus: Vec<BeirDoc> = read_jsonl(&dir.join("corpus.jsonl"))?;
        let qrels = read_qrels(&dir.join("qrels").join(format!("{split}.tsv")))?;
        let queries: Vec<BeirQuery> = read_jsonl::<BeirQuery>(&dir.join("queries.jsonl"))?
            .into_iter()
            .filter(|q| qrels.contains_key(&q.id))
            .collect();
        if corpus.is_empty() || queries.is_empty() {
            return Err(invalid(
                dir,
                0,
                format!(
                    "{} documents and {} judged queries; a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/{split}.tsv",
                    corpus.len(),
                    queries.len()
                ),
            ));
        }
        Ok(BeirDataset {
            dir: dir.to_path_buf(),
            name: safe_name(&name),
            corpus,
            queries,
            qrels,
        })
    }
}

/// Reads BEIR TSV qrels (`query-id corpus-id score`, header optional) or TREC qrels
/// (`qid 0 docid grade`).
pub fn read_qrels(path: &Path) -> Result<Qrels, MeasureError> {
    let text = read_text(path)?;
    let mut qrels = Qrels::new();
    for (n, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (q, d, g) = match cols.as_slice() {
            [] => continue,
            [q, d, g] => (*q, *d, *g),
            [q, _, d, g] => (*q, *d, *g),
            _ => return Err(invalid(path, n + 1, "expected 3 or 4 columns")),
        };
        let Ok(grade) = g.parse::<i64>() else {
            if n == 0 {
                continue; // header
            }
            return Err(invalid(path, n + 1, format!("grade {g:?} is not a number")));
        };
        qrels
            .entry(q.to_string())
            .or_default()
            .insert(d.to_string(), grade);
    }
    Ok(qrels)
}

/// A file-name-safe form of an id: ASCII letters, digits, `-` and `_` are kept, every
/// other byte becomes `~XX`. Distinct ids stay distinct.
pub fn safe_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("~{b:02x}"));
        }
    }
    out
}

/// The Markdown of one corpus document: the title as a heading, then the text.
pub fn document_markdown(doc: &BeirDoc) -> String {
    let title = doc.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        format!("{}\n", doc.text)
    } else {
        format!("# {title}\n\n{}\n", doc.text)
    }
}

/// Lays the corpus out as a McDewey library `<root>/<name>/v1/corpus/<id>.md` (files
/// whose content is already right are left alone) and returns the file stem → document
/// id map. Files of documents no longer in the corpus are removed.
pub fn write_library(
    dataset: &BeirDataset,
    root: &Path,
) -> Result<HashMap<String, String>, MeasureError> {
    let dir = root.join(&dataset.name).join("v1").join("corpus");
    std::fs::create_dir_all(&dir).map_err(MeasureError::io(&dir))?;
    let mut stems = HashMap::new();
    for doc in &dataset.corpus {
        let stem = safe_name(&doc.id);
        let path = dir.join(format!("{stem}.md"));
        let text = document_markdown(doc);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            std::fs::write(&path, &text).map_err(MeasureError::io(&path))?;
        }
        stems.insert(stem, doc.id.clone());
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".md").unwrap_or(&name);
            if !stems.contains_key(stem) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(stems)
}

/// Documents ranked by their best chunk: the first time a document's chunk appears in
/// `hits` fixes its rank. `stem_of` maps a chunk to its document stem.
pub fn rank_documents<'a, T>(
    hits: &'a [T],
    stem_of: impl Fn(&'a T) -> &'a str,
    stems: &HashMap<String, String>,
    limit: usize,
) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for h in hits {
        if out.len() >= limit {
            break;
        }
        if let Some(id) = stems.get(stem_of(h)) {
            if seen.insert(id.as_str()) {
                out.push(id.clone());
            }
        }
    }
    out
}

/// One TREC run line; `rank` is 1-based and the score falls with rank, so trec_eval's
/// sort by score keeps our order.
pub fn trec_line(qid: &str, docid: &str, rank: usize, tag: &str) -> String {
    format!(
        "{qid} Q0 {docid} {rank} {:.4} {tag}",
        1000.0 - rank as f64 * 0.001
    )
}

/// Mean scores over the judged queries.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct BeirMetrics {
    /// Queries averaged (every judged query; missing ones count 0).
    pub queries: usize,
    /// nDCG@10 (gain = grade, as trec_eval `ndcg_cut.10`).
    #[serde(rename = "ndcg@10")]
    pub ndcg10: f64,
    /// Recall@100.
    #[serde(rename = "recall@100")]
    pub recall100: f64,
    /// MRR@10.
    #[serde(rename = "mrr@10")]
    pub mrr10: f64,
}

/// Scores ranked document lists (query id → ids, best first) against qrels.
pub fn score_runs(qrels: &Qrels, runs: &HashMap<String, Vec<String>>) -> BeirMetrics {
    let mut m = BeirMetrics::default();
    for (qid, judged) in qrels {
        m.queries += 1;
        let Some(ranked) = runs.get(qid) else {
            continue;
        };
        let grade = |d: &str| judged.get(d).copied().unwrap_or(0).max(0) as f64;
        let dcg: f64 = ranked
            .iter()
            .take(10)
            .enumerate()
            .map(|(i, d)| grade(d) / ((i + 2) as f64).log2())
            .sum();
        let mut ideal: Vec<f64> = judged.values().map(|&g| g.max(0) as f64).collect();
        ideal.sort_by(|a, b| b.total_cmp(a));
        let idcg: f64 = ideal
            .iter()
            .take(10)
            .enumerate()
            .map(|(i, g)| g / ((i + 2) as f64).log2())
            .sum();
        if idcg > 0.0 {
            m.ndcg10 += dcg / idcg;
        }
        let relevant = judged.values().filter(|&&g| g >= 1).count();
        if relevant > 0 {
            let found = ranked.iter().take(100).filter(|d| grade(d) >= 1.0).count();
            m.recall100 += found as f64 / relevant as f64;
        }
        if let Some(i) = ranked.iter().take(10).position(|d| grade(d) >= 1.0) {
            m.mrr10 += 1.0 / (i + 1) as f64;
        }
    }
    if m.queries > 0 {
        let n = m.queries as f64;
        m.ndcg10 /= n;
        m.recall100 /= n;
        m.mrr10 /= n;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_are_distinct_and_file_safe() {
        assert_eq!(safe_name("4983"), "4983");
        assert_eq!(safe_name("a/b.c"), "a~2fb~2ec");
        assert_ne!(safe_name("a.b"), safe_name("a~2eb"));
    }

    #[test]
    fn qrels_read_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let tsv = dir.path().join("t.tsv");
        std::fs::write(&tsv, "query-id\tcorpus-id\tscore\n1\t10\t1\n1\t11\t2\n").unwrap();
        let q = read_qrels(&tsv).unwrap();
        assert_eq!(q["1"]["11"], 2);
        std::fs::write(&tsv, "1 0 10 1\n").unwrap();
        assert_eq!(read_qrels(&tsv).unwrap()["1"]["10"], 1);
        std::fs::write(&tsv, "1 0 10 x\n1 2 3 y\n").unwrap();
        assert!(read_qrels(&tsv)
            .unwrap_err()
            .to_string()
            .contains("t.tsv:2"));
    }

    #[test]
    fn metrics_follow_trec_eval() {
        let mut qrels = Qrels::new();
        qrels.insert("q1".into(), [("a".to_string(), 1)].into());
        qrels.insert(
            "q2".into(),
            [("b".to_string(), 1), ("c".to_string(), 1)].into(),
        );
        qrels.insert("q3".into(), [("z".to_string(), 1)].into());
        let mut runs = HashMap::new();
        runs.insert("q1".to_string(), vec!["a".to_string()]);
        runs.insert(
            "q2".to_string(),
            vec!["x".to_string(), "b".to_string(), "y".to_string()],
        );
        let m = score_runs(&qrels, &runs);
        assert_eq!(m.queries, 3);
        // q1: 1; q2: (1/log2 3) / (1 + 1/log2 3); q3 missing: 0.
        let q2 = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((m.ndcg10 - (1.0 + q2) / 3.0).abs() < 1e-12);
        assert!((m.recall100 - (1.0 + 0.5) / 3.0).abs() < 1e-12);
        assert!((m.mrr10 - (1.0 + 0.5) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn documents_rank_by_their_best_chunk() {
        let stems: HashMap<String, String> = [("a", "A"), ("b", "B")]
            .iter()
            .map(|(s, d)| (s.to_string(), d.to_string()))
            .collect();
        let hits = ["a", "a", "x", "b", "a"];
        assert_eq!(rank_documents(&hits, |h| h, &stems, 10), ["A", "B"]);
        assert_eq!(rank_documents(&hits, |h| h, &stems, 1), ["A"]);
    }
}
