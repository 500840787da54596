// @ts-check
/**
 * Why a planner did not load, in a sentence a front-end developer can act on.
 *
 * A refused frame tells the embedding page nothing (the browser shows its own error page in the
 * iframe and logs the CSP violation to the console only), so the SDK asks the planner origin's
 * embed check: `GET /planner/embed-check?entity=ID&origin=ORIGIN`, public, without credentials,
 * answering `{entity: boolean, originRegistered: boolean}`. It tells nothing that the planner
 * page's own `frame-ancestors` header does not already tell anyone who asks for it. A fetch that
 * fails outright means the planner origin could not be reached.
 */
import { PlannerBridgeError } from "./protocol.js";

export const PLANNER_LOAD_FAILED = "PlannerLoadFailed";

/**
 * The likely cause, or null when the planner origin says the embedding is set up right. `sure`:
 * the planner origin itself said what is wrong; a fetch that failed is not sure (a page whose
 * Content-Security-Policy does not allow connecting to the planner origin fails it too).
 * @param {{plannerUrl: URL, pageOrigin: string,
 *   fetch: (url: string, init: RequestInit) => Promise<{ok: boolean, json: () => Promise<any>}>}} where
 * @returns {Promise<{cause: string, sure: boolean} | null>}
 */
export async function likelyCause({ plannerUrl, pageOrigin, fetch }) {
  const entity = plannerUrl.searchParams.get("entity") ?? "";
  const check = new URL("/planner/embed-check", plannerUrl.origin);
  check.searchParams.set("entity", entity);
  check.searchParams.set("origin", pageOrigin);
  let answer;
  try {
    const response = await fetch(check.href, { credentials: "omit", cache: "no-store" });
    answer = response.ok ? await response.json() : null;
  } catch {
    return { sure: false, cause: `the planner origin ${plannerUrl.origin} could not be reached ` +
      "(or this page's Content-Security-Policy does not allow connecting to it)" };
  }
  if (answer?.entity !== true) {
    return { sure: true, cause: `the planner origin ${plannerUrl.origin} knows no legal entity ` +
      `"${entity}" (check the entity in plannerUrl)` };
  }
  if (answer.originRegistered !== true) {
    return { sure: true, cause: `this page's origin ${pageOrigin} is not registered for the ` +
      `legal entity "${entity}" (register it with the planner's administration)` };
  }
  return null;
}

/** @param {string} cause */
export function loadFailed(cause) {
  return new PlannerBridgeError(PLANNER_LOAD_FAILED, `the planner did not load: ${cause}`);
}
