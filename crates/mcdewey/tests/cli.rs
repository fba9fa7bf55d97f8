//! Drives the real `mcdewey` binary over the sample library and over libraries made here.
//!
//! Runs on the embedded store; with `MCDEWEY_TEST_STORE=postgres` and `MCDEWEY_TEST_PG`
//! the URL of a PostgreSQL server (`scripts/test` runs it so), every test runs on the
//! PostgreSQL store instead: each data folder a test makes stands for a database.

use mcdewey_test_support::{database_once, sample_docs, sample_library, write};
use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The database standing for `data` on the test server (created on first use), or
/// `None` when the tests run on the embedded store.
fn test_database(data: &Path) -> Option<String> {
    use std::hash::{Hash, Hasher};
    if std::env::var("MCDEWEY_TEST_STORE").as_deref() != Ok("postgres") {
        return None;
    }
    let admin = std::env::var("MCDEWEY_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("MCDEWEY_TEST_STORE=postgres needs MCDEWEY_TEST_PG, the URL of a server (scripts/pg-server)");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    Some(database_once(&admin, &format!("cli_{:016x}", h.finish())))
}

/// Where a test's index goes: `--data DIR`, or `--store URL` of DIR's database.
fn store_args(data: &Path) -> Vec<OsString> {
    match test_database(data) {
        Some(url) => vec!["--store".into(), url.into()],
        None => vec!["--data".into(), data.into()],
    }
}

fn mcdewey(args: &[&str], library: &Path, data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcdewey"))
        .args(args)
        .arg("--library")
        .arg(library)
        .args(store_args(data))
        .env_remove("MCDEWEY_LIBRARY")
        .env_remove("MCDEWEY_DATA")
        .env_remove("MCDEWEY_STORE")
        .output()
        .expect("mcdewey runs")
}

fn ok_json(out: Output) -> Value {
    assert!(
        out.status.success(),
        "mcdewey failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Indexes the sample library once per test binary run (tests share it read-only).
fn indexed_sample() -> (PathBuf, &'static Path) {
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let lib = sample_library();
    let data = DATA.get_or_init(|| {
        let data = tempfile::tempdir().unwrap();
        let summary = ok_json(mcdewey(&["index", "--json"], &lib, data.path()));
        assert_eq!(summary["documents"], 4, "{summary}");
        assert_eq!(
            summary["vectors"], summary["chunks"],
            "every chunk has a vector: {summary}"
        );
        data
    });
    (lib, data.path())
}

#[test]
fn ctl_update_command_is_found_in_both_releases_with_versions_and_pages() {
    let (lib, data) = indexed_sample();
    let r = ok_json(mcdewey(
        &["search", "utils ctl update CTLFile", "--json"],
        &lib,
        data,
    ));
    assert_eq!(r["query"], "utils ctl update CTLFile");
    let results = r["results"].as_array().unwrap();
    assert!(!results.is_empty());
    // A passage of both releases is one result naming the other release (also_in).
    let sources: Vec<&str> = results
        .iter()
        .flat_map(|h| std::iter::once(h).chain(h["also_in"].as_array().into_iter().flatten()))
        .map(|h| h["source"].as_str().unwrap())
        .collect();
    assert!(
        sources.contains(&"cucm/v12.5.1su1/security-guide/security-guide.md"),
        "{sources:?}"
    );
    assert!(
        sources.contains(&"cucm/v12.5.1/security-guide/cisco-ctl-client-setup.md"),
        "{sources:?}"
    );
    for (i, hit) in results.iter().enumerate() {
        assert_eq!(hit["rank"], i + 1);
        for field in [
            "chunk_id", "source", "product", "version", "doc_set", "text",
        ] {
            assert!(hit[field].is_string(), "{field} in {hit}");
        }
        assert!(hit["heading"].is_array());
        assert!(hit["score"].is_number());
        assert!(hit["page"].is_null() || hit["page"].is_u64());
        let id = hit["chunk_id"].as_str().unwrap();
        assert!(id.starts_with(&format!(
            "cucm::{}::security-guide::",
            hit["version"].as_str().unwrap()
        )));
    }
    let su1 = results
        .iter()
        .find(|h| {
            h["version"] == "v12.5.1su1"
                && h["text"]
                    .as_str()
                    .unwrap()
                    .contains("utils ctl update CTLFile")
        })
        .expect("a 12.5(1)SU1 chunk with the command");
    assert!(
        su1["page"].is_u64(),
        "the SU1 guide's chunks carry pages: {su1}"
    );
}

#[test]
fn releases_in_the_question_grouped_passages_and_no_close_match() {
    let (lib, data) = indexed_sample();
    let r = ok_json(mcdewey(
        &[
            "search",
            "on CUCM 15, which mode protects desk phones and Webex room devices?",
            "--json",
            "--limit",
            "5",
        ],
        &lib,
        data,
    ));
    assert_eq!(
        r["understood"]["versions"],
        serde_json::json!(["v15"]),
        "{r}"
    );
    assert_eq!(r["understood"]["applied"], true);
    assert_eq!(r["results"][0]["version"], "v15", "{r}");
    let text = mcdewey(
        &["search", "on CUCM 15, which mode protects desk phones?"],
        &lib,
        data,
    );
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.starts_with("Understood release v15 from \"CUCM 15\""),
        "{text}"
    );
    // No chunk comes twice, as a result or folded into one.
    let r = ok_json(mcdewey(
        &["search", "utils ctl update CTLFile", "--json"],
        &lib,
        data,
    ));
    let mut ids: Vec<&str> = Vec::new();
    for h in r["results"].as_array().unwrap() {
        ids.push(h["chunk_id"].as_str().unwrap());
        for a in h["also_in"].as_array().unwrap() {
            assert_ne!(a["version"], h["version"], "{h}");
            ids.push(a["chunk_id"].as_str().unwrap());
        }
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "{r}");
    // Nonsense says so, in JSON and in text.
    let r = ok_json(mcdewey(
        &["search", "zzqxjv flurbonator kwyjibo", "--json"],
        &lib,
        data,
    ));
    assert_eq!(r["no_close_match"], true, "{r}");
    let out = mcdewey(&["search", "zzqxjv flurbonator kwyjibo"], &lib, data);
    assert!(String::from_utf8_lossy(&out.stdout).contains("No close match"));
    let r = ok_json(mcdewey(
        &["search", "utils ctl update CTLFile", "--json"],
        &lib,
        data,
    ));
    assert_eq!(r["no_close_match"], false, "{r}");
    assert_eq!(r["results"][0]["match"], "strong", "{r}");
}

#[test]
fn compare_reports_what_changed_between_releases_on_both_sides() {
    let (lib, data) = indexed_sample();
    let args = [
        "compare",
        "--product",
        "cucm",
        "--from",
        "12.5(1)",
        "--to",
        "12.5(1)SU1",
    ];
    let all = ok_json(mcdewey(&[&args[..], &["--json"]].concat(), &lib, data));
    let counts = &all["counts"];
    // 12.5(1) holds only the CTL client chapter; 12.5(1)SU1 the whole guide.
    assert!(counts["changed"].as_u64().unwrap() >= 5, "{counts}");
    assert!(counts["added"].as_u64().unwrap() >= 400, "{counts}");
    assert_eq!(counts["removed"], 0, "{counts}");
    assert_eq!(
        all["sections"][0]["status"], "changed",
        "changed ones come first"
    );
    assert!(all["sections"][0]["from"]["chunk_id"]
        .as_str()
        .unwrap()
        .starts_with("cucm::v12.5.1::"));
    assert!(all["sections"][0]["to"]["chunk_id"]
        .as_str()
        .unwrap()
        .starts_with("cucm::v12.5.1su1::"));

    let one = ok_json(mcdewey(
        &[
            &args[..],
            &["--section", "Cisco CTL File Details", "--json"],
        ]
        .concat(),
        &lib,
        data,
    ));
    let section = &one["sections"][0];
    assert_eq!(section["status"], "changed", "{one}");
    assert!(
        section["from"]["citation"]["page"].is_number(),
        "pages on both sides: {section}"
    );
    assert!(section["to"]["citation"]["page"].is_number(), "{section}");
    let diff = section["diff"].as_array().unwrap();
    assert!(diff.iter().any(|p| p["op"] == "removed") && diff.iter().any(|p| p["op"] == "added"));

    let about = mcdewey(
        &[&args[..], &["what changed in the CTL file details"]].concat(),
        &lib,
        data,
    );
    let text = String::from_utf8_lossy(&about.stdout);
    assert!(about.status.success(), "{}", stderr(&about));
    assert!(
        text.starts_with("cucm v12.5.1 -> v12.5.1su1, about"),
        "{text}"
    );
    assert!(
        text.contains("\nchanged ") && (text.contains("    - ") || text.contains("    + ")),
        "a diff: {text}"
    );

    let same = mcdewey(
        &[
            "compare",
            "--product",
            "cucm",
            "--from",
            "v15",
            "--to",
            "15",
        ],
        &lib,
        data,
    );
    assert!(!same.status.success());
    assert!(
        stderr(&same).contains("name two releases"),
        "{}",
        stderr(&same)
    );
}

#[test]
fn output_piped_into_a_closed_reader_ends_quietly() {
    // `mcdewey … | head -1`: the reader goes away before the output is written.
    let (lib, data) = indexed_sample();
    for args in [
        vec!["search", "certificate", "--mode", "bm25", "--limit", "100"],
        vec![
            "compare",
            "--product",
            "cucm",
            "--from",
            "12.5.1su1",
            "--to",
            "15",
            "--all",
        ],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcdewey"))
            .args(&args)
            .arg("--library")
            .arg(&lib)
            .args(store_args(data))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.status.success(), "{args:?}: {err}");
    }
}

#[test]
fn show_and_library_agree_with_search() {
    let (lib, data) = indexed_sample();
    let r = ok_json(mcdewey(
        &["search", "CAPF", "--json", "--limit", "3"],
        &lib,
        data,
    ));
    let hit = &r["results"][0];
    let id = hit["chunk_id"].as_str().unwrap();
    let shown = ok_json(mcdewey(&["show", id, "--json"], &lib, data));
    assert_eq!(shown["chunk_id"], id);
    assert_eq!(shown["text"], hit["text"]);
    let text = mcdewey(&["show", id], &lib, data);
    assert!(String::from_utf8_lossy(&text.stdout)
        .contains(&format!("source:  {}", hit["source"].as_str().unwrap())));

    let tree = ok_json(mcdewey(&["library", "--json"], &lib, data));
    let versions: Vec<&str> = tree["products"][0]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        ["v12.5.1", "v12.5.1su1", "v15"],
        "release-train order"
    );
    assert_eq!(tree["documents"], 4);

    let missing = mcdewey(&["show", "cucm::v15::security-guide::nope::0"], &lib, data);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("chunk cucm::v15::security-guide::nope::0 not found"));
    let malformed = mcdewey(&["show", "nope"], &lib, data);
    assert!(
        stderr(&malformed).contains("chunk_id: invalid chunk id \"nope\""),
        "{}",
        stderr(&malformed)
    );
}

