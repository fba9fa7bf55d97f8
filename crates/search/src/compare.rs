//! Release comparison: the sections of two releases of a product aligned across their
//! documents, each one unchanged, changed, moved, added or removed, with word-level
//! diffs cited on both sides.
//!
//! Built from the index alone (chunks, heading paths, pages): no document is read
//! again. A *section* is the run of consecutive chunks of one document under one
//! heading path. Sections are paired by what they say — word 3-gram shingles, scored
//! by the Dice coefficient, with a bonus when their headings read the same once
//! section numbers are ignored — taking the best-scoring pairs first, so files that
//! were renamed or split, chapters renumbered and headings reworded still pair; two
//! sections whose whole heading paths read the same pair even when rewritten
//! throughout. Text is compared word for word with whitespace ignored, so reflowed
//! PDF text is not a change.

use crate::{Citation, Engine, SearchError, SearchRequest};
use mcdewey_core::Chunk;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A pair scores at least this (Dice of shingles, plus the heading bonus) to be taken.
const MIN_PAIR_SCORE: f32 = 0.35;
/// Added to a pair's score when the last parts of their headings read the same.
const HEADING_BONUS: f32 = 0.3;
/// Shingles found in more sections than this are boilerplate, not evidence.
const COMMON_SHINGLE: usize = 48;
/// Words of unchanged text kept around each change in a diff.
const DIFF_CONTEXT: usize = 8;

/// What happened to a section between the two releases.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    /// The same words under the same heading.
    Unchanged,
    /// The text differs.
    Changed,
    /// The same words under another heading or in another document.
    Moved,
    /// Only in the newer release.
    Added,
    /// Only in the older release.
    Removed,
}

impl ChangeStatus {
    /// The word used in text output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Unchanged => "unchanged",
            ChangeStatus::Changed => "changed",
            ChangeStatus::Moved => "moved",
            ChangeStatus::Added => "added",
            ChangeStatus::Removed => "removed",
        }
    }
}

/// One side of a compared section: where it is, cited.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionSide {
    /// Its first chunk's id.
    pub chunk_id: String,
    /// Every chunk id of the section, in order.
    pub chunk_ids: Vec<String>,
    /// The citation of its first chunk (source, version, page, heading path).
    pub citation: Citation,
    /// Last printed page the section runs to, when past its first.
    pub page_end: Option<String>,
    /// Words in the section.
    pub words: usize,
}

/// One piece of a word-level diff.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffPiece {
    /// `equal`, `removed` (only in the older release) or `added`.
    pub op: String,
    /// The words; a long unchanged stretch is cut to its ends around `…`.
    pub text: String,
}

/// A section of either release and what became of it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionChange {
    /// What happened to it.
    pub status: ChangeStatus,
    /// The section in the older release (absent when added).
    pub from: Option<SectionSide>,
    /// The section in the newer release (absent when removed).
    pub to: Option<SectionSide>,
    /// How alike the two sides' text is, 0 to 1 (Dice of word 3-grams).
    pub similarity: f32,
    /// Words removed and added (0 when unchanged or one-sided).
    pub words_removed: usize,
    /// Words added.
    pub words_added: usize,
    /// The word-level diff, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<Vec<DiffPiece>>,
}

/// How many sections had each status.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    /// Same words, same heading.
    pub unchanged: usize,
    /// Text differs.
    pub changed: usize,
    /// Same words elsewhere.
    pub moved: usize,
    /// Only in the newer release.
    pub added: usize,
    /// Only in the older release.
    pub removed: usize,
}

/// Two releases of a product compared.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The product.
    pub product: String,
    /// The older release's version folder.
    pub from: String,
    /// The newer release's version folder.
    pub to: String,
    /// The doc set compared, when one was named.
    pub doc_set: Option<String>,
    /// The query, for a "what changed about X" comparison.
    pub query: Option<String>,
    /// Sections by status (all sections of both releases for a full comparison; the
    /// ones listed for a query).
    pub counts: ChangeCounts,
    /// The sections listed: every one that is not unchanged for a full comparison (in
    /// order: changed, moved, added, removed — each in document order), the matched
    /// passages for a query.
    pub sections: Vec<SectionChange>,
}

