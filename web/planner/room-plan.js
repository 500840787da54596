// @ts-check
/**
 * The room plan: an SVG of the room seen from above, one shape per placed item. Items are dragged
 * with a pointer, or focused and moved with the arrow keys (Shift: finer), turned with R, removed
 * with Delete. Shapes are kept by item key across redraws, so a redraw (a saved change, a live
 * push) never steals focus or interrupts a drag.
 */
import { ROOM, extent } from "./design.js";

const SVG = "http://www.w3.org/2000/svg";
const STEP = 10; // cm per arrow key; Shift: 1 cm

/**
 * @typedef {import("./design.js").PlacedItem} PlacedItem
 * @typedef {{move: (key: string, x: number, y: number) => void, rotate: (key: string) => void,
 *   remove: (key: string) => void, select: (key: string | null) => void}} PlanActions
 */

/** @param {string} tag @param {Record<string, string | number>} attrs */
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** @param {PlacedItem} item */
function describe(item) {
  return `${item.name}, ${item.x} cm from the left wall, ${item.y} cm from the back wall` +
    (item.rotation ? `, turned ${item.rotation}°` : "");
}

export class RoomPlan {
  /** @type {Map<string, SVGGElement>} */ #shapes = new Map();
  /** @type {Map<string, PlacedItem>} */ #items = new Map();
  /** @type {{key: string, dx: number, dy: number, x: number, y: number} | null} */ #drag = null;
  /** @type {string | null} */ selected = null;

  /** @param {SVGSVGElement} root @param {PlanActions} actions */
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    root.setAttribute("viewBox", `0 0 ${ROOM.width} ${ROOM.depth}`);
    root.append(svg("rect", { class: "floor", x: 0, y: 0, width: ROOM.width, height: ROOM.depth }));
    this.layer = svg("g", { class: "items" });
    root.append(this.layer);
    root.addEventListener("pointermove", (event) => this.#dragTo(event));
    root.addEventListener("pointerup", (event) => this.#drop(event));
    root.addEventListener("pointercancel", (event) => this.#drop(event));
  }

  /** @param {PlacedItem[]} items */
  draw(items) {
    const keep = new Set(items.map((i) => i.key));
    for (const [key, shape] of this.#shapes) {
      if (!keep.has(key)) { shape.remove(); this.#shapes.delete(key); this.#items.delete(key); }
    }
    for (const item of items) {
      this.#items.set(item.key, item);
      const shape = this.#shapes.get(item.key) ?? this.#create(item);
      if (this.#drag?.key !== item.key) this.#place(shape, item, item.x, item.y);
      shape.setAttribute("aria-label", describe(item));
      shape.classList.toggle("selected", item.key === this.selected);
    }
    if (this.selected && !keep.has(this.selected)) this.select(null);
  }

  /** @param {string | null} key */
  select(key) {
    this.selected = key;
    for (const [k, shape] of this.#shapes) shape.classList.toggle("selected", k === key);
    this.actions.select(key);
  }

  /** @param {string} key */
  focus(key) {
    this.#shapes.get(key)?.focus();
  }

  /** @param {PlacedItem} item */
  #create(item) {
    const shape = /** @type {SVGGElement} */ (svg("g", { class: "item", tabindex: 0,
      role: "button", "data-testid": "plan-item", "data-key": item.key,
      "aria-describedby": "plan-help" }));
    const label = svg("text", { class: "label", "aria-hidden": "true" });
    shape.append(svg("rect", { class: "body" }), label);
    shape.addEventListener("pointerdown", (event) => this.#grab(event, item.key));
    shape.addEventListener("keydown", (event) => this.#key(event, item.key));
    shape.addEventListener("focus", () => this.select(item.key));
    this.layer.append(shape);
    this.#shapes.set(item.key, shape);
    return shape;
  }

  /** @param {SVGGElement} shape @param {PlacedItem} item @param {number} x @param {number} y */
  #place(shape, item, x, y) {
    const { width, depth } = extent(item);
    shape.dataset.x = String(Math.round(x));
    shape.dataset.y = String(Math.round(y));
    shape.dataset.rotation = String(item.rotation);
    shape.setAttribute("transform", `translate(${x} ${y})`);
    const [body, label] = /** @type {SVGElement[]} */ ([...shape.children]);
    for (const [name, value] of Object.entries({ width, height: depth, rx: 2 })) {
      body.setAttribute(name, String(value));
    }
    label.setAttribute("x", String(width / 2));
    label.setAttribute("y", String(depth / 2));
    label.textContent = item.name;
  }

  /** Pointer position in room cm. @param {PointerEvent} event */
  #point(event) {
    const matrix = this.root.getScreenCTM();
    const point = new DOMPoint(event.clientX, event.clientY);
    const at = matrix ? point.matrixTransform(matrix.inverse()) : point;
    return { x: at.x, y: at.y };
  }

  /** @param {PointerEvent} event @param {string} key */
  #grab(event, key) {
    const item = this.#items.get(key);
    if (!item || event.button !== 0) return;
    event.preventDefault();
    const at = this.#point(event);
    this.#drag = { key, dx: at.x - item.x, dy: at.y - item.y, x: item.x, y: item.y };
    this.root.setPointerCapture?.(event.pointerId);
    this.#shapes.get(key)?.focus();
    this.select(key);
  }

  /** @param {PointerEvent} event */
  #dragTo(event) {
    const drag = this.#drag;
    const item = drag && this.#items.get(drag.key);
    const shape = drag && this.#shapes.get(drag.key);
    if (!drag || !item || !shape) return;
    const at = this.#point(event);
    const { width, depth } = extent(item);
    drag.x = Math.min(Math.max(at.x - drag.dx, 0), ROOM.width - width);
    drag.y = Math.min(Math.max(at.y - drag.dy, 0), ROOM.depth - depth);
    this.#place(shape, item, drag.x, drag.y);
  }

  /** @param {PointerEvent} event */
  #drop(event) {
    const drag = this.#drag;
    if (!drag) return;
    this.#dragTo(event);
    this.#drag = null;
    const item = this.#items.get(drag.key);
    if (item && (Math.round(drag.x) !== item.x || Math.round(drag.y) !== item.y)) {
      this.actions.move(drag.key, drag.x, drag.y);
    }
  }

  /** @param {KeyboardEvent} event @param {string} key */
  #key(event, key) {
    const item = this.#items.get(key);
    if (!item) return;
    const step = event.shiftKey ? 1 : STEP;
    /** @type {Record<string, [number, number]>} */
    const arrows = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step],
      ArrowDown: [0, step] };
    if (arrows[event.key]) this.actions.move(key, item.x + arrows[event.key][0], item.y + arrows[event.key][1]);
    else if (event.key === "r" || event.key === "R") this.actions.rotate(key);
    else if (event.key === "Delete" || event.key === "Backspace") this.actions.remove(key);
    else return;
    event.preventDefault();
  }
}
