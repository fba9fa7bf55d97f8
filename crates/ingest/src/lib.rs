//! Ingestion: discover library files, parse them into blocks with headings and pages,
//! and cut them into chunks that carry exact citations. No index code lives here.
//!
//! Every format's parser produces [`Block`]s (text, kind, source lines, page); the
//! [`chunker`] is format-neutral, so PDF and HTML parsers slot in beside [`markdown`].

pub mod blocks;
pub mod chunker;
pub mod contents;
pub mod discover;
pub mod fidelity;
pub mod furniture;
pub mod html;
mod inline;
pub mod markdown;
pub mod pages;
pub mod pdf;

pub use blocks::{Block, BlockKind};
pub use chunker::{chunk_blocks, ChunkDraft, ChunkOptions};
pub use discover::{
    discover, product_metadata, Discovery, Format, LibraryFile, ProductMetadata, Skipped,
    PRODUCT_METADATA,
};
pub use furniture::Furniture;
pub use inline::clean_inline;

use mcdewey_core::{Chunk, ChunkId};
use std::path::PathBuf;
use std::time::Duration;

/// Why a document or library could not be read. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The library folder is missing or not a folder.
    #[error("library folder {root}: {reason}")]
    LibraryUnreadable {
        /// The folder given.
        root: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// Library-relative path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is larger than the configured limit.
    #[error("{path}: file too large ({size} bytes, limit {limit} bytes; raise --max-file-size)")]
    TooLarge {
        /// Library-relative path.
        path: String,
        /// Its size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The parser failed on this file (a bug: please report it with the file).
    #[error("{path}: parser failed: {reason}")]
    Parser {
        /// Library-relative path.
        path: String,
        /// What the parser reported.
        reason: String,
    },
    /// A file that took longer than its parse budget.
    #[error("{path}: parsing took longer than {seconds} s (--parse-timeout); skipped so it cannot stall the run")]
    TooSlow {
        /// Library-relative path.
        path: String,
        /// The budget.
        seconds: f64,
    },
    /// A page nested deeper than any manual is (a parser would take minutes on it).
    #[error(
        "{path}: elements nested {depth} deep (limit {limit}); skipped so it cannot stall the run"
    )]
    TooDeep {
        /// Library-relative path.
        path: String,
        /// The depth found (counting stops just past the limit).
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// A PDF that cannot be read (damaged, encrypted, too slow).
    #[error("{path}: {source}")]
    Pdf {
        /// Library-relative path.
        path: String,
        /// What went wrong.
        source: pdf::PdfError,
    },
    /// A file with a text extension holds binary data.
    #[error("{path}: binary content in a .{ext} file ({reason})")]
    Binary {
        /// Library-relative path.
        path: String,
        /// Its extension.
        ext: String,
        /// What gave it away.
        reason: String,
    },
}

/// Settings for reading documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOptions {
    /// Chunk size bounds.
    pub chunk: ChunkOptions,
    /// Files larger than this are refused.
    pub max_file_bytes: u64,
    /// Time one PDF may take to read; past it the file is reported and skipped.
    pub pdf_timeout: Duration,
    /// Time one HTML, Markdown or text file may take to parse; past it the file is
    /// reported and skipped, and the run goes on.
    pub parse_timeout: Duration,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            chunk: ChunkOptions::default(),
            max_file_bytes: 32 * 1024 * 1024,
            pdf_timeout: Duration::from_secs(120),
            parse_timeout: Duration::from_secs(60),
        }
    }
}

/// A parsed document and its chunks.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from.
    pub file: LibraryFile,
    /// blake3 of the file's bytes, hex.
    pub content_hash: String,
    /// Its chunks, ordinals from 0 in file order.
    pub chunks: Vec<Chunk>,
    /// Problems that did not stop indexing (e.g. invalid UTF-8 replaced).
    pub warnings: Vec<String>,
    /// How much of a reference reading of the file its chunks keep; `None` when no
    /// reference could be made (a PDF without `pdftotext` installed).
    pub fidelity: Option<fidelity::Fidelity>,
}

/// The message a panic carried (`panic!("…")` gives a `&str` or a `String`), if any: how
/// the guards around parsers report a caught panic.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// The blake3 hash of a file's bytes, hex: the key of incremental indexing.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Bumped whenever parsing or chunking changes the chunks of an unchanged file, so that
/// indexes built before are rebuilt.
pub const PARSER_VERSION: u32 = 15;

