"""The rights matrix: every token kind x right x operation x owner, each status, and that nothing
changed where it must not (SPEC "Planner web services")."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from asset_helpers import READ, WRITE, bearer, mint, seed_asset
from planner_bridge.serving import blocking
from planner_bridge.storage import Asset

# Tokens: (kind, rights). Users are "alice" (the token's user) and "bob" (another user).
TOKENS = {
    "entity-read": (None, READ),
    "entity-write": (None, WRITE),
    "user-read": ("alice", READ),
    "user-write": ("alice", WRITE),
}

# Targets: (which entity, owner).
TARGETS = {
    "catalog": ("shop", None),
    "own": ("shop", "alice"),
    "other-user": ("shop", "bob"),
    "other-entity-catalog": ("other", None),
    "other-entity-same-user-id": ("other", "alice"),  # user ids are scoped by entity
}

# Expected status of (GET, PATCH, DELETE) for each token on each target, written out by hand.
EXPECTED = {
    "entity-read": {
        "catalog": (200, 403, 403),
        "own": (404, 403, 403),
        "other-user": (404, 403, 403),
        "other-entity-catalog": (404, 403, 403),
        "other-entity-same-user-id": (404, 403, 403),
    },
    "entity-write": {
        "catalog": (200, 200, 204),
        "own": (404, 404, 404),
        "other-user": (404, 404, 404),
        "other-entity-catalog": (404, 404, 404),
        "other-entity-same-user-id": (404, 404, 404),
    },
    "user-read": {
        "catalog": (200, 403, 403),
        "own": (200, 403, 403),
        "other-user": (404, 403, 403),
        "other-entity-catalog": (404, 403, 403),
        "other-entity-same-user-id": (404, 403, 403),
    },
    "user-write": {
        "catalog": (200, 403, 403),
        "own": (200, 200, 204),
        "other-user": (404, 404, 404),
        "other-entity-catalog": (404, 404, 404),
        "other-entity-same-user-id": (404, 404, 404),
    },
}
OPERATIONS = ("GET", "PATCH", "DELETE")

CASES = [(token, target, op) for token in TOKENS for target in TARGETS for op in OPERATIONS]


@dataclasses.dataclass
class World:
    url: str
    core: object
    entities: dict[str, str]
    assets: dict[str, Asset]

    def token(self, name: str) -> str:
        user, rights = TOKENS[name]
        return mint(self.core, self.entities["shop"], rights=rights, user=user)  # type: ignore[arg-type]


@pytest.fixture
def world(planner, shop) -> World:
    other, _ = blocking(
        planner.core.entities.create("Other Store", ["http://127.0.0.1:9"], allow_write=True)
    )
    entities = {"shop": shop.entity.id, "other": other.id}
    assets = {
        name: seed_asset(planner.core, entities[where], owner, name=name)
        for name, (where, owner) in TARGETS.items()
    }
    return World(planner.url, planner.core, entities, assets)


def _call(world: World, token: str, op: str, asset: Asset) -> httpx.Response:
    url = f"{world.url}/v1/assets/{asset.id}"
    if op == "PATCH":
        return httpx.patch(url, json={"name": "Changed"}, headers=bearer(token))
    return httpx.request(op, url, headers=bearer(token))


WHY_403 = {
    "this token has no write right",
    "this token may read this asset but not change it",
}


def _assert_refusal_shape(response: httpx.Response) -> None:
    if response.status_code == 403:
        assert response.json()["error"] == "insufficient_scope"
        assert response.json()["error_description"] in WHY_403
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    if response.status_code == 404:
        assert response.json() == {"error": "not_found", "error_description": "no such asset"}


@pytest.mark.parametrize(("token", "target", "op"), CASES)
def test_rights_matrix(world, token, target, op):
    before = world.assets[target]
    expected = EXPECTED[token][target][OPERATIONS.index(op)]

    response = _call(world, world.token(token), op, before)

    assert response.status_code == expected, response.text
    _assert_refusal_shape(response)
    after = blocking(world.core.store.get_asset(before.id))
    if op == "GET" or expected >= 400:
        assert after == before  # nothing changed
    elif op == "PATCH":
        assert after.name == "Changed" and after.version == 2
        assert response.json()["name"] == "Changed"
    else:
        assert after is None
    if op == "GET" and expected == 200:
        assert response.json()["id"] == before.id and response.json()["data"] == before.data


EXPECTED_LISTS = {
    "entity-read": {"catalog"},
    "entity-write": {"catalog"},
    "user-read": {"catalog", "own"},
    "user-write": {"catalog", "own"},
}


@pytest.mark.parametrize("token", TOKENS)
def test_list_shows_exactly_what_the_token_may_see(world, token):
    response = httpx.get(f"{world.url}/v1/assets", headers=bearer(world.token(token)))

    assert response.status_code == 200
    names = {a["name"] for a in response.json()["assets"]}
    assert names == EXPECTED_LISTS[token]


EXPECTED_CREATE = {
    "entity-read": (403, None),
    "entity-write": (201, None),
    "user-read": (403, None),
    "user-write": (201, "alice"),
}


@pytest.mark.parametrize("token", TOKENS)
def test_create_needs_write_and_belongs_to_the_caller(world, token):
    count = len(
        blocking(world.core.store.list_assets(world.entities["shop"], (None, "alice", "bob")))
    )
    response = httpx.post(
        f"{world.url}/v1/assets",
        json={"name": "New", "kind": "chair"},
        headers=bearer(world.token(token)),
    )

    status, owner = EXPECTED_CREATE[token]
    assert response.status_code == status, response.text
    _assert_refusal_shape(response)
    stored = blocking(world.core.store.list_assets(world.entities["shop"], (None, "alice", "bob")))
    if status == 201:
        assert response.json()["owner"] == owner
        assert response.json()["entity"] == world.entities["shop"]
        assert blocking(world.core.store.get_asset(response.json()["id"])).owner_id == owner
        assert len(stored) == count + 1
    else:
        assert len(stored) == count


@pytest.mark.parametrize("user", [None, "alice"])
def test_write_tokens_of_an_entity_without_write_permission_change_nothing(
    planner, readonly_shop, user
):
    # Such tokens are never minted by the token service; the web services refuse them anyway.
    entity_id = readonly_shop.entity.id
    asset = seed_asset(planner.core, entity_id, user)
    token = mint(planner.core, entity_id, rights=WRITE, user=user)
    url = f"{planner.url}/v1/assets"

    created = httpx.post(url, json={"name": "New", "kind": "chair"}, headers=bearer(token))
    patched = httpx.patch(f"{url}/{asset.id}", json={"name": "X"}, headers=bearer(token))
    deleted = httpx.delete(f"{url}/{asset.id}", headers=bearer(token))
    read = httpx.get(f"{url}/{asset.id}", headers=bearer(token))

    assert [created.status_code, patched.status_code, deleted.status_code] == [403, 403, 403]
    for refused in (created, patched, deleted):
        assert refused.json()["error_description"] == "this legal entity may not write"
    assert read.status_code == 200
    assert blocking(planner.core.store.get_asset(asset.id)) == asset
    assert blocking(planner.core.store.list_assets(entity_id, (None, "alice"))) == [asset]
