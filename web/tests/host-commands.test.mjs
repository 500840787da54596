// The SDK's commands over Command/CommandResult (SPEC "Driving the planner from the page"): ids,
// waiting for Ready in order, answers by id, CommandTimeout, NotReady, Destroyed; and its events.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CommandChannel } from "../sdk/command-channel.js";
import { PLANNER, setUpBridge } from "./host-bridge-fakes.mjs";
import { settle } from "./fakes.mjs";

const commandsPosted = (frame) => frame.posted.filter((p) => p.event === "Command");
const design = { id: "d1", name: "Kitchen", room: { width: 3600, depth: 3000 }, items: [],
  total: { amount: 0, currency: "EUR" }, saved: true };
const item = { id: "i1", catalogId: "base-600", name: "Base unit 60", x: 0, y: 0, rotation: 0,
  width: 600, depth: 600, height: 870, mount: "floor", unitPrice: 149 };

/** A promise's outcome, without waiting for it to settle if it has not. */
async function outcome(promise) {
  let seen = "pending";
  promise.then((value) => { seen = { value }; }, (error) => { seen = { error }; });
  await settle();
  return seen;
}

test("commands made before Ready wait, and go out in the order they were made, each with its id",
  async () => {
    const { bridge, frame, from } = setUpBridge([]);
    const first = bridge.command("getDesign");
    const second = bridge.command("addItem", { catalogId: "base-600" });
    await settle();
    assert.deepEqual(commandsPosted(frame), [], "nothing reaches a page that is not listening yet");
    from("Ready", { version: 1 });
    assert.deepEqual(commandsPosted(frame), [
      { event: "Command", content: { id: "c1", name: "getDesign", args: {} }, targetOrigin: PLANNER },
      { event: "Command", content: { id: "c2", name: "addItem", args: { catalogId: "base-600" } },
        targetOrigin: PLANNER },
    ]);
    from("CommandResult", { id: "c2", ok: true, value: item });
    from("CommandResult", { id: "c1", ok: true, value: design });
    assert.deepEqual(await first, design, "answers are matched by id, not by arrival order");
    assert.deepEqual(await second, item);
  });

test("after Ready a command goes out at once; ids stay unique in the embedding", async () => {
  const { bridge, frame, from } = setUpBridge([]);
  from("Ready", { version: 1 });
  void bridge.command("getDesign").catch(() => {});
  void bridge.command("getDesign").catch(() => {});
  assert.deepEqual(commandsPosted(frame).map((p) => p.content.id), ["c1", "c2"]);
  bridge.destroy();
});

test("an error answer rejects with the planner's code and message", async () => {
  const { bridge, from } = setUpBridge([]);
  from("Ready", { version: 1 });
  const opening = bridge.command("openDesign", { id: "nope" });
  from("CommandResult", { id: "c1", ok: false, error: { code: "NotFound", message: "no design nope" } });
  await assert.rejects(opening, { name: "PlannerBridgeError", code: "NotFound", message: "no design nope" });
});

test("no answer within the answer deadline: CommandTimeout, and a late answer changes nothing",
  async () => {
    const { bridge, from, clock } = setUpBridge([], { answerDeadlineMs: 2000 });
    from("Ready", { version: 1 });
    const saving = bridge.command("saveDesign");
    clock.advance(1999);
    assert.equal(await outcome(saving), "pending");
    clock.advance(1);
    await assert.rejects(saving, { code: "CommandTimeout",
      message: "saveDesign: the planner did not answer within 2000 ms" });
    assert.equal(from("CommandResult", { id: "c1", ok: true, value: design }), true,
      "a late answer is still a well-formed message from the planner");
  });

test("the deadline counts from sending, not from asking: a command waiting for Ready has none",
  async () => {
    const { bridge, from, clock } = setUpBridge([], { answerDeadlineMs: 1000 });
    const asked = bridge.command("getDesign");
    clock.advance(5000);
    assert.equal(await outcome(asked), "pending");
    from("Ready", { version: 1 });
    clock.advance(999);
    from("CommandResult", { id: "c1", ok: true, value: design });
    assert.deepEqual(await asked, design);
  });

test("destroy rejects waiting and unanswered commands, and every later one, with Destroyed",
  async () => {
    const { bridge, frame, from } = setUpBridge([]);
    from("Ready", { version: 1 });
    const sent = bridge.command("getDesign");
    bridge.destroy();
    const later = bridge.command("getDesign");
    for (const promise of [sent, later]) {
      await assert.rejects(promise, { code: "Destroyed", message: "the planner was removed" });
    }
    assert.equal(commandsPosted(frame).length, 1, "nothing is posted after destroy");
  });

