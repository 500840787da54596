"""The signing key ring: in the database (sealed), rotation, key states, JWKS, other processes,
and the file ring of earlier releases imported once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jwt.utils import der_to_raw_signature

from planner_bridge.clock import FrozenClock, SystemClock
from planner_bridge.credentials import b64url, b64url_decode
from planner_bridge.errors import InvalidToken
from planner_bridge.keys.ring import (
    RELOAD_INTERVAL,
    KeyRing,
    KeySealer,
    KeyState,
    generate_private_key,
)
from planner_bridge.keys.ring_file import import_ring_file
from planner_bridge.keys.signing import raw_ecdsa_signature
from planner_bridge.serving import blocking
from planner_bridge.storage.sqlite import SQLiteStore
from planner_bridge.tokens.issuer import TokenIssuer
from planner_bridge.tokens.verification import TokenVerifier
from support import P256_ORDER, s_is_low

PUBLISHED_FOR = 86400 + 30  # longest token + leeway, as the core configures it
ISSUER = "http://127.0.0.1:8001"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


MASTER = hashlib.sha256(b"test_keys: one master key, in every process").digest()
OPENED: list[SQLiteStore] = []


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    yield
    while OPENED:
        blocking(OPENED.pop().close())


async def open_ring(path: Path, clock, alg: str = "ES256") -> KeyRing:
    store = await SQLiteStore.open(path)
    keyring = KeyRing(store, KeySealer(MASTER), clock, alg=alg, published_for=PUBLISHED_FOR)
    await keyring.start()
    return keyring


def ring(tmp_path, clock, alg="ES256") -> KeyRing:
    """A ring on the SQLite database in `tmp_path`, as a process (server, CLI) opens it."""
    keyring = blocking(open_ring(tmp_path / "store.sqlite3", clock, alg))
    OPENED.append(keyring.store)  # type: ignore[arg-type]
    return keyring


def rotate(keyring: KeyRing, *, drop_old: bool = False):
    return blocking(keyring.rotate(drop_old=drop_old))


def stored_keys(path: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM signing_keys ORDER BY created, kid").fetchall()
    db.close()
    return rows


def mint(keyring: KeyRing, clock: FrozenClock, lifetime: int = 3600) -> str:
    issuer = TokenIssuer(keyring, clock, issuer=ISSUER)
    return blocking(
        issuer.mint_access_token(
            entity_id="ent_1", client_id="pbk_1", rights=("read",), lifetime=lifetime
        )
    ).token


def verifier(keyring: KeyRing, clock: FrozenClock) -> TokenVerifier:
    return TokenVerifier(keyring, clock, issuer=ISSUER, leeway=30)


def test_a_new_ring_makes_one_private_key_stored_only_sealed(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    key = keyring.current
    (row,) = stored_keys(tmp_path / "store.sqlite3")
    assert row["kid"] == key.kid and row["alg"] == key.alg == "ES256"
    assert b"PRIVATE" not in row["sealed_key"]  # never in clear: sealed with the master key
    assert KeySealer(MASTER).unseal(key.kid, row["sealed_key"]).private_numbers() == (
        key.private_key.private_numbers()
    )
    assert key.state(clock.now(), PUBLISHED_FOR) is KeyState.ACTIVE


def test_reopening_a_ring_keeps_its_keys(tmp_path, clock):
    kid = ring(tmp_path, clock).current.kid
    assert ring(tmp_path, clock).current.kid == kid


def test_jwks_holds_public_parts_only(tmp_path, clock):
    (jwk,) = ring(tmp_path, clock).jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}


def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_verifying(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    old_token = mint(keyring, clock)
    old_kid = keyring.current.kid
    new_kid = rotate(keyring).kid
    new_token = mint(keyring, clock)
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid != old_kid
    assert [k["kid"] for k in keyring.jwks()["keys"]] == [new_kid, old_kid]
    check = verifier(keyring, clock)
    assert check.verify_access_token(old_token).kid == old_kid
    assert check.verify_access_token(new_token).kid == new_kid


def test_old_tokens_verify_until_they_expire(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    old_token = mint(keyring, clock, lifetime=600)
    rotate(keyring)
    clock.advance(600 + 30)  # exp plus leeway: still good
    assert verifier(keyring, clock).verify_access_token(old_token)
    clock.advance(1)
    with pytest.raises(InvalidToken, match="expired"):
        verifier(keyring, clock).verify_access_token(old_token)


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_all_expired(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    old_kid = keyring.current.kid
    rotate(keyring)
    clock.advance(PUBLISHED_FOR)
    assert old_kid in [k["kid"] for k in keyring.jwks()["keys"]]
    clock.advance(1)
    assert old_kid not in [k["kid"] for k in keyring.jwks()["keys"]]
    assert keyring.verification_key(old_kid, access_token=True) is None
    # API tokens outlive access tokens: their key still checks them.
    assert keyring.verification_key(old_kid, access_token=False) is not None


def test_drop_old_stops_every_older_key_at_once(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    old_token = mint(keyring, clock)
    old_kid = keyring.current.kid
    new = rotate(keyring, drop_old=True)
    assert [k["kid"] for k in keyring.jwks()["keys"]] == [new.kid]
    assert keyring.verification_key(old_kid, access_token=True) is None
    assert keyring.verification_key(old_kid, access_token=False) is None
    with pytest.raises(InvalidToken):
        verifier(keyring, clock).verify_access_token(old_token)


def test_a_rotation_by_another_process_is_picked_up_within_a_second(tmp_path, clock):
    server_ring = ring(tmp_path, clock)
    old_kid = server_ring.current.kid
    new_kid = rotate(ring(tmp_path, clock)).kid  # e.g. `planner-bridge keys rotate`
    blocking(server_ring.refreshed())  # not due yet: what it had
    assert server_ring.current.kid in (old_kid, new_kid)
    clock.advance(RELOAD_INTERVAL)
    blocking(server_ring.refreshed())  # what a request does in the background once due
    assert server_ring.current.kid == new_kid
    assert server_ring.verification_key(old_kid, access_token=True) is not None


@pytest.mark.parametrize(("alg", "kty"), [("ES256", "EC"), ("EdDSA", "OKP"), ("RS256", "RSA")])
def test_every_supported_algorithm_mints_verifiable_tokens(tmp_path, clock, alg, kty):
    keyring = ring(tmp_path, clock, alg)
    token = mint(keyring, clock)
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["typ"], header["kid"]) == (alg, "at+jwt", keyring.current.kid)
    assert keyring.jwks()["keys"][0]["kty"] == kty
    assert verifier(keyring, clock).verify_access_token(token).entity_id == "ent_1"
    jwk = jwt.PyJWK(keyring.jwks()["keys"][0])
    frozen_time = {"verify_exp": False, "verify_iat": False}  # the test clock is not real time
    claims = jwt.decode(token, jwk.key, algorithms=[alg], audience="planner", options=frozen_time)
    assert claims["sub"] == "ent_1"


def test_a_token_cannot_choose_its_algorithm(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    public_pem = keyring.current.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The classic forgery: HS256 "signed" with the public key, which a verifier that takes
    # the algorithm from the token would accept.
    header = {"alg": "HS256", "kid": keyring.current.kid, "typ": "at+jwt"}
    claims = {"iss": ISSUER, "aud": "planner", "sub": "x", "iat": 1, "exp": 2**40}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken):
        verifier(keyring, clock).verify_access_token(f"{signing_input}.{b64url(mac)}")


def test_unsupported_algorithms_are_refused():
    with pytest.raises(ValueError):
        generate_private_key("HS256")


@pytest.mark.parametrize(
    ("r", "s"), [(1, 2), (2**255 + 7, 3), (5, P256_ORDER // 2), (2**200, 2**248)]
)
def test_es256_signatures_keep_r_and_s_at_32_bytes_each(r, s):
    # The issuer converts cryptography's DER signature itself; short r or s must be padded
    # exactly as PyJWT pads them, or about one token in 128 would not verify.
    der = encode_dss_signature(r, s)
    assert raw_ecdsa_signature(der, 32, P256_ORDER) == der_to_raw_signature(der, ec.SECP256R1())


@pytest.mark.parametrize("s", [P256_ORDER // 2 + 1, P256_ORDER - 1, P256_ORDER - 2**200])
def test_a_high_s_is_written_as_its_low_s_twin(s):
    low = der_to_raw_signature(encode_dss_signature(7, P256_ORDER - s), ec.SECP256R1())
    assert raw_ecdsa_signature(encode_dss_signature(7, s), 32, P256_ORDER) == low


def test_many_es256_tokens_all_verify_with_pyjwt(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    issuer = TokenIssuer(keyring, clock, issuer=ISSUER)
    public = keyring.current.public_key
    for _ in range(300):  # short r or s (one signature in 128) happen on the way
        token = blocking(
            issuer.mint_access_token(
                entity_id="ent_1", client_id="pbk_1", rights=("read",), lifetime=60
            )
        ).token
        assert len(b64url_decode(token.rsplit(".", 1)[1])) == 64
        assert s_is_low(token)  # half of them would be high-S if it were left to chance
        options = {"verify_exp": False, "verify_iat": False}
        jwt.decode(token, public, algorithms=["ES256"], audience="planner", options=options)


def test_claims_are_exactly_what_was_asked_whatever_the_characters(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    issuer = TokenIssuer(keyring, clock, issuer=ISSUER)
    name = 'Zoë "the \\ one" </script>\u2028'
    for rights in [("read",), ("read", "write"), ("read",)]:  # the fixed part, made then reused
        minted = blocking(
            issuer.mint_access_token(
                entity_id="ent_1",
                client_id="pbk_1",
                rights=rights,
                lifetime=600,
                user_id="user-1",
                user_name=name,
            )
        )
        payload = json.loads(b64url_decode(minted.token.split(".")[1]))
        assert payload == {
            "iss": ISSUER,
            "aud": "planner",
            "sub": "user-1",
            "entity": "ent_1",
            "kind": "user",
            "scope": " ".join(rights),
            "client_id": "pbk_1",
            "name": name,
            "iat": minted.issued_at,
            "exp": minted.issued_at + 600,
            "jti": minted.jti,
        }


def _rotate_many(path: str, times: int, start: Any) -> list[str]:
    """One process's share: open the ring (maybe creating it) and rotate `times` times."""

    async def share() -> list[str]:
        keyring = await open_ring(Path(path), SystemClock())
        try:
            return [(await keyring.rotate()).kid for _ in range(times)]
        finally:
            await keyring.store.close()

    start.wait()  # both processes begin together, first start included
    return asyncio.run(share())


