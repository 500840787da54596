"""The example shop on a free port, registered at a planner origin of the test's own. Everything
here comes from planner_bridge.testing (loaded by pytest.ini) and the shop itself."""

import asyncio
import concurrent.futures
import contextlib

import httpx
import pytest
from shop import create_app

from planner_bridge.client import TokenClient
from planner_bridge.testing import BridgeRecorder, ThreadedServer

USERS = {"alice": "correct horse"}
CABINET = {"name": "Base cabinet 60", "kind": "cabinet",
           "data": {"width": 600, "depth": 600, "height": 880, "price": 129}}  # fmt: skip


def add_catalog_item(planner, entity, item):
    """Put `item` in the entity's catalog through the web services, as a shop's catalog import
    would (a legal-entity token with write rights); its id."""

    async def add():
        async with httpx.AsyncClient() as http:
            tokens = TokenClient(planner, entity["api_key"], entity["secret"], http=http)
            token = await tokens.legal_entity_token(rights=["read", "write"])
            bearer = {"Authorization": f"Bearer {token.token}"}
            answer = await http.post(f"{planner}/v1/assets", json=item, headers=bearer)
            answer.raise_for_status()
            return answer.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # whether or not a loop runs here
        return thread.submit(asyncio.run, add()).result()


@pytest.fixture
def start_shop(planner_origin):
    """Start the shop (how long its planner waits for a token: `answer_deadline_ms`; the clock
    its token cache counts on: `clock`, the system's unless given); its URL.
    A real shop is registered once, with `planner-bridge entity create`."""
    with contextlib.ExitStack() as running:

        def start(answer_deadline_ms=30_000, clock=None):
            def build(url):
                entity = planner_origin.create_entity("Example Shop", [url], allow_write=True)
                product = add_catalog_item(planner_origin.url, entity, CABINET)
                return create_app(
                    planner_origin.url, entity, USERS, answer_deadline_ms, product, clock
                )

            return running.enter_context(ThreadedServer(build, url_host="localhost")).url

        yield start


@pytest.fixture
def shop(start_shop):
    return start_shop()


@pytest.fixture
def page(bridge_browser):
    context = bridge_browser.new_context()
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def bridge(page):
    """Created before the page loads the shop, so it hears the first message."""
    recorder = BridgeRecorder(page)
    yield recorder
    recorder.assert_no_token_leak()
