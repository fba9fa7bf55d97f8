//! From the all-words query `websearch_to_tsquery` makes to an any-word one.
//!
//! `websearch_to_tsquery` joins the words of a question with `&`, so a chunk must hold
//! every one of them; the embedded store's BM25 ranks chunks holding any of them, which
//! is what questions in plain language need. The top-level `&` between positive terms
//! becomes `|`; phrases (`<->`) stay whole, and a negated operand (`!'word'`) excludes.
//! (`PgStore::keyword` reads the query as plain words first — a flag such as `-O2` is
//! searched for, not negated, and "or" is no operator — so exclusions and a top-level
//! `|` reach here only from a tsquery written as such.)

/// A keyword query taken apart: the terms that score (words, phrases) and the
/// exclusions every match must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// Positive operands, each a tsquery of its own (`'word'`, `'a' <-> 'b'`).
    pub positive: Vec<String>,
    /// Negated operands (`!'word'`).
    pub negative: Vec<String>,
}

impl Terms {
    /// The tsquery a chunk must match to be a candidate: any of the positive terms
    /// `pick` (indexes into [`Terms::positive`]), and none of the excluded.
    pub fn any_of(&self, pick: &[usize]) -> String {
        let any = pick
            .iter()
            .filter_map(|&i| self.positive.get(i).map(String::as_str))
            .collect::<Vec<_>>()
            .join(" | ");
        if self.negative.is_empty() {
            any
        } else {
            format!("( {any} ) & {}", self.negative.join(" & "))
        }
    }
}

/// The positive terms (indexes) whose chunks are the candidates of a keyword search,
/// given each term's document frequency: all of them when together they hold at most
/// `budget` chunks, else the rarest ones while their frequencies add up to at most
/// `budget` (always the rarest one). A chunk holding only the common words of a long
/// question rarely outranks the chunks holding its rare words, so the candidates miss
/// little while the work stays bounded whatever the size of the library.
pub fn candidate_terms(df: &[i64], budget: i64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..df.len()).collect();
    if df.iter().sum::<i64>() <= budget {
        return order;
    }
    order.sort_by_key(|&i| (df[i], i));
    let mut total = 0;
    let mut pick = Vec::new();
    for i in order {
        if !pick.is_empty() && total + df[i] > budget {
            break;
        }
        total += df[i];
        pick.push(i);
    }
    pick.sort_unstable();
    pick
}

/// The terms of a tsquery in text form, or `None` when nothing positive is left to
/// search for. A query where the user wrote `or` is kept whole, as one term.
pub fn terms(tsquery: &str) -> Option<Terms> {
    let operands = split_top_level(tsquery)?;
    let (negative, positive): (Vec<&str>, Vec<&str>) =
        operands.into_iter().partition(|o| o.starts_with('!'));
    if positive.is_empty() {
        return None;
    }
    let mut unique: Vec<String> = Vec::new();
    for p in positive {
        if !unique.iter().any(|u| u == p) {
            unique.push(p.to_string());
        }
    }
    Some(Terms {
        positive: unique,
        negative: negative.into_iter().map(str::to_string).collect(),
    })
}

/// The lexemes quoted in a term (`'0' <-> 'dimension'` has `0` and `dimension`).
pub fn lexemes(term: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = term.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '\'' {
            continue;
        }
        let mut lexeme = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    lexeme.push('\'');
                } else {
                    break;
                }
            } else {
                lexeme.push(c);
            }
        }
        out.push(lexeme);
    }
    out
}

/// The any-word form of a whole query.
#[cfg(test)]
fn any_word(tsquery: &str) -> Option<String> {
    terms(tsquery).map(|t| t.any_of(&(0..t.positive.len()).collect::<Vec<_>>()))
}

/// The operands joined by `&` outside quotes and parentheses; `None` for an empty query.
/// A query with a top-level `|` comes back as one operand (it is kept as written).
fn split_top_level(q: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    for (i, ch) in q.char_indices() {
        match ch {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            '|' if !quoted && depth == 0 => {
                return Some(vec![q.trim()]).filter(|v| !v[0].is_empty())
            }
            '&' if !quoted && depth == 0 => {
                parts.push(q[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(q[start..].trim());
    parts.retain(|p| !p.is_empty());
    (!parts.is_empty()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::{any_word, candidate_terms, lexemes, terms};

    #[test]
    fn lexemes_come_out_of_quotes() {
        assert_eq!(lexemes("'0' <-> 'dimension'"), ["0", "dimension"]);
        assert_eq!(lexemes("'it''s'"), ["it's"]);
        assert!(lexemes("").is_empty());
    }

    #[test]
    fn repeated_words_score_once() {
        let t = terms("'ctl' & 'updat' & 'ctl'").unwrap();
        assert_eq!(t.positive, ["'ctl'", "'updat'"]);
    }

    #[test]
    fn all_words_become_any_word() {
        assert_eq!(
            any_word("'configur' & 'mix' & 'mode'").as_deref(),
            Some("'configur' | 'mix' | 'mode'")
        );
        assert_eq!(any_word("'ctl'").as_deref(), Some("'ctl'"));
    }

    #[test]
    fn phrases_and_exclusions_keep_their_meaning() {
        assert_eq!(
            any_word("'mix' <-> 'mode' & 'ctl' & !'tftp'").as_deref(),
            Some("( 'mix' <-> 'mode' | 'ctl' ) & !'tftp'")
        );
        assert_eq!(
            any_word("'a' & !( 'b' <-> 'c' )").as_deref(),
            Some("( 'a' ) & !( 'b' <-> 'c' )")
        );
        // An `&` inside a quoted lexeme is not an operator.
        assert_eq!(
            any_word("'at&t' & 'sip'").as_deref(),
            Some("'at&t' | 'sip'")
        );
    }

    #[test]
    fn or_is_kept_and_nothing_positive_is_nothing() {
        assert_eq!(
            any_word("'a' & 'b' | 'c'").as_deref(),
            Some("'a' & 'b' | 'c'")
        );
        assert_eq!(any_word(""), None);
        assert_eq!(any_word("!'tftp'"), None);
    }

    #[test]
    fn candidates_come_from_the_rarest_terms_of_a_large_library() {
        // Together within the budget: every term.
        assert_eq!(candidate_terms(&[500, 40, 3000], 20_000), [0, 1, 2]);
        // Over it: the rarest while they fit, in query order.
        assert_eq!(
            candidate_terms(&[60_000, 40, 9_000, 12_000, 300], 20_000),
            [1, 2, 4]
        );
        // The rarest term always, however common.
        assert_eq!(candidate_terms(&[90_000, 70_000], 20_000), [1]);
        let t = terms("'mix' <-> 'mode' & 'ctl' & 'tftp' & !'sip'").unwrap();
        assert_eq!(t.any_of(&[0, 2]), "( 'mix' <-> 'mode' | 'tftp' ) & !'sip'");
    }
}
