//! The PostgreSQL store against a real server: `MCDEWEY_TEST_PG` is the URL of one
//! (`scripts/pg-server start DIR` starts one; `scripts/test` does). Each test makes a
//! database of its own. Without the variable the tests say they were skipped, unless
//! `MCDEWEY_REQUIRE_PG` is set, as in `scripts/test`, where that is a failure.

use mcdewey_catalog::{Embedding, Filter, IndexError, Progress};
use mcdewey_core::ChunkId;
use mcdewey_embed::{Embedder, HashEmbedder};
use mcdewey_ingest::IngestOptions;
use mcdewey_pg::{update_library, PgStore, INDEXER_LOCK};
use mcdewey_test_support::{fresh_database, write};
use std::path::Path;

/// A fresh database on the test server, or `None` (skipped) without one.
fn database(name: &str) -> Option<String> {
    fresh_database(&format!("store_{name}"))
}

fn library() -> tempfile::TempDir {
    let lib = tempfile::tempdir().unwrap();
    write(
        lib.path(),
        "acme/v1/guide/routing.md",
        "# Routing\n\n## Static routes\n\nA static route sends packets for a prefix to a next hop.\n\n## OSPF\n\nOSPF floods link-state advertisements in an area.\n",
    );
    write(
        lib.path(),
        "acme/v2/guide/routing.md",
        "# Routing\n\n## Static routes\n\nStatic routes in v2 accept a tag and a distance. Their behavior is unchanged.\n",
    );
    lib
}

fn index(
    store: &mut PgStore,
    lib: &Path,
    model: Option<&dyn Embedder>,
) -> Result<mcdewey_catalog::UpdateSummary, IndexError> {
    let embedding = model.map(|m| Embedding {
        workers: 1,
        ..Embedding::new(m)
    });
    update_library(
        store,
        lib,
        &IngestOptions::default(),
        embedding,
        &mut |_| {},
    )
}

