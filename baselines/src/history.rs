//! What every solver reports: a per-iteration history and a convergence report.

use faer::MatRef;
use nmfnet_datasets::eval::metrics::{self, Normalization};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One recorded iteration. `iter` 0 is the starting point.
#[derive(Clone, Debug, Serialize)]
pub struct IterRecord {
    pub iter: usize,
    /// The method's own objective (see each method's docs).
    pub objective: f64,
    /// ‖X − UUᵀ‖²/‖X‖² of the factor the labels come from (SymNMF), or ‖Y − HW‖_F/‖Y‖_F
    /// (plain NMF).
    pub rel_error: f64,
    /// Projected-gradient norm relative to the first iterate's.
    pub proj_grad: f64,
    /// Seconds since the start of the fit (initialisation included).
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nmi: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purity: Option<f64>,
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The relative projected-gradient norm fell below the tolerance.
    Tolerance,
    /// The iteration budget ran out first: not converged (reported, not an error).
    MaxIterations,
    /// The line search could not decrease the objective any more (a stationary point to
    /// working precision).
    LineSearchStalled,
}

#[derive(Clone, Debug, Serialize)]
pub struct Convergence {
    pub converged: bool,
    pub reason: StopReason,
    pub iterations: usize,
    pub final_proj_grad: f64,
    pub tolerance: f64,
}

/// Called after every iteration with (iteration, relative projected gradient, relative
/// error): for progress bars.
pub type Hook<'a> = Option<&'a mut dyn FnMut(usize, f64, f64)>;

/// Where a solver's progress lines go (scikit-learn's `verbose`): nowhere (the default), or a
/// buffer shared with a reader that drains it while the fit runs (the Python binding prints
/// them from its thread). Lines are scikit-learn's where it has them: `violation: r` per
/// coordinate-descent sweep and `Converged at iteration n`, `Epoch nn reached after s seconds,
/// error: e` per MU check; under the projected-gradient rule one line per iteration.
#[derive(Clone, Default)]
pub struct Verbose(Option<Arc<Mutex<Vec<String>>>>);

impl Verbose {
    /// A sink that keeps the lines for [`Verbose::drain`].
    pub fn buffer() -> Self {
        Self(Some(Arc::default()))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// Adds the line `line()` (not even formed when off).
    pub fn say(&self, line: impl FnOnce() -> String) {
        if let Some(b) = &self.0 {
            b.lock().unwrap_or_else(|e| e.into_inner()).push(line());
        }
    }

    /// The lines said since the last drain, in order.
    pub fn drain(&self) -> Vec<String> {
        match &self.0 {
            Some(b) => std::mem::take(&mut *b.lock().unwrap_or_else(|e| e.into_inner())),
            None => Vec::new(),
        }
    }
}

/// Every sink equals every other: what a request asks for does not depend on where its lines go.
impl PartialEq for Verbose {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Verbose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verbose({})", if self.is_on() { "on" } else { "off" })
    }
}

/// Collects the history and decides when to stop.
pub(crate) struct Recorder<'a, 'h> {
    hook: Hook<'h>,
    start: Instant,
    every: usize,
    labels: Option<&'a [usize]>,
    tol: f64,
    first_pg: Option<f64>,
    pub history: Vec<IterRecord>,
    last_rel_pg: f64,
    /// Plain-NMF rule: after `min_iter`, stop when the relative projected gradient has been
    /// below `tol` for `patience` consecutive iterations (1 = the SymNMF rule).
    min_iter: usize,
    patience: usize,
    streak: usize,
    cancel: Option<nmfnet_datasets::Cancel>,
    verbose: Verbose,
}

impl<'a, 'h> Recorder<'a, 'h> {
    pub fn new(tol: f64, every: usize, labels: Option<&'a [usize]>, hook: Hook<'h>) -> Self {
        Self {
            hook,
            start: Instant::now(),
            every: every.max(1),
            labels,
            tol,
            first_pg: None,
            history: Vec::new(),
            last_rel_pg: f64::INFINITY,
            min_iter: 0,
            patience: 1,
            streak: 0,
            cancel: None,
            verbose: Verbose::default(),
        }
    }

    /// Says one line per [`Recorder::check`] into `verbose`.
    pub fn with_verbose(mut self, verbose: &Verbose) -> Self {
        self.verbose = verbose.clone();
        self
    }

    /// Stops the run with [`crate::SolverError::Cancelled`] at the first check after `cancel`
    /// is set.
    pub fn with_cancel(mut self, cancel: &nmfnet_datasets::Cancel) -> Self {
        self.cancel = Some(cancel.clone());
        self
    }

