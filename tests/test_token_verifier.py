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
from planner_bridge.serving import blocking
from planner_bridge.tokens.issuer import TokenIssuer
from planner_bridge.tokens.verification import AccessClaims, TokenVerifier
from support import high_s, key_ring, low_s, rotate

ISSUER = "http://127.0.0.1:8001"
LEEWAY = 30
PUBLISHED_FOR = 600  # a retired key verifies access tokens this long after its retirement


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def ring(tmp_path, clock):
    return key_ring(tmp_path / "keys.sqlite3", clock, published_for=PUBLISHED_FOR)


@pytest.fixture
def verifier(ring, clock):
    return TokenVerifier(ring, clock, issuer=ISSUER, leeway=LEEWAY)


def mint(ring, clock, lifetime: int = 60, **user: Any) -> str:
    issuer = TokenIssuer(ring, clock, issuer=ISSUER)
    return blocking(
        issuer.mint_access_token(
            entity_id="ent", client_id="key", rights=("read", "write"), lifetime=lifetime, **user
        )
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
    rotate(ring, drop_old=True)
    clock.advance(2)  # past the ring's reload interval
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(token)


def test_a_retired_key_verifies_access_tokens_only_within_its_window(ring, clock, verifier):
    # A token living longer than the window (e.g. minted before max_token_ttl was lowered):
    # the key's window refuses it even though its own exp has not come.
    token = mint(ring, clock, lifetime=3 * PUBLISHED_FOR)
    rotate(ring)
    clock.advance(2)
    assert verifier.verify_access_token(token).subject == "ent"
    uncached = TokenVerifier(ring, clock, issuer=ISSUER, leeway=LEEWAY)
    clock.advance(PUBLISHED_FOR)
    with pytest.raises(InvalidToken):
        uncached.verify_access_token(token)
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(token)  # nor from the cache


def test_claims_may_only_what_they_were_granted(ring, clock, verifier):
    reader = verifier.verify_access_token(low_s(resigned(ring, mint(ring, clock), scope="read")))
    writer = verifier.verify_access_token(mint(ring, clock))
    assert (reader.may("read"), reader.may("write")) == (True, False)
    assert (writer.may("read"), writer.may("write")) == (True, True)


def test_a_repeated_verification_is_answered_from_the_cache_until_the_last_valid_second(
    ring, clock, verifier
):
    # A hit hands back the very object verified first (a full check builds a new one): the
    # cache must keep answering until exactly the instant the full check stops accepting.
    token = mint(ring, clock, lifetime=60)
    first = verifier.verify_access_token(token)
    assert verifier.verify_access_token(token) is first
    clock.advance(60 - LEEWAY + 1)  # within the leeway's reach of exp
    assert verifier.verify_access_token(token) is first
    clock.advance(2 * LEEWAY - 1)  # exp + leeway exactly
    assert verifier.verify_access_token(token) is first


def test_the_cache_keeps_the_newest_tokens_and_forgets_the_oldest(ring, clock):
    verifier = TokenVerifier(ring, clock, issuer=ISSUER, leeway=LEEWAY, cache_size=2)
    tokens = [mint(ring, clock, user_id=f"user-{n}") for n in range(3)]
    first = [verifier.verify_access_token(t) for t in tokens]
    assert verifier.verify_access_token(tokens[2]) is first[2]
    assert verifier.verify_access_token(tokens[1]) is first[1]
    again = verifier.verify_access_token(tokens[0])  # forgotten: checked in full again
    assert again == first[0] and again is not first[0]


def test_a_retired_key_still_verifies_api_tokens_past_its_window(ring, clock, verifier):
    # API tokens live for months: a key rotation must not break every background job.
    issuer = TokenIssuer(ring, clock, issuer=ISSUER)
    now = int(clock.now())
    api_token = blocking(
        issuer.mint_api_token(
            token_id="apt_1",
            entity_id="ent",
            user_id="job",
            rights=("read",),
            issued_at=now,
            expires_at=now + 30 * 86400,
        )
    ).token
    access_token = mint(ring, clock, lifetime=3 * PUBLISHED_FOR)
    rotate(ring)
    clock.advance(PUBLISHED_FOR + 2)

    assert verifier.verify_api_token(api_token)["jti"] == "apt_1"
    with pytest.raises(InvalidToken):
        verifier.verify_access_token(access_token)


def refusal(verifier, token: Any) -> str:
    with pytest.raises(InvalidToken) as refused:
        verifier.verify_access_token(token)
    return refused.value.description


def test_the_token_length_limit_is_4096_characters(verifier):
    # 4096 characters are read (and found malformed); one more is refused unread.
    assert refusal(verifier, "a" * 4092 + ".b.c") == "token is malformed"
    assert refusal(verifier, "a" * 4093 + ".b.c") == "token is missing or too long"


def test_each_refusal_says_why(ring, clock, verifier):
    """The error_description of a 401: what an integrator debugging a refused token reads."""
    token = mint(ring, clock, user_id="alice")
    now = int(clock.now())

    def signed(**changes: Any) -> str:
        return low_s(resigned(ring, token, **changes))

    other_signature = mint(ring, clock).rpartition(".")[2]
    expected = {
        "": "token is missing or too long",
        None: "token is missing or too long",
        "a.b": "token is not a compact JWS",
        "a.b.c": "token is malformed",
        jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256"): "token has the wrong typ",
        signed(iat=now + LEEWAY + 1): "token is not yet valid (iat)",
        signed(nbf=now + LEEWAY + 1): "token is not yet valid (nbf)",
        signed(exp=now - LEEWAY - 1): "token has expired",
        signed(iat=float(now)): "token claim iat must be an integer",
        signed(kind="admin"): "token has an unknown kind or scope",
        signed(scope=7): "token has an unknown kind or scope",
        signed(scope="read admin"): "token has malformed claims",
        signed(client_id=7): "token has malformed claims",
        high_s(token): "token signature is not in low-S form",
        token.rpartition(".")[0] + ".AAAAA": "token is malformed",  # 4n + 1 base64 characters
    }
    for refused, description in expected.items():
        assert refusal(verifier, refused) == description, refused
    unknown = jwt.encode(
        {"sub": "x"},
        ring.current.private_key,
        algorithm="ES256",
        headers={"kid": ring.current.kid + "-gone", "typ": "at+jwt"},
    )
    assert refusal(verifier, unknown) == "token is signed by an unknown key"
    # PyJWT's own words follow (they are its to change).
    forged = token.rpartition(".")[0] + "." + other_signature
    assert refusal(verifier, low_s(forged)).startswith("token is invalid: ")


def test_times_are_accepted_up_to_the_leeway_exactly(ring, clock):
    token = mint(ring, clock, lifetime=60)
    now = int(clock.now())
    edge = {  # each claim at the last second the leeway allows
        "iat": low_s(resigned(ring, token, iat=now + LEEWAY)),
        "nbf": low_s(resigned(ring, token, nbf=now + LEEWAY)),
        "nbf now": low_s(resigned(ring, token, nbf=now)),
        "exp": low_s(resigned(ring, token, exp=now - LEEWAY)),
    }
    for name, accepted in edge.items():
        fresh = TokenVerifier(ring, clock, issuer=ISSUER, leeway=LEEWAY)  # no cache to answer
        assert fresh.verify_access_token(accepted).entity_id == "ent", name


def test_the_claims_are_those_of_the_token(ring, clock, verifier):
    token = mint(ring, clock, lifetime=60, user_id="alice", user_name="Alice")
    claims = jwt.decode(token, options={"verify_signature": False})
    verified = verifier.verify_access_token(token)
    assert verified == AccessClaims(
        subject="alice",
        entity_id="ent",
        kind="user",
        rights=("read", "write"),
        client_id="key",
        jti=claims["jti"],
        issued_at=int(clock.now()),
        expires_at=int(clock.now()) + 60,
        kid=ring.current.kid,
        name="Alice",
    )
    assert verified.user_id == "alice"
    assert verifier.verify_access_token(mint(ring, clock)).name is None


# -- cnf (RFC 9449 §6: a DPoP-bound token names its key) ---------------------------------------

JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"


def test_a_bound_tokens_key_is_its_cnf_jkt_and_an_unbound_token_has_none(ring, clock, verifier):
    assert verifier.verify_access_token(mint(ring, clock, jkt=JKT)).jkt == JKT
    assert verifier.verify_access_token(mint(ring, clock)).jkt is None


@pytest.mark.parametrize(
    "cnf", [{}, {"jkt": ""}, {"jkt": 7}, {"jkt": None}, {"x5t#S256": JKT}, "jkt", [JKT], None]
)
def test_a_malformed_cnf_is_refused(ring, clock, verifier, cnf):
    token = low_s(resigned(ring, mint(ring, clock), cnf=cnf))
    with pytest.raises(InvalidToken, match="malformed cnf"):
        verifier.verify_access_token(token)


# -- revocations: checked on a cache hit only when they changed since ---------------------------


class CountedRevocations:
    """A RevocationCheck that refuses nothing and notes each check (jti, since)."""

    def __init__(self) -> None:
        self.generation = 5
        self.checks: list[tuple[str, int | None]] = []

    def check(self, claims: AccessClaims, since: int | None = None) -> None:
        self.checks.append((claims.jti, since))


def test_a_cached_token_is_checked_again_only_against_what_changed_since(ring, clock):
    revocations = CountedRevocations()
    verifier = TokenVerifier(ring, clock, issuer=ISSUER, leeway=LEEWAY, revocations=revocations)
    token = mint(ring, clock)
    jti = verifier.verify_access_token(token).jti
    assert revocations.checks == [(jti, None)]  # decoded: the whole set
    verifier.verify_access_token(token)
    assert revocations.checks == [(jti, None)]  # a hit, nothing changed: no check at all
    revocations.generation = 6
    assert verifier.verify_access_token(token).jti == jti
    assert revocations.checks == [(jti, None), (jti, 5)]  # only what came after 5
    verifier.verify_access_token(token)
    assert revocations.checks == [(jti, None), (jti, 5)]  # 6 is now what it passed
