// @ts-check
/**
 * Coalesced runs of one piece of work (the planner's listing): one run at a time, and a call made
 * while one runs asks for one more run after it, however many such calls come. Every caller's
 * promise settles once a run that began after its call has finished.
 *
 * The run is marked finished in the same step as its loop's last check, not in a later
 * `.finally()`: in the gap between the two, a call (say, the continuation of a DELETE whose
 * answer the token keeper completed right after the listing's) would find a run still marked as
 * going, ask it for one more turn that it no longer takes, and the deleted row would stay shown.
 */

/**
 * @param {() => Promise<void>} work
 * @returns {() => Promise<void>}
 */
export function coalesced(work) {
  /** @type {Promise<void> | null} */
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await work();
        } while (again);
      } finally {
        running = null; // at once: a call from here on starts a run of its own
      }
    })();
    return running;
  };
}
