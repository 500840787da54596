// The wire contract: every message name has a guard, and guards refuse what SPEC.md does not allow.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as protocol from "../sdk/protocol.js";

const { HostEvent, PlannerEvent, asHostMessage, asPlannerMessage, message } = protocol;

test("one guard per message type, named is<Event>", () => {
  for (const name of [...Object.keys(HostEvent), ...Object.keys(PlannerEvent)]) {
    assert.equal(typeof protocol[`is${name}`], "function", name);
  }
});

test("host messages: token strings and positive lifetimes only", () => {
  const ok = { event: "Authentication", content: { token: "t", expiresIn: 60 } };
  assert.equal(protocol.isAuthentication(ok), true);
  assert.equal(asHostMessage(ok), ok);
  for (const content of [{ token: "t" }, { token: 5, expiresIn: 60 }, { token: "t", expiresIn: -1 },
    { token: "t", expiresIn: Infinity }, { token: "x".repeat(9000), expiresIn: 60 }]) {
    assert.equal(protocol.isAuthentication({ event: "Authentication", content }), false);
  }
  assert.equal(asHostMessage({ event: "toString", content: {} }), null, "no prototype names");
  assert.equal(asHostMessage({ event: "Ready", content: { version: 1 } }), null);
  assert.equal(asPlannerMessage({ event: "Ready", content: { version: 1 } }).event, "Ready");
  assert.equal(asPlannerMessage({ event: "Ready", content: [] }), null);
});

test("message() refuses content its guard would reject", () => {
  assert.deepEqual(message("TokenExpired", { reason: "expired" }),
    { event: "TokenExpired", content: { reason: "expired" } });
  assert.throws(() => message("TokenExpired", {}), TypeError);
  assert.throws(() => message("Nope"), TypeError);
});

test("PlannerBridgeError carries a code and a status", () => {
  const error = new protocol.PlannerBridgeError("insufficient_scope", "no", { status: 403 });
  assert.ok(error instanceof Error);
  assert.equal(error.name, "PlannerBridgeError");
  assert.deepEqual([error.code, error.status, error.message], ["insufficient_scope", 403, "no"]);
});

test("protocol defaults are defined once, in protocol.js, and used by the SDK and the planner",
  async () => {
    const { readdir, readFile } = await import("node:fs/promises");
    const { TokenKeeper } = await import("../planner/token-keeper.js");
    const sdk = await import("../sdk/planner-bridge.js");
    assert.equal(protocol.DEFAULT_ANSWER_DEADLINE_MS, 30_000);
    assert.equal(sdk.DEFAULT_ANSWER_DEADLINE_MS, protocol.DEFAULT_ANSWER_DEADLINE_MS);
    assert.equal(new TokenKeeper({ send: async () => ({ status: 200 }) }).answerDeadlineMs,
      protocol.DEFAULT_ANSWER_DEADLINE_MS);
    const defining = [];
    for (const dir of ["sdk", "planner"]) {
      const url = new URL(`../${dir}/`, import.meta.url);
      for (const name of (await readdir(url)).filter((n) => n.endsWith(".js"))) {
        const text = await readFile(new URL(name, url), "utf8");
        if (/DEFAULT_ANSWER_DEADLINE_MS\s*=/.test(text)) defining.push(`${dir}/${name}`);
      }
    }
    assert.deepEqual(defining, ["sdk/protocol.js"]);
  });

test("the SDK refuses an answer deadline the planner would not accept", async () => {
  const { embedPlanner } = await import("../sdk/planner-bridge.js");
  const options = { container: { appendChild() {} }, plannerUrl: "http://planner/planner/",
    fetchToken: async () => null };
  for (const answerDeadlineMs of [50, 99, 600_001, 1.5, 0]) {
    assert.throws(() => embedPlanner({ ...options, answerDeadlineMs }), { code: "InvalidOption" },
      String(answerDeadlineMs));
  }
  assert.equal(protocol.isAnswerDeadline(100), true);
  assert.equal(protocol.isAnswerDeadline(600_000), true);
});

