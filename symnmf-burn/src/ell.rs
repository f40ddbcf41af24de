//! `X·U` for a sparse X without leaving the device: X in sliced ELL form (blocks of rows, each
//! block padded to its longest row) and, per block, a gather of the rows of U that its entries
//! name, a product with the entries' values and a sum over each row's slots.
//!
//! wgpu takes the sparse product this way when `NMFNET_WGPU_SPARSE=device` is set (see
//! [`crate::SparseBackend::sym_spmm`]); otherwise U is read back to the host and the product
//! uploaded, one round trip per product. The index and value tensors of a matrix are uploaded
//! once and kept for as long as the matrix lives ([`DeviceEll::cached`]).

use crate::similarity::SparseSymmetric;
#[cfg(feature = "wgpu")]
use crate::similarity::{host_spmm, SparseBackend};
use burn::tensor::backend::Backend;
#[cfg(feature = "wgpu")]
use burn::tensor::ops::FloatTensor;
#[cfg(feature = "wgpu")]
use burn::tensor::TensorPrimitive;
use burn::tensor::{Int, Tensor, TensorData};
use std::any::Any;
use std::sync::{Arc, Mutex, Weak};

/// Whether `NMFNET_WGPU_SPARSE=device` asks for the device form of the sparse product (read
/// once per process; `host`, unset or anything else: through the host).
pub fn device_products_asked() -> bool {
    static ASKED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ASKED.get_or_init(|| {
        std::env::var("NMFNET_WGPU_SPARSE").is_ok_and(|v| v.eq_ignore_ascii_case("device"))
    })
}

/// Rows per block: the padding of a block is set by its own longest row, so a hub only widens
/// its own block.
pub const BLOCK_ROWS: usize = 2048;

/// One block of rows: the flattened column indices (`rows·width`, padding points at row 0) and
/// the values (`[rows, width, 1]`, padding 0).
#[derive(Debug, Clone)]
struct Block<B: Backend> {
    rows: usize,
    width: usize,
    indices: Tensor<B, 1, Int>,
    values: Tensor<B, 3>,
}

/// A sparse symmetric matrix on a device, ready for products with n×r factors.
#[derive(Debug, Clone)]
pub struct DeviceEll<B: Backend> {
    n: usize,
    device: B::Device,
    blocks: Vec<Block<B>>,
}

impl<B: Backend> DeviceEll<B> {
    /// Uploads `x` in blocks of `block_rows` rows.
    pub fn new(x: &SparseSymmetric, block_rows: usize, device: &B::Device) -> Self {
        let n = x.n();
        let block_rows = block_rows.max(1);
        let mut blocks = Vec::new();
        let mut start = 0;
        while start < n {
            let rows = block_rows.min(n - start);
            let width = (start..start + rows)
                .map(|i| x.row(i).0.len())
                .max()
                .unwrap_or(0)
                .max(1);
            let mut idx = vec![0i64; rows * width];
            let mut val = vec![0.0f32; rows * width];
            for r in 0..rows {
                let (cols, vals) = x.row(start + r);
                for (s, (&j, &v)) in cols.iter().zip(vals).enumerate() {
                    idx[r * width + s] = j as i64;
                    val[r * width + s] = v;
                }
            }
            blocks.push(Block {
                rows,
                width,
                indices: Tensor::from_data(
                    TensorData::new(idx, [rows * width]).convert::<B::IntElem>(),
                    device,
                ),
                values: Tensor::from_data(
                    TensorData::new(val, [rows, width, 1]).convert::<B::FloatElem>(),
                    device,
                ),
            });
            start += rows;
        }
        Self {
            n,
            device: device.clone(),
            blocks,
        }
    }

    /// `X·U` for the n×r `u` (on this matrix's device).
    pub fn mul(&self, u: Tensor<B, 2>) -> Tensor<B, 2> {
        let [n, r] = u.dims();
        assert_eq!(n, self.n, "X·U: X is {0}×{0} but U has {n} rows", self.n);
        let parts: Vec<Tensor<B, 2>> = self
            .blocks
            .iter()
            .map(|b| {
                u.clone()
                    .select(0, b.indices.clone())
                    .reshape([b.rows, b.width, r])
                    .mul(b.values.clone())
                    .sum_dim(1)
                    .reshape([b.rows, r])
            })
            .collect();
        if parts.len() == 1 {
            parts.into_iter().next().expect("one block")
        } else {
            Tensor::cat(parts, 0)
        }
    }

