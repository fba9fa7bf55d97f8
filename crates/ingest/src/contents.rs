//! Lines of a table of contents: a title and its page, or one link and nothing else.
//! The chunker keeps a run of them in a chunk of its own, and search keeps such chunks
//! out of results (they stand in for the sections they list).

/// The fewest such lines that make a table of contents: what search needs to keep a
/// chunk out of results, and so what the chunker puts in a chunk of its own.
pub const MIN_LINES: usize = 5;

/// Whether a line of text ends in a page reference: `… 91`, `…, on page 91`,
/// `Title\t91`, `Title ........ xvii`. A row of three cells or more is a table's,
/// whatever its last cell holds (a port, a count, "TLS 1.2"), and the fraction of a
/// decimal ("TLS 1.2", "release 12.5") is not a page.
pub fn ends_in_page(line: &str) -> bool {
    if line.matches('\t').count() >= 2 {
        return false;
    }
    let line = line.trim().trim_end_matches('.');
    let Some((before, last)) = line.rsplit_once(|c: char| c.is_whitespace() || c == '.') else {
        return false;
    };
    if line.as_bytes()[before.len()] == b'.' && before.ends_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let numeral = (!last.is_empty() && last.len() <= 4 && last.bytes().all(|b| b.is_ascii_digit()))
        || (!last.is_empty()
            && last.len() <= 6
            && last.chars().all(|c| matches!(c, 'i' | 'v' | 'x' | 'l')));
    numeral
        && before
            .trim_end_matches(['.', ' ', '\t', ','])
            .chars()
            .any(char::is_alphabetic)
}

/// Whether a Markdown source line is one link and nothing else (after a list marker or
/// a number): to a place on the same page (a chapter's own contents) or to another
/// page (a Sphinx toctree, a DocBook chapter's table of contents, a doc set's index).
pub fn is_link_line(raw: &str) -> bool {
    let t = item_text(raw);
    t.starts_with('[') && t.contains("](") && t.ends_with(')')
}

/// Whether a Markdown source line points elsewhere and says nothing of its own: one
/// link alone (a table of contents) or an index entry ([`is_index_entry`]).
pub fn is_navigation_line(raw: &str) -> bool {
    is_link_line(raw) || is_index_entry(raw)
}

/// A Markdown source line without its list marker or number.
fn item_text(raw: &str) -> &str {
    let t = raw
        .trim_start()
        .trim_start_matches(['-', '*', '+'])
        .trim_start();
    t.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
        .trim_start()
        .trim_end()
}

/// The longest term of a back-of-book index entry, in characters: longer text before
/// the links is prose.
const INDEX_TERM_CHARS: usize = 160;

/// Whether a Markdown source line is an entry of a back-of-book index: a term (plain, or
/// a link to where it is defined), a comma or colon, then links to the sections that
/// treat it and nothing else — DocBook's `log\_checkpoints configuration parameter,
/// [What to Log](runtime-config-logging.html#…)`, Texinfo's `[tab stop alignment](…):
/// [Tabs](…)`. Like a table of contents, an index stands in for the sections it lists.
pub fn is_index_entry(raw: &str) -> bool {
    let mut rest = item_text(raw);
    let mut links = 0;
    let mut link = strip_last_link(rest);
    while let Some(before) = link {
        links += 1;
        rest = before.trim_end();
        // A comma before another link of the same entry ("…, [Locale](…), [Character
        // Set](…)"); else the comma after the term, which stays in `rest`.
        link = rest
            .strip_suffix(',')
            .and_then(|b| strip_last_link(b.trim_end()));
    }
    let Some(term) = rest.strip_suffix([',', ':']).map(str::trim_end) else {
        return false;
    };
    let plain = !term.contains("](") && !term.contains('[');
    let linked = strip_last_link(term).is_some_and(|b| b.trim().is_empty());
    links > 0 && !term.is_empty() && term.chars().count() <= INDEX_TERM_CHARS && (plain || linked)
}

/// The text before a Markdown link `[text](target)` that ends `line`, when one does.
fn strip_last_link(line: &str) -> Option<&str> {
    let body = line.strip_suffix(')')?;
    let mid = body.rfind("](")?;
    let target = &body[mid + 2..];
    if target.is_empty() || target.contains(char::is_whitespace) {
        return None;
    }
    // The `[` opening the link's text: the last one not escaped.
    let text = &body[..mid];
    let open = text
        .char_indices()
        .filter(|&(i, c)| c == '[' && !text[..i].ends_with('\\'))
        .map(|(i, _)| i)
        .next_back()?;
    Some(&line[..open])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_lines_are_told_from_text() {
        for line in [
            "Cisco CTL Client Setup\t91",
            "- About Cisco CTL Setup, on page 91",
            "Preface ........ xvii",
        ] {
            assert!(ends_in_page(line), "{line}");
        }
        for line in [
            "CTL-SERV\tProprietary\t2444",
            "Tomcat uses TLS 1.2",
            "The port is 5061 or",
            "42",
        ] {
            assert!(!ends_in_page(line), "{line}");
        }
        assert!(is_link_line(
            "[49.1. Logical Decoding Examples](logicaldecoding-example.html)"
        ));
        assert!(is_link_line("- [Usage](#usage)"));
        assert!(!is_link_line("See [Usage](#usage) first."));
    }

    #[test]
    fn index_entries_are_told_from_text() {
        for line in [
            "log\\_checkpoints configuration parameter, [What to Log](runtime-config-logging.html#W)",
            "character string, [String Constants](sql-syntax.html#A), [Character Types](datatype.html)",
            "configuration parameter, [Automatic Vacuuming](runtime-config-autovacuum.html)",
            "[tab stop alignment](Adjusting-Output.html#index-tab): [Tabs](Adjusting-Output.html#Tabs)",
            "- [\\[1\\] footnote](a.html): [Notes](b.html)",
        ] {
            assert!(is_index_entry(line), "{line}");
        }
        for line in [
            "See [Usage](#usage) first.",
            "[Usage](#usage)",
            "For what each does, read [Usage](#usage)",
            ", [Usage](#usage)",
            "log\\_autovacuum\\_min\\_duration",
            "Set it with [ALTER SYSTEM](sql-altersystem.html) or [SET](sql-set.html), [x](y)",
        ] {
            assert!(!is_index_entry(line), "{line}");
        }
    }
}
