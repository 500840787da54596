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


def chromium_path() -> str | None:
    """PLANNER_BRIDGE_CHROMIUM, else a `chromium` on the PATH, else None (Playwright's own)."""
    return environment(["chromium"]).get("chromium") or shutil.which("chromium")


def launch_chromium(playwright: Playwright, **options: Any) -> Browser:
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS, **options
    )
