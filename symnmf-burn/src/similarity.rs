//! The similarity matrix X as the network sees it: dense on the device, or sparse on the host.
//!
//! X enters SymNMF-Net only through products `X·U` with n×r factors (Algorithm 1, the loss
//! and, by the chain rule, the backward pass). The kNN graphs of SPEC §4 keep a few dozen
//! entries per row, so for them a sparse product costs `2·nnz·r` flops instead of `2·n²·r`
//! (TDT-2: 2.0·10⁵ stored entries against 8.8·10⁷) and the n×n matrix never exists.
//!
//! * [`SparseSymmetric`]: a symmetric matrix in CSR form (`f32` values), checked on building.
//! * [`SparseBackend::sym_spmm`]: `X·U` for a sparse symmetric X, a custom autodiff op. The
//!   default body reads U back to the host, multiplies there (in `f64`) and
//!   uploads the n×r result: a memory copy on the CPU backends, one round trip on a GPU.
//!   wgpu can keep the product on the device instead ([`crate::ell`], opt-in).
//!   Backward (the impl for `Autodiff<B, C>`): X is a constant, so `∂L/∂U = Xᵀ·G = X·G`
//!   (X symmetric) — the same op again; nothing is stored but a shared pointer to X.
//! * [`Similarity`]: either form behind one `matmul`, plus `‖X‖²` and `mean(X)`.

use crate::error::{Result, SymNmfError};
use burn::backend::autodiff::{
    checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
    grads::Gradients,
    ops::{unary, Backward, Ops, OpsKind},
    Autodiff,
};
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorData, TensorPrimitive};
use rayon::prelude::*;
use std::sync::Arc;

/// A symmetric n×n matrix in compressed sparse row form. Row `i` holds the columns
/// `indices[indptr[i]..indptr[i+1]]` with `values` at the same positions.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseSymmetric {
    n: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl SparseSymmetric {
    /// Checks the CSR structure (pointer count and order, columns in range) and that the
    /// matrix is symmetric: every stored `(i, j, v)` has a stored `(j, i, v)`, up to a relative
    /// 1e-5. Values must be finite. Nonnegativity is the caller's concern (SymNMF needs it, the
    /// product does not).
    pub fn new(
        n: usize,
        indptr: Vec<usize>,
        indices: Vec<usize>,
        values: Vec<f32>,
    ) -> Result<Self> {
        let nnz = values.len();
        let bad = |msg: String| SymNmfError::Param {
            name: "X",
            value: format!("sparse {n}×{n}, {nnz} stored entries"),
            msg,
        };
        if indptr.len() != n + 1 || indptr[0] != 0 {
            return Err(bad(format!("{} row pointers for {n} rows", indptr.len())));
        }
        if indptr.windows(2).any(|w| w[0] > w[1]) || indptr[n] != indices.len() {
            return Err(bad(
                "row pointers do not rise to the number of entries".into()
            ));
        }
        if indices.len() != values.len() {
            return Err(bad(format!(
                "{} column indices but {} values",
                indices.len(),
                values.len()
            )));
        }
        if n > u32::MAX as usize {
            return Err(bad("more rows than a u32 column index holds".into()));
        }
        if let Some(&c) = indices.iter().find(|&&c| c >= n) {
            return Err(bad(format!("column index {c} out of range")));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(bad(format!("stored value {v} is not finite")));
        }
        let m = Self {
            n,
            indptr,
            indices: indices.into_iter().map(|c| c as u32).collect(),
            values,
        };
        // Symmetry: look (j, i) up for every (i, j); rows may be unsorted, so scan row j.
        for i in 0..n {
            let (cols, vals) = m.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                let (cj, vj) = m.row(j as usize);
                let back: f32 = cj
                    .iter()
                    .zip(vj)
                    .filter(|(&c, _)| c as usize == i)
                    .map(|(_, &w)| w)
                    .sum();
                if (back - v).abs() > 1e-5 * v.abs().max(back.abs()).max(f32::MIN_POSITIVE) {
                    return Err(SymNmfError::Param {
                        name: "X",
                        value: format!("sparse {n}×{n}, {nnz} stored entries"),
                        msg: format!("not symmetric: X[{i},{j}] = {v} but X[{j},{i}] = {back}"),
                    });
                }
            }
        }
        Ok(m)
    }

    /// Order n.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// `‖X‖_F²`, accumulated in `f64`.
    pub fn frobenius2(&self) -> f64 {
        self.values.iter().map(|&v| (v as f64) * (v as f64)).sum()
    }

    /// The mean of all n² entries (the zeros included).
    pub fn mean(&self) -> f64 {
        self.values.iter().map(|&v| v as f64).sum::<f64>() / (self.n as f64 * self.n as f64)
    }

    /// `Y = X·U` for a row-major n×r `u`, in `f64` (a backend in `f32` rounds once, at the end).
    pub fn mul(&self, u: &[f64], r: usize) -> Vec<f64> {
        assert_eq!(
            u.len(),
            self.n * r,
            "X·U: U has {} values, expected {}×{r}",
            u.len(),
            self.n
        );
        let mut y = vec![0.0f64; self.n * r];
        if r == 0 {
            return y;
        }
        // Rows in parallel, each summed over its entries in stored order (the same numbers
        // for any thread count).
        y.par_chunks_mut(r)
            .enumerate()
            .with_min_len(64)
            .for_each(|(i, yi)| {
                let (cols, vals) = self.row(i);
                for (&j, &v) in cols.iter().zip(vals) {
                    let uj = &u[j as usize * r..(j as usize + 1) * r];
                    let v = v as f64;
                    for (a, &x) in yi.iter_mut().zip(uj) {
                        *a += v * x;
                    }
                }
            });
        y
    }

    /// The dense row-major n×n matrix (tests, small problems).
    pub fn to_dense(&self) -> Vec<f32> {
        let mut d = vec![0.0f32; self.n * self.n];
        for i in 0..self.n {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                d[i * self.n + j as usize] += v;
            }
        }
        d
    }
}

