// The clock-in page's service worker: the page and the phone module (with its wasm) are kept
// after the first visit, so the page opens with no network at 6:50 on a site with poor signal.
// Cached files are served at once and refreshed in the background (the relay answers a
// revalidation with 304 while nothing changed). API calls are never cached. The face
// detector's files are not fetched at install (the first visit stays small): the page puts
// the ones its browser uses into this cache once it is usable (phone-module.js), and they are
// served and refreshed like the rest.

const CACHE = "zj-clock-in-v1";
const SHELL = [
  "/",
  "/app.css",
  "/app.js",
  "/i18n.js",
  "/liveness-stage.js",
  "/outbox-view.js",
  "/phone-module.js",
  "/pkg/zj_attendance.js",
  "/pkg/zj_attendance_bg.wasm",
];
/** Kept when fetched, not at install: the face detector (one build per browser), its model and
 * the face mesh for the blink. */
const ON_USE = [
  "/pkg/face-simd.wasm",
  "/pkg/face-scalar.wasm",
  "/pkg/blazeface-short.zjnn",
  "/pkg/face-landmark.zjnn",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key)))),
  );
  self.clients.claim();
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const kept = SHELL.includes(url.pathname) || ON_USE.includes(url.pathname);
  if (event.request.method !== "GET" || url.origin !== location.origin || !kept) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(url.pathname);
      const fresh = fetch(event.request)
        .then((response) => {
          if (response.ok) cache.put(url.pathname, response.clone());
          return response;
        })
        .catch(() => cached);
      if (cached) {
        event.waitUntil(fresh);
        return cached;
      }
      return fresh;
    }),
  );
});
