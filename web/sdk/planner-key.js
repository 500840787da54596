// @ts-check
/**
 * What the host knows of the planner's DPoP key (SPEC "Sender-constrained tokens"): the
 * thumbprint (`jkt`) the planner named last, in its Ready or TokenExpired, and kept from one page
 * load to the next (`JktMemory`) so that the prefetch can ask for a token bound to it before the
 * planner speaks. Until a planner never heard from here names its key, the key is unknown: a
 * token fetched then would be bound to no key, which an entity that requires DPoP refuses.
 */

/**
 * @typedef {{get: () => string | undefined | null, set: (jkt: string | undefined) => void}} JktMemory
 *   get: the jkt, undefined for a planner that has no key, null when the planner is unknown
 */

export class PlannerKey {
  /** @type {string | undefined} the thumbprint, undefined for a planner without a key */ jkt;
  /** @type {boolean} whether the key is known (the constructor sets it) */ known;
  /** @type {() => void} */ #heard = () => {};
  #heardNow = new Promise((resolve) => { this.#heard = () => resolve(undefined); });
  /** @type {JktMemory} */ #memory;

  /** @param {JktMemory} memory */
  constructor(memory) {
    this.#memory = memory;
    const remembered = memory.get();
    this.known = remembered !== null;
    this.jkt = remembered ?? undefined;
    if (this.known) this.#heard();
  }

  /** The planner named its key (none: a planner without a key). @param {unknown} jkt */
  named(jkt) {
    this.jkt = typeof jkt === "string" ? jkt : undefined;
    this.known = true;
    this.#heard();
    this.#memory.set(this.jkt);
  }

  /** Resolves once the key is known, or settles as `orElse` does (the planner never loaded).
   * @param {Promise<unknown>} orElse */
  whenKnown(orElse) {
    return Promise.race([this.#heardNow, orElse]);
  }
}
