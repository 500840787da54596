// @ts-check
/**
 * Whether a token the host handed over is one this planner origin's token service signed for
 * this entity and identity, checked here, without a web-service round trip: so that the planner
 * can say Loaded (drawn and authenticated) as soon as the token arrives.
 *
 * Checked: the compact JWS shape, `typ` at+jwt, a `kid` among the keys the planner page was
 * served with (the token service's published JWKS, fresh with every page), the signature with
 * the algorithm the key names (never the token's choice), `iss`, `aud` "planner", `entity`,
 * `kind`, and for a user token `sub`. Not `exp`: the planner counts `expiresIn` from arrival and
 * never reads `exp` against its own clock (SPEC). Any doubt (an algorithm this browser's
 * WebCrypto lacks, a key rotated since the page was served) answers false, and the planner then
 * waits for its first web-service call instead, as before. The web services still verify every
 * call; this only decides when to say Loaded.
 */

/** @typedef {{kid?: string, alg?: string, kty?: string, [k: string]: unknown}} PublicJwk */
/** @typedef {import("./token-keeper.js").Identity} Identity */

/** WebCrypto's names for the token service's algorithms (keys.py SIGNING_ALGORITHMS). */
const ALGORITHMS = {
  ES256: { key: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } },
  RS256: { key: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verify: { name: "RSASSA-PKCS1-v1_5" } },
  EdDSA: { key: { name: "Ed25519" }, verify: { name: "Ed25519" } },
};
const ACCESS_TOKEN_TYP = "at+jwt";
const AUDIENCE = "planner";

/** @param {string} segment base64url (atob's forgiving decode needs no padding) */
function bytesOf(segment) {
  return Uint8Array.from(atob(segment.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
}

/** @param {string} segment @returns {Record<string, any>} */
function jsonOf(segment) {
  return JSON.parse(new TextDecoder().decode(bytesOf(segment)));
}

/**
 * @param {Record<string, unknown>} claims
 * @param {{issuer: string, entity: string, identity: Identity}} expected
 */
function claimsFit(claims, { issuer, entity, identity }) {
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return claims.iss === issuer && audience.includes(AUDIENCE) && claims.entity === entity &&
    claims.kind === identity.kind &&
    (identity.kind !== "user" || claims.sub === identity.user.id);
}

/**
 * The token's length and shape are the protocol guard's (protocol.js) before it gets here; what
 * is malformed beyond that fails to decode or verify below, and counts as not genuine.
 * @param {string} token
 * @param {{keys: PublicJwk[], issuer: string, entity: string, identity: Identity,
 *   subtle?: SubtleCrypto}} expected
 * @returns {Promise<boolean>}
 */
export async function isGenuine(token, expected) {
  try {
    const subtle = expected.subtle ?? globalThis.crypto.subtle;
    const [head, body, signature, ...more] = token.split(".");
    const header = jsonOf(head);
    const jwk = expected.keys.find((k) => k.kid === header.kid);
    const algorithm = ALGORITHMS[/** @type {keyof typeof ALGORITHMS} */ (jwk?.alg)];
    if (more.length || header.typ !== ACCESS_TOKEN_TYP || !Object.hasOwn(ALGORITHMS, String(jwk?.alg)) ||
      header.alg !== jwk?.alg || !claimsFit(jsonOf(body), expected)) return false;
    const key = await subtle.importKey("jwk", /** @type {JsonWebKey} */ (jwk), algorithm.key, false,
      ["verify"]);
    return await subtle.verify(algorithm.verify, key, /** @type {BufferSource} */ (bytesOf(signature)),
      new TextEncoder().encode(`${head}.${body}`));
  } catch {
    return false; // malformed, or an algorithm this browser cannot verify: not known genuine
  }
}
