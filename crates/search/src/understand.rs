//! What a query says about where to look: a release ("CUCM 15", "release 15",
//! "12.5(1)SU1", "12.5.1 SU1", "clang 16", "v14") or a product named in its words,
//! recognised against the versions and products the library actually holds.
//!
//! Numbers alone are ambiguous ("port 15", "TLS 1.2", "7942"), so a bare number counts
//! only next to a product name or a word like "release" or "version", or written as
//! `v14`; a dotted version (`12.5(1)`, `12.5.1`) counts wherever it names a version of
//! the library. An exact name wins over a prefix (`12.5(1)` is `v12.5.1`, not
//! `v12.5.1su1`; `12.5` is both), a prefix over a shorter form with its update
//! (`12.5 SU1` is `v12.5.1su1`), and that over a point release (`clang-15.0.7` is `v15`).

use crate::library::LibraryTree;
use mcdewey_core::normalize_version;
use serde::{Deserialize, Serialize};

/// What was understood from a query, shown to people and agents so a wrong guess is
/// visible and can be undone with an explicit filter.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Understood {
    /// A product named in the query (its folder name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The release named in the query (a version folder name); several when a short
    /// form names several (`12.5` → `v12.5.1`, `v12.5.1su1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// The words of the query that named them, as written (`"CUCM 15"`).
    pub phrase: String,
    /// Whether ranking was steered by it (false when an explicit filter decided).
    pub applied: bool,
    /// Releases of the product named that the library does not hold, as written
    /// (`"clang 17"`): nothing is steered toward them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in_library: Vec<String>,
    /// The releases of that product the library holds, given with `not_in_library`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub library_versions: Vec<String>,
    /// (product, version) pairs the ranking favours.
    #[serde(skip)]
    pub releases: Vec<(String, String)>,
}

impl Understood {
    /// What was understood, as every surface words it: "release v15", "release v12.5.1,
    /// v12.5.1su1", "product clang".
    pub fn what(&self) -> String {
        if self.versions.is_empty() {
            format!("product {}", self.product.as_deref().unwrap_or_default())
        } else {
            format!("release {}", self.versions.join(", "))
        }
    }

    /// Whether only a product was understood and nothing steered by it (an explicit
    /// filter decided, or the library holds no other product): then there is nothing
    /// to say but [`Understood::not_in_library_note`].
    pub fn only_a_note(&self) -> bool {
        !self.applied && self.versions.is_empty()
    }

    /// What every surface says of releases named that the library does not hold:
    /// "“clang 17” is not in the library, which holds clang v14, v15, v16."
    pub fn not_in_library_note(&self) -> Option<String> {
        if self.not_in_library.is_empty() {
            return None;
        }
        let named: Vec<String> = self
            .not_in_library
            .iter()
            .map(|n| format!("“{n}”"))
            .collect();
        let verb = if named.len() == 1 { "is" } else { "are" };
        let named = named.join(", ");
        Some(match self.product.as_deref() {
            Some(p) => format!(
                "{named} {verb} not in the library, which holds {p} {}.",
                self.library_versions.join(", ")
            ),
            None => format!("{named} {verb} not in the library."),
        })
    }
}

/// Words after which a bare number names a release.
const RELEASE_WORDS: &[&str] = &[
    "release", "version", "ver", "rel", "v", "releases", "versions",
];

/// Capitalised words after which a number is a count or a place in the text, not a
/// release ("Table 15", "Step 3").
const NOT_RELEASE_WORDS: &[&str] = &[
    "table", "figure", "fig", "chapter", "section", "page", "step", "part", "appendix", "item",
    "rule", "line", "port", "option", "note", "example", "level", "group", "phase", "layer",
    "class", "type", "vlan", "area", "slot", "module", "rfc", "tls", "sip", "http",
];

/// Whether a word names a product the way people abbreviate one: a capitalised word or
/// acronym ("CM 15", "Clang 16"), not one of [`NOT_RELEASE_WORDS`].
fn is_name_like(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_uppercase())
        && w.chars().all(|c| c.is_ascii_alphanumeric())
        && !NOT_RELEASE_WORDS.contains(&w.to_ascii_lowercase().as_str())
}

