// Per agent: what it holds (working tasks, with the lease countdown and since when it has held each), and
// what waits in its queue (idle tasks assigned to it). "Since" is the moment the task last became
// `working`, read from the task's history (one request per held task, cached until the task changes).

import { api } from "./api.js";
import { $, h, fill, taskLink, taskBadges, timeAgo, leaseBadge } from "./dom.js";

const since = new Map(); // "id@updated_at" → ISO time or null

async function heldSince(task) {
  const key = `${task.id}@${task.updated_at}`;
  if (!since.has(key)) {
    const page = await api.history(task.id);
    const started = page.history.filter((e) => e.field_name === "status" && e.new_value === "working").pop();
    since.set(key, started?.changed_at ?? null);
  }
  return since.get(key);
}

export async function renderAgents(tasks) {
  const byAgent = new Map();
  for (const task of tasks) {
    const agent = task.lease?.holder ?? task.assigned_to;
    if (!agent || task.status === "complete") continue;
    if (!byAgent.has(agent)) byAgent.set(agent, { held: [], queued: [] });
    byAgent.get(agent)[task.status === "working" ? "held" : "queued"].push(task);
  }
  const names = [...byAgent.keys()].sort((a, b) => a.localeCompare(b));
  const held = names.flatMap((n) => byAgent.get(n).held);
  const starts = await Promise.all(held.map((t) => heldSince(t).catch(() => null)));
  const startOf = new Map(held.map((t, i) => [t.id, starts[i]]));
  const cards = names.map((name) => {
    const { held: holding, queued } = byAgent.get(name);
    return h("section", { class: "agent", "aria-label": `Agent ${name}`, dataset: { agent: name } },
      h("h2", {}, name),
      h("p", { class: "summary" }, `${holding.length} working, ${queued.length} waiting in its queue`),
      holding.length
        ? h("ul", {}, holding.map((t) => h("li", {},
          taskLink(t),
          h("div", { class: "meta" },
            h("span", { class: "badge" }, "since ", timeAgo(startOf.get(t.id) ?? t.updated_at)),
            t.lease ? leaseBadge(t.lease) : h("span", { class: "badge" }, "no lease")))))
        : h("p", { class: "empty" }, "Holds nothing."),
      queued.length
        ? h("details", {}, h("summary", {}, `Queue (${queued.length})`),
          h("ul", {}, queued.map((t) => h("li", {}, taskLink(t), taskBadges(t)))))
        : null);
  });
  fill($("#agents-list"), cards.length ? cards : h("p", { class: "empty" }, "No agent has tasks."));
}
