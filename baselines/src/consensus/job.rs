//! A consensus run's job as written (`job.json`, Python's estimator): its fields, defaults and
//! the host engine's options.

use super::ConsensusParams;

/// A whole consensus run: replicates at every rank of `ks`, then each rank's consensus.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "JobFields")]
pub struct ConsensusJob {
    pub ks: Vec<usize>,
    pub replicates: usize,
    /// The replicates' solver and its settings (the rank is each k's); cNMF's: HALS (its
    /// coordinate descent) under the violation rule, tol 1e-4, 1000 iterations, random starts.
    pub method: crate::nmf::NmfMethod,
    /// In JSON, the fields left out take the consensus defaults for the job's method (the
    /// violation rule for HALS, the divergence rule for MU and ccd; tol 1e-4; 1000
    /// iterations), not `NmfParams`' own: `{"tol": 1e-5}` keeps cNMF's rule.
    pub params: crate::nmf::NmfParams,
    pub consensus: ConsensusParams,
    /// Replicate r of rank k starts from seed [`super::replicate_seed`]`(seed, k) + r`.
    pub seed: u64,
    /// The precision of the replicates' products with Y (the factors and sweeps are f64).
    pub precision: Precision,
    /// HALS sweeps per half-iteration at most, reusing the half-iteration's product with Y
    /// ([`HostOptions::inner_sweeps`]); 1 (the default) is cNMF's (scikit-learn's) HALS.
    pub inner_sweeps: usize,
}

/// A consensus job as written: `params` kept as given, to be laid over the method's defaults
/// (a hand-written `{"tol": 1e-5}` fell back to `NmfParams`' own stop rule and budget — the
/// SPEC projected-gradient rule, 500 iterations — and silently left cNMF's algorithm). Unknown
/// fields, here and in `params`, are refused.
#[derive(serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct JobFields {
    ks: Vec<usize>,
    replicates: usize,
    method: crate::nmf::NmfMethod,
    params: serde_json::Map<String, serde_json::Value>,
    consensus: ConsensusParams,
    seed: u64,
    precision: Precision,
    inner_sweeps: usize,
}

impl Default for JobFields {
    fn default() -> Self {
        let d = ConsensusJob::default();
        Self {
            ks: d.ks,
            replicates: d.replicates,
            method: d.method,
            params: serde_json::Map::new(),
            consensus: d.consensus,
            seed: d.seed,
            precision: d.precision,
            inner_sweeps: d.inner_sweeps,
        }
    }
}

impl TryFrom<JobFields> for ConsensusJob {
    type Error = String;

    fn try_from(f: JobFields) -> std::result::Result<Self, String> {
        let mut defaults = ConsensusJob::default().params;
        if matches!(
            f.method,
            crate::nmf::NmfMethod::Mu | crate::nmf::NmfMethod::Ccd
        ) {
            defaults.stop = crate::nmf::NmfStop::Divergence;
        }
        let mut merged = serde_json::to_value(defaults).map_err(|e| e.to_string())?;
        if let serde_json::Value::Object(fields) = &mut merged {
            fields.extend(f.params);
        }
        let params = serde_json::from_value(merged).map_err(|e| format!("`params`: {e}"))?;
        Ok(Self {
            ks: f.ks,
            replicates: f.replicates,
            method: f.method,
            params,
            consensus: f.consensus,
            seed: f.seed,
            precision: f.precision,
            inner_sweeps: f.inner_sweeps,
        })
    }
}

/// How the host engine runs HALS replicates under the violation rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostOptions {
    pub precision: Precision,
    /// Sweeps of each factor per half-iteration at most, all with the half-iteration's product
    /// with Y and Gram matrix (Gillis & Glineur's accelerated HALS, Neural Computation 2012):
    /// after the first, sweeps go on while a sweep still moves the factor by at least a tenth
    /// of what the first moved it (Frobenius norm). A sweep costs O((m + n)·k²), the products
    /// O(m·n·k): more sweeps per product reach the stop in fewer products. The violation of
    /// the stop rule is the first sweep's (the projected gradient where the half-iteration
    /// starts). 1: scikit-learn's HALS, one sweep per product.
    pub inner_sweeps: usize,
}

impl Default for HostOptions {
    fn default() -> Self {
        Self {
            precision: Precision::F64,
            inner_sweeps: 1,
        }
    }
}

impl ConsensusJob {
    /// The host engine's options of this job.
    pub fn host_options(&self) -> HostOptions {
        HostOptions {
            precision: self.precision,
            inner_sweeps: self.inner_sweeps,
        }
    }
}

/// The precision of the replicates' products with Y on the host (the grouped HALS's; the
/// plain solvers' is `NmfParams::precision`).
pub use crate::data::Precision;

impl Default for ConsensusJob {
    fn default() -> Self {
        let mut params = crate::nmf::NmfParams::new(0);
        params.stop = crate::nmf::NmfStop::Violation;
        params.tol = 1e-4;
        params.max_iter = 1000;
        Self {
            ks: Vec::new(),
            replicates: 100,
            method: crate::nmf::NmfMethod::Hals,
            params,
            consensus: ConsensusParams::default(),
            seed: 0,
            precision: Precision::F64,
            inner_sweeps: 1,
        }
    }
}
