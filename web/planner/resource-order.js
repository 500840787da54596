// @ts-check
/**
 * Which earlier web-service calls a new call must wait for before it is sent, so that the server
 * applies the changes to one resource in the order they were made. SPEC: waiting calls "go out in
 * the order they were made, each once"; sending them all at once only orders them on our side,
 * and two PATCHes of one asset in flight together may be applied in reverse (final name "A"
 * instead of "B"). The token keeper asks this module for every call, replays and ordinary
 * operation alike.
 *
 * The rule: PUT, PATCH and DELETE change the resource at their path (the path without its query
 * or fragment), so each is sent only once every earlier call to that path has its final outcome
 * (a 401's replay included). Every other call goes out at once, in call order:
 * - a read is never held (it changes nothing), but a later PUT/PATCH/DELETE of its path waits
 *   for it: a write never overtakes a read its caller made first;
 * - a POST creates a new resource under its path each time (its Idempotency-Key makes a replay
 *   harmless), so two creates cannot overwrite each other; chaining them would turn a burst of
 *   50 creates into 50 round trips one after the other.
 * Reads are not held behind writes: a GET made while a PATCH of the same asset is out may still
 * see the old state, but it completes (keeper order) after the PATCH, and the live channel
 * reports the change.
 */

const ORDERED_METHODS = new Set(["PUT", "PATCH", "DELETE"]);

/** The resource a call addresses: its path without query or fragment.
 * @param {string} path */
export function resourceOf(path) {
  return path.split(/[?#]/, 1)[0];
}

/** @param {string} method  upper case */
export function isOrdered(method) {
  return ORDERED_METHODS.has(method);
}

/** @template T */
export class ResourceOrder {
  /** Per resource, the completions of the calls made to it that have no final outcome yet. */
  /** @type {Map<string, Set<Promise<T>>>} */ #unfinished = new Map();

  /**
   * Note a new call; returns the completions of the earlier calls it must wait for before it is
   * sent (none: send it now).
   * @param {{method: string, path: string}} request  method in upper case
   * @param {Promise<T>} done  settles (never rejects) when the call has its final outcome
   * @returns {Promise<T>[]}
   */
  enter(request, done) {
    const resource = resourceOf(request.path);
    const open = this.#unfinished.get(resource) ?? new Set();
    this.#unfinished.set(resource, open);
    const earlier = isOrdered(request.method) ? [...open] : [];
    open.add(done);
    void done.then(() => this.#leave(resource, open, done));
    return earlier;
  }

  /** How many resources have calls without a final outcome (for tests: nothing leaks). */
  get size() {
    return this.#unfinished.size;
  }

  /** @param {string} resource @param {Set<Promise<T>>} open @param {Promise<T>} done */
  #leave(resource, open, done) {
    open.delete(done);
    if (open.size === 0 && this.#unfinished.get(resource) === open) this.#unfinished.delete(resource);
  }
}
