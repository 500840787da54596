"""Server nonces and single-use `jti`s for DPoP proofs (RFC 9449 §9, §11.1).

Nonces need no database: a nonce is an HMAC, under a key derived from the master key (which
every instance shares), of the number of the current WINDOW-second window. Any instance makes
the same nonce in the same window and accepts those of the window before and after it (a clock a
little off between instances changes nothing), so a nonce handed out stays good for at least
WINDOW seconds, at most three.

A proof's `jti` must be used once across every instance: it is spent in the store's table of
single-use values, the one signature nonces use (keyed "dpop:" + the key's thumbprint, so one key
can never spend another's), held until the proof could no longer pass the `iat` check anyway.
On SQLite those writes are batched (`storage.nonce_batch`), and `spend` asks for the write at
once (on PostgreSQL it starts when awaited): a read's `jti` is written while the read's own
store call runs (`apps.bearer`), and the answer goes out only once it is settled.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable

from ..clock import Clock
from ..credentials import b64url
from ..errors import InvalidDPoPProof
from ..storage import Conflict, Store

WINDOW = 60
NONCE_BYTES = 18
JTI_PREFIX = "dpop:"
JTI_HOLD_EXTRA = 5  # past iat + the proofs' max age: clocks of instances a little apart


class DPoPNonces:
    def __init__(self, key: bytes, clock: Clock, store: Store, *, max_age: int) -> None:
        self._mac = hmac.new(key, b"dpop-nonce/v1/", hashlib.sha256)
        self.clock = clock
        self.store = store
        self.max_age = max_age
        self._made: dict[int, str] = {}

    def current(self) -> str:
        return self._for(int(self.clock.now() // WINDOW))

    def is_current(self, nonce: str) -> bool:
        window = int(self.clock.now() // WINDOW)
        given = nonce.encode()
        # Every comparison made, whichever matches: no timing tells which window a nonce is of.
        matches = [
            hmac.compare_digest(given, self._for(w).encode())
            for w in (window - 1, window, window + 1)
        ]
        return any(matches)

    def _for(self, window: int) -> str:
        made = self._made.get(window)
        if made is None:
            mac = self._mac.copy()
            mac.update(b"%d" % window)
            made = b64url(mac.digest()[:NONCE_BYTES])
            if len(self._made) > 8:
                self._made.clear()
            self._made[window] = made
        return made

    def spend(self, jkt: str, jti: str, iat: float, *, status_code: int = 401) -> Awaitable[None]:
        """Marks the proof used (asked of the store now, see the module); the awaitable raises
        `InvalidDPoPProof` when it was used before, here or on any other instance."""
        now = self.clock.now()
        expires = max(iat, now) + self.max_age + JTI_HOLD_EXTRA
        return _spent(self.store.remember_nonce(JTI_PREFIX + jkt, jti, expires, now), status_code)


async def _spent(remembered: Awaitable[None], status_code: int) -> None:
    try:
        await remembered
    except Conflict:
        raise InvalidDPoPProof("DPoP proof: used before (jti)", status_code=status_code) from None
