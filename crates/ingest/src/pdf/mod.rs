//! PDF: per-page text in reading order, the physical page index and the printed label
//! (`/PageLabels`), and the outline (bookmarks), read with `pdf-extract` over `lopdf`.
//!
//! A PDF is untrusted input: the text extractor can panic inside a broken page and can
//! take long on a hostile one, so every document runs on its own thread under a time
//! budget, panics are caught per page, and a document whose page tree does not add up is
//! marked degraded (its text is kept, its page citations are not).

mod labels;
mod layout;
mod outline;
mod structure;
mod text;

pub use layout::pdf_blocks;
pub use text::quiet_worker_panics;

use lopdf::{Dictionary, Document, Object};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One line of text as laid out on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfLine {
    /// The line's text, NFKC-normalised, control characters removed.
    pub text: String,
    /// Distance of the baseline from the top of the page, in points.
    pub y: f64,
    /// The largest font size on the line, in points.
    pub size: f64,
}

/// The text of one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfPage {
    /// Physical page number, 1-based, in page-tree order: what `pdftotext -f N` means.
    pub index: u32,
    /// The printed page label (`/PageLabels`), when the PDF defines labels.
    pub label: Option<String>,
    /// Page height in points (0 when unknown).
    pub height: f64,
    /// Lines in reading order.
    pub lines: Vec<PdfLine>,
}

/// One outline (bookmark) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineEntry {
    /// Depth, 1 for top-level entries.
    pub level: u8,
    /// The bookmark's title.
    pub title: String,
    /// The physical page it points to.
    pub page: u32,
}

/// What was read from a PDF.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PdfText {
    /// Every page, in order.
    pub pages: Vec<PdfPage>,
    /// The outline, in document order; empty when the PDF has none.
    pub outline: Vec<OutlineEntry>,
    /// Why page numbers cannot be trusted, when they cannot (page tree damaged, a page
    /// failed). Text is still indexed; page citations are withheld.
    pub degraded: Option<String>,
    /// Problems that did not stop reading, one line each.
    pub warnings: Vec<String>,
}

/// Why a PDF could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// Not a PDF, or damaged past reading.
    #[error("not a readable PDF: {0}")]
    Unreadable(String),
    /// Encrypted with a password we do not have.
    #[error("encrypted PDF: it needs a password, which McDewey does not have")]
    Encrypted,
    /// Text extraction ran past the time budget.
    #[error("text extraction took longer than {0} s (raise --pdf-timeout for very large PDFs)")]
    Timeout(u64),
}

/// Reads a PDF's pages, labels and outline on a worker thread, giving up after `budget`.
///
/// The extractor checks the deadline as it goes, so a slow document stops soon after the
/// budget; the wait here has a margin on top for one that is stuck inside a single call.
pub fn read_pdf(bytes: &[u8], budget: Duration) -> Result<PdfText, PdfError> {
    text::quiet_worker_panics();
    let (tx, rx) = mpsc::channel();
    let bytes = bytes.to_vec();
    let deadline = Instant::now() + budget;
    let spawned = std::thread::Builder::new()
        .name(text::WORKER_THREAD.into())
        // Room for the extractor's recursion on deeply nested, but finite, content.
        .stack_size(64 << 20)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| read_pdf_now(&bytes, deadline)))
                .unwrap_or_else(|p| Err(PdfError::Unreadable(text::panic_message(&p))));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(PdfError::Unreadable(format!(
            "cannot start a reader thread: {e}"
        )));
    }
    match rx.recv_timeout(budget + Duration::from_secs(5)) {
        Ok(result) => result,
        // The thread is left to finish on its own; nothing waits for it.
        Err(_) => Err(PdfError::Timeout(budget.as_secs())),
    }
}

