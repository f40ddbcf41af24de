//! Sparse matrices saved by SciPy (`scipy.sparse.save_npz`): a zip archive (stored or deflated)
//! of `.npy` members — `format` ('csr', 'csc' or 'coo'), `shape`, `data`, and `indices` +
//! `indptr` (CSR/CSC) or `row` + `col` (COO). Each member goes through the checked `.npy`
//! reader; every member is read with a cap on its inflated size, and every index is checked
//! against the shape, so a hostile archive is a typed error, not a panic or a zip bomb.

use crate::error::{DataError, Result};
use crate::formats::npy::{npy_header_span, npy_payload_bytes, read_npy, NPY_PREFIX};
use crate::matrix::{f32_values_nan, Scaled};
use crate::sparse::Csr;
use std::io::{Cursor, Read};
use std::path::Path;

/// What the members of an archive may inflate to in all, per byte of the archive: deflate
/// cannot do better than about 1032 to 1, and SciPy's archives of graphs stay far below that
/// (their indices barely compress), so a claim beyond it is a lie or a bomb.
const INFLATE_PER_BYTE: u64 = 256;
/// … and at least this much, for small archives.
const INFLATE_FLOOR: u64 = 64 << 20;

/// Bytes an archive may still inflate to, and allocate for its row pointers: members are read
/// against it, and a claimed shape must fit it before anything is allocated for it.
struct Budget {
    left: u64,
    all: u64,
    file: usize,
}

impl Budget {
    fn of(file: usize) -> Self {
        let all = (file as u64)
            .saturating_mul(INFLATE_PER_BYTE)
            .max(INFLATE_FLOOR);
        Self {
            left: all,
            all,
            file,
        }
    }

    /// Takes `bytes` for `what`, or says what the limit is.
    fn take(&mut self, path: &Path, bytes: u64, what: &str) -> Result<()> {
        if bytes > self.left {
            return Err(DataError::format(
                path,
                format!(
                    "{what} needs {bytes} bytes, beyond what an archive of {} bytes may hold ({} bytes in all: {INFLATE_PER_BYTE} per byte of the file, at least {} MiB); refused before inflating or allocating it",
                    self.file,
                    self.all,
                    INFLATE_FLOOR >> 20
                ),
            ));
        }
        self.left -= bytes;
        Ok(())
    }
}

/// The bytes of member `name.npy`, inflated in a streaming way: its header first, then exactly
/// the values the header declares (taken from the budget first); a member that inflates to more
/// or fewer bytes is refused at the first byte past its declaration.
fn member(
    path: &Path,
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Option<Vec<u8>>> {
    let mut file = match zip.by_name(&format!("{name}.npy")) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(DataError::format(
                path,
                format!("cannot read member {name}.npy: {e}"),
            ))
        }
    };
    let bad = |m: String| DataError::format(path, format!("member {name}.npy: {m}"));
    let io = |e: std::io::Error| bad(format!("cannot inflate it: {e}"));
    let mut head = Vec::with_capacity(NPY_PREFIX);
    (&mut file)
        .take(NPY_PREFIX as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let (start, len) = npy_header_span(&head).map_err(|e| bad(format!("not a .npy array: {e}")))?;
    let header_end = start + len;
    if head.len() > header_end {
        head.truncate(header_end);
    } else {
        (&mut file)
            .take((header_end - head.len()) as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
    }
    let payload = npy_payload_bytes(&head).map_err(|e| bad(format!("not a .npy array: {e}")))?;
    budget.take(path, payload, &format!("member {name}.npy"))?;
    let mut bytes = head;
    bytes.reserve_exact(payload as usize);
    (&mut file)
        .take(payload + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if (bytes.len() - header_end) as u64 != payload {
        return Err(bad(format!(
            "it inflates to {} bytes of values where its header declares {payload}",
            bytes.len() - header_end
        )));
    }
    Ok(Some(bytes))
}

fn required(
    path: &Path,
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    format: &str,
    budget: &mut Budget,
) -> Result<Vec<u8>> {
    member(path, zip, name, budget)?.ok_or_else(|| {
        DataError::format(
            path,
            format!("a {format} matrix needs a member {name}.npy, which the archive lacks"),
        )
    })
}

/// A 1-D integer array of indices, each in `0..=bound`.
fn indices(path: &Path, name: &str, bytes: &[u8], bound: usize) -> Result<Vec<usize>> {
    let (shape, values) =
        read_npy::<f64>(Path::new(&format!("{}:{name}.npy", path.display())), bytes)?;
    if shape.len() != 1 {
        return Err(DataError::format(
            path,
            format!("{name} must be 1-D, found shape {shape:?}"),
        ));
    }
    values
        .into_iter()
        .map(|v| {
            if v.fract() == 0.0 && v >= 0.0 && v <= bound as f64 {
                Ok(v as usize)
            } else {
                Err(DataError::format(
                    path,
                    format!("{name} holds {v}, not a whole number in 0..={bound}"),
                ))
            }
        })
        .collect()
}

/// The text of the 0-d string array `format.npy` (NumPy's '<U3' or '|S3').
fn format_text(path: &Path, bytes: &[u8]) -> Result<String> {
    let bad = |m: &str| DataError::format(path, format!("member format.npy: {m}"));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy array"));
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unknown .npy version")),
    };
    let header = bytes
        .get(start..start.saturating_add(len))
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("header cut short"))?;
    let payload = &bytes[(start + len).min(bytes.len())..];
    if payload.len() > 64 {
        return Err(bad("longer than a format name"));
    }
    let text: String = if header.contains("<U") {
        payload
            .chunks(4)
            .filter_map(|c| <[u8; 4]>::try_from(c).ok())
            .map(u32::from_le_bytes)
            .filter_map(char::from_u32)
            .collect()
    } else if header.contains("|S") {
        payload.iter().map(|&b| b as char).collect()
    } else {
        return Err(bad("not a string array"));
    };
    Ok(text.trim_end_matches('\0').to_string())
}

