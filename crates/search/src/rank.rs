//! The second ranking stage and the relevance signal.
//!
//! The first stage (BM25 and vectors, fused) sees each list's score only. Over its top
//! candidates, this stage reads the chunk text and adds evidence neither list uses:
//! how many of the query's terms the passage holds (coordination), whether the query's
//! identifiers, commands and error strings occur verbatim, how many query terms the
//! heading path holds, and whether an identifier of the query names the passage's own
//! section (the setting or option asked about, rather than those that mention it).
//! Every weight was kept only where it helped the CUCM, clang and SciFact sets together
//! (docs/evaluation.md).
//!
//! The same features, with the vector similarity, give each result a [`MatchLevel`]
//! people and agents can read: `strong`, `partial` or `weak`.

use mcdewey_core::Chunk;
use mcdewey_index::analyzer::{analyze, technical_analyzer, TextAnalyzer};
use mcdewey_ingest::contents::{ends_in_page, is_navigation_line, MIN_LINES};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Weights of the second stage, on the scale of fused scores (0..2 in hybrid mode:
/// each list's best scores 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rerank {
    /// Candidates re-scored (the rest keep their order below them).
    pub depth: usize,
    /// Weight of the share of query terms found in the passage.
    pub coverage: f32,
    /// Weight of the share of query terms found in the heading path.
    pub heading: f32,
    /// Bonus when the query's identifiers (or the whole query, for 2+ words) occur
    /// verbatim.
    pub exact: f32,
    /// Bonus of release notes when the query asks what changed or since when.
    pub notes: f32,
    /// Weight of the share of the query a passage holds word for word
    /// ([`Features::verbatim`]): a sentence or message pasted from the manual.
    pub verbatim: f32,
    /// Bonus of a passage whose section an identifier of the query names
    /// ([`Features::defines`]): the option or setting asked about, not the ones that
    /// mention it.
    pub defines: f32,
}

impl Default for Rerank {
    fn default() -> Self {
        // Measured on cucm-dev, cucm-dev2, clang-dev and SciFact together
        // (docs/evaluation.md): release notes for questions about changes help
        // clang-dev (Hit@1 +0.10) and touch nothing else; coverage, heading and exact
        // identifiers did not help the sets together (at best one CUCM question, at a
        // cost on SciFact) and are off, though their features still feed the match
        // level. The section an identifier of the query names (a setting or option
        // asked by name) changes none of those sets and ranks definitions first more
        // often on sets written after them: PostgreSQL questions 0.250 → 0.350 Hit@1,
        // PostgreSQL names 0.690 → 0.780, clang names 0.840 → 0.850.
        Rerank {
            depth: 30,
            coverage: 0.0,
            heading: 0.0,
            exact: 0.0,
            notes: 0.3,
            verbatim: VERBATIM_WEIGHT,
            defines: DEFINES_WEIGHT,
        }
    }
}

impl Rerank {
    /// A stage that changes nothing.
    pub fn off() -> Rerank {
        Rerank {
            depth: 0,
            ..Rerank::default()
        }
    }
}

/// The parts of a query the second stage looks for, with the analyzer that reads
/// passages the way the keyword index does (made once per query).
#[derive(Clone)]
pub struct QueryEvidence {
    analyzer: TextAnalyzer,
    /// Analysed terms (stemmed, stop words dropped), distinct.
    terms: Vec<String>,
    /// Words that look like identifiers, commands or error strings (mixed case, digits
    /// with letters, `_ : - . / !` inside), lower-cased.
    identifiers: Vec<String>,
    /// The names the identifiers give (an option without its value: `-ffp-contract`
    /// for `-ffp-contract=on`), to match the names sections define.
    names: Vec<String>,
    /// The whole query, normalised (lower case, single spaces), when it has 2+ words
    /// and reads like a command or a literal rather than a question.
    literal: Option<String>,
    /// Whether the query asks what changed, since when or in which release.
    asks_change: bool,
    /// The query's words for verbatim matching ([`phrase_words`]), when it has at
    /// least [`VERBATIM_WORDS`].
    words: Vec<String>,
}

/// The fewest words a query and a passage must share in one run, in order, for the
/// passage to hold the query verbatim: fewer is a shared name ("Cisco Unified
/// Communications Manager Administration") or a turn of phrase ("is positively associated
/// with breast cancer"), not a quotation.
pub const VERBATIM_WORDS: usize = 8;
/// The least share of the query's words that run must be.
pub const VERBATIM_SHARE: f32 = 0.6;
/// Default weight of [`Features::verbatim`].
pub const VERBATIM_WEIGHT: f32 = 1.0;
/// Default weight of [`Features::defines`].
pub const DEFINES_WEIGHT: f32 = 0.3;

