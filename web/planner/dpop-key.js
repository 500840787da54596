// @ts-check
/**
 * The planner's DPoP key (SPEC "Sender-constrained tokens", RFC 9449): one P-256 key pair made by
 * WebCrypto with `extractable: false`, so no script, the planner's own included, can read the
 * private key out: it can only sign with it. A token bound to its thumbprint (`jkt`) is worthless
 * to whoever copies it out of the page.
 *
 * The pair is kept, as CryptoKey objects (the browser keeps the private key's bytes out of
 * reach), in the planner origin's IndexedDB, so a reload keeps the key and the tokens bound to it
 * stay good. Where IndexedDB is missing, refused (a browser that denies storage to cross-site
 * frames) or does not answer in time, the key lives in memory for the page's life: the planner
 * works the same, and its next page load makes a new key (the host then asks for tokens bound to
 * that one, as Ready carries its jkt).
 *
 * Beside the key, the same store keeps the server's latest DPoP nonce per origin (public: the
 * server hands it to anyone). A nonce stays good for a minute or more, so a shopper going from
 * one shop page to the next starts with one, and the first call is not answered
 * `use_dpop_nonce` and sent again.
 */

/** The key store; key-store-early.js opens the same one, as the page starts (node tests check). */
export const KEY_STORE = Object.freeze({ database: "planner-dpop", version: 1, store: "keys" });
const DATABASE = KEY_STORE.database;
const STORE = KEY_STORE.store;
const KEY_NAME = "dpop";
const NONCES = "nonces";
const MAX_NONCE_ORIGINS = 8; // the planner talks to its own origin: more is noise
const ALGORITHM = Object.freeze({ name: "ECDSA", namedCurve: "P-256" });
/** Ready waits for the key: a storage that never answers must not hold it back for long. */
export const STORAGE_DEADLINE_MS = 2000;

/** @typedef {{kty: "EC", crv: "P-256", x: string, y: string}} PublicJwk */
/**
 * @typedef {{privateKey: CryptoKey, publicJwk: PublicJwk, jkt: string,
 *   kept: "indexeddb" | "memory", nonces: Record<string, string>,
 *   keepNonces: (nonces: Record<string, string>) => void}} DPoPKey
 *   nonces: the server nonces the last page kept, per origin (the module comment says why)
 */
/** @typedef {{privateKey: CryptoKey, publicKey: CryptoKey}} StoredPair */
/** @typedef {{pair: StoredPair, nonces: Record<string, string>,
 *   keep: (nonces: Record<string, string>) => void}} Stored */

/** @param {ArrayBuffer | Uint8Array} bytes */
export function base64url(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url of SHA-256 over UTF-8 text (the thumbprint's and `ath`'s form).
 * @param {string} text @param {SubtleCrypto} subtle */
export async function sha256(text, subtle = crypto.subtle) {
  return base64url(await subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** The RFC 7638 thumbprint: the required members only, in lexicographic order, no spaces.
 * @param {PublicJwk} jwk @param {SubtleCrypto} [subtle] */
export function thumbprint(jwk, subtle) {
  return sha256(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }), subtle);
}

/** @param {unknown} value @returns {value is StoredPair} */
function isUsablePair(value) {
  const pair = /** @type {Partial<StoredPair> | null} */ (value);
  const key = pair?.privateKey;
  return !!key && !!pair?.publicKey && typeof key === "object" && key.type === "private" &&
    key.extractable === false && key.algorithm?.name === "ECDSA" &&
    /** @type {EcKeyAlgorithm} */ (key.algorithm).namedCurve === "P-256";
}

/** @template T @param {IDBRequest<T>} request @returns {Promise<T>} */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * `fresh`, added unless the store holds a pair by now (then that one). The key is made before
 * this transaction (WebCrypto is async; an IndexedDB transaction ends when it has nothing
 * pending): two planner pages loading at once end up with the same key.
 * @param {IDBDatabase} db @param {StoredPair} fresh @returns {Promise<StoredPair>}
 */
function addOnce(db, fresh) {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, "readwrite");
    const store = transaction.objectStore(STORE);
    let chosen = fresh;
    store.get(KEY_NAME).onsuccess = (event) => {
      const again = /** @type {IDBRequest} */ (event.target).result;
      if (isUsablePair(again)) chosen = again; // another page was first
      else store.put(fresh, KEY_NAME);
    };
    transaction.oncomplete = () => resolve(chosen); // committed: the next load finds it
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
}

