//! The library as a tree: products → versions (oldest to newest) → doc sets → documents.

use mcdewey_catalog::Manifest;
use mcdewey_core::{DocPath, Version};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole library.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LibraryTree {
    /// Products by name.
    pub products: Vec<ProductNode>,
    /// Documents in all.
    pub documents: usize,
    /// Chunks in all.
    pub chunks: u64,
    /// Unix time of the last index update.
    pub updated_at: u64,
}

/// A product and its versions.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductNode {
    /// Folder name.
    pub name: String,
    /// Versions, oldest first (release-train order).
    pub versions: Vec<VersionNode>,
    /// Documents in all versions.
    pub documents: usize,
    /// Chunks in all versions.
    pub chunks: u64,
}

/// A version and its doc sets.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionNode {
    /// Folder name.
    pub name: String,
    /// Doc sets by name.
    pub doc_sets: Vec<DocSetNode>,
    /// Documents.
    pub documents: usize,
    /// Chunks.
    pub chunks: u64,
}

/// A doc set and its documents.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocSetNode {
    /// Folder name.
    pub name: String,
    /// Documents by path.
    pub documents: Vec<DocumentNode>,
    /// Chunks.
    pub chunks: u64,
}

/// One indexed document.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentNode {
    /// Library-relative path.
    pub source: String,
    /// Chunk id prefix.
    pub document: String,
    /// Number of chunks.
    pub chunks: u32,
    /// Unix time it was indexed.
    pub indexed_at: u64,
    /// Set when the current file could not be read and an earlier version is served.
    pub stale: Option<String>,
}

type Grouped = BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<DocumentNode>>>>;

impl LibraryTree {
    /// The product in this folder, if the library holds it.
    pub fn product(&self, name: &str) -> Option<&ProductNode> {
        self.products.iter().find(|p| p.name == name)
    }

    /// Builds the tree from the documents of a manifest.
    pub fn from_manifest(manifest: &Manifest) -> LibraryTree {
        let mut grouped: Grouped = BTreeMap::new();
        for (source, entry) in &manifest.documents {
            let Ok(path) = DocPath::parse(source) else {
                continue;
            };
            grouped
                .entry(path.product)
                .or_default()
                .entry(path.version)
                .or_default()
                .entry(path.doc_set)
                .or_default()
                .push(DocumentNode {
                    source: source.clone(),
                    document: entry.document.clone(),
                    chunks: entry.chunks,
                    indexed_at: entry.indexed_at,
                    stale: entry.stale.clone(),
                });
        }
        let mut tree = LibraryTree {
            updated_at: manifest.updated_at,
            ..Default::default()
        };
        for (product, versions) in grouped {
            let mut pnode = ProductNode {
                name: product,
                versions: Vec::new(),
                documents: 0,
                chunks: 0,
            };
            for (version, doc_sets) in versions {
                let mut vnode = VersionNode {
                    name: version,
                    doc_sets: Vec::new(),
                    documents: 0,
                    chunks: 0,
                };
                for (name, documents) in doc_sets {
                    let chunks: u64 = documents.iter().map(|d| u64::from(d.chunks)).sum();
                    vnode.documents += documents.len();
                    vnode.chunks += chunks;
                    vnode.doc_sets.push(DocSetNode {
                        name,
                        documents,
                        chunks,
                    });
                }
                pnode.documents += vnode.documents;
                pnode.chunks += vnode.chunks;
                pnode.versions.push(vnode);
            }
            pnode.versions.sort_by_key(|a| Version::parse(&a.name));
            tree.documents += pnode.documents;
            tree.chunks += pnode.chunks;
            tree.products.push(pnode);
        }
        tree
    }
}
