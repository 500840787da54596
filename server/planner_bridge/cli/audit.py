"""`planner-bridge audit list --entity ENTITY`: the entity's audit trail, newest first."""

from __future__ import annotations

import argparse
from typing import Any

from .. import audit
from ..clock import utc_minute
from .common import emit, open_core


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    group = commands.add_parser("audit", help="who changed what, and when")
    actions = group.add_subparsers(dest="action", required=True)
    listing = actions.add_parser(
        "list", parents=[parent], help="an entity's changes, newest first (never a secret)"
    )
    listing.add_argument("--entity", required=True, help="the legal entity's id")
    listing.add_argument(
        "--limit", type=int, default=audit.DEFAULT_LIMIT, help="at most this many (default 100)"
    )
    listing.set_defaults(run=list_events)


async def list_events(args: argparse.Namespace) -> None:
    if not 1 <= args.limit <= 10_000:
        raise ValueError("--limit must be a whole number from 1 to 10000")
    core = await open_core(args)
    if await core.store.get_entity(args.entity) is None:
        raise LookupError(f"no such entity: {args.entity}")
    events = await audit.recent(core.store, args.entity, args.limit)
    lines = [f"{utc_minute(e.at)}  {e.actor}  {e.action}  {e.object_id}" for e in events]
    emit(args, [audit.describe(e) for e in events], "\n".join(lines) or "no changes recorded")
