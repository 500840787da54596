// @ts-check
/**
 * The room plan: an SVG of the room seen from above, to scale in millimetres, with a grid, rulers
 * and the room's width and depth; one shape per item, its name fitted inside (shrunk, then cut
 * with "…", never spilling). Wall units are drawn above the floor units, hatched and dashed.
 * Items are dragged with a pointer (mouse, pen or touch: pointer events), or focused and moved
 * with the arrow keys (Shift: finer), turned with R, removed with Delete. Shapes are kept by item
 * id across redraws, so a redraw (a saved change, a live push) never steals focus or interrupts a
 * drag. While dragging, the shape follows the pointer snapped as it will land.
 */
import { GRID_MM, extent, snap } from "./layout.js";

const SVG = "http://www.w3.org/2000/svg";
const STEP = GRID_MM; // mm per arrow key; Shift: 10 mm
const FINE_STEP = 10;
const MARGIN = 320; // room for the rulers, mm
const TICK = 500;

/**
 * @typedef {import("./layout.js").PlacedItem} PlacedItem
 * @typedef {import("./layout.js").Room} Room
 * @typedef {{move: (id: string, x: number, y: number, snapping?: boolean) => void, rotate: (id: string) => void,
 *   remove: (id: string) => void, select: (id: string | null) => void,
 *   drag: (id: string, x: number, y: number) => void, describe: (item: PlacedItem) => string, label: (key: string, vars?: Record<string, string | number>) => string}} PlanActions
 */

/** @param {string} tag @param {Record<string, string | number>} attrs */
function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** A name that fits a box: its font size and text. @param {string} name @param {number} width
 * @param {number} depth */
export function fitLabel(name, width, depth) {
  const size = Math.max(36, Math.min(110, depth * 0.3, (width - 30) / Math.max(4, name.length * 0.58)));
  const room = Math.floor((width - 30) / (size * 0.6));
  if (room < 2 || depth < size * 1.2) return { size, text: "" };
  return { size, text: name.length <= room ? name : `${name.slice(0, room - 1)}…` };
}

/**
 * The estimate above assumes average letters; wide ones (W, M) can still run over: measured once
 * drawn, the text is cut further until it fits.
 * @param {SVGTextElement} label @param {string} name @param {number} room
 */
function trimToFit(label, name, room) {
  let text = label.textContent ?? "";
  while (text && label.getComputedTextLength?.() > room) {
    text = text.length > 2 ? `${name.slice(0, text.length - 2)}…` : "";
    label.textContent = text;
  }
}

/**
 * Items stacked in height share floor area (a wall unit above a base unit, a worktop on both), so
 * each level writes its name in its own band across the depth, counted from the item's back:
 * wall units in the back third, worktops in the middle, floor units near the front.
 * @param {PlacedItem} item
 */
function band(item) {
  if (item.mount === "wall") return 0.5;
  return (item.elevation ?? 0) > 0 ? 0.5 : 0.72;
}

/** The label's centre in the shape and the room it has around it (as turned).
 * @param {PlacedItem} item @param {number} width @param {number} depth */
function labelBox(item, width, depth) {
  const f = band(item);
  switch (item.rotation) {
    case 90: return { x: (1 - f) * width, y: depth / 2, room: 2 * Math.min(f, 1 - f) * width, tall: depth };
    case 180: return { x: width / 2, y: (1 - f) * depth, room: width, tall: 2 * Math.min(f, 1 - f) * depth };
    case 270: return { x: f * width, y: depth / 2, room: 2 * Math.min(f, 1 - f) * width, tall: depth };
    default: return { x: width / 2, y: f * depth, room: width, tall: 2 * Math.min(f, 1 - f) * depth };
  }
}

/** Which layer an item is drawn in: floor units, then what lies on them, then wall units. @param {PlacedItem} item */
function levelOf(item) {
  if (item.mount === "wall") return "wall";
  return (item.elevation ?? 0) > 0 ? "top" : "floor";
}

export class RoomPlan {
  /** @type {Map<string, SVGGElement>} */ #shapes = new Map();
  /** @type {Map<string, PlacedItem>} */ #items = new Map();
  /** @type {{id: string, dx: number, dy: number, x: number, y: number} | null} */ #drag = null;
  /** @type {Room} */ #room = { width: 0, depth: 0 };
  /** @type {string | null} */ selected = null;

