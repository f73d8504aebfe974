// The manager's page in headless Chromium against a real `relay demo`: log in with a password,
// see the demo fence, watch validation while drawing, draw a second polygon by clicking on the
// map and save it; the phone page picks the new fence up and its verdict changes; enrollment
// codes as QR codes; today's sign-ins with verdicts and liveness scores.

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

/** The manager's page at `screen`, logged in. */
async function managerPage(screen) {
  const context = await browser.newContext({ viewport: screen, locale: "zh-CN", deviceScaleFactor: 1 });
  await h.localOnly(context);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(`${demo.url}/manager`);
  await h.login(page, demo.managers.admin);
  await page.locator("#console").waitFor({ state: "visible" });
  await page.locator("#fence-check.ok-text").waitFor();
  return { context, page };
}

/** Clicks on the map at WGS-84 `[lng, lat]` (OpenStreetMap tiles: the map is in WGS-84). */
async function clickMap(page, [lng, lat]) {
  const point = await page.evaluate(([lat, lng]) => zjMap.latLngToContainerPoint([lat, lng]), [lat, lng]);
  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + point.x, box.y + point.y);
}

/** A square `halfM` metres each way around `[lng, lat]`, as its four corners. */
function square([lng, lat], halfM) {
  const dLng = halfM / (111_320 * Math.cos((lat * Math.PI) / 180));
  const dLat = halfM / 111_320;
  return [
    [lng - dLng, lat - dLat],
    [lng + dLng, lat - dLat],
    [lng + dLng, lat + dLat],
    [lng - dLng, lat + dLat],
  ];
}

test("the manager draws a polygon by clicking on the map and saves it; the phone's verdict changes", async () => {
  // A phone 500 m east of the demo fence: outside.
  const spot = h.position(demo, { eastM: 500 });
  const { context: phoneContext, page: phone } = await h.newPhone(browser, demo, { position: spot });
  await h.enroll(phone, demo.enrollCode);
  assert.equal(await h.locate(phone), "outside");

  const { context, page } = await managerPage(h.DESKTOP_SCREEN);
  assert.match(await page.locator("#fence-saved").textContent(), /第 1 版/);
  const centre = [spot.longitude, spot.latitude];
  await page.evaluate(([lat, lng]) => zjMap.setView([lat, lng], 17, { animate: false }), [centre[1], centre[0]]);

  // A bow-tie is refused while it is being drawn.
  await page.locator(".leaflet-pm-icon-polygon").click();
  const [a, b, c, d] = square(centre, 60);
  for (const corner of [a, c, b, d]) await clickMap(page, corner);
  await page.locator("#fence-check.bad-text").waitFor();
  assert.match(await page.locator("#fence-check").textContent(), /自相交/);
  await page.locator(".action-cancel:visible").click();

  // A square around the phone: checked as it is drawn, then saved.
  await page.locator(".leaflet-pm-icon-polygon").click();
  const corners = square(centre, 80);
  await clickMap(page, corners[0]);
  await clickMap(page, corners[1]);
  assert.match(await page.locator("#fence-check").textContent(), /正在画：已点 2 个顶点/);
  await clickMap(page, corners[2]);
  assert.match(await page.locator("#fence-check").textContent(), /正在画：3 个顶点。围栏有效/);
  await clickMap(page, corners[3]);
  await clickMap(page, corners[0]);
  await page.waitForFunction(() => /2 个多边形/.test(document.getElementById("fence-check").textContent));
  const area = Number((await page.locator("#fence-check").textContent()).match(/面积 ([\d,]+) 平方米/)[1].replaceAll(",", ""));
  assert.ok(Math.abs(area - 171_000 - 25_600) < 3_000, `area ${area} m²: the demo fence plus 160 m × 160 m`);
  await page.locator("#save-fence").click();
  await page.locator("#fence-saved.ok-text").waitFor();
  assert.match(await page.locator("#fence-saved").textContent(), /第 2 版/);
  await h.screenshot(page, "manager-1280-fence");

  const stored = await h.manager(demo, "GET", `/sites/${demo.site.siteId}/fence`);
  assert.equal(stored.version, 2);
  assert.equal(stored.geojson.geometry.coordinates.length, 2);

  // The phone learns of the new fence from its heartbeat and judges again.
  assert.equal(await h.locate(phone), "inside");
  assert.match(await phone.locator("#fence-status").textContent(), /第 2 版/);

  // It clocks in; the manager sees the sign-in with its verdict and liveness scores.
  assert.equal(await h.clockIn(phone), "saved");
  await page.locator("#reload-signins").click();
  const row = page.locator("#signins tbody tr[data-liveness=live][data-verdict=inside]");
  await row.first().waitFor();
  assert.match(await row.first().textContent(), /张三.*围栏内.*通过.*闪光/);
  await h.showAtTop(page.locator("#signins").locator("xpath=ancestor::section[1]"));
  await h.screenshot(page, "manager-1280-signins");
  await phoneContext.close();
  await context.close();
});

/** The fence as the relay keeps it (WGS-84 MultiPolygon coordinates). */
async function storedFence() {
  return h.manager(demo, "GET", `/sites/${demo.site.siteId}/fence`);
}

