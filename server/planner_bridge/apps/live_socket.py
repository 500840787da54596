"""`GET /v1/live`: the WebSocket that pushes asset changes to the planner.

The conversation (SPEC "Planner web services"; events in `planner_bridge.planner.live`):

    client: {"type": "auth", "token": "<access token>"}       first message, within AUTH_DEADLINE
            (+ "dpop": PROOF for a DPoP-bound token: htm GET, htu the /v1/live URL as http(s))
    server: {"type": "use_dpop_nonce", "nonce": N}            the proof lacked a current nonce:
                                                                one more auth message is awaited
    server: {"type": "authenticated", "expires_at": EXP}      the subscription is in place
    server: {"type": "asset.changed", "asset": {...}}         for what the token may see
    server: {"type": "token_expired"} then close 4401          at the token's `exp`
                                                                (no leeway: the planner refreshes)
    server: {"type": "error", "error": "invalid_token", ...}    the token was revoked: within 1 s
            then close 4401                                     of the revocation, anywhere

Close codes: 4401 token or DPoP proof invalid, token expired or revoked (connect again with a
fresh token: that resumes the pushes), 4408 no auth message within AUTH_DEADLINE, 1008 a first
message that is not an auth message, 1013 the client fell too far behind the pushes or the
database is away while authenticating (try again later). A refused auth message is answered
with {"type": "error", "error": CODE, "error_description": TEXT} before the close. Messages
after the auth message are ignored; the token never travels in the URL.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..clock import Clock
from ..errors import DPoPRefusal, InvalidRequest, InvalidToken, ProtocolError, UseDPoPNonce
from ..planner.live import REVOKED, LiveHub, Subscription
from ..storage import DatabaseUnavailable
from ..tokens.verification import AccessClaims
from .bearer import BearerBackend, request_path
from .openapi_parts import error

AUTH_DEADLINE = 5.0
EXPIRY_CHECK = 1.0  # at most this long between checks of the token's exp against the clock
MAX_AUTH_MESSAGE = 8192
TOKEN_INVALID, AUTH_TIMEOUT, NOT_AUTH, TOO_SLOW = 4401, 4408, 1008, 1013
TRY_LATER = 1013  # RFC 6455 registry: "Try Again Later" (the database is away)


class LiveSocket:
    def __init__(self, backend: BearerBackend, hub: LiveHub, clock: Clock) -> None:
        self.backend = backend
        self.hub = hub
        self.clock = clock

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        try:
            token, claims = await asyncio.wait_for(self._authenticate(websocket), AUTH_DEADLINE)
        except TimeoutError:
            await websocket.close(AUTH_TIMEOUT, "no auth message in time")
            return
        except ProtocolError as exc:
            await self._refuse(websocket, exc)
            return
        except DatabaseUnavailable:  # revocations not current, a jti or policy not readable
            await websocket.close(TRY_LATER, "temporarily unavailable")
            return
        except WebSocketDisconnect:
            return
        await self.hub.hear_others()
        subscription = self.hub.subscribe(claims)
        try:
            await websocket.send_json({"type": "authenticated", "expires_at": claims.expires_at})
            await self._push(websocket, subscription, token)
        except WebSocketDisconnect:
            pass  # the client left between two pushes
        finally:
            self.hub.unsubscribe(subscription)

    async def _authenticate(self, websocket: WebSocket) -> tuple[str, AccessClaims]:
        """The first auth message's token, checked; after a `use_dpop_nonce`, the second's."""
        token, proof = await self._auth_message(websocket)
        try:
            return token, await self._verify(websocket, token, proof)
        except UseDPoPNonce as asked:
            await websocket.send_json({"type": "use_dpop_nonce", "nonce": asked.nonce})
        token, proof = await self._auth_message(websocket)
        return token, await self._verify(websocket, token, proof)

    async def _verify(self, websocket: WebSocket, token: str, proof: object) -> AccessClaims:
        """A bound token needs its proof (SPEC: htm GET, htu the /v1/live URL), spent once."""
        if proof is None:
            return await self.backend.verify_bearer(token)
        proofs = [proof] if isinstance(proof, str) else []
        path = request_path(websocket)
        claims, checked = self.backend.verify_dpop(token, proofs, "GET", path)
        await self.backend.spend(checked)
        return claims

    async def _auth_message(self, websocket: WebSocket) -> tuple[str, object]:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if not isinstance(text, str) or len(text) > MAX_AUTH_MESSAGE:
            raise InvalidRequest("the first message must be a JSON auth message")
        try:
            auth = json.loads(text)
        except (ValueError, RecursionError):
            raise InvalidRequest("the first message must be a JSON auth message") from None
        if not isinstance(auth, dict) or auth.get("type") != "auth":
            raise InvalidRequest('the first message must be {"type": "auth", "token": ...}')
        token = auth.get("token")
        if not isinstance(token, str):
            raise InvalidToken("the auth message carries no token")
        return token, auth.get("dpop")

    async def _refuse(self, websocket: WebSocket, exc: ProtocolError) -> None:
        error = {"type": "error", "error": exc.error, "error_description": exc.description}
        await websocket.send_json(error)
        code = TOKEN_INVALID if isinstance(exc, InvalidToken | DPoPRefusal) else NOT_AUTH
        await websocket.close(code, exc.error)

    async def _push(self, websocket: WebSocket, subscription: Subscription, token: str) -> None:
        """Send events until the token expires or the client leaves."""
        listener = asyncio.create_task(_until_disconnect(websocket))
        try:
            while not listener.done():
                left = self._seconds_left(token)
                if left <= 0:
                    await websocket.send_json({"type": "token_expired"})
                    await websocket.close(TOKEN_INVALID, "token expired")
                    return
                if not await self._forward(websocket, subscription, min(left, EXPIRY_CHECK)):
                    return
        finally:
            listener.cancel()

    def _seconds_left(self, token: str) -> float:
        """Until `exp`; 0 when the token no longer verifies (e.g. its key was dropped). While
        the revocations are not current (the database away), the socket stays: it hears
        nothing meanwhile, and a revocation made meanwhile reaches it once they are again."""
        try:
            claims = self.backend.verify(token)
        except InvalidToken:
            return 0.0
        except DatabaseUnavailable:
            return EXPIRY_CHECK
        return claims.expires_at - self.clock.now()

    async def _forward(self, websocket: WebSocket, subscription: Subscription, wait: float) -> bool:
        """Send the next event if one comes within `wait`; False when the socket is done."""
        try:
            event = await asyncio.wait_for(subscription.next(), wait)
        except TimeoutError:
            return True
        if event is None:
            await websocket.close(TOO_SLOW, "fell too far behind")
            return False
        if event is REVOKED:
            await self._refuse(websocket, InvalidToken("token has been revoked"))
            return False
        await websocket.send_json(event)
        return True


async def _until_disconnect(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # messages after the auth message carry nothing for us


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

OPERATIONS: dict[str, Any] = {
    "/v1/live": {
        "get": {
            "summary": "WebSocket of asset changes (not plain HTTP)",
            "description": 'Upgrade to a WebSocket; first message {"type": "auth", "token"}'
            ' (+ "dpop": a proof with htm GET and htu this URL as http(s), for a DPoP-bound'
            ' token; without the current nonce the answer is {"type": "use_dpop_nonce",'
            ' "nonce"} and one more auth message is awaited);'
            ' then {"type": "asset.changed", "asset"} for changes the token may see; on'
            ' expiry {"type": "token_expired"} and close code 4401.',
            "responses": {
                "101": {"description": "Switching protocols"},
                "404": error("Not a WebSocket upgrade request", "not_found"),
            },
        }
    },
}
