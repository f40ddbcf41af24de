//! Writing files so that a reader never sees half of one ([`atomic_write`]) and a new file
//! never replaces another ([`create_new_with`]): both write a temporary file beside the target
//! and move it into place only when it is complete.

use crate::error::{DataError, Result};
use std::path::Path;

/// The temporary name `.NAME.tmp-PID` in `path`'s folder (where a rename or link into place
/// stays on one file system).
fn temp_beside(path: &Path) -> Result<std::path::PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| DataError::format(path, "not a file path"))?
        .to_string_lossy();
    sweep_stale(dir, &name);
    Ok(dir.join(format!(".{name}.tmp-{}", std::process::id())))
}

/// Removes the temporaries `.NAME.tmp-PID` that a process killed while writing NAME left in
/// `dir`: those of a PID no process has any more (Linux, where /proc says so; elsewhere
/// nothing is removed). Only that exact pattern is touched.
fn sweep_stale(dir: &Path, name: &str) {
    if !cfg!(target_os = "linux") || !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(pid) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let alive = |pid: &str| Path::new("/proc").join(pid).exists();
        if pid.parse::<u32>().is_ok() && !alive(pid) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed and then
/// renamed over the target, so a reader never sees a half-written file.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = temp_beside(path)?;
    let result = (|| {
        // A stale temporary (or a link planted under its name) is removed, never written
        // through: the new one is created exclusively.
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(DataError::write(path, e));
    }
    Ok(())
}

/// Creates the new file `path` with what `write` puts into it, atomically and without ever
/// replacing a file: the bytes go to a temporary file in the same folder, are flushed, and the
/// file is then linked under its name, which fails if that name exists by then ([`DataError::Exists`],
/// also returned at once when it exists before any work).
pub fn create_new_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    use std::io::Write;
    if path.symlink_metadata().is_ok() {
        return Err(DataError::Exists { path: path.into() });
    }
    let tmp = temp_beside(path)?;
    let result = (|| {
        let mut f = std::io::BufWriter::new(std::fs::File::create_new(&tmp)?);
        write(&mut f)?;
        f.flush()?;
        f.get_ref().sync_all()?;
        drop(f);
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.exists() => {
            Err(DataError::Exists { path: path.into() })
        }
        Err(e) => Err(DataError::write(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_of_dead_writers_are_swept_and_no_others() {
        let d = std::env::temp_dir().join(format!("nmfnet-sweep-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        // A PID above Linux's limit (2^22) has no process; PID 1 always has one.
        let dead = d.join(".g.npz.tmp-999999999");
        let live = d.join(".g.npz.tmp-1");
        let other = d.join(".g.npz.tmp-notapid");
        let unrelated = d.join(".h.npz.tmp-999999999");
        for f in [&dead, &live, &other, &unrelated] {
            std::fs::write(f, b"partial").unwrap();
        }
        create_new_with(&d.join("g.npz"), |f| std::io::Write::write_all(f, b"new")).unwrap();
        assert_eq!(std::fs::read(d.join("g.npz")).unwrap(), b"new");
        if cfg!(target_os = "linux") {
            assert!(!dead.exists(), "a dead writer's temporary was kept");
        }
        for f in [&live, &other, &unrelated] {
            assert!(f.exists(), "{} was removed", f.display());
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
