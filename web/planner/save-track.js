// @ts-check
/**
 * Whether the server has a design's current state, kept with the design's record (design.js), so
 * a design left for another keeps its own count: every change is a new version, and a save of
 * version v that the server acknowledged means it has everything up to v. Saves may answer out
 * of order; the newest acknowledged wins.
 */
export class SaveTrack {
  version = 0;
  /** How many saves are on their way. */
  saving = 0;
  /** A change the server has not got (set when a save failed or could not be sent). */
  unsaved = false;
  #acknowledged = -1;

  /** @param {boolean} saved  the server has it already (opened from it) */
  constructor(saved) {
    if (saved) this.#acknowledged = 0;
  }

  get upToDate() {
    return this.#acknowledged === this.version;
  }

  /** A change was made. */
  changed() {
    this.version += 1;
  }

  /** A save of the current version starts; returns that version. */
  begin() {
    this.saving += 1;
    return this.version;
  }

  /** @param {number} version */
  acknowledged(version) {
    this.#acknowledged = Math.max(this.#acknowledged, version);
    this.unsaved = !this.upToDate;
  }

  failed() {
    this.unsaved = true;
  }

  end() {
    this.saving -= 1;
  }
}
