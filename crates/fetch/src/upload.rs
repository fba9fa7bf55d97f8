//! Documents put in or taken out by hand (the server's admin page and API): an uploaded
//! file is checked like a download (its content must be what its name says, binary
//! content that is no PDF is refused, the name is reduced to safe characters) and
//! written atomically into its doc set; removing a document deletes its file and its
//! record in the doc set's sources, so `refresh` does not bring it back.

use crate::{
    io, name_for, read_sources, safe_segment, write_atomic, write_sources, FetchError, Fetched,
    Kind, Target, SOURCES_FILE,
};
use std::path::Path;

/// The name an uploaded file is saved under, after checking it: not over `max_bytes`,
/// not empty, a PDF or UTF-8 text, and its content what its name says. The name is
/// reduced to safe characters and given the extension its content calls for when it
/// has none the library reads.
pub fn check_upload(name: &str, bytes: &[u8], max_bytes: u64) -> Result<String, FetchError> {
    let shown = mcdewey_core::shorten(name, 200);
    if bytes.len() as u64 > max_bytes {
        return Err(FetchError::TooLarge {
            url: shown,
            max: max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(FetchError::Content {
            url: shown,
            reason: "the file is empty".into(),
        });
    }
    let kind = Kind::sniff(bytes, "").ok_or_else(|| FetchError::Content {
        url: shown.clone(),
        reason: "binary content that is neither a PDF nor text".into(),
    })?;
    if kind != Kind::Pdf && std::str::from_utf8(bytes).is_err() {
        return Err(FetchError::Content {
            url: shown,
            reason: "not valid UTF-8 text and not a PDF".into(),
        });
    }
    name_for(&shown, &safe_segment(name), kind)
}

/// Saves an uploaded file ([`check_upload`] first) in the target doc set. A file of
/// that name that was fetched from a URL is no longer refreshed from it.
pub fn save_upload(
    library: &Path,
    target: &Target,
    name: &str,
    bytes: &[u8],
    max_bytes: u64,
) -> Result<Fetched, FetchError> {
    let file = check_upload(name, bytes, max_bytes)?;
    let dir = target.dir(library);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let path = dir.join(&file);
    let existed = path.exists();
    let same = existed && std::fs::read(&path).is_ok_and(|b| b == bytes);
    if !same {
        write_atomic(&path, bytes)?;
    }
    forget(&dir, &file)?;
    Ok(Fetched {
        source: format!(
            "{}/{}/{}/{file}",
            target.product, target.version, target.doc_set
        ),
        url: String::new(),
        status: match (existed, same) {
            (false, _) => "added",
            (true, true) => "unchanged",
            (true, false) => "changed",
        },
        error: None,
    })
}

/// Deletes the library document `source` (`product/version/doc-set/file`) and its
/// sources record. Only documents the library reads can be removed: the path must be
/// a library path, name a file inside the library, and not be hidden.
pub fn remove(library: &Path, source: &str) -> Result<Fetched, FetchError> {
    let doc = mcdewey_core::DocPath::parse(source)
        .map_err(|e| FetchError::InvalidTarget(format!("source: {e}")))?;
    if doc.file.split('/').any(|p| p.starts_with('.')) || source.contains('\\') {
        return Err(FetchError::InvalidTarget(format!(
            "source: {source}: hidden files are not library documents"
        )));
    }
    let path = library.join(doc.source());
    let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
    if !meta.is_file() {
        return Err(FetchError::InvalidTarget(format!(
            "source: {source} is not a file in the library"
        )));
    }
    std::fs::remove_file(&path).map_err(io(&path))?;
    let dir = library
        .join(&doc.product)
        .join(&doc.version)
        .join(&doc.doc_set);
    forget(&dir, &doc.file)?;
    Ok(Fetched {
        source: doc.source(),
        url: String::new(),
        status: "removed",
        error: None,
    })
}

/// Drops `file` from the doc set's sources record, when it has one.
fn forget(dir: &Path, file: &str) -> Result<(), FetchError> {
    if !dir.join(SOURCES_FILE).is_file() {
        return Ok(());
    }
    let mut sources = read_sources(dir)?;
    let before = sources.sources.len();
    sources.sources.retain(|s| s.file != file);
    if sources.sources.len() != before {
        write_sources(dir, &sources)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target::new("acme", "v1", "guide").unwrap()
    }

    #[test]
    fn uploads_are_checked_named_safely_and_saved() {
        let lib = tempfile::tempdir().unwrap();
        let max = 1 << 20;
        let saved = save_upload(
            lib.path(),
            &target(),
            "../../Intro Guide",
            b"# Intro\n",
            max,
        )
        .unwrap();
        assert_eq!(saved.source, "acme/v1/guide/Intro-Guide.md");
        assert_eq!(saved.status, "added");
        assert!(lib.path().join("acme/v1/guide/Intro-Guide.md").is_file());
        let again = save_upload(lib.path(), &target(), "Intro Guide", b"# Intro\n", max).unwrap();
        assert_eq!(again.status, "unchanged");
        let pdf = save_upload(lib.path(), &target(), "m.pdf", b"%PDF-1.7\n...", max).unwrap();
        assert_eq!(pdf.source, "acme/v1/guide/m.pdf");

        let refused = |name: &str, bytes: &[u8], max: u64| {
            save_upload(lib.path(), &target(), name, bytes, max)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused("fake.pdf", b"<html><body>x</body></html>", max),
            "fake.pdf: the content is HTML, not what a .pdf name says"
        );
        assert_eq!(
            refused("a.docx", b"PK\x03\x04\x00\x00", max),
            "a.docx: binary content that is neither a PDF nor text"
        );
        assert_eq!(
            refused("b.md", b"caf\xe9", max),
            "b.md: not valid UTF-8 text and not a PDF"
        );
        assert_eq!(refused("c.md", b"", max), "c.md: the file is empty");
        assert_eq!(
            refused("d.md", b"0123456789", 4),
            "d.md: larger than 4 bytes (--max-file-size)"
        );
    }

    #[test]
    fn removing_deletes_the_file_and_its_record_and_nothing_outside() {
        let lib = tempfile::tempdir().unwrap();
        let dir = lib.path().join("acme/v1/guide");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.md"), "# A\n").unwrap();
        std::fs::write(
            dir.join(SOURCES_FILE),
            r#"{"sources":[{"url":"https://x.org/a.md","file":"a.md","fetched_at":1,"hash":"h"},
                           {"url":"https://x.org/b.md","file":"b.md","fetched_at":1,"hash":"h"}]}"#,
        )
        .unwrap();
        let gone = remove(lib.path(), "acme/v1/guide/a.md").unwrap();
        assert_eq!(gone.status, "removed");
        assert!(!dir.join("a.md").exists());
        let left = read_sources(&dir).unwrap();
        assert_eq!(left.sources.len(), 1);
        assert_eq!(left.sources[0].file, "b.md");

        for bad in [
            "acme/v1/guide/a.md",
            "acme/v1/../../etc/passwd",
            "acme/v1/guide/.mcdewey-sources.json",
            "acme/v1",
            "acme/v1/guide",
        ] {
            assert!(remove(lib.path(), bad).is_err(), "{bad}");
        }
        assert!(dir.join(SOURCES_FILE).is_file());
    }
}
