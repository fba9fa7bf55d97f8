//! Where a passage comes from, with the one formatter of each part people read (heading
//! path, pages) that every surface calls.

use mcdewey_core::Chunk;
use serde::{Deserialize, Serialize};

/// What separates the headings of a path where people read it.
pub const HEADING_SEPARATOR: &str = " › ";

/// Where a passage comes from, to cite it: shared by search results, chunk views and the
/// MCP tools, so every surface cites alike.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// Document path relative to the library root.
    pub source: String,
    /// Product folder.
    pub product: String,
    /// Version folder.
    pub version: String,
    /// Doc-set folder.
    pub doc_set: String,
    /// The page to cite, as a number: for a PDF its physical page (what a viewer's "go
    /// to page" means), else the printed page when it is a number; null when unknown.
    pub page: Option<u32>,
    /// Printed page label (`"153"`, `"xvii"`, `"T-1"`), null when unknown.
    pub page_label: Option<String>,
    /// Last printed page the chunk may run to, when it runs past `page_label`.
    pub page_end: Option<String>,
    /// Physical PDF page the chunk starts on (1-based); null for other formats.
    pub pdf_page: Option<u32>,
    /// Last physical PDF page, when the chunk runs past `pdf_page`.
    pub pdf_page_end: Option<u32>,
    /// Heading path, from the document title down.
    pub heading: Vec<String>,
}

impl Citation {
    /// The citation of a chunk.
    pub fn of(chunk: &Chunk) -> Citation {
        let at = &chunk.location;
        Citation {
            source: chunk.source.clone(),
            product: chunk.product.clone(),
            version: chunk.version.clone(),
            doc_set: chunk.doc_set.clone(),
            page: at
                .pdf_page
                .or_else(|| at.page.as_ref().and_then(|p| p.number())),
            page_label: at.page.as_ref().map(|p| p.0.clone()),
            page_end: at.page_end.as_ref().map(|p| p.0.clone()),
            pdf_page: at.pdf_page,
            pdf_page_end: at.pdf_page_end,
            heading: chunk.heading.clone(),
        }
    }

    /// This citation's release and `other`'s, older first: the `from` and `to` of a
    /// comparison between them.
    pub fn releases_in_order<'a>(&'a self, other: &'a Citation) -> (&'a str, &'a str) {
        let (a, b) = (self.version.as_str(), other.version.as_str());
        if mcdewey_core::Version::parse(a) <= mcdewey_core::Version::parse(b) {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// How a grouped passage names `other`, one of its members, on every surface (pages,
    /// CLI, MCP text): by its release, or as "an overlapping passage" when it is another
    /// chunk of the same release (one section cut into overlapping chunks).
    pub fn member_name(&self, other: &Citation) -> String {
        if other.version == self.version {
            "an overlapping passage".to_string()
        } else {
            other.version.clone()
        }
    }

    /// The heading path as people read it, on every surface (pages, CLI, MCP text):
    /// `Phone Security › Overview`.
    pub fn heading_path(&self) -> String {
        self.heading.join(HEADING_SEPARATOR)
    }

    /// The page part of a citation as people read it: `p. 147`, `pp. 12-14`, and for a
    /// PDF whose printed label differs, `p. 147 (printed 129)`; `None` when unknown.
    pub fn page_text(&self) -> Option<String> {
        // "12" or "12-14", and whether it is a range.
        let range = |first: &str, last: Option<&str>| match last {
            Some(last) if last != first => (format!("{first}-{last}"), true),
            _ => (first.to_string(), false),
        };
        let cite =
            |(pages, many): (String, bool)| format!("{} {pages}", if many { "pp." } else { "p." });
        let printed = self
            .page_label
            .as_deref()
            .map(|l| range(l, self.page_end.as_deref()));
        let Some(first) = self.pdf_page else {
            return printed.map(cite);
        };
        let last = self.pdf_page_end.map(|l| l.to_string());
        let physical = range(&first.to_string(), last.as_deref());
        Some(match printed {
            Some((label, _)) if label != physical.0 => {
                format!("{} (printed {label})", cite(physical))
            }
            _ => cite(physical),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_read_as_pages() {
        let mut c = Citation {
            source: "p/v1/d/manual.pdf".into(),
            product: "p".into(),
            version: "v1".into(),
            doc_set: "d".into(),
            page: Some(31),
            page_label: Some("15".into()),
            page_end: Some("16".into()),
            pdf_page: Some(31),
            pdf_page_end: Some(32),
            heading: vec![],
        };
        assert_eq!(c.page_text().unwrap(), "pp. 31-32 (printed 15-16)");
        c.page_end = None;
        c.pdf_page_end = None;
        assert_eq!(c.page_text().unwrap(), "p. 31 (printed 15)");
        c.page_label = Some("31".into());
        assert_eq!(c.page_text().unwrap(), "p. 31");
        c.pdf_page = None;
        c.page_label = Some("T-1".into());
        assert_eq!(c.page_text().unwrap(), "p. T-1");
        c.page_end = Some("T-3".into());
        assert_eq!(c.page_text().unwrap(), "pp. T-1-T-3");
        c.page_label = None;
        assert_eq!(c.page_text(), None);
        // A member of a grouped passage is named by its release, or as an overlapping
        // passage of the same one.
        let other = Citation {
            version: "v2".into(),
            ..c.clone()
        };
        assert_eq!(c.member_name(&other), "v2");
        assert_eq!(c.member_name(&c), "an overlapping passage");
    }
}
