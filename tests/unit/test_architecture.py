"""The rules of docs/architecture.md, checked on the source: which package may import which, and no import cycles.

Imports are read with ``ast`` (nothing is imported), at module level and inside functions alike; an import under
``if TYPE_CHECKING:`` never runs (annotations only) and does not count.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("classit_tasks", "classit_train")
TRAIN_ROOMS = ("data", "checkpoints", "analysis", "training", "config", "cli")  # classit_train's sub-packages
TRAIN_SHARED = ("errors", "files", "schema")  # classit_train's shared modules, below every room
# the rooms of classit_tasks, bottom first (docs/architecture.md, "Folders")
SHARED = tuple(f"classit_tasks.{name}" for name in ("harness", "names", "flags", "nonfinite", "responses",
                                                     "run_checks", "errors", "command"))
ROOMS = ("classit_tasks.tasks", "classit_tasks.scoring", "classit_tasks.report", "classit_tasks.sweep",
         "classit_tasks.finetune", "classit_tasks.leaderboard", "classit_tasks.cli", "classit_tasks.gate")
# package -> the classit_tasks packages it must not import (docs/architecture.md, "Rules")
FORBIDDEN = {
    "classit_tasks.tasks": ("classit_tasks.scoring", "classit_tasks.report", "classit_tasks.sweep",
                            "classit_tasks.finetune", "classit_tasks.leaderboard", "classit_tasks.cli",
                            "classit_tasks.gate"),
    "classit_tasks.scoring": ("classit_tasks.tasks", "classit_tasks.report", "classit_tasks.sweep",
                              "classit_tasks.finetune", "classit_tasks.leaderboard", "classit_tasks.cli",
                              "classit_tasks.gate"),
    # the leaderboard room sits below the report and the fine-tuning wrapper (both use it)
    "classit_tasks.leaderboard": ("classit_tasks.report", "classit_tasks.finetune", "classit_tasks.scoring",
                                  "classit_tasks.sweep", "classit_tasks.cli", "classit_tasks.gate"),
    "classit_tasks.finetune": ("classit_tasks.report", "classit_tasks.scoring", "classit_tasks.sweep",
                               "classit_tasks.cli", "classit_tasks.gate"),
    "classit_tasks.report": ("classit_tasks.finetune", "classit_tasks.scoring", "classit_tasks.sweep",
                             "classit_tasks.cli", "classit_tasks.gate"),
    "classit_tasks.sweep": ("classit_tasks.finetune", "classit_tasks.cli", "classit_tasks.gate"),
    "classit_tasks": ("classit_train",),
    # shared utilities and the lm-eval seam: below every room of classit_tasks (the artifacts room is below them)
    **{name: ROOMS for name in SHARED},
    # the artifacts room: the bottom; of classit it imports only the error base (classit_tasks.errors, which imports
    # nothing of classit)
    "classit_tasks.artifacts": (*ROOMS, *(m for m in SHARED if m != "classit_tasks.errors"), "classit_train"),
    # the gate runs classit-eval through the function cli passes in; cli imports the gate to dispatch to it
    "classit_tasks.gate": ("classit_tasks.cli",),
    "classit_train": ("classit_tasks",),
    # inside classit_train (docs/architecture.md, "Inside classit_train"): data and checkpoints at the bottom, then
    # analysis, training, config, cli; the shared modules below them all
    "classit_train.data": ("classit_train.checkpoints", "classit_train.analysis", "classit_train.training",
                           "classit_train.config", "classit_train.cli"),
    "classit_train.checkpoints": ("classit_train.data", "classit_train.analysis", "classit_train.training",
                                  "classit_train.config", "classit_train.cli"),
    "classit_train.analysis": ("classit_train.training", "classit_train.config", "classit_train.cli"),
    "classit_train.training": ("classit_train.config", "classit_train.cli"),
    "classit_train.config": ("classit_train.analysis", "classit_train.cli"),
    **{f"classit_train.{name}": tuple(f"classit_train.{room}" for room in TRAIN_ROOMS)
       for name in TRAIN_SHARED},
}
# The file names, format strings and folder names one command writes and another reads: only classit_tasks/artifacts
# may spell them (docs/architecture.md, "Rules").
FORMAT_LITERAL = re.compile(r"(?:^|[/^])(?:results_|samples_|chck_|sweep\.json|classit-sweep/|classit_state\.json)")


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
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                 for stmt in node.body for inner in ast.walk(stmt)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
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


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``: a block that only type checkers run."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


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


def test_classit_train_modules_live_in_their_rooms():
    """classit_train holds its rooms (sub-packages) and the shared modules only: a new module goes into a room."""
    top = {p.stem for p in (REPO / "classit_train").glob("*.py")} - {"__init__", "__main__"}
    assert top == set(TRAIN_SHARED), f"flat modules outside classit_train's rooms: {sorted(top - set(TRAIN_SHARED))}"
    rooms = {p.parent.name for p in (REPO / "classit_train").glob("*/__init__.py")}
    assert rooms == set(TRAIN_ROOMS), sorted(rooms ^ set(TRAIN_ROOMS))


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
    """The scan finds relative, aliased and function-level imports (so the rules above cannot pass vacuously) and
    skips the annotation-only ones under ``if TYPE_CHECKING:``."""
    package = tmp_path / "classit_tasks"
    (package / "tasks").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tasks" / "__init__.py").write_text("")
    (package / "tasks" / "a.py").write_text("def f():\n    from ..scoring import model as m\n")
    (package / "scoring").mkdir()
    (package / "scoring" / "__init__.py").write_text("")
    (package / "scoring" / "model.py").write_text("import classit_tasks.tasks.a\nif TYPE_CHECKING:\n"
                                                 "    from ..report import table\n")
    modules = {"classit_tasks": package / "__init__.py", "classit_tasks.tasks": package / "tasks" / "__init__.py",
               "classit_tasks.tasks.a": package / "tasks" / "a.py",
               "classit_tasks.scoring": package / "scoring" / "__init__.py",
               "classit_tasks.scoring.model": package / "scoring" / "model.py"}
    assert _imports("classit_tasks.tasks.a", modules["classit_tasks.tasks.a"], modules) == {
        "classit_tasks.scoring.model"}
    assert _imports("classit_tasks.scoring.model", modules["classit_tasks.scoring.model"], modules) == {
        "classit_tasks.tasks.a"}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module and of its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def format_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string constant (an f-string's literal parts too; docstrings not) that spells a format
    name: starting with ``results_``, ``samples_``, ``chck_``, ``sweep.json``, ``classit-sweep/`` or
    ``classit_state.json`` (after a ``/`` or a regex ``^`` too). Prose that merely mentions a name mid-sentence
    (help texts, messages) is not a use of the format and is not reported."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if FORMAT_LITERAL.search(node.value):
                found.append((node.lineno, node.value))
    return found


def test_format_literals_live_in_the_artifacts_room():
    """Only classit_tasks/artifacts knows the names and format strings of the files other commands wrote."""
    found = []
    for path in sorted((REPO / "classit_tasks").rglob("*.py")):
        if (REPO / "classit_tasks" / "artifacts") in path.parents:
            continue
        found += [f"{path.relative_to(REPO)}:{line}: {text!r}"
                  for line, text in format_literals(path.read_text(encoding="utf-8"))]
    assert not found, "format literals outside classit_tasks/artifacts:\n" + "\n".join(found)


def test_the_format_scan_sees_literals():
    """The scan finds plain, f-string and regex spellings, and leaves docstrings and prose alone."""
    source = ('"""Reads sweep.json and results_<time>.json."""\n'
              'A = "sweep.json"\nB = f"results_{stamp}.json"\nC = re.compile(r"^chck_(\\d+)M$")\n'
              'D = folder / "classit_state.json"\nE = "see the sweep.json of a run"\nF = f"{x}/samples_{t}.jsonl"\n'
              'G = "classit-sweep/1"\n')
    assert sorted(line for line, _ in format_literals(source)) == [2, 3, 4, 5, 7, 8]
