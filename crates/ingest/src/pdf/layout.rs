//! Page lines into blocks: running headers and footers dropped, headings found from the
//! outline (else from font size), paragraphs from vertical gaps. Every block keeps the
//! physical page it lies on and that page's printed label.

use super::{OutlineEntry, PdfLine, PdfPage, PdfText};
use crate::blocks::{Block, BlockKind};
use mcdewey_core::PageLabel;
use std::collections::{BTreeMap, HashMap};

/// The top and bottom share of a page where running headers and footers sit.
const MARGIN: f64 = 0.085;
/// A margin line repeated on at least this many pages is page furniture.
const FURNITURE_MIN_PAGES: usize = 3;
/// Lines joined at most to match a multi-line heading.
const HEADING_LINES: usize = 3;

/// Blocks of a PDF in reading order, and warnings about pages left out.
pub fn pdf_blocks(pdf: &PdfText) -> (Vec<Block>, Vec<String>) {
    let furniture = furniture_keys(&pdf.pages);
    let body = body_size(&pdf.pages);
    let layout_levels = heading_sizes(&pdf.pages, body);
    let mut outline: BTreeMap<u32, Vec<&OutlineEntry>> = BTreeMap::new();
    for e in &pdf.outline {
        outline.entry(e.page).or_default().push(e);
    }
    let mut warnings = Vec::new();
    let mut garbled = Vec::new();
    let mut blocks = Vec::new();
    let mut line_no = 0u32;
    let mut outline_level = 0u8;
    let mut laid_out = Vec::new();
    // Font size of listed headings -> outline levels seen at that size.
    let mut size_levels: HashMap<i64, HashMap<u8, usize>> = HashMap::new();
    for page in &pdf.pages {
        let lines: Vec<(u32, &PdfLine)> = page
            .lines
            .iter()
            .map(|l| {
                line_no += 1;
                (line_no, l)
            })
            .filter(|(_, l)| !is_furniture(l, page, &furniture))
            .collect();
        if is_garbled(&lines) {
            garbled.push(page.index);
            continue;
        }
        let entries = outline.get(&page.index).map(Vec::as_slice).unwrap_or(&[]);
        let mut headings = layout_headings(&lines, &layout_levels, body);
        if !pdf.outline.is_empty() {
            // With an outline, its entries set the levels; a large line it does not
            // list takes the level listed headings of its size have (below).
            for h in headings.values_mut() {
                h.level = 0;
            }
            let listed = outline_headings(&lines, entries);
            for (at, h) in &listed {
                let size = (lines[*at].1.size * 2.0).round() as i64;
                *size_levels
                    .entry(size)
                    .or_default()
                    .entry(h.level)
                    .or_default() += 1;
            }
            headings.retain(|at, h| {
                !listed
                    .iter()
                    .any(|(o, oh)| at < &(o + oh.lines) && o < &(at + h.lines))
            });
            headings.extend(listed);
        }
        laid_out.push((page, lines, headings));
    }
    // An unlisted large line set like listed headings of one level is at that level
    // ("6.7 MRT" when the outline's "MRT" was not found on its page); else it is one
    // below the outline heading before it.
    let size_level: HashMap<i64, u8> = size_levels
        .into_iter()
        .filter_map(|(size, levels)| {
            let total: usize = levels.values().sum();
            let (level, n) = levels.into_iter().max_by_key(|(l, n)| (*n, *l))?;
            (n * 5 >= total * 4).then_some((size, level))
        })
        .collect();
    for (page, lines, mut headings) in laid_out {
        for (at, h) in headings.iter_mut() {
            if h.level == 0 {
                let size = (lines[*at].1.size * 2.0).round() as i64;
                h.level = size_level.get(&size).copied().unwrap_or(0);
            }
        }
        let page = PageLines {
            page,
            lines: &lines,
            headings: &headings,
            cite_pages: pdf.degraded.is_none(),
        };
        page.blocks(&mut outline_level, &mut blocks);
    }
    if !garbled.is_empty() {
        warnings.push(format!(
            "{} page(s) left out: their text is mostly not letters (a font without a text \
             mapping?), first on page {}",
            garbled.len(),
            garbled[0]
        ));
    }
    (join_broken_words(blocks), warnings)
}

/// A heading found on a page: it starts at line position `at`, spans `lines` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Heading {
    level: u8,
    lines: usize,
}

