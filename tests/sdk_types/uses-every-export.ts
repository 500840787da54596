// Type-checked against the packed @planner-bridge/sdk by tests/test_npm_package.py, which also
// checks that every name the typings export is used here: a new export needs a use.
import {
  type AddToCartContent,
  DEFAULT_ANSWER_DEADLINE_MS,
  type EarlyMessages,
  type EmbeddedPlanner,
  type EmbedOptions,
  embedPlanner,
  HostBridge,
  type ItemPlacement,
  PlannerBridgeError,
  type PlannerCommands,
  type PlannerEvents,
  type PlannerUser,
  PROTOCOL_VERSION,
  type TokenAnswer,
  type Theme,
  type TokenRequest,
} from "@planner-bridge/sdk";
import {
  type AddToCartContent as WireCart,
  asHostMessage,
  type CartLine,
  CommandError,
  CommandName,
  type CommandContent,
  type CommandResultContent,
  type Design,
  type DesignItem,
  asPlannerMessage,
  HostEvent,
  isAnswerDeadline,
  isAuthentication,
  isAuthenticationFailed,
  isAuthenticationRequired,
  isAuthenticationSucceeded,
  isAddToCart,
  isCloseApp,
  isCommand,
  isCommandResult,
  isDesign,
  isDesignChanged,
  isDesignItem,
  isDesignOpened,
  isDesignSaved,
  isItemAdded,
  isItemRemoved,
  isJkt,
  isLoaded,
  isLogin,
  isLoginFailed,
  isLoginRequired,
  isLoginSucceeded,
  isLogout,
  isReady,
  isResize,
  isSelectionChanged,
  isTokenContent,
  isTokenExpired,
  isTokenRefreshed,
  isUser,
  type LoginContent,
  type ReadyContent,
  type TokenExpiredContent,
  MAX_ANSWER_DEADLINE_MS,
  type Message,
  message,
  MIN_ANSWER_DEADLINE_MS,
  type Money,
  MOUNTS,
  PlannerBridgeError as ProtocolError,
  PlannerEvent,
  type Room,
  ROTATIONS,
  type TokenContent,
  type User,
} from "@planner-bridge/sdk/protocol";

const version: 1 = PROTOCOL_VERSION;
const deadline: number = DEFAULT_ANSWER_DEADLINE_MS + MIN_ANSWER_DEADLINE_MS + MAX_ANSWER_DEADLINE_MS;
const user: PlannerUser = { id: "42", name: "Ann" };
const sameUser: User = user;
const answer: TokenAnswer = { kind: "user", token: "t", expiresIn: 60, user };
const request: TokenRequest = { reason: "invalid_token" };
const options: EmbedOptions = {
  container: document.body,
  plannerUrl: "https://planner.example/planner/?entity=E",
  fetchToken: async (_: TokenRequest) => answer,
  answerDeadlineMs: deadline,
};
const planner: EmbeddedPlanner = embedPlanner(options);
const stop: () => void = planner.on("LoginSucceeded", (content: PlannerEvents["LoginSucceeded"]) => {
  const who: PlannerUser = content.user;
  console.log(who.name, version, request.reason);
});
planner.on("error", (error: PlannerEvents["error"]) => console.log(error.code, error.status));
stop();

const bridge = new HostBridge({
  plannerOrigin: "https://planner.example",
  frameWindow: () => null,
  fetchToken: async () => answer,
});
const trusted: boolean = bridge.receive({ origin: "https://planner.example", source: null, data: {} });
const failure: PlannerBridgeError = new PlannerBridgeError("FetchTokenFailed", "no", { status: 502 });
const wireFailure: ProtocolError = new ProtocolError("TokenRefreshTimeout");

