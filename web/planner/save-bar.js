// @ts-check
/**
 * What the shopper sees of saving (saving.js): a sentence in the page's status line
 * (`data-testid=save-status`, `data-state` the SaveState) and, after a failed save, a
 * "Retry now" button (`data-testid=retry-save`). "Not saved yet" stays until a save lands.
 */
import { button } from "./dom.js";

/** @typedef {import("./saving.js").SaveStatus} SaveStatus */

/** The sentence for a status. @param {SaveStatus} status @param {boolean} empty nothing planned yet */
export function saveSentence(status, empty) {
  switch (status.state) {
    case "saving": return "Saving…";
    case "failed": return "Not saved yet: the server cannot be reached. Trying again…";
    case "local": return empty ? ""
      : "Not saved yet: log in to save this design. It is kept in this browser meanwhile.";
    default: return empty ? "" : "All changes saved.";
  }
}

export class SaveBar {
  /** @param {{status: HTMLElement, retry: () => void}} options */
  constructor({ status, retry }) {
    this.status = status;
    this.retry = button("Retry now", "retry-save", retry);
    this.retry.hidden = true;
    status.after(this.retry);
  }

  /** @param {SaveStatus} status @param {boolean} empty */
  show(status, empty) {
    this.status.textContent = saveSentence(status, empty);
    this.status.dataset.state = status.state;
    this.retry.hidden = status.state !== "failed";
  }
}
