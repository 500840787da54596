// @ts-check
/**
 * The parts list under the plan: one row per catalog item with its quantity, unit price and
 * price, the total in the shop's currency, and "Add to cart", which hands the lines to the shop
 * (AddToCart). Names are other people's input: textContent only.
 */
import { el, part } from "./dom.js";
import { cartOf } from "./planner-events.js";

/** @typedef {import("./layout.js").PlacedItem} PlacedItem */
/** @typedef {ReturnType<typeof cartOf>} Cart */

export class PartsList {
  /** @type {Cart} */ cart = { lines: [], total: { amount: 0, currency: "EUR" } };

  /** @param {{locale: import("./i18n.js").Locale, addToCart: (cart: Cart) => void}} options */
  constructor({ locale, addToCart }) {
    this.locale = locale;
    this.button = /** @type {HTMLButtonElement} */ (part("add-to-cart"));
    this.button.addEventListener("click", () => { if (this.cart.lines.length) addToCart(this.cart); });
  }

  /** @param {PlacedItem[]} items @param {string} currency */
  draw(items, currency) {
    this.cart = cartOf(items, currency);
    const { locale } = this;
    const rows = this.cart.lines.map((line) => {
      const row = el("tr", { "data-testid": "part-line", "data-catalog-id": line.catalogId });
      row.append(el("td", { class: "name" }, line.name),
        el("td", { "data-testid": "part-quantity" }, locale.number(line.quantity)),
        el("td", {}, locale.price(line.unitPrice)),
        el("td", {}, locale.price(line.unitPrice * line.quantity)));
      return row;
    });
    const table = part("parts-list");
    /** @type {HTMLElement} */ (table.querySelector("tbody")).replaceChildren(...rows);
    table.hidden = rows.length === 0;
    part("parts-total").textContent = locale.price(this.cart.total.amount);
    this.button.disabled = rows.length === 0;
  }
}