    /// The device form of `x` on `device`, uploaded at the first call and kept while `x` lives
    /// (one entry per matrix and device; entries of dropped matrices are removed).
    pub fn cached(x: &Arc<SparseSymmetric>, device: &B::Device) -> Self
    where
        B::Device: Send,
        Self: Send,
    {
        type Entry = (Weak<SparseSymmetric>, Box<dyn Any + Send>);
        static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.retain(|(w, _)| w.strong_count() > 0);
        let weak = Arc::downgrade(x);
        for (w, held) in cache.iter() {
            if Weak::ptr_eq(w, &weak) {
                if let Some(ell) = held.downcast_ref::<Self>() {
                    if &ell.device == device {
                        return ell.clone();
                    }
                }
            }
        }
        #[cfg(test)]
        tests::CACHED_UPLOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let ell = Self::new(x, BLOCK_ROWS, device);
        cache.push((weak, Box::new(ell.clone())));
        ell
    }
}

/// wgpu takes the sparse product through the host by default; with
/// `NMFNET_WGPU_SPARSE=device` it stays on the device (this module: X uploaded once in
/// sliced ELL form, each product a gather, a product and a sum there). On lavapipe (Vulkan on
/// the CPU, 2 cores) the device form was the slower one, 22–157 ms against 1.3–2.8 ms per
/// product for n = 1000–9394, r = 10 (`bench spmm`); it has not been timed on a GPU yet.
#[cfg(feature = "wgpu")]
impl SparseBackend for burn::backend::Wgpu {
    fn sym_spmm(x: Arc<SparseSymmetric>, u: FloatTensor<Self>) -> FloatTensor<Self> {
        let u = Tensor::<Self, 2>::from_primitive(TensorPrimitive::Float(u));
        if device_products_asked() {
            let ell = DeviceEll::<Self>::cached(&x, &u.device());
            ell.mul(u).into_primitive().tensor()
        } else {
            host_spmm(&x, u).into_primitive().tensor()
        }
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Uploads made by [`DeviceEll::cached`] (only the cache test calls it).
    pub(super) static CACHED_UPLOADS: AtomicUsize = AtomicUsize::new(0);

    /// A symmetric graph whose rows have 0 to 9 entries (row 0 a hub with many), so that blocks
    /// differ in width and some rows are empty.
    fn uneven_graph(n: usize) -> SparseSymmetric {
        let mut dense = vec![0.0f32; n * n];
        for i in 0..n {
            for j in 0..i {
                let hub = i == 0 || j == 0;
                if hub && (i + j) % 3 == 0 || (i * 7 + j * 3) % 11 == 0 && i % 5 != 4 {
                    let v = 0.1 + ((i * 31 + j * 17) % 13) as f32 / 13.0;
                    dense[i * n + j] = v;
                    dense[j * n + i] = v;
                }
            }
        }
        let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
        for i in 0..n {
            for j in 0..n {
                if dense[i * n + j] != 0.0 {
                    indices.push(j);
                    values.push(dense[i * n + j]);
                }
            }
            indptr.push(indices.len());
        }
        SparseSymmetric::new(n, indptr, indices, values).unwrap()
    }

    #[test]
    fn device_product_matches_the_host_product() {
        let device = Default::default();
        let (n, r) = (53, 4);
        let x = uneven_graph(n);
        let u: Vec<f64> = (0..n * r)
            .map(|i| ((i * 37) % 19) as f64 / 7.0 - 1.0)
            .collect();
        let want = x.mul(&u, r);
        let ut = Tensor::<Flex, 2>::from_data(
            TensorData::new(u.clone(), [n, r]).convert::<f32>(),
            &device,
        );
        for block_rows in [1, 7, 16, 53, 100] {
            let ell = DeviceEll::<Flex>::new(&x, block_rows, &device);
            let got = ell
                .mul(ut.clone())
                .into_data()
                .convert::<f64>()
                .to_vec::<f64>()
                .unwrap();
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                    "block {block_rows}, entry {k}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn the_cache_keeps_one_upload_per_matrix_and_drops_it_with_the_matrix() {
        let device = Default::default();
        let x = Arc::new(uneven_graph(20));
        let a = DeviceEll::<Flex>::cached(&x, &device);
        let b = DeviceEll::<Flex>::cached(&x, &device);
        assert_eq!(
            CACHED_UPLOADS.load(Ordering::SeqCst),
            1,
            "the second call re-uploaded"
        );
        assert_eq!(a.blocks.len(), b.blocks.len());
        let other = Arc::new(uneven_graph(21));
        let c = DeviceEll::<Flex>::cached(&other, &device);
        assert_eq!(c.n, 21);
        assert_eq!(CACHED_UPLOADS.load(Ordering::SeqCst), 2);
        let weak = Arc::downgrade(&x);
        drop((x, a, b));
        assert_eq!(
            weak.strong_count(),
            0,
            "the cache must not keep the matrix alive"
        );
    }
}
