//! The one training loop.
//!
//! A model plugs in by implementing [`Task`]: one optimisation step returning named scalar
//! metrics, and its whole training state (parameters and optimiser) as bytes. [`Trainer::run`]
//! then provides, for every model alike:
//! * a progress bar (stderr) with the loss and the ETA;
//! * metrics appended to `DIR/metrics.jsonl`, one JSON object per logged step;
//! * checkpoints written atomically (temporary file + rename) to `DIR/checkpoint.bin`, with the
//!   task's config in `DIR/config.json` beside them;
//! * `resume`: continue from the checkpoint, after checking it belongs to the same config; the
//!   metric log is cut back to the checkpoint's step, so it never holds a step twice;
//! * a guard that stops at the first NaN/Inf metric with an error naming the step and metric,
//!   keeping the last good checkpoint untouched.
//!
//! Randomness belongs to the task, seeded from its config; a task that needs fresh random numbers
//! per step derives them from (seed, step) with [`step_seed`], so a resumed run draws exactly
//! what an uninterrupted one would.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nmfnet_datasets::io::atomic_write;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Named scalar metrics of one step; the first one is shown in the progress bar.
pub type Metrics = Vec<(String, f64)>;

/// A model and its optimiser, trained step by step by [`Trainer`].
///
/// The trait does not name a backend: a task owns its model on whichever `AutodiffBackend` it
/// was built for (see `crate::symnmf::SymNmfTask<B>`), so the same loop drives every model on
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

/// What the loop does besides calling the task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainerConfig {
    /// Number of steps in total (a resumed run continues up to it).
    pub steps: usize,
    /// Folder of checkpoints and logs; `None` keeps everything in memory.
    pub out_dir: Option<PathBuf>,
    /// Steps between checkpoints (the last step is always checkpointed when `out_dir` is set).
    pub checkpoint_every: usize,
    /// Steps between metric log lines (the first and last are always logged).
    pub log_every: usize,
    /// Continue from `out_dir/checkpoint.bin`.
    pub resume: bool,
    /// Show the progress bar (it also hides itself when stderr is not a terminal).
    pub progress: bool,
    /// Label of the progress bar.
    pub label: String,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            steps: 100,
            out_dir: None,
            checkpoint_every: 50,
            log_every: 1,
            resume: false,
            progress: true,
            label: "train".into(),
        }
    }
}

/// Errors of the loop itself (task errors pass through as they are).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(
        "step {step}: metric '{metric}' is {value} — training stopped; {}",
        match checkpoint {
            Some(p) => format!("the last good checkpoint is {}", p.display()),
            None => "no checkpoint was written (use --out DIR to keep them)".to_string(),
        }
    )]
    NonFinite {
        step: usize,
        metric: String,
        value: f64,
        checkpoint: Option<PathBuf>,
    },
    #[error("--resume needs an output folder holding a checkpoint")]
    ResumeWithoutDir,
    #[error("no checkpoint to resume in {0}")]
    NoCheckpoint(PathBuf),
    #[error("{path} is not an nmfnet checkpoint ({msg})")]
    BadCheckpoint { path: PathBuf, msg: String },
    #[error("the checkpoint in {path} was written by another configuration:\n  checkpoint: {saved}\n  this run:   {current}")]
    ConfigMismatch {
        path: PathBuf,
        saved: String,
        current: String,
    },
    #[error("{0}")]
    Io(String),
}

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct TrainReport {
    /// Steps run in this call (excludes those restored from a checkpoint).
    pub steps_run: usize,
    /// Step the run started from (0, or the checkpoint's step when resuming).
    pub start_step: usize,
    /// Metrics of the last step.
    pub last: Metrics,
    /// Every logged line of this call: (step, metrics).
    pub history: Vec<(usize, Metrics)>,
    pub seconds: f64,
    /// Training seconds of every call that led to this state (resumed runs included); `None`
    /// when the run resumed from a checkpoint written before this was recorded.
    pub total_seconds: Option<f64>,
}

const MAGIC: &[u8; 8] = b"NMFNETCK";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct CheckpointMeta {
    /// Number of steps completed.
    step: usize,
    config: serde_json::Value,
    /// Training seconds up to this checkpoint, over every call (absent in old checkpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seconds: Option<f64>,
}

fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint.bin")
}

fn encode_checkpoint(meta: &CheckpointMeta, state: &[u8]) -> Vec<u8> {
    let meta = serde_json::to_vec(meta).expect("checkpoint metadata serialises");
    let mut out = Vec::with_capacity(8 + 4 + 8 + meta.len() + state.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(state);
    out
}

fn decode_checkpoint(path: &Path, bytes: &[u8]) -> Result<(CheckpointMeta, Vec<u8>), TrainError> {
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
    let path = checkpoint_path(dir);
    let bytes = std::fs::read(&path).map_err(|_| TrainError::NoCheckpoint(dir.into()))?;
    let (meta, state) = decode_checkpoint(&path, &bytes)?;
    if !task.accepts_config(&meta.config) {
        return Err(TrainError::ConfigMismatch {
            path: path.clone(),
            saved: meta.config.to_string(),
            current: task.config_json().to_string(),
        }
        .into());
    }
    task.load_state(&state)?;
    Ok(meta.step)
}

fn metrics_json(step: usize, m: &Metrics, seconds: Option<f64>) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("step".into(), step.into());
    if let Some(s) = seconds.and_then(serde_json::Number::from_f64) {
        // Training seconds so far (all calls), for curves against time.
        obj.insert("seconds".into(), serde_json::Value::Number(s));
    }
    for (k, v) in m {
        obj.insert(
            k.clone(),
            serde_json::Number::from_f64(*v)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
        );
    }
    serde_json::Value::Object(obj)
}

