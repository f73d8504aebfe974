// The outbox card of the clock-in page: records in each state, the last upload, waiting,
// failed (a failed one can be retried) and requested records, the link state, and the offline
// banner; and the card of the worker's out-of-fence requests (外勤) with the manager's decisions.

import { outOfFenceReasons } from "/pkg/zj_attendance.js";
import { dayAndTime, lang, t, timeOfDay } from "./i18n.js";

const $ = (id) => document.getElementById(id);
/** Records listed per state. */
const LISTED = 20;

/** Keeps the outbox card in step with the phone module; `refresh()` re-reads it. */
export class OutboxView {
  constructor(phone) {
    this.phone = phone;
    this.busy = false;
    this.again = false;
    $("upload").addEventListener("click", () => this.upload());
    window.addEventListener("online", () => this.refresh());
    window.addEventListener("offline", () => this.refresh());
  }

  /** Sends what is due now, then shows the result. */
  async upload() {
    $("upload").disabled = true;
    try {
      await this.phone.flush();
    } catch {
      // The card shows the state; the module keeps the records.
    } finally {
      $("upload").disabled = false;
      await this.refresh();
    }
  }

  /** Re-reads the status and the listed records (calls arriving meanwhile run once after). */
  async refresh() {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        await this.render();
      } while (this.again);
    } finally {
      this.busy = false;
    }
  }

  async render() {
    const status = await this.phone.status();
    for (const state of ["pending", "sending", "done", "failed", "requested"]) {
      $(`count-${state}`).textContent = String(status[state]);
    }
    const online = navigator.onLine && status.online !== false;
    $("offline").hidden = online;
    const link = $("link-state");
    link.textContent = online ? t("online") : t("offlineShort");
    link.className = `badge small ${online ? "ok" : "bad"}`;
    $("last-upload").textContent = status.lastDeliveryMs
      ? t("lastUpload", { time: timeOfDay(status.lastDeliveryMs) })
      : t("neverUploaded");
    const halted = $("halted");
    halted.hidden = !status.halted;
    halted.textContent = status.halted ? t("halted", { message: status.halted }) : "";
    const waiting = [
      ...(await this.phone.list("sending", LISTED)),
      ...(await this.phone.list("pending", LISTED)),
      ...(await this.phone.list("failed", LISTED)),
      ...(await this.phone.list("requested", LISTED)),
    ];
    $("waiting").replaceChildren(...waiting.map((record) => this.item(record)));
  }

  /** One waiting, failed or requested record: when it was saved, its attempts, its last error. */
  item(record) {
    const li = document.createElement("li");
    li.className = `record ${record.state}`;
    li.dataset.recordId = record.id;
    const head = document.createElement("div");
    head.textContent = `${t(record.state)} · ${t("savedAt", {
      time: timeOfDay(record.savedAtMs),
      n: record.attempts,
    })}`;
    li.append(head);
    if (record.state === "requested") {
      const note = document.createElement("div");
      note.className = "muted";
      note.textContent = t("requestedNote");
      li.append(note);
    }
    if (record.lastError) {
      const error = document.createElement("div");
      error.className = "muted";
      error.textContent = record.lastError;
      li.append(error);
    }
    if (record.state === "failed") {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "secondary";
      retry.textContent = t("retry");
      retry.addEventListener("click", async () => {
        await this.phone.retry(record.id);
        await this.refresh();
      });
      li.append(retry);
    }
    return li;
  }
}

/** The module's list of out-of-fence reasons, read once. */
let reasons;

/** The reason of an out-of-fence request as the worker reads it (the module's Chinese labels). */
export function reasonLabel(reason) {
  const label = reasonList().find((item) => item.reason === reason)?.label ?? reason;
  return lang() === "zh" ? label : t(`reason_${reason}`);
}

/** The reasons in the order to list them, `[{reason, label}]`: the module's one list. */
export function reasonList() {
  reasons ??= outOfFenceReasons();
  return reasons;
}

/**
 * The card of the worker's out-of-fence requests as the relay has them: each with its state
 * (待审批 / 已批准 / 已驳回) and the manager's comment. `refresh()` fetches them again: on start,
 * when a heartbeat says a manager decided one, after a request is delivered, and on 刷新.
 */
export class RequestsView {
  constructor(phone) {
    this.phone = phone;
    this.requests = null;
    this.busy = null;
    $("requests-refresh").addEventListener("click", () => this.refresh());
  }

  /** Fetches the list (a call while one is under way shares it) and shows it. */
  refresh() {
    this.busy ??= this.fetch().finally(() => {
      this.busy = null;
    });
    return this.busy;
  }

  async fetch() {
    const button = $("requests-refresh");
    button.disabled = true;
    show($("requests-message"), t("requestsLoading"), "message muted");
    try {
      this.requests = (await this.phone.requests()).requests;
      show($("requests-message"), this.requests.length ? "" : t("requestsEmpty"), "message muted");
    } catch (error) {
      show($("requests-message"), t("requestsFailed", { message: error.message ?? error }), "message bad-text");
    } finally {
      button.disabled = false;
    }
    this.render();
  }

  /** Shows the last list fetched (again after a language switch). */
  render() {
    if (this.requests) $("requests-list").replaceChildren(...this.requests.map(requestItem));
  }
}

function show(el, text, className) {
  el.textContent = text;
  el.className = className;
}

/** One request: when, why, its state, and the manager's comment. */
function requestItem(request) {
  const li = document.createElement("li");
  li.className = `record request ${request.state}`;
  li.dataset.recordId = request.recordId;
  li.dataset.state = request.state;
  li.dataset.testid = "request-item";
  const head = document.createElement("div");
  const state = document.createElement("span");
  state.className = `badge small ${{ approved: "ok", rejected: "bad" }[request.state] ?? ""}`;
  state.dataset.testid = "request-state";
  state.textContent = t(`state_${request.state}`);
  head.append(state, ` ${dayAndTime(request.recordTimeMs)} · ${reasonLabel(request.outOfFence.reason)}`);
  li.append(head);
  const lines = [
    [request.outOfFence.note, "request-note"],
    [request.comment && t("managerComment", { comment: request.comment }), "request-comment"],
    [request.state === "approved" && approvedDetail(request), "request-detail"],
  ];
  for (const [text, testid] of lines) {
    if (!text) continue;
    const line = document.createElement("div");
    line.className = "muted";
    line.dataset.testid = testid;
    line.textContent = text;
    li.append(line);
  }
  return li;
}

/** Whether an approved request was approved by the work areas, and reached the platform. */
function approvedDetail(request) {
  const parts = [t(request.atPlatform ? "atPlatform" : "notAtPlatform")];
  if (request.autoApproved) parts.unshift(t("autoApproved"));
  return parts.join(lang() === "zh" ? "，" : ", ");
}