/// Reads, parses and chunks one library file.
pub fn read_document(file: &LibraryFile, opts: &IngestOptions) -> Result<Document, IngestError> {
    let bytes = read_bytes(file, opts)?;
    parse_document(file, &bytes, opts)
}

/// Reads a library file's bytes, refusing files over the size limit.
pub fn read_bytes(file: &LibraryFile, opts: &IngestOptions) -> Result<Vec<u8>, IngestError> {
    let source = file.path.source();
    let io = |e: std::io::Error| IngestError::Io {
        path: source.clone(),
        source: e,
    };
    let size = std::fs::metadata(&file.abs).map_err(io)?.len();
    if size > opts.max_file_bytes {
        return Err(IngestError::TooLarge {
            path: source,
            size,
            limit: opts.max_file_bytes,
        });
    }
    std::fs::read(&file.abs).map_err(io)
}

/// Parses and chunks a document from its bytes.
pub fn parse_document(
    file: &LibraryFile,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<Document, IngestError> {
    let parsed = parse_blocks(file, bytes, opts)?;
    Ok(finish_document(file, parsed, opts, &Furniture::default()))
}

/// A document read into blocks and not yet chunked: indexing reads every page of an
/// HTML doc set this far to learn its [`Furniture`] before chunking any.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// blake3 of the file's bytes, hex.
    pub content_hash: String,
    /// Its blocks in reading order.
    pub blocks: Vec<Block>,
    /// Problems that did not stop reading.
    pub warnings: Vec<String>,
    /// The reference reading fidelity is measured against, and what it is.
    reference: Option<(String, &'static str)>,
}

/// Parses a document from its bytes into blocks (the first half of [`parse_document`]).
pub fn parse_blocks(
    file: &LibraryFile,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<Parsed, IngestError> {
    let source = file.path.source();
    let (blocks, warnings, reference) = match file.format {
        Format::Pdf => {
            let (blocks, warnings) = pdf_blocks(&source, bytes, opts)?;
            let reference = fidelity::pdf_reference(&file.abs, opts.pdf_timeout)
                .map(|text| (text, "pdftotext reading"));
            (blocks, warnings, reference)
        }
        Format::Markdown | Format::Text | Format::Html => {
            let (blocks, warnings, reference) =
                text_blocks_within(file, &source, bytes, opts.parse_timeout)?;
            (blocks, warnings, Some(reference))
        }
    };
    Ok(Parsed {
        content_hash: content_hash(bytes),
        blocks,
        warnings,
        reference,
    })
}

/// Chunks a parsed document, less its doc set's `furniture` (the second half of
/// [`parse_document`]). Furniture dropped counts as accounted for in the fidelity
/// measure: it is reported once for the doc set, not lost.
pub fn finish_document(
    file: &LibraryFile,
    parsed: Parsed,
    opts: &IngestOptions,
    furniture: &Furniture,
) -> Document {
    let source = file.path.source();
    let Parsed {
        content_hash,
        blocks,
        mut warnings,
        reference,
    } = parsed;
    let (blocks, dropped) = furniture.strip(blocks);
    let drafts = chunk_blocks(&blocks, &opts.chunk);
    if drafts.is_empty() && file.format != Format::Pdf {
        warnings.push(format!("{source}: no text to index"));
    }
    let prefix = ChunkId::document_prefix(&file.path, &file.stem);
    let chunks = drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| Chunk {
            id: ChunkId::new(prefix.clone(), u32::try_from(i).unwrap_or(u32::MAX)),
            source: source.clone(),
            product: file.path.product.clone(),
            version: file.path.version.clone(),
            doc_set: file.path.doc_set.clone(),
            heading: d.heading,
            location: d.location,
            text: d.text,
            raw: d.raw,
        })
        .collect::<Vec<Chunk>>();
    let fidelity = reference.map(|(text, what)| {
        let kept = chunks.iter().map(|c| c.text.as_str());
        fidelity::measure(
            &text,
            what,
            kept.chain(dropped.iter().map(|b| b.text.as_str())),
        )
    });
    warnings.extend(fidelity.as_ref().and_then(|f| f.warning(&source)));
    Document {
        file: file.clone(),
        content_hash,
        chunks,
        warnings,
        fidelity,
    }
}

/// [`text_blocks`] on a worker thread, given up after `budget`: no file can hold the
/// run. A thread past its budget is left to finish on its own.
fn text_blocks_within(
    file: &LibraryFile,
    source: &str,
    bytes: &[u8],
    budget: Duration,
) -> Result<TextBlocks, IngestError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (owned_file, owned_source, owned) = (file.clone(), source.to_string(), bytes.to_vec());
    let spawned = std::thread::Builder::new()
        .name("mcdewey-parse".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                text_blocks(&owned_file, &owned_source, &owned)
            }))
            .unwrap_or_else(|p| {
                Err(IngestError::Parser {
                    path: owned_source.clone(),
                    reason: panic_text(&*p).unwrap_or_else(|| "panicked".into()),
                })
            });
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(IngestError::Parser {
            path: source.to_string(),
            reason: format!("cannot start a parser thread: {e}"),
        });
    }
    match rx.recv_timeout(budget) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(IngestError::TooSlow {
            path: source.to_string(),
            seconds: budget.as_secs_f64(),
        }),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(IngestError::Parser {
            path: source.to_string(),
            reason: "the parser thread stopped without an answer".into(),
        }),
    }
}

