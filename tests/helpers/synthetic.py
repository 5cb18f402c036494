"""Synthetic lm-eval-shaped runs with known per-item outcomes: for tests, docs and checking the statistics.

``accuracy_pair`` draws paired 0/1 outcomes of two models on the same items (item difficulty shared, so the runs
are correlated as real checkpoints are) with a planted accuracy difference; ``write_run`` writes a results JSON and
samples JSONL files exactly where and how lm-eval writes them (``DIR/<model>/results_<time>.json``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from classit_tasks.artifacts.results import results_path, samples_path
from classit_tasks.report import metrics as M

ACC_METRICS = [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}]


def accuracy_pair(
    rng: np.random.Generator, n: int, accuracy: float = 0.7, delta: float = 0.0, spread: float = 4.0
) -> tuple[np.ndarray, np.ndarray]:
    """Paired 0/1 outcomes: item i is solved with probability p_i ~ Beta around ``accuracy`` by the baseline and
    with p_i shifted by ``delta`` (candidate accuracy ~ accuracy + delta) by the candidate, independently."""
    a, b = accuracy * spread, (1 - accuracy) * spread
    p = rng.beta(a, b, size=n)
    base = (rng.random(n) < p).astype(float)
    cand = (rng.random(n) < np.clip(p + delta, 0, 1)).astype(float)
    return base, cand


def doc(task: str, i: int, **extra) -> dict:
    """A small synthetic document (no item text): identity and metadata only."""
    return {"task": task, "item": i, **extra}


def write_run(
    out_dir: str | Path,
    model_path: str,
    tasks: dict[str, dict[str, list]],
    groups: dict[str, list[str]] | None = None,
    docs: dict[str, list[dict]] | None = None,
    metric_list: dict[str, list[dict]] | None = None,
    when: datetime | None = None,
    log_samples: bool = True,
    n_options: dict[str, int] | None = None,
) -> Path:
    """Write ``out_dir/<sanitized model>/results_<time>.json`` (+ ``samples_<task>_<time>.jsonl`` per leaf task).

    ``tasks[task][metric]`` are per-item values; groups get the unweighted mean of their leaves' scores.
    """
    groups = groups or {}
    docs = docs or {}
    metric_list = metric_list or {}
    stamp = (when or datetime.now()).isoformat().replace(":", "-")
    target = results_path(out_dir, model_path.replace("/", "__"), stamp)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    results, configs = {}, {}
    for task, per_metric in tasks.items():
        entry = {"alias": task, "sample_len": len(next(iter(per_metric.values())))}
        for metric, values in per_metric.items():
            agg = M.REGISTRY.get(metric, M.MEAN)
            entry[f"{metric},none"] = agg.point(np.asarray(values, dtype=float))
            entry[f"{metric}_stderr,none"] = "N/A"
        results[task] = entry
        configs[task] = {"task": task, "output_type": "multiple_choice",
                         "metric_list": metric_list.get(task, ACC_METRICS)}

    def leaves(name: str) -> list[str]:
        return [leaf for child in groups[name] for leaf in leaves(child)] if name in groups else [name]

    for group in groups:
        entry = {"alias": group}
        metrics = {m for leaf in leaves(group) for m in tasks[leaf]}
        for metric in sorted(metrics):
            entry[f"{metric},none"] = float(np.mean([results[t][f"{metric},none"] for t in leaves(group)]))
        results = {group: entry, **results}
    data = {"results": results, "groups": {g: results[g] for g in groups}, "group_subtasks": groups,
            "configs": configs, "config": {"model": "classit-hf", "model_args": f"pretrained={model_path}"},
            "model_name": model_path, "date": stamp}
    target.write_text(json.dumps(data, indent=2), encoding="utf-8")
    if log_samples:
        for task, per_metric in tasks.items():
            n = len(next(iter(per_metric.values())))
            with samples_path(folder, task, stamp).open("w", encoding="utf-8") as handle:
                for i in range(n):
                    d = docs.get(task, [doc(task, j) for j in range(n)])[i]
                    row = {"doc_id": i, "doc": d, "target": "0", "filter": "none", "metrics": list(per_metric),
                           "doc_hash": hashlib.sha256(json.dumps(d, indent=2).encode()).hexdigest(),
                           "arguments": {f"gen_args_{k}": {"arg_0": "", "arg_1": f"option {k}"}
                                         for k in range((n_options or {}).get(task, 2))}}
                    for metric, values in per_metric.items():
                        v = values[i]
                        row[metric] = v.tolist() if isinstance(v, np.ndarray) else (
                            float(v) if isinstance(v, (int, float, np.floating, np.integer)) else v)
                    handle.write(json.dumps(row) + "\n")
    return target


def later(seconds: int = 1) -> datetime:
    return datetime.now() + timedelta(seconds=seconds)


def make_run(label: str, tasks: dict[str, dict[str, np.ndarray]], groups: dict[str, list[str]] | None = None,
             metric_list: dict[str, list[dict]] | None = None):
    """The in-memory ``Run`` that ``write_run`` + ``load_runs`` would give (fast, for simulations over seeds)."""
    from classit_tasks.report.load import Run, TaskItems

    groups = groups or {}
    run = Run(label=label, folder=Path(label), results_files=[], results={}, group_subtasks=dict(groups), configs={})
    for group, children in groups.items():
        run.results[group] = {"alias": group, "acc,none": float("nan")}
    for task, per_metric in tasks.items():
        n = len(next(iter(per_metric.values())))
        run.results[task] = {"alias": task, "sample_len": n,
                             **{f"{m},none": M.REGISTRY.get(m, M.MEAN).point(np.asarray(v, dtype=float))
                                for m, v in per_metric.items()}}
        run.configs[task] = {"task": task, "output_type": "multiple_choice",
                             "metric_list": (metric_list or {}).get(task, ACC_METRICS)}
        run.items[task] = TaskItems(task, Path(f"samples_{task}.jsonl"), [f"{task}:{i}" for i in range(n)],
                                    {m: np.asarray(v, dtype=float) for m, v in per_metric.items()},
                                    [{} for _ in range(n)], ["0"] * n, 2)
    return run
