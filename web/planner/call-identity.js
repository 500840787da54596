// @ts-check
/**
 * The identity the planner's calls are made under, and when the host hears that it worked or was
 * refused (docs/reference.md, "Planner app and the bridge messages").
 *
 * - Every call is bound to the identity it was made under (the first identity to arrive, for
 *   calls made before any): when the identity changes (login, logout, user switch) the calls
 *   still waiting under the old one fail with IdentityChanged and are never sent.
 * - An identity is confirmed once, by the first answer to one of its calls that is neither a 401
 *   nor a 5xx, and only while it is still the current one: an answer to a call of an identity no
 *   longer held comes too late to confirm anything (the host would hear of a login it has since
 *   replaced).
 * - A token refused before its identity was confirmed is a failed login; a refused refresh of an
 *   identity that already worked is an expiry, not a failed login.
 */
import { PlannerBridgeError } from "../sdk/protocol.js";

/**
 * @typedef {import("./token-keeper.js").Call} Call
 * @typedef {import("./held-token.js").HeldToken} HeldToken
 */

export class CallIdentity {
  /** The current identity's key (identityKey() in held-token.js); null before any token. */
  /** @type {string | null} */ key = null;
  /** @type {string | null} */ #confirmedKey = null;

  /**
   * The identity is now `key`. Returns what picks the stale calls: those bound to the previous
   * identity (they fail, never sent); a call made before any identity is bound to `key` instead.
   * @param {string} key @returns {(call: Call) => boolean}
   */
  switchTo(key) {
    this.key = key;
    return (call) => {
      if (call.identityKey !== null) return true;
      call.identityKey = key;
      return false;
    };
  }

  /** An answer (not a 401 or 5xx) to a call made with `token`: true when it confirms the
   * identity, now and for the first time. @param {HeldToken} token */
  confirms(token) {
    if (token.key !== this.key || token.key === this.#confirmedKey) return false;
    this.#confirmedKey = token.key;
    return true;
  }

  /** `token` was refused: true when that rejects its identity (never confirmed), false when it
   * is an expiry. @param {HeldToken} token */
  rejects(token) {
    return token.key !== this.#confirmedKey;
  }
}

/** The error of a call whose identity went before it was sent. */
export function identityChanged() {
  return new PlannerBridgeError("IdentityChanged",
    "the call was made for another identity (login, logout or user switch) and was not sent");
}
