// The live channel and the assets API over a fake socket and a fake fetch.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AssetsApi, errorOf, httpSender } from "../planner/api.js";
import { LiveChannel } from "../planner/live.js";
import { TokenKeeper } from "../planner/token-keeper.js";
import { FakeClock, settle } from "./fakes.mjs";

class FakeSocket {
  sent = [];
  closed = null;
  constructor(url) {
    this.url = url;
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close(code) {
    this.closed = code;
  }
  push(message) {
    this.onmessage({ data: JSON.stringify(message) });
  }
}

function liveSetUp() {
  const clock = new FakeClock();
  const keeper = new TokenKeeper({ send: async () => ({ status: 200 }), now: clock.now,
    setTimer: clock.setTimer, clearTimer: clock.clearTimer });
  const sockets = [];
  const changes = [];
  const live = new LiveChannel({ url: "ws://planner/v1/live", keeper, setTimer: clock.setTimer,
    openSocket: (url) => { const s = new FakeSocket(url); sockets.push(s); return s; },
    onChange: (asset) => changes.push(asset.id) });
  const asks = [];
  keeper.on("ask", (ask) => asks.push(ask.reason));
  return { clock, keeper, sockets, changes, live, asks };
}

test("live: the token goes in the first message, never in the URL; pushes reach the view",
  async () => {
    const { keeper, sockets, changes, live } = liveSetUp();
    live.start();
    await settle();
    assert.equal(sockets.length, 0, "no socket before there is a token");
    keeper.accept({ token: "t1", expiresIn: 60, identity: { kind: "legal_entity" } });
    await settle();
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].url, "ws://planner/v1/live");
    sockets[0].onopen();
    assert.deepEqual(sockets[0].sent, [{ type: "auth", token: "t1" }]);
    sockets[0].push({ type: "authenticated", expires_at: 1 });
    sockets[0].push({ type: "asset.changed", asset: { id: "a1" } });
    assert.deepEqual(changes, ["a1"]);
  });

test("live: close 4401 after token_expired asks once and reconnects with the next token",
  async () => {
    const { keeper, sockets, live, asks } = liveSetUp();
    keeper.accept({ token: "t1", expiresIn: 60, identity: { kind: "legal_entity" } });
    live.start();
    await settle();
    sockets[0].onopen();
    sockets[0].push({ type: "authenticated", expires_at: 1 });
    sockets[0].push({ type: "token_expired" });
    sockets[0].onclose({ code: 4401 });
    assert.deepEqual(asks, ["invalid_token"]);
    keeper.accept({ token: "t2", expiresIn: 60, identity: { kind: "legal_entity" } });
    await settle();
    assert.equal(sockets.length, 2);
    sockets[1].onopen();
    assert.deepEqual(sockets[1].sent, [{ type: "auth", token: "t2" }]);
  });

test("live: other closes reconnect after a growing pause", async () => {
  const { clock, keeper, sockets, live } = liveSetUp();
  keeper.accept({ token: "t1", expiresIn: 600, identity: { kind: "legal_entity" } });
  live.start();
  await settle();
  sockets[0].onclose({ code: 1006 });
  clock.advance(999);
  await settle();
  assert.equal(sockets.length, 1);
  clock.advance(1);
  await settle();
  assert.equal(sockets.length, 2);
  sockets[1].onclose({ code: 1006 });
  clock.advance(1999);
  await settle();
  assert.equal(sockets.length, 2, "the second pause is longer");
});

test("api: requests carry the bearer token and Idempotency-Key, never cookies", async () => {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push({ url, ...init });
    return { status: 201, json: async () => ({ id: "a1", name: "Kitchen" }) };
  };
  const clock = new FakeClock(); // real timers would keep node running for the token's lifetime
  const keeper = new TokenKeeper({ send: httpSender({ fetch, base: "http://planner" }),
    newKey: () => "key-1", now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
  keeper.accept({ token: "t1", expiresIn: 60, identity: { kind: "legal_entity" } });
  const api = new AssetsApi(keeper);
  assert.deepEqual(await api.create({ name: "Kitchen", kind: "design" }), { id: "a1", name: "Kitchen" });
  assert.equal(seen[0].url, "http://planner/v1/assets");
  assert.equal(seen[0].headers.Authorization, "Bearer t1");
  assert.equal(seen[0].headers["Idempotency-Key"], "key-1");
  assert.equal(seen[0].credentials, "omit");
  assert.deepEqual(JSON.parse(seen[0].body), { name: "Kitchen", kind: "design", data: {} });
});

test("api: an error answer becomes a PlannerBridgeError named by the service's code", async () => {
  const forbidden = errorOf({ status: 403,
    body: { error: "insufficient_scope", error_description: "no write right" } });
  assert.equal(forbidden.code, "insufficient_scope");
  assert.equal(forbidden.status, 403);
  const broken = errorOf({ status: 502, body: undefined });
  assert.equal(broken.code, "http_502");
});

/** A fetch whose answers come at once but whose bodies wait until the test releases them. */
function slowBodyFetch(statusOf) {
  const bodies = [];
  const fetch = async (url, init) => {
    const request = { method: init.method, body: init.body && JSON.parse(init.body) };
    let release;
    const body = new Promise((resolve, reject) => {
      release = (value) => (value instanceof Error ? reject(value) : resolve(value));
    });
    bodies.push(release);
    return { status: statusOf(request), json: () => body };
  };
  return { fetch, bodies };
}

function queuedApi(fetch) {
  const clock = new FakeClock();
  const keeper = new TokenKeeper({ send: httpSender({ fetch, base: "http://planner" }),
    now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
  return { keeper, api: new AssetsApi(keeper) };
}

test("api: waiting calls complete in call order even when their bodies arrive in reverse",
  async () => {
    const { fetch, bodies } = slowBodyFetch((r) => (r.body.name === "a2" ? 403 : 201));
    const { keeper, api } = queuedApi(fetch);
    const done = [];
    for (let i = 0; i < 5; i += 1) {
      api.create({ name: `a${i}`, kind: "design" }).then((asset) => done.push(asset.name),
        (error) => done.push(`a${i}: ${error.code}`));
    }
    keeper.accept({ token: "t1", expiresIn: 60, identity: { kind: "legal_entity" } });
    await settle();
    assert.equal(bodies.length, 5, "all waiting calls went out together");
    for (let i = 4; i >= 0; i -= 1) {
      bodies[i](i === 2 ? { error: "insufficient_scope" } : { name: `a${i}` });
      await settle();
    }
    assert.deepEqual(done, ["a0", "a1", "a2: insufficient_scope", "a3", "a4"]);
  });

test("api: a success whose body is not JSON fails with MalformedAnswer, not a later crash",
  async () => {
    const { fetch, bodies } = slowBodyFetch(() => 200);
    const { keeper, api } = queuedApi(fetch);
    keeper.accept({ token: "t1", expiresIn: 60, identity: { kind: "legal_entity" } });
    const listing = api.list();
    await settle();
    bodies[0](new SyntaxError("<html>"));
    await assert.rejects(listing, { code: "MalformedAnswer", status: 200 });
  });

test("api: a 204 answer resolves to null without reading a body", async () => {
  const { fetch, bodies } = slowBodyFetch(() => 204);
  const { keeper, api } = queuedApi(fetch);
  keeper.accept({ token: "t1", expiresIn: 60, identity: { kind: "legal_entity" } });
  assert.equal(await api.remove("a1"), null);
  assert.equal(bodies.length, 1);
});
