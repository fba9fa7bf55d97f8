//! Getting manuals in from the web: `add` downloads one document (PDF, HTML, Markdown or
//! text) from a URL into `<library>/<product>/<version>/<doc-set>/`, and `refresh`
//! fetches every recorded document again with a conditional request (ETag /
//! Last-Modified), replacing only what changed. Indexing stays the library's normal,
//! incremental update.
//!
//! Safety: only `http`/`https`; addresses on this machine or a private network
//! (loopback, RFC 1918, link-local, unique-local, CGNAT, unspecified) are refused unless
//! allowed, checked on every connection including redirects (the resolver filters them,
//! so a name cannot switch to a private address between check and connect); bodies are
//! size-limited; the content must match the file name's type; file names are reduced to
//! safe characters; a failed fetch never touches the copy in the library. Where each
//! document came from is recorded in the doc set's hidden `.mcdewey-sources.json`
//! (hidden files are not library documents).

mod crawl;
mod upload;

pub use crawl::{crawl, CrawlOptions};
pub use upload::{check_upload, remove, save_upload};

use serde::{Deserialize, Serialize};
use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The record of fetched documents in each doc-set folder.
pub const SOURCES_FILE: &str = ".mcdewey-sources.json";

/// Errors of fetching, each naming the URL or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be fetched as given.
    #[error("{url}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Where to put the document is not a library folder.
    #[error("{0}")]
    InvalidTarget(String),
    /// The server answered with an error status.
    #[error("{url}: the server answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The connection failed or was refused (including private addresses).
    #[error("{url}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The document is larger than allowed.
    #[error("{url}: larger than {max} bytes (--max-file-size)")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        max: u64,
    },
    /// The content is not what the name says, or not a document at all.
    #[error("{url}: {reason}")]
    Content {
        /// The URL.
        url: String,
        /// What does not match.
        reason: String,
    },
    /// Reading or writing the library failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How documents are fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Allow addresses on this machine and on private networks (off by default).
    pub allow_private: bool,
    /// Largest document, in bytes.
    pub max_bytes: u64,
    /// Connect and read timeout.
    pub timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            allow_private: false,
            max_bytes: 32 * 1024 * 1024,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Where a document goes: `<product>/<version>/<doc-set>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Product folder.
    pub product: String,
    /// Version folder.
    pub version: String,
    /// Doc-set folder.
    pub doc_set: String,
}

impl Target {
    /// A target, checked against the library's folder rules.
    pub fn new(product: &str, version: &str, doc_set: &str) -> Result<Target, FetchError> {
        let probe = format!("{product}/{version}/{doc_set}/x");
        mcdewey_core::DocPath::parse(&probe)
            .map_err(|e| FetchError::InvalidTarget(format!("product, version or doc set: {e}")))?;
        Ok(Target {
            product: product.into(),
            version: version.into(),
            doc_set: doc_set.into(),
        })
    }

    pub(crate) fn dir(&self, library: &Path) -> PathBuf {
        library
            .join(&self.product)
            .join(&self.version)
            .join(&self.doc_set)
    }
}

/// Where one document came from, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The URL fetched.
    pub url: String,
    /// The file name in the doc-set folder.
    pub file: String,
    /// The server's ETag, for conditional requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The server's Last-Modified, for conditional requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Unix time of the last fetch that brought content.
    pub fetched_at: u64,
    /// blake3 of the content.
    pub hash: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Sources {
    pub(crate) sources: Vec<Source>,
}

pub(crate) fn read_sources(dir: &Path) -> Result<Sources, FetchError> {
    let path = dir.join(SOURCES_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| FetchError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Sources::default()),
        Err(e) => Err(FetchError::Io { path, source: e }),
    }
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    let tmp = path.with_file_name(format!(
        ".{}.part",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

pub(crate) fn write_sources(dir: &Path, sources: &Sources) -> Result<(), FetchError> {
    let json = serde_json::to_vec_pretty(sources).expect("sources always serialise");
    write_atomic(&dir.join(SOURCES_FILE), &json)
}

/// Whether an address is on this machine or a private network.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves names, leaving out private addresses unless they are allowed: every
/// connection (redirects too) goes through it.
struct GuardedResolver {
    allow_private: bool,
}

impl ureq::Resolver for GuardedResolver {
    fn resolve(&self, netloc: &str) -> std::io::Result<Vec<SocketAddr>> {
        let all: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
        if self.allow_private {
            return Ok(all);
        }
        let public: Vec<SocketAddr> = all
            .iter()
            .copied()
            .filter(|a| !is_private(a.ip()))
            .collect();
        if public.is_empty() && !all.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{netloc} is on this machine or a private network ({}); refused unless allowed (--allow-private)",
                    all[0].ip()
                ),
            ));
        }
        Ok(public)
    }
}

pub(crate) fn agent(opts: &FetchOptions) -> ureq::Agent {
    agent_following(opts, 5)
}

/// An agent following at most `redirects` redirects itself (0: the caller sees them).
pub(crate) fn agent_following(opts: &FetchOptions, redirects: u32) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .resolver(GuardedResolver {
            allow_private: opts.allow_private,
        })
        .redirects(redirects)
        .timeout_connect(Duration::from_secs(10).min(opts.timeout))
        .timeout_read(opts.timeout)
        .user_agent(concat!("mcdewey/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Refuses URLs that are not `http://` or `https://`.
