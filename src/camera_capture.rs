//! From the camera to bytes: frames drawn on a canvas and read as RGBA (one buffer, reused), and
//! JPEGs from the browser's encoder, stepped down in quality and size until small enough.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use js_sys::{Object, Reflect, Uint8ClampedArray};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement};

use zj_phone::liveness::QualityIssue;

/// Hard limit of the photo (standard 001 §1.2), bytes.
pub const MAX_JPEG_BYTES: usize = 400 * 1024;
/// Size aimed at, bytes: small uploads on a building site's mobile network.
const AIM_JPEG_BYTES: usize = 100 * 1024;
/// Encoder qualities tried at each size, best first.
const QUALITIES: [f64; 5] = [0.92, 0.85, 0.75, 0.6, 0.45];
/// Scales tried, largest first; at 0.5 the default guide of a 640×480 frame is still 144×192 px.
const SCALES: [f64; 3] = [1.0, 0.75, 0.5];

/// Why no photo came out. Each message is Chinese and says what to do next.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaptureError {
    /// The face region is too dark, too bright or blurred.
    #[error("{}", .0.message_zh())]
    Quality(QualityIssue),
    /// The camera has no frame yet.
    #[error("摄像头画面还没准备好，请稍等一秒再拍。")]
    NotReady,
    /// Even the smallest JPEG is over 400 KB.
    #[error("照片压缩后仍超过 400 KB（{0} 字节），请重拍。")]
    TooLarge(usize),
    /// The worker closed the picker without taking a photo.
    #[error("没有拍到照片，请再点一次“拍照上传”。")]
    Cancelled,
    /// The browser failed, with its message.
    #[error("拍照失败（{0}），请重试。")]
    Browser(String),
}

impl CaptureError {
    /// A browser failure from a thrown JS value.
    pub fn browser(error: JsValue) -> Self {
        let text = Reflect::get(&error, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .or_else(|| error.as_string())
            .unwrap_or_else(|| "unknown".into());
        CaptureError::Browser(text)
    }
}

/// A JPEG from the browser's encoder.
#[derive(Debug, Clone, PartialEq)]
pub struct Jpeg {
    /// Base64, no `data:` prefix (as the record's `img`).
    pub base64: String,
    /// The JPEG's bytes.
    pub bytes: Vec<u8>,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
}

/// A canvas with its 2-D context.
#[derive(Debug, Clone)]
pub struct Canvas {
    element: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
}

impl Canvas {
    /// A detached canvas; `read_often` asks for a CPU-backed one (fast `getImageData`).
    pub fn new(read_often: bool) -> Result<Self, CaptureError> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(|| CaptureError::Browser("no document".into()))?;
        let element: HtmlCanvasElement = document
            .create_element("canvas")
            .map_err(CaptureError::browser)?
            .unchecked_into();
        let options = Object::new();
        let _ = Reflect::set(&options, &"willReadFrequently".into(), &read_often.into());
        let context = element
            .get_context_with_context_options("2d", &options)
            .map_err(CaptureError::browser)?
            .ok_or_else(|| CaptureError::Browser("no 2d context".into()))?
            .unchecked_into();
        Ok(Self { element, context })
    }

    /// The canvas element.
    pub fn element(&self) -> &HtmlCanvasElement {
        &self.element
    }

    /// The 2-D context.
    pub fn context(&self) -> &CanvasRenderingContext2d {
        &self.context
    }

