"""What tests share besides fixtures: a planner origin's handle and a registered shop.

Fixtures live in conftest.py; these plain names live here so that test modules import them by a
module name of their own (pytest loads every conftest.py as "conftest", and playwright/ has one).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from planner_bridge.core import Core
from planner_bridge.serving import blocking
from planner_bridge.store import Entity

HOST_ORIGIN = "http://localhost:8000"


@dataclasses.dataclass
class PlannerServer:
    url: str
    core: Core


@dataclasses.dataclass
class Shop:
    """A registered legal entity and its API key/secret, as its back-end would hold them."""

    entity: Entity
    key_id: str
    secret: str


def register_shop(core: Core, *, allow_write: bool = True, name: str = "Demo Store") -> Shop:
    entity, key = blocking(core.entities.create(name, [HOST_ORIGIN], allow_write=allow_write))
    return Shop(entity, key.key_id, key.secret)


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `condition` until it is truthy and return its value; fail after `timeout` seconds.
    The one way tests wait for something another thread or process does: on a condition with a
    deadline, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)  # the poll interval, not a wait for an outcome
    raise AssertionError("condition not met before the deadline")
