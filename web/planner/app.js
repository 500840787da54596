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
 *                 `runCommand(name, args)` runs a host command (commands.js) as the host link does.
 *                 No token is reachable from it.
 *   query         /planner/?entity=ID[&answerDeadlineMs=N] (N from 100 to 600000; default 30000)
 *                 [&locale=TAG][&currency=ISO] (the words and prices the planner starts with).
 */
import { DEFAULT_ANSWER_DEADLINE_MS, PlannerEvent, isAnswerDeadline } from "../sdk/protocol.js";
import { AssetsApi, httpSender } from "./api.js";
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
import { isGenuine } from "./token-check.js";
import { ask } from "./confirm.js";
import { keepEverything } from "./nothing-lost.js";

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

function main() {
  const config = readConfig();
  const locale = localeOf(location.search);
  const keeper = new TokenKeeper({
    send: httpSender({ fetch: (url, init) => fetch(url, init), base: location.origin }),
    answerDeadlineMs: answerDeadlineOf(location.search),
  });
  const api = new AssetsApi(keeper);
  /** @type {{catalog: Asset[], mine: Asset[]}} */
  // The catalog as the page was served with it: drawn at once, before any web-service call.
  const state = { catalog: config.catalog ?? [], mine: [] };
  const link = new HostLink({
    parent: window.parent,
    registered: config.origins,
    parentOrigin: pickParentOrigin({ registered: config.origins,
      ancestorOrigins: location.ancestorOrigins, referrer: document.referrer }),
    entity: config.entity,
    keeper,
    onRefused: (reason) => view.showError({ code: "UnexpectedMessage", message: reason }),
    runCommand,
    checkToken: (token, identity) => isGenuine(token, { keys: config.keys ?? [],
      issuer: config.issuer, entity: config.entity, identity }),
  });
  // Ready as soon as the page listens: the host's token travels while the rest is built (a
  // message is handled only after main() returns, when every handler below is in place).
  window.addEventListener("message", (event) => { link.receive(event); });
  if (window.parent !== window) link.sayReady();
  const post = (/** @type {string} */ event, /** @type {Record<string, unknown>} */ content) =>
    link.post(event, content);

  const user = () => { const id = keeper.identity; return id?.kind === "user" ? id.user : null; };
  const report = (/** @type {unknown} */ error) => view.showError(named(error));
  const design = new Design({
    api,
    canSave: () => user() !== null,
    onChange: (d) => { view.design(d, user() !== null); plan.draw(d.room, d.items);
      parts.draw(d.items, design.currency); },
    onError: (error) => { report(error); kept.saving.failed(error); }, // retried (saving.js)
    onSaved: () => { view.showError(null); void refresh(); }, // the last failure is made good
  });
  design.currency = locale.currency;
  const draw = () => {
    view.assets({ ...state, signedIn: user() !== null, openId: design.state.id });
    view.design(design.state, user() !== null);
    plan.draw(design.state.room, design.state.items);
    parts.draw(design.state.items, design.currency);
  };
  /** A refused change, told in words. @param {boolean} done @param {string} key @param {string} id */
  const told = (done, key, id) => {
    if (!done) view.notice(locale.t(key, { name: design.item(id)?.name ?? "" }));
    else view.notice(null);
  };

  /** Run a person's action; its error is shown as a sentence, its success clears the last error.
   * @param {() => Promise<unknown>} action @returns {Promise<boolean>} */
  const act = (action) => action().then(() => { view.showError(null); return true; },
    (error) => { report(error); return false; });

  /** The person tried to save without an account: the shop should offer its login. */
  const needLogin = () => {
    link.post(PlannerEvent.LoginRequired);
    view.notice(locale.t("logInNotice"));
  };

  /** @type {PlannerView} */
  const view = new PlannerView({
    // The design's saves report their own errors, and a later save that works clears them.
    add: (fields) => { design.startNew(fields.name); void design.save(); },
    open: (asset) => design.open(asset, state.catalog),
    rename: (asset, name) => act(async () => {
      await api.rename(asset.id, name);
      design.renamed(asset.id, name);
      await refresh();
    }),
    remove: (asset) => void ask(locale.t("confirmDelete", { name: asset.name }), locale.t("delete"),
      locale.t("cancel"))
      .then((yes) => yes && act(async () => {
      await api.remove(asset.id);
      design.forget(asset.id);
      await refresh();
    })),
    addToDesign: (asset) => {
      const item = design.place(asset);
      if (item) { view.notice(null); plan.focus(item.id); }
      else view.notice(locale.t("noSpace", { name: asset.name }));
    },
    removeFromDesign: (key) => design.remove(key),
    rotate: (key) => told(design.rotate(key), "noTurn", key),
    undo: () => design.undo(),
    redo: () => design.redo(),
    setRoom: (size) => design.setRoom(size),
    renameDesign: (name) => void design.rename(name),
    save: () => (user() ? void design.save() : needLogin()),
    close: () => link.post(PlannerEvent.CloseApp),
  }, locale);
  const parts = new PartsList({ locale, addToCart: (cart) => {
    post(PlannerEvent.AddToCart, { designId: design.state.id, ...cart });
    view.notice(locale.t("addedToCart"));
  } });
  const selection = tellHost(design, post, { now: () => performance.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms), clearTimer: (handle) => clearTimeout(handle) });
  const plan = new RoomPlan(/** @type {SVGSVGElement} */ (/** @type {unknown} */ (
    document.querySelector("[data-testid=room-plan]"))), {
    move: (key, x, y, snapping) => told(design.move(key, x, y, snapping), "noMove", key),
    drag: (key, x, y) => design.preview(key, x, y),
    rotate: (key) => told(design.rotate(key), "noTurn", key),
    remove: (key) => void design.remove(key),
    select: (key) => {
      const item = key ? design.item(key) : null;
      view.select(key, item?.name);
      selection(item);
    },
    describe: (item) => locale.t("itemAt", { name: item.name, x: item.x, y: item.y }) +
      (item.rotation ? locale.t("turned", { rotation: item.rotation }) : "") +
      (item.mount === "wall" ? locale.t("onWall", { elevation: item.elevation ?? 0 }) : ""),
    label: (key, vars) => locale.t(key, vars),
  });
  locale.onChange(() => { design.currency = locale.currency; view.relabel(); draw(); });
  historyKeys(design);
  installCommands({
    design,
    catalog: () => state.catalog,
    findDesign: async (id) => { await refresh(); return state.mine.find((a) => a.id === id) ?? null; },
    loggedIn: () => user() !== null,
    askLogin: needLogin,
    locale,
    root: document.documentElement,
  });

  async function loadOnce() {
    const assets = await api.listAll();
    const me = user();
    state.catalog = assets.filter((a) => a.owner === null);
    state.mine = me ? assets.filter((a) => a.owner === me.id) : [];
    if (design.state.id && !state.mine.some((a) => a.id === design.state.id)) {
      design.forget(design.state.id); // deleted elsewhere
    }
    draw();
  }

  // Refreshes coalesce: a burst of live pushes costs one more listing, not one each.
  const refresh = coalesced(() => loadOnce().catch((error) => {
    if (error?.code !== "IdentityChanged") report(error); // the new identity reloads anyway
  }));

  const live = new LiveChannel({ url: config.liveUrl, keeper, onChange: () => void refresh(),
    onStatus: (status) => view.live(status) });

  keeper.on("change", (/** @type {{waiting: number, valid: boolean}} */ s) => {
    view.queue(s.waiting);
    // A session error no longer applies once a token works again.
    if (s.valid && s.waiting === 0 && SESSION_ERRORS.has(view.errorCode)) view.showError(null);
    const identity = keeper.identity;
    if (!identity) view.identity("", "none");
    else if (identity.kind === "user") view.identity(identity.user.name || identity.user.id, "user");
    else view.identity(config.entityName, "legal_entity"); // the shop's own name
  });
  keeper.on("error", report);
  // Drafts, retried saves and the 3D view: window.planner.{drafts, saving, view3d} for tests.
  const kept = keepEverything({ design, entity: config.entity, identity: () => keeper.identity,
    onIdentity: (fn) => keeper.on("change", fn), t: (key) => locale.t(key) });
  keeper.on("identity", () => {
    state.mine = [];
    view.notice(null); // "log in to save" no longer applies, or applies anew
    if (design.state.id) design.startNew(); // the open design was the previous person's
    draw();
    void refresh();
    live.restart();
  });

  // Timers do not run while the device sleeps: count elapsed time again when the page is back.
  document.addEventListener("visibilitychange", () => { if (!document.hidden) keeper.wake(); });
  window.addEventListener("pageshow", () => keeper.wake());

  /** @type {any} */ (window).planner = Object.freeze({ api, keeper, design, refresh, state,
    runCommand, locale, ...kept });
  view.relabel();
  draw();
  if (window.parent === window) {
    view.showError({ code: "NotEmbedded", message: "open the planner from a shop's page" });
    return;
  }
  link.start();
  reportPageSize((event, content) => link.post(event, content)); // Resize, for height: "auto"
  // The live channel connects once the first listing has answered: that listing is the call
  // that confirms the token (AuthenticationSucceeded), and the socket's handshake and auth,
  // sent at the same moment, made the planner origin answer it later. A change in between is
  // missed no more than before: the listing and the socket raced anyway.
  // Drawn (for Loaded, once also authenticated): now with the page's catalog, else once the
  // first listing has drawn it.
  if (config.catalog) link.drawn();
  void refresh().finally(() => { link.drawn(); live.start(); });
}

main();
