// @ts-check
/**
 * The bridge's wire contract, the one file both the host SDK and the planner import:
 * the protocol version, every message name, one guard per message, PlannerBridgeError, and the
 * defaults both sides must agree on (the answer deadline and its bounds).
 *
 * A message is `{event: NAME, content: {...}}`, posted to an explicit origin (never "*").
 * Guards check shape and types only; who may send a message (origin, source) is the
 * receiver's job.
 */

export const PROTOCOL_VERSION = 1;

/** How long the planner waits for a token and the SDK for fetchToken (default 30 s). */
export const DEFAULT_ANSWER_DEADLINE_MS = 30_000;
/** The deadlines both accept: the SDK refuses others (InvalidOption) rather than let the planner
 * fall back to the default while the SDK keeps the asked value. */
export const MIN_ANSWER_DEADLINE_MS = 100;
export const MAX_ANSWER_DEADLINE_MS = 600_000;

/** @param {unknown} ms @returns {ms is number} */
export function isAnswerDeadline(ms) {
  return Number.isInteger(ms) && /** @type {number} */ (ms) >= MIN_ANSWER_DEADLINE_MS &&
    /** @type {number} */ (ms) <= MAX_ANSWER_DEADLINE_MS;
}

/** Host → planner. */
export const HostEvent = Object.freeze({
  Authentication: "Authentication",
  Login: "Login",
  TokenRefreshed: "TokenRefreshed",
  Logout: "Logout",
  Command: "Command",
});

/** Planner → host. */
export const PlannerEvent = Object.freeze({
  Ready: "Ready",
  AuthenticationRequired: "AuthenticationRequired",
  AuthenticationSucceeded: "AuthenticationSucceeded",
  AuthenticationFailed: "AuthenticationFailed",
  TokenExpired: "TokenExpired",
  LoginRequired: "LoginRequired",
  LoginSucceeded: "LoginSucceeded",
  LoginFailed: "LoginFailed",
  CloseApp: "CloseApp",
  CommandResult: "CommandResult",
  Loaded: "Loaded",
  DesignOpened: "DesignOpened",
  DesignChanged: "DesignChanged",
  DesignSaved: "DesignSaved",
  ItemAdded: "ItemAdded",
  ItemRemoved: "ItemRemoved",
  SelectionChanged: "SelectionChanged",
  AddToCart: "AddToCart",
  Resize: "Resize",
});

/** The commands a host may send in `Command {id, name, args}` (docs/reference.md, "Commands"). The
 * guard accepts any name so that the planner can answer an unknown one with UnknownCommand. */
export const CommandName = Object.freeze({
  getDesign: "getDesign",
  openDesign: "openDesign",
  newDesign: "newDesign",
  addItem: "addItem",
  removeItem: "removeItem",
  setRoom: "setRoom",
  saveDesign: "saveDesign",
  setTheme: "setTheme",
  setLocale: "setLocale",
});

/** The codes a command can fail with; `CommandResult.error.code` is one of the first five. */
export const CommandError = Object.freeze({
  LoginRequired: "LoginRequired",
  NotFound: "NotFound",
  InvalidArgument: "InvalidArgument",
  UnknownCommand: "UnknownCommand",
  NotReady: "NotReady",
  CommandTimeout: "CommandTimeout",
  Destroyed: "Destroyed",
});

/** Item rotations, in degrees. */
export const ROTATIONS = Object.freeze([0, 90, 180, 270]);
/** Where a catalog item sits: on the floor, or hung on a wall at its `elevation`. */
export const MOUNTS = Object.freeze(["floor", "wall"]);

// Generous but finite: a JWT is a few hundred bytes; a megabyte string is an attack.
const MAX_TOKEN_LENGTH = 8192;
const MAX_TEXT_LENGTH = 512;
// One day is the longest lifetime the token service grants.
const MAX_EXPIRES_IN = 86400;

