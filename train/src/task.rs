//! What a model provides to the loop: one optimisation step and its whole state as bytes.

/// Named scalar metrics of one step; the first one is shown in the progress bar.
pub type Metrics = Vec<(String, f64)>;

/// A model and its optimiser, trained step by step by [`crate::trainer::Trainer`].
///
/// The trait does not name a backend: a task owns its model on whichever `AutodiffBackend` it
/// was built for (see [`crate::tasks::symnmf::SymNmfTask`]), so the same loop drives every model on
/// every backend.
pub trait Task {
    /// One optimisation step (0-based `step`); returns its metrics, the loss first.
    fn step(&mut self, step: usize) -> anyhow::Result<Metrics>;
    /// The config that must match for a checkpoint to be resumed (and is saved beside it).
    fn config_json(&self) -> serde_json::Value;
    /// Whether a checkpoint's saved config is this task's. The default compares the JSON; a
    /// task whose config gained fields with serde defaults parses the saved one instead, so
    /// checkpoints written before a field existed still load.
    fn accepts_config(&self, saved: &serde_json::Value) -> bool {
        *saved == self.config_json()
    }
    /// The whole training state: parameters and optimiser.
    fn save_state(&self) -> anyhow::Result<Vec<u8>>;
    /// Restores what [`Task::save_state`] returned.
    fn load_state(&mut self, bytes: &[u8]) -> anyhow::Result<()>;
}

/// Seed for step `step` of a run seeded with `seed` (SplitMix64 of the pair).
pub fn step_seed(seed: u64, step: usize) -> u64 {
    let mut z = seed ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
