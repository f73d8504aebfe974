// The full-screen camera stage of the clock-in page: the front camera in the face oval, the
// liveness prompts (shown, and spoken when the phone can speak), and the flash colours painted
// over the whole screen. Built on LivenessCamera and LivenessSession of the phone module.

import {
  LivenessCamera,
  LivenessSession,
  capturePhoto,
  livenessGuide,
  loadFaceDetector,
} from "/pkg/zj_attendance.js";
import { lang, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
/** How long the photo is tried on new frames while the face does not meet its rules, ms. */
const CAPTURE_TRY_MS = 2_000;
/** The capturePhoto refusals that the next frames may cure (the worker moves). */
const PHOTO_RULES = new Set([
  "noFace",
  "secondFace",
  "faceTooSmall",
  "notFrontal",
  "faceTooSmallInPhoto",
  "tooDark",
  "tooBright",
  "blurred",
]);

/** Says `text` aloud in the page's language when the browser can (WeChat's web-view may not). */
function speak(text) {
  if (!("speechSynthesis" in window)) return;
  speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = lang() === "zh" ? "zh-CN" : "en-US";
  speechSynthesis.speak(utterance);
}

/** The camera stage; `open()`, then `challenge()` as often as the worker retries, then `close()`. */
export class LivenessStage {
  constructor() {
    this.stage = $("stage");
    this.video = $("video");
    this.prompt = $("prompt");
    this.quality = $("quality");
    this.step = $("step");
    this.retryButton = $("retry-liveness");
    this.camera = null;
    this.frame = 0;
    this.cancelled = null;
    $("cancel").addEventListener("click", () => this.cancelled?.());
  }

  /**
   * Shows the stage, starts the front camera and loads the face detector (kept after the
   * first visit; without it the challenge falls back to the oval and says so); throws the
   * camera's error (with `fallback`).
   */
  async open() {
    this.stage.hidden = false;
    this.retryButton.hidden = true;
    this.say(t("cameraStarting"), null);
    const detector = loadFaceDetector().then(
      () => true,
      () => false,
    );
    try {
      this.camera = await LivenessCamera.start(this.video);
    } catch (error) {
      this.close();
      throw error;
    }
    this.placeOval();
    this.say(t("detectorLoading"), null);
    if (!(await detector)) {
      this.say(t("detectorFallback"), null);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }

  /** Draws the module's face guide over the preview, which keeps the video's aspect ratio. */
  placeOval() {
    const { width, height } = this.camera;
    const guide = livenessGuide();
    const shorter = Math.min(width, height);
    const oval = $("oval").style;
    this.video.parentElement.style.aspectRatio = `${width} / ${height}`;
    oval.left = `${(guide.centreX - (guide.radiusX * shorter) / width) * 100}%`;
    oval.top = `${(guide.centreY - (guide.radiusY * shorter) / height) * 100}%`;
    oval.width = `${((2 * guide.radiusX * shorter) / width) * 100}%`;
    oval.height = `${((2 * guide.radiusY * shorter) / height) * 100}%`;
  }

  /**
   * Runs one challenge on the relay's `nonce` (or a fresh local one when offline). Resolves to
   * `{session, verdict, advice}` when every step is over, or `null` when the worker cancels.
   */
  challenge(nonce) {
    this.retryButton.hidden = true;
    const session = new LivenessSession(nonce);
    let advice = null;
    let lastKind = null;
    return new Promise((resolve, reject) => {
      const finish = (value) => {
        cancelAnimationFrame(this.frame);
        this.stage.style.background = "";
        this.cancelled = null;
        resolve(value);
      };
      this.cancelled = () => {
        session.free();
        finish(null);
      };
      const tick = () => {
        const now = performance.now();
        this.stage.style.background = session.screenColour(now) ?? "";
        let progress;
        try {
          progress = session.analyseFrame(this.camera, now);
        } catch (error) {
          cancelAnimationFrame(this.frame);
          reject(error);
          return;
        }
        if (progress.finished?.outcome === "failed" && !advice) advice = progress.finished.adviceZh;
        if (progress.done) {
          finish({ session, verdict: session.verdict(), advice });
          return;
        }
        const kind = progress.prompt?.kind ?? null;
        if (kind !== lastKind) {
          lastKind = kind;
          this.say(t(`prompt_${kind}`), kind);
          speak(this.prompt.textContent);
        }
        this.step.textContent = t("step", { step: progress.step + 1, steps: progress.steps });
        this.quality.textContent = progress.quality?.messageZh ?? "";
        this.frame = requestAnimationFrame(tick);
      };
      this.frame = requestAnimationFrame(tick);
    });
  }

  /** Shows `text` as the prompt; `kind` is the liveness step it asks for (or null). */
  say(text, kind) {
    this.prompt.textContent = text;
    this.prompt.dataset.kind = kind ?? "";
  }

  /** Shows why the check failed and offers a retry; resolves true for retry, false for cancel. */
  offerRetry(message) {
    this.say(message, null);
    this.step.textContent = "";
    this.quality.textContent = t("livenessRetry");
    speak(message);
    this.retryButton.hidden = false;
    return new Promise((resolve) => {
      this.retryButton.onclick = () => resolve(true);
      this.cancelled = () => resolve(false);
    });
  }

  /**
   * The photo and the record's liveness evidence of a passed `session`: `{photo, evidence}`,
   * or `{refusal}` (what to do, Chinese) when for two seconds of frames the face did not meet
   * the photo's rules (one face, large enough, frontal, lit and sharp). Other errors throw.
   */
  async capture(session) {
    this.say(t("capturing"), null);
    const deadline = performance.now() + CAPTURE_TRY_MS;
    for (;;) {
      try {
        const photo = capturePhoto(this.camera);
        this.quality.textContent = "";
        return { photo, evidence: JSON.parse(session.evidenceJson(photo)) };
      } catch (error) {
        if (!PHOTO_RULES.has(error.code)) throw error;
        if (performance.now() > deadline) return { refusal: error.message };
        this.quality.textContent = error.message;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
  }

  /** Stops the camera and hides the stage. */
  close() {
    cancelAnimationFrame(this.frame);
    if ("speechSynthesis" in window) speechSynthesis.cancel();
    this.camera?.free();
    this.camera = null;
    this.stage.style.background = "";
    this.stage.hidden = true;
  }
}
