"""The `planner-bridge` command: one sub-command per concept, `--json` and `--data-dir` on all.

Bad input exits with status 2 (usage) or 1 (refused) and one clear line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from .. import logs
from ..settings import SettingsError
from . import admins, api_tokens, demo, entities, serve
from .common import CommandError, settings_from


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, not the whole usage text
        self.exit(2, f"planner-bridge: {message}\n")


def common_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json", action="store_true", help="machine-readable output")
    parent.add_argument("--data-dir", help="keys, master key, database (PLANNER_BRIDGE_DATA_DIR)")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="planner-bridge", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"planner-bridge {version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parent = common_options()
    for module in (serve, demo, entities, api_tokens, admins):
        module.register(commands, parent)
    return parser


def version() -> str:
    return importlib.metadata.version("planner-bridge")


def database_of(args: argparse.Namespace) -> str:
    try:
        return str(settings_from(args).sqlite_path)
    except SettingsError:
        return "(unknown)"


def start_logging(args: argparse.Namespace) -> None:
    """`serve` always logs (requests and events, on stderr); other commands (the demo, `key
    revoke`, `keys rotate`, ...) log their events only when PLANNER_BRIDGE_LOG_FORMAT asks.
    A wrong value is reported by the settings check, in the one-line-per-mistake way."""
    asked = os.environ.get("PLANNER_BRIDGE_LOG_FORMAT")
    if asked is not None or args.command == "serve":
        logs.configure(asked if asked in logs.FORMATS else "text")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start_logging(args)
    try:
        return int(args.run(args) or 0)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"planner-bridge: {problem}", file=sys.stderr)
    except (CommandError, ValueError, LookupError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, LookupError) and exc.args else exc
        print(f"planner-bridge: {message}", file=sys.stderr)
    except (sqlite3.Error, RuntimeError) as exc:
        # A corrupt file (sqlite3.DatabaseError) or a schema newer than this program (the
        # store's RuntimeError, the only one a command can meet): say which file.
        print(f"planner-bridge: database {database_of(args)}: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1