/// Update suffixes written as a separate word: `12.5.1 SU1`.
fn is_update_word(w: &str) -> bool {
    let lower = w.to_ascii_lowercase();
    let letters: String = lower
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let rest = &lower[letters.len()..];
    matches!(
        letters.as_str(),
        "su" | "sp" | "es" | "sr" | "mr" | "patch" | "update"
    ) && rest.chars().all(|c| c.is_ascii_digit())
}

/// A query word with the punctuation around it removed (a closing parenthesis is kept
/// when it closes one in the word, as in `12.5(1)`).
fn clean(word: &str) -> &str {
    let mut w = word.trim_start_matches(['(', '[', '"', '\'', '“', '‘']);
    loop {
        let before = w.len();
        w = w.trim_end_matches([',', '.', ';', ':', '!', '?', '"', '\'', ']', '”', '’']);
        for suffix in ["'s", "’s"] {
            if let Some(s) = w.strip_suffix(suffix) {
                w = s;
            }
        }
        if w.ends_with(')') && w.matches(')').count() > w.matches('(').count() {
            w = &w[..w.len() - 1];
        }
        if w.len() == before {
            return w;
        }
    }
}

fn is_dotted(norm: &str) -> bool {
    norm.contains('.') && norm.starts_with(|c: char| c.is_ascii_digit())
}

fn is_number(norm: &str) -> bool {
    !norm.is_empty() && norm.bytes().all(|b| b.is_ascii_digit())
}

/// How closely a written version names a version of the library, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Closeness {
    /// The same version (`12.5(1)` and `v12.5.1`).
    Exact,
    /// A shorter form of it, at a component boundary (`12.5` of `v12.5.1`).
    Prefix,
    /// A shorter form with the same update (`12.5 SU1` of `v12.5.1su1`).
    Update,
    /// A point release of it (`16.0.6` of `v16`, `15.0` of `v15`).
    Point,
}

/// How `written` names the library version `version` (both normalised), if it does. A
/// point release with a non-zero component (`15.2`) names `v15` only in `context`,
/// after a product name or a word like "release": written alone it is as likely some
/// other product's release ("IOS 15.2").
fn closeness(written: &str, version: &str, context: bool) -> Option<Closeness> {
    let at_boundary = |rest: &str| rest.starts_with('.');
    if written == version {
        return Some(Closeness::Exact);
    }
    if let Some(rest) = version.strip_prefix(written) {
        if at_boundary(rest) || rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Some(Closeness::Prefix);
        }
    }
    let ((wn, wu), (vn, vu)) = (numbers_and_update(written), numbers_and_update(version));
    if !wu.is_empty() && wu == vu && vn.strip_prefix(wn).is_some_and(at_boundary) {
        return Some(Closeness::Update);
    }
    let point = written.strip_prefix(version).filter(|rest| {
        at_boundary(rest)
            && rest.split(['.', '-']).skip(1).all(is_number)
            && (context || rest.chars().all(|c| c == '.' || c == '0'))
    });
    point.map(|_| Closeness::Point)
}

/// A normalised version's numbers and the update that follows them: `12.5.1su1` →
/// (`12.5.1`, `su1`).
fn numbers_and_update(v: &str) -> (&str, &str) {
    v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()))
}

/// Versions of `products` that `written` names, those it names most closely
/// ([`Closeness`]): exact matches if any, else those it is a prefix of, and so on.
fn matching(
    written: &str,
    tree: &LibraryTree,
    products: &[&str],
    context: bool,
) -> Vec<(String, String)> {
    let norm = normalize_version(written);
    // `15.x` and `12.5.*` are the short forms `15` and `12.5`.
    let norm = norm
        .strip_suffix(".x")
        .or_else(|| norm.strip_suffix(".*"))
        .unwrap_or(&norm);
    if norm.is_empty() {
        return Vec::new();
    }
    let mut best: Option<Closeness> = None;
    let mut found = Vec::new();
    for p in tree
        .products
        .iter()
        .filter(|p| products.contains(&p.name.as_str()))
    {
        for v in &p.versions {
            let Some(c) = closeness(norm, &normalize_version(&v.name), context) else {
                continue;
            };
            if best.is_none_or(|b| c < b) {
                best = Some(c);
                found.clear();
            }
            if best == Some(c) {
                found.push((p.name.clone(), v.name.clone()));
            }
        }
    }
    found
}

