// @ts-check
/**
 * The deadline of one web-service request. The token keeper settles calls in call order and
 * holds a write behind earlier calls to its asset, so one answer that never comes (a stalled
 * connection or proxy) would hold back every later call for good: their promises would never
 * settle, later writes of that asset would never be sent, and IdentityChanged or
 * TokenRefreshTimeout would never reach the callers behind it. So every request gets a deadline:
 * when it passes, the request is aborted (its signal goes to fetch, which drops the connection
 * and stops reading the body) and the call fails with NetworkTimeout.
 *
 * The outcome does not depend on the sender honouring the signal: the deadline settles the
 * request itself, and a late answer is ignored. The timer is the keeper's injected one, so node
 * tests drive it with the fake clock. A write that timed out may still have reached the server
 * (the caller cannot know; its Idempotency-Key makes a retry harmless); a write of the same asset
 * held behind it is sent once it failed, as after any other failure.
 */
import { PlannerBridgeError } from "../sdk/protocol.js";

/** Long enough for a slow mobile link and a 5 000-asset page; short enough to free the queue. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * @template A
 * @typedef {(request: import("./token-keeper.js").CallRequest, token: string,
 *   signal: AbortSignal) => Promise<A>} Sender
 */

/**
 * `send` with a deadline per request (each replay gets its own).
 * @template A
 * @param {{send: Sender<A>, timeoutMs: number, setTimer: (fn: () => void, ms: number) => unknown,
 *   clearTimer: (handle: unknown) => void}} options
 * @returns {(request: import("./token-keeper.js").CallRequest, token: string) => Promise<A>}
 */
export function timedSender({ send, timeoutMs, setTimer, clearTimer }) {
  return (request, token) => new Promise((resolve, reject) => {
    const controller = new AbortController();
    const timer = setTimer(() => {
      reject(networkTimeout(request, timeoutMs)); // first: the abort may reject `send` too
      controller.abort();
    }, timeoutMs);
    // Wrapped so that a sender throwing at once still clears its timer.
    new Promise((sent) => sent(send(request, token, controller.signal))).then(resolve, reject)
      .finally(() => clearTimer(timer));
  });
}

/** @param {{method: string, path: string}} request @param {number} timeoutMs */
function networkTimeout(request, timeoutMs) {
  return new PlannerBridgeError("NetworkTimeout",
    `${request.method} ${request.path.split("?", 1)[0]} had no answer within ${timeoutMs} ms`);
}
