//! Writes small real PDFs with lopdf: pages of Helvetica lines, optional page labels and
//! an outline. Tests build their fixtures with it and the fuzzer its seeds.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, ObjectId, Stream, StringFormat};

/// One page: lines top to bottom as (font size, text); an empty text is a paragraph gap.
pub struct TestPage {
    /// The lines, top to bottom.
    pub lines: Vec<(f64, String)>,
}

impl TestPage {
    /// Body lines at 11 pt.
    pub fn lines(lines: &[&str]) -> TestPage {
        TestPage {
            lines: lines.iter().map(|l| (11.0, l.to_string())).collect(),
        }
    }

    /// Lines with their own sizes.
    pub fn sized(lines: &[(f64, &str)]) -> TestPage {
        TestPage {
            lines: lines.iter().map(|(s, l)| (*s, l.to_string())).collect(),
        }
    }
}

fn content(page: &TestPage) -> Vec<u8> {
    let mut ops = vec![Operation::new("BT", vec![])];
    let mut y = 800.0;
    for (size, text) in &page.lines {
        if text.is_empty() {
            y -= size * 1.2;
            continue;
        }
        y -= size * 1.3;
        ops.push(Operation::new("Tf", vec!["F1".into(), (*size).into()]));
        // Absolute position for every line: a text matrix, then the string.
        ops.push(Operation::new(
            "Tm",
            vec![
                1.into(),
                0.into(),
                0.into(),
                1.into(),
                72.into(),
                Object::Real(y as f32),
            ],
        ));
        ops.push(Operation::new(
            "Tj",
            vec![Object::String(
                text.as_bytes().to_vec(),
                StringFormat::Literal,
            )],
        ));
    }
    ops.push(Operation::new("ET", vec![]));
    Content { operations: ops }
        .encode()
        .expect("content encodes")
}

/// Builds a PDF. `labels`: `(first page 0-based, style, prefix)` ranges; `outline`:
/// `(level, title, physical page 1-based)` in document order.
pub fn build_pdf(
    pages: &[TestPage],
    labels: Option<&[(i64, &str, &str)]>,
    outline: &[(u8, &str, u32)],
) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut kids = Vec::new();
    let mut page_ids: Vec<ObjectId> = Vec::new();
    for page in pages {
        let stream = doc.add_object(Stream::new(dictionary! {}, content(page)));
        let id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => stream,
        });
        kids.push(Object::Reference(id));
        page_ids.push(id);
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => i64::try_from(pages.len()).unwrap(),
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if let Some(ranges) = labels {
        let mut nums = Vec::new();
        for (start, style, prefix) in ranges {
            let mut d = dictionary! { "S" => Object::Name(style.as_bytes().to_vec()) };
            if !prefix.is_empty() {
                d.set("P", Object::string_literal(*prefix));
            }
            nums.push(Object::Integer(*start));
            nums.push(Object::Dictionary(d));
        }
        catalog.set("PageLabels", dictionary! { "Nums" => nums });
    }
    if !outline.is_empty() {
        let root = add_outline(&mut doc, outline, &page_ids);
        catalog.set("Outlines", root);
    }
    let catalog_id = doc.add_object(catalog);
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("pdf saves");
    out
}

/// Writes outline items as a tree by level; returns the outline root.
fn add_outline(doc: &mut Document, items: &[(u8, &str, u32)], pages: &[ObjectId]) -> ObjectId {
    let root = doc.new_object_id();
    let ids: Vec<ObjectId> = items.iter().map(|_| doc.new_object_id()).collect();
    // Parent of each item: the nearest earlier item with a lower level, else the root.
    let parent: Vec<Option<usize>> = (0..items.len())
        .map(|i| (0..i).rev().find(|&j| items[j].0 < items[i].0))
        .collect();
    let children =
        |p: Option<usize>| -> Vec<usize> { (0..items.len()).filter(|&i| parent[i] == p).collect() };
    for (i, (_, title, page)) in items.iter().enumerate() {
        let siblings = children(parent[i]);
        let pos = siblings.iter().position(|&s| s == i).unwrap();
        let mut d = dictionary! {
            "Title" => Object::string_literal(*title),
            "Parent" => parent[i].map(|p| ids[p]).unwrap_or(root),
            "Dest" => vec![Object::Reference(pages[*page as usize - 1]), "XYZ".into(), 0.into(), 800.into(), Object::Null],
        };
        if pos + 1 < siblings.len() {
            d.set("Next", ids[siblings[pos + 1]]);
        }
        if pos > 0 {
            d.set("Prev", ids[siblings[pos - 1]]);
        }
        let kids = children(Some(i));
        if let (Some(first), Some(last)) = (kids.first(), kids.last()) {
            d.set("First", ids[*first]);
            d.set("Last", ids[*last]);
            d.set("Count", i64::try_from(kids.len()).unwrap());
        }
        doc.objects.insert(ids[i], Object::Dictionary(d));
    }
    let top = children(None);
    doc.objects.insert(
        root,
        Object::Dictionary(dictionary! {
            "Type" => "Outlines",
            "First" => ids[top[0]],
            "Last" => ids[*top.last().unwrap()],
            "Count" => i64::try_from(top.len()).unwrap(),
        }),
    );
    root
}
