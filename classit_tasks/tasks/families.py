"""The registry of classit's task families: which family a leaf task belongs to, its chance level, the official
item counts of every data folder, the leaderboard's task table, the headline metric and display scale of a metric and
the ability rows of a leaf task, all read from the family modules (``FAMILY``).

Family modules are imported on first use (the reading family needs pandas and lm-eval), so importing this module is
cheap. A name no family lists (a task of a newer results file, a synthetic test run) falls back to a guess from its
name (``guess_family``).
"""

from __future__ import annotations

import functools
import importlib
import re

from classit_tasks.tasks.family import OTHER, Family, LeaderboardTask

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

# The headline metric of a task or group: the first of these it reports ("score" is the fine-tuning wrapper's task
# metric: accuracy, F1 for MRPC/QQP). The report's tables fall back to the first metric a task reports; the
# leaderboard summary shows only the leaderboard's own scores (SUMMARY_METRICS: not MCC, which the GLUE tasks report
# beside accuracy but no leaderboard task is scored by) and leaves out a task that has none of them.
HEADLINE_METRICS = ("score", "acc", "spearman", "eye_tracking", "self_paced_reading", "f1", "mcc")
SUMMARY_METRICS = tuple(m for m in HEADLINE_METRICS if m != "mcc")
NOT_HEADLINES = ("ties", "sample_count")  # never a report's headline while a task reports anything else
ACCURACY_METRICS = ("acc", "acc_ties_half", "acc_norm", "score")  # chance: a guesser's accuracy
CORRELATIONS = ("spearman", "mcc")  # chance 0, shown x100; so is every Pearson r ("r_<measure>")
CORRELATION_PREFIXES = ("r_",)
# Shown as computed though no family reports them: the report's own margin (nats) and ΔR² names of older results.
OTHER_PERCENT_METRICS = ("margin",)
OTHER_PERCENT_PREFIXES = ("delta_r2", "dr2")


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


def leaderboard_tasks() -> dict[str, LeaderboardTask]:
    """The leaderboard's tasks by key (label, group, result names (full set first), metric, rule); NLP tasks first."""
    entries = {key: entry for fam in families().values() for key, entry in fam.leaderboard.items()}
    return {key: entry for key, entry in sorted(entries.items(), key=lambda kv: kv[1].group != "nlp")}


# ------------------------------------------------------------------------------------------------ metric display
@functools.cache
def _shown_as_reported() -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """(metric names, name prefixes) shown as reported, and the metrics that are no score (no chance level)."""
    fams = families().values()
    names = frozenset(OTHER_PERCENT_METRICS).union(*(f.percent_metrics + f.raw_metrics for f in fams))
    prefixes = tuple(dict.fromkeys(p for f in fams for p in f.percent_prefixes)) + OTHER_PERCENT_PREFIXES
    return names, prefixes, frozenset().union(*(f.raw_metrics for f in fams))


def display_scale(metric: str) -> float:
    """Factor from a metric's reported value to the value shown: 100 (accuracy in points, ρ×100), 1 for a metric
    already on its display scale (ΔR² computed as 100·ΔR²/(1−R²_base)) or that is no score (counts, nats, flags)."""
    names, prefixes, _ = _shown_as_reported()
    return 1.0 if metric in names or metric.startswith(prefixes) else 100.0


def companions(metric: str) -> list[str]:
    """Metrics reported next to a headline one (reading: self-paced reading next to eye tracking)."""
    return [m for fam in families().values() for m in fam.companions.get(metric, ())]


def headline_metric(available: list[str]) -> str | None:
    """The report's headline metric among those a task reports: the first of HEADLINE_METRICS, else the first."""
    for metric in HEADLINE_METRICS:
        if metric in available:
            return metric
    return available[0] if available else None


def chance_level(task: str, metric: str, n_options: int | None = None, majority: float | None = None) -> float | None:
    """The score of a random / trivial model on the metric's raw scale (before ×100), or None if unknown.

    Two-way choices (BLiMP, supplement, EWoK, WUG accuracy) 0.5; k-way choices 1/k (entity tracking: 5 options);
    correlations and ΔR² 0; GLUE accuracy: the majority class share of the evaluated items when known. Each family's
    level is its module's ``FAMILY.chance``; a task no family lists is judged by its name.
    """
    if metric in _shown_as_reported()[2]:
        return None
    if metric in CORRELATIONS or metric.startswith(CORRELATION_PREFIXES) or display_scale(metric) == 1.0:
        return 0.0
    listed = family_of(task)
    judged = listed if listed is not None else families().get(guess_family(task))
    if (judged is not None and judged.majority_chance) or task.startswith("glue"):  # also lm-eval's own GLUE tasks
        return majority if metric in ("acc", "score") else None
    if metric in ACCURACY_METRICS:
        if n_options:
            return 1.0 / n_options
        if listed is not None and listed.chance is not None:
            return listed.chance
        return family("entity_tracking").chance if "entity_tracking" in task else 0.5
    return None


# --------------------------------------------------------------------------------------------- ability breakdown
def abilities_of(task: str, meta: dict, alias: str) -> list[tuple[str, str]]:
    """(ability title, row label) of each row of the report's ability breakdown a leaf task counts in: its
    family's rule (``Family.abilities``); none for a diagnostic task that pools other tasks' items (EWoK breakdown)."""
    if "breakdown" in task:
        return []
    found = families().get(family_name(task))
    return found.abilities(task, meta, alias) if found is not None else [(OTHER, alias)]


def margin_abilities() -> frozenset[str]:
    """Ability titles whose growth report adds margin curves (the choice tasks' families)."""
    return frozenset(t for fam in families().values() for t in fam.margin_abilities)


def short_name(name: str) -> str:
    """A task or group name as a figure labels it: without the family's group prefix or the ``classit_`` prefix."""
    prefixes = [p for fam in families().values() for p in fam.short_prefixes]
    for prefix in (*prefixes, "classit_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name
