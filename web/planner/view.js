// @ts-check
/**
 * The planner's page around the room plan: who it is for, what is being saved, errors and
 * notices as sentences, the catalog and "my designs" (asset-lists.js), and the design's own list
 * of items. Text goes in with textContent only (names are other people's input).
 */
import { AssetList, catalogRow, ownRow } from "./asset-lists.js";
import { button, el, part } from "./dom.js";
import { sentenceFor } from "./messages.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./design.js").DesignState} DesignState
 * @typedef {{
 *   add: (fields: {name: string, kind: string}) => void,
 *   open: (asset: Asset) => void,
 *   rename: (asset: Asset, name: string) => Promise<boolean>,
 *   remove: (asset: Asset) => void,
 *   addToDesign: (asset: Asset) => void,
 *   removeFromDesign: (key: string) => void,
 *   rotate: (key: string) => void,
 *   renameDesign: (name: string) => void,
 *   save: () => void,
 *   close: () => void,
 * }} Actions
 */

const LOG_IN_HINT = "Log in on the shop's page to save your designs.";

export class PlannerView {
  /** @type {string | null} */ selected = null;

  /** @param {Actions} actions */
  constructor(actions) {
    this.actions = actions;
    this.catalog = new AssetList(part("catalog"), catalogRow(actions));
    this.mine = new AssetList(part("my-assets"), ownRow(actions));
    const form = /** @type {HTMLFormElement} */ (part("add-asset"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const name = String(data.get("name") ?? "").trim();
      if (name) actions.add({ name, kind: String(data.get("kind") || "design") });
      form.reset();
    });
    part("save-to-account").addEventListener("click", () => actions.save());
    const designName = /** @type {HTMLInputElement} */ (part("design-name"));
    designName.addEventListener("change", () => {
      if (designName.value.trim()) actions.renameDesign(designName.value.trim());
    });
    part("close-app").addEventListener("click", () => actions.close());
    part("error-dismiss").addEventListener("click", () => this.showError(null));
    part("rotate-item").addEventListener("click", () => this.#withSelected(actions.rotate));
    part("remove-item").addEventListener("click", () => this.#withSelected(actions.removeFromDesign));
  }

  /** @param {(key: string) => void} action */
  #withSelected(action) {
    if (this.selected) action(this.selected);
  }

  /** @param {string | null} key @param {string} [name] */
  select(key, name = "") {
    this.selected = key;
    part("selected-name").textContent = key ? name : "Nothing selected";
    for (const id of ["rotate-item", "remove-item"]) {
      /** @type {HTMLButtonElement} */ (part(id)).disabled = !key;
    }
  }

  /** @param {string} text @param {"none" | "legal_entity" | "user"} kind */
  identity(text, kind) {
    const node = part("identity");
    node.textContent = text;
    node.dataset.kind = kind;
    part("identity-lead").textContent = kind === "user" ? "Signed in as" : kind === "none"
      ? "Connecting to the shop…" : "Browsing the catalog of";
    node.hidden = kind === "none";
  }

  /** Calls waiting for a token: a sentence for people, the count for tests. @param {number} count */
  queue(count) {
    part("queue-count").textContent = String(count);
    part("waiting").hidden = count === 0;
  }

  /** @param {string} status */
  live(status) {
    part("live").textContent = status;
    part("live").dataset.status = status;
  }

  /** @param {{code: string, message?: string} | null} error */
  showError(error) {
    part("error-box").hidden = !error;
    part("error").textContent = error ? sentenceFor(error.code) : "";
    part("error").dataset.code = error ? error.code : "";
  }

  /** The code of the error shown, or "". */
  get errorCode() {
    return part("error").dataset.code ?? "";
  }

  /** @param {string | null} text */
  notice(text) {
    const node = part("notice");
    node.hidden = !text;
    node.textContent = text ?? "";
  }

  /** @param {{catalog: Asset[], mine: Asset[], signedIn: boolean, openId: string | null}} state */
  assets({ catalog, mine, signedIn, openId }) {
    this.catalog.draw(catalog);
    this.mine.draw(mine, openId);
    // Anonymous: the write hint says it all.
    part("my-assets-empty").hidden = mine.length > 0 || !signedIn;
    part("my-assets-empty").textContent = "You have no saved designs yet.";
    this.#writable(signedIn);
  }

  /** @param {DesignState} design @param {boolean} signedIn */
  design(design, signedIn) {
    const name = /** @type {HTMLInputElement} */ (part("design-name"));
    if (document.activeElement !== name) name.value = design.name;
    part("design").replaceChildren(...design.items.map((item) => {
      const row = el("li", { "data-testid": "design-item" }, item.name);
      row.append(button("Remove", "remove-from-design", () => this.actions.removeFromDesign(item.key),
        `Remove ${item.name} from the room`));
      return row;
    }));
    part("design-empty").hidden = design.items.length > 0;
    const save = /** @type {HTMLButtonElement} */ (part("save-to-account"));
    save.textContent = signedIn ? "Save to my account" : "Log in to save";
    save.hidden = signedIn && design.id !== null && !design.unsaved;
    part("save-status").textContent = !signedIn
      ? (design.items.length ? "This design is not saved: log in to save it." : "")
      : design.saving > 0 ? "Saving…"
      : design.unsaved ? "Not saved yet."
      : design.id ? "All changes saved." : "";
  }

  /** Write controls: disabled with a hint when no one is signed in. @param {boolean} signedIn */
  #writable(signedIn) {
    for (const node of document.querySelectorAll("[data-writes]")) {
      /** @type {HTMLButtonElement | HTMLInputElement} */ (node).disabled = !signedIn;
    }
    for (const node of document.querySelectorAll("[data-testid=write-hint]")) {
      /** @type {HTMLElement} */ (node).hidden = signedIn;
      node.textContent = LOG_IN_HINT;
    }
  }


}
