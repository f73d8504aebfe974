// The worker's clock-in page in headless Chromium against a real `relay demo`: enrollment,
// fence verdicts inside / outside / on the edge, a live face and a still photo (the fake camera
// shows a real face photo, fake-camera.js), offline clock-ins kept and delivered once, and a
// reload while a record waits.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as h from "./harness.mjs";

let demo;
let browser;

before(async () => {
  demo = await h.startDemo();
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** An enrolled phone (a fresh code per phone: codes are single-use) at `position`. */
async function enrolledPhone(options) {
  const phone = await h.newPhone(browser, demo, options);
  await h.enroll(phone.page, await h.newEnrollCode(demo));
  return phone;
}

test("enroll with the demo code, clock in inside the fence with a live face: the platform gets it once", async () => {
  const { context, page } = await h.newPhone(browser, demo, { position: h.position(demo) });
  await page.locator("#enroll").waitFor();
  await h.screenshot(page, "phone-360-enroll");
  await h.enroll(page, demo.enrollCode);
  assert.match(await page.locator("#site-name").textContent(), /滨江/);
  assert.equal(await h.locate(page), "inside");
  assert.match(await page.locator("#accuracy").textContent(), /±10/);
  const before = (await h.simSignins(demo)).length;

  await page.locator("#clock").click();
  // The flash: the page paints its colours over the whole screen.
  await page.waitForFunction(() => {
    const background = document.getElementById("stage").style.background;
    return background && background !== "";
  });
  await h.screenshot(page, "phone-360-flash");
  await page.locator("#stage").waitFor({ state: "hidden", timeout: 40_000 });
  await page.locator("#result.ok-text").waitFor({ timeout: 20_000 });
  assert.match(await page.locator("#result").textContent(), /打卡成功/);
  await h.screenshot(page, "phone-360-done");

  const signins = await h.eventually(async () => {
    const all = await h.simSignins(demo);
    return all.length > before && all;
  });
  assert.equal(signins.length, before + 1, "delivered once");
  const record = signins.at(-1);
  assert.equal(record.personId, demo.personId);
  assert.ok(record.imgBytes > 1000, "a photo");

  const audit = await h.manager(demo, "GET", `/signins?siteId=${demo.site.siteId}`);
  const last = audit.at(-1);
  assert.equal(last.liveness.overall, "live");
  assert.equal(last.liveness.nonceSource, "relay", "the challenge was seeded by the relay");
  assert.equal(last.nonceVerified, true, "and the relay recognised its nonce");
  assert.equal(last.fence.verdict, "inside");
  assert.ok(last.liveness.frames.length > 0, "evidence frames");
  // Every check was judged on the real face the detector found, not on the guide oval…
  for (const check of last.liveness.checks) {
    assert.notEqual(check.method, "region", JSON.stringify(check));
    assert.ok(check.face, `a face in ${check.kind}`);
  }
  // …and the relay found that one face, large enough and frontal, in the saved photo.
  assert.equal(last.photoCheck?.verdict, "passed", JSON.stringify(last.photoCheck));

  await page.setViewportSize(h.DESKTOP_SCREEN);
  await h.screenshot(page, "phone-1280-done");
  await context.close();
});

test("a personal phone clocks in its own worker, with no one to pick", async () => {
  const { code } = await h.manager(demo, "POST", `/sites/${demo.site.siteId}/enrollments`, {
    binding: "personal",
    personId: demo.personId,
  });
  const { context, page } = await h.newPhone(browser, demo, { position: h.position(demo) });
  await h.enroll(page, code);
  assert.ok(await page.locator("#person-row").isHidden());
  assert.match(await page.locator("#person-single").textContent(), /张三/);
  assert.equal(await h.locate(page), "inside");
  assert.equal(await h.clockIn(page), "saved");
  await page.locator("#result.ok-text").waitFor({ timeout: 20_000 });
  await context.close();
});

test("outside the fence: the page says so and clock-in stays off", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo, { eastM: 600 }) });
  assert.equal(await h.locate(page), "outside");
  assert.ok(await page.locator("#clock").isDisabled());
  await h.screenshot(page, "phone-360-outside");
  await context.close();
});

test("on the edge of the fence with a 30 m fix: uncertain, flagged for review by the demo's policy", async () => {
  // The demo fence's east edge is 0.002° east of its middle.
  const [lng, lat] = demo.site.center;
  const position = { longitude: lng + 0.002, latitude: lat, accuracy: 30 };
  const { context, page } = await enrolledPhone({ position });
  assert.equal(await h.locate(page), "uncertain");
  assert.match(await page.locator("#verdict").textContent(), /无法确定/);

  // The policy accepts it: the clock-in goes through, and the record says it needs a look.
  const before = (await h.simSignins(demo)).length;
  assert.equal(await h.clockIn(page), "saved");
  await h.eventually(async () => (await h.simSignins(demo)).length === before + 1);
  const audit = await h.manager(demo, "GET", `/signins?siteId=${demo.site.siteId}`);
  const last = audit.at(-1);
  assert.equal(last.fence.verdict, "uncertain");
  assert.equal(last.fence.flagged, true, "flagged for the manager's review");
  await context.close();
});

