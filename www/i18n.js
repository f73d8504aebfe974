// The clock-in page's words, Chinese first with an English switch. Elements carry
// `data-i18n="key"` (text) or `data-i18n-placeholder="key"`; apply() fills them in.
// Messages from the phone module and the relay come in Chinese only and are shown as they are.

const STRINGS = {
  zh: {
    title: "工地考勤打卡",
    langSwitch: "English",
    offline: "网络已断开：打卡记录会保存在手机上，联网后自动上传。",
    loading: "正在加载…",
    loadFailed: "页面加载失败，请检查网络后刷新页面。",
    enrollTitle: "登记这部手机",
    enrollHelp: "输入管理员给您的登记码（10 位，如 ABCDE-23456），或扫描登记二维码。",
    enrollPlaceholder: "登记码",
    enrollButton: "登记",
    enrolling: "正在登记…",
    enrollEmpty: "请先输入登记码。",
    siteTitle: "工地",
    fenceNone: "管理员尚未设置电子围栏，暂时无法判断位置。",
    fenceSet: "电子围栏第 {version} 版，定位精度要求 {accuracy} 米以内",
    personLabel: "打卡人",
    personEmpty: "工地名单为空，请联系管理员把您加入名单。",
    locateTitle: "位置",
    locateButton: "定位",
    locating: "正在定位…",
    locateHint: "请到工地范围内，点“定位”。",
    accuracy: "精度 ±{m} 米",
    distance: "距围栏边界 {m} 米",
    verdict_inside: "在围栏内",
    verdict_outside: "在围栏外",
    verdict_uncertain: "无法确定",
    verdict_none: "未设围栏",
    locateFailed: "定位失败：{message}",
    clockTitle: "刷脸打卡",
    clockButton: "开始刷脸打卡",
    clockNeedLocation: "请先定位，且位置在围栏内，才能打卡。",
    cancel: "取消",
    cameraStarting: "正在打开前置摄像头…",
    detectorLoading: "正在加载人脸检测…",
    detectorFallback: "人脸检测没能加载（没有网络），本次改用简化检测，结果会注明。",
    holdStill: "请把脸放进椭圆框内",
    livenessFailed: "活体检测未通过：{advice}",
    livenessInconclusive: "没有看清您的脸，活体检测无法完成。",
    livenessRetry: "请在光线充足处正对屏幕，按提示动作后再试一次。",
    retryLiveness: "再试一次",
    capturing: "正在拍照…",
    saving: "正在保存…",
    savedWaiting: "打卡已保存在手机上，正在上传…",
    savedOffline: "打卡已保存在手机上。现在没有网络，联网后会自动上传，不用再打一次。",
    delivered: "打卡成功，平台已收到。",
    fallbackSaved: "打卡已保存（没有活体检测，需管理员复核）。",
    fallbackOffer: "无法使用摄像头实时检测。可以改用拍照打卡（需管理员复核）。",
    fallbackButton: "拍照打卡",
    outboxTitle: "上传记录",
    pending: "等待上传",
    sending: "正在上传",
    done: "已上传",
    failed: "失败",
    lastUpload: "上次上传：{time}",
    neverUploaded: "还没有上传过",
    uploadNow: "立即上传",
    retry: "重试",
    halted: "上传已暂停：{message}",
    waitingList: "等待上传的记录",
    failedList: "上传失败的记录",
    savedAt: "{time} 保存，已尝试 {n} 次",
    online: "在线",
    offlineShort: "离线",
    requestHelp: "不在围栏内？如果是因为工作在外（材料场、第二作业区、开会、办事），请选择原因，申请外勤打卡，由管理员审批。",
    requestReason: "外勤原因",
    requestReasonPick: "请选择原因",
    requestNote: "说明",
    requestNotePlaceholder: "在哪里、做什么（选“其他”时必填，200 字以内）",
    requestButton: "申请外勤打卡",
    requestOffer: "可以申请外勤打卡（见下方）。",
    requestSaving: "外勤申请已保存在手机上，正在上传…",
    requestSavedOffline: "外勤申请已保存在手机上。现在没有网络，联网后会自动上传，不用再申请一次。",
    requestSent: "外勤申请已提交，等待管理员审批。结果见“我的外勤申请”。",
    requested: "外勤申请",
    requestedNote: "已交管理员审批，结果见“我的外勤申请”。",
    requestsTitle: "我的外勤申请",
    requestsRefresh: "刷新",
    requestsLoading: "正在获取…",
    requestsEmpty: "近 30 天没有外勤申请。",
    requestsFailed: "没能获取外勤申请：{message}",
    state_pending: "待审批",
    state_approved: "已批准",
    state_rejected: "已驳回",
    autoApproved: "在批准的作业区内，自动批准",
    atPlatform: "平台已收到",
    notAtPlatform: "正在发送到平台",
    managerComment: "管理员意见：{comment}",
    prompt_flash: "请正对屏幕，保持不动",
    prompt_blink: "请眨一下眼",
    prompt_turnLeft: "请向左转头，再转回来",
    prompt_turnRight: "请向右转头，再转回来",
    prompt_nod: "请点一下头",
    step: "第 {step}/{steps} 步",
  },
  en: {
    title: "Site clock-in",
    langSwitch: "中文",
    offline: "You are offline: clock-ins are kept on this phone and uploaded when the network is back.",
    loading: "Loading…",
    loadFailed: "The page could not load. Check the network and reload.",
    enrollTitle: "Register this phone",
    enrollHelp: "Enter the code from your site manager (10 characters, e.g. ABCDE-23456), or scan its QR code.",
    enrollPlaceholder: "Enrollment code",
    enrollButton: "Register",
    enrolling: "Registering…",
    enrollEmpty: "Enter the enrollment code first.",
    siteTitle: "Site",
    fenceNone: "The manager has not drawn the site's fence yet; location cannot be judged.",
    fenceSet: "Fence version {version}, location accuracy needed: {accuracy} m",
    personLabel: "Worker",
    personEmpty: "The site's roster is empty: ask the manager to add you.",
    locateTitle: "Location",
    locateButton: "Locate",
    locating: "Locating…",
    locateHint: "Go onto the site and tap “Locate”.",
    accuracy: "accuracy ±{m} m",
    distance: "{m} m from the fence line",
    verdict_inside: "Inside the fence",
    verdict_outside: "Outside the fence",
    verdict_uncertain: "Uncertain",
    verdict_none: "No fence",
    locateFailed: "Location failed: {message}",
    clockTitle: "Face clock-in",
    clockButton: "Start face clock-in",
    clockNeedLocation: "Locate first; you must be inside the fence to clock in.",
    cancel: "Cancel",
    cameraStarting: "Opening the front camera…",
    detectorLoading: "Loading face detection…",
    detectorFallback: "Face detection could not load (no network); this check uses the simpler method, and says so.",
    holdStill: "Put your face inside the oval",
    livenessFailed: "Liveness check failed: {advice}",
    livenessInconclusive: "Your face could not be seen well enough to finish the liveness check.",
    livenessRetry: "Face the screen in good light, follow the prompts, and try again.",
    retryLiveness: "Try again",
    capturing: "Taking the photo…",
    saving: "Saving…",
    savedWaiting: "Clock-in saved on this phone; uploading…",
    savedOffline: "Clock-in saved on this phone. There is no network now; it will upload by itself — do not clock in again.",
    delivered: "Clocked in: the platform has it.",
    fallbackSaved: "Clock-in saved (no liveness check; the manager will review it).",
    fallbackOffer: "The camera cannot be used for the live check. You can clock in with a photo instead (reviewed by the manager).",
    fallbackButton: "Clock in with a photo",
    outboxTitle: "Uploads",
    pending: "Waiting",
    sending: "Uploading",
    done: "Uploaded",
    failed: "Failed",
    lastUpload: "Last upload: {time}",
    neverUploaded: "Nothing uploaded yet",
    uploadNow: "Upload now",
    retry: "Retry",
    halted: "Uploads paused: {message}",
    waitingList: "Waiting records",
    failedList: "Failed records",
    savedAt: "saved {time}, {n} attempts",
    online: "online",
    offlineShort: "offline",
    requestHelp: "Outside the fence? If work took you there (a supplier, a second work area, a meeting, an errand), pick the reason and request an out-of-fence clock-in; the manager approves it.",
    requestReason: "Reason",
    requestReasonPick: "Pick a reason",
    requestNote: "Note",
    requestNotePlaceholder: "Where and what for (required for “Other”, at most 200 characters)",
    requestButton: "Request out-of-fence clock-in",
    requestOffer: "You can request an out-of-fence clock-in (below).",
    requestSaving: "Request saved on this phone; uploading…",
    requestSavedOffline: "Request saved on this phone. There is no network now; it will upload by itself — do not request again.",
    requestSent: "Request sent; waiting for the manager. See “My out-of-fence requests”.",
    requested: "Requests",
    requestedNote: "With the manager; see “My out-of-fence requests”.",
    requestsTitle: "My out-of-fence requests",
    requestsRefresh: "Refresh",
    requestsLoading: "Loading…",
    requestsEmpty: "No out-of-fence requests in the last 30 days.",
    requestsFailed: "The requests could not be loaded: {message}",
    state_pending: "Waiting",
    state_approved: "Approved",
    state_rejected: "Rejected",
    autoApproved: "inside an approved work area, approved automatically",
    atPlatform: "the platform has it",
    notAtPlatform: "being sent to the platform",
    managerComment: "Manager: {comment}",
    reason_supplier: "Supplier / materials yard",
    reason_second_area: "Second work area",
    reason_meeting: "Meeting away",
    reason_errand: "Errand",
    reason_other: "Other",
    prompt_flash: "Face the screen and hold still",
    prompt_blink: "Blink once",
    prompt_turnLeft: "Turn your head left, then back",
    prompt_turnRight: "Turn your head right, then back",
    prompt_nod: "Nod once",
    step: "Step {step} of {steps}",
  },
};

const KEY = "zj-lang";
let current = localStorage.getItem(KEY) === "en" ? "en" : "zh";

/** The current language, `zh` or `en`. */
export function lang() {
  return current;
}

/** The text of `key` in the current language with `{name}` filled from `params`. */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/** Fills every `data-i18n` element under `root` and the document's language and title. */
export function apply(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}

/** Switches between Chinese and English, remembered on this phone. */
export function toggle() {
  current = current === "zh" ? "en" : "zh";
  localStorage.setItem(KEY, current);
  apply();
}

/** A day and time in the current language, e.g. 12/3 06:52. */
export function dayAndTime(ms) {
  return new Date(ms).toLocaleString(current === "zh" ? "zh-CN" : "en-GB", {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
}

/** A time of day in the current language, e.g. 06:52:10. */
export function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString(current === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}
