use crate::{CoreError, DocPath};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The stable id of a chunk: `product::version::doc-set::file-stem::ordinal`.
///
/// `file-stem` is the path below the doc set without its extension, with `/` between
/// subfolders (`cucm::v15::security-guide::admin/intro::3`); `ordinal` counts the
/// chunks of one file from 0 in file order. Ids depend only on the file itself, so
/// they stay the same when any other file changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ChunkId {
    /// `product::version::doc-set::file-stem`: the document part, shared by all its chunks.
    pub document: String,
    /// Position of the chunk in its file, from 0.
    pub ordinal: u32,
}

impl ChunkId {
    /// The id of chunk `ordinal` of the document whose id prefix is `document`.
    pub fn new(document: impl Into<String>, ordinal: u32) -> ChunkId {
        ChunkId {
            document: document.into(),
            ordinal,
        }
    }

    /// The document part of chunk ids for a file (`cucm::v15::security-guide::security-modes`).
    pub fn document_prefix(path: &DocPath, stem: &str) -> String {
        format!(
            "{}::{}::{}::{}",
            path.product, path.version, path.doc_set, stem
        )
    }

    /// The product, version and doc set this id names (the first three parts of
    /// [`ChunkId::document`], laid out by [`ChunkId::document_prefix`]); `None` for an
    /// id made without them.
    pub fn scope(&self) -> Option<(&str, &str, &str)> {
        let mut parts = self.document.splitn(4, "::");
        Some((parts.next()?, parts.next()?, parts.next()?)).filter(|_| parts.next().is_some())
    }

    /// The id of the chunk `delta` places away in the same document, if that ordinal exists
    /// on the number line (it may still be past the document's end).
    pub fn offset(&self, delta: i64) -> Option<ChunkId> {
        let ordinal = i64::from(self.ordinal) + delta;
        u32::try_from(ordinal)
            .ok()
            .map(|o| ChunkId::new(self.document.clone(), o))
    }
}

impl fmt::Display for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.document, self.ordinal)
    }
}

impl FromStr for ChunkId {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| CoreError::InvalidChunkId {
            id: crate::shorten(s, 120),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = s.split("::").collect();
        if parts.len() != 5 {
            return Err(invalid(
                "expected 5 parts: product::version::doc-set::file-stem::ordinal",
            ));
        }
        if parts.iter().any(|p| p.trim().is_empty()) {
            return Err(invalid("a part is empty"));
        }
        let ordinal: u32 = parts[4]
            .parse()
            .map_err(|_| invalid("the ordinal (last part) is not a whole number"))?;
        Ok(ChunkId::new(parts[..4].join("::"), ordinal))
    }
}

impl From<ChunkId> for String {
    fn from(id: ChunkId) -> String {
        id.to_string()
    }
}

impl TryFrom<String> for ChunkId {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A printed page label: `"147"`, `"xvii"`, `"T-1"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PageLabel(pub String);

impl PageLabel {
    /// The label as a number when it is a plain arabic page number.
    pub fn number(&self) -> Option<u32> {
        self.0.parse().ok()
    }
}

impl fmt::Display for PageLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a passage stands in its document: the pages it lies on and its source lines.
/// One struct for chunks as ingest cuts them, as stores keep them and as search cites
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Printed page the passage starts on; `None` when unknown (never guessed).
    pub page: Option<PageLabel>,
    /// Last page the passage may run to, when known to differ from `page`.
    pub page_end: Option<PageLabel>,
    /// Physical page of a PDF (1-based, page-tree order: what `pdftotext -f N` and a
    /// viewer's "go to page" mean); `None` for other formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_page: Option<u32>,
    /// Last physical PDF page, when the passage runs past `pdf_page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_page_end: Option<u32>,
    /// First line of the passage in the source file (1-based).
    pub line_start: u32,
    /// Last line of the passage in the source file (1-based, inclusive).
    pub line_end: u32,
}

impl Location {
    /// Only source lines known.
    pub fn lines(line_start: u32, line_end: u32) -> Location {
        Location {
            line_start,
            line_end,
            ..Default::default()
        }
    }
}

/// A passage of a document with everything needed to cite it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Stable id, see [`ChunkId`].
    pub id: ChunkId,
    /// Path of the document relative to the library root.
    pub source: String,
    /// Product folder.
    pub product: String,
    /// Version folder.
    pub version: String,
    /// Doc-set folder.
    pub doc_set: String,
    /// Heading path from the document title down to the chunk's section.
    pub heading: Vec<String>,
    /// Where in its document the chunk stands: pages and source lines.
    #[serde(flatten)]
    pub location: Location,
    /// Text with markup noise removed: what is indexed and returned.
    pub text: String,
    /// The original source text of the chunk, for display.
    pub raw: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_ids_round_trip() {
        let id: ChunkId = "cucm::v15::security-guide::security-guide::142"
            .parse()
            .unwrap();
        assert_eq!(id.document, "cucm::v15::security-guide::security-guide");
        assert_eq!(id.ordinal, 142);
        assert_eq!(
            id.to_string(),
            "cucm::v15::security-guide::security-guide::142"
        );
        assert_eq!(id.scope(), Some(("cucm", "v15", "security-guide")));
        assert_eq!(ChunkId::new("p::v", 0).scope(), None);
        let sub: ChunkId = "cucm::v15::security-guide::admin/intro::0".parse().unwrap();
        assert_eq!(sub.offset(-1), None);
        assert_eq!(
            sub.offset(2).unwrap().to_string(),
            "cucm::v15::security-guide::admin/intro::2"
        );
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"cucm::v15::security-guide::security-guide::142\"");
    }

    #[test]
    fn malformed_ids_are_refused_with_a_reason() {
        for bad in [
            "",
            "a::b::c::d",
            "a::b::c::d::x",
            "a::b::::d::1",
            "a::b::c::d::e::1",
        ] {
            let err = bad.parse::<ChunkId>().unwrap_err();
            assert!(err.to_string().contains("invalid chunk id"), "{err}");
        }
    }

    #[test]
    fn page_labels_know_numbers() {
        assert_eq!(PageLabel("147".into()).number(), Some(147));
        assert_eq!(PageLabel("xvii".into()).number(), None);
    }
}
