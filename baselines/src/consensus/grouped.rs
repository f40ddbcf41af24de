//! The grouped host engine: HALS replicates under the violation rule advanced together, every
//! iteration reading Y once for all of them, and the rules of when it runs.

use super::{pool, HostOptions, Precision};
use crate::data::NmfData;
use crate::error::{param, Result, SolverError};
use crate::linalg::a_b;
use faer::Mat;
use rayon::prelude::*;

/// A sparse Y with at least this share of nonzero entries is multiplied by the grouped
/// replicates as a dense copy: on the 2-core EPYC the dense products overtake the sparse ones
/// between 10 % and 20 % nonzero (results/bench/consensus.md), and at 15 % the copy (8 bytes an
/// entry) takes at most 1.7× the memory of the sparse Y itself (its rows and its columns, 32
/// bytes a nonzero).
pub const DENSE_PRODUCTS_DENSITY: f64 = 0.15;

/// Whether the grouped replicates multiply Y as a dense matrix: Y dense, or sparse with at
/// least [`DENSE_PRODUCTS_DENSITY`] of its entries nonzero.
pub fn dense_products(y: NmfData<'_>) -> bool {
    match y {
        NmfData::Dense(_) | NmfData::Single(_) => true,
        NmfData::Sparse(s) => {
            s.nnz() as f64 >= DENSE_PRODUCTS_DENSITY * (s.nrows() as f64 * s.ncols() as f64)
        }
    }
}

/// Refuses host options the replicates cannot follow: more than one sweep, or f32 products,
/// outside HALS under the violation rule without penalties; f32 products of a sparse Y with
/// fewer than [`DENSE_PRODUCTS_DENSITY`] nonzeros; no sweep at all.
pub fn check_host_options(
    y: NmfData<'_>,
    method: crate::nmf::NmfMethod,
    params: &crate::nmf::NmfParams,
    opts: HostOptions,
) -> Result<()> {
    if opts.inner_sweeps == 0 {
        return Err(param("inner_sweeps", "must be at least 1"));
    }
    if params.precision != Precision::F64 {
        return Err(param(
            "params.precision",
            "a consensus run's products are set by its own `precision`; leave the parameters' out",
        ));
    }
    if opts != HostOptions::default() && !grouped_solver(method, params) {
        return Err(param(
            if opts.precision == Precision::F32 { "precision" } else { "inner_sweeps" },
            "f32 products and inner sweeps are for HALS under the violation rule without penalties; use f64 and 1",
        ));
    }
    if opts.precision == Precision::F32 && !dense_products(y) {
        return Err(param(
            "precision",
            "f32 products need a dense Y or a sparse one at least 15 % nonzero; use f64",
        ));
    }
    Ok(())
}

/// Whether the grouped engine (`grouped_hals`) runs the replicates: HALS under the violation rule without
/// penalties, a fixed W or a coordinate order (cNMF's replicates), on a matrix large enough
/// that reading Y costs more than the sweeps.
pub fn grouped_applies(
    y: NmfData<'_>,
    method: crate::nmf::NmfMethod,
    p: &crate::nmf::NmfParams,
) -> bool {
    grouped_solver(method, p) && y.nrows() * y.ncols() >= 1 << 16
}

/// HALS under the violation rule without penalties, a fixed W or a coordinate order: the
/// solver the grouped replicates run.
fn grouped_solver(method: crate::nmf::NmfMethod, p: &crate::nmf::NmfParams) -> bool {
    method == crate::nmf::NmfMethod::Hals
        && p.stop == crate::nmf::NmfStop::Violation
        && p.alpha_h == 0.0
        && p.alpha_w == 0.0
        && p.beta_loss == 2.0
        && !p.fix_w
        && !p.shuffle
}