pub fn check_url(url: &str) -> Result<(), FetchError> {
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(FetchError::InvalidUrl {
            url: mcdewey_core::shorten(url, 200),
            reason: "only http:// and https:// URLs can be fetched".into(),
        });
    }
    Ok(())
}

/// What a document's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pdf,
    Html,
    Text,
}

impl Kind {
    /// What a downloaded body is; binary content that is no PDF is refused.
    fn of(url: &str, bytes: &[u8], content_type: &str) -> Result<Kind, FetchError> {
        Kind::sniff(bytes, content_type).ok_or_else(|| FetchError::Content {
            url: url.into(),
            reason: format!("binary content ({content_type}) that is neither a PDF nor text"),
        })
    }

    pub(crate) fn sniff(bytes: &[u8], content_type: &str) -> Option<Kind> {
        if bytes.starts_with(b"%PDF-") {
            return Some(Kind::Pdf);
        }
        if bytes.contains(&0) {
            return None;
        }
        let head: String = String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
            .trim_start_matches('\u{feff}')
            .trim_start()
            .to_ascii_lowercase();
        if content_type.contains("html")
            || head.starts_with("<!doctype html")
            || head.starts_with("<html")
        {
            return Some(Kind::Html);
        }
        Some(Kind::Text)
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Pdf => "a PDF",
            Kind::Html => "HTML",
            Kind::Text => "text",
        }
    }

    /// The extension a file of this kind gets when its name has none the library reads.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Html => "html",
            Kind::Text => "md",
        }
    }

    /// Whether a name's extension says this kind.
    pub(crate) fn fits(self, ext: &str) -> bool {
        match self {
            Kind::Pdf => ext == "pdf",
            Kind::Html => ext == "html" || ext == "htm",
            Kind::Text => matches!(ext, "md" | "markdown" | "txt" | "text" | "rst"),
        }
    }
}

const KNOWN: &[&str] = &["pdf", "html", "htm", "md", "markdown", "txt", "text", "rst"];

/// A file name from a URL's last path segment (or `given`), reduced to letters, digits,
/// `.`, `-` and `_`.
fn file_name(url: &str, given: Option<&str>) -> String {
    let from_url = || {
        let path = url.split(['?', '#']).next().unwrap_or("");
        let path = path.splitn(4, '/').nth(3).unwrap_or("");
        path.rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string()
    };
    safe_segment(&given.map(str::to_string).unwrap_or_else(from_url))
}

