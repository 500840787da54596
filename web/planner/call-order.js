// @ts-check
/**
 * The order of the token keeper's calls: when each may be sent, and when each completes
 * (docs/reference.md, "Planner app and the bridge messages").
 *
 * - A PUT/PATCH/DELETE is held (not sent, not yet routed) until every earlier call to its path
 *   has its final outcome, so the server applies one resource's changes in call order; other
 *   calls (reads, creates, other assets) go out at once (resource-order.js says why). A held call
 *   goes back to the keeper when released: sent, queued for a token, or failed (its #release).
 * - Calls complete (their promises settle) in the order they were made, whatever order their
 *   answers come in: a call whose 401 comes back after the new token arrived, and is replayed
 *   after later calls went out, still completes before them. Sending stays concurrent (but for
 *   the same-resource writes above); completion waits for the earlier calls' outcomes (the
 *   sender reads whole answers, bodies included, so the order covers the caller's result too).
 *   The price: a slow answer holds back the calls made after it (and, for a write, the later
 *   writes of its asset). So every request has a deadline (`requestTimeoutMs`, 30 s): then it
 *   is aborted and fails with NetworkTimeout, and the calls behind it go on (request-timeout.js).
 */
import { ResourceOrder } from "./resource-order.js";

/**
 * @typedef {import("./token-keeper.js").CallRequest} CallRequest
 * @typedef {import("./token-keeper.js").Call} Call
 * @typedef {import("./token-keeper.js").Outcome} Outcome
 * @typedef {import("./token-keeper.js").Answer} Answer
 */

export class CallOrder {
  /** Calls held behind earlier calls to the same resource. */
  /** @type {Set<Call>} */ #held = new Set();
  /** @type {ResourceOrder<Outcome>} */ #resources = new ResourceOrder();
  /** Settles when the last call made so far has its outcome: the next call completes after it. */
  /** @type {Promise<unknown>} */ #completed = Promise.resolve();
  #seq = 0;

  /** @param {(call: Call, outcomes: Outcome[]) => void} release  a held call's turn has come;
   *   `outcomes` are those of the earlier calls it waited for */
  constructor(release) {
    this.release = release;
  }

  /** How many calls are held. */
  get held() {
    return this.#held.size;
  }

  /**
   * A new call, numbered in call order: its completion, and whether it is held behind earlier
   * calls to its resource (release() gets it back) or may go now.
   * @param {CallRequest} request @param {string | null} identityKey  the identity it is made under
   * @returns {{call: Call, completion: Promise<Answer>, held: boolean}}
   */
  enter(request, identityKey) {
    /** @type {(outcome: Outcome) => void} */
    let finish = () => {};
    /** @type {Promise<Outcome>} */
    const outcome = new Promise((resolve) => { finish = resolve; });
    const completion = this.#completion(outcome);
    /** @type {Call} */
    const call = { seq: ++this.#seq, request, identityKey, replayed: false, finish };
    return { call, completion, held: this.#hold(call, outcome) };
  }

  /**
   * A new call's answer (or error), once every earlier call has completed.
   * @param {Promise<Outcome>} outcome  the call's own @returns {Promise<Answer>}
   */
  #completion(outcome) {
    const turn = this.#completed.then(() => outcome);
    this.#completed = turn;
    return turn.then(({ answer, error }) => {
      if (error) throw error; // thrown, not a rejected promise: that would settle two ticks late
      return /** @type {Answer} */ (answer);
    });
  }

  /**
   * Hold a new call behind the earlier calls to its resource, if it must wait for any: true when
   * held, false when it may go now.
   * @param {Call} call @param {Promise<Outcome>} outcome  the call's own
   */
  #hold(call, outcome) {
    const earlier = this.#resources.enter(call.request, outcome);
    if (earlier.length === 0) return false;
    this.#held.add(call);
    void Promise.all(earlier).then((outcomes) => {
      if (this.#held.delete(call)) this.release(call, outcomes); // else its identity went
    });
    return true;
  }

  /**
   * Take out, and return, the held calls `stale` picks (an identity switch fails them).
   * @param {(call: Call) => boolean} stale @returns {Call[]}
   */
  drop(stale) {
    const dropped = [...this.#held].filter(stale);
    for (const call of dropped) this.#held.delete(call);
    return dropped;
  }
}