/// The longest run of words `a` and `b` share, in order.
fn longest_common_run(a: &[String], b: &[String]) -> usize {
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y { prev[j] + 1 } else { 0 };
            best = best.max(cur[j + 1]);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    best
}

/// The share of the query's words a passage's text holds in one run, word for word
/// ([`phrase_words`]), when the run has [`VERBATIM_WORDS`] words or more and is
/// [`VERBATIM_SHARE`] of the query or more; else 0.
fn verbatim_share(q: &QueryEvidence, chunk: &Chunk) -> f32 {
    if q.words.len() < VERBATIM_WORDS {
        return 0.0;
    }
    let run = longest_common_run(&q.words, &phrase_words(&chunk.text));
    let share = run as f32 / q.words.len() as f32;
    if run >= VERBATIM_WORDS && share >= VERBATIM_SHARE {
        share
    } else {
        0.0
    }
}

/// Lower case, single spaces, no Markdown escapes.
fn normalise(text: &str) -> String {
    text.replace('\\', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Phrases of questions about changes between releases.
const CHANGE_PHRASES: &[&str] = &[
    "since which",
    "which release",
    "which version",
    "what changed",
    "what's new",
    "what is new",
    "changed in",
    "new in",
    "introduced",
    "no longer",
    "upgrade",
    "release notes",
    "deprecated",
    "by default now",
    "now by default",
    "now the default",
    "the new default",
    "now defaults",
    "became the default",
    "become the default",
    "becomes the default",
    "changed the default",
    "default changed",
    "starting with",
    "starting from",
    "as of which",
    "first appeared",
    "was removed",
    "were removed",
    "got removed",
    "removed in",
    "was added",
    "were added",
    "got added",
    "anymore",
    "has changed",
    "have changed",
    "what's changed",
    "changes in",
    "still supported",
    "still available",
];

/// Whether the query asks which release ("which clang release", "in which CUCM
/// releases", "which clang version"): "which" with "release" or "version" right after
/// it, or "release" one word later, or "version" after one of the library's
/// `products`; or "did" with "change" a few words later. "Which DWARF version" asks no
/// such thing.
fn asks_about_releases(lower: &str, products: &[&str]) -> bool {
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '+')
        .filter(|w| !w.is_empty())
        .collect();
    let release = |w: &str| matches!(w, "release" | "releases");
    let version = |w: &str| matches!(w, "version" | "versions");
    // "Did the DWARF version that -g emits change?"
    let did_change = words.iter().enumerate().any(|(i, w)| {
        *w == "did"
            && words[i + 1..]
                .iter()
                .take(10)
                .any(|n| matches!(*n, "change" | "changed"))
    });
    did_change
        || words.windows(3).any(|w| {
            w[0] == "which"
                && (release(w[1])
                    || version(w[1])
                    || release(w[2])
                    || (version(w[2]) && products.iter().any(|p| p.eq_ignore_ascii_case(w[1]))))
        })
}

/// Whether `needle` occurs in `hay` with no letter or digit glued to either end
/// (`asan` is not in `kasan`, `utils capf` is in `run utils capf.`).
fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    hay.match_indices(needle).any(|(at, _)| {
        !glued(hay[..at].chars().next_back()) && !glued(hay[at + needle.len()..].chars().next())
    })
}

/// Most phrases in double quotes a query is read for.
const MAX_QUOTED: usize = 8;

/// The phrases a query puts in double quotes (straight or curly), as written, in order:
/// `"CTL file" update` → `["CTL file"]`. An unpaired quote and a pair holding no letter
/// or digit are ignored.
pub fn quoted_phrases(query: &str) -> Vec<String> {
    let mut phrases = Vec::new();
    let mut open: Option<usize> = None;
    for (at, c) in query.char_indices() {
        match (c, open) {
            ('"' | '“' | '”', Some(start)) => {
                let phrase = query[start..at].trim();
                if phrase.chars().any(char::is_alphanumeric) && phrases.len() < MAX_QUOTED {
                    phrases.push(phrase.to_string());
                }
                open = None;
            }
            ('"' | '“', None) => open = Some(at + c.len_utf8()),
            _ => {}
        }
    }
    phrases
}

