//! An RGBA image and its letterboxing into the model's input: scaled to fit, centred, black
//! around, RGB scaled to −1..=1 (as MediaPipe's face detection graph prepares it).

use crate::model::Dims;

/// An RGBA image, as `ImageData.data` holds it: `width × height × 4` bytes, row by row.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    width: u32,
    height: u32,
    rgba: &'a [u8],
}

/// Bytes that are not an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Width or height outside 1..=8192 pixels.
    #[error("image size {width}×{height} is outside 1..=8192 pixels")]
    Size {
        /// Pixels.
        width: u32,
        /// Pixels.
        height: u32,
    },
    /// The byte count is not `width × height × 4`.
    #[error("an image of {width}×{height} needs {expected} RGBA bytes, got {actual}")]
    Length {
        /// Pixels.
        width: u32,
        /// Pixels.
        height: u32,
        /// `width × height × 4`.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
}

impl<'a> Image<'a> {
    /// Checks the size (1..=8192 pixels each way) and that `rgba` holds exactly
    /// `width × height × 4` bytes.
    pub fn new(width: u32, height: u32, rgba: &'a [u8]) -> Result<Self, ImageError> {
        if !(1..=8192).contains(&width) || !(1..=8192).contains(&height) {
            return Err(ImageError::Size { width, height });
        }
        let expected = width as usize * height as usize * 4;
        if rgba.len() != expected {
            return Err(ImageError::Length {
                width,
                height,
                expected,
                actual: rgba.len(),
            });
        }
        Ok(Self {
            width,
            height,
            rgba,
        })
    }

    /// Pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGBA bytes, row by row.
    pub fn rgba(&self) -> &'a [u8] {
        self.rgba
    }
}

/// Where an image lies in the model's input: input pixels per image pixel, and the black
/// margins (input pixels) left and above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Letterbox {
    pub(crate) scale: f32,
    pub(crate) pad_x: f32,
    pub(crate) pad_y: f32,
}

impl Letterbox {
    /// An input coordinate (input pixels) as image pixels, on the x axis.
    pub(crate) fn image_x(&self, input_x: f32) -> f32 {
        (input_x - self.pad_x) / self.scale
    }

    /// An input coordinate (input pixels) as image pixels, on the y axis.
    pub(crate) fn image_y(&self, input_y: f32) -> f32 {
        (input_y - self.pad_y) / self.scale
    }
}

/// Writes `image` letterboxed into `input` (`dims`, 3 channels, −1..=1; bilinear sampling) and
/// says where it went.
pub(crate) fn letterbox(image: &Image<'_>, dims: Dims, input: &mut [f32]) -> Letterbox {
    let (w, h) = (image.width as f32, image.height as f32);
    let scale = (dims.w as f32 / w).min(dims.h as f32 / h);
    let placed = Letterbox {
        scale,
        pad_x: (dims.w as f32 - w * scale) / 2.0,
        pad_y: (dims.h as f32 - h * scale) / 2.0,
    };
    let stride = image.width as usize * 4;
    let (max_x, max_y) = (image.width as usize - 1, image.height as usize - 1);
    for (ty, row) in input.chunks_exact_mut(dims.w * dims.c).enumerate() {
        let sy = placed.image_y(ty as f32 + 0.5) - 0.5;
        let inside_y = (-0.5..=h - 0.5).contains(&sy);
        let y0 = (sy.floor().max(0.0) as usize).min(max_y);
        let (y1, fy) = ((y0 + 1).min(max_y), (sy - y0 as f32).clamp(0.0, 1.0));
        for (tx, pixel) in row.chunks_exact_mut(dims.c).enumerate() {
            let sx = placed.image_x(tx as f32 + 0.5) - 0.5;
            if !inside_y || !(-0.5..=w - 0.5).contains(&sx) {
                pixel.fill(-1.0);
                continue;
            }
            let x0 = (sx.floor().max(0.0) as usize).min(max_x);
            let (x1, fx) = ((x0 + 1).min(max_x), (sx - x0 as f32).clamp(0.0, 1.0));
            let at = |x: usize, y: usize, c: usize| f32::from(image.rgba[y * stride + x * 4 + c]);
            for (c, value) in pixel.iter_mut().enumerate().take(3) {
                let top = at(x0, y0, c) * (1.0 - fx) + at(x1, y0, c) * fx;
                let bottom = at(x0, y1, c) * (1.0 - fx) + at(x1, y1, c) * fx;
                *value = (top * (1.0 - fy) + bottom * fy) / 127.5 - 1.0;
            }
        }
    }
    placed
}
