"""Chromium for bridge tests: the system's Chromium when there is one (Playwright's own
download does not work everywhere), else Playwright's bundled browser."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

from ..settings import environment

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's own Chromium switches disable these features in one --disable-features argument
# (playwright-core's chromiumSwitches.ts, this Playwright's list, in its order). One of them,
# ThirdPartyStoragePartitioning, leaves a cross-site iframe with no IndexedDB at all ("The user
# denied permission to access the database"), where shoppers' browsers give the planner a
# partitioned one. So that argument is left out and given again without it: the tests see what
# shoppers' browsers do. A Playwright with another list keeps its own argument, and the planner's
# draft tests (playwright/test_planner_drafts.py) then fail on the memory fallback: update the list.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
PARTITIONING = "ThirdPartyStoragePartitioning"
PLAYWRIGHT_DISABLE_FEATURES = "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES)
DISABLE_FEATURES = "--disable-features=" + ",".join(
    f for f in PLAYWRIGHT_DISABLED_FEATURES if f != PARTITIONING
)


def chromium_path() -> str | None:
    """PLANNER_BRIDGE_CHROMIUM, else a `chromium` on the PATH, else None (Playwright's own)."""
    return environment(["chromium"]).get("chromium") or shutil.which("chromium")


def launch_chromium(playwright: Playwright, **options: Any) -> Browser:
    """Headless Chromium with storage partitioned as in shoppers' browsers (see above)."""
    return playwright.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        args=[*CHROMIUM_ARGS, DISABLE_FEATURES],
        ignore_default_args=[PLAYWRIGHT_DISABLE_FEATURES],
        **options,
    )