/// The words of a text for phrase matching: its runs of letters and digits, lower case
/// (so `12.5(1)SU1` is `12 5 1 su1` and a phrase matches across any punctuation or
/// spacing between its words).
pub fn phrase_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether a passage (its heading path or text) holds every phrase, word for word; the
/// phrases as [`phrase_words`] splits them.
pub fn holds_phrases(chunk: &Chunk, phrases: &[Vec<String>]) -> bool {
    let mut words = phrase_words(&chunk.heading.join(" "));
    words.push(String::new());
    words.extend(phrase_words(&chunk.text));
    phrases
        .iter()
        .all(|want| !want.is_empty() && words.windows(want.len()).any(|w| w == want.as_slice()))
}

/// Whether a passage is from release notes (by its file name or title).
fn is_release_notes(chunk: &Chunk) -> bool {
    let stem = chunk
        .source
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_lowercase()
        .replace(['-', '_', ' '], "");
    let title = chunk
        .heading
        .first()
        .map(|h| h.to_lowercase())
        .unwrap_or_default();
    ["releasenotes", "whatsnew", "changelog", "changes."]
        .iter()
        .any(|k| stem.contains(k))
        || title.contains("release notes")
        || title.contains("what's new")
}

/// Whether a query word is an identifier rather than an English word.
fn is_identifier(word: &str) -> bool {
    let w = word.trim_matches(|c: char| matches!(c, ',' | ';' | '?' | '"' | '\'' | '(' | ')'));
    if w.chars().count() < 4 || !w.chars().any(char::is_alphabetic) {
        return false;
    }
    let inner = w.trim_end_matches('.');
    // Code, not a hyphenated word or a gene name (`IL-6`, `miR-155`, `mRNA`): symbols
    // words never hold, a leading dash, two dashes, a dot between letters, or camel
    // case in a long word.
    let chars: Vec<char> = inner.chars().collect();
    let code_sym = inner.contains(['_', ':', '/', '!', '=', ',', '('])
        || inner.starts_with('-')
        || inner.matches('-').count() >= 2
        || chars
            .windows(3)
            .any(|w| w[1] == '.' && w[0].is_alphabetic() && w[2].is_alphabetic());
    let camel = chars.len() >= 7
        && chars.iter().all(|c| c.is_alphabetic())
        && chars
            .windows(2)
            .any(|w| w[0].is_lowercase() && w[1].is_uppercase());
    code_sym || camel
}

const QUESTION_WORDS: &[&str] = &[
    "how", "what", "why", "when", "which", "where", "who", "can", "does", "do", "is", "are",
    "should", "will", "would",
];

impl QueryEvidence {
    /// The evidence of a query.
    pub fn of(query: &str) -> QueryEvidence {
        QueryEvidence::of_in(query, &[])
    }

    /// The evidence of a query to a library of these products (by folder name).
    pub fn of_in(query: &str, products: &[&str]) -> QueryEvidence {
        let mut analyzer = technical_analyzer();
        let mut terms: Vec<String> = Vec::new();
        for t in analyze(&mut analyzer, query) {
            if !terms.contains(&t) {
                terms.push(t);
            }
        }
        let identifiers: Vec<String> = query
            .split_whitespace()
            .filter(|w| is_identifier(w))
            .map(|w| {
                w.trim_matches(|c: char| matches!(c, ',' | ';' | '?' | '"' | '\'' | '(' | ')'))
                    .trim_end_matches('.')
                    .to_lowercase()
            })
            .collect();
        let names = identifiers.iter().filter_map(|i| name_of(i)).collect();
        let words: Vec<&str> = query.split_whitespace().collect();
        let question = words.len() > 8
            || query.contains('?')
            || words
                .first()
                .is_some_and(|w| QUESTION_WORDS.contains(&w.to_lowercase().as_str()));
        let literal = (words.len() >= 2 && !question).then(|| normalise(query));
        let lower = normalise(query);
        let asks_change = CHANGE_PHRASES.iter().any(|p| lower.contains(p))
            || asks_about_releases(&lower, products);
        let words = phrase_words(query);
        QueryEvidence {
            analyzer,
            terms,
            identifiers,
            names,
            literal,
            asks_change,
            words: if words.len() >= VERBATIM_WORDS {
                words
            } else {
                Vec::new()
            },
        }
    }

    /// Whether the query has any term to look for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.identifiers.is_empty()
    }
}

