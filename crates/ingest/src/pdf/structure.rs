//! Checks a PDF's structure before the text extractor walks it.
//!
//! `pdf-extract` follows a page's `/Parent` chain and draws form XObjects (`Do`) by
//! recursion, with no guard against loops: a page that is its own parent spins forever,
//! and a form that draws itself overflows the stack, which aborts the whole process and
//! cannot be caught. Both are refused here, with bounds on depth and work, so a hostile
//! file costs one error message.

use super::{deref, PdfError};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;

/// Parents followed at most from a page to the root of the page tree.
const MAX_TREE_DEPTH: usize = 64;
/// Form XObjects nested inside one another at most.
const MAX_FORM_DEPTH: usize = 16;
/// Form drawings visited at most over the whole document (forms that draw several forms
/// that draw several forms grow exponentially; real documents need a few hundred).
const MAX_FORM_VISITS: usize = 20_000;

/// Bytes one page's content streams may expand to. The extractor inflates a page's
/// content whole into memory; real pages stay far below this (the densest page of the
/// manuals measured, a full page of a table, is under 100 KiB), so a page past it is
/// a decompression bomb that would exhaust memory, and is left out with a warning.
pub const MAX_PAGE_CONTENT: u64 = 64 << 20;

/// Pages whose content streams expand past `limit` bytes, measured by inflating into
/// nothing with a cap, so that measuring costs no memory.
pub fn oversized_pages(
    doc: &Document,
    pages: &BTreeMap<u32, ObjectId>,
    limit: u64,
) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    for (&number, &id) in pages {
        let mut total = 0u64;
        for content in doc.get_page_contents(id) {
            let Ok(stream) = doc.get_object(content).and_then(Object::as_stream) else {
                continue;
            };
            total += expanded_len(stream, limit + 1 - total);
            if total > limit {
                out.insert(number);
                break;
            }
        }
    }
    out
}

/// The length of a stream once its first filter is undone, counted up to `cap`. Only
/// Flate expands without bound; other streams count as stored.
fn expanded_len(stream: &Stream, cap: u64) -> u64 {
    let flate = stream
        .filters()
        .is_ok_and(|f| f.first().is_some_and(|f| *f == b"FlateDecode"));
    if !flate {
        return stream.content.len() as u64;
    }
    let mut inflate = flate2::read::ZlibDecoder::new(stream.content.as_slice()).take(cap);
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0u64;
    // A damaged stream counts as far as it inflates; the extractor reports it later.
    while let Ok(n) = inflate.read(&mut buf) {
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    total
}

/// Refuses page trees with loops and form XObjects that draw themselves. Pages in
/// `skip` (left out by the caller) are not drawn.
pub fn check_structure(
    doc: &Document,
    pages: &BTreeMap<u32, ObjectId>,
    skip: &BTreeSet<u32>,
) -> Result<(), PdfError> {
    let mut visits = 0usize;
    for (&number, &id) in pages.iter().filter(|(n, _)| !skip.contains(n)) {
        check_parents(doc, id).map_err(|why| {
            PdfError::Unreadable(format!("the page tree is damaged at page {number}: {why}"))
        })?;
        let Some(resources) = page_resources(doc, id) else {
            continue;
        };
        if xobjects(doc, resources).is_none() {
            continue; // nothing drawn by name: no form to recurse into
        }
        let content = doc.get_page_content(id).unwrap_or_default();
        let mut stack = Vec::new();
        check_forms(doc, &content, resources, &mut stack, &mut visits)
            .map_err(|why| PdfError::Unreadable(format!("page {number}: {why}")))?;
    }
    Ok(())
}

fn check_parents(doc: &Document, page: ObjectId) -> Result<(), String> {
    let mut seen = HashSet::from([page]);
    let mut node = doc.get_dictionary(page).map_err(|e| e.to_string())?;
    for _ in 0..MAX_TREE_DEPTH {
        let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) else {
            return Ok(());
        };
        if !seen.insert(parent) {
            return Err("a page's parent chain loops".into());
        }
        match doc.get_dictionary(parent) {
            Ok(d) => node = d,
            Err(_) => return Ok(()), // a dangling parent ends the chain; the extractor copes
        }
    }
    Err(format!(
        "the page tree is more than {MAX_TREE_DEPTH} levels deep"
    ))
}

