//! Document text to safe HTML: Markdown rendered by pulldown-cmark, then sanitised by
//! ammonia, so no script, style or event handler from a document ever reaches the page.

use pulldown_cmark::{html, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Renders Markdown (raw HTML in it included) to sanitised HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    // A document's headings sit below the page's own title (its one h1), and never
    // more than one level below the heading before them: PDF conversions jump from
    // "#" to "###", which leaves a screen reader's outline with holes.
    let mut last = 1usize;
    let mut open: Vec<HeadingLevel> = Vec::new();
    let events = Parser::new_ext(markdown, opts).map(|e| match e {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => {
            let shown = (level as usize + 1).min(last + 1).min(6);
            last = shown;
            let shown = HeadingLevel::try_from(shown).unwrap_or(HeadingLevel::H6);
            open.push(shown);
            Event::Start(Tag::Heading {
                level: shown,
                id,
                classes,
                attrs,
            })
        }
        Event::End(TagEnd::Heading(level)) => {
            Event::End(TagEnd::Heading(open.pop().unwrap_or(level)))
        }
        e => e,
    });
    html::push_html(&mut out, events);
    let clean = ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&out)
        .to_string();
    // A code block wider than the column scrolls; the keyboard must reach it too.
    clean.replace("<pre>", "<pre tabindex=\"0\">")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_and_strips_scripts() {
        let html = to_safe_html(
            "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))",
        );
        assert!(
            html.contains("<h2>Title</h2>"),
            "the page keeps the one h1: {html}"
        );
        // Never more than one level below the heading before: h2, then h3, not h4.
        let levels = to_safe_html("# A\n\n### B\n\n###### C\n\n```\ncode\n```\n");
        assert!(
            levels.contains("<h2>A</h2>")
                && levels.contains("<h3>B</h3>")
                && levels.contains("<h4>C</h4>"),
            "{levels}"
        );
        assert!(levels.contains("<pre tabindex=\"0\">"), "{levels}");
        assert!(html.contains("<table>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
