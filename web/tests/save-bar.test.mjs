// The save status line has one writer (save-bar.js): its sentence follows saving's state alone,
// so "Not saved yet." stays while a failed save waits, whatever design is open meanwhile.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Locale } from "../planner/i18n.js";
import { sentenceKey } from "../planner/save-bar.js";

const opened = { id: "b", items: [] };
const fresh = { id: null, items: [] };
const planned = { id: null, items: [{}] };

test("the sentence for each state: saving, not saved yet until a failed save lands, all saved", () => {
  assert.equal(sentenceKey("saving", opened), "saving");
  assert.equal(sentenceKey("failed", opened), "notSaved", "another design open, still not saved");
  assert.equal(sentenceKey("failed", fresh), "notSaved");
  assert.equal(sentenceKey("saved", opened), "allSaved");
  assert.equal(sentenceKey("saved", fresh), "", "a new, empty design has nothing to say");
  assert.equal(sentenceKey("local", planned), "notSavedLogIn");
  assert.equal(sentenceKey("local", fresh), "");
});

test("every sentence exists in English and German", () => {
  for (const language of ["en", "de"]) {
    const locale = new Locale();
    locale.set(language);
    for (const key of ["saving", "notSaved", "allSaved", "notSavedLogIn", "retryNow"]) {
      assert.notEqual(locale.t(key), key, `${language}: ${key}`);
    }
  }
  const german = new Locale();
  german.set("de");
  assert.equal(german.t("notSaved"), "Noch nicht gespeichert.");
});
