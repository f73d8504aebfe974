// The manager page's day sheet (考勤日报) and punch list (打卡明细) of the selected site: a date
// or a range (today in Beijing by default), filters (flagged only, absent only, a person), each
// day's present / absent counts and one row a person (first and last punch, how many, the flags
// as chips); a row opens that person's punches of the day, a punch its detail. The exports
// (CSV, Excel) download the same lists with the same filters; the site's day start hour is set
// here too. Read from GET /v1/manager/sites/{siteId}/sheet and /punches.

import { api } from "./manager-api.js";
import { openPunch } from "./manager-punch.js";
import {
  beijingClock,
  attendanceDate,
  beijingTime,
  chip,
  dayLabel,
  el,
  finite,
  flagChips,
  list,
  metres,
  PUNCH_STATE_ZH,
  say,
  text,
  VERDICT_ZH,
} from "./manager-view.js";

const $ = (id) => document.getElementById(id);

/** The longest range the relay lists at once, days (its `range_too_long` otherwise). */
const MAX_RANGE_DAYS = 31;
/** Milliseconds in a day. */
const DAY_MS = 86_400_000;
/** How long typing in the person search waits before the lists are read again, ms. */
const SEARCH_PAUSE_MS = 400;

/** The selected site (the page's own object: its day start hour is kept on it). */
let site = null;
/** The lists' generation: an answer to an older query than the newest is not shown. */
let generation = 0;

/** The selected site's attendance day now (`YYYY-MM-DD`), after its day start hour. */
function today() {
  return attendanceDate(site?.dayStartHour);
}

/** Whether the form shows exactly today (the day the quiet refresh keeps current). */
function showsToday() {
  return $("sheet-from").value === today() && $("sheet-to").value === today();
}

/** Puts today into both dates of the form. */
function setToday() {
  $("sheet-from").value = today();
  $("sheet-to").value = today();
}

/** Wires the form, the exports and the day start hour (once, at start). */
export function setupSheet() {
  setToday();
  $("sheet-today").addEventListener("click", () => {
    setToday();
    refreshSheet();
  });
  $("sheet-from").addEventListener("change", () => {
    if (!$("sheet-to").value || $("sheet-to").value < $("sheet-from").value) $("sheet-to").value = $("sheet-from").value;
    refreshSheet();
  });
  for (const id of ["sheet-to", "sheet-flagged", "sheet-absent"]) $(id).addEventListener("change", () => refreshSheet());
  let typing = null;
  $("sheet-person").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => refreshSheet(), SEARCH_PAUSE_MS);
  });
  $("sheet-form").addEventListener("submit", (event) => {
    event.preventDefault();
    refreshSheet();
  });
  $("reload-punches").addEventListener("click", () => refreshSheet());
  $("day-start-hour").replaceChildren(...Array.from({ length: 24 }, (_, hour) => new Option(`${hour}:00`, String(hour))));
  $("save-day-start").addEventListener("click", saveDayStart);
}

/** Shows `selected`'s sheet and punch list for the form's dates. */
export async function showSheet(selected) {
  const wasToday = showsToday();
  site = selected;
  if (wasToday) setToday();
  showDayStart();
  await refreshSheet();
}

/** The form's query, or the problem with it in Chinese (`{problem}`). */
function query() {
  const from = $("sheet-from").value || today();
  const to = $("sheet-to").value || from;
  if (to < from) return { problem: "结束日期早于开始日期：请改一下日期。" };
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    return { problem: `一次最多查看 ${MAX_RANGE_DAYS} 天：请缩短日期范围。` };
  }
  const params = new URLSearchParams({ from, to });
  const person = $("sheet-person").value.trim();
  if (person) params.set("person", person);
  if ($("sheet-flagged").checked) params.set("flagged", "1");
  if ($("sheet-absent").checked) params.set("absent", "1");
  return { params };
}

/**
 * Reads the lists again on the page's timer, quietly: only while they show today alone (a
 * longer range is read when asked) and no person's punches are open (nothing the manager is
 * looking at moves).
 */
export function refreshToday() {
  if (!site || !showsToday() || document.querySelector(".sheet-punches")) return;
  refreshSheet({ quiet: true });
}

/** Reads and shows the sheet and the punch list again; updates the export links. `quiet`:
 * without the "reading" message (a failure is still said). */
