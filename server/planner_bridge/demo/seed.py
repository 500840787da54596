"""The demo's first-run seeding in the data dir, reused on later runs.

What it keeps, besides the core's own files (signing keys, master key, database):

    <data_dir>/host/credentials.json   the "Demo Store" entity id, API key and secret (mode 0600),
                                       handed to the demo host back-end and nothing else
    <data_dir>/host/users.json         alice and bob, with scrypt hashes only (mode 0600)
    <data_dir>/host/session.key        signs the host's session cookie (mode 0600)

The entity is registered for the host origin and requires DPoP (SPEC "Sender-constrained
tokens": the demo shop shows tokens bound to the planner's key); if the demo later runs on another
host port, or finds an entity of an older run that did not require DPoP, a new entity is
registered (an entity's origins and policy are fixed once registered here).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from pathlib import Path
from typing import Any

from ..core import Core
from ..credentials import replace_private_file, write_private_file
from ..passwords import verify_password
from ..planner.assets import AssetCatalog
from ..storage import Asset
from .accounts import write_users
from .host_config import SHOP_NAME, HostConfig
from .settings import DemoSettings

ENTITY_NAME = SHOP_NAME  # the planner shows its entity's name: the one on the shop's page
DEMO_USERS = {"alice": "Alice", "bob": "Bob"}


# Millimetres and euros, as a kitchen shop lists them: base units 600 deep and 880 high (legs and
# worktop included), wall units 350 deep hung with their bottom edge at 1 400 mm, tall units
# 2 200 high. Worktops lie on the base units (elevation 880).
def _unit(width: int, depth: int, height: int, price: float, **more: Any) -> dict[str, Any]:
    return {"width": width, "depth": depth, "height": height, "price": price, **more}


_WALL = {"mount": "wall", "elevation": 1400}
CATALOG = (
    ("Base cabinet 60", "cabinet", _unit(600, 600, 880, 129)),
    ("Base cabinet 40", "cabinet", _unit(400, 600, 880, 109)),
    ("Base cabinet 80", "cabinet", _unit(800, 600, 880, 159)),
    ("Drawer unit 60", "cabinet", _unit(600, 600, 880, 245)),
    ("Corner base unit 90", "cabinet", _unit(900, 600, 880, 219)),
    ("Sink unit 80 with steel sink", "sink", _unit(800, 600, 880, 319)),
    ("Hob unit 60 with induction hob", "hob", _unit(600, 600, 880, 549)),
    ("Oven unit 60 with built-in oven", "oven", _unit(600, 600, 880, 689)),
    ("Dishwasher 60", "appliance", _unit(600, 600, 880, 499)),
    ("Fridge-freezer 60", "appliance", _unit(600, 650, 1860, 749)),
    ("Tall larder unit 60", "cabinet", _unit(600, 600, 2200, 389)),
    ("Tall oven housing 60", "cabinet", _unit(600, 600, 2200, 429)),
    ("Wall cabinet 40", "cabinet", _unit(400, 350, 720, 89, **_WALL)),
    ("Wall cabinet 60", "cabinet", _unit(600, 350, 720, 99, **_WALL)),
    ("Wall cabinet 80", "cabinet", _unit(800, 350, 720, 119, **_WALL)),
    ("Glass-door wall cabinet 60", "cabinet", _unit(600, 350, 720, 139, **_WALL)),
    ("Cooker hood 60", "appliance", _unit(600, 500, 500, 279, **_WALL)),
    ("Open wall shelf 80", "shelf", _unit(800, 250, 300, 39, mount="wall", elevation=1500)),
    ("Oak worktop 186", "worktop", _unit(1860, 635, 38, 249, elevation=880)),
    ("Laminate worktop 246", "worktop", _unit(2460, 635, 38, 179, elevation=880)),
)


@dataclasses.dataclass(frozen=True)
class DemoSetup:
    host: HostConfig
    # Set only when it was generated on this run: the one time it is shown.
    generated_password: str | None = dataclasses.field(repr=False)
    password_from_env: bool
    new_entity: bool


async def prepare(core: Core, demo: DemoSettings, *, host_url: str, planner_url: str) -> DemoSetup:
    """Seed what is missing, reuse what is there; the host back-end's config comes out."""
    host_dir = core.settings.data_dir / "host"
    host_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    credentials, new_entity = await _shop_credentials(core, host_dir / "credentials.json", host_url)
    generated = _seed_users(host_dir / "users.json", demo.password)
    config = HostConfig(
        host_url=host_url,
        planner_url=planner_url,
        entity_id=credentials["entity_id"],
        api_key=credentials["api_key"],
        secret_file=host_dir / "credentials.json",
        users_file=host_dir / "users.json",
        session_key=_session_key(host_dir / "session.key"),
        allow_write=credentials["allow_write"],
        token_ttl=demo.token_ttl,
        clock=core.clock,
        proxies=core.proxies,
    )
    return DemoSetup(config, generated, bool(demo.password), new_entity)


async def _shop_credentials(core: Core, path: Path, host_url: str) -> tuple[dict[str, Any], bool]:
    if path.exists():
        credentials: dict[str, Any] = json.loads(path.read_text())
        if await _still_usable(core, credentials, host_url):
            return credentials, False
    entity, key = await core.entities.create(
        ENTITY_NAME, [host_url], allow_write=True, dpop_required=True
    )
    credentials = {
        "entity_id": entity.id,
        "name": entity.name,
        "origin": entity.origins[0],
        "allow_write": entity.allow_write,
        "api_key": key.key_id,
        "secret": key.secret,
    }
    # The credentials file is the "seeded" marker, so it is written last: a run that dies
    # before it leaves it missing, and the next run seeds a whole new shop (a half-seeded
    # entity is left unused) instead of reusing one whose catalog never arrived.
    await seed_catalog(core, entity.id)
    replace_private_file(path, json.dumps(credentials, indent=2).encode())
    return credentials, True


async def _still_usable(core: Core, credentials: dict[str, Any], host_url: str) -> bool:
    found = await core.entities.active_key(credentials.get("api_key", ""))
    if found is None:
        return False
    _, entity = found
    same = entity.id == credentials.get("entity_id") and host_url in entity.origins
    return same and entity.dpop_required


async def seed_catalog(core: Core, entity_id: str) -> None:
    catalog = AssetCatalog(core.store, core.clock)
    now = core.clock.now()
    for name, kind, data in CATALOG:
        asset = Asset(catalog.new_id(), entity_id, None, name, kind, data, now, now, 1)
        await core.store.add_asset(asset)


def _seed_users(path: Path, configured: str) -> str | None:
    """Write the users file if it is missing, or if PLANNER_BRIDGE_DEMO_PASSWORD changed.
    Returns the password only when it was generated now."""
    if path.exists():
        users = json.loads(path.read_text())["users"]
        if not configured or all(verify_password(configured, u["hash"]) for u in users.values()):
            return None
    password = configured or secrets.token_urlsafe(12)
    write_users(path, {name: (shown, password) for name, shown in DEMO_USERS.items()})
    return None if configured else password


def _session_key(path: Path) -> str:
    if not path.exists():
        write_private_file(path, secrets.token_urlsafe(32).encode())
    return path.read_text().strip()
