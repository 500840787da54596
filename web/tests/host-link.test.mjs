// The planner's side of the bridge: whom it trusts, where it posts, what it posts when.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HostLink, pickParentOrigin } from "../planner/host-link.js";
import { TokenKeeper } from "../planner/token-keeper.js";
import { FakeClock, FakeServer, settle } from "./fakes.mjs";

const SHOP = "http://localhost:8000";
const OTHER_SHOP = "https://shop.example";
const EVIL = "http://evil.example";

class ParentWindow {
  posted = [];
  postMessage(data, targetOrigin) {
    this.posted.push({ event: data.event, content: data.content, targetOrigin });
  }
}

function setUp({ parentOrigin = SHOP, registered = [SHOP, OTHER_SHOP] } = {}) {
  const clock = new FakeClock();
  const server = new FakeServer();
  const keeper = new TokenKeeper({ send: server.send, now: clock.now, setTimer: clock.setTimer,
    clearTimer: clock.clearTimer, newKey: () => "k" });
  const parent = new ParentWindow();
  const refused = [];
  const link = new HostLink({ parent, registered, parentOrigin, entity: "e1", keeper,
    onRefused: (reason) => refused.push(reason) });
  const from = (event, content, origin = SHOP, source = parent) =>
    link.receive({ origin, source, data: { event, content } });
  return { clock, server, keeper, parent, link, from, refused };
}

const login = { token: "alice-1", expiresIn: 60, user: { id: "alice", name: "Alice" } };

test("the parent origin comes from ancestorOrigins, else the referrer, and must be registered",
  () => {
    const registered = [SHOP];
    assert.equal(pickParentOrigin({ registered, ancestorOrigins: [SHOP], referrer: "" }), SHOP);
    assert.equal(pickParentOrigin({ registered, ancestorOrigins: [], referrer: `${SHOP}/shop?x` }), SHOP);
    assert.equal(pickParentOrigin({ registered, ancestorOrigins: [EVIL], referrer: `${SHOP}/` }), null);
    assert.equal(pickParentOrigin({ registered, ancestorOrigins: null, referrer: "not a url" }), null);
  });

test("start posts Ready then AuthenticationRequired to the parent's exact origin", () => {
  const { parent, link } = setUp();
  link.start();
  assert.deepEqual(parent.posted, [
    { event: "Ready", content: { version: 1 }, targetOrigin: SHOP },
    { event: "AuthenticationRequired", content: {}, targetOrigin: SHOP },
  ]);
});

test("with the parent origin unknown, each registered origin is a target, never '*'", () => {
  const { parent, link } = setUp({ parentOrigin: null });
  link.start();
  assert.deepEqual(parent.posted.map((p) => p.targetOrigin), [SHOP, OTHER_SHOP, SHOP, OTHER_SHOP]);
});

test("forged Login and Authentication are ignored: wrong origin, wrong window, bad shape", () => {
  const { keeper, from } = setUp();
  assert.equal(from("Login", login, EVIL), false);
  assert.equal(from("Login", login, OTHER_SHOP), false, "registered, but not our parent's origin");
  assert.equal(from("Authentication", { token: "t", expiresIn: 60 }, SHOP, new ParentWindow()), false);
  assert.equal(from("Authentication", { token: "t", expiresIn: "60" }), false);
  assert.equal(from("Authentication", { token: "", expiresIn: 60 }), false);
  assert.equal(from("Login", { token: "t", expiresIn: 60 }), false, "Login needs a user");
  assert.equal(from("Ready", { version: 1 }), false, "a planner message is not a host message");
  assert.equal(keeper.identity, null);
});

test("before the parent origin is pinned, only the entity's registered origins are heard", () => {
  // The parent window is ours, but its origin is not known yet (no ancestorOrigins, no
  // referrer): a page on an unregistered origin loaded in that window must not be believed,
  // nor become the origin that later tokens are confirmed to.
  const { keeper, parent, link, from } = setUp({ parentOrigin: null });
  assert.equal(from("Login", login, EVIL), false);
  assert.equal(from("Authentication", { token: "t", expiresIn: 60 }, EVIL), false);
  assert.equal(keeper.identity, null);
  assert.equal(link.parentOrigin, null, "an unregistered origin is never pinned");
  link.post("Ready", { version: 1 });
  assert.ok(parent.posted.every((p) => p.targetOrigin !== EVIL));
  assert.equal(from("Authentication", { token: "t", expiresIn: 60 }, OTHER_SHOP), true);
  assert.equal(link.parentOrigin, OTHER_SHOP, "the first trusted message pins its origin");
});

