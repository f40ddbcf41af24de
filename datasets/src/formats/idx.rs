//! MNIST / Fashion-MNIST IDX files inside gzip.
//!
//! Layout (big-endian): magic `0x00000803` (2051) for images, then N, rows, cols, then
//! N·rows·cols `u8` pixels; magic `0x00000801` (2049) for labels, then N, then N `u8` labels.
//! The decompressed size must match the header exactly; decompression stops one byte past the
//! announced size, so a hostile header or gzip bomb cannot make the reader allocate more.

use crate::error::{DataError, Result};
use std::io::Read;
use std::path::Path;

/// Magic number of an IDX image file (u8, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 2051;
/// Magic number of an IDX label file (u8, 1 dimension).
pub const LABELS_MAGIC: u32 = 2049;
/// Largest file accepted (MNIST train images: 47 MB decompressed).
pub const MAX_BYTES: usize = 256 << 20;

/// Images of an IDX file: `count` images of `rows × cols` pixels, row-major, one after another.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let s = self.rows * self.cols;
        &self.pixels[i * s..(i + 1) * s]
    }
}

fn gunzip(path: &Path, bytes: &[u8], limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DataError::format(path, format!("corrupt or truncated gzip stream: {e}")))?;
    Ok(out)
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Decompressed IDX bytes from a `.gz` file (or a plain IDX file, recognised by its magic).
fn idx_bytes(path: &Path, raw: &[u8]) -> Result<Vec<u8>> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        gunzip(path, raw, MAX_BYTES)
    } else {
        Ok(raw.to_vec())
    }
}

/// Checks the length and magic number of decompressed IDX bytes.
fn check_header(path: &Path, b: &[u8], expected: u32, header: usize) -> Result<()> {
    let (what, other, other_magic) = if expected == IMAGES_MAGIC {
        ("images", "a label file", LABELS_MAGIC)
    } else {
        ("labels", "an image file", IMAGES_MAGIC)
    };
    if b.len() < 4 {
        return Err(DataError::format(
            path,
            format!("{} bytes: too short for an IDX header", b.len()),
        ));
    }
    let magic = be_u32(b, 0);
    if magic != expected {
        let hint = if magic == other_magic {
            format!(" — this is {other}")
        } else {
            String::new()
        };
        return Err(DataError::format(
            path,
            format!("magic number {magic}, expected {expected} (IDX {what}){hint}"),
        ));
    }
    if b.len() < header {
        return Err(DataError::format(
            path,
            format!(
                "{} bytes: too short for an IDX {what} header ({header} bytes)",
                b.len()
            ),
        ));
    }
    Ok(())
}

/// Parses an images file (gzip or plain IDX bytes).
pub fn parse_images(path: &Path, raw: &[u8]) -> Result<IdxImages> {
    let b = idx_bytes(path, raw)?;
    check_header(path, &b, IMAGES_MAGIC, 16)?;
    let (count, rows, cols) = (
        be_u32(&b, 4) as usize,
        be_u32(&b, 8) as usize,
        be_u32(&b, 12) as usize,
    );
    let need = count
        .checked_mul(rows)
        .and_then(|v| v.checked_mul(cols))
        .and_then(|v| v.checked_add(16))
        .ok_or_else(|| DataError::format(path, "image dimensions overflow"))?;
    if b.len() != need {
        return Err(DataError::format(
            path,
            format!("header announces {count} images of {rows}×{cols} ({need} bytes) but the data has {} bytes", b.len()),
        ));
    }
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: b[16..].to_vec(),
    })
}

/// Parses a labels file (gzip or plain IDX bytes).
pub fn parse_labels(path: &Path, raw: &[u8]) -> Result<Vec<u8>> {
    let b = idx_bytes(path, raw)?;
    check_header(path, &b, LABELS_MAGIC, 8)?;
    let count = be_u32(&b, 4) as usize;
    if b.len() != count + 8 {
        return Err(DataError::format(
            path,
            format!(
                "header announces {count} labels but the data has {} bytes after the header",
                b.len() - 8
            ),
        ));
    }
    Ok(b[8..].to_vec())
}

/// Reads an images file from disk.
pub fn read_images(path: &Path) -> Result<IdxImages> {
    let raw = crate::io::read_file(path)?;
    parse_images(path, &raw)
}

/// Reads a labels file from disk.
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    let raw = crate::io::read_file(path)?;
    parse_labels(path, &raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn images(count: u32, rows: u32, cols: u32, extra: usize) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [IMAGES_MAGIC, count, rows, cols] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend((0..(count * rows * cols) as usize + extra).map(|i| i as u8));
        b
    }

    #[test]
    fn reads_gzip_and_plain() {
        let p = Path::new("t");
        let plain = images(2, 3, 4, 0);
        let a = parse_images(p, &gz(&plain)).unwrap();
        assert_eq!((a.count, a.rows, a.cols), (2, 3, 4));
        assert_eq!(a.image(1)[0], 12);
        assert_eq!(parse_images(p, &plain).unwrap(), a);
        let mut l = 2049u32.to_be_bytes().to_vec();
        l.extend_from_slice(&3u32.to_be_bytes());
        l.extend_from_slice(&[7, 8, 9]);
        assert_eq!(parse_labels(p, &gz(&l)).unwrap(), vec![7, 8, 9]);
    }

    #[test]
    fn corrupt_inputs_are_typed_errors() {
        let p = Path::new("t");
        let good = gz(&images(2, 3, 4, 0));
        // Truncated gzip.
        let e = parse_images(p, &good[..good.len() / 2])
            .unwrap_err()
            .to_string();
        assert!(e.contains("gzip"), "{e}");
        // Wrong magic (a label file read as images, and garbage).
        let mut l = 2049u32.to_be_bytes().to_vec();
        l.extend_from_slice(&[0; 8]);
        assert!(parse_images(p, &l)
            .unwrap_err()
            .to_string()
            .contains("label file"));
        assert!(parse_labels(p, &images(1, 1, 1, 0))
            .unwrap_err()
            .to_string()
            .contains("image file"));
        // Size mismatch in both directions; a huge announced count allocates nothing.
        assert!(parse_images(p, &images(2, 3, 4, 1)).is_err());
        let mut short = images(2, 3, 4, 0);
        short.pop();
        assert!(parse_images(p, &short).is_err());
        let mut huge = images(1, 1, 1, 0);
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_images(p, &huge).is_err());
    }
}
