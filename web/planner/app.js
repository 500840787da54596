// @ts-check
/**
 * The planner app: wires the page (view.js, room-plan.js) and the design (design.js) to the
 * token keeper, the host link, the assets API and the live channel. Tokens live only in the
 * keeper's memory.
 *
 * Hooks the end-to-end suite relies on (stable; do not rename):
 *   data-testid   identity (text: shop or user name; data-kind: none | legal_entity | user),
 *                 queue-count (hidden: calls waiting for a token), live (hidden; data-status:
 *                 connecting | live | offline), error-box, error (a sentence; data-code: the
 *                 error's name, e.g. TokenRefreshTimeout, insufficient_scope, IdentityChanged),
 *                 error-dismiss, notice, catalog, my-assets, my-assets-empty, write-hint,
 *                 room-plan (the SVG; data-width, data-depth: the room in mm), plan-item (one
 *                 per placed item: data-key (the item id), data-x, data-y (mm), data-rotation,
 *                 data-mount (floor | wall), data-width, data-depth (as turned)), selected-name,
 *                 rotate-item, remove-item, undo, redo, room-size (form: room-width,
 *                 room-depth, room-apply), design (the placed items as a list), design-item,
 *                 remove-from-design, parts-list (table: part-line rows with data-catalog-id and
 *                 part-quantity), parts-total, add-to-cart, entity-name, design-name,
 *                 save-to-account, save-status, close-app, add-asset (the form),
 *                 asset-name-input, add-asset-submit.
 *   asset rows    li[data-testid=asset][data-asset-id=ID] holding asset-name, and add-to-design
 *                 (catalog rows) or open-asset, rename-asset, delete-asset (own rows);
 *                 rename-asset opens rename-form with rename-input, rename-save, rename-cancel.
 *   window.planner  { api, keeper, design, refresh, state, runCommand, locale }: `api` is the queued AssetsApi
 *                 (list, listAll, create, rename, update, remove), so page.evaluate in the iframe
 *                 can fire real calls; `keeper.state` is {identity, waiting, held, asking, valid};
 *                 `design` the open Design (design.js: state, toJSON(), whenSaved(), acknowledged);
 *                 `runCommand(name, args)` runs a host command (commands.js) as the host link does;
 *                 `dpop` {jkt, kept: "indexeddb" | "memory"} names the DPoP key (dpop-key.js).
 *                 No token, and no private key, is reachable from it.
 *   query         /planner/?entity=ID[&answerDeadlineMs=N] (N from 100 to 600000; default 30000)
 *                 [&locale=TAG][&currency=ISO] (the words and prices the planner starts with).
 */
// First: it says Ready before the modules below are evaluated (early-ready.js says why).
import { dpopKey, early } from "./early-ready.js";
import { DEFAULT_ANSWER_DEADLINE_MS, PlannerEvent, isAnswerDeadline } from "../sdk/protocol.js";
import { AssetsApi, httpSender } from "./api.js";
import { ProofMaker } from "./dpop-proof.js";
import { coalesced } from "./coalesce.js";
import { HostLink, pickParentOrigin } from "./host-link.js";
import { LiveChannel } from "./live.js";
import { TokenKeeper } from "./token-keeper.js";
import { Design } from "./design.js";
import { installCommands, runCommand } from "./commands.js";
import { Locale } from "./i18n.js";
import { PartsList } from "./parts-list.js";
import { tellHost } from "./planner-events.js";
import { SESSION_ERRORS } from "./messages.js";
import { RoomPlan } from "./room-plan.js";
import { PlannerView } from "./view.js";
import { reportPageSize } from "./resize.js";
import { ask } from "./confirm.js";
import { keepEverything } from "./nothing-lost.js";
import { needLogin, planActions, viewActions } from "./page-actions.js";

/** @typedef {import("./api.js").Asset} Asset */

function readConfig() {
  const node = document.getElementById("planner-config");
  return JSON.parse(node?.textContent ?? "{}");
}

/** @param {string} search */
function answerDeadlineOf(search) {
  const value = Number(new URLSearchParams(search).get("answerDeadlineMs"));
  return isAnswerDeadline(value) ? value : DEFAULT_ANSWER_DEADLINE_MS;
}

