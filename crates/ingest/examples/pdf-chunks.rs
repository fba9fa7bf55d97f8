//! Prints, for every PDF of a library, its outline and its chunks (heading path, page,
//! start of the text) as JSON lines: the input of `scripts/pdf-heading-check`, which
//! compares chunk heading paths with the outline at the chunk's start.
//!
//! `cargo run --release -p mcdewey-ingest --example pdf-chunks -- LIBRARY`
use mcdewey_ingest::{Format, IngestOptions};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).ok_or("usage: pdf-chunks LIBRARY")?;
    let opts = IngestOptions::default();
    for file in mcdewey_ingest::discover(std::path::Path::new(&root))?.files {
        if file.format != Format::Pdf {
            continue;
        }
        let bytes = std::fs::read(&file.abs)?;
        let pdf = mcdewey_ingest::pdf::read_pdf(&bytes, opts.pdf_timeout)?;
        let doc = mcdewey_ingest::parse_document(&file, &bytes, &opts)?;
        let outline: Vec<_> = pdf
            .outline
            .iter()
            .map(|e| json!({"level": e.level, "title": e.title, "page": e.page}))
            .collect();
        let chunks: Vec<_> = doc
            .chunks
            .iter()
            .map(|c| json!({"id": c.id.to_string(), "heading": c.heading, "pdf_page": c.location.pdf_page, "text": c.text.chars().take(160).collect::<String>()}))
            .collect();
        let line = json!({"file": file.abs, "outline": outline, "chunks": chunks});
        println!("{line}");
    }
    Ok(())
}
