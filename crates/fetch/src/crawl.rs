//! Crawling a documentation site into a doc set: breadth-first from a start page,
//! following only links under the start page's folder (the prefix), honouring
//! robots.txt, one request at a time with a pause between them, at most `max_pages`
//! pages and `max_depth` links deep. A page that redirects out of the prefix is left
//! out; a page naming a canonical URL already fetched is not saved twice. Pages keep
//! their path below the prefix as their file name in the doc set.

use crate::{
    agent_following, body, check_url, read_sources, safe_segment, save, transport, write_sources,
    Download, FetchError, FetchOptions, Fetched, Kind, Target,
};
use std::collections::{HashSet, VecDeque};
use url::Url;

/// Limits of a crawl.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Most pages saved.
    pub max_pages: usize,
    /// Most links followed from the start page.
    pub max_depth: usize,
    /// Pause between requests.
    pub delay: std::time::Duration,
    /// Most bytes downloaded in all; the crawl stops (and says so) past it.
    pub max_total_bytes: u64,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            max_pages: 500,
            max_depth: 10,
            delay: std::time::Duration::from_millis(200),
            max_total_bytes: 1 << 30,
        }
    }
}

/// The rules of a site's robots.txt for us: the Allow / Disallow path prefixes of the
/// group for `mcdewey`, else of `*`; the longest matching rule wins, Allow on a tie.
#[derive(Debug, Default)]
pub(crate) struct Robots {
    rules: Vec<Rule>,
}

/// One Allow (`true`) or Disallow rule: a path prefix.
type Rule = (bool, String);

/// A robots.txt group: the user agents it names and its rules.
type Group = (Vec<String>, Vec<Rule>);

impl Robots {
    pub(crate) fn parse(text: &str) -> Robots {
        let mut groups: Vec<Group> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim().to_string());
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push((Vec::new(), Vec::new()));
                    }
                    in_agents = true;
                    if let Some(g) = groups.last_mut() {
                        g.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    if let Some(g) = groups.last_mut() {
                        // An empty Disallow allows everything: no rule.
                        if !value.is_empty() {
                            g.1.push((key == "allow", value));
                        }
                    }
                }
                _ => {}
            }
        }
        let pick = |name: &str| {
            groups
                .iter()
                .find(|(agents, _)| agents.iter().any(|a| a == name))
                .map(|(_, r)| r.clone())
        };
        Robots {
            rules: pick("mcdewey").or_else(|| pick("*")).unwrap_or_default(),
        }
    }

    pub(crate) fn allows(&self, path: &str) -> bool {
        self.rules
            .iter()
            .filter(|(_, prefix)| path.starts_with(prefix.as_str()))
            .max_by_key(|(allow, prefix)| (prefix.len(), *allow))
            .is_none_or(|(allow, _)| *allow)
    }
}

/// The file a page is saved as: its path below the prefix, each part made safe, an
/// `index.html` for a folder.
fn page_file(prefix: &Url, page: &Url, kind: Kind) -> String {
    let rel = page.path().strip_prefix(prefix.path()).unwrap_or("");
    let mut parts: Vec<String> = rel
        .split('/')
        .filter(|p| !p.is_empty())
        .map(safe_segment)
        .collect();
    if rel.is_empty() || rel.ends_with('/') {
        parts.push("index".into());
    }
    let last = parts.pop().unwrap_or_else(|| "index".into());
    let ext = last.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let last = match ext {
        Some(e) if kind.fits(e.as_str()) => last,
        _ => format!("{last}.{}", kind.extension()),
    };
    parts.push(last);
    parts.join("/")
}

