// Test doubles shared by the node tests: a manual clock with timers, and a recording server.

/** A monotonic clock whose timers run only when the test advances it. */
export class FakeClock {
  time = 1000;
  /** @type {Map<number, {at: number, fn: () => void}>} */
  timers = new Map();
  #next = 1;

  now = () => this.time;
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
      this.time = Math.max(this.time, due[1].at);
      due[1].fn();
    }
    this.time = end;
  }

  /** Jump forward without running timers: a device waking from sleep. */
  sleep(ms) {
    this.time += ms;
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
