// @ts-check
/**
 * The planner's page around the room plan: who it is for, what is being saved, errors and
 * notices as sentences, the catalog and "my designs" (asset-lists.js), and the design's own list
 * of items. Text goes in with textContent only (names are other people's input).
 */
import { AssetList, catalogRow, ownRow } from "./asset-lists.js";
import { CatalogGroups } from "./catalog-groups.js";
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
 *   undo: () => void,
 *   redo: () => void,
 *   setRoom: (size: {width: number, depth: number}) => void,
 * }} Actions
 */

export class PlannerView {
  /** @type {string | null} */ selected = null;

  /** @param {Actions} actions @param {import("./i18n.js").Locale} locale */
  constructor(actions, locale) {
    this.actions = actions;
    this.locale = locale;
    this.catalog = new CatalogGroups(part("catalog"), catalogRow({ ...actions, locale }), locale);
    this.mine = new AssetList(part("my-assets"), ownRow({ ...actions, locale }));
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
    part("undo").addEventListener("click", () => actions.undo());
    part("redo").addEventListener("click", () => actions.redo());
    const size = /** @type {HTMLFormElement} */ (part("room-size"));
    size.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = (/** @type {string} */ id) => Number(/** @type {HTMLInputElement} */ (part(id)).value);
      actions.setRoom({ width: value("room-width"), depth: value("room-depth") });
    });
  }

  /** The words changed (setLocale): the page's static text now, the lists at their next draw. */
  relabel() {
    document.documentElement.lang = this.locale.language;
    document.title = `${this.locale.t("title")} · ${part("entity-name").textContent}`;
    this.locale.translate(document);
    this.catalog.clear();
    this.mine.clear();
    const who = part("identity");
    this.identity(who.textContent ?? "", /** @type {"none" | "legal_entity" | "user"} */ (who.dataset.kind));
    this.select(this.selected, part("selected-name").textContent ?? "");
  }

  /** @param {(key: string) => void} action */
  #withSelected(action) {
    if (this.selected) action(this.selected);
  }

  /** @param {string | null} key @param {string} [name] */
  select(key, name = "") {
    this.selected = key;
    part("selected-name").textContent = key ? name : this.locale.t("nothingSelected");
    for (const id of ["rotate-item", "remove-item"]) {
      /** @type {HTMLButtonElement} */ (part(id)).disabled = !key;
    }
  }

  /** @param {string} text @param {"none" | "legal_entity" | "user"} kind */
  identity(text, kind) {
    const node = part("identity");
    node.textContent = text;
    node.dataset.kind = kind;
    const t = (/** @type {string} */ key) => this.locale.t(key);
    part("identity-lead").textContent = kind === "user" ? t("loggedInAs") : kind === "none"
      ? t("connecting") : t("browsing");
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
    part("error").textContent = error ? sentenceFor(error.code, this.locale.language) : "";
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
    part("my-assets-empty").textContent = this.locale.t("noDesigns");
    this.#writable(signedIn);
  }

  /** @param {DesignState} design @param {boolean} signedIn */
  design(design, signedIn) {
    const t = (/** @type {string} */ key, /** @type {Record<string, string>} */ vars = {}) => this.locale.t(key, vars);
    const name = /** @type {HTMLInputElement} */ (part("design-name"));
    if (document.activeElement !== name) name.value = design.name;
    for (const [id, value] of [["room-width", design.room.width], ["room-depth", design.room.depth]]) {
      const input = /** @type {HTMLInputElement} */ (part(String(id)));
      if (document.activeElement !== input) input.value = String(value);
    }
    /** @type {HTMLButtonElement} */ (part("undo")).disabled = !design.canUndo;
    /** @type {HTMLButtonElement} */ (part("redo")).disabled = !design.canRedo;
    part("design").replaceChildren(...design.items.map((item) => {
      const row = el("li", { "data-testid": "design-item", "data-mount": item.mount }, item.name);
      row.append(button(t("remove"), "remove-from-design", () => this.actions.removeFromDesign(item.id),
        t("removeNamed", { name: item.name })));
      return row;
    }));
    part("design-empty").hidden = design.items.length > 0;
    part("design-count").textContent = String(design.items.length);
    const save = /** @type {HTMLButtonElement} */ (part("save-to-account"));
    save.textContent = signedIn ? t("saveToAccount") : t("logInToSave");
    save.hidden = signedIn && design.id !== null && !design.unsaved;
    // The save status line beside it is save-bar.js's alone.
  }

  /** Write controls: disabled with a hint when no one is logged in. @param {boolean} signedIn */
  #writable(signedIn) {
    for (const node of document.querySelectorAll("[data-writes]")) {
      /** @type {HTMLButtonElement | HTMLInputElement} */ (node).disabled = !signedIn;
    }
    for (const node of document.querySelectorAll("[data-testid=write-hint]")) {
      /** @type {HTMLElement} */ (node).hidden = signedIn;
      node.textContent = this.locale.t("writeHint");
    }
  }
}