/// The links of an HTML page, resolved against its URL, without fragments; and its
/// canonical URL when it names one.
fn links(page: &Url, html: &str) -> (Vec<Url>, Option<Url>) {
    let doc = scraper::Html::parse_document(html);
    let anchors = scraper::Selector::parse("a[href]").expect("a valid selector");
    let canonical =
        scraper::Selector::parse("link[rel=canonical][href]").expect("a valid selector");
    let resolve = |href: &str| {
        page.join(href.trim()).ok().map(|mut u| {
            u.set_fragment(None);
            u
        })
    };
    let found = doc
        .select(&anchors)
        .filter_map(|a| a.value().attr("href"))
        .filter_map(resolve)
        .collect();
    let canon = doc
        .select(&canonical)
        .next()
        .and_then(|l| l.value().attr("href"))
        .and_then(resolve);
    (found, canon)
}

/// Crawls the site under `start`'s folder into the target doc set; one result per page
/// fetched or left out. `progress` hears the number of pages saved after each one.
pub fn crawl(
    library: &std::path::Path,
    start: &str,
    target: &Target,
    opts: &FetchOptions,
    limits: &CrawlOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Fetched>, FetchError> {
    check_url(start)?;
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: mcdewey_core::shorten(start, 200),
        reason,
    };
    let mut first = Url::parse(start).map_err(|e| invalid(e.to_string()))?;
    first.set_fragment(None);
    let mut prefix = first.clone();
    prefix.set_query(None);
    let folder = match prefix.path().rfind('/') {
        Some(i) => prefix.path()[..=i].to_string(),
        None => "/".to_string(),
    };
    prefix.set_path(&folder);
    let in_scope = |u: &Url| {
        u.scheme() == prefix.scheme()
            && u.host_str() == prefix.host_str()
            && u.port_or_known_default() == prefix.port_or_known_default()
            && u.path().starts_with(prefix.path())
    };
    // Redirects are followed here, one at a time, so one leaving the prefix is never
    // fetched.
    let agent = agent_following(opts, 0);
    let robots = {
        let mut robots_url = prefix.clone();
        robots_url.set_path("/robots.txt");
        match agent.get(robots_url.as_str()).call() {
            Ok(resp) => Robots::parse(&String::from_utf8_lossy(&body(
                robots_url.as_str(),
                resp,
                512 * 1024,
            )?)),
            // No robots.txt (or an error answer): no rules.
            Err(ureq::Error::Status(..)) => Robots::default(),
            Err(e) => return Err(transport(robots_url.as_str(), e)),
        }
    };
    let dir = target.dir(library);
    std::fs::create_dir_all(&dir).map_err(crate::io(&dir))?;
    let mut sources = read_sources(&dir)?;
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::from([first.to_string()]);
    let mut saved_canonical: HashSet<String> = HashSet::new();
    let mut queue = VecDeque::from([(first, 0usize)]);
    let mut requests = 0usize;
    let left_out = |url: &Url, why: String| Fetched {
        source: String::new(),
        url: url.to_string(),
        status: "skipped",
        error: Some(why),
    };
    let mut saved = 0usize;
    let mut downloaded = 0u64;
    while let Some((url, depth)) = queue.pop_front() {
        if saved >= limits.max_pages {
            break;
        }
        if downloaded > limits.max_total_bytes {
            out.push(left_out(
                &url,
                format!(
                    "the crawl downloaded more than {} bytes (--max-crawl-size); it and the {} pages queued after it are left out",
                    limits.max_total_bytes,
                    queue.len()
                ),
            ));
            break;
        }
        if !robots.allows(url.path()) {
            out.push(left_out(&url, "disallowed by robots.txt".into()));
            continue;
        }
        if requests > 0 {
            std::thread::sleep(limits.delay);
        }
        requests += 1;
        let resp = match agent.get(url.as_str()).call() {
            Ok(r) => r,
            Err(e) => {
                out.push(Fetched {
                    source: String::new(),
                    url: url.to_string(),
                    status: "failed",
                    error: Some(transport(url.as_str(), e).to_string()),
                });
                continue;
            }
        };
        if (300..400).contains(&resp.status()) {
            let to = resp
                .header("location")
                .and_then(|l| url.join(l).ok())
                .map(|mut u| {
                    u.set_fragment(None);
                    u
                });
            match to {
                Some(to) if in_scope(&to) => {
                    if seen.insert(to.to_string()) {
                        queue.push_front((to, depth));
                    }
                }
                Some(to) => out.push(left_out(&url, format!("redirects out of {prefix} to {to}"))),
                None => out.push(left_out(
                    &url,
                    "a redirect without a usable Location".into(),
                )),
            }
            continue;
        }
        let landed = url.clone();
        let content_type = resp.content_type().to_ascii_lowercase();
        let (etag, last_modified) = crate::validators(&resp);
        let bytes = match body(url.as_str(), resp, opts.max_bytes) {
            Ok(b) => b,
            Err(e) => {
                out.push(Fetched {
                    source: String::new(),
                    url: url.to_string(),
                    status: "failed",
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        downloaded += bytes.len() as u64;
        let Some(kind) = Kind::sniff(&bytes, &content_type) else {
            out.push(left_out(&url, format!("binary content ({content_type})")));
            continue;
        };
        if kind == Kind::Html && depth < limits.max_depth {
            let (found, canonical) = links(&landed, &String::from_utf8_lossy(&bytes));
            if let Some(c) = canonical.filter(|c| in_scope(c) && *c != landed) {
                if !saved_canonical.insert(c.to_string()) {
                    out.push(left_out(&url, format!("the same page as {c}")));
                    continue;
                }
            }
            for link in found {
                if in_scope(&link) && seen.insert(link.to_string()) {
                    queue.push_back((link, depth + 1));
                }
            }
        }
        saved_canonical.insert(landed.to_string());
        let file = page_file(&prefix, &landed, kind);
        let download = Download {
            url: landed.to_string(),
            bytes,
            etag,
            last_modified,
        };
        out.push(save(&dir, target, &mut sources, &file, download)?);
        saved += 1;
        progress(saved);
    }
    write_sources(&dir, &sources)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_rules_pick_our_group_and_the_longest_match() {
        let r = Robots::parse(
            "User-agent: other\nDisallow: /\n\nUser-agent: *\nDisallow: /docs/private/\nAllow: /docs/private/ok.html\nDisallow:\n",
        );
        assert!(r.allows("/docs/index.html"));
        assert!(!r.allows("/docs/private/x.html"));
        assert!(r.allows("/docs/private/ok.html"));
        let ours =
            Robots::parse("User-agent: mcdewey\nDisallow: /docs/\nUser-agent: *\nDisallow:\n");
        assert!(!ours.allows("/docs/a.html"));
        assert!(Robots::parse("").allows("/anything"));
    }

    #[test]
    fn pages_keep_their_path_below_the_prefix() {
        let prefix = Url::parse("http://h/docs/15/").unwrap();
        let file = |p: &str, k| page_file(&prefix, &Url::parse(p).unwrap(), k);
        assert_eq!(
            file("http://h/docs/15/tutorial/start.html", Kind::Html),
            "tutorial/start.html"
        );
        assert_eq!(file("http://h/docs/15/", Kind::Html), "index.html");
        assert_eq!(
            file("http://h/docs/15/sql-select", Kind::Html),
            "sql-select.html"
        );
        assert_eq!(file("http://h/docs/15/manual.pdf", Kind::Pdf), "manual.pdf");
        let (found, canonical) = links(
            &Url::parse("http://h/docs/15/a.html").unwrap(),
            r#"<link rel="canonical" href="/docs/15/a.html"><a href="b.html#x">b</a><a href="../14/c.html">c</a>"#,
        );
        let found: Vec<String> = found.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            found,
            ["http://h/docs/15/b.html", "http://h/docs/14/c.html"]
        );
        assert_eq!(canonical.unwrap().as_str(), "http://h/docs/15/a.html");
    }
}
