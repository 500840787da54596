"""`planner-bridge entity ...`, `key ...` and `keys rotate`."""

from __future__ import annotations

import argparse
from typing import Any

from ..clients.entity_settings import EntityChange, EntityChangeRefused, change_entity
from ..clock import utc_minute
from ..errors import ProtocolError
from ..storage import ApiKey, Entity
from .common import CommandError, emit, open_core

DPOP_POLICIES = ("required", "optional")


def dpop_policy(entity: Entity) -> str:
    return "required" if entity.dpop_required else "optional"


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    _register_entity(commands, parent)
    _register_keys(commands, parent)


def _register_entity(commands: Any, parent: argparse.ArgumentParser) -> None:
    entity = commands.add_parser("entity", help="legal entities (shops)").add_subparsers(
        dest="action", required=True
    )
    create = entity.add_parser("create", parents=[parent], help="register a legal entity")
    create.add_argument("name")
    create.add_argument(
        "--origin",
        action="append",
        required=True,
        help="a web origin allowed to embed the planner (repeatable)",
    )
    create.add_argument(
        "--allow-write", action="store_true", help="let this entity ask for write rights"
    )
    create.add_argument(
        "--dpop",
        choices=DPOP_POLICIES,
        default="optional",
        help="required: tokens only bound to the planner's key (DPoP), no Bearer tokens",
    )
    create.set_defaults(run=create_entity)
    entity.add_parser("list", parents=[parent], help="list legal entities").set_defaults(
        run=list_entities
    )
    change = entity.add_parser(
        "set", parents=[parent], help="change an entity's name, origins or DPoP policy"
    )
    change.add_argument("entity")
    change.add_argument("--name", help="a new name")
    for flag, text in (("--add-origin", "register"), ("--remove-origin", "unregister")):
        change.add_argument(
            flag, action="append", default=[], metavar="URL", help=f"{text} an origin (repeatable)"
        )
    change.add_argument(
        "--dpop", choices=DPOP_POLICIES, help="required: only tokens bound to the planner's key"
    )
    change.set_defaults(run=set_entity)


def _register_keys(commands: Any, parent: argparse.ArgumentParser) -> None:
    key = commands.add_parser("key", help="API keys").add_subparsers(dest="action", required=True)
    key_create = key.add_parser("create", parents=[parent], help="a new key/secret for an entity")
    key_create.add_argument("entity")
    key_create.add_argument("--comment", default="", help="what the key is for (traceability)")
    key_create.set_defaults(run=create_key)
    key_list = key.add_parser("list", parents=[parent], help="an entity's keys, no secrets")
    key_list.add_argument("entity")
    key_list.set_defaults(run=list_keys)
    key_revoke = key.add_parser("revoke", parents=[parent], help="revoke an API key at once")
    key_revoke.add_argument("key")
    key_revoke.set_defaults(run=revoke_key)

    keys = commands.add_parser("keys", help="token signing keys").add_subparsers(
        dest="action", required=True
    )
    rotate = keys.add_parser("rotate", parents=[parent], help="start signing with a new key")
    rotate.add_argument(
        "--drop-old",
        action="store_true",
        help="stop accepting tokens signed by older keys at once (after a leak)",
    )
    rotate.set_defaults(run=rotate_keys)


def _entity_json(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "origins": list(entity.origins),
        "allow_write": entity.allow_write,
    }


async def create_entity(args: argparse.Namespace) -> None:
    core = await open_core(args, create=True)
    entity, key = await core.entities.create(
        args.name,
        args.origin,
        allow_write=args.allow_write,
        dpop_required=args.dpop == "required",
    )
    data = {**_entity_json(entity), "api_key": key.key_id, "secret": key.secret}
    emit(
        args,
        data,
        (
            f"entity   {entity.id}  {entity.name}\n"
            f"origins  {' '.join(entity.origins)}\n"
            f"write    {'allowed' if entity.allow_write else 'not allowed'}\n"
            f"dpop     {dpop_policy(entity)}\n"
            f"api key  {key.key_id}\n"
            f"secret   {key.secret}\n"
            "The secret is shown only now; keep it on the shop's back-end."
        ),
    )


