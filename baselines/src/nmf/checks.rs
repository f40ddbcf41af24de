//! The checks of a plain-NMF run's parameters against its method and its Y, before any work.

use super::{NmfMethod, NmfParams, NmfStop};
use crate::data::{NmfData, Precision};
use crate::error::{param, Result};

/// Refuses f32 products where they are not made: a sparse Y (its products are already
/// O(nnz·k)), a β-divergence other than Frobenius (its updates read Y entry by entry) or the KL
/// coordinate descent; and a Y with entries beyond f32's range.
pub(super) fn check_precision(method: NmfMethod, y: NmfData<'_>, params: &NmfParams) -> Result<()> {
    // A Y already held in f32 is multiplied in f32 whatever the parameters say.
    if params.precision == Precision::F64 && !matches!(y, NmfData::Single(_)) {
        return Ok(());
    }
    let max = y.max_entry();
    if max > f32::MAX as f64 {
        return Err(param(
            "precision",
            format!("Y's largest entry {max:e} lies beyond f32's range; use f64"),
        ));
    }
    if y.is_sparse() {
        return Err(param(
            "precision",
            "f32 products are for a dense Y (a sparse Y's products cost O(nnz·k) in f64); use f64",
        ));
    }
    if params.beta_loss != 2.0 || method == NmfMethod::Ccd {
        return Err(param(
            "precision",
            format!(
                "f32 products are for the Frobenius objective (MU, HALS, ANLS); got {method} with β = {}; use f64",
                params.beta_loss
            ),
        ));
    }
    Ok(())
}

/// Refuses `shuffle` where it has no meaning: scikit-learn's is its coordinate descent's, HALS
/// under the violation rule.
pub(crate) fn check_shuffle(method: NmfMethod, params: &NmfParams) -> Result<()> {
    if params.shuffle && (method != NmfMethod::Hals || params.stop != NmfStop::Violation) {
        return Err(param(
            "shuffle",
            format!(
                "a random coordinate order is HALS's under the violation rule (scikit-learn's 'cd'); got {method} and the {} rule",
                params.stop.name()
            ),
        ));
    }
    Ok(())
}

/// Refuses a β, penalty or stop rule the method cannot take, before any work.
pub(super) fn check_objective(method: NmfMethod, y: NmfData<'_>, params: &NmfParams) -> Result<()> {
    let beta = params.beta_loss;
    if !beta.is_finite() {
        return Err(param("beta_loss", format!("must be finite, got {beta}")));
    }
    for (name, v) in [("alpha_h", params.alpha_h), ("alpha_w", params.alpha_w)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(param(name, format!("must be finite and ≥ 0, got {v}")));
        }
    }
    let r = params.l1_ratio;
    if !(0.0..=1.0).contains(&r) {
        return Err(param("l1_ratio", format!("must lie in [0, 1], got {r}")));
    }
    check_shuffle(method, params)?;
    if method == NmfMethod::Ccd && (beta != 1.0 || params.stop != NmfStop::Divergence) {
        return Err(param(
            "method",
            format!("ccd is the Kullback–Leibler solver (β = 1, stopped by the divergence rule); got β = {beta} and the {} rule", params.stop.name()),
        ));
    }
    if beta != 2.0 && method != NmfMethod::Ccd {
        if method != NmfMethod::Mu {
            return Err(param(
                "beta_loss",
                format!("β = {beta} is minimised by MU only; {method} minimises the Frobenius norm (β = 2)"),
            ));
        }
        if params.stop != NmfStop::Divergence {
            return Err(param(
                "stop",
                format!("β = {beta} stops by the divergence rule; the {} rule is the Frobenius objective's", params.stop.name()),
            ));
        }
        if beta <= 0.0 && y.has_zero() {
            return Err(param(
                "beta_loss",
                format!("with β = {beta} ≤ 0 a zero entry of Y makes the divergence infinite (the solver may diverge): add a small value to Y, or take β > 0"),
            ));
        }
    }
    Ok(())
}
