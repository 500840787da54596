// @ts-check
/** Listeners by event name: what the design (and others) tell whoever listens. */
export class Emitter {
  /** @type {Map<string, Set<(value: any) => void>>} */ #listeners = new Map();

  /** @param {string} event @param {(value: any) => void} listener @returns {() => void} unsubscribe */
  on(event, listener) {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  /** @param {string} event @param {unknown} value */
  emit(event, value) {
    for (const listener of this.#listeners.get(event) ?? []) listener(value);
  }
}
