// The host's commands run against the planner (commands.js), each with its value or its error
// code, and the planner's events to the host (planner-events.js) with DesignChanged at most
// every 250 ms on a fake clock.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CommandError, PlannerEvent, isDesign, isDesignItem, message } from "../sdk/protocol.js";
import { run, runCommand } from "../planner/commands.js";
import { Design } from "../planner/design.js";
import { Locale } from "../planner/i18n.js";
import { CHANGED_INTERVAL_MS, tellHost } from "../planner/planner-events.js";
import { FakeClock } from "./fakes.mjs";

const BASE = { id: "base60", owner: null, name: "Base cabinet 60", kind: "cabinet",
  data: { width: 600, depth: 600, height: 880, price: 129 } };
const SAVED = { id: "mine-1", owner: "u1", name: "Kitchen", kind: "design",
  data: { room: { width: 3000, depth: 2500 }, items: [] } };

function setUp({ loggedIn = false } = {}) {
  const writes = [];
  const api = {
    create: async (f) => { writes.push(f); return { id: "d-new", name: f.name, data: f.data }; },
    update: async (id, f) => { writes.push(f); return { id, name: f.name, data: f.data }; },
  };
  const design = new Design({ api, canSave: () => false, onError: () => {} });
  const style = new Map();
  const asked = [];
  const ctx = {
    design, catalog: () => [BASE], findDesign: async (id) => (id === SAVED.id ? SAVED : null),
    loggedIn: () => loggedIn, askLogin: () => asked.push("LoginRequired"), locale: new Locale(),
    root: { style: { setProperty: (name, value) => style.set(name, value) } },
  };
  return { ctx, design, style, asked, writes, cmd: (name, args) => run(ctx, name, args) };
}

/** The error code a command rejects with. */
async function codeOf(promise) {
  try { await promise; } catch (error) { return error.code; }
  return "resolved";
}

test("getDesign, newDesign, addItem, removeItem and setRoom answer as SPEC says", async () => {
  const { cmd, design } = setUp();
  const fresh = await cmd("newDesign", { name: "Galley kitchen" });
  assert.ok(isDesign(fresh));
  assert.deepEqual([fresh.name, fresh.id, fresh.items], ["Galley kitchen", null, []]);
  const item = await cmd("addItem", { catalogId: "base60", x: 1000, y: 1200, rotation: 90 });
  assert.ok(isDesignItem(item));
  assert.deepEqual([item.x, item.y, item.rotation, item.unitPrice], [1000, 1200, 90, 129]);
  const placed = await cmd("addItem", { catalogId: "base60" }); // first free spot
  assert.deepEqual([placed.x, placed.y], [0, 0]);
  assert.equal(await cmd("setRoom", { width: 5000, depth: 3200 }), undefined);
  assert.equal(await cmd("removeItem", { itemId: placed.id }), undefined);
  const now = await cmd("getDesign", {});
  assert.deepEqual(now.room, { width: 5000, depth: 3200 });
  assert.deepEqual(now.items.map((i) => i.id), [item.id]);
  assert.deepEqual(now.total, { amount: 129, currency: "EUR" });
  design.undo(); // a command's change is undone like a shopper's
  assert.equal(design.state.items.length, 2);
});

test("bad arguments are InvalidArgument, missing things NotFound, unknown names UnknownCommand", async () => {
  const { cmd } = setUp();
  assert.equal(await codeOf(cmd("addItem", { catalogId: "nope" })), CommandError.NotFound);
  assert.equal(await codeOf(cmd("addItem", {})), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("addItem", { catalogId: "base60", x: -5 })), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("addItem", { catalogId: "base60", rotation: 45 })), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("removeItem", { itemId: "item-99" })), CommandError.NotFound);
  assert.equal(await codeOf(cmd("setRoom", { width: 10, depth: 3000 })), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("setRoom", { width: "4000", depth: 3000 })), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("newDesign", { name: "" })), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("fly", {})), CommandError.UnknownCommand);
  assert.equal(await codeOf(cmd("getDesign", null)), CommandError.InvalidArgument);
});

test("saving and opening need a logged-in user: LoginRequired, and the host is told", async () => {
  const { cmd, asked } = setUp();
  assert.equal(await codeOf(cmd("saveDesign", {})), CommandError.LoginRequired);
  assert.equal(await codeOf(cmd("openDesign", { id: SAVED.id })), CommandError.LoginRequired);
  assert.deepEqual(asked, ["LoginRequired", "LoginRequired"]);
});

test("a logged-in user's saveDesign saves once and openDesign opens their design", async () => {
  const { cmd, writes } = setUp({ loggedIn: true });
  await cmd("addItem", { catalogId: "base60" });
  const saved = await cmd("saveDesign", {});
  assert.deepEqual([saved.id, saved.saved, writes.length], ["d-new", true, 1]);
  const opened = await cmd("openDesign", { id: SAVED.id });
  assert.deepEqual([opened.id, opened.name, opened.room], ["mine-1", "Kitchen", { width: 3000, depth: 2500 }]);
  assert.equal(await codeOf(cmd("openDesign", { id: "someone-elses" })), CommandError.NotFound);
});

