// The relay's manager API (/v1/manager/…) for the manager page: the bearer token is entered
// once and kept in sessionStorage (this tab only). Refusals throw an ApiError with the relay's
// code, Chinese message and detail.

const TOKEN_KEY = "zj-manager-token";

/** A refusal of the manager API. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? "http";
    this.detail = body?.error?.detail ?? null;
  }
}

/** The kept token, or null. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps `value` as the token for this tab (null forgets it). */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Calls `method path` (under /v1/manager) with a JSON `body`; resolves to the JSON answer. */
export async function api(method, path, body) {
  let response;
  try {
    response = await fetch(`/v1/manager${path}`, {
      method,
      headers: { authorization: `Bearer ${token()}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { error: { code: "network", message: "连不上中继，请检查网络后重试。" } });
  }
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}
