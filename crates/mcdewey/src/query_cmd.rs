//! `mcdewey search`, `show` and `library`.

use crate::render;
use crate::{FilterArgs, ModelArgs, Paths};
use anyhow::Result;
use mcdewey_search::MatchLevel;
use mcdewey_search::{Engine, Mode, SearchRequest};

/// Opens the engine over the store, keyword search only.
pub fn open_engine(paths: &Paths) -> Result<Engine> {
    let mut engine = Engine::new(paths.open_store()?);
    engine.set_product_aliases(paths.product_aliases());
    Ok(engine)
}

/// Opens the engine for a retrieval mode: the model is loaded unless the mode is bm25.
pub fn open_engine_for(paths: &Paths, model: &ModelArgs, mode: Mode) -> Result<Engine> {
    let store = paths.open_store()?;
    let mut engine = match mode {
        Mode::Bm25 => Engine::new(store),
        _ => Engine::with_embedder(store, model.load()?)?,
    };
    engine.set_product_aliases(paths.product_aliases());
    Ok(engine)
}

pub fn search(
    paths: &Paths,
    model: &ModelArgs,
    query: String,
    filters: FilterArgs,
    limit: usize,
    mode: Mode,
    json: bool,
) -> Result<()> {
    let engine = open_engine_for(paths, model, mode)?;
    let response = engine.search(&SearchRequest {
        query,
        product: filters.product,
        version: filters.version,
        doc_set: filters.doc_set,
        limit: Some(limit),
        mode: Some(mode),
        understand: filters.no_understand.then_some(false),
    })?;
    if json {
        emit(&(serde_json::to_string_pretty(&response)? + "\n"))?;
    } else {
        emit(&render::results(&response))?;
    }
    Ok(())
}

pub fn show(paths: &Paths, chunk_id: &str, json: bool) -> Result<()> {
    let engine = open_engine(paths)?;
    let chunk = engine.chunk(chunk_id)?;
    if json {
        // A search result's shape, without what only a search can say.
        let result = mcdewey_search::SearchResult::new(1, chunk, 0.0, MatchLevel::Strong);
        let mut value = serde_json::to_value(result)?;
        if let Some(map) = value.as_object_mut() {
            for key in [
                "match",
                "also_in",
                "differs_in",
                "similarity",
                "term_coverage",
            ] {
                map.remove(key);
            }
        }
        emit(&(serde_json::to_string_pretty(&value)? + "\n"))?;
    } else {
        emit(&render::chunk(&chunk))?;
    }
    Ok(())
}

pub fn library(paths: &Paths, json: bool) -> Result<()> {
    let engine = open_engine(paths)?;
    let tree = engine.library()?;
    if json {
        emit(&(serde_json::to_string_pretty(&tree)? + "\n"))?;
    } else {
        emit(&render::library(&tree))?;
    }
    Ok(())
}

/// `mcdewey compare`: a change summary, one section's diff, or what changed about a
/// query (which loads the model to search).
pub fn compare(
    paths: &Paths,
    model: &ModelArgs,
    req: &mcdewey_search::CompareRequest,
    json: bool,
) -> Result<()> {
    let engine = match req.query {
        Some(_) => open_engine_for(paths, model, Mode::Hybrid)?,
        None => open_engine(paths)?,
    };
    let comparison = engine.compare(req)?;
    let text = if json {
        serde_json::to_string_pretty(&comparison)? + "\n"
    } else {
        comparison.text(usize::MAX, usize::MAX)
    };
    emit(&text)
}

/// Writes a command's output. Output piped into `head` or `less` and closed early ends
/// the command quietly (print! would panic on the broken pipe).
fn emit(text: &str) -> Result<()> {
    match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
