"""Runs of a ``classit-eval sweep`` output folder: one per checkpoint with at least one completed task, read only
from the files its manifest lists (a killed unit's stray files are never read), positioned by ``sweep.json``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from classit_tasks.json_files import read_json
from classit_tasks.report.errors import ReportInputError
from classit_tasks.report.growth import Position
from classit_tasks.report.load import Run, load_run

INDEX = "sweep.json"
MANIFEST = "checkpoint.json"


def is_sweep(path: str | Path) -> bool:
    return (Path(path) / INDEX).is_file()


def _read(path: Path) -> dict:
    return read_json(path, ReportInputError)


def load_sweep(folder: str | Path) -> list[Run]:
    """The evaluated checkpoints of a sweep folder, in the index's order (branch, then position)."""
    folder = Path(folder)
    index = _read(folder / INDEX)
    entries = index.get("checkpoints")
    if not isinstance(entries, list):
        raise ReportInputError(f"{folder / INDEX}: field 'checkpoints' missing: not a sweep index")
    runs = []
    for entry in entries:
        if entry.get("status") == "failed" or not entry.get("tasks_complete"):
            continue
        manifest = _read(folder / entry["results_dir"] / MANIFEST)
        files = [folder / entry["results_dir"] / name
                 for task in entry["tasks_complete"] for name in manifest["units"][task]["files"]
                 if name.startswith("results_")]
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
