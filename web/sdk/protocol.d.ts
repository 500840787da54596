// Typings of protocol.js, generated from its JSDoc by tsc: `make sdk-types` after changing it
// (tests/test_npm_package.py checks that the two agree).

/** @param {unknown} ms @returns {ms is number} */
export function isAnswerDeadline(ms: unknown): ms is number;
/** @param {unknown} value @returns {value is User} */
export function isUser(value: unknown): value is User;
/** A token and its lifetime as every host message carries them.
 * @param {Record<string, unknown>} c */
export function isTokenContent(c: Record<string, unknown>): boolean;
/**
 * A well-formed message the host may send to the planner, or null.
 * @param {unknown} data
 * @returns {Message | null}
 */
export function asHostMessage(data: unknown): Message | null;
/**
 * A well-formed message the planner may send to the host, or null.
 * @param {unknown} data
 * @returns {Message | null}
 */
export function asPlannerMessage(data: unknown): Message | null;
/**
 * Build a message, refusing (TypeError: a programming mistake) one its guard would reject.
 * @param {string} event
 * @param {Record<string, unknown>} [content]
 * @returns {Message}
 */
export function message(event: string, content?: Record<string, unknown>): Message;
/**
 * The bridge's wire contract, the one file both the host SDK and the planner import:
 * the protocol version, every message name, one guard per message, PlannerBridgeError, and the
 * defaults both sides must agree on (the answer deadline and its bounds).
 *
 * A message is `{event: NAME, content: {...}}`, posted to an explicit origin (never "*").
 * Guards check shape and types only; who may send a message (origin, source) is the
 * receiver's job.
 */
export const PROTOCOL_VERSION: 1;
/** How long the planner waits for a token and the SDK for fetchToken (SPEC: default 30 s). */
export const DEFAULT_ANSWER_DEADLINE_MS: 30000;
/** The deadlines both accept: the SDK refuses others (InvalidOption) rather than let the planner
 * fall back to the default while the SDK keeps the asked value. */
export const MIN_ANSWER_DEADLINE_MS: 100;
export const MAX_ANSWER_DEADLINE_MS: 600000;
/** Host → planner. */
export const HostEvent: Readonly<{
    Authentication: "Authentication";
    Login: "Login";
    TokenRefreshed: "TokenRefreshed";
    Logout: "Logout";
}>;
/** Planner → host. */
export const PlannerEvent: Readonly<{
    Ready: "Ready";
    AuthenticationRequired: "AuthenticationRequired";
    AuthenticationSucceeded: "AuthenticationSucceeded";
    AuthenticationFailed: "AuthenticationFailed";
    TokenExpired: "TokenExpired";
    LoginRequired: "LoginRequired";
    LoginSucceeded: "LoginSucceeded";
    LoginFailed: "LoginFailed";
    CloseApp: "CloseApp";
}>;
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
    constructor(code: string, message?: string, details?: {
        status?: number;
    });
    code: string;
    status: number | undefined;
}
export function isAuthentication(d: unknown): d is {
    event: "Authentication";
    content: TokenContent;
};
export function isLogin(d: unknown): d is {
    event: "Login";
    content: LoginContent;
};
export function isTokenRefreshed(d: unknown): d is {
    event: "TokenRefreshed";
    content: TokenContent;
};
export function isLogout(d: unknown): d is {
    event: "Logout";
    content: TokenContent;
};
export function isReady(d: unknown): d is Message;
export function isAuthenticationRequired(d: unknown): d is Message;
export function isAuthenticationSucceeded(d: unknown): d is Message;
export function isAuthenticationFailed(d: unknown): d is Message;
export function isTokenExpired(d: unknown): d is Message;
export function isLoginRequired(d: unknown): d is Message;
export function isLoginSucceeded(d: unknown): d is Message;
export function isLoginFailed(d: unknown): d is Message;
export function isCloseApp(d: unknown): d is Message;
export type Message = {
    event: string;
    content: Record<string, unknown>;
};
export type User = {
    id: string;
    name: string;
};
export type TokenContent = {
    token: string;
    expiresIn: number;
};
export type LoginContent = {
    token: string;
    expiresIn: number;
    user: User;
};
