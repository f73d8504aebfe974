// Face-detection benchmark (not a test; figures for the report): MediaPipe's own wasm face
// detector (npm @mediapipe/face_detection, model "short") in headless Chromium, timed per frame on
// 640×480 frames made from real photos, with its SIMD and its non-SIMD wasm; and, once it is
// wired in e2e/bench-face/bench.js (loadOurs), our detector on the same frames in the same run.
// Everything is served from this machine by a static server in this script (127.0.0.1, a free
// port); the pages may not reach anything else.
//
//   node bench-face.mjs [--images FILE|DIR]... [--frames 50] [--warmup 10]
//                       [--mediapipe simd/cpu,nosimd/cpu,simd/gpu,nosimd/gpu]
//                       [--ours BUILD=URL]...      e.g. --ours simd=/pkg/zj_attendance.js
//
// Images default to ../testdata/faces/ (scripts/fetch-testdata.sh). Prints a table and writes
// artifacts/bench-face.json (all figures), artifacts/mediapipe-detections.json (MediaPipe's faces
// per image, in frame pixels) and artifacts/bench-face-frames/*.png (the exact frames).

import { createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..");
const ARTIFACTS = join(here, "artifacts");
const MEDIAPIPE_DIR = join(here, "node_modules/@mediapipe/face_detection");
const MEDIAPIPE_SOURCE = "npm @mediapipe/face_detection@0.4.1657300184";

/**
 * Chromium's flags: headless, the GPU off. MediaPipe's solution needs WebGL (its image
 * preprocessing is GL shaders; with --disable-webgl it fails: "Failed to create WebGL canvas
 * context"). Chromium 156 with --disable-gpu still gives pages WebGL 2 through SwiftShader
 * (software: "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)"),
 * no further flag needed. Should a later Chromium stop doing that by itself, set e.g.
 * BENCH_FACE_GL_FLAGS="--use-angle=swiftshader --enable-unsafe-swiftshader" (same renderer today).
 */
const CHROMIUM_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const GL_FLAGS = (process.env.BENCH_FACE_GL_FLAGS ?? "").split(/\s+/).filter(Boolean);

const { values: options } = parseArgs({
  options: {
    images: { type: "string", multiple: true },
    frames: { type: "string", default: "50" },
    warmup: { type: "string", default: "10" },
    mediapipe: { type: "string", default: "simd/cpu,nosimd/cpu,simd/gpu,nosimd/gpu" },
    ours: { type: "string", multiple: true, default: ["simd=/pkg/zj_attendance.js", "nosimd=/pkg/zj_attendance.js"] },
  },
});
const FRAMES = Number(options.frames);
const WARMUP = Number(options.warmup);

// ─── The images ────────────────────────────────────────────────────────────────────────────
const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".webp", ".bmp"]);
const imagePaths = (options.images ?? [join(repo, "testdata/faces")]).flatMap((path) => {
  if (!existsSync(path)) {
    console.error(`no such image or directory: ${path} (scripts/fetch-testdata.sh makes testdata/faces/; or pass --images)`);
    process.exit(2);
  }
  if (!statSync(path).isDirectory()) return [resolve(path)];
  return readdirSync(path)
    .filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort()
    .map((name) => resolve(path, name));
});
if (imagePaths.length === 0) {
  console.error("no images to run on");
  process.exit(2);
}
const images = imagePaths.map((path, i) => {
  let name = basename(path, extname(path));
  if (imagePaths.some((other, j) => j < i && basename(other, extname(other)) === name)) name = `${name}-${i}`;
  return { name, path, url: `/images/${i}/${encodeURIComponent(basename(path))}` };
});

// ─── The runs: one detector and build per fresh page ──────────────────────────────────────
const runs = options.mediapipe
  .split(",")
  .filter(Boolean)
  .map((spec) => {
    const [build, inference = "cpu"] = spec.split("/");
    if (!["simd", "nosimd"].includes(build) || !["cpu", "gpu"].includes(inference)) throw new Error(`bad --mediapipe entry ${spec}`);
    return { detector: "mediapipe", build, inference };
  });
for (const spec of options.ours) {
  const [build, path] = spec.includes("=") ? spec.split("=", 2) : ["simd", spec];
  // A path from the repository's root, served at the same URL path (e.g. /pkg/zj_attendance.js).
  runs.push({ detector: "ours", build, inference: "cpu", moduleUrl: `/${path.replace(/^\/+/, "")}` });
}

// ─── The static server ─────────────────────────────────────────────────────────────────────
const MOUNTS = new Map([
  ["/bench/", join(here, "bench-face")],
  ["/mediapipe/", MEDIAPIPE_DIR],
  ["/pkg/", join(repo, "pkg")],
  ["/models/", join(repo, "models")],
]);
for (const run of runs) {
  if (run.moduleUrl) {
    const prefix = `${dirname(run.moduleUrl)}/`;
    if (!MOUNTS.has(prefix)) MOUNTS.set(prefix, resolve(repo, `.${prefix}`));
  }
}
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
};
let served = [];

