// Full-text search (GET /api/v1/search): ranked results with the server's snippet, whose matched words
// come between [ and ] and are shown highlighted.

import { api } from "./api.js";
import { $, h, fill, taskLink, taskBadges } from "./dom.js";

/** "a [word] b" → text nodes and <mark> elements (never parsed as HTML). */
function snippet(text) {
  const parts = [];
  const re = /\[([^\]]*)\]/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    parts.push(text.slice(last, m.index), h("mark", {}, m[1]));
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return h("p", { class: "snippet" }, parts);
}

export async function renderSearch(query) {
  $("#search-input").value = query;
  $("#h-search").textContent = `Search: ${query}`;
  const summary = $("#search-summary");
  const list = $("#search-results");
  if (!query.trim()) {
    summary.textContent = "Type words to search titles, descriptions, tags and comments.";
    fill(list);
    return;
  }
  const page = await api.search({ query, limit: 50, include_archived: true });
  summary.textContent = page.count === 0 ? "No task matches." : `${page.count} matching tasks, best first.`;
  fill(list, page.results.map((r) => h("li", {},
    taskLink(r.task), ` — ${r.task.status}${r.task.archived_at ? ", archived" : ""}`,
    taskBadges(r.task),
    snippet(r.snippet ?? ""),
    h("p", { class: "summary" }, `Matched in ${r.matched.join(", ")}`))));
}
