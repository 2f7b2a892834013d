//! `psi-noise [ε ...]`: the accuracy and privacy of noisy size-only answers, measured with the
//! node's own sampler. For each ε: how far an honest count lands from the truth, and how many
//! queries an adversary needs to tell whether one item is in the holder's set with 95%
//! accuracy (it repeats a query with the item and junk, answers away from the 0 clamp, and
//! takes the majority of "answer ≥ base + 1", which is the likelihood-ratio test for this
//! noise). Without noise one query suffices. Prints a Markdown table.

use pacto_psi::noise::discrete_laplace;

const TRIALS: usize = 4000;

/// The measured accuracy of the majority vote over k noisy answers.
fn accuracy(eps: f64, k: usize) -> f64 {
    let mut right = 0usize;
    for t in 0..TRIALS {
        let member = t % 2 == 1;
        let truth = i64::from(member);
        let above = (0..k).filter(|_| truth + discrete_laplace(eps) >= 1).count();
        let guess = if 2 * above == k { t % 4 < 2 } else { 2 * above > k };
        right += usize::from(guess == member);
    }
    right as f64 / TRIALS as f64
}

fn main() {
    let eps: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let eps = if eps.is_empty() { vec![0.25, 0.5, 1.0, 2.0] } else { eps };
    println!(
        "| ε | P(count exact) | mean abs. error | P(error ≤ 2) | queries to classify one item at 95% | lower bound ln(19)/ε |"
    );
    println!("|---|---|---|---|---|---|");
    for e in eps {
        let draws: Vec<i64> = (0..100_000).map(|_| discrete_laplace(e)).collect();
        let exact = draws.iter().filter(|d| **d == 0).count() as f64 / draws.len() as f64;
        let mean_abs = draws.iter().map(|d| d.abs() as f64).sum::<f64>() / draws.len() as f64;
        let within2 = draws.iter().filter(|d| d.abs() <= 2).count() as f64 / draws.len() as f64;
        // Smallest k with 95% accuracy: double, then bisect (odd k only: no ties).
        let mut hi = 1;
        while accuracy(e, hi) < 0.95 {
            hi = hi * 2 + 1;
        }
        let mut lo = hi / 2;
        while lo + 2 <= hi {
            let mid = ((lo + hi) / 2) | 1;
            if mid >= hi {
                break;
            }
            if accuracy(e, mid) >= 0.95 { hi = mid } else { lo = mid }
        }
        println!("| {e} | {exact:.2} | {mean_abs:.2} | {within2:.2} | {hi} | {} |", (19f64.ln() / e).ceil());
    }
}
