// @ts-check
/**
 * The planner's side of the bridge: which window and origin it talks to, what it accepts from
 * there, and which messages it posts when the token keeper asks for or confirms a token.
 *
 * Trust: a message counts only if it comes from `window.parent` AND from one of the entity's
 * registered origins (the page's config) AND passes the protocol guard. The parent's origin is
 * taken from `location.ancestorOrigins` (Chromium) or `document.referrer`; when neither says,
 * messages are posted to each registered origin, which is still safe: the browser delivers a
 * message only if the target origin matches. The first trusted message pins the origin.
 *
 * AuthenticationSucceeded / LoginSucceeded are posted when a call made with the new identity's
 * token succeeds (the token keeper's "confirmed"), not on mere receipt; AuthenticationFailed /
 * LoginFailed when the service refuses such a token before it ever worked. Loaded is posted once
 * per page, when the planner is both drawn (the app says so: its first listing, the catalog, is
 * shown) and authenticated (a call with the token succeeded).
 *
 * A Command from the host is run by `runCommand` (commands.js) and answered with one
 * CommandResult carrying its id: the value, or the error's code and message.
 */
import {
  CommandError, CommandName, HostEvent, PlannerEvent, PROTOCOL_VERSION, PlannerBridgeError,
  asHostMessage, message,
} from "../sdk/protocol.js";

// CommandResult's error message is bounded by its guard; a longer one is cut, never refused.
const MAX_ERROR_MESSAGE = 512;

/** @typedef {(name: string, args: Record<string, unknown>) => Promise<unknown>} RunCommand */

/** @type {RunCommand} */
const noCommands = async (name) => {
  throw new PlannerBridgeError(CommandError.UnknownCommand, `${name}: this planner runs no commands`);
};

/** @param {unknown} error @returns {{code: string, message: string}} */
function errorOf(error) {
  const { code, message: text } = /** @type {{code?: unknown, message?: unknown}} */ (error ?? {});
  return {
    code: typeof code === "string" && code ? code : "PlannerError",
    message: (typeof text === "string" ? text : String(error)).slice(0, MAX_ERROR_MESSAGE),
  };
}

/**
 * The parent's origin if it is registered, else null.
 * @param {{registered: string[], ancestorOrigins?: ArrayLike<string> | null, referrer?: string}} where
 */
export function pickParentOrigin({ registered, ancestorOrigins, referrer }) {
  let origin = ancestorOrigins?.[0];
  if (!origin && referrer) {
    try {
      origin = new URL(referrer).origin;
    } catch {
      // a referrer that is not a URL names no origin: `origin` stays empty
    }
  }
  return origin && registered.includes(origin) ? origin : null;
}

