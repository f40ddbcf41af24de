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
    Ok(dir.join(format!(".{name}.tmp-{}", std::process::id())))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed and then
/// renamed over the target, so a reader never sees a half-written file.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = temp_beside(path)?;
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
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
