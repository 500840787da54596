"""What tests share besides fixtures: a planner origin's handle and a registered shop.

Fixtures live in conftest.py; these plain names live here so that test modules import them by a
module name of their own (pytest loads every conftest.py as "conftest", and playwright/ has one).
"""

from __future__ import annotations

import dataclasses

from planner_bridge.core import Core
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
    entity, key = core.entities.create(name, [HOST_ORIGIN], allow_write=allow_write)
    return Shop(entity, key.key_id, key.secret)
