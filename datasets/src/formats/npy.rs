//! `.npy` (NumPy) arrays: 2-D arrays of float, int, uint or bool in C or Fortran order, either
//! endianness, read through the `npyz` crate; the header is checked against the file size
//! before any allocation, so a hostile header cannot request gigabytes.

use crate::error::{DataError, Result};
use npyz::{DType, NpyFile, TypeChar};
use std::path::Path;

/// Numeric contents of a `.npy` file: shape and values converted to `f64` (C order).
/// The element types the `.npy` reader converts to.
pub(crate) trait NpyElem: Copy + Default {
    fn from_f32(v: f32) -> Self;
    fn from_f64(v: f64) -> Self;
}

impl NpyElem for f32 {
    fn from_f32(v: f32) -> Self {
        v
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl NpyElem for f64 {
    fn from_f32(v: f32) -> Self {
        v.into()
    }
    fn from_f64(v: f64) -> Self {
        v
    }
}

fn conv<S, T>(v: Vec<S>, f: impl Fn(S) -> T) -> Vec<T> {
    v.into_iter().map(f).collect()
}

/// The header of a `.npy` file is a Python dict literal: `{'descr': …, 'fortran_order': …,
/// 'shape': (…), }`. It is checked here before the parser sees it, which takes exponential time
/// on nested brackets (found by the fuzz target: 70 bytes of `{` took minutes).
fn check_npy_header(bytes: &[u8]) -> std::result::Result<(), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("no .npy magic bytes".into());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("format version {v}")),
    };
    let header = bytes
        .get(start..start.saturating_add(len))
        .ok_or("the header is cut short")?;
    if len > 65536 {
        return Err(format!("a header of {len} bytes"));
    }
    let text = std::str::from_utf8(header).map_err(|_| "a header that is not text")?;
    let count = |c: char| text.chars().filter(|&x| x == c).count();
    if count('{') != 1 || count('}') != 1 || count('(') > 1 || count(')') > 1 || count('[') > 0 {
        return Err("a malformed header dict".into());
    }
    Ok(())
}

/// Bytes of the magic, version and header-length fields that precede a `.npy` header (version
/// 2 and 3; version 1 uses the first 10).
pub(crate) const NPY_PREFIX: usize = 12;

/// The length of the header that follows the prefix `head` (its first [`NPY_PREFIX`] bytes, or
/// fewer for a short version-1 file), and where it starts.
pub(crate) fn npy_header_span(head: &[u8]) -> std::result::Result<(usize, usize), String> {
    if head.len() < 10 || &head[..6] != b"\x93NUMPY" {
        return Err("no .npy magic bytes".into());
    }
    let (len, start) = match head[6] {
        1 => (u16::from_le_bytes([head[8], head[9]]) as usize, 10),
        2 | 3 if head.len() >= 12 => (
            u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize,
            12,
        ),
        v => return Err(format!("format version {v}")),
    };
    if len > 65536 {
        return Err(format!("a header of {len} bytes"));
    }
    Ok((start, len))
}

/// The number of bytes of values that the header `head` (magic, version, length and the header
/// itself) declares: the shape's product times the element size, without reading any value.
pub(crate) fn npy_payload_bytes(head: &[u8]) -> std::result::Result<u64, String> {
    check_npy_header(head)?;
    let npy = NpyFile::new(head).map_err(|e| e.to_string())?;
    let elem = match npy.dtype() {
        DType::Plain(ts) => ts.num_bytes().unwrap_or(0) as u64,
        other => return Err(format!("unsupported dtype {}", other.descr())),
    };
    npy.shape()
        .iter()
        .try_fold(elem, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| "an array shape that overflows".to_string())
}