/// What a comparison is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CompareRequest {
    /// Product folder.
    pub product: String,
    /// Older release, as written ("v15", "12.5(1)SU1").
    pub from: String,
    /// Newer release.
    pub to: String,
    /// Only this doc set.
    pub doc_set: Option<String>,
    /// "What changed about X": only the passages this query finds in either release.
    pub query: Option<String>,
    /// One section: a chunk id of either release or words of its heading; the answer
    /// holds that section's pair with its diff.
    pub section: Option<String>,
    /// List unchanged sections too (full comparison).
    pub all: bool,
    /// Passages per release a query looks at (default 5, at most 20).
    pub limit: Option<usize>,
}

/// A section of one release, as read from the index.
#[derive(Debug, Clone)]
struct Section {
    source: String,
    heading: Vec<String>,
    chunks: Vec<Chunk>,
    words: Vec<String>,
    shingles: HashSet<u64>,
    /// Absorbed into the section before it (see [`absorb`]): listed as part of it.
    merged: bool,
}

impl Section {
    fn side(&self) -> SectionSide {
        let first = &self.chunks[0];
        let last = &self.chunks[self.chunks.len() - 1];
        let page_end = last
            .location
            .page_end
            .clone()
            .or_else(|| last.location.page.clone())
            .map(|p| p.0)
            .filter(|p| first.location.page.as_ref().is_none_or(|f| &f.0 != p));
        SectionSide {
            chunk_id: first.id.to_string(),
            chunk_ids: self.chunks.iter().map(|c| c.id.to_string()).collect(),
            citation: Citation::of(first),
            page_end,
            words: self.words.len(),
        }
    }
}

/// Both releases' sections and how they pair: computed once per engine and pair of
/// releases.
#[derive(Debug)]
pub(crate) struct Alignment {
    from: Vec<Section>,
    to: Vec<Section>,
    /// (from index, to index), one per paired section.
    pairs: Vec<(usize, usize)>,
}

/// Sections of a document's chunks: runs of consecutive chunks under one heading path.
/// Contents pages are left out: they list sections, they are not one.
fn sections_of(chunks: Vec<Chunk>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for chunk in chunks.into_iter().filter(|c| !crate::rank::is_contents(c)) {
        match out.last_mut() {
            Some(s) if s.source == chunk.source && s.heading == chunk.heading => {
                s.chunks.push(chunk)
            }
            _ => out.push(Section {
                source: chunk.source.clone(),
                heading: chunk.heading.clone(),
                chunks: vec![chunk],
                words: Vec::new(),
                shingles: HashSet::new(),
                merged: false,
            }),
        }
    }
    for s in &mut out {
        s.words = s
            .chunks
            .iter()
            .flat_map(|c| c.text.split_whitespace())
            .map(str::to_string)
            .collect();
        s.shingles = shingles(&s.words);
    }
    out
}

fn shingles(words: &[String]) -> HashSet<u64> {
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let hash = |ws: &[String]| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        ws.hash(&mut h);
        h.finish()
    };
    if lower.len() < 3 {
        return std::iter::once(hash(&lower)).collect();
    }
    lower.windows(3).map(hash).collect()
}

/// A heading read without section numbers, case or punctuation.
fn heading_key(h: &str) -> String {
    let words: Vec<String> = h
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let skip = words
        .iter()
        .take_while(|w| {
            w.chars().all(|c| c.is_ascii_digit())
                || matches!(w.as_str(), "chapter" | "part" | "appendix")
        })
        .count();
    words[skip.min(words.len())..].join(" ")
}

fn path_key(heading: &[String]) -> Vec<String> {
    heading.iter().map(|h| heading_key(h)).collect()
}

