// @ts-check
/**
 * The design being planned: items from the catalog placed in the room, and its saving. Every
 * change is applied here at once (the plan never waits for the network) and, when the person may
 * save, sent as one web-service call through the token keeper: the first creates the design asset,
 * each later one PATCHes it with the whole plan. Calls go out one after another, so the server
 * applies them in the order they were made, and each carries its Idempotency-Key (the keeper's),
 * so a replay after an expired token is applied once. A failed save loses nothing: the next
 * change sends the whole plan again.
 */

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {{key: string, asset: string, name: string, width: number, depth: number,
 *   x: number, y: number, rotation: number}} PlacedItem  sizes and places in cm, rotation in deg
 * @typedef {{id: string | null, name: string, items: PlacedItem[], saving: number,
 *   unsaved: boolean}} DesignState
 * @typedef {{create: (a: {name: string, kind: string, data: Record<string, unknown>}) =>
 *   Promise<Asset>, update: (id: string, f: Record<string, unknown>) => Promise<Asset>}} Saver
 */

/** The room, in cm: what the plan draws and where items may go. */
export const ROOM = Object.freeze({ width: 600, depth: 400 });
const DEFAULT_SIZE = 60;

/** What an item covers on the floor, turned as it is. @param {PlacedItem} item */
export function extent(item) {
  const turned = item.rotation % 180 !== 0;
  return { width: turned ? item.depth : item.width, depth: turned ? item.width : item.depth };
}

/** @param {number} value @param {number} low @param {number} high */
function clamp(value, low, high) {
  return Math.min(Math.max(value, low), Math.max(low, high));
}

/** An item's footprint in cm from a catalog asset's data (mm), or a default square.
 * @param {Record<string, unknown>} data */
function footprint(data) {
  const cm = (/** @type {unknown} */ mm) => (typeof mm === "number" && mm > 0 ? mm / 10 : DEFAULT_SIZE);
  return { width: Math.min(cm(data.width), ROOM.width), depth: Math.min(cm(data.depth), ROOM.depth) };
}

/**
 * One design as saving sees it: its id once created, the running creation, its plan as last
 * changed. A design opened after it was changed keeps its own record, so its calls still go out.
 * @typedef {{id: string | null, creating: Promise<string> | null, name: string,
 *   items: PlacedItem[]}} DesignRecord
 */

export class Design {
  /** @type {DesignRecord} */ #doc = { id: null, creating: null, name: "My design", items: [] };
  #saving = 0;
  #unsaved = false;
  #next = 1;
  /** @type {Set<Promise<unknown>>} */ #pending = new Set();

  /**
   * @param {{api: Saver, canSave: () => boolean, onChange: (state: DesignState) => void,
   *   onError: (error: unknown) => void, onSaved?: (asset: Asset) => void}} options
   */
  constructor(options) {
    this.options = options;
    /** How many saves the server acknowledged (for measurements; no one reads it otherwise). */
    this.acknowledged = 0;
  }

  /** @returns {DesignState} */
  get state() {
    const { id, name, items } = this.#doc;
    return { id, name, items, saving: this.#saving, unsaved: this.#unsaved };
  }

  /** A fresh, empty design (not saved until its first change or Save). @param {string} [name] */
  startNew(name = "My design") {
    this.#reset({ id: null, creating: null, name, items: [] });
  }

  /** Open a saved design asset. @param {Asset} asset @param {Asset[]} catalog */
  open(asset, catalog) {
    const byId = new Map(catalog.map((a) => [a.id, a]));
    const stored = Array.isArray(asset.data?.items) ? asset.data.items : [];
    const items = stored.flatMap((/** @type {any} */ saved) => {
      const source = byId.get(saved?.asset);
      if (!source) return []; // an item the catalog no longer has
      return [this.#item(source, Number(saved.x) || 0, Number(saved.y) || 0, Number(saved.rotation) || 0)];
    });
    this.#reset({ id: asset.id, creating: null, name: asset.name, items });
  }

  /** A design was renamed from the list: the open one takes the new name. @param {string} id
   * @param {string} name */
  renamed(id, name) {
    if (this.#doc.id !== id) return;
    this.#doc.name = name;
    this.#changed();
  }

  /** The open design was deleted or is not ours any more: back to an empty one. @param {string} id */
  forget(id) {
    if (this.#doc.id === id) this.startNew();
  }

  /** Place a catalog item in the middle of the room. @param {Asset} source @returns {string} */
  place(source) {
    const item = this.#item(source, 0, 0, 0);
    const step = 20 * (this.#doc.items.length % 5); // side by side, not stacked
    item.x = Math.round(clamp((ROOM.width - item.width) / 2 + step, 0, ROOM.width - item.width));
    item.y = Math.round(clamp((ROOM.depth - item.depth) / 2 + step, 0, ROOM.depth - item.depth));
    return this.#change((items) => [...items, item], item.key);
  }

  /** @param {string} key @param {number} x @param {number} y */
  move(key, x, y) {
    return this.#edit(key, (item) => ({ ...item,
      x: Math.round(clamp(x, 0, ROOM.width - extent(item).width)),
      y: Math.round(clamp(y, 0, ROOM.depth - extent(item).depth)) }));
  }

  /** Turn an item a quarter to the right. @param {string} key */
  rotate(key) {
    return this.#edit(key, (item) => {
      const turned = { ...item, rotation: (item.rotation + 90) % 360 };
      const { width, depth } = extent(turned); // keep it inside the room once turned
      return { ...turned, x: Math.round(clamp(item.x, 0, ROOM.width - width)),
        y: Math.round(clamp(item.y, 0, ROOM.depth - depth)) };
    });
  }

