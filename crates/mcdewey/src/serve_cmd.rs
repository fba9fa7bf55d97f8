//! `mcdewey serve` (web UI, JSON API and MCP over HTTP) and `mcdewey mcp` (MCP over stdio).

use crate::args::{ModelArgs, Paths};
use clap::Args;
use std::path::PathBuf;

/// Flags of `mcdewey serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub paths: Paths,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Address to listen on (loopback by default).
    #[arg(long, env = "MCDEWEY_BIND", default_value = mcdewey_server::DEFAULT_BIND)]
    pub bind: String,
    /// Require this token (role admin) on every route but /healthz, static assets
    /// and /login: `Authorization: Bearer TOKEN`, or sign in to the web UI with it.
    #[arg(long, env = "MCDEWEY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Tokens with names and roles, one `NAME ROLE blake3:HEX` a line (make one
    /// with `mcdewey token-new`); re-read when it changes.
    #[arg(long, env = "MCDEWEY_TOKENS_FILE")]
    pub tokens_file: Option<PathBuf>,
    /// Browser origin allowed to call the server besides its own and loopback ones
    /// (repeatable).
    #[arg(long = "allow-origin")]
    pub allow_origins: Vec<String>,
    /// DNS name the server is reached under (repeatable); localhost and IP
    /// addresses are always accepted, other Host headers refused (DNS rebinding).
    #[arg(
        long = "allow-host",
        env = "MCDEWEY_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub allow_hosts: Vec<String>,
    /// Serve the index as it is, without updating it first.
    #[arg(long)]
    pub no_index: bool,
    /// Keyword search only: do not load the embedding model.
    #[arg(long)]
    pub no_embed: bool,
    /// Allow binding beyond loopback without a token.
    #[arg(long)]
    pub insecure_remote: bool,
    /// Watch the library: re-index added, changed and removed files in the
    /// background and serve the new index when it is committed.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between checks of the library with --watch.
    #[arg(long, default_value_t = 5.0)]
    pub watch_interval: f64,
    /// Let admin tokens add documents (from a URL, a crawl or an upload), refresh and
    /// remove them: the admin page /admin, /api/admin/… and MCP admin tools. Needs a
    /// token (--token or --tokens-file).
    #[arg(long)]
    pub allow_write: bool,
    /// With --allow-write: allow fetching URLs on this machine or a private network
    /// (refused by default: the server must not be made to reach inside its network).
    #[arg(long)]
    pub allow_private: bool,
    /// With --allow-write: largest document fetched or uploaded, in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: u64,
    /// With --allow-write: largest upload (all its files together), in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_upload_size: usize,
    /// pdf.js (an npm `pdfjs-dist` folder) for showing PDFs as themselves in the
    /// browser; scripts/setup installs it. Default: ~/.cache/mcdewey/pdfjs/node_modules/pdfjs-dist.
    #[arg(long, env = "MCDEWEY_PDFJS")]
    pub pdfjs: Option<PathBuf>,
}

/// Flags of `mcdewey mcp`.
#[derive(Args, Debug)]
pub struct McpArgs {
    #[command(flatten)]
    pub paths: Paths,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Serve the index as it is, without updating it first.
    #[arg(long)]
    pub no_index: bool,
    /// Keyword search only: do not load the embedding model.
    #[arg(long)]
    pub no_embed: bool,
}

/// Flags of `mcdewey token-new`.
#[derive(Args, Debug)]
pub struct TokenNewArgs {
    /// Name shown in the server's log of what the token did (e.g. a person).
    #[arg(long)]
    pub name: String,
    /// read (search, read documents) or admin (also add and remove documents).
    #[arg(long, default_value = "read", value_parser = ["read", "admin"])]
    pub role: String,
}

impl ServeArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        let watch = self
            .watch
            .then(|| std::time::Duration::from_secs_f64(self.watch_interval.clamp(0.2, 3600.0)));
        serve(
            &self.paths,
            &self.model,
            ServeOptions {
                bind: self.bind,
                token: self.token.filter(|t| !t.is_empty()),
                tokens_file: self.tokens_file,
                allow_origins: self.allow_origins,
                allow_hosts: self.allow_hosts,
                no_index: self.no_index,
                no_embed: self.no_embed,
                insecure_remote: self.insecure_remote,
                watch,
                pdfjs: self.pdfjs.unwrap_or_else(|| {
                    crate::args::cache_dir().join("pdfjs/node_modules/pdfjs-dist")
                }),
                writes: self.allow_write.then(|| mcdewey_fetch::FetchOptions {
                    allow_private: self.allow_private,
                    max_bytes: self.max_file_size,
                    ..Default::default()
                }),
                max_upload_bytes: self.max_upload_size,
            },
        )
    }
}

