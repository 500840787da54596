"""What the shop page asks of `POST /planner-token`: the planner's `TokenExpired` reason and the
thumbprint of its DPoP key (`jkt`), both relayed by the SDK's `fetchToken({reason, jkt})`.

The jkt comes from the browser, so it is checked here, as input, before `TokenClient` puts it into
the signed token request: the token service then binds the token to that key (`cnf.jkt`). A page
that lies about it gains nothing: whoever controls the shop page can already get tokens for a key
of its own, and a token bound to a key it does not hold is of no use to it.
"""

from __future__ import annotations

import dataclasses
import re

from starlette.requests import Request

from ..apps.responses import parse_json_object, read_body
from ..errors import InvalidRequest

# Reasons the planner gives in TokenExpired when the token service must mint a new token
# instead of answering from TokenClient's cache (the cached token itself was refused).
REJECTED_REASONS = frozenset({"invalid_token"})
JKT = re.compile(r"[A-Za-z0-9_-]{43}")  # SHA-256, base64url without padding
MAX_BODY = 4096


@dataclasses.dataclass(frozen=True)
class PlannerTokenRequest:
    reason: str = ""
    jkt: str | None = None

    @property
    def fresh(self) -> bool:
        """Whether the planner's token was refused: then no cached token will do."""
        return self.reason in REJECTED_REASONS


async def read_token_request(request: Request) -> PlannerTokenRequest:
    """The body's `reason` and `jkt`, both optional (an empty body asks for neither)."""
    body = await read_body(request, limit=MAX_BODY)
    if not body:
        return PlannerTokenRequest()
    fields = parse_json_object(body)
    reason = fields.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidRequest("reason must be a string")
    jkt = fields.get("jkt")
    if jkt is not None and not (isinstance(jkt, str) and JKT.fullmatch(jkt)):
        raise InvalidRequest("jkt must be a key thumbprint (43 base64url characters)")
    return PlannerTokenRequest(reason, jkt)