/// Names of products besides their folder names (display names and aliases a library
/// declares in `<product>/product.json`), by folder name.
pub type ProductAliases = std::collections::BTreeMap<String, Vec<String>>;

/// `query` with every alias of a product (longest first, whole words, any case)
/// written as the product's folder name, so "Unified CM 15" reads as "cucm 15".
fn with_folder_names(query: &str, aliases: &ProductAliases) -> String {
    let mut names: Vec<(&str, &str)> = aliases
        .iter()
        .flat_map(|(p, names)| names.iter().map(move |n| (n.as_str(), p.as_str())))
        .filter(|(n, _)| !n.trim().is_empty())
        .collect();
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    let mut out = query.to_string();
    for (name, product) in names {
        let lower = out.to_lowercase();
        if lower.len() != out.len() {
            // Lower-casing moved byte offsets (rare scripts): no rewriting.
            return query.to_string();
        }
        let needle = name.to_lowercase();
        let mut at = 0;
        let mut replaced = String::with_capacity(out.len());
        let mut last = 0;
        while let Some(found) = lower[at..].find(&needle) {
            let start = at + found;
            let end = start + needle.len();
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
            if !glued(lower[..start].chars().next_back())
                && !glued(lower[end..].chars().next())
                && out.is_char_boundary(start)
                && out.is_char_boundary(end)
            {
                replaced.push_str(&out[last..start]);
                replaced.push_str(product);
                last = end;
            }
            at = end;
        }
        replaced.push_str(&out[last..]);
        out = replaced;
    }
    out
}

/// Recognises a release or product named in `query`; `None` when it names neither.
pub fn understand(query: &str, tree: &LibraryTree) -> Option<Understood> {
    understand_with(query, tree, &ProductAliases::new())
}

/// [`understand`], also knowing products by the names in `aliases`. The phrase
/// reported is then the alias as it was written.
pub fn understand_with(
    query: &str,
    tree: &LibraryTree,
    aliases: &ProductAliases,
) -> Option<Understood> {
    let rewritten = with_folder_names(query, aliases);
    let mut understood = understand_words(&rewritten, tree)?;
    if rewritten != query {
        // Report the words as the user wrote them: map the phrase back by position.
        understood.phrase = original_phrase(query, &understood.phrase, aliases);
        for named in &mut understood.not_in_library {
            *named = original_phrase(query, named, aliases);
        }
    }
    Some(understood)
}

/// A phrase of the rewritten query as it stands in `query` (an alias in place of the
/// folder name); the rewritten phrase when it cannot be found.
fn original_phrase(query: &str, phrase: &str, aliases: &ProductAliases) -> String {
    let mut out = Vec::new();
    for part in phrase.split(", ") {
        let mut found = None;
        for (product, names) in aliases {
            if let Some(rest) = part.strip_prefix(product.as_str()) {
                for n in names {
                    let candidate = format!("{n}{rest}");
                    if let Some(i) = query.to_lowercase().find(&candidate.to_lowercase()) {
                        found = Some(query[i..i + candidate.len()].to_string());
                        break;
                    }
                }
            }
            if found.is_some() {
                break;
            }
        }
        out.push(found.unwrap_or_else(|| part.to_string()));
    }
    out.join(", ")
}

/// A word that is a product's name with a version written onto it, split in two:
/// `clang-14` → (`clang`, `14`), `CUCM15` → (`CUCM`, `15`).
fn product_and_version<'a>(word: &'a str, tree: &LibraryTree) -> Option<(&'a str, &'a str)> {
    tree.products.iter().find_map(|p| {
        let head = word.get(..p.name.len())?;
        let tail = word[head.len()..]
            .strip_prefix('-')
            .unwrap_or(&word[head.len()..]);
        (head.eq_ignore_ascii_case(&p.name) && tail.starts_with(|c: char| c.is_ascii_digit()))
            .then(|| (head, clean(tail)))
    })
}