/// What the second stage read off one passage.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Features {
    /// Share of the query's terms in the passage (heading included).
    pub coverage: f32,
    /// Share of the query's terms in the heading path.
    pub heading: f32,
    /// Whether an identifier of the query, or the literal query, occurs verbatim.
    pub exact: bool,
    /// Whether the query asks about changes and the passage is from release notes.
    pub notes: bool,
    /// The share of the query the passage's text holds word for word in one run, when
    /// that run is long enough to be a quotation (0 otherwise).
    pub verbatim: f32,
    /// Whether the passage's own section is named by an identifier of the query: its
    /// heading is that name, with at most a qualifier in brackets after it
    /// (`log_min_duration_statement (integer)`, `-ffp-contract=<value>`).
    pub defines: bool,
}

/// The name an identifier or a heading's first word gives: up to a value or argument
/// list (`-ffp-contract=on`, `-fprofile-instr-generate[=<file>]`, `encode(bytes)`),
/// lower case; `None` when no letter or digit is left.
fn name_of(word: &str) -> Option<String> {
    let cut = word
        .char_indices()
        .skip(1)
        .find(|&(_, c)| matches!(c, '=' | '[' | '(' | '<'))
        .map_or(word.len(), |(at, _)| at);
    let name = word[..cut].trim_end_matches([':', ',', '.']).to_lowercase();
    name.chars().any(char::is_alphanumeric).then_some(name)
}

/// The names a section's heading defines: the options it lists, when it starts with one
/// (`-D datadir --pgdata=datadir`: `-d`, `--pgdata`); else its first word, when all
/// after it is a qualifier in brackets (`log_min_duration_statement (integer)`,
/// `RemoveSemicolon (Boolean) clang-format 16`) or nothing (`pg_ctl`). None for a title
/// in words.
fn defined_names(heading: &str) -> Vec<String> {
    let heading = heading.trim();
    if heading.starts_with('-') {
        return heading
            .split_whitespace()
            .filter(|w| w.starts_with('-'))
            .filter_map(name_of)
            .collect();
    }
    let (first, rest) = heading
        .split_once(char::is_whitespace)
        .unwrap_or((heading, ""));
    let rest = rest.trim_start();
    if rest.is_empty() || rest.starts_with(['(', '[']) {
        name_of(first).into_iter().collect()
    } else {
        Vec::new()
    }
}

/// Whether an identifier of the query names the passage's own section.
fn defines(q: &QueryEvidence, chunk: &Chunk) -> bool {
    !q.names.is_empty()
        && chunk
            .heading
            .last()
            .is_some_and(|h| defined_names(h).iter().any(|n| q.names.contains(n)))
}

/// The features that need no analysis of the text (release notes, a quotation of the
/// query: words split, not stemmed): all the second stage uses when its term weights
/// are off.
pub fn quick_features(q: &QueryEvidence, chunk: &Chunk) -> Features {
    Features {
        notes: q.asks_change && is_release_notes(chunk),
        verbatim: verbatim_share(q, chunk),
        defines: defines(q, chunk),
        ..Features::default()
    }
}

/// Reads the features of a chunk.
pub fn features(q: &mut QueryEvidence, chunk: &Chunk) -> Features {
    if q.is_empty() {
        return quick_features(q, chunk);
    }
    let heading_text = chunk.heading.join(" ");
    let heading: HashSet<String> = analyze(&mut q.analyzer, &heading_text)
        .into_iter()
        .collect();
    let body: HashSet<String> = analyze(&mut q.analyzer, &chunk.text).into_iter().collect();
    let share = |set: &HashSet<String>, also: Option<&HashSet<String>>| {
        if q.terms.is_empty() {
            return 0.0;
        }
        let n = q
            .terms
            .iter()
            .filter(|t| set.contains(*t) || also.is_some_and(|a| a.contains(*t)))
            .count();
        n as f32 / q.terms.len() as f32
    };
    let text = normalise(&chunk.text);
    let exact = q.identifiers.iter().any(|i| contains_word(&text, i))
        || q.literal
            .as_deref()
            .is_some_and(|l| contains_word(&text, l));
    Features {
        coverage: share(&body, Some(&heading)),
        heading: share(&heading, None),
        exact,
        notes: q.asks_change && is_release_notes(chunk),
        verbatim: verbatim_share(q, chunk),
        defines: defines(q, chunk),
    }
}

impl Rerank {
    /// Whether the weights in force need the text read ([`features`]) rather than
    /// [`quick_features`].
    pub fn reads_text(&self) -> bool {
        self.coverage > 0.0 || self.heading > 0.0 || self.exact > 0.0
    }

    /// The bonus a passage earns in the second stage.
    pub fn bonus(&self, f: &Features) -> f32 {
        let flag = |on: bool, w: f32| if on { w } else { 0.0 };
        self.coverage * f.coverage
            + self.heading * f.heading
            + flag(f.exact, self.exact)
            + flag(f.notes, self.notes)
            + self.verbatim * f.verbatim
            + flag(f.defines, self.defines)
    }
}

