//! The camera's JS API: `LivenessCamera.start(video)`, `capturePhoto(camera)` and
//! `capturePhotoFallback()`, giving a `CapturedPhoto` (the record's `img`). Failures throw an
//! `Error` with a Chinese `message` saying what to do, a machine `code`, and `fallback`.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlVideoElement, MediaStream};

use super::camera::{Camera, CameraError};
use super::camera_capture::{encode_photo, Canvas, CaptureError, Jpeg};
use super::camera_fallback::take_fallback_photo;
use super::face_module;
use super::js_values::{thrown, to_js};
use zj_phone::liveness::{
    judge_quality, photo_crop, CaptureSource, Face, FaceIssue, Frame, Guide, GuideSampler,
    PhotoIssue, QualityLimits, MIN_FACE_SIDE,
};

/// A second face at least this share of the main face's area refuses the photo (as it ends a
/// liveness step).
const SECOND_FACE_SHARE: f32 = 0.5;

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
    /// The face the photo was cropped around, in the photo's pixels.
    pub(super) face: Option<Face>,
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

    /// The face the photo was cropped around, in the photo's pixels (`detectFaces`' shape), or
    /// `undefined` when the detector was not loaded and the whole frame was kept.
    #[wasm_bindgen(getter, unchecked_return_type = "Face | undefined")]
    pub fn face(&self) -> JsValue {
        self.face.as_ref().map_or(JsValue::UNDEFINED, to_js)
    }
}

/// Refuses a frame whose `guide` region is too dark, too bright or blurred.
fn check_quality(width: u32, height: u32, rgba: &[u8], guide: Guide) -> Result<(), CaptureError> {
    let frame =
        Frame::new(width, height, rgba).map_err(|e| CaptureError::Browser(e.to_string()))?;
    let features = GuideSampler::new(width, height, guide).analyse(&frame);
    match judge_quality(&features, &QualityLimits::default()) {
        Some(issue) => Err(CaptureError::Quality(issue)),
        None => Ok(()),
    }
}

/// `x` held to `low..=high`: `f32::clamp` without its panic path, whose message formats
/// floats (1 KB gzip of the first load).
#[allow(clippy::manual_clamp)]
fn within(x: f32, low: f32, high: f32) -> f32 {
    x.max(low).min(high)
}

/// The oval inscribed in `face`'s box, as a guide of a `width × height` frame (the quality
/// checks then look at the face).
fn face_guide(face: &Face, width: u32, height: u32) -> Guide {
    let short = width.min(height) as f32;
    let (cx, cy) = face.centre();
    Guide::new(
        within(cx / width as f32, 0.0, 1.0),
        within(cy / height as f32, 0.0, 1.0),
        within(face.width / 2.0 / short, 0.05, 1.0),
        within(face.height / 2.0 / short, 0.05, 1.0),
    )
    .unwrap_or_default()
}

/// The thrown error of a frame that cannot give the photo: its Chinese advice and `code`.
fn refused(issue: &PhotoIssue) -> JsValue {
    let code = match issue {
        PhotoIssue::FaceTooSmall { .. } => "faceTooSmall",
        PhotoIssue::NotFrontal { .. } => "notFrontal",
        PhotoIssue::FaceTooSmallInPhoto { .. } => "faceTooSmallInPhoto",
    };
    thrown(issue.advice_zh(), code, false)
}

/// The one face of the photo: the best, refused when there is none or a second one at least
/// half its size.
fn main_face(faces: &[Face]) -> Result<Face, JsValue> {
    let Some(face) = faces.first() else {
        return Err(thrown(FaceIssue::NoFace.advice_zh(), "noFace", false));
    };
    if faces[1..]
        .iter()
        .any(|other| other.area() >= SECOND_FACE_SHARE * face.area())
    {
        return Err(thrown(
            FaceIssue::SecondFace.advice_zh(),
            "secondFace",
            false,
        ));
    }
    Ok(*face)
}

