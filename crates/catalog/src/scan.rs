//! The library scan both stores run: walks the library against a store's manifest,
//! reads what is new or changed (by content hash), sends the chunks to the store's
//! [`ChunkSink`], and keeps what it could not read as the last good version.

use crate::manifest::{DocEntry, Manifest, SkipEntry};
use crate::IndexError;
use mcdewey_core::Chunk;
use mcdewey_ingest::{
    discover, finish_document, parse_blocks, read_bytes, Format, Furniture, IngestError,
    IngestOptions, LibraryFile, Parsed, PARSER_VERSION,
};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Version of the keyword analyzer (tokenizer, stemming, stop words) both stores index
/// with; part of the settings fingerprint, so a change re-indexes everything.
pub const ANALYZER_VERSION: u32 = 2;

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
    /// Chunks are being embedded.
    Embedding {
        /// Chunks embedded so far.
        done: usize,
        /// Chunks to embed.
        total: usize,
    },
    /// Changes are being committed.
    Committing,
    /// The text index is being merged into one segment (after a run that wrote much of
    /// it; 10-15 s at a million chunks).
    Merging,
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
    /// Files whose content hash was unchanged, not indexed again.
    pub unchanged: usize,
    /// Of those, the files not even read: the same size as when indexed and no change
    /// of content or metadata since (status-change time before that run began).
    pub unread: usize,
    /// Files gone from the library, removed from the index.
    pub removed: Vec<String>,
    /// Files not indexed: unsupported, misplaced or unreadable, with reasons.
    pub skipped: Vec<SkipEntry>,
    /// Problems that did not stop a file from being indexed.
    pub warnings: Vec<String>,
    /// Whether every document was indexed again because settings changed.
    pub rebuilt: bool,
    /// Chunks embedded by the model in this update (the rest came from the cache).
    pub embedded: usize,
    /// Chunks with a vector after the update.
    pub vectors: usize,
    /// Of each document read in this update, the share of its reference reading's words
    /// its chunks keep (`mcdewey_ingest::fidelity`); documents without a reference
    /// (a PDF where `pdftotext` is missing) are not listed.
    pub fidelity: Vec<DocFidelity>,
}

/// How much of a document's reference text its chunks keep.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DocFidelity {
    /// The document's library path.
    pub source: String,
    /// Share of the reference's words kept, 0 to 1.
    pub kept: f64,
    /// Words in the reference.
    pub reference_words: usize,
}

/// The settings fingerprint stored in the manifest.
pub fn settings_fingerprint(opts: &IngestOptions) -> String {
    let c = opts.chunk;
    format!(
        "analyzer={ANALYZER_VERSION};parser={PARSER_VERSION};chunk={}/{}/{}",
        c.target_chars, c.max_chars, c.min_chars
    )
}

/// Parses a document into blocks; a panic in a parser becomes an error for that file
/// alone, so one bad document never aborts an update.
fn parse_guarded(
    file: &LibraryFile,
    bytes: &[u8],
    opts: &IngestOptions,
) -> Result<Parsed, IngestError> {
    std::panic::catch_unwind(|| parse_blocks(file, bytes, opts)).unwrap_or_else(|panic| {
        let what = mcdewey_ingest::panic_text(panic.as_ref()).unwrap_or_default();
        Err(IngestError::Parser {
            path: file.path.source(),
            reason: what,
        })
    })
}

/// The HTML doc set the scan is in, with its page furniture
/// ([`mcdewey_ingest::furniture`]). A page is indexed under one furniture set, whose
/// digest is kept after its content hash (`<blake3>+<digest>`), so that when the set
/// changes (pages added to the doc set, a new footer) every page is read again.
struct DocSetPass {
    /// `product/version/doc-set/`.
    prefix: String,
    /// Whether any page of the doc set is new, changed or gone, so its furniture was
    /// learnt again.
    learnt: bool,
    /// Whether no page of a doc set large enough to have furniture changed: pages keep
    /// the furniture they were indexed under.
    unchanged: bool,
    /// Whether that was seen without reading a page: every one the same size and
    /// unchanged in status since its run ([`unchanged_on_disk`]), none gone.
    unread: bool,
    furniture: Furniture,
    /// Pages parsed to learn the furniture, taken as their turn comes.
    parsed: HashMap<String, Result<Parsed, IngestError>>,
}

