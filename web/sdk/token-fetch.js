// @ts-check
/**
 * One call of the integrator's fetchToken, as the bridge needs it: within the answer deadline,
 * with the request's `reason` and `jkt` only when they have a value, and its answer checked for
 * shape. A failure names only the error's kind: an integrator's message might quote a response
 * body, and a token must never reach a log.
 */
import { PlannerBridgeError, isTokenContent, isUser } from "./protocol.js";

/**
 * @typedef {{kind: "legal_entity", token: string, expiresIn: number}
 *   | {kind: "user", token: string, expiresIn: number, user: {id: string, name: string}}} TokenAnswer
 * @typedef {{reason?: string, jkt?: string}} TokenRequest  what fetchToken is called with
 * @typedef {(request: TokenRequest) => Promise<unknown>} FetchToken
 * @typedef {{fetchToken: FetchToken, deadlineMs: number,
 *   setTimer: (fn: () => void, ms: number) => unknown, clearTimer: (handle: unknown) => void}} Fetcher
 */

/** @param {unknown} answer @returns {answer is TokenAnswer} */
function isTokenAnswer(answer) {
  const a = /** @type {Record<string, unknown> | null | undefined} */ (answer);
  if (a?.kind === "user") return isTokenContent(a) && isUser(a.user);
  return a?.kind === "legal_entity" && isTokenContent(a);
}

/** Who a token speaks for: "legal_entity" or "user:ID". @param {TokenAnswer} answer */
export function identityOf(answer) {
  return answer.kind === "user" ? `user:${answer.user.id}` : answer.kind;
}

/**
 * fetchToken's answer, or FetchTokenTimeout, FetchTokenFailed or InvalidTokenResponse.
 * @param {Fetcher} fetcher @param {string | undefined} reason @param {string | undefined} jkt
 * @returns {Promise<TokenAnswer>}
 */
export async function fetchWithDeadline(fetcher, reason, jkt) {
  /** @type {unknown} */
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = fetcher.setTimer(() => reject(new PlannerBridgeError("FetchTokenTimeout",
      `fetchToken did not answer within ${fetcher.deadlineMs} ms`)), fetcher.deadlineMs);
  });
  try {
    const answer = await Promise.race([callFetchToken(fetcher.fetchToken, reason, jkt), deadline]);
    if (!isTokenAnswer(answer)) {
      throw new PlannerBridgeError("InvalidTokenResponse",
        "fetchToken must resolve to {kind, token, expiresIn, user?}");
    }
    return answer;
  } finally {
    fetcher.clearTimer(timer);
  }
}

/** @param {FetchToken} fetchToken @param {string | undefined} reason @param {string | undefined} jkt */
async function callFetchToken(fetchToken, reason, jkt) {
  /** @type {TokenRequest} */
  const request = {};
  if (reason !== undefined) request.reason = reason;
  if (jkt !== undefined) request.jkt = jkt;
  try {
    return await fetchToken(request);
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    throw new PlannerBridgeError("FetchTokenFailed", `fetchToken failed (${name})`);
  }
}
