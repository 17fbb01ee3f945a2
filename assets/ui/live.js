// The live feed: an EventSource on /ui/stream. The browser resumes it by itself after a cut, sending the
// last event id it saw (Last-Event-ID), and the server continues right after that cursor.

import { $ } from "./dom.js";

/**
 * Opens the stream. `handlers.ready({cursor, resumed})` runs on every (re)connection, `handlers.event(e)`
 * for each feed event in cursor order, `handlers.reset()` when events were pruned before they were seen.
 */
export function follow(handlers) {
  const status = $("#live-status");
  const show = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  const source = new EventSource("/ui/stream");
  source.addEventListener("open", () => show("live", "Live"));
  source.addEventListener("error", () => {
    show("down", source.readyState === EventSource.CLOSED ? "Disconnected (reload the page)" : "Reconnecting…");
  });
  source.addEventListener("ready", (message) => handlers.ready(JSON.parse(message.data)));
  source.addEventListener("reset", () => handlers.reset());
  source.addEventListener("board", (message) => handlers.event(JSON.parse(message.data)));
  return source;
}
