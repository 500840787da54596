// @ts-check
/**
 * The host SDK: embeds the planner in an iframe, hands it the tokens the integrator's back-end
 * mints, drives it with commands and tells the page what happens in it, over postMessage to the
 * planner's exact origin (host-bridge.js holds the logic; this module puts it on a page).
 *
 *   import { embedPlanner } from "https://planner.example/sdk/planner-bridge.js";
 *   const planner = embedPlanner({
 *     container: document.querySelector("#planner"),
 *     plannerUrl: "https://planner.example/planner/?entity=ENTITY_ID",
 *     // jkt: the planner's DPoP key; the back-end puts it in its token request (bound tokens)
 *     fetchToken: ({reason, jkt}) => fetch("/planner-token", {method: "POST",
 *       headers: {"X-Requested-With": "planner-bridge", "Content-Type": "application/json"},
 *       body: JSON.stringify({reason, jkt})}).then((r) => r.json()), // {kind, token, expiresIn, user?}
 *     height: "auto",
 *   });
 *   planner.on("LoginRequired", () => showLoginForm());   // then: await planner.login()
 *   planner.on("AddToCart", ({lines}) => basket.add(lines));
 *   await planner.addItem("base-600");
 */
import {
  CommandName,
  DEFAULT_ANSWER_DEADLINE_MS,
  MAX_ANSWER_DEADLINE_MS,
  MIN_ANSWER_DEADLINE_MS,
  PlannerBridgeError,
  PlannerEvent,
  PROTOCOL_VERSION,
  isAnswerDeadline,
} from "./protocol.js";
import { HostBridge } from "./host-bridge.js";
import { sessionChannelName } from "./session-channel.js";
import {
  autoHeight, checkCurrency, checkLoadTimeout, checkLocale, checkTheme, insist, sizing,
} from "./embed-options.js";
import { likelyCause } from "./load-check.js";

export { DEFAULT_ANSWER_DEADLINE_MS, HostBridge, PlannerBridgeError, PROTOCOL_VERSION };

/** @typedef {import("./host-bridge.js").FetchToken} FetchToken */

/**
 * `{locale?, currency?}` as the setLocale command carries it, both checked.
 * @param {unknown} locale @param {unknown} currency
 */
function localeArgs(locale, currency) {
  return {
    ...(locale === undefined ? {} : { locale: checkLocale(locale) }),
    ...(currency === undefined ? {} : { currency: checkCurrency(currency) }),
  };
}

/**
 * Where the planner's jkt is kept from one page load to the next, so the prefetch asks for a token
 * bound to the key the planner will name (it keeps its key in IndexedDB): the host's own
 * localStorage, one entry per planner origin. A thumbprint is public (every proof carries the key
 * it names); no token is ever kept. Nothing kept (a first visit, storage refused): no prefetch.
 * @param {string} plannerOrigin @returns {import("./host-bridge.js").JktMemory}
 */
function jktMemoryFor(plannerOrigin) {
  const name = `planner-bridge.jkt ${plannerOrigin}`;
  return {
    get: () => {
      try {
        const kept = localStorage.getItem(name);
        return kept === null ? null : kept || undefined; // "": a planner with no key
      } catch {
        return null; // storage refused: the planner is unknown here
      }
    },
    set: (jkt) => {
      try {
        localStorage.setItem(name, jkt ?? "");
      } catch { /* storage refused: the next embedding waits for Ready to fetch */ }
    },
  };
}

/**
 * A check that throws becomes the Promise's rejection: every command answers with a Promise.
 * @param {() => Promise<any>} run
 */
