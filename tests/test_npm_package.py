"""The SDK as an npm package (SPEC "For front-end developers"): `npm pack` in web/sdk gives a
tarball that installs into a scratch TypeScript project, where the README's embed snippets (both,
exactly as printed; the npm one with the tsconfig.json printed beside it), docs/embedding.md's
"Drive the planner" example and a use of every exported name type-check with `tsc --strict`;
the planner origin serves the very same files."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
import tomllib
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
SDK = REPO / "web" / "sdk"
USES = Path(__file__).parent / "sdk_types" / "uses-every-export.ts"
PLANNER_SDK_URL = "https://planner.example/sdk/planner-bridge.js"
NPM_TIMEOUT = 600
# Building and installing real artifacts (a fresh venv, npm install) on a clean CI machine
# downloads packages: more than the suite's usual 300 s bound may be needed.
pytestmark = pytest.mark.timeout(900)
SHIPPED = {"package.json", "planner-bridge.js", "planner-bridge.d.ts", "protocol.js"}
SHIPPED |= {"protocol.d.ts", "session-channel.js", "README.md", "host-bridge.js"}
SHIPPED |= {"command-channel.js", "embed-options.js", "load-check.js"}
SHIPPED |= {"planner-key.js", "token-fetch.js", "token-flights.js"}


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=NPM_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack")
    run(["npm", "pack", "--pack-destination", str(out)], SDK)
    return next(out.glob("planner-bridge-sdk-*.tgz"))


@pytest.fixture(scope="module")
def project(tarball, tmp_path_factory) -> Path:
    """A scratch TypeScript project with the packed SDK and TypeScript 5 installed."""
    root = tmp_path_factory.mktemp("scratch")
    (root / "package.json").write_text(
        json.dumps({"name": "scratch", "private": True, "type": "module"})
    )
    run(["npm", "install", "--no-audit", "--no-fund", str(tarball), "typescript@5"], root)
    return root


def readme_snippets() -> dict[str, str]:
    """The embed snippets as the README prints them: the planner-origin one (inside a
    <script type="module"> of an html block) and the npm one (a js block)."""
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```(\w+)\n(.*?)```", readme, re.S)
    html = next(code for lang, code in blocks if lang == "html" and "embedPlanner" in code)
    script = re.search(r'<script type="module">\n(.*?)</script>', html, re.S).group(1)
    npm = next(code for lang, code in blocks if lang == "js" and '"@planner-bridge/sdk"' in code)
    return {"embed-from-origin.ts": script, "embed-from-npm.ts": npm}


def exported_names(typings: str) -> set[str]:
    declared = re.findall(
        r"^export (?:declare )?(?:const|function|class|interface|type) (\w+)", typings, re.M
    )
    listed = re.findall(r"^export \{([^}]*)\}", typings, re.M)
    return set(declared) | {
        n.strip().split(" as ")[-1] for group in listed for n in group.split(",") if n.strip()
    }


def test_the_tarball_holds_the_package_and_nothing_else(tarball):
    with tarfile.open(tarball) as packed:
        names = {name.removeprefix("package/") for name in packed.getnames()}
        manifest = json.load(packed.extractfile("package/package.json"))
    assert names == SHIPPED
    assert manifest["name"] == "@planner-bridge/sdk" and manifest["type"] == "module"
    assert manifest["exports"]["."]["types"] == "./planner-bridge.d.ts"
    assert manifest["exports"]["./protocol"]["types"] == "./protocol.d.ts"
    python = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert manifest["version"] == python  # one release number for the wheel and the SDK


def test_readme_snippets_and_every_export_type_check_strictly(project):
    for name, code in readme_snippets().items():
        (project / name).write_text(code)
    (project / "uses-every-export.ts").write_text(USES.read_text())
    sdk_typings = project / "node_modules" / "@planner-bridge" / "sdk" / "planner-bridge.d.ts"
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "target": "es2022",
            "module": "es2022",
            "moduleResolution": "bundler",
            "lib": ["es2022", "dom"],
            "skipLibCheck": False,
            # The planner origin's URL, as the html snippet imports it, is the same typings.
            "paths": {PLANNER_SDK_URL: [str(sdk_typings)]},
        },
        "files": ["embed-from-origin.ts", "embed-from-npm.ts", "uses-every-export.ts"],
    }
    (project / "tsconfig.json").write_text(json.dumps(config))
    checked = subprocess.run(
        [str(project / "node_modules" / ".bin" / "tsc"), "-p", "."],
        cwd=project, capture_output=True, text=True, timeout=NPM_TIMEOUT,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def drive_the_planner_section() -> tuple[str, str]:
    """docs/embedding.md's "Drive the planner" example and the tsconfig.json printed beside it."""
    page = (REPO / "docs" / "embedding.md").read_text()
    section = page.split("## Drive the planner\n", 1)[1].split("\n## ", 1)[0]
    blocks = dict(re.findall(r"```(json|ts)\n(.*?)```", section, re.S))
    return blocks["json"], blocks["ts"]