#[test]
fn indexes_searches_filters_and_updates_in_place() {
    let Some(url) = database("search") else {
        return;
    };
    let lib = library();
    let model = HashEmbedder::new(16);
    assert!(matches!(
        PgStore::open(&url),
        Err(IndexError::NoIndex { .. })
    ));
    let mut store = PgStore::connect(&url).unwrap();
    let first = index(&mut store, lib.path(), Some(&model)).unwrap();
    assert_eq!(first.documents, 2);
    assert_eq!(first.vectors as u64, first.chunks);
    let store = PgStore::open(&url).unwrap();
    assert_eq!(store.generation(), 1);
    let hits = store
        .keyword("static route next hop", &Filter::default(), 10)
        .unwrap();
    assert_eq!(
        hits[0].0.to_string(),
        "acme::v1::guide::routing::0",
        "{hits:?}"
    );
    let v2 = Filter {
        versions: Some(vec![("acme".into(), "v2".into())]),
        ..Default::default()
    };
    let hits = store.keyword("static routes", &v2, 10).unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|(id, _)| id.document.contains("::v2::")));
    // Words in double quotes are words, as in the embedded store (the engine ranks the
    // passages holding them as written first): a phrase no chunk holds still finds the
    // chunks holding its words. A word that starts with a dash is a flag to find
    // (`-O2`), not a word to leave out.
    for phrase in [
        "\"link-state advertisements\"",
        "\"advertisements of OSPF\"",
    ] {
        let hits = store.keyword(phrase, &Filter::default(), 10).unwrap();
        assert_eq!(hits.len(), 1, "{phrase}: {hits:?}");
    }
    // A British spelling finds the American text, as in the embedded store.
    let british = store.keyword("behaviour", &Filter::default(), 10).unwrap();
    assert!(
        british.len() == 1 && british[0].0.document.contains("::v2::"),
        "{british:?}"
    );
    let flag = store.keyword("-distance", &Filter::default(), 10).unwrap();
    assert!(
        flag.iter().any(|(id, _)| id.document.contains("::v2::")),
        "{flag:?}"
    );
    // Vectors: the exact text's own vector is its nearest, with and without a filter.
    let chunk = store
        .chunk(&"acme::v2::guide::routing::0".parse().unwrap())
        .unwrap()
        .unwrap();
    let q = model
        .embed_passages(&[&mcdewey_catalog::embedding_text(&chunk)])
        .unwrap()
        .remove(0);
    assert_eq!(
        store.nearest(&q, &Filter::default(), 3).unwrap()[0].0,
        chunk.id
    );
    assert_eq!(store.nearest(&q, &v2, 3).unwrap()[0].0, chunk.id);
    // Similarities of named chunks: exact (the chunk's own text scores 1), in the order
    // asked, none for a chunk that is not there.
    let gone: ChunkId = "acme::v9::guide::routing::0".parse().unwrap();
    let sims = store.similarities(&q, &[gone, chunk.id.clone()]).unwrap();
    assert_eq!(sims[0], None);
    assert!((sims[1].unwrap() - 1.0).abs() < 1e-4, "{sims:?}");
    // Change one file, remove the other: ids of the kept file's chunks are stable.
    write(
        lib.path(),
        "acme/v1/guide/routing.md",
        "# Routing\n\n## Static routes\n\nA static route now also takes a metric.\n",
    );
    std::fs::remove_file(lib.path().join("acme/v2/guide/routing.md")).unwrap();
    let mut store = PgStore::connect(&url).unwrap();
    let second = index(&mut store, lib.path(), Some(&model)).unwrap();
    assert_eq!((second.changed.len(), second.removed.len()), (1, 1));
    assert_eq!(store.generation(), 2);
    let m = store.manifest().unwrap();
    assert_eq!(
        m.documents.keys().collect::<Vec<_>>(),
        ["acme/v1/guide/routing.md"]
    );
    assert!(store
        .keyword("distance tag", &Filter::default(), 10)
        .unwrap()
        .is_empty());
    let chunks = store.document_chunks("acme::v1::guide::routing").unwrap();
    assert!(chunks.iter().any(|c| c.text.contains("metric")));
    assert_eq!(store.chunk_count(), chunks.len() as u64);
    assert_term_stats_match(&url);
}

/// The document frequencies kept by updates equal those counted from scratch.
fn assert_term_stats_match(url: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let counted = "SELECT word, ndoc FROM ts_stat('SELECT search FROM chunk_search')";
    let kept = "SELECT term, df FROM term_stats";
    for (a, b) in [(counted, kept), (kept, counted)] {
        let differ: i64 = c
            .query_one(&format!("SELECT count(*) FROM ({a} EXCEPT {b}) x"), &[])
            .unwrap()
            .get(0);
        assert_eq!(
            differ, 0,
            "term_stats differs from the chunks: {a} EXCEPT {b}"
        );
    }
}

#[test]
fn one_indexer_at_a_time_and_a_dead_one_blocks_nobody() {
    let Some(url) = database("lock") else { return };
    let lib = library();
    let mut store = PgStore::connect(&url).unwrap();
    let mut holder = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&INDEXER_LOCK])
        .unwrap();
    let err = index(&mut store, lib.path(), None).unwrap_err();
    assert!(matches!(err, IndexError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("another `mcdewey index`"), "{err}");
    // The holder's connection goes (a killed process): the lock goes with it.
    drop(holder);
    index(&mut store, lib.path(), None).unwrap();
    assert_eq!(store.generation(), 1);
}

