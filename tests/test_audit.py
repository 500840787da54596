"""`audit.record`, the one way a change is written to the trail: its checks, and the actors of
the three front doors (the CLI, the console, the signed API-token endpoints)."""

from __future__ import annotations

import pytest

from planner_bridge import audit
from planner_bridge.clock import FrozenClock
from planner_bridge.serving import blocking
from planner_bridge.storage import AuditEvent
from planner_bridge.storage.sqlite import SQLiteStore
from test_api_tokens import signed


@pytest.fixture
def store(tmp_path):
    opened = blocking(SQLiteStore.open(tmp_path / "store.sqlite3"))
    yield opened
    blocking(opened.close())


def test_record_stamps_the_time_and_lists_newest_first(store):
    clock = FrozenClock()
    first = blocking(audit.record(store, clock, entity_id="ent_1", actor="cli",
                                  action=audit.KEY_CREATED, object_id="pbk_1"))  # fmt: skip
    clock.advance(5)
    second = blocking(audit.record(store, clock, entity_id="ent_1", actor="ada",
                                   action=audit.KEY_REVOKED, object_id="pbk_1"))  # fmt: skip
    assert second == AuditEvent("ent_1", clock.now(), "ada", "key.revoked", "pbk_1")
    assert blocking(audit.recent(store, "ent_1")) == [second, first]
    assert audit.describe(second) == {
        "at": int(clock.now()), "actor": "ada", "action": "key.revoked",
        "entity": "ent_1", "object": "pbk_1",
    }  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "key.stolen"},
        {"actor": ""},
        {"object_id": ""},
        {"entity_id": "e" * 513},
    ],
)
def test_a_programming_mistake_writes_nothing(store, fields):
    values = dict(entity_id="ent_1", actor="cli", action=audit.KEY_CREATED, object_id="pbk_1")
    with pytest.raises(ValueError):
        blocking(audit.record(store, FrozenClock(), **{**values, **fields}))
    assert blocking(audit.recent(store, "ent_1")) == []


def test_every_action_is_named_in_the_actions(store):
    names = {v for k, v in vars(audit).items() if k.isupper() and isinstance(v, str) and "." in v}
    assert names == audit.ACTIONS and len(names) == 16


def test_the_signed_api_names_the_key_that_signed(planner, shop):
    created = signed(planner, shop, "POST", "/v1/api-tokens", {"name": "n", "user": {"id": "u"}})
    assert created.status_code == 201
    token_id = created.json()["id"]
    assert signed(planner, shop, "DELETE", f"/v1/api-tokens/{token_id}").status_code == 204
    trail = blocking(planner.core.store.list_audit_events(shop.entity.id))
    assert [(e.actor, e.action, e.object_id) for e in trail[:2]] == [
        (f"api-key:{shop.key_id}", "api_token.deleted", token_id),
        (f"api-key:{shop.key_id}", "api_token.created", token_id),
    ]
    assert created.json()["token"] not in repr(trail)
