"""`planner-bridge db migrate` and `db status`: the schema of the configured database.

`db migrate` also brings the signing key ring of earlier releases (`<data dir>/keys/ring.json`)
into the database, once (`ring_file`)."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from ..credentials import load_master_key
from ..keys.ring import KeySealer
from ..keys.ring_file import RING_FILE, import_ring_file
from ..settings import Settings
from ..storage import DatabaseUnavailable, migrations
from ..storage.location import DatabaseLocation
from ..storage.opening import open_store
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
    settings = settings_from(args)
    _report(args, settings.database, _run(settings.database, lambda _: _migrate(settings)))


async def _migrate(settings: Settings) -> dict[str, object]:
    report = await migrations.migrate(settings.database)
    ring = settings.data_dir / "keys"
    if (ring / RING_FILE).exists():
        sealer = KeySealer(load_master_key(settings.data_dir, settings.master_key))
        store = await open_store(settings.database)
        try:
            imported = await import_ring_file(ring, store, sealer, time.time())
        finally:
            await store.close()
        report["imported_signing_keys"] = imported
    return report


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
        f" latest {report['latest']}{behind}{_imported(report)}",
    )


def _imported(report: dict[str, Any]) -> str:
    if "imported_signing_keys" not in report:
        return ""
    return f"; imported {report['imported_signing_keys']} signing keys from {RING_FILE}"
