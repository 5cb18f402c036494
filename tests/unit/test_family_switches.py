"""No module outside ``classit_tasks/tasks/`` decides by a family's name: what differs between families (headline
metric, display scale, chance, ability rows, leaderboard rule, submission form) is behaviour of the ``Family``
records (``classit_tasks.tasks.family``), read through ``classit_tasks.tasks.families``.

A source scan with ``ast`` (nothing is imported): a comparison (``==``, ``!=``, ``in``, ``not in``), a
``startswith`` / ``endswith`` / ``removeprefix`` test or a ``family(...)`` / ``families()[...]`` look-up against a
string literal that is a family name, a leaderboard key, or a task-name prefix ``classit_<family>`` fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "classit_tasks"
ROOM = PACKAGE / "tasks"  # the family modules and their registry: the one place that may
# The family modules' names and leaderboard keys, spelled out so the scan needs no import (a unit test below checks
# them against the registry).
FAMILY_NAMES = ("blimp", "supplement", "ewok", "entity_tracking", "comps", "glue", "reading", "wug", "aoa")
LEADERBOARD_KEYS = ("blimp", "blimp_supplement", "ewok", "entity_tracking", "comps", "glue", "reading", "wug_adj",
                    "wug_past", "aoa")
NAMES = frozenset(FAMILY_NAMES + LEADERBOARD_KEYS)
PREFIX_TESTS = ("startswith", "endswith", "removeprefix", "removesuffix")


def _strings(node: ast.AST) -> list[str]:
    """The string literals of a node: a constant, or a tuple / list / set of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for elt in node.elts for s in _strings(elt)]
    return []


def _is_family_name(text: str) -> bool:
    return text in NAMES or any(text.startswith(f"classit_{name}") for name in FAMILY_NAMES)


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def switches(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every test of a value against a family name in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        candidates: list[ast.AST] = []
        if isinstance(node, ast.Compare):
            candidates = [node.left, *node.comparators]
        elif isinstance(node, ast.Call) and _called(node) in (*PREFIX_TESTS, "family"):
            candidates = list(node.args)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call) and _called(node.value) == "families":
            candidates = [node.slice]
        found += [(node.lineno, s) for c in candidates for s in _strings(c) if _is_family_name(s)]
    return found


def test_no_module_outside_the_family_modules_branches_on_a_family_name():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ROOM in path.parents:
            continue
        for line, literal in switches(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(REPO)}:{line}: {literal!r}")
    assert not offenders, ("decides by a family's name; give the Family record (classit_tasks/tasks/family.py) the "
                           "behaviour instead:\n" + "\n".join(offenders))


def test_the_scan_sees_each_kind_of_switch():
    source = '''
if family == "blimp": pass
if name in ("wug_adj", "wug_past"): pass
if "entity_tracking" in task: pass
if task.startswith("glue"): pass
if task.startswith(("x", "classit_reading_")): pass
level = F.family("entity_tracking").chance
title = F.families()["comps"].ability
if metric == "acc" or key in allow: pass
'''
    assert [literal for _, literal in switches(source)] == [
        "blimp", "wug_adj", "wug_past", "entity_tracking", "glue", "classit_reading_", "entity_tracking", "comps"]


def test_the_scanned_names_are_the_registry_s():
    from classit_tasks.tasks import families

    assert set(FAMILY_NAMES) == set(families.MODULES)
    assert set(LEADERBOARD_KEYS) == set(families.leaderboard_tasks())
