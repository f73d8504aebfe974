//! The face detector's JS API: `detectFaces(image)`, `loadFaceDetector()` for the camera step
//! (which waits for it before a challenge), and `faceDetectorFiles()` for the page's prefetch.
//! The detector itself is a separate module loaded on first use (`face_module`).

use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::ImageData;

use super::face_module;
use super::js_values::to_js;

/// The faces in `image` (an `ImageData`), after non-maximum suppression, best first, only
/// those scoring at least 0.5: `[{x, y, width, height, score, keypoints: [{name, x, y}]}]` in
/// the image's pixels (`x, y` the box's top-left corner; keypoints in MediaPipe's order
/// `rightEye`, `leftEye`, `noseTip`, `mouthCenter`, `rightEarTragion`, `leftEarTragion`, the
/// subject's sides). Loads the detector on the first call (`face-simd.wasm` or
/// `face-scalar.wasm` and the model, beside this module). Rejects with an `Error` with a
/// Chinese `message` and `code` `detectorUnavailable`, `badImage` or `detectorFailed`.
#[wasm_bindgen(js_name = detectFaces, unchecked_return_type = "Face[]")]
pub async fn detect_faces(image: ImageData) -> Result<JsValue, JsValue> {
    let module = face_module::shared().await?;
    let faces = module.borrow_mut().detect_image_data(&image)?;
    Ok(to_js(&faces))
}

/// Loads the face detector now (resolves at once when it is loaded). The camera step awaits
/// it before a challenge, so that the challenge and `capturePhoto` use it; when it rejects
/// (`code: "detectorUnavailable"`: offline before it was ever kept) the challenge falls back to
/// the guide oval and its verdict says `method: "region"`.
#[wasm_bindgen(js_name = loadFaceDetector)]
pub async fn load_face_detector() -> Result<(), JsValue> {
    face_module::shared().await?;
    Ok(())
}

/// The URLs of the files the detector loads in this browser (its SIMD or scalar module, the
/// model, and the face mesh a blink loads), for the page to keep for offline use once it is
/// usable.
#[wasm_bindgen(js_name = faceDetectorFiles, unchecked_return_type = "string[]")]
pub fn face_detector_files() -> Array {
    face_module::files().iter().map(JsValue::from).collect()
}
