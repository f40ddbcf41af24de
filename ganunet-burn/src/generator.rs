//! The U-Net generator: the group of images as channels in, H (k basis images) and W (k × group
//! weights) out, both through ReLU, so `Ŷ = HW` is a nonnegative factorisation by construction.

use crate::config::{GanUnetError, GeneratorConfig};
use crate::nnls::Sweeps;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{leaky_relu, relu};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// 4×4, stride 2, padding 1 convolution: halves the side.
fn down_conv<B: Backend>(cin: usize, cout: usize, std: f64, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([cin, cout], [4, 4])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_initializer(Initializer::Normal { mean: 0.0, std })
        .init(device)
}

/// 4×4, stride 2, padding 1 transposed convolution: doubles the side.
fn up_conv<B: Backend>(
    cin: usize,
    cout: usize,
    std: f64,
    device: &B::Device,
) -> ConvTranspose2d<B> {
    ConvTranspose2dConfig::new([cin, cout], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .with_initializer(Initializer::Normal { mean: 0.0, std })
        .init(device)
}

/// Batch norm of `x` [batch, c, h, w] over the whole batch or, with `per_group`, over each group
/// on its own (the statistics of a batch of 1), so that splitting a batch between data-parallel
/// peers changes nothing.
pub(crate) fn batch_norm<B: Backend>(
    norm: &BatchNorm<B>,
    x: Tensor<B, 4>,
    per_group: bool,
) -> Tensor<B, 4> {
    let batch = x.dims()[0];
    if !per_group || batch == 1 {
        return norm.forward(x);
    }
    let groups = x.chunk(batch, 0).into_iter().map(|g| norm.forward(g));
    Tensor::cat(groups.collect(), 0)
}

#[derive(Module, Debug)]
pub struct Down<B: Backend> {
    conv: Conv2d<B>,
    norm: Option<BatchNorm<B>>,
}

#[derive(Module, Debug)]
pub struct Up<B: Backend> {
    conv: ConvTranspose2d<B>,
    norm: BatchNorm<B>,
}

/// A stage of the generator's forward pass, as [`Generator::forward_laps`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Encoder level i (0 = the outermost): 4×4 stride-2 convolution, batch norm, leaky ReLU.
    Down(usize),
    /// The W head: spatial mean of the bottleneck, linear, ReLU.
    HeadW,
    /// Decoder level j (producing level j's channels): transposed convolution, batch norm,
    /// ReLU, concatenation with the skip.
    Up(usize),
    /// The H head: transposed convolution to k channels, ReLU.
    HeadH,
    /// The NNLS layer's HALS sweeps on W.
    Nnls,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Down(i) => write!(f, "down {}", i + 1),
            Stage::HeadW => write!(f, "W head"),
            Stage::Up(j) => write!(f, "up {}", j + 1),
            Stage::HeadH => write!(f, "H head"),
            Stage::Nnls => write!(f, "NNLS layer"),
        }
    }
}

#[derive(Module, Debug)]
pub struct Generator<B: Backend> {
    downs: Vec<Down<B>>,
    /// `ups[j]` produces level j's channels from level j + 1 (j = levels − 2 … 0).
    ups: Vec<Up<B>>,
    head_h: ConvTranspose2d<B>,
    head_w: Linear<B>,
    group: usize,
    k: usize,
    nnls_sweeps: usize,
    per_group_norm: bool,
}

impl GeneratorConfig {
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<Generator<B>, GanUnetError> {
        self.validate()?;
        let l = self.levels.max(1);
        let std = self.init_std;
        let mut downs = Vec::with_capacity(l);
        for i in 0..l {
            let cin = if i == 0 {
                self.group
            } else {
                self.channels(i - 1)
            };
            let cout = self.channels(i);
            // No norm on the outermost level (pix2pix) nor on the bottleneck (1×1 at batch 1).
            let norm = (i > 0 && i + 1 < l).then(|| BatchNormConfig::new(cout).init(device));
            downs.push(Down {
                conv: down_conv(cin, cout, std, device),
                norm,
            });
        }
        let mut ups = Vec::with_capacity(l.saturating_sub(1));
        for j in 0..l.saturating_sub(1) {
            // Input: the bottleneck for the innermost up, else the previous up ⊕ its skip.
            let cin = if j + 2 == l {
                self.channels(l - 1)
            } else {
                2 * self.channels(j + 1)
            };
            let cout = self.channels(j);
            ups.push(Up {
                conv: up_conv(cin, cout, std, device),
                norm: BatchNormConfig::new(cout).init(device),
            });
        }
        let head_in = if l == 1 {
            self.channels(0)
        } else {
            2 * self.channels(0)
        };
        Ok(Generator {
            downs,
            ups,
            head_h: up_conv(head_in, self.k, std, device),
            head_w: LinearConfig::new(self.channels(l - 1), self.k * self.group)
                .with_initializer(Initializer::Normal { mean: 0.0, std })
                .init(device),
            group: self.group,
            k: self.k,
            nnls_sweeps: self.nnls_sweeps,
            per_group_norm: self.per_group_norm,
        })
    }
}

