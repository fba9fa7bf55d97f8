//! `mcdewey search`, `show` and `library`.

use crate::render;
use crate::{FilterArgs, Paths};
use anyhow::Result;
use mcdewey_index::Store;
use mcdewey_search::{Engine, SearchRequest};

/// Opens the engine over `paths.data`.
pub fn open_engine(paths: &Paths) -> Result<Engine> {
    Ok(Engine::new(Store::open(&paths.data)?))
}

pub fn search(
    paths: &Paths,
    query: String,
    filters: FilterArgs,
    limit: usize,
    json: bool,
) -> Result<()> {
    let engine = open_engine(paths)?;
    let response = engine.search(&SearchRequest {
        query,
        product: filters.product,
        version: filters.version,
        doc_set: filters.doc_set,
        limit: Some(limit),
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&response)?);
    } else {
        print!("{}", render::results(&response));
    }
    Ok(())
}

pub fn show(paths: &Paths, chunk_id: &str, json: bool) -> Result<()> {
    let engine = open_engine(paths)?;
    let chunk = engine.chunk(chunk_id)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&mcdewey_search::SearchResult::new(1, chunk, 0.0))?
        );
    } else {
        print!("{}", render::chunk(&chunk));
    }
    Ok(())
}

pub fn library(paths: &Paths, json: bool) -> Result<()> {
    let engine = open_engine(paths)?;
    let tree = engine.library()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&tree)?);
    } else {
        print!("{}", render::library(&tree));
    }
    Ok(())
}
