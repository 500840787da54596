// @ts-check
/**
 * Ready before the rest of the planner is evaluated. app.js imports this module first, so it
 * runs as soon as the module graph is fetched, some tens of milliseconds before the other
 * modules are evaluated and main() builds the page: the host's token travels meanwhile. Its one
 * import-time act is the point of it (host-link.js sayReadyEarly says what it does).
 *
 * Ready carries the DPoP key's thumbprint, so the key is loaded first (dpop-key.js: IndexedDB,
 * or memory; a few milliseconds). Without WebCrypto (a page that is not a secure context) there
 * is no key: Ready then carries no jkt and the host's tokens stay unbound.
 */
import { sayReadyEarly } from "./host-link.js";
import { loadKey } from "./dpop-key.js";

/** @typedef {import("./host-link.js").EarlyReady} EarlyReady */

const config = JSON.parse(document.getElementById("planner-config")?.textContent ?? "{}");

/** The planner's DPoP key for this page's life, or null where WebCrypto is missing. */
export const dpopKey = await loadKey().catch(() => null);

export const early = sayReadyEarly({ window, config, jkt: dpopKey?.jkt ?? null });
