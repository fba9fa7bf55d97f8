//! `mcdewey add` and `mcdewey refresh`: manuals from the web into the library, then the
//! usual incremental index update.

use crate::args::{ModelArgs, Paths};
use crate::index_cmd::update_after_fetch;
use anyhow::Result;
use clap::Args;
use mcdewey_fetch::{FetchOptions, Fetched, Target};

/// Flags both commands share.
#[derive(Args, Debug)]
pub struct FetchFlags {
    /// Allow URLs on this machine or a private network (refused by default: a server
    /// must not be made to fetch from inside its own network).
    #[arg(long)]
    pub allow_private: bool,
    /// Largest document to download, in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Seconds to wait for a server.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Only fetch; do not update the index.
    #[arg(long)]
    pub no_index: bool,
    /// Update the index without the embedding model (keyword search only).
    #[arg(long)]
    pub no_embed: bool,
    /// Print JSON: {"fetched": [{source, url, status, error}], "index": {...}}.
    #[arg(long)]
    pub json: bool,
}

impl FetchFlags {
    fn options(&self) -> FetchOptions {
        FetchOptions {
            allow_private: self.allow_private,
            max_bytes: self.max_file_size,
            timeout: std::time::Duration::from_secs(self.timeout.clamp(1, 3600)),
        }
    }

    /// Prints what was fetched and updates the index unless told not to.
    fn finish(&self, paths: &Paths, model: &ModelArgs, fetched: &[Fetched]) -> Result<()> {
        if !self.json {
            for f in fetched {
                let what = if f.source.is_empty() {
                    &f.url
                } else {
                    &f.source
                };
                match &f.error {
                    Some(e) => println!("{:<9} {what}  ({e})", f.status),
                    None => println!("{:<9} {what}  <- {}", f.status, f.url),
                }
            }
        }
        let index = if self.no_index {
            serde_json::Value::Null
        } else {
            update_after_fetch(paths, (!self.no_embed).then_some(model), self.json)?
        };
        if self.json {
            let out = serde_json::json!({"fetched": fetched, "index": index});
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Ok(())
    }
}

/// Flags of `mcdewey add`.
#[derive(Args, Debug)]
pub struct AddArgs {
    /// The document's URL (PDF, HTML, Markdown or text).
    pub url: String,
    /// Product folder to put it in (e.g. cucm).
    #[arg(long)]
    pub product: String,
    /// Version folder (e.g. v15).
    #[arg(long)]
    pub version: String,
    /// Doc-set folder (e.g. security-guide).
    #[arg(long)]
    pub doc_set: String,
    /// File name in the doc set (default: the URL's last path segment, with the
    /// extension its content calls for).
    #[arg(long, conflicts_with = "crawl")]
    pub name: Option<String>,
    /// Crawl the documentation site from URL: every page under URL's folder, linked
    /// from it, robots.txt honoured; pages keep their path below that folder.
    #[arg(long)]
    pub crawl: bool,
    /// With --crawl: most pages saved.
    #[arg(long, default_value_t = 500)]
    pub max_pages: usize,
    /// With --crawl: most links followed from URL.
    #[arg(long, default_value_t = 10)]
    pub max_depth: usize,
    /// With --crawl: milliseconds between requests (politeness).
    #[arg(long, default_value_t = 200)]
    pub delay_ms: u64,
    /// With --crawl: most bytes downloaded in all.
    #[arg(long, default_value_t = 1 << 30)]
    pub max_crawl_size: u64,
    #[command(flatten)]
    pub flags: FetchFlags,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub paths: Paths,
}

impl AddArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        let target = Target::new(&self.product, &self.version, &self.doc_set)?;
        let fetched = if self.crawl {
            let limits = mcdewey_fetch::CrawlOptions {
                max_pages: self.max_pages.clamp(1, 100_000),
                max_depth: self.max_depth,
                delay: std::time::Duration::from_millis(self.delay_ms.min(60_000)),
                max_total_bytes: self.max_crawl_size,
            };
            // A spinner on a terminal (indicatif draws nothing elsewhere).
            let spinner = if self.flags.json {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new_spinner()
            };
            spinner.enable_steady_tick(std::time::Duration::from_millis(200));
            spinner.set_message(format!("crawling {}", self.url));
            let crawled = mcdewey_fetch::crawl(
                &self.paths.library,
                &self.url,
                &target,
                &self.flags.options(),
                &limits,
                &mut |saved| {
                    spinner.set_message(format!("crawling {}: {saved} pages saved", self.url))
                },
            );
            spinner.finish_and_clear();
            crawled?
        } else {
            vec![mcdewey_fetch::add(
                &self.paths.library,
                &self.url,
                &target,
                self.name.as_deref(),
                &self.flags.options(),
            )?]
        };
        self.flags.finish(&self.paths, &self.model, &fetched)
    }
}

/// Flags of `mcdewey refresh`.
#[derive(Args, Debug)]
pub struct RefreshArgs {
    /// Only the documents of this URL, or below this library path (e.g. cucm/v15).
    pub scope: Option<String>,
    #[command(flatten)]
    pub flags: FetchFlags,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub paths: Paths,
}

impl RefreshArgs {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        let fetched = mcdewey_fetch::refresh(
            &self.paths.library,
            self.scope.as_deref(),
            &self.flags.options(),
        )?;
        if fetched.is_empty() {
            let place = match &self.scope {
                Some(scope) => format!("{} ({scope})", self.paths.library.display()),
                None => self.paths.library.display().to_string(),
            };
            eprintln!(
                "{place}: no documents were added from a URL (mcdewey add URL --product P --version V --doc-set D)"
            );
        }
        self.flags.finish(&self.paths, &self.model, &fetched)?;
        let failed = fetched.iter().filter(|f| f.status == "failed").count();
        anyhow::ensure!(
            failed == 0,
            "{failed} of {} documents could not be refreshed; their indexed copies are kept",
            fetched.len()
        );
        Ok(())
    }
}
