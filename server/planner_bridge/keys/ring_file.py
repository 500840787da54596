"""The signing key ring that earlier releases kept in files (`<data dir>/keys/`: `ring.json`
and one PEM file per private key), brought into the database once.

`planner-bridge db migrate` imports it, and so does any start on a data dir that still has it
(`serve` migrates on start): tokens signed by those keys keep verifying. The keys are sealed
as every key of the ring is; once they are in the database, `ring.json` is renamed
`ring.json.imported` (so it is never imported again) and the PEM files, private keys in clear,
are removed. Into a ring that has keys already, imported keys come retired: the ring's own
active key keeps signing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from ..clock import Clock
from ..settings import Settings
from ..storage import SigningKeyRecord, Store
from .ring import KeyRing, KeySealer

RING_FILE = "ring.json"
IMPORTED = "ring.json.imported"


def read_ring_file(directory: Path, sealer: KeySealer) -> list[SigningKeyRecord]:
    """The ring's keys, sealed, oldest first; ValueError naming `ring.json` if it is not one
    (OSError if unreadable)."""
    ring_file = directory / RING_FILE
    try:
        entries = json.loads(ring_file.read_text())["keys"]
        records = [_record(directory, entry, sealer) for entry in entries]
    except (ValueError, KeyError, TypeError) as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        reason = f"missing {exc}" if isinstance(exc, KeyError) else lines[0]
        raise ValueError(f"{ring_file}: not a valid key ring ({reason})") from None
    if not records:
        raise ValueError(f"{ring_file}: not a valid key ring (no keys)")
    return records


def _record(directory: Path, entry: dict[str, Any], sealer: KeySealer) -> SigningKeyRecord:
    kid = entry["kid"]
    pem = (directory / f"{kid}.pem").read_bytes()
    private_key = serialization.load_pem_private_key(pem, password=None)
    return SigningKeyRecord(
        kid=kid,
        alg=entry["alg"],
        created=float(entry["created"]),
        retired=entry.get("retired"),
        dropped=bool(entry.get("dropped", False)),
        sealed_key=sealer.seal(kid, private_key),
    )


async def import_ring_file(directory: Path, store: Store, sealer: KeySealer, now: float) -> int:
    """Import the file ring in `directory` if there is one: how many keys were new (0 if none
    was there, or all were in the database already)."""
    if not (directory / RING_FILE).exists():
        return 0
    try:
        records = await asyncio.to_thread(read_ring_file, directory, sealer)
    except FileNotFoundError:
        if (directory / RING_FILE).exists():  # a PEM file it names is missing
            raise ValueError(f"{directory / RING_FILE}: names a key file that is missing") from None
        return 0  # another process (a worker, the CLI) imported it meanwhile
    added = await store.import_signing_keys(records, now)
    await asyncio.to_thread(_retire_files, directory, [r.kid for r in records])
    return added


def _retire_files(directory: Path, kids: list[str]) -> None:
    with contextlib.suppress(FileNotFoundError):  # renamed by another process's import
        (directory / RING_FILE).replace(directory / IMPORTED)
    for kid in kids:
        (directory / f"{kid}.pem").unlink(missing_ok=True)
    (directory / "ring.lock").unlink(missing_ok=True)


async def open_key_ring(
    settings: Settings, store: Store, sealer: KeySealer, clock: Clock
) -> KeyRing:
    """The ring in `store`, loaded, with the data dir's file ring imported first if it has one."""
    await import_ring_file(settings.data_dir / "keys", store, sealer, clock.now())
    ring = KeyRing(
        store,
        sealer,
        clock,
        alg=settings.signing_alg,
        published_for=settings.max_token_ttl + settings.leeway,
    )
    await ring.start()
    return ring
