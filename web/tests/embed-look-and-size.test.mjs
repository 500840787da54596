// embedPlanner's theme, language, size and load options: what it refuses (InvalidOption, exact
// message), what it sends first after Ready, and the iframe height that follows Resize.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { embedPlanner } from "../sdk/planner-bridge.js";
import { autoHeight, checkLoadTimeout, checkTheme, sizing } from "../sdk/embed-options.js";
import { settle } from "./fakes.mjs";

const PLANNER = "https://planner.example/planner/?entity=ent_1";
const ORIGIN = "https://planner.example";
const fetchToken = async () => ({ kind: "legal_entity", token: "t", expiresIn: 60 });

let listeners;
let appended;
beforeEach(() => {
  listeners = new Set();
  appended = [];
  globalThis.document = { baseURI: "https://shop.example/",
    createElement: (tag) => ({ tag, style: {}, contentWindow: null, remove() {} }) };
  globalThis.window = {
    addEventListener: (name, fn) => { if (name === "message") listeners.add(fn); },
    removeEventListener: (name, fn) => { listeners.delete(fn); },
  };
});
afterEach(() => { delete globalThis.document; delete globalThis.window; });

function embed(options) {
  const planner = embedPlanner({ container: { appendChild: (n) => appended.push(n) },
    plannerUrl: PLANNER, fetchToken, crossTab: false, ...options });
  const posted = [];
  planner.iframe.contentWindow = { postMessage: (data, origin) => posted.push({ ...data, origin }) };
  const from = (event, content = {}) => {
    for (const listener of listeners) {
      listener({ origin: ORIGIN, source: planner.iframe.contentWindow, data: { event, content } });
    }
  };
  planner.ready.catch(() => {});
  return { planner, posted, from };
}

const COLOUR = "must be a colour: #rgb, #rrggbb or rgb(r, g, b)";
const FONT = "theme.font must be a font family name, like Georgia or Open Sans";
const refusedThemes = [
  [{ accent: "red" }, `theme.accent ${COLOUR}`],
  [{ accent: 255 }, `theme.accent ${COLOUR}`],
  [{ accent: "x#fff" }, `theme.accent ${COLOUR}`],
  [{ accent: "#fffx" }, `theme.accent ${COLOUR}`],
  [{ accent: "xrgb(1, 2, 3)" }, `theme.accent ${COLOUR}`],
  [{ accent: "rgb(1, 2, 3)x" }, `theme.accent ${COLOUR}`],
  [{ accent: "rgb(x1, 2, 3)" }, `theme.accent ${COLOUR}`],
  [{ accent: "rgb(1x, 2, 3)" }, `theme.accent ${COLOUR}`],
  [{ accent: "rgb(1, x2, 3)" }, `theme.accent ${COLOUR}`],
  [{ accent: "rgb(1, 2x, 3)" }, `theme.accent ${COLOUR}`],
  [{ accent: "rgb(1, 2, x3)" }, `theme.accent ${COLOUR}`],
  [{ accent: "rgb(1, 2, 3x)" }, `theme.accent ${COLOUR}`],
  [{ font: ["Georgia"] }, FONT],
  [{ accent: ["#fff"] }, `theme.accent ${COLOUR}`],
  [{ accent: "#12" }, `theme.accent ${COLOUR}`],
  [{ accent: "#1234567" }, `theme.accent ${COLOUR}`],
  [{ background: "rgb(256, 0, 0)" }, `theme.background ${COLOUR}`],
  [{ background: "rgba(0, 0, 0, 0.5)" }, `theme.background ${COLOUR}`],
  [{ background: "#fff; color: red" }, `theme.background ${COLOUR}`],
  [{ font: "Georgia; background: url(x)" }, FONT],
  [{ font: "'Open Sans'" }, FONT],
  [{ font: "Arial, sans-serif" }, FONT],
  [{ font: "" }, FONT],
  [{ font: "A".repeat(65) }, FONT],
  [{ font: 12 }, FONT],
  [{ colour: "#fff" }, "theme.colour is not a theme option (accent, background, font)"],
  ["#fff", "theme must be an object {accent?, background?, font?}"],
  [null, "theme must be an object {accent?, background?, font?}"],
];
for (const [theme, message] of refusedThemes) {
  test(`theme ${JSON.stringify(theme)} is refused: ${message}`, () => {
    assert.throws(() => embed({ theme }), { code: "InvalidOption", message });
    assert.equal(appended.length, 0, "no iframe for bad options");
  });
}