function filePath(urlPath) {
  const image = /^\/images\/(\d+)\//.exec(urlPath);
  if (image) return images[Number(image[1])]?.path ?? null;
  for (const [prefix, root] of MOUNTS) {
    if (!urlPath.startsWith(prefix)) continue;
    const path = resolve(root, `.${urlPath.slice(prefix.length - 1)}`);
    return path === root || path.startsWith(root + sep) ? path : null;
  }
  return null;
}

const server = createServer((request, response) => {
  const urlPath = decodeURIComponent(new URL(request.url, "http://x").pathname);
  const path = filePath(urlPath);
  if (!path || !existsSync(path) || !statSync(path).isFile()) {
    served.push(`404 ${urlPath}`);
    response.writeHead(404).end();
    return;
  }
  served.push(urlPath);
  response.writeHead(200, {
    "content-type": TYPES[extname(path).toLowerCase()] ?? "application/octet-stream",
    "content-length": statSync(path).size,
    "cache-control": "no-store",
  });
  createReadStream(path).pipe(response);
});
await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
const origin = `http://127.0.0.1:${server.address().port}`;

// ─── Running ───────────────────────────────────────────────────────────────────────────────
const label = (run) => `${run.detector} ${run.build}/${run.inference}`;

function quantile(sorted, q) {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

async function benchmark(browser, run, withPngs) {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 1 });
  await context.route((url) => url.hostname !== "127.0.0.1", (route) => route.abort());
  const page = await context.newPage();
  const messages = [];
  page.on("console", (message) => messages.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => messages.push(`pageerror: ${error.message}`));
  page.on("dialog", (dialog) => {
    messages.push(`dialog: ${dialog.message()}`);
    dialog.dismiss();
  });
  served = [];
  try {
    await page.goto(`${origin}/bench/index.html`);
    await page.waitForFunction(() => window.benchFaceReady === true);
    const config = {
      ...run,
      images: images.map(({ name, url }) => ({ name, url })),
      width: 640,
      height: 480,
      warmup: WARMUP,
      frames: FRAMES,
      withPngs,
    };
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("timed out after 10 minutes")), 600_000).unref());
    const result = await Promise.race([page.evaluate((c) => window.benchFace(c), config), timeout]);
    const sorted = [...result.times].sort((a, b) => a - b);
    return {
      ...run,
      frames: result.times.length,
      medianMs: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      minMs: sorted[0],
      maxMs: sorted.at(-1),
      loadMs: result.loadMs,
      firstFrameMs: result.firstFrameMs,
      timesMs: result.times,
      env: result.env,
      served: served.filter((path) => !path.includes("/images/")),
      messages: messages.slice(0, 100),
      images: result.images,
    };
  } catch (error) {
    return { ...run, error: error.message.split("\n")[0], served: [...served], messages: messages.slice(0, 100) };
  } finally {
    await context.close();
  }
}

mkdirSync(ARTIFACTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [...CHROMIUM_FLAGS, ...GL_FLAGS],
});
const results = [];
try {
  for (const [i, run] of runs.entries()) {
    process.stderr.write(`${label(run)}: ${WARMUP} warm-up + ${FRAMES} timed frames on ${images.length} image(s)…\n`);
    const result = await benchmark(browser, run, i === 0);
    if (result.error) process.stderr.write(`  failed: ${result.error}\n${result.messages.map((m) => `    ${m}\n`).join("")}`);
    results.push(result);
  }
} finally {
  await browser.close().catch(() => {});
  server.close();
}

// ─── Reporting ─────────────────────────────────────────────────────────────────────────────
const frameDir = join(ARTIFACTS, "bench-face-frames");
const withFrames = results.find((r) => r.images?.[0]?.png);
if (withFrames) {
  mkdirSync(frameDir, { recursive: true });
  for (const image of withFrames.images) {
    writeFileSync(join(frameDir, `${image.name}.png`), Buffer.from(image.png.split(",")[1], "base64"));
  }
}