/** @param {unknown} error */
function named(error) {
  const e = /** @type {{code?: string, message?: string}} */ (error ?? {});
  return { code: e.code ?? "PlannerError", message: e.message ?? String(error) };
}

/** The words and prices the page starts with: the query's locale and currency, else English and
 * euros. @param {string} search */
function localeOf(search) {
  const query = new URLSearchParams(search);
  const locale = new Locale();
  locale.set(query.get("locale") ?? "en", query.get("currency") ?? "EUR");
  return locale;
}

/** Ctrl+Z undoes, Ctrl+Shift+Z (or Ctrl+Y) redoes, except while typing in a field.
 * @param {{undo: () => void, redo: () => void}} history */
function historyKeys(history) {
  document.addEventListener("keydown", (event) => {
    const target = /** @type {HTMLElement | null} */ (event.target);
    if (!(event.ctrlKey || event.metaKey) || target?.closest("input, textarea")) return;
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) history.undo();
    else if ((key === "z" && event.shiftKey) || key === "y") history.redo();
    else return;
    event.preventDefault();
  });
}

/**
 * The keeper, the assets API and the host link, listening at once: Ready as soon as the page
 * listens, so the host's token travels while the rest is built (a message is handled only after
 * main() returns, when every handler is in place).
 * @param {any} config @param {(reason: string) => void} refused
 */
function connect(config, refused) {
  // One proof maker (and so one nonce cache) for the calls and the live channel.
  const proofs = dpopKey ? new ProofMaker({ key: dpopKey }) : null;
  const keeper = new TokenKeeper({
    send: httpSender({ fetch: (url, init) => fetch(url, init), base: location.origin, proofs }),
    answerDeadlineMs: answerDeadlineOf(location.search),
  });
  const link = new HostLink({
    parent: window.parent,
    registered: config.origins,
    parentOrigin: pickParentOrigin({ registered: config.origins,
      ancestorOrigins: location.ancestorOrigins, referrer: document.referrer }),
    entity: config.entity,
    keeper,
    jkt: dpopKey?.jkt ?? null,
    onRefused: refused,
    runCommand,
  });
  window.addEventListener("message", (event) => { link.receive(event); });
  link.adoptEarly(early); // its Ready is said; what it noted is received after main()
  if (window.parent !== window) link.sayReady();
  return { keeper, api: new AssetsApi(keeper), link, proofs };
}

/**
 * The identity shown, session errors cleared once a token works again, and a new person's page:
 * the open design was the previous person's.
 * @param {import("./page-actions.js").Page} p @param {{restart: () => void}} live
 */
function watchKeeper(p, live) {
  const { keeper, view, design, config } = p;
  keeper.on("change", (/** @type {{waiting: number, valid: boolean}} */ s) => {
    view.queue(s.waiting);
    if (s.valid && s.waiting === 0 && SESSION_ERRORS.has(view.errorCode)) view.showError(null);
    const identity = keeper.identity;
    if (!identity) view.identity("", "none");
    else if (identity.kind === "user") view.identity(identity.user.name || identity.user.id, "user");
    else view.identity(config.entityName, "legal_entity"); // the shop's own name
  });
  keeper.on("error", p.report);
  keeper.on("identity", () => {
    p.state.mine = [];
    view.notice(null); // "log in to save" no longer applies, or applies anew
    if (design.state.id) design.startNew(); // the open design was the previous person's
    p.draw();
    void p.refresh();
    live.restart();
  });
}

/** The first listing (the call that confirms the token), then the live channel, Loaded once
 * drawn. @param {import("./page-actions.js").Page} p @param {LiveChannel} live */
function start(p, live) {
  if (window.parent === window) {
    p.view.showError({ code: "NotEmbedded", message: "open the planner from a shop's page" });
    return;
  }
  p.link.start();
  reportPageSize((event, content) => p.link.post(event, content)); // Resize, for height: "auto"
  // The live channel connects once the first listing has answered: that listing confirms the
  // token (AuthenticationSucceeded), and the socket's handshake sent at the same moment made the
  // planner origin answer it later. A change in between is missed no more than before.
  // Loaded (once also authenticated) when the first listing has drawn the catalog: the page
  // carries none, as the web services show it to tokens only.
  void p.refresh().finally(() => { p.link.drawn(); live.start(); });
}

/** The entity's assets, listed again: the catalog and the person's own designs.
 * @param {import("./page-actions.js").Page} p */
