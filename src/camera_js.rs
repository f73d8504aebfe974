//! The camera's JS API: `LivenessCamera.start(video)`, `capturePhoto(camera)` and
//! `capturePhotoFallback()`, giving a `CapturedPhoto` (the record's `img`). Failures throw an
//! `Error` with a Chinese `message` saying what to do, a machine `code`, and `fallback`.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlVideoElement, MediaStream};

use super::camera::{Camera, CameraError};
use super::camera_capture::{encode_photo, Canvas, CaptureError, Jpeg};
use super::camera_fallback::take_fallback_photo;
use super::js_values::{thrown, to_js};
use zj_phone::liveness::{judge_quality, CaptureSource, Frame, Guide, GuideSampler, QualityLimits};

impl From<CameraError> for JsValue {
    fn from(error: CameraError) -> Self {
        let code = match &error {
            CameraError::Unsupported => "unsupported",
            CameraError::Denied => "denied",
            CameraError::NotFound => "notFound",
            CameraError::InUse => "inUse",
            CameraError::NotPlaying => "notPlaying",
            CameraError::Other(_) => "other",
        };
        thrown(&error.to_string(), code, error.wants_fallback())
    }
}

impl From<CaptureError> for JsValue {
    fn from(error: CaptureError) -> Self {
        let code = match &error {
            CaptureError::Quality(issue) => issue.code(),
            CaptureError::NotReady => "notReady",
            CaptureError::TooLarge(_) => "tooLarge",
            CaptureError::Cancelled => "cancelled",
            CaptureError::Browser(_) => "browser",
        };
        thrown(&error.to_string(), code, false)
    }
}

/// The front camera, running, with a canvas its frames are read through.
#[wasm_bindgen]
pub struct LivenessCamera {
    camera: Camera,
    /// The canvas frames are drawn on; evidence thumbnails are made from it.
    pub(super) frame: Canvas,
    /// The last frame's RGBA pixels (one buffer, reused).
    pub(super) rgba: Vec<u8>,
}

#[wasm_bindgen]
impl LivenessCamera {
    /// Starts the front camera into `video` (`playsinline`, muted, `play()` called). Throws an
    /// `Error` with a Chinese message, `code` (`unsupported`, `denied`, `notFound`, `inUse`,
    /// `notPlaying`, `other`) and `fallback`.
    pub async fn start(video: HtmlVideoElement) -> Result<LivenessCamera, JsValue> {
        let camera = Camera::start(video).await?;
        Ok(Self {
            camera,
            frame: Canvas::new(true)?,
            rgba: Vec::new(),
        })
    }

    /// The video's width, pixels.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.camera.size().0
    }

    /// The video's height, pixels.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.camera.size().1
    }

    /// The camera's `MediaStream` (stopped with the camera).
    #[wasm_bindgen(getter)]
    pub fn stream(&self) -> MediaStream {
        // `Clone::clone`, not the inherent `MediaStream::clone`: that is JS `clone()`, a new
        // stream with new tracks that stopping the camera would not stop.
        Clone::clone(self.camera.stream())
    }

    /// Stops the camera's tracks and detaches the video now (`free()` does the same).
    pub fn stop(self) {}

    /// Draws the current video frame on the canvas and reads its pixels: `(width, height)`.
    pub(super) fn grab(&mut self) -> Result<(u32, u32), CaptureError> {
        let (width, height) = self.camera.size();
        if width == 0 || height == 0 {
            return Err(CaptureError::NotReady);
        }
        self.frame.draw(self.camera.video(), width, height)?;
        self.frame.read_rgba(&mut self.rgba)?;
        Ok((width, height))
    }
}

/// A photo ready for the record.
#[wasm_bindgen]
pub struct CapturedPhoto {
    pub(super) jpeg: Jpeg,
    pub(super) source: CaptureSource,
}

#[wasm_bindgen]
impl CapturedPhoto {
    /// The JPEG as base64 without a `data:` prefix: the record's `img`.
    #[wasm_bindgen(getter, js_name = jpegBase64)]
    pub fn jpeg_base64(&self) -> String {
        self.jpeg.base64.clone()
    }

    /// The JPEG's size, bytes (under 400 KB; usually at most 100 KB).
    #[wasm_bindgen(getter, js_name = byteLength)]
    pub fn byte_length(&self) -> usize {
        self.jpeg.bytes.len()
    }

    /// Pixels.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.jpeg.width
    }

    /// Pixels.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.jpeg.height
    }

    /// `camera`, `wechat` or `fileInput`.
    #[wasm_bindgen(getter)]
    pub fn source(&self) -> String {
        to_js(&self.source).as_string().unwrap_or_default()
    }

    /// Whether the record is lower-trust (not taken from the live camera).
    #[wasm_bindgen(getter, js_name = lowerTrust)]
    pub fn lower_trust(&self) -> bool {
        self.source.lower_trust()
    }
}

/// Refuses a frame whose guide region is too dark, too bright or blurred.
fn check_quality(width: u32, height: u32, rgba: &[u8]) -> Result<(), CaptureError> {
    let frame =
        Frame::new(width, height, rgba).map_err(|e| CaptureError::Browser(e.to_string()))?;
    let features = GuideSampler::new(width, height, Guide::default()).analyse(&frame);
    match judge_quality(&features, &QualityLimits::default()) {
        Some(issue) => Err(CaptureError::Quality(issue)),
        None => Ok(()),
    }
}

/// Takes the photo from the live camera: refused (throws, with a Chinese message and `code`
/// `tooDark`, `tooBright` or `blurred`) when the guide region is not good enough; else a JPEG
/// under 400 KB, aiming at 100 KB.
#[wasm_bindgen(js_name = capturePhoto)]
pub fn capture_photo(camera: &mut LivenessCamera) -> Result<CapturedPhoto, JsValue> {
    let (width, height) = camera.grab()?;
    check_quality(width, height, &camera.rgba)?;
    Ok(CapturedPhoto {
        jpeg: encode_photo(&camera.frame)?,
        source: CaptureSource::Camera,
    })
}

/// Takes a photo without the live camera (call from a tap handler): WeChat's `chooseImage` with
/// the camera when `wx` is there (the page has run `wx.config`), else a file input opening the
/// front camera. Lower-trust. The same quality refusals as `capturePhoto`; `code: "cancelled"`
/// when the worker took no photo.
#[wasm_bindgen(js_name = capturePhotoFallback)]
pub async fn capture_photo_fallback() -> Result<CapturedPhoto, JsValue> {
    let (canvas, source) = take_fallback_photo().await?;
    let mut rgba = Vec::new();
    canvas.read_rgba(&mut rgba)?;
    let (width, height) = canvas.size();
    check_quality(width, height, &rgba)?;
    Ok(CapturedPhoto {
        jpeg: encode_photo(&canvas)?,
        source,
    })
}