#[test]
fn version_filters_resolve_written_forms_and_latest() {
    let (lib, data) = indexed_sample();
    let only = |args: &[&str]| -> Vec<String> {
        let r = ok_json(mcdewey(args, &lib, data));
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["version"].as_str().unwrap().to_string())
            .collect()
    };
    let su1 = only(&["search", "mixed mode", "--json", "--version", "12.5(1)SU1"]);
    assert!(
        !su1.is_empty() && su1.iter().all(|v| v == "v12.5.1su1"),
        "{su1:?}"
    );
    let latest = only(&["search", "mixed mode", "--json", "--version", "latest"]);
    assert!(
        !latest.is_empty() && latest.iter().all(|v| v == "v15"),
        "{latest:?}"
    );
    let all = only(&["search", "mixed mode", "--json", "--limit", "30"]);
    assert!(
        all.iter().any(|v| v == "v15") && all.iter().any(|v| v != "v15"),
        "all versions by default"
    );
    let bad = mcdewey(&["search", "mixed mode", "--version", "v99"], &lib, data);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains(
            "version: no version \"v99\" in the library; known: cucm: v12.5.1 v12.5.1su1 v15"
        ),
        "{}",
        stderr(&bad)
    );
    let bad = mcdewey(&["search", "x", "--product", "junos"], &lib, data);
    assert!(
        stderr(&bad).contains("product: no product \"junos\""),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn updates_are_incremental_and_ids_of_other_files_stay() {
    let lib = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let body = |topic: &str| {
        format!(
            "# {topic}\n\n{}\n",
            format!("{topic} details and more words. ").repeat(60)
        )
    };
    write(
        lib.path(),
        "acme/v1/guide/alpha.md",
        body("Alpha").as_bytes(),
    );
    write(lib.path(), "acme/v1/guide/beta.md", body("Beta").as_bytes());
    write(
        lib.path(),
        "acme/v1/guide/sub/gamma.txt",
        b"Gamma text file.\n",
    );
    let first = ok_json(mcdewey(&["index", "--json"], lib.path(), data.path()));
    assert_eq!(first["added"].as_array().unwrap().len(), 3);
    let alpha_ids = |data: &Path| -> Vec<String> {
        let r = ok_json(mcdewey(
            &["search", "alpha", "--json", "--mode", "bm25"],
            lib.path(),
            data,
        ));
        // Chunks folded into a result (the same passage twice) count too.
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|h| std::iter::once(h).chain(h["also_in"].as_array().into_iter().flatten()))
            .map(|h| h["chunk_id"].as_str().unwrap().to_string())
            .collect()
    };
    let before = alpha_ids(data.path());
    assert!(
        before.contains(&"acme::v1::guide::alpha::0".to_string()),
        "{before:?}"
    );
    let gamma = ok_json(mcdewey(
        &["search", "gamma", "--json", "--mode", "bm25"],
        lib.path(),
        data.path(),
    ));
    assert_eq!(
        gamma["results"][0]["chunk_id"],
        "acme::v1::guide::sub/gamma::0"
    );

    let again = ok_json(mcdewey(&["index", "--json"], lib.path(), data.path()));
    assert_eq!(again["unchanged"], 3);
    assert!(
        again["added"].as_array().unwrap().is_empty()
            && again["changed"].as_array().unwrap().is_empty()
    );

    write(
        lib.path(),
        "acme/v1/guide/beta.md",
        body("Delta").as_bytes(),
    );
    std::fs::remove_file(lib.path().join("acme/v1/guide/sub/gamma.txt")).unwrap();
    write(
        lib.path(),
        "acme/v2/guide/new.md",
        b"# New\n\nBrand new release notes.\n",
    );
    let third = ok_json(mcdewey(&["index", "--json"], lib.path(), data.path()));
    assert_eq!(
        third["changed"],
        serde_json::json!(["acme/v1/guide/beta.md"])
    );
    assert_eq!(
        third["removed"],
        serde_json::json!(["acme/v1/guide/sub/gamma.txt"])
    );
    assert_eq!(third["added"], serde_json::json!(["acme/v2/guide/new.md"]));
    assert_eq!(third["unchanged"], 1);
    assert_eq!(
        alpha_ids(data.path()),
        before,
        "ids of an untouched file do not move"
    );
    let beta = ok_json(mcdewey(
        &["search", "beta", "--json", "--mode", "bm25"],
        lib.path(),
        data.path(),
    ));
    assert!(
        beta["results"].as_array().unwrap().is_empty(),
        "old content is gone: {beta}"
    );
    let gone = ok_json(mcdewey(
        &["search", "gamma", "--json", "--mode", "bm25"],
        lib.path(),
        data.path(),
    ));
    assert!(gone["results"].as_array().unwrap().is_empty());
}

