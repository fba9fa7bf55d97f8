//! Finding the documents of a library folder.

use crate::IngestError;
use mcdewey_core::DocPath;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A file format McDewey can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// `.md`, `.markdown`
    Markdown,
    /// `.txt`, `.text`
    Text,
    /// `.pdf`
    Pdf,
    /// `.html`, `.htm`
    Html,
}

impl Format {
    /// The format of a file extension (lower case), if supported.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "md" | "markdown" => Some(Format::Markdown),
            "txt" | "text" => Some(Format::Text),
            "pdf" => Some(Format::Pdf),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    }
}

/// A document found in the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryFile {
    /// Where it sits in the library.
    pub path: DocPath,
    /// Absolute (or root-joined) path on disk.
    pub abs: PathBuf,
    /// Size in bytes at discovery.
    pub size: u64,
    /// When its content or metadata last changed (the later status-change time of the
    /// file and of a link to it, in seconds since 1970), where the file system says.
    /// Unlike the modification time, no tool can set it back: a file changed since it
    /// was indexed has a later one.
    pub changed: Option<u64>,
    /// Its format.
    pub format: Format,
    /// The `file-stem` part of its chunk ids, unique within its doc set.
    pub stem: String,
}

/// A file that was found but will not be indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Path relative to the library root.
    pub path: String,
    /// Why, in words a user can act on.
    pub reason: String,
}

/// The result of walking a library folder.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Documents to index, sorted by path.
    pub files: Vec<LibraryFile>,
    /// Files left out, with reasons.
    pub skipped: Vec<Skipped>,
}

impl Discovery {
    /// A cheap fingerprint of what was found: every document's path, size and
    /// modification time (read now), and every file left out with its reason. Equal
    /// fingerprints mean nothing an update would read has changed (short of a rewrite
    /// that keeps size and time).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for f in &self.files {
            f.path.source().hash(&mut h);
            f.size.hash(&mut h);
            std::fs::metadata(&f.abs)
                .and_then(|m| m.modified())
                .ok()
                .hash(&mut h);
        }
        for s in &self.skipped {
            (&s.path, &s.reason).hash(&mut h);
        }
        h.finish()
    }
}

/// File name of a product's metadata, `<product>/product.json`:
/// `{"name": "Cisco Unified Communications Manager", "aliases": ["CUCM", "Unified CM"]}`.
pub const PRODUCT_METADATA: &str = "product.json";

/// What a library says of one product.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductMetadata {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Other names people use for it.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// The metadata of every product folder of a library that has a `product.json`, by
/// folder name; a file that cannot be read is a warning naming it, never an error.
pub fn product_metadata(
    root: &Path,
) -> (
    std::collections::BTreeMap<String, ProductMetadata>,
    Vec<String>,
) {
    let mut out = std::collections::BTreeMap::new();
    let mut warnings = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return (out, warnings);
    };
    for entry in entries.flatten() {
        let file = entry.path().join(PRODUCT_METADATA);
        if !file.is_file() {
            continue;
        }
        let product = entry.file_name().to_string_lossy().to_string();
        match std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<ProductMetadata>(&t).map_err(|e| e.to_string()))
        {
            Ok(meta) => {
                out.insert(product, meta);
            }
            Err(e) => warnings.push(format!("{product}/{PRODUCT_METADATA}: {e}; ignored")),
        }
    }
    (out, warnings)
}

