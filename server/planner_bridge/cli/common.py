"""What every sub-command shares: settings from flags and environment, output, the core."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Awaitable
from typing import Any

from ..core import Core
from ..settings import Settings, SettingsError


class CommandError(Exception):
    """A refusal worth one line on stderr (exit status 1)."""


# The issuer a server last served as, remembered in its data dir: tokens name their issuer, so
# an `api-token create` run beside `serve --port 9000` must mint for that server, not the default.
ISSUER_FILE = "issuer"


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    settings = Settings.from_env(None, data_dir=getattr(args, "data_dir", None), **overrides)
    remembered = _remembered_issuer(settings)
    if "issuer" not in settings.from_environment and "issuer" not in overrides and remembered:
        # A remembered issuer that no longer validates is simply not used.
        with contextlib.suppress(SettingsError):
            settings = Settings.from_env(
                None, data_dir=settings.data_dir, issuer=remembered, **overrides
            )
    return settings


def _remembered_issuer(settings: Settings) -> str:
    """The issuer `serve` last recorded here; an unreadable or odd file is simply not used."""
    try:
        text = (settings.data_dir / ISSUER_FILE).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return text if text.startswith(("http://", "https://")) and len(text) < 2048 else ""


def serving_settings(args: argparse.Namespace, url: str, **overrides: object) -> Settings:
    """Settings for a server listening on `url`: the issuer defaults to that URL (the
    environment's wins), and is remembered for the commands run beside it."""
    settings = Settings.from_env(None, data_dir=getattr(args, "data_dir", None), **overrides)
    if "issuer" not in settings.from_environment:  # PLANNER_BRIDGE_ISSUER wins
        settings = settings.replace(issuer=url)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Write then rename: a crash never leaves an empty file behind.
    partial = settings.data_dir / f".{ISSUER_FILE}.{os.getpid()}.tmp"
    partial.write_text(settings.issuer + "\n")
    os.replace(partial, settings.data_dir / ISSUER_FILE)
    return settings


async def open_core(args: argparse.Namespace, *, create: bool = False) -> Core:
    """The core on the configured database (`main` closes it when the command is done).

    On SQLite the data dir holds the store, so only commands that make something new
    (`create=True`) may start a new one: `entity list --data-dir /typo` must say so, not
    answer from an empty store it has just created. (On PostgreSQL the store is elsewhere, and
    a data dir with another master key is refused by the shared key ring.)"""
    settings = settings_from(args)
    if not create and settings.database.backend == "sqlite" and not settings.data_dir.is_dir():
        raise CommandError(
            f"data dir {settings.data_dir} does not exist"
            " (check --data-dir or PLANNER_BRIDGE_DATA_DIR; `entity create` starts a new one)"
        )
    core = await Core.connect(settings)
    args.opened_cores = [*getattr(args, "opened_cores", []), core]
    return core


async def closing_cores(args: argparse.Namespace, command: Awaitable[object]) -> object:
    """Run an async command, then close every core it opened (a PostgreSQL pool must be
    closed on the loop it belongs to)."""
    try:
        return await command
    finally:
        for core in getattr(args, "opened_cores", []):
            await core.aclose()


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print `data` as JSON under --json, else the human line(s) `text`."""
    print(json.dumps(data, indent=2) if args.json else text)
