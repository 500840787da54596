// @ts-check
/**
 * Where items may go in the room, in millimetres: what an item covers once turned, whether two
 * items collide (floor plan AND height: a wall unit may hang above a base unit, not in a tall
 * one), snapping to the grid, to walls and to neighbours, hanging wall units on the nearest wall,
 * and the first free spot along the walls for a new item. Pure functions: the design decides,
 * the plan draws.
 *
 * An item's `x`, `y` are the top-left corner of the floor area it covers as turned (so they are
 * never negative); rotation 0 has its back to the back wall (top of the plan), 90 to the right
 * wall, 180 to the front wall, 270 to the left wall.
 */

/** @typedef {import("../sdk/protocol.js").DesignItem & {elevation?: number}} PlacedItem */
/** @typedef {{width: number, depth: number}} Room */
/** @typedef {{x: number, y: number, rotation: 0 | 90 | 180 | 270}} Place */

export const GRID_MM = 50;
/** Closer than this to a wall or a neighbour's edge, an item snaps to it. */
export const SNAP_MM = 100;

/** What an item covers on the floor, turned as it is. @param {{width: number, depth: number,
 * rotation: number}} item */
export function extent(item) {
  const turned = item.rotation % 180 !== 0;
  return { width: turned ? item.depth : item.width, depth: turned ? item.width : item.depth };
}

/** The heights an item fills, from the floor. @param {PlacedItem} item */
function heights(item) {
  const bottom = item.elevation ?? 0;
  return [bottom, bottom + item.height];
}

/** Whether two items would occupy the same space (touching is fine). @param {PlacedItem} a
 * @param {PlacedItem} b */
export function collide(a, b) {
  const ea = extent(a);
  const eb = extent(b);
  const [a0, a1] = heights(a);
  const [b0, b1] = heights(b);
  return a.x < b.x + eb.width && b.x < a.x + ea.width && a.y < b.y + eb.depth &&
    b.y < a.y + ea.depth && a0 < b1 && b0 < a1;
}

/** @param {PlacedItem} item @param {PlacedItem[]} others */
export function collidesWithAny(item, others) {
  return others.some((other) => other.id !== item.id && collide(item, other));
}

/** @param {number} value @param {number} low @param {number} high */
function clamp(value, low, high) {
  return Math.min(Math.max(value, low), Math.max(low, high));
}

/** Keep an item inside the room. @param {PlacedItem} item @param {Room} room @returns {PlacedItem} */
export function inside(item, room) {
  const { width, depth } = extent(item);
  return { ...item, x: Math.round(clamp(item.x, 0, room.width - width)),
    y: Math.round(clamp(item.y, 0, room.depth - depth)) };
}

/**
 * One coordinate snapped: to a wall or a neighbour's edge when close, else to the grid.
 * @param {number} value @param {number} size @param {number} limit @param {number[]} edges
 */
function snapAxis(value, size, limit, edges) {
  const targets = [0, limit - size, ...edges.flatMap((e) => [e, e - size])];
  let best = null;
  for (const t of targets) {
    if (Math.abs(t - value) <= SNAP_MM && (best === null || Math.abs(t - value) < Math.abs(best - value))) best = t;
  }
  return best ?? Math.round(value / GRID_MM) * GRID_MM;
}

/** Snap a proposed position: walls and neighbours first, then the grid.
 * @param {PlacedItem} item @param {Room} room @param {PlacedItem[]} others @returns {PlacedItem} */
export function snap(item, room, others) {
  if (item.mount === "wall") {
    return hang({ ...item, x: Math.round(item.x / GRID_MM) * GRID_MM, y: Math.round(item.y / GRID_MM) * GRID_MM }, room);
  }
  const { width, depth } = extent(item);
  const near = others.filter((o) => o.id !== item.id);
  const xs = near.flatMap((o) => [o.x, o.x + extent(o).width]);
  const ys = near.flatMap((o) => [o.y, o.y + extent(o).depth]);
  return inside({ ...item, x: snapAxis(item.x, width, room.width, xs),
    y: snapAxis(item.y, depth, room.depth, ys) }, room);
}

/**
 * A wall unit on the wall nearest to where it was put, its back to that wall.
 * @param {PlacedItem} item @param {Room} room @returns {PlacedItem}
 */
export function hang(item, room) {
  const { width, depth } = extent(item);
  const cx = item.x + width / 2;
  const cy = item.y + depth / 2;
  const gaps = [[cy, 0], [room.width - cx, 90], [room.depth - cy, 180], [cx, 270]];
  return hangOn(item, room, /** @type {0 | 90 | 180 | 270} */ (gaps.sort((a, b) => a[0] - b[0])[0][1]));
}

/**
 * An item flush against one wall (the one its back turns to at `rotation`), keeping its place
 * along that wall as far as it fits.
 * @param {PlacedItem} item @param {Room} room @param {0 | 90 | 180 | 270} rotation
 * @returns {PlacedItem}
 */
export function hangOn(item, room, rotation) {
  const { width, depth } = extent(item);
  const cx = item.x + width / 2;
  const cy = item.y + depth / 2;
  const turned = { ...item, rotation };
  const size = extent(turned);
  const along = (/** @type {number} */ v, /** @type {number} */ s, /** @type {number} */ l) =>
    Math.round(clamp(v, 0, l - s));
  if (rotation === 0 || rotation === 180) {
    return { ...turned, x: along(cx - size.width / 2, size.width, room.width),
      y: rotation === 0 ? 0 : Math.max(0, room.depth - size.depth) };
  }
  return { ...turned, y: along(cy - size.depth / 2, size.depth, room.depth),
    x: rotation === 270 ? 0 : Math.max(0, room.width - size.width) };
}