#[test]
fn bad_files_are_reported_by_name_and_never_stop_the_others() {
    let lib = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(
        lib.path(),
        "acme/v1/guide/good.md",
        b"# Good\n\nThe good document about routers.\n",
    );
    write(
        lib.path(),
        "acme/v1/guide/binary.md",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    );
    write(
        lib.path(),
        "acme/v1/guide/latin1.md",
        b"# Caf\xe9\n\nMen\xfc of the caf\xe9 routers.\n",
    );
    write(
        lib.path(),
        "acme/v1/guide/noise.txt",
        (0..3000).map(|i| 0x80 + (i % 50) as u8).collect::<Vec<_>>(),
    );
    write(lib.path(), "acme/v1/guide/empty.pdf", b"");
    write(
        lib.path(),
        "acme/v1/guide/broken.pdf",
        b"%PDF-1.5\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer << /Root 1 0 R",
    );
    write(lib.path(), "acme/v1/loose.md", b"not in a doc set");
    write(lib.path(), "acme/v1/guide/slides.pptx", b"PK");
    let big = vec![b'a'; 50 * 1024 * 1024 + 1];
    write(lib.path(), "acme/v1/guide/huge.md", &big);
    drop(big);
    #[cfg(unix)]
    {
        let fifo = lib.path().join("acme/v1/guide/pipe.md");
        let made = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(made, "mkfifo works");
    }
    let out = ok_json(mcdewey(
        &["index", "--json", "--no-embed"],
        lib.path(),
        data.path(),
    ));
    assert_eq!(out["documents"], 2, "{out}");
    let skipped: Vec<(String, String)> = out["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |path: &str| {
        skipped
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{path} not reported in {skipped:?}"))
    };
    assert!(reason("acme/v1/guide/binary.md").contains("binary content"));
    assert!(reason("acme/v1/guide/noise.txt").contains("not UTF-8 text"));
    assert!(
        reason("acme/v1/loose.md").contains("not in a <product>/<version>/<doc-set>/<file> folder")
    );
    assert!(reason("acme/v1/guide/slides.pptx").contains("unsupported format (.pptx)"));
    for pdf in ["acme/v1/guide/empty.pdf", "acme/v1/guide/broken.pdf"] {
        assert!(
            reason(pdf).contains("not a readable PDF"),
            "{pdf}: {}",
            reason(pdf)
        );
    }
    assert!(reason("acme/v1/guide/huge.md")
        .contains("file too large (52428801 bytes, limit 33554432 bytes"));
    #[cfg(unix)]
    assert!(reason("acme/v1/guide/pipe.md").contains("not a regular file"));
    assert!(out["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("acme/v1/guide/latin1.md: invalid UTF-8"));
    let r = ok_json(mcdewey(
        &["search", "routers", "--json", "--mode", "bm25"],
        lib.path(),
        data.path(),
    ));
    assert_eq!(r["results"].as_array().unwrap().len(), 2);

    // The huge file is indexed when the limit allows it.
    let more = mcdewey(
        &[
            "index",
            "--json",
            "--no-embed",
            "--max-file-size",
            "60000000",
        ],
        lib.path(),
        data.path(),
    );
    assert_eq!(ok_json(more)["documents"], 3);
}

#[test]
fn a_file_that_turns_bad_keeps_its_last_good_version() {
    let lib = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(
        lib.path(),
        "acme/v1/guide/doc.md",
        b"# Doc\n\nFirewall rules explained.\n",
    );
    ok_json(mcdewey(&["index", "--json"], lib.path(), data.path()));
    write(lib.path(), "acme/v1/guide/doc.md", b"\0\0\0binary now");
    let out = ok_json(mcdewey(&["index", "--json"], lib.path(), data.path()));
    assert!(
        out["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("previously indexed version is kept"),
        "{out}"
    );
    let r = ok_json(mcdewey(
        &["search", "firewall", "--json"],
        lib.path(),
        data.path(),
    ));
    assert_eq!(
        r["results"].as_array().unwrap().len(),
        1,
        "nothing indexed is lost"
    );
}

#[test]
fn missing_or_empty_libraries_and_missing_indexes_say_what_to_do() {
    let scratch = tempfile::tempdir().unwrap();
    let out = mcdewey(&["index"], Path::new("/nonexistent/lib"), scratch.path());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("library folder /nonexistent/lib"),
        "{}",
        stderr(&out)
    );
    let empty = tempfile::tempdir().unwrap();
    let out = mcdewey(&["index"], empty.path(), scratch.path());
    assert!(
        stderr(&out).contains("has no documents to index"),
        "{}",
        stderr(&out)
    );
    let fresh = tempfile::tempdir().unwrap();
    let out = mcdewey(&["search", "x"], empty.path(), fresh.path());
    assert!(stderr(&out).contains("no index in"), "{}", stderr(&out));
    assert!(stderr(&out).contains("mcdewey index"), "{}", stderr(&out));
    let (lib, data) = indexed_sample();
    let out = mcdewey(&["search", "   "], &lib, data);
    assert!(stderr(&out).contains("query: empty"), "{}", stderr(&out));
    let out = mcdewey(&["search", "x", "--limit", "0"], &lib, data);
    assert!(
        stderr(&out).contains("limit: 0 is out of range 1..=100"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_mode_answers_and_a_missing_model_says_how_to_fetch_it() {
    let (lib, data) = indexed_sample();
    for mode in ["bm25", "vector", "hybrid"] {
        let r = ok_json(mcdewey(
            &[
                "search",
                "how do I stop phones trusting an unsigned config file",
                "--json",
                "--mode",
                mode,
            ],
            &lib,
            data,
        ));
        assert_eq!(r["results"].as_array().unwrap().len(), 10, "{mode}");
    }
    let latest = [
        "search",
        "mixed mode",
        "--json",
        "--mode",
        "vector",
        "--version",
        "latest",
    ];
    let v = ok_json(mcdewey(&latest, &lib, data));
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["version"] == "v15"),
        "filters apply to vector retrieval"
    );
    // The exact scan is there to measure the graphs against; on this library (no part
    // big enough for a graph) it finds the same.
    let exact = ok_json(mcdewey(
        &[&latest[..], &["--vector-index", "exact"]].concat(),
        &lib,
        data,
    ));
    let ids = |r: &Value| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["chunk_id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&exact), ids(&v));
    // The PostgreSQL scaling bench measures one size into one empty database: two sizes
    // are refused before anything is indexed.
    let bad = Command::new(env!("CARGO_BIN_EXE_mcdewey"))
        .args(["bench", "--scaling-store", "postgres://127.0.0.1:1/none"])
        .args(["--scaling", "10000,20000", "--library"])
        .arg(&lib)
        .env_remove("MCDEWEY_STORE")
        .output()
        .expect("mcdewey runs");
    assert!(
        !bad.status.success() && stderr(&bad).contains("--scaling-store takes one size"),
        "{}",
        stderr(&bad)
    );
    let bad = mcdewey(&["search", "x", "--vector-index", "fuzzy"], &lib, data);
    assert!(
        !bad.status.success() && stderr(&bad).contains("--vector-index"),
        "{}",
        stderr(&bad)
    );
    // --mode is a value enum: clap refuses others and lists those it takes.
    let bad = mcdewey(&["search", "x", "--mode", "fuzzy"], &lib, data);
    assert!(
        stderr(&bad).contains("invalid value 'fuzzy' for '--mode <MODE>'")
            && stderr(&bad).contains("[possible values: bm25, vector, hybrid]"),
        "{}",
        stderr(&bad)
    );
    let bad = mcdewey(
        &["search", "x", "--model", "/nonexistent/model"],
        &lib,
        data,
    );
    assert!(
        stderr(&bad)
            .contains("/nonexistent/model is missing; fetch the model with `scripts/fetch-model`"),
        "{}",
        stderr(&bad)
    );
    let ok = mcdewey(
        &[
            "search",
            "x",
            "--mode",
            "bm25",
            "--model",
            "/nonexistent/model",
        ],
        &lib,
        data,
    );
    assert!(ok.status.success(), "keyword search needs no model");
}

#[test]
fn a_hub_model_without_the_hub_feature_says_how_to_get_one() {
    let (lib, data) = indexed_sample();
    let out = mcdewey(
        &["search", "x", "--model", "hf:BAAI/bge-small-en-v1.5"],
        &lib,
        data,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--model hf:BAAI/bge-small-en-v1.5: this build cannot reach the Hugging Face Hub; rebuild with `cargo build --features hub`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn beir_indexes_a_corpus_and_writes_a_scored_trec_run() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("tiny");
    std::fs::create_dir_all(ds.join("qrels")).unwrap();
    std::fs::write(
        ds.join("corpus.jsonl"),
        concat!(
            r#"{"_id": "d1", "title": "Mixed mode", "text": "Run utils ctl set-cluster mixed-mode to enable mixed mode."}"#, "\n",
            r#"{"_id": "d2", "title": "Phones", "text": "The CAPF service issues certificates to phones."}"#, "\n",
            r#"{"_id": "d/3", "title": "", "text": "Tokenless CTL uses the CallManager certificate."}"#, "\n",
        ),
    )
    .unwrap();
    std::fs::write(
        ds.join("queries.jsonl"),
        concat!(
            r#"{"_id": "q1", "text": "enable mixed mode"}"#,
            "\n",
            r#"{"_id": "q2", "text": "certificates for phones"}"#,
            "\n",
            r#"{"_id": "q9", "text": "not judged"}"#,
            "\n",
        ),
    )
    .unwrap();
    std::fs::write(
        ds.join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n",
    )
    .unwrap();
    let run = dir.path().join("run.trec");
    let out = Command::new(env!("CARGO_BIN_EXE_mcdewey"))
        .args(["beir", "--dataset"])
        .arg(&ds)
        .arg("--run")
        .arg(&run)
        .arg("--data")
        .arg(dir.path().join("work"))
        .args(
            test_database(&dir.path().join("work"))
                .map(|url| ["--store".to_string(), url])
                .into_iter()
                .flatten(),
        )
        .args(["--mode", "bm25", "--no-embed", "--json"])
        .output()
        .unwrap();
    let report = ok_json(out);
    assert_eq!(report["documents"], 3, "{report}");
    assert_eq!(report["metrics"]["queries"], 2, "{report}");
    assert_eq!(report["metrics"]["ndcg@10"], 1.0, "{report}");
    let trec = std::fs::read_to_string(&run).unwrap();
    let first = trec.lines().next().unwrap();
    assert!(first.starts_with("q1 Q0 d1 1 "), "{trec}");
    assert!(!trec.contains("q9"), "only judged queries run");
}

/// A plain HTTP/1.1 GET on loopback: (status, body).
fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

#[test]
fn serve_watch_picks_up_changes_and_never_fails_a_request_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("library");
    let docs = lib.join("acme/v1/guide");
    std::fs::create_dir_all(&docs).unwrap();
    let para = "Routers forward packets between networks. ".repeat(30);
    std::fs::write(
        docs.join("a.md"),
        format!("# Alpha\n\n## Routing\n\n{para}\n"),
    )
    .unwrap();
    std::fs::write(
        docs.join("b.md"),
        format!("# Beta\n\n## Switching\n\n{para}\n"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcdewey"))
        .args([
            "serve",
            "--no-embed",
            "--watch",
            "--watch-interval",
            "0.3",
            "--bind",
            &addr,
        ])
        .arg("--library")
        .arg(&lib)
        .args(store_args(&dir.path().join("data")))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while http_get(&addr, "/healthz").map(|r| r.0).unwrap_or(0) != 200 {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Change one file, add one, remove one, while requests keep coming.
    let zebra = "Zebra crossings need the zebraprotocol to be enabled. ".repeat(30);
    std::fs::write(
        docs.join("a.md"),
        format!("# Alpha\n\n## Routing\n\n{para}\n\n## Zebra\n\n{zebra}\n"),
    )
    .unwrap();
    std::fs::write(
        docs.join("c.md"),
        format!("# Gamma\n\n## Wireless\n\n{para}\n"),
    )
    .unwrap();
    std::fs::remove_file(docs.join("b.md")).unwrap();
    let (mut requests, mut failed, mut seen) = (0, Vec::new(), false);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline && requests < 2000 {
        requests += 1;
        match http_get(&addr, "/api/search?q=zebraprotocol&mode=bm25") {
            Ok((200, body)) => {
                if body.contains("acme/v1/guide/a.md") {
                    seen = true;
                    break;
                }
            }
            other => failed.push(format!("{other:?}")),
        }
    }
    // The PostgreSQL store answers searches from the database at the commit; servers
    // refresh their library tree within a second of it.
    let mut lib_json = String::new();
    for _ in 0..50 {
        lib_json = http_get(&addr, "/api/library").unwrap().1;
        if lib_json.contains("acme/v1/guide/c.md") && !lib_json.contains("acme/v1/guide/b.md") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        failed.is_empty(),
        "{} of {requests} requests failed: {failed:?}",
        failed.len()
    );
    assert!(
        seen,
        "the change was not served within 30 s ({requests} requests)"
    );
    assert!(lib_json.contains("acme/v1/guide/c.md"), "{lib_json}");
    assert!(!lib_json.contains("acme/v1/guide/b.md"), "{lib_json}");
}

/// Copies the files of `from` whose names start with one of `prefixes` into `to`.
fn copy_matching(from: &Path, to: &Path, prefixes: &[&str]) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p)) {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
            n += 1;
        }
    }
    n
}

fn sources(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn real_html_and_pdf_manuals_answer_with_pages() {
    let Some(docs) = sample_docs() else { return };
    let lib = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // A subset: PostgreSQL's CREATE/ALTER/VACUUM/LOCK/REINDEX/CLUSTER reference pages and
    // the index, vacuum and locking chapters (107 HTML pages), and the SystemTap tapset
    // reference (a 781-page PDF).
    let pg = copy_matching(
        &docs.join("postgresql/v15/manual"),
        &lib.path().join("postgresql/v15/manual"),
        &[
            "sql-create",
            "sql-alter",
            "sql-vacuum",
            "sql-lock",
            "sql-reindex",
            "sql-cluster",
            "indexes",
            "routine-vacuuming",
            "explicit-locking",
            "mvcc",
        ],
    );
    assert!(pg > 80, "{pg} PostgreSQL pages");
    copy_matching(
        &docs.join("systemtap/v4.8/reference"),
        &lib.path().join("systemtap/v4.8/reference"),
        &["tapsets.pdf"],
    );
    // A truncated copy of the PDF is reported and skipped; the rest is indexed.
    let pdf = std::fs::read(docs.join("systemtap/v4.8/reference/tapsets.pdf")).unwrap();
    write(
        lib.path(),
        "systemtap/v4.8/reference/cut.pdf",
        &pdf[..pdf.len() / 2],
    );

    let summary = ok_json(mcdewey(&["index", "--json"], lib.path(), data.path()));
    assert_eq!(summary["documents"], pg + 1, "{summary}");
    let skipped = summary["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{summary}");
    assert_eq!(skipped[0]["path"], "systemtap/v4.8/reference/cut.pdf");
    assert!(skipped[0]["reason"]
        .as_str()
        .unwrap()
        .contains("not a readable PDF"));

    let search = |q: &str, product: &str| {
        ok_json(mcdewey(
            &["search", q, "--product", product, "--limit", "5", "--json"],
            lib.path(),
            data.path(),
        ))
    };
    let partial = search("how do I create a partial index", "postgresql");
    let top = sources(&partial);
    assert!(
        top[..3].contains(&"postgresql/v15/manual/indexes-partial.html".to_string()),
        "{top:?}"
    );
    let vacuum = search("what does VACUUM FULL lock", "postgresql");
    let top = sources(&vacuum);
    assert!(
        top[..3].contains(&"postgresql/v15/manual/sql-vacuum.html".to_string())
            || top[..3].contains(&"postgresql/v15/manual/explicit-locking.html".to_string()),
        "{top:?}"
    );
    assert!(
        vacuum["results"].as_array().unwrap()[..3]
            .iter()
            .any(|h| h["text"].as_str().unwrap().contains("ACCESS EXCLUSIVE")),
        "a top passage names the lock: {vacuum}"
    );

    // PDF hits cite the physical page and the printed label.
    let egid = search("effective gid of a target process", "systemtap");
    let hit = &egid["results"][0];
    assert_eq!(
        hit["source"], "systemtap/v4.8/reference/tapsets.pdf",
        "{egid}"
    );
    assert!(
        hit["text"].as_str().unwrap().contains("function::egid"),
        "{hit}"
    );
    assert_eq!(hit["pdf_page"], 31, "{hit}");
    assert_eq!(hit["page"], 31, "{hit}");
    assert_eq!(hit["page_label"], "15", "{hit}");
    let shown = mcdewey(
        &["show", hit["chunk_id"].as_str().unwrap()],
        lib.path(),
        data.path(),
    );
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("(printed 15"),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );

    // Re-indexing the same files changes nothing: ids are stable.
    let again = ok_json(mcdewey(&["index", "--json"], lib.path(), data.path()));
    assert_eq!(again["unchanged"], pg + 1, "{again}");
    let same = search("effective gid of a target process", "systemtap");
    assert_eq!(same["results"][0]["chunk_id"], hit["chunk_id"]);
}

#[test]
fn index_json_reports_progress_as_json_lines_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("library");
    for n in 0..3 {
        write(
            &lib,
            &format!("p/v1/guide/page{n}.md"),
            format!("# Page {n}\n\nText of page {n} about certificates.\n").as_bytes(),
        );
    }
    let data = dir.path().join("data");
    let out = mcdewey(&["index", "--json", "--no-embed"], &lib, &data);
    let summary = ok_json(out.clone());
    assert_eq!(
        summary["documents"], 3,
        "stdout is still one summary: {summary}"
    );
    let events: Vec<Value> = stderr(&out)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("each progress line is JSON"))
        .collect();
    let stages: Vec<&str> = events
        .iter()
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    assert!(
        stages.contains(&"discovered") && stages.contains(&"files"),
        "{stages:?}"
    );
    let last_files = events.iter().rev().find(|e| e["stage"] == "files").unwrap();
    assert_eq!(last_files["done"], 3, "{last_files}");
    assert_eq!(last_files["total"], 3);
    assert!(last_files["rate_per_s"].is_number() && last_files.get("eta_s").is_some());
    // Searching it needs no --mode: keywords, said on stderr, JSON on stdout intact.
    let out = mcdewey(&["search", "certificates", "--json"], &lib, &data);
    let r = ok_json(out.clone());
    assert!(
        r["results"][0]["similarity"].is_null(),
        "no similarity: {r}"
    );
    assert_eq!(r["results"].as_array().map(Vec::len), Some(3), "{r}");
    assert!(
        stderr(&out).contains(
            "This index has no vectors (built without a model): searching by keywords (bm25)."
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn products_are_recognised_by_the_names_their_metadata_declares() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("library");
    let text = |v: &str| {
        format!("# Mixed Mode\n\nIn release {v} mixed mode protects the signalling of phones.\n")
    };
    write(&lib, "cucm/v12.5.1/guide/modes.md", text("12.5").as_bytes());
    write(&lib, "cucm/v15/guide/modes.md", text("15").as_bytes());
    write(
        &lib,
        "cucm/product.json",
        br#"{"name": "Cisco Unified Communications Manager", "aliases": ["Unified CM", "CUCM"]}"#,
    );
    let data = dir.path().join("data");
    let summary = ok_json(mcdewey(&["index", "--json", "--no-embed"], &lib, &data));
    assert_eq!(summary["documents"], 2, "{summary}");
    assert!(
        summary["skipped"].as_array().unwrap().is_empty(),
        "product.json is metadata, not a skipped file: {summary}"
    );
    let keyword_json = |query: &str| {
        ok_json(mcdewey(
            &["search", query, "--json", "--mode", "bm25"],
            &lib,
            &data,
        ))
    };
    let keyword_text = |query: &str| {
        let out = mcdewey(&["search", query, "--mode", "bm25"], &lib, &data);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let r = keyword_json("in Unified CM 12.5(1) mixed mode");
    assert_eq!(
        r["understood"]["versions"],
        serde_json::json!(["v12.5.1"]),
        "{r}"
    );
    assert_eq!(r["understood"]["phrase"], "Unified CM 12.5(1)");
    assert_eq!(r["results"][0]["version"], "v12.5.1", "{r}");
    // A query that starts with a dash, as a compiler flag does, is a query, not a flag.
    let r = ok_json(mcdewey(
        &[
            "search",
            "--mode",
            "bm25",
            "-n",
            "1",
            "--json",
            "-signalling of phones",
        ],
        &lib,
        &data,
    ));
    assert_eq!(r["query"], "-signalling of phones", "{r}");
    assert_eq!(r["results"].as_array().unwrap().len(), 1, "{r}");
    // A release the library does not hold, named by an alias: said as written.
    let text = keyword_text("Unified CM 14 mixed mode");
    assert!(
        text.contains("“Unified CM 14” is not in the library, which holds cucm"),
        "{text}"
    );
    // Words in double quotes: passages holding them as written come first, and a
    // phrase no passage holds is said.
    let r = keyword_json("\"protects the signalling\" phones");
    assert_eq!(
        r["quoted"],
        serde_json::json!({"phrases": ["protects the signalling"], "holding": 2}),
        "{r}"
    );
    let text = keyword_text("\"signalling of the phones\"");
    assert!(
        text.contains(
            "No passage holds “signalling of the phones” as written; the closest passages are shown."
        ),
        "{text}"
    );
    // A broken metadata file is a warning, never an error.
    write(&lib, "cucm/product.json", b"{not json");
    let r = ok_json(mcdewey(
        &["search", "mixed mode", "--json", "--mode", "bm25"],
        &lib,
        &data,
    ));
    assert!(!r["results"].as_array().unwrap().is_empty());
}

/// What people read on the command line, as snapshots (insta): search results, one
/// chunk, the library. `show` and `library` must read the same on both stores; search
/// scores are each store's own, so the search text is snapshotted on the embedded
/// store only. `INSTA_UPDATE=always cargo test` rewrites them; review with `git diff`.
#[test]
fn what_people_read_on_the_command_line_is_snapshotted() {
    let guide = |release_note: &str| {
        format!(
            "# Router Guide\n\n## Static Routes\n\nAdd a static route with `ip route 10.0.0.0 255.0.0.0 192.0.2.1`. \
             Static routes never age out of the routing table. A static route to a next hop that \
             is down stays in the configuration but leaves the routing table until the hop is \
             reachable again. Give a floating static route a higher administrative distance than \
             the dynamic route it backs up.\n\n<!-- page 7 -->\n\n## Route Maps\n\n\
             A route map filters routes by prefix list before redistribution. Each clause is \
             numbered; clauses are read in order and the first that matches decides. A route \
             that no clause matches is denied. Set clauses change the metric, the tag or the \
             next hop of the routes a clause permits. {release_note}\n"
        )
    };
    let lib = mcdewey_test_support::library(&[
        ("acme/v1/guide/router.md", &guide("")),
        (
            "acme/v2/guide/router.md",
            &guide("In this release a route map may also match tags."),
        ),
    ]);
    let data = tempfile::tempdir().unwrap();
    ok_json(mcdewey(
        &["index", "--no-embed", "--json"],
        lib.path(),
        data.path(),
    ));
    let text = |args: &[&str]| {
        let out = mcdewey(args, lib.path(), data.path());
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    if test_database(data.path()).is_none() {
        insta::assert_snapshot!(
            "cli_search",
            text(&["search", "static route", "--mode", "bm25", "-n", "3"])
        );
    }
    insta::assert_snapshot!("cli_show", text(&["show", "acme::v2::guide::router::1"]));
    insta::assert_snapshot!("cli_library", text(&["library"]));
}

/// A real HTTP server on a loopback port for `mcdewey add` / `refresh`: serves the
/// documents in `files` (path → content type, body) with ETags and answers a matching
/// If-None-Match with 304; records each request (path, conditional, status). It answers
/// at most 100 requests.
/// Documents a [`DocServer`] serves: path → (content type, body).
type Served =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (String, Vec<u8>)>>>;

struct DocServer {
    base: String,
    files: Served,
    log: std::sync::Arc<std::sync::Mutex<Vec<(String, bool, u16)>>>,
}

fn doc_server(files: &[(&str, &str, &[u8])]) -> DocServer {
    use std::io::{BufRead, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let files = std::sync::Arc::new(std::sync::Mutex::new(
        files
            .iter()
            .map(|(p, t, b)| (p.to_string(), (t.to_string(), b.to_vec())))
            .collect::<std::collections::HashMap<_, _>>(),
    ));
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (served, logged) = (files.clone(), log.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(100) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_string());
            }
            let path = head
                .first()
                .and_then(|l| l.split_whitespace().nth(1))
                .unwrap_or("/")
                .to_string();
            let if_none_match = head.iter().find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("if-none-match:")
                    .then(|| l[14..].trim().to_string())
            });
            let found = served.lock().unwrap().get(&path).cloned();
            let (status, headers, body) = match found {
                None => (404, String::new(), b"not found".to_vec()),
                // A content type of "redirect": a 302 to the body.
                Some((ctype, to)) if ctype == "redirect" => (
                    302,
                    format!("Location: {}\r\n", String::from_utf8_lossy(&to)),
                    Vec::new(),
                ),
                Some((ctype, body)) => {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    body.hash(&mut h);
                    let etag = format!("\"{:016x}\"", h.finish());
                    if if_none_match.as_deref() == Some(etag.as_str()) {
                        (304, format!("ETag: {etag}\r\n"), Vec::new())
                    } else {
                        (
                            200,
                            format!("Content-Type: {ctype}\r\nETag: {etag}\r\n"),
                            body,
                        )
                    }
                }
            };
            logged
                .lock()
                .unwrap()
                .push((path, if_none_match.is_some(), status));
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    DocServer { base, files, log }
}

#[test]
fn manuals_are_added_from_a_url_and_refreshed_with_conditional_requests() {
    let guide = "# Router Guide\n\n## Static Routes\n\nA floating static route backs up the dynamic route.\n";
    let server = doc_server(&[
        ("/docs/router.md", "text/markdown", guide.as_bytes()),
        (
            "/docs/fake.pdf",
            "text/html",
            b"<!doctype html><p>not a pdf</p>",
        ),
    ]);
    let lib = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let url = format!("{}/docs/router.md", server.base);
    let add = |extra: &[&str], url: &str| {
        let mut args = vec![
            "add",
            url,
            "--product",
            "acme",
            "--version",
            "v1",
            "--doc-set",
            "guide",
            "--no-embed",
            "--json",
        ];
        args.extend_from_slice(extra);
        mcdewey(&args, lib.path(), data.path())
    };
    // A server must not be made to fetch from its own network unless told it may.
    let refused = add(&[], &url);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("private network")
            && stderr(&refused).contains("--allow-private"),
        "{}",
        stderr(&refused)
    );
    let saved = lib.path().join("acme/v1/guide/router.md");
    assert!(!saved.exists());

    let out = ok_json(add(&["--allow-private"], &url));
    assert_eq!(out["fetched"][0]["status"], "added", "{out}");
    assert_eq!(out["fetched"][0]["source"], "acme/v1/guide/router.md");
    assert_eq!(out["index"]["documents"], 1, "{out}");
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), guide);
    let hits = ok_json(mcdewey(
        &[
            "search",
            "floating static route",
            "--mode",
            "bm25",
            "--json",
        ],
        lib.path(),
        data.path(),
    ));
    assert_eq!(hits["results"][0]["source"], "acme/v1/guide/router.md");

    // Content that is not what the name says, or too large, is refused; the copy in the
    // library stays as it was.
    let fake = add(
        &["--allow-private"],
        &format!("{}/docs/fake.pdf", server.base),
    );
    assert!(
        stderr(&fake).contains("the content is HTML, not what a .pdf name says"),
        "{}",
        stderr(&fake)
    );
    let big = add(&["--allow-private", "--max-file-size", "10"], &url);
    assert!(
        stderr(&big).contains("larger than 10 bytes (--max-file-size)"),
        "{}",
        stderr(&big)
    );
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), guide);

    // Refresh asks conditionally; nothing changed, nothing is replaced.
    let refresh = || {
        mcdewey(
            &["refresh", "--allow-private", "--no-embed", "--json"],
            lib.path(),
            data.path(),
        )
    };
    let out = ok_json(refresh());
    assert_eq!(out["fetched"][0]["status"], "unchanged", "{out}");
    let last = server.log.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last, ("/docs/router.md".to_string(), true, 304));

    // A changed page is picked up and indexed.
    let changed = guide.replace("floating", "gateway-tracked");
    server.files.lock().unwrap().insert(
        "/docs/router.md".into(),
        ("text/markdown".into(), changed.clone().into_bytes()),
    );
    let out = ok_json(refresh());
    assert_eq!(out["fetched"][0]["status"], "changed", "{out}");
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), changed);
    let hits = ok_json(mcdewey(
        &["search", "gateway-tracked", "--mode", "bm25", "--json"],
        lib.path(),
        data.path(),
    ));
    assert_eq!(
        hits["results"][0]["source"], "acme/v1/guide/router.md",
        "{hits}"
    );

    // A page gone from the server fails the refresh by name and keeps the indexed copy.
    server.files.lock().unwrap().remove("/docs/router.md");
    let gone = refresh();
    assert!(!gone.status.success());
    assert!(
        stderr(&gone).contains("1 of 1 documents could not be refreshed"),
        "{}",
        stderr(&gone)
    );
    assert!(String::from_utf8_lossy(&gone.stdout).contains("HTTP 404"));
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), changed);
}