def test_the_drive_the_planner_example_type_checks_with_the_tsconfig_it_shows(project, tmp_path):
    config, example = drive_the_planner_section()
    assert json.loads(config)["files"] == ["drive-planner.ts"]
    (tmp_path / "tsconfig.json").write_text(config)
    (tmp_path / "drive-planner.ts").write_text(example)
    (tmp_path / "node_modules").symlink_to(project / "node_modules")
    checked = subprocess.run(
        [str(project / "node_modules" / ".bin" / "tsc"), "-p", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=NPM_TIMEOUT,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Not vacuous: the same example with a misspelt command does not check.
    (tmp_path / "drive-planner.ts").write_text(example.replace("addItem(", "addItems("))
    refused = subprocess.run(
        [str(project / "node_modules" / ".bin" / "tsc"), "-p", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=NPM_TIMEOUT,
    )  # fmt: skip
    assert "Property 'addItems' does not exist" in refused.stdout


def readme_npm_embed() -> tuple[str, str]:
    """The README's npm embed snippet and the tsconfig.json printed right after it."""
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```(\w+)\n(.*?)```", readme, re.S)
    npm = [lang == "js" and '"@planner-bridge/sdk"' in code for lang, code in blocks]
    at = npm.index(True)
    lang, config = blocks[at + 1]
    assert lang == "json", "the README prints the snippet's tsconfig.json right after it"
    return config, blocks[at][1]


def tsc(project: Path, where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(project / "node_modules" / ".bin" / "tsc"), "-p", "."],
        cwd=where, capture_output=True, text=True, timeout=NPM_TIMEOUT,
    )  # fmt: skip


def test_the_readme_npm_snippet_type_checks_with_the_tsconfig_it_shows(project, tmp_path):
    config, snippet = readme_npm_embed()
    (name,) = json.loads(config)["files"]
    (tmp_path / name).write_text(snippet)
    (tmp_path / "node_modules").symlink_to(project / "node_modules")
    (tmp_path / "tsconfig.json").write_text(config)
    checked = tsc(project, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Not vacuous: the tsconfig is what the snippet needs (without "dom", no `document`).
    (tmp_path / "tsconfig.json").write_text(config.replace('"es2022", "dom"', '"es2022"'))
    assert "Cannot find name 'document'" in tsc(project, tmp_path).stdout


def test_every_exported_name_is_used_by_the_type_check():
    uses = USES.read_text()
    for typings in ("planner-bridge.d.ts", "protocol.d.ts"):
        for name in exported_names((SDK / typings).read_text()):
            assert re.search(rf"\b{name}\b", uses), f"{typings}: {name} is not used"


def test_the_package_imports_in_node_by_its_exports(project):
    script = (
        "const sdk = await import('@planner-bridge/sdk');"
        "const protocol = await import('@planner-bridge/sdk/protocol');"
        "console.log(JSON.stringify([typeof sdk.embedPlanner, typeof sdk.HostBridge,"
        " protocol.PROTOCOL_VERSION, sdk.PlannerBridgeError === protocol.PlannerBridgeError]));"
    )
    printed = run(["node", "--input-type=module", "-e", script], project).stdout
    assert json.loads(printed) == ["function", "function", 1, True]


def test_protocol_typings_match_what_tsc_makes_of_protocol_js(project, tmp_path):
    (tmp_path / "protocol.js").write_text((SDK / "protocol.js").read_text())
    tsc = str(project / "node_modules" / ".bin" / "tsc")
    run([tsc, "--allowJs", "--declaration", "--emitDeclarationOnly", "--strict", "--target",
         "es2022", "--module", "es2022", "--outDir", "out", "protocol.js"], tmp_path)  # fmt: skip
    made = (tmp_path / "out" / "protocol.d.ts").read_text()
    checked_in = (SDK / "protocol.d.ts").read_text()
    assert checked_in.endswith(made), (
        "web/sdk/protocol.d.ts is stale: regenerate it (see its header)"
    )


def test_the_planner_origin_serves_the_same_files(planner):
    for name in ("planner-bridge.js", "planner-bridge.d.ts", "protocol.js", "protocol.d.ts"):
        served = httpx.get(f"{planner.url}/sdk/{name}")
        assert served.status_code == 200 and served.text == (SDK / name).read_text(), name
