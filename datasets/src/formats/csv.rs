//! CSV / text matrices and the text lines of label files: one row per line, values separated by
//! commas, semicolons, tabs or spaces; empty lines and lines starting with `#` are skipped.

use crate::error::{DataError, Result};
use std::path::Path;

/// Splits a text line into fields (commas, semicolons, tabs or spaces).
pub(crate) fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

pub(crate) fn text_lines(path: &Path, bytes: &[u8]) -> Result<Vec<(usize, String)>> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        DataError::format(path, "not UTF-8 text (binary file with a text extension?)")
    })?;
    // A byte-order mark, as spreadsheet programs write, is not part of the first value.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim().to_string()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect())
}

/// The rows of a CSV/text matrix: (rows, columns, values in row-major order, as `f64`).
pub(crate) fn read_csv(path: &Path, bytes: &[u8]) -> Result<(usize, usize, Vec<f64>)> {
    let lines = text_lines(path, bytes)?;
    let mut data = Vec::new();
    let mut ncols = None;
    for (line_no, line) in &lines {
        let mut count = 0;
        for f in fields(line) {
            let v: f64 = f.parse().map_err(|_| DataError::Parse {
                path: path.into(),
                line: *line_no,
                msg: format!("'{f}' is not a number"),
            })?;
            data.push(v);
            count += 1;
        }
        match ncols {
            None => ncols = Some(count),
            Some(c) if c != count => {
                return Err(DataError::Parse {
                    path: path.into(),
                    line: *line_no,
                    msg: format!("{count} values, but earlier rows have {c}"),
                })
            }
            _ => {}
        }
    }
    Ok((lines.len(), ncols.unwrap_or(0), data))
}