/// A backend that can multiply a sparse symmetric matrix by a dense factor (see module docs).
pub trait SparseBackend: Backend {
    /// Whether a product with a transposed operand costs this backend a copy of that operand.
    /// ndarray copies a transposed matrix element by element before multiplying (a strided,
    /// cache-unfriendly n² copy): in the backward pass of a dense `X·U`, which needs `Xᵀ·G`,
    /// that copy was 31 % of a SymNMF-Net epoch (n = 3147, `perf`). Such a backend takes the
    /// dense product through [`SparseBackend::sym_dense_mm`]'s own backward, `X·G`.
    const TRANSPOSED_PRODUCT_COPIES: bool = false;

    /// `X·U` for a dense symmetric X that is a constant of the problem (not trained).
    fn sym_dense_mm(x: FloatTensor<Self>, u: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::float_matmul(x, u)
    }

    /// `X·U` for the sparse symmetric `x` and the n×r tensor `u` ([`host_spmm`] unless the
    /// backend keeps it on its device).
    fn sym_spmm(x: Arc<SparseSymmetric>, u: FloatTensor<Self>) -> FloatTensor<Self> {
        host_spmm::<Self>(&x, Tensor::from_primitive(TensorPrimitive::Float(u)))
            .into_primitive()
            .tensor()
    }
}

/// `X·U` through the host: U read back, multiplied there in `f64`, the product uploaded.
pub fn host_spmm<B: Backend>(x: &SparseSymmetric, u: Tensor<B, 2>) -> Tensor<B, 2> {
    let device = u.device();
    let dtype = u.dtype();
    let [n, r] = u.dims();
    assert_eq!(n, x.n(), "X·U: X is {0}×{0} but U has {n} rows", x.n());
    let host = u
        .into_data()
        .convert::<f64>()
        .into_vec::<f64>()
        .expect("converted to f64 above");
    let y = TensorData::new(x.mul(&host, r), [n, r]).convert_dtype(dtype);
    Tensor::from_data(y, &device)
}

/// The constant symmetric X of a product `X·U`, as the product's backward node keeps it: the
/// sparse matrix (shared, not copied) or the dense tensor (a shared handle).
#[derive(Clone, Debug)]
enum ConstantX<B: Backend> {
    Sparse(Arc<SparseSymmetric>),
    Dense(FloatTensor<B>),
}

/// Backward node of `X·U` for a constant symmetric X: `∂L/∂U = Xᵀ G = X G`, the same product
/// again (no transposed operand).
#[derive(Debug)]
struct SymProductBackward;

impl<B: SparseBackend> Backward<B, 1> for SymProductBackward {
    type State = ConstantX<B>;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let x = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |g| match x {
            ConstantX::Sparse(x) => B::sym_spmm(x, g),
            ConstantX::Dense(x) => B::sym_dense_mm(x, g),
        });
    }
}

