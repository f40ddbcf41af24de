//! User files: matrices as `.npy` or CSV, label files, image folders, and writing results (the
//! atomic writers of [`atomic`], re-exported here).
//!
//! * `.npy` (NumPy): 2-D arrays of float, int, uint or bool ([`crate::formats::npy`]).
//! * CSV / text: one row per line, values separated by commas, semicolons, tabs or spaces;
//!   empty lines and lines starting with `#` are skipped; every row must have the same length
//!   ([`crate::formats::csv`]).
//! * `.npz`: sparse matrices saved by `scipy.sparse.save_npz` ([`read_sparse_npz`]).
//! * Labels: a 1-D `.npy` of integers, or text with one integer per line (or separated as in
//!   CSV).

use crate::error::{DataError, Result};
use crate::matrix::{f32_values, Dense, Scaled};
use npyz::WriterBuilder;
use std::path::Path;

pub mod atomic;

use crate::formats::csv::{fields, read_csv, text_lines};
use crate::formats::npy::read_npy;
use crate::formats::png::user_png;
pub use atomic::{atomic_write, create_new_with};

fn is_npy(path: &Path) -> bool {
    path.extension()
        .map(|e| e.eq_ignore_ascii_case("npy"))
        .unwrap_or(false)
}

/// Whether `path` names a `.npz` archive (a sparse matrix saved by `scipy.sparse.save_npz`).
pub fn is_npz(path: &Path) -> bool {
    path.extension()
        .map(|e| e.eq_ignore_ascii_case("npz"))
        .unwrap_or(false)
}

/// Reads a sparse matrix saved by `scipy.sparse.save_npz` (see [`crate::formats::npz`]).
pub fn read_sparse_npz(path: &Path) -> Result<Scaled<crate::sparse::Csr>> {
    crate::formats::npz::parse_sparse_npz(path, &read_file(path)?)
}

/// [`read_sparse_npz`] of a matrix whose stored NaN entries mark missing values: they are kept
/// as NaN (an infinity is still refused).
pub fn read_sparse_npz_with_nan(path: &Path) -> Result<Scaled<crate::sparse::Csr>> {
    crate::formats::npz::parse_sparse_npz_nan(path, &read_file(path)?, true)
}

/// The bytes of a user's file, which must be a regular file (a device such as `/dev/zero`, a
/// pipe or a folder is refused before a byte is read: it has no size to check).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "cannot read a folder as a file"
        } else {
            "cannot read it: not a regular file (a device or a pipe?)"
        };
        return Err(DataError::format(path, kind));
    }
    std::fs::read(path).map_err(|e| DataError::io(path, e))
}

/// Reads a 2-D matrix from `.npy` (by extension) or CSV/text (anything else). The values are
/// read and checked in `f64` and become `f32` by [`f32_values`]: scaled by a power of two when
/// they lie beyond `f32`'s comfortable range (the exponent comes back with the matrix).
pub fn read_matrix(path: &Path) -> Result<Scaled<Dense>> {
    parse_matrix(path, &read_file(path)?)
}

/// [`read_matrix`] of the bytes of a file named `path` (its extension picks the format; it
/// names the file in errors).
pub fn parse_matrix(path: &Path, bytes: &[u8]) -> Result<Scaled<Dense>> {
    let (nrows, ncols, values) = parse_f64(path, bytes)?;
    let what = format!("matrix in {}", path.display());
    let (values, exponent) = f32_values(&values, ncols, &what)?;
    Ok(Scaled {
        matrix: Dense::new(nrows, ncols, values)?,
        exponent,
    })
}

/// A matrix file's values in `f64` as they are (`.npy` of any float or integer type, or
/// CSV/text): (rows, columns, values row by row), scaled by 2^`exponent` only where the
/// largest magnitude lies beyond 2^±100 ([`crate::matrix::f64_values`]). Checked: not empty,
/// every value finite.
pub fn read_matrix_f64(path: &Path) -> Result<Scaled<(usize, usize, Vec<f64>)>> {
    let (nrows, ncols, mut values) = parse_f64(path, &read_file(path)?)?;
    let what = format!("matrix in {}", path.display());
    let exponent = crate::matrix::f64_values(&mut values, ncols, &what)?;
    Ok(Scaled {
        matrix: (nrows, ncols, values),
        exponent,
    })
}

