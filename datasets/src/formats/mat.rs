//! A reader for MATLAB v5 MAT-files (not the HDF5-based v7.3), written for this project.
//!
//! It reads what the TDT-2 and Olivetti files need, and rejects everything else with a typed
//! error: numeric matrices of any MATLAB class (stored in any numeric data type, as MATLAB
//! does: `double` values stored as `uint8`, for instance), sparse `double` matrices, compressed
//! elements (`miCOMPRESSED`, zlib), either byte order. Cells, structs, objects and character
//! arrays are listed by name but not decoded.
//!
//! Why not the `matfile` crate: version 0.5.0 parses sparse elements internally, but its
//! public API ignores sparse arrays ("Sparse arrays" is an unchecked item of its feature list,
//! and `Matfile::arrays` documents that they are skipped) — and TDT-2 is a sparse matrix. The
//! format is small enough that a reader checked by tests, SciPy-written files and a fuzz target
//! costs less than a fork.
//!
//! Hostile input: every length is checked against the bytes actually present before anything
//! is allocated, decompression stops at [`MAX_DECOMPRESSED`] bytes, and nesting is bounded.

use crate::error::{DataError, Result};
use std::io::Read;
use std::path::Path;

/// Largest size an `miCOMPRESSED` element may inflate to (TDT-2 needs ~15 MB).
pub const MAX_DECOMPRESSED: usize = 512 << 20;

const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

const MX_SPARSE: u8 = 5;

/// The numeric content of a variable.
#[derive(Clone, Debug, PartialEq)]
pub enum MatArray {
    /// Column-major values (MATLAB order), converted to `f64`.
    Dense {
        rows: usize,
        cols: usize,
        data: Vec<f64>,
    },
    /// Compressed sparse columns: column `j` holds rows `ir[jc[j]..jc[j+1]]` with `values`.
    Sparse {
        rows: usize,
        cols: usize,
        jc: Vec<usize>,
        ir: Vec<usize>,
        values: Vec<f64>,
    },
    /// A cell, struct, object or char array (not decoded).
    Unsupported { class: u8 },
}

/// One variable of a MAT-file.
#[derive(Clone, Debug, PartialEq)]
pub struct MatVar {
    pub name: String,
    pub array: MatArray,
}

/// Reads all variables of a MAT-file.
pub fn read_mat(path: &Path) -> Result<Vec<MatVar>> {
    let bytes = crate::io::read_file(path)?;
    parse_mat(&bytes).map_err(|msg| DataError::format(path, msg))
}

/// Parses MAT-file bytes; the error is a message (the caller adds the file name).
pub fn parse_mat(bytes: &[u8]) -> std::result::Result<Vec<MatVar>, String> {
    if bytes.len() < 128 {
        return Err(format!(
            "{} bytes: too short for a MAT-file header (128 bytes)",
            bytes.len()
        ));
    }
    if bytes.starts_with(b"\x89HDF") || bytes[..116].windows(7).any(|w| w == b"MATLAB 7.3") {
        return Err("MATLAB v7.3 (HDF5) files are not supported; re-save with -v7".into());
    }
    let big = match &bytes[126..128] {
        b"IM" => false,
        b"MI" => true,
        _ => return Err("not a MATLAB v5 MAT-file (no endian indicator at byte 126)".into()),
    };
    let mut vars = Vec::new();
    let mut cur = Cursor {
        b: bytes,
        pos: 128,
        big,
    };
    while cur.remaining() >= 8 {
        let (ty, len, small) = cur.tag()?;
        let body = cur.take(len)?;
        match ty {
            MI_MATRIX => vars.push(parse_matrix(body, big)?),
            MI_COMPRESSED => {
                let inner = inflate(body)?;
                let mut c = Cursor {
                    b: &inner,
                    pos: 0,
                    big,
                };
                while c.remaining() >= 8 {
                    let (ty2, len2, _) = c.tag()?;
                    let body2 = c.take(len2)?;
                    if ty2 == MI_MATRIX {
                        vars.push(parse_matrix(body2, big)?);
                    } else {
                        return Err(format!(
                            "compressed element holds data type {ty2}, expected a matrix (14)"
                        ));
                    }
                    c.align8();
                }
            }
            other => {
                return Err(format!(
                    "unexpected top-level data type {other} at byte {}",
                    cur.pos
                ))
            }
        }
        if !small && ty != MI_COMPRESSED {
            cur.align8();
        }
    }
    Ok(vars)
}

