"""Assets: what each token may see and change, and the checked create/read/change/delete of them.

Rights (SPEC "Planner web services"); an asset is *visible* to a token when it belongs to the
token's entity and is either in the catalog (owner None) or owned by the token's user:

    token                 sees                     changes (create, patch, delete) with `write`
    legal entity          the entity's catalog     the entity's catalog
    user                  catalog + own assets     own assets only (the catalog answers 403)

Anything not visible answers 404 as if absent: another user's asset, another entity's asset,
and every user asset for a legal-entity token. A write without the `write` right, or from an
entity no longer allowed to write, answers 403 `insufficient_scope` before anything is looked up.

Ids are time-ordered ("ast_" + 12 hex ms + 4 hex sequence + 8 hex random), so listing by id is
listing in creation order; the list cursor is simply the last id of a page.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable
from typing import Any

from ..clock import Clock
from ..errors import InsufficientScope, InvalidRequest, NotFound, PayloadTooLarge
from ..names import check_name
from ..storage import AnswerRecord, Asset, Store
from ..tokens.verification import AccessClaims
from ..validation import ascii_number, is_utf8_encodable

ASSET_ID = re.compile(r"ast_[0-9a-f]{24}")
MAX_DATA_BYTES = 64 * 1024
MAX_NAME_LENGTH = 200
MAX_KIND_LENGTH = 64
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
FIELDS = {"name", "kind", "data"}
MAX_DATA_DEPTH = 32  # far below any JSON codec's recursion limit, wherever it runs
CHANGE_ATTEMPTS = 3  # optimistic retries when another write lands between our read and write

AssetListener = Callable[[Asset, bool], None]  # (asset, deleted)
# The idempotency answer for a write, given the asset it is about to store: kept by the store
# in the same transaction as the write (see `planner_bridge.planner.idempotency`).
AnswerFor = Callable[[Asset], AnswerRecord]


def can_see(claims: AccessClaims, asset: Asset) -> bool:
    if asset.entity_id != claims.entity_id:
        return False
    return asset.owner_id is None or asset.owner_id == claims.user_id


def can_change(claims: AccessClaims, asset: Asset) -> bool:
    # A legal-entity token has user_id None, so this is "the catalog" for it, "own" for users.
    return can_see(claims, asset) and asset.owner_id == claims.user_id


def asset_json(asset: Asset) -> dict[str, Any]:
    """The wire shape the planner relies on; times are epoch seconds."""
    return {
        "id": asset.id,
        "entity": asset.entity_id,
        "owner": asset.owner_id,
        "name": asset.name,
        "kind": asset.kind,
        "data": asset.data,
        "created": asset.created,
        "updated": asset.updated,
        "version": asset.version,
    }


@dataclasses.dataclass(frozen=True)
class AssetPage:
    assets: list[Asset]
    next: str | None  # the cursor for `after`, None on the last page


def parse_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    limit = ascii_number(value)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def parse_after(value: str | None) -> str:
    if value is None or value == "":
        return ""
    if not ASSET_ID.fullmatch(value):
        raise InvalidRequest("after must be an asset id (the `next` of the previous page)")
    return value


def checked_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The body's fields, each checked; `name` and `kind` are required when creating."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidRequest(f"{unknown[0]}: unknown field")
    missing = [f for f in ("name", "kind") if creating and f not in body]
    if missing:
        raise InvalidRequest(f"{missing[0]} is required")
    if not body:
        raise InvalidRequest("nothing to change: give name, kind or data")
    fields = dict(body)
    if "name" in body:
        fields["name"] = check_name(body["name"], "name", MAX_NAME_LENGTH)
    if "kind" in body:
        fields["kind"] = check_name(body["kind"], "kind", MAX_KIND_LENGTH)
    fields["data"] = _document(body.get("data", {}))
    if not creating and "data" not in body:
        del fields["data"]
    return fields


def _document(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest("data must be a JSON object")
    if _depth_exceeds(value, MAX_DATA_DEPTH):
        raise InvalidRequest(f"data must not nest deeper than {MAX_DATA_DEPTH} levels")
    try:
        size = len(json.dumps(value, allow_nan=False, separators=(",", ":")).encode())
    except (ValueError, RecursionError):
        raise InvalidRequest("data must be plain JSON (no NaN or Infinity, not too deep)") from None
    if size > MAX_DATA_BYTES:
        raise PayloadTooLarge(f"data is larger than {MAX_DATA_BYTES} bytes")
    if not is_utf8_encodable(json.dumps(value, ensure_ascii=False)):
        raise InvalidRequest("data holds text that is not valid UTF-8")
    return value


def _depth_exceeds(document: dict[str, Any], limit: int) -> bool:
    """Iterative, so a hostile document cannot exhaust the stack while being measured."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def require_write(claims: AccessClaims) -> None:
    if not claims.may("write"):
        raise InsufficientScope("this token has no write right")