/// The generic loop.
pub struct Trainer {
    pub config: TrainerConfig,
}

impl Trainer {
    pub fn new(config: TrainerConfig) -> Self {
        Self { config }
    }

    /// Runs `task` up to `config.steps` steps (see the module docs).
    pub fn run<T: Task>(&self, task: &mut T) -> anyhow::Result<TrainReport> {
        let cfg = &self.config;
        let started = std::time::Instant::now();
        let io = |e: std::io::Error, what: &str, p: &Path| {
            TrainError::Io(format!("{what} {}: {e}", p.display()))
        };

        // Resume: restore the state and cut the log back to the checkpoint.
        let mut start_step = 0;
        let mut earlier_seconds = Some(0.0);
        let mut last_good: Option<PathBuf> = None;
        if cfg.resume {
            let dir = cfg.out_dir.as_ref().ok_or(TrainError::ResumeWithoutDir)?;
            let path = checkpoint_path(dir);
            let bytes = std::fs::read(&path).map_err(|_| TrainError::NoCheckpoint(dir.clone()))?;
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
            start_step = meta.step;
            earlier_seconds = meta.seconds;
            last_good = Some(path);
            truncate_log(&dir.join("metrics.jsonl"), start_step)
                .map_err(|e| io(e, "cannot rewrite", &dir.join("metrics.jsonl")))?;
        }

        let mut log = match &cfg.out_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| io(e, "cannot create", dir))?;
                atomic_write(
                    &dir.join("config.json"),
                    serde_json::to_string_pretty(&task.config_json())?.as_bytes(),
                )?;
                let p = dir.join("metrics.jsonl");
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&p)
                    .map_err(|e| io(e, "cannot open", &p))?;
                Some(std::io::BufWriter::new(f))
            }
            None => None,
        };

        let bar = if cfg.progress && cfg.steps > start_step {
            let bar = ProgressBar::with_draw_target(
                Some(cfg.steps as u64),
                ProgressDrawTarget::stderr_with_hz(5),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30.cyan/blue}] {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(cfg.label.clone());
            bar.set_position(start_step as u64);
            bar
        } else {
            ProgressBar::hidden()
        };

        let mut history = Vec::new();
        let mut last = Vec::new();
        let loop_started = std::time::Instant::now();
        let so_far = || earlier_seconds.map(|e| e + loop_started.elapsed().as_secs_f64());
        for step in start_step..cfg.steps {
            let metrics = task.step(step)?;
            if let Some((name, value)) = metrics.iter().find(|(_, v)| !v.is_finite()) {
                bar.abandon();
                if let Some(w) = log.as_mut() {
                    let _ = w.flush();
                }
                return Err(TrainError::NonFinite {
                    step,
                    metric: name.clone(),
                    value: *value,
                    checkpoint: last_good,
                }
                .into());
            }
            let done = step + 1;
            let is_last = done == cfg.steps;
            if step == start_step || is_last || done % cfg.log_every.max(1) == 0 {
                if let Some(w) = log.as_mut() {
                    writeln!(w, "{}", metrics_json(step, &metrics, so_far())).map_err(|e| {
                        TrainError::Io(format!("cannot append to metrics.jsonl: {e}"))
                    })?;
                }
                history.push((step, metrics.clone()));
            }
            if let Some((name, v)) = metrics.first() {
                bar.set_message(format!("{name} {v:.6e}"));
            }
            bar.inc(1);
            if let Some(dir) = &cfg.out_dir {
                if is_last || done % cfg.checkpoint_every.max(1) == 0 {
                    if let Some(w) = log.as_mut() {
                        w.flush().map_err(|e| {
                            TrainError::Io(format!("cannot write metrics.jsonl: {e}"))
                        })?;
                    }
                    let meta = CheckpointMeta {
                        step: done,
                        config: task.config_json(),
                        seconds: so_far(),
                    };
                    let path = checkpoint_path(dir);
                    atomic_write(&path, &encode_checkpoint(&meta, &task.save_state()?))?;
                    last_good = Some(path);
                }
            }
            last = metrics;
        }
        bar.finish_and_clear();
        if let Some(w) = log.as_mut() {
            w.flush()
                .map_err(|e| TrainError::Io(format!("cannot write metrics.jsonl: {e}")))?;
        }
        Ok(TrainReport {
            steps_run: cfg.steps.saturating_sub(start_step),
            start_step,
            last,
            history,
            seconds: started.elapsed().as_secs_f64(),
            total_seconds: so_far(),
        })
    }
}

