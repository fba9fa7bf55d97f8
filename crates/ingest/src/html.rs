//! HTML: the main content of a page as Markdown, which the Markdown parser then cuts into
//! blocks, so HTML and Markdown documents get the same headings, tables and code.
//!
//! The page is parsed with `scraper`; navigation, sidebars, headers, footers and scripts
//! are dropped (by element, ARIA role, and the class names of common documentation
//! generators); every `<pre>` becomes a fenced code block of its text; `htmd` writes the
//! Markdown. Links are kept as written: the web UI resolves relative links against the
//! document's place in the library.

use scraper::{ElementRef, Html, Node, Selector};

/// Elements that are never content. (`<aside>` is: admonitions, tips and sidebars
/// are written with it; one that is a block of links is dropped by [`is_link_block`].)
const DROP_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "header", "footer", "form", "button",
    "iframe", "object", "embed", "svg", "canvas", "head", "select", "input",
];
/// ARIA roles of page furniture.
const DROP_ROLES: &[&str] = &["navigation", "banner", "contentinfo", "search"];
/// Class names documentation generators give their navigation: DocBook (`navheader`,
/// `navfooter`), Sphinx (`sphinxsidebar`, `related`, `headerlink`), Javadoc, MkDocs,
/// Docusaurus, breadcrumbs. Never a generic name like `sidebar`: DocBook's
/// `div.sidebar` is a TIP/NOTE box, content.
const DROP_CLASSES: &[&str] = &[
    "navheader",
    "navfooter",
    // Publican / DocBook (`ul.docnav`: Prev, Up, Home, Next), LaTeX2HTML
    // (`div.navigation`: the Next / Up / Previous / Index panel).
    "docnav",
    "navigation",
    "sphinxsidebar",
    "related",
    "headerlink",
    "breadcrumb",
    "breadcrumbs",
    "md-sidebar",
    "md-header",
    "md-footer",
    "theme-doc-sidebar-container",
    "pagination-nav",
    "skip-link",
    "topNav",
    "bottomNav",
    "subNav",
];
/// Element ids of page furniture: Publican's "Download the ebook" banner.
const DROP_IDS: &[&str] = &["banner"];
/// Link texts of page-to-page navigation; two or more such links side by side
/// (LinuxDoc's "Next Previous Contents") are navigation, not text.
const NAV_WORDS: &[&str] = &[
    "next",
    "previous",
    "prev",
    "up",
    "home",
    "contents",
    "index",
    "top",
    "back",
    "table of contents",
];
/// Elements written without a closing tag.
const VOID_TAGS: &[&str] = &["br", "hr", "img", "wbr", "col", "area", "source"];
/// Attributes the Markdown writer uses; the rest are dropped.
const KEEP_ATTRS: &[&str] = &["href", "id", "colspan", "rowspan", "alt", "title", "start"];
/// Nesting followed at most; deeper content is written as text.
const MAX_DEPTH: usize = 200;
/// Deepest element nesting a page may have. The HTML parser's time grows with the
/// square of the depth (10k/20k/40k/80k levels: 0.4/1.2/4.7/23.5 s), so a page past
/// this is refused before parsing; real manuals stay below 100.
pub const MAX_NESTING: usize = 2_000;
/// Elements that close themselves when a sibling starts (`<p>`, `<li>` written without
/// an end tag), so they do not deepen the nesting.
const SELF_CLOSING_SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody", "tfoot", "colgroup", "rt",
    "rp", "optgroup",
];

/// The deepest element nesting of a page, counted from its tags without parsing it;
/// stops counting past `limit`.
pub fn nesting_depth(html: &str, limit: usize) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        i += off + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = i + usize::from(closing);
        let name_len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            continue;
        }
        let name = html[start..start + name_len].to_ascii_lowercase();
        if VOID_TAGS.contains(&name.as_str()) || SELF_CLOSING_SIBLINGS.contains(&name.as_str()) {
            continue;
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(bytes.len(), |p| start + p);
        if closing {
            depth = depth.saturating_sub(1);
        } else if bytes.get(end.wrapping_sub(1)) != Some(&b'/') {
            depth += 1;
            max = max.max(depth);
            if max > limit {
                return max;
            }
        }
        i = end.min(bytes.len());
    }
    max
}

/// A page converted to Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlText {
    /// The page's `<title>`, when it has one.
    pub title: Option<String>,
    /// The main content as Markdown.
    pub markdown: String,
}

/// Converts an HTML page's main content to Markdown.
pub fn html_to_markdown(html: &str) -> HtmlText {
    document_to_markdown(&Html::parse_document(html))
}

