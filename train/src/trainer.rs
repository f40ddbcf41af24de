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
//! * optionally, stopping when the loss (the task's first metric) has reached a plateau
//!   ([`Plateau`]); the rule's state is saved in the checkpoint, so a resumed run stops at
//!   the step an uninterrupted one would, and a run that has stopped stays stopped;
//! * a guard that stops at the first NaN/Inf metric with an error naming the step and metric,
//!   keeping the last good checkpoint untouched (`NMFNET_FAULT_NAN_AT=STEP` makes the loss of
//!   that step NaN, to test what a stopped run leaves).
//!
//! Randomness belongs to the task, seeded from its config; a task that needs fresh random numbers
//! per step derives them from (seed, step) with [`crate::task::step_seed`], so a resumed run draws exactly
//! what an uninterrupted one would.

use crate::checkpoint::{checkpoint_path, encode_checkpoint, restore, CheckpointMeta};
pub use crate::error::TrainError;
use crate::metric_log::{metrics_json, truncate_log};
pub use crate::plateau::Plateau;
use crate::plateau::PlateauState;
use crate::progress::step_bar;
use crate::task::{Metrics, Task};
use indicatif::ProgressBar;
use nmfnet_datasets::io::atomic_write;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The files the loop writes into its folder.
pub const FILES: [&str; 3] = ["checkpoint.bin", "config.json", "metrics.jsonl"];

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
    /// Accept a version-1 checkpoint (written before checksums, so nothing but its shapes can
    /// be checked) for this resume; its next checkpoint is written in the current version.
    #[serde(default)]
    pub upgrade: bool,
    /// Show the progress bar (it also hides itself when stderr is not a terminal).
    pub progress: bool,
    /// Label of the progress bar.
    pub label: String,
    /// Stop before `steps` once the loss stops improving (None: run every step).
    #[serde(default)]
    pub plateau: Option<Plateau>,
    /// Stop switch, read before every step: once set, the run stops with
    /// [`TrainError::Cancelled`], its last checkpoint (if any) untouched.
    #[serde(skip)]
    pub cancel: nmfnet_datasets::Cancel,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            steps: 100,
            out_dir: None,
            checkpoint_every: 50,
            log_every: 1,
            resume: false,
            upgrade: false,
            progress: true,
            label: "train".into(),
            plateau: None,
            cancel: Default::default(),
        }
    }
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
    /// Steps done in all, over every call (≤ `steps`; fewer when the plateau rule stopped).
    pub steps_done: usize,
    /// Whether the plateau rule stopped the run (in this call or an earlier one).
    pub plateau_stopped: bool,
}

/// The step at which `NMFNET_FAULT_NAN_AT` asks the loop to see a NaN loss: fault injection,
/// so that the guard and what a stopped run leaves behind can be tested end to end.
fn fault_injection() -> Option<usize> {
    std::env::var("NMFNET_FAULT_NAN_AT")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The generic loop.
pub struct Trainer {
    pub config: TrainerConfig,
}

/// Where a run starts: the step, the training seconds of earlier calls, the last good
/// checkpoint and the plateau rule's state (all from the checkpoint when resuming).
struct Start {
    step: usize,
    earlier_seconds: Option<f64>,
    last_good: Option<PathBuf>,
    plateau: PlateauState,
}

/// The loop's state between steps.
struct Running<'a> {
    cfg: &'a TrainerConfig,
    log: Option<BufWriter<File>>,
    bar: ProgressBar,
    last_good: Option<PathBuf>,
    plateau: PlateauState,
    earlier_seconds: Option<f64>,
    loop_started: Instant,
}

fn io_error(e: std::io::Error, what: &str, p: &Path) -> TrainError {
    TrainError::Io(format!("{what} {}: {e}", p.display()))
}

impl Trainer {
    pub fn new(config: TrainerConfig) -> Self {
        Self { config }
    }

