"""service/ and integrations/ form layers: no file imports, however indirectly, a file that imports it back.

A circle means a change to one of its files can move any other, and the import order decides whether it loads at
all. The graph is read from the source with ``ast``: imports at module level and inside functions alike (a
deferred import hides a circle, it does not remove it), also under TYPE_CHECKING, relative ones resolved, and
``from package import name`` counted as importing the submodule ``package.name`` when there is one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("service", "integrations")


def modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the packages by dotted name, with its file and whether it is a package's __init__."""
    found: dict[str, tuple[Path, bool]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([name] if name else [])])


def _ours(name: str, known: dict[str, tuple[Path, bool]]) -> str | None:
    """The module of ours that importing ``name`` loads (``a.b.c`` where only ``a.b`` exists means ``a.b``)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module, (path, is_package) in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(module, is_package, node.level, node.module) if node.level else node.module or ""
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for target in targets:
                ours = _ours(target, known)
                if ours is not None and ours != module:
                    graph[module].add(ours)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components, iteratively; each is returned after every component it imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def floors(graph: dict[str, set[str]]) -> int:
    """How many layers the packages stand in: the longest chain of imports, a circle counting as one layer."""
    components = strongly_connected(graph)
    component_of = {m: i for i, members in enumerate(components) for m in members}
    floor: dict[int, int] = {}
    for i, members in enumerate(components):
        below = [floor[component_of[t]] for m in members for t in graph[m] if component_of[t] != i]
        floor[i] = 1 + max(below, default=0)
    return max(floor.values(), default=0)


def _circle_through(members: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One import path that starts and ends at the component's first module, staying inside the component."""
    inside = set(members)
    start = members[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & inside):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    return members


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "service.devices.models" in graph["service.devices.service"]  # module level, absolute
    assert "service.web.deps" in graph["service.devices.views"]  # from ... import name (not a module)
    assert "service.audit.service" in graph["service.devices.service"]  # from package import submodule
    assert "service.migrate" in graph["service.cli"]  # inside a function
    assert "service.jobs.registry" not in graph["service.jobs.registry"]


def test_relative_imports_resolve_from_the_importing_file() -> None:
    assert _absolute("service.wipes.api", False, 1, "uploads") == "service.wipes.uploads"  # from .uploads import
    assert _absolute("service.wipes", True, 1, "api") == "service.wipes.api"  # in wipes/__init__.py
    assert _absolute("service.wipes.api", False, 2, "devices.hooks") == "service.devices.hooks"  # from ..devices
    assert _absolute("service.wipes.api", False, 1, None) == "service.wipes"  # from . import uploads


def test_a_circle_is_found_and_named() -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x", "a.w"}, "a.w": set()}
    circles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert circles == [["a.x", "a.y", "a.z"]]
    assert _circle_through(circles[0], graph) == ["a.x", "a.y", "a.z", "a.x"]
    assert floors(graph) == 2


def test_no_module_imports_itself_back() -> None:
    graph = import_graph()
    known = modules()
    circles = [c for c in strongly_connected(graph) if len(c) > 1]
    def file(module: str) -> str:
        return str(known[module][0].relative_to(ROOT))

    described = [
        " -> ".join(map(file, _circle_through(members, graph))) + f" (all of: {', '.join(map(file, members))})"
        for members in circles
    ]
    assert not described, f"{len(described)} import circle(s):\n" + "\n".join(described)


if __name__ == "__main__":  # the figures for a change's description
    graph = import_graph()
    circles = [c for c in strongly_connected(graph) if len(c) > 1]
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports, {floors(graph)} floors, "
          f"{len(circles)} circles")
