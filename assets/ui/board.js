// The board: one column per status, cards in the server's order (priority, then age), narrowed by the
// filter bar (queue, assignee, tag, title text, blocked only). The filter bar also narrows Ready & blocked.

import { $, h, fill, taskCard, empty } from "./dom.js";

const STATUSES = ["idle", "working", "complete"];

/** The filter bar's current values. */
export function currentFilters() {
  const form = $("#filters");
  return {
    queue: form.elements.queue.value,
    assignee: form.elements.assignee.value,
    tag: form.elements.tag.value,
    text: form.elements.text.value.trim().toLowerCase(),
    blocked: form.elements.blocked.checked,
  };
}

export function matches(task, f) {
  if (f.queue && task.queue_name !== f.queue) return false;
  if (f.assignee === "-" ? task.assigned_to : f.assignee && task.assigned_to !== f.assignee) return false;
  if (f.tag && !task.tags.includes(f.tag)) return false;
  if (f.text && !task.title.toLowerCase().includes(f.text)) return false;
  if (f.blocked && !task.is_currently_blocked) return false;
  return true;
}

/** Fills a <select> with `values`, keeping the current choice (also when it is no longer on the board). */
function options(select, values, extra = []) {
  const chosen = select.value;
  const first = select.options[0];
  const names = [...new Set(values)].sort((a, b) => a.localeCompare(b));
  if (chosen && chosen !== "-" && !names.includes(chosen)) names.push(chosen);
  fill(select, first, extra, names.map((v) => h("option", { value: v }, v)));
  select.value = chosen;
}

/** Refreshes the filter choices from the tasks on the board. */
export function updateFilterChoices(tasks) {
  const form = $("#filters");
  options(form.elements.queue, tasks.map((t) => t.queue_name).filter(Boolean));
  options(form.elements.assignee, tasks.map((t) => t.assigned_to).filter(Boolean),
    [h("option", { value: "-" }, "Unassigned")]);
  options(form.elements.tag, tasks.flatMap((t) => t.tags));
}

/** Draws the board. `fresh` holds ids of tasks changed by the latest events (they flash once). */
export function renderBoard(tasks, fresh = new Set()) {
  const f = currentFilters();
  const shown = tasks.filter((t) => matches(t, f));
  for (const status of STATUSES) {
    const column = $(`ol[data-status="${status}"]`);
    const cards = shown.filter((t) => t.status === status).map((t) => {
      const card = taskCard(t);
      if (fresh.has(t.id)) card.classList.add("fresh");
      return card;
    });
    fill(column, cards.length ? cards : empty("No tasks"));
    $(`[data-count="${status}"]`).textContent = `(${cards.length})`;
  }
  const blocked = shown.filter((t) => t.is_currently_blocked && t.status !== "complete").length;
  const filtered = shown.length === tasks.length ? "" : ` (filtered from ${tasks.length})`;
  $("#board-summary").textContent =
    `${shown.length} tasks${filtered}, ${blocked} blocked. Updated live as agents work.`;
}
