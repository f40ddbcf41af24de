//! The output-folder rules, one test per rule.
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
