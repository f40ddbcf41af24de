//! How plain NMF `Y ≈ HW` starts: the seeded uniform draw ([`nmf_init`]), NNDSVD and NNDSVDa
//! (Boutsidis & Gallopoulos 2008; scikit-learn's default start), and the leading singular
//! triplets they need, from the small Gram matrix.

use crate::data::NmfData;
use crate::error::{Result, SolverError};
use crate::linalg::{a_b, at_b, check_nonnegative, check_rank, uniform};
use faer::{Mat, MatRef};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a run of [`crate::nmf::NmfSteps`] starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NmfInit {
    /// [`nmf_init`]: uniform entries scaled so that HW has the mean of Y (seeded).
    #[default]
    Random,
    /// NNDSVD (Boutsidis & Gallopoulos 2008): the positive parts of the leading singular
    /// pairs; its exact zeros stay zero under MU.
    Nndsvd,
    /// NNDSVD with its zeros filled by the mean of Y (scikit-learn's `nndsvda`).
    Nndsvda,
    /// NNDSVD with its zeros filled by small random values |mean(Y)·z|/100, z standard normal
    /// (seeded; scikit-learn's `nndsvdar`, with nmfnet's generator).
    Nndsvdar,
}

impl NmfInit {
    pub const ALL: [NmfInit; 4] = [
        NmfInit::Random,
        NmfInit::Nndsvd,
        NmfInit::Nndsvda,
        NmfInit::Nndsvdar,
    ];
    pub fn name(self) -> &'static str {
        match self {
            NmfInit::Random => "random",
            NmfInit::Nndsvd => "nndsvd",
            NmfInit::Nndsvda => "nndsvda",
            NmfInit::Nndsvdar => "nndsvdar",
        }
    }
}

impl fmt::Display for NmfInit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NmfInit {
    type Err = SolverError;
    fn from_str(s: &str) -> Result<Self> {
        crate::error::parse_named(s, &NmfInit::ALL, NmfInit::name, "init", "NMF start")
    }
}

/// Entries of an NNDSVD factor below this times √(max Y) are set to zero (scikit-learn's
/// `eps`, which it applies as is; relative here, so that the start of cY is √c times that of
/// Y, and equal to scikit-learn's where max Y = 1).
const NNDSVD_ZERO: f64 = 1e-6;

