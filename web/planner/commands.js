// @ts-check
/**
 * The commands a host page sends (`Command {id, name, args}`, SPEC "Driving the planner from the
 * page"), run against the open design: each resolves to its value or rejects with a
 * PlannerBridgeError whose code is one of CommandError's. The host link (H4) calls `runCommand`
 * and answers with `CommandResult`; changes made here are undoable like a shopper's.
 *
 * The args object of each command, as the SDK sends it:
 * @typedef {{}} GetDesignArgs
 * @typedef {{id: string}} OpenDesignArgs
 * @typedef {{name?: string}} NewDesignArgs
 * @typedef {{catalogId: string, x?: number, y?: number, rotation?: 0 | 90 | 180 | 270}} AddItemArgs
 * @typedef {{itemId: string}} RemoveItemArgs
 * @typedef {{width: number, depth: number}} SetRoomArgs  millimetres, 1 000 to 30 000
 * @typedef {{}} SaveDesignArgs
 * @typedef {{accent?: string, background?: string, font?: string}} SetThemeArgs
 * @typedef {{locale?: string, currency?: string}} SetLocaleArgs  at least one; the other stays
 * Values: getDesign, newDesign, saveDesign → Design; addItem → DesignItem; openDesign → Design;
 * the others → undefined.
 */
import { CommandError, CommandName, PlannerBridgeError, ROTATIONS } from "../sdk/protocol.js";
import { wireDesign, wireItem } from "./planner-events.js";
import { isRoomLength } from "./stored-design.js";
import { applyTheme, invalidThemeField } from "./theme.js";

/**
 * What the commands act on (app.js gives it).
 * @typedef {{
 *   design: import("./design.js").Design,
 *   catalog: () => import("./api.js").Asset[],
 *   findDesign: (id: string) => Promise<import("./api.js").Asset | null>,
 *   loggedIn: () => boolean,
 *   askLogin: () => void,
 *   locale: import("./i18n.js").Locale,
 *   root: HTMLElement,
 * }} CommandContext
 */

const MAX_NAME = 200;

/** @param {string} message */
const invalid = (message) => new PlannerBridgeError(CommandError.InvalidArgument, message);
/** @param {string} message */
const notFound = (message) => new PlannerBridgeError(CommandError.NotFound, message);

/** @param {unknown} value */
function isPosition(value) {
  return value === undefined || (typeof value === "number" && Number.isFinite(value) && value >= 0);
}

/** @param {unknown} value @param {string} name */
function text(value, name) {
  if (typeof value !== "string" || !value.trim() || value.length > MAX_NAME) {
    throw invalid(`${name}: a non-empty string of at most ${MAX_NAME} characters`);
  }
  return value.trim();
}

/** @param {CommandContext} ctx */
function needLogin(ctx) {
  if (ctx.loggedIn()) return;
  ctx.askLogin();
  throw new PlannerBridgeError(CommandError.LoginRequired, "this command needs a logged-in user");
}

/** @type {Record<string, (ctx: CommandContext, args: Record<string, any>) => unknown>} */
const COMMANDS = {
  [CommandName.getDesign]: (ctx) => wireDesign(ctx.design.toJSON()),

  [CommandName.openDesign]: async (ctx, { id }) => {
    const wanted = text(id, "id");
    needLogin(ctx);
    const asset = await ctx.findDesign(wanted);
    if (!asset) throw notFound(`no design ${wanted} in this account`);
    ctx.design.open(asset, ctx.catalog());
    return wireDesign(ctx.design.toJSON());
  },

  [CommandName.newDesign]: (ctx, { name }) => {
    ctx.design.startNew(name === undefined ? undefined : text(name, "name"));
    return wireDesign(ctx.design.toJSON());
  },

  [CommandName.addItem]: (ctx, { catalogId, x, y, rotation }) => {
    const id = text(catalogId, "catalogId");
    if (!isPosition(x) || !isPosition(y)) throw invalid("x, y: millimetres from the room's top-left corner, >= 0");
    if (rotation !== undefined && !ROTATIONS.includes(rotation)) throw invalid("rotation: 0, 90, 180 or 270");
    const source = ctx.catalog().find((a) => a.id === id);
    if (!source) throw notFound(`no catalog item ${id}`);
    const item = ctx.design.place(source, { x, y, rotation });
    if (!item) throw invalid(`there is no free space in the room for ${source.name}`);
    return wireItem(item);
  },

  [CommandName.removeItem]: (ctx, { itemId }) => {
    const id = text(itemId, "itemId");
    if (!ctx.design.remove(id)) throw notFound(`no item ${id} in the design`);
  },

  [CommandName.setRoom]: (ctx, { width, depth }) => {
    if (!isRoomLength(width) || !isRoomLength(depth)) {
      throw invalid("width, depth: millimetres from 1000 to 30000");
    }
    ctx.design.setRoom({ width, depth });
  },

  [CommandName.saveDesign]: async (ctx) => {
    needLogin(ctx);
    await ctx.design.saveOnce();
    return wireDesign(ctx.design.toJSON());
  },

  [CommandName.setTheme]: (ctx, theme) => {
    const bad = invalidThemeField(theme);
    if (bad) throw invalid(`${bad}: colours are #rgb, #rrggbb or rgb(r, g, b); font a family name`);
    applyTheme(ctx.root, theme);
  },

  [CommandName.setLocale]: (ctx, { locale, currency }) => {
    const known = locale !== undefined || currency !== undefined;
    if (!known || !ctx.locale.set(locale ?? ctx.locale.tag, currency ?? ctx.locale.currency)) {
      throw invalid("locale: en or de (a BCP 47 tag); currency: an ISO 4217 code such as EUR");
    }
    ctx.design.currency = ctx.locale.currency;
  },
};

/**
 * Run one command. Resolves to its value; rejects with a PlannerBridgeError (CommandError code,
 * or the web services' code when a save failed).
 * @param {CommandContext} ctx @param {string} name @param {Record<string, unknown>} [args]
 */
export async function run(ctx, name, args = {}) {
  if (!Object.hasOwn(COMMANDS, name)) throw new PlannerBridgeError(CommandError.UnknownCommand, `no command ${name}`);
  if (typeof args !== "object" || args === null || Array.isArray(args)) throw invalid("args: an object");
  return COMMANDS[name](ctx, args);
}

/** @type {CommandContext | null} */
let installed = null;

/** The page's commands act on this context from now on (app.js, once). @param {CommandContext} ctx */
export function installCommands(ctx) {
  installed = ctx;
}

/**
 * What the host link calls for each `Command`: `runCommand(name, args)`.
 * @param {string} name @param {Record<string, unknown>} [args]
 */
export function runCommand(name, args = {}) {
  if (!installed) {
    return Promise.reject(new PlannerBridgeError(CommandError.NotReady, "the planner is still starting"));
  }
  return run(installed, name, args);
}
