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
/** How long a loaded frame may take to say Ready before the embed check is asked why not. A
 * planner says Ready a moment after its `load` (its key comes from IndexedDB first): asking at
 * once would spend a request beside its first web-service call on nearly every embed. */
export const READY_AFTER_LOAD_MS = 500;

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

/**
 * Whether the planner loaded: between `start()` and the planner's first Ready, a load fails at
 * the deadline, or sooner when the embed check is sure of the cause (`failed` hears it once).
 */
export class LoadWatch {
  loading = false;
  /** @type {unknown} */ #timer = null;

  /**
   * @param {{setTimer: (fn: () => void, ms: number) => unknown, clearTimer: (handle: unknown) => void,
   *   diagnose: () => Promise<{cause: string, sure: boolean} | null>,
   *   failed: (failure: PlannerBridgeError) => void}} options
   */
  constructor(options) {
    this.options = options;
  }

  /** The iframe is on its way: unless the planner says Ready within `timeoutMs`, it failed.
   * @param {number} timeoutMs */
  start(timeoutMs) {
    if (this.loading) return;
    this.loading = true;
    this.#timer = this.options.setTimer(() => void this.#diagnose(
      `it did not say Ready within ${timeoutMs} ms`), timeoutMs);
  }

  /** The iframe fired `load`: if no Ready came soon after (READY_AFTER_LOAD_MS), ask why then
   * rather than at the deadline (a refused frame loads the browser's error page at once). Only
   * a sure answer fails the load then; anything else waits for Ready until the deadline. */
  frameLoaded() {
    if (!this.loading) return;
    this.options.setTimer(() => { if (this.loading) void this.#diagnose(null); }, READY_AFTER_LOAD_MS);
  }

  /** The planner said Ready, or the bridge went away: nothing fails any more. */
  stop() {
    this.loading = false;
    this.options.clearTimer(this.#timer);
  }

  /** @param {string | null} fallback the cause at the deadline when the diagnosis is not sure */
  async #diagnose(fallback) {
    const found = await this.options.diagnose().catch(() => null);
    const cause = found && (found.sure || fallback !== null) ? found.cause : fallback;
    if (cause === null || !this.loading) return;
    this.stop();
    this.options.failed(loadFailed(cause));
  }
}