/// Blocks of a text file, warnings, and the reference reading its fidelity is measured
/// against, with what that reading is.
type TextBlocks = (Vec<Block>, Vec<String>, (String, &'static str));

/// Blocks of a Markdown, plain-text or HTML file, warnings, and its reference reading
/// ([`fidelity`]).
fn text_blocks(file: &LibraryFile, source: &str, bytes: &[u8]) -> Result<TextBlocks, IngestError> {
    let mut warnings = Vec::new();
    let text = decode_text(bytes).map_err(|reason| IngestError::Binary {
        path: source.to_string(),
        ext: file.path.extension().unwrap_or_default(),
        reason,
    })?;
    let text = match text {
        Decoded::Clean(t) => t,
        Decoded::Repaired {
            text,
            first_bad,
            bad,
        } => {
            warnings.push(format!(
                "{source}: invalid UTF-8 ({bad} bad sequence(s), first at byte {first_bad}); replaced with U+FFFD"
            ));
            text
        }
    };
    let (blocks, reference) = match file.format {
        Format::Text => (
            markdown::parse_text(&text, markdown::Dialect::PlainText),
            (text.clone(), "file's text"),
        ),
        Format::Html => {
            let depth = html::nesting_depth(&text, html::MAX_NESTING);
            if depth > html::MAX_NESTING {
                return Err(IngestError::TooDeep {
                    path: source.to_string(),
                    depth,
                    limit: html::MAX_NESTING,
                });
            }
            let parsed = scraper::Html::parse_document(&text);
            let page = html::document_to_markdown(&parsed);
            let mut md = page.markdown;
            // A page without a top heading is titled by its <title>, so its first
            // chunks (navigation generators put h2/h3 first or none) carry one; when
            // its first heading already reads as the title (DocBook's `<h2>20.5. Write
            // Ahead Log</h2>`), that heading becomes the top one instead of being
            // cited twice ("20.5. Write Ahead Log › 20.5. Write Ahead Log").
            let has_title = md.lines().any(|l| l.starts_with("# "));
            if let (false, Some(title)) = (has_title, page.title) {
                md = titled(&md, &title);
            }
            (
                markdown::parse_text(&md, markdown::Dialect::Markdown),
                (fidelity::html_reference_of(&parsed), "page's shown text"),
            )
        }
        _ => (
            markdown::parse_text(&text, markdown::Dialect::Markdown),
            (fidelity::markdown_reference(&text), "file's text"),
        ),
    };
    Ok((blocks, warnings, reference))
}

/// Markdown of a page without a top-level heading, given one: its first heading promoted
/// when it reads as `title`, else `title` put first.
fn titled(md: &str, title: &str) -> String {
    // Words as read: Markdown escapes (`pg\_dump`), emphasis and code marks aside.
    let words = |s: &str| {
        s.replace(['\\', '*', '`', '_'], "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let first = md.lines().enumerate().find_map(|(i, l)| {
        let t = l.trim_start_matches('#');
        (t.len() < l.len() && t.starts_with(' ')).then_some((i, t))
    });
    match first {
        Some((i, heading)) if words(heading) == words(title) => md
            .lines()
            .enumerate()
            .map(|(n, l)| {
                if n == i {
                    format!("#{}", l.trim_start_matches('#'))
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => format!("# {title}\n\n{md}"),
    }
}

/// Blocks of a PDF, and warnings (damaged pages, withheld page numbers, no text layer).
fn pdf_blocks(
    source: &str,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<(Vec<Block>, Vec<String>), IngestError> {
    let text = pdf::read_pdf(bytes, opts.pdf_timeout).map_err(|e| IngestError::Pdf {
        path: source.to_string(),
        source: e,
    })?;
    let mut warnings: Vec<String> = text
        .warnings
        .iter()
        .map(|w| format!("{source}: {w}"))
        .collect();
    if let Some(reason) = &text.degraded {
        warnings.push(format!(
            "{source}: page numbers withheld, they may be wrong: {reason}"
        ));
    }
    let (blocks, layout_warnings) = pdf::pdf_blocks(&text);
    warnings.extend(
        layout_warnings
            .into_iter()
            .map(|w| format!("{source}: {w}")),
    );
    if blocks.is_empty() {
        warnings.push(format!(
            "{source}: no text layer in {} page(s) (a scanned or image-only PDF?); nothing to index",
            text.pages.len()
        ));
    }
    Ok((blocks, warnings))
}

enum Decoded {
    Clean(String),
    Repaired {
        text: String,
        first_bad: usize,
        bad: usize,
    },
}

/// Decodes UTF-8 text (a BOM is dropped). NUL bytes, or invalid sequences in more than
/// 30 % of the characters, mean binary
/// content; fewer invalid sequences (a Latin-1 file) are replaced and reported.
fn decode_text(bytes: &[u8]) -> Result<Decoded, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(pos) = bytes.iter().take(1 << 16).position(|&b| b == 0) {
        return Err(format!("NUL byte at offset {pos}"));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Decoded::Clean(s.to_string())),
        Err(err) => {
            let first_bad = err.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let bad = text.matches('\u{FFFD}').count();
            if bad * 10 > text.chars().count().max(1) * 3 {
                return Err(format!(
                    "not UTF-8 text: {bad} invalid sequences, first at byte {first_bad}"
                ));
            }
            Ok(Decoded::Repaired {
                text,
                first_bad,
                bad,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcdewey_core::DocPath;

    fn file(rel: &str) -> LibraryFile {
        let path = DocPath::parse(rel).unwrap();
        LibraryFile {
            stem: path.stem(),
            format: Format::from_extension(&path.extension().unwrap()).unwrap(),
            abs: PathBuf::from("/nowhere").join(rel),
            size: 0,
            changed: None,
            path,
        }
    }

    #[test]
    fn chunks_get_ids_in_file_order() {
        let f = file("cucm/v15/security-guide/security-modes.md");
        let doc = parse_document(
            &f,
            b"# Security Modes\n\nText one.\n",
            &IngestOptions::default(),
        )
        .unwrap();
        assert_eq!(doc.chunks.len(), 1);
        assert_eq!(
            doc.chunks[0].id.to_string(),
            "cucm::v15::security-guide::security-modes::0"
        );
        assert_eq!(
            doc.chunks[0].source,
            "cucm/v15/security-guide/security-modes.md"
        );
        assert_eq!(doc.chunks[0].heading, ["Security Modes"]);
        assert!(doc.warnings.is_empty());
    }

    #[test]
    fn a_page_titled_by_its_first_heading_cites_it_once() {
        let page = |h2: &str| {
            format!(
                "<html><head><title>20.5. Write_Ahead Log</title></head><body>\
                 <div class=\"sect1\"><h2 class=\"title\">{h2}</h2><p>Settings of the WAL.</p>\
                 <h3>20.5.6. Recovery Target</h3><p>Where recovery stops.</p></div></body></html>"
            )
        };
        let f = file("postgresql/v15/manual/runtime-config-wal.html");
        let opts = IngestOptions::default();
        let same = parse_document(
            &f,
            page("20.5. <b>Write_Ahead</b> <code>Log</code>").as_bytes(),
            &opts,
        )
        .unwrap();
        assert_eq!(same.chunks[0].heading, ["20.5. Write_Ahead Log"]);
        let other = parse_document(&f, page("Settings").as_bytes(), &opts).unwrap();
        assert_eq!(
            other.chunks[0].heading,
            ["20.5. Write_Ahead Log", "Settings"],
            "a first heading that is not the title stays under it"
        );
    }

    #[test]
    fn every_document_reports_the_share_of_its_text_kept() {
        // A DocBook page: its navigation is not text to keep, its TIP box and the
        // function term (once lost to nested code spans) are.
        let html = br#"<html><head><title>Functions</title></head><body>
            <div class="navheader"><a href="a.html">Prev</a> <a href="b.html">Next</a></div>
            <h1>Functions</h1>
            <dl><dt><code class="literal"><code class="function">encode_bytea(<em><code>string</code></em>)</code></code></dt>
            <dd><p>Return the <code>bytea</code> form, e.g. <code>-target &lt;triple&gt;</code>.</p></dd></dl>
            <div class="sidebar"><p>TIP: run <code>dpkg --get-selections</code> first.</p></div>
            </body></html>"#;
        let doc = parse_document(
            &file("pg/v15/manual/functions.html"),
            html,
            &IngestOptions::default(),
        )
        .unwrap();
        let f = doc.fidelity.expect("measured");
        assert_eq!(f.reference, "page's shown text");
        assert_eq!(f.kept_words, f.reference_words, "{f:?} {:#?}", doc.chunks);
        assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
        // A PDF is measured against pdftotext's reading when that is installed; a
        // file that is not on disk has none.
        let pdf = parse_document(
            &file("p/v1/d/x.pdf"),
            b"%PDF-1.4",
            &IngestOptions::default(),
        );
        assert!(pdf.map_or(true, |d| d.fidelity.is_none()));
    }

    #[test]
    fn binary_and_invalid_utf8_are_reported_with_the_file_name() {
        let f = file("p/v1/d/image.md");
        let err =
            parse_document(&f, b"\x89PNG\r\n\x1a\n\0\0\0", &IngestOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p/v1/d/image.md: binary content in a .md file (NUL byte at offset 8)"
        );
        let doc = parse_document(
            &f,
            b"Caf\xe9 menu and more text here.\n",
            &IngestOptions::default(),
        )
        .unwrap();
        assert_eq!(doc.chunks.len(), 1);
        assert!(doc.warnings[0]
            .starts_with("p/v1/d/image.md: invalid UTF-8 (1 bad sequence(s), first at byte 3)"));
        let noise: Vec<u8> = (0..400).map(|i| 0x80 + (i % 60) as u8).collect();
        let err = parse_document(&f, &noise, &IngestOptions::default()).unwrap_err();
        assert!(err.to_string().contains("not UTF-8 text"), "{err}");
    }

    #[test]
    fn files_over_the_limit_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let abs = dir.path().join("big.md");
        std::fs::write(&abs, vec![b'a'; 2048]).unwrap();
        let mut f = file("p/v1/d/big.md");
        f.abs = abs;
        let opts = IngestOptions {
            max_file_bytes: 1024,
            ..Default::default()
        };
        let err = read_document(&f, &opts).unwrap_err();
        assert_eq!(
            err.to_string(),
            "p/v1/d/big.md: file too large (2048 bytes, limit 1024 bytes; raise --max-file-size)"
        );
    }

    #[test]
    fn a_file_past_its_parse_budget_is_reported_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let rel = "p/v1/guide/big.html";
        let page = format!(
            "<html><body>{}</body></html>",
            "<p>words of text here</p>".repeat(200_000)
        );
        let abs = dir.path().join(rel);
        std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
        std::fs::write(&abs, &page).unwrap();
        let file = discover(dir.path()).unwrap().files.remove(0);
        let opts = IngestOptions {
            parse_timeout: Duration::from_millis(1),
            ..Default::default()
        };
        let err = parse_document(&file, page.as_bytes(), &opts).unwrap_err();
        assert!(matches!(err, IngestError::TooSlow { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("p/v1/guide/big.html: parsing took longer than"),
            "{err}"
        );
        // With time enough, the same file parses.
        let doc = parse_document(&file, page.as_bytes(), &IngestOptions::default()).unwrap();
        assert!(!doc.chunks.is_empty());
    }
}
