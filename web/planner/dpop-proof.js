// @ts-check
/**
 * DPoP proofs (RFC 9449 §4): a fresh JWT signed with the planner's key for each request, binding
 * it to the method, the URL, the token (`ath`) and the server's latest nonce. The planner's calls
 * and its live channel sign with one `ProofMaker`, which also keeps the server's nonces, one per
 * origin (§8): every answer's `DPoP-Nonce` replaces the one kept, and the next proof carries it.
 *
 * A proof is made only for a token bound to this key (`cnf.jkt`, §6): an unbound token goes as
 * `Bearer`, as the web services expect for entities that do not require DPoP.
 *
 * `iat` is the server's time: a shopper's clock that is minutes off would have every proof
 * refused (at most 60 s old, 5 s ahead), and every new token with it. So the answers' `Date`
 * header corrects it: once the server's clock and ours differ by more than CLOCK_SLACK_MS, proofs
 * are dated by the server's (Date has whole seconds, hence the slack).
 */
import { base64url, sha256 } from "./dpop-key.js";

// The order of P-256's group: a signature's `s` above half of it is turned into n - s.
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = P256_ORDER >> 1n;
const SIGNING = Object.freeze({ name: "ECDSA", hash: "SHA-256" });
export const CLOCK_SLACK_MS = 5000;

/** @typedef {import("./dpop-key.js").DPoPKey} DPoPKey */

/**
 * The `htu` for a URL: scheme, host and path, without query and fragment; a WebSocket URL by its
 * HTTP scheme (SPEC: `/v1/live` with `http(s)` for `ws(s)`). URL() normalises case and ports.
 * @param {string} url
 */
export function htuOf(url) {
  const parsed = new URL(url);
  const scheme = { "ws:": "http:", "wss:": "https:" }[parsed.protocol] ?? parsed.protocol;
  return `${scheme}//${parsed.host}${parsed.pathname}`;
}

/**
 * WebCrypto's ECDSA signature (r ‖ s, 32 bytes each, already JWS's form) with `s` in the lower
 * half: both are valid, and strict verifiers accept only the low one (one proof, one string).
 * @param {ArrayBuffer} signature @returns {Uint8Array}
 */
export function lowS(signature) {
  const bytes = new Uint8Array(signature);
  let s = 0n;
  for (const byte of bytes.subarray(32)) s = (s << 8n) | BigInt(byte);
  if (s <= HALF_ORDER) return bytes;
  let flipped = P256_ORDER - s;
  for (let i = 63; i >= 32; i -= 1) {
    bytes[i] = Number(flipped & 0xffn);
    flipped >>= 8n;
  }
  return bytes;
}

/** @param {unknown} value */
function encodeJson(value) {
  return base64url(new TextEncoder().encode(JSON.stringify(value)));
}

/**
 * The `cnf.jkt` a token is bound to, or null (unbound, or not a JWT at all). The token's other
 * claims are not the planner's business (its lifetime is counted from `expiresIn`).
 * @param {string} token
 */
export function boundJkt(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
    return typeof claims?.cnf?.jkt === "string" ? claims.cnf.jkt : null;
  } catch {
    return null;
  }
}

/**
 * Whether an answer asks for a proof with a (new) nonce: 401 `use_dpop_nonce` from a resource
 * server (§9), or 400 from an authorization server (§8).
 * @param {number} status @param {string | null} wwwAuthenticate @param {unknown} [body]
 */
export function asksForNonce(status, wwwAuthenticate, body) {
  if (status === 401) return /error="use_dpop_nonce"/.test(wwwAuthenticate ?? "");
  const error = /** @type {{error?: unknown} | null} */ (body)?.error;
  return status === 400 && error === "use_dpop_nonce";
}

export class ProofMaker {
  /** @type {Map<string, string>} the latest nonce per origin */ #nonces = new Map();
  /** How far the server's clock is ahead of ours (ms), when it differs by more than the slack. */
  #skewMs = 0;

  /**
   * @param {{key: DPoPKey, crypto?: Crypto, now?: () => number, newId?: () => string}} options
   *   now: the wall clock in ms (`iat` is the server's time, so the wall clock it must be)
   */
  constructor({ key, crypto: webCrypto = globalThis.crypto, now = Date.now, newId }) {
    this.key = key;
    this.#nonces = new Map(Object.entries(key.nonces ?? {})); // the last page's, maybe still good
    this.jkt = key.jkt;
    this.subtle = webCrypto.subtle;
    this.now = now;
    this.newId = newId ?? (() => webCrypto.randomUUID());
  }

  /** Whether `token` is bound to this key (then it goes with proofs, as `DPoP`).
   * @param {string} token */
  binds(token) {
    return boundJkt(token) === this.jkt;
  }

  /** Keep the nonce an answer from `url`'s origin carried (null: it carried none).
   * @param {string} url @param {string | null | undefined} nonce */
  noteNonce(url, nonce) {
    const origin = new URL(htuOf(url)).origin;
    if (!nonce || this.#nonces.get(origin) === nonce) return;
    this.#nonces.set(origin, nonce);
    this.key.keepNonces?.(Object.fromEntries(this.#nonces)); // for the next page (dpop-key.js)
  }

  /**
   * An answer's `Date`: returns whether it changed how proofs are dated (then a refused proof
   * is worth one more try).
   * @param {string | null | undefined} date
   */
  noteServerTime(date) {
    const server = date ? Date.parse(date) : NaN;
    if (Number.isNaN(server)) return false;
    const skew = server - this.now();
    const next = Math.abs(skew) > CLOCK_SLACK_MS ? skew : 0;
    if (Math.abs(next - this.#skewMs) <= CLOCK_SLACK_MS) return false;
    this.#skewMs = next;
    return true;
  }

  /**
   * A proof for one request: `typ`, `alg`, the public `jwk`; `jti`, `htm`, `htu`, `iat`, `ath`
   * and the origin's latest nonce (when the server gave one).
   * @param {{method: string, url: string, token: string}} request @returns {Promise<string>}
   */
  async proof({ method, url, token }) {
    const htu = htuOf(url);
    const header = { typ: "dpop+jwt", alg: "ES256", jwk: this.key.publicJwk };
    /** @type {Record<string, unknown>} */
    const claims = { jti: this.newId(), htm: method.toUpperCase(), htu,
      iat: Math.floor((this.now() + this.#skewMs) / 1000), ath: await sha256(token, this.subtle) };
    const nonce = this.#nonces.get(new URL(htu).origin);
    if (nonce) claims.nonce = nonce;
    const input = `${encodeJson(header)}.${encodeJson(claims)}`;
    const signature = await this.subtle.sign(SIGNING, this.key.privateKey,
      new TextEncoder().encode(input));
    return `${input}.${base64url(lowS(signature))}`;
  }
}
