"""@planner-bridge/react (web/react/): its typings under `tsc --strict` with a consumer written as
an integrator would, and the component rendered in Chromium on the shop's origin (bundled with
esbuild from npm, playwright/package.json): one embedding per mount, even under StrictMode, the
commands through usePlanner(), events through onEvent, destroyed on unmount."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from planner_bridge.client import TokenClient
from planner_bridge.demo.seed import seed_catalog
from planner_bridge.serving import ThreadedServer, blocking

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / "playwright" / "node_modules"
TYPES_REACT = NODE_MODULES / "@types" / "react"

CONSUMER = """
import { useState } from "react";
import {
  Planner, usePlanner, type PlannerEventRecord, type PlannerHandle,
} from "@planner-bridge/react";
import type { DesignItem, TokenAnswer } from "@planner-bridge/sdk";

async function fetchToken(): Promise<TokenAnswer> {
  const answer = await fetch("/planner-token", { method: "POST" });
  return (await answer.json()) as TokenAnswer;
}

export function Shop() {
  const planner = usePlanner();
  const [lines, setLines] = useState(0);
  const onEvent = (event: PlannerEventRecord) => {
    if (event.name === "AddToCart") setLines(event.content.lines.length);
    if (event.name === "Resize") console.log(event.content.height.toFixed(0));
    if (event.name === "error") console.log(event.content.code);
  };
  const add = async (): Promise<DesignItem | undefined> =>
    planner.current?.addItem("c1", { rotation: 90 });
  const handle: PlannerHandle | null = planner.current;
  return (
    <>
      <button onClick={() => void add()}>Plan with this cabinet {lines}</button>
      <Planner ref={planner} plannerUrl="https://planner.example/planner/?entity=E"
        fetchToken={fetchToken} height="auto" minHeight={400} theme={{ accent: "#2f4f3f" }}
        locale="de" currency="EUR" onEvent={onEvent} />
      {handle ? "mounted" : "not yet"}
    </>
  );
}
"""
# Wrong uses the typings must refuse, each on its own line of the file.
MISUSES = """
import { Planner, usePlanner } from "@planner-bridge/react";
export function Wrong() {
  const planner = usePlanner();
  void planner.current?.addItem(42);
  void planner.current?.setRoom({ width: 3000 });
  return <Planner plannerUrl="x" fetchToken={async () => ({ kind: "nobody" })} height={true} />;
}
"""

APP = """
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { Planner, usePlanner } from "@planner-bridge/react";

const PLANNER_URL = JSON.parse(document.getElementById("planner-url").textContent);
const fetchToken = () =>
  fetch("/planner-token", { method: "POST" }).then((answer) => answer.json());

function App() {
  const planner = usePlanner();
  const [shown, setShown] = useState(true);
  window.reactTest = { planner, hide: () => setShown(false), events: [] };
  return shown
    ? <Planner ref={planner} plannerUrl={PLANNER_URL} fetchToken={fetchToken}
        height="auto" locale="de" currency="EUR"
        onEvent={(event) => window.reactTest.events.push(event.name)} />
    : <p id="gone">planner closed</p>;
}

