// The manager page's lists: enrollment codes (created here, shown as a QR code and as text),
// the site's phones (revoke), and today's sign-ins with the relay's fence verdict (and the
// phone's claim when they differ), liveness scores and evidence frames; evidence the relay found
// malformed is shown as such, and no record's data can break the table.

import { api } from "./manager-api.js";
import { frames, LIVENESS_ZH, list, PLATFORM_ZH, scores, text, VERDICT_ZH } from "./manager-view.js";

const $ = (id) => document.getElementById(id);

function time(ms) {
  return new Date(ms).toLocaleString("zh-CN", { hour12: false });
}

function cell(content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "—";
  return td;
}

/** Shows `code` as a QR code of the clock-in page's enrollment link, and as text. */
export function showCode({ code, expiresAtMs }) {
  const link = `${location.origin}/?code=${encodeURIComponent(code)}`;
  const qr = qrcode(0, "M");
  qr.addData(link);
  qr.make();
  $("qr").innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2 });
  $("code-text").textContent = code;
  $("code-expiry").textContent = `有效期至 ${time(expiresAtMs)}，只能用一次`;
  $("code-link").textContent = link;
  $("code-box").hidden = false;
}

/** Creates an enrollment code for `site` as the form says, and shows it. */
export async function createCode(site) {
  $("code-message").textContent = "";
  const binding = $("binding").value;
  const body = { binding };
  if (binding === "personal") body.personId = $("enroll-person").value;
  try {
    showCode(await api("POST", `/sites/${site.siteId}/enrollments`, body));
  } catch (error) {
    $("code-message").textContent = error.message;
  }
}

/** Fills the person picker of personal codes from the site's roster. */
export function showRoster(roster) {
  $("enroll-person").replaceChildren(
    ...roster.map((person) => new Option(`${person.name}（${person.personId}）`, person.personId)),
  );
}

/** Lists `site`'s phones, each with a revoke button. */
export async function showPhones(site) {
  const phones = await api("GET", `/sites/${site.siteId}/phones`);
  const items = phones.map((phone) => {
    const li = document.createElement("li");
    li.className = `record ${phone.revoked ? "revoked" : ""}`;
    const text = document.createElement("span");
    const holder = phone.binding === "team" ? "班组手机" : `个人手机 ${phone.personId ?? ""}`;
    text.textContent = `${holder} · ${phone.accessId} · 登记于 ${time(phone.enrolledAtMs)}${phone.revoked ? " · 已停用" : ""}`;
    li.append(text);
    if (!phone.revoked) {
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "secondary";
      revoke.textContent = "停用";
      revoke.addEventListener("click", async () => {
        if (!confirm(`停用这部手机（${phone.accessId}）？停用后它不能再打卡，需重新登记。`)) return;
        await api("POST", `/phones/${encodeURIComponent(phone.accessId)}/revoke`);
        await showPhones(site);
      });
      li.append(revoke);
    }
    return li;
  });
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "还没有登记的手机。生成登记码，让工人用手机扫码登记。";
    items.push(li);
  }
  $("phones").replaceChildren(...items);
}

/**
 * The fence cell of a record: the relay's own verdict (`relayFence`) when it judged the record,
 * with the phone's claim when the two differ; else the verdict the phone recorded.
 */
function fenceVerdict(record) {
  const relay = record.relayFence;
  if (relay && typeof relay === "object") {
    const verdict = VERDICT_ZH[relay.verdict] ?? "无法判定";
    const notes = [];
    if (relay.flagged) notes.push("待复核");
    if (relay.outOfFence) notes.push("外勤");
    if (relay.mismatch) notes.push(`手机称${VERDICT_ZH[relay.claimedVerdict] ?? "无判定"}`);
    return { code: text(relay.verdict) ?? "none", label: `${verdict}${notes.length ? `（${notes.join("，")}）` : ""}`, mismatch: relay.mismatch === true };
  }
  const fence = record.fence;
  if (!fence || typeof fence !== "object") return { code: "", label: "—", mismatch: false };
  const verdict = VERDICT_ZH[fence.verdict] ?? text(fence.verdict) ?? "—";
  return { code: text(fence.verdict) ?? "", label: `${verdict}${fence.flagged ? "（待复核）" : ""}`, mismatch: false };
}

/** The liveness cell of a record: its conclusion, or that the evidence was malformed. */
function livenessOverall(record) {
  const malformed = text(record.livenessMalformed);
  if (malformed) return { code: "malformed", label: "证据格式有误", title: malformed };
  const live = record.liveness;
  if (!live || typeof live !== "object") return { code: "", label: "—", title: "" };
  const overall = LIVENESS_ZH[live.overall] ?? text(live.overall) ?? "?";
  return { code: text(live.overall) ?? "", label: `${overall}${live.lowerTrust === true ? "（拍照）" : ""}`, title: "" };
}

/** One sign-in's table row; `names` maps person ids to names. Throws on nothing it can meet. */
function signinRow(record, names) {
  const tr = document.createElement("tr");
  const fence = fenceVerdict(record);
  const overall = livenessOverall(record);
  const live = overall.code === "malformed" ? undefined : record.liveness;
  const platform = record.platformResult?.state;
  const when = typeof record.recordTime === "number" ? time(record.recordTime) : "—";
  const livenessCell = cell(overall.label);
  if (overall.title) livenessCell.title = overall.title;
  tr.append(
    cell(when),
    cell(names.get(record.personId) ?? text(record.personId) ?? "—"),
    cell(fence.label),
    livenessCell,
    cell(scores(live) || "—"),
    cell(frames(live)),
    cell(PLATFORM_ZH[platform] ?? text(platform) ?? "—"),
  );
  tr.dataset.verdict = fence.code;
  tr.dataset.liveness = overall.code;
  if (fence.mismatch) tr.dataset.mismatch = "true";
  return tr;
}

/** A row saying a sign-in could not be shown (data this page does not understand). */
function unreadableRow(record) {
  const tr = document.createElement("tr");
  const td = cell(`这条打卡记录（${text(record?.recordId) ?? "?"}）的数据有误，无法显示。`);
  td.colSpan = 7;
  tr.append(td);
  tr.dataset.unreadable = "true";
  return tr;
}

/** Today's sign-ins of `site`, newest first; `names` maps person ids to names. Each row is
 * built on its own: a record of any shape shows as best it can and never hides the others. */
export async function showSignins(site, names) {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const records = list(await api("GET", `/signins?siteId=${encodeURIComponent(site.siteId)}&sinceMs=${midnight.getTime()}`));
  const rows = records.reverse().map((record) => {
    try {
      return signinRow(record && typeof record === "object" ? record : {}, names);
    } catch {
      return unreadableRow(record);
    }
  });
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell("今天还没有打卡记录。");
    td.colSpan = 7;
    tr.append(td);
    rows.push(tr);
  }
  $("signins").tBodies[0].replaceChildren(...rows);
}
