//! Serving an engine while its library changes: an [`EngineHandle`] requests take the
//! current engine from, a [`Served`] setup that opens (and first updates) the store,
//! and a [`Reloader`] that keeps the handle current — re-indexing when the library on
//! disk changes (seen through ingest's own discovery), and following commits other
//! processes make to a store that can be followed (PostgreSQL). Its threads are named
//! and stop when told.

use crate::store::StoreSpec;
use crate::understand::ProductAliases;
use crate::{Engine, SearchError};
use mcdewey_catalog::{Embedding, IndexError, Progress, UpdateSummary};
use mcdewey_embed::Embedder;
use mcdewey_ingest::IngestOptions;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The engine being served, replaceable while requests run: a request takes the engine
/// current when it starts and finishes on it, so swapping in a freshly indexed one never
/// fails a request.
#[derive(Clone)]
pub struct EngineHandle(Arc<std::sync::RwLock<Arc<Engine>>>);

impl EngineHandle {
    /// A handle serving `engine`.
    pub fn new(engine: Arc<Engine>) -> EngineHandle {
        EngineHandle(Arc::new(std::sync::RwLock::new(engine)))
    }

    /// The engine current now.
    pub fn current(&self) -> Arc<Engine> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serves `engine` from now on.
    pub fn replace(&self, engine: Arc<Engine>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = engine;
    }
}

/// What a served engine is made of: the store, the library it indexes, and the model.
#[derive(Clone)]
pub struct Served {
    /// Where the index lives.
    pub store: StoreSpec,
    /// The library folder.
    pub library: PathBuf,
    /// How documents are read and chunked.
    pub ingest: IngestOptions,
    /// The embedding model; `None` serves keyword search only.
    pub model: Option<Arc<dyn Embedder>>,
    /// Embedding cache folder shared between stores (`None`: the store's own).
    pub embed_cache: Option<PathBuf>,
    /// Held while updating, so the watcher and the server's jobs (which share clones of
    /// one `Served`) update the store one at a time instead of refusing each other.
    updating: Arc<Mutex<()>>,
}

/// What happened while serving, for the caller to show (the CLI prints it).
#[derive(Debug)]
pub enum ServeEvent {
    /// An update of the store finished.
    Indexed(UpdateSummary),
    /// Another process holds the store's indexer lock: what it committed is served.
    NotIndexing(IndexError),
    /// A freshly opened engine is being served.
    Swapped,
    /// An update or reopen failed; the previous engine stays. For a followed store, an
    /// outage is reported once, when it starts.
    Failed(String),
}

impl Served {
    /// What serving `library` from `store` is made of, with default ingest options.
    pub fn new(
        store: StoreSpec,
        library: PathBuf,
        model: Option<Arc<dyn Embedder>>,
        embed_cache: Option<PathBuf>,
    ) -> Served {
        Served {
            store,
            library,
            ingest: IngestOptions::default(),
            model,
            embed_cache,
            updating: Arc::default(),
        }
    }

    /// One incremental update of the store from the library.
    pub fn update(&self) -> Result<UpdateSummary, IndexError> {
        self.update_with(&mut |_| {})
    }

