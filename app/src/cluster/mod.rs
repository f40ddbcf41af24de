//! `cluster`: symmetric NMF of a similarity graph (`X ≈ UUᵀ, U ≥ 0`; the label of a point is
//! the argmax of its row of U), by SymNMF-Net or a classical solver.
//!
//! [`cluster`] takes a [`ClusterRequest`] (plain data: what to cluster, how, where to write)
//! and a backend, reads and checks every input before anything is written, runs the method
//! and returns a [`ClusterReport`]: the summary printed and saved as `summary.json`, and the
//! factor and labels themselves.

mod classical;
mod input;
mod net;
mod report;
mod request;

pub use report::{ClusterReport, ClusterSummary, MethodDetails};
pub use request::{ClusterInput, ClusterRequest, Method};
pub use symnmf_burn::Reduction;

use nmfnet_baselines::SymMethod;
use nmfnet_train::backend::BackendKind;

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "ies"
    } else {
        "y"
    }
}

/// Runs `req` on `backend` (SymNMF-Net; the classical solvers run on the CPU in f64 whatever
/// the backend). Every input is read and checked before anything is written.
pub fn cluster(req: &ClusterRequest, backend: BackendKind) -> anyhow::Result<ClusterReport> {
    let started = std::time::Instant::now();
    match req.method.solver() {
        Some(m) => {
            let wrong = req.net_only();
            if !wrong.is_empty() {
                anyhow::bail!(
                    "{} appl{} to --method symnmf-net only, not {}",
                    wrong.join(", "),
                    plural(wrong.len()),
                    m
                );
            }
            if backend != BackendKind::Cpu {
                anyhow::bail!(
                    "--backend {} applies to --method symnmf-net only: the classical solvers run on the CPU in f64",
                    backend.name()
                );
            }
            if req.rho.is_some() && m != SymMethod::Admm {
                anyhow::bail!("--rho applies to --method admm only");
            }
            let problem = input::load_problem(req)?;
            let out = req.open_out()?;
            classical::cluster(req, m, &problem, out, started)
        }
        None => {
            let wrong = req.classical_only();
            if !wrong.is_empty() {
                anyhow::bail!(
                    "{} appl{} to the classical methods only, not symnmf-net",
                    wrong.join(", "),
                    plural(wrong.len())
                );
            }
            let mut problem = input::load_problem(req)?;
            let x_scale = net::normalise(&mut problem.x);
            let cfg = net::build_config(req, &problem)?;
            let out = req.open_out()?;
            net::cluster(req, cfg, problem, backend, x_scale, out, started)
        }
    }
}