struct PageLines<'a> {
    page: &'a PdfPage,
    lines: &'a [(u32, &'a PdfLine)],
    /// Headings by line position; level 0: one below the last outline heading.
    headings: &'a HashMap<usize, Heading>,
    cite_pages: bool,
}

impl PageLines<'_> {
    fn block(&self, kind: BlockKind, part: &[(u32, &PdfLine)]) -> Block {
        let label = self.cite_pages.then(|| {
            PageLabel(
                self.page
                    .label
                    .clone()
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| self.page.index.to_string()),
            )
        });
        Block {
            kind,
            text: join_lines(part.iter().map(|(_, l)| l.text.as_str())),
            raw: part
                .iter()
                .map(|(_, l)| l.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            line_start: part[0].0,
            line_end: part[part.len() - 1].0,
            page: label,
            page_end: None,
            pdf_page: self.cite_pages.then_some(self.page.index),
        }
    }

    fn blocks(&self, outline_level: &mut u8, out: &mut Vec<Block>) {
        let lines = self.lines;
        let spacing = line_spacing(lines);
        let mut start = 0;
        let mut kind = BlockKind::Paragraph;
        let mut i = 0;
        while i < lines.len() {
            if let Some(h) = self.headings.get(&i) {
                if start < i {
                    out.push(self.block(kind, &lines[start..i]));
                }
                let level = if h.level == 0 {
                    (*outline_level + 1).min(6)
                } else {
                    *outline_level = h.level;
                    h.level
                };
                let end = (i + h.lines).min(lines.len());
                out.push(self.block(BlockKind::Heading(level), &lines[i..end]));
                i = end;
                start = end;
                kind = BlockKind::Paragraph;
                continue;
            }
            let bullet = is_bullet(&lines[i].1.text);
            if i > start && (bullet || paragraph_break(lines[i - 1].1, lines[i].1, spacing)) {
                out.push(self.block(kind, &lines[start..i]));
                start = i;
            }
            if i == start {
                kind = if bullet {
                    BlockKind::ListItem
                } else {
                    BlockKind::Paragraph
                };
            }
            i += 1;
        }
        if start < lines.len() {
            out.push(self.block(kind, &lines[start..]));
        }
    }
}

/// A list item's first line: a bullet glyph and a space.
fn is_bullet(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some('•' | '◦' | '▪' | '–' | '‣' | '●' | '○'))
        && chars.next() == Some(' ')
}

/// The usual distance between the baselines of consecutive lines in a paragraph: the
/// lower quartile of the downward steps (paragraph gaps and headings are the larger ones).
fn line_spacing(lines: &[(u32, &PdfLine)]) -> f64 {
    let mut gaps: Vec<f64> = lines
        .windows(2)
        .map(|w| w[1].1.y - w[0].1.y)
        .filter(|g| *g > 0.0)
        .collect();
    if gaps.is_empty() {
        return 0.0;
    }
    gaps.sort_by(f64::total_cmp);
    gaps[gaps.len() / 4]
}

/// A new paragraph starts after a gap taller than the page's usual line spacing, when
/// the text moves back up the page (a new column or a float), or when the font size
/// changes.
fn paragraph_break(prev: &PdfLine, cur: &PdfLine, spacing: f64) -> bool {
    let gap = cur.y - prev.y;
    let size = prev.size.max(cur.size);
    gap > (spacing * 1.15).max(size * 1.05)
        || gap < 0.0
        || (prev.size - cur.size).abs() > size * 0.15
}

/// Joins a paragraph's lines with spaces, rejoining words hyphenated at a line end
/// (`exten-` + `sion`).
pub fn join_lines<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for line in lines {
        if out.is_empty() {
            out.push_str(line);
            continue;
        }
        match continuation(&out, line) {
            Continuation::Word => {
                out.pop();
            }
            Continuation::Compound => {}
            Continuation::Space => out.push(' '),
        }
        out.push_str(line);
    }
    out
}

/// How the line `next` continues the text `before` it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Continuation {
    /// A word broken by a hyphen at the end of the line (`docu-` + `mentation`).
    Word,
    /// A name broken at one of its own hyphens: a word that holds another hyphen
    /// (`fonts-crosextra-` + `caladea`, `fonts-` + `crosextra-carlito`) keeps it.
    Compound,
    /// A new word.
    Space,
}

