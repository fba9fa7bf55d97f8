//! Inline markup removal: what is indexed and shown as a chunk's text.
//!
//! Converted manuals carry link stubs (`[Mixed Mode](#)`), HTML tags (`<b>`, `<a href>`),
//! emphasis, backslash escapes and entities. All are dropped or replaced by their text;
//! the original line stays in the chunk's `raw` field for display.

/// Removes inline markup from one line of Markdown or HTML-ish text.
///
/// Keeps tabs (table cells) and leading list bullets; collapses runs of spaces.
pub fn clean_inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    // In a GFM table row `\|` is a pipe of the cell's text, in code spans too.
    let table_row = line.trim_start().starts_with('|');
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '!' if chars.get(i + 1) == Some(&'[') => {
                i += 1; // an image: keep its alt text like a link's text
            }
            '[' => match parse_link(&chars, i) {
                Some((text_end, after)) => {
                    let inner: String = chars[i + 1..text_end].iter().collect();
                    out.push_str(&clean_inline(&inner));
                    i = after;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            '<' => match parse_angle(&chars, i) {
                Some((replacement, after)) => {
                    out.push_str(&replacement);
                    i = after;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            '&' => match parse_entity(&chars, i) {
                Some((ch, after)) => {
                    out.push(ch);
                    i = after;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            '`' => {
                // A code span is literal: `<triple>`, `a*b`, `[x](y)` stay as written.
                let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                match code_span_end(&chars, i + run, run) {
                    Some(close) => {
                        // Spaces inside are kept: a span broken over two lines pairs
                        // the wrong backticks here, and its spaces are the text's.
                        let span = &chars[i + run..close];
                        if table_row {
                            let span: String = span.iter().collect();
                            out.push_str(&span.replace("\\|", "|"));
                        } else {
                            out.extend(span);
                        }
                        i = close + run;
                    }
                    None => i += run,
                }
            }
            '*' => {
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    collapse_spaces(&out)
}

/// Where a code span opened by `run` backticks closes: the start of the next run of
/// exactly `run` backticks at or after `from`.
fn code_span_end(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '`' {
            let n = chars[j..].iter().take_while(|&&c| c == '`').count();
            if n == run {
                return Some(j);
            }
            j += n;
        } else {
            j += 1;
        }
    }
    None
}

/// `[text](target)` starting at `start`: returns (index of `]`, index after `)`).
fn parse_link(chars: &[char], start: usize) -> Option<(usize, usize)> {
    let mut depth = 0;
    let mut j = start;
    let close = loop {
        match chars.get(j)? {
            '\\' => j += 1,
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    break j;
                }
            }
            _ => {}
        }
        j += 1;
    };
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let mut k = close + 2;
    let mut parens = 1;
    while let Some(&c) = chars.get(k) {
        match c {
            '(' => parens += 1,
            ')' => {
                parens -= 1;
                if parens == 0 {
                    return Some((close, k + 1));
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// An HTML tag or an autolink at `start`: its replacement text and the index after it.
fn parse_angle(chars: &[char], start: usize) -> Option<(String, usize)> {
    let end = chars[start..].iter().position(|&c| c == '>')? + start;
    let inner: String = chars[start + 1..end].iter().collect();
    if inner.starts_with("http://") || inner.starts_with("https://") || inner.starts_with("mailto:")
    {
        return Some((inner, end + 1));
    }
    let first = inner.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '/' || first == '!') {
        return None;
    }
    let name: String = inner
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let replacement = match name.as_str() {
        "br" | "p" | "div" | "li" => " ",
        "td" | "th" if !inner.starts_with('/') => "\t",
        _ => "",
    };
    Some((replacement.to_string(), end + 1))
}

fn parse_entity(chars: &[char], start: usize) -> Option<(char, usize)> {
    let end = chars[start..].iter().take(10).position(|&c| c == ';')? + start;
    let name: String = chars[start + 1..end].iter().collect();
    let ch = match name.as_str() {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let code =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    name.strip_prefix('#')?.parse().ok()?
                };
            char::from_u32(code)?
        }
    };
    Some((ch, end + 1))
}

/// Collapses runs of spaces (not tabs or newlines) and trims the ends.
fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_space = false;
    for c in s.chars() {
        if c == ' ' || c == '\u{a0}' {
            if !prev_space {
                out.push(' ');
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::clean_inline;

    #[test]
    fn strips_links_tags_emphasis_and_escapes() {
        assert_eq!(
            clean_inline("- [Hypertext Transfer Protocol \\(HTTPS\\)](#), on page 51"),
            "- Hypertext Transfer Protocol (HTTPS), on page 51"
        );
        assert_eq!(clean_inline("<b>Preface</b>\t<b>xvii</b>"), "Preface\txvii");
        assert_eq!(
            clean_inline("Run the CLI command `utils ctl set-cluster mixed-mode`."),
            "Run the CLI command utils ctl set-cluster mixed-mode."
        );
        assert_eq!(
            clean_inline("- Step 1** From **System > Enterprise Parameters**."),
            "- Step 1 From System > Enterprise Parameters."
        );
        assert_eq!(
            clean_inline("see <http://www.cisco.com>"),
            "see http://www.cisco.com"
        );
        assert_eq!(clean_inline("A &amp; B&nbsp;&#x41;"), "A & B A");
        assert_eq!(
            clean_inline("Step 1\t<a href=\"#\">Mixed Mode</a>\tEnable"),
            "Step 1\tMixed Mode\tEnable"
        );
    }

    #[test]
    fn code_spans_are_literal() {
        // Placeholders in commands were read as HTML tags and dropped.
        assert_eq!(
            clean_inline("Use `-target <triple>` now"),
            "Use -target <triple> now"
        );
        assert_eq!(
            clean_inline("By `<oleg@sai.msu.su>`"),
            "By <oleg@sai.msu.su>"
        );
        assert_eq!(clean_inline("`` a`b `` and `x*y`"), "a`b and x*y");
        // The second line of a span broken over two lines keeps its spaces.
        assert_eq!(
            clean_inline("MAPPING` and `DROP` use"),
            "MAPPING and DROP use"
        );
        assert_eq!(clean_inline("an open ` tick"), "an open tick");
        // In a table row an escaped pipe is a pipe, code spans included (GFM); a
        // regular expression's `\|` elsewhere stays as written.
        assert_eq!(
            clean_inline("| `<<\\| (box,box)` | \\|\\| |"),
            "| <<| (box,box) | || |"
        );
        assert_eq!(clean_inline("grep `a\\|b`"), "grep a\\|b");
    }

    #[test]
    fn leaves_plain_text_alone() {
        for s in [
            "utils ctl update CTLFile",
            "12.5(1)SU1",
            "a < b and c > d",
            "CTL_file [draft]",
        ] {
            assert_eq!(clean_inline(s), s);
        }
    }
}
