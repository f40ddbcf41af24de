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
}
