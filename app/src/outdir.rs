//! Output folders: the checks made before a run writes anything, and the files a finished run
//! leaves there (every file written atomically).

use anyhow::{bail, Context};
use nmfnet_baselines::IterRecord;
use nmfnet_datasets::io::atomic_write;
use std::path::Path;

/// Refuses to replace the `summary.json` of an earlier run unless `overwrite`.
pub(crate) fn check_summary_free(dir: Option<&Path>, overwrite: bool) -> anyhow::Result<()> {
    if let Some(dir) = dir {
        if dir.join("summary.json").exists() && !overwrite {
            bail!(
                "{} already holds a run; pass --overwrite or choose another --out",
                dir.display()
            );
        }
    }
    Ok(())
}

/// Creates `dir` if needed.
pub(crate) fn create(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

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
