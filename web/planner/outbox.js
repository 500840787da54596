// @ts-check
/**
 * Designs left with changes the server has not got: the shopper opened another design (or
 * started a new one) while a save was failing. Each is kept, per person, in the planner origin's
 * drafts (`entity/person/pending/slot`, the design and its time only) until the server has it,
 * and sent again, oldest first, whenever saving.js retries; so switching designs never drops
 * the first one's changes, and a reload keeps them too. Opening a design that is still pending
 * takes it back out: the shopper goes on with their own version, not the server's older one.
 */
import { draftKey } from "./drafts.js";
import { readStored, storedData } from "./stored-design.js";

/**
 * @typedef {import("../sdk/protocol.js").Design} DesignJSON
 * @typedef {import("./design-sender.js").SentRecord} SentRecord
 * @typedef {import("./design-sender.js").DesignFields} DesignFields
 * @typedef {{slot: string, person: string, record: SentRecord, fields: DesignFields,
 *   design: DesignJSON}} Pending
 * @typedef {{put: (key: string, d: DesignJSON) => Promise<void>, delete: (key: string) =>
 *   Promise<void>, get: (key: string) => Promise<{design: DesignJSON} | null>,
 *   list: (prefix: string) => Promise<[string, {design: DesignJSON}][]>}} Shelf
 */

/** Answers that say the design can never be saved (deleted meanwhile): it is dropped. */
const HOPELESS = new Set(["NotFound"]);

/** The fields a save sends, from a design as `toJSON()` gave it. @param {DesignJSON} design */
export function fieldsOf(design) {
  const { room, items } = readStored({ room: design.room, items: design.items }, []);
  return { name: design.name, data: storedData(room, items) };
}

export class Outbox {
  /** @type {Map<string, Pending>} in the order they were left */ #pending = new Map();
  #count = 0;

  /** @param {{drafts: Shelf, entity: string, send: (r: SentRecord, f: DesignFields) =>
   *   Promise<unknown>, now?: () => number}} options */
  constructor({ drafts, entity, send, now = Date.now }) {
    this.drafts = drafts;
    this.entity = entity;
    this.send = send;
    this.now = now;
  }

  /** @param {string} person */
  #prefix(person) {
    return `${draftKey(this.entity, person || null)}/pending/`;
  }

  /** Whether `person` has designs waiting. @param {string} person */
  has(person) {
    return [...this.#pending.values()].some((p) => p.person === person);
  }

  /** A design left unsaved. @param {string} person
   * @param {{record: SentRecord, design: DesignJSON}} left */
  add(person, { record, design }) {
    // Slots sort by time, so a reload sends them in the order they were left.
    const slot = `${String(this.now()).padStart(15, "0")}-${++this.#count}`;
    this.#pending.set(slot, { slot, person, record, fields: fieldsOf(design), design });
    return this.drafts.put(this.#prefix(person) + slot, design);
  }

  /** Take back the pending version of design `id` (it is being opened), or null.
   * @param {string} person @param {string} id @returns {DesignJSON | null} */
  take(person, id) {
    const found = [...this.#pending.values()].filter((p) => p.person === person && p.record.id === id);
    for (const p of found) this.#drop(p);
    return found.at(-1)?.design ?? null;
  }

  /** After a reload or a login: the person's pending designs, from the drafts. @param {string} person */
  async restore(person) {
    const known = new Set([...this.#pending.values()].map((p) => this.#prefix(p.person) + p.slot));
    for (const [key, { design }] of await this.drafts.list(this.#prefix(person))) {
      if (known.has(key)) continue;
      const slot = key.slice(this.#prefix(person).length);
      const record = { id: typeof design.id === "string" ? design.id : null, creating: null };
      this.#pending.set(slot, { slot, person, record, fields: fieldsOf(design), design });
    }
  }

  /** At login: designs left before it (anonymous) become the person's, as the open draft does.
   * @param {string} person */
  async carry(person) {
    for (const pending of this.#pending.values()) {
      if (pending.person === "") { pending.person = person; void this.#move("", pending.slot, person); }
    }
    const known = new Set(this.#pending.keys());
    for (const [key] of await this.drafts.list(this.#prefix(""))) {
      const slot = key.slice(this.#prefix("").length);
      if (!known.has(slot)) await this.#move("", slot, person);
    }
  }

  /** @param {string} from @param {string} slot @param {string} to */
  async #move(from, slot, to) {
    const found = await this.drafts.get(this.#prefix(from) + slot);
    if (found) await this.drafts.put(this.#prefix(to) + slot, found.design);
    await this.drafts.delete(this.#prefix(from) + slot); // after the copy, as drafts.carry does
  }

  /** Send `person`'s pending designs, oldest first; rejects at the first that fails (the rest
   * wait for the next retry). @param {string} person */
  async flush(person) {
    for (const pending of [...this.#pending.values()]) {
      if (pending.person !== person || !this.#pending.has(pending.slot)) continue;
      try {
        await this.send(pending.record, pending.fields);
      } catch (error) {
        if (!HOPELESS.has(/** @type {{code?: string}} */ (error)?.code ?? "")) throw error;
      }
      this.#drop(pending);
    }
  }

  /** @param {Pending} pending */
  #drop(pending) {
    this.#pending.delete(pending.slot);
    void this.drafts.delete(this.#prefix(pending.person) + pending.slot);
  }
}
