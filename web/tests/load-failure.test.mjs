// A planner that does not load (SPEC "Loading"): the deadline, the diagnosis that names the
// likely cause, `ready` rejecting with PlannerLoadFailed, and commands failing with NotReady.
import assert from "node:assert/strict";
import { test } from "node:test";

import { READY_AFTER_LOAD_MS } from "../sdk/load-check.js";
import { likelyCause } from "../sdk/load-check.js";
import { setUpBridge } from "./host-bridge-fakes.mjs";
import { settle } from "./fakes.mjs";

const PAGE = "https://shop.example";
const URL_OF = new URL("https://planner.example/planner/?entity=ent_1");

/** A fetch that answers the embed check with `body` (an Error: the network failed). */
function checkAnswering(body, asked = []) {
  return async (url, init) => {
    asked.push({ url, init });
    if (body instanceof Error) throw body;
    return { ok: body !== null, json: async () => body };
  };
}

test("the embed check is asked for the entity and this page's origin, without credentials",
  async () => {
    const asked = [];
    const cause = await likelyCause({ plannerUrl: URL_OF, pageOrigin: PAGE,
      fetch: checkAnswering({ entity: true, originRegistered: true }, asked) });
    assert.equal(cause, null);
    assert.deepEqual(asked, [{
      url: "https://planner.example/planner/embed-check?entity=ent_1&origin=https%3A%2F%2Fshop.example",
      init: { credentials: "omit", cache: "no-store" },
    }]);
  });

const UNKNOWN = 'the planner origin https://planner.example knows no legal entity "ent_1" ' +
  "(check the entity in plannerUrl)";
const causes = [
  ["the origin is not registered", { entity: true, originRegistered: false }, true,
    'this page\'s origin https://shop.example is not registered for the legal entity "ent_1" ' +
    "(register it with the planner's administration)"],
  ["the entity is unknown", { entity: false, originRegistered: false }, true, UNKNOWN],
  ["the check answers an error", null, true, UNKNOWN],
  ["the planner origin is unreachable", new TypeError("Failed to fetch"), false,
    "the planner origin https://planner.example could not be reached (or this page's " +
    "Content-Security-Policy does not allow connecting to it)"],
];
for (const [what, body, sure, cause] of causes) {
  test(`the likely cause when ${what}`, async () => {
    assert.deepEqual(await likelyCause({ plannerUrl: URL_OF, pageOrigin: PAGE,
      fetch: checkAnswering(body) }), { cause, sure });
  });
}

/** `cause`: a string (a sure diagnosis), {cause, sure}, or null (nothing found wrong). */
function loading(cause, options = {}) {
  const found = typeof cause === "string" ? { cause, sure: true } : cause;
  const set = setUpBridge([], { diagnose: async () => found, ...options });
  const errors = [];
  set.bridge.on("error", (error) => errors.push(error));
  set.bridge.startLoading(15_000);
  return { ...set, errors };
}

test("no Ready within loadTimeoutMs and nothing found wrong: PlannerLoadFailed saying so",
  async () => {
    const { bridge, clock, errors } = loading(null);
    const waiting = bridge.command("getDesign");
    waiting.catch(() => {}); // asserted below, once the failure came
    clock.advance(14_999);
    await settle();
    assert.deepEqual(errors, []);
    clock.advance(1);
    await settle();
    const message = "the planner did not load: it did not say Ready within 15000 ms";
    await assert.rejects(bridge.ready, { code: "PlannerLoadFailed", message });
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [["PlannerLoadFailed", message]]);
    await assert.rejects(waiting, { code: "NotReady", message: "the planner never became ready" });
    await assert.rejects(bridge.command("getDesign"), { code: "NotReady" });
  });

test("a frame that loaded without Ready is diagnosed soon after: the cause is the message",
  async () => {
    let diagnosed = 0;
    const cause = "the planner origin https://p.example could not be reached";
    const { bridge, errors, clock } = loading(null,
      { diagnose: async () => { diagnosed += 1; return { cause, sure: true }; } });
    bridge.frameLoaded();
    clock.advance(READY_AFTER_LOAD_MS - 1);
    await settle();
    assert.equal(diagnosed, 0, "a planner that loaded is given a moment to say Ready");
    assert.deepEqual(errors, []);
    clock.advance(1);
    await settle();
    assert.equal(diagnosed, 1);
    await assert.rejects(bridge.ready, { code: "PlannerLoadFailed",
      message: "the planner did not load: the planner origin https://p.example could not be reached" });
    assert.equal(errors.length, 1);
    clock.advance(15_000);
    await settle();
    assert.equal(errors.length, 1, "one failure, reported once");
  });

test("a frame load that looks right keeps waiting; Ready then ends the watch", async () => {
  const { bridge, errors, clock, from, frame } = loading(null);
  bridge.frameLoaded();
  clock.advance(READY_AFTER_LOAD_MS);
  await settle();
  const asked = bridge.command("getDesign");
  asked.catch(() => {}); // asserted below
  from("Ready", { version: 1 });
  clock.advance(29_999); // past the load deadline, within the command's
  await settle();
  assert.deepEqual(errors.filter((e) => e.code === "PlannerLoadFailed"), []);
  assert.equal(frame.posted.filter((p) => p.event === "Command").length, 1);
  bridge.destroy();
  await assert.rejects(asked, { code: "Destroyed" });
});

