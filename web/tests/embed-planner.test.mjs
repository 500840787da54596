// embedPlanner, the SDK's entry point, on a minimal fake DOM: the options it refuses and the
// iframe it makes. (Playwright drives it in a real browser; these pin its checks one by one,
// which mutation testing found no node test did.)
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { embedPlanner } from "../sdk/planner-bridge.js";
import { sessionChannelName } from "../sdk/session-channel.js";
import { settle, until } from "./fakes.mjs";

/** Just what embedPlanner touches: document.createElement/baseURI, window's listeners. */
function fakeDom() {
  const listeners = new Set();
  const appended = [];
  globalThis.document = {
    baseURI: "https://shop.example/basket/",
    createElement: (tag) => ({ tag, contentWindow: null, removed: false,
      remove() { this.removed = true; } }),
  };
  globalThis.window = {
    addEventListener: (name, fn) => { if (name === "message") listeners.add(fn); },
    removeEventListener: (name, fn) => { if (name === "message") listeners.delete(fn); },
  };
  const container = { appendChild: (node) => { appended.push({ node, listening: listeners.size }); } };
  return { listeners, appended, container };
}

let dom;
beforeEach(() => { dom = fakeDom(); });
afterEach(() => { delete globalThis.document; delete globalThis.window; });

const fetchToken = async () => ({ kind: "legal_entity", token: "t", expiresIn: 60 });
const PLANNER = "https://planner.example/planner/?entity=ent_1";

test("the iframe: the planner's URL, a title, origin-only referrer, listening before it loads", () => {
  const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, fetchToken });
  assert.equal(dom.appended.length, 1);
  const [{ node, listening }] = dom.appended;
  assert.equal(node, planner.iframe);
  assert.equal(node.tag, "iframe");
  assert.equal(node.src, PLANNER);
  assert.equal(node.title, "Planner");
  assert.equal(node.referrerPolicy, "origin");
  assert.equal(listening, 1, "the message listener is in place before the iframe is appended");
  assert.equal(typeof planner.login, "function");
  assert.equal(typeof planner.logout, "function");
  assert.ok(planner.ready instanceof Promise);
  planner.ready.catch(() => {});
  planner.destroy();
});

test("a title and an answer deadline are passed on; the deadline rides in the URL", () => {
  const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, fetchToken,
    title: "Kitchen planner", answerDeadlineMs: 2500 });
  const url = new URL(planner.iframe.src);
  assert.equal(url.searchParams.get("answerDeadlineMs"), "2500");
  assert.equal(url.searchParams.get("entity"), "ent_1");
  assert.equal(planner.iframe.title, "Kitchen planner");
  planner.ready.catch(() => {});
  planner.destroy();
});

test("a relative plannerUrl resolves against the page", () => {
  const planner = embedPlanner({ container: dom.container, plannerUrl: "/planner/", fetchToken });
  assert.equal(planner.iframe.src, "https://shop.example/planner/");
  planner.ready.catch(() => {});
  planner.destroy();
});

test("destroy removes the listener and the iframe, and rejects ready", async () => {
  const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, fetchToken });
  planner.destroy();
  assert.equal(dom.listeners.size, 0);
  assert.equal(planner.iframe.removed, true);
  await assert.rejects(planner.ready, { code: "Destroyed" });
});

test("on() passes handlers to the bridge: a non-function is refused", () => {
  const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, fetchToken });
  assert.throws(() => planner.on("Ready", "not a function"), { code: "InvalidOption" });
  assert.equal(typeof planner.on("Ready", () => {}), "function");
  planner.ready.catch(() => {});
  planner.destroy();
});

const AS_URL = "plannerUrl must be an http(s) URL";
const DEADLINE = "answerDeadlineMs must be a whole number of milliseconds from 100 to 600000";
const refused = [ // what, the options, the message that says what to fix
  ["no options", undefined, "container must be an element"],
  ["a container that is not an element", { container: {}, plannerUrl: PLANNER, fetchToken },
    "container must be an element"],
  ["no fetchToken", { plannerUrl: PLANNER }, "fetchToken must be a function"],
  ["a fetchToken that is not a function", { plannerUrl: PLANNER, fetchToken: "x" },
    "fetchToken must be a function"],
  ["a javascript: URL", { plannerUrl: "javascript:alert(1)", fetchToken }, AS_URL],
  ["a data: URL", { plannerUrl: "data:text/html,hi", fetchToken }, AS_URL],
  ["a URL that is not a string", { plannerUrl: new URL(PLANNER), fetchToken }, AS_URL],
  ["a URL that does not parse", { plannerUrl: "http://[oops", fetchToken }, "plannerUrl must be a URL"],
  ["a deadline below 100 ms", { plannerUrl: PLANNER, fetchToken, answerDeadlineMs: 99 }, DEADLINE],
  ["a deadline above 600 000 ms", { plannerUrl: PLANNER, fetchToken, answerDeadlineMs: 600_001 },
    DEADLINE],
  ["a deadline that is not whole", { plannerUrl: PLANNER, fetchToken, answerDeadlineMs: 1000.5 },
    DEADLINE],
  ["a crossTab that is not a boolean", { plannerUrl: PLANNER, fetchToken, crossTab: "no" },
    "crossTab must be a boolean"],
];