def test_rotations_from_two_processes_at_once_lose_no_key(tmp_path):
    path = tmp_path / "store.sqlite3"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        shares = [pool.apply_async(_rotate_many, (str(path), 20, start)) for _ in range(2)]
        made = [kid for share in shares for kid in share.get(timeout=120)]

    entries = stored_keys(path)
    kids = [e["kid"] for e in entries]
    assert set(made) <= set(kids) and len(kids) == len(set(kids)) == len(made) + 1
    assert all(KeySealer(MASTER).unseal(e["kid"], e["sealed_key"]) for e in entries)  # each whole
    # One active key, whichever rotation committed last (the two clocks may disagree on which
    # was made first, so it need not be the newest by `created`); a reopened ring signs with it.
    (active,) = [e["kid"] for e in entries if e["retired"] is None]
    reopened = ring(tmp_path, SystemClock())
    assert reopened.current.kid == active and active in made


# -- the file ring of earlier releases ---------------------------------------------------------


def write_file_ring(directory: Path, now: float) -> list[str]:
    """A ring as releases before the database ring kept it: ring.json and PEM files, the
    older key retired by a rotation."""
    directory.mkdir(parents=True)
    entries = []
    for i, retired in enumerate([now - 50, None]):
        kid = f"{int(now) - 100 + i}-file{i}"
        pem = generate_private_key("ES256").private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (directory / f"{kid}.pem").write_bytes(pem)
        entries.append({"kid": kid, "alg": "ES256", "created": now - 100 + i, "retired": retired})
    (directory / "ring.json").write_text(json.dumps({"keys": entries}))
    return [e["kid"] for e in entries]


