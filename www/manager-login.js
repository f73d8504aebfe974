// The manager page's login: a name and password form; the relay answers with a session cookie
// (HttpOnly: this page never sees it) and the session's CSRF token, which manager-api.js sends
// on every write. Shows who is logged in (name, role, sites) and logs out. A session that ends
// while the page is open (idle too long, password reset, account deleted) brings the form back.
// A logged-in manager changes their own password here too.

import { api, setCsrf } from "./manager-api.js";

const $ = (id) => document.getElementById(id);

/** Whether the console was opened once: after that a new login reloads the page instead. */
let entered = false;

/**
 * Wires the login form and the logout button, then opens the console with `enter` when the
 * browser still has a session, else shows the form.
 */
export async function startLogin(enter) {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(enter);
  });
  $("logout").addEventListener("click", logout);
  $("change-password").addEventListener("click", () => {
    $("password-form").reset();
    $("password-message").textContent = "";
    $("password-dialog").showModal();
  });
  $("password-close").addEventListener("click", () => $("password-dialog").close());
  $("password-form").addEventListener("submit", (event) => {
    event.preventDefault();
    changePassword();
  });
  window.addEventListener("zj-signed-out", () => showLogin("登录已过期或已在别处退出，请重新登录。"));
  let session = null;
  try {
    session = await api("GET", "/session");
  } catch (error) {
    showLogin(error.status === 401 ? "" : error.message);
    return;
  }
  await open(session, enter);
}

/** Logs in with the form's name and password. */
async function submit(enter) {
  const button = $("login-form").querySelector("button");
  button.disabled = true;
  setMessage("正在登录…");
  try {
    const session = await api("POST", "/login", {
      name: $("login-name").value.trim(),
      password: $("login-password").value,
    });
    $("login-password").value = "";
    setMessage("");
    if (entered) location.reload();
    else await open(session, enter);
  } catch (error) {
    $("login-password").value = "";
    showLogin(loginRefusal(error));
  } finally {
    button.disabled = false;
  }
}

/** What to tell the manager when a login is refused, plainly. */
function loginRefusal(error) {
  if (error.code === "login_failed") return "账号或密码不对，请重新输入。";
  if (error.code === "too_many_failures") return error.message;
  if (error.code === "network") return error.message;
  return `登录失败：${error.message}`;
}

/** The account logged in. */
let account = null;

/** Shows who is logged in and opens the console. */
async function open(session, enter) {
  setCsrf(session.csrfToken);
  account = session.name;
  $("change-password").hidden = false;
  const role = session.role === "admin" ? "管理员 · 全部工地" : `工地管理员 · ${session.sites.join("、") || "暂无工地"}`;
  $("who").textContent = `${session.name}（${role}）`;
  $("who").hidden = false;
  $("logout").hidden = false;
  $("login").hidden = true;
  entered = true;
  await enter();
}

/** Shows the login form (and hides the console) with `text` as the message. */
export function showLogin(text) {
  setCsrf(null);
  $("login").hidden = false;
  $("console").hidden = true;
  $("who").hidden = true;
  $("logout").hidden = true;
  $("change-password").hidden = true;
  setMessage(text);
  $("login-name").focus();
}

function setMessage(text) {
  $("login-message").textContent = text;
}

/** Ends the session, then starts over at the form. */
async function logout() {
  try {
    await api("POST", "/logout");
  } catch {
    // The session may have ended already; the form comes back either way.
  }
  setCsrf(null);
  location.reload();
}

/** Changes the logged-in account's password with its current one (this session goes on). */
async function changePassword() {
  const box = $("password-message");
  const button = $("password-form").querySelector("button[type=submit]");
  button.disabled = true;
  box.className = "message";
  box.textContent = "正在保存…";
  try {
    await api("PUT", `/accounts/${encodeURIComponent(account)}/password`, {
      currentPassword: $("current-password").value,
      password: $("new-password").value,
    });
    $("password-form").reset();
    box.className = "message ok-text";
    box.textContent = "密码已修改。下次登录请用新密码；其他地方的登录已退出。";
  } catch (error) {
    box.className = "message bad-text";
    box.textContent = `没有修改：${error.message}`;
  } finally {
    button.disabled = false;
  }
}
