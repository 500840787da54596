// The host SDK's bridge at the edges mutation testing (make mutate, Stryker) found no test pinned:
// when `ready` resolves, what a reloaded planner or a late AuthenticationRequired is sent, which
// fetches join which, what a destroyed bridge still does, and how failures are reported.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HostBridge } from "../sdk/planner-bridge.js";
import { settle } from "./fakes.mjs";
import { aliceToken, PLANNER, setUpBridge as setUp, shopToken } from "./host-bridge-fakes.mjs";

const ALICE = { id: "alice", name: "Alice" };

/** Run `fn` with console.warn recorded instead of printed. */
async function warnings(fn) {
  const original = console.warn;
  const warned = [];
  console.warn = (...args) => warned.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.warn = original;
  }
  return warned;
}

test("ready waits for AuthenticationSucceeded or LoginSucceeded, no other message", async () => {
  const { bridge, from } = setUp([shopToken()]);
  let ready = false;
  bridge.ready.then(() => { ready = true; });
  from("Ready", { version: 1 });
  from("AuthenticationRequired");
  from("LoginRequired");
  from("AuthenticationFailed", { reason: "invalid_token" });
  await settle();
  assert.equal(ready, false);
  from("LoginSucceeded", { user: ALICE });
  await settle();
  assert.equal(ready, true);
});

test("a reloaded planner gets Authentication, not Logout, when the user left meanwhile",
  async () => {
    const { frame, fetches, from } = setUp([aliceToken(1), shopToken(2)]);
    from("Ready", { version: 1 });
    fetches[0]();
    await settle();
    from("Ready", { version: 1 }); // the new page holds no user to log out
    fetches[1]();
    await settle();
    assert.deepEqual(frame.posted.map((p) => p.event), ["Login", "Authentication"]);
  });

test("AuthenticationRequired gets the full handshake, also when it joins an expiry's fetch",
  async () => {
    const { frame, fetches, from } = setUp([shopToken(1), shopToken(2), shopToken(3)]);
    from("Ready", { version: 1 });
    fetches[0]();
    await settle();
    from("LoginRequired");
    from("AuthenticationRequired"); // not right after Ready: a new request
    fetches[1]();
    await settle();
    from("TokenExpired", { reason: "expiring" });
    from("AuthenticationRequired"); // joins the expiry's fetch, which now owes a handshake
    fetches[2]();
    await settle();
    assert.equal(fetches.length, 3);
    assert.deepEqual(frame.posted.map((p) => p.event),
      ["Authentication", "Authentication", "Authentication"]);
  });

test("the AuthenticationRequired after Ready fetches again when Ready's fetch already failed",
  async () => {
    const { frame, fetches, from } = setUp([new Error("down"), shopToken(2)]);
    from("Ready", { version: 1 });
    fetches[0]();
    await settle();
    from("AuthenticationRequired");
    assert.equal(fetches.length, 2, "nothing was delivered: it is not answered already");
    fetches[1]();
    await settle();
    assert.deepEqual(frame.posted.map((p) => p.content.token), ["shop-2"]);
  });

test("prefetch() starts one fetch at most, and none once destroyed", () => {
  const { fetches, bridge } = setUp([shopToken(1), shopToken(2)]);
  bridge.prefetch();
  bridge.prefetch();
  assert.equal(fetches.length, 1);
  const gone = setUp([shopToken()]);
  gone.bridge.destroy();
  gone.bridge.prefetch();
  gone.bridge.resync();
  assert.equal(gone.fetches.length, 0);
});

test("logout() ends a Ready pairing and always posts a full handshake message", async () => {
  const { frame, fetches, bridge, from } = setUp([shopToken(1), shopToken(2), shopToken(3)]);
  from("Ready", { version: 1 });
  fetches[0]();
  await settle();
  const logout = bridge.logout(); // nobody was logged in: still Authentication, not a refresh
  fetches[1]();
  await logout;
  from("AuthenticationRequired"); // Ready was not the last thing: a new request
  assert.equal(fetches.length, 3);
  fetches[2]();
  await settle();
  assert.deepEqual(frame.posted.map((p) => p.event),
    ["Authentication", "Authentication", "Authentication"]);
});

test("a cross-tab resync joined by the planner's TokenExpired answers it with TokenRefreshed",
  async () => {
    const { frame, fetches, bridge, from } = setUp([aliceToken(1), aliceToken(2)]);
    from("Ready", { version: 1 });
    fetches[0]();
    await settle();
    bridge.resync(); // same user: on its own it would post nothing
    from("TokenExpired", { reason: "expiring" });
    assert.equal(fetches.length, 2);
    fetches[1]();
    await settle();
    assert.deepEqual(frame.posted.map((p) => [p.event, p.content.token]),
      [["Login", "alice-1"], ["TokenRefreshed", "alice-2"]]);
  });