/// Pairs the sections of two releases (see the module notes).
fn align(from: Vec<Section>, to: Vec<Section>) -> Alignment {
    let mut postings: HashMap<u64, Vec<usize>> = HashMap::new();
    for (j, s) in to.iter().enumerate() {
        for &h in &s.shingles {
            postings.entry(h).or_default().push(j);
        }
    }
    let mut scored: Vec<(f32, usize, usize)> = Vec::new();
    for (i, s) in from.iter().enumerate() {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for h in &s.shingles {
            if let Some(js) = postings.get(h).filter(|js| js.len() <= COMMON_SHINGLE) {
                for &j in js {
                    *shared.entry(j).or_default() += 1;
                }
            }
        }
        let leaf = s.heading.last().map(|h| heading_key(h));
        for (j, n) in shared {
            let t = &to[j];
            let dice = 2.0 * n as f32 / (s.shingles.len() + t.shingles.len()).max(1) as f32;
            let same_heading = leaf.is_some() && leaf == t.heading.last().map(|h| heading_key(h));
            let score = dice + if same_heading { HEADING_BONUS } else { 0.0 };
            if score >= MIN_PAIR_SCORE {
                scored.push((score, i, j));
            }
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut used_from, mut used_to) = (vec![false; from.len()], vec![false; to.len()]);
    let mut pairs = Vec::new();
    for (_, i, j) in scored {
        if !used_from[i] && !used_to[j] {
            used_from[i] = true;
            used_to[j] = true;
            pairs.push((i, j));
        }
    }
    // Rewritten throughout but under the same heading path (one such section each).
    let mut by_path: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
    for (j, t) in to.iter().enumerate().filter(|(j, _)| !used_to[*j]) {
        by_path.entry(path_key(&t.heading)).or_default().push(j);
    }
    let mut from_paths: HashMap<Vec<String>, usize> = HashMap::new();
    for (_, s) in from.iter().enumerate().filter(|(i, _)| !used_from[*i]) {
        *from_paths.entry(path_key(&s.heading)).or_default() += 1;
    }
    for i in 0..from.len() {
        if used_from[i] || from[i].heading.is_empty() {
            continue;
        }
        let key = path_key(&from[i].heading);
        if let (Some(js), Some(1)) = (by_path.get(&key), from_paths.get(&key)) {
            if let [j] = js.as_slice() {
                used_from[i] = true;
                used_to[*j] = true;
                pairs.push((i, *j));
            }
        }
    }
    let (mut from, mut to) = (from, to);
    for &(i, j) in &pairs {
        absorb(&mut from, &mut used_from, i, &to[j].shingles);
        absorb(&mut to, &mut used_to, j, &from[i].shingles);
    }
    Alignment { from, to, pairs }
}

/// Heading structure differs between releases ("Procedure" a heading of its own in one,
/// part of the section above in the other): the unpaired sections that follow section
/// `at` in its document join it while that brings its text closer to its counterpart's.
fn absorb(sections: &mut [Section], used: &mut [bool], at: usize, other: &HashSet<u64>) {
    let mut next = at + 1;
    while next < sections.len() && !used[next] && sections[next].source == sections[at].source {
        let joined: HashSet<u64> = sections[at]
            .shingles
            .union(&sections[next].shingles)
            .copied()
            .collect();
        if dice(&joined, other) < dice(&sections[at].shingles, other) + 0.02 {
            break;
        }
        let (head, tail) = sections.split_at_mut(next);
        let (host, guest) = (&mut head[at], &mut tail[0]);
        host.chunks.append(&mut guest.chunks);
        host.words.append(&mut guest.words);
        host.shingles = joined;
        guest.merged = true;
        used[next] = true;
        next += 1;
    }
}

fn dice(a: &HashSet<u64>, b: &HashSet<u64>) -> f32 {
    2.0 * a.intersection(b).count() as f32 / (a.len() + b.len()).max(1) as f32
}

/// The word-level diff of two texts (whitespace ignored), long unchanged stretches cut,
/// with the words removed and added.
pub fn diff_words(a: &[String], b: &[String]) -> (Vec<DiffPiece>, usize, usize) {
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, a, b);
    let mut pieces: Vec<DiffPiece> = Vec::new();
    let (mut removed, mut added) = (0, 0);
    let mut push = |op: &str, words: &[String]| {
        if words.is_empty() {
            return;
        }
        let text = words.join(" ");
        match pieces.last_mut() {
            Some(p) if p.op == op => {
                p.text.push(' ');
                p.text.push_str(&text);
            }
            _ => pieces.push(DiffPiece {
                op: op.to_string(),
                text,
            }),
        }
    };
    for op in &ops {
        match *op {
            similar::DiffOp::Equal { old_index, len, .. } => {
                let words = &a[old_index..old_index + len];
                if len > 2 * DIFF_CONTEXT + 1 {
                    let mut cut: Vec<String> = words[..DIFF_CONTEXT].to_vec();
                    cut.push("…".into());
                    cut.extend_from_slice(&words[len - DIFF_CONTEXT..]);
                    push("equal", &cut);
                } else {
                    push("equal", words);
                }
            }
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => {
                removed += old_len;
                push("removed", &a[old_index..old_index + old_len]);
            }
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => {
                added += new_len;
                push("added", &b[new_index..new_index + new_len]);
            }
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                removed += old_len;
                added += new_len;
                push("removed", &a[old_index..old_index + old_len]);
                push("added", &b[new_index..new_index + new_len]);
            }
        }
    }
    // A diff that starts or ends unchanged keeps only its context there.
    if let Some(first) = pieces.first_mut().filter(|p| p.op == "equal") {
        if let Some(k) = first.text.find(" … ") {
            first.text = format!("…{}", &first.text[k + 4..]);
        }
    }
    if let Some(last) = pieces.last_mut().filter(|p| p.op == "equal") {
        if let Some(k) = last.text.rfind(" … ") {
            last.text = format!("{} …", &last.text[..k]);
        }
    }
    (pieces, removed, added)
}

