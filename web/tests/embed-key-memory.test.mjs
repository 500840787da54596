// embedPlanner's memory of the planner's DPoP key (SPEC "Sender-constrained tokens"; docs/reference
// "Tokens bound to the planner"): the jkt the planner named is kept in the page's localStorage, one
// entry per planner origin, so the next embedding's first fetch asks for a token bound to it.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { embedPlanner } from "../sdk/planner-bridge.js";
import { settle } from "./fakes.mjs";

const KEY_A = "A".repeat(43);
const PLANNER = "https://planner.example/planner/?entity=ent_1";

let listeners;
let stored;
beforeEach(() => {
  listeners = new Set();
  stored = new Map();
  globalThis.document = { baseURI: "https://shop.example/",
    createElement: () => ({ contentWindow: { postMessage() {} }, remove() {} }) };
  globalThis.window = {
    addEventListener: (name, fn) => { if (name === "message") listeners.add(fn); },
    removeEventListener: (name, fn) => { listeners.delete(fn); },
  };
  globalThis.localStorage = { getItem: (k) => stored.get(k) ?? null,
    setItem: (k, v) => { stored.set(k, String(v)); } };
});
afterEach(() => {
  delete globalThis.document;
  delete globalThis.window;
  delete globalThis.localStorage;
});

/** An embedding whose fetchToken records what it was asked. */
function embed(plannerUrl = PLANNER) {
  const requests = [];
  const planner = embedPlanner({ container: { appendChild() {} }, plannerUrl, crossTab: false,
    fetchToken: async (request) => {
      requests.push(request);
      return { kind: "legal_entity", token: "t", expiresIn: 60 };
    } });
  planner.ready.catch(() => {});
  const say = (event, content) => {
    for (const listener of [...listeners]) {
      listener({ origin: new URL(plannerUrl).origin, source: planner.iframe.contentWindow,
        data: { event, content } });
    }
  };
  return { planner, requests, say };
}

test("a first visit: no prefetch; Ready's key is fetched for and kept for the next embedding",
  async () => {
    const first = embed();
    await settle();
    assert.deepEqual(first.requests, [], "a token bound to no key would be refused or superseded");
    first.say("Ready", { version: 1, jkt: KEY_A });
    await settle();
    assert.deepEqual(first.requests, [{ jkt: KEY_A }]);
    first.planner.destroy();
    const next = embed();
    await settle();
    assert.deepEqual(next.requests, [{ jkt: KEY_A }], "prefetched before the planner spoke");
    assert.deepEqual([...stored.values()], [KEY_A], "a thumbprint, never a token");
    next.planner.destroy();
  });

test("one entry per planner origin: another planner's key is not this one's", async () => {
  const first = embed();
  first.say("Ready", { version: 1, jkt: KEY_A });
  await settle();
  first.planner.destroy();
  const other = embed("https://other-planner.example/planner/?entity=ent_1");
  await settle();
  assert.deepEqual(other.requests, [], "a planner never heard from on this site");
  other.planner.destroy();
});

test("a planner without a key is remembered as such: the next prefetch asks for an unbound token",
  async () => {
    const first = embed();
    first.say("Ready", { version: 1 });
    await settle();
    first.planner.destroy();
    const next = embed();
    await settle();
    assert.deepEqual(next.requests, [{}]);
    next.planner.destroy();
  });

test("storage refused: no prefetch, and Ready still gets its token", async () => {
  const refuse = () => { throw new Error("SecurityError"); };
  globalThis.localStorage = { getItem: refuse, setItem: refuse };
  const first = embed();
  await settle();
  assert.deepEqual(first.requests, []);
  first.say("Ready", { version: 1, jkt: KEY_A });
  await settle();
  assert.deepEqual(first.requests, [{ jkt: KEY_A }]);
  first.planner.destroy();
});
