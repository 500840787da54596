// @ts-check
/**
 * Tells the host how tall the planner's content is (`Resize {height}`, CSS pixels, rounded up),
 * so that an embedding with `height: "auto"` sizes its iframe to it and shows no scrollbar of its
 * own. Only changes are posted, at most once per animation frame.
 */
import { PlannerEvent } from "../sdk/protocol.js";

/**
 * @param {{post: (event: string, content: Record<string, unknown>) => void,
 *   measure: () => number,
 *   observe: (onChange: () => void) => void,
 *   nextFrame?: (fn: () => void) => void}} options
 *   measure: the content's height; observe: calls onChange whenever it may have changed
 */
export function reportSize({ post, measure, observe, nextFrame = (fn) => fn() }) {
  let last = 0; // a page of no height (hidden) is never posted: the guard refuses height 0
  let pending = false;
  const send = () => {
    pending = false;
    const height = Math.ceil(measure());
    if (height === last) return;
    last = height;
    post(PlannerEvent.Resize, { height });
  };
  observe(() => {
    if (pending) return;
    pending = true;
    nextFrame(send);
  });
  send();
}

/**
 * The page's own: the document's height, watched with a ResizeObserver on the body (the
 * document element's box is the iframe's viewport, which follows the host, not the content).
 * @param {(event: string, content: Record<string, unknown>) => void} post
 */
export function reportPageSize(post) {
  const body = document.body;
  reportSize({
    post,
    measure: () => body.getBoundingClientRect().height + bodyMargins(body),
    observe: (onChange) => new ResizeObserver(onChange).observe(body),
    nextFrame: (fn) => requestAnimationFrame(() => fn()),
  });
}

/** @param {HTMLElement} body */
function bodyMargins(body) {
  const style = getComputedStyle(body);
  return parseFloat(style.marginTop) + parseFloat(style.marginBottom);
}
