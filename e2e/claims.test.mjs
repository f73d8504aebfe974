// The manager's sign-in table when phones send data the relay or the page does not expect
// (issue 16), in headless Chromium against a real `relay demo`: a phone enrolled at the demo
// site (hand-signed frames from Node, PROTOCOL.md §3) sends a record with well-formed liveness
// evidence, one whose evidence has `score: "x"` (the relay forwards it and flags it malformed)
// and one with none; the page shows the malformed entry as such and every other row. Then the
// sign-in list is answered with records of every odd shape: each shows as a row, none blanks
// the table.

import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import * as h from "./harness.mjs";

let demo;
let browser;

before(async () => {
  // No face photo in these records: the relay's photo check is off, so they are forwarded.
  process.env.RELAY_PHOTO_CHECK = "off";
  demo = await h.startDemo();
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** `ms` (epoch milliseconds) as a §6 `timeStamp`: `yyyyMMddHHmmss`, Beijing time. */
function timeStamp(ms) {
  const beijing = new Date(ms + 8 * 3_600_000);
  const two = (n) => String(n).padStart(2, "0");
  return `${beijing.getUTCFullYear()}${two(beijing.getUTCMonth() + 1)}${two(beijing.getUTCDate())}${two(beijing.getUTCHours())}${two(beijing.getUTCMinutes())}${two(beijing.getUTCSeconds())}`;
}

const md5 = (text) => createHash("md5").update(text, "utf8").digest("hex");

/** A team phone enrolled at the demo site, speaking hand-signed frames over `/v1/frame`. */
async function enrolledPhone() {
  const code = await h.newEnrollCode(demo);
  const enrolled = await (await fetch(`${demo.url}/v1/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  })).json();
  const { sn, accessId, accessKey, accessSecret } = enrolled.phone;
  const version = "v1.0.0";
  const send = async (fields) => {
    const response = await fetch(`${demo.url}/v1/frame`, { method: "POST", headers: { "content-type": "application/json" }, body: fields });
    return response.json();
  };
  const stamp = timeStamp(Date.now());
  const auth = await send(
    JSON.stringify({ version, sn, apicode: "C_AUTH", accessId, accessKey, timeStamp: stamp, sign: md5(`${version}${sn}C_AUTH${accessId}${accessKey}${stamp}${accessSecret}`) }),
  );
  assert.ok(auth.success, JSON.stringify(auth));
  const token = auth.response.token;
  return {
    /** Sends `record` (no photo) as a `C_SIGN_IN`; resolves to the reply. */
    signIn(record) {
      const param = JSON.stringify(record); // no `img`: param′ is the param itself
      const at = timeStamp(Date.now());
      const sign = md5(`${version}${sn}${token}C_SIGN_IN${at}${param}${accessSecret}`);
      return send(`{"version":"${version}","sn":"${sn}","token":"${token}","apicode":"C_SIGN_IN","timeStamp":"${at}","param":${param},"sign":"${sign}"}`);
    },
  };
}

/** Liveness evidence of the phone's schema: a passed blink check, no frames. */
function evidence() {
  return {
    version: 1,
    nonce: "0123456789abcdef0123456789abcdef",
    nonceSource: "local",
    steps: [{ prompt: { kind: "blink" }, timeLimitMs: 5000 }],
    overall: "live",
    checks: [{ kind: "blink", method: "landmarks", score: 0.42, passScore: 0.3, outcome: "passed", frames: 20 }],
    capture: "camera",
    lowerTrust: false,
    photoSha256: "0".repeat(64),
    frames: [],
    hash: "0".repeat(64),
  };
}

/** A record of the demo worker at the demo site's middle, with `extra` members. */
function record(extra) {
  const [lng, lat] = demo.site.center;
  return {
    personId: demo.personId,
    type: "64",
    recordTime: Date.now(),
    coordinate: { longitude: lng, latitude: lat },
    location: { source: "browser", sourceCrs: "wgs84", lng, lat, accuracyM: 10, fixAgeMs: 500, warnings: [] },
    fence: { version: 1, verdict: "inside", distanceM: 80, flagged: false },
    recordId: randomUUID(),
    ...extra,
  };
}

/** The manager's page, logged in, its sign-in table filled; `route` may answer the list. */
async function managerPage() {
  const context = await browser.newContext({ viewport: h.DESKTOP_SCREEN, locale: "zh-CN", deviceScaleFactor: 1 });
  await h.localOnly(context);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${demo.url}/manager`);
  await h.login(page, demo.managers.admin);
  await page.locator("#console").waitFor({ state: "visible" });
  return { context, page, errors };
}

test("a record with malformed liveness evidence is forwarded, and the manager sees it flagged beside the others", async () => {
  const phone = await enrolledPhone();
  const good = record({ liveness: evidence() });
  const bad = evidence();
  bad.checks[0].score = "x";
  const malformed = record({ liveness: bad });
  const none = record({});
  // The demo worker reaches the relay's roster by a platform task just after start.
  await h.eventually(async () => (await phone.signIn(good)).success, 20_000, "the first record accepted");
  for (const each of [malformed, none]) {
    const reply = await phone.signIn(each);
    assert.ok(reply.success, JSON.stringify(reply));
  }
  const forwarded = await h.simSignins(demo);
  assert.equal(forwarded.length, 3, "every record reached the platform");

  const { context, page, errors } = await managerPage();
  const rows = page.locator("#signins tbody tr");
  await page.locator("#signins tbody tr[data-liveness=malformed]").waitFor();
  assert.equal(await rows.count(), 3);
  const flagged = page.locator("#signins tbody tr[data-liveness=malformed]");
  assert.match(await flagged.textContent(), /张三.*围栏内.*证据格式有误.*已接收/);
  assert.match(await flagged.locator("td").nth(3).getAttribute("title"), /活体证据格式不符/);
  assert.match(await page.locator("#signins tbody tr[data-liveness=live]").textContent(), /通过.*眨眼 0\.42\/0\.30/);
  await h.screenshot(page, "manager-1280-malformed");
  assert.deepEqual(errors, []);
  await context.close();
});

test("sign-ins of any shape each show as a row; none blanks the table", async () => {
  const { context, page, errors } = await managerPage();
  const odd = [
    { recordId: "score-x", personId: "P1", recordTime: Date.now(), liveness: { overall: "live", checks: [{ kind: "flash", score: "x", passScore: null }] } },
    { recordId: "shapes", recordTime: "yesterday", personId: { id: 1 }, fence: "inside", relayFence: { verdict: 7, mismatch: true, claimedVerdict: [] }, liveness: { checks: "none", frames: [{ jpeg: 5 }, null, { jpeg: "\"><script>" }] }, platformResult: { state: {} } },
    null,
    7,
    { recordId: "fine", personId: "P2", recordTime: Date.now(), relayFence: { verdict: "inside", mismatch: false }, liveness: { overall: "live", checks: [{ kind: "blink", score: 0.5, passScore: 0.3 }], frames: [] }, platformResult: { state: "done" } },
  ];
  await page.route("**/v1/manager/signins?*", (route) => route.fulfill({ json: odd }));
  await page.locator("#reload-signins").click();
  await h.eventually(async () => (await page.locator("#signins tbody tr").count()) === odd.length, 5_000, "a row per record");
  assert.match(await page.locator("#signins tbody").textContent(), /闪光 \?\/\?/);
  assert.match(await page.locator("#signins tbody").textContent(), /眨眼 0\.50\/0\.30/);
  assert.equal(await page.locator("#signins tbody img").count(), 0, "no frame but base64 text becomes an image");
  assert.deepEqual(errors, []);
  await context.close();
});
