//! Batched plain NMF on any Burn backend: R independent factorisations `Y ≈ H_r W_r` of one Y
//! (m × n), H_r m × k and W_r k × n, advanced together as one tensor program (H: [R, m, k],
//! W: [R, k, n]), so that the replicates of a consensus NMF run as a few large products on a
//! GPU (wgpu) or a CPU backend.
//!
//! The products with Y are one GEMM for all replicates (Y·[W₁ᵀ … W_Rᵀ], m × R·k, and
//! [H₁ … H_R]ᵀ·Y); the Gram matrices and the rest are batched over R. Updates, Frobenius norm:
//! * MU (Lee & Seung): H ← H ∘ YWᵀ / (H·WWᵀ + ε), then W ← W ∘ HᵀY / (HᵀH·W + ε);
//! * HALS (scikit-learn's coordinate descent: entries floored at 0, no rescaling): each column
//!   l of H in turn, H_l ← max(0, H_l + (YWᵀ_l − H·WWᵀ_l)/WWᵀ_ll), then W's rows the same way;
//! * MU for the KL divergence: H ← H ∘ ((Y/V)Wᵀ) / (1Wᵀ), then W the same way from the new H,
//!   V = HW floored at ε; the m × n quotients of a few replicates at a time (at most 2²⁶
//!   floats), so that memory stays that of the factors and Y. Its error is √(2·d_KL).
//!
//! Stop rules, per replicate, checked every `check_every` iterations ([`BatchStop`]):
//! scikit-learn's MU rule (the drop of e = ‖Y − HW‖_F since the last check below `tol`·e₀) or
//! its coordinate-descent rule (the violation Σ|projected gradient| at most `tol` times its
//! value at the start). A replicate that stops keeps its factors from then on
//! (selected, not recomputed), so it ends where it would have ended alone.

use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};

/// The update of [`nmf_batch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchMethod {
    Mu,
    Hals,
    /// MU for the generalised Kullback–Leibler divergence (scikit-learn's β = 1 update).
    MuKl,
}

/// Settings of [`nmf_batch`].
#[derive(Clone, Debug)]
pub struct BatchParams {
    pub method: BatchMethod,
    pub max_iter: usize,
    /// Tolerance of the stop rule (0: never stop before `max_iter`).
    pub tol: f64,
    /// Iterations between two checks of the stop rule.
    pub check_every: usize,
    pub stop: BatchStop,
}

/// The per-replicate stop rule of [`nmf_batch`], checked every `check_every` iterations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchStop {
    /// The drop of ‖Y − HW‖_F since the last check below `tol` times its start value
    /// (scikit-learn's MU rule).
    #[default]
    Error,
    /// The violation Σ|projected gradient| of (H, W) at most `tol` times its value at the start
    /// (scikit-learn's coordinate-descent rule, evaluated at the check's iterate rather than
    /// summed along a sweep).
    Violation,
}

impl Default for BatchParams {
    fn default() -> Self {
        Self {
            method: BatchMethod::Hals,
            max_iter: 1000,
            tol: 1e-4,
            check_every: 10,
            stop: BatchStop::Violation,
        }
    }
}

/// The fits of [`nmf_batch`].
pub struct BatchFit<B: Backend> {
    /// [R, m, k].
    pub h: Tensor<B, 3>,
    /// [R, k, n].
    pub w: Tensor<B, 3>,
    /// Iterations each replicate ran.
    pub iterations: Vec<usize>,
    /// ‖Y − H_r W_r‖_F (√(2·d_KL) for [`BatchMethod::MuKl`]) at each replicate's end.
    pub error: Vec<f64>,
}

/// Y·W_rᵀ of every replicate, [R, m, k], as one product Y·[W₁ᵀ … W_Rᵀ].
fn y_wt<B: Backend>(y: &Tensor<B, 2>, w: &Tensor<B, 3>) -> Tensor<B, 3> {
    let [r, k, n] = w.dims();
    let m = y.dims()[0];
    // [R, k, n] → [n, R, k] → [n, R·k].
    let wt = w
        .clone()
        .swap_dims(1, 2)
        .swap_dims(0, 1)
        .reshape([n, r * k]);
    y.clone().matmul(wt).reshape([m, r, k]).swap_dims(0, 1)
}

