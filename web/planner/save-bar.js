// @ts-check
/**
 * The save status line (`data-testid=save-status`), written here and nowhere else: its sentence in
 * the page's language ("Saving…", "Not saved yet." until a failed save lands, "All changes
 * saved.", or "log in to save it" before a login), its `data-state` (the SaveState of saving.js,
 * for tests and styles) and, while a failed save waits for its retry, a "Retry now" button
 * (`data-testid=retry-save`). Both carry `data-i18n`, so a change of locale relabels them.
 */
import { button } from "./dom.js";

/**
 * @typedef {import("./saving.js").SaveStatus} SaveStatus
 * @typedef {import("./saving.js").SaveState} SaveState
 * @typedef {{id: string | null, items: unknown[]}} Shown  what the sentence depends on
 */

/** The sentence's i18n key for a state, or "" for none. @param {SaveState} state @param {Shown} design */
export function sentenceKey(state, design) {
  switch (state) {
    case "local": return design.items.length ? "notSavedLogIn" : "";
    case "saving": return "saving";
    case "failed": return "notSaved";
    default: return design.id ? "allSaved" : ""; // a new, empty design has nothing to say
  }
}

export class SaveBar {
  /** @param {{status: HTMLElement, retry: () => void, t: (key: string) => string,
   *   design: () => Shown}} options */
  constructor({ status, retry, t, design }) {
    this.status = status;
    this.t = t;
    this.design = design;
    this.retry = button(t("retryNow"), "retry-save", retry);
    this.retry.dataset.i18n = "retryNow"; // relabelled with the page when the locale changes
    this.retry.hidden = true;
    status.after(this.retry);
  }

  /** @param {SaveStatus} status */
  show(status) {
    const key = sentenceKey(status.state, this.design());
    this.status.dataset.state = status.state;
    if (key) this.status.dataset.i18n = key;
    else delete this.status.dataset.i18n;
    this.status.textContent = key ? this.t(key) : "";
    this.retry.hidden = status.state !== "failed";
  }
}
