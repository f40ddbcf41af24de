//! Jobs: what a command is asked to do, as one serde value per command (`ClusterJob`, `NmfJob`,
//! `GanTrainJob`, …), built from the models' and solvers' own configs, with the run options
//! every command shares ([`RunOptions`]).
//!
//! A front end (the command line, the Python binding) builds a job from its own vocabulary and
//! is the only place that knows that vocabulary: a job names its settings by their field
//! names, and so do the errors of this crate — a field is written between backquotes
//! (`` `restarts` ``, `` `out` ``), and [`render_fields`] lets a front end put its own names in
//! their place (`--restarts` on the command line, `n_restarts=` in Python).
//!
//! Every run that writes an output folder writes its job there as `job.json`, defaults
//! resolved; running that file again (`nmfnet cluster --job FILE`) gives the same results.

use nmfnet_datasets::Cancel;
use nmfnet_train::runtime::rundir::{Mode, OutDirError, RunDir};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file a run writes its job to.
pub const JOB_FILE: &str = "job.json";

/// How a run treats an output folder that already holds a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutMode {
    /// The folder must be new or empty.
    #[default]
    New,
    /// Continue the run in the folder (made by the same command).
    Resume,
    /// Replace the run in the folder once the new one has succeeded.
    Overwrite,
}

impl OutMode {
    /// The mode of an output folder.
    pub fn mode(self) -> Mode {
        match self {
            OutMode::New => Mode::Fresh,
            OutMode::Resume => Mode::Resume,
            OutMode::Overwrite => Mode::Overwrite,
        }
    }
}

/// What every command that may write shares: where, how, how often it saves, whether it shows
/// progress, and its stop switch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunOptions {
    /// Output folder (None: nothing is written).
    pub out: Option<PathBuf>,
    /// How an existing run in `out` is treated.
    pub mode: OutMode,
    /// Steps (epochs) between checkpoints of a training run (None: the command's default).
    pub checkpoint_every: Option<usize>,
    /// With `resume`: accept a version-1 checkpoint (from before checksums) once; the run's
    /// next checkpoint is written in the current format.
    pub upgrade: bool,
    /// Progress bars on stderr.
    pub progress: bool,
    /// Stop switch: once set, the run stops at its next iteration or step with an error.
    #[serde(skip)]
    pub cancel: Cancel,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            out: None,
            mode: OutMode::New,
            checkpoint_every: None,
            upgrade: false,
            progress: true,
            cancel: Cancel::default(),
        }
    }
}

impl RunOptions {
    /// Takes the output folder for a run of `command` (see [`nmfnet_train::runtime::rundir`]):
    /// refuses a folder holding files nmfnet did not write, an earlier run unless resumed or
    /// overwritten, a folder another run holds, and inputs inside it. `None` when nothing is
    /// written.
    pub fn open(&self, command: &str, inputs: &[&Path]) -> Result<Option<RunDir>, OutDirError> {
        match &self.out {
            None => Ok(None),
            Some(dir) => Ok(Some(RunDir::open(dir, command, self.mode.mode(), inputs)?)),
        }
    }

    /// Checks the settings that need no folder: a checkpoint every 0 steps means nothing.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.upgrade && !self.resume() {
            anyhow::bail!("`upgrade` applies to a `resume` only");
        }
        if self.checkpoint_every == Some(0) {
            anyhow::bail!(
                "`checkpoint_every` must be at least 1 (steps between checkpoints), got 0"
            );
        }
        Ok(())
    }

    /// Whether the run continues the one in its folder.
    pub fn resume(&self) -> bool {
        self.mode == OutMode::Resume
    }
}

/// Writes `job` into the run folder as [`JOB_FILE`].
pub fn write_job<J: Serialize>(run: &mut RunDir, job: &J) -> anyhow::Result<()> {
    crate::outdir::write_json(&run.file(JOB_FILE)?, job)
}

/// Reads a job written by a run (or by hand): unknown fields are refused, missing ones take
/// their defaults.
pub fn read_job<J: DeserializeOwned>(path: &Path) -> anyhow::Result<J> {
    let text = read_text(path).map_err(|e| anyhow::anyhow!("cannot read the job: {e}"))?;
    parse_job(&text).map_err(|e| anyhow::anyhow!("invalid job {}: {e}", path.display()))
}

/// A user's text file (a job or a config): a regular file of UTF-8.
pub(crate) fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = nmfnet_datasets::io::read_file(path)?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))
}

/// A job from its JSON text (a file's, or a binding's dict). A key given twice in one object
/// is refused (JSON leaves it undefined; serde would keep one silently).
pub fn parse_job<J: DeserializeOwned>(text: &str) -> Result<J, serde_json::Error> {
    let text = text.trim_start_matches('\u{feff}');
    no_repeated_keys(text)?;
    serde_json::from_str(text)
}

/// Fails on the first object of `text` (JSON) that names a key twice, naming the key.
pub fn no_repeated_keys(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<Unrepeated>(text).map(|_| ())
}

/// Any JSON value, read only to find an object that repeats a key.
struct Unrepeated;

impl<'de> serde::Deserialize<'de> for Unrepeated {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnrepeatedVisitor)
    }
}

struct UnrepeatedVisitor;

impl<'de> serde::de::Visitor<'de> for UnrepeatedVisitor {
    type Value = Unrepeated;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Unrepeated, E> {
        Ok(Unrepeated)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unrepeated, E> {
        Ok(Unrepeated)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unrepeated, E> {
        Ok(Unrepeated)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unrepeated, E> {
        Ok(Unrepeated)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unrepeated, E> {
        Ok(Unrepeated)
    }
    fn visit_unit<E>(self) -> Result<Unrepeated, E> {
        Ok(Unrepeated)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unrepeated, A::Error> {
        while seq.next_element::<Unrepeated>()?.is_some() {}
        Ok(Unrepeated)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unrepeated, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key \"{key}\" appears twice in one object"
                )));
            }
            map.next_value::<Unrepeated>()?;
        }
        Ok(Unrepeated)
    }
}

/// Puts a front end's names in place of the backquoted field names of a message: `` `restarts` ``
/// becomes `rename("restarts")` where that gives a name, and stays as it is otherwise.
pub fn render_fields(message: &str, rename: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('`') {
        let Some(len) = rest[start + 1..].find('`') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        out.push_str(&rest[..start]);
        match rename(name) {
            Some(new) => out.push_str(&new),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}
