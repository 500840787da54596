"""What every sub-command shares: settings from flags and environment, output, the core."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core import Core
from ..settings import Settings


class CommandError(Exception):
    """A refusal worth one line on stderr (exit status 1)."""


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    return Settings.from_env(None, data_dir=getattr(args, "data_dir", None), **overrides)


def open_core(args: argparse.Namespace) -> Core:
    return Core.open(settings_from(args))


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print `data` as JSON under --json, else the human line(s) `text`."""
    print(json.dumps(data, indent=2) if args.json else text)
