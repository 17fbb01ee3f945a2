// The dashboard's entry point: the views behind the hash routes (#board, #agents, #queues, #ready,
// #activity, #search/<words>, #task/<id>), the live stream, and the refresh of what is on screen when an
// event arrives (at most one refresh in flight, batched over 80 ms so a burst costs one round of requests).

import { api, mode } from "./api.js";
import { $, $$, tickCountdowns } from "./dom.js";
import { renderBoard, updateFilterChoices } from "./board.js";
import { renderAgents } from "./agents.js";
import { renderQueues } from "./queues.js";
import { renderReady } from "./ready.js";
import { addEvent, clearEvents, loadRecent, renderActivity } from "./activity.js";
import { renderSearch } from "./search.js";
import { forgetTask, renderTask } from "./detail.js";
import { follow } from "./live.js";
import { initNotice, notify } from "./notice.js";

const BATCH_MS = 80;
/** The board shows at most this many active tasks (the server's list order: most urgent first). */
const BOARD_LIMIT = 1000;

let tasks = [];
let route = parse(location.hash);
let fresh = new Set();
let timer = null;
let running = false;
let again = false;
let streamed = false;

function parse(hash) {
  const raw = hash.replace(/^#/, "");
  if (raw.startsWith("task/")) return { view: "task", id: Number.parseInt(raw.slice(5), 10) };
  if (raw.startsWith("search/")) return { view: "search", query: decodeURIComponent(raw.slice(7)) };
  if (raw.startsWith("board?queue=")) return { view: "board", queue: decodeURIComponent(raw.slice(12)) };
  const view = ["board", "agents", "queues", "ready", "activity", "search"].includes(raw) ? raw : "board";
  return { view, query: "" };
}

function show(view) {
  for (const section of $$("main > .view")) section.hidden = section.id !== `view-${view}`;
  for (const link of $$("[data-nav]")) {
    if (link.dataset.nav === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  $("#filters").hidden = !(view === "board" || view === "ready");
}

function agentNames() {
  return [...new Set(tasks.flatMap((t) => [t.assigned_to, t.lease?.holder]).filter(Boolean))].sort();
}

async function renderCurrent() {
  switch (route.view) {
    case "board": return renderBoard(tasks, fresh);
    case "agents": return renderAgents(tasks);
    case "queues": return renderQueues();
    case "ready": return renderReady(tasks);
    case "activity": return renderActivity();
    case "search": return renderSearch(route.query);
    case "task": return Number.isInteger(route.id) ? renderTask(route.id, agentNames()) : undefined;
    default: return undefined;
  }
}

/** Re-reads the tasks and redraws the current view; a refresh asked for meanwhile runs right after. */
async function refresh() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  try {
    tasks = await api.tasks({ limit: BOARD_LIMIT });
    updateFilterChoices(tasks);
    await renderCurrent();
    document.body.dataset.loaded = "true";
  } catch (error) {
    notify(error.message, "error");
  } finally {
    running = false;
    fresh = new Set();
    if (again) {
      again = false;
      schedule();
    }
  }
}

function schedule() {
  if (timer !== null) return;
  timer = setTimeout(() => {
    timer = null;
    refresh();
  }, BATCH_MS);
}

function navigate() {
  const previous = route;
  route = parse(location.hash);
  if (previous.view === "task" && (route.view !== "task" || route.id !== previous.id)) forgetTask();
  if (route.view === "board" && route.queue) {
    const select = $("#filters").elements.queue;
    if (![...select.options].some((o) => o.value === route.queue)) {
      select.append(new Option(route.queue, route.queue));
    }
    select.value = route.queue;
  }
  show(route.view);
  renderCurrent().catch((error) => notify(error.message, "error"));
  $(`#view-${route.view} h1`)?.focus();
}

function startStream() {
  follow({
    ready: ({ cursor }) => {
      if (!streamed) {
        streamed = true;
        loadRecent(cursor)
          .then(() => { if (route.view === "activity") renderActivity(); })
          .catch((error) => notify(error.message, "error"));
      }
      // Whatever changed before (or while) the stream was connecting is picked up by one refresh.
      schedule();
    },
    event: (event) => {
      addEvent(event);
      document.body.dataset.cursor = String(event.cursor);
      if (event.task_id) fresh.add(event.task_id);
      if (route.view === "activity") renderActivity();
      schedule();
    },
    reset: () => {
      clearEvents();
      streamed = false;
      schedule();
    },
  });
}

function init() {
  initNotice();
  $("#mode-note").textContent = mode === "readonly"
    ? "Read-only dashboard (TINYTASK_UI=readonly)" : "Operator actions are recorded as \"operator\"";
  const filters = $("#filters");
  filters.addEventListener("input", () => renderCurrent());
  filters.addEventListener("reset", () => setTimeout(() => renderCurrent(), 0));
  filters.addEventListener("submit", (event) => event.preventDefault());
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#search/${encodeURIComponent($("#search-input").value.trim())}`;
  });
  window.addEventListener("hashchange", navigate);
  show(route.view);
  refresh();
  startStream();
  setInterval(tickCountdowns, 1000);
}

init();
