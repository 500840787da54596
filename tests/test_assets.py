"""The assets API over a real server: shapes, pagination, validation and RFC 6750 header errors."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from asset_helpers import READ, WRITE, bearer, mint, seed_asset
from planner_bridge.clock import FrozenClock
from planner_bridge.planner.assets import ASSET_ID, AssetCatalog
from planner_bridge.serving import blocking
from planner_bridge.storage import Entity
from planner_bridge.tokens.verification import AccessClaims

SHAPE = {"id", "entity", "owner", "name", "kind", "data", "created", "updated", "version"}


@pytest.fixture
def alice(planner, shop):
    """An httpx client with alice's write token on the planner origin."""
    token = mint(planner.core, shop.entity.id, rights=WRITE, user="alice")
    with httpx.Client(base_url=planner.url, headers=bearer(token)) as client:
        yield client


def create(client, name="Sofa", **extra) -> dict:
    response = client.post("/v1/assets", json={"name": name, "kind": "furniture", **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_then_read_back_in_the_documented_shape(alice, shop):
    created = create(alice, data={"width": 2.5, "tags": ["a"]})

    assert set(created) == SHAPE
    assert created["id"].startswith("ast_") and created["owner"] == "alice"
    assert created["entity"] == shop.entity.id and created["version"] == 1
    assert created["created"] == created["updated"]
    read = alice.get(f"/v1/assets/{created['id']}")
    assert read.json() == created
    assert read.headers["etag"] == '"1"' and read.headers["cache-control"] == "no-store"


def test_data_defaults_to_an_empty_object(alice):
    assert create(alice)["data"] == {}


def test_patch_changes_only_the_given_fields(alice):
    created = create(alice, data={"width": 2})

    patched = alice.patch(f"/v1/assets/{created['id']}", json={"name": "Couch"}).json()

    assert patched["name"] == "Couch" and patched["kind"] == "furniture"
    assert patched["data"] == {"width": 2} and patched["version"] == 2
    assert patched["created"] == created["created"] and patched["updated"] >= created["updated"]


def test_if_match_guards_patch_and_delete(alice, planner):
    asset = create(alice)
    url = f"/v1/assets/{asset['id']}"

    stale = alice.patch(url, json={"name": "B"}, headers={"If-Match": '"7"'})
    fresh = alice.patch(url, json={"name": "B"}, headers={"If-Match": '"1"'})
    stale_delete = alice.delete(url, headers={"If-Match": '"1"'})
    bad = alice.patch(url, json={"name": "C"}, headers={"If-Match": "soon"})

    assert stale.status_code == 412 and fresh.status_code == 200
    assert stale.json()["error_description"] == "If-Match: the asset is at version 1"
    assert stale_delete.status_code == 412 and bad.status_code == 400
    assert blocking(planner.core.store.get_asset(asset["id"])).version == 2
    assert alice.delete(url, headers={"If-Match": '"2"'}).status_code == 204


@pytest.mark.parametrize("value", ['"\u00b2"', '"1\u00b9"', "\u00b3", '"' + "1" * 5000 + '"'])
def test_if_match_with_non_ascii_digits_is_400(alice, planner, value):
    # Header bytes arrive as Latin-1, where \xb2 is "²": a digit to str.isdigit(), not to int().
    asset = create(alice)
    url = f"/v1/assets/{asset['id']}"
    header = [("If-Match", value.encode("latin-1"))]

    response = alice.patch(url, json={"name": "B"}, headers=header)

    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert blocking(planner.core.store.get_asset(asset["id"])).version == 1


def test_if_match_compares_strongly_so_a_weak_etag_never_matches(alice, planner):
    # RFC 9110 §13.1.1: If-Match uses the strong comparison; W/"1" is not "1".
    asset = create(alice)
    url = f"/v1/assets/{asset['id']}"

    weak = alice.patch(url, json={"name": "B"}, headers={"If-Match": 'W/"1"'})
    weak_delete = alice.delete(url, headers={"If-Match": 'W/"1"'})

    assert weak.status_code == 412 and weak_delete.status_code == 412
    assert blocking(planner.core.store.get_asset(asset["id"])).version == 1


def test_delete_then_the_asset_is_gone(alice, planner):
    asset = create(alice)

    assert alice.delete(f"/v1/assets/{asset['id']}").status_code == 204
    assert alice.get(f"/v1/assets/{asset['id']}").status_code == 404
    assert alice.delete(f"/v1/assets/{asset['id']}").status_code == 404
    assert blocking(planner.core.store.get_asset(asset["id"])) is None


def test_list_pages_in_creation_order(alice):
    ids = [create(alice, name=f"A{i}")["id"] for i in range(7)]

    seen, after, pages = [], "", 0
    while after is not None:
        page = alice.get("/v1/assets", params={"limit": 3, "after": after}).json()
        seen += [a["id"] for a in page["assets"]]
        after, pages = page["next"], pages + 1

    assert seen == ids and ids == sorted(ids) and pages == 3


def test_a_last_page_that_is_exactly_full_has_no_next(alice):
    ids = [create(alice, name=f"A{i}")["id"] for i in range(6)]

    first = alice.get("/v1/assets", params={"limit": 3}).json()
    last = alice.get("/v1/assets", params={"limit": 3, "after": first["next"]}).json()

    assert [a["id"] for a in first["assets"]] == ids[:3] and first["next"] == ids[2]
    assert [a["id"] for a in last["assets"]] == ids[3:] and last["next"] is None


@pytest.mark.parametrize("limit", [1, 200])
def test_limits_from_1_to_200_are_accepted(alice, limit):
    ids = [create(alice, name=f"A{i}")["id"] for i in range(2)]
    page = alice.get("/v1/assets", params={"limit": limit}).json()
    assert [a["id"] for a in page["assets"]] == ids[:limit]


def test_list_default_limit_is_fifty(planner, shop):
    for i in range(52):
        seed_asset(planner.core, shop.entity.id, None, name=f"C{i}")
    token = mint(planner.core, shop.entity.id)

    page = httpx.get(f"{planner.url}/v1/assets", headers=bearer(token)).json()

    assert len(page["assets"]) == 50 and page["next"] == page["assets"][-1]["id"]


LIMIT = "limit must be a whole number from 1 to 200"
AFTER = "after must be an asset id (the `next` of the previous page)"


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ("limit=0", LIMIT),
        ("limit=201", LIMIT),
        ("limit=abc", LIMIT),
        ("limit=-1", LIMIT),
        ("limit=%C2%B2", LIMIT),  # superscript two: str.isdigit() says yes, int() says no
        ("limit=%D9%A3", LIMIT),  # Arabic-Indic three: int() takes it, the API does not
        ("limit=" + "1" * 5000, LIMIT),  # longer than int() converts
        ("after=nope", AFTER),
        ("after=ast_zz", AFTER),
    ],
)
def test_bad_list_parameters_are_400(alice, query, description):
    response = alice.get(f"/v1/assets?{query}")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": description}


