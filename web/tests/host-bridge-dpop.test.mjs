// The SDK's side of DPoP: fetchToken receives the planner's jkt (Ready, TokenExpired), a fetch
// answers only requests for its own key, and the prefetch asks with the key named last time.
import assert from "node:assert/strict";
import { test } from "node:test";

import { aliceToken, setUpBridge, shopToken } from "./host-bridge-fakes.mjs";
import { settle } from "./fakes.mjs";

const KEY_A = "A".repeat(43);
const KEY_B = "B".repeat(43);

/** A jkt memory in a variable, as embedPlanner's is in localStorage. */
function memory(initial) {
  const box = { value: initial };
  return { box, jktMemory: { get: () => box.value, set: (jkt) => { box.value = jkt; } } };
}

test("fetchToken gets the jkt of Ready, then of TokenExpired, with the reason", async () => {
  const { fetches, requests, from } = setUpBridge([shopToken(), shopToken(2), shopToken(3)]);
  from("Ready", { version: 1, jkt: KEY_A });
  fetches[0]();
  await settle();
  from("TokenExpired", { reason: "expiring", jkt: KEY_A });
  fetches[1]();
  await settle();
  from("TokenExpired", { reason: "invalid_token", jkt: KEY_B });
  assert.deepEqual(requests.map(([r]) => r), [{ jkt: KEY_A }, { reason: "expiring", jkt: KEY_A },
    { reason: "invalid_token", jkt: KEY_B }]);
});

test("a planner without a key: fetchToken gets no jkt at all", async () => {
  const { requests, from } = setUpBridge([shopToken()]);
  from("Ready", { version: 1 });
  assert.deepEqual(requests, [[{}]]);
});

test("login() and logout() ask for the planner's key", async () => {
  const { fetches, requests, bridge, from } = setUpBridge([shopToken(), aliceToken(), shopToken(2)]);
  from("Ready", { version: 1, jkt: KEY_A });
  fetches[0]();
  await settle();
  const login = bridge.login();
  fetches[1]();
  await login;
  const logout = bridge.logout();
  fetches[2]();
  await logout;
  assert.deepEqual(requests.slice(1).map(([r]) => r.jkt), [KEY_A, KEY_A]);
});

test("a reloaded planner with a new key supersedes the fetch for the old one", async () => {
  const { frame, fetches, requests, from } = setUpBridge([shopToken(1), shopToken(2)]);
  from("Ready", { version: 1, jkt: KEY_A });
  from("Ready", { version: 1, jkt: KEY_B }); // the frame reloaded and could not keep its key
  assert.deepEqual(requests.map(([r]) => r.jkt), [KEY_A, KEY_B]);
  fetches[0]();
  fetches[1]();
  await settle();
  assert.deepEqual(frame.posted.map((p) => p.content.token), ["shop-2"], "never the old key's token");
});

test("the prefetch asks with the jkt the planner named last time, and Ready with it joins", async () => {
  const { box, jktMemory } = memory(KEY_A);
  const { frame, fetches, requests, bridge, from } = setUpBridge([shopToken()], { jktMemory });
  bridge.prefetch();
  from("Ready", { version: 1, jkt: KEY_A });
  fetches[0]();
  await settle();
  assert.deepEqual(requests, [[{ jkt: KEY_A }]]);
  assert.deepEqual(frame.posted.map((p) => p.event), ["Authentication"]);
  assert.equal(box.value, KEY_A);
});

test("a prefetch for a key the planner no longer has is superseded by Ready's, and remembered",
  async () => {
    const { box, jktMemory } = memory(KEY_A);
    const { frame, fetches, requests, bridge, from } = setUpBridge([shopToken(1), shopToken(2)],
      { jktMemory });
    bridge.prefetch();
    from("Ready", { version: 1, jkt: KEY_B });
    assert.deepEqual(requests.map(([r]) => r.jkt), [KEY_A, KEY_B]);
    fetches[0]();
    fetches[1]();
    await settle();
    assert.deepEqual(frame.posted.map((p) => p.content.token), ["shop-2"]);
    assert.equal(box.value, KEY_B);
  });

test("a planner never heard from here: no prefetch, Ready's key starts the one fetch", async () => {
  const { box, jktMemory } = memory(null);
  const { frame, fetches, requests, bridge, from } = setUpBridge([shopToken()], { jktMemory });
  bridge.prefetch();
  assert.equal(fetches.length, 0);
  from("Ready", { version: 1, jkt: KEY_A });
  fetches[0]();
  await settle();
  assert.deepEqual(requests, [[{ jkt: KEY_A }]]);
  assert.deepEqual(frame.posted.map((p) => p.event), ["Authentication"]);
  assert.equal(box.value, KEY_A);
});

test("a planner known to have no key is prefetched for without one", async () => {
  const { jktMemory } = memory(undefined);
  const { requests, bridge } = setUpBridge([shopToken()], { jktMemory });
  bridge.prefetch();
  assert.deepEqual(requests, [[{}]]);
});

for (const [action, tokens, check] of [
  ["login", [shopToken(), aliceToken()], (user) => assert.equal(user.id, "alice")],
  ["logout", [shopToken(1), shopToken(2)], () => {}],
]) {
  test(`${action}() before a planner never heard from names its key waits for Ready's jkt`,
    async () => {
      const { jktMemory } = memory(null);
      const { fetches, requests, bridge, from } = setUpBridge(tokens, { jktMemory });
      const done = bridge[action]();
      await settle();
      assert.equal(requests.length, 0, "no token asked for before the key is known");
      from("Ready", { version: 1, jkt: KEY_A });
      fetches[0]();
      await settle();
      fetches[1]?.();
      check(await done);
      assert.ok(requests.length > 0);
      assert.ok(requests.every(([r]) => r.jkt === KEY_A), JSON.stringify(requests));
    });
}

test("login() waiting for the key rejects when the planner is removed first", async () => {
  const { jktMemory } = memory(null);
  const { bridge } = setUpBridge([aliceToken()], { jktMemory });
  const login = bridge.login();
  bridge.destroy();
  await assert.rejects(login, { code: "Destroyed" });
});

test("only Ready and TokenExpired name the key: another message, or a TokenExpired without a jkt, "
  + "keeps the key Ready named", async () => {
  const { box, jktMemory } = memory(null);
  const { fetches, requests, from } = setUpBridge([shopToken(1), shopToken(2), shopToken(3)],
    { jktMemory });
  from("Ready", { version: 1, jkt: KEY_A });
  fetches[0]();
  await settle();
  from("LoginRequired", {});
  from("AuthenticationRequired", {}); // no jkt: not "a planner without a key"
  from("AuthenticationRequired", { jkt: KEY_B }); // not a message that names the key
  from("TokenExpired", { reason: "expiring" });
  assert.ok(requests.length > 1, "the later requests did fetch");
  assert.deepEqual(requests.map(([r]) => r.jkt), requests.map(() => KEY_A));
  assert.equal(box.value, KEY_A, "the key kept for the next page load is still Ready's");
});
