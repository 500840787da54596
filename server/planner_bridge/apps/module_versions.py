"""Content-addressed URLs for the planner's ES modules, so that a warm visit loads none of them.

Without a build step, every module is a file of its own; revalidating each one on every visit
costs a request per module (three waves behind HTTP/1.1's six connections). Instead the planner
page names each module with its content's hash (`/planner/api.js?v=HASH`): those URLs never
change meaning, so they are cached for good, and a new release has new URLs. Imports inside the
modules stay plain relative paths; the page's import map sends them to the hashed URLs. The
hashes are recomputed when a file changes (its mtime or size), so a running demo serves edits.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
import threading
from pathlib import Path

# How long a hashed URL may be cached: for good (a year, `immutable`).
FOREVER = "public, max-age=31536000, immutable"
# `import ... from "./x.js"` and `import "./x.js"` at the start of a line (not `import()`).
STATIC_IMPORT = re.compile(r'^import\s[^;]*?["\'](\.{1,2}/[^"\']+)["\']', re.MULTILINE)
# The planner page's one classic script: it opens the key store as the page starts.
KEY_STORE_EARLY = "/planner/key-store-early.js"


class ModuleVersions:
    """The modules of one page's graph: URL path → file, and each one's current hash."""

    def __init__(
        self,
        files: dict[str, Path],
        lazy: frozenset[str] = frozenset(),
        classic: frozenset[str] = frozenset(),
    ) -> None:
        """`lazy`: modules the page imports only on demand (three.js): in the import map, hashed
        and cached for good like the rest, but never preloaded, so the first paint does not wait
        for them. `classic`: scripts that are not modules (a page's `<script src>`): hashed and
        cached alike, neither preloaded nor in the import map."""
        self.files = files
        self.lazy = lazy
        self.classic = classic
        self._cache: dict[str, tuple[tuple[int, int], str]] = {}
        self._lock = threading.Lock()

    def version(self, url_path: str) -> str | None:
        """The hash of the file behind `url_path` as it is now; None if it is not ours."""
        path = self.files.get(url_path)
        if path is None:
            return None
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(url_path)
            if cached and cached[0] == stamp:
                return cached[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        with self._lock:
            self._cache[url_path] = (stamp, digest)
        return digest

    def url(self, url_path: str) -> str:
        return f"{url_path}?v={self.version(url_path)}"

    def modules(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".js") and p not in self.classic)

    def urls(self, first: str | None = None) -> list[str]:
        """The hashed URLs of every module but the lazy ones: what the page preloads; with
        `first`, that module's static import graph leads (the browser compiles them in this
        order, and the page waits for that graph's first act: Ready)."""
        wanted = [p for p in self.modules() if p not in self.lazy]
        lead = self.graph(first) if first else []
        return [self.url(p) for p in (*lead, *(p for p in wanted if p not in lead))]

    def graph(self, root: str) -> list[str]:
        """`root` and every module it imports statically, directly or not (ours only)."""
        found, todo = [root], [root]
        while todo:
            path = todo.pop()
            text = self.files[path].read_text(encoding="utf-8")
            for spec in STATIC_IMPORT.findall(text):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
                if target in self.files and target not in found:
                    found.append(target)
                    todo.append(target)
        return found

    def import_map(self) -> dict[str, dict[str, str]]:
        return {"imports": {p: self.url(p) for p in self.modules()}}

    def is_current(self, url_path: str, query: str) -> bool:
        """Whether `?v=...` in `query` names the file's current content."""
        version = self.version(url_path)
        return version is not None and query == f"v={version}"


def planner_modules(web: Path) -> ModuleVersions:
    """The planner page's module graph (its own modules and the protocol it shares with the SDK),
    its stylesheet, and the vendored three.js the 3D view loads when first opened."""
    planner = sorted([*(web / "planner").glob("*.js"), *(web / "planner").glob("*.css")])
    files = {f"/planner/{p.name}": p for p in planner}
    files["/sdk/protocol.js"] = web / "sdk" / "protocol.js"
    vendored = {f"/vendor/three/{p.name}": p for p in (web / "vendor" / "three").glob("*.js")}
    classic = frozenset({KEY_STORE_EARLY})
    return ModuleVersions(files | vendored, lazy=frozenset(vendored), classic=classic)


def script_hash(text: str) -> str:
    """The CSP source that allows exactly this inline script (the import map)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"
