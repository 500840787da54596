"""`planner-bridge entity set` and `audit list` against a running planner origin's data dir:
origins change without a new entity (the planner's frame-ancestors follows), every change is in
the audit trail, newest first, and no audit row ever holds a secret, a token or a password.
Every mistake in a command is reported at once, one line each."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from support import HOST_ORIGIN, wait_until
from test_api_token_cli import cli
from test_several_instances import cli_json, instances, shared

__all__ = [
    "cli",
    "instances",
    "shared",
]  # fixtures, from test_api_token_cli and test_several_instances


@pytest.fixture
def pg_shop(shared) -> dict:
    origin = "http://localhost:8000"
    return cli_json(shared, "entity", "create", "Shop", "--origin", origin)


def run_json(cli, *argv: str):
    code, out, err = cli(*argv, "--json")
    assert code == 0, err
    return json.loads(out)


def frame_ancestors(planner, entity_id: str) -> str:
    page = httpx.get(planner.url + "/planner/", params={"entity": entity_id})
    policy = page.headers["content-security-policy"]
    return next(p for p in policy.split(";") if p.strip().startswith("frame-ancestors")).strip()


def test_entity_set_changes_origins_and_name_and_the_planner_follows(planner, shop, cli):
    entity = shop.entity.id
    changed = run_json(
        cli, "entity", "set", entity, "--name", "Küchen Müller 🛋️",
        "--add-origin", "https://www.shop.example", "--add-origin", "https://staging.shop.example:8443",
    )  # fmt: skip
    assert changed["name"] == "Küchen Müller 🛋️"
    assert changed["origins"] == [
        HOST_ORIGIN, "https://www.shop.example", "https://staging.shop.example:8443",
    ]  # fmt: skip
    assert "https://www.shop.example" in frame_ancestors(planner, entity)
    removed = run_json(cli, "entity", "set", entity, "--remove-origin", HOST_ORIGIN)
    assert HOST_ORIGIN not in removed["origins"]
    assert HOST_ORIGIN not in frame_ancestors(planner, entity)
    events = run_json(cli, "audit", "list", "--entity", entity)
    assert [(e["action"], e["object"]) for e in events[:4]] == [
        ("origin.removed", HOST_ORIGIN),
        ("origin.added", "https://staging.shop.example:8443"),
        ("origin.added", "https://www.shop.example"),
        ("entity.changed", "name"),
    ]
    assert all(e["actor"] == "cli" and e["entity"] == entity for e in events)
    assert events[-1]["action"] == "entity.created"  # newest first: creation comes last


def test_entity_set_changes_the_dpop_policy_and_token_requests_follow(planner, shop, cli):
    entity = shop.entity.id
    assert run_json(cli, "entity", "set", entity, "--dpop", "required")["dpop"] == "required"
    listed = {e["id"]: e for e in run_json(cli, "entity", "list")}
    assert listed[entity]["dpop"] == "required"

    def unbound_token_request() -> httpx.Response:
        return httpx.post(
            planner.url + "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=(shop.key_id, shop.secret),
        )

    # Policies are remembered a second at most (EntityRegistry.requires_dpop and the key cache).
    refused = wait_until(lambda: unbound_token_request().status_code == 400, timeout=5)
    assert refused and "DPoP" in unbound_token_request().json()["error_description"]
    assert run_json(cli, "entity", "set", entity, "--dpop", "optional")["dpop"] == "optional"
    assert wait_until(lambda: unbound_token_request().status_code == 200, timeout=5)
    events = run_json(cli, "audit", "list", "--entity", entity)
    assert [(e["action"], e["object"]) for e in events[:2]] == [
        ("entity.changed", "dpop"),
        ("entity.changed", "dpop"),
    ]


def test_entity_set_reports_every_mistake_at_once_and_changes_nothing(planner, shop, cli):
    code, out, err = cli(
        "entity", "set", shop.entity.id, "--name", "admin\u202egnp.exe",
        "--add-origin", "javascript:alert(1)", "--remove-origin", "https://never.example",
    )  # fmt: skip
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 3, err
    assert lines[0].startswith("planner-bridge: --name must not contain control characters")
    assert lines[1].startswith("planner-bridge: --add-origin: not an origin")
    assert lines[2] == (
        f"planner-bridge: --remove-origin: https://never.example is not registered"
        f" for {shop.entity.id}"
    )
    code, _, err = cli("entity", "set", shop.entity.id, "--remove-origin", HOST_ORIGIN)
    assert code == 1 and "at least one origin" in err
    entity = run_json(cli, "entity", "list")[0]
    assert entity["name"] == shop.entity.name and entity["origins"] == [HOST_ORIGIN]
    assert run_json(cli, "audit", "list", "--entity", shop.entity.id)[0]["action"] == "key.created"


def test_entity_set_of_an_unknown_entity_is_refused(planner, shop, cli):
    code, _, err = cli("entity", "set", "ent_nope", "--name", "x")
    assert code == 1 and err == "planner-bridge: no such entity: ent_nope\n"
    code, _, err = cli("audit", "list", "--entity", "ent_nope")
    assert code == 1 and err == "planner-bridge: no such entity: ent_nope\n"


def test_api_token_create_reports_every_mistake_at_once(planner, shop, cli):
    code, out, err = cli(
        "api-token", "create", "--entity", shop.entity.id, "--user", "alice",
        "--name", "", "--rights", "read,delete", "--days", "99999",
    )  # fmt: skip
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "planner-bridge: --rights: unknown right 'delete'",
        "planner-bridge: --name must be a string of 1 to 200 characters",
        "planner-bridge: --days must be a whole number from 1 to 3650 (or use --never)",
    ]
    assert run_json(cli, "api-token", "list", "--entity", shop.entity.id) == []


def test_the_audit_trail_names_every_change_and_never_a_secret(planner, shop, cli):
    entity = shop.entity.id
    key = run_json(cli, "key", "create", entity, "--comment", "staging")
    token = run_json(
        cli, "api-token", "create", "--entity", entity, "--user", "alice", "--name", "sync"
    )  # fmt: skip
    for action in ("disable", "enable", "delete"):
        run_json(cli, "api-token", action, token["id"])
    admin = run_json(cli, "admin", "create", "--entity", entity, "--username", "carol")
    run_json(cli, "admin", "delete", "carol")
    run_json(cli, "key", "revoke", key["api_key"])
    run_json(cli, "entity", "set", entity, "--add-origin", "https://www.shop.example")

    events = run_json(cli, "audit", "list", "--entity", entity)
    assert [(e["action"], e["object"]) for e in reversed(events)] == [
        ("entity.created", entity),
        ("origin.added", HOST_ORIGIN),
        ("key.created", shop.key_id),
        ("key.created", key["api_key"]),
        ("api_token.created", token["id"]),
        ("api_token.disabled", token["id"]),
        ("api_token.enabled", token["id"]),
        ("api_token.deleted", token["id"]),
        ("admin.created", "carol"),
        ("admin.deleted", "carol"),
        ("key.revoked", key["api_key"]),
        ("origin.added", "https://www.shop.example"),
    ]
    secrets = [shop.secret, key["secret"], token["token"], admin["password"]]
    secrets += [token["token"].split(".")[2]]  # not even the token's signature
    with sqlite3.connect(planner.core.settings.data_dir / "planner-bridge.sqlite3") as db:
        rows = db.execute("SELECT * FROM audit_events WHERE entity_id = ?", (entity,)).fetchall()
    assert len(rows) == len(events)
    stored = repr(rows) + json.dumps(events)
    assert not [s for s in secrets if s in stored]


def test_an_origin_set_on_postgresql_reaches_every_instance_at_once(shared, instances, pg_shop):
    """Nothing per instance caches an entity's origins for the planner page: both instances
    answer the new frame-ancestors on the very next request, and the audit row is shared."""
    entity = pg_shop["id"]
    cli_json(shared, "entity", "set", entity, "--add-origin", "https://www.shop.example")
    for url in instances:
        page = httpx.get(url + "/planner/", params={"entity": entity})
        assert "https://www.shop.example" in page.headers["content-security-policy"], url
    cli_json(shared, "entity", "set", entity, "--remove-origin", "https://www.shop.example")
    for url in instances:
        page = httpx.get(url + "/planner/", params={"entity": entity})
        assert "https://www.shop.example" not in page.headers["content-security-policy"], url
    events = cli_json(shared, "audit", "list", "--entity", entity)
    assert [e["action"] for e in events[:2]] == ["origin.removed", "origin.added"]
