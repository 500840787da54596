// @ts-check
/**
 * The design being planned, in millimetres: the room, the catalog items placed in it (layout.js
 * says where they may go), undo and redo, and whether the server has it. Every change is applied
 * here at once (the plan never waits for the network) and, when the person may save, sent whole
 * (design-sender.js: create, then PATCH, in order). A failed save loses nothing: the next change,
 * or `saveOnce()` (which saving.js retries), sends the whole design again.
 * Listeners (`on`): "change" (Design, any change incl. saved state), "edit" (Design, a change of
 * the content), "opened", "saved" (Design), "added" / "removed" (the item), "left" ({record,
 * design}: another was opened before this one's changes were saved; outbox.js sends them).
 */
import { DesignSaves, DesignSender } from "./design-sender.js";
import { Emitter } from "./emitter.js";
import { UndoHistory, addedAndRemoved } from "./history.js";
import { movedTo, placement, pulledInside, turned } from "./layout.js";
import { SaveTrack } from "./save-track.js";
import { DEFAULT_ROOM, isRoomLength, itemFrom, readStored, rotationOf, totalOf } from "./stored-design.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {import("./layout.js").PlacedItem} PlacedItem
 * @typedef {import("./layout.js").Room} Room
 * @typedef {import("../sdk/protocol.js").Design} DesignJSON
 * @typedef {{id: string | null, name: string, room: Room, items: PlacedItem[], saving: number,
 *   unsaved: boolean, canUndo: boolean, canRedo: boolean}} DesignState
 * @typedef {import("./design-sender.js").Saver} Saver
 * @typedef {{id: string | null, creating: Promise<string> | null, name: string, room: Room,
 *   items: PlacedItem[], track: SaveTrack}} DesignRecord  one design as saving sees it; a design
 *   opened after it was changed keeps its own record, so its calls still go out
 */

const DEFAULT_NAME = "My design";

