"""The planner origin as one ASGI app: token service, web services, planner app, SDK and the
administration console."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from ..core import Core
from ..errors import ProtocolError
from ..metrics import Metrics
from . import admin, api_tokens, health, openapi, planner_site, token_service, web_services
from .observed import Observed
from .responses import http_error_handler, protocol_error_handler


def create_app(core: Core) -> Starlette:
    routes = [
        *token_service.routes(core),
        *api_tokens.routes(core),
        *web_services.routes(core),
        *planner_site.routes(core),
        *admin.routes(core),
        *health.routes(core),
        *openapi.routes(core),
    ]
    handlers = {ProtocolError: protocol_error_handler, HTTPException: http_error_handler}
    metrics = Metrics()  # a registry of its own: two apps in one process never share counts
    observed = Middleware(Observed, metrics=metrics, routes=routes)
    app = Starlette(routes=routes, middleware=[observed], exception_handlers=handlers)
    app.state.core = core
    app.state.metrics = metrics  # served by `metrics_listener`, on its own port
    return app