test("setTheme takes colours and a font family into CSS properties, nothing else", async () => {
  const { cmd, style } = setUp();
  await cmd("setTheme", { accent: "#0a5", background: "rgb(250, 248, 240)", font: "Georgia, serif" });
  assert.deepEqual([...style], [["--accent", "#0a5"], ["--background", "rgb(250, 248, 240)"],
    ["--font", "Georgia, serif"]]);
  for (const bad of [{ accent: "red; background: url(x)" }, { background: "rgb(300, 0, 0)" },
    { font: "x; color: red" }, { accent: "#12345" }, { border: "#fff" }]) {
    assert.equal(await codeOf(cmd("setTheme", bad)), CommandError.InvalidArgument, JSON.stringify(bad));
  }
});

test("setLocale switches words and currency; unknown ones are InvalidArgument", async () => {
  const { cmd, ctx, design } = setUp();
  await cmd("setLocale", { locale: "de-DE", currency: "EUR" });
  assert.equal(ctx.locale.t("addToCart"), "In den Warenkorb");
  assert.equal(ctx.locale.price(1234.5), "1.234,50\u00a0€");
  await cmd("setLocale", { locale: "en", currency: "GBP" });
  assert.equal(design.toJSON().total.currency, "GBP");
  await cmd("setLocale", { currency: "SEK" }); // the language stays
  assert.deepEqual([ctx.locale.language, design.toJSON().total.currency], ["en", "SEK"]);
  assert.equal(await codeOf(cmd("setLocale", {})), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("setLocale", { locale: "xx-!!" })), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("setLocale", { locale: "fr" })), CommandError.InvalidArgument);
  assert.equal(await codeOf(cmd("setLocale", { locale: "de", currency: "euro" })), CommandError.InvalidArgument);
});

test("runCommand before the page installed its commands is NotReady", async () => {
  assert.equal(await codeOf(runCommand("getDesign", {})), CommandError.NotReady);
});

test("the host hears each change; DesignChanged at most every 250 ms and the last state wins", () => {
  const clock = new FakeClock();
  const { design } = setUp();
  const posted = [];
  const select = tellHost(design, (event, content) => posted.push(message(event, content)), clock);
  const names = () => posted.map((m) => m.event);
  const item = design.place(BASE);
  assert.deepEqual(names(), [PlannerEvent.DesignChanged, PlannerEvent.ItemAdded]);
  for (let x = 1000; x <= 1500; x += 100) design.move(item.id, x, 1000, false); // a drag's moves
  assert.equal(names().filter((n) => n === PlannerEvent.DesignChanged).length, 1);
  clock.advance(CHANGED_INTERVAL_MS);
  const changed = posted.filter((m) => m.event === PlannerEvent.DesignChanged);
  assert.equal(changed.length, 2);
  assert.equal(changed[1].content.design.items[0].x, 1500);
  design.remove(item.id);
  select(null);
  assert.deepEqual(names().slice(-2), [PlannerEvent.ItemRemoved, PlannerEvent.SelectionChanged]);
  clock.advance(CHANGED_INTERVAL_MS);
  assert.deepEqual(posted.filter((m) => m.event === PlannerEvent.DesignChanged).at(-1).content.design.items, []);
  design.undo(); // the removal undone: the item is back, and the host hears it
  assert.equal(names().at(-1), PlannerEvent.ItemAdded);
  design.redo();
  assert.equal(names().at(-1), PlannerEvent.ItemRemoved);
  design.startNew("Next");
  assert.equal(names().at(-1), PlannerEvent.DesignOpened);
});

test("while a shopper drags, DesignChanged follows at most every 250 ms and ends where it was dropped", () => {
  const clock = new FakeClock();
  const { design } = setUp();
  const a = design.place(BASE, { x: 0, y: 0 });
  const b = design.place(BASE, { x: 2000, y: 0 });
  const posted = [];
  tellHost(design, (event, content) => posted.push(message(event, content)), clock);
  const changed = () => posted.filter((m) => m.event === PlannerEvent.DesignChanged)
    .map((m) => m.content.design.items.find((i) => i.id === a.id).x);
  for (let x = 100; x <= 2000; x += 100) { design.preview(a.id, x, 0); clock.advance(50); }
  assert.ok(changed().length >= 3 && changed().length <= 5, String(changed()));
  design.move(a.id, 2000, 0); // onto b, and no room to push it aside on the way: pushed back
  clock.advance(CHANGED_INTERVAL_MS);
  assert.equal(changed().at(-1), design.item(a.id).x);
  assert.ok(design.item(a.id).x + 600 <= b.x);
});

test("an event the wire would refuse is dropped, and the change still happens", () => {
  const { design } = setUp();
  const posted = [];
  tellHost(design, (event, content) => posted.push(message(event, content)), new FakeClock());
  const long = { ...BASE, id: "long", name: "x".repeat(600) }; // longer than a DesignItem's name may be
  const item = design.place(long);
  assert.equal(design.item(item.id).name.length, 600);
  assert.deepEqual(posted, []);
});
