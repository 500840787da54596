"""Where the browser code lives: inside the installed package, as `planner_bridge.web`.

The repository keeps it in web/ at the top; setuptools maps that directory into the package
(pyproject.toml), so an installed wheel and an editable checkout find the same files through
importlib.resources, never through a path relative to this file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

PACKAGE = "planner_bridge.web"


def require(*folders: str) -> None:
    """Refuse to start, in one clear line, when the installed package lacks browser code."""
    root = resources.files(PACKAGE)
    for folder in folders:
        if not root.joinpath(folder).is_dir():
            raise FileNotFoundError(
                f"the browser code is missing from the installed package ({PACKAGE}/{folder});"
                " reinstall planner-bridge"
            )


def root() -> Path:
    """The browser code's directory. A directory on disk, not any Traversable: Starlette's
    StaticFiles serves from one too (and the module hashes stat the files)."""
    found = resources.files(PACKAGE)
    if not isinstance(found, Path):
        raise FileNotFoundError(f"{PACKAGE} is not installed as files on disk")
    return found


def templates(folder: str) -> Jinja2Templates:
    """Jinja2 templates from one folder of the browser code (autoescaped, as Starlette does)."""
    require(folder)
    loader = jinja2.PackageLoader(PACKAGE, folder)
    return Jinja2Templates(env=jinja2.Environment(loader=loader, autoescape=True))


def static_files(folder: str) -> StaticFiles:
    require(folder)
    return StaticFiles(packages=[(PACKAGE, folder)])
