// Task detail: description, facts, dependencies, comments, links, history — and, unless the dashboard is
// read-only, the operator actions (status, priority, reassign, release the claim, archive, comment), each
// confirmed first and sent through the REST API as "operator".

import { api, mode, OPERATOR } from "./api.js";
import { $, h, fill, timeAgo, leaseBadge, taskBadges } from "./dom.js";
import { confirmAction } from "./confirm.js";
import { notify } from "./notice.js";

let shownId = null; // the task whose action forms are on screen (kept across live refreshes)
let current = null; // the latest view of that task

const panel = (title, ...content) => h("section", { class: "panel", "aria-label": title }, h("h2", {}, title), content);

function facts(task) {
  const row = (name, value) => [h("dt", {}, name), h("dd", {}, value ?? "–")];
  return h("dl", { class: "facts" },
    row("Status", task.status),
    row("Priority", String(task.priority)),
    row("Assigned to", task.assigned_to),
    row("Previously", task.previous_assigned_to),
    row("Queue", task.queue_name),
    row("Tags", task.tags.length ? task.tags.join(", ") : null),
    row("Parent", task.parent_task_id ? h("a", { href: `#task/${task.parent_task_id}` }, `#${task.parent_task_id}`) : null),
    row("Created by", task.created_by),
    row("Created", timeAgo(task.created_at)),
    row("Updated", timeAgo(task.updated_at)),
    row("Archived", task.archived_at ? timeAgo(task.archived_at) : null),
    row("Lease", task.lease ? [`${task.lease.holder} `, leaseBadge(task.lease)] : null));
}

function refList(refs, none) {
  if (!refs.length) return h("p", { class: "empty" }, none);
  return h("ul", {}, refs.map((r) => h("li", {},
    h("a", { href: `#task/${r.id}` }, `#${r.id} ${r.title}`), ` — ${r.status}${r.is_open ? " (open)" : ""}`)));
}

/** Only http(s) links become anchors (no javascript: or data: URLs from the board). */
function linkTo(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      return h("a", { href: parsed.href, rel: "noopener noreferrer", target: "_blank" }, url);
    }
  } catch { /* not a URL: shown as text */ }
  return h("code", {}, url);
}