/// Keeps the log lines whose `step` is below `steps_done`.
fn truncate_log(path: &Path, steps_done: usize) -> std::io::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("step").and_then(|s| s.as_u64()))
                .is_some_and(|s| (s as usize) < steps_done)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    atomic_write(path, kept.as_bytes()).map_err(|e| std::io::Error::other(e.to_string()))
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

    /// A task with one scalar state that shrinks by 10% per step; NaN at a chosen step.
    struct Toy {
        x: f64,
        nan_at: Option<usize>,
        tag: u32,
    }

    impl Task for Toy {
        fn step(&mut self, step: usize) -> anyhow::Result<Metrics> {
            self.x *= 0.9;
            let loss = if Some(step) == self.nan_at {
                f64::NAN
            } else {
                self.x
            };
            Ok(vec![("loss".into(), loss)])
        }
        fn config_json(&self) -> serde_json::Value {
            serde_json::json!({ "tag": self.tag })
        }
        fn save_state(&self) -> anyhow::Result<Vec<u8>> {
            Ok(self.x.to_le_bytes().to_vec())
        }
        fn load_state(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
            self.x = f64::from_le_bytes(bytes.try_into()?);
            Ok(())
        }
    }

    fn toy(nan_at: Option<usize>) -> Toy {
        Toy {
            x: 1.0,
            nan_at,
            tag: 1,
        }
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("nmfnet-trainer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn cfg(steps: usize, dir: &Path, resume: bool) -> TrainerConfig {
        TrainerConfig {
            steps,
            out_dir: Some(dir.to_path_buf()),
            checkpoint_every: 5,
            log_every: 1,
            resume,
            progress: false,
            label: "toy".into(),
        }
    }

    fn log_steps(dir: &Path) -> Vec<u64> {
        std::fs::read_to_string(dir.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn resume_continues_exactly() {
        let dir = tmp("resume");
        let mut whole = toy(None);
        Trainer::new(TrainerConfig {
            out_dir: None,
            ..cfg(12, &dir, false)
        })
        .run(&mut whole)
        .unwrap();

        let mut first = toy(None);
        let one = Trainer::new(cfg(7, &dir, false)).run(&mut first).unwrap();
        assert!(dir.join("config.json").exists());
        // A fresh task resumed from the checkpoint (written at step 7, the last one).
        let mut second = toy(None);
        let report = Trainer::new(cfg(12, &dir, true)).run(&mut second).unwrap();
        assert_eq!(report.start_step, 7);
        assert_eq!(second.x, whole.x);
        assert_eq!(log_steps(&dir), (0..12).collect::<Vec<_>>());
        // Training time accumulates over the two calls, and every log line carries it.
        let (t1, t2) = (one.total_seconds.unwrap(), report.total_seconds.unwrap());
        assert!(t1 > 0.0 && t2 >= t1 && t2 < t1 + report.seconds + 1e-9);
        let times: Vec<f64> = std::fs::read_to_string(dir.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seconds"]
                    .as_f64()
                    .unwrap()
            })
            .collect();
        assert_eq!(times.len(), 12);
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }

    #[test]
    fn non_finite_metric_stops_and_keeps_the_last_checkpoint() {
        let dir = tmp("nan");
        let err = Trainer::new(cfg(20, &dir, false))
            .run(&mut toy(Some(7)))
            .unwrap_err();
        match err.downcast_ref::<TrainError>() {
            Some(TrainError::NonFinite {
                step: 7,
                metric,
                checkpoint: Some(p),
                ..
            }) if metric == "loss" => {
                let (meta, state) = decode_checkpoint(p, &std::fs::read(p).unwrap()).unwrap();
                assert_eq!(meta.step, 5);
                let x = (0..5).fold(1.0f64, |x, _| x * 0.9);
                assert_eq!(f64::from_le_bytes(state.try_into().unwrap()), x);
            }
            other => panic!("expected NonFinite at step 7, got {other:?}"),
        }
    }

    #[test]
    fn resume_refuses_another_config() {
        let dir = tmp("mismatch");
        Trainer::new(cfg(5, &dir, false))
            .run(&mut toy(None))
            .unwrap();
        let mut other = Toy {
            tag: 2,
            ..toy(None)
        };
        let err = Trainer::new(cfg(10, &dir, true))
            .run(&mut other)
            .unwrap_err();
        assert!(matches!(
            err.downcast_ref::<TrainError>(),
            Some(TrainError::ConfigMismatch { .. })
        ));
        let err = Trainer::new(cfg(10, &tmp("empty"), true))
            .run(&mut toy(None))
            .unwrap_err();
        assert!(matches!(
            err.downcast_ref::<TrainError>(),
            Some(TrainError::NoCheckpoint(_))
        ));
    }

    #[test]
    fn step_seeds_differ() {
        assert_ne!(step_seed(1, 0), step_seed(1, 1));
        assert_ne!(step_seed(1, 0), step_seed(2, 0));
        assert_eq!(step_seed(3, 4), step_seed(3, 4));
    }
}
