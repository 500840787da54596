"""The example shop on a free port, registered at a planner origin of the test's own. Everything
here comes from planner_bridge.testing (loaded by pytest.ini) and the shop itself."""

import contextlib

import pytest
from shop import create_app

from planner_bridge.testing import BridgeRecorder, ThreadedServer

USERS = {"alice": "correct horse"}


@pytest.fixture
def start_shop(planner_origin):
    """Start the shop (how long its planner waits for a token: `answer_deadline_ms`); its URL.
    A real shop is registered once, with `planner-bridge entity create`."""
    with contextlib.ExitStack() as running:

        def start(answer_deadline_ms=30_000):
            def build(url):
                entity = planner_origin.create_entity("Example Shop", [url], allow_write=True)
                return create_app(planner_origin.url, entity, USERS, answer_deadline_ms)

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
