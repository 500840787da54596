// @ts-check
/**
 * The host's token flights: each fetchToken() call in progress (a flight), which requests it
 * answers, and the message its token is posted in (Authentication, TokenRefreshed, Login or
 * Logout), so that answers are posted once each, in order, and never by a superseded fetch.
 *
 * Token requests from the planner (Ready, AuthenticationRequired, TokenExpired) share one
 * fetchToken() call while it runs (single flight), with one exception: a refused token
 * ("invalid_token") is never answered by a fetch that started without that reason, since that
 * fetch may bring back the very token that was refused. Such a request starts a new fetch with
 * reason "invalid_token" that supersedes the running one (whose answer is then not posted), and
 * later requests join it. A superseded fetch never reports an `error` (the newer one answers
 * for it). Tokens stay in memory and are never logged.
 *
 * A fetch answers only requests for its own jkt: when the planner names a new key (a reloaded
 * frame whose key could not be kept), a running fetch for the old one is superseded, as for a
 * refused token.
 */
import { HostEvent, message } from "./protocol.js";
import { fetchWithDeadline, identityOf } from "./token-fetch.js";

/** The TokenExpired reason for a token the planner web services refused. */
const REFUSED = "invalid_token";

/**
 * @typedef {import("./token-fetch.js").TokenAnswer} TokenAnswer
 * @typedef {import("./token-fetch.js").Fetcher} Fetcher
 * @typedef {import("./planner-key.js").PlannerKey} PlannerKey
 * @typedef {{needsFull: boolean, reason: string | undefined, jkt: string | undefined,
 *   quietIfSame: boolean, promise: Promise<TokenAnswer>}} Flight
 *   quietIfSame: a cross-tab resync that posts nothing when the identity did not change
 */

export class TokenFlights {
  /** @type {Flight | null} */ #flight = null; // the fetch running, if any
  /** @type {Flight | null} */ #latest = null; // the newest fetch: it supersedes older ones
  /** @type {string | null} */ #lastDelivered = null;
  /** @type {PlannerKey} */ #key;

  /**
   * @param {{key: PlannerKey, fetcher: () => Fetcher,
   *   post: (sent: import("./protocol.js").Message) => void, fail: (error: unknown) => void}} options
   *   fetcher: read as each fetch starts (the bridge's fetchToken, deadline and timers then);
   *   post: to the planner's frame; fail: tell the page of a planner request's failed fetch
   */
  constructor(options) {
    this.options = options;
    this.#key = options.key;
  }

  /** Whether a token was posted to the planner page loaded now. */
  get delivered() {
    return this.#lastDelivered !== null;
  }

  /** The planner said Ready: a (re)loaded page holds no token yet. */
  plannerReloaded() {
    this.#lastDelivered = null;
  }

  /**
   * A request from the planner (Ready and AuthenticationRequired need a full answer, TokenExpired
   * gives its reason): join the running fetch or start one, and report its failure.
   * @param {boolean} needsFull @param {string | undefined} reason
   */
  request(needsFull, reason) {
    this.#report(this.#join(needsFull, reason));
  }

  /**
   * Fetch the first token before the planner asks: posted once `after` resolves. Nothing while
   * a fetch runs or while the planner's key is unknown; a failure is not reported (Ready asks
   * again). @param {Promise<unknown>} after
   */
  prefetch(after) {
    if (this.#flight || !this.#key.known) return;
    this.#startFlight(true, undefined, false, after).promise.catch(() => {});
  }

  /** login()/logout(): a fetch that supersedes the running one; its answer is posted, and its
   * failure is theirs to throw (not reported). @returns {Promise<TokenAnswer>} */
  supersede() {
    return this.#startFlight(true, this.#inheritedReason()).promise;
  }

  /** Another tab logged in or out: a fetch that posts only if the identity changed. */
  resync() {
    this.#report(this.#startFlight(false, this.#inheritedReason(), true));
  }

  /** The bridge is gone: a fetch still running will post nothing. */
  stop() {
    this.#latest = null;
  }

  /**
   * Join the running fetch, or start one; a refused token never joins a fetch started without
   * "invalid_token" (see the module's comment).
   * @param {boolean} needsFull @param {string | undefined} reason @returns {Flight}
   */
  #join(needsFull, reason) {
    const running = this.#flight;
    if (running && running.jkt === this.#key.jkt && (reason !== REFUSED || running.reason === REFUSED)) {
      running.needsFull ||= needsFull;
      running.quietIfSame = false; // the planner asked: it gets an answer
      return running;
    }
    return this.#startFlight(needsFull || Boolean(running?.needsFull), reason);
  }

  /** login()/logout() supersede a running fetch; if that one was for a refused token, so is theirs. */
  #inheritedReason() {
    return this.#flight?.reason === REFUSED ? REFUSED : undefined;
  }

  /** A new fetch; a newer one supersedes it (login/logout must not be undone by a stale answer,
   * a refused token must not be answered by a fetch that may bring it back).
   * @param {boolean} needsFull @param {string | undefined} reason @param {boolean} [quietIfSame]
   * @param {Promise<unknown> | null} [after]  post nothing before this resolves
   * @returns {Flight} */
  #startFlight(needsFull, reason, quietIfSame = false, after = null) {
    /** @type {Flight} */
    const flight = { needsFull, reason, jkt: this.#key.jkt, quietIfSame,
      promise: Promise.resolve(/** @type {any} */ (null)) };
    this.#flight = this.#latest = flight;
    flight.promise = fetchWithDeadline(this.options.fetcher(), reason, flight.jkt).then(
      async (answer) => {
        await after;
        if (flight !== this.#latest) return answer;
        this.#flight = null;
        if (!(flight.quietIfSame && identityOf(answer) === this.#lastDelivered)) {
          this.#deliver(answer, flight.needsFull);
        }
        return answer;
      },
      (error) => {
        if (this.#flight === flight) this.#flight = null;
        throw error;
      },
    );
    return flight;
  }

  /**
   * A planner request's fetch failed: report it, unless a newer fetch superseded it (that one
   * answers the request; its failure, if any, is reported instead). A late FetchTokenTimeout of
   * a superseded fetch would otherwise show after the new token already worked.
   * @param {Flight} flight
   */
  #report(flight) {
    flight.promise.catch((error) => {
      if (flight === this.#latest) this.options.fail(error);
    });
  }

  /** @param {TokenAnswer} answer @param {boolean} needsFull */
  #deliver(answer, needsFull) {
    const key = identityOf(answer);
    const content = { token: answer.token, expiresIn: answer.expiresIn };
    let sent;
    if (!needsFull && key === this.#lastDelivered) sent = message(HostEvent.TokenRefreshed, content);
    else if (answer.kind === "user") sent = message(HostEvent.Login, { ...content, user: answer.user });
    else if (this.#lastDelivered?.startsWith("user:")) sent = message(HostEvent.Logout, content);
    else sent = message(HostEvent.Authentication, content);
    this.options.post(sent);
    this.#lastDelivered = key;
  }
}
