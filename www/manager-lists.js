// The manager page's lists: enrollment codes (created here, shown as a QR code and as text),
// the site's phones (revoke), and today's sign-ins with their fence verdict, liveness scores
// and evidence frames.

import { api } from "./manager-api.js";

const $ = (id) => document.getElementById(id);

const VERDICT_ZH = { inside: "围栏内", outside: "围栏外", uncertain: "无法确定" };
const LIVENESS_ZH = { live: "通过", notLive: "未通过", inconclusive: "未检测" };
const CHECK_ZH = { flash: "闪光", blink: "眨眼", turnLeft: "左转", turnRight: "右转", nod: "点头" };
const PLATFORM_ZH = { sending: "发送中", retry: "待重试", done: "已接收", refused: "被拒绝" };

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

/** The liveness scores of a record's evidence, e.g. "闪光 0.93/0.60 · 眨眼 5.1/3.0". */
function scores(liveness) {
  return (liveness?.checks ?? [])
    .map((check) => `${CHECK_ZH[check.kind] ?? check.kind} ${check.score.toFixed(2)}/${check.passScore.toFixed(2)}`)
    .join(" · ");
}

/** The evidence frames of a record, as small images. */
function frames(liveness) {
  const span = document.createElement("span");
  for (const frame of liveness?.frames ?? []) {
    const img = document.createElement("img");
    img.alt = "抓拍";
    img.src = `data:image/jpeg;base64,${frame.jpeg}`;
    span.append(img);
  }
  return span;
}

/** Today's sign-ins of `site`, newest first; `names` maps person ids to names. */
export async function showSignins(site, names) {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const records = await api("GET", `/signins?siteId=${encodeURIComponent(site.siteId)}&sinceMs=${midnight.getTime()}`);
  const rows = records.reverse().map((record) => {
    const tr = document.createElement("tr");
    const fence = record.fence;
    const verdict = fence ? `${VERDICT_ZH[fence.verdict] ?? fence.verdict}${fence.flagged ? "（待复核）" : ""}` : "—";
    const live = record.liveness;
    const overall = live ? `${LIVENESS_ZH[live.overall] ?? live.overall}${live.lowerTrust ? "（拍照）" : ""}` : "—";
    const platform = record.platformResult?.state;
    tr.append(
      cell(time(record.recordTime)),
      cell(names.get(record.personId) ?? record.personId),
      cell(verdict),
      cell(overall),
      cell(scores(live) || "—"),
      cell(frames(live)),
      cell(PLATFORM_ZH[platform] ?? platform ?? "—"),
    );
    tr.dataset.verdict = fence?.verdict ?? "";
    tr.dataset.liveness = live?.overall ?? "";
    return tr;
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
