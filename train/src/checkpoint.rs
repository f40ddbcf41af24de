//! The checkpoint file, written atomically by the loop and verified before anything in it is
//! used:
//!
//! ```text
//! "NMFNETCK" | version u32 | metadata length u64 | state length u64 | CRC-32 u32 | metadata | state
//! ```
//!
//! (little-endian; the CRC-32 covers the metadata and the state; the file must be exactly that
//! long). The metadata is JSON: steps done, the task's config, training seconds. The state is
//! the task's own bytes; a task whose decoder panics on bytes that passed the checksum still
//! gives a typed error, never a crash.

use crate::error::TrainError;
use crate::task::Task;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"NMFNETCK";
const VERSION: u32 = 2;
const HEADER: usize = 8 + 4 + 8 + 8 + 4;

#[derive(Serialize, Deserialize)]
pub(crate) struct CheckpointMeta {
    /// Number of steps completed.
    pub(crate) step: usize,
    pub(crate) config: serde_json::Value,
    /// Training seconds up to this checkpoint, over every call (absent in old checkpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seconds: Option<f64>,
    /// The plateau rule's state, for a run that stops by it (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) plateau: Option<crate::plateau::PlateauState>,
    /// The format version the file was read from (not stored: the header holds it).
    #[serde(skip)]
    pub(crate) version: u32,
}

/// Where the loop keeps the checkpoint of a run in `dir`.
pub fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint.bin")
}

