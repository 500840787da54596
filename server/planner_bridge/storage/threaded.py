"""An `AsyncStore` over a synchronous `Store`: each call runs in a worker thread.

SQLite's driver blocks; run on the event loop, a commit waiting for the disk would stall every
other request. Here the loop only awaits while a thread of the default executor does the I/O.
Signature nonces, the one write every signed request makes, go in batches (`NonceBatch`).
"""

from __future__ import annotations

import asyncio
import functools

from . import (
    Administrator,
    AdminSession,
    AnswerRecord,
    ApiKey,
    ApiTokenRecord,
    Asset,
    AssetListener,
    Conflict,
    Entity,
    IdempotentAnswer,
    Reservation,
    SigningKeyRecord,
    Store,
)

Nonce = tuple[str, str, float, float]  # key id, nonce, expires, now: `remember_nonce`'s arguments
Waiting = tuple[Nonce, "asyncio.Future[bool]"]  # a nonce and the request waiting to hear of it


class ThreadedStore:
    def __init__(self, store: Store) -> None:
        self.sync = store  # for what must stay synchronous (start-up, the CLI)
        self._nonces = NonceBatch(store)

    async def add_entity(self, entity: Entity) -> None:
        await asyncio.to_thread(self.sync.add_entity, entity)

    async def get_entity(self, entity_id: str) -> Entity | None:
        return await asyncio.to_thread(self.sync.get_entity, entity_id)

    async def list_entities(self) -> list[Entity]:
        return await asyncio.to_thread(self.sync.list_entities)

    async def add_api_key(self, key: ApiKey) -> None:
        await asyncio.to_thread(self.sync.add_api_key, key)

    async def get_api_key(self, key_id: str) -> ApiKey | None:
        return await asyncio.to_thread(self.sync.get_api_key, key_id)

    async def list_api_keys(self, entity_id: str) -> list[ApiKey]:
        return await asyncio.to_thread(self.sync.list_api_keys, entity_id)

    async def revoke_api_key(self, key_id: str, when: float) -> bool:
        return await asyncio.to_thread(self.sync.revoke_api_key, key_id, when)

    async def touch_api_key(self, key_id: str, when: float) -> None:
        await asyncio.to_thread(self.sync.touch_api_key, key_id, when)

    async def add_admin(self, admin: Administrator) -> None:
        await asyncio.to_thread(self.sync.add_admin, admin)

    async def get_admin(self, username: str) -> Administrator | None:
        return await asyncio.to_thread(self.sync.get_admin, username)

    async def list_admins(self, entity_id: str) -> list[Administrator]:
        return await asyncio.to_thread(self.sync.list_admins, entity_id)

    async def delete_admin(self, username: str) -> bool:
        return await asyncio.to_thread(self.sync.delete_admin, username)

    async def add_admin_session(self, session: AdminSession) -> None:
        await asyncio.to_thread(self.sync.add_admin_session, session)

    async def get_admin_session(self, id_hash: str) -> AdminSession | None:
        return await asyncio.to_thread(self.sync.get_admin_session, id_hash)

    async def touch_admin_session(self, id_hash: str, when: float) -> None:
        await asyncio.to_thread(self.sync.touch_admin_session, id_hash, when)

    async def delete_admin_session(self, id_hash: str) -> bool:
        return await asyncio.to_thread(self.sync.delete_admin_session, id_hash)

    async def sweep_admin_sessions(self, seen_before: float, opened_before: float) -> int:
        return await asyncio.to_thread(self.sync.sweep_admin_sessions, seen_before, opened_before)

    async def remember_nonce(self, key_id: str, nonce: str, expires: float, now: float) -> None:
        await self._nonces.remember((key_id, nonce, expires, now))

    async def add_api_token(self, record: ApiTokenRecord) -> None:
        await asyncio.to_thread(self.sync.add_api_token, record)

    async def get_api_token(self, token_id: str) -> ApiTokenRecord | None:
        return await asyncio.to_thread(self.sync.get_api_token, token_id)

    async def list_api_tokens(self, entity_id: str) -> list[ApiTokenRecord]:
        return await asyncio.to_thread(self.sync.list_api_tokens, entity_id)

    async def set_api_token_disabled(self, token_id: str, disabled: bool) -> bool:
        return await asyncio.to_thread(self.sync.set_api_token_disabled, token_id, disabled)

    async def touch_api_token(self, token_id: str, when: float) -> None:
        await asyncio.to_thread(self.sync.touch_api_token, token_id, when)

    async def delete_api_token(self, token_id: str) -> bool:
        return await asyncio.to_thread(self.sync.delete_api_token, token_id)

    async def add_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> None:
        await asyncio.to_thread(self.sync.add_asset, asset, answer)

    async def get_asset(self, asset_id: str) -> Asset | None:
        return await asyncio.to_thread(self.sync.get_asset, asset_id)

    async def list_assets(
        self, entity_id: str, owner_ids: tuple[str | None, ...], *, after: str = "", limit: int = 50
    ) -> list[Asset]:
        return await asyncio.to_thread(
            lambda: self.sync.list_assets(entity_id, owner_ids, after=after, limit=limit)
        )

    async def update_asset(self, asset: Asset, answer: AnswerRecord | None = None) -> bool:
        return await asyncio.to_thread(self.sync.update_asset, asset, answer)

    async def delete_asset(self, asset_id: str, answer: AnswerRecord | None = None) -> bool:
        return await asyncio.to_thread(self.sync.delete_asset, asset_id, answer)

    async def claim_idempotency_key(
        self, scope: str, key: str, request_hash: str, now: float, lease: float
    ) -> IdempotentAnswer | Reservation:
        return await asyncio.to_thread(
            self.sync.claim_idempotency_key, scope, key, request_hash, now, lease
        )

    async def release_idempotency_key(self, reservation: Reservation) -> None:
        await asyncio.to_thread(self.sync.release_idempotency_key, reservation)

    async def list_signing_keys(self) -> list[SigningKeyRecord]:
        return await asyncio.to_thread(self.sync.list_signing_keys)

    async def add_signing_key(
        self, record: SigningKeyRecord, *, drop_old: bool = False, first: bool = False
    ) -> bool:
        return await asyncio.to_thread(
            lambda: self.sync.add_signing_key(record, drop_old=drop_old, first=first)
        )

    async def watch_assets(self, listener: AssetListener) -> None:
        """Nothing to hear: one process owns a SQLite file, and hears its own writes."""

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)


