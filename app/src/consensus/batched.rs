//! The batched engine of a consensus run: all replicates of a rank as one tensor program on a
//! Burn backend, from the host engine's starts.

use super::ConsensusRun;
use anyhow::bail;
use faer::Mat;
use nmfnet_baselines::consensus::ConsensusJob;
use nmfnet_baselines::data::NmfData;
use nmfnet_baselines::nmf::{nmf_start, NmfInit, NmfMethod, NmfStop};
use nmfnet_train::runtime::backend::{dispatch, BackendJob};
use symnmf_burn::nmf_batch::{nmf_batch, BatchMethod, BatchParams, BatchStop};
use symnmf_burn::SymNmfAutodiffBackend;

/// The batched engine's update for the job's solver, or why it has none.
pub(super) fn batch_method(job: &ConsensusJob) -> anyhow::Result<BatchMethod> {
    let p = &job.params;
    if p.alpha_h != 0.0 || p.alpha_w != 0.0 {
        bail!("the batched engine fits without penalties; use the host engine");
    }
    Ok(match (job.method, p.beta_loss) {
        (NmfMethod::Mu, 2.0) => BatchMethod::Mu,
        (NmfMethod::Hals, 2.0) => BatchMethod::Hals,
        // The KL solvers: the batched engine runs KL by MU (the host engine's ccd is a
        // coordinate descent, which does not batch).
        (NmfMethod::Mu | NmfMethod::Ccd, 1.0) => BatchMethod::MuKl,
        (m, b) => bail!(
            "the batched engine runs mu and hals for the Frobenius norm and MU for Kullback–Leibler, not {m} with β = {b}; use the host engine"
        ),
    })
}

struct BatchJob<'a> {
    y: &'a [f32],
    m: usize,
    n: usize,
    k: usize,
    h0: Vec<f32>,
    w0: Vec<f32>,
    params: BatchParams,
}

/// The inner (non-autodiff) backend of a training backend.
type I<B> = <B as burn::tensor::backend::AutodiffBackend>::InnerBackend;

/// Host f32 values as a tensor of the backend's float type.
fn on_device<Bk: burn::tensor::backend::Backend, const D: usize>(
    values: Vec<f32>,
    shape: [usize; D],
    device: &Bk::Device,
) -> burn::tensor::Tensor<Bk, D> {
    burn::tensor::Tensor::from_data(
        burn::tensor::TensorData::new(values, shape).convert::<Bk::FloatElem>(),
        device,
    )
}

impl BackendJob for BatchJob<'_> {
    /// W of every replicate, [R·k × n] row-major, and each replicate's iterations.
    type Output = (Vec<f32>, Vec<usize>);
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        let r = self.h0.len() / (self.m * self.k);
        let y = on_device::<I<B>, 2>(self.y.to_vec(), [self.m, self.n], &device);
        let h0 = on_device::<I<B>, 3>(self.h0, [r, self.m, self.k], &device);
        let w0 = on_device::<I<B>, 3>(self.w0, [r, self.k, self.n], &device);
        let fit = nmf_batch(&y, h0, w0, &self.params);
        let w = fit
            .w
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .expect("f32 after convert");
        (w, fit.iterations)
    }
}

/// Y as the batched engine reads it: dense, row-major, f32.
pub(super) fn dense_f32(y: NmfData<'_>) -> Vec<f32> {
    let (m, n) = (y.nrows(), y.ncols());
    let mut out = vec![0f32; m * n];
    match y {
        NmfData::Dense(d) => {
            for i in 0..m {
                for j in 0..n {
                    out[i * n + j] = d[(i, j)] as f32;
                }
            }
        }
        NmfData::Sparse(s) => {
            for (i, j, v) in s.entries() {
                out[i * n + j] = v as f32;
            }
        }
        NmfData::Single(_) => {
            for i in 0..m {
                for j in 0..n {
                    out[i * n + j] = y.get(i, j) as f32;
                }
            }
        }
    }
    out
}

/// The replicates' spectra at rank `k` on the batched engine, from the host engine's starts,
/// and their iterations.
pub(super) fn batched_spectra(
    y: NmfData<'_>,
    yf: &[f32],
    run: &ConsensusRun,
    k: usize,
    seed: u64,
) -> anyhow::Result<(Mat<f64>, Vec<usize>)> {
    let job = batch_job(y, yf, &run.job, k, seed)?;
    let (r, n) = (run.job.replicates, y.ncols());
    let (w, iterations) = dispatch(run.backend, job)?;
    Ok((
        Mat::from_fn(r * k, n, |i, j| w[i * n + j] as f64),
        iterations,
    ))
}

/// The batched engine's work for rank `k`: the host engine's random starts, in f32.
fn batch_job<'a>(
    y: NmfData<'_>,
    yf: &'a [f32],
    job: &ConsensusJob,
    k: usize,
    seed: u64,
) -> anyhow::Result<BatchJob<'a>> {
    let (m, n, r) = (y.nrows(), y.ncols(), job.replicates);
    let (mut h0, mut w0) = (Vec::with_capacity(r * m * k), Vec::with_capacity(r * k * n));
    for i in 0..r {
        let (h, w) = nmf_start(y, k, NmfInit::Random, seed.wrapping_add(i as u64))?;
        h0.extend((0..m * k).map(|e| h[(e / k, e % k)] as f32));
        w0.extend((0..k * n).map(|e| w[(e / n, e % n)] as f32));
    }
    let method = batch_method(job)?;
    let params = BatchParams {
        method,
        max_iter: job.params.max_iter,
        tol: job.params.tol,
        check_every: 10,
        // cNMF's replicates stop by scikit-learn's coordinate-descent rule: so do HALS's here.
        stop: if method == BatchMethod::Hals && job.params.stop == NmfStop::Violation {
            BatchStop::Violation
        } else {
            BatchStop::Error
        },
    };
    Ok(BatchJob {
        y: yf,
        m,
        n,
        k,
        h0,
        w0,
        params,
    })
}

/// The replicates' spectra at rank `k` (R·k × n) on the batched engine on backend `B` (the
/// host engine's starts): what `--engine batched` runs, for a caller that holds the backend
/// type (the backend tests).
pub fn batched_pooled<B: SymNmfAutodiffBackend>(
    y: NmfData<'_>,
    job: &ConsensusJob,
    k: usize,
    seed: u64,
    device: &B::Device,
) -> anyhow::Result<Mat<f64>> {
    let yf = dense_f32(y);
    let bj = batch_job(y, &yf, job, k, seed)?;
    let (r, n) = (job.replicates, y.ncols());
    let (w, _) = bj.run::<B>(device.clone(), "");
    Ok(Mat::from_fn(r * k, n, |i, j| w[i * n + j] as f64))
}
