//! Embedding many passages with several worker threads.

use crate::{EmbedError, Embedder};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Worker threads to use by default: one per core, at most 8.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

/// Embeds `texts` as passages with `workers` threads taking batches of `batch` texts in
/// turn. Texts are batched by length so little padding is computed. `done` is called on
/// the calling thread with the number of texts finished so far. Results are in the order
/// of `texts`; the first error stops the workers and is returned.
pub fn embed_passages_parallel(
    model: &dyn Embedder,
    texts: &[&str],
    workers: usize,
    batch: usize,
    done: &mut dyn FnMut(usize),
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let batch = batch.max(1);
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    let batches: Vec<&[usize]> = order.chunks(batch).collect();
    let workers = workers.clamp(1, batches.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
    let mut first_error = None;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, batches) = (&next, &stop, &batches);
            scope.spawn(move || loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let inputs: Vec<&str> = batches[b].iter().map(|&i| texts[i]).collect();
                let result = model.embed_passages(&inputs);
                let failed = result.is_err();
                if tx.send((b, result)).is_err() || failed {
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
            });
        }
        drop(tx);
        let mut finished = 0;
        for (b, result) in rx {
            match result {
                Ok(vecs) => {
                    for (&i, v) in batches[b].iter().zip(vecs) {
                        out[i] = v;
                    }
                    finished += batches[b].len();
                    done(finished);
                }
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
            }
        }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashEmbedder;

    #[test]
    fn parallel_results_match_sequential_in_input_order() {
        let model = HashEmbedder::new(32);
        let texts: Vec<String> = (0..50)
            .map(|i| "word ".repeat(i % 7 + 1) + &i.to_string())
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut seen = Vec::new();
        let par = embed_passages_parallel(&model, &refs, 3, 4, &mut |n| seen.push(n)).unwrap();
        assert_eq!(par, model.embed_passages(&refs).unwrap());
        assert_eq!(seen.last(), Some(&50));
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
    }

    struct Failing;
    impl Embedder for Failing {
        fn model_id(&self) -> &str {
            "failing"
        }
        fn dim(&self) -> usize {
            1
        }
        fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            if texts.iter().any(|t| t.contains("bad")) {
                Err(EmbedError::Runtime("bad input".into()))
            } else {
                Ok(texts.iter().map(|_| vec![1.0]).collect())
            }
        }
        fn embed_query(&self, _: &str) -> Result<Vec<f32>, EmbedError> {
            Ok(vec![1.0])
        }
    }

    #[test]
    fn an_error_in_one_worker_is_returned() {
        let texts = ["a", "b", "bad", "c", "d", "e"];
        let err = embed_passages_parallel(&Failing, &texts, 2, 1, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("bad input"));
    }
}
