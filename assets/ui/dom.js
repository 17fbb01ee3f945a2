// DOM helpers. Text from the board always goes in through textContent (never innerHTML), so no task title,
// comment or agent name can inject markup.

/** h("a", {href: "#x", class: "c"}, "text", child) → element. `null`/`false` children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** "#12 Title" link to the task's detail view. */
export function taskLink(task, cls = "card-title") {
  return h("a", { href: `#task/${task.id}`, class: cls },
    h("span", { class: "task-id" }, `#${task.id} `), task.title);
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** A <time> element: relative text ("3 minutes ago"), the exact UTC time as its title. */
export function timeAgo(iso) {
  if (!iso) return h("span", {}, "–");
  const when = new Date(iso);
  return h("time", { datetime: iso, title: when.toISOString() }, ago(when));
}

function ago(when) {
  const secs = Math.round((when.getTime() - Date.now()) / 1000);
  const abs = Math.abs(secs);
  if (abs < 60) return relative.format(secs, "second");
  if (abs < 3600) return relative.format(Math.round(secs / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(secs / 3600), "hour");
  return relative.format(Math.round(secs / 86400), "day");
}

/** "12:34" (or "1:02:03") until `iso`; "expired" once it passed. */
export function remaining(iso) {
  const secs = Math.floor((new Date(iso).getTime() - Date.now()) / 1000);
  if (secs <= 0) return "expired";
  const hours = Math.floor(secs / 3600);
  const mins = Math.floor((secs % 3600) / 60);
  const rest = String(secs % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(mins).padStart(2, "0")}:${rest}` : `${mins}:${rest}`;
}

/** A lease badge counting down to its expiry (updated every second by `tickCountdowns`). */
export function leaseBadge(lease) {
  if (!lease) return null;
  const badge = h("span", { class: "badge lease", "data-expires": lease.expires_at,
    title: `Lease held by ${lease.holder}, expires ${lease.expires_at}` });
  paintCountdown(badge);
  return badge;
}

function paintCountdown(badge) {
  const left = remaining(badge.dataset.expires);
  badge.textContent = left === "expired" ? "lease expired" : `lease ${left} left`;
  badge.classList.toggle("late", left === "expired");
}

/** Updates every lease countdown on the page. */
export function tickCountdowns() {
  for (const badge of $$("[data-expires]")) paintCountdown(badge);
}

/** The badges of a task card: priority, assignee, queue, tags, blocked marker, lease. */
export function taskBadges(task) {
  return h("div", { class: "meta" },
    h("span", { class: "badge priority", title: "Priority (higher = more urgent)" }, `P${task.priority}`),
    h("span", { class: "badge", title: "Assignee" }, task.assigned_to ? `@${task.assigned_to}` : "unassigned"),
    task.queue_name ? h("span", { class: "badge", title: "Queue" }, `queue ${task.queue_name}`) : null,
    task.tags.map((tag) => h("span", { class: "badge tag", title: "Tag" }, `#${tag}`)),
    task.is_currently_blocked
      ? h("span", { class: "badge blocked" },
        task.blocked_by_task_id ? `blocked by #${task.blocked_by_task_id}` : "blocked")
      : null,
    leaseBadge(task.lease));
}

/** A task as a list item card. */
export function taskCard(task) {
  return h("li", { class: "card", dataset: { status: task.status, blocked: String(task.is_currently_blocked), id: task.id } },
    taskLink(task), taskBadges(task));
}

export function empty(text) {
  return h("li", { class: "empty" }, text);
}