impl Alignment {
    fn change(&self, from: Option<usize>, to: Option<usize>, with_diff: bool) -> SectionChange {
        let a = from.map(|i| &self.from[i]);
        let b = to.map(|j| &self.to[j]);
        let (status, similarity, removed, added, diff) = match (a, b) {
            (Some(a), Some(b)) => {
                let same_words = a.words == b.words;
                let status = match (same_words, path_key(&a.heading) == path_key(&b.heading)) {
                    (true, true) => ChangeStatus::Unchanged,
                    (true, false) => ChangeStatus::Moved,
                    (false, _) => ChangeStatus::Changed,
                };
                let (pieces, removed, added) = if same_words {
                    (Vec::new(), 0, 0)
                } else {
                    diff_words(&a.words, &b.words)
                };
                let sim = dice(&a.shingles, &b.shingles);
                (status, sim, removed, added, with_diff.then_some(pieces))
            }
            (Some(a), None) => (ChangeStatus::Removed, 0.0, a.words.len(), 0, None),
            (None, Some(b)) => (ChangeStatus::Added, 0.0, 0, b.words.len(), None),
            (None, None) => unreachable!("a change has at least one side"),
        };
        SectionChange {
            status,
            from: a.map(Section::side),
            to: b.map(Section::side),
            similarity: (similarity * 1000.0).round() / 1000.0,
            words_removed: removed,
            words_added: added,
            diff,
        }
    }

    /// Every section's change: paired ones in the newer release's order, then the
    /// removed ones in the older release's order.
    fn changes(&self, with_diff: bool) -> Vec<SectionChange> {
        let mut to_pair: HashMap<usize, usize> = HashMap::new();
        let mut paired_from = HashSet::new();
        for &(i, j) in &self.pairs {
            to_pair.insert(j, i);
            paired_from.insert(i);
        }
        let mut out: Vec<SectionChange> = (0..self.to.len())
            .filter(|&j| !self.to[j].merged)
            .map(|j| self.change(to_pair.get(&j).copied(), Some(j), with_diff))
            .collect();
        out.extend(
            (0..self.from.len())
                .filter(|i| !paired_from.contains(i) && !self.from[*i].merged)
                .map(|i| self.change(Some(i), None, with_diff)),
        );
        out
    }

