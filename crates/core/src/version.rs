use std::cmp::Ordering;

/// Normalises a version as people write it to the form of version folders:
/// lower case, no leading `v`, `(` turned into `.`, `)` and spaces dropped.
///
/// `12.5(1)SU1`, `v12.5.1su1` and `12.5.1 SU1` all become `12.5.1su1`.
pub fn normalize_version(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let body = lower.strip_prefix('v').unwrap_or(&lower);
    let mut out = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '(' => out.push('.'),
            ')' | ' ' | '_' => {}
            c => out.push(c),
        }
    }
    out
}

/// A product version with an ordering that understands release trains:
/// `v12.5.1 < v12.5.1su1 < v12.5.1su2 < v14 < v14su1 < v15`.
///
/// The version is split into numbers and words. Numbers compare numerically, a missing
/// number counts as 0 (`v14 == v14.0`). A word that marks a pre-release (`alpha`,
/// `beta`, `rc`, `pre`, `dev`, `preview`) sorts before the plain release; any other
/// word (`su`, `sp`, `es`, `patch`…) marks a later update and sorts after it.
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(u64),
    Word(String),
}

const PRE_RELEASE: &[&str] = &["alpha", "a", "beta", "b", "rc", "pre", "preview", "dev"];

impl Version {
    /// Parses a version folder name or a version as people write it.
    pub fn parse(text: &str) -> Version {
        let norm = normalize_version(text);
        let mut parts = Vec::new();
        let mut chars = norm.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                let mut n: u64 = 0;
                while let Some(&d) = chars.peek() {
                    let Some(v) = d.to_digit(10) else { break };
                    n = n.saturating_mul(10).saturating_add(u64::from(v));
                    chars.next();
                }
                parts.push(Part::Num(n));
            } else if c.is_alphabetic() {
                let mut w = String::new();
                while let Some(&d) = chars.peek() {
                    if !d.is_alphabetic() {
                        break;
                    }
                    w.push(d);
                    chars.next();
                }
                parts.push(Part::Word(w));
            } else {
                chars.next();
            }
        }
        Version {
            raw: text.to_string(),
            parts,
        }
    }

    /// The text the version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether `text` names this version (`12.5(1)SU1` names `v12.5.1su1`).
    pub fn matches(&self, text: &str) -> bool {
        normalize_version(&self.raw) == normalize_version(text)
    }
}

fn is_pre_release(word: &str) -> bool {
    PRE_RELEASE.contains(&word)
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.parts, &other.parts);
        let n = a.len().max(b.len());
        for i in 0..n {
            let ord = match (a.get(i), b.get(i)) {
                (Some(Part::Num(x)), Some(Part::Num(y))) => x.cmp(y),
                (Some(Part::Num(x)), None) => x.cmp(&0),
                (None, Some(Part::Num(y))) => 0.cmp(y),
                // A word where the other side has ended: pre-releases come first.
                (Some(Part::Word(w)), None) => {
                    if is_pre_release(w) {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (None, Some(Part::Word(w))) => {
                    if is_pre_release(w) {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                // A word against a number: `14su1` vs `14.1`: the number (a new minor
                // release) is later than an update of the earlier one.
                (Some(Part::Word(_)), Some(Part::Num(_))) => Ordering::Less,
                (Some(Part::Num(_)), Some(Part::Word(_))) => Ordering::Greater,
                (Some(Part::Word(x)), Some(Part::Word(y))) => {
                    match (is_pre_release(x), is_pre_release(y)) {
                        (true, false) => Ordering::Less,
                        (false, true) => Ordering::Greater,
                        _ => x.cmp(y),
                    }
                }
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_release_trains() {
        let order = [
            "v12.5.1",
            "v12.5.1su1",
            "v12.5.1su2",
            "v14",
            "v14su1",
            "v14.1",
            "v15",
        ];
        for pair in order.windows(2) {
            assert!(
                Version::parse(pair[0]) < Version::parse(pair[1]),
                "{} < {}",
                pair[0],
                pair[1]
            );
        }
        let mut shuffled: Vec<Version> = [
            "v15",
            "v12.5.1su2",
            "v14su1",
            "v12.5.1",
            "v14",
            "v12.5.1su1",
        ]
        .iter()
        .map(|v| Version::parse(v))
        .collect();
        shuffled.sort();
        let names: Vec<&str> = shuffled.iter().map(Version::as_str).collect();
        assert_eq!(
            names,
            [
                "v12.5.1",
                "v12.5.1su1",
                "v12.5.1su2",
                "v14",
                "v14su1",
                "v15"
            ]
        );
    }

    #[test]
    fn pre_releases_come_first_and_trailing_zeros_are_equal() {
        assert!(Version::parse("v16rc1") < Version::parse("v16"));
        assert!(Version::parse("v16beta2") < Version::parse("v16rc1"));
        assert_eq!(Version::parse("v14"), Version::parse("14.0"));
        assert!(Version::parse("v9") < Version::parse("v10"));
    }

    #[test]
    fn written_forms_match_folder_names() {
        assert_eq!(normalize_version("12.5(1)SU1"), "12.5.1su1");
        assert!(Version::parse("v12.5.1su1").matches("12.5(1)SU1"));
        assert!(Version::parse("v15").matches("15"));
        assert!(!Version::parse("v15").matches("v14"));
    }
}