function info(task) {
  const main = h("div", {},
    panel("Description", task.description
      ? h("p", { class: "description" }, task.description) : h("p", { class: "empty" }, "No description.")),
    panel("Dependencies",
      h("h3", {}, "Waits for"), refList(task.depends_on, "Nothing."),
      h("h3", {}, "Needed by"), refList(task.dependents, "Nothing.")),
    panel(`Comments (${task.comments.length})`, task.comments.length
      ? h("ol", { class: "comments" }, task.comments.map((c) => h("li", {},
        h("span", { class: "who" }, c.created_by ?? "unknown"), " · ", timeAgo(c.created_at),
        h("p", {}, c.content))))
      : h("p", { class: "empty" }, "No comments.")),
    panel(`Links (${task.links.length})`, task.links.length
      ? h("ul", {}, task.links.map((l) => h("li", {}, linkTo(l.url), l.description ? ` — ${l.description}` : "")))
      : h("p", { class: "empty" }, "No links.")),
    panel("History", task.history.length
      ? h("div", { class: "table-wrap" }, h("table", { class: "history" },
        h("thead", {}, h("tr", {}, ["When", "Field", "From", "To", "By"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, task.history.slice().reverse().map((e) => h("tr", {},
          h("td", {}, timeAgo(e.changed_at)), h("td", {}, e.field_name), h("td", {}, e.old_value ?? "–"),
          h("td", {}, e.new_value ?? "–"), h("td", {}, e.changed_by ?? "–"))))))
      : h("p", { class: "empty" }, "No recorded changes.")));
  return main;
}

/** Runs a confirmed action; reports the outcome in the notice area. */
async function act(title, text, run, done) {
  if (!(await confirmAction(title, text))) return;
  try {
    await run();
    // Submitted: the fields follow the board again.
    for (const el of document.querySelectorAll("#task-detail [data-edited]")) delete el.dataset.edited;
    notify(done, "ok");
  } catch (error) {
    notify(`${title} failed: ${error.message}`, "error");
  }
}

function actionForms(agents) {
  const id = () => current.id;
  const status = h("select", { name: "status", id: "act-status" },
    ["idle", "working", "complete"].map((s) => h("option", { value: s }, s)));
  const priority = h("input", { name: "priority", id: "act-priority", type: "number", step: "1", required: true });
  const assignee = h("input", { name: "assigned_to", id: "act-assignee", list: "known-agents", autocomplete: "off",
    placeholder: "agent name (empty: unassign)" });
  const comment = h("textarea", { name: "content", id: "act-comment", required: true });
  const releaseText = h("p", { id: "act-release-text" });
  const submit = (handler) => (event) => { event.preventDefault(); handler(); };

  const forms = h("section", { class: "panel actions", "aria-label": "Operator actions" },
    h("h2", {}, "Operator actions"),
    h("datalist", { id: "known-agents" }, agents.map((a) => h("option", { value: a }))),
    h("form", { id: "form-status", onsubmit: submit(() => act("Change status",
      `Change the status of #${id()} from ${current.status} to ${status.value}?`,
      () => api.update(id(), { status: status.value }), `#${id()} is now ${status.value}.`)) },
      h("label", { for: "act-status" }, "Status", status), h("button", { type: "submit" }, "Change status")),
    h("form", { id: "form-priority", onsubmit: submit(() => act("Change priority",
      `Change the priority of #${id()} from ${current.priority} to ${priority.value}?`,
      () => api.update(id(), { priority: Number(priority.value) }), `#${id()} now has priority ${priority.value}.`)) },
      h("label", { for: "act-priority" }, "Priority", priority), h("button", { type: "submit" }, "Change priority")),
    h("form", { id: "form-assign", onsubmit: submit(() => {
      const to = assignee.value.trim();
      const from = current.assigned_to ?? "nobody";
      return act("Reassign", to ? `Reassign #${id()} from ${from} to ${to}?` : `Unassign #${id()} (now ${from})?`,
        () => api.update(id(), { assigned_to: to || null }), to ? `#${id()} is assigned to ${to}.` : `#${id()} is unassigned.`);
    }) },
      h("label", { for: "act-assignee" }, "Assign to", assignee), h("button", { type: "submit" }, "Reassign")),
    h("form", { id: "form-release", onsubmit: submit(() => {
      const holder = holderOf(current);
      return act("Release the claim",
        `Release ${holder}'s claim on #${id()}? The task becomes idle again (back in its pool if it came from there), with a comment saying the operator released it.`,
        () => api.release(id(), holder), `${holder}'s claim on #${id()} was released.`);
    }) }, releaseText, h("button", { type: "submit", class: "danger" }, "Release claim")),
    h("form", { id: "form-archive", onsubmit: submit(() => act("Archive",
      `Archive #${id()} "${current.title}"? It leaves the board (archived tasks stay readable by id).`,
      () => api.archive(id()), `#${id()} was archived.`)) },
      h("p", {}, "Archive the task: it leaves the board and no longer blocks anything."),
      h("button", { type: "submit", class: "danger" }, "Archive")),
    h("form", { id: "form-comment", onsubmit: submit(() => act("Comment",
      `Add this comment to #${id()} as "${OPERATOR}"?\n\n${comment.value.trim()}`,
      async () => { await api.comment(id(), comment.value.trim()); comment.value = ""; },
      `Comment added to #${id()}.`)) },
      h("label", { for: "act-comment", class: "wide" }, `Comment as ${OPERATOR}`, comment),
      h("button", { type: "submit" }, "Add comment")));
  // A field the operator touched keeps their value until it is submitted (see syncActions).
  for (const field of [status, priority, assignee]) {
    field.addEventListener("input", () => { field.dataset.edited = "true"; });
  }
  return forms;
}

/** Who holds the claim: the lease holder, or (leases off) the working assignee. */
function holderOf(task) {
  return task.lease?.holder ?? (task.status === "working" ? task.assigned_to : null);
}

/**
 * Brings the action forms in line with `task`, leaving alone any field the operator changed and has not
 * submitted yet (live refreshes must not undo a choice being made).
 */
function syncActions(task, reset) {
  const set = (el, value) => {
    if (reset || el.dataset.edited !== "true") {
      el.value = value;
      delete el.dataset.edited;
    }
  };
  set($("#act-status"), task.status);
  set($("#act-priority"), String(task.priority));
  set($("#act-assignee"), task.assigned_to ?? "");
  const holder = holderOf(task);
  $("#form-release").hidden = !holder || Boolean(task.archived_at);
  $("#act-release-text").textContent = holder ? `Claimed by ${holder}.` : "";
  $("#form-archive").hidden = Boolean(task.archived_at);
}

export async function renderTask(id, agents) {
  const task = await api.task(id);
  current = task;
  $("#h-task").textContent = `#${task.id} ${task.title}`;
  const container = $("#task-detail");
  const first = shownId !== task.id || !$("#task-info");
  if (first) {
    shownId = task.id;
    fill(container, h("div", { class: "detail" },
      h("div", { id: "task-info" }),
      h("div", {},
        h("section", { class: "panel", "aria-label": "Facts" }, h("h2", {}, "Facts"), h("div", { id: "task-facts" })),
        mode === "on" ? actionForms(agents) : h("p", { class: "summary" }, "Read-only dashboard: no actions."))));
  }
  fill($("#task-info"), h("div", { class: "meta" }, taskBadges(task)), info(task));
  fill($("#task-facts"), facts(task));
  if (mode === "on") syncActions(task, first);
  return first;
}

/** Leaves the detail view: the next visit builds fresh forms. */
export function forgetTask() {
  shownId = null;
}
