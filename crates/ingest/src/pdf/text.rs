//! Text extraction: one `pdf-extract` pass over the document through an output device
//! that splits pages and lines, with a page-by-page fallback when the pass fails.

use super::{PdfError, PdfLine};
use lopdf::{Document, ObjectId};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::time::Instant;
use unicode_normalization::UnicodeNormalization;

/// Name of the threads PDFs are read on; their caught panics are not printed.
pub const WORKER_THREAD: &str = "mcdewey-pdf";

/// Characters between two looks at the clock.
const DEADLINE_EVERY: u32 = 2048;

/// The lines of one page as extracted.
pub struct RawPage {
    /// Physical page number, 1-based.
    pub number: u32,
    /// Page height in points.
    pub height: f64,
    /// Lines in reading order.
    pub lines: Vec<PdfLine>,
    /// Characters drawn outside the page's media box (clipped: a reader never sees
    /// them), left out.
    pub outside: usize,
}

/// A page that could not be read, for the warning.
pub struct PageFailure {
    page: u32,
    reason: String,
}

impl std::fmt::Display for PageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "page {}: {}", self.page, self.reason)
    }
}

/// Installs (once) a panic hook that keeps quiet about panics on PDF reader threads:
/// they are caught and reported as a per-file warning, so the default message on
/// stderr would only alarm. Panics anywhere else are printed as before.
pub fn quiet_worker_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(WORKER_THREAD) {
                previous(info);
            }
        }));
    });
}

/// The message of a caught panic.
pub fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    let text = crate::panic_text(payload.as_ref()).unwrap_or_else(|| "unknown cause".into());
    format!("the PDF reader failed ({text})")
}

/// The lines of every page, keyed by physical page number, and the pages that failed.
pub fn page_texts(
    doc: &Document,
    pages: &BTreeMap<u32, ObjectId>,
    deadline: Instant,
) -> Result<(Vec<RawPage>, Vec<PageFailure>), PdfError> {
    let budget_secs = || deadline.saturating_duration_since(Instant::now()).as_secs();
    let mut dev = Collector::new(deadline);
    let whole = catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc(doc, &mut dev)));
    if dev.timed_out {
        return Err(PdfError::Timeout(budget_secs()));
    }
    if matches!(whole, Ok(Ok(()))) && dev.pages.len() == pages.len() {
        return Ok((dev.into_pages(), Vec::new()));
    }
    // The single pass stopped at a bad page: read page by page so that one page's
    // failure costs only that page.
    let mut out = Vec::with_capacity(pages.len());
    let mut failures = Vec::new();
    for &number in pages.keys() {
        let mut dev = Collector::new(deadline);
        let result = catch_unwind(AssertUnwindSafe(|| {
            pdf_extract::output_doc_page(doc, &mut dev, number)
        }));
        if dev.timed_out {
            return Err(PdfError::Timeout(budget_secs()));
        }
        let reason = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(p) => Some(panic_message(&p)),
        };
        if let Some(reason) = reason {
            failures.push(PageFailure {
                page: number,
                reason,
            });
        }
        let page = dev.into_pages().pop().unwrap_or(RawPage {
            number,
            height: 0.0,
            lines: Vec::new(),
            outside: 0,
        });
        out.push(RawPage { number, ..page });
    }
    Ok((out, failures))
}

/// Builds lines from positioned characters.
struct Collector {
    deadline: Instant,
    timed_out: bool,
    ticks: u32,
    pages: Vec<RawPage>,
    /// The current page's media box: horizontal, then vertical extent.
    x_range: (f64, f64),
    y_range: (f64, f64),
    /// The current line as pieces with their left edge, in drawing order.
    line: Vec<(f64, String)>,
    line_y: f64,
    line_size: f64,
    last_y: f64,
    last_end: f64,
    word_start: bool,
    any_char: bool,
}