const cell = (value, width) => String(value).padEnd(width);
const ms = (value) => (value === undefined ? "-" : value.toFixed(2));
const header = ["detector", "build", "inference", "frames", "median ms", "p90 ms", "first ms", "load ms"];
const widths = [10, 8, 10, 7, 10, 9, 9, 8];
console.log(header.map((h, i) => cell(h, widths[i])).join(" "));
for (const r of results) {
  const row = r.error
    ? [r.detector, r.build, r.inference, "-", `FAILED: ${r.error}`]
    : [r.detector, r.build, r.inference, r.frames, ms(r.medianMs), ms(r.p90Ms), ms(r.firstFrameMs), ms(r.loadMs)];
  console.log(row.map((v, i) => cell(v, widths[i] ?? 0)).join(" "));
}
const env = results.find((r) => r.env)?.env;
// Ours against MediaPipe's own runtime (SIMD, CPU) on the same frames: face count, and the
// largest difference of a box edge or keypoint (frame pixels) and of a score.
const facesByImage = (run) => Object.fromEntries((run.images ?? []).map((image) => [image.name, image]));
const reference = results.find((r) => r.detector === "mediapipe" && r.build === "simd" && r.inference === "cpu" && r.images);
for (const run of results.filter((r) => r.detector === "ours" && r.images && reference)) {
  let worstPx = 0, worstScore = 0;
  const countsDiffer = [];
  const ours = facesByImage(run);
  for (const [name, theirs] of Object.entries(facesByImage(reference))) {
    const mine = ours[name];
    if (!mine || mine.faces.length !== theirs.faces.length) {
      countsDiffer.push(`${name} (${mine?.faces.length ?? "?"} vs ${theirs.faces.length})`);
      continue;
    }
    theirs.faces.forEach((t, i) => {
      const m = mine.faces[i];
      const points = (f) => [f.x, f.y, f.x + f.width, f.y + f.height, ...f.keypoints.flatMap((k) => [k.x, k.y])];
      const [pm, pt] = [points(m), points(t)];
      pm.forEach((v, j) => (worstPx = Math.max(worstPx, Math.abs(v - pt[j]))));
      worstScore = Math.max(worstScore, Math.abs(m.score - t.score));
    });
  }
  run.agreementWithMediaPipe = { reference: "mediapipe simd/cpu", worstPx, worstScore, countsDiffer };
  console.log(
    `ours ${run.build} against MediaPipe (simd/cpu): ${countsDiffer.length ? `face counts differ on ${countsDiffer.join(", ")}; ` : "same face count on every image; "}` +
      `largest difference ${worstPx.toFixed(2)} px (box edges and keypoints), ${worstScore.toFixed(4)} in score`,
  );
}
if (env) console.log(`WebGL: ${env.webgl} (${env.webglRenderer}); wasm SIMD: ${env.wasmSimd}; ${env.hardwareConcurrency} cores`);

// Each run with the faces it found per image (frame pixels), without the frames' PNGs.
const strip = ({ images: found, ...rest }) => ({
  ...rest,
  faces: found ? Object.fromEntries(found.map((image) => [image.name, { stable: image.stable, faces: image.faces }])) : undefined,
});
writeFileSync(
  join(ARTIFACTS, "bench-face.json"),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      browser: `${process.env.CHROMIUM ?? "/usr/bin/chromium"} ${browser.version()}`,
      flags: [...CHROMIUM_FLAGS, ...GL_FLAGS],
      frame: { width: 640, height: 480, fit: "scaled to fit, centred, black bars" },
      warmup: WARMUP,
      images: images.map(({ name, path }) => ({ name, path: relative(repo, path) })),
      runs: results.map(strip),
    },
    null,
    2,
  )}\n`,
);

const mediapipe = results.filter((r) => r.detector === "mediapipe" && r.images);
if (mediapipe.length > 0) {
  const first = mediapipe[0];
  writeFileSync(
    join(ARTIFACTS, "mediapipe-detections.json"),
    `${JSON.stringify(
      {
        source: MEDIAPIPE_SOURCE,
        options: {
          model: "short",
          selfieMode: false,
          minDetectionConfidence: "0.5: the graph's default (setting it aborts the graph in this version, see bench-face/bench.js)",
          runs: "build simd|nosimd (which wasm), inference cpu (useCpuInference: TFLite on wasm) | gpu (WebGL, SwiftShader here)",
        },
        frame: { width: 640, height: 480, fit: "scaled to fit, centred, black bars; frame pixel = source pixel × scale + offset" },
        units: "frame pixels; box x,y = top-left corner; keypoints = the subject's right eye, left eye, …",
        images: first.images.map((image, i) => ({
          name: image.name,
          path: relative(repo, images[i].path),
          frame: withFrames ? relative(ARTIFACTS, join(frameDir, `${image.name}.png`)) : null,
          source: image.source,
          transform: image.transform,
          // Faces by run ("simd/cpu", …); `stable`: every frame of this image gave the same faces.
          detections: Object.fromEntries(
            mediapipe.map((r) => [`${r.build}/${r.inference}`, { stable: r.images[i].stable, faces: r.images[i].faces }]),
          ),
        })),
      },
      null,
      2,
    )}\n`,
  );
}
console.log(`written: ${relative(process.cwd(), join(ARTIFACTS, "bench-face.json"))}, mediapipe-detections.json, bench-face-frames/`);
process.exit(results.some((r) => r.error) ? 1 : 0);
