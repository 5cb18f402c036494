"""Load lm-eval-shaped results (zero-shot runs and the fine-tuning wrapper) and their per-item samples.

A *run* is one model folder as lm-eval writes it with ``--output_path DIR --log_samples``:
``DIR/<model>/results_<ISO time>.json`` plus ``samples_<task>_<ISO time>.jsonl`` per leaf task. Several results
files in one folder (e.g. a zero-shot run and a fine-tuning run of the same checkpoint) are merged, the newest file
winning per task. Items are identified by lm-eval's ``doc_hash`` (a hash of the document), so two runs can be
matched item by item and runs on different data versions are told apart. Item text is never kept: only a few
short metadata fields (BLiMP field / term / UID, entity-tracking numops) are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from classit_tasks.artifacts.json_files import read_json_lines
from classit_tasks.artifacts.results import filtered_rows, pretrained_of, read_results_file, stamp_of
from classit_tasks.artifacts.results import results_files as _results_files
from classit_tasks.artifacts.results import samples_files
from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.growth import Position, position_for

META_FIELDS = ("field", "linguistics_term", "UID", "numops", "domain")


@dataclass
class TaskItems:
    """Per-item values of one leaf task in one run (one entry per document, lm-eval's doc order)."""

    task: str
    path: Path
    keys: list[str]  # doc_hash (with an occurrence number for duplicate documents), or "doc_id:<n>"
    values: dict[str, np.ndarray]  # metric -> (n,) or (n, k) floats, or (n,) objects
    meta: list[dict[str, Any]]
    targets: list[str]
    n_options: int | None = None
    nonfinite: list[str] = field(default_factory=list)  # "doc_id N: metric=nan" for NaN/inf per-item scores
    margin: np.ndarray | None = None  # per item: log-prob of the gold option minus the best other one (choices)

    @property
    def n(self) -> int:
        return len(self.keys)

    def majority_share(self) -> float | None:
        """Share of the most frequent gold label (the majority-class baseline of a classification task)."""
        if not self.targets:
            return None
        return Counter(self.targets).most_common(1)[0][1] / len(self.targets)


@dataclass
class Run:
    """One evaluated model: merged results entries, task hierarchy and per-item samples."""

    label: str
    folder: Path
    results_files: list[Path]
    results: dict[str, dict]
    group_subtasks: dict[str, list[str]]
    configs: dict[str, dict]
    items: dict[str, TaskItems] = field(default_factory=dict)
    model_path: str | None = None
    position: Position = field(default_factory=Position)
    sweep: dict | None = None  # the checkpoint's entry in a sweep's sweep.json (classit_tasks.sweep)

    def leaves(self, name: str) -> list[str]:
        """Leaf tasks under a group (the task itself when it is a leaf)."""
        children = self.group_subtasks.get(name)
        if children is None:
            return [name]
        return [leaf for child in children for leaf in self.leaves(child)]

    def roots(self) -> list[str]:
        """Top-level entries: groups not nested in another group, and leaf tasks in no group."""
        nested = {c for children in self.group_subtasks.values() for c in children}
        return [name for name in self.results if name not in nested]

    def metrics_of(self, task: str) -> list[str]:
        """Metric names reported for a task (keys ``<metric>,<filter>`` of its results entry)."""
        entry = self.results.get(task, {})
        names = [k.split(",", 1)[0] for k in entry if "," in k and "_stderr" not in k.split(",", 1)[0]]
        return list(dict.fromkeys(names))


# ------------------------------------------------------------------------------------------------ locating files
def results_files(path: Path) -> list[Path]:
    """Results JSON files at a path (a file, or every timestamped results file below a folder)."""
    return _results_files(path, ReportInputError, check_name=True)


# ------------------------------------------------------------------------------------------------ reading
def _as_array(values: list, path: Path, metric: str) -> np.ndarray:
    """Per-item values as a float vector, a float matrix (tuple metrics), or an object vector (anything else)."""
    if all(isinstance(v, (int, float, bool)) or v is None for v in values):
        return np.asarray([np.nan if v is None else v for v in values], dtype=float)
    if all(isinstance(v, (list, tuple)) for v in values) and len({len(v) for v in values}) == 1:
        try:
            return np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            pass
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = tuple(v) if isinstance(v, list) else v
    return out


def read_samples(path: Path, task: str, metrics: list[str]) -> TaskItems:
    """Read one samples JSONL: the item key, per-item metric values and short metadata of each document."""
    rows: list[dict] = read_json_lines(path, ReportInputError)
    if not rows:
        raise ReportInputError(f"{path}: no samples in file")
    rows = filtered_rows(rows)
    seen: Counter = Counter()
    keys = []
    for r in rows:
        base = r.get("doc_hash") or f"doc_id:{r.get('doc_id')}"
        keys.append(base if seen[base] == 0 else f"{base}#{seen[base]}")
        seen[base] += 1
    values, nonfinite = {}, []
    for metric in metrics:
        column = [r.get(metric) for r in rows]
        if all(v is None for v in column):
            continue  # a metric computed at task level only (no per-item value)
        values[metric] = _as_array(column, path, metric)
        nonfinite.extend(f"doc_id {r.get('doc_id')}: {metric}={v}" for r, v in zip(rows, column) if _nonfinite(v))
    meta = []
    for r in rows:
        doc = r.get("doc") if isinstance(r.get("doc"), dict) else {}
        meta.append({k: doc[k] for k in META_FIELDS if isinstance(doc.get(k), (str, int, float))})
    n_options = None
    arguments = rows[0].get("arguments")
    if isinstance(arguments, dict) and len(arguments) > 1:
        n_options = len(arguments)
    targets = [str(r.get("target")) for r in rows]
    margin = option_margins(rows) if "acc" in metrics else None
    return TaskItems(task, path, keys, values, meta, targets, n_options, nonfinite=nonfinite, margin=margin)


def _nonfinite(value: Any) -> bool:
    """A NaN/inf number, or a list holding one (None marks "no value" and is not a non-finite score)."""
    if isinstance(value, float):
        return not np.isfinite(value)
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, float) and not np.isfinite(v) for v in value)
    return False


