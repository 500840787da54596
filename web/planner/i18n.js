// @ts-check
/**
 * The planner's words in English and German, and prices for the locale and the shop's currency
 * (Intl.NumberFormat). Static text in index.html carries `data-i18n="key"` (text) or
 * `data-i18n-label="key"` (aria-label); everything drawn later asks `t()`.
 */

/** @type {Record<string, Record<string, string>>} */
const WORDS = {
  en: {
    title: "Room planner", connecting: "Connecting to the shop…", browsing: "Browsing the catalog of",
    loggedInAs: "Logged in as", waiting: "Reconnecting to the shop: your changes will be saved in a moment.",
    close: "Close planner", dismiss: "Dismiss", catalog: "Catalog", room: "Your room",
    designName: "Design name", logInToSave: "Log in to save", saveToAccount: "Save to my account",
    planHelp: "Drag an item to move it, or select it and use the arrow keys (Shift for small steps), R to turn it and Delete to remove it. Ctrl+Z undoes, Ctrl+Shift+Z redoes.",
    selectedItem: "Selected item", nothingSelected: "Nothing selected", turn: "Turn", remove: "Remove",
    undo: "Undo", redo: "Redo", roomWidth: "Width (mm)", roomDepth: "Depth (mm)",
    setRoom: "Resize", partsList: "Parts list", itemsEmpty: "Add items from the catalog to start planning.",
    part: "Item", quantity: "Qty", unitPrice: "Unit price", lineTotal: "Price", total: "Total",
    addToCart: "Add to cart", addedToCart: "The parts list was sent to the shop's basket.",
    myDesigns: "My designs", newDesign: "New design", create: "Create", open: "Open", rename: "Rename",
    delete: "Delete", save: "Save", cancel: "Cancel", noDesigns: "You have no saved designs yet.",
    writeHint: "Log in on the shop's page to save your designs.",
    notSavedLogIn: "This design is not saved: log in to save it.", saving: "Saving…",
    notSaved: "Not saved yet.", allSaved: "All changes saved.", addToRoom: "Add to room",
    addNamed: "Add {name} to the room", removeNamed: "Remove {name} from the room",
    openNamed: "Open {name}", renameNamed: "Rename {name}", deleteNamed: "Delete {name}",
    newNameFor: "New name for {name}", noSpace: "There is no free space left in the room for {name}.",
    noMove: "{name} cannot go there: it would overlap another item.",
    noTurn: "{name} cannot turn there: it would overlap another item.",
    logInNotice: "Log in on the shop's page to save your design to your account.",
    itemAt: "{name}, {x} mm from the left wall, {y} mm from the back wall",
    turned: ", turned {rotation}°", onWall: ", on the wall at {elevation} mm",
    roomSize: "Room {width} × {depth} mm", plan: "Room plan", mm: "{value} mm",
    wallUnit: "wall unit", planTab: "Plan", inRoom: "Items in this room",
    confirmDelete: "Delete the design “{name}”? This cannot be undone.",
    group_base: "Base units", group_tall: "Tall units", group_appliances: "Appliances",
    group_worktops: "Worktops", group_wall: "Wall units",
    retryNow: "Retry now", show3d: "Show the room in 3D", view3d: "3D view of your room",
    view3dCanvas: "Your room in 3D: drag to look around",
    noWebGL: "The 3D view needs WebGL, which this browser does not offer: the plan shows the same room.",
    no3d: "The 3D view could not be loaded. Try again.",
  },
  de: {
    title: "Raumplaner", connecting: "Verbindung zum Shop…", browsing: "Katalog von",
    loggedInAs: "Angemeldet als", waiting: "Verbindung zum Shop wird wiederhergestellt: Ihre Änderungen werden gleich gespeichert.",
    close: "Planer schließen", dismiss: "Schließen", catalog: "Katalog", room: "Ihr Raum",
    designName: "Name des Entwurfs", logInToSave: "Zum Speichern anmelden", saveToAccount: "In meinem Konto speichern",
    planHelp: "Ziehen Sie ein Element, um es zu verschieben, oder wählen Sie es aus und nutzen Sie die Pfeiltasten (Umschalt für kleine Schritte), R zum Drehen und Entf zum Entfernen. Strg+Z macht rückgängig, Strg+Umschalt+Z stellt wieder her.",
    selectedItem: "Ausgewähltes Element", nothingSelected: "Nichts ausgewählt", turn: "Drehen", remove: "Entfernen",
    undo: "Rückgängig", redo: "Wiederholen", roomWidth: "Breite (mm)", roomDepth: "Tiefe (mm)",
    setRoom: "Ändern", partsList: "Stückliste", itemsEmpty: "Fügen Sie Elemente aus dem Katalog hinzu, um zu planen.",
    part: "Artikel", quantity: "Menge", unitPrice: "Stückpreis", lineTotal: "Preis", total: "Summe",
    addToCart: "In den Warenkorb", addedToCart: "Die Stückliste wurde an den Warenkorb des Shops geschickt.",
    myDesigns: "Meine Entwürfe", newDesign: "Neuer Entwurf", create: "Anlegen", open: "Öffnen", rename: "Umbenennen",
    delete: "Löschen", save: "Speichern", cancel: "Abbrechen", noDesigns: "Sie haben noch keine gespeicherten Entwürfe.",
    writeHint: "Melden Sie sich auf der Seite des Shops an, um Ihre Entwürfe zu speichern.",
    notSavedLogIn: "Dieser Entwurf ist nicht gespeichert: melden Sie sich an, um ihn zu speichern.", saving: "Wird gespeichert…",
    notSaved: "Noch nicht gespeichert.", allSaved: "Alle Änderungen gespeichert.", addToRoom: "In den Raum",
    addNamed: "{name} in den Raum stellen", removeNamed: "{name} aus dem Raum entfernen",
    openNamed: "{name} öffnen", renameNamed: "{name} umbenennen", deleteNamed: "{name} löschen",
    newNameFor: "Neuer Name für {name}", noSpace: "Im Raum ist kein freier Platz mehr für {name}.",
    noMove: "{name} kann dort nicht stehen: es würde ein anderes Element überlappen.",
    noTurn: "{name} kann dort nicht gedreht werden: es würde ein anderes Element überlappen.",
    logInNotice: "Melden Sie sich auf der Seite des Shops an, um Ihren Entwurf in Ihrem Konto zu speichern.",
    itemAt: "{name}, {x} mm von der linken Wand, {y} mm von der Rückwand",
    turned: ", um {rotation}° gedreht", onWall: ", an der Wand auf {elevation} mm",
    roomSize: "Raum {width} × {depth} mm", plan: "Raumplan", mm: "{value} mm",
    wallUnit: "Hängeschrank", planTab: "Plan", inRoom: "Elemente in diesem Raum",
    confirmDelete: "Den Entwurf „{name}“ löschen? Das lässt sich nicht rückgängig machen.",
    group_base: "Unterschränke", group_tall: "Hochschränke", group_appliances: "Geräte",
    group_worktops: "Arbeitsplatten", group_wall: "Hängeschränke",
    retryNow: "Jetzt erneut versuchen", show3d: "Den Raum in 3D zeigen", view3d: "3D-Ansicht Ihres Raums",
    view3dCanvas: "Ihr Raum in 3D: ziehen, um sich umzusehen",
    noWebGL: "Die 3D-Ansicht braucht WebGL, das dieser Browser nicht bietet: der Plan zeigt denselben Raum.",
    no3d: "Die 3D-Ansicht konnte nicht geladen werden. Bitte erneut versuchen.",
  },
};