test("Login gives the keeper a user identity; LoginSucceeded after a call works", async () => {
  const { keeper, parent, from } = setUp();
  assert.equal(from("Login", login), true);
  assert.deepEqual(keeper.identity, { kind: "user", user: { id: "alice", name: "Alice" } });
  await keeper.call({ method: "GET", path: "/v1/assets" });
  await settle();
  assert.deepEqual(parent.posted.at(-1), { event: "LoginSucceeded",
    content: { user: { id: "alice", name: "Alice" } }, targetOrigin: SHOP });
});

test("Authentication succeeded names the host origin and the entity; refusal is reported",
  async () => {
    const { keeper, parent, from, server } = setUp();
    from("Authentication", { token: "shop-1", expiresIn: 60 });
    await keeper.call({ method: "GET", path: "/v1/assets" });
    assert.deepEqual(parent.posted.at(-1).content, { origin: SHOP, entity: "e1" });
    server.refused.add("bad");
    from("Login", { ...login, token: "bad" });
    keeper.call({ method: "GET", path: "/v1/assets" }).catch(() => {}); // waits for a new token
    await settle();
    const events = parent.posted.map((p) => p.event);
    assert.ok(events.includes("LoginFailed"));
    assert.deepEqual(parent.posted.find((p) => p.event === "LoginFailed").content,
      { reason: "invalid_token" });
  });

test("TokenRefreshed keeps the identity; before any token it is refused", () => {
  const { keeper, from, refused } = setUp();
  assert.equal(from("TokenRefreshed", { token: "x", expiresIn: 60 }), false);
  assert.deepEqual(refused, ["TokenRefreshed came before any Authentication or Login"]);
  from("Login", login);
  assert.equal(from("TokenRefreshed", { token: "alice-2", expiresIn: 60 }), true);
  assert.equal(keeper.identity.kind, "user");
  from("Logout", { token: "shop-1", expiresIn: 60 });
  assert.deepEqual(keeper.identity, { kind: "legal_entity" });
});

test("a TokenExpired ask is posted with its reason", () => {
  const { clock, parent, from } = setUp();
  from("Authentication", { token: "shop-1", expiresIn: 100 });
  clock.advance(90_000);
  assert.deepEqual(parent.posted.at(-1), { event: "TokenExpired", content: { reason: "expiring" },
    targetOrigin: SHOP });
});

test("a refused shop token is reported as AuthenticationFailed, never as LoginFailed", async () => {
  // Stryker: with the identity's kind ignored, every refusal read as a failed login, and the
  // host would think a user had been turned away when its own entity token was.
  const { keeper, parent, from, server } = setUp();
  server.refused.add("bad-shop");
  assert.equal(from("Authentication", { token: "bad-shop", expiresIn: 60 }), true);
  keeper.call({ method: "GET", path: "/v1/assets" }).catch(() => {}); // waits for a new token
  await settle();
  const failed = parent.posted.filter((p) => p.event.endsWith("Failed"));
  assert.deepEqual(failed, [{ event: "AuthenticationFailed", content: { reason: "invalid_token" },
    targetOrigin: SHOP }]);
});

test("AuthenticationSucceeded names the origin pinned, also when it is not the first registered",
  async () => {
    const { keeper, from, parent } = setUp({ parentOrigin: null });
    assert.equal(from("Authentication", { token: "shop-1", expiresIn: 60 }, OTHER_SHOP), true);
    await keeper.call({ method: "GET", path: "/v1/assets" });
    assert.deepEqual(parent.posted.at(-1), { event: "AuthenticationSucceeded",
      content: { origin: OTHER_SHOP, entity: "e1" }, targetOrigin: OTHER_SHOP });
  });