/// NNDSVD start of `Y ≈ HW` (H m×k, W k×n): the leading singular pair gives the first
/// component (absolute values); each further pair `(u, v)` gives the positive parts
/// `(u₊, v₊)` or the negative parts `(u₋, v₋)`, whichever has the larger `‖u±‖‖v±‖`, scaled by
/// `sqrt(σ ‖u±‖‖v±‖)`. A flip of a singular pair's sign swaps the two candidates, so the
/// result does not depend on the SVD's sign convention (but at an exact tie, where the
/// negative parts are taken, as scikit-learn does). With `fill_mean` the zeros become the
/// mean of Y (`nndsvda`). The singular pairs are exact; scikit-learn takes them from a
/// randomized SVD, so the two agree where that one is exact (k + 10 ≥ min(m, n)).
pub fn nndsvd(y: MatRef<'_, f64>, rank: usize, fill_mean: bool) -> Result<(Mat<f64>, Mat<f64>)> {
    check_nonnegative(y)?;
    let (m, n) = (y.nrows(), y.ncols());
    check_rank(rank, m.min(n))?;
    let (u, s, v) = leading_singular_triplets(y, rank)?;
    let mut h = Mat::<f64>::zeros(m, rank);
    let mut w = Mat::<f64>::zeros(rank, n);
    for l in 0..rank {
        let sigma = s[l];
        if l == 0 {
            let root = sigma.max(0.0).sqrt();
            for i in 0..m {
                h[(i, 0)] = root * u[(i, 0)].abs();
            }
            for j in 0..n {
                w[(0, j)] = root * v[(j, 0)].abs();
            }
            continue;
        }
        let norm = |x: &mut dyn Iterator<Item = f64>| x.map(|a| a * a).sum::<f64>().sqrt();
        let up = norm(&mut (0..m).map(|i| u[(i, l)].max(0.0)));
        let un = norm(&mut (0..m).map(|i| (-u[(i, l)]).max(0.0)));
        let vp = norm(&mut (0..n).map(|j| v[(j, l)].max(0.0)));
        let vn = norm(&mut (0..n).map(|j| (-v[(j, l)]).max(0.0)));
        let (sign, nu, nv) = if up * vp > un * vn {
            (1.0, up, vp)
        } else {
            (-1.0, un, vn)
        };
        if nu == 0.0 || nv == 0.0 {
            continue;
        }
        let lambda = (sigma.max(0.0) * nu * nv).sqrt();
        for i in 0..m {
            h[(i, l)] = lambda * (sign * u[(i, l)]).max(0.0) / nu;
        }
        for j in 0..n {
            w[(l, j)] = lambda * (sign * v[(j, l)]).max(0.0) / nv;
        }
    }
    let fill = if fill_mean {
        (0..n).map(|j| y.col(j).iter().sum::<f64>()).sum::<f64>() / (m * n) as f64
    } else {
        0.0
    };
    let zero = NNDSVD_ZERO * crate::linalg::max_entry(y).sqrt();
    for x in h.col_iter_mut().flat_map(|c| c.iter_mut()) {
        if *x < zero {
            *x = fill;
        }
    }
    for x in w.col_iter_mut().flat_map(|c| c.iter_mut()) {
        if *x < zero {
            *x = fill;
        }
    }
    Ok((h, w))
}

/// Smallest `σ_rank² / σ_1²` for which [`leading_singular_triplets`] trusts the Gram matrix;
/// below it the squared spectrum has lost too many digits and a full SVD runs instead.
const GRAM_SVD_MIN_RATIO: f64 = 1e-8;

/// The `rank` leading singular triplets of Y (m×n): U m×rank, σ descending, V n×rank. From the
/// eigen-decomposition of the smaller Gram matrix (YᵀY or YYᵀ, e.g. 40×40 for a group of 40
/// images of 784 pixels — a fraction of a thin SVD's cost), falling back to the thin SVD when
/// the trailing σ² is too small against the first for the Gram matrix to resolve it.
fn leading_singular_triplets(
    y: MatRef<'_, f64>,
    rank: usize,
) -> Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    let failed = |what: &str, e: &dyn fmt::Debug| {
        SolverError::Numerical(format!("{what} of the data failed: {e:?}"))
    };
    let (m, n) = (y.nrows(), y.ncols());
    // Columns of the small side's eigenvectors: V when n ≤ m, U otherwise.
    let tall = n <= m;
    let gram = if tall {
        at_b(y, y)
    } else {
        a_b(y, y.transpose())
    };
    let eig = gram
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| failed("eigen-decomposition of the Gram matrix", &e))?;
    let values = eig.S().column_vector();
    let mut order: Vec<usize> = (0..values.nrows()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let top = values[order[0]].max(0.0);
    let last = values[order[rank - 1]].max(0.0);
    if top == 0.0 || last < GRAM_SVD_MIN_RATIO * top {
        let svd = y.thin_svd().map_err(|e| failed("SVD", &e))?;
        let s = (0..rank).map(|l| svd.S().column_vector()[l]).collect();
        return Ok((
            svd.U().subcols(0, rank).to_owned(),
            s,
            svd.V().subcols(0, rank).to_owned(),
        ));
    }
    let small = Mat::from_fn(if tall { n } else { m }, rank, |i, l| {
        eig.U()[(i, order[l])]
    });
    let sigma: Vec<f64> = (0..rank)
        .map(|l| values[order[l]].max(0.0).sqrt())
        .collect();
    // The other side: Y v / σ (or Yᵀ u / σ).
    let mut other = if tall {
        a_b(y, small.as_ref())
    } else {
        at_b(y, small.as_ref())
    };
    for (l, &sl) in sigma.iter().enumerate() {
        for i in 0..other.nrows() {
            other[(i, l)] /= sl;
        }
    }
    Ok(if tall {
        (other, sigma, small)
    } else {
        (small, sigma, other)
    })
}

