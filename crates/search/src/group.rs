//! One result per passage: the same paragraph in several releases of a manual, or two
//! overlapping chunks of one section, become one result that names the others.
//!
//! Passages are compared by their word 4-grams: two passages are the same when the
//! smaller one's 4-grams lie mostly (≥ [`SAME_PASSAGE`]) in the other, which holds
//! across reflowed text and different chunk boundaries but not for passages that merely
//! share a topic.

use mcdewey_core::{Chunk, Version};
use std::collections::HashSet;

/// Share of the smaller passage's 4-grams found in the other for two passages of
/// different releases to count as one.
pub const SAME_PASSAGE: f32 = 0.7;
/// The same, for two chunks of one document under the same heading.
pub const OVERLAPPING: f32 = 0.5;

/// A passage's word 4-grams, hashed, sorted and without repeats (made by [`shingles`]
/// only, so [`containment`] can compare two by merging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shingles(Vec<u64>);

/// A passage's word 4-grams (its words, for fewer than four), hashed with a fast
/// non-cryptographic hash: they are compared within one search, never stored.
pub fn shingles(text: &str) -> Shingles {
    use std::hash::{Hash, Hasher};
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let hash = |w: &[String]| {
        let mut h = rustc_hash::FxHasher::default();
        w.hash(&mut h);
        h.finish()
    };
    let mut out: Vec<u64> = if words.len() < 4 {
        vec![hash(&words)]
    } else {
        words.windows(4).map(hash).collect()
    };
    out.sort_unstable();
    out.dedup();
    Shingles(out)
}