export class Design {
  /** @type {DesignRecord} */ #doc = blank(DEFAULT_NAME);
  #next = 1;
  #history = new UndoHistory();
  #events = new Emitter();
  /** @type {DesignSaves} */ #saves;
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
    this.#saves = new DesignSaves(this.sender, { ...options, open: () => this.#doc,
      changed: () => this.#changed(), saved: () => this.#events.emit("saved", this.toJSON()) });
  }

  /** How many saves the server acknowledged (for measurements; no one reads it otherwise). */
  get acknowledged() {
    return this.sender.acknowledged;
  }

  /** @returns {DesignState} */
  get state() {
    const { id, name, room, items, track } = this.#doc;
    return { id, name, room, items, saving: track.saving, unsaved: track.unsaved,
      canUndo: this.#history.canUndo, canRedo: this.#history.canRedo };
  }

  /** True when the server has the current state. */
  get saved() {
    return this.#doc.id !== null && this.#doc.track.upToDate;
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

  /** @param {string} id */
  item(id) {
    return this.#doc.items.find((i) => i.id === id) ?? null;
  }

  /** A fresh, empty design (not saved until its first change or Save). @param {string} [name] */
  startNew(name = DEFAULT_NAME) {
    this.#reset(blank(name));
  }

  /** Open a saved design asset (either stored shape). @param {Asset} asset @param {Asset[]} catalog */
  open(asset, catalog) {
    const mine = this.takePending(asset.id);
    if (mine) return this.restore(mine);
    const { room, items } = readStored(asset.data, catalog);
    this.#reset({ id: asset.id, creating: null, name: asset.name, room, items, track: new SaveTrack(true) });
  }

  /**
   * Load a design as `toJSON()` gave it (a draft kept on this device). It is sent at the next
   * save unless it says it was saved.
   * @param {Partial<DesignJSON> & {items?: unknown[]}} like
   */
  restore(like) {
    const { room, items } = readStored({ room: like.room, items: like.items ?? [] }, []);
    const id = typeof like.id === "string" ? like.id : null;
    const track = new SaveTrack(like.saved === true);
    track.unsaved = like.saved !== true && items.length > 0;
    this.#reset({ id, creating: null, name: like.name || DEFAULT_NAME, room, items, track });
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
    if (this.#doc.id === id) this.#reset(blank(DEFAULT_NAME), false);
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
    this.#events.emit("added", placed);
    return placed;
  }

  /** Move an item; a move onto another item is pushed aside or refused (false). Pointer moves
   * snap, keyboard moves (`snapping` false) go exactly where asked.
   * @param {string} id @param {number} x @param {number} y @param {boolean} [snapping] */
  move(id, x, y, snapping = true) {
    const item = this.item(id);
    if (!item) return false;
    const moved = movedTo(item, x, y, this.#doc.room, this.#doc.items, snapping);
    if (!moved) {
      this.#changed(); // drawn back where it was
      this.#events.emit("edit", this.toJSON()); // and told so, after a drag's previews
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
    this.#events.emit("edit", design);
  }

  /** @param {string} id @returns {PlacedItem | null} the removed item */
  remove(id) {
    const item = this.item(id);
    if (!item) return null;
    this.#edit((items) => items.filter((i) => i.id !== id));
    this.#events.emit("removed", item);
    return item;
  }

  /** Resize the room; items keep their places, pulled inside (wall units onto their wall).
   * Returns false for a size no kitchen has. @param {{width: number, depth: number}} size */
  setRoom({ width, depth }) {
    if (!isRoomLength(width) || !isRoomLength(depth)) return false;
    const room = { width: Math.round(width), depth: Math.round(depth) };
    this.#edit((items) => pulledInside(items, room), room);
    return true;
  }

  /** @param {string} name */
  rename(name) {
    if (!name || name === this.#doc.name) return Promise.resolve(true);
    this.#history.push(this.#snapshot());
    this.#doc.name = name;
    this.#doc.track.changed();
    return this.#commit();
  }

  undo() {
    return this.#apply(this.#history.undo(this.#snapshot()));
  }

  redo() {
    return this.#apply(this.#history.redo(this.#snapshot()));
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
    return this.#saves.once();
  }

  /** Every save asked for so far has its answer. */
  whenSaved() {
    return this.sender.settled();
  }

  #snapshot() {
    const { name, room, items } = this.#doc;
    return { name, room: { ...room }, items };
  }

  /** Go back or forward to `snapshot`; false when there is none.
   * @param {{name: string, room: Room, items: PlacedItem[]} | null} snapshot */
  #apply(snapshot) {
    if (!snapshot) return false;
    const before = this.#doc.items;
    Object.assign(this.#doc, snapshot);
    this.#doc.track.changed();
    void this.#commit();
    this.#events.emit("edit", this.toJSON());
    const { removed, added } = addedAndRemoved(before, this.#doc.items);
    for (const item of removed) this.#events.emit("removed", item);
    for (const item of added) this.#events.emit("added", item);
    return true;
  }

  /** @param {DesignRecord} doc @param {boolean} [handOver] whether unsaved changes of the
   * design left go to the "left" listeners (not when it was deleted) */
  #reset(doc, handOver = true) {
    const left = this.toJSON();
    if (handOver && !this.saved && (left.id !== null || left.items.length > 0)) {
      this.#events.emit("left", { record: this.#doc, design: left });
    }
    this.#doc = doc;
    this.#history.clear();
    const numbers = doc.items.map((i) => Number(/^item-(\d+)$/.exec(i.id)?.[1] ?? 0));
    this.#next = Math.max(this.#next, 1 + Math.max(0, ...numbers));
    this.#changed();
    this.#events.emit("opened", this.toJSON());
  }

  #changed() {
    this.options.onChange?.(this.state);
    this.#events.emit("change", this.toJSON());
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
    this.#doc.track.changed();
    void this.#commit();
    this.#events.emit("edit", this.toJSON());
  }

  /** Draw the change and, if the person may save, send it. Resolves to whether it was saved. */
  #commit() {
    return this.#saves.commit();
  }
}

/** A new, empty design. @param {string} name @returns {DesignRecord} */
function blank(name) {
  return { id: null, creating: null, name, room: { ...DEFAULT_ROOM }, items: [], track: new SaveTrack(false) };
}
