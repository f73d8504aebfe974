// A fake front camera for the end-to-end tests, injected before the page's scripts
// (page.addInitScript, with ZJ_CAMERA_MODE and ZJ_FAKE_FACE defined first by harness.mjs).
// getUserMedia({video}) answers with a 640×480 canvas stream of a real face photo: scikit-image's
// astronaut (testdata/faces/astronaut.png), placed, with its eyes edited closed, by the
// real-photo liveness tests' scene (crates/phone/examples/fake_camera_y4m.rs writes the two
// frames and the head's geometry; ZJ_FAKE_FACE = {open, closed: PNG data URLs, geometry}).
// No registry package holds real blink or head-turn video, so the head is turned and nodded
// here as that scene does it: the face mapped onto an ellipsoid with a protruding nose and
// rotated. The modes:
//   "live":  a person in front of the phone. The head is lit by whatever the page paints on its
//            camera stage (#stage's computed background colour, read every frame: the flash
//            colours reach the face only if the page really shows them), the wall behind far
//            less; and it does what the prompt on screen asks (#prompt's data-kind): blinks
//            (the eyes closed for 150 ms), turns left or right (30°), nods (25°).
//   "replay": a video of the face that blinks and moves as asked but is not lit by this screen
//            (the flash colours never reach it).
//   "denied": the worker refused the camera (getUserMedia rejects with NotAllowedError);
//            window.zjFakeFaceJpeg() resolves to a JPEG of the face (a data URL) for the page's
//            file input.
//   "spoof": a still photo held up to the camera: the same frame with sensor noise only; it
//            neither responds to the screen's light nor moves.
/* global ZJ_CAMERA_MODE, ZJ_FAKE_FACE */
(() => {
  const geometry = ZJ_FAKE_FACE.geometry;
  const W = geometry.width;
  const H = geometry.height;
  const [CX, CY] = geometry.centre;
  const [HEAD_X, HEAD_Y] = geometry.head;
  /** Share of the screen's light the near head receives (a channel at 255 adds 30 %)… */
  const NEAR_LIGHT = 0.3;
  /** …and the wall a metre behind. */
  const FAR_LIGHT = 0.02;
  /** Sensor noise, grey levels either way. */
  const NOISE = 2;

  /** The two frames' RGBA pixels, the head's depth and the head's outline, once loaded. */
  let scene = null;

  async function pixelsOf(url) {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(image, 0, 0, W, H);
    return context.getImageData(0, 0, W, H).data;
  }

  /**
   * How far each point of the unturned head stands out towards the camera, pixels: an
   * ellipsoid over the head (its depth the width's semi-axis) and a nose standing out by
   * 1.6 half eye spans at its tip; 0 off the head (photo_scene.rs's head_depth).
   */
  function headDepth() {
    const depth = new Float32Array(W * H);
    const [nx, ny] = geometry.nose;
    const span = geometry.halfSpan;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const u = (x - CX) / HEAD_X;
        const v = (y - CY) / HEAD_Y;
        const inside = 1 - u * u - v * v;
        if (inside <= 0) continue;
        const gx = (x - nx) / span;
        const gy = (y - ny) / span;
        const nose = 1.6 * span * Math.exp(-(gx * gx + gy * gy) / (2 * 0.45 * 0.45));
        depth[y * W + x] = HEAD_X * Math.sqrt(inside) + nose;
      }
    }
    return depth;
  }

  function load() {
    scene ??= (async () => {
      const [open, closed] = await Promise.all([pixelsOf(ZJ_FAKE_FACE.open), pixelsOf(ZJ_FAKE_FACE.closed)]);
      const near = new Uint8Array(W * H);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const u = (x - CX) / HEAD_X;
          const v = (y - CY) / HEAD_Y;
          near[y * W + x] = u * u + v * v <= 1 ? 1 : 0;
        }
      }
      // Twice the frame, so that a frame's noise is a window at any offset.
      const noise = Int8Array.from({ length: 2 * W * H }, () => Math.round((Math.random() * 2 - 1) * NOISE));
      return { open, closed, near, noise, depth: headDepth() };
    })();
    return scene;
  }

  /** A plain wall with a faint texture (photo_scene.rs's wall), where the turned head uncovers it. */
  function wall(x, y) {
    const v = Math.sin(x * 12.9898 + y * 78.233) * 43_758.547;
    return (v - Math.trunc(v)) * 6;
  }

  /**
   * Renders the head turned by `pose.yaw` degrees (+: the nose towards the frame's +x) and
   * bowed by `pose.pitch` (+: the nose down), the eyes closed when `pose.eyesClosed`, lit by
   * `screen` ([r, g, b] 0..=255), with this frame's noise `seed`, into `out` (RGBA).
   */
  function render(s, out, pose, screen, seed) {
    const source = pose.eyesClosed ? s.closed : s.open;
    const turned = pose.yaw !== 0 || pose.pitch !== 0;
    const yaw = (pose.yaw * Math.PI) / 180;
    const pitch = (pose.pitch * Math.PI) / 180;
    const [sinY, cosY, sinP, cosP] = [Math.sin(yaw), Math.cos(yaw), Math.sin(pitch), Math.cos(pitch)];
    const near = screen.map((c) => 1 + (NEAR_LIGHT * c) / 255);
    const far = screen.map((c) => 1 + (FAR_LIGHT * c) / 255);
    const shift = (seed * 7919) % (W * H);
    const { depth, noise } = s;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        let sx = x;
        let sy = y;
        if (turned) {
          // The unturned point that lands here: a few fixed-point steps, since the depth
          // depends on where the point was.
          for (let k = 0; k < 4; k++) {
            const inFrame = sx >= 0 && sy >= 0 && sx < W && sy < H;
            const z = inFrame ? depth[(sy | 0) * W + (sx | 0)] : 0;
            sx = CX + (x - CX - z * sinY) / cosY;
            sy = CY + (y - CY - z * sinP) / cosP;
          }
        }
        const inside = sx >= 0 && sy >= 0 && sx < W && sy < H;
        const p = i * 4;
        const light = inside && s.near[i] ? near : far;
        const n = noise[i + shift];
        if (inside) {
          const q = ((sy | 0) * W + (sx | 0)) * 4;
          out[p] = source[q] * light[0] + n;
          out[p + 1] = source[q + 1] * light[1] + n;
          out[p + 2] = source[q + 2] * light[2] + n;
        } else {
          const grain = wall(x, y);
          out[p] = (118 + grain) * light[0] + n;
          out[p + 1] = (112 + grain) * light[1] + n;
          out[p + 2] = (104 + grain) * light[2] + n;
        }
        out[p + 3] = 255;
      }
    }
  }

  /** The screen's colour as it lights the face: the stage's background while it is shown. */
  function screenLight() {
    const stage = document.getElementById("stage");
    if (!stage || stage.hidden) return [0, 0, 0];
    const match = getComputedStyle(stage).backgroundColor.match(/\d+(\.\d+)?/g);
    return match ? match.slice(0, 3).map(Number) : [0, 0, 0];
  }

  let kindShown = "";
  let kindSince = 0;

  /** 0 → 1 over 400 ms, smoothly. */
  const ramp = (ms) => {
    const u = Math.min(Math.max(ms / 400, 0), 1);
    return u * u * (3 - 2 * u);
  };

  /**
   * The head's pose, doing what the prompt on screen asks like a person would: starting 0.4 s
   * after the prompt appears, a turn or nod of 0.4 s, held 0.2 s, back in 0.4 s, then 0.6 s at
   * rest (or a blink of 150 ms every 0.9 s), again until the prompt changes.
   */
  function pose(tMs) {
    const kind = document.getElementById("prompt")?.dataset.kind ?? "";
    if (kind !== kindShown) {
      kindShown = kind;
      kindSince = tMs;
    }
    const since = tMs - kindSince - 400;
    const phase = since < 0 ? 1600 : since % 1600;
    const amount = ramp(phase) - ramp(phase - 600);
    return {
      yaw: kind === "turnLeft" ? 30 * amount : kind === "turnRight" ? -30 * amount : 0,
      pitch: kind === "nod" ? 25 * amount : 0,
      eyesClosed: kind === "blink" && since >= 0 && since % 900 < 150,
    };
  }

  const STILL = { yaw: 0, pitch: 0, eyesClosed: false };
  const DARK = [0, 0, 0];

  async function fakeStream() {
    const s = await load();
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const context = canvas.getContext("2d");
    const image = context.createImageData(W, H);
    const start = performance.now();
    let seed = 0;
    const draw = () => {
      const t = performance.now() - start;
      if (ZJ_CAMERA_MODE === "live") render(s, image.data, pose(t), screenLight(), ++seed);
      else if (ZJ_CAMERA_MODE === "replay") render(s, image.data, pose(t), DARK, ++seed);
      else render(s, image.data, STILL, DARK, ++seed);
      context.putImageData(image, 0, 0);
    };
    draw();
    const timer = setInterval(draw, 33);
    const stream = canvas.captureStream(30);
    for (const track of stream.getVideoTracks()) {
      const stop = track.stop.bind(track);
      track.stop = () => {
        clearInterval(timer);
        stop();
      };
    }
    return stream;
  }

  /** A JPEG of the face (a data URL, resolved), for tests that hand the page a photo file. */
  window.zjFakeFaceJpeg = async () => {
    const s = await load();
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const context = canvas.getContext("2d");
    const image = context.createImageData(W, H);
    render(s, image.data, STILL, DARK, 1);
    context.putImageData(image, 0, 0);
    return canvas.toDataURL("image/jpeg", 0.92);
  };

  const devices = navigator.mediaDevices;
  if (!devices) return;
  const original = devices.getUserMedia?.bind(devices);
  devices.getUserMedia = async (constraints) => {
    if (!constraints?.video) return original(constraints);
    if (ZJ_CAMERA_MODE === "denied") throw new DOMException("Permission denied", "NotAllowedError");
    return fakeStream();
  };
})();