/// H_rᵀ·Y of every replicate, [R, k, n], as one product [H₁ … H_R]ᵀ·Y.
fn ht_y<B: Backend>(y: &Tensor<B, 2>, h: &Tensor<B, 3>) -> Tensor<B, 3> {
    let [r, m, k] = h.dims();
    let n = y.dims()[1];
    // [R, m, k] → [m, R, k] → [m, R·k] → [R·k, m].
    let ht = h.clone().swap_dims(0, 1).reshape([m, r * k]).transpose();
    ht.matmul(y.clone()).reshape([r, k, n])
}

/// A·Aᵀ per replicate for A [R, p, q]: [R, p, p].
fn gram_rows<B: Backend>(a: &Tensor<B, 3>) -> Tensor<B, 3> {
    a.clone().matmul(a.clone().swap_dims(1, 2))
}

/// One HALS sweep over the columns of A [R, p, k] against P [R, p, k] (the right-hand side)
/// and Q [R, k, k] (the Gram matrix): A_l ← max(0, A_l + (P_l − A·Q_l)/Q_ll), l in order. A
/// column whose Q_ll is 0 (its partner is all zero) stays as it is.
fn hals_sweep<B: Backend>(mut a: Tensor<B, 3>, p: &Tensor<B, 3>, q: &Tensor<B, 3>) -> Tensor<B, 3> {
    let [r, rows, k] = a.dims();
    for l in 0..k {
        let ql = q.clone().slice([0..r, 0..k, l..l + 1]);
        let qll = q.clone().slice([0..r, l..l + 1, l..l + 1]);
        let al = a.clone().slice([0..r, 0..rows, l..l + 1]);
        let pl = p.clone().slice([0..r, 0..rows, l..l + 1]);
        // A·Q_l as a product and a sum over k (not a batched matrix-vector product, whose
        // kernel a backend may pick by the batch size: the sum's order is the same for a
        // replicate alone or in a batch).
        let aq = (a.clone() * ql.swap_dims(1, 2)).sum_dim(2);
        let step = (pl - aq).div(qll.clone().clamp_min(f32::MIN_POSITIVE));
        // No step where Q_ll is 0 (a selection: the division there may have overflowed).
        let dead = qll.lower_equal_elem(0.0).expand([r, rows, 1]);
        let new = (al.clone() + step.mask_fill(dead, 0.0)).clamp_min(0.0);
        a = a.slice_assign([0..r, 0..rows, l..l + 1], new);
    }
    a
}

/// Replicates per group of the KL computations: a group's m × n quotients hold at most 2²⁶
/// floats.
fn kl_group(r: usize, m: usize, n: usize) -> usize {
    ((1usize << 26) / (m * n).max(1)).clamp(1, r.max(1))
}

/// Y/V for every replicate of a group, V = HW floored at `eps`: [G, m, n].
fn kl_quotient<B: Backend>(
    y: &Tensor<B, 2>,
    h: &Tensor<B, 3>,
    w: &Tensor<B, 3>,
    eps: f32,
) -> Tensor<B, 3> {
    let [g, m, _] = h.dims();
    let n = w.dims()[2];
    let v = h.clone().matmul(w.clone()).clamp_min(eps);
    y.clone().unsqueeze::<3>().expand([g, m, n]) / v
}

/// One KL MU iteration of a group of replicates.
fn kl_step<B: Backend>(
    y: &Tensor<B, 2>,
    h: Tensor<B, 3>,
    w: Tensor<B, 3>,
    eps: f32,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let q = kl_quotient(y, &h, &w, eps);
    let num = q.matmul(w.clone().swap_dims(1, 2));
    let den = w.clone().sum_dim(2).swap_dims(1, 2).clamp_min(eps);
    let h = h * num / den;
    let q = kl_quotient(y, &h, &w, eps);
    let num = h.clone().swap_dims(1, 2).matmul(q);
    let den = h.clone().sum_dim(1).swap_dims(1, 2).clamp_min(eps);
    let w = w * num / den;
    (h, w)
}

