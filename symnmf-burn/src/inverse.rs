//! The inversion layer of SymNMF-Net: `A ↦ A⁻¹` for the r×r SPD matrix `A = UᵀU + λI`,
//! as a custom autodiff operation.
//!
//! * Forward ([`InverseBackend::spd_inverse`]): the exact inverse. The default method body reads
//!   `A` back to the host, symmetrises it (`(A + Aᵀ)/2`, so a matrix that is symmetric only up
//!   to rounding is treated as the symmetric matrix it approximates), and inverts it in `f64` by
//!   Cholesky, `A = LLᵀ ⇒ A⁻¹ = L⁻ᵀL⁻¹`. `r` is small (2…64): this costs microseconds on the
//!   CPU and one round trip on a GPU. Every concrete backend takes this default.
//!   A matrix that is not positive definite (or holds NaN/Inf) has no Cholesky factor; the
//!   result is then all NaN, which the training loop's NaN/Inf guard reports with the step.
//! * Backward (the impl for `Autodiff<B, C>`): with `G = ∂L/∂A⁻¹`, the hand-written
//!   `∂L/∂A = −A⁻ᵀ G A⁻ᵀ` — the gradient of the general matrix inverse — computed on the device
//!   from the stored output `A⁻¹` (two r×r products, no second factorisation).
//! * [`spd_inverse_reference`]: Gauss–Jordan elimination written with plain tensor ops
//!   (matmuls only), so autodiff derives its gradient independently; tests compare both.

use burn::backend::autodiff::{
    checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
    grads::Gradients,
    ops::{unary, Backward, Ops, OpsKind},
    Autodiff,
};
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorData, TensorPrimitive};

/// A backend that can invert small SPD matrices (the SymNMF-Net inversion layer).
pub trait InverseBackend: Backend {
    /// Inverse of the r×r symmetric positive definite matrix `a` (see the module docs).
    fn spd_inverse(a: FloatTensor<Self>) -> FloatTensor<Self> {
        let a = Tensor::<Self, 2>::from_primitive(TensorPrimitive::Float(a));
        let device = a.device();
        let dtype = a.dtype();
        let [r, c] = a.dims();
        assert_eq!(r, c, "spd_inverse needs a square matrix, got {r}×{c}");
        let host: Vec<f64> = a
            .into_data()
            .convert::<f64>()
            .into_vec::<f64>()
            .expect("converted to f64 above");
        let inv = cholesky_inverse(&host, r).unwrap_or_else(|| vec![f64::NAN; r * r]);
        let data = TensorData::new(inv, [r, r]).convert_dtype(dtype);
        Tensor::<Self, 2>::from_data(data, &device)
            .into_primitive()
            .tensor()
    }
}

/// Inverse of the symmetric part of the row-major `r×r` matrix `a` by Cholesky, in `f64`.
/// `None` when that part is not positive definite or holds NaN/Inf.
pub fn cholesky_inverse(a: &[f64], r: usize) -> Option<Vec<f64>> {
    assert_eq!(
        a.len(),
        r * r,
        "cholesky_inverse: {} values for r = {r}",
        a.len()
    );
    // L, lower triangular, of the symmetrised matrix.
    let mut l = vec![0.0f64; r * r];
    for j in 0..r {
        let mut d = 0.5 * (a[j * r + j] + a[j * r + j]);
        for k in 0..j {
            d -= l[j * r + k] * l[j * r + k];
        }
        // Not positive (NaN included) or not finite: no Cholesky factor.
        if d.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !d.is_finite() {
            return None;
        }
        let djj = d.sqrt();
        l[j * r + j] = djj;
        for i in (j + 1)..r {
            let mut s = 0.5 * (a[i * r + j] + a[j * r + i]);
            for k in 0..j {
                s -= l[i * r + k] * l[j * r + k];
            }
            l[i * r + j] = s / djj;
        }
    }
    // M = L⁻¹ (lower triangular) by forward substitution, column by column.
    let mut m = vec![0.0f64; r * r];
    for col in 0..r {
        m[col * r + col] = 1.0 / l[col * r + col];
        for i in (col + 1)..r {
            let mut s = 0.0;
            for k in col..i {
                s += l[i * r + k] * m[k * r + col];
            }
            m[i * r + col] = -s / l[i * r + i];
        }
    }
    // A⁻¹ = Mᵀ M, symmetric: fill both triangles from one computation.
    let mut inv = vec![0.0f64; r * r];
    for i in 0..r {
        for j in i..r {
            let mut s = 0.0;
            for k in j..r {
                s += m[k * r + i] * m[k * r + j];
            }
            inv[i * r + j] = s;
            inv[j * r + i] = s;
        }
    }
    if inv.iter().all(|v| v.is_finite()) {
        Some(inv)
    } else {
        None
    }
}

