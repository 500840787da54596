"""Health for load balancers and orchestrators (SPEC "Operating it"), in the manner of Hydra's
/health/alive and /health/ready:

    GET /healthz   200 {"status": "ok"} while the process answers at all
    GET /readyz    200 {"status": "ready"} when the database answers, a signing key is
                   loaded and the revocations are current;
                   else 503 {"status": "unavailable", "reason": TEXT}

Neither needs credentials, and the reason names the failing part only (never a path, a URL with
a password in it, or an exception's text).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from ..keys.ring import KeyRing
from ..storage import Store
from ..tokens.revocation import Revocations
from .openapi_parts import ok, ref

NO_CACHE = {"Cache-Control": "no-store"}
PROBE_SECONDS = 3.0


async def unready_reason(
    store: Store, keyring: KeyRing, revocations: Revocations | None = None
) -> str | None:
    """Why this instance should get no traffic now, or None when it may."""
    try:
        # Bounded: a probe must answer "not ready" in time, not wait on a database away.
        await asyncio.wait_for(store.get_entity("readiness-probe"), PROBE_SECONDS)
    except Exception:  # any failure of the database is "not ready", never a 500
        return "database: not answering"
    try:
        key = keyring.current
    except Exception:
        return "signing key: not loaded"
    if key.private_key is None:
        return "signing key: not loaded"
    if revocations is not None and not revocations.current:
        return "revocations: not current"  # loaded, and again after the feed was cut
    return None


def routes(
    store: Store, keyring: KeyRing, revocations: Revocations | None = None
) -> list[BaseRoute]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers=NO_CACHE)

    async def readyz(request: Request) -> JSONResponse:
        reason = await unready_reason(store, keyring, revocations)
        if reason is None:
            return JSONResponse({"status": "ready"}, headers=NO_CACHE)
        body = {"status": "unavailable", "reason": reason}
        return JSONResponse(body, status_code=503, headers=NO_CACHE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]


# -- how /openapi.json describes these routes (assembled by `openapi`) ---------------------------

SCHEMAS: dict[str, Any] = {
    "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "reason": {"type": "string"}},
    },
}

OPERATIONS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "summary": "Liveness: 200 while the process runs",
            "responses": {"200": ok("Alive", ref("Status"))},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness: the database answers and a signing key is loaded",
            "responses": {
                "200": ok("Ready", ref("Status")),
                "503": ok("Unavailable, with a reason", ref("Status")),
            },
        }
    },
}
