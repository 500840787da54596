"""Every check of a DPoP proof (RFC 9449 §4.3, SPEC "Sender-constrained tokens"), one row each:
a good proof passes, and each broken one is refused with the code the SPEC names."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from dpop_keys import DPoPKey, b64url
from planner_bridge.clock import FrozenClock
from planner_bridge.errors import InvalidDPoPProof, UseDPoPNonce
from planner_bridge.storage.sqlite import SQLiteStore
from planner_bridge.tokens.dpop import ProofChecker, thumbprint
from planner_bridge.tokens.dpop_nonces import WINDOW, DPoPNonces
from planner_bridge.tokens.urls import normalise_url

ORIGIN = "https://planner.example"
URL = ORIGIN + "/v1/assets/ast_1"
TOKEN = "eyJ0eXAiOiJhdCtqd3QifQ.e30.c2ln"
KEY = DPoPKey()


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def nonces(clock, tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    yield DPoPNonces(b"k" * 32, clock, store, max_age=60)
    asyncio.run(store.close())


@pytest.fixture
def checker(clock, nonces):
    return ProofChecker(clock, nonces, origin=ORIGIN)


def check(checker: ProofChecker, proofs: list[str], **kwargs: Any):
    options = {"method": "GET", "path": "/v1/assets/ast_1", "access_token": TOKEN, **kwargs}
    return checker.check(proofs, **options)


def good(clock, nonces, **kwargs: Any) -> str:
    options = {"token": TOKEN, "nonce": nonces.current(), "iat": clock.now(), **kwargs}
    return KEY.proof("GET", URL, **options)


def raw_jws(header: dict[str, Any], claims: dict[str, Any], key: Any, alg: str) -> str:
    """A JWS whose header says what the row wants, whatever PyJWT would have put there."""
    signing_input = ".".join(
        b64url(json.dumps(part).encode()) for part in (header, claims)
    ).encode()
    algorithm = jwt.get_algorithm_by_name(alg)
    return signing_input.decode() + "." + b64url(algorithm.sign(signing_input, key))


def test_a_good_proof_passes_with_its_thumbprint(clock, nonces, checker):
    proof = check(checker, [good(clock, nonces)])
    assert proof.jkt == KEY.jkt == thumbprint(KEY.jwk)
    assert (proof.iat, len(proof.jti)) == (int(clock.now()), 22)


def test_rfc_7638_thumbprint_example():
    # RFC 7638 §3.1's example is RSA; this checks the EC member order against a hand-made one.
    jwk = {"kty": "EC", "crv": "P-256", "x": "AA", "y": "BB", "kid": "ignored", "use": "sig"}
    assert thumbprint(jwk) == b64url(
        __import__("hashlib").sha256(b'{"crv":"P-256","kty":"EC","x":"AA","y":"BB"}').digest()
    )


REFUSED = {
    "two DPoP headers": lambda c, n: [good(c, n), good(c, n)],
    "no DPoP header": lambda c, n: [],
    "not a JWS": lambda c, n: ["not.a-jws"],
    "too long": lambda c, n: ["a" * 3000 + ".b.c"],
    "typ JWT": lambda c, n: [good(c, n, header={"typ": "JWT"})],
    "typ missing": lambda c, n: [good(c, n, header={"typ": None})],
    "private key in jwk": lambda c, n: [good(c, n, header={"jwk": {**KEY.jwk, "d": "AAAA"}})],
    "RSA jwk": lambda c, n: [good(c, n, header={"jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}})],
    "P-384 jwk": lambda c, n: [good(c, n, header={"jwk": {**KEY.jwk, "crv": "P-384"}})],
    "no jwk": lambda c, n: [good(c, n, header={"jwk": None})],
    "jwk not on the curve": lambda c, n: [
        good(c, n, header={"jwk": {**KEY.jwk, "y": KEY.jwk["x"]}})
    ],
    "jwk of another key": lambda c, n: [good(c, n, header={"jwk": DPoPKey().jwk})],
    "htm POST": lambda c, n: [good(c, n, claims={"htm": "POST"})],
    "htm lower case": lambda c, n: [good(c, n, claims={"htm": "get"})],
    "htu other path": lambda c, n: [good(c, n, claims={"htu": ORIGIN + "/v1/assets/ast_2"})],
    "htu other host": lambda c, n: [
        good(c, n, claims={"htu": "https://evil.example/v1/assets/ast_1"})
    ],
    "htu other scheme": lambda c, n: [
        good(c, n, claims={"htu": "http://planner.example/v1/assets/ast_1"})
    ],
    "htu other port": lambda c, n: [
        good(c, n, claims={"htu": "https://planner.example:8443/v1/assets/ast_1"})
    ],
    "htu with userinfo": lambda c, n: [
        good(c, n, claims={"htu": "https://u@planner.example/v1/assets/ast_1"})
    ],
    "htu not a string": lambda c, n: [good(c, n, claims={"htu": 1})],
    "no htu": lambda c, n: [good(c, n, drop=("htu",))],
    "no htm": lambda c, n: [good(c, n, drop=("htm",))],
    "no jti": lambda c, n: [good(c, n, drop=("jti",))],
    "jti not a string": lambda c, n: [good(c, n, claims={"jti": 7})],
    "no iat": lambda c, n: [good(c, n, drop=("iat",))],
    "iat 61 s old": lambda c, n: [good(c, n, iat=c.now() - 61)],
    "iat 6 s ahead": lambda c, n: [good(c, n, iat=c.now() + 6)],
    "iat a string": lambda c, n: [good(c, n, claims={"iat": "now"})],
    "no ath": lambda c, n: [good(c, n, drop=("ath",))],
    "ath of another token": lambda c, n: [good(c, n, token=TOKEN + "x")],
    "short signature": lambda c, n: [good(c, n).rsplit(".", 1)[0] + ".AAAA"],
    "signature of no base64url length": lambda c, n: [good(c, n).rsplit(".", 1)[0] + ".AAAAA"],
    "iat NaN": lambda c, n: [good(c, n, claims={"iat": float("nan")})],
    "iat infinite": lambda c, n: [good(c, n, claims={"iat": float("inf")})],
    "iat past a float's range": lambda c, n: [good(c, n, claims={"iat": 10**400})],
    "iat below a float's range": lambda c, n: [good(c, n, claims={"iat": -(10**400)})],
    "jti a lone surrogate": lambda c, n: [good(c, n, claims={"jti": "\ud800"})],
    "jti with a line break": lambda c, n: [good(c, n, claims={"jti": "a\nb"})],
    "ath a lone surrogate": lambda c, n: [good(c, n, claims={"ath": "\ud800"})],
    "header not JSON": lambda c, n: ["bm90IGpzb24." + good(c, n).split(".", 1)[1]],
    "crit header": lambda c, n: [good(c, n, header={"crit": ["exp"], "exp": 1})],
    "bad signature": lambda c, n: [
        good(c, n)[:-4] + ("AAAA" if not good(c, n).endswith("AAAA") else "BBBB")
    ],
}


# What each refusal names (so that a row refused for another reason than its own fails).
REASONS = {
    "two DPoP headers": "exactly one",
    "no DPoP header": "exactly one",
    "not a JWS": "compact JWS",
    "too long": "compact JWS",
    "typ JWT": "typ",
    "typ missing": "typ",
    "private key in jwk": "public key",
    "RSA jwk": "P-256",
    "P-384 jwk": "P-256",
    "no jwk": "public key",
    "jwk not on the curve": "valid P-256",
    "jwk of another key": "signature",
    "htm POST": "htm",
    "htm lower case": "htm",
    "htu other path": "htu",
    "htu other host": "htu",
    "htu other scheme": "htu",
    "htu other port": "htu",
    "htu with userinfo": "htu",
    "htu not a string": "htu",
    "no htu": "htu is missing",
    "no htm": "htm is missing",
    "no jti": "jti is missing",
    "jti not a string": "jti",
    "no iat": "iat is missing",
    "iat 61 s old": "too old",
    "iat 6 s ahead": "future",
    "iat a string": "iat",
    "no ath": "ath",
    "ath of another token": "ath",
    "short signature": "signature",
    "signature of no base64url length": "signature is not base64url",
    "iat NaN": "iat must be a number",
    "iat infinite": "iat must be a number",
    "iat past a float's range": "iat must be a number",
    "iat below a float's range": "iat must be a number",
    "jti a lone surrogate": "jti",
    "jti with a line break": "jti",
    "ath a lone surrogate": "ath",
    "header not JSON": "base64url JSON",
    "crit header": "crit",
    "bad signature": "signature",
}


@pytest.mark.parametrize("row", sorted(REFUSED))
def test_a_broken_proof_is_invalid_dpop_proof(row, clock, nonces, checker):
    with pytest.raises(InvalidDPoPProof) as refused:
        check(checker, REFUSED[row](clock, nonces))
    assert (refused.value.error, refused.value.status_code) == ("invalid_dpop_proof", 401)
    assert REASONS[row] in refused.value.description


ALGS = {
    "alg none": ({"alg": "none"}, None, "none"),
    "alg HS256": ({"alg": "HS256"}, b"k" * 32, "HS256"),
    "alg ES384": ({"alg": "ES384"}, ec.generate_private_key(ec.SECP384R1()), "ES384"),
    "alg ES256K-ish name": ({"alg": "es256"}, KEY.private, "ES256"),
}


@pytest.mark.parametrize("row", sorted(ALGS))
def test_only_es256_is_accepted(row, clock, nonces, checker):
    header, key, alg = ALGS[row]
    claims = {"jti": "j", "htm": "GET", "htu": URL, "iat": int(clock.now())}
    claims.update(ath=b64url(__import__("hashlib").sha256(TOKEN.encode()).digest()))
    claims["nonce"] = nonces.current()
    proof = (
        raw_jws({"typ": "dpop+jwt", "jwk": KEY.jwk, **header}, claims, key, alg)
        if key
        else (
            ".".join(
                b64url(json.dumps(p).encode())
                for p in ({"typ": "dpop+jwt", "jwk": KEY.jwk, **header}, claims)
            )
            + ".c2ln"
        )
    )
    with pytest.raises(InvalidDPoPProof, match="alg"):
        check(checker, [proof])


def test_the_token_endpoints_refuse_with_400(clock, nonces, checker):
    with pytest.raises(InvalidDPoPProof) as refused:
        check(checker, [good(clock, nonces, claims={"htm": "PUT"})], status_code=400)
    assert refused.value.status_code == 400


def test_a_proof_without_a_nonce_is_asked_for_the_current_one(clock, nonces, checker):
    with pytest.raises(UseDPoPNonce) as asked:
        check(checker, [good(clock, nonces, nonce=None)])
    assert asked.value.nonce == nonces.current()
    assert asked.value.error == "use_dpop_nonce"


def test_a_foreign_nonce_is_refused_but_none_is_fine_where_not_demanded(clock, nonces, checker):
    with pytest.raises(UseDPoPNonce):
        check(checker, [good(clock, nonces, nonce="made-up")], require_nonce=False)
    assert check(checker, [good(clock, nonces, nonce=None)], require_nonce=False).jkt == KEY.jkt


def test_a_nonce_that_is_no_ascii_text_is_asked_again_not_a_server_error(clock, nonces, checker):
    with pytest.raises(UseDPoPNonce):
        check(checker, [good(clock, nonces, nonce="\ud800")])


def test_a_nonce_stays_good_for_at_least_a_window_and_then_lapses(clock, nonces, checker):
    clock.advance(-(clock.now() % WINDOW))  # the start of a window: the worst case
    nonce = nonces.current()
    clock.advance(WINDOW * 2 - 1)
    assert check(checker, [good(clock, nonces, nonce=nonce)]).jkt == KEY.jkt
    clock.advance(1)
    with pytest.raises(UseDPoPNonce):
        check(checker, [good(clock, nonces, nonce=nonce)])


def test_nonces_are_the_same_on_every_instance_with_the_master_key(clock, nonces, tmp_path):
    other = DPoPNonces(b"k" * 32, clock, nonces.store, max_age=60)
    stranger = DPoPNonces(b"x" * 32, clock, nonces.store, max_age=60)
    assert other.current() == nonces.current() != stranger.current()
    assert other.is_current(nonces.current()) and not stranger.is_current(nonces.current())


@pytest.mark.parametrize(
    ("sent", "same"),
    [
        ("https://PLANNER.example/v1/assets/ast_1", True),
        ("HTTPS://planner.example:443/v1/assets/ast_1", True),
        ("https://planner.example/v1/assets/ast_1?q=1#frag", True),
        ("https://planner.example/v1/./assets/x/../ast_1", True),
        ("https://planner.example/v1/assets/%61st_1", True),
        ("https://planner.example/v1/assets/ast_1/", False),
        ("https://planner.example/v1/ASSETS/ast_1", False),
        ("ftp://planner.example/v1/assets/ast_1", False),
        ("not a url", False),
    ],
)
def test_htu_is_compared_after_normalisation(sent, same):
    expected = normalise_url(URL)
    assert (normalise_url(sent) == expected) is same


def test_htu_is_checked_against_the_issuers_origin_not_the_host_header(clock, nonces):
    behind_proxy = ProofChecker(clock, nonces, origin="https://planner.example/")
    proof = good(clock, nonces)
    assert check(behind_proxy, [proof]).jkt == KEY.jkt
    elsewhere = ProofChecker(clock, nonces, origin="http://127.0.0.1:8001")
    with pytest.raises(InvalidDPoPProof, match="htu"):
        check(elsewhere, [good(clock, nonces)])


def test_a_jti_is_spent_once(clock, nonces, checker):
    proof = check(checker, [good(clock, nonces)])

    async def spend_twice():
        await nonces.spend(proof.jkt, proof.jti, proof.iat)
        await nonces.spend(DPoPKey().jkt, proof.jti, proof.iat)  # another key's jti space
        with pytest.raises(InvalidDPoPProof, match="used before"):
            await nonces.spend(proof.jkt, proof.jti, proof.iat)

    asyncio.run(spend_twice())


def test_a_remembered_header_still_has_each_proof_checked(clock, nonces, checker):
    """A header that passed is remembered by its text (with its key and thumbprint); every
    proof that comes with the same header still has its signature and claims checked."""
    first = good(clock, nonces)
    check(checker, [first])
    header, _, signature = first.split(".")
    later = good(clock, nonces)
    assert later.split(".")[0] == header  # a client sends the same header every time
    forged = ".".join([header, later.split(".")[1], signature])  # another proof's claims
    with pytest.raises(InvalidDPoPProof, match="signature"):
        check(checker, [forged])
    with pytest.raises(InvalidDPoPProof, match="too old"):
        check(checker, [good(clock, nonces, iat=clock.now() - 61)])
    assert check(checker, [later]).jti != check(checker, [first]).jti
