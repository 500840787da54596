"""The audit trail (SPEC "Operating it"): who changed which of an entity's credentials or
settings, and when. One call records a change, from wherever the change is made:

    await audit.record(store, clock, entity_id=..., actor=..., action=audit.KEY_REVOKED,
                       object_id=key_id)

`actor` is the administrator's username, or `audit.CLI` for the command line; `object_id` names
the object changed (a key id, an API token id, an origin, an administrator's or a user's id) and
never a secret, a token or a password: ids are public (a key id is every token's `client_id`).
Recorded after the change succeeded, by the domain calls themselves (`EntityRegistry`,
`ApiTokens`, `AdminBook`, the console's sign-in), so the CLI and the console record alike.
"""

from __future__ import annotations

from typing import Any

from .clock import Clock
from .storage import AuditEvent, Store

CLI = "cli"  # the actor of every change made with the `planner-bridge` command

ENTITY_CREATED = "entity.created"
ENTITY_CHANGED = "entity.changed"  # name or settings; `object_id` says which ("name", "dpop")
ORIGIN_ADDED = "origin.added"
ORIGIN_REMOVED = "origin.removed"
KEY_CREATED = "key.created"
KEY_REVOKED = "key.revoked"
API_TOKEN_CREATED = "api_token.created"
API_TOKEN_DISABLED = "api_token.disabled"
API_TOKEN_ENABLED = "api_token.enabled"
API_TOKEN_DELETED = "api_token.deleted"
USER_SIGNED_OUT = "user.signed_out"  # "sign out everywhere": `object_id` is the user's id
TOKEN_REVOKED = "token.revoked"  # one access token (RFC 7009): `object_id` is its jti
ADMIN_CREATED = "admin.created"
ADMIN_DELETED = "admin.deleted"
ADMIN_SIGNED_IN = "admin.signed_in"
ADMIN_SIGNED_OUT = "admin.signed_out"

ACTIONS = frozenset(
    {
        ENTITY_CREATED, ENTITY_CHANGED, ORIGIN_ADDED, ORIGIN_REMOVED, KEY_CREATED, KEY_REVOKED,
        API_TOKEN_CREATED, API_TOKEN_DISABLED, API_TOKEN_ENABLED, API_TOKEN_DELETED,
        USER_SIGNED_OUT, TOKEN_REVOKED, ADMIN_CREATED, ADMIN_DELETED, ADMIN_SIGNED_IN,
        ADMIN_SIGNED_OUT,
    }
)  # fmt: skip
MAX_FIELD_LENGTH = 512  # an id, a username or an origin (at most 267 characters) fits
DEFAULT_LIMIT = 100


async def record(
    store: Store, clock: Clock, *, entity_id: str, actor: str, action: str, object_id: str
) -> AuditEvent:
    """Add one event to `entity_id`'s trail, stamped now. A programmer's mistake (an unknown
    action, an empty actor) raises ValueError rather than writing a row nobody can read."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action: {action!r}")
    for name, value in (("entity_id", entity_id), ("actor", actor), ("object_id", object_id)):
        if not value or len(value) > MAX_FIELD_LENGTH:
            raise ValueError(f"audit {name} must be 1 to {MAX_FIELD_LENGTH} characters")
    event = AuditEvent(entity_id, clock.now(), actor, action, object_id)
    await store.add_audit_event(event)
    return event


def signed_by(key_id: str) -> str:
    """The actor of a change asked for by a request signed with an API key (the HTTP API)."""
    return f"api-key:{key_id}"


async def recent(store: Store, entity_id: str, limit: int = DEFAULT_LIMIT) -> list[AuditEvent]:
    """The entity's latest events, newest first."""
    return await store.list_audit_events(entity_id, limit)


def describe(event: AuditEvent) -> dict[str, Any]:
    """An event as `audit list --json` shows it."""
    return {
        "at": int(event.at),
        "actor": event.actor,
        "action": event.action,
        "entity": event.entity_id,
        "object": event.object_id,
    }
