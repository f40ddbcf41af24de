//! PCA disturbing: the "real" half of a pair shown to the discriminator is not the source group
//! itself but its rank-k PCA reconstruction, so that D learns what a rank-k factorisation of
//! the group looks like (SPEC §5).
//!
//! The m images of a group are the samples: with the mean image μ and the centred images
//! C = Y − μ (pixels × m), the rank-k reconstruction is μ + C V_k V_kᵀ, V_k the top-k
//! eigenvectors of the small m×m Gram matrix CᵀC (faer's symmetric eigensolver, f64).

use crate::config::GanUnetError;
use faer::{Mat, Side};

/// Rank-k PCA reconstruction of a group stored image after image (`m` images of `pixels`
/// values each, row-major per image). Returns the same layout.
pub fn pca_reconstruction(
    group: &[f32],
    m: usize,
    pixels: usize,
    k: usize,
) -> Result<Vec<f32>, GanUnetError> {
    if m == 0 {
        return Err(GanUnetError::EmptyGroup);
    }
    if k == 0 || k > m {
        return Err(GanUnetError::Rank { k, group: m });
    }
    if group.len() != m * pixels {
        return Err(GanUnetError::Channels {
            found: group.len() / pixels.max(1),
            expected: m,
        });
    }
    let mean: Vec<f64> = (0..pixels)
        .map(|p| (0..m).map(|i| group[i * pixels + p] as f64).sum::<f64>() / m as f64)
        .collect();
    let c = Mat::from_fn(pixels, m, |p, i| group[i * pixels + p] as f64 - mean[p]);
    let gram = c.transpose() * &c;
    let evd = gram
        .self_adjoint_eigen(Side::Lower)
        .expect("the eigensolver converges on a symmetric m×m matrix");
    let s = evd.S().column_vector();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
    let vk = Mat::from_fn(m, k, |i, j| evd.U()[(i, order[j])]);
    let rec = &c * (&vk * vk.transpose());
    let mut out = vec![0.0f32; m * pixels];
    for i in 0..m {
        for p in 0..pixels {
            out[i * pixels + p] = (rec[(p, i)] + mean[p]) as f32;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 33) as f32) / (1u64 << 31) as f32
    }

    #[test]
    fn exact_for_data_of_rank_k_and_error_shrinks_with_k() {
        let (m, pixels) = (12, 30);
        let mut seed = 5;
        // mean + 3 directions: rank 3 after centring.
        let base: Vec<Vec<f32>> = (0..4)
            .map(|_| (0..pixels).map(|_| lcg(&mut seed)).collect())
            .collect();
        let mut g = vec![0.0f32; m * pixels];
        for i in 0..m {
            let w: Vec<f32> = (0..3).map(|_| lcg(&mut seed)).collect();
            for p in 0..pixels {
                g[i * pixels + p] = base[3][p] + (0..3).map(|d| w[d] * base[d][p]).sum::<f32>();
            }
        }
        let r = pca_reconstruction(&g, m, pixels, 3).unwrap();
        let err: f32 = g
            .iter()
            .zip(&r)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-4, "rank-3 data, k = 3: max error {err}");
        // Random data: the error never grows with k and vanishes at k = m.
        let noisy: Vec<f32> = (0..m * pixels).map(|_| lcg(&mut seed)).collect();
        let mut last = f32::INFINITY;
        for k in 1..=m {
            let r = pca_reconstruction(&noisy, m, pixels, k).unwrap();
            let e: f32 = noisy.iter().zip(&r).map(|(a, b)| (a - b).powi(2)).sum();
            assert!(e <= last + 1e-4, "k = {k}: {e} > {last}");
            last = e;
        }
        assert!(last < 1e-6);
    }

    #[test]
    fn bad_arguments_are_typed_errors() {
        assert_eq!(
            pca_reconstruction(&[], 0, 4, 1),
            Err(GanUnetError::EmptyGroup)
        );
        assert!(matches!(
            pca_reconstruction(&[0.0; 8], 2, 4, 3),
            Err(GanUnetError::Rank { .. })
        ));
        assert!(matches!(
            pca_reconstruction(&[0.0; 7], 2, 4, 1),
            Err(GanUnetError::Channels { .. })
        ));
    }
}