export class HostLink {
  /**
   * @param {{parent: {postMessage: (m: unknown, origin: string) => void}, registered: string[],
   *   parentOrigin: string | null, entity: string,
   *   keeper: import("./token-keeper.js").TokenKeeper, jkt?: string | null,
   *   onRefused?: (reason: string) => void, runCommand?: RunCommand}} options
   *   jkt: the thumbprint of the planner's DPoP key (dpop-key.js), told in Ready and TokenExpired
   *   so that the host's back-end binds the tokens it asks for to that key
   */
  constructor({ parent, registered, parentOrigin, entity, keeper, jkt, onRefused, runCommand }) {
    this.jkt = jkt ?? null;
    this.runCommand = runCommand ?? noCommands;
    this.authenticated = false;
    this.isDrawn = false;
    this.loadedPosted = false;
    this.saidReady = false;
    this.parent = parent;
    this.registered = registered;
    this.parentOrigin = parentOrigin;
    this.entity = entity;
    this.keeper = keeper;
    this.onRefused = onRefused ?? (() => {});
    keeper.on("ask", ({ event, reason }) =>
      this.post(event, event === PlannerEvent.TokenExpired ? { reason, ...this.#keyed() } : {}));
    keeper.on("confirmed", ({ identity }) => this.#confirmed(identity));
    keeper.on("rejected", ({ identity, reason }) =>
      this.post(identity.kind === "user" ? PlannerEvent.LoginFailed : PlannerEvent.AuthenticationFailed,
        { reason }));
  }

  /** Ready, once per page load: as soon as the page listens, so that the host's token travels
   * while the rest of the page is built. */
  sayReady() {
    if (this.saidReady) return;
    this.saidReady = true;
    this.post(PlannerEvent.Ready, { version: PROTOCOL_VERSION, ...this.#keyed() });
  }

  /** `{jkt}` when the planner has a DPoP key, else nothing. */
  #keyed() {
    return this.jkt ? { jkt: this.jkt } : {};
  }

  /**
   * Take over from early-ready.js: its Ready counts as said, and what it noted is received
   * here, each message checked as if new, after the caller's current task (when the page's
   * handlers are in place). Call it where this link starts listening.
   * @param {import("./early-ready.js").EarlyReady} early
   */
  adoptEarly(early) {
    early.stop();
    this.saidReady ||= early.said;
    const noted = early.messages.splice(0);
    queueMicrotask(() => { for (const event of noted) this.receive(event); });
  }

  /** The handshake, on every page load (so also after the iframe reloads). */
  start() {
    this.sayReady();
    this.keeper.start(); // posts AuthenticationRequired
  }

  /**
   * Handle one `message` event; returns whether it was trusted and well-formed.
   * @param {{origin: string, source: unknown, data: unknown}} event
   */
  receive(event) {
    if (event.source !== this.parent || !this.registered.includes(event.origin)) return false;
    if (this.parentOrigin !== null && event.origin !== this.parentOrigin) return false;
    const received = asHostMessage(event.data);
    if (!received) return false;
    this.parentOrigin = event.origin;
    if (received.event === HostEvent.Command) {
      void this.#run(/** @type {import("../sdk/protocol.js").CommandContent} */ (received.content));
      return true;
    }
    return this.#deliver(received.event, /** @type {any} */ (received.content));
  }

  /** The app has drawn the planner: Loaded follows once it is also authenticated. */
  drawn() {
    this.isDrawn = true;
    this.#maybeLoaded();
  }

  #maybeLoaded() {
    if (this.loadedPosted || !this.isDrawn || !this.authenticated) return;
    this.loadedPosted = true;
    this.post(PlannerEvent.Loaded);
  }

  /** @param {import("../sdk/protocol.js").CommandContent} command */
  async #run({ id, name, args }) {
    let result;
    try {
      if (!Object.hasOwn(CommandName, name)) {
        throw new PlannerBridgeError(CommandError.UnknownCommand, `no command is named ${name.slice(0, 64)}`);
      }
      result = { id, ok: true, value: await this.runCommand(name, args) };
    } catch (error) {
      result = { id, ok: false, error: errorOf(error) };
    }
    this.post(PlannerEvent.CommandResult, result);
  }

  /** @param {string} event @param {{token: string, expiresIn: number, user?: any}} content */
  #deliver(event, { token, expiresIn, user }) {
    /** @type {import("./token-keeper.js").Identity | null} */
    let identity = { kind: "legal_entity" };
    if (event === HostEvent.Login) identity = { kind: "user", user: { id: user.id, name: user.name } };
    if (event === HostEvent.TokenRefreshed) identity = this.keeper.identity;
    if (!identity) {
      this.onRefused("TokenRefreshed came before any Authentication or Login");
      return false;
    }
    this.keeper.accept({ token, expiresIn, identity });
    return true;
  }

  /** @param {import("./token-keeper.js").Identity} identity */
  #confirmed(identity) {
    this.authenticated = true;
    if (identity.kind === "user") this.post(PlannerEvent.LoginSucceeded, { user: identity.user });
    else this.post(PlannerEvent.AuthenticationSucceeded,
      { origin: this.parentOrigin ?? this.registered[0], entity: this.entity });
    this.#maybeLoaded();
  }

  /** @param {string} event @param {Record<string, unknown>} [content] */
  post(event, content = {}) {
    const sent = message(event, content);
    for (const origin of this.parentOrigin ? [this.parentOrigin] : this.registered) {
      this.parent.postMessage(sent, origin); // never "*"
    }
  }
}

/** @typedef {{said: boolean, messages: MessageEvent[], stop: () => void}} EarlyReady */

const MAX_NOTED = 100; // a handshake is a few messages: more is noise

/**
 * Ready before the planner's other modules are evaluated (early-ready.js calls it at import):
 * posted as the host link would, to the parent's registered origin, never "*"; every message
 * that arrives until HostLink.adoptEarly is noted, and checked there as if it had just arrived.
 * @param {{window: Window & typeof globalThis, config: {origins?: string[]},
 *   jkt?: string | null}} where  jkt: as HostLink's
 * @returns {EarlyReady}
 */
export function sayReadyEarly({ window: page, config, jkt }) {
  /** @type {MessageEvent[]} */
  const messages = [];
  const note = (/** @type {MessageEvent} */ event) => {
    if (messages.length < MAX_NOTED) messages.push(event);
  };
  if (page.parent === page) return { said: false, messages, stop: () => {} };
  page.addEventListener("message", note);
  const registered = config.origins ?? [];
  const parentOrigin = pickParentOrigin({ registered,
    ancestorOrigins: page.location.ancestorOrigins, referrer: page.document.referrer });
  const ready = message(PlannerEvent.Ready, { version: PROTOCOL_VERSION, ...(jkt ? { jkt } : {}) });
  for (const origin of parentOrigin ? [parentOrigin] : registered) page.parent.postMessage(ready, origin);
  return { said: true, messages, stop: () => page.removeEventListener("message", note) };
}
