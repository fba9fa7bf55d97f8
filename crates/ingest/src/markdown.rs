//! Markdown (and plain text) into blocks, with headings and printed pages.
//!
//! Written for Markdown as it comes out of PDF converters: ATX headings, bold-only
//! heading lines, plain heading lines that the document's own table of contents names,
//! HTML and tab-separated tables, fenced code, and lists with lazy continuation lines.
//! Explicit page markers (`<!-- page 147 -->`, form feeds) give pages directly; without
//! them pages are inferred from the document's tables of contents (see [`crate::pages`]).

use crate::blocks::{Block, BlockKind};
use crate::inline::clean_inline;
use crate::pages::{infer_heading_pages, normalize_title, toc_entries, HeadingLine};
use mcdewey_core::PageLabel;
use std::collections::HashSet;

/// Which syntax a text file is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Markdown: ATX headings, fences, HTML, emphasis.
    Markdown,
    /// Plain text: paragraphs and lists only; headings only where the text's own table of
    /// contents names them.
    PlainText,
}

/// Splits a text document into blocks and gives each its page.
pub fn parse_text(text: &str, dialect: Dialect) -> Vec<Block> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let toc = toc_entries(&lines);
    let toc_lines: HashSet<usize> = toc.iter().map(|e| e.line).collect();
    let toc_titles: HashSet<String> = toc.iter().map(|e| normalize_title(&e.title)).collect();
    let explicit_pages = lines
        .iter()
        .any(|l| l.contains('\u{c}') || page_marker(l).is_some());

    let mut parser = Parser {
        lines: &lines,
        dialect,
        toc_lines,
        toc_titles,
        blocks: Vec::new(),
        page: explicit_pages.then(|| PageLabel("1".into())),
        form_feeds: 0,
        strong_level: 0,
    };
    parser.run();
    let mut blocks = parser.blocks;
    if !explicit_pages {
        assign_inferred_pages(&toc, &mut blocks);
    }
    blocks
}

/// `<!-- page 147 -->`, `<!-- Page: xvii -->`: the label of the page that begins here.
fn page_marker(line: &str) -> Option<PageLabel> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let rest = inner.get(..4).filter(|p| p.eq_ignore_ascii_case("page"))?;
    let label = inner[rest.len()..]
        .trim_start_matches([':', ' ', '='])
        .trim();
    (!label.is_empty() && !label.contains(' ')).then(|| PageLabel(label.to_string()))
}

struct Parser<'a> {
    lines: &'a [&'a str],
    dialect: Dialect,
    toc_lines: HashSet<usize>,
    toc_titles: HashSet<String>,
    blocks: Vec<Block>,
    /// The current explicit page, when the document has page markers.
    page: Option<PageLabel>,
    form_feeds: usize,
    /// Level of the innermost real (ATX) heading, for bold-only headings below it.
    strong_level: u8,
}

