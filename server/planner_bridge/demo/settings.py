"""The demo shop's own options, apart from the product's (read through `settings`, the one
reader of the environment, and checked against the product's token bounds):

    token_ttl   PLANNER_BRIDGE_DEMO_TOKEN_TTL  3600         lifetime the demo host asks for
                                                            (within MIN..MAX_TOKEN_TTL)
    password    PLANNER_BRIDGE_DEMO_PASSWORD   (generated)  password of alice and bob
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..settings import PREFIX, Settings, SettingsError, environment, typed_values

DEMO_PREFIX = PREFIX + "DEMO_"


@dataclasses.dataclass(frozen=True)
class DemoSettings:
    token_ttl: int = 3600
    password: str = dataclasses.field(default="", repr=False)

    @classmethod
    def from_env(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> DemoSettings:
        """The demo's options from the environment, checked against `settings`' bounds."""
        names = [field.name for field in dataclasses.fields(cls)]
        problems: list[str] = []
        raw = environment(names, environ, prefix=DEMO_PREFIX)
        demo = cls(**typed_values(cls, raw, problems, prefix=DEMO_PREFIX))  # type: ignore[arg-type]
        demo._check(settings, problems)
        if problems:
            raise SettingsError(problems)
        return demo

    def _check(self, settings: Settings, problems: list[str]) -> None:
        if not settings.min_token_ttl <= self.token_ttl <= settings.max_token_ttl:
            # The demo shop asks for exactly this lifetime: out of bounds, every token it asks
            # for would be refused and its /planner-token would answer 502.
            problems.append(
                f"{DEMO_PREFIX}TOKEN_TTL must lie between MIN and MAX_TOKEN_TTL"
                f" ({settings.min_token_ttl} to {settings.max_token_ttl} s); for expiry demos,"
                f" lower {PREFIX}MIN_TOKEN_TTL as well"
            )
