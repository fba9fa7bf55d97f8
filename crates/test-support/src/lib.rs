//! What the workspace's tests share, so no test file keeps its own copy: libraries
//! written in a temporary folder, the shared sample libraries, and databases on the
//! PostgreSQL test server (`MCDEWEY_TEST_PG`, which `scripts/test` starts).

use std::path::{Path, PathBuf};

/// Writes `content` to `root/rel`, creating its folders.
pub fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a file has a folder")).expect("creating folders");
    std::fs::write(&p, content).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
}

/// A library in a temporary folder holding `files` (library-relative path, text).
pub fn library(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    dir
}

/// The sample CUCM library in `../shared/library`, beside the repository.
pub fn sample_library() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/library");
    assert!(
        p.join("cucm").is_dir(),
        "the sample library is missing at {}; clone the repository with shared/ beside it",
        p.display()
    );
    p
}

/// The second sample library (`scripts/fetch-sample-docs`), when `MCDEWEY_SAMPLE_DOCS`
/// names it (`scripts/test` sets it); `None`, said on stderr, otherwise.
pub fn sample_docs() -> Option<PathBuf> {
    let found = std::env::var_os("MCDEWEY_SAMPLE_DOCS").map(PathBuf::from);
    if found.is_none() {
        eprintln!(
            "skipped: MCDEWEY_SAMPLE_DOCS is not set (scripts/test sets it after \
             scripts/fetch-sample-docs)"
        );
    }
    found
}

/// The URL of the PostgreSQL test server, or `None` (skipped, said on stderr) without
/// one. When `MCDEWEY_REQUIRE_PG` is set, as in `scripts/test`, a missing server fails.
pub fn pg_server() -> Option<String> {
    let url = std::env::var("MCDEWEY_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        assert!(
            std::env::var_os("MCDEWEY_REQUIRE_PG").is_none(),
            "MCDEWEY_REQUIRE_PG is set but MCDEWEY_TEST_PG is not"
        );
        eprintln!("skipped: set MCDEWEY_TEST_PG to a PostgreSQL URL (scripts/pg-server)");
    }
    url
}

/// The URL of database `name` on the server `admin` (whose URL names another one).
fn database_url(admin: &str, name: &str) -> String {
    let (server, _) = admin
        .rsplit_once('/')
        .expect("MCDEWEY_TEST_PG is a URL like postgres://postgres@127.0.0.1:5432/postgres");
    format!("{server}/{name}")
}

fn admin_client(admin: &str) -> postgres::Client {
    postgres::Client::connect(admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("MCDEWEY_TEST_PG {admin}: {e}"))
}

/// A fresh, empty database `<name>_<pid>` on the test server (dropped first if a
/// earlier run left it), or `None` without a server ([`pg_server`]).
pub fn fresh_database(name: &str) -> Option<String> {
    let admin = pg_server()?;
    let db = format!("{name}_{}", std::process::id());
    let mut c = admin_client(&admin);
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap_or_else(|e| panic!("dropping database {db}: {e}"));
    c.batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap_or_else(|e| panic!("creating database {db}: {e}"));
    Some(database_url(&admin, &db))
}

/// Database `name` on the test server `admin`, created the first time this process
/// asks for it and shared after (tests that stand a data folder for a database).
pub fn database_once(admin: &str, name: &str) -> String {
    static CREATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut created = CREATED.lock().unwrap_or_else(|e| e.into_inner());
    if !created.iter().any(|n| n == name) {
        admin_client(admin)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
        created.push(name.to_string());
    }
    database_url(admin, name)
}