def test_unknown_or_malformed_ids_are_404(alice):
    for asset_id in ("ast_000000000000000000000000", "nope", "ast_" + "f" * 40, "%27%20OR%201"):
        assert alice.get(f"/v1/assets/{asset_id}").status_code == 404


BODY = "body must be a JSON object"
LARGE = "body is larger than 69632 bytes"
NAME_TEXT = "name must be a string of 1 to 200 characters"
DATA_OBJECT = "data must be a JSON object"
PLAIN = "data must be plain JSON (no NaN or Infinity, not too deep)"
DEEP = "data must not nest deeper than 32 levels"
BAD_BODIES = [
    (b"not json", 400, BODY),
    (b"[1, 2]", 400, BODY),
    (b'"text"', 400, BODY),
    (b"\xff\xfe", 400, BODY),
    (b"[" * 100_000, 413, LARGE),
    (b"[" * 60_000, 400, BODY),
    (json.dumps({"kind": "furniture"}).encode(), 400, "name is required"),
    (json.dumps({"name": "A"}).encode(), 400, "kind is required"),
    (json.dumps({"name": 5, "kind": "furniture"}).encode(), 400, NAME_TEXT),
    (json.dumps({"name": "", "kind": "furniture"}).encode(), 400, NAME_TEXT),
    (json.dumps({"name": "A" * 201, "kind": "furniture"}).encode(), 400, NAME_TEXT),
    (
        json.dumps({"name": "A\u0000", "kind": "furniture"}).encode(),
        400,
        "name must not contain control characters, bidirectional overrides or invisible characters",
    ),
    (
        json.dumps({"name": "A", "kind": ["x"]}).encode(),
        400,
        "kind must be a string of 1 to 64 characters",
    ),
    (json.dumps({"name": "A", "kind": "k", "data": [1]}).encode(), 400, DATA_OBJECT),
    (json.dumps({"name": "A", "kind": "k", "data": "x"}).encode(), 400, DATA_OBJECT),
    (json.dumps({"name": "A", "kind": "k", "owner": "bob"}).encode(), 400, "owner: unknown field"),
    (json.dumps({"name": "A", "kind": "k", "id": "ast_1"}).encode(), 400, "id: unknown field"),
    (b'{"name": "A", "kind": "k", "data": {"x": NaN}}', 400, PLAIN),
    (b'{"name": "A", "kind": "k", "data": {"x": Infinity}}', 400, PLAIN),
    (b'{"name": "\\ud800", "kind": "k"}', 400, "name holds text that is not valid UTF-8"),
    (
        b'{"name": "A", "kind": "k", "data": {"x": "\\udfff"}}',
        400,
        "data holds text that is not valid UTF-8",
    ),
    (b'{"name": "A", "kind": "k", "data": {"n": 1' + b"1" * 5000 + b"}}", 400, BODY),
    (b'{"name": "A", "kind": "k", "data": ' + b'{"a":' * 3000 + b"1" + b"}" * 3001, 400, BODY),
    (b'{"name": "A", "kind": "k", "data": ' + b'{"a":' * 900 + b"1" + b"}" * 901, 400, DEEP),
    (b'{"name": "A", "kind": "k", "data": ' + b'{"a":[' * 17 + b"1" + b"]}" * 17 + b"}", 400, DEEP),
    (
        json.dumps({"name": "A", "kind": "k", "data": {"x": "y" * 65_536}}).encode(),
        413,
        "data is larger than 65536 bytes",
    ),
    (json.dumps({"name": "A", "kind": "k", "data": {"x": "y" * 80_000}}).encode(), 413, LARGE),
]


