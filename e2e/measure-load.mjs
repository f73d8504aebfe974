// Measures the clock-in page's load on a slow link (not a test; figures for the report):
// bytes transferred on the first visit, the time until the page is usable (the enrollment form
// shown: the phone module is loaded), and the same on a reload served by the service worker.
// Network conditions are Chromium's emulation through the DevTools protocol.
//
//   node measure-load.mjs        (after scripts/e2e.sh has built the relay)

import * as h from "./harness.mjs";

const LINKS = {
  "slow 3G (400 ms, 400 kbit/s)": { latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 },
  "3G (100 ms, 1.6 Mbit/s)": { latency: 100, downloadThroughput: 200_000, uploadThroughput: 100_000 },
};

const demo = await h.startDemo();
const browser = await h.launchBrowser();
try {
  for (const [name, link] of Object.entries(LINKS)) {
    const context = await browser.newContext({ viewport: h.PHONE_SCREEN });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, ...link });
    let bytes = 0;
    cdp.on("Network.loadingFinished", (event) => (bytes += event.encodedDataLength));
    const usable = async () => {
      const start = Date.now();
      await page.goto(demo.url);
      await page.locator("#enroll").waitFor({ state: "visible", timeout: 120_000 });
      return Date.now() - start;
    };
    const first = await usable();
    const firstBytes = bytes;
    await page.waitForFunction(async () => (await (await caches.open("zj-clock-in-v1")).keys()).length >= 8);
    bytes = 0;
    const second = await usable();
    console.log(
      `${name}: first visit ${(first / 1000).toFixed(1)} s, ${Math.round(firstBytes / 1024)} KiB; ` +
        `reload (service worker) ${(second / 1000).toFixed(1)} s, ${Math.round(bytes / 1024)} KiB`,
    );
    await context.close();
  }
} finally {
  await browser.close();
  await demo.stop();
}