/// Backward node of the inversion layer; its state is the forward output `A⁻¹`.
#[derive(Debug)]
struct SpdInverseBackward;

impl<B: Backend> Backward<B, 1> for SpdInverseBackward {
    type State = FloatTensor<B>;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let inv = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |g| {
            // ∂L/∂A = −A⁻ᵀ G A⁻ᵀ.
            let inv_t = B::float_transpose(inv);
            let left = B::float_matmul(inv_t.clone(), g);
            B::float_neg(B::float_matmul(left, inv_t))
        });
    }
}

impl<B: InverseBackend, C: CheckpointStrategy> InverseBackend for Autodiff<B, C> {
    fn spd_inverse(a: FloatTensor<Self>) -> FloatTensor<Self> {
        let inv = B::spd_inverse(a.primitive.clone());
        match SpdInverseBackward
            .prepare::<C>([a.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(inv.clone(), inv),
            OpsKind::UnTracked(prep) => prep.finish(inv),
        }
    }
}

/// The inversion layer on tensors: `A⁻¹` of an r×r SPD matrix (custom op, see module docs).
pub fn spd_inverse<B: InverseBackend>(a: Tensor<B, 2>) -> Tensor<B, 2> {
    let out = B::spd_inverse(a.into_primitive().tensor());
    Tensor::from_primitive(TensorPrimitive::Float(out))
}

/// Reference inverse from plain tensor ops: Gauss–Jordan elimination without pivoting (fine for
/// SPD matrices), one rank-1 update per column, so autodiff derives its gradient by itself.
///
/// Step k, with pivot row `ρ = M[k,:]/M[k,k]` and column `c = M[:,k] − e_k`, sets
/// `M ← M − c ρ` (rows i ≠ k lose their k-th entry; row k becomes ρ) and applies the same
/// update to the accumulated inverse.
pub fn spd_inverse_reference<B: Backend>(a: Tensor<B, 2>) -> Tensor<B, 2> {
    let [r, c] = a.dims();
    assert_eq!(
        r, c,
        "spd_inverse_reference needs a square matrix, got {r}×{c}"
    );
    let device = a.device();
    let eye = Tensor::<B, 2>::eye(r, &device);
    let mut m = a;
    let mut inv = eye.clone();
    for k in 0..r {
        let pivot = m.clone().slice([k..k + 1, k..k + 1]);
        let row_m = m.clone().slice([k..k + 1, 0..r]) / pivot.clone();
        let row_i = inv.clone().slice([k..k + 1, 0..r]) / pivot;
        let col = m.clone().slice([0..r, k..k + 1]) - eye.clone().slice([0..r, k..k + 1]);
        m = m - col.clone().matmul(row_m);
        inv = inv - col.matmul(row_i);
    }
    inv
}

#[cfg(feature = "ndarray")]
impl InverseBackend for burn::backend::NdArray<f32> {}
#[cfg(feature = "ndarray")]
impl InverseBackend for burn::backend::NdArray<f64> {}

#[cfg(feature = "flex")]
impl InverseBackend for burn::backend::Flex {}

#[cfg(feature = "wgpu")]
impl InverseBackend for burn::backend::Wgpu {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_inverse_of_known_matrix() {
        // [[4,2],[2,3]]⁻¹ = 1/8 · [[3,−2],[−2,4]].
        let inv = cholesky_inverse(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
        let want = [3.0 / 8.0, -0.25, -0.25, 0.5];
        for (a, b) in inv.iter().zip(want) {
            assert!((a - b).abs() < 1e-15);
        }
    }

    #[test]
    fn not_positive_definite_is_none() {
        assert!(cholesky_inverse(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        assert!(cholesky_inverse(&[f64::NAN, 0.0, 0.0, 1.0], 2).is_none());
    }
}
