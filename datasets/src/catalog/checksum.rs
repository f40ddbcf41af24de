//! Checksums of the data files: sha256 of each file, or of a manifest of many small files.

use crate::error::{DataError, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 of bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn read_checked(dir: &Path, (rel, sha): (&str, &str)) -> Result<Vec<u8>> {
    let path = dir.join(rel);
    let bytes = crate::io::read_file(&path)?;
    let got = sha256_hex(&bytes);
    if got != sha {
        return Err(DataError::format(
            &path,
            format!("sha256 {got} differs from the expected {sha}"),
        ));
    }
    Ok(bytes)
}

/// Reads the files `rel_paths` (relative to `dir`) and checks their manifest checksum.
pub(crate) fn read_manifest(
    dir: &Path,
    rel_paths: &[String],
    expected: &str,
    what: &str,
) -> Result<Vec<Vec<u8>>> {
    let mut lines: Vec<(String, String)> = Vec::with_capacity(rel_paths.len());
    let mut contents = Vec::with_capacity(rel_paths.len());
    for rel in rel_paths {
        let path = dir.join(rel);
        let bytes = crate::io::read_file(&path)?;
        lines.push((rel.clone(), sha256_hex(&bytes)));
        contents.push(bytes);
    }
    lines.sort();
    let manifest: String = lines.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
    let got = sha256_hex(manifest.as_bytes());
    if got != expected {
        return Err(DataError::format(
            dir,
            format!("{what}: manifest sha256 {got} differs from the expected {expected} (a file was changed, added or lost)"),
        ));
    }
    Ok(contents)
}
