//! Stopping a run on a plateau of its loss (no labels needed), with the state a checkpoint keeps
//! so that a resumed run stops where an uninterrupted one would.

use serde::{Deserialize, Serialize};

/// Stopping on a plateau of the loss (the task's first metric): after step t, the run stops
/// when the lowest loss seen so far is less than `rel_tol` (relative) below the lowest loss
/// seen up to step t − `patience`. Taking the running minimum makes the rule blind to the
/// up-and-down of an optimiser's steps; it needs no labels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plateau {
    /// Steps over which the improvement is measured (≥ 1).
    pub patience: usize,
    /// Relative improvement below which the loss counts as flat (≥ 0).
    pub rel_tol: f64,
}

/// What the plateau rule keeps between steps: the running minimum of the loss over the last
/// `patience + 1` steps, and whether it has stopped the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PlateauState {
    pub(crate) bests: Vec<f64>,
    pub(crate) stopped: bool,
}

impl PlateauState {
    /// Records one step's loss; true once the rule says stop.
    pub(crate) fn push(&mut self, rule: &Plateau, loss: f64) -> bool {
        let best = self.bests.last().map_or(loss, |b| b.min(loss));
        self.bests.push(best);
        let window = rule.patience.max(1) + 1;
        if self.bests.len() > window {
            self.bests.drain(..self.bests.len() - window);
        }
        if self.bests.len() == window && self.bests[0] - best <= rule.rel_tol * best.abs() {
            self.stopped = true;
        }
        self.stopped
    }
}
