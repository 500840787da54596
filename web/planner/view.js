// @ts-check
/**
 * The planner's page: draws the state it is given and reports what the person does.
 * Text goes in with textContent only (asset names are other people's input).
 */

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {{
 *   add: (fields: {name: string, kind: string}) => void,
 *   rename: (asset: Asset, name: string) => void,
 *   remove: (asset: Asset) => void,
 *   addToDesign: (asset: Asset) => void,
 *   removeFromDesign: (index: number) => void,
 *   save: (name: string) => void,
 *   close: () => void,
 * }} Actions
 */

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

/** @param {string} label @param {string} testid @param {() => void} onClick */
function button(label, testid, onClick) {
  const node = el("button", { type: "button", "data-testid": testid }, label);
  node.addEventListener("click", onClick);
  return node;
}

export class PlannerView {
  /** @param {Actions} actions */
  constructor(actions) {
    this.actions = actions;
    const form = /** @type {HTMLFormElement} */ (part("add-asset"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      actions.add({ name: String(data.get("name") ?? "").trim(), kind: String(data.get("kind")) });
      form.reset();
    });
    part("save-to-account").addEventListener("click", () =>
      actions.save(/** @type {HTMLInputElement} */ (part("design-name")).value.trim()));
    part("close-app").addEventListener("click", () => actions.close());
    part("error-dismiss").addEventListener("click", () => this.showError(null));
  }

  /** @param {string} text @param {string} kind */
  identity(text, kind) {
    const node = part("identity");
    node.textContent = text;
    node.dataset.kind = kind;
  }

  /** @param {number} count */
  queue(count) {
    part("queue-count").textContent = String(count);
  }

  /** @param {string} status */
  live(status) {
    part("live").textContent = status;
    part("live").dataset.status = status;
  }

  /** @param {{code: string, message: string} | null} error */
  showError(error) {
    const box = part("error-box");
    box.hidden = !error;
    part("error").textContent = error ? error.code : "";
    part("error").dataset.code = error ? error.code : "";
    part("error-detail").textContent = error && error.message !== error.code ? error.message : "";
  }

  /** @param {string | null} text */
  notice(text) {
    const node = part("notice");
    node.hidden = !text;
    node.textContent = text ?? "";
  }

  /** @param {{catalog: Asset[], mine: Asset[], design: Asset[], signedIn: boolean}} state */
  assets({ catalog, mine, design, signedIn }) {
    part("catalog").replaceChildren(...catalog.map((a) => this.#catalogRow(a)));
    part("my-assets").replaceChildren(...mine.map((a) => this.#ownRow(a)));
    part("my-assets-empty").hidden = mine.length > 0;
    part("my-assets-empty").textContent = signedIn ? "Nothing saved yet." : "Log in to keep your own designs.";
    part("design").replaceChildren(...design.map((a, i) => this.#designRow(a, i)));
  }

  /** @param {Asset} asset */
  #row(asset) {
    const row = el("li", { "data-asset-id": asset.id, "data-testid": "asset" });
    row.append(el("span", { "data-testid": "asset-name", class: "name" }, asset.name),
      el("span", { class: "kind" }, asset.kind));
    return row;
  }

  /** @param {Asset} asset */
  #catalogRow(asset) {
    const row = this.#row(asset);
    row.append(button("Add to design", "add-to-design", () => this.actions.addToDesign(asset)));
    return row;
  }

  /** @param {Asset} asset */
  #ownRow(asset) {
    const row = this.#row(asset);
    row.append(button("Rename", "rename-asset", () => this.#renameForm(row, asset)),
      button("Delete", "delete-asset", () => this.actions.remove(asset)));
    return row;
  }

  /** @param {Asset} asset @param {number} index */
  #designRow(asset, index) {
    const row = el("li", { "data-testid": "design-item" }, asset.name);
    row.append(button("Remove", "remove-from-design", () => this.actions.removeFromDesign(index)));
    return row;
  }

  /** @param {HTMLElement} row @param {Asset} asset */
  #renameForm(row, asset) {
    const form = el("form", { class: "rename", "data-testid": "rename-form" });
    const input = /** @type {HTMLInputElement} */ (el("input", { name: "name",
      "data-testid": "rename-input", "aria-label": "New name", maxlength: "200", required: "" }));
    input.value = asset.name;
    form.append(input, el("button", { type: "submit", "data-testid": "rename-save" }, "Save"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (input.value.trim()) this.actions.rename(asset, input.value.trim());
    });
    row.append(form);
    input.focus();
  }
}
