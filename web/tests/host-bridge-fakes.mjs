// A HostBridge on test doubles, shared by the SDK's node tests: a planner window that records
// what is posted to it, a fetchToken whose answers the test releases one by one, a manual clock.
import { HostBridge } from "../sdk/planner-bridge.js";
import { FakeClock } from "./fakes.mjs";

export const PLANNER = "http://127.0.0.1:8001";

/** A stand-in for the iframe's window: records what is posted to it, and where. */
export class FrameWindow {
  posted = [];
  postMessage(data, targetOrigin) {
    this.posted.push({ event: data.event, content: data.content, targetOrigin });
  }
}

/** `answers`: what each fetchToken call resolves to (an Error: rejects), once released. */
export function setUpBridge(answers, options = {}) {
  const frame = new FrameWindow();
  const fetches = [];
  const requests = []; // what each fetchToken call was given
  const fetchToken = (...args) => {
    requests.push(args);
    const answer = answers.shift();
    let release;
    const promise = new Promise((resolve, reject) => {
      release = () => (answer instanceof Error ? reject(answer) : resolve(answer));
    });
    fetches.push(release);
    return promise;
  };
  // A manual clock: an unanswered fetch's deadline must not keep node's event loop (and every
  // mutation-testing run) waiting 30 s for a real timer.
  const clock = new FakeClock();
  const bridge = new HostBridge({ plannerOrigin: PLANNER, frameWindow: () => frame, fetchToken,
    setTimer: clock.setTimer, clearTimer: clock.clearTimer, ...options });
  const from = (event, content = {}, origin = PLANNER, source = frame) =>
    bridge.receive({ origin, source, data: { event, content } });
  return { frame, fetches, requests, bridge, from, clock };
}

export const shopToken = (n = 1) => ({ kind: "legal_entity", token: `shop-${n}`, expiresIn: 60 });
export const aliceToken = (n = 1) => ({ kind: "user", token: `alice-${n}`, expiresIn: 60,
  user: { id: "alice", name: "Alice" } });
