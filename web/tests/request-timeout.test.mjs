// A request that never gets an answer (a stalled connection or proxy) fails with NetworkTimeout
// after the keeper's request timeout, and the calls behind it go on: on the fake clock.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AssetsApi, httpSender } from "../planner/api.js";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../planner/request-timeout.js";
import { TokenKeeper } from "../planner/token-keeper.js";
import { FakeClock, FakeServer, settle } from "./fakes.mjs";

const SHOP = { kind: "legal_entity" };
const ALICE = { kind: "user", user: { id: "alice", name: "Alice" } };
const BOB = { kind: "user", user: { id: "bob", name: "Bob" } };
const TIMEOUT = 5000;

/**
 * A server that never answers the requests `stalls` picks, and ignores their abort signal: the
 * keeper must not depend on the sender giving up. Other requests get the FakeServer's answer.
 */
function stallingServer(stalls) {
  const server = new FakeServer();
  const signals = [];
  const send = server.send;
  server.send = (request, token, signal) => {
    signals.push(signal);
    if (!stalls(request)) return send(request, token);
    server.received.push({ method: request.method, path: request.path, token, body: request.body });
    return new Promise(() => {});
  };
  return { server, signals };
}

function setUp(stalls, options = {}) {
  const clock = new FakeClock();
  const { server, signals } = stallingServer(stalls);
  const keeper = new TokenKeeper({ send: (r, t, s) => server.send(r, t, s), now: clock.now,
    wallNow: clock.wallNow, setTimer: clock.setTimer, clearTimer: clock.clearTimer,
    requestTimeoutMs: TIMEOUT, ...options });
  return { clock, server, signals, keeper };
}

/** Calls' outcomes in the order they settle. */
function track(promises) {
  const order = [];
  promises.forEach((p, i) => p.then(() => order.push(i), (e) => order.push(`${i}:${e.code}`)));
  return order;
}

test("a request that never answers fails with NetworkTimeout; a later GET and a held PATCH of "
  + "the same asset then go out and settle in call order", async () => {
  const { clock, server, signals, keeper } = setUp((r) => r.body?.name === "A");
  keeper.accept({ token: "t1", expiresIn: 600, identity: SHOP });
  const calls = [keeper.call({ method: "PATCH", path: "/v1/assets/7", body: { name: "A" } }),
    keeper.call({ method: "GET", path: "/v1/assets?limit=200" }),
    keeper.call({ method: "PATCH", path: "/v1/assets/7", body: { name: "B" } })];
  const order = track(calls);
  await settle();
  assert.deepEqual(server.received.map((r) => r.method), ["PATCH", "GET"]);
  assert.equal(keeper.state.held, 1, "the second PATCH of 7 waits for the first");
  clock.advance(TIMEOUT - 1);
  await settle();
  assert.deepEqual(order, [], "the GET's answer waits for the stalled call before it");
  assert.equal(signals[0].aborted, false);
  clock.advance(1);
  await settle();
  assert.equal(signals[0].aborted, true, "the stalled request is aborted, not left open");
  assert.deepEqual(server.received.map((r) => `${r.method} ${r.body?.name ?? ""}`.trim()),
    ["PATCH A", "GET", "PATCH B"]);
  assert.deepEqual(order, ["0:NetworkTimeout", 1, 2]);
  assert.deepEqual([keeper.state.held, keeper.state.waiting], [0, 0]);
  await assert.rejects(calls[0], (error) => error.code === "NetworkTimeout"
    && /PATCH \/v1\/assets\/7 had no answer within 5000 ms/.test(error.message));
});

test("IdentityChanged reaches a call queued behind a stalled request once it times out",
  async () => {
    const { clock, server, keeper } = setUp((r) => r.method === "GET");
    keeper.accept({ token: "alice-1", expiresIn: 1, identity: ALICE });
    const calls = [keeper.call({ method: "GET", path: "/v1/assets" })];
    clock.sleep(1001); // the token expired while the GET stalls: the next call waits for one
    calls.push(keeper.call({ method: "PATCH", path: "/v1/assets/9", body: { name: "X" } }));
    const order = track(calls);
    keeper.accept({ token: "bob-1", expiresIn: 60, identity: BOB });
    await settle();
    assert.deepEqual(order, [], "the queued call's failure waits for the call before it");
    clock.advance(TIMEOUT - 1001);
    await settle();
    assert.deepEqual(order, ["0:NetworkTimeout", "1:IdentityChanged"]);
    assert.equal(server.received.length, 1, "Alice's PATCH was never sent with Bob's token");
  });