    /// The pair (or lone section) holding a chunk id of either release.
    fn of_chunk(&self, id: &str) -> Option<(Option<usize>, Option<usize>)> {
        let holds = |s: &Section| s.chunks.iter().any(|c| c.id.to_string() == id);
        if let Some(i) = self.from.iter().position(holds) {
            let j = self.pairs.iter().find(|p| p.0 == i).map(|p| p.1);
            return Some((Some(i), j));
        }
        let j = self.to.iter().position(holds)?;
        let i = self.pairs.iter().find(|p| p.1 == j).map(|p| p.0);
        Some((i, Some(j)))
    }

    /// The first section (newer release first) whose heading path holds all the words.
    fn of_heading(&self, words: &str) -> Option<(Option<usize>, Option<usize>)> {
        let want: Vec<String> = heading_key(words)
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let matches = |s: &Section| {
            if s.merged {
                return false;
            }
            let have = path_key(&s.heading).join(" ");
            let have: HashSet<&str> = have.split(' ').collect();
            !want.is_empty() && want.iter().all(|w| have.contains(w.as_str()))
        };
        if let Some(j) = self.to.iter().position(matches) {
            let i = self.pairs.iter().find(|p| p.1 == j).map(|p| p.0);
            return Some((i, Some(j)));
        }
        let i = self.from.iter().position(matches)?;
        let j = self.pairs.iter().find(|p| p.0 == i).map(|p| p.1);
        Some((Some(i), j))
    }
}

/// Where a status comes in a listing: changed and moved first, then added, removed,
/// unchanged.
fn listing_order(status: ChangeStatus) -> u8 {
    match status {
        ChangeStatus::Changed => 0,
        ChangeStatus::Moved => 1,
        ChangeStatus::Added => 2,
        ChangeStatus::Removed => 3,
        ChangeStatus::Unchanged => 4,
    }
}

fn count(changes: &[SectionChange]) -> ChangeCounts {
    let mut c = ChangeCounts::default();
    for ch in changes {
        match ch.status {
            ChangeStatus::Unchanged => c.unchanged += 1,
            ChangeStatus::Changed => c.changed += 1,
            ChangeStatus::Moved => c.moved += 1,
            ChangeStatus::Added => c.added += 1,
            ChangeStatus::Removed => c.removed += 1,
        }
    }
    c
}

/// Cached alignments, by (product, from, to, doc set).
pub(crate) type AlignmentCache =
    std::sync::Mutex<HashMap<(String, String, String, Option<String>), Arc<Alignment>>>;