/// Walks `root` and lists its documents.
///
/// Hidden files and folders (`.git`, `.DS_Store`) are ignored silently; symbolic links
/// are not followed, so nothing outside the library is read. Files with unsupported
/// extensions or outside a `<product>/<version>/<doc-set>/` folder are reported as
/// skipped. When two files of one folder differ only by extension (`intro.md`,
/// `intro.txt`), the one whose format sorts first (Markdown, then text), then by name,
/// keeps the bare stem and the others use their full file name as stem, so every chunk
/// id stays unique.
pub fn discover(root: &Path) -> Result<Discovery, IngestError> {
    let meta = std::fs::metadata(root).map_err(|e| IngestError::LibraryUnreadable {
        root: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(IngestError::LibraryUnreadable {
            root: root.to_path_buf(),
            reason: "not a directory".into(),
        });
    }
    let mut out = Discovery::default();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err
                    .path()
                    .and_then(|p| p.strip_prefix(root).ok())
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                out.skipped.push(Skipped {
                    path,
                    reason: format!("cannot read: {err}"),
                });
                continue;
            }
        };
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let Some(rel_str) = rel
            .to_str()
            .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
        else {
            out.skipped.push(Skipped {
                path: rel.display().to_string(),
                reason: "file name is not valid UTF-8".into(),
            });
            continue;
        };
        if file_type.is_symlink() {
            out.skipped.push(Skipped {
                path: rel_str,
                reason: "symbolic link, not followed".into(),
            });
            continue;
        }
        if !file_type.is_file() {
            out.skipped.push(Skipped {
                path: rel_str,
                reason: "not a regular file (a pipe, socket or device), not read".into(),
            });
            continue;
        }
        // `<product>/product.json` describes a product (display name, aliases): read by
        // `product_metadata`, not a document.
        if rel_str.matches('/').count() == 1 && rel_str.ends_with(&format!("/{PRODUCT_METADATA}")) {
            continue;
        }
        let doc_path = match DocPath::parse(&rel_str) {
            Ok(p) => p,
            Err(err) => {
                let reason = err.to_string();
                let reason = reason
                    .strip_prefix(&format!("{rel_str}: "))
                    .unwrap_or(&reason)
                    .to_string();
                out.skipped.push(Skipped {
                    path: rel_str,
                    reason,
                });
                continue;
            }
        };
        let Some(format) = doc_path
            .extension()
            .as_deref()
            .and_then(Format::from_extension)
        else {
            let ext = doc_path
                .extension()
                .map(|e| format!(".{e}"))
                .unwrap_or_else(|| "no extension".into());
            out.skipped.push(Skipped {
                path: rel_str,
                reason: format!(
                    "unsupported format ({ext}); supported: .md .markdown .txt .pdf .html .htm"
                ),
            });
            continue;
        };
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        let stem = doc_path.stem();
        out.files.push(LibraryFile {
            path: doc_path,
            changed: status_changed(entry.path()),
            abs: entry.path().to_path_buf(),
            size,
            format,
            stem,
        });
    }
    disambiguate_stems(&mut out.files);
    Ok(out)
}

/// The later status-change time of `path` and of what it links to.
fn status_changed(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    let link = std::fs::symlink_metadata(path).ok()?.ctime();
    let target = std::fs::metadata(path).ok()?.ctime();
    u64::try_from(link.max(target)).ok()
}

fn disambiguate_stems(files: &mut [LibraryFile]) {
    let mut groups: BTreeMap<(String, String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let key = (
            f.path.product.clone(),
            f.path.version.clone(),
            f.path.doc_set.clone(),
            f.stem.clone(),
        );
        groups.entry(key).or_default().push(i);
    }
    for (_, mut members) in groups {
        if members.len() < 2 {
            continue;
        }
        members.sort_by(|&a, &b| {
            (files[a].format, &files[a].path.file).cmp(&(files[b].format, &files[b].path.file))
        });
        for &i in &members[1..] {
            files[i].stem = files[i].path.file.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "text").unwrap();
    }

    #[test]
    fn finds_documents_and_explains_skips() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "cucm/v15/guide/a.md");
        touch(root, "cucm/v15/guide/sub/b.txt");
        touch(root, "cucm/v15/guide/a.txt");
        touch(root, "cucm/v15/guide/pic.png");
        touch(root, "cucm/v15/loose.md");
        touch(root, "cucm/v15/guide/.hidden.md");
        touch(root, ".git/config");
        let d = discover(root).unwrap();
        let files: Vec<(&str, &str)> = d
            .files
            .iter()
            .map(|f| (f.path.file.as_str(), f.stem.as_str()))
            .collect();
        assert_eq!(
            files,
            [("a.md", "a"), ("a.txt", "a.txt"), ("sub/b.txt", "sub/b")]
        );
        let skipped: Vec<&str> = d.skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(skipped, ["cucm/v15/guide/pic.png", "cucm/v15/loose.md"]);
        assert!(d.skipped[0].reason.contains("unsupported format (.png)"));
        assert!(d.skipped[1]
            .reason
            .contains("not in a <product>/<version>/<doc-set>/<file> folder"));
    }

    #[test]
    fn a_missing_library_is_a_clear_error() {
        let err = discover(Path::new("/nonexistent/library")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/library"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "p/v1/d/real.md");
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("p/v1/d/passwd.md")).unwrap();
        let d = discover(dir.path()).unwrap();
        assert_eq!(d.files.len(), 1);
        assert_eq!(d.skipped[0].reason, "symbolic link, not followed");
    }
}