@pytest.mark.parametrize(("body", "status", "description"), BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_bad_create_bodies_are_clear_errors(alice, planner, shop, body, status, description):
    response = alice.post("/v1/assets", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == status, response.text
    assert response.json() == {"error": "invalid_request", "error_description": description}
    assert blocking(planner.core.store.list_assets(shop.entity.id, (None, "alice"))) == []


def test_data_nested_32_levels_is_accepted_and_33_is_not(alice):
    data = json.loads('{"a":' * 32 + "1" + "}" * 32)  # data itself is the first level
    assert create(alice, data=data)["data"] == data
    refused = alice.post("/v1/assets", json={"name": "A", "kind": "k", "data": {"b": data}})
    assert refused.json()["error_description"] == DEEP


def test_data_of_exactly_the_limit_is_accepted(alice):
    filler = 64 * 1024 - len(json.dumps({"x": ""}, separators=(",", ":")))
    assert len(create(alice, data={"x": "y" * filler})["data"]["x"]) == filler


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (b"{}", "nothing to change: give name, kind or data"),
        (b'{"data": null}', DATA_OBJECT),
        (b'{"version": 3}', "version: unknown field"),
        (b"nope", BODY),
    ],
)
def test_bad_patch_bodies_change_nothing(alice, planner, body, description):
    asset = create(alice)
    response = alice.patch(f"/v1/assets/{asset['id']}", content=body)

    assert response.status_code == 400
    assert response.json()["error_description"] == description
    assert blocking(planner.core.store.get_asset(asset["id"])).version == 1


def test_no_credentials_is_401_without_error_code(planner, shop):
    asset = seed_asset(planner.core, shop.entity.id, None)
    for headers in ({}, {"Authorization": "Basic YTpi"}):
        response = httpx.get(f"{planner.url}/v1/assets/{asset.id}", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "error=" not in response.headers["www-authenticate"]
        assert response.content == b""


@pytest.mark.parametrize(
    "value", ["Bearer", "Bearer a b", "Bearer  abc", "Bearer ab,c", "Bearer \u00e9t"]
)
def test_malformed_authorization_header_is_400(planner, value):
    response = httpx.get(
        f"{planner.url}/v1/assets", headers=[("Authorization", value.encode("utf-8"))]
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_two_authorization_headers_are_400(planner, shop):
    token = mint(planner.core, shop.entity.id)
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = httpx.get(f"{planner.url}/v1/assets", headers=headers)
    assert response.status_code == 400


def test_token_in_the_url_is_refused(planner, shop):
    token = mint(planner.core, shop.entity.id)
    response = httpx.get(f"{planner.url}/v1/assets", params={"access_token": token})
    assert response.status_code == 400 and "URL" in response.json()["error_description"]


def test_bearer_scheme_is_case_insensitive(planner, shop):
    token = mint(planner.core, shop.entity.id, rights=READ)
    response = httpx.get(f"{planner.url}/v1/assets", headers={"Authorization": f"bEaReR {token}"})
    assert response.status_code == 200


def test_read_token_write_is_403_insufficient_scope(planner, shop):
    token = mint(planner.core, shop.entity.id, rights=READ, user="alice")
    response = httpx.post(
        f"{planner.url}/v1/assets", json={"name": "A", "kind": "k"}, headers=bearer(token)
    )
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="planner", error="insufficient_scope"'
    )


def test_oversized_delete_body_is_413(alice):
    asset = create(alice)
    response = alice.request("DELETE", f"/v1/assets/{asset['id']}", content=b"x" * 200_000)
    assert response.status_code == 413
    assert alice.get(f"/v1/assets/{asset['id']}").status_code == 200


def test_a_change_that_keeps_losing_the_race_is_409_after_three_tries(alice, planner):
    # Every write of the row is lost to "another writer" (a trigger that skips it): the
    # catalog retries from a fresh read, then gives up with 409 rather than loop or claim success.
    asset = create(alice)
    path = planner.core.settings.sqlite_path
    with sqlite3.connect(path) as db:  # RAISE(IGNORE) skips the row and keeps the tally
        db.execute("CREATE TABLE tries (n INTEGER)")
        db.execute(
            "CREATE TRIGGER always_lost BEFORE UPDATE ON assets"
            " BEGIN INSERT INTO tries VALUES (1); SELECT RAISE(IGNORE); END"
        )

    response = alice.patch(f"/v1/assets/{asset['id']}", json={"name": "B"})

    assert response.status_code == 409
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "the asset is being changed by others; try again",
    }
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM tries").fetchone() == (3,)
    assert alice.get(f"/v1/assets/{asset['id']}").json()["name"] == "Sofa"


