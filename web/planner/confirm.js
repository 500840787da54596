// @ts-check
/**
 * Asking before something that cannot be undone (deleting a design): a modal <dialog> in the
 * page, not window.confirm (which an embedding page may suppress, and which names the planner's
 * origin instead of the shop). The native modal dialog keeps focus inside, closes on Escape
 * (as "no") and gives focus back to what had it. `data-testid`: confirm-dialog, confirm-text,
 * confirm-yes, confirm-no.
 */
import { button, el } from "./dom.js";

/** @type {HTMLDialogElement | null} */
let dialog = null;

function build() {
  const node = /** @type {HTMLDialogElement} */ (el("dialog", {
    "data-testid": "confirm-dialog", "aria-labelledby": "confirm-text", class: "confirm" }));
  const text = el("p", { id: "confirm-text", "data-testid": "confirm-text" });
  const yes = button("Delete", "confirm-yes", () => node.close("yes"));
  const no = button("Cancel", "confirm-no", () => node.close("no"));
  node.append(text, el("div", { class: "confirm-buttons" }));
  node.lastElementChild?.append(no, yes);
  document.body.append(node);
  return node;
}

/**
 * Ask a yes/no question; resolves to true only for the "yes" button.
 * @param {string} question @param {string} [yesLabel] @returns {Promise<boolean>}
 */
export function ask(question, yesLabel = "Delete") {
  dialog ??= build();
  const open = dialog;
  if (open.open) open.close("no"); // one question at a time: a new one answers the old with no
  /** @type {HTMLElement} */ (open.querySelector("[data-testid=confirm-text]")).textContent = question;
  /** @type {HTMLElement} */ (open.querySelector("[data-testid=confirm-yes]")).textContent = yesLabel;
  open.returnValue = "no";
  open.showModal();
  /** @type {HTMLElement} */ (open.querySelector("[data-testid=confirm-no]")).focus(); // the safe one
  return new Promise((resolve) => {
    open.addEventListener("close", () => resolve(open.returnValue === "yes"), { once: true });
  });
}