const content: TokenContent = { token: "t", expiresIn: 60 };
const login: LoginContent = { ...content, user: sameUser };
const sent: Message = message(HostEvent.Login, { ...login });
const readyContent: ReadyContent = { version: 1, jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" };
const expiredContent: TokenExpiredContent = { reason: "expiring", jkt: readyContent.jkt };
const received: Message | null = asPlannerMessage({ event: PlannerEvent.Ready, content: { ...readyContent } });
const guards: boolean[] = [
  isAnswerDeadline(deadline), isUser(user), isTokenContent({ ...content }),
  isAuthentication(sent), isLogin(sent), isTokenRefreshed(sent), isLogout(sent), isReady(received),
  isAuthenticationRequired(sent), isAuthenticationSucceeded(sent), isAuthenticationFailed(sent),
  isTokenExpired(sent), isLoginRequired(sent), isLoginSucceeded(sent), isLoginFailed(sent),
  isCloseApp(sent), asHostMessage(sent) !== null, trusted, isJkt(expiredContent.jkt),
];
if (isLogin(sent)) {
  const loggedIn: User = sent.content.user;  // the guard narrows to the Login content
  console.log(loggedIn.id);
}
console.log(guards, failure.code, wireFailure.code);

// Driving the planner: every command, every event's content, the wire shapes behind them.
const theme: Theme = { accent: "#2f4f3f", background: "rgb(250, 248, 245)", font: "Georgia" };
const at: ItemPlacement = { x: 0, y: 0, rotation: 90 };
const commands: PlannerCommands = planner;
async function drive(): Promise<void> {
  const design: Design = await commands.getDesign();
  const opened: Design = await commands.openDesign(design.id ?? "d1");
  const fresh: Design = await commands.newDesign({ name: "Kitchen" });
  const item: DesignItem = await commands.addItem("base-600", at);
  await commands.removeItem(item.id);
  const room: Room = { width: 3600, depth: 3000 };
  await commands.setRoom(room);
  const saved: Design = await commands.saveDesign();
  await commands.setTheme(theme);
  await commands.setLocale("de", { currency: "EUR" });
  const total: Money = saved.total;
  console.log(opened.name, fresh.items.length, total.amount);
}
planner.on("Loaded", () => void drive());
planner.on("DesignOpened", ({ design }) => console.log(design.name));
planner.on("DesignChanged", ({ design }) => console.log(design.saved));
planner.on("DesignSaved", ({ design }) => console.log(design.id));
planner.on("ItemAdded", ({ item }) => console.log(item.catalogId));
planner.on("ItemRemoved", ({ item }) => console.log(item.unitPrice));
planner.on("SelectionChanged", ({ item }) => console.log(item?.mount));
planner.on("AddToCart", (cart: AddToCartContent) => {
  const lines: CartLine[] = cart.lines;
  const wire: WireCart = cart;
  console.log(lines.length, wire.total.currency);
});
planner.on("Resize", ({ height }) => console.log(height));
planner.on("CommandResult", (result) => console.log(result.ok));
const command: CommandContent = { id: "c1", name: CommandName.getDesign, args: {} };
const result: CommandResultContent = { id: "c1", ok: false,
  error: { code: CommandError.CommandTimeout, message: "late" } };
const wired: Message = message(HostEvent.Command, { ...command });
const driven: boolean[] = [
  isCommand(wired), isCommandResult(wired), isLoaded(wired), isDesignOpened(wired),
  isDesignChanged(wired), isDesignSaved(wired), isItemAdded(wired), isItemRemoved(wired),
  isSelectionChanged(wired), isAddToCart(wired), isResize(wired), isDesign({}), isDesignItem({}),
  ROTATIONS.includes(90), MOUNTS.includes("wall"),
];
const loading = new HostBridge({ plannerOrigin: "https://planner.example", frameWindow: () => null,
  fetchToken: async () => answer, diagnose: async () => ({ cause: "down", sure: false }) });
loading.startLoading(15000);
loading.frameLoaded();
loading.report(new PlannerBridgeError("PlannerLoadFailed"));
void loading.command(CommandName.getDesign, {});
const sized: EmbedOptions = { ...options, height: "auto", minHeight: 300, maxHeight: 1200,
  loadTimeoutMs: 15000, theme, locale: "de", currency: "EUR" };
console.log(driven, result.ok, sized.height);
const early: EarlyMessages = { messages: [], stop: () => {} };
const adopted: EmbedOptions = { iframe: document.createElement("iframe"), early,
  plannerUrl: "https://planner.example/planner/?entity=E", fetchToken: async () => answer };
console.log(adopted.early?.messages.length);
