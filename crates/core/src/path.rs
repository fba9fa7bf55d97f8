use crate::CoreError;
use serde::{Deserialize, Serialize};

/// The place of a document in the library: `<product>/<version>/<doc-set>/<file>`.
///
/// `file` is the path below the doc set, `/`-separated, with its extension; it may
/// contain subfolders (`admin/intro.md`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocPath {
    /// Product folder, e.g. `cucm`.
    pub product: String,
    /// Version folder, e.g. `v12.5.1su1`.
    pub version: String,
    /// Doc-set folder, e.g. `security-guide`.
    pub doc_set: String,
    /// Path below the doc set, e.g. `security-guide.md` or `admin/intro.md`.
    pub file: String,
}

impl DocPath {
    /// Parses a path relative to the library root (`/`-separated).
    ///
    /// Refuses paths with fewer than four parts, empty, hidden (`.x`) or parent (`..`)
    /// components, and names containing `::`, which would make chunk ids ambiguous.
    pub fn parse(relative: &str) -> Result<DocPath, CoreError> {
        let invalid = |reason: &str| CoreError::InvalidPath {
            path: relative.to_string(),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = relative.split('/').collect();
        if parts.len() < 4 {
            return Err(invalid(
                "not in a <product>/<version>/<doc-set>/<file> folder; move it into a doc-set folder",
            ));
        }
        for part in &parts {
            if part.is_empty() || *part == "." || *part == ".." {
                return Err(invalid("empty, '.' or '..' path component"));
            }
            if part.contains("::") {
                return Err(invalid(
                    "a folder or file name contains '::', which chunk ids use as separator",
                ));
            }
            if part.contains('\\') {
                return Err(invalid("a file name contains a backslash"));
            }
        }
        Ok(DocPath {
            product: parts[0].to_string(),
            version: parts[1].to_string(),
            doc_set: parts[2].to_string(),
            file: parts[3..].join("/"),
        })
    }

    /// The path relative to the library root, as cited in results.
    pub fn source(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.product, self.version, self.doc_set, self.file
        )
    }

    /// The file path below the doc set without its final extension: the `file-stem`
    /// part of chunk ids (`admin/intro` for `admin/intro.md`).
    pub fn stem(&self) -> String {
        let (dir, name) = match self.file.rsplit_once('/') {
            Some((dir, name)) => (Some(dir), name),
            None => (None, self.file.as_str()),
        };
        let base = match name.rsplit_once('.') {
            Some((base, _)) if !base.is_empty() => base,
            _ => name,
        };
        match dir {
            Some(dir) => format!("{dir}/{base}"),
            None => base.to_string(),
        }
    }

    /// The lower-cased file extension, if any.
    pub fn extension(&self) -> Option<String> {
        let name = self.file.rsplit('/').next().unwrap_or(&self.file);
        match name.rsplit_once('.') {
            Some((base, ext)) if !base.is_empty() => Some(ext.to_ascii_lowercase()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_library_paths_with_subfolders() {
        let p = DocPath::parse("cucm/v15/security-guide/admin/intro.md").unwrap();
        assert_eq!(p.product, "cucm");
        assert_eq!(p.version, "v15");
        assert_eq!(p.doc_set, "security-guide");
        assert_eq!(p.file, "admin/intro.md");
        assert_eq!(p.stem(), "admin/intro");
        assert_eq!(p.extension().as_deref(), Some("md"));
        assert_eq!(p.source(), "cucm/v15/security-guide/admin/intro.md");
    }

    #[test]
    fn refuses_paths_outside_a_doc_set() {
        let err = DocPath::parse("cucm/v15/readme.md").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("cucm/v15/readme.md: not in a <product>"));
        assert!(DocPath::parse("cucm/../x/y/z.md").is_err());
        assert!(DocPath::parse("cucm/v15/a::b/z.md").is_err());
    }

    #[test]
    fn stem_keeps_dotted_names() {
        let p = DocPath::parse("pg/v16/manual/release-16.1.html").unwrap();
        assert_eq!(p.stem(), "release-16.1");
        let p = DocPath::parse("pg/v16/manual/.hidden").unwrap();
        assert_eq!(p.stem(), ".hidden");
        assert_eq!(p.extension(), None);
    }
}
