"""What the shop's back-end (apps.integrator) is told at start: its origin, the planner's, the
shop's API key and where its secret and users are kept, and how the page embeds the planner."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..addresses import TrustedProxies
from ..clock import Clock, SystemClock

# The answer deadlines embedPlanner accepts (web/sdk/protocol.js isAnswerDeadline, the wire
# contract); any other value makes the SDK refuse with InvalidOption and the shop page break.
# The demo shop's name, on its own page and as its legal entity's (SPEC: "Demo Store"), so the
# planner inside it names the shop the shopper sees.
SHOP_NAME = "Demo Store"
MIN_ANSWER_DEADLINE_MS = 100
MAX_ANSWER_DEADLINE_MS = 600_000


@dataclasses.dataclass(frozen=True)
class HostConfig:
    """Everything the shop's back-end needs; `planner-bridge demo` builds it from the data dir."""

    host_url: str  # this site's origin, as browsers send it in `Origin`
    planner_url: str  # the planner origin: token service, planner app, SDK
    entity_id: str
    api_key: str
    secret_file: Path  # JSON with the API secret under "secret", mode 0600
    users_file: Path  # {"users": {username: {"name", "hash"}}}
    session_key: str  # signs the session cookie
    allow_write: bool = True  # users then get ["read", "write"]; anonymous always ["read"]
    token_ttl: int = 3600  # the lifetime asked for (DemoSettings.token_ttl)
    answer_deadline_ms: int | None = None  # embedPlanner's answerDeadlineMs; None: its default
    clock: Clock = dataclasses.field(default_factory=SystemClock)
    # Whose X-Forwarded-For the login brakes believe (PLANNER_BRIDGE_TRUSTED_PROXIES).
    proxies: TrustedProxies = dataclasses.field(default_factory=TrustedProxies)

    def __post_init__(self) -> None:
        deadline = self.answer_deadline_ms
        if deadline is None:
            return
        whole = isinstance(deadline, int) and not isinstance(deadline, bool)
        if not whole or not MIN_ANSWER_DEADLINE_MS <= deadline <= MAX_ANSWER_DEADLINE_MS:
            raise ValueError(
                f"answer_deadline_ms must be a whole number from {MIN_ANSWER_DEADLINE_MS}"
                f" to {MAX_ANSWER_DEADLINE_MS}, not {deadline!r}"
            )

    @property
    def user_rights(self) -> tuple[str, ...]:
        return ("read", "write") if self.allow_write else ("read",)
