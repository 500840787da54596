// @ts-check
/**
 * Cross-tab sessions: when the user logs in or out in one tab, the other tabs of the same site
 * hear of it and each fetches its own token from its own back-end.
 *
 * The channel is a BroadcastChannel, which the browser keeps to one origin (and one storage
 * partition): another site can neither hear nor speak on it. Even so, nothing but the name of
 * what happened ("Login" or "Logout") ever goes on it: a token would outlive the tab that had it,
 * and a tab must always ask its own back-end, whose session cookie is the truth.
 */

/** What may travel on the channel: these strings and nothing else. */
export const SessionEvent = Object.freeze({ Login: "Login", Logout: "Logout" });

/**
 * @typedef {{postMessage(data: unknown): void,
 *   addEventListener(type: "message", listener: (event: {data: unknown}) => void): void,
 *   close(): void}} ChannelLike
 */

/** @param {unknown} data @returns {data is "Login" | "Logout"} */
export function isSessionEvent(data) {
  return data === SessionEvent.Login || data === SessionEvent.Logout;
}

/**
 * The channel's name: one per planner origin, so two planners embedded by one site keep apart.
 * @param {string} plannerOrigin
 */
export function sessionChannelName(plannerOrigin) {
  return `planner-bridge:session:${plannerOrigin}`;
}

export class SessionChannel {
  #closed = false;

  /**
   * @param {{channel: ChannelLike, onChange: (event: "Login" | "Logout") => void}} options
   *   onChange runs when another tab announced a login or logout.
   */
  constructor({ channel, onChange }) {
    this.channel = channel;
    channel.addEventListener("message", (event) => {
      if (!this.#closed && isSessionEvent(event.data)) onChange(event.data);
    });
  }

  /** Tell the other tabs. @param {"Login" | "Logout"} event */
  announce(event) {
    if (!isSessionEvent(event)) throw new TypeError("only Login or Logout go on the channel");
    if (!this.#closed) this.channel.postMessage(event);
  }

  close() {
    this.#closed = true;
    this.channel.close();
  }
}
