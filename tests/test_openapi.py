"""GET /openapi.json: an OpenAPI 3.1 document that validates, names every route of the app, and
that schemathesis, driving a real server with real credentials, finds true (no 5xx, no answer
outside the documented statuses, media types and schemas)."""

from __future__ import annotations

import base64
import contextlib
import re

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Mount, Route, WebSocketRoute

from planner_bridge.apps.planner import create_app
from planner_bridge.serving import blocking

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_document_is_valid_openapi_3_1(planner):
    document = httpx.get(planner.url + "/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": planner.url}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["basicAuth"]["scheme"] == "basic"
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert "RFC 9421" in schemes["httpSignature"]["description"]


def test_every_route_of_the_app_is_described(planner):
    described = httpx.get(planner.url + "/openapi.json").json()["paths"]
    app = create_app(planner.core)
    for route in app.routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {action:str} is {action}
        if isinstance(route, Mount):
            assert f"{path}/{{path}}" in described, path
        elif isinstance(route, WebSocketRoute):
            assert "get" in described[path], path
        else:
            assert isinstance(route, Route)
            methods = {m.lower() for m in route.methods or ()} - {"head"}
            assert methods <= set(described.get(path, {})), (path, methods)


@pytest.fixture
def api_schema(planner, shop):
    return schemathesis.openapi.from_url(planner.url + "/openapi.json")


@pytest.fixture
def credentials(planner, shop) -> dict[str, dict[str, str]]:
    """Real credentials: a user token with write rights, and the shop's key and secret."""
    minted = blocking(
        planner.core.issuer.mint_access_token(
            entity_id=shop.entity.id,
            client_id=shop.key_id,
            rights=("read", "write"),
            lifetime=3600,
            user_id="schemathesis",
            user_name="Schema Thesis",
        )
    )
    basic = base64.b64encode(f"{shop.key_id}:{shop.secret}".encode()).decode()
    return {
        "bearer": {"Authorization": f"Bearer {minted.token}"},
        "basic": {"Authorization": f"Basic {basic}"},
    }


def headers_for(operation, credentials) -> dict[str, str]:
    security = operation.definition.raw.get("security", [{}])
    if {"bearerAuth": []} in security:
        return credentials["bearer"]
    if {"basicAuth": []} in security:
        return credentials["basic"]
    return {}  # signed requests cannot be made by a generator: they must answer 401 as described


def generated_requests(operation, headers: dict[str, str], mode: GenerationMode):
    """A bounded Hypothesis run of requests generated for one operation, each one checked."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def keeps_to_it(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    return keeps_to_it


def test_the_server_keeps_to_its_description(api_schema, credentials):
    """Schemathesis as a library, over every operation of the document."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        # Valid requests, then invalid ones (which must be refused as described, never a 5xx).
        headers = headers_for(operation, credentials)
        generated_requests(operation, headers, GenerationMode.POSITIVE)()
        # Unsatisfiable: nothing in this operation can be made invalid (no parameters, no body).
        with contextlib.suppress(Unsatisfiable):
            generated_requests(operation, headers, GenerationMode.NEGATIVE)()
