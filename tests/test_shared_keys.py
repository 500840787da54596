"""The signing key ring in a shared database (PostgreSQL): sealed at rest, one ring for every
instance."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from cryptography.exceptions import InvalidTag

from planner_bridge.clock import SystemClock
from planner_bridge.keys.ring import KeyRing, KeySealer, generate_private_key
from planner_bridge.storage.location import locate_database
from planner_bridge.storage.opening import open_store

pytestmark = pytest.mark.anyio
MASTER = secrets.token_bytes(32)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_sealed_key_opens_only_with_its_master_key_and_kid():
    private_key = generate_private_key("ES256")
    sealed = KeySealer(MASTER).seal("k1", private_key)
    assert b"PRIVATE KEY" not in sealed  # never stored in clear
    opened = KeySealer(MASTER).unseal("k1", sealed)
    assert opened.private_numbers() == private_key.private_numbers()
    with pytest.raises(InvalidTag):
        KeySealer(secrets.token_bytes(32)).unseal("k1", sealed)
    with pytest.raises(InvalidTag):  # the kid is bound in: no passing it off as another key
        KeySealer(MASTER).unseal("k2", sealed)
    assert KeySealer(MASTER).seal("k1", private_key) != sealed  # a fresh nonce every time


async def ring_on(url: str, tmp_path, master: bytes = MASTER) -> KeyRing:
    store = await open_store(locate_database(url, tmp_path / "unused.sqlite3"))
    ring = KeyRing(store, KeySealer(master), SystemClock(), alg="ES256", published_for=3600)
    try:
        await ring.start()
    except BaseException:
        await store.close()
        raise
    return ring


async def close(ring: KeyRing) -> None:
    await ring.settle()
    await ring.store.close()


async def test_instances_share_one_ring_and_follow_a_rotation(postgres_server, tmp_path):
    url = postgres_server.create_database("ring")
    a, b = await asyncio.gather(ring_on(url, tmp_path), ring_on(url, tmp_path))
    try:
        assert a.current.kid == b.current.kid  # one first key, however many started
        assert a.jwks() == b.jwks()
        rotated = await a.rotate()
        deadline = asyncio.get_running_loop().time() + 5
        while b.current.kid != rotated.kid:  # b re-reads the ring once a second, in the background
            assert asyncio.get_running_loop().time() < deadline, "rotation not seen"
            await asyncio.sleep(0.05)
        assert a.jwks() == b.jwks() and len(b.jwks()["keys"]) == 2
        dropped = await b.rotate(drop_old=True)
        await a.reload()
        assert [k["kid"] for k in a.jwks()["keys"]] == [dropped.kid]
    finally:
        await close(a)
        await close(b)


async def test_an_instance_with_another_master_key_refuses_to_start(postgres_server, tmp_path):
    url = postgres_server.create_database("ring")
    await close(await ring_on(url, tmp_path))
    with pytest.raises(ValueError, match="PLANNER_BRIDGE_MASTER_KEY"):
        await ring_on(url, tmp_path, master=secrets.token_bytes(32))