test("an unsure diagnosis at the frame's load waits: Ready may still come; at the deadline it is the cause",
  async () => {
    const cause = "the planner origin https://p.example could not be reached";
    const { bridge, errors, clock } = loading({ cause, sure: false });
    bridge.frameLoaded();
    clock.advance(READY_AFTER_LOAD_MS);
    await settle();
    assert.deepEqual(errors, []);
    clock.advance(15_000);
    await settle();
    await assert.rejects(bridge.ready, { code: "PlannerLoadFailed",
      message: `the planner did not load: ${cause}` });
  });

test("Ready before the deadline: no diagnosis, no failure", async () => {
  let diagnosed = 0;
  const { bridge, clock, from, errors } = loading(null,
    { diagnose: async () => { diagnosed += 1; return { cause: "x", sure: true }; } });
  from("Ready", { version: 1 });
  bridge.frameLoaded();
  clock.advance(15_000);
  await settle();
  assert.equal(diagnosed, 0);
  assert.deepEqual(errors, []);
});

test("a Ready that comes after the failure still opens the way for commands", async () => {
  const { bridge, clock, from, frame } = loading(null);
  clock.advance(15_000);
  await settle();
  from("Ready", { version: 1 });
  void bridge.command("getDesign").catch(() => {});
  assert.equal(frame.posted.filter((p) => p.event === "Command").length, 1);
  bridge.destroy();
});

test("a diagnosis that itself fails falls back to the deadline's sentence", async () => {
  const { bridge, clock } = loading(null, { diagnose: async () => { throw new Error("boom"); } });
  bridge.frameLoaded();
  clock.advance(READY_AFTER_LOAD_MS);
  await settle();
  clock.advance(15_000);
  await settle();
  await assert.rejects(bridge.ready, { code: "PlannerLoadFailed",
    message: "the planner did not load: it did not say Ready within 15000 ms" });
});

test("destroyed while loading: Destroyed, never PlannerLoadFailed", async () => {
  const { bridge, clock, errors } = loading("x");
  bridge.destroy();
  bridge.frameLoaded();
  clock.advance(15_000);
  await settle();
  await assert.rejects(bridge.ready, { code: "Destroyed" });
  assert.deepEqual(errors, []);
});

test("a plannerUrl without an entity asks about the empty entity, and says it knows none", async () => {
  const asked = [];
  const found = await likelyCause({ plannerUrl: new URL("https://planner.example/planner/"),
    pageOrigin: PAGE, fetch: checkAnswering({ entity: false, originRegistered: false }, asked) });
  assert.equal(new URL(asked[0].url).searchParams.get("entity"), "");
  assert.deepEqual(found, { sure: true, cause: 'the planner origin https://planner.example knows ' +
    'no legal entity "" (check the entity in plannerUrl)' });
});

test("without a diagnose, a planner that never says Ready fails at the deadline all the same",
  async () => {
    const { bridge, clock } = setUpBridge([]); // no diagnose option: nothing known to be wrong
    bridge.startLoading(15_000);
    bridge.frameLoaded();
    clock.advance(15_000);
    await settle();
    await assert.rejects(bridge.ready, { code: "PlannerLoadFailed",
      message: "the planner did not load: it did not say Ready within 15000 ms" });
  });

test("only Ready ends the watch: a planner that asks for a token but never says Ready still fails",
  async () => {
    const { bridge, clock, from, frame } = loading(null);
    const waiting = bridge.command("getDesign");
    waiting.catch(() => {}); // asserted below
    from("AuthenticationRequired");
    await settle();
    assert.deepEqual(frame.posted.filter((p) => p.event === "Command"), [], "commands wait for Ready");
    clock.advance(15_000);
    await settle();
    await assert.rejects(bridge.ready, { code: "PlannerLoadFailed" });
    await assert.rejects(waiting, { code: "NotReady" });
  });

test("a second startLoading() does not move the deadline the first one set", async () => {
  let diagnosed = 0;
  const { bridge, clock, errors } = loading(null,
    { diagnose: async () => { diagnosed += 1; return null; } });
  bridge.startLoading(5_000); // already watching (15 s): not a new deadline
  clock.advance(14_999);
  await settle();
  assert.equal(diagnosed, 0);
  assert.deepEqual(errors, []);
  clock.advance(1);
  await settle();
  assert.equal(diagnosed, 1, "one embed check");
  assert.deepEqual(errors.map((e) => e.message),
    ["the planner did not load: it did not say Ready within 15000 ms"]);
});

test("a Ready soon after the frame's load spends no embed-check request", async () => {
  let diagnosed = 0;
  const { bridge, clock, from, errors } = loading(null,
    { diagnose: async () => { diagnosed += 1; return { cause: "x", sure: true }; } });
  bridge.frameLoaded();
  clock.advance(READY_AFTER_LOAD_MS - 1);
  from("Ready", { version: 1 });
  clock.advance(15_000);
  await settle();
  assert.equal(diagnosed, 0);
  assert.deepEqual(errors, []);
});
