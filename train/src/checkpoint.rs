//! The checkpoint file: magic bytes, a format version, the JSON metadata (steps done, the
//! task's config, training seconds) and the task's state, written atomically by the loop.

use crate::error::TrainError;
use crate::task::Task;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"NMFNETCK";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
pub(crate) struct CheckpointMeta {
    /// Number of steps completed.
    pub(crate) step: usize,
    pub(crate) config: serde_json::Value,
    /// Training seconds up to this checkpoint, over every call (absent in old checkpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seconds: Option<f64>,
}

pub(crate) fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint.bin")
}

pub(crate) fn encode_checkpoint(meta: &CheckpointMeta, state: &[u8]) -> Vec<u8> {
    let meta = serde_json::to_vec(meta).expect("checkpoint metadata serialises");
    let mut out = Vec::with_capacity(8 + 4 + 8 + meta.len() + state.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(state);
    out
}

pub(crate) fn decode_checkpoint(
    path: &Path,
    bytes: &[u8],
) -> Result<(CheckpointMeta, Vec<u8>), TrainError> {
    let bad = |msg: &str| TrainError::BadCheckpoint {
        path: path.into(),
        msg: msg.into(),
    };
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        return Err(bad("wrong magic bytes"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(bad(&format!(
            "format version {version}, expected {VERSION}"
        )));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes")) as usize;
    if len > bytes.len() - 20 {
        return Err(bad("truncated metadata"));
    }
    let meta: CheckpointMeta =
        serde_json::from_slice(&bytes[20..20 + len]).map_err(|e| bad(&format!("metadata: {e}")))?;
    Ok((meta, bytes[20 + len..].to_vec()))
}

/// Reads the config stored in a checkpoint folder (for tools that rebuild a task from it).
pub fn checkpoint_config(dir: &Path) -> Result<serde_json::Value, TrainError> {
    let path = checkpoint_path(dir);
    let bytes = std::fs::read(&path).map_err(|_| TrainError::NoCheckpoint(dir.into()))?;
    Ok(decode_checkpoint(&path, &bytes)?.0.config)
}

/// Restores a task from the checkpoint in `dir` (for tools that use a trained model): the
/// checkpoint's config must be the task's. Returns the number of steps it had completed.
pub fn load_checkpoint<T: Task>(dir: &Path, task: &mut T) -> anyhow::Result<usize> {
    Ok(restore(dir, task)?.0.step)
}

/// Reads the checkpoint in `dir`, checks that its config is the task's and loads its state
/// into the task; returns its metadata and path.
pub(crate) fn restore<T: Task>(
    dir: &Path,
    task: &mut T,
) -> anyhow::Result<(CheckpointMeta, PathBuf)> {
    let path = checkpoint_path(dir);
    let bytes = std::fs::read(&path).map_err(|_| TrainError::NoCheckpoint(dir.into()))?;
    let (meta, state) = decode_checkpoint(&path, &bytes)?;
    if !task.accepts_config(&meta.config) {
        return Err(TrainError::ConfigMismatch {
            path,
            saved: meta.config.to_string(),
            current: task.config_json().to_string(),
        }
        .into());
    }
    task.load_state(&state)?;
    Ok((meta, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_roundtrip_and_corruption() {
        let meta = CheckpointMeta {
            step: 7,
            config: serde_json::json!({"a": 1}),
            seconds: Some(1.5),
        };
        let bytes = encode_checkpoint(&meta, b"state");
        let p = Path::new("x");
        let (m, s) = decode_checkpoint(p, &bytes).unwrap();
        assert_eq!((m.step, s.as_slice()), (7, &b"state"[..]));
        assert_eq!(m.seconds, Some(1.5));
        // Checkpoints from before the training time was recorded still decode.
        let old = encode_checkpoint(
            &CheckpointMeta {
                seconds: None,
                ..meta
            },
            b"state",
        );
        assert_eq!(decode_checkpoint(p, &old).unwrap().0.seconds, None);
        assert!(decode_checkpoint(p, &bytes[..15]).is_err());
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        assert!(decode_checkpoint(p, &wrong).is_err());
    }
}
