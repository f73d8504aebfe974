// The manager page's log of manager actions (GET /v1/manager/actions): who changed which
// site's fence, made codes, stopped phones, created sites and assigned persons, newest first,
// for the sites this manager sees. Every member is shown as text; an entry whose details cannot
// be read is still listed, with its kind.

import { api } from "./manager-api.js";

const $ = (id) => document.getElementById(id);

/** Entries shown. */
const SHOWN = 100;

const BINDING_ZH = { team: "班组手机", personal: "个人手机" };

function time(ms) {
  return Number.isFinite(ms) ? new Date(ms).toLocaleString("zh-CN", { hour12: false }) : "—";
}

/** A list of ids as text, e.g. "W1、W2", with names when known. */
function people(ids, names) {
  if (!Array.isArray(ids) || !ids.length) return "";
  return ids.map((id) => names.get(id) ?? String(id)).join("、");
}

/** What each kind of action says, from its detail. */
const DESCRIBE = {
  "fence.put": (d) => `修改围栏：第 ${d.before?.version ?? "—"} 版 → 第 ${d.after?.version ?? d.version} 版`,
  "enrollment.create": (d) =>
    `生成登记码 …${d.codeEnd}（${BINDING_ZH[d.binding] ?? d.binding}${d.personId ? ` ${d.personId}` : ""}），有效期至 ${time(d.expiresAtMs)}`,
  "phone.revoke": (d) => `停用手机 ${d.accessId}`,
  "site.create": (d) => `创建工地 ${d.name}（设备号 ${d.sn}）`,
  "roster.change": (d, names) =>
    [
      d.added?.length ? `加入花名册：${people(d.added, names)}` : "",
      d.removed?.length ? `移出花名册：${people(d.removed, names)}` : "",
      d.keptFor ? "（新建同一设备号的工地时保留原有人员）" : "",
    ].filter(Boolean).join("；"),
  "account.create": (d) => `创建账号 ${d.name}`,
};

/** One entry's description as text, never throwing on odd data. */
export function describe(action, names = new Map()) {
  const detail = action?.detail && typeof action.detail === "object" ? action.detail : {};
  const kind = String(action?.action ?? "?");
  try {
    const text = DESCRIBE[kind]?.(detail, names);
    return typeof text === "string" && text ? text : kind;
  } catch {
    return `${kind}（详情无法显示）`;
  }
}

/**
 * Shows the newest manager actions this manager may see; `sites` names the sites, `names` the
 * persons (by id). A failure is said in the section, not thrown.
 */
export async function showActions(sites, names = new Map()) {
  let actions;
  try {
    actions = await api("GET", `/actions?limit=${SHOWN}`);
  } catch (error) {
    $("actions-message").textContent = `操作记录读取失败：${error.message}`;
    return;
  }
  $("actions-message").textContent = "";
  const siteNames = new Map((sites ?? []).map((s) => [s.siteId, s.name]));
  const rows = (Array.isArray(actions) ? actions : []).map((action) => {
    const li = document.createElement("li");
    li.className = "record action";
    li.dataset.action = String(action?.action ?? "");
    const site = action?.siteId ? siteNames.get(action.siteId) ?? String(action.siteId) : "—";
    const when = document.createElement("span");
    when.className = "muted";
    when.textContent = `${time(action?.atMs)} · ${String(action?.account ?? "?")} · ${site}`;
    const what = document.createElement("div");
    what.textContent = describe(action, names);
    li.append(when, what);
    return li;
  });
  if (!rows.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "还没有操作记录。";
    rows.push(li);
  }
  $("actions").replaceChildren(...rows);
}
