"""Revocation within a second (SPEC): what each way of revoking names, and the set every
verifier checks with no database round trip.

What a revocation names, in the claims every access token carries already:
- one token: its `jti`;
- every token an API key minted: `client_id` is the key id (`/auth/token`, `/v1/tokens`);
- every token exchanged from an API token: `client_id` is "api-token:ID";
- every token of a user: `entity` and `sub` (kind "user").
A "not before" revocation refuses the tokens whose `iat` is at or before its second: `iat` is
whole seconds, so a token minted later in that same second is refused too (the safe side).

`Revocations` is this process's copy, kept current by the store (`watch_revocations`: NOTIFY on
PostgreSQL, in-process and a quick poll on SQLite). Until the copy is loaded, and while the feed
is cut, it vouches for no token (`DatabaseUnavailable`, a 503): an instance never answers on a
set that may miss a revocation. `Revoker` writes a revocation, applies it here at once, and
calls `revoked`, the one place each revocation is reported.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable

from .. import audit
from ..clock import Clock
from ..errors import InvalidToken
from ..storage import DatabaseUnavailable, Revocation, Store
from .verification import AccessClaims, TokenVerifier

JTI, CLIENT, USER = "jti", "client", "user"
API_TOKEN_CLIENT = "api-token:"  # the client_id of the tokens exchanged from an API token
SWEEP_EVERY = 60.0  # seconds between sweeps of the entries past their end
RECENT = 64  # changes remembered, so a token checked before them is checked against them only
REVOCATIONS_LOG = logging.getLogger("planner_bridge.revocations")


def user_subject(entity_id: str, user_id: str) -> str:
    return f"{entity_id}\n{user_id}"  # entity ids never hold a line break


def claims_user_subject(claims: AccessClaims) -> str:
    return user_subject(claims.entity_id, claims.subject)


def names(revocation: Revocation, claims: AccessClaims) -> bool:
    """Whether this one revocation refuses the token."""
    r = revocation
    if r.kind == JTI:
        return r.subject == claims.jti
    if claims.issued_at > r.not_before:
        return False
    if r.kind == CLIENT:
        return r.subject == claims.client_id
    return claims.kind == "user" and r.subject == claims_user_subject(claims)


class Revocations:
    """The revocations in force, by what they name; a `RevocationListener` of the store."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.current = False  # loaded, and the feed not cut since
        self.generation = 0  # changes with every change that may refuse a token
        self._jtis: dict[str, float] = {}  # jti -> end
        self._edges: dict[str, dict[str, tuple[float, float]]] = {CLIENT: {}, USER: {}}
        self._next_sweep = 0.0
        self._changed: list[Callable[[], None]] = []
        # (generation, what it added), newest last; None: anything may have changed (a reload,
        # a cut feed). Replaced whole on each change, so readers in any thread see a snapshot.
        self._recent: tuple[tuple[int, Revocation | None], ...] = ()
        # Writers may be a loop and a thread (SQLite's poller); readers never wait: each
        # lookup is one dict access, and a sweep swaps whole dicts.
        self._writing = threading.Lock()

    async def start(self, store: Store) -> None:
        """Load the current set and hear every change from now on (before answering)."""
        await store.watch_revocations(self, self.clock.now)

    def on_change(self, callback: Callable[[], None]) -> None:
        """`callback()` after each change heard (the live channel closes revoked sockets)."""
        self._changed.append(callback)

    def __len__(self) -> int:
        return len(self._jtis) + sum(len(edges) for edges in self._edges.values())

    # -- checking (every verified token, cached or not) ------------------------------------

    def check(self, claims: AccessClaims, since: int | None = None) -> None:
        """Raises InvalidToken for a revoked token; DatabaseUnavailable while not current.
        `since`: the generation at which these claims last passed (a verifier's cache hit)."""
        if not self.current:
            raise DatabaseUnavailable("revocations: not current (the database is away)")
        if self._refuses_since(claims, since):
            raise InvalidToken("token has been revoked")

    def _refuses_since(self, claims: AccessClaims, since: int | None) -> bool:
        """Only what changed after `since` can refuse claims that passed then: those few
        changes are compared one by one, with no lookup in tables as big as the set. The
        whole set is consulted when that is not known (no `since`, a reload, too long ago)."""
        if since is None:
            return self.refuses(claims)
        for generation, revocation in reversed(self._recent):
            if generation <= since:
                return False
            if revocation is None:
                break
            if names(revocation, claims):
                return True
        return self.refuses(claims)

    def refuses(self, claims: AccessClaims) -> bool:
        if claims.jti in self._jtis:
            return True
        edge = self._edges[CLIENT].get(claims.client_id)
        if edge is not None and claims.issued_at <= edge[0]:
            return True
        if claims.kind != "user":
            return False
        edge = self._edges[USER].get(claims_user_subject(claims))
        return edge is not None and claims.issued_at <= edge[0]

    # -- hearing (RevocationListener) ------------------------------------------------------

    def reloaded(self, current: list[Revocation]) -> None:
        with self._writing:
            for revocation in current:
                self._apply(revocation)
            self.current = True
            self._logged(None)
        self._tell()

    def heard(self, revocation: Revocation) -> None:
        with self._writing:
            self._apply(revocation)
            self._logged(revocation)
        self._tell()

    def lost(self) -> None:
        with self._writing:
            self.current = False
            self._logged(None)  # every cached token is checked again, and refused meanwhile

    def _logged(self, revocation: Revocation | None) -> None:
        # `_recent` first, then `generation`: a verifier on another thread that reads the new
        # generation must find the change it counts already in `_recent`.
        generation = self.generation + 1
        self._recent = (*self._recent[1 - RECENT :], (generation, revocation))
        self.generation = generation

    def _apply(self, revocation: Revocation) -> None:
        r = revocation
        if r.kind == JTI:
            self._jtis[r.subject] = max(r.expires, self._jtis.get(r.subject, 0.0))
        elif r.kind in self._edges:
            edges = self._edges[r.kind]
            nb, end = edges.get(r.subject, (r.not_before, r.expires))
            edges[r.subject] = (max(nb, r.not_before), max(end, r.expires))

    def _tell(self) -> None:
        now = self.clock.now()
        if now >= self._next_sweep:
            with self._writing:
                self._next_sweep = now + SWEEP_EVERY
                self._sweep(now)
        for callback in self._changed:
            callback()

    def _sweep(self, now: float) -> None:
        """Drop what names only expired tokens: the set stays bounded."""
        self._jtis = {jti: end for jti, end in self._jtis.items() if end > now}
        for kind, edges in self._edges.items():
            self._edges[kind] = {s: e for s, e in edges.items() if e[1] > now}


