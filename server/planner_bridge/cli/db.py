"""`planner-bridge db migrate` and `db status`: the schema of the configured database."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..storage import DatabaseUnavailable, migrations
from ..storage.location import DatabaseLocation
from .common import CommandError, emit, settings_from


def register(commands: Any, parent: argparse.ArgumentParser) -> None:
    db = commands.add_parser("db", help="the database schema").add_subparsers(
        dest="action", required=True
    )
    migrate = db.add_parser(
        "migrate",
        parents=[parent],
        help="bring the schema to this version (safe from several instances at once)",
    )
    migrate.set_defaults(run=migrate_database)
    status = db.add_parser("status", parents=[parent], help="the schema version, read only")
    status.set_defaults(run=database_status)


def migrate_database(args: argparse.Namespace) -> None:
    location = settings_from(args).database
    _report(args, location, _run(location, migrations.migrate))


def database_status(args: argparse.Namespace) -> None:
    location = settings_from(args).database
    _report(args, location, _run(location, migrations.status))


def _run(location: DatabaseLocation, action: Any) -> dict[str, Any]:
    try:
        report: dict[str, Any] = asyncio.run(action(location))
    except DatabaseUnavailable as exc:
        raise CommandError(str(exc)) from None
    return report


def _report(args: argparse.Namespace, location: DatabaseLocation, report: dict[str, Any]) -> None:
    behind = "" if report["version"] == report["latest"] else " (run `planner-bridge db migrate`)"
    emit(
        args,
        report,
        f"{report['backend']} {location.describe()}: schema {report['version']},"
        f" latest {report['latest']}{behind}",
    )
