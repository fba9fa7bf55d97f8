//! Printed page numbers inferred from a document's own tables of contents.
//!
//! Markdown converted from PDF loses page breaks but keeps two kinds of tables of
//! contents: the front-matter CONTENTS pages (`Purpose<TAB>xvii`, `- Best Practices 12`,
//! `## CHAPTER 2 **HTTPS 51**`) and chapter mini-TOCs (`- [Security Overview](#), on page
//! 1`). Matching the document's headings to those entries, in an order that keeps pages
//! ascending, tells on which printed page each section starts.

use crate::inline::clean_inline;
use mcdewey_core::PageLabel;
use std::collections::HashMap;

/// One entry of a table of contents found in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// 0-based line index of the entry.
    pub line: usize,
    /// Clean title, markup removed.
    pub title: String,
    /// Printed page label.
    pub page: PageLabel,
}

/// A heading found by the Markdown parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadingLine {
    /// 0-based line index.
    pub line: usize,
    /// Heading text with markup removed.
    pub text: String,
}

/// Normalises a title for matching: markup and escapes removed, case folded,
/// whitespace collapsed, trailing punctuation dropped.
pub fn normalize_title(s: &str) -> String {
    let clean = clean_inline(s);
    let words: Vec<String> = clean.split_whitespace().map(|w| w.to_lowercase()).collect();
    words
        .join(" ")
        .trim_end_matches(['.', ':', ',', ';'])
        .trim()
        .to_string()
}

/// Sort key of a page label: front-matter roman pages before arabic ones.
fn page_order(label: &str) -> Option<(u8, u32)> {
    if let Ok(n) = label.parse::<u32>() {
        return Some((1, n));
    }
    roman_value(label).map(|n| (0, n))
}

fn roman_value(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 12 {
        return None;
    }
    let mut total = 0u32;
    let mut prev = 0u32;
    for c in s.chars().rev() {
        let v = match c {
            'i' => 1,
            'v' => 5,
            'x' => 10,
            'l' => 50,
            'c' => 100,
            'd' => 500,
            'm' => 1000,
            _ => return None,
        };
        if v < prev {
            total = total.checked_sub(v)?;
        } else {
            total += v;
            prev = v;
        }
    }
    Some(total)
}

fn is_page_label(s: &str) -> bool {
    page_order(s).is_some()
}

/// `[Title, on page 12](#)` or `[Title](#), on page 12` as a whole list item.
fn mini_toc_entry(line: &str) -> Option<(String, PageLabel)> {
    let t = line.trim_start();
    let item = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))?
        .trim();
    if !item.starts_with('[') {
        return None;
    }
    let clean = clean_inline(item);
    let (title, page) = clean.rsplit_once(", on page ")?;
    let page = page.trim().trim_end_matches('.').trim();
    if !is_page_label(page) || title.trim().is_empty() {
        return None;
    }
    Some((title.trim().to_string(), PageLabel(page.to_string())))
}

/// A row of the front-matter CONTENTS pages: a title then a page label.
fn contents_row(line: &str) -> Option<(String, PageLabel)> {
    let clean = clean_inline(line);
    let mut text = clean.trim_start_matches('#').trim();
    text = text.strip_prefix("- ").unwrap_or(text).trim();
    let (title, page) = match text.rsplit_once('\t') {
        Some((title, page)) => (title.trim(), page.trim()),
        None => {
            let (title, page) = text.rsplit_once(' ')?;
            (title.trim(), page.trim())
        }
    };
    if !is_page_label(page) {
        return None;
    }
    let mut title = title.replace('\t', " ");
    for prefix in ["CHAPTER ", "PART ", "APPENDIX "] {
        if let Some(rest) = title.strip_prefix(prefix) {
            let rest = rest.trim_start();
            if let Some((_, after)) = rest.split_once(' ') {
                title = after.trim().to_string();
            }
        }
    }
    if !title.chars().any(char::is_alphabetic) {
        return None;
    }
    Some((title, PageLabel(page.to_string())))
}

/// The CONTENTS region: from a `CONTENTS` heading line to the first mini-TOC entry.
fn contents_region(lines: &[&str]) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| {
        let c = clean_inline(l);
        c.trim_start_matches('#')
            .trim()
            .eq_ignore_ascii_case("contents")
    })?;
    let end = (start + 1..lines.len())
        .find(|&i| mini_toc_entry(lines[i]).is_some())
        .unwrap_or(lines.len());
    Some((start, end))
}

/// All TOC and mini-TOC entries of a document, in line order.
pub fn toc_entries(lines: &[&str]) -> Vec<TocEntry> {
    let region = contents_region(lines);
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let in_contents = region.is_some_and(|(s, e)| i > s && i < e);
        let found = if in_contents {
            contents_row(line)
        } else {
            mini_toc_entry(line)
        };
        if let Some((title, page)) = found {
            out.push(TocEntry {
                line: i,
                title,
                page,
            });
        }
    }
    out
}

