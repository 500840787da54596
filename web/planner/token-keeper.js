// @ts-check
/**
 * The planner's token keeper: the one current token (in memory only), its lifetime counted from
 * arrival, and every web-service call made while no valid token is at hand (docs/reference.md,
 * "Planner app and the bridge messages").
 *
 * Rules it keeps:
 * - a token's lifetime is counted from its arrival, on two clocks, and the next one is asked for
 *   a little before it ends (held-token.js);
 * - calls made without a valid token wait in call order, and share one ask (AuthenticationRequired
 *   before any token, TokenExpired after) until a token or the answer deadline (TokenRefreshTimeout)
 *   ends the episode (token-wait.js);
 * - a 401 kills the token; the call is replayed once, with the same request and Idempotency-Key;
 * - a PUT/PATCH/DELETE is held (not sent, not yet routed) until every earlier call to its path
 *   has its final outcome, so the server applies one resource's changes in call order; other
 *   calls (reads, creates, other assets) go out at once (resource-order.js says why). A held
 *   call is routed when released: sent, or queued for a token. One held behind a call that
 *   failed with TokenRefreshTimeout fails with it while there is still no token: it waited
 *   through the same unanswered episode, and routing it would open another;
 * - calls complete (their promises settle) in the order they were made, whatever order their
 *   answers come in: a call whose 401 comes back after the new token arrived, and is replayed
 *   after later calls went out, still completes before them. Sending stays concurrent (but for
 *   the same-resource writes above); completion waits for the earlier calls' outcomes (the
 *   sender reads whole answers, bodies included, so the order covers the caller's result too).
 *   The price: a slow answer holds back the calls made after it (and, for a write, the later
 *   writes of its asset). So every request has a deadline (`requestTimeoutMs`, 30 s): then it
 *   is aborted and fails with NetworkTimeout, and the calls behind it go on (request-timeout.js);
 * - every call is bound to the identity it was made under (the first identity to arrive, for
 *   calls made before any): when the identity changes (login, logout, user switch) the calls
 *   still waiting under the old one fail with IdentityChanged and are never sent.
 * Everything outside (clock, timers, HTTP, the host) is injected, so node tests drive it.
 */
