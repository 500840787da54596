"""The planner web services over HTTP: the assets API and the `/v1/live` WebSocket.

    GET    /v1/assets?limit=50&after=CURSOR   {"assets": [...], "next": CURSOR | null}
    POST   /v1/assets        {name, kind, data?}   201 asset
    GET    /v1/assets/{id}                         200 asset
    PATCH  /v1/assets/{id}   {name?, kind?, data?} 200 asset
    DELETE /v1/assets/{id}                         204
    GET    /v1/live          WebSocket, see `apps.live_socket`

Every call takes `Authorization: Bearer <token>` or, from a back-end, an RFC 9421 signature made
with the entity's API key (`apps.signed.requires_credentials`: the legal entity's rights).
Asset answers carry `ETag: "<version>"`; PATCH and DELETE honour `If-Match: "<version>"` (412 when
the asset moved on). Writes honour `Idempotency-Key` (see `planner.idempotency`); a replay
carries `Idempotent-Replayed: true`. Rights are the core's (`planner.assets`); this module only
turns requests into calls and results into answers. Every answer is `no-store`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from ..clock import Clock
from ..errors import InvalidRequest
from ..planner import assets
from ..planner.assets import AnswerFor, AssetCatalog, asset_json, parse_after, parse_limit
from ..planner.idempotency import IdempotencyKeys, check_key, fingerprint, key_scope
from ..planner.live import LiveHub
from ..storage import AnswerRecord, Asset, Conflict, Headers, IdempotentAnswer, Store
from ..tokens.dpop import ProofChecker
from ..tokens.verification import AccessClaims, TokenVerifier
from ..validation import ascii_number
from . import openapi_parts as api
from .bearer import BearerBackend, Policy
from .live_socket import LiveSocket
from .responses import NO_STORE, parse_json_object, read_body
from .signed import SignedRequests, requires_credentials

# Applies a write; given an `AnswerFor`, the store keeps the idempotency answer with it.
Write = Callable[[AnswerFor | None], Awaitable[Asset]]
Render = Callable[[Asset], Response]
NO_VERSION = 0  # versions start at 1


def asset_response(asset: Asset, status_code: int = 200) -> Response:
    headers = {**NO_STORE, "ETag": f'"{asset.version}"'}
    return JSONResponse(asset_json(asset), status_code=status_code, headers=headers)


def if_match_version(request: Request) -> int | None:
    """The version an `If-Match` asks for; None for no header or `*`.

    RFC 9110 §13.1.1: If-Match compares strongly and this API's ETags are all strong, so a weak
    ETag (`W/"3"`) matches no version: it asks for `NO_VERSION`, and the write answers 412."""
    value = request.headers.get("if-match")
    if value is None or value.strip() == "*":
        return None
    tag = value.strip()
    opaque = tag.removeprefix("W/")
    quoted = len(opaque) >= 2 and opaque[0] == opaque[-1] == '"'
    version = ascii_number(opaque[1:-1]) if quoted else None
    if version is None:
        raise InvalidRequest('If-Match must be an ETag of this API, e.g. "3"')
    return NO_VERSION if tag.startswith("W/") else version


class AssetEndpoints:
    """Each handler takes the request and the verified claims (see `bearer.requires_token`)."""

    def __init__(self, catalog: AssetCatalog, keys: IdempotencyKeys) -> None:
        self.catalog = catalog
        self.keys = keys

    async def list(self, request: Request, claims: AccessClaims) -> Response:
        query = request.query_params
        limit, after = parse_limit(query.get("limit")), parse_after(query.get("after"))
        page = await self.catalog.list(claims, limit=limit, after=after)
        body = {"assets": [asset_json(a) for a in page.assets], "next": page.next}
        return JSONResponse(body, headers=NO_STORE)

    async def read(self, request: Request, claims: AccessClaims) -> Response:
        return asset_response(await self.catalog.get(claims, request.path_params["asset_id"]))

    async def create(self, request: Request, claims: AccessClaims) -> Response:
        body = parse_json_object(await read_body(request))
        create = partial(self.catalog.create, claims, body)
        created = partial(asset_response, status_code=201)
        return await self._write(request, claims, body, lambda a: create(answer=a), created)

    async def change(self, request: Request, claims: AccessClaims) -> Response:
        body = parse_json_object(await read_body(request))
        asset_id, version = request.path_params["asset_id"], if_match_version(request)
        change = partial(self.catalog.change, claims, asset_id, body, version=version)
        return await self._write(request, claims, body, lambda a: change(answer=a), asset_response)

    async def delete(self, request: Request, claims: AccessClaims) -> Response:
        await read_body(request)  # a DELETE has no body to speak of; refuse a huge one
        asset_id, version = request.path_params["asset_id"], if_match_version(request)
        delete = partial(self.catalog.delete, claims, asset_id, version=version)
        return await self._write(request, claims, None, lambda a: delete(answer=a), _no_content)

    async def _write(
        self, request: Request, claims: AccessClaims, body: Any, write: Write, render: Render
    ) -> Response:
        """Apply `write` and answer with `render` of its asset; with an Idempotency-Key, the
        rendered answer is stored in the write's own transaction (computed before it commits)."""
        header = request.headers.get("idempotency-key")
        if header is None:
            return render(await write(None))
        key, scope = check_key(header), key_scope(claims)
        request_print = fingerprint(
            request.method, request.url.path, body, request.headers.get("if-match")
        )
        reservation = await self.keys.claim_or_wait(scope, key, request_print)
        if isinstance(reservation, IdempotentAnswer):
            return _replay(reservation)

        def answer(asset: Asset) -> AnswerRecord:
            response = render(asset)
            status, body = response.status_code, bytes(response.body)
            return self.keys.answer(reservation, status, body, _header_lines(response))

        try:
            return render(await write(answer))
        except Conflict:
            # Our reservation lapsed and another request took the key over: nothing applied.
            raise InvalidRequest(
                "a request with this Idempotency-Key was answered meanwhile; retry",
                status_code=409,
            ) from None
        except BaseException:
            await self.keys.release(reservation)  # nothing was applied: the key may be used again
            raise