/// The start `init` of `Y ≈ HW` at rank `rank` (`seed` is used by [`NmfInit::Random`] only).
pub fn nmf_start<'a>(
    y: impl Into<NmfData<'a>>,
    rank: usize,
    init: NmfInit,
    seed: u64,
) -> Result<(Mat<f64>, Mat<f64>)> {
    let y = y.into();
    y.check()?;
    // NNDSVD checks rank ≤ min(m, n) itself; a random start may go up to max(m, n).
    check_rank(rank, y.nrows().max(y.ncols()))?;
    match (init, y) {
        (NmfInit::Random, _) => Ok(nmf_init(y, rank, seed)),
        (NmfInit::Nndsvd, NmfData::Dense(y)) => nndsvd(y, rank, false),
        (NmfInit::Nndsvda, NmfData::Dense(y)) => nndsvd(y, rank, true),
        (NmfInit::Nndsvdar, NmfData::Dense(y)) => {
            let (mut h, mut w) = nndsvd(y, rank, false)?;
            let (m, n) = (y.nrows(), y.ncols());
            let mean = (0..n).map(|j| y.col(j).iter().sum::<f64>()).sum::<f64>() / (m * n) as f64;
            let mut normal = StandardNormal::new(seed);
            for x in h
                .col_iter_mut()
                .chain(w.col_iter_mut())
                .flat_map(|c| c.iter_mut())
            {
                if *x == 0.0 {
                    *x = (mean * normal.next() / 100.0).abs();
                }
            }
            Ok((h, w))
        }
        (_, NmfData::Single(s)) => nmf_start(s.to_f64().as_ref(), rank, init, seed),
        (_, NmfData::Sparse(_)) => Err(crate::error::param(
            "init",
            format!(
                "{init} needs the singular vectors of a dense Y; a sparse Y starts from `random`"
            ),
        )),
    }
}

/// Standard normal draws (Box–Muller on the seeded generator's uniforms, both of each pair used).
struct StandardNormal {
    rng: StdRng,
    spare: Option<f64>,
}

impl StandardNormal {
    fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            spare: None,
        }
    }

    fn next(&mut self) -> f64 {
        use rand::RngExt;
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1]: its logarithm is finite.
        let u1 = 1.0 - self.rng.random::<f64>();
        let u2 = self.rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let t = std::f64::consts::TAU * u2;
        self.spare = Some(r * t.sin());
        r * t.cos()
    }
}