async function loadOnce(p) {
  const assets = await p.api.listAll();
  const me = p.user();
  p.state.catalog = assets.filter((a) => a.owner === null);
  p.state.mine = me ? assets.filter((a) => a.owner === me.id) : [];
  if (p.design.state.id && !p.state.mine.some((a) => a.id === p.design.state.id)) {
    p.design.forget(p.design.state.id); // deleted elsewhere
  }
  p.draw();
}

function main() {
  const config = readConfig();
  const locale = localeOf(location.search);
  /** @type {import("./page-actions.js").Page} */
  const p = /** @type {any} */ ({ config, locale, state: { catalog: [], mine: [] } });
  Object.assign(p, connect(config, (reason) => p.view.showError({ code: "UnexpectedMessage", message: reason })));
  p.post = (event, content) => p.link.post(event, content);
  p.user = () => { const id = p.keeper.identity; return id?.kind === "user" ? id.user : null; };
  p.report = (error) => p.view.showError(named(error));
  p.needLogin = () => needLogin(p);
  p.design = new Design({
    api: p.api,
    canSave: () => p.user() !== null,
    onChange: (d) => { p.view.design(d, p.user() !== null); p.plan.draw(d.room, d.items);
      p.parts.draw(d.items, p.design.currency); },
    onError: (error) => { p.report(error); p.kept.saving.failed(error); }, // retried (saving.js)
    onSaved: () => { p.view.showError(null); void p.refresh(); }, // the last failure is made good
  });
  p.design.currency = locale.currency;
  p.draw = () => {
    p.view.assets({ ...p.state, signedIn: p.user() !== null, openId: p.design.state.id });
    p.view.design(p.design.state, p.user() !== null);
    p.plan.draw(p.design.state.room, p.design.state.items);
    p.parts.draw(p.design.state.items, p.design.currency);
  };
  p.view = new PlannerView(viewActions(p), locale);
  p.parts = new PartsList({ locale, addToCart: (cart) => {
    p.post(PlannerEvent.AddToCart, { designId: p.design.state.id, ...cart });
    p.view.notice(locale.t("addedToCart"));
  } });
  p.plan = new RoomPlan(/** @type {SVGSVGElement} */ (/** @type {unknown} */ (
    document.querySelector("[data-testid=room-plan]"))), planActions(p, tellHost(p.design, p.post, {
    now: () => performance.now(), setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (handle) => clearTimeout(handle) })));
  locale.onChange(() => { p.design.currency = locale.currency; p.view.relabel(); p.draw(); });
  historyKeys(p.design);
  installCommands({ design: p.design, catalog: () => p.state.catalog,
    findDesign: async (id) => { await p.refresh(); return p.state.mine.find((a) => a.id === id) ?? null; },
    loggedIn: () => p.user() !== null, askLogin: p.needLogin, locale, root: document.documentElement });
  // Refreshes coalesce: a burst of live pushes costs one more listing, not one each.
  p.refresh = coalesced(() => loadOnce(p).catch((error) => {
    if (error?.code !== "IdentityChanged") p.report(error); // the new identity reloads anyway
  }));
  const live = new LiveChannel({ url: config.liveUrl, keeper: p.keeper, onChange: () => void p.refresh(),
    onStatus: (status) => p.view.live(status), proofs: p.proofs });
  watchKeeper(p, live);
  // Drafts, retried saves and the 3D view: window.planner.{drafts, saving, view3d} for tests.
  p.kept = keepEverything({ design: p.design, entity: config.entity, identity: () => p.keeper.identity,
    onIdentity: (fn) => p.keeper.on("change", fn), t: (key) => locale.t(key) });
  // Timers do not run while the device sleeps: count elapsed time again when the page is back.
  document.addEventListener("visibilitychange", () => { if (!document.hidden) p.keeper.wake(); });
  window.addEventListener("pageshow", () => p.keeper.wake());
  /** @type {any} */ (window).planner = Object.freeze({ api: p.api, keeper: p.keeper, design: p.design,
    refresh: p.refresh, state: p.state, runCommand, locale, ...p.kept,
    dpop: Object.freeze({ jkt: dpopKey?.jkt ?? null, kept: dpopKey?.kept ?? null }) });
  p.view.relabel();
  p.draw();
  start(p, live);
}

main();