impl Parser<'_> {
    fn run(&mut self) {
        let mut i = 0;
        while i < self.lines.len() {
            let line = self.lines[i];
            if let Some(label) = page_marker(line) {
                self.page = Some(label);
                i += 1;
                continue;
            }
            if line.contains('\u{c}') {
                self.form_feeds += line.matches('\u{c}').count();
                self.page = Some(PageLabel((self.form_feeds + 1).to_string()));
                if line.replace('\u{c}', "").trim().is_empty() {
                    i += 1;
                    continue;
                }
            }
            if line.trim().is_empty() {
                i += 1;
                continue;
            }
            i = self.block_at(i);
        }
    }

    fn markdown(&self) -> bool {
        self.dialect == Dialect::Markdown
    }

    /// Reads the block starting at line `i`; returns the index after it.
    fn block_at(&mut self, i: usize) -> usize {
        let line = self.lines[i].replace('\u{c}', "");
        let trimmed = line.trim();
        if self.markdown() {
            if let Some(fence) = fence_of(trimmed) {
                let end = (i + 1..self.lines.len())
                    .find(|&j| self.lines[j].trim().starts_with(fence))
                    .unwrap_or(self.lines.len() - 1);
                let body: Vec<&str> = self.lines[i + 1..end.max(i + 1)].to_vec();
                self.push(BlockKind::Code, body.join("\n"), i, end);
                return end + 1;
            }
            if starts_table(trimmed) {
                let end = (i..self.lines.len())
                    .find(|&j| self.lines[j].to_ascii_lowercase().contains("</table>"))
                    .unwrap_or(self.lines.len() - 1);
                let text = html_table_text(&self.lines[i..=end].join("\n"));
                self.push(BlockKind::Table, text, i, end);
                return end + 1;
            }
            if let Some((level, title)) = atx_heading(trimmed) {
                let text = clean_inline(title);
                if !text.is_empty() {
                    self.strong_level = level;
                    self.push(BlockKind::Heading(level), text, i, i);
                }
                return i + 1;
            }
            if is_rule(trimmed) {
                return i + 1;
            }
        }
        if line.contains('\t') {
            let mut end = i;
            let mut j = i + 1;
            while j < self.lines.len() {
                if self.is_boundary(j) {
                    break;
                }
                if self.lines[j].contains('\t') {
                    end = j;
                } else if !self.lines[j].trim().is_empty() {
                    break;
                }
                j += 1;
            }
            let text = self.lines[i..=end]
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| clean_inline(l))
                .collect::<Vec<_>>()
                .join("\n");
            self.push(BlockKind::Table, text, i, end);
            return end + 1;
        }
        if let Some(marker) = list_marker(&line) {
            let end = self.continuation_end(i, true);
            let text = self.joined_text(i, end);
            // An empty item (a bare `- ` line, left by PDF conversion before a
            // procedure's steps) has nothing to read: a lone `-` line in a passage.
            if text != marker {
                self.push(BlockKind::ListItem, text, i, end);
            }
            return end + 1;
        }
        if self.standalone(i) {
            if let Some(level) = self.heading_line_level(trimmed, i) {
                self.push(BlockKind::Heading(level), clean_inline(trimmed), i, i);
                return i + 1;
            }
        }
        let end = self.continuation_end(i, false);
        let text = self.joined_text(i, end);
        self.push(BlockKind::Paragraph, text, i, end);
        end + 1
    }

    /// A line that stands alone between blank lines (or the file's ends).
    fn standalone(&self, i: usize) -> bool {
        let blank = |j: usize| self.lines.get(j).is_none_or(|l| l.trim().is_empty());
        (i == 0 || blank(i - 1)) && blank(i + 1)
    }

    /// The level of a standalone line that is a heading: a bold-only line that is no
    /// admonition or caption, or a line the document's table of contents names.
    fn heading_line_level(&self, trimmed: &str, i: usize) -> Option<u8> {
        if trimmed.chars().count() > 120 || self.toc_lines.contains(&i) {
            return None;
        }
        if self.markdown() && is_bold_only(trimmed) {
            let inner = clean_inline(trimmed);
            let first = inner
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches(':');
            const NOT_HEADINGS: &[&str] = &[
                "Note",
                "Tip",
                "Caution",
                "Warning",
                "Important",
                "Attention",
                "Table",
                "Figure",
                "Example",
                "Step",
            ];
            // Headings are capitalised; a bold lower-case line is a command or a term.
            let lower = inner.chars().next().is_some_and(char::is_lowercase);
            if lower
                || NOT_HEADINGS.iter().any(|w| w.eq_ignore_ascii_case(first))
                || ends_with_page_number(&inner)
            {
                return None;
            }
            return Some((self.strong_level + 1).min(6));
        }
        let norm = normalize_title(trimmed);
        (!norm.is_empty() && self.toc_titles.contains(&norm))
            .then_some((self.strong_level + 1).clamp(2, 6))
    }

    /// Whether line `j` starts a block of its own (so it ends a paragraph).
    fn is_boundary(&self, j: usize) -> bool {
        let line = self.lines[j];
        let t = line.trim();
        if line.contains('\u{c}') || page_marker(line).is_some() {
            return true;
        }
        if self.markdown()
            && (fence_of(t).is_some() || atx_heading(t).is_some() || is_rule(t) || starts_table(t))
        {
            return true;
        }
        list_marker(line).is_some()
    }

    /// The last line of a paragraph or list item starting at `i`: lazy continuation
    /// lines, and for list items also indented paragraphs after a blank line.
    fn continuation_end(&self, i: usize, list_item: bool) -> usize {
        let mut end = i;
        let mut j = i + 1;
        while j < self.lines.len() {
            let line = self.lines[j];
            if line.trim().is_empty() {
                let next = self.lines.get(j + 1);
                let indented = next.is_some_and(|n| n.starts_with("  ") && !n.trim().is_empty());
                if list_item && indented && list_marker(next.unwrap_or(&"")).is_none() {
                    j += 1;
                    continue;
                }
                break;
            }
            if self.is_boundary(j) || (line.contains('\t') && !self.lines[i].contains('\t')) {
                break;
            }
            end = j;
            j += 1;
        }
        end
    }

    fn joined_text(&self, start: usize, end: usize) -> String {
        self.lines[start..=end]
            .iter()
            .map(|l| clean_inline(l))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn push(&mut self, kind: BlockKind, text: String, start: usize, end: usize) {
        let raw = self.lines[start..=end].join("\n");
        self.blocks.push(Block {
            kind,
            text,
            raw,
            line_start: line_number(start),
            line_end: line_number(end),
            page: self.page.clone(),
            page_end: None,
            pdf_page: None,
        });
    }
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn fence_of(trimmed: &str) -> Option<&'static str> {
    if trimmed.starts_with("```") {
        Some("```")
    } else if trimmed.starts_with("~~~") {
        Some("~~~")
    } else {
        None
    }
}

