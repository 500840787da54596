"""`planner-bridge admin create | list | delete`: the console's administrators.

`create` prints a generated password once (`--password-stdin` reads one instead, for scripts
and password managers); only its scrypt hash is kept.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..admin.accounts import AdminBook
from ..clock import utc_minute
from ..storage import Administrator
from .common import CommandError, emit, open_core


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    group = commands.add_parser("admin", help="administrators of the /admin/ console")
    actions = group.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", parents=[parent], help="add one (password shown once)")
    create.add_argument("--entity", required=True, help="the legal entity it administers")
    create.add_argument("--username", required=True)
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.set_defaults(run=create_admin)
    listing = actions.add_parser("list", parents=[parent], help="an entity's administrators")
    listing.add_argument("--entity", required=True)
    listing.set_defaults(run=list_admins)
    delete = actions.add_parser("delete", parents=[parent], help="delete one, ending its sessions")
    delete.add_argument("username")
    delete.set_defaults(run=delete_admin)


async def _book(args: argparse.Namespace) -> AdminBook:
    core = await open_core(args)
    return AdminBook(core.store, core.clock)


def _password_from_stdin() -> str:
    line = sys.stdin.readline() if sys.stdin is not None else ""
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise CommandError("--password-stdin: no password on stdin")
    return password


async def create_admin(args: argparse.Namespace) -> None:
    password = _password_from_stdin() if args.password_stdin else None
    admin, password = await (await _book(args)).create(args.entity, args.username, password)
    data: dict[str, str | None] = {"username": admin.username, "entity": admin.entity_id}
    data["password"] = password
    text = f"administrator  {admin.username}\nentity         {admin.entity_id}\n"
    if args.password_stdin:
        # SPEC's shape keeps the key; the value stays null: the caller has the password
        # already, and a password echoed to stdout ends up in CI logs and terminals.
        data["password"] = None
        text += "password       (as given on stdin)"
    else:
        text += f"password       {password}\nThe password is shown only now."
    emit(args, data, text)


def _admin_json(admin: Administrator) -> dict[str, Any]:
    return {"username": admin.username, "entity": admin.entity_id, "created": int(admin.created)}


async def list_admins(args: argparse.Namespace) -> None:
    admins = await (await _book(args)).of_entity(args.entity)
    lines = [f"{a.username}  created {utc_minute(a.created)}" for a in admins]
    emit(args, [_admin_json(a) for a in admins], "\n".join(lines) or "no administrators")


async def delete_admin(args: argparse.Namespace) -> None:
    await (await _book(args)).delete(args.username)
    emit(args, {"username": args.username, "deleted": True}, f"deleted {args.username}")