/** @param {unknown} value @returns {Record<string, string>} */
function nonceRecord(value) {
  if (typeof value !== "object" || value === null) return {};
  const entries = Object.entries(value).filter(([, v]) => typeof v === "string");
  return Object.fromEntries(entries.slice(0, MAX_NONCE_ORIGINS));
}

/** A promise even when asking throws (a refusing browser): the caller falls back to memory.
 * @param {IDBFactory} factory @returns {Promise<IDBDatabase>} */
async function openStore(factory) {
  const opening = factory.open(DATABASE, KEY_STORE.version);
  opening.onupgradeneeded = () => { opening.result.createObjectStore(STORE); };
  return done(opening);
}

/**
 * The stored pair (or `make()`'s, stored now) and the server nonces kept beside it. The database
 * stays open for the nonces' writes.
 * @param {Promise<IDBDatabase>} opening @param {() => Promise<StoredPair>} make
 * @returns {Promise<Stored>}
 */
async function stored(opening, make) {
  const db = await opening;
  db.onversionchange = () => db.close(); // a newer planner's upgrade must not wait for this page
  try {
    const read = db.transaction(STORE, "readonly").objectStore(STORE);
    const [found, nonces] = await Promise.all([done(read.get(KEY_NAME)), done(read.get(NONCES))]);
    const pair = isUsablePair(found) ? found : await addOnce(db, await make());
    /** @param {Record<string, string>} latest */
    const keep = (latest) => {
      try {
        db.transaction(STORE, "readwrite").objectStore(STORE).put(nonceRecord(latest), NONCES);
      } catch {
        // closed (a newer planner upgraded) or refused: the next page asks for a nonce again
      }
    };
    return { pair, nonces: nonceRecord(nonces), keep };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The page's IndexedDB, or null where even asking for it throws (an opaque origin). */
function pageIndexedDB() {
  try {
    return globalThis.indexedDB ?? null;
  } catch {
    return null;
  }
}

/** What key-store-early.js began opening as the page started, if it ran. */
function openedEarly() {
  const opened = /** @type {{plannerKeyStore?: Promise<IDBDatabase>}} */ (globalThis).plannerKeyStore;
  return opened instanceof Promise ? opened : null;
}

/**
 * The planner's key: the one kept in IndexedDB, else a new one (kept there if it can be).
 * @param {{crypto?: Crypto, indexedDB?: IDBFactory | null,
 *   setTimer?: (fn: () => void, ms: number) => unknown}} [options]
 *   indexedDB: left out, the page's (the store key-store-early.js opened, if it did)
 * @returns {Promise<DPoPKey>}
 */
export async function loadKey(options = {}) {
  const webCrypto = options.crypto ?? globalThis.crypto;
  const page = options.indexedDB === undefined;
  const factory = page ? pageIndexedDB() : options.indexedDB;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const make = async () => /** @type {StoredPair} */ (
    await webCrypto.subtle.generateKey(ALGORITHM, false, ["sign"]));
  /** @type {Stored | null} */
  let found = null;
  if (factory) {
    const late = new Promise((resolve) => setTimer(() => resolve(null), STORAGE_DEADLINE_MS));
    // IndexedDB refused (SecurityError, "the user denied permission") or silent: memory.
    const opening = (page && openedEarly()) || openStore(factory);
    found = await Promise.race([stored(opening, make).catch(() => null), late]);
  }
  const pair = found?.pair ?? await make();
  const { kty, crv, x, y } = /** @type {PublicJwk} */ (
    await webCrypto.subtle.exportKey("jwk", pair.publicKey));
  const publicJwk = /** @type {PublicJwk} */ ({ kty, crv, x, y });
  return { privateKey: pair.privateKey, publicJwk, jkt: await thumbprint(publicJwk, webCrypto.subtle),
    kept: found ? "indexeddb" : "memory", nonces: found?.nonces ?? {},
    keepNonces: found?.keep ?? (() => {}) };
}