fn starts_table(trimmed: &str) -> bool {
    trimmed
        .get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("<table"))
}

fn atx_heading(trimmed: &str) -> Option<(u8, &str)> {
    let hashes = trimmed.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &trimmed[hashes..];
    if !rest.is_empty() && !rest.starts_with(' ') && !rest.starts_with('\t') {
        return None;
    }
    // A closing run of `#` is one set off by a space (`## Title ##`); one that ends a
    // word belongs to it: `-###`, clang's option, and `C#` are titles as written.
    let content = rest.trim();
    let unclosed = content.trim_end_matches('#');
    let title = if unclosed.is_empty() || unclosed.ends_with([' ', '\t']) {
        unclosed.trim_end()
    } else {
        content
    };
    Some((u8::try_from(hashes).unwrap_or(6), title))
}

fn is_rule(trimmed: &str) -> bool {
    let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && (compact.chars().all(|c| c == '-')
            || compact.chars().all(|c| c == '*')
            || compact.chars().all(|c| c == '_'))
}

/// The bullet or number starting a list item, if the line is one (`- x`, `* x`, `1. x`, a bare `-`).
fn list_marker(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let marker_len = if t.starts_with("- ")
        || t.starts_with("* ")
        || t.starts_with("+ ")
        || t == "-"
        || t == "*"
    {
        1
    } else {
        let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
        let after = t[digits..].chars().next();
        if (1..=3).contains(&digits)
            && matches!(after, Some('.') | Some(')'))
            && t[digits + 1..].starts_with(' ')
        {
            digits + 1
        } else {
            return None;
        }
    };
    Some(&t[..marker_len])
}

fn is_bold_only(trimmed: &str) -> bool {
    let inner = trimmed
        .strip_prefix("**")
        .and_then(|s| s.strip_suffix("**"));
    inner.is_some_and(|s| !s.is_empty() && !s.contains("**"))
}

/// `Phone Security Profile Setup 159`: a table-of-contents row, not a heading.
fn ends_with_page_number(text: &str) -> bool {
    text.rsplit_once(' ')
        .is_some_and(|(_, last)| !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()))
}

/// Text of an HTML table: one line per row, cells separated by tabs.
fn html_table_text(html: &str) -> String {
    let mut rows = Vec::new();
    for row in html.split("<tr").skip(1) {
        let row = row.split_once('>').map_or(row, |(_, rest)| rest);
        let cells: Vec<String> = row
            .split(['\n'])
            .map(clean_inline)
            .collect::<Vec<_>>()
            .join(" ")
            .split('\t')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if !cells.is_empty() {
            rows.push(cells.join("\t"));
        }
    }
    if rows.is_empty() {
        clean_inline(&html.replace('\n', " "))
    } else {
        rows.join("\n")
    }
}

