// The site manager's day (issue 17) in headless Chromium against a real `relay demo`: two
// clock-ins of the demo worker (inside the fence, and on its edge: uncertain, flagged) and a
// second person who never clocks in. The manager page's day sheet shows the present and the
// absent with their flags, filters them, opens a person's punches and a punch's detail (map,
// verdict, liveness scores, frames, delivery times), shows today's punches on the map by verdict,
// keeps the site's day start hour, and downloads the sheet and the punch list as CSV and Excel
// files, read back here. Screenshots at 1280×800 and 360×640.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readSheet } from "read-excel-file/node";
import * as h from "./harness.mjs";

let demo;
let browser;
/** The second person of the roster: never clocks in. */
const ABSENT = { personId: "P-E2E-LISI", name: "李四" };
/** Today in Beijing, `YYYY-MM-DD`. */
const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

before(async () => {
  demo = await h.startDemo();
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test("two clock-ins of the demo worker (inside; on the edge, flagged) while a second person joins the roster", async () => {
  const joined = h.addRosterPerson(demo, ABSENT);
  const inside = await h.personalPhone(browser, demo, { position: h.position(demo) });
  assert.equal(await h.locate(inside.page), "inside");
  assert.equal(await h.clockIn(inside.page), "saved");
  await inside.page.locator("#result.ok-text").waitFor({ timeout: 20_000 });
  await inside.context.close();

  // The demo fence's east edge is 0.002° east of its middle: a 30 m fix there is uncertain,
  // accepted and flagged by the demo's policy.
  const [lng, lat] = demo.site.center;
  const edge = await h.personalPhone(browser, demo, { position: { longitude: lng + 0.002, latitude: lat, accuracy: 30 } });
  assert.equal(await h.locate(edge.page), "uncertain");
  assert.equal(await h.clockIn(edge.page), "saved");
  await edge.page.locator("#result.ok-text").waitFor({ timeout: 20_000 });
  await edge.context.close();
  await h.eventually(async () => (await h.simSignins(demo)).length === 2, 20_000, "both at the platform");
  await joined;
});

test("the day sheet: present and absent, flags as chips, filters, a person's punches and a punch's detail", async () => {
  const { context, page } = await h.managerPage(browser, demo, h.DESKTOP_SCREEN);
  const day = page.locator(`.sheet-day[data-date="${today}"]`);
  await day.waitFor();
  assert.match(await day.locator(".count-present").textContent(), /出勤 1/);
  assert.match(await day.locator(".count-absent").textContent(), /缺勤 1/);
  const worker = day.locator(`tr.sheet-row[data-person-id="${demo.personId}"]`);
  assert.match(await worker.textContent(), /张三\d\d:\d\d\d\d:\d\d2/);
  assert.equal(await worker.locator('[data-flag="fenceUncertain"]').count(), 1, "the edge punch's flag");
  const absent = day.locator(`tr.sheet-row[data-person-id="${ABSENT.personId}"]`);
  assert.equal(await absent.getAttribute("data-absent"), "true");
  assert.match(await absent.textContent(), /李四.*缺勤/);

  // Today's punches on the map: one inside, one uncertain, and the legend counts them.
  await h.eventually(async () => (await page.locator(".punch-point.verdict-inside").count()) === 1, 20_000, "the inside point");
  assert.equal(await page.locator(".punch-point.verdict-uncertain").count(), 1);
  assert.match(await page.locator(".map-legend").textContent(), /围栏内 1.*围栏外 0.*无法确定 1/);
  await page.evaluate(() => scrollTo(0, 0));
  await h.screenshot(page, "manager-1280-map-points");

  // Filters: absent only, flagged only, a search by name.
  await page.locator("#sheet-absent").check();
  await h.eventually(async () => (await day.locator("tr.sheet-row").count()) === 1, 10_000, "only the absent");
  assert.equal(await day.locator(`tr.sheet-row[data-person-id="${ABSENT.personId}"]`).count(), 1);
  await page.locator("#sheet-absent").uncheck();
  await page.locator("#sheet-flagged").check();
  await h.eventually(
    async () => (await day.locator("tr.sheet-row").count()) === 1 && (await worker.count()) === 1,
    10_000,
    "only the flagged worker",
  );
  await page.locator("#sheet-flagged").uncheck();
  await page.locator("#sheet-person").fill("李");
  await h.eventually(
    async () => (await day.locator("tr.sheet-row").count()) === 1 && (await absent.count()) === 1,
    10_000,
    "only 李四",
  );
  await page.locator("#sheet-person").fill("");
  await h.eventually(async () => (await day.locator("tr.sheet-row").count()) === 2, 10_000, "everyone again");
  await h.showAtTop(page.locator("#sheet-section"));
  await h.screenshot(page, "manager-1280-sheet");

  // The worker's row opens their two punches; the uncertain one opens its detail.
  await worker.click();
  const chips = page.locator("tr.sheet-punches .punch-chip");
  await h.eventually(async () => (await chips.count()) === 2, 10_000, "two punches under the row");
  await page.locator("tr.sheet-punches .punch-chip.verdict-uncertain").click();
  const dialog = page.locator("#punch-dialog");
  await dialog.waitFor({ state: "visible" });
  await page.locator("#punch-facts dd").first().waitFor();
  const facts = await page.locator("#punch-facts").textContent();
  assert.match(facts, /张三/);
  assert.match(facts, /无法确定，距围栏边界 \d+ 米/);
  assert.match(facts, /精度 ±30 米/);
  assert.match(facts, /摄像头活体检测/);
  assert.match(facts, /围栏边界不确定/);
  for (const label of ["手机保存", "中继收到", "平台接收"]) {
    assert.match(facts, new RegExp(`${label}\\d{4}/\\d{1,2}/\\d{1,2} \\d\\d:\\d\\d:\\d\\d`), `${label} has a time`);
  }
  const checks = page.locator("#punch-checks tbody tr[data-outcome=passed]");
  assert.ok((await checks.count()) >= 2, "the liveness checks, each with its score");
  // Score and pass score, two decimals each (a turn's are degrees: 38.21 of 15.00).
  const cells = await checks.first().locator("td").allTextContents();
  assert.match(cells[2], /^\d+\.\d\d$/, `the score: ${cells}`);
  assert.match(cells[3], /^\d+\.\d\d$/, `the pass score: ${cells}`);
  assert.ok((await page.locator("#punch-frames img").count()) > 0, "evidence frames");
  assert.equal(await page.locator("#punch-map .accuracy-circle").count(), 1, "the fix's accuracy circle");
  assert.equal(await page.locator("#punch-map .outline-fence").count(), 1, "the fence");
  await h.screenshot(page, "manager-1280-punch");
  await page.locator("#punch-close").click();

  // A row of the punch list opens the same detail.
  await page.locator("#punches tbody tr.punch-row[data-verdict=inside]").click();
  await page.locator("#punch-facts dd").first().waitFor();
  assert.match(await page.locator("#punch-facts").textContent(), /围栏内/);
  await page.locator("#punch-close").click();
  await context.close();
});

test("exports: the sheet and the punch list as CSV and Excel, with the rows the page shows", async () => {
  const { context, page } = await h.managerPage(browser, demo, h.DESKTOP_SCREEN);
  await page.locator(`.sheet-day[data-date="${today}"]`).waitFor();

  const sheetCsv = await h.download(page, page.locator("#export-sheet-csv"));
  assert.match(sheetCsv.name, /\.csv$/);
  assert.deepEqual([...sheetCsv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a BOM");
  assert.ok(sheetCsv.bytes.toString("utf8").includes("\r\n"), "CRLF");
  const sheetRows = h.parseCsv(sheetCsv.bytes.toString("utf8"));
  checkSheetRows(sheetRows);

  const sheetXlsx = await h.download(page, page.locator("#export-sheet-xlsx"));
  assert.match(sheetXlsx.name, /\.xlsx$/);
  checkSheetRows((await readSheet(sheetXlsx.path)).map((row) => row.map((cell) => (cell === null ? "" : String(cell)))));

  const punchesCsv = await h.download(page, page.locator("#export-punches-csv"));
  checkPunchRows(h.parseCsv(punchesCsv.bytes.toString("utf8")));
  const punchesXlsx = await h.download(page, page.locator("#export-punches-xlsx"));
  checkPunchRows((await readSheet(punchesXlsx.path)).map((row) => row.map((cell) => (cell === null ? "" : String(cell)))));

  // The filters go with the export: absent only is 李四 alone.
  await page.locator("#sheet-absent").check();
  await h.eventually(async () => /absent=1/.test(await page.locator("#export-sheet-csv").getAttribute("href")), 5_000, "the filter in the link");
  const absentRows = h.parseCsv((await h.download(page, page.locator("#export-sheet-csv"))).bytes.toString("utf8"));
  assert.equal(absentRows.filter((row) => row.length > 1).length, 2, "the header and 李四");
  assert.ok(absentRows[1].includes(ABSENT.name));
  await context.close();
});

/** The day sheet's table (CSV or Excel): a header, 张三 present with 2 punches and the edge's
 * flag, 李四 absent. */
function checkSheetRows(rows) {
  const [header, ...body] = rows.filter((row) => row.length > 1);
  for (const title of ["日期", "姓名", "首次打卡", "末次打卡", "打卡次数"]) assert.ok(header.includes(title), `column ${title}`);
  const column = (title) => header.indexOf(title);
  const worker = body.find((row) => row[column("姓名")] === "张三");
  assert.ok(worker, JSON.stringify(rows));
  assert.equal(worker[column("日期")], today);
  assert.equal(Number(worker[column("打卡次数")]), 2);
  assert.match(worker.join(","), /围栏边界不确定/);
  const absent = body.find((row) => row[column("姓名")] === ABSENT.name);
  assert.ok(absent, "李四 is listed");
  assert.match(absent.join(","), /缺勤/);
}

/** The punch list's table: a header and the worker's two punches, at the platform. */
function checkPunchRows(rows) {
  const [header, ...body] = rows.filter((row) => row.length > 1);
  for (const title of ["打卡时间", "姓名", "状态", "围栏判断"]) assert.ok(header.includes(title), `column ${title}`);
  assert.equal(body.length, 2, JSON.stringify(rows));
  for (const row of body) {
    assert.equal(row[header.indexOf("姓名")], "张三");
    assert.equal(row[header.indexOf("状态")], "已送达平台");
  }
}

test("the day start hour is kept for the site; a range shows one block a day", async () => {
  const { context, page } = await h.managerPage(browser, demo, h.DESKTOP_SCREEN);
  await page.locator(`.sheet-day[data-date="${today}"]`).waitFor();
  await page.locator(".day-start summary").click();
  await page.locator("#day-start-hour").selectOption("23");
  await page.locator("#save-day-start").click();
  await page.locator("#day-start-message.ok-text").waitFor();
  const sites = await h.manager(demo, "GET", "/sites");
  assert.equal(sites.find((site) => site.siteId === demo.site.siteId).dayStartHour, 23);
  // Before 23:00 Beijing time, "today" for a day starting at 23:00 is the calendar day before.
  await page.locator("#sheet-today").click();
  const attendanceToday = new Date(Date.now() + (8 - 23) * 3_600_000).toISOString().slice(0, 10);
  assert.equal(await page.locator("#sheet-from").inputValue(), attendanceToday);
  assert.equal(await page.locator("#sheet-to").inputValue(), attendanceToday);
  await page.locator("#day-start-hour").selectOption("0");
  await page.locator("#save-day-start").click();
  await page.locator("#day-start-message.ok-text").filter({ hasText: "0 点" }).waitFor();

  const yesterday = new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10);
  await page.locator("#sheet-from").fill(yesterday);
  await page.locator("#sheet-to").fill(today);
  await page.locator("#sheet-to").dispatchEvent("change");
  await h.eventually(async () => (await page.locator(".sheet-day").count()) === 2, 10_000, "two days");
  assert.match(await page.locator(`.sheet-day[data-date="${yesterday}"] .count-present`).textContent(), /出勤 0/);
  await context.close();
});

test("at 360×640: the sheet and a punch's detail fit a phone", async () => {
  const { context, page } = await h.managerPage(browser, demo, h.PHONE_SCREEN);
  const day = page.locator(`.sheet-day[data-date="${today}"]`);
  await day.waitFor();
  await h.showAtTop(page.locator("#sheet-section"));
  await h.screenshot(page, "manager-360-sheet");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `no sideways scrolling of the page (${width} px)`);
  await page.locator("#punches tbody tr.punch-row").first().click();
  await page.locator("#punch-facts dd").first().waitFor();
  const box = await page.locator("#punch-close").boundingBox();
  assert.ok(box.height >= 44, "a large close button");
  await h.screenshot(page, "manager-360-punch");
  await context.close();
});

test("no page broke the relay's Content-Security-Policy", () => {
  h.assertNoCspViolation();
});
