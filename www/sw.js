// The clock-in page's service worker: the page and the phone module (with its wasm) are kept
// after the first visit, so the page opens with no network at 6:50 on a site with poor signal.
// Cached files are served at once and refreshed in the background (the relay answers a
// revalidation with 304 while nothing changed). API calls are never cached.

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
  if (event.request.method !== "GET" || url.origin !== location.origin || !SHELL.includes(url.pathname)) return;
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