def _no_content(_: Asset) -> Response:
    return Response(status_code=204, headers=NO_STORE)


def _header_lines(response: Response) -> Headers:
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers)


def _replay(earlier: IdempotentAnswer) -> Response:
    """The first answer again, status, headers (the ETag ...) and body, marked as a replay."""
    if not earlier.headers:  # kept before answers kept their headers (schema 1)
        return _replay_without_headers(earlier.status, earlier.body)
    response = Response(earlier.body, status_code=earlier.status)
    lines = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in earlier.headers]
    response.raw_headers = [*lines, (b"idempotent-replayed", b"true")]
    return response


def _replay_without_headers(status: int, body: bytes) -> Response:
    headers = {**NO_STORE, "Idempotent-Replayed": "true"}
    if not body:
        return Response(status_code=status, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def asset_routes(
    endpoints: AssetEndpoints, backend: BearerBackend, signed: SignedRequests
) -> list[BaseRoute]:
    guard = partial(requires_credentials, backend, signed)
    one = "/v1/assets/{asset_id}"
    return [
        Route("/v1/assets", guard(endpoints.list), methods=["GET"]),
        Route("/v1/assets", guard(endpoints.create), methods=["POST"]),
        Route(one, guard(endpoints.read), methods=["GET"]),
        Route(one, guard(endpoints.change), methods=["PATCH"]),
        Route(one, guard(endpoints.delete), methods=["DELETE"]),
    ]


def routes(
    store: Store,
    clock: Clock,
    verifier: TokenVerifier,
    signed: SignedRequests,
    proofs: ProofChecker,
    policy: Policy,
) -> list[BaseRoute]:
    # The hub lives as long as these routes: one per app, never a module global.
    hub = LiveHub(store.watch_assets)
    catalog = AssetCatalog(store, clock, listener=hub.publish)
    endpoints = AssetEndpoints(catalog, IdempotencyKeys(store, clock))
    backend = BearerBackend(verifier, proofs, policy)
    socket = LiveSocket(backend, hub, clock)
    return [*asset_routes(endpoints, backend, signed), WebSocketRoute("/v1/live", socket)]


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

SCHEMAS: dict[str, Any] = {
    "Asset": {
        "type": "object",
        "required": ["id", "entity", "owner", "name", "kind", "data", "version"],
        "properties": {
            "id": {"type": "string", "pattern": "^ast_[0-9a-f]{24}$"},
            "entity": {"type": "string"},
            "owner": {"type": ["string", "null"], "description": "null: the catalog"},
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "data": {"type": "object"},
            "created": {"type": "number"},
            "updated": {"type": "number"},
            "version": {"type": "integer", "minimum": 1},
        },
    },
    "AssetWrite": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": api.text(assets.MAX_NAME_LENGTH, minLength=1),
            "kind": api.text(assets.MAX_KIND_LENGTH, minLength=1),
            "data": {"type": "object", "description": "At most 64 KiB of JSON"},
        },
    },
    "AssetPage": {
        "type": "object",
        "required": ["assets", "next"],
        "properties": {
            "assets": {"type": "array", "items": api.ref("Asset")},
            "next": {"type": ["string", "null"], "description": "`after` for the next page"},
        },
    },
}

OPERATIONS: dict[str, Any] = {
    "/v1/assets": {
        "get": api.bearer(
            {
                "summary": "The assets the token may see, in creation order",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": assets.MAX_LIMIT},
                    },
                    {"name": "after", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": api.ok("A page", api.ref("AssetPage"))},
            }
        ),
        "post": api.bearer(
            {
                "summary": "Create an asset (name and kind required)",
                "parameters": [api.IDEMPOTENCY_KEY],
                "requestBody": api.request_body("AssetWrite"),
                "responses": {
                    "201": {**api.ok("The asset", api.ref("Asset")), "headers": api.ETAG}
                },
            },
            writes=True,
        ),
    },
    "/v1/assets/{asset_id}": {
        "parameters": [api.ASSET_ID],
        "get": api.bearer(
            {
                "summary": "One asset",
                "responses": {
                    "200": {**api.ok("The asset", api.ref("Asset")), "headers": api.ETAG}
                },
            }
        ),
        "patch": api.bearer(
            {
                "summary": "Change an asset",
                "parameters": [api.IDEMPOTENCY_KEY, api.IF_MATCH],
                "requestBody": api.request_body("AssetWrite"),
                "responses": {
                    "200": {**api.ok("The asset", api.ref("Asset")), "headers": api.ETAG}
                },
            },
            writes=True,
        ),
        "delete": api.bearer(
            {
                "summary": "Delete an asset",
                "parameters": [api.IDEMPOTENCY_KEY, api.IF_MATCH],
                "responses": {"204": {"description": "Deleted"}},
            },
            writes=True,
        ),
    },
}