fn inflate(body: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(body)
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("corrupt compressed element: {e}"))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(format!(
            "a compressed element inflates beyond {MAX_DECOMPRESSED} bytes"
        ));
    }
    Ok(out)
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    big: bool,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    fn u32_at(&self, p: usize) -> u32 {
        let a: [u8; 4] = self.b[p..p + 4].try_into().expect("4 bytes");
        if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    /// Reads a tag; returns (type, byte count, small-element format). For a small element the
    /// cursor is left on its 4 data bytes.
    fn tag(&mut self) -> std::result::Result<(u32, usize, bool), String> {
        if self.remaining() < 8 {
            return Err(format!("truncated element tag at byte {}", self.pos));
        }
        let first = self.u32_at(self.pos);
        if first >> 16 != 0 {
            // Small data element: type in the low half, size in the high half, 4 data bytes.
            let len = (first >> 16) as usize;
            if len > 4 {
                return Err(format!("small element of {len} bytes at byte {}", self.pos));
            }
            self.pos += 4;
            return Ok((first & 0xffff, len, true));
        }
        let len = self.u32_at(self.pos + 4) as usize;
        self.pos += 8;
        Ok((first, len, false))
    }
    fn take(&mut self, len: usize) -> std::result::Result<&'a [u8], String> {
        if len > self.remaining() {
            return Err(format!(
                "element of {len} bytes at byte {} but only {} remain (truncated file?)",
                self.pos,
                self.remaining()
            ));
        }
        let s = &self.b[self.pos..self.pos + len];
        self.pos += len;
        Ok(s)
    }
    /// After a small element the cursor must skip the rest of its 4-byte slot.
    fn finish_small(&mut self, len: usize) {
        self.pos = (self.pos + (4 - len)).min(self.b.len());
    }
    fn align8(&mut self) {
        self.pos = ((self.pos + 7) & !7).min(self.b.len());
    }
    /// One sub-element of a matrix: (type, bytes).
    fn sub(&mut self) -> std::result::Result<(u32, &'a [u8]), String> {
        let (ty, len, small) = self.tag()?;
        let body = self.take(len)?;
        if small {
            self.finish_small(len);
        } else {
            self.align8();
        }
        Ok((ty, body))
    }
}

fn elem_size(ty: u32) -> Option<usize> {
    Some(match ty {
        MI_INT8 | MI_UINT8 => 1,
        MI_INT16 | MI_UINT16 => 2,
        MI_INT32 | MI_UINT32 | MI_SINGLE => 4,
        MI_DOUBLE | MI_INT64 | MI_UINT64 => 8,
        _ => return None,
    })
}

/// Decodes a numeric sub-element into `f64`s.
fn numbers(ty: u32, body: &[u8], big: bool) -> std::result::Result<Vec<f64>, String> {
    let size = elem_size(ty).ok_or_else(|| format!("data type {ty} is not numeric"))?;
    if !body.len().is_multiple_of(size) {
        return Err(format!(
            "{} bytes is not a whole number of {size}-byte values",
            body.len()
        ));
    }
    macro_rules! conv {
        ($t:ty, $n:expr) => {
            body.chunks_exact($n)
                .map(|c| {
                    let a: [u8; $n] = c.try_into().expect("chunk size");
                    (if big {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    }) as f64
                })
                .collect()
        };
    }
    Ok(match ty {
        MI_INT8 => body.iter().map(|&b| b as i8 as f64).collect(),
        MI_UINT8 => body.iter().map(|&b| b as f64).collect(),
        MI_INT16 => conv!(i16, 2),
        MI_UINT16 => conv!(u16, 2),
        MI_INT32 => conv!(i32, 4),
        MI_UINT32 => conv!(u32, 4),
        MI_SINGLE => conv!(f32, 4),
        MI_DOUBLE => conv!(f64, 8),
        MI_INT64 => conv!(i64, 8),
        MI_UINT64 => conv!(u64, 8),
        _ => unreachable!("elem_size accepted it"),
    })
}

/// Nonnegative integer indices (sparse `ir`/`jc`) from a numeric sub-element.
fn indices(ty: u32, body: &[u8], big: bool, what: &str) -> std::result::Result<Vec<usize>, String> {
    numbers(ty, body, big)?
        .into_iter()
        .map(|v| {
            if v >= 0.0 && v.fract() == 0.0 && v < 1e15 {
                Ok(v as usize)
            } else {
                Err(format!("sparse {what} holds {v}, not a valid index"))
            }
        })
        .collect()
}

