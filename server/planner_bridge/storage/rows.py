"""Records <-> rows, one place per table, for both backends.

A row is what either driver hands back (`sqlite3.Row`, `asyncpg.Record`: both read by column
name), and what is written is a tuple in the table's column order. The two dialects differ in
two ways only, settled here once: booleans (SQLite keeps 0/1, so they are read back through
`bool`) and binary columns (read back through `bytes`, whatever buffer the driver gives).
Times are epoch seconds on both (REAL, DOUBLE PRECISION). JSON documents are stored as text,
so they come back byte for byte as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from . import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    Entity,
    Headers,
    IdempotentAnswer,
    SigningKeyRecord,
)


class Row(Protocol):
    """A row as both drivers give it: its columns by name."""

    def keys(self) -> Iterable[str]: ...
    def __getitem__(self, column: str, /) -> Any: ...


Values = tuple[Any, ...]


def entity_values(entity: Entity) -> Values:
    origins = json.dumps(entity.origins)
    e = entity
    return (e.id, e.name, origins, e.allow_write, e.created, e.dpop_required)


def entity(row: Row) -> Entity:
    return Entity(
        id=row["id"],
        name=row["name"],
        origins=tuple(json.loads(row["origins"])),
        allow_write=bool(row["allow_write"]),
        created=row["created"],
        dpop_required=bool(row["dpop_required"]),
    )


def api_key_values(key: ApiKey) -> Values:
    return (key.key_id, key.entity_id, key.created, key.revoked, key.comment, key.last_used)


def api_key(row: Row) -> ApiKey:
    return ApiKey(**dict(row))


def admin_values(admin: Administrator) -> Values:
    return (admin.username, admin.entity_id, admin.password_hash, admin.created)


def admin(row: Row) -> Administrator:
    return Administrator(**dict(row))


def admin_session_values(session: AdminSession) -> Values:
    s = session
    return (s.id_hash, s.username, s.entity_id, s.created, s.last_seen)


def admin_session(row: Row) -> AdminSession:
    return AdminSession(**dict(row))


def api_token_values(record: ApiTokenRecord) -> Values:
    r = record
    rights = " ".join(r.rights)
    return (
        r.id, r.entity_id, r.user_id, r.user_name, r.name, rights, r.created, r.expires,
        r.last_used, r.disabled,
    )  # fmt: skip


def api_token(row: Row) -> ApiTokenRecord:
    values = dict(row)
    values["rights"] = tuple(values["rights"].split())
    values["disabled"] = bool(values["disabled"])
    return ApiTokenRecord(**values)


def asset_values(asset: Asset) -> Values:
    a = asset
    data = json.dumps(a.data)
    return (a.id, a.entity_id, a.owner_id, a.name, a.kind, data, a.created, a.updated, a.version)


def asset_changes(asset: Asset) -> Values:
    """What an update writes (name, kind, data, updated, version), then the id and the version
    it must replace."""
    a = asset
    return (a.name, a.kind, json.dumps(a.data), a.updated, a.version, a.id, a.version - 1)


def asset(row: Row) -> Asset:
    values = dict(row)
    values["data"] = json.loads(values["data"])
    return Asset(**values)


def answer_values(answer: AnswerRecord) -> Values:
    """What turns a reservation into its answer (status, body, expires, headers), then the
    reservation it must be (scope, key, owner)."""
    a = answer
    headers = json.dumps([list(pair) for pair in a.headers])
    return (a.status, a.body, a.expires, headers, a.scope, a.key, a.owner)


def idempotent_answer(row: Row) -> IdempotentAnswer:
    return IdempotentAnswer(
        row["request_hash"], row["status"], bytes(row["body"]), row["created"],
        headers(row["headers"]),
    )  # fmt: skip


def headers(stored: str) -> Headers:
    return tuple((str(name), str(value)) for name, value in json.loads(stored))


def signing_key_values(record: SigningKeyRecord) -> Values:
    r = record
    return (r.kid, r.alg, r.created, r.retired, r.dropped, r.sealed_key)


def signing_key(row: Row) -> SigningKeyRecord:
    values = dict(row)
    values["dropped"] = bool(values["dropped"])
    values["sealed_key"] = bytes(values["sealed_key"])
    return SigningKeyRecord(**values)
