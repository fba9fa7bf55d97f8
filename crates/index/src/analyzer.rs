//! The text analyzer that keeps technical tokens findable.
//!
//! Vendor manuals are full of tokens a plain word tokenizer breaks apart: CLI commands
//! (`utils ctl update CTLFile`), versions (`12.5(1)SU1`), dotted and hyphenated names
//! (`CallManager-ECDSA`, `tomcat-ECDSA`), acronyms (CAPF, LSC). Each whitespace-separated
//! word is emitted as its alphanumeric parts (`callmanager`, `ecdsa`) and, when it has
//! several, also as one joined token at the first part's position (`callmanagerecdsa`,
//! `1251su1`), so `12.5(1)SU1`, `12.5.1su1` and `CallManagerECDSA` all find the same
//! text. British spellings are read as American ones (`optimisation`,
//! `behaviour`, `tumour`, `centre`, `licence`, `haemoglobin`), as vendor manuals are
//! mostly written in American English and their readers often are not. Parts are then
//! lower-cased, English stop words dropped and stemmed; joined tokens are only
//! lower-cased.

use mcdewey_catalog::spelling::american;
/// The analyzer type, for callers that keep one (the search crate's second stage).
pub use tantivy::tokenizer::TextAnalyzer;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, Token, TokenStream, Tokenizer,
};

/// Name under which the analyzer is registered with the tantivy index.
pub const ANALYZER: &str = "mcdewey_en";

/// Bumped (in the catalog, where the settings fingerprint is made) whenever
/// tokenisation changes, so existing indexes are rebuilt.
pub use mcdewey_catalog::ANALYZER_VERSION;

/// Builds the analyzer registered as [`ANALYZER`].
pub fn technical_analyzer() -> TextAnalyzer {
    let stop = StopWordFilter::new(Language::English).expect("tantivy ships English stop words");
    TextAnalyzer::builder(TechnicalTokenizer)
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(stop)
        .filter(PartsOnly(Stemmer::new(Language::English)))
        .build()
}

/// Splits text into words, words into alphanumeric parts, and adds joined compounds.
#[derive(Clone, Debug, Default)]
pub struct TechnicalTokenizer;

/// Token stream of [`TechnicalTokenizer`]: tokens are produced eagerly per text.
pub struct TechnicalStream {
    tokens: Vec<Token>,
    next: usize,
}

/// Marks joined tokens so that later filters can leave them alone. The tantivy `Token`
/// has no flag field; joined tokens use `position_length` 0, which plain tokens never have.
const JOINED: usize = 0;

impl Tokenizer for TechnicalTokenizer {
    type TokenStream<'a> = TechnicalStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TechnicalStream {
        TechnicalStream {
            tokens: tokenize(text),
            next: 0,
        }
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0usize;
    let mut word_start: Option<usize> = None;
    let flush = |start: usize, end: usize, tokens: &mut Vec<Token>, position: &mut usize| {
        let word = &text[start..end];
        let parts = alnum_parts(word);
        if parts.is_empty() {
            return;
        }
        let first_position = *position;
        let mut spelled = Vec::with_capacity(parts.len());
        for &(s, e) in &parts {
            let part = american(&word[s..e]);
            tokens.push(Token {
                offset_from: start + s,
                offset_to: start + e,
                position: *position,
                text: part.to_string(),
                position_length: 1,
            });
            *position += 1;
            spelled.push(part);
        }
        if parts.len() > 1 {
            let joined: String = spelled.concat();
            tokens.push(Token {
                offset_from: start + parts[0].0,
                offset_to: start + parts[parts.len() - 1].1,
                position: first_position,
                text: joined,
                position_length: JOINED,
            });
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = word_start.take() {
                flush(s, i, &mut tokens, &mut position);
            }
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(s) = word_start {
        flush(s, text.len(), &mut tokens, &mut position);
    }
    tokens
}

/// Byte ranges of the alphanumeric runs of a word.
fn alnum_parts(word: &str) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in word.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            parts.push((s, i));
        }
    }
    if let Some(s) = start {
        parts.push((s, word.len()));
    }
    parts
}

impl TokenStream for TechnicalStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Applies a filter's change only to plain parts, never to joined tokens: stemming
/// `1251su1` or a stop-word test on `callmanagerecdsa` would make no sense.
#[derive(Clone)]
struct PartsOnly<F>(F);

impl<F: tantivy::tokenizer::TokenFilter + Clone> tantivy::tokenizer::TokenFilter for PartsOnly<F> {
    type Tokenizer<T: Tokenizer> = PartsOnlyTokenizer<T, F::Tokenizer<T>>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        PartsOnlyTokenizer {
            plain: tokenizer.clone(),
            filtered: self.0.transform(tokenizer),
        }
    }
}

