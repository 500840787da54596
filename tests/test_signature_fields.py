"""Our RFC 9421 verifier against the reference: the http-message-signatures library.

`SignatureVerifier` parses Signature-Input/Signature itself (`signature_fields`) and builds the
signature base itself; the library's general verifier is the reference it must agree with.
Every request below is signed over the base the library builds from the exact Signature-Input
text (so unusual spacing, parameter orders and escapes are signed as a signer of another
language would sign them), then given to both verifiers: both accept or both refuse. A few
signatures the library's general verifier would take but SPEC's profile does not (a derived
component SPEC never names, parameters on a component) are refused by ours, on purpose, and
listed as such.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from types import SimpleNamespace
from typing import Any

import pytest
from http_message_signatures import ContentDigest, HTTPMessageVerifier, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from planner_bridge.clients.signature_fields import (
    MalformedSignature,
    parse_content_digest,
    parse_signature,
)
from planner_bridge.clients.signatures import (
    COVERED,
    COVERED_CALL,
    DERIVED_VALUE,
    FIELD_VALUE,
    _is_derived_value,
    _is_field_value,
)
from planner_bridge.errors import InvalidClient
from planner_bridge.serving import blocking
from support import register_shop

URL = "http://127.0.0.1:8001/v1/tokens"
BODY = b'{"type": "legal_entity"}'
PARAMETERS = ';created={created};keyid="{key}";nonce="{nonce}"'
GOOD = 'sig=("@method" "@path" "content-digest")' + PARAMETERS


class Pairs(list):
    """Header field lines in wire order, a name possibly repeated, as the library reads them."""

    def items(self) -> list[tuple[str, str]]:
        return list(self)


class Reference(HTTPMessageVerifier):
    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        """The window is our policy, checked on our clock after the signature; not compared."""


def library_signature(message: Any, signature_input: str, secret: str) -> str:
    """The Signature field for `signature_input`, over the base the library builds from it (its
    private builder: no public API signs a given Signature-Input text). Where the library
    cannot build one, a well-formed signature of nothing, which no verifier may accept."""
    library = Reference(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=None)
    try:
        ((label, node),) = library._parse_signature_dictionary(signature_input).items()
        base, _, _ = library._build_signature_base(
            message, covered_component_ids=list(node), signature_params=node.params
        )
    except (HTTPMessageSignaturesException, ValueError, TypeError):
        return "sig=:" + base64.b64encode(bytes(32)).decode() + ":"
    mac = hmac.digest(secret.encode(), base.encode(), "sha256")
    return f"{label}=:{base64.b64encode(mac).decode()}:"


class Bench:
    """One registered shop, and both verifiers to ask about each request."""

    def __init__(self, core: Any) -> None:
        self.core = core
        self.shop = register_shop(core)

    def template(self, text: str, **values: Any) -> str:
        values = {"created": int(time.time()), "key": self.shop.key_id, **values}
        values.setdefault("nonce", secrets.token_urlsafe(12))
        return text.format(**values)

    def request(
        self,
        signature_input: str,
        *,
        method: str = "POST",
        url: str = URL,
        body: bytes = BODY,
        digest: str | None = None,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> SimpleNamespace:
        digest = ContentDigest.create(body) if digest is None else digest
        lines = [("Content-Type", "application/json"), *extra]
        message = SimpleNamespace(method=method, url=url, headers=Pairs(lines), body=body)
        if digest:
            message.headers.append(("Content-Digest", digest))
        signature = library_signature(message, signature_input, self.shop.secret)
        message.headers += [("Signature-Input", signature_input), ("Signature", signature)]
        return message

    def library_accepts(self, message: Any, covered: tuple[str, ...] = COVERED) -> bool:
        library = Reference(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=SimpleNamespace(
                resolve_public_key=lambda k: self.core.deriver.secret_for(k).encode()
            ),
        )
        try:
            library.verify(message, max_age=None, require_components=covered, body=message.body)
        except HTTPMessageSignaturesException:
            return False
        return True

    def we_accept(self, message: Any, covered: tuple[str, ...] = COVERED) -> bool:
        return self.our_refusal(message, covered) is None

    def our_refusal(self, message: Any, covered: tuple[str, ...] = COVERED) -> str | None:
        """Why our verifier refused the request (its error_description); None if it did not."""
        verify = self.core.signatures.verify(
            method=message.method,
            url=message.url,
            headers=list(message.headers),
            body=message.body,
            covered=covered,
        )
        try:
            blocking(verify)
        except InvalidClient as refused:
            assert refused.scheme == 'Signature realm="planner-bridge"'
            return refused.description
        return None

    def verdicts(self, message: Any, covered: tuple[str, ...] = COVERED) -> tuple[bool, bool]:
        return self.library_accepts(message, covered), self.we_accept(message, covered)


@pytest.fixture
def bench(core) -> Bench:
    return Bench(core)


ACCEPTED_BY_BOTH = {
    "as our signer writes it": GOOD + ';alg="hmac-sha256"',
    "without alg": GOOD,
    "spaces wherever RFC 8941 allows them": (
        'sig=(  "@method"   "@path" "content-digest" );created={created};  keyid="{key}";'
        ' nonce="{nonce}"'
    ),
    "components and parameters in another order": (
        'sig=("content-digest" "@path" "@method");nonce="{nonce}";keyid="{key}";created={created}'
    ),
    "a tag and an expiry": GOOD + ';tag="erp-7";expires={expires}',
    "escapes in a string": GOOD.replace("{nonce}", '{nonce}\\"q\\\\'),
    "a created with leading zeros": GOOD.replace("={created}", "=00{created}"),
    "another field covered too": (
        'sig=("@method" "@path" "content-digest" "content-type");created={created};'
        'keyid="{key}";nonce="{nonce}"'
    ),
    "a label of every allowed character": GOOD.replace("sig=", "*a-1_b.c*="),
}


@pytest.mark.parametrize("text", ACCEPTED_BY_BOTH.values(), ids=ACCEPTED_BY_BOTH.keys())
def test_what_the_library_accepts_we_accept(bench, text):
    message = bench.request(bench.template(text, expires=int(time.time()) + 60))
    assert bench.verdicts(message) == (True, True)


REFUSED_BY_BOTH = {
    "two signatures": GOOD + ", two=" + GOOD.removeprefix("sig="),
    "an Inner List that does not end": 'sig=("@method" "@path" "content-digest";created={created}',
    "an Item instead of an Inner List": 'sig="@method";created={created};keyid="{key}"',
    "no components at all": 'sig=();created={created};keyid="{key}";nonce="{nonce}"',
    "a component repeated": (
        'sig=("@method" "@path" "@path" "content-digest");created={created};keyid="{key}";'
        'nonce="{nonce}"'
    ),
    "a component in capitals": GOOD.replace('"@method"', '"@METHOD"'),
    "a component that is a token": GOOD.replace('"@method"', "method"),
    "no keyid": 'sig=("@method" "@path" "content-digest");created={created};nonce="{nonce}"',
    "a keyid that is a token": GOOD.replace('keyid="{key}"', "keyid={key}"),
    "a created that is a string": GOOD.replace("={created}", '="{created}"'),
    "a created that is a decimal": GOOD.replace("={created}", "={created}.5"),
    "a created of more than 15 digits": GOOD.replace("={created}", "=1000000{created}"),
    "a parameter without a value": GOOD.replace("created={created}", "created"),
    "an unknown parameter": GOOD + ';color="red"',
    "another algorithm": GOOD + ';alg="hmac-sha512"',
    "a trailing comma": GOOD + ",",
    "a trailing semicolon": GOOD + ";",
    "a label in capitals": GOOD.replace("sig=", "Sig="),
    "a string with a raw control character": GOOD.replace("{nonce}", "{nonce}\x01"),
    "a string with a lone backslash": GOOD.replace("{nonce}", "{nonce}\\n"),
}


@pytest.mark.parametrize("text", REFUSED_BY_BOTH.values(), ids=REFUSED_BY_BOTH.keys())
def test_what_the_library_refuses_we_refuse(bench, text):
    message = bench.request(bench.template(text))
    assert bench.verdicts(message) == (False, False)


def test_every_refusal_of_the_signature_itself_says_only_that_it_is_invalid(bench):
    """Whatever the flaw, the caller learns no more (nor which keys exist)."""
    for text in REFUSED_BY_BOTH.values():
        message = bench.request(bench.template(text))
        assert bench.our_refusal(message) == "request signature is invalid", text


def test_a_signature_without_created_is_refused_saying_so(bench):
    """Our policy, not the parser's: the library's verifier, its time checks left to us,
    takes it."""
    text = 'sig=("@method" "@path" "content-digest");keyid="{key}";nonce="{nonce}"'
    message = bench.request(bench.template(text))
    assert bench.library_accepts(message)
    assert bench.our_refusal(message) == "signature needs a created parameter"


# -- the Signature field ------------------------------------------------------------------------


def signature_of(message: Any) -> str:
    return dict(message.headers)["Signature"]


def with_signature(message: Any, signature: str) -> Any:
    message.headers = Pairs([*message.headers[:-1], ("Signature", signature)])
    return message


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.replace("sig=", "other="),  # a label the Signature-Input does not have
        lambda s: s.replace(":", '"', 1).replace(":", '"'),  # a String, not a Byte Sequence
        lambda s: s[:-3] + "==:",  # base64 padded wrongly
        lambda s: s[:-3] + "!A=:",  # outside the base64 alphabet
        lambda s: s[:7] + "=" + s[7:],  # padding inside: strict base64 refuses it
        lambda s: s[:-1],  # the Byte Sequence does not end
        lambda s: s + ", " + s.replace("sig=", "two="),  # two signatures
        lambda s: s.replace("sig=:", "sig=:" + "AAAA"),  # other bytes
        lambda s: "sig=::",  # no bytes
    ],
)
def test_a_damaged_signature_field_is_refused_by_both(bench, change):
    message = bench.request(bench.template(GOOD))
    assert bench.verdicts(with_signature(message, change(signature_of(message)))) == (False, False)


def test_a_signature_split_over_two_field_lines_is_refused_by_both(bench):
    first = bench.request(bench.template(GOOD))
    second = bench.request(bench.template(GOOD.replace("sig=", "two=")))
    message = bench.request(bench.template(GOOD))
    message.headers += [h for h in second.headers if h[0].startswith("Signature")]
    assert bench.verdicts(message) == (False, False)
    assert bench.verdicts(first) == (True, True)  # each alone is good


def test_the_same_signature_input_twice_is_refused_by_both(bench):
    message = bench.request(bench.template(GOOD))
    message.headers.append(("Signature-Input", dict(message.headers)["Signature-Input"]))
    assert bench.verdicts(message) == (False, False)


# -- Content-Digest -----------------------------------------------------------------------------


def digest(name: str, body: bytes) -> str:
    function = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}[name]
    return f"{name}=:{base64.b64encode(function(body).digest()).decode()}:"


@pytest.mark.parametrize(
    ("field", "accepted"),
    [
        (digest("sha-256", BODY), True),
        (digest("sha-512", BODY), True),
        (digest("sha-256", BODY) + ", " + digest("sha-512", BODY), True),
        (digest("sha-512", BODY) + ",\t" + digest("sha-256", BODY), True),
        (digest("sha-256", BODY) + ", " + digest("sha-512", b"other"), False),
        (digest("sha-256", b"other"), False),
        (digest("sha-256", BODY) + ", " + digest("sha-256", BODY), False),
        ("md5=:" + base64.b64encode(hashlib.md5(BODY).digest()).decode() + ":", False),
        (digest("sha-256", BODY).replace(":", '"'), False),
        (digest("sha-256", BODY) + ",", False),
        ("sha-256=:AAAA:", False),
    ],
)
def test_content_digests_as_the_library_judges_them(bench, field, accepted):
    message = bench.request(bench.template(GOOD), digest=field)
    assert bench.verdicts(message) == (accepted, accepted)


def test_a_body_needs_a_covered_digest_for_both(bench):
    uncovered = 'sig=("@method" "@path");created={created};keyid="{key}";nonce="{nonce}"'
    with_body = bench.request(bench.template(uncovered))
    assert bench.verdicts(with_body, COVERED_CALL) == (False, False)
    digest_alone = bench.request(bench.template(uncovered), body=b"")  # its digest uncovered
    assert bench.verdicts(digest_alone, COVERED_CALL) == (False, False)
    nothing = bench.request(bench.template(uncovered), method="GET", body=b"", digest="")
    assert bench.verdicts(nothing, COVERED_CALL) == (True, True)


def test_an_empty_body_under_its_digest_is_accepted_by_both(bench):
    message = bench.request(bench.template(GOOD), body=b"")
    assert bench.verdicts(message) == (True, True)


# -- components -----------------------------------------------------------------------------------

QUERY = 'sig=("@method" "@path" "@query");created={created};keyid="{key}";nonce="{nonce}"'


def test_queries_as_the_library_judges_them(bench):
    covered = (*COVERED_CALL, "@query")
    for url in ("http://h/v1/assets?limit=5&after=a", "http://h/v1/assets?", "http://h/v1/assets"):
        signed = bench.request(bench.template(QUERY), method="GET", url=url, body=b"", digest="")
        assert bench.verdicts(signed, covered) == (True, True), url
    moved = bench.request(
        bench.template(QUERY), method="GET", url=URL + "?a=1", body=b"", digest=""
    )
    moved.url = URL + "?a=2"
    assert bench.verdicts(moved, covered) == (False, False)


def test_the_path_and_method_as_the_library_judges_them(bench):
    empty_path = bench.request(bench.template(GOOD), url="http://h")
    assert bench.verdicts(empty_path) == (True, True)  # "@path" is then "/"
    moved = bench.request(bench.template(GOOD))
    moved.url = URL.replace("tokens", "token")
    assert bench.verdicts(moved) == (False, False)
    other_method = bench.request(bench.template(GOOD))
    other_method.method = "PUT"
    assert bench.verdicts(other_method) == (False, False)


FIELD = (
    'sig=("@method" "@path" "content-digest" "x-trace");created={created};keyid="{key}";'
    'nonce="{nonce}"'
)


@pytest.mark.parametrize(
    ("lines", "accepted"),
    [
        ((("X-Trace", "a"), ("x-trace", "b")), True),  # field lines joined with ", "
        ((("X-Trace", "  padded\t"),), True),  # trimmed
        ((("X-Trace", "in\tside"),), True),  # a tab inside is kept
        ((("X-Trace", ""),), True),
        ((("X-Trace", "caf\u00e9"),), False),  # not ASCII
        ((("X-Trace", "bell\x07"),), False),  # a control character
        ((), False),  # covered, not sent
    ],
)
def test_covered_fields_as_the_library_judges_them(bench, lines, accepted):
    message = bench.request(bench.template(FIELD), extra=lines)
    assert bench.verdicts(message) == (accepted, accepted)


@pytest.mark.parametrize(
    "path", ["/v1/t\u00f6kens", "/v1/to kens", "/v1/tokens/\x7f"], ids=["non-ASCII", "space", "DEL"]
)
def test_a_path_no_url_may_carry_is_refused_by_both(bench, path):
    message = bench.request(bench.template(GOOD))
    message.url = "http://127.0.0.1:8001" + path
    assert bench.verdicts(message) == (False, False)


def hand_signed(bench: Bench, url: str, values: dict[str, str]) -> SimpleNamespace:
    """A GET signed over a base written out here, value by value: for values the library will
    not sign, so that only the verifier's own checks stand between them and acceptance."""
    inner = "(" + " ".join(f'"{name}"' for name in values) + ")" + bench.template(PARAMETERS)
    base = "".join(f'"{name}": {value}\n' for name, value in values.items())
    mac = hmac.digest(
        bench.shop.secret.encode(), (base + f'"@signature-params": {inner}').encode(), "sha256"
    )
    fields = [(name, value) for name, value in values.items() if not name.startswith("@")]
    signature = f"sig=:{base64.b64encode(mac).decode()}:"
    headers = Pairs([*fields, ("Signature-Input", "sig=" + inner), ("Signature", signature)])
    return SimpleNamespace(method="GET", url=url, headers=headers, body=b"")


