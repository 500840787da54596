"""Changing a registered entity: its name, origins and DPoP policy (`planner-bridge entity set`,
the console's "Registered origins"), each change written to the audit trail.

Every mistake in one change is found before anything is written, and all are reported at once
(one line each), so an operator fixes a command in one go. The planner page reads the entity's
origins from the store on every request, so its `frame-ancestors` follows at once on every
instance sharing the store.
"""

from __future__ import annotations

import dataclasses

from .. import audit
from ..clock import Clock
from ..names import name_problem
from ..storage import Entity, Store
from .entities import MAX_NAME_LENGTH, normalize_origin


class EntityChangeRefused(ValueError):
    """Every mistake found in one change, one line each (`problems`)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class EntityChange:
    """What to change; what is left as it is stays. (A new setting is one more field here, one
    more check in `_problems`, one more line in `_applied` and one more event in `_record`.)"""

    name: str | None = None
    add_origins: tuple[str, ...] = ()
    remove_origins: tuple[str, ...] = ()
    dpop_required: bool | None = None  # SPEC "Sender-constrained tokens": required or optional


def _origins(given: tuple[str, ...], flag: str, problems: list[str]) -> list[str]:
    found = []
    for origin in given:
        try:
            found.append(normalize_origin(origin))
        except ValueError as exc:
            problems.append(f"{flag}: {exc}")
    return found


def _problems(entity: Entity, change: EntityChange) -> tuple[list[str], list[str], list[str]]:
    """The mistakes, and the origins to add and to remove (normalized)."""
    problems: list[str] = []
    if change.name is not None:
        problem = name_problem(change.name, "name", MAX_NAME_LENGTH)
        if problem:
            problems.append(problem)
    added = _origins(change.add_origins, "add origin", problems)
    removed = _origins(change.remove_origins, "remove origin", problems)
    for origin in removed:
        if origin not in entity.origins:
            problems.append(f"remove origin: {origin} is not registered for {entity.id}")
    left = [o for o in (*entity.origins, *added) if o not in removed]
    if not left:
        problems.append("an entity needs at least one origin: add one before removing the last")
    return problems, added, removed


def _applied(entity: Entity, change: EntityChange, added: list[str], removed: list[str]) -> Entity:
    origins = tuple(dict.fromkeys(o for o in (*entity.origins, *added) if o not in removed))
    name = entity.name if change.name is None else change.name.strip()
    dpop = entity.dpop_required if change.dpop_required is None else change.dpop_required
    return dataclasses.replace(entity, name=name, origins=origins, dpop_required=dpop)


async def change_entity(
    store: Store, clock: Clock, entity_id: str, change: EntityChange, *, actor: str = audit.CLI
) -> Entity:
    """The entity as changed; LookupError if there is none, EntityChangeRefused (every
    mistake) if the change is refused, and then nothing is written."""
    entity = await store.get_entity(entity_id)
    if entity is None:
        raise LookupError(f"no such entity: {entity_id}")
    problems, added, removed = _problems(entity, change)
    if problems:
        raise EntityChangeRefused(problems)
    updated = _applied(entity, change, added, removed)
    if updated == entity:
        return entity
    if not await store.update_entity(updated):
        raise LookupError(f"no such entity: {entity_id}")
    await _record(store, clock, entity, updated, actor)
    return updated


async def _record(store: Store, clock: Clock, before: Entity, after: Entity, actor: str) -> None:
    events = [(audit.ENTITY_CHANGED, "name")] if before.name != after.name else []
    if before.dpop_required != after.dpop_required:
        events.append((audit.ENTITY_CHANGED, "dpop"))
    events += [(audit.ORIGIN_ADDED, o) for o in after.origins if o not in before.origins]
    events += [(audit.ORIGIN_REMOVED, o) for o in before.origins if o not in after.origins]
    for action, object_id in events:
        await audit.record(
            store, clock, entity_id=after.id, actor=actor, action=action, object_id=object_id
        )
