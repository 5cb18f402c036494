"""The rules of docs/architecture.md, checked on the source: which package may import which, and no import cycles.

Imports are read with ``ast`` (nothing is imported), at module level and inside functions alike.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("classit_tasks", "classit_train")
# package -> the classit_tasks sub-packages it must not import (docs/architecture.md, "Rules")
FORBIDDEN = {
    "classit_tasks.tasks": ("classit_tasks.scoring", "classit_tasks.report", "classit_tasks.sweep",
                            "classit_tasks.finetune", "classit_tasks.cli"),
    "classit_tasks.scoring": ("classit_tasks.tasks", "classit_tasks.report", "classit_tasks.sweep",
                              "classit_tasks.finetune", "classit_tasks.cli", "classit_tasks.gate"),
    "classit_tasks.finetune": ("classit_tasks.scoring", "classit_tasks.sweep", "classit_tasks.cli"),
    "classit_tasks.report": ("classit_tasks.sweep", "classit_tasks.cli"),
    "classit_tasks": ("classit_train",),
    # shared utilities and the lm-eval seam: below every package of classit_tasks
    **{f"classit_tasks.{name}": ("classit_tasks.tasks", "classit_tasks.scoring", "classit_tasks.report",
                                 "classit_tasks.sweep", "classit_tasks.finetune", "classit_tasks.cli")
       for name in ("harness", "names", "flags", "nonfinite", "responses", "atomic_results", "run_checks",
                     "json_files", "errors", "command")},
    # the gate runs classit-eval through the function cli passes in; cli imports the gate to dispatch to it
    "classit_tasks.gate": ("classit_tasks.cli",),
    "classit_train": ("classit_tasks",),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The classit modules ``name`` imports (a name imported from a package counts as its module if it is one)."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            # `from package import module` imports that module; `from module import name` imports the module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_layering_rules(graph):
    broken = []
    for module, targets in graph.items():
        for package, forbidden in FORBIDDEN.items():
            if not _inside(module, package):
                continue
            broken += [f"{module} imports {t}" for t in sorted(targets) if any(_inside(t, f) for f in forbidden)]
    assert not broken, "docs/architecture.md rules broken:\n" + "\n".join(broken)


def test_no_import_cycles(graph):
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_imports(tmp_path):
    """The scan finds relative, aliased and function-level imports (so the rules above cannot pass vacuously)."""
    package = tmp_path / "classit_tasks"
    (package / "tasks").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tasks" / "__init__.py").write_text("")
    (package / "tasks" / "a.py").write_text("def f():\n    from ..scoring import model as m\n")
    (package / "scoring").mkdir()
    (package / "scoring" / "__init__.py").write_text("")
    (package / "scoring" / "model.py").write_text("import classit_tasks.tasks.a\n")
    modules = {"classit_tasks": package / "__init__.py", "classit_tasks.tasks": package / "tasks" / "__init__.py",
               "classit_tasks.tasks.a": package / "tasks" / "a.py",
               "classit_tasks.scoring": package / "scoring" / "__init__.py",
               "classit_tasks.scoring.model": package / "scoring" / "model.py"}
    assert _imports("classit_tasks.tasks.a", modules["classit_tasks.tasks.a"], modules) == {
        "classit_tasks.scoring.model"}
    assert _imports("classit_tasks.scoring.model", modules["classit_tasks.scoring.model"], modules) == {
        "classit_tasks.tasks.a"}