fn continuation(before: &str, next: &str) -> Continuation {
    let hyphenated = {
        let mut tail = before.chars().rev();
        tail.next() == Some('-') && tail.next().is_some_and(|c| c.is_lowercase())
    };
    if !hyphenated || !next.chars().next().is_some_and(|c| c.is_lowercase()) {
        return Continuation::Space;
    }
    let last_word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or_default();
    let next_word = next.split(char::is_whitespace).next().unwrap_or_default();
    if last_word.trim_end_matches('-').contains('-') || next_word.contains('-') {
        Continuation::Compound
    } else {
        Continuation::Word
    }
}

/// Joins the words broken by a hyphen where a paragraph or list item ends and the next
/// paragraph begins — a sentence running over a page break or a column (`doc-` on page 26,
/// `umentation in …` on page 27): the word's rest moves to the end of the first block,
/// where the word began, and a block left empty is taken into it. One pass, each block
/// moved once.
fn join_broken_words(blocks: Vec<Block>) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    for mut b in blocks {
        if let Some(a) = out.last_mut() {
            // Text runs on from a paragraph or a list item into a paragraph.
            let runs_on = matches!(a.kind, BlockKind::Paragraph | BlockKind::ListItem)
                && b.kind == BlockKind::Paragraph;
            let how = continuation(&a.text, &b.text);
            if runs_on && how != Continuation::Space {
                if how == Continuation::Word {
                    a.text.pop();
                }
                let word_end = b.text.find(char::is_whitespace).unwrap_or(b.text.len());
                a.text.push_str(&b.text[..word_end]);
                b.text = b.text[word_end..].trim_start().to_string();
                if b.text.is_empty() {
                    a.line_end = b.line_end;
                    if b.page != a.page {
                        a.page_end = b.page_end.or(b.page);
                    }
                    continue;
                }
            }
        }
        out.push(b);
    }
    out
}

/// Lower case, letters and digits only, single spaces: how titles are compared.
fn norm(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Finds the page's outline entries among its lines, in order: the joined text of one to
/// three lines equals the title, or one ends with the other (a section number or
/// "Chapter 3" on one side only).
fn outline_headings(
    lines: &[(u32, &PdfLine)],
    entries: &[&OutlineEntry],
) -> HashMap<usize, Heading> {
    let mut found = HashMap::new();
    let mut cursor = 0;
    for entry in entries {
        let title = norm(&entry.title);
        if title.is_empty() {
            continue;
        }
        'search: for at in cursor..lines.len() {
            // A heading starts with a word: a line of braces or dots before it is not
            // part of it ("};" above "6.4 Device").
            if norm(&lines[at].1.text).is_empty() {
                continue;
            }
            let mut joined = String::new();
            for k in 0..HEADING_LINES.min(lines.len() - at) {
                if k > 0 {
                    joined.push(' ');
                }
                joined.push_str(&norm(&lines[at + k].1.text));
                if joined.len() > title.len() + 24 {
                    break;
                }
                if titles_match(joined.trim(), &title) {
                    // A line ending the sentence before the heading is not glued onto
                    // it ("(p. 279)." above "Pslatex and pstex"); a number or "Chapter
                    // 2" on a line of its own is part of it.
                    let end = at + k;
                    let mut first = at;
                    while first < end
                        && !is_number_line(&norm(&lines[first].1.text))
                        && titles_match(&joined_norm(&lines[first + 1..=end]), &title)
                    {
                        first += 1;
                    }
                    found.insert(
                        first,
                        Heading {
                            level: entry.level.clamp(1, 6),
                            lines: end + 1 - first,
                        },
                    );
                    cursor = at + k + 1;
                    break 'search;
                }
            }
        }
    }
    found
}

/// A line that only numbers a heading: "6 7", "chapter 2", "appendix b" (normalised).
fn is_number_line(words: &str) -> bool {
    let mut w = words.split(' ').peekable();
    if w.peek()
        .is_some_and(|f| matches!(*f, "chapter" | "part" | "appendix" | "section"))
    {
        w.next();
        return w.all(|x| x.chars().all(|c| c.is_ascii_digit()) || x.len() == 1 || is_roman(x));
    }
    !words.is_empty() && w.all(|x| x.chars().all(|c| c.is_ascii_digit()))
}

