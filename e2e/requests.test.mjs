// Out-of-fence requests (外勤申请, issue 17) end to end in headless Chromium against a real
// `relay demo`: a worker 600 m outside the fence files a request from the clock-in page (the
// fake position and camera of the other tests); the manager sees it (badge, photo, liveness,
// place) and approves it: it reaches the platform simulator once, with the time the worker
// clocked in. A second request is rejected (only with a reason): it never reaches the platform.
// The worker's page shows both outcomes. Then the manager draws an approved work area around a
// supplier's yard with auto-approve on: a request made there is approved at once.

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

/** The worker's phone, 600 m east of the fence: outside. */
let worker;

/** The manager API's requests of the demo site in `state`. */
async function requests(state = "all") {
  return h.manager(demo, "GET", `/requests?siteId=${demo.site.siteId}&state=${state}`);
}

/** The platform's sign-ins with `recordTime`. */
async function atPlatform(recordTime) {
  return (await h.simSignins(demo)).filter((signin) => signin.recordTime === recordTime);
}

test("a worker outside the fence files a request; the manager approves it; it reaches the platform once with its time", async () => {
  worker = await h.personalPhone(browser, demo, { position: h.position(demo, { eastM: 600 }) });
  assert.equal(await h.locate(worker.page), "outside");
  await h.fileRequest(worker.page, { reason: "supplier", note: "去供应商处验收钢筋" });
  await h.screenshot(worker.page, "phone-360-request-filed");
  const [filed] = (await requests("pending")).requests;
  assert.equal(filed.personId, demo.personId);
  assert.equal(filed.reason, "supplier");
  assert.equal(filed.note, "去供应商处验收钢筋");
  assert.equal((await h.simSignins(demo)).length, 0, "not at the platform while pending");

  const { context, page } = await h.managerPage(browser, demo, h.DESKTOP_SCREEN);
  await page.locator("#requests-badge:not([hidden])").waitFor();
  assert.equal(await page.locator("#requests-count").textContent(), "1");
  const item = page.locator(`#requests-list li.request[data-id="${filed.id}"]`);
  await item.waitFor();
  const text = await item.textContent();
  assert.match(text, /张三/);
  assert.match(text, /待审批/);
  assert.match(text, /去供应商处验收钢筋/);
  assert.match(text, /位置：围栏外，距围栏 \d+ 米/);
  assert.match(text, /活体：通过/);
  await h.eventually(() => item.locator("img.request-photo").evaluate((img) => img.complete && img.naturalWidth > 0), 10_000, "the photo");

  // Its place and liveness in the detail dialog.
  await item.locator(".request-detail").click();
  await page.locator("#punch-facts dd").first().waitFor();
  assert.match(await page.locator("#punch-facts").textContent(), /围栏外.*外勤申请/s);
  assert.equal(await page.locator("#punch-map .accuracy-circle").count(), 1);
  assert.equal(await page.locator("#punch-map .punch-point.verdict-outside").count(), 1);
  await page.locator("#punch-close").click();
  await h.showAtTop(page.locator("#requests-section"));
  await h.screenshot(page, "manager-1280-request");

  await item.locator("button.approve").click();
  const approved = page.locator(`#requests-list li.request[data-id="${filed.id}"][data-state=approved]`);
  await approved.waitFor();
  assert.match(await approved.textContent(), /已批准.*审批人 demo-admin/s);
  await h.eventually(async () => (await atPlatform(filed.recordTime)).length === 1, 30_000, "the approved record at the platform");
  await new Promise((done) => setTimeout(done, 3_000));
  assert.equal((await atPlatform(filed.recordTime)).length, 1, "exactly once");
  assert.equal((await h.simSignins(demo)).length, 1);
  // The page follows it to the platform.
  await page.locator("#reload-requests").click();
  await page.locator(`#requests-list li.request[data-id="${filed.id}"] .forwarding-done`).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator("#requests-badge").isHidden(), true, "nothing waits any more");
  await context.close();

  const seen = await h.workerSeesRequest(worker.page, { state: "approved" });
  assert.match(await seen.textContent(), /已批准.*去供应商处验收钢筋/s);
  await h.screenshot(worker.page, "phone-360-request-approved");
});