pub(crate) fn read_npy<T: NpyElem>(path: &Path, bytes: &[u8]) -> Result<(Vec<usize>, Vec<T>)> {
    check_npy_header(bytes)
        .map_err(|e| DataError::format(path, format!("not a valid .npy file: {e}")))?;
    let npy = NpyFile::new(bytes)
        .map_err(|e| DataError::format(path, format!("not a valid .npy file: {e}")))?;
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let ts = match npy.dtype() {
        DType::Plain(ts) => ts,
        other => {
            return Err(DataError::format(
                path,
                format!(
                    "unsupported dtype {} (need a plain numeric array)",
                    other.descr()
                ),
            ))
        }
    };
    let elem = ts.num_bytes().unwrap_or(0);
    if !matches!(
        ts.type_char(),
        TypeChar::Float | TypeChar::Int | TypeChar::Uint | TypeChar::Bool
    ) || elem == 0
    {
        return Err(DataError::format(
            path,
            format!(
                "unsupported dtype {} (need a plain numeric array: save it with .astype(float) first)",
                npy.dtype().descr()
            ),
        ));
    }
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| DataError::format(path, "array shape overflows"))?;
    let need = count.saturating_mul(elem);
    if elem == 0 || need > bytes.len() {
        return Err(DataError::format(
            path,
            format!(
                "header announces {count} values of {elem} bytes but the file has {} bytes (truncated?)",
                bytes.len()
            ),
        ));
    }
    let bad = |e: std::io::Error| {
        DataError::format(
            path,
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                format!("the data ends before the {count} values the header announces (truncated file?)")
            } else {
                format!("cannot decode values: {e}")
            },
        )
    };
    let fortran = npy.order() == npyz::Order::Fortran;
    let values: Vec<T> = match (ts.type_char(), elem) {
        // (f32 into f32 maps in place: no second copy of a large file.)
        (TypeChar::Float, 4) => conv(npy.into_vec::<f32>().map_err(bad)?, T::from_f32),
        (TypeChar::Float, 8) => conv(npy.into_vec::<f64>().map_err(bad)?, T::from_f64),
        (TypeChar::Int, 1) => conv(npy.into_vec::<i8>().map_err(bad)?, |v| {
            T::from_f64(v.into())
        }),
        (TypeChar::Int, 2) => conv(npy.into_vec::<i16>().map_err(bad)?, |v| {
            T::from_f64(v.into())
        }),
        (TypeChar::Int, 4) => conv(npy.into_vec::<i32>().map_err(bad)?, |v| {
            T::from_f64(v.into())
        }),
        (TypeChar::Int, 8) => conv(npy.into_vec::<i64>().map_err(bad)?, |v| {
            T::from_f64(v as f64)
        }),
        (TypeChar::Uint, 1) => conv(npy.into_vec::<u8>().map_err(bad)?, |v| {
            T::from_f64(v.into())
        }),
        (TypeChar::Uint, 2) => conv(npy.into_vec::<u16>().map_err(bad)?, |v| {
            T::from_f64(v.into())
        }),
        (TypeChar::Uint, 4) => conv(npy.into_vec::<u32>().map_err(bad)?, |v| {
            T::from_f64(v.into())
        }),
        (TypeChar::Uint, 8) => conv(npy.into_vec::<u64>().map_err(bad)?, |v| {
            T::from_f64(v as f64)
        }),
        (TypeChar::Bool, 1) => conv(npy.into_vec::<bool>().map_err(bad)?, |b| {
            T::from_f64(b as u8 as f64)
        }),
        _ => {
            return Err(DataError::format(
                path,
                format!("unsupported dtype '{}' (need float, int, uint or bool)", ts),
            ))
        }
    };
    if values.len() != count {
        return Err(DataError::format(
            path,
            "fewer values than the header announces",
        ));
    }
    // (Nothing to reorder in an empty array: its other dimension may be astronomically large.)
    if fortran && shape.len() == 2 && count > 0 {
        let (r, c) = (shape[0], shape[1]);
        let mut c_order = vec![T::default(); count];
        for i in 0..r {
            for j in 0..c {
                c_order[i * c + j] = values[j * r + i];
            }
        }
        return Ok((shape, c_order));
    }
    Ok((shape, values))
}
