// @ts-check
/**
 * The planner's token keeper: the one current token (in memory only), its lifetime counted from
 * arrival, and every web-service call made while no valid token is at hand (docs/reference.md,
 * "Planner app and the bridge messages"). Rules it keeps, each explained where it is kept:
 * - a token's lifetime counts from its arrival, on two clocks, and the next one is asked for a
 *   little before it ends (held-token.js);
 * - calls made without a valid token wait in call order and share one ask (AuthenticationRequired
 *   before any token, TokenExpired after), until a token or the deadline ends it (token-wait.js);
 * - a 401 kills the token; the call is replayed once, with the same request and Idempotency-Key;
 * - one resource's writes go out in call order, every call completes in call order, and every
 *   request has a deadline (call-order.js, request-timeout.js);
 * - a call is bound to the identity it was made under, and fails if that changes while it waits
 *   (call-identity.js).
 * Everything outside (clock, timers, HTTP, the host) is injected, so node tests drive it.
 */
import { DEFAULT_ANSWER_DEADLINE_MS, PlannerBridgeError, PlannerEvent } from "../sdk/protocol.js";
import { DEFAULT_REQUEST_TIMEOUT_MS, timedSender } from "./request-timeout.js";
import { CallIdentity, identityChanged } from "./call-identity.js";
import { CallOrder } from "./call-order.js";
import { Emitter } from "./emitter.js";
import { HeldToken } from "./held-token.js";
import { TokenWait } from "./token-wait.js";

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * @typedef {import("./held-token.js").Identity} Identity
 * @typedef {{method: string, path: string, body?: unknown, idempotencyKey?: string}} CallRequest
 * @typedef {{status: number}} Answer
 * @typedef {{answer?: Answer, error?: Error}} Outcome
 * @typedef {{seq: number, request: CallRequest, identityKey: string | null, replayed: boolean,
 *   finish: (outcome: Outcome) => void}} Call
 * @typedef {{
 *   send: (request: CallRequest, token: string, signal: AbortSignal) => Promise<Answer>,
 *   now?: () => number,
 *   wallNow?: () => number,
 *   setTimer?: (fn: () => void, ms: number) => unknown,
 *   clearTimer?: (handle: unknown) => void,
 *   newKey?: () => string,
 *   answerDeadlineMs?: number,
 *   requestTimeoutMs?: number,
 * }} KeeperOptions
 */

export class TokenKeeper {
  /** @type {HeldToken | null} */ #token = null;
  #identity = new CallIdentity();
  /** The calls waiting for a token, and the ask they share. */
  /** @type {TokenWait} */ #wait;
  /** When each call may be sent, and when it completes. */
  #order = new CallOrder((call, outcomes) => this.#release(call, outcomes));
  #events = new Emitter();
  /** @type {Array<(token: string) => void>} */ #tokenWaiters = [];

