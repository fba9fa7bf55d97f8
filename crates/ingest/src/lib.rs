//! Ingestion: discover library files, parse them into blocks with headings and pages,
//! and cut them into chunks that carry exact citations. No index code lives here.

pub mod pages;