/** @typedef {{event: string, content: Record<string, unknown>}} Message */
/** @typedef {{id: string, name: string}} User */
/** @typedef {{token: string, expiresIn: number}} TokenContent */
/** @typedef {{version: 1, jkt?: string}} ReadyContent  jkt: the planner's DPoP key thumbprint */
/** @typedef {{reason: string, jkt?: string}} TokenExpiredContent */
/** @typedef {{token: string, expiresIn: number, user: User}} LoginContent */
/** @typedef {{width: number, depth: number}} Room  millimetres */
/** @typedef {{amount: number, currency: string}} Money */
/**
 * @typedef {{id: string, catalogId: string, name: string, x: number, y: number,
 *   rotation: 0 | 90 | 180 | 270, width: number, depth: number, height: number,
 *   mount: "floor" | "wall", unitPrice: number}} DesignItem
 * Lengths in millimetres; x, y the top-left corner from the room's, before rotation.
 */
/**
 * @typedef {{id: string | null, name: string, room: Room, items: DesignItem[], total: Money,
 *   saved: boolean}} Design
 */
/** @typedef {{catalogId: string, name: string, quantity: number, unitPrice: number}} CartLine */
/** @typedef {{designId: string | null, lines: CartLine[], total: Money}} AddToCartContent */
/** @typedef {{id: string, name: string, args: Record<string, unknown>}} CommandContent */
/**
 * @typedef {{id: string, ok: true, value?: unknown} |
 *   {id: string, ok: false, error: {code: string, message: string}}} CommandResultContent
 */

/**
 * An error the bridge reports, named by a stable `code` (e.g. "FetchTokenFailed",
 * "TokenRefreshTimeout", "insufficient_scope"). Messages never carry a token.
 */
export class PlannerBridgeError extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   * @param {{status?: number}} [details]
   */
  constructor(code, message, details = {}) {
    super(message || code);
    this.name = "PlannerBridgeError";
    this.code = code;
    this.status = details.status;
  }
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** @param {unknown} value @param {number} max */
function isText(value, max = MAX_TEXT_LENGTH) {
  return typeof value === "string" && value.length > 0 && value.length <= max;
}

/** @param {unknown} value (NaN and the infinities fail one of the two bounds) */
function isLifetime(value) {
  return typeof value === "number" && value > 0 && value <= MAX_EXPIRES_IN;
}

/** @param {unknown} value @returns {value is User} */
export function isUser(value) {
  return isObject(value) && isText(value.id) && typeof value.name === "string" &&
    value.name.length <= MAX_TEXT_LENGTH;
}

/** A token and its lifetime as every host message carries them.
 * @param {Record<string, unknown>} c */
export function isTokenContent(c) {
  return isText(c.token, MAX_TOKEN_LENGTH) && isLifetime(c.expiresIn);
}

/** @param {Record<string, unknown>} c */
function hasReason(c) {
  return isText(c.reason);
}

/**
 * A DPoP key's thumbprint (RFC 7638, SHA-256, base64url: 43 characters), as `Ready` and
 * `TokenExpired` carry it. Optional on the wire: a planner without WebCrypto (no secure context)
 * has no key, and its host then asks for unbound tokens.
 * @param {unknown} value @returns {value is string}
 */
