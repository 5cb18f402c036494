"""The registry of classit's task families: which family a leaf task belongs to, its chance level, the official
item counts of every data folder, the leaderboard's task table, all read from the family modules (``FAMILY``).

Family modules are imported on first use (the reading family needs pandas and lm-eval), so importing this module is
cheap. A name no family lists (a task of a newer results file, a synthetic test run) falls back to a guess from its
name (``guess_family``).
"""

from __future__ import annotations

import functools
import importlib
import re

from classit_tasks.tasks.family import Family, LeaderboardEntry

# family name -> module; the order is the leaderboard's (NLP tasks, then human-likeness) and the data check's
MODULES = {
    "blimp": "classit_tasks.tasks.blimp",
    "supplement": "classit_tasks.tasks.supplement",
    "ewok": "classit_tasks.tasks.ewok",
    "entity_tracking": "classit_tasks.tasks.entity_tracking",
    "comps": "classit_tasks.tasks.comps",
    "glue": "classit_tasks.tasks.glue",
    "reading": "classit_tasks.tasks.reading",
    "wug": "classit_tasks.tasks.wug",
    "aoa": "classit_tasks.tasks.aoa",
}
# The zero-shot suites (task_yamls/classit_zero_shot*.yaml): containers of the family groups, with no score.
SUITES = ("classit_zero_shot", "classit_zero_shot_fast")
# Families whose facts the data check reads (no pandas / lm-eval import needed).
DATA_FAMILIES = ("blimp", "supplement", "ewok", "entity_tracking", "wug", "aoa", "comps")


def family(name: str) -> Family:
    """The facts of one family (imports its module)."""
    return importlib.import_module(MODULES[name]).FAMILY


@functools.cache
def families() -> dict[str, Family]:
    return {name: family(name) for name in MODULES}


@functools.cache
def _by_leaf() -> dict[str, Family]:
    return {leaf: fam for fam in families().values() for leaf in fam.leaves}


def guess_family(task: str) -> str:
    """Family of a task name no family lists, from the name alone (``..._blimp_...`` -> blimp); "other" if none."""
    for name in ("blimp_supplement", "supplement", "blimp", "ewok", "entity_tracking", "wug", "reading", "glue"):
        if re.search(rf"(^|_){name}(_|$)", task):
            return "supplement" if name == "blimp_supplement" else name
    return "other"


def family_of(task: str) -> Family | None:
    """The family that lists ``task`` as a leaf task, else None."""
    return _by_leaf().get(task)


def family_name(task: str) -> str:
    """Family name of a leaf task: the listing family's, else the guess from the name."""
    found = family_of(task)
    return found.name if found is not None else guess_family(task)


def expected_counts(names=tuple(MODULES)) -> dict[str, dict[str, int]]:
    """data folder -> {file stem: official item count}, over the given families (all by default)."""
    return {folder: dict(counts) for name in names for folder, counts in family(name).expected_counts.items()}


def leaderboard_tasks() -> dict[str, LeaderboardEntry]:
    """The leaderboard's tasks: key -> (label, group, result names (full set first), metric); NLP tasks first."""
    entries = {key: entry for fam in families().values() for key, entry in fam.leaderboard.items()}
    return {key: entry for key, entry in sorted(entries.items(), key=lambda kv: kv[1][1] != "nlp")}


def percent_metrics() -> set[str]:
    """Metrics the tasks already report x100 (reading's ΔR²)."""
    return {m for fam in families().values() for m in fam.percent_metrics}
