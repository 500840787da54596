// @ts-check
/**
 * Nothing a shopper did is lost: wires drafts (drafts.js), saving (saving.js, save-bar.js) and the
 * 3D view (view3d.js, which follows the same design) to the design and to who is using the
 * planner. The draft's key follows the person: `entity/anonymous` until a login, then the
 * person's own, with the anonymous draft carried into it (also when the shop's login reloads the
 * page). A draft is restored only into a blank design, and written only once that is settled, so
 * a fresh page never overwrites the draft it is about to restore. A design left with unsaved
 * changes (another one opened meanwhile) goes to the outbox (outbox.js), kept per person.
 */
import { Drafts, draftKey } from "./drafts.js";
import { Outbox } from "./outbox.js";
import { SaveBar } from "./save-bar.js";
import { Saving } from "./saving.js";
import { View3D } from "./view3d.js";
import { part } from "./dom.js";

/**
 * @typedef {import("../sdk/protocol.js").Design} DesignJSON
 * @typedef {{kind: string, user?: {id: string}}} Identity
 * @typedef {import("./design-sender.js").SentRecord} SentRecord
 * @typedef {import("./design-sender.js").DesignFields} DesignFields
 * @typedef {{saved: boolean, saveOnce: () => Promise<void>, toJSON: () => DesignJSON,
 *   restore: (like: DesignJSON) => void, on: (event: string, fn: (d: any) => void) => unknown,
 *   sender: {send: (r: SentRecord, f: DesignFields) => Promise<unknown>},
 *   takePending: (id: string) => DesignJSON | null}} Design
 */

/** @param {DesignJSON} d */
const blank = (d) => d.id === null && d.items.length === 0;

/** Who the planner works for, as a draft key's person: null before any token, "" anonymous.
 * @param {Identity | null} identity */
function personOf(identity) {
  if (!identity) return null;
  return identity.kind === "user" && identity.user ? identity.user.id : "";
}

/**
 * @param {{design: Design, entity: string, identity: () => Identity | null,
 *   onIdentity: (fn: () => void) => void, t: (key: string) => string, drafts?: Drafts}} options
 *   `onIdentity`: called whenever the keeper's state changes (it may or may not be a new person);
 *   `t`: the page's words (i18n.js).
 */
export function keepEverything({ design, entity, identity, onIdentity, t, drafts = new Drafts() }) {
  const canSave = () => Boolean(personOf(identity()));
  /** @type {string | null | undefined} */ let person;
  const outbox = new Outbox({ drafts, entity, send: (record, fields) => design.sender.send(record, fields) });
  const saving = new Saving({ design, canSave, online: window, outbox, person: () => person ?? "" });
  const bar = new SaveBar({ status: part("save-status"), retry: () => saving.retryNow(), t,
    design: () => design.toJSON() });
  const view3d = new View3D({ t });
  view3d.mount(part("room-plan"));

  /** @type {string | null} the key drafts are written to; null while not settled */
  let key = null;

  const keep = (/** @type {DesignJSON} */ d) => {
    if (key === null) return;
    if (design.saved || blank(d)) void drafts.delete(key);
    else void drafts.put(key, d);
  };

  /** The person changed (or became known): settle the key, restoring or carrying the draft. */
  const settle = async (/** @type {string} */ now) => {
    key = null;
    const draft = now ? await drafts.carry(entity, now) : await drafts.get(draftKey(entity, null));
    if (person !== now) return; // someone else again meanwhile: that settle wins
    if (draft && blank(design.toJSON())) design.restore(draft.design);
    if (now) await outbox.carry(now);
    await outbox.restore(now);
    if (person !== now) return;
    key = draftKey(entity, now || null);
    keep(design.toJSON());
    void saving.saveNow(); // a restored or carried design the server has not got yet
  };

  onIdentity(() => {
    const now = personOf(identity());
    if (now === null || now === person) return;
    person = now;
    void settle(now);
  });
  // Tagged with the person whose design it was: "identity" (a new person) arrives before the
  // keeper's "change" that moves `person` on.
  design.on("left", (left) => {
    void outbox.add(person ?? "", left);
    void saving.saveNow();
  });
  design.on("change", (d) => {
    keep(d);
    bar.show(saving.status);
    view3d.update(d);
  });
  saving.onStatus((status) => bar.show(status));
  view3d.update(design.toJSON());
  // A design opened while the outbox holds its unsaved version opens as that version (the
  // shopper's own changes, not the server's older copy), and is sent.
  design.takePending = (id) => outbox.take(person ?? "", id);
  design.on("opened", (d) => { if (!d.saved && d.id !== null) void saving.saveNow(); });
  return { drafts, saving, view3d, outbox };
}
