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
//!   Files of the old run therefore never survive into the new one.
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

/// Options that never follow a symbolic link at the last component: a link planted as the lock
/// file must not have its target written.
fn no_follow(o: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o
}

/// Opens (creating) the lock file of `dir` and takes it, or says who holds it. A symbolic link
/// in its place is refused, never followed.
fn lock(dir: &Path) -> Result<File, OutDirError> {
    let p = dir.join(LOCK);
    if p.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(OutDirError::LinkedLock { dir: dir.into() });
    }
    let mut f = no_follow(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(&p)
    .map_err(|e| unwritable(dir, e))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut who = String::new();
            let _ = f.read_to_string(&mut who);
            let who = match who.trim() {
                "" => "pid unknown".to_string(),
                pid => format!("pid {pid}"),
            };
            return Err(OutDirError::Locked {
                dir: dir.into(),
                who,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(unwritable(dir, e)),
    }
    let pid = std::process::id().to_string();
    (|| {
        f.set_len(0)?;
        f.rewind()?;
        f.write_all(pid.as_bytes())?;
        f.flush()
    })()
    .map_err(|e| unwritable(dir, e))?;
    Ok(f)
}

/// Is the lock of `dir` free (so whatever left `dir` is gone)?
fn lock_is_free(dir: &Path) -> bool {
    match no_follow(OpenOptions::new().read(true).write(true)).open(dir.join(LOCK)) {
        Ok(f) => f.try_lock().is_ok(),
        Err(_) => true,
    }
}

/// Folder names longer than this get a shortened staging sibling (see [`sibling`]).
const LONG_NAME: usize = 200;

/// FNV-1a, 64 bits: a stable digest of a name (not a security measure).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Whether `dir` is a mount point (another device than its parent's; Unix only).
/// Whether a run in `dir` must be replaced in place: a mount point cannot be renamed.
fn cannot_rename(dir: &Path) -> bool {
    #[cfg(test)]
    if tests::IN_PLACE.with(|f| f.get()) {
        return true;
    }
    is_mount_point(dir)
}

fn is_mount_point(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let parent = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.parent().map(Path::to_path_buf));
        match (std::fs::metadata(dir), parent.map(std::fs::metadata)) {
            (Ok(d), Some(Ok(p))) => d.dev() != p.dev(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

fn sibling(target: &Path, tag: &str) -> Result<(PathBuf, String), OutDirError> {
    let name = target
        .file_name()
        .ok_or_else(|| unwritable(target, "not a folder name"))?
        .to_string_lossy()
        .into_owned();
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // A long name keeps its start and a digest of the whole, so that the sibling's name
    // stays within the 255 bytes of a file name.
    let name = if name.len() > LONG_NAME {
        let mut cut = 100;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}~{:016x}", &name[..cut], fnv1a(name.as_bytes()))
    } else {
        name
    };
    let prefix = format!(".{name}.nmfnet-{tag}-");
    Ok((
        parent.join(format!("{prefix}{}", std::process::id())),
        prefix,
    ))
}

/// Removes staging folders of `target` left by killed runs, and puts back a run a kill caught
/// between the two renames of a swap.
fn recover(target: &Path) -> Result<(), OutDirError> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(rd) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    let (_, new_prefix) = sibling(target, "new")?;
    let (_, old_prefix) = sibling(target, "old")?;
    let mut stale_new = Vec::new();
    let mut stale_old = Vec::new();
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if name.starts_with(&new_prefix) && lock_is_free(&path) {
            stale_new.push(path);
        } else if name.starts_with(&old_prefix) && lock_is_free(&path) {
            stale_old.push(path);
        }
    }
    if !target.exists() {
        // A swap was interrupted after the old run moved aside: the new one, if it finished,
        // else the old one, becomes the folder again.
        let finished = stale_new
            .iter()
            .position(|p| read_marker(p).ok().flatten().is_some_and(|m| m.complete));
        if let Some(i) = finished {
            let p = stale_new.remove(i);
            std::fs::rename(&p, target).map_err(|e| unwritable(target, e))?;
        } else if let Some(p) = stale_old.pop() {
            std::fs::rename(&p, target).map_err(|e| unwritable(target, e))?;
        }
    }
    for p in stale_new.iter().chain(&stale_old) {
        let _ = std::fs::remove_dir_all(p);
    }
    Ok(())
}

