// The manager page's out-of-fence requests (外勤申请) of the selected site: a badge with how many
// wait for a decision, and the list of the last week's requests, those waiting first. Each shows
// the worker, the time, the reason and note, the photo, the liveness result, where it was (its
// detail dialog shows it on the map); a waiting one has approve and reject buttons with a comment
// (a rejection needs one: the worker reads it); a decided one says who decided, when, and how far
// it got on its way to the platform. GET /v1/manager/requests, POST …/{id}/decision.

import { api } from "./manager-api.js";
import { openRequest } from "./manager-punch.js";
import {
  beijingTime,
  chip,
  el,
  finite,
  LIVENESS_ZH,
  list,
  metres,
  REQUEST_STATE,
  scores,
  text,
  VERDICT_ZH,
} from "./manager-view.js";

const $ = (id) => document.getElementById(id);

/** How far back the list reaches, milliseconds (a week). */
const LIST_SPAN_MS = 7 * 86_400_000;
/** The longest comment the relay keeps, characters. */
const COMMENT_MAX_CHARS = 200;

/** Where an approved request stands with the platform. */
const FORWARDING_ZH = {
  waiting: "等待发给平台",
  sending: "正在发给平台",
  done: "平台已接收",
  refused: "平台拒绝",
  retry: "发送失败，稍后自动重试",
};

let site = null;
/** Comments being typed, by request id: kept when the list is drawn again. */
const drafts = new Map();

/** Wires the filter and the header's badge (once, at start). */
export function setupRequests() {
  $("requests-state").addEventListener("change", () => refreshRequests());
  $("reload-requests").addEventListener("click", () => refreshRequests());
  $("requests-badge").addEventListener("click", () => $("requests-section").scrollIntoView({ behavior: "smooth" }));
}

/** Shows `selected`'s requests. */
export async function showRequests(selected) {
  site = selected;
  drafts.clear();
  await refreshRequests();
}

/**
 * Reads the requests again: the badge always; the list unless the manager is typing a
 * comment in it (`quiet`: a timer's refresh, which says nothing on failure).
 */
export async function refreshRequests({ quiet = false } = {}) {
  if (!site) return;
  const state = $("requests-state").value;
  const params = new URLSearchParams({ siteId: site.siteId, state, fromMs: String(Date.now() - LIST_SPAN_MS) });
  let answer;
  try {
    answer = await api("GET", `/requests?${params}`);
  } catch (error) {
    if (!quiet) $("requests-message").textContent = `外勤申请读取失败：${error.message}`;
    return;
  }
  $("requests-message").textContent = "";
  showCount(finite(answer?.pendingCount) ?? 0);
  const typing = $("requests-list").contains(document.activeElement) && document.activeElement.tagName === "TEXTAREA";
  if (quiet && typing) return;
  const requests = list(answer?.requests).sort(
    (a, b) => (b?.state === "pending") - (a?.state === "pending") || (finite(b?.recordTime) ?? 0) - (finite(a?.recordTime) ?? 0),
  );
  const items = requests.map((request) => requestItem(request));
  if (!items.length) items.push(el("li", "muted", state === "pending" ? "没有待审批的外勤申请。" : "最近一周没有外勤申请。"));
  $("requests-list").replaceChildren(...items);
}

/** The badge in the header and the section's title: how many wait for a decision. */
function showCount(count) {
  $("requests-count").textContent = String(count);
  $("requests-badge").hidden = count === 0;
  $("requests-pending").textContent = count ? `${count} 条待审批` : "";
}

/** One request as a list item. */
function requestItem(request) {
  const li = el("li", `record request state-${text(request?.state) ?? "unknown"}`);
  li.dataset.id = text(request?.id) ?? "";
  li.dataset.state = text(request?.state) ?? "";
  const [label, kind] = REQUEST_STATE[request?.state] ?? [text(request?.state) ?? "?", "warn"];
  const head = el("div", "request-head");
  head.append(el("strong", "", text(request?.name) ?? text(request?.personId) ?? "?"), el("span", "muted", beijingTime(request?.recordTime)), chip(label, kind));
  const reason = el("p", "request-reason", `${text(request?.reasonLabel) ?? "外勤"}${request?.note ? `：${request.note}` : ""}`);
  const body = el("div", "request-body");
  const photo = el("img", "request-photo");
  photo.alt = "打卡照片";
  photo.loading = "lazy";
  photo.src = `/v1/manager/requests/${encodeURIComponent(request.id)}/photo`;
  photo.addEventListener("error", () => photo.replaceWith(el("div", "request-photo no-photo", "没有照片")));
  const facts = el("div", "request-facts");
  facts.append(el("p", "", placeText(request)), el("p", "", livenessText(request)));
  const more = el("button", "secondary request-detail", "看位置和活体详情");
  more.type = "button";
  more.addEventListener("click", () => openRequest(request));
  facts.append(more);
  body.append(photo, facts);
  li.append(head, reason, body);
  if (request?.state === "pending") li.append(decisionForm(request, li));
  else li.append(outcome(request));
  return li;
}