@pytest.mark.parametrize(
    ("path", "field", "accepted"),
    [
        ("/v1/assets", "plain", True),  # the base written out here is the right one
        ("/v1/as sets", "plain", False),  # a derived value holds no space
        ("/v1/assets\x7f", "plain", False),  # nor a control character
        ("/v1/assets", "caf\u00e9", False),  # a field value is ASCII
        ("/v1/assets", "bell\x07", False),  # without control characters
        ("/v1/assets", "a\tb c", True),  # but tabs and spaces
    ],
)
def test_values_the_library_will_not_sign_are_refused_by_our_verifier(bench, path, field, accepted):
    values = {"@method": "GET", "@path": path, "x-trace": field}
    message = hand_signed(bench, "http://127.0.0.1:8001" + path, values)
    assert bench.we_accept(message, COVERED_CALL) == accepted


@pytest.mark.parametrize(
    ("sent", "accepted"),
    [("X a X", True), (" \tX a X\t ", True), ("X a X\x0b", False), ("X a X\r", False)],
)
def test_a_field_is_trimmed_of_spaces_and_tabs_only(bench, sent, accepted):
    """RFC 9421 §2.1: leading and trailing spaces and tabs go; anything else stays, and is
    then refused as a control character."""
    message = hand_signed(bench, URL, {"@method": "GET", "@path": "/v1/tokens", "x-trace": "X a X"})
    message.headers[0] = ("X-Trace", sent)
    assert bench.we_accept(message, COVERED_CALL) == accepted


