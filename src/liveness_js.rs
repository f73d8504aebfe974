//! The liveness JS API of the phone module, for the clock-in page:
//!
//! 1. `await LivenessCamera.start(video)` (the camera's API is in `camera_js`): the front camera
//!    into the page's `<video>` (throws an `Error` with a Chinese `message`, a `code`, and
//!    `fallback: true` when the page should offer `capturePhotoFallback()` instead).
//! 2. `new LivenessSession(nonce)`: the challenge for the relay's nonce (`POST /v1/challenge`),
//!    or for a local one when `nonce` is undefined (the evidence then says
//!    `"nonceSource": "local"`). `session.prompts()` lists the steps with their Chinese text
//!    and flash colours; `livenessGuide()` is the oval to draw over the preview.
//! 3. On each animation frame: paint `session.screenColour(now)` (when not `undefined`) over the
//!    page, then `session.analyseFrame(camera, now)` with `now = performance.now()`; show
//!    `progress.prompt.textZh` (speaking it with `speechSynthesis` is left to the page), the
//!    quality message, and each finished check's `adviceZh` when it failed. Retry = a new
//!    session (with a new nonce).
//! 4. When `progress.done`: `capturePhoto(camera)`; the record's `img` is `photo.jpegBase64`
//!    and its extra member `liveness` is `JSON.parse(session.evidenceJson(photo))` (the relay
//!    keeps it in its audit log and forwards only the §7 members).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::camera_capture::{thumbnail, Canvas};
use super::camera_js::{CapturedPhoto, LivenessCamera};
use super::face_module::{self, SharedFaces};
use super::js_values::{thrown, to_js};
use zj_phone::liveness::{
    CaptureSource, Challenge, ChallengeRun, CheckResult, Evidence, EvidenceFrame, Frame, Guide,
    Nonce, NonceSource, Outcome, Progress, Prompt, QualityLimits,
};

/// Evidence frames kept per session.
const EVIDENCE_FRAMES: usize = 3;
/// Width of an evidence frame, pixels.
const EVIDENCE_WIDTH: u32 = 160;

/// The face guide oval the page draws over the preview: `{centreX, centreY, radiusX, radiusY}`,
/// the centre as fractions of the video's width and height, the radii as fractions of its
/// shorter side (in the video's own, unmirrored pixels).
#[wasm_bindgen(
    js_name = livenessGuide,
    unchecked_return_type = "{ centreX: number; centreY: number; radiusX: number; radiusY: number }"
)]
pub fn liveness_guide() -> JsValue {
    to_js(&Guide::default())
}

/// A prompt as the page shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PromptView<'a> {
    kind: zj_phone::liveness::CheckKind,
    text_zh: &'static str,
    time_limit_ms: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    colours: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step_ms: Option<&'a u32>,
}

/// A finished check as the page shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FinishedView<'a> {
    #[serde(flatten)]
    check: &'a CheckResult,
    advice_zh: Option<&'static str>,
}

/// A quality problem as the page shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QualityView {
    issue: &'static str,
    message_zh: &'static str,
}

/// One frame's progress as the page shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgressView<'a> {
    step: usize,
    steps: usize,
    done: bool,
    prompt: Option<PromptView<'a>>,
    quality: Option<QualityView>,
    finished: Option<FinishedView<'a>>,
}

fn prompt_view(step: &zj_phone::liveness::Step) -> PromptView<'_> {
    let (colours, step_ms) = match &step.prompt {
        Prompt::Flash { colours, step_ms } => {
            (colours.iter().map(|c| c.css()).collect(), Some(step_ms))
        }
        _ => (Vec::new(), None),
    };
    PromptView {
        kind: zj_phone::liveness::CheckKind::of(&step.prompt),
        text_zh: step.prompt.text_zh(),
        time_limit_ms: step.time_limit_ms,
        colours,
        step_ms,
    }
}

/// One liveness challenge, run frame by frame.
#[wasm_bindgen]
pub struct LivenessSession {
    run: ChallengeRun,
    /// Whether the face detector finds the face (else the guide oval is analysed).
    detector: bool,
    frames: Vec<EvidenceFrame>,
    thumbnails: Option<Canvas>,
}

#[wasm_bindgen]
impl LivenessSession {
    /// A session for `nonce` (the relay's, from `POST /v1/challenge`), or for a local nonce from
    /// `crypto.getRandomValues` when `nonce` is undefined or null. Throws on a malformed nonce.
    /// Uses the face detector when it is loaded (await `loadFaceDetector()` first); without it
    /// the checks fall back to the guide oval (`faceDetector` false) and the verdict says so.
    #[wasm_bindgen(constructor)]
    pub fn new(nonce: Option<String>) -> Result<LivenessSession, JsValue> {
        let (nonce, source) = match nonce {
            Some(text) => (
                Nonce::new(&text).map_err(|e| thrown(&e.to_string(), "badNonce", false))?,
                NonceSource::Relay,
            ),
            None => (Nonce::local(random_bytes()?), NonceSource::Local),
        };
        let challenge = Challenge::plan(nonce, source);
        let mut run = ChallengeRun::new(challenge, Guide::default(), QualityLimits::default());
        let detector = face_module::loaded();
        let uses_detector = detector.is_some();
        if let Some(module) = detector {
            module.borrow_mut().retry_landmarks();
            run.set_face_source(Box::new(SharedFaces(module)));
        }
        Ok(Self {
            run,
            detector: uses_detector,
            frames: Vec::with_capacity(EVIDENCE_FRAMES),
            thumbnails: None,
        })
    }