fn understand_words(query: &str, tree: &LibraryTree) -> Option<Understood> {
    // Words, with a product name and the version written onto it (`clang-14`,
    // `CUCM15`) split in two.
    let mut words: Vec<&str> = Vec::new();
    for raw in query.split_whitespace() {
        let w = clean(raw);
        match product_and_version(w, tree) {
            Some((head, tail)) => {
                words.push(head);
                words.push(tail);
            }
            None if !w.is_empty() => words.push(w),
            None => {}
        }
    }
    // Where a word stands in the query: a phrase is reported (and later taken out of
    // the query) as written, punctuation and all ("ver. 15", "clang-16").
    let offset = |w: &str| w.as_ptr() as usize - query.as_ptr() as usize;
    let as_written = |from: &str, to: &str| &query[offset(from)..offset(to) + to.len()];
    let product_of = |w: &str| {
        tree.products
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(w))
            .map(|p| p.name.as_str())
    };
    // The first word naming a product, as written ("CUCM"), and that product's folder.
    let product_word = words.iter().copied().find(|w| product_of(w).is_some());
    let named_product = product_word.and_then(product_of);
    let all: Vec<&str> = tree.products.iter().map(|p| p.name.as_str()).collect();
    let scope: Vec<&str> = match named_product {
        Some(p) => vec![p],
        None => all,
    };
    let mut releases: Vec<(String, String)> = Vec::new();
    let mut phrases: Vec<String> = Vec::new();
    // Releases named after a product name that the library does not hold.
    let mut missing: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let prev = i.checked_sub(1).map(|j| words[j]);
        let prev_product = prev.and_then(product_of);
        let context = prev_product.is_some()
            || prev.is_some_and(|p| RELEASE_WORDS.contains(&p.to_ascii_lowercase().as_str()));
        // `12.5.1 SU1`: the update word belongs to the version before it.
        let (written, span) = match words.get(i + 1) {
            Some(next) if is_update_word(next) => (format!("{w}{next}"), 2),
            _ => (w.to_string(), 1),
        };
        let norm = normalize_version(&written);
        let v_prefixed = w.len() > 1
            && w.starts_with(['v', 'V'])
            && w[1..].starts_with(|c: char| c.is_ascii_digit());
        let first = normalize_version(w);
        // After a capitalised name ("Unified CM 15") a bare number must name a release
        // exactly; after "release" or a product name a prefix will do.
        let named = !context && prev.is_some_and(is_name_like) && is_number(&first);
        let eligible = is_dotted(&first)
            || v_prefixed
            || named
            || (context && (is_number(&first) || norm.starts_with(|c: char| c.is_ascii_digit())));
        if eligible {
            // Right after a product's name, that product's releases ("CUCM 15 and clang
            // 16"); else those of the product the query names.
            let here: Vec<&str> = match prev_product {
                Some(p) => vec![p],
                None => scope.clone(),
            };
            let mut found = matching(&written, tree, &here, context);
            let mut used = span;
            if found.is_empty() && span == 2 {
                found = matching(w, tree, &here, context);
                used = 1;
            }
            if named {
                found.retain(|(_, v)| normalize_version(v) == norm);
            }
            if found.is_empty() && prev_product.is_some() && looks_like_release(&first) {
                missing.push(as_written(words[i - 1], w).to_string());
            }
            if !found.is_empty() {
                let start = if context || named { i - 1 } else { i };
                phrases.push(as_written(words[start], words[i + used - 1]).to_string());
                for r in found {
                    if !releases.contains(&r) {
                        releases.push(r);
                    }
                }
                i += used;
                continue;
            }
        }
        i += 1;
    }
    if releases.is_empty() && named_product.is_none() {
        return None;
    }
    let mut versions: Vec<String> = Vec::new();
    for (_, v) in &releases {
        if !versions.contains(v) {
            versions.push(v.clone());
        }
    }
    let product = named_product.map(str::to_string).or_else(|| {
        let first = releases.first().map(|r| r.0.clone())?;
        releases.iter().all(|r| r.0 == first).then_some(first)
    });
    let phrase = if phrases.is_empty() {
        product_word.unwrap_or_default().to_string()
    } else {
        phrases.join(", ")
    };
    let library_versions = match (&product, missing.is_empty()) {
        (Some(p), false) => tree.product(p).map_or_else(Vec::new, |n| {
            n.versions.iter().map(|v| v.name.clone()).collect()
        }),
        _ => Vec::new(),
    };
    Some(Understood {
        product,
        versions,
        phrase,
        applied: false,
        not_in_library: missing,
        library_versions,
        releases,
    })
}

