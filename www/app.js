// The worker's clock-in page: enrollment, the site and its fence, the location and its verdict,
// the face clock-in with the liveness check (or, outside the fence, an out-of-fence request with
// a reason, through the same check), the result, the outbox, and the worker's requests. Everything is kept by
// the phone module (pkg/), which uploads on its own and keeps records through reloads and
// lost networks; this page only shows and asks.

import {
  PhoneModule,
  LivenessSession,
  capturePhotoFallback,
  outOfFenceProblem,
} from "/pkg/zj_attendance.js";
import { apply, t, toggle } from "./i18n.js";
import { LivenessStage } from "./liveness-stage.js";
import { OutboxView, RequestsView, reasonLabel, reasonList } from "./outbox-view.js";
import { loadPhoneModule, prefetchFaceDetector } from "./phone-module.js";

const $ = (id) => document.getElementById(id);
/** A location older than this is taken again before a clock-in, milliseconds. */
const LOCATION_MAX_AGE_MS = 2 * 60 * 1000;
/** How long a location may take, milliseconds. */
const LOCATE_TIMEOUT_MS = 15_000;
/** How long the page waits for the relay's heartbeat before locating anyway, milliseconds. */
const HEARTBEAT_WAIT_MS = 3_000;
/** Where the chosen worker of a team phone is remembered. */
const PERSON_KEY = "zj-person";
/** How long a first location waits for WeChat's JS-SDK to be set up, milliseconds. */
const WECHAT_WAIT_MS = 5_000;
/** How often the page asks the relay whether a request was decided (a heartbeat), milliseconds. */
const HEARTBEAT_EVERY_MS = 60_000;

let phone;
let outbox;
let requests;
/** The out-of-fence request `{reason, note}` the clock-in under way files, or null. */
let outOfFence = null;
/** Inside WeChat: resolves once its JS-SDK is set up or given up on (wechat.js); else null. */
let wechat = null;
let located = null;
/** The record of the last clock-in, to say when it reaches the platform. */
let lastRecordId = null;
/** Whether that record is an out-of-fence request. */
let lastWasRequest = false;
/** The last message shown about a record, re-rendered on a language switch. */
let resultKey = null;
const stage = new LivenessStage();

function show(id, text, className = "message") {
  const el = $(id);
  el.textContent = text;
  el.className = className;
}

/** Shows the result of the last clock-in by its message key. */
function showResult(key, { scroll = true } = {}) {
  resultKey = key;
  show("result", t(key), `message ${key === "delivered" ? "ok-text" : ""}`);
  if (scroll) $("result").scrollIntoView({ block: "center" });
}

async function boot() {
  apply();
  wechat = startWechat();
  $("lang").addEventListener("click", () => {
    toggle();
    renderSite();
    renderLocation();
    if (phone) renderReasons();
    if (resultKey) showResult(resultKey, { scroll: false });
    outbox?.refresh();
    requests?.render();
  });
  registerServiceWorker();
  try {
    await loadPhoneModule();
    phone = await PhoneModule.open();
  } catch (error) {
    show("boot", `${t("loadFailed")} ${error.message ?? error}`, "message bad-text");
    return;
  }
  $("boot").hidden = true;
  outbox = new OutboxView(phone);
  requests = new RequestsView(phone);
  renderReasons();
  phone.onEvent(onPhoneEvent);
  wireControls();
  if (phone.isEnrolled()) await enterApp();
  else showEnroll();
}

/**
 * Inside WeChat's web-view, sets up its JS-SDK (wechat.js, fetched only there so other
 * browsers load nothing more), for `wx.getLocation`; elsewhere null.
 */
function startWechat() {
  if (!/MicroMessenger/i.test(navigator.userAgent)) return null;
  return import("./wechat.js").then((module) => module.setUpWechat()).catch(() => false);
}

function registerServiceWorker() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
}

function showEnroll() {
  $("enroll").hidden = false;
  prefetchFaceDetector();
  const code = new URLSearchParams(location.search).get("code");
  if (code) $("enroll-code").value = code;
}

function wireControls() {
  $("enroll-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("enroll-code").value.trim();
    if (!code) return show("enroll-message", t("enrollEmpty"), "message bad-text");
    show("enroll-message", t("enrolling"));
    try {
      await phone.enroll(location.origin, code);
    } catch (error) {
      return show("enroll-message", error.message, "message bad-text");
    }
    $("enroll").hidden = true;
    history.replaceState(null, "", location.pathname);
    await enterApp();
  });
  $("locate").addEventListener("click", locate);
  $("clock").addEventListener("click", () => clockIn(null));
  $("request-form").addEventListener("submit", (event) => {
    event.preventDefault();
    requestOutOfFence();
  });
  $("fallback").addEventListener("click", clockInWithPhoto);
  $("person").addEventListener("change", () => {
    localStorage.setItem(PERSON_KEY, $("person").value);
    updateClockButton();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshSite().then(heartbeat);
  });
}

