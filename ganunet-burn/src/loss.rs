//! The cGAN + L1 objectives of SPEC §5, with binary cross-entropy on logits written in its
//! stable form `max(x, 0) − x·t + log(1 + e^{−|x|})`.

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// Mean binary cross-entropy of patch `logits` against `target` (same shape, values in [0, 1]).
pub fn bce_with_logits<B: Backend>(logits: Tensor<B, 4>, target: Tensor<B, 4>) -> Tensor<B, 1> {
    let relu = logits.clone().clamp_min(0.0);
    let soft = logits.clone().abs().neg().exp().log1p();
    (relu - logits * target + soft).mean()
}

/// Discriminator loss `½(BCE(D(real), t_real) + BCE(D(fake), 0))`; `t_real` is 1 except where
/// label noise flipped a real pair to "fake" (per group: a `[batch]` tensor of 0/1).
pub fn discriminator_loss<B: Backend>(
    real_logits: Tensor<B, 4>,
    fake_logits: Tensor<B, 4>,
    real_targets: Tensor<B, 1>,
) -> Tensor<B, 1> {
    let [b, c, h, w] = real_logits.dims();
    let t_real = real_targets.reshape([b, 1, 1, 1]).expand([b, c, h, w]);
    let t_fake = fake_logits.zeros_like();
    (bce_with_logits(real_logits, t_real) + bce_with_logits(fake_logits, t_fake)) * 0.5
}

/// Generator loss `BCE(D(Y, Ŷ), 1) + λ·L1(Ŷ, Y)` (λ = 100 in the paper); without a
/// discriminator (the "UNET" ablation) pass `None`.
pub fn generator_loss<B: Backend>(
    fake_logits: Option<Tensor<B, 4>>,
    y_hat: Tensor<B, 4>,
    y: Tensor<B, 4>,
    l1_weight: f64,
) -> Tensor<B, 1> {
    let l1 = (y_hat - y).abs().mean() * l1_weight;
    match fake_logits {
        Some(l) => {
            let ones = l.ones_like();
            bce_with_logits(l, ones) + l1
        }
        None => l1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    type B = Flex;

    fn t4(v: Vec<f32>) -> Tensor<B, 4> {
        let n = v.len();
        Tensor::from_data(TensorData::new(v, [1, 1, 1, n]), &Default::default())
    }

    #[test]
    fn bce_matches_the_textbook_formula() {
        let x = vec![-30.0f32, -1.0, 0.0, 0.5, 30.0];
        let t = vec![0.0f32, 1.0, 1.0, 0.0, 1.0];
        let expect: f64 = x
            .iter()
            .zip(&t)
            .map(|(&x, &t)| {
                let p = 1.0 / (1.0 + (-(x as f64)).exp());
                -(t as f64 * p.max(1e-300).ln() + (1.0 - t as f64) * (1.0 - p).max(1e-300).ln())
            })
            .sum::<f64>()
            / 5.0;
        let got = bce_with_logits(t4(x), t4(t)).into_scalar() as f64;
        assert!((got - expect).abs() < 1e-5, "{got} vs {expect}");
    }

    #[test]
    fn losses_combine_as_specified() {
        let d = Default::default();
        let real = t4(vec![2.0, -1.0]);
        let fake = t4(vec![0.5, 0.0]);
        let ones = Tensor::<B, 1>::ones([1], &d);
        let dl = discriminator_loss(real.clone(), fake.clone(), ones).into_scalar();
        let expect = 0.5
            * (bce_with_logits(real, t4(vec![1.0, 1.0])).into_scalar()
                + bce_with_logits(fake.clone(), t4(vec![0.0, 0.0])).into_scalar());
        assert!((dl - expect).abs() < 1e-6);
        let y = t4(vec![0.0, 1.0]);
        let y_hat = t4(vec![0.5, 0.5]);
        let gl = generator_loss(Some(fake.clone()), y_hat.clone(), y.clone(), 100.0).into_scalar();
        let expect = bce_with_logits(fake, t4(vec![1.0, 1.0])).into_scalar() + 100.0 * 0.5;
        assert!((gl - expect).abs() < 1e-4);
        assert!((generator_loss(None, y_hat, y, 100.0).into_scalar() - 50.0).abs() < 1e-4);
    }
}
