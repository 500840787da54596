// Switching designs loses nothing: a design left while its save failed waits in the outbox (kept in
// the drafts per person) and each retry sends it, in order, until the server has it; a reload
// keeps it; opening it again opens the shopper's own version. Real Design, Saving, Outbox and
// Drafts (in memory); the server is a fake that can be down.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Design } from "../planner/design.js";
import { Drafts } from "../planner/drafts.js";
import { Outbox } from "../planner/outbox.js";
import { Saving } from "../planner/saving.js";
import { settle } from "./fakes.mjs";

const CABINET = { id: "cab", owner: null, name: "Base cabinet 60", kind: "cabinet",
  data: { width: 600, depth: 560, height: 880, price: 129 } };
const asset = (id, name) => ({ id, owner: "alice", name, kind: "design",
  data: { room: { width: 4000, depth: 3000 }, items: [] } });

/** The web services: they keep each design's last data; `down` refuses every call. */
class Server {
  down = false;
  calls = [];
  stored = new Map([["a", asset("a", "Kitchen A")], ["b", asset("b", "Kitchen B")]]);
  create = async (fields) => this.#call("create", `new-${this.calls.length}`, fields);
  update = async (id, fields) => this.#call("update", id, fields);
  #call(kind, id, fields) {
    if (this.down) throw Object.assign(new Error("server down"), { code: "NetworkError" });
    if (kind === "update" && !this.stored.has(id)) throw Object.assign(new Error("gone"), { code: "NotFound" });
    this.calls.push({ kind, id, fields: structuredClone(fields) });
    const saved = { ...asset(id, fields.name), data: fields.data };
    this.stored.set(id, saved);
    return saved;
  }
}

/** A clock whose timers the test runs by hand. */
function manualClock() {
  let timers = [];
  return {
    now: () => 0,
    setTimeout: (fn) => { timers.push(fn); return fn; },
    clearTimeout: (fn) => { timers = timers.filter((t) => t !== fn); },
    runAll() { const due = timers; timers = []; due.forEach((fn) => fn()); },
  };
}

function planner(server, drafts) {
  const clock = manualClock();
  let saving;
  const design = new Design({ api: server, canSave: () => true, onError: (e) => saving.failed(e) });
  const outbox = new Outbox({ drafts, entity: "shop", send: (r, f) => design.sender.send(r, f) });
  saving = new Saving({ design, canSave: () => true, clock, outbox, person: () => "alice" });
  design.takePending = (id) => outbox.take("alice", id);
  design.on("left", (left) => { void outbox.add("alice", left); void saving.saveNow(); });
  return { design, outbox, saving, clock };
}

const itemsOn = (server, id) => server.stored.get(id).data.items.map((i) => i.catalogId);

test("a design left while the server is down is sent once it is back, exactly once, before the open one", async () => {
  const server = new Server();
  const { design, saving, clock } = planner(server, new Drafts({ indexedDB: null }));
  design.open(server.stored.get("a"), [CABINET]);
  server.down = true;
  design.place(CABINET);
  await settle();
  assert.equal(saving.status.state, "failed");
  design.open(server.stored.get("b"), [CABINET]); // the shopper moves on
  await settle();
  assert.equal(design.state.id, "b");
  assert.equal(saving.status.state, "failed", "A is not saved yet, whatever B is");
  server.down = false;
  clock.runAll();
  await settle();
  assert.deepEqual(itemsOn(server, "a"), ["cab"]);
  assert.deepEqual(server.calls.filter((c) => c.id === "a").length, 1);
  assert.deepEqual(itemsOn(server, "b"), []);
  assert.equal(saving.status.state, "saved");
  clock.runAll();
  await settle();
  assert.equal(server.calls.length, 1, "nothing sent twice");
});

test("several designs left are sent in the order they were left, a new one created once", async () => {
  const server = new Server();
  const { design, saving, clock } = planner(server, new Drafts({ indexedDB: null }));
  server.down = true;
  design.open(server.stored.get("a"), [CABINET]);
  design.place(CABINET);
  design.startNew("Fresh");
  design.place(CABINET);
  design.open(server.stored.get("b"), [CABINET]);
  await settle();
  server.down = false;
  clock.runAll();
  await settle();
  assert.deepEqual(server.calls.map((c) => [c.kind, c.fields.name]),
    [["update", "Kitchen A"], ["create", "Fresh"]]);
  assert.equal(saving.status.state, "saved");
});

test("a reload keeps the designs left unsaved: the next page's outbox sends them", async () => {
  const server = new Server();
  const drafts = new Drafts({ indexedDB: null });
  const first = planner(server, drafts);
  server.down = true;
  first.design.open(server.stored.get("a"), [CABINET]);
  first.design.place(CABINET);
  first.design.open(server.stored.get("b"), [CABINET]);
  await settle();
  await drafts.list("");
  server.down = false;
  const second = planner(server, drafts); // the same drafts: the planner origin's IndexedDB
  await second.outbox.restore("alice");
  await second.saving.saveNow();
  assert.deepEqual(itemsOn(server, "a"), ["cab"]);
  assert.equal(server.calls.length, 1);
  assert.deepEqual(await drafts.list("shop/alice/pending/"), [], "dropped once the server has it");
});

test("opening a design still waiting opens the shopper's version, not the server's older one", async () => {
  const server = new Server();
  const { design } = planner(server, new Drafts({ indexedDB: null }));
  server.down = true;
  design.open(server.stored.get("a"), [CABINET]);
  design.place(CABINET);
  design.open(server.stored.get("b"), [CABINET]);
  design.open(server.stored.get("a"), [CABINET]); // the server's copy has no items
  assert.equal(design.state.id, "a");
  assert.deepEqual(design.state.items.map((i) => i.catalogId), ["cab"]);
  assert.equal(design.saved, false);
});

test("a design deleted while it waited is dropped, not retried for ever", async () => {
  const server = new Server();
  const { design, saving, clock } = planner(server, new Drafts({ indexedDB: null }));
  server.down = true;
  design.open(server.stored.get("a"), [CABINET]);
  design.place(CABINET);
  design.open(server.stored.get("b"), [CABINET]);
  await settle();
  server.stored.delete("a");
  server.down = false;
  clock.runAll();
  await settle();
  assert.equal(saving.status.state, "saved");
  assert.equal(server.calls.length, 0);
});

test("at login, designs left before it are the person's and are sent under their account", async () => {
  const server = new Server();
  const drafts = new Drafts({ indexedDB: null });
  const clock = manualClock();
  let person = "";
  const design = new Design({ api: server, canSave: () => person !== "", onError: () => {} });
  const outbox = new Outbox({ drafts, entity: "shop", send: (r, f) => design.sender.send(r, f) });
  const saving = new Saving({ design, canSave: () => person !== "", clock, outbox, person: () => person });
  design.on("left", (left) => { void outbox.add(person, left); });
  design.place(CABINET); // before any login: a draft only
  design.startNew("Second");
  await settle();
  assert.equal(server.calls.length, 0);
  person = "alice";
  await outbox.carry("alice");
  await outbox.restore("alice");
  await saving.saveNow();
  assert.deepEqual(server.calls.map((c) => [c.kind, c.fields.name]), [["create", "My design"]]);
  assert.deepEqual(await drafts.list("shop/anonymous/pending/"), []);
  assert.deepEqual(await drafts.list("shop/alice/pending/"), []);
});