@dataclasses.dataclass(frozen=True)
class RevocationEvent:
    """What was revoked, how and by whom: for the audit trail."""

    way: str  # "oauth/revoke", "api-token disabled", "key revoke", "user sign-out", ...
    actor: str  # as the audit trail names it: "cli", an administrator, "api-key:ID"
    entity_id: str
    kind: str
    subject: str


def revoked(event: RevocationEvent) -> None:
    """Called once for every revocation made, whichever way (`Revoker._add`): a line of its own
    logger (not `logs.event`'s: the ways that logged an event before still log exactly that
    one). The audit trail is written by `Revoker._audit`."""
    fields = {"way": event.way, "actor": event.actor, "kind": event.kind}
    REVOCATIONS_LOG.info("tokens revoked", extra={"fields": fields})


class Revoker:
    """Every way of revoking ends here: stored, applied here at once, reported."""

    def __init__(
        self,
        store: Store,
        verifier: TokenVerifier,
        revocations: Revocations,
        *,
        longest: int,  # the longest lifetime of any access token (max_token_ttl)
        exchanged: int,  # the lifetime of an exchanged one (exchange_token_ttl)
    ) -> None:
        self.store = store
        self.verifier = verifier
        self.revocations = revocations
        self.clock = revocations.clock
        self.leeway = verifier.leeway
        self.longest = longest
        self.exchanged = exchanged

    async def revoke_token(self, token: str, entity_id: str, *, way: str, actor: str) -> bool:
        """RFC 7009: the token, if it is a valid access token of `entity_id`; False otherwise
        (unknown, expired, revoked already or another entity's: left alone)."""
        try:
            claims = self.verifier.verify_access_token(token)
        except InvalidToken:
            return False
        if claims.entity_id != entity_id:
            return False
        end = claims.expires_at + self.leeway + 1
        event = RevocationEvent(way, actor, entity_id, JTI, claims.jti)
        await self._add(Revocation(JTI, claims.jti, claims.issued_at, end), event)
        return True

    async def revoke_client(self, client_id: str, entity_id: str, *, way: str, actor: str) -> None:
        """Every token issued until now to `client_id` (an API key, or an API token's)."""
        exchanged = client_id.startswith(API_TOKEN_CLIENT)
        await self._edge(CLIENT, client_id, self.exchanged if exchanged else self.longest,
                         RevocationEvent(way, actor, entity_id, CLIENT, client_id))  # fmt: skip

    async def revoke_api_token(
        self, token_id: str, entity_id: str, *, way: str, actor: str
    ) -> None:
        """Every access token exchanged until now from the API token `token_id`."""
        await self.revoke_client(API_TOKEN_CLIENT + token_id, entity_id, way=way, actor=actor)

    async def revoke_user(self, entity_id: str, user_id: str, *, way: str, actor: str) -> None:
        """Every token of the user issued until now, however it was minted."""
        subject = user_subject(entity_id, user_id)
        event = RevocationEvent(way, actor, entity_id, USER, subject)
        await self._edge(USER, subject, max(self.longest, self.exchanged), event)

    async def _edge(self, kind: str, subject: str, lifetime: int, event: RevocationEvent) -> None:
        now = int(self.clock.now())
        end = now + lifetime + self.leeway + 1
        await self._add(Revocation(kind, subject, now, end), event)

    async def _add(self, revocation: Revocation, event: RevocationEvent) -> None:
        await self.store.add_revocation(revocation, self.clock.now())
        self.revocations.heard(revocation)  # here at once; the others hear it from the store
        revoked(event)
        await self._audit(event)

    async def _audit(self, event: RevocationEvent) -> None:
        """One token revoked, or a user signed out everywhere. A key's or an API token's
        revocation is recorded by the call that revoked or disabled it (`key.revoked`,
        `api_token.disabled` or `.deleted`), so not twice."""
        if event.kind == JTI:
            action, object_id = audit.TOKEN_REVOKED, event.subject
        elif event.kind == USER:
            action, object_id = audit.USER_SIGNED_OUT, event.subject.partition("\n")[2]
        else:
            return
        await audit.record(
            self.store, self.clock, entity_id=event.entity_id, actor=event.actor,
            action=action, object_id=object_id,
        )  # fmt: skip
