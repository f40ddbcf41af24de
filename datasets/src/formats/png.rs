//! PNG images as gray pixels in [0, 1] (the `image` crate): a user's image folder and COIL-20.

use crate::error::{DataError, Result};
use std::path::Path;

/// The most pixels of one user's image: 4096×4096, 64 MiB as f32 (a column of Y each).
pub const MAX_USER_PIXELS: u64 = 1 << 24;

/// A user's PNG as gray values in [0, 1]: 8- and 16-bit grayscale at full precision; colour
/// or transparency would need a conversion the user should choose, so they are refused.
pub(crate) fn user_png(path: &Path, bytes: &[u8]) -> Result<(usize, usize, Vec<f32>)> {
    use image::ColorType;
    // The size is read from the header first: a PNG of a few hundred kB can declare a
    // picture of gigabytes (zeros compress a thousandfold).
    let (w, h) =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png)
            .into_dimensions()
            .map_err(|e| DataError::format(path, format!("not a readable PNG: {e}")))?;
    if w as u64 * h as u64 > MAX_USER_PIXELS {
        return Err(DataError::format(
            path,
            format!("a {w}×{h} image: at most {MAX_USER_PIXELS} pixels (4096×4096) are read"),
        ));
    }
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .map_err(|e| DataError::format(path, format!("not a readable PNG: {e}")))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px: Vec<f32> = match img.color() {
        ColorType::L8 => img.into_luma8().into_raw().into_iter().map(|v| v as f32 / 255.0).collect(),
        ColorType::L16 => img
            .into_luma16()
            .into_raw()
            .into_iter()
            .map(|v| v as f32 / 65535.0)
            .collect(),
        other => {
            return Err(DataError::format(
                path,
                format!(
                    "a {other:?} PNG: nmfnet factorises grayscale images (8 or 16 bits, no alpha); convert it first, e.g. `magick in.png -colorspace Gray -alpha off out.png`"
                ),
            ))
        }
    };
    Ok((w, h, px))
}

/// Decodes an 8-bit grayscale PNG to values in [0, 1], optionally downsampled to `side`×`side`
/// with the triangle (bilinear) filter.
pub fn png_gray(path: &Path, bytes: &[u8], side: Option<u32>) -> Result<(u32, u32, Vec<f32>)> {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .map_err(|e| DataError::format(path, format!("not a readable PNG: {e}")))?
        .to_luma8();
    let img = match side {
        Some(s) if (img.width(), img.height()) != (s, s) => {
            image::imageops::resize(&img, s, s, image::imageops::FilterType::Triangle)
        }
        _ => img,
    };
    let (w, h) = img.dimensions();
    Ok((
        w,
        h,
        img.into_raw()
            .into_iter()
            .map(|v| v as f32 / 255.0)
            .collect(),
    ))
}
