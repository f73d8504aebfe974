// A fake front camera for the end-to-end tests, injected before the page's scripts
// (page.addInitScript with ZJ_CAMERA_MODE defined first). getUserMedia({video}) answers with a
// canvas stream of a synthetic face (the liveness tests' scene: a textured oval with two eyes,
// lit by the room and by the phone's screen, with sensor noise):
//   "live":  a person in front of the phone. The face is lit by whatever the page paints on its
//            camera stage (#stage's computed background colour, read every frame: the flash
//            colours reach the face only if the page really shows them), and it does what the
//            prompt on screen asks (#prompt's data-kind): blinks, turns left or right, nods.
//   "replay": a video of a face that blinks and moves as asked but is not lit by this screen
//            (the flash colours never reach it).
//   "denied": the worker refused the camera (getUserMedia rejects with NotAllowedError);
//            window.zjFakeFaceJpeg() gives a photo of the face for the page's file input.
//   "spoof": a still photo held up to the camera: the same frame with sensor noise only; it
//            neither responds to the screen's light nor moves.
/* global ZJ_CAMERA_MODE */
(() => {
  const W = 320;
  const H = 240;
  const AMBIENT = 180;
  const SKIN = [0.85, 0.62, 0.5];
  const EYE = [0.12, 0.1, 0.1];
  const BACKGROUND = [0.3, 0.33, 0.36];
  const hash = (x, seed) => {
    let h = Math.imul(x, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    h = Math.imul(h, 0x297a2d39);
    return (h ^ (h >>> 15)) >>> 0;
  };
  const signed = (h) => (h & 0xff) / 127.5 - 1;
  const table = (seed, amount, offset) =>
    Float32Array.from({ length: W * H }, (_, i) => offset + amount * signed(hash(i, seed)));
  const skin = table(7, 0.12, 1);
  const background = table(11, 0.1, 1);
  const noise = table(13, 2, 0);

  /** The screen's colour as it lights the face: the stage's background while it is shown. */
  function screenLight() {
    const stage = document.getElementById("stage");
    if (!stage || stage.hidden) return [0, 0, 0];
    const match = getComputedStyle(stage).backgroundColor.match(/\d+(\.\d+)?/g);
    return match ? match.slice(0, 3).map(Number) : [0, 0, 0];
  }

  let kindShown = "";
  let kindSince = 0;

  /**
   * Where the face is and whether the eyes are closed, doing what the prompt on screen asks
   * like a person would: starting 0.4 s after the prompt appears, a there-and-back movement of
   * 0.8 s then 0.6 s at rest (or a blink every 0.9 s), again until the prompt changes.
   */
  function pose(tMs) {
    const kind = document.getElementById("prompt")?.dataset.kind ?? "";
    if (kind !== kindShown) {
      kindShown = kind;
      kindSince = tMs;
    }
    const since = tMs - kindSince - 400;
    const phase = since < 0 ? 1 : (since % 1400) / 800;
    const bump = phase < 1 ? Math.sin(Math.PI * phase) : 0;
    const shift = 0.1 * H * bump;
    return {
      dx: kind === "turnLeft" ? shift : kind === "turnRight" ? -shift : 0,
      dy: kind === "nod" ? shift : 0,
      eyesClosed: kind === "blink" && since >= 0 && since % 900 < 150,
    };
  }

  function render(image, scene, seed) {
    const out = image.data;
    const fx = W / 2 + scene.dx;
    const fy = H / 2 + scene.dy;
    const rx = 0.25 * H;
    const ry = 0.354 * H;
    const eyeY = fy - 0.2 * ry;
    const eyesX = [fx - 0.38 * rx, fx + 0.38 * rx];
    const eyeRx = 0.16 * rx;
    const eyeRy = 0.06 * ry;
    const ox = Math.round(fx);
    const oy = Math.round(fy);
    const faceLight = scene.screen.map((s) => AMBIENT + 0.35 * s);
    const backLight = scene.screen.map((s) => AMBIENT + 0.1 * s);
    const shift = (seed * 7919) % noise.length;
    for (let y = 0; y < H; y++) {
      const dy = (y - fy) / ry;
      const half = Math.abs(dy) <= 1 ? rx * Math.sqrt(1 - dy * dy) : -1;
      const ev = (y - eyeY) / eyeRy;
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        const inFace = Math.abs(x - fx) <= half;
        let albedo = BACKGROUND;
        let texture = background[i];
        let light = backLight;
        if (inFace) {
          const inEye =
            Math.abs(ev) <= 1 &&
            eyesX.some((ex) => ((x - ex) / eyeRx) ** 2 + ev * ev <= 1);
          light = faceLight;
          if (inEye && !scene.eyesClosed) {
            albedo = EYE;
            texture = 1;
          } else {
            albedo = SKIN;
            const u = (((x - ox) % W) + W) % W;
            const v = (((y - oy) % H) + H) % H;
            texture = skin[v * W + u];
          }
        }
        const n = noise[(i + shift) % noise.length];
        const p = i * 4;
        out[p] = albedo[0] * texture * light[0] + n;
        out[p + 1] = albedo[1] * texture * light[1] + n;
        out[p + 2] = albedo[2] * texture * light[2] + n;
        out[p + 3] = 255;
      }
    }
  }

  function fakeStream() {
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const context = canvas.getContext("2d");
    const image = context.createImageData(W, H);
    const start = performance.now();
    let seed = 0;
    const still = { dx: 0, dy: 0, eyesClosed: false, screen: [0, 0, 0] };
    const draw = () => {
      const t = performance.now() - start;
      const scene =
        ZJ_CAMERA_MODE === "live"
          ? { ...pose(t), screen: screenLight() }
          : ZJ_CAMERA_MODE === "replay"
            ? { ...pose(t), screen: [0, 0, 0] }
            : still;
      render(image, scene, ++seed);
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

  /** A JPEG of the face (data URL), for tests that hand the page a photo file. */
  window.zjFakeFaceJpeg = () => {
    const canvas = document.createElement("canvas");
    canvas.width = W;
    canvas.height = H;
    const context = canvas.getContext("2d");
    const image = context.createImageData(W, H);
    render(image, { dx: 0, dy: 0, eyesClosed: false, screen: [0, 0, 0] }, 1);
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