/// [`read_matrix_f64`] of a matrix whose NaN entries mark missing values: they are kept as NaN
/// (an infinity is still refused).
pub fn read_matrix_f64_with_nan(path: &Path) -> Result<Scaled<(usize, usize, Vec<f64>)>> {
    let (nrows, ncols, mut values) = parse_f64(path, &read_file(path)?)?;
    let what = format!("matrix in {}", path.display());
    let exponent = crate::matrix::f64_values_with_nan(&mut values, ncols, &what)?;
    Ok(Scaled {
        matrix: (nrows, ncols, values),
        exponent,
    })
}

/// The shape and f64 values of a matrix file, not empty.
fn parse_f64(path: &Path, bytes: &[u8]) -> Result<(usize, usize, Vec<f64>)> {
    let (nrows, ncols, values) = if is_npy(path) {
        let (shape, values) = read_npy::<f64>(path, bytes)?;
        let [nrows, ncols] = shape[..] else {
            return Err(DataError::format(
                path,
                format!("expected a 2-D array, found shape {shape:?}"),
            ));
        };
        (nrows, ncols, values)
    } else {
        read_csv(path, bytes)?
    };
    if nrows == 0 || ncols == 0 {
        return Err(DataError::Empty {
            what: format!("matrix in {}", path.display()),
        });
    }
    Ok((nrows, ncols, values))
}

/// Reads class labels (nonnegative integers) from a 1-D `.npy` or a text file.
pub fn read_labels(path: &Path) -> Result<Vec<usize>> {
    parse_labels(path, &read_file(path)?)
}

/// [`read_labels`] of the bytes of a file named `path`.
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<usize>> {
    let to_label = |v: f64, line: usize| -> Result<usize> {
        if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15 {
            Ok(v as usize)
        } else {
            Err(DataError::Parse {
                path: path.into(),
                line,
                msg: format!("label {v} is not a nonnegative integer"),
            })
        }
    };
    let labels = if is_npy(path) {
        let (shape, values) = read_npy::<f64>(path, bytes)?;
        if shape.len() != 1 && !(shape.len() == 2 && (shape[0] == 1 || shape[1] == 1)) {
            return Err(DataError::format(
                path,
                format!("expected a 1-D label array, found shape {shape:?}"),
            ));
        }
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| to_label(v, i + 1))
            .collect::<Result<Vec<_>>>()?
    } else {
        let mut out = Vec::new();
        for (line_no, line) in text_lines(path, bytes)? {
            for f in fields(&line) {
                let v: f64 = f.parse().map_err(|_| DataError::Parse {
                    path: path.into(),
                    line: line_no,
                    msg: format!("'{f}' is not an integer label"),
                })?;
                out.push(to_label(v, line_no)?);
            }
        }
        out
    };
    if labels.is_empty() {
        return Err(DataError::Empty {
            what: format!("label file {}", path.display()),
        });
    }
    Ok(labels)
}

/// Writes labels as a new `.npy` file of `i64` (never over an existing file).
pub fn write_labels_new(path: &Path, labels: &[usize]) -> Result<()> {
    use std::io::Write;
    let bytes = npy_bytes_labels(labels);
    create_new_with(path, |f| f.write_all(&bytes))
}

/// `.npy` bytes of a `f32` matrix (C order).
pub fn npy_bytes_f32(m: &Dense) -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[m.nrows() as u64, m.ncols() as u64])
            .writer(&mut buf)
            .begin_nd()
            .expect("writing to memory cannot fail");
        w.extend(m.data().iter().copied())
            .expect("writing to memory cannot fail");
        w.finish().expect("writing to memory cannot fail");
    }
    buf
}

/// `.npy` bytes of a `rows × cols` row-major `f64` matrix.
pub fn npy_bytes_f64(rows: usize, cols: usize, values: &[f64]) -> Vec<u8> {
    assert_eq!(values.len(), rows * cols, "a {rows} × {cols} matrix");
    let mut buf = Vec::new();
    {
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[rows as u64, cols as u64])
            .writer(&mut buf)
            .begin_nd()
            .expect("writing to memory cannot fail");
        w.extend(values.iter().copied())
            .expect("writing to memory cannot fail");
        w.finish().expect("writing to memory cannot fail");
    }
    buf
}