def test_a_delete_that_finds_the_row_gone_is_404(alice, planner):
    asset = create(alice)
    with sqlite3.connect(planner.core.settings.sqlite_path) as db:  # as if deleted meanwhile
        db.execute("CREATE TRIGGER gone BEFORE DELETE ON assets BEGIN SELECT RAISE(IGNORE); END")

    response = alice.delete(f"/v1/assets/{asset['id']}")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "error_description": "no such asset"}


def test_each_write_is_told_once_as_what_it_was_and_a_change_moves_updated(core):
    clock = FrozenClock()
    told: list[tuple[str, int, float, bool]] = []
    catalog = AssetCatalog(
        core.store, clock, lambda a, deleted: told.append((a.name, a.version, a.updated, deleted))
    )
    blocking(core.store.add_entity(Entity("ent_w", "Shop", ("http://localhost",), True, 0.0)))
    claims = AccessClaims("alice", "ent_w", "user", ("read", "write"), "c", "j", 0, 0, "kid")
    start = clock.now()

    created = blocking(catalog.create(claims, {"name": "A", "kind": "k"}))
    clock.advance(5)
    changed = blocking(catalog.change(claims, created.id, {"name": "B"}))
    clock.advance(5)
    blocking(catalog.delete(claims, created.id))

    assert (changed.created, changed.updated) == (start, start + 5)
    assert blocking(core.store.get_asset(created.id)) is None
    assert told == [("A", 1, start, False), ("B", 2, start + 5, False), ("B", 2, start + 5, True)]


def test_ids_stay_in_creation_order_when_the_clock_stalls_or_steps_back(core):
    clock = FrozenClock()
    catalog = AssetCatalog(core.store, clock)

    ids = []
    for step in [0] * 300 + [-5] * 10 + [0.001] * 10:
        clock.advance(step)
        ids.append(catalog.new_id())

    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(ASSET_ID.fullmatch(i) for i in ids)


def test_a_failing_listener_is_logged_and_the_write_stands(core, caplog):
    def broken(asset, deleted):
        raise RuntimeError("live channel down")

    catalog = AssetCatalog(core.store, FrozenClock(), broken)
    blocking(core.store.add_entity(Entity("ent_w", "Shop", ("http://localhost",), True, 0.0)))
    claims = AccessClaims("alice", "ent_w", "user", ("read", "write"), "c", "j", 0, 0, "kid")

    with caplog.at_level("ERROR", logger="planner_bridge.planner.assets"):
        created = blocking(catalog.create(claims, {"name": "A", "kind": "k"}))

    assert blocking(core.store.get_asset(created.id)) == created
    (record,) = [r for r in caplog.records if r.name == "planner_bridge.planner.assets"]
    assert record.getMessage() == "asset change listener failed"
    assert record.exc_info is not None and "live channel down" in str(record.exc_info[1])


def test_an_id_is_the_creation_millisecond_then_its_sequence_then_random(core):
    # ast_ + 12 hex ms + 4 hex sequence (0 at each new millisecond) + 8 hex random (the docstring).
    clock = FrozenClock(1_800_000_000.25)
    catalog = AssetCatalog(core.store, clock)
    ms = f"{1_800_000_000_250:012x}"

    first, second = catalog.new_id(), catalog.new_id()
    clock.advance(0.001)
    later = catalog.new_id()

    assert (first[4:16], first[16:20]) == (ms, "0000")
    assert (second[4:16], second[16:20]) == (ms, "0001")
    assert (later[4:16], later[16:20]) == (f"{1_800_000_000_251:012x}", "0000")
