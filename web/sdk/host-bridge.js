// @ts-check
/**
 * The bridge's logic without the DOM (embedPlanner in planner-bridge.js puts it on a page): the
 * tokens it relays, the commands it sends, the planner's events it hears, and whether the planner
 * loaded.
 *
 * fetchToken gets `{reason, jkt}`: the planner's TokenExpired reason ("expiring", "expired",
 * "invalid_token"), undefined for Ready, AuthenticationRequired, login() and logout().
 * "invalid_token" means the planner's token was refused: the back-end must mint a new one, not
 * answer from a cache. `jkt` is the thumbprint of the planner's DPoP key (from its latest Ready
 * or TokenExpired; absent when the planner has none): the back-end puts it in its token request,
 * and the token is bound to that key (SPEC "Sender-constrained tokens").
 *
 * Token requests from the planner (Ready, AuthenticationRequired, TokenExpired) share one
 * fetchToken() call while it runs, and a newer fetch supersedes an older one: token-flights.js
 * says when. The prefetch asks with the jkt the planner named last time (`jktMemory`), so a kept
 * key costs no second fetch; when the planner has never been heard from here (the memory says
 * null), there is no prefetch: a fetch without the key would only be superseded by Ready's (or
 * refused, for an entity that requires DPoP). Tokens stay in memory and are never logged.
 *
 * Cross-tab sessions (session-channel.js): after login() or logout() succeeds, the other tabs of
 * the same site hear "Login" or "Logout" (the event name only) and each fetches its own token and
 * posts Login or Logout to its planner. `embedPlanner({..., crossTab: false})` turns it off.
 */
import {
  DEFAULT_ANSWER_DEADLINE_MS,
  PlannerBridgeError,
  PlannerEvent,
  asPlannerMessage,
} from "./protocol.js";
import { SessionChannel, SessionEvent } from "./session-channel.js";
import { CommandChannel } from "./command-channel.js";
import { LoadWatch } from "./load-check.js";
import { PlannerKey } from "./planner-key.js";
import { TokenFlights } from "./token-flights.js";

/**
 * @typedef {import("./token-fetch.js").TokenAnswer} TokenAnswer
 * @typedef {import("./token-fetch.js").FetchToken} FetchToken
 * @typedef {import("./planner-key.js").JktMemory} JktMemory
 * @typedef {{origin: string, source: unknown, data: unknown}} ReceivedMessage
 * @typedef {import("./session-channel.js").ChannelLike} ChannelLike
 */

/**
 * The bridge's logic without the DOM: trusts messages only from `plannerOrigin` and from the
 * window `frameWindow()` returns, and posts only to that window at that origin.
 */
export class HostBridge {
  #destroyed = false;
  /** @type {Map<string, Set<(content: any) => void>>} */ #handlers = new Map();
  /** @type {(value: unknown) => void} */ #resolveReady = () => {};
  /** @type {(error: Error) => void} */ #rejectReady = () => {};
  /** @type {SessionChannel | null} */ #session = null;
  #afterReady = false; // the last planner request was Ready
  /** @type {() => void} */ #plannerHeard = () => {};
  /** Resolves once the planner has spoken (Ready or AuthenticationRequired): before that, a
   * posted token would reach a page with no one listening yet. */
  #heard = new Promise((resolve) => { this.#plannerHeard = () => resolve(undefined); });
  /** @type {CommandChannel} */ #commands;
  /** @type {LoadWatch} */ #load;
  /** @type {PlannerKey} */ #key;
  /** @type {TokenFlights} */ #flights;

