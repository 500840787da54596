"""`planner-bridge user sign-out --entity ENTITY --user USER`: every token of that user issued
until now is refused, on every instance, within a second (SPEC "Revocation within a second").
The user is the shop's own id for them (the `sub` of their user tokens, the user of their API
tokens); nothing about users is stored, so any id may be signed out."""

from __future__ import annotations

import argparse
from typing import Any

from .. import audit
from ..names import name_problem
from ..tokens.api_tokens import MAX_USER_ID_LENGTH
from .common import CommandError, emit, open_core


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    group = commands.add_parser("user", help="a shop's users, as their tokens name them")
    actions = group.add_subparsers(dest="action", required=True)
    sign_out = actions.add_parser(
        "sign-out", parents=[parent], help="revoke every token of the user issued until now"
    )
    sign_out.add_argument("--entity", required=True, help="the legal entity's id")
    sign_out.add_argument("--user", required=True, help="the user's id (the tokens' sub)")
    sign_out.set_defaults(run=sign_out_user)


async def sign_out_user(args: argparse.Namespace) -> None:
    problem = name_problem(args.user, "--user", MAX_USER_ID_LENGTH)  # the one rule for users
    if problem:
        raise CommandError(problem)
    core = await open_core(args)
    if await core.store.get_entity(args.entity) is None:
        raise LookupError(f"no such entity: {args.entity}")
    await core.revoker.revoke_user(args.entity, args.user, way="user sign-out", actor=audit.CLI)
    answer = {"entity": args.entity, "user": args.user, "signed_out": True}
    emit(args, answer, f"signed out {args.user} of {args.entity}: their tokens are refused")
