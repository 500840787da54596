// Typings of the host SDK served at /sdk/planner-bridge.js (hand-written; the contract is docs/reference.md).

import type { CartLine, Design, DesignItem, Money, Room } from "./protocol.js";
export type { CartLine, Design, DesignItem, Money, Room };

export declare const PROTOCOL_VERSION: 1;
export declare const DEFAULT_ANSWER_DEADLINE_MS: 30000;

/** Every error the bridge reports, named by a stable code. */
export declare class PlannerBridgeError extends Error {
  readonly name: "PlannerBridgeError";
  /**
   * "InvalidOption" | "FetchTokenFailed" | "FetchTokenTimeout" | "InvalidTokenResponse" |
   * "NotLoggedIn" | "StillLoggedIn" | "Destroyed" | "PlannerLoadFailed" (host SDK);
   * commands: "NotReady" | "LoginRequired" | "NotFound" | "InvalidArgument" | "UnknownCommand" |
   * "CommandTimeout" | "Destroyed"; the planner also shows "TokenRefreshTimeout",
   * "IdentityChanged", "invalid_token", "insufficient_scope", ...
   */
  readonly code: string;
  /** The HTTP status, when the error came from a web-service answer. */
  readonly status?: number;
  constructor(code: string, message?: string, details?: { status?: number });
}

export interface PlannerUser {
  id: string;
  name: string;
}

/** What `fetchToken` resolves to: exactly the JSON of the demo back-end's POST /planner-token. */
export type TokenAnswer =
  | { kind: "legal_entity"; token: string; expiresIn: number }
  | { kind: "user"; token: string; expiresIn: number; user: PlannerUser };

/** What `fetchToken` is called with. */
export interface TokenRequest {
  /** The planner's TokenExpired reason: "expiring", "expired" or "invalid_token"; absent for
   * Ready, AuthenticationRequired, login() and logout(). "invalid_token" means the planner's
   * token was refused: mint a new one, never answer from a cache. */
  reason?: string;
  /** The thumbprint (RFC 7638, base64url) of the planner's DPoP key, as its latest Ready or
   * TokenExpired named it; absent when the planner has no key. Put it into the signed
   * `POST /v1/tokens` body as "jkt" (Python: `TokenClient.user_token(..., jkt=jkt)`): the token is
   * then bound to the planner's key, worthless to whoever copies it out of the page. A fetch
   * answers only requests for its own jkt: a planner that names a new key gets a new call. */
  jkt?: string;
}

/** What the page's early listener noted (see EmbedOptions.early). */
export interface EarlyMessages {
  messages: MessageEvent[];
  /** Stop noting: the SDK listens from now on. */
  stop(): void;
}

interface EmbedOptionsBase {
  /** The planner page, with its entity: "https://planner.example/planner/?entity=ID".
   * Its origin is the only one the SDK posts to and listens to. */
  plannerUrl: string;
  /** Asks the integrator's back-end for a token for the current session. Called once for all
   * planner requests that arrive while it runs (single flight), except that a request with
   * reason "invalid_token" never joins a call that started without it (that call might bring
   * back the refused token): it makes a new call with that reason, which supersedes the running
   * one (whose answer is then not posted), and later requests join the new call. login() and
   * logout() always make a new call; it keeps "invalid_token" if the call it supersedes had it. */
  fetchToken: (request: TokenRequest) => Promise<TokenAnswer>;
  /** How long the planner waits for a token before failing waiting calls with
   * TokenRefreshTimeout, and how long the SDK waits for fetchToken (default 30 000 ms; a whole
   * number from 100 to 600 000, else InvalidOption: the planner accepts no other).
   * Passed to the planner as the `answerDeadlineMs` query parameter. */
  answerDeadlineMs?: number;
  /** The iframe's accessible title (default "Planner"). */
  title?: string;
  /** Cross-tab sessions (default true): after login() or logout() succeeds, the other tabs of
   * this site (same origin, BroadcastChannel) hear "Login" or "Logout" — the name only, never a
   * token — and each fetches its own token with fetchToken and posts Login or Logout to its
   * planner. false: this embedding neither tells nor hears. */
  crossTab?: boolean;
  /** How long the planner may take to say Ready (default 15 000 ms). Then, or as soon as the
   * frame is known to be refused (half a second after its `load` without Ready), `ready` rejects and `error` fires with "PlannerLoadFailed",
   * whose message names the likely cause: this page's origin not registered for the entity, an
   * unknown entity, or the planner origin unreachable. */
  loadTimeoutMs?: number;
  /** "auto": the iframe follows the planner's content height (Resize) within minHeight (default
   * 400) and maxHeight pixels. A number of pixels or a CSS length ("40rem", "80vh") fixes it.
   * Absent: the page's CSS decides. */
  height?: "auto" | number | string;
  /** Pixels; only with height "auto". */
  minHeight?: number;
  /** Pixels; only with height "auto". */
  maxHeight?: number;
  /** Sent to the planner as its first command (setTheme). Invalid values: InvalidOption. */
  theme?: Theme;
  /** A language tag ("en", "de", "en-GB"), sent as setLocale after the theme. */
  locale?: string;
  /** An ISO 4217 code ("EUR"), sent with the locale (only with a locale). */
  currency?: string;
  /** Messages the page noted before this module loaded, for an `iframe` already in the page:
   * a classic script placed before that iframe adds a `message` listener that pushes each event
   * into `messages`, and `stop()` removes it. The SDK replays them, each checked for origin,
   * source and shape as if it arrived now, so the planner's Ready is never lost. */
  early?: EarlyMessages;
}