impl GeneratorConfig {
    /// The number of parameters [`init`](Self::init) makes (weights and biases of every
    /// convolution and of the W head, the norms' scales, shifts and running statistics, as
    /// Burn's `num_params` counts them), counted from the config
    /// alone, so that a width can be refused before anything is allocated.
    pub fn parameter_count(&self) -> u64 {
        // In u128: a config's sizes are not bounded before this is asked, and the count must
        // not wrap into a small number.
        let l = self.levels.clamp(1, 64);
        let ch = |i: usize| self.channels(i) as u128;
        let conv = |cin: u128, cout: u128| 16 * cin * cout + cout;
        let mut count = 0u128;
        for i in 0..l {
            let cin = if i == 0 {
                self.group as u128
            } else {
                ch(i - 1)
            };
            count += conv(cin, ch(i)) + if i > 0 && i + 1 < l { 4 * ch(i) } else { 0 };
        }
        for j in 0..l.saturating_sub(1) {
            let cin = if j + 2 == l { ch(l - 1) } else { 2 * ch(j + 1) };
            count += conv(cin, ch(j)) + 4 * ch(j);
        }
        let head_in = if l == 1 { ch(0) } else { 2 * ch(0) };
        // k and the group size are the only unbounded factors of one product.
        let kw = (self.k as u128).saturating_mul(self.group as u128);
        count = count
            .saturating_add(conv(head_in, self.k as u128))
            .saturating_add(ch(l - 1).saturating_mul(kw))
            .saturating_add(kw);
        u64::try_from(count).unwrap_or(u64::MAX)
    }

    /// Floating-point operations per group of each stage of the forward pass on `side`×`side`
    /// images, in forward order (2 per multiply-add; the convolutions' and products' arithmetic,
    /// not the norms or activations; the NNLS layer's two products and its sweeps' row
    /// updates).
    pub fn stage_flops(&self, side: usize) -> Vec<(Stage, f64)> {
        let l = self.levels.max(1);
        let ch = |i: usize| self.channels(i) as f64;
        let mut v = Vec::new();
        for i in 0..l {
            let cin = if i == 0 { self.group as f64 } else { ch(i - 1) };
            let out_side = (side >> (i + 1)) as f64;
            v.push((
                Stage::Down(i),
                2.0 * out_side * out_side * cin * ch(i) * 16.0,
            ));
        }
        v.push((Stage::HeadW, 2.0 * ch(l - 1) * (self.k * self.group) as f64));
        for j in (0..l.saturating_sub(1)).rev() {
            let cin = if j + 2 == l {
                ch(l - 1)
            } else {
                2.0 * ch(j + 1)
            };
            let in_side = (side >> (j + 2)) as f64;
            v.push((Stage::Up(j), 2.0 * in_side * in_side * cin * ch(j) * 16.0));
        }
        let head_in = if l == 1 { ch(0) } else { 2.0 * ch(0) };
        let half = (side / 2) as f64;
        v.push((
            Stage::HeadH,
            2.0 * half * half * head_in * self.k as f64 * 16.0,
        ));
        if self.nnls_sweeps > 0 {
            let (p, k, m) = ((side * side) as f64, self.k as f64, self.group as f64);
            let sweeps = self.nnls_sweeps as f64;
            v.push((
                Stage::Nnls,
                2.0 * p * k * k + 2.0 * p * k * m + sweeps * k * 2.0 * k * m,
            ));
        }
        v
    }
}

impl<B: Backend> Generator<B> {
    pub fn k(&self) -> usize {
        self.k
    }

    pub fn group(&self) -> usize {
        self.group
    }

    /// `x`: [batch, group, height, width] → (H [batch, k, height, width], W [batch, k, group]).
    pub fn forward(&self, x: Tensor<B, 4>) -> (Tensor<B, 4>, Tensor<B, 3>) {
        self.forward_laps(x, Sweeps::Tensor, &mut |_| {})
    }