DELIBERATE = {
    # SPEC names "@method", "@path", "@query" and fields; a signer adding others is refused.
    "@authority": 'sig=("@method" "@path" "content-digest" "@authority")' + PARAMETERS,
    "@target-uri": 'sig=("@method" "@path" "content-digest" "@target-uri")' + PARAMETERS,
    # Component parameters (RFC 9421 §2.1): none in SPEC's profile.
    "a field wrapped as bytes": 'sig=("@method" "@path" "content-digest" "x-trace";bs)'
    + PARAMETERS,
    # RFC 8941 lets the last of two equal parameters win; which nonce would be spent is then a
    # question no signer should make us answer: none sends two.
    "a parameter twice": GOOD + ';nonce="{nonce}-again"',
}


@pytest.mark.parametrize("text", DELIBERATE.values(), ids=DELIBERATE.keys())
def test_outside_the_profile_we_refuse_what_the_library_accepts(bench, text):
    message = bench.request(bench.template(text), extra=(("X-Trace", "a"),))
    assert bench.verdicts(message) == (True, False)


def test_parameters_on_a_signature_or_a_digest_are_refused_though_the_library_ignores_them(bench):
    """RFC 8941 allows them; none is defined for either field, and a strict parser takes
    nothing it would have to ignore."""
    message = bench.request(bench.template(GOOD))
    assert bench.verdicts(with_signature(message, signature_of(message) + ";x=1")) == (True, False)
    message = bench.request(bench.template(GOOD), digest=digest("sha-256", BODY) + ";q=1")
    assert bench.verdicts(message) == (True, False)


