"""Paired comparison of two runs on the same items, and the regression gate built on it.

For every reported task / group: the difference candidate - baseline of the headline metric, its paired bootstrap
CI (same resampled items for both runs, stratified by leaf task) and a two-sided p-value: the exact McNemar test
for a leaf task with 0/1 per-item scores in both runs, a paired permutation (sign-flip) test for other mean scores
(groups, seed-averaged accuracies), the paired-bootstrap p-value for correlations, ΔR², F1 and MCC. A task
*regresses* when the candidate is worse by more than ``max_drop`` display points AND the Holm-adjusted p-value
over the gated tasks is below ``alpha`` (family-wise error <= alpha).
Runs on different items (another data version, another ``--limit``) are refused, never compared.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass, field

import numpy as np

from classit_tasks.report import stats
from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.load import Run, TaskItems
from classit_tasks.report.scores import Settings, aggregation_for, headline_metrics, item_metric
from classit_tasks.tasks import families as F


@dataclass
class Comparison:
    """One task / group of a paired comparison (values on the display scale: accuracy points, ρ×100, ...)."""

    task: str
    metric: str
    subtasks: int
    n: int
    baseline: float
    candidate: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    depth: int = 0
    gated: bool = False
    p_holm: float | None = None
    higher_is_better: bool = True
    regression: bool = False
    details: dict = field(default_factory=dict)


# Rows for tasks with NaN/inf item scores (``compare --allow_nan``): shown, and never passing the gate.
NONFINITE_TEST = "non-finite scores"  # the test name of such rows; the gate fails them


def nonfinite_row(name: str, metric: str, leaves: list[str], depth: int, base: Run, cand: Run) -> Comparison:
    """A row without values for a task / group one of whose leaves has non-finite item scores in either run."""
    nan = float("nan")
    counts = {side: sum(len(run.items[t].nonfinite) for t in leaves) for side, run in (("baseline", base),
                                                                                      ("candidate", cand))}
    return Comparison(
        task=name, metric=metric, subtasks=len(leaves), n=sum(base.items[t].n for t in leaves),
        baseline=nan, candidate=nan, diff=nan, ci_low=nan, ci_high=nan, p_value=nan,
        test=NONFINITE_TEST, depth=depth,
        details={f"{side}_nonfinite_items": n for side, n in counts.items()},
    )


def _leaves_of(run: Run) -> list[str]:
    return sorted({leaf for root in run.roots() for leaf in run.leaves(root)})


def check_same_items(base: Run, cand: Run, tasks: list[str] | None = None) -> None:
    """Refuse (ReportInputError) unless both runs scored the same items of the same leaf tasks."""
    b_leaves, c_leaves = set(_leaves_of(base)), set(_leaves_of(cand))
    if tasks is not None:
        b_leaves &= set(tasks)
        c_leaves &= set(tasks)
    if b_leaves != c_leaves:
        only_b, only_c = sorted(b_leaves - c_leaves), sorted(c_leaves - b_leaves)
        parts = []
        if only_b:
            parts.append(f"{len(only_b)} task(s) only in the baseline (e.g. {only_b[0]})")
        if only_c:
            parts.append(f"{len(only_c)} task(s) only in the candidate (e.g. {only_c[0]})")
        what = "; ".join(parts)
        raise ReportInputError(f"refusing to compare runs of different task sets: {what}; restrict with --tasks")
    for task in sorted(b_leaves):
        bi, ci = base.items.get(task), cand.items.get(task)
        for run, items in ((base, bi), (cand, ci)):
            if items is None:
                raise ReportInputError(
                    f"{run.folder}: no samples logged for {task}; re-run the evaluation with --log_samples")
        if bi.keys != ci.keys:
            if set(bi.keys) == set(ci.keys):
                continue  # same items in another order: aligned by key below
            differ = len(set(bi.keys) ^ set(ci.keys))
            raise ReportInputError(
                f"refusing to compare {task}: baseline ({bi.n} items, {bi.path.name}) and candidate ({ci.n} items, "
                f"{ci.path.name}) were evaluated on different item sets ({differ} document hashes differ: another "
                "data version or --limit?)"
            )


def _aligned(base: TaskItems, cand: TaskItems, metric: str) -> tuple[np.ndarray, np.ndarray]:
    b, c = base.values[metric], cand.values[metric]
    if base.keys != cand.keys:
        where = {k: i for i, k in enumerate(cand.keys)}
        c = c[[where[k] for k in base.keys]]
    return b, c


@dataclass
class _LeafResult:
    base: float
    cand: float
    diff_reps: np.ndarray
    null: np.ndarray | None
    mcnemar: stats.McNemar | None
    n: int
    mean_type: bool  # the task score is a mean of per-item values (accuracy-like)


def _leaf(base: Run, cand: Run, task: str, metric: str, settings: Settings) -> tuple[_LeafResult, object]:
    """Paired bootstrap (and exact McNemar for 0/1 scores) of one leaf; returns the result and a function that
    computes the permutation null of the difference on demand."""
    per_item = item_metric(base, task, metric)
    bi, ci = base.items[task], cand.items[task]
    if per_item not in bi.values or per_item not in ci.values:
        raise ReportInputError(f"{bi.path}: field '{per_item}' missing from the samples of {task}")
    b, c = _aligned(bi, ci, per_item)
    agg = aggregation_for(base, task, per_item, b)
    b, c = agg.arrays(b), agg.arrays(c)
    iters = settings.iters_for(agg)
    b_reps, c_reps = stats.paired_bootstrap(agg.batch, b, c, iters, stats.rng_for(settings.seed, task))
    mcnemar = stats.mcnemar_exact(b, c) if agg.name == "mean" and stats.is_binary(b) and stats.is_binary(c) else None

    def null() -> np.ndarray:
        rng = stats.rng_for(settings.seed + 1, task)
        if agg.name == "mean" and b.ndim == 1 and np.isfinite(b).all() and np.isfinite(c).all():
            return stats.sign_flip_null(c - b, iters, rng)
        return stats.permutation_null(agg.batch, b, c, iters, rng)

    mean_type = agg.name in ("mean", "mean_present")
    return _LeafResult(agg.point(b), agg.point(c), c_reps - b_reps, None, mcnemar, bi.n, mean_type), null


class _Pair:
    """Paired comparison of two runs, leaf by leaf (cached), and rows over sets of leaves."""

    def __init__(self, base: Run, cand: Run, settings: Settings):
        self.base, self.cand, self.settings = base, cand, settings
        self.cache: dict[tuple[str, str], tuple[_LeafResult, object]] = {}

    def leaf(self, task: str, metric: str, need_null: bool) -> _LeafResult:
        key = (task, metric)
        if key not in self.cache:
            self.cache[key] = _leaf(self.base, self.cand, task, metric, self.settings)
        result, null = self.cache[key]
        if need_null and result.null is None:
            result.null = null()
        return result

    def has_values(self, task: str, metric: str) -> bool:
        base, cand = self.base, self.cand
        per_item = item_metric(base, task, metric)
        in_base = per_item in base.items[task].values
        in_cand = per_item in cand.items[task].values
        if in_base != in_cand:
            missing = cand.items[task] if in_base else base.items[task]
            raise ReportInputError(f"{missing.path}: field '{per_item}' missing from the samples of {task}")
        return in_base

    def row(self, name: str, leaves: list[str], metric: str, depth: int) -> Comparison:
        base, settings = self.base, self.settings
        group = leaves != [name]
        if any(run.items[t].nonfinite for t in leaves for run in (base, self.cand)):  # --allow_nan: never passes
            return nonfinite_row(name, metric, leaves, depth, base, self.cand)
        parts = [self.leaf(t, metric, False) for t in leaves]
        mean_type = all(p.mean_type for p in parts)
        if mean_type and (group or parts[0].mcnemar is None):
            parts = [self.leaf(t, metric, True) for t in leaves]
        scale = F.display_scale(metric)
        b_val = float(np.mean([p.base for p in parts]))
        c_val = float(np.mean([p.cand for p in parts]))
        size = min(len(p.diff_reps) for p in parts)
        diff_reps = np.mean([p.diff_reps[:size] for p in parts], axis=0)
        low, high = stats.percentile_ci(diff_reps, settings.level)
        details = {}
        if not group and parts[0].mcnemar is not None:
            m = parts[0].mcnemar
            p_value, test = m.p_value, "exact McNemar"
            details = {"baseline_only_correct": m.baseline_only, "candidate_only_correct": m.candidate_only}
        elif mean_type:
            size = min(len(p.null) for p in parts)
            null = np.mean([p.null[:size] for p in parts], axis=0)
            p_value, test = stats.permutation_p(c_val - b_val, null), f"permutation ({size})"
        else:
            p_value, test = stats.bootstrap_p(diff_reps), f"paired bootstrap ({len(diff_reps)})"
        higher = (base.configs.get(leaves[0]) or {}).get("metric_list")
        higher_is_better = True
        for item in higher or []:
            if item.get("metric") == item_metric(base, leaves[0], metric):
                higher_is_better = bool(item.get("higher_is_better", True))
        return Comparison(
            task=name, metric=metric, subtasks=len(leaves), n=sum(p.n for p in parts),
            baseline=b_val * scale, candidate=c_val * scale, diff=(c_val - b_val) * scale,
            ci_low=low * scale, ci_high=high * scale, p_value=p_value, test=test, depth=depth,
            higher_is_better=higher_is_better, details=details,
        )


def compare_leaf_sets(base: Run, cand: Run, sets: list[tuple[str, list[str], str]],
                      settings: Settings) -> list[Comparison]:
    """Paired comparison rows of named sets of leaf tasks, e.g. abilities: (name, leaves, metric) each."""
    leaves = sorted({t for _, ts, _ in sets for t in ts})
    check_same_items(base, cand, leaves)
    pair = _Pair(base, cand, settings)
    rows = []
    for name, ts, metric in sets:
        scored = [t for t in ts if t in base.items and pair.has_values(t, metric)]
        if scored:
            rows.append(pair.row(name, scored, metric, 0))
    return rows


def compare_runs(
    base: Run,
    cand: Run,
    settings: Settings,
    tasks: list[str] | None = None,
    detail: bool = False,
) -> list[Comparison]:
    """Paired comparison rows: top-level tasks / groups (and every subgroup and leaf with ``detail``)."""
    selected = None
    if tasks:
        selected = [t for t in _leaves_of(base) if any(fnmatch.fnmatch(t, pat) for pat in tasks)]
        selected += [t for t in _leaves_of(cand) if any(fnmatch.fnmatch(t, pat) for pat in tasks)]
        if not selected:
            raise ReportInputError(f"--tasks {' '.join(tasks)}: matches no task of the baseline or the candidate")
        selected = sorted(set(selected))
    check_same_items(base, cand, selected)
    pair = _Pair(base, cand, settings)
    rows: list[Comparison] = []

    def visit(name: str, depth: int) -> None:
        leaves = [t for t in base.leaves(name) if selected is None or t in selected]
        if not leaves:
            return
        children = base.group_subtasks.get(name)
        if children is not None and not base.metrics_of(name):
            for child in children:
                visit(child, depth)
            return
        for metric in headline_metrics(base, name, settings.metric):
            scored = [t for t in leaves if pair.has_values(t, metric)]
            if scored:  # leaves neither run has per-item values for (a task not evaluated) are left out
                rows.append(pair.row(name, scored, metric, depth))
        if detail and children:
            for child in children:
                visit(child, depth + 1)

    for root in base.roots():
        visit(root, 0)
    return rows


def gate(rows: list[Comparison], max_drop: float, alpha: float, gate_all: bool = False) -> list[Comparison]:
    """Mark regressions: a drop larger than ``max_drop`` points with Holm-adjusted p < ``alpha``.

    Gated rows are the top-level tasks / groups (depth 0), or every row with ``gate_all``. Returns the regressions.
    """
    gated = [r for r in rows if gate_all or r.depth == 0]
    adjusted = stats.holm([r.p_value for r in gated])
    for row, p in zip(gated, adjusted):
        row.gated = True
        row.p_holm = p
        drop = -row.diff if row.higher_is_better else row.diff
        row.regression = bool(drop > max_drop and np.isfinite(p) and p < alpha) or row.test == NONFINITE_TEST
    return [r for r in gated if r.regression]


def to_json(base: Run, cand: Run, rows: list[Comparison], settings: Settings, max_drop: float, alpha: float,
            status: int) -> dict:
    def clean(value):
        if isinstance(value, float) and not np.isfinite(value):
            return None
        return value

    return {
        "baseline": {"label": base.label, "files": [str(p) for p in base.results_files]},
        "candidate": {"label": cand.label, "files": [str(p) for p in cand.results_files]},
        "alpha": alpha,
        "max_drop": max_drop,
        "ci_level": settings.level,
        "iterations": settings.iters,
        "seed": settings.seed,
        "scale": "display points: accuracy / F1 / MCC / Spearman rho x100; counts and reading ΔR² as reported",
        "tasks": [{k: clean(v) for k, v in asdict(r).items()} for r in rows],
        "regressions": [r.task for r in rows if r.regression],
        "exit_status": status,
    }
