//! Checks against the real manuals of the second sample library
//! (`scripts/fetch-sample-docs`; `scripts/test` sets `MCDEWEY_SAMPLE_DOCS`).
//!
//! Page citations of PDF chunks are compared with poppler's `pdftotext -f N -l N`: the
//! cited physical page must contain the chunk's first sentence.

use mcdewey_core::Chunk;
use mcdewey_ingest::{discover, read_document, Format, IngestOptions};
use mcdewey_test_support::sample_docs;
use std::process::Command;
use unicode_normalization::UnicodeNormalization;

/// Chunks drawn per run; `MCDEWEY_PDF_DRAWN=N` draws more (an audit).
const DRAWN: usize = 20;

/// Letters and digits only, lower case, NFKC, with words hyphenated at a line end
/// rejoined: what both sides are compared in, so spacing and line breaks do not matter.
fn squash(text: &str) -> String {
    let joined = text.replace("-\n", "");
    joined
        .nfkc()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The chunk's first sentence, squashed, at most 80 characters.
fn first_sentence(chunk: &Chunk) -> String {
    let text = chunk.text.as_str();
    let end = text
        .char_indices()
        .find(|&(i, c)| c == '\n' || (c == '.' && text[i + 1..].starts_with(' ')))
        .map_or(text.len(), |(i, _)| i);
    squash(&text[..end]).chars().take(80).collect()
}

/// The page as `pdftotext` reads it, in its raw reading order or, with `layout`, line by
/// line as set on the page (raw order can move a section number away from its title).
fn page_text(pdf: &std::path::Path, page: u32, layout: bool) -> String {
    let mut cmd = Command::new("pdftotext");
    cmd.args([
        "-f",
        &page.to_string(),
        "-l",
        &page.to_string(),
        "-enc",
        "UTF-8",
    ]);
    if layout {
        cmd.arg("-layout");
    }
    let out = cmd
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A small deterministic generator, seeded per run (printed, so a failure can be replayed
/// with MCDEWEY_SEED).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn pdf_page_citations_match_pdftotext() {
    let Some(root) = sample_docs() else { return };
    let found = discover(&root).unwrap();
    let pdfs: Vec<_> = found
        .files
        .iter()
        .filter(|f| f.format == Format::Pdf)
        .collect();
    assert!(
        pdfs.len() >= 2,
        "expected the sample PDF manuals under {}",
        root.display()
    );
    let mut chunks = Vec::new();
    for file in &pdfs {
        let doc = read_document(file, &IngestOptions::default()).unwrap();
        assert!(
            doc.chunks.len() > 100,
            "{}: {} chunks",
            file.path.source(),
            doc.chunks.len()
        );
        // Every chunk of a sound PDF cites its physical page and printed label.
        assert!(doc
            .chunks
            .iter()
            .all(|c| c.location.pdf_page.is_some() && c.location.page.is_some()));
        let again = read_document(file, &IngestOptions::default()).unwrap();
        assert_eq!(
            doc.chunks, again.chunks,
            "chunks are stable across re-reads"
        );
        chunks.extend(doc.chunks.into_iter().map(|c| (file.abs.clone(), c)));
    }
    let seed = std::env::var("MCDEWEY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let drawn = std::env::var("MCDEWEY_PDF_DRAWN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DRAWN);
    eprintln!(
        "drawing {drawn} of {} PDF chunks, MCDEWEY_SEED={seed}",
        chunks.len()
    );
    let mut rng = Rng(seed);
    let mut misses = Vec::new();
    let mut checked = 0;
    while checked < drawn {
        let (pdf, chunk) = &chunks[rng.below(chunks.len())];
        let sentence = first_sentence(chunk);
        if sentence.len() < 12 {
            continue; // a bare number or symbol line proves nothing
        }
        checked += 1;
        let page = chunk.location.pdf_page.unwrap();
        let on_page = |layout| squash(&page_text(pdf, page, layout)).contains(&sentence);
        if !on_page(false) && !on_page(true) {
            misses.push(format!("{} cites page {page}: {:?}", chunk.id, sentence));
        }
    }
    eprintln!(
        "{} of {checked} first sentences not on the cited page",
        misses.len()
    );
    assert!(
        misses.is_empty(),
        "seed {seed}: first sentence not on the cited page:\n{}",
        misses.join("\n")
    );
}
