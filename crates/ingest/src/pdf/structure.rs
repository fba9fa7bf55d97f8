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
use std::collections::{BTreeMap, HashSet};
use std::io::Read;

/// Parents followed at most from a page to the root of the page tree.
const MAX_TREE_DEPTH: usize = 64;
/// Form XObjects nested inside one another at most.
const MAX_FORM_DEPTH: usize = 16;
/// Form drawings visited at most over the whole document (forms that draw several forms
/// that draw several forms grow exponentially; real documents need a few hundred).
const MAX_FORM_VISITS: usize = 20_000;

/// Bytes one stream of a PDF may inflate to. The reader inflates streams whole into
/// memory (object streams when the file loads, a page's content when it is read); real
/// streams stay far below this (the densest page of the manuals measured is under
/// 100 KiB of content), so a stream past it is a decompression bomb that would exhaust
/// memory: it is emptied as the file loads, and reported.
pub const MAX_STREAM_BYTES: u64 = 64 << 20;

thread_local! {
    /// Streams [`bound_stream`] emptied on this thread since the last [`load_bounded`].
    static EMPTIED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Loads a PDF with every Flate stream measured before anything inflates it (inflating
/// into nothing, capped at [`MAX_STREAM_BYTES`]); a stream past the budget is emptied.
/// Returns the document and how many streams were emptied. (lopdf applies the check
/// to unencrypted files; an encrypted one is bounded by its file size alone.)
pub fn load_bounded(bytes: &[u8]) -> lopdf::Result<(Document, usize)> {
    EMPTIED.with(|n| n.set(0));
    let doc =
        Document::load_mem_with_options(bytes, lopdf::LoadOptions::with_filter(bound_stream))?;
    Ok((doc, EMPTIED.with(|n| n.get())))
}

/// lopdf's load filter: keeps every object, emptying a stream that inflates past the
/// budget. Images are not measured: the text reader never inflates them.
fn bound_stream(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        let image = stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Image");
        if !image && expanded_len(stream, MAX_STREAM_BYTES + 1) > MAX_STREAM_BYTES {
            stream.dict.remove(b"Filter");
            stream.dict.remove(b"DecodeParms");
            stream.set_content(Vec::new());
            EMPTIED.with(|n| n.set(n.get() + 1));
        }
    }
    // lopdf keeps the object it passed in (changed in place) for objects read from the
    // file, and the returned one for objects unpacked from object streams, which are
    // never streams: so a stream is not copied, anything else is returned as it is.
    match object {
        Object::Stream(_) => Some((id, Object::Null)),
        other => Some((id, other.clone())),
    }
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

/// Refuses page trees with loops and form XObjects that draw themselves.
pub fn check_structure(doc: &Document, pages: &BTreeMap<u32, ObjectId>) -> Result<(), PdfError> {
    let mut visits = 0usize;
    for (&number, &id) in pages {
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
        let err = check_structure(&doc, &pages).unwrap_err();
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
        let err = check_structure(&doc, &pages).unwrap_err();
        assert!(err.to_string().contains("draws itself"), "{err}");
        // And through the reader: a clear error, not a stack overflow.
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        let err = super::super::read_pdf(&out, std::time::Duration::from_secs(10)).unwrap_err();
        assert!(err.to_string().contains("draws itself"), "{err}");
    }
}
