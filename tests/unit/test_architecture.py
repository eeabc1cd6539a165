"""docs/ARCHITECTURE.md kept true: route modules (views and api) run no query of their own, so every query is in a
repository or a service where the next reader looks for it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUERY_MODULES = ("sqlalchemy", "sqlmodel")


def route_modules() -> list[Path]:
    service = ROOT / "service"
    found = {*service.glob("*/views.py"), *service.glob("*/api.py"), *service.glob("*/*_views.py")}
    found |= set((service / "web").glob("*.py"))
    return sorted(found)


def select_imports(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line` of each import that brings SQLAlchemy's or SQLModel's ``select`` into the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in QUERY_MODULES:
            if any(alias.name == "select" for alias in node.names):
                found.append(f"{where}:{node.lineno} imports select from {node.module}")
        elif isinstance(node, ast.Import):
            found.extend(
                f"{where}:{node.lineno} imports {alias.name}, whose select it could call"
                for alias in node.names
                if alias.name.split(".")[0] in QUERY_MODULES and _uses_select(tree, alias.asname or alias.name)
            )
    return found


def _uses_select(tree: ast.AST, name: str) -> bool:
    """Whether ``name.select`` (e.g. ``sa.select``) appears anywhere in the module."""
    return any(
        isinstance(node, ast.Attribute) and node.attr == "select" and ast.unparse(node.value) == name
        for node in ast.walk(tree)
    )


def test_the_route_modules_are_found() -> None:
    names = {str(p.relative_to(ROOT)) for p in route_modules()}
    assert {"service/devices/views.py", "service/donations/api.py", "service/wipes/certificate_views.py"} <= names
    assert "service/web/views.py" in names and "service/devices/repository.py" not in names


def test_no_view_or_api_module_imports_select() -> None:
    found = [hit for path in route_modules() for hit in select_imports(path)]
    assert not found, "queries belong in repository.py or service.py (docs/ARCHITECTURE.md):\n" + "\n".join(found)


def test_the_check_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "service" / "demo").mkdir(parents=True)
    bad = tmp_path / "service" / "demo" / "views.py"
    bad.write_text(
        "import sqlalchemy as sa\nfrom sqlmodel import Field, select\n\n\ndef q():\n    return sa.select(1)\n"
    )
    assert select_imports(bad, tmp_path) == [
        "service/demo/views.py:1 imports sqlalchemy, whose select it could call",
        "service/demo/views.py:2 imports select from sqlmodel",
    ]
    harmless = tmp_path / "service" / "demo" / "api.py"
    harmless.write_text("import sqlalchemy as sa\n\n\ndef shape(row: sa.Row) -> dict:\n    return dict(row._mapping)\n")
    assert select_imports(harmless, tmp_path) == []
