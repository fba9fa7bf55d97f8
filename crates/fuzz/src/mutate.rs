//! Input mutation: byte-level edits stacked one to eight deep, format tokens inserted,
//! and splices of two seeds, as coverage-guided fuzzers do without the coverage.

/// A small, fast, seedable generator (PCG-style LCG); the seed makes a run replayable.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let x = self.0;
        (x ^ (x >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 29)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Inputs never grow past this.
pub const MAX_INPUT: usize = 4 << 20;

/// A mutated copy of `seeds[pick]`, using `tokens` (format keywords) and the other seeds.
pub fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], tokens: &[&[u8]]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    let edits = 1 + rng.below(8);
    for _ in 0..edits {
        edit(rng, &mut data, seeds, tokens);
    }
    data.truncate(MAX_INPUT);
    data
}

fn edit(rng: &mut Rng, data: &mut Vec<u8>, seeds: &[Vec<u8>], tokens: &[&[u8]]) {
    let len = data.len();
    match rng.below(9) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Set a byte to an edge value or a random one.
        1 if len > 0 => {
            let i = rng.below(len);
            const EDGES: [u8; 8] = [0, 0xFF, 0x7F, 0x80, b'\n', b'0', b' ', b'\\'];
            data[i] = if rng.below(2) == 0 {
                EDGES[rng.below(EDGES.len())]
            } else {
                rng.next() as u8
            };
        }
        // Insert random bytes.
        2 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
        // Delete a range.
        3 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(256));
            data.drain(at..at + n);
        }
        // Duplicate a range in place (deep nesting, long runs).
        4 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(128));
            let piece = data[at..at + n].to_vec();
            let times = 1 + rng.below(16);
            for _ in 0..times {
                data.splice(at..at, piece.iter().copied());
            }
        }
        // Insert a format token.
        5 | 6 if !tokens.is_empty() => {
            let at = rng.below(len + 1);
            let token = tokens[rng.below(tokens.len())];
            data.splice(at..at, token.iter().copied());
        }
        // Splice: this input's head, another seed's tail.
        7 if !seeds.is_empty() => {
            let other = &seeds[rng.below(seeds.len())];
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        // Truncate.
        8 if len > 0 => {
            data.truncate(rng.below(len));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutation_is_seeded_and_bounded() {
        let seeds = vec![b"# Title\n\nSome text.\n".to_vec(), b"| a | b |\n".to_vec()];
        let tokens: &[&[u8]] = &[b"```", b"<div>"];
        let a: Vec<Vec<u8>> = {
            let mut r = Rng::new(7);
            (0..50).map(|_| mutate(&mut r, &seeds, tokens)).collect()
        };
        let b: Vec<Vec<u8>> = {
            let mut r = Rng::new(7);
            (0..50).map(|_| mutate(&mut r, &seeds, tokens)).collect()
        };
        assert_eq!(a, b, "the same seed gives the same inputs");
        assert!(a.iter().any(|x| x != &seeds[0] && x != &seeds[1]));
        assert!(a.iter().all(|x| x.len() <= MAX_INPUT));
    }
}
