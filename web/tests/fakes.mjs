// Test doubles shared by the node tests: a manual clock with timers, and a recording server.
import assert from "node:assert/strict";

/**
 * A monotonic clock (`now`, like performance.now()) whose timers run only when the test advances
 * it, and a wall clock (`wallNow`, like Date.now()) that moves with it unless the test says not.
 */
export class FakeClock {
  time = 1000;
  wall = 1_764_000_000_000;
  /** @type {Map<number, {at: number, fn: () => void}>} */
  timers = new Map();
  #next = 1;

  now = () => this.time;
  wallNow = () => this.wall;
  setTimer = (fn, ms) => {
    const handle = this.#next++;
    this.timers.set(handle, { at: this.time + ms, fn });
    return handle;
  };
  clearTimer = (handle) => {
    this.timers.delete(handle);
  };

  /** Move time forward, running due timers in time order. */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.timers.delete(due[0]);
      const at = Math.max(this.time, due[1].at);
      this.wall += at - this.time;
      this.time = at;
      due[1].fn();
    }
    this.wall += end - this.time;
    this.time = end;
  }

  /** Jump forward without running timers: a device waking from sleep. */
  sleep(ms) {
    this.time += ms;
    this.wall += ms;
  }

  /** A system suspend as Chromium on Linux/macOS may see it: performance.now() stands still,
   * the wall clock jumps, no timer runs. */
  suspend(ms) {
    this.wall += ms;
  }

  /** The wall clock alone is set (NTP, the user): back for negative `ms`. */
  setWall(ms) {
    this.wall += ms;
  }
}

/**
 * A web service that records every request with the token it carried. `answer` decides the
 * status; by default, tokens in `refused` get 401 and everything else 200.
 */
export class FakeServer {
  /** @type {Array<{method: string, path: string, token: string, key?: string, body?: any}>} */
  received = [];
  refused = new Set();
  answer = (request, token) => (this.refused.has(token) ? 401 : 200);

  send = async (request, token) => {
    this.received.push({ method: request.method, path: request.path, token,
      key: request.idempotencyKey, body: request.body });
    await Promise.resolve();
    return { status: this.answer(request, token) };
  };
}

/** Let every pending promise callback run. */
export async function settle() {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Wait until `condition` holds, e.g. for a BroadcastChannel, which delivers in a later turn of
 * the event loop (polled: no fixed sleep). */
export async function until(condition) {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), "condition never held");
}