/// For each heading, the printed page it starts on; `None` when unknown.
///
/// Titles repeat ("Interactions and Restrictions", "Procedure"), so headings are aligned
/// to TOC entries by the longest common subsequence of titles between the headings in
/// document order and the entries in page order: the largest set of matches in which
/// pages never go backwards. An entry must come before the heading it names. An
/// unmatched heading between two matched ones on the same page is on that page too; any
/// other unmatched heading stays `None`.
pub fn infer_heading_pages(
    entries: &[TocEntry],
    headings: &[HeadingLine],
) -> Vec<Option<PageLabel>> {
    let mut result = vec![None; headings.len()];
    if entries.is_empty() || headings.is_empty() {
        return result;
    }
    // Intern titles so the DP compares integers.
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut intern = |s: &str| {
        let n = ids.len() as u32;
        *ids.entry(normalize_title(s)).or_insert(n)
    };
    let mut sorted: Vec<(u32, (u8, u32), usize, &TocEntry)> = entries
        .iter()
        .filter_map(|e| page_order(&e.page.0).map(|o| (intern(&e.title), o, e.line, e)))
        .collect();
    sorted.sort_by_key(|&(_, order, line, _)| (order, line));
    // One entry per (title, page): the main TOC and a mini-TOC list the same section.
    sorted.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let entry_lines: std::collections::HashSet<usize> = entries.iter().map(|e| e.line).collect();
    let head: Vec<Option<u32>> = headings
        .iter()
        .map(|h| (!entry_lines.contains(&h.line)).then(|| intern(&h.text)))
        .collect();

    let (n, m) = (headings.len(), sorted.len());
    // lcs[i][j]: best alignment of headings[i..] with sorted[j..].
    let width = m + 1;
    let mut lcs = vec![0u16; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let matched = head[i] == Some(sorted[j].0) && sorted[j].2 < headings[i].line;
            let v = if matched {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
            lcs[i * width + j] = v;
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        let matched = head[i] == Some(sorted[j].0) && sorted[j].2 < headings[i].line;
        if matched && lcs[i * width + j] == lcs[(i + 1) * width + j + 1] + 1 {
            result[i] = Some(sorted[j].3.page.clone());
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    // Fill headings that lie between two matches on the same page.
    let mut last: Option<usize> = None;
    for k in 0..n {
        if result[k].is_some() {
            if let Some(p) = last {
                if k > p + 1 && result[p] == result[k] {
                    let page = result[k].clone();
                    for slot in result.iter_mut().take(k).skip(p + 1) {
                        *slot = page.clone();
                    }
                }
            }
            last = Some(k);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headings(lines: &[&str]) -> Vec<HeadingLine> {
        lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let t = l.trim();
                t.starts_with('#').then(|| HeadingLine {
                    line: i,
                    text: clean_inline(t.trim_start_matches('#').trim()),
                })
            })
            .collect()
    }

    fn pages_of(text: &str) -> Vec<(String, Option<String>)> {
        let lines: Vec<&str> = text.lines().collect();
        let hs = headings(&lines);
        let pages = infer_heading_pages(&toc_entries(&lines), &hs);
        hs.into_iter()
            .zip(pages)
            .map(|(h, p)| (h.text, p.map(|p| p.0)))
            .collect()
    }

    #[test]
    fn mini_toc_entries_and_not_cross_references() {
        let lines = [
            "- [Purpose, on page xvii](#)",
            "- [Hypertext Transfer Protocol \\(HTTPS\\)](#), on page 51",
            "- Review [Recommended Ciphers](#), on page 35.",
            "- [Not a toc entry](#)",
        ];
        let e = toc_entries(&lines);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].title.as_str(), e[0].page.0.as_str()),
            ("Purpose", "xvii")
        );
        assert_eq!(e[1].title, "Hypertext Transfer Protocol (HTTPS)");
    }

    #[test]
    fn contents_rows_in_their_many_forms() {
        let lines = [
            "## CONTENTS",
            "<b>Preface</b>\t<b>xvii</b>",
            "Audience\txviii",
            "#### **Security Basics** 23",
            "- Cluster and Device Security Modes 11",
            "## CHAPTER 2    **Hypertext Transfer Protocol Over Secure Sockets Layer (HTTPS) 51**",
            "- ITL and CTL File Interaction **67**",
            "- [Purpose, on page xvii](#)",
            "Port\t443",
        ];
        let got: Vec<(String, String)> = toc_entries(&lines)
            .into_iter()
            .map(|e| (e.title, e.page.0))
            .collect();
        let want = [
            ("Preface", "xvii"),
            ("Audience", "xviii"),
            ("Security Basics", "23"),
            ("Cluster and Device Security Modes", "11"),
            (
                "Hypertext Transfer Protocol Over Secure Sockets Layer (HTTPS)",
                "51",
            ),
            ("ITL and CTL File Interaction", "67"),
            ("Purpose", "xvii"),
        ];
        assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())));
    }

    #[test]
    fn repeated_titles_match_in_page_order() {
        let doc = "- [Overview, on page 1](#)\n- [Interactions and Restrictions, on page 3](#)\n# Overview\n## Procedure\n# Interactions and Restrictions\n- [Setup, on page 7](#)\n- [Interactions and Restrictions, on page 9](#)\n# Setup\n# Interactions and Restrictions\n# Unlisted\n";
        let got = pages_of(doc);
        let want: Vec<(String, Option<String>)> = [
            ("Overview", Some("1")),
            ("Procedure", None),
            ("Interactions and Restrictions", Some("3")),
            ("Setup", Some("7")),
            ("Interactions and Restrictions", Some("9")),
            ("Unlisted", None),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.map(str::to_string)))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_heading_between_two_on_the_same_page_is_on_it() {
        let doc = "- [A, on page 5](#)\n- [B, on page 5](#)\n# A\n## Procedure\n# B\n";
        let got = pages_of(doc);
        assert_eq!(got[1], ("Procedure".to_string(), Some("5".to_string())));
    }

    fn sample(rel: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/library")
            .join(rel);
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("sample library file {}: {e}", p.display()))
    }

    /// Pages checked by hand against the guide's CONTENTS pages and chapter mini-TOCs.
    #[test]
    fn hand_checked_pages_of_the_12_5_1_su1_guide() {
        let text = sample("cucm/v12.5.1su1/security-guide/security-guide.md");
        let got = pages_of(&text);
        let page_of = |title: &str, nth: usize| -> Option<String> {
            got.iter()
                .filter(|(t, _)| t == title)
                .nth(nth)
                .unwrap_or_else(|| panic!("heading {title:?} #{nth} not found"))
                .1
                .clone()
        };
        assert_eq!(
            page_of(
                "Hypertext Transfer Protocol Over Secure Sockets Layer (HTTPS)",
                0
            )
            .as_deref(),
            Some("51")
        );
        assert_eq!(
            page_of("HTTPS for Cisco Unified IP Phone Services", 0).as_deref(),
            Some("52")
        );
        assert_eq!(
            page_of("First-Time Authentication for Firefox with HTTPS", 0).as_deref(),
            Some("58")
        );
        assert_eq!(page_of("Default Security Setup", 0).as_deref(), Some("63"));
        assert_eq!(
            page_of("Trust Verification Service", 0).as_deref(),
            Some("64")
        );
        assert_eq!(
            page_of("Update ITL File for Cisco Unified IP Phones", 0).as_deref(),
            Some("67")
        );
        assert_eq!(
            page_of("Regenerate CAPF Certificate", 0).as_deref(),
            Some("72")
        );
        assert_eq!(page_of("Cipher Management", 0).as_deref(), Some("34"));
        let listed = got.iter().filter(|(_, p)| p.is_some()).count();
        assert!(
            listed * 2 > got.len(),
            "{listed} of {} headings got a page",
            got.len()
        );
    }

    #[test]
    fn plain_heading_lines_of_the_ctl_client_chapter() {
        let text = sample("cucm/v12.5.1/security-guide/cisco-ctl-client-setup.md");
        let lines: Vec<&str> = text.lines().collect();
        let entries = toc_entries(&lines);
        let titles: std::collections::HashSet<String> =
            entries.iter().map(|e| normalize_title(&e.title)).collect();
        let entry_lines: std::collections::HashSet<usize> =
            entries.iter().map(|e| e.line).collect();
        let hs: Vec<HeadingLine> = lines
            .iter()
            .enumerate()
            .filter(|(i, l)| !entry_lines.contains(i) && titles.contains(&normalize_title(l)))
            .map(|(i, l)| HeadingLine {
                line: i,
                text: l.trim().to_string(),
            })
            .collect();
        let pages = infer_heading_pages(&entries, &hs);
        let page = |title: &str| {
            let k = hs
                .iter()
                .position(|h| h.text == title)
                .unwrap_or_else(|| panic!("{title} not found"));
            pages[k].as_ref().map(|p| p.0.clone())
        };
        assert_eq!(page("About Cisco CTL Setup").as_deref(), Some("1"));
        assert_eq!(page("Set Up Cisco CTL Client").as_deref(), Some("7"));
        assert_eq!(page("Cisco CTL File Details").as_deref(), Some("12"));
        assert_eq!(
            page("Set Up Smart Card Service to Started or Automatic").as_deref(),
            Some("13")
        );
    }
}
