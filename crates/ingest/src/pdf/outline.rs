//! The outline (bookmarks): titles, depth and target page, in document order.
//!
//! Walked by hand rather than with `lopdf`'s `get_toc`, which keys entries by title (so
//! repeated titles such as "Description" collapse) and follows `/Next` without a bound.

use super::{decode_pdf_string, deref, walk_tree, OutlineEntry};
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Entries read at most.
const MAX_ENTRIES: usize = 50_000;
/// Nesting followed at most.
const MAX_DEPTH: usize = 16;

struct Walk<'a> {
    doc: &'a Document,
    page_of: HashMap<ObjectId, u32>,
    names: Option<HashMap<Vec<u8>, &'a Object>>,
    seen: HashSet<ObjectId>,
    out: Vec<OutlineEntry>,
}

/// The outline entries that point at a page of this document; empty without an outline.
pub fn read_outline(doc: &Document, pages: &BTreeMap<u32, ObjectId>) -> Vec<OutlineEntry> {
    let Some(root) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Outlines").ok())
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_dict().ok())
    else {
        return Vec::new();
    };
    let mut walk = Walk {
        doc,
        page_of: pages.iter().map(|(n, id)| (*id, *n)).collect(),
        names: None,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    walk.siblings(root.get(b"First").ok(), 1);
    walk.out
}

impl<'a> Walk<'a> {
    fn siblings(&mut self, mut next: Option<&'a Object>, level: usize) {
        while let Some(obj) = next {
            if level > MAX_DEPTH || self.out.len() >= MAX_ENTRIES {
                return;
            }
            // A cycle in /Next or /First ends the walk instead of looping.
            if let Ok(id) = obj.as_reference() {
                if !self.seen.insert(id) {
                    return;
                }
            }
            let Some(item) = deref(self.doc, obj).and_then(|o| o.as_dict().ok()) else {
                return;
            };
            self.item(item, level);
            self.siblings(item.get(b"First").ok(), level + 1);
            next = item.get(b"Next").ok();
        }
    }

    fn item(&mut self, item: &'a Dictionary, level: usize) {
        let title = item
            .get(b"Title")
            .ok()
            .and_then(|o| deref(self.doc, o))
            .and_then(|o| o.as_str().ok())
            .map(decode_pdf_string)
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        if title.is_empty() {
            return;
        }
        let dest = match item.get(b"Dest") {
            Ok(d) => Some(d),
            Err(_) => item
                .get(b"A")
                .ok()
                .and_then(|a| deref(self.doc, a))
                .and_then(|a| a.as_dict().ok())
                .filter(|a| a.get(b"S").ok().and_then(|s| s.as_name().ok()) == Some(b"GoTo"))
                .and_then(|a| a.get(b"D").ok()),
        };
        if let Some(page) = dest.and_then(|d| self.dest_page(d, 0)) {
            self.out.push(OutlineEntry {
                level: u8::try_from(level).unwrap_or(u8::MAX),
                title,
                page,
            });
        }
    }

    /// The page a destination points to: an array `[page /XYZ …]`, a dictionary with
    /// `/D`, or a name looked up in the document's named destinations.
    fn dest_page(&mut self, dest: &'a Object, depth: usize) -> Option<u32> {
        if depth > 4 {
            return None;
        }
        let dest = deref(self.doc, dest)?;
        match dest {
            Object::Array(a) => {
                let id = a.first()?.as_reference().ok()?;
                self.page_of.get(&id).copied()
            }
            Object::Dictionary(d) => self.dest_page(d.get(b"D").ok()?, depth + 1),
            Object::String(key, _) | Object::Name(key) => {
                let target = *self.named()?.get(key.as_slice())?;
                self.dest_page(target, depth + 1)
            }
            _ => None,
        }
    }

    fn named(&mut self) -> Option<&HashMap<Vec<u8>, &'a Object>> {
        if self.names.is_none() {
            let mut names = HashMap::new();
            let doc = self.doc;
            if let Ok(catalog) = doc.catalog() {
                // PDF 1.1: a /Dests dictionary of name -> destination.
                if let Some(dests) = catalog
                    .get(b"Dests")
                    .ok()
                    .and_then(|o| deref(doc, o))
                    .and_then(|o| o.as_dict().ok())
                {
                    for (k, v) in dests.iter() {
                        names.insert(k.clone(), v);
                    }
                }
                // PDF 1.2+: the /Names /Dests name tree.
                if let Some(tree) = catalog
                    .get(b"Names")
                    .ok()
                    .and_then(|o| deref(doc, o))
                    .and_then(|o| o.as_dict().ok())
                    .and_then(|n| n.get(b"Dests").ok())
                    .and_then(|o| deref(doc, o))
                    .and_then(|o| o.as_dict().ok())
                {
                    walk_tree(doc, tree, b"Names", &mut |key, value| {
                        if let Some(Ok(key)) = deref(doc, key).map(Object::as_str) {
                            names.insert(key.to_vec(), value);
                        }
                    });
                }
            }
            self.names = Some(names);
        }
        self.names.as_ref()
    }
}
