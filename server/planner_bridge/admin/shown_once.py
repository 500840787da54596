"""What the console shows once (a new API key's secret, a new web service token), carried from
the POST that made it to the page its redirect lands on (post/redirect/get), and no further.

It waits in the session's row, sealed (AES-256-GCM) under a key derived from the session id,
which only the browser's cookie holds (the store keeps the id's hash): a copy of the database
opens nothing, and any instance sharing the store can show it. Taking it clears it in the same
statement, so a reload or Back shows nothing again, and signing out deletes it with the row.
Never in a URL, a cookie, a log, or the store in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..storage import Store
from .sessions import id_hash

LABEL = b"planner-bridge admin shown-once"
NONCE_BYTES = 12


def _cipher(session_id: str) -> AESGCM:
    return AESGCM(hmac.new(session_id.encode(), LABEL, hashlib.sha256).digest())


def seal(session_id: str, value: dict[str, Any]) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    plain = json.dumps(value).encode()
    return nonce + _cipher(session_id).encrypt(nonce, plain, id_hash(session_id).encode())


def unseal(session_id: str, sealed: bytes) -> dict[str, Any] | None:
    nonce, box = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        plain = _cipher(session_id).decrypt(nonce, box, id_hash(session_id).encode())
    except InvalidTag:
        return None
    value = json.loads(plain)
    return value if isinstance(value, dict) else None


async def keep(store: Store, session_id: str, value: dict[str, Any]) -> None:
    """For the next page of this session only (one value at a time: a newer one replaces it)."""
    await store.keep_shown_once(id_hash(session_id), seal(session_id, value))


async def take(store: Store, session_id: str) -> dict[str, Any] | None:
    """The value kept for this session, once; None ever after."""
    sealed = await store.take_shown_once(id_hash(session_id))
    return None if sealed is None else unseal(session_id, sealed)