async function enterApp() {
  $("app").hidden = false;
  prefetchFaceDetector();
  phone.start();
  renderSite();
  outbox.refresh();
  setInterval(() => outbox.refresh(), 5_000);
  setInterval(heartbeat, HEARTBEAT_EVERY_MS);
  if (navigator.onLine) requests.refresh();
  // Records live in the browser's storage: say so when it runs short.
  phone
    .storage()
    .then((report) => report.low && show("storage", report.message, "message bad-text"))
    .catch(() => {});
  await refreshSite();
}

/** Asks the relay for the site when it is reachable (a new fence or roster); quiet offline. */
async function refreshSite() {
  if (!navigator.onLine) return;
  try {
    await phone.fetchSite();
    renderSite();
  } catch {
    // Offline or the relay is away: the kept site stays in use.
  }
}

function renderSite() {
  const site = phone?.site();
  if (!site) return;
  $("site-name").textContent = site.name;
  $("fence-status").textContent = site.fence
    ? t("fenceSet", { version: site.fence.version, accuracy: site.fence.maxAccuracyM })
    : t("fenceNone");
  const personal = site.binding === "personal";
  $("person-row").hidden = personal || site.persons.length === 0;
  $("person-single").textContent = personal
    ? `${t("personLabel")}：${site.person?.name ?? ""}`
    : site.persons.length === 0
      ? t("personEmpty")
      : "";
  if (!personal) {
    const select = $("person");
    const chosen = select.value || localStorage.getItem(PERSON_KEY);
    select.replaceChildren(
      ...site.persons.map((person) => new Option(person.name, person.personId)),
    );
    if (site.persons.some((person) => person.personId === chosen)) select.value = chosen;
  }
  updateClockButton();
}

/** The person this clock-in is for, or null when none can be chosen. */
function personId() {
  const site = phone.site();
  if (!site) return null;
  if (site.binding === "personal") return site.person?.personId ?? null;
  return $("person").value || null;
}

/** Waits for `promise` at most `ms`; a late or failed one is ignored. */
function within(promise, ms) {
  return Promise.race([promise.catch(() => null), new Promise((resolve) => setTimeout(resolve, ms))]);
}

async function locate() {
  const button = $("locate");
  button.disabled = true;
  show("location-message", t("locating"));
  try {
    // A heartbeat tells the phone about a new fence; the module refetches the site then.
    if (navigator.onLine) await within(phone.heartbeat(), HEARTBEAT_WAIT_MS);
    if (wechat) await within(wechat, WECHAT_WAIT_MS);
    renderSite();
    located = await phone.locate(LOCATE_TIMEOUT_MS);
    renderLocation();
  } catch (error) {
    located = null;
    renderLocation();
    show("location-message", t("locateFailed", { message: error.message ?? error }), "message bad-text");
  } finally {
    button.disabled = false;
  }
}

function renderLocation() {
  const verdict = $("verdict");
  if (!located) {
    verdict.textContent = "—";
    verdict.className = "badge";
    verdict.dataset.verdict = "";
    $("accuracy").textContent = "";
    updateClockButton();
    return;
  }
  const kind = located.fence?.verdict ?? "none";
  verdict.textContent = t(`verdict_${kind}`);
  verdict.dataset.verdict = kind;
  verdict.className = `badge ${located.mayClockIn ? "ok" : "bad"}`;
  const parts = [t("accuracy", { m: Math.round(located.accuracyM) })];
  if (located.fence) parts.push(t("distance", { m: Math.round(located.fence.distanceM) }));
  $("accuracy").textContent = parts.join(" · ");
  const offer = located.mayRequest ? ` ${t("requestOffer")}` : "";
  show("location-message", located.message + offer, `message ${located.mayClockIn ? "" : "bad-text"}`);
  updateClockButton();
}

/** The clock-in button where the fence lets the worker in, else the request form where a
 * request may be filed instead; each enabled once the worker is known. */
function updateClockButton() {
  const request = Boolean(located?.mayRequest);
  $("clock").hidden = request;
  $("request-form").hidden = !request;
  $("clock").disabled = !(located?.mayClockIn && personId());
  $("request").disabled = !personId();
}

/** The reason list of the request form, in the page's language, keeping the choice. */
function renderReasons() {
  const select = $("oof-reason");
  const chosen = select.value;
  select.replaceChildren(
    new Option(t("requestReasonPick"), ""),
    ...reasonList().map(({ reason }) => new Option(reasonLabel(reason), reason)),
  );
  select.value = chosen;
}

