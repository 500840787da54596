// @ts-check
/**
 * The calls waiting for a token, and the one ask they share: an ask episode (docs/reference.md,
 * "Planner app and the bridge messages"). The token keeper puts a call here when it has no valid
 * token to send it with (or earlier calls still wait), and posts an ask only when open() says an
 * episode began.
 *
 * - Calls wait in call order: a call refused with a 401 comes back to its own place, ahead of the
 *   calls made after it.
 * - One ask per episode (AuthenticationRequired before any token, TokenExpired after), however
 *   many calls wait.
 * - An episode ends when a token arrives (the keeper then sends every waiting call at once, in
 *   call order) or when the answer deadline passes: the waiting calls then fail with
 *   TokenRefreshTimeout, and the next call asks again. An ask no call waited for (at start-up,
 *   or a refresh asked a little before expiry) harms nobody when unanswered: no error is reported.
 * - A call waits only while an ask is running (the keeper asks whenever it puts one here), so a
 *   device waking from sleep needs nothing here.
 */
import { PlannerBridgeError } from "../sdk/protocol.js";

/**
 * @typedef {import("./token-keeper.js").Call} Call
 * @typedef {{
 *   deadlineMs: number,
 *   setTimer: (fn: () => void, ms: number) => unknown,
 *   clearTimer: (handle: unknown) => void,
 *   timedOut: (error: PlannerBridgeError, failed: Call[]) => void,
 * }} TokenWaitOptions
 */

export class TokenWait {
  /** @type {Call[]} */ #calls = [];
  #asking = false;
  /** @type {unknown} */ #deadline = null;

  /** @param {TokenWaitOptions} options  timedOut: told after the deadline failed the calls */
  constructor({ deadlineMs, setTimer, clearTimer, timedOut }) {
    this.deadlineMs = deadlineMs;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.timedOut = timedOut;
  }

  /** How many calls wait. */
  get size() {
    return this.#calls.length;
  }

  /** Whether an ask is running (its answer deadline not yet passed). */
  get asking() {
    return this.#asking;
  }

  /** Begin an episode unless one is running; true when it began (then, and only then, ask). */
  open() {
    if (this.#asking) return false;
    this.#asking = true;
    this.#deadline = this.setTimer(() => this.#deadlinePassed(), this.deadlineMs);
    return true;
  }

  /** A token arrived: the episode (if any) ends, its deadline with it. */
  close() {
    this.clearTimer(this.#deadline); // null, when no ask is running: clearTimeout ignores it
    this.#deadline = null;
    this.#asking = false;
  }

  /** @param {Call} call */
  add(call) {
    let at = this.#calls.length;
    while (at > 0 && this.#calls[at - 1].seq > call.seq) at -= 1; // a replay keeps its place
    this.#calls.splice(at, 0, call);
  }

  /** Every waiting call, in call order; none waits any more. */
  takeAll() {
    return this.#calls.splice(0);
  }

  /**
   * Take out, and return, the waiting calls `stale` picks (an identity switch fails them).
   * @param {(call: Call) => boolean} stale @returns {Call[]}
   */
  drop(stale) {
    const dropped = this.#calls.filter(stale);
    this.#calls = this.#calls.filter((c) => !dropped.includes(c));
    return dropped;
  }

  #deadlinePassed() {
    this.#deadline = null;
    this.#asking = false;
    const error = new PlannerBridgeError("TokenRefreshTimeout",
      `no token arrived within ${this.deadlineMs} ms`);
    const failed = this.#calls.splice(0);
    for (const call of failed) call.finish({ error });
    this.timedOut(error, failed);
  }
}
