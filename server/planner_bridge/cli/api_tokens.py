"""`planner-bridge api-token create | list | disable | enable | delete`.

`--user` takes `ID` or `ID:Display Name` (the id is everything before the first colon).
`--days N` sets the lifetime (default: PLANNER_BRIDGE_API_TOKEN_DAYS, 30); `--never` makes a
token that never expires, a choice the command asks to confirm on stdin unless `--yes` is given.
The token is printed once and never stored; lists show metadata only. A token names its issuer
(`iss`, `aud`), so run this with the server's PLANNER_BRIDGE_ISSUER when `serve` listens anywhere
but the default http://127.0.0.1:8001; the server refuses tokens made for another issuer.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..clock import utc_minute
from ..core import Core
from ..errors import InvalidFields, ProtocolError
from ..storage import ApiTokenRecord
from ..tokens.api_tokens import ApiTokens, describe, expires_at
from .common import CommandError, emit, open_core


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    group = commands.add_parser("api-token", help="long-lived API tokens for background jobs")
    actions = group.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", parents=[parent], help="issue a token (shown once)")
    create.add_argument("--entity", required=True, help="the legal entity's id")
    create.add_argument("--user", required=True, help='whose rights it carries: "ID" or "ID:Name"')
    create.add_argument("--name", required=True, help="what the token is for")
    lifetime = create.add_mutually_exclusive_group()
    lifetime.add_argument("--days", type=int, help="expire after N days (default 30)")
    lifetime.add_argument(
        "--never", action="store_true", help="never expire (asks to confirm, unless --yes)"
    )
    create.add_argument("--rights", default="read", help="read or read,write (default read)")
    create.add_argument(
        "--yes",
        action="store_true",
        help="answer yes to the --never confirmation (for scripts: nothing is asked)",
    )
    create.set_defaults(run=create_token)
    listing = actions.add_parser("list", parents=[parent], help="an entity's tokens, no secrets")
    listing.add_argument("--entity", required=True)
    listing.set_defaults(run=list_tokens)
    for action, run, text in (
        ("disable", disable_token, "refuse its exchanges from now on"),
        ("enable", enable_token, "accept its exchanges again"),
        ("delete", delete_token, "delete it for good"),
    ):
        sub = actions.add_parser(action, parents=[parent], help=text)
        sub.add_argument("id")
        sub.set_defaults(run=run)


async def _tokens(args: argparse.Namespace) -> tuple[Core, ApiTokens]:
    core = await open_core(args)
    return core, core.api_tokens()


def _confirm_never() -> None:
    """A token that never expires must be a deliberate choice: ask, and refuse without a yes.

    The question goes to stderr and only to a terminal; piped input may still answer it.
    """
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise CommandError("not confirmed: a token that never expires needs a yes (or --yes)")
    if stdin.isatty():
        print("This API token will never expire. Create it? [y/N] ", end="", file=sys.stderr)
        sys.stderr.flush()
    if stdin.readline().strip().lower() not in ("y", "yes"):
        raise CommandError("not confirmed: a token that never expires needs a yes (or --yes)")


def _days(args: argparse.Namespace, core: Core) -> int | None:
    """As asked: the core checks it with the other fields (`in_flags` words its refusal)."""
    if args.never:
        return None
    return core.settings.api_token_days if args.days is None else int(args.days)


# The request fields the core names in its refusals, as this command's flags name them: an
# operator typed `--days`, and must not be told about `expires_in_days`.
EXPIRY = "expires_in_days"
FLAGS = {
    EXPIRY: "--days",
    "user.id": "--user",
    "user.name": "--user (the name after ':')",
    "rights": "--rights",
    "name": "--name",
}


def in_flags(description: str) -> str:
    for field, flag in FLAGS.items():
        if description.startswith(field + " ") or description.startswith(field + ":"):
            said = flag + description[len(field) :]
            return said.replace(", or null", " (or use --never)") if field == EXPIRY else said
    return description


def refusal(exc: ProtocolError) -> CommandError:
    """Every field the core refused, one line each, in this command's flags."""
    problems = exc.problems if isinstance(exc, InvalidFields) else [exc.description]
    return CommandError("\n".join(in_flags(p) for p in problems))


async def create_token(args: argparse.Namespace) -> None:
    user_id, _, user_name = args.user.partition(":")
    if args.never and not args.yes:
        _confirm_never()
    core, tokens = await _tokens(args)
    entity = await core.store.get_entity(args.entity)
    if entity is None:
        raise CommandError(f"no such entity: {args.entity}")
    try:
        issued = await tokens.issue(
            entity,
            name=args.name,
            user_id=user_id,
            user_name=user_name or None,
            rights=[r.strip() for r in args.rights.split(",") if r.strip()],
            expires_in_days=_days(args, core),
        )
    except ProtocolError as exc:
        raise refusal(exc) from None
    record = issued.record
    data = {
        "id": record.id,
        "name": record.name,
        "token": issued.token,
        "expires_at": expires_at(record),
    }
    emit(args, data, _created_text(record, issued.token))


def _created_text(record: ApiTokenRecord, token: str) -> str:
    return (
        f"api token  {record.id}  {record.name}\n"
        f"user       {record.user_id} ({record.user_name})  rights {','.join(record.rights)}\n"
        f"expires    {utc_minute(record.expires, 'never')}\n"
        f"token      {token}\n"
        "The token is shown only now; keep it where the background job runs."
    )


async def list_tokens(args: argparse.Namespace) -> None:
    core, tokens = await _tokens(args)
    if await core.store.get_entity(args.entity) is None:
        raise CommandError(f"no such entity: {args.entity}")
    records = await tokens.of_entity(args.entity)
    lines = [
        f"{r.id}  {r.name}  user={r.user_id}  rights={','.join(r.rights)}"
        f"  expires={utc_minute(r.expires, 'NEVER')}  last-used={utc_minute(r.last_used, '-')}"
        f"{'  DISABLED' if r.disabled else ''}"
        for r in records
    ]
    emit(args, [describe(r) for r in records], "\n".join(lines) or "no API tokens")


async def _set_disabled(args: argparse.Namespace, disabled: bool) -> None:
    _, tokens = await _tokens(args)
    try:
        record = await tokens.set_disabled(args.id, disabled)
    except ProtocolError as exc:
        raise refusal(exc) from None
    emit(args, describe(record), f"{'disabled' if disabled else 'enabled'} {record.id}")


async def disable_token(args: argparse.Namespace) -> None:
    await _set_disabled(args, True)


async def enable_token(args: argparse.Namespace) -> None:
    await _set_disabled(args, False)


async def delete_token(args: argparse.Namespace) -> None:
    _, tokens = await _tokens(args)
    try:
        await tokens.delete(args.id)
    except ProtocolError as exc:
        raise refusal(exc) from None
    emit(args, {"id": args.id, "deleted": True}, f"deleted {args.id}")
