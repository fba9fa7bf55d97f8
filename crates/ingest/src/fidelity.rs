//! How much of a document's text its chunks keep, measured against a reference reading
//! made apart from the reader and the chunker:
//!
//! - PDF: the text `pdftotext` (poppler-utils) gives, less running headers and footers
//!   (a page's first or last line repeated, numbers aside, on three or more pages). When
//!   `pdftotext` is not installed the measurement is skipped, never guessed.
//! - HTML: the text of `<body>`, less what is never shown (scripts, styles, templates,
//!   hidden elements) and the page furniture known by its markup (`nav`, `header`,
//!   `footer`, the navigation classes of documentation generators): what the heuristics
//!   on top (link menus, "Next Previous Contents" runs, `<main>` over `<body>`) and the
//!   conversion drop shows up as loss.
//! - Markdown and text: the file's own words, less link targets and HTML tags.
//!
//! Words are compared as multisets of lower-cased letter-and-digit runs, so a repeated
//! heading cannot make up for a lost paragraph.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// A document kept less than this share of its reference's words is reported.
pub const MIN_KEPT: f64 = 0.995;
/// Missing words named in a report, at most.
const EXAMPLES: usize = 8;

/// Words of a reference reading and how many of them the chunks hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Fidelity {
    /// Words in the reference.
    pub reference_words: usize,
    /// Of those, words the chunks hold (each counted at most as often as the reference
    /// has it).
    pub kept_words: usize,
    /// Some of the words missing most often, with how many are missing.
    pub missing: Vec<(String, usize)>,
    /// What the reference was.
    pub reference: &'static str,
}

impl Fidelity {
    /// The share of the reference's words kept (1 for an empty reference).
    pub fn share(&self) -> f64 {
        if self.reference_words == 0 {
            1.0
        } else {
            self.kept_words as f64 / self.reference_words as f64
        }
    }

    /// A warning when the share is under [`MIN_KEPT`].
    pub fn warning(&self, source: &str) -> Option<String> {
        if self.share() >= MIN_KEPT {
            return None;
        }
        let examples: Vec<String> = self
            .missing
            .iter()
            .map(|(w, n)| {
                if *n > 1 {
                    format!("{w} ×{n}")
                } else {
                    w.clone()
                }
            })
            .collect();
        Some(format!(
            "{source}: its chunks keep {:.1} % of the words of the {} ({} of {}); missing \
             most: {}",
            self.share() * 100.0,
            self.reference,
            self.kept_words,
            self.reference_words,
            examples.join(", ")
        ))
    }
}

/// Lower-cased runs of letters and digits, counted.
pub fn word_counts<'a>(texts: impl IntoIterator<Item = &'a str>) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for text in texts {
        for w in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            *counts.entry(w.to_lowercase()).or_insert(0) += 1;
        }
    }
    counts
}

/// Compares chunk texts with a reference text.
pub fn measure<'a>(
    reference: &str,
    what: &'static str,
    chunks: impl IntoIterator<Item = &'a str>,
) -> Fidelity {
    let want = word_counts([reference]);
    let have = word_counts(chunks);
    let mut kept = 0;
    let mut missing: Vec<(String, usize)> = Vec::new();
    for (w, n) in &want {
        let k = have.get(w).copied().unwrap_or(0).min(*n);
        kept += k;
        if k < *n {
            missing.push((w.clone(), n - k));
        }
    }
    missing.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    missing.truncate(EXAMPLES);
    Fidelity {
        reference_words: want.values().sum(),
        kept_words: kept,
        missing,
        reference: what,
    }
}

/// The reference text of an HTML page: its body's shown text, less generator
/// navigation (see the module notes).
pub fn html_reference(html: &str) -> String {
    html_reference_of(&scraper::Html::parse_document(html))
}

/// [`html_reference`] of a page already parsed.
pub fn html_reference_of<'a>(doc: &'a scraper::Html) -> String {
    let root = scraper::Selector::parse("body")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .unwrap_or_else(|| doc.root_element());
    // Document order, with a space around block elements only: inline markup inside a
    // word (`tab<span>3#3</span>comma`) must not split it where the page does not.
    enum Step<'a> {
        Element(scraper::ElementRef<'a>),
        Text(&'a str),
        Space,
    }
    let steps = |el: scraper::ElementRef<'a>| {
        el.children().rev().filter_map(|child| match child.value() {
            scraper::Node::Text(t) => Some(Step::Text(t)),
            scraper::Node::Element(_) => scraper::ElementRef::wrap(child)
                .filter(|el| !crate::html::is_furniture(*el))
                .map(Step::Element),
            _ => None,
        })
    };
    let mut out = String::new();
    let mut stack: Vec<Step> = steps(root).collect();
    while let Some(step) = stack.pop() {
        match step {
            Step::Space => out.push(' '),
            Step::Text(t) => out.push_str(t),
            Step::Element(el) => {
                if !INLINE_TAGS.contains(&el.value().name()) {
                    out.push(' ');
                    stack.push(Step::Space);
                }
                stack.extend(steps(el));
            }
        }
    }
    out
}