/// Whether a number after a product's name reads as a release: dotted (`17.0.1`) or
/// at most three digits (`17`) — "CUCM 7942" is a phone model.
fn looks_like_release(norm: &str) -> bool {
    is_dotted(norm) || (is_number(norm) && norm.len() <= 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::{ProductNode, VersionNode};

    fn tree(products: &[(&str, &[&str])]) -> LibraryTree {
        LibraryTree {
            products: products
                .iter()
                .map(|(p, vs)| ProductNode {
                    name: p.to_string(),
                    versions: vs
                        .iter()
                        .map(|v| VersionNode {
                            name: v.to_string(),
                            doc_sets: vec![],
                            documents: 0,
                            chunks: 0,
                        })
                        .collect(),
                    documents: 0,
                    chunks: 0,
                })
                .collect(),
            ..Default::default()
        }
    }

    fn versions(q: &str, t: &LibraryTree) -> Vec<String> {
        understand(q, t).map(|u| u.versions).unwrap_or_default()
    }

    #[test]
    fn releases_are_recognised_as_people_write_them_in_the_cucm_library() {
        let t = tree(&[("cucm", &["v12.5.1", "v12.5.1su1", "v15"])]);
        let cases: &[(&str, &[&str])] = &[
            ("on CUCM 15, how can I confirm the mode?", &["v15"]),
            ("release 15: can an encrypted 7942 be barged", &["v15"]),
            ("according to the version 15 guide, when is", &["v15"]),
            ("in CUCM 12.5(1), when should I", &["v12.5.1"]),
            ("what does the 12.5(1)SU1 guide list", &["v12.5.1su1"]),
            ("12.5(1)SU1: on a phone that shows", &["v12.5.1su1"]),
            ("per the 12.5.1 SU1 guide", &["v12.5.1su1"]),
            ("v15 mixed mode", &["v15"]),
            (
                "on 12.5, can I move the CTL Provider",
                &["v12.5.1", "v12.5.1su1"],
            ),
            ("the CTL client (12.5(1)) settings", &["v12.5.1"]),
            // Numbers that are not releases.
            ("can an encrypted 7942 be barged", &[]),
            ("TLS 1.2 GCM cipher with TLS 1.0 peers", &[]),
            ("SAST roles tokenless CTL 12.0(1) signer", &[]),
            ("port 15 and 4096-bit keys", &[]),
            ("in Unified CM 15 mixed mode", &["v15"]),
            ("see Table 15 and Step 15", &[]),
            ("Cisco 12 phones", &[]),
            ("FIPS 140-2 across a cluster", &[]),
            ("version 99 of the guide", &[]),
            // Point releases and updates written in full or in part.
            ("in CUCM 15.0 how do I enable TLS", &["v15"]),
            ("CUCM 15.0(1) certificates", &["v15"]),
            ("12.5 SU1 CTL file", &["v12.5.1su1"]),
            ("Unified CM 12.5SU1 roles", &["v12.5.1su1"]),
            ("CUCM15 CAPF", &["v15"]),
            ("CUCM 12.5.x trust lists", &["v12.5.1", "v12.5.1su1"]),
            ("release 15.x roles", &["v15"]),
            ("CUCM 12.5.1.13900-152 CTL", &["v12.5.1"]),
            ("ver. 15 certificates", &["v15"]),
            // Another product's release, written alone.
            ("IOS 15.2 on the gateway", &[]),
            ("a 15.1 router", &[]),
        ];
        for (q, want) in cases {
            assert_eq!(versions(q, &t), *want, "{q}");
        }
        let u = understand("on CUCM 15, how can I confirm", &t).unwrap();
        assert_eq!(u.product.as_deref(), Some("cucm"));
        assert_eq!(u.phrase, "CUCM 15");
        // The phrase is the query's own words, so it can be shown and taken out as
        // written.
        for (q, phrase) in [
            ("ver. 15 certificates", "ver. 15"),
            ("CUCM15 CAPF", "CUCM15"),
            ("the 12.5 SU1 guide", "12.5 SU1"),
        ] {
            assert_eq!(understand(q, &t).unwrap().phrase, phrase, "{q}");
        }
    }

    #[test]
    fn products_are_known_by_the_names_the_library_declares() {
        let t = tree(&[("cucm", &["v12.5.1", "v12.5.1su1", "v15"])]);
        let mut aliases = ProductAliases::new();
        aliases.insert(
            "cucm".into(),
            vec![
                "Cisco Unified Communications Manager".into(),
                "Unified CM".into(),
                "CallManager".into(),
            ],
        );
        let cases: &[(&str, &[&str], &str)] = &[
            ("in Unified CM 15 mixed mode", &["v15"], "Unified CM 15"),
            (
                "Cisco Unified Communications Manager release 12.5(1)SU1 notes",
                &["v12.5.1su1"],
                "release 12.5(1)SU1",
            ),
            ("callmanager 15 certificates", &["v15"], "callmanager 15"),
        ];
        for (q, want, phrase) in cases {
            let u = understand_with(q, &t, &aliases).unwrap();
            assert_eq!(u.versions, *want, "{q}");
            assert_eq!(u.phrase, *phrase, "{q}");
            assert_eq!(u.product.as_deref(), Some("cucm"));
        }
        // "CallManager-ECDSA" is a certificate name, not the product; an alias glued
        // into a longer word is no alias.
        assert_eq!(
            understand_with("CallManager-ECDSA certificate", &t, &aliases),
            None
        );
        assert_eq!(
            with_folder_names("MyCallManager 15", &aliases),
            "MyCallManager 15"
        );
    }

    #[test]
    fn releases_are_recognised_in_a_library_of_several_products() {
        let t = tree(&[
            ("clang", &["v14", "v15", "v16"]),
            ("cucm", &["v12.5.1", "v12.5.1su1", "v15"]),
        ]);
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "In clang 14, which DWARF version does -g emit",
                &[("clang", "v14")],
            ),
            ("clang 15 and old C code", &[("clang", "v15")]),
            ("with clang 14's MemorySanitizer", &[("clang", "v14")]),
            ("clang-16 ASan options", &[("clang", "v16")]),
            ("on CUCM 15, how", &[("cucm", "v15")]),
            // No product named: every product's release 15.
            ("release 15 notes", &[("clang", "v15"), ("cucm", "v15")]),
            ("v14 release notes", &[("clang", "v14")]),
            ("which clang-format version can delete semicolons", &[]),
            ("since which clang release does a*b+c fuse", &[]),
            ("clang 16.0 -fsanitize=memory", &[("clang", "v16")]),
            ("clang-15.0.7 ASan", &[("clang", "v15")]),
            ("Clang16 MSan origins", &[("clang", "v16")]),
            ("v16.0 release notes", &[("clang", "v16")]),
            ("clang 17 ASan", &[]),
            // A point release past .0, no product or release word before it.
            ("built with 16.0.6", &[]),
            ("clang-format 16 options", &[]),
        ];
        for (q, want) in cases {
            let got = understand(q, &t).map(|u| u.releases).unwrap_or_default();
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(p, v)| (p.to_string(), v.to_string()))
                .collect();
            assert_eq!(got, want, "{q}");
        }
        // A product named without a release is still understood.
        assert_eq!(
            understand("clang-15.0.7 ASan", &t).unwrap().phrase,
            "clang-15.0.7"
        );
        // A release the library does not hold is said, with those it holds.
        let u = understand("clang 17 ASan options", &t).unwrap();
        assert_eq!(u.not_in_library, ["clang 17"]);
        assert_eq!(u.library_versions, ["v14", "v15", "v16"]);
        assert_eq!(
            u.not_in_library_note().unwrap(),
            "“clang 17” is not in the library, which holds clang v14, v15, v16."
        );
        for q in [
            "clang 16 ASan",
            "CUCM 7942 phones",
            "since which clang release",
        ] {
            let u = understand(q, &t).unwrap();
            assert!(u.not_in_library.is_empty(), "{q}");
            assert!(u.library_versions.is_empty(), "{q}");
        }
        let u = understand("CUCM 15 and clang 16 certificates", &t).unwrap();
        assert_eq!(
            u.releases,
            [
                ("cucm".to_string(), "v15".to_string()),
                ("clang".to_string(), "v16".to_string())
            ]
        );
        assert!(u.not_in_library.is_empty());
        assert_eq!(
            understand("CUCM 14 and CUCM 15", &t)
                .unwrap()
                .not_in_library,
            ["CUCM 14"]
        );
        let u = understand("since which clang release does a*b+c fuse", &t).unwrap();
        assert_eq!(u.product.as_deref(), Some("clang"));
        assert!(u.versions.is_empty());
        assert_eq!(understand("how do ASan reports read", &t), None);
    }
}