fn parse_matrix(body: &[u8], big: bool) -> std::result::Result<MatVar, String> {
    let mut c = Cursor {
        b: body,
        pos: 0,
        big,
    };
    if body.is_empty() {
        // An empty miMATRIX is allowed by the format (an empty array).
        return Ok(MatVar {
            name: String::new(),
            array: MatArray::Dense {
                rows: 0,
                cols: 0,
                data: vec![],
            },
        });
    }
    let (fty, flags) = c.sub()?;
    if fty != MI_UINT32 || flags.len() < 8 {
        return Err("matrix without array flags".into());
    }
    let flag_word = Cursor {
        b: flags,
        pos: 0,
        big,
    }
    .u32_at(0);
    let class = (flag_word & 0xff) as u8;
    let complex = flag_word & 0x800 != 0;
    let (dty, dims_bytes) = c.sub()?;
    if dty != MI_INT32 {
        return Err(format!(
            "matrix dimensions stored as type {dty}, expected int32"
        ));
    }
    let dims = indices(dty, dims_bytes, big, "dimension")?;
    let (nty, name_bytes) = c.sub()?;
    if nty != MI_INT8 && nty != MI_UINT8 {
        return Err(format!("matrix name stored as type {nty}"));
    }
    let name = String::from_utf8_lossy(name_bytes).into_owned();
    if !(1..=6).contains(&class) && !(7..=15).contains(&class) {
        return Err(format!("variable '{name}': unknown array class {class}"));
    }
    if class <= 4 {
        return Ok(MatVar {
            name,
            array: MatArray::Unsupported { class },
        });
    }
    if dims.len() != 2 {
        return Err(format!(
            "variable '{name}': {}-D arrays are not supported",
            dims.len()
        ));
    }
    let (rows, cols) = (dims[0], dims[1]);
    let count = rows
        .checked_mul(cols)
        .ok_or_else(|| format!("variable '{name}': dimensions {rows}×{cols} overflow"))?;
    if class == MX_SPARSE {
        let (ity, ir_b) = c.sub()?;
        let (jty, jc_b) = c.sub()?;
        let (pty, pr_b) = c.sub()?;
        let ir = indices(ity, ir_b, big, "row index (ir)")?;
        let jc = indices(jty, jc_b, big, "column pointer (jc)")?;
        let values = numbers(pty, pr_b, big)?;
        if jc.len() != cols + 1 {
            return Err(format!(
                "variable '{name}': {} column pointers for {cols} columns",
                jc.len()
            ));
        }
        if jc[0] != 0 || jc.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!(
                "variable '{name}': column pointers are not nondecreasing from 0"
            ));
        }
        let nnz = jc[cols];
        if ir.len() < nnz || values.len() < nnz {
            return Err(format!(
                "variable '{name}': {nnz} nonzeros announced, {} row indices and {} values stored",
                ir.len(),
                values.len()
            ));
        }
        if let Some(bad) = ir[..nnz].iter().find(|&&i| i >= rows) {
            return Err(format!("variable '{name}': row index {bad} ≥ {rows} rows"));
        }
        if complex {
            return Err(format!(
                "variable '{name}': complex sparse matrices are not supported"
            ));
        }
        return Ok(MatVar {
            name,
            array: MatArray::Sparse {
                rows,
                cols,
                jc,
                ir: ir[..nnz].to_vec(),
                values: values[..nnz].to_vec(),
            },
        });
    }
    let (rty, real) = c.sub()?;
    let size = elem_size(rty)
        .ok_or_else(|| format!("variable '{name}': data type {rty} is not numeric"))?;
    if real.len() != count.saturating_mul(size) {
        return Err(format!(
            "variable '{name}': {rows}×{cols} needs {count} values, {} bytes of {size}-byte values stored",
            real.len()
        ));
    }
    if complex {
        return Err(format!(
            "variable '{name}': complex matrices are not supported"
        ));
    }
    Ok(MatVar {
        name,
        array: MatArray::Dense {
            rows,
            cols,
            data: numbers(rty, real, big)?,
        },
    })
}

