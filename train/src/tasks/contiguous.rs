//! A contiguous (row-major) copy of a strided tensor view, for the optimiser's element-wise ops.
//!
//! Burn's convolution backward returns weight gradients as permuted views (`[out, in, kh, kw]`
//! over a buffer laid out `[in, out, kh, kw]`). Adam runs much faster on contiguous operands, so
//! the GAN-UNET step copies each such gradient once. flex copies a layout that does not collapse
//! to two dimensions one element at a time through its strided iterator: `perf` on a flex
//! training step (paper width, batch 1) put 25 % of the step in that copy. Here a flex view
//! whose innermost dimensions form a contiguous run (the `kh·kw` taps of a kernel) is copied run
//! by run instead; every other layout and backend keeps the backend's own copy.

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// `t` laid out contiguously; values and shape unchanged.
pub fn contiguous<B: Backend, const D: usize>(t: Tensor<B, D>) -> Tensor<B, D> {
    #[cfg(feature = "flex")]
    let t = match flex::copy_runs(t) {
        Ok(copied) => return copied,
        Err(t) => t,
    };
    let dims = t.dims();
    let n = dims.iter().product::<usize>();
    t.reshape([n]).reshape(dims)
}

#[cfg(feature = "flex")]
mod flex {
    use burn::backend::flex::FlexTensor;
    use burn::tensor::backend::Backend;
    use burn::tensor::ops::FloatTensor;
    use burn::tensor::{DType, Tensor, TensorData, TensorPrimitive};
    use rayon::prelude::*;
    use std::any::Any;

    /// Runs shorter than this go through flex's own copy (its tiled 2-D transpose is the better
    /// copy for single elements).
    const MIN_RUN: usize = 4;

    /// The copy when `t` is a flex f32 view with positive strides and an inner run of at least
    /// [`MIN_RUN`] elements; `Err(t)` (untouched) otherwise.
    pub(super) fn copy_runs<B: Backend, const D: usize>(
        t: Tensor<B, D>,
    ) -> Result<Tensor<B, D>, Tensor<B, D>> {
        let prim = match t.into_primitive() {
            TensorPrimitive::Float(p) => p,
            other => return Err(Tensor::from_primitive(other)),
        };
        let boxed: Box<dyn Any> = Box::new(prim);
        let flex = match boxed.downcast::<FlexTensor>() {
            Ok(f) => *f,
            Err(other) => return Err(back::<B, D>(other)),
        };
        match copy(&flex) {
            Some(c) => Ok(back::<B, D>(Box::new(c))),
            None => Err(back::<B, D>(Box::new(flex))),
        }
    }

    /// The boxed primitive as a tensor of `B` (the box holds `FloatTensor<B>`).
    fn back<B: Backend, const D: usize>(boxed: Box<dyn Any>) -> Tensor<B, D> {
        let prim = boxed
            .downcast::<FloatTensor<B>>()
            .expect("the primitive came from a tensor of this backend");
        Tensor::from_primitive(TensorPrimitive::Float(*prim))
    }

    fn copy(t: &FlexTensor) -> Option<FlexTensor> {
        if t.dtype() != DType::F32 || t.is_contiguous() {
            return None;
        }
        let layout = t.layout();
        let shape: &[usize] = layout.shape();
        let strides = layout.strides();
        if strides.iter().any(|&s| s <= 0) || shape.contains(&0) {
            return None;
        }
        // The innermost dimensions that are contiguous in memory form one run.
        let mut run = 1usize;
        let mut outer = shape.len();
        while outer > 0 && strides[outer - 1] as usize == run {
            run *= shape[outer - 1];
            outer -= 1;
        }
        if run < MIN_RUN || outer == 0 {
            return None;
        }
        let (outer_shape, outer_strides) = (&shape[..outer], &strides[..outer]);
        let runs: usize = outer_shape.iter().product();
        let src: &[f32] = t.storage::<f32>();
        let offset = layout.start_offset();
        // Rows of the first outer dimension in parallel; within a row, the remaining outer
        // indices advance like an odometer (no divisions per run).
        let row_len = runs / outer_shape[0] * run;
        let mut dst = vec![0.0f32; runs * run];
        dst.par_chunks_mut(row_len)
            .enumerate()
            .for_each(|(i0, row)| {
                let inner_shape = &outer_shape[1..];
                let inner_strides = &outer_strides[1..];
                let mut index = vec![0usize; inner_shape.len()];
                let mut at = offset + i0 * outer_strides[0] as usize;
                for out in row.chunks_exact_mut(run) {
                    out.copy_from_slice(&src[at..at + run]);
                    for d in (0..index.len()).rev() {
                        index[d] += 1;
                        at += inner_strides[d] as usize;
                        if index[d] < inner_shape[d] {
                            break;
                        }
                        at -= inner_shape[d] * inner_strides[d] as usize;
                        index[d] = 0;
                    }
                }
            });
        Some(FlexTensor::from_data(TensorData::new(dst, shape.to_vec())))
    }

    #[cfg(test)]
    mod tests {
        use super::super::contiguous;
        use burn::backend::Flex;
        use burn::tensor::{Tensor, TensorData};

        /// Every permutation of a 4-D tensor (runs of 1, 3, 12 and 60 elements, and the identity)
        /// and a narrowed view come out with the values of the backend's own copy.
        #[test]
        fn matches_the_backend_copy_for_permuted_and_narrowed_views() {
            let device = Default::default();
            let dims = [5usize, 4, 3, 6];
            let n: usize = dims.iter().product();
            let values: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let base = Tensor::<Flex, 4>::from_data(TensorData::new(values, dims), &device);
            let perms: [[usize; 4]; 6] = [
                [1, 0, 2, 3],
                [0, 1, 2, 3],
                [2, 0, 1, 3],
                [3, 2, 1, 0],
                [1, 2, 0, 3],
                [0, 2, 1, 3],
            ];
            let mut views: Vec<Tensor<Flex, 4>> =
                perms.iter().map(|p| base.clone().permute(*p)).collect();
            views.push(base.clone().swap_dims(0, 1).narrow(1, 1, 3));
            views.push(base.clone().narrow(3, 0, 5));
            for v in views {
                let dims = v.dims();
                let expected = v.clone().into_data().to_vec::<f32>().unwrap();
                let got = contiguous(v);
                assert_eq!(got.dims(), dims);
                assert_eq!(
                    got.into_data().to_vec::<f32>().unwrap(),
                    expected,
                    "{dims:?}"
                );
            }
        }
    }
}
