"""Health for load balancers and orchestrators (SPEC "Operating it"), in the manner of Hydra's
/health/alive and /health/ready:

    GET /healthz   200 {"status": "ok"} while the process answers at all
    GET /readyz    200 {"status": "ready"} when the database answers and a signing key is
                   loaded; else 503 {"status": "unavailable", "reason": TEXT}

Neither needs credentials, and the reason names the failing part only (never a path, a URL with
a password in it, or an exception's text).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from ..core import Core

NO_CACHE = {"Cache-Control": "no-store"}


def unready_reason(core: Core) -> str | None:
    """Why this instance should get no traffic now, or None when it may."""
    try:
        core.store.get_entity("readiness-probe")
    except Exception:  # any failure of the database is "not ready", never a 500
        return "database: not answering"
    try:
        key = core.keyring.current
    except Exception:
        return "signing key: not loaded"
    if key.private_key is None:
        return "signing key: not loaded"
    return None


def routes(core: Core) -> list[BaseRoute]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"}, headers=NO_CACHE)

    async def readyz(request: Request) -> JSONResponse:
        reason = unready_reason(core)
        if reason is None:
            return JSONResponse({"status": "ready"}, headers=NO_CACHE)
        body = {"status": "unavailable", "reason": reason}
        return JSONResponse(body, status_code=503, headers=NO_CACHE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