test("good theme values pass as given, undefined keys dropped", () => {
  const theme = { accent: "#2F4F3F", background: "rgb( 250 ,248, 245 )", font: "Open Sans" };
  assert.deepEqual(checkTheme({ ...theme, font: undefined }),
    { accent: "#2F4F3F", background: "rgb( 250 ,248, 245 )" });
  assert.deepEqual(checkTheme({ accent: "#abc", font: "Georgia" }), { accent: "#abc", font: "Georgia" });
  for (const colour of ["rgb(255,255,255)", "rgb(0, 0, 0)", "rgb(  1  ,  2  ,  3  )", "#ABCDEF"]) {
    assert.deepEqual(checkTheme({ background: colour }), { background: colour });
  }
  assert.deepEqual(checkTheme({ font: "A".repeat(64) }), { font: "A".repeat(64) });
  assert.deepEqual(checkTheme(theme), theme);
});

const refusedOptions = [
  [{ locale: "not a locale!" }, "locale must be a language tag, like en, de or en-GB"],
  [{ locale: 7 }, "locale must be a language tag, like en, de or en-GB"],
  [{ locale: ["de"] }, "locale must be a language tag, like en, de or en-GB"],
  [{ locale: "de", currency: ["EUR"] }, "currency must be an ISO 4217 code, like EUR or USD"],
  [{ height: "auto", minHeight: NaN }, "minHeight must be a number of pixels from 0 to 100000"],
  [{ height: "auto", minHeight: "300" }, "minHeight must be a number of pixels from 0 to 100000"],
  [{ height: "x40rem" }, 'height must be "auto", a number of pixels or a CSS length like "40rem"'],
  [{ height: ["40rem"] }, 'height must be "auto", a number of pixels or a CSS length like "40rem"'],
  [{ height: "auto", maxHeight: 100_001 }, "maxHeight must be a number of pixels from 0 to 100000"],
  [{ height: "40.rem" }, 'height must be "auto", a number of pixels or a CSS length like "40rem"'],
  [{ height: "40.xrem" }, 'height must be "auto", a number of pixels or a CSS length like "40rem"'],
  [{ locale: "de", currency: "eur" }, "currency must be an ISO 4217 code, like EUR or USD"],
  [{ locale: "de", currency: "EURO" }, "currency must be an ISO 4217 code, like EUR or USD"],
  [{ currency: "EUR" }, "currency goes with a locale: give locale too"],
  [{ loadTimeoutMs: 0 }, "loadTimeoutMs must be a whole number of milliseconds from 1 to 600000"],
  [{ loadTimeoutMs: 600_001 }, "loadTimeoutMs must be a whole number of milliseconds from 1 to 600000"],
  [{ loadTimeoutMs: 1.5 }, "loadTimeoutMs must be a whole number of milliseconds from 1 to 600000"],
  [{ height: "tall" }, 'height must be "auto", a number of pixels or a CSS length like "40rem"'],
  [{ height: "40rem; color: red" }, 'height must be "auto", a number of pixels or a CSS length like "40rem"'],
  [{ height: -1 }, "height must be a number of pixels from 0 to 100000"],
  [{ height: 500, minHeight: 100 }, 'minHeight and maxHeight apply only with height: "auto"'],
  [{ maxHeight: 100 }, 'minHeight and maxHeight apply only with height: "auto"'],
  [{ height: "auto", minHeight: 800, maxHeight: 600 }, "minHeight must not be more than maxHeight"],
  [{ height: "auto", maxHeight: Infinity }, "maxHeight must be a number of pixels from 0 to 100000"],
];
for (const [options, message] of refusedOptions) {
  test(`${JSON.stringify(options)} is refused: ${message}`, () => {
    assert.throws(() => embed(options), { code: "InvalidOption", message });
  });
}

test("theme and language are the first commands after Ready, in that order", async () => {
  const { planner, posted, from } = embed({ theme: { accent: "#c00" }, locale: "de-DE",
    currency: "EUR" });
  const mine = planner.getDesign();
  await settle();
  assert.deepEqual(posted.filter((p) => p.event === "Command"), []);
  from("Ready", { version: 1 });
  assert.deepEqual(posted.filter((p) => p.event === "Command").map((p) => [p.content, p.origin]), [
    [{ id: "c1", name: "setTheme", args: { accent: "#c00" } }, ORIGIN],
    [{ id: "c2", name: "setLocale", args: { locale: "de-DE", currency: "EUR" } }, ORIGIN],
    [{ id: "c3", name: "getDesign", args: {} }, ORIGIN],
  ]);
  planner.destroy();
  await assert.rejects(mine, { code: "Destroyed" });
});

test("a theme or locale the planner refuses is reported through the error event", async () => {
  const { planner, from } = embed({ locale: "de" });
  const errors = [];
  planner.on("error", (error) => errors.push([error.code, error.message]));
  from("Ready", { version: 1 });
  from("CommandResult", { id: "c1", ok: false, error: { code: "InvalidArgument", message: "no fr" } });
  await settle();
  assert.deepEqual(errors, [["InvalidArgument", "no fr"]]);
  planner.destroy();
});