/// Reads a `scipy.sparse.save_npz` archive (CSR, CSC or COO; duplicates of COO summed) as a
/// CSR matrix of `f32` values. `path` names the file in errors. What the archive inflates to,
/// and the row pointers its shape asks for, are bounded by its size (256 bytes per byte, `INFLATE_PER_BYTE`):
/// nothing is inflated or allocated for a claim beyond it.
pub fn parse_sparse_npz(path: &Path, bytes: &[u8]) -> Result<Scaled<Csr>> {
    parse_sparse_npz_nan(path, bytes, false)
}

/// [`parse_sparse_npz`], keeping stored NaN entries (missing values) where `nan`.
pub fn parse_sparse_npz_nan(path: &Path, bytes: &[u8], nan: bool) -> Result<Scaled<Csr>> {
    let mut budget = Budget::of(bytes.len());
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DataError::format(path, format!("not a zip archive (.npz): {e}")))?;
    let format = match member(path, &mut zip, "format", &mut budget)? {
        Some(b) => format_text(path, &b)?,
        None => {
            return Err(DataError::format(
                path,
                "no member format.npy: not a scipy.sparse.save_npz archive (a dense matrix goes in a .npy file)",
            ))
        }
    };
    if !matches!(format.as_str(), "csr" | "csc" | "coo") {
        // bsr, dia, lil, dok: said at once, before their members are read as if they were CSR.
        return Err(DataError::format(
            path,
            format!("sparse format {format:?} is not read: convert it with .tocsr() (csr, csc and coo are read)"),
        ));
    }
    let shape_bytes = required(path, &mut zip, "shape", &format, &mut budget)?;
    let shape = indices(path, "shape", &shape_bytes, usize::MAX >> 12)?;
    let [nrows, ncols] = shape[..] else {
        return Err(DataError::format(
            path,
            format!("shape must have 2 entries, found {shape:?}"),
        ));
    };
    // The row pointers of the CSR result: allocated from the claimed shape, so the claim must
    // fit the archive's budget first.
    let pointers = (nrows as u64).saturating_add(1).saturating_mul(8);
    budget.take(path, pointers, &format!("a matrix of {nrows} rows"))?;
    let data_bytes = required(path, &mut zip, "data", &format, &mut budget)?;
    let (dshape, data) = read_npy::<f64>(
        Path::new(&format!("{}:data.npy", path.display())),
        &data_bytes,
    )?;
    drop(data_bytes);
    if dshape.len() != 1 {
        return Err(DataError::format(
            path,
            format!("data must be 1-D, found shape {dshape:?}"),
        ));
    }
    // Checked and, beyond f32's comfortable range, scaled in f64 before it becomes f32.
    let (data, exponent) = f32_values_nan(&data, 1, &format!("data of {}", path.display()), nan)?;
    let scaled = |matrix: Result<Csr>| matrix.map(|matrix| Scaled { matrix, exponent });
    let mut read = |name: &str, bound: usize| -> Result<Vec<usize>> {
        let b = required(path, &mut zip, name, &format, &mut budget)?;
        indices(path, name, &b, bound)
    };
    let nnz = data.len();
    let mismatch = |name: &str, len: usize, want: usize| {
        DataError::format(
            path,
            format!("{name} has {len} entries but the matrix needs {want}"),
        )
    };
    let (major, minor, ptr, idx) = match format.as_str() {
        "csr" | "csc" => {
            let (major, minor) = if format == "csr" {
                (nrows, ncols)
            } else {
                (ncols, nrows)
            };
            let ptr = read("indptr", nnz)?;
            let idx = read("indices", minor.saturating_sub(1))?;
            if ptr.len() != major.saturating_add(1) {
                return Err(mismatch("indptr", ptr.len(), major.saturating_add(1)));
            }
            if idx.len() != nnz {
                return Err(mismatch("indices", idx.len(), nnz));
            }
            if ptr[0] != 0 || ptr[major] != nnz || ptr.windows(2).any(|w| w[0] > w[1]) {
                return Err(DataError::format(
                    path,
                    "indptr must rise from 0 to the number of stored entries",
                ));
            }
            (major, minor, ptr, idx)
        }
        "coo" => {
            let row = read("row", nrows.saturating_sub(1))?;
            let col = read("col", ncols.saturating_sub(1))?;
            if row.len() != nnz {
                return Err(mismatch("row", row.len(), nnz));
            }
            if col.len() != nnz {
                return Err(mismatch("col", col.len(), nnz));
            }
            // As CSR of its own: rows counted, entries placed in row order.
            let ptr = counting_pointers(&row, nrows);
            let mut fill = ptr.clone();
            let mut cols = vec![0usize; nnz];
            let mut order = vec![0usize; nnz];
            for (k, &i) in row.iter().enumerate() {
                cols[fill[i]] = col[k];
                order[fill[i]] = k;
                fill[i] += 1;
            }
            let data: Vec<f32> = order.iter().map(|&k| data[k]).collect();
            return scaled(assemble(path, nrows, ncols, &ptr, &cols, &data));
        }
        other => unreachable!("format {other:?} was checked above"),
    };
    if (nrows == 0 || ncols == 0) && nnz > 0 {
        return Err(DataError::format(path, "entries in an empty matrix"));
    }
    if format == "csr" {
        return scaled(assemble(path, nrows, ncols, &ptr, &idx, &data));
    }
    // CSC: the transpose of a CSR of ncols rows, transposed back by counting.
    let _ = minor;
    let rowptr = counting_pointers(&idx, nrows);
    let mut fill = rowptr.clone();
    let mut cols = vec![0usize; nnz];
    let mut vals = vec![0f32; nnz];
    for a in 0..major {
        for k in ptr[a]..ptr[a + 1] {
            let i = idx[k];
            cols[fill[i]] = a;
            vals[fill[i]] = data[k];
            fill[i] += 1;
        }
    }
    scaled(assemble(path, nrows, ncols, &rowptr, &cols, &vals))
}

