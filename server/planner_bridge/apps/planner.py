"""The planner origin as one ASGI app: token service, web services, planner app, SDK and the
administration console."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from ..core import Core
from ..errors import ProtocolError
from ..storage import DatabaseUnavailable
from . import admin, api_tokens, planner_site, token_service, web_services
from .responses import http_error_handler, protocol_error_handler, unavailable_handler


def create_app(core: Core) -> Starlette:
    routes = [
        *token_service.routes(core),
        *api_tokens.routes(core),
        *web_services.routes(core),
        *planner_site.routes(core),
        *admin.routes(core),
    ]
    handlers = {
        ProtocolError: protocol_error_handler,
        HTTPException: http_error_handler,
        DatabaseUnavailable: unavailable_handler,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.core = core
    return app