class NonceBatch:
    """Signature nonces written in groups: one worker-thread hop and one transaction
    (`Store.remember_nonces`) for all the nonces asked for while the previous group was being
    written (or, with none under way, in the same turn of the event loop); each request still
    gets its own answer.

    Why: the hop (a thread woken, the result handed back to the loop) and the commit cost more
    than the write itself, and a signed request waits for its nonce before it is answered. A
    lone request waits one loop turn more, nothing else; an answered request's nonce is as
    durable as before (`remember_nonce`), so a restart never re-opens a replay.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        # Per event loop: a store shared by the loops of several threads (the tests' servers
        # and their callers) never hands a future to a loop it does not belong to.
        self._waiting: dict[asyncio.AbstractEventLoop, list[Waiting]] = {}
        self._writing: set[asyncio.AbstractEventLoop] = set()

    async def remember(self, nonce: Nonce) -> None:
        """Stores the nonce, or raises Conflict when it is still held."""
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[bool] = loop.create_future()
        waiting = self._waiting.setdefault(loop, [])
        waiting.append((nonce, stored))
        if len(waiting) == 1 and loop not in self._writing:
            loop.call_soon(self._write, loop)  # else the write under way starts the next one
        if not await stored:
            raise Conflict("nonce already used")

    def _write(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._waiting.pop(loop)
        self._writing.add(loop)
        written = loop.run_in_executor(None, self.store.remember_nonces, [n for n, _ in batch])
        written.add_done_callback(functools.partial(self._written, loop, [f for _, f in batch]))

    def _written(
        self,
        loop: asyncio.AbstractEventLoop,
        waiting: list[asyncio.Future[bool]],
        written: asyncio.Future[list[bool]],
    ) -> None:
        self._writing.discard(loop)
        _answer(waiting, written)
        if written.cancelled():  # the executor shut down under it (the loop is closing)
            _answer([f for _, f in self._waiting.pop(loop, [])], written)
        elif self._waiting.get(loop):
            self._write(loop)


def _answer(waiting: list[asyncio.Future[bool]], written: asyncio.Future[list[bool]]) -> None:
    """Each request its own answer; a failed write fails all of them, as each would have."""
    failure = None if written.cancelled() else written.exception()
    for index, stored in enumerate(waiting):
        if stored.done():  # its request went away meanwhile
            continue
        if written.cancelled():  # the executor shut down under it (the loop is closing)
            stored.cancel()
        elif failure is not None:
            stored.set_exception(failure)
        else:
            stored.set_result(written.result()[index])
