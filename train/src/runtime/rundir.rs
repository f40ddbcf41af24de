//! Run folders: the one discipline every command that writes (an output folder) follows.
//!
//! * **A run owns its folder.** The output folder must be new, empty, or a folder an earlier nmfnet run
//!   made (it holds the marker `.nmfnet-run.json`, which lists every file that run wrote). A
//!   folder holding anything else is refused before anything is written into it, so a command
//!   never writes over a file it did not create.
//! * **Inputs are never inside the output folder**: a run that replaces or continues a folder could
//!   otherwise replace the very file it read.
//! * **One run at a time.** The run holds an exclusive lock on `.nmfnet.lock` (with its pid
//!   inside) for as long as it lives; a second run on the same folder is refused at once.
//! * **An earlier run is kept until its replacement has succeeded.** [`Mode::Overwrite`] writes the
//!   new run into a staging folder beside the old one (`.NAME.nmfnet-new-PID`) and swaps the
//!   two only when the new run commits; a run that fails leaves the old folder as it was.
//!   Files of the old run therefore never survive into the new one. A folder that cannot be
//!   renamed (a mount point) is replaced in place instead: the new run is staged in a hidden
//!   temporary inside it, and its commit marks the folder unfinished, moves the new files up,
//!   removes the old ones and writes the finished marker last.
//! * **[`Mode::Resume`]** continues in place, in a folder made by the same command.
//! * **Symbolic links**: an output folder named through a link is the folder it points to (its
//!   replacement happens there; the link stays a link); a link in place of the lock file is
//!   refused, never written through.
//! * Writability is checked when the folder is opened, before any work.
//!
//! A kill at any moment leaves either the old folder, or an unfinished run (marker with
//! `complete: false`) that a resumed run continues or an overwriting one replaces; staging
//! folders left by a killed run are removed by the next run on the same folder (their lock is
//! free).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

mod folders;
use folders::*;

/// The marker naming a folder as an nmfnet run, with the files it wrote.
pub const MARKER: &str = ".nmfnet-run.json";
/// The lock file of a run folder.
pub const LOCK: &str = ".nmfnet.lock";
const FORMAT: u32 = 1;

/// What can stop a run from using its output folder.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    #[error("`out` {0} exists and is not a folder")]
    NotAFolder(PathBuf),
    #[error(
        "`out` {dir} holds files nmfnet did not write ({examples}); choose a new or empty folder"
    )]
    Foreign { dir: PathBuf, examples: String },
    #[error("`out` {dir} holds files its run did not write ({examples}); move them elsewhere before `overwrite`")]
    ForeignInRun { dir: PathBuf, examples: String },
    #[error(
        "`out` {dir} already holds {state} `{command}` run; pass {hint}, or choose another `out`"
    )]
    Taken {
        dir: PathBuf,
        command: String,
        state: &'static str,
        hint: &'static str,
    },
    #[error("`out` {dir} holds a `{found}` run, not a `{command}` one")]
    OtherCommand {
        dir: PathBuf,
        found: String,
        command: String,
    },
    #[error("`resume`: `out` {0} holds no run to continue")]
    NothingToResume(PathBuf),
    #[error("another nmfnet run ({who}) is using `out` {dir}; wait for it to finish or choose another `out`")]
    Locked { dir: PathBuf, who: String },
    #[error("the input {input} lies inside `out` {dir}, which this run may replace; choose another `out`")]
    InputInside { input: PathBuf, dir: PathBuf },
    #[error("cannot write to `out` {dir}: {cause}")]
    Unwritable { dir: PathBuf, cause: String },
    #[error(
        "`out` {dir}: the marker {MARKER} is damaged ({msg}); move the folder away or delete it"
    )]
    BadMarker { dir: PathBuf, msg: String },
    #[error("`resume` and `overwrite` exclude each other")]
    ResumeAndOverwrite,
    #[error("`out` {dir}: its lock file {LOCK} is a symbolic link, which nmfnet never writes through; remove the link")]
    LinkedLock { dir: PathBuf },
    #[error("`out` {dir} is a symbolic link to a folder that does not exist ({cause})")]
    DanglingLink { dir: PathBuf, cause: String },
}

