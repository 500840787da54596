// @ts-check
/**
 * The planner's events to the host page (SPEC "Driving the planner from the page"): what the
 * design tells (opened, changed, saved, item added or removed) becomes DesignOpened,
 * DesignChanged, DesignSaved, ItemAdded, ItemRemoved through the host link's `post`.
 * DesignChanged goes out at most every 250 ms: the first change at once, the latest of a burst
 * (a drag, a run of arrow keys) when the interval is over, so the host always ends up with the
 * last state.
 */
import { PlannerEvent } from "../sdk/protocol.js";
import { totalOf } from "./stored-design.js";

export const CHANGED_INTERVAL_MS = 250;

/**
 * @typedef {{now: () => number, setTimer: (fn: () => void, ms: number) => unknown,
 *   clearTimer: (handle: any) => void}} Clock
 * @typedef {(event: string, content: Record<string, unknown>) => void} Post
 * @typedef {import("./layout.js").PlacedItem} PlacedItem
 */

/** An item as SPEC's DesignItem (the elevation stays in the planner, for drawing).
 * @param {PlacedItem} item */
export function wireItem(item) {
  const { elevation: _, ...rest } = item;
  return rest;
}

/** A design as SPEC's Design. @param {import("../sdk/protocol.js").Design} design */
export function wireDesign(design) {
  return { ...design, items: design.items.map(wireItem) };
}

/**
 * Post the design's events to the host. Returns a function that posts SelectionChanged.
 * @param {import("./design.js").Design} design @param {Post} send @param {Clock} clock
 */
export function tellHost(design, send, clock) {
  /** @type {Post} A message its guard refuses (a name longer than the wire allows) is dropped:
   * telling the host must never stop the shopper's change from being drawn and saved. */
  const post = (event, content) => {
    try {
      send(event, content);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
  };
  let last = -Infinity;
  /** @type {unknown} */ let timer = null;
  /** @type {import("../sdk/protocol.js").Design | null} */ let latest = null;
  const sendChanged = () => {
    timer = null;
    last = clock.now();
    if (latest) post(PlannerEvent.DesignChanged, { design: wireDesign(latest) });
  };
  design.on("edit", (/** @type {import("../sdk/protocol.js").Design} */ d) => {
    latest = d; // a change, or a drag's position before the drop
    if (timer !== null) return; // the latest state goes out when it fires
    const wait = last + CHANGED_INTERVAL_MS - clock.now();
    if (wait <= 0) sendChanged();
    else timer = clock.setTimer(sendChanged, wait);
  });
  design.on("opened", (d) => post(PlannerEvent.DesignOpened, { design: wireDesign(d) }));
  design.on("saved", (d) => post(PlannerEvent.DesignSaved, { design: wireDesign(d) }));
  design.on("added", (item) => post(PlannerEvent.ItemAdded, { item: wireItem(item) }));
  design.on("removed", (item) => post(PlannerEvent.ItemRemoved, { item: wireItem(item) }));
  return (/** @type {PlacedItem | null} */ item) =>
    post(PlannerEvent.SelectionChanged, { item: item ? wireItem(item) : null });
}

/**
 * The parts list: one line per catalog item with its quantity, and the total.
 * @param {PlacedItem[]} items @param {string} currency
 */
export function cartOf(items, currency) {
  /** @type {Map<string, {catalogId: string, name: string, quantity: number, unitPrice: number}>} */
  const lines = new Map();
  for (const item of items) {
    const line = lines.get(item.catalogId);
    if (line) line.quantity += 1;
    else lines.set(item.catalogId, { catalogId: item.catalogId, name: item.name, quantity: 1,
      unitPrice: item.unitPrice });
  }
  return { lines: [...lines.values()], total: { amount: totalOf(items), currency } };
}
