//! Printed page numbers inferred from a document's own tables of contents.
