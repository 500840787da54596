"""The `planner-bridge` command: one sub-command per concept, `--json` and `--data-dir` on all.

Bad input exits with status 2 (usage) or 1 (refused) and one clear line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import inspect
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from .. import logs
from ..settings import SettingsError, environment
from ..storage import driver_errors
from . import admins, api_tokens, audit, db, entities, serve, users
from .common import CommandError, closing_cores, settings_from

COMMANDS = "planner_bridge.commands"  # entry-point group: register(commands, parent)


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
    for module in (serve, entities, api_tokens, admins, audit, db, users):
        module.register(commands, parent)
    # Commands from outside the product (the demo shop's `demo`) come in by entry point, as
    # Flask's do: the product never imports them.
    for command in importlib.metadata.entry_points(group=COMMANDS):
        command.load()(commands, parent)
    return parser


def version() -> str:
    return importlib.metadata.version("planner-bridge")


def database_of(args: argparse.Namespace) -> str:
    try:
        return settings_from(args).database.describe()
    except SettingsError:
        return "(unknown)"


def start_logging(args: argparse.Namespace) -> None:
    """`serve` always logs (requests and events, on stderr); other commands (the demo, `key
    revoke`, `keys rotate`, ...) log their events only when PLANNER_BRIDGE_LOG_FORMAT asks.
    A wrong value is reported by the settings check, in the one-line-per-mistake way."""
    asked = environment(["log_format"]).get("log_format")
    if asked is not None or args.command == "serve":
        logs.configure(asked if asked in logs.FORMATS else "text")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    start_logging(args)
    try:
        outcome = args.run(args)
        if inspect.iscoroutine(outcome):  # the commands that use the store are async
            outcome = asyncio.run(closing_cores(args, outcome))
        return int(outcome or 0)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"planner-bridge: {problem}", file=sys.stderr)
    except (CommandError, ValueError, LookupError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, LookupError) and exc.args else exc
        for line in str(message).splitlines() or [""]:  # every mistake, one line each
            print(f"planner-bridge: {line}", file=sys.stderr)
    except Exception as exc:
        if not isinstance(exc, (sqlite3.Error, RuntimeError, *driver_errors())):
            raise
        # A corrupt file (sqlite3.DatabaseError), a schema newer than this program (the
        # store's RuntimeError, the only one a command can meet), a statement PostgreSQL
        # refused (a missing privilege): say which database, in one line.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"planner-bridge: database {database_of(args)}: {reason}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1
