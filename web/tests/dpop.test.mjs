// The planner's DPoP key and proofs (RFC 9449, RFC 7638) with node's WebCrypto, and the nonce
// dance in the HTTP sender and the live channel over fakes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { runInNewContext } from "node:vm";

import { KEY_STORE, STORAGE_DEADLINE_MS, base64url, loadKey, thumbprint } from "../planner/dpop-key.js";
import { ProofMaker, asksForNonce, boundJkt, htuOf, lowS } from "../planner/dpop-proof.js";
import { httpSender } from "../planner/api.js";
import { LiveChannel } from "../planner/live.js";
import { TokenKeeper } from "../planner/token-keeper.js";
import { FakeClock, settle, until } from "./fakes.mjs";

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** @param {string} part */
function decode(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/** A JWT-shaped token whose payload binds it to `jkt` (the signature is not the planner's business). */
function tokenFor(jkt) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "ES256", typ: "at+jwt" })}.${part({ sub: "u", cnf: { jkt } })}.sig`;
}

/** @param {string} proof @param {import("../planner/dpop-key.js").PublicJwk} jwk */
async function verifies(proof, jwk) {
  const [header, claims, signature] = proof.split(".");
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" },
    false, ["verify"]);
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key,
    Buffer.from(signature, "base64url"), new TextEncoder().encode(`${header}.${claims}`));
}

test("the thumbprint is RFC 7638's over crv, kty, x, y (RFC 9449's own example key)", async () => {
  const jwk = { kty: "EC", x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
    y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA", crv: "P-256" };
  assert.equal(await thumbprint(/** @type {any} */ (jwk)), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
});

test("without IndexedDB the key lives in memory, non-extractable, named by its thumbprint", async () => {
  const key = await loadKey({ indexedDB: null });
  assert.equal(key.kept, "memory");
  assert.equal(key.privateKey.extractable, false);
  assert.equal(key.privateKey.type, "private");
  assert.deepEqual(Object.keys(key.publicJwk).sort(), ["crv", "kty", "x", "y"]);
  assert.equal(key.jkt, await thumbprint(key.publicJwk));
  assert.match(key.jkt, /^[A-Za-z0-9_-]{43}$/);
  await assert.rejects(crypto.subtle.exportKey("jwk", key.privateKey));
  assert.notEqual((await loadKey({ indexedDB: null })).jkt, key.jkt, "a new page, a new key");
});

test("an IndexedDB that refuses (a partitioned frame denied storage) leaves the key in memory", async () => {
  const refusing = { open() { throw new DOMException("The user denied permission", "UnknownError"); } };
  const key = await loadKey({ indexedDB: /** @type {any} */ (refusing) });
  assert.equal(key.kept, "memory");
});

test("an IndexedDB that never answers does not hold Ready back: memory after the deadline", async () => {
  const clock = new FakeClock();
  const silent = { open: () => ({}) }; // no onsuccess, no onerror, ever
  const loading = loadKey({ indexedDB: /** @type {any} */ (silent), setTimer: clock.setTimer });
  await settle();
  clock.advance(STORAGE_DEADLINE_MS);
  assert.equal((await loading).kept, "memory");
});

test("a proof has RFC 9449's header and claims and verifies with the public key it carries", async () => {
  const key = await loadKey({ indexedDB: null });
  const ids = ["id-1", "id-2"];
  const proofs = new ProofMaker({ key, now: () => 1_764_000_000_900, newId: () => ids.shift() });
  const token = tokenFor(key.jkt);
  const proof = await proofs.proof({ method: "get",
    url: "http://Planner.example:80/v1/assets?limit=200#top", token });
  const [header, claims] = proof.split(".").map((part, i) => (i < 2 ? decode(part) : part));
  assert.deepEqual(header, { typ: "dpop+jwt", alg: "ES256", jwk: key.publicJwk });
  assert.equal("d" in header.jwk, false);
  assert.deepEqual(claims, { jti: "id-1", htm: "GET", htu: "http://planner.example/v1/assets",
    iat: 1_764_000_000, ath: base64url(await crypto.subtle.digest("SHA-256",
      new TextEncoder().encode(token))) });
  assert.equal(await verifies(proof, header.jwk), true);
  const next = decode((await proofs.proof({ method: "GET", url: "http://planner.example/v1/assets",
    token })).split(".")[1]);
  assert.equal(next.jti, "id-2", "every proof its own jti");
});

test("a proof carries the latest nonce of its origin, and only of its origin", async () => {
  const key = await loadKey({ indexedDB: null });
  const proofs = new ProofMaker({ key });
  const token = tokenFor(key.jkt);
  const claimsOf = async (url) => decode((await proofs.proof({ method: "GET", url, token })).split(".")[1]);
  assert.equal((await claimsOf("http://a.example/v1/assets")).nonce, undefined);
  proofs.noteNonce("http://a.example/v1/assets", "n1");
  proofs.noteNonce("http://a.example/v1/assets/x", "n2");
  assert.equal((await claimsOf("http://a.example/v1/assets")).nonce, "n2");
  assert.equal((await claimsOf("ws://a.example/v1/live")).nonce, "n2", "ws is its http origin");
  assert.equal((await claimsOf("http://b.example/v1/assets")).nonce, undefined);
});

test("htu: no query or fragment; ws(s) as http(s)", () => {
  assert.equal(htuOf("https://p.example/v1/assets/a%20b?x=1#f"), "https://p.example/v1/assets/a%20b");
  assert.equal(htuOf("wss://p.example:443/v1/live"), "https://p.example/v1/live");
  assert.equal(htuOf("ws://127.0.0.1:8001/v1/live"), "http://127.0.0.1:8001/v1/live");
});

test("signatures are low-S: a high s becomes n - s, which still verifies", async () => {
  const key = await loadKey({ indexedDB: null });
  const data = new TextEncoder().encode("x");
  const algorithm = { name: "ECDSA", hash: "SHA-256" };
  const publicKey = await crypto.subtle.importKey("jwk", key.publicJwk,
    { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  let seenHigh = false;
  for (let i = 0; i < 40; i += 1) {
    const raw = new Uint8Array(await crypto.subtle.sign(algorithm, key.privateKey, data));
    const s = BigInt(`0x${Buffer.from(raw.subarray(32)).toString("hex")}`);
    const low = lowS(raw.slice().buffer);
    const lowValue = BigInt(`0x${Buffer.from(low.subarray(32)).toString("hex")}`);
    assert.ok(lowValue <= P256_ORDER >> 1n);
    assert.equal(lowValue, s <= P256_ORDER >> 1n ? s : P256_ORDER - s);
    assert.equal(await crypto.subtle.verify(algorithm, publicKey, low, data), true);
    seenHigh ||= s > P256_ORDER >> 1n;
  }
  assert.ok(seenHigh, "forty signatures, and not one high s: the test proved nothing");
});

test("boundJkt reads cnf.jkt, and nothing from what is not a JWT", () => {
  assert.equal(boundJkt(tokenFor("abc")), "abc");
  assert.equal(boundJkt("not-a-jwt"), null);
  assert.equal(boundJkt("a.%%%.c"), null);
});

test("asksForNonce: 401 with use_dpop_nonce in WWW-Authenticate, 400 with it as the error", () => {
  assert.equal(asksForNonce(401, 'DPoP error="use_dpop_nonce", error_description="x"'), true);
  assert.equal(asksForNonce(401, 'DPoP error="invalid_token", algs="ES256"'), false);
  assert.equal(asksForNonce(401, null), false);
  assert.equal(asksForNonce(400, null, { error: "use_dpop_nonce" }), true);
  assert.equal(asksForNonce(400, null, { error: "invalid_request" }), false);
});

/** A fetch that answers from `answers` in turn and notes every request. */
function fakeFetch(answers) {
  const sent = [];
  const fetch = async (url, init) => {
    sent.push({ url, init });
    const { status, headers = {}, body = {} } = answers.shift();
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    return { status, json: async () => body, headers: { get: (n) => lower[n.toLowerCase()] ?? null } };
  };
  return { fetch, sent };
}

test("a bound token goes as DPoP with a proof; use_dpop_nonce is retried once with the new nonce, "
  + "and the keeper never asks for a token", async () => {
  const key = await loadKey({ indexedDB: null });
  const proofs = new ProofMaker({ key });
  const { fetch, sent } = fakeFetch([
    { status: 401, headers: { "WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": "n1" },
      body: { error: "use_dpop_nonce" } },
    { status: 200, headers: { "DPoP-Nonce": "n2" }, body: { assets: [], next: null } },
    { status: 200, body: { assets: [], next: null } },
  ]);
  const clock = new FakeClock();
  const keeper = new TokenKeeper({ send: httpSender({ fetch, base: "http://p.example", proofs }),
    now: clock.now, wallNow: clock.wallNow, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
  const asks = [];
  keeper.on("ask", (ask) => asks.push(ask));
  const token = tokenFor(key.jkt);
  keeper.accept({ token, expiresIn: 600, identity: { kind: "legal_entity" } });
  assert.equal((await keeper.call({ method: "GET", path: "/v1/assets?limit=1" })).status, 200);
  assert.equal(sent.length, 2);
  const proofsSent = sent.map(({ init }) => decode(init.headers.DPoP.split(".")[1]));
  assert.deepEqual(sent.map(({ init }) => init.headers.Authorization), [`DPoP ${token}`, `DPoP ${token}`]);
  assert.equal(proofsSent[0].nonce, undefined);
  assert.equal(proofsSent[1].nonce, "n1");
  assert.notEqual(proofsSent[0].jti, proofsSent[1].jti);
  assert.equal(proofsSent[1].htu, "http://p.example/v1/assets");
  await keeper.call({ method: "GET", path: "/v1/assets" });
  assert.equal(decode(sent[2].init.headers.DPoP.split(".")[1]).nonce, "n2", "the latest nonce");
  assert.deepEqual(asks, []);
});

test("a second use_dpop_nonce is not retried again: the keeper sees the 401", async () => {
  const key = await loadKey({ indexedDB: null });
  const nonce = { status: 401, headers: { "WWW-Authenticate": 'DPoP error="use_dpop_nonce"',
    "DPoP-Nonce": "n" } };
  const { fetch, sent } = fakeFetch([nonce, { ...nonce }]);
  const send = httpSender({ fetch, base: "http://p.example", proofs: new ProofMaker({ key }) });
  const answer = await send({ method: "GET", path: "/v1/assets" }, tokenFor(key.jkt),
    new AbortController().signal);
  assert.equal(answer.status, 401);
  assert.equal(sent.length, 2);
});

test("an unbound token goes as Bearer with no proof, and a nonce challenge is not retried", async () => {
  const key = await loadKey({ indexedDB: null });
  const { fetch, sent } = fakeFetch([{ status: 401,
    headers: { "WWW-Authenticate": 'DPoP error="use_dpop_nonce"' } }]);
  const send = httpSender({ fetch, base: "http://p.example", proofs: new ProofMaker({ key }) });
  await send({ method: "GET", path: "/v1/assets" }, tokenFor("someone-else"), new AbortController().signal);
  assert.equal(sent.length, 1);
  assert.match(sent[0].init.headers.Authorization, /^Bearer /);
  assert.equal(sent[0].init.headers.DPoP, undefined);
});

class FakeSocket {
  sent = [];
  send(text) { this.sent.push(JSON.parse(text)); }
  close() {}
  push(message) { this.onmessage({ data: JSON.stringify(message) }); }
}

test("live: auth carries a GET proof for the live URL; use_dpop_nonce gets one more auth", async () => {
  const key = await loadKey({ indexedDB: null });
  const clock = new FakeClock();
  const keeper = new TokenKeeper({ send: async () => ({ status: 200 }), now: clock.now,
    wallNow: clock.wallNow, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
  const asks = [];
  keeper.on("ask", (ask) => asks.push(ask));
  const sockets = [];
  const live = new LiveChannel({ url: "ws://p.example/v1/live", keeper, setTimer: clock.setTimer,
    proofs: new ProofMaker({ key }), onChange: () => {},
    openSocket: () => { const s = new FakeSocket(); sockets.push(s); return s; } });
  const token = tokenFor(key.jkt);
  keeper.accept({ token, expiresIn: 600, identity: { kind: "legal_entity" } });
  live.start();
  await until(() => sockets.length === 1);
  sockets[0].onopen();
  const [first] = sockets[0].sent;
  assert.equal(first.token, token);
  const claims = decode(first.dpop.split(".")[1]);
  assert.deepEqual([claims.htm, claims.htu, claims.nonce], ["GET", "http://p.example/v1/live", undefined]);
  sockets[0].push({ type: "use_dpop_nonce", nonce: "n9" });
  sockets[0].push({ type: "use_dpop_nonce", nonce: "n10" }); // a second is not answered
  await until(() => sockets[0].sent.length === 2);
  await settle();
  assert.equal(sockets[0].sent.length, 2);
  assert.equal(decode(sockets[0].sent[1].dpop.split(".")[1]).nonce, "n9");
  assert.deepEqual(asks, []);
});

test("the planner's jkt goes in Ready and TokenExpired (and the guards check its form)", async () => {
  const { HostLink } = await import("../planner/host-link.js");
  const { isReady, isTokenExpired } = await import("../sdk/protocol.js");
  const clock = new FakeClock();
  const keeper = new TokenKeeper({ send: async () => ({ status: 200 }), now: clock.now,
    wallNow: clock.wallNow, setTimer: clock.setTimer, clearTimer: clock.clearTimer });
  const posted = [];
  const parent = { postMessage: (data, origin) => posted.push({ ...data, origin }) };
  const jkt = (await loadKey({ indexedDB: null })).jkt;
  const link = new HostLink({ parent, registered: ["http://shop"], parentOrigin: "http://shop",
    entity: "e1", keeper, jkt });
  link.start();
  keeper.accept({ token: "t", expiresIn: 100, identity: { kind: "legal_entity" } });
  clock.advance(100_000);
  void keeper.call({ method: "GET", path: "/v1/assets" }).catch(() => {}); // waits for a token
  await settle();
  assert.deepEqual(posted.map((p) => [p.event, p.content.jkt]), [["Ready", jkt],
    ["AuthenticationRequired", undefined], ["TokenExpired", jkt]]);
  assert.ok(posted.every((p) => p.origin === "http://shop"));
  assert.equal(isReady({ event: "Ready", content: { version: 1, jkt } }), true);
  assert.equal(isReady({ event: "Ready", content: { version: 1, jkt: "short" } }), false);
  assert.equal(isTokenExpired({ event: "TokenExpired", content: { reason: "expired", jkt: 7 } }), false);
});

test("a clock minutes off: the answer's Date corrects iat, and the refused call is sent once more",
  async () => {
    const key = await loadKey({ indexedDB: null });
    const local = Date.parse("2026-12-07T10:00:00Z");
    const proofs = new ProofMaker({ key, now: () => local });
    const serverDate = "Mon, 07 Dec 2026 10:10:00 GMT"; // ten minutes ahead of ours
    const { fetch, sent } = fakeFetch([
      { status: 401, headers: { Date: serverDate,
        "WWW-Authenticate": 'DPoP error="invalid_dpop_proof"' } },
      { status: 200, headers: { Date: serverDate }, body: { assets: [], next: null } },
      { status: 200, headers: { Date: serverDate }, body: { assets: [], next: null } },
    ]);
    const send = httpSender({ fetch, base: "http://p.example", proofs });
    const token = tokenFor(key.jkt);
    const answer = await send({ method: "GET", path: "/v1/assets" }, token, new AbortController().signal);
    assert.equal(answer.status, 200);
    const iats = sent.map(({ init }) => decode(init.headers.DPoP.split(".")[1]).iat);
    assert.deepEqual(iats, [local / 1000, local / 1000 + 600]);
    await send({ method: "GET", path: "/v1/assets" }, token, new AbortController().signal);
    assert.equal(sent.length, 3, "a clock already corrected: no retry needed, none made");
    assert.equal(proofs.noteServerTime("Mon, 07 Dec 2026 10:10:02 GMT"), false, "within the slack");
    assert.equal(proofs.noteServerTime("not a date"), false);
  });

test("nonces the last page kept start the next page's proofs; a new one is kept, a repeat is not",
  async () => {
    const key = await loadKey({ indexedDB: null });
    const kept = [];
    const proofs = new ProofMaker({ key: { ...key, nonces: { "http://p.example": "old" },
      keepNonces: (nonces) => kept.push(nonces) } });
    const token = tokenFor(key.jkt);
    const nonceOf = async () => decode((await proofs.proof({ method: "GET",
      url: "http://p.example/v1/assets", token })).split(".")[1]).nonce;
    assert.equal(await nonceOf(), "old");
    proofs.noteNonce("http://p.example/v1/assets", "old");
    proofs.noteNonce("http://p.example/v1/assets", "new");
    proofs.noteNonce("http://p.example/v1/assets/a", "new");
    assert.deepEqual(kept, [{ "http://p.example": "new" }]);
    assert.equal(await nonceOf(), "new");
  });

// key-store-early.js: a classic script the page runs as it is parsed, opening the store that
// dpop-key.js then takes over. Run here in a context of its own, with an IndexedDB stand-in.
const EARLY_SCRIPT = readFileSync(new URL("../planner/key-store-early.js", import.meta.url), "utf8");

/** The script run against an IndexedDB that records what it was asked for. */
function runEarly() {
  /** @type {any} */
  const request = {};
  const asked = { opened: /** @type {unknown[]} */ ([]), created: /** @type {string[]} */ ([]) };
  const db = { createObjectStore: (/** @type {string} */ name) => asked.created.push(name) };
  const indexedDB = { open: (...args) => { asked.opened.push(args); return request; } };
  const window = {};
  runInNewContext(EARLY_SCRIPT, { indexedDB, window, Object, Promise });
  return { request, asked, db, window: /** @type {any} */ (window) };
}

test("the early script opens dpop-key.js's own store, and hands the open database over", async () => {
  const { request, asked, db, window } = runEarly();
  assert.deepEqual(asked.opened, [[KEY_STORE.database, KEY_STORE.version]]);
  request.result = db;
  request.onupgradeneeded();
  assert.deepEqual(asked.created, [KEY_STORE.store]);
  request.onsuccess();
  assert.equal(await window.plannerKeyStore, db);
});

test("an early opening refused is a rejected promise, for dpop-key.js's memory fallback", async () => {
  const { request, window } = runEarly();
  request.error = new Error("denied");
  request.onerror();
  await assert.rejects(window.plannerKeyStore, /denied/);
});

test("where asking for IndexedDB throws, the early script leaves nothing behind", () => {
  const window = {};
  const indexedDB = { open: () => { throw new Error("SecurityError"); } };
  runInNewContext(EARLY_SCRIPT, { indexedDB, window, Object, Promise });
  assert.equal(Object.hasOwn(window, "plannerKeyStore"), false);
});