impl McpArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        mcp_stdio(&self.paths, &self.model, self.no_index, self.no_embed)
    }
}

impl TokenNewArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        token_new(&self.name, &self.role)
    }
}

use anyhow::{Context, Result};
use mcdewey_search::{EngineHandle, ReloadEvery, Reloader, ServeEvent, Served};
use mcdewey_server::{AppState, ServerOptions};
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
    /// The pdf.js folder.
    pub pdfjs: PathBuf,
    /// Admins may change the library, fetching like this (`--allow-write`).
    pub writes: Option<mcdewey_fetch::FetchOptions>,
    /// Largest upload request.
    pub max_upload_bytes: usize,
}

/// What `serve` and `mcp` serve: the store, library and model of the command line.
fn served(paths: &Paths, model: &ModelArgs, no_embed: bool) -> Result<Served> {
    Ok(Served::new(
        paths.spec()?,
        paths.library.clone(),
        if no_embed { None } else { Some(model.load()?) },
        model.embed_cache.clone(),
    ))
}

/// Prints what serving did on standard error (standard output keeps the banner).
fn print_event(event: ServeEvent) {
    match event {
        ServeEvent::Indexed(summary) => eprintln!(
            "indexed: {} documents, {} chunks ({} added, {} changed, {} removed, {} skipped)",
            summary.documents,
            summary.chunks,
            summary.added.len(),
            summary.changed.len(),
            summary.removed.len(),
            summary.skipped.len()
        ),
        ServeEvent::NotIndexing(e) => eprintln!("not indexing: {e}"),
        ServeEvent::Swapped => eprintln!("now serving the updated index"),
        ServeEvent::Failed(e) => tracing::warn!(target: "mcdewey::serve", "{e}"),
    }
}

/// Brings the index up to date (unless told not to), opens the engine over it and
/// starts the reloader that keeps it current (watching the library every `watch`,
/// following a shared database).
fn start(
    paths: &Paths,
    model: &ModelArgs,
    no_index: bool,
    no_embed: bool,
    watch: Option<std::time::Duration>,
) -> Result<(EngineHandle, Reloader, Served)> {
    let served = served(paths, model, no_embed)?;
    let engine = served
        .prepare(!no_index, &mut print_event)
        .with_context(|| format!("serving {}", paths.library.display()))?;
    let handle = EngineHandle::new(Arc::new(engine));
    let every = ReloadEvery {
        watch,
        ..ReloadEvery::default()
    };
    let reloader = Reloader::start(served.clone(), handle.clone(), every, Arc::new(print_event))?;
    Ok((handle, reloader, served))
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
    if opts.writes.is_some() && !tokens {
        anyhow::bail!(
            "--allow-write: writes are for admin tokens; set one with --token, MCDEWEY_TOKEN or \
             --tokens-file (make one with `mcdewey token-new --role admin`)"
        );
    }
    let (handle, reloader, served) = start(paths, model, opts.no_index, opts.no_embed, opts.watch)?;
    let state = AppState::new(
        handle,
        ServerOptions {
            token: opts.token.clone(),
            tokens_file: opts.tokens_file.clone(),
            allowed_origins: opts.allow_origins,
            allowed_hosts: opts.allow_hosts,
            library: Some(paths.library.clone()),
            pdfjs: Some(opts.pdfjs),
        },
    )?;
    let writes = opts.writes.is_some();
    let state = match opts.writes {
        Some(fetch) => state.with_writes(mcdewey_server::Writes {
            served,
            fetch,
            max_upload_bytes: opts.max_upload_bytes,
        })?,
        None => state,
    };
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
        if writes {
            println!(
                "  admin    http://{local}/admin   (add, upload, refresh, remove: admin tokens)"
            );
        }
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
    })?;
    reloader.stop();
    Ok(())
}

pub fn mcp_stdio(paths: &Paths, model: &ModelArgs, no_index: bool, no_embed: bool) -> Result<()> {
    let (handle, reloader, _) = start(paths, model, no_index, no_embed, None)?;
    runtime()?.block_on(mcdewey_server::mcp::serve_stdio(handle))?;
    reloader.stop();
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
