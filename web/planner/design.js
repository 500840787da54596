// @ts-check
/**
 * The design being planned, in millimetres: the room, the catalog items placed in it (layout.js
 * says where they may go), undo and redo, and whether the server has it. Every change is applied
 * here at once (the plan never waits for the network) and, when the person may save, sent whole
 * as one web-service call (design-sender.js: create, then PATCH, in order). A failed save loses
 * nothing: the next change, or `saveOnce()` (which saving.js retries), sends the whole design
 * again.
 *
 * Listeners (`on`): "change" (Design, any change incl. saved state), "edit" (Design, a change of
 * the content), "opened" (Design), "saved" (Design), "added" / "removed" (the item), "left"
 * ({record, design}: another design was opened while this one's changes were not saved; the
 * outbox, outbox.js, keeps sending them).
 */
import { DesignSender } from "./design-sender.js";
import { Emitter } from "./emitter.js";
import { UndoHistory } from "./history.js";
import { hangOn, inside, placement, settle, turned } from "./layout.js";
import { DEFAULT_ROOM, isRoomLength, itemFrom, readStored, rotationOf, storedData } from "./stored-design.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./layout.js").PlacedItem} PlacedItem
 * @typedef {import("./layout.js").Room} Room
 * @typedef {import("../sdk/protocol.js").Design} DesignJSON
 * @typedef {{id: string | null, name: string, room: Room, items: PlacedItem[], saving: number,
 *   unsaved: boolean, canUndo: boolean, canRedo: boolean}} DesignState
 * @typedef {import("./design-sender.js").Saver} Saver
 * @typedef {{id: string | null, creating: Promise<string> | null, name: string, room: Room,
 *   items: PlacedItem[]}} DesignRecord  one design as saving sees it; a design opened after it
 *   was changed keeps its own record, so its calls still go out
 */

const DEFAULT_NAME = "My design";

/** The design's total: the sum of its items' prices. @param {PlacedItem[]} items */
export function totalOf(items) {
  return Math.round(items.reduce((sum, item) => sum + item.unitPrice, 0) * 100) / 100;
}