    /// [`Self::forward`] with a profiling hook: `lap(stage)` is called after each stage —
    /// [`Stage::Down`] per encoder level, [`Stage::HeadW`], [`Stage::Up`] per decoder level,
    /// [`Stage::HeadH`], then [`Stage::Nnls`] when the model has the NNLS layer — so that a
    /// caller can synchronise the device and read a clock between stages. With
    /// [`Sweeps::Tensor`] the same operations as `forward`, in the same order: the same
    /// numbers; [`Sweeps::Host`] runs the NNLS layer's sweeps as inference does
    /// ([`Self::factorize`]).
    pub fn forward_laps(
        &self,
        x: Tensor<B, 4>,
        how: Sweeps,
        lap: &mut dyn FnMut(Stage),
    ) -> (Tensor<B, 4>, Tensor<B, 3>) {
        let batch = x.dims()[0];
        let source = (self.nnls_sweeps > 0).then(|| x.clone());
        // Encoder: every level's output goes on the stack for its skip connection.
        let mut stack: Vec<Tensor<B, 4>> = Vec::with_capacity(self.downs.len());
        let mut h = x;
        for (i, d) in self.downs.iter().enumerate() {
            h = d.conv.forward(h);
            if let Some(n) = &d.norm {
                h = batch_norm(n, h, self.per_group_norm);
            }
            h = leaky_relu(h, 0.2);
            lap(Stage::Down(i));
            stack.push(h.clone());
        }
        let bottleneck = stack.pop().expect("at least one level");
        // W head: spatial mean of the bottleneck → linear → ReLU.
        let [_, c, _, _] = bottleneck.dims();
        let pooled = bottleneck
            .clone()
            .mean_dim(3)
            .mean_dim(2)
            .reshape([batch, c]);
        let w = relu(self.head_w.forward(pooled)).reshape([batch, self.k, self.group]);
        lap(Stage::HeadW);
        // Decoder: up, then concatenate the skip popped from the stack.
        let mut u = bottleneck;
        for (j, up) in self.ups.iter().enumerate().rev() {
            u = relu(batch_norm(
                &up.norm,
                up.conv.forward(u),
                self.per_group_norm,
            ));
            let skip = stack.pop().expect("one skip per up level");
            u = Tensor::cat(vec![u, skip], 1);
            lap(Stage::Up(j));
        }
        let h = relu(self.head_h.forward(u));
        lap(Stage::HeadH);
        // Optional NNLS layer: the head's W refined by HALS sweeps against the group itself.
        let w = match source {
            Some(y) => {
                let w = crate::nnls::hals_refine_with(
                    pixel_rows(h.clone()),
                    pixel_rows(y),
                    w,
                    self.nnls_sweeps,
                    how,
                );
                lap(Stage::Nnls);
                w
            }
            None => w,
        };
        (h, w)
    }

    /// Inference: the forward pass, then `rounds` of alternating HALS on (H, W) against the
    /// group itself ([`crate::nnls::hals_alternate`]), an inference-time refinement that is not
    /// part of the trained network. The HALS sweeps — the NNLS layer's and the rounds' — run on
    /// the host ([`Sweeps::Host`]: the same updates, ~10× less time than as tensor operations,
    /// not differentiable), so with the NNLS layer the result matches [`Self::forward`] to
    /// rounding, not bit for bit. The error of `HW` never rises above the forward pass's.
    pub fn factorize(&self, x: Tensor<B, 4>, rounds: usize) -> (Tensor<B, 4>, Tensor<B, 3>) {
        let (h, w) = self.forward_laps(x.clone(), Sweeps::Host, &mut |_| {});
        if rounds == 0 {
            return (h, w);
        }
        let [batch, k, height, width] = h.dims();
        let (hm, w) =
            crate::nnls::hals_alternate_with(pixel_rows(h), pixel_rows(x), w, rounds, Sweeps::Host);
        (hm.swap_dims(1, 2).reshape([batch, k, height, width]), w)
    }
}

/// Images as matrix columns: [batch, channels, height, width] → [batch, height·width,
/// channels] (one row per pixel), the layout of `Y ≈ HW`.
pub fn pixel_rows<B: Backend>(t: Tensor<B, 4>) -> Tensor<B, 3> {
    let [batch, channels, height, width] = t.dims();
    t.reshape([batch, channels, height * width]).swap_dims(1, 2)
}