    /// [`Served::update`], reporting its progress.
    pub fn update_with(
        &self,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<UpdateSummary, IndexError> {
        let _one_at_a_time = self.updating.lock().unwrap_or_else(|e| e.into_inner());
        let embedding = self.model.as_deref().map(|m| {
            let mut e = Embedding::new(m);
            e.cache_dir = self.embed_cache.as_deref();
            e
        });
        self.store
            .update(&self.library, &self.ingest, embedding, progress)
    }

    /// Updates the store and, when anything changed, serves a freshly opened engine
    /// through `handle` (requests under way finish on the previous one).
    pub fn update_and_serve(
        &self,
        handle: &EngineHandle,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(UpdateSummary, bool), SearchError> {
        let summary = self.update_with(progress)?;
        let changed =
            !(summary.added.is_empty() && summary.changed.is_empty() && summary.removed.is_empty());
        if changed {
            handle.replace(Arc::new(reopen(self, &handle.current())?));
        }
        Ok((summary, changed))
    }

    /// An engine over `store`, searching by meaning too when a model is loaded.
    pub fn engine_over(&self, store: crate::Backend) -> Result<Engine, SearchError> {
        let mut engine = match &self.model {
            Some(m) => Engine::with_embedder(store, m.clone())?,
            None => Engine::new(store),
        };
        engine.set_product_aliases(product_aliases(&self.library));
        Ok(engine)
    }

    /// Brings the store up to date (unless `index` is false) and opens the engine over
    /// it. A store another process is indexing is not an error: what it committed is
    /// served ([`ServeEvent::NotIndexing`]).
    pub fn prepare(
        &self,
        index: bool,
        events: &mut dyn FnMut(ServeEvent),
    ) -> Result<Engine, SearchError> {
        if index {
            match self.update() {
                Ok(summary) => events(ServeEvent::Indexed(summary)),
                Err(e @ IndexError::Locked { .. }) => events(ServeEvent::NotIndexing(e)),
                Err(e) => return Err(e.into()),
            }
        }
        self.engine_over(self.store.open()?)
    }

    /// A cheap fingerprint of the library as discovery sees it: every document's path,
    /// size and modification time, and every file left out.
    fn library_fingerprint(&self) -> Option<u64> {
        mcdewey_ingest::discover(&self.library)
            .ok()
            .map(|d| d.fingerprint())
    }
}

/// Names the products of `library` are also known by (display names and aliases of
/// `<product>/product.json`); a file that cannot be read is a warning.
pub fn product_aliases(library: &std::path::Path) -> ProductAliases {
    let (meta, warnings) = mcdewey_ingest::product_metadata(library);
    for w in warnings {
        tracing::warn!(target: "mcdewey::search", "{w}");
    }
    meta.into_iter()
        .map(|(p, m)| (p, m.name.into_iter().chain(m.aliases).collect()))
        .collect()
}

/// How often a [`Reloader`] looks.
#[derive(Debug, Clone, Copy)]
pub struct ReloadEvery {
    /// Check the library on disk this often and re-index when it changed; `None` does
    /// not watch it.
    pub watch: Option<Duration>,
    /// Check a store that can be followed for commits of other processes this often.
    pub follow: Duration,
}

impl Default for ReloadEvery {
    fn default() -> Self {
        ReloadEvery {
            watch: None,
            follow: Duration::from_secs(1),
        }
    }
}

/// Set when the reloader should stop; its threads wait on it instead of sleeping, so
/// they stop at once.
#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    /// Waits `d`, or less if told to stop; returns whether to stop.
    fn wait(&self, d: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let (stopped, _) = self
            .wake
            .wait_timeout_while(stopped, d, |s| !*s)
            .unwrap_or_else(|e| e.into_inner());
        *stopped
    }

    fn set(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_all();
    }
}

/// Keeps an [`EngineHandle`] current in the background: a `mcdewey-watch` thread
/// re-indexes after the library on disk changes, a `mcdewey-follow` thread serves the
/// commits other processes make to a followed store. Requests keep being answered by
/// the previous engine meanwhile. Stops (and joins its threads) on [`Reloader::stop`]
/// or when dropped.
pub struct Reloader {
    stop: Arc<Stop>,
    threads: Vec<JoinHandle<()>>,
}

/// Where a reloader reports what it did.
pub type EventSink = Arc<dyn Fn(ServeEvent) + Send + Sync>;

impl Reloader {
    /// Starts the threads `every` asks for over `handle` (none when there is nothing to
    /// watch or follow).
    pub fn start(
        served: Served,
        handle: EngineHandle,
        every: ReloadEvery,
        events: EventSink,
    ) -> std::io::Result<Reloader> {
        let stop = Arc::new(Stop::default());
        let mut threads = Vec::new();
        if let Some(period) = every.watch {
            // Taken now, not on the thread: a change made after `start` returns is seen.
            let seen = served.library_fingerprint();
            let (served, handle, events, stop) =
                (served.clone(), handle.clone(), events.clone(), stop.clone());
            threads.push(
                std::thread::Builder::new()
                    .name("mcdewey-watch".into())
                    .spawn(move || watch(&served, &handle, seen, period, &*events, &stop))?,
            );
        }
        if handle.current().store().capabilities().follows_commits {
            let stop = stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("mcdewey-follow".into())
                    .spawn(move || follow(&served, &handle, every.follow, &*events, &stop))?,
            );
        }
        Ok(Reloader { stop, threads })
    }