test("a command waiting for a planner that is destroyed before Ready is Destroyed too", async () => {
  const { bridge } = setUpBridge([]);
  const waiting = bridge.command("getDesign");
  bridge.destroy();
  await assert.rejects(waiting, { code: "Destroyed" });
});

test("an answer from another origin or window settles nothing", async () => {
  const { bridge, from } = setUpBridge([]);
  from("Ready", { version: 1 });
  const asked = bridge.command("getDesign");
  assert.equal(from("CommandResult", { id: "c1", ok: true, value: 1 }, "https://evil.example"), false);
  assert.equal(from("CommandResult", { id: "c1", ok: true, value: 1 }, PLANNER, {}), false);
  assert.equal(await outcome(asked), "pending");
  bridge.destroy();
  await assert.rejects(asked, { code: "Destroyed" });
});

test("planner events reach their handlers by name with their content", () => {
  const { bridge, from } = setUpBridge([]);
  const heard = [];
  for (const name of ["Loaded", "DesignOpened", "DesignChanged", "DesignSaved", "ItemAdded",
    "ItemRemoved", "SelectionChanged", "AddToCart", "Resize"]) {
    bridge.on(name, (content) => heard.push([name, content]));
  }
  const cart = { designId: "d1", lines: [{ catalogId: "base-600", name: "Base unit 60", quantity: 2,
    unitPrice: 149 }], total: { amount: 298, currency: "EUR" } };
  const sent = [["Loaded", {}], ["DesignOpened", { design }], ["DesignChanged", { design }],
    ["DesignSaved", { design }], ["ItemAdded", { item }], ["ItemRemoved", { item }],
    ["SelectionChanged", { item: null }], ["AddToCart", cart], ["Resize", { height: 812 }]];
  for (const [name, content] of sent) assert.equal(from(name, content), true, name);
  assert.deepEqual(heard, sent);
  assert.equal(from("Resize", { height: -1 }), false, "a malformed event is dropped");
  assert.equal(heard.length, sent.length);
});

test("on() refuses a name that is no planner event (a typo would never fire)", () => {
  const { bridge } = setUpBridge([]);
  assert.throws(() => bridge.on("Loded", () => {}),
    { code: "InvalidOption", message: "no planner event is named Loded" });
  assert.equal(typeof bridge.on("error", () => {}), "function");
});

function channel() {
  const posted = [];
  const timers = [];
  const commands = new CommandChannel({ post: (m) => posted.push(m.content.id), deadlineMs: 100,
    setTimer: (fn) => timers.push(fn), clearTimer: () => {} });
  return { commands, posted };
}

test("the channel: an answer for no command of ours is said so; one for ours settles it", async () => {
  const { commands } = channel();
  commands.open();
  const asked = commands.run("getDesign");
  assert.equal(commands.answer({ id: "c9", ok: true, value: 1 }), false);
  assert.equal(commands.answer({ id: "c1", ok: true, value: 2 }), true);
  assert.equal(commands.answer({ id: "c1", ok: true, value: 3 }), false, "settled once");
  assert.equal(await asked, 2);
});

test("the channel: destroyed stays destroyed, even if a Ready is handed to it", async () => {
  const { commands, posted } = channel();
  commands.destroy();
  commands.open();
  await assert.rejects(commands.run("getDesign"), { code: "Destroyed" });
  assert.deepEqual(posted, []);
});

test("the channel: a load failure after Ready changes nothing for the commands", async () => {
  const { commands, posted } = channel();
  commands.open();
  commands.failLoad();
  const asked = commands.run("getDesign");
  assert.deepEqual(posted, ["c1"]);
  commands.answer({ id: "c1", ok: true, value: "fine" });
  assert.equal(await asked, "fine");
});

test("only a CommandResult answers a command: another message carrying its id does not", async () => {
  const { bridge, from } = setUpBridge([]);
  from("Ready", { version: 1 });
  const asked = bridge.command("getDesign");
  from("LoginRequired", { id: "c1", ok: true, value: "not an answer" });
  assert.equal(await outcome(asked), "pending");
  from("CommandResult", { id: "c1", ok: true, value: design });
  assert.deepEqual(await asked, design);
});
