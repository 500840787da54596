"""The package's shape, measured on its source (issue 15, "One house"): no import circle, even
through imports inside functions; modules and functions of a readable size; concepts in
subpackages, so at most 24 modules sit directly in the package; no shim that only re-exports
another module; and the product never imports the demo shop, which uses it like any shop."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "planner_bridge"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
MAX_TOP_LEVEL_MODULES = 24
DEMO = "planner_bridge.demo"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(), filename=str(modules()[name]))


def is_package(name: str) -> bool:
    return name in modules() and modules()[name].name == "__init__.py"


def imported(name: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package's modules an import statement loads (the named module itself, or a
    submodule when `from package import submodule`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = name.split(".") if is_package(name) else name.split(".")[:-1]
    if node.level:
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    submodules = [f"{target}.{alias.name}" for alias in node.names]
    return [sub for sub in submodules if sub in modules()] or [target]


@cache
def imports() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in it (functions included)."""
    graph: dict[str, set[str]] = {}
    for name in modules():
        found = set()
        for node in ast.walk(tree(name)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.update(m for m in imported(name, node) if m in modules() and m != name)
        graph[name] = found
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle_through_three_modules():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_between_modules():
    assert circles(imports()) == []


def test_the_product_never_imports_the_demo():
    product = {name for name in modules() if not (name == DEMO or name.startswith(DEMO + "."))}
    offenders = {
        name: sorted(m for m in imports()[name] if m == DEMO or m.startswith(DEMO + "."))
        for name in product
    }
    assert {name: found for name, found in offenders.items() if found} == {}
    assert imports()["planner_bridge.demo.shop"]  # the walk does see the demo's own imports


def test_no_module_over_the_line_limit():
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_over_the_line_limit():
    long = {}
    for name in modules():
        for node in ast.walk(tree(name)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{name}.{node.name}"] = lines
    assert long == {}


def test_concepts_live_in_subpackages():
    top_level = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top_level) <= MAX_TOP_LEVEL_MODULES, top_level


def only_reexports(name: str, module: ast.Module) -> bool:
    """True for a module whose statements, past its docstring, are only imports from one other
    module (a shim left behind by a move)."""
    body = [
        node
        for node in module.body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        and not (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__")
    ]
    if not body or not all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body):
        return False
    sources = {m for node in body for m in imported(name, node)}  # type: ignore[arg-type]
    return len(sources) == 1


@pytest.mark.parametrize(
    ("source", "shim"),
    [
        ('"""x"""\nfrom .storage import Store, Record\n', True),
        ('"""x"""\nfrom .a import f\nfrom .b import g\n', False),
        ('"""x"""\nfrom .a import f\n\ndef g():\n    return f\n', False),
        ('"""only a docstring"""\n', False),
    ],
)
def test_the_shim_finder(source, shim):
    assert only_reexports("planner_bridge.shim", ast.parse(source)) is shim


def test_no_module_only_reexports_another():
    assert [name for name in modules() if only_reexports(name, tree(name))] == []