def file_key(directory: Path, kid: str) -> Any:
    pem = (directory / f"{kid}.pem").read_bytes()
    return serialization.load_pem_private_key(pem, password=None)


def test_a_file_ring_is_imported_once_and_its_keys_keep_verifying(tmp_path, clock):
    directory = tmp_path / "keys"
    old, newest = write_file_ring(directory, clock.now())
    private = file_key(directory, newest)
    assert blocking(import_into(tmp_path, directory, clock)) == 2
    assert not (directory / "ring.json").exists() and (directory / "ring.json.imported").exists()
    assert list(directory.glob("*.pem")) == []  # private keys in clear: gone once sealed
    assert blocking(import_into(tmp_path, directory, clock)) == 0  # once: nothing more to do
    keyring = ring(tmp_path, clock)
    assert keyring.current.kid == newest  # the file ring's active key still signs
    assert keyring.current.private_key.private_numbers() == private.private_numbers()
    assert [k["kid"] for k in keyring.jwks()["keys"]] == [newest, old]


def test_a_file_ring_imported_into_a_ring_with_keys_comes_retired(tmp_path, clock):
    keyring = ring(tmp_path, clock)
    active = keyring.current.kid
    old, newest = write_file_ring(tmp_path / "keys", clock.now())
    assert blocking(import_into(tmp_path, tmp_path / "keys", clock)) == 2
    blocking(keyring.reload())
    assert keyring.current.kid == active  # still signing
    assert keyring.verification_key(newest, access_token=True) is not None  # passive now
    assert keyring.verification_key(old, access_token=True) is not None


