// The notice area under the header: outcomes of operator actions and errors (with the server's message).

import { $ } from "./dom.js";

let timer = null;

/** Shows `text`; `kind` "ok" fades after a few seconds, "error" stays until dismissed. */
export function notify(text, kind = "error") {
  const box = $("#notice");
  box.dataset.kind = kind;
  $("#notice-text").textContent = text;
  box.hidden = false;
  clearTimeout(timer);
  if (kind === "ok") timer = setTimeout(() => { box.hidden = true; }, 5000);
}

export function initNotice() {
  $("#notice-close").addEventListener("click", () => { $("#notice").hidden = true; });
}
