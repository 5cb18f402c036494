"""Runs of a ``classit-eval sweep`` output folder: one per checkpoint with at least one completed task, read only
from the files its manifest lists (a killed unit's stray files are never read), positioned by the sweep index."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from classit_tasks.artifacts.sweep_folder import INDEX, read_index, unit_results_files
from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.growth import Position
from classit_tasks.report.load import Run, load_run


def load_sweep(folder: str | Path) -> list[Run]:
    """The evaluated checkpoints of a sweep folder, in the index's order (branch, then position)."""
    folder = Path(folder)
    index = read_index(folder, ReportInputError)
    runs = []
    for entry in index["checkpoints"]:
        if entry.get("status") == "failed" or not entry.get("tasks_complete"):
            continue
        files = unit_results_files(folder, entry, ReportInputError)
        run = load_run(files, label=f"{entry.get('branch')}/{entry.get('name')}")
        run.position = Position(words=entry.get("words_seen"), tokens=entry.get("tokens_seen"),
                                steps=entry.get("global_step"), stage=entry.get("stage"), source=INDEX)
        run.sweep = entry
        runs.append(run)
    if not runs:
        raise ReportInputError(f"{folder}: no checkpoint of this sweep has a completed task yet")
    counts = Counter(r.label for r in runs)
    for run in runs:
        if counts[run.label] > 1:
            run.label = f"{run.label} [{run.sweep['key'][:8]}]"
    return runs
