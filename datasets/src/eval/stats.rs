//! Paired comparisons over seeds: the two-sided Wilcoxon signed-rank test.
//!
//! [`wilcoxon_signed_rank`] takes paired samples (one value per seed for each of two methods)
//! and returns the statistic `T = min(W⁺, W⁻)` and the two-sided p-value. Zero differences are
//! dropped (Wilcoxon's convention, SciPy's default `zero_method="wilcox"`); tied |d| share their
//! average rank. With n ≤ [`EXACT_MAX_N`] non-zero differences and no ties the p-value is exact
//! (the null distribution of W⁺ counted over all 2ⁿ sign patterns); otherwise it is the normal
//! approximation with the tie correction of the variance and no continuity correction (SciPy's
//! default `correction=False`). Tested against SciPy 1.17's `scipy.stats.wilcoxon`
//! (`bench/python/wilcoxon_reference.py`).

use crate::error::{DataError, Result};

/// Largest n for which the p-value is computed exactly.
pub const EXACT_MAX_N: usize = 25;

/// The test's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wilcoxon {
    /// Pairs with a non-zero difference (the n of the test).
    pub n: usize,
    /// `min(W⁺, W⁻)`, W⁺ the rank sum of the positive differences `x − y`.
    pub statistic: f64,
    /// W⁺ − W⁻ > 0: `x` tends to be the larger.
    pub w_plus: f64,
    pub p_value: f64,
    /// Whether `p_value` is exact (else the normal approximation).
    pub exact: bool,
}

/// A verdict at level `alpha` for "x is better than y" when larger is better: `better` when the
/// test rejects equality and `x` has the larger rank sum, `worse` when it rejects and `y` has,
/// `tie` otherwise.
pub fn verdict(w: &Wilcoxon, alpha: f64, larger_is_better: bool) -> &'static str {
    if w.n == 0 || w.p_value >= alpha {
        return "tie";
    }
    let x_larger = w.w_plus > (w.n * (w.n + 1)) as f64 / 4.0;
    if x_larger == larger_is_better {
        "better"
    } else {
        "worse"
    }
}

/// The two-sided Wilcoxon signed-rank test of the pairs `(x_i, y_i)` (see the module docs).
pub fn wilcoxon_signed_rank(x: &[f64], y: &[f64]) -> Result<Wilcoxon> {
    if x.len() != y.len() {
        return Err(DataError::Param {
            name: "samples",
            msg: format!(
                "paired samples need equal lengths, got {} and {}",
                x.len(),
                y.len()
            ),
        });
    }
    if let Some(v) = x.iter().chain(y).find(|v| !v.is_finite()) {
        return Err(DataError::Param {
            name: "samples",
            msg: format!("paired samples must be finite, got {v}"),
        });
    }
    let d: Vec<f64> = x
        .iter()
        .zip(y)
        .map(|(a, b)| a - b)
        .filter(|d| *d != 0.0)
        .collect();
    let n = d.len();
    if n == 0 {
        return Ok(Wilcoxon {
            n,
            statistic: 0.0,
            w_plus: 0.0,
            p_value: 1.0,
            exact: true,
        });
    }
    // Average ranks of |d| (1-based), and the tie groups' sizes.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| d[a].abs().total_cmp(&d[b].abs()));
    let mut rank = vec![0.0f64; n];
    let mut ties: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && d[order[j + 1]].abs() == d[order[i]].abs() {
            j += 1;
        }
        let avg = (i + j + 2) as f64 / 2.0;
        for &k in &order[i..=j] {
            rank[k] = avg;
        }
        if j > i {
            ties.push(j - i + 1);
        }
        i = j + 1;
    }
    // (Starting from +0: an empty f64 sum is −0.)
    let w_plus: f64 = 0.0 + (0..n).filter(|&k| d[k] > 0.0).map(|k| rank[k]).sum::<f64>();
    let total = (n * (n + 1)) as f64 / 2.0;
    let statistic = w_plus.min(total - w_plus);
    let (p_value, exact) = if n <= EXACT_MAX_N && ties.is_empty() {
        (exact_two_sided(n, statistic as usize), true)
    } else {
        let mean = total / 2.0;
        let tie_term: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum::<f64>() / 48.0;
        let var = (n * (n + 1) * (2 * n + 1)) as f64 / 24.0 - tie_term;
        let z = (statistic - mean) / var.sqrt();
        ((2.0 * normal_cdf(z)).min(1.0), false)
    };
    Ok(Wilcoxon {
        n,
        statistic,
        w_plus,
        p_value,
        exact,
    })
}

