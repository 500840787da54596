// @ts-check
/**
 * What end users read: every error the planner can meet, as a sentence. Codes stay out of sight
 * (in `data-code`, for tests and support); the person sees what happened and what to do.
 */

/** @type {Record<string, string>} */
const SENTENCES = {
  TokenRefreshTimeout: "The shop did not confirm your session in time, so your last change was " +
    "not saved. Please try again.",
  IdentityChanged: "You were logged out or switched accounts, so your last change was not saved.",
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

/** The same, in German. @type {Record<string, string>} */
const SÄTZE = {
  TokenRefreshTimeout: "Der Shop hat Ihre Sitzung nicht rechtzeitig bestätigt, daher wurde Ihre " +
    "letzte Änderung nicht gespeichert. Bitte versuchen Sie es erneut.",
  IdentityChanged: "Sie wurden abgemeldet oder haben das Konto gewechselt, daher wurde Ihre " +
    "letzte Änderung nicht gespeichert.",
  insufficient_scope: "Melden Sie sich auf der Seite des Shops an, um Änderungen zu speichern.",
  invalid_token: "Ihre Sitzung beim Shop ist abgelaufen. Bitte laden Sie die Seite neu.",
  not_found: "Diesen Entwurf gibt es nicht mehr. Er wurde vielleicht anderswo gelöscht.",
  NetworkTimeout: "Der Planer erreicht seinen Server nicht. Bitte prüfen Sie Ihre Verbindung " +
    "und versuchen Sie es erneut.",
  NetworkError: "Der Planer erreicht seinen Server nicht. Bitte prüfen Sie Ihre Verbindung " +
    "und versuchen Sie es erneut.",
  NotEmbedded: "Öffnen Sie den Planer über die Seite eines Shops, um ihn zu nutzen.",
  UnexpectedMessage: "Die Seite des Shops hat etwas geschickt, das der Planer nicht versteht. " +
    "Ein Neuladen der Seite kann helfen.",
  invalid_request: "Der Planer konnte das nicht speichern. Bitte prüfen Sie den Namen und " +
    "versuchen Sie es erneut.",
  temporarily_unavailable: "Der Server des Planers ist ausgelastet. Bitte versuchen Sie es " +
    "gleich noch einmal.",
};
const RÜCKFALL = "Etwas ist schiefgegangen, und Ihre letzte Änderung wurde vielleicht nicht " +
  "gespeichert. Bitte versuchen Sie es erneut.";

/** The sentence for an error code, in English ("en") or German ("de").
 * @param {string} code @param {string} [language] */
export function sentenceFor(code, language = "en") {
  const [sentences, fallback] = language === "de" ? [SÄTZE, RÜCKFALL] : [SENTENCES, FALLBACK];
  return Object.hasOwn(sentences, code) ? sentences[code] : fallback;
}

/** Errors that only mean "no token right now": gone as soon as a token works again. */
export const SESSION_ERRORS = new Set(["TokenRefreshTimeout", "invalid_token"]);