test("TokenRefreshTimeout reaches calls waiting behind a stalled request", async () => {
  const { clock, keeper } = setUp((r) => r.path === "/v1/assets",
    { answerDeadlineMs: 1000 });
  keeper.accept({ token: "t1", expiresIn: 1, identity: SHOP });
  const calls = [keeper.call({ method: "GET", path: "/v1/assets" })];
  clock.sleep(1001);
  calls.push(keeper.call({ method: "GET", path: "/v1/assets/1" }));
  const order = track(calls);
  clock.advance(1000); // no token comes: the waiting call has its outcome, but must wait its turn
  await settle();
  assert.deepEqual(order, []);
  clock.advance(TIMEOUT - 2001);
  await settle();
  assert.deepEqual(order, ["0:NetworkTimeout", "1:TokenRefreshTimeout"]);
});

test("an answer in time clears its timer, and a late answer after a timeout changes nothing",
  async () => {
    const clock = new FakeClock();
    const answers = [];
    const keeper = new TokenKeeper({ now: clock.now, wallNow: clock.wallNow,
      setTimer: clock.setTimer, clearTimer: clock.clearTimer, requestTimeoutMs: TIMEOUT,
      send: () => new Promise((resolve) => answers.push(resolve)) });
    keeper.accept({ token: "t1", expiresIn: 600, identity: SHOP });
    const tokenTimers = clock.timers.size;
    const first = keeper.call({ method: "GET", path: "/v1/assets" });
    assert.equal(clock.timers.size, tokenTimers + 1, "one deadline per request");
    answers[0]({ status: 200 });
    assert.deepEqual(await first, { status: 200 });
    assert.equal(clock.timers.size, tokenTimers, "no deadline is left behind");
    const second = keeper.call({ method: "GET", path: "/v1/assets" });
    clock.advance(TIMEOUT);
    await assert.rejects(second, { code: "NetworkTimeout" });
    answers[1]({ status: 200 });
    await settle();
    await assert.rejects(second, { code: "NetworkTimeout" });
  });

test("the default deadline is 30 s", async () => {
  assert.equal(DEFAULT_REQUEST_TIMEOUT_MS, 30_000);
  const clock = new FakeClock();
  const keeper = new TokenKeeper({ now: clock.now, wallNow: clock.wallNow,
    setTimer: clock.setTimer, clearTimer: clock.clearTimer, send: () => new Promise(() => {}) });
  keeper.accept({ token: "t1", expiresIn: 600, identity: SHOP });
  const order = track([keeper.call({ method: "GET", path: "/v1/assets" })]);
  clock.advance(29_999);
  await settle();
  assert.deepEqual(order, []);
  clock.advance(1);
  await settle();
  assert.deepEqual(order, ["0:NetworkTimeout"]);
});

/** A fetch like the browser's: it never answers (or answers but never sends the body) and
 * rejects with an AbortError when its signal is aborted. */
function stalledFetch({ bodyOnly }) {
  const seen = [];
  const aborted = (signal) => new Promise((resolve, reject) => signal.addEventListener("abort",
    () => reject(new DOMException("The operation was aborted.", "AbortError"))));
  const fetch = (url, init) => {
    seen.push({ url, ...init });
    if (seen.length > 1) return Promise.resolve({ status: 200, json: async () => ({ id: "a1" }) });
    if (!bodyOnly) return aborted(init.signal);
    return Promise.resolve({ status: 200, json: () => aborted(init.signal) });
  };
  return { fetch, seen };
}

for (const bodyOnly of [false, true]) {
  test(`api: ${bodyOnly ? "a body that never arrives" : "a fetch that never answers"} is aborted `
    + "after the timeout with NetworkTimeout, and the next call works", async () => {
    const clock = new FakeClock();
    const { fetch, seen } = stalledFetch({ bodyOnly });
    const keeper = new TokenKeeper({ send: httpSender({ fetch, base: "http://planner" }),
      now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer,
      requestTimeoutMs: TIMEOUT });
    keeper.accept({ token: "t1", expiresIn: 600, identity: SHOP });
    const api = new AssetsApi(keeper);
    const stalled = api.update("a1", { name: "A" });
    const next = api.update("a1", { name: "B" });
    await settle();
    assert.equal(seen.length, 1, "the second PATCH of a1 is held");
    assert.ok(seen[0].signal instanceof AbortSignal, "fetch gets the request's signal");
    clock.advance(TIMEOUT);
    await assert.rejects(stalled, { code: "NetworkTimeout" });
    assert.equal(seen[0].signal.aborted, true);
    assert.deepEqual(await next, { id: "a1" });
    assert.equal(JSON.parse(seen[1].body).name, "B");
  });
}
