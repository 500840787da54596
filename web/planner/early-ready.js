// @ts-check
/**
 * Ready before the rest of the planner is evaluated. app.js imports this module first, so it
 * runs as soon as the module graph is fetched, some tens of milliseconds before the other
 * modules are evaluated and main() builds the page: the host's token travels meanwhile. Its one
 * import-time act is the point of it (host-link.js sayReadyEarly says what it does).
 */
import { sayReadyEarly } from "./host-link.js";

/** @typedef {import("./host-link.js").EarlyReady} EarlyReady */

const config = JSON.parse(document.getElementById("planner-config")?.textContent ?? "{}");

export const early = sayReadyEarly({ window, config });
