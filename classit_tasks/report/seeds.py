"""Several seeds per arm: runs of one configuration with different seeds merged into one seed-averaged run.

Each item's value is its mean over the seeds (per-item accuracy becomes the share of seeds that got it right), and
each reported number the mean over the seeds; the paired tests of ``compare`` then treat the seed-averaged
per-item scores as they treat the seed-averaged samples the fine-tuning wrapper writes for ``--seeds 1,2,3``.
Metrics whose per-item values are not numbers to average (F1 / MCC as (gold, pred) pairs, correlations) are
dropped from the merged samples (compare them with ``--metric acc`` or one run per arm).
"""

from __future__ import annotations

import numpy as np

from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.load import Run, TaskItems


def _leaves(run: Run) -> set[str]:
    return {leaf for root in run.roots() for leaf in run.leaves(root)}


def merge_seed_runs(runs: list[Run], flag: str) -> Run:
    """One run whose items and results are the means over ``runs`` (the same items of the same tasks)."""
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    for other in runs[1:]:
        if _leaves(other) != _leaves(first):
            differ = sorted(_leaves(other) ^ _leaves(first))
            raise ReportInputError(f"{flag}: the seed runs {first.folder} and {other.folder} cover different tasks "
                                   f"(e.g. {differ[0]}); give runs of the same tasks")
    items: dict[str, TaskItems] = {}
    for task, base in first.items.items():
        values: dict[str, np.ndarray] = {}
        for metric, column in base.values.items():
            if column.ndim != 1 or column.dtype == object:
                continue  # (gold, pred) pairs and other non-averageable per-item values
            stack = []
            for other in runs:
                theirs = other.items.get(task)
                if theirs is None or set(theirs.keys) != set(base.keys):
                    raise ReportInputError(
                        f"{flag}: {other.folder} scored other items of {task} than {first.folder} (another data "
                        "version or --limit?); seed runs of one arm must score the same items")
                if metric not in theirs.values:
                    break
                where = {k: i for i, k in enumerate(theirs.keys)}
                stack.append(theirs.values[metric][[where[k] for k in base.keys]].astype(float))
            else:
                values[metric] = np.mean(stack, axis=0)
        items[task] = TaskItems(task, base.path, base.keys, values, base.meta, base.targets, base.n_options)
    results: dict[str, dict] = {}
    for name, entry in first.results.items():
        merged = dict(entry)
        for key, value in entry.items():
            numbers = [r.results.get(name, {}).get(key) for r in runs]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
                merged[key] = float(np.mean(numbers))
        merged["seeds,none"] = len(runs)
        results[name] = merged
    label = f"{first.label} (mean of {len(runs)} seed runs)"
    return Run(label=label, folder=first.folder, results_files=[f for r in runs for f in r.results_files],
               results=results, group_subtasks=dict(first.group_subtasks), configs=dict(first.configs), items=items,
               model_path=first.model_path, position=first.position)

