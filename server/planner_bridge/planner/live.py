"""The live channel's hub: every asset change fanned out to the subscribers whose token may see it.

Events, as sent on `GET /v1/live`:

    {"type": "asset.changed", "asset": {...asset JSON..., "deleted": false}}   created or changed
    {"type": "asset.changed", "asset": {...last state...,  "deleted": true}}   deleted

Each subscriber has its own queue. A subscriber that falls `QUEUE_LIMIT` events behind is cut
off (its queue is emptied and `next()` answers None) rather than holding memory without bound;
the connection closes and the planner reconnects and re-lists. Each process has its hub; with
several instances on one database, each hub also hears the changes the others make (the
store's `watch_assets`: PostgreSQL LISTEN/NOTIFY), filtered by rights the same way.

`publish` may be called from any thread; events are handed to each subscriber's event loop.
A subscriber whose token is revoked (SPEC "Revocation within a second") is handed `REVOKED`
as soon as this process hears of it, and its socket closes with 4401.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..storage import Asset, AssetListener
from ..tokens.revocation import Revocations
from ..tokens.verification import AccessClaims
from .assets import asset_json, can_see

QUEUE_LIMIT = 256

Event = dict[str, Any]
REVOKED: Event = {"type": "revoked"}  # never sent as it is: the socket closes on it


def change_event(asset: Asset, *, deleted: bool) -> Event:
    return {"type": "asset.changed", "asset": {**asset_json(asset), "deleted": deleted}}


class Subscription:
    def __init__(self, claims: AccessClaims, loop: asyncio.AbstractEventLoop) -> None:
        self.claims = claims
        self.loop = loop
        self.cut_off = False
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()

    async def next(self) -> Event | None:
        """The next event, or None once this subscriber has been cut off for falling behind."""
        return await self._queue.get()

    def deliver(self, event: Event) -> None:
        if self.cut_off:
            return
        if self._queue.qsize() >= QUEUE_LIMIT:
            self.cut_off = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)
            return
        self._queue.put_nowait(event)


class LiveHub:
    def __init__(
        self,
        others: Callable[[AssetListener], Awaitable[None]] | None = None,
        revocations: Revocations | None = None,
    ) -> None:
        """`others`: how to hear the changes other instances make (the store's
        `watch_assets`); started before the first subscriber subscribes. `revocations`: this
        process's, whose every change cuts off the subscribers it now refuses."""
        self._subscriptions: set[Subscription] = set()
        self._others = others
        self._hearing: asyncio.Future[None] | None = None
        if revocations is not None:
            revocations.on_change(lambda: self._cut_revoked(revocations))

    async def hear_others(self) -> None:
        """Start hearing the other instances (once; every subscriber waits for it, so none
        subscribes before the changes it must hear can reach it)."""
        if self._others is None:
            return
        if self._hearing is None:
            self._hearing = asyncio.ensure_future(self._others(self.publish))
        try:
            await asyncio.shield(self._hearing)
        except Exception:
            self._hearing = None  # the next subscriber tries again
            logging.getLogger(__name__).warning("not hearing other instances' changes yet")
            return
        self._others = None

    def subscribe(self, claims: AccessClaims) -> Subscription:
        subscription = Subscription(claims, asyncio.get_running_loop())
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def __len__(self) -> int:
        return len(self._subscriptions)

    def publish(self, asset: Asset, deleted: bool = False) -> None:
        event = change_event(asset, deleted=deleted)
        # list() copies the set in one step: publishers run on other threads (the store's).
        self._hand(event, [s for s in list(self._subscriptions) if can_see(s.claims, asset)])

    def _cut_revoked(self, revocations: Revocations) -> None:
        cut = [s for s in list(self._subscriptions) if revocations.refuses(s.claims)]
        self._hand(REVOKED, cut)

    def _hand(self, event: Event, subscriptions: list[Subscription]) -> None:
        """`event` to each subscription, on its own loop."""
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for subscription in subscriptions:
            if subscription.loop is here:
                subscription.deliver(event)
            elif subscription.loop.is_closed():
                self.unsubscribe(subscription)
            else:
                subscription.loop.call_soon_threadsafe(subscription.deliver, event)
