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
