"""The documentation a user gets: a README short enough to read through, links that lead
somewhere, and no citation of files users do not have (the project's SPEC.md is not shipped)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README_MAX_LINES = 200
# What users get: the wheel's package (server code and web/), the npm package (web/sdk), the
# README and docs, the example shop. Not web/tests, which neither package ships.
SHIPPED = ["README.md", "docs", "examples", "server/planner_bridge", "web"]
NOT_SHIPPED = {"tests", "node_modules", "__pycache__"}
TEXT = {".md", ".py", ".js", ".mjs", ".ts", ".html", ".css", ".json", ".ini", ".txt"}


def shipped_files() -> Iterator[Path]:
    for name in SHIPPED:
        root = REPO / name
        for path in [root] if root.is_file() else root.rglob("*"):
            parts = set(path.relative_to(REPO).parts)
            if path.is_file() and path.suffix in TEXT and not parts & NOT_SHIPPED:
                yield path


def test_the_readme_is_at_most_200_lines():
    lines = (REPO / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, len(lines)


def test_the_readme_says_how_to_start_near_the_top():
    top = "\n".join((REPO / "README.md").read_text().splitlines()[:40])
    assert "make demo" in top and "make test" in top
    assert "open http://localhost:8000 and log in as `alice`" in top


def test_no_shipped_file_cites_the_spec():
    files = list(shipped_files())
    assert any(path.name == "planner-bridge.d.ts" for path in files)  # the walk finds them
    citing = [str(p.relative_to(REPO)) for p in files if "SPEC.md" in p.read_text()]
    assert citing == []


def test_every_relative_link_in_the_docs_leads_to_a_file():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    pages.append(REPO / "examples" / "shop" / "README.md")
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert broken == []