# -- the parser on its own ------------------------------------------------------------------------


def test_the_parsed_signature_holds_what_was_sent():
    found = parse_signature(
        'lbl=( "@method"  "x" );created=-7;keyid="k\\"1";alg="a"', "lbl=:" + "QUJD" + ":"
    )
    assert found.components == ("@method", "x")
    assert found.parameters == {"created": -7, "keyid": 'k"1', "alg": "a"}
    assert list(found.parameters) == ["created", "keyid", "alg"]
    assert found.signature == b"ABC"
    assert found.serialized_parameters() == '("@method" "x");created=-7;keyid="k\\"1";alg="a"'


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [(None, "sig=:QUJD:"), ('sig=("x");keyid="k"', None), ("", ""), ('sig=("x");keyid="k"', "")],
)
def test_a_missing_field_is_malformed(signature_input, signature):
    with pytest.raises(MalformedSignature):
        parse_signature(signature_input, signature)


def test_a_backslash_is_serialized_escaped():
    found = parse_signature('s=("x");keyid="a\\\\b"', "s=::")
    assert found.parameters["keyid"] == "a\\b"
    assert found.serialized_parameters() == '("x");keyid="a\\\\b"'


def test_the_value_checks_agree_with_their_patterns():
    """The signature base's checks of a value (str's own tests, for speed) take exactly the
    language of FIELD_VALUE and DERIVED_VALUE, alone and among other characters."""
    for code in [*range(0x300), 0x85, 0xA0, 0x2028, 0xFEFF, 0x1F600]:
        for value in (chr(code), f"a{chr(code)}b", chr(code) * 2, f"\t{chr(code)} "):
            assert _is_field_value(value) == bool(FIELD_VALUE.fullmatch(value)), repr(value)
            assert _is_derived_value(value) == bool(DERIVED_VALUE.fullmatch(value)), repr(value)
    assert _is_field_value("") and not _is_derived_value("")


def test_parameters_are_serialized_as_rfc_8941_writes_them():
    """Integers without leading zeros (and no "-0"); Strings exactly as sent; one space between
    components, none inside the parentheses."""
    found = parse_signature('s=(  "x"   "y" );created=007;expires=-0;  keyid="a b;c"', "s=::")
    assert found.serialized_parameters() == '("x" "y");created=7;expires=0;keyid="a b;c"'


def test_content_digest_members_by_algorithm():
    assert parse_content_digest("sha-256=:QUJD:,  sha-512=:REVG:") == {
        "sha-256": b"ABC",
        "sha-512": b"DEF",
    }
    assert parse_content_digest("sha-256=:QUJD:\t,\tsha-512=:REVG:")["sha-512"] == b"DEF"
    bad_ones = ("", "sha-256=:QUJD:, ", "sha-256=:QUJ:", "sha-256=:QUJD:,\x0bsha-512=:REVG:")
    for bad in (*bad_ones, "Xsha-256=:QUJD:X"):  # spaces and tabs are trimmed, nothing else
        with pytest.raises(MalformedSignature):
            parse_content_digest(bad)