/// Reads a PDF on the calling thread, stopping at `deadline`.
fn read_pdf_now(bytes: &[u8], deadline: Instant) -> Result<PdfText, PdfError> {
    let (mut doc, emptied) = structure::load_bounded(bytes).map_err(|e| {
        let msg = e.to_string();
        if msg.to_lowercase().contains("decrypt") || msg.to_lowercase().contains("password") {
            PdfError::Encrypted
        } else {
            PdfError::Unreadable(msg)
        }
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(PdfError::Encrypted);
    }
    let page_ids = doc.get_pages();
    if page_ids.is_empty() {
        return Err(PdfError::Unreadable("the page tree lists no pages".into()));
    }
    structure::check_structure(&doc, &page_ids)?;
    let mut out = PdfText::default();
    let declared = declared_page_count(&doc);
    if let Some(count) = declared.filter(|&c| c != page_ids.len()) {
        out.degraded = Some(format!(
            "the page tree declares {count} pages but {} were found",
            page_ids.len()
        ));
    }
    let labels = labels::page_labels(&doc, page_ids.len());
    out.outline = outline::read_outline(&doc, &page_ids);
    let (pages, failures) = text::page_texts(&doc, &page_ids, deadline)?;
    if !failures.is_empty() {
        out.warnings.push(format!(
            "{} page(s) could not be read ({})",
            failures.len(),
            listed(&failures, "; ")
        ));
        out.degraded
            .get_or_insert_with(|| "some pages could not be read".into());
    }
    if emptied > 0 {
        out.warnings.push(format!(
            "{emptied} stream(s) inflating past {} MiB (a decompression bomb?) left out so they cannot exhaust memory; text they draw is missing",
            structure::MAX_STREAM_BYTES >> 20
        ));
    }
    let outside: Vec<u32> = pages
        .iter()
        .filter(|p| p.outside > 0)
        .map(|p| p.number)
        .collect();
    if !outside.is_empty() {
        out.warnings.push(format!(
            "{} character(s) drawn outside the visible page area left out (page(s) {})",
            pages.iter().map(|p| p.outside).sum::<usize>(),
            listed(&outside, ", ")
        ));
    }
    out.pages = pages
        .into_iter()
        .map(|p| PdfPage {
            index: p.number,
            label: labels
                .as_ref()
                .and_then(|l| l.get(p.number as usize - 1).cloned()),
            height: p.height,
            lines: p.lines,
        })
        .collect();
    Ok(out)
}

/// The first five items joined by `sep`, and `…` after them when there are more: how a
/// warning names the pages it is about.
fn listed<T: std::fmt::Display>(items: &[T], sep: &str) -> String {
    let mut out = items
        .iter()
        .take(5)
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > 5 {
        out.push_str(sep);
        out.push('…');
    }
    out
}

/// `/Count` of the root `/Pages` node, when present.
fn declared_page_count(doc: &Document) -> Option<usize> {
    let catalog = doc.catalog().ok()?;
    let pages = doc.dereference(catalog.get(b"Pages").ok()?).ok()?.1;
    let count = pages.as_dict().ok()?.get(b"Count").ok()?.as_i64().ok()?;
    usize::try_from(count).ok()
}

/// Follows a reference (chain) to the object it names.
pub(crate) fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    doc.dereference(obj).ok().map(|(_, o)| o)
}

/// Nodes of a number or name tree visited at most; real trees have a handful.
const MAX_TREE_NODES: usize = 20_000;

