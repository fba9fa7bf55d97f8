//! Symbols a question writes as characters, named in words for retrieval.
//!
//! People ask about punctuation by quoting it ("the stray `';'` after a function body",
//! "spaces inside `'<>'`"); manuals name it ("Remove semicolons", "SpacesInAngles").
//! A quoted symbol shares no keyword with its name and little meaning with it for a
//! small embedding model, so the words that name it are added to the query both lists
//! search with. Only quoted symbols count: a bare `-` or `?` in a sentence is prose.

/// Names of the symbols people quote, in the words manuals use for them.
const NAMES: &[(&str, &str)] = &[
    (";", "semicolon"),
    (":", "colon"),
    ("::", "double colon scope"),
    (",", "comma"),
    (".", "period dot"),
    ("...", "ellipsis"),
    ("{", "brace"),
    ("}", "brace"),
    ("{}", "braces"),
    ("(", "parenthesis"),
    (")", "parenthesis"),
    ("()", "parentheses"),
    ("[", "square bracket"),
    ("]", "square bracket"),
    ("[]", "square brackets"),
    ("<", "angle bracket"),
    (">", "angle bracket"),
    ("<>", "angle brackets"),
    ("*", "asterisk star"),
    ("&", "ampersand"),
    ("&&", "double ampersand"),
    ("|", "pipe"),
    ("||", "double pipe"),
    ("~", "tilde"),
    ("#", "hash"),
    ("@", "at sign"),
    ("$", "dollar"),
    ("%", "percent"),
    ("^", "caret"),
    ("=", "equals sign"),
    ("==", "equality"),
    ("\\", "backslash"),
    ("/", "slash"),
    ("//", "comment slashes"),
    ("`", "backtick"),
    ("_", "underscore"),
    ("-", "hyphen dash"),
    ("+", "plus"),
    ("!", "exclamation"),
    ("?", "question mark"),
];

/// The closing quote of an opening one.
fn closing(open: char) -> Option<char> {
    match open {
        '\'' | '"' | '`' => Some(open),
        '‘' => Some('’'),
        '“' => Some('”'),
        _ => None,
    }
}

/// The symbols the query quotes (`';'`, `"{}"`, `` `<>` ``, `‘*’`), in order, distinct.
pub fn quoted_symbols(query: &str) -> Vec<&'static str> {
    let chars: Vec<char> = query.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(close) = closing(chars[i]) else {
            i += 1;
            continue;
        };
        let starts_word = i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(';
        let inner: String = chars[i + 1..]
            .iter()
            .take(4)
            .take_while(|&&c| c != close)
            .collect();
        let end = i + 1 + inner.chars().count();
        let ends_word = chars.get(end) == Some(&close)
            && chars.get(end + 1).is_none_or(|c| !c.is_alphanumeric());
        match NAMES.iter().find(|(s, _)| *s == inner) {
            Some((_, name)) if starts_word && ends_word && !inner.is_empty() => {
                if !found.contains(name) {
                    found.push(*name);
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// The query with the names of the symbols it quotes added: "delete the stray ';'" →
/// "delete the stray ';' semicolon". The query itself when it quotes none.
pub fn with_names(query: &str) -> std::borrow::Cow<'_, str> {
    let names = quoted_symbols(query);
    if names.is_empty() {
        std::borrow::Cow::Borrowed(query)
    } else {
        std::borrow::Cow::Owned(format!("{query} {}", names.join(" ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_symbols_are_named() {
        assert_eq!(
            with_names("which clang-format version can delete the stray ';' people leave?"),
            "which clang-format version can delete the stray ';' people leave? semicolon"
        );
        assert_eq!(
            quoted_symbols(r#"spaces inside "<>" and `()`, or ‘*’ next to the name"#),
            ["angle brackets", "parentheses", "asterisk star"]
        );
        assert_eq!(quoted_symbols("the ';' and the ';' again"), ["semicolon"]);
        assert_eq!(quoted_symbols("('{}')"), ["braces"]);
    }

    #[test]
    fn other_quotes_and_bare_symbols_are_prose() {
        for q in [
            "the phone's certificate - which one?",
            "don't use ';' inside words like a';'b",
            "a * b + c",
            "it's 'mixed mode'",
            "'' empty",
            "a 'quoted' word",
        ] {
            let found = quoted_symbols(q);
            assert!(found.is_empty() || q.starts_with("don't"), "{q}: {found:?}");
        }
        // An apostrophe before a quoted symbol does not hide it.
        assert_eq!(
            quoted_symbols("don't use ';' inside words like a';'b"),
            ["semicolon"]
        );
        assert_eq!(with_names("no symbols here"), "no symbols here");
    }
}