/// Elements that do not break a word: text on both sides of them runs on.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "big", "cite", "code", "em", "font", "i", "kbd", "label", "mark", "q", "s",
    "samp", "small", "span", "strong", "sub", "sup", "tt", "u", "var",
];

/// The reference text of a Markdown or text file: its words, less link targets and
/// HTML tags.
pub fn markdown_reference(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['<', ']']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("](") {
            // A link or image target: skipped up to its closing parenthesis.
            match after.find(')') {
                Some(j) => rest = &after[j + 1..],
                None => rest = after,
            }
        } else if tail.starts_with('<')
            && tail[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!')
        {
            match tail.find('>') {
                Some(j) => {
                    out.push(' ');
                    rest = &tail[j + 1..];
                }
                None => {
                    out.push('<');
                    rest = &tail[1..];
                }
            }
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The reference text of a PDF from `pdftotext`, less running headers and footers;
/// `None` when `pdftotext` is not installed or fails.
pub fn pdf_reference(path: &Path, budget: Duration) -> Option<String> {
    let mut child = std::process::Command::new("pdftotext")
        .args(["-q", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let deadline = std::time::Instant::now() + budget;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let text = reader.join().ok()?.ok()?;
    Some(without_running_lines(&text))
}

/// Drops each page's first and last line when it repeats, digits aside, as the first or
/// last line of three or more pages.
fn without_running_lines(text: &str) -> String {
    let pages: Vec<Vec<&str>> = text
        .split('\u{c}')
        .map(|p| p.lines().filter(|l| !l.trim().is_empty()).collect())
        .collect();
    let key = |l: &str| -> String {
        l.chars()
            .filter(|c| !c.is_ascii_digit() && !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for p in &pages {
        let mut ends: Vec<String> = p
            .first()
            .into_iter()
            .chain(p.last())
            .map(|l| key(l))
            .collect();
        ends.dedup();
        for k in ends {
            *seen.entry(k).or_insert(0) += 1;
        }
    }
    let running = |l: &str| {
        let k = key(l);
        k.is_empty() || seen.get(&k).is_some_and(|n| *n >= 3)
    };
    let mut out = String::with_capacity(text.len());
    for p in &pages {
        for (i, l) in p.iter().enumerate() {
            if (i == 0 || i + 1 == p.len()) && running(l) {
                continue;
            }
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_words_are_counted_and_named() {
        let f = measure(
            "Run dpkg --get-selections first. Then run it again.",
            "test reference",
            ["Run dpkg --get-selections first."],
        );
        assert_eq!((f.reference_words, f.kept_words), (9, 5));
        assert!(f.missing.iter().any(|(w, _)| w == "again"));
        let w = f.warning("a/b/c/d.html").unwrap();
        assert!(w.starts_with("a/b/c/d.html: its chunks keep 55.6 %"), "{w}");
        // A repeated heading does not make up for a lost paragraph.
        let f = measure("Setup. Setup is easy.", "r", ["Setup. Setup. Setup."]);
        assert_eq!(f.kept_words, 2);
        assert!(measure("All here.", "r", ["all here"])
            .warning("x")
            .is_none());
    }

    #[test]
    fn html_reference_is_shown_text_less_generator_navigation() {
        let r = html_reference(
            r#"<html><head><title>T</title><style>p{}</style></head><body>
            <div class="navheader"><a href="a.html">Prev</a></div>
            <nav>Menu words</nav>
            <p>Body <b>text</b> here.</p><div class="sidebar">Tip words</div>
            <script>var x;</script></body></html>"#,
        );
        let words = word_counts([r.as_str()]);
        for w in ["body", "text", "here", "tip", "words"] {
            assert!(words.contains_key(w), "{w} in {r:?}");
        }
        for w in ["prev", "menu", "var", "t"] {
            assert!(!words.contains_key(w), "{w} in {r:?}");
        }
        // Inline markup inside a word does not split it; blocks do.
        let r = html_reference("<p>tab<span>3#3</span>comma</p><p>next</p>");
        assert_eq!(word_counts([r.as_str()]), word_counts(["tab3#3comma next"]));
    }

    #[test]
    fn markdown_reference_drops_targets_and_tags() {
        let r = markdown_reference("See [the guide](https://x.example/guide.html) <br/> now a<b.");
        assert_eq!(
            word_counts([r.as_str()]),
            word_counts(["See the guide now a<b."])
        );
    }

    #[test]
    fn running_headers_and_footers_leave_the_pdf_reference() {
        let text = (1..=4)
            .map(|i| format!("Admin Guide\nBody of page {i}.\n{i}\n"))
            .collect::<Vec<_>>()
            .join("\u{c}");
        let r = without_running_lines(&text);
        assert!(!r.contains("Admin Guide"), "{r}");
        assert!(r.contains("Body of page 3."), "{r}");
    }
}