    /// Runs `task` up to `config.steps` steps (see the module docs).
    pub fn run<T: Task>(&self, task: &mut T) -> anyhow::Result<TrainReport> {
        let cfg = &self.config;
        let started = Instant::now();
        let start = self.restore(task)?;
        let log = self.open_log(task)?;
        // A run the plateau rule stopped has nothing left to do.
        let end = if start.plateau.stopped {
            start.step
        } else {
            cfg.steps
        };
        let bar = if cfg.progress && end > start.step {
            step_bar(cfg.steps, start.step, &cfg.label)
        } else {
            ProgressBar::hidden()
        };
        let mut run = Running {
            cfg,
            log,
            bar,
            last_good: start.last_good,
            plateau: start.plateau,
            earlier_seconds: start.earlier_seconds,
            loop_started: Instant::now(),
        };
        let mut history = Vec::new();
        let mut last = Vec::new();
        let mut final_seconds = None;
        let fault_at = fault_injection();
        let mut done_steps = start.step;
        for step in start.step..end {
            let metrics = run.step(task, step, fault_at)?;
            let done = step + 1;
            done_steps = done;
            let flat = run.flat(&metrics);
            let is_last = done == cfg.steps || flat;
            if step == start.step || is_last || done % cfg.log_every.max(1) == 0 {
                run.log_line(step, &metrics)?;
                history.push((step, metrics.clone()));
            }
            if cfg.out_dir.is_some() && (is_last || done % cfg.checkpoint_every.max(1) == 0) {
                let seconds = run.checkpoint(task, done)?;
                if is_last {
                    // The total reported is the one saved: a resumed run adds to it.
                    final_seconds = Some(seconds);
                }
            }
            last = metrics;
            if flat {
                break;
            }
        }
        run.bar.finish_and_clear();
        run.flush_log()?;
        Ok(TrainReport {
            steps_run: done_steps - start.step,
            start_step: start.step,
            last,
            history,
            seconds: started.elapsed().as_secs_f64(),
            total_seconds: final_seconds.unwrap_or_else(|| run.so_far()),
            steps_done: done_steps,
            plateau_stopped: run.plateau.stopped,
        })
    }

    /// Resume: the checkpoint's state restored into `task`, the log cut back to its step.
    fn restore<T: Task>(&self, task: &mut T) -> anyhow::Result<Start> {
        let cfg = &self.config;
        if !cfg.resume {
            return Ok(Start {
                step: 0,
                earlier_seconds: Some(0.0),
                last_good: None,
                plateau: PlateauState::default(),
            });
        }
        let dir = cfg.out_dir.as_ref().ok_or(TrainError::ResumeWithoutDir)?;
        let (meta, path) = restore(dir, task)?;
        if meta.version == 1 && !cfg.upgrade {
            return Err(TrainError::OldCheckpoint { path }.into());
        }
        if meta.step > cfg.steps {
            return Err(TrainError::FewerSteps {
                path,
                done: meta.step,
                asked: cfg.steps,
            }
            .into());
        }
        let log = dir.join("metrics.jsonl");
        truncate_log(&log, meta.step).map_err(|e| io_error(e, "cannot rewrite", &log))?;
        Ok(Start {
            step: meta.step,
            earlier_seconds: meta.seconds,
            last_good: Some(path),
            plateau: match cfg.plateau {
                Some(_) => meta.plateau.unwrap_or_default(),
                None => PlateauState::default(),
            },
        })
    }

    /// The folder's config file, and its metric log opened for this run: a fresh run starts
    /// its own log, a resumed one appends to the cut-back log.
    fn open_log<T: Task>(&self, task: &T) -> anyhow::Result<Option<BufWriter<File>>> {
        let cfg = &self.config;
        let Some(dir) = &cfg.out_dir else {
            return Ok(None);
        };
        std::fs::create_dir_all(dir).map_err(|e| io_error(e, "cannot create", dir))?;
        atomic_write(
            &dir.join("config.json"),
            serde_json::to_string_pretty(&task.config_json())?.as_bytes(),
        )?;
        let p = dir.join("metrics.jsonl");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(cfg.resume)
            .write(true)
            .truncate(!cfg.resume)
            .open(&p)
            .map_err(|e| io_error(e, "cannot open", &p))?;
        Ok(Some(BufWriter::new(f)))
    }
}