/// The normalised text of some lines, joined.
fn joined_norm(lines: &[(u32, &PdfLine)]) -> String {
    lines
        .iter()
        .map(|(_, l)| norm(&l.text))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn titles_match(text: &str, title: &str) -> bool {
    if text == title {
        return true;
    }
    let (long, short) = if text.len() > title.len() {
        (text, title)
    } else {
        (title, text)
    };
    // The longer one may only add a short prefix made of numbers and "chapter"/"part"
    // words ("1 2", "chapter 3", "appendix a"); anything else is a different line. A
    // title under four characters ("BGP", "MRT") needs a section number before it.
    let Some(rest) = long.strip_suffix(short).filter(|r| r.ends_with(' ')) else {
        return false;
    };
    let prefix: Vec<&str> = rest.split_whitespace().collect();
    let numbered =
        !prefix.is_empty() && prefix.iter().all(|w| w.chars().all(|c| c.is_ascii_digit()));
    (short.len() >= 4 || numbered)
        && prefix.iter().all(|w| {
            w.chars().all(|c| c.is_ascii_digit())
                || matches!(*w, "chapter" | "part" | "appendix" | "section")
                || (w.len() == 1 && w.chars().all(|c| c.is_alphabetic()))
        })
}

/// The font size most of the text is set in.
fn body_size(pages: &[PdfPage]) -> f64 {
    let mut weight: HashMap<i64, usize> = HashMap::new();
    for line in pages.iter().flat_map(|p| &p.lines) {
        *weight.entry((line.size * 2.0).round() as i64).or_default() += line.text.len();
    }
    weight
        .into_iter()
        .max_by_key(|(size, w)| (*w, -size))
        .map(|(s, _)| s as f64 / 2.0)
        .unwrap_or(10.0)
}

/// Without an outline, headings are short lines set clearly larger than the body; their
/// sizes, largest first, give the levels (at most four).
fn heading_sizes(pages: &[PdfPage], body: f64) -> Vec<f64> {
    let mut sizes: Vec<i64> = pages
        .iter()
        .flat_map(|p| &p.lines)
        .filter(|l| looks_like_heading(l, body))
        .map(|l| (l.size * 2.0).round() as i64)
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    sizes.into_iter().take(4).map(|s| s as f64 / 2.0).collect()
}

fn looks_like_heading(line: &PdfLine, body: f64) -> bool {
    let t = line.text.trim();
    line.size >= body * 1.2
        && t.len() <= 120
        && t.chars().any(char::is_alphabetic)
        && !t.ends_with(['.', ',', ';'])
}

fn layout_headings(
    lines: &[(u32, &PdfLine)],
    levels: &[f64],
    body: f64,
) -> HashMap<usize, Heading> {
    let mut found = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].1;
        let level = levels
            .iter()
            .position(|s| (s - (line.size * 2.0).round() / 2.0).abs() < 0.01);
        match level {
            Some(level) if looks_like_heading(line, body) => {
                let mut n = 1;
                while n < HEADING_LINES
                    && i + n < lines.len()
                    && (lines[i + n].1.size - line.size).abs() < 0.01
                    && lines[i + n].1.y - lines[i + n - 1].1.y < line.size * 1.6
                {
                    n += 1;
                }
                found.insert(
                    i,
                    Heading {
                        level: u8::try_from(level + 1).unwrap_or(4),
                        lines: n,
                    },
                );
                i += n;
            }
            _ => i += 1,
        }
    }
    found
}

