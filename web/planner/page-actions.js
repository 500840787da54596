// @ts-check
/**
 * What the shopper's clicks, keys and drags do: the actions of the page around the plan
 * (view.js) and of the plan itself (room-plan.js), each a change of the design or a web-service
 * call whose error is told in a sentence. `Page` is what app.js wires together.
 */
import { PlannerEvent } from "../sdk/protocol.js";
import { ask } from "./confirm.js";

/**
 * @typedef {import("./api.js").Asset} Asset
 * @typedef {{
 *   config: any, locale: import("./i18n.js").Locale, state: {catalog: Asset[], mine: Asset[]},
 *   keeper: import("./token-keeper.js").TokenKeeper, api: import("./api.js").AssetsApi,
 *   link: import("./host-link.js").HostLink, design: import("./design.js").Design,
 *   proofs: import("./dpop-proof.js").ProofMaker | null,
 *   view: import("./view.js").PlannerView, plan: import("./room-plan.js").RoomPlan,
 *   parts: import("./parts-list.js").PartsList, kept: ReturnType<typeof import("./nothing-lost.js").keepEverything>,
 *   post: (event: string, content?: Record<string, unknown>) => void,
 *   user: () => {id: string, name?: string} | null, report: (error: unknown) => void,
 *   needLogin: () => void, draw: () => void, refresh: () => Promise<void>,
 * }} Page
 */

/** Run a person's action; its error is shown as a sentence, its success clears the last error.
 * @param {Page} p @param {() => Promise<unknown>} action @returns {Promise<boolean>} */
function act(p, action) {
  return action().then(() => { p.view.showError(null); return true; },
    (error) => { p.report(error); return false; });
}

/** A refused change, told in words. @param {Page} p @param {boolean} done @param {string} key
 * @param {string} id */
function told(p, done, key, id) {
  p.view.notice(done ? null : p.locale.t(key, { name: p.design.item(id)?.name ?? "" }));
}

/** The person tried to save without an account: the shop should offer its login. @param {Page} p */
export function needLogin(p) {
  p.link.post(PlannerEvent.LoginRequired);
  p.view.notice(p.locale.t("logInNotice"));
}

/** @param {Page} p @returns {import("./view.js").Actions} */
export function viewActions(p) {
  const { design, locale, api } = p;
  const t = (/** @type {string} */ key, /** @type {Record<string, string>} */ vars = {}) => locale.t(key, vars);
  return {
    // The design's saves report their own errors, and a later save that works clears them.
    add: (fields) => { design.startNew(fields.name); void design.save(); },
    open: (asset) => design.open(asset, p.state.catalog),
    rename: (asset, name) => act(p, async () => {
      await api.rename(asset.id, name);
      design.renamed(asset.id, name);
      await p.refresh();
    }),
    remove: (asset) => void ask(t("confirmDelete", { name: asset.name }), t("delete"), t("cancel"))
      .then((yes) => yes && act(p, async () => {
        await api.remove(asset.id);
        design.forget(asset.id);
        await p.refresh();
      })),
    addToDesign: (asset) => {
      const item = design.place(asset);
      if (item) { p.view.notice(null); p.plan.focus(item.id); }
      else p.view.notice(t("noSpace", { name: asset.name }));
    },
    removeFromDesign: (key) => design.remove(key),
    rotate: (key) => told(p, design.rotate(key), "noTurn", key),
    undo: () => design.undo(),
    redo: () => design.redo(),
    setRoom: (size) => design.setRoom(size),
    renameDesign: (name) => void design.rename(name),
    save: () => (p.user() ? void design.save() : needLogin(p)),
    close: () => p.link.post(PlannerEvent.CloseApp),
  };
}

/** @param {Page} p @param {(item: import("./layout.js").PlacedItem | null) => void} selection
 *   tells the host what is selected @returns {import("./room-plan.js").PlanActions} */
export function planActions(p, selection) {
  const { design, locale } = p;
  return {
    move: (key, x, y, snapping) => told(p, design.move(key, x, y, snapping), "noMove", key),
    drag: (key, x, y) => design.preview(key, x, y),
    rotate: (key) => told(p, design.rotate(key), "noTurn", key),
    remove: (key) => void design.remove(key),
    select: (key) => {
      const item = key ? design.item(key) : null;
      p.view.select(key, item?.name);
      selection(item);
    },
    describe: (item) => locale.t("itemAt", { name: item.name, x: item.x, y: item.y }) +
      (item.rotation ? locale.t("turned", { rotation: item.rotation }) : "") +
      (item.mount === "wall" ? locale.t("onWall", { elevation: item.elevation ?? 0 }) : ""),
    label: (key, vars) => locale.t(key, vars),
  };
}
