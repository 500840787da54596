// @ts-check
/**
 * Saving: makes sure every change of the design reaches the server, however long that takes. The
 * design sends each change itself, at once (design.js); this module takes over when one fails
 * (server down, network lost): it sends the whole design again (`design.saveOnce()`) by itself
 * with backoff, at once when the browser says it is back online, or when the shopper presses
 * "Retry now"; and it sends a design the server never got (a draft restored, a login). Designs
 * the shopper left for another while their save failed wait in the outbox (outbox.js): each
 * retry sends them first, oldest first, then the open one. Until all have landed the status
 * says "Not saved yet".
 */

/**
 * @typedef {import("../sdk/protocol.js").Design} Design
 * @typedef {{saved: boolean, saveOnce: () => Promise<void>, toJSON: () => Design,
 *   on: (event: "change", handler: (design: Design) => void) => unknown}} SavableDesign
 * @typedef {{now: () => number, setTimeout: (fn: () => void, ms: number) => unknown,
 *   clearTimeout: (handle: unknown) => void}} Clock
 * @typedef {"saved" | "saving" | "failed" | "local"} SaveState
 *   saved: the server has it (or there is nothing to save); saving: a save is on its way;
 *   failed: the last save failed and another is planned at `retryAt`; local: the person cannot
 *   save (not logged in), the design is kept as a draft only.
 * @typedef {{state: SaveState, attempts: number, retryAt: number | null, error: unknown}} SaveStatus
 * @typedef {{has: (person: string) => boolean, flush: (person: string) => Promise<void>}} Waiting
 *   designs left unsaved (outbox.js), per person
 */

/** @type {Waiting} */
const NONE_WAITING = { has: () => false, flush: async () => {} };

/** @type {Clock} */
const REAL_CLOCK = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(/** @type {any} */ (handle)),
};

/** Retries wait 1 s, 2 s, 4 s … up to 30 s, each with up to a fifth more at random, so that
 * shoppers cut off together do not all come back in the same second. */
export const BACKOFF = Object.freeze({ firstMs: 1000, maxMs: 30_000, jitter: 0.2 });

/** How long to wait before retry number `attempt` (1 = after the first failure).
 * @param {number} attempt @param {() => number} random */
export function backoffMs(attempt, random = Math.random) {
  const base = Math.min(BACKOFF.firstMs * 2 ** (attempt - 1), BACKOFF.maxMs);
  return Math.round(base * (1 + BACKOFF.jitter * random()));
}

/** A new design with nothing in it: there is nothing to save. @param {Design} d */
const blank = (d) => d.id === null && d.items.length === 0;

export class Saving {
  /** @type {SaveStatus} */
  status = { state: "saved", attempts: 0, retryAt: null, error: null };
  #running = false;
  /** @type {unknown} */ #timer = null;
  /** @type {Set<(status: SaveStatus) => void>} */ #listeners = new Set();

  /**
   * @param {{design: SavableDesign, canSave: () => boolean, clock?: Clock,
   *   online?: EventTarget | null, random?: () => number, outbox?: Waiting,
   *   person?: () => string}} options
   *   `online`: what fires the browser's `online` event (window); `person`: whose outbox.
   */
  constructor({ design, canSave, clock = REAL_CLOCK, online = null, random = Math.random,
    outbox = NONE_WAITING, person = () => "" }) {
    this.design = design;
    this.canSave = canSave;
    this.outbox = outbox;
    this.person = person;
    this.clock = clock;
    this.random = random;
    design.on("change", (d) => this.#changed(d));
    online?.addEventListener("online", () => this.retryNow());
  }

  /** @param {(status: SaveStatus) => void} listener */
  onStatus(listener) {
    this.#listeners.add(listener);
    listener(this.status);
  }

  /** A save failed (the design's own, after a change): plan the next try. @param {unknown} error */
  failed(error) {
    const attempts = this.status.attempts + 1;
    if (this.#timer === null) {
      const wait = backoffMs(attempts, this.random);
      this.#timer = this.clock.setTimeout(() => { this.#timer = null; void this.saveNow(); }, wait);
      this.#set({ state: "failed", attempts, retryAt: this.clock.now() + wait, error });
    } else {
      this.#set({ ...this.status, attempts, error }); // the planned try stays planned
    }
  }

  /** "Retry now", the browser back online: a planned retry happens at once. */
  retryNow() {
    if (this.status.state === "failed") void this.saveNow();
  }

  /** Send the design now if the server lacks it and the person may save (a restored draft, a
   * login, a retry). One such save at a time; its failure plans the next. */
  async saveNow() {
    if (this.#running || !this.canSave() || (this.#openSaved() && !this.outbox.has(this.person()))) return;
    this.#cancelTimer();
    this.#running = true;
    try {
      await this.outbox.flush(this.person()); // left before the open one was changed
      if (!this.#openSaved()) await this.design.saveOnce();
    } catch (error) {
      this.#running = false;
      this.failed(error);
      return;
    }
    this.#running = false;
    // Changed, or another design left, while it went, and not sent since: again.
    if (!this.#openSaved() || this.outbox.has(this.person())) void this.saveNow();
    else this.#changed(this.design.toJSON());
  }

  /** Whether the open design needs no save. */
  #openSaved() {
    return this.design.saved || blank(this.design.toJSON());
  }

  /** @param {Design} d */
  #changed(d) {
    if ((this.design.saved || blank(d)) && !this.outbox.has(this.person())) {
      this.#cancelTimer();
      this.#set({ state: "saved", attempts: 0, retryAt: null, error: null });
    } else if (!this.canSave()) {
      this.#set({ ...this.status, state: "local", retryAt: null });
    } else if (this.status.state !== "failed") {
      this.#set({ ...this.status, state: "saving" }); // the design's own save is on its way
    }
  }

  #cancelTimer() {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** @param {SaveStatus} status */
  #set(status) {
    const same = Object.entries(status).every(([k, v]) => this.status[/** @type {keyof SaveStatus} */ (k)] === v);
    this.status = status;
    if (!same || this.#listeners.size === 0) for (const listener of this.#listeners) listener(status);
  }
}
