"""DPoP interoperability with npm clients (issue 20): `oauth4webapi`'s DPoP support gets a
DPoP-bound token from `/auth/token` and calls `/v1/assets/{id}` with it, used as its README
shows (including its one documented retry on `use_dpop_nonce`), unmodified; proofs made by the
`dpop` package are accepted at the token endpoint and the web services.

The packages are pinned in tests/interop/package.json and installed by `make interop` (npm ci,
a step of `make test`); node runs tests/interop/dpop_clients.mjs against a real server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from asset_helpers import seed_asset

INTEROP = Path(__file__).parent / "interop"


def test_oauth4webapi_and_the_dpop_package_get_bound_tokens_and_read_an_asset(planner, shop):
    assert (INTEROP / "node_modules" / "oauth4webapi").is_dir(), "run `make interop` (npm ci)"
    asset = seed_asset(planner.core, shop.entity.id, None, "Interop sofa")
    env = {
        **os.environ,
        "PB_ISSUER": planner.url,
        "PB_CLIENT_ID": shop.key_id,
        "PB_CLIENT_SECRET": shop.secret,
        "PB_ASSET_ID": asset.id,
    }
    done = subprocess.run(
        ["node", "dpop_clients.mjs"],
        cwd=INTEROP,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    library, package = (json.loads(line) for line in done.stdout.splitlines())
    assert library == {
        "client": "oauth4webapi",
        "token_type": "dpop",  # oauth4webapi lower-cases it
        "status": 200,
        "name": "Interop sofa",
        "retried": True,  # the first call had no nonce: one use_dpop_nonce, then 200
        "second_status": 200,
    }
    assert package == {
        "client": "dpop",
        "token_type": "DPoP",
        "first_status": 401,
        "status": 200,
        "name": "Interop sofa",
    }