test("each command method sends its name and args as SPEC spells them", async () => {
  const { planner, posted, from } = embed({});
  from("Ready", { version: 1 });
  const calls = [
    planner.getDesign(), planner.openDesign("d1"), planner.newDesign({ name: "Galley" }),
    planner.addItem("base-600", { x: 600, y: 0, rotation: 90 }), planner.addItem("wall-400"),
    planner.removeItem("i1"), planner.setRoom({ width: 4000, depth: 3000 }), planner.saveDesign(),
    planner.setTheme({ font: "Georgia" }), planner.setLocale("en-GB", { currency: "GBP" }),
    planner.setLocale("de"), planner.newDesign(),
  ];
  assert.deepEqual(posted.filter((p) => p.event === "Command").map((p) => [p.content.name, p.content.args]), [
    ["getDesign", {}], ["openDesign", { id: "d1" }], ["newDesign", { name: "Galley" }],
    ["addItem", { catalogId: "base-600", x: 600, y: 0, rotation: 90 }],
    ["addItem", { catalogId: "wall-400" }], ["removeItem", { itemId: "i1" }],
    ["setRoom", { width: 4000, depth: 3000 }], ["saveDesign", {}], ["setTheme", { font: "Georgia" }],
    ["setLocale", { locale: "en-GB", currency: "GBP" }], ["setLocale", { locale: "de" }],
    ["newDesign", {}],
  ]);
  planner.destroy();
  for (const call of calls) await assert.rejects(call, { code: "Destroyed" });
});

test("setTheme and setLocale refuse bad values with a rejected InvalidOption, sending nothing",
  async () => {
    const { planner, posted, from } = embed({});
    from("Ready", { version: 1 });
    await assert.rejects(planner.setTheme({ accent: "blue" }),
      { code: "InvalidOption", message: `theme.accent ${COLOUR}` });
    await assert.rejects(planner.setLocale("de", { currency: "euro" }),
      { code: "InvalidOption", message: "currency must be an ISO 4217 code, like EUR or USD" });
    await assert.rejects(planner.setLocale(undefined, { currency: "EUR" }),
      { code: "InvalidOption", message: "locale must be a language tag, like en, de or en-GB" });
    assert.deepEqual(posted.filter((p) => p.event === "Command"), []);
    planner.destroy();
  });

test('height: "auto" starts at minHeight and follows Resize within the bounds', () => {
  const { planner, from } = embed({ height: "auto", minHeight: 300, maxHeight: 900 });
  assert.equal(planner.iframe.style.height, "300px");
  from("Resize", { height: 640.2 });
  assert.equal(planner.iframe.style.height, "641px", "rounded up: never a scrollbar for 0.2 px");
  from("Resize", { height: 5000 });
  assert.equal(planner.iframe.style.height, "900px");
  from("Resize", { height: 120 });
  assert.equal(planner.iframe.style.height, "300px");
  planner.destroy();
});

test("a number or a CSS length fixes the height; Resize then changes nothing", () => {
  const fixed = embed({ height: 720 });
  assert.equal(fixed.planner.iframe.style.height, "720px");
  fixed.from("Resize", { height: 300 });
  assert.equal(fixed.planner.iframe.style.height, "720px");
  const css = embed({ height: "46rem" });
  assert.equal(css.planner.iframe.style.height, "46rem");
  const unset = embed({});
  assert.equal(unset.planner.iframe.style.height, undefined, "no height: the page's CSS decides");
  for (const { planner } of [fixed, css, unset]) planner.destroy();
});

test("the bounds of the size and load options are accepted", () => {
  assert.deepEqual(sizing({ height: "auto", minHeight: 0, maxHeight: 100_000 }),
    { mode: "auto", min: 0, max: 100_000 });
  assert.deepEqual(sizing({ height: "40.55rem" }), { mode: "fixed", css: "40.55rem" });
  assert.deepEqual(sizing({ height: 0 }), { mode: "fixed", css: "0px" });
  assert.deepEqual(sizing({ height: "auto", minHeight: 500, maxHeight: 500 }),
    { mode: "auto", min: 500, max: 500 });
  assert.equal(checkLoadTimeout(1), 1);
  assert.equal(checkLoadTimeout(600_000), 600_000);
  assert.equal(checkLoadTimeout(undefined), 15_000);
  const { planner } = embed({ loadTimeoutMs: 2000, locale: "de" });
  planner.destroy();
});

test("sizing defaults and the clamp", () => {
  assert.deepEqual(sizing({ height: "auto" }), { mode: "auto", min: 400, max: 100_000 });
  assert.deepEqual(sizing({}), { mode: "fixed", css: null });
  assert.equal(autoHeight({ min: 10, max: 20 }, 15), 15);
  assert.equal(autoHeight({ min: 10, max: 20 }, 20), 20);
  assert.equal(autoHeight({ min: 10, max: 20 }, 10), 10);
});