/// The variable called `name`, or an error naming what the file holds instead.
pub fn find<'a>(vars: &'a [MatVar], name: &str, path: &Path) -> Result<&'a MatArray> {
    vars.iter()
        .find(|v| v.name == name)
        .map(|v| &v.array)
        .ok_or_else(|| {
            let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
            DataError::format(
                path,
                format!("no variable '{name}' (the file holds: {names:?})"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian MAT-file writer for tests (uncompressed and compressed elements).
    pub(crate) struct Writer {
        pub bytes: Vec<u8>,
    }

    fn tag(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(body);
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
    }

    impl Writer {
        pub fn new() -> Self {
            let mut bytes = vec![b' '; 128];
            bytes[..20].copy_from_slice(b"MATLAB 5.0 MAT-file,");
            bytes[124..126].copy_from_slice(&0x0100u16.to_le_bytes());
            bytes[126..128].copy_from_slice(b"IM");
            Self { bytes }
        }

        fn matrix(name: &str, class: u8, dims: [u32; 2], parts: &[(u32, Vec<u8>)]) -> Vec<u8> {
            let mut m = Vec::new();
            let mut flags = (class as u32).to_le_bytes().to_vec();
            flags.extend_from_slice(&[0; 4]);
            tag(&mut m, MI_UINT32, &flags);
            let d: Vec<u8> = dims
                .iter()
                .flat_map(|v| (*v as i32).to_le_bytes())
                .collect();
            tag(&mut m, MI_INT32, &d);
            tag(&mut m, MI_INT8, name.as_bytes());
            for (ty, body) in parts {
                tag(&mut m, *ty, body);
            }
            let mut out = Vec::new();
            tag(&mut out, MI_MATRIX, &m);
            out
        }

        /// A dense double matrix stored as uint8 (as MATLAB saves integral doubles).
        pub fn dense_u8(
            mut self,
            name: &str,
            rows: u32,
            cols: u32,
            data: &[u8],
            compress: bool,
        ) -> Self {
            let m = Self::matrix(name, 6, [rows, cols], &[(MI_UINT8, data.to_vec())]);
            self.push(m, compress);
            self
        }

        #[allow(clippy::too_many_arguments)] // the fields of a sparse array, in MAT-file order
        pub fn sparse(
            mut self,
            name: &str,
            rows: u32,
            cols: u32,
            jc: &[i32],
            ir: &[i32],
            pr: &[f64],
            compress: bool,
        ) -> Self {
            let i32s = |v: &[i32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
            let f64s: Vec<u8> = pr.iter().flat_map(|x| x.to_le_bytes()).collect();
            let m = Self::matrix(
                name,
                MX_SPARSE,
                [rows, cols],
                &[
                    (MI_INT32, i32s(ir)),
                    (MI_INT32, i32s(jc)),
                    (MI_DOUBLE, f64s),
                ],
            );
            self.push(m, compress);
            self
        }

        fn push(&mut self, m: Vec<u8>, compress: bool) {
            if compress {
                use std::io::Write;
                let mut z =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                z.write_all(&m).unwrap();
                let c = z.finish().unwrap();
                self.bytes.extend_from_slice(&MI_COMPRESSED.to_le_bytes());
                self.bytes
                    .extend_from_slice(&(c.len() as u32).to_le_bytes());
                self.bytes.extend_from_slice(&c);
            } else {
                self.bytes.extend_from_slice(&m);
            }
        }
    }

    fn sample(compress: bool) -> Vec<u8> {
        // 3×2 sparse: (0,0)=1, (2,0)=2, (1,1)=3; dense 2×2 [[1,3],[2,4]] stored column-major.
        Writer::new()
            .sparse(
                "fea",
                3,
                2,
                &[0, 2, 3],
                &[0, 2, 1],
                &[1.0, 2.0, 3.0],
                compress,
            )
            .dense_u8("gnd", 2, 2, &[1, 2, 3, 4], compress)
            .bytes
    }

    #[test]
    fn reads_sparse_and_dense_plain_and_compressed() {
        for compress in [false, true] {
            let vars = parse_mat(&sample(compress)).unwrap();
            assert_eq!(vars.len(), 2);
            assert_eq!(
                vars[0].array,
                MatArray::Sparse {
                    rows: 3,
                    cols: 2,
                    jc: vec![0, 2, 3],
                    ir: vec![0, 2, 1],
                    values: vec![1.0, 2.0, 3.0]
                }
            );
            assert_eq!(
                vars[1].array,
                MatArray::Dense {
                    rows: 2,
                    cols: 2,
                    data: vec![1.0, 2.0, 3.0, 4.0]
                }
            );
            assert_eq!(vars[1].name, "gnd");
        }
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        for compress in [false, true] {
            let full = sample(compress);
            for cut in 0..full.len() {
                // A cut at an element boundary legitimately drops whole variables.
                if let Ok(vars) = parse_mat(&full[..cut]) {
                    assert!(vars.len() < 2, "cut at {cut} kept both variables");
                }
            }
        }
    }

    #[test]
    fn rejects_bad_headers_and_indices() {
        assert!(parse_mat(b"short").is_err());
        let mut no_endian = sample(false);
        no_endian[126] = b'X';
        assert!(parse_mat(&no_endian).unwrap_err().contains("endian"));
        let bad_ir = Writer::new()
            .sparse("a", 2, 1, &[0, 1], &[5], &[1.0], false)
            .bytes;
        assert!(parse_mat(&bad_ir).unwrap_err().contains("row index"));
        let bad_jc = Writer::new()
            .sparse("a", 2, 2, &[0, 2, 1], &[0, 1], &[1.0, 1.0], false)
            .bytes;
        assert!(parse_mat(&bad_jc).unwrap_err().contains("nondecreasing"));
        let short = Writer::new().dense_u8("a", 3, 3, &[1, 2], false).bytes;
        assert!(parse_mat(&short).unwrap_err().contains("needs 9 values"));
    }
}