// Stryker found these guards' edges unpinned: each is<Event> on its own, the length and lifetime
// limits at the limit itself, the user's name, AuthenticationSucceeded's content, null data.
const USER = { id: "alice", name: "Alice" };
const ITEM = {
  id: "i1", catalogId: "a1", name: "Base 60", x: 0, y: 0, rotation: 90, width: 600, depth: 560,
  height: 720, mount: "floor", unitPrice: 129,
};
const DESIGN = {
  id: null, name: "Kitchen", room: { width: 4000, depth: 3000 }, items: [ITEM],
  total: { amount: 129, currency: "EUR" }, saved: false,
};

const VALID = {
  Authentication: { token: "t", expiresIn: 60 },
  Login: { token: "t", expiresIn: 60, user: USER },
  TokenRefreshed: { token: "t", expiresIn: 60 },
  Logout: { token: "t", expiresIn: 60 },
  Ready: { version: protocol.PROTOCOL_VERSION },
  AuthenticationRequired: {},
  AuthenticationSucceeded: { origin: "http://localhost:8000", entity: "e1" },
  AuthenticationFailed: { reason: "invalid_token" },
  TokenExpired: { reason: "expired" },
  LoginRequired: {},
  LoginSucceeded: { user: USER },
  LoginFailed: { reason: "invalid_token" },
  CloseApp: {},
  Command: { id: "c1", name: "addItem", args: { catalogId: "a1" } },
  CommandResult: { id: "c1", ok: true, value: null },
  Loaded: {},
  DesignOpened: { design: DESIGN },
  DesignChanged: { design: DESIGN },
  DesignSaved: { design: { ...DESIGN, id: "d1", saved: true } },
  ItemAdded: { item: ITEM },
  ItemRemoved: { item: ITEM },
  SelectionChanged: { item: null },
  AddToCart: {
    designId: null,
    lines: [{ catalogId: "a1", name: "Base 60", quantity: 2, unitPrice: 129 }],
    total: { amount: 258, currency: "EUR" },
  },
  Resize: { height: 640 },
};

test("each is<Event> accepts its own message only, and nothing that is not an object", () => {
  const names = [...Object.keys(HostEvent), ...Object.keys(PlannerEvent)];
  assert.deepEqual(Object.keys(VALID).sort(), [...names].sort());
  for (const name of names) {
    const guard = protocol[`is${name}`];
    assert.equal(guard({ event: name, content: VALID[name] }), true, name);
    const other = name === "CloseApp" ? "LoginRequired" : "CloseApp";
    assert.equal(guard({ event: other, content: VALID[name] }), false, `${name} named ${other}`);
    assert.equal(guard({ event: name, content: null }), false, `${name} with null content`);
    assert.equal(guard(null), false, `${name}: null`);
  }
  assert.equal(asHostMessage(null), null);
  assert.equal(asPlannerMessage(null), null);
  assert.equal(asHostMessage({ event: 7, content: {} }), null);
  assert.equal(asPlannerMessage({ event: 7, content: {} }), null);
});

test("limits hold at the limit itself: tokens, texts, lifetimes, names, deadlines", () => {
  const auth = (content) => protocol.isAuthentication({ event: "Authentication", content });
  assert.equal(auth({ token: "x".repeat(8192), expiresIn: 60 }), true);
  assert.equal(auth({ token: "x".repeat(8193), expiresIn: 60 }), false);
  assert.equal(auth({ token: "t", expiresIn: 86400 }), true);
  assert.equal(auth({ token: "t", expiresIn: 86401 }), false);
  assert.equal(auth({ token: "t", expiresIn: "60" }), false);
  const login = (user) => protocol.isLogin({ event: "Login", content: { ...VALID.Login, user } });
  assert.equal(login({ id: "x".repeat(512), name: "x".repeat(512) }), true);
  assert.equal(login({ id: "x".repeat(513), name: "A" }), false);
  assert.equal(login({ id: "alice", name: "x".repeat(513) }), false);
  assert.equal(login({ id: "alice", name: 7 }), false);
  assert.equal(login({ id: "alice", name: "" }), true, "a name may be empty, an id may not");
  const succeeded = (content) => protocol.isAuthenticationSucceeded(
    { event: "AuthenticationSucceeded", content });
  assert.equal(succeeded({ origin: "http://localhost:8000" }), false);
  assert.equal(succeeded({ entity: "e1" }), false);
  const { isAnswerDeadline, MIN_ANSWER_DEADLINE_MS: min, MAX_ANSWER_DEADLINE_MS: max } = protocol;
  for (const [ms, ok] of [[min, true], [max, true], [min - 1, false], [max + 1, false],
    [1000.5, false], ["1000", false]]) {
    assert.equal(isAnswerDeadline(ms), ok, String(ms));
  }
});

