// @ts-check
/**
 * The catalog as a kitchen shop shows it: base units, tall units, appliances, worktops and wall
 * units, each under its heading (asset-lists.js keeps each group's rows). Which group an item is
 * in follows from its data (mount, elevation, height) and kind, so a shop's own catalog sorts
 * itself.
 */
import { AssetList } from "./asset-lists.js";
import { el } from "./dom.js";

/** @typedef {import("./api.js").Asset} Asset */

export const GROUPS = Object.freeze(["base", "tall", "appliances", "worktops", "wall"]);
const TALL_MM = 1800;

/** @param {Asset} asset @returns {string} one of GROUPS */
export function groupOf(asset) {
  const data = asset.data ?? {};
  if (data.mount === "wall") return "wall";
  if (typeof data.elevation === "number" && data.elevation > 0) return "worktops";
  if (asset.kind === "appliance") return "appliances";
  return typeof data.height === "number" && data.height >= TALL_MM ? "tall" : "base";
}

export class CatalogGroups {
  /** @type {Map<string, {section: HTMLElement, title: HTMLElement, list: AssetList}>} */
  #groups = new Map();

  /** @param {HTMLElement} container @param {(asset: Asset) => HTMLElement} makeRow
   * @param {import("./i18n.js").Locale} locale */
  constructor(container, makeRow, locale) {
    this.locale = locale;
    for (const group of GROUPS) {
      const title = el("h3", { id: `catalog-${group}` });
      const ul = el("ul", { class: "assets", "aria-labelledby": `catalog-${group}` });
      const section = el("div", { class: "catalog-group", "data-group": group });
      section.append(title, ul);
      container.append(section);
      this.#groups.set(group, { section, title, list: new AssetList(ul, makeRow) });
    }
  }

  /** @param {Asset[]} assets */
  draw(assets) {
    for (const [group, { section, title, list }] of this.#groups) {
      const mine = assets.filter((a) => groupOf(a) === group);
      title.textContent = this.locale.t(`group_${group}`);
      section.hidden = mine.length === 0;
      list.draw(mine);
    }
  }

  /** The words changed: rows are made again at the next draw. */
  clear() {
    for (const { list } of this.#groups.values()) list.clear();
  }
}
