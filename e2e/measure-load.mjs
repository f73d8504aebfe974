// Measures the clock-in page's load on a slow link (not a test; figures for the report):
// bytes transferred on the first visit, the time until the page is usable (the enrollment form
// shown: the phone module is loaded), the face detector's prefetch that follows (its module
// and model, kept by the service worker), the camera step's extra bytes and time (loading the
// detector, as the camera stage does before a challenge), and a reload served by the service
// worker. Network conditions are Chromium's emulation through the DevTools protocol.
//
//   node measure-load.mjs        (after scripts/e2e.sh has built the relay)

import * as h from "./harness.mjs";

const LINKS = {
  "slow 3G (400 ms, 400 kbit/s)": { latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 },
  "3G (100 ms, 1.6 Mbit/s)": { latency: 100, downloadThroughput: 200_000, uploadThroughput: 100_000 },
};

const demo = await h.startDemo();
const browser = await h.launchBrowser();

/** A phone-sized page on `link`, counting the bytes its requests move into `counter.bytes`. */
async function throttledPage(link, options = {}) {
  const context = await browser.newContext({ viewport: h.PHONE_SCREEN, ...options });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, ...link });
  const counter = { bytes: 0 };
  cdp.on("Network.loadingFinished", (event) => (counter.bytes += event.encodedDataLength));
  return { context, page, counter };
}

/** Loads the page; resolves to the milliseconds until it is usable (the enrollment form). */
async function usable(page) {
  const start = Date.now();
  await page.goto(demo.url);
  await page.locator("#enroll").waitFor({ state: "visible", timeout: 120_000 });
  return Date.now() - start;
}

/** The paths the service worker's cache holds. */
function kept(page) {
  return page.evaluate(async () => {
    const keys = await (await caches.open("zj-clock-in-v1")).keys();
    return keys.map((request) => new URL(request.url).pathname);
  });
}

/** Whether the face detector's prefetch is done: a detector build and both models kept. */
async function prefetched(page) {
  const paths = await kept(page);
  return (
    ["/pkg/blazeface-short.zjnn", "/pkg/face-landmark.zjnn"].every((p) => paths.includes(p)) &&
    paths.some((p) => p.endsWith(".wasm") && p.startsWith("/pkg/face-"))
  );
}

const kib = (bytes) => Math.round(bytes / 1024);
const seconds = (ms) => (ms / 1000).toFixed(1);

try {
  for (const [name, link] of Object.entries(LINKS)) {
    // With the service worker: the first visit, the camera step once the prefetch is kept,
    // and a reload.
    {
      const { context, page, counter } = await throttledPage(link);
      const first = await usable(page);
      const firstBytes = counter.bytes;
      await h.eventually(() => prefetched(page), 120_000, "the face detector prefetched");
      await h.eventually(async () => (await kept(page)).length >= 12, 60_000, "the shell cached");
      counter.bytes = 0;
      const cameraStart = Date.now();
      await page.evaluate(async () => (await import("/pkg/zj_attendance.js")).loadFaceDetector());
      const cameraMs = Date.now() - cameraStart;
      const cameraBytes = counter.bytes;
      counter.bytes = 0;
      const second = await usable(page);
      console.log(
        `${name}: first visit ${seconds(first)} s, ${kib(firstBytes)} KiB; ` +
          `camera step after the prefetch (detector from the service worker) ${cameraMs} ms, ${kib(cameraBytes)} KiB; ` +
          `reload (service worker) ${seconds(second)} s, ${kib(counter.bytes)} KiB`,
      );
      await context.close();
    }
    // Without the service worker (its own downloads are not throttled by the page's emulated
    // link): what the prefetch after the first visit moves, and how long it takes.
    {
      const { context, page, counter } = await throttledPage(link, { serviceWorkers: "block" });
      await usable(page);
      const start = Date.now();
      counter.bytes = 0;
      await h.eventually(() => prefetched(page), 300_000, "the face detector prefetched");
      const detector = (await kept(page)).find((p) => p.endsWith(".wasm") && p.startsWith("/pkg/face-"));
      console.log(
        `${name}: the face detector's prefetch after the page is usable (${detector}, the model and the face mesh; ` +
          `what a camera step without it downloads) ${seconds(Date.now() - start)} s, ${kib(counter.bytes)} KiB`,
      );
      await context.close();
    }
  }
} finally {
  await browser.close();
  await demo.stop();
}