/// [`html_to_markdown`] of a page already parsed (indexing parses each page once for
/// this and for its fidelity reference).
pub fn document_to_markdown(doc: &Html) -> HtmlText {
    let title = Selector::parse("title")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .map(|t| {
            t.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|t| !t.is_empty());
    // Prefer the page's declared main content when it is one element (a page of
    // several articles, a blog list or a cheat sheet, is read whole); else the body.
    let root = ["main", "[role=main]", "article"]
        .iter()
        .filter_map(|s| Selector::parse(s).ok())
        .find_map(|s| {
            let mut found = doc.select(&s);
            found.next().filter(|_| found.next().is_none())
        })
        .or_else(|| {
            Selector::parse("body")
                .ok()
                .and_then(|s| doc.select(&s).next())
        })
        .unwrap_or_else(|| doc.root_element());
    let mut clean = String::new();
    write_children(root, 0, &mut clean);
    let converter = htmd::HtmlToMarkdown::builder()
        .options(htmd::options::Options {
            bullet_list_marker: htmd::options::BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            ..Default::default()
        })
        .build();
    // htmd's own parser reads what was written above; it cannot fail on a string.
    let markdown = converter.convert(&clean).unwrap_or_default();
    HtmlText {
        title,
        markdown: tidy(&markdown),
    }
}

/// Whether an element is never content: hidden, a script or style, or page furniture
/// known by its markup.
pub(crate) fn is_dropped(el: &scraper::node::Element) -> bool {
    let name = el.name();
    DROP_TAGS.contains(&name)
        || el.attr("role").is_some_and(|r| DROP_ROLES.contains(&r))
        || el.attr("aria-hidden") == Some("true")
        || el.attr("hidden").is_some()
        || el.classes().any(|c| DROP_CLASSES.contains(&c))
        || el.attr("id").is_some_and(|id| DROP_IDS.contains(&id))
}

/// Link types (`rel`) of the links between the pages of one sequence, as HTML defines
/// them; texinfo, DocBook and other generators write them on their navigation bars.
const SEQUENCE_RELS: &[&str] = &[
    "next", "prev", "previous", "up", "start", "first", "last", "contents", "index", "home", "top",
];

/// Whether an element is never content: [`is_dropped`], or a bar of links to the next,
/// previous and parent pages known by HTML's own link types — two links or more with a
/// sequence `rel`, and besides them nothing but labels ("Next:", "Up:", brackets), as
/// texinfo writes `Next: Invoking patch, Previous: Invoking diff, Up: Top [Contents]`.
pub(crate) fn is_furniture(el: ElementRef) -> bool {
    is_dropped(el.value()) || is_sequence_nav(el) || is_permalink_mark(el)
}

/// Whether an element is a permalink mark: a link to a place on the page whose whole
/// text is `¶`, `#` or `§` (Sphinx and DocBook put one after headings and options).
fn is_permalink_mark(el: ElementRef) -> bool {
    el.value().name() == "a" && el.value().attr("href").is_some_and(|h| h.starts_with('#')) && {
        let text: String = el.text().collect();
        let text = text.trim();
        !text.is_empty() && text.chars().all(|c| matches!(c, '¶' | '#' | '§'))
    }
}

fn is_sequence_nav(el: ElementRef) -> bool {
    if !matches!(
        el.value().name(),
        "p" | "div" | "td" | "tr" | "table" | "tbody" | "span" | "ul" | "li" | "center"
    ) {
        return false;
    }
    // A navigation bar is small: an element with more nodes than this is not one (and
    // the look stays cheap on any page).
    const MAX_NODES: usize = 200;
    let label = |w: &str| {
        let w = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        w.is_empty() || NAV_WORDS.contains(&w.as_str())
    };
    let (mut links, mut seen) = (0, 0);
    let mut stack: Vec<ElementRef> = vec![el];
    while let Some(el) = stack.pop() {
        for child in el.children() {
            seen += 1;
            if seen > MAX_NODES {
                return false;
            }
            match child.value() {
                Node::Text(t) if !t.split_whitespace().all(label) => return false,
                Node::Element(_) => match ElementRef::wrap(child) {
                    Some(c) if is_sequence_link(c) => links += 1,
                    Some(c) => stack.push(c),
                    None => {}
                },
                _ => {}
            }
        }
    }
    links >= 2
}

/// Whether an element is a link to another page of the sequence (`rel="next"`…).
fn is_sequence_link(el: ElementRef) -> bool {
    el.value().name() == "a"
        && el.value().attr("rel").is_some_and(|r| {
            r.split_whitespace()
                .any(|r| SEQUENCE_RELS.contains(&r.to_ascii_lowercase().as_str()))
        })
}

/// Whether an element is a link whose whole text is a navigation word.
fn is_nav_link(el: Option<ElementRef>) -> bool {
    let Some(el) = el else {
        return false;
    };
    el.value().name() == "a"
        && el.value().attr("href").is_some()
        && NAV_WORDS.contains(
            &el.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
                .as_str(),
        )
}

/// Positions of the children that belong to runs of two or more navigation links
/// with only blanks between them.
fn nav_runs(el: ElementRef) -> Vec<bool> {
    let mut out = vec![false; el.children().count()];
    let mut run: Vec<usize> = Vec::new();
    let mut flush = |run: &mut Vec<usize>| {
        if run.len() >= 2 {
            run.iter().for_each(|&i| out[i] = true);
        }
        run.clear();
    };
    for (i, child) in el.children().enumerate() {
        match child.value() {
            Node::Text(t) if t.trim().is_empty() => {}
            _ if is_nav_link(ElementRef::wrap(child)) => run.push(i),
            _ => flush(&mut run),
        }
    }
    flush(&mut run);
    out
}

/// Whether an `<aside>` (or a `role=complementary` box) is a block of links — a
/// sidebar menu — rather than a note: three links or more holding most of its text.
fn is_link_block(el: ElementRef) -> bool {
    let e = el.value();
    if e.name() != "aside" && e.attr("role") != Some("complementary") {
        return false;
    }
    let Ok(links) = Selector::parse("a") else {
        return false;
    };
    let text: usize = el.text().map(|t| t.trim().len()).sum();
    let (count, linked) = el.select(&links).fold((0usize, 0usize), |(n, len), a| {
        (n + 1, len + a.text().map(|t| t.trim().len()).sum::<usize>())
    });
    count >= 3 && linked * 10 >= text * 7
}

/// A table without header cells: its first row becomes the header, so the Markdown
/// writer keeps every row as a row (it writes headerless tables one cell per line).
fn headerless(table: ElementRef) -> bool {
    own_rows(table).all(|row| {
        row.children()
            .filter_map(ElementRef::wrap)
            .all(|c| c.value().name() != "th")
    })
}

/// A table's own rows: its `tr` children and those of its `thead`/`tbody`/`tfoot`, not
/// the rows of tables nested in its cells (each cell is written, nested table and all,
/// once).
fn own_rows(table: ElementRef) -> impl Iterator<Item = ElementRef> {
    table
        .children()
        .filter_map(ElementRef::wrap)
        .flat_map(|c| match c.value().name() {
            "tr" => vec![c],
            "thead" | "tbody" | "tfoot" => c
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|r| r.value().name() == "tr")
                .collect(),
            _ => Vec::new(),
        })
}

