// @ts-check
/**
 * Asking before something that cannot be undone (deleting a design): a modal <dialog> in the
 * page, not window.confirm (which an embedding page may suppress, and which names the planner's
 * origin instead of the shop). The native modal dialog keeps focus inside and closes on Escape
 * (as "no"). `data-testid`: confirm-dialog, confirm-text, confirm-yes, confirm-no.
 *
 * The dialog opens beside what was clicked, not in the middle of the frame: a shop that sizes the
 * planner to its content (height: auto) has a frame taller than the screen, whose middle may be
 * far from where the shopper is looking, and focusing a dialog there would scroll the shop's page.
 */
import { button, el } from "./dom.js";

/** @type {HTMLDialogElement | null} */
let dialog = null;
/** @type {Element | null} what was clicked last: where the next question opens */
let clicked = null;
const MARGIN = 8;
const ROOM_FOR_IT = 200; // px: a generous guess of the dialog's height before it is shown
if (typeof document !== "undefined") {
  document.addEventListener("click", (event) => { clicked = /** @type {Element} */ (event.target); }, true);
}

function build() {
  const node = /** @type {HTMLDialogElement} */ (el("dialog", {
    "data-testid": "confirm-dialog", "aria-labelledby": "confirm-text", class: "confirm" }));
  const text = el("p", { id: "confirm-text", "data-testid": "confirm-text" });
  const yes = button("Delete", "confirm-yes", () => node.close("yes"));
  const no = button("Cancel", "confirm-no", () => node.close("no"));
  no.autofocus = true; // the safe answer has the focus
  const buttons = el("div", { class: "confirm-buttons" });
  buttons.append(no, yes);
  node.append(text, buttons);
  document.body.append(node);
  return node;
}

/** Put the dialog just below what was clicked, inside the frame. @param {HTMLDialogElement} node
 * @param {number} height its height, or a guess before it is shown */
function placeNear(node, height) {
  const anchor = clicked?.isConnected ? clicked.getBoundingClientRect() : null;
  if (!anchor) return;
  const top = Math.min(anchor.bottom + MARGIN, window.innerHeight - height - MARGIN);
  node.style.margin = "0 auto";
  node.style.top = `${Math.max(MARGIN, top)}px`;
}

/**
 * Ask a yes/no question; resolves to true only for the "yes" button.
 * @param {string} question @param {string} [yesLabel] @param {string} [noLabel]
 * @returns {Promise<boolean>}
 */
export function ask(question, yesLabel = "Delete", noLabel = "Cancel") {
  dialog ??= build();
  const open = dialog;
  if (open.open) open.close("no"); // one question at a time: a new one answers the old with no
  /** @type {HTMLElement} */ (open.querySelector("[data-testid=confirm-text]")).textContent = question;
  /** @type {HTMLElement} */ (open.querySelector("[data-testid=confirm-yes]")).textContent = yesLabel;
  /** @type {HTMLElement} */ (open.querySelector("[data-testid=confirm-no]")).textContent = noLabel;
  open.returnValue = "no";
  const opener = document.activeElement;
  placeNear(open, ROOM_FOR_IT); // before it opens, so its focus scrolls nothing
  open.showModal();
  placeNear(open, open.offsetHeight);
  return new Promise((resolve) => {
    open.addEventListener("close", () => {
      // Focus back where it was, without scrolling the shop's page to this frame once more.
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus({ preventScroll: true });
      resolve(open.returnValue === "yes");
    }, { once: true });
  });
}
