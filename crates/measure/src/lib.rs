//! Measurement of McDewey's answers and speed, kept out of the engine and the binary:
//! question sets scored with exactly `shared/eval/score.py`'s rules ([`eval`]), BEIR
//! data sets laid out as a library and scored like trec_eval ([`beir`]), and the
//! latency statistics the benchmarks report ([`latency`]).

pub mod beir;
pub mod eval;
pub mod latency;

use std::path::PathBuf;

/// Errors of measurement: each names the file (and line) at fault.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A data file is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The 1-based line (0 for the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A search made while measuring failed.
    #[error(transparent)]
    Search(#[from] mcdewey_search::SearchError),
}

impl MeasureError {
    /// A disk error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> MeasureError {
        let path = path.into();
        move |source| MeasureError::Io { path, source }
    }
}
