// Type-checked against the packed @planner-bridge/sdk by tests/test_npm_package.py, which also
// checks that every name the typings export is used here: a new export needs a use.
import {
  DEFAULT_ANSWER_DEADLINE_MS,
  type EmbeddedPlanner,
  type EmbedOptions,
  embedPlanner,
  HostBridge,
  PlannerBridgeError,
  type PlannerEvents,
  type PlannerUser,
  PROTOCOL_VERSION,
  type TokenAnswer,
  type TokenRequest,
} from "@planner-bridge/sdk";
import {
  asHostMessage,
  asPlannerMessage,
  HostEvent,
  isAnswerDeadline,
  isAuthentication,
  isAuthenticationFailed,
  isAuthenticationRequired,
  isAuthenticationSucceeded,
  isCloseApp,
  isLogin,
  isLoginFailed,
  isLoginRequired,
  isLoginSucceeded,
  isLogout,
  isReady,
  isTokenContent,
  isTokenExpired,
  isTokenRefreshed,
  isUser,
  type LoginContent,
  MAX_ANSWER_DEADLINE_MS,
  type Message,
  message,
  MIN_ANSWER_DEADLINE_MS,
  PlannerBridgeError as ProtocolError,
  PlannerEvent,
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
const received: Message | null = asPlannerMessage({ event: PlannerEvent.Ready, content: { version: 1 } });
const guards: boolean[] = [
  isAnswerDeadline(deadline), isUser(user), isTokenContent({ ...content }),
  isAuthentication(sent), isLogin(sent), isTokenRefreshed(sent), isLogout(sent), isReady(received),
  isAuthenticationRequired(sent), isAuthenticationSucceeded(sent), isAuthenticationFailed(sent),
  isTokenExpired(sent), isLoginRequired(sent), isLoginSucceeded(sent), isLoginFailed(sent),
  isCloseApp(sent), asHostMessage(sent) !== null, trusted,
];
if (isLogin(sent)) {
  const loggedIn: User = sent.content.user;  // the guard narrows to the Login content
  console.log(loggedIn.id);
}
console.log(guards, failure.code, wireFailure.code);
