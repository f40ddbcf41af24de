//! A SymNMF-Net task restored from arbitrary state bytes that pass the checksum (as a forged or
//! mismatched checkpoint would): an error or a restored model, never a crash.
#![no_main]
use burn::backend::{Autodiff, Flex};
use burn::tensor::Tensor;
use libfuzzer_sys::fuzz_target;
use nmfnet_datasets::graph::Graph;
use nmfnet_datasets::Dense;
use nmfnet_train::checkpoint::restore_from_state;
use nmfnet_train::tasks::symnmf::SymNmfTask;
use symnmf_burn::{SymNmfNetConfig, SymNmfTrainingConfig};

fuzz_target!(|data: &[u8]| {
    let n = 6;
    let mut x = vec![0.1f32; n * n];
    for i in 0..n {
        x[i * n + i] = 1.0;
    }
    let graph = Graph::Dense(Dense::new(n, n, x).unwrap());
    let cfg = SymNmfTrainingConfig {
        model: SymNmfNetConfig {
            rank: 2,
            blocks: 2,
            ..Default::default()
        },
        epochs: 2,
        ..Default::default()
    };
    let device = Default::default();
    let mut task = SymNmfTask::<Autodiff<Flex>>::new(cfg, &graph, &device).unwrap();
    let _ = restore_from_state(&mut task, 1, data);
    drop(task);
    // Burn's autodiff frees the graphs of dropped tensors at the next backward pass; a training
    // run has one every step, this loop would have none and grow by ~45 KB per case.
    let t = Tensor::<Autodiff<Flex>, 1>::ones([1], &device).require_grad();
    let _ = (t * 2.0).sum().backward();
});
