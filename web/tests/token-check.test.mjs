// token-check.js: a token is known genuine only when its signature verifies with a key the page
// was served with, under that key's own algorithm, and its typ, iss, aud, entity, kind and sub fit.
import assert from "node:assert/strict";
import { test } from "node:test";

import { isGenuine } from "../planner/token-check.js";

const ISSUER = "https://planner.example";
const SHOP = { kind: "legal_entity" };
const ALICE = { kind: "user", user: { id: "alice", name: "Alice" } };
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const part = (value) => b64url(Buffer.from(JSON.stringify(value)));

const KEY_PARAMS = {
  ES256: { name: "ECDSA", namedCurve: "P-256" },
  RS256: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256" },
  EdDSA: { name: "Ed25519" },
};
const SIGN_PARAMS = { ES256: { name: "ECDSA", hash: "SHA-256" }, RS256: { name: "RSASSA-PKCS1-v1_5" },
  EdDSA: { name: "Ed25519" } };

async function signer(alg = "ES256", kid = "k1") {
  const params = KEY_PARAMS[alg];
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]);
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg, use: "sig" };
  delete jwk.key_ops;
  delete jwk.ext;
  const sign = async (claims, header = {}) => {
    const input = `${part({ alg, typ: "at+jwt", kid, ...header })}.${part(claims)}`;
    const signature = await crypto.subtle.sign(SIGN_PARAMS[alg], pair.privateKey,
      new TextEncoder().encode(input));
    return `${input}.${b64url(new Uint8Array(signature))}`;
  };
  return { jwk, sign };
}

const claims = (extra = {}) => ({ iss: ISSUER, aud: "planner", sub: "ent_1", entity: "ent_1",
  kind: "legal_entity", scope: "read", iat: 1, exp: 2, jti: "j", ...extra });
const check = (token, keys, identity = SHOP) =>
  isGenuine(token, { keys, issuer: ISSUER, entity: "ent_1", identity });

test("a token signed with a served key, fitting this entity and identity, is genuine", async () => {
  for (const alg of ["ES256", "RS256", "EdDSA"]) {
    const { jwk, sign } = await signer(alg);
    assert.equal(await check(await sign(claims()), [jwk]), true, alg);
  }
  const { jwk, sign } = await signer();
  const user = await sign(claims({ kind: "user", sub: "alice" }));
  assert.equal(await check(user, [jwk], ALICE), true);
});

test("an expired exp does not matter: the planner counts expiresIn, never exp", async () => {
  const { jwk, sign } = await signer();
  assert.equal(await check(await sign(claims({ exp: 0, iat: 0 })), [jwk]), true);
});

test("anything that does not fit is not known genuine", async () => {
  const { jwk, sign } = await signer();
  const other = await signer("ES256", "k2");
  const token = await sign(claims());
  const [head, body, signature] = token.split(".");
  const cases = {
    "another key's signature": await other.sign(claims(), { kid: "k1" }),
    "an unknown kid": await other.sign(claims()),
    "a changed payload": `${head}.${part(claims({ entity: "ent_2" }))}.${signature}`,
    "another issuer": await sign(claims({ iss: "https://evil.example" })),
    "another audience": await sign(claims({ aud: "admin" })),
    "another entity": await sign(claims({ entity: "ent_2" })),
    "a user token for the shop's identity": await sign(claims({ kind: "user", sub: "alice" })),
    "a typ other than at+jwt": await sign(claims(), { typ: "JWT" }),
    "an alg other than the key's": await sign(claims(), { alg: "RS256" }),
    "not a compact JWS": `${head}.${body}`,
    "a bad segment": `${head}.${body}.***`,
    "a header that is not JSON": `${b64url(Buffer.from("nope"))}.${body}.${signature}`,
    "a fourth segment": `${token}.${signature}`,
    "a payload that is not an object": `${head}.${part(null)}.${signature}`,
  };
  for (const [what, bad] of Object.entries(cases)) {
    assert.equal(await check(bad, [jwk]), false, what);
  }
  assert.equal(await check(token, []), false, "no keys served");
  const bob = await sign(claims({ kind: "user", sub: "bob" }));
  assert.equal(await check(bob, [jwk], ALICE), false, "another user's token");
  assert.equal(await check(token, [{ ...jwk, alg: "HS256" }]), false, "a key of an algorithm not pinned");
});

test("the key is found by kid among several, and a key for one algorithm never verifies another's",
  async () => {
    const { jwk, sign } = await signer("ES256", "k1");
    const rsa = await signer("RS256", "k2");
    const ed = await signer("EdDSA", "k3");
    const keys = [rsa.jwk, ed.jwk, jwk];
    assert.equal(await check(await sign(claims()), keys), true);
    assert.equal(await check(await ed.sign(claims()), keys), true);
    // Signed by k1's key but naming k3 (an Ed25519 key): no verification crosses keys.
    assert.equal(await check(await sign(claims(), { kid: "k3" }), keys), false);
    assert.equal(await check(await sign(claims(), { kid: "k3", alg: "EdDSA" }), keys), false);
  });

test("without WebCrypto (an old browser, an insecure context) the answer is false", async () => {
  const { jwk, sign } = await signer();
  const token = await sign(claims());
  const original = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
  try {
    assert.equal(await check(token, [jwk]), false);
  } finally {
    Object.defineProperty(globalThis, "crypto", original);
  }
  assert.equal(await check(token, [jwk]), true);
});

test("a browser without the key's algorithm answers false rather than throwing", async () => {
  const { jwk, sign } = await signer();
  const subtle = { importKey: async () => { throw new DOMException("NotSupportedError"); } };
  assert.equal(await isGenuine(await sign(claims()), { keys: [jwk], issuer: ISSUER,
    entity: "ent_1", identity: SHOP, subtle }), false);
});