test("a still photo in front of the camera: the liveness check blocks the clock-in, nothing is saved", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo), camera: "spoof" });
  assert.equal(await h.locate(page), "inside");
  const before = (await h.simSignins(demo)).length;
  assert.equal(await h.clockIn(page), "blocked");
  assert.match(await page.locator("#prompt").textContent(), /活体检测未通过|活体检测无法完成/);
  await h.screenshot(page, "phone-360-spoof-blocked");
  await page.locator("#cancel").click();
  await page.locator("#stage").waitFor({ state: "hidden" });
  assert.deepEqual(await h.counts(page), { pending: 0, sending: 0, done: 0, failed: 0 });
  assert.equal((await h.simSignins(demo)).length, before);
  await context.close();
});

test("a replayed video that moves as asked but is not lit by the screen: blocked by the flash check", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo), camera: "replay" });
  assert.equal(await h.locate(page), "inside");
  assert.equal(await h.clockIn(page), "blocked");
  assert.match(await page.locator("#prompt").textContent(), /活体检测未通过/);
  assert.deepEqual(await h.counts(page), { pending: 0, sending: 0, done: 0, failed: 0 });
  await context.close();
});

test("camera refused: a photo instead, saved as lower-trust with evidence saying no check was run", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo), camera: "denied" });
  assert.equal(await h.locate(page), "inside");
  await page.locator("#clock").click();
  await page.locator("#fallback").waitFor({ state: "visible" });
  assert.match(await page.locator("#result").textContent(), /拍照打卡/);
  const dataUrl = await page.evaluate(() => window.zjFakeFaceJpeg());
  const buffer = Buffer.from(dataUrl.split(",")[1], "base64");
  const chooser = page.waitForEvent("filechooser");
  await page.locator("#fallback").click();
  await (await chooser).setFiles({ name: "face.jpg", mimeType: "image/jpeg", buffer });
  await page.locator("#result").filter({ hasText: /需管理员复核|平台已收到/ }).waitFor();
  const audit = await h.eventually(async () => {
    const all = await h.manager(demo, "GET", `/signins?siteId=${demo.site.siteId}`);
    return all.find((record) => record.fallbackCapture) ?? null;
  });
  assert.equal(audit.liveness.overall, "inconclusive");
  assert.equal(audit.liveness.lowerTrust, true);
  assert.equal(audit.photoCheck?.verdict, "passed", "the photo of a real face, cropped around it");
  await context.close();
});

test("offline: the record is kept and the page says so; back online it is delivered once", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo) });
  await h.offlineReady(page);
  assert.equal(await h.locate(page), "inside");
  const before = (await h.simSignins(demo)).length;
  await context.setOffline(true);
  await page.locator("#offline").waitFor({ state: "visible" });
  assert.equal(await h.clockIn(page), "saved");
  assert.match(await page.locator("#result").textContent(), /保存在手机上.*没有网络/);
  await h.eventually(async () => (await h.counts(page)).pending === 1, 10_000, "one record waiting");
  await h.screenshot(page, "phone-360-offline");
  assert.equal((await h.simSignins(demo)).length, before, "nothing reached the platform");

  await context.setOffline(false);
  await page.locator("#result.ok-text").waitFor({ timeout: 30_000 }).catch(async (error) => {
    console.error(JSON.stringify(await h.counts(page)), await page.locator("#result").textContent());
    throw error;
  });
  await h.eventually(async () => (await h.counts(page)).done === 1, 10_000, "the record delivered");
  await new Promise((done) => setTimeout(done, 2_000));
  assert.equal((await h.simSignins(demo)).length, before + 1, "delivered exactly once");
  await context.close();
});

