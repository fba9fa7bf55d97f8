//! Incremental update of the store from a library folder.

use crate::analyzer::ANALYZER_VERSION;
use crate::store::{DocEntry, Manifest, SkipEntry, Store};
use crate::IndexError;
use mcdewey_ingest::{discover, parse_document, read_bytes, IngestOptions, PARSER_VERSION};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// What an update is doing, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The library was walked: `total` documents to look at.
    Discovered {
        /// Documents found.
        total: usize,
    },
    /// One more document was looked at.
    File {
        /// Documents looked at so far.
        done: usize,
        /// Documents in all.
        total: usize,
        /// The one just looked at.
        path: String,
    },
    /// Changes are being committed.
    Committing,
}

/// The outcome of an update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateSummary {
    /// Documents in the index after the update.
    pub documents: usize,
    /// Chunks in the index after the update.
    pub chunks: u64,
    /// Files indexed for the first time.
    pub added: Vec<String>,
    /// Files whose content changed and were indexed again.
    pub changed: Vec<String>,
    /// Files whose content hash was unchanged, not read again.
    pub unchanged: usize,
    /// Files gone from the library, removed from the index.
    pub removed: Vec<String>,
    /// Files not indexed: unsupported, misplaced or unreadable, with reasons.
    pub skipped: Vec<SkipEntry>,
    /// Problems that did not stop a file from being indexed.
    pub warnings: Vec<String>,
    /// Whether every document was indexed again because settings changed.
    pub rebuilt: bool,
}

/// The settings fingerprint stored in the manifest.
pub fn settings_fingerprint(opts: &IngestOptions) -> String {
    let c = opts.chunk;
    format!(
        "analyzer={ANALYZER_VERSION};parser={PARSER_VERSION};chunk={}/{}/{}",
        c.target_chars, c.max_chars, c.min_chars
    )
}

/// Parses a document; a panic in a parser becomes an error for that file alone, so one
/// bad document never aborts an update.
fn parse_guarded(
    file: &mcdewey_ingest::LibraryFile,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<mcdewey_ingest::Document, mcdewey_ingest::IngestError> {
    std::panic::catch_unwind(|| parse_document(file, bytes, opts)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(mcdewey_ingest::IngestError::Parser {
            path: file.path.source(),
            reason: what,
        })
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Brings the store up to date with `library`: new and changed files (by content hash)
/// are chunked and indexed, unchanged files are not read again, deleted files leave the
/// index. A file that cannot be read is reported and skipped; if an earlier version of
/// it was indexed, that version stays searchable and is marked stale. Everything is
/// committed at once, with the manifest, so a crash leaves the previous index intact.
pub fn update_library(
    store: &Store,
    library: &Path,
    opts: &IngestOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<UpdateSummary, IndexError> {
    let discovery = discover(library)?;
    if discovery.files.is_empty() {
        return Err(IndexError::EmptyLibrary {
            root: library.to_path_buf(),
            skipped: discovery.skipped.len(),
        });
    }
    let old = store.manifest()?;
    let settings = settings_fingerprint(opts);
    let rebuild = old.settings != settings && !old.documents.is_empty();
    let mut manifest = Manifest {
        settings,
        library: Some(library.display().to_string()),
        documents: if rebuild {
            Default::default()
        } else {
            old.documents.clone()
        },
        skipped: discovery
            .skipped
            .iter()
            .map(|s| SkipEntry {
                path: s.path.clone(),
                reason: s.reason.clone(),
            })
            .collect(),
        updated_at: now(),
    };
    let mut summary = UpdateSummary {
        rebuilt: rebuild,
        ..Default::default()
    };
    let mut writer = store.writer()?;
    if rebuild {
        writer.clear()?;
    }
    let total = discovery.files.len();
    progress(Progress::Discovered { total });
    let mut present = BTreeSet::new();
    for (done, file) in discovery.files.iter().enumerate() {
        let source = file.path.source();
        present.insert(source.clone());
        let previous = manifest.documents.get(&source).cloned();
        let outcome = read_bytes(file, opts).and_then(|bytes| {
            let hash = mcdewey_ingest::content_hash(&bytes);
            match &previous {
                Some(p) if p.hash == hash && p.stale.is_none() => Ok(None),
                _ => parse_guarded(file, &bytes, opts).map(Some),
            }
        });
        match outcome {
            Ok(None) => summary.unchanged += 1,
            Ok(Some(doc)) => {
                writer.replace(&source, &doc.chunks)?;
                summary.warnings.extend(doc.warnings.iter().cloned());
                manifest.documents.insert(
                    source.clone(),
                    DocEntry {
                        hash: doc.content_hash.clone(),
                        document: mcdewey_core::ChunkId::document_prefix(&file.path, &file.stem),
                        chunks: u32::try_from(doc.chunks.len()).unwrap_or(u32::MAX),
                        bytes: file.size,
                        indexed_at: manifest.updated_at,
                        warnings: doc.warnings,
                        stale: None,
                    },
                );
                if previous.is_some() {
                    summary.changed.push(source.clone());
                } else {
                    summary.added.push(source.clone());
                }
            }
            Err(err) => {
                let mut reason = err.to_string();
                if let Some(prefix) = reason.strip_prefix(&format!("{source}: ")) {
                    reason = prefix.to_string();
                }
                if let Some(entry) = manifest.documents.get_mut(&source) {
                    entry.stale = Some(reason.clone());
                    reason.push_str("; the previously indexed version is kept");
                }
                tracing::warn!(target: "mcdewey::index", "{source}: {reason}");
                manifest.skipped.push(SkipEntry {
                    path: source.clone(),
                    reason,
                });
            }
        }
        progress(Progress::File {
            done: done + 1,
            total,
            path: source,
        });
    }
    let gone: Vec<String> = manifest
        .documents
        .keys()
        .filter(|s| !present.contains(*s))
        .cloned()
        .collect();
    for source in gone {
        writer.remove(&source);
        manifest.documents.remove(&source);
        summary.removed.push(source);
    }
    manifest.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    progress(Progress::Committing);
    writer.commit(&manifest)?;
    store.reload()?;
    summary.documents = manifest.documents.len();
    summary.chunks = store.chunk_count();
    summary.skipped = manifest.skipped;
    Ok(summary)
}
