//! Calibrated noise on size-only answers: the discrete Laplace distribution (the two-sided
//! geometric mechanism of Ghosh, Roughgarden and Sundararajan), `P(k) ∝ exp(-ε·|k|)`.
//!
//! One item more or less in the holder's set changes a true count by at most 1, so adding this
//! noise makes every answer ε-differentially private for each holder item: whatever the
//! querier asks, the odds it gives to "this item is in the set" move by a factor of at most
//! `e^ε` per answer, and by at most `e^(kε)` over k answers. The noisy count is then clamped to
//! `0..=n` (post-processing, which keeps the guarantee).

use rand_core::{OsRng, RngCore};

/// A uniform number in (0, 1].
fn uniform() -> f64 {
    ((OsRng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
}

/// A geometric number of failures before a success of probability `1 - alpha`.
fn geometric(alpha: f64) -> i64 {
    let g = (uniform().ln() / alpha.ln()).floor();
    if g.is_finite() { g.min(i64::MAX as f64 / 2.0) as i64 } else { 0 }
}

/// A draw of discrete Laplace noise with parameter ε (> 0): the difference of two geometric
/// numbers with `alpha = e^-ε`. Its variance is `2α / (1 − α)²`.
pub fn discrete_laplace(epsilon: f64) -> i64 {
    let alpha = (-epsilon).exp();
    if !(alpha > 0.0 && alpha < 1.0) {
        return 0;
    }
    geometric(alpha) - geometric(alpha)
}

/// A count of at most `n` with noise of parameter ε added, clamped to `0..=n`.
pub fn noisy_count(count: u64, n: u64, epsilon: f64) -> u64 {
    let noisy = (count as i64).saturating_add(discrete_laplace(epsilon));
    noisy.clamp(0, n as i64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_has_the_stated_spread_and_counts_stay_in_range() {
        for eps in [0.25, 1.0, 3.0] {
            let draws: Vec<i64> = (0..40_000).map(|_| discrete_laplace(eps)).collect();
            let mean = draws.iter().sum::<i64>() as f64 / draws.len() as f64;
            let var = draws.iter().map(|d| (*d as f64 - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            let alpha = (-eps).exp();
            let expected = 2.0 * alpha / (1.0 - alpha).powi(2);
            assert!(mean.abs() < 0.1 + expected.sqrt() * 0.05, "ε {eps}: mean {mean}");
            assert!((var / expected - 1.0).abs() < 0.1, "ε {eps}: variance {var}, expected {expected}");
        }
        for _ in 0..1000 {
            assert!(noisy_count(3, 5, 0.1) <= 5);
        }
    }
}
