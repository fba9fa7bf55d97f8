//! A request's product / version / doc-set resolved against what the library holds:
//! folder names matched without regard to case, versions as people write them,
//! `latest` per product.

use crate::{Filter, LibraryTree, SearchError, SearchRequest};
use mcdewey_catalog::Manifest;
use mcdewey_core::Version;
use std::collections::BTreeMap;

/// Resolves filters against the documents of a manifest.
pub fn resolve_filter(manifest: &Manifest, req: &SearchRequest) -> Result<Filter, SearchError> {
    resolve_filter_in(&LibraryTree::from_manifest(manifest), req)
}

/// Resolves filters against a library tree.
pub fn resolve_filter_in(tree: &LibraryTree, req: &SearchRequest) -> Result<Filter, SearchError> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    // Folder names are matched without regard to case ("CUCM" is `cucm`), as versions
    // are, and the folder's own spelling is used from there on.
    let mut product = nonempty(&req.product);
    let mut doc_set = nonempty(&req.doc_set);
    let version = nonempty(&req.version);
    if let Some(p) = &mut product {
        if let Some(n) = tree
            .products
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(p))
        {
            p.clone_from(&n.name);
        } else {
            return Err(SearchError::UnknownFilter {
                field: "product",
                value: p.clone(),
                known: tree
                    .products
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let in_scope = |name: &str| product.as_deref().is_none_or(|p| p == name);
    // The products a doc set or version is looked for in: the one asked for, or all.
    let scoped = || tree.products.iter().filter(|p| in_scope(&p.name));
    if let Some(d) = &mut doc_set {
        let known: Vec<&str> = scoped()
            .flat_map(|p| {
                p.versions
                    .iter()
                    .flat_map(|v| v.doc_sets.iter().map(|d| d.name.as_str()))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(d)) {
            *d = k.to_string();
        } else {
            return Err(SearchError::UnknownFilter {
                field: "doc_set",
                value: d.clone(),
                known: known.join(", "),
            });
        }
    }
    let versions = match &version {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("latest") => Some(
            scoped()
                .filter_map(|p| p.versions.last().map(|v| (p.name.clone(), v.name.clone())))
                .collect(),
        ),
        Some(v) => {
            let pairs: Vec<(String, String)> = scoped()
                .flat_map(|p| {
                    p.versions
                        .iter()
                        .filter(|n| Version::parse(&n.name).matches(v))
                        .map(|n| (p.name.clone(), n.name.clone()))
                })
                .collect();
            if pairs.is_empty() {
                let mut known: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for p in scoped() {
                    known.insert(
                        p.name.clone(),
                        p.versions.iter().map(|v| v.name.clone()).collect(),
                    );
                }
                return Err(SearchError::UnknownFilter {
                    field: "version",
                    value: v.clone(),
                    known: known
                        .iter()
                        .map(|(p, vs)| format!("{p}: {}", vs.join(" ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                        + "; or latest",
                });
            }
            Some(pairs)
        }
    };
    Ok(Filter {
        product,
        versions,
        doc_set,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcdewey_catalog::DocEntry;

    /// A tree of two products: cucm in three releases with two doc sets, clang in one.
    fn tree() -> LibraryTree {
        let mut m = Manifest::default();
        for source in [
            "cucm/v12.5.1/security-guide/guide.md",
            "cucm/v12.5.1su1/security-guide/guide.md",
            "cucm/v15/security-guide/guide.md",
            "cucm/v15/admin/admin.md",
            "clang/v16/manual/users.html",
        ] {
            let entry = DocEntry {
                hash: String::new(),
                document: source.trim_end_matches(".md").replace('/', "::"),
                chunks: 1,
                bytes: 1,
                indexed_at: 0,
                warnings: Vec::new(),
                stale: None,
            };
            m.documents.insert(source.into(), entry);
        }
        LibraryTree::from_manifest(&m)
    }

    fn resolve(
        product: Option<&str>,
        version: Option<&str>,
        doc_set: Option<&str>,
    ) -> Result<Filter, SearchError> {
        let req = SearchRequest {
            query: "q".into(),
            product: product.map(Into::into),
            version: version.map(Into::into),
            doc_set: doc_set.map(Into::into),
            ..Default::default()
        };
        resolve_filter_in(&tree(), &req)
    }

    fn pairs(f: &Filter) -> Vec<String> {
        f.versions
            .iter()
            .flatten()
            .map(|(p, v)| format!("{p}/{v}"))
            .collect()
    }

    #[test]
    fn nothing_given_is_everything_and_blanks_are_nothing() {
        assert_eq!(resolve(None, None, None).unwrap(), Filter::default());
        assert_eq!(
            resolve(Some("  "), Some(""), None).unwrap(),
            Filter::default()
        );
    }

    #[test]
    fn folder_names_match_without_regard_to_case() {
        let f = resolve(Some("CUCM"), None, Some("Security-Guide")).unwrap();
        assert_eq!(f.product.as_deref(), Some("cucm"));
        assert_eq!(f.doc_set.as_deref(), Some("security-guide"));
    }

    #[test]
    fn versions_resolve_as_people_write_them() {
        let f = resolve(None, Some("12.5(1)SU1"), None).unwrap();
        assert_eq!(pairs(&f), ["cucm/v12.5.1su1"]);
        let f = resolve(Some("cucm"), Some("15"), None).unwrap();
        assert_eq!(pairs(&f), ["cucm/v15"]);
        // `latest` is the newest release of each product in scope.
        let f = resolve(None, Some("LATEST"), None).unwrap();
        assert_eq!(pairs(&f), ["clang/v16", "cucm/v15"]);
        let f = resolve(Some("cucm"), Some("latest"), None).unwrap();
        assert_eq!(pairs(&f), ["cucm/v15"]);
    }

    #[test]
    fn unknown_values_are_refused_with_what_exists() {
        let e = resolve(Some("juniper"), None, None).unwrap_err();
        assert_eq!(e.code(), "unknown_filter");
        assert_eq!(
            e.to_string(),
            "product: no product \"juniper\" in the library; known: clang, cucm"
        );
        // A doc set is looked for within the product asked for only.
        let e = resolve(Some("clang"), None, Some("admin")).unwrap_err();
        assert!(
            e.to_string().starts_with("doc_set: no doc_set \"admin\""),
            "{e}"
        );
        assert!(e.to_string().ends_with("known: manual"), "{e}");
        let e = resolve(Some("cucm"), Some("9"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "version: no version \"9\" in the library; known: cucm: v12.5.1 v12.5.1su1 v15; or latest"
        );
    }
}
