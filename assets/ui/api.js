// The REST API (/api/v1) as the dashboard uses it. Requests are same-origin, so the login cookie goes along;
// writes carry the CSRF token the server put in the page. Errors become exceptions with the server's own
// message ({"error": "..."}), which names the parameter at fault.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";

const csrf = meta("tinytask-csrf");
/** "on" or "readonly" (TINYTASK_UI). */
export const mode = meta("tinytask-mode");
/** Who the dashboard's writes are recorded as (changed_by, created_by). */
export const OPERATOR = "operator";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, params, body) {
  const url = new URL(`/api/v1${path}`, location.origin);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-TinyTask-CSRF"] = csrf;
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    // The login expired (or the token was rotated): the page shows the login form again.
    location.reload();
    throw new ApiError(401, "Your login expired; log in again.");
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    throw new ApiError(response.status, json?.error ?? `${method} ${path} failed: HTTP ${response.status}`);
  }
  return json;
}

const get = (path, params) => request("GET", path, params);
const enc = encodeURIComponent;

export const api = {
  tasks: (params) => get("/tasks", params),
  task: (id) => get(`/tasks/${id}`),
  history: (id) => get(`/tasks/${id}/history`),
  queues: () => get("/queues"),
  queueStats: (name) => get(`/queues/${enc(name)}/stats`),
  ready: (params) => get("/ready", params),
  events: (params) => get("/events", params),
  search: (params) => get("/search", params),
  update: (id, changes) => request("PATCH", `/tasks/${id}`, null, { ...changes, changed_by: OPERATOR }),
  release: (id, agent) => request("POST", `/tasks/${id}/release`, null, {
    agent_name: agent,
    comment: `Released by the operator from the dashboard (the claim was held by ${agent}).`,
  }),
  archive: (id) => request("POST", `/tasks/${id}/archive`, null, {}),
  comment: (id, content) => request("POST", `/tasks/${id}/comments`, null, { content, created_by: OPERATOR }),
};