/// `Ŷ = H·W` per group: H [batch, k, height, width], W [batch, k, group] → [batch, group,
/// height, width].
pub fn reconstruct<B: Backend>(h: Tensor<B, 4>, w: Tensor<B, 3>) -> Tensor<B, 4> {
    let [batch, _, height, width] = h.dims();
    let group = w.dims()[2];
    pixel_rows(h)
        .matmul(w) // [batch, hw, group]
        .swap_dims(1, 2)
        .reshape([batch, group, height, width])
}

/// The paper's error (eq. 4) per group: `(1/m) Σ_i ‖Ŷ_i − Y_i‖₂` over the m images of the group.
pub fn group_error<B: Backend>(y_hat: Tensor<B, 4>, y: Tensor<B, 4>) -> Tensor<B, 1> {
    let [batch, group, height, width] = y.dims();
    (y_hat - y)
        .reshape([batch, group, height * width])
        .square()
        .sum_dim(2)
        .sqrt()
        .mean_dim(1)
        .reshape([batch])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::{Distribution, TensorData, Tolerance};

    type B = Flex;

    #[test]
    fn parameter_counts_from_the_configs_match_the_networks() {
        use crate::config::DiscriminatorConfig;
        use burn::module::Module;
        let device = Default::default();
        for (group, k, base, max, levels) in
            [(40, 10, 8, 64, 5), (6, 2, 4, 16, 1), (12, 3, 2, 8, 3)]
        {
            let g = GeneratorConfig {
                group,
                k,
                base_channels: base,
                max_channels: max,
                levels,
                ..Default::default()
            };
            let net = g.init::<B>(&device).unwrap();
            assert_eq!(g.parameter_count(), net.num_params() as u64, "{g:?}");
            let d = DiscriminatorConfig {
                in_channels: 2 * group,
                base_channels: base,
                ..Default::default()
            };
            assert_eq!(
                d.parameter_count(),
                d.init::<B>(&device).num_params() as u64
            );
        }
    }

    #[test]
    fn shapes_and_nonnegative_heads_for_padded_mnist_and_faces() {
        let device = Default::default();
        for (side, levels) in [(32usize, 5usize), (64, 5)] {
            let cfg = GeneratorConfig {
                base_channels: 8,
                max_channels: 32,
                levels,
                ..Default::default()
            };
            cfg.check_size(side, side).unwrap();
            let g = cfg.init::<B>(&device).unwrap();
            let x = Tensor::<B, 4>::random(
                [2, 40, side, side],
                Distribution::Uniform(0.0, 1.0),
                &device,
            );
            let (h, w) = g.forward(x.clone());
            assert_eq!(h.dims(), [2, 10, side, side]);
            assert_eq!(w.dims(), [2, 10, 40]);
            assert!(h.clone().min().into_scalar() >= 0.0);
            assert!(w.clone().min().into_scalar() >= 0.0);
            let y = reconstruct(h, w);
            assert_eq!(y.dims(), [2, 40, side, side]);
            assert!(group_error(y, x)
                .into_data()
                .to_vec::<f32>()
                .unwrap()
                .iter()
                .all(|e| e.is_finite() && *e >= 0.0));
        }
    }

    /// The NNLS layer starts from the head's W and HALS never raises ‖Y − HW‖: with the same
    /// weights, the refined reconstruction of the (padded) group is at least as close.
    #[test]
    fn nnls_sweeps_never_worsen_the_heads_reconstruction() {
        let device = Default::default();
        let cfg = GeneratorConfig {
            base_channels: 8,
            max_channels: 32,
            ..Default::default()
        };
        let plain = cfg.init::<B>(&device).unwrap();
        let mut refined = plain.clone();
        refined.nnls_sweeps = 5;
        let x = Tensor::<B, 4>::random([2, 40, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let frob = |g: &Generator<B>| -> f32 {
            let (h, w) = g.forward(x.clone());
            assert!(w.clone().min().into_scalar() >= 0.0);
            (reconstruct(h, w) - x.clone()).square().sum().into_scalar()
        };
        let (before, after) = (frob(&plain), frob(&refined));
        assert!(
            after.is_finite() && after <= before * (1.0 + 1e-5),
            "{before} → {after}"
        );
        // Untrained heads give W ≈ 0: the layer's gain is large, not a rounding effect.
        assert!(after < 0.9 * before, "{before} → {after}");
    }

    /// Refinement rounds after the forward pass only ever lower the (padded) group's error,
    /// and by a real margin for an untrained generator.
    #[test]
    fn refinement_rounds_lower_the_forward_pass_error() {
        let device = Default::default();
        let cfg = GeneratorConfig {
            base_channels: 8,
            max_channels: 32,
            ..Default::default()
        };
        let g = cfg.init::<B>(&device).unwrap();
        let x = Tensor::<B, 4>::random([2, 40, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let frob = |rounds: usize| -> f32 {
            let (h, w) = g.factorize(x.clone(), rounds);
            assert!(h.clone().min().into_scalar() >= 0.0);
            assert!(w.clone().min().into_scalar() >= 0.0);
            (reconstruct(h, w) - x.clone()).square().sum().into_scalar()
        };
        let (f0, f1, f3) = (frob(0), frob(1), frob(3));
        let (h, w) = g.forward(x.clone());
        let plain = (reconstruct(h, w) - x.clone()).square().sum().into_scalar();
        assert_eq!(f0, plain);
        assert!(
            f1 <= f0 * (1.0 + 1e-5) && f3 <= f1 * (1.0 + 1e-5),
            "{f0} → {f1} → {f3}"
        );
        assert!(f3 < 0.5 * f0, "{f0} → {f3}");
    }

    /// Per-stage counts against a hand count, totals against an independent count (a short
    /// Python loop over the same shapes: 6.605 MFLOP at width 8, 18.452 at 16, 199.639 at 64,
    /// 19.556 at 16 with 10 NNLS sweeps), and one count per stage of the forward pass.
    #[test]
    fn arithmetic_of_each_stage() {
        let cfg = |w: usize, s: usize| GeneratorConfig {
            base_channels: w,
            max_channels: 8 * w,
            nnls_sweeps: s,
            ..Default::default()
        };
        let f = cfg(16, 0).stage_flops(32);
        assert_eq!(f[0].0, Stage::Down(0));
        assert!((f[0].1 - 2.0 * 256.0 * 40.0 * 16.0 * 16.0).abs() < 1e-6);
        for (w, s, want) in [
            (8, 0, 6.605),
            (16, 0, 18.452),
            (64, 0, 199.639),
            (16, 10, 19.556),
        ] {
            let total = cfg(w, s).stage_flops(32).iter().map(|x| x.1).sum::<f64>() / 1e6;
            assert!(
                (total - want).abs() < 1e-3,
                "width {w}, sweeps {s}: {total}"
            );
        }
        let device = Default::default();
        let g = cfg(8, 2).init::<B>(&device).unwrap();
        let mut seen = Vec::new();
        let x = Tensor::<B, 4>::random([1, 40, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let _ = g.forward_laps(x, Sweeps::Tensor, &mut |s| seen.push(s));
        let counted: Vec<Stage> = cfg(8, 2).stage_flops(32).into_iter().map(|x| x.0).collect();
        assert_eq!(seen, counted);
    }

    #[test]
    fn reconstruct_is_the_matrix_product() {
        let device = Default::default();
        // One group, k = 2, 2 images of 1×3: H columns are basis images, Ŷ_j = Σ_l W[l,j] H_l.
        let h = Tensor::<B, 4>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 0.0, 1.0, 0.5], [1, 2, 1, 3]),
            &device,
        );
        let w = Tensor::<B, 3>::from_data(
            TensorData::new(vec![1.0f32, 0.0, 2.0, 3.0], [1, 2, 2]),
            &device,
        );
        let y = reconstruct(h, w);
        // image 0 = 1·H_0 + 2·H_1; image 1 = 0·H_0 + 3·H_1
        let expect = TensorData::new(vec![1.0f32, 4.0, 4.0, 0.0, 3.0, 1.5], [1, 2, 1, 3]);
        y.into_data()
            .assert_approx_eq::<f32>(&expect, Tolerance::absolute(1e-6));
    }

    #[test]
    fn group_error_is_the_mean_image_distance() {
        let device = Default::default();
        let y = Tensor::<B, 4>::zeros([1, 2, 1, 2], &device);
        let y_hat = Tensor::<B, 4>::from_data(
            TensorData::new(vec![3.0f32, 4.0, 0.0, 1.0], [1, 2, 1, 2]),
            &device,
        );
        // (‖(3,4)‖ + ‖(0,1)‖)/2 = (5 + 1)/2
        let e = group_error(y_hat, y).into_scalar();
        assert!((e - 3.0).abs() < 1e-6);
    }

    #[test]
    fn bad_configurations_are_typed_errors() {
        let mut cfg = GeneratorConfig {
            k: 0,
            ..GeneratorConfig::default()
        };
        assert_eq!(cfg.validate(), Err(GanUnetError::Rank { k: 0, group: 40 }));
        cfg.k = 41;
        assert!(matches!(cfg.validate(), Err(GanUnetError::Rank { .. })));
        cfg.k = 10;
        cfg.nnls_sweeps = 1000;
        assert_eq!(cfg.validate(), Err(GanUnetError::NnlsSweeps(1000)));
        cfg.nnls_sweeps = 0;
        cfg.base_channels = 0;
        assert_eq!(
            cfg.validate(),
            Err(GanUnetError::Width { base: 0, max: 512 })
        );
        cfg.base_channels = 1024;
        assert!(matches!(cfg.validate(), Err(GanUnetError::Width { .. })));
        cfg.base_channels = 64;
        cfg.group = 0;
        assert_eq!(cfg.validate(), Err(GanUnetError::EmptyGroup));
        assert!(matches!(
            GeneratorConfig::default().check_size(28, 28),
            Err(GanUnetError::Size { multiple: 32, .. })
        ));
    }
}

#[cfg(test)]
mod training_tests {
    use super::*;
    use burn::backend::{Autodiff, Flex};
    use burn::optim::{AdamConfig, GradientsParams, Optimizer};
    use burn::tensor::Distribution;

    type A = Autodiff<Flex>;

    /// The L1 objective of the "UNET" ablation goes down when the generator is trained on one
    /// small group: gradients reach every layer through the heads and `Ŷ = HW`.
    /// With per-group batch norm a batch of groups gives what each group gives alone (training
    /// mode, where batch norm uses the batch's statistics); with the batch's statistics it
    /// does not.
    #[test]
    fn per_group_norm_makes_each_group_independent_of_its_batch() {
        let device = Default::default();
        let forward = |per_group_norm: bool| {
            let cfg = GeneratorConfig {
                group: 6,
                k: 3,
                base_channels: 4,
                max_channels: 16,
                levels: 3,
                per_group_norm,
                ..Default::default()
            };
            <A as Backend>::seed(&device, 3);
            let g = cfg.init::<A>(&device).unwrap();
            <A as Backend>::seed(&device, 4);
            let y = Tensor::<A, 4>::random([2, 6, 8, 8], Distribution::Uniform(0.0, 1.0), &device);
            let (h, w) = g.forward(y.clone());
            let (h0, w0) = g.forward(y.clone().narrow(0, 0, 1));
            let (h1, w1) = g.forward(y.narrow(0, 1, 1));
            let gap =
                |a: Tensor<A, 4>, b: Tensor<A, 4>| -> f32 { (a - b).abs().max().into_scalar() };
            let gap3 =
                |a: Tensor<A, 3>, b: Tensor<A, 3>| -> f32 { (a - b).abs().max().into_scalar() };
            gap(h, Tensor::cat(vec![h0, h1], 0)).max(gap3(w, Tensor::cat(vec![w0, w1], 0)))
        };
        let per_group = forward(true);
        let batch = forward(false);
        assert!(
            per_group < 1e-5,
            "per-group norm: a batch differs from its groups by {per_group}"
        );
        assert!(
            batch > 1e-3,
            "batch norm over the batch should couple the groups ({batch})"
        );
    }

    #[test]
    fn l1_training_on_one_group_reduces_the_error() {
        let device = Default::default();
        let cfg = GeneratorConfig {
            group: 6,
            k: 3,
            base_channels: 4,
            max_channels: 16,
            levels: 3,
            init_std: 0.02,
            nnls_sweeps: 0,
            per_group_norm: false,
        };
        let mut g = cfg.init::<A>(&device).unwrap();
        let y = Tensor::<A, 4>::random([1, 6, 8, 8], Distribution::Uniform(0.0, 1.0), &device);
        let mut opt = AdamConfig::new().init();
        let error = |g: &Generator<A>| -> f32 {
            let (h, w) = g.forward(y.clone());
            group_error(reconstruct(h, w), y.clone()).into_scalar()
        };
        let before = error(&g);
        for _ in 0..60 {
            let (h, w) = g.forward(y.clone());
            let loss = (reconstruct(h, w) - y.clone()).abs().mean();
            let grads = GradientsParams::from_grads(loss.backward(), &g);
            g = opt.step(1e-2, g, grads);
        }
        let after = error(&g);
        assert!(after < 0.7 * before, "error {before} → {after}");
    }
}