#[test]
fn an_update_commits_in_batches_and_a_killed_run_keeps_them() {
    let Some(url) = database("batches") else {
        return;
    };
    let lib = library();
    let model = HashEmbedder::new(16);
    let embedding = Embedding {
        workers: 1,
        ..Embedding::new(&model)
    };
    let opts = IngestOptions::default();
    // A run that dies at its second commit (as a SIGKILL would between batches).
    let mut store = PgStore::connect(&url).unwrap();
    let mut seen = 0;
    let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        mcdewey_pg::update_in_batches(
            &mut store,
            lib.path(),
            &opts,
            Some(embedding),
            &mut |p| {
                if p == Progress::Committing {
                    seen += 1;
                    assert!(seen < 2, "killed");
                }
            },
            1,
        )
    }));
    assert!(died.is_err());
    // The first document was committed, with its vectors; the lock went with the run.
    let store = PgStore::open(&url).unwrap();
    assert_eq!(store.generation(), 1);
    let manifest = store.manifest().unwrap();
    assert_eq!(
        manifest.documents.len(),
        1,
        "{:?}",
        manifest.documents.keys()
    );
    assert_eq!(manifest.model.as_deref(), Some(model.model_id()));
    // The next run goes on from there: one more commit, the first document unchanged.
    let mut store = PgStore::connect(&url).unwrap();
    let mut commits = 0;
    let summary = mcdewey_pg::update_in_batches(
        &mut store,
        lib.path(),
        &opts,
        Some(embedding),
        &mut |p| commits += usize::from(p == Progress::Committing),
        1,
    )
    .unwrap();
    assert_eq!(summary.unchanged, 1);
    assert_eq!(summary.added.len(), 1);
    assert_eq!(summary.documents, 2);
    assert_eq!(summary.vectors as u64, summary.chunks);
    assert!(commits >= 1);
    assert_term_stats_match(&url);
}

#[test]
fn a_chunk_id_mcdewey_did_not_write_is_an_error_naming_it() {
    let Some(url) = database("badid") else { return };
    let lib = library();
    let mut store = PgStore::connect(&url).unwrap();
    index(&mut store, lib.path(), None).unwrap();
    // A row written by something else (the key its search row holds is let go).
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(
        "ALTER TABLE chunk_search DROP CONSTRAINT chunk_search_id_fkey; \
         UPDATE chunks SET id = 'not-an-id' WHERE id = 'acme::v1::guide::routing::0'",
    )
    .unwrap();
    let store = PgStore::open(&url).unwrap();
    let err = store
        .chunk_range("acme::v1::guide::routing", 0, 5)
        .unwrap_err();
    assert!(matches!(err, IndexError::Backend { .. }), "{err}");
    assert!(err.to_string().contains("chunk id \"not-an-id\""), "{err}");
}

#[test]
fn a_model_of_another_dimension_replaces_every_vector() {
    let Some(url) = database("model") else { return };
    let lib = library();
    let mut store = PgStore::connect(&url).unwrap();
    index(&mut store, lib.path(), Some(&HashEmbedder::new(8))).unwrap();
    assert_eq!(store.model_id(), Some(HashEmbedder::new(8).model_id()));
    let wide = HashEmbedder::new(24);
    let again = index(&mut store, lib.path(), Some(&wide)).unwrap();
    assert_eq!(again.vectors as u64, again.chunks);
    assert_eq!(store.model_id(), Some(wide.model_id()));
    let q = wide
        .embed_query("OSPF floods link-state advertisements")
        .unwrap();
    assert!(!store.nearest(&q, &Filter::default(), 5).unwrap().is_empty());
    // Without a model the library has no vectors (as the embedded store).
    index(&mut store, lib.path(), None).unwrap();
    assert_term_stats_match(&url);
    assert_eq!(store.model_id(), None);
    assert!(store.nearest(&q, &Filter::default(), 5).unwrap().is_empty());
}

#[test]
fn servers_starting_together_migrate_once() {
    let Some(url) = database("migrate") else {
        return;
    };
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::connect(&url).map(|s| s.generation()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), 0);
    }
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let applied: i64 = c
        .query_one("SELECT count(*) FROM refinery_schema_history", &[])
        .unwrap()
        .get(0);
    assert_eq!(applied, 1);
}

#[test]
fn unreachable_servers_and_bad_urls_are_named_without_passwords() {
    let err = PgStore::connect("postgres://me:hunter2@127.0.0.1:1/x")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("postgres://me:***@127.0.0.1:1/x"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("cannot connect"), "{err}");
}
