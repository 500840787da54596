"""Helpers shared by the web-services tests: minting tokens and seeding assets directly."""

from __future__ import annotations

import httpx

from planner_bridge.core import Core
from planner_bridge.planner.assets import AssetCatalog
from planner_bridge.serving import blocking
from planner_bridge.storage import Asset

READ = ("read",)
WRITE = ("read", "write")


def mint(
    core: Core,
    entity_id: str,
    *,
    rights: tuple[str, ...] = READ,
    user: str | None = None,
    lifetime: int = 600,
) -> str:
    """A legal-entity token when `user` is None, else a user token, as the token service mints."""
    return blocking(
        core.issuer.mint_access_token(
            entity_id=entity_id,
            client_id="test-client",
            rights=rights,
            lifetime=lifetime,
            user_id=user,
            user_name=user,
        )
    ).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seed_asset(core: Core, entity_id: str, owner: str | None, name: str = "Seeded") -> Asset:
    """An asset written straight to the store (no token involved)."""
    catalog = AssetCatalog(core.store, core.clock)
    now = core.clock.now()
    asset = Asset(
        id=catalog.new_id(),
        entity_id=entity_id,
        owner_id=owner,
        name=name,
        kind="furniture",
        data={"width": 2},
        created=now,
        updated=now,
        version=1,
    )
    blocking(core.store.add_asset(asset))
    return asset


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_token"