impl DocSetPass {
    /// Looks at the HTML pages of `file`'s doc set and, if any is new, changed or gone
    /// since `manifest`, parses them all and learns the doc set's furniture.
    fn start(
        file: &LibraryFile,
        files: &[LibraryFile],
        manifest: &Manifest,
        opts: &IngestOptions,
    ) -> DocSetPass {
        let prefix = doc_set_prefix(file);
        let pages: Vec<&LibraryFile> = files
            .iter()
            .filter(|f| f.format == Format::Html && f.path.source().starts_with(&prefix))
            .collect();
        let mut pass = DocSetPass {
            prefix,
            learnt: false,
            unchanged: false,
            unread: false,
            furniture: Furniture::default(),
            parsed: HashMap::new(),
        };
        if pages.len() < mcdewey_ingest::furniture::MIN_PAGES {
            return pass;
        }
        let sources: BTreeSet<String> = pages.iter().map(|f| f.path.source()).collect();
        let gone = manifest
            .documents
            .keys()
            .any(|s| s.starts_with(&pass.prefix) && is_html(s) && !sources.contains(s));
        let entry = |page: &LibraryFile| manifest.documents.get(&page.path.source());
        if !gone
            && pages
                .iter()
                .all(|page| unchanged_on_disk(page, entry(page)))
        {
            pass.unchanged = true;
            pass.unread = true;
            return pass;
        }
        let mut read: Vec<(&LibraryFile, Result<Vec<u8>, IngestError>)> = Vec::new();
        let mut changed = gone;
        for page in pages {
            let bytes = read_bytes(page, opts);
            changed |= match (&bytes, manifest.documents.get(&page.path.source())) {
                (Ok(b), Some(entry)) => {
                    entry.stale.is_some()
                        || content_part(&entry.hash) != mcdewey_ingest::content_hash(b)
                }
                _ => true,
            };
            read.push((page, bytes));
        }
        if !changed {
            pass.unchanged = true;
            return pass;
        }
        for (page, bytes) in read {
            let parsed = bytes.and_then(|b| parse_guarded(page, &b, opts));
            pass.parsed.insert(page.path.source(), parsed);
        }
        pass.furniture = Furniture::learn(
            pass.parsed
                .values()
                .filter_map(|p| p.as_ref().ok())
                .map(|p| p.blocks.as_slice()),
        );
        pass.learnt = true;
        pass
    }

    /// The hash a page is indexed under: its content hash, then the furniture's digest.
    fn indexed_hash(&self, content: &str) -> String {
        match self.furniture.digest() {
            Some(d) => format!("{content}+{d}"),
            None => content.to_string(),
        }
    }
}

/// Whether `file` is as it was when its entry was indexed without reading it: the same
/// size, and its status last changed in a second before the run that read it began
/// (every write, rename or replacement moves that time, and no tool can set it back;
/// the same second is read again). Not for a stale entry, whose file failed to read.
fn unchanged_on_disk(file: &LibraryFile, previous: Option<&DocEntry>) -> bool {
    previous.is_some_and(|p| {
        p.stale.is_none() && p.bytes == file.size && file.changed.is_some_and(|c| c < p.indexed_at)
    })
}

/// What reading one library file found.
enum Page {
    /// Indexed as it is now; `unread` when that was seen without reading the file.
    Unchanged { unread: bool },
    /// New or changed: its new document.
    Changed(Box<mcdewey_ingest::Document>),
}

/// Reads one library file, unless its entry shows it unchanged on disk. Pages of an
/// HTML doc set whose furniture was learnt come parsed already.
fn read_page(
    file: &LibraryFile,
    previous: Option<&DocEntry>,
    pass: Option<&mut DocSetPass>,
    opts: &IngestOptions,
) -> Result<Page, IngestError> {
    let indexed_as = |hash: &str| previous.is_some_and(|p| p.hash == hash && p.stale.is_none());
    match pass {
        Some(pass) if pass.learnt => {
            let parsed = match pass.parsed.remove(&file.path.source()) {
                Some(parsed) => parsed?,
                None => parse_guarded(file, &read_bytes(file, opts)?, opts)?,
            };
            let hash = pass.indexed_hash(&parsed.content_hash);
            if indexed_as(&hash) {
                return Ok(Page::Unchanged { unread: false });
            }
            let mut doc = finish_document(file, parsed, opts, &pass.furniture);
            doc.content_hash = hash;
            Ok(Page::Changed(Box::new(doc)))
        }
        // Every page of the doc set matched its entry when the pass began (on disk, or
        // read): the pages keep the furniture they were indexed under, unread again.
        Some(pass) if pass.unchanged => Ok(Page::Unchanged {
            unread: pass.unread,
        }),
        _ => {
            if unchanged_on_disk(file, previous) {
                return Ok(Page::Unchanged { unread: true });
            }
            let bytes = read_bytes(file, opts)?;
            if indexed_as(&mcdewey_ingest::content_hash(&bytes)) {
                return Ok(Page::Unchanged { unread: false });
            }
            let parsed = parse_guarded(file, &bytes, opts)?;
            Ok(Page::Changed(Box::new(finish_document(
                file,
                parsed,
                opts,
                &Furniture::default(),
            ))))
        }
    }
}

