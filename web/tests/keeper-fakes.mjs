// A TokenKeeper on test doubles, shared by the keeper's node tests: a fake clock and server, keys
// numbered in order, and what it emitted (asks, error codes, "change" states) kept for the test.
import { TokenKeeper } from "../planner/token-keeper.js";
import { FakeClock, FakeServer } from "./fakes.mjs";

export const SHOP = { kind: "legal_entity" };
export const ALICE = { kind: "user", user: { id: "alice", name: "Alice" } };
export const BOB = { kind: "user", user: { id: "bob", name: "Bob" } };

export function setUp(options = {}) {
  const clock = new FakeClock();
  const server = new FakeServer();
  let keys = 0;
  const keeper = new TokenKeeper({ send: server.send, now: clock.now, wallNow: clock.wallNow,
    setTimer: clock.setTimer, clearTimer: clock.clearTimer, newKey: () => `key-${++keys}`, ...options });
  const asks = [];
  const errors = [];
  const changes = [];
  keeper.on("ask", (ask) => asks.push(ask));
  keeper.on("error", (error) => errors.push(error.code));
  keeper.on("change", (state) => changes.push(state));
  return { clock, server, keeper, asks, errors, changes };
}