async def set_entity(args: argparse.Namespace) -> None:
    change = EntityChange(
        name=args.name,
        add_origins=tuple(args.add_origin),
        remove_origins=tuple(args.remove_origin),
        dpop_required=None if args.dpop is None else args.dpop == "required",
    )
    core = await open_core(args)
    try:
        entity = await change_entity(core.store, core.clock, args.entity, change)
    except EntityChangeRefused as refused:
        raise CommandError("\n".join(_in_flags(p) for p in refused.problems)) from None
    emit(
        args,
        {**_entity_json(entity), "dpop": dpop_policy(entity)},
        f"entity   {entity.id}  {entity.name}\norigins  {' '.join(entity.origins)}\n"
        f"dpop     {dpop_policy(entity)}",
    )


def _in_flags(problem: str) -> str:
    """A refusal in the words of this command's flags."""
    for word, flag in (("name ", "--name "), ("add origin:", "--add-origin:")):
        if problem.startswith(word):
            return flag + problem[len(word) :]
    return problem.replace("remove origin:", "--remove-origin:", 1)


async def list_entities(args: argparse.Namespace) -> None:
    core = await open_core(args)
    rows = []
    for entity in await core.store.list_entities():
        keys = [k.key_id for k in await core.store.list_api_keys(entity.id) if k.active]
        rows.append({**_entity_json(entity), "dpop": dpop_policy(entity), "api_keys": keys})
    text = (
        "\n".join(
            f"{r['id']}  {r['name']}  {' '.join(r['origins'])}"
            f"  write={'yes' if r['allow_write'] else 'no'}  dpop={r['dpop']}"
            f"  keys={','.join(r['api_keys']) or '-'}"
            for r in rows
        )
        or "no entities"
    )
    emit(args, rows, text)


async def create_key(args: argparse.Namespace) -> None:
    try:
        key = await (await open_core(args)).entities.issue_key(args.entity, args.comment)
    except ProtocolError as exc:
        raise CommandError(exc.description) from None
    emit(
        args,
        {"entity": args.entity, "api_key": key.key_id, "secret": key.secret},
        f"api key  {key.key_id}\nsecret   {key.secret}\nThe secret is shown only now.",
    )


def key_json(key: ApiKey) -> dict[str, Any]:
    """A key as lists show it (the CLI's and the console's): never its secret."""
    return {
        "api_key": key.key_id,
        "comment": key.comment,
        "created": int(key.created),
        "last_used": None if key.last_used is None else int(key.last_used),
        "revoked": None if key.revoked is None else int(key.revoked),
    }


async def list_keys(args: argparse.Namespace) -> None:
    core = await open_core(args)
    if await core.store.get_entity(args.entity) is None:
        raise LookupError(f"no such entity: {args.entity}")
    keys = await core.store.list_api_keys(args.entity)
    lines = [
        f"{k.key_id}  created {utc_minute(k.created)}  last used {utc_minute(k.last_used, 'never')}"
        f"  {'revoked ' + utc_minute(k.revoked) if k.revoked else 'active'}  {k.comment or '-'}"
        for k in keys
    ]
    emit(args, [key_json(k) for k in keys], "\n".join(lines) or "no API keys")


async def revoke_key(args: argparse.Namespace) -> None:
    await (await open_core(args)).entities.revoke_key(args.key)
    emit(args, {"api_key": args.key, "revoked": True}, f"revoked {args.key}")


async def rotate_keys(args: argparse.Namespace) -> None:
    key = await (await open_core(args)).keyring.rotate(drop_old=args.drop_old)
    emit(
        args,
        {"kid": key.kid, "alg": key.alg, "dropped_old": args.drop_old},
        f"now signing with {key.kid} ({key.alg})",
    )