/// Row pointers of entries whose rows are `rows` (each below `n`): a counting pass.
fn counting_pointers(rows: &[usize], n: usize) -> Vec<usize> {
    let mut ptr = vec![0usize; n + 1];
    for &i in rows {
        ptr[i + 1] += 1;
    }
    for i in 0..n {
        ptr[i + 1] += ptr[i];
    }
    ptr
}

/// The CSR matrix of rows given as pointers into `cols` and `vals`: each row sorted by column,
/// repeated columns summed (COO may repeat them, as SciPy sums).
fn assemble(
    path: &Path,
    nrows: usize,
    ncols: usize,
    ptr: &[usize],
    cols: &[usize],
    vals: &[f32],
) -> Result<Csr> {
    if (nrows == 0 || ncols == 0) && !vals.is_empty() {
        return Err(DataError::format(path, "entries in an empty matrix"));
    }
    let mut indptr = Vec::with_capacity(nrows + 1);
    indptr.push(0);
    let mut indices = Vec::with_capacity(vals.len());
    let mut values = Vec::with_capacity(vals.len());
    let mut row: Vec<(usize, f32)> = Vec::new();
    for i in 0..nrows {
        row.clear();
        row.extend((ptr[i]..ptr[i + 1]).map(|k| (cols[k], vals[k])));
        row.sort_by_key(|&(j, _)| j);
        for &(j, v) in &row {
            match indices.last() {
                Some(&last) if last == j && values.len() > indptr[i] => {
                    *values.last_mut().expect("a value beside its index") += v
                }
                _ => {
                    indices.push(j);
                    values.push(v);
                }
            }
        }
        indptr.push(indices.len());
    }
    Csr::new(nrows, ncols, indptr, indices, values)
}

