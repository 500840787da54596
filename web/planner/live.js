// @ts-check
/**
 * The live channel: a WebSocket to /v1/live that tells the planner when an asset it may see
 * changed. The token goes in the first message, never in the URL. When the service says the
 * token is over ({"type": "token_expired"} or close 4401), the keeper learns it (one ask per
 * episode, shared with the waiting calls) and the channel reconnects with the next token.
 * Other closes reconnect after a growing pause.
 *
 * A token bound to the planner's key goes with a DPoP proof in the same message (`dpop`: `GET`
 * on the live URL as http(s)). When the service wants a nonce it answers
 * {"type": "use_dpop_nonce", "nonce"} and waits for one more `auth`: it gets exactly one, with a
 * proof carrying that nonce; the nonce is not a token failure and starts no TokenExpired.
 */

const TOKEN_REFUSED = 4401;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/**
 * @typedef {{send: (text: string) => void, close: (code?: number) => void,
 *   onopen: any, onmessage: any, onclose: any}} SocketLike
 */

export class LiveChannel {
  /** @type {SocketLike | null} */ #socket = null;
  #retryMs = FIRST_RETRY_MS;
  #stopped = false;
  #generation = 0;

  /**
   * @param {{url: string, keeper: {whenToken: () => Promise<string>,
   *   tokenRejected: (token: string) => void},
   *   openSocket?: (url: string) => SocketLike, onChange: (asset: any) => void,
   *   onStatus?: (status: "connecting" | "live" | "offline") => void,
   *   setTimer?: (fn: () => void, ms: number) => unknown,
   *   proofs?: import("./dpop-proof.js").ProofMaker | null}} options
   */
  constructor(options) {
    this.url = options.url;
    this.keeper = options.keeper;
    this.openSocket = options.openSocket ?? ((url) => /** @type {any} */ (new WebSocket(url)));
    this.onChange = options.onChange;
    this.onStatus = options.onStatus ?? (() => {});
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.proofs = options.proofs ?? null;
  }

  start() {
    this.#stopped = false;
    void this.#connect(++this.#generation);
  }

  /** Connect again now, with the current token (the identity changed). */
  restart() {
    const old = this.#socket;
    this.#socket = null;
    old?.close(1000);
    this.start();
  }

  stop() {
    this.#stopped = true;
    this.#generation += 1;
    this.#socket?.close(1000);
    this.#socket = null;
  }

  /** @param {number} generation */
  async #connect(generation) {
    this.onStatus("connecting");
    const token = await this.keeper.whenToken();
    const first = await this.#auth(token);
    if (this.#stopped || generation !== this.#generation) return;
    const socket = this.openSocket(this.url);
    this.#socket = socket;
    let refused = false;
    let authenticated = false;
    let nonceRetried = false;
    socket.onopen = () => socket.send(first);
    socket.onmessage = (/** @type {{data: unknown}} */ event) => {
      const pushed = parse(event.data);
      if (pushed?.type === "authenticated") {
        authenticated = true;
        this.#live();
      }
      if (pushed?.type === "asset.changed" && pushed.asset) this.onChange(pushed.asset);
      if (pushed?.type === "token_expired") refused = true;
      if (pushed?.type === "use_dpop_nonce" && !nonceRetried && typeof pushed.nonce === "string") {
        nonceRetried = true;
        this.proofs?.noteNonce(this.url, pushed.nonce);
        void this.#auth(token).then((again) => { if (socket === this.#socket) socket.send(again); });
      }
    };
    socket.onclose = (/** @type {{code: number}} */ event) => {
      if (socket !== this.#socket) return; // replaced by restart()
      this.#socket = null;
      this.onStatus("offline");
      if (refused || event.code === TOKEN_REFUSED) this.keeper.tokenRejected(token);
      // A token refused at once may be refused again: pause, so no loop hammers the host.
      if (authenticated && (refused || event.code === TOKEN_REFUSED)) void this.#connect(generation);
      else this.#retryLater(generation);
    };
  }

  /** The `auth` message: the token, and a fresh proof when the token is bound to our key.
   * @param {string} token @returns {Promise<string>} */
  async #auth(token) {
    if (!this.proofs?.binds(token)) return JSON.stringify({ type: "auth", token });
    const dpop = await this.proofs.proof({ method: "GET", url: this.url, token });
    return JSON.stringify({ type: "auth", token, dpop });
  }

  #live() {
    this.#retryMs = FIRST_RETRY_MS;
    this.onStatus("live");
  }

  /** @param {number} generation */
  #retryLater(generation) {
    const pause = this.#retryMs;
    this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
    this.setTimer(() => {
      if (!this.#stopped && generation === this.#generation) void this.#connect(generation);
    }, pause);
  }
}

/** @param {unknown} data */
function parse(data) {
  if (typeof data !== "string") return null;
  try {
    const value = JSON.parse(data);
    return typeof value === "object" && value !== null ? value : null;
  } catch {
    return null;
  }
}
