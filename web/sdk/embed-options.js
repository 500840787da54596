// @ts-check
/**
 * The embedding's look, language and size options, checked before anything reaches the planner:
 * a bad value is the integrator's mistake, reported at once as InvalidOption naming the option,
 * rather than a planner drawn in the wrong colours.
 */
import { PlannerBridgeError } from "./protocol.js";

export const DEFAULT_LOAD_TIMEOUT_MS = 15_000;
/** The iframe's height with `height: "auto"` until the planner's first Resize. */
export const DEFAULT_MIN_HEIGHT = 400;
const MAX_LOAD_TIMEOUT_MS = 600_000;
const MAX_HEIGHT_PX = 100_000;

const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const RGB_COLOUR = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/;
// A family name as CSS writes it unquoted: words of letters, digits and hyphens. Quotes, commas,
// semicolons and braces are refused: the value ends up in the planner's style.
const FONT_FAMILY = /^[A-Za-z][A-Za-z0-9-]*(?: [A-Za-z0-9-]+)*$/;
const CSS_LENGTH = /^\d+(?:\.\d+)?(?:px|rem|em|vh|svh|dvh)$/;
const THEME_KEYS = ["accent", "background", "font"];

/** @param {unknown} ok @param {string} what */
export function insist(ok, what) {
  if (!ok) throw new PlannerBridgeError("InvalidOption", what);
}

/** @param {unknown} value */
function isColour(value) {
  if (typeof value !== "string") return false;
  if (HEX_COLOUR.test(value)) return true;
  const rgb = RGB_COLOUR.exec(value);
  return rgb !== null && rgb.slice(1).every((part) => Number(part) <= 255);
}

/**
 * `{accent?, background?, font?}`: colours as `#rgb`, `#rrggbb` or `rgb(r, g, b)`, a font family
 * name. Returns the theme with only the keys given.
 * @param {unknown} theme @returns {{accent?: string, background?: string, font?: string}}
 */
export function checkTheme(theme) {
  insist(typeof theme === "object" && theme !== null && !Array.isArray(theme),
    "theme must be an object {accent?, background?, font?}");
  const given = /** @type {Record<string, unknown>} */ (theme);
  for (const key of Object.keys(given)) {
    insist(THEME_KEYS.includes(key), `theme.${key} is not a theme option (accent, background, font)`);
  }
  for (const key of ["accent", "background"]) {
    insist(given[key] === undefined || isColour(given[key]),
      `theme.${key} must be a colour: #rgb, #rrggbb or rgb(r, g, b)`);
  }
  insist(given.font === undefined || (typeof given.font === "string" && given.font.length <= 64 &&
    FONT_FAMILY.test(given.font)), "theme.font must be a font family name, like Georgia or Open Sans");
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
}

/** @param {unknown} locale a BCP 47 language tag, like "de" or "en-GB" */
export function checkLocale(locale) {
  let canonical = null;
  try {
    canonical = typeof locale === "string" ? Intl.getCanonicalLocales(locale)[0] : null;
  } catch {
    // not a language tag: refused just below
  }
  insist(canonical, "locale must be a language tag, like en, de or en-GB");
  return /** @type {string} */ (canonical);
}

/** @param {unknown} currency an ISO 4217 code, like "EUR" */
export function checkCurrency(currency) {
  insist(typeof currency === "string" && /^[A-Z]{3}$/.test(currency),
    "currency must be an ISO 4217 code, like EUR or USD");
  return /** @type {string} */ (currency);
}

/** @param {unknown} ms */
export function checkLoadTimeout(ms) {
  if (ms === undefined) return DEFAULT_LOAD_TIMEOUT_MS;
  insist(Number.isInteger(ms) && /** @type {number} */ (ms) > 0 &&
    /** @type {number} */ (ms) <= MAX_LOAD_TIMEOUT_MS,
  `loadTimeoutMs must be a whole number of milliseconds from 1 to ${MAX_LOAD_TIMEOUT_MS}`);
  return /** @type {number} */ (ms);
}

/** @param {unknown} px @param {string} name */
function pixels(px, name) {
  // Number.isFinite is false for anything but a finite number: no typeof needed.
  insist(Number.isFinite(px) && /** @type {number} */ (px) >= 0 &&
    /** @type {number} */ (px) <= MAX_HEIGHT_PX,
    `${name} must be a number of pixels from 0 to ${MAX_HEIGHT_PX}`);
  return /** @type {number} */ (px);
}

/**
 * What the iframe's height does: `fixed` (a CSS height, or null to leave it to the page's CSS),
 * or `auto` between `min` and `max` pixels, following the planner's Resize.
 * @param {{height?: unknown, minHeight?: unknown, maxHeight?: unknown}} options
 * @returns {{mode: "fixed", css: string | null} | {mode: "auto", min: number, max: number}}
 */
export function sizing({ height, minHeight, maxHeight }) {
  if (height !== "auto") {
    insist(minHeight === undefined && maxHeight === undefined,
      'minHeight and maxHeight apply only with height: "auto"');
    if (height === undefined) return { mode: "fixed", css: null };
    if (typeof height === "number") return { mode: "fixed", css: `${pixels(height, "height")}px` };
    insist(typeof height === "string" && CSS_LENGTH.test(height),
      'height must be "auto", a number of pixels or a CSS length like "40rem"');
    return { mode: "fixed", css: /** @type {string} */ (height) };
  }
  const min = minHeight === undefined ? DEFAULT_MIN_HEIGHT : pixels(minHeight, "minHeight");
  const max = maxHeight === undefined ? MAX_HEIGHT_PX : pixels(maxHeight, "maxHeight");
  insist(min <= max, "minHeight must not be more than maxHeight");
  return { mode: "auto", min, max };
}

/**
 * The iframe's height for the planner's content height, within the bounds.
 * @param {{min: number, max: number}} bounds @param {number} contentHeight
 */
export function autoHeight({ min, max }, contentHeight) {
  return Math.min(max, Math.max(min, Math.ceil(contentHeight)));
}