export type EmbedOptions = EmbedOptionsBase & (
  /** The element the SDK appends its iframe to. */
  | { container: Element; iframe?: undefined }
  /** The page's own iframe, already in its HTML with `src` exactly the plannerUrl (and
   * answerDeadlineMs when given): the planner starts loading before the SDK does. */
  | { iframe: HTMLIFrameElement; container?: undefined }
);

/** Colours as "#rgb", "#rrggbb" or "rgb(r, g, b)"; a font family name ("Georgia"). */
export interface Theme {
  accent?: string;
  background?: string;
  font?: string;
}

/** Where addItem puts the item: its top-left corner in millimetres from the room's, and its
 * rotation in degrees. Absent: the first free spot along a wall. */
export interface ItemPlacement {
  x?: number;
  y?: number;
  rotation?: 0 | 90 | 180 | 270;
}

/** What AddToCart carries: the parts list the shop puts in its own basket. */
export interface AddToCartContent {
  designId: string | null;
  lines: CartLine[];
  total: Money;
}

/** The commands, each a Promise; errors reject with PlannerBridgeError codes (see `code`). */
export interface PlannerCommands {
  getDesign(): Promise<Design>;
  openDesign(id: string): Promise<Design>;
  newDesign(options?: { name?: string }): Promise<Design>;
  addItem(catalogId: string, at?: ItemPlacement): Promise<DesignItem>;
  removeItem(itemId: string): Promise<void>;
  setRoom(room: Room): Promise<void>;
  saveDesign(): Promise<Design>;
  setTheme(theme: Theme): Promise<void>;
  setLocale(locale: string, options?: { currency?: string }): Promise<void>;
}

/** Planner → host messages and their content, plus "error" for the SDK's own failures (a failed
 * or timed-out fetchToken; never one whose fetch a newer fetch had already superseded). */
export interface PlannerEvents {
  /** jkt: the planner's DPoP key thumbprint (what fetchToken then receives). */
  Ready: { version: 1; jkt?: string };
  AuthenticationRequired: Record<string, never>;
  AuthenticationSucceeded: { origin: string; entity: string };
  AuthenticationFailed: { reason: string };
  TokenExpired: { reason: string; jkt?: string };
  LoginRequired: Record<string, never>;
  LoginSucceeded: { user: PlannerUser };
  LoginFailed: { reason: string };
  CloseApp: Record<string, never>;
  CommandResult:
    | { id: string; ok: true; value?: unknown }
    | { id: string; ok: false; error: { code: string; message: string } };
  /** The planner is drawn and authenticated: a shopper can use it. */
  Loaded: Record<string, never>;
  DesignOpened: { design: Design };
  /** At most every 250 ms while a shopper drags. */
  DesignChanged: { design: Design };
  DesignSaved: { design: Design };
  ItemAdded: { item: DesignItem };
  ItemRemoved: { item: DesignItem };
  SelectionChanged: { item: DesignItem | null };
  AddToCart: AddToCartContent;
  /** The planner's content height in CSS pixels. */
  Resize: { height: number };
  error: PlannerBridgeError;
}

