// @ts-check
/**
 * Sending a design to the web services: the first call creates the design asset, each later one
 * PATCHes it with the whole design. Calls of one design go out in the order they were made (a
 * change made while its creation is under way waits for the id), each with its Idempotency-Key
 * (the token keeper's), so a replay after an expired token is applied once. A failed creation is
 * forgotten, so the next call creates it again.
 */
import { storedData } from "./stored-design.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {{create: (a: {name: string, kind: string, data: Record<string, unknown>}) =>
 *   Promise<Asset>, update: (id: string, f: Record<string, unknown>) => Promise<Asset>}} Saver
 * @typedef {{id: string | null, creating: Promise<string> | null}} SentRecord  a design as
 *   sending sees it: its id once created, the running creation
 * @typedef {{name: string, data: Record<string, unknown>}} DesignFields
 */

export class DesignSender {
  /** @type {Set<Promise<unknown>>} */ #pending = new Set();
  /** How many sends the server acknowledged (for measurements). */
  acknowledged = 0;

  /** @param {Saver} api */
  constructor(api) {
    this.api = api;
  }

  /** One call with the design as it is now. @param {SentRecord} doc @param {DesignFields} fields
   * @returns {Promise<Asset>} */
  send(doc, fields) {
    const call = this.#send(doc, fields).then((asset) => { this.acknowledged += 1; return asset; });
    // Tracked settled, not rejected: the caller handles the failure, `settled()` only waits.
    const tracked = call.then(() => {}, () => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return call;
  }

  /** Every call made so far has its answer. */
  async settled() {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  /** @param {SentRecord} doc @param {DesignFields} fields */
  async #send(doc, fields) {
    if (doc.id !== null) return this.api.update(doc.id, fields);
    if (doc.creating) return this.api.update(await doc.creating, fields);
    const creating = this.api.create({ ...fields, kind: "design" });
    doc.creating = creating.then((asset) => { doc.id = asset.id; return asset.id; });
    doc.creating.catch(() => { doc.creating = null; }); // the next change tries again
    return creating;
  }
}

/**
 * @typedef {SentRecord & {name: string, room: import("./layout.js").Room,
 *   items: import("./layout.js").PlacedItem[], track: import("./save-track.js").SaveTrack}} OpenRecord
 * @typedef {{open: () => OpenRecord, canSave: () => boolean, onError: (error: unknown) => void,
 *   onSaved?: (asset: Asset) => void, changed: () => void, saved: () => void}} SaveHooks
 *   `open`: the design open now; `changed` / `saved`: tell the design's listeners
 */

/** Saving the open design: each change sent whole, its answer kept on the design's record. */
export class DesignSaves {
  /** @param {DesignSender} sender @param {SaveHooks} hooks */
  constructor(sender, hooks) {
    this.sender = sender;
    this.hooks = hooks;
  }

  /** Send the open design once; rejects on failure, never retries (saving.js does).
   * @returns {Promise<void>} */
  once() {
    const doc = this.hooks.open();
    const current = () => doc === this.hooks.open(); // a design left since: its record only
    const version = doc.track.begin();
    this.hooks.changed();
    return this.sender.send(doc, { name: doc.name, data: storedData(doc.room, doc.items) })
      .then((asset) => {
        doc.track.acknowledged(version);
        this.hooks.onSaved?.(asset);
        if (current()) this.hooks.saved();
      }, (error) => { doc.track.failed(); throw error; })
      .finally(() => { doc.track.end(); if (current()) this.hooks.changed(); });
  }

  /** A change made: sent if the person may save. Resolves to whether it was saved.
   * @returns {Promise<boolean>} */
  commit() {
    if (!this.hooks.canSave()) {
      this.hooks.open().track.unsaved = true;
      this.hooks.changed();
      return Promise.resolve(false);
    }
    return this.once().then(() => true, (error) => {
      this.hooks.onError(error);
      return false;
    });
  }
}
