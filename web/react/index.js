// @ts-check
/**
 * @planner-bridge/react: the planner as a React component, a thin shell over the host SDK.
 *
 *   const planner = usePlanner();
 *   <Planner ref={planner} plannerUrl={url} fetchToken={fetchToken} height="auto"
 *     onEvent={(event) => event.name === "AddToCart" && basket.add(event.content.lines)} />
 *   await planner.current?.addItem("base-600");
 *
 * One embedding per mount: created when the component mounts (or its plannerUrl changes) and
 * destroyed when it unmounts. Later changes of theme, locale or currency are sent as commands;
 * the other options count at mount. fetchToken and onEvent may change freely (the latest is
 * called). Plain ES module, no JSX: it runs without a build step.
 */
import { createElement, forwardRef, useEffect, useImperativeHandle, useRef } from "react";
import { PlannerBridgeError, embedPlanner } from "@planner-bridge/sdk";
import { CommandName, PlannerEvent } from "@planner-bridge/sdk/protocol";

/** @typedef {import("@planner-bridge/sdk").EmbeddedPlanner} EmbeddedPlanner */
/** @typedef {Record<string, any>} PlannerProps  index.d.ts spells them out */

const EVENTS = [...Object.values(PlannerEvent), "error"];

/**
 * The handle's methods call the live embedding; between unmount and the next mount there is
 * none, and a call rejects with Destroyed as the SDK's own would after destroy().
 * @param {{current: EmbeddedPlanner | null}} live
 */
function handleOf(live) {
  const gone = () => Promise.reject(new PlannerBridgeError("Destroyed", "the planner was removed"));
  /** @param {string} name */
  const call = (name) => (/** @type {any[]} */ ...args) =>
    live.current ? /** @type {any} */ (live.current)[name](...args) : gone();
  const methods = Object.fromEntries(Object.values(CommandName).map((name) => [name, call(name)]));
  return Object.freeze({
    ...methods,
    login: call("login"),
    logout: call("logout"),
    get ready() { return live.current ? live.current.ready : gone(); },
    get iframe() { return live.current?.iframe ?? null; },
  });
}

/**
 * Send theme or locale again when it changed after mount (what the embedding got at mount
 * is sent by the SDK itself).
 * @param {{current: EmbeddedPlanner | null}} live @param {PlannerProps} props
 */
function useLookCommands(live, { theme, locale, currency }) {
  const sent = useRef({ theme: JSON.stringify(theme ?? null), locale: `${locale}|${currency}` });
  const themeKey = JSON.stringify(theme ?? null);
  const localeKey = `${locale}|${currency}`;
  useEffect(() => {
    if (themeKey === sent.current.theme || !live.current || !theme) return;
    sent.current.theme = themeKey;
    live.current.setTheme(theme).catch(() => {}); // a refused theme is the `error` event's
  }, [themeKey]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (localeKey === sent.current.locale || !live.current || !locale) return;
    sent.current.locale = localeKey;
    live.current.setLocale(locale, currency ? { currency } : {}).catch(() => {});
  }, [localeKey]); // eslint-disable-line react-hooks/exhaustive-deps
}

/** @param {PlannerProps} props @param {import("react").ForwardedRef<any>} ref */
function PlannerComponent(props, ref) {
  const container = useRef(/** @type {HTMLDivElement | null} */ (null));
  const live = useRef(/** @type {EmbeddedPlanner | null} */ (null));
  const latest = useRef(props);
  latest.current = props;
  useImperativeHandle(ref, () => handleOf(live), []);
  useEffect(() => {
    const { plannerUrl, height, minHeight, maxHeight, theme, locale, currency, title,
      loadTimeoutMs, answerDeadlineMs, crossTab } = latest.current;
    const embedded = embedPlanner(/** @type {any} */ ({
      container: /** @type {HTMLDivElement} */ (container.current), plannerUrl,
      fetchToken: (/** @type {any} */ request) => latest.current.fetchToken(request),
      height, minHeight, maxHeight, theme, locale, currency, title, loadTimeoutMs,
      answerDeadlineMs, crossTab,
    }));
    live.current = embedded;
    const stops = EVENTS.map((name) => embedded.on(/** @type {any} */ (name),
      (/** @type {any} */ content) => latest.current.onEvent?.(/** @type {any} */ ({ name, content }))));
    return () => {
      for (const stop of stops) stop();
      embedded.destroy();
      if (live.current === embedded) live.current = null;
    };
  }, [props.plannerUrl]);
  useLookCommands(live, props);
  return createElement("div", { ref: container, className: props.className, style: props.style });
}

export const Planner = forwardRef(PlannerComponent);

/** The ref to give `<Planner ref={...} />`: `.current` is the handle with the commands. */
export function usePlanner() {
  return useRef(null);
}
