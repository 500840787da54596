// @ts-check
/**
 * The planner app: wires the page (view.js) to the token keeper, the host link, the assets API
 * and the live channel. Tokens live only in the keeper's memory.
 *
 * Hooks the end-to-end suite relies on (stable; do not rename):
 *   data-testid   identity (text: shop or user name; data-kind: none | legal_entity | user),
 *                 queue-count (calls waiting for a token), live (data-status: connecting | live |
 *                 offline), error-box, error (text and data-code: the error's name, e.g.
 *                 TokenRefreshTimeout, insufficient_scope, IdentityChanged), error-detail,
 *                 error-dismiss, notice, catalog, my-assets, my-assets-empty, design, design-item,
 *                 remove-from-design, design-name, save-to-account, close-app,
 *                 add-asset (the form), asset-name-input, asset-kind, add-asset-submit.
 *   asset rows    li[data-testid=asset][data-asset-id=ID] holding asset-name, and add-to-design
 *                 (catalog rows) or rename-asset, delete-asset (own rows); rename-asset opens
 *                 rename-form with rename-input and rename-save.
 *   window.planner  { api, keeper, refresh, state }: `api` is the queued AssetsApi (list, listAll,
 *                 create, rename, update, remove), so page.evaluate in the iframe can fire real
 *                 calls, e.g. 50 `api.create(...)` during expiry; `keeper.state` is
 *                 {identity, waiting, held, asking, valid} (held: writes not yet sent because an
 *                 earlier call to the same asset has no answer yet). No token is reachable from it.
 *   query         /planner/?entity=ID[&answerDeadlineMs=N] (N from 100 to 600000; default 30000).
 */
import { DEFAULT_ANSWER_DEADLINE_MS, PlannerEvent, isAnswerDeadline } from "../sdk/protocol.js";
import { AssetsApi, httpSender } from "./api.js";
import { HostLink, pickParentOrigin } from "./host-link.js";
import { LiveChannel } from "./live.js";
import { TokenKeeper } from "./token-keeper.js";
import { PlannerView } from "./view.js";

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

function main() {
  const config = readConfig();
  const keeper = new TokenKeeper({
    send: httpSender({ fetch: (url, init) => fetch(url, init), base: location.origin }),
    answerDeadlineMs: answerDeadlineOf(location.search),
  });
  const api = new AssetsApi(keeper);
  /** @type {{catalog: Asset[], mine: Asset[], design: Asset[]}} */
  const state = { catalog: [], mine: [], design: [] };
  const link = new HostLink({
    parent: window.parent,
    registered: config.origins,
    parentOrigin: pickParentOrigin({ registered: config.origins,
      ancestorOrigins: location.ancestorOrigins, referrer: document.referrer }),
    entity: config.entity,
    keeper,
    onRefused: (reason) => view.showError({ code: "UnexpectedMessage", message: reason }),
  });

  const user = () => { const id = keeper.identity; return id?.kind === "user" ? id.user : null; };
  const draw = () => view.assets({ ...state, signedIn: user() !== null });
  const report = (/** @type {unknown} */ error) => view.showError(named(error));

  /** Run a person's action; its error is shown by name, its success clears the last error.
   * @param {() => Promise<unknown>} action @returns {Promise<void>} */
  const act = (action) => action().then(() => view.showError(null), report);

  /** @type {PlannerView} */
  const view = new PlannerView({
    add: (fields) => act(async () => { await api.create({ ...fields, data: {} }); await refresh(); }),
    rename: (asset, name) => act(async () => { await api.rename(asset.id, name); await refresh(); }),
    remove: (asset) => act(async () => { await api.remove(asset.id); await refresh(); }),
    addToDesign: (asset) => { state.design.push(asset); draw(); },
    removeFromDesign: (index) => { state.design.splice(index, 1); draw(); },
    save: (name) => act(() => saveDesign(name)),
    close: () => link.post(PlannerEvent.CloseApp),
  });

  async function saveDesign(/** @type {string} */ name) {
    if (!user()) {
      link.post(PlannerEvent.LoginRequired);
      view.notice("Log in on the shop's page to save your design to your account.");
      return;
    }
    const items = state.design.map((a) => a.id);
    await api.create({ name: name || "My design", kind: "design", data: { items } });
    view.notice(`Saved “${name || "My design"}” to your account.`);
    await refresh();
  }

  async function loadOnce() {
    const assets = await api.listAll();
    const me = user();
    state.catalog = assets.filter((a) => a.owner === null);
    state.mine = me ? assets.filter((a) => a.owner === me.id) : [];
    draw();
  }

  // Refreshes coalesce: a burst of live pushes costs one more listing, not one each.
  /** @type {Promise<void> | null} */
  let refreshing = null;
  let again = false;
  function refresh() {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        await loadOnce().catch((error) => {
          if (error?.code !== "IdentityChanged") report(error); // the new identity reloads anyway
        });
      } while (again);
    })().finally(() => { refreshing = null; });
    return refreshing;
  }

  const live = new LiveChannel({ url: config.liveUrl, keeper, onChange: () => void refresh(),
    onStatus: (status) => view.live(status) });

  keeper.on("change", (/** @type {{waiting: number}} */ s) => {
    view.queue(s.waiting);
    const identity = keeper.identity;
    if (!identity) view.identity("connecting…", "none");
    else if (identity.kind === "user") view.identity(identity.user.name || identity.user.id, "user");
    else view.identity(config.entityName, "legal_entity");
  });
  keeper.on("error", report);
  keeper.on("identity", () => {
    state.mine = [];
    view.notice(null);
    draw();
    void refresh();
    live.restart();
  });

  // Timers do not run while the device sleeps: count elapsed time again when the page is back.
  document.addEventListener("visibilitychange", () => { if (!document.hidden) keeper.wake(); });
  window.addEventListener("pageshow", () => keeper.wake());
  window.addEventListener("message", (event) => { link.receive(event); });

  /** @type {any} */ (window).planner = Object.freeze({ api, keeper, refresh, state });
  draw();
  if (window.parent === window) {
    view.showError({ code: "NotEmbedded", message: "open the planner from a shop's page" });
    return;
  }
  link.start();
  void refresh();
  live.start();
}

main();
