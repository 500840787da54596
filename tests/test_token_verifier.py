"""TokenVerifier on its own, with a frozen clock: what mutation testing found unguarded.

Tokens here are genuinely signed by the ring's current key, so only the checks under test can
refuse them: the claims' kind and rights, the verified-token cache's expiry and key checks, and
a retired key's window for access tokens.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidToken
from planner_bridge.keys import KeyRing
from planner_bridge.tokens import TokenIssuer
from planner_bridge.verification import TokenVerifier

ISSUER = "http://127.0.0.1:8001"
LEEWAY = 30
PUBLISHED_FOR = 600  # a retired key verifies access tokens this long after its retirement


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def ring(tmp_path, clock):
    return KeyRing(tmp_path / "keys", clock, alg="ES256", published_for=PUBLISHED_FOR)


@pytest.fixture
def verifier(ring, clock):
    return TokenVerifier(ring, clock, issuer=ISSUER, leeway=LEEWAY)


def mint(ring, clock, lifetime: int = 60, **user: Any) -> str:
    issuer = TokenIssuer(ring, clock, issuer=ISSUER)
    return issuer.mint_access_token(
        entity_id="ent", client_id="key", rights=("read", "write"), lifetime=lifetime, **user
    ).token


def resigned(ring, token: str, **changes: Any) -> str:
    """The token's claims with `changes`, signed again by the ring's genuine current key."""
    key = ring.current
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(
        claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": "at+jwt"}
    )


def test_a_genuine_token_gives_its_claims_and_the_same_again_from_the_cache(ring, clock, verifier):
    token = mint(ring, clock, user_id="alice", user_name="Alice")
    first = verifier.verify_access_token(token)
    assert (first.subject, first.kind, first.rights, first.client_id) == (
        "alice",
        "user",
        ("read", "write"),
        "key",
    )
    assert verifier.verify_access_token(token) == first


@pytest.mark.parametrize("kind", ["admin", "", "legal_entity "])
def test_a_signed_token_of_an_unknown_kind_is_refused(ring, clock, verifier, kind):
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(resigned(ring, mint(ring, clock), kind=kind))


@pytest.mark.parametrize("scope", ["read admin", "write delete", "root"])
def test_a_signed_token_with_an_unknown_right_is_refused(ring, clock, verifier, scope):
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(resigned(ring, mint(ring, clock), scope=scope))


def test_a_cached_token_holds_through_the_leeway_and_not_a_second_more(ring, clock, verifier):
    token = mint(ring, clock, lifetime=60)
    verifier.verify_access_token(token)  # now in the cache
    clock.advance(60 + LEEWAY)
    verifier.verify_access_token(token)  # exp + leeway: still valid
    clock.advance(1)
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(token)


def test_a_cached_token_of_a_dropped_key_is_refused(ring, clock, verifier):
    token = mint(ring, clock)
    verifier.verify_access_token(token)
    ring.rotate(drop_old=True)
    clock.advance(2)  # past the ring's reload interval
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(token)


def test_a_retired_key_verifies_access_tokens_only_within_its_window(ring, clock, verifier):
    # A token living longer than the window (e.g. minted before max_token_ttl was lowered):
    # the key's window refuses it even though its own exp has not come.
    token = mint(ring, clock, lifetime=3 * PUBLISHED_FOR)
    ring.rotate()
    clock.advance(2)
    assert verifier.verify_access_token(token).subject == "ent"
    uncached = TokenVerifier(ring, clock, issuer=ISSUER, leeway=LEEWAY)
    clock.advance(PUBLISHED_FOR)
    with pytest.raises(InvalidToken):
        uncached.verify_access_token(token)
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(token)  # nor from the cache
