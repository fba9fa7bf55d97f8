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

pub(crate) fn query_terms(query: &str) -> Vec<String> {
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

/// The whole of `text` with the query's words marked (the chunk page).
pub fn mark_all(text: &str, query: &str) -> Vec<Segment> {
    let hits = word_hits(text, &query_terms(query));
    let mut out = Vec::new();
    push_marked(text, &hits, 0, text.len(), &mut out);
    out
}

/// `text[start..end]` as segments, the hits inside it marked.
fn push_marked(
    text: &str,
    hits: &[(usize, usize, usize)],
    start: usize,
    end: usize,
    out: &mut Vec<Segment>,
) {
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
}

/// Byte offsets where sentences and lines begin: the text's start, and the first
/// non-space after a line break or after `.`, `!`, `?` or `;` and a space.
fn sentence_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, c) in text.char_indices() {
        let next = i + c.len_utf8();
        let closes = c == '\n'
            || (matches!(c, '.' | '!' | '?' | ';')
                && text[next..].starts_with(char::is_whitespace));
        if !closes {
            continue;
        }
        if let Some(k) = text[next..].find(|c: char| !c.is_whitespace()) {
            if starts.last() != Some(&(next + k)) {
                starts.push(next + k);
            }
        }
    }
    starts
}

/// A snippet of at most about `width` bytes of `text`: whole sentences where they fit,
/// from the one holding most of the query's words, split into marked and unmarked
/// segments.
pub fn snippet(text: &str, query: &str, width: usize) -> Vec<Segment> {
    let text = text.trim();
    let terms = query_terms(query);
    let hits = word_hits(text, &terms);
    // The sentence holding most distinct query terms (the first of equals), and its
    // first hit.
    let starts = sentence_starts(text);
    let mut best = (0usize, 0usize, 0usize); // sentence start, first hit, distinct terms
    for (i, &from) in starts.iter().enumerate() {
        let to = starts.get(i + 1).copied().unwrap_or(text.len());
        let mut seen = vec![false; terms.len()];
        let inside: Vec<_> = hits.iter().filter(|h| h.0 >= from && h.1 <= to).collect();
        inside.iter().for_each(|h| seen[h.2] = true);
        let distinct = seen.iter().filter(|&&b| b).count();
        if distinct > best.2 {
            best = (from, inside[0].0, distinct);
        }
    }
    // The window opens at that sentence, unless it begins far before its first hit.
    let (opening, anchor) = (best.0, best.1);
    let mut start = if anchor - opening <= width / 3 {
        opening
    } else {
        let lead = floor_char(text, anchor.saturating_sub(width / 5));
        text[lead..]
            .find(char::is_whitespace)
            .map_or(lead, |k| lead + k + 1)
    };
    if start > 0 && !starts.contains(&start) {
        start = text[start..]
            .find(|c: char| !c.is_whitespace())
            .map_or(start, |k| start + k);
    }
    let limit = floor_char(text, (start + width).min(text.len()));
    let mut end = limit;
    if end < text.len() {
        // It closes at the end of the last sentence that fits, or else at a word.
        end = match starts
            .iter()
            .rev()
            .find(|&&k| k <= limit && k > start + width / 2)
        {
            Some(&k) => start + text[start..k].trim_end().len(),
            None => text[..end]
                .rfind(char::is_whitespace)
                .unwrap_or(end)
                .max(start),
        };
    }
    let mut out: Vec<Segment> = Vec::new();
    if start > 0 {
        out.push(("… ".into(), false));
    }
    push_marked(text, &hits, start, end, &mut out);
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
    fn the_snippet_holds_whole_sentences_where_they_fit() {
        let text = "Autoregistration adds phones by itself when it is enabled on the node. \
            The system supports autoregistration in both mixed mode and nonsecure mode. \
            Certificates are installed later. Another sentence follows here with other words \
            in it, and yet another one after it that is rather long as well.";
        let s = render(&snippet(text, "autoregistration mixed mode", 160));
        assert!(
            s.starts_with("… The system supports [autoregistration]"),
            "{s}"
        );
        assert!(s.ends_with("installed later. …"), "{s}");
        // A query matching the first sentence keeps the text's own start.
        let s = render(&snippet(text, "adds phones", 100));
        assert!(s.starts_with("Autoregistration [adds] [phones]"), "{s}");
        assert!(s.ends_with("on the node. …"), "{s}");
    }

    #[test]
    fn the_whole_text_keeps_its_lines_with_words_marked() {
        let text = "Step 1\nRun utils ctl update CTLFile.\nStep 2\nRestart TFTP.";
        let s = render(&mark_all(text, "ctl update"));
        assert_eq!(
            s,
            "Step 1\nRun utils [ctl] [update] CTLFile.\nStep 2\nRestart TFTP."
        );
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
