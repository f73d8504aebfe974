// What the manager page's sections share to show the relay's data: elements built from text
// (never markup), times and dates in Beijing time (the sites' day is a Beijing day), and the
// Chinese words for verdicts, liveness checks, a punch's state and the day sheet's flags.

/** Beijing is UTC+8 all year, milliseconds. */
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** An element `tag` with class `className` and text `text` (as text, never as markup). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** `value` when it is a finite number, else null (data of any shape). */
export function finite(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** `value` as text when it is a string or a finite number, else undefined. */
export function text(value) {
  if (typeof value === "string") return value;
  return finite(value) === null ? undefined : String(value);
}

/** `value` when it is an array, else an empty one. */
export function list(value) {
  return Array.isArray(value) ? value : [];
}

/** Epoch milliseconds as Beijing date and time, e.g. "2026/12/3 08:01:02"; "—" when not a time. */
export function beijingTime(ms) {
  if (finite(ms) === null) return "—";
  return new Date(ms).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

/** Epoch milliseconds as a Beijing clock time, e.g. "08:01"; "—" when not a time. */
export function beijingClock(ms) {
  if (finite(ms) === null) return "—";
  return new Date(ms).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, hour: "2-digit", minute: "2-digit" });
}

/** The Beijing date of epoch milliseconds `ms` as `YYYY-MM-DD`. */
function beijingDate(ms = Date.now()) {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** Milliseconds in an hour. */
const HOUR_MS = 3_600_000;

/** The attendance day (`YYYY-MM-DD`) epoch milliseconds `ms` fall on, for a site whose days
 * start at `dayStartHour` (Beijing time, 0–23): before that hour it is still the day before. */
export function attendanceDate(dayStartHour, ms = Date.now()) {
  return beijingDate(ms - (finite(dayStartHour) ?? 0) * HOUR_MS);
}

/** A `YYYY-MM-DD` date with its weekday in Chinese, e.g. "12月3日 周四". */
export function dayLabel(date) {
  const [year, month, day] = date.split("-").map(Number);
  const weekday = "日一二三四五六"[new Date(Date.UTC(year, month - 1, day)).getUTCDay()];
  return `${month}月${day}日 周${weekday}`;
}

/** The relay's fence verdicts. */
export const VERDICT_ZH = { inside: "围栏内", outside: "围栏外", uncertain: "无法确定" };
/** A liveness check's conclusion. */
export const LIVENESS_ZH = { live: "通过", notLive: "未通过", inconclusive: "未检测" };
/** The liveness checks. */
export const CHECK_ZH = { flash: "闪光", blink: "眨眼", turnLeft: "左转", turnRight: "右转", nod: "点头" };
/** How a liveness check measured (the evidence's `method`). */
export const METHOD_ZH = { landmarks: "面部网格", keypoints: "面部关键点", faceRegion: "面部区域", region: "引导框区域" };
/** Where a record stands with the platform (the sign-in table). */
export const PLATFORM_ZH = { sending: "发送中", retry: "待重试", done: "已接收", refused: "被拒绝" };

/** A punch's state (the punch list). */
export const PUNCH_STATE_ZH = {
  done: "已送达平台",
  sending: "发送中",
  retry: "等待重发",
  refused: "已拒绝",
  pending: "外勤待审批",
  approved: "外勤已批准，发送中",
  rejected: "外勤已驳回",
};

/** An out-of-fence request's state: its words and chip colour. */
export const REQUEST_STATE = { pending: ["待审批", "warn"], approved: ["已批准", "ok"], rejected: ["已驳回", "bad"] };

/** The day sheet's flags in Chinese (the words of the relay's exports), with how much they
 * matter ("bad", "warn" or "info"). */
export const FLAGS = {
  fenceUncertain: ["围栏边界不确定", "warn"],
  fenceMismatch: ["手机与中继围栏判断不一致", "bad"],
  outsideApproved: ["外勤已批准", "info"],
  requestPending: ["外勤待审批", "warn"],
  lowTrustCapture: ["非实时拍照", "warn"],
  livenessInconclusive: ["活体未确认", "warn"],
  livenessFailed: ["活体未通过", "bad"],
  locationWarnings: ["定位异常", "warn"],
  nonceUnverified: ["活体随机码未验证", "bad"],
  deliveredLate: ["延迟上传", "warn"],
  notAtPlatform: ["未送达平台", "bad"],
};

/** A small coloured label, e.g. a flag; `kind` is "ok", "bad", "warn" or "info". */
export function chip(label, kind = "info") {
  return el("span", `chip ${kind}`, label);
}

/** The chips of a list of flag names (an unknown flag shows under its own name). */
export function flagChips(flags) {
  return list(flags).map((flag) => {
    const [label, kind] = FLAGS[flag] ?? [String(flag), "warn"];
    const node = chip(label, kind);
    node.dataset.flag = String(flag);
    return node;
  });
}

/** A distance in metres as text, e.g. "120 米"; "—" when unknown. */
export function metres(value) {
  return finite(value) === null ? "—" : `${Math.round(value).toLocaleString("zh-CN")} 米`;
}

/** Shows `content` in element `id` as a message; `ok` true / false colours it, undefined not. */
export function say(id, content, ok) {
  const node = document.getElementById(id);
  node.textContent = content;
  node.className = `message ${ok === undefined ? "" : ok ? "ok-text" : "bad-text"}`;
}

/** `value` with two decimals when it is a finite number, else "?". */
export function decimals(value) {
  return finite(value) === null ? "?" : value.toFixed(2);
}

/** The name of a liveness check kind in Chinese. */
export function checkName(kind) {
  return CHECK_ZH[kind] ?? text(kind) ?? "?";
}

/** The liveness scores of a record's evidence, e.g. "闪光 0.93/0.60 · 眨眼 5.10/3.00". */
export function scores(liveness) {
  return list(liveness?.checks)
    .map((check) => `${checkName(check?.kind)} ${decimals(check?.score)}/${decimals(check?.passScore)}`)
    .join(" · ");
}

/** The evidence frames of a record, as small images (only base64 text is used as an image). */
export function frames(liveness) {
  const span = document.createElement("span");
  span.className = "frames";
  for (const frame of list(liveness?.frames)) {
    const jpeg = frame?.jpeg;
    if (typeof jpeg !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(jpeg)) continue;
    const img = document.createElement("img");
    img.alt = "抓拍";
    img.src = `data:image/jpeg;base64,${jpeg}`;
    span.append(img);
  }
  return span;
}