/** Places along the walls, clockwise from the back wall's left corner, every grid step.
 * @param {PlacedItem} item @param {Room} room @returns {Generator<Place>} */
function* alongWalls(item, room) {
  /** @type {[0 | 90 | 180 | 270, (s: number, e: {width: number, depth: number}) => Place | null][]} */
  const walls = [
    [0, (s, e) => (s + e.width <= room.width ? { x: s, y: 0, rotation: 0 } : null)],
    [270, (s, e) => (s + e.depth <= room.depth ? { x: 0, y: s, rotation: 270 } : null)],
    [90, (s, e) => (s + e.depth <= room.depth ? { x: room.width - e.width, y: s, rotation: 90 } : null)],
    [180, (s, e) => (s + e.width <= room.width ? { x: s, y: room.depth - e.depth, rotation: 180 } : null)],
  ];
  for (const [rotation, at] of walls) {
    const size = extent({ ...item, rotation });
    for (let s = 0; ; s += GRID_MM) {
      const place = at(s, size);
      if (!place) break;
      yield place;
    }
  }
}

/**
 * The first free spot along a wall for a new item, or null when the walls are full (then the
 * floor is searched row by row).
 * @param {PlacedItem} item @param {Room} room @param {PlacedItem[]} others @returns {Place | null}
 */
export function freeSpot(item, room, others) {
  for (const place of alongWalls(item, room)) {
    const candidate = { ...item, ...place };
    if (place.x >= 0 && place.y >= 0 && !collidesWithAny(candidate, others)) return place;
  }
  if (item.mount === "wall") return null;
  const size = extent({ ...item, rotation: 0 });
  for (let y = 0; y + size.depth <= room.depth; y += GRID_MM) {
    for (let x = 0; x + size.width <= room.width; x += GRID_MM) {
      if (!collidesWithAny({ ...item, x, y, rotation: 0 }, others)) return { x, y, rotation: 0 };
    }
  }
  return null;
}

/**
 * Where a moved item ends up: the snapped place if it is free, else pushed aside to the nearest
 * free place in the direction it came from; null when there is none (the move is refused).
 * Pointer moves snap; keyboard moves (`snapping` false) go exactly where asked, wall units still
 * on their wall.
 * @param {PlacedItem} moved @param {PlacedItem} before @param {Room} room @param {PlacedItem[]} others
 * @param {boolean} [snapping]
 * @returns {PlacedItem | null}
 */
export function settle(moved, before, room, others, snapping = true) {
  const snapped = snapping ? snap(moved, room, others)
    : moved.mount === "wall" ? hangOn(moved, room, moved.rotation) : inside(moved, room);
  if (!collidesWithAny(snapped, others)) return snapped;
  // Step back towards where it was, a grid step at a time: it stops against its neighbour.
  const dx = before.x - snapped.x;
  const dy = before.y - snapped.y;
  const steps = Math.ceil(Math.max(Math.abs(dx), Math.abs(dy)) / 10);
  for (let i = 1; i <= steps; i += 1) {
    const candidate = inside({ ...snapped, x: snapped.x + (dx * i) / steps,
      y: snapped.y + (dy * i) / steps }, room);
    if (!collidesWithAny(candidate, others)) return candidate;
  }
  return null;
}

/**
 * Where a new item goes: where asked (snapped) if that is free, else the first free spot along
 * a wall; null when the room has no space for it.
 * @param {PlacedItem} fresh @param {{x?: number, y?: number, rotation?: 0 | 90 | 180 | 270}} at
 * @param {Room} room @param {PlacedItem[]} items @returns {PlacedItem | null}
 */
export function placement(fresh, at, room, items) {
  if (at.x !== undefined || at.y !== undefined) {
    const asked = { ...fresh, x: at.x ?? 0, y: at.y ?? 0, rotation: at.rotation ?? 0 };
    const snapped = snap(asked, room, items);
    if (!collidesWithAny(snapped, items)) return snapped;
  }
  const spot = freeSpot(fresh, room, items);
  return spot ? { ...fresh, ...spot } : null;
}

/** An item turned a quarter to the right (a wall unit onto the next wall), or null when it
 * would not fit there. @param {PlacedItem} item @param {Room} room @param {PlacedItem[]} items */
export function turned(item, room, items) {
  const rotation = /** @type {0 | 90 | 180 | 270} */ ((item.rotation + 90) % 360);
  const next = item.mount === "wall" ? hangOn(item, room, rotation) : inside({ ...item, rotation }, room);
  return collidesWithAny(next, items) ? null : next;
}

/** Where a move of `item` to (x, y) ends up (settle), or null when it is refused or puts it
 * back where it was. @param {PlacedItem} item @param {number} x @param {number} y
 * @param {Room} room @param {PlacedItem[]} items @param {boolean} snapping */
export function movedTo(item, x, y, room, items, snapping) {
  const others = items.filter((i) => i.id !== item.id);
  const moved = settle({ ...item, x, y }, item, room, others, snapping);
  const same = moved && moved.x === item.x && moved.y === item.y && moved.rotation === item.rotation;
  return same ? null : moved;
}

/** The items of a resized room, pulled inside it (wall units onto their wall).
 * @param {PlacedItem[]} items @param {Room} room */
export function pulledInside(items, room) {
  return items.map((i) => (i.mount === "wall" ? hangOn(i, room, i.rotation) : inside(i, room)));
}
