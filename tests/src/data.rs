//! The shared data folder of the real-data cases.

/// The shared data folder (`../shared/data` beside the repository), if present.
pub fn shared_data_dir() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    root.is_dir().then(|| root.canonicalize().unwrap_or(root))
}
