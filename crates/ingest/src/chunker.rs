//! Blocks into chunks: structure-aware, heading-scoped, size-bounded.

use crate::blocks::{Block, BlockKind};
use crate::contents::{ends_in_page, is_navigation_line, MIN_LINES};
use mcdewey_core::{Location, PageLabel};

/// Chunk size bounds, in characters of cleaned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// A chunk is closed before a block that would take it past this size.
    pub target_chars: usize,
    /// No chunk grows past this; larger blocks are split by lines, then sentences.
    pub max_chars: usize,
    /// A section smaller than this is joined with the next one instead of standing
    /// alone; the last lines of a section cut by size, when fewer, join the chunk before
    /// them (the same section's) if they fit there.
    pub min_chars: usize,
}

impl Default for ChunkOptions {
    /// Measured on the CUCM dev set (docs/evaluation.md): around 1,000 characters keeps
    /// procedures whole while fitting the embedding model's 256-token window.
    fn default() -> Self {
        ChunkOptions::scaled(1000)
    }
}

impl ChunkOptions {
    /// Bounds around a target size: at most 1.6 times it, sections under a quarter of
    /// it joined to a neighbour.
    pub fn scaled(target_chars: usize) -> ChunkOptions {
        ChunkOptions {
            target_chars,
            max_chars: target_chars * 8 / 5,
            min_chars: target_chars / 4,
        }
    }
}

/// A chunk before it is given its id.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkDraft {
    /// Heading path of the section the chunk starts in.
    pub heading: Vec<String>,
    /// Cleaned text.
    pub text: String,
    /// Original source text.
    pub raw: String,
    /// Pages and source lines.
    pub location: Location,
}

#[derive(Default)]
struct Open {
    heading: Vec<String>,
    texts: Vec<String>,
    raws: Vec<String>,
    chars: usize,
    body_chars: usize,
    location: Location,
    /// Whether the chunk opened with body text: the rest of a section cut by size.
    continues: bool,
    /// Body blocks that are lines of a table of contents, and characters of the others.
    contents_lines: usize,
    text_chars: usize,
}

impl Open {
    /// Adds a block's text (or a piece of it); `body` unless a heading, `contents` when
    /// the block is a line of a table of contents (told once per block by the caller:
    /// a block cut into many pieces is not read again for each).
    fn add(&mut self, text: &str, raw: &str, block: &Block, body: bool, contents: bool) {
        let at = &mut self.location;
        if self.texts.is_empty() {
            self.continues = body;
            at.line_start = block.line_start;
            at.page = block.page.clone();
            at.pdf_page = block.pdf_page;
        }
        reach(
            at,
            block.line_end,
            block.page_end.as_ref().or(block.page.as_ref()),
            block.pdf_page,
        );
        self.texts.push(text.to_string());
        self.raws.push(raw.to_string());
        self.chars += text.len() + 1;
        if body {
            self.body_chars += text.len();
            if contents {
                self.contents_lines += 1;
            } else {
                self.text_chars += text.len();
            }
        }
    }
}

/// Lines of a table of contents in a row that make a chunk of their own: as many as
/// search needs to keep a chunk out of results as a contents page.
const CONTENTS_RUN: usize = MIN_LINES;
/// Characters of text before such a run that are a passage of their own rather than the
/// run's label ("Table of Contents").
const TEXT_BEFORE_CONTENTS: usize = 80;

/// Whether a block is a line of a table of contents or an index: one link and nothing
/// else, an index entry, or a title and its page ([`crate::contents`]).
fn is_contents_line(block: &Block) -> bool {
    let mut lines = block
        .raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .peekable();
    matches!(block.kind, BlockKind::Paragraph | BlockKind::ListItem)
        && ((lines.peek().is_some() && lines.all(is_navigation_line)) || ends_in_page(&block.text))
}

