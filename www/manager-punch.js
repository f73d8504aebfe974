// One punch in full, in a dialog: when and where (on a small map with the fix's accuracy circle,
// the fence it was judged against and the site's work areas), the relay's verdict and distance,
// the liveness checks with their scores and the evidence frames, how the face was captured, the
// flags, an out-of-fence request's reason, and the three delivery times (saved on the phone,
// received by the relay, accepted by the platform). A punch is read from
// GET /v1/manager/punch; an out-of-fence request shows the same way from its own data.

import { api } from "./manager-api.js";
import { PlaceMap, siteShapes } from "./manager-places.js";
import {
  beijingTime,
  checkName,
  decimals,
  el,
  finite,
  flagChips,
  frames,
  LIVENESS_ZH,
  list,
  METHOD_ZH,
  metres,
  PUNCH_STATE_ZH,
  REQUEST_STATE,
  say,
  text,
  VERDICT_ZH,
} from "./manager-view.js";

const $ = (id) => document.getElementById(id);

/** How the face was captured. */
const SOURCE_ZH = { camera: "摄像头活体检测", fallback: "拍照（未做活体检测，可信度较低）" };
/** A liveness check's outcome. */
const OUTCOME_ZH = { passed: "通过", failed: "未通过", inconclusive: "未完成" };
/** The relay's check of the saved photo. */
const PHOTO_ZH = { passed: "照片里有一张清楚的正脸", failed: "照片未通过检查", skipped: "未检查" };

/** The small map of the dialog, made on first use, and the tiles it was made with. */
let placeMap = null;
let placeSource = null;
/** Wires the dialog's close button (once, at start). */
export function setupPunchDialog() {
  $("punch-close").addEventListener("click", () => $("punch-dialog").close());
  $("punch-photo").addEventListener("error", () => {
    $("punch-photo").hidden = true;
  });
}

/** Opens the detail of the punch `{accessId, recordId}`, read from the relay. */
export async function openPunch({ accessId, recordId }) {
  openDialog("正在读取打卡详情…");
  try {
    const query = new URLSearchParams({ accessId, recordId });
    showDetail(await api("GET", `/punch?${query}`));
  } catch (error) {
    say("punch-message", `打卡详情读取失败：${error.message}。请关闭后再点一次。`, false);
  }
}

/** Opens the detail of an out-of-fence request (as listed by the relay), with its photo. */
export function openRequest(request) {
  openDialog("");
  showDetail(requestAsPunch(request), `/v1/manager/requests/${encodeURIComponent(request.id)}/photo`);
}

/** A request as the detail shows a punch. */
function requestAsPunch(request) {
  return {
    ...request,
    state: punchState(request),
    verdict: request.relayFence?.verdict ?? null,
    distanceM: request.relayFence?.distanceM ?? null,
    lng: request.location?.lng,
    lat: request.location?.lat,
    accuracyM: request.location?.accuracyM,
    source: request.fallbackCapture ? "fallback" : "camera",
    request: { state: request.state, reasonLabel: request.reasonLabel, note: request.note },
  };
}

/** A request's state as a punch's: pending and rejected as they are; an approved one by how
 * far it got to the platform. */
function punchState(request) {
  if (request.state !== "approved") return request.state;
  const forwarding = request.forwarding?.state;
  return forwarding === "done" || forwarding === "refused" ? forwarding : "approved";
}

function openDialog(message) {
  $("punch-facts").replaceChildren();
  $("punch-checks").tBodies[0].replaceChildren();
  $("punch-frames").replaceChildren();
  $("punch-photo").hidden = true;
  say("punch-message", message);
  if (!$("punch-dialog").open) $("punch-dialog").showModal();
}

/** Fills the dialog with `punch` (the relay's detail, any shape); `photoUrl` when it has one. */
function showDetail(punch, photoUrl) {
  say("punch-message", "");
  $("punch-title").textContent = `${punch.name ?? punch.personId ?? "?"} · ${beijingTime(punch.recordTime)}`;
  $("punch-facts").replaceChildren(...facts(punch).flatMap(([term, value]) => [el("dt", "", term), definition(value)]));
  const checks = list(punch.liveness?.checks).map(checkRow);
  if (!checks.length) checks.push(emptyRow(punch.liveness ? "没有活体检测项目" : "没有活体检测证据"));
  $("punch-checks").tBodies[0].replaceChildren(...checks);
  const shots = frames(punch.liveness);
  $("punch-frames").replaceChildren(shots.childElementCount ? shots : el("p", "muted", "没有抓拍画面。"));
  $("punch-photo").hidden = !photoUrl;
  if (photoUrl) $("punch-photo").src = photoUrl;
  showPlace(punch);
}

