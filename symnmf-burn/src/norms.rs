//! Reductions of a tensor read back to the host as `f64`.

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// Reads a one-element tensor as `f64`.
pub fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("f64 after convert")[0]
}

/// `‖X‖_F²` of a dense similarity matrix, as `f64`.
/// Summed in blocks of rows: squaring the whole matrix at once would hold a second n×n tensor
/// (a peak of 2·X for the largest object of the run).
pub fn frobenius2<B: Backend>(x: &Tensor<B, 2>) -> f64 {
    let [n, m] = x.dims();
    let rows = (1usize << 22).div_ceil(m.max(1)).max(1);
    let mut total = 0.0;
    let mut start = 0;
    while start < n {
        let end = (start + rows).min(n);
        total += scalar(x.clone().slice([start..end, 0..m]).square().sum());
        start = end;
    }
    total
}