/// Calls `pair` with every (key, value) of a PDF number tree (`leaf_key` = `Nums`) or
/// name tree (`Names`) rooted at `node` (PDF 32000-1 §7.9.6-7), following `/Kids` with
/// bounds on depth and nodes, so a looping tree ends instead of hanging.
pub(crate) fn walk_tree<'a>(
    doc: &'a Document,
    node: &'a Dictionary,
    leaf_key: &[u8],
    pair: &mut dyn FnMut(&'a Object, &'a Object),
) {
    fn walk<'a>(
        doc: &'a Document,
        node: &'a Dictionary,
        leaf_key: &[u8],
        depth: usize,
        visited: &mut usize,
        pair: &mut dyn FnMut(&'a Object, &'a Object),
    ) {
        *visited += 1;
        if depth > 32 || *visited > MAX_TREE_NODES {
            return;
        }
        let array = |key: &[u8]| match node.get(key).ok().and_then(|o| deref(doc, o)) {
            Some(Object::Array(a)) => Some(a),
            _ => None,
        };
        for p in array(leaf_key).into_iter().flat_map(|a| a.chunks_exact(2)) {
            pair(&p[0], &p[1]);
        }
        for kid in array(b"Kids").into_iter().flatten() {
            if let Some(Ok(kid)) = deref(doc, kid).map(Object::as_dict) {
                walk(doc, kid, leaf_key, depth + 1, visited, pair);
            }
        }
    }
    let mut visited = 0;
    walk(doc, node, leaf_key, 0, &mut visited, pair);
}

/// Decodes a PDF text string: UTF-16BE with a byte-order mark, else PDFDocEncoding
/// (read as Latin-1, which it matches for letters).
pub(crate) fn decode_pdf_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

pub mod writer;

#[cfg(test)]
mod tests {
    use super::writer::{build_pdf, TestPage};
    use super::*;

    #[test]
    fn reads_pages_labels_and_outline() {
        let bytes = build_pdf(
            &[
                TestPage::lines(&["Front matter"]),
                TestPage::lines(&["Getting Started", "Install the package first."]),
                TestPage::lines(&["Configuration", "Set the options you need."]),
            ],
            Some(&[(0, "r", ""), (1, "D", "")]),
            &[(1, "Getting Started", 2), (2, "Configuration", 3)],
        );
        let pdf = read_pdf(&bytes, Duration::from_secs(30)).unwrap();
        assert_eq!(pdf.pages.len(), 3);
        assert_eq!(pdf.pages[0].label.as_deref(), Some("i"));
        assert_eq!(pdf.pages[1].label.as_deref(), Some("1"));
        assert_eq!(pdf.pages[2].label.as_deref(), Some("2"));
        assert_eq!(pdf.pages[1].index, 2);
        let texts: Vec<&str> = pdf.pages[1].lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Getting Started", "Install the package first."]);
        assert_eq!(
            pdf.outline,
            [
                OutlineEntry {
                    level: 1,
                    title: "Getting Started".into(),
                    page: 2
                },
                OutlineEntry {
                    level: 2,
                    title: "Configuration".into(),
                    page: 3
                }
            ]
        );
        assert!(pdf.degraded.is_none());
    }

    #[test]
    fn broken_files_are_clear_errors() {
        let bytes = build_pdf(&[TestPage::lines(&["Some text."])], None, &[]);
        for (name, input) in [
            ("empty", Vec::new()),
            ("not a pdf", b"hello, this is not a PDF at all".to_vec()),
            ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ] {
            let err = read_pdf(&input, Duration::from_secs(30)).unwrap_err();
            assert!(matches!(err, PdfError::Unreadable(_)), "{name}: {err:?}");
        }
    }

    fn encrypted(user_password: &str) -> Vec<u8> {
        use lopdf::encryption::{EncryptionState, EncryptionVersion, Permissions};
        let plain = build_pdf(&[TestPage::lines(&["Secret text on the page."])], None, &[]);
        let mut doc = Document::load_mem(&plain).unwrap();
        let id = Object::String(
            b"0123456789abcdef".to_vec(),
            lopdf::StringFormat::Hexadecimal,
        );
        doc.trailer.set("ID", vec![id.clone(), id]);
        let state = EncryptionState::try_from(EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password,
            key_length: 128,
            permissions: Permissions::all(),
        })
        .unwrap();
        doc.encrypt(&state).unwrap();
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn encrypted_pdfs_need_a_password_unless_it_is_empty() {
        let err = read_pdf(&encrypted("user"), Duration::from_secs(30)).unwrap_err();
        assert_eq!(err, PdfError::Encrypted, "{err}");
        // Locked only against editing: opens with the empty password.
        let pdf = read_pdf(&encrypted(""), Duration::from_secs(30)).unwrap();
        assert_eq!(pdf.pages[0].lines[0].text, "Secret text on the page.");
    }

