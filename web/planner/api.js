// @ts-check
/**
 * The planner web services' assets API as the planner uses it. Every call goes through the
 * token keeper (which queues and replays; the sender adds the token, and its DPoP proof when the
 * token is bound to the planner's key); this module only shapes
 * requests and turns error answers into PlannerBridgeError named by the service's error code.
 *
 * The sender reads the whole answer, body included, before the keeper sees it: the keeper
 * settles waiting calls in call order, and that order must cover the call up to its parsed
 * result, or a slow body would let later calls complete first.
 */
import { PlannerBridgeError } from "../sdk/protocol.js";
import { asksForNonce } from "./dpop-proof.js";

const PAGE_SIZE = 200;
const MAX_PAGES = 25; // 5 000 assets are plenty for one screen; more means something is wrong

/**
 * @typedef {{id: string, entity: string, owner: string | null, name: string, kind: string,
 *   data: Record<string, unknown>, created: number, updated: number, version: number}} Asset
 * @typedef {import("./token-keeper.js").CallRequest} CallRequest
 * @typedef {{status: number, body: unknown}} ReadAnswer  body: the parsed JSON; null for 204;
 *   undefined when the body was not JSON or could not be read
 * @typedef {{status: number, json: () => Promise<unknown>,
 *   headers?: {get: (name: string) => string | null}}} HttpAnswer  what `fetch` gives
 * @typedef {import("./dpop-proof.js").ProofMaker} ProofMaker
 */

/**
 * The keeper's `send`: one HTTP request with the token, never with cookies, never cached;
 * resolves once the answer's body is read, so the keeper's call order covers the whole call.
 * `signal` is the keeper's deadline for the request (request-timeout.js): aborting it drops the
 * connection and stops reading the body, so a stalled request holds nothing once it timed out.
 * With `proofs`, a token bound to the planner's key goes as `DPoP` with a fresh proof, and an
 * answer asking for a nonce (`use_dpop_nonce`) is sent once more with it, here: it is not a
 * token failure, so the keeper never sees it (no TokenExpired). So is a proof refused while the
 * answer's `Date` showed our clock to be off (dpop-proof.js says why).
 * @param {{fetch: (url: string, init: RequestInit) => Promise<HttpAnswer>, base: string,
 *   proofs?: ProofMaker | null}} options
 * @returns {(request: CallRequest, token: string, signal: AbortSignal) => Promise<ReadAnswer>}
 */
export function httpSender({ fetch, base, proofs = null }) {
  return async (request, token, signal) => {
    const url = base + request.path;
    const bound = proofs?.binds(token) ? proofs : null;
    let corrected = false;
    const once = async () => {
      const init = requestInit(request, token, signal);
      if (bound) await withProof(init, bound, url, token);
      const answer = await fetch(url, init);
      bound?.noteNonce(url, answer.headers?.get("DPoP-Nonce"));
      corrected = !!bound?.noteServerTime(answer.headers?.get("Date"));
      return answer;
    };
    let answer = await once();
    const challenge = answer.headers?.get("WWW-Authenticate") ?? null;
    // Exactly one retry: with the nonce just noted, or dated by the server's clock just learnt.
    if (bound && (asksForNonce(answer.status, challenge) || (answer.status === 401 && corrected))) {
      answer = await once();
    }
    return readAnswer(answer);
  };
}

/** `Authorization: DPoP` and the proof, in place of the bearer header.
 * @param {RequestInit} init @param {ProofMaker} proofs @param {string} url @param {string} token */
async function withProof(init, proofs, url, token) {
  const headers = /** @type {Record<string, string>} */ (init.headers);
  headers.Authorization = `DPoP ${token}`;
  headers.DPoP = await proofs.proof({ method: String(init.method), url, token });
}

/** @param {CallRequest} request @param {string} token @param {AbortSignal} signal
 * @returns {RequestInit} */
function requestInit(request, token, signal) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (request.idempotencyKey) headers["Idempotency-Key"] = request.idempotencyKey;
  if (request.body !== undefined) headers["Content-Type"] = "application/json";
  return {
    method: request.method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
    signal,
  };
}

/**
 * The status and parsed body. An unreadable body is not thrown here: the status still tells
 * the keeper whether the token worked (a 401 must be replayed whatever its body says).
 * @param {HttpAnswer} answer @returns {Promise<ReadAnswer>}
 */
async function readAnswer(answer) {
  if (answer.status === 204) return { status: 204, body: null };
  try {
    return { status: answer.status, body: await answer.json() };
  } catch {
    return { status: answer.status, body: undefined };
  }
}

/**
 * A PlannerBridgeError from an error answer: the code is the service's `error`
 * (e.g. "insufficient_scope", "not_found"), else "http_<status>".
 * @param {ReadAnswer} answer
 */
export function errorOf({ status, body }) {
  const fields = /** @type {{error?: unknown, error_description?: unknown}} */ (
    typeof body === "object" && body !== null ? body : {});
  const code = typeof fields.error === "string" ? fields.error : `http_${status}`;
  const text = typeof fields.error_description === "string" ? fields.error_description : code;
  return new PlannerBridgeError(code, `${text} (${status})`, { status });
}

export class AssetsApi {
  /** @param {{call: (request: CallRequest) => Promise<any>}} keeper  its `send` is httpSender's */
  constructor(keeper) {
    this.keeper = keeper;
  }

  /** @param {{after?: string | null, limit?: number}} [page]
   * @returns {Promise<{assets: Asset[], next: string | null}>} */
  list({ after = null, limit = PAGE_SIZE } = {}) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (after) query.set("after", after);
    return this.#json({ method: "GET", path: `/v1/assets?${query}` });
  }

  /** Every asset the token may see: the entity's catalog and, for a user, their own. */
  async listAll() {
    /** @type {Asset[]} */
    const assets = [];
    let after = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const answer = await this.list({ after });
      assets.push(...answer.assets);
      after = answer.next;
      if (!after) break;
    }
    return assets;
  }

  /** @param {{name: string, kind: string, data?: Record<string, unknown>}} asset
   * @returns {Promise<Asset>} */
  create({ name, kind, data = {} }) {
    return this.#json({ method: "POST", path: "/v1/assets", body: { name, kind, data } });
  }

  /** @param {string} id @param {string} name @returns {Promise<Asset>} */
  rename(id, name) {
    return this.update(id, { name });
  }

  /** @param {string} id @param {{name?: string, kind?: string, data?: Record<string, unknown>}} fields
   * @returns {Promise<Asset>} */
  update(id, fields) {
    return this.#json({ method: "PATCH", path: `/v1/assets/${encodeURIComponent(id)}`, body: fields });
  }

  /** @param {string} id @returns {Promise<null>} */
  remove(id) {
    return this.#json({ method: "DELETE", path: `/v1/assets/${encodeURIComponent(id)}` });
  }

  /**
   * The answer's body, or its error. Nothing is awaited after the keeper's answer: each call
   * completes in the order the keeper settles it.
   * @param {CallRequest} request
   */
  async #json(request) {
    /** @type {ReadAnswer} */
    const answer = await this.keeper.call(request);
    if (answer.status < 200 || answer.status >= 300) throw errorOf(answer);
    if (answer.body === undefined) {
      throw new PlannerBridgeError("MalformedAnswer", `the answer was not JSON (${answer.status})`,
        { status: answer.status });
    }
    return /** @type {any} */ (answer.body);
  }
}