/** Where the request was made, in words: the relay's verdict and distance, the fix's accuracy. */
function placeText(request) {
  const fence = request?.relayFence;
  const accuracy = finite(request?.location?.accuracyM);
  if (!request?.location) return "位置：没有定位";
  const verdict = VERDICT_ZH[fence?.verdict] ?? "无法判定";
  const distance = finite(fence?.distanceM) === null ? "" : `，距围栏 ${metres(fence.distanceM)}`;
  return `位置：${verdict}${distance}${accuracy === null ? "" : `（精度 ±${metres(accuracy)}）`}`;
}

/** The liveness result in words, with the scores. */
function livenessText(request) {
  const live = request?.liveness;
  if (!live || typeof live !== "object") return "活体：没有证据";
  const overall = LIVENESS_ZH[live.overall] ?? text(live.overall) ?? "?";
  const lower = request.fallbackCapture || live.lowerTrust === true ? "（拍照，可信度较低）" : "";
  const detail = scores(live);
  return `活体：${overall}${lower}${detail ? ` · ${detail}` : ""}`;
}

/** The comment box and the approve / reject buttons of a waiting request. */
function decisionForm(request, li) {
  const form = el("div", "decision");
  const comment = el("textarea", "request-comment");
  comment.rows = 2;
  comment.maxLength = COMMENT_MAX_CHARS;
  comment.placeholder = "审批意见（驳回时必填，工人会在手机上看到）";
  comment.setAttribute("aria-label", "审批意见");
  comment.value = drafts.get(request.id) ?? "";
  comment.addEventListener("input", () => drafts.set(request.id, comment.value));
  const approve = el("button", "primary approve", "批准");
  const reject = el("button", "danger reject", "驳回");
  approve.type = reject.type = "button";
  const message = el("p", "message request-message");
  message.setAttribute("role", "alert");
  approve.addEventListener("click", () => decide(request, "approve", { comment, message, li }));
  reject.addEventListener("click", () => decide(request, "reject", { comment, message, li }));
  const buttons = el("div", "decision-buttons");
  buttons.append(approve, reject);
  form.append(comment, buttons, message);
  return form;
}

/** Sends the manager's decision on `request`; shows the request as the relay answers. */
async function decide(request, decision, { comment, message, li }) {
  const note = comment.value.trim();
  if (decision === "reject" && !note) {
    message.className = "message request-message bad-text";
    message.textContent = "驳回时请写明原因：工人会在手机上看到它。";
    comment.focus();
    return;
  }
  for (const button of li.querySelectorAll("button")) button.disabled = true;
  message.className = "message request-message";
  message.textContent = decision === "approve" ? "正在批准…" : "正在驳回…";
  try {
    const decided = await api("POST", `/requests/${encodeURIComponent(request.id)}/decision`, { decision, comment: note });
    drafts.delete(request.id);
    li.replaceWith(requestItem(decided));
    refreshRequests({ quiet: true });
  } catch (error) {
    for (const button of li.querySelectorAll("button")) button.disabled = false;
    message.className = "message request-message bad-text";
    message.textContent =
      error.code === "already_decided" ? "这条申请已经有人处理过了：列表已刷新。" : `没有提交：${error.message}`;
    if (error.code === "already_decided") refreshRequests();
  }
}

/** A decided request's result: who decided when, the comment, how far it got to the platform. */
function outcome(request) {
  const box = el("div", "request-outcome");
  const who = request.auto || request.decidedBy === "auto" ? "在批准的外勤区域内，自动批准" : `审批人 ${text(request.decidedBy) ?? "?"}`;
  box.append(el("p", "", `${who} · ${beijingTime(request.decidedAtMs)}`));
  if (request.comment) box.append(el("p", "", `意见：${request.comment}`));
  const forwarding = request.forwarding;
  if (request.state === "approved" && forwarding?.state) {
    const attempts = finite(forwarding.attempts);
    const why = forwarding.state === "refused" && forwarding.errormsg ? `：${forwarding.errormsg}` : "";
    const tries = forwarding.state === "retry" && attempts ? `（已试 ${attempts} 次）` : "";
    const line = el("p", `forwarding forwarding-${forwarding.state}`, `${FORWARDING_ZH[forwarding.state] ?? forwarding.state}${why}${tries}`);
    box.append(line);
  }
  return box;
}