export async function refreshSheet({ quiet = false } = {}) {
  if (!site) return;
  const mine = ++generation;
  const { params, problem } = query();
  setExports(params);
  if (problem) {
    say("sheet-message", problem, false);
    return;
  }
  if (!quiet) say("sheet-message", "正在读取…");
  const base = `/sites/${encodeURIComponent(site.siteId)}`;
  const punchParams = new URLSearchParams(params);
  punchParams.delete("absent");
  try {
    const [sheet, punches] = await Promise.all([api("GET", `${base}/sheet?${params}`), api("GET", `${base}/punches?${punchParams}`)]);
    // A person's punches opened meanwhile stay open: a quiet refresh gives way.
    if (mine !== generation || (quiet && document.querySelector(".sheet-punches"))) return;
    say("sheet-message", "");
    showDays(sheet);
    showPunchList(list(punches?.punches), params.get("from") !== params.get("to"));
  } catch (error) {
    if (mine === generation) say("sheet-message", `日报读取失败：${error.message}`, false);
  }
}

/** Points the export links at the lists the form selects (disabled when it selects none). */
function setExports(params) {
  const base = site ? `/v1/manager/sites/${encodeURIComponent(site.siteId)}` : "";
  for (const [id, file] of [
    ["export-sheet-csv", "sheet.csv"],
    ["export-sheet-xlsx", "sheet.xlsx"],
    ["export-punches-csv", "punches.csv"],
    ["export-punches-xlsx", "punches.xlsx"],
  ]) {
    const link = $(id);
    const usable = Boolean(site && params);
    link.toggleAttribute("aria-disabled", !usable);
    if (usable) {
      const own = new URLSearchParams(params);
      if (file.startsWith("punches")) own.delete("absent");
      link.href = `${base}/${file}?${own}`;
    } else {
      link.removeAttribute("href");
    }
  }
}

/** The sheet's days, one block each: counts, then one row a person. */
function showDays(sheet) {
  const hour = finite(sheet?.dayStartHour);
  if (hour !== null && site) {
    site.dayStartHour = hour;
    showDayStart();
  }
  const days = list(sheet?.days).map((day) => dayBlock(day, hour ?? 0));
  if (!days.length) days.push(el("p", "muted", "这段日期没有考勤数据。"));
  $("sheet-days").replaceChildren(...days);
}

function dayBlock(day, startHour) {
  const block = el("div", "sheet-day");
  const date = text(day?.date) ?? "";
  block.dataset.date = date;
  const head = el("h3", "sheet-day-head");
  const present = el("span", "badge ok count-present", `出勤 ${finite(day?.present) ?? 0}`);
  const absent = el("span", "badge bad count-absent", `缺勤 ${finite(day?.absent) ?? 0}`);
  head.append(el("span", "", date ? dayLabel(date) : "?"), present, absent);
  const table = el("table", "sheet-table");
  const thead = el("thead");
  const headRow = el("tr");
  for (const title of ["姓名", "首次", "末次", "次数", "标记"]) headRow.append(el("th", "", title));
  thead.append(headRow);
  const body = el("tbody");
  const rows = list(day?.rows);
  for (const row of rows) body.append(personRow(row, date, startHour));
  if (!rows.length) body.append(messageRow("没有符合条件的人员。", 5));
  table.append(thead, body);
  const wrap = el("div", "table-wrap");
  wrap.append(table);
  block.append(head, wrap);
  return block;
}

/** One person's row of a day; a click opens their punches of that day beneath it. */
function personRow(row, date, startHour) {
  const tr = el("tr", `sheet-row${row?.absent ? " absent" : ""}`);
  tr.dataset.personId = text(row?.personId) ?? "";
  tr.dataset.absent = String(row?.absent === true);
  const flags = el("td", "chips");
  if (row?.absent) flags.append(chip("缺勤", "bad"));
  if (row?.onRoster === false) flags.append(chip("不在花名册", "info"));
  flags.append(...flagChips(row?.flags));
  const name = el("td", "");
  name.append(el("span", "name", text(row?.name) ?? text(row?.personId) ?? "?"));
  tr.append(name, el("td", "", beijingClock(row?.firstMs)), el("td", "", beijingClock(row?.lastMs)), el("td", "", String(finite(row?.punches) ?? 0)), flags);
  if (!row?.absent && finite(row?.punches)) {
    tr.classList.add("openable");
    tr.tabIndex = 0;
    tr.title = "点一下看这个人当天的每次打卡";
    const open = () => togglePunches(tr, row, date, startHour);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open();
      }
    });
  }
  return tr;
}

