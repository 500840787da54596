// @ts-check
/**
 * The shop page's early listener, a classic script placed before the planner's iframe in the
 * HTML: the planner starts loading with the page and may say Ready before the SDK module has
 * loaded. This notes the messages that arrive meanwhile (kept, never read here); the SDK stops it
 * and replays them, checking each one's origin, source and shape as if it had just arrived.
 */
(function () {
  /** @type {MessageEvent[]} */
  const messages = [];
  const MAX_NOTED = 100; // a handshake is a few messages: more is noise, not the planner
  /** @param {MessageEvent} event */
  const note = (event) => { if (messages.length < MAX_NOTED) messages.push(event); };
  window.addEventListener("message", note);
  /** @type {any} */ (window).plannerBridgeEarly = {
    messages,
    stop: () => window.removeEventListener("message", note),
  };
})();
