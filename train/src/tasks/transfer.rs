//! Host matrices (`nmfnet_datasets::Dense`, row-major f32) to and from device tensors.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::Dense;
use symnmf_burn::{Similarity, SparseSymmetric};

/// Moves a host matrix to the device, in the backend's float type.
pub fn to_device<B: Backend>(m: &Dense, device: &B::Device) -> Tensor<B, 2> {
    Tensor::from_data(
        TensorData::new(m.data().to_vec(), m.shape()).convert::<B::FloatElem>(),
        device,
    )
}

/// Moves a host matrix to the device without a second host copy (the buffer is handed over).
pub fn into_device<B: Backend>(m: Dense, device: &B::Device) -> Tensor<B, 2> {
    let shape = m.shape();
    Tensor::from_data(
        TensorData::new(m.into_data(), shape).convert::<B::FloatElem>(),
        device,
    )
}

/// Copies a device matrix to the host.
pub fn to_host<B: Backend>(t: Tensor<B, 2>) -> Dense {
    let [r, c] = t.dims();
    let v = t
        .into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .expect("f32 after convert");
    Dense::new(r, c, v).expect("dims match the data")
}

/// The network's view of a graph: a dense one goes to the device, a sparse one stays on the
/// host and is multiplied there (see `symnmf_burn::similarity`).
pub fn to_similarity<B: Backend>(x: &Graph, device: &B::Device) -> anyhow::Result<Similarity<B>> {
    Ok(match x {
        Graph::Dense(d) => Similarity::Dense(to_device::<B>(d, device)),
        Graph::Sparse(c) => Similarity::sparse(
            SparseSymmetric::new(
                c.nrows(),
                c.indptr().to_vec(),
                c.indices().to_vec(),
                c.values().to_vec(),
            )?,
            device,
        ),
    })
}
