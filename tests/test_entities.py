"""Registered origins: only real origins, rebuilt in the one form browsers send in `Origin`.

They end up in the planner page's `Content-Security-Policy: frame-ancestors`, so anything that
is not exactly scheme://host[:port] could inject into that header.
"""

from __future__ import annotations

import httpx
import pytest

from planner_bridge.clients.entities import normalize_origin
from planner_bridge.serving import blocking


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://Shop.Example", "https://shop.example"),
        ("HTTPS://shop.example/", "https://shop.example"),
        ("http://shop.example:80", "http://shop.example"),
        ("https://shop.example:443", "https://shop.example"),
        ("http://shop.example:443", "http://shop.example:443"),
        ("https://shop.example:80", "https://shop.example:80"),
        ("http://shop.example:08000", "http://shop.example:8000"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[2001:DB8:0:0::1]", "http://[2001:db8::1]"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("http://a-b.c-d.example", "http://a-b.c-d.example"),
    ],
)
def test_origins_are_rebuilt_in_the_browsers_form(given, normal):
    assert normalize_origin(given) == normal


@pytest.mark.parametrize(
    "origin",
    [
        "http://shop.example;script-src *",
        "http://shop.example; script-src *",
        "http://a b.example",
        "http://shop.example,http://evil.example",
        "http://:pw@host",
        "http://user@host",
        "http://user:pw@host:8000",
        "http://shop.example:8000 'unsafe-inline'",
        " http://shop.example",
        "http://shop.example\n",
        "http://shop.example\r\nX-Injected: 1",
        "http://shop.example:",
        "http://shop.example:0",
        "http://shop.example:65536",
        "http://shop.example:99999999999999999999",
        "http://shop.example:+80",
        "http://shop.example:\u00b2",
        "http://shop.example/path",
        "http://shop.example?q",
        "http://shop.example#f",
        "http://shop.example//",
        "http://-shop.example",
        "http://shop-.example",
        "http://shop..example",
        "http://shop.example.",
        "http://sh_op.example",
        "http://b\u00fccher.example",
        "http://" + "a" * 64 + ".example",
        "http://" + ".".join(["abcdefghi"] * 26),
        "http://999.1.1.1",
        "http://1.2.3",
        "http://[::1",
        "http://[fe80::1%eth0]",
        "http://[not:an:ip:zz]",
        "http://[1.2.3.4]",
        "http://*",
        "http://*.example",
        "http://",
        "ftp://shop.example",
        "javascript://shop.example",
        "//shop.example",
        "shop.example",
        "localhost:8000",
        "'self'",
        "",
    ],
)
def test_anything_else_is_refused(origin):
    with pytest.raises(ValueError, match="not an origin"):
        normalize_origin(origin)


def test_a_refused_origin_is_never_registered(core):
    with pytest.raises(ValueError):
        blocking(
            core.entities.create("Shop", ["http://shop.example", "http://x.example;script-src *"])
        )
    assert blocking(core.store.list_entities()) == []


def test_the_planner_page_policy_holds_only_the_registered_origins(planner):
    entity, _ = blocking(planner.core.entities.create("Shop", ["HTTP://Shop.Example:80/"]))

    response = httpx.get(f"{planner.url}/planner/", params={"entity": entity.id})

    assert entity.origins == ("http://shop.example",)
    policy = response.headers["content-security-policy"]
    assert policy.startswith("frame-ancestors http://shop.example; ")