// Stryker: each typeof below was dropped without a test failing, since what followed it still
// refused the plain wrong types (a number's .length, Object.hasOwn(HostEvent, 7)); an array
// passes those, as its length is a number and ["Login"] names "Login" as a property key.
test("a one-item array is neither a name nor an event name; NaN is no lifetime", () => {
  const login = (user) => protocol.isLogin({ event: "Login", content: { ...VALID.Login, user } });
  assert.equal(login({ id: "alice", name: ["Alice"] }), false);
  assert.equal(asHostMessage({ event: ["Login"], content: VALID.Login }), null);
  assert.equal(asPlannerMessage({ event: ["Ready"], content: VALID.Ready }), null);
  for (const expiresIn of [NaN, -Infinity, 0]) {
    assert.equal(protocol.isAuthentication({ event: "Authentication",
      content: { token: "t", expiresIn } }), false, String(expiresIn));
  }
});

test("message() names the message it refused (a programming mistake, found by its words)", () => {
  assert.throws(() => message("Login", VALID.Authentication),
    { name: "TypeError", message: "not a valid Login message" });
});

test("commands: any named command with object args; results either ok or a coded error", () => {
  const command = (content) => protocol.isCommand({ event: "Command", content });
  assert.equal(command({ id: "c1", name: "noSuchCommand", args: {} }), true,
    "unknown names pass the guard: the planner answers UnknownCommand");
  for (const bad of [{ id: "", name: "getDesign", args: {} }, { id: "c1", args: {} },
    { id: "c1", name: "getDesign" }, { id: "c1", name: "getDesign", args: [] }]) {
    assert.equal(command(bad), false, JSON.stringify(bad));
  }
  const result = (content) => protocol.isCommandResult({ event: "CommandResult", content });
  assert.equal(result({ id: "c1", ok: true }), true, "a value may be absent");
  assert.equal(result({ id: "c1", ok: false, error: { code: "NotFound", message: "gone" } }), true);
  assert.equal(result({ id: "c1", ok: true, error: { code: "NotFound", message: "" } }), false);
  assert.equal(result({ id: "c1", ok: false }), false);
  assert.equal(result({ id: "c1", ok: "yes", value: 1 }), false);
  assert.equal(result({ id: "c1", ok: false, error: { code: "", message: "" } }), false);
  assert.equal(result({ ok: true }), false);
  assert.equal(result({ id: "c1", ok: "no", error: { code: "NotFound", message: "gone" } }), false,
    "ok is true or false, nothing else");
  const failed = (message) => result({ id: "c1", ok: false, error: { code: "NotFound", message } });
  assert.deepEqual([failed("x".repeat(512)), failed("x".repeat(513)), failed(["gone"])],
    [true, false, false], "a message: a string of at most 512 characters");
  assert.deepEqual(Object.keys(protocol.CommandName).sort(), ["addItem", "getDesign",
    "newDesign", "openDesign", "removeItem", "saveDesign", "setLocale", "setRoom", "setTheme"]);
});

test("designs and items: millimetres, right-angle rotations, known mounts, money with a currency",
  () => {
    const item = (patch) => protocol.isDesignItem({ ...ITEM, ...patch });
    assert.equal(item({}), true);
    for (const patch of [{ rotation: 45 }, { mount: "ceiling" }, { x: -1 }, { width: NaN },
      { width: 1_000_001 }, { unitPrice: -1 }, { id: "" }, { catalogId: 3 }]) {
      assert.equal(item(patch), false, JSON.stringify(patch));
    }
    const design = (patch) => protocol.isDesign({ ...DESIGN, ...patch });
    assert.equal(design({ id: "d1" }), true);
    for (const patch of [{ id: "" }, { saved: "no" }, { items: [{ ...ITEM, rotation: 1 }] },
      { room: { width: 4000 } }, { total: { amount: 1, currency: "euro" } },
      { total: { amount: -1, currency: "EUR" } }]) {
      assert.equal(design(patch), false, JSON.stringify(patch));
    }
    const cart = (patch) => protocol.isAddToCart(
      { event: "AddToCart", content: { ...VALID.AddToCart, ...patch } });
    assert.equal(cart({ designId: "d1" }), true);
    assert.equal(cart({ lines: [{ catalogId: "a1", name: "x", quantity: 0, unitPrice: 1 }] }),
      false);
    assert.equal(cart({ lines: [{ catalogId: "a1", name: "x", quantity: 1.5, unitPrice: 1 }] }),
      false);
    const resize = (height) => protocol.isResize({ event: "Resize", content: { height } });
    assert.deepEqual([resize(1), resize(0), resize(-5), resize(Infinity)],
      [true, false, false, false]);
    assert.equal(protocol.isSelectionChanged(
      { event: "SelectionChanged", content: { item: ITEM } }), true);
    assert.equal(protocol.isSelectionChanged(
      { event: "SelectionChanged", content: {} }), false);
  });

