//! `mcdewey index`.

use crate::{ModelArgs, Paths};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use mcdewey_index::{update_library, Embedding, Progress, Store, UpdateSummary};
use mcdewey_ingest::IngestOptions;

pub fn run(
    paths: &Paths,
    opts: IngestOptions,
    model: Option<&ModelArgs>,
    workers: Option<usize>,
    json: bool,
) -> Result<()> {
    let chunk_chars = opts.chunk.target_chars;
    if !(200..=20_000).contains(&chunk_chars) {
        anyhow::bail!("--chunk-chars: {chunk_chars} is out of range 200..=20000");
    }
    let embedder = model.map(ModelArgs::load).transpose()?;
    let embedding = embedder.as_deref().zip(model).map(|(m, args)| {
        let mut e = args.embedding(m);
        if let Some(w) = workers {
            e.workers = w.clamp(1, 64);
        }
        e
    });
    let summary = index_library(paths, &opts, embedding)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary_json(&summary))?);
    } else {
        print_summary(paths, &summary);
    }
    Ok(())
}

/// Updates the index (the data folder, or the PostgreSQL database of `--store`) from
/// `paths.library`, with a progress bar on a terminal.
pub fn index_library(
    paths: &Paths,
    opts: &IngestOptions,
    embedding: Option<Embedding>,
) -> Result<UpdateSummary> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} indexing [{bar:30}] {pos}/{len} files  {wide_msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut progress = |p| match p {
        Progress::Discovered { total } => bar.set_length(total as u64),
        Progress::File { done, path, .. } => {
            bar.set_position(done as u64);
            bar.set_message(path);
        }
        Progress::Embedding { done, total } => {
            if done == 0 {
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} embedding [{bar:30}] {pos}/{len} chunks  {eta} left",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_length(total as u64);
            }
            bar.set_position(done as u64);
        }
        Progress::Committing => bar.set_message("committing"),
    };
    let summary = match paths.postgres()? {
        Some(url) => {
            let mut store = mcdewey_pg::PgStore::connect(url)?;
            mcdewey_pg::update_library(&mut store, &paths.library, opts, embedding, &mut progress)
        }
        None => {
            std::fs::create_dir_all(&paths.data)
                .map_err(|e| anyhow::anyhow!("data folder {}: {e}", paths.data.display()))?;
            let store = Store::open_or_create(&paths.data)?;
            update_library(&store, &paths.library, opts, embedding, &mut progress)
        }
    };
    bar.finish_and_clear();
    Ok(summary?)
}

fn summary_json(s: &UpdateSummary) -> serde_json::Value {
    serde_json::json!({
        "documents": s.documents,
        "chunks": s.chunks,
        "added": s.added,
        "changed": s.changed,
        "unchanged": s.unchanged,
        "removed": s.removed,
        "rebuilt": s.rebuilt,
        "embedded": s.embedded,
        "vectors": s.vectors,
        "skipped": s.skipped.iter().map(|k| serde_json::json!({"path": k.path, "reason": k.reason})).collect::<Vec<_>>(),
        "warnings": s.warnings,
    })
}

fn print_summary(paths: &Paths, s: &UpdateSummary) {
    println!(
        "Indexed {} into {}: {} documents, {} chunks.",
        paths.library.display(),
        paths.store_name(),
        s.documents,
        s.chunks
    );
    println!(
        "  {} added, {} changed, {} unchanged, {} removed{}",
        s.added.len(),
        s.changed.len(),
        s.unchanged,
        s.removed.len(),
        if s.rebuilt {
            " (settings changed: full rebuild)"
        } else {
            ""
        }
    );
    if s.vectors > 0 {
        println!(
            "  {} chunks with vectors, {} embedded now",
            s.vectors, s.embedded
        );
    } else {
        println!("  keyword-only index (no embedding model)");
    }
    if !s.skipped.is_empty() {
        println!("  {} skipped:", s.skipped.len());
        for k in &s.skipped {
            println!("    {}: {}", k.path, k.reason);
        }
    }
    for w in &s.warnings {
        println!("  warning: {w}");
    }
}
