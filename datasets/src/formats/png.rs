//! PNG images as gray pixels in [0, 1] (the `image` crate): a user's image folder and COIL-20.

use crate::error::{DataError, Result};
use std::path::Path;

/// A user's PNG as gray values in [0, 1]: 8- and 16-bit grayscale at full precision; colour
/// or transparency would need a conversion the user should choose, so they are refused.
pub(crate) fn user_png(path: &Path, bytes: &[u8]) -> Result<(usize, usize, Vec<f32>)> {
    use image::ColorType;
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .map_err(|e| DataError::format(path, format!("not a readable PNG: {e}")))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px: Vec<f32> = match img.color() {
        ColorType::L8 => img.to_luma8().into_raw().into_iter().map(|v| v as f32 / 255.0).collect(),
        ColorType::L16 => img
            .to_luma16()
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
