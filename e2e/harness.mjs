// What the end-to-end tests share: a `relay demo` of their own (the relay binary built by
// scripts/e2e.sh), headless Chromium through playwright-core, a phone (a 360×640 browser
// context with a fake position and a fake camera), and the simulator's and manager's views.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const targetDir = process.env.CARGO_TARGET_DIR ?? resolve(here, "../target");
/** The relay binary; scripts/e2e.sh builds it first. */
export const RELAY_BIN = process.env.RELAY_BIN ?? join(targetDir, "debug/relay");
/** Where screenshots go (gitignored). */
export const ARTIFACTS = join(here, "artifacts");
const FAKE_CAMERA = readFileSync(join(here, "fake-camera.js"), "utf8");
/**
 * The real face the fake camera shows (fake-camera.js): the frames and head geometry that
 * `cargo run -p zj-phone --example fake_camera_y4m` writes (scripts/e2e.sh runs it), as the
 * init script's `ZJ_FAKE_FACE`: PNG data URLs, so the camera works offline too.
 */
const FAKE_FACE_DIR = process.env.ZJ_FAKE_FACE_DIR ?? "/tmp/zj-fake-face";
function fakeFace() {
  const file = (name) => join(FAKE_FACE_DIR, name);
  if (!existsSync(file("face.json"))) {
    throw new Error(
      `${file("face.json")} is missing: run ./scripts/e2e.sh, or cargo run -p zj-phone --example fake_camera_y4m -- /tmp/zj-fake-camera.y4m ${FAKE_FACE_DIR}`,
    );
  }
  const png = (name) => `data:image/png;base64,${readFileSync(file(name)).toString("base64")}`;
  return { open: png("open.png"), closed: png("closed.png"), geometry: JSON.parse(readFileSync(file("face.json"), "utf8")) };
}
/** `fakeFace()` as JSON, read on the first phone (scripts that open no camera need none). */
let fakeFaceJson;

/** WeChat's web-view on Android, as its user agent says (`MicroMessenger`). */
export const WECHAT_USER_AGENT =
  "Mozilla/5.0 (Linux; Android 13; V2148A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) " +
  "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 MicroMessenger/8.0.48.2580(0x28003036) " +
  "WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";

/** Phone and desktop screens. */
export const PHONE_SCREEN = { width: 360, height: 640 };
export const DESKTOP_SCREEN = { width: 1280, height: 800 };

/**
 * Starts `relay demo --port 0` with a fresh data directory; resolves to its first stdout line
 * (url, simHttp, managerToken, enrollCode, site, …) with `stop()`.
 */
export async function startDemo() {
  const dataDir = mkdtempSync(join(tmpdir(), "zj-e2e-"));
  // Run from the data directory: the relay serves the pages built into it, not the cwd's.
  const child = spawn(RELAY_BIN, ["demo", "--port", "0", "--data-dir", join(dataDir, "data")], {
    cwd: dataDir,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolveLine, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`relay demo exited with ${code}`)));
    lines.once("line", resolveLine);
  });
  const demo = JSON.parse(first);
  demo.stop = async () => {
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  return demo;
}

/** Headless Debian Chromium that grants the camera without asking. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
  });
}

/**
 * A phone: a browser context at 360×640 with geolocation granted at `position`
 * (`{longitude, latitude, accuracy}`) and the fake camera in `camera` mode ("live" or "spoof");
 * `userAgent` when given (e.g. `WECHAT_USER_AGENT`).
 */
export async function newPhone(browser, demo, { position, camera = "live", screen = PHONE_SCREEN, userAgent }) {
  const context = await browser.newContext({
    userAgent,
    viewport: screen,
    deviceScaleFactor: 1,
    isMobile: screen === PHONE_SCREEN,
    hasTouch: screen === PHONE_SCREEN,
    locale: "zh-CN",
    geolocation: position,
    permissions: ["geolocation", "camera"],
  });
  await localOnly(context);
  await context.addInitScript({ content: `const ZJ_CAMERA_MODE = ${JSON.stringify(camera)};\nconst ZJ_FAKE_FACE = ${(fakeFaceJson ??= JSON.stringify(fakeFace()))};\n${FAKE_CAMERA}` });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  page.on("console", (message) => {
    if (process.env.E2E_VERBOSE || message.text().startsWith("liveness verdict")) console.error(`[${camera}] ${message.text()}`);
  });
  await page.goto(demo.url);
  return { context, page };
}

/** Enrolls the phone on `page` with `code` and waits for the clock-in screen. */
export async function enroll(page, code) {
  await page.locator("#enroll-code").fill(code);
  await page.locator("#enroll button[type=submit]").click();
  await page.locator("#app").waitFor({ state: "visible" });
}

/** A fresh team enrollment code for the demo site, from the manager API. */
export async function newEnrollCode(demo) {
  const created = await manager(demo, "POST", `/sites/${demo.site.siteId}/enrollments`, { binding: "team" });
  return created.code;
}

/**
 * `fetch`, tried once more after a network error: a keep-alive connection the server closes
 * just as the next request goes out fails with "fetch failed" through no fault of the server.
 */
