//! Text output for people.

use mcdewey_core::Chunk;
use mcdewey_search::{Citation, LibraryTree, SearchResponse};
use std::fmt::Write;

/// `p. 153`, `pp. 153-155`, `p. 147 (printed 129)`, or "unknown" (a chunk's own view,
/// as the web UI's chunk page says it).
fn page_text(c: &Citation) -> String {
    c.page_text().unwrap_or_else(|| "unknown".to_string())
}

/// The page after two spaces, or nothing when it is unknown (HTML and Markdown without
/// page marks have none), as the web UI's result list shows it.
fn listed_page(c: &Citation) -> String {
    c.page_text().map(|p| format!("  {p}")).unwrap_or_default()
}

/// The part of a result's text that holds most of the query's words (the web UI's
/// snippet, without its marks).
fn snippet(text: &str, query: &str, max: usize) -> String {
    let joined: String = mcdewey_server::snippet::snippet(text, query, max)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn results(r: &SearchResponse) -> String {
    let mut out = String::new();
    if r.results.is_empty() {
        let _ = writeln!(out, "No results for {:?}.", r.query);
        return out;
    }
    if let Some(u) = r.understood.as_ref().filter(|u| u.only_a_note()) {
        if let Some(note) = u.not_in_library_note() {
            let _ = writeln!(out, "{note}\n");
        }
    } else if let Some(u) = &r.understood {
        let what = u.what();
        let how = if u.applied {
            "results from it rank first; --version or --product searches elsewhere, --no-understand takes the query as written"
        } else {
            "the explicit filter decides"
        };
        let _ = writeln!(out, "Understood {what} from {:?}: {how}.", u.phrase);
        if let Some(note) = u.not_in_library_note() {
            let _ = writeln!(out, "{note}");
        }
        let _ = writeln!(out);
    }
    if let Some(note) = r.quoted.as_ref().and_then(|q| q.note()) {
        let _ = writeln!(out, "{note}\n");
    }
    if r.no_close_match {
        let _ = writeln!(
            out,
            "No close match: nothing in the library matches {:?} well; the results below are weak.\n",
            r.query
        );
    }
    for hit in &r.results {
        let _ = writeln!(
            out,
            "{:>2}. {}  [{}]{}",
            hit.rank,
            hit.citation.source,
            hit.citation.version,
            listed_page(&hit.citation)
        );
        if !hit.citation.heading.is_empty() {
            let _ = writeln!(out, "    {}", hit.citation.heading_path());
        }
        let _ = writeln!(
            out,
            "    {}  (score {:.2}, match {})",
            hit.chunk_id,
            hit.score,
            hit.match_level.as_str()
        );
        for other in &hit.also_in {
            let _ = writeln!(
                out,
                "    also in {}: {}{}",
                hit.citation.member_name(&other.citation),
                other.chunk_id,
                listed_page(&other.citation)
            );
        }
        for other in &hit.differs_in {
            let (from, to) = hit.citation.releases_in_order(&other.citation);
            let _ = writeln!(
                out,
                "    differs in {}: {}  (the diff: mcdewey compare --product {} --from {from} --to {to} --section {})",
                other.citation.version, other.chunk_id, hit.citation.product, hit.chunk_id
            );
        }
        let _ = writeln!(out, "    {}", snippet(&hit.text, &r.query, 240));
        out.push('\n');
    }
    out
}

pub fn chunk(c: &Chunk) -> String {
    let mut out = String::new();
    let page = page_text(&Citation::of(c));
    let _ = writeln!(out, "{}", c.id);
    let _ = writeln!(
        out,
        "source:  {} (lines {}-{})",
        c.source, c.location.line_start, c.location.line_end
    );
    let _ = writeln!(out, "version: {}", c.version);
    let _ = writeln!(out, "page:    {page}");
    if !c.heading.is_empty() {
        let _ = writeln!(
            out,
            "heading: {}",
            c.heading.join(mcdewey_search::HEADING_SEPARATOR)
        );
    }
    let _ = writeln!(out, "\n{}", c.text);
    out
}

/// "1 document, 3 chunks".
fn counts(documents: usize, chunks: u64) -> String {
    let n = |n: u64, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        n(documents as u64, "document"),
        n(chunks, "chunk")
    )
}

pub fn library(t: &LibraryTree) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", counts(t.documents, t.chunks));
    for p in &t.products {
        let _ = writeln!(out, "{}  ({})", p.name, counts(p.documents, p.chunks));
        for v in &p.versions {
            let _ = writeln!(out, "  {}  ({})", v.name, counts(v.documents, v.chunks));
            for d in &v.doc_sets {
                let _ = writeln!(
                    out,
                    "    {}  ({})",
                    d.name,
                    counts(d.documents.len(), d.chunks)
                );
                for doc in &d.documents {
                    let stale = if doc.stale.is_some() {
                        "  [stale: current file unreadable]"
                    } else {
                        ""
                    };
                    let _ = writeln!(out, "      {}  {} chunks{stale}", doc.source, doc.chunks);
                }
            }
        }
    }
    out
}