/// Whether a chunk is a table of contents (or a chapter's list of its sections) rather
/// than text: most of its lines end in a page number, or most are list items that are
/// each one link (to the same page or others) or entries of a back-of-book index. Such
/// chunks stay in the document view but are kept out of search results, where they would
/// stand in for the sections they list. So is a chunk of links and nothing else but a
/// label — the tail of a contents page cut by size, a "Subsections" menu, a "See Also"
/// line — however few.
pub fn is_contents(chunk: &Chunk) -> bool {
    let lines: Vec<&str> = chunk
        .text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let paged = lines.iter().filter(|l| ends_in_page(l)).count();
    if paged >= MIN_LINES && paged * 10 >= lines.len() * 6 {
        return true;
    }
    let raw: Vec<&str> = chunk.raw.lines().filter(|l| !l.trim().is_empty()).collect();
    let (links, others): (Vec<&str>, Vec<&str>) = raw.iter().partition(|l| is_navigation_line(l));
    let anchors = links.len();
    if anchors >= MIN_LINES && anchors * 10 >= raw.len() * 6 {
        return true;
    }
    anchors > 0
        && match others.as_slice() {
            [] => true,
            [label] => label.trim().chars().count() <= LABEL_CHARS,
            _ => false,
        }
}

/// The longest label a chunk of links may have ("Subsections", "## See Also") and still
/// be navigation.
const LABEL_CHARS: usize = 80;

/// How well a result matches its query, for people and agents.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchLevel {
    /// Little in common with the query: likely not an answer.
    Weak,
    /// Related: shares part of the query's words or meaning.
    Partial,
    /// Close: the passage is about what was asked.
    Strong,
}

impl MatchLevel {
    /// The word used in text outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchLevel::Weak => "weak",
            MatchLevel::Partial => "partial",
            MatchLevel::Strong => "strong",
        }
    }
}

/// Thresholds of the relevance signal, calibrated on the dev questions against
/// out-of-domain and nonsense queries (docs/evaluation.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchThresholds {
    /// Cosine similarity at or above which a passage is a strong match.
    pub strong_cosine: f32,
    /// Cosine similarity at or above which a passage is at least partial.
    pub partial_cosine: f32,
    /// Term coverage that, with `partial_cosine`, makes a strong match.
    pub strong_coverage: f32,
    /// Term coverage that alone makes a partial match.
    pub partial_coverage: f32,
}

impl Default for MatchThresholds {
    fn default() -> Self {
        MatchThresholds {
            strong_cosine: 0.45,
            partial_cosine: 0.30,
            strong_coverage: 0.75,
            partial_coverage: 0.5,
        }
    }
}