    /// The nonce the challenge was drawn from.
    #[wasm_bindgen(getter)]
    pub fn nonce(&self) -> String {
        self.run.challenge().nonce.as_str().to_owned()
    }

    /// `relay` or `local`.
    #[wasm_bindgen(getter, js_name = nonceSource)]
    pub fn nonce_source(&self) -> String {
        to_js(&self.run.challenge().nonce_source)
            .as_string()
            .unwrap_or_default()
    }

    /// The steps in order: `[{kind, textZh, timeLimitMs, colours?, stepMs?}]`; `kind` is
    /// `flash`, `blink`, `turnLeft`, `turnRight` or `nod`; a flash lists its CSS colours, each
    /// shown `stepMs` milliseconds.
    pub fn prompts(&self) -> JsValue {
        let views: Vec<PromptView<'_>> =
            self.run.challenge().steps.iter().map(prompt_view).collect();
        to_js(&views)
    }

    /// The CSS colour to paint over the page at `nowMs` (same clock as `analyseFrame`), or
    /// `undefined` outside a flash.
    #[wasm_bindgen(js_name = screenColour)]
    pub fn screen_colour(&self, now_ms: f64) -> Option<String> {
        self.run.screen_colour(now_ms).map(|c| c.css())
    }

    /// Whether the face detector finds the face in each frame (false: it was not loaded, and
    /// the checks analyse the guide oval, `method: "region"`).
    #[wasm_bindgen(getter, js_name = faceDetector)]
    pub fn face_detector(&self) -> bool {
        self.detector
    }

    /// Analyses the camera's current frame at `nowMs` (`performance.now()`), keeping up to three
    /// small evidence frames. Returns `{step, steps, done, prompt: {kind, textZh, …} | null,
    /// quality: {issue, messageZh} | null, finished: {kind, outcome, score, passScore, method,
    /// frames, adviceZh} | null}`.
    #[wasm_bindgen(js_name = analyseFrame)]
    pub fn analyse_frame(
        &mut self,
        camera: &mut LivenessCamera,
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let (width, height) = camera.grab()?;
        let frame = Frame::new(width, height, &camera.rgba)
            .map_err(|e| thrown(&e.to_string(), "badFrame", false))?;
        let progress = self.run.push_frame(&frame, now_ms);
        if progress.snapshot && self.frames.len() < EVIDENCE_FRAMES {
            let scratch = match self.thumbnails.take() {
                Some(canvas) => canvas,
                None => Canvas::new(false)?,
            };
            let jpeg = thumbnail(&camera.frame, &scratch, EVIDENCE_WIDTH)?;
            self.thumbnails = Some(scratch);
            self.frames.push(EvidenceFrame {
                t_ms: now_ms,
                width: jpeg.width,
                height: jpeg.height,
                jpeg: jpeg.base64,
            });
        }
        Ok(self.progress_view(&progress))
    }

    /// Analyses an RGBA frame the page read itself (`ImageData.data`, `width × height × 4`
    /// bytes) at `nowMs`; as `analyseFrame`, but no evidence frames are kept.
    #[wasm_bindgen(js_name = analyseRgba)]
    pub fn analyse_rgba(
        &mut self,
        width: u32,
        height: u32,
        rgba: &[u8],
        #[wasm_bindgen(js_name = nowMs)] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let frame = Frame::new(width, height, rgba)
            .map_err(|e| thrown(&e.to_string(), "badFrame", false))?;
        let progress = self.run.push_frame(&frame, now_ms);
        Ok(self.progress_view(&progress))
    }

    /// The verdict so far: `{overall: "live" | "notLive" | "inconclusive", checks: [...]}`.
    pub fn verdict(&self) -> JsValue {
        to_js(&self.run.verdict())
    }

    /// The evidence JSON for the record of `photo` (the value of the param's `liveness` member):
    /// challenge, per-check scores, the small frames, the photo's SHA-256 and a hash. A photo from
    /// the fallback carries no checks (`overall: "inconclusive"`) and `lowerTrust: true`.
    #[wasm_bindgen(js_name = evidenceJson)]
    pub fn evidence_json(&self, photo: &CapturedPhoto) -> Result<String, JsValue> {
        let (verdict, frames) = if photo.source == CaptureSource::Camera {
            (self.run.verdict(), self.frames.clone())
        } else {
            (zj_phone::liveness::Verdict::new(Vec::new(), 0), Vec::new())
        };
        Evidence::new(
            self.run.challenge().clone(),
            verdict,
            photo.source,
            &photo.jpeg.bytes,
            frames,
        )
        .map(|evidence| evidence.to_json())
        .map_err(|e| thrown(&e.to_string(), "badEvidence", false))
    }

    fn progress_view(&self, progress: &Progress) -> JsValue {
        let finished = progress.finished.as_ref().map(|check| FinishedView {
            check,
            advice_zh: (check.outcome != Outcome::Passed).then(|| check.advice_zh()),
        });
        to_js(&ProgressView {
            step: progress.step,
            steps: progress.steps,
            done: progress.done,
            prompt: self.run.current_step().map(prompt_view),
            quality: progress.quality.map(|q| QualityView {
                issue: q.code(),
                message_zh: q.message_zh(),
            }),
            finished,
        })
    }
}

/// 16 bytes from `crypto.getRandomValues`.
fn random_bytes() -> Result<[u8; 16], JsValue> {
    let mut bytes = [0u8; 16];
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .ok_or_else(|| {
            thrown(
                "此浏览器没有安全随机数（crypto），请更换浏览器。",
                "noCrypto",
                false,
            )
        })?
        .get_random_values_with_u8_array(&mut bytes)?;
    Ok(bytes)
}
