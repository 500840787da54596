// @ts-check
/**
 * Undo and redo as two stacks of whole states (a design is small: a snapshot is cheaper to reason
 * about than inverse operations). A new change clears what could be redone.
 * @template T
 */
export class UndoHistory {
  /** @type {T[]} */ #past = [];
  /** @type {T[]} */ #future = [];

  /** @param {number} [limit]  how many steps back a person can go */
  constructor(limit = 200) {
    this.limit = limit;
  }

  get canUndo() { return this.#past.length > 0; }
  get canRedo() { return this.#future.length > 0; }

  /** The state before a change. @param {T} before */
  push(before) {
    this.#past.push(before);
    if (this.#past.length > this.limit) this.#past.shift();
    this.#future = [];
  }

  /** The state to go back to, given the current one; null when there is none. @param {T} current */
  undo(current) {
    const previous = this.#past.pop();
    if (previous === undefined) return null;
    this.#future.push(current);
    return previous;
  }

  /** The state to go forward to; null when there is none. @param {T} current */
  redo(current) {
    const next = this.#future.pop();
    if (next === undefined) return null;
    this.#past.push(current);
    return next;
  }

  clear() {
    this.#past = [];
    this.#future = [];
  }
}

/**
 * The items an undo or redo took away and brought back (the host hears them as removed and added).
 * @template {{id: string}} I @param {I[]} before @param {I[]} after
 * @returns {{removed: I[], added: I[]}}
 */
export function addedAndRemoved(before, after) {
  const ids = (/** @type {I[]} */ items) => new Set(items.map((i) => i.id));
  const [was, now] = [ids(before), ids(after)];
  return { removed: before.filter((i) => !now.has(i.id)), added: after.filter((i) => !was.has(i.id)) };
}