test("several handlers of one event all run; one that throws neither stops the others nor hides",
  async () => {
    const { bridge, from } = setUp([]);
    const seen = [];
    const broken = new Error("handler bug");
    bridge.on("LoginRequired", () => { seen.push("a"); throw broken; });
    bridge.on("LoginRequired", () => seen.push("b"));
    const queued = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (fn) => queued.push(fn);
    try {
      from("LoginRequired");
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.deepEqual(seen, ["a", "b"]);
    assert.equal(queued.length, 1);
    assert.throws(queued[0], (error) => error === broken, "rethrown where the page sees it");
  });

test("errors say what went wrong, in words an integrator can act on", async () => {
  const { fetches, bridge, clock } = setUp([shopToken(), aliceToken(), { kind: "user" },
    new TypeError("body")]);
  const errors = [];
  bridge.on("error", (error) => errors.push(error.message));
  const login = bridge.login();
  fetches[0]();
  await assert.rejects(login, { code: "NotLoggedIn", message: "fetchToken gave no user token" });
  const logout = bridge.logout();
  fetches[1]();
  await assert.rejects(logout, { code: "StillLoggedIn",
    message: "fetchToken still gives a user token" });
  const bad = bridge.login();
  fetches[2]();
  await assert.rejects(bad, { code: "InvalidTokenResponse",
    message: "fetchToken must resolve to {kind, token, expiresIn, user?}" });
  const failing = bridge.login();
  fetches[3]();
  await assert.rejects(failing, { code: "FetchTokenFailed", message: "fetchToken failed (TypeError)" });
  const slow = bridge.login();
  clock.advance(30_000);
  await assert.rejects(slow, { code: "FetchTokenTimeout",
    message: "fetchToken did not answer within 30000 ms" });
  assert.throws(() => bridge.on("error", null), { code: "InvalidOption",
    message: "handler must be a function" });
  bridge.destroy();
  await assert.rejects(bridge.ready, { code: "Destroyed", message: "the planner was removed" });
});

test("a superseded fetch that fails leaves the newer one running: later requests join it",
  async () => {
    const { frame, fetches, from } = setUp([new Error("down"), shopToken(2)]);
    from("Ready", { version: 1 });
    from("TokenExpired", { reason: "invalid_token" }); // supersedes Ready's fetch
    fetches[0](); // Ready's fetch fails while the newer one runs
    await settle();
    from("TokenExpired", { reason: "expired" });
    assert.equal(fetches.length, 2, "joined the running invalid_token fetch");
    fetches[1]();
    await settle();
    assert.deepEqual(frame.posted.map((p) => p.content.token), ["shop-2"]);
  });

test("after destroy(), login()'s token is not posted and a failing fetch is not reported",
  async () => {
    const { frame, fetches, bridge, from } = setUp([new Error("down"), aliceToken(2)]);
    from("Ready", { version: 1 });
    bridge.destroy();
    const warned = await warnings(async () => {
      fetches[0](); // the fetch Ready started fails after the page removed the planner
      await settle();
    });
    assert.deepEqual(warned, []);
    const login = bridge.login();
    fetches[1]();
    await login;
    await settle();
    assert.deepEqual(frame.posted, []);
  });

test("a failure to post is reported as FetchTokenFailed; with no error handler, a warning",
  async () => {
    const frame = { postMessage() { throw new Error("detached"); } };
    const answers = [shopToken(1), shopToken(2)];
    const bridge = new HostBridge({ plannerOrigin: PLANNER, frameWindow: () => frame,
      fetchToken: async () => answers.shift() });
    const from = () => bridge.receive({ origin: PLANNER, source: frame,
      data: { event: "TokenExpired", content: { reason: "expired" } } });
    const warned = await warnings(async () => {
      from();
      await settle();
    });
    assert.deepEqual(warned, ["planner-bridge: FetchTokenFailed: fetchToken failed"]);
    const errors = [];
    bridge.on("error", (error) => errors.push([error.code, error.message]));
    const quiet = await warnings(async () => {
      from();
      await settle();
    });
    assert.deepEqual(quiet, []);
    assert.deepEqual(errors, [["FetchTokenFailed", "fetchToken failed"]]);
  });

test("with no timers injected, the answer deadline runs on the page's own timers", async () => {
  const { fetches, bridge } = setUp([shopToken()], { answerDeadlineMs: 100,
    setTimer: undefined, clearTimer: undefined });
  const login = bridge.login();
  assert.equal(fetches.length, 1); // never released
  await assert.rejects(login, { code: "FetchTokenTimeout" });
});

test("after destroy(), startLoading() and report() do nothing: no failure, no warning", async () => {
  const { bridge, clock } = setUp([]);
  bridge.destroy();
  const warned = await warnings(async () => {
    bridge.startLoading(1_000);
    bridge.frameLoaded();
    clock.advance(1_000);
    await settle();
    bridge.report(new Error("a theme the planner refused, after the page removed it"));
    await settle();
  });
  assert.deepEqual(warned, []);
  await assert.rejects(bridge.ready, { code: "Destroyed" });
});