/** `[term, text or node]` pairs of the dialog's facts. */
function facts(punch) {
  const fence = punch.relayFence;
  const verdict = VERDICT_ZH[punch.verdict] ?? "无法判定";
  const distance = finite(punch.distanceM) === null ? "" : `，距围栏边界 ${metres(punch.distanceM)}`;
  const where =
    finite(punch.lng) === null
      ? "没有位置"
      : `${punch.lng.toFixed(6)}, ${finite(punch.lat)?.toFixed(6) ?? "?"}（精度 ±${metres(punch.accuracyM)}）`;
  const rows = [
    ["工人", `${punch.name ?? "（无姓名）"}（${text(punch.personId) ?? "?"}）`],
    ["打卡时间", beijingTime(punch.recordTime)],
    ["状态", PUNCH_STATE_ZH[punch.state] ?? text(punch.state) ?? "—"],
    ["围栏判定", `${verdict}${distance}${fence?.version ? `（第 ${fence.version} 版围栏）` : ""}`],
    ["位置", where],
    ["活体结论", livenessLabel(punch.liveness)],
    ["抓拍方式", SOURCE_ZH[punch.source] ?? text(punch.source) ?? "—"],
    ["照片检查", PHOTO_ZH[punch.photoCheck?.verdict] ?? text(punch.photoCheck?.verdict) ?? "—"],
    ["手机保存", beijingTime(punch.savedAtMs)],
    ["中继收到", beijingTime(punch.receivedAtMs)],
    ["平台接收", beijingTime(punch.acceptedAtMs)],
  ];
  const delivery = punch.delivery;
  if (finite(delivery?.attempts)) rows.push(["发送次数", String(delivery.attempts)]);
  if (delivery?.errormsg) rows.push(["平台答复", `${text(delivery.errorcode) ?? ""} ${text(delivery.errormsg)}`.trim()]);
  if (fence?.reason) rows.push(["围栏说明", text(fence.reason)]);
  if (punch.request) {
    const request = punch.request;
    rows.push(["外勤申请", `${text(request.reasonLabel) ?? "—"}${request.note ? `：${request.note}` : ""}（${REQUEST_STATE[request.state]?.[0] ?? text(request.state) ?? "—"}）`]);
  }
  if (punch.comment) rows.push(["审批意见", text(punch.comment)]);
  const chips = flagChips(punch.flags);
  if (chips.length) {
    const box = el("span", "chips");
    box.append(...chips);
    rows.push(["标记", box]);
  }
  return rows;
}

function definition(value) {
  const dd = el("dd");
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value ?? "—";
  return dd;
}

/** A liveness conclusion in words, e.g. "通过" or "未检测（拍照）". */
function livenessLabel(liveness) {
  if (!liveness || typeof liveness !== "object") return "—";
  const overall = LIVENESS_ZH[liveness.overall] ?? text(liveness.overall) ?? "?";
  return `${overall}${liveness.lowerTrust === true ? "（拍照）" : ""}`;
}

/** One liveness check as a table row: kind, method, score, pass score, outcome. */
function checkRow(check) {
  const tr = el("tr");
  tr.dataset.outcome = text(check?.outcome) ?? "";
  tr.append(
    el("td", "", checkName(check?.kind)),
    el("td", "", METHOD_ZH[check?.method] ?? text(check?.method) ?? "—"),
    el("td", "", decimals(check?.score)),
    el("td", "", decimals(check?.passScore)),
    el("td", "", OUTCOME_ZH[check?.outcome] ?? text(check?.outcome) ?? "—"),
  );
  return tr;
}

function emptyRow(message) {
  const td = el("td", "muted", message);
  td.colSpan = 5;
  const tr = el("tr");
  tr.append(td);
  return tr;
}

/** The punch's place on the dialog's map (made again when the tiles changed). */
function showPlace(punch) {
  const shapes = siteShapes();
  const source = shapes.tiles;
  if (!source) return;
  if (placeSource !== source) {
    placeMap?.map.remove();
    placeMap = new PlaceMap($("punch-map"), source);
    placeSource = source;
  }
  const fence = punch.fence?.geojson ?? punch.fence ?? shapes.fence;
  placeMap.show({
    point: { lng: punch.lng, lat: punch.lat },
    accuracyM: punch.accuracyM,
    verdict: punch.verdict,
    fence,
    areas: shapes.areas,
  });
}
