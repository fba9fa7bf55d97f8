//! What is fuzzed: each target takes bytes and runs one parser or the query path the way
//! indexing and serving run it. Returning normally (with a result or a clean error) is a
//! pass; a panic that escapes, or one caught inside McDewey's own guards but raised by
//! McDewey's own code, is a finding.

use anyhow::Result;
use mcdewey_core::DocPath;
use mcdewey_embed::HashEmbedder;
use mcdewey_ingest::pdf::writer::{build_pdf, TestPage};
use mcdewey_ingest::pdf::PdfError;
use mcdewey_ingest::{parse_document, Format, IngestError, IngestOptions, LibraryFile};
use mcdewey_search::{Embedding, Engine, Mode, SearchRequest, StoreSpec};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The fuzz targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The Markdown parser and chunker (`parse_document` of a `.md` file).
    Markdown,
    /// HTML main-content extraction, conversion and chunking (a `.html` file).
    Html,
    /// The PDF reader (page tree, labels, outline, text) and page layout (a `.pdf` file).
    Pdf,
    /// Search requests (query text and filters) against a small hybrid index.
    Query,
    /// The vector files of the embedded store: a generation's catalog (`gen-N.json`)
    /// or a part's vector file, then a search over what loaded.
    Vectors,
}

impl Target {
    /// Every target, in the order `all` runs them.
    pub const ALL: [Target; 5] = [
        Target::Markdown,
        Target::Html,
        Target::Pdf,
        Target::Query,
        Target::Vectors,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Target::Markdown => "markdown",
            Target::Html => "html",
            Target::Pdf => "pdf",
            Target::Query => "query",
            Target::Vectors => "vectors",
        }
    }

    /// File extensions of corpus files that seed this target.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Target::Markdown => &["md", "markdown", "txt"],
            Target::Html => &["html", "htm"],
            Target::Pdf => &["pdf"],
            Target::Query => &["query"],
            Target::Vectors => &["vectors"],
        }
    }

    /// Keywords of the format, inserted by the mutator.
    pub fn tokens(self) -> &'static [&'static [u8]] {
        match self {
            Target::Markdown => &[
                b"\n# ",
                b"\n## ",
                b"```",
                b"\n| a | b |\n|---|---|\n",
                b"\n- ",
                b"\n1. ",
                b"**",
                b"[x](y)",
                b"<table><tr><td>",
                b"</td></tr></table>",
                b"\t",
                b"\r\n",
                b"CONTENTS\n",
                b" . . . . 12\n",
                b", on page 3",
                b"\xEF\xBB\xBF",
                b"\xC3",
                b"\0",
            ],
            Target::Html => &[
                b"<div>",
                b"</div>",
                b"<pre>",
                b"</pre>",
                b"<table><tr><td>",
                b"</td></tr>",
                b"<h2>",
                b"</h2>",
                b"<nav>",
                b"<main>",
                b"<script>",
                b"<!--",
                b"-->",
                b"&#x",
                b"&amp;",
                b"<a href=\"",
                b"\">",
                b"<ul><li>",
                b"<code>",
                b"class=\"navheader\"",
            ],
            Target::Pdf => &[
                b" obj\n",
                b"endobj\n",
                b"<<",
                b">>",
                b"/Type /Pages",
                b"/Kids [",
                b"] ",
                b"/Count 999999",
                b"/Count -1",
                b" 0 R",
                b"stream\n",
                b"endstream",
                b"/Outlines",
                b"/First",
                b"/Next",
                b"/PageLabels",
                b"/Nums [",
                b"/S /r",
                b"/Dest [",
                b"xref\n",
                b"trailer",
                b"startxref\n",
                b"/Filter /FlateDecode",
                b"/Length 99999",
                b"(\\",
                b"BT /F1 12 Tf (x) Tj ET",
                b"/Encrypt",
            ],
            Target::Query => &[
                b"\"",
                b" AND ",
                b" OR ",
                b" NOT ",
                b"(",
                b")",
                b"*",
                b":",
                b"~2",
                b"^3",
                b"-",
                b"+",
                b"[",
                b" TO ",
                b"]",
                b"\\",
                b"utils ctl",
                b"12.5(1)SU1",
                b"latest",
                b"\0",
            ],
            Target::Vectors => &[
                b"{\"model_id\":\"m\",\"dim\":8,\"parts\":[",
                b"{\"product\":\"p\",\"version\":\"v1\",\"file\":\"part-a.bin\",\"ann\":null,\"count\":2}",
                b"\"count\":4294967296",
                b"\"dim\":0",
                b"\"file\":\"../../etc/passwd\"",
                b"]}",
                b"\xff\xff\xff\xff\xff\xff\xff\x7f",
            ],
        }
    }

    /// Small built-in seeds, so every target runs without a corpus.
    pub fn builtin_seeds(self) -> Vec<Vec<u8>> {
        match self {
            Target::Markdown => vec![
                b"# Security Guide\n\n## Chapter 2 **HTTPS 51**\n\nText with *emphasis* and `code`.\n\n- item one\n- item two\n\n| Field | Value |\n|---|---|\n| a | b |\n\n```\nutils ctl set-cluster mixed-mode\n```\n".to_vec(),
                b"CONTENTS\n\nPurpose\txvii\n- Best Practices 12\n\n# Best Practices\n\n- [Overview](#), on page 1\n\nBody.\n".to_vec(),
                b"<table><tr><td>Cell</td></tr></table>\n\nPlain paragraph\nover lines.\n".to_vec(),
            ],
            Target::Html => vec![
                b"<!DOCTYPE html><html><head><title>11.8. Partial Indexes</title></head><body><div class=\"navheader\">nav</div><div class=\"sect1\"><h2>11.8. Partial Indexes</h2><p>A <em>partial</em> index, see <a href=\"sql-createindex.html\">CREATE INDEX</a>.</p><pre class=\"programlisting\">CREATE INDEX i ON t (c) WHERE b;</pre><table><tr><th>a</th></tr><tr><td>1</td></tr></table></div></body></html>".to_vec(),
                b"<main><h1>T</h1><ul><li>one<li>two</ul><dl><dt>k<dd>v</dl></main>".to_vec(),
            ],
            Target::Pdf => pdf_seeds(),
            Target::Vectors => vec![
                // A catalog (first byte C) and a part file (first byte P), as written.
                [b"C".as_slice(), br#"{"model_id":"m","dim":4,"parts":[{"product":"p","version":"v1","file":"part-a.bin","ann":null,"count":2,"signature":"s"}]}"#].concat(),
                [b"P".as_slice(), &vector_part_bytes()].concat(),
            ],
            Target::Query => vec![
                b"how do I enable mixed mode with the CLI".to_vec(),
                b"\"utils ctl update CTLFile\"".to_vec(),
                b"product:cucm AND (ctl OR \"tls\")".to_vec(),
            ],
        }
    }
}

