//! Admin jobs: adding a document from a URL or a crawl, uploads, refreshes and removals.
//! Each request queues a job and answers at once; one worker thread (`mcdewey-jobs`)
//! runs them in order — change the library folder, then update the index and serve it —
//! and records their progress, which the admin page, `GET /api/admin/jobs` and the MCP
//! tool `list_jobs` show. A failed fetch changes nothing in the library or the index.

use mcdewey_fetch::{CrawlOptions, FetchOptions, Fetched, Target};
use mcdewey_search::{EngineHandle, Progress, Served, UpdateSummary};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Mutex};

/// Jobs kept for the list (the oldest finished ones are forgotten first).
const KEPT: usize = 200;
/// Jobs waiting at most; more are refused with `busy`.
const MAX_QUEUED: usize = 16;

/// What writing to the library needs: what the server serves (library, store, model)
/// and how documents are fetched and uploaded.
#[derive(Clone)]
pub struct Writes {
    /// The library and store being served; jobs update it and swap the engine.
    pub served: Served,
    /// How URLs are fetched (private addresses, size limit, timeout).
    pub fetch: FetchOptions,
    /// Largest upload request (all its files together), in bytes.
    pub max_upload_bytes: usize,
}

/// What a job does.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// Download one document, or crawl a site when `crawl` is set.
    Add {
        url: String,
        target: Target,
        name: Option<String>,
        crawl: Option<CrawlOptions>,
    },
    /// Save uploaded files (checked already) in a doc set.
    Upload {
        target: Target,
        files: Vec<(String, Vec<u8>)>,
    },
    /// Fetch every recorded URL again, or those `scope` names (a URL or a library
    /// path or folder).
    Refresh { scope: Option<String> },
    /// Delete a document from the library.
    Remove { source: String },
}

impl Work {
    fn kind(&self) -> &'static str {
        match self {
            Work::Add { crawl: Some(_), .. } => "crawl",
            Work::Add { .. } => "add",
            Work::Upload { .. } => "upload",
            Work::Refresh { .. } => "refresh",
            Work::Remove { .. } => "remove",
        }
    }

    fn what(&self) -> String {
        match self {
            Work::Add { url, target, .. } => format!("{url} → {}", target_path(target)),
            Work::Upload { target, files } => format!(
                "{} → {}",
                files
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                target_path(target)
            ),
            Work::Refresh { scope: None } => "every document added from a URL".into(),
            Work::Refresh { scope: Some(s) } => format!("documents added from a URL in {s}"),
            Work::Remove { source } => source.clone(),
        }
    }
}

fn target_path(t: &Target) -> String {
    format!("{}/{}/{}", t.product, t.version, t.doc_set)
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for the jobs before it.
    Queued,
    /// Running now.
    Running,
    /// Finished; see its documents and index report.
    Done,
    /// Stopped by an error; the library and index are as they were, or as far as the
    /// documents listed got.
    Failed,
}

/// What the index update of a job did.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IndexReport {
    /// Documents in the index after it.
    pub documents: usize,
    /// Chunks in the index after it.
    pub chunks: u64,
    /// Documents indexed for the first time.
    pub added: Vec<String>,
    /// Documents indexed again.
    pub changed: Vec<String>,
    /// Documents taken out of the index.
    pub removed: Vec<String>,
    /// This job's documents that could not be indexed, with the reason.
    pub skipped: Vec<NotIndexed>,
}

/// A library file that could not be indexed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NotIndexed {
    /// Library-relative path.
    pub source: String,
    /// Why.
    pub reason: String,
}

impl From<&UpdateSummary> for IndexReport {
    fn from(s: &UpdateSummary) -> Self {
        IndexReport {
            documents: s.documents,
            chunks: s.chunks,
            added: s.added.clone(),
            changed: s.changed.clone(),
            removed: s.removed.clone(),
            skipped: s
                .skipped
                .iter()
                .map(|k| NotIndexed {
                    source: k.path.clone(),
                    reason: k.reason.clone(),
                })
                .collect(),
        }
    }
}

