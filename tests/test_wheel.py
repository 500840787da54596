"""The wheel is the product: built with `python -m build`, installed (not editable) into a fresh
virtualenv, `planner-bridge serve` and `demo` work from a directory that has nothing to do with
the checkout, and a broken install fails without printing anything that looks like success."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from served import cli_env, running

REPO = Path(__file__).resolve().parents[1]
PACKAGE_ROOT = REPO / "server" / "planner_bridge"
WEB_FILES = (
    "planner_bridge/web/planner/index.html",
    "planner_bridge/web/planner/app.js",
    "planner_bridge/web/vendor/three/three-planner.js",
    "planner_bridge/web/sdk/planner-bridge.js",
    "planner_bridge/web/sdk/planner-bridge.d.ts",
    "planner_bridge/web/sdk/protocol.js",
    "planner_bridge/web/sdk/session-channel.js",
    "planner_bridge/web/templates/shop.html",
    "planner_bridge/web/host/shop.js",
    "planner_bridge/web/templates/admin/console.html",
    "planner_bridge/web/admin/admin.css",
)
# Building and installing real artifacts (a fresh venv, npm install) on a clean CI machine
# downloads packages: more than the suite's usual 300 s bound may be needed.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> dict[str, Path]:
    """sdist and wheel, the wheel built from the sdist (so the sdist is complete too)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


@pytest.fixture(scope="module")
def installed(artifacts, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel installed; returns its bin directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, str(artifacts["wheel"])], check=True, capture_output=True, timeout=600)
    return env_dir / "bin"


def test_the_wheel_carries_every_package_and_the_browser_code_but_no_tests(artifacts):
    names = set(zipfile.ZipFile(artifacts["wheel"]).namelist())
    packages = {
        "planner_bridge/" + str(p.parent.relative_to(PACKAGE_ROOT)).replace(".", "") + "/"
        for p in PACKAGE_ROOT.rglob("__init__.py")
    }
    for package in packages:
        assert f"{package.replace('//', '/')}__init__.py" in names, package
    assert set(WEB_FILES) <= names
    assert not [n for n in names if "/web/tests/" in n or "node_modules" in n]
    assert not [n for n in names if n.endswith(("tsconfig.json", "package-lock.json"))]


def installed_env() -> dict[str, str]:
    """Nothing of this checkout's Python environment or settings reaches the installed wheel."""
    env = {k: v for k, v in cli_env().items() if not k.startswith("PYTHON")}
    return {**env, "PLANNER_BRIDGE_DEMO_PASSWORD": "wheel-demo-pass"}


def fetch_planner_and_sdk(planner: str, entity: str) -> None:
    page = httpx.get(f"{planner}/planner/", params={"entity": entity})
    assert page.status_code == 200 and "<html" in page.text.lower()
    sdk = httpx.get(f"{planner}/sdk/planner-bridge.js")
    assert sdk.status_code == 200 and "embedPlanner" in sdk.text
    assert httpx.get(f"{planner}/sdk/protocol.js").status_code == 200


def test_version_from_the_installed_wheel(installed, tmp_path):
    printed = subprocess.run(
        [str(installed / "planner-bridge"), "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0 and re.fullmatch(
        r"planner-bridge \d+\.\d+\.\d+\S*\n", printed.stdout
    )


def test_serve_from_an_unrelated_directory(installed, tmp_path):
    cli = str(installed / "planner-bridge")
    data = ["--data-dir", str(tmp_path / "data")]
    created = subprocess.run(
        [
            cli,
            "entity",
            "create",
            "Wheel Shop",
            "--origin",
            "http://localhost:8000",
            "--json",
            *data,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    entity = re.search(r'"id": "([^"]+)"', created.stdout).group(1)
    with running(
        "serve", "--port", "0", *data, cli=cli, cwd=tmp_path, env=installed_env()
    ) as cli_run:
        planner = cli_run.wait_for_line(r"planner origin on (http://127\.0\.0\.1:\d+)").group(1)
        fetch_planner_and_sdk(planner, entity)
        console = httpx.get(planner + "/admin/")
        assert console.status_code == 200 and "Sign in" in console.text
        assert httpx.get(planner + "/admin/static/admin.css").status_code == 200


def test_demo_from_an_unrelated_directory(installed, tmp_path):
    args = ["demo", "--host-port", "0", "--planner-port", "0", "--data-dir", str(tmp_path / "data")]
    cli = str(installed / "planner-bridge")
    with running(*args, cli=cli, cwd=tmp_path, env=installed_env()) as demo:
        host = demo.wait_for_line(r"shop \(host origin\):\s+(http://localhost:\d+)/").group(1)
        planner = demo.wait_for_line(r"planner origin:\s+(http://127\.0\.0\.1:\d+)").group(1)
        entity = demo.wait_for_line(r"legal entity:\s+Demo Store (\S+)").group(1)
        shop = httpx.get(host + "/")
        assert shop.status_code == 200 and "/static/shop.js" in shop.text
        assert httpx.get(host + "/static/shop.js").status_code == 200
        fetch_planner_and_sdk(planner, entity)


def test_a_broken_install_fails_without_a_banner_or_a_password(installed, tmp_path):
    """The installed wheel with its SDK folder taken away (and put back afterwards)."""
    sdk = next(installed.parent.glob("lib/python3*/site-packages/planner_bridge/web/sdk"))
    hidden = sdk.with_name("sdk-hidden")
    sdk.rename(hidden)
    try:
        for command in (
            ["demo", "--host-port", "0", "--planner-port", "0"],
            ["serve", "--port", "0"],
        ):
            failed = subprocess.run(
                [str(installed / "planner-bridge"), *command, "--data-dir", str(tmp_path / "d")],
                cwd=tmp_path,
                env={"PATH": os.environ["PATH"]},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert failed.returncode == 1, failed.stderr
            assert failed.stdout == ""  # no banner, no one-time password
            assert failed.stderr.count("\n") == 1 and "browser code is missing" in failed.stderr
    finally:
        hidden.rename(sdk)
