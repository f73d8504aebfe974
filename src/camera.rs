//! The front camera through `getUserMedia`, shown in a `<video>` element. Tracks are stopped and
//! the element detached when the [`Camera`] is dropped.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamConstraints, MediaStreamTrack};

/// Why the camera did not start. Each message is Chinese and says what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CameraError {
    /// No `navigator.mediaDevices.getUserMedia` (an old WebView, or a page not served over https).
    #[error("此浏览器不能在网页中使用摄像头（页面需要 https）。请改用“拍照上传”。")]
    Unsupported,
    /// The worker or the browser refused permission (`NotAllowedError`, `SecurityError`).
    #[error("没有摄像头权限。请在浏览器或微信的设置里允许本页面使用摄像头，然后点“重试”；也可改用“拍照上传”。")]
    Denied,
    /// No front camera (`NotFoundError`, `OverconstrainedError`).
    #[error("没有找到可用的前置摄像头。请改用“拍照上传”。")]
    NotFound,
    /// The camera is busy (`NotReadableError`, `AbortError`).
    #[error("摄像头正被其他应用使用。请关闭其他使用摄像头的应用后点“重试”。")]
    InUse,
    /// The video did not start playing.
    #[error("摄像头画面无法播放。请点一下屏幕后重试；仍不行请改用“拍照上传”。")]
    NotPlaying,
    /// Anything else, with the browser's error name.
    #[error("摄像头启动失败（{0}）。请重试，或改用“拍照上传”。")]
    Other(String),
}

impl CameraError {
    /// The error for a `getUserMedia` rejection, by the DOMException's name.
    pub fn from_rejection(error: &JsValue) -> Self {
        let name = Reflect::get(error, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => CameraError::Denied,
            "NotFoundError" | "OverconstrainedError" | "DevicesNotFoundError" => {
                CameraError::NotFound
            }
            "NotReadableError" | "AbortError" | "TrackStartError" => CameraError::InUse,
            _ => CameraError::Other(name),
        }
    }

    /// Whether a fallback (WeChat or a file input) is the way on.
    pub fn wants_fallback(&self) -> bool {
        matches!(
            self,
            CameraError::Unsupported | CameraError::Denied | CameraError::NotFound
        )
    }
}

/// A running front camera shown in a `<video>` element.
#[derive(Debug)]
pub(crate) struct Camera {
    video: HtmlVideoElement,
    stream: MediaStream,
}

/// Asked-for capture size, pixels: enough for the face (≥ 128 px) and cheap to analyse.
const IDEAL_SIZE: (u32, u32) = (640, 480);

impl Camera {
    /// Opens the front camera (`facingMode: "user"`, ideally 640×480, no audio) into `video`,
    /// marks it `playsinline` and muted, and calls `play()` (WeChat on iOS shows nothing
    /// without it). On failure nothing is left running.
    pub(crate) async fn start(video: HtmlVideoElement) -> Result<Self, CameraError> {
        let devices = web_sys::window()
            .and_then(|w| w.navigator().media_devices().ok())
            .filter(|d| Reflect::get(d, &"getUserMedia".into()).is_ok_and(|f| f.is_function()))
            .ok_or(CameraError::Unsupported)?;
        let constraints = MediaStreamConstraints::new();
        constraints.set_audio(&JsValue::FALSE);
        constraints.set_video(&video_constraints());
        let promise = devices
            .get_user_media_with_constraints(&constraints)
            .map_err(|e| CameraError::from_rejection(&e))?;
        let stream: MediaStream = JsFuture::from(promise)
            .await
            .map_err(|e| CameraError::from_rejection(&e))?
            .unchecked_into();
        // From here on, Drop stops the tracks whatever happens.
        let camera = Self { video, stream };
        let _ = camera.video.set_attribute("playsinline", "");
        let _ = camera.video.set_attribute("webkit-playsinline", "");
        camera.video.set_muted(true);
        camera.video.set_src_object(Some(&camera.stream));
        let playing = camera.video.play().map_err(|_| CameraError::NotPlaying)?;
        JsFuture::from(playing)
            .await
            .map_err(|_| CameraError::NotPlaying)?;
        Ok(camera)
    }

    /// The element showing the preview.
    pub(crate) fn video(&self) -> &HtmlVideoElement {
        &self.video
    }

    /// The camera's stream.
    pub(crate) fn stream(&self) -> &MediaStream {
        &self.stream
    }

    /// The video's size in pixels (0×0 before the first frame).
    pub(crate) fn size(&self) -> (u32, u32) {
        (self.video.video_width(), self.video.video_height())
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        for track in self.stream.get_tracks().iter() {
            track.unchecked_into::<MediaStreamTrack>().stop();
        }
        self.video.set_src_object(None);
    }
}

/// `{facingMode: "user", width: {ideal: 640}, height: {ideal: 480}}`.
fn video_constraints() -> JsValue {
    let ideal = |value: u32| {
        let object = Object::new();
        let _ = Reflect::set(&object, &"ideal".into(), &value.into());
        object
    };
    let video = Object::new();
    let _ = Reflect::set(&video, &"facingMode".into(), &"user".into());
    let _ = Reflect::set(&video, &"width".into(), &ideal(IDEAL_SIZE.0));
    let _ = Reflect::set(&video, &"height".into(), &ideal(IDEAL_SIZE.1));
    video.into()
}