createRoot(document.getElementById("root")).render(<StrictMode><App /></StrictMode>);
"""


def node_modules_with_our_packages(root: Path) -> Path:
    """`root/node_modules/@planner-bridge/{sdk,react}`: the packages as checked out."""
    scope = root / "node_modules" / "@planner-bridge"
    scope.mkdir(parents=True)
    (scope / "sdk").symlink_to(REPO / "web" / "sdk")
    (scope / "react").symlink_to(REPO / "web" / "react")
    return root / "node_modules"


def type_check(root: Path, source: str) -> subprocess.CompletedProcess:
    (root / "shop.tsx").write_text(source)
    node_modules_with_our_packages(root)
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "target": "es2022",
            "module": "es2022",
            "moduleResolution": "bundler",
            "jsx": "react-jsx",
            "lib": ["es2022", "dom"],
            "skipLibCheck": False,
            "preserveSymlinks": True,  # as installed: the packages under node_modules
            "typeRoots": [str(NODE_MODULES / "@types")],
            "paths": {"react": [str(TYPES_REACT)],
                      "react/jsx-runtime": [str(TYPES_REACT / "jsx-runtime")]},
        },
        "files": ["shop.tsx"],
    }  # fmt: skip
    (root / "tsconfig.json").write_text(json.dumps(config))
    tsc = NODE_MODULES / ".bin" / "tsc"
    return subprocess.run(
        [str(tsc), "-p", "."], cwd=root, capture_output=True, text=True, timeout=300
    )


def test_the_typings_check_a_consumer_under_strict(tmp_path):
    checked = type_check(tmp_path, CONSUMER)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_typings_refuse_wrong_uses(tmp_path):
    checked = type_check(tmp_path, MISUSES)
    errors = {
        line.split("(")[1].split(",")[0] for line in checked.stdout.splitlines() if "error" in line
    }
    # Line numbers within MISUSES: addItem(42), setRoom without depth, a wrong token, height.
    assert {"5", "6", "7"} <= errors, checked.stdout


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("react-app")
    modules = node_modules_with_our_packages(root)
    (root / "app.jsx").write_text(APP)
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    env = {**os.environ, "NODE_PATH": f"{modules}{os.pathsep}{NODE_MODULES}"}
    subprocess.run(
        [str(esbuild), "app.jsx", "--bundle", "--format=esm", "--jsx=automatic",
         '--define:process.env.NODE_ENV="development"', "--outfile=app.js",
         "--log-level=warning"],
        cwd=root, env=env, check=True, timeout=300,
    )  # fmt: skip
    return (root / "app.js").read_text()


@pytest.fixture
def react_shop(bridge, bundle) -> Iterator[str]:
    """A second shop on its own origin, registered for its own entity: a React page embedding
    the planner, with a back-end that mints its tokens with the entity's API key (TokenClient),
    as an integrator's would."""

    def build(url: str) -> Starlette:
        entity, key = blocking(bridge.core.entities.create("React Kitchens", [url]))
        blocking(seed_catalog(bridge.core, entity.id))
        # No pooled connections: nothing would close one when the server stops.
        http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
        client = TokenClient(bridge.planner_url, key.key_id, key.secret, http=http)
        planner_url = f"{bridge.planner_url}/planner/?entity={entity.id}"
        html = (
            '<!doctype html><html lang="en"><title>React shop</title><div id="root"></div>'
            f'<script type="application/json" id="planner-url">{json.dumps(planner_url)}</script>'
            '<script type="module" src="/app.js"></script></html>'
        )

        async def page(request: Any) -> HTMLResponse:
            return HTMLResponse(html)

        async def script(request: Any) -> Response:
            return Response(bundle, media_type="text/javascript")

        async def token(request: Any) -> JSONResponse:
            issued = await client.legal_entity_token(rights=("read",))
            return JSONResponse(
                {"kind": "legal_entity", "token": issued.token, "expiresIn": issued.expires_in},
                headers={"Cache-Control": "no-store"},
            )

        routes = [
            Route("/", page),
            Route("/app.js", script),
            Route("/planner-token", token, methods=["POST"]),
        ]
        return Starlette(routes=routes)

    with ThreadedServer(build, url_host="localhost") as server:
        yield server.url


def test_the_component_embeds_once_drives_the_planner_and_leaves_on_unmount(page, react_shop):
    page.goto(react_shop + "/")
    page.wait_for_function("() => window.reactTest?.events.includes('Loaded')")
    expect(page.locator("#root iframe")).to_have_count(1)  # StrictMode's second mount: still one
    design = page.evaluate("() => window.reactTest.planner.current.getDesign()")
    assert design["items"] == []
    room = page.evaluate(
        """async () => { const p = window.reactTest.planner.current;
             await p.setRoom({ width: 4200, depth: 3100 }); return (await p.getDesign()).room; }"""
    )
    assert room == {"width": 4200, "depth": 3100}
    page.wait_for_function("() => window.reactTest.events.includes('Resize')")
    frame = page.frame_locator("#root iframe")
    expect(frame.locator("html")).to_have_attribute("lang", "de")
    page.evaluate("() => window.reactTest.hide()")
    expect(page.locator("#gone")).to_have_text("planner closed")
    expect(page.locator("iframe")).to_have_count(0)
    assert page.evaluate("() => window.reactTest.planner.current") is None