/// `2·P(W ≤ t)` under the null for n pairs (W's distribution is symmetric), at most 1: the
/// number of subsets of {1..n} with each sum, by dynamic programming, over 2ⁿ.
fn exact_two_sided(n: usize, t: usize) -> f64 {
    let max = n * (n + 1) / 2;
    let mut count = vec![0.0f64; max + 1];
    count[0] = 1.0;
    for r in 1..=n {
        for s in (r..=max).rev() {
            count[s] += count[s - r];
        }
    }
    let below: f64 = count[..=t.min(max)].iter().sum();
    (2.0 * below / 2f64.powi(n as i32)).min(1.0)
}

/// Φ(z), the standard normal distribution function (erfc by a Chebyshev-fitted rational
/// approximation, relative error < 1.2e-7 — Numerical Recipes' `erfcc`, written out here).
fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.26551223
        + t * (1.00002368
            + t * (0.37409196
                + t * (0.09678418
                    + t * (-0.18628806
                        + t * (0.27886807
                            + t * (-1.13520398
                                + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (x, y, SciPy's statistic, SciPy's p-value), printed by
    /// `bench/python/wilcoxon_reference.py` (SciPy 1.17.1).
    #[rustfmt::skip]
    const SCIPY: [(&[f64], &[f64], f64, f64); 5] = [
        // exact_10: method=auto
        (&[0.8, 0.8298962809994662, 0.7818527268275924, 0.8125044170145306, 0.8416379672426485, 0.79360912720085, 0.8250086914166342, 0.8533724049342881, 0.8053729889925549, 0.8375126806342045], &[0.8300000000000001, 0.8080249648587376, 0.7742933373989316, 0.7782220308739959, 0.8140555001390114, 0.8292976287718408, 0.8016186626168795, 0.7715683519360667, 0.7831704722771832, 0.8194278901596164], 16.0, 0.275390625),
        // exact_all_above: method=auto
        (&[0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5], &[0.0, 0.9, 1.8, 2.7, 3.6, 4.5, 5.4, 6.3, 7.2, 8.1, 9.0, 9.9], 0.0, 0.00048828125),
        // exact_25: method=auto
        (&[0.1, 1.0916648104524687, -0.15554110202683122, -0.8258146823277325, 0.5941133511386082, 0.8984871126234902, -0.5998746875935423, -0.5181371122370333, 0.9591618148564958, 0.4967405731306137, -0.8613974918795568, -0.04899902581419879, 1.0997929001426692, -0.008636595424076215, -0.8717984457438633, 0.4590583540221683, 0.9792730616507243, -0.4856373399742976, -0.6283607678315959, 0.8733278895662206, 0.6290826861200238, -0.8096666718335253, -0.1946716015002576, 1.085600298790633, 0.14069325734986488], &[0.8, 0.4972879746165315, -0.1817616757544697, -0.723257713613649, -0.7174067330673176, -0.16863663954462377, 0.5077543007541078, 0.7998869091067321, 0.48668105162580366, -0.1948353229886329, -0.7289042095077416, -0.7113529221002888, -0.15546392516426785, 0.5180770709231018, 0.7995476684008038, 0.47593653064791364, -0.20785388497100468, -0.7343446243314347, -0.7050979922897878, -0.14224725689849252, 0.5282533665952641, 0.7989823737948012, 0.46505744945154853, -0.22081368099957366, -0.7395774199312974], 136.0, 0.49078595638275146),
        // ties_and_zero: method=approx
        (&[3.0, 5.0, 2.0, 7.0, 4.0, 6.0, 5.0, 8.0, 1.0, 9.0, 4.0], &[2.0, 3.0, 2.0, 8.0, 3.0, 4.0, 4.0, 6.0, 3.0, 7.0, 5.0], 14.0, 0.15758381960853451),
        // approx_30: method=approx
        (&[0.0, 0.773230863929924, 1.4485758232562902, 1.9413973713600954, 2.19176168907528, 2.1725504059505996, 1.8931309444721736, 1.3980886833745523, 0.7611925357884659, 0.07541067291419368, -0.5596722818169868, -1.0513335643516353, -1.3262618611466328, -1.3404796515383253, -1.0852953588564693, -0.588479714552524, 0.08949288002391476, 0.8636292801495404, 1.6359210211447692, 2.3086093042896296, 2.797416191623254, 3.042951229481201, 3.0187496677857286, 2.7348543398170566, 2.236456411841954, 1.5977789707608672, 0.9120312774922056, 0.27879333077141744, -0.20946181852693413, -0.4798838610143743], &[1.5, 1.2942106057721414, 0.7333081227907913, -0.028803739352538972, -0.783012262732061, -1.3223732938174293, -1.4988937927990813, -1.2641390309380403, -0.6825223952149571, 0.08636873418577037, 0.8315615042687423, 1.3485855567161518, 1.4955768027888205, 1.2322029231719571, 0.6307299860546234, -0.14380634006474674, -0.8788842400400505, -1.3728087328763487, -1.4900539223401972, -1.1984493864104002, -0.578007286157742, 0.2010318397985012, 0.9249106717112172, 1.3950070944954909, 1.4823332973867072, 1.162928205193932, 0.5244320584980215, -0.25796082904052237, -0.9695729129220462, -1.4151479002569474], 118.0, 0.018518974697467713),
    ];

    #[test]
    fn matches_scipy() {
        for (i, (x, y, stat, p)) in SCIPY.iter().enumerate() {
            let w = wilcoxon_signed_rank(x, y).unwrap();
            assert_eq!(w.statistic, *stat, "case {i}");
            let tol = if w.exact { 1e-12 } else { 1e-6 };
            assert!(
                (w.p_value - p).abs() <= tol * p.max(1e-3),
                "case {i}: p {} vs SciPy {p}",
                w.p_value
            );
        }
        // The cases cover both routes.
        let exact: Vec<bool> = SCIPY
            .iter()
            .map(|(x, y, ..)| wilcoxon_signed_rank(x, y).unwrap().exact)
            .collect();
        assert_eq!(exact, [true, true, true, false, false]);
    }

    #[test]
    fn exact_distribution_properties() {
        // n = 5: the 32 sign patterns; P(W ≤ 0) = 1/32, two-sided 1/16.
        assert_eq!(exact_two_sided(5, 0), 1.0 / 16.0);
        // The whole range sums to 1 (two-sided capped).
        assert_eq!(exact_two_sided(5, 15), 1.0);
        // Swapping the samples keeps T and p, and flips the verdict.
        let x = [0.9, 0.8, 0.85, 0.95, 0.9, 0.88, 0.91, 0.87];
        let y = [0.7, 0.75, 0.8, 0.9, 0.6, 0.86, 0.8, 0.85];
        let a = wilcoxon_signed_rank(&x, &y).unwrap();
        let b = wilcoxon_signed_rank(&y, &x).unwrap();
        assert_eq!((a.statistic, a.p_value), (b.statistic, b.p_value));
        assert_eq!(verdict(&a, 0.05, true), "better");
        assert_eq!(verdict(&b, 0.05, true), "worse");
        assert_eq!(verdict(&a, 0.05, false), "worse");
        assert_eq!(verdict(&a, 0.001, true), "tie");
        // Identical samples: nothing to test.
        let same = wilcoxon_signed_rank(&x, &x).unwrap();
        assert_eq!((same.n, same.p_value), (0, 1.0));
        assert!(wilcoxon_signed_rank(&x, &y[..3]).is_err());
        assert!(wilcoxon_signed_rank(&[f64::NAN], &[1.0]).is_err());
    }
}