/// Share of the smaller set found in the larger.
pub fn containment(Shingles(a): &Shingles, Shingles(b): &Shingles) -> f32 {
    let small = a.len().min(b.len());
    if small == 0 {
        return 0.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f32 / small as f32
}

/// Whether two chunks are one passage for the reader: the same text in two releases of
/// a product, or overlapping chunks of one document under one heading.
pub fn same_passage(a: &Chunk, sa: &Shingles, b: &Chunk, sb: &Shingles) -> bool {
    if a.product != b.product {
        return false;
    }
    if a.version != b.version {
        return containment(sa, sb) >= SAME_PASSAGE;
    }
    a.source == b.source && a.heading == b.heading && containment(sa, sb) >= OVERLAPPING
}

/// Share of 4-grams above which a passage of another release under the same heading
/// is that release's version of it, reworded ("differs in v15"); below it, another
/// part of a long section.
pub const REWORDED: f32 = 0.3;

/// Groups ranked chunks (best first) into passages, given each chunk's [`shingles`];
/// returns, per group in rank order, the indexes of its members in rank order.
pub fn group(chunks: &[&Chunk], sets: &[Shingles]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in 0..chunks.len() {
        let home = groups.iter_mut().find(|g| {
            g.iter()
                .any(|&j| same_passage(chunks[j], &sets[j], chunks[i], &sets[i]))
        });
        match home {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// The chunks among `chunks` that hold the passage `shown` as another release words it:
/// same product, doc set and heading path, a release no member of its group is from,
/// and text that shares some ([`REWORDED`]) but not most of its 4-grams. The best
/// ranked per release, in rank order.
pub fn reworded_in(
    chunks: &[&Chunk],
    sets: &[Shingles],
    members: &[usize],
    shown: usize,
) -> Vec<usize> {
    let this = chunks[shown];
    let mut versions: HashSet<&str> = members
        .iter()
        .map(|&i| chunks[i].version.as_str())
        .collect();
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        if c.product == this.product
            && c.doc_set == this.doc_set
            && c.heading == this.heading
            && !versions.contains(c.version.as_str())
            && (REWORDED..SAME_PASSAGE).contains(&containment(&sets[shown], &sets[i]))
        {
            versions.insert(c.version.as_str());
            out.push(i);
        }
    }
    out
}

/// The member a group is shown as: one from a release the query asked for; else the
/// latest release among the members that hold what the query quotes (`holds`: words in
/// double quotes, or most of the query word for word), when some do — chunks of two
/// releases cut at different places hold a sentence in one and not the other — else
/// among all; within a release, the best ranked.
pub fn representative(members: &[&Chunk], asked: &[(String, String)], holds: &[bool]) -> usize {
    let asked_for = |c: &Chunk| {
        asked
            .iter()
            .any(|(p, v)| *p == c.product && *v == c.version)
    };
    if let Some(i) = members.iter().position(|c| asked_for(c)) {
        return i;
    }
    let some_hold = holds.iter().any(|&h| h);
    let mut best: Option<usize> = None;
    for (i, c) in members.iter().enumerate() {
        if some_hold && !holds.get(i).copied().unwrap_or(false) {
            continue;
        }
        if best.is_none_or(|b| Version::parse(&c.version) > Version::parse(&members[b].version)) {
            best = Some(i);
        }
    }
    best.unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(version: &str, source: &str, heading: &str, text: &str) -> Chunk {
        crate::test_chunk("cucm", version, source, &[heading], text)
    }

    const CTL: &str = "The CTL file contains the certificates of the TFTP servers and the \
        security tokens; phones download it at boot and trust only what it lists.";

    #[test]
    fn the_same_paragraph_in_two_releases_is_one_result_shown_as_the_asked_release() {
        let old = chunk("v12.5.1", "ctl", "CTL", CTL);
        let reflowed = CTL.replace("; phones", ";\n  phones");
        let newer = chunk("v12.5.1su1", "guide", "Cisco CTL Client", &reflowed);
        let other = chunk(
            "v15",
            "guide",
            "CTL",
            "Tokenless CTL uses the CallManager certificate to sign the file instead of tokens.",
        );
        let all = [&old, &newer, &other];
        let sets: Vec<_> = all.iter().map(|c| shingles(&c.text)).collect();
        let groups = group(&all, &sets);
        assert_eq!(groups, vec![vec![0, 1], vec![2]]);
        let members = [&old, &newer];
        assert_eq!(
            representative(&members, &[], &[false, false]),
            1,
            "latest when none was asked"
        );
        let asked = [("cucm".to_string(), "v12.5.1".to_string())];
        assert_eq!(
            representative(&members, &asked, &[false, true]),
            0,
            "the release asked for"
        );
        assert_eq!(
            representative(&members, &[], &[true, false]),
            0,
            "the one holding what the query quotes"
        );
    }

    #[test]
    fn overlapping_chunks_of_one_section_are_one_result_but_neighbours_are_not() {
        let a = chunk(
            "v15",
            "guide",
            "Mixed Mode",
            &format!("{CTL} More text follows here."),
        );
        let b = chunk("v15", "guide", "Mixed Mode", CTL);
        let c = chunk("v15", "guide", "Other", CTL);
        let all = [&a, &b, &c];
        let sets: Vec<_> = all.iter().map(|c| shingles(&c.text)).collect();
        assert_eq!(group(&all, &sets), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_reworded_passage_of_another_release_is_found_but_not_other_parts_of_the_section() {
        let old = chunk("v12.5.1", "guide", "CTL", CTL);
        let reworded = chunk(
            "v15",
            "guide",
            "CTL",
            &CTL.replace(
                "and the security tokens; phones download it at boot",
                "and of the CallManager; phones fetch it when they register",
            ),
        );
        let same = chunk("v12.5.1su1", "guide", "CTL", CTL);
        let other_part = chunk(
            "v14",
            "guide",
            "CTL",
            "Run utils ctl update CTLFile to finish.",
        );
        let elsewhere = chunk("v14su1", "guide", "Tokens", &reworded.text);
        let all = [&old, &same, &reworded, &other_part, &elsewhere];
        let sets: Vec<_> = all.iter().map(|c| shingles(&c.text)).collect();
        let groups = group(&all, &sets);
        assert_eq!(groups[0], [0, 1]);
        assert_eq!(reworded_in(&all, &sets, &groups[0], 0), [2]);
    }
}
