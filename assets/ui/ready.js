// Ready vs blocked: list_ready_tasks (claim order over the whole board) beside the open tasks that wait for
// a dependency. Both follow the filter bar.

import { api } from "./api.js";
import { $, fill, taskCard, empty } from "./dom.js";
import { currentFilters, matches } from "./board.js";

export async function renderReady(tasks) {
  const f = currentFilters();
  const ready = (await api.ready({ limit: 200 })).tasks.filter((t) => matches(t, f));
  const blocked = tasks.filter((t) => t.is_currently_blocked && t.status !== "complete" && matches(t, f));
  fill($("#ready-list"), ready.length ? ready.map(taskCard) : empty("Nothing is ready to claim."));
  $("#ready-list").classList.add("numbered");
  fill($("#blocked-list"), blocked.length ? blocked.map(taskCard) : empty("Nothing is blocked."));
  $('[data-count="ready"]').textContent = `(${ready.length})`;
  $('[data-count="blocked"]').textContent = `(${blocked.length})`;
}