export const LANGUAGES = Object.freeze(Object.keys(WORDS));

/** The language of a BCP 47 tag when the planner speaks it, else null. @param {unknown} tag */
export function languageOf(tag) {
  if (typeof tag !== "string" || tag.length > 35) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    const language = canonical.split("-")[0];
    return Object.hasOwn(WORDS, language) ? language : null;
  } catch {
    return null;
  }
}

/** Whether Intl knows the currency code (ISO 4217). @param {unknown} code */
export function isCurrency(code) {
  if (typeof code !== "string" || !/^[A-Z]{3}$/.test(code)) return false;
  try {
    new Intl.NumberFormat("en", { style: "currency", currency: code });
    return true;
  } catch {
    return false;
  }
}

export class Locale {
  tag = "en";
  language = "en";
  currency = "EUR";
  /** @type {Set<() => void>} */ #listeners = new Set();

  /** Switch language (and currency); false when either is not one the planner knows.
   * @param {string} tag @param {string} [currency] */
  set(tag, currency = this.currency) {
    const language = languageOf(tag);
    if (!language || !isCurrency(currency)) return false;
    this.tag = Intl.getCanonicalLocales(tag)[0];
    this.language = language;
    this.currency = currency;
    for (const listener of this.#listeners) listener();
    return true;
  }

  /** @param {() => void} listener */
  onChange(listener) {
    this.#listeners.add(listener);
  }

  /** @param {string} key @param {Record<string, string | number>} [vars] */
  t(key, vars = {}) {
    const text = WORDS[this.language][key] ?? WORDS.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  }

  /** @param {number} amount */
  price(amount) {
    return new Intl.NumberFormat(this.tag, { style: "currency", currency: this.currency }).format(amount);
  }

  /** @param {number} value */
  number(value) {
    return new Intl.NumberFormat(this.tag).format(value);
  }

  /** Put the words into the page's static text. @param {ParentNode} root */
  translate(root) {
    for (const node of root.querySelectorAll("[data-i18n]")) {
      node.textContent = this.t(/** @type {HTMLElement} */ (node).dataset.i18n ?? "");
    }
    for (const node of root.querySelectorAll("[data-i18n-label]")) {
      node.setAttribute("aria-label", this.t(/** @type {HTMLElement} */ (node).dataset.i18nLabel ?? ""));
    }
  }
}