import { DEFAULT_ANSWER_DEADLINE_MS, PlannerBridgeError, PlannerEvent } from "../sdk/protocol.js";
import { DEFAULT_REQUEST_TIMEOUT_MS, timedSender } from "./request-timeout.js";
import { ResourceOrder } from "./resource-order.js";
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
  /** @type {string | null} */ #identityKey = null;
  /** @type {string | null} */ #confirmedKey = null;
  /** The calls waiting for a token, and the ask they share. */
  /** @type {TokenWait} */ #wait;
  /** Calls held behind earlier calls to the same resource (see the module's comment). */
  /** @type {Set<Call>} */ #held = new Set();
  /** @type {ResourceOrder<Outcome>} */ #order = new ResourceOrder();
  /** Settles when the last call made so far has its outcome: the next call completes after it. */
  /** @type {Promise<unknown>} */ #completed = Promise.resolve();
  #seq = 0;
  /** @type {unknown[]} */ #timers = [];
  /** @type {Map<string, Set<(detail: any) => void>>} */ #listeners = new Map();
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
    let listeners = this.#listeners.get(name);
    if (!listeners) this.#listeners.set(name, listeners = new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** @param {string} name @param {unknown} [detail] */
  #emit(name, detail) {
    for (const listener of this.#listeners.get(name) ?? []) listener(detail);
  }

  get state() {
    return {
      identity: this.#token?.identity ?? null,
      waiting: this.#wait.size,
      held: this.#held.size,
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
    /** @type {(outcome: Outcome) => void} */
    let finish = () => {};
    /** @type {Promise<Outcome>} */
    const outcome = new Promise((resolve) => { finish = resolve; });
    const completion = this.#afterEarlierCalls(outcome);
    /** @type {Call} */
    const call = { seq: ++this.#seq, request: sent, identityKey: this.#identityKey,
      replayed: false, finish };
    const earlier = this.#order.enter(sent, outcome);
    if (earlier.length === 0) this.#route(call);
    else this.#hold(call, earlier);
    return completion;
  }

  /** @param {Call} call @param {Promise<Outcome>[]} earlier */
  #hold(call, earlier) {
    this.#held.add(call);
    void Promise.all(earlier).then((outcomes) => this.#release(call, outcomes));
    this.#emit("change", this.state);
  }

  /** @param {Call} call @param {Outcome[]} outcomes  the earlier calls' */
  #release(call, outcomes) {
    if (!this.#held.delete(call)) return; // already failed: its identity went
    const timedOut = outcomes.map((o) => o.error)
      .find((e) => e instanceof PlannerBridgeError && e.code === "TokenRefreshTimeout");
    if (timedOut && !this.#usable()) call.finish({ error: timedOut });
    else this.#route(call);
    this.#emit("change", this.state);
  }

  /**
   * The call's answer (or error), once every earlier call has completed.
   * @param {Promise<Outcome>} outcome @returns {Promise<Answer>}
   */
  #afterEarlierCalls(outcome) {
    const turn = this.#completed.then(() => outcome);
    this.#completed = turn;
    return turn.then(({ answer, error }) => {
      if (error) throw error; // thrown, not a rejected promise: that would settle two ticks late
      return /** @type {Answer} */ (answer);
    });
  }

  /**
   * A token from the host (Authentication, Login, TokenRefreshed, Logout).
   * @param {{token: string, expiresIn: number, identity: Identity}} delivery
   */
  accept({ token, expiresIn, identity }) {
    this.#clearTimers();
    this.#token = new HeldToken({ value: token, expiresIn, identity }, this);
    const key = this.#token.key;
    if (key !== this.#identityKey) this.#switchIdentity(key, identity);
    this.#wait.close();
    this.#armTimers(this.#token);
    this.#flush();
    for (const wake of this.#tokenWaiters.splice(0)) wake(token);
    this.#emit("change", this.state);
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
    this.#emit("change", this.state);
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
    if (call.identityKey !== this.#identityKey) {
      call.finish({ error: identityChanged() });
    } else if (this.#usable() && this.#wait.size === 0) {
      this.#settle(call, this.#attempt(call));
    } else {
      this.#enqueue(call);
      this.#ask(this.#token?.dead ? "invalid_token" : "expired");
    }
  }

  /** @param {Call} call */
  #enqueue(call) {
    this.#wait.add(call);
    this.#emit("change", this.state);
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
    const event = this.#identityKey === null ? PlannerEvent.AuthenticationRequired
      : PlannerEvent.TokenExpired;
    this.#emit("ask", { event, reason });
    this.#emit("change", this.state);
  }

  /** The answer deadline passed; `failed`, the calls that waited, have failed with `error`.
   * @param {PlannerBridgeError} error @param {Call[]} failed */
  #timedOut(error, failed) {
    if (failed.length > 0) this.#emit("error", error); // an unanswered early ask harms nobody
    this.#emit("change", this.state);
  }

  /** @param {string} key @param {Identity} identity */
  #switchIdentity(key, identity) {
    const previousKey = this.#identityKey;
    this.#identityKey = key;
    // A waiting or held call is bound to the previous identity, or (made before any) to none.
    const isStale = staleAfterSwitchTo(key);
    const stale = this.#wait.drop(isStale);
    for (const call of this.#held) if (isStale(call)) stale.push(call);
    for (const call of stale) this.#held.delete(call);
    for (const call of stale) call.finish({ error: identityChanged() });
    if (previousKey !== null) this.#emit("identity", { identity });
  }

  /** @param {HeldToken} token */
  #confirm(token) {
    // An answer to a call of an identity no longer held comes too late to confirm anything: the
    // host would hear of a login it has since replaced. Each identity is confirmed once.
    if (token.key !== this.#identityKey || token.key === this.#confirmedKey) return;
    this.#confirmedKey = token.key;
    this.#emit("confirmed", { identity: token.identity });
  }

  /** @param {HeldToken} token */
  #kill(token) {
    if (token.dead) return;
    token.dead = true;
    if (token !== this.#token) return; // an older token, already replaced
    this.#clearTimers();
    // A refused refresh of an identity that already worked is an expiry, not a failed login.
    if (token.key !== this.#confirmedKey) {
      this.#emit("rejected", { identity: token.identity, reason: "invalid_token" });
    }
  }

  /** At the token's arrival (nothing elapsed yet); a newer token or a 401 clears them.
   * @param {HeldToken} token */
  #armTimers(token) {
    this.#timers.push(this.setTimer(() => this.#refreshDue(token), token.refreshAfterMs));
    this.#timers.push(this.setTimer(() => this.wake(), token.lifetimeMs));
  }

  /** For the current token only: its own timer (cleared once it is replaced) or wake().
   * @param {HeldToken} token */
  #refreshDue(token) {
    if (token.refreshAsked || token.dead) return;
    token.refreshAsked = true;
    this.#ask(this.#usable() ? "expiring" : "expired"); // late (the device slept): say so
  }

  #clearTimers() {
    for (const handle of this.#timers.splice(0)) this.clearTimer(handle);
  }
}

/**
 * For a switch to the identity `key`: true for a call bound to the previous one (it fails, never
 * sent); a call made before any identity is bound to `key` instead.
 * @param {string} key @returns {(call: Call) => boolean}
 */
function staleAfterSwitchTo(key) {
  return (call) => {
    if (call.identityKey !== null) return true;
    call.identityKey = key;
    return false;
  };
}

function identityChanged() {
  return new PlannerBridgeError("IdentityChanged",
    "the call was made for another identity (login, logout or user switch) and was not sent");
}

function rejectedToken() {
  return new PlannerBridgeError("invalid_token", "the new token was refused too", { status: 401 });
}