  /** @param {string} key */
  remove(key) {
    return this.#change((items) => items.filter((i) => i.key !== key), key);
  }

  /** @param {string} name */
  rename(name) {
    if (!name || name === this.#doc.name) return Promise.resolve(true);
    this.#doc.name = name;
    return this.#commit();
  }

  /** Save now (a design made before logging in, or a new one). Resolves to whether it worked. */
  save() {
    return this.#commit();
  }

  /** Every save asked for so far has its answer. */
  async whenSaved() {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  /** @param {DesignRecord} doc */
  #reset(doc) {
    this.#doc = doc;
    this.#unsaved = false;
    this.#saving = 0;
    this.#changed();
  }

  #changed() {
    this.options.onChange(this.state);
  }

  /** @param {Asset} source @param {number} x @param {number} y @param {number} rotation
   * @returns {PlacedItem} */
  #item(source, x, y, rotation) {
    return { key: `item-${this.#next++}`, asset: source.id, name: source.name,
      ...footprint(source.data ?? {}), x, y, rotation: ((rotation % 360) + 360) % 360 };
  }

  /** @param {string} key @param {(item: PlacedItem) => PlacedItem} edit */
  #edit(key, edit) {
    return this.#change((items) => items.map((i) => (i.key === key ? edit(i) : i)), key);
  }

  /** @param {(items: PlacedItem[]) => PlacedItem[]} update @param {string} key */
  #change(update, key) {
    this.#doc.items = update(this.#doc.items);
    void this.#commit();
    return key;
  }

  /**
   * Draw the change and, if the person may save, send it: one call with the plan as it is now.
   * Once the design exists, calls go out at once (the keeper sends changes of one asset in the
   * order they were made); before, they wait for its creation. Resolves to whether it was saved.
   * @returns {Promise<boolean>}
   */
  #commit() {
    if (!this.options.canSave()) {
      this.#unsaved = true;
      this.#changed();
      return Promise.resolve(false);
    }
    const doc = this.#doc;
    const fields = { name: doc.name, data: { items: doc.items.map(({ asset, x, y, rotation }) =>
      ({ asset, x, y, rotation })) } };
    const current = () => doc === this.#doc;
    this.#saving += 1;
    this.#changed();
    const call = this.#send(doc, fields).then((asset) => {
      this.acknowledged += 1;
      if (current()) this.#unsaved = false;
      this.options.onSaved?.(asset);
      return true;
    }, (error) => {
      if (current()) this.#unsaved = true;
      this.options.onError(error);
      return false;
    }).finally(() => {
      this.#pending.delete(call);
      if (current()) { this.#saving -= 1; this.#changed(); }
    });
    this.#pending.add(call);
    return call;
  }

  /** @param {DesignRecord} doc @param {{name: string, data: Record<string, unknown>}} fields */
  async #send(doc, fields) {
    if (doc.id !== null) return this.options.api.update(doc.id, fields);
    if (doc.creating) return this.options.api.update(await doc.creating, fields);
    const creating = this.options.api.create({ ...fields, kind: "design" }).then((asset) => asset);
    doc.creating = creating.then((asset) => { doc.id = asset.id; return asset.id; });
    doc.creating.catch(() => { doc.creating = null; }); // the next change tries again
    return creating;
  }
}