  /** @param {SVGSVGElement} root @param {PlanActions} actions */
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    this.backdrop = svg("g", { class: "backdrop", "aria-hidden": "true" });
    /** @type {Record<string, SVGGElement>} */
    this.layers = { floor: /** @type {SVGGElement} */ (svg("g", { class: "items floor-items" })),
      top: /** @type {SVGGElement} */ (svg("g", { class: "items top-items" })),
      wall: /** @type {SVGGElement} */ (svg("g", { class: "items wall-items" })) };
    root.append(this.backdrop, this.layers.floor, this.layers.top, this.layers.wall);
    root.addEventListener("pointermove", (event) => this.#dragTo(event));
    root.addEventListener("pointerup", (event) => this.#drop(event));
    root.addEventListener("pointercancel", (event) => this.#drop(event));
  }

  /** @param {Room} room @param {PlacedItem[]} items */
  draw(room, items) {
    if (room.width !== this.#room.width || room.depth !== this.#room.depth) this.#drawRoom(room);
    const keep = new Set(items.map((i) => i.id));
    for (const [id, shape] of this.#shapes) {
      if (!keep.has(id)) { shape.remove(); this.#shapes.delete(id); this.#items.delete(id); }
    }
    for (const item of items) {
      this.#items.set(item.id, item);
      const shape = this.#shapes.get(item.id) ?? this.#create(item);
      if (this.#drag?.id !== item.id) this.#place(shape, item, item.x, item.y);
      shape.setAttribute("aria-label", this.actions.describe(item));
      shape.classList.toggle("selected", item.id === this.selected);
    }
    if (this.selected && !keep.has(this.selected)) this.select(null);
  }

  /** @param {string | null} id */
  select(id) {
    const changed = id !== this.selected;
    this.selected = id;
    for (const [k, shape] of this.#shapes) shape.classList.toggle("selected", k === id);
    if (changed) this.actions.select(id);
  }

  /** @param {string} id */
  focus(id) {
    this.#shapes.get(id)?.focus();
  }

  /** Grid, walls, rulers and the room's size. @param {Room} room */
  #drawRoom(room) {
    this.#room = { ...room };
    const { width, depth } = room;
    this.root.setAttribute("viewBox", `${-MARGIN} ${-MARGIN} ${width + MARGIN + 80} ${depth + MARGIN + 80}`);
    const parts = [svg("rect", { class: "floor", x: 0, y: 0, width, height: depth })];
    for (let x = 100; x < width; x += 100) {
      parts.push(svg("line", { class: x % TICK ? "grid" : "grid major", x1: x, y1: 0, x2: x, y2: depth }));
    }
    for (let y = 100; y < depth; y += 100) {
      parts.push(svg("line", { class: y % TICK ? "grid" : "grid major", x1: 0, y1: y, x2: width, y2: y }));
    }
    parts.push(svg("rect", { class: "walls", x: 0, y: 0, width, height: depth }));
    for (let x = 0; x <= width; x += TICK) {
      parts.push(svg("line", { class: "tick", x1: x, y1: -60, x2: x, y2: x % 1000 ? -25 : -70 }));
      if (x % 1000 === 0) parts.push(this.#text(x ? `${x / 1000} m` : "0", x, -95, "ruler"));
    }
    for (let y = 0; y <= depth; y += TICK) {
      parts.push(svg("line", { class: "tick", x1: -60, y1: y, x2: y % 1000 ? -25 : -70, y2: y }));
      if (y % 1000 === 0) parts.push(this.#text(y ? `${y / 1000} m` : "0", -110, y, "ruler"));
    }
    parts.push(this.#text(this.actions.label("mm", { value: width }), width / 2, -200, "dimension"));
    const side = this.#text(this.actions.label("mm", { value: depth }), -230, depth / 2, "dimension");
    side.setAttribute("transform", `rotate(-90 -230 ${depth / 2})`);
    parts.push(side);
    this.backdrop.replaceChildren(...parts);
    this.root.dataset.width = String(width);
    this.root.dataset.depth = String(depth);
  }

  /** @param {string} text @param {number} x @param {number} y @param {string} cls */
  #text(text, x, y, cls) {
    const node = svg("text", { class: cls, x, y });
    node.textContent = text;
    return node;
  }

  /** @param {PlacedItem} item */
  #create(item) {
    const shape = /** @type {SVGGElement} */ (svg("g", { class: `item ${levelOf(item)}`, tabindex: 0,
      role: "button", "data-testid": "plan-item", "data-key": item.id, "data-mount": item.mount,
      "aria-describedby": "plan-help" }));
    const label = svg("text", { class: "label", "aria-hidden": "true" });
    shape.append(svg("rect", { class: "body" }), svg("line", { class: "front" }), label);
    shape.addEventListener("pointerdown", (event) => this.#grab(event, item.id));
    shape.addEventListener("keydown", (event) => this.#key(event, item.id));
    shape.addEventListener("focus", () => this.select(item.id));
    this.layers[levelOf(item)].append(shape);
    this.#shapes.set(item.id, shape);
    return shape;
  }

  /** @param {SVGGElement} shape @param {PlacedItem} item @param {number} x @param {number} y */
  #place(shape, item, x, y) {
    const { width, depth } = extent(item);
    Object.assign(shape.dataset, { x: String(Math.round(x)), y: String(Math.round(y)),
      rotation: String(item.rotation), width: String(width), depth: String(depth) });
    shape.setAttribute("transform", `translate(${x} ${y})`);
    const [body, front, label] = /** @type {SVGElement[]} */ ([...shape.children]);
    for (const [name, value] of Object.entries({ width, height: depth, rx: 12 })) body.setAttribute(name, String(value));
    // The front edge: the side facing into the room.
    const edges = { 0: [0, depth, width, depth], 90: [0, 0, 0, depth], 180: [0, 0, width, 0], 270: [width, 0, width, depth] };
    const [x1, y1, x2, y2] = edges[item.rotation];
    for (const [name, value] of Object.entries({ x1, y1, x2, y2 })) front.setAttribute(name, String(value));
    const box = labelBox(item, width, depth);
    const fitted = fitLabel(item.name, box.room, box.tall);
    for (const [name, value] of Object.entries({ x: box.x, y: box.y, "font-size": fitted.size })) {
      label.setAttribute(name, String(value));
    }
    const key = `${item.name}|${box.room}|${box.tall}`;
    if (label.dataset.fit !== key) {
      label.dataset.fit = key;
      label.textContent = fitted.text;
      trimToFit(/** @type {SVGTextElement} */ (label), item.name, box.room - 30);
    }
  }

  /** Pointer position in room mm. @param {PointerEvent} event */
  #point(event) {
    const matrix = this.root.getScreenCTM();
    const point = new DOMPoint(event.clientX, event.clientY);
    const at = matrix ? point.matrixTransform(matrix.inverse()) : point;
    return { x: at.x, y: at.y };
  }

  /** @param {PointerEvent} event @param {string} id */
  #grab(event, id) {
    const item = this.#items.get(id);
    if (!item || event.button !== 0) return;
    event.preventDefault();
    const at = this.#point(event);
    this.#drag = { id, dx: at.x - item.x, dy: at.y - item.y, x: item.x, y: item.y };
    this.root.setPointerCapture?.(event.pointerId);
    this.#shapes.get(id)?.focus();
    this.select(id);
  }

  /** @param {PointerEvent} event */
  #dragTo(event) {
    const drag = this.#drag;
    const item = drag && this.#items.get(drag.id);
    const shape = drag && this.#shapes.get(drag.id);
    if (!drag || !item || !shape) return;
    const at = this.#point(event);
    const others = [...this.#items.values()].filter((i) => i.id !== item.id);
    const shown = snap({ ...item, x: Math.max(0, at.x - drag.dx), y: Math.max(0, at.y - drag.dy) }, this.#room, others);
    drag.x = at.x - drag.dx;
    drag.y = at.y - drag.dy;
    this.#place(shape, shown, shown.x, shown.y);
    this.actions.drag(item.id, shown.x, shown.y);
  }

  /** @param {PointerEvent} event */
  #drop(event) {
    const drag = this.#drag;
    if (!drag) return;
    this.#dragTo(event);
    this.#drag = null;
    const item = this.#items.get(drag.id);
    const shape = this.#shapes.get(drag.id);
    if (!item || !shape) return;
    if (Math.round(drag.x) !== item.x || Math.round(drag.y) !== item.y) {
      this.actions.move(drag.id, Math.max(0, drag.x), Math.max(0, drag.y));
    } else {
      this.#place(shape, item, item.x, item.y);
      this.actions.drag(item.id, item.x, item.y); // back where it was: the previews end there
    }
  }

  /** @param {KeyboardEvent} event @param {string} id */
  #key(event, id) {
    const item = this.#items.get(id);
    if (!item || event.ctrlKey || event.metaKey || event.altKey) return;
    const step = event.shiftKey ? FINE_STEP : STEP;
    /** @type {Record<string, [number, number]>} */
    const arrows = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (arrows[event.key]) {
      this.actions.move(id, Math.max(0, item.x + arrows[event.key][0]), Math.max(0, item.y + arrows[event.key][1]), false);
    } else if (event.key === "r" || event.key === "R") this.actions.rotate(id);
    else if (event.key === "Delete" || event.key === "Backspace") this.actions.remove(id);
    else return;
    event.preventDefault();
  }
}