test("a reload while a record waits (offline, the page from its cache): still delivered once", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo) });
  // The service worker has cached the page, the module and the face detector for offline use.
  await h.offlineReady(page);
  assert.equal(await h.locate(page), "inside");
  const before = (await h.simSignins(demo)).length;
  await context.setOffline(true);
  assert.equal(await h.clockIn(page), "saved");
  await page.reload();
  await page.locator("#app").waitFor({ state: "visible" });
  await h.eventually(
    async () => {
      const counts = await h.counts(page);
      return counts.pending + counts.sending === 1 && counts.done === 0;
    },
    10_000,
    "the record still waiting after the reload",
  ).catch(async (error) => {
    console.error(JSON.stringify(await h.counts(page)), await page.locator("body").innerText());
    throw error;
  });
  assert.equal((await h.simSignins(demo)).length, before);

  // A reload in the middle of an upload attempt leaves the record leased to the closed page:
  // the phone module sends it again once the lease (60 s) has run out, at its next round (30 s).
  await context.setOffline(false);
  await h.eventually(async () => (await h.counts(page)).done === 1, 120_000, "the record delivered");
  await new Promise((done) => setTimeout(done, 2_000));
  assert.equal((await h.simSignins(demo)).length, before + 1, "delivered exactly once");
  await context.close();
});

test("English switch", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo) });
  await page.locator("#lang").click();
  assert.equal(await page.locator("#locate").textContent(), "Locate");
  assert.equal(await h.locate(page), "inside");
  assert.equal(await page.locator("#verdict").textContent(), "Inside the fence");
  await h.screenshot(page, "phone-360-english");
  await context.close();
});

test("inside WeChat with no WeChat configuration on the relay: the browser's location, as elsewhere", async () => {
  const { context, page } = await enrolledPhone({ position: h.position(demo), userAgent: h.WECHAT_USER_AGENT });
  const asked = page.waitForResponse((response) => response.url().includes("/v1/wechat/jsapi-config"));
  await page.reload();
  await page.locator("#app").waitFor({ state: "visible" });
  const answer = await asked;
  assert.equal(answer.status(), 404);
  assert.equal((await answer.json()).error.code, "wechat_not_configured");
  assert.equal(await h.locate(page), "inside");
  assert.equal(await page.evaluate(() => typeof window.wx), "undefined", "no half-configured SDK left");
  await context.close();
});

test("inside WeChat with the relay's signature: wx.config, then WeChat's GCJ-02 fix is used and converted", async () => {
  // WeChat's web-view stands in: its JS bridge (what the real JS-SDK, vendored, talks to)
  // verifies the config and answers geoLocation with the fence's middle in GCJ-02 (about
  // 500 m from the WGS-84 middle here: taken unconverted it would be outside), 7 m accurate;
  // the browser's own fix is inside too but 30 m accurate. The relay's answer is replaced by
  // a signature of the test's (the relay side is tested in crates/relay/tests/relay/wechat.rs).
  const context = await browser.newContext({
    userAgent: h.WECHAT_USER_AGENT,
    viewport: h.PHONE_SCREEN,
    locale: "zh-CN",
    geolocation: h.position(demo, { accuracy: 30 }),
    permissions: ["geolocation"],
    serviceWorkers: "block",
  });
  await h.localOnly(context);
  await context.addInitScript(() => {
    window.wxBridgeCalls = [];
    window.WeixinJSBridge = {
      invoke(name, args, callback) {
        window.wxBridgeCalls.push({ name, args });
        const fix = window.wxFix;
        const answers = {
          preVerifyJSAPI: { err_msg: "preVerifyJSAPI:ok" },
          geoLocation: fix && { err_msg: "geoLocation:ok", longitude: fix[0], latitude: fix[1], accuracy: 7 },
          getNetworkType: { err_msg: "network_type:wifi" },
        };
        setTimeout(() => callback(answers[name] ?? { err_msg: `${name}:fail` }), 0);
      },
      on() {},
    };
  });
  const signed = { appId: "wx-e2e-app", timestamp: 1790000000, nonceStr: "e2eNonce", signature: "e2e-signature" };
  await context.route("**/v1/wechat/jsapi-config?*", (route) => route.fulfill({ json: signed }));
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(demo.url);
  await h.enroll(page, await h.newEnrollCode(demo));
  await page.evaluate(async (center) => {
    const { wgs84ToGcj02 } = await import("/pkg/zj_attendance.js");
    window.wxFix = wgs84ToGcj02(center[0], center[1]);
  }, demo.site.center);
  assert.equal(await h.locate(page), "inside");
  assert.match(await page.locator("#accuracy").textContent(), /±7 米/, "WeChat's fix (7 m) was chosen over the browser's (30 m)");
  const calls = await page.evaluate(() => window.wxBridgeCalls);
  const config = calls.find((call) => call.name === "preVerifyJSAPI");
  assert.equal(config.args.verifySignature, signed.signature);
  assert.equal(config.args.verifyAppId, signed.appId);
  // The SDK names getLocation "geoLocation" to the bridge.
  assert.deepEqual(config.args.verifyJsApiList, ["geoLocation", "chooseImage"]);
  assert.equal(calls.find((call) => call.name === "geoLocation").args.type, "gcj02");
  await context.close();
});

test("no page broke the relay's Content-Security-Policy", () => {
  h.assertNoCspViolation();
});
