// The relay's manager API (/v1/manager/…) for the manager page: the page logs in with a name
// and password (manager-login.js); the relay keeps the session in an HttpOnly cookie the page
// never sees, and every write carries the session's CSRF token in X-CSRF-Token. Refusals throw
// an ApiError with the relay's code, Chinese message and detail; a request refused because the
// session ended fires "zj-signed-out" on window.

/** A refusal of the manager API. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? "http";
    this.detail = body?.error?.detail ?? null;
  }
}

/** The session's CSRF token (from the login or GET /session), or null. */
let csrfToken = null;

/** Keeps the session's CSRF token for the writes (null forgets it). */
export function setCsrf(value) {
  csrfToken = value ?? null;
}

/** Calls `method path` (under /v1/manager) with a JSON `body`; resolves to the JSON answer. */
export async function api(method, path, body) {
  const headers = { "content-type": "application/json" };
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  let response;
  try {
    response = await fetch(`/v1/manager${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { error: { code: "network", message: "连不上中继，请检查网络后重试。" } });
  }
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, json);
    if (response.status === 401 && path !== "/login" && path !== "/session") {
      window.dispatchEvent(new CustomEvent("zj-signed-out", { detail: error }));
    }
    throw error;
  }
  return json;
}
