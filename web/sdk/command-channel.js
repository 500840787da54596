// @ts-check
/**
 * The host's commands to the planner as Promises (SPEC "Driving the planner from the page"): each
 * gets an id unique in its embedding, waits, in the order it was made, until the planner said
 * Ready, and must then be answered (CommandResult) within the answer deadline.
 *
 * It settles every command exactly once: with the planner's value, with the planner's error code,
 * or with the SDK's own CommandTimeout, NotReady (the planner never became ready) or Destroyed.
 */
import { CommandError, HostEvent, PlannerBridgeError, message } from "./protocol.js";

/**
 * @typedef {{id: string, name: string, args: Record<string, unknown>, timer: unknown,
 *   resolve: (value: unknown) => void, reject: (error: PlannerBridgeError) => void}} Pending
 * @typedef {import("./protocol.js").CommandResultContent} CommandResultContent
 */

export class CommandChannel {
  #next = 1;
  /** @type {Pending[]} made before the planner was ready, in order */ #queued = [];
  /** @type {Map<string, Pending>} sent, waiting for their CommandResult */ #sent = new Map();
  /** @type {"waiting" | "open" | "failed" | "destroyed"} */ #state = "waiting";

  /**
   * @param {{post: (sent: import("./protocol.js").Message) => void, deadlineMs: number,
   *   setTimer: (fn: () => void, ms: number) => unknown, clearTimer: (handle: unknown) => void}} options
   */
  constructor({ post, deadlineMs, setTimer, clearTimer }) {
    this.post = post;
    this.deadlineMs = deadlineMs;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
  }

  /**
   * Run a command in the planner; resolves with its value.
   * @param {string} name @param {Record<string, unknown>} [args] @returns {Promise<any>}
   */
  run(name, args = {}) {
    return new Promise((resolve, reject) => {
      if (this.#state === "destroyed") return reject(destroyed());
      if (this.#state === "failed") return reject(notReady());
      /** @type {Pending} */
      const command = { id: `c${this.#next++}`, name, args, timer: null, resolve, reject };
      if (this.#state === "open") this.#send(command);
      else this.#queued.push(command);
    });
  }

  /** The planner said Ready (again, after a reload too): the waiting commands go out in order. */
  open() {
    if (this.#state === "destroyed") return;
    this.#state = "open";
    for (const command of this.#queued.splice(0)) this.#send(command);
  }

  /**
   * A CommandResult from the trusted planner; one for no command of ours is ignored.
   * @param {CommandResultContent} content @returns {boolean} whether it answered a command
   */
  answer(content) {
    const command = this.#sent.get(content.id);
    if (!command) return false;
    this.#settle(command);
    if (content.ok) command.resolve(content.value);
    else command.reject(new PlannerBridgeError(content.error.code, content.error.message));
    return true;
  }

  /** The planner never became ready: what waits for it fails with NotReady, and so does every
   * later command until a Ready still comes. */
  failLoad() {
    if (this.#state !== "waiting") return;
    this.#state = "failed";
    for (const command of this.#queued.splice(0)) command.reject(notReady());
  }

  /** Every command still waiting or unanswered rejects with Destroyed, and every later one. */
  destroy() {
    this.#state = "destroyed";
    const all = [...this.#queued.splice(0), ...this.#sent.values()];
    for (const command of all) {
      this.#settle(command);
      command.reject(destroyed());
    }
  }

  /** @param {Pending} command */
  #send(command) {
    this.#sent.set(command.id, command);
    command.timer = this.setTimer(() => {
      this.#settle(command);
      command.reject(new PlannerBridgeError(CommandError.CommandTimeout,
        `${command.name}: the planner did not answer within ${this.deadlineMs} ms`));
    }, this.deadlineMs);
    this.post(message(HostEvent.Command, { id: command.id, name: command.name, args: command.args }));
  }

  /** @param {Pending} command */
  #settle(command) {
    this.#sent.delete(command.id);
    this.clearTimer(command.timer);
  }
}

function destroyed() {
  return new PlannerBridgeError(CommandError.Destroyed, "the planner was removed");
}

function notReady() {
  return new PlannerBridgeError(CommandError.NotReady, "the planner never became ready");
}
