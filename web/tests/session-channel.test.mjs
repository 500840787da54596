// Cross-tab sessions: two HostBridges ("tabs") on real BroadcastChannels of one name, each with
// its own fetchToken ("back-end") and its own planner window.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HostBridge } from "../sdk/planner-bridge.js";
import { SessionChannel, sessionChannelName } from "../sdk/session-channel.js";
import { settle, until } from "./fakes.mjs";

const PLANNER = "http://127.0.0.1:8001";
const ALICE = { id: "alice", name: "Alice" };
let names = 0;

/** A planner window that records what is posted to it. */
class FrameWindow {
  posted = [];
  postMessage(data, targetOrigin) {
    this.posted.push({ event: data.event, user: data.content.user?.id, targetOrigin });
  }
}

/** The shop's server-side session, shared by every tab (a cookie in the browser). */
class Session {
  user = null;
  minted = 0;
  fetchToken = async () => {
    this.minted += 1;
    return this.user
      ? { kind: "user", token: `user-${this.minted}`, expiresIn: 60, user: this.user }
      : { kind: "legal_entity", token: `shop-${this.minted}`, expiresIn: 60 };
  };
}

/** One tab: its bridge on a channel named `name` (null: crossTab off), its planner window. */
function openTab(session, name, { fetches } = { fetches: [] }) {
  const frame = new FrameWindow();
  const channel = name === null ? null : new BroadcastChannel(name);
  const fetchToken = (request) => { fetches.push(request); return session.fetchToken(); };
  const bridge = new HostBridge({ plannerOrigin: PLANNER, frameWindow: () => frame, fetchToken,
    sessionChannel: channel });
  const from = (event, content = {}) => bridge.receive({ origin: PLANNER, source: frame,
    data: { event, content } });
  return { frame, bridge, from, fetches };
}


async function twoTabs(session = new Session(), name = `test-${names++}`) {
  const a = openTab(session, name);
  const b = openTab(session, name);
  a.from("Ready", { version: 1 });
  b.from("Ready", { version: 1 });
  await settle();
  return { session, a, b };
}

test("a login in one tab reaches the other tab's planner as Login, fetched by that tab", async () => {
  const { session, a, b } = await twoTabs();
  session.user = ALICE;
  await a.bridge.login();
  await until(() => b.frame.posted.length === 2);
  assert.deepEqual(b.frame.posted.map((p) => [p.event, p.user]),
    [["Authentication", undefined], ["Login", "alice"]]);
  assert.equal(b.fetches.length, 2, "tab b asked its own back-end");
  assert.ok(b.frame.posted.every((p) => p.targetOrigin === PLANNER));
  a.bridge.destroy();
  b.bridge.destroy();
});

test("a logout in one tab reaches the other tab's planner as Logout", async () => {
  const session = new Session();
  session.user = ALICE;
  const { a, b } = await twoTabs(session);
  session.user = null;
  await a.bridge.logout();
  await until(() => b.frame.posted.length === 2);
  assert.deepEqual(b.frame.posted.map((p) => p.event), ["Login", "Logout"]);
  a.bridge.destroy();
  b.bridge.destroy();
});

test("nothing but the event name goes on the channel", async () => {
  const name = `test-${names++}`;
  const listener = new BroadcastChannel(name);
  const heard = [];
  listener.onmessage = (event) => heard.push(event.data);
  const session = new Session();
  const a = openTab(session, name);
  a.from("Ready", { version: 1 });
  await settle();
  session.user = ALICE;
  await a.bridge.login();
  session.user = null;
  await a.bridge.logout();
  await until(() => heard.length === 2);
  assert.deepEqual(heard, ["Login", "Logout"]);
  listener.close();
  a.bridge.destroy();
});

test("a tab that already shows the announced identity posts nothing", async () => {
  const { session, a, b } = await twoTabs();
  session.user = ALICE;
  await b.bridge.login(); // b logged in itself (its own form), and told a
  await until(() => a.frame.posted.length === 2);
  const before = b.frame.posted.length;
  await a.bridge.login(); // a's own login() afterwards: b hears it, already shows Alice
  await until(() => b.fetches.length === 3);
  await settle();
  assert.equal(b.frame.posted.length, before);
  a.bridge.destroy();
  b.bridge.destroy();
});

test("crossTab off (no channel): the other tab hears nothing and fetches nothing", async () => {
  const session = new Session();
  const name = `test-${names++}`;
  const a = openTab(session, null);
  const b = openTab(session, name);
  a.from("Ready", { version: 1 });
  b.from("Ready", { version: 1 });
  await settle();
  session.user = ALICE;
  await a.bridge.login();
  await new Promise((r) => setTimeout(r, 50)); // a message, had one been sent, arrives by now
  assert.equal(b.fetches.length, 1);
  assert.deepEqual(b.frame.posted.map((p) => p.event), ["Authentication"]);
  a.bridge.destroy();
  b.bridge.destroy();
});

test("a destroyed tab stops hearing, and anything but Login/Logout on the channel is ignored", async () => {
  const name = `test-${names++}`;
  const { session, a, b } = await twoTabs(new Session(), name);
  const stranger = new BroadcastChannel(name);
  stranger.postMessage({ event: "Login", token: "forged" });
  stranger.postMessage("Authentication");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(b.fetches.length, 1);
  b.bridge.destroy();
  session.user = ALICE;
  await a.bridge.login();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(b.fetches.length, 1);
  stranger.close();
  a.bridge.destroy();
});

test("SessionChannel refuses to announce anything else", () => {
  const channel = { posted: [], postMessage(d) { this.posted.push(d); },
    addEventListener() {}, close() {} };
  const session = new SessionChannel({ channel, onChange: () => {} });
  assert.throws(() => session.announce(/** @type {any} */ ("eyJ.token")),
    { name: "TypeError", message: "only Login or Logout go on the channel" });
  session.announce("Logout");
  assert.deepEqual(channel.posted, ["Logout"]);
  assert.equal(sessionChannelName(PLANNER), `planner-bridge:session:${PLANNER}`);
});

test("a closed SessionChannel neither hears nor announces (a closed channel would throw)", () => {
  let deliver = () => {};
  const channel = { posted: [], closed: false, postMessage(d) { this.posted.push(d); },
    addEventListener(type, listener) { deliver = listener; }, close() { this.closed = true; } };
  const heard = [];
  const session = new SessionChannel({ channel, onChange: (event) => heard.push(event) });
  deliver({ data: "Login" });
  session.close();
  deliver({ data: "Logout" });
  session.announce("Login");
  assert.deepEqual(heard, ["Login"]);
  assert.deepEqual(channel.posted, []);
  assert.equal(channel.closed, true);
});
