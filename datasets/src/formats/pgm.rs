//! Binary PGM ("P5") images, as in the ORL face database.
//!
//! Header: `P5`, whitespace, width, whitespace, height, whitespace, maxval, one whitespace byte,
//! then width·height samples (1 byte each for maxval < 256, 2 bytes big-endian otherwise).
//! `#` comments are allowed between header fields. Samples are returned scaled to [0, 1].

use crate::error::{DataError, Result};
use std::path::Path;

/// A grayscale image with values in [0, 1], row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f32>,
}

/// Largest image accepted (the header is checked against the data before allocating anyway).
const MAX_SIDE: usize = 1 << 16;

/// Parses P5 bytes.
pub fn parse_pgm(path: &Path, b: &[u8]) -> Result<Gray> {
    let bad = |msg: String| DataError::format(path, format!("bad PGM: {msg}"));
    if !b.starts_with(b"P5") {
        return Err(bad(
            "no 'P5' magic (only binary grayscale PGM is supported)".into(),
        ));
    }
    let mut pos = 2;
    let mut fields = [0usize; 3];
    for (k, field) in fields.iter_mut().enumerate() {
        // Whitespace and comments before each field.
        loop {
            match b.get(pos) {
                Some(c) if c.is_ascii_whitespace() => pos += 1,
                Some(b'#') => {
                    while b.get(pos).is_some_and(|&c| c != b'\n') {
                        pos += 1;
                    }
                }
                _ => break,
            }
        }
        let start = pos;
        while b.get(pos).is_some_and(|c| c.is_ascii_digit()) {
            pos += 1;
        }
        let name = ["width", "height", "maxval"][k];
        let text = std::str::from_utf8(&b[start..pos]).unwrap_or("");
        *field = text
            .parse()
            .ok()
            .filter(|&v| v > 0 && v <= MAX_SIDE)
            .ok_or_else(|| bad(format!("{name} is missing or not in 1..={MAX_SIDE}")))?;
    }
    let [width, height, maxval] = fields;
    if maxval > 65535 {
        return Err(bad(format!("maxval {maxval} > 65535")));
    }
    if !b.get(pos).is_some_and(|c| c.is_ascii_whitespace()) {
        return Err(bad("no whitespace after maxval".into()));
    }
    pos += 1;
    let bytes_per = if maxval < 256 { 1 } else { 2 };
    let need = width * height * bytes_per;
    let data = &b[pos..];
    if data.len() != need {
        return Err(bad(format!(
            "{width}×{height} needs {need} bytes of pixels, found {}",
            data.len()
        )));
    }
    let scale = 1.0 / maxval as f32;
    let pixels = if bytes_per == 1 {
        data.iter().map(|&v| v as f32 * scale).collect()
    } else {
        data.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]) as f32 * scale)
            .collect()
    };
    Ok(Gray {
        width,
        height,
        pixels,
    })
}

/// Reads a P5 file.
pub fn read_pgm(path: &Path) -> Result<Gray> {
    let b = crate::io::read_file(path)?;
    parse_pgm(path, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_p5_with_comment() {
        let mut b = b"P5\n# made by hand\n3 2\n255\n".to_vec();
        b.extend_from_slice(&[0, 51, 255, 1, 2, 3]);
        let g = parse_pgm(Path::new("t"), &b).unwrap();
        assert_eq!((g.width, g.height), (3, 2));
        assert_eq!(g.pixels[2], 1.0);
        assert!((g.pixels[1] - 0.2).abs() < 1e-7);
    }

    #[test]
    fn bad_headers_are_typed_errors() {
        let p = Path::new("t");
        for (bytes, phrase) in [
            (&b"P2\n3 2\n255\n"[..], "P5"),
            (b"P5\n3\n", "height"),
            (b"P5\nx 2 255\n", "width"),
            (b"P5 3 2 0\n", "maxval"),
            (b"P5 3 2 255\n\x01\x02", "needs 6 bytes"),
            (b"P5 3 2 255", "whitespace"),
        ] {
            let e = parse_pgm(p, bytes).unwrap_err().to_string();
            assert!(e.contains(phrase), "{e} lacks {phrase}");
        }
    }
}
