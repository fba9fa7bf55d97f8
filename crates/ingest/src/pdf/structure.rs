//! Checks a PDF's structure before the text extractor walks it.
//!
//! `pdf-extract` follows a page's `/Parent` chain and draws form XObjects (`Do`) by
//! recursion, with no guard against loops: a page that is its own parent spins forever,
//! and a form that draws itself overflows the stack, which aborts the whole process and
//! cannot be caught. Both are refused here, with bounds on depth and work, so a hostile
//! file costs one error message.

use super::{deref, PdfError};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::{BTreeMap, HashSet};

/// Parents followed at most from a page to the root of the page tree.
const MAX_TREE_DEPTH: usize = 64;
/// Form XObjects nested inside one another at most.
const MAX_FORM_DEPTH: usize = 16;
/// Form drawings visited at most over the whole document (forms that draw several forms
/// that draw several forms grow exponentially; real documents need a few hundred).
const MAX_FORM_VISITS: usize = 20_000;

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
