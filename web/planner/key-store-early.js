// @ts-check
/**
 * Opens the planner's key store (dpop-key.js) while the page is still being parsed.
 *
 * Ready carries the DPoP key's thumbprint, so Ready waits for the key, and the key for IndexedDB,
 * whose opening takes a good part of a warm embed. This is a classic script, not a module: the
 * parser runs it the moment it reaches it, some tens of milliseconds before the planner's
 * modules are loaded and evaluated, so the opening runs meanwhile. dpop-key.js takes it over
 * (`plannerKeyStore`: a promise of the open database); where it is missing (a page without this
 * script, a test) or refused, dpop-key.js opens the store itself or keeps the key in memory.
 * The database's name, version and upgrade are dpop-key.js's (`KEY_STORE`): the node tests check
 * that both say the same.
 */
(() => {
  "use strict";
  /** @type {IDBOpenDBRequest} */
  let opening;
  try {
    opening = indexedDB.open("planner-dpop", 1);
  } catch {
    return; // no IndexedDB at all (an opaque origin): dpop-key.js keeps the key in memory
  }
  opening.onupgradeneeded = () => { opening.result.createObjectStore("keys"); };
  /** @type {Promise<IDBDatabase>} */
  const opened = new Promise((resolve, reject) => {
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  opened.catch(() => {}); // refused: dpop-key.js falls back, no unhandled rejection meanwhile
  Object.defineProperty(window, "plannerKeyStore", { value: opened });
})();