test("a hole cut into a polygon; AMap's GCJ-02 tiles show the fence shifted and save it unchanged in WGS-84", async () => {
  const { context, page } = await managerPage(h.DESKTOP_SCREEN);
  const before = await storedFence();
  // The demo fence's middle, 60 m × 60 m: cut out with Geoman's cut tool.
  const centre = demo.site.center;
  await page.evaluate(([lat, lng]) => zjMap.setView([lat, lng], 17, { animate: false }), [centre[1], centre[0]]);
  const areaOf = async () =>
    Number((await page.locator("#fence-check").textContent()).match(/面积 ([\d,]+) 平方米/)[1].replaceAll(",", ""));
  const fullArea = await areaOf();
  await page.locator(".leaflet-pm-icon-cut").click();
  const hole = square(centre, 30);
  for (const corner of [...hole, hole[0]]) await clickMap(page, corner);
  await h.eventually(async () => (await areaOf()) < fullArea, 5_000, "the area to shrink");
  assert.ok(Math.abs(fullArea - (await areaOf()) - 3_600) < 200, "a 60 m × 60 m hole");
  await page.locator("#save-fence").click();
  await page.locator("#fence-saved.ok-text").waitFor();
  const holed = await storedFence();
  assert.equal(holed.version, before.version + 1);
  assert.ok(holed.geojson.geometry.coordinates.some((rings) => rings.length === 2), "a polygon with a hole");

  // GCJ-02 tiles: the same fence is drawn about 500 m off its WGS-84 position…
  await page.locator("#tiles").selectOption("amap");
  const shown = await page.evaluate(() => {
    const layer = zjMap.pm.getGeomanLayers().find((l) => l instanceof L.Polygon);
    const point = layer.getLatLngs()[0][0];
    return [point.lng, point.lat];
  });
  const offsets = holed.geojson.geometry.coordinates.flat(2).map(([lng, lat]) => Math.hypot(lng - shown[0], lat - shown[1]));
  const nearest = Math.min(...offsets);
  assert.ok(nearest > 0.001 && nearest < 0.01, `shown ${nearest.toFixed(5)}° from the WGS-84 vertex (GCJ-02 offset)`);
  await h.screenshot(page, "manager-1280-amap-hole");
  // …and saved back unchanged (WGS-84 → GCJ-02 → WGS-84 to better than 1 cm).
  await page.locator("#save-fence").click();
  await page.locator("#fence-saved.ok-text").waitFor();
  const again = await storedFence();
  const a = holed.geojson.geometry.coordinates.flat(2);
  const b = again.geojson.geometry.coordinates.flat(2);
  assert.equal(a.length, b.length);
  // Each vertex against its nearest counterpart (rings may start at another vertex).
  const worst = Math.max(...a.map(([lng, lat]) => Math.min(...b.map(([x, y]) => Math.hypot(lng - x, lat - y)))));
  assert.ok(worst < 1e-7, `moved ${worst}° after a GCJ-02 round trip`);
  await page.locator("#tiles").selectOption("osm");
  await context.close();
});

test("enrollment codes as a QR code and as text; a phone enrolled with it appears and can be revoked", async () => {
  const { context, page } = await managerPage(h.PHONE_SCREEN);
  await page.locator("#new-code").click();
  await page.locator("#code-box").waitFor({ state: "visible" });
  const code = await page.locator("#code-text").textContent();
  assert.match(code, /^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
  assert.equal(await page.locator("#qr svg").count(), 1);
  assert.match(await page.locator("#code-link").textContent(), new RegExp(`/\\?code=${code}$`));
  await page.locator("#code-box").scrollIntoViewIfNeeded();
  await h.screenshot(page, "manager-360-code");

  // The QR code's link opens the clock-in page with the code filled in.
  const { context: phoneContext, page: phone } = await h.newPhone(browser, demo, { position: h.position(demo) });
  await phone.goto(await page.locator("#code-link").textContent());
  await phone.locator("#enroll").waitFor({ state: "visible" });
  assert.equal(await phone.locator("#enroll-code").inputValue(), code);
  await phone.locator("#enroll button[type=submit]").click();
  await phone.locator("#app").waitFor({ state: "visible" });

  await page.reload();
  await page.locator("#console").waitFor({ state: "visible" });
  const phones = page.locator("#phones li");
  await phones.first().waitFor();
  const before = await page.locator("#phones li.revoked").count();
  page.once("dialog", (dialog) => dialog.accept());
  await page.locator("#phones li:not(.revoked) button").first().click();
  await h.eventually(async () => (await page.locator("#phones li.revoked").count()) === before + 1, 5_000, "a phone revoked");
  await phoneContext.close();
  await context.close();
});

test("a wrong password is refused and asked for again", async () => {
  const context = await browser.newContext({ viewport: h.DESKTOP_SCREEN });
  await h.localOnly(context);
  const page = await context.newPage();
  await page.goto(`${demo.url}/manager`);
  await h.login(page, { name: demo.managers.admin.name, password: "not-the-password-at-all" });
  await page.locator("#login-message").filter({ hasText: "账号或密码不对" }).waitFor();
  assert.ok(await page.locator("#console").isHidden());
  await context.close();
});

test("no page broke the relay's Content-Security-Policy", () => {
  h.assertNoCspViolation();
});
