// The face-detection benchmark's page logic (driven by e2e/bench-face.mjs; served by its own
// static server, nothing from a CDN). `window.benchFace(config)` loads ONE detector in this
// page, draws each image onto a 640×480 frame (scaled to fit, centred, black bars), runs
// `warmup` untimed frames and then `frames` timed ones (cycling through the images), and
// resolves to the per-frame times and the faces found in each image, in frame pixels.
//
// A detector, once loaded, is `{ detect(frame), close() }`: `detect` resolves to
// [{x, y, width, height, score, keypoints: [{name, x, y}]}] (the zj-face JSON shape), with
// `frame` = {name, width, height, canvas, imageData}. Each detector has a loader in LOADERS.

const MIN_DETECTION_CONFIDENCE = 0.5;
const KEYPOINT_NAMES = ["rightEye", "leftEye", "noseTip", "mouthCenter", "rightEarTragion", "leftEarTragion"];

/** Loaders by detector name: (config) → Promise of a loaded detector. */
const LOADERS = {
  mediapipe: loadMediaPipe,
  ours: (config) => loadOurs(config.moduleUrl, config.build),
};

// ─── MediaPipe's own detector: npm @mediapipe/face_detection, served under /mediapipe/ ──────

/**
 * MediaPipe's FaceDetection solution, model "short". `build` "simd" or "nosimd": the solution
 * picks its wasm by instantiating a tiny SIMD module; for "nosimd" that probe is made to fail
 * (see hideWasmSimd), so it loads face_detection_solution_wasm_bin.{js,wasm} as it would in a
 * browser without wasm SIMD. `inference` "cpu" (TFLite on the wasm CPU, the figure to compare
 * with ours) or "gpu" (its default outside Apple devices: WebGL). Its image preprocessing runs
 * on WebGL either way.
 */
async function loadMediaPipe({ build, inference }) {
  if (build === "nosimd") hideWasmSimd();
  await loadScript("/mediapipe/face_detection.js");
  const solution = new window.FaceDetection({ locateFile: (file) => `/mediapipe/${file}` });
  solution.setOptions({
    model: "short",
    selfieMode: false,
    // Not in the package's index.d.ts, but one of the solution's options (InferenceCalculator).
    useCpuInference: inference === "cpu",
    // minDetectionConfidence is NOT set: in this version setting it (to anything) replaces the
    // whole TensorsToDetectionsCalculator options with just min_score_thresh, and the graph
    // aborts ("RET_CHECK failure ... options_.has_num_classes()"). The graph's own threshold is
    // 0.5 (MediaPipe's documented default), and mediaPipeFaces drops anything below 0.5 anyway.
  });
  let deliver = null;
  solution.onResults((results) => {
    const done = deliver;
    deliver = null;
    done?.(results);
  });
  await solution.initialize();
  return {
    async detect(frame) {
      const results = new Promise((resolve) => (deliver = resolve));
      await solution.send({ image: frame.canvas });
      const { detections } = await results;
      return detections
        .map((detection) => mediaPipeFace(detection, frame.width, frame.height))
        .filter((face) => face.score === null || face.score >= MIN_DETECTION_CONFIDENCE);
    },
    close: () => solution.close(),
  };
}

/** A MediaPipe detection (normalised box centre/size and 6 landmarks) in frame pixels. */
function mediaPipeFace(detection, width, height) {
  const box = detection.boundingBox;
  return {
    x: (box.xCenter - box.width / 2) * width,
    y: (box.yCenter - box.height / 2) * height,
    width: box.width * width,
    height: box.height * height,
    score: mediaPipeScore(detection),
    keypoints: detection.landmarks.map((point, i) => ({ name: KEYPOINT_NAMES[i], x: point.x * width, y: point.y * height })),
  };
}

/**
 * The detection's score. The solution returns it only under a minified property (the
 * classification list, [{index, <score>, label, displayName}]), so: the first numeric field
 * other than `index` of the first entry of the array-valued property that is not `landmarks`.
 */
function mediaPipeScore(detection) {
  for (const [key, value] of Object.entries(detection)) {
    if (key === "landmarks" || !Array.isArray(value) || !value[0]) continue;
    for (const [field, number] of Object.entries(value[0])) {
      if (field !== "index" && typeof number === "number") return number;
    }
  }
  return null;
}

/** The SIMD probe MediaPipe's loader instantiates: a function doing i32.const 0; i8x16.splat; drop. */
const MEDIAPIPE_SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11];

/** Makes WebAssembly.instantiate/validate fail on MediaPipe's SIMD probe (and only on it). */
function hideWasmSimd() {
  const isProbe = (source) => {
    const bytes = ArrayBuffer.isView(source)
      ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : null;
    return bytes !== null && bytes.length === MEDIAPIPE_SIMD_PROBE.length && MEDIAPIPE_SIMD_PROBE.every((b, i) => bytes[i] === b);
  };
  const { instantiate, validate } = WebAssembly;
  WebAssembly.instantiate = function (source, ...rest) {
    if (isProbe(source)) return Promise.reject(new WebAssembly.CompileError("SIMD hidden by the benchmark"));
    return instantiate.call(this, source, ...rest);
  };
  WebAssembly.validate = function (source, ...rest) {
    return isProbe(source) ? false : validate.call(this, source, ...rest);
  };
}