    /// Stops the threads and waits for them (an update under way finishes first).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.set();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.halt();
    }
}

/// A fresh engine over what the store of the current one holds now.
fn reopen(served: &Served, current: &Engine) -> Result<Engine, SearchError> {
    served.engine_over(current.store().reopen()?)
}

fn watch(
    served: &Served,
    handle: &EngineHandle,
    mut seen: Option<u64>,
    period: Duration,
    events: &dyn Fn(ServeEvent),
    stop: &Stop,
) {
    while !stop.wait(period) {
        let now = served.library_fingerprint();
        if now == seen {
            continue;
        }
        seen = now;
        match served.update_and_serve(handle, &mut |_| {}) {
            Ok((summary, changed)) => {
                events(ServeEvent::Indexed(summary));
                if changed {
                    events(ServeEvent::Swapped);
                }
            }
            Err(e) => events(ServeEvent::Failed(format!("watch: {e}"))),
        }
    }
}

fn follow(
    served: &Served,
    handle: &EngineHandle,
    period: Duration,
    events: &dyn Fn(ServeEvent),
    stop: &Stop,
) {
    let mut failing = false;
    while !stop.wait(period) {
        let engine = handle.current();
        let next = engine
            .store()
            .changed_since_open()
            .map_err(SearchError::from)
            .and_then(|changed| changed.then(|| reopen(served, &engine)).transpose());
        match next {
            Ok(Some(engine)) => {
                handle.replace(Arc::new(engine));
                failing = false;
                events(ServeEvent::Swapped);
            }
            Ok(None) => failing = false,
            // Reported once per outage; requests report their own errors meanwhile.
            Err(e) if !failing => {
                failing = true;
                events(ServeEvent::Failed(format!("database check failed: {e}")));
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn write_doc(lib: &std::path::Path, name: &str, text: &str) {
        mcdewey_test_support::write(lib, &format!("prod/v1/guide/{name}"), text);
    }

    fn served(lib: &std::path::Path, data: &std::path::Path) -> Served {
        served_from(lib, StoreSpec::Embedded(data.to_path_buf()))
    }

    fn served_from(lib: &std::path::Path, store: StoreSpec) -> Served {
        Served::new(store, lib.to_path_buf(), None, None)
    }

    /// A reloader whose events arrive, as debug text, on the receiver returned.
    fn recording(
        served: Served,
        handle: &EngineHandle,
        every: ReloadEvery,
    ) -> (Reloader, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let reloader = Reloader::start(
            served,
            handle.clone(),
            every,
            Arc::new(move |e| {
                let _ = tx.lock().unwrap().send(format!("{e:?}"));
            }),
        )
        .unwrap();
        (reloader, rx)
    }

    fn hits(handle: &EngineHandle, query: &str) -> usize {
        let req = crate::SearchRequest {
            query: query.into(),
            mode: Some(crate::Mode::Bm25),
            ..Default::default()
        };
        handle
            .current()
            .search(&req)
            .map(|r| r.results.len())
            .unwrap_or(0)
    }

    #[test]
    fn a_watching_reloader_serves_a_changed_library_and_stops_when_told() {
        let lib = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        write_doc(lib.path(), "a.md", "# Trunks\n\nSIP trunks carry calls.\n");
        let served = served(lib.path(), data.path());
        let mut first = Vec::new();
        let engine = served.prepare(true, &mut |e| first.push(e)).unwrap();
        assert!(matches!(&first[..], [ServeEvent::Indexed(s)] if s.added.len() == 1));
        let handle = EngineHandle::new(Arc::new(engine));
        assert_eq!(hits(&handle, "gatekeeper"), 0);

        let every = ReloadEvery {
            watch: Some(Duration::from_millis(20)),
            ..Default::default()
        };
        let (reloader, rx) = recording(served, &handle, every);
        write_doc(
            lib.path(),
            "b.md",
            "# Gatekeepers\n\nH.323 gatekeeper registration.\n",
        );
        let mut seen = Vec::new();
        while !seen.iter().any(|e: &String| e == "Swapped") {
            seen.push(rx.recv_timeout(Duration::from_secs(20)).expect("an event"));
        }
        assert!(seen[0].starts_with("Indexed"), "{seen:?}");
        assert_eq!(hits(&handle, "gatekeeper"), 1);

        // Stopping joins the thread at once, not after its period; nothing is reported
        // and nothing re-indexed after.
        let t = std::time::Instant::now();
        reloader.stop();
        assert!(t.elapsed() < Duration::from_secs(5));
        write_doc(lib.path(), "c.md", "# Media\n\nMedia resources.\n");
        std::thread::sleep(Duration::from_millis(100));
        assert!(rx.try_recv().is_err());
        assert_eq!(hits(&handle, "media"), 0);
    }

    #[test]
    fn an_embedded_store_starts_no_thread_unless_watched() {
        let lib = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        write_doc(lib.path(), "a.md", "# Trunks\n\nSIP trunks carry calls.\n");
        let served = served(lib.path(), data.path());
        let engine = served.prepare(true, &mut |_| {}).unwrap();
        let handle = EngineHandle::new(Arc::new(engine));
        let reloader =
            Reloader::start(served, handle, ReloadEvery::default(), Arc::new(|_| {})).unwrap();
        assert!(reloader.threads.is_empty());
    }

    #[test]
    fn a_locked_store_is_served_as_committed() {
        let lib = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        write_doc(lib.path(), "a.md", "# Trunks\n\nSIP trunks carry calls.\n");
        let served = served(lib.path(), data.path());
        served.prepare(true, &mut |_| {}).unwrap();
        // Another indexer holds the store.
        let store = mcdewey_index::Store::open(data.path()).unwrap();
        let _writer = store.writer().unwrap();
        let mut events = Vec::new();
        let engine = served.prepare(true, &mut |e| events.push(e)).unwrap();
        assert!(
            matches!(
                &events[..],
                [ServeEvent::NotIndexing(IndexError::Locked { .. })]
            ),
            "{events:?}"
        );
        assert_eq!(engine.store().chunk_count(), 1);
    }

    #[test]
    fn a_followed_database_is_served_at_each_commit_of_another_process() {
        let Some(url) = mcdewey_test_support::fresh_database("serving_follow") else {
            return;
        };
        let lib = tempfile::tempdir().unwrap();
        write_doc(lib.path(), "a.md", "# Trunks\n\nSIP trunks carry calls.\n");
        let served = served_from(lib.path(), StoreSpec::Postgres(url.clone()));
        let engine = served.prepare(true, &mut |_| {}).unwrap();
        let handle = EngineHandle::new(Arc::new(engine));
        let every = ReloadEvery {
            watch: None,
            follow: Duration::from_millis(20),
        };
        let (reloader, rx) = recording(served, &handle, every);
        assert_eq!(reloader.threads.len(), 1, "a database is followed");
        // Another indexer (another library folder, the same database) commits.
        let other = tempfile::tempdir().unwrap();
        write_doc(
            other.path(),
            "a.md",
            "# Trunks\n\nSIP trunks carry calls.\n",
        );
        write_doc(
            other.path(),
            "b.md",
            "# Gatekeepers\n\nH.323 gatekeeper registration.\n",
        );
        served_from(other.path(), StoreSpec::Postgres(url))
            .update()
            .unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(20)).unwrap(), "Swapped");
        assert_eq!(hits(&handle, "gatekeeper"), 1);
        reloader.stop();
    }
}
