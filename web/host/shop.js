// @ts-check
/**
 * The demo shop's page script: embeds the planner with the host SDK (loaded from the planner
 * origin), relays tokens from our back-end's POST /planner-token, and runs the login bar.
 * Tokens pass through here in memory only; the event log shows bridge events by name.
 * External file, no inline script: the page's CSP allows scripts from 'self' and the planner.
 */

/** @typedef {{id: string, name: string}} User */
/** @typedef {{plannerUrl: string, entityId: string, user: User | null,
 *   answerDeadlineMs: number | null}} ShopConfig */

const REQUEST_HEADERS = { "X-Requested-With": "planner-bridge" };
const LOGGED_EVENTS = ["Ready", "AuthenticationRequired", "AuthenticationSucceeded",
  "AuthenticationFailed", "TokenExpired", "LoginRequired", "LoginSucceeded", "LoginFailed",
  "CloseApp"];

/** @returns {ShopConfig} */
function readConfig() {
  const element = /** @type {HTMLElement} */ (document.getElementById("shop-config"));
  return JSON.parse(element.textContent || "{}");
}

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** One line in the event log: an event name and an optional detail, never a token. */
/** @param {string} name @param {string} [detail] */
function logEvent(name, detail = "") {
  const item = document.createElement("li");
  item.dataset.event = name;
  item.textContent = detail ? `${name} (${detail})` : name;
  byId("bridge-log").append(item);
}

/** @param {string} text */
function setStatus(text) {
  byId("bridge-status").textContent = text;
}

/** @param {User | null} user */
function showAccount(user) {
  byId("logout-form").hidden = !user;
  byId("login-form").hidden = Boolean(user);
  byId("shop-user").textContent = user ? user.name : "";
  byId("login-error").textContent = "";
  if (user) byId("login-hint").hidden = true;
}

/**
 * POST to our own back-end with the same-origin proof header; JSON back, or an Error.
 * @param {string} path @param {RequestInit} init
 */
async function postToShop(path, init) {
  const response = await fetch(path, { method: "POST", credentials: "same-origin", ...init,
    headers: { ...REQUEST_HEADERS, ...(init.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error_description || `${path} answered ${response.status}`);
    error.name = body.error || "ShopRequestFailed";
    throw error;
  }
  return body;
}

/**
 * The SDK's fetchToken: the SDK passes the planner's TokenExpired reason, and our back-end mints a
 * new token, rather than answering from its cache, when it is "invalid_token" (a refused token).
 * @param {{reason?: string}} request
 */
function fetchToken({ reason } = {}) {
  const body = JSON.stringify({ reason: reason || "" });
  return postToShop("/planner-token", { body, headers: { "Content-Type": "application/json" } });
}

/** @param {any} planner */
function wireAccountForms(planner) {
  byId("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.target);
    try {
      const { user } = await postToShop("/login", { body: new URLSearchParams(
        /** @type {any} */ (new FormData(form))) });
      form.reset();
      showAccount(user);
      await planner.login();
    } catch (error) {
      byId("login-error").textContent = error instanceof Error ? error.message : "login failed";
    }
  });
  byId("logout-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await postToShop("/logout", {});
      showAccount(null);
      await planner.logout();
    } catch (error) {
      setStatus(`logout: ${error instanceof Error ? error.name : "failed"}`);
    }
  });
}

async function main() {
  const config = readConfig();
  showAccount(config.user);
  const plannerOrigin = new URL(config.plannerUrl).origin;
  const { embedPlanner } = await import(`${plannerOrigin}/sdk/planner-bridge.js`);
  const planner = embedPlanner({
    container: byId("planner"),
    plannerUrl: `${plannerOrigin}/planner/?entity=${encodeURIComponent(config.entityId)}`,
    fetchToken,
    ...(config.answerDeadlineMs ? { answerDeadlineMs: config.answerDeadlineMs } : {}),
  });
  for (const name of LOGGED_EVENTS) {
    planner.on(name, (/** @type {any} */ content) => logEvent(name, content?.reason || ""));
  }
  // What the planner acts for is the truth about our session, also when another tab of this
  // shop logged in or out (the SDK's cross-tab sessions): the account bar follows it.
  planner.on("LoginSucceeded", (/** @type {{user: User}} */ { user }) => showAccount(user));
  planner.on("AuthenticationSucceeded", () => showAccount(null));
  planner.on("LoginRequired", () => {
    byId("login-hint").hidden = false;
    /** @type {HTMLInputElement} */ (byId("login-form").querySelector("input")).focus();
  });
  // CloseApp: the person is done with the planner. Hide it (its state is kept) and offer it back.
  planner.on("CloseApp", () => {
    byId("planner").hidden = true;
    byId("planner-closed").hidden = false;
    byId("reopen-planner").focus();
  });
  byId("reopen-planner").addEventListener("click", () => {
    byId("planner-closed").hidden = true;
    byId("planner").hidden = false;
    planner.iframe.focus();
  });
  planner.on("error", (/** @type {any} */ error) => {
    logEvent("error", error.code);
    setStatus(`error: ${error.code}`);
  });
  planner.ready.then(() => setStatus("planner connected"), () => {});
  wireAccountForms(planner);
}

main().catch((error) => setStatus(`could not start the planner (${error.name})`));
