"""The planner origin as one ASGI app: token service, web services, planner app, SDK and the
administration console."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from ..core import Core
from ..errors import ProtocolError
from ..metrics import Metrics
from ..storage import DatabaseUnavailable
from ..tokens.client_credentials import ClientCredentialsGrant
from ..tokens.signed_requests import SignedTokenGrant
from ..tokens.token_revocation import TokenRevocation
from . import (
    admin,
    admin_routes,
    api_tokens,
    health,
    openapi,
    planner_site,
    revocation,
    token_service,
    web_services,
)
from .observed import ObservedApp
from .responses import http_error_handler, protocol_error_handler, unavailable_handler
from .routing import IndexedRouter
from .signed import SignedRequests


def create_app(core: Core) -> Starlette:
    """The composition root of the apps: each route module gets only what it uses."""
    routes = [
        *token_service.routes(token_endpoints(core)),
        *revocation.routes(revocation_endpoint(core)),
        *api_tokens.routes(api_token_endpoints(core)),
        *web_services.routes(
            core.store,
            core.clock,
            core.verifier,
            signed_requests(core),
            core.proofs,
            core.entities.requires_dpop,
            core.revocations,
        ),
        *planner_site.routes(core.store, core.settings.issuer),
        *admin_routes.routes(console(core)),
        *health.routes(core.store, core.keyring, core.revocations),
        *openapi.routes(core.settings.issuer),
    ]
    handlers = {
        ProtocolError: protocol_error_handler,
        HTTPException: http_error_handler,
        DatabaseUnavailable: unavailable_handler,
    }
    metrics = Metrics()  # a registry of its own: two apps in one process never share counts
    app = ObservedApp(metrics, handlers)  # request ids, access lines, metrics, errors
    app.router = IndexedRouter(routes)  # the middleware stack is built on the first request
    app.state.core = core
    app.state.metrics = metrics  # served by `metrics_listener`, on its own port
    return app


def signed_requests(core: Core) -> SignedRequests:
    return SignedRequests(core.signatures, core.client_failures, core.brake_subject, core.clock)


def token_endpoints(core: Core) -> token_service.TokenService:
    grants = (
        ClientCredentialsGrant(
            core.entities, core.issuer, core.settings, core.client_failures, core.proofs
        ),
        SignedTokenGrant(core.issuer, core.settings),
    )
    return token_service.TokenService(
        grants,
        signed_requests(core),
        core.keyring,
        issuer=core.settings.issuer,
        subject_of=core.brake_subject,
    )


def revocation_endpoint(core: Core) -> revocation.RevocationEndpoint:
    grant = ClientCredentialsGrant(core.entities, core.issuer, core.settings, core.client_failures)
    return revocation.RevocationEndpoint(TokenRevocation(grant, core.revoker), core.brake_subject)


def api_token_endpoints(core: Core) -> api_tokens.ApiTokenRoutes:
    return api_tokens.ApiTokenRoutes(
        core.api_tokens(),
        signed_requests(core),
        core.exchange_failures,
        core.brake_subject,
        core.proofs,
        default_days=core.settings.api_token_days,
    )


def console(core: Core) -> admin.Console:
    return admin.Console(
        core.store,
        core.clock,
        core.entities,
        core.api_tokens(),
        issuer=core.settings.issuer,
        subject_of=core.brake_subject,
        default_days=core.settings.api_token_days,
    )
