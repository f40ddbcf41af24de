//! Files a finished run leaves in its folder (every one written atomically); the folder
//! itself is a [`nmfnet_train::runtime::rundir::RunDir`].

use nmfnet_baselines::IterRecord;
use nmfnet_datasets::io::atomic_write;
use std::path::Path;

/// Writes a value as pretty JSON, atomically.
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    atomic_write(path, serde_json::to_string_pretty(value)?.as_bytes())?;
    Ok(())
}

/// Writes the history of a classical solver as JSON lines (atomically).
pub(crate) fn write_history(path: &Path, history: &[IterRecord]) -> anyhow::Result<()> {
    let mut text = String::new();
    for h in history {
        text.push_str(&serde_json::to_string(h)?);
        text.push('\n');
    }
    atomic_write(path, text.as_bytes())?;
    Ok(())
}
