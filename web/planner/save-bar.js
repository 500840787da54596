// @ts-check
/**
 * What the shopper sees of saving (saving.js) beside the page's status sentence (view.js writes
 * "Not saved yet." and the others, in the page's language): the status line's `data-state` (the
 * SaveState, for tests and styles) and, while a failed save waits for its retry, a "Retry now"
 * button (`data-testid=retry-save`).
 */
import { button } from "./dom.js";

/** @typedef {import("./saving.js").SaveStatus} SaveStatus */

export class SaveBar {
  /** @param {{status: HTMLElement, retry: () => void, t: (key: string) => string}} options */
  constructor({ status, retry, t }) {
    this.status = status;
    this.retry = button(t("retryNow"), "retry-save", retry);
    this.retry.dataset.i18n = "retryNow"; // relabelled with the page when the locale changes
    this.retry.hidden = true;
    status.after(this.retry);
  }

  /** @param {SaveStatus} status */
  show(status) {
    this.status.dataset.state = status.state;
    this.retry.hidden = status.state !== "failed";
  }
}