impl MatchThresholds {
    /// The level of a passage from its vector similarity (when known) and features.
    pub fn level(&self, cosine: Option<f32>, f: &Features) -> MatchLevel {
        match cosine {
            Some(c) if c >= self.strong_cosine => MatchLevel::Strong,
            Some(c)
                if c >= self.partial_cosine && (f.coverage >= self.strong_coverage || f.exact) =>
            {
                MatchLevel::Strong
            }
            Some(c) if c >= self.partial_cosine || f.coverage >= self.partial_coverage => {
                MatchLevel::Partial
            }
            Some(_) => MatchLevel::Weak,
            // Keywords only: the passage's share of the query's terms decides.
            None if f.exact || f.coverage >= self.strong_coverage => MatchLevel::Strong,
            None if f.coverage >= self.partial_coverage => MatchLevel::Partial,
            None => MatchLevel::Weak,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(heading: &[&str], text: &str) -> Chunk {
        crate::test_chunk("p", "v", "f", heading, text)
    }

    #[test]
    fn exact_matches_need_word_boundaries() {
        assert!(contains_word(
            "run utils capf csr list.",
            "utils capf csr list"
        ));
        assert!(contains_word("asan reports", "asan"));
        assert!(!contains_word("kasan reports", "asan"));
        assert!(!contains_word("asanity", "asan"));
        assert!(!contains_word("x", ""));
    }

    #[test]
    fn phrases_in_double_quotes_are_read_as_written() {
        assert_eq!(
            quoted_phrases(r#"how do I update the "CTL file" after a "Tomcat-ECDSA" renewal"#),
            ["CTL file", "Tomcat-ECDSA"]
        );
        assert_eq!(
            quoted_phrases("“certificate trust list” renewal"),
            ["certificate trust list"]
        );
        // Unpaired, empty or punctuation-only quotes name nothing.
        assert!(quoted_phrases(r#"the 7" screen"#).is_empty());
        assert!(quoted_phrases(r#"a "" b " - " c"#).is_empty());
        let many = r#""a" "b" "c" "d" "e" "f" "g" "h" "i" "j""#;
        assert_eq!(quoted_phrases(many).len(), MAX_QUOTED);
    }

    #[test]
    fn a_passage_holds_a_phrase_word_for_word() {
        let c = chunk(
            &["Certificates", "CTL File Update"],
            "Run utils ctl update CTLFile on the publisher, release 12.5(1)SU1.",
        );
        let holds =
            |p: &[&str]| holds_phrases(&c, &p.iter().map(|s| phrase_words(s)).collect::<Vec<_>>());
        assert!(holds(&["utils ctl update"]));
        assert!(holds(&["UTILS  CTL update ctlfile"]));
        assert!(holds(&["ctl file update"]), "in the heading path");
        assert!(holds(&["12.5.1 SU1"]), "punctuation between words aside");
        assert!(holds(&["utils ctl", "the publisher"]));
        assert!(!holds(&["utils ctl", "the subscriber"]), "every phrase");
        assert!(!holds(&["update utils"]), "in order");
        assert!(!holds(&["util ctl"]), "whole words, not stems");
        assert!(!holds(&["update run"]), "not across heading and text");
    }

    #[test]
    fn questions_about_changes_are_told_from_others() {
        for q in [
            "since which clang release does a*b+c get fused into an FMA?",
            "which clang release made gnu++17 the default C++ dialect?",
            "in which CUCM releases is the CTL client still supported?",
            "starting with clang 14, what DWARF version does -g produce?",
            "as of which release is gnu++17 the default?",
            "our -E -P output does not keep empty lines anymore",
            "when did gnu++17 become the default dialect?",
            "was the old _ExtInt maximum size changed in 14?",
            "after a compiler upgrade the output lost its empty lines",
            "in clang 14, did the DWARF version that -g emits change?",
            "is the CTL client still supported in release 15?",
        ] {
            assert!(QueryEvidence::of(q).asks_change, "{q}");
        }
        for q in [
            "which DWARF version does -g emit?",
            "which TLS versions does the SIP trunk accept?",
            "how do I silence a leak from a third-party library?",
            "how do I add a phone to the trust list?",
        ] {
            assert!(!QueryEvidence::of(q).asks_change, "{q}");
        }
        // "Which clang version" asks for a release where clang is a product.
        let q = "in which clang version did gnu++17 become the dialect?";
        assert!(QueryEvidence::of_in(q, &["clang"]).asks_change);
        assert!(!QueryEvidence::of_in(q, &["cucm"]).asks_change);
    }

    #[test]
    fn identifiers_are_told_from_words() {
        for w in [
            "ALL:BAD:!MD5",
            "-Wl,--thinlto-cache-dir",
            "IPMANotStarted",
            "hmac-sha2-512",
            "__builtin___get_unsafe_stack_start",
            "12.5(1)SU1",
        ] {
            assert!(is_identifier(w), "{w}");
        }
        for w in [
            "phones",
            "the",
            "Wireshark",
            "CAPF",
            "why?",
            "7942",
            "IL-6",
            "miR-155",
            "mRNA",
            "4096-bit",
        ] {
            assert!(!is_identifier(w), "{w}");
        }
    }

    #[test]
    fn passages_holding_the_query_score_their_evidence() {
        let mut q = QueryEvidence::of("utils capf csr list");
        assert!(q.literal.is_some(), "a command is a literal");
        let hit = features(
            &mut q,
            &chunk(
                &["CAPF CLI"],
                "Run utils capf csr list to see pending requests.",
            ),
        );
        assert!(
            hit.exact && hit.coverage == 1.0 && hit.heading > 0.0,
            "{hit:?}"
        );
        let miss = features(
            &mut q,
            &chunk(&["Phones"], "Phones register with the cluster."),
        );
        assert!(!miss.exact && miss.coverage == 0.0, "{miss:?}");
        let question = QueryEvidence::of("how do I list CAPF requests?");
        assert!(question.literal.is_none(), "a question is not a literal");
    }

    #[test]
    fn a_passage_holds_the_query_verbatim_only_in_a_long_run() {
        let q = QueryEvidence::of("Updates the CTL file and sets the cluster to non-secure mode.");
        let holding = chunk(
            &["Mixed Mode"],
            "utils ctl set-cluster non-secure-mode\nUpdates the CTL file and sets the cluster to non-secure mode.",
        );
        assert_eq!(verbatim_share(&q, &holding), 1.0);
        // Four words in a row of twelve, and the words of the query out of order.
        let part = chunk(&[], "Updates the CTL file on each node of the cluster.");
        assert_eq!(verbatim_share(&q, &part), 0.0);
        let shuffled = chunk(
            &[],
            "Mode non-secure to cluster the sets and file CTL the updates.",
        );
        assert_eq!(verbatim_share(&q, &shuffled), 0.0);
        // Eight of twelve in a row is a quotation.
        let most = chunk(&[], "It updates the CTL file and sets the cluster mode.");
        assert!((verbatim_share(&q, &most) - 8.0 / 12.0).abs() < 1e-6);
        // A short query is never a quotation.
        let short = QueryEvidence::of("CTL file update");
        assert_eq!(verbatim_share(&short, &holding), 0.0);
        assert_eq!(
            longest_common_run(&phrase_words("a b c d"), &phrase_words("x b c y")),
            2
        );
    }

    #[test]
    fn a_section_named_by_an_identifier_of_the_query_is_its_definition() {
        let setting = chunk(
            &[
                "20.8. Error Reporting and Logging",
                "log_min_duration_statement (integer)",
            ],
            "Causes the duration of each completed statement to be logged.",
        );
        let neighbour = chunk(
            &[
                "20.8. Error Reporting and Logging",
                "log_min_duration_sample (integer)",
            ],
            "Produces the same kind of log entries as log_min_duration_statement.",
        );
        let q = QueryEvidence::of("log_min_duration_statement");
        assert!(quick_features(&q, &setting).defines);
        assert!(!quick_features(&q, &neighbour).defines);
        // An option asked about with its value names the option's section.
        let option = chunk(&["Options", "-ffp-contract=<value>"], "Specify when …");
        let q = QueryEvidence::of("what does -ffp-contract=on do without optimisation?");
        assert!(quick_features(&q, &option).defines);
        assert!(
            quick_features(
                &QueryEvidence::of("RemoveSemicolon"),
                &chunk(
                    &["RemoveSemicolon (Boolean) clang-format 16"],
                    "Remove semicolons."
                )
            )
            .defines
        );
        // A heading listing an option's forms defines each of them.
        let forms = chunk(&["pg_ctl", "Options", "-D datadir --pgdata=datadir"], "…");
        assert!(quick_features(&QueryEvidence::of("--pgdata"), &forms).defines);
        assert_eq!(defined_names("-w --wait"), ["-w", "--wait"]);
        // A title in words, and a query without identifiers, define nothing.
        let title = chunk(&["pg_ctl promotes a standby"], "…");
        assert!(!quick_features(&QueryEvidence::of("pg_ctl"), &title).defines);
        assert!(!quick_features(&QueryEvidence::of("log duration"), &setting).defines);
        for (word, name) in [
            (
                "-fprofile-instr-generate[=<file>]",
                Some("-fprofile-instr-generate"),
            ),
            ("encode(bytes", Some("encode")),
            ("pg_ctl:", Some("pg_ctl")),
            ("=", None),
        ] {
            assert_eq!(name_of(word).as_deref(), name, "{word}");
        }
    }

    #[test]
    fn contents_pages_are_told_from_text() {
        let toc = "Cisco CTL Client Setup\t91\nAbout Cisco CTL Setup\t91\nAddition of Second SAST Role\t93\n\
                   SIP OAuth Configuration Through CLI\t93\nActivate Cisco CTL Provider Service\t94\nCHAPTER 5";
        assert!(is_contents(&chunk(&[], toc)));
        let chapter = "CHAPTER 4\nCisco CTL Client Setup\nThis chapter provides information.\n\
                       - About Cisco CTL Setup, on page 91\n- Addition of Second SAST Role, on page 93\n\
                       - SIP OAuth Configuration Through CLI, on page 93\n- Activate Cisco CTL Provider Service, on page 94\n\
                       - Cisco CAPF Service Activation, on page 95\n- Set up Secure Ports, on page 95";
        assert!(is_contents(&chunk(&[], chapter)));
        let mut local = chunk(
            &["SafeStack"],
            "SafeStack\n- Introduction\n- Performance\n- Usage\n- Design\n- Publications",
        );
        local.raw = "# SafeStack\n- [Introduction](#introduction)\n- [Performance](#performance)\n\
                     - [Usage](#usage)\n- [Design](#design)\n- [Publications](#publications)"
            .into();
        assert!(is_contents(&local));
        // A doc set's index page: list items that are each a link to another page.
        let mut toctree = chunk(
            &["Using Clang as a Library"],
            "- Choosing the Right Interface\n- External Clang Examples\n- LibTooling\n- LibFormat\n- Clang Plugins",
        );
        toctree.raw = "- [Choosing the Right Interface](Tooling.html)\n\
                       - [External Clang Examples](ExternalClangExamples.html)\n- [LibTooling](LibTooling.html)\n\
                       - [LibFormat](LibFormat.html)\n- [Clang Plugins](ClangPlugins.html)"
            .into();
        assert!(is_contents(&toctree));
        // A list of items that link somewhere inside their text is text.
        let mut linked = toctree.clone();
        linked.raw = linked.raw.replace(")\n", ") explains it.\n");
        assert!(!is_contents(&linked));
        // A back-of-book index: terms, each with links to the sections that treat it.
        let mut index = chunk(&["Index", "L"], "");
        index.raw = "log\\_checkpoints configuration parameter, [What to Log](rcl.html#W)\n\n\
                     log\\_connections configuration parameter, [What to Log](rcl.html#W)\n\n\
                     log\\_destination configuration parameter, [Where to Log](rcl.html#H)\n\n\
                     log\\_directory configuration parameter, [Where to Log](rcl.html#H)\n\n\
                     length, [String Functions](f.html), [Bit String Functions](b.html)"
            .into();
        assert!(is_contents(&index));
        // Fewer links with a label and nothing else: a menu, a contents page's tail.
        let mut menu = chunk(&["Pause"], "Subsections\n- Pause mouse close");
        menu.raw = "**Subsections**\n\n- [Pause mouse close](node183.html)".into();
        assert!(is_contents(&menu));
        let mut see_also = chunk(
            &["createdb", "See Also"],
            "See Also\ndropdb, CREATE DATABASE",
        );
        see_also.raw =
            "## See Also\n\n[dropdb](app-dropdb.html), [CREATE DATABASE](sql-createdatabase.html)"
                .into();
        assert!(is_contents(&see_also));
        // A sentence beside the links is text.
        let mut said = menu.clone();
        said.raw = "**Subsections**\n\nThe pause command waits for the mouse.\n\n- [Pause mouse close](node183.html)".into();
        assert!(!is_contents(&said));
        // Text with numbers, and option lists, are text.
        let prose = "The keepalive timer defaults to 15\nPhones retry 3 times.\nThe port is 5061\n\
                     Use utils capf csr list to see requests.\nThe table lists 12 phones.";
        assert!(!is_contents(&chunk(&[], prose)));
        let options = chunk(
            &[],
            "- -fsanitize=address\n- -fsanitize=memory\n- -fsanitize=thread\n- -g\n- -O1\n- -O2",
        );
        assert!(!is_contents(&options));
        // A table whose last column is a number or a version is a table.
        let ports = "Application\tProtocol\tDestination / Listener\tMinimum TLS version\n\
                     Tomcat\tHTTPS\t443\n\
                     CTL-SERV\tProprietary\t2444\n\
                     CAPF-SERV\tTransmission Control Protocol (TCP)\t3804\n\
                     SIP-SIG\tSession Initiation Protocol (SIP)\t5061\n\
                     HA Proxy\tTCP\t6971, 6972\n\
                     Trust Verification Service (TVS)\tProprietary\t2445";
        assert!(!is_contents(&chunk(&[], ports)));
        let versions = "Tomcat uses TLS 1.2\nSCCP uses TLS 1.2\nCTI uses TLS 1.1\n\
                        CAPF uses TLS 1.2\nAXL uses TLS 1.0\nILS uses TLS 1.2";
        assert!(!is_contents(&chunk(&[], versions)));
    }

    #[test]
    fn match_levels_follow_similarity_and_coverage() {
        let t = MatchThresholds::default();
        let none = Features::default();
        let full = Features {
            coverage: 1.0,
            ..Features::default()
        };
        assert_eq!(t.level(Some(0.7), &none), MatchLevel::Strong);
        assert_eq!(t.level(Some(0.35), &full), MatchLevel::Strong);
        assert_eq!(t.level(Some(0.35), &none), MatchLevel::Partial);
        assert_eq!(t.level(Some(0.1), &none), MatchLevel::Weak);
        assert_eq!(t.level(None, &full), MatchLevel::Strong);
        assert_eq!(t.level(None, &none), MatchLevel::Weak);
    }
}