/** Opens (or closes) the row under `tr` listing `row`'s punches of `date`. */
async function togglePunches(tr, row, date, startHour) {
  const next = tr.nextElementSibling;
  if (next?.classList.contains("sheet-punches")) {
    next.remove();
    tr.classList.remove("open");
    return;
  }
  tr.classList.add("open");
  const holder = el("tr", "sheet-punches");
  const td = el("td", "", "正在读取…");
  td.colSpan = 5;
  holder.append(td);
  tr.after(holder);
  const params = new URLSearchParams({ from: date, to: date, person: String(row.personId) });
  try {
    const answer = await api("GET", `/sites/${encodeURIComponent(site.siteId)}/punches?${params}`);
    const [start, end] = dayWindow(date, startHour);
    const punches = list(answer?.punches).filter(
      (punch) => punch?.personId === row.personId && punch.recordTime >= start && punch.recordTime < end,
    );
    const buttons = punches.map((punch) => punchButton(punch));
    td.replaceChildren(...(buttons.length ? buttons : [el("span", "muted", "没有找到打卡记录。")]));
  } catch (error) {
    td.textContent = `读取失败：${error.message}`;
  }
}

/** The Beijing day `date` from `startHour` as `[start, end)` epoch milliseconds. */
function dayWindow(date, startHour) {
  const [year, month, day] = date.split("-").map(Number);
  const start = Date.UTC(year, month - 1, day, startHour) - 8 * 3_600_000;
  return [start, start + DAY_MS];
}

/** A button naming one punch (time, state, verdict) that opens its detail. */
function punchButton(punch) {
  const button = el("button", `punch-chip secondary verdict-${punch.verdict ?? "none"}`);
  button.type = "button";
  button.textContent = `${beijingClock(punch.recordTime)} · ${PUNCH_STATE_ZH[punch.state] ?? text(punch.state) ?? "?"} · ${VERDICT_ZH[punch.verdict] ?? "无判定"}`;
  button.addEventListener("click", () => openPunch(punch));
  return button;
}

/** The punch list: one row a punch, newest first; a click opens its detail. */
function showPunchList(punches, withDate) {
  const rows = [...punches]
    .sort((a, b) => (finite(b?.recordTime) ?? 0) - (finite(a?.recordTime) ?? 0))
    .map((punch) => {
      const tr = el("tr", "punch-row openable");
      tr.dataset.state = text(punch?.state) ?? "";
      tr.dataset.verdict = text(punch?.verdict) ?? "none";
      tr.dataset.recordId = text(punch?.recordId) ?? "";
      tr.tabIndex = 0;
      const flags = el("td", "chips");
      flags.append(...flagChips(punch?.flags));
      const verdict = `${VERDICT_ZH[punch?.verdict] ?? "无判定"}${finite(punch?.distanceM) === null ? "" : ` · ${metres(punch.distanceM)}`}`;
      tr.append(
        el("td", "", withDate ? beijingTime(punch?.recordTime) : beijingClock(punch?.recordTime)),
        el("td", "", text(punch?.name) ?? text(punch?.personId) ?? "?"),
        el("td", `state-${text(punch?.state) ?? ""}`, PUNCH_STATE_ZH[punch?.state] ?? text(punch?.state) ?? "—"),
        el("td", "", verdict),
        flags,
      );
      tr.addEventListener("click", () => openPunch(punch));
      tr.addEventListener("keydown", (event) => {
        if (event.key === "Enter") openPunch(punch);
      });
      return tr;
    });
  if (!rows.length) rows.push(messageRow("这段日期没有打卡记录。", 5));
  $("punches").tBodies[0].replaceChildren(...rows);
}

function messageRow(message, columns) {
  const tr = el("tr");
  const td = el("td", "muted", message);
  td.colSpan = columns;
  tr.append(td);
  return tr;
}

/** The site's day start hour, in the picker and in words. */
function showDayStart() {
  const hour = finite(site?.dayStartHour) ?? 0;
  $("day-start-hour").value = String(hour);
  $("day-start-now").textContent =
    hour === 0 ? "0 点（按自然日）" : `${hour} 点（次日 ${hour} 点前的打卡算前一天，适合夜班）`;
}

/** Saves the picked day start hour for the site, then reads the sheet again. */
async function saveDayStart() {
  const dayStartHour = Number($("day-start-hour").value);
  $("save-day-start").disabled = true;
  say("day-start-message", "正在保存…");
  try {
    await api("PUT", `/sites/${encodeURIComponent(site.siteId)}/settings`, { dayStartHour });
    site.dayStartHour = dayStartHour;
    showDayStart();
    say("day-start-message", `已保存：每天从 ${dayStartHour} 点算起。`, true);
    await refreshSheet();
  } catch (error) {
    say("day-start-message", `没有保存：${error.message}`, false);
  } finally {
    $("save-day-start").disabled = false;
  }
}
