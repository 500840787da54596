// The planner's side of commands and Loaded (host-link.js): a trusted Command runs and gets one
// CommandResult with its id; Loaded comes once, when the planner is drawn and authenticated.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HostLink, sayReadyEarly } from "../planner/host-link.js";
import { PlannerBridgeError } from "../sdk/protocol.js";
import { TokenKeeper } from "../planner/token-keeper.js";
import { FakeClock, FakeServer, settle } from "./fakes.mjs";

const SHOP = "http://localhost:8000";

function setUp(runCommand) {
  const clock = new FakeClock();
  const keeper = new TokenKeeper({ send: new FakeServer().send, now: clock.now,
    setTimer: clock.setTimer, clearTimer: clock.clearTimer, newKey: () => "k" });
  const parent = { posted: [], postMessage(data, targetOrigin) { this.posted.push({ ...data, targetOrigin }); } };
  const ran = [];
  const link = new HostLink({ parent, registered: [SHOP], parentOrigin: SHOP, entity: "e1", keeper,
    runCommand: runCommand && (async (name, args) => { ran.push([name, args]); return runCommand(name, args); }) });
  const command = (id, name, args = {}, origin = SHOP, source = parent) =>
    link.receive({ origin, source, data: { event: "Command", content: { id, name, args } } });
  const results = () => parent.posted.filter((p) => p.event === "CommandResult");
  return { keeper, parent, link, command, results, ran };
}

test("a command runs and is answered once with its id and value, to the parent's origin", async () => {
  const { command, results, ran } = setUp(async () => ({ id: "d1" }));
  assert.equal(command("c7", "getDesign"), true);
  await settle();
  assert.deepEqual(ran, [["getDesign", {}]]);
  assert.deepEqual(results(), [{ event: "CommandResult", content: { id: "c7", ok: true,
    value: { id: "d1" } }, targetOrigin: SHOP }]);
});

test("a failing command answers its code and message", async () => {
  const { command, results } = setUp(async () => {
    throw new PlannerBridgeError("LoginRequired", "saving needs an account");
  });
  command("c1", "saveDesign");
  await settle();
  assert.deepEqual(results().map((r) => r.content), [{ id: "c1", ok: false,
    error: { code: "LoginRequired", message: "saving needs an account" } }]);
});

test("an error without a code is PlannerError; a long message is cut to the guard's bound",
  async () => {
    const { command, results } = setUp(async () => { throw new Error("x".repeat(600)); });
    command("c1", "getDesign");
    await settle();
    const [{ content }] = results();
    assert.equal(content.error.code, "PlannerError");
    assert.equal(content.error.message, "x".repeat(512));
  });

test("a name outside CommandName is UnknownCommand and never reaches runCommand", async () => {
  const { command, results, ran } = setUp(async () => "ran");
  command("c1", "deleteEverything");
  command("c2", "toString");
  await settle();
  assert.deepEqual(ran, []);
  assert.deepEqual(results().map((r) => r.content), [
    { id: "c1", ok: false, error: { code: "UnknownCommand", message: "no command is named deleteEverything" } },
    { id: "c2", ok: false, error: { code: "UnknownCommand", message: "no command is named toString" } },
  ]);
});

test("without commands wired, every command is UnknownCommand", async () => {
  const { command, results } = setUp(undefined);
  command("c1", "getDesign");
  await settle();
  assert.deepEqual(results()[0].content.error,
    { code: "UnknownCommand", message: "getDesign: this planner runs no commands" });
});

test("a command from another origin or window is ignored, unanswered", async () => {
  const { command, results, ran } = setUp(async () => "ran");
  assert.equal(command("c1", "getDesign", {}, "http://evil.example"), false);
  assert.equal(command("c2", "getDesign", {}, SHOP, {}), false);
  await settle();
  assert.deepEqual([ran, results()], [[], []]);
});

test("Loaded: once, when drawn and authenticated, whichever comes last", async () => {
  for (const drawnFirst of [true, false]) {
    const { keeper, link, parent, command } = setUp(async () => null);
    const loaded = () => parent.posted.filter((p) => p.event === "Loaded").length;
    if (drawnFirst) link.drawn();
    link.receive({ origin: SHOP, source: parent,
      data: { event: "Authentication", content: { token: "shop-1", expiresIn: 60 } } });
    assert.equal(loaded(), 0, "a token that no call confirmed is not yet authenticated");
    await keeper.call({ method: "GET", path: "/v1/assets" });
    assert.equal(loaded(), drawnFirst ? 1 : 0);
    link.drawn();
    link.drawn();
    await keeper.call({ method: "GET", path: "/v1/assets" });
    assert.equal(loaded(), 1, "one Loaded per page");
    const names = parent.posted.map((p) => p.event);
    assert.ok(names.indexOf("AuthenticationSucceeded") < names.indexOf("Loaded"));
    command("c1", "getDesign");
  }
});

