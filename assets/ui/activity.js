// The activity feed: the newest events first, as they arrive on the stream (each is the get_events Event:
// cursor, at, kind, task_id, actor, assignee, queue, fields {name: {old, new}}).

import { api } from "./api.js";
import { $, h, fill, timeAgo } from "./dom.js";

const KEEP = 300;
const events = []; // newest first

const LABELS = {
  task_created: "created", task_updated: "updated", task_claimed: "claimed", task_released: "released",
  lease_expired: "lease expired", lease_renewed: "lease renewed", task_moved: "handed over",
  task_archived: "archived", task_deleted: "deleted", comment_added: "commented",
  comment_changed: "comment edited", comment_moved: "comment moved", comment_deleted: "comment deleted",
  link_added: "link added", link_changed: "link changed", link_moved: "link moved", link_deleted: "link deleted",
  dependency_added: "dependency added", dependency_removed: "dependency removed",
};

/** Short text of a field value (long texts are cut, objects shown as JSON). */
function short(value) {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) return value.length ? value.map(short).join(", ") : "none";
  if (typeof value === "object" && "holder" in value && "expires_at" in value) {
    return `${value.holder} until ${new Date(value.expires_at).toLocaleTimeString()}`;
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function changes(fields) {
  return Object.entries(fields ?? {})
    .filter(([name]) => name !== "id" && name !== "task_id")
    .map(([name, change]) => {
      if (change && typeof change === "object" && "new" in change) {
        return change.old === undefined || change.old === null
          ? `${name}: ${short(change.new)}` : `${name}: ${short(change.old)} → ${short(change.new)}`;
      }
      return `${name}: ${short(change)}`;
    })
    .join(" · ");
}

function item(e) {
  return h("li", { dataset: { cursor: e.cursor, kind: e.kind } },
    timeAgo(e.at),
    h("span", { class: "kind" }, LABELS[e.kind] ?? e.kind),
    e.task_id ? h("a", { href: `#task/${e.task_id}` }, `#${e.task_id}`) : null,
    h("span", {}, e.actor ? `by ${e.actor}` : "by an unnamed client"),
    e.assignee ? h("span", {}, `· assignee @${e.assignee}`) : null,
    h("span", { class: "changes" }, changes(e.fields)));
}

/** Loads the events up to `cursor` that precede the live stream (the latest KEEP). */
export async function loadRecent(cursor) {
  const page = await api.events({ after: Math.max(0, cursor - KEEP), limit: KEEP });
  const seen = new Set(events.map((e) => e.cursor));
  for (const e of page.events.filter((e) => e.cursor <= cursor && !seen.has(e.cursor))) events.push(e);
  events.sort((a, b) => b.cursor - a.cursor);
  events.length = Math.min(events.length, KEEP);
}

/** Adds one live event. */
export function addEvent(e) {
  if (events.length && events[0].cursor >= e.cursor) return; // already shown
  events.unshift(e);
  events.length = Math.min(events.length, KEEP);
}

export function clearEvents() {
  events.length = 0;
}

export function renderActivity() {
  fill($("#activity-list"), events.length ? events.map(item) : h("li", { class: "empty" }, "No events yet."));
}