/// How a run means to use an existing folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The folder must be new or empty.
    Fresh,
    /// Continue the run in the folder (made by the same command).
    Resume,
    /// Replace the run in the folder once the new one has succeeded.
    Overwrite,
    /// Continue the run in the folder if there is one (made by the same command), else start
    /// one: for commands that build their results incrementally (`reproduce`).
    Continue,
}

impl Mode {
    /// From the usual pair of flags.
    pub fn from_flags(resume: bool, overwrite: bool) -> Result<Self, OutDirError> {
        match (resume, overwrite) {
            (true, true) => Err(OutDirError::ResumeAndOverwrite),
            (true, false) => Ok(Mode::Resume),
            (false, true) => Ok(Mode::Overwrite),
            (false, false) => Ok(Mode::Fresh),
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Marker {
    format: u32,
    command: String,
    complete: bool,
    /// Names (relative to the folder) of the files and sub-folders this run wrote.
    files: BTreeSet<String>,
}

/// An output folder held by one run (locked until dropped).
#[derive(Debug)]
pub struct RunDir {
    /// The folder the user named.
    target: PathBuf,
    /// Where this run writes: `target`, or the staging folder when replacing a run.
    work: PathBuf,
    staging: bool,
    marker: Marker,
    _locks: Vec<File>,
    committed: bool,
    /// A new run in a new or empty folder (not a resumed or replaced one).
    fresh: bool,
    /// Whether this run created the folder.
    created: bool,
    /// A replacement staged inside the folder itself (a mount point cannot be renamed): the
    /// earlier run's names, removed from the folder when this run commits.
    in_place: Option<BTreeSet<String>>,
}

/// Is `name` one of the files a run folder always may hold (marker, lock, temporaries)?
fn bookkeeping(name: &str) -> bool {
    name == MARKER || name == LOCK || (name.starts_with('.') && name.contains(".tmp-"))
}

fn unwritable(dir: &Path, e: impl std::fmt::Display) -> OutDirError {
    OutDirError::Unwritable {
        dir: dir.into(),
        cause: e.to_string(),
    }
}

fn entries(dir: &Path) -> Result<Vec<String>, OutDirError> {
    let rd = std::fs::read_dir(dir).map_err(|e| unwritable(dir, e))?;
    let mut v: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    Ok(v)
}

fn examples(names: &[String]) -> String {
    let mut s = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        s.push_str(&format!(", … {} in all", names.len()));
    }
    s
}

/// After a new run could not start in `dir` because it could not write there (a full disk),
/// removes its lock and marker, and the folder when the run `created` it; any other failure
/// (another run holding the lock) leaves everything as it is.
fn undo_start(dir: &Path, e: &OutDirError, created: bool) {
    if matches!(e, OutDirError::Unwritable { .. }) {
        let _ = std::fs::remove_file(dir.join(MARKER));
        let _ = std::fs::remove_file(dir.join(LOCK));
        if created {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Writes `marker` into `dir`, atomically.
fn write_marker(dir: &Path, marker: &Marker) -> Result<(), OutDirError> {
    let text = serde_json::to_string_pretty(marker).expect("marker serialises");
    nmfnet_datasets::io::atomic_write(&dir.join(MARKER), text.as_bytes())
        .map_err(|e| unwritable(dir, e))
}

/// A name a marker may list: one plain component inside the folder, not a bookkeeping file.
fn plain_name(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    ) && !bookkeeping(name)
}

fn read_marker(dir: &Path) -> Result<Option<Marker>, OutDirError> {
    let p = dir.join(MARKER);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(OutDirError::BadMarker {
                dir: dir.into(),
                msg: e.to_string(),
            })
        }
    };
    let m: Marker = serde_json::from_str(&text).map_err(|e| OutDirError::BadMarker {
        dir: dir.into(),
        msg: e.to_string(),
    })?;
    if m.format != FORMAT {
        return Err(OutDirError::BadMarker {
            dir: dir.into(),
            msg: format!("format {}, expected {FORMAT}", m.format),
        });
    }
    // A run only ever names its own top-level entries; anything else (a path, "..") would
    // point `overwrite` at what the run did not write.
    if let Some(bad) = m.files.iter().find(|n| !plain_name(n)) {
        return Err(OutDirError::BadMarker {
            dir: dir.into(),
            msg: format!("it lists {bad:?}, which is not a file of the folder"),
        });
    }
    Ok(Some(m))
}

impl RunDir {
    /// Takes `target` for a run of `command` (see the module docs). `inputs` are the files and
    /// folders the run reads; none may lie inside `target`.
    pub fn open(
        target: &Path,
        command: &str,
        mode: Mode,
        inputs: &[&Path],
    ) -> Result<RunDir, OutDirError> {
        // An output folder given as a symbolic link means the folder it points to: the run,
        // its staging folder and its replacement all happen there, and the link stays.
        let resolved;
        let target = if target
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            resolved = target
                .canonicalize()
                .map_err(|e| OutDirError::DanglingLink {
                    dir: target.into(),
                    cause: e.to_string(),
                })?;
            resolved.as_path()
        } else {
            target
        };
        if target.exists() && !target.is_dir() {
            return Err(OutDirError::NotAFolder(target.into()));
        }
        recover(target)?;
        let fresh_marker = || Marker {
            format: FORMAT,
            command: command.to_string(),
            complete: false,
            files: BTreeSet::new(),
        };
        if !target.exists() {
            if mode == Mode::Resume {
                return Err(OutDirError::NothingToResume(target.into()));
            }
            std::fs::create_dir_all(target).map_err(|e| unwritable(target, e))?;
            return match Self::start(target, target.into(), false, fresh_marker(), Vec::new()) {
                Ok(mut rd) => {
                    rd.created = true;
                    Ok(rd)
                }
                Err(e) => {
                    // A folder it could not write into (a full disk): what it made goes.
                    undo_start(target, &e, true);
                    Err(e)
                }
            };
        }
        // Look before writing anything: a folder that is not ours is left untouched.
        let names = entries(target)?;
        let marker = read_marker(target)?;
        let Some(old) = marker else {
            let foreign: Vec<String> = names.into_iter().filter(|n| !bookkeeping(n)).collect();
            if !foreign.is_empty() {
                return Err(OutDirError::Foreign {
                    dir: target.into(),
                    examples: examples(&foreign),
                });
            }
            if mode == Mode::Resume {
                return Err(OutDirError::NothingToResume(target.into()));
            }
            return Self::start(target, target.into(), false, fresh_marker(), Vec::new())
                .inspect_err(|e| undo_start(target, e, false));
        };
        // An earlier run's folder (a new or empty one cannot hold an input).
        for input in inputs {
            if canonical_inside(input, target) {
                return Err(OutDirError::InputInside {
                    input: input.to_path_buf(),
                    dir: target.into(),
                });
            }
        }
        // Lock it first, then decide (another run may be in it).
        let held = lock(target)?;
        let old = read_marker(target)?.unwrap_or(old);
        let state = if old.complete {
            "a finished"
        } else {
            "an unfinished"
        };
        match mode {
            Mode::Fresh => Err(OutDirError::Taken {
                dir: target.into(),
                command: old.command,
                state,
                hint:
                    "`resume` to continue it (where the command has it), `overwrite` to replace it",
            }),
            Mode::Resume | Mode::Continue => {
                if old.command != command {
                    return Err(OutDirError::OtherCommand {
                        dir: target.into(),
                        found: old.command,
                        command: command.into(),
                    });
                }
                for n in entries(target)? {
                    if n.starts_with('.') && n.contains(".tmp-") {
                        let _ = std::fs::remove_file(target.join(&n));
                    }
                }
                let mut m = old;
                m.complete = false;
                Self::start(target, target.into(), false, m, vec![held])
            }
            Mode::Overwrite => {
                let foreign: Vec<String> = entries(target)?
                    .into_iter()
                    .filter(|n| !bookkeeping(n) && !old.files.contains(n))
                    .collect();
                if !foreign.is_empty() {
                    return Err(OutDirError::ForeignInRun {
                        dir: target.into(),
                        examples: examples(&foreign),
                    });
                }
                if cannot_rename(target) {
                    return Self::replace_in_place(target, old.files, fresh_marker(), held);
                }
                let (staging, _) = sibling(target, "new")?;
                let _ = std::fs::remove_dir_all(&staging);
                std::fs::create_dir(&staging).map_err(|e| unwritable(target, e))?;
                Self::start(target, staging, true, fresh_marker(), vec![held])
            }
        }
    }

    /// `overwrite` of a run whose folder cannot be renamed (a mount point): the new run is
    /// staged in a hidden folder inside it (a temporary's name, so that nothing counts it as
    /// a file of the run), and its commit removes the earlier run's files and moves the new
    /// ones up. Until the commit the earlier run stays as it was; a commit cut short leaves
    /// the staged files, which the next `overwrite` clears.
    fn replace_in_place(
        target: &Path,
        old_files: BTreeSet<String>,
        marker: Marker,
        held: File,
    ) -> Result<RunDir, OutDirError> {
        let staging = target.join(format!(".nmfnet-replacement.tmp-{}", std::process::id()));
        for n in entries(target)? {
            if n.starts_with(".nmfnet-replacement.tmp-") {
                let _ = std::fs::remove_dir_all(target.join(&n));
            }
        }
        std::fs::create_dir(&staging).map_err(|e| unwritable(target, e))?;
        let mut rd = Self::start(target, staging, true, marker, vec![held])?;
        rd.in_place = Some(old_files);
        Ok(rd)
    }

    fn start(
        target: &Path,
        work: PathBuf,
        staging: bool,
        marker: Marker,
        mut locks: Vec<File>,
    ) -> Result<RunDir, OutDirError> {
        let new_folder = locks.is_empty();
        if new_folder || staging {
            locks.push(lock(&work)?);
        }
        if new_folder {
            // A new or empty folder: someone may have written into it meanwhile.
            let foreign: Vec<String> = entries(&work)?
                .into_iter()
                .filter(|n| !bookkeeping(n))
                .collect();
            if !foreign.is_empty() {
                return Err(OutDirError::Foreign {
                    dir: target.into(),
                    examples: examples(&foreign),
                });
            }
        }
        let rd = RunDir {
            target: target.into(),
            work,
            staging,
            marker,
            _locks: locks,
            committed: false,
            fresh: new_folder,
            created: false,
            in_place: None,
        };
        rd.save_marker()?;
        Ok(rd)
    }

    fn save_marker(&self) -> Result<(), OutDirError> {
        // Errors name the folder the user gave, not the staging one.
        write_marker(&self.work, &self.marker).map_err(|e| match e {
            OutDirError::Unwritable { cause, .. } => unwritable(&self.target, cause),
            other => other,
        })
    }

    /// The folder this run writes into (the staging folder while replacing a run).
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// Whether this run replaces an earlier one (and writes into a staging folder meanwhile).
    pub fn replacing(&self) -> bool {
        self.staging
    }

    /// The folder the user named.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The path of `name` (a file or sub-folder of the run), recorded as this run's before it is
    /// written, so that a kill after the write still leaves it listed.
    pub fn file(&mut self, name: &str) -> Result<PathBuf, OutDirError> {
        let top = name.split('/').next().unwrap_or(name).to_string();
        if self.marker.files.insert(top) {
            self.save_marker()?;
        }
        Ok(self.work.join(name))
    }

    /// Records several names at once (see [`RunDir::file`]).
    pub fn claim(&mut self, names: &[&str]) -> Result<(), OutDirError> {
        let before = self.marker.files.len();
        for n in names {
            let top = n.split('/').next().unwrap_or(n).to_string();
            self.marker.files.insert(top);
        }
        if self.marker.files.len() != before {
            self.save_marker()?;
        }
        Ok(())
    }

    /// Records every entry of the folder as this run's: for commands that write many files
    /// into a folder they continue ([`Mode::Continue`]), once they have written them.
    pub fn claim_present(&mut self) -> Result<(), OutDirError> {
        let names: Vec<String> = entries(&self.work)?
            .into_iter()
            .filter(|n| !bookkeeping(n))
            .collect();
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        self.claim(&refs)
    }

    /// Marks the run finished; a replacement run takes the place of the old one now.
    pub fn commit(mut self) -> Result<PathBuf, OutDirError> {
        self.marker.complete = true;
        self.save_marker()?;
        if let Some(old_files) = self.in_place.take() {
            // From here on the staged files may be the run's only copy: a failure keeps them
            // (Drop no longer removes the staging folder).
            self.staging = false;
            let new: BTreeSet<String> = entries(&self.work)?
                .into_iter()
                .filter(|n| n != LOCK && n != MARKER)
                .collect();
            // While files move the folder's marker lists both runs' names, unfinished: a cut
            // short commit leaves a run that `overwrite` replaces and nothing foreign.
            let moving = Marker {
                complete: false,
                files: old_files.union(&new).cloned().collect(),
                ..self.marker.clone()
            };
            write_marker(&self.target, &moving)?;
            for name in &new {
                let dst = self.target.join(name);
                if std::fs::symlink_metadata(&dst).is_ok_and(|m| m.is_dir()) {
                    std::fs::remove_dir_all(&dst).map_err(|e| unwritable(&self.target, e))?;
                }
                // A file of the same name is replaced by the rename itself, atomically.
                std::fs::rename(self.work.join(name), &dst)
                    .map_err(|e| unwritable(&self.target, e))?;
            }
            for name in old_files.difference(&new) {
                let path = self.target.join(name);
                let gone = match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
                    Ok(_) => std::fs::remove_file(&path),
                    Err(_) => Ok(()),
                };
                gone.map_err(|e| unwritable(&self.target, e))?;
            }
            // The finished marker last.
            std::fs::rename(self.work.join(MARKER), self.target.join(MARKER))
                .map_err(|e| unwritable(&self.target, e))?;
            let _ = std::fs::remove_dir_all(&self.work);
            self.work = self.target.clone();
        } else if self.staging {
            let (old, _) = sibling(&self.target, "old")?;
            let _ = std::fs::remove_dir_all(&old);
            std::fs::rename(&self.target, &old).map_err(|e| unwritable(&self.target, e))?;
            if let Err(e) = std::fs::rename(&self.work, &self.target) {
                let _ = std::fs::rename(&old, &self.target);
                return Err(unwritable(&self.target, e));
            }
            let _ = std::fs::remove_dir_all(&old);
            self.work = self.target.clone();
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if self.staging {
            // The replacement failed: the earlier run stays as it was.
            let _ = std::fs::remove_dir_all(&self.work);
        } else if self.fresh
            && self
                .marker
                .files
                .iter()
                .all(|f| std::fs::symlink_metadata(self.work.join(f)).is_err())
        {
            // A new run that failed before writing anything leaves no trace (names it only
            // claimed, as a training run claims its checkpoint before it builds the model, do
            // not count).
            let _ = std::fs::remove_file(self.work.join(MARKER));
            let _ = std::fs::remove_file(self.work.join(LOCK));
            if self.created {
                let _ = std::fs::remove_dir(&self.work);
            }
        }
    }
}

#[cfg(test)]
mod tests;
