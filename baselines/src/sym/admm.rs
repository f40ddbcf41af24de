//! ADMM for SymNMF (Lu, Hong, Wang 2017, nonconvex splitting):
//! `min ½‖W Yᵀ − X‖²  s.t.  W = Y, Y ≥ 0`, augmented Lagrangian
//! `L = ½‖WYᵀ − X‖² + ⟨Λ, Y − W⟩ + ρ/2‖Y − W‖²`.
//!
//! * W-step (closed form): `W = (XY + ρY + Λ)(YᵀY + ρI)⁻¹`;
//! * Y-step (exact, by the BPP NNLS kernel): rows of Y solve
//!   `min_{y ≥ 0} ½‖W yᵀ − x‖² + ⟨λ, y⟩ + ρ/2‖y − w‖²`, i.e. Gram `WᵀW + ρI`, right-hand side
//!   `XW + ρW − Λ`;
//! * dual step `Λ ← Λ + ρ(Y − W)`.
//!
//! ρ rule: ρ = 3·‖X‖₂ (power iteration) unless given. The convergence analysis asks ρ to dominate
//! the Lipschitz constant of the W-block gradient, ‖YᵀY‖₂, which at a good fit approaches the
//! top eigenvalue of X; a factor 3 leaves room along the way. On the ncut-normalised graphs of
//! SPEC §4 ‖X‖₂ = 1, so ρ = 3. The stop test is the projected gradient of ‖X − YYᵀ‖² at Y,
//! relative to the first iterate's, like SymNewton's.

use super::{counted, SymFit, SymMethod, SymParams};
use crate::error::{param, Result};
use crate::history::{proj_grad_sq, Hook, Recorder};
use crate::linalg::{add_diag, at_b, dot, frob_sq, residual_sq, right_solve_spd, SymMatrix};
use crate::nnls::nnls_bpp;
use faer::Mat;

pub(super) fn fit(
    x: &SymMatrix,
    params: &SymParams,
    start: super::Start,
    labels: Option<&[usize]>,
    hook: Hook<'_>,
) -> Result<SymFit> {
    let super::Start { u0: y0, scale } = start;
    let rho = match params.rho {
        Some(r) => r,
        None => 3.0 * x.spectral_norm(),
    };
    if !(rho > 0.0 && rho.is_finite()) {
        return Err(param(
            "rho",
            format!("must be positive, got {rho} (is X all zeros?)"),
        ));
    }
    let (n, r) = (y0.nrows(), y0.ncols());
    let mut rec =
        Recorder::new(params.tol, params.record_every, labels, hook).with_cancel(&params.cancel);
    let xf = x.frob_sq();
    let mut products = 0usize;
    let mut y = y0.clone();
    let mut w = y0;
    let mut lam = Mat::<f64>::zeros(n, r);
    let mut xy = counted(x, &mut products, y.as_ref());
    let mut iter = 0;
    let reason;
    loop {
        let yty = at_b(y.as_ref(), y.as_ref());
        let wtw = at_b(w.as_ref(), w.as_ref());
        let grad = (&y * &yty - &xy) * faer::Scale(4.0);
        let pg = proj_grad_sq(y.as_ref(), grad.as_ref()).sqrt();
        let sym_err = (xf - 2.0 * dot(y.as_ref(), xy.as_ref()) + frob_sq(yty.as_ref())).max(0.0);
        let objective = 0.5 * residual_sq(xf, w.as_ref(), xy.as_ref(), &wtw, &yty);
        if let Some(r) = rec.check(
            "admm",
            iter,
            params.max_iter,
            objective,
            sym_err / xf,
            pg,
            y.as_ref(),
        )? {
            reason = r;
            break;
        }
        let rhs_w = &xy + &y * faer::Scale(rho) + &lam;
        w = right_solve_spd(rhs_w.as_ref(), &add_diag(&yty, rho))?;
        let xw = counted(x, &mut products, w.as_ref());
        let wtw = at_b(w.as_ref(), w.as_ref());
        let rhs_y = (&xw + &w * faer::Scale(rho) - &lam).transpose().to_owned();
        let yt = nnls_bpp(
            add_diag(&wtw, rho).as_ref(),
            rhs_y.as_ref(),
            Some(y.transpose()),
        )?;
        y = yt.transpose().to_owned();
        lam = &lam + (&y - &w) * faer::Scale(rho);
        xy = counted(x, &mut products, y.as_ref());
        iter += 1;
    }
    let seconds = rec.seconds();
    let (history, convergence) = rec.finish(iter, reason, None);
    Ok(SymFit {
        method: SymMethod::Admm,
        u: y,
        other: Some(w),
        history,
        convergence,
        products,
        penalty: Some(rho),
        scale,
        seconds,
    })
}
