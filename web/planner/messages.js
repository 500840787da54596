// @ts-check
/**
 * What end users read: every error the planner can meet, as a sentence. Codes stay out of sight
 * (in `data-code`, for tests and support); the person sees what happened and what to do.
 */

/** @type {Record<string, string>} */
const SENTENCES = {
  TokenRefreshTimeout: "The shop did not confirm your session in time, so your last change was " +
    "not saved. Please try again.",
  IdentityChanged: "You were signed out or switched accounts, so your last change was not saved.",
  insufficient_scope: "Log in on the shop's page to save changes.",
  invalid_token: "Your session with the shop has ended. Please reload the page.",
  not_found: "That design no longer exists. It may have been deleted elsewhere.",
  NetworkTimeout: "The planner could not reach its server. Please check your connection and " +
    "try again.",
  NetworkError: "The planner could not reach its server. Please check your connection and " +
    "try again.",
  NotEmbedded: "Open the planner from a shop's page to use it.",
  UnexpectedMessage: "The shop's page sent something the planner did not understand. " +
    "Reloading the page may help.",
  invalid_request: "The planner could not save that. Please check the name and try again.",
  temporarily_unavailable: "The planner's server is busy. Please try again in a moment.",
};

const FALLBACK = "Something went wrong, and your last change may not have been saved. " +
  "Please try again.";

/** The sentence for an error code. @param {string} code */
export function sentenceFor(code) {
  return Object.hasOwn(SENTENCES, code) ? SENTENCES[code] : FALLBACK;
}

/** Errors that only mean "no token right now": gone as soon as a token works again. */
export const SESSION_ERRORS = new Set(["TokenRefreshTimeout", "invalid_token"]);
