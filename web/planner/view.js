// @ts-check
/**
 * The planner's page around the room plan: who it is for, what is being saved, errors and
 * notices as sentences, the catalog, "my designs" and the design's own list of items. Text goes
 * in with textContent only (names are other people's input).
 *
 * Lists are kept by asset id across redraws: a row being edited (an open rename form and what
 * was typed in it) survives a redraw caused by a live push or another call's answer.
 */
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

/** @param {string} tag @param {Record<string, string>} [attrs] @param {string} [text] */
function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/** @param {string} testid */
function part(testid) {
  const node = document.querySelector(`[data-testid="${testid}"]`);
  if (!node) throw new Error(`the page lacks [data-testid=${testid}]`);
  return /** @type {HTMLElement} */ (node);
}

/** @param {string} label @param {string} testid @param {() => void} onClick @param {string} [aria] */
function button(label, testid, onClick, aria) {
  const node = el("button", { type: "button", "data-testid": testid }, label);
  if (aria) node.setAttribute("aria-label", aria);
  node.addEventListener("click", onClick);
  return node;
}

/**
 * Put `rows` into `list` in order, moving nothing that is already in place: a moved node loses
 * focus, and the person may be typing in it.
 * @param {HTMLElement} list @param {HTMLElement[]} rows
 */
function keepInOrder(list, rows) {
  const same = rows.length === list.children.length && rows.every((r, i) => list.children[i] === r);
  if (same) return;
  const active = document.activeElement;
  list.replaceChildren(...rows);
  if (active instanceof HTMLElement && active.isConnected && document.activeElement !== active) {
    active.focus();
  }
}

export class PlannerView {
  /** @type {Map<string, HTMLElement>} */ #ownRows = new Map();
  /** @type {Map<string, HTMLElement>} */ #catalogRows = new Map();
  #signedIn = false;

  /** @param {Actions} actions */
  constructor(actions) {
    this.actions = actions;
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

  /** @type {string | null} */ selected = null;

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
    this.#signedIn = signedIn;
    keepInOrder(part("catalog"), catalog.map((a) => this.#keyed(this.#catalogRows, a,
      () => this.#catalogRow(a))));
    this.#forgetMissing(this.#catalogRows, catalog);
    keepInOrder(part("my-assets"), mine.map((a) => this.#keyed(this.#ownRows, a,
      () => this.#ownRow(a))));
    this.#forgetMissing(this.#ownRows, mine);
    for (const [id, row] of this.#ownRows) row.classList.toggle("open", id === openId);
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

  /** @param {Map<string, HTMLElement>} rows @param {Asset} asset @param {() => HTMLElement} make */
  #keyed(rows, asset, make) {
    let row = rows.get(asset.id);
    if (!row) {
      row = make();
      rows.set(asset.id, row);
    }
    const name = /** @type {HTMLElement} */ (row.querySelector("[data-testid=asset-name]"));
    if (name.textContent !== asset.name) name.textContent = asset.name;
    /** @type {any} */ (row).asset = asset; // the newest version, for the row's buttons
    return row;
  }

  /** @param {Map<string, HTMLElement>} rows @param {Asset[]} present */
  #forgetMissing(rows, present) {
    const ids = new Set(present.map((a) => a.id));
    for (const id of rows.keys()) if (!ids.has(id)) rows.delete(id);
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

  /** @param {Asset} asset */
  #row(asset) {
    const row = el("li", { "data-asset-id": asset.id, "data-testid": "asset" });
    row.append(el("span", { "data-testid": "asset-name", class: "name" }, asset.name));
    return row;
  }

  /** @param {HTMLElement} row */
  #current(row) {
    return /** @type {Asset} */ (/** @type {any} */ (row).asset);
  }

  /** @param {Asset} asset */
  #catalogRow(asset) {
    const row = this.#row(asset);
    const price = asset.data?.price;
    if (typeof price === "number") row.append(el("span", { class: "price" }, `€${price}`));
    row.append(button("Add to room", "add-to-design", () => this.actions.addToDesign(this.#current(row)),
      `Add ${asset.name} to the room`));
    return row;
  }

  /** @param {Asset} asset */
  #ownRow(asset) {
    const row = this.#row(asset);
    const tools = el("span", { class: "tools" });
    tools.append(
      button("Open", "open-asset", () => this.actions.open(this.#current(row)), `Open ${asset.name}`),
      button("Rename", "rename-asset", () => this.#renameForm(row), `Rename ${asset.name}`),
      button("Delete", "delete-asset", () => this.actions.remove(this.#current(row)),
        `Delete ${asset.name}`));
    for (const node of tools.querySelectorAll("button")) node.setAttribute("data-writes", "");
    row.append(tools);
    return row;
  }

  /** @param {HTMLElement} row */
  #renameForm(row) {
    const open = /** @type {HTMLInputElement | null} */ (row.querySelector("[data-testid=rename-input]"));
    if (open) return open.focus();
    const asset = this.#current(row);
    const form = el("form", { class: "rename", "data-testid": "rename-form" });
    const input = /** @type {HTMLInputElement} */ (el("input", { name: "name",
      "data-testid": "rename-input", "aria-label": `New name for ${asset.name}`, maxlength: "200",
      required: "" }));
    input.value = asset.name;
    const cancel = button("Cancel", "rename-cancel", () => form.remove());
    form.append(input, el("button", { type: "submit", "data-testid": "rename-save" }, "Save"), cancel);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (name && await this.actions.rename(this.#current(row), name)) form.remove();
    });
    form.addEventListener("keydown", (event) => { if (event.key === "Escape") form.remove(); });
    row.append(form);
    input.focus();
    input.select();
  }

  get signedIn() {
    return this.#signedIn;
  }
}
