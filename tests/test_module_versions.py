"""Content-hashed module URLs: a hash names one content, and an edited file gets a new one."""

from __future__ import annotations

import os

from planner_bridge.apps.module_versions import ModuleVersions, script_hash


def test_a_changed_file_gets_a_new_hash_and_only_the_current_one_is_current(tmp_path):
    module = tmp_path / "app.js"
    module.write_text("export const a = 1;\n")
    versions = ModuleVersions({"/planner/app.js": module, "/planner/look.css": tmp_path / "x"})
    first = versions.version("/planner/app.js")
    assert first and versions.is_current("/planner/app.js", f"v={first}")
    module.write_text("export const a = 22;\n")
    os.utime(module, ns=(1, 1))  # whatever the clock's resolution: the stamp differs
    second = versions.version("/planner/app.js")
    assert second != first
    assert not versions.is_current("/planner/app.js", f"v={first}")
    assert versions.version("/planner/other.js") is None
    assert not versions.is_current("/planner/other.js", "v=")
    assert versions.import_map() == {"imports": {"/planner/app.js": f"/planner/app.js?v={second}"}}


def test_script_hash_is_the_csp_source_of_exactly_that_text():
    assert script_hash("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    assert script_hash("a") != script_hash("a ")


def test_a_modules_static_import_graph_is_preloaded_first(tmp_path):
    files = {
        "ready.js": 'import { a } from "./a.js";\nimport "../sdk/p.js";\nexport const r = 1;\n',
        "a.js": 'import {\n  b,\n} from "./b.js";\nexport const a = () => import("./lazy.js");\n',
        "b.js": 'import { a } from "./a.js";\nexport const b = 1; // import "./nope.js"\n',
        "app.js": 'import "./ready.js";\n',
        "lazy.js": "export const l = 1;\n",
        "p.js": "export const p = 1;\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    paths = {f"/planner/{n}": tmp_path / n for n in files if n != "p.js"}
    versions = ModuleVersions({**paths, "/sdk/p.js": tmp_path / "p.js"})
    # Static imports only (not import()), across folders, each module once despite the cycle.
    graph = versions.graph("/planner/ready.js")
    assert sorted(graph) == ["/planner/a.js", "/planner/b.js", "/planner/ready.js", "/sdk/p.js"]
    assert graph[0] == "/planner/ready.js"
    preloads = [url.partition("?")[0] for url in versions.urls(first="/planner/ready.js")]
    assert preloads[:4] == graph and sorted(preloads[4:]) == ["/planner/app.js", "/planner/lazy.js"]
    assert sorted(preloads) == sorted(url.partition("?")[0] for url in versions.urls())