/// `product/version/doc-set/` of a file.
fn doc_set_prefix(file: &LibraryFile) -> String {
    let p = &file.path;
    format!("{}/{}/{}/", p.product, p.version, p.doc_set)
}

/// Whether a library path names an HTML page.
fn is_html(source: &str) -> bool {
    mcdewey_core::DocPath::parse(source)
        .ok()
        .and_then(|p| p.extension())
        .and_then(|ext| Format::from_extension(&ext))
        == Some(Format::Html)
}

/// The content hash of a manifest hash (`<blake3>` or `<blake3>+<furniture digest>`).
fn content_part(hash: &str) -> &str {
    hash.split('+').next().unwrap_or(hash)
}

/// Where a library scan sends its changes: the embedded index's writer, or a recorder
/// that another store (PostgreSQL) applies in its own transaction.
pub trait ChunkSink {
    /// Replaces every chunk of `source` with `chunks`.
    fn replace(&mut self, source: &str, chunks: &[Chunk]) -> Result<(), IndexError>;
    /// Removes every chunk of `source`.
    fn remove(&mut self, source: &str);
    /// Removes every chunk (settings changed: everything is indexed again).
    fn clear(&mut self) -> Result<(), IndexError>;
}

/// The outcome of a library scan: the new manifest (without vectors), the chunks of
/// every document read again, and the summary so far.
pub struct Scan {
    /// The manifest to commit.
    pub manifest: Manifest,
    /// Chunks of the documents added or changed, by source path.
    pub fresh: HashMap<String, Vec<Chunk>>,
    /// Counts and lists of what changed.
    pub summary: UpdateSummary,
}

/// Walks `library` against the manifest `old` of a store: new and changed files (by
/// content hash) are chunked and sent to `sink`, unchanged files are not read again,
/// deleted files are removed. A file that cannot be read is reported and skipped; if an
/// earlier version of it was indexed, that version stays and is marked stale.
pub fn scan_library(
    old: &Manifest,
    library: &Path,
    opts: &IngestOptions,
    sink: &mut dyn ChunkSink,
    progress: &mut dyn FnMut(Progress),
) -> Result<Scan, IndexError> {
    let mut scanner = Scanner::start(old, library, opts, sink, progress)?;
    scanner.next_batch(opts, sink, progress, None)?;
    Ok(scanner.scan)
}

/// A library scan taken in batches: after each, the manifest describes a consistent
/// index (documents read so far in their new version, the others as they were), so an
/// update can commit it and a run killed later keeps what was committed.
pub struct Scanner {
    /// The manifest, documents and summary so far.
    pub scan: Scan,
    files: Vec<LibraryFile>,
    next: usize,
    present: BTreeSet<String>,
    doc_set: Option<DocSetPass>,
}

