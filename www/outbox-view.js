// The outbox card of the clock-in page: records in each state, the last upload, waiting and
// failed records (a failed one can be retried), the link state, and the offline banner.

import { t, timeOfDay } from "./i18n.js";

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
    for (const state of ["pending", "sending", "done", "failed"]) {
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
    ];
    $("waiting").replaceChildren(...waiting.map((record) => this.item(record)));
  }

  /** One waiting or failed record: when it was saved, its attempts, its last error. */
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
