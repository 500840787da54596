"""The soak (playwright/soak.py) as a test: 60 s in `make test`, SOAK_SECONDS in `make soak`."""

from __future__ import annotations

import os

import pytest

from bridge_e2e import add_asset_for
from planner_bridge.serving import blocking
from scripted_user import ScriptedUser
from soak import Report, compare_with_server, run_soak

TOKEN_TTL = 8  # seconds: ~75 expiries in the 600 s of `make soak`
SECONDS = int(os.environ.get("SOAK_SECONDS", "60"))

# The soak's own length plus a generous margin for start-up and the comparison.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(2 * SECONDS + 300)]


def test_soak_with_short_dpop_tokens_loses_nothing_and_applies_nothing_twice(page, start_bridge):
    bridge = start_bridge(token_ttl=TOKEN_TTL, dpop_required=True)
    report = run_soak(ScriptedUser(page, bridge), bridge, SECONDS)
    print("\n" + report.line())
    assert report.ok, [report.line(), *report.problems[:10]]
    assert report.problems == []
    # With DPoP on: every web-service call went with a bound token and a proof.
    calls = [r for r in bridge.planner_log.matching(path_prefix="/v1/assets") if r.acting_for]
    assert calls and {(r.scheme, r.has_proof) for r in calls} == {("DPoP", True)}
    assert report.made > 0 and report.completed == report.made - sum(report.errors.values())
    # The run really crossed expiries: one every few seconds with 8 s tokens.
    assert report.expiries >= SECONDS // (2 * TOKEN_TTL)

    # The comparison has teeth: an asset gone behind the page's back is lost, one the page never
    # made is a phantom.
    shopper = report.shopper
    assert shopper is not None
    owner = next(name for name, owned in shopper.owned.items() if owned)
    assert blocking(bridge.core.store.delete_asset(next(iter(shopper.owned[owner]))))
    add_asset_for(bridge, owner, "never made by the page")
    recheck = Report(report.seconds, report.expiries)
    compare_with_server(recheck, shopper, bridge)
    assert recheck.lost >= 1 and recheck.phantom == 1 and recheck.doubled == 0