test("CommandError spells the codes as SPEC does: the host's code matches on these strings", () => {
  assert.deepEqual(Object.values(protocol.CommandError).sort(), ["CommandTimeout", "Destroyed",
    "InvalidArgument", "LoginRequired", "NotFound", "NotReady", "UnknownCommand"]);
  for (const [key, code] of Object.entries(protocol.CommandError)) assert.equal(key, code);
});

test("a jkt is exactly 43 base64url characters, as a string", () => {
  const key = "A".repeat(43);
  assert.equal(protocol.isJkt(key), true);
  for (const bad of [`${key}A`, `!${key}`, `${key}=`, [key], "A".repeat(42)]) {
    assert.equal(protocol.isJkt(bad), false, JSON.stringify(bad));
  }
});

// Stryker: these bounds and types were held only at values far from them.
test("designs, items and carts at their limits: 1 km, 512-character names, 10 000 items or lines",
  () => {
    const item = (patch) => protocol.isDesignItem({ ...ITEM, ...patch });
    assert.equal(item({ x: 1_000_000, width: 1_000_000 }), true, "a length at the limit itself");
    assert.equal(item({ name: "x".repeat(512) }), true);
    for (const patch of [{ name: "x".repeat(513) }, { name: ["Base 60"] }, { unitPrice: Infinity },
      { x: "0" }, { width: "600" }]) {
      assert.equal(item(patch), false, JSON.stringify(patch));
    }
    const design = (patch) => protocol.isDesign({ ...DESIGN, ...patch });
    assert.equal(design({ name: "x".repeat(512) }), true);
    assert.equal(design({ items: Array(10_000).fill(ITEM) }), true);
    for (const patch of [{ name: "x".repeat(513) }, { name: ["Kitchen"] },
      { items: Array(10_001).fill(ITEM) }, { total: { amount: 1, currency: ["EUR"] } },
      { total: { amount: 1, currency: "EURO" } }, { total: { amount: 1, currency: "1EUR" } },
      { total: { amount: Infinity, currency: "EUR" } }]) {
      assert.equal(design(patch), false, JSON.stringify(patch).slice(0, 80));
    }
    const LINE = VALID.AddToCart.lines[0];
    const cart = (patch) => protocol.isAddToCart(
      { event: "AddToCart", content: { ...VALID.AddToCart, ...patch } });
    const line = (patch) => cart({ lines: [{ ...LINE, ...patch }] });
    assert.equal(line({ name: "x".repeat(512) }), true);
    assert.equal(cart({ lines: Array(10_000).fill(LINE) }), true);
    assert.equal(cart({ lines: [] }), true, "an empty cart is still a cart");
    for (const [what, ok] of [
      ["a line's name 513 long", line({ name: "x".repeat(513) })],
      ["a line's name not a string", line({ name: ["Base 60"] })],
      ["a line without catalogId", line({ catalogId: undefined })],
      ["a line that is not an object", cart({ lines: [null] })],
      ["one bad line among good ones", cart({ lines: [LINE, { ...LINE, quantity: 0 }] })],
      ["10 001 lines", cart({ lines: Array(10_001).fill(LINE) })],
      ["lines not an array", cart({ lines: "Base 60" })],
      ["an empty designId", cart({ designId: "" })],
      ["a numeric designId", cart({ designId: 7 })],
      ["no total", cart({ total: undefined })],
    ]) {
      assert.equal(ok, false, what);
    }
  });
