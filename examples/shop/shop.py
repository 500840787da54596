"""A minimal shop that embeds the planner: its own login, and POST /planner-token that asks the
planner's token service for a token for the current session. Not the demo: what an integrator
writes. Run its tests with `pytest examples/shop` (they use only planner_bridge.testing); run it
by hand as README.md says."""

import hmac
import json
import os
import secrets

import httpx
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

from planner_bridge.client import TokenClient

PAGE = """<!doctype html><html lang="en"><title>Example shop</title>
<p id="who">{who}</p>
<form method="post" action="/login"><label>User <input name="username"></label>
<label>Password <input name="password" type="password"></label><button>Log in</button></form>
<form method="post" action="/logout"><button>Log out</button></form>
<p><button id="plan-product" hidden>Plan with this cabinet</button></p>
<div id="planner"></div>
<h2>Basket</h2><ul id="basket"></ul>
<script type="module">
  const config = {config};
  const {{ embedPlanner }} = await import(`${{config.planner}}/sdk/planner-bridge.js`);
  const planner = embedPlanner({{ container: document.getElementById("planner"),
    plannerUrl: `${{config.planner}}/planner/?entity=${{config.entity}}`,
    answerDeadlineMs: config.answerDeadlineMs,
    // jkt: the planner's DPoP key; our back-end asks for a token bound to it.
    fetchToken: ({{ reason, jkt }} = {{}}) => fetch("/planner-token", {{ method: "POST",
      headers: {{ "X-Requested-With": "shop" }}, body: JSON.stringify({{ reason, jkt }}) }})
      .then((r) => r.ok ? r.json() : Promise.reject(new Error(`planner-token ${{r.status}}`))),
    height: "auto" }});
  planner.on("LoginRequired", () => document.querySelector("[name=username]").focus());
  // The product on this page goes into the plan; "Add to cart" in the planner fills our basket.
  const button = document.getElementById("plan-product");
  button.hidden = !config.product;
  button.onclick = () => planner.addItem(config.product).catch((e) => alert(e.message));
  planner.on("AddToCart", ({{ lines }}) => document.getElementById("basket").replaceChildren(
    ...lines.map((l) => Object.assign(document.createElement("li"),
      {{ textContent: `${{l.quantity}} x ${{l.name}}` }}))));
</script></html>"""


def create_app(
    planner: str,
    entity: dict,
    users: dict,
    answer_deadline_ms: int = 30000,
    product=None,
    clock=None,
):
    """`entity` is what the token service gave us ({"id", "api_key", "secret"}); `users` maps
    user names to passwords (a real shop checks a password hash); `product` is the catalog id
    of the cabinet this page sells (None: no product button); `clock` (an object with `now()`,
    epoch seconds) is the system clock unless a test moves its own."""
    # No idle pooled connections: nothing would close them when the server stops.
    http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_keepalive_connections=0))
    tokens = TokenClient(planner, entity["api_key"], entity["secret"], http=http, clock=clock)
    config = {"planner": planner, "entity": entity["id"], "answerDeadlineMs": answer_deadline_ms}
    config["product"] = product
    # Sessions live on the server, so logging out really ends one: the cookie holds only a
    # random id, never the user (a replayed cookie after logout gets no user token).
    sessions: dict[str, str] = {}

    def current_user(request):
        return sessions.get(request.cookies.get("sid", ""))

    async def page(request):
        who = current_user(request) or "not logged in"
        return HTMLResponse(PAGE.format(who=who, config=json.dumps(config)))

    async def login(request):
        form = await request.form()
        name, password = str(form.get("username", "")), str(form.get("password", ""))
        answer = RedirectResponse("/", status_code=303)
        expected = users.get(name)
        if hmac.compare_digest((expected or "").encode(), password.encode()) and expected:
            sessions[sid := secrets.token_urlsafe(32)] = name
            answer.set_cookie("sid", sid, httponly=True, samesite="lax")
        return answer

    async def logout(request):
        sessions.pop(request.cookies.get("sid", ""), None)
        answer = RedirectResponse("/", status_code=303)
        answer.delete_cookie("sid")
        return answer

    async def planner_token(request):
        own_origin = str(request.base_url).rstrip("/")
        if (
            request.headers.get("origin") != own_origin
            or request.headers.get("X-Requested-With") != "shop"
        ):  # same-origin fetch() only
            return JSONResponse({"error": "forbidden"}, status_code=403)
        user = current_user(request)
        asked = await request.json()
        fresh = asked.get("reason") == "invalid_token"  # refused: never cached
        jkt = asked.get("jkt")  # the planner's DPoP key: the token will be bound to it
        try:
            if user:
                token = await tokens.user_token(
                    user, user.title(), rights=["read", "write"], fresh=fresh, jkt=jkt
                )
            else:
                token = await tokens.legal_entity_token(fresh=fresh, jkt=jkt)
        except ValueError:  # a jkt that is no key thumbprint
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        except Exception:  # the token service is down or refused us: the SDK reports it
            return JSONResponse({"error": "token_service_unavailable"}, status_code=503)
        answer = {
            "kind": "user" if user else "legal_entity",
            "token": token.token,
            # What the token has LEFT: a cached token is older than its lifetime, and the
            # planner counts expiresIn from the moment it arrives.
            "expiresIn": token.remaining(tokens.clock.now()),
        }
        if user:
            answer["user"] = {"id": user, "name": user.title()}
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", page),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/planner-token", planner_token, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def main():
    """By hand (README.md): the planner origin's URL, the entity as `planner-bridge entity create
    --json` printed it, and alice's password, from the environment."""
    import uvicorn

    entity = json.loads(os.environ["SHOP_ENTITY"])
    users = {"alice": os.environ["SHOP_PASSWORD"]}
    app = create_app(os.environ["PLANNER_URL"].rstrip("/"), entity, users)
    uvicorn.run(app, host="localhost", port=int(os.environ.get("SHOP_PORT", "8080")))


if __name__ == "__main__":
    main()