/// A valid part file of two 4-dimension vectors.
fn vector_part_bytes() -> Vec<u8> {
    let mut set = mcdewey_index::VectorSet::new("m", 4);
    for (i, v) in [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
        .iter()
        .enumerate()
    {
        set.push(
            mcdewey_index::VectorEntry {
                id: format!("p::v1::d::doc::{i}"),
                product: "p".into(),
                version: "v1".into(),
                doc_set: "d".into(),
            },
            v,
        );
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("part.bin");
    set.save(&path).expect("a part file");
    std::fs::read(path).expect("the part file")
}

fn pdf_seeds() -> Vec<Vec<u8>> {
    let body = |n: usize| {
        TestPage::sized(&[
            (9.0, "Admin Guide"),
            (16.0, &format!("Section {n}")),
            (11.0, "First line of the body text that runs on"),
            (11.0, "over a second line with an exten-"),
            (11.0, "sion to rejoin."),
            (11.0, ""),
            (11.0, "• A bullet item"),
            (9.0, &n.to_string()),
        ])
    };
    vec![
        build_pdf(&[TestPage::lines(&["One page, one line."])], None, &[]),
        build_pdf(
            &[body(1), body(2), body(3)],
            Some(&[(0, "r", ""), (1, "D", "A-")]),
            &[
                (1, "Section 1", 1),
                (2, "Section 2", 2),
                (1, "Section 3", 3),
            ],
        ),
    ]
}

/// A prepared target: what one input runs against.
pub enum Prepared {
    /// A document parser: the file the bytes pose as.
    Document(Box<LibraryFile>, IngestOptions),
    /// The search engine over a small library, kept for the whole run (with the folder
    /// holding its index, removed when the run ends).
    Query(Box<Engine>, #[allow(dead_code)] tempfile::TempDir),
    /// A `vectors` folder holding a valid part file, where each input is written as
    /// the catalog or the part.
    Vectors(tempfile::TempDir),
}

/// Sets a target up (for `query`: indexes a small library with a hash embedder).
pub fn prepare(target: Target) -> Result<Prepared> {
    let opts = IngestOptions {
        // A short budget: a fuzzed PDF that takes longer is a finding, not a wait.
        pdf_timeout: Duration::from_secs(5),
        ..IngestOptions::default()
    };
    let file = |rel: &str, format: Format| -> Result<LibraryFile> {
        let path = DocPath::parse(rel)?;
        Ok(LibraryFile {
            stem: path.stem(),
            abs: PathBuf::from("/fuzz").join(rel),
            size: 0,
            changed: None,
            format,
            path,
        })
    };
    Ok(match target {
        Target::Markdown => Prepared::Document(
            Box::new(file("fuzz/v1/docs/input.md", Format::Markdown)?),
            opts,
        ),
        Target::Html => Prepared::Document(
            Box::new(file("fuzz/v1/docs/input.html", Format::Html)?),
            opts,
        ),
        Target::Pdf => {
            Prepared::Document(Box::new(file("fuzz/v1/docs/input.pdf", Format::Pdf)?), opts)
        }
        Target::Vectors => {
            let dir = tempfile::tempdir()?;
            std::fs::write(dir.path().join("part-a.bin"), vector_part_bytes())?;
            Prepared::Vectors(dir)
        }
        Target::Query => {
            let dir = tempfile::tempdir()?;
            let lib = dir.path().join("library");
            for (rel, text) in [
                ("cucm/v12.5.1su1/security/ctl.md", "# CTL\n\nRun utils ctl set-cluster mixed-mode to enable mixed mode.\n"),
                ("cucm/v15/security/tls.md", "# TLS\n\nSIP trunk security profile with TLS.\n\n## Certificates\n\nRegenerate the certificate.\n"),
                ("ios/v17/config/vlan.md", "# VLANs\n\nCreate a VLAN with the vlan command.\n"),
            ] {
                let p = lib.join(rel);
                std::fs::create_dir_all(p.parent().expect("a file has a folder"))?;
                std::fs::write(p, text)?;
            }
            let store = StoreSpec::Embedded(dir.path().join("data"));
            let embedder = Arc::new(HashEmbedder::new(64));
            store.update(
                &lib,
                &opts,
                Some(Embedding::new(embedder.as_ref())),
                &mut |_| {},
            )?;
            let engine = Engine::with_embedder(store.open()?, embedder)?;
            Prepared::Query(Box::new(engine), dir)
        }
    })
}

/// Runs one input. Clean errors are fine; only panics and hangs are findings.
pub fn run_one(prepared: &Prepared, input: &[u8]) {
    match prepared {
        Prepared::Document(file, opts) => {
            // A PDF past its time budget is reported cleanly to users, but on a fuzzed
            // input it means a stall inside the reader: a finding.
            if let Err(IngestError::Pdf {
                source: PdfError::Timeout(_),
                ..
            }) = parse_document(file, input, opts)
            {
                panic!(
                    "the PDF reader stalled past its budget on a {}-byte input",
                    input.len()
                );
            }
        }
        Prepared::Query(engine, _) => {
            // The input is a query, and its lines (after the first) become filters.
            let text = String::from_utf8_lossy(input);
            let mut parts = text.splitn(4, '\n');
            let query: String = parts
                .next()
                .unwrap_or_default()
                .chars()
                .take(4000)
                .collect();
            let filter = |p: Option<&str>| p.filter(|s| !s.is_empty()).map(str::to_string);
            let (product, version, doc_set) = (
                filter(parts.next()),
                filter(parts.next()),
                filter(parts.next()),
            );
            for mode in [Mode::Bm25, Mode::Vector, Mode::Hybrid] {
                let req = SearchRequest {
                    query: query.clone(),
                    product: product.clone(),
                    version: version.clone(),
                    doc_set: doc_set.clone(),
                    limit: Some(1 + input.len() % 100),
                    mode: Some(mode),
                    understand: None,
                };
                let _ = engine.search(&req);
            }
            let _ = engine.facets(&query, Mode::Hybrid);
        }
        Prepared::Vectors(dir) => {
            // C: the bytes are the catalog (naming the valid part); P: they are the
            // part the valid catalog names.
            let (catalog, part) = match input.split_first() {
                Some((b'P', rest)) => (
                    br#"{"model_id":"m","dim":4,"parts":[{"product":"p","version":"v1","file":"part-x.bin","ann":null,"count":2}]}"#.to_vec(),
                    rest.to_vec(),
                ),
                Some((_, rest)) => (rest.to_vec(), vector_part_bytes()),
                None => return,
            };
            let written = std::fs::write(dir.path().join("gen-1.json"), &catalog)
                .and_then(|()| std::fs::write(dir.path().join("part-x.bin"), &part));
            if written.is_err() {
                return;
            }
            let mode = mcdewey_index::VectorIndex::Exact;
            if let Ok(v) = mcdewey_index::Vectors::load(dir.path(), "gen-1.json", mode) {
                let query: Vec<f32> = (0..v.dim.min(4096)).map(|i| (i % 3) as f32).collect();
                let _ = v.nearest(&query, &Default::default(), 10);
            }
            // The part read in place, as a graph part is: a scan and single reads.
            if let Ok(f) = mcdewey_index::VectorFile::open(&dir.path().join("part-x.bin")) {
                let query: Vec<f32> = (0..f.dim.min(4096)).map(|i| (i % 3) as f32).collect();
                let _ = f.scan(&query, &|_| true, 10);
                for i in 0..f.entries.len().min(4) {
                    let _ = f.score(i, &query);
                }
            }
        }
    }
}