/** Checks the request's reason and note (the module's rule), then runs the clock-in with it. */
function requestOutOfFence() {
  const request = { reason: $("oof-reason").value, note: $("oof-note").value.trim() };
  const problem = outOfFenceProblem(request);
  if (problem) return show("result", problem, "message bad-text");
  return clockIn(request);
}

/** A heartbeat when the page is seen and online: a decided request raises `requestsChanged`,
 * a new fence refetches the site. */
async function heartbeat() {
  if (!navigator.onLine || document.visibilityState !== "visible") return;
  await phone.heartbeat().then(renderSite, () => {});
}

/** The clock-in, ordinary (`request` null) or as an out-of-fence request `{reason, note}`. */
async function clockIn(request) {
  outOfFence = request;
  const allowed = () => (request ? located?.mayRequest : located?.mayClockIn);
  if (Date.now() - located.takenAtMs > LOCATION_MAX_AGE_MS) {
    await locate();
    if (!allowed()) return;
  }
  $("fallback").hidden = true;
  try {
    await stage.open();
  } catch (error) {
    show("result", error.message, "message bad-text");
    if (error.fallback) {
      show("result", `${error.message} ${t("fallbackOffer")}`, "message bad-text");
      $("fallback").hidden = false;
    }
    return;
  }
  try {
    for (;;) {
      const run = await stage.challenge(await relayNonce());
      if (!run) return;
      // For whoever debugs a phone over remote inspection: each check with its score.
      console.info("liveness verdict", JSON.stringify(run.verdict));
      let message;
      if (run.verdict.overall === "live") {
        const captured = await stage.capture(run.session);
        run.session.free();
        if (captured.photo) {
          await save({ photo: captured.photo, liveness: captured.evidence });
          return;
        }
        // The face did not meet the photo's rules (size, frontal, one face): say why, retry.
        message = captured.refusal;
      } else {
        run.session.free();
        message =
          run.verdict.overall === "notLive"
            ? t("livenessFailed", { advice: run.advice ?? "" })
            : t("livenessInconclusive");
      }
      if (!(await stage.offerRetry(message))) return;
    }
  } catch (error) {
    show("result", error.message ?? String(error), "message bad-text");
  } finally {
    stage.close();
  }
}

/** Without the live camera: a lower-trust photo, saved with evidence saying no check was run. */
async function clockInWithPhoto() {
  try {
    const photo = await capturePhotoFallback();
    const session = new LivenessSession();
    const liveness = JSON.parse(session.evidenceJson(photo));
    session.free();
    await save({ photo, liveness, fallbackCapture: true });
    if (!lastWasRequest) showResult("fallbackSaved");
    $("fallback").hidden = true;
  } catch (error) {
    if (error.code !== "cancelled") show("result", error.message, "message bad-text");
  }
}

/** Saves the clock-in (with the request, if one is under way) in the outbox (it uploads by
 * itself) and says where it stands. */
async function save({ photo, liveness, fallbackCapture = false }) {
  showResult("saving");
  const blob = jpegBlob(photo.jpegBase64);
  photo.free();
  const request = outOfFence ?? undefined;
  lastRecordId = await phone.clockIn({
    photo: blob,
    personId: personId(),
    liveness,
    fallbackCapture,
    outOfFence: request,
  });
  lastWasRequest = Boolean(request);
  if (request) $("request-form").reset();
  showResult(savedKey());
  outbox.refresh();
}

/** The message for the last record while it waits to be uploaded. */
function savedKey() {
  if (lastWasRequest) return navigator.onLine ? "requestSaving" : "requestSavedOffline";
  return navigator.onLine ? "savedWaiting" : "savedOffline";
}

/** The module's capture is base64; clockIn() takes the JPEG as a Blob. */
function jpegBlob(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: "image/jpeg" });
}

function onPhoneEvent(event) {
  outbox.refresh();
  if (event.type === "requested" || event.type === "requestsChanged") requests.refresh();
  if (!lastRecordId || event.recordId !== lastRecordId) return;
  if (event.type === "delivered") showResult("delivered");
  else if (event.type === "requested") showResult("requestSent");
  else if (event.type === "retry") showResult(savedKey());
  else if (event.type === "failed") show("result", event.message, "message bad-text");
}

boot();

/** The relay's liveness nonce, or undefined (a local one) when it does not come within 3 s. */
async function relayNonce() {
  const late = new Promise((resolve) => setTimeout(resolve, 3000));
  const asked = phone.challenge().then((challenge) => challenge.nonce, () => undefined);
  return Promise.race([asked, late]);
}
