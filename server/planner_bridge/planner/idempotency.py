"""Idempotency keys for writes: a replayed write is applied once and answers as the first did.

A key is scoped to whoever sent it (entity, token kind, subject), so two users cannot collide or
read each other's answers. Each key is bound to a fingerprint of the request it first came with
(method, path, canonical JSON body, If-Match); the same key with another request is a 422.

The life of a key, in the store:

    claim  -> reserved (status 0) -> write + answer          one transaction: the answer is
                                                             replayed for 24 h
                                  -> release                 the write failed, nothing changed:
                                                             the key is free to be used again
                                  -> (60 s pass)             the request died before writing:
                                                             the reservation lapses
                                  -> (its holder dies)       its instance died: taken over at
                                                             once (`storage.holders`)

The answer is stored by the asset write itself (`Store.add_asset(asset, answer)` ...), so a
process that dies never leaves an applied write whose key still says "in progress", nor an
answer for a write that did not happen. A reservation is only a short lease (`RESERVATION_LEASE`)
so that one whose request died frees itself; one whose instance (database session, or process
on SQLite) died is taken over at once, so a retry on another instance is applied within
moments, not refused until the lease runs out. Each reservation carries a random owner drawn by
the claim, and only that owner may answer or release the key: a request that stalled past its
lease while another took the key over is refused (409, its write not applied) rather than
applied twice or answered under the other request's fingerprint, and its failure cannot free
the other's reservation.

The answer kept is the whole first response (status, headers such as the ETag, body), so a
replay answers exactly as the first did, plus `Idempotent-Replayed: true`.

Only applied writes are remembered. A write refused with a coded error changed nothing, so the
key is released and a retry is judged afresh (e.g. after the planner fetched a fresh token).

Two requests with the same key at once: the second finds the key reserved and waits for the
first's answer (polling the store, so this holds across server instances), up to
`IN_FLIGHT_WAIT` seconds; if the first is still running then, it gets a 409 and may retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from typing import Any

from ..clock import Clock
from ..errors import InvalidRequest, UnprocessableRequest
from ..storage import AnswerRecord, Headers, IdempotentAnswer, Reservation, Store
from ..tokens.verification import AccessClaims

KEY_TTL = 24 * 3600.0
RESERVATION_LEASE = 60.0  # far longer than any write takes; a dead request's key frees itself
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as Stripe and the IETF draft
IN_FLIGHT_WAIT = 5.0
IN_FLIGHT_POLL = 0.02


def check_key(value: str) -> str:
    if not KEY_PATTERN.fullmatch(value):
        raise InvalidRequest("Idempotency-Key must be 1 to 255 visible ASCII characters")
    return value


def key_scope(claims: AccessClaims) -> str:
    return f"{claims.entity_id}/{claims.kind}/{claims.subject}"


def fingerprint(method: str, path: str, body: Any, precondition: str | None) -> str:
    """The same request in any JSON spelling (spacing, key order) has the same fingerprint."""
    # Key order and spacing are pinned: the fingerprints stored with each key (24 h) are
    # compared by every instance, those of the previous release too during a rolling deploy, so
    # this form never changes (tests/test_idempotency.py pins a value). json.dumps is ASCII.
    try:
        canonical = json.dumps(
            [method, path, body, precondition], sort_keys=True, separators=(",", ":")
        )
    except RecursionError:  # a body nested as deep as json.loads allows, plus our one level
        raise InvalidRequest("body must be plain JSON") from None
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        ttl: float = KEY_TTL,
        lease: float = RESERVATION_LEASE,
        in_flight_wait: float = IN_FLIGHT_WAIT,
    ) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self.lease = lease
        self.in_flight_wait = in_flight_wait

    async def claim(self, scope: str, key: str, request: str) -> IdempotentAnswer | Reservation:
        """A Reservation: the key is now reserved for this request. Else the earlier answer
        (status 0 while the earlier request runs). 422 when the key came with another request."""
        now = self.clock.now()
        earlier = await self.store.claim_idempotency_key(scope, key, request, now, self.lease)
        if isinstance(earlier, Reservation):
            return earlier
        if not hmac.compare_digest(earlier.request_hash, request):
            raise UnprocessableRequest("Idempotency-Key was already used with another request")
        return earlier

    async def claim_or_wait(
        self, scope: str, key: str, request: str
    ) -> IdempotentAnswer | Reservation:
        """`claim`, but an earlier request still running is waited for (then 409)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.in_flight_wait
        earlier = await self.claim(scope, key, request)
        while isinstance(earlier, IdempotentAnswer) and earlier.status == 0:
            if loop.time() >= deadline:
                raise InvalidRequest(
                    "a request with this Idempotency-Key is still in progress; retry",
                    status_code=409,
                )
            await asyncio.sleep(IN_FLIGHT_POLL)
            earlier = await self.claim(scope, key, request)
        return earlier

    def answer(
        self, reservation: Reservation, status: int, body: bytes, headers: Headers = ()
    ) -> AnswerRecord:
        """The answer to hand to the store write it answers; kept for `ttl` from now."""
        scope, key, owner = reservation.scope, reservation.key, reservation.owner
        expires = self.clock.now() + self.ttl
        return AnswerRecord(scope, key, owner, status, body, expires, headers)

    async def release(self, reservation: Reservation) -> None:
        """Free the key for a retry, if this reservation still holds it."""
        await self.store.release_idempotency_key(reservation)
