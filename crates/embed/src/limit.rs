//! The machine's matrix-multiply rate: the ceiling the model's throughput is measured
//! against.

use crate::bert::runtime;
use crate::EmbedError;
use candle_core::{DType, Device, Tensor};
use std::time::Instant;

/// Measures f32 matrix multiplication of an `m`×`k` by a `k`×`n` matrix on the CPU with
/// the kernels the model uses, on `threads` threads at once (as the indexer's workers
/// run), each repeating it for at least `seconds` (after one warm-up, at most 10,000
/// times); returns billions of floating-point operations a second, all threads
/// together (a multiply-add is two).
pub fn matmul_gflops(
    m: usize,
    k: usize,
    n: usize,
    threads: usize,
    seconds: f64,
) -> Result<f64, EmbedError> {
    let one = || -> Result<f64, EmbedError> {
        let a = (Tensor::ones((m, k), DType::F32, &Device::Cpu).map_err(runtime)? * 0.01)
            .map_err(runtime)?;
        let b = (Tensor::ones((k, n), DType::F32, &Device::Cpu).map_err(runtime)? * 0.02)
            .map_err(runtime)?;
        a.matmul(&b).map_err(runtime)?;
        let start = Instant::now();
        let mut runs = 0u32;
        while runs < 10_000 && (runs == 0 || start.elapsed().as_secs_f64() < seconds) {
            a.matmul(&b).map_err(runtime)?;
            runs += 1;
        }
        let flops = 2.0 * (m * k * n) as f64 * f64::from(runs);
        Ok(flops / start.elapsed().as_secs_f64() / 1e9)
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1)).map(|_| scope.spawn(one)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(runtime("matmul thread panicked")))
            })
            .sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_product_reports_a_positive_rate() {
        let rate = matmul_gflops(64, 32, 48, 2, 0.01).unwrap();
        assert!(rate.is_finite() && rate > 0.0, "{rate}");
    }
}