/// A file or folder name reduced to letters, digits, `.`, `-` and `_`, never empty, never
/// `.` or `..` (so no name can leave its folder).
pub(crate) fn safe_segment(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_matches(['.', '-']).to_string();
    if clean.is_empty() {
        "index".into()
    } else {
        clean
    }
}

/// The name a document is saved under: `name` with the extension its content calls
/// for; an error when the name's own extension says another type.
pub(crate) fn name_for(url: &str, name: &str, kind: Kind) -> Result<String, FetchError> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext {
        Some(e) if KNOWN.contains(&e.as_str()) && !kind.fits(&e) => Err(FetchError::Content {
            url: url.into(),
            reason: format!("the content is {}, not what a .{e} name says", kind.name()),
        }),
        Some(e) if KNOWN.contains(&e.as_str()) => Ok(name.to_string()),
        _ => Ok(format!("{name}.{}", kind.extension())),
    }
}

/// A response's body, at most `max` bytes.
pub(crate) fn body(url: &str, resp: ureq::Response, max: u64) -> Result<Vec<u8>, FetchError> {
    let mut buf = Vec::new();
    resp.into_reader()
        .take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FetchError::Transport {
            url: url.into(),
            reason: format!("reading the body: {e}"),
        })?;
    if buf.len() as u64 > max {
        return Err(FetchError::TooLarge {
            url: url.into(),
            max,
        });
    }
    Ok(buf)
}

