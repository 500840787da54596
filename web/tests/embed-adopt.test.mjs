// embedPlanner adopting the page's own iframe (in the HTML, so the planner loads before the SDK
// does) and replaying what the page's early listener noted, each message checked as if new.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { embedPlanner } from "../sdk/planner-bridge.js";
import { settle } from "./fakes.mjs";

const PLANNER = "https://planner.example/planner/?entity=ent_1";
const ORIGIN = "https://planner.example";

let listeners;
beforeEach(() => {
  listeners = new Set();
  globalThis.document = { baseURI: "https://shop.example/", createElement: () => assert.fail("adopting makes no iframe") };
  globalThis.window = {
    addEventListener: (name, fn) => { if (name === "message") listeners.add(fn); },
    removeEventListener: (name, fn) => { listeners.delete(fn); },
  };
});
afterEach(() => { delete globalThis.document; delete globalThis.window; });

function pageFrame(src = PLANNER) {
  const posted = [];
  return { src, style: {}, removed: false, remove() { this.removed = true; },
    contentWindow: { postMessage: (data, origin) => posted.push([data.event, origin]) }, posted };
}

function earlyListener() {
  return { messages: [], stopped: 0, stop() { this.stopped += 1; } };
}

test("the page's iframe is adopted as it is: nothing appended, src untouched", async () => {
  const iframe = pageFrame();
  const planner = embedPlanner({ iframe, plannerUrl: PLANNER, crossTab: false,
    fetchToken: async () => ({ kind: "legal_entity", token: "t", expiresIn: 60 }) });
  assert.equal(planner.iframe, iframe);
  assert.equal(iframe.src, PLANNER);
  planner.ready.catch(() => {});
  planner.destroy();
  assert.equal(iframe.removed, true, "destroy removes the adopted iframe too");
});

test("an iframe that does not show the plannerUrl is refused", () => {
  for (const src of ["https://evil.example/planner/?entity=ent_1", `${PLANNER}&x=1`]) {
    assert.throws(() => embedPlanner({ iframe: pageFrame(src), plannerUrl: PLANNER,
      fetchToken: async () => ({}) }), { code: "InvalidOption",
      message: "iframe.src must be the plannerUrl (with answerDeadlineMs when given)" });
  }
  assert.throws(() => embedPlanner({ iframe: null, plannerUrl: PLANNER, fetchToken: async () => ({}) }),
    { code: "InvalidOption", message: "iframe must be an iframe element" });
  assert.throws(() => embedPlanner({ iframe: pageFrame(), early: [], plannerUrl: PLANNER,
    fetchToken: async () => ({}) }),
  { code: "InvalidOption", message: "early must be {messages, stop} (the page's early listener)" });
});

test("a selector instead of the iframe, or a malformed early listener, is refused by name", () => {
  const options = { plannerUrl: PLANNER, fetchToken: async () => ({}) };
  assert.throws(() => embedPlanner({ iframe: "#planner", ...options }),
    { code: "InvalidOption", message: "iframe must be an iframe element" });
  for (const early of [null, { messages: [], stop: "no" }, { messages: "no", stop() {} }]) {
    assert.throws(() => embedPlanner({ iframe: pageFrame(), early, ...options }),
      { code: "InvalidOption", message: "early must be {messages, stop} (the page's early listener)" },
      JSON.stringify(early));
  }
  assert.equal(listeners.size, 0, "nothing listens after a refusal");
});

test("a Ready noted before the SDK loaded is answered; forged notes are ignored", async () => {
  const iframe = pageFrame();
  const early = earlyListener();
  early.messages.push(
    { origin: "https://evil.example", source: iframe.contentWindow, data: { event: "Ready", content: { version: 1 } } },
    { origin: ORIGIN, source: {}, data: { event: "Ready", content: { version: 1 } } },
    { origin: ORIGIN, source: iframe.contentWindow, data: { event: "Ready", content: { version: 1 } } },
  );
  const planner = embedPlanner({ iframe, early, plannerUrl: PLANNER, crossTab: false,
    fetchToken: async () => ({ kind: "legal_entity", token: "t", expiresIn: 60 }) });
  const heard = [];
  planner.on("Ready", () => heard.push("Ready")); // registered after embedPlanner: still hears it
  assert.equal(early.stopped, 1, "the early listener is stopped as the SDK starts listening");
  assert.equal(listeners.size, 1);
  assert.deepEqual(early.messages, [], "the notes are taken, not kept");
  await settle();
  assert.deepEqual(heard, ["Ready"], "only the note from the planner's window and origin");
  assert.deepEqual(iframe.posted, [["Authentication", ORIGIN]]);
  planner.ready.catch(() => {});
  planner.destroy();
});

test("without notes, adoption works like an iframe of the SDK's own", async () => {
  const iframe = pageFrame();
  const planner = embedPlanner({ iframe, plannerUrl: PLANNER, crossTab: false,
    fetchToken: async () => ({ kind: "legal_entity", token: "t", expiresIn: 60 }) });
  for (const listener of listeners) {
    listener({ origin: ORIGIN, source: iframe.contentWindow, data: { event: "Ready", content: { version: 1 } } });
  }
  await settle();
  assert.deepEqual(iframe.posted, [["Authentication", ORIGIN]]);
  planner.ready.catch(() => {});
  planner.destroy();
});
