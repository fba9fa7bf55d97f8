//! Result snippets: the window of a chunk's text that holds most of the query's words,
//! with those words marked.

/// Words too common to mark.
const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "me", "of", "on", "or", "the", "to", "what", "when", "where", "which",
    "with", "you", "my", "we", "that", "this", "use",
];

/// A piece of a snippet: text, and whether it matched a query word.
pub type Segment = (String, bool);

fn query_terms(query: &str) -> Vec<String> {
    let mut terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.len() >= 2 && !STOP.contains(&w.as_str()))
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

fn matches(word: &str, term: &str) -> bool {
    if term.len() >= 4 {
        // A cheap stem: "certificates" matches "certificate", "encrypt" "encryption".
        word.starts_with(term) || (word.len() >= 4 && term.starts_with(word))
    } else {
        word == term
    }
}

/// Byte ranges of words in `text` (alphanumeric runs) with the index of the term matched.
fn word_hits(text: &str, terms: &[String]) -> Vec<(usize, usize, usize)> {
    let mut hits = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let word = text[s..i].to_lowercase();
                if let Some(t) = terms.iter().position(|t| matches(&word, t)) {
                    hits.push((s, i, t));
                }
                start = None;
            }
            _ => {}
        }
    }
    hits
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A snippet of at most about `width` bytes of `text` around the densest group of query
/// words, split into marked and unmarked segments.
pub fn snippet(text: &str, query: &str, width: usize) -> Vec<Segment> {
    let text = text.trim();
    let terms = query_terms(query);
    let hits = word_hits(text, &terms);
    // The window start (a hit, minus some lead-in) covering most distinct terms.
    let mut best = (0usize, 0usize);
    for (i, &(s, _, _)) in hits.iter().enumerate() {
        let mut seen = vec![false; terms.len()];
        for &(s2, _, t) in &hits[i..] {
            if s2 >= s + width {
                break;
            }
            seen[t] = true;
        }
        let distinct = seen.iter().filter(|&&b| b).count();
        if distinct > best.1 {
            best = (s, distinct);
        }
    }
    let mut start = floor_char(text, best.0.saturating_sub(width / 5));
    if start > 0 {
        start = text[start..]
            .find(char::is_whitespace)
            .map_or(start, |k| start + k + 1);
    }
    let mut end = floor_char(text, (start + width).min(text.len()));
    if end < text.len() {
        end = text[..end]
            .rfind(char::is_whitespace)
            .unwrap_or(end)
            .max(start);
    }
    let mut out: Vec<Segment> = Vec::new();
    if start > 0 {
        out.push(("… ".into(), false));
    }
    let mut at = start;
    for &(s, e, _) in hits.iter().filter(|h| h.0 >= start && h.1 <= end) {
        if s > at {
            out.push((text[at..s].to_string(), false));
        }
        out.push((text[s..e].to_string(), true));
        at = e;
    }
    if at < end {
        out.push((text[at..end].to_string(), false));
    }
    if end < text.len() {
        out.push((" …".into(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(segs: &[Segment]) -> String {
        segs.iter()
            .map(|(t, m)| if *m { format!("[{t}]") } else { t.clone() })
            .collect()
    }

    #[test]
    fn marks_query_words_in_the_densest_window() {
        let text = format!(
            "{} To enable mixed mode, run utils ctl set-cluster mixed-mode on the publisher. {}",
            "Unrelated words here. ".repeat(30),
            "More unrelated text. ".repeat(30)
        );
        let s = render(&snippet(&text, "how to enable mixed mode CLI", 200));
        assert!(s.contains("[enable] [mixed] [mode]"), "{s}");
        assert!(s.starts_with("… ") && s.ends_with(" …"), "{s}");
        assert!(s.len() < 260, "{s}");
    }

    #[test]
    fn short_text_is_whole_and_unicode_safe() {
        let s = render(&snippet(
            "Zertifikate für Telefone — CAPF",
            "capf telefone",
            300,
        ));
        assert_eq!(s, "Zertifikate für [Telefone] — [CAPF]");
        assert_eq!(render(&snippet("abc", "", 300)), "abc");
    }
}
