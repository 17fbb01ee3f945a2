// The confirmation step of every operator action: a modal <dialog> (focus stays inside it, Escape
// cancels) saying exactly what will change; Cancel has the focus, so Enter alone never confirms by mistake.

import { $ } from "./dom.js";

/** Resolves true when the operator confirms `text`, false when they cancel. */
export function confirmAction(title, text, confirmLabel = "Confirm") {
  const dialog = $("#confirm");
  const ok = $("#confirm-ok");
  const cancel = $("#confirm-cancel");
  const opener = document.activeElement;
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  ok.textContent = confirmLabel;
  return new Promise((resolve) => {
    const finish = (answer) => {
      ok.removeEventListener("click", onOk);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onCancel = (event) => { event.preventDefault(); finish(false); };
    ok.addEventListener("click", onOk);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    cancel.focus();
  });
}
