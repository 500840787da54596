// The token keeper's edges that mutation testing (make mutate, Stryker) found no test pinned:
// the "change" events the planner's status line listens to, episodes that end, timers that go,
// the words and status of its errors, one report per refused token.
import assert from "node:assert/strict";
import { test } from "node:test";

import { TokenKeeper } from "../planner/token-keeper.js";
import { FakeServer, settle, until } from "./fakes.mjs";
import { ALICE, BOB, SHOP, setUp } from "./keeper-fakes.mjs";

/** A web service whose answers wait until the test releases them, each with its status. */
function pendingServer() {
  const pending = [];
  const send = (request, token) => new Promise((resolve) => {
    pending.push({ request, token, answer: (status) => resolve({ status }) });
  });
  return { pending, send };
}

test("every step a listener could show emits 'change' with the state after it", async () => {
  const { pending, send } = pendingServer();
  const { keeper, clock, changes } = setUp({ send, answerDeadlineMs: 20_000 });
  const step = (what, fn) => {
    const before = changes.length;
    fn();
    assert.ok(changes.length > before, `${what} emitted no change`);
    assert.deepEqual(changes.at(-1), keeper.state, `${what}: the last change is the state now`);
  };
  const calls = [];
  step("the first ask", () => keeper.start());
  step("a call waiting while an ask runs", () => calls.push(keeper.call({ method: "GET", path: "/a" })));
  step("a token", () => keeper.accept({ token: "t1", expiresIn: 100, identity: SHOP }));
  calls.push(keeper.call({ method: "PATCH", path: "/v1/assets/1" }));
  step("a write held behind one to its asset", () => {
    calls.push(keeper.call({ method: "PATCH", path: "/v1/assets/1" }));
  });
  assert.equal(keeper.state.held, 1);
  pending[1].answer(200); // the first PATCH: the second is released and sent
  const before = changes.length;
  await settle();
  assert.ok(changes.length > before, "the release emitted no change");
  assert.deepEqual(changes.at(-1), keeper.state);
  assert.equal(keeper.state.held, 0);
  for (const p of [pending[0], pending[2]]) p.answer(200);
  await Promise.all(calls);
  step("a wake", () => keeper.wake());
  step("the expiry itself", () => clock.advance(100_000)); // asked at 90 s, deadline at 110 s
  assert.equal(changes.at(-1).valid, false, "the token's end is reported when it comes");
  step("the ask's deadline", () => clock.advance(10_000));
  assert.equal(changes.at(-1).asking, false);
});

test("errors say what happened: IdentityChanged, a replay refused (401), TokenRefreshTimeout",
  async () => {
    const { keeper, clock, server } = setUp({ answerDeadlineMs: 5000 });
    keeper.accept({ token: "alice-1", expiresIn: 60, identity: ALICE });
    clock.sleep(61_000);
    const forAlice = keeper.call({ method: "GET", path: "/a" });
    keeper.accept({ token: "bob-1", expiresIn: 60, identity: BOB });
    await assert.rejects(forAlice, { code: "IdentityChanged", message:
      "the call was made for another identity (login, logout or user switch) and was not sent" });
    server.answer = () => 401;
    const refused = keeper.call({ method: "GET", path: "/b" });
    await settle();
    keeper.accept({ token: "bob-2", expiresIn: 60, identity: BOB });
    await assert.rejects(refused, { code: "invalid_token", status: 401,
      message: "the new token was refused too" });
    const late = keeper.call({ method: "GET", path: "/c" });
    await settle();
    clock.advance(5000);
    await assert.rejects(late, { code: "TokenRefreshTimeout",
      message: "no token arrived within 5000 ms" });
  });

test("every write method gets an Idempotency-Key; reads get none", async () => {
  const { keeper, server } = setUp();
  keeper.accept({ token: "t1", expiresIn: 60, identity: SHOP });
  for (const method of ["post", "PUT", "PATCH", "DELETE", "GET"]) {
    await keeper.call({ method, path: `/v1/assets/${method}` });
  }
  assert.deepEqual(server.received.map((r) => [r.method, r.key]), [["POST", "key-1"],
    ["PUT", "key-2"], ["PATCH", "key-3"], ["DELETE", "key-4"], ["GET", undefined]]);
});