function promised(run) {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The commands as methods (SPEC "Driving the planner from the page").
 * @param {HostBridge} bridge
 */
function commandsOf(bridge) {
  const run = (/** @type {string} */ name, /** @type {Record<string, unknown>} */ args = {}) =>
    bridge.command(name, args);
  return {
    getDesign: () => run(CommandName.getDesign),
    /** @param {string} id */
    openDesign: (id) => run(CommandName.openDesign, { id }),
    /** @param {{name?: string}} [options] */
    newDesign: (options = {}) => run(CommandName.newDesign, { ...options }),
    /** @param {string} catalogId @param {{x?: number, y?: number, rotation?: number}} [at] */
    addItem: (catalogId, at = {}) => run(CommandName.addItem, { catalogId, ...at }),
    /** @param {string} itemId */
    removeItem: (itemId) => run(CommandName.removeItem, { itemId }),
    /** @param {{width: number, depth: number}} room */
    setRoom: (room) => run(CommandName.setRoom, { ...room }),
    saveDesign: () => run(CommandName.saveDesign),
    /** @param {{accent?: string, background?: string, font?: string}} theme */
    setTheme: (theme) => promised(() => run(CommandName.setTheme, checkTheme(theme))),
    /** @param {string} locale @param {{currency?: string}} [options] */
    setLocale: (locale, options = {}) => promised(() => run(CommandName.setLocale,
      { locale: checkLocale(locale), ...localeArgs(undefined, options?.currency) })),
  };
}

/**
 * The iframe's height: fixed, or following the planner's Resize within the bounds.
 * @param {HTMLIFrameElement} iframe @param {HostBridge} bridge
 * @param {ReturnType<typeof sizing>} size
 */
function applySize(iframe, bridge, size) {
  if (size.mode === "fixed") {
    if (size.css) iframe.style.height = size.css;
    return;
  }
  iframe.style.height = `${size.min}px`;
  bridge.on(PlannerEvent.Resize, ({ height }) => {
    iframe.style.height = `${autoHeight(size, height)}px`;
  });
}

/**
 * Theme and language go to the planner as its first commands (they wait for Ready like every
 * command); a planner that refuses one says so through the `error` event.
 * @param {HostBridge} bridge @param {ReturnType<typeof commandsOf>} commands
 * @param {{theme?: unknown, locale?: unknown, currency?: unknown}} options
 */
function sendLook(bridge, commands, { theme, locale, currency }) {
  const report = (/** @type {unknown} */ error) => bridge.report(error);
  if (theme !== undefined) commands.setTheme(/** @type {any} */ (theme)).catch(report);
  if (locale !== undefined) {
    bridge.command(CommandName.setLocale, localeArgs(locale, currency)).catch(report);
  }
}

/**
 * The planner's iframe: made here and appended to `container`, or the page's own (`iframe`, in
 * the page's HTML so that the planner starts loading before this module does), which must
 * already show exactly the planner URL.
 * @param {{container?: Element, iframe?: HTMLIFrameElement, title?: string}} options
 * @param {URL} url
 */
function frameOf({ container, iframe, title }, url) {
  if (iframe !== undefined) {
    insist(iframe && typeof iframe === "object" && "contentWindow" in iframe,
      "iframe must be an iframe element");
    insist(new URL(iframe.src, document.baseURI).href === url.href,
      "iframe.src must be the plannerUrl (with answerDeadlineMs when given)");
    return { iframe, place: () => {} };
  }
  insist(container && typeof container.appendChild === "function", "container must be an element");
  const made = document.createElement("iframe");
  made.src = url.href;
  made.title = title ?? "Planner";
  made.referrerPolicy = "origin"; // the planner learns our origin, not our page's path
  return { iframe: made, place: () => container?.appendChild(made) };
}

/**
 * Hear the planner: from now on, and what the page's early listener noted before this module
 * loaded (each message checked as if it arrived now: origin, source, shape).
 * @param {HostBridge} bridge @param {EarlyMessages | undefined} early
 * @returns {() => void} stop listening
 */
function listen(bridge, early) {
  /** @param {MessageEvent} event */
  const listener = (event) => { bridge.receive(event); };
  window.addEventListener("message", listener); // before the iframe loads: Ready is never missed
  if (early) {
    early.stop(); // in the same task as the line above: no message falls between the two
    const noted = early.messages.splice(0);
    // After the caller's on() calls that follow embedPlanner(), before any later message.
    queueMicrotask(() => { for (const event of noted) bridge.receive(event); });
  }
  return () => window.removeEventListener("message", listener);
}

/** @typedef {{messages: MessageEvent[], stop: () => void}} EarlyMessages */

/**
 * Embed the planner. See planner-bridge.d.ts for the contract.
 * @param {{container?: Element, iframe?: HTMLIFrameElement, early?: EarlyMessages,
 *   plannerUrl: string, fetchToken: FetchToken,
 *   answerDeadlineMs?: number, title?: string, crossTab?: boolean, loadTimeoutMs?: number,
 *   height?: number | string, minHeight?: number, maxHeight?: number,
 *   theme?: {accent?: string, background?: string, font?: string}, locale?: string,
 *   currency?: string}} options
 */
export function embedPlanner(options) {
  const { plannerUrl, fetchToken, answerDeadlineMs, crossTab, early } = options ?? {};
  insist(crossTab === undefined || typeof crossTab === "boolean", "crossTab must be a boolean");
  insist(options?.iframe !== undefined || (options?.container &&
    typeof options.container.appendChild === "function"), "container must be an element");
  insist(typeof fetchToken === "function", "fetchToken must be a function");
  // The planner accepts the same range (protocol.js): outside it, it would silently use its default.
  insist(answerDeadlineMs === undefined || isAnswerDeadline(answerDeadlineMs),
    `answerDeadlineMs must be a whole number of milliseconds from ${MIN_ANSWER_DEADLINE_MS} to ${
      MAX_ANSWER_DEADLINE_MS}`);
  insist(early === undefined || (Array.isArray(early?.messages) && typeof early.stop === "function"),
    "early must be {messages, stop} (the page's early listener)");
  const loadTimeoutMs = checkLoadTimeout(options.loadTimeoutMs);
  const size = sizing(options);
  if (options.theme !== undefined) checkTheme(options.theme);
  localeArgs(options.locale, options.currency);
  insist(options.currency === undefined || options.locale !== undefined,
    "currency goes with a locale: give locale too");
  const url = plannerUrlOf(plannerUrl, answerDeadlineMs);
  const { iframe, place } = frameOf(options, url);
  const sessionChannel = crossTab !== false && typeof BroadcastChannel !== "undefined"
    ? new BroadcastChannel(sessionChannelName(url.origin)) : null;
  const bridge = new HostBridge({ plannerOrigin: url.origin, frameWindow: () => iframe.contentWindow,
    fetchToken, answerDeadlineMs, sessionChannel, jktMemory: jktMemoryFor(url.origin),
    diagnose: () => likelyCause({ plannerUrl: url, pageOrigin: location.origin,
      fetch: (href, init) => fetch(href, init) }) });
  const commands = commandsOf(bridge);
  applySize(iframe, bridge, size);
  sendLook(bridge, commands, options);
  bridge.prefetch(); // the token's round trip overlaps the planner page's loading
  iframe.addEventListener?.("load", () => bridge.frameLoaded());
  bridge.startLoading(loadTimeoutMs);
  const stopListening = listen(bridge, early);
  place();
  return {
    iframe,
    ready: bridge.ready,
    login: () => bridge.login(),
    logout: () => bridge.logout(),
    /** @param {string} event @param {(content: any) => void} handler */
    on: (event, handler) => bridge.on(event, handler),
    ...commands,
    destroy() {
      stopListening();
      bridge.destroy();
      iframe.remove();
    },
  };
}

/** @param {unknown} plannerUrl @param {number | undefined} answerDeadlineMs */
function plannerUrlOf(plannerUrl, answerDeadlineMs) {
  let url;
  try {
    url = new URL(String(plannerUrl), document.baseURI);
  } catch {
    throw new PlannerBridgeError("InvalidOption", "plannerUrl must be a URL");
  }
  insist(typeof plannerUrl === "string" && (url.protocol === "https:" || url.protocol === "http:"),
    "plannerUrl must be an http(s) URL");
  if (answerDeadlineMs !== undefined) url.searchParams.set("answerDeadlineMs", String(answerDeadlineMs));
  return url;
}
