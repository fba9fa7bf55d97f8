//! Where a query's best matches lie: counts by product, version and doc set.

use mcdewey_core::{ChunkId, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Chunks looked at to count facets.
pub const FACET_DEPTH: usize = 100;

/// Counts of a query's best matches by product, version and doc set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Facets {
    /// (product, count), by name.
    pub products: Vec<(String, usize)>,
    /// Versions, newest first within each product.
    pub versions: Vec<FacetVersion>,
    /// (doc set, count), by name.
    pub doc_sets: Vec<(String, usize)>,
}

/// One version's count in [`Facets`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FacetVersion {
    /// Product folder.
    pub product: String,
    /// Version folder.
    pub version: String,
    /// Matches in it.
    pub count: usize,
}

impl Facets {
    /// Counts chunks by the product, version and doc set their ids name; versions newest
    /// first within each product.
    pub fn count<'a>(ids: impl IntoIterator<Item = &'a ChunkId>) -> Facets {
        let mut products: BTreeMap<String, usize> = BTreeMap::new();
        let mut versions: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut doc_sets: BTreeMap<String, usize> = BTreeMap::new();
        for id in ids {
            let Some((p, v, d)) = id.scope() else {
                continue;
            };
            *products.entry(p.to_string()).or_default() += 1;
            *versions.entry((p.to_string(), v.to_string())).or_default() += 1;
            *doc_sets.entry(d.to_string()).or_default() += 1;
        }
        let mut version_list: Vec<FacetVersion> = versions
            .into_iter()
            .map(|((product, version), count)| FacetVersion {
                product,
                version,
                count,
            })
            .collect();
        version_list.sort_by(|a, b| {
            a.product
                .cmp(&b.product)
                .then_with(|| Version::parse(&b.version).cmp(&Version::parse(&a.version)))
        });
        Facets {
            products: products.into_iter().collect(),
            versions: version_list,
            doc_sets: doc_sets.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facets_count_by_release_newest_first() {
        let ids: Vec<ChunkId> = [
            "cucm::v12.5.1::guide::a::0",
            "cucm::v15::guide::a::3",
            "cucm::v15::admin::b::1",
            "clang::v9::manual::c::0",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let f = Facets::count(&ids);
        assert_eq!(f.products, [("clang".into(), 1), ("cucm".into(), 3)]);
        let versions: Vec<(&str, usize)> = f
            .versions
            .iter()
            .map(|v| (v.version.as_str(), v.count))
            .collect();
        assert_eq!(versions, [("v9", 1), ("v15", 2), ("v12.5.1", 1)]);
        assert_eq!(
            f.doc_sets,
            [
                ("admin".into(), 1),
                ("guide".into(), 2),
                ("manual".into(), 1)
            ]
        );
    }
}