export function isJkt(value) {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** @param {Record<string, unknown>} c */
function hasOptionalJkt(c) {
  return c.jkt === undefined || isJkt(c.jkt);
}

// A kitchen is a few metres; a kilometre is a mistake, not a room.
const MAX_LENGTH_MM = 1_000_000;
const MAX_ITEMS = 10_000;

/** @param {unknown} value a length in millimetres, zero allowed for positions */
function isLength(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 &&
    value <= MAX_LENGTH_MM;
}

/** @param {unknown} value */
function isAmount(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** @param {unknown} value @returns {value is Money} */
function isMoney(value) {
  return isObject(value) && isAmount(value.amount) && typeof value.currency === "string" &&
    /^[A-Z]{3}$/.test(value.currency);
}

/** @param {unknown} value @returns {value is DesignItem} */
export function isDesignItem(value) {
  return isObject(value) && isText(value.id) && isText(value.catalogId) &&
    typeof value.name === "string" && value.name.length <= MAX_TEXT_LENGTH &&
    isLength(value.x) && isLength(value.y) && ROTATIONS.includes(/** @type {any} */ (value.rotation)) &&
    isLength(value.width) && isLength(value.depth) && isLength(value.height) &&
    MOUNTS.includes(/** @type {any} */ (value.mount)) && isAmount(value.unitPrice);
}

/** @param {unknown} value @returns {value is Design} */
export function isDesign(value) {
  return isObject(value) && (value.id === null || isText(value.id)) &&
    typeof value.name === "string" && value.name.length <= MAX_TEXT_LENGTH &&
    isObject(value.room) && isLength(value.room.width) && isLength(value.room.depth) &&
    Array.isArray(value.items) && value.items.length <= MAX_ITEMS &&
    value.items.every(isDesignItem) && isMoney(value.total) && typeof value.saved === "boolean";
}

/** @param {unknown} value @returns {value is CartLine} */
function isCartLine(value) {
  return isObject(value) && isText(value.catalogId) && typeof value.name === "string" &&
    value.name.length <= MAX_TEXT_LENGTH && Number.isInteger(value.quantity) &&
    /** @type {number} */ (value.quantity) > 0 && isAmount(value.unitPrice);
}

/** @param {Record<string, unknown>} c */
function isCartContent(c) {
  return (c.designId === null || isText(c.designId)) && Array.isArray(c.lines) &&
    c.lines.length <= MAX_ITEMS && c.lines.every(isCartLine) && isMoney(c.total);
}

/** @param {Record<string, unknown>} c */
function isCommandContent(c) {
  return isText(c.id) && isText(c.name) && isObject(c.args);
}

/** @param {Record<string, unknown>} c */
function isCommandResultContent(c) {
  if (!isText(c.id)) return false;
  if (c.ok === true) return !("error" in c);
  return c.ok === false && isObject(c.error) && isText(c.error.code) &&
    typeof c.error.message === "string" && c.error.message.length <= MAX_TEXT_LENGTH;
}

/** @type {Record<string, (content: Record<string, unknown>) => boolean>} */
const CONTENT_GUARDS = {
  [HostEvent.Authentication]: isTokenContent,
  [HostEvent.Login]: (c) => isTokenContent(c) && isUser(c.user),
  [HostEvent.TokenRefreshed]: isTokenContent,
  [HostEvent.Logout]: isTokenContent,
  [PlannerEvent.Ready]: (c) => c.version === PROTOCOL_VERSION && hasOptionalJkt(c),
  [PlannerEvent.AuthenticationRequired]: () => true,
  [PlannerEvent.AuthenticationSucceeded]: (c) => isText(c.origin) && isText(c.entity),
  [PlannerEvent.AuthenticationFailed]: hasReason,
  [PlannerEvent.TokenExpired]: (c) => hasReason(c) && hasOptionalJkt(c),
  [PlannerEvent.LoginRequired]: () => true,
  [PlannerEvent.LoginSucceeded]: (c) => isUser(c.user),
  [PlannerEvent.LoginFailed]: hasReason,
  [PlannerEvent.CloseApp]: () => true,
  [HostEvent.Command]: isCommandContent,
  [PlannerEvent.CommandResult]: isCommandResultContent,
  [PlannerEvent.Loaded]: () => true,
  [PlannerEvent.DesignOpened]: (c) => isDesign(c.design),
  [PlannerEvent.DesignChanged]: (c) => isDesign(c.design),
  [PlannerEvent.DesignSaved]: (c) => isDesign(c.design),
  [PlannerEvent.ItemAdded]: (c) => isDesignItem(c.item),
  [PlannerEvent.ItemRemoved]: (c) => isDesignItem(c.item),
  [PlannerEvent.SelectionChanged]: (c) => c.item === null || isDesignItem(c.item),
  [PlannerEvent.AddToCart]: isCartContent,
  [PlannerEvent.Resize]: (c) => isLength(c.height) && /** @type {number} */ (c.height) > 0,
};

/**
 * @param {unknown} data
 * @param {string} name
 * @returns {data is Message}
 */
function isMessageNamed(data, name) {
  return isObject(data) && data.event === name && isObject(data.content) &&
    CONTENT_GUARDS[name](data.content);
}

// One guard per message type, as the contract asks.
/** @param {unknown} d @returns {d is {event: "Authentication", content: TokenContent}} */
export const isAuthentication = (d) => isMessageNamed(d, HostEvent.Authentication);
/** @param {unknown} d @returns {d is {event: "Login", content: LoginContent}} */
export const isLogin = (d) => isMessageNamed(d, HostEvent.Login);
/** @param {unknown} d @returns {d is {event: "TokenRefreshed", content: TokenContent}} */
export const isTokenRefreshed = (d) => isMessageNamed(d, HostEvent.TokenRefreshed);
/** @param {unknown} d @returns {d is {event: "Logout", content: TokenContent}} */
export const isLogout = (d) => isMessageNamed(d, HostEvent.Logout);
/** @param {unknown} d */
export const isReady = (d) => isMessageNamed(d, PlannerEvent.Ready);
/** @param {unknown} d */
export const isAuthenticationRequired = (d) => isMessageNamed(d, PlannerEvent.AuthenticationRequired);
/** @param {unknown} d */
export const isAuthenticationSucceeded = (d) =>
  isMessageNamed(d, PlannerEvent.AuthenticationSucceeded);
/** @param {unknown} d */
export const isAuthenticationFailed = (d) => isMessageNamed(d, PlannerEvent.AuthenticationFailed);
/** @param {unknown} d */
export const isTokenExpired = (d) => isMessageNamed(d, PlannerEvent.TokenExpired);
/** @param {unknown} d */
export const isLoginRequired = (d) => isMessageNamed(d, PlannerEvent.LoginRequired);
/** @param {unknown} d */
export const isLoginSucceeded = (d) => isMessageNamed(d, PlannerEvent.LoginSucceeded);
/** @param {unknown} d */
export const isLoginFailed = (d) => isMessageNamed(d, PlannerEvent.LoginFailed);
/** @param {unknown} d */
export const isCloseApp = (d) => isMessageNamed(d, PlannerEvent.CloseApp);
/** @param {unknown} d @returns {d is {event: "Command", content: CommandContent}} */
export const isCommand = (d) => isMessageNamed(d, HostEvent.Command);
/** @param {unknown} d @returns {d is {event: "CommandResult", content: CommandResultContent}} */
export const isCommandResult = (d) => isMessageNamed(d, PlannerEvent.CommandResult);
/** @param {unknown} d */
export const isLoaded = (d) => isMessageNamed(d, PlannerEvent.Loaded);
/** @param {unknown} d */
export const isDesignOpened = (d) => isMessageNamed(d, PlannerEvent.DesignOpened);
/** @param {unknown} d */
export const isDesignChanged = (d) => isMessageNamed(d, PlannerEvent.DesignChanged);
/** @param {unknown} d */
export const isDesignSaved = (d) => isMessageNamed(d, PlannerEvent.DesignSaved);
/** @param {unknown} d */
export const isItemAdded = (d) => isMessageNamed(d, PlannerEvent.ItemAdded);
/** @param {unknown} d */
export const isItemRemoved = (d) => isMessageNamed(d, PlannerEvent.ItemRemoved);
/** @param {unknown} d */
export const isSelectionChanged = (d) => isMessageNamed(d, PlannerEvent.SelectionChanged);
/** @param {unknown} d @returns {d is {event: "AddToCart", content: AddToCartContent}} */
export const isAddToCart = (d) => isMessageNamed(d, PlannerEvent.AddToCart);
/** @param {unknown} d */
export const isResize = (d) => isMessageNamed(d, PlannerEvent.Resize);

/**
 * A well-formed message the host may send to the planner, or null.
 * @param {unknown} data
 * @returns {Message | null}
 */
export function asHostMessage(data) {
  const known = isObject(data) && typeof data.event === "string" &&
    Object.hasOwn(HostEvent, data.event);
  return known && isMessageNamed(data, /** @type {string} */ (data.event))
    ? /** @type {Message} */ (data) : null;
}

/**
 * A well-formed message the planner may send to the host, or null.
 * @param {unknown} data
 * @returns {Message | null}
 */
export function asPlannerMessage(data) {
  const known = isObject(data) && typeof data.event === "string" &&
    Object.hasOwn(PlannerEvent, data.event);
  return known && isMessageNamed(data, /** @type {string} */ (data.event))
    ? /** @type {Message} */ (data) : null;
}

/**
 * Build a message, refusing (TypeError: a programming mistake) one its guard would reject.
 * @param {string} event
 * @param {Record<string, unknown>} [content]
 * @returns {Message}
 */
export function message(event, content = {}) {
  if (!Object.hasOwn(CONTENT_GUARDS, event) || !CONTENT_GUARDS[event](content)) {
    throw new TypeError(`not a valid ${event} message`);
  }
  return { event, content };
}