impl Collector {
    fn new(deadline: Instant) -> Collector {
        Collector {
            deadline,
            timed_out: false,
            ticks: 0,
            pages: Vec::new(),
            x_range: (f64::MIN, f64::MAX),
            y_range: (f64::MIN, f64::MAX),
            line: Vec::new(),
            line_y: 0.0,
            line_size: 0.0,
            last_y: 0.0,
            last_end: 0.0,
            word_start: false,
            any_char: false,
        }
    }

    fn end_line(&mut self) {
        self.line.sort_by(|a, b| a.0.total_cmp(&b.0));
        let pieces: Vec<&str> = self.line.iter().map(|(_, p)| p.as_str()).collect();
        let text = clean_line(&pieces.join(" "));
        if !text.is_empty() {
            if let Some(page) = self.pages.last_mut() {
                page.lines.push(PdfLine {
                    text,
                    y: self.line_y,
                    size: self.line_size,
                });
            }
        }
        self.line.clear();
        self.line_size = 0.0;
    }

    fn into_pages(mut self) -> Vec<RawPage> {
        self.end_line();
        self.pages
    }
}

/// Stops the pass: pdf-extract's error type has no "cancelled", a format error will do.
fn cancelled() -> OutputError {
    OutputError::FormatError(std::fmt::Error)
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.end_line();
        self.pages.push(RawPage {
            number: page_num,
            height: media_box.ury - media_box.lly,
            lines: Vec::new(),
            outside: 0,
        });
        self.x_range = (media_box.llx, media_box.urx);
        self.y_range = (media_box.lly, media_box.ury);
        self.any_char = false;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.end_line();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        self.ticks += 1;
        if self.ticks.is_multiple_of(DEADLINE_EVERY) && Instant::now() > self.deadline {
            self.timed_out = true;
            return Err(cancelled());
        }
        // Character origin in page space with y growing downwards, and the font size
        // after the text matrix (the side of a square of the same area).
        let x = trm.m31;
        let off_page = |v: f64, (lo, hi): (f64, f64)| v < lo - 1.0 || v > hi + 1.0;
        if off_page(x, self.x_range) || off_page(trm.m32, self.y_range) {
            // Set beyond the page edge: clipped away, never seen. Counted, so that the
            // file's warnings say what was left out.
            if let Some(page) = self.pages.last_mut() {
                page.outside += usize::from(!ch.trim().is_empty());
            }
            return Ok(());
        }
        let height = self.pages.last().map_or(0.0, |p| p.height);
        let y = height - trm.m32;
        let sx = font_size * (trm.m11 + trm.m21);
        let sy = font_size * (trm.m12 + trm.m22);
        let size = (sx * sy).abs().sqrt().max(0.1);
        if self.any_char {
            let dy = (y - self.last_y).abs();
            if dy > size * 0.5 || (x + size < self.last_end && dy > size * 0.2) {
                self.end_line();
            } else if x + size < self.last_end {
                // Back to the left on the same baseline: text drawn out of order (a
                // right-aligned tag set before the line). A new piece, sorted at the end.
                self.line.push((x, String::new()));
            } else if self.word_start && x > self.last_end + size * 0.1 {
                if let Some((_, piece)) = self.line.last_mut() {
                    if !piece.is_empty() && !piece.ends_with(' ') {
                        piece.push(' ');
                    }
                }
            }
        }
        if self.line.is_empty() {
            self.line_y = y;
            self.line.push((x, String::new()));
        }
        if let Some((_, piece)) = self.line.last_mut() {
            piece.push_str(ch);
        }
        self.line_size = self.line_size.max(size);
        self.any_char = true;
        self.word_start = false;
        self.last_y = y;
        self.last_end = x + width * size;
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.word_start = true;
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// NFKC (ligatures `ﬁ` -> `fi`), control characters and U+FFFD removed, whitespace
/// collapsed.
pub fn clean_line(s: &str) -> String {
    let normal: String = s
        .nfkc()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && *c != '\u{FFFD}')
        .collect();
    normal.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_normalised() {
        assert_eq!(
            clean_line("  con\u{FB01}gure\t the\u{FFFD}  box\u{7} "),
            "configure the box"
        );
    }
}