test("several listeners of one event all hear it; unsubscribing stops only that one", () => {
  const { keeper } = setUp();
  const heard = [];
  const offA = keeper.on("ask", () => heard.push("a"));
  keeper.on("ask", () => heard.push("b"));
  keeper.start();
  offA();
  keeper.accept({ token: "t1", expiresIn: 60, identity: SHOP });
  keeper.tokenRejected("t1");
  assert.deepEqual(heard, ["a", "b", "b"]);
  assert.deepEqual(keeper.state.identity, SHOP);
});

test("a held write behind a call that failed otherwise waits for a token, then goes out",
  async () => {
    // Only TokenRefreshTimeout fails the writes held behind it; any other failure (here the
    // request's own deadline, while the token expired meanwhile) lets them be routed as usual.
    const { pending, send } = pendingServer();
    const { keeper, clock, asks } = setUp({ send, requestTimeoutMs: 30_000,
      answerDeadlineMs: 60_000 });
    keeper.accept({ token: "t1", expiresIn: 10, identity: SHOP });
    const first = keeper.call({ method: "PATCH", path: "/v1/assets/1", body: { name: "A" } });
    const second = keeper.call({ method: "PATCH", path: "/v1/assets/1", body: { name: "B" } });
    first.catch(() => {});
    clock.advance(30_000); // the token expired at 10 s, the first PATCH's request at 30 s
    await assert.rejects(first, { code: "NetworkTimeout" });
    await settle();
    assert.deepEqual([keeper.state.held, keeper.state.waiting], [0, 1]);
    assert.deepEqual(asks.map((a) => a.reason), ["expiring"], "the ask from 9 s still runs");
    keeper.accept({ token: "t2", expiresIn: 60, identity: SHOP });
    await settle();
    assert.deepEqual(pending.map((p) => [p.request.body.name, p.token]), [["A", "t1"], ["B", "t2"]]);
    pending[1].answer(200);
    assert.deepEqual(await second, { status: 200 });
  });

test("wake() before any token does nothing; at the refresh point exactly, it asks", () => {
  const { keeper, clock, asks } = setUp();
  keeper.wake();
  assert.deepEqual(asks, []);
  keeper.accept({ token: "t1", expiresIn: 100, identity: SHOP });
  clock.sleep(90_000); // 100 s less 10 %: the timer did not run (asleep)
  keeper.wake();
  assert.deepEqual(asks, [{ event: "TokenExpired", reason: "expiring" }]);
});

test("a token ends its episode: a refusal right after asks at once, the old deadline is gone",
  async () => {
    const { keeper, clock, server, asks } = setUp({ answerDeadlineMs: 5000 });
    keeper.start(); // deadline at 5 s
    clock.advance(1000);
    keeper.accept({ token: "t1", expiresIn: 60, identity: SHOP });
    server.refused.add("t1");
    const call = keeper.call({ method: "GET", path: "/a" });
    await settle();
    assert.deepEqual(asks.map((a) => a.reason), ["start", "invalid_token"]);
    clock.advance(4500); // past the first ask's deadline, not the second's (6 s)
    assert.equal(keeper.state.waiting, 1, "the call still waits for its own episode's answer");
    keeper.accept({ token: "t2", expiresIn: 60, identity: SHOP });
    assert.deepEqual(await call, { status: 200 });
  });

test("a write held for the old identity leaves the held ones at the switch, and is never sent",
  async () => {
    const { pending, send } = pendingServer();
    const { keeper } = setUp({ send });
    keeper.accept({ token: "alice-1", expiresIn: 60, identity: ALICE });
    const ahead = keeper.call({ method: "PATCH", path: "/v1/assets/1", body: { name: "A" } });
    const held = keeper.call({ method: "PATCH", path: "/v1/assets/1", body: { name: "B" } });
    assert.equal(keeper.state.held, 1);
    keeper.accept({ token: "bob-1", expiresIn: 60, identity: BOB });
    assert.equal(keeper.state.held, 0, "failed at once (it completes after A, in call order)");
    pending[0].answer(200);
    await ahead;
    await assert.rejects(held, { code: "IdentityChanged" });
    assert.equal(pending.length, 1, "B was never sent");
  });

