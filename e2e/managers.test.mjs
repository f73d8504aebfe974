// Two managers of two sites on the manager page, in headless Chromium against a real
// `relay demo`: the demo's manager of site-1 and a manager of a site-2 the administrator makes
// through the API. Each logs in through the form (each in a browser of their own, so each has
// their own session cookie) and sees only their own site: the sites list, the sign-ins on the
// page, and what the API answers their session. A phone clocks in at site-1 first.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import * as h from "./harness.mjs";

let demo;
let browser;
/** The two managers: `{name, password, siteId}` each. */
let one;
let two;

before(async () => {
  demo = await h.startDemo();
  browser = await h.launchBrowser();
  one = demo.managers.site;
  const site2 = await h.manager(demo, "POST", "/sites", { name: "二号工地", sn: demo.platformSn });
  two = { name: "site2-boss", password: randomBytes(12).toString("hex"), siteId: site2.siteId };
  await h.manager(demo, "POST", "/accounts", { name: two.name, role: "site", sites: [two.siteId], password: two.password });

  // A sign-in at site-1: a team phone of the demo site clocks in inside its fence.
  const { context, page } = await h.newPhone(browser, demo, { position: h.position(demo) });
  await h.enroll(page, demo.enrollCode);
  assert.equal(await h.locate(page), "inside");
  assert.equal(await h.clockIn(page), "saved");
  await h.eventually(
    async () => (await h.manager(demo, "GET", `/signins?siteId=${one.siteId}`)).length > 0,
    30_000,
    "the sign-in in the relay's log",
  );
  await context.close();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** `manager` logged in through the form in a browser context of their own. */
async function loggedIn(manager) {
  const context = await browser.newContext({ viewport: h.DESKTOP_SCREEN, locale: "zh-CN" });
  await h.localOnly(context);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(`${demo.url}/manager`);
  await h.login(page, manager);
  await page.locator("#console").waitFor({ state: "visible" });
  await page.locator("#site option").first().waitFor({ state: "attached" });
  return { context, page };
}

/** What the relay answers `path` (under /v1/manager) with the page's session cookie. */
async function asPage(page, path) {
  return page.evaluate(async (path) => {
    const response = await fetch(`/v1/manager${path}`);
    return { status: response.status, body: await response.json().catch(() => null) };
  }, path);
}

/** The site ids the page offers. */
async function offeredSites(page) {
  return page.locator("#site option").evaluateAll((options) => options.map((option) => option.value));
}

test("each manager logs in through the form and the page says who is in; logout ends it", async () => {
  for (const manager of [one, two]) {
    const { context, page } = await loggedIn(manager);
    assert.match(await page.locator("#who").textContent(), new RegExp(`${manager.name}（工地管理员 · ${manager.siteId}）`));
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "zj_manager_session");
    assert.ok(session?.httpOnly, "an HttpOnly session cookie");
    assert.equal(session.sameSite, "Strict");
    assert.equal((await asPage(page, "/session")).body.name, manager.name);
    await page.locator("#logout").click();
    await page.locator("#login").waitFor({ state: "visible" });
    assert.equal((await asPage(page, "/session")).status, 401, "logged out");
    await context.close();
  }
});

test("a manager changes their own password on the page; the old one stops working", async () => {
  const { context, page } = await loggedIn(two);
  const fresh = randomBytes(12).toString("hex");
  await page.locator("#change-password").click();
  await page.locator("#current-password").fill("not-my-password");
  await page.locator("#new-password").fill(fresh);
  await page.locator("#password-form button[type=submit]").click();
  await page.locator("#password-message.bad-text").filter({ hasText: "当前密码不对" }).waitFor();
  await page.locator("#current-password").fill(two.password);
  await page.locator("#new-password").fill(fresh);
  await page.locator("#password-form button[type=submit]").click();
  await page.locator("#password-message.ok-text").waitFor();
  await h.screenshot(page, "manager-1280-password");
  await page.locator("#password-close").click();
  assert.equal((await asPage(page, "/session")).body.name, two.name, "this session goes on");
  const old = await page.evaluate(
    async (body) => (await fetch("/v1/manager/login", { method: "POST", headers: { "content-type": "application/json" }, body })).status,
    JSON.stringify({ name: two.name, password: two.password }),
  );
  assert.equal(old, 401, "the old password no longer logs in");
  two.password = fresh;
  await context.close();
});

// Needs the per-site scoping of the manager endpoints (branch `scoping`): before it, every
// manager is offered every site.
test("each manager is offered only their own site", async () => {
  for (const [manager, other] of [[one, two], [two, one]]) {
    const { context, page } = await loggedIn(manager);
    assert.deepEqual(await offeredSites(page), [manager.siteId]);
    const sites = (await asPage(page, "/sites")).body.map((site) => site.siteId);
    assert.deepEqual(sites, [manager.siteId]);
    assert.equal((await asPage(page, `/sites/${other.siteId}/fence`)).status, 404, "another site's fence is not found");
    await context.close();
  }
});

// Needs the per-site scoping too: before it, a manager's page opens on the first site of all,
// and GET /signins without a siteId answers every site's.
test("each manager sees only their own site's sign-ins", async () => {
  const { context: c1, page: p1 } = await loggedIn(one);
  await p1.locator("#signins tbody tr[data-verdict=inside]").first().waitFor();
  const seen = (await asPage(p1, "/signins")).body;
  assert.ok(seen.length > 0 && seen.every((record) => record.siteId === one.siteId), JSON.stringify(seen));
  await h.screenshot(p1, "manager-1280-site-1");
  await c1.close();

  const { context: c2, page: p2 } = await loggedIn(two);
  await p2.locator("#signins tbody tr td").filter({ hasText: "今天还没有打卡记录" }).waitFor();
  assert.equal(await p2.locator("#signins tbody tr[data-verdict]").count(), 0);
  assert.deepEqual((await asPage(p2, "/signins")).body, [], "no sign-in of site-1");
  const other = await asPage(p2, `/signins?siteId=${one.siteId}`);
  assert.ok(other.status === 404 || (other.status === 200 && other.body.length === 0), JSON.stringify(other));
  await h.screenshot(p2, "manager-1280-site-2");
  await c2.close();
});

// Last: it locks site2-boss's logins for the rest of the window.
test("a wrong password is refused plainly, and the rate limit's message is shown", async () => {
  const context = await browser.newContext({ viewport: h.PHONE_SCREEN, locale: "zh-CN" });
  await h.localOnly(context);
  const page = await context.newPage();
  await page.goto(`${demo.url}/manager`);
  const wrong = { name: two.name, password: "not-the-password" };
  await h.login(page, wrong);
  await page.locator("#login-message").filter({ hasText: "账号或密码不对" }).waitFor();
  // Five failures lock the account: the page says so, even for the right password.
  for (let attempt = 1; attempt < 5; attempt++) {
    await h.login(page, wrong);
    await page.locator("#login-form button:not([disabled])").waitFor();
  }
  await h.login(page, two);
  await page.locator("#login-message").filter({ hasText: "稍后再试" }).waitFor();
  assert.ok(await page.locator("#console").isHidden());
  await h.screenshot(page, "manager-360-locked");
  await context.close();
});