test("Ready is said once per page, early or at start; start still asks for a token", () => {
  const { link, parent } = setUp(async () => null);
  link.sayReady();
  link.sayReady();
  link.start();
  assert.deepEqual(parent.posted.map((p) => p.event), ["Ready", "AuthenticationRequired"]);
});

/** A stand-in for the planner frame's window, for sayReadyEarly. */
function frameWindow({ ancestor = SHOP, embedded = true } = {}) {
  const listeners = new Set();
  const parent = { posted: [], postMessage(data, origin) { this.posted.push([data.event, origin]); } };
  const page = {
    listeners, location: { ancestorOrigins: ancestor ? [ancestor] : [] }, document: { referrer: "" },
    addEventListener: (name, fn) => { if (name === "message") listeners.add(fn); },
    removeEventListener: (name, fn) => { if (name === "message") listeners.delete(fn); },
  };
  page.parent = embedded ? parent : page;
  return { page, parent, dispatch: (event) => { for (const fn of listeners) fn(event); } };
}

test("sayReadyEarly: Ready at once to the registered parent origin; the rest noted until adopted",
  async () => {
    const { page, parent, dispatch } = frameWindow();
    const early = sayReadyEarly({ window: page, config: { origins: [SHOP, "https://other.example"] } });
    assert.deepEqual(parent.posted, [["Ready", SHOP]]);
    assert.equal(early.said, true);
    const token = { origin: SHOP, source: parent, data: { event: "Authentication", content: { token: "t", expiresIn: 60 } } };
    const forged = { origin: "http://evil.example", source: parent, data: token.data };
    dispatch(forged);
    dispatch(token);
    assert.equal(early.messages.length, 2);
    const { link, keeper } = setUp(async () => null);
    link.parent = parent;
    link.adoptEarly(early); // as app.js's main() does, then start() in the same task
    link.start();
    assert.equal(page.listeners.size, 0, "the early listener is stopped");
    assert.equal(keeper.identity, null, "nothing is received before the current task ends");
    await settle();
    assert.deepEqual(keeper.identity, { kind: "legal_entity" }, "the noted token, checked, arrives");
    assert.deepEqual(parent.posted.map(([event]) => event), ["Ready", "AuthenticationRequired"],
      "Ready is not said twice; the forged note was dropped");
  });

test("sayReadyEarly: with no parent origin known, each registered origin; not embedded, nothing", () => {
  const unknown = frameWindow({ ancestor: null });
  sayReadyEarly({ window: unknown.page, config: { origins: [SHOP, "https://other.example"] } });
  assert.deepEqual(unknown.parent.posted, [["Ready", SHOP], ["Ready", "https://other.example"]]);
  const alone = frameWindow({ embedded: false });
  const early = sayReadyEarly({ window: alone.page, config: { origins: [SHOP] } });
  assert.equal(early.said, false);
  assert.equal(alone.page.listeners.size, 0);
});

test("sayReadyEarly: its Ready names the planner's key; no origins registered: Ready to no one",
  () => {
    const jkt = "A".repeat(43);
    for (const [key, content] of [[jkt, { version: 1, jkt }], [null, { version: 1 }]]) {
      const { page, parent } = frameWindow();
      const sent = [];
      parent.postMessage = (data, origin) => sent.push([data, origin]);
      sayReadyEarly({ window: page, config: { origins: [SHOP] }, jkt: key });
      assert.deepEqual(sent, [[{ event: "Ready", content }, SHOP]]);
    }
    const unregistered = frameWindow();
    const early = sayReadyEarly({ window: unregistered.page, config: {} });
    assert.deepEqual(unregistered.parent.posted, [], "no registered origin: no parent is trusted");
    assert.equal(early.said, true);
  });

test("sayReadyEarly notes at most 100 messages: a handshake is a few, more is noise", () => {
  const { page, dispatch } = frameWindow();
  const early = sayReadyEarly({ window: page, config: { origins: [SHOP] } });
  for (let i = 0; i < 150; i += 1) dispatch({ origin: SHOP, data: { n: i } });
  assert.equal(early.messages.length, 100);
  assert.deepEqual(early.messages.at(-1).data, { n: 99 }, "the first ones are kept");
});

test("an error that is no Error still answers PlannerError: a numeric DOMException code, a thrown string",
  async () => {
    const quota = Object.assign(new Error("the quota was exceeded"), { code: 22 });
    const { command, results } = setUp(async (name) => {
      throw name === "saveDesign" ? quota : "boom";
    });
    command("c1", "saveDesign");
    command("c2", "getDesign");
    await settle();
    assert.deepEqual(results().map((r) => r.content), [
      { id: "c1", ok: false, error: { code: "PlannerError", message: "the quota was exceeded" } },
      { id: "c2", ok: false, error: { code: "PlannerError", message: "boom" } },
    ]);
  });

test("an unknown command's error quotes at most 64 characters of its name", async () => {
  const { command, results } = setUp(async () => "ran");
  command("c1", "x".repeat(300));
  await settle();
  assert.equal(results()[0].content.error.message, `no command is named ${"x".repeat(64)}`);
});
