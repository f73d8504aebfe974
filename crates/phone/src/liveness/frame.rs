//! A camera frame (RGBA bytes) and the face guide oval drawn over the preview.

use serde::{Deserialize, Serialize};
use zj_face::{Image, ImageError};

/// One RGBA camera frame, as `ImageData.data` holds it: an [`Image`] of 32..=4096 pixels each
/// way.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a>(Image<'a>);

/// Bytes that are not a usable frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Width or height outside 32..=4096 pixels.
    #[error("frame size {width}×{height} is outside 32..=4096 pixels")]
    Size {
        /// Pixels.
        width: u32,
        /// Pixels.
        height: u32,
    },
    /// The byte count is not `width × height × 4`.
    #[error("frame of {width}×{height} needs {expected} RGBA bytes, got {actual}")]
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

impl<'a> Frame<'a> {
    /// Checks the size (32..=4096 pixels each way) and that `rgba` holds exactly
    /// `width × height × 4` bytes.
    pub fn new(width: u32, height: u32, rgba: &'a [u8]) -> Result<Self, FrameError> {
        let range = 32..=4096;
        if !range.contains(&width) || !range.contains(&height) {
            return Err(FrameError::Size { width, height });
        }
        match Image::new(width, height, rgba) {
            Ok(image) => Ok(Self(image)),
            Err(ImageError::Length {
                expected, actual, ..
            }) => Err(FrameError::Length {
                width,
                height,
                expected,
                actual,
            }),
            Err(ImageError::Size { .. }) => Err(FrameError::Size { width, height }),
        }
    }

    /// The frame as an image, for the face detector.
    pub fn image(&self) -> &Image<'a> {
        &self.0
    }

    /// Pixels.
    pub fn width(&self) -> u32 {
        self.0.width()
    }

    /// Pixels.
    pub fn height(&self) -> u32 {
        self.0.height()
    }

    /// The RGBA bytes, row by row.
    pub fn rgba(&self) -> &'a [u8] {
        self.0.rgba()
    }
}

/// The face guide: an oval the worker fills with their face. Centre as fractions of the frame's
/// width and height; radii as fractions of its shorter side, so the oval keeps its shape in
/// portrait and landscape. The default (radii 0.3 × 0.4) is 288×384 px in a 640×480 frame: the
/// face is well over 128×128 px and a third of the picture (standard 001 §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Guide {
    centre_x: f32,
    centre_y: f32,
    radius_x: f32,
    radius_y: f32,
}

/// A guide that does not describe an oval inside the frame.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuideError {
    /// Centre outside 0..=1 or a radius outside 0.05..=1 (or not finite).
    #[error("guide oval must have its centre in 0..=1 and radii in 0.05..=1 of the frame")]
    OutOfRange,
}

impl Default for Guide {
    fn default() -> Self {
        Self {
            centre_x: 0.5,
            centre_y: 0.5,
            radius_x: 0.3,
            radius_y: 0.4,
        }
    }
}

impl Guide {
    /// A guide oval; see the type's doc for the units.
    pub fn new(
        centre_x: f32,
        centre_y: f32,
        radius_x: f32,
        radius_y: f32,
    ) -> Result<Self, GuideError> {
        let centre_ok = |c: f32| (0.0..=1.0).contains(&c);
        let radius_ok = |r: f32| (0.05..=1.0).contains(&r);
        if centre_ok(centre_x) && centre_ok(centre_y) && radius_ok(radius_x) && radius_ok(radius_y)
        {
            Ok(Self {
                centre_x,
                centre_y,
                radius_x,
                radius_y,
            })
        } else {
            Err(GuideError::OutOfRange)
        }
    }

    /// Centre and radii in pixels of a `width × height` frame: `(cx, cy, rx, ry)`.
    pub fn in_pixels(&self, width: u32, height: u32) -> (f32, f32, f32, f32) {
        let short = width.min(height) as f32;
        (
            self.centre_x * width as f32,
            self.centre_y * height as f32,
            self.radius_x * short,
            self.radius_y * short,
        )
    }
}