/// √(2·d_KL(Y, H_r W_r)) per replicate, [R] (entries of Y at 0 add only v).
fn kl_errors<B: Backend>(
    y: &Tensor<B, 2>,
    h: &Tensor<B, 3>,
    w: &Tensor<B, 3>,
    eps: f32,
) -> Vec<f64> {
    let [r, m, _] = h.dims();
    let n = w.dims()[2];
    let g = kl_group(r, m, n);
    let ysum: f64 = y.clone().sum().into_scalar().elem::<f64>();
    let mut out = Vec::with_capacity(r);
    for a in (0..r).step_by(g) {
        let b = (a + g).min(r);
        let k = h.dims()[2];
        let (hg, wg) = (
            h.clone().slice([a..b, 0..m, 0..k]),
            w.clone().slice([a..b, 0..k, 0..n]),
        );
        let v = hg.matmul(wg).clamp_min(eps);
        let ye = y.clone().unsqueeze::<3>().expand([b - a, m, n]);
        // y·ln(y/v), 0 where y = 0 (y + tiny keeps the logarithm finite there).
        let t = ye.clone() * (ye.add_scalar(f32::MIN_POSITIVE) / v.clone()).log() + v;
        let d: Vec<f64> = t
            .sum_dim(2)
            .sum_dim(1)
            .reshape([b - a])
            .into_data()
            .convert::<f64>()
            .into_vec::<f64>()
            .expect("f64 after convert");
        out.extend(d.into_iter().map(|x| (2.0 * (x - ysum)).max(0.0).sqrt()));
    }
    out
}

/// One iteration of `method` for every replicate.
fn step<B: Backend>(
    method: BatchMethod,
    y: &Tensor<B, 2>,
    h: Tensor<B, 3>,
    w: Tensor<B, 3>,
    eps: f32,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    if method == BatchMethod::MuKl {
        let [r, m, _] = h.dims();
        let n = w.dims()[2];
        let g = kl_group(r, m, n);
        if g >= r {
            return kl_step(y, h, w, eps);
        }
        let (mut hs, mut ws) = (Vec::new(), Vec::new());
        for a in (0..r).step_by(g) {
            let b = (a + g).min(r);
            let k = h.dims()[2];
            let (hg, wg) = kl_step(
                y,
                h.clone().slice([a..b, 0..m, 0..k]),
                w.clone().slice([a..b, 0..k, 0..n]),
                eps,
            );
            hs.push(hg);
            ws.push(wg);
        }
        return (Tensor::cat(hs, 0), Tensor::cat(ws, 0));
    }
    let ywt = y_wt(y, &w);
    let wwt = gram_rows(&w);
    let h = match method {
        BatchMethod::Mu => h.clone() * ywt / (h.matmul(wwt) + eps),
        BatchMethod::Hals => hals_sweep(h, &ywt, &wwt),
        BatchMethod::MuKl => unreachable!("returned above"),
    };
    let hty = ht_y(y, &h);
    let ht = h.clone().swap_dims(1, 2);
    let hth = gram_rows(&ht);
    let w = match method {
        BatchMethod::Mu => w.clone() * hty / (hth.matmul(w) + eps),
        BatchMethod::MuKl => unreachable!("returned above"),
        BatchMethod::Hals => {
            // W's rows are the columns of Wᵀ [R, n, k] against (HᵀY)ᵀ and HᵀH.
            let wt = hals_sweep(w.swap_dims(1, 2), &hty.swap_dims(1, 2), &hth);
            wt.swap_dims(1, 2)
        }
    };
    (h, w)
}

/// ‖Y − H_r W_r‖²_F per replicate, [R], from ‖Y‖² − 2⟨YW_rᵀ, H_r⟩ + ⟨H_rᵀH_r, W_rW_rᵀ⟩.
fn errors_sq<B: Backend>(
    y: &Tensor<B, 2>,
    yy: f64,
    h: &Tensor<B, 3>,
    w: &Tensor<B, 3>,
) -> Vec<f64> {
    let r = h.dims()[0];
    let cross = (y_wt(y, w) * h.clone()).sum_dim(2).sum_dim(1).reshape([r]);
    let hth = gram_rows(&h.clone().swap_dims(1, 2));
    let model = (hth * gram_rows(w)).sum_dim(2).sum_dim(1).reshape([r]);
    let v: Vec<f64> = (model - cross * 2.0)
        .into_data()
        .convert::<f64>()
        .into_vec::<f64>()
        .expect("f64 after convert");
    v.into_iter().map(|x| (yy + x).max(0.0)).collect()
}