/// `face` moved into the photo cut at (`x`, `y`).
fn face_in_crop(face: &Face, x: u32, y: u32) -> Face {
    let (dx, dy) = (x as f32, y as f32);
    let mut moved = *face;
    moved.x -= dx;
    moved.y -= dy;
    for keypoint in &mut moved.keypoints {
        keypoint.x -= dx;
        keypoint.y -= dy;
    }
    moved
}

/// Takes the photo from the live camera. With the face detector loaded (`loadFaceDetector()`),
/// on a fresh detection of this frame: refused (throws, with a Chinese message and `code`)
/// when there is no face (`noFace`), a second face at least half the size (`secondFace`), the
/// face is under 128 px (`faceTooSmall`), turned over 20° (`notFrontal`) or would be under a
/// third of the photo (`faceTooSmallInPhoto`), or the face is too dark, too bright or blurred
/// (`tooDark`, `tooBright`, `blurred`); else the photo is cropped around the face (a face box
/// at least 128×128 px and a third of the photo). Without the detector, the whole frame, with
/// the same quality checks on the guide oval. A JPEG under 400 KB, aiming at 100 KB.
#[wasm_bindgen(js_name = capturePhoto)]
pub fn capture_photo(camera: &mut LivenessCamera) -> Result<CapturedPhoto, JsValue> {
    camera.grab()?;
    let detector = face_module::loaded();
    photo_of(&camera.frame, &camera.rgba, CaptureSource::Camera, detector)
}

/// The photo of a frame drawn on `canvas`, as `capturePhoto` takes it from the camera (cropped
/// around its one face when the detector is loaded, with the same refusals): for pages and
/// tests that draw frames themselves.
pub fn capture_canvas(canvas: &Canvas) -> Result<CapturedPhoto, JsValue> {
    let mut rgba = Vec::new();
    canvas.read_rgba(&mut rgba)?;
    photo_of(canvas, &rgba, CaptureSource::Camera, face_module::loaded())
}

/// The photo of the frame on `canvas` (its pixels `rgba`): cropped around its one face when
/// `detector` is there, else whole; see `capturePhoto`.
fn photo_of(
    canvas: &Canvas,
    rgba: &[u8],
    source: CaptureSource,
    detector: Option<face_module::SharedModule>,
) -> Result<CapturedPhoto, JsValue> {
    let (width, height) = canvas.size();
    let Some(detector) = detector else {
        check_quality(width, height, rgba, Guide::default())?;
        return Ok(CapturedPhoto {
            jpeg: encode_photo(canvas, 1.0)?,
            source,
            face: None,
        });
    };
    let faces = detector.borrow_mut().detect_rgba(width, height, rgba)?;
    let face = main_face(&faces)?;
    let crop = photo_crop(width, height, &face).map_err(|issue| refused(&issue))?;
    check_quality(width, height, rgba, face_guide(&face, width, height))?;
    let photo = Canvas::new(false)?;
    photo.draw_region(canvas, (crop.x, crop.y, crop.width, crop.height))?;
    // Smaller JPEGs may scale the photo down only while the face stays 128 px or more.
    let min_scale = f64::from(MIN_FACE_SIDE / face.width.min(face.height));
    Ok(CapturedPhoto {
        jpeg: encode_photo(&photo, min_scale)?,
        source,
        face: Some(face_in_crop(&face, crop.x, crop.y)),
    })
}

/// Takes a photo without the live camera (call from a tap handler): WeChat's `chooseImage` with
/// the camera when `wx` is there (the page has run `wx.config`), else a file input opening the
/// front camera. Lower-trust. The same refusals and crop as `capturePhoto` (loading the face
/// detector if it can; without it, the whole picture); `code: "cancelled"` when the worker took
/// no photo.
#[wasm_bindgen(js_name = capturePhotoFallback)]
pub async fn capture_photo_fallback() -> Result<CapturedPhoto, JsValue> {
    let (canvas, source) = take_fallback_photo().await?;
    let mut rgba = Vec::new();
    canvas.read_rgba(&mut rgba)?;
    // The photo is checked as the camera's when the detector can be had (offline before it
    // was ever kept, the whole picture is sent, as lower-trust as any fallback photo).
    let detector = face_module::shared().await.ok();
    photo_of(&canvas, &rgba, source, detector)
}
