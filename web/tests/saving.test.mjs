import test from "node:test";
import assert from "node:assert/strict";

import { Saving, backoffMs, BACKOFF } from "../planner/saving.js";

/** A clock the test moves by hand. */
function fakeClock() {
  let now = 0;
  /** @type {{at: number, fn: () => void, id: number}[]} */
  let timers = [];
  let ids = 0;
  return {
    now: () => now,
    setTimeout: (fn, ms) => { const id = ++ids; timers.push({ at: now + ms, fn, id }); return id; },
    clearTimeout: (id) => { timers = timers.filter((t) => t.id !== id); },
    get pending() { return timers.length; },
    /** Move time on by `ms`, running each timer that falls due. */
    advance(ms) {
      now += ms;
      for (const due of timers.filter((t) => t.at <= now)) {
        timers = timers.filter((t) => t !== due);
        due.fn();
      }
    },
  };
}

/** A design as design.js behaves: each change is sent at once by the design itself when the
 * person may save (its failure told to `onError`); `saveOnce()` sends it again. `down` makes the
 * server refuse. */
function fakeDesign(canSave) {
  const listeners = [];
  const d = {
    id: null, items: [], version: 0, serverVersion: 0, calls: 0, down: false, onError: () => {},
    get saved() { return d.id !== null && d.serverVersion === d.version; },
    on: (_event, fn) => listeners.push(fn),
    toJSON: () => ({ id: d.id, items: d.items, saved: d.saved }),
    emit() { listeners.forEach((fn) => fn({ id: d.id, items: d.items, saved: d.saved })); },
    change() {
      d.version += 1;
      d.items = [...d.items, { id: `item-${d.version}` }];
      d.emit();
      if (canSave()) d.saveOnce().catch((error) => d.onError(error));
    },
    async saveOnce() {
      d.calls += 1;
      const sending = d.version;
      d.emit();
      await Promise.resolve();
      try {
        if (d.down) throw Object.assign(new Error("server down"), { code: "NetworkError" });
        d.id ??= "design-1";
        d.serverVersion = Math.max(d.serverVersion, sending);
      } finally {
        d.emit();
      }
    },
  };
  return d;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setUp({ canSave = () => true } = {}) {
  const clock = fakeClock();
  const design = fakeDesign(() => canSave());
  const online = new EventTarget();
  const saving = new Saving({ design, canSave: () => canSave(), clock, online, random: () => 0 });
  design.onError = (error) => saving.failed(error);
  const states = [];
  saving.onStatus((s) => { if (states.at(-1) !== s.state) states.push(s.state); });
  return { clock, design, online, saving, states };
}

test("a change the design saves shows saving, then saved; nothing more is sent", async () => {
  const { design, saving, states, clock } = setUp();
  design.change();
  await settle();
  assert.equal(design.calls, 1);
  assert.equal(saving.status.state, "saved");
  assert.deepEqual(states, ["saved", "saving", "saved"]);
  assert.equal(clock.pending, 0);
});

test("a failed save is retried by itself with backoff until it lands", async () => {
  const { clock, design, saving } = setUp();
  design.down = true;
  design.change();
  await settle();
  assert.equal(saving.status.state, "failed");
  assert.equal(saving.status.retryAt, BACKOFF.firstMs);
  clock.advance(BACKOFF.firstMs - 1);
  await settle();
  assert.equal(design.calls, 1, "no retry before the backoff is over");
  clock.advance(1);
  await settle();
  assert.equal(design.calls, 2);
  assert.equal(saving.status.state, "failed");
  assert.equal(saving.status.attempts, 2);
  assert.equal(saving.status.retryAt, clock.now() + 2 * BACKOFF.firstMs, "the wait doubles");
  design.down = false;
  clock.advance(2 * BACKOFF.firstMs);
  await settle();
  assert.equal(design.calls, 3);
  assert.equal(design.serverVersion, 1);
  assert.equal(saving.status.state, "saved");
  assert.equal(clock.pending, 0, "nothing left planned once saved");
});

test("changes failing while a retry is planned keep that retry, which sends the latest design", async () => {
  const { clock, design, saving } = setUp();
  design.down = true;
  design.change();
  await settle();
  design.change();
  await settle();
  assert.equal(clock.pending, 1, "one retry planned, not one per failure");
  assert.equal(saving.status.retryAt, BACKOFF.firstMs);
  assert.equal(saving.status.state, "failed");
  design.down = false;
  clock.advance(BACKOFF.firstMs);
  await settle();
  assert.equal(design.serverVersion, 2);
  assert.equal(saving.status.state, "saved");
});

test("a change that saves after a failure makes it good: the planned retry is called off", async () => {
  const { clock, design, saving } = setUp();
  design.down = true;
  design.change();
  await settle();
  design.down = false;
  design.change();
  await settle();
  assert.equal(saving.status.state, "saved");
  assert.equal(saving.status.attempts, 0);
  assert.equal(clock.pending, 0);
});

test("the browser coming back online retries at once", async () => {
  const { design, online, saving, clock } = setUp();
  design.down = true;
  design.change();
  await settle();
  design.down = false;
  online.dispatchEvent(new Event("online"));
  await settle();
  assert.equal(design.calls, 2);
  assert.equal(saving.status.state, "saved");
  assert.equal(clock.pending, 0, "the planned retry was called off");
});

test("Retry now saves at once; while nothing failed it does nothing", async () => {
  const { design, saving } = setUp();
  saving.retryNow();
  await settle();
  assert.equal(design.calls, 0);
  design.down = true;
  design.change();
  await settle();
  saving.retryNow(); // still down: fails again, and the wait grows
  await settle();
  assert.equal(design.calls, 2);
  assert.equal(saving.status.attempts, 2);
  assert.equal(saving.status.state, "failed");
  design.down = false;
  saving.retryNow();
  await settle();
  assert.equal(design.calls, 3);
  assert.equal(saving.status.state, "saved");
  assert.equal(saving.status.attempts, 0);
});

test("someone who cannot save keeps the design locally; saveNow after a login sends it", async () => {
  let loggedIn = false;
  const { design, saving } = setUp({ canSave: () => loggedIn });
  design.change();
  await settle();
  assert.equal(design.calls, 0);
  assert.equal(saving.status.state, "local");
  await saving.saveNow(); // still anonymous: nothing goes
  assert.equal(design.calls, 0);
  loggedIn = true;
  await saving.saveNow();
  assert.equal(design.calls, 1);
  assert.equal(saving.status.state, "saved");
  await saving.saveNow(); // saved: nothing more
  assert.equal(design.calls, 1);
});

test("a blank new design has nothing to save: saveNow sends nothing", async () => {
  const { design, saving } = setUp();
  design.emit();
  assert.equal(design.saved, false);
  assert.equal(saving.status.state, "saved");
  await saving.saveNow();
  assert.equal(design.calls, 0);
});

test("backoff doubles from 1 s to at most 30 s, with up to a fifth more at random", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, () => 0)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(backoffMs(1, () => 1), 1200);
  assert.equal(backoffMs(9, () => 0.5), 33000);
});