/// Σ |projected gradient| of ½‖Y − HW‖² over H and W, per replicate, [R]: the gradient
/// G = H·WWᵀ − YWᵀ (and HᵀH·W − HᵀY), counted whole where the entry is positive and only its
/// negative part at 0.
fn violations<B: Backend>(y: &Tensor<B, 2>, h: &Tensor<B, 3>, w: &Tensor<B, 3>) -> Vec<f64> {
    let r = h.dims()[0];
    let projected = |x: &Tensor<B, 3>, g: Tensor<B, 3>| -> Tensor<B, 1> {
        let positive = x.clone().greater_elem(0.0).float();
        let at_zero = positive.clone().neg().add_scalar(1.0);
        let p = g.clone().abs() * positive + g.clamp_max(0.0).abs() * at_zero;
        p.sum_dim(2).sum_dim(1).reshape([r])
    };
    let gh = h.clone().matmul(gram_rows(w)) - y_wt(y, w);
    let hth = gram_rows(&h.clone().swap_dims(1, 2));
    let gw = hth.matmul(w.clone()) - ht_y(y, h);
    (projected(h, gh) + projected(w, gw))
        .into_data()
        .convert::<f64>()
        .into_vec::<f64>()
        .expect("f64 after convert")
}

/// Fits every replicate of (H₀ [R, m, k], W₀ [R, k, n]) to Y (m × n) by `params`.
pub fn nmf_batch<B: Backend>(
    y: &Tensor<B, 2>,
    h0: Tensor<B, 3>,
    w0: Tensor<B, 3>,
    params: &BatchParams,
) -> BatchFit<B> {
    let r = h0.dims()[0];
    let device = y.device();
    let yy: f64 = y.clone().powf_scalar(2.0).sum().into_scalar().elem::<f64>();
    let ymax: f64 = y.clone().max().into_scalar().elem::<f64>();
    // MU's guard of the host solver (baselines' MU_EPS·s^1.5), in units of s = max Y.
    let eps = ((1e-16 * ymax * ymax.sqrt()) as f32).max(f32::MIN_POSITIVE);
    let every = params.check_every.max(1);
    let (mut h, mut w) = (h0, w0);
    let mut active = vec![true; r];
    let mut iterations = vec![0usize; r];
    let errors = |h: &Tensor<B, 3>, w: &Tensor<B, 3>| -> Vec<f64> {
        if params.method == BatchMethod::MuKl {
            kl_errors(y, h, w, eps)
        } else {
            errors_sq(y, yy, h, w).into_iter().map(f64::sqrt).collect()
        }
    };
    let first: Vec<f64> = errors(&h, &w);
    let mut previous = first.clone();
    let mut last = first.clone();
    // The violation rule's reference: each replicate's violation at its start (scikit-learn
    // sums its first sweep's, taken along the sweep from the start).
    let reference: Vec<f64> = if params.stop == BatchStop::Violation && params.tol > 0.0 {
        violations(y, &h, &w)
    } else {
        Vec::new()
    };
    for iter in 1..=params.max_iter {
        if !active.iter().any(|&a| a) {
            break;
        }
        let (h1, w1) = step(params.method, y, h.clone(), w.clone(), eps);
        // Stopped replicates keep their factors: a selection (not arithmetic: a stopped
        // replicate's recomputed factors may hold an infinity). It runs whether or not any
        // replicate has stopped, so that the factors' memory layout (which a backend's
        // product may read by a different kernel) is the same alone and in a batch.
        let keep: Vec<f32> = active.iter().map(|&a| if a { 1.0 } else { 0.0 }).collect();
        let on = Tensor::<B, 1>::from_floats(keep.as_slice(), &device)
            .reshape([r, 1, 1])
            .greater_elem(0.5);
        let [_, m, k] = h.dims();
        let n = w.dims()[2];
        h = h.mask_where(on.clone().expand([r, m, k]), h1);
        w = w.mask_where(on.expand([r, k, n]), w1);
        for (i, a) in active.iter().enumerate() {
            if *a {
                iterations[i] = iter;
            }
        }
        let check = params.tol > 0.0 && iter % every == 0;
        if check && params.stop == BatchStop::Violation {
            let v = violations(y, &h, &w);
            for i in 0..r {
                if active[i] && v[i] <= params.tol * reference[i] {
                    active[i] = false;
                }
            }
        }
        if iter % every == 0 || iter == params.max_iter || !active.iter().any(|&a| a) {
            let now: Vec<f64> = errors(&h, &w);
            for i in 0..r {
                if iterations[i] != iter {
                    continue;
                }
                last[i] = now[i];
                if check
                    && params.stop == BatchStop::Error
                    && (previous[i] - now[i]) / first[i].max(f64::MIN_POSITIVE) < params.tol
                {
                    active[i] = false;
                }
                previous[i] = now[i];
            }
        }
    }
    BatchFit {
        h,
        w,
        iterations,
        error: last,
    }
}