async function fetchRetried(url, init) {
  try {
    return await fetch(url, init);
  } catch {
    await new Promise((done) => setTimeout(done, 200));
    return fetch(url, init);
  }
}

/** Calls the manager API; resolves to the JSON answer, throws on an error status. */
export async function manager(demo, method, path, body) {
  const response = await fetchRetried(`${demo.url}/v1/manager${path}`, {
    method,
    headers: { authorization: `Bearer ${demo.managerToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** The sign-ins the platform simulator accepted. */
export async function simSignins(demo) {
  return (await fetchRetried(`${demo.simHttp}/sim/signins`)).json();
}

/** Polls `check` (async, truthy when done) every 200 ms for up to `ms`. */
export async function eventually(check, ms = 20_000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** Saves a screenshot of `page` as artifacts/`name`.png. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The demo fence's middle and a fix `metres` east of it (about 96,000 m per degree here). */
export function position(demo, { eastM = 0, northM = 0, accuracy = 10 } = {}) {
  const [lng, lat] = demo.site.center;
  return {
    longitude: lng + eastM / (111_320 * Math.cos((lat * Math.PI) / 180)),
    latitude: lat + northM / 111_320,
    accuracy,
  };
}

/** Taps “定位” and waits for the new verdict; resolves to it (`inside`, `outside`, …). */
export async function locate(page) {
  await page.locator("#locate").click();
  await page.locator("#locate:not([disabled])").waitFor();
  return page.locator("#verdict").getAttribute("data-verdict");
}

/**
 * Taps “开始刷脸打卡” and waits until the liveness check is over: resolves to "saved" when the
 * stage closed with a record saved, or "blocked" when the page offers a retry instead.
 */
export async function clockIn(page) {
  await page.locator("#clock").click();
  await page.locator("#stage").waitFor({ state: "visible" });
  const saved = page.locator("#stage").waitFor({ state: "hidden", timeout: 40_000 }).then(() => "saved");
  const blocked = page.locator("#retry-liveness").waitFor({ state: "visible", timeout: 40_000 }).then(() => "blocked");
  return Promise.race([saved, blocked]);
}

/**
 * Waits until the service worker keeps what a clock-in needs offline: the page and the phone
 * module (cached at install), and the face detector, its model and the face mesh (fetched once
 * the page is usable; without them an offline challenge falls back to the oval). They must be
 * there at three looks 0.5 s apart: an entry written twice at once (the page's prefetch and
 * the service worker both keep it) leaves the cache for a moment while the second write lands.
 */
export async function offlineReady(page) {
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active !== null);
  const kept = () =>
    page.evaluate(async () => {
      const paths = (await (await caches.open("zj-clock-in-v1")).keys()).map((request) => new URL(request.url).pathname);
      return (
        paths.includes("/pkg/zj_attendance_bg.wasm") &&
        paths.includes("/pkg/blazeface-short.zjnn") &&
        paths.includes("/pkg/face-landmark.zjnn") &&
        paths.some((path) => /^\/pkg\/face-(simd|scalar)\.wasm$/.test(path))
      );
    });
  let looks = 0;
  await eventually(
    async () => {
      looks = (await kept()) ? looks + 1 : 0;
      if (looks < 3) await new Promise((done) => setTimeout(done, 300));
      return looks >= 3;
    },
    30_000,
    "the face detector's files in the service worker's cache",
  );
}

/** The outbox counts the page shows. */
export async function counts(page) {
  const read = async (state) => Number(await page.locator(`#count-${state}`).textContent());
  return { pending: await read("pending"), sending: await read("sending"), done: await read("done"), failed: await read("failed") };
}

/** Keeps a context off the internet (map tiles): only the local relay and simulator answer. */
export async function localOnly(context) {
  await context.route((url) => url.hostname !== "127.0.0.1" && url.hostname !== "localhost", (route) => route.abort());
  await watchCsp(context);
}

/**
 * Every Content-Security-Policy violation seen on any page of a context given to
 * `localOnly`: the pages must work under the relay's policy, so each test file ends by
 * checking this is empty (`assertNoCspViolation`).
 */
export const cspViolations = [];

/**
 * Keeps `context`'s CSP violations in `cspViolations`: the `securitypolicyviolation` event
 * (reported on the console by an init script) and Chromium's own console errors about the
 * policy.
 */
async function watchCsp(context) {
  await context.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) =>
      console.error("CSP violation: " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
        " at " + e.sourceFile + ":" + e.lineNumber));`,
  });
  const watch = (page) =>
    page.on("console", (message) => {
      const text = message.text();
      if (/CSP violation|Content Security Policy/.test(text)) cspViolations.push(`${page.url()}: ${text}`);
    });
  context.pages().forEach(watch);
  context.on("page", watch);
}

/** Fails when any page broke the relay's Content-Security-Policy (see `cspViolations`). */
export function assertNoCspViolation() {
  if (cspViolations.length > 0) throw new Error(`CSP violations:\n${cspViolations.join("\n")}`);
}

/** Fills the manager page's login form with `{name, password}` and submits it. */
export async function login(page, { name, password }) {
  await page.locator("#login-name").fill(name);
  await page.locator("#login-password").fill(password);
  await page.locator("#login-form button[type=submit]").click();
}

/** The manager's page at `screen`, logged in as `account` (the demo's administrator). */
export async function managerPage(browser, demo, screen, account = demo.managers.admin) {
  const context = await browser.newContext({ viewport: screen, locale: "zh-CN", deviceScaleFactor: 1, acceptDownloads: true });
  await localOnly(context);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(`${demo.url}/manager`);
  await login(page, account);
  await page.locator("#console").waitFor({ state: "visible" });
  await page.locator("#fence-check.ok-text").waitFor();
  return { context, page };
}

/** A phone enrolled with a personal code of the demo worker (no one to pick) at `position`. */
export async function personalPhone(browser, demo, options) {
  const { code } = await manager(demo, "POST", `/sites/${demo.site.siteId}/enrollments`, {
    binding: "personal",
    personId: demo.personId,
  });
  const phone = await newPhone(browser, demo, options);
  await enroll(phone.page, code);
  return phone;
}

/** Clicks `link` (a download) on `page`; resolves to the downloaded file's bytes and name. */
export async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path), path };
}

/**
 * RFC 4180 CSV (quoted fields with `""`, CRLF or LF) → rows of fields; a leading UTF-8 BOM is
 * dropped. Throws on a quote left open.
 */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  const input = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && input[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (quoted) throw new Error("CSV: a quoted field is not closed");
  if (field !== "" || row.length) rows.push([...row, field]);
  return rows;
}

/**
 * Adds a person to the platform's roster of the demo's sn (the simulator's /sim/persons and a
 * T_SEND_PERSON task) and waits until the relay's roster of the demo site has them.
 */
export async function addRosterPerson(demo, { personId, name }) {
  const post = (path, body) =>
    fetchRetried(`${demo.simHttp}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("/sim/persons", [{ personId, name }]);
  await post("/sim/tasks", { sn: demo.platformSn, apicode: "T_SEND_PERSON", personIds: [personId] });
  await eventually(
    async () => {
      const roster = await manager(demo, "GET", `/sites/${demo.site.siteId}/roster`);
      return roster.persons.some((person) => person.personId === personId);
    },
    90_000,
    `${name} on the demo site's roster`,
  );
}

/**
 * Files an out-of-fence request on the clock-in page (it shows the request form when the fix is
 * outside the fence): picks `reason`, writes `note`, runs the face check, and waits until the
 * relay answered: "submitted, waiting for the manager", or "clock-in delivered" when the relay
 * approved it at once (an approved work area).
 */
export async function fileRequest(page, { reason, note }) {
  await page.locator("#request-form").waitFor({ state: "visible" });
  await page.locator("#oof-reason").selectOption(reason);
  await page.locator("#oof-note").fill(note);
  await page.locator("#request").click();
  await page.locator("#stage").waitFor({ state: "visible" });
  // The face check, tried again (its 再试一次) when a busy machine delays the camera's frames.
  for (let attempt = 1; ; attempt++) {
    const wait = (selector, state, outcome) =>
      page.locator(selector).waitFor({ state, timeout: 40_000 }).then(() => outcome, () => "timeout");
    const outcome = await Promise.race([wait("#stage", "hidden", "saved"), wait("#retry-liveness", "visible", "blocked")]);
    if (outcome === "saved") break;
    const prompt = await page.locator("#prompt").textContent();
    if (outcome === "timeout" || attempt === 3) throw new Error(`the face check: ${outcome} at attempt ${attempt}: ${prompt}`);
    console.error(`face check attempt ${attempt} blocked (${prompt}); trying again`);
    await page.locator("#retry-liveness").click();
    await page.locator("#retry-liveness").waitFor({ state: "hidden" });
  }
  await page
    .locator("#result")
    .filter({ hasText: /外勤申请已提交|打卡成功/ })
    .waitFor({ timeout: 30_000 })
    .catch(async (error) => {
      throw new Error(`${error.message}\nthe page says: ${await page.locator("#result").textContent()}`);
    });
}

/** Scrolls `locator`'s element to the top of the window (below the manager page's title bar). */
export function showAtTop(locator) {
  return locator.evaluate((element) => element.scrollIntoView());
}

/**
 * Waits until the clock-in page's list of the worker's requests (fetched again with its
 * 刷新 button) shows a request in `state`, with the manager's `comment` when given.
 */
export async function workerSeesRequest(page, { state, comment }) {
  const item = page.locator(`#requests-list li.request[data-state="${state}"]`);
  await eventually(
    async () => {
      await page.locator("#requests-refresh:not([disabled])").click();
      await page.locator("#requests-refresh:not([disabled])").waitFor();
      if (!(await item.count())) return false;
      return !comment || (await item.last().textContent()).includes(comment);
    },
    30_000,
    `a ${state} request on the worker's page`,
  );
  await item.last().scrollIntoViewIfNeeded();
  return item.last();
}
