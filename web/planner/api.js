// @ts-check
/**
 * The planner web services' assets API as the planner uses it. Every call goes through the
 * token keeper (which adds the bearer token, queues and replays); this module only shapes
 * requests and turns error answers into PlannerBridgeError named by the service's error code.
 */
import { PlannerBridgeError } from "../sdk/protocol.js";

const PAGE_SIZE = 200;
const MAX_PAGES = 25; // 5 000 assets are plenty for one screen; more means something is wrong

/**
 * @typedef {{id: string, entity: string, owner: string | null, name: string, kind: string,
 *   data: Record<string, unknown>, created: number, updated: number, version: number}} Asset
 * @typedef {import("./token-keeper.js").CallRequest} CallRequest
 */

/**
 * The keeper's `send`: one HTTP request with the token, never with cookies, never cached.
 * @param {{fetch: typeof fetch, base: string}} options
 * @returns {(request: CallRequest, token: string) => Promise<Response>}
 */
export function httpSender({ fetch, base }) {
  return (request, token) => {
    /** @type {Record<string, string>} */
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    if (request.idempotencyKey) headers["Idempotency-Key"] = request.idempotencyKey;
    if (request.body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(base + request.path, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  };
}

/**
 * A PlannerBridgeError from an error answer: the code is the service's `error`
 * (e.g. "insufficient_scope", "not_found"), else "http_<status>".
 * @param {{status: number, json?: () => Promise<any>}} answer
 */
export async function errorOf(answer) {
  let body = null;
  try {
    body = answer.json ? await answer.json() : null;
  } catch {
    body = null;
  }
  const code = typeof body?.error === "string" ? body.error : `http_${answer.status}`;
  const text = typeof body?.error_description === "string" ? body.error_description : code;
  return new PlannerBridgeError(code, `${text} (${answer.status})`, { status: answer.status });
}

export class AssetsApi {
  /** @param {{call: (request: CallRequest) => Promise<any>}} keeper */
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

  /** @param {CallRequest} request */
  async #json(request) {
    const answer = await this.keeper.call(request);
    if (answer.status < 200 || answer.status >= 300) throw await errorOf(answer);
    return answer.status === 204 ? null : answer.json();
  }
}
