//! Host copies of tensors, tensors from host values, and the distances the cases compare.

/// Row-major host copy of a tensor, as `f64`.
pub fn host<B: burn::tensor::backend::Backend, const D: usize>(
    t: burn::tensor::Tensor<B, D>,
) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("f64 after convert")
}

/// A tensor from `f64` host values, in the backend's float type.
pub fn tensor<B: burn::tensor::backend::Backend, const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &B::Device,
) -> burn::tensor::Tensor<B, D> {
    burn::tensor::Tensor::from_data(
        burn::tensor::TensorData::new(values, shape).convert::<B::FloatElem>(),
        device,
    )
}

/// Largest absolute entry.
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Largest absolute difference.
pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}