class AssetCatalog:
    """Assets in the store, seen through a token's rights. `listener` hears every change."""

    def __init__(self, store: Store, clock: Clock, listener: AssetListener | None = None) -> None:
        self.store = store
        self.clock = clock
        self.listener = listener
        self._id_lock = threading.Lock()
        self._last_ms = 0
        self._sequence = 0

    def new_id(self) -> str:
        """Time-ordered even when the clock stalls or steps back within this process."""
        with self._id_lock:
            ms = max(int(self.clock.now() * 1000), self._last_ms)
            self._sequence = self._sequence + 1 if ms == self._last_ms else 0
            self._last_ms = ms
            return f"ast_{ms:012x}{self._sequence & 0xFFFF:04x}{secrets.token_hex(4)}"

    async def list(self, claims: AccessClaims, *, limit: int, after: str) -> AssetPage:
        owners: tuple[str | None, ...] = (
            (None,) if claims.user_id is None else (None, claims.user_id)
        )
        found = await self.store.list_assets(claims.entity_id, owners, after=after, limit=limit + 1)
        page = found[:limit]
        return AssetPage(page, page[-1].id if len(found) > limit else None)

    async def get(self, claims: AccessClaims, asset_id: str) -> Asset:
        asset = await self.store.get_asset(asset_id) if ASSET_ID.fullmatch(asset_id) else None
        if asset is None or not can_see(claims, asset):
            raise NotFound("no such asset")
        return asset

    async def create(
        self, claims: AccessClaims, body: dict[str, Any], *, answer: AnswerFor | None = None
    ) -> Asset:
        await self._require_writer(claims)
        fields = checked_fields(body, creating=True)
        now = self.clock.now()
        asset = Asset(
            id=self.new_id(),
            entity_id=claims.entity_id,
            owner_id=claims.user_id,
            created=now,
            updated=now,
            version=1,
            **fields,
        )
        await self.store.add_asset(asset, answer(asset) if answer else None)
        self._tell(asset, deleted=False)
        return asset

    async def change(
        self,
        claims: AccessClaims,
        asset_id: str,
        body: dict[str, Any],
        *,
        version: int | None = None,
        answer: AnswerFor | None = None,
    ) -> Asset:
        """Apply a partial change; `version` (from If-Match) must be the current one if given."""
        await self._require_writer(claims)
        fields = checked_fields(body, creating=False)
        for _ in range(CHANGE_ATTEMPTS):
            current = await self._changeable(claims, asset_id, version)
            changed = dataclasses.replace(
                current, updated=self.clock.now(), version=current.version + 1, **fields
            )
            if await self.store.update_asset(changed, answer(changed) if answer else None):
                self._tell(changed, deleted=False)
                return changed
        raise InvalidRequest("the asset is being changed by others; try again", status_code=409)

    async def delete(
        self,
        claims: AccessClaims,
        asset_id: str,
        *,
        version: int | None = None,
        answer: AnswerFor | None = None,
    ) -> Asset:
        await self._require_writer(claims)
        current = await self._changeable(claims, asset_id, version)
        if not await self.store.delete_asset(current.id, answer(current) if answer else None):
            raise NotFound("no such asset")
        self._tell(current, deleted=True)
        return current

    async def _require_writer(self, claims: AccessClaims) -> None:
        require_write(claims)
        # Tokens outlive the entity's permission; the registry has the last word.
        entity = await self.store.get_entity(claims.entity_id)
        if entity is None or not entity.allow_write:
            raise InsufficientScope("this legal entity may not write")

    async def _changeable(self, claims: AccessClaims, asset_id: str, version: int | None) -> Asset:
        current = await self.get(claims, asset_id)
        if not can_change(claims, current):
            raise InsufficientScope("this token may read this asset but not change it")
        if version is not None and version != current.version:
            raise InvalidRequest(
                f"If-Match: the asset is at version {current.version}", status_code=412
            )
        return current

    def _tell(self, asset: Asset, *, deleted: bool) -> None:
        if self.listener is None:
            return
        try:
            self.listener(asset, deleted)
        except Exception:
            # The write is already applied: a failed notification must not make it look failed
            # (its Idempotency-Key would be released and a replay would apply it twice).
            logging.getLogger(__name__).exception("asset change listener failed")
