//! The file-system side of run folders: the lock, sibling names for staging, mount points, and
//! the recovery of folders a killed run left between two renames.

use super::*;

/// Options that never follow a symbolic link at the last component: a link planted as the lock
/// file must not have its target written.
pub(super) fn no_follow(o: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o
}

/// Opens (creating) the lock file of `dir` and takes it, or says who holds it. A symbolic link
/// in its place is refused, never followed.
pub(super) fn lock(dir: &Path) -> Result<File, OutDirError> {
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
pub(super) fn lock_is_free(dir: &Path) -> bool {
    match no_follow(OpenOptions::new().read(true).write(true)).open(dir.join(LOCK)) {
        Ok(f) => f.try_lock().is_ok(),
        Err(_) => true,
    }
}

/// Folder names longer than this get a shortened staging sibling (see [`sibling`]).
pub(super) const LONG_NAME: usize = 200;

/// FNV-1a, 64 bits: a stable digest of a name (not a security measure).
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Whether `dir` is a mount point (another device than its parent's; Unix only).
/// Whether a run in `dir` must be replaced in place: a mount point cannot be renamed.
pub(super) fn cannot_rename(dir: &Path) -> bool {
    #[cfg(test)]
    if super::tests::IN_PLACE.with(|f| f.get()) {
        return true;
    }
    is_mount_point(dir)
}

pub(super) fn is_mount_point(dir: &Path) -> bool {
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

pub(super) fn sibling(target: &Path, tag: &str) -> Result<(PathBuf, String), OutDirError> {
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
pub(super) fn recover(target: &Path) -> Result<(), OutDirError> {
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

pub(super) fn canonical_inside(input: &Path, dir: &Path) -> bool {
    match (input.canonicalize(), dir.canonicalize()) {
        (Ok(i), Ok(d)) => i.starts_with(d),
        _ => false,
    }
}