    pub fn with_patience(mut self, min_iter: usize, patience: usize) -> Self {
        self.min_iter = min_iter;
        self.patience = patience.max(1);
        self
    }

    /// Records iteration `iter` (every `every`-th, and always the first) and returns whether
    /// the stop rule holds. `factor` is the matrix whose row argmax gives the labels.
    pub fn observe(
        &mut self,
        iter: usize,
        objective: f64,
        rel_error: f64,
        proj_grad_norm: f64,
        factor: MatRef<'_, f64>,
    ) -> bool {
        let first = *self.first_pg.get_or_insert(proj_grad_norm);
        let rel_pg = if first > 0.0 {
            proj_grad_norm / first
        } else {
            0.0
        };
        self.last_rel_pg = rel_pg;
        if let Some(h) = self.hook.as_mut() {
            h(iter, rel_pg, rel_error);
        }
        if iter.is_multiple_of(self.every) {
            self.push(iter, objective, rel_error, rel_pg, factor);
        }
        if rel_pg <= self.tol && iter >= self.min_iter.max(1) {
            self.streak += 1;
        } else {
            self.streak = 0;
        }
        self.streak >= self.patience
    }

    fn push(
        &mut self,
        iter: usize,
        objective: f64,
        rel_error: f64,
        rel_pg: f64,
        factor: MatRef<'_, f64>,
    ) {
        let (acc, nmi, purity) = match self.labels {
            Some(truth) => {
                let pred = argmax_rows(factor);
                (
                    metrics::accuracy(truth, &pred).ok(),
                    metrics::nmi(truth, &pred, Normalization::Max).ok(),
                    metrics::purity(truth, &pred).ok(),
                )
            }
            None => (None, None, None),
        };
        self.history.push(IterRecord {
            iter,
            objective,
            rel_error,
            proj_grad: rel_pg,
            seconds: self.start.elapsed().as_secs_f64(),
            acc,
            nmi,
            purity,
        });
    }

    /// One stop test per iteration: a typed error on a set stop switch or a non-finite objective, otherwise the
    /// reason to stop now (tolerance met, or `iter` reached `max_iter`), if any.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        method: &str,
        iter: usize,
        max_iter: usize,
        objective: f64,
        rel_error: f64,
        proj_grad_norm: f64,
        factor: MatRef<'_, f64>,
    ) -> crate::Result<Option<StopReason>> {
        if self.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(crate::SolverError::Cancelled { iter });
        }
        if !objective.is_finite() {
            return Err(crate::SolverError::Numerical(format!(
                "{method}: the objective became {objective} at iteration {iter}"
            )));
        }
        let stop = self.observe(iter, objective, rel_error, proj_grad_norm, factor);
        self.verbose.say(|| {
            format!(
                "Iteration {iter}: relative projected gradient {:.3e}, relative error {rel_error:.6}",
                self.last_rel_pg
            )
        });
        if stop {
            self.verbose
                .say(|| format!("Converged at iteration {iter}"));
            return Ok(Some(StopReason::Tolerance));
        }
        Ok((iter >= max_iter).then_some(StopReason::MaxIterations))
    }

    /// Closes the history (the last iterate is always recorded) and builds the report.
    pub fn finish(
        mut self,
        iter: usize,
        reason: StopReason,
        last: Option<(f64, f64, MatRef<'_, f64>)>,
    ) -> (Vec<IterRecord>, Convergence) {
        if let Some((objective, rel_error, factor)) = last {
            if self.history.last().map(|h| h.iter) != Some(iter) {
                self.push(iter, objective, rel_error, self.last_rel_pg, factor);
            }
        }
        let report = Convergence {
            converged: reason == StopReason::Tolerance,
            reason,
            iterations: iter,
            final_proj_grad: self.last_rel_pg,
            tolerance: self.tol,
        };
        (self.history, report)
    }

    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// Row-wise argmax (first maximum wins), the cluster label of each point.
pub fn argmax_rows(u: MatRef<'_, f64>) -> Vec<usize> {
    (0..u.nrows())
        .map(|i| {
            let mut best = 0;
            for j in 1..u.ncols() {
                if u[(i, j)] > u[(i, best)] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// ‖P_Ω(g)‖² for one block: the gradient entries that can move (g < 0, or x > 0).
pub fn proj_grad_sq(x: MatRef<'_, f64>, g: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let gi = g[(i, j)];
            if gi < 0.0 || x[(i, j)] > 0.0 {
                s += gi * gi;
            }
        }
    }
    s
}