/// One job, as the admin page, the API and MCP show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Job {
    /// Its number, from 1.
    pub id: u64,
    /// add, crawl, upload, refresh or remove.
    pub kind: &'static str,
    /// What it works on (URL and doc set, file names, a document).
    pub what: String,
    /// Name of the token that asked for it.
    pub by: String,
    /// Where it is.
    pub state: JobState,
    /// What it is doing now, in words.
    pub phase: String,
    /// Steps done of `total` in this phase (0 of 0 when unknown).
    pub done: usize,
    /// Steps in this phase.
    pub total: usize,
    /// Unix time it was queued.
    pub created_at: u64,
    /// Unix time it finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// What happened to each document in the library folder.
    pub documents: Vec<Fetched>,
    /// What the index update did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexReport>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Job {
    /// Whether it has finished, well or not.
    pub fn finished(&self) -> bool {
        matches!(self.state, JobState::Done | JobState::Failed)
    }
}

/// Why a job was not queued.
#[derive(Debug)]
pub(crate) enum QueueError {
    /// Too many jobs wait already.
    Busy,
    /// The worker is gone.
    Stopped,
}

/// The job list and the worker's queue.
pub(crate) struct Jobs {
    list: Arc<Mutex<VecDeque<Job>>>,
    queue: Mutex<mpsc::Sender<(u64, Work)>>,
    next_id: Mutex<u64>,
    pub(crate) writes: Writes,
}

impl Jobs {
    /// The jobs of a server serving `handle`; starts the worker thread, which ends when
    /// the server (every clone of its state) is gone.
    pub(crate) fn start(writes: Writes, handle: EngineHandle) -> std::io::Result<Jobs> {
        let (tx, rx) = mpsc::channel::<(u64, Work)>();
        let list: Arc<Mutex<VecDeque<Job>>> = Arc::default();
        let worker = Worker {
            list: list.clone(),
            writes: writes.clone(),
            handle,
        };
        std::thread::Builder::new()
            .name("mcdewey-jobs".into())
            .spawn(move || {
                for (id, work) in rx {
                    worker.run(id, work);
                }
            })?;
        Ok(Jobs {
            list,
            queue: Mutex::new(tx),
            next_id: Mutex::new(0),
            writes,
        })
    }

    /// Queues `work` asked for by `by`; the job as queued.
    pub(crate) fn submit(&self, work: Work, by: &str) -> Result<Job, QueueError> {
        let mut list = lock(&self.list);
        if list.iter().filter(|j| !j.finished()).count() >= MAX_QUEUED {
            return Err(QueueError::Busy);
        }
        let id = {
            let mut next = lock(&self.next_id);
            *next += 1;
            *next
        };
        let job = Job {
            id,
            kind: work.kind(),
            what: work.what(),
            by: by.to_string(),
            state: JobState::Queued,
            phase: "waiting".into(),
            done: 0,
            total: 0,
            created_at: mcdewey_fetch::now(),
            finished_at: None,
            documents: Vec::new(),
            index: None,
            error: None,
        };
        tracing::info!(target: "mcdewey::jobs", job = id, token = %by, kind = job.kind, what = %job.what, "queued");
        list.push_back(job.clone());
        while list.len() > KEPT {
            match list.iter().position(Job::finished) {
                Some(i) => {
                    list.remove(i);
                }
                None => break,
            }
        }
        drop(list);
        lock(&self.queue)
            .send((id, work))
            .map_err(|_| QueueError::Stopped)?;
        Ok(job)
    }

    /// Every job kept, newest first.
    pub(crate) fn list(&self) -> Vec<Job> {
        lock(&self.list).iter().rev().cloned().collect()
    }

    /// One job, or `job_not_found`.
    pub(crate) fn get(&self, id: u64) -> Result<Job, crate::ApiError> {
        lock(&self.list)
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| {
                crate::ApiError::new(
                    "job_not_found",
                    format!("no job {id} (jobs are kept until the server restarts)"),
                )
            })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The worker thread's side.
struct Worker {
    list: Arc<Mutex<VecDeque<Job>>>,
    writes: Writes,
    handle: EngineHandle,
}

impl Worker {
    fn set(&self, id: u64, f: impl FnOnce(&mut Job)) {
        if let Some(job) = lock(&self.list).iter_mut().find(|j| j.id == id) {
            f(job);
        }
    }

