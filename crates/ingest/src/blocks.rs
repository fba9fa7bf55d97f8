//! The format-neutral document model every parser produces and the chunker consumes.

use mcdewey_core::PageLabel;

/// What a block is; decides how the chunker may split or join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A heading of the given level (1 = document title or chapter).
    Heading(u8),
    /// Running text.
    Paragraph,
    /// One list item with its continuation lines.
    ListItem,
    /// A table (HTML, tab-separated or pipe rows): kept whole when it fits.
    Table,
    /// A code block: kept whole when it fits.
    Code,
}

/// A structural unit of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The block's kind.
    pub kind: BlockKind,
    /// Text with markup removed (for headings: the heading text alone).
    pub text: String,
    /// The original source lines.
    pub raw: String,
    /// First source line, 1-based.
    pub line_start: u32,
    /// Last source line, 1-based, inclusive.
    pub line_end: u32,
    /// Printed page the block starts on, when known.
    pub page: Option<PageLabel>,
    /// Last page the block may lie on, when the block's page is only known as a range.
    pub page_end: Option<PageLabel>,
    /// Physical page of a PDF (1-based), when the block comes from one.
    pub pdf_page: Option<u32>,
}

impl Block {
    /// Whether the block is a heading.
    pub fn heading_level(&self) -> Option<u8> {
        match self.kind {
            BlockKind::Heading(level) => Some(level),
            _ => None,
        }
    }
}
