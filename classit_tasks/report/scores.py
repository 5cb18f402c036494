"""Scores with bootstrap confidence intervals for the tasks, groups and abilities of one run.

A leaf task's score is its aggregation over items; a group's (or an ability's) score is the unweighted mean over
its leaf tasks, the BabyLM convention and what the classit groups compute. CIs are bootstrap percentile intervals
over items, stratified by leaf task (``stats``). Replicates are seeded per (seed, task name), so the same task is
resampled identically in every run: the difference of two runs' replicates is a paired bootstrap.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from classit_tasks.report import metrics as M
from classit_tasks.report import stats
from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.load import Run, TaskItems
from classit_tasks.tasks import families as F


@dataclass
class Settings:
    iters: int = 2000  # bootstrap / permutation iterations for vectorised aggregations
    slow_iters: int = 1000  # for aggregations that refit a model per resample (reading ΔR²) or run Python code
    level: float = 0.95
    seed: int = 0
    metric: str | None = None  # preferred headline metric (e.g. acc_ties_half); else the task's primary metric
    allow_nan: bool = False  # report tasks with NaN/inf item scores (no value, no CI) instead of refusing them

    def iters_for(self, agg: M.Aggregation) -> int:
        return min(self.iters, self.slow_iters) if agg.heavy else self.iters


@dataclass
class Score:
    """One row of a report: a task, group or ability of one run (values on the metric's raw scale)."""

    name: str
    metric: str
    leaves: list[str]
    n: int
    value: float
    ci: tuple[float, float] = (float("nan"), float("nan"))
    reported: float | None = None  # lm-eval's own number in the results JSON
    chance: float | None = None
    depth: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def scale(self) -> float:
        return F.display_scale(self.metric)

    def shown(self, value: float) -> float:
        return value * self.scale


# ------------------------------------------------------------------------------------------- aggregation lookup
@functools.lru_cache(maxsize=1)
def _task_manager():
    from classit_tasks import harness, task_dir

    return harness.task_manager(task_dir())


def _yaml_aggregation(task: str, metric: str):
    """The aggregation a classit task's YAML declares for a metric (a name or a resolved ``!function``)."""
    try:
        from classit_tasks import harness

        cfg = harness.task_yaml(_task_manager(), task)
    except Exception:  # noqa: BLE001 - an unreadable YAML just means "unknown"
        return None
    if cfg is None:
        return None
    for item in cfg.get("metric_list") or []:
        if item.get("metric") == metric:
            return item.get("aggregation")
    return None


def _agrees(agg: M.Aggregation, values: np.ndarray, reported) -> bool:
    """Whether a vectorised re-implementation reproduces the task's own full-sample number."""
    if not isinstance(reported, (int, float)):
        return False
    try:
        point = agg.point(agg.arrays(values))
    except (TypeError, ValueError, KeyError, np.linalg.LinAlgError):
        return False
    return bool(np.isclose(point, reported, rtol=1e-6, atol=1e-9))


def aggregation_for(run: Run, task: str, metric: str, values: np.ndarray) -> M.Aggregation:
    """How a task's metric is aggregated over items: the registry, else the task's config / YAML."""
    if metric in M.REGISTRY:
        agg = M.REGISTRY[metric]
        if not agg.verify or _agrees(agg, values, run.results.get(task, {}).get(f"{metric},none")):
            return agg
    declared = None
    for item in (run.configs.get(task) or {}).get("metric_list") or []:
        if item.get("metric") == metric:
            declared = item.get("aggregation")
    if isinstance(declared, str):  # a name, or a !function serialised to its source code by lm-eval
        match = re.match(r"\s*def\s+(\w+)\s*\(", declared)
        name = match.group(1) if match else declared
        if name in M.BY_AGGREGATION_NAME:
            return M.BY_AGGREGATION_NAME[name]
    found = _yaml_aggregation(task, metric)
    if isinstance(found, str) and found in M.BY_AGGREGATION_NAME:
        return M.BY_AGGREGATION_NAME[found]
    if callable(found) and getattr(found, "__name__", "") in M.BY_AGGREGATION_NAME:
        return M.BY_AGGREGATION_NAME[found.__name__]
    if callable(found):
        return M.from_callable(f"{getattr(found, '__module__', '')}.{getattr(found, '__name__', metric)}", found)
    if isinstance(found, str):
        try:
            from classit_tasks import harness

            return M.from_callable(found, harness.aggregation(found))
        except Exception:  # noqa: BLE001
            pass
    if values.dtype != object and values.ndim == 1:
        return M.MEAN
    raise ReportInputError(
        f"{task}: metric '{metric}': unknown aggregation (not in classit_tasks.report.metrics.REGISTRY and no "
        "classit task YAML declares it)"
    )


def item_metric(run: Run, task: str, metric: str) -> str:
    """The per-item metric behind a reported one (the fine-tuning wrapper's "score" is acc or F1 per task)."""
    items = run.items.get(task)
    if metric == "score" and (items is None or "score" not in items.values):
        return (run.configs.get(task) or {}).get("selection_metric", "acc")
    return metric


def available_metrics(run: Run, name: str) -> list[str]:
    available = run.metrics_of(name)
    if not available:  # a group without its own aggregate: use its first leaf's metrics
        leaves = run.leaves(name)
        available = run.metrics_of(leaves[0]) if leaves and leaves[0] != name else []
    return available


def headline_metrics(run: Run, name: str, preferred: str | None = None) -> list[str]:
    """The headline metric and its companions (reading: eye tracking and self-paced reading)."""
    metric = headline_metric(run, name, preferred)
    if metric is None:
        return []
    available = available_metrics(run, name)
    return [metric, *[m for m in F.companions(metric) if m in available]]


def headline_metric(run: Run, name: str, preferred: str | None = None) -> str | None:
    """Metric to report for a task or group: the preferred one when reported, else the primary one."""
    available = available_metrics(run, name)
    available = [m for m in available if m not in F.NOT_HEADLINES] or available
    if preferred and preferred in available:
        return preferred
    return F.headline_metric(available)


# ------------------------------------------------------------------------------------------------- replicates
class Scorer:
    """Computes (and caches) per-leaf points and bootstrap replicates for one run."""

    def __init__(self, run: Run, settings: Settings):
        self.run = run
        self.settings = settings
        self._cache: dict[tuple[str, str], tuple[float, np.ndarray | None, int]] = {}

    def leaf(self, task: str, metric: str) -> tuple[float, np.ndarray | None, int]:
        """(point, bootstrap replicates or None without samples, n items) of a leaf task."""
        key = (task, metric)
        if key not in self._cache:
            items: TaskItems | None = self.run.items.get(task)
            per_item = item_metric(self.run, task, metric)
            if items is not None and items.nonfinite:  # --allow_nan: no value and no CI for such a task
                self._cache[key] = (float("nan"), None, items.n)
            elif items is None or per_item not in items.values:
                reported = self.run.results.get(task, {}).get(f"{metric},none")
                n = int(self.run.results.get(task, {}).get("sample_len", 0) or 0)
                point = float(reported) if isinstance(reported, (int, float)) else float("nan")
                self._cache[key] = (point, None, n)
            else:
                agg = aggregation_for(self.run, task, per_item, items.values[per_item])
                values = agg.arrays(items.values[per_item])
                rng = stats.rng_for(self.settings.seed, task)
                reps = stats.bootstrap(agg.batch, values, self.settings.iters_for(agg), rng)
                self._cache[key] = (agg.point(values), reps, items.n)
        return self._cache[key]

    def chance(self, task: str, metric: str) -> float | None:
        items = self.run.items.get(task)
        per_item = item_metric(self.run, task, metric)
        majority = items.majority_share() if items is not None else None
        n_options = items.n_options if items is not None else None
        if (self.run.configs.get(task) or {}).get("output_type") not in (None, "multiple_choice"):
            n_options = None
        return F.chance_level(task, per_item, n_options=n_options, majority=majority)

    def score(self, name: str, leaves: list[str], metric: str, depth: int = 0) -> Score:
        """Macro mean over leaves with a stratified bootstrap CI (the leaf itself when ``leaves == [name]``)."""
        parts = [self.leaf(t, metric) for t in leaves]
        points = np.array([p for p, _, _ in parts])
        value = float(points.mean()) if len(points) else float("nan")
        ci = (float("nan"), float("nan"))
        notes = []
        if parts and all(r is not None for _, r, _ in parts):
            size = min(len(r) for _, r, _ in parts)
            reps = np.mean([r[:size] for _, r, _ in parts], axis=0)
            ci = stats.percentile_ci(reps, self.settings.level)
        elif parts:
            unscored = [t for t, (_, r, _) in zip(leaves, parts) if r is None]
            bad = sum(len(self.run.items[t].nonfinite) for t in unscored if t in self.run.items)
            if bad:
                notes.append(f"{bad} non-finite item score(s): no value, no CI")
            elif all(t in self.run.items for t in unscored):
                notes.append("not evaluated (no per-item values)")
            else:
                notes.append("no samples logged: no CI")
        if not np.isfinite(value):
            ci = (float("nan"), float("nan"))  # never a CI next to a NaN
        reported = self.run.results.get(name, {}).get(f"{metric},none")
        reported = float(reported) if isinstance(reported, (int, float)) else None
        if reported is not None and np.isfinite(value) and abs(reported - value) > 1e-6 * max(1.0, abs(value)):
            notes.append(f"lm-eval reports {reported * F.display_scale(metric):.2f}")
        chances = [self.chance(t, metric) for t in leaves]
        chance = float(np.mean(chances)) if chances and all(c is not None for c in chances) else None
        n = sum(k for _, _, k in parts)
        return Score(name, metric, leaves, n, value, ci, reported, chance, depth, notes)


# ------------------------------------------------------------------------------------------------------ rows
def table_rows(run: Run, settings: Settings, detail: bool = False, scorer: Scorer | None = None) -> list[Score]:
    """Report rows: top-level tasks / groups (and, with ``detail``, every subgroup and leaf beneath them)."""
    scorer = scorer or Scorer(run, settings)
    rows: list[Score] = []

    def visit(name: str, depth: int) -> None:
        metrics = headline_metrics(run, name, settings.metric)
        has_value = bool(run.metrics_of(name))
        children = run.group_subtasks.get(name)
        if children is not None and not has_value:  # e.g. classit_zero_shot: a container without a score
            for child in children:
                visit(child, depth)
            return
        for metric in metrics:
            rows.append(scorer.score(name, run.leaves(name), metric, depth))
        if detail and children:
            for child in children:
                visit(child, depth + 1)

    for root in run.roots():
        visit(root, 0)
    return rows


# --------------------------------------------------------------------------------------------------- abilities
def abilities(run: Run) -> list[tuple[str, str, list[str]]]:
    """(family, ability, leaf tasks): BLiMP fields and phenomena, supplement files, EWoK domains, entity-tracking
    operation counts, WUG / reading tasks and GLUE tasks, from the leaf tasks the run has (each family's rule:
    ``classit_tasks.tasks.families.abilities_of``)."""
    found: dict[tuple[str, str], list[str]] = {}
    leaves = [leaf for root in run.roots() for leaf in run.leaves(root)]
    for task in dict.fromkeys(leaves):
        items = run.items.get(task)
        meta = items.meta[0] if items is not None and items.meta else {}
        alias = str(run.results.get(task, {}).get("alias") or task).strip()
        for title, label in F.abilities_of(task, meta, alias):
            found.setdefault((title, label), []).append(task)
    return [(family, ability, tasks) for (family, ability), tasks in found.items()]


def ability_scores(run: Run, settings: Settings, scorer: Scorer | None = None) -> list[tuple[str, Score]]:
    """(family, score) of every ability of a run (macro mean over its leaf tasks, stratified bootstrap CI)."""
    scorer = scorer or Scorer(run, settings)
    out = []
    for family, ability, leaves in abilities(run):
        metric = headline_metric(run, leaves[0], settings.metric)
        if metric is not None:
            out.append((family, scorer.score(ability, leaves, metric)))
    return out
