//! `mcdewey serve` (web UI, JSON API and MCP over HTTP) and `mcdewey mcp` (MCP over stdio).

use crate::index_cmd::index_library;
use crate::{ModelArgs, Paths};
use anyhow::{Context, Result};
use mcdewey_ingest::IngestOptions;
use mcdewey_search::{Backend, Engine};
use mcdewey_server::{AppState, EngineHandle, ServerOptions};
use std::net::SocketAddr;
use std::sync::Arc;

/// Options of `mcdewey serve`.
pub struct ServeOptions {
    pub bind: String,
    pub token: Option<String>,
    pub tokens_file: Option<std::path::PathBuf>,
    pub allow_origins: Vec<String>,
    pub allow_hosts: Vec<String>,
    pub no_index: bool,
    pub no_embed: bool,
    pub insecure_remote: bool,
    /// Re-index in the background when library files change, checking this often.
    pub watch: Option<std::time::Duration>,
}

/// The loaded model, if any.
type Model = Option<Arc<dyn mcdewey_embed::Embedder>>;

/// Brings the index up to date (unless told not to) and opens the engine over it.
fn prepare_engine(
    paths: &Paths,
    model: &ModelArgs,
    no_index: bool,
    no_embed: bool,
) -> Result<(Engine, Model)> {
    let embedder = if no_embed { None } else { Some(model.load()?) };
    if !no_index {
        match update(paths, model, &embedder) {
            // Another process is indexing this store: serve what it has committed.
            Err(e)
                if e.chain().any(|c| {
                    matches!(
                        c.downcast_ref::<mcdewey_index::IndexError>(),
                        Some(mcdewey_index::IndexError::Locked { .. })
                    )
                }) =>
            {
                eprintln!("not indexing: {e:#}");
            }
            other => {
                other?;
            }
        }
    }
    Ok((open_engine(paths, &embedder)?, embedder))
}

fn open_engine(paths: &Paths, embedder: &Model) -> Result<Engine> {
    engine_over(paths.open_store()?, embedder, paths)
}

/// The engine over a store, searching by meaning too when a model is loaded.
fn engine_over(store: impl Into<Backend>, embedder: &Model, paths: &Paths) -> Result<Engine> {
    let mut engine = match embedder {
        Some(e) => Engine::with_embedder(store, e.clone())?,
        None => Engine::new(store),
    };
    engine.set_product_aliases(paths.product_aliases());
    Ok(engine)
}

/// One incremental update; returns whether any document was added, changed or removed.
fn update(paths: &Paths, model: &ModelArgs, embedder: &Model) -> Result<bool> {
    let summary = index_library(
        paths,
        &IngestOptions::default(),
        embedder.as_deref().map(|m| model.embedding(m)),
    )
    .with_context(|| format!("indexing {}", paths.library.display()))?;
    eprintln!(
        "indexed {}: {} documents, {} chunks ({} added, {} changed, {} removed, {} skipped)",
        paths.library.display(),
        summary.documents,
        summary.chunks,
        summary.added.len(),
        summary.changed.len(),
        summary.removed.len(),
        summary.skipped.len()
    );
    Ok(!(summary.added.is_empty() && summary.changed.is_empty() && summary.removed.is_empty()))
}

/// A cheap fingerprint of the library: every file's path, size and modification time.
fn library_fingerprint(root: &std::path::Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for entry in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        entry.path().hash(&mut h);
        if let Ok(m) = entry.metadata() {
            m.len().hash(&mut h);
            m.modified().ok().hash(&mut h);
        }
    }
    h.finish()
}

