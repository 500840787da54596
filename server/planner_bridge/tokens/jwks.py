"""Verification keys fetched from the token service's published JWKS, for web services run apart.

`RemoteJWKS` offers the same `verification_key(kid, access_token=...)` as `keys.KeyRing`, so
`TokenVerifier` does not care where its keys come from; `key_source()` is the one place that
chooses.

Caching, in the manner of PyJWT's `PyJWKClient`: the key set is fetched once and reused for
`MAX_AGE` seconds. A token naming an unknown `kid` (the token service rotated) triggers a refresh,
but never more than one fetch per `MIN_REFRESH_INTERVAL` seconds, so a stream of forged `kid`s
cannot turn this server into a load generator against the token service. A failed fetch keeps
the keys already known. Only asymmetric keys with a pinned algorithm are taken from the set;
a symmetric (`oct`) key or an unknown `alg` is ignored.

The fetch is a short blocking call made on the event loop; the refresh bound above keeps it
rare (once per `MAX_AGE`, plus at most one per interval for unknown kids).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from ..clock import Clock
from ..keys.ring import KeyRing
from ..settings import SIGNING_ALGORITHMS, Settings
from .verification import KeySource

MAX_AGE = 300.0
MIN_REFRESH_INTERVAL = 10.0
FETCH_TIMEOUT = 3.0
MAX_JWKS_BYTES = 256 * 1024


@dataclasses.dataclass(frozen=True)
class RemoteKey:
    kid: str
    alg: str
    public_key: Any = dataclasses.field(repr=False, compare=False)


def fetch_jwks(url: str) -> dict[str, Any]:
    """GET the key set; any failure is a `ValueError` or an `httpx.HTTPError`."""
    response = httpx.get(url, timeout=FETCH_TIMEOUT, follow_redirects=False)
    response.raise_for_status()
    if len(response.content) > MAX_JWKS_BYTES:
        raise ValueError("JWKS document is too large")
    document = response.json()
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("JWKS document has no keys list")
    return document


def parse_key(jwk: object) -> RemoteKey | None:
    """One JWK as a verification key, or None when it is not one we may verify with."""
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
        return None
    if jwk.get("use", "sig") != "sig" or jwk.get("kty") == "oct":
        return None
    try:
        parsed = jwt.PyJWK(jwk)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
    if parsed.algorithm_name not in SIGNING_ALGORITHMS:
        return None
    return RemoteKey(kid=jwk["kid"], alg=parsed.algorithm_name, public_key=parsed.key)


class RemoteJWKS:
    def __init__(
        self,
        url: str,
        clock: Clock,
        *,
        fetch: Callable[[str], dict[str, Any]] = fetch_jwks,
        max_age: float = MAX_AGE,
        min_refresh_interval: float = MIN_REFRESH_INTERVAL,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the JWKS URL must be an http(s) URL")
        self.url = url
        self.clock = clock
        self.fetch = fetch
        self.max_age = max_age
        self.min_refresh_interval = min_refresh_interval
        self.fetches = 0  # how many times the set was fetched (observable in tests)
        self._keys: dict[str, RemoteKey] = {}
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._lock = threading.Lock()

    def verification_key(self, kid: str, *, access_token: bool) -> RemoteKey | None:
        # The published set holds only keys still good for access tokens, so `access_token`
        # needs no further check here.
        if self._stale():
            self._refresh()
        key = self._keys.get(kid)
        if key is None and self._refresh():
            key = self._keys.get(kid)
        return key

    def _stale(self) -> bool:
        return self._fetched_at is None or self.clock.now() - self._fetched_at > self.max_age

    def _refresh(self) -> bool:
        """Fetch the set unless one was tried lately; True when a new set was loaded."""
        with self._lock:
            now = self.clock.now()
            if self._last_attempt is not None and now - self._last_attempt < (
                self.min_refresh_interval
            ):
                return False
            self._last_attempt = now
            self.fetches += 1
            try:
                document = self.fetch(self.url)
            except (httpx.HTTPError, ValueError):
                return False  # keep the keys we know; the next attempt comes after the interval
            keys = (parse_key(jwk) for jwk in document["keys"])
            self._keys = {key.kid: key for key in keys if key is not None}
            self._fetched_at = now
            return True


def key_source(settings: Settings, keyring: KeyRing, clock: Clock) -> KeySource:
    """The remote JWKS when `PLANNER_BRIDGE_JWKS_URL` is set, else the local key ring."""
    if settings.jwks_url:
        return RemoteJWKS(settings.jwks_url, clock)
    return keyring
