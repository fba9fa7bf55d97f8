//! Types shared by every McDewey crate.
//!
//! A library is a folder tree `<product>/<version>/<doc-set>/<file>`; files may sit in
//! deeper subfolders below the doc set. Every chunk of every file has a stable
//! [`ChunkId`] `product::version::doc-set::file-stem::ordinal`, and a [`Chunk`] carries
//! everything a citation needs: source path, page, heading path.

mod chunk;
mod codes;
mod path;
mod version;

pub use chunk::{Chunk, ChunkId, Location, PageLabel};
pub use codes::{error_status, ErrorCode, ERROR_CODES};
pub use path::DocPath;
pub use version::{normalize_version, Version};

/// Errors about names and identifiers: a path that is not library-shaped, an id that
/// does not parse. Each message names the offending value.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A file path that cannot be placed in the library tree.
    #[error("{path}: {reason}")]
    InvalidPath {
        /// The path as given, relative to the library root.
        path: String,
        /// Why it was refused.
        reason: String,
    },
    /// A chunk id that does not have the form `product::version::doc-set::file-stem::ordinal`.
    #[error("invalid chunk id {id:?}: {reason}")]
    InvalidChunkId {
        /// The id as given.
        id: String,
        /// Why it was refused.
        reason: String,
    },
}

/// `text` as an error message quotes it: at most `max` characters, then how long the
/// whole was, so a 10,000-character bad id is not echoed back whole.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}… ({} characters)", &text[..i], text.chars().count()),
        None => text.to_string(),
    }
}
