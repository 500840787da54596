"""The Signature-Input, Signature and Content-Digest fields of a signed request, parsed strictly.

RFC 9421 §4 carries a signature in two RFC 8941 Dictionaries; RFC 9530 the body's digest in a
third. Only what SPEC lets a request carry is read here, each field once, with one compiled
pattern: one member (one signature), an Inner List of bare component names, the metadata
parameters RFC 9421 §2.3 defines as Integers or Strings, a Byte Sequence signature, sha-256 or
sha-512 digests. Anything else (a token or decimal where a String belongs, parameters on a
component, an unknown parameter, a repeated one, a second member) is `MalformedSignature`,
which the verifier refuses like a signature that does not verify. The general parser (the
http-message-signatures library) stays the reference: the tests hold both to the same answers.
"""

from __future__ import annotations

import binascii
import re
from typing import NamedTuple

KEY = r"[a-z*][a-z0-9_.*-]*"  # RFC 8941 §3.1.2
# Printable ASCII, \" and \\ escaped; written as runs of plain characters between escapes (not one
# alternative per character), which matches the same strings some three times faster.
PLAIN = r"[\x20\x21\x23-\x5b\x5d-\x7e]*"
STRING = rf'"{PLAIN}(?:\\[\\"]{PLAIN})*"'
INTEGER = r"-?[0-9]{1,15}"
# A component name: a field name in lowercase (RFC 9110 token) or a derived "@..." name.
COMPONENT = r'"[a-z0-9@!#$%&\'*+.^_`|~-]+"'
PARAMETER = rf";\x20*({KEY})=({INTEGER}|{STRING})"
SIGNATURE_INPUT = re.compile(
    rf"({KEY})=\(\x20*((?:{COMPONENT}(?:\x20+{COMPONENT})*)?)\x20*\)((?:{PARAMETER})*)"
)
SIGNATURE = re.compile(rf"({KEY})=:([A-Za-z0-9+/=]*):")
DIGEST = re.compile(r"(sha-256|sha-512)=:([A-Za-z0-9+/=]*):")
PARAMETER_PATTERN = re.compile(PARAMETER)
ESCAPED = re.compile(r"\\(.)")
# RFC 9421 §2.3's signature metadata and the type each must have.
PARAMETER_TYPES: dict[str, type] = {
    "created": int,
    "expires": int,
    "keyid": str,
    "nonce": str,
    "alg": str,
    "tag": str,
}


class MalformedSignature(ValueError):
    """A signature field outside the profile; deliberately without details for the caller."""


class SignatureInput(NamedTuple):
    """One signature: what it covers, its metadata in the order sent, its bytes, and the
    "@signature-params" value: the Inner List serialized as RFC 8941 §4.1 says, which is what
    the signer signed whatever spacing the field arrived with. (A NamedTuple: made on every
    signed request, and a frozen dataclass costs about a microsecond more to make.)"""

    components: tuple[str, ...]
    parameters: dict[str, int | str]
    signature: bytes
    serialized: str

    def serialized_parameters(self) -> str:
        return self.serialized


def parse_signature(signature_input: str | None, signature: str | None) -> SignatureInput:
    """The request's one signature; both fields must hold exactly one member, the same label."""
    found = SIGNATURE_INPUT.fullmatch(signature_input or "")
    signed = SIGNATURE.fullmatch(signature or "")
    if found is None or signed is None or found[1] != signed[1]:
        raise MalformedSignature
    names = found[2].split()  # each still quoted: serialized as it is
    components = tuple([name[1:-1] for name in names])
    if len(set(components)) != len(components):
        raise MalformedSignature  # RFC 9421 §2.5: each component at most once
    parameters, serialized = _parameters(found[3])
    inner_list = "(" + " ".join(names) + ")" + serialized
    return SignatureInput(components, parameters, _bytes(signed[2]), inner_list)


def parse_content_digest(value: str) -> dict[str, bytes]:
    """RFC 9530's Dictionary: each digest by algorithm; at least one, none repeated."""
    digests: dict[str, bytes] = {}
    for member in value.split(","):
        found = DIGEST.fullmatch(member.strip(" \t"))
        if found is None or found[1] in digests:
            raise MalformedSignature
        digests[found[1]] = _bytes(found[2])
    return digests


def _parameters(text: str) -> tuple[dict[str, int | str], str]:
    """The parameters by name, and their serialization (RFC 8941 §4.1.1.2), made as they are
    read: a String's text as sent is already its serialization (only \\" and \\\\ escapes get
    past the pattern, and serializing puts back exactly those), an Integer's is its value's
    (no leading zeros)."""
    parameters: dict[str, int | str] = {}
    serialized = []
    for name, raw in PARAMETER_PATTERN.findall(text):
        if raw[0] == '"':
            value: int | str = _unescaped(raw[1:-1])
        else:
            value = int(raw)
            raw = str(value)
        if name in parameters or type(value) is not PARAMETER_TYPES.get(name):
            raise MalformedSignature
        parameters[name] = value
        serialized.append(f";{name}={raw}")
    if "keyid" not in parameters:
        raise MalformedSignature
    return parameters, "".join(serialized)


def _unescaped(text: str) -> str:
    # Most strings hold no escape: `sub` alone costs more than the rest of a parameter's parsing.
    return ESCAPED.sub(r"\1", text) if "\\" in text else text


def _bytes(text: str) -> bytes:
    # What `base64.b64decode(text, validate=True)` does, without its wrapper.
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        raise MalformedSignature from None