fn canonical_inside(input: &Path, dir: &Path) -> bool {
    match (input.canonicalize(), dir.canonicalize()) {
        (Ok(i), Ok(d)) => i.starts_with(d),
        _ => false,
    }
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
mod tests {
    use super::*;

    thread_local! {
        /// Replace in place as on a mount point (which a test cannot make).
        pub(super) static IN_PLACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("nmfnet-rundir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write(rd: &mut RunDir, name: &str, text: &str) {
        let p = rd.file(name).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn links_are_never_written_through_and_an_out_link_means_its_folder() {
        let d = tmp("links");
        // A link planted as the lock file: its target keeps its bytes.
        let victim = d.join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let run = d.join("run");
        let mut rd = RunDir::open(&run, "cluster", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "a.txt", "1");
        rd.commit().unwrap();
        std::fs::remove_file(run.join(LOCK)).ok();
        std::os::unix::fs::symlink(&victim, run.join(LOCK)).unwrap();
        let err = RunDir::open(&run, "cluster", Mode::Resume, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::LinkedLock { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        std::fs::remove_file(run.join(LOCK)).unwrap();
        // Overwriting through a link replaces the run in the folder it points to; the link
        // stays a link, and no file of the old run survives.
        let link = d.join("latest");
        std::os::unix::fs::symlink(&run, &link).unwrap();
        let mut rd = RunDir::open(&link, "cluster", Mode::Overwrite, &[]).unwrap();
        write(&mut rd, "b.txt", "2");
        rd.commit().unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert!(run.join("b.txt").is_file() && !run.join("a.txt").exists());
        // A link to nothing is a typed error.
        let dangling = d.join("dangling");
        std::os::unix::fs::symlink(d.join("missing"), &dangling).unwrap();
        let err = RunDir::open(&dangling, "cluster", Mode::Fresh, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::DanglingLink { .. }), "{err}");
    }

    #[test]
    fn folders_with_other_files_are_refused_untouched() {
        let d = tmp("foreign");
        std::fs::write(d.join("labels.npy"), "mine").unwrap();
        let err = RunDir::open(&d, "cluster", Mode::Fresh, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::Foreign { .. }), "{err}");
        let err = RunDir::open(&d, "cluster", Mode::Overwrite, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::Foreign { .. }), "{err}");
        assert_eq!(entries(&d).unwrap(), vec!["labels.npy".to_string()]);
    }

    #[test]
    fn overwrite_replaces_only_after_commit_and_drops_stale_files() {
        let base = tmp("swap");
        let out = base.join("run");
        let mut rd = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "basis.png", "old");
        write(&mut rd, "summary.json", "old");
        rd.commit().unwrap();
        // Taken without a flag.
        let err = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::Taken { .. }), "{err}");
        // A replacement that fails leaves the old run.
        {
            let mut rd = RunDir::open(&out, "nmf", Mode::Overwrite, &[]).unwrap();
            write(&mut rd, "summary.json", "half");
        }
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "old"
        );
        // One that succeeds replaces it whole: the old basis.png is gone.
        let mut rd = RunDir::open(&out, "nmf", Mode::Overwrite, &[]).unwrap();
        write(&mut rd, "summary.json", "new");
        rd.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "new"
        );
        assert!(!out.join("basis.png").exists());
        // Nothing is left beside it.
        assert_eq!(entries(&base).unwrap(), vec!["run".to_string()]);
    }

    #[test]
    fn a_run_with_a_name_near_the_limit_is_replaced() {
        // 240 bytes (multi-byte characters included): its staging sibling's name would have
        // passed the 255-byte limit of a file name.
        let base = tmp("long");
        let name: String = "é".repeat(20) + &"r".repeat(200);
        assert_eq!(name.len(), 240);
        let out = base.join(&name);
        let mut rd = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "summary.json", "old");
        rd.commit().unwrap();
        let mut rd = RunDir::open(&out, "nmf", Mode::Overwrite, &[]).unwrap();
        write(&mut rd, "summary.json", "new");
        rd.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "new"
        );
        assert_eq!(entries(&base).unwrap(), vec![name]);
        // A mount point (which `overwrite` replaces in place: it cannot be renamed) is told
        // from a plain folder.
        if Path::new("/proc/self").exists() {
            assert!(is_mount_point(Path::new("/proc")));
        }
        assert!(!is_mount_point(&out));
    }

    #[test]
    fn a_mount_point_is_replaced_in_place() {
        let out = tmp("in-place").join("run");
        let mut rd = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "summary.json", "old");
        let sub = rd.file("restarts").unwrap();
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("x"), "old").unwrap();
        rd.commit().unwrap();
        let before = std::fs::read_to_string(out.join(MARKER)).unwrap();
        IN_PLACE.with(|f| f.set(true));
        // A replacement that fails leaves the earlier run as it was, staging included.
        let mut rd = RunDir::open(&out, "nmf", Mode::Overwrite, &[]).unwrap();
        assert!(rd.path().starts_with(&out) && rd.path() != out);
        write(&mut rd, "summary.json", "new");
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "old"
        );
        drop(rd);
        assert_eq!(std::fs::read_to_string(out.join(MARKER)).unwrap(), before);
        let mut left = entries(&out).unwrap();
        left.sort();
        assert_eq!(left, vec![MARKER, LOCK, "restarts", "summary.json"]);
        // One that commits takes the folder's place: the earlier run's files are gone.
        let mut rd = RunDir::open(&out, "nmf", Mode::Overwrite, &[]).unwrap();
        write(&mut rd, "summary.json", "new");
        assert_eq!(rd.commit().unwrap(), out);
        IN_PLACE.with(|f| f.set(false));
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "new"
        );
        let mut left = entries(&out).unwrap();
        left.sort();
        assert_eq!(left, vec![MARKER, LOCK, "summary.json"]);
        let marker = read_marker(&out).unwrap().unwrap();
        assert!(marker.complete && marker.files.len() == 1, "{marker:?}");
        // A later run sees a finished one.
        assert!(matches!(
            RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap_err(),
            OutDirError::Taken { .. }
        ));
    }

    #[test]
    fn a_marker_naming_anything_but_its_own_files_is_refused() {
        let out = tmp("bad-names").join("run");
        let mut rd = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "summary.json", "old");
        rd.commit().unwrap();
        let good = std::fs::read_to_string(out.join(MARKER)).unwrap();
        for bad in ["..", "", "/etc", "a/b", ".", LOCK] {
            let text = good.replace("\"summary.json\"", &format!("{:?}", bad));
            std::fs::write(out.join(MARKER), text).unwrap();
            for mode in [Mode::Overwrite, Mode::Resume] {
                let err = RunDir::open(&out, "nmf", mode, &[]).unwrap_err();
                assert!(
                    matches!(err, OutDirError::BadMarker { .. }),
                    "{bad:?}: {err}"
                );
            }
        }
    }

    #[test]
    fn a_run_that_cannot_write_its_marker_takes_back_what_it_made() {
        // (A full disk, checked by hand on a 256 kB tmpfs: the command fails with the OS
        // error and a rerun after space is freed runs; here the clean-up itself.)
        let base = tmp("undo");
        for created in [true, false] {
            let dir = base.join(format!("run-{created}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(MARKER), "{").unwrap();
            std::fs::write(dir.join(LOCK), "1").unwrap();
            undo_start(&dir, &unwritable(&dir, "No space left on device"), created);
            assert_eq!(dir.exists(), !created);
            assert!(!dir.exists() || entries(&dir).unwrap().is_empty());
        }
        // Another run's lock is never taken back.
        let dir = base.join("held");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(LOCK), "1").unwrap();
        let held = OutDirError::Locked {
            dir: dir.clone(),
            who: "pid 1".into(),
        };
        undo_start(&dir, &held, true);
        assert!(dir.join(LOCK).exists());
    }

    #[test]
    fn a_run_that_fails_before_writing_leaves_no_trace() {
        let base = tmp("trace");
        let out = base.join("run");
        drop(RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap());
        assert!(!out.exists());
        let empty = base.join("empty");
        std::fs::create_dir(&empty).unwrap();
        drop(RunDir::open(&empty, "nmf", Mode::Fresh, &[]).unwrap());
        assert!(empty.is_dir() && entries(&empty).unwrap().is_empty());
        // Names only claimed (a training run claims its checkpoint before it builds the model,
        // which may be refused) are not writing: still no trace, in a new or a user's folder.
        for dir in [base.join("claimed"), empty.clone()] {
            let mut rd = RunDir::open(&dir, "gan-train", Mode::Fresh, &[]).unwrap();
            rd.claim(&["checkpoint.bin", "metrics.jsonl"]).unwrap();
            drop(rd);
            assert!(
                !dir.exists() || entries(&dir).unwrap().is_empty(),
                "{dir:?}"
            );
        }
        // One written file: the run is kept for a resume.
        let mut rd = RunDir::open(&base.join("written"), "gan-train", Mode::Fresh, &[]).unwrap();
        rd.claim(&["checkpoint.bin"]).unwrap();
        write(&mut rd, "metrics.jsonl", "{}");
        drop(rd);
        assert!(base.join("written/metrics.jsonl").exists());
    }

    #[test]
    fn a_second_run_is_locked_out() {
        let out = tmp("lock").join("run");
        let mut rd = RunDir::open(&out, "cluster", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "metrics.jsonl", "{}");
        let err = RunDir::open(&out, "cluster", Mode::Resume, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::Locked { .. }), "{err}");
        let err = RunDir::open(&out, "cluster", Mode::Overwrite, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::Locked { .. }), "{err}");
        drop(rd);
        // The first run died unfinished: resume takes it, fresh refuses it.
        assert!(matches!(
            RunDir::open(&out, "cluster", Mode::Fresh, &[]).unwrap_err(),
            OutDirError::Taken { .. }
        ));
        assert!(matches!(
            RunDir::open(&out, "nmf", Mode::Resume, &[]).unwrap_err(),
            OutDirError::OtherCommand { .. }
        ));
        RunDir::open(&out, "cluster", Mode::Resume, &[]).unwrap();
    }

    #[test]
    fn inputs_inside_the_folder_are_refused() {
        let base = tmp("inside");
        let out = base.join("run");
        let mut rd = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "H.npy", "x");
        rd.commit().unwrap();
        let err = RunDir::open(&out, "nmf", Mode::Overwrite, &[&out.join("H.npy")]).unwrap_err();
        assert!(matches!(err, OutDirError::InputInside { .. }), "{err}");
        assert!(out.join("H.npy").exists());
    }

    #[test]
    fn an_interrupted_swap_is_recovered() {
        let base = tmp("recover");
        let out = base.join("run");
        let mut rd = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap();
        write(&mut rd, "summary.json", "old");
        rd.commit().unwrap();
        drop(RunDir::open(&out, "nmf", Mode::Resume, &[]).unwrap());
        // As a kill between the two renames leaves it: the old run moved aside, no target.
        let (old, _) = sibling(&out, "old").unwrap();
        std::fs::rename(&out, &old).unwrap();
        let err = RunDir::open(&out, "nmf", Mode::Fresh, &[]).unwrap_err();
        assert!(matches!(err, OutDirError::Taken { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(out.join("summary.json")).unwrap(),
            "old"
        );
        assert_eq!(entries(&base).unwrap(), vec!["run".to_string()]);
    }
}