/// Gives blocks the pages inferred from the document's tables of contents.
///
/// A block gets the page of the last heading before it whose page is known; when the
/// next known heading page is later, the block's page is only known as that range and
/// `page_end` says so. Blocks before the first known heading have no page.
fn assign_inferred_pages(toc: &[crate::pages::TocEntry], blocks: &mut [Block]) {
    let heading_idx: Vec<usize> = (0..blocks.len())
        .filter(|&b| blocks[b].heading_level().is_some())
        .collect();
    let headings: Vec<HeadingLine> = heading_idx
        .iter()
        .map(|&b| HeadingLine {
            line: blocks[b].line_start as usize - 1,
            text: blocks[b].text.clone(),
        })
        .collect();
    let pages = infer_heading_pages(toc, &headings);
    let mut known: Vec<Option<PageLabel>> = vec![None; blocks.len()];
    for (k, &b) in heading_idx.iter().enumerate() {
        known[b] = pages[k].clone();
    }
    let mut next_known: Vec<Option<PageLabel>> = vec![None; blocks.len()];
    let mut upcoming = None;
    for b in (0..blocks.len()).rev() {
        next_known[b] = upcoming.clone();
        if known[b].is_some() {
            upcoming = known[b].clone();
        }
    }
    let mut current: Option<PageLabel> = None;
    for (b, block) in blocks.iter_mut().enumerate() {
        if known[b].is_some() {
            current = known[b].clone();
        }
        block.page = current.clone();
        block.page_end = match (&current, &next_known[b]) {
            (Some(c), Some(n)) if known[b].is_none() && c != n => Some(n.clone()),
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(blocks: &[Block]) -> Vec<BlockKind> {
        blocks.iter().map(|b| b.kind).collect()
    }

    #[test]
    fn reads_converted_markdown_structure() {
        let md = "# Security Modes\n\n---\n\n- [Overview](#) , on page 1\n\n## Configure Secure Mode\n\nTo apply security,\nconfigure the mode.\n\n### Procedure\n\n\tCommand or Action\tPurpose\nStep 1\t<a href=\"#\">Mixed Mode</a>\tEnable mixed mode.\n\n\tCommand or Action\tPurpose\nStep 2\tSIP OAuth\tConfigure.\n\n- **utils ctl update CTLFile**  \nUpdates the CTL file.\n\n```\nadmin: utils ctl\n\nmore\n```\n";
        let blocks = parse_text(md, Dialect::Markdown);
        assert_eq!(
            kinds(&blocks),
            [
                BlockKind::Heading(1),
                BlockKind::ListItem,
                BlockKind::Heading(2),
                BlockKind::Paragraph,
                BlockKind::Heading(3),
                BlockKind::Table,
                BlockKind::ListItem,
                BlockKind::Code,
            ]
        );
        assert_eq!(blocks[3].text, "To apply security,\nconfigure the mode.");
        assert_eq!(
            blocks[5].text.lines().count(),
            4,
            "both procedure rows in one table: {:?}",
            blocks[5].text
        );
        assert!(blocks[5]
            .text
            .contains("Step 1\tMixed Mode\tEnable mixed mode."));
        assert_eq!(
            blocks[6].text,
            "- utils ctl update CTLFile\nUpdates the CTL file."
        );
        assert_eq!(blocks[7].text, "admin: utils ctl\n\nmore");
        assert_eq!((blocks[7].line_start, blocks[7].line_end), (23, 27));
    }

    #[test]
    fn empty_list_items_are_left_out() {
        let md = "### Procedure\n\n- \n- Step 1** Regenerate the certificate.  \n  - Step 2** Restart.\n- \n\n-\nLazy text.\n";
        let blocks = parse_text(md, Dialect::Markdown);
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Procedure",
                "- Step 1 Regenerate the certificate.",
                "- Step 2 Restart.",
                "-\nLazy text."
            ]
        );
    }

    #[test]
    fn a_closing_run_of_hashes_is_set_off_by_a_space() {
        let title = |line: &str| atx_heading(line).map(|(_, t)| t.to_string());
        assert_eq!(title("## Options ##"), Some("Options".into()));
        assert_eq!(title("### Options #\t#"), Some("Options #".into()));
        assert_eq!(title("###### -###"), Some("-###".into()));
        assert_eq!(title("## Using C#"), Some("Using C#".into()));
        assert_eq!(title("## ###"), Some("".into()));
        assert_eq!(title("#hashtag"), None);
    }

    #[test]
    fn bold_lines_are_headings_unless_admonitions_or_captions() {
        let md = "## Chapter\n\n**Smart Card Service**\n\nText.\n\n**Note**\n\nA note.\n\n**Table 1: Ports**\n\n**Phone Setup 159**\n\n**utils ctl update CTLFile**\n";
        let blocks = parse_text(md, Dialect::Markdown);
        assert_eq!(blocks[1].kind, BlockKind::Heading(3));
        assert_eq!(blocks[1].text, "Smart Card Service");
        assert!(blocks[3..].iter().all(|b| b.kind == BlockKind::Paragraph));
    }

    #[test]
    fn plain_lines_named_by_the_toc_are_headings() {
        let text = "Cisco CTL Client Setup\n\n- [About Cisco CTL Setup, on page 1](#)\n- [Update CTL File, on page 10](#)\n\nAbout Cisco CTL Setup\n\nDevice authentication relies on the CTL.\n\nUpdate CTL File\n\nRun the command.\n";
        let blocks = parse_text(text, Dialect::Markdown);
        let headings: Vec<(&str, Option<String>)> = blocks
            .iter()
            .filter(|b| b.heading_level().is_some())
            .map(|b| (b.text.as_str(), b.page.as_ref().map(|p| p.0.clone())))
            .collect();
        assert_eq!(
            headings,
            [
                ("About Cisco CTL Setup", Some("1".into())),
                ("Update CTL File", Some("10".into()))
            ]
        );
        let body = blocks
            .iter()
            .find(|b| b.text.starts_with("Device"))
            .unwrap();
        assert_eq!(body.page, Some(PageLabel("1".into())));
        assert_eq!(
            body.page_end,
            Some(PageLabel("10".into())),
            "known only as a range"
        );
        assert_eq!(
            blocks[0].page, None,
            "before any known heading the page is unknown"
        );
    }

    #[test]
    fn explicit_markers_and_form_feeds_give_pages() {
        let md = "<!-- page 146 -->\nFirst page text.\n<!-- page 147 -->\n## Phone Security\n\nOverview text.\n";
        let blocks = parse_text(md, Dialect::Markdown);
        assert_eq!(blocks[0].page, Some(PageLabel("146".into())));
        assert_eq!(blocks[1].page, Some(PageLabel("147".into())));
        assert_eq!(blocks[2].page, Some(PageLabel("147".into())));
        let txt = "Intro text.\n\u{c}Second page.\n\nMore.\n\u{c}\nThird.\n";
        let blocks = parse_text(txt, Dialect::PlainText);
        let pages: Vec<&str> = blocks
            .iter()
            .map(|b| b.page.as_ref().unwrap().0.as_str())
            .collect();
        assert_eq!(pages, ["1", "2", "2", "3"]);
    }

    #[test]
    fn plain_text_ignores_markdown_syntax() {
        let blocks = parse_text("# not a heading\n\n```\ncode\n```\n", Dialect::PlainText);
        assert!(blocks.iter().all(|b| b.kind == BlockKind::Paragraph));
    }

    #[test]
    fn html_tables_become_rows_of_cells() {
        let md = "<table>\n<tr><th>Port</th><th>Use</th></tr>\n<tr><td>2443</td><td>SIP OAuth</td></tr>\n</table>\n";
        let blocks = parse_text(md, Dialect::Markdown);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].kind, BlockKind::Table);
        assert_eq!(blocks[0].text, "Port\tUse\n2443\tSIP OAuth");
    }
}