impl Engine {
    /// Compares two releases of a product (see [`CompareRequest`]).
    pub fn compare(&self, req: &CompareRequest) -> Result<Comparison, SearchError> {
        let resolve = |version: &str, field: &'static str| -> Result<String, SearchError> {
            let filter = self.resolve_filter(&SearchRequest {
                product: Some(req.product.clone()),
                version: Some(version.to_string()),
                ..Default::default()
            })?;
            match filter.versions.as_deref() {
                Some([(_, v)]) => Ok(v.clone()),
                _ => Err(SearchError::InvalidArgument {
                    field,
                    reason: format!("{version:?} names more than one release; name one"),
                }),
            }
        };
        let product = self
            .resolve_filter(&SearchRequest {
                product: Some(req.product.clone()),
                ..Default::default()
            })?
            .product
            .unwrap_or_else(|| req.product.clone());
        let (from, to) = (resolve(&req.from, "from")?, resolve(&req.to, "to")?);
        if from == to {
            return Err(SearchError::InvalidArgument {
                field: "to",
                reason: format!("{to} is the release compared from; name two releases"),
            });
        }
        let doc_set = match &req.doc_set {
            Some(d) => {
                self.resolve_filter(&SearchRequest {
                    product: Some(product.clone()),
                    doc_set: Some(d.clone()),
                    ..Default::default()
                })?
                .doc_set
            }
            None => None,
        };
        let alignment = self.alignment(&product, &from, &to, doc_set.as_deref())?;
        let mut out = Comparison {
            product,
            from,
            to,
            doc_set,
            query: None,
            counts: ChangeCounts::default(),
            sections: Vec::new(),
        };
        if let Some(section) = req
            .section
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let found = alignment
                .of_chunk(section)
                .or_else(|| alignment.of_heading(section))
                .ok_or_else(|| SearchError::InvalidArgument {
                    field: "section",
                    reason: format!(
                        "no section of {} or {} has the chunk id or heading words {}",
                        out.from,
                        out.to,
                        mcdewey_core::shorten(section, 80)
                    ),
                })?;
            out.sections = vec![alignment.change(found.0, found.1, true)];
            out.counts = count(&out.sections);
            return Ok(out);
        }
        if let Some(query) = req
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            out.query = Some(query.to_string());
            out.sections = self.changes_about(&alignment, &out, query, req.limit)?;
            out.counts = count(&out.sections);
            return Ok(out);
        }
        let all = alignment.changes(false);
        out.counts = count(&all);
        out.sections = all
            .into_iter()
            .filter(|c| req.all || c.status != ChangeStatus::Unchanged)
            .collect();
        out.sections.sort_by_key(|c| listing_order(c.status));
        Ok(out)
    }

    /// "What changed about X": the passages a search finds in either release, each
    /// with its counterpart in the other and the diff between them.
    fn changes_about(
        &self,
        alignment: &Alignment,
        c: &Comparison,
        query: &str,
        limit: Option<usize>,
    ) -> Result<Vec<SectionChange>, SearchError> {
        let limit = limit.unwrap_or(5).clamp(1, 20);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for version in [&c.to, &c.from] {
            let response = self.search(&SearchRequest {
                query: query.to_string(),
                product: Some(c.product.clone()),
                version: Some(version.clone()),
                doc_set: c.doc_set.clone(),
                limit: Some(limit),
                understand: Some(false),
                ..Default::default()
            })?;
            for hit in response.results {
                if let Some(pair) = alignment.of_chunk(&hit.chunk_id) {
                    if seen.insert(pair) {
                        out.push(alignment.change(pair.0, pair.1, true));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The sections of two releases and their pairing, cached for this engine (which
    /// is reopened when the index changes).
    fn alignment(
        &self,
        product: &str,
        from: &str,
        to: &str,
        doc_set: Option<&str>,
    ) -> Result<Arc<Alignment>, SearchError> {
        let key = (
            product.to_string(),
            from.to_string(),
            to.to_string(),
            doc_set.map(str::to_string),
        );
        let lock = || self.alignments.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = lock().get(&key) {
            return Ok(a.clone());
        }
        let read = |version: &str| -> Result<Vec<Section>, SearchError> {
            let prefix = format!("{product}/{version}/");
            let mut sections = Vec::new();
            for (source, entry) in &self.manifest()?.documents {
                let in_set =
                    doc_set.is_none_or(|d| source[prefix.len()..].starts_with(&format!("{d}/")));
                if source.starts_with(&prefix) && in_set {
                    sections.extend(sections_of(self.store.document_chunks(&entry.document)?));
                }
            }
            Ok(sections)
        };
        let alignment = Arc::new(align(read(from)?, read(to)?));
        let mut cache = lock();
        if cache.len() >= 16 {
            cache.clear();
        }
        cache.insert(key, alignment.clone());
        Ok(alignment)
    }
}

impl Comparison {
    /// The comparison as text, for people (CLI) and agents (MCP): counts, then one
    /// entry per listed section (changed and moved first, then added and removed) with
    /// both sides cited and the word-level diff where there is one. At most `sections`
    /// entries and about `diff_chars` characters of each diff; what is cut is said.
    pub fn text(&self, sections: usize, diff_chars: usize) -> String {
        use std::fmt::Write;
        let c = self;
        let mut out = String::new();
        let scope = c
            .doc_set
            .as_deref()
            .map(|d| format!(", doc set {d}"))
            .unwrap_or_default();
        let about = c
            .query
            .as_deref()
            .map(|q| format!(", about {q:?}"))
            .unwrap_or_default();
        let _ = writeln!(out, "{} {} -> {}{scope}{about}", c.product, c.from, c.to);
        let n = &c.counts;
        let _ = writeln!(
            out,
            "  {} changed, {} moved, {} added, {} removed, {} unchanged",
            n.changed, n.moved, n.added, n.removed, n.unchanged
        );
        let cite = |version: &str, x: &SectionSide| {
            let page = x
                .citation
                .page_text()
                .map(|p| format!(", {p}"))
                .unwrap_or_default();
            format!(
                "           {version}: {}{page}  {}",
                x.citation.source, x.chunk_id
            )
        };
        let mut listed: Vec<_> = c.sections.iter().collect();
        listed.sort_by_key(|s| listing_order(s.status));
        let omitted = listed.len().saturating_sub(sections);
        for s in listed.into_iter().take(sections) {
            let heading =
                s.to.as_ref()
                    .or(s.from.as_ref())
                    .map(|x| x.citation.heading_path())
                    .unwrap_or_default();
            let words = match s.status {
                ChangeStatus::Changed => {
                    format!("  (-{} +{} words)", s.words_removed, s.words_added)
                }
                _ => String::new(),
            };
            let _ = writeln!(out, "\n{:<10} {heading}{words}", s.status.as_str());
            if let Some(f) = &s.from {
                let _ = writeln!(out, "{}", cite(&c.from, f));
            }
            if let Some(t) = &s.to {
                let _ = writeln!(out, "{}", cite(&c.to, t));
            }
            let mut shown = 0;
            for p in s.diff.iter().flatten() {
                if shown >= diff_chars {
                    let _ = writeln!(out, "    (diff cut at {diff_chars} characters)");
                    break;
                }
                let mark = match p.op.as_str() {
                    "removed" => "-",
                    "added" => "+",
                    _ => " ",
                };
                let text = match p.text.char_indices().nth(diff_chars - shown) {
                    Some((i, _)) => format!("{}…", &p.text[..i]),
                    None => p.text.clone(),
                };
                shown += text.chars().count();
                let _ = writeln!(out, "    {mark} {text}");
            }
        }
        if omitted > 0 {
            let _ = writeln!(
                out,
                "\n… and {omitted} more sections (JSON output lists them all)"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_chunk;

    fn section(version: &str, stem: &str, heading: &[&str], text: &str, ordinal: u32) -> Chunk {
        let mut c = test_chunk("p", version, stem, heading, text);
        c.id = mcdewey_core::ChunkId::new(format!("p::{version}::guide::{stem}"), ordinal);
        c
    }

    const BFD: &str = "BFD detects failures of forwarding paths quickly and tells the routing \
                       protocols, which then withdraw routes over the failed path at once.";
    const KERNEL: &str = "The Kernel protocol is not a real routing protocol. Instead of \
                          communicating with other routers, it synchronizes routing tables.";

    #[test]
    fn sections_pair_across_renamed_files_and_renumbered_headings() {
        let from = sections_of(vec![
            section("v1", "guide", &["6 Protocols", "6.2 BFD"], BFD, 0),
            section("v1", "guide", &["6 Protocols", "6.6 Kernel"], KERNEL, 1),
            section(
                "v1",
                "guide",
                &["6 Protocols", "6.9 Gone"],
                "A feature that was dropped later on for good reasons.",
                2,
            ),
        ]);
        let to = sections_of(vec![
            // The file was renamed and the chapter renumbered; BFD's text changed a word.
            section(
                "v2",
                "manual",
                &["7 Protocols", "7.2 BFD"],
                &BFD.replace("quickly", "within milliseconds"),
                0,
            ),
            section("v2", "manual", &["7 Protocols", "7.6 Kernel"], KERNEL, 1),
            section(
                "v2",
                "manual",
                &["7 Protocols", "7.7 MRT"],
                "MRT dumps routing tables to files for later analysis by other tools.",
                2,
            ),
        ]);
        let a = align(from, to);
        let changes = a.changes(true);
        let status: Vec<(ChangeStatus, Option<String>)> = changes
            .iter()
            .map(|c| {
                (
                    c.status,
                    c.to.as_ref()
                        .or(c.from.as_ref())
                        .map(|s| s.citation.heading[1].clone()),
                )
            })
            .collect();
        assert_eq!(
            status,
            [
                (ChangeStatus::Changed, Some("7.2 BFD".into())),
                (ChangeStatus::Unchanged, Some("7.6 Kernel".into())),
                (ChangeStatus::Added, Some("7.7 MRT".into())),
                (ChangeStatus::Removed, Some("6.9 Gone".into())),
            ]
        );
        let bfd = &changes[0];
        assert_eq!((bfd.words_removed, bfd.words_added), (1, 2));
        let diff = bfd.diff.as_ref().unwrap();
        assert!(
            diff.iter()
                .any(|p| p.op == "removed" && p.text == "quickly"),
            "{diff:?}"
        );
        assert!(
            diff.iter()
                .any(|p| p.op == "added" && p.text == "within milliseconds"),
            "{diff:?}"
        );
        assert_eq!(
            bfd.from.as_ref().unwrap().chunk_id,
            "p::v1::guide::guide::0"
        );
        assert_eq!(bfd.to.as_ref().unwrap().chunk_id, "p::v2::guide::manual::0");
    }

    #[test]
    fn a_heading_of_its_own_in_one_release_joins_the_section_above() {
        // CUCM 12.5(1)SU1 made "Procedure" a heading of its own; 12.5(1) keeps the steps
        // in the section above.
        let steps = "Step 1 In Cisco Unified Serviceability choose Tools then Service \
                     Activation. Step 2 Choose a server. Step 3 Click the radio button. Step 4 \
                     Click Save and verify that the service runs on every server.";
        let from = sections_of(vec![section(
            "v1",
            "ctl",
            &["Setup", "Activate the Service"],
            &format!("{KERNEL} {steps}"),
            0,
        )]);
        let to = sections_of(vec![
            section("v2", "guide", &["Setup", "Activate the Service"], KERNEL, 0),
            section("v2", "guide", &["Setup", "Procedure"], steps, 1),
            section("v2", "guide", &["Other"], BFD, 2),
        ]);
        let changes = align(from, to).changes(false);
        let status: Vec<ChangeStatus> = changes.iter().map(|c| c.status).collect();
        assert_eq!(
            status,
            [ChangeStatus::Unchanged, ChangeStatus::Added],
            "{changes:#?}"
        );
        assert_eq!(changes[0].to.as_ref().unwrap().chunk_ids.len(), 2);
    }

    #[test]
    fn moved_text_and_reflowed_text() {
        let from = sections_of(vec![section("v1", "a", &["Setup"], KERNEL, 0)]);
        let to = sections_of(vec![section(
            "v2",
            "b",
            &["Installation"],
            &KERNEL.replace(' ', "\n "),
            0,
        )]);
        let changes = align(from, to).changes(true);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].status,
            ChangeStatus::Moved,
            "whitespace is not a change"
        );
    }

    #[test]
    fn a_long_diff_keeps_context_around_changes() {
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let a = words(&format!("{} old {}", "w ".repeat(30), "z ".repeat(30)));
        let b = words(&format!("{} new {}", "w ".repeat(30), "z ".repeat(30)));
        let (pieces, removed, added) = diff_words(&a, &b);
        assert_eq!((removed, added), (1, 1));
        assert!(
            pieces[0].text.starts_with('…')
                && pieces[0].text.split(' ').count() <= DIFF_CONTEXT + 1,
            "{pieces:?}"
        );
        assert!(pieces.last().unwrap().text.ends_with('…'), "{pieces:?}");
    }
}