fn write_children(el: ElementRef, depth: usize, out: &mut String) {
    write_children_as(el, depth, false, out);
}

/// Writes an element's children; with `terms_as_headings` (a reference list's), its
/// definition terms as headings ([`write_term_heading`]).
fn write_children_as(el: ElementRef, depth: usize, terms_as_headings: bool, out: &mut String) {
    let nav = nav_runs(el);
    for (i, child) in el.children().enumerate() {
        if nav[i] {
            continue;
        }
        match child.value() {
            Node::Text(t) => escape(t, out),
            Node::Element(e) => {
                let Some(child) = ElementRef::wrap(child) else {
                    continue;
                };
                if is_furniture(child) || is_link_block(child) {
                    continue;
                }
                if depth > MAX_DEPTH {
                    escape(&child.text().collect::<String>(), out);
                    continue;
                }
                if terms_as_headings && e.name() == "dt" {
                    write_term_heading(child, depth, out);
                    continue;
                }
                write_element(child, e, depth, out);
            }
            _ => {}
        }
    }
}

fn write_element(el: ElementRef, e: &scraper::node::Element, depth: usize, out: &mut String) {
    let name = e.name();
    if name == "pre" {
        // Any preformatted block, with or without an inner <code> (DocBook writes
        // <pre class="programlisting">), becomes a fenced block of its plain text.
        out.push_str("<pre><code>");
        escape(&el.text().collect::<String>(), out);
        out.push_str("</code></pre>");
        return;
    }
    if name == "code" {
        // Inline code is written as its plain text on one line: markup inside it
        // (DocBook nests <code class="function"> in <code class="literal">, with <em>
        // for arguments) made nested backticks that opened a code fence and lost the
        // line, and a span over two lines lost the spaces around it.
        let text = el.text().collect::<String>();
        out.push_str("<code>");
        escape(&text.split_whitespace().collect::<Vec<_>>().join(" "), out);
        out.push_str("</code>");
        return;
    }
    if name == "table" && is_texinfo_index(el) {
        write_index_table(el, depth, out);
        return;
    }
    if name == "table" && headerless(el) {
        write_headerless_table(el, depth, out);
        return;
    }
    if matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") && is_admonition_title(el) {
        // A NOTE or WARNING box's title is the box's label, not a section: as a
        // heading it would hold everything after the box until the next heading.
        out.push_str("<p><strong>");
        write_children(el, depth + 1, out);
        out.push_str("</strong></p>");
        return;
    }
    if name == "dl" && is_reference_list(el) {
        // Each term of a reference list heads a section of its own, as an anchored
        // term does.
        out.push_str("<dl>");
        write_children_as(el, depth + 1, true, out);
        out.push_str("</dl>");
        return;
    }
    if name == "dt" && is_anchored_term(el) {
        write_term_heading(el, depth, out);
        return;
    }
    out.push('<');
    out.push_str(name);
    for (k, v) in e.attrs() {
        if KEEP_ATTRS.contains(&k) {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape(v, out);
            out.push('"');
        }
    }
    out.push('>');
    if VOID_TAGS.contains(&name) {
        return;
    }
    write_children(el, depth + 1, out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Writes a definition term as the deepest heading: an option, setting or glossary
/// term that is a section of its own, so that its passage is cited by its name.
fn write_term_heading(dt: ElementRef, depth: usize, out: &mut String) {
    out.push_str("<h6>");
    write_children(dt, depth + 1, out);
    out.push_str("</h6>");
}

/// Classes of DocBook's admonition boxes, whose title is a heading element.
const ADMONITIONS: &[&str] = &["note", "warning", "tip", "caution", "important"];

/// Whether a heading is the title of a DocBook admonition box (`<div class="note">
/// <h3 class="title">Note</h3>`).
fn is_admonition_title(heading: ElementRef) -> bool {
    heading
        .parent()
        .and_then(ElementRef::wrap)
        .filter(|p| p.value().name() == "div")
        .and_then(|p| p.value().attr("class"))
        .is_some_and(|class| class.split_whitespace().any(|c| ADMONITIONS.contains(&c)))
}

/// Entries a definition list needs to be a reference list ([`is_reference_list`]).
const REFERENCE_ENTRIES: usize = 4;
/// The longest term of a reference list, in characters: names, not sentences.
const REFERENCE_TERM_CHARS: usize = 120;
/// The median description of a reference list, in characters: paragraphs, not labels.
const REFERENCE_DESCRIPTION_CHARS: usize = 200;

/// Whether a definition list is a reference whose entries are sections of their own,
/// written without permalinks: clang-format's style options before clang 16,
/// PostgreSQL's settings, glossaries. At least [`REFERENCE_ENTRIES`] terms (or fewer,
/// when every term is a link target of its own: PostgreSQL's two settings of a
/// section, `<dt id="GUC-SYNCHRONOUS-STANDBY-NAMES">`), each a name
/// (letters, at most [`REFERENCE_TERM_CHARS`] characters), with descriptions of
/// [`REFERENCE_DESCRIPTION_CHARS`] characters or more (the median), at the top of its
/// section rather than inside another list or a table. Footnotes, citations, field
/// lists ("Parameters", "Returns") and contents (terms that are each one link) are lists.
fn is_reference_list(dl: ElementRef) -> bool {
    let class = dl.value().attr("class").unwrap_or("");
    if ["footnote", "citation", "field-list", "toc"]
        .iter()
        .any(|c| class.contains(c))
    {
        return false;
    }
    let nested = dl
        .ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| matches!(a.value().name(), "dd" | "li" | "table"));
    if nested {
        return false;
    }
    let (mut terms, mut anchored) = (0, 0);
    let mut descriptions = Vec::new();
    for child in dl.children().filter_map(ElementRef::wrap) {
        let chars = || {
            child
                .text()
                .map(|t| t.trim().chars().count())
                .sum::<usize>()
        };
        match child.value().name() {
            "dt" => {
                let name: String = child.text().collect();
                let name = name.trim();
                // A term that is one link and nothing else is a contents entry.
                let linked = child
                    .descendants()
                    .filter_map(ElementRef::wrap)
                    .filter(|a| a.value().name() == "a" && a.value().attr("href").is_some())
                    .any(|a| a.text().collect::<String>().trim() == name);
                if linked
                    || name.chars().count() > REFERENCE_TERM_CHARS
                    || !name.chars().any(char::is_alphabetic)
                {
                    return false;
                }
                terms += 1;
                anchored += usize::from(child.value().attr("id").is_some());
            }
            "dd" => descriptions.push(chars()),
            _ => {}
        }
    }
    descriptions.sort_unstable();
    (terms >= REFERENCE_ENTRIES || (terms > 0 && anchored == terms))
        && descriptions
            .get(descriptions.len() / 2)
            .is_some_and(|&m| m >= REFERENCE_DESCRIPTION_CHARS)
}