test("a rejected request needs a reason, never reaches the platform, and the worker reads the reason", async () => {
  assert.equal(await h.locate(worker.page), "outside");
  await h.fileRequest(worker.page, { reason: "errand", note: "去银行办事" });
  const filed = (await requests("pending")).requests.find((request) => request.note === "去银行办事");
  assert.ok(filed, "the second request is pending");
  const before = (await h.simSignins(demo)).length;

  const { context, page } = await h.managerPage(browser, demo, h.PHONE_SCREEN);
  const item = page.locator(`#requests-list li.request[data-id="${filed.id}"]`);
  await item.waitFor();
  await item.scrollIntoViewIfNeeded();
  await h.screenshot(page, "manager-360-request");
  for (const button of ["button.approve", "button.reject"]) {
    const box = await item.locator(button).boundingBox();
    assert.ok(box.height >= 48 && box.width >= 120, `${button} is a large touch target`);
  }
  await item.locator("button.reject").click();
  assert.match(await item.locator(".request-message").textContent(), /驳回时请写明原因/);
  assert.equal((await requests("pending")).requests.length, 1, "nothing sent without a reason");
  await item.locator("textarea.request-comment").fill("今天没有安排外出，请回工地打卡");
  await item.locator("button.reject").click();
  const rejected = page.locator(`#requests-list li.request[data-id="${filed.id}"][data-state=rejected]`);
  await rejected.waitFor();
  assert.match(await rejected.textContent(), /已驳回.*意见：今天没有安排外出，请回工地打卡/s);
  await context.close();

  await new Promise((done) => setTimeout(done, 5_000));
  assert.equal((await h.simSignins(demo)).length, before, "a rejected request is never sent");
  assert.equal((await atPlatform(filed.recordTime)).length, 0);
  const seen = await h.workerSeesRequest(worker.page, { state: "rejected", comment: "今天没有安排外出，请回工地打卡" });
  assert.match(await seen.textContent(), /已驳回.*管理员意见：今天没有安排外出，请回工地打卡/s);
  await h.screenshot(worker.page, "phone-360-request-rejected");
});

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

test("an approved work area drawn like the fence, auto-approve on: a request made there is approved at once", async () => {
  const yard = h.position(demo, { northM: 800 });
  const { context, page } = await h.managerPage(browser, demo, h.DESKTOP_SCREEN);
  await page.locator("#edit-areas").click();
  await page.locator("#areas-dialog").waitFor({ state: "visible" });
  assert.match(await page.locator("#areas-check").textContent(), /还没有外勤区域/);
  await page.evaluate(([lat, lng]) => zjAreaMap.setView([lat, lng], 17, { animate: false }), [yard.latitude, yard.longitude]);
  await page.locator("#areas-map .leaflet-pm-icon-polygon").click();
  const corners = square([yard.longitude, yard.latitude], 60);
  for (const corner of [...corners, corners[0]]) {
    const point = await page.evaluate(([lat, lng]) => zjAreaMap.latLngToContainerPoint([lat, lng]), [corner[1], corner[0]]);
    const box = await page.locator("#areas-map").boundingBox();
    await page.mouse.click(box.x + point.x, box.y + point.y);
  }
  await page.locator("#areas-check.ok-text").waitFor();
  assert.match(await page.locator("#areas-check").textContent(), /外勤区域有效：1 个多边形/);
  assert.ok(await page.locator("#auto-approve").isChecked());
  await h.screenshot(page, "manager-1280-work-areas");
  await page.locator("#save-areas").click();
  await page.locator("#areas-saved.ok-text").waitFor();
  const stored = await h.manager(demo, "GET", `/sites/${demo.site.siteId}/work-areas`);
  assert.equal(stored.autoApprove, true);
  assert.equal(stored.geojson.geometry.coordinates.length, 1);
  await page.locator("#areas-close").click();
  assert.match(await page.locator("#areas-status").textContent(), /第 1 版，1 个区域，区域内的申请自动批准/);
  assert.equal(await page.locator("#map .outline-area").count(), 1, "the area on the page's map");

  // A worker at the yard: outside the fence, inside the area.
  const before = (await h.simSignins(demo)).length;
  const atYard = await h.personalPhone(browser, demo, { position: yard });
  assert.equal(await h.locate(atYard.page), "outside");
  await h.fileRequest(atYard.page, { reason: "supplier", note: "供应商场地" });
  const auto = (await requests("approved")).requests.find((request) => request.note === "供应商场地");
  assert.ok(auto, "approved at once");
  assert.equal(auto.auto, true);
  assert.equal(auto.decidedBy, "auto");
  await h.eventually(async () => (await atPlatform(auto.recordTime)).length === 1, 20_000, "the auto-approved record at the platform");
  assert.equal((await h.simSignins(demo)).length, before + 1);
  await page.locator("#reload-requests").click();
  const item = page.locator(`#requests-list li.request[data-id="${auto.id}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /自动批准/);
  await atYard.context.close();
  await worker.context.close();
  await context.close();
});

test("no page broke the relay's Content-Security-Policy", () => {
  h.assertNoCspViolation();
});
