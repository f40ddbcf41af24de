//! What a backend must provide to run and train the network: its two custom ops (the
//! inversion layer and the sparse product), on the backend and, for training, on its inner
//! backend under autodiff.

use crate::inverse::InverseBackend;
use crate::similarity::SparseBackend;

/// A backend with both custom ops of the network: the inversion layer and the sparse product.
pub trait NetBackend: InverseBackend + SparseBackend {}
impl<B: InverseBackend + SparseBackend> NetBackend for B {}

/// An autodiff backend whose inner backend also has the inversion layer: what training needs.
pub trait SymNmfAutodiffBackend:
    NetBackend + burn::tensor::backend::AutodiffBackend<InnerBackend: NetBackend>
{
}
impl<B> SymNmfAutodiffBackend for B where
    B: NetBackend + burn::tensor::backend::AutodiffBackend<InnerBackend: NetBackend>
{
}
