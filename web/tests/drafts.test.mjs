import test from "node:test";
import assert from "node:assert/strict";

import { Drafts, draftKey } from "../planner/drafts.js";

/** A small IndexedDB: one database of object stores holding structured clones, requests that
 * answer in a later task as the real one does. `refuse` makes open() fail as a browser that
 * blocks storage in frames does. */
function fakeIndexedDB({ refuse = false } = {}) {
  /** @type {Map<string, Map<string, unknown>>} */
  const stores = new Map();
  const request = (work) => {
    const req = { result: undefined, error: null, onsuccess: null, onerror: null };
    setTimeout(() => {
      try { req.result = work(); req.onsuccess?.(); } catch (error) { req.error = error; req.onerror?.(); }
    });
    return req;
  };
  const db = {
    createObjectStore: (name) => stores.set(name, new Map()),
    transaction: (name) => ({ objectStore: () => {
      const store = stores.get(name);
      return {
        get: (key) => request(() => structuredClone(store.get(key))),
        put: (value, key) => request(() => { store.set(key, structuredClone(value)); return key; }),
        delete: (key) => request(() => { store.delete(key); }),
      };
    } }),
  };
  return {
    stores,
    open() {
      const req = { result: db, error: null, onsuccess: null, onerror: null, onupgradeneeded: null };
      setTimeout(() => {
        if (refuse) { req.error = new Error("The user denied permission to access the database."); req.onerror?.(); return; }
        if (!stores.size) req.onupgradeneeded?.();
        req.onsuccess?.();
      });
      return req;
    },
  };
}

const design = (name, extra = {}) => ({ id: null, name, room: { width: 4000, depth: 3000 },
  items: [{ id: "i1", catalogId: "c1", name: "Base unit 60", x: 0, y: 0, rotation: 0, width: 600,
    depth: 600, height: 720, mount: "floor", unitPrice: 129 }],
  total: { amount: 129, currency: "EUR" }, saved: false, ...extra });

test("a draft put is there for the next page (the same database)", async () => {
  const idb = fakeIndexedDB();
  const first = new Drafts({ indexedDB: idb });
  assert.equal(await first.ready(), "indexeddb");
  await first.put(draftKey("e1", null), design("Kitchen"));
  const next = new Drafts({ indexedDB: idb });
  const draft = await next.get(draftKey("e1", null));
  assert.equal(draft.design.name, "Kitchen");
  assert.equal(draft.design.items[0].catalogId, "c1");
});

test("drafts are kept apart by entity and by person", async () => {
  const drafts = new Drafts({ indexedDB: fakeIndexedDB() });
  await drafts.put(draftKey("e1", null), design("anonymous at e1"));
  await drafts.put(draftKey("e1", "u1"), design("u1 at e1"));
  await drafts.put(draftKey("e2", "u1"), design("u1 at e2"));
  assert.equal((await drafts.get("e1/anonymous")).design.name, "anonymous at e1");
  assert.equal((await drafts.get("e1/u1")).design.name, "u1 at e1");
  assert.equal((await drafts.get("e2/u1")).design.name, "u1 at e2");
  assert.equal(await drafts.get("e2/anonymous"), null);
});

test("only the design's own fields are stored: never a token or anything else it carried", async () => {
  const idb = fakeIndexedDB();
  const drafts = new Drafts({ indexedDB: idb, now: () => 42 });
  await drafts.put("e1/u1", design("Kitchen", { token: "eyJ.secret.sig", keeper: { token: "t" } }));
  const stored = idb.stores.get("drafts").get("e1/u1");
  assert.deepEqual(Object.keys(stored).sort(), ["design", "updated"]);
  assert.deepEqual(Object.keys(stored.design).sort(), ["id", "items", "name", "room", "saved", "total"]);
  assert.equal(stored.updated, 42);
  assert.doesNotMatch(JSON.stringify(stored), /eyJ|secret|token/);
});

test("writes to one key land in the order they were made: the last change is the draft", async () => {
  const drafts = new Drafts({ indexedDB: fakeIndexedDB() });
  const writes = ["one", "two", "three"].map((name) => drafts.put("e1/u1", design(name)));
  const read = drafts.get("e1/u1"); // asked before the writes landed: waits for them
  await Promise.all(writes);
  assert.equal((await read).design.name, "three");
  await drafts.delete("e1/u1");
  assert.equal(await drafts.get("e1/u1"), null);
});

test("at login the anonymous draft becomes the person's and leaves the anonymous key", async () => {
  let clock = 1;
  const drafts = new Drafts({ indexedDB: fakeIndexedDB(), now: () => clock++ });
  await drafts.put("e1/u1", design("older own draft"));
  await drafts.put("e1/anonymous", design("made before logging in"));
  const carried = await drafts.carry("e1", "u1");
  assert.equal(carried.design.name, "made before logging in");
  assert.equal((await drafts.get("e1/u1")).design.name, "made before logging in");
  assert.equal(await drafts.get("e1/anonymous"), null);
});

test("a person's own draft newer than the anonymous one is kept; with no anonymous draft, carry gives the own", async () => {
  let clock = 1;
  const drafts = new Drafts({ indexedDB: fakeIndexedDB(), now: () => clock++ });
  await drafts.put("e1/anonymous", design("old anonymous"));
  await drafts.put("e1/u1", design("newer own"));
  assert.equal((await drafts.carry("e1", "u1")).design.name, "newer own");
  assert.equal(await drafts.get("e1/anonymous"), null);
  assert.equal((await drafts.carry("e1", "u1")).design.name, "newer own");
  assert.equal(await drafts.carry("e1", "u2"), null);
});

test("without IndexedDB, or refused it, drafts live in memory and still work", async () => {
  for (const indexedDB of [null, fakeIndexedDB({ refuse: true })]) {
    const drafts = new Drafts({ indexedDB });
    assert.equal(await drafts.ready(), "memory");
    await drafts.put("e1/anonymous", design("in memory"));
    assert.equal((await drafts.get("e1/anonymous")).design.name, "in memory");
    assert.equal((await drafts.carry("e1", "u1")).design.name, "in memory");
    assert.equal(await drafts.get("e1/anonymous"), null);
  }
});