export interface EmbeddedPlanner extends PlannerCommands {
  readonly iframe: HTMLIFrameElement;
  /** Resolves when the planner first reports AuthenticationSucceeded or LoginSucceeded;
   * rejects with "PlannerLoadFailed" when it did not load, "Destroyed" if destroy() comes first. */
  readonly ready: Promise<void>;
  /** After your back-end logged the user in: fetches a user token and posts Login.
   * Rejects with "NotLoggedIn" when fetchToken still answers a legal-entity token. */
  login(): Promise<PlannerUser>;
  /** After your back-end logged the user out: fetches a legal-entity token and posts Logout.
   * Rejects with "StillLoggedIn" when fetchToken still answers a user token. */
  logout(): Promise<void>;
  /** Subscribe to a planner message; returns the unsubscribe function. An unknown name throws
   * InvalidOption. */
  on<E extends keyof PlannerEvents>(event: E, handler: (content: PlannerEvents[E]) => void): () => void;
  /** Remove the iframe and stop listening; commands still waiting reject with "Destroyed". */
  destroy(): void;
}

/** Embed the planner. Throws PlannerBridgeError("InvalidOption") on bad options. */
export declare function embedPlanner(options: EmbedOptions): EmbeddedPlanner;

/** The bridge's DOM-free logic, exported for tests and custom embeddings. */
export declare class HostBridge {
  constructor(options: {
    plannerOrigin: string;
    frameWindow: () => { postMessage(message: unknown, targetOrigin: string): void } | null;
    fetchToken: (request: TokenRequest) => Promise<unknown>;
    answerDeadlineMs?: number;
    setTimer?: (fn: () => void, ms: number) => unknown;
    clearTimer?: (handle: unknown) => void;
    /** Where the tabs of one site tell each other "Login" or "Logout" (a BroadcastChannel). */
    sessionChannel?: {
      postMessage(data: unknown): void;
      addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
      close(): void;
    } | null;
    /** Why the planner did not load, or null when nothing is known to be wrong; `sure` when
     * the planner origin itself said so (the load then fails at once, not at the deadline). */
    diagnose?: () => Promise<{ cause: string; sure: boolean } | null>;
    /** The planner's jkt kept between page loads, for the prefetch (embedPlanner keeps it in
     * this origin's localStorage: a public thumbprint, never a token). `get()`: the jkt,
     * undefined for a planner without a key, null when unknown (then prefetch() does nothing). */
    jktMemory?: { get(): string | undefined | null; set(jkt: string | undefined): void };
  });
  readonly plannerOrigin: string;
  readonly ready: Promise<void>;
  /** Handle a `message` event; returns whether it was trusted and well-formed. */
  receive(event: { origin: string; source: unknown; data: unknown }): boolean;
  /** Fetch the first token now (embedPlanner does): the planner's Ready joins this fetch, and
   * the token is posted once the planner has said Ready or AuthenticationRequired. Nothing when
   * `jktMemory` does not know the planner's key yet. */
  prefetch(): void;
  login(): Promise<PlannerUser>;
  logout(): Promise<void>;
  /** Another tab logged in or out: fetch a token and post Login or Logout if the identity changed. */
  resync(): void;
  on<E extends keyof PlannerEvents>(event: E, handler: (content: PlannerEvents[E]) => void): () => void;
  /** Send a command (waits for Ready, in order); resolves with the planner's value. */
  command(name: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Unless Ready comes within timeoutMs, the load failed (PlannerLoadFailed). */
  startLoading(timeoutMs: number): void;
  /** The iframe fired `load`: without Ready yet, diagnose now. */
  frameLoaded(): void;
  /** Report a failure through the `error` event (or the console when nobody listens). */
  report(error: unknown): void;
  destroy(): void;
}