/// Cuts blocks into chunks.
///
/// A heading closes the open chunk when that chunk holds at least `min_chars` of body
/// text; small sections are joined to the next. When the open chunk is the last few
/// lines of a section cut by size, they join the chunk before them (the same section's)
/// if both fit in `max_chars`, rather than open the next section's chunk under their
/// heading path. Tables and code blocks stay whole when they fit in `max_chars`; longer
/// blocks are split by lines, then by sentences. A run of [`CONTENTS_RUN`] lines of a
/// table of contents or more is a chunk of its own, apart from the text before it (when
/// that is more than a label) and after it, so that search, which keeps contents out of
/// its results, does not lose the text they would share a chunk with.
pub fn chunk_blocks(blocks: &[Block], opts: &ChunkOptions) -> Vec<ChunkDraft> {
    let mut out = Vec::new();
    let mut stack: Vec<(u8, String)> = Vec::new();
    let mut open = Open::default();
    let path = |stack: &[(u8, String)]| stack.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>();

    // The level of a "CHAPTER 3" heading whose title is the heading right after it.
    let mut label: Option<u8> = None;
    let lines_of_contents: Vec<bool> = blocks.iter().map(is_contents_line).collect();
    for (i, block) in blocks.iter().enumerate() {
        if let Some(mut level) = block.heading_level() {
            // A contents run ends at a heading too, neither joined to the text before
            // it nor to the next section.
            if open.body_chars >= opts.min_chars || open.contents_lines >= CONTENTS_RUN {
                flush(&mut open, &mut out);
            } else if open.continues {
                join_previous(&mut open, &mut out, opts.max_chars);
            }
            if let Some(at) = label.take() {
                level = level.min(at);
            }
            let titled = blocks
                .get(i + 1)
                .is_some_and(|b| b.heading_level().is_some());
            if titled && is_label(&block.text) {
                // Not a section of its own: the next heading, at this level, is.
                label = Some(level);
                open.add(&block.text, &block.raw, block, false, false);
                continue;
            }
            while stack.last().is_some_and(|(l, _)| *l >= level) {
                stack.pop();
            }
            stack.push((level, block.text.clone()));
            if open.body_chars == 0 {
                open.heading = path(&stack);
            }
            open.add(&block.text, &block.raw, block, false, false);
            continue;
        }
        let contents = lines_of_contents[i];
        let run_starts = lines_of_contents
            .get(i..i + CONTENTS_RUN)
            .is_some_and(|run| run.iter().all(|&c| c));
        let run_ends = !contents && open.contents_lines >= CONTENTS_RUN;
        if (run_starts && open.text_chars >= TEXT_BEFORE_CONTENTS) || run_ends {
            flush(&mut open, &mut out);
            open.heading = path(&stack);
        }
        let pieces = if block.text.len() > opts.max_chars {
            split_text(&block.text, opts.target_chars)
        } else {
            vec![block.text.clone()]
        };
        let whole = pieces.len() == 1;
        for piece in pieces {
            let fits_target = open.chars + piece.len() <= opts.target_chars;
            let small_fits_max =
                open.body_chars < opts.min_chars && open.chars + piece.len() <= opts.max_chars;
            if open.body_chars > 0 && !fits_target && !small_fits_max {
                flush(&mut open, &mut out);
                open.heading = path(&stack);
            }
            if open.texts.is_empty() {
                open.heading = path(&stack);
            }
            let raw = if whole {
                block.raw.as_str()
            } else {
                piece.as_str()
            };
            open.add(&piece, raw, block, true, contents);
        }
        if matches!(block.kind, BlockKind::Table | BlockKind::Code)
            && open.chars >= opts.target_chars
        {
            flush(&mut open, &mut out);
            open.heading = path(&stack);
        }
    }
    flush(&mut open, &mut out);
    out
}