#[test]
fn a_documentation_site_is_crawled_within_its_prefix_as_it_stands_on_disk() {
    let Some(docs) = sample_docs() else { return };
    let manual = docs.join("postgresql/v15/manual");
    let page = |name: &str| std::fs::read(manual.join(name)).unwrap();
    let start = r#"<!doctype html><html><head><title>Start</title></head><body><h1>Start</h1>
        <p>Where to begin with the PostgreSQL tutorial.</p>
        <a href="tutorial-start.html">Getting started</a> <a href="moved.html">Moved</a>
        <a href="../other/out.html">Elsewhere</a> <a href="tutorial-arch.html#x">Architecture</a>
        </body></html>"#;
    let mut files: Vec<(String, String, Vec<u8>)> = vec![
        (
            "/docs/15/start.html".into(),
            "text/html".into(),
            start.as_bytes().to_vec(),
        ),
        (
            "/robots.txt".into(),
            "text/plain".into(),
            b"User-agent: *\nDisallow: /docs/15/tutorial-arch.html\n".to_vec(),
        ),
        (
            "/docs/15/moved.html".into(),
            "redirect".into(),
            b"/elsewhere/page.html".to_vec(),
        ),
        (
            "/elsewhere/page.html".into(),
            "text/html".into(),
            b"<p>out of scope</p>".to_vec(),
        ),
        (
            "/other/out.html".into(),
            "text/html".into(),
            b"<p>out of the prefix</p>".to_vec(),
        ),
    ];
    for entry in std::fs::read_dir(&manual).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".html") {
            files.push((format!("/docs/15/{name}"), "text/html".into(), page(&name)));
        }
    }
    let listed: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(p, t, b)| (p.as_str(), t.as_str(), b.as_slice()))
        .collect();
    let server = doc_server(&listed);
    let lib = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = ok_json(mcdewey(
        &[
            "add",
            &format!("{}/docs/15/start.html", server.base),
            "--crawl",
            "--max-depth",
            "2",
            "--delay-ms",
            "0",
            "--allow-private",
            "--product",
            "postgresql",
            "--version",
            "v15",
            "--doc-set",
            "manual",
            "--no-embed",
            "--json",
        ],
        lib.path(),
        data.path(),
    ));
    let fetched = out["fetched"].as_array().unwrap();
    let with = |status: &str| -> Vec<String> {
        fetched
            .iter()
            .filter(|f| f["status"] == status)
            .map(|f| {
                f["source"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let mut added = with("added");
    added.sort();
    assert_eq!(
        added,
        [
            "index.html",
            "start.html",
            "tutorial-accessdb.html",
            "tutorial-createdb.html",
            "tutorial-install.html",
            "tutorial-start.html",
            "tutorial.html"
        ],
        "{out}"
    );
    let skipped: Vec<String> = fetched
        .iter()
        .filter(|f| f["status"] == "skipped")
        .map(|f| format!("{} {}", f["url"], f["error"]))
        .collect();
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("tutorial-arch.html") && s.contains("robots.txt")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("moved.html") && s.contains("redirects out of")),
        "{skipped:?}"
    );
    // Nothing outside the prefix was requested: not the link, not the redirect's target.
    let requested: Vec<String> = server
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.0.clone())
        .collect();
    for never in [
        "/other/out.html",
        "/elsewhere/page.html",
        "/docs/15/tutorial-arch.html",
    ] {
        assert!(
            !requested.iter().any(|r| r == never),
            "{never} in {requested:?}"
        );
    }
    // The crawled pages index exactly as the same files from disk do.
    let disk = tempfile::tempdir().unwrap();
    let disk_data = tempfile::tempdir().unwrap();
    for name in &added {
        let to = disk.path().join("postgresql/v15/manual").join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if name == "start.html" {
            std::fs::write(to, start).unwrap();
        } else {
            std::fs::write(to, page(name)).unwrap();
        }
    }
    ok_json(mcdewey(
        &["index", "--no-embed", "--json"],
        disk.path(),
        disk_data.path(),
    ));
    let chunks = |lib: &Path, data: &Path| -> Vec<(String, u64)> {
        let tree = ok_json(mcdewey(&["library", "--json"], lib, data));
        let mut out = Vec::new();
        for p in tree["products"].as_array().unwrap() {
            for v in p["versions"].as_array().unwrap() {
                for d in v["doc_sets"].as_array().unwrap() {
                    for doc in d["documents"].as_array().unwrap() {
                        out.push((
                            doc["source"].as_str().unwrap().to_string(),
                            doc["chunks"].as_u64().unwrap(),
                        ));
                    }
                }
            }
        }
        out
    };
    let crawled = chunks(lib.path(), data.path());
    assert_eq!(crawled.len(), 7, "{crawled:?}");
    assert!(crawled.iter().all(|(_, n)| *n > 0), "{crawled:?}");
    assert_eq!(crawled, chunks(disk.path(), disk_data.path()));
    // A second refresh asks conditionally and changes nothing.
    let again = ok_json(mcdewey(
        &["refresh", "--allow-private", "--no-embed", "--json"],
        lib.path(),
        data.path(),
    ));
    assert!(
        again["fetched"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "unchanged"),
        "{again}"
    );
    // A refresh scoped to another folder fetches nothing.
    let none = ok_json(mcdewey(
        &[
            "refresh",
            "gnuplot",
            "--allow-private",
            "--no-embed",
            "--json",
        ],
        lib.path(),
        data.path(),
    ));
    assert_eq!(none["fetched"], serde_json::json!([]), "{none}");
    // A crawl stops at its size limit and says so.
    let small = tempfile::tempdir().unwrap();
    let out = ok_json(mcdewey(
        &[
            "add",
            &format!("{}/docs/15/start.html", server.base),
            "--crawl",
            "--max-crawl-size",
            "1",
            "--delay-ms",
            "0",
            "--allow-private",
            "--product",
            "postgresql",
            "--version",
            "v15",
            "--doc-set",
            "manual",
            "--no-index",
            "--json",
        ],
        small.path(),
        data.path(),
    ));
    let fetched = out["fetched"].as_array().unwrap();
    assert_eq!(
        fetched.iter().filter(|f| f["status"] == "added").count(),
        1,
        "{out}"
    );
    assert!(
        fetched.iter().any(|f| f["status"] == "skipped"
            && f["error"].as_str().unwrap().contains("--max-crawl-size")),
        "{out}"
    );
}