/// What a running header or footer looks like once page numbers are ignored, from its
/// normalised words ([`norm`]).
fn furniture_key(words: &str) -> String {
    words
        .split(' ')
        .map(|w| {
            if w.chars().all(|c| c.is_ascii_digit()) || is_roman(w) {
                "#"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_roman(w: &str) -> bool {
    !w.is_empty() && w.len() <= 8 && w.chars().all(|c| "ivxlcdm".contains(c))
}

fn in_margin(line: &PdfLine, page: &PdfPage) -> bool {
    page.height > 0.0 && (line.y < page.height * MARGIN || line.y > page.height * (1.0 - MARGIN))
}

/// Margin lines that repeat across pages (running headers, footers, page numbers).
fn furniture_keys(pages: &[PdfPage]) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for page in pages {
        let mut keys: Vec<String> = page
            .lines
            .iter()
            .filter(|l| in_margin(l, page))
            .map(|l| furniture_key(&norm(&l.text)))
            .collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            *seen.entry(k).or_default() += 1;
        }
    }
    seen.retain(|_, n| *n >= FURNITURE_MIN_PAGES);
    seen
}

fn is_furniture(line: &PdfLine, page: &PdfPage, keys: &HashMap<String, usize>) -> bool {
    if !in_margin(line, page) {
        return false;
    }
    let words = norm(&line.text);
    let key = furniture_key(&words);
    // A lone page number in the margin is furniture even when not repeated, and so is a
    // margin line that starts or ends with this page's label ("4 Introduction").
    let label = page.label.as_deref().map(norm);
    let labelled = label.is_some_and(|l| {
        !l.is_empty() && (words.starts_with(&format!("{l} ")) || words.ends_with(&format!(" {l}")))
    });
    key == "#" || labelled || keys.contains_key(&key)
}

/// A page whose text is mostly symbols: a font without a usable text mapping.
fn is_garbled(lines: &[(u32, &PdfLine)]) -> bool {
    let (mut letters, mut other) = (0usize, 0usize);
    for (_, l) in lines {
        // Dot leaders of a table of contents are not noise.
        for c in l.text.chars().filter(|c| !c.is_whitespace() && *c != '.') {
            if c.is_alphanumeric() {
                letters += 1;
            } else {
                other += 1;
            }
        }
    }
    letters + other >= 200 && letters * 10 < (letters + other) * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, y: f64, size: f64) -> PdfLine {
        PdfLine {
            text: text.into(),
            y,
            size,
        }
    }

    fn page(index: u32, label: Option<&str>, lines: Vec<PdfLine>) -> PdfPage {
        PdfPage {
            index,
            label: label.map(String::from),
            height: 800.0,
            lines,
        }
    }

    #[test]
    fn hyphenated_line_ends_are_rejoined() {
        let lines = ["the exten-", "sion is loaded", "well-", "Known"];
        assert_eq!(
            join_lines(lines.into_iter()),
            "the extension is loaded well- Known"
        );
        // A package name broken at its own hyphen keeps it.
        let lines = [
            "install fonts-crosextra-",
            "caladea and fonts-",
            "crosextra-carlito",
        ];
        assert_eq!(
            join_lines(lines.into_iter()),
            "install fonts-crosextra-caladea and fonts-crosextra-carlito"
        );
    }

    #[test]
    fn words_broken_between_blocks_are_joined_where_they_began() {
        let block = |kind, text: &str, at: u32, page: &str| Block {
            kind,
            text: text.into(),
            raw: text.into(),
            line_start: at,
            line_end: at,
            page: Some(PageLabel(page.into())),
            page_end: None,
            pdf_page: None,
        };
        let blocks = vec![
            block(BlockKind::Paragraph, "man pages and doc-", 1, "8"),
            block(BlockKind::Paragraph, "umentation in /usr/local", 2, "9"),
            block(BlockKind::Paragraph, "a list will be gener-", 3, "9"),
            block(BlockKind::Paragraph, "ated.", 4, "10"),
            block(BlockKind::Paragraph, "install fonts-", 5, "10"),
            block(BlockKind::Paragraph, "crosextra-carlito now", 6, "10"),
            block(BlockKind::Paragraph, "see well-", 7, "10"),
            block(BlockKind::Heading(2), "known names", 8, "10"),
            block(BlockKind::ListItem, "• The include depen-", 9, "10"),
            block(BlockKind::Paragraph, "dency exists", 10, "10"),
        ];
        let blocks = join_broken_words(blocks);
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "man pages and documentation",
                "in /usr/local",
                "a list will be generated.",
                "install fonts-crosextra-carlito",
                "now",
                "see well-",
                "known names",
                "• The include dependency",
                "exists"
            ]
        );
        assert_eq!(blocks[2].line_end, 4, "the emptied block taken in");
        assert_eq!(blocks[2].page_end, Some(PageLabel("10".into())));
        assert_eq!(blocks[0].page_end, None);
    }

    #[test]
    fn outline_titles_match_numbered_lines() {
        assert!(titles_match(
            "1 2 configuring the server",
            "configuring the server"
        ));
        assert!(titles_match("chapter 3", "chapter 3"));
        assert!(titles_match(
            "configuring the server",
            "4 configuring the server"
        ));
        assert!(!titles_match(
            "see configuring the server",
            "configuring the server"
        ));
    }

    #[test]
    fn blocks_carry_pages_headings_and_drop_running_headers() {
        let mut pages = Vec::new();
        for i in 1..=4u32 {
            pages.push(page(
                i,
                Some(&format!("{}", i + 10)),
                vec![
                    line("Admin Guide", 30.0, 9.0),
                    line(&format!("Section {i}"), 100.0, 16.0),
                    line("First line of the body text", 130.0, 10.0),
                    line("and its second line.", 142.0, 10.0),
                    line("A new paragraph.", 170.0, 10.0),
                    line(&format!("{}", i + 10), 780.0, 9.0),
                ],
            ));
        }
        let pdf = PdfText {
            pages,
            outline: (1..=4)
                .map(|i| OutlineEntry {
                    level: 1,
                    title: format!("Section {i}"),
                    page: i,
                })
                .collect(),
            ..Default::default()
        };
        let (blocks, warnings) = pdf_blocks(&pdf);
        assert!(warnings.is_empty());
        assert_eq!(blocks.len(), 12, "{blocks:#?}");
        assert_eq!(blocks[0].kind, BlockKind::Heading(1));
        assert_eq!(blocks[0].text, "Section 1");
        assert_eq!(
            blocks[1].text,
            "First line of the body text and its second line."
        );
        assert_eq!(blocks[2].text, "A new paragraph.");
        assert_eq!(blocks[4].pdf_page, Some(2));
        assert_eq!(blocks[4].page, Some(PageLabel("12".into())));
        assert!(blocks.iter().all(|b| !b.text.contains("Admin Guide")));
    }

    fn entry(level: u8, title: &str, page: u32) -> OutlineEntry {
        OutlineEntry {
            level,
            title: title.into(),
            page,
        }
    }

    /// Heading blocks as "level text".
    fn headings_of(pdf: &PdfText) -> Vec<String> {
        pdf_blocks(pdf)
            .0
            .iter()
            .filter_map(|b| match b.kind {
                BlockKind::Heading(l) => Some(format!("{l} {}", b.text)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn outline_headings_keep_their_levels_and_nothing_glued_on() {
        // bird.pdf: "6.2 BFD" sat under "6.1 Babel" (a title under four characters
        // never matched its line), "}; } 6.4 Device" and "(p. 279). Pslatex and pstex"
        // were glued, and "Chapter 2" on its own line must stay with its title.
        let body = |t: &str, y: f64| line(t, y, 10.0);
        let pdf = PdfText {
            pages: vec![
                page(
                    1,
                    None,
                    vec![
                        line("Chapter 6", 90.0, 20.0),
                        line("Protocols", 110.0, 20.0),
                        line("6.1 Babel", 150.0, 14.0),
                        body("Babel is a routing protocol.", 170.0),
                    ],
                ),
                page(
                    2,
                    None,
                    vec![
                        line("6.2 BFD", 90.0, 14.0),
                        body("BFD detects failures.", 110.0),
                        body("};", 130.0),
                        body("}", 142.0),
                        line("6.3 Device", 160.0, 14.0),
                        body("See the options (p. 279).", 180.0),
                        line("Pslatex and pstex", 200.0, 14.0),
                        body("Drivers for LaTeX.", 220.0),
                        line("6.5 MRT", 240.0, 14.0),
                        body("MRT dumps tables.", 260.0),
                    ],
                ),
            ],
            outline: vec![
                entry(1, "Protocols", 1),
                entry(2, "Babel", 1),
                entry(2, "BFD", 2),
                entry(2, "6.3 Device", 2),
                entry(2, "Pslatex and pstex", 2),
            ],
            ..Default::default()
        };
        assert_eq!(
            headings_of(&pdf),
            [
                "1 Chapter 6 Protocols",
                "2 6.1 Babel",
                "2 6.2 BFD",
                "2 6.3 Device",
                "2 Pslatex and pstex",
                // Not in the outline; set like its level-2 headings, so level 2.
                "2 6.5 MRT",
            ]
        );
    }

    #[test]
    fn without_an_outline_large_lines_are_headings() {
        let pdf = PdfText {
            pages: vec![page(
                1,
                None,
                vec![
                    line("Overview", 100.0, 18.0),
                    line("Body text here.", 130.0, 10.0),
                    line("Details", 160.0, 14.0),
                    line("More body text.", 190.0, 10.0),
                ],
            )],
            ..Default::default()
        };
        let (blocks, _) = pdf_blocks(&pdf);
        let kinds: Vec<BlockKind> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Heading(1),
                BlockKind::Paragraph,
                BlockKind::Heading(2),
                BlockKind::Paragraph
            ]
        );
        assert_eq!(blocks[0].page, Some(PageLabel("1".into())));
    }

    #[test]
    fn degraded_documents_cite_no_pages() {
        let pdf = PdfText {
            pages: vec![page(1, Some("1"), vec![line("Some text.", 100.0, 10.0)])],
            degraded: Some("page tree damaged".into()),
            ..Default::default()
        };
        let (blocks, _) = pdf_blocks(&pdf);
        assert_eq!(blocks[0].page, None);
        assert_eq!(blocks[0].pdf_page, None);
    }
}
