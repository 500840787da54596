// @ts-check
/**
 * The shop's look in the planner: an accent colour, a background colour and a font family, set
 * as CSS custom properties (planner.css reads --accent, --background, --font). Only plain values
 * are accepted, so nothing a host sends can inject other CSS.
 */

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const RGB = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/;
// A family name: letters, digits, spaces, hyphens, optionally quoted; lists by comma.
const FONT = /^(?:\s*(?:"[\w\- ]{1,60}"|'[\w\- ]{1,60}'|[\w\- ]{1,60})\s*)(?:,(?:\s*(?:"[\w\- ]{1,60}"|'[\w\- ]{1,60}'|[\w\- ]{1,60})\s*)){0,5}$/;

/** @param {unknown} value */
export function isColour(value) {
  if (typeof value !== "string") return false;
  if (HEX.test(value)) return true;
  const rgb = RGB.exec(value);
  return rgb !== null && rgb.slice(1).every((n) => Number(n) <= 255);
}

/** @param {unknown} value */
export function isFont(value) {
  return typeof value === "string" && FONT.test(value);
}

/** @typedef {{accent?: string, background?: string, font?: string}} Theme */

/**
 * The first field that is not a valid theme value, or null when all are.
 * @param {Record<string, unknown>} theme
 */
export function invalidThemeField(theme) {
  for (const [name, value] of Object.entries(theme)) {
    if (name === "font" ? !isFont(value) : !["accent", "background"].includes(name) || !isColour(value)) {
      return name;
    }
  }
  return null;
}

/** Apply a valid theme to the page. @param {HTMLElement} root @param {Theme} theme */
export function applyTheme(root, theme) {
  if (theme.accent) root.style.setProperty("--accent", theme.accent);
  if (theme.background) root.style.setProperty("--background", theme.background);
  if (theme.font) root.style.setProperty("--font", theme.font);
}