/// Whether a definition term is an entry documentation generators give a permalink:
/// it (or its list, for the list's first term) has an id, and it links to that id
/// (Sphinx `.. option::` and style options, glossaries, DocBook variable lists).
fn is_anchored_term(dt: ElementRef) -> bool {
    let list_id = || {
        let parent = dt.parent().and_then(ElementRef::wrap)?;
        let first = parent
            .children()
            .filter_map(ElementRef::wrap)
            .find(|c| c.value().name() == "dt")?;
        (first.id() == dt.id()).then(|| parent.value().attr("id"))?
    };
    let Some(id) = dt.value().attr("id").or_else(list_id) else {
        return false;
    };
    let target = format!("#{id}");
    dt.descendants()
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "a" && a.value().attr("href") == Some(target.as_str()))
}

/// Whether a table is a Texinfo index: `<table class="index-cp">` (Texinfo 6: `index-`
/// and the index's two-letter name, `cp`, `fn`, `vr`…), `cp-entries-printindex`
/// (Texinfo 7).
fn is_texinfo_index(table: ElementRef) -> bool {
    let two_letters = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase());
    table.value().classes().any(|c| {
        c.strip_prefix("index-").is_some_and(two_letters)
            || c.strip_suffix("-entries-printindex")
                .is_some_and(two_letters)
    })
}

/// Writes a Texinfo index as the lines of an index, term and section
/// (`[tab stop alignment](…): [Tabs](…)`), which read as one
/// ([`crate::contents::is_index_entry`]) where table rows would not; a letter's row is
/// its letter, and the separator rows between letters hold no text to write.
fn write_index_table(table: ElementRef, depth: usize, out: &mut String) {
    for row in own_rows(table) {
        let cells: Vec<ElementRef> = row
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .filter(|c| c.text().any(|t| !t.trim().is_empty()))
            .collect();
        if cells.is_empty() {
            continue;
        }
        out.push_str("<p>");
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            write_children(cell, depth + 2, out);
        }
        out.push_str("</p>");
    }
}

