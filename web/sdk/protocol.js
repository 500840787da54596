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

/** How long the planner waits for a token and the SDK for fetchToken (SPEC: default 30 s). */
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
});

// Generous but finite: a JWT is a few hundred bytes; a megabyte string is an attack.
const MAX_TOKEN_LENGTH = 8192;
const MAX_TEXT_LENGTH = 512;
// One day is the longest lifetime the token service grants.
const MAX_EXPIRES_IN = 86400;

/** @typedef {{event: string, content: Record<string, unknown>}} Message */
/** @typedef {{id: string, name: string}} User */
/** @typedef {{token: string, expiresIn: number}} TokenContent */
/** @typedef {{token: string, expiresIn: number, user: User}} LoginContent */

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

/** @type {Record<string, (content: Record<string, unknown>) => boolean>} */
const CONTENT_GUARDS = {
  [HostEvent.Authentication]: isTokenContent,
  [HostEvent.Login]: (c) => isTokenContent(c) && isUser(c.user),
  [HostEvent.TokenRefreshed]: isTokenContent,
  [HostEvent.Logout]: isTokenContent,
  [PlannerEvent.Ready]: (c) => c.version === PROTOCOL_VERSION,
  [PlannerEvent.AuthenticationRequired]: () => true,
  [PlannerEvent.AuthenticationSucceeded]: (c) => isText(c.origin) && isText(c.entity),
  [PlannerEvent.AuthenticationFailed]: hasReason,
  [PlannerEvent.TokenExpired]: hasReason,
  [PlannerEvent.LoginRequired]: () => true,
  [PlannerEvent.LoginSucceeded]: (c) => isUser(c.user),
  [PlannerEvent.LoginFailed]: hasReason,
  [PlannerEvent.CloseApp]: () => true,
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
