// @ts-check
/** Small DOM helpers the planner's views share. Text goes in with textContent only. */

/** @param {string} tag @param {Record<string, string>} [attrs] @param {string} [text] */
export function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/** @param {string} testid */
export function part(testid) {
  const node = document.querySelector(`[data-testid="${testid}"]`);
  if (!node) throw new Error(`the page lacks [data-testid=${testid}]`);
  return /** @type {HTMLElement} */ (node);
}

/** @param {string} label @param {string} testid @param {() => void} onClick @param {string} [aria] */
export function button(label, testid, onClick, aria) {
  const node = el("button", { type: "button", "data-testid": testid }, label);
  if (aria) node.setAttribute("aria-label", aria);
  node.addEventListener("click", onClick);
  return node;
}
