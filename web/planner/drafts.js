// @ts-check
/**
 * Drafts: the design a shopper has not saved yet, kept in the planner origin's IndexedDB so that a
 * reload (or a shop's login, which reloads the page) loses nothing. One draft per entity and
 * person: `entity/user-id`, or `entity/anonymous` before a login. A draft is the SPEC `Design` and
 * when it was written, nothing else: never a token. Where IndexedDB is missing or refused (a
 * browser that blocks storage in frames), drafts live in memory for the page's life instead.
 */

/** @typedef {import("../sdk/protocol.js").Design} Design */
/** @typedef {{design: Design, updated: number}} Draft */

const DATABASE = "planner-drafts";
const STORE = "drafts";
export const ANONYMOUS = "anonymous";

/** The draft's key for an entity and a person (null: not logged in).
 * @param {string} entity @param {string | null} user */
export function draftKey(entity, user) {
  return `${entity}/${user ?? ANONYMOUS}`;
}

/** Only the Design's own fields go into storage, whatever else the object carried.
 * @param {Design} design @returns {Design} */
function designOnly(design) {
  const { id, name, room, items, total, saved } = design;
  return JSON.parse(JSON.stringify({ id, name, room, items, total, saved }));
}

/** @template T @param {IDBRequest<T>} request @returns {Promise<T>} */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** @param {IDBFactory} factory @returns {Promise<IDBDatabase>} */
function openDatabase(factory) {
  const request = factory.open(DATABASE, 1);
  request.onupgradeneeded = () => { request.result.createObjectStore(STORE); };
  return done(request);
}

/** Drafts in a Map: the fallback, and what IndexedDB's absence leaves. */
class MemoryShelf {
  /** @type {Map<string, Draft>} */ #drafts = new Map();
  /** @param {string} key */
  async get(key) { return this.#drafts.get(key) ?? null; }
  /** @param {string} key @param {Draft} draft */
  async put(key, draft) { this.#drafts.set(key, draft); }
  /** @param {string} key */
  async delete(key) { this.#drafts.delete(key); }
  /** @param {string} prefix @returns {Promise<[string, Draft][]>} in key order */
  async list(prefix) {
    return [...this.#drafts].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
  }
}

/** Drafts in one IndexedDB object store. */
class DatabaseShelf {
  /** @param {IDBDatabase} db */
  constructor(db) { this.db = db; }
  /** @param {IDBTransactionMode} mode */
  #store(mode) { return this.db.transaction(STORE, mode).objectStore(STORE); }
  /** @param {string} key @returns {Promise<Draft | null>} */
  async get(key) { return (await done(this.#store("readonly").get(key))) ?? null; }
  /** @param {string} key @param {Draft} draft */
  async put(key, draft) { await done(this.#store("readwrite").put(draft, key)); }
  /** @param {string} key */
  async delete(key) { await done(this.#store("readwrite").delete(key)); }
  /** @param {string} prefix @returns {Promise<[string, Draft][]>} in key order */
  async list(prefix) {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const store = this.#store("readonly");
    const [keys, drafts] = await Promise.all([done(store.getAllKeys(range)), done(store.getAll(range))]);
    return keys.map((k, i) => [String(k), drafts[i]]);
  }
}

/** @typedef {(shelf: MemoryShelf | DatabaseShelf) => Promise<void>} Write */

export class Drafts {
  /** @type {"indexeddb" | "memory"} where drafts are kept (for tests and support) */
  kind = "memory";
  /** @type {Promise<MemoryShelf | DatabaseShelf>} */ #shelf;
  /** @type {Map<string, Write>} the latest write asked for each key, not started yet */
  #next = new Map();
  /** @type {Map<string, Promise<void>>} the running writes, per key */
  #running = new Map();

  /** @param {{indexedDB?: IDBFactory | null, now?: () => number}} [options] */
  constructor({ indexedDB = globalThis.indexedDB ?? null, now = Date.now } = {}) {
    this.now = now;
    this.#shelf = (indexedDB ? openDatabase(indexedDB) : Promise.reject(new Error("no IndexedDB")))
      .then((db) => { this.kind = "indexeddb"; return new DatabaseShelf(db); },
        () => new MemoryShelf());
  }

  /** Where drafts are kept, once known. */
  async ready() { await this.#shelf; return this.kind; }

  /** The draft at `key` once the writes asked so far have landed. @param {string} key
   * @returns {Promise<Draft | null>} */
  async get(key) {
    await this.#running.get(key);
    return (await this.#shelf).get(key).catch(() => null);
  }

  /** Keep `design` as the draft at `key`. Writes to one key go one at a time, and a write asked
   * for while one runs replaces any other still waiting: a drag writes its last place, not each.
   * @param {string} key @param {Design} design */
  put(key, design) {
    const draft = { design: designOnly(design), updated: this.now() };
    return this.#write(key, (shelf) => shelf.put(key, draft));
  }

  /** @param {string} key */
  delete(key) {
    return this.#write(key, (shelf) => shelf.delete(key));
  }

  /** The drafts whose keys start with `prefix`, in key order (pending designs: outbox.js).
   * @param {string} prefix @returns {Promise<[string, Draft][]>} */
  async list(prefix) {
    await Promise.all(this.#running.values());
    return (await this.#shelf).list(prefix).catch(() => []);
  }

  /**
   * At login: the anonymous draft becomes the person's (when it is newer than the person's own),
   * and is gone from the anonymous key. Resolves to the draft the person now has, or null.
   * @param {string} entity @param {string} user @returns {Promise<Draft | null>}
   */
  async carry(entity, user) {
    const from = draftKey(entity, null);
    const to = draftKey(entity, user);
    const [anonymous, own] = await Promise.all([this.get(from), this.get(to)]);
    if (!anonymous) return own;
    if (!own || own.updated <= anonymous.updated) {
      await this.#write(to, (shelf) => shelf.put(to, anonymous));
    }
    await this.delete(from); // after the copy: a reload in between finds it in one place or both
    return own && own.updated > anonymous.updated ? own : anonymous;
  }

  /** @param {string} key @param {Write} write @returns {Promise<void>} */
  #write(key, write) {
    this.#next.set(key, write);
    const running = this.#running.get(key) ?? this.#drain(key);
    this.#running.set(key, running);
    return running;
  }

  /** Run the latest write for `key` until none is waiting. @param {string} key */
  async #drain(key) {
    await Promise.resolve(); // let the caller's #running.set happen first
    const shelf = await this.#shelf;
    for (let write = this.#next.get(key); write; write = this.#next.get(key)) {
      this.#next.delete(key);
      // A draft that could not be written is no worse than no draft: the design is still in
      // the page, and its next change writes it again.
      await write(shelf).catch(() => {});
    }
    this.#running.delete(key);
  }
}