    #[test]
    fn image_only_pdfs_are_a_warning_not_an_error() {
        use crate::{parse_document, Format, IngestOptions, LibraryFile};
        let bytes = build_pdf(&[TestPage::lines(&[]), TestPage::lines(&[])], None, &[]);
        let path = mcdewey_core::DocPath::parse("p/v1/d/scan.pdf").unwrap();
        let file = LibraryFile {
            stem: path.stem(),
            abs: "/nowhere/scan.pdf".into(),
            size: 0,
            changed: None,
            format: Format::Pdf,
            path,
        };
        let doc = parse_document(&file, &bytes, &IngestOptions::default()).unwrap();
        assert!(doc.chunks.is_empty());
        assert_eq!(
            doc.warnings,
            ["p/v1/d/scan.pdf: no text layer in 2 page(s) (a scanned or image-only PDF?); nothing to index"]
        );
    }

    #[test]
    fn text_below_the_page_is_left_out_and_reported() {
        // 70 lines from the top at 14.3 pt apart: the last ones are set below the
        // page's bottom edge, where no reader sees them.
        let lines: Vec<String> = (1..=70).map(|i| format!("Line{i} text")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let bytes = build_pdf(&[TestPage::lines(&refs)], None, &[]);
        let pdf = read_pdf(&bytes, Duration::from_secs(30)).unwrap();
        let text: Vec<&str> = pdf.pages[0].lines.iter().map(|l| l.text.as_str()).collect();
        assert!(text.contains(&"Line55 text"), "{text:?}");
        assert!(!text.iter().any(|l| l.starts_with("Line60")), "{text:?}");
        assert_eq!(pdf.warnings.len(), 1, "{:?}", pdf.warnings);
        assert!(
            pdf.warnings[0].contains("drawn outside the visible page area left out (page(s) 1)"),
            "{:?}",
            pdf.warnings
        );
    }

    #[test]
    fn a_stream_that_inflates_past_the_memory_budget_is_left_out() {
        use std::io::Write;
        let bytes = build_pdf(
            &[
                TestPage::lines(&["First page text."]),
                TestPage::lines(&["Second page text."]),
                TestPage::lines(&["Third page text."]),
            ],
            None,
            &[],
        );
        // Page 2's content becomes a Flate stream of 65 MiB of spaces (65 KiB stored).
        let mut doc = Document::load_mem(&bytes).unwrap();
        let page = doc.get_pages()[&2];
        let content = doc.get_page_contents(page)[0];
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        let block = vec![b' '; 1 << 20];
        for _ in 0..65 {
            z.write_all(&block).unwrap();
        }
        let bomb = lopdf::Stream::new(
            lopdf::dictionary! { "Filter" => "FlateDecode" },
            z.finish().unwrap(),
        );
        doc.objects.insert(content, Object::Stream(bomb));
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        let pdf = read_pdf(&out, Duration::from_secs(60)).unwrap();
        assert_eq!(pdf.pages.len(), 3);
        assert_eq!(pdf.pages[0].lines[0].text, "First page text.");
        assert!(pdf.pages[1].lines.is_empty());
        assert_eq!(pdf.pages[2].lines[0].text, "Third page text.");
        assert!(pdf.degraded.is_none(), "page numbers stay right");
        assert!(
            pdf.warnings
                .iter()
                .any(|w| w.starts_with("1 stream(s) inflating past 64 MiB")),
            "{:?}",
            pdf.warnings
        );
    }

    #[test]
    fn pdf_strings_decode() {
        assert_eq!(decode_pdf_string(b"Caf\xe9"), "Café");
        assert_eq!(decode_pdf_string(&[0xFE, 0xFF, 0, b'H', 0, b'i']), "Hi");
    }
}
