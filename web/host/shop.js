// @ts-check
/**
 * The demo shop's page script: embeds the planner with the host SDK (loaded from the planner
 * origin), relays tokens from our back-end's POST /planner-token, runs the login bar, puts what
 * the planner's "Add to cart" sends into the shop's own basket, and lets the product card add its
 * cabinet to the plan. Tokens pass through here in memory only. With `?debug` the page also lists
 * the bridge's events by name (for developers). External file, no inline script: the page's CSP
 * allows scripts from 'self' and the planner.
 */

/** @typedef {{id: string, name: string}} User */
/** @typedef {{catalogId: string, name: string, quantity: number, unitPrice: number}} CartLine */
/** @typedef {{plannerUrl: string, entityId: string, user: User | null,
 *   answerDeadlineMs: number | null, product: {catalogId: string, name: string} | null}} ShopConfig */

const REQUEST_HEADERS = { "X-Requested-With": "planner-bridge" };

/** @returns {ShopConfig} */
function readConfig() {
  const element = /** @type {HTMLElement} */ (document.getElementById("shop-config"));
  return JSON.parse(element.textContent || "{}");
}

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/** One line in the debug panel's event log (only with ?debug): a name and a detail, never a token.
 * @param {string} name @param {string} [detail] */
function logEvent(name, detail = "") {
  const log = document.getElementById("bridge-log");
  if (!log) return;
  const item = document.createElement("li");
  item.dataset.event = name;
  item.textContent = detail ? `${name} (${detail})` : name;
  log.append(item);
}

/** @param {string} text */
function setStatus(text) {
  const status = document.getElementById("bridge-status");
  if (status) status.textContent = text;
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
 * `jkt` names the planner's DPoP key: our back-end asks for a token bound to it.
 * @param {{reason?: string, jkt?: string}} request
 */
function fetchToken({ reason, jkt } = {}) {
  const body = JSON.stringify({ reason: reason || "", ...(jkt ? { jkt } : {}) });
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

/** The shop's own basket: what the planner's "Add to cart" sent, merged by catalog item. */
class Basket {
  /** @type {Map<string, CartLine>} */ lines = new Map();
  currency = "EUR";

  /** @param {{lines: CartLine[], total: {currency: string}}} cart */
  add({ lines, total }) {
    this.currency = total.currency;
    for (const line of lines) {
      const held = this.lines.get(line.catalogId);
      this.lines.set(line.catalogId, held ? { ...held, quantity: held.quantity + line.quantity } : { ...line });
    }
    this.show();
  }

  show() {
    const money = new Intl.NumberFormat(document.documentElement.lang || "en",
      { style: "currency", currency: this.currency });
    const rows = [...this.lines.values()].map((line) => {
      const row = document.createElement("tr");
      row.dataset.testid = "basket-line";
      row.dataset.catalogId = line.catalogId;
      for (const text of [line.name, String(line.quantity), money.format(line.quantity * line.unitPrice)]) {
        row.append(Object.assign(document.createElement("td"), { textContent: text }));
      }
      return row;
    });
    /** @type {HTMLElement} */ (byId("basket-lines").querySelector("tbody")).replaceChildren(...rows);
    const total = [...this.lines.values()].reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
    byId("basket-total").textContent = money.format(total);
    byId("basket-lines").hidden = rows.length === 0;
    byId("basket-empty").hidden = rows.length > 0;
  }
}

/** The product card's button: the cabinet goes into the plan, and the plan into view.
 * @param {any} planner @param {{catalogId: string, name: string}} product */
function wireProduct(planner, product) {
  const note = byId("product-note");
  byId("plan-with-product").addEventListener("click", async () => {
    note.textContent = "";
    byId("planner").scrollIntoView({ block: "start" });
    try {
      await planner.addItem(product.catalogId);
      note.textContent = `${product.name} is in your plan.`;
    } catch (error) {
      const code = /** @type {{code?: string}} */ (error).code;
      note.textContent = code === "InvalidArgument"
        ? "There is no free wall space left for it in your plan."
        : "The planner could not add it just now.";
    }
  });
}

/** @param {any} planner @param {Record<string, string>} PlannerEvent */
function wirePlannerEvents(planner, PlannerEvent) {
  const basket = new Basket();
  planner.on(PlannerEvent.AddToCart, (/** @type {any} */ cart) => basket.add(cart));
  // What the planner acts for is the truth about our session, also when another tab of this
  // shop logged in or out (the SDK's cross-tab sessions): the account bar follows it.
  planner.on(PlannerEvent.LoginSucceeded, (/** @type {{user: User}} */ { user }) => showAccount(user));
  planner.on(PlannerEvent.AuthenticationSucceeded, () => showAccount(null));
  planner.on(PlannerEvent.LoginRequired, () => {
    byId("login-hint").hidden = false;
    /** @type {HTMLInputElement} */ (byId("login-form").querySelector("input")).focus();
  });
  // CloseApp: the person is done with the planner. Hide it (its state is kept) and offer it back.
  planner.on(PlannerEvent.CloseApp, () => {
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
    if (error.code === "PlannerLoadFailed") byId("planner-problem").hidden = false;
  });
  if (document.getElementById("bridge-log")) { // the token handshake's events, for developers
    const { Ready, AuthenticationRequired, AuthenticationSucceeded, AuthenticationFailed,
      TokenExpired, LoginRequired, LoginSucceeded, LoginFailed, CloseApp } = PlannerEvent;
    for (const name of [Ready, AuthenticationRequired, AuthenticationSucceeded,
      AuthenticationFailed, TokenExpired, LoginRequired, LoginSucceeded, LoginFailed, CloseApp]) {
      planner.on(name, (/** @type {any} */ content) => logEvent(name, content?.reason || ""));
    }
  }
}

async function main() {
  const config = readConfig();
  showAccount(config.user);
  const plannerOrigin = new URL(config.plannerUrl).origin;
  const [{ embedPlanner }, { PlannerEvent }] = await Promise.all([
    import(`${plannerOrigin}/sdk/planner-bridge.js`), import(`${plannerOrigin}/sdk/protocol.js`)]);
  const iframe = /** @type {HTMLIFrameElement} */ (byId("planner-frame"));
  const planner = embedPlanner({
    iframe, // in the page's HTML: it started loading before this script (planner-early.js)
    early: /** @type {any} */ (window).plannerBridgeEarly,
    plannerUrl: iframe.src,
    fetchToken,
    height: "auto",
    minHeight: 480,
    ...(config.answerDeadlineMs ? { answerDeadlineMs: config.answerDeadlineMs } : {}),
  });
  wirePlannerEvents(planner, PlannerEvent);
  // ?debug: the embedding's handle for the developer's console (and the end-to-end tests).
  if (document.getElementById("bridge-log")) /** @type {any} */ (window).shopPlanner = planner;
  if (config.product) wireProduct(planner, config.product);
  planner.ready.then(() => setStatus("planner connected"), () => {});
  wireAccountForms(planner);
}

main().catch((error) => { // the SDK did not load: the planner origin is down or unreachable
  setStatus(`could not start the planner (${error.name})`);
  byId("planner-problem").hidden = false;
});
