//! Printed page labels from the catalog's `/PageLabels` number tree (PDF 32000-1 §12.4.2).
//!
//! Labels are not unique (manuals restart "1" in every part), so they are only ever
//! shown beside the physical page index, never used to find a page.

use super::{decode_pdf_string, deref, walk_tree};
use lopdf::{Dictionary, Document};

/// One labelling range: from page `start` (0-based) on.
struct Range {
    start: usize,
    style: Option<u8>,
    prefix: String,
    first: i64,
}

/// The label of every page, or `None` when the PDF defines no labels.
pub fn page_labels(doc: &Document, pages: usize) -> Option<Vec<String>> {
    let catalog = doc.catalog().ok()?;
    let root = deref(doc, catalog.get(b"PageLabels").ok()?)?
        .as_dict()
        .ok()?;
    let mut ranges = Vec::new();
    walk_tree(doc, root, b"Nums", &mut |start, dict| {
        let start = deref(doc, start).and_then(|o| o.as_i64().ok());
        let dict = deref(doc, dict).and_then(|o| o.as_dict().ok());
        if let (Some(Ok(start)), Some(dict)) = (start.map(usize::try_from), dict) {
            ranges.push(range(doc, start, dict));
        }
    });
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_by_key(|r| r.start);
    let labels = (0..pages)
        .map(|i| {
            let range = ranges.iter().rev().find(|r| r.start <= i);
            match range {
                Some(r) => {
                    let n = r.first.saturating_add((i - r.start) as i64);
                    format!("{}{}", r.prefix, format_number(n, r.style))
                }
                // Pages before the first range have no label; the index stands in.
                None => (i + 1).to_string(),
            }
        })
        .collect();
    Some(labels)
}

fn range(doc: &Document, start: usize, dict: &Dictionary) -> Range {
    let style = dict
        .get(b"S")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_name().ok())
        .and_then(|n| n.first().copied());
    let prefix = dict
        .get(b"P")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_str().ok())
        .map(decode_pdf_string)
        .unwrap_or_default();
    let first = dict
        .get(b"St")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_i64().ok())
        .unwrap_or(1);
    Range {
        start,
        style,
        prefix,
        first,
    }
}

/// Formats a page number in a label style: `D` decimal, `r`/`R` roman, `a`/`A` letters
/// (`z` is followed by `aa`), none: no number (prefix only).
fn format_number(n: i64, style: Option<u8>) -> String {
    match style {
        Some(b'D') => n.to_string(),
        Some(b'r') => roman(n),
        Some(b'R') => roman(n).to_uppercase(),
        Some(b'a') => letters(n),
        Some(b'A') => letters(n).to_uppercase(),
        _ => String::new(),
    }
}

fn roman(n: i64) -> String {
    if !(1..4000).contains(&n) {
        return n.to_string();
    }
    const DIGITS: [(i64, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut rest = n;
    let mut out = String::new();
    for (value, digits) in DIGITS {
        while rest >= value {
            out.push_str(digits);
            rest -= value;
        }
    }
    out
}

fn letters(n: i64) -> String {
    if !(1..=26 * 100).contains(&n) {
        return n.to_string();
    }
    let letter = char::from(b'a' + ((n - 1) % 26) as u8);
    let repeat = ((n - 1) / 26 + 1) as usize;
    std::iter::repeat_n(letter, repeat).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_styles() {
        assert_eq!(format_number(4, Some(b'D')), "4");
        assert_eq!(format_number(14, Some(b'r')), "xiv");
        assert_eq!(format_number(1994, Some(b'R')), "MCMXCIV");
        assert_eq!(format_number(2, Some(b'a')), "b");
        assert_eq!(format_number(27, Some(b'A')), "AA");
        assert_eq!(format_number(5, None), "");
    }
}