/// The resources a page's content is drawn with (its own or inherited), as the
/// extractor finds them.
fn page_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..MAX_TREE_DEPTH {
        if let Some(Ok(r)) = node
            .get(b"Resources")
            .ok()
            .and_then(|o| deref(doc, o))
            .map(Object::as_dict)
        {
            return Some(r);
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn xobjects<'a>(doc: &'a Document, resources: &'a Dictionary) -> Option<&'a Dictionary> {
    resources
        .get(b"XObject")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_dict().ok())
}

/// Follows every `Do` of a content stream into the forms it draws.
fn check_forms(
    doc: &Document,
    content: &[u8],
    resources: &Dictionary,
    stack: &mut Vec<ObjectId>,
    visits: &mut usize,
) -> Result<(), String> {
    let Some(names) = xobjects(doc, resources) else {
        return Ok(());
    };
    // A content stream that does not decode is the extractor's to report.
    let Ok(ops) = Content::decode(content) else {
        return Ok(());
    };
    for op in ops.operations.iter().filter(|op| op.operator == "Do") {
        let Some(Ok(name)) = op.operands.first().map(Object::as_name) else {
            continue;
        };
        let Ok(Ok(id)) = names.get(name).map(Object::as_reference) else {
            continue;
        };
        let Ok(Object::Stream(form)) = doc.get_object(id) else {
            continue;
        };
        if form.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            continue;
        }
        if stack.contains(&id) {
            return Err(format!(
                "form XObject {} {} draws itself (a loop of {} forms)",
                id.0,
                id.1,
                stack.len() - stack.iter().position(|s| *s == id).unwrap_or(0)
            ));
        }
        if stack.len() >= MAX_FORM_DEPTH {
            return Err(format!(
                "form XObjects nested more than {MAX_FORM_DEPTH} deep"
            ));
        }
        *visits += 1;
        if *visits > MAX_FORM_VISITS {
            return Err(format!("more than {MAX_FORM_VISITS} nested form drawings"));
        }
        let inner = form
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok())
            .unwrap_or(resources);
        let data = form
            .decompressed_content()
            .unwrap_or_else(|_| form.content.clone());
        stack.push(id);
        check_forms(doc, &data, inner, stack, visits)?;
        stack.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::writer::{build_pdf, TestPage};
    use lopdf::{dictionary, Stream};

    fn pages_of(doc: &Document) -> BTreeMap<u32, ObjectId> {
        doc.get_pages()
    }

    #[test]
    fn a_page_that_is_its_own_parent_is_refused() {
        let bytes = build_pdf(&[TestPage::lines(&["Text."])], None, &[]);
        let mut doc = Document::load_mem(&bytes).unwrap();
        let pages = pages_of(&doc);
        let page = pages[&1];
        doc.get_dictionary_mut(page).unwrap().set("Parent", page);
        let err = check_structure(&doc, &pages, &BTreeSet::new()).unwrap_err();
        assert!(err.to_string().contains("parent chain loops"), "{err}");
    }

    #[test]
    fn a_form_that_draws_itself_is_refused() {
        let bytes = build_pdf(&[TestPage::lines(&["Text."])], None, &[]);
        let mut doc = Document::load_mem(&bytes).unwrap();
        let pages = pages_of(&doc);
        let form_id = doc.new_object_id();
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "Resources" => dictionary! { "XObject" => dictionary! { "Fm1" => form_id } },
            },
            b"/Fm1 Do".to_vec(),
        );
        doc.objects.insert(form_id, Object::Stream(form));
        let page = pages[&1];
        let content_id = doc.add_object(Stream::new(dictionary! {}, b"/Fm1 Do".to_vec()));
        let page_dict = doc.get_dictionary_mut(page).unwrap();
        page_dict.set("Contents", content_id);
        page_dict.set(
            "Resources",
            dictionary! { "XObject" => dictionary! { "Fm1" => form_id } },
        );
        let err = check_structure(&doc, &pages, &BTreeSet::new()).unwrap_err();
        assert!(err.to_string().contains("draws itself"), "{err}");
        // And through the reader: a clear error, not a stack overflow.
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        let err = super::super::read_pdf(&out, std::time::Duration::from_secs(10)).unwrap_err();
        assert!(err.to_string().contains("draws itself"), "{err}");
    }
}