    /// Pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.element.width(), self.element.height())
    }

    /// Resizes the canvas if needed (which clears it).
    pub fn resize(&self, width: u32, height: u32) {
        if self.size() != (width, height) {
            self.element.set_width(width);
            self.element.set_height(height);
        }
    }

    /// Draws `source` (a video, image or canvas) scaled to fill a `width × height` canvas.
    pub fn draw(&self, source: &JsValue, width: u32, height: u32) -> Result<(), CaptureError> {
        self.resize(width, height);
        let (w, h) = (f64::from(width), f64::from(height));
        let drawn = if let Some(video) = source.dyn_ref::<HtmlVideoElement>() {
            self.context
                .draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w, h)
        } else if let Some(canvas) = source.dyn_ref::<HtmlCanvasElement>() {
            self.context
                .draw_image_with_html_canvas_element_and_dw_and_dh(canvas, 0.0, 0.0, w, h)
        } else {
            self.context
                .draw_image_with_html_image_element_and_dw_and_dh(
                    source.unchecked_ref(),
                    0.0,
                    0.0,
                    w,
                    h,
                )
        };
        drawn.map_err(CaptureError::browser)
    }

    /// Draws the `width × height` region of `source` at (`x`, `y`) onto the whole canvas,
    /// resized to the region's size.
    pub fn draw_region(
        &self,
        source: &Canvas,
        (x, y, width, height): (u32, u32, u32, u32),
    ) -> Result<(), CaptureError> {
        self.resize(width, height);
        let (x, y, w, h) = (
            f64::from(x),
            f64::from(y),
            f64::from(width),
            f64::from(height),
        );
        self.context
            .draw_image_with_html_canvas_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                &source.element,
                x,
                y,
                w,
                h,
                0.0,
                0.0,
                w,
                h,
            )
            .map_err(CaptureError::browser)
    }

    /// Copies the canvas's RGBA pixels into `rgba` (resized as needed, so reused buffers do not
    /// allocate).
    pub fn read_rgba(&self, rgba: &mut Vec<u8>) -> Result<(), CaptureError> {
        let (width, height) = self.size();
        let image = self
            .context
            .get_image_data(0.0, 0.0, f64::from(width), f64::from(height))
            .map_err(CaptureError::browser)?;
        let data: Uint8ClampedArray = Reflect::get(&image, &"data".into())
            .map_err(CaptureError::browser)?
            .unchecked_into();
        rgba.resize(data.length() as usize, 0);
        data.copy_to(rgba);
        Ok(())
    }

    /// The canvas as one JPEG at `quality` (0..=1).
    pub fn jpeg(&self, quality: f64) -> Result<Jpeg, CaptureError> {
        let url = self
            .element
            .to_data_url_with_type_and_encoder_options("image/jpeg", &quality.into())
            .map_err(CaptureError::browser)?;
        let base64 = url
            .strip_prefix("data:image/jpeg;base64,")
            .ok_or_else(|| CaptureError::Browser("the browser cannot encode JPEG".into()))?
            .to_owned();
        let bytes = BASE64
            .decode(&base64)
            .map_err(|e| CaptureError::Browser(e.to_string()))?;
        let (width, height) = self.size();
        Ok(Jpeg {
            base64,
            bytes,
            width,
            height,
        })
    }
}

/// The photo of `source` (a canvas holding the frame): the first JPEG of at most 100 KB, trying
/// qualities 0.92 down to 0.45 at full size, then at 75 % and 50 % (scales below `min_scale`
/// are not tried: they would shrink the face under 128 px); if none is that small, the
/// smallest under 400 KB.
pub(crate) fn encode_photo(source: &Canvas, min_scale: f64) -> Result<Jpeg, CaptureError> {
    let (width, height) = source.size();
    let scratch = Canvas::new(false)?;
    let mut smallest: Option<Jpeg> = None;
    for scale in SCALES {
        if scale < min_scale && scale != 1.0 {
            break;
        }
        let canvas = if scale == 1.0 {
            source
        } else {
            let (w, h) = (f64::from(width) * scale, f64::from(height) * scale);
            scratch.draw(source.element(), w.round() as u32, h.round() as u32)?;
            &scratch
        };
        for quality in QUALITIES {
            let jpeg = canvas.jpeg(quality)?;
            if jpeg.bytes.len() <= AIM_JPEG_BYTES {
                return Ok(jpeg);
            }
            if smallest
                .as_ref()
                .is_none_or(|s| jpeg.bytes.len() < s.bytes.len())
            {
                smallest = Some(jpeg);
            }
        }
    }
    match smallest {
        Some(jpeg) if jpeg.bytes.len() < MAX_JPEG_BYTES => Ok(jpeg),
        Some(jpeg) => Err(CaptureError::TooLarge(jpeg.bytes.len())),
        None => Err(CaptureError::Browser("no JPEG".into())),
    }
}

/// A small evidence frame of `source`: `width` pixels wide, JPEG quality 0.6 (4–8 KB).
pub(crate) fn thumbnail(
    source: &Canvas,
    scratch: &Canvas,
    width: u32,
) -> Result<Jpeg, CaptureError> {
    let (w, h) = source.size();
    if w == 0 {
        return Err(CaptureError::NotReady);
    }
    let height = (u64::from(h) * u64::from(width) / u64::from(w)).max(1) as u32;
    scratch.draw(source.element(), width, height)?;
    scratch.jpeg(0.6)
}