/// Writes a row-major `f64` matrix as `.npy` (float64), atomically.
pub fn write_npy_f64(path: &Path, rows: usize, cols: usize, values: &[f64]) -> Result<()> {
    atomic_write(path, &npy_bytes_f64(rows, cols, values))
}

/// `.npy` bytes of a 1-D `i64` vector.
pub fn npy_bytes_labels(labels: &[usize]) -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[labels.len() as u64])
            .writer(&mut buf)
            .begin_nd()
            .expect("writing to memory cannot fail");
        w.extend(labels.iter().map(|&l| l as i64))
            .expect("writing to memory cannot fail");
        w.finish().expect("writing to memory cannot fail");
    }
    buf
}

/// Writes a matrix as `.npy`, atomically.
pub fn write_npy(path: &Path, m: &Dense) -> Result<()> {
    atomic_write(path, &npy_bytes_f32(m))
}

/// A folder of grayscale images (PNG or binary PGM, all the same size), read in file-name
/// order as the columns of a pixels × images matrix with values in [0, 1].
pub struct ImageFolder {
    pub height: usize,
    pub width: usize,
    /// (height·width) × images, one image per column, row-major pixels.
    pub matrix: Dense,
    pub files: Vec<std::path::PathBuf>,
}

/// Reads every `.png` and `.pgm` file of `dir` (see [`ImageFolder`]).
pub fn read_image_folder(dir: &Path) -> Result<ImageFolder> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .map(|e| matches!(e.to_ascii_lowercase().to_str(), Some("png" | "pgm")))
                .unwrap_or(false)
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(DataError::Empty {
            what: format!("image folder {} (no .png or .pgm files)", dir.display()),
        });
    }
    let mut images = Vec::with_capacity(files.len());
    let mut size = None;
    for f in &files {
        let bytes = read_file(f)?;
        let is_png = f
            .extension()
            .map(|e| e.eq_ignore_ascii_case("png"))
            .unwrap_or(false);
        let (w, h, px) = if is_png {
            user_png(f, &bytes)?
        } else {
            let g = crate::formats::pgm::parse_pgm(f, &bytes)?;
            (g.width, g.height, g.pixels)
        };
        match size {
            None => {
                // Every image has the first one's size: the folder's pixels (f32), and the
                // matrix they become, are known now, before the others are decoded.
                let need = (files.len() as u64)
                    .saturating_mul(h as u64 * w as u64)
                    .saturating_mul(8);
                crate::error::check_memory(
                    format!(
                        "reading {} images of {w}×{h} from {}",
                        files.len(),
                        dir.display()
                    ),
                    need,
                )?;
                size = Some((h, w))
            }
            Some(s) if s != (h, w) => {
                return Err(DataError::format(
                    f,
                    format!(
                        "image is {w}×{h} but the folder's first image is {}×{}",
                        s.1, s.0
                    ),
                ))
            }
            _ => {}
        }
        images.push(px);
    }
    let (height, width) = size.expect("at least one image");
    let m = height * width;
    let n = images.len();
    let mut data = vec![0.0f32; m * n];
    for (j, img) in images.iter().enumerate() {
        for (i, &v) in img.iter().enumerate() {
            data[i * n + j] = v;
        }
    }
    Ok(ImageFolder {
        height,
        width,
        matrix: Dense::new(m, n, data)?,
        files,
    })
}