export class Design {
  /** @type {DesignRecord} */ #doc = { id: null, creating: null, name: DEFAULT_NAME,
    room: { ...DEFAULT_ROOM }, items: [] };
  #saving = 0;
  #unsaved = false;
  #version = 0;
  #savedVersion = -1;
  #next = 1;
  #history = new UndoHistory();
  #events = new Emitter();
  /** The shop's currency (ISO 4217), set by the locale. */
  currency = "EUR";
  /** The version of design `id` left unsaved earlier (outbox.js), taken back when it is opened.
   * @type {(id: string) => DesignJSON | null} */
  takePending = () => null;

  /**
   * @param {{api: Saver, canSave: () => boolean, onChange?: (state: DesignState) => void,
   *   onError: (error: unknown) => void, onSaved?: (asset: Asset) => void}} options
   */
  constructor(options) {
    this.options = options;
    this.sender = new DesignSender(options.api);
  }

  /** How many saves the server acknowledged (for measurements; no one reads it otherwise). */
  get acknowledged() {
    return this.sender.acknowledged;
  }

  /** @returns {DesignState} */
  get state() {
    const { id, name, room, items } = this.#doc;
    return { id, name, room, items, saving: this.#saving, unsaved: this.#unsaved,
      canUndo: this.#history.canUndo, canRedo: this.#history.canRedo };
  }

  /** True when the server has the current state. */
  get saved() {
    return this.#doc.id !== null && this.#savedVersion === this.#version;
  }

  /** The design as SPEC's `Design` (items carry `elevation` too, for the 3D view). @returns {DesignJSON} */
  toJSON() {
    const { id, name, room, items } = this.#doc;
    return { id, name, room: { ...room }, items: items.map((i) => ({ ...i })),
      total: { amount: totalOf(items), currency: this.currency }, saved: this.saved };
  }

  /** @param {string} event @param {(value: any) => void} listener @returns {() => void} unsubscribe */
  on(event, listener) {
    return this.#events.on(event, listener);
  }

  /** @param {string} event @param {unknown} value */
  #emit(event, value) {
    this.#events.emit(event, value);
  }

  /** @param {string} id */
  item(id) {
    return this.#doc.items.find((i) => i.id === id) ?? null;
  }

  /** A fresh, empty design (not saved until its first change or Save). @param {string} [name] */
  startNew(name = DEFAULT_NAME) {
    this.#reset(this.#blank(name), false);
  }

  /** @param {string} name @returns {DesignRecord} */
  #blank(name) {
    return { id: null, creating: null, name, room: { ...DEFAULT_ROOM }, items: [] };
  }

  /** Open a saved design asset (either stored shape). @param {Asset} asset @param {Asset[]} catalog */
  open(asset, catalog) {
    const mine = this.takePending(asset.id);
    if (mine) return this.restore(mine);
    const { room, items } = readStored(asset.data, catalog);
    this.#reset({ id: asset.id, creating: null, name: asset.name, room, items }, true);
  }

  /**
   * Load a design as `toJSON()` gave it (a draft kept on this device). It is sent at the next
   * save unless it says it was saved.
   * @param {Partial<DesignJSON> & {items?: unknown[]}} like
   */
  restore(like) {
    const { room, items } = readStored({ room: like.room, items: like.items ?? [] }, []);
    const id = typeof like.id === "string" ? like.id : null;
    this.#reset({ id, creating: null, name: like.name || DEFAULT_NAME, room, items }, like.saved === true);
    if (like.saved !== true && items.length) { this.#unsaved = true; this.#changed(); }
  }

  /** A design was renamed from the list: the open one takes the new name. @param {string} id
   * @param {string} name */
  renamed(id, name) {
    if (this.#doc.id !== id) return;
    this.#doc.name = name;
    this.#changed();
  }

  /** The open design was deleted: back to an empty one (its unsaved changes go with it). @param {string} id */
  forget(id) {
    if (this.#doc.id === id) this.#reset(this.#blank(DEFAULT_NAME), false, false);
  }

  /**
   * Place a catalog item: where asked (snapped) if that is free, else in the first free spot
   * along a wall. Returns the new item, or null when the room has no space for it.
   * @param {Asset} source @param {{x?: number, y?: number, rotation?: number}} [at]
   * @returns {PlacedItem | null}
   */
  place(source, at = {}) {
    const { room, items } = this.#doc;
    const fresh = itemFrom(source, `item-${this.#next++}`);
    const placed = placement(fresh, { ...at, rotation: rotationOf(at.rotation ?? 0) }, room, items);
    if (!placed) return null;
    this.#edit(() => [...items, placed]);
    this.#emit("added", placed);
    return placed;
  }

  /** Move an item; a move onto another item is pushed aside or refused (false). Pointer moves
   * snap, keyboard moves (`snapping` false) go exactly where asked.
   * @param {string} id @param {number} x @param {number} y @param {boolean} [snapping] */
  move(id, x, y, snapping = true) {
    const item = this.item(id);
    if (!item) return false;
    const others = this.#doc.items.filter((i) => i.id !== id);
    const moved = settle({ ...item, x, y }, item, this.#doc.room, others, snapping);
    if (!moved || (moved.x === item.x && moved.y === item.y && moved.rotation === item.rotation)) {
      this.#changed(); // drawn back where it was
      this.#emit("edit", this.toJSON()); // and told so, after a drag's previews
      return false;
    }
    this.#replace(moved);
    return true;
  }

  /** Turn an item a quarter to the right (a wall unit moves on to the next wall); refused
   * (false) when it would not fit there. @param {string} id */
  rotate(id) {
    const item = this.item(id);
    const next = item && turned(item, this.#doc.room, this.#doc.items);
    if (!next) return false;
    this.#replace(next);
    return true;
  }

  /** Where an item is being dragged to, before it is dropped: told as an "edit" of the design
   * as it would be (the host hears DesignChanged while a shopper drags), nothing changed or saved.
   * @param {string} id @param {number} x @param {number} y */
  preview(id, x, y) {
    const design = this.toJSON();
    design.items = design.items.map((i) => (i.id === id ? { ...i, x: Math.round(x), y: Math.round(y) } : i));
    this.#emit("edit", design);
  }

  /** @param {string} id @returns {PlacedItem | null} the removed item */
  remove(id) {
    const item = this.item(id);
    if (!item) return null;
    this.#edit((items) => items.filter((i) => i.id !== id));
    this.#emit("removed", item);
    return item;
  }

  /** Resize the room; items keep their places, pulled inside (wall units onto their wall).
   * Returns false for a size no kitchen has. @param {{width: number, depth: number}} size */
  setRoom({ width, depth }) {
    if (!isRoomLength(width) || !isRoomLength(depth)) return false;
    const room = { width: Math.round(width), depth: Math.round(depth) };
    this.#edit((items) => items.map((i) => (i.mount === "wall" ? hangOn(i, room, i.rotation) : inside(i, room))),
      room);
    return true;
  }

  /** @param {string} name */
  rename(name) {
    if (!name || name === this.#doc.name) return Promise.resolve(true);
    this.#history.push(this.#snapshot());
    this.#doc.name = name;
    this.#version += 1;
    return this.#commit();
  }

  undo() {
    const previous = this.#history.undo(this.#snapshot());
    if (previous) this.#apply(previous);
    return previous !== null;
  }

  redo() {
    const next = this.#history.redo(this.#snapshot());
    if (next) this.#apply(next);
    return next !== null;
  }

  /** Save now (a design made before logging in, or a new one). Resolves to whether it worked. */
  save() {
    return this.#commit();
  }

  /**
   * Send the whole current design once: creates the asset or PATCHes it. Rejects on failure;
   * never retries (saving.js does).
   * @returns {Promise<void>}
   */
  saveOnce() {
    const doc = this.#doc;
    const version = this.#version;
    const fields = { name: doc.name, data: storedData(doc.room, doc.items) };
    const current = () => doc === this.#doc;
    this.#saving += 1;
    this.#changed();
    return this.sender.send(doc, fields).then((asset) => {
      if (current()) {
        this.#savedVersion = Math.max(this.#savedVersion, version);
        this.#unsaved = this.#savedVersion !== this.#version;
      }
      this.options.onSaved?.(asset);
      if (current()) this.#emit("saved", this.toJSON());
    }, (error) => {
      if (current()) this.#unsaved = true;
      throw error;
    }).finally(() => {
      if (current()) { this.#saving -= 1; this.#changed(); }
    });
  }

  /** Every save asked for so far has its answer. */
  whenSaved() {
    return this.sender.settled();
  }

  #snapshot() {
    const { name, room, items } = this.#doc;
    return { name, room: { ...room }, items };
  }

  /** @param {{name: string, room: Room, items: PlacedItem[]}} snapshot */
  #apply(snapshot) {
    const before = this.#doc.items;
    Object.assign(this.#doc, snapshot);
    this.#version += 1;
    void this.#commit();
    this.#emit("edit", this.toJSON());
    // Undoing an add removes the item (and redoing a delete): the host hears it as such.
    const ids = (/** @type {PlacedItem[]} */ items) => new Set(items.map((i) => i.id));
    const [was, now] = [ids(before), ids(this.#doc.items)];
    for (const item of before) if (!now.has(item.id)) this.#emit("removed", item);
    for (const item of this.#doc.items) if (!was.has(item.id)) this.#emit("added", item);
  }

  /** @param {DesignRecord} doc @param {boolean} saved @param {boolean} [handOver] whether
   * unsaved changes of the design left go to the "left" listeners (not when it was deleted) */
  #reset(doc, saved, handOver = true) {
    const left = this.toJSON();
    if (handOver && !this.saved && (left.id !== null || left.items.length > 0)) {
      this.#emit("left", { record: this.#doc, design: left });
    }
    this.#doc = doc;
    this.#unsaved = false;
    this.#saving = 0;
    this.#version += 1;
    this.#savedVersion = saved ? this.#version : -1;
    this.#history.clear();
    const numbers = doc.items.map((i) => Number(/^item-(\d+)$/.exec(i.id)?.[1] ?? 0));
    this.#next = Math.max(this.#next, 1 + Math.max(0, ...numbers));
    this.#changed();
    this.#emit("opened", this.toJSON());
  }

  #changed() {
    this.options.onChange?.(this.state);
    this.#emit("change", this.toJSON());
  }

  /** @param {PlacedItem} item */
  #replace(item) {
    this.#edit((items) => items.map((i) => (i.id === item.id ? item : i)));
  }

  /** One undoable change of the items (and the room), saved and told.
   * @param {(items: PlacedItem[]) => PlacedItem[]} update @param {Room} [room] */
  #edit(update, room = this.#doc.room) {
    this.#history.push(this.#snapshot());
    this.#doc.room = room;
    this.#doc.items = update(this.#doc.items);
    this.#version += 1;
    void this.#commit();
    this.#emit("edit", this.toJSON());
  }

  /** Draw the change and, if the person may save, send it. Resolves to whether it was saved.
   * @returns {Promise<boolean>} */
  #commit() {
    if (!this.options.canSave()) {
      this.#unsaved = true;
      this.#changed();
      return Promise.resolve(false);
    }
    return this.saveOnce().then(() => true, (error) => {
      this.options.onError(error);
      return false;
    });
  }
}