  /** @param {KeeperOptions} options */
  constructor(options) {
    this.now = options.now ?? (() => performance.now()); // monotonic; may pause in suspend
    this.wallNow = options.wallNow ?? (() => Date.now()); // runs through suspend; may jump
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(/** @type {any} */ (h)));
    this.newKey = options.newKey ?? (() => crypto.randomUUID());
    this.answerDeadlineMs = options.answerDeadlineMs ?? DEFAULT_ANSWER_DEADLINE_MS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.send = timedSender({ send: options.send, timeoutMs: this.requestTimeoutMs,
      setTimer: this.setTimer, clearTimer: this.clearTimer });
    this.#wait = new TokenWait({ deadlineMs: this.answerDeadlineMs, setTimer: this.setTimer,
      clearTimer: this.clearTimer, timedOut: (error, failed) => this.#timedOut(error, failed) });
  }

  /** Events: "ask" {event, reason}, "confirmed" {identity}, "rejected" {identity, reason},
   * "identity" {identity}, "error" PlannerBridgeError, "change" (state). Returns an unsubscribe.
   * @param {string} name @param {(detail: any) => void} listener */
  on(name, listener) {
    return this.#events.on(name, listener);
  }

  get state() {
    return {
      identity: this.#token?.identity ?? null,
      waiting: this.#wait.size,
      held: this.#order.held,
      asking: this.#wait.asking,
      valid: this.#usable(),
    };
  }

  /**
   * Make a web-service call; writes get their Idempotency-Key now, so a replay reuses it.
   * @param {CallRequest} request
   * @returns {Promise<Answer>}
   */
  call(request) {
    const sent = { ...request, method: request.method.toUpperCase() };
    if (WRITE_METHODS.has(sent.method) && !sent.idempotencyKey) sent.idempotencyKey = this.newKey();
    const { call, completion, held } = this.#order.enter(sent, this.#identity.key);
    if (held) this.#events.emit("change", this.state);
    else this.#route(call);
    return completion;
  }

  /**
   * A held call's turn: it is routed (sent, or put to wait for a token). One held behind a call
   * that failed with TokenRefreshTimeout fails with it while there is still no token: it waited
   * through the same unanswered episode, and routing it would open another.
   * @param {Call} call @param {Outcome[]} outcomes  the earlier calls'
   */
  #release(call, outcomes) {
    const timedOut = outcomes.map((o) => o.error)
      .find((e) => e instanceof PlannerBridgeError && e.code === "TokenRefreshTimeout");
    if (timedOut && !this.#usable()) call.finish({ error: timedOut });
    else this.#route(call);
    this.#events.emit("change", this.state);
  }

  /**
   * A token from the host (Authentication, Login, TokenRefreshed, Logout).
   * @param {{token: string, expiresIn: number, identity: Identity}} delivery
   */
  accept({ token, expiresIn, identity }) {
    this.#token?.disarm();
    const held = this.#token = new HeldToken({ value: token, expiresIn, identity }, this);
    if (held.key !== this.#identity.key) this.#switchIdentity(held.key, identity);
    this.#wait.close();
    held.arm({ refreshDue: () => this.#refreshDue(held), ended: () => this.wake() });
    this.#flush();
    for (const wake of this.#tokenWaiters.splice(0)) wake(token);
    this.#events.emit("change", this.state);
  }

  /** The first ask, at start-up (the host link has just posted Ready). */
  start() {
    this.#ask("start");
  }

  /** The identity of the current token (kept after it expires), or null before any. */
  get identity() {
    return this.#token?.identity ?? null;
  }

  /** Re-check expiry by elapsed time: timers do not run while a device sleeps. (Calls waiting
   * need nothing here: a call only waits while an ask is running.) */
  wake() {
    const token = this.#token;
    if (!token) return;
    if (!token.refreshAsked && token.refreshDue()) this.#refreshDue(token);
    this.#events.emit("change", this.state);
  }

  /**
   * A usable token for the live channel; waits for the next one if there is none.
   * @returns {Promise<string>}
   */
  whenToken() {
    const token = this.#token;
    if (token && this.#usable()) return Promise.resolve(token.value);
    return new Promise((resolve) => this.#tokenWaiters.push(resolve));
  }

  /** The live channel was refused this token (close 4401 / token_expired): same as a 401.
   * @param {string} value */
  tokenRejected(value) {
    const token = this.#token;
    if (token && token.value === value) this.#kill(token);
    if (!this.#usable()) this.#ask("invalid_token");
  }

  /** @param {Call} call */
  #route(call) {
    // A call made before any identity was bound to the first one when it arrived (#switchIdentity).
    if (call.identityKey !== this.#identity.key) {
      call.finish({ error: identityChanged() });
    } else if (this.#usable() && this.#wait.size === 0) {
      this.#settle(call, this.#attempt(call));
    } else {
      this.#wait.add(call);
      this.#events.emit("change", this.state);
      this.#ask(this.#token?.dead ? "invalid_token" : "expired");
    }
  }

  // Waiting calls go out together, in call order; call() makes them complete in call order.
  #flush() {
    for (const call of this.#wait.takeAll()) this.#settle(call, this.#attempt(call));
  }

  /**
   * Send once; null means the call went back to waiting (its token was refused).
   * @param {Call} call
   * @returns {Promise<Outcome | null>}
   */
  async #attempt(call) {
    const token = /** @type {HeldToken} */ (this.#token);
    try {
      const answer = await this.send(call.request, token.value);
      if (answer.status !== 401) {
        if (answer.status < 500) this.#confirm(token);
        return { answer };
      }
      this.#kill(token);
      if (call.replayed) return { error: rejectedToken() };
      call.replayed = true;
      this.#route(call);
      return null;
    } catch (error) {
      if (error instanceof PlannerBridgeError) return { error }; // NetworkTimeout
      return { error: new PlannerBridgeError("NetworkError", String(error)) };
    }
  }

  /** @param {Call} call @param {Promise<Outcome | null>} outcome */
  async #settle(call, outcome) {
    const result = await outcome;
    if (result) call.finish(result);
  }

  #usable() {
    return !!this.#token?.usable();
  }

  /** @param {string} reason */
  #ask(reason) {
    if (!this.#wait.open()) return; // one ask per episode (token-wait.js)
    const event = this.#identity.key === null ? PlannerEvent.AuthenticationRequired
      : PlannerEvent.TokenExpired;
    this.#events.emit("ask", { event, reason });
    this.#events.emit("change", this.state);
  }

  /** The answer deadline passed; `failed`, the calls that waited, have failed with `error`.
   * @param {PlannerBridgeError} error @param {Call[]} failed */
  #timedOut(error, failed) {
    // an unanswered early ask harms nobody
    if (failed.length > 0) this.#events.emit("error", error);
    this.#events.emit("change", this.state);
  }

  /** @param {string} key @param {Identity} identity */
  #switchIdentity(key, identity) {
    const first = this.#identity.key === null;
    // A waiting or held call is bound to the previous identity, or (made before any) to none.
    const isStale = this.#identity.switchTo(key);
    const stale = [...this.#wait.drop(isStale), ...this.#order.drop(isStale)];
    for (const call of stale) call.finish({ error: identityChanged() });
    if (!first) this.#events.emit("identity", { identity });
  }

  /** @param {HeldToken} token */
  #confirm(token) {
    if (!this.#identity.confirms(token)) return;
    this.#events.emit("confirmed", { identity: token.identity });
  }

  /** @param {HeldToken} token */
  #kill(token) {
    if (token.dead) return;
    token.dead = true;
    if (token !== this.#token) return; // an older token, already replaced
    token.disarm();
    if (this.#identity.rejects(token)) {
      this.#events.emit("rejected", { identity: token.identity, reason: "invalid_token" });
    }
  }

  /** For the current token only: its own timer (cleared once it is replaced) or wake().
   * @param {HeldToken} token */
  #refreshDue(token) {
    if (token.refreshAsked || token.dead) return;
    token.refreshAsked = true;
    this.#ask(this.#usable() ? "expiring" : "expired"); // late (the device slept): say so
  }
}

function rejectedToken() {
  return new PlannerBridgeError("invalid_token", "the new token was refused too", { status: 401 });
}