    fn phase(&self, id: u64, phase: &str, done: usize, total: usize) {
        self.set(id, |j| {
            j.phase = phase.to_string();
            j.done = done;
            j.total = total;
        });
    }

    fn run(&self, id: u64, work: Work) {
        self.set(id, |j| j.state = JobState::Running);
        let result = self.change_library(id, &work).and_then(|documents| {
            let mut report = self.index(id)?;
            // The library's other unreadable files are the index's business, not this job's.
            report
                .skipped
                .retain(|s| documents.iter().any(|d| d.source == s.source));
            self.set(id, |j| j.documents = documents);
            Ok(report)
        });
        let by = lock(&self.list)
            .iter()
            .find(|j| j.id == id)
            .map(|j| j.by.clone())
            .unwrap_or_default();
        match result {
            Ok(report) => {
                tracing::info!(
                    target: "mcdewey::jobs",
                    job = id, token = %by, kind = work.kind(), what = %work.what(),
                    added = report.added.len(), changed = report.changed.len(),
                    removed = report.removed.len(), "done"
                );
                self.set(id, |j| {
                    j.state = JobState::Done;
                    j.phase = "done".into();
                    j.index = Some(report);
                });
            }
            Err(e) => {
                tracing::warn!(target: "mcdewey::jobs", job = id, token = %by, kind = work.kind(), what = %work.what(), "failed: {e}");
                self.set(id, |j| {
                    j.state = JobState::Failed;
                    j.phase = "failed".into();
                    j.error = Some(e);
                });
            }
        }
        self.set(id, |j| j.finished_at = Some(mcdewey_fetch::now()));
    }

    /// Changes the library folder as the work asks; what happened to each document.
    fn change_library(&self, id: u64, work: &Work) -> Result<Vec<Fetched>, String> {
        let library = &self.writes.served.library;
        let fetch = &self.writes.fetch;
        match work {
            Work::Add {
                url,
                target,
                name,
                crawl: None,
            } => {
                self.phase(id, "downloading", 0, 1);
                mcdewey_fetch::add(library, url, target, name.as_deref(), fetch)
                    .map(|f| vec![f])
                    .map_err(|e| e.to_string())
            }
            Work::Add {
                url,
                target,
                crawl: Some(limits),
                ..
            } => {
                self.phase(id, "crawling: pages saved", 0, limits.max_pages);
                mcdewey_fetch::crawl(library, url, target, fetch, limits, &mut |saved| {
                    self.phase(id, "crawling: pages saved", saved, limits.max_pages)
                })
                .map_err(|e| e.to_string())
            }
            Work::Upload { target, files } => {
                let mut out = Vec::new();
                for (i, (name, bytes)) in files.iter().enumerate() {
                    self.phase(id, "saving files", i, files.len());
                    out.push(
                        mcdewey_fetch::save_upload(library, target, name, bytes, fetch.max_bytes)
                            .unwrap_or_else(|e| Fetched {
                                source: format!("{}/{name}", target_path(target)),
                                url: String::new(),
                                status: "failed",
                                error: Some(e.to_string()),
                            }),
                    );
                }
                Ok(out)
            }
            Work::Refresh { scope } => {
                self.phase(id, "fetching again", 0, 0);
                mcdewey_fetch::refresh(library, scope.as_deref(), fetch).map_err(|e| e.to_string())
            }
            Work::Remove { source } => {
                self.phase(id, "removing", 0, 1);
                mcdewey_fetch::remove(library, source)
                    .map(|f| vec![f])
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Updates the index from the library and serves it.
    fn index(&self, id: u64) -> Result<IndexReport, String> {
        self.phase(id, "indexing", 0, 0);
        let mut progress = |p: Progress| match p {
            Progress::Discovered { total } => self.phase(id, "indexing", 0, total),
            Progress::File { done, total, .. } => self.phase(id, "indexing", done, total),
            Progress::Embedding { done, total } => self.phase(id, "embedding", done, total),
            Progress::Committing => self.phase(id, "committing", 0, 0),
            Progress::Merging => self.phase(id, "merging", 0, 0),
        };
        self.writes
            .served
            .update_and_serve(&self.handle, &mut progress)
            .map(|(summary, _)| IndexReport::from(&summary))
            .map_err(|e| format!("updating the index: {e}"))
    }
}