impl Scanner {
    /// Walks the library and starts a scan against `old` (clearing `sink` when the
    /// settings changed, so that everything is read again).
    pub fn start(
        old: &Manifest,
        library: &Path,
        opts: &IngestOptions,
        sink: &mut dyn ChunkSink,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Scanner, IndexError> {
        let discovery = discover(library)?;
        if discovery.files.is_empty() {
            return Err(IndexError::EmptyLibrary {
                root: library.to_path_buf(),
                skipped: discovery.skipped.len(),
            });
        }
        let settings = settings_fingerprint(opts);
        let rebuild = old.settings != settings && !old.documents.is_empty();
        let manifest = Manifest {
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
            vectors: None,
            model: None,
        };
        if rebuild {
            sink.clear()?;
        }
        progress(Progress::Discovered {
            total: discovery.files.len(),
        });
        Ok(Scanner {
            scan: Scan {
                manifest,
                fresh: HashMap::new(),
                summary: UpdateSummary {
                    rebuilt: rebuild,
                    ..Default::default()
                },
            },
            files: discovery.files,
            next: 0,
            present: BTreeSet::new(),
            doc_set: None,
        })
    }

    /// Reads files until `budget` fresh chunks are waiting (all of them when `None`);
    /// after the last file, removes documents gone from the library. Returns whether
    /// the scan is complete.
    pub fn next_batch(
        &mut self,
        opts: &IngestOptions,
        sink: &mut dyn ChunkSink,
        progress: &mut dyn FnMut(Progress),
        budget: Option<usize>,
    ) -> Result<bool, IndexError> {
        let total = self.files.len();
        let Scan {
            manifest,
            fresh,
            summary,
        } = &mut self.scan;
        // Chunks waiting to be committed, kept up to date below rather than summed
        // again for every file.
        let mut waiting: usize = fresh.values().map(Vec::len).sum();
        while self.next < total {
            if budget.is_some_and(|b| waiting >= b) {
                return Ok(false);
            }
            let file = &self.files[self.next];
            self.next += 1;
            let source = file.path.source();
            self.present.insert(source.clone());
            let previous = manifest.documents.get(&source).cloned();
            if file.format == Format::Html
                && !self
                    .doc_set
                    .as_ref()
                    .is_some_and(|p| source.starts_with(&p.prefix))
            {
                let pass = DocSetPass::start(file, &self.files, manifest, opts);
                let name = pass.prefix.trim_end_matches('/');
                if let Some(report) = pass.furniture.report(name).filter(|_| pass.learnt) {
                    tracing::info!(target: "mcdewey::index", "{report}");
                    summary.warnings.push(report);
                }
                self.doc_set = Some(pass);
            }
            let pass = self
                .doc_set
                .as_mut()
                .filter(|p| file.format == Format::Html && source.starts_with(&p.prefix));
            let outcome = read_page(file, previous.as_ref(), pass, opts);
            match outcome {
                Ok(Page::Unchanged { unread }) => {
                    summary.unchanged += 1;
                    summary.unread += usize::from(unread);
                }
                Ok(Page::Changed(doc)) => {
                    let doc = *doc;
                    sink.replace(&source, &doc.chunks)?;
                    if let Some(f) = &doc.fidelity {
                        summary.fidelity.push(DocFidelity {
                            source: source.clone(),
                            kept: f.share(),
                            reference_words: f.reference_words,
                        });
                    }
                    summary.warnings.extend(doc.warnings.iter().cloned());
                    manifest.documents.insert(
                        source.clone(),
                        DocEntry {
                            hash: doc.content_hash.clone(),
                            document: mcdewey_core::ChunkId::document_prefix(
                                &file.path, &file.stem,
                            ),
                            chunks: u32::try_from(doc.chunks.len()).unwrap_or(u32::MAX),
                            bytes: file.size,
                            indexed_at: manifest.updated_at,
                            warnings: doc.warnings,
                            stale: None,
                        },
                    );
                    waiting += doc.chunks.len();
                    fresh.insert(source.clone(), doc.chunks);
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
                done: self.next,
                total,
                path: source,
            });
        }
        if self.next == total {
            self.next += 1;
            let gone: Vec<String> = manifest
                .documents
                .keys()
                .filter(|s| !self.present.contains(*s))
                .cloned()
                .collect();
            for source in gone {
                sink.remove(&source);
                manifest.documents.remove(&source);
                summary.removed.push(source);
            }
            manifest.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Ok(true)
    }
}

/// Fresh chunks an update gathers before it commits, at least: each commit rewrites
/// the vector file, so batches also grow with the index (a quarter of what is
/// committed), which keeps the total written within a few times the final size.
pub const MIN_BATCH_CHUNKS: usize = 2_000;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks kept in memory, as a store would keep them.
    #[derive(Default)]
    struct Collect(HashMap<String, Vec<Chunk>>);

    impl ChunkSink for Collect {
        fn replace(&mut self, source: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
            self.0.insert(source.to_string(), chunks.to_vec());
            Ok(())
        }
        fn remove(&mut self, source: &str) {
            self.0.remove(source);
        }
        fn clear(&mut self) -> Result<(), IndexError> {
            self.0.clear();
            Ok(())
        }
    }

    impl Collect {
        /// Scans `library` against `old` with the default settings into this sink.
        fn scan(&mut self, library: &Path, old: &Manifest) -> Scan {
            scan_library(old, library, &IngestOptions::default(), self, &mut |_| {}).unwrap()
        }
    }

    /// Writes page `i` of an HTML doc set, with the feedback footer when `footer`.
    fn html_page(set: &Path, i: usize, body: &str, footer: bool) {
        let footer = if footer {
            "<div class=\"x\"><p>Was this page helpful? Send feedback to the docs team.</p></div>"
        } else {
            ""
        };
        let html = format!(
            "<html><head><title>P{i}</title></head><body><h1>Page {i}</h1>\
             <p>{body}</p>{footer}</body></html>"
        );
        std::fs::write(set.join(format!("p{i}.html")), html).unwrap();
    }

    #[test]
    fn unchanged_files_are_not_read_again_and_a_same_size_edit_is_still_seen() {
        let dir = tempfile::tempdir().unwrap();
        let set = dir.path().join("prod/v1/guide");
        std::fs::create_dir_all(&set).unwrap();
        for i in 0..3 {
            std::fs::write(
                set.join(format!("d{i}.md")),
                format!("# D{i}\n\nAbout trunks.\n"),
            )
            .unwrap();
        }
        // The files' status changes in a second before the run that indexes them.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let mut sink = Collect::default();
        let first = sink.scan(dir.path(), &Manifest::default());
        assert_eq!(first.summary.added.len(), 3);
        let second = sink.scan(dir.path(), &first.manifest);
        assert_eq!((second.summary.unchanged, second.summary.unread), (3, 3));
        // Rewritten in place with the same size: its status-change time moved, so it
        // is read, and the new text indexed.
        std::fs::write(set.join("d1.md"), "# D1\n\nAbout routes.\n").unwrap();
        let third = sink.scan(dir.path(), &second.manifest);
        assert_eq!(third.summary.changed, ["prod/v1/guide/d1.md"]);
        assert_eq!((third.summary.unchanged, third.summary.unread), (2, 2));
        assert!(sink.0["prod/v1/guide/d1.md"][0].text.contains("routes"));
        // A stale entry (its file failed to read) is always read again.
        let mut stale = third.manifest.clone();
        stale
            .documents
            .get_mut("prod/v1/guide/d0.md")
            .unwrap()
            .stale = Some("x".into());
        let fourth = sink.scan(dir.path(), &stale);
        assert_eq!(fourth.summary.changed, ["prod/v1/guide/d0.md"]);
    }

    #[test]
    fn furniture_repeated_across_a_doc_set_is_dropped_reported_and_kept_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let set = dir.path().join("prod/v1/site");
        std::fs::create_dir_all(&set).unwrap();
        for i in 0..6 {
            html_page(&set, i, &format!("Unique text {i} about trunks."), true);
        }
        let mut sink = Collect::default();
        let first = sink.scan(dir.path(), &Manifest::default());
        let all_text = |sink: &Collect| -> String {
            sink.0
                .values()
                .flatten()
                .map(|c| c.text.clone())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(!all_text(&sink).contains("helpful"), "{}", all_text(&sink));
        assert!(all_text(&sink).contains("Unique text 3 about trunks."));
        let report = first.summary.warnings.join("\n");
        assert!(
            report.contains("prod/v1/site: 1 block(s) framing most of its 6 pages dropped")
                && report.contains("Was this page helpful?"),
            "{report}"
        );
        // Dropped furniture is reported, not lost: every page keeps all its words.
        assert!(first.summary.fidelity.iter().all(|f| f.kept == 1.0));

        // Nothing changed: nothing read again.
        let second = sink.scan(dir.path(), &first.manifest);
        assert_eq!(second.summary.unchanged, 6);
        assert!(second.summary.warnings.is_empty());
        // Once the pages' status changes lie in a second before the run that indexed
        // them, the doc set is seen unchanged without reading a page.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let settled = sink.scan(dir.path(), &Manifest::default());
        let again = sink.scan(dir.path(), &settled.manifest);
        assert_eq!((again.summary.unchanged, again.summary.unread), (6, 6));

        // One page's text changed, the furniture did not: that page alone is read.
        html_page(&set, 0, "Changed text about trunks.", true);
        let third = sink.scan(dir.path(), &again.manifest);
        assert_eq!(third.summary.changed, ["prod/v1/site/p0.html"]);
        assert_eq!((third.summary.unchanged, third.summary.unread), (5, 0));

        // The footer leaves four pages: it no longer frames most of them, so every
        // page is read again and the two that still have it keep it as text.
        for i in 0..4 {
            html_page(&set, i, &format!("Unique text {i} about trunks."), false);
        }
        let fourth = sink.scan(dir.path(), &third.manifest);
        assert_eq!(fourth.summary.changed.len(), 6, "{:?}", fourth.summary);
        assert!(sink.0["prod/v1/site/p5.html"]
            .iter()
            .any(|c| c.text.contains("helpful")));
    }
}
