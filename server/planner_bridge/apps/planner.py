"""The planner origin as one ASGI app: token service, web services, planner app and SDK."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from ..core import Core
from ..errors import ProtocolError
from . import api_tokens, health, planner_site, token_service, web_services
from .responses import http_error_handler, protocol_error_handler


def create_app(core: Core) -> Starlette:
    routes = [
        *token_service.routes(core),
        *api_tokens.routes(core),
        *web_services.routes(core),
        *planner_site.routes(core),
        *health.routes(core),
    ]
    handlers = {ProtocolError: protocol_error_handler, HTTPException: http_error_handler}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.core = core
    return app