/// The replicates of [`replicate_spectra`] advanced together: each iteration reads Y twice for
/// all the replicates still running — Y·[W₁ᵀ … W_Gᵀ] and [H₁ … H_G]ᵀ·Y as one product each —
/// where one replicate at a time reads it twice per replicate (a product with k columns is
/// bound by the reading of Y). Each replicate's sweeps, violation and stop are those of the
/// plain HALS under the violation rule (`nmf::rules::hals_by_violation`), from the same start.
pub(super) fn grouped_hals(
    y: NmfData<'_>,
    params: &crate::nmf::NmfParams,
    replicates: usize,
    seed: u64,
    opts: HostOptions,
    done: &(dyn Fn(usize, usize) + Sync),
) -> Result<Mat<f64>> {
    use crate::linalg::at_b;
    use crate::nmf::ViolationRule;
    use crate::sym::hals_sweeps_violation_in_place as sweeps;
    crate::check_max_iter(params.max_iter)?;
    let (n, k) = (y.ncols(), params.rank);
    let mut h: Vec<Mat<f64>> = Vec::with_capacity(replicates);
    let mut w: Vec<Mat<f64>> = Vec::with_capacity(replicates);
    for r in 0..replicates {
        let (h0, w0) = crate::nmf::nmf_start(
            y,
            k,
            crate::nmf::NmfInit::Random,
            seed.wrapping_add(r as u64),
        )?;
        h.push(h0);
        w.push(w0);
    }
    let mut rules: Vec<ViolationRule> = (0..replicates)
        .map(|_| ViolationRule::new(params.tol, &params.verbose))
        .collect();
    // The products' Y: in f32; else a dense copy of a sparse Y with enough nonzeros; else Y.
    let single = match (opts.precision, y) {
        (Precision::F32, NmfData::Sparse(s)) => Some(crate::data::DenseF32::from_sparse(s)),
        _ => y.single(opts.precision),
    };
    let copy = match y {
        NmfData::Sparse(s) if single.is_none() && dense_products(y) => Some(s.to_dense()),
        _ => None,
    };
    let y = match (&single, &copy) {
        (Some(s), _) => NmfData::Single(s),
        (None, Some(d)) => NmfData::Dense(d.as_ref()),
        (None, None) => y,
    };
    let mut active: Vec<usize> = (0..replicates).collect();
    let mut iter = 0;
    while !active.is_empty() && iter < params.max_iter {
        if params.cancel.is_cancelled() {
            return Err(SolverError::Cancelled { iter });
        }
        let g = active.len();
        // Y·Wᵀ of every running replicate: W stacked (g·k × n).
        let ws: Vec<_> = active.iter().map(|&r| w[r].as_ref()).collect();
        let ywt = y.times_blocks_wt(&ws);
        let v_h: Vec<f64> = active
            .par_iter()
            .zip(h_slots(&mut h, &active))
            .enumerate()
            .map(|(a, (&r, hr))| {
                let wwt = a_b(w[r].as_ref(), w[r].transpose());
                let p = ywt.as_ref().subcols(a * k, k);
                sweeps(hr.as_mut(), p, &wwt, opts.inner_sweeps)
            })
            .collect();
        // Hᵀ·Y of every running replicate: H side by side (m × g·k).
        let hs: Vec<_> = active.iter().map(|&r| h[r].as_ref()).collect();
        let hty = y.blocks_ht_times(&hs);
        let v_w: Vec<f64> = active
            .par_iter()
            .zip(h_slots(&mut w, &active))
            .enumerate()
            .map(|(a, (&r, wr))| {
                let hth = at_b(h[r].as_ref(), h[r].as_ref());
                let p = hty.as_ref().subrows(a * k, k);
                sweeps(
                    wr.as_mut().transpose_mut(),
                    p.transpose(),
                    &hth,
                    opts.inner_sweeps,
                )
            })
            .collect();
        iter += 1;
        let mut still = Vec::with_capacity(g);
        for (a, &r) in active.iter().enumerate() {
            if rules[r].met(v_h[a] + v_w[a], iter)? {
                done(r, iter);
            } else {
                still.push(r);
            }
        }
        active = still;
    }
    for &r in &active {
        done(r, iter);
    }
    Ok(pool(&w, k, n))
}

/// Mutable references to the factors of the running replicates, in `active`'s order.
fn h_slots<'a>(all: &'a mut [Mat<f64>], active: &[usize]) -> Vec<&'a mut Mat<f64>> {
    let mut slots: Vec<Option<&'a mut Mat<f64>>> = all.iter_mut().map(Some).collect();
    active
        .iter()
        .map(|&r| slots[r].take().expect("each replicate once"))
        .collect()
}
