//! British spellings read as American ones, the same way by both stores' keyword
//! search: the embedded store's analyzer rewrites each word, the PostgreSQL store the
//! text it gives `to_tsvector` and the query it gives `websearch_to_tsquery`. Vendor
//! manuals are mostly written in American English and their readers often are not:
//! "optimisation", "behaviour", "licence" find "optimization", "behavior", "license".

/// Endings spelled one way in British and another in American English, with the part
/// of the word before them at least this long (so `our`, `hour`, `four`, `wise`, `raise`
/// and `rogue` are left alone). Words that only end alike (`enterprise`, `precise`) are
/// rewritten too, the same way in the text and in the question, so they still match
/// each other; two different words meet only in rare cases (`timbre`, `timber`).
const SPELLING_ENDINGS: &[(&str, &str, usize)] = &[
    ("isations", "izations", 3),
    ("isation", "ization", 3),
    ("ising", "izing", 3),
    ("ised", "ized", 3),
    ("ises", "izes", 3),
    ("isers", "izers", 3),
    ("iser", "izer", 3),
    ("ise", "ize", 3),
    ("lysing", "lyzing", 2),
    ("lysed", "lyzed", 2),
    ("lyses", "lyzes", 2),
    ("lyser", "lyzer", 2),
    ("lyse", "lyze", 2),
    ("ourable", "orable", 3),
    ("ouring", "oring", 3),
    ("ourite", "orite", 3),
    ("ourites", "orites", 3),
    ("oured", "ored", 3),
    ("ourers", "orers", 3),
    ("ourer", "orer", 3),
    ("oural", "oral", 3),
    ("ours", "ors", 3),
    ("our", "or", 3),
    ("ogues", "ogs", 3),
    ("ogue", "og", 3),
    ("tres", "ters", 2),
    ("tre", "ter", 2),
    ("bres", "bers", 2),
    ("bre", "ber", 2),
];
/// Whole words spelled differently.
const SPELLING_WORDS: &[(&str, &str)] = &[
    ("licence", "license"),
    ("licences", "licenses"),
    ("defence", "defense"),
    ("defences", "defenses"),
    ("offence", "offense"),
    ("offences", "offenses"),
    ("pretence", "pretense"),
    ("grey", "gray"),
    ("programme", "program"),
    ("programmes", "programs"),
];
/// Letters inside a word spelled differently (mostly medical: `haemoglobin`,
/// `anaemia`, `paediatric`, `oestrogen`, `diarrhoea`).
const SPELLING_INFIXES: &[(&str, &str)] = &[
    ("haem", "hem"),
    ("aemi", "emi"),
    ("paed", "ped"),
    ("aetiol", "etiol"),
    ("oestr", "estr"),
    ("oedem", "edem"),
    ("oesoph", "esoph"),
    ("foet", "fet"),
    ("rrhoea", "rrhea"),
];

/// A word as American English spells it, when it is written the British way; lower
/// case when rewritten, else the word as it was.
pub fn american(word: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if !word.is_ascii() || word.len() < 4 || word.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(word);
    }
    if let Some((_, us)) = SPELLING_WORDS
        .iter()
        .find(|(gb, _)| word.eq_ignore_ascii_case(gb))
    {
        return Cow::Owned((*us).to_string());
    }
    // Most words hold no British letters: they are looked at without a copy (every
    // word of every indexed chunk passes here).
    let bytes = word.as_bytes();
    let holds = |gb: &str| {
        bytes
            .windows(gb.len())
            .any(|w| w.eq_ignore_ascii_case(gb.as_bytes()))
    };
    let ends = |gb: &str, before: usize| {
        bytes.len() >= gb.len() + before
            && bytes[bytes.len() - gb.len()..].eq_ignore_ascii_case(gb.as_bytes())
    };
    if !SPELLING_INFIXES.iter().any(|(gb, _)| holds(gb))
        && !SPELLING_ENDINGS
            .iter()
            .any(|(gb, _, before)| ends(gb, *before))
    {
        return Cow::Borrowed(word);
    }
    let lower = word.to_ascii_lowercase();
    let mut out = lower.clone();
    for (gb, us) in SPELLING_INFIXES {
        if out.contains(gb) {
            out = out.replacen(gb, us, 1);
        }
    }
    if let Some((gb, us, _)) = SPELLING_ENDINGS
        .iter()
        .find(|(gb, _, before)| out.len() >= gb.len() + before && out.ends_with(gb))
    {
        out.truncate(out.len() - gb.len());
        out.push_str(us);
    }
    if out == lower {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(out)
    }
}

/// A text with each of its words as [`american`] spells it (everything else as it was).
pub fn american_text(text: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let mut out: Option<String> = None;
    let mut done = 0;
    let mut start: Option<usize> = None;
    let bounds = text
        .char_indices()
        .map(|(i, c)| (i, c.is_alphanumeric()))
        .chain(std::iter::once((text.len(), false)));
    for (i, alnum) in bounds {
        match (alnum, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                start = None;
                if let Cow::Owned(word) = american(&text[s..i]) {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    o.push_str(&text[done..s]);
                    o.push_str(&word);
                    done = i;
                }
            }
            _ => {}
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[done..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn british_words_of_a_text_are_spelled_the_american_way() {
        assert_eq!(
            american_text("The behaviour of the optimiser (see Licence.md) is unchanged."),
            "The behavior of the optimizer (see license.md) is unchanged."
        );
        assert!(matches!(
            american_text("no change here: 12.5(1)SU1"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(american_text("colour"), "color");
        assert_eq!(american_text(""), "");
    }
}
