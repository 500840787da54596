// @ts-check
/**
 * The catalog and "my designs" lists. Rows are kept by asset id across redraws, and moved only
 * when the order changed: a row being edited (an open rename form and what was typed in it)
 * survives a redraw caused by a live push or another call's answer. Names are other people's
 * input: textContent only.
 */
import { button, el } from "./dom.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {{addToDesign: (asset: Asset) => void, open: (asset: Asset) => void,
 *   rename: (asset: Asset, name: string) => Promise<boolean>, remove: (asset: Asset) => void,
 *   locale: import("./i18n.js").Locale}}
 *   ListActions  rename resolves to whether it worked (the form then closes); locale: the words
 *   and prices (rows are made again when it changes: AssetList.clear)
 */

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
    // Given back where it was, not moved: no scrolling (the shop's page would scroll to the
    // frame's field, which height: auto puts anywhere on it, while the shopper is elsewhere).
    active.focus({ preventScroll: true });
  }
}

/** The asset a row stands for, as last drawn (its buttons act on the newest version).
 * @param {HTMLElement} row @returns {Asset} */
function assetOf(row) {
  return /** @type {any} */ (row).asset;
}

/** A list of asset rows kept by id. */
export class AssetList {
  /** @type {Map<string, HTMLElement>} */ #rows = new Map();

  /** @param {HTMLElement} list @param {(asset: Asset) => HTMLElement} makeRow */
  constructor(list, makeRow) {
    this.list = list;
    this.makeRow = makeRow;
  }

  /** Forget the rows (their words changed): the next draw makes them again. */
  clear() {
    this.#rows.clear();
  }

  /** @param {Asset[]} assets @param {string | null} [openId]  the row to mark as open */
  draw(assets, openId = null) {
    const ids = new Set(assets.map((a) => a.id));
    for (const id of this.#rows.keys()) if (!ids.has(id)) this.#rows.delete(id);
    keepInOrder(this.list, assets.map((asset) => this.#row(asset)));
    for (const [id, row] of this.#rows) row.classList.toggle("open", id === openId);
  }

  /** @param {Asset} asset */
  #row(asset) {
    let row = this.#rows.get(asset.id);
    if (!row) {
      row = this.makeRow(asset);
      this.#rows.set(asset.id, row);
    }
    const name = /** @type {HTMLElement} */ (row.querySelector("[data-testid=asset-name]"));
    if (name.textContent !== asset.name) name.textContent = asset.name;
    /** @type {any} */ (row).asset = asset;
    return row;
  }
}

/** @param {Asset} asset */
function row(asset) {
  const node = el("li", { "data-asset-id": asset.id, "data-testid": "asset" });
  node.append(el("span", { "data-testid": "asset-name", class: "name" }, asset.name));
  return node;
}

/** A catalog row: name, price, "Add to room". @param {ListActions} actions */
export function catalogRow(actions) {
  return (/** @type {Asset} */ asset) => {
    const node = row(asset);
    const { locale } = actions;
    const price = asset.data?.price;
    if (typeof price === "number") node.append(el("span", { class: "price" }, locale.price(price)));
    const size = [asset.data?.width, asset.data?.depth, asset.data?.height];
    if (size.every((n) => typeof n === "number")) {
      node.append(el("span", { class: "size" }, `${size.join(" × ")} mm`));
    }
    node.append(button(locale.t("addToRoom"), "add-to-design", () => actions.addToDesign(assetOf(node)),
      locale.t("addNamed", { name: asset.name })));
    return node;
  };
}

/** A row of my designs: Open, Rename, Delete (write controls: data-writes).
 * @param {ListActions} actions */
export function ownRow(actions) {
  return (/** @type {Asset} */ asset) => {
    const node = row(asset);
    const tools = el("span", { class: "tools" });
    const t = (/** @type {string} */ key) => actions.locale.t(key, { name: asset.name });
    tools.append(
      button(t("open"), "open-asset", () => actions.open(assetOf(node)), t("openNamed")),
      button(t("rename"), "rename-asset", () => renameForm(node, actions), t("renameNamed")),
      button(t("delete"), "delete-asset", () => actions.remove(assetOf(node)), t("deleteNamed")));
    for (const control of tools.querySelectorAll("button")) control.setAttribute("data-writes", "");
    node.append(tools);
    return node;
  };
}

/** @param {HTMLElement} node @param {ListActions} actions */
function renameForm(node, actions) {
  const open = /** @type {HTMLInputElement | null} */ (node.querySelector("[data-testid=rename-input]"));
  if (open) return open.focus({ preventScroll: true });
  const asset = assetOf(node);
  const form = el("form", { class: "rename", "data-testid": "rename-form" });
  const input = /** @type {HTMLInputElement} */ (el("input", { name: "name",
    "data-testid": "rename-input", "aria-label": actions.locale.t("newNameFor", { name: asset.name }), maxlength: "200",
    required: "" }));
  input.value = asset.name;
  form.append(input, el("button", { type: "submit", "data-testid": "rename-save" }, actions.locale.t("save")),
    button(actions.locale.t("cancel"), "rename-cancel", () => form.remove()));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name && await actions.rename(assetOf(node), name)) form.remove();
  });
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") form.remove(); });
  node.append(form);
  // The field opens in the row that asked for it: focus it there without scrolling, which from
  // inside the frame would scroll the shop's page (the frame is as tall as its content).
  input.focus({ preventScroll: true });
  input.select();
}