def refuse_nonfinite(runs: list[Run], allow: bool) -> None:
    """Stop (ReportInputError naming the file, task and item) at the first NaN/inf per-item score, unless allowed."""
    if allow:
        return
    for run in runs:
        for task, items in sorted(run.items.items()):
            if items.nonfinite:
                raise ReportInputError(
                    f"{items.path}: {task}: {items.nonfinite[0]} ({len(items.nonfinite)} non-finite item score(s)); "
                    "the model produced NaN/inf: re-evaluate, or pass --allow_nan to report the task without a value"
                )


def option_margins(rows: list[dict]) -> np.ndarray | None:
    """Per item, log p(gold option) - max log p(other option), from lm-eval's ``filtered_resps`` (one
    (log-likelihood, is_greedy) pair per option) and the gold index ``target``; None unless every item has them."""
    out = np.empty(len(rows))
    for i, r in enumerate(rows):
        resps, target = r.get("filtered_resps"), r.get("target")
        if isinstance(target, str) and target.isdigit():
            target = int(target)
        if not isinstance(resps, list) or len(resps) < 2 or not isinstance(target, int) or isinstance(target, bool):
            return None
        try:
            lls = [float(x[0] if isinstance(x, (list, tuple)) else x) for x in resps]
        except (TypeError, ValueError):
            return None
        if not 0 <= target < len(lls):
            return None
        out[i] = lls[target] - max(v for j, v in enumerate(lls) if j != target)
    return out


def load_run(folder_files: list[Path], require_samples: bool = False, label: str | None = None) -> Run:
    """One run from the results files of one model folder (newest file wins per task)."""
    files = sorted(folder_files, key=lambda p: stamp_of(p) or "")
    run = Run(label="", folder=files[0].parent, results_files=files, results={}, group_subtasks={}, configs={})
    for path in files:
        data = read_results_file(path, ReportInputError)
        run.results.update(data["results"])
        run.group_subtasks.update(data.get("group_subtasks") or {})
        run.configs.update(data.get("configs") or {})
        run.model_path = pretrained_of(data) or run.model_path
        found = samples_files(path)
        for task, sample_path in found.items():
            if task in data["results"]:
                run.items[task] = read_samples(sample_path, task, run.metrics_of(task))
    for group, children in list(run.group_subtasks.items()):
        if not children:  # lm-eval lists leaf tasks with an empty child list in some versions
            run.group_subtasks.pop(group)
    if require_samples:
        leaves = sorted({leaf for root in run.roots() for leaf in run.leaves(root)})
        missing = [t for t in leaves if t not in run.items]
        if missing:
            where = ", ".join(str(p) for p in files)
            raise ReportInputError(
                f"{where}: no samples logged for {len(missing)} task(s) (e.g. {missing[0]}); "
                "re-run the evaluation with --log_samples"
            )
    run.position = position_for(run.model_path, run.folder)
    run.label = label or default_label(run)
    return run


def default_label(run: Run) -> str:
    if run.model_path:
        parts = Path(run.model_path.rstrip("/")).parts
        return "/".join(parts[-2:]) if len(parts) >= 2 else parts[-1]
    return run.folder.name


def load_runs(paths: list[str | Path], require_samples: bool = False) -> list[Run]:
    """Every run under the given paths (each model folder is one run), with unique labels."""
    runs, sources = [], []
    for raw in paths:
        by_folder: dict[Path, list[Path]] = {}
        for f in results_files(Path(raw)):
            by_folder.setdefault(f.parent, []).append(f)
        for folder_files in by_folder.values():
            runs.append(load_run(folder_files, require_samples=require_samples))
            sources.append(Path(raw))
    _unique_labels(runs, sources)
    return runs


def _unique_labels(runs: list[Run], sources: list[Path]) -> None:
    """Runs of one checkpoint (e.g. evaluated twice) get the path they were given, then a number, appended."""
    for extra in (lambda r, src: f"{r.label} ({src.name or src})", lambda r, src: f"{r.label} #{runs.index(r) + 1}"):
        counts = Counter(r.label for r in runs)
        for run, src in zip(runs, sources):
            if counts[run.label] > 1:
                run.label = extra(run, src)
