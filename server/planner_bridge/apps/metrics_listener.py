"""The second listener (`--metrics-port`): `GET /metrics` in the Prometheus text format and
nothing else. Never mounted on the public port, in the manner of Keycloak's management port:
who may scrape is decided by who may reach this port."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..metrics import CONTENT_TYPE, Metrics


def create_metrics_app(metrics: Metrics) -> Starlette:
    async def scrape(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return Starlette(routes=[Route("/metrics", scrape, methods=["GET"])])
