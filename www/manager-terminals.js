// The manager page's MR860 face terminals: the site's terminals with their upload URLs (to type
// into each terminal's settings), a form to add one and a button to give one a new key. A key
// is shown once, in the full URLs, when it is issued; the relay keeps only its hash, so the
// list shows the URLs with 「<密钥>」 in its place. Builds its own card in the page's panel.

import { api } from "./manager-api.js";

const INTAKES = [
  ["face", "人脸考勤"],
  ["verify", "人证比对 / 白名单"],
  ["person", "新增人员"],
];

let site = null;

/** An element `tag` with class `className` and text `text`. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The terminals card, made once and put after the panel's last card. */
function card() {
  let section = document.getElementById("terminals");
  if (section) return section;
  section = el("section", "card");
  section.id = "terminals";
  const form = el("form", "terminal-form");
  const deviceId = el("input");
  deviceId.id = "terminal-device";
  deviceId.placeholder = "终端编号（deviceId，见终端设置）";
  deviceId.autocomplete = "off";
  const allowFrom = el("input");
  allowFrom.id = "terminal-allow";
  allowFrom.placeholder = "只允许这些网络地址（可不填，例如 192.168.1.0/24）";
  allowFrom.autocomplete = "off";
  const add = el("button", "secondary big", "添加终端");
  add.type = "submit";
  form.append(deviceId, allowFrom, add);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    addTerminal();
  });
  const issued = el("div", "issued");
  issued.id = "terminal-issued";
  issued.hidden = true;
  const status = el("p", "message");
  status.id = "terminal-message";
  status.setAttribute("role", "status");
  const list = el("ul", "records");
  list.id = "terminal-list";
  section.append(
    el("h2", "", "考勤终端（MR860）"),
    el("p", "muted", "把下面的上传地址填到终端的设置里。地址中含有终端的密钥，请勿外传。"),
    list,
    issued,
    form,
    status,
  );
  document.querySelector("#console .panel").append(section);
  return section;
}

function say(text, ok) {
  const status = document.getElementById("terminal-message");
  status.textContent = text;
  status.className = `message ${ok === undefined ? "" : ok ? "ok-text" : "bad-text"}`;
}

/** The three upload URLs as labelled lines. */
function urlLines(urls) {
  return INTAKES.map(([intake, label]) => {
    const line = el("p", "url-line");
    line.append(el("span", "muted", `${label}：`), el("code", "url", urls[intake]));
    return line;
  });
}

/** Shows a just-issued key's full URLs, with the warning that they are shown once. */
function showIssued(terminal, what) {
  const box = document.getElementById("terminal-issued");
  box.replaceChildren(
    el("p", "ok-text", `${what}：终端 ${terminal.deviceId}。请现在把这三个地址填到终端设置中；离开本页后不再显示。`),
    ...urlLines(terminal.urls),
  );
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

/** One terminal of the list: its URLs (key left out) and its "new key" button. */
function row(terminal) {
  const item = el("li", "record terminal");
  const about = el("div");
  const allowed = terminal.allowFrom.length ? `只允许 ${terminal.allowFrom.join("、")}` : "任何网络地址";
  about.append(el("strong", "", terminal.deviceId), el("p", "muted small", allowed), ...urlLines(terminal.urls));
  item.append(about);
  if (terminal.configured) {
    item.append(el("p", "muted small", "写在中继配置文件中"));
  } else {
    const rotate = el("button", "secondary big", "换新密钥");
    rotate.type = "button";
    rotate.addEventListener("click", () => rotateKey(terminal.deviceId));
    item.append(rotate);
  }
  return item;
}

/** Lists `chosen`'s terminals (the site the page shows). */
export async function showTerminals(chosen) {
  site = chosen;
  card();
  document.getElementById("terminal-issued").hidden = true;
  say("");
  const list = document.getElementById("terminal-list");
  try {
    const terminals = await api("GET", `/sites/${site.siteId}/terminals`);
    list.replaceChildren(...terminals.map(row));
    if (!terminals.length) list.replaceChildren(el("li", "muted", "这个工地还没有终端。"));
  } catch (error) {
    list.replaceChildren();
    say(`终端列表没有读到：${error.message}`, false);
  }
}

async function addTerminal() {
  const deviceId = document.getElementById("terminal-device").value.trim();
  const allowFrom = document.getElementById("terminal-allow").value.split(/[\s,，、]+/).filter(Boolean);
  if (!deviceId) {
    say("请填写终端编号（在终端的设置里可以看到）。", false);
    return;
  }
  try {
    const terminal = await api("POST", `/sites/${site.siteId}/terminals`, { deviceId, allowFrom });
    document.getElementById("terminal-device").value = "";
    document.getElementById("terminal-allow").value = "";
    await showTerminals(site);
    showIssued(terminal, "已添加");
  } catch (error) {
    say(`没有添加：${error.message}`, false);
  }
}

async function rotateKey(deviceId) {
  const sure = confirm(`给终端 ${deviceId} 换新密钥？旧的上传地址会立即失效，需要把新地址填到终端设置中。`);
  if (!sure) return;
  try {
    const terminal = await api("POST", `/terminals/${encodeURIComponent(deviceId)}/rotate`);
    await showTerminals(site);
    showIssued(terminal, "已换新密钥");
  } catch (error) {
    say(`没有换成：${error.message}`, false);
  }
}
