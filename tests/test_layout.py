"""The packages' layout: no module imports, directly or through others, one that imports it.

Every import counts, deferred ones inside functions and ``TYPE_CHECKING`` ones too: a cycle
hidden in a function is still a cycle of the design.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# scripts/tools: the modules behind the scripts of scripts/ (imported as ``tools``).
PACKAGES = ("indexer", "widget", "scripts/tools")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules this one imports (a package's ``__init__`` is left out for
    its own modules: importing a sibling runs it, but it is not a dependency)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for imported in names:
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(imported + "."):
                found.add(imported)
    return found


def test_the_packages_have_no_import_cycle() -> None:
    modules = project_modules()
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as e:
        pytest.fail(f"import cycle: {' -> '.join(e.args[1])}")


def test_the_check_sees_a_cycle(tmp_path: Path) -> None:
    """The check can fail: two modules importing each other (one lazily) are a cycle."""
    a = tmp_path / "a.py"
    a.write_text("import b\n")
    b = tmp_path / "b.py"
    b.write_text("def f():\n    from a import x\n")
    modules = {"a": a, "b": b}
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    with pytest.raises(CycleError):
        TopologicalSorter(graph).prepare()
