"""Issue 13: classit_tasks/harness.py is the only module that touches lm-eval internals.

Other modules may import only lm-eval's public extension API (``harness.PUBLIC_API``) and use no underscore name
of lm-eval's (an attribute, a module, or a string given to getattr/setattr/hasattr), unless the module defines
that name itself. Every lm-eval import in harness.py names the lm-eval version it was checked against.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import lm_eval
import pytest

from classit_tasks import harness

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("classit_tasks", "classit_train")
HARNESS = Path("classit_tasks") / "harness.py"
# lm-eval's own code that classit could reach into (the task folders are left out: thousands of YAML helpers)
LM_EVAL_SOURCES = ("*.py", "api/*.py", "models/huggingface.py", "models/utils.py", "loggers/*.py", "_cli/*.py",
                   "config/*.py", "tasks/*.py", "filters/*.py", "caching/*.py")


def _private(name: str) -> bool:
    return len(name) > 1 and name.startswith("_") and not name.startswith("__")


def lm_eval_private_names() -> set[str]:
    """Underscore names lm-eval defines: functions, classes, methods, attributes assigned, module-level names."""
    root = Path(lm_eval.__file__).parent
    names: set[str] = set()
    for pattern in LM_EVAL_SOURCES:
        for path in root.glob(pattern):
            names.update((path.stem, path.parent.name))  # modules and packages (lm_eval._cli)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                    names.add(node.attr)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return {n for n in names if _private(n)}


def _own_names(tree: ast.AST) -> set[str]:
    """Names a classit module defines itself: functions, classes, module names, attributes set on self/cls."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            own.add(node.attr)
    return own


def violations(repo: Path, lm_private: set[str]) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((repo / package).rglob("*.py")):
            rel = path.relative_to(repo)
            if rel == HARNESS:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
            own = _own_names(tree)
            for node in ast.walk(tree):
                where = f"{rel}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name == "lm_eval" or alias.name.startswith("lm_eval."):
                            found.append(f"{where}: import {alias.name} (use classit_tasks.harness)")
                elif isinstance(node, ast.ImportFrom) and node.module and (
                        node.module == "lm_eval" or node.module.startswith("lm_eval.")):
                    for alias in node.names:
                        if (node.module, alias.name) not in harness.PUBLIC_API:
                            found.append(f"{where}: from {node.module} import {alias.name} (use classit_tasks.harness)")
                elif isinstance(node, ast.Attribute) and node.attr in lm_private and node.attr not in own:
                    found.append(f"{where}: lm-eval private name .{node.attr}")
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                      and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) > 1
                      and isinstance(node.args[1], ast.Constant) and node.args[1].value in lm_private
                      and node.args[1].value not in own):
                    found.append(f"{where}: lm-eval private name {node.args[1].value!r} via {node.func.id}")
    return found


@pytest.fixture(scope="module")
def lm_private() -> set[str]:
    names = lm_eval_private_names()
    assert {"_rank", "_world_size", "_parser", "_instances", "_yaml_loader", "_cli"} <= names
    return names


def test_only_harness_touches_lm_eval_internals(lm_private):
    assert violations(REPO, lm_private) == []


def test_the_check_finds_what_it_forbids(tmp_path, lm_private):
    """A module importing a non-public lm-eval name, or using one of its underscore attributes, is reported."""
    bad = tmp_path / "classit_tasks" / "scoring" / "bad.py"
    bad.parent.mkdir(parents=True)
    (tmp_path / "classit_train").mkdir()
    bad.write_text("import lm_eval.tasks\nfrom lm_eval._cli.run import Run\nfrom lm_eval.utils import make_table\n"
                   "from lm_eval.models.huggingface import HFLM\n\n"
                   "def f(lm, parser):\n    lm._rank = 1\n    return parser._parser, getattr(lm, '_world_size', 1)\n")
    found = violations(tmp_path, lm_private)
    assert [re.sub(r" \(.*", "", line) for line in found] == [
        "classit_tasks/scoring/bad.py:1: import lm_eval.tasks",
        "classit_tasks/scoring/bad.py:2: from lm_eval._cli.run import Run",
        "classit_tasks/scoring/bad.py:3: from lm_eval.utils import make_table",
        "classit_tasks/scoring/bad.py:7: lm-eval private name ._rank",
        "classit_tasks/scoring/bad.py:8: lm-eval private name ._parser",
        "classit_tasks/scoring/bad.py:8: lm-eval private name '_world_size' via getattr",
    ]


def test_every_lm_eval_use_in_harness_names_the_version():
    lines = (REPO / HARNESS).read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
               and any((getattr(n, "module", None) or a.name).startswith("lm_eval") for a in n.names)]
    assert imports
    unmarked = [n.lineno for n in imports if f"lm-eval {harness.LM_EVAL_VERSION}" not in lines[n.lineno - 1]]
    assert unmarked == [], f"harness.py lines without an 'lm-eval {harness.LM_EVAL_VERSION}:' comment: {unmarked}"
    from importlib.metadata import version

    assert version("lm_eval") == harness.LM_EVAL_VERSION  # an upgrade means re-checking every use in harness.py
