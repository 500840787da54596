"""Everything the planner origin's parts share, built once at start-up from the settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .addresses import TrustedProxies, brake_subject
from .clients.entities import EntityRegistry, origin_of
from .clients.signatures import SignatureVerifier
from .clock import Clock, SystemClock
from .credentials import SecretDeriver, load_master_key
from .keys.ring import KeyRing, KeySealer
from .keys.ring_file import open_key_ring
from .ratelimit import FailureLimiter
from .settings import Settings
from .storage import Store
from .storage.opening import open_store
from .tokens.api_tokens import ApiTokens
from .tokens.dpop import MAX_AGE, ProofChecker
from .tokens.dpop_nonces import DPoPNonces
from .tokens.issuer import TokenIssuer
from .tokens.jwks import key_source
from .tokens.revocation import Revocations, Revoker
from .tokens.verification import TokenVerifier


@dataclasses.dataclass
class Core:
    settings: Settings
    clock: Clock
    store: Store
    keyring: KeyRing
    issuer: TokenIssuer
    verifier: TokenVerifier
    entities: EntityRegistry
    signatures: SignatureVerifier
    # Failed client authentications (signatures, Basic) and failed API-token exchanges, each
    # counted per client address only (never per key id: that is public).
    client_failures: FailureLimiter
    exchange_failures: FailureLimiter
    proxies: TrustedProxies
    revocations: Revocations  # this process's copy, checked by `verifier`
    revoker: Revoker
    proofs: ProofChecker  # DPoP proofs (RFC 9449); its `nonces` also spend their jtis

    @classmethod
    async def connect(cls, settings: Settings, clock: Clock | None = None) -> Core:
        """A core on the database the settings name (SQLite or PostgreSQL), opened on the
        running event loop, which its PostgreSQL pool then belongs to."""
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        clock = clock or SystemClock()
        master_key = load_master_key(settings.data_dir, settings.master_key)
        store = await open_store(settings.database)
        try:  # one key ring, in the database, its private keys sealed with the master key
            keyring = await open_key_ring(settings, store, KeySealer(master_key), clock)
            core = cls._build(settings, clock, store, keyring, SecretDeriver(master_key))
            await core.revocations.start(store)  # loaded before anything is answered
        except BaseException:
            await store.close()
            raise
        return core

    @classmethod
    def _build(
        cls,
        settings: Settings,
        clock: Clock,
        store: Store,
        keyring: KeyRing,
        deriver: SecretDeriver,
    ) -> Core:
        revocations = Revocations(clock)
        verifier = TokenVerifier(
            key_source(settings, keyring, clock),
            clock,
            issuer=settings.issuer,
            leeway=settings.leeway,
            revocations=revocations,
        )
        revoker = Revoker(
            store,
            verifier,
            revocations,
            longest=settings.max_token_ttl,
            exchanged=settings.exchange_token_ttl,
        )

        async def revoke_key_tokens(key_id: str, entity_id: str, actor: str) -> None:
            await revoker.revoke_client(key_id, entity_id, way="key revoke", actor=actor)

        entities = EntityRegistry(store, deriver, clock, revoke_key_tokens)
        nonces = DPoPNonces(deriver.subkey("dpop-nonce/v1"), clock, store, max_age=MAX_AGE)
        return cls(
            settings=settings,
            clock=clock,
            store=store,
            keyring=keyring,
            issuer=TokenIssuer(keyring, clock, issuer=settings.issuer),
            verifier=verifier,
            entities=entities,
            signatures=SignatureVerifier(entities, store, clock),
            client_failures=FailureLimiter(clock, brake="client authentication"),
            exchange_failures=FailureLimiter(clock, brake="API token exchange"),
            proxies=TrustedProxies.parse(settings.trusted_proxies),
            revocations=revocations,
            revoker=revoker,
            # htu is checked against the issuer's origin: the public URL, behind a proxy too.
            proofs=ProofChecker(clock, nonces, origin=origin_of(settings.issuer)),
        )

    def brake_subject(self, scope: Mapping[str, Any]) -> str:
        """What the brakes count a request's failures against: its client's address."""
        return brake_subject(self.proxies.client_address(scope))

    def api_tokens(self) -> ApiTokens:
        """The API-token operations over this core's store, issuer, verifier and clock."""
        return ApiTokens(
            self.store,
            self.issuer,
            self.verifier,
            self.clock,
            exchange_ttl=self.settings.exchange_token_ttl,
            revoker=self.revoker,
        )

    @property
    def deriver(self) -> SecretDeriver:
        return self.entities.deriver

    async def aclose(self) -> None:
        await self.entities.settle()
        await self.keyring.settle()
        await self.store.close()