#[derive(Clone)]
struct PartsOnlyTokenizer<T, U> {
    plain: T,
    filtered: U,
}

struct PartsOnlyStream<'a> {
    tokens: Vec<Token>,
    next: usize,
    _text: std::marker::PhantomData<&'a ()>,
}

impl<T: Tokenizer, U: Tokenizer> Tokenizer for PartsOnlyTokenizer<T, U> {
    type TokenStream<'a> = PartsOnlyStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PartsOnlyStream<'a> {
        // Both streams see the same tokens in the same order; the filtered one may drop
        // some (stop words), so they are matched by (position, offset, joined-ness).
        let mut plain = Vec::new();
        self.plain
            .token_stream(text)
            .process(&mut |t| plain.push(t.clone()));
        let mut filtered = Vec::new();
        self.filtered
            .token_stream(text)
            .process(&mut |t| filtered.push(t.clone()));
        let mut out = Vec::with_capacity(plain.len());
        let mut f = filtered.into_iter().peekable();
        for token in plain {
            if token.position_length == JOINED {
                out.push(token);
                continue;
            }
            while f.peek().is_some_and(|x| x.position_length == JOINED) {
                f.next();
            }
            if let Some(x) = f.peek() {
                if x.position == token.position && x.offset_from == token.offset_from {
                    out.push(f.next().expect("peeked"));
                }
            }
        }
        PartsOnlyStream {
            tokens: out,
            next: 0,
            _text: std::marker::PhantomData,
        }
    }
}

impl TokenStream for PartsOnlyStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The analyzed terms of a text, in order (duplicates kept): what a query is made of.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    analyzer
        .token_stream(text)
        .process(&mut |t| terms.push(t.text.clone()));
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        analyze(&mut technical_analyzer(), text)
    }

    #[test]
    fn keeps_commands_versions_and_compound_names() {
        assert_eq!(
            terms("utils ctl update CTLFile"),
            ["util", "ctl", "updat", "ctlfile"]
        );
        assert_eq!(terms("12.5(1)SU1"), ["12", "5", "1", "su1", "1251su1"]);
        assert_eq!(terms("v12.5.1su1"), ["v12", "5", "1su1", "v1251su1"]);
        assert_eq!(
            terms("CallManager-ECDSA"),
            ["callmanag", "ecdsa", "callmanagerecdsa"]
        );
        assert_eq!(
            terms("the tomcat-ECDSA certificates"),
            ["tomcat", "ecdsa", "tomcatecdsa", "certif"]
        );
        assert_eq!(terms("CAPF and LSC"), ["capf", "lsc"]);
    }

    #[test]
    fn written_variants_share_the_joined_token() {
        let a = terms("CallManager-ECDSA");
        let b = terms("CallManagerECDSA");
        assert!(a.contains(&"callmanagerecdsa".to_string()));
        assert_eq!(b, ["callmanagerecdsa"]);
        assert!(terms("12.5(1)SU1").contains(&"1251su1".to_string()));
        assert!(terms("12.5.1SU1").contains(&"1251su1".to_string()));
    }

    #[test]
    fn british_spellings_find_american_text() {
        for (gb, us) in [
            ("optimisation", "optimization"),
            ("optimise", "optimize"),
            ("sanitiser", "sanitizer"),
            ("initialised", "initialized"),
            ("analyse", "analyze"),
            ("behaviour", "behavior"),
            ("behavioural", "behavioral"),
            ("colours", "colors"),
            ("tumour", "tumor"),
            ("centre", "center"),
            ("fibres", "fibers"),
            ("catalogue", "catalog"),
            ("licence", "license"),
            ("defence", "defense"),
            ("haemoglobin", "hemoglobin"),
            ("leukaemia", "leukemia"),
            ("paediatric", "pediatric"),
            ("oestrogen", "estrogen"),
            ("diarrhoea", "diarrhea"),
            ("Randomised", "randomized"),
        ] {
            assert_eq!(terms(gb), terms(us), "{gb} / {us}");
        }
        // Short words ending the same way are other words, left alone.
        for word in ["hour", "four", "your", "noise", "raise", "rogue", "wise"] {
            assert_eq!(american(word), word);
        }
        // Inside compounds too.
        assert_eq!(terms("colour-coded"), terms("color-coded"));
    }

    #[test]
    fn punctuation_only_words_vanish() {
        assert_eq!(terms("-- • ... |"), Vec::<String>::new());
        assert_eq!(terms("(CAPF)"), ["capf"]);
    }
}