  /**
   * @param {{plannerOrigin: string, frameWindow: () => any, fetchToken: FetchToken,
   *   answerDeadlineMs?: number, setTimer?: (fn: () => void, ms: number) => unknown,
   *   clearTimer?: (handle: unknown) => void, sessionChannel?: ChannelLike | null,
   *   diagnose?: () => Promise<{cause: string, sure: boolean} | null>,
   *   jktMemory?: JktMemory}} options
   *   sessionChannel: where the tabs of this site tell each other of logins and logouts;
   *   jktMemory: the planner's jkt kept from one page load to the next (for the prefetch);
   *   diagnose: why the planner did not load, or null when nothing is known to be wrong
   */
  constructor(options) {
    this.plannerOrigin = options.plannerOrigin;
    this.frameWindow = options.frameWindow;
    this.fetchToken = options.fetchToken;
    this.answerDeadlineMs = options.answerDeadlineMs ?? DEFAULT_ANSWER_DEADLINE_MS;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(/** @type {any} */ (h)));
    /** Resolves when the planner reports AuthenticationSucceeded or LoginSucceeded. */
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // a destroyed bridge must not raise an unhandled rejection
    this.#key = new PlannerKey(options.jktMemory ?? { get: () => undefined, set: () => {} });
    this.#flights = new TokenFlights({ key: this.#key, post: (sent) => this.#post(sent),
      fail: (error) => this.#fail(error), fetcher: () => ({ fetchToken: this.fetchToken,
        deadlineMs: this.answerDeadlineMs, setTimer: this.setTimer, clearTimer: this.clearTimer }) });
    this.#load = new LoadWatch({ setTimer: this.setTimer, clearTimer: this.clearTimer,
      diagnose: options.diagnose ?? (async () => null), failed: (failure) => this.#loadFailed(failure) });
    this.#commands = new CommandChannel({ post: (sent) => this.#post(sent),
      deadlineMs: this.answerDeadlineMs, setTimer: this.setTimer, clearTimer: this.clearTimer });
    if (options.sessionChannel) {
      this.#session = new SessionChannel({ channel: options.sessionChannel,
        onChange: () => this.resync() });
    }
  }

  /**
   * Handle one `message` event. Returns whether it was accepted.
   * @param {ReceivedMessage} event
   */
  receive(event) {
    if (this.#destroyed || event.origin !== this.plannerOrigin) return false;
    const frame = this.frameWindow();
    if (!frame || event.source !== frame) return false;
    const received = asPlannerMessage(event.data);
    if (!received) return false;
    this.#react(received.event, received.content);
    this.#emit(received.event, received.content);
    return true;
  }

  /** @param {string} event @param {Record<string, unknown>} content */
  #react(event, content) {
    const answered = this.#answeredAlready(event);
    if (event === PlannerEvent.Ready) this.#flights.plannerReloaded();
    if (event === PlannerEvent.Ready) this.#key.named(content.jkt); // none: a planner without a key
    if (event === PlannerEvent.TokenExpired && content.jkt !== undefined) this.#key.named(content.jkt);
    if (event === PlannerEvent.Ready || event === PlannerEvent.AuthenticationRequired) {
      this.#plannerHeard();
      if (!answered) this.#flights.request(true, undefined);
    }
    if (event === PlannerEvent.TokenExpired) this.#flights.request(false, String(content.reason));
    if (event === PlannerEvent.AuthenticationSucceeded || event === PlannerEvent.LoginSucceeded) {
      this.#resolveReady(undefined);
    }
    if (event === PlannerEvent.Ready) this.#loaded();
    if (event === PlannerEvent.CommandResult) this.#commands.answer(/** @type {any} */ (content));
  }

  /**
   * Run a command in the planner (SPEC "Driving the planner"): waits, in order, for the planner's
   * Ready; rejects with the planner's error code, CommandTimeout, NotReady or Destroyed.
   * @param {string} name @param {Record<string, unknown>} [args] @returns {Promise<any>}
   */
  command(name, args = {}) {
    return this.#commands.run(name, args);
  }

  /**
   * The iframe is on its way: unless the planner says Ready within `timeoutMs`, the load failed
   * (`load-check.js`).
   * @param {number} timeoutMs
   */
  startLoading(timeoutMs) {
    if (!this.#destroyed) this.#load.start(timeoutMs);
  }

  /** The iframe fired `load` (see `LoadWatch.frameLoaded`). */
  frameLoaded() {
    this.#load.frameLoaded();
  }

  /** @param {PlannerBridgeError} failure */
  #loadFailed(failure) {
    this.#commands.failLoad();
    this.#rejectReady(failure);
    this.#fail(failure);
  }

  #loaded() {
    this.#load.stop();
    this.#commands.open();
  }

  /**
   * The planner posts AuthenticationRequired right after Ready. With a prefetched token, Ready
   * is answered at once, so that AuthenticationRequired (posted before our answer arrived) is
   * already answered too: a second fetch and handshake would only repeat the first.
   * @param {string} event
   */
  #answeredAlready(event) {
    const paired = event === PlannerEvent.AuthenticationRequired && this.#afterReady;
    this.#afterReady = event === PlannerEvent.Ready; // any other message in between: not paired
    return paired && this.#flights.delivered;
  }

  /**
   * Start fetching the first token now, while the planner page is still loading: its Ready then
   * joins this fetch instead of starting one, and the token is posted as soon as it has spoken.
   * A failure is not reported: Ready asks again.
   */
  prefetch() {
    if (!this.#destroyed) this.#flights.prefetch(this.#heard);
  }

  /** After the shop logged the user in: fetch the user token and post Login. */
  async login() {
    if (!this.#key.known) await this.#key.whenKnown(this.ready);
    this.#afterReady = false;
    const answer = await this.#flights.supersede();
    if (answer.kind !== "user") throw new PlannerBridgeError("NotLoggedIn", "fetchToken gave no user token");
    this.#session?.announce(SessionEvent.Login);
    return answer.user;
  }

  /** After the shop logged the user out: fetch the legal-entity token and post Logout. */
  async logout() {
    if (!this.#key.known) await this.#key.whenKnown(this.ready);
    this.#afterReady = false;
    const answer = await this.#flights.supersede();
    if (answer.kind !== "legal_entity") {
      throw new PlannerBridgeError("StillLoggedIn", "fetchToken still gives a user token");
    }
    this.#session?.announce(SessionEvent.Logout);
  }

  /**
   * Another tab logged in or out: ask our own back-end who we are now, and post Login or Logout
   * if that changed (nothing if it did not: this tab may have heard of it already).
   */
  resync() {
    if (this.#destroyed) return;
    this.#flights.resync();
  }

  /**
   * Subscribe to a planner message by name (or "error"); returns the unsubscribe function.
   * @param {string} event @param {(content: any) => void} handler
   */
  on(event, handler) {
    if (typeof handler !== "function") throw new PlannerBridgeError("InvalidOption", "handler must be a function");
    if (event !== "error" && !Object.hasOwn(PlannerEvent, event)) {
      throw new PlannerBridgeError("InvalidOption", `no planner event is named ${String(event)}`);
    }
    let handlers = this.#handlers.get(event);
    if (!handlers) this.#handlers.set(event, handlers = new Set());
    handlers.add(handler);
    return () => { handlers.delete(handler); };
  }

  destroy() {
    this.#destroyed = true;
    this.#flights.stop(); // a fetch still running will post nothing
    this.#handlers.clear();
    this.#session?.close();
    this.#load.stop();
    this.#commands.destroy();
    this.#rejectReady(new PlannerBridgeError("Destroyed", "the planner was removed"));
  }

  /** @param {{event: string, content: Record<string, unknown>}} sent */
  #post(sent) {
    const frame = this.frameWindow();
    if (!this.#destroyed && frame) frame.postMessage(sent, this.plannerOrigin); // never "*"
  }

  /** Tell the page of a failure it did not ask about: the `error` event, or the console.
   * @param {unknown} error */
  report(error) {
    if (!this.#destroyed) this.#fail(error);
  }

  /** @param {unknown} error */
  #fail(error) {
    const failure = error instanceof PlannerBridgeError ? error
      : new PlannerBridgeError("FetchTokenFailed", "fetchToken failed");
    if (this.#handlers.get("error")?.size) this.#emit("error", failure);
    else console.warn(`planner-bridge: ${failure.code}: ${failure.message}`);
  }

  /** @param {string} event @param {unknown} content */
  #emit(event, content) {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) {
      try {
        handler(content);
      } catch (error) {
        queueMicrotask(() => { throw error; }); // one broken handler must not stop the others
      }
    }
  }
}

