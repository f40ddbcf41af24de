//! The PatchGAN discriminator (pix2pix 70×70 layout) on the channel concatenation of a source
//! group and a reconstruction (or, for "real" pairs, the source's PCA reconstruction).

use crate::config::DiscriminatorConfig;
use crate::generator::batch_norm;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::tensor::activation::leaky_relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    convs: Vec<Conv2d<B>>,
    /// Norms of convs 1..=3 (the first and the last conv have none).
    norms: Vec<BatchNorm<B>>,
    per_group_norm: bool,
}

fn conv<B: Backend>(
    cin: usize,
    cout: usize,
    stride: usize,
    std: f64,
    device: &B::Device,
) -> Conv2d<B> {
    Conv2dConfig::new([cin, cout], [4, 4])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_initializer(Initializer::Normal { mean: 0.0, std })
        .init(device)
}

impl DiscriminatorConfig {
    /// The number of parameters [`init`](Self::init) makes (the norms' running statistics
    /// included), from the config alone.
    pub fn parameter_count(&self) -> u64 {
        let c = self.base_channels as u128;
        let conv = |cin: u128, cout: u128| 16 * cin * cout + cout;
        let count = conv(self.in_channels as u128, c)
            + conv(c, 2 * c)
            + conv(2 * c, 4 * c)
            + conv(4 * c, 8 * c)
            + conv(8 * c, 1)
            + 4 * (2 * c + 4 * c + 8 * c);
        u64::try_from(count).unwrap_or(u64::MAX)
    }

    pub fn init<B: Backend>(&self, device: &B::Device) -> Discriminator<B> {
        let c = self.base_channels;
        let s = self.init_std;
        let convs = vec![
            conv(self.in_channels, c, 2, s, device),
            conv(c, 2 * c, 2, s, device),
            conv(2 * c, 4 * c, 2, s, device),
            conv(4 * c, 8 * c, 1, s, device),
            conv(8 * c, 1, 1, s, device),
        ];
        let norms = [2 * c, 4 * c, 8 * c]
            .into_iter()
            .map(|n| BatchNormConfig::new(n).init(device))
            .collect();
        Discriminator {
            convs,
            norms,
            per_group_norm: self.per_group_norm,
        }
    }
}

impl<B: Backend> Discriminator<B> {
    /// `pair`: [batch, 2·group, height, width] → patch logits [batch, 1, p, p].
    pub fn forward(&self, pair: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut x = leaky_relu(self.convs[0].forward(pair), 0.2);
        for (conv, norm) in self.convs[1..4].iter().zip(&self.norms) {
            x = leaky_relu(batch_norm(norm, conv.forward(x), self.per_group_norm), 0.2);
        }
        self.convs[4].forward(x)
    }

    /// The logits of two batches of pairs, each as [`forward`](Self::forward) gives it, with
    /// both batches going through every convolution together (a convolution treats samples
    /// independently) and through every norm apart (a batch norm in training normalises by the
    /// statistics of the batch it is given, and updates its running statistics once per call,
    /// `a`'s first as two calls of `forward` would). Each convolution's weight is then used
    /// once, so the backward pass forms one gradient per weight instead of two that are added
    /// afterwards: on flex that sum of two permuted gradients ran element by element and took
    /// half of the discriminator's backward pass.
    pub fn forward_pair(&self, a: Tensor<B, 4>, b: Tensor<B, 4>) -> (Tensor<B, 4>, Tensor<B, 4>) {
        let (na, nb) = (a.dims()[0], b.dims()[0]);
        let mut x = leaky_relu(self.convs[0].forward(Tensor::cat(vec![a, b], 0)), 0.2);
        for (conv, norm) in self.convs[1..4].iter().zip(&self.norms) {
            let y = conv.forward(x);
            let ya = batch_norm(norm, y.clone().narrow(0, 0, na), self.per_group_norm);
            let yb = batch_norm(norm, y.narrow(0, na, nb), self.per_group_norm);
            x = leaky_relu(Tensor::cat(vec![ya, yb], 0), 0.2);
        }
        let out = self.convs[4].forward(x);
        (out.clone().narrow(0, 0, na), out.narrow(0, na, nb))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::Distribution;

    #[test]
    fn patch_logits_have_the_pix2pix_shape() {
        let device = Default::default();
        let d = DiscriminatorConfig {
            base_channels: 8,
            ..Default::default()
        }
        .init::<Flex>(&device);
        // 32 → 16 → 8 → 4 → 3 → 2 and 64 → 32 → 16 → 8 → 7 → 6.
        for (side, p) in [(32usize, 2usize), (64, 6)] {
            let x = Tensor::random(
                [2, 80, side, side],
                Distribution::Uniform(0.0, 1.0),
                &device,
            );
            assert_eq!(d.forward(x).dims(), [2, 1, p, p]);
        }
    }

    /// One pass over both batches gives the logits, the gradients and the running statistics
    /// of two separate passes (batch norm on whole batches, and per group).
    #[test]
    fn a_pair_in_one_pass_equals_two_passes() {
        use burn::backend::Autodiff;
        use burn::module::Module;
        type A = Autodiff<Flex>;
        let device = Default::default();
        for per_group_norm in [false, true] {
            let cfg = DiscriminatorConfig {
                base_channels: 8,
                per_group_norm,
                ..Default::default()
            };
            // Two models with the same weights, each with its own running statistics (a
            // forward pass draws the lazily initialised weights before they are copied).
            let one = cfg.init::<A>(&device);
            let _ = one.forward(Tensor::zeros([1, 80, 32, 32], &device));
            let two = cfg
                .init::<A>(&device)
                .load_record(one.clone().into_record());
            let x = |seed: u64| {
                <A as Backend>::seed(&device, seed);
                Tensor::<A, 4>::random([2, 80, 32, 32], Distribution::Uniform(0.0, 1.0), &device)
            };
            let (a, b) = (x(1), x(2));
            let (pa, pb) = one.forward_pair(a.clone(), b.clone());
            let (sa, sb) = (two.forward(a), two.forward(b));
            let close = |p: Tensor<A, 4>, q: Tensor<A, 4>, what: &str| {
                let diff = (p.clone() - q).abs().max().into_scalar();
                let scale = p.abs().max().into_scalar().max(1e-6);
                assert!(diff <= 1e-5 * scale, "{what}: {diff} (scale {scale})");
            };
            close(pa.clone(), sa.clone(), "logits of a");
            close(pb.clone(), sb.clone(), "logits of b");
            // A loss that weighs the two batches differently, so their gradients differ.
            let g1 = (pa.mean() - pb.mean() * 0.5).backward();
            let g2 = (sa.mean() - sb.mean() * 0.5).backward();
            for (i, (c1, c2)) in one.convs.iter().zip(&two.convs).enumerate() {
                let w1 = c1.weight.grad(&g1).expect("trained weight");
                let w2 = c2.weight.grad(&g2).expect("trained weight");
                let diff = (w1.clone() - w2).abs().max().into_scalar();
                let scale = w1.abs().max().into_scalar().max(1e-12);
                assert!(
                    diff <= 1e-4 * scale,
                    "conv {i} weight gradient: {diff} (scale {scale})"
                );
            }
            for (n1, n2) in one.norms.iter().zip(&two.norms) {
                let (m1, m2) = (n1.running_mean.value(), n2.running_mean.value());
                let diff = (m1 - m2).abs().max().into_scalar();
                assert!(diff <= 1e-6, "running mean: {diff}");
            }
        }
    }
}
