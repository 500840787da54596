// @ts-check
/**
 * One token the planner holds, and how long it lives (docs/reference.md, "Planner app and the
 * bridge messages").
 *
 * - Lifetime = `expiresIn` counted from arrival; the token's `exp` is never read.
 * - Elapsed time is the larger of two counts since arrival: the monotonic clock's
 *   (performance.now(), immune to wall-clock changes, but in Chromium on Linux/macOS it may stop
 *   while the system is suspended) and the wall clock's (Date.now(), which runs on through
 *   suspend). Taking the larger errs towards asking early: a wall clock set back changes
 *   nothing, one set forward costs at most an early TokenExpired, while a missed suspend would
 *   send an expired token.
 * - The next token is asked for min(60 s, 10 % of the lifetime) before expiry. Its two timers (the
 *   next token due, this one ended) are set at arrival; timers do not run while a device sleeps,
 *   so the keeper's wake() checks elapsed time again.
 */

const MAX_EARLY_REFRESH_MS = 60_000;

/**
 * @typedef {{kind: "legal_entity"} | {kind: "user", user: {id: string, name: string}}} Identity
 * @typedef {{now: () => number, wallNow: () => number,
 *   setTimer: (fn: () => void, ms: number) => unknown,
 *   clearTimer: (handle: unknown) => void}} Clocks  the keeper's clocks and timers
 */

/** @param {Identity} identity */
export function identityKey(identity) {
  return identity.kind === "user" ? `user:${identity.user.id}` : identity.kind;
}

export class HeldToken {
  dead = false; // refused by the web services (a 401): never sent again
  refreshAsked = false; // the next token was asked for
  /** @type {unknown[]} */ #timers = [];

  /**
   * @param {{value: string, expiresIn: number, identity: Identity}} delivery
   * @param {Clocks} clocks
   */
  constructor({ value, expiresIn, identity }, clocks) {
    this.value = value;
    this.identity = identity;
    this.key = identityKey(identity);
    this.clocks = clocks;
    this.arrivedAt = clocks.now();
    this.arrivedAtWall = clocks.wallNow();
    this.lifetimeMs = expiresIn * 1000;
    /** How long after arrival to ask for the next token. */
    this.refreshAfterMs = this.lifetimeMs - Math.min(MAX_EARLY_REFRESH_MS, this.lifetimeMs / 10);
  }

  /** Time since arrival: the larger of the two clocks' counts (see the module). */
  elapsed() {
    return Math.max(this.clocks.now() - this.arrivedAt, this.clocks.wallNow() - this.arrivedAtWall);
  }

  usable() {
    return !this.dead && this.elapsed() < this.lifetimeMs;
  }

  refreshDue() {
    return this.elapsed() >= this.refreshAfterMs;
  }

  /** At arrival (nothing elapsed yet); disarm() clears them (a newer token, or a 401).
   * @param {{refreshDue: () => void, ended: () => void}} on */
  arm({ refreshDue, ended }) {
    this.#timers.push(this.clocks.setTimer(refreshDue, this.refreshAfterMs));
    this.#timers.push(this.clocks.setTimer(ended, this.lifetimeMs));
  }

  disarm() {
    for (const handle of this.#timers.splice(0)) this.clocks.clearTimer(handle);
  }
}
