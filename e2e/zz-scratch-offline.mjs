import * as h from "./harness.mjs";
const demo = await h.startDemo();
const browser = await h.launchBrowser();
const keys = (page) => page.evaluate(async () => (await (await caches.open("zj-clock-in-v1")).keys()).map((r) => new URL(r.url).pathname).filter((p) => p.includes("face") || p.includes("zjnn")));
try {
  for (let run = 0; run < 3; run++) {
    const { context, page } = await h.newPhone(browser, demo, { position: h.position(demo) });
    await h.enroll(page, await h.newEnrollCode(demo));
    await h.offlineReady(page);
    console.log("ready", JSON.stringify(await keys(page)));
    await new Promise((r) => setTimeout(r, 1000));
    console.log("1s later", JSON.stringify(await keys(page)));
    await context.setOffline(true);
    for (const f of ["/pkg/face-landmark.zjnn", "/pkg/blazeface-short.zjnn"]) {
      console.log(f, await page.evaluate(async (f) => { try { const r = await fetch(f); return [r.status, (await r.arrayBuffer()).byteLength]; } catch (e) { return String(e); } }, f));
    }
    console.log("after", JSON.stringify(await keys(page)));
    await context.close();
  }
} finally { await browser.close(); await demo.stop(); }