// ─── Our detector: zj-face in the phone module's detector module (pkg/face-*.wasm) ─────────
//
// `moduleUrl` is the phone module ("/pkg/zj_attendance.js"); its `detectFaces` loads the
// detector on first use, choosing face-simd.wasm when `WebAssembly.validate` accepts a SIMD
// instruction. For the "nosimd" build that test is made to fail (the phone module calls
// `validate` only for it), so the scalar build loads, as in a web-view without wasm SIMD.
async function loadOurs(moduleUrl, build) {
  if (build === "nosimd") WebAssembly.validate = () => false;
  const module = await import(moduleUrl);
  await module.default();
  await module.loadFaceDetector();
  return { detect: (frame) => module.detectFaces(frame.imageData), close() {} };
}

// ─── The benchmark ──────────────────────────────────────────────────────────────────────────

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/** Draws the image at `url` onto a width×height frame: scaled to fit, centred, black bars. */
async function makeFrame({ name, url }, width, height, withPng) {
  const image = new Image();
  image.src = url;
  await image.decode();
  const sw = image.naturalWidth;
  const sh = image.naturalHeight;
  const scale = Math.min(width / sw, height / sh);
  const dw = Math.round(sw * scale);
  const dh = Math.round(sh * scale);
  const dx = Math.floor((width - dw) / 2);
  const dy = Math.floor((height - dh) / 2);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "#000";
  context.fillRect(0, 0, width, height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(image, dx, dy, dw, dh);
  return {
    name,
    width,
    height,
    canvas,
    imageData: context.getImageData(0, 0, width, height),
    source: { width: sw, height: sh },
    // frame pixel = source pixel × scale + offset
    transform: { scaleX: dw / sw, scaleY: dh / sh, offsetX: dx, offsetY: dy },
    png: withPng ? canvas.toDataURL("image/png") : undefined,
  };
}

/** What the browser offers: WebGL (and its renderer), wasm SIMD. */
function environment() {
  const gl = document.createElement("canvas").getContext("webgl2") ?? document.createElement("canvas").getContext("webgl");
  const info = gl?.getExtension("WEBGL_debug_renderer_info");
  return {
    userAgent: navigator.userAgent,
    webgl: gl ? (gl instanceof WebGL2RenderingContext ? "webgl2" : "webgl") : null,
    webglRenderer: gl ? gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null,
    wasmSimd: WebAssembly.validate(new Uint8Array(MEDIAPIPE_SIMD_PROBE)),
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
}

const round = (value) => Math.round(value * 100) / 100;
const roundFaces = (faces) =>
  faces.map((f) => ({
    x: round(f.x),
    y: round(f.y),
    width: round(f.width),
    height: round(f.height),
    score: f.score === null ? null : Math.round(f.score * 10000) / 10000,
    keypoints: f.keypoints.map((k) => ({ name: k.name, x: round(k.x), y: round(k.y) })),
  }));

window.benchFace = async function benchFace(config) {
  const { detector, images, width = 640, height = 480, warmup = 10, frames = 50, withPngs = false } = config;
  const status = document.getElementById("status");
  const env = environment();
  const frameList = [];
  for (const image of images) frameList.push(await makeFrame(image, width, height, withPngs));

  status.textContent = `loading ${detector}`;
  const start = performance.now();
  const loaded = await LOADERS[detector](config);
  const loadMs = performance.now() - start;

  // Faces per image: the first answer, and whether every later answer was the same.
  const faces = new Map();
  // Resolves to the detection's time in ms (only the detector's call is timed).
  const run = async (frame) => {
    const t0 = performance.now();
    const detected = await loaded.detect(frame);
    const ms = performance.now() - t0;
    const found = roundFaces(detected);
    const seen = faces.get(frame.name);
    if (!seen) faces.set(frame.name, { faces: found, json: JSON.stringify(found), stable: true });
    else if (seen.json !== JSON.stringify(found)) seen.stable = false;
    return ms;
  };

  status.textContent = "warm-up";
  const firstFrameMs = await run(frameList[0]);
  for (let i = 1; i < warmup; i++) await run(frameList[i % frameList.length]);

  status.textContent = "timing";
  const times = [];
  for (let i = 0; i < frames; i++) times.push(await run(frameList[(warmup + i) % frameList.length]));
  await loaded.close?.();
  status.textContent = "done";

  return {
    env,
    loadMs,
    firstFrameMs,
    times,
    images: frameList.map((frame) => ({
      name: frame.name,
      source: frame.source,
      transform: frame.transform,
      png: frame.png,
      faces: faces.get(frame.name)?.faces ?? null,
      stable: faces.get(frame.name)?.stable ?? null,
    })),
  };
};

window.benchFaceReady = true;