/// Writes `x` as a new `scipy.sparse.save_npz` archive in CSR form (`indices` as `int32`,
/// `indptr` as `int64`, `data` as `float32`, members deflated), never over an existing file:
/// [`crate::io::atomic::create_new_with`]. `scipy.sparse.load_npz` reads it back, and so does
/// [`parse_sparse_npz`].
pub fn write_sparse_npz_new(path: &Path, x: &Csr) -> Result<()> {
    if x.ncols() > i32::MAX as usize {
        return Err(DataError::format(
            path,
            format!("{} columns do not fit int32 indices", x.ncols()),
        ));
    }
    crate::io::atomic::create_new_with(path, |f| {
        let mut zip = zip::ZipWriter::new(f);
        match write_members(&mut zip, x) {
            Ok(()) => zip
                .finish()
                .map(|_| ())
                .map_err(|e| std::io::Error::other(e.to_string())),
            Err(e) => {
                // The writer would try to finish the archive when dropped and print its own
                // failure (on a full disk); the error is reported once, by the caller. It
                // borrows the file, so forgetting it keeps only its buffers.
                std::mem::forget(zip);
                Err(e)
            }
        }
    })
}

/// The members of a CSR `.npz` written into `zip` (not finished).
fn write_members<W: std::io::Write + std::io::Seek>(
    mut zip: &mut zip::ZipWriter<W>,
    x: &Csr,
) -> std::io::Result<()> {
    {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(true);
        let io_err = |e: zip::result::ZipError| std::io::Error::other(e.to_string());
        // format.npy: a 0-d '<U3' array "csr", as NumPy writes it.
        zip.start_file("format.npy", opts).map_err(io_err)?;
        let mut header = String::from("{'descr': '<U3', 'fortran_order': False, 'shape': (), }");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        for c in "csr".chars() {
            b.extend_from_slice(&(c as u32).to_le_bytes());
        }
        std::io::Write::write_all(&mut zip, &b)?;
        fn array<W: std::io::Write, T: npyz::Serialize + npyz::AutoSerialize + Copy>(
            zip: &mut W,
            values: impl Iterator<Item = T>,
            len: usize,
        ) -> std::io::Result<()> {
            use npyz::WriterBuilder;
            let mut w = npyz::WriteOptions::new()
                .default_dtype()
                .shape(&[len as u64])
                .writer(zip)
                .begin_nd()?;
            w.extend(values)?;
            w.finish()
        }
        zip.start_file("shape.npy", opts).map_err(io_err)?;
        array(
            &mut zip,
            [x.nrows() as i64, x.ncols() as i64].into_iter(),
            2,
        )?;
        zip.start_file("indptr.npy", opts).map_err(io_err)?;
        array(
            &mut zip,
            x.indptr().iter().map(|&v| v as i64),
            x.nrows() + 1,
        )?;
        zip.start_file("indices.npy", opts).map_err(io_err)?;
        array(&mut zip, x.indices().iter().map(|&v| v as i32), x.nnz())?;
        zip.start_file("data.npy", opts).map_err(io_err)?;
        array(&mut zip, x.values().iter().copied(), x.nnz())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn npy(descr: &str, shape: &str, payload: &[u8]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((header.len() as u16).to_le_bytes());
        b.extend(header.as_bytes());
        b.extend(payload);
        b
    }

    fn i64s(v: &[i64]) -> Vec<u8> {
        npy(
            "<i8",
            &format!("({},)", v.len()),
            &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>(),
        )
    }

    fn f64s(v: &[f64]) -> Vec<u8> {
        npy(
            "<f8",
            &format!("({},)", v.len()),
            &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>(),
        )
    }

    fn fmt(name: &str) -> Vec<u8> {
        let payload: Vec<u8> = name
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        npy(&format!("<U{}", name.len()), "()", &payload)
    }

    fn archive(members: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        });
        for (name, bytes) in members {
            out.start_file(format!("{name}.npy"), opts).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    /// [[1, 0, 2], [0, 0, 3]] in each format.
    fn expected() -> Vec<f32> {
        vec![1.0, 0.0, 2.0, 0.0, 0.0, 3.0]
    }

    #[test]
    fn csr_csc_and_coo_read_the_same_matrix_stored_or_deflated() {
        let csr = vec![
            ("format", fmt("csr")),
            ("shape", i64s(&[2, 3])),
            ("data", f64s(&[1.0, 2.0, 3.0])),
            ("indices", i64s(&[0, 2, 2])),
            ("indptr", i64s(&[0, 2, 3])),
        ];
        let csc = vec![
            ("format", fmt("csc")),
            ("shape", i64s(&[2, 3])),
            ("data", f64s(&[1.0, 2.0, 3.0])),
            ("indices", i64s(&[0, 0, 1])),
            ("indptr", i64s(&[0, 1, 1, 3])),
        ];
        // COO with a repeated position: 2 = 0.5 + 1.5.
        let coo = vec![
            ("format", fmt("coo")),
            ("shape", i64s(&[2, 3])),
            ("data", f64s(&[3.0, 0.5, 1.0, 1.5])),
            ("row", i64s(&[1, 0, 0, 0])),
            ("col", i64s(&[2, 2, 0, 2])),
        ];
        for members in [csr, csc, coo] {
            for deflate in [false, true] {
                let m = parse_sparse_npz(Path::new("g.npz"), &archive(&members, deflate))
                    .unwrap()
                    .matrix;
                assert_eq!((m.nrows(), m.ncols()), (2, 3));
                assert_eq!(m.to_dense().data(), expected().as_slice());
            }
        }
    }

    /// Peak resident memory of this process so far, in bytes (Linux; 0 elsewhere).
    fn peak_rss() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                let l = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
                l.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map_or(0, |kb| kb * 1024)
    }

    #[test]
    fn claimed_shapes_and_bombs_are_refused_before_any_allocation() {
        let before = peak_rss();
        let coo = |rows: i64| {
            archive(
                &[
                    ("format", fmt("coo")),
                    ("shape", i64s(&[rows, rows])),
                    ("data", f64s(&[1.0, 1.0])),
                    ("row", i64s(&[0, 1])),
                    ("col", i64s(&[1, 0])),
                ],
                true,
            )
        };
        // A ~1 kB archive claiming 2^40 or 10^8 rows: row pointers of 8 TB / 800 MB.
        for rows in [1i64 << 40, 100_000_000] {
            let bytes = coo(rows);
            let err = parse_sparse_npz(Path::new("g.npz"), &bytes)
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("a matrix of {rows} rows")), "{err}");
            assert!(
                err.contains("refused before inflating or allocating"),
                "{err}"
            );
        }
        // The same claim with the entries to justify it would be read: 2 rows are fine.
        assert_eq!(
            parse_sparse_npz(Path::new("g.npz"), &coo(2))
                .unwrap()
                .matrix
                .nnz(),
            2
        );
        // A bomb: a data member declaring 10^9 f64 (8 GB) of zeros, deflated to a few MB.
        // Its header's claim is refused before a byte of values is inflated.
        let header_only = npy("<f8", "(1000000000,)", &[]);
        let mut zeros = header_only.clone();
        zeros.extend(std::iter::repeat_n(0u8, 16 << 20));
        let bomb = archive(
            &[
                ("format", fmt("csr")),
                ("shape", i64s(&[2, 2])),
                ("data", zeros),
                ("indices", i64s(&[0])),
                ("indptr", i64s(&[0, 1, 1])),
            ],
            true,
        );
        assert!(bomb.len() < 1 << 20, "the bomb is {} bytes", bomb.len());
        let err = parse_sparse_npz(Path::new("g.npz"), &bomb)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("member data.npy needs 8000000000 bytes"),
            "{err}"
        );
        // A member that inflates past what its header declares stops at the first byte past.
        let mut lying = f64s(&[1.0]);
        lying.extend(std::iter::repeat_n(0u8, 16 << 20));
        let m = vec![
            ("format", fmt("csr")),
            ("shape", i64s(&[1, 1])),
            ("data", lying),
            ("indices", i64s(&[0])),
            ("indptr", i64s(&[0, 1])),
        ];
        let err = parse_sparse_npz(Path::new("g.npz"), &archive(&m, true))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("inflates to 9 bytes of values where its header declares 8"),
            "{err}"
        );
        // None of it raised the peak memory by more than a few tens of MB (the archives
        // themselves included).
        let grown = peak_rss().saturating_sub(before);
        assert!(grown < 256 << 20, "peak memory grew by {grown} bytes");
    }

    #[test]
    fn malformed_archives_are_typed_errors() {
        let good = || {
            vec![
                ("format", fmt("csr")),
                ("shape", i64s(&[2, 3])),
                ("data", f64s(&[1.0, 2.0, 3.0])),
                ("indices", i64s(&[0, 2, 2])),
                ("indptr", i64s(&[0, 2, 3])),
            ]
        };
        let with = |name: &str, bytes: Vec<u8>| {
            let mut m = good();
            for e in m.iter_mut() {
                if e.0 == name {
                    e.1 = bytes.clone();
                }
            }
            m
        };
        let without = |name: &str| {
            good()
                .into_iter()
                .filter(|e| e.0 != name)
                .collect::<Vec<_>>()
        };
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not a zip".to_vec(), "zip"),
            (archive(&without("format"), false), "format.npy"),
            (archive(&without("indptr"), false), "indptr.npy"),
            (
                archive(&with("format", fmt("dia")), false),
                "\"dia\" is not read",
            ),
            // A BSR archive (3-D data) is named before its members are read.
            (
                {
                    let mut m = with("format", fmt("bsr"));
                    for e in m.iter_mut().filter(|e| e.0 == "data") {
                        e.1 = npy("<f8", "(1, 2, 2)", &[0u8; 32]);
                    }
                    archive(&m, false)
                },
                "\"bsr\" is not read",
            ),
            (
                archive(&with("indices", i64s(&[0, 3, 2])), false),
                "indices holds 3",
            ),
            (
                archive(&with("indices", i64s(&[0, -1, 2])), false),
                "indices holds -1",
            ),
            (archive(&with("indptr", i64s(&[0, 3, 2])), false), "indptr"),
            (
                archive(&with("indptr", i64s(&[0, 2])), false),
                "indptr has 2",
            ),
            (
                archive(&with("shape", i64s(&[2])), false),
                "shape must have 2",
            ),
            (archive(&with("data", f64s(&[1.0, 2.0])), false), "indptr"),
            (
                archive(&with("data", npy("<f8", "(3,)", &[0u8; 5])), false),
                "data.npy",
            ),
        ];
        for (bytes, phrase) in cases {
            let err = parse_sparse_npz(Path::new("g.npz"), &bytes)
                .unwrap_err()
                .to_string();
            assert!(err.contains(phrase), "'{err}' should mention '{phrase}'");
            assert!(err.contains("g.npz"), "'{err}' should name the file");
        }
        // Every truncation of a valid archive is an error, never a panic.
        let bytes = archive(&good(), true);
        for cut in 0..bytes.len() {
            let _ = parse_sparse_npz(Path::new("g.npz"), &bytes[..cut]);
        }
    }

    #[test]
    fn written_archives_read_back_and_never_replace_a_file() {
        let d = std::env::temp_dir().join(format!("nmfnet-npz-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        // An empty row, a repeated weight, a last column: what CSR bookkeeping gets wrong.
        let rows = vec![
            vec![(0, 1.5), (3, 0.5)],
            vec![],
            vec![(2, 2.0), (3, 0.5)],
            vec![(0, 0.5), (2, 0.5), (3, 4.0)],
        ];
        let x = Csr::from_rows(4, rows).unwrap();
        let p = d.join("g.npz");
        write_sparse_npz_new(&p, &x).unwrap();
        let back = parse_sparse_npz(&p, &std::fs::read(&p).unwrap())
            .unwrap()
            .matrix;
        assert_eq!(back.indptr(), x.indptr());
        assert_eq!(back.indices(), x.indices());
        assert_eq!(back.values(), x.values());
        // A second write to the same name is refused and leaves the first file's bytes.
        let before = std::fs::read(&p).unwrap();
        let y = Csr::from_rows(4, vec![vec![(1, 9.0)], vec![], vec![], vec![]]).unwrap();
        assert!(matches!(
            write_sparse_npz_new(&p, &y),
            Err(DataError::Exists { .. })
        ));
        assert_eq!(std::fs::read(&p).unwrap(), before);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
