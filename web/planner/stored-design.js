// @ts-check
/**
 * Designs as the web services store them (an asset of kind "design"), both shapes:
 * - now: `data: {room: {width, depth}, items: [DesignItem & {elevation}]}`, millimetres, each item
 *   complete, so a design opens (and a draft restores) without waiting for the catalog;
 * - before (release 1): `data: {items: [{asset, x, y, rotation}]}`, positions in centimetres in a
 *   6 x 4 m room, sizes taken from the catalog. Such designs keep opening; they are written back
 *   in the new shape at their next change.
 * Also where a catalog asset becomes an item: its `data` carries width, depth, height, price,
 * mount and elevation, in millimetres.
 */
import { ROTATIONS } from "../sdk/protocol.js";

/** @typedef {import("./api.js").Asset} Asset */
/** @typedef {import("./layout.js").PlacedItem} PlacedItem */
/** @typedef {import("./layout.js").Room} Room */

export const DEFAULT_ROOM = Object.freeze({ width: 4000, depth: 3000 });
/** The room every release-1 design was drawn in. */
const OLD_ROOM = Object.freeze({ width: 6000, depth: 4000 });
const DEFAULT_SIZE_MM = 600;
const DEFAULT_HEIGHT_MM = 720;
const MAX_ROOM_MM = 30_000;
export const MIN_ROOM_MM = 1000;

/** @param {unknown} value @param {number} fallback */
function positive(value, fallback) {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** @param {unknown} value @param {number} fallback */
function nonNegative(value, fallback = 0) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value) : fallback;
}

/** @param {unknown} value @returns {0 | 90 | 180 | 270} */
export function rotationOf(value) {
  const turned = ((Math.round(Number(value) / 90) * 90) % 360 + 360) % 360;
  return /** @type {0 | 90 | 180 | 270} */ (ROTATIONS.includes(/** @type {any} */ (turned)) ? turned : 0);
}

/** Whether a room size is one a kitchen can have. @param {unknown} value */
export function isRoomLength(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= MIN_ROOM_MM &&
    value <= MAX_ROOM_MM;
}

/** @param {unknown} room @param {Room} fallback @returns {Room} */
function roomOf(room, fallback) {
  const r = /** @type {Record<string, unknown>} */ (room ?? {});
  return isRoomLength(r.width) && isRoomLength(r.depth)
    ? { width: Math.round(/** @type {number} */ (r.width)), depth: Math.round(/** @type {number} */ (r.depth)) }
    : { ...fallback };
}

/**
 * An item (not yet placed: x = y = 0) from a catalog asset.
 * @param {Asset} source @param {string} id @returns {PlacedItem}
 */
export function itemFrom(source, id) {
  const data = source.data ?? {};
  const wall = data.mount === "wall";
  /** @type {PlacedItem} */
  const item = { id, catalogId: source.id, name: source.name, x: 0, y: 0, rotation: 0,
    width: Math.round(positive(data.width, DEFAULT_SIZE_MM)),
    depth: Math.round(positive(data.depth, DEFAULT_SIZE_MM)),
    height: Math.round(positive(data.height, DEFAULT_HEIGHT_MM)),
    mount: wall ? "wall" : "floor", unitPrice: nonNegative(data.price) };
  const elevation = nonNegative(data.elevation, wall ? 1400 : 0);
  if (elevation) item.elevation = elevation;
  return item;
}

/** A stored item of the current shape, or null. @param {any} raw @returns {PlacedItem | null} */
function currentItem(raw) {
  if (typeof raw?.id !== "string" || typeof raw.catalogId !== "string") return null;
  /** @type {PlacedItem} */
  const item = { id: raw.id, catalogId: raw.catalogId, name: String(raw.name ?? ""),
    x: nonNegative(raw.x), y: nonNegative(raw.y), rotation: rotationOf(raw.rotation),
    width: Math.round(positive(raw.width, DEFAULT_SIZE_MM)),
    depth: Math.round(positive(raw.depth, DEFAULT_SIZE_MM)),
    height: Math.round(positive(raw.height, DEFAULT_HEIGHT_MM)),
    mount: raw.mount === "wall" ? "wall" : "floor", unitPrice: nonNegative(raw.unitPrice) };
  const elevation = nonNegative(raw.elevation);
  if (elevation) item.elevation = elevation;
  return item;
}

/** A release-1 item (cm, sizes from the catalog), or null when the catalog lost it.
 * @param {any} raw @param {Map<string, Asset>} catalog @param {string} id */
function oldItem(raw, catalog, id) {
  const source = catalog.get(raw?.asset);
  if (!source) return null;
  return { ...itemFrom(source, id), x: nonNegative(Number(raw.x) * 10),
    y: nonNegative(Number(raw.y) * 10), rotation: rotationOf(raw.rotation) };
}

/**
 * The room and items of a stored design, whichever shape it has.
 * @param {Record<string, unknown> | undefined} data @param {Asset[]} catalog
 * @returns {{room: Room, items: PlacedItem[]}}
 */
export function readStored(data, catalog) {
  const raw = Array.isArray(data?.items) ? data.items : [];
  const old = data?.room === undefined && raw.some((r) => r && typeof r === "object" && "asset" in r);
  if (!old) {
    const items = raw.map(currentItem).filter((i) => i !== null);
    return { room: roomOf(data?.room, DEFAULT_ROOM), items: /** @type {PlacedItem[]} */ (items) };
  }
  const byId = new Map(catalog.map((a) => [a.id, a]));
  const items = raw.map((r, i) => oldItem(r, byId, `item-${i + 1}`)).filter((i) => i !== null);
  return { room: { ...OLD_ROOM }, items: /** @type {PlacedItem[]} */ (items) };
}

/** What a save sends as the asset's data. @param {Room} room @param {PlacedItem[]} items */
export function storedData(room, items) {
  return { room: { ...room }, items: items.map((item) => ({ ...item })) };
}

/** The design's total: the sum of its items' prices. @param {PlacedItem[]} items */
export function totalOf(items) {
  return Math.round(items.reduce((sum, item) => sum + item.unitPrice, 0) * 100) / 100;
}