for (const [what, options, message] of refused) {
  test(`embedPlanner refuses ${what} with InvalidOption and makes no iframe`, () => {
    const withContainer = options && !("container" in options)
      ? { container: dom.container, ...options } : options;
    assert.throws(() => embedPlanner(withContainer), { code: "InvalidOption", message });
    assert.equal(dom.appended.length, 0);
    assert.equal(dom.listeners.size, 0);
  });
}

test("the deadline's bounds themselves are accepted", () => {
  for (const answerDeadlineMs of [100, 600_000]) {
    const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, fetchToken,
      answerDeadlineMs });
    planner.ready.catch(() => {});
    planner.destroy();
  }
  assert.equal(dom.appended.length, 2);
});

test("a plain http planner URL is accepted (a planner on the local network)", () => {
  const planner = embedPlanner({ container: dom.container, plannerUrl: "http://planner.lan/planner/",
    fetchToken });
  assert.equal(planner.iframe.src, "http://planner.lan/planner/");
  planner.ready.catch(() => {});
  planner.destroy();
});

test("the iframe's messages reach the bridge; login() and logout() are the bridge's", async () => {
  const answers = [{ kind: "legal_entity", token: "t1", expiresIn: 60 },
    { kind: "user", token: "t2", expiresIn: 60, user: { id: "alice", name: "Alice" } },
    { kind: "legal_entity", token: "t3", expiresIn: 60 }];
  const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, crossTab: false,
    fetchToken: async () => answers.shift() });
  const posted = [];
  planner.iframe.contentWindow = { postMessage: (data, origin) => posted.push([data.event, origin]) };
  const [listener] = dom.listeners;
  listener({ origin: "https://planner.example", source: planner.iframe.contentWindow,
    data: { event: "Ready", content: { version: 1 } } });
  await settle();
  assert.deepEqual(await planner.login(), { id: "alice", name: "Alice" });
  await planner.logout();
  assert.deepEqual(posted, [["Authentication", "https://planner.example"],
    ["Login", "https://planner.example"], ["Logout", "https://planner.example"]]);
  planner.ready.catch(() => {});
  planner.destroy();
});

test("cross-tab sessions: on by default on the planner origin's channel; crossTab: false is off",
  async () => {
    const fetched = [];
    const open = (crossTab) => embedPlanner({ container: dom.container, plannerUrl: PLANNER,
      crossTab, fetchToken: async () => {
        fetched.push(crossTab);
        return { kind: "legal_entity", token: "t", expiresIn: 60 };
      } });
    const on = open(undefined);
    const off = open(false);
    await settle();
    fetched.length = 0; // the prefetches
    const otherTab = new BroadcastChannel(sessionChannelName("https://planner.example"));
    otherTab.postMessage("Login");
    await until(() => fetched.length > 0);
    await settle();
    assert.deepEqual(fetched, [undefined], "only the bridge with cross-tab sessions resynced");
    otherTab.close();
    for (const planner of [on, off]) {
      planner.ready.catch(() => {});
      planner.destroy();
    }
  });

test("without BroadcastChannel (an older browser) the planner still embeds, without cross-tab",
  () => {
    const original = globalThis.BroadcastChannel;
    globalThis.BroadcastChannel = undefined;
    try {
      const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, fetchToken });
      assert.equal(dom.appended.length, 1);
      planner.ready.catch(() => {});
      planner.destroy();
    } finally {
      globalThis.BroadcastChannel = original;
    }
  });

test("a frame that loads without Ready is diagnosed by the embed check on the planner origin",
  async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const loads = [];
    globalThis.document.createElement = (tag) => ({ tag, contentWindow: null, remove() {},
      addEventListener: (name, fn) => { if (name === "load") loads.push(fn); } });
    globalThis.location = { origin: "https://shop.example" };
    const asked = [];
    t.mock.method(globalThis, "fetch", async (url, init) => {
      asked.push([url, init]);
      return { ok: true, json: async () => ({ entity: true, originRegistered: false }) };
    });
    t.after(() => { delete globalThis.location; });
    const planner = embedPlanner({ container: dom.container, plannerUrl: PLANNER, fetchToken,
      crossTab: false });
    planner.ready.catch(() => {}); // asserted below
    for (const fn of loads) fn(); // the browser's error page for a refused frame loads at once
    t.mock.timers.tick(500); // READY_AFTER_LOAD_MS
    await settle();
    assert.deepEqual(asked, [["https://planner.example/planner/embed-check?entity=ent_1&origin=" +
      "https%3A%2F%2Fshop.example", { credentials: "omit", cache: "no-store" }]]);
    await assert.rejects(planner.ready, { code: "PlannerLoadFailed", message: "the planner did not " +
      "load: this page's origin https://shop.example is not registered for the legal entity " +
      "\"ent_1\" (register it with the planner's administration)" });
    planner.destroy();
  });