/// Writes a headerless table with its first row's cells as header cells.
fn write_headerless_table(table: ElementRef, depth: usize, out: &mut String) {
    out.push_str("<table>");
    for (i, row) in own_rows(table).enumerate() {
        out.push_str("<tr>");
        for cell in row.children().filter_map(ElementRef::wrap) {
            let tag = if i == 0 { "th" } else { "td" };
            if !matches!(cell.value().name(), "td" | "th") {
                continue;
            }
            out.push('<');
            out.push_str(tag);
            out.push('>');
            write_children(cell, depth + 2, out);
            out.push_str("</");
            out.push_str(tag);
            out.push('>');
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// Trailing spaces removed, runs of blank lines collapsed to one.
fn tidy(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut blank = 0;
    for line in md.lines() {
        let line = line.trim_end();
        // htmd writes a pipe inside a table cell as `&#124;`, which a code span keeps
        // as written (PostgreSQL's `<<|` operator read `<<&#124;`): GFM's escape
        // `\|` is a pipe in a table row, code spans included.
        let escaped;
        let line = if line.starts_with('|') && line.contains("&#124;") {
            escaped = line.replace("&#124;", "\\|");
            escaped.as_str()
        } else {
            line
        };
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    let body = out.trim_matches('\n');
    if body.is_empty() {
        String::new()
    } else {
        format!("{body}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The headings of a page's Markdown, in order.
    fn headings_of(md: &str) -> Vec<String> {
        crate::markdown::parse_text(md, crate::markdown::Dialect::Markdown)
            .into_iter()
            .filter(|b| b.heading_level().is_some())
            .map(|b| b.text)
            .collect()
    }

    #[test]
    fn terms_with_their_own_permalink_are_headings() {
        let page = r##"<html><body><div role="main"><h1>Style Options</h1>
            <h2>Configurable Format Style Options</h2>
            <dl id="removesemicolon"><dt><strong>RemoveSemicolon</strong> (<code>Boolean</code>)
            <span class="versionbadge">clang-format 16</span>
            <a class="reference internal" href="#removesemicolon"><span>¶</span></a></dt>
            <dd><p>Remove semicolons after the closing brace of a non-empty function.</p></dd></dl>
            <dl class="std option"><dt class="sig sig-object std" id="cmdoption-Werror">
            <span class="sig-name descname">-Werror</span>
            <a class="headerlink" href="#cmdoption-Werror">¶</a></dt>
            <dd><p>Turn warnings into errors.</p></dd></dl>
            <dl class="std option"><dt class="sig sig-object std" id="cmdoption-0">
            <span class="sig-name descname"><span class="pre">-###</span></span>
            <a class="headerlink" href="#cmdoption-0">¶</a></dt>
            <dd><p>Print (but do not run) the commands.</p></dd></dl>
            <dl><dt id="plain">A term</dt><dd><p>Without a permalink: a list item.</p></dd></dl>
            </div></body></html>"##;
        let md = html_to_markdown(page).markdown;
        assert!(
            md.contains("###### **RemoveSemicolon** (`Boolean`) clang-format 16"),
            "{md}"
        );
        assert!(md.contains("###### -Werror"), "{md}");
        assert!(!md.contains("# A term"), "{md}");
        let headings = headings_of(&md);
        assert_eq!(
            headings,
            [
                "Style Options",
                "Configurable Format Style Options",
                "RemoveSemicolon (Boolean) clang-format 16",
                "-Werror",
                "-###"
            ]
        );
    }

    #[test]
    fn terms_of_a_reference_list_are_headings_without_permalinks() {
        let long = "Aligns the operands of consecutive assignments, so that a block of \
                    them reads as a table; the option takes a style with nested flags \
                    for comments, empty lines, compound assignments and padding.";
        let entry = |name: &str| {
            format!(
                "<dt><strong>{name}</strong> (<code>Boolean</code>) \
                 <span class=\"versionbadge\">clang-format 11</span></dt><dd><p>{long}</p>\
                 <pre>int a = 1;</pre></dd>"
            )
        };
        let options: String = [
            "AlignArrayOfStructures",
            "AlignAfterOpenBracket",
            "AlignConsecutiveMacros",
            "AlignConsecutiveBitFields",
        ]
        .iter()
        .map(|n| entry(n))
        .collect();
        let page = format!(
            r##"<html><body><div role="main"><h1>Style Options</h1>
            <h2>Configurable Format Style Options</h2><dl>{options}</dl>
            <h2>Glossary in brief</h2>
            <dl><dt>ACL</dt><dd>Access list.</dd><dt>CTL</dt><dd>Trust list.</dd>
            <dt>ITL</dt><dd>Initial trust list.</dd><dt>LSC</dt><dd>A certificate.</dd></dl>
            <h2>Notes</h2>
            <dl class="footnote brackets"><dt>1</dt><dd><p>{long}</p></dd><dt>2</dt><dd><p>{long}</p></dd>
            <dt>3</dt><dd><p>{long}</p></dd><dt>4</dt><dd><p>{long}</p></dd></dl>
            <ul><li><dl>{options}</dl></li></ul>
            <dl><dt><a href="a.html">Chapter A</a></dt><dd><p>{long}</p></dd><dt><a href="b.html">Chapter B</a></dt>
            <dd><p>{long}</p></dd><dt><a href="c.html">Chapter C</a></dt><dd><p>{long}</p></dd>
            <dt><a href="d.html">Chapter D</a></dt><dd><p>{long}</p></dd></dl>
            </div></body></html>"##
        );
        let md = html_to_markdown(&page).markdown;
        let headings = headings_of(&md);
        assert_eq!(
            headings,
            [
                "Style Options",
                "Configurable Format Style Options",
                "AlignArrayOfStructures (Boolean) clang-format 11",
                "AlignAfterOpenBracket (Boolean) clang-format 11",
                "AlignConsecutiveMacros (Boolean) clang-format 11",
                "AlignConsecutiveBitFields (Boolean) clang-format 11",
                "Glossary in brief",
                "Notes",
            ],
            "short descriptions, footnotes, a list inside a list item and contents stay lists: {md}"
        );
        assert_eq!(md.matches(long).count(), 16, "every description kept: {md}");
        assert!(md.contains("int a = 1;"), "{md}");
        // Two settings, each a link target of its own, are sections too; two terms
        // without ids are a list.
        let settings = format!(
            r##"<body><h2>Primary Server</h2><dl class="variablelist">
            <dt id="GUC-SYNCHRONOUS-STANDBY-NAMES"><span class="term"><code class="varname">synchronous_standby_names</code> (<code class="type">string</code>)</span></dt><dd><p>{long} {long}</p></dd>
            <dt id="GUC-VACUUM-DEFER-CLEANUP-AGE"><span class="term"><code class="varname">vacuum_defer_cleanup_age</code> (<code class="type">integer</code>)</span></dt><dd><p>{long} {long}</p></dd>
            </dl><h2>Two terms</h2><dl><dt>First</dt><dd><p>{long} {long}</p></dd><dt>Second</dt><dd><p>{long} {long}</p></dd></dl></body>"##
        );
        assert_eq!(
            headings_of(&html_to_markdown(&settings).markdown),
            [
                "Primary Server",
                "synchronous_standby_names (string)",
                "vacuum_defer_cleanup_age (integer)",
                "Two terms"
            ]
        );
    }

    #[test]
    fn an_admonition_title_is_its_label_not_a_section() {
        let page = r#"<html><body><div class="refsect1"><h2>Options</h2>
            <p>Options come first.</p>
            <div class="note"><h3 class="title">Note</h3><p>Large objects are dumped too.</p></div>
            <p>The options after the note belong to Options.</p>
            <h3>Examples</h3><p>pg_dump mydb</p></div></body></html>"#;
        let md = html_to_markdown(page).markdown;
        let headings = headings_of(&md);
        assert_eq!(headings, ["Options", "Examples"], "{md}");
        assert!(md.contains("**Note**"), "{md}");
        assert!(md.contains("Large objects are dumped too."), "{md}");
    }

    #[test]
    fn keeps_content_drops_furniture() {
        let page = r#"<!DOCTYPE html><html><head><title>11.8. Partial Indexes</title>
            <script>alert(1)</script></head><body id="docContent">
            <div class="navheader"><table><tr><td><a href="indexes-expressional.html">Prev</a></td></tr></table></div>
            <div class="sect1"><h2 class="title"><a id="INDEXES-PARTIAL"></a>11.8. Partial Indexes</h2>
            <p>A <em>partial index</em> is built over a subset of a table; see
            <a href="sql-createindex.html" title="CREATE INDEX">CREATE INDEX</a>.</p>
            <pre class="programlisting">CREATE INDEX orders_unbilled_index ON orders (order_nr)
    WHERE billed is not true;</pre>
            <table><tr><th>Name</th><th>Type</th></tr><tr><td>billed</td><td>boolean</td></tr></table>
            </div>
            <div class="navfooter"><a href="indexes-opclass.html">Next</a></div>
            <nav>Site menu</nav></body></html>"#;
        let out = html_to_markdown(page);
        assert_eq!(out.title.as_deref(), Some("11.8. Partial Indexes"));
        let md = out.markdown;
        assert!(md.contains("## 11.8. Partial Indexes"), "{md}");
        assert!(md.contains("*partial index*"), "{md}");
        assert!(md.contains("[CREATE INDEX](sql-createindex.html"), "{md}");
        assert!(
            md.contains("```\nCREATE INDEX orders_unbilled_index ON orders (order_nr)\n    WHERE billed is not true;\n```"),
            "{md}"
        );
        assert!(md.contains("| billed | boolean |"), "{md}");
        for gone in ["Prev", "Next", "Site menu", "alert"] {
            assert!(!md.contains(gone), "{gone} left in: {md}");
        }
    }

    #[test]
    fn notes_and_sidebars_are_content_link_menus_are_not() {
        let page = r#"<html><head><title>Handbook</title></head><body>
            <h1>Packages</h1><p>Save the selection first.</p>
            <div class="sidebar"><div class="sidebar-title">TIP Saving the package list</div>
            <p>Run <code>dpkg --get-selections</code> and keep the output.</p></div>
            <aside class="admonition note"><p>Set <code>Acquire::PDiffs=false</code> on slow disks.</p></aside>
            <aside class="menu"><a href="a.html">One</a> <a href="b.html">Two</a> <a href="c.html">Three</a></aside>
            </body></html>"#;
        let md = html_to_markdown(page).markdown;
        for kept in [
            "TIP Saving the package list",
            "dpkg --get-selections",
            "Acquire::PDiffs=false",
        ] {
            assert!(md.contains(kept), "{kept} lost: {md}");
        }
        assert!(!md.contains("Three"), "a menu of links is navigation: {md}");
    }

    #[test]
    fn generator_navigation_is_dropped_and_text_kept() {
        // LaTeX2HTML: the navigation panel; Publican: the banner and docnav lists;
        // LinuxDoc: bare Next / Previous / Contents links.
        let latex2html = r#"<BODY><DIV CLASS="navigation"><!--Navigation Panel-->
            <A HREF="node161.html"><IMG ALT="next" SRC="next.png"></A>
            <BR><B> Next:</B> <A HREF="node161.html">Exit</A> <B> Up:</B> <A HREF="node150.html">Commands</A>
            </DIV><!--End of Navigation Panel-->
            <H1>Evaluate</H1>The <B>evaluate</B> command executes the commands given as a string.</BODY>"#;
        let md = html_to_markdown(latex2html).markdown;
        assert!(md.contains("command executes the commands"), "{md}");
        assert!(!md.contains("Next:") && !md.contains("Up:"), "{md}");
        let publican = r##"<body><div id="banner"><a href="http://x/get/"><span>Download the ebook</span></a></div>
            <ul class="docnav top"><li class="previous"><a href="apt.html"><strong>Prev</strong></a></li>
            <li class="next"><a href="n.html"><strong>Next</strong></a></li></ul>
            <div class="section"><h2>6.2. apt-get</h2><div class="para">Use apt-get to install.</div></div>
            <ul class="docnav"><li class="up"><a href="#"><strong>Up</strong></a></li></ul></body>"##;
        let md = html_to_markdown(publican).markdown;
        assert!(md.contains("Use apt-get to install."), "{md}");
        for gone in ["Download the ebook", "Prev", "Up**"] {
            assert!(!md.contains(gone), "{gone}: {md}");
        }
        let linuxdoc = r##"<BODY><A HREF="x-2.html">Next</A> <A HREF="x-1.html">Previous</A> <A HREF="x.html#toc1">Contents</A><HR>
            <H2>1. Introduction</H2><P>See the <A HREF="x-9.html">Index</A> for terms.</P></BODY>"##;
        let md = html_to_markdown(linuxdoc).markdown;
        assert!(!md.contains("Previous") && !md.contains("Contents"), "{md}");
        assert!(
            md.contains("See the [Index](x-9.html) for terms."),
            "a link in a sentence stays: {md}"
        );
        // Texinfo: a bar of rel=next/prev/up links with labels, no class to know it by.
        let texinfo = r##"<body><div class="chapter"><div class="header"><p>
            Next: <a href="Invoking-patch.html" accesskey="n" rel="next">Invoking <code>patch</code></a>,
            Previous: <a href="Invoking-diff.html" rel="prev">Invoking <code>diff</code></a>,
            Up: <a href="index.html" rel="up">Comparing and Merging Files</a> &nbsp;
            [<a href="index.html#SEC_Contents" rel="contents">Contents</a>][<a href="Index.html" rel="index">Index</a>]</p>
            </div><h2>14 Invoking diff3</h2><p>The <code>diff3</code> command compares three files;
            see <a href="Next-Steps.html" rel="next">the next steps</a> and <a href="Top.html" rel="up">the top</a>.</p></div></body>"##;
        let md = html_to_markdown(texinfo).markdown;
        assert!(!md.contains("Previous") && !md.contains("Merging"), "{md}");
        assert!(
            md.contains("command compares three files") && md.contains("[the next steps]"),
            "sequence links inside a sentence stay: {md}"
        );
        let reference = crate::fidelity::html_reference(texinfo);
        assert!(
            !reference.contains("Previous"),
            "known by markup: {reference}"
        );
    }

    #[test]
    fn a_texinfo_index_is_written_as_index_lines() {
        let page = r##"<body><div class="appendix"><h2 class="appendix">Appendix C Index</h2>
            <table class="index-cp" border="0"><tr><td></td><th align="left">Index Entry</th><td>&nbsp;</td><th align="left"> Section</th></tr>
            <tr><td colspan="4"> <hr></td></tr>
            <tr><th id="Index_cp_letter-T">T</th><td></td><td></td></tr>
            <tr><td></td><td valign="top"><a href="Adjusting-Output.html#index-tab-stop-alignment">tab stop alignment</a>:</td><td>&nbsp;</td><td valign="top"><a href="Adjusting-Output.html#Tabs">Tabs</a></td></tr>
            <tr><td></td><td valign="top"><a href="diff3-Merging.html#index-x">System V <code>diff3</code> compatibility</a>:</td><td>&nbsp;</td><td valign="top"><a href="diff3-Merging.html#S">Saving the Changed File</a></td></tr>
            </table></div></body>"##;
        let md = html_to_markdown(page).markdown;
        let lines: Vec<&str> = md.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines,
            [
                "## Appendix C Index",
                "Index Entry Section",
                "T",
                "[tab stop alignment](Adjusting-Output.html#index-tab-stop-alignment): [Tabs](Adjusting-Output.html#Tabs)",
                "[System V `diff3` compatibility](diff3-Merging.html#index-x): [Saving the Changed File](diff3-Merging.html#S)",
            ]
        );
        assert!(lines[3..]
            .iter()
            .all(|l| crate::contents::is_index_entry(l)));
        // Texinfo 7 names it otherwise; a table of another class stays a table.
        let v7 = page.replace("index-cp", "cp-entries-printindex");
        assert_eq!(html_to_markdown(&v7).markdown, md);
        let other = page.replace("index-cp", "index-table");
        let table = html_to_markdown(&other).markdown;
        assert!(table.lines().any(|l| l.starts_with("| ")), "{table}");
    }

    #[test]
    fn nested_tables_are_written_once() {
        let page = "<body><table><tr><td>outer</td><td><table><tr><td>inner</td></tr>\
                    <tr><td>row2</td></tr></table></td></tr></table></body>";
        let md = html_to_markdown(page).markdown;
        assert_eq!(md.matches("inner").count(), 1, "{md}");
        assert_eq!(md.matches("row2").count(), 1, "{md}");
    }

    #[test]
    fn nested_code_is_one_code_span() {
        // PostgreSQL's function lists: the term was written as ``` ``encode_bytea(…)`` ```,
        // read as a code fence, and dropped.
        let md = html_to_markdown(
            r#"<dl><dt><span class="term"><code class="literal"><code class="function">encode_bytea(<em class="replaceable"><code>string</code></em>)</code></code><a id="x" class="indexterm"></a></span></dt><dd><p>Return the bytea.</p></dd></dl>"#,
        )
        .markdown;
        assert_eq!(md, "`encode_bytea(string)`\n\nReturn the bytea.\n");
    }

    #[test]
    fn pipes_in_table_cells_read_as_pipes() {
        let page = "<body><table><thead><tr><th>Name</th><th>Operators</th></tr></thead>\
                    <tbody><tr><td>box_inclusion_ops</td><td><code>&lt;&lt;| (box,box)</code></td></tr>\
                    <tr><td>text_ops</td><td>a || b</td></tr></tbody></table></body>";
        let md = html_to_markdown(page).markdown;
        assert!(!md.contains("&#124;"), "{md}");
        let blocks = crate::markdown::parse_text(&md, crate::markdown::Dialect::Markdown);
        let text: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        let text = text.join("\n");
        assert!(text.contains("<<| (box,box)"), "{text}");
        assert!(text.contains("a || b"), "{text}");
    }

    #[test]
    fn headerless_tables_keep_their_rows() {
        let page = "<body><table><tr><td>AFI</td><td>SAFI</td></tr><tr><td>1</td><td>1</td></tr>\
                    <tr><td>2</td><td>128</td></tr></table></body>";
        let md = html_to_markdown(page).markdown;
        let rows: Vec<String> = md
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        for row in ["| AFI | SAFI |", "| 1 | 1 |", "| 2 | 128 |"] {
            assert!(rows.iter().any(|r| r == row), "{row} missing: {md}");
        }
    }

    #[test]
    fn nesting_is_counted_without_parsing() {
        assert_eq!(nesting_depth("<div><p>a<p>b<br><img src=x/></div>", 100), 1);
        assert_eq!(
            nesting_depth("<ul><li>a<li>b</ul><div><div></div></div>", 100),
            2
        );
        let deep = "<div>".repeat(480_000);
        assert_eq!(
            nesting_depth(&deep, MAX_NESTING),
            MAX_NESTING + 1,
            "stops at the limit"
        );
        assert_eq!(
            nesting_depth("<!-- <div> --> <!DOCTYPE html> a < b", 100),
            1
        );
    }

    #[test]
    fn main_element_wins_and_bad_markup_is_survived() {
        let out = html_to_markdown(
            "<body><div class=sidebar>menu</div><main><h1>Title</h1><p>Body &amp; more<p>Second</main><footer>foot</footer>",
        );
        assert_eq!(out.markdown, "# Title\n\nBody & more\n\nSecond\n");
        // Several articles: every one is content.
        let out = html_to_markdown(
            "<body><article><h2>Tables</h2><p>Rows.</p></article><article><h2>Forms</h2><p>Inputs.</p></article></body>",
        );
        assert!(
            out.markdown.contains("Rows.") && out.markdown.contains("Inputs."),
            "{}",
            out.markdown
        );
        let deep = "<div>".repeat(5000) + "deep text" + &"</div>".repeat(5000);
        assert!(html_to_markdown(&deep).markdown.contains("deep text"));
        assert_eq!(html_to_markdown("").markdown, "");
    }
}
