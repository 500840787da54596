"""RFC 3986 §6.2.2-3 URL normalisation, for comparing a DPoP proof's `htu` with the URL a
request reached (RFC 9449 §4.3): case, default ports, percent-encodings and dot segments no
longer make two spellings of one URL differ; query and fragment are dropped."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str | None:
    """scheme://host[:port]/path, RFC 3986 normalised, without query and fragment; None when it
    is no http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    host = f"[{host}]" if ":" in host else host
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{normalise_path(parts.path)}"


def normalise_path(path: str) -> str:
    """Percent-encodings upper-cased, unreserved ones decoded, dot segments removed; "" is "/"."""
    path = PERCENT.sub(_percent, path)
    kept: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
        else:
            kept.append(segment)
    joined = "/".join(kept)
    return joined if joined.startswith("/") else "/" + joined


def _percent(found: re.Match[str]) -> str:
    char = chr(int(found[1], 16))
    return char if char in UNRESERVED else "%" + found[1].upper()
