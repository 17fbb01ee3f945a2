// Per queue: get_queue_stats for every queue (list_queues), with a link that filters the board by it.

import { api } from "./api.js";
import { $, h, fill } from "./dom.js";

export async function renderQueues() {
  const names = await api.queues();
  const stats = await Promise.all(names.map((name) => api.queueStats(name)));
  const num = (n) => h("td", { class: "num" }, String(n));
  const rows = stats.map((s) => h("tr", { dataset: { queue: s.queue_name } },
    h("th", { scope: "row" }, h("a", { href: `#board?queue=${encodeURIComponent(s.queue_name)}` }, s.queue_name)),
    num(s.total_tasks), num(s.by_status.idle), num(s.by_status.working), num(s.by_status.complete),
    num(s.assigned), num(s.unassigned),
    h("td", {}, s.agents.length ? s.agents.join(", ") : "–")));
  fill($("#queues-table tbody"), rows.length ? rows
    : h("tr", {}, h("td", { colspan: "8", class: "empty" }, "No queues: no active task has a queue_name.")));
}