/// Whether a heading is only a numbered label of a part of the book ("CHAPTER 3",
/// "Part II", "Appendix A"), as manuals converted from PDF often give a chapter's title
/// its own heading after one.
fn is_label(heading: &str) -> bool {
    let mut words = heading.split_whitespace();
    let (Some(kind), Some(number), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    ["chapter", "part", "appendix"].contains(&kind.to_ascii_lowercase().as_str())
        && number.len() <= 6
        && number.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Appends the open chunk to the previous one when both fit in `max_chars` together
/// (else leaves it open, to join the next section).
fn join_previous(open: &mut Open, out: &mut [ChunkDraft], max_chars: usize) {
    let Some(prev) = out.last_mut() else { return };
    if prev.text.len() + 1 + open.chars > max_chars {
        return;
    }
    let done = std::mem::take(open);
    for text in done.texts {
        prev.text.push('\n');
        prev.text.push_str(&text);
    }
    for raw in done.raws {
        prev.raw.push_str("\n\n");
        prev.raw.push_str(&raw);
    }
    let add = done.location;
    reach(
        &mut prev.location,
        add.line_end,
        add.page_end.as_ref().or(add.page.as_ref()),
        add.pdf_page_end.or(add.pdf_page),
    );
}

/// Extends a chunk's location to text that ends on `line_end` and on these pages.
fn reach(at: &mut Location, line_end: u32, page: Option<&PageLabel>, pdf_page: Option<u32>) {
    at.line_end = line_end;
    if page.is_some() && page != at.page.as_ref() {
        at.page_end = page.cloned();
    }
    if pdf_page.is_some() && pdf_page != at.pdf_page {
        at.pdf_page_end = pdf_page;
    }
}

fn flush(open: &mut Open, out: &mut Vec<ChunkDraft>) {
    if open.texts.is_empty() {
        return;
    }
    let done = std::mem::take(open);
    out.push(ChunkDraft {
        heading: done.heading,
        text: done.texts.join("\n"),
        raw: done.raws.join("\n\n"),
        location: done.location,
    });
}

/// Splits a long text into pieces of about `target` characters: at line breaks first,
/// then at sentence ends, then at spaces.
fn split_text(text: &str, target: usize) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.len() <= target {
            units.push(line.to_string());
        } else {
            units.extend(split_sentences(line, target));
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for unit in units {
        if !cur.is_empty() && cur.len() + unit.len() + 1 > target {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&unit);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn split_sentences(line: &str, target: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    // A "word" longer than the target (a base64 blob, a line of dashes) is cut hard.
    let words = line.split(' ').flat_map(|w| hard_split(w, target));
    for word in words {
        let sentence_end = cur.ends_with(". ") || cur.ends_with("? ") || cur.ends_with("! ");
        let at_sentence = cur.len() + word.len() > target && (sentence_end || cur.len() > target);
        if at_sentence || cur.len() + word.len() > target * 3 / 2 {
            out.push(cur.trim_end().to_string());
            cur.clear();
        }
        cur.push_str(word);
        cur.push(' ');
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim_end().to_string());
    }
    out
}

fn hard_split(word: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = word;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out.push(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{parse_text, Dialect};

    fn chunks(md: &str, opts: &ChunkOptions) -> Vec<ChunkDraft> {
        chunk_blocks(&parse_text(md, Dialect::Markdown), opts)
    }

    #[test]
    fn sections_become_chunks_with_breadcrumbs() {
        let body = "word ".repeat(80);
        let md = format!("# Guide\n\n## Security Modes\n\n{body}\n\n### Mixed Mode\n\n{body}\n\n## Certificates\n\n{body}\n");
        let out = chunks(&md, &ChunkOptions::default());
        let paths: Vec<Vec<String>> = out.iter().map(|c| c.heading.clone()).collect();
        assert_eq!(
            paths,
            [
                vec!["Guide".to_string(), "Security Modes".to_string()],
                vec![
                    "Guide".to_string(),
                    "Security Modes".to_string(),
                    "Mixed Mode".to_string()
                ],
                vec!["Guide".to_string(), "Certificates".to_string()],
            ]
        );
        assert!(out[1].text.starts_with("Mixed Mode\nword"));
        assert_eq!(out[0].location.line_start, 1);
    }

    #[test]
    fn a_chapter_label_before_its_title_is_no_section_of_its_own() {
        let body = "word ".repeat(80);
        // As converted PDFs give it: the label one level above its title, or below it.
        let md = format!(
            "# CHAPTER 1\n\n## Security Overview\n\n{body}\n\n## Signaling Encryption\n\n{body}\n\n\
             ## CHAPTER 2\n\n# Certificates\n\n{body}\n\n## Part II\n\nBody, so a section.\n\n{body}\n"
        );
        let out = chunks(&md, &ChunkOptions::default());
        let paths: Vec<String> = out.iter().map(|c| c.heading.join(" > ")).collect();
        assert_eq!(
            paths,
            [
                "Security Overview",
                "Security Overview > Signaling Encryption",
                "Certificates",
                "Certificates > Part II",
            ]
        );
        // The label stays in the text.
        assert!(out[0]
            .text
            .starts_with("CHAPTER 1\nSecurity Overview\nword"));
        assert!(out[2].text.starts_with("CHAPTER 2\nCertificates"));
        for (label, is) in [
            ("CHAPTER 12", true),
            ("Appendix A", true),
            ("Part IV", true),
            ("Chapter 3 Security", false),
            ("Security", false),
            ("Part of the guide", false),
        ] {
            assert_eq!(is_label(label), is, "{label}");
        }
    }

    #[test]
    fn a_table_of_contents_is_a_chunk_apart_from_the_text_around_it() {
        let links: String = (1..=6)
            .map(|n| format!("[49.{n}. Section {n}](page{n}.html)\n\n"))
            .collect();
        // A chapter page: its contents, then its introduction.
        let chapter = format!(
            "## Chapter 49. Logical Decoding\n\n**Table of Contents**\n\n{links}\
             PostgreSQL provides infrastructure to stream the modifications performed via SQL.\n"
        );
        let out = chunks(&chapter, &ChunkOptions::default());
        assert_eq!(out.len(), 2, "{out:#?}");
        assert!(out[0]
            .text
            .starts_with("Chapter 49. Logical Decoding\nTable of Contents\n49.1."));
        assert_eq!(out[1].heading, ["Chapter 49. Logical Decoding"]);
        assert!(out[1]
            .text
            .starts_with("PostgreSQL provides infrastructure"));
        // A section's last sentence before the next part's list of chapters.
        let part = format!(
            "## View Status\n\nYou can view the certificate operation status in the profile \
             window of the application user or the end user.\n\n{}",
            links.replace('[', "- [")
        );
        let out = chunks(&part, &ChunkOptions::default());
        assert_eq!(out.len(), 2, "{out:#?}");
        assert!(out[0]
            .text
            .ends_with("of the application user or the end user."));
        assert!(out[1].text.starts_with("- 49.1. Section 1"), "{out:#?}");
        // A section's own list of its subsections, before the first of them.
        let sections = format!(
            "## 2 Output Formats\n\nThe following sections describe each format, illustrating how \
             diff reports the differences.\n\n{}### 2.1 Two Sample Input Files\n\nHere are two files.\n",
            links.replace('[', "- [")
        );
        let out = chunks(&sections, &ChunkOptions::default());
        assert_eq!(out.len(), 3, "{out:#?}");
        assert!(out[0].text.ends_with("reports the differences."));
        assert!(out[1].text.starts_with("- 49.1."));
        assert_eq!(
            out[2].heading,
            ["2 Output Formats", "2.1 Two Sample Input Files"]
        );
        // A few links inside a section stay with its text.
        let few = "## Notes\n\nSee the pages below for the details of each setting and its default value.\n\n\
                   - [One](a.html)\n- [Two](b.html)\n\nMore text follows the list here.\n";
        assert_eq!(chunks(few, &ChunkOptions::default()).len(), 1);
    }

    #[test]
    fn small_sections_join_the_next() {
        let md = "## A\n\nShort.\n\n### Procedure\n\nStep one.\n\n## B\n\nOther.\n";
        let out = chunks(md, &ChunkOptions::default());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].heading, ["A"]);
        assert_eq!(out[0].text, "A\nShort.\nProcedure\nStep one.\nB\nOther.");
    }

    #[test]
    fn the_last_lines_of_a_section_join_the_chunk_before_them() {
        let para = |n: usize| "Sentence about barge tones. ".repeat(n);
        // A section cut by size, its last line left over, then a new section: the line
        // stays with its section, and the new section's chunk is named after it.
        let md = format!(
            "## Authentication\n\n{}\n\n{}\n\nNAT is not supported.\n\n## Barge\n\n{}\n",
            para(20),
            para(15),
            para(25)
        );
        let out = chunks(&md, &ChunkOptions::default());
        let heads: Vec<&str> = out.iter().map(|c| c.heading[0].as_str()).collect();
        assert_eq!(heads, ["Authentication", "Barge"], "{out:#?}");
        assert!(out[0].text.ends_with("NAT is not supported."));
        assert!(out[0].raw.ends_with("\n\nNAT is not supported."));
        assert!(out[1].text.starts_with("Barge\n"));
        assert_eq!(out[0].location.line_end, 7);
        // The chunk now runs to the page the joined lines are on.
        let mut blocks = parse_text(&md, Dialect::Markdown);
        for (i, b) in blocks.iter_mut().enumerate() {
            b.pdf_page = Some(1 + i as u32);
        }
        let out = chunk_blocks(&blocks, &ChunkOptions::default());
        let pages: Vec<_> = out
            .iter()
            .map(|c| (c.location.pdf_page, c.location.pdf_page_end))
            .collect();
        assert_eq!(pages, [(Some(1), Some(4)), (Some(5), Some(6))], "{out:#?}");
        // Too big to join the chunk before: they open the next section's chunk, as a
        // small section does.
        let md = format!(
            "## A\n\n{}\n\nTail.\n\n## B\n\n{}\n",
            "x".repeat(1595),
            para(20)
        );
        let out = chunks(&md, &ChunkOptions::default());
        assert_eq!(out.len(), 2, "{out:#?}");
        assert!(out[1].text.starts_with("Tail.\nB\n"), "{out:#?}");
    }

    #[test]
    fn long_sections_split_under_max_and_tables_stay_whole() {
        let para = "This is a sentence about certificates. ".repeat(100);
        let table = (0..20)
            .map(|i| format!("Row {i}\tvalue {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let md = format!("## Long\n\n{para}\n\n{table}\n");
        let opts = ChunkOptions::default();
        let out = chunks(&md, &opts);
        assert!(out.len() >= 4, "{}", out.len());
        assert!(
            out.iter().all(|c| c.text.len() <= opts.max_chars),
            "{:?}",
            out.iter().map(|c| c.text.len()).collect::<Vec<_>>()
        );
        assert!(out
            .iter()
            .any(|c| c.text.contains("Row 0\tvalue 0") && c.text.contains("Row 19\tvalue 19")));
        assert!(out.iter().all(|c| c.heading == ["Long"]));
    }

    #[test]
    fn unbroken_text_is_cut_under_max() {
        let md = format!("## Blob\n\n{}\n", "é".repeat(5000));
        let opts = ChunkOptions::default();
        let out = chunks(&md, &opts);
        assert!(out.len() >= 5);
        assert!(
            out.iter().all(|c| c.text.len() <= opts.max_chars),
            "{:?}",
            out.iter().map(|c| c.text.len()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_source_line_with_text_lands_in_some_chunk() {
        let md = "# T\n\nintro\n\n- a\n- b\ncontinued\n\n\tx\ty\n\n```\ncode\n```\n\n**Bold Head**\n\nend\n";
        let out = chunks(md, &ChunkOptions::default());
        let all: String = out
            .iter()
            .map(|c| c.text.clone())
            .collect::<Vec<_>>()
            .join("\n");
        for needle in [
            "intro",
            "- a",
            "- b\ncontinued",
            "x\ty",
            "code",
            "Bold Head",
            "end",
        ] {
            assert!(all.contains(needle), "{needle} missing from {all:?}");
        }
    }
}