pub(crate) fn transport(url: &str, e: ureq::Error) -> FetchError {
    match e {
        ureq::Error::Status(status, _) => FetchError::Status {
            url: url.into(),
            status,
        },
        ureq::Error::Transport(t) => {
            // Our resolver's refusal says all there is to say; ureq's own text repeats
            // the URL.
            let refused = std::error::Error::source(&t)
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .filter(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
                .map(|e| e.to_string());
            let text = t.to_string();
            let reason = refused.unwrap_or_else(|| {
                text.strip_prefix(&format!("{url}: "))
                    .unwrap_or(&text)
                    .to_string()
            });
            FetchError::Transport {
                url: url.into(),
                reason,
            }
        }
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What `add` or `refresh` did to one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Fetched {
    /// Library-relative path of the document.
    pub source: String,
    /// The URL.
    pub url: String,
    /// `added`, `changed`, `unchanged`, `removed` or `failed`.
    pub status: &'static str,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Downloads `url` into the target doc set as `name` (default: the URL's last path
/// segment, with the extension its content calls for) and records where it came from.
pub fn add(
    library: &Path,
    url: &str,
    target: &Target,
    name: Option<&str>,
    opts: &FetchOptions,
) -> Result<Fetched, FetchError> {
    check_url(url)?;
    let resp = agent(opts).get(url).call().map_err(|e| transport(url, e))?;
    let content_type = resp.content_type().to_ascii_lowercase();
    let (etag, last_modified) = validators(&resp);
    let bytes = body(url, resp, opts.max_bytes)?;
    let kind = Kind::of(url, &bytes, &content_type)?;
    let file = name_for(url, &file_name(url, name), kind)?;
    let dir = target.dir(library);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut sources = read_sources(&dir)?;
    let fetched = save(
        &dir,
        target,
        &mut sources,
        &file,
        Download {
            url: url.into(),
            bytes,
            etag,
            last_modified,
        },
    )?;
    write_sources(&dir, &sources)?;
    Ok(fetched)
}

/// A document as downloaded.
pub(crate) struct Download {
    pub(crate) url: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) etag: Option<String>,
    pub(crate) last_modified: Option<String>,
}

/// Saves a download as `file` in the target's doc-set folder `dir` (written only when
/// its content changed) and records it in `sources`.
pub(crate) fn save(
    dir: &Path,
    target: &Target,
    sources: &mut Sources,
    file: &str,
    d: Download,
) -> Result<Fetched, FetchError> {
    let path = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let hash = blake3::hash(&d.bytes).to_hex().to_string();
    let before = std::fs::read(&path)
        .ok()
        .map(|b| blake3::hash(&b).to_hex().to_string());
    if before.as_deref() != Some(hash.as_str()) {
        write_atomic(&path, &d.bytes)?;
    }
    sources.sources.retain(|s| s.file != file);
    sources.sources.push(Source {
        url: d.url.clone(),
        file: file.to_string(),
        etag: d.etag,
        last_modified: d.last_modified,
        fetched_at: now(),
        hash: hash.clone(),
    });
    Ok(Fetched {
        source: format!(
            "{}/{}/{}/{file}",
            target.product, target.version, target.doc_set
        ),
        url: d.url,
        status: match before {
            None => "added",
            Some(h) if h == hash => "unchanged",
            Some(_) => "changed",
        },
        error: None,
    })
}

pub(crate) fn validators(resp: &ureq::Response) -> (Option<String>, Option<String>) {
    (
        resp.header("etag").map(str::to_string),
        resp.header("last-modified").map(str::to_string),
    )
}

/// Fetches every recorded document of the library again (or those `scope` names: a
/// URL, or a library path or folder such as `cucm/v15`), conditionally; replaces what
/// changed, keeps what did not or could not be fetched. One result per document.
pub fn refresh(
    library: &Path,
    scope: Option<&str>,
    opts: &FetchOptions,
) -> Result<Vec<Fetched>, FetchError> {
    let mut out = Vec::new();
    let agent = agent(opts);
    for dir in source_dirs(library)? {
        let mut sources = read_sources(&dir)?;
        let rel = dir
            .strip_prefix(library)
            .unwrap_or(&dir)
            .to_string_lossy()
            .replace('\\', "/");
        for s in &mut sources.sources {
            let source = format!("{rel}/{}", s.file);
            if !scope.is_none_or(|scope| in_scope(scope, &s.url, &source)) {
                continue;
            }
            let result = refresh_one(&agent, &dir, s, opts.max_bytes);
            out.push(match result {
                Ok(status) => Fetched {
                    source,
                    url: s.url.clone(),
                    status,
                    error: None,
                },
                Err(e) => Fetched {
                    source,
                    url: s.url.clone(),
                    status: "failed",
                    error: Some(e.to_string()),
                },
            });
        }
        write_sources(&dir, &sources)?;
    }
    Ok(out)
}

/// Whether a recorded document is the URL `scope`, or lies at or below the library
/// path `scope`.
fn in_scope(scope: &str, url: &str, source: &str) -> bool {
    let scope = scope.trim().trim_end_matches('/');
    scope == url
        || source == scope
        || source
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn refresh_one(
    agent: &ureq::Agent,
    dir: &Path,
    s: &mut Source,
    max_bytes: u64,
) -> Result<&'static str, FetchError> {
    check_url(&s.url)?;
    let mut req = agent.get(&s.url);
    if let Some(etag) = &s.etag {
        req = req.set("If-None-Match", etag);
    }
    if let Some(lm) = &s.last_modified {
        req = req.set("If-Modified-Since", lm);
    }
    let resp = req.call().map_err(|e| transport(&s.url, e))?;
    if resp.status() == 304 {
        return Ok("unchanged");
    }
    let content_type = resp.content_type().to_ascii_lowercase();
    let (etag, last_modified) = validators(&resp);
    let bytes = body(&s.url, resp, max_bytes)?;
    let kind = Kind::of(&s.url, &bytes, &content_type)?;
    // The file keeps its name; content of another type is refused, not saved under it.
    name_for(&s.url, &s.file, kind)?;
    let hash = blake3::hash(&bytes).to_hex().to_string();
    s.etag = etag;
    s.last_modified = last_modified;
    if hash == s.hash && dir.join(&s.file).exists() {
        return Ok("unchanged");
    }
    let path = dir.join(&s.file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    write_atomic(&path, &bytes)?;
    s.hash = hash;
    s.fetched_at = now();
    Ok("changed")
}

/// The doc-set folders of a library that have a sources record.
fn source_dirs(library: &Path) -> Result<Vec<PathBuf>, FetchError> {
    let mut out = Vec::new();
    let level = |dir: &Path| -> Result<Vec<PathBuf>, FetchError> {
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && entry.file_type().map_err(io(dir))?.is_dir() {
                dirs.push(entry.path());
            }
        }
        dirs.sort();
        Ok(dirs)
    };
    for product in level(library)? {
        for version in level(&product)? {
            for doc_set in level(&version)? {
                if doc_set.join(SOURCES_FILE).is_file() {
                    out.push(doc_set);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognised() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn the_resolver_every_connection_uses_refuses_private_addresses() {
        use ureq::Resolver;
        let guarded = GuardedResolver {
            allow_private: false,
        };
        for netloc in [
            "127.0.0.1:80",
            "localhost:8080",
            "[::1]:443",
            "10.0.0.1:80",
            "169.254.169.254:80",
        ] {
            let e = guarded.resolve(netloc).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{netloc}");
            assert!(e.to_string().contains("--allow-private"), "{e}");
        }
        let open = GuardedResolver {
            allow_private: true,
        };
        assert_eq!(open.resolve("127.0.0.1:80").unwrap().len(), 1);
    }

    #[test]
    fn names_are_safe_and_match_their_content() {
        assert_eq!(
            file_name("https://x.org/docs/Guide%20v1.pdf?x=1", None),
            "Guide-20v1.pdf"
        );
        assert_eq!(file_name("https://x.org/", None), "index");
        assert_eq!(
            file_name("https://x.org/a", Some("../../etc/passwd")),
            "etc-passwd"
        );
        assert_eq!(name_for("u", "guide", Kind::Pdf).unwrap(), "guide.pdf");
        assert_eq!(
            name_for("u", "intro.html", Kind::Html).unwrap(),
            "intro.html"
        );
        assert_eq!(name_for("u", "notes", Kind::Text).unwrap(), "notes.md");
        assert_eq!(
            name_for("u", "guide.pdf", Kind::Html)
                .unwrap_err()
                .to_string(),
            "u: the content is HTML, not what a .pdf name says"
        );
        assert_eq!(Kind::sniff(b"%PDF-1.7", "text/html"), Some(Kind::Pdf));
        assert_eq!(
            Kind::sniff(b" <!DOCTYPE html><p>", "text/plain"),
            Some(Kind::Html)
        );
        assert_eq!(Kind::sniff(b"# Title", "text/markdown"), Some(Kind::Text));
        assert_eq!(Kind::sniff(b"\x00\x01", "application/octet-stream"), None);
    }

    #[test]
    fn a_refresh_scope_is_a_url_or_a_library_folder() {
        let (url, source) = ("https://x.org/a.pdf", "cucm/v15/guide/a.pdf");
        for yes in [url, "cucm", "cucm/v15/", "cucm/v15/guide", source] {
            assert!(in_scope(yes, url, source), "{yes}");
        }
        for no in ["cuc", "cucm/v1", "https://x.org", "cucm/v15/guide/a"] {
            assert!(!in_scope(no, url, source), "{no}");
        }
    }

    #[test]
    fn targets_follow_the_library_rules_and_urls_must_be_http() {
        assert!(Target::new("cucm", "v15", "security-guide").is_ok());
        assert!(Target::new("cucm", "..", "x").is_err());
        assert!(Target::new("a::b", "v1", "x").is_err());
        let e = check_url("file:///etc/passwd").unwrap_err().to_string();
        assert!(e.contains("only http:// and https://"), "{e}");
    }
}
