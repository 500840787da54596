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
 * A DPoP key's thumbprint (RFC 7638, SHA-256, base64url: 43 characters), as `Ready` and
 * `TokenExpired` carry it. Optional on the wire: a planner without WebCrypto (no secure context)
 * has no key, and its host then asks for unbound tokens.
 * @param {unknown} value @returns {value is string}
 */
export function isJkt(value: unknown): value is string;
/** @param {unknown} value @returns {value is DesignItem} */
export function isDesignItem(value: unknown): value is DesignItem;
/** @param {unknown} value @returns {value is Design} */
export function isDesign(value: unknown): value is Design;
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
/** How long the planner waits for a token and the SDK for fetchToken (default 30 s). */
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
    Command: "Command";
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
    CommandResult: "CommandResult";
    Loaded: "Loaded";
    DesignOpened: "DesignOpened";
    DesignChanged: "DesignChanged";
    DesignSaved: "DesignSaved";
    ItemAdded: "ItemAdded";
    ItemRemoved: "ItemRemoved";
    SelectionChanged: "SelectionChanged";
    AddToCart: "AddToCart";
    Resize: "Resize";
}>;
/** The commands a host may send in `Command {id, name, args}` (docs/reference.md, "Commands"). The
 * guard accepts any name so that the planner can answer an unknown one with UnknownCommand. */
export const CommandName: Readonly<{
    getDesign: "getDesign";
    openDesign: "openDesign";
    newDesign: "newDesign";
    addItem: "addItem";
    removeItem: "removeItem";
    setRoom: "setRoom";
    saveDesign: "saveDesign";
    setTheme: "setTheme";
    setLocale: "setLocale";
}>;
/** The codes a command can fail with; `CommandResult.error.code` is one of the first five. */
export const CommandError: Readonly<{
    LoginRequired: "LoginRequired";
    NotFound: "NotFound";
    InvalidArgument: "InvalidArgument";
    UnknownCommand: "UnknownCommand";
    NotReady: "NotReady";
    CommandTimeout: "CommandTimeout";
    Destroyed: "Destroyed";
}>;
/** Item rotations, in degrees. */
export const ROTATIONS: readonly number[];
/** Where a catalog item sits: on the floor, or hung on a wall at its `elevation`. */
export const MOUNTS: readonly string[];
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
export function isCommand(d: unknown): d is {
    event: "Command";
    content: CommandContent;
};
export function isCommandResult(d: unknown): d is {
    event: "CommandResult";
    content: CommandResultContent;
};
export function isLoaded(d: unknown): d is Message;
export function isDesignOpened(d: unknown): d is Message;
export function isDesignChanged(d: unknown): d is Message;
export function isDesignSaved(d: unknown): d is Message;
export function isItemAdded(d: unknown): d is Message;
export function isItemRemoved(d: unknown): d is Message;
export function isSelectionChanged(d: unknown): d is Message;
export function isAddToCart(d: unknown): d is {
    event: "AddToCart";
    content: AddToCartContent;
};
export function isResize(d: unknown): d is Message;
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
/**
 * jkt: the planner's DPoP key thumbprint
 */
export type ReadyContent = {
    version: 1;
    jkt?: string;
};
export type TokenExpiredContent = {
    reason: string;
    jkt?: string;
};
export type LoginContent = {
    token: string;
    expiresIn: number;
    user: User;
};
/**
 * millimetres
 */
export type Room = {
    width: number;
    depth: number;
};
export type Money = {
    amount: number;
    currency: string;
};
/**
 * Lengths in millimetres; x, y the top-left corner from the room's, before rotation.
 */
export type DesignItem = {
    id: string;
    catalogId: string;
    name: string;
    x: number;
    y: number;
    rotation: 0 | 90 | 180 | 270;
    width: number;
    depth: number;
    height: number;
    mount: "floor" | "wall";
    unitPrice: number;
};
export type Design = {
    id: string | null;
    name: string;
    room: Room;
    items: DesignItem[];
    total: Money;
    saved: boolean;
};
export type CartLine = {
    catalogId: string;
    name: string;
    quantity: number;
    unitPrice: number;
};
export type AddToCartContent = {
    designId: string | null;
    lines: CartLine[];
    total: Money;
};
export type CommandContent = {
    id: string;
    name: string;
    args: Record<string, unknown>;
};
export type CommandResultContent = {
    id: string;
    ok: true;
    value?: unknown;
} | {
    id: string;
    ok: false;
    error: {
        code: string;
        message: string;
    };
};