impl Running<'_> {
    /// Training seconds of every call so far (None after a checkpoint that did not record them).
    fn so_far(&self) -> Option<f64> {
        self.earlier_seconds
            .map(|e| e + self.loop_started.elapsed().as_secs_f64())
    }

    /// One step of the task, after the stop switch and before the NaN guard.
    fn step<T: Task>(
        &mut self,
        task: &mut T,
        step: usize,
        fault_at: Option<usize>,
    ) -> anyhow::Result<Metrics> {
        if self.cfg.cancel.is_cancelled() {
            self.abandon();
            return Err(TrainError::Cancelled {
                step,
                checkpoint: self.last_good.clone(),
            }
            .into());
        }
        let mut metrics = task.step(step)?;
        if fault_at == Some(step) {
            if let Some(first) = metrics.first_mut() {
                first.1 = f64::NAN;
            }
        }
        if let Some((name, value)) = metrics.iter().find(|(_, v)| !v.is_finite()) {
            self.abandon();
            return Err(TrainError::NonFinite {
                step,
                metric: name.clone(),
                value: *value,
                checkpoint: self.last_good.clone(),
                saving: self.cfg.out_dir.is_some(),
            }
            .into());
        }
        if let Some((name, v)) = metrics.first() {
            self.bar.set_message(format!("{name} {v:.6e}"));
        }
        self.bar.inc(1);
        Ok(metrics)
    }

    /// Whether the plateau rule stops the run after this step's loss.
    fn flat(&mut self, metrics: &Metrics) -> bool {
        match (&self.cfg.plateau, metrics.first()) {
            (Some(rule), Some((_, loss))) => self.plateau.push(rule, *loss),
            _ => false,
        }
    }

    /// A stopped run: the bar left as it is, what the log holds written out.
    fn abandon(&mut self) {
        self.bar.abandon();
        if let Some(w) = self.log.as_mut() {
            let _ = w.flush();
        }
    }

    fn log_line(&mut self, step: usize, metrics: &Metrics) -> anyhow::Result<()> {
        let seconds = self.so_far();
        if let Some(w) = self.log.as_mut() {
            writeln!(w, "{}", metrics_json(step, metrics, seconds))
                .map_err(|e| TrainError::Io(format!("cannot append to metrics.jsonl: {e}")))?;
        }
        Ok(())
    }

    fn flush_log(&mut self) -> anyhow::Result<()> {
        if let Some(w) = self.log.as_mut() {
            w.flush()
                .map_err(|e| TrainError::Io(format!("cannot write metrics.jsonl: {e}")))?;
        }
        Ok(())
    }

    /// Writes the checkpoint after `done` steps (the log first, so that it never lags the
    /// checkpoint); returns the training seconds it records.
    fn checkpoint<T: Task>(&mut self, task: &T, done: usize) -> anyhow::Result<Option<f64>> {
        self.flush_log()?;
        let dir = self
            .cfg
            .out_dir
            .as_ref()
            .expect("checkpoints need a folder");
        let meta = CheckpointMeta {
            step: done,
            config: task.config_json(),
            seconds: self.so_far(),
            plateau: self.cfg.plateau.map(|_| self.plateau.clone()),
            version: 0,
        };
        let path = checkpoint_path(dir);
        atomic_write(&path, &encode_checkpoint(&meta, &task.save_state()?))?;
        self.last_good = Some(path);
        Ok(meta.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::decode_checkpoint;
    use crate::task::step_seed;

    /// A task with one scalar state that shrinks by 10% per step; NaN at a chosen step.
    struct Toy {
        x: f64,
        nan_at: Option<usize>,
        tag: u32,
        /// Added to the loss, so that it levels off at this value.
        floor: f64,
    }

    impl Task for Toy {
        fn step(&mut self, step: usize) -> anyhow::Result<Metrics> {
            self.x *= 0.9;
            let loss = if Some(step) == self.nan_at {
                f64::NAN
            } else {
                self.floor + self.x
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
            floor: 0.0,
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
            upgrade: false,
            progress: false,
            label: "toy".into(),
            plateau: None,
            cancel: Default::default(),
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

    /// Sets the stop switch after its step `at`, like a Ctrl-C handler would mid-run.
    struct CancelAfter {
        toy: Toy,
        at: usize,
        cancel: nmfnet_datasets::Cancel,
    }

    impl Task for CancelAfter {
        fn step(&mut self, step: usize) -> anyhow::Result<Metrics> {
            if step == self.at {
                self.cancel.cancel();
            }
            self.toy.step(step)
        }
        fn config_json(&self) -> serde_json::Value {
            self.toy.config_json()
        }
        fn save_state(&self) -> anyhow::Result<Vec<u8>> {
            self.toy.save_state()
        }
        fn load_state(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
            self.toy.load_state(bytes)
        }
    }

    #[test]
    fn a_cancelled_run_stops_before_the_next_step_and_resumes_exactly() {
        let dir = tmp("cancel");
        let cancel = nmfnet_datasets::Cancel::new();
        let mut task = CancelAfter {
            toy: toy(None),
            at: 7,
            cancel: cancel.clone(),
        };
        let err = Trainer::new(TrainerConfig {
            cancel: cancel.clone(),
            ..cfg(12, &dir, false)
        })
        .run(&mut task)
        .unwrap_err();
        match err.downcast_ref::<TrainError>() {
            Some(TrainError::Cancelled {
                step: 8,
                checkpoint: Some(p),
            }) => assert_eq!(p, &checkpoint_path(&dir)),
            other => panic!("expected a cancellation before step 8, got {other:?}"),
        }
        // Steps 0..=7 ran; the checkpoint is that of step 5 (every 5), and resuming (a fresh
        // switch) ends where an uninterrupted run ends.
        assert_eq!(task.toy.x, (0..8).fold(1.0, |x: f64, _| x * 0.9));
        let mut second = toy(None);
        let r = Trainer::new(cfg(12, &dir, true)).run(&mut second).unwrap();
        assert_eq!(r.start_step, 5);
        let mut whole = toy(None);
        Trainer::new(TrainerConfig {
            out_dir: None,
            ..cfg(12, &dir, false)
        })
        .run(&mut whole)
        .unwrap();
        assert_eq!(second.x, whole.x);
        let _ = std::fs::remove_dir_all(&dir);
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
        // A kill mid-write leaves a torn last line: resuming drops it with the steps after the
        // checkpoint.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("metrics.jsonl"))
            .unwrap();
        f.write_all(b"{\"step\": 7, \"lo").unwrap();
        drop(f);
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
    fn a_version_1_checkpoint_is_resumed_only_when_upgraded() {
        let dir = tmp("v1");
        Trainer::new(cfg(7, &dir, false))
            .run(&mut toy(None))
            .unwrap();
        // The same checkpoint in the format of before checksums.
        let p = checkpoint_path(&dir);
        let (meta, state) = decode_checkpoint(&p, &std::fs::read(&p).unwrap()).unwrap();
        let meta_json = serde_json::to_vec(&meta).unwrap();
        let mut v1 = b"NMFNETCK".to_vec();
        v1.extend_from_slice(&1u32.to_le_bytes());
        v1.extend_from_slice(&(meta_json.len() as u64).to_le_bytes());
        v1.extend_from_slice(&meta_json);
        v1.extend_from_slice(&state);
        std::fs::write(&p, &v1).unwrap();
        // Read-only use still loads it (its state fits the model).
        assert_eq!(
            crate::checkpoint::load_checkpoint(&dir, &mut toy(None)).unwrap(),
            7
        );
        // A resume refuses it and leaves it as it was...
        let err = Trainer::new(cfg(12, &dir, true))
            .run(&mut toy(None))
            .unwrap_err();
        assert!(
            matches!(
                err.downcast_ref::<TrainError>(),
                Some(TrainError::OldCheckpoint { .. })
            ),
            "{err:#}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), v1);
        // ...unless upgraded: then it continues exactly, and what it writes is version 2.
        let mut resumed = toy(None);
        let report = Trainer::new(TrainerConfig {
            upgrade: true,
            ..cfg(12, &dir, true)
        })
        .run(&mut resumed)
        .unwrap();
        assert_eq!(report.start_step, 7);
        let mut whole = toy(None);
        Trainer::new(TrainerConfig {
            out_dir: None,
            ..cfg(12, &dir, false)
        })
        .run(&mut whole)
        .unwrap();
        assert_eq!(resumed.x, whole.x);
        let (meta, _) = decode_checkpoint(&p, &std::fs::read(&p).unwrap()).unwrap();
        assert_eq!((meta.step, meta.version), (12, 2));
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
        // A smaller step target than the checkpoint's is refused, not silently "finished".
        let err = Trainer::new(cfg(3, &dir, true))
            .run(&mut toy(None))
            .unwrap_err();
        assert!(matches!(
            err.downcast_ref::<TrainError>(),
            Some(TrainError::FewerSteps {
                done: 5,
                asked: 3,
                ..
            })
        ));
        let err = Trainer::new(cfg(10, &tmp("empty"), true))
            .run(&mut toy(None))
            .unwrap_err();
        assert!(matches!(
            err.downcast_ref::<TrainError>(),
            Some(TrainError::NoCheckpoint(_))
        ));
    }

    /// The first step (1-based count) after which the rule stops the loss sequence `losses`,
    /// computed directly from the definition: min of the first t losses against min of the
    /// first t − patience.
    fn plateau_stop(losses: &[f64], rule: &Plateau) -> Option<usize> {
        let min = |k: usize| losses[..k].iter().cloned().fold(f64::INFINITY, f64::min);
        (rule.patience + 1..=losses.len())
            .find(|&t| min(t - rule.patience) - min(t) <= rule.rel_tol * min(t).abs())
    }

    #[test]
    fn plateau_stops_where_the_rule_says_and_resumes_to_the_same_step() {
        let rule = Plateau {
            patience: 4,
            rel_tol: 1e-3,
        };
        let flat = || Toy {
            floor: 2.0,
            ..toy(None)
        };
        // x after t steps, as the toy computes it (t multiplications by 0.9).
        let x_after = |t: usize| (0..t).fold(1.0f64, |x, _| x * 0.9);
        let losses: Vec<f64> = (1..=200).map(|t| 2.0 + x_after(t)).collect();
        let expect = plateau_stop(&losses, &rule).expect("the toy levels off");
        assert!(expect > 5 && expect < 200, "{expect}");
        let with = |c: TrainerConfig| TrainerConfig {
            plateau: Some(rule),
            ..c
        };
        // Uninterrupted, in memory.
        let dir = tmp("plateau");
        let mut whole = flat();
        let r = Trainer::new(with(TrainerConfig {
            out_dir: None,
            ..cfg(200, &dir, false)
        }))
        .run(&mut whole)
        .unwrap();
        assert!(r.plateau_stopped);
        assert_eq!((r.steps_done, r.steps_run), (expect, expect));
        assert_eq!(whole.x, x_after(expect));
        // Without the rule every step runs.
        let r = Trainer::new(TrainerConfig {
            out_dir: None,
            ..cfg(200, &dir, false)
        })
        .run(&mut flat())
        .unwrap();
        assert!(!r.plateau_stopped && r.steps_done == 200);
        // Interrupted three steps before the stop, then resumed: the same stop, the same state.
        let mut first = flat();
        Trainer::new(with(cfg(expect - 3, &dir, false)))
            .run(&mut first)
            .unwrap();
        let mut second = flat();
        let r = Trainer::new(with(cfg(200, &dir, true)))
            .run(&mut second)
            .unwrap();
        assert!(r.plateau_stopped);
        assert_eq!((r.start_step, r.steps_done), (expect - 3, expect));
        assert_eq!(second.x, whole.x);
        assert_eq!(log_steps(&dir), (0..expect as u64).collect::<Vec<_>>());
        // A stopped run stays stopped: resuming it runs nothing.
        let mut third = flat();
        let r = Trainer::new(with(cfg(200, &dir, true)))
            .run(&mut third)
            .unwrap();
        assert!(r.plateau_stopped);
        assert_eq!((r.steps_run, r.steps_done), (0, expect));
        assert_eq!(third.x, whole.x);
    }

    #[test]
    fn step_seeds_differ() {
        assert_ne!(step_seed(1, 0), step_seed(1, 1));
        assert_ne!(step_seed(1, 0), step_seed(2, 0));
        assert_eq!(step_seed(3, 4), step_seed(3, 4));
    }
}
