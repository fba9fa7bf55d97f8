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
    let t = raw
        .trim_start()
        .trim_start_matches(['-', '*', '+'])
        .trim_start();
    let t = t
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
        .trim_start()
        .trim_end();
    t.starts_with('[') && t.contains("](") && t.ends_with(')')
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
}