/// PNG bytes of a grid of grayscale tiles (each `height·width` values, row-major), each tile
/// scaled to its own [min, max] (a constant tile is black), `cols` tiles per row, 1-pixel gaps.
pub fn gray_grid_png(
    tiles: &[Vec<f32>],
    height: usize,
    width: usize,
    cols: usize,
) -> Result<Vec<u8>> {
    let cols = cols.max(1).min(tiles.len().max(1));
    let rows = tiles.len().div_ceil(cols).max(1);
    let (gw, gh) = (cols * (width + 1) + 1, rows * (height + 1) + 1);
    let mut img = image::GrayImage::from_pixel(gw as u32, gh as u32, image::Luma([255u8]));
    for (t, tile) in tiles.iter().enumerate() {
        if tile.len() != height * width {
            return Err(DataError::Shape {
                what: format!("tile {t} of an image grid"),
                expected: format!("{height}×{width} = {} values", height * width),
                found: format!("{} values", tile.len()),
            });
        }
        let (lo, hi) = tile
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let (r0, c0) = ((t / cols) * (height + 1) + 1, (t % cols) * (width + 1) + 1);
        for i in 0..height {
            for j in 0..width {
                let v = if hi > lo {
                    (tile[i * width + j] - lo) / span
                } else {
                    0.0
                };
                let px = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                img.put_pixel((c0 + j) as u32, (r0 + i) as u32, image::Luma([px]));
            }
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)
        .map_err(|e| DataError::Param {
            name: "image grid",
            msg: format!("cannot encode as PNG: {e}"),
        })?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("nmfnet-io-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn png_bytes(img: image::DynamicImage) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, image::ImageFormat::Png).unwrap();
        buf.into_inner()
    }

    #[test]
    fn a_small_png_declaring_a_huge_picture_is_refused_before_decoding() {
        // 9000×9000 zeros: 81 MB of pixels (324 MB as f32) in a file of about 80 kB.
        let img = image::GrayImage::new(9000, 9000);
        let bytes = png_bytes(image::DynamicImage::ImageLuma8(img));
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        let err = user_png(Path::new("big.png"), &bytes)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("9000×9000") && err.contains("at most"),
            "{err}"
        );
    }

    #[test]
    fn nested_brackets_in_an_npy_header_are_refused_at_once() {
        // The input that made the header parser run for minutes, found by the npy fuzz target.
        let header = format!(
            "{{'descr': '<f8', 'fortran_order': False,{} None  (8,), }}",
            "{".repeat(70)
        );
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(&[0; 64]);
        let t = std::time::Instant::now();
        let err = parse_matrix(Path::new("x.npy"), &b).unwrap_err();
        assert!(err.to_string().contains("malformed header"), "{err}");
        assert!(t.elapsed().as_secs() < 2);
    }

    #[test]
    fn an_empty_fortran_array_with_a_huge_dimension_is_refused_at_once() {
        // Found by the npy fuzz target: shape (2^60, 0) in Fortran order looped 2^60 times.
        let header = "{'descr': '<f4', 'fortran_order': True, 'shape': (1152921504606846976, 0), }";
        let pad = 64 - (10 + header.len() + 1) % 64;
        let header = format!("{header}{}\n", " ".repeat(pad));
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        let t = std::time::Instant::now();
        assert!(parse_matrix(Path::new("x.npy"), &b).is_err());
        assert!(parse_labels(Path::new("x.npy"), &b).is_err());
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn user_pngs_keep_16_bits_and_refuse_colour() {
        let p = Path::new("x.png");
        let g16 = image::ImageBuffer::<image::Luma<u16>, _>::from_raw(2, 1, vec![1000u16, 65535])
            .unwrap();
        let (w, h, px) = user_png(p, &png_bytes(image::DynamicImage::ImageLuma16(g16))).unwrap();
        assert_eq!((w, h), (2, 1));
        assert_eq!(px, vec![1000.0 / 65535.0, 1.0]);
        let rgb = image::RgbImage::from_raw(1, 1, vec![10, 20, 30]).unwrap();
        let err = user_png(p, &png_bytes(image::DynamicImage::ImageRgb8(rgb))).unwrap_err();
        assert!(err.to_string().contains("grayscale"), "{err}");
        let la = image::GrayAlphaImage::from_raw(1, 1, vec![10, 200]).unwrap();
        assert!(user_png(p, &png_bytes(image::DynamicImage::ImageLumaA8(la))).is_err());
    }

    #[test]
    fn npy_roundtrip() {
        let d = tmpdir("npy");
        let m = Dense::new(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.5, -6.0]).unwrap();
        let p = d.join("m.npy");
        write_npy(&p, &m).unwrap();
        assert_eq!(read_matrix(&p).unwrap().matrix, m);
        let l = d.join("l.npy");
        atomic_write(&l, &npy_bytes_labels(&[3, 1, 2])).unwrap();
        assert_eq!(read_labels(&l).unwrap(), vec![3, 1, 2]);
    }

    #[test]
    fn csv_and_errors() {
        let d = tmpdir("csv");
        let p = d.join("m.csv");
        std::fs::write(&p, "# comment\n1, 2,3\n4;5 6\n").unwrap();
        let m = read_matrix(&p).unwrap().matrix;
        assert_eq!(m.shape(), [2, 3]);
        std::fs::write(&p, "1,2\n3\n").unwrap();
        assert!(matches!(
            read_matrix(&p),
            Err(DataError::Parse { line: 2, .. })
        ));
        std::fs::write(&p, "1,x\n").unwrap();
        assert!(matches!(
            read_matrix(&p),
            Err(DataError::Parse { line: 1, .. })
        ));
        std::fs::write(&p, "").unwrap();
        assert!(matches!(read_matrix(&p), Err(DataError::Empty { .. })));
        assert!(matches!(
            read_matrix(&d.join("missing.csv")),
            Err(DataError::Io { .. })
        ));
        let l = d.join("l.txt");
        std::fs::write(&l, "0\n1\n-1\n").unwrap();
        assert!(matches!(
            read_labels(&l),
            Err(DataError::Parse { line: 3, .. })
        ));
    }

    #[test]
    fn truncated_npy_is_an_error() {
        let d = tmpdir("trunc");
        let m = Dense::new(4, 4, vec![1.0; 16]).unwrap();
        let bytes = npy_bytes_f32(&m);
        let p = d.join("t.npy");
        std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
        assert!(matches!(read_matrix(&p), Err(DataError::Format { .. })));
        std::fs::write(&p, b"not numpy at all").unwrap();
        assert!(matches!(read_matrix(&p), Err(DataError::Format { .. })));
    }

    #[test]
    fn values_beyond_f32_are_scaled_by_a_power_of_two_not_lost() {
        let d = tmpdir("range");
        let p = d.join("m.csv");
        // Valid numbers that f32 would turn into zeros or infinities.
        for (text, exponent) in [
            ("1e-50,2e-50\n0,4e-50\n", 165),
            ("1e100,3e100\n0,2e100\n", -333),
            ("5e-324,1e-323\n0,0\n", 1073),
            ("1e300,-1e300\n1,0\n", -996),
        ] {
            std::fs::write(&p, text).unwrap();
            let read = read_matrix(&p).unwrap();
            assert_eq!(read.exponent, exponent, "{text}");
            let want: Vec<f64> = text
                .split([',', '\n'])
                .filter(|f| !f.is_empty())
                .map(|f| f.parse::<f64>().unwrap())
                .collect();
            let big = read
                .matrix
                .data()
                .iter()
                .fold(0.0f32, |m, v| m.max(v.abs()));
            assert!((1.0..2.0).contains(&big), "{text}: largest {big}");
            // Every value to f32's precision relative to the largest (1 beside 1e300 is below
            // it, as it is in any f32 matrix).
            let top = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (&got, &v) in read.matrix.data().iter().zip(&want) {
                let back = crate::matrix::times_pow2(got as f64, -exponent);
                assert!((back - v).abs() <= 6e-8 * top, "{text}: {back} for {v}");
            }
        }
        // Within the window nothing moves: the values are f32's rounding of the file's.
        std::fs::write(&p, "1e-20,3\n1e20,0.1\n").unwrap();
        let read = read_matrix(&p).unwrap();
        assert_eq!(read.exponent, 0);
        assert_eq!(read.matrix.data(), &[1e-20f32, 3.0, 1e20, 0.1]);
        // A real infinity or NaN is named as one, with its place.
        std::fs::write(&p, "1,2\n3,1e400\n").unwrap();
        assert!(matches!(
            read_matrix(&p),
            Err(DataError::NonFinite { row: 1, col: 1, .. })
        ));
    }
}