def test_processes_importing_one_file_ring_at_once_import_it_once(tmp_path, clock):
    kids = write_file_ring(tmp_path / "keys", clock.now())

    async def together() -> list[int]:
        return await asyncio.gather(
            *(import_into(tmp_path, tmp_path / "keys", clock) for _ in range(4))
        )

    assert sum(blocking(together())) == 2  # whoever read it, each key is in the ring once
    assert [k.kid for k in ring(tmp_path, clock)._keys] == kids


def test_a_file_ring_naming_a_missing_key_file_is_refused(tmp_path, clock):
    old, _ = write_file_ring(tmp_path / "keys", clock.now())
    (tmp_path / "keys" / f"{old}.pem").unlink()
    with pytest.raises(ValueError, match="names a key file that is missing"):
        blocking(import_into(tmp_path, tmp_path / "keys", clock))


async def import_into(tmp_path: Path, directory: Path, clock) -> int:
    store = await SQLiteStore.open(tmp_path / "store.sqlite3")
    try:
        return await import_ring_file(directory, store, KeySealer(MASTER), clock.now())
    finally:
        await store.close()


@pytest.mark.parametrize("ring_text", ["{}", "not json", '{"keys": [{"alg": "ES256"}]}', "[]"])
def test_a_malformed_file_ring_is_refused_naming_the_file(tmp_path, clock, ring_text):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "ring.json").write_text(ring_text)
    with pytest.raises(ValueError, match=r"ring\.json: not a valid key ring"):
        blocking(import_into(tmp_path, tmp_path / "keys", clock))


# -- signers -------------------------------------------------------------------------------------


class RemoteSigner:
    """A `Signer` as a KMS or HSM would be one: the private key out of the token code's reach,
    each signature awaited."""

    def __init__(self, kid: str, private_key: Any) -> None:
        self.kid, self.alg, self.calls = kid, "ES256", 0
        self._private_key = private_key

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(
            jwt.get_algorithm_by_name("ES256").to_jwk(self._private_key.public_key())
        )
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    async def sign(self, data: bytes) -> bytes:
        self.calls += 1
        await asyncio.sleep(0)  # a round trip to the key's keeper
        der = self._private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        return raw_ecdsa_signature(der, 32, P256_ORDER)


def test_tokens_are_signed_through_any_signer(clock):
    signer = RemoteSigner("kms-1", generate_private_key("ES256"))
    ring = SimpleNamespace(signer=signer)  # all the token code asks of the ring to sign
    issuer = TokenIssuer(ring, clock, issuer=ISSUER)  # type: ignore[arg-type]
    minted = blocking(
        issuer.mint_access_token(entity_id="ent_1", client_id="c", rights=("read",), lifetime=60)
    )
    api = blocking(
        issuer.mint_api_token(
            token_id="t1",
            entity_id="ent_1",
            user_id="u",
            rights=("read",),
            issued_at=int(clock.now()),
            expires_at=None,
        )
    )
    assert signer.calls == 2 and s_is_low(minted.token)
    key = jwt.PyJWK(signer.public_jwk()).key
    frozen_time = {"verify_exp": False, "verify_iat": False}
    claims = jwt.decode(
        minted.token, key, algorithms=["ES256"], audience="planner", options=frozen_time
    )
    assert claims["sub"] == "ent_1" and jwt.get_unverified_header(minted.token)["kid"] == "kms-1"
    assert (
        jwt.decode(api.token, key, algorithms=["ES256"], audience=ISSUER, options=frozen_time)[
            "jti"
        ]
        == "t1"
    )