/// `y = X·u` (computed on the inner backend) as a node of the autodiff graph over `u`.
fn symmetric_product_node<B: SparseBackend, C: CheckpointStrategy>(
    x: ConstantX<B>,
    u: &FloatTensor<Autodiff<B, C>>,
    y: FloatTensor<B>,
) -> FloatTensor<Autodiff<B, C>> {
    match SymProductBackward
        .prepare::<C>([u.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(x, y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

impl<B: SparseBackend, C: CheckpointStrategy> SparseBackend for Autodiff<B, C> {
    fn sym_dense_mm(x: FloatTensor<Self>, u: FloatTensor<Self>) -> FloatTensor<Self> {
        // A trained X (never the case in SymNMF-Net) keeps autodiff's own product.
        if !B::TRANSPOSED_PRODUCT_COPIES || !x.node.requirement.is_none() {
            return <Self as burn::tensor::ops::FloatTensorOps<Self>>::float_matmul(x, u);
        }
        let y = B::sym_dense_mm(x.primitive.clone(), u.primitive.clone());
        symmetric_product_node::<B, C>(ConstantX::Dense(x.primitive), &u, y)
    }

    fn sym_spmm(x: Arc<SparseSymmetric>, u: FloatTensor<Self>) -> FloatTensor<Self> {
        let y = B::sym_spmm(x.clone(), u.primitive.clone());
        symmetric_product_node::<B, C>(ConstantX::Sparse(x), &u, y)
    }
}

#[cfg(feature = "ndarray")]
impl SparseBackend for burn::backend::NdArray<f32> {
    const TRANSPOSED_PRODUCT_COPIES: bool = true;
    fn sym_dense_mm(x: FloatTensor<Self>, u: FloatTensor<Self>) -> FloatTensor<Self> {
        ndarray_product::product::<Self>(x, u)
    }
}
#[cfg(feature = "ndarray")]
impl SparseBackend for burn::backend::NdArray<f64> {
    const TRANSPOSED_PRODUCT_COPIES: bool = true;
    fn sym_dense_mm(x: FloatTensor<Self>, u: FloatTensor<Self>) -> FloatTensor<Self> {
        ndarray_product::product::<Self>(x, u)
    }
}

/// `X·U` on ndarray without copying X. burn-ndarray's matmul reshapes its left operand to
/// three dimensions, and for an array shared by several handles (X always is: the problem
/// holds it) that reshape copies every element: n² values per product, 353 MB at n = 9394,
/// which set the ndarray run's peak memory (755 MB against flex's 429 MB). Here the product is
/// one `general_mat_mul` on views of both operands (the routine burn-ndarray calls after its
/// reshape, on the same layouts; through OpenBLAS when that feature is on).
#[cfg(feature = "ndarray")]
mod ndarray_product {
    use burn::backend::ndarray::{NdArrayTensor, SharedArray};
    use ndarray::linalg::general_mat_mul;
    use ndarray::{Array2, ArrayViewD, Ix2, LinalgScalar};

    pub fn product<B>(x: NdArrayTensor, u: NdArrayTensor) -> NdArrayTensor
    where
        B: burn::tensor::backend::Backend<FloatTensorPrimitive = NdArrayTensor>,
    {
        let y = match (&x, &u) {
            (NdArrayTensor::F32(a), NdArrayTensor::F32(b)) => {
                mm(a.view(), b.view()).map(NdArrayTensor::from)
            }
            (NdArrayTensor::F64(a), NdArrayTensor::F64(b)) => {
                mm(a.view(), b.view()).map(NdArrayTensor::from)
            }
            _ => None,
        };
        y.unwrap_or_else(|| B::float_matmul(x, u))
    }

    /// `a·b` for two matrices (None for other ranks: burn's batched product handles them).
    fn mm<E: LinalgScalar>(a: ArrayViewD<'_, E>, b: ArrayViewD<'_, E>) -> Option<SharedArray<E>> {
        let a = a.into_dimensionality::<Ix2>().ok()?;
        let b = b.into_dimensionality::<Ix2>().ok()?;
        let mut c = Array2::<E>::zeros((a.nrows(), b.ncols()));
        general_mat_mul(E::one(), &a, &b, E::zero(), &mut c);
        Some(c.into_dyn().into_shared())
    }
}

#[cfg(feature = "flex")]
impl SparseBackend for burn::backend::Flex {}

/// The similarity matrix of one problem, in the form the products with it will use.
#[derive(Clone, Debug)]
pub enum Similarity<B: Backend> {
    /// On the device; `X·U` is a dense matmul.
    Dense(Tensor<B, 2>),
    /// On the host; `X·U` is [`SparseBackend::sym_spmm`], its results live on `device`.
    Sparse(Arc<SparseSymmetric>, B::Device),
}

impl<B: Backend> From<Tensor<B, 2>> for Similarity<B> {
    fn from(x: Tensor<B, 2>) -> Self {
        Similarity::Dense(x)
    }
}

impl<B: Backend> Similarity<B> {
    /// A sparse X whose products are placed on `device`.
    pub fn sparse(x: SparseSymmetric, device: &B::Device) -> Self {
        Similarity::Sparse(Arc::new(x), device.clone())
    }

    /// The device the factors live on.
    pub fn device(&self) -> B::Device {
        match self {
            Similarity::Dense(x) => x.device(),
            Similarity::Sparse(_, d) => d.clone(),
        }
    }
}

impl<B: SparseBackend> Similarity<B> {
    /// `[rows, cols]` (square for a valid problem; a dense X is checked by the model).
    pub fn dims(&self) -> [usize; 2] {
        match self {
            Similarity::Dense(x) => x.dims(),
            Similarity::Sparse(x, _) => [x.n(), x.n()],
        }
    }

    /// `X·U`.
    pub fn matmul(&self, u: Tensor<B, 2>) -> Tensor<B, 2> {
        match self {
            Similarity::Dense(x) => {
                Tensor::from_primitive(TensorPrimitive::Float(B::sym_dense_mm(
                    x.clone().into_primitive().tensor(),
                    u.into_primitive().tensor(),
                )))
            }
            Similarity::Sparse(x, _) => Tensor::from_primitive(TensorPrimitive::Float(
                B::sym_spmm(x.clone(), u.into_primitive().tensor()),
            )),
        }
    }

    /// `X·U` for every `U` of `us`. On a dense X this is one product `X·[U_0 … U_K]`, sliced: a
    /// single pass over the n×n matrix instead of one per factor, and in the backward pass one
    /// `X·[G_0 … G_K]` instead of K + 1 (a skinny n×r product is bound by reading X; the wide one
    /// runs at the GEMM's rate). A sparse X multiplies each factor on its own: the same one
    /// product there would change the order in which autodiff adds each factor's gradients, and
    /// with it the trained numbers at rounding level (a 2-restart ORL run moved its relative
    /// error by 6e-6), for a product that is not the bottleneck.
    pub fn matmul_each(&self, us: &[Tensor<B, 2>]) -> Vec<Tensor<B, 2>> {
        match self {
            Similarity::Dense(_) if us.len() > 1 => {
                let widths: Vec<usize> = us.iter().map(|u| u.dims()[1]).collect();
                let y = self.matmul(Tensor::cat(us.to_vec(), 1));
                let mut start = 0;
                widths
                    .into_iter()
                    .map(|w| {
                        let part = y.clone().narrow(1, start, w);
                        start += w;
                        part
                    })
                    .collect()
            }
            _ => us.iter().map(|u| self.matmul(u.clone())).collect(),
        }
    }

    /// `‖X‖_F²`.
    pub fn frobenius2(&self) -> f64 {
        match self {
            Similarity::Dense(x) => crate::norms::frobenius2(x),
            Similarity::Sparse(x, _) => x.frobenius2(),
        }
    }

    /// The mean entry of X.
    pub fn mean(&self) -> f64 {
        match self {
            Similarity::Dense(x) => crate::norms::scalar(x.clone().mean()),
            Similarity::Sparse(x, _) => x.mean(),
        }
    }

    /// The same matrix without autodiff tracking (a dense X is detached; a sparse one never
    /// is tracked).
    pub fn detach(&self) -> Self {
        match self {
            Similarity::Dense(x) => Similarity::Dense(x.clone().detach()),
            Similarity::Sparse(x, d) => Similarity::Sparse(x.clone(), d.clone()),
        }
    }

    /// `"dense"` or `"sparse"`, for logs and summaries.
    pub fn storage(&self) -> &'static str {
        match self {
            Similarity::Dense(_) => "dense",
            Similarity::Sparse(..) => "sparse",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> SparseSymmetric {
        // [[0, 2, 0], [2, 1, 3], [0, 3, 0]]
        SparseSymmetric::new(
            3,
            vec![0, 1, 4, 5],
            vec![1, 0, 1, 2, 1],
            vec![2., 2., 1., 3., 3.],
        )
        .unwrap()
    }

    #[test]
    fn product_matches_dense() {
        let x = small();
        let u = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let d = x.to_dense();
        let y = x.mul(&u, 2);
        for i in 0..3 {
            for c in 0..2 {
                let want: f64 = (0..3).map(|j| d[i * 3 + j] as f64 * u[j * 2 + c]).sum();
                assert_eq!(y[i * 2 + c], want);
            }
        }
        assert_eq!(x.frobenius2(), 4. + 4. + 1. + 9. + 9.);
        assert!((x.mean() - 11.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn bad_structures_are_errors() {
        // not symmetric
        assert!(SparseSymmetric::new(2, vec![0, 1, 1], vec![1], vec![1.0]).is_err());
        // column out of range
        assert!(SparseSymmetric::new(2, vec![0, 1, 1], vec![2], vec![1.0]).is_err());
        // pointer count
        assert!(SparseSymmetric::new(2, vec![0, 1], vec![0], vec![1.0]).is_err());
        // NaN
        assert!(SparseSymmetric::new(1, vec![0, 1], vec![0], vec![f32::NAN]).is_err());
        // lengths
        assert!(SparseSymmetric::new(1, vec![0, 1], vec![0], vec![]).is_err());
    }
}
