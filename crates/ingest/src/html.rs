//! HTML: the main content of a page as Markdown, which the Markdown parser then cuts into
//! blocks, so HTML and Markdown documents get the same headings, tables and code.
//!
//! The page is parsed with `scraper`; navigation, sidebars, headers, footers and scripts
//! are dropped (by element, ARIA role, and the class names of common documentation
//! generators); every `<pre>` becomes a fenced code block of its text; `htmd` writes the
//! Markdown. Links are kept as written: the web UI resolves relative links against the
//! document's place in the library.

use scraper::{ElementRef, Html, Node, Selector};

/// Elements that are never content.
const DROP_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "button", "iframe", "object", "embed", "svg", "canvas", "head", "select", "input",
];
/// ARIA roles of page furniture.
const DROP_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "search",
    "complementary",
];
/// Class names documentation generators give their furniture: DocBook (`navheader`,
/// `navfooter`), Sphinx (`sphinxsidebar`, `related`, `headerlink`), Javadoc, MkDocs,
/// Docusaurus and Cisco's own pages (`breadcrumb`, `toc`, `sidebar`).
const DROP_CLASSES: &[&str] = &[
    "navheader",
    "navfooter",
    "sphinxsidebar",
    "related",
    "headerlink",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
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
/// Elements written without a closing tag.
const VOID_TAGS: &[&str] = &["br", "hr", "img", "wbr", "col", "area", "source"];
/// Attributes the Markdown writer uses; the rest are dropped.
const KEEP_ATTRS: &[&str] = &["href", "id", "colspan", "rowspan", "alt", "title", "start"];
/// Nesting followed at most; deeper content is written as text.
const MAX_DEPTH: usize = 200;

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
    let doc = Html::parse_document(html);
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
    // Prefer the page's declared main content; else the whole body.
    let root = ["main", "[role=main]", "article", "body"]
        .iter()
        .filter_map(|s| Selector::parse(s).ok())
        .find_map(|s| doc.select(&s).next())
        .unwrap_or_else(|| doc.root_element());
    let mut clean = String::with_capacity(html.len());
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

fn is_dropped(el: &scraper::node::Element) -> bool {
    let name = el.name();
    DROP_TAGS.contains(&name)
        || el.attr("role").is_some_and(|r| DROP_ROLES.contains(&r))
        || el.attr("aria-hidden") == Some("true")
        || el.attr("hidden").is_some()
        || el.classes().any(|c| DROP_CLASSES.contains(&c))
}

fn write_children(el: ElementRef, depth: usize, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => escape(t, out),
            Node::Element(e) => {
                let Some(child) = ElementRef::wrap(child) else {
                    continue;
                };
                if is_dropped(e) {
                    continue;
                }
                if depth > MAX_DEPTH {
                    escape(&child.text().collect::<String>(), out);
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
    fn main_element_wins_and_bad_markup_is_survived() {
        let out = html_to_markdown(
            "<body><div class=sidebar>menu</div><main><h1>Title</h1><p>Body &amp; more<p>Second</main><footer>foot</footer>",
        );
        assert_eq!(out.markdown, "# Title\n\nBody & more\n\nSecond\n");
        let deep = "<div>".repeat(5000) + "deep text" + &"</div>".repeat(5000);
        assert!(html_to_markdown(&deep).markdown.contains("deep text"));
        assert_eq!(html_to_markdown("").markdown, "");
    }
}