/// Seeded start: H, W uniform, scaled so that HW has the mean of Y.
pub fn nmf_init<'a>(y: impl Into<NmfData<'a>>, rank: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let y = y.into();
    let (m, n) = (y.nrows(), y.ncols());
    let mean = y.sum() / (m * n) as f64;
    // E[(HW)_ij] = k · (s/2)² = mean  ⇒  s = 2 sqrt(mean/k).
    let s = 2.0 * (mean.max(0.0) / rank as f64).sqrt();
    let mut rng = StdRng::seed_from_u64(seed);
    let h = uniform(m, rank, s, &mut rng);
    let w = uniform(rank, n, s, &mut rng);
    (h, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::uniform;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn data() -> Mat<f64> {
        let mut rng = StdRng::seed_from_u64(2);
        uniform(60, 40, 1.0, &mut rng)
    }

    /// scikit-learn 1.9.1's `_initialize_nmf` on the matrix of bench/python/nndsvd_reference.py
    /// (which prints these values).
    #[test]
    fn nndsvd_matches_scikit_learn() {
        let y = Mat::from_fn(9, 6, |i, j| {
            ((3 * i + 5 * j) % 7) as f64 / 6.0 + 0.1 * ((i * j) % 3) as f64
        });
        #[rustfmt::skip]
        let h_ref = [
            0.6800802486066577, 0.0, 0.0, 0.6455790284070959, 0.5304411479882094,
            0.3732049334242722, 0.7907417768070129, 0.0, 0.0, 0.5517149804351064,
            0.2381781383234691, 0.5491791269209061, 0.7737287779025402, 0.3839359303779813, 0.0,
            0.7425900909553742, 0.0, 0.388793861529833, 0.4485908322234783, 0.41682523744305844,
            0.0, 0.8094448470218939, 0.0, 0.07979041781767418, 0.6477425529750893,
            0.4821022894439832, 0.22908995057177411,
        ];
        #[rustfmt::skip]
        let w_ref = [
            0.6349182247300441, 0.9260966072875912, 0.9561410200980068, 0.6567606028979681,
            0.9612037724324113, 0.839533125369559, 0.534708138000771, 0.0, 0.27553698153705564,
            0.7278982832149542, 0.0, 0.0, 0.0, 0.0, 0.758363755002105, 0.0, 0.0,
            0.27526974746366023,
        ];
        let mean = 0.5635802469135803;
        for fill in [false, true] {
            let (h, w) = nndsvd(y.as_ref(), 3, fill).unwrap();
            let expect = |r: f64| if r == 0.0 && fill { mean } else { r };
            for i in 0..9 {
                for l in 0..3 {
                    let e = expect(h_ref[i * 3 + l]);
                    assert!(
                        (h[(i, l)] - e).abs() < 1e-12,
                        "H[{i},{l}] {} vs {e}",
                        h[(i, l)]
                    );
                }
            }
            for l in 0..3 {
                for j in 0..6 {
                    let e = expect(w_ref[l * 6 + j]);
                    assert!(
                        (w[(l, j)] - e).abs() < 1e-12,
                        "W[{l},{j}] {} vs {e}",
                        w[(l, j)]
                    );
                }
            }
        }
        assert!(nndsvd(y.as_ref(), 7, false).is_err());
    }

    /// The Gram-matrix triplets agree with the thin SVD (up to the sign of each pair), tall or
    /// wide, and a rank-deficient matrix takes the SVD path.
    #[test]
    fn leading_triplets_match_the_thin_svd() {
        let tall = data();
        for y in [tall.clone(), tall.transpose().to_owned()] {
            let (u, s, v) = leading_singular_triplets(y.as_ref(), 6).unwrap();
            let svd = y.thin_svd().unwrap();
            for l in 0..6 {
                let sl = svd.S().column_vector()[l];
                assert!((s[l] - sl).abs() <= 1e-10 * sl, "σ{l} {} vs {sl}", s[l]);
                let dot_u: f64 = (0..y.nrows()).map(|i| u[(i, l)] * svd.U()[(i, l)]).sum();
                let dot_v: f64 = (0..y.ncols()).map(|j| v[(j, l)] * svd.V()[(j, l)]).sum();
                assert!((dot_u.abs() - 1.0).abs() < 1e-9 && (dot_v.abs() - 1.0).abs() < 1e-9);
                assert!(dot_u * dot_v > 0.0, "pair {l} flipped on one side only");
            }
        }
        // Rank 2: the third σ² is round-off, so the SVD answers.
        let low = Mat::from_fn(20, 8, |i, j| {
            (i + 1) as f64 * (j % 3) as f64 + (j + 2) as f64
        });
        let (_, s, _) = leading_singular_triplets(low.as_ref(), 3).unwrap();
        assert!(s[2] < 1e-10 * s[0], "{s:?}");
    }
}