/// Watches the library and swaps in a freshly indexed engine after each change.
/// Requests keep being answered by the previous engine while the update runs.
fn watch(
    paths: Paths,
    model: ModelArgs,
    embedder: Model,
    handle: EngineHandle,
    every: std::time::Duration,
) {
    std::thread::spawn(move || {
        let mut seen = library_fingerprint(&paths.library);
        loop {
            std::thread::sleep(every);
            let now = library_fingerprint(&paths.library);
            if now == seen {
                continue;
            }
            seen = now;
            let swapped = update(&paths, &model, &embedder).and_then(|changed| {
                if changed {
                    reopen(&handle.current(), &paths, &embedder).map(Some)
                } else {
                    Ok(None)
                }
            });
            match swapped {
                Ok(Some(engine)) => {
                    handle.replace(Arc::new(engine));
                    eprintln!("watch: now serving the updated index");
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(target: "mcdewey::serve", "watch: update failed: {e:#}"),
            }
        }
    });
}

/// A fresh engine over what the store holds now. A PostgreSQL store keeps its pool and
/// re-reads its state; a data folder is opened again.
fn reopen(current: &Engine, paths: &Paths, embedder: &Model) -> Result<Engine> {
    let Backend::Postgres(pg) = current.store() else {
        return open_engine(paths, embedder);
    };
    let mut pg = pg.clone();
    pg.refresh()?;
    engine_over(pg, embedder, paths)
}

/// How often a server on a PostgreSQL store checks for commits of other processes.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Serving a PostgreSQL store: every [`FOLLOW_EVERY`], checks whether any process
/// committed an update and, if so, serves a refreshed engine (library tree, filters,
/// counts, model). Search results and chunks come from the database and are current at
/// the commit. Nothing to follow on the embedded store.
fn follow_database(paths: Paths, embedder: Model, handle: EngineHandle) {
    if !matches!(handle.current().store(), Backend::Postgres(_)) {
        return;
    }
    std::thread::spawn(move || {
        let mut failing = false;
        loop {
            std::thread::sleep(FOLLOW_EVERY);
            let engine = handle.current();
            let Backend::Postgres(pg) = engine.store() else {
                return;
            };
            let next = pg
                .current_generation()
                .map_err(anyhow::Error::from)
                .and_then(|now| {
                    if now == pg.generation() {
                        Ok(None)
                    } else {
                        reopen(&engine, &paths, &embedder).map(Some)
                    }
                });
            match next {
                Ok(Some(engine)) => {
                    handle.replace(Arc::new(engine));
                    failing = false;
                }
                Ok(None) => failing = false,
                // Logged once per outage; requests report their own errors meanwhile.
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(target: "mcdewey::serve", "database check failed: {e:#}");
                }
                Err(_) => {}
            }
        }
    });
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    eprintln!("shutting down");
}

pub fn serve(paths: &Paths, model: &ModelArgs, opts: ServeOptions) -> Result<()> {
    let addr: SocketAddr = opts.bind.parse().with_context(|| {
        format!(
            "--bind: {:?} is not an address like 127.0.0.1:7878",
            opts.bind
        )
    })?;
    let tokens = opts.token.is_some() || opts.tokens_file.is_some();
    if !addr.ip().is_loopback() && !tokens && !opts.insecure_remote {
        anyhow::bail!(
            "--bind: {addr} is reachable from other machines; set a token (--token, MCDEWEY_TOKEN \
             or --tokens-file) so every page, /api and /mcp require it, or pass --insecure-remote \
             to serve without one"
        );
    }
    let (engine, embedder) = prepare_engine(paths, model, opts.no_index, opts.no_embed)?;
    let handle = EngineHandle::new(Arc::new(engine));
    follow_database(paths.clone(), embedder.clone(), handle.clone());
    if let Some(every) = opts.watch {
        watch(
            paths.clone(),
            model.clone(),
            embedder,
            handle.clone(),
            every,
        );
    }
    let state = AppState::new(
        handle,
        ServerOptions {
            token: opts.token.clone(),
            tokens_file: opts.tokens_file.clone(),
            allowed_origins: opts.allow_origins,
            allowed_hosts: opts.allow_hosts,
        },
    )?;
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--bind: cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        println!(
            "McDewey is serving {} at http://{local}/",
            paths.library.display()
        );
        println!("  web UI   http://{local}/");
        println!("  API      http://{local}/api/search?q=...   (OpenAPI: /api/openapi.json)");
        println!(
            "  MCP      http://{local}/mcp{}",
            if tokens {
                "   (token required: Authorization: Bearer TOKEN; the web UI signs in at /login)"
            } else {
                ""
            }
        );
        println!("Press Ctrl-C to stop.");
        mcdewey_server::serve(listener, state, shutdown_signal()).await?;
        Ok::<_, anyhow::Error>(())
    })
}

pub fn mcp_stdio(paths: &Paths, model: &ModelArgs, no_index: bool, no_embed: bool) -> Result<()> {
    let (engine, embedder) = prepare_engine(paths, model, no_index, no_embed)?;
    let handle = EngineHandle::new(Arc::new(engine));
    follow_database(paths.clone(), embedder, handle.clone());
    runtime()?.block_on(mcdewey_server::mcp::serve_stdio(handle))?;
    Ok(())
}

/// `mcdewey token-new`: a fresh token and its tokens-file line.
pub fn token_new(name: &str, role: &str) -> Result<()> {
    use mcdewey_server::{auth, Role, TokenEntry};
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        anyhow::bail!("--name: {name:?} must be one word (no spaces)");
    }
    let role: Role = role
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
    let secret = auth::new_secret().context("reading /dev/urandom")?;
    let entry = TokenEntry::from_secret(name, role, &secret);
    println!("token: {secret}");
    println!("tokens-file line: {}", entry.line());
    eprintln!("Give the token to its user; add the line to the file passed to serve --tokens-file (it keeps only the hash).");
    Ok(())
}
