//! The embedded store: a tantivy index of chunks with a technical-token analyzer, a
//! manifest of indexed files committed atomically with it, and incremental updates from
//! a library folder.

pub mod analyzer;
pub mod parts;
pub mod schema;
pub mod store;
pub mod update;
pub mod vectors;

pub use parts::{VectorIndex, Vectors};
pub use store::{Store, StoreWriter};
pub use update::update_library;
pub use vectors::{VectorEntry, VectorFile, VectorSet};

/// The store errors, shared with the catalog (both stores report the same ones).
pub use mcdewey_catalog::IndexError;

/// An error of the tantivy index in the folder `path`.
pub(crate) fn tantivy_error(path: &std::path::Path, source: tantivy::TantivyError) -> IndexError {
    IndexError::Index {
        path: path.to_path_buf(),
        source: Box::new(source),
    }
}