pub(crate) fn encode_checkpoint(meta: &CheckpointMeta, state: &[u8]) -> Vec<u8> {
    let meta = serde_json::to_vec(meta).expect("checkpoint metadata serialises");
    let mut crc = crc32fast::Hasher::new();
    crc.update(&meta);
    crc.update(state);
    let mut out = Vec::with_capacity(HEADER + meta.len() + state.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    out.extend_from_slice(&(state.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
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
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(bad("wrong magic bytes"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version == 1 {
        return decode_v1(path, bytes).ok_or_else(|| bad("truncated version-1 checkpoint"))?;
    }
    if version != VERSION {
        return Err(bad(&format!(
            "format version {version}, this build reads versions 1 and {VERSION}"
        )));
    }
    if bytes.len() < HEADER {
        return Err(bad("truncated header"));
    }
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    let (meta_len, state_len) = (u64_at(12), u64_at(20));
    let crc = u32::from_le_bytes(bytes[28..32].try_into().expect("4 bytes"));
    let body = (bytes.len() - HEADER) as u64;
    if meta_len.checked_add(state_len) != Some(body) {
        return Err(bad(&format!(
            "{} bytes after the header, the header promises {meta_len} + {state_len} (truncated or extended)",
            body
        )));
    }
    if crc32fast::hash(&bytes[HEADER..]) != crc {
        return Err(bad("checksum mismatch: the file is damaged"));
    }
    let meta_end = HEADER + meta_len as usize;
    let mut meta: CheckpointMeta = serde_json::from_slice(&bytes[HEADER..meta_end])
        .map_err(|e| bad(&format!("metadata: {e}")))?;
    meta.version = VERSION;
    Ok((meta, bytes[meta_end..].to_vec()))
}

/// Version 1 (before checksums): magic, version, metadata length u64, metadata, state. Still
/// read, so that models trained before are not lost: by the tools that only use a model, when
/// its state fits the model (the decoders check shapes; their panics are contained). A resume
/// refuses it unless upgraded once ([`crate::trainer::TrainerConfig::upgrade`]).
fn decode_v1(path: &Path, bytes: &[u8]) -> Option<Result<(CheckpointMeta, Vec<u8>), TrainError>> {
    let len = usize::try_from(u64::from_le_bytes(bytes.get(12..20)?.try_into().ok()?)).ok()?;
    let meta = bytes.get(20..20usize.checked_add(len)?)?;
    let meta: Result<CheckpointMeta, _> = serde_json::from_slice(meta);
    Some(match meta {
        Ok(m) => Ok((
            CheckpointMeta { version: 1, ..m },
            bytes[20 + len..].to_vec(),
        )),
        Err(e) => Err(TrainError::BadCheckpoint {
            path: path.into(),
            msg: format!("metadata: {e}"),
        }),
    })
}

/// Verifies the bytes of a checkpoint file and returns (steps done, config, state), or the
/// error naming what is wrong (for tools, and the fuzz targets of the reader).
pub fn verify_checkpoint(bytes: &[u8]) -> Result<(usize, serde_json::Value, Vec<u8>), TrainError> {
    let (meta, state) = decode_checkpoint(Path::new("checkpoint.bin"), bytes)?;
    Ok((meta.step, meta.config, state))
}

/// Wraps `state` in a valid checkpoint of `step` steps and `config`, then restores `task` from
/// it exactly as a resume does: state bytes that pass the checksum but do not fit the model
/// give an error, never a panic (the fuzz target of the state decoders).
pub fn restore_from_state<T: Task>(
    task: &mut T,
    step: usize,
    state: &[u8],
) -> Result<(), TrainError> {
    let bytes = encode_checkpoint(
        &CheckpointMeta {
            step,
            config: task.config_json(),
            seconds: None,
            plateau: None,
            version: VERSION,
        },
        state,
    );
    let (_, state) = decode_checkpoint(Path::new("checkpoint.bin"), &bytes)?;
    load_state_contained(task, &state).map_err(|msg| TrainError::BadCheckpoint {
        path: "checkpoint.bin".into(),
        msg,
    })
}

/// The bytes of the checkpoint file `path` of the folder `dir`: a regular file only (a link
/// to `/dev/zero` or a pipe would be read without end).
fn read_checkpoint(path: &Path, dir: &Path) -> Result<Vec<u8>, TrainError> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(TrainError::BadCheckpoint {
            path: path.into(),
            msg: "not a regular file".into(),
        }),
        _ => std::fs::read(path).map_err(|_| TrainError::NoCheckpoint(dir.into())),
    }
}

/// Reads the config stored in a checkpoint folder (for tools that rebuild a task from it).
pub fn checkpoint_config(dir: &Path) -> Result<serde_json::Value, TrainError> {
    Ok(checkpoint_contents(dir)?.0)
}

/// The config stored in a checkpoint folder and the length in bytes of its state: a tool can
/// tell a config whose model the state cannot hold before it builds that model.
pub fn checkpoint_contents(dir: &Path) -> Result<(serde_json::Value, usize), TrainError> {
    let path = checkpoint_path(dir);
    let bytes = read_checkpoint(&path, dir)?;
    let (meta, state) = decode_checkpoint(&path, &bytes)?;
    Ok((meta.config, state.len()))
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
    let bytes = read_checkpoint(&path, dir)?;
    let (meta, state) = decode_checkpoint(&path, &bytes)?;
    if !task.accepts_config(&meta.config) {
        return Err(TrainError::ConfigMismatch {
            path,
            saved: meta.config.to_string(),
            current: task.config_json().to_string(),
        }
        .into());
    }
    load_state_contained(task, &state).map_err(|msg| TrainError::BadCheckpoint {
        path: path.clone(),
        msg: format!("its state does not fit this model: {msg}"),
    })?;
    Ok((meta, path))
}

/// `task.load_state`, with a panic inside the task's decoder (or the framework's) turned into an
/// error message; the panic's own report is kept off stderr.
fn load_state_contained<T: Task>(task: &mut T, state: &[u8]) -> Result<(), String> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.load_state(state)));
    std::panic::set_hook(quiet);
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the decoder panicked".into())),
    }
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
            plateau: None,
            version: VERSION,
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
                plateau: None,
                ..meta
            },
            b"state",
        );
        assert_eq!(decode_checkpoint(p, &old).unwrap().0.seconds, None);
        // A version-1 file (no checksum) still decodes.
        let meta_json = serde_json::to_vec(&serde_json::json!({"step": 3, "config": {}})).unwrap();
        let mut v1 = b"NMFNETCK".to_vec();
        v1.extend_from_slice(&1u32.to_le_bytes());
        v1.extend_from_slice(&(meta_json.len() as u64).to_le_bytes());
        v1.extend_from_slice(&meta_json);
        v1.extend_from_slice(b"old");
        let (m, s) = decode_checkpoint(p, &v1).unwrap();
        assert_eq!((m.step, s.as_slice(), m.version), (3, &b"old"[..], 1));
        assert!(decode_checkpoint(p, &v1[..25]).is_err());
        // Every truncation, every extension and every flipped bit of the file is refused.
        for len in 0..bytes.len() {
            assert!(decode_checkpoint(p, &bytes[..len]).is_err(), "length {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_checkpoint(p, &longer).is_err());
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                assert!(
                    decode_checkpoint(p, &flipped).is_err(),
                    "byte {i} bit {bit}"
                );
            }
        }
    }
}