test("two calls refused with one never-confirmed token report one failed login", async () => {
  const { keeper, server } = setUp();
  const rejected = [];
  keeper.on("rejected", (detail) => rejected.push(detail));
  server.refused.add("alice-1");
  keeper.accept({ token: "alice-1", expiresIn: 60, identity: ALICE });
  keeper.call({ method: "GET", path: "/a" });
  keeper.call({ method: "GET", path: "/b" });
  await settle();
  assert.deepEqual(rejected, [{ identity: ALICE, reason: "invalid_token" }]);
});

test("one proactive ask per token: a dead or already-asked token asks nothing on wake",
  async () => {
    const asked = setUp({ answerDeadlineMs: 5000 });
    asked.keeper.accept({ token: "t1", expiresIn: 100, identity: SHOP });
    asked.clock.advance(95_000); // asked at 90 s, unanswered until 95 s
    asked.keeper.wake();
    assert.deepEqual(asked.asks.map((a) => a.reason), ["expiring"]);

    const dead = setUp({ answerDeadlineMs: 5000 });
    dead.server.refused.add("t1");
    dead.keeper.accept({ token: "t1", expiresIn: 100, identity: SHOP });
    const call = dead.keeper.call({ method: "GET", path: "/a" });
    await settle();
    dead.clock.advance(5000); // no answer: the call fails, the episode is over
    await assert.rejects(call, { code: "TokenRefreshTimeout" });
    dead.clock.sleep(90_000);
    dead.keeper.wake();
    assert.deepEqual(dead.asks.map((a) => a.reason), ["invalid_token"], "the next call asks");
  });

test("a new token leaves only its own two timers: the old token's are cleared", () => {
  const { keeper, clock, asks } = setUp();
  keeper.accept({ token: "t1", expiresIn: 100, identity: SHOP });
  clock.advance(10_000);
  keeper.accept({ token: "t2", expiresIn: 100, identity: SHOP });
  assert.equal(clock.timers.size, 2);
  clock.advance(80_000); // t1's refresh point (90 s after it came), not t2's (100 s)
  assert.deepEqual(asks, []);
});

test("a late answer to the old identity's call confirms nothing once the identity changed",
  async () => {
    // The host would otherwise hear LoginSucceeded for Alice after Bob's, and think Alice is in.
    const { pending, send } = pendingServer();
    const { keeper } = setUp({ send });
    const confirmed = [];
    keeper.on("confirmed", ({ identity }) => confirmed.push(identity));
    keeper.accept({ token: "alice-1", expiresIn: 60, identity: ALICE });
    const aliceCall = keeper.call({ method: "GET", path: "/a" });
    keeper.accept({ token: "bob-1", expiresIn: 60, identity: BOB });
    const bobCall = keeper.call({ method: "GET", path: "/b" });
    pending[1].answer(200);
    await settle();
    pending[0].answer(200); // Alice's call, answered after Bob's
    await Promise.all([aliceCall, bobCall]);
    const later = keeper.call({ method: "GET", path: "/c" });
    pending[2].answer(200);
    await later;
    assert.deepEqual(confirmed, [BOB]);
  });

test("without injected clocks and keys: the page's own clock, timers and random keys", async () => {
  const server = new FakeServer();
  const keeper = new TokenKeeper({ send: server.send, answerDeadlineMs: 100 });
  const asks = [];
  keeper.on("ask", (ask) => asks.push(ask.reason));
  keeper.accept({ token: "t1", expiresIn: 0.2, identity: SHOP }); // asks again at 180 ms
  await keeper.call({ method: "POST", path: "/v1/assets" });
  assert.equal(server.received.length, 1, "sent at once: the token is valid by performance.now()");
  assert.match(server.received[0].key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  await until(() => asks.length > 0 && !keeper.state.asking); // the ask, then its deadline
  assert.deepEqual(asks, ["expiring"]);
});
