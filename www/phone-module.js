// Loads the phone module (pkg/) once for the page; every caller awaits the same start-up.

import init, { faceDetectorFiles } from "/pkg/zj_attendance.js";

/** The service worker's cache (sw.js), where the face detector's files are kept. */
const CACHE = "zj-clock-in-v1";

let started;
let prefetched;

/** Initialises the phone module once; resolves when its exports can be used. */
export function loadPhoneModule() {
  started ??= init({ module_or_path: "/pkg/zj_attendance_bg.wasm" });
  return started;
}

/**
 * Keeps the face detector's files (the module this browser runs, its model and the face mesh
 * for the blink) in the service worker's cache once the page is usable, so the camera step
 * needs no download later and works offline. Quiet on failure: the camera step fetches them
 * itself.
 */
export function prefetchFaceDetector() {
  prefetched ??= (async () => {
    await loadPhoneModule();
    if (!("caches" in self)) return;
    const cache = await caches.open(CACHE);
    // A page the service worker controls fetches through it, and it keeps the file: writing it
    // here as well would race its write for the same entry.
    const controlled = Boolean(navigator.serviceWorker?.controller);
    for (const url of faceDetectorFiles()) {
      if (await cache.match(url)) continue;
      await (controlled ? fetch(url).then((response) => response.arrayBuffer()) : cache.add(url));
    }
  })().catch(() => {});
  return prefetched;
}
